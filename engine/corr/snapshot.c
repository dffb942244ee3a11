/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot.c: the correlator's state as bytes and back (vg_corr_snapshot, vg_corr_restore).
 *
 * Format (all integers little-endian; strings are a u32 length and the bytes):
 *   "VGCS" u32 version (1)
 *   i64 watermark, i64 latest event time of the stream
 *   u32 n_inputs, n_inputs strings             (input names; entries refer to them by index)
 *   u32 n_corr, n_corr strings                 (correlation ids; keys refer to them by index)
 *   u64 n_keys, then per key:
 *     u32 corr index, string group key, i64 max_ts, u8 flags (1 episode, 2 window open),
 *     i64 window start, u32 n_entries, entries (i64 ts, u64 value, u64 record, u32 line,
 *     u16 source, u16 input), u32 n_values, values (u64 hash, string text)
 *   u64 n_suppressed, then (u64 key, i64 until) per silenced key (`suppress`)
 * Correlations are named by id, not position, so a snapshot survives a rule reload: keys of
 * a correlation that is no longer loaded, or whose type or source count changed, are
 * skipped and counted. Restoring checks every length against what is left and every index
 * against its table; a malformed snapshot is refused with a message and leaves the
 * correlator empty. Only a fresh correlator (no keys) can be restored into.
 */
#include "corr/corr_core.h"

#include <stdio.h>
#include "vigil/bin.h"

#include <string.h>

#define MAGIC   "VGCS"
#define VERSION 1u

/* ---- writing ---- */

vg_status vg_corr_snapshot(const vg_corr *c, vg_buf *out)
{
    vg_buf_append(out, MAGIC, 4);
    vg_bin_u32(out, VERSION);
    vg_bin_u64(out, (uint64_t)c->wm);
    vg_bin_u64(out, (uint64_t)c->max_ts);
    vg_bin_u32(out, (uint32_t)c->n_inputs);
    for (size_t i = 0; i < c->n_inputs; i++)
        vg_bin_str(out, c->inputs[i], strlen(c->inputs[i]));
    vg_bin_u32(out, (uint32_t)c->rs->corrs.n);
    for (size_t i = 0; i < c->rs->corrs.n; i++)
        vg_bin_str(out, c->rs->corrs.v[i].id, strlen(c->rs->corrs.v[i].id));
    vg_bin_u64(out, c->st.n_live);
    for (uint32_t id = 0; id < c->st.n; id++) {
        const ckey *k = &c->st.keys[id];
        if (!k->live)
            continue;
        vg_bin_u32(out, k->corr);
        vg_bin_str(out, ck_kb(k), k->klen);
        vg_bin_u64(out, (uint64_t)k->max_ts);
        unsigned char flags = (k->episode ? 1 : 0) | (k->x && k->x->open ? 2 : 0);
        vg_buf_append(out, &flags, 1);
        vg_bin_u64(out, (uint64_t)(k->x ? k->x->w0 : 0));
        vg_bin_u32(out, k->n - k->off);
        for (uint32_t x = k->off; x < k->n; x++) {
            const ck_entry *e = &k->e[x];
            vg_bin_u64(out, (uint64_t)e->ts);
            vg_bin_u64(out, e->vh);
            vg_bin_u64(out, e->rec);
            vg_bin_u32(out, e->line);
            vg_bin_u16(out, e->src);
            vg_bin_u16(out, e->inp);
        }
        uint32_t n_vals = 0;
        for (uint32_t v = 0; k->x && v < k->x->vt_cap; v++)
            n_vals += k->x->vt[v].used && k->x->vt[v].cnt > 0;
        vg_bin_u32(out, n_vals);
        for (uint32_t v = 0; k->x && v < k->x->vt_cap; v++) {
            const ck_val *val = &k->x->vt[v];
            if (!val->used || val->cnt == 0)
                continue;
            vg_bin_u64(out, val->h);
            vg_bin_str(out, val->text, val->len);
        }
    }
    uint64_t n_sup = 0, key;
    int64_t until;
    for (size_t i = 0; i < vg_suppress_slots(c->sup); i++)
        n_sup += vg_suppress_slot(c->sup, i, &key, &until);
    vg_bin_u64(out, n_sup);
    for (size_t i = 0; i < vg_suppress_slots(c->sup); i++) {
        if (!vg_suppress_slot(c->sup, i, &key, &until))
            continue;
        vg_bin_u64(out, key);
        vg_bin_u64(out, (uint64_t)until);
    }
    return vg_buf_status(out);
}

/* ---- reading ---- */

/* The index of the loaded correlation with this id, or UINT32_MAX. */
static uint32_t find_corr(const vg_ruleset *rs, const char *id, size_t len)
{
    for (size_t i = 0; i < rs->corrs.n; i++)
        if (strlen(rs->corrs.v[i].id) == len && memcmp(rs->corrs.v[i].id, id, len) == 0)
            return (uint32_t)i;
    return UINT32_MAX;
}

