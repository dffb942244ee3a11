/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mapping.c: the user-editable tables a ruleset is compiled against:
 *   logsources  (rules/logsources.yml) Sigma logsource -> conditions on the event
 *   fields      (rules/fields.yml)     Sigma field name -> other names to try
 *   placeholders                       %name% -> values for the `expand` modifier
 * and the "product=..,category=..,service=.." logsource declaration of an input.
 *
 * Formats (documented in rules/README.md and docs/rules.md):
 *   logsources: [ {logsource: {product, category, service}, when: <selection>,
 *                  fields: [known field names]} ... ]
 *   fields:     { SigmaName: [alt1, alt2] | alt1, ... }
 *   placeholders file: { name: value | [values] , ... } (optionally under "placeholders:")
 */
#include "sigma/ruleset_int.h"

#include <stdio.h>
#include <string.h>

static vg_status
parse_file(vg_ruleset *rs, vg_cctx *c, const char *text, size_t len, const vg_ynode **root)
{
    vg_ydoc *docs = NULL;
    size_t n = 0;
    vg_yerr yerr;
    vg_status rc = vg_ytree_parse(rs->a, text, len, NULL, &docs, &n, &yerr);
    *root = NULL;
    if (rc != VG_OK) {
        vg_diag_add(c->d, VG_SEV_ERROR, rc, c->file, yerr.line, yerr.col, NULL, "yaml", "%s",
                    yerr.msg);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (docs[i].root) {
            *root = docs[i].root;
            break;
        }
    }
    return VG_OK;
}

vg_status vg_ruleset_add_logsources(
        vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d)
{
    vg_cctx c;
    vg_cctx_init(&c, rs, d, file);
    const vg_ynode *root;
    vg_status rc = parse_file(rs, &c, text, len, &root);
    if (rc != VG_OK)
        return rc;
    const vg_ynode *list = vg_ymap_get(root, "logsources");
    if (!list || list->kind != VG_Y_SEQ) {
        vg_cctx_error(&c, root, VG_ERR_INVALID, "mapping",
                      "expected a top-level 'logsources:' list");
        return VG_ERR_INVALID;
    }
    vg_status first = VG_OK;
    for (size_t i = 0; i < list->n; i++) {
        const vg_ynode *it = list->items[i];
        vg_ls_entry e;
        memset(&e, 0, sizeof(e));
        const vg_ynode *lsn = vg_ymap_get(it, "logsource");
        if (it->kind != VG_Y_MAP || !lsn) {
            vg_cctx_error(&c, it, VG_ERR_INVALID, "mapping", "each entry needs a 'logsource' map");
            first = first ? first : VG_ERR_INVALID;
            continue;
        }
        if (!vg_logsource_from_node(&c, lsn, &e.ls)) {
            first = first ? first : VG_ERR_INVALID;
            continue;
        }
        const vg_ynode *when = vg_ymap_get(it, "when");
        if (when && !vg_ynode_is_null(when)) {
            e.when.sels = vg_arena_alloc(rs->a, sizeof(vg_sel));
            if (!e.when.sels)
                return VG_ERR_NOMEM;
            rc = vg_sel_compile(&c, "when", when, &e.when.sels[0]);
            if (rc != VG_OK) {
                first = first ? first : rc;
                continue;
            }
            e.when.n_sels = 1;
            e.when.prog = vg_arena_alloc(rs->a, sizeof(vg_prog));
            if (!e.when.prog)
                return VG_ERR_NOMEM;
            memset(e.when.prog, 0, sizeof(vg_prog));
            e.when.prog->kind = VG_P_SEL;
        }
        const vg_ynode *fields = vg_ymap_get(it, "fields");
        if (fields && !vg_ynode_is_null(fields)) {
            const char **fl;
            if (!vg_cctx_str_list(&c, fields, "mapping", "fields", &fl, &e.n_fields)) {
                first = first ? first : VG_ERR_INVALID;
                continue;
            }
            e.fields = fl;
        }
        for (size_t k = 0; k < rs->ls.n; k++) {
            const vg_logsource *o = &rs->ls.v[k].ls;
            bool same =
                    ((!o->product && !e.ls.product) ||
                     (o->product && e.ls.product && strcmp(o->product, e.ls.product) == 0)) &&
                    ((!o->category && !e.ls.category) ||
                     (o->category && e.ls.category && strcmp(o->category, e.ls.category) == 0)) &&
                    ((!o->service && !e.ls.service) ||
                     (o->service && e.ls.service && strcmp(o->service, e.ls.service) == 0));
            if (same)
                vg_cctx_warn(&c, lsn, "mapping", "logsource mapped twice; the first entry wins");
        }
        vg_ls_entry *slot = VG_VEC_PUSH(rs->ls);
        if (!slot)
            return VG_ERR_NOMEM;
        *slot = e;
    }
    return first;
}

