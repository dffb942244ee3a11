/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_corr_shards.c: `vigil run --corr-shards N` end to end (the binary named by
 * $VIGIL_BIN, the source tree by $VIGIL_SRC, the scenario generator by $VIGIL_GEN_CORR).
 *
 * Correlator shards must find exactly what one correlator finds: the same alert lines (the
 * detection time removed), only in another order. Inputs: a generated correlation scenario
 * (bench vigil_gen_corr: 60,000 events, an attack planted every 500, so that batches carry
 * hundreds of signals and the shards run on their threads) and the bundled samples, each
 * with several thread and shard counts, and with a lateness that drops events as late. Also:
 * --corr-shards is checked (1..64) and documented in run --help.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char events[512];

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run's stdout lines, "time" removed, sorted and joined by "\n" (heap). n_lines: their
 * number. */
static char *sorted_out(harness_result *r, size_t *n_lines)
{
    r->out_len = harness_strip_time(r->out, r->out_len);
    size_t n = 0, cap = 1024;
    char **v = malloc(cap * sizeof(*v));
    assert_non_null(v);
    char *save = NULL;
    for (char *line = strtok_r(r->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof(*v));
            assert_non_null(v);
        }
        v[n++] = line;
    }
    qsort(v, n, sizeof(*v), cmp_line);
    char *s = malloc(r->out_len + 2);
    assert_non_null(s);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]);
        memcpy(s + at, v[i], l);
        s[at + l] = '\n';
        at += l + 1;
    }
    s[at] = '\0';
    free(v);
    *n_lines = n;
    return s;
}

/* args run with --corr-shards 1 (and --threads 1), then with each of the variants: the
 * same sorted output every time. Returns the number of alert lines. */
static size_t same_for_any_shards(const char *args)
{
    harness_result one = harness_run("%s --threads 1 --corr-shards 1", args);
    assert_int_equal(one.status, 0);
    size_t n_one = 0;
    char *want = sorted_out(&one, &n_one);
    static const char *const variants[] = {"--threads 1 --corr-shards 2",
                                           "--threads 2 --corr-shards 3",
                                           "--threads 3 --corr-shards 8", "--corr-shards=64"};
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        harness_result r = harness_run("%s %s", args, variants[i]);
        assert_int_equal(r.status, 0);
        size_t n = 0;
        char *got = sorted_out(&r, &n);
        if (strcmp(got, want) != 0)
            print_error("%s %s: %zu alert lines, %zu with one shard\n", args, variants[i], n,
                        n_one);
        assert_int_equal(n, n_one);
        assert_string_equal(got, want);
        free(got);
        harness_result_free(&r);
    }
    free(want);
    harness_result_free(&one);
    return n_one;
}

static void test_scenario_same_for_any_shards(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof(args), "run --rules rules/sigma --lateness 1d --input %s", events);
    size_t n = same_for_any_shards(args);
    assert_int_equal(n, 120); /* one correlation alert per planted attack */
    /* with no lateness, events behind others are dropped as late: the same on every shard */
    snprintf(args, sizeof(args), "run --rules rules/sigma --lateness 0ms --input %s", events);
    same_for_any_shards(args);
}

static void test_samples_same_for_any_shards(void **state)
{
    (void)state;
    size_t n = same_for_any_shards(
            "run --rules rules/sigma --input rules/samples/windows.json --input "
            "rules/samples/web.jsonl --input rules/samples/cloudtrail.jsonl --input "
            "rules/samples/correlation.jsonl");
    assert_true(n > 10);
}

static void test_shards_option(void **state)
{
    (void)state;
    harness_result r = harness_run("run --help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--corr-shards N"));
    harness_result_free(&r);
    static const char *const bad[] = {"0", "65", "-1", "x", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = harness_run("run --rules rules/sigma --input rules/samples/web.jsonl "
                        "--corr-shards '%s'",
                        bad[i]);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "--corr-shards must be 1..64"));
        harness_result_free(&r);
    }
}

static int setup(void **state)
{
    (void)state;
    const char *gen = getenv("VIGIL_GEN_CORR");
    if (!gen || harness_setup("shards") != 0)
        return -1;
    snprintf(events, sizeof(events), "%s/events.jsonl", harness_tmpdir());
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' 60000 '%s' '%s/truth.tsv' 500 2>/dev/null", gen, events,
             harness_tmpdir());
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return harness_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_scenario_same_for_any_shards),
            cmocka_unit_test(test_samples_same_for_any_shards),
            cmocka_unit_test(test_shards_option),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
