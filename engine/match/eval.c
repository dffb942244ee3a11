/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eval.c: the reference evaluator: runs compiled rules on one event, directly from the
 * rule structures (see match.h for which rules apply to an event).
 *
 * DESIGN
 * Straightforward by intent: every applicable rule's condition program is walked, each
 * selection evaluated on demand (and memoised per rule evaluation), each field resolved
 * through its candidate names with the schema-on-read lookup of event.h. Logsource
 * mapping conditions are shared by many rules, so their outcome is cached per event in
 * the scratch. This evaluator is the oracle that faster matchers are tested against; keep
 * it simple rather than clever.
 *
 * The fast path (vg_match_event_fast) evaluates candidates with the same code and adds
 * three shortcuts, each exact: fields none of whose names occur in the event resolve to
 * nothing without a lookup (present.h); routed logsource outcomes come from the routing
 * cache (route.h); and a glob or regex value of a rule whose literal the prefilter scan
 * did not see in a scanned field does not match (prefilter.h).
 *
 * Value semantics:
 *   - a field with several values (arrays) matches a value if any of its values does;
 *   - objects and arrays themselves never compare equal to strings, except an object with
 *     a "#text" member (EVTX XML text beside attributes), which compares as that member;
 *   - numbers compare as their text, and numerically when the rule value is a number;
 *   - booleans compare as "true"/"false"; JSON null only matches the Sigma null;
 *   - the Sigma null matches an absent field or a JSON null;
 *   - `exists` checks presence only (a JSON null is present);
 *   - neq negates the whole entry: no value of the field equals any listed value (an
 *     absent field is different from every value).
 */
#include "vigil/match.h"
#include "match/prefilter.h"
#include "match/present.h"
#include "match/route.h"
#include "sigma/ruleset_int.h"
#include "base/ascii.h"
#include "base/timefmt.h"

#include <stdio.h>
#include <string.h>

#define SEL_CACHE_MAX 4096

struct vg_match_scratch {
    vg_regex_scratch *re;
    vg_pf_scratch *pf;       /* NULL without a prefilter */
    vg_route_scratch *rt;    /* NULL without routing */
    const vg_prefilter *pfx; /* the ruleset's prefilter, NULL without one */
    const vg_fslot *fslots;  /* the ruleset's field slots */
    uint32_t *fnode;         /* per field slot: resolved node (valid when fgen == gen) */
    uint32_t *fgen;
    size_t n_fslots;
    uint32_t gen;         /* event generation */
    uint32_t *pstamp;     /* per field slot: == gen when the event may resolve it */
    uint32_t *plist;      /* the slots marked in pstamp */
    vg_present_cache *pc; /* NULL without a prefilter */
    bool lean;            /* this event: unmarked slots resolve to nothing without a lookup */
    bool scanned;         /* this event: the prefilter scan is done (its literal marks hold) */
    int8_t *ls_cache;     /* per mapping entry: -1 unknown, 0 false, 1 true */
    size_t n_ls;
    int8_t sel_cache[SEL_CACHE_MAX];
    vg_match_counters cnt;
    vg_rule_cost *cost; /* per rule */
    size_t n_rules;
    vg_clock_ns_fn clock; /* NULL: no timing */
    uint32_t every, tick;
    bool timing; /* this event is timed */
};

