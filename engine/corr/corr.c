/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr.c: the correlator (see vigil/corr.h): windows per group key on event time,
 * watermark and timers, episodes, chains.
 *
 * DESIGN
 * Two ways a correlation is decided (docs/rules.md, "Correlation"):
 *   - on arrival: conditions with lower bounds only (gt, gte), which can only become true as
 *     events come. The window slides: for an in-order event at time t it is [t - T, t]
 *     (both ends inclusive). A "running window" is kept incrementally (count, distinct
 *     values, sum, sources seen) so the in-order path costs O(1) amortised; temporal_ordered
 *     and out-of-order events scan the window's entries instead.
 *   - when the window closes: any upper bound, eq, neq, and value_percentile. A window opens
 *     at a group's first event (t0) and covers [t0, t0 + T]; once the watermark passes
 *     t0 + T it is decided, its events are dropped, and the next window opens at the first
 *     later event.
 * Episodes: a key alerts when its condition becomes true and not again until it has been
 * false (checked on the window just before each in-order event, and whenever the key's
 * events all leave the window). A sustained attack is one alert.
 *
 * Watermark: the latest event time pushed in the current stream minus the allowed
 * lateness. Events before it are late (dropped, counted). Timers (a binary heap of
 * (due, key id, generation)) decide closing windows and free keys whose newest event is
 * more than T behind the watermark; a stale timer (older generation) is skipped.
 *
 * Chains: an alert of a correlation that others use becomes a signal for each of them
 * (group values taken from the inner key), queued and pushed after the current signal, so
 * no key pointer is held across the push. Chains are at most VG_CORR_MAX_DEPTH deep and
 * loop-free (checked when the rules are bound).
 */
#include "corr/corr_core.h"
#include "corr/corr_emit.h"
#include "sigma/ruleset_int.h"

#include <string.h>

#define T_NONE INT64_MIN

/* ---- small helpers ---- */

static const vg_corr_rule *crule(const vg_corr *c, uint32_t i)
{
    return &c->rs->corrs.v[i];
}

static bool value_type(vg_corr_type t)
{
    return t == VG_CT_VALUE_COUNT || t == VG_CT_VALUE_PERCENTILE;
}

#define MAX_INPUTS 65535 /* input name ids are 16 bits; more names share the last id */

static uint16_t input_id(vg_corr *c, const char *name)
{
    for (size_t i = c->n_inputs; i-- > 0;)
        if (c->inputs[i] == name)
            return (uint16_t)i;
    if (c->n_inputs == MAX_INPUTS)
        return MAX_INPUTS - 1;
    if (c->n_inputs == c->cap_inputs) {
        size_t ncap = c->cap_inputs ? c->cap_inputs * 2 : 8;
        const char **nv = vg_realloc(c->inputs, ncap * sizeof(*nv));
        if (!nv)
            return 0;
        c->inputs = nv;
        c->cap_inputs = ncap;
    }
    c->inputs[c->n_inputs] = name;
    return (uint16_t)c->n_inputs++;
}

uint16_t vg_corr_input_owned(vg_corr *c, const char *p, size_t n)
{
    for (size_t i = 0; i < c->n_owned; i++) /* every slot blob names its inputs again */
        if (strlen(c->owned[i]) == n && memcmp(c->owned[i], p, n) == 0)
            return input_id(c, c->owned[i]);
    if (c->n_owned == c->cap_owned) {
        size_t ncap = c->cap_owned ? c->cap_owned * 2 : 8;
        char **nv = vg_realloc(c->owned, ncap * sizeof(*nv));
        if (!nv)
            return UINT16_MAX;
        c->owned = nv;
        c->cap_owned = ncap;
    }
    char *copy = vg_strndup(p, n);
    if (!copy)
        return UINT16_MAX;
    c->owned[c->n_owned++] = copy;
    return input_id(c, copy);
}

