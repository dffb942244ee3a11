/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ruleset.c: the vg_ruleset container: life cycle, rule files in, finish (binding filters,
 * logsources and field names), and read access (see vigil/ruleset.h).
 */
#include "sigma/ruleset_int.h"
#include "match/prefilter.h"
#include "vigil/event.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void *vg_vec_push(void *pvec, size_t *n, size_t *cap, size_t elem)
{
    char *v;
    memcpy(&v, pvec, sizeof(v));
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        char *nv = vg_realloc(v, ncap * elem);
        if (!nv)
            return NULL;
        v = nv;
        *cap = ncap;
        memcpy(pvec, &v, sizeof(v));
    }
    char *e = v + (*n)++ * elem;
    memset(e, 0, elem);
    return e;
}

vg_ruleset *vg_ruleset_new(void)
{
    vg_ruleset *rs = vg_calloc(1, sizeof(*rs));
    if (!rs)
        return NULL;
    rs->a = vg_arena_new(256 * 1024, 0);
    if (!rs->a) {
        vg_free(rs);
        return NULL;
    }
    return rs;
}

void vg_ruleset_free(vg_ruleset *rs)
{
    if (!rs)
        return;
    vg_prefilter_free(rs->pf);
    for (size_t i = 0; i < rs->n_regexes; i++)
        vg_regex_free(rs->regexes[i]);
    vg_free(rs->regexes);
    vg_free(rs->rules.v);
    vg_free(rs->corrs.v);
    vg_free(rs->filters.v);
    vg_free(rs->ls.v);
    vg_free(rs->fm.v);
    vg_free(rs->ph.v);
    vg_free(rs->fslots.v);
    vg_free(rs->fslot_tab);
    vg_arena_free(rs->a);
    vg_free(rs);
}

void vg_cctx_init(vg_cctx *c, vg_ruleset *rs, vg_diags *d, const char *file)
{
    memset(c, 0, sizeof(*c));
    c->a = rs->a;
    c->d = d;
    /* rules keep the file name: the ruleset owns a copy */
    c->file = file ? vg_arena_strndup(rs->a, file, strlen(file)) : NULL;
    if (file && !c->file)
        c->file = "?";
    c->ph = rs->ph.v;
    c->n_ph = rs->ph.n;
    c->regexes = &rs->regexes;
    c->n_regexes = &rs->n_regexes;
    c->cap_regexes = &rs->cap_regexes;
}

void vg_cctx_error(
        vg_cctx *c, const vg_ynode *at, vg_status code, const char *reason, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vg_diag_add(c->d, VG_SEV_ERROR, code, c->file, at ? at->line : 0, at ? at->col : 0, c->rule_id,
                reason, "%s", msg);
    c->n_errors++;
}

void vg_cctx_warn(vg_cctx *c, const vg_ynode *at, const char *reason, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vg_diag_add(c->d, VG_SEV_WARNING, VG_OK, c->file, at ? at->line : 0, at ? at->col : 0,
                c->rule_id, reason, "%s", msg);
}

const char *vg_cctx_str(vg_cctx *c, const vg_ynode *n)
{
    if (!n || n->kind != VG_Y_SCALAR)
        return "";
    const char *s = vg_arena_strndup(c->a, n->str, n->len);
    return s ? s : "";
}

bool vg_cctx_str_list(vg_cctx *c,
                      const vg_ynode *n,
                      const char *reason,
                      const char *what,
                      const char ***out,
                      size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!n || vg_ynode_is_null(n))
        return true;
    size_t k = n->kind == VG_Y_SEQ ? n->n : 1;
    if (n->kind == VG_Y_MAP) {
        vg_cctx_error(c, n, VG_ERR_INVALID, reason, "'%s' must be a string or a list of strings",
                      what);
        return false;
    }
    const char **v = vg_arena_alloc(c->a, (k ? k : 1) * sizeof(char *));
    if (!v)
        return false;
    for (size_t i = 0; i < k; i++) {
        const vg_ynode *it = n->kind == VG_Y_SEQ ? n->items[i] : n;
        if (it->kind != VG_Y_SCALAR) {
            vg_cctx_error(c, it, VG_ERR_INVALID, reason,
                          "'%s' must be a string or a list of strings", what);
            return false;
        }
        v[i] = vg_cctx_str(c, it);
    }
    *out = v;
    *count = k;
    return true;
}

