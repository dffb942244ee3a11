/* SPDX-License-Identifier: Apache-2.0 */
/*
 * snapshot.c: the correlator's state as bytes and back, whole or slot by slot
 * (vg_corr_snapshot*, vg_corr_restore*).
 *
 * Formats (all integers little-endian; strings are a u32 length and the bytes):
 *   head:  "VGCH" u32 version (1), i64 watermark, i64 latest event time of the stream,
 *          u64 n_suppressed, then (u64 key, i64 until) per silenced key (`suppress`)
 *   slot:  "VGSL" u32 version (1), u32 slot,
 *          u32 n_inputs, n_inputs strings      (input names; entries refer to them by index)
 *          u32 n_corr, n_corr strings          (correlation ids; keys refer to them by index)
 *          u64 n_keys, then per key:
 *            u32 corr index, string group key, i64 max_ts, u8 flags (1 episode, 2 window
 *            open), i64 window start, u32 n_entries, entries (i64 ts, u64 value, u64 record,
 *            u32 line, u16 source, u16 input), u32 n_values, values (u64 hash, string text)
 *   slot records (vg_corr_snapshot_slots): u32 slot, u64 length, a slot blob of that length
 *          (length 0: the slot holds no key)
 *   whole: "VGCS" u32 version (2), u64 head length, the head, u32 n_slots, then n_slots
 *          slot records in slot order (only slots that hold keys)
 * A slot blob carries its own name tables, so it can be stored, replaced and moved alone.
 * Correlations are named by id, not position, so a snapshot survives a rule reload: keys of
 * a correlation that is no longer loaded, or whose type or source count changed, are
 * skipped and counted. Restoring checks every length against what is left, every index
 * against its table and every key against its slot; a malformed snapshot is refused with a
 * message and leaves the correlator empty.
 */
#include "corr/corr_core.h"

#include <stdio.h>
#include "vigil/bin.h"

#include <stddef.h>
#include <string.h>

#define MAGIC        "VGCS"
#define VERSION      2u
#define HEAD_MAGIC   "VGCH"
#define HEAD_VERSION 1u
#define SLOT_MAGIC   "VGSL"

/* the wire layout of an entry, which the little-endian writer copies from memory */
_Static_assert(sizeof(ck_entry) == 32 && offsetof(ck_entry, ts) == 0 &&
                       offsetof(ck_entry, vh) == 8 && offsetof(ck_entry, rec) == 16 &&
                       offsetof(ck_entry, line) == 24 && offsetof(ck_entry, src) == 28 &&
                       offsetof(ck_entry, inp) == 30,
               "ck_entry is laid out as an entry on the wire");
#define SLOT_VERSION 1u

static bool in_set(const uint64_t *set, uint32_t s)
{
    return (set[s >> 6] >> (s & 63)) & 1;
}

/* ---- writing ---- */

