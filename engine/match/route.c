/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.c: logsource routing (see route.h for the design).
 *
 * The per-thread cache holds ROUTE_CACHE results in sets of ROUTE_WAYS picked by the key's
 * hash (a miss replaces the set's least recently used one), each keeping its key bytes for
 * an exact compare: a handful of keys never evict each other by sharing a set, as they
 * would in a direct-mapped cache about half the time. A key longer than ROUTE_KEY_MAX bytes
 * (many or long values) is not cached: its result is computed into a spare entry every
 * time. Results are computed on a miss, so a stream with a handful of Channel/EventID
 * combinations evaluates logsource conditions a handful of times in all.
 *
 * Key fields: every field that routed `when`s test. One compared for equality somewhere
 * is keyed on its values (type and text of each node: any test of it is then a function
 * of the key); any other (tested for presence only, or only with contains, regexes and the
 * like: a message, a host name) is keyed on its presence only, so that its text does not
 * make every event a new key, and entries that test more than its presence are not
 * routed.
 */
#include "match/route.h"
#include "sigma/ruleset_int.h"

#include <string.h>

#define ROUTE_KEY_MAX 512
#define ROUTE_CACHE   64
#define ROUTE_WAYS    4

/* How a field enters the key. */
enum {
    KEY_NONE,
    KEY_VALUE,
    KEY_PRESENCE
};

struct vg_route {
    const vg_prefilter *pf;
    uint8_t *slot_mode; /* per field slot: KEY_NONE, KEY_VALUE or KEY_PRESENCE */
    size_t n_key;       /* slots in the key */
    uint32_t *routed;   /* routed entries */
    size_t n_routed;
    uint64_t *base;      /* rules that may apply whatever the key */
    uint32_t *entry_off; /* CSR over routed[]: rules of routed[i] */
    uint32_t *entry_rules;
    /* keyword databases of unrouted entries with conditions: scanned when the entry holds */
    uint32_t *defer_entry, *defer_db;
    size_t n_defer;
    uint8_t *deferred; /* per prefilter database: listed in defer_db */
    size_t n_ls, n_words, n_dbs;
};

typedef struct centry {
    bool valid;
    uint64_t used; /* the scratch's clock at its last hit or fill */
    uint64_t hash;
    uint32_t key_len;
    char key[ROUTE_KEY_MAX];
    vg_route_res res;
    int8_t *ls;
    uint64_t *allowed;
    uint8_t *db_skip;
} centry;

struct vg_route_scratch {
    centry c[ROUTE_CACHE + 1]; /* the last one: uncached keys */
    uint64_t clock;            /* lookups so far (centry.used) */
    uint8_t *has;              /* per database, while computing db_skip */
    uint8_t *skip;             /* db_skip with the keyword database unskipped */
    uint32_t *kslots;          /* the key fields an event has */
    char key[ROUTE_KEY_MAX];
};

/* ---- building ---- */

/* Does every value of f test presence only (|exists)? */
static bool exists_only(const vg_fcond *f)
{
    for (size_t v = 0; v < f->n_vals; v++)
        if (f->vals[v].kind != VG_VM_EXISTS)
            return false;
    return f->n_vals > 0;
}

/* Is some value of f an exact comparison? Only a heuristic: a field compared for equality
 * somewhere (Channel, EventID, program) takes few distinct values, so keying on its text
 * keeps the cache small; a field only tested for presence, or only with contains, regexes
 * and the like (a message), would make every event a new key, so only its presence
 * enters the key. */
static bool compares_exact(const vg_fcond *f)
{
    for (size_t v = 0; v < f->n_vals; v++) {
        const vg_vmatch *vm = &f->vals[v];
        if (vm->kind == VG_VM_GLOB && vm->glob.shape == VG_GLOB_EXACT)
            return true;
    }
    return false;
}

/* Call fn on every field condition of a detection; false if it tests something that is
 * not a plain field (keywords, field references). */
static bool each_fcond(const vg_det *det, void (*fn)(void *ctx, const vg_fcond *f), void *ctx)
{
    for (size_t i = 0; i < det->n_sels; i++) {
        const vg_sel *sel = &det->sels[i];
        for (size_t g = 0; g < sel->n_groups; g++) {
            const vg_group *grp = &sel->groups[g];
            for (size_t k = 0; k < grp->n; k++) {
                const vg_fcond *f = &grp->conds[k];
                if (!f->field)
                    return false;
                for (size_t v = 0; v < f->n_vals; v++)
                    if (f->vals[v].kind == VG_VM_FIELDREF)
                        return false;
                if (fn)
                    fn(ctx, f);
            }
        }
    }
    return true;
}

typedef struct mode_ctx {
    uint8_t *mode; /* per slot */
    bool ok;       /* routable so far */
} mode_ctx;

/* First pass: a field compared for equality anywhere is keyed on its values, any other
 * tested field on its presence. */
static void note_mode(void *vctx, const vg_fcond *f)
{
    mode_ctx *c = vctx;
    if (compares_exact(f))
        c->mode[f->slot] = KEY_VALUE;
    else if (c->mode[f->slot] == KEY_NONE)
        c->mode[f->slot] = KEY_PRESENCE;
}

/* Second pass: an entry is routed when the key holds all it tests. */
static void check_mode(void *vctx, const vg_fcond *f)
{
    mode_ctx *c = vctx;
    if (c->mode[f->slot] == KEY_PRESENCE && !exists_only(f))
        c->ok = false;
}

/* Key fields of the routed entries; routed[e] set for each routed entry. */
static bool choose_keys(vg_route *rt, const vg_ruleset *rs, uint8_t *mode, uint8_t *routed)
{
    mode_ctx c = {mode, true};
    for (size_t e = 0; e < rs->ls.n; e++) {
        const vg_det *w = &rs->ls.v[e].when;
        if (w->n_sels && each_fcond(w, NULL, NULL))
            each_fcond(w, note_mode, &c);
    }
    uint8_t *used = vg_calloc(rs->fslots.n ? rs->fslots.n : 1, 1);
    if (!used)
        return false;
    for (size_t e = 0; e < rs->ls.n; e++) {
        const vg_det *w = &rs->ls.v[e].when;
        c.ok = true;
        routed[e] = w->n_sels && each_fcond(w, check_mode, &c) && c.ok;
        if (routed[e])
            for (size_t i = 0; i < w->n_sels; i++)
                for (size_t g = 0; g < w->sels[i].n_groups; g++)
                    for (size_t k = 0; k < w->sels[i].groups[g].n; k++)
                        used[w->sels[i].groups[g].conds[k].slot] = 1;
    }
    rt->slot_mode = vg_calloc(rs->fslots.n ? rs->fslots.n : 1, 1);
    if (!rt->slot_mode) {
        vg_free(used);
        return false;
    }
    for (size_t f = 0; f < rs->fslots.n; f++) {
        if (used[f]) {
            rt->slot_mode[f] = mode[f];
            rt->n_key++;
        }
    }
    vg_free(used);
    return true;
}

static bool build(vg_route *rt, const vg_ruleset *rs, uint8_t *mode, uint8_t *routed)
{
    if (!choose_keys(rt, rs, mode, routed))
        return false;
    int32_t *pos = vg_malloc((rs->ls.n ? rs->ls.n : 1) * sizeof(int32_t));
    rt->routed = vg_malloc((rs->ls.n ? rs->ls.n : 1) * sizeof(uint32_t));
    rt->base = vg_calloc(rt->n_words ? rt->n_words : 1, sizeof(uint64_t));
    if (!pos || !rt->routed || !rt->base) {
        vg_free(pos);
        return false;
    }
    for (size_t e = 0; e < rs->ls.n; e++) {
        pos[e] = -1;
        if (routed[e]) {
            pos[e] = (int32_t)rt->n_routed;
            rt->routed[rt->n_routed++] = (uint32_t)e;
        }
    }
    rt->entry_off = vg_calloc(rt->n_routed + 1, sizeof(uint32_t));
    rt->entry_rules = vg_malloc((rs->rules.n ? rs->rules.n : 1) * sizeof(uint32_t));
    uint32_t *fill = vg_calloc(rt->n_routed + 1, sizeof(uint32_t));
    bool ok = rt->entry_off && rt->entry_rules && fill;
    for (size_t r = 0; ok && r < rs->rules.n; r++) {
        int32_t e = rs->rules.v[r].ls_entry;
        if (e >= 0 && pos[e] >= 0)
            rt->entry_off[pos[e] + 1]++;
        else
            rt->base[r / 64] |= 1ull << (r % 64);
    }
    for (size_t i = 0; ok && i < rt->n_routed; i++)
        rt->entry_off[i + 1] += rt->entry_off[i];
    for (size_t r = 0; ok && r < rs->rules.n; r++) {
        int32_t e = rs->rules.v[r].ls_entry;
        if (e >= 0 && pos[e] >= 0)
            rt->entry_rules[rt->entry_off[pos[e]] + fill[pos[e]]++] = (uint32_t)r;
    }
    vg_free(fill);
    /* The keyword databases of unrouted entries with conditions are decided per event
     * (vg_route_skip); the field databases of their rules are scanned when the event has
     * the field, like those of every other rule that may apply. */
    size_t n_dbs = rt->n_dbs ? rt->n_dbs : 1;
    rt->defer_entry = vg_malloc(n_dbs * sizeof(uint32_t));
    rt->defer_db = vg_malloc(n_dbs * sizeof(uint32_t));
    rt->deferred = vg_calloc(n_dbs, 1);
    ok = ok && rt->defer_entry && rt->defer_db && rt->deferred;
    for (size_t d = 0; ok && d < rt->n_dbs; d++) {
        int64_t e = vg_prefilter_kw_entry(rt->pf, d);
        if (e >= 0 && pos[e] < 0 && rs->ls.v[e].when.n_sels) {
            rt->defer_entry[rt->n_defer] = (uint32_t)e;
            rt->defer_db[rt->n_defer++] = (uint32_t)d;
            rt->deferred[d] = 1;
        }
    }
    vg_free(pos);
    return ok;
}

vg_route *vg_route_new(const vg_ruleset *rs, const vg_prefilter *pf, bool *nomem)
{
    *nomem = false;
    vg_route *rt = vg_calloc(1, sizeof(*rt));
    uint8_t *mode = vg_calloc(rs->fslots.n ? rs->fslots.n : 1, 1);
    uint8_t *routed = vg_calloc(rs->ls.n ? rs->ls.n : 1, 1);
    bool ok = rt && mode && routed;
    if (ok) {
        rt->pf = pf;
        rt->n_ls = rs->ls.n;
        rt->n_words = (rs->rules.n + 63) / 64;
        rt->n_dbs = vg_prefilter_n_dbs(pf);
        ok = build(rt, rs, mode, routed);
    }
    vg_free(mode);
    vg_free(routed);
    if (!ok || rt->n_routed == 0) {
        *nomem = !ok;
        vg_route_free(rt);
        return NULL;
    }
    return rt;
}

void vg_route_free(vg_route *rt)
{
    if (!rt)
        return;
    vg_free(rt->routed);
    vg_free(rt->slot_mode);
    vg_free(rt->base);
    vg_free(rt->entry_off);
    vg_free(rt->entry_rules);
    vg_free(rt->defer_entry);
    vg_free(rt->defer_db);
    vg_free(rt->deferred);
    vg_free(rt);
}

/* ---- per thread ---- */

vg_route_scratch *vg_route_scratch_new(const vg_route *rt)
{
    vg_route_scratch *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->has = vg_calloc(rt->n_dbs ? rt->n_dbs : 1, 1);
    s->skip = vg_calloc(rt->n_dbs ? rt->n_dbs : 1, 1);
    s->kslots = vg_calloc(rt->n_key ? rt->n_key : 1, sizeof(uint32_t));
    bool ok = s->has && s->skip && s->kslots;
    for (size_t i = 0; ok && i <= ROUTE_CACHE; i++) {
        centry *c = &s->c[i];
        c->ls = vg_malloc(rt->n_ls ? rt->n_ls : 1);
        c->allowed = vg_malloc((rt->n_words ? rt->n_words : 1) * sizeof(uint64_t));
        c->db_skip = vg_malloc(rt->n_dbs ? rt->n_dbs : 1);
        ok = c->ls && c->allowed && c->db_skip;
        c->res = (vg_route_res){c->ls, c->allowed, c->db_skip};
    }
    if (!ok) {
        vg_route_scratch_free(s);
        return NULL;
    }
    return s;
}

void vg_route_scratch_free(vg_route_scratch *s)
{
    if (!s)
        return;
    for (size_t i = 0; i <= ROUTE_CACHE; i++) {
        vg_free(s->c[i].ls);
        vg_free(s->c[i].allowed);
        vg_free(s->c[i].db_skip);
    }
    vg_free(s->has);
    vg_free(s->skip);
    vg_free(s->kslots);
    vg_free(s);
}

/* The node a value compares as: an object with a "#text" member compares as that member
 * (as in eval.c). */
static const vg_node *text_of(const vg_event *ev, const vg_node *n)
{
    if (n->type != VG_V_OBJ)
        return n;
    for (uint32_t c = n->first_child; c != VG_NODE_NONE;) {
        const vg_node *k = vg_event_node(ev, c);
        if (k->key.len == 5 && memcmp(k->key.p, "#text", 5) == 0)
            return k;
        c = k->next_sibling;
    }
    return n;
}

/* Serialise everything a routed `when` can look at: for each key field the event has, its
 * number, then (keyed on values) each of its nodes' type, the type of the node it compares
 * as and that node's text, and a terminator. Returns the length, or 0 when the key does
 * not fit. An event without any key field gives an empty key, cached like any other. */
static size_t make_key(const vg_route *rt,
                       vg_route_scratch *s,
                       const vg_event *ev,
                       const uint32_t *present,
                       size_t n_present,
                       uint32_t (*resolve)(void *ctx, uint32_t slot),
                       void *ctx)
{
    /* the key fields among the fields the event may have, in slot order */
    size_t n = 0;
    for (size_t p = 0; p < n_present; p++) {
        uint32_t f = present[p];
        if (rt->slot_mode[f] == KEY_NONE)
            continue;
        size_t j = n++;
        for (; j > 0 && s->kslots[j - 1] > f; j--)
            s->kslots[j] = s->kslots[j - 1];
        s->kslots[j] = f;
    }
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t slot = s->kslots[k];
        uint32_t first = resolve(ctx, slot);
        if (first == VG_NODE_NONE)
            continue;
        if (len + 4 > ROUTE_KEY_MAX)
            return SIZE_MAX;
        memcpy(s->key + len, &slot, 4);
        len += 4;
        if (rt->slot_mode[slot] == KEY_PRESENCE)
            continue;
        for (uint32_t i = first; i != VG_NODE_NONE;) {
            const vg_node *nd = vg_event_node(ev, i);
            const vg_node *t = text_of(ev, nd);
            uint32_t tl = (uint32_t)(t->text.len < UINT32_MAX ? t->text.len : UINT32_MAX);
            if (tl > ROUTE_KEY_MAX || len + 6 + tl + 1 > ROUTE_KEY_MAX)
                return SIZE_MAX;
            s->key[len++] = (char)nd->type;
            s->key[len++] = (char)t->type;
            memcpy(s->key + len, &tl, 4);
            len += 4;
            if (tl)
                memcpy(s->key + len, t->text.p, tl);
            len += tl;
            i = nd->next_same;
        }
        s->key[len++] = (char)0xff; /* not a vg_vtype */
    }
    return len;
}

