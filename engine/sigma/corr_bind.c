/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_bind.c: binding correlation rules at vg_ruleset_finish.
 *
 *  1. Sources: every `rules:` entry is looked up by id, then by name, among the detection
 *     rules and then among the correlations. Not found: an error at the entry.
 *  2. Chains: a correlation over correlations. Loops and chains deeper than
 *     VG_CORR_MAX_DEPTH are errors. A correlation with an error is dropped, and so is every
 *     correlation over it (each reported), so nothing half-bound reaches the correlator.
 *  3. Fields: per source, each group-by name goes through `aliases` (alias -> the field
 *     named for that source's rule name) and is bound to a field slot (detection source) or
 *     to an index into the inner correlation's group-by (chained source: a chained
 *     correlation can only group by, and count values of, what its inner correlation
 *     groups by, because that is all an inner alert carries).
 *  4. Consumers and output: every source lists its consumers (vg_corr_use); a rule or
 *     correlation that feeds correlations alerts on its own only if one of them says
 *     `generate: true` (the specification's default is to generate only the correlation).
 */
#include "sigma/ruleset_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct bctx {
    vg_ruleset *rs;
    vg_diags *d;
    bool *bad; /* per correlation */
} bctx;

static void
err_at(bctx *b, const vg_corr_rule *c, uint32_t line, uint32_t col, const char *fmt, ...)
        VG_PRINTF(5, 6);

static void
err_at(bctx *b, const vg_corr_rule *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vg_diag_add(b->d, VG_SEV_ERROR, VG_ERR_INVALID, c->file, line, col, c->id, "correlation", "%s",
                msg);
}

static bool name_is(const char *id, const char *name, const char *ref)
{
    return strcmp(id, ref) == 0 || (name && strcmp(name, ref) == 0);
}

static bool resolve_src(bctx *b, vg_corr_rule *c, vg_corr_src *s)
{
    vg_ruleset *rs = b->rs;
    for (size_t i = 0; i < rs->rules.n; i++) {
        if (name_is(rs->rules.v[i].id, rs->rules.v[i].name, s->ref)) {
            s->is_corr = false;
            s->idx = (uint32_t)i;
            return true;
        }
    }
    for (size_t i = 0; i < rs->corrs.n; i++) {
        if (name_is(rs->corrs.v[i].id, rs->corrs.v[i].name, s->ref)) {
            s->is_corr = true;
            s->idx = (uint32_t)i;
            return true;
        }
    }
    err_at(b, c, s->line, s->col, "rule '%s' is not loaded (rules are named by id or by name)",
           s->ref);
    return false;
}

static const char *src_name(const vg_ruleset *rs, const vg_corr_src *s)
{
    return s->is_corr ? rs->corrs.v[s->idx].name : rs->rules.v[s->idx].name;
}

/* The field a group-by (or value) name reads from source s; NULL after an error. */
static const char *alias_field(bctx *b, vg_corr_rule *c, const vg_corr_src *s, const char *name)
{
    for (size_t a = 0; a < c->n_aliases; a++) {
        const vg_corr_alias *al = &c->aliases[a];
        if (strcmp(al->name, name) != 0)
            continue;
        const char *sn = src_name(b->rs, s);
        for (size_t k = 0; sn && k < al->n; k++)
            if (strcmp(al->rules[k], sn) == 0)
                return al->fields[k];
        err_at(b, c, al->line, al->col,
               "alias '%s' has no field for rule '%s' (give the rule a 'name' and list it under "
               "the alias)",
               name, s->ref);
        return NULL;
    }
    return name;
}

static bool bind_one(bctx *b, vg_corr_rule *c, vg_corr_src *s, const char *name, vg_corr_bind *out)
{
    const char *f = alias_field(b, c, s, name);
    if (!f)
        return false;
    out->name = f;
    if (!s->is_corr)
        return vg_ruleset_slot(b->rs, f, &out->slot);
    const vg_corr_rule *in = &b->rs->corrs.v[s->idx];
    for (size_t i = 0; i < in->n_group; i++) {
        if (strcmp(in->group[i], f) == 0) {
            out->inner = (uint32_t)i;
            return true;
        }
    }
    err_at(b, c, s->line, s->col,
           "chained correlation '%s' does not group by '%s': a correlation over correlations "
           "can only use the inner group-by fields",
           s->ref, f);
    return false;
}