vg_status
vg_ruleset_add_rules(vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d)
{
    if (rs->finished)
        return VG_ERR_INTERNAL;
    vg_cctx c;
    vg_cctx_init(&c, rs, d, file);
    vg_ydoc *docs = NULL;
    size_t n_docs = 0;
    vg_yerr yerr;
    vg_status yrc = vg_ytree_parse(rs->a, text, len, NULL, &docs, &n_docs, &yerr);
    for (size_t i = 0; i < n_docs; i++) {
        if (!docs[i].root)
            continue;
        rs->stats.n_docs++;
        vg_status rc = vg_rules_load_doc(rs, &c, &docs[i]);
        if (rc == VG_ERR_NOMEM)
            return rc;
    }
    if (yrc != VG_OK) {
        vg_diag_add(d, VG_SEV_ERROR, yrc, file, yerr.line, yerr.col, NULL, "yaml", "%s", yerr.msg);
        rs->stats.n_rejected++;
        if (yrc == VG_ERR_NOMEM)
            return yrc;
    }
    return VG_OK;
}

/* ---- finish ---- */

static bool ls_key_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static int32_t find_ls_entry(const vg_ruleset *rs, const vg_logsource *ls)
{
    for (size_t i = 0; i < rs->ls.n; i++) {
        const vg_logsource *e = &rs->ls.v[i].ls;
        if (ls_key_eq(e->product, ls->product) && ls_key_eq(e->category, ls->category) &&
            ls_key_eq(e->service, ls->service))
            return (int32_t)i;
    }
    return -1;
}

static const vg_fieldmap *find_fieldmap(const vg_ruleset *rs, const char *name)
{
    for (size_t i = 0; i < rs->fm.n; i++)
        if (strcmp(rs->fm.v[i].name, name) == 0)
            return &rs->fm.v[i];
    return NULL;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static bool fslot_tab_grow(vg_ruleset *rs)
{
    size_t size = rs->fslot_tab_size ? rs->fslot_tab_size * 2 : 1024;
    uint32_t *tab = vg_calloc(size, sizeof(uint32_t));
    if (!tab)
        return false;
    for (size_t i = 0; i < rs->fslots.n; i++) {
        size_t k = hash_name(rs->fslots.v[i].name) & (size - 1);
        while (tab[k])
            k = (k + 1) & (size - 1);
        tab[k] = (uint32_t)i + 1;
    }
    vg_free(rs->fslot_tab);
    rs->fslot_tab = tab;
    rs->fslot_tab_size = size;
    return true;
}

/* The slot for a field name (created with its candidate names on first use). */
static const vg_fslot *get_fslot(vg_ruleset *rs, const char *name, uint32_t *id)
{
    if ((rs->fslots.n + 1) * 2 > rs->fslot_tab_size && !fslot_tab_grow(rs))
        return NULL;
    size_t mask = rs->fslot_tab_size - 1;
    size_t k = hash_name(name) & mask;
    while (rs->fslot_tab[k]) {
        const vg_fslot *f = &rs->fslots.v[rs->fslot_tab[k] - 1];
        if (strcmp(f->name, name) == 0) {
            *id = rs->fslot_tab[k] - 1;
            return f;
        }
        k = (k + 1) & mask;
    }
    const vg_fieldmap *fm = find_fieldmap(rs, name);
    size_t count = 1 + (fm ? fm->n_alts : 0);
    const char **v = vg_arena_alloc(rs->a, count * sizeof(char *));
    vg_fcand *cv = vg_arena_alloc(rs->a, count * sizeof(vg_fcand));
    if (!v || !cv)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        v[i] = i ? fm->alts[i - 1] : name;
        size_t len = strlen(v[i]);
        cv[i] = (vg_fcand){vg_hash_name(v[i], len), vg_hash_path(v[i], len), v[i], len};
    }
    vg_fslot *slot = VG_VEC_PUSH(rs->fslots);
    if (!slot)
        return NULL;
    slot->name = name;
    slot->cands = v;
    slot->n_cands = count;
    slot->cand = cv;
    *id = (uint32_t)(rs->fslots.n - 1);
    rs->fslot_tab[k] = *id + 1;
    return slot;
}

