/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_threads.c: `vigil run --threads N` end to end (the binary named by $VIGIL_BIN, the
 * source tree by $VIGIL_SRC; both set by ctest).
 *
 * The output must not depend on the number of worker threads: for N = 1, 2, 3 and 8 (and
 * without the option) stdout is the same bytes once the alerts' "time" (the wall clock at
 * detection) is removed, and stderr (reports, their --max-errors cap, the summary) is the
 * same bytes. Inputs:
 *   - the bundled rules over the bundled samples;
 *   - a generated input of about 13,000 records, the samples' records repeated with
 *     malformed, oversized, too deep and non-JSON records interleaved and an unterminated
 *     one at the end: many batches in flight at once, reports from every batch;
 *   - the same with a small --max-errors over several inputs, among them one that cannot
 *     be opened and one that cannot be read (a directory); and from standard input.
 * Also: --threads is checked (0..64, 0 = one per CPU) and documented in run --help.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef harness_result result;

/* Run vigil; stdout comes back with the alerts' "time" removed. */
#define run_vigil(...) run_stripped(harness_run(__VA_ARGS__))

static result run_stripped(result r)
{
    r.out_len = harness_strip_time(r.out, r.out_len);
    return r;
}

static void result_free(result *r)
{
    harness_result_free(r);
}

static void assert_same(const result *want, const result *got, const char *what)
{
    if (want->status != got->status || want->out_len != got->out_len ||
        memcmp(want->out, got->out, want->out_len) != 0 || strcmp(want->err, got->err) != 0)
        print_message("%s: output differs from --threads 1 (status %d vs %d, stdout %zu vs %zu "
                      "bytes)\n--- stderr with --threads 1\n%.2000s\n--- stderr\n%.2000s\n",
                      what, want->status, got->status, want->out_len, got->out_len, want->err,
                      got->err);
    assert_int_equal(got->status, want->status);
    assert_int_equal(got->out_len, want->out_len);
    assert_memory_equal(got->out, want->out, want->out_len);
    assert_string_equal(got->err, want->err);
}

/* Run args with --threads 1 and then 2, 3 and 8 (and without --threads); all must agree.
 * Returns the --threads 1 result. */
static result run_all_threads(const char *args)
{
    result one = run_vigil("%s --threads 1", args);
    static const char *const variants[] = {"--threads 2", "--threads 3", "--threads 8", ""};
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        result r = run_vigil("%s %s", args, variants[i]);
        assert_same(&one, &r, variants[i][0] ? variants[i] : "no --threads");
        result_free(&r);
    }
    return one;
}

/* The number before `what` in the summary line (the last line naming " records, "). */
static unsigned long long summary_count(const char *err, const char *what)
{
    const char *line = NULL;
    for (const char *s = strstr(err, " records, "); s; s = strstr(s + 1, " records, "))
        line = s;
    assert_non_null(line);
    while (line > err && line[-1] != '\n')
        line--;
    const char *w = strstr(line, what);
    assert_non_null(w);
    while (w > line && w[-1] == ' ')
        w--;
    while (w > line && w[-1] >= '0' && w[-1] <= '9')
        w--;
    return strtoull(w, NULL, 10);
}

static const char samples_args[] =
        "run --rules rules/sigma --input rules/samples/windows.json --format syslog --input "
        "rules/samples/linux.log --format json --input rules/samples/web.jsonl --input "
        "rules/samples/cloudtrail.jsonl --input rules/samples/correlation.jsonl";

static void test_samples_same_for_any_threads(void **state)
{
    (void)state;
    result one = run_all_threads(samples_args);
    assert_int_equal(one.status, 0);
    assert_true(one.out_len > 0);
    assert_true(summary_count(one.err, "alerts;") > 10);
    result_free(&one);
    one = run_all_threads("run --matcher reference --rules rules/sigma --input "
                          "rules/samples/web.jsonl --input rules/samples/windows.json");
    assert_int_equal(one.status, 0);
    assert_true(one.out_len > 0);
    result_free(&one);
}

static void append(FILE *f, const char *p, size_t n)
{
    assert_int_equal(fwrite(p, 1, n, f), n);
}

/* <tmpdir>/name: the samples `reps` times, their lines interleaved with bad records. */
static void write_mixed(const char *name, int reps)
{
    static const char *const files[] = {"windows.json", "linux.log", "web.jsonl",
                                        "cloudtrail.jsonl"};
    char *text[4];
    size_t len[4];
    for (size_t i = 0; i < 4; i++) {
        char p[600];
        snprintf(p, sizeof(p), "%s/rules/samples/%s", getenv("VIGIL_SRC"), files[i]);
        text[i] = harness_read_all(p, &len[i]);
        assert_non_null(text[i]);
    }
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    char big[10000];
    memset(big, 'a', sizeof(big));
    char deep[200]; /* nested deeper than --max-depth allows */
    for (size_t i = 0; i < 100; i++) {
        deep[i] = '[';
        deep[100 + i] = ']';
    }
    unsigned long n = 0;
    for (int rep = 0; rep < reps; rep++) {
        append(f, text[0], len[0]); /* pretty-printed JSON: records over many lines */
        append(f, "\n", 1);
        for (size_t i = 1; i < 4; i++) {
            const char *s = text[i], *end = text[i] + len[i];
            while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                size_t ll = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
                append(f, s, ll);
                s += ll;
                n++;
                if (n % 7 == 0)
                    fputs("{\"CommandLine\":\"whoami\", \"x\": [1,2,]}\n", f);
                if (n % 11 == 0)
                    fputs("this is not JSON at all\n{\"CommandLine\" \"whoami\"}\n", f);
                if (n % 23 == 0) {
                    fputs("{\"CommandLine\":\"", f);
                    append(f, big, sizeof(big) - (n % 5) * 1000);
                    fputs("\"}\n", f);
                }
                if (n % 29 == 0) {
                    fputs("{\"a\":", f);
                    append(f, deep, sizeof(deep));
                    fputs("}\n", f);
                }
            }
        }
    }
    fputs("{\"CommandLine\": \"never closed\", \"x\": {\"y\": 1}\n", f);
    fclose(f);
    for (size_t i = 0; i < 4; i++)
        free(text[i]);
}