const char *vg_corr_input_name(const vg_corr *c, uint32_t id)
{
    return id < c->n_inputs && c->inputs[id] ? c->inputs[id] : "?";
}

/* ---- timers ---- */

static bool heap_push(vg_corr *c, int64_t due, uint32_t id, uint32_t gen)
{
    if (c->n_heap == c->cap_heap) {
        size_t ncap = c->cap_heap ? c->cap_heap * 2 : 256;
        ctimer *nh = vg_realloc(c->heap, ncap * sizeof(*nh));
        if (!nh)
            return false;
        c->st.bytes += (ncap - c->cap_heap) * sizeof(*nh);
        c->heap = nh;
        c->cap_heap = ncap;
    }
    size_t i = c->n_heap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (c->heap[p].due <= due)
            break;
        c->heap[i] = c->heap[p];
        i = p;
    }
    c->heap[i] = (ctimer){due, id, gen};
    return true;
}

static ctimer heap_pop(vg_corr *c)
{
    ctimer top = c->heap[0];
    ctimer last = c->heap[--c->n_heap];
    size_t i = 0, n = c->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l >= n)
            break;
        m = l;
        if (l + 1 < n && c->heap[l + 1].due < c->heap[l].due)
            m = l + 1;
        if (c->heap[m].due >= last.due)
            break;
        c->heap[i] = c->heap[m];
        i = m;
    }
    if (n)
        c->heap[i] = last;
    return top;
}

static void schedule(vg_corr *c, uint32_t id, int64_t due)
{
    ckey *k = &c->st.keys[id];
    if (heap_push(c, due, id, k->gen))
        k->timer = true;
}

/* ---- window statistics over entries [i, j) ---- */

/* Empty the scratch set, sized for `need` values; returns its slot count, 0 when out of
 * memory. */
static uint32_t seen_reset(vg_corr *c, uint32_t need)
{
    uint32_t size = 64;
    while (size < need * 2)
        size *= 2;
    if (size > c->seen_cap) {
        uint64_t *ns = vg_realloc(c->seen, (size_t)size * sizeof(uint64_t));
        if (ns)
            c->seen = ns;
        uint32_t *nc = vg_realloc(c->seen_cnt, (size_t)size * sizeof(uint32_t));
        if (nc)
            c->seen_cnt = nc;
        if (!ns || !nc)
            return 0;
        c->seen_cap = size;
    }
    memset(c->seen_cnt, 0, (size_t)size * sizeof(uint32_t));
    return size;
}

#define SEEN_DONE UINT32_MAX /* percentile: value reported */

/* Count h in the scratch set of `size` slots (seen_reset first); returns its count. */
static uint32_t seen_add(vg_corr *c, uint32_t size, uint64_t h)
{
    uint32_t mask = size - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        if (c->seen_cnt[i] == 0) {
            c->seen[i] = h;
            c->seen_cnt[i] = 1;
            return 1;
        }
        if (c->seen[i] == h)
            return ++c->seen_cnt[i];
    }
}

/* Longest prefix of the rule sequence that occurs in order within entries [i, j). */
static uint32_t ordered_len(const vg_corr_rule *r, const ckey *k, uint32_t i, uint32_t j)
{
    uint32_t best = 0; /* greedy: the next step is taken at its first occurrence */
    for (uint32_t x = i; x < j && best < r->n_srcs; x++)
        if (k->e[x].src == best)
            best++;
    return best;
}

/* ---- temporal_ordered on arrival: latest-start sequences per step ----
 * best[s] is the latest start time of an in-order sequence through step s among the key's
 * events so far (entries taken in sorted order, so ties go by step). It only grows, and
 * best[s] <= best[s-1]; the longest prefix within a window starting at `from` is the first s
 * with best[s] < from. Appending an event costs O(1); an out-of-order or equal-time event
 * rebuilds it from the entries. */

