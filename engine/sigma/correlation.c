/* SPDX-License-Identifier: Apache-2.0 */
/*
 * correlation.c: one YAML document with a `correlation` section -> a vg_corr_rule
 * (Sigma correlation specification 2.1: event_count, value_count, temporal,
 * temporal_ordered, value_sum, value_avg, value_percentile).
 *
 * Everything that can be checked without the other rules is checked here, at the node
 * where it is written: the type, the shape of rules/group-by/aliases, the timespan
 * ("<number><s|m|h|d>"), the condition (operators, numbers, `field` where the type needs
 * one, at least one operator; temporal types may omit it: every rule must occur). What
 * needs the other rules (names, chains, aliases naming rules) is bound at finish
 * (corr_bind.c).
 */
#include "sigma/ruleset_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    vg_corr_type t;
} types[] = {
        {"event_count", VG_CT_EVENT_COUNT},
        {"value_count", VG_CT_VALUE_COUNT},
        {"temporal", VG_CT_TEMPORAL},
        {"temporal_ordered", VG_CT_TEMPORAL_ORDERED},
        {"value_sum", VG_CT_VALUE_SUM},
        {"value_avg", VG_CT_VALUE_AVG},
        {"value_percentile", VG_CT_VALUE_PERCENTILE},
};

static const struct {
    const char *name;
    vg_corr_opk op;
} opnames[] = {
        {"gt", VG_CO_GT},   {"gte", VG_CO_GTE}, {"lt", VG_CO_LT},
        {"lte", VG_CO_LTE}, {"eq", VG_CO_EQ},   {"neq", VG_CO_NEQ},
};

const char *vg_corr_type_str(vg_corr_type t)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].t == t)
            return types[i].name;
    return "?";
}

