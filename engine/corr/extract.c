/* SPDX-License-Identifier: Apache-2.0 */
/*
 * extract.c: detection hits -> correlation signals (see vigil/corr.h, step 1).
 *
 * A group-by or value field is read like a rule field: its slot's candidate names (the name,
 * then its field mappings), each resolved schema-on-read (exact path, then unique leaf).
 * The first value found is used: a string, number or boolean as its text; an array gives
 * its first scalar element. A field that is absent, null, an object or an empty array is
 * missing: the hit feeds no signal for that correlation and is counted (no_group,
 * no_value), since grouping it under an empty value would merge unrelated events.
 */
#include "corr/corr_int.h"
#include "sigma/ruleset_int.h"

#include <string.h>

vg_corr_sigs *vg_corr_sigs_new(void)
{
    return vg_calloc(1, sizeof(vg_corr_sigs));
}

void vg_corr_sigs_free(vg_corr_sigs *s)
{
    if (!s)
        return;
    vg_free(s->v);
    vg_free(s->bytes);
    vg_free(s);
}

void vg_corr_sigs_clear(vg_corr_sigs *s)
{
    s->n = 0;
    s->blen = 0;
}

size_t vg_corr_sigs_count(const vg_corr_sigs *s)
{
    return s->n;
}

void vg_corr_sigs_counters(const vg_corr_sigs *s, vg_corr_xcounters *out)
{
    *out = s->x;
}

bool vg_csigs_put_raw(vg_corr_sigs *s, const char *p, size_t n)
{
    if (n > ((size_t)1 << 32) || s->blen + n > ((size_t)1 << 32))
        return false;
    if (s->blen + n > s->bcap) {
        size_t ncap = s->bcap ? s->bcap : 4096;
        while (ncap < s->blen + n)
            ncap *= 2;
        char *nb = vg_realloc(s->bytes, ncap);
        if (!nb)
            return false;
        s->bytes = nb;
        s->bcap = ncap;
    }
    if (n)
        memcpy(s->bytes + s->blen, p, n);
    s->blen += n;
    return true;
}

bool vg_csigs_put_value(vg_corr_sigs *s, const char *p, size_t n)
{
    if (n > UINT32_MAX - 4)
        return false;
    uint32_t len = (uint32_t)n;
    unsigned char d[4] = {(unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 24)};
    size_t at = s->blen;
    if (!vg_csigs_put_raw(s, (const char *)d, 4))
        return false;
    if (!vg_csigs_put_raw(s, p, n)) {
        s->blen = at;
        return false;
    }
    return true;
}

vg_csig *vg_csigs_push(vg_corr_sigs *s)
{
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        vg_csig *nv = vg_realloc(s->v, ncap * sizeof(*nv));
        if (!nv)
            return NULL;
        s->v = nv;
        s->cap = ncap;
    }
    vg_csig *g = &s->v[s->n++];
    memset(g, 0, sizeof(*g));
    g->stream_ts = INT64_MIN;
    return g;
}

bool vg_ckey_value(const char *key, size_t len, uint32_t i, vg_span *out)
{
    size_t at = 0;
    for (uint32_t k = 0;; k++) {
        if (len - at < 4)
            return false;
        const unsigned char *d = (const unsigned char *)key + at;
        size_t n = (size_t)d[0] | (size_t)d[1] << 8 | (size_t)d[2] << 16 | (size_t)d[3] << 24;
        if (n > len - at - 4)
            return false;
        if (k == i) {
            out->p = key + at + 4;
            out->len = n;
            return true;
        }
        at += 4 + n;
    }
}

bool vg_corr_rule_used(const vg_ruleset *rs, uint32_t rule)
{
    return rule < rs->rules.n && rs->rules.v[rule].n_uses > 0;
}

bool vg_corr_rule_alerts(const vg_ruleset *rs, uint32_t rule)
{
    return rule < rs->rules.n && !rs->rules.v[rule].silent;
}

