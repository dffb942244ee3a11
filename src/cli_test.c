/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_test.c: `vigil test`: rule tests for rule authors.
 *
 * A test file (YAML; `vigil test --help` shows the format) names rule files and event
 * inputs, relative to itself, and the alerts the rules must give over those inputs. The
 * test runs the same pipeline as `vigil run` (built-in mappings, one thread), reads each
 * alert line back as JSON (the engine's own parser) and matches it against the
 * expectations: an expectation names a rule by id or title and may pin group-by values
 * (correlations), the record of the alert's first event, and how many alerts it matches
 * (default 1). With `exact: true` (the default) an alert that no expectation matches fails
 * the test too. A failure prints what was expected and not found, and every unexpected
 * alert, one line each, like a diff ("-" missing, "+" unexpected).
 */
#include "cli.h"
#include "fsutil.h"
#include "pipeline.h"
#include "rulesrc.h"
#include "units.h"
#include "vigil/arena.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEST_FILE (4u << 20)
#define MAX_ITEMS     256
#define MAX_GROUP     16

static const char test_help[] =
        "Usage: vigil test PATH... [-v]\n"
        "\n"
        "Run rule tests: each test file (PATH, or every *.yml / *.yaml below a directory)\n"
        "names rule files and event inputs and the alerts they must give. Prints PASS or\n"
        "FAIL per file, with the missing (-) and unexpected (+) alerts of a failure. Exit\n"
        "status 1 if any test fails or cannot run.\n"
        "\n"
        "Test file (paths are relative to the test file):\n"
        "  rules:                      rule files or directories\n"
        "    - ../sigma/correlation/mr_win_password_spraying.yml\n"
        "  inputs:                     event files, as vigil run reads them\n"
        "    - path: ../samples/correlation.jsonl\n"
        "      format: json            auto (default), json, syslog, raw\n"
        "      logsource: product=windows   optional, as --logsource\n"
        "      time-field: '@timestamp'     optional, as --time-field\n"
        "  lateness: 10s               optional, as --lateness\n"
        "  exact: true                 alerts no expectation matches fail the test (default)\n"
        "  expect:\n"
        "    - rule: Password Spraying from One Source   rule id or title\n"
        "      group: {IpAddress: 198.51.100.23}         optional: group-by values\n"
        "      input: correlation.jsonl   optional: file of the alert's first event\n"
        "      record: 17              optional: record of the alert's first event\n"
        "      count: 1                optional: alerts this line matches (default 1)\n"
        "\n"
        "Options:\n"
        "  -v, --verbose   print every alert of every test\n"
        "  -h, --help      show this help\n";

typedef struct expect {
    const char *rule;
    const char *input; /* NULL: any; else the file name (last path part) of the first event */
    const char *gkeys[MAX_GROUP], *gvals[MAX_GROUP];
    size_t n_group;
    long long record; /* -1: any */
    long long count;
    long long got;
    uint32_t line;
} expect;

typedef struct tfile {
    const char *path;
    char dir[1024];
    vg_arena *a;
    rsrc_opts ro;
    pl_input in[MAX_ITEMS];
    size_t n_in;
    expect ex[MAX_ITEMS];
    size_t n_ex;
    bool exact;
    int64_t lateness;
} tfile;

static const char *rel(tfile *t, const char *p)
{
    if (p[0] == '/')
        return p;
    size_t n = strlen(t->dir) + strlen(p) + 2;
    char *s = vg_arena_alloc(t->a, n);
    if (!s)
        return p;
    snprintf(s, n, "%s/%s", t->dir, p);
    return s;
}

static bool bad(const tfile *t, const vg_ynode *n, const char *what)
{
    fprintf(stderr, "vigil test: %s:%u:%u: %s\n", t->path, n ? n->line : 0, n ? n->col : 0, what);
    return false;
}

static const char *scalar(const vg_ynode *n)
{
    return n && n->kind == VG_Y_SCALAR ? n->str : NULL;
}

static bool load_inputs(tfile *t, const vg_ynode *n)
{
    if (!n || n->kind != VG_Y_SEQ || n->n == 0)
        return bad(t, n, "'inputs' must be a list of {path, format, logsource, time-field}");
    if (n->n > MAX_ITEMS)
        return bad(t, n, "too many inputs (at most 256 per file)");
    for (size_t i = 0; i < n->n && t->n_in < MAX_ITEMS; i++) {
        const vg_ynode *it = n->items[i];
        pl_input *in = &t->in[t->n_in++];
        memset(in, 0, sizeof(*in));
        const char *path = it->kind == VG_Y_SCALAR ? it->str : scalar(vg_ymap_get(it, "path"));
        if (!path)
            return bad(t, it, "an input needs a 'path'");
        in->path = rel(t, path);
        in->fmt = VG_FMT_AUTO;
        if (it->kind != VG_Y_MAP)
            continue;
        for (size_t k = 0; k < it->n; k++) {
            const char *key = it->items[2 * k]->str;
            const vg_ynode *v = it->items[2 * k + 1];
            if (strcmp(key, "path") == 0)
                continue;
            if (!scalar(v))
                return bad(t, v, "input settings are strings");
            if (strcmp(key, "format") == 0) {
                if (!vg_format_from_str(v->str, &in->fmt))
                    return bad(t, v, "unknown format (auto, json, syslog, raw)");
            } else if (strcmp(key, "logsource") == 0) {
                in->ls_spec = v->str;
            } else if (strcmp(key, "time-field") == 0) {
                in->time_field = v->str;
            } else {
                return bad(t, it->items[2 * k], "unknown input setting");
            }
        }
    }
    return true;
}

static bool load_expect(tfile *t, const vg_ynode *n)
{
    if (!n || vg_ynode_is_null(n))
        return true;
    if (n->kind != VG_Y_SEQ)
        return bad(t, n, "'expect' must be a list of {rule, group, input, record, count}");
    if (n->n > MAX_ITEMS)
        return bad(t, n, "too many expectations (at most 256 per file)");
    for (size_t i = 0; i < n->n && t->n_ex < MAX_ITEMS; i++) {
        const vg_ynode *it = n->items[i];
        expect *e = &t->ex[t->n_ex++];
        memset(e, 0, sizeof(*e));
        e->record = -1;
        e->count = 1;
        e->line = it->line;
        if (it->kind != VG_Y_MAP || !scalar(vg_ymap_get(it, "rule")))
            return bad(t, it, "an expectation needs 'rule' (id or title)");
        for (size_t k = 0; k < it->n; k++) {
            const char *key = it->items[2 * k]->str;
            const vg_ynode *v = it->items[2 * k + 1];
            char *end;
            if (strcmp(key, "rule") == 0) {
                e->rule = v->str;
            } else if (strcmp(key, "input") == 0) {
                if (!scalar(v))
                    return bad(t, v, "'input' is a file name");
                e->input = v->str;
            } else if (strcmp(key, "record") == 0 || strcmp(key, "count") == 0) {
                long long x = scalar(v) ? strtoll(v->str, &end, 10) : -1;
                if (!scalar(v) || *end || x < 0)
                    return bad(t, v, "'record' and 'count' are whole numbers");
                *(key[0] == 'r' ? &e->record : &e->count) = x;
            } else if (strcmp(key, "group") == 0) {
                if (v->kind != VG_Y_MAP || v->n > MAX_GROUP)
                    return bad(t, v, "'group' maps group-by names to values");
                for (size_t g = 0; g < v->n; g++) {
                    if (!scalar(v->items[2 * g + 1]))
                        return bad(t, v->items[2 * g + 1], "group values are strings");
                    e->gkeys[g] = v->items[2 * g]->str;
                    e->gvals[g] = v->items[2 * g + 1]->str;
                }
                e->n_group = v->n;
            } else {
                return bad(t, it->items[2 * k], "unknown expectation setting");
            }
        }
    }
    return true;
}

static bool load_test(tfile *t, const char *text, size_t len)
{
    vg_ydoc *docs = NULL;
    size_t n_docs = 0;
    vg_yerr yerr;
    if (vg_ytree_parse(t->a, text, len, NULL, &docs, &n_docs, &yerr) != VG_OK) {
        fprintf(stderr, "vigil test: %s:%u:%u: %s\n", t->path, yerr.line, yerr.col, yerr.msg);
        return false;
    }
    if (n_docs != 1 || !docs[0].root || docs[0].root->kind != VG_Y_MAP)
        return bad(t, NULL, "a test file is one YAML map (rules, inputs, expect)");
    const vg_ynode *root = docs[0].root;
    static const char *const known[] = {"rules", "inputs", "expect", "exact", "lateness", NULL};
    for (size_t i = 0; i < root->n; i++) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], root->items[2 * i]->str) != 0)
            k++;
        if (!known[k])
            return bad(t, root->items[2 * i],
                       "unknown key (rules, inputs, expect, exact, lateness)");
    }
    const vg_ynode *rn = vg_ymap_get(root, "rules");
    if (!rn || rn->kind != VG_Y_SEQ || rn->n == 0)
        return bad(t, rn, "'rules' must be a list of rule files or directories");
    for (size_t i = 0; i < rn->n && t->ro.n_paths < RSRC_MAX; i++) {
        if (!scalar(rn->items[i]))
            return bad(t, rn->items[i], "a rule path is a string");
        t->ro.paths[t->ro.n_paths++] = rel(t, rn->items[i]->str);
    }
    t->exact = true;
    const vg_ynode *ex = vg_ymap_get(root, "exact");
    if (ex) {
        if (!scalar(ex) || (strcmp(ex->str, "true") != 0 && strcmp(ex->str, "false") != 0))
            return bad(t, ex, "'exact' is true or false");
        t->exact = ex->str[0] == 't';
    }
    t->lateness = 10000;
    const vg_ynode *la = vg_ymap_get(root, "lateness");
    if (la && (!scalar(la) || !units_duration(la->str, &t->lateness)))
        return bad(t, la, "'lateness' is a number and ms, s, m, h or d");
    return load_inputs(t, vg_ymap_get(root, "inputs")) &&
           load_expect(t, vg_ymap_get(root, "expect"));
}