static void test_mixed_input_same_for_any_threads(void **state)
{
    (void)state;
    write_mixed("mixed.txt", 60);
    char args[2048];
    snprintf(args, sizeof(args),
             "run --rules rules/sigma --max-record 8192 --max-errors 1000000 --input %s/mixed.txt",
             harness_tmpdir());
    result one = run_all_threads(args);
    assert_int_equal(one.status, 0);
    assert_true(summary_count(one.err, "records,") > 10000);
    assert_true(summary_count(one.err, "alerts;") > 100);
    assert_true(summary_count(one.err, "malformed,") > 1000);
    assert_true(summary_count(one.err, "oversized;") > 100);
    assert_true(summary_count(one.err, "over a limit,") > 100);
    assert_non_null(strstr(one.err, "record too large"));
    assert_non_null(strstr(one.err, "unterminated record"));
    assert_non_null(strstr(one.err, "json parse error"));
    assert_null(strstr(one.err, "not reporting them one by one"));
    result_free(&one);

    /* the reference matcher gives the same alerts, and agrees with itself across N */
    snprintf(args, sizeof(args),
             "run --matcher reference --rules rules/sigma --max-record 8192 --input %s/mixed.txt",
             harness_tmpdir());
    result ref = run_all_threads(args);
    snprintf(args, sizeof(args), "run --rules rules/sigma --max-record 8192 --input %s/mixed.txt",
             harness_tmpdir());
    result fast = run_vigil("%s --threads 3", args);
    assert_int_equal(fast.out_len, ref.out_len);
    assert_memory_equal(fast.out, ref.out, ref.out_len);
    result_free(&fast);
    result_free(&ref);
}

static void test_caps_inputs_and_stdin(void **state)
{
    (void)state;
    write_mixed("a.txt", 8);
    write_mixed("b.txt", 3);
    /* a small cap that is reached in the middle of a batch, per input; an input that cannot
     * be opened between two that can */
    char args[2048];
    snprintf(args, sizeof(args),
             "run --rules rules/sigma --max-record 8192 --max-errors 5 --input %s/a.txt "
             "--input %s/nonexistent.txt --input %s/b.txt --input %s --format json --input "
             "%s/a.txt",
             harness_tmpdir(), harness_tmpdir(), harness_tmpdir(), harness_tmpdir(),
             harness_tmpdir());
    result one = run_all_threads(args);
    assert_int_equal(one.status, 1);
    assert_non_null(strstr(one.err, "cannot open input"));
    assert_non_null(strstr(one.err, "error reading")); /* the directory */
    const char *more = strstr(one.err, "not reporting them one by one");
    assert_non_null(more);
    assert_non_null(strstr(more + 1, "not reporting them one by one"));
    assert_true(summary_count(one.err, "alerts;") > 0);
    result_free(&one);

    /* --max-errors 0: only the "more" line per input */
    snprintf(args, sizeof(args),
             "run --rules rules/sigma --max-record 8192 --max-errors 0 --input %s/b.txt",
             harness_tmpdir());
    one = run_all_threads(args);
    assert_null(strstr(one.err, "record 0"));
    assert_non_null(strstr(one.err, "not reporting them one by one"));
    result_free(&one);

    /* standard input */
    snprintf(args, sizeof(args), "run --rules rules/sigma --max-record 8192 --input - <%s/a.txt",
             harness_tmpdir());
    one = run_all_threads(args);
    assert_int_equal(one.status, 0);
    assert_true(summary_count(one.err, "alerts;") > 0);
    result_free(&one);
}

static void test_threads_option(void **state)
{
    (void)state;
    result r = run_vigil("run --help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--threads N"));
    result_free(&r);
    static const char *const bad[] = {"65", "-1", "x", "2x", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = run_vigil("run --rules rules/sigma --input rules/samples/web.jsonl --threads '%s'",
                      bad[i]);
        assert_int_equal(r.status, 2);
        assert_non_null(strstr(r.err, "--threads"));
        result_free(&r);
    }
    result one = run_vigil("%s --threads 1", samples_args);
    static const char *const good[] = {"--threads 0", "--threads=64", "--threads 5"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        r = run_vigil("%s %s", samples_args, good[i]);
        assert_same(&one, &r, good[i]);
        result_free(&r);
    }
    result_free(&one);
}

static int setup(void **state)
{
    (void)state;
    return harness_setup("threads");
}

static int teardown(void **state)
{
    (void)state;
    return harness_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_samples_same_for_any_threads),
            cmocka_unit_test(test_mixed_input_same_for_any_threads),
            cmocka_unit_test(test_caps_inputs_and_stdin),
            cmocka_unit_test(test_threads_option),
    };
    return cmocka_run_group_tests_name("integration/threads", tests, setup, teardown);
}