static void dp_add(ck_ext *x, const ck_entry *e)
{
    uint32_t s = e->src;
    if (s >= x->n_best)
        return;
    if (s == 0) {
        if (e->ts > x->best[0])
            x->best[0] = e->ts;
    } else if (x->best[s - 1] > x->best[s]) {
        x->best[s] = x->best[s - 1];
    }
}

static void dp_rebuild(ckey *k)
{
    ck_ext *x = k->x;
    for (uint32_t s = 0; s < x->n_best; s++)
        x->best[s] = INT64_MIN;
    for (uint32_t i = k->off; i < k->n; i++)
        dp_add(x, &k->e[i]);
}

static uint32_t dp_len(const ck_ext *x, int64_t from)
{
    uint32_t n = 0;
    while (n < x->n_best && x->best[n] != INT64_MIN && x->best[n] >= from)
        n++;
    return n;
}

/* Where the in-order sequence found by ordered_len starts (i if nothing matched). */
static uint32_t ordered_first(const ckey *k, uint32_t i, uint32_t j)
{
    for (uint32_t x = i; x < j; x++)
        if (k->e[x].src == 0)
            return x;
    return i;
}

/* The measured value of a window; false if it cannot be computed (out of memory). */
static bool
window_stat(vg_corr *c, const vg_corr_rule *r, const ckey *k, uint32_t i, uint32_t j, double *v)
{
    uint32_t n = j - i;
    switch (r->type) {
    case VG_CT_EVENT_COUNT:
        *v = n;
        return true;
    case VG_CT_TEMPORAL: {
        uint64_t mask = 0;
        for (uint32_t x = i; x < j; x++)
            mask |= (uint64_t)1 << (k->e[x].src & 63);
        *v = __builtin_popcountll(mask);
        return true;
    }
    case VG_CT_TEMPORAL_ORDERED:
        *v = ordered_len(r, k, i, j);
        return true;
    case VG_CT_VALUE_SUM:
    case VG_CT_VALUE_AVG: {
        double sum = 0;
        for (uint32_t x = i; x < j; x++)
            sum += k->e[x].num;
        *v = r->type == VG_CT_VALUE_SUM ? sum : (n ? sum / n : 0);
        return true;
    }
    case VG_CT_VALUE_COUNT:
    case VG_CT_VALUE_PERCENTILE: {
        uint32_t size = seen_reset(c, n), distinct = 0;
        if (!size)
            return false;
        for (uint32_t x = i; x < j; x++)
            distinct += seen_add(c, size, k->e[x].vh) == 1;
        *v = distinct;
        return true;
    }
    }
    return false;
}

/* The running window's value (arrival-decided types except temporal_ordered). */
static double running_stat(const vg_corr_rule *r, const ckey *k)
{
    uint32_t n = k->n - k->run;
    switch (r->type) {
    case VG_CT_EVENT_COUNT:
        return n;
    case VG_CT_TEMPORAL:
        return k->x->run_srcs;
    case VG_CT_VALUE_COUNT:
        return k->x->run_distinct;
    case VG_CT_VALUE_SUM:
        return k->x->run_sum;
    case VG_CT_VALUE_AVG:
        return n ? k->x->run_sum / n : 0;
    default:
        return 0;
    }
}

static bool num_type(vg_corr_type t)
{
    return t == VG_CT_VALUE_SUM || t == VG_CT_VALUE_AVG;
}

static void run_enter(const vg_corr_rule *r, ckey *k, const ck_entry *e)
{
    if (num_type(r->type))
        k->x->run_sum += e->num;
    if (r->type == VG_CT_TEMPORAL && k->x && k->x->srccnt && k->x->srccnt[e->src & 63]++ == 0)
        k->x->run_srcs++;
    if (r->type == VG_CT_VALUE_COUNT) {
        ck_val *v = cs_val_get(k, e->vh);
        if (v && v->run++ == 0)
            k->x->run_distinct++;
    }
}