/* ---- matching alerts against expectations ---- */

static bool field_is(const vg_event *ev, const char *path, const char *want)
{
    uint32_t i = vg_event_path(ev, path, strlen(path));
    if (i == VG_NODE_NONE)
        return false;
    const vg_node *n = vg_event_node(ev, i);
    return n->text.len == strlen(want) && memcmp(n->text.p, want, n->text.len) == 0;
}

static bool alert_matches(const vg_event *ev, const expect *e)
{
    if (!field_is(ev, "rule.id", e->rule) && !field_is(ev, "rule.title", e->rule))
        return false;
    for (size_t g = 0; g < e->n_group; g++) {
        char path[300];
        snprintf(path, sizeof(path), "group.%s", e->gkeys[g]);
        if (!field_is(ev, path, e->gvals[g]))
            return false;
    }
    if (e->input) {
        uint32_t i = vg_event_path(ev, "events.source.input", 19);
        if (i == VG_NODE_NONE)
            return false;
        const vg_node *n = vg_event_node(ev, i);
        const char *base = n->text.p;
        size_t len = n->text.len;
        for (size_t k = 0; k < n->text.len; k++)
            if (n->text.p[k] == '/') {
                base = n->text.p + k + 1;
                len = n->text.len - k - 1;
            }
        if (len != strlen(e->input) || memcmp(base, e->input, len) != 0)
            return false;
    }
    if (e->record >= 0) {
        char rec[24];
        snprintf(rec, sizeof(rec), "%lld", e->record);
        if (!field_is(ev, "events.source.record", rec))
            return false;
    }
    return true;
}

