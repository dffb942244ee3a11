/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rule_load.c: one YAML document of a rule file -> a detection rule or a Sigma filter.
 *
 * The kind of a document is decided by its keys: `detection` makes a rule, `filter` a
 * Sigma filter (filters spec), `correlation` a correlation rule (correlation.c). Metadata is
 * checked loosely where a missing value has an obvious default (level, status) and strictly where
 * vigil needs it (title, detection). Every problem is reported at its node's line and column.
 */
#include "sigma/ruleset_int.h"

#include <string.h>

static const char *const levels[] = {"informational", "low", "medium", "high", "critical", NULL};

bool vg_logsource_from_node(vg_cctx *c, const vg_ynode *n, vg_logsource *out)
{
    memset(out, 0, sizeof(*out));
    if (!n)
        return true;
    if (n->kind != VG_Y_MAP) {
        vg_cctx_error(c, n, VG_ERR_INVALID, "logsource", "logsource must be a map");
        return false;
    }
    for (size_t i = 0; i < n->n; i++) {
        const vg_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        const char **slot = NULL;
        if (strcmp(k->str, "product") == 0)
            slot = &out->product;
        else if (strcmp(k->str, "category") == 0)
            slot = &out->category;
        else if (strcmp(k->str, "service") == 0)
            slot = &out->service;
        else
            continue; /* definition and custom attributes are informative */
        if (v->kind != VG_Y_SCALAR) {
            vg_cctx_error(c, v, VG_ERR_INVALID, "logsource", "logsource %s must be a string",
                          k->str);
            return false;
        }
        if (vg_ynode_is_null(v))
            continue;
        *slot = vg_cctx_str(c, v);
    }
    return true;
}

static bool get_str(vg_cctx *c, const vg_ynode *root, const char *key, const char **out)
{
    const vg_ynode *n = vg_ymap_get(root, key);
    *out = "";
    if (!n || vg_ynode_is_null(n))
        return true;
    if (n->kind != VG_Y_SCALAR) {
        vg_cctx_error(c, n, VG_ERR_INVALID, "metadata", "'%s' must be a string", key);
        return false;
    }
    *out = vg_cctx_str(c, n);
    return true;
}

static bool
get_str_list(vg_cctx *c, const vg_ynode *root, const char *key, const char ***out, size_t *n_out)
{
    return vg_cctx_str_list(c, vg_ymap_get(root, key), "metadata", key, out, n_out);
}

bool vg_suppress_from_node(vg_cctx *c, const vg_ynode *n, vg_suppress_spec *out)
{
    memset(out, 0, sizeof(*out));
    if (!n)
        return true;
    out->line = n->line;
    out->col = n->col;
    if (n->kind != VG_Y_MAP) {
        vg_cctx_error(c, n, VG_ERR_INVALID, "suppress",
                      "'suppress' must be a map: {by: [fields], for: <duration>}");
        return false;
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->items[2 * i]->str;
        if (strcmp(k, "by") != 0 && strcmp(k, "for") != 0) {
            vg_cctx_error(c, n->items[2 * i], VG_ERR_INVALID, "suppress",
                          "unknown suppress attribute '%s' (by, for)", k);
            return false;
        }
    }
    const vg_ynode *f = vg_ymap_get(n, "for");
    if (!f || f->kind != VG_Y_SCALAR || !vg_duration_parse(f->str, f->len, &out->period_ms)) {
        vg_cctx_error(c, f ? f : n, VG_ERR_INVALID, "suppress",
                      "suppress 'for' must be a number and a unit: s, m, h or d (e.g. 1h)");
        return false;
    }
    if (!vg_cctx_str_list(c, vg_ymap_get(n, "by"), "suppress", "by", &out->by, &out->n_by))
        return false;
    if (out->n_by > 16) {
        vg_cctx_error(c, n, VG_ERR_LIMIT, "suppress", "suppress by more than 16 fields");
        return false;
    }
    return true;
}

static vg_status load_filter(vg_ruleset *rs, vg_cctx *c, const vg_ydoc *doc)
{
    const vg_ynode *root = doc->root;
    const vg_ynode *fnode = vg_ymap_get(root, "filter");
    vg_filter f;
    memset(&f, 0, sizeof(f));
    f.file = c->file;
    f.line = doc->line;
    bool ok = get_str(c, root, "id", &f.id) && get_str(c, root, "title", &f.title);
    c->rule_id = f.id[0] ? f.id : NULL;
    ok = ok && vg_logsource_from_node(c, vg_ymap_get(root, "logsource"), &f.logsource);
    if (ok && (!fnode || fnode->kind != VG_Y_MAP)) {
        vg_cctx_error(c, fnode ? fnode : root, VG_ERR_INVALID, "filter",
                      "'filter' must be a map with rules, selections and a condition");
        ok = false;
    }
    const char **targets = NULL;
    if (ok && !get_str_list(c, fnode, "rules", &targets, &f.n_targets))
        ok = false;
    f.targets = targets;
    if (ok && f.n_targets == 0) {
        vg_cctx_error(c, fnode, VG_ERR_INVALID, "filter", "filter names no rules");
        ok = false;
    }
    static const char *const skip[] = {"rules", NULL};
    if (ok && vg_det_compile(c, fnode, vg_ymap_get(fnode, "condition"), skip, &f.det) != VG_OK)
        ok = false;
    if (!ok) {
        rs->stats.n_rejected++;
        return VG_ERR_INVALID;
    }
    vg_filter *slot = VG_VEC_PUSH(rs->filters);
    if (!slot)
        return VG_ERR_NOMEM;
    *slot = f;
    return VG_OK;
}