static void run_leave(const vg_corr_rule *r, ckey *k, const ck_entry *e)
{
    if (num_type(r->type))
        k->x->run_sum -= e->num;
    if (r->type == VG_CT_TEMPORAL && k->x && k->x->srccnt && --k->x->srccnt[e->src & 63] == 0)
        k->x->run_srcs--;
    if (r->type == VG_CT_VALUE_COUNT) {
        ck_val *v = cs_val_get(k, e->vh);
        if (v && v->run > 0 && --v->run == 0)
            k->x->run_distinct--;
    }
}

/* Move the running window's start to the first entry with ts >= from. */
static void run_advance(const vg_corr_rule *r, ckey *k, int64_t from)
{
    while (k->run < k->n && k->e[k->run].ts < from) {
        run_leave(r, k, &k->e[k->run]);
        k->run++;
    }
}

/* Drop the oldest entry of the key, keeping the running window consistent. */
static void drop_oldest(vg_corr *c, const vg_corr_rule *r, ckey *k)
{
    if (k->run == k->off && k->off < k->n) {
        run_leave(r, k, &k->e[k->off]);
        k->run++;
    }
    cs_pop_front(&c->st, k);
}

/* ---- alerts and chains ---- */

/* Queue a signal for every correlation chained on r, built from key k's group values. */
static void
chain(vg_corr *c, const vg_corr_rule *r, const ckey *k, int64_t ts, const ck_entry *last)
{
    for (size_t u = 0; u < r->n_uses; u++) {
        const vg_corr_use *use = &r->uses[u];
        const vg_corr_rule *o = crule(c, use->corr);
        const vg_corr_src *src = &o->srcs[use->src];
        vg_corr_sigs *p = c->pending;
        size_t mark = p->blen, key_off = p->blen;
        bool ok = true;
        for (size_t g = 0; ok && g < o->n_group; g++) {
            vg_span v;
            ok = vg_ckey_value(ck_kb(k), k->klen, src->group[g].inner, &v) &&
                 vg_csigs_put_value(p, v.p, v.len);
        }
        size_t val_off = p->blen;
        double num = 0;
        for (size_t f = 0; ok && f < o->n_fields; f++) {
            vg_span v;
            ok = vg_ckey_value(ck_kb(k), k->klen, src->values[f].inner, &v) &&
                 vg_csigs_put_value(p, v.p, v.len);
            if (ok && (o->type == VG_CT_VALUE_SUM || o->type == VG_CT_VALUE_AVG)) {
                vg_num nv;
                if (!vg_num_parse(v.p, v.len, &nv))
                    ok = false;
                num = nv.d;
            }
        }
        vg_csig *g = ok ? vg_csigs_push(p) : NULL;
        if (!g) {
            p->blen = mark;
            c->ct.cap_keys++;
            continue;
        }
        g->corr = use->corr;
        g->src = use->src;
        g->ts = ts;
        g->key_off = key_off;
        g->key_len = (uint32_t)(val_off - key_off);
        g->val_off = val_off;
        g->val_len = (uint32_t)(p->blen - val_off);
        g->num = num;
        g->org.input = vg_corr_input_name(c, last->inp);
        g->org.record = last->rec;
        g->org.line = last->line;
    }
}

/* A correlation fired over entries [i, j) of k. */
static void fire(vg_corr *c, uint32_t id, uint32_t i, uint32_t j, double value, const ck_val *fv)
{
    ckey *k = &c->st.keys[id];
    const vg_corr_rule *r = crule(c, k->corr);
    c->ct.alerts++;
    bool show = !r->silent;
    if (show && r->sup.period_ms) {
        vg_span vals[16];
        size_t n = r->sup.n_by < 16 ? r->sup.n_by : 16;
        for (size_t x = 0; x < n; x++) {
            vals[x] = (vg_span){"", 0};
            vg_ckey_value(ck_kb(k), k->klen, r->sup.gidx[x], &vals[x]);
        }
        uint64_t key = vg_suppress_key_of(1, r->id, k->corr, vals, n);
        if (!vg_suppress_allow(c->sup, key, k->e[j - 1].ts, r->sup.period_ms)) {
            show = false;
            c->ct.suppressed++;
        }
    }
    if (show && c->out) {
        cemit_window w = {k->e[i].ts, k->e[j - 1].ts, value, j - i};
        cemit_alert(c, c->out, c->rs, r, k, i, j, &w, fv, c->o.sample, c->now);
    }
    if (r->n_uses)
        chain(c, r, k, k->e[j - 1].ts, &k->e[j - 1]);
}