vg_status vg_corr_snapshot_head(const vg_corr *c, vg_buf *out)
{
    vg_buf_append(out, HEAD_MAGIC, 4);
    vg_bin_u32(out, HEAD_VERSION);
    vg_bin_u64(out, (uint64_t)c->wm);
    vg_bin_u64(out, (uint64_t)c->max_ts);
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

/* The name tables of one slot: global correlation index, and (shard, input id) -> local
 * index (UINT32_MAX: not used yet). Input ids are each shard's own. */
typedef struct names {
    uint32_t *cmap, *clist, nc;
    uint32_t **imap;            /* per shard: input id -> local index */
    uint32_t *ishard, *iid, ni; /* local index -> shard, input id */
    uint32_t m;
} names;

static void names_use(names *t, uint32_t shard, const ckey *k)
{
    if (t->cmap[k->corr] == UINT32_MAX) {
        t->cmap[k->corr] = t->nc;
        t->clist[t->nc++] = k->corr;
    }
    uint32_t *imap = t->imap[shard];
    for (uint32_t x = k->off; x < k->n; x++) {
        uint16_t inp = k->e[x].inp;
        if (imap[inp] == UINT32_MAX) {
            imap[inp] = t->ni;
            t->ishard[t->ni] = shard;
            t->iid[t->ni++] = inp;
        }
    }
}

static void names_reset(names *t)
{
    for (uint32_t i = 0; i < t->nc; i++)
        t->cmap[t->clist[i]] = UINT32_MAX;
    for (uint32_t i = 0; i < t->ni; i++)
        t->imap[t->ishard[i]][t->iid[i]] = UINT32_MAX;
    t->nc = t->ni = 0;
}

static void names_free(names *t)
{
    for (uint32_t j = 0; t->imap && j < t->m; j++)
        vg_free(t->imap[j]);
    vg_free(t->imap);
    vg_free(t->cmap);
    vg_free(t->clist);
    vg_free(t->ishard);
    vg_free(t->iid);
}

static bool names_init(names *t, const vg_corr *const *c, uint32_t m)
{
    memset(t, 0, sizeof(*t));
    size_t n_corr = c[0]->rs->corrs.n ? c[0]->rs->corrs.n : 1, n_all = 0;
    t->m = m;
    t->cmap = vg_malloc(n_corr * sizeof(uint32_t));
    t->clist = vg_malloc(n_corr * sizeof(uint32_t));
    t->imap = vg_calloc(m, sizeof(uint32_t *));
    if (!t->cmap || !t->clist || !t->imap)
        return false;
    memset(t->cmap, 0xff, n_corr * sizeof(uint32_t));
    for (uint32_t j = 0; j < m; j++) {
        size_t n_inp = c[j]->n_inputs ? c[j]->n_inputs : 1;
        n_all += n_inp;
        t->imap[j] = vg_malloc(n_inp * sizeof(uint32_t));
        if (!t->imap[j])
            return false;
        memset(t->imap[j], 0xff, n_inp * sizeof(uint32_t));
    }
    t->ishard = vg_malloc(n_all * sizeof(uint32_t));
    t->iid = vg_malloc(n_all * sizeof(uint32_t));
    return t->ishard && t->iid;
}

static void write_key(const ckey *k, const uint32_t *cmap, const uint32_t *imap, vg_buf *out)
{
    vg_bin_u32(out, cmap[k->corr]);
    vg_bin_str(out, ck_kb(k), k->klen);
    vg_bin_u64(out, (uint64_t)k->max_ts);
    unsigned char flags = (k->episode ? 1 : 0) | (k->x && k->x->open ? 2 : 0);
    vg_buf_append(out, &flags, 1);
    vg_bin_u64(out, (uint64_t)(k->x ? k->x->w0 : 0));
    vg_bin_u32(out, k->n - k->off);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* an entry in memory is its 32 bytes on the wire: copy them all, then put in the input
     * indexes of this slot's table */
    size_t at = out->len;
    vg_buf_append(out, &k->e[k->off], (size_t)(k->n - k->off) * sizeof(ck_entry));
    if (vg_buf_status(out) == VG_OK) {
        for (uint32_t x = k->off; x < k->n; x++) {
            uint16_t local = (uint16_t)imap[k->e[x].inp];
            memcpy(out->p + at + (size_t)(x - k->off) * sizeof(ck_entry) + offsetof(ck_entry, inp),
                   &local, sizeof(local));
        }
    }
#else
    for (uint32_t x = k->off; x < k->n; x++) {
        const ck_entry *e = &k->e[x];
        vg_bin_u64(out, (uint64_t)e->ts);
        vg_bin_u64(out, e->vh);
        vg_bin_u64(out, e->rec);
        vg_bin_u32(out, e->line);
        vg_bin_u16(out, e->src);
        vg_bin_u16(out, (uint16_t)imap[e->inp]);
    }
#endif
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

/* The keys of the slots in set, of one shard, grouped by slot (counting sort): the keys of
 * slot s are ids[start[s], start[s+1]). */
typedef struct bucket {
    uint32_t *start, *ids;
} bucket;

static bool bucket_fill(bucket *b, const vg_corr *c, const uint64_t *set)
{
    b->start = vg_calloc(VG_CORR_SLOTS + 1, sizeof(uint32_t));
    uint32_t *pos = vg_malloc(VG_CORR_SLOTS * sizeof(uint32_t));
    if (!b->start || !pos) {
        vg_free(pos);
        return false;
    }
    for (uint32_t id = 0; id < c->st.n; id++) {
        const ckey *k = &c->st.keys[id];
        if (k->live && in_set(set, k->slot))
            b->start[k->slot + 1]++;
    }
    for (uint32_t s = 0; s < VG_CORR_SLOTS; s++)
        b->start[s + 1] += b->start[s];
    b->ids = vg_malloc((b->start[VG_CORR_SLOTS] ? b->start[VG_CORR_SLOTS] : 1) * sizeof(uint32_t));
    if (b->ids) {
        memcpy(pos, b->start, VG_CORR_SLOTS * sizeof(uint32_t));
        for (uint32_t id = 0; id < c->st.n; id++) {
            const ckey *k = &c->st.keys[id];
            if (k->live && in_set(set, k->slot))
                b->ids[pos[k->slot]++] = id;
        }
    }
    vg_free(pos);
    return b->ids != NULL;
}

/* One slot's blob: its keys are, on each shard j, bk[j]'s keys of the slot. */
static void write_slot(
        const vg_corr *const *c, uint32_t m, uint32_t slot, const bucket *bk, names *t, vg_buf *out)
{
    uint64_t n = 0;
    for (uint32_t j = 0; j < m; j++) {
        for (uint32_t i = bk[j].start[slot]; i < bk[j].start[slot + 1]; i++)
            names_use(t, j, &c[j]->st.keys[bk[j].ids[i]]);
        n += bk[j].start[slot + 1] - bk[j].start[slot];
    }
    vg_buf_append(out, SLOT_MAGIC, 4);
    vg_bin_u32(out, SLOT_VERSION);
    vg_bin_u32(out, slot);
    vg_bin_u32(out, t->ni);
    for (uint32_t i = 0; i < t->ni; i++) {
        const char *name = vg_corr_input_name(c[t->ishard[i]], t->iid[i]);
        vg_bin_str(out, name, strlen(name));
    }
    vg_bin_u32(out, t->nc);
    for (uint32_t i = 0; i < t->nc; i++) {
        const char *id = c[0]->rs->corrs.v[t->clist[i]].id;
        vg_bin_str(out, id, strlen(id));
    }
    vg_bin_u64(out, n);
    for (uint32_t j = 0; j < m; j++)
        for (uint32_t i = bk[j].start[slot]; i < bk[j].start[slot + 1]; i++)
            write_key(&c[j]->st.keys[bk[j].ids[i]], t->cmap, t->imap[j], out);
    names_reset(t);
}

vg_status vg_corr_snapshot_slots_m(const vg_corr *const *c,
                                   uint32_t m,
                                   const uint64_t set[VG_CORR_SLOT_WORDS],
                                   vg_buf *out)
{
    bucket *bk = vg_calloc(m, sizeof(bucket));
    names t;
    memset(&t, 0, sizeof(t));
    vg_status rc = VG_ERR_NOMEM;
    bool ok = bk && names_init(&t, c, m);
    for (uint32_t j = 0; ok && j < m; j++)
        ok = bucket_fill(&bk[j], c[j], set);
    if (ok) {
        for (uint32_t s = 0; s < VG_CORR_SLOTS; s++) {
            if (!in_set(set, s))
                continue;
            vg_bin_u32(out, s);
            size_t at = out->len;
            vg_bin_u64(out, 0);
            bool any = false;
            for (uint32_t j = 0; j < m && !any; j++)
                any = bk[j].start[s] < bk[j].start[s + 1];
            if (!any)
                continue;
            write_slot(c, m, s, bk, &t, out);
            vg_bin_patch_u64(out, at, out->len - at - 8);
        }
        rc = vg_buf_status(out);
    }
    names_free(&t);
    for (uint32_t j = 0; bk && j < m; j++) {
        vg_free(bk[j].start);
        vg_free(bk[j].ids);
    }
    vg_free(bk);
    return rc;
}

vg_status
vg_corr_snapshot_slots(const vg_corr *c, const uint64_t set[VG_CORR_SLOT_WORDS], vg_buf *out)
{
    return vg_corr_snapshot_slots_m(&c, 1, set, out);
}

vg_status vg_corr_snapshot_m(const vg_corr *const *c, uint32_t m, vg_buf *out)
{
    vg_buf_append(out, MAGIC, 4);
    vg_bin_u32(out, VERSION);
    size_t at = out->len;
    vg_bin_u64(out, 0);
    vg_corr_snapshot_head(c[0], out);
    vg_bin_patch_u64(out, at, out->len - at - 8);
    /* the slots that hold keys */
    uint64_t set[VG_CORR_SLOT_WORDS] = {0};
    for (uint32_t j = 0; j < m; j++)
        for (uint32_t id = 0; id < c[j]->st.n; id++)
            if (c[j]->st.keys[id].live)
                set[c[j]->st.keys[id].slot >> 6] |= 1ull << (c[j]->st.keys[id].slot & 63);
    uint32_t n_slots = 0;
    for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++)
        n_slots += (uint32_t)__builtin_popcountll(set[i]);
    vg_bin_u32(out, n_slots);
    vg_status st = vg_corr_snapshot_slots_m(c, m, set, out);
    return st != VG_OK ? st : vg_buf_status(out);
}

vg_status vg_corr_snapshot(const vg_corr *c, vg_buf *out)
{
    return vg_corr_snapshot_m(&c, 1, out);
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

/* One key into the shard of cs[0..m) that owns it; inp_maps[j]: the slot's input indexes as
 * shard j's input ids. */
static bool read_key(vg_corr *const *cs,
                     uint32_t m,
                     vg_bin *r,
                     uint32_t slot,
                     const uint32_t *corr_map,
                     uint32_t n_corr,
                     uint16_t *const *inp_maps,
                     uint32_t n_inp)
{
    vg_corr *c = cs[0];
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
    if (vg_corr_slot_of(kb, klen) != slot) {
        vg_bin_fail(r, "group key of slot %u stored in slot %u", vg_corr_slot_of(kb, klen), slot);
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
    uint32_t shard = vg_corr_shard_of(c->rs, corr, kb, klen, m);
    c = cs[shard];
    const uint16_t *inp_map = inp_maps[shard];
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

static void clear_state(vg_corr *const *cs, uint32_t m)
{
    for (uint32_t j = 0; j < m; j++) {
        vg_corr *c = cs[j];
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
}

/* Read a head into every shard; false (message in r) when malformed. */
static bool read_head(vg_corr *const *cs, uint32_t m, vg_bin *r)
{
    if (vg_bin_header(r, HEAD_MAGIC, HEAD_VERSION) != VG_OK)
        return false;
    int64_t wm = (int64_t)vg_bin_get(r, 8);
    int64_t max_ts = (int64_t)vg_bin_get(r, 8);
    uint64_t n_sup = vg_bin_get(r, 8);
    if (!r->bad && n_sup > vg_bin_left(r) / 16)
        vg_bin_fail(r, "%llu suppressed keys", (unsigned long long)n_sup);
    size_t sup_at = r->at;
    for (uint32_t j = 0; j < m && !r->bad; j++) {
        /* the table is read by each shard (only shard 0's correlations use it) */
        r->at = sup_at;
        vg_suppress *sup = vg_suppress_new();
        if (!sup)
            vg_bin_fail(r, "out of memory");
        for (uint64_t i = 0; i < n_sup && !r->bad; i++) {
            uint64_t key = vg_bin_get(r, 8);
            int64_t until = (int64_t)vg_bin_get(r, 8);
            if (!r->bad && !vg_suppress_put(sup, key, until))
                vg_bin_fail(r, "suppressed key 0 or out of memory");
        }
        if (!r->bad && r->at != r->n)
            vg_bin_fail(r, "%zu bytes after the head", r->n - r->at);
        if (r->bad) {
            vg_suppress_free(sup);
            return false;
        }
        vg_suppress_free(cs[j]->sup);
        cs[j]->sup = sup;
        cs[j]->wm = wm;
        cs[j]->max_ts = max_ts;
    }
    return !r->bad;
}

/* Read one slot blob's keys into the shards that own them; false (message in r) when
 * malformed. */
static bool read_slot(vg_corr *const *cs, uint32_t m, vg_bin *r, uint32_t want)
{
    if (vg_bin_header(r, SLOT_MAGIC, SLOT_VERSION) != VG_OK)
        return false;
    uint32_t slot = (uint32_t)vg_bin_get(r, 4);
    uint32_t n_inp = (uint32_t)vg_bin_get(r, 4);
    if (r->bad)
        return false;
    if (slot >= VG_CORR_SLOTS || (want != UINT32_MAX && slot != want)) {
        vg_bin_fail(r, "slot %u (%u slots, record of slot %u)", slot, VG_CORR_SLOTS, want);
        return false;
    }
    if (n_inp > 65535 || n_inp > vg_bin_left(r) / 4) {
        vg_bin_fail(r, "%u inputs", n_inp);
        return false;
    }
    uint16_t **inp_maps = vg_calloc(m, sizeof(uint16_t *));
    uint32_t *corr_map = NULL;
    if (!inp_maps)
        vg_bin_fail(r, "out of memory");
    for (uint32_t j = 0; j < m && !r->bad; j++) {
        inp_maps[j] = vg_calloc(n_inp ? n_inp : 1, sizeof(uint16_t));
        if (!inp_maps[j])
            vg_bin_fail(r, "out of memory");
    }
    for (uint32_t i = 0; i < n_inp && !r->bad; i++) {
        size_t len = 0;
        const char *s = vg_bin_get_str(r, 4096, &len);
        for (uint32_t j = 0; s && j < m && !r->bad; j++) {
            inp_maps[j][i] = vg_corr_input_owned(cs[j], s, len);
            if (inp_maps[j][i] == UINT16_MAX)
                vg_bin_fail(r, "out of memory");
        }
    }
    uint32_t n_corr = (uint32_t)vg_bin_get(r, 4);
    if (!r->bad && n_corr > vg_bin_left(r) / 4)
        vg_bin_fail(r, "%u correlations", n_corr);
    if (!r->bad) {
        corr_map = vg_calloc(n_corr ? n_corr : 1, sizeof(uint32_t));
        if (!corr_map)
            vg_bin_fail(r, "out of memory");
    }
    for (uint32_t i = 0; i < n_corr && !r->bad; i++) {
        size_t len = 0;
        const char *s = vg_bin_get_str(r, 4096, &len);
        if (s)
            corr_map[i] = find_corr(cs[0]->rs, s, len);
    }
    uint64_t n_keys = vg_bin_get(r, 8);
    for (uint64_t i = 0; i < n_keys && !r->bad; i++)
        read_key(cs, m, r, slot, corr_map, n_corr, inp_maps, n_inp);
    if (!r->bad && r->at != r->n)
        vg_bin_fail(r, "%zu bytes after the last key", r->n - r->at);
    for (uint32_t j = 0; inp_maps && j < m; j++)
        vg_free(inp_maps[j]);
    vg_free(inp_maps);
    vg_free(corr_map);
    return !r->bad;
}

/* A head (slot false) or one slot blob into the shards; a refusal leaves them empty. */
static vg_status restore_part(vg_corr *const *cs,
                              uint32_t m,
                              bool slot,
                              const void *p,
                              size_t n,
                              char *err,
                              size_t err_len)
{
    vg_bin r;
    vg_bin_init(&r, p, n, slot ? "correlation state slot" : "correlation state head", err, err_len);
    if (err && err_len)
        err[0] = '\0';
    if (slot ? read_slot(cs, m, &r, UINT32_MAX) : read_head(cs, m, &r))
        return VG_OK;
    clear_state(cs, m);
    return VG_ERR_INVALID;
}

vg_status vg_corr_restore_head_m(
        vg_corr *const *cs, uint32_t m, const void *p, size_t n, char *err, size_t err_len)
{
    return restore_part(cs, m, false, p, n, err, err_len);
}

vg_status vg_corr_restore_head(vg_corr *c, const void *p, size_t n, char *err, size_t err_len)
{
    return vg_corr_restore_head_m(&c, 1, p, n, err, err_len);
}

vg_status vg_corr_restore_slot_m(
        vg_corr *const *cs, uint32_t m, const void *p, size_t n, char *err, size_t err_len)
{
    return restore_part(cs, m, true, p, n, err, err_len);
}

vg_status vg_corr_restore_slot(vg_corr *c, const void *p, size_t n, char *err, size_t err_len)
{
    return vg_corr_restore_slot_m(&c, 1, p, n, err, err_len);
}

vg_status vg_corr_restore_m(
        vg_corr *const *cs, uint32_t m, const void *p, size_t n, char *err, size_t err_len)
{
    vg_bin r;
    vg_bin_init(&r, p, n, "correlation snapshot", err, err_len);
    if (err && err_len)
        err[0] = '\0';
    for (uint32_t j = 0; j < m; j++) {
        if (cs[j]->st.n_live > 0) {
            vg_bin_fail(&r, "the correlator already holds state");
            return VG_ERR_INVALID;
        }
    }
    vg_status st = vg_bin_header(&r, MAGIC, VERSION);
    if (st != VG_OK)
        return st;
    uint64_t head_len = vg_bin_get(&r, 8);
    if (!r.bad && head_len > vg_bin_left(&r))
        vg_bin_fail(&r, "head of %llu bytes", (unsigned long long)head_len);
    if (!r.bad) {
        vg_bin h;
        vg_bin_init(&h, r.p + r.at, (size_t)head_len, "correlation state head", err, err_len);
        r.at += (size_t)head_len;
        if (!read_head(cs, m, &h))
            r.bad = true;
    }
    uint32_t n_slots = (uint32_t)vg_bin_get(&r, 4);
    if (!r.bad && n_slots > VG_CORR_SLOTS)
        vg_bin_fail(&r, "%u slots", n_slots);
    uint32_t prev = 0;
    bool first = true;
    for (uint32_t i = 0; i < n_slots && !r.bad; i++) {
        uint32_t slot = (uint32_t)vg_bin_get(&r, 4);
        uint64_t len = vg_bin_get(&r, 8);
        if (r.bad)
            break;
        if (len > vg_bin_left(&r) || (!first && slot <= prev)) {
            vg_bin_fail(&r, "slot record %u of %llu bytes", slot, (unsigned long long)len);
            break;
        }
        first = false;
        prev = slot;
        vg_bin b;
        vg_bin_init(&b, r.p + r.at, (size_t)len, "correlation state slot", err, err_len);
        r.at += (size_t)len;
        if (len > 0 && !read_slot(cs, m, &b, slot)) {
            r.bad = true;
            break;
        }
    }
    if (!r.bad && r.at != r.n)
        vg_bin_fail(&r, "%zu bytes after the last slot", r.n - r.at);
    if (!r.bad)
        return VG_OK;
    clear_state(cs, m);
    return VG_ERR_INVALID;
}

vg_status vg_corr_restore(vg_corr *c, const void *p, size_t n, char *err, size_t err_len)
{
    return vg_corr_restore_m(&c, 1, p, n, err, err_len);
}