static vg_status bind_fields(bctx *b, size_t ci)
{
    vg_corr_rule *c = &b->rs->corrs.v[ci];
    for (size_t i = 0; i < c->n_srcs && !b->bad[ci]; i++) {
        vg_corr_src *s = &c->srcs[i];
        s->group = vg_arena_alloc(b->rs->a, (c->n_group + 1) * sizeof(*s->group));
        s->values = vg_arena_alloc(b->rs->a, (c->n_fields + 1) * sizeof(*s->values));
        if (!s->group || !s->values)
            return VG_ERR_NOMEM;
        for (size_t g = 0; g < c->n_group && !b->bad[ci]; g++)
            if (!bind_one(b, c, s, c->group[g], &s->group[g]))
                b->bad[ci] = true;
        for (size_t f = 0; f < c->n_fields && !b->bad[ci]; f++)
            if (!bind_one(b, c, s, c->fields[f], &s->values[f]))
                b->bad[ci] = true;
    }
    for (size_t a = 0; a < c->n_aliases; a++) {
        const vg_corr_alias *al = &c->aliases[a];
        for (size_t k = 0; k < al->n; k++) {
            bool used = false;
            for (size_t i = 0; i < c->n_srcs; i++) {
                const char *sn = src_name(b->rs, &c->srcs[i]);
                used = used || (sn && strcmp(sn, al->rules[k]) == 0);
            }
            if (!used)
                vg_diag_add(b->d, VG_SEV_WARNING, VG_OK, c->file, al->line, al->col, c->id,
                            "correlation",
                            "alias '%s' names rule '%s', which this correlation "
                            "does not use",
                            al->name, al->rules[k]);
        }
    }
    return VG_OK;
}

/* Depth of correlation i (0 over detection rules only); marks loops and too-deep chains
 * bad. state: 0 new, 1 on the current path, 2 done. */
static uint32_t depth_of(bctx *b, size_t i, uint8_t *state, uint32_t level)
{
    vg_corr_rule *c = &b->rs->corrs.v[i];
    if (state[i] == 2)
        return c->depth;
    if (state[i] == 1 || level > VG_CORR_MAX_DEPTH) {
        if (!b->bad[i])
            err_at(b, c, c->line, 0, "correlation '%s' %s", c->title,
                   state[i] == 1 ? "is part of a loop of chained correlations"
                                 : "chains too many correlations");
        b->bad[i] = true;
        return VG_CORR_MAX_DEPTH + 1;
    }
    state[i] = 1;
    uint32_t d = 0;
    for (size_t s = 0; s < c->n_srcs; s++) {
        if (!c->srcs[s].is_corr)
            continue;
        uint32_t x = depth_of(b, c->srcs[s].idx, state, level + 1) + 1;
        if (b->bad[c->srcs[s].idx])
            b->bad[i] = true;
        d = x > d ? x : d;
    }
    state[i] = 2;
    c->depth = d;
    return d;
}

static vg_status add_use(vg_ruleset *rs, vg_corr_use **uses, size_t *n, uint32_t corr, uint32_t src)
{
    vg_corr_use *nv = vg_arena_alloc(rs->a, (*n + 1) * sizeof(*nv));
    if (!nv)
        return VG_ERR_NOMEM;
    if (*n)
        memcpy(nv, *uses, *n * sizeof(*nv));
    nv[*n].corr = corr;
    nv[*n].src = src;
    *uses = nv;
    (*n)++;
    return VG_OK;
}