static bool read_key(vg_corr *c,
                     vg_bin *r,
                     const uint32_t *corr_map,
                     uint32_t n_corr,
                     const uint16_t *inp_map,
                     uint32_t n_inp)
{
    uint32_t ci = (uint32_t)vg_bin_get(r, 4);
    size_t klen = 0;
    const char *kb = vg_bin_get_str(r, (size_t)1 << 24, &klen);
    int64_t max_ts = (int64_t)vg_bin_get(r, 8);
    uint64_t flags = vg_bin_get(r, 1);
    int64_t w0 = (int64_t)vg_bin_get(r, 8);
    uint32_t n_e = (uint32_t)vg_bin_get(r, 4);
    if (r->bad)
        return false;
    /* times stay far from the int64 ends, so adding a timespan cannot overflow */
    const int64_t lim = (int64_t)1 << 60;
    if (max_ts < -lim || max_ts > lim || w0 < -lim || w0 > lim) {
        vg_bin_fail(r, "key time out of range");
        return false;
    }
    if (ci >= n_corr) {
        vg_bin_fail(r, "key names correlation %u of %u", ci, n_corr);
        return false;
    }
    if (n_e > c->o.max_entries || n_e > (r->n - r->at) / 32) {
        vg_bin_fail(r, "key with %u entries", n_e);
        return false;
    }
    uint32_t corr = corr_map[ci];
    const unsigned char *entries = r->p + r->at;
    r->at += (size_t)n_e * 32;
    uint32_t n_v = (uint32_t)vg_bin_get(r, 4);
    if (r->bad)
        return false;
    if (n_v > n_e) {
        vg_bin_fail(r, "key with %u values for %u entries", n_v, n_e);
        return false;
    }
    size_t vals_at = r->at;
    for (uint32_t v = 0; v < n_v; v++) { /* validate; registered below */
        size_t len;
        vg_bin_get(r, 8);
        vg_bin_get_str(r, (size_t)1 << 24, &len);
    }
    if (r->bad)
        return false;
    if (corr == UINT32_MAX) {
        c->ct.restore_skipped++;
        return true;
    }
    const vg_corr_rule *rule = &c->rs->corrs.v[corr];
    uint64_t h = cs_hash(corr, kb, klen);
    if (cs_find(&c->st, h, corr, kb, klen) != UINT32_MAX) {
        vg_bin_fail(r, "group key stored twice");
        return false;
    }
    uint32_t id =
            cs_add(&c->st, h, corr, kb, klen, rule->type != VG_CT_EVENT_COUNT || rule->at_close,
                   rule->type == VG_CT_TEMPORAL,
                   rule->type == VG_CT_TEMPORAL_ORDERED ? (uint32_t)rule->n_srcs : 0);
    if (id == UINT32_MAX) {
        vg_bin_fail(r, "out of memory");
        return false;
    }
    ckey *k = &c->st.keys[id];
    k->max_ts = max_ts;
    k->episode = flags & 1;
    if (k->x) {
        k->x->open = (flags & 2) != 0;
        k->x->w0 = w0;
    }
    bool value = rule->type == VG_CT_VALUE_COUNT || rule->type == VG_CT_VALUE_PERCENTILE;
    /* values first, each counted once; the entries add theirs; the extra count goes after */
    vg_bin vr;
    vg_bin_init(&vr, r->p, r->n, r->what, NULL, 0);
    vr.at = vals_at;
    for (uint32_t v = 0; value && v < n_v && !r->bad; v++) {
        size_t len = 0;
        uint64_t vh = vg_bin_get(&vr, 8);
        const char *t = vg_bin_get_str(&vr, (size_t)1 << 24, &len);
        if (cs_val_get(k, vh))
            vg_bin_fail(r, "value stored twice");
        else if (!cs_val_add(&c->st, k, vh, t, len))
            vg_bin_fail(r, "out of memory");
        k = &c->st.keys[id];
    }
    vg_bin er;
    vg_bin_init(&er, entries, (size_t)n_e * 32, r->what, NULL, 0);
    int64_t prev = INT64_MIN;
    for (uint32_t x = 0; x < n_e; x++) {
        ck_entry e;
        memset(&e, 0, sizeof(e));
        e.ts = (int64_t)vg_bin_get(&er, 8);
        e.vh = vg_bin_get(&er, 8);
        e.rec = vg_bin_get(&er, 8);
        e.line = (uint32_t)vg_bin_get(&er, 4);
        e.src = (uint16_t)vg_bin_get(&er, 2);
        uint16_t inp = (uint16_t)vg_bin_get(&er, 2);
        if (e.src >= rule->n_srcs || inp >= n_inp || e.ts < prev || e.ts > max_ts || e.ts < -lim) {
            vg_bin_fail(r, "entry %u of a key does not fit its correlation", x);
            break;
        }
        prev = e.ts;
        e.inp = inp_map[inp];
        if (value) {
            ck_val *v = cs_val_get(k, e.vh);
            if (!v || v->cnt == 0) {
                vg_bin_fail(r, "entry %u of a key has no stored value", x);
                break;
            }
            v->cnt++;
        }
        if (cs_insert(&c->st, k, &e, rule->type == VG_CT_TEMPORAL_ORDERED) == UINT32_MAX) {
            vg_bin_fail(r, "out of memory");
            break;
        }
        k = &c->st.keys[id];
    }
    if (r->bad) {
        cs_del(&c->st, id);
        return false;
    }
    vg_bin_init(&vr, r->p, r->n, r->what, NULL, 0);
    vr.at = vals_at;
    for (uint32_t v = 0; value && v < n_v; v++) {
        size_t len = 0;
        uint64_t vh = vg_bin_get(&vr, 8);
        vg_bin_get_str(&vr, (size_t)1 << 24, &len);
        cs_val_release(&c->st, k, vh); /* unreferenced values go */
    }
    if (k->n == k->off) { /* a key without events has nothing to correlate */
        cs_del(&c->st, id);
        return true;
    }
    vg_corr_key_restored(c, id);
    return true;
}

