/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sigma_corpus.c: conformance against SigmaHQ's rule corpus and regression data in
 * ../shared/sigma (beside the source tree; skipped with a message when absent).
 *
 *  - compile: every rule file under rules* compiles; at most 1% of the documents may be
 *    rejected, and each rejection is printed with its reason. Placeholders get the values
 *    in tests/data/sigma_placeholders.yml, as a deployment would configure them.
 *  - regression: for every case under regression/ (an info.yml naming the rule id and
 *    sometimes match_count, next to the case's JSON events), the whole corpus is run over
 *    the case's events and the named rule must fire on at least match_count events (1
 *    when not given).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "rulesrc.h"
#include "vigil/ytree.h"
#include "vigil/arena.h"
#include "vigil/match.h"
#include "vigil/parse.h"

typedef struct corpus {
    char root[1024]; /* .../shared/sigma */
    char placeholders[1024];
    vg_ruleset *rs; /* built once, shared by the tests */
    vg_diags *d;
    size_t n_files;
} corpus;

static const char *const rule_dirs[] = {"rules",
                                        "rules-emerging-threats",
                                        "rules-threat-hunting",
                                        "rules-compliance",
                                        "rules-placeholder",
                                        "rules-dfir",
                                        NULL};

static int setup(void **state)
{
    static corpus c;
    memset(&c, 0, sizeof(c));
    const char *src = getenv("VIGIL_SRC");
    snprintf(c.root, sizeof(c.root), "%s/../shared/sigma", src ? src : ".");
    snprintf(c.placeholders, sizeof(c.placeholders), "%s/tests/data/sigma_placeholders.yml",
             src ? src : ".");
    struct stat st;
    if (stat(c.root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        c.root[0] = '\0';
        *state = &c;
        return 0;
    }
    static rsrc_opts o;
    static char paths[8][1100];
    memset(&o, 0, sizeof(o));
    for (size_t i = 0; rule_dirs[i]; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/%s", c.root, rule_dirs[i]);
        if (stat(paths[i], &st) == 0)
            o.paths[o.n_paths++] = paths[i];
    }
    o.placeholder_files[o.n_placeholder_files++] = c.placeholders;
    c.d = vg_diags_new();
    c.rs = rsrc_load(&o, c.d, &c.n_files);
    *state = &c;
    return c.rs ? 0 : -1;
}

static int teardown(void **state)
{
    corpus *c = *state;
    vg_ruleset_free(c->rs);
    vg_diags_free(c->d);
    return 0;
}

#define NEED_CORPUS(c)                                                                             \
    do {                                                                                           \
        if (!(c)->root[0]) {                                                                       \
            print_message("skipped: ../shared/sigma is not present beside the source tree\n");     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

static void test_corpus_compiles(void **state)
{
    corpus *c = *state;
    NEED_CORPUS(c);
    vg_ruleset_stats st;
    vg_ruleset_stats_get(c->rs, &st);
    size_t n = vg_diags_count(c->d);
    for (size_t i = 0; i < n; i++) {
        const vg_diag *g = vg_diags_get(c->d, i);
        if (g->sev == VG_SEV_ERROR)
            print_message("rejected: %s:%u:%u: %s [%s]\n", g->loc.file, g->loc.line, g->loc.col,
                          g->msg, g->reason);
    }
    print_message("corpus: %zu files, %zu documents, %zu rules loaded, %zu rejected\n", c->n_files,
                  st.n_docs, st.n_rules, st.n_rejected);
    assert_true(c->n_files > 3000);
    assert_true(st.n_docs >= c->n_files);
    /* at least 99% of the documents compile */
    assert_true(st.n_rejected * 100 <= st.n_docs);
}

/* ---- regression cases ---- */

typedef struct rcase {
    char dir[1200];
} rcase;

typedef struct rlist {
    rcase *v;
    size_t n, cap;
} rlist;

static void find_cases(const char *dir, rlist *out, int depth)
{
    if (depth > 16)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1200];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            find_cases(p, out, depth + 1);
        } else if (strcmp(e->d_name, "info.yml") == 0) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 64;
                out->v = realloc(out->v, out->cap * sizeof(rcase));
                assert_non_null(out->v);
            }
            snprintf(out->v[out->n++].dir, sizeof(out->v[0].dir), "%s", dir);
        }
    }
    closedir(d);
}