bool vg_corr_cond_holds(const vg_corr_rule *c, double v)
{
    for (size_t i = 0; i < c->n_ops; i++) {
        double x = c->ops[i].v;
        bool ok = false;
        switch (c->ops[i].op) {
        case VG_CO_GT:
            ok = v > x;
            break;
        case VG_CO_GTE:
            ok = v >= x;
            break;
        case VG_CO_LT:
            ok = v < x;
            break;
        case VG_CO_LTE:
            ok = v <= x;
            break;
        case VG_CO_EQ:
            ok = v == x;
            break;
        case VG_CO_NEQ:
            ok = v != x;
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

static bool needs_field(vg_corr_type t)
{
    return t == VG_CT_VALUE_COUNT || t == VG_CT_VALUE_SUM || t == VG_CT_VALUE_AVG ||
           t == VG_CT_VALUE_PERCENTILE;
}

static bool is_temporal(vg_corr_type t)
{
    return t == VG_CT_TEMPORAL || t == VG_CT_TEMPORAL_ORDERED;
}

/* "90m" -> ms. Sigma: a positive whole number and one lower-case unit letter. */
bool vg_duration_parse(const char *s, size_t len, int64_t *ms)
{
    if (len < 2 || len > 12)
        return false;
    int64_t unit;
    switch (s[len - 1]) {
    case 's':
        unit = 1000;
        break;
    case 'm':
        unit = 60 * 1000;
        break;
    case 'h':
        unit = 3600 * 1000;
        break;
    case 'd':
        unit = 86400 * 1000;
        break;
    default:
        return false;
    }
    int64_t n = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        n = n * 10 + (s[i] - '0');
    }
    if (n <= 0 || n > (int64_t)10 * 366 * 86400) /* ten years of seconds at most */
        return false;
    *ms = n * unit;
    return true;
}

static bool load_condition(vg_cctx *c, const vg_ynode *sec, const vg_ynode *cn, vg_corr_rule *r)
{
    if (!cn || vg_ynode_is_null(cn)) {
        if (!is_temporal(r->type)) {
            vg_cctx_error(c, cn ? cn : sec->items[0], VG_ERR_INVALID, "correlation",
                          "%s correlation needs a 'condition'", vg_corr_type_str(r->type));
            return false;
        }
        return true;
    }
    if (cn->kind != VG_Y_MAP) {
        vg_cctx_error(c, cn, VG_ERR_INVALID, "correlation",
                      "'condition' must be a map of operators (gt, gte, lt, lte, eq, neq) and "
                      "'field'");
        return false;
    }
    for (size_t i = 0; i < cn->n; i++) {
        const vg_ynode *k = cn->items[2 * i], *v = cn->items[2 * i + 1];
        if (strcmp(k->str, "field") == 0) {
            const char **f;
            if (!vg_cctx_str_list(c, v, "correlation", "field", &f, &r->n_fields))
                return false;
            r->fields = f;
            r->field_line = v->line;
            r->field_col = v->col;
            for (size_t j = 0; j < r->n_fields; j++) {
                if (!f[j][0]) {
                    vg_cctx_error(c, v, VG_ERR_INVALID, "correlation",
                                  "'field' names an empty field");
                    return false;
                }
            }
            continue;
        }
        size_t o = 0;
        while (o < sizeof(opnames) / sizeof(opnames[0]) && strcmp(opnames[o].name, k->str) != 0)
            o++;
        if (o == sizeof(opnames) / sizeof(opnames[0])) {
            vg_cctx_error(c, k, VG_ERR_INVALID, "correlation",
                          "unknown condition operator '%s' (gt, gte, lt, lte, eq, neq, field)",
                          k->str);
            return false;
        }
        vg_num num;
        if (v->kind != VG_Y_SCALAR || !vg_num_parse(v->str, v->len, &num) || !isfinite(num.d)) {
            vg_cctx_error(c, v, VG_ERR_INVALID, "correlation",
                          "condition '%s' needs a number, got '%s'", k->str,
                          v->kind == VG_Y_SCALAR ? v->str : "(not a scalar)");
            return false;
        }
        if (r->n_ops == VG_CORR_MAX_OPS) {
            vg_cctx_error(c, k, VG_ERR_INVALID, "correlation", "too many condition operators");
            return false;
        }
        r->ops[r->n_ops].op = opnames[o].op;
        r->ops[r->n_ops].v = num.d;
        r->n_ops++;
    }
    if (r->n_ops == 0 && !is_temporal(r->type)) {
        vg_cctx_error(c, cn, VG_ERR_INVALID, "correlation",
                      "condition has no operator (gt, gte, lt, lte, eq or neq)");
        return false;
    }
    if (needs_field(r->type) && r->n_fields == 0) {
        vg_cctx_error(c, cn, VG_ERR_INVALID, "correlation",
                      "%s correlation needs a condition 'field'", vg_corr_type_str(r->type));
        return false;
    }
    if (!needs_field(r->type) && r->n_fields > 0) {
        vg_cctx_error(c, vg_ymap_get(cn, "field"), VG_ERR_INVALID, "correlation",
                      "'field' has no meaning in a %s correlation", vg_corr_type_str(r->type));
        return false;
    }
    if (r->n_fields > 1 && r->type != VG_CT_VALUE_COUNT) {
        vg_cctx_error(c, vg_ymap_get(cn, "field"), VG_ERR_INVALID, "correlation",
                      "%s takes one 'field'", vg_corr_type_str(r->type));
        return false;
    }
    if (r->n_fields > VG_CORR_MAX_GROUP) {
        vg_cctx_error(c, vg_ymap_get(cn, "field"), VG_ERR_LIMIT, "correlation",
                      "more than %d value fields", VG_CORR_MAX_GROUP);
        return false;
    }
    return true;
}

static bool load_aliases(vg_cctx *c, const vg_ynode *an, vg_corr_rule *r)
{
    if (!an || vg_ynode_is_null(an))
        return true;
    if (an->kind != VG_Y_MAP) {
        vg_cctx_error(c, an, VG_ERR_INVALID, "correlation",
                      "'aliases' must map alias names to {rule name: field}");
        return false;
    }
    r->aliases = vg_arena_alloc(c->a, (an->n ? an->n : 1) * sizeof(*r->aliases));
    if (!r->aliases)
        return false;
    for (size_t i = 0; i < an->n; i++) {
        const vg_ynode *k = an->items[2 * i], *v = an->items[2 * i + 1];
        vg_corr_alias *al = &r->aliases[r->n_aliases++];
        memset(al, 0, sizeof(*al));
        al->name = vg_cctx_str(c, k);
        al->line = k->line;
        al->col = k->col;
        if (v->kind != VG_Y_MAP || v->n == 0) {
            vg_cctx_error(c, v, VG_ERR_INVALID, "correlation",
                          "alias '%s' must map rule names to field names", al->name);
            return false;
        }
        const char **rules = vg_arena_alloc(c->a, v->n * sizeof(char *));
        const char **fields = vg_arena_alloc(c->a, v->n * sizeof(char *));
        if (!rules || !fields)
            return false;
        for (size_t j = 0; j < v->n; j++) {
            const vg_ynode *rk = v->items[2 * j], *fv = v->items[2 * j + 1];
            if (fv->kind != VG_Y_SCALAR || vg_ynode_is_null(fv)) {
                vg_cctx_error(c, fv, VG_ERR_INVALID, "correlation",
                              "alias '%s': the field for rule '%s' must be a field name", al->name,
                              rk->str);
                return false;
            }
            rules[j] = vg_cctx_str(c, rk);
            fields[j] = vg_cctx_str(c, fv);
        }
        al->rules = rules;
        al->fields = fields;
        al->n = v->n;
    }
    return true;
}

static bool load_section(vg_cctx *c, const vg_ynode *sec, vg_corr_rule *r)
{
    if (sec->kind != VG_Y_MAP) {
        vg_cctx_error(c, sec, VG_ERR_INVALID, "correlation",
                      "'correlation' must be a map with type, rules, group-by, timespan and "
                      "condition");
        return false;
    }
    static const char *const known[] = {"type",      "rules",   "group-by", "timespan",
                                        "condition", "aliases", "generate", NULL};
    for (size_t i = 0; i < sec->n; i++) {
        const vg_ynode *k = sec->items[2 * i];
        size_t j = 0;
        while (known[j] && strcmp(known[j], k->str) != 0)
            j++;
        if (!known[j]) {
            vg_cctx_error(c, k, VG_ERR_UNSUPPORTED, "correlation",
                          "unknown correlation attribute '%s'", k->str);
            return false;
        }
    }
    const vg_ynode *tn = vg_ymap_get(sec, "type");
    if (!tn || tn->kind != VG_Y_SCALAR) {
        vg_cctx_error(c, tn ? tn : sec, VG_ERR_INVALID, "correlation",
                      "correlation needs a 'type' (event_count, value_count, temporal, "
                      "temporal_ordered, value_sum, value_avg, value_percentile)");
        return false;
    }
    size_t t = 0;
    while (t < sizeof(types) / sizeof(types[0]) && strcmp(types[t].name, tn->str) != 0)
        t++;
    if (t == sizeof(types) / sizeof(types[0])) {
        vg_cctx_error(c, tn, VG_ERR_UNSUPPORTED, "correlation", "unknown correlation type '%s'",
                      tn->str);
        return false;
    }
    r->type = types[t].t;

    const vg_ynode *rn = vg_ymap_get(sec, "rules");
    const char **refs;
    size_t n_refs;
    if (!rn) {
        vg_cctx_error(c, sec, VG_ERR_INVALID, "correlation", "correlation names no 'rules'");
        return false;
    }
    if (!vg_cctx_str_list(c, rn, "correlation", "rules", &refs, &n_refs))
        return false;
    if (n_refs == 0) {
        vg_cctx_error(c, rn, VG_ERR_INVALID, "correlation", "correlation names no 'rules'");
        return false;
    }
    if (n_refs > VG_CORR_MAX_SOURCES) {
        vg_cctx_error(c, rn, VG_ERR_LIMIT, "correlation", "more than %d rules in one correlation",
                      VG_CORR_MAX_SOURCES);
        return false;
    }
    if (is_temporal(r->type) && n_refs < 2)
        vg_cctx_warn(c, rn, "correlation",
                     "a %s correlation over one rule fires on every event of that rule",
                     vg_corr_type_str(r->type));
    r->srcs = vg_arena_alloc(c->a, n_refs * sizeof(*r->srcs));
    if (!r->srcs)
        return false;
    memset(r->srcs, 0, n_refs * sizeof(*r->srcs));
    for (size_t i = 0; i < n_refs; i++) {
        const vg_ynode *it = rn->kind == VG_Y_SEQ ? rn->items[i] : rn;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(refs[j], refs[i]) == 0) {
                vg_cctx_error(c, it, VG_ERR_INVALID, "correlation", "rule '%s' is named twice",
                              refs[i]);
                return false;
            }
        }
        r->srcs[i].ref = refs[i];
        r->srcs[i].line = it->line;
        r->srcs[i].col = it->col;
    }
    r->n_srcs = n_refs;

    const vg_ynode *gn = vg_ymap_get(sec, "group-by");
    if (!vg_cctx_str_list(c, gn, "correlation", "group-by", &r->group, &r->n_group))
        return false;
    if (r->n_group > VG_CORR_MAX_GROUP) {
        vg_cctx_error(c, gn, VG_ERR_LIMIT, "correlation", "more than %d group-by fields",
                      VG_CORR_MAX_GROUP);
        return false;
    }
    for (size_t i = 0; i < r->n_group; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(r->group[i], r->group[j]) == 0) {
                vg_cctx_error(c, gn, VG_ERR_INVALID, "correlation", "group-by names '%s' twice",
                              r->group[i]);
                return false;
            }
        }
        if (!r->group[i][0]) {
            vg_cctx_error(c, gn, VG_ERR_INVALID, "correlation", "group-by names an empty field");
            return false;
        }
    }

    const vg_ynode *ts = vg_ymap_get(sec, "timespan");
    if (!ts || ts->kind != VG_Y_SCALAR || !vg_duration_parse(ts->str, ts->len, &r->timespan_ms)) {
        vg_cctx_error(c, ts ? ts : sec, VG_ERR_INVALID, "correlation",
                      "'timespan' must be a number and a unit: s, m, h or d (e.g. 90m), got '%s'",
                      ts && ts->kind == VG_Y_SCALAR ? ts->str : "nothing");
        return false;
    }
    if (!load_condition(c, sec, vg_ymap_get(sec, "condition"), r))
        return false;
    if (!load_aliases(c, vg_ymap_get(sec, "aliases"), r))
        return false;
    /* decided on arrival only when the condition can only become true as events come */
    r->at_close = r->type == VG_CT_VALUE_PERCENTILE;
    for (size_t i = 0; i < r->n_ops; i++)
        if (r->ops[i].op != VG_CO_GT && r->ops[i].op != VG_CO_GTE)
            r->at_close = true;
    if (r->type == VG_CT_EVENT_COUNT && !r->at_close) {
        double need = 1; /* gte x: ceil(x) events; gt x: floor(x) + 1 */
        for (size_t i = 0; i < r->n_ops; i++) {
            double x = r->ops[i].op == VG_CO_GT ? floor(r->ops[i].v) + 1 : ceil(r->ops[i].v);
            need = x > need ? x : need;
        }
        r->count_need = need < 1e9 ? (uint32_t)need : 1000000000u;
    }
    if (is_temporal(r->type) && r->n_ops == 0) {
        r->ops[0].op = VG_CO_GTE; /* every rule must occur */
        r->ops[0].v = (double)r->n_srcs;
        r->n_ops = 1;
    }
    return true;
}