/* Drop the bad correlations, renumbering chained sources. */
static void compact(bctx *b)
{
    vg_ruleset *rs = b->rs;
    size_t n = rs->corrs.n;
    uint32_t *map = vg_calloc(n ? n : 1, sizeof(uint32_t));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (map)
            map[i] = (uint32_t)k;
        if (!b->bad[i])
            rs->corrs.v[k++] = rs->corrs.v[i];
        else
            rs->stats.n_rejected++;
    }
    rs->corrs.n = k;
    for (size_t i = 0; map && i < k; i++)
        for (size_t s = 0; s < rs->corrs.v[i].n_srcs; s++)
            if (rs->corrs.v[i].srcs[s].is_corr)
                rs->corrs.v[i].srcs[s].idx = map[rs->corrs.v[i].srcs[s].idx];
    vg_free(map);
}

vg_status vg_corr_bind_all(vg_ruleset *rs, vg_diags *d)
{
    size_t n = rs->corrs.n;
    if (n == 0)
        return VG_OK;
    bctx b = {rs, d, vg_calloc(n, sizeof(bool))};
    uint8_t *state = vg_calloc(n, 1);
    vg_status rc = VG_ERR_NOMEM;
    if (!b.bad || !state)
        goto out;
    for (size_t i = 0; i < n; i++) {
        vg_corr_rule *c = &rs->corrs.v[i];
        for (size_t k = 0; k < i; k++)
            if (strcmp(rs->corrs.v[k].id, c->id) == 0)
                vg_diag_add(d, VG_SEV_WARNING, VG_OK, c->file, c->line, 0, c->id, "duplicate-id",
                            "correlation id also used by %s:%u", rs->corrs.v[k].file,
                            rs->corrs.v[k].line);
        for (size_t s = 0; s < c->n_srcs; s++)
            if (!resolve_src(&b, c, &c->srcs[s]))
                b.bad[i] = true;
    }
    for (size_t i = 0; i < n; i++)
        depth_of(&b, i, state, 0);
    for (size_t i = 0; i < n; i++) {
        if (b.bad[i])
            continue;
        rc = bind_fields(&b, i);
        if (rc != VG_OK)
            goto out;
    }
    /* a correlation over a bad one is bad too: repeat until nothing changes */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            const vg_corr_rule *c = &rs->corrs.v[i];
            for (size_t s = 0; !b.bad[i] && s < c->n_srcs; s++) {
                if (c->srcs[s].is_corr && b.bad[c->srcs[s].idx]) {
                    err_at(&b, c, c->srcs[s].line, c->srcs[s].col,
                           "correlation '%s' it chains was rejected", c->srcs[s].ref);
                    b.bad[i] = changed = true;
                }
            }
        }
    }
    compact(&b);
    for (size_t i = 0; i < rs->corrs.n; i++) {
        vg_corr_rule *c = &rs->corrs.v[i];
        for (size_t s = 0; s < c->n_srcs; s++) {
            vg_corr_src *src = &c->srcs[s];
            rc = src->is_corr ? add_use(rs, &rs->corrs.v[src->idx].uses,
                                        &rs->corrs.v[src->idx].n_uses, (uint32_t)i, (uint32_t)s)
                              : add_use(rs, &rs->rules.v[src->idx].uses,
                                        &rs->rules.v[src->idx].n_uses, (uint32_t)i, (uint32_t)s);
            if (rc != VG_OK)
                goto out;
        }
    }
    for (size_t r = 0; r < rs->rules.n; r++) {
        vg_rule *rule = &rs->rules.v[r];
        bool gen = rule->n_uses == 0;
        for (size_t u = 0; u < rule->n_uses; u++)
            gen = gen || rs->corrs.v[rule->uses[u].corr].generate;
        rule->silent = !gen;
    }
    for (size_t i = 0; i < rs->corrs.n; i++) {
        vg_corr_rule *c = &rs->corrs.v[i];
        bool gen = c->n_uses == 0;
        for (size_t u = 0; u < c->n_uses; u++)
            gen = gen || rs->corrs.v[c->uses[u].corr].generate;
        c->silent = !gen;
    }
    rc = VG_OK;
out:
    vg_free(b.bad);
    vg_free(state);
    return rc;
}