/* ---- deciding ---- */

/* at-close: decide the open window of key id and drop its events. */
static void close_window(vg_corr *c, uint32_t id)
{
    ckey *k = &c->st.keys[id];
    const vg_corr_rule *r = crule(c, k->corr);
    uint32_t i = k->off, j = cs_lower(k, k->x->w0 + r->timespan_ms, true);
    if (j > i) {
        if (r->type == VG_CT_VALUE_PERCENTILE) {
            double total = j - i;
            uint32_t size = seen_reset(c, j - i);
            if (size) {
                for (uint32_t x = i; x < j; x++)
                    seen_add(c, size, k->e[x].vh);
                /* one alert per value, in order of first appearance */
                for (uint32_t x = i; x < j; x++) {
                    uint64_t h = k->e[x].vh;
                    uint32_t mask = size - 1, s = (uint32_t)h & mask;
                    while (c->seen[s] != h || c->seen_cnt[s] == 0)
                        s = (s + 1) & mask;
                    if (c->seen_cnt[s] == SEEN_DONE)
                        continue;
                    double pct = 100.0 * c->seen_cnt[s] / total;
                    c->seen_cnt[s] = SEEN_DONE;
                    if (vg_corr_cond_holds(r, pct))
                        fire(c, id, i, j, pct, cs_val_get(k, h));
                    k = &c->st.keys[id];
                }
            }
        } else {
            double v;
            if (window_stat(c, r, k, i, j, &v) && vg_corr_cond_holds(r, v))
                fire(c, id, i, j, v, NULL);
        }
    }
    k = &c->st.keys[id];
    cs_drop_front(&c->st, k, j);
    if (k->off < k->n) {
        k->x->w0 = k->e[k->off].ts;
        k->gen++;
        schedule(c, id, k->x->w0 + r->timespan_ms);
    } else {
        cs_del(&c->st, id);
        c->ct.evicted++;
    }
}

static void run_timers(vg_corr *c)
{
    while (c->n_heap > 0 && c->heap[0].due < c->wm) {
        ctimer t = heap_pop(c);
        ckey *k = &c->st.keys[t.id];
        if (!k->live || k->gen != t.gen)
            continue;
        k->timer = false;
        const vg_corr_rule *r = crule(c, k->corr);
        if (r->at_close) {
            vg_corr_mark(c, k);
            close_window(c, t.id);
        } else if (k->max_ts + r->timespan_ms < c->wm) {
            vg_corr_mark(c, k);
            cs_del(&c->st, t.id);
            c->ct.evicted++;
        } else {
            schedule(c, t.id, k->max_ts + r->timespan_ms);
        }
    }
}