vg_match_scratch *vg_match_scratch_new(const vg_ruleset *rs)
{
    vg_match_scratch *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->re = vg_regex_scratch_new(0, 0);
    s->n_ls = rs->ls.n;
    s->n_rules = rs->rules.n;
    s->cost = vg_calloc(s->n_rules ? s->n_rules : 1, sizeof(*s->cost));
    s->ls_cache = vg_calloc(s->n_ls ? s->n_ls : 1, 1);
    s->n_fslots = rs->fslots.n;
    s->fslots = rs->fslots.v;
    s->fnode = vg_calloc(s->n_fslots ? s->n_fslots : 1, sizeof(uint32_t));
    s->fgen = vg_calloc(s->n_fslots ? s->n_fslots : 1, sizeof(uint32_t));
    s->pstamp = vg_calloc(s->n_fslots ? s->n_fslots : 1, sizeof(uint32_t));
    s->plist = vg_calloc(s->n_fslots ? s->n_fslots : 1, sizeof(uint32_t));
    const vg_route *rt = rs->pf ? vg_prefilter_route(rs->pf) : NULL;
    s->pfx = rs->pf;
    if (rs->pf) {
        s->pf = vg_pf_scratch_new(rs->pf);
        s->pc = vg_present_cache_new();
    }
    if (rt)
        s->rt = vg_route_scratch_new(rt);
    if (!s->re || !s->ls_cache || !s->fnode || !s->fgen || !s->pstamp || !s->plist || !s->cost ||
        (rs->pf && (!s->pf || !s->pc)) || (rt && !s->rt)) {
        vg_match_scratch_free(s);
        return NULL;
    }
    return s;
}

void vg_match_scratch_free(vg_match_scratch *s)
{
    if (!s)
        return;
    vg_regex_scratch_free(s->re);
    vg_pf_scratch_free(s->pf);
    vg_route_scratch_free(s->rt);
    vg_free(s->ls_cache);
    vg_free(s->fnode);
    vg_free(s->fgen);
    vg_free(s->pstamp);
    vg_free(s->plist);
    vg_present_cache_free(s->pc);
    vg_free(s->cost);
    vg_free(s);
}

void vg_match_counters_get(const vg_match_scratch *s, vg_match_counters *out)
{
    *out = s->cnt;
}

void vg_match_scratch_profile(vg_match_scratch *s, vg_clock_ns_fn clock, uint32_t every)
{
    s->clock = every ? clock : NULL;
    s->every = clock ? every : 0;
    s->tick = 0;
}

void vg_match_rule_costs(const vg_match_scratch *s, vg_rule_cost *out, size_t n)
{
    for (size_t i = 0; i < n && i < s->n_rules; i++) {
        out[i].evals += s->cost[i].evals;
        out[i].timed += s->cost[i].timed;
        out[i].ns += s->cost[i].ns;
    }
}

/* ---- values ---- */

static bool is_scalar(const vg_node *n)
{
    return n->type == VG_V_STR || n->type == VG_V_NUM || n->type == VG_V_BOOL;
}

static bool get_time_part(const vg_node *n, vg_time_part tp, vg_num *out)
{
    vg_time t;
    if (!vg_time_parse(n->text.p, n->text.len, &t))
        return false;
    int v = 0;
    switch (tp) {
    case VG_TP_MINUTE:
        v = t.minute;
        break;
    case VG_TP_HOUR:
        v = t.hour;
        break;
    case VG_TP_DAY:
        v = t.day;
        break;
    case VG_TP_WEEK:
        v = t.week;
        break;
    case VG_TP_MONTH:
        v = t.month;
        break;
    case VG_TP_YEAR:
        v = t.year;
        break;
    case VG_TP_NONE:
        return false;
    }
    out->is_int = true;
    out->i = v;
    out->d = v;
    return true;
}

static bool cmp_ok(int c, vg_cmp_op op)
{
    switch (op) {
    case VG_CMP_EQ:
        return c == 0;
    case VG_CMP_GT:
        return c > 0;
    case VG_CMP_GTE:
        return c >= 0;
    case VG_CMP_LT:
        return c < 0;
    case VG_CMP_LTE:
        return c <= 0;
    }
    return false;
}

/* First node of a field: its names tried in order, each by exact path then unique leaf.
 * Memoised per event and field slot. */
static uint32_t resolve(vg_match_scratch *s, const vg_event *ev, uint32_t slot)
{
    if (s->fgen[slot] == s->gen)
        return s->fnode[slot];
    if (s->lean && s->pstamp[slot] != s->gen)
        return VG_NODE_NONE; /* none of its names is a path or key of the event */
    uint32_t idx = vg_fslot_first(&s->fslots[slot], ev);
    s->fgen[slot] = s->gen;
    s->fnode[slot] = idx;
    return idx;
}