bool vg_meta_strings(vg_cctx *c,
                     const vg_ynode *root,
                     const char **id,
                     const char **title,
                     const char **name,
                     const char **level,
                     const char **status,
                     const char ***tags,
                     size_t *n_tags)
{
    *name = NULL;
    bool ok = get_str(c, root, "id", id);
    c->rule_id = (*id)[0] ? *id : NULL;
    const char *nm = "";
    ok = ok && get_str(c, root, "title", title) && get_str(c, root, "name", &nm) &&
         get_str(c, root, "level", level) && get_str(c, root, "status", status) &&
         get_str_list(c, root, "tags", tags, n_tags);
    if (!ok)
        return false;
    if (nm[0])
        *name = nm;
    if (!(*title)[0]) {
        vg_cctx_error(c, root, VG_ERR_INVALID, "metadata", "rule has no title");
        return false;
    }
    if (!(*id)[0])
        vg_cctx_warn(c, root, "metadata", "rule '%s' has no id; alerts will name it by title",
                     *title);
    if ((*level)[0]) {
        bool known = false;
        for (size_t i = 0; levels[i]; i++)
            known = known || strcmp(levels[i], *level) == 0;
        if (!known)
            vg_cctx_warn(c, vg_ymap_get(root, "level"), "metadata", "unknown level '%s'", *level);
    }
    return true;
}

static vg_status load_rule(vg_ruleset *rs, vg_cctx *c, const vg_ydoc *doc)
{
    const vg_ynode *root = doc->root;
    vg_rule r;
    memset(&r, 0, sizeof(r));
    r.file = c->file;
    r.line = doc->line;
    r.ls_entry = -1;
    size_t errors_before = c->n_errors;
    r.id = r.title = r.level = r.status = "";
    bool ok = vg_meta_strings(c, root, &r.id, &r.title, &r.name, &r.level, &r.status, &r.tags,
                              &r.n_tags);
    const vg_ynode *lsn = vg_ymap_get(root, "logsource");
    if (ok && !lsn)
        vg_cctx_warn(c, root, "logsource", "rule has no logsource");
    ok = ok && vg_logsource_from_node(c, lsn, &r.ls);
    const vg_ynode *det = vg_ymap_get(root, "detection");
    if (ok && vg_det_compile(c, det, vg_ymap_get(det, "condition"), NULL, &r.det) != VG_OK)
        ok = false;
    ok = ok && vg_suppress_from_node(c, vg_ymap_get(root, "suppress"), &r.sup);
    if (!ok || c->n_errors != errors_before) {
        rs->stats.n_rejected++;
        return VG_ERR_INVALID;
    }
    if (!r.id[0])
        r.id = r.title;
    vg_rule *slot = VG_VEC_PUSH(rs->rules);
    if (!slot)
        return VG_ERR_NOMEM;
    *slot = r;
    return VG_OK;
}

vg_status vg_rules_load_doc(vg_ruleset *rs, vg_cctx *c, const vg_ydoc *doc)
{
    const vg_ynode *root = doc->root;
    c->rule_id = NULL;
    if (root->kind != VG_Y_MAP) {
        vg_cctx_error(c, root, VG_ERR_INVALID, "document",
                      "a rule document must be a map (title, logsource, detection, ...)");
        rs->stats.n_rejected++;
        return VG_ERR_INVALID;
    }
    const vg_ynode *id = vg_ymap_get(root, "id");
    if (id && id->kind == VG_Y_SCALAR)
        c->rule_id = id->str;
    if (vg_ymap_get(root, "correlation"))
        return vg_corr_load_doc(rs, c, doc);
    if (vg_ymap_get(root, "filter") && !vg_ymap_get(root, "detection"))
        return load_filter(rs, c, doc);
    if (vg_ymap_get(root, "detection"))
        return load_rule(rs, c, doc);
    if (vg_ymap_get(root, "action")) {
        vg_cctx_error(c, vg_ymap_get(root, "action"), VG_ERR_UNSUPPORTED, "rule-collection",
                      "legacy rule collections ('action: global/reset/repeat') are not supported");
        rs->stats.n_rejected++;
        return VG_ERR_UNSUPPORTED;
    }
    vg_cctx_error(c, root, VG_ERR_INVALID, "document",
                  "document has neither 'detection' nor 'filter' nor 'correlation'");
    rs->stats.n_rejected++;
    return VG_ERR_INVALID;
}