/* The text of a field, read through its slot's candidates; false if missing. */
static bool field_text(const vg_ruleset *rs, const vg_event *ev, uint32_t slot, vg_span *out)
{
    return vg_event_scalar_text(ev, vg_fslot_first(&rs->fslots.v[slot], ev), out);
}

/* One signal for correlation use u; 1 appended, 0 skipped (counted), -1 out of memory. */
static int extract_one(vg_corr_sigs *out,
                       const vg_ruleset *rs,
                       const vg_corr_use *u,
                       const vg_event *ev,
                       int64_t ts_ms,
                       const vg_origin *origin)
{
    const vg_corr_rule *c = &rs->corrs.v[u->corr];
    const vg_corr_src *src = &c->srcs[u->src];
    size_t mark = out->blen;
    size_t key_off = out->blen;
    for (size_t g = 0; g < c->n_group; g++) {
        vg_span v;
        if (!field_text(rs, ev, src->group[g].slot, &v)) {
            out->blen = mark;
            out->x.no_group++;
            return 0;
        }
        if (!vg_csigs_put_value(out, v.p, v.len)) {
            out->blen = mark;
            return -1;
        }
    }
    size_t val_off = out->blen;
    double num = 0;
    for (size_t f = 0; f < c->n_fields; f++) {
        vg_span v;
        if (!field_text(rs, ev, src->values[f].slot, &v)) {
            out->blen = mark;
            out->x.no_value++;
            return 0;
        }
        if (c->type == VG_CT_VALUE_SUM || c->type == VG_CT_VALUE_AVG) {
            vg_num n;
            if (!vg_num_parse(v.p, v.len, &n)) {
                out->blen = mark;
                out->x.not_number++;
                return 0;
            }
            num = n.d;
        }
        if (!vg_csigs_put_value(out, v.p, v.len)) {
            out->blen = mark;
            return -1;
        }
    }
    vg_csig *g = vg_csigs_push(out);
    if (!g) {
        out->blen = mark;
        return -1;
    }
    g->corr = u->corr;
    g->src = u->src;
    g->ts = ts_ms;
    g->key_off = key_off;
    g->key_len = (uint32_t)(val_off - key_off);
    g->val_off = val_off;
    g->val_len = (uint32_t)(out->blen - val_off);
    g->num = num;
    g->org = *origin;
    out->x.signals++;
    return 1;
}

size_t vg_corr_extract(vg_corr_sigs *out,
                       const vg_ruleset *rs,
                       uint32_t rule,
                       const vg_event *ev,
                       bool has_ts,
                       int64_t ts_ms,
                       const vg_origin *origin)
{
    if (rule >= rs->rules.n)
        return 0;
    const vg_rule *r = &rs->rules.v[rule];
    if (r->n_uses == 0)
        return 0;
    if (!has_ts) {
        out->x.no_time += r->n_uses;
        return 0;
    }
    size_t added = 0;
    for (size_t i = 0; i < r->n_uses; i++) {
        int k = extract_one(out, rs, &r->uses[i], ev, ts_ms, origin);
        if (k < 0)
            return (size_t)-1;
        added += (size_t)k;
    }
    return added;
}

int64_t vg_rule_suppress_key(const vg_ruleset *rs, uint32_t rule, const vg_event *ev, uint64_t *key)
{
    if (rule >= rs->rules.n || rs->rules.v[rule].sup.period_ms == 0)
        return 0;
    const vg_suppress_spec *sp = &rs->rules.v[rule].sup;
    vg_span vals[16];
    for (size_t i = 0; i < sp->n_by && i < 16; i++) {
        vals[i] = (vg_span){"", 0};
        field_text(rs, ev, sp->slots[i], &vals[i]);
    }
    *key = vg_suppress_key_of(0, rs->rules.v[rule].id, rule, vals, sp->n_by < 16 ? sp->n_by : 16);
    return sp->period_ms;
}