static bool fold_eq(const char *a, const char *b, size_t n, bool cased)
{
    if (cased)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (vg_ascii_lower((unsigned char)a[i]) != vg_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}

static bool ref_match(const vg_vmatch *vm, vg_span a, vg_span b)
{
    switch (vm->ref_mode) {
    case 0:
        return a.len == b.len && fold_eq(a.p, b.p, a.len, vm->cased);
    case 2:
        return a.len >= b.len && fold_eq(a.p, b.p, b.len, vm->cased);
    case 3:
        return a.len >= b.len && fold_eq(a.p + a.len - b.len, b.p, b.len, vm->cased);
    default:
        if (b.len == 0)
            return true;
        for (size_t i = 0; i + b.len <= a.len; i++)
            if (fold_eq(a.p + i, b.p, b.len, vm->cased))
                return true;
        return false;
    }
}

/* EVTX-converted XML keeps an element's text beside its attributes:
 * "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045}. Such an object compares
 * as its "#text" member. */
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

/* Does one node's value satisfy one value matcher (GLOB/RE/CIDR/CMP/FIELDREF)? */
static bool
node_match(vg_match_scratch *s, const vg_event *ev, const vg_vmatch *vm, const vg_node *n)
{
    n = text_of(ev, n);
    if (!is_scalar(n))
        return false;
    switch (vm->kind) {
    case VG_VM_GLOB:
        if (vg_glob_match(&vm->glob, n->text.p, n->text.len))
            return true;
        if (vm->num_ok && n->type != VG_V_BOOL) {
            vg_num x;
            if (vg_num_parse(n->text.p, n->text.len, &x))
                return vg_num_cmp(&x, &vm->num) == 0;
        }
        return false;
    case VG_VM_RE: {
        vg_re_result r = vg_regex_match(vm->re, s->re, n->text.p, n->text.len);
        if (r == VG_RE_LIMIT)
            s->cnt.regex_limit++;
        return r == VG_RE_MATCH;
    }
    case VG_VM_CIDR:
        return vg_cidr_match(&vm->cidr, n->text.p, n->text.len);
    case VG_VM_CMP: {
        vg_num x;
        bool ok = vm->tpart != VG_TP_NONE ? get_time_part(n, vm->tpart, &x)
                                          : vg_num_parse(n->text.p, n->text.len, &x);
        return ok && cmp_ok(vg_num_cmp(&x, &vm->num), vm->op);
    }
    case VG_VM_FIELDREF: {
        uint32_t r = resolve(s, ev, vm->ref_slot);
        for (; r != VG_NODE_NONE; r = vg_event_node(ev, r)->next_same) {
            const vg_node *o = vg_event_node(ev, r);
            if (is_scalar(o) && ref_match(vm, n->text, o->text))
                return true;
        }
        return false;
    }
    default:
        return false;
    }
}

/* One value matcher against a field's node chain (or every scalar for keywords). */
static bool value_match(vg_match_scratch *s,
                        const vg_event *ev,
                        const vg_fcond *f,
                        const vg_vmatch *vm,
                        uint32_t first)
{
    switch (vm->kind) {
    case VG_VM_NEVER:
        return false;
    case VG_VM_EXISTS:
        return (first != VG_NODE_NONE) == vm->want;
    case VG_VM_NULL:
        if (first == VG_NODE_NONE)
            return true;
        for (uint32_t i = first; i != VG_NODE_NONE; i = vg_event_node(ev, i)->next_same)
            if (vg_event_node(ev, i)->type == VG_V_NULL)
                return true;
        return false;
    default:
        break;
    }
    /* fast path: the prefilter scan saw no literal that every match of this value has */
    if (s->scanned && !vg_prefilter_value_possible(s->pfx, s->pf, vm))
        return false;
    if (!f->field) {
        uint32_t n = vg_event_count(ev);
        for (uint32_t i = 1; i < n; i++) {
            const vg_node *nd = vg_event_node(ev, i);
            if ((nd->type == VG_V_STR || nd->type == VG_V_NUM) && node_match(s, ev, vm, nd))
                return true;
        }
        return false;
    }
    for (uint32_t i = first; i != VG_NODE_NONE; i = vg_event_node(ev, i)->next_same)
        if (node_match(s, ev, vm, vg_event_node(ev, i)))
            return true;
    return false;
}

static bool fcond_match(vg_match_scratch *s, const vg_event *ev, const vg_fcond *f)
{
    uint32_t first = f->field ? resolve(s, ev, f->slot) : VG_NODE_NONE;
    bool result;
    if (s->scanned && f->field && first == VG_NODE_NONE && f->pf_absent_false) {
        result = false; /* fast path: the field is absent and no value matches that */
    } else if (s->scanned && f->pf_atoms) {
        /* fast path: only the values whose atom the scan may have seen are read */
        result = false;
        for (size_t i = 0; i < f->n_vals && !result; i++)
            if (vg_prefilter_atom_possible(s->pfx, s->pf, f->pf_atoms[i]))
                result = value_match(s, ev, f, &f->vals[i], first);
    } else if (!f->all) {
        result = false;
        for (size_t i = 0; i < f->n_vals && !result; i++)
            result = value_match(s, ev, f, &f->vals[i], first);
    } else {
        /* every group needs one matching alternative; values are sorted by group */
        result = true;
        size_t i = 0;
        while (i < f->n_vals && result) {
            uint32_t g = f->vals[i].group;
            bool any = false;
            for (; i < f->n_vals && f->vals[i].group == g; i++)
                if (!any)
                    any = value_match(s, ev, f, &f->vals[i], first);
            result = any;
        }
    }
    return f->neg ? !result : result;
}

static bool sel_match(vg_match_scratch *s, const vg_event *ev, const vg_sel *sel)
{
    for (size_t g = 0; g < sel->n_groups; g++) {
        const vg_group *grp = &sel->groups[g];
        bool ok = true;
        for (size_t k = 0; k < grp->n && ok; k++)
            ok = fcond_match(s, ev, &grp->conds[k]);
        if (ok)
            return true;
    }
    return false;
}

static bool sel_cached(vg_match_scratch *s, const vg_event *ev, const vg_det *det, uint32_t i)
{
    if (i >= SEL_CACHE_MAX)
        return sel_match(s, ev, &det->sels[i]);
    if (s->sel_cache[i] < 0)
        s->sel_cache[i] = sel_match(s, ev, &det->sels[i]) ? 1 : 0;
    return s->sel_cache[i] == 1;
}

static bool prog_eval(vg_match_scratch *s, const vg_event *ev, const vg_det *det, const vg_prog *p)
{
    switch (p->kind) {
    case VG_P_SEL:
        return sel_cached(s, ev, det, p->sel);
    case VG_P_AND:
        return prog_eval(s, ev, det, p->a) && prog_eval(s, ev, det, p->b);
    case VG_P_OR:
        return prog_eval(s, ev, det, p->a) || prog_eval(s, ev, det, p->b);
    case VG_P_NOT:
        return !prog_eval(s, ev, det, p->a);
    case VG_P_OF: {
        uint32_t need = p->quant ? p->quant : p->n_sels;
        uint32_t have = 0;
        for (uint32_t i = 0; i < p->n_sels; i++) {
            if (sel_cached(s, ev, det, p->sels[i])) {
                if (++have >= need)
                    return true;
            } else if (p->quant == 0) {
                return false;
            }
        }
        return have >= need;
    }
    }
    return false;
}

static bool det_match(vg_match_scratch *s, const vg_event *ev, const vg_det *det)
{
    size_t n = det->n_sels < SEL_CACHE_MAX ? det->n_sels : SEL_CACHE_MAX;
    memset(s->sel_cache, -1, n);
    return prog_eval(s, ev, det, det->prog);
}

/* ---- logsources ---- */

static bool key_conflict(const char *rule, const char *decl)
{
    return rule && decl && strcmp(rule, decl) != 0;
}

static bool key_covered(const char *rule, const char *decl)
{
    return !rule || (decl && strcmp(rule, decl) == 0);
}

static bool ls_applies(const vg_ruleset *rs,
                       vg_match_scratch *s,
                       const vg_event *ev,
                       const vg_rule *r,
                       const vg_logsource *decl)
{
    if (decl) {
        if (key_conflict(r->ls.product, decl->product) ||
            key_conflict(r->ls.category, decl->category) ||
            key_conflict(r->ls.service, decl->service))
            return false;
        if (key_covered(r->ls.product, decl->product) &&
            key_covered(r->ls.category, decl->category) &&
            key_covered(r->ls.service, decl->service))
            return true;
    }
    if (r->ls_entry < 0)
        return true;
    const vg_ls_entry *e = &rs->ls.v[r->ls_entry];
    if (!e->when.n_sels)
        return true;
    int8_t *c = &s->ls_cache[r->ls_entry];
    if (*c < 0)
        *c = det_match(s, ev, &e->when) ? 1 : 0;
    return *c == 1;
}

static void begin_event(vg_match_scratch *s)
{
    memset(s->ls_cache, -1, s->n_ls);
    if (++s->gen == 0) { /* wrapped: forget every memo */
        memset(s->fgen, 0, (s->n_fslots ? s->n_fslots : 1) * sizeof(uint32_t));
        memset(s->pstamp, 0, (s->n_fslots ? s->n_fslots : 1) * sizeof(uint32_t));
        s->gen = 1;
    }
    s->cnt.events++;
    s->timing = s->every && ++s->tick % s->every == 0;
}

/* Does rule r apply to and match the event (filters included)? */
static bool rule_fires(const vg_ruleset *rs,
                       vg_match_scratch *s,
                       const vg_event *ev,
                       uint32_t r,
                       const vg_logsource *declared)
{
    const vg_rule *rule = &rs->rules.v[r];
    if (!ls_applies(rs, s, ev, rule, declared))
        return false;
    s->cnt.rule_evals++;
    vg_rule_cost *c = &s->cost[r];
    c->evals++;
    uint64_t t0 = s->timing ? s->clock() : 0;
    bool fires = det_match(s, ev, &rule->det);
    for (size_t f = 0; fires && f < rule->n_filters; f++)
        fires = !det_match(s, ev, &rule->filters[f]->det);
    if (s->timing) {
        c->ns += s->clock() - t0;
        c->timed++;
    }
    return fires;
}

size_t vg_match_event(const vg_ruleset *rs,
                      vg_match_scratch *s,
                      const vg_event *ev,
                      const vg_logsource *declared,
                      uint32_t *hits,
                      size_t cap)
{
    size_t n_hits = 0;
    begin_event(s);
    s->lean = false;
    s->scanned = false;
    for (size_t r = 0; r < rs->rules.n; r++) {
        if (!rule_fires(rs, s, ev, (uint32_t)r, declared))
            continue;
        if (n_hits < cap)
            hits[n_hits] = (uint32_t)r;
        n_hits++;
    }
    s->cnt.hits += n_hits;
    return n_hits;
}

typedef struct resolve_ctx {
    vg_match_scratch *s;
    const vg_ruleset *rs;
    const vg_event *ev;
} resolve_ctx;

static uint32_t resolve_slot(void *vctx, uint32_t slot)
{
    resolve_ctx *c = vctx;
    return resolve(c->s, c->ev, slot);
}

static bool when_holds(void *vctx, uint32_t entry)
{
    resolve_ctx *c = vctx;
    return det_match(c->s, c->ev, &c->rs->ls.v[entry].when);
}

/* when_holds through the per-event cache of mapping outcomes */
static bool entry_holds(void *vctx, uint32_t entry)
{
    resolve_ctx *c = vctx;
    int8_t *v = &c->s->ls_cache[entry];
    if (*v < 0)
        *v = when_holds(vctx, entry) ? 1 : 0;
    return *v == 1;
}

size_t vg_match_event_fast(const vg_ruleset *rs,
                           vg_match_scratch *s,
                           const vg_event *ev,
                           const vg_logsource *declared,
                           uint32_t *hits,
                           size_t cap)
{
    if (!rs->pf || !s->pf)
        return vg_match_event(rs, s, ev, declared, hits, cap);
    size_t n_hits = 0;
    begin_event(s);
    size_t n_present = vg_present_mark_cached(vg_prefilter_present(rs->pf), s->pc, ev, s->pstamp,
                                              s->gen, s->plist);
    s->lean = true;
    s->scanned = false;
    resolve_ctx rc = {s, rs, ev};
    const vg_route *rt = vg_prefilter_route(rs->pf);
    const vg_route_res *route = NULL;
    const uint8_t *skip = NULL;
    if (rt && !declared) {
        /* logsource routing: the outcome of routed mapping entries for this event */
        route = vg_route_event(rt, s->rt, ev, s->plist, n_present, resolve_slot, when_holds, &rc);
        memcpy(s->ls_cache, route->ls, s->n_ls);
        skip = vg_route_skip(rt, s->rt, route, entry_holds, &rc);
    }
    size_t n_words;
    const uint64_t *cand = vg_prefilter_scan(rs->pf, s->pf, ev, s->plist, n_present, resolve_slot,
                                             &rc, skip, &n_words);
    s->scanned = true;
    for (size_t w = 0; w < n_words; w++) {
        uint64_t word = route ? cand[w] & route->allowed[w] : cand[w];
        for (uint64_t bits = word; bits; bits &= bits - 1) {
            uint32_t r = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            if (!vg_prefilter_more(rs->pf, s->pf, r) || !rule_fires(rs, s, ev, r, declared))
                continue;
            if (n_hits < cap)
                hits[n_hits] = r;
            n_hits++;
        }
    }
    s->cnt.hits += n_hits;
    return n_hits;
}

static bool want_name(const void *ctx, uint64_t h)
{
    return vg_present_may(ctx, h);
}

vg_status vg_match_index(const vg_ruleset *rs, vg_event *ev)
{
    if (!rs->pf)
        return vg_event_index(ev);
    return vg_event_index_some(ev, want_name, vg_present_may_bits(vg_prefilter_present(rs->pf)));
}

vg_status vg_ruleset_build_prefilter_with(
        vg_ruleset *rs, vg_run_tasks_fn run, void *run_ctx, char *err, size_t err_len)
{
    if (!rs->finished) {
        snprintf(err, err_len, "the ruleset is not finished");
        return VG_ERR_INTERNAL;
    }
    if (rs->pf)
        return VG_OK;
    rs->pf = vg_prefilter_new(rs, run, run_ctx, err, err_len);
    return rs->pf ? VG_OK : VG_ERR_NOMEM;
}

vg_status vg_ruleset_build_prefilter(vg_ruleset *rs, char *err, size_t err_len)
{
    return vg_ruleset_build_prefilter_with(rs, NULL, NULL, err, err_len);
}

bool vg_ruleset_prefilter_info(const vg_ruleset *rs, vg_prefilter_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!rs->pf)
        return false;
    vg_pf_stats st;
    vg_prefilter_stats(rs->pf, &st);
    out->n_rules = st.n_rules;
    out->n_filtered = st.n_filtered;
    out->n_always = st.n_always;
    out->n_more = st.n_more_clauses;
    out->n_regex = st.n_regex;
    out->n_literals = st.n_literals;
    out->n_exact = st.n_exact;
    out->n_databases = st.n_databases;
    return true;
}