/* Arrival-decided: key id got entry at index at (already inserted). */
static void decide_arrival(vg_corr *c, uint32_t id, uint32_t at, bool in_order, bool held_before)
{
    ckey *k = &c->st.keys[id];
    const vg_corr_rule *r = crule(c, k->corr);
    int64_t T = r->timespan_ms;
    if (in_order) {
        if (!held_before)
            k->episode = false;
        double v;
        uint32_t i = k->run;
        if (r->type == VG_CT_TEMPORAL_ORDERED) {
            uint32_t len = dp_len(k->x, k->e[k->n - 1].ts - T);
            v = len;
            if (len > 0) /* the sequence, not what came before it */
                i = cs_lower(k, k->x->best[len - 1], false);
        } else {
            v = running_stat(r, k);
        }
        if (vg_corr_cond_holds(r, v) && !k->episode) {
            k->episode = true;
            fire(c, id, i, k->n, v, NULL);
        }
        return;
    }
    if (k->episode)
        return;
    /* out of order: the windows that end at an entry within T after it */
    int64_t t = k->e[at].ts;
    uint32_t end = cs_lower(k, t + T, true);
    for (uint32_t x = at; x < end; x++) {
        int64_t te = k->e[x].ts;
        uint32_t i = cs_lower(k, te - T, false), j = cs_lower(k, te, true);
        double v;
        if (window_stat(c, r, k, i, j, &v) && vg_corr_cond_holds(r, v)) {
            k->episode = true;
            if (r->type == VG_CT_TEMPORAL_ORDERED)
                i = ordered_first(k, i, j);
            fire(c, id, i, j, v, NULL);
            return;
        }
        k = &c->st.keys[id];
    }
}

static void
push_one(vg_corr *c, const vg_corr_sigs *sigs, const vg_csig *g, uint64_t h, bool chained)
{
    const vg_corr_rule *r = crule(c, g->corr);
    /* no group-by and no value: the list may have no bytes at all */
    const char *kb = sigs->bytes ? sigs->bytes + g->key_off : "";
    const char *vb = sigs->bytes ? sigs->bytes + g->val_off : "";
    if (!chained) {
        /* a shard's signal carries the whole stream's time so far (vigil/corr.h) */
        int64_t t = g->stream_ts > g->ts ? g->stream_ts : g->ts;
        if (t > c->max_ts) {
            c->max_ts = t;
            int64_t wm = t - c->o.lateness_ms;
            if (wm > c->wm) {
                c->wm = wm;
                run_timers(c);
            }
        }
        if (g->ts < c->wm) {
            c->ct.late++;
            return;
        }
    }
    if (chained)
        h = cs_hash(g->corr, kb, g->key_len);
    uint32_t id = cs_find(&c->st, h, g->corr, kb, g->key_len);
    if (id == UINT32_MAX) {
        if (c->st.bytes > c->o.max_bytes) {
            c->ct.cap_keys++;
            return;
        }
        id = cs_add(&c->st, h, g->corr, kb, g->key_len, r->type != VG_CT_EVENT_COUNT || r->at_close,
                    r->type == VG_CT_TEMPORAL,
                    r->type == VG_CT_TEMPORAL_ORDERED ? (uint32_t)r->n_srcs : 0);
        if (id == UINT32_MAX) {
            c->ct.cap_keys++;
            return;
        }
        c->st.keys[id].max_ts = T_NONE;
    }
    ckey *k = &c->st.keys[id];
    vg_corr_mark(c, k);
    ck_entry e;
    memset(&e, 0, sizeof(e));
    e.ts = g->ts;
    if (num_type(r->type))
        e.num = g->num;
    e.rec = g->org.record;
    e.line = g->org.line <= UINT32_MAX ? (uint32_t)g->org.line : 0;
    e.src = (uint16_t)g->src;
    e.inp = input_id(c, g->org.input);
    if (value_type(r->type)) {
        e.vh = cs_val_hash(vb, g->val_len);
        if (!cs_val_add(&c->st, k, e.vh, vb, g->val_len)) {
            c->ct.cap_entries++;
            return;
        }
    }
    int64_t T = r->timespan_ms;
    /* events a key keeps: an event_count decided on arrival needs only its threshold's
     * worth (and the new one); others up to max_entries, past which the oldest go, counted */
    bool need_only = r->count_need && r->count_need < c->o.max_entries;
    uint32_t kmax = need_only ? r->count_need + 1 : c->o.max_entries;
    while (k->n - k->off >= kmax) {
        drop_oldest(c, r, k);
        if (!need_only)
            c->ct.cap_entries++;
    }
    bool in_order = g->ts >= k->max_ts;
    bool held_before = false;
    if (!r->at_close && in_order) {
        run_advance(r, k, g->ts - T);
        if (k->run < k->n) {
            double v = r->type == VG_CT_TEMPORAL_ORDERED ? dp_len(k->x, g->ts - T)
                                                         : running_stat(r, k);
            held_before = vg_corr_cond_holds(r, v);
        }
    }
    uint32_t at = cs_insert(&c->st, k, &e, r->type == VG_CT_TEMPORAL_ORDERED);
    if (at == UINT32_MAX) {
        if (value_type(r->type))
            cs_val_release(&c->st, k, e.vh);
        c->ct.cap_entries++;
        return;
    }
    if (!r->at_close) {
        /* the running window is [max_ts - T, max_ts] */
        int64_t newest = in_order ? g->ts : k->max_ts;
        if (at < k->run)
            k->run++;
        else if (g->ts >= newest - T)
            run_enter(r, k, &k->e[at]);
        else
            k->run++; /* before the running window: never in it */
    }
    if (r->type == VG_CT_TEMPORAL_ORDERED) {
        if (at + 1 == k->n && g->ts > k->max_ts)
            dp_add(k->x, &k->e[at]);
        else
            dp_rebuild(k); /* placed before others, or a tie */
    }
    if (in_order)
        k->max_ts = g->ts;
    c->ct.signals++;
    if (r->at_close) {
        if (!k->x->open || g->ts < k->x->w0) {
            k->x->open = true;
            k->x->w0 = g->ts;
            k->gen++;
            schedule(c, id, k->x->w0 + T);
        }
        return;
    }
    /* evict what no window can reach any more */
    int64_t horizon = k->max_ts - T - c->o.lateness_ms;
    while (k->off < at && k->e[k->off].ts < horizon)
        drop_oldest(c, r, k); /* indexes are absolute: `at` stays valid */
    decide_arrival(c, id, at, in_order, held_before);
    k = &c->st.keys[id];
    if (!k->timer)
        schedule(c, id, k->max_ts + T);
}

