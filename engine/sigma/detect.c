/* SPDX-License-Identifier: Apache-2.0 */
/*
 * detect.c: a Sigma `detection` section -> selections + condition program (vg_det).
 *
 * Search identifiers:
 *   map            one group: AND of its entries
 *   list of maps   OR of groups
 *   list of values keyword search (OR of the values, contains semantics)
 *   a list may mix maps and values: each item is one alternative
 * Condition: one string, or a list of strings (OR). Names are resolved here: an unknown
 * identifier is an error at its position inside the condition string; "x of pattern"
 * expands to the identifiers the pattern matches (in definition order), and "them" to
 * every identifier not starting with '_'. A pattern that matches nothing is an error.
 */
#include "sigma/rule_int.h"
#include "sigma/cond.h"

#include <stdio.h>
#include <string.h>

static vg_status add_group_item(vg_cctx *c, const vg_ynode *item, vg_group *g)
{
    if (item->kind == VG_Y_MAP) {
        if (item->n == 0) {
            vg_cctx_error(c, item, VG_ERR_INVALID, "detection", "empty map in a selection");
            return VG_ERR_INVALID;
        }
        g->conds = vg_arena_alloc(c->a, item->n * sizeof(vg_fcond));
        if (!g->conds)
            return VG_ERR_NOMEM;
        g->n = item->n;
        for (size_t i = 0; i < item->n; i++) {
            vg_status rc =
                    vg_fcond_compile(c, item->items[2 * i], item->items[2 * i + 1], &g->conds[i]);
            if (rc != VG_OK)
                return rc;
        }
        return VG_OK;
    }
    /* a keyword value or list of values */
    g->conds = vg_arena_alloc(c->a, sizeof(vg_fcond));
    if (!g->conds)
        return VG_ERR_NOMEM;
    g->n = 1;
    return vg_fcond_compile(c, NULL, item, &g->conds[0]);
}

vg_status vg_sel_compile(vg_cctx *c, const char *name, const vg_ynode *node, vg_sel *out)
{
    memset(out, 0, sizeof(*out));
    out->name = name;
    if (node->kind == VG_Y_MAP) {
        out->groups = vg_arena_alloc(c->a, sizeof(vg_group));
        if (!out->groups)
            return VG_ERR_NOMEM;
        out->n_groups = 1;
        return add_group_item(c, node, &out->groups[0]);
    }
    if (node->kind == VG_Y_SEQ) {
        if (node->n == 0) {
            vg_cctx_error(c, node, VG_ERR_INVALID, "detection", "empty search identifier");
            return VG_ERR_INVALID;
        }
        /* Scalars in the list form one keyword group; each map is its own group. */
        size_t n_maps = 0, n_scalars = 0;
        for (size_t i = 0; i < node->n; i++) {
            if (node->items[i]->kind == VG_Y_MAP)
                n_maps++;
            else if (node->items[i]->kind == VG_Y_SCALAR)
                n_scalars++;
            else {
                vg_cctx_error(c, node->items[i], VG_ERR_INVALID, "detection",
                              "nested lists are not allowed in a search identifier");
                return VG_ERR_INVALID;
            }
        }
        size_t n_groups = n_maps + (n_scalars ? 1 : 0);
        out->groups = vg_arena_alloc(c->a, n_groups * sizeof(vg_group));
        if (!out->groups)
            return VG_ERR_NOMEM;
        memset(out->groups, 0, n_groups * sizeof(vg_group));
        size_t gi = 0;
        if (n_scalars) {
            if (n_maps == 0) {
                vg_status rc = add_group_item(c, node, &out->groups[gi++]);
                if (rc != VG_OK)
                    return rc;
            } else {
                /* build a synthetic list of the scalar items */
                vg_ynode *lst = vg_arena_alloc(c->a, sizeof(vg_ynode));
                if (!lst)
                    return VG_ERR_NOMEM;
                *lst = *node;
                lst->items = vg_arena_alloc(c->a, n_scalars * sizeof(vg_ynode *));
                if (!lst->items)
                    return VG_ERR_NOMEM;
                lst->n = 0;
                for (size_t i = 0; i < node->n; i++)
                    if (node->items[i]->kind == VG_Y_SCALAR)
                        lst->items[lst->n++] = node->items[i];
                vg_status rc = add_group_item(c, lst, &out->groups[gi++]);
                if (rc != VG_OK)
                    return rc;
            }
        }
        for (size_t i = 0; i < node->n; i++) {
            if (node->items[i]->kind != VG_Y_MAP)
                continue;
            vg_status rc = add_group_item(c, node->items[i], &out->groups[gi++]);
            if (rc != VG_OK)
                return rc;
        }
        out->n_groups = gi;
        return VG_OK;
    }
    if (vg_ynode_is_null(node)) {
        vg_cctx_error(c, node, VG_ERR_INVALID, "detection", "search identifier '%s' is empty",
                      name);
        return VG_ERR_INVALID;
    }
    /* a single keyword */
    out->groups = vg_arena_alloc(c->a, sizeof(vg_group));
    if (!out->groups)
        return VG_ERR_NOMEM;
    out->n_groups = 1;
    return add_group_item(c, node, &out->groups[0]);
}