static void describe_expect(const expect *e, char *buf, size_t cap)
{
    size_t at = (size_t)snprintf(buf, cap, "rule '%s'", e->rule);
    for (size_t g = 0; g < e->n_group && at < cap; g++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s=%s", g ? ", " : " group ", e->gkeys[g],
                               e->gvals[g]);
    if (e->input && at < cap)
        at += (size_t)snprintf(buf + at, cap - at, " input %s", e->input);
    if (e->record >= 0 && at < cap)
        snprintf(buf + at, cap - at, " record %lld", e->record);
}

static void describe_alert(const vg_event *ev, const char *line, size_t len, FILE *o)
{
    uint32_t t = vg_event_path(ev, "rule.title", 10);
    uint32_t g = vg_event_path(ev, "group", 5);
    uint32_t r = vg_event_path(ev, "events.source.record", 20);
    if (t == VG_NODE_NONE) {
        fprintf(o, "%.*s", (int)len, line);
        return;
    }
    const vg_node *tn = vg_event_node(ev, t);
    fprintf(o, "rule '%.*s'", (int)tn->text.len, tn->text.p);
    if (g != VG_NODE_NONE) {
        const char *sep = " group ";
        for (uint32_t c = vg_event_node(ev, g)->first_child; c != VG_NODE_NONE;
             c = vg_event_node(ev, c)->next_sibling) {
            const vg_node *n = vg_event_node(ev, c);
            fprintf(o, "%s%.*s=%.*s", sep, (int)n->key.len, n->key.p, (int)n->text.len, n->text.p);
            sep = ", ";
        }
    }
    if (r != VG_NODE_NONE)
        fprintf(o, " record %.*s", (int)vg_event_node(ev, r)->text.len,
                vg_event_node(ev, r)->text.p);
}

