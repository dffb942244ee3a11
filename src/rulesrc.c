/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rulesrc.c: rule options -> compiled ruleset, and printing diagnostics.
 *
 * Load order matters: user mapping files come before the built-in ones so that a user's
 * entry for a logsource wins (the first entry for a logsource is used) and a user's field
 * alternatives are tried first; placeholders come before rules because values are
 * expanded while compiling.
 */
#include "rulesrc.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const unsigned char vg_builtin_logsources[];
extern const size_t vg_builtin_logsources_len;
extern const unsigned char vg_builtin_fields[];
extern const size_t vg_builtin_fields_len;

#define MAX_RULE_FILE (16u << 20)

const char rsrc_help[] =
        "Rule options:\n"
        "  --rules PATH...          rule files or directories (*.yml, *.yaml, recursive);\n"
        "                           may be repeated\n"
        "  --logsources FILE        extra logsource mapping (format: rules/logsources.yml);\n"
        "                           its entries take precedence over the built-in ones\n"
        "  --fields FILE            extra field mapping (format: rules/fields.yml)\n"
        "  --no-builtin-mappings    do not load the built-in logsource and field mappings\n"
        "  --placeholder NAME=V1[,V2...]\n"
        "                           values for %NAME% in rules using the expand modifier\n"
        "  --placeholders FILE      YAML map of placeholder names to values\n";

static int add(const char **v, size_t *n, const char *s, const char *opt)
{
    if (*n == RSRC_MAX) {
        fprintf(stderr, "vigil: too many %s options (at most %d)\n", opt, RSRC_MAX);
        return -1;
    }
    v[(*n)++] = s;
    return 1;
}

static int need_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
    const char *a = argv[*i];
    size_t ol = strlen(opt);
    if (a[ol] == '=') {
        *val = a + ol + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "vigil: %s needs a value\n", opt);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