static void drain_pending(vg_corr *c)
{
    for (int depth = 0; depth <= VG_CORR_MAX_DEPTH && c->pending->n > 0; depth++) {
        vg_corr_sigs *now = c->pending;
        c->pending = c->pending2;
        c->pending2 = now;
        vg_corr_sigs_clear(c->pending);
        for (size_t i = 0; i < now->n; i++) {
            c->ct.chained++;
            push_one(c, now, &now->v[i], 0, true);
        }
        vg_corr_sigs_clear(now);
    }
    vg_corr_sigs_clear(c->pending);
}

/* ---- restore (snapshot.c) ---- */

void vg_corr_key_restored(vg_corr *c, uint32_t id)
{
    ckey *k = &c->st.keys[id];
    const vg_corr_rule *r = crule(c, k->corr);
    int64_t T = r->timespan_ms;
    k->run = k->off;
    if (!r->at_close) {
        k->run = cs_lower(k, k->max_ts - T, false);
        for (uint32_t x = k->run; x < k->n; x++)
            run_enter(r, k, &k->e[x]);
    }
    if (r->type == VG_CT_TEMPORAL_ORDERED)
        dp_rebuild(k);
    schedule(c, id, r->at_close ? k->x->w0 + T : k->max_ts + T);
}

/* ---- API ---- */

vg_corr *vg_corr_new(const vg_ruleset *rs, const vg_corr_opts *opts)
{
    vg_corr *c = vg_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->rs = rs;
    if (opts)
        c->o = *opts;
    if (c->o.max_bytes == 0)
        c->o.max_bytes = (size_t)1 << 30;
    if (c->o.max_entries == 0)
        c->o.max_entries = 65536;
    if (c->o.sample == 0)
        c->o.sample = 10;
    if (c->o.lateness_ms < 0)
        c->o.lateness_ms = 0;
    cs_init(&c->st);
    c->max_ts = T_NONE;
    c->wm = T_NONE;
    c->pending = vg_corr_sigs_new();
    c->pending2 = vg_corr_sigs_new();
    c->sup = vg_suppress_new();
    if (!c->pending || !c->pending2 || !c->sup) {
        vg_corr_free(c);
        return NULL;
    }
    return c;
}