uint32_t vg_fslot_first(const vg_fslot *f, const vg_event *ev)
{
    uint32_t idx = VG_NODE_NONE;
    for (size_t i = 0; i < f->n_cands && idx == VG_NODE_NONE; i++) {
        const vg_fcand *c = &f->cand[i];
        idx = vg_event_resolve_h(ev, c->name, c->len, c->h, c->ph);
    }
    return idx;
}

bool vg_ruleset_slot(vg_ruleset *rs, const char *name, uint32_t *slot)
{
    return get_fslot(rs, name, slot) != NULL;
}

static bool
set_cands(vg_ruleset *rs, const char *name, const char *const **cands, size_t *n, uint32_t *id)
{
    const vg_fslot *f = get_fslot(rs, name, id);
    if (!f)
        return false;
    *cands = f->cands;
    *n = f->n_cands;
    return true;
}

static bool field_known(const vg_ruleset *rs, const vg_ls_entry *e, const vg_fcond *f)
{
    for (size_t i = 0; i < f->n_cands; i++)
        for (size_t k = 0; k < e->n_fields; k++)
            if (strcmp(f->cands[i], e->fields[k]) == 0)
                return true;
    /* names written as dotted paths are taken as meant */
    return strchr(f->field, '.') != NULL;
}

typedef struct bind_ctx {
    vg_ruleset *rs;
    vg_diags *d;
    const vg_rule *rule;      /* for warnings, may be NULL */
    const vg_ls_entry *entry; /* known fields, may be NULL */
} bind_ctx;

static vg_status bind_det(bind_ctx *b, vg_det *det)
{
    for (size_t s = 0; s < det->n_sels; s++) {
        vg_sel *sel = &det->sels[s];
        for (size_t g = 0; g < sel->n_groups; g++) {
            for (size_t k = 0; k < sel->groups[g].n; k++) {
                vg_fcond *f = &sel->groups[g].conds[k];
                if (f->field) {
                    if (!set_cands(b->rs, f->field, &f->cands, &f->n_cands, &f->slot))
                        return VG_ERR_NOMEM;
                    if (b->rule && b->entry && b->entry->n_fields &&
                        !field_known(b->rs, b->entry, f))
                        vg_diag_add(b->d, VG_SEV_WARNING, VG_OK, b->rule->file, f->line, f->col,
                                    b->rule->id, "unknown-field",
                                    "field '%s' is not known for this logsource and has no "
                                    "mapping; it only matches events that carry it under that name",
                                    f->field);
                }
                for (size_t v = 0; v < f->n_vals; v++) {
                    vg_vmatch *vm = &f->vals[v];
                    if (vm->kind == VG_VM_FIELDREF &&
                        !set_cands(b->rs, vm->ref, &vm->ref_cands, &vm->n_ref_cands, &vm->ref_slot))
                        return VG_ERR_NOMEM;
                }
            }
        }
    }
    return VG_OK;
}

/* "product=a category=b service=c" with the unset keys left out (no leading space). */
static void ls_str(const vg_logsource *ls, char *buf, size_t cap)
{
    const char *const keys[3] = {"product", "category", "service"};
    const char *const vals[3] = {ls->product, ls->category, ls->service};
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        if (!vals[i])
            continue;
        int w = snprintf(buf + at, cap - at, "%s%s=%s", at ? " " : "", keys[i], vals[i]);
        if (w < 0 || (size_t)w >= cap - at)
            break;
        at += (size_t)w;
    }
}