static bool opt_is(const char *a, const char *opt)
{
    size_t n = strlen(opt);
    return strncmp(a, opt, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

int rsrc_parse_opt(rsrc_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v;
    if (opt_is(a, "--rules")) {
        if (need_value(argc, argv, i, "--rules", &v) < 0)
            return -1;
        if (add(o->paths, &o->n_paths, v, "--rules") < 0)
            return -1;
        /* --rules a b c: following non-option words are paths too */
        while (*i + 1 < argc && argv[*i + 1][0] != '-')
            if (add(o->paths, &o->n_paths, argv[++*i], "--rules") < 0)
                return -1;
        return 1;
    }
    if (opt_is(a, "--logsources"))
        return need_value(argc, argv, i, "--logsources", &v) < 0
                       ? -1
                       : add(o->logsource_files, &o->n_logsource_files, v, "--logsources");
    if (opt_is(a, "--fields"))
        return need_value(argc, argv, i, "--fields", &v) < 0
                       ? -1
                       : add(o->field_files, &o->n_field_files, v, "--fields");
    if (opt_is(a, "--placeholders"))
        return need_value(argc, argv, i, "--placeholders", &v) < 0
                       ? -1
                       : add(o->placeholder_files, &o->n_placeholder_files, v, "--placeholders");
    if (opt_is(a, "--placeholder")) {
        if (need_value(argc, argv, i, "--placeholder", &v) < 0)
            return -1;
        if (!strchr(v, '=') || v[0] == '=') {
            fprintf(stderr, "vigil: --placeholder expects NAME=VALUE[,VALUE...], got '%s'\n", v);
            return -1;
        }
        return add(o->placeholders, &o->n_placeholders, v, "--placeholder");
    }
    if (strcmp(a, "--no-builtin-mappings") == 0) {
        o->no_builtin = true;
        return 1;
    }
    return 0;
}

typedef vg_status (*add_fn)(vg_ruleset *, const char *, const char *, size_t, vg_diags *);

static bool load_file(vg_ruleset *rs, add_fn fn, const char *path, vg_diags *d)
{
    char *text;
    size_t len;
    int e = fs_read_file(path, MAX_RULE_FILE, &text, &len);
    if (e) {
        vg_diag_add(d, VG_SEV_ERROR, VG_ERR_IO, path, 0, 0, NULL, "io", "cannot read: %s",
                    e == EFBIG ? "file larger than 16 MiB" : strerror(e));
        return false;
    }
    vg_status rc = fn(rs, path, text, len, d);
    vg_free(text);
    return rc != VG_ERR_NOMEM;
}

static bool set_placeholder(vg_ruleset *rs, const char *spec)
{
    const char *eq = strchr(spec, '=');
    char name[256];
    size_t nl = (size_t)(eq - spec);
    if (nl >= sizeof(name))
        nl = sizeof(name) - 1;
    memcpy(name, spec, nl);
    name[nl] = '\0';
    /* split the values on ',' */
    char *copy = vg_strndup(eq + 1, strlen(eq + 1));
    if (!copy)
        return false;
    const char *vals[RSRC_MAX];
    size_t n = 0;
    char *p = copy;
    while (n < RSRC_MAX) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        vals[n++] = p;
        if (!c)
            break;
        p = c + 1;
    }
    vg_status rc = vg_ruleset_set_placeholder(rs, name, vals, n);
    vg_free(copy);
    return rc == VG_OK;
}

vg_ruleset *rsrc_load(const rsrc_opts *o, vg_diags *d, size_t *n_files)
{
    *n_files = 0;
    vg_ruleset *rs = vg_ruleset_new();
    if (!rs)
        return NULL;
    for (size_t i = 0; i < o->n_logsource_files; i++)
        if (!load_file(rs, vg_ruleset_add_logsources, o->logsource_files[i], d))
            goto fail;
    for (size_t i = 0; i < o->n_field_files; i++)
        if (!load_file(rs, vg_ruleset_add_fieldmap, o->field_files[i], d))
            goto fail;
    if (!o->no_builtin) {
        if (vg_ruleset_add_logsources(rs, "<built-in>/logsources.yml",
                                      (const char *)vg_builtin_logsources,
                                      vg_builtin_logsources_len, d) == VG_ERR_NOMEM ||
            vg_ruleset_add_fieldmap(rs, "<built-in>/fields.yml", (const char *)vg_builtin_fields,
                                    vg_builtin_fields_len, d) == VG_ERR_NOMEM)
            goto fail;
    }
    for (size_t i = 0; i < o->n_placeholder_files; i++)
        if (!load_file(rs, vg_ruleset_add_placeholders, o->placeholder_files[i], d))
            goto fail;
    for (size_t i = 0; i < o->n_placeholders; i++)
        if (!set_placeholder(rs, o->placeholders[i]))
            goto fail;
    for (size_t p = 0; p < o->n_paths; p++) {
        fs_list files = {0};
        int e = fs_collect_yaml(o->paths[p], &files);
        if (e) {
            vg_diag_add(d, VG_SEV_ERROR, VG_ERR_IO, o->paths[p], 0, 0, NULL, "io",
                        "cannot read: %s", strerror(e));
        }
        for (size_t i = 0; i < files.n; i++) {
            (*n_files)++;
            if (!load_file(rs, vg_ruleset_add_rules, files.v[i], d)) {
                fs_list_free(&files);
                goto fail;
            }
        }
        fs_list_free(&files);
    }
    if (vg_ruleset_finish(rs, d) != VG_OK)
        goto fail;
    return rs;
fail:
    vg_ruleset_free(rs);
    return NULL;
}

void rsrc_print_diags(const vg_diags *d, bool warnings)
{
    size_t n = vg_diags_count(d);
    for (size_t i = 0; i < n; i++) {
        const vg_diag *g = vg_diags_get(d, i);
        if (g->sev == VG_SEV_WARNING && !warnings)
            continue;
        fprintf(stderr, "%s:%u:%u: %s: %s", g->loc.file ? g->loc.file : "?", g->loc.line,
                g->loc.col, g->sev == VG_SEV_ERROR ? "error" : "warning", g->msg);
        if (g->rule_id[0])
            fprintf(stderr, " [rule %s]", g->rule_id);
        fputc('\n', stderr);
    }
}

void rsrc_print_summary(const vg_diags *d)
{
    size_t n = vg_diags_count(d);
    /* group by (severity, reason) in first-seen order */
    const char *reasons[64];
    vg_severity sevs[64];
    size_t counts[64];
    size_t n_r = 0;
    for (size_t i = 0; i < n; i++) {
        const vg_diag *g = vg_diags_get(d, i);
        size_t k = 0;
        while (k < n_r && !(sevs[k] == g->sev && strcmp(reasons[k], g->reason) == 0))
            k++;
        if (k == n_r) {
            if (n_r == 64)
                continue;
            reasons[n_r] = g->reason;
            sevs[n_r] = g->sev;
            counts[n_r] = 0;
            n_r++;
        }
        counts[k]++;
    }
    for (int pass = 0; pass < 2; pass++) {
        vg_severity want = pass == 0 ? VG_SEV_ERROR : VG_SEV_WARNING;
        for (size_t k = 0; k < n_r; k++)
            if (sevs[k] == want)
                fprintf(stderr, "  %-8s %-26s %zu\n", pass == 0 ? "error" : "warning", reasons[k],
                        counts[k]);
    }
}