void vg_corr_free(vg_corr *c)
{
    if (!c)
        return;
    cs_fini(&c->st);
    vg_free(c->heap);
    vg_free(c->inputs);
    for (size_t i = 0; i < c->n_owned; i++)
        vg_free(c->owned[i]);
    vg_free(c->owned);
    vg_free(c->seen);
    vg_free(c->seen_cnt);
    vg_suppress_free(c->sup);
    vg_corr_sigs_free(c->pending);
    vg_corr_sigs_free(c->pending2);
    vg_free(c);
}

vg_status vg_corr_push(vg_corr *c, const vg_corr_sigs *sigs, vg_buf *out, int64_t detect_ms)
{
    c->out = out;
    c->now = detect_ms;
    /* Group keys are looked up at random: hash PREFETCH signals ahead and ask for their
     * table slots early, so the lookups find them in cache. */
#define PREFETCH 8
    uint64_t ring[PREFETCH];
    for (size_t i = 0; i < sigs->n + PREFETCH; i++) {
        if (i >= PREFETCH && sigs->v[i - PREFETCH].corr < c->rs->corrs.n) {
            push_one(c, sigs, &sigs->v[i - PREFETCH], ring[i % PREFETCH], false);
            drain_pending(c);
        }
        if (i < sigs->n) {
            const vg_csig *g = &sigs->v[i];
            const char *kb = sigs->bytes ? sigs->bytes + g->key_off : "";
            uint64_t h = cs_hash(g->corr, kb, g->key_len);
            ring[i % PREFETCH] = h;
            if (c->st.tab)
                __builtin_prefetch(&c->st.tab[(uint32_t)(h >> 32) & (c->st.tab_size - 1)]);
        }
    }
#undef PREFETCH
    c->out = NULL;
    return VG_OK;
}

void vg_corr_new_stream(vg_corr *c)
{
    c->max_ts = T_NONE;
    c->wm = T_NONE;
}

void vg_corr_advance(vg_corr *c, int64_t wm_ms, vg_buf *out, int64_t detect_ms)
{
    if (wm_ms <= c->wm)
        return;
    c->out = out;
    c->now = detect_ms;
    c->wm = wm_ms;
    run_timers(c);
    drain_pending(c);
    c->out = NULL;
}

void vg_corr_see(vg_corr *c, int64_t max_ms, vg_buf *out, int64_t detect_ms)
{
    if (max_ms == T_NONE || max_ms <= c->max_ts)
        return;
    c->max_ts = max_ms;
    vg_corr_advance(c, max_ms - c->o.lateness_ms, out, detect_ms);
}

void vg_corr_finish(vg_corr *c, vg_buf *out, int64_t detect_ms)
{
    c->out = out;
    c->now = detect_ms;
    /* chained signals may open windows that must close too: repeat */
    for (int round = 0; round <= VG_CORR_MAX_DEPTH + 1 && c->n_heap > 0; round++) {
        c->wm = INT64_MAX;
        run_timers(c);
        drain_pending(c);
    }
    c->max_ts = T_NONE;
    c->wm = T_NONE;
    c->out = NULL;
}

void vg_corr_dirty_take(vg_corr *c, uint64_t set[VG_CORR_SLOT_WORDS])
{
    for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++) {
        set[i] |= c->dirty[i];
        c->dirty[i] = 0;
    }
}

int64_t vg_corr_watermark(const vg_corr *c)
{
    return c->wm;
}

void vg_corr_counters_get(const vg_corr *c, vg_corr_counters *out)
{
    *out = c->ct;
    out->keys = c->st.n_live;
    out->bytes = c->st.bytes;
}