static bool get_generate(vg_cctx *c, const vg_ynode *root, vg_corr_rule *r)
{
    const vg_ynode *g = vg_ymap_get(root, "generate");
    if (!g)
        g = vg_ymap_get(vg_ymap_get(root, "correlation"), "generate");
    if (!g || vg_ynode_is_null(g))
        return true;
    if (g->kind == VG_Y_SCALAR && !g->quoted &&
        (strcmp(g->str, "true") == 0 || strcmp(g->str, "false") == 0)) {
        r->generate = g->str[0] == 't';
        return true;
    }
    vg_cctx_error(c, g, VG_ERR_INVALID, "correlation", "'generate' must be true or false");
    return false;
}

vg_status vg_corr_load_doc(vg_ruleset *rs, vg_cctx *c, const vg_ydoc *doc)
{
    const vg_ynode *root = doc->root;
    vg_corr_rule r;
    memset(&r, 0, sizeof(r));
    r.file = c->file;
    r.line = doc->line;
    size_t errors_before = c->n_errors;
    bool ok = vg_meta_strings(c, root, &r.id, &r.title, &r.name, &r.level, &r.status, &r.tags,
                              &r.n_tags);
    c->rule_id = r.id && r.id[0] ? r.id : NULL;
    if (ok && vg_ymap_get(root, "detection")) {
        vg_cctx_error(c, vg_ymap_get(root, "detection"), VG_ERR_INVALID, "correlation",
                      "a document is either a detection rule or a correlation, not both");
        ok = false;
    }
    ok = ok && get_generate(c, root, &r) && load_section(c, vg_ymap_get(root, "correlation"), &r) &&
         vg_suppress_from_node(c, vg_ymap_get(root, "suppress"), &r.sup);
    if (ok && r.sup.period_ms) { /* a correlation suppresses by its group-by names */
        r.sup.gidx = vg_arena_alloc(c->a, (r.sup.n_by + 1) * sizeof(uint32_t));
        ok = r.sup.gidx != NULL;
        for (size_t i = 0; ok && i < r.sup.n_by; i++) {
            size_t g = 0;
            while (g < r.n_group && strcmp(r.group[g], r.sup.by[i]) != 0)
                g++;
            if (g == r.n_group) {
                vg_cctx_error(c, vg_ymap_get(root, "suppress"), VG_ERR_INVALID, "suppress",
                              "a correlation suppresses by its group-by fields; '%s' is not one",
                              r.sup.by[i]);
                ok = false;
            }
            if (ok)
                r.sup.gidx[i] = (uint32_t)g;
        }
    }
    if (!ok || c->n_errors != errors_before) {
        rs->stats.n_rejected++;
        return VG_ERR_INVALID;
    }
    if (!r.id[0])
        r.id = r.title;
    vg_corr_rule *slot = VG_VEC_PUSH(rs->corrs);
    if (!slot)
        return VG_ERR_NOMEM;
    *slot = r;
    return VG_OK;
}