static void clear_state(vg_corr *c)
{
    for (uint32_t id = 0; id < c->st.n; id++)
        if (c->st.keys[id].live)
            cs_del(&c->st, id);
    c->n_heap = 0;
    vg_suppress *fresh = vg_suppress_new();
    if (fresh) {
        vg_suppress_free(c->sup);
        c->sup = fresh;
    }
}

vg_status vg_corr_restore(vg_corr *c, const void *p, size_t n, char *err, size_t err_len)
{
    vg_bin r;
    vg_bin_init(&r, p, n, "correlation snapshot", err, err_len);
    if (err && err_len)
        err[0] = '\0';
    if (c->st.n_live > 0) {
        vg_bin_fail(&r, "the correlator already holds state");
        return VG_ERR_INVALID;
    }
    vg_status st = vg_bin_header(&r, MAGIC, VERSION);
    if (st != VG_OK)
        return st;
    int64_t wm = (int64_t)vg_bin_get(&r, 8);
    int64_t max_ts = (int64_t)vg_bin_get(&r, 8);
    uint32_t n_inp = (uint32_t)vg_bin_get(&r, 4);
    if (n_inp > 65535 || n_inp > (r.n - r.at) / 4) {
        vg_bin_fail(&r, "%u inputs", n_inp);
        return VG_ERR_INVALID;
    }
    uint16_t *inp_map = vg_calloc(n_inp ? n_inp : 1, sizeof(uint16_t));
    uint32_t *corr_map = NULL;
    vg_status rc = VG_ERR_INVALID;
    if (!inp_map) {
        rc = VG_ERR_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n_inp && !r.bad; i++) {
        size_t len = 0;
        const char *s = vg_bin_get_str(&r, 4096, &len);
        if (s) {
            inp_map[i] = vg_corr_input_owned(c, s, len);
            if (inp_map[i] == UINT16_MAX)
                vg_bin_fail(&r, "out of memory");
        }
    }
    uint32_t n_corr = (uint32_t)vg_bin_get(&r, 4);
    if (!r.bad && n_corr > (r.n - r.at) / 4)
        vg_bin_fail(&r, "%u correlations", n_corr);
    if (r.bad)
        goto out;
    corr_map = vg_calloc(n_corr ? n_corr : 1, sizeof(uint32_t));
    if (!corr_map) {
        rc = VG_ERR_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n_corr && !r.bad; i++) {
        size_t len = 0;
        const char *s = vg_bin_get_str(&r, 4096, &len);
        if (s)
            corr_map[i] = find_corr(c->rs, s, len);
    }
    uint64_t n_keys = vg_bin_get(&r, 8);
    for (uint64_t i = 0; i < n_keys && !r.bad; i++)
        read_key(c, &r, corr_map, n_corr, inp_map, n_inp);
    uint64_t n_sup = vg_bin_get(&r, 8);
    if (!r.bad && n_sup > (r.n - r.at) / 16)
        vg_bin_fail(&r, "%llu suppressed keys", (unsigned long long)n_sup);
    for (uint64_t i = 0; i < n_sup && !r.bad; i++) {
        uint64_t key = vg_bin_get(&r, 8);
        int64_t until = (int64_t)vg_bin_get(&r, 8);
        if (!r.bad && !vg_suppress_put(c->sup, key, until))
            vg_bin_fail(&r, "suppressed key 0 or out of memory");
    }
    if (!r.bad && r.at != r.n)
        vg_bin_fail(&r, "%zu bytes after the last key", r.n - r.at);
    if (!r.bad) {
        c->wm = wm;
        c->max_ts = max_ts;
        rc = VG_OK;
    }
out:
    if (rc != VG_OK)
        clear_state(c);
    vg_free(inp_map);
    vg_free(corr_map);
    return rc;
}