/* ---- condition -> program ---- */

typedef struct cond_src {
    const vg_ynode *node; /* the condition scalar, for positions */
} cond_src;

static void cond_error(vg_cctx *c,
                       const vg_ynode *n,
                       uint32_t pos,
                       vg_status code,
                       const char *reason,
                       const char *msg)
{
    uint32_t col = n->col + (n->quoted ? 1u : 0u) + pos;
    vg_diag_add(c->d, VG_SEV_ERROR, code, c->file, n->line, col, c->rule_id, reason, "%s", msg);
    c->n_errors++;
}

static vg_prog *
to_prog(vg_cctx *c, const vg_ynode *src, const vg_cond *e, const vg_det *det, uint32_t depth)
{
    char msg[200];
    if (depth > 10000) {
        cond_error(c, src, e->pos, VG_ERR_LIMIT, "condition", "condition nested too deep");
        return NULL;
    }
    vg_prog *p = vg_arena_alloc(c->a, sizeof(*p));
    if (!p)
        return NULL;
    memset(p, 0, sizeof(*p));
    switch (e->kind) {
    case VG_COND_ID:
        for (size_t i = 0; i < det->n_sels; i++) {
            if (strcmp(det->sels[i].name, e->name) == 0) {
                p->kind = VG_P_SEL;
                p->sel = (uint32_t)i;
                return p;
            }
        }
        snprintf(msg, sizeof(msg), "condition refers to unknown search identifier '%.80s'",
                 e->name);
        cond_error(c, src, e->pos, VG_ERR_INVALID, "condition", msg);
        return NULL;
    case VG_COND_AND:
    case VG_COND_OR:
        p->kind = e->kind == VG_COND_AND ? VG_P_AND : VG_P_OR;
        p->a = to_prog(c, src, e->a, det, depth + 1);
        p->b = p->a ? to_prog(c, src, e->b, det, depth + 1) : NULL;
        return p->b ? p : NULL;
    case VG_COND_NOT:
        p->kind = VG_P_NOT;
        p->a = to_prog(c, src, e->a, det, depth + 1);
        return p->a ? p : NULL;
    case VG_COND_OF: {
        p->kind = VG_P_OF;
        p->quant = e->quant;
        p->sels = vg_arena_alloc(c->a, (det->n_sels ? det->n_sels : 1) * sizeof(uint32_t));
        if (!p->sels)
            return NULL;
        for (size_t i = 0; i < det->n_sels; i++) {
            const char *nm = det->sels[i].name;
            bool hit = e->name ? vg_cond_pattern_match(e->name, nm) : nm[0] != '_';
            if (hit)
                p->sels[p->n_sels++] = (uint32_t)i;
        }
        if (p->n_sels == 0) {
            snprintf(msg, sizeof(msg), "'%.80s' matches no search identifier",
                     e->name ? e->name : "them");
            cond_error(c, src, e->pos, VG_ERR_INVALID, "condition", msg);
            return NULL;
        }
        if (p->quant > p->n_sels) {
            snprintf(msg, sizeof(msg), "%u of '%.80s': only %u search identifiers match", p->quant,
                     e->name ? e->name : "them", p->n_sels);
            vg_diag_add(c->d, VG_SEV_WARNING, VG_OK, c->file, src->line, src->col, c->rule_id,
                        "condition", "%s", msg);
        }
        return p;
    }
    }
    return NULL;
}