static void compute(const vg_route *rt,
                    vg_route_scratch *s,
                    centry *c,
                    bool (*when)(void *ctx, uint32_t entry),
                    void *ctx)
{
    memset(c->ls, -1, rt->n_ls);
    memcpy(c->allowed, rt->base, rt->n_words * sizeof(uint64_t));
    for (size_t i = 0; i < rt->n_routed; i++) {
        bool on = when(ctx, rt->routed[i]);
        c->ls[rt->routed[i]] = on ? 1 : 0;
        for (uint32_t j = rt->entry_off[i]; on && j < rt->entry_off[i + 1]; j++) {
            uint32_t r = rt->entry_rules[j];
            c->allowed[r / 64] |= 1ull << (r % 64);
        }
    }
    /* skip the databases that hold no literal of an allowed rule */
    memset(s->has, 0, rt->n_dbs);
    for (size_t w = 0; w < rt->n_words; w++) {
        for (uint64_t bits = c->allowed[w]; bits; bits &= bits - 1) {
            uint32_t r = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            size_t n;
            const uint32_t *dbs = vg_prefilter_rule_dbs(rt->pf, r, &n);
            for (size_t k = 0; k < n; k++)
                s->has[dbs[k]] = 1;
        }
    }
    for (size_t d = 0; d < rt->n_dbs; d++)
        c->db_skip[d] = !s->has[d] || rt->deferred[d];
}