/* Run one test file; true if it passed. */
static bool run_test(const char *path, bool verbose)
{
    tfile *t = vg_calloc(1, sizeof(*t));
    char *text = NULL, *outp = NULL, *errp = NULL;
    size_t len = 0, outn = 0, errn = 0;
    vg_ruleset *rs = NULL;
    vg_diags *d = NULL;
    vg_event *ev = NULL;
    bool ok = false;
    if (!t || !(t->a = vg_arena_new(0, 0)))
        goto out;
    t->path = path;
    snprintf(t->dir, sizeof(t->dir), "%s", path);
    char *slash = strrchr(t->dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(t->dir, sizeof(t->dir), ".");
    int e = fs_read_file(path, MAX_TEST_FILE, &text, &len);
    if (e) {
        fprintf(stderr, "vigil test: cannot read %s: %s\n", path, strerror(e));
        goto out;
    }
    if (!load_test(t, text, len))
        goto out;
    d = vg_diags_new();
    size_t n_files = 0;
    rs = d ? rsrc_load(&t->ro, d, &n_files) : NULL;
    if (!rs || vg_diags_errors(d) > 0) {
        rsrc_print_diags(d, false);
        fprintf(stderr, "vigil test: %s: its rules do not compile\n", path);
        goto out;
    }
    char err[256];
    if (vg_ruleset_build_prefilter(rs, err, sizeof(err)) != VG_OK) {
        fprintf(stderr, "vigil test: %s: %s\n", path, err);
        goto out;
    }
    for (size_t i = 0; i < t->n_in; i++) {
        if (t->in[i].ls_spec) {
            if (vg_logsource_parse(rs, t->in[i].ls_spec, &t->in[i].ls, err, sizeof(err)) != VG_OK) {
                fprintf(stderr, "vigil test: %s: logsource %s: %s\n", path, t->in[i].ls_spec, err);
                goto out;
            }
            t->in[i].has_ls = true;
        }
    }
    pl_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.rs = rs;
    cfg.fast = true;
    cfg.max_record = 4u << 20;
    cfg.max_errors = 100;
    cfg.threads = 1;
    cfg.limits.max_bytes = (size_t)(17u << 20);
    cfg.corr.lateness_ms = t->lateness;
    FILE *fo = open_memstream(&outp, &outn), *fe = open_memstream(&errp, &errn);
    if (!fo || !fe) {
        if (fo)
            fclose(fo);
        if (fe)
            fclose(fe);
        fprintf(stderr, "vigil test: out of memory\n");
        goto out;
    }
    pl_counts counts;
    int rc = pl_run(&cfg, t->in, t->n_in, fo, fe, &counts);
    fclose(fo);
    fclose(fe);
    if (rc != 0 || counts.io_errors) {
        fprintf(stderr, "vigil test: %s: the inputs could not be run:\n%s", path, errp ? errp : "");
        goto out;
    }
    ev = vg_event_new(NULL);
    if (!ev)
        goto out;
    /* match: each alert counts for the first expectation it satisfies */
    size_t unexpected = 0, n_alerts = 0;
    char *diff = NULL;
    size_t diffn = 0;
    FILE *df = open_memstream(&diff, &diffn);
    for (char *line = outp; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        vg_event_reset(ev);
        vg_perr perr = {0, NULL};
        bool parsed = vg_parse_json(ev, line, ll, &perr) == VG_OK && vg_event_index(ev) == VG_OK;
        n_alerts++;
        bool matched = false;
        for (size_t i = 0; parsed && i < t->n_ex && !matched; i++) {
            if (alert_matches(ev, &t->ex[i])) {
                t->ex[i].got++;
                matched = true;
            }
        }
        if (verbose) {
            printf("  %s ", matched ? "=" : "?");
            describe_alert(ev, line, ll, stdout);
            printf("\n");
        }
        if (!matched && t->exact && df) {
            unexpected++;
            fprintf(df, "  + unexpected: ");
            describe_alert(ev, line, ll, df);
            fprintf(df, "\n");
        }
        line = nl ? nl + 1 : NULL;
    }
    size_t wrong = 0;
    for (size_t i = 0; i < t->n_ex && df; i++) {
        if (t->ex[i].got == t->ex[i].count)
            continue;
        char what[512];
        describe_expect(&t->ex[i], what, sizeof(what));
        fprintf(df, "  - %s:%u: expected %s: %lld alert%s, got %lld\n", path, t->ex[i].line, what,
                t->ex[i].count, t->ex[i].count == 1 ? "" : "s", t->ex[i].got);
        wrong++;
    }
    if (df)
        fclose(df);
    ok = df && wrong == 0 && unexpected == 0;
    printf("%s %s (%zu alerts, %zu expectations)\n", ok ? "PASS" : "FAIL", path, n_alerts, t->n_ex);
    if (!ok && diff)
        fputs(diff, stdout);
    free(diff);
out:
    vg_event_free(ev);
    vg_ruleset_free(rs);
    vg_diags_free(d);
    free(outp);
    free(errp);
    free(text);
    if (t)
        vg_arena_free(t->a);
    vg_free(t);
    return ok;
}

int cli_test(int argc, char **argv)
{
    bool verbose = false;
    fs_list files = {0};
    int status = CLI_OK;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(test_help, stdout);
            fs_list_free(&files);
            return CLI_OK;
        }
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            verbose = true;
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "vigil test: unknown option '%s' (see vigil test --help)\n", argv[i]);
            fs_list_free(&files);
            return CLI_USAGE;
        }
        int e = fs_collect_yaml(argv[i], &files);
        if (e) {
            fprintf(stderr, "vigil test: %s: %s\n", argv[i], strerror(e));
            status = CLI_FAILED;
        }
    }
    if (files.n == 0 && status == CLI_OK) {
        fprintf(stderr, "vigil test: no test files given (see vigil test --help)\n");
        fs_list_free(&files);
        return CLI_USAGE;
    }
    size_t passed = 0;
    for (size_t i = 0; i < files.n; i++)
        passed += run_test(files.v[i], verbose);
    printf("%zu passed, %zu failed\n", passed, files.n - passed);
    if (passed != files.n)
        status = CLI_FAILED;
    fs_list_free(&files);
    return status;
}