/* rule id and match_count from an info.yml */
static bool read_info(const char *dir, char *rule_id, size_t id_cap, long *match_count)
{
    char path[1300];
    snprintf(path, sizeof(path), "%s/info.yml", dir);
    char *text;
    size_t len;
    if (fs_read_file(path, 1u << 20, &text, &len) != 0)
        return false;
    vg_arena *a = vg_arena_new(0, 0);
    vg_ydoc *docs;
    size_t n_docs;
    vg_yerr err;
    bool ok = vg_ytree_parse(a, text, len, NULL, &docs, &n_docs, &err) == VG_OK && n_docs > 0;
    *match_count = 1;
    rule_id[0] = '\0';
    if (ok) {
        const vg_ynode *meta = vg_ymap_get(docs[0].root, "rule_metadata");
        if (meta && meta->kind == VG_Y_SEQ && meta->n > 0) {
            const vg_ynode *id = vg_ymap_get(meta->items[0], "id");
            if (id && id->kind == VG_Y_SCALAR)
                snprintf(rule_id, id_cap, "%s", id->str);
        }
        const vg_ynode *tests = vg_ymap_get(docs[0].root, "regression_tests_info");
        if (tests && tests->kind == VG_Y_SEQ && tests->n > 0) {
            const vg_ynode *mc = vg_ymap_get(tests->items[0], "match_count");
            if (mc && mc->kind == VG_Y_SCALAR)
                *match_count = strtol(mc->str, NULL, 10);
        }
    }
    vg_arena_free(a);
    vg_free(text);
    return ok && rule_id[0];
}

static long rule_index(const vg_ruleset *rs, const char *id)
{
    size_t n = vg_ruleset_count(rs);
    for (size_t i = 0; i < n; i++) {
        vg_rule_info info;
        vg_ruleset_rule_info(rs, i, &info);
        if (strcmp(info.id, id) == 0)
            return (long)i;
    }
    return -1;
}

/* Events in one JSON file on which rule `want` fires. -1 on a parse failure. */
static long count_hits(const vg_ruleset *rs,
                       vg_match_scratch *ms,
                       vg_event *ev,
                       const char *path,
                       long want,
                       size_t *n_events)
{
    char *text;
    size_t len;
    if (fs_read_file(path, 64u << 20, &text, &len) != 0)
        return -1;
    long hits = 0;
    size_t pos = 0;
    uint32_t out[4096];
    while (pos < len) {
        size_t start, rlen, used;
        vg_frame_result fr = vg_frame_next(VG_FMT_JSON, text + pos, len - pos, true, 64u << 20,
                                           &start, &rlen, &used);
        if (fr == VG_FRAME_SKIP) {
            pos += used ? used : len - pos;
            continue;
        }
        if (fr != VG_FRAME_RECORD) {
            hits = -1;
            break;
        }
        vg_event_reset(ev);
        vg_perr perr;
        if (vg_parse_json(ev, text + pos + start, rlen, &perr) != VG_OK ||
            vg_event_index(ev) != VG_OK) {
            print_message("%s: parse error at %zu: %s\n", path, perr.offset, perr.msg);
            hits = -1;
            break;
        }
        (*n_events)++;
        size_t n = vg_match_event(rs, ms, ev, NULL, out, 4096);
        for (size_t i = 0; i < n && i < 4096; i++)
            if ((long)out[i] == want) {
                hits++;
                break;
            }
        pos += used;
    }
    vg_free(text);
    return hits;
}

static void test_regression_cases_fire(void **state)
{
    corpus *c = *state;
    NEED_CORPUS(c);
    char reg[1100];
    snprintf(reg, sizeof(reg), "%s/regression", c->root);
    rlist cases = {0};
    find_cases(reg, &cases, 0);
    vg_match_scratch *ms = vg_match_scratch_new(c->rs);
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ms);
    assert_non_null(ev);
    size_t passed = 0, failed = 0, n_events = 0;
    for (size_t i = 0; i < cases.n; i++) {
        char id[128];
        long want_count;
        if (!read_info(cases.v[i].dir, id, sizeof(id), &want_count)) {
            print_message("FAIL %s: unreadable info.yml\n", cases.v[i].dir);
            failed++;
            continue;
        }
        long ri = rule_index(c->rs, id);
        long got = 0;
        if (ri >= 0) {
            DIR *d = opendir(cases.v[i].dir);
            struct dirent *e;
            while (d && (e = readdir(d)) != NULL) {
                size_t nl = strlen(e->d_name);
                if (nl < 6 || strcmp(e->d_name + nl - 5, ".json") != 0)
                    continue;
                char p[1600];
                snprintf(p, sizeof(p), "%s/%s", cases.v[i].dir, e->d_name);
                long h = count_hits(c->rs, ms, ev, p, ri, &n_events);
                if (h < 0) {
                    got = -1;
                    break;
                }
                got += h;
            }
            if (d)
                closedir(d);
        }
        if (ri >= 0 && got >= want_count) {
            passed++;
        } else {
            failed++;
            print_message("FAIL %s: rule %s %s, fired on %ld events, want >= %ld\n", cases.v[i].dir,
                          id, ri < 0 ? "not loaded" : "loaded", got, want_count);
        }
    }
    print_message("regression: %zu cases, %zu passed, %zu failed, %zu events\n", cases.n, passed,
                  failed, n_events);
    vg_event_free(ev);
    vg_match_scratch_free(ms);
    free(cases.v);
    assert_true(cases.n >= 100);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_corpus_compiles),
            cmocka_unit_test(test_regression_cases_fire),
    };
    return cmocka_run_group_tests_name("conformance/sigma_corpus", tests, setup, teardown);
}