const vg_route_res *vg_route_event(const vg_route *rt,
                                   vg_route_scratch *s,
                                   const vg_event *ev,
                                   const uint32_t *present,
                                   size_t n_present,
                                   uint32_t (*resolve)(void *ctx, uint32_t slot),
                                   bool (*when)(void *ctx, uint32_t entry),
                                   void *ctx)
{
    size_t len = make_key(rt, s, ev, present, n_present, resolve, ctx);
    if (len == SIZE_MAX) {
        centry *c = &s->c[ROUTE_CACHE];
        compute(rt, s, c, when, ctx);
        return &c->res;
    }
    uint64_t h = vg_hash_name(s->key, len);
    centry *set = &s->c[(h ^ (h >> 29)) % (ROUTE_CACHE / ROUTE_WAYS) * ROUTE_WAYS];
    centry *c = set;
    s->clock++;
    for (size_t w = 0; w < ROUTE_WAYS; w++) {
        centry *e = &set[w];
        if (e->valid && e->hash == h && e->key_len == len && memcmp(e->key, s->key, len) == 0) {
            e->used = s->clock;
            return &e->res;
        }
        if (!e->valid || (c->valid && e->used < c->used))
            c = e; /* the one to replace: an empty one, else the least recently used */
    }
    compute(rt, s, c, when, ctx);
    c->used = s->clock;
    c->valid = true;
    c->hash = h;
    c->key_len = (uint32_t)len;
    memcpy(c->key, s->key, len);
    return &c->res;
}

const uint8_t *vg_route_skip(const vg_route *rt,
                             vg_route_scratch *s,
                             const vg_route_res *res,
                             bool (*holds)(void *ctx, uint32_t entry),
                             void *ctx)
{
    const uint8_t *skip = res->db_skip;
    for (size_t i = 0; i < rt->n_defer; i++) {
        if (!skip[rt->defer_db[i]] || !holds(ctx, rt->defer_entry[i]))
            continue;
        if (skip == res->db_skip) {
            memcpy(s->skip, res->db_skip, rt->n_dbs);
            skip = s->skip;
        }
        s->skip[rt->defer_db[i]] = 0;
    }
    return skip;
}