vg_status
vg_ruleset_add_fieldmap(vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d)
{
    vg_cctx c;
    vg_cctx_init(&c, rs, d, file);
    const vg_ynode *root;
    vg_status rc = parse_file(rs, &c, text, len, &root);
    if (rc != VG_OK)
        return rc;
    const vg_ynode *map = vg_ymap_get(root, "fields");
    if (!map || map->kind != VG_Y_MAP) {
        vg_cctx_error(&c, root, VG_ERR_INVALID, "mapping", "expected a top-level 'fields:' map");
        return VG_ERR_INVALID;
    }
    vg_status first = VG_OK;
    for (size_t i = 0; i < map->n; i++) {
        const vg_ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
        vg_fieldmap fm;
        const char **alts;
        fm.name = vg_cctx_str(&c, k);
        if (!vg_cctx_str_list(&c, v, "mapping", fm.name, &alts, &fm.n_alts)) {
            first = first ? first : VG_ERR_INVALID;
            continue;
        }
        fm.alts = alts;
        vg_fieldmap *slot = NULL;
        for (size_t j = 0; j < rs->fm.n && !slot; j++)
            if (strcmp(rs->fm.v[j].name, fm.name) == 0)
                slot = &rs->fm.v[j];
        if (slot) {
            /* a later file extends an earlier mapping: its names are tried after */
            const char **nv = vg_arena_alloc(rs->a, (slot->n_alts + fm.n_alts) * sizeof(char *));
            if (!nv)
                return VG_ERR_NOMEM;
            memcpy(nv, slot->alts, slot->n_alts * sizeof(char *));
            memcpy(nv + slot->n_alts, fm.alts, fm.n_alts * sizeof(char *));
            slot->alts = nv;
            slot->n_alts += fm.n_alts;
            continue;
        }
        slot = VG_VEC_PUSH(rs->fm);
        if (!slot)
            return VG_ERR_NOMEM;
        *slot = fm;
    }
    return first;
}

vg_status
vg_ruleset_set_placeholder(vg_ruleset *rs, const char *name, const char *const *values, size_t n)
{
    const char **v = vg_arena_alloc(rs->a, (n ? n : 1) * sizeof(char *));
    const char *nm = vg_arena_strndup(rs->a, name, strlen(name));
    if (!v || !nm)
        return VG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = vg_arena_strndup(rs->a, values[i], strlen(values[i]));
        if (!v[i])
            return VG_ERR_NOMEM;
    }
    for (size_t i = 0; i < rs->ph.n; i++) {
        if (strcmp(rs->ph.v[i].name, name) == 0) {
            rs->ph.v[i].values = v;
            rs->ph.v[i].n_values = n;
            return VG_OK;
        }
    }
    vg_placeholder *slot = VG_VEC_PUSH(rs->ph);
    if (!slot)
        return VG_ERR_NOMEM;
    slot->name = nm;
    slot->values = v;
    slot->n_values = n;
    return VG_OK;
}

vg_status vg_ruleset_add_placeholders(
        vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d)
{
    vg_cctx c;
    vg_cctx_init(&c, rs, d, file);
    const vg_ynode *root;
    vg_status rc = parse_file(rs, &c, text, len, &root);
    if (rc != VG_OK)
        return rc;
    const vg_ynode *map = vg_ymap_get(root, "placeholders");
    if (!map)
        map = root;
    if (!map || map->kind != VG_Y_MAP) {
        vg_cctx_error(&c, root, VG_ERR_INVALID, "placeholder",
                      "expected a map of placeholder names to values");
        return VG_ERR_INVALID;
    }
    for (size_t i = 0; i < map->n; i++) {
        const vg_ynode *k = map->items[2 * i], *v = map->items[2 * i + 1];
        size_t n = 0;
        const char **vals = NULL;
        if (!vg_cctx_str_list(&c, v, "placeholder", k->str, &vals, &n))
            return VG_ERR_INVALID;
        rc = vg_ruleset_set_placeholder(rs, k->str, vals, n);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

vg_status
vg_logsource_parse(vg_ruleset *rs, const char *spec, vg_logsource *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        if (!eq || eq > end || eq == p || eq + 1 == end) {
            snprintf(err, err_len, "expected key=value at '%.40s'", p);
            return VG_ERR_INVALID;
        }
        size_t klen = (size_t)(eq - p);
        const char *val = vg_arena_strndup(rs->a, eq + 1, (size_t)(end - eq - 1));
        if (!val)
            return VG_ERR_NOMEM;
        if (klen == 7 && memcmp(p, "product", 7) == 0)
            out->product = val;
        else if (klen == 8 && memcmp(p, "category", 8) == 0)
            out->category = val;
        else if (klen == 7 && memcmp(p, "service", 7) == 0)
            out->service = val;
        else {
            snprintf(err, err_len, "unknown logsource key '%.*s' (use product, category, service)",
                     (int)(klen > 40 ? 40 : klen), p);
            return VG_ERR_INVALID;
        }
        p = *end ? end + 1 : end;
    }
    if (!out->product && !out->category && !out->service) {
        snprintf(err, err_len, "empty logsource declaration");
        return VG_ERR_INVALID;
    }
    return VG_OK;
}