vg_status vg_ruleset_finish(vg_ruleset *rs, vg_diags *d)
{
    if (rs->finished)
        return VG_OK;
    bind_ctx b = {rs, d, NULL, NULL};
    for (size_t i = 0; i < rs->ls.n; i++) {
        vg_status rc = bind_det(&b, &rs->ls.v[i].when);
        if (rc != VG_OK)
            return rc;
    }
    /* filters -> rules */
    for (size_t f = 0; f < rs->filters.n; f++) {
        vg_filter *flt = &rs->filters.v[f];
        vg_status rc = bind_det(&b, &flt->det);
        if (rc != VG_OK)
            return rc;
        for (size_t t = 0; t < flt->n_targets; t++) {
            bool found = false;
            for (size_t r = 0; r < rs->rules.n; r++) {
                vg_rule *rule = &rs->rules.v[r];
                if (strcmp(rule->id, flt->targets[t]) != 0 &&
                    !(rule->name && strcmp(rule->name, flt->targets[t]) == 0))
                    continue;
                found = true;
                const vg_filter **nv = vg_arena_alloc(rs->a, (rule->n_filters + 1) * sizeof(*nv));
                if (!nv)
                    return VG_ERR_NOMEM;
                if (rule->n_filters)
                    memcpy(nv, rule->filters, rule->n_filters * sizeof(*nv));
                nv[rule->n_filters++] = flt;
                rule->filters = nv;
            }
            if (!found)
                vg_diag_add(d, VG_SEV_WARNING, VG_OK, flt->file, flt->line, 0, flt->id,
                            "filter-target", "filter '%s' names rule '%s', which is not loaded",
                            flt->title, flt->targets[t]);
        }
    }
    for (size_t r = 0; r < rs->rules.n; r++) {
        vg_rule *rule = &rs->rules.v[r];
        rule->ls_entry = find_ls_entry(rs, &rule->ls);
        if (rule->ls_entry < 0) {
            char ls[200];
            ls_str(&rule->ls, ls, sizeof(ls));
            rs->stats.n_unmapped++;
            vg_diag_add(d, VG_SEV_WARNING, VG_OK, rule->file, rule->line, 0, rule->id,
                        "unmapped-logsource",
                        "logsource '%s' has no mapping: the rule applies to every event of inputs "
                        "that declare no logsource or a matching one",
                        ls[0] ? ls : "(empty)");
        }
        b.rule = rule;
        b.entry = rule->ls_entry >= 0 ? &rs->ls.v[rule->ls_entry] : NULL;
        vg_status rc = bind_det(&b, &rule->det);
        if (rc != VG_OK)
            return rc;
        if (rule->sup.n_by) {
            rule->sup.slots = vg_arena_alloc(rs->a, rule->sup.n_by * sizeof(uint32_t));
            if (!rule->sup.slots)
                return VG_ERR_NOMEM;
            for (size_t k = 0; k < rule->sup.n_by; k++) {
                const vg_fslot *f = get_fslot(rs, rule->sup.by[k], &rule->sup.slots[k]);
                if (!f)
                    return VG_ERR_NOMEM;
            }
        }
        for (size_t k = 0; k < r; k++) {
            if (rule->id[0] && strcmp(rs->rules.v[k].id, rule->id) == 0) {
                vg_diag_add(d, VG_SEV_WARNING, VG_OK, rule->file, rule->line, 0, rule->id,
                            "duplicate-id", "rule id also used by %s:%u", rs->rules.v[k].file,
                            rs->rules.v[k].line);
                break;
            }
        }
    }
    vg_status rc = vg_corr_bind_all(rs, d);
    if (rc != VG_OK)
        return rc;
    rs->stats.n_rules = rs->rules.n;
    rs->stats.n_correlations = rs->corrs.n;
    rs->stats.n_filters = rs->filters.n;
    rs->stats.n_logsource_entries = rs->ls.n;
    rs->stats.n_field_mappings = rs->fm.n;
    rs->finished = true;
    return VG_OK;
}

size_t vg_ruleset_count(const vg_ruleset *rs)
{
    return rs->rules.n;
}

void vg_ruleset_rule_info(const vg_ruleset *rs, size_t i, vg_rule_info *out)
{
    memset(out, 0, sizeof(*out));
    if (i >= rs->rules.n)
        return;
    const vg_rule *r = &rs->rules.v[i];
    out->id = r->id;
    out->title = r->title;
    out->level = r->level;
    out->status = r->status;
    out->file = r->file;
    out->line = r->line;
    out->logsource = r->ls;
    out->tags = r->tags;
    out->n_tags = r->n_tags;
    out->logsource_mapped = r->ls_entry >= 0;
    out->n_filters = r->n_filters;
}

void vg_ruleset_stats_get(const vg_ruleset *rs, vg_ruleset_stats *out)
{
    *out = rs->stats;
    out->n_rules = rs->rules.n;
    out->n_correlations = rs->corrs.n;
    out->n_filters = rs->filters.n;
    out->n_logsource_entries = rs->ls.n;
    out->n_field_mappings = rs->fm.n;
}