static vg_prog *compile_cond_string(vg_cctx *c, const vg_ynode *n, const vg_det *det)
{
    if (n->kind != VG_Y_SCALAR) {
        vg_cctx_error(c, n, VG_ERR_INVALID, "condition", "condition must be a string");
        return NULL;
    }
    vg_cond_err err;
    vg_cond *e = vg_cond_parse(c->a, n->str, n->len, &err);
    if (!e) {
        cond_error(c, n, err.pos, err.code,
                   err.code == VG_ERR_UNSUPPORTED ? "condition-unsupported" : "condition", err.msg);
        return NULL;
    }
    return to_prog(c, n, e, det, 0);
}

vg_status vg_det_compile(vg_cctx *c,
                         const vg_ynode *map,
                         const vg_ynode *cond_node,
                         const char *const *skip,
                         vg_det *out)
{
    memset(out, 0, sizeof(*out));
    if (!map || map->kind != VG_Y_MAP) {
        vg_cctx_error(c, map, VG_ERR_INVALID, "detection", "detection must be a map");
        return VG_ERR_INVALID;
    }
    out->sels = vg_arena_alloc(c->a, (map->n ? map->n : 1) * sizeof(vg_sel));
    if (!out->sels)
        return VG_ERR_NOMEM;
    size_t errors_before = c->n_errors;
    for (size_t i = 0; i < map->n; i++) {
        const vg_ynode *k = map->items[2 * i];
        const vg_ynode *v = map->items[2 * i + 1];
        bool skipped = strcmp(k->str, "condition") == 0;
        for (size_t s = 0; skip && skip[s] && !skipped; s++)
            skipped = strcmp(k->str, skip[s]) == 0;
        if (skipped)
            continue;
        if (strcmp(k->str, "timeframe") == 0) {
            vg_cctx_warn(c, k, "timeframe",
                         "'timeframe' in a detection is deprecated and ignored (use a correlation "
                         "rule)");
            continue;
        }
        for (size_t j = 0; j < out->n_sels; j++) {
            if (strcmp(out->sels[j].name, k->str) == 0) {
                vg_cctx_error(c, k, VG_ERR_INVALID, "detection", "duplicate search identifier '%s'",
                              k->str);
                return VG_ERR_INVALID;
            }
        }
        vg_status rc = vg_sel_compile(c, k->str, v, &out->sels[out->n_sels]);
        if (rc == VG_ERR_NOMEM)
            return rc;
        out->n_sels++;
    }
    if (c->n_errors != errors_before)
        return VG_ERR_INVALID;
    if (!cond_node) {
        vg_cctx_error(c, map, VG_ERR_INVALID, "condition", "detection has no condition");
        return VG_ERR_INVALID;
    }
    if (cond_node->kind == VG_Y_SEQ) {
        if (cond_node->n == 0) {
            vg_cctx_error(c, cond_node, VG_ERR_INVALID, "condition", "empty condition list");
            return VG_ERR_INVALID;
        }
        vg_prog *acc = NULL;
        for (size_t i = 0; i < cond_node->n; i++) {
            vg_prog *p = compile_cond_string(c, cond_node->items[i], out);
            if (!p)
                return VG_ERR_INVALID;
            if (!acc) {
                acc = p;
            } else {
                vg_prog *o = vg_arena_alloc(c->a, sizeof(*o));
                if (!o)
                    return VG_ERR_NOMEM;
                memset(o, 0, sizeof(*o));
                o->kind = VG_P_OR;
                o->a = acc;
                o->b = p;
                acc = o;
            }
        }
        out->prog = acc;
    } else {
        out->prog = compile_cond_string(c, cond_node, out);
    }
    return out->prog ? VG_OK : VG_ERR_INVALID;
}
