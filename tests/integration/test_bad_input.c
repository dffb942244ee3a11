/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bad_input.c: the bad-input corpus. Hostile events and hostile rules, made here (a
 * 16 MiB record and 100,000-deep nesting are not worth committing), each run through the
 * vigil binary. Every bad event must be rejected with a report naming its input, line and
 * record, counted in the summary under its reason, and the good event after it must still
 * give its alert; a garbage line with an unbalanced '{' must not swallow the good lines after
 * it; every hostile rule must be refused at file:line:col with its reason (or,
 * for a huge but valid rule, load) while the other rules keep working; a catastrophic regex
 * must hit the match limit, be counted, and not stall.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char good_rule[] = "title: Hit\n"
                                "id: 11111111-0000-4000-8000-000000000001\n"
                                "logsource: {product: vigiltest}\n"
                                "detection:\n  sel: {action: hit}\n  condition: sel\n";
static const char good_event[] = "{\"action\":\"hit\",\"n\":1}\n";
static const char syslog_rule[] = "title: Syslog hit\n"
                                  "id: 11111111-0000-4000-8000-000000000002\n"
                                  "logsource: {product: vigiltest}\n"
                                  "detection:\n  sel: {program: hitter}\n  condition: sel\n";

static int setup(void **state)
{
    (void)state;
    if (harness_setup("bad-input") != 0)
        return -1;
    harness_write("hit.yml", good_rule);
    harness_write("syslog-hit.yml", syslog_rule);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return harness_teardown();
}

/* Write bad (n bytes) then the good event to <tmp>/<name>. */
static void write_case(const char *name, const char *bad, size_t n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", harness_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bad, 1, n, f), n);
    fputs(good_event, f);
    fclose(f);
}

/* A literal's bytes, NULs inside included. */
#define WRITE_LIT(name, lit) write_case(name, lit, sizeof(lit) - 1)

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
    size_t n = strlen(head) + strlen(unit) * times + strlen(tail) + 2;
    char *s = malloc(n);
    assert_non_null(s);
    size_t at = 0;
    memcpy(s + at, head, strlen(head));
    at += strlen(head);
    for (size_t i = 0; i < times; i++) {
        memcpy(s + at, unit, strlen(unit));
        at += strlen(unit);
    }
    memcpy(s + at, tail, strlen(tail));
    at += strlen(tail);
    s[at++] = '\n';
    s[at] = '\0';
    return s;
}

typedef struct ev_case {
    const char *name;
    const char *report;  /* in the report line after "record 0 (byte N): " */
    const char *counted; /* in the summary: "1 malformed", "1 over a limit", "1 oversized" */
} ev_case;

static void run_case(const ev_case *c)
{
    harness_result r = harness_run("run --rules %s/hit.yml --format json --input %s/%s",
                                   harness_tmpdir(), harness_tmpdir(), c->name);
    if (r.status != 0 || !strstr(r.err, c->report) || !strstr(r.err, c->counted))
        print_error("case %s: status %d\n%s\n", c->name, r.status, r.err);
    assert_int_equal(r.status, 0);
    char where[300];
    snprintf(where, sizeof(where), "%s:1: record 0 (byte ", c->name);
    assert_non_null(strstr(r.err, where)); /* the input, line and record */
    assert_non_null(strstr(r.err, c->report));
    assert_non_null(strstr(r.err, "2 records, 1 events, 1 alerts"));
    assert_non_null(strstr(r.err, c->counted));
    /* processing went on: the good event after it alerted */
    assert_non_null(strstr(r.out, "\"title\":\"Hit\""));
    harness_result_free(&r);
}

static void test_bad_events_are_reported_counted_and_skipped(void **state)
{
    (void)state;
    WRITE_LIT("truncated.jsonl", "{\"a\":1,\"b\":\n");
    WRITE_LIT("nul.jsonl", "{\"a\":\"x\0y\"}\n");
    WRITE_LIT("garbage.jsonl", "\x89PNG\r\x1a\x01\xff\xfe\x7f\x80\n");
    char *big = repeat("{\"a\":\"", "xxxxxxxxxxxxxxxx", (16u << 20) / 16, "\"}");
    write_case("16mib.jsonl", big, strlen(big));
    free(big);
    char *deep = repeat("", "{\"a\":", 100000, "1");
    size_t dl = strlen(deep) - 1; /* without the newline */
    char *closed = malloc(dl + 100000 + 2);
    assert_non_null(closed);
    memcpy(closed, deep, dl);
    memset(closed + dl, '}', 100000);
    closed[dl + 100000] = '\n';
    write_case("deep.jsonl", closed, dl + 100000 + 1);
    free(deep);
    free(closed);
    char *fields = malloc(100000 * 16 + 16);
    assert_non_null(fields);
    size_t at = 0;
    fields[at++] = '{';
    for (int i = 0; i < 100000; i++)
        at += (size_t)snprintf(fields + at, 32, "%s\"f%d\":%d", i ? "," : "", i, i);
    fields[at++] = '}';
    fields[at++] = '\n';
    write_case("fields.jsonl", fields, at);
    free(fields);
    WRITE_LIT("array.jsonl", "[1,2,3]\n");

    static const ev_case cases[] = {
            {"truncated.jsonl", "unterminated record", "1 malformed"},
            {"nul.jsonl", "json parse error: control character in string", "1 malformed"},
            {"garbage.jsonl", "json parse error", "1 malformed"},
            {"16mib.jsonl", "record too large: larger than the record limit", "1 oversized"},
            {"deep.jsonl", "over a limit: nesting too deep", "1 over a limit"},
            {"fields.jsonl", "over a limit: too many fields", "1 over a limit"},
            {"array.jsonl", "json parse error: top-level value is not an object", "1 malformed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* Syslog lines without a header (no PRI, a bad PRI, a PRI and nothing more) are reported
 * with their line and counted; the good lines between them (RFC 3164 and 5424) alert. */
static void test_syslog_without_header(void **state)
{
    (void)state;
    harness_write("noheader.log", "no header at all here\n"
                                  "<13>Oct 11 22:14:15 host hitter: go\n"
                                  "<999>Oct 11 22:14:15 host x: bad priority\n"
                                  "<13>\n"
                                  "<13>1 2003-10-11T22:14:15.003Z host hitter - - - five\n");
    harness_result r = harness_run("run --rules %s/syslog-hit.yml --format syslog --input %s/%s",
                                   harness_tmpdir(), harness_tmpdir(), "noheader.log");
    if (r.status != 0)
        print_error("status %d\n%s\n", r.status, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "noheader.log:1: record 0 (byte 0): syslog parse error"));
    assert_non_null(strstr(r.err, "noheader.log:3: record 2 (byte "));
    assert_non_null(strstr(r.err, "): syslog parse error: bad priority"));
    assert_non_null(strstr(r.err, "noheader.log:4: record 3 (byte "));
    assert_non_null(strstr(r.err, "5 records, 2 events, 2 alerts; skipped 3 malformed"));
    harness_result_free(&r);
}

/* Values that are odd but valid are events: huge numbers, duplicate keys, invalid UTF-8
 * in a string (kept as bytes; alerts escape what is not UTF-8). */
static void test_odd_but_valid_events_are_kept(void **state)
{
    (void)state;
    harness_write("odd.jsonl", "{\"action\":\"hit\",\"n\":1e999999,"
                               "\"m\":123456789012345678901234567890123456789012345678901234}\n"
                               "{\"action\":\"hit\",\"action\":\"hit\"}\n"
                               "{\"action\":\"hit\",\"s\":\"\xff\xfe\"}\n");
    harness_result r = harness_run("run --rules %s/hit.yml --format json --input %s/odd.jsonl",
                                   harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "3 records, 3 events, 3 alerts"));
    /* the alerts are valid UTF-8 whatever the event held */
    for (const unsigned char *p = (const unsigned char *)r.out; *p; p++)
        assert_false(*p == 0xff || *p == 0xfe);
    harness_result_free(&r);
}

/* A garbage line that opens brackets it never closes well, and a record cut short, must not
 * swallow the one-per-line events after them (even when a later line balances the
 * brackets): each good event alerts, and each bad line is reported at its own line. */
static void test_garbage_brace_does_not_swallow_good_events(void **state)
{
    (void)state;
    harness_write("resync.jsonl", "{\"action\":\"hit\",\"n\":1}\n"
                                  "{\x01\xff garbage [\n"
                                  "{\"action\":\"hit\",\"n\":2}\n"
                                  "{\"action\":\"hit\",\"n\":3}\n"
                                  "]}\n"
                                  "{\"action\":\"hit\",\"n\":4,\n"
                                  "{\"action\":\"hit\",\"n\":5}\n");
    static const char *const formats[] = {"json", "auto"};
    for (size_t f = 0; f < 2; f++) {
        harness_result r = harness_run("run --rules %s/hit.yml --format %s --input %s/resync.jsonl",
                                       harness_tmpdir(), formats[f], harness_tmpdir());
        if (r.status != 0 || !strstr(r.err, "7 records"))
            print_error("format %s: status %d\n%s\n", formats[f], r.status, r.err);
        assert_int_equal(r.status, 0);
        static const char *const good[] = {"\"n\":1", "\"n\":2", "\"n\":3", "\"n\":5"};
        for (size_t i = 0; i < 4; i++)
            assert_non_null(strstr(r.out, good[i]));
        assert_null(strstr(r.out, "\"n\":4"));
        assert_non_null(strstr(r.err, "resync.jsonl:2: record 1 (byte 23): unterminated record"));
        assert_non_null(strstr(r.err, "resync.jsonl:6: record 5 (byte 86): unterminated record"));
        if (f == 0) { /* "]}" is a malformed JSON line; in auto it is a raw event */
            assert_non_null(strstr(r.err, "resync.jsonl:5: record 4 (byte 83): json parse error"));
            assert_non_null(strstr(r.err, "7 records, 4 events, 4 alerts; skipped 3 malformed"));
        } else {
            assert_non_null(strstr(r.err, "7 records, 5 events, 4 alerts; skipped 2 malformed"));
        }
        harness_result_free(&r);
    }
}

typedef struct rule_case {
    const char *file;
    const char *error; /* "file:line:col: error: ..." part */
} rule_case;

static void test_hostile_rules_are_refused_with_their_place(void **state)
{
    (void)state;
    char *deep = repeat("title: Deep\nid: 11111111-0000-4000-8000-000000000004\n"
                        "logsource: {product: vigiltest}\ndetection:\n  sel: {a: b}\n"
                        "  condition: ",
                        "(", 1000, "sel");
    size_t dl = strlen(deep) - 1;
    char *full = malloc(dl + 1000 + 2);
    assert_non_null(full);
    memcpy(full, deep, dl);
    memset(full + dl, ')', 1000);
    full[dl + 1000] = '\n';
    full[dl + 1001] = '\0';
    harness_write("deep.yml", full);
    free(deep);
    free(full);
    harness_write("loop.yml", "title: A\nid: c1\nname: c1\ncorrelation: {type: event_count, "
                              "rules: [c2], group-by: [u], timespan: 1m, condition: {gte: 2}}\n"
                              "---\ntitle: B\nid: c2\nname: c2\ncorrelation: {type: event_count, "
                              "rules: [c1], group-by: [u], timespan: 1m, condition: {gte: 2}}\n");
    harness_write("mod.yml", "title: Mod\nid: 11111111-0000-4000-8000-000000000005\n"
                             "logsource: {product: vigiltest}\ndetection:\n"
                             "  sel: {a|nosuchmod: b}\n  condition: sel\n");
    harness_write("notyaml.yml", "title: [unclosed\n\t\x01\xff: :\n");
    static const rule_case cases[] = {
            {"deep.yml", "deep.yml:6:"},
            {"loop.yml", "error: correlation 'A' is part of a loop of chained correlations"},
            {"mod.yml", "mod.yml:5:11: error: unknown modifier 'nosuchmod'"},
            {"notyaml.yml", "notyaml.yml:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        harness_result r = harness_run("check %s/%s", harness_tmpdir(), cases[i].file);
        if (!strstr(r.err, cases[i].error) && !strstr(r.out, cases[i].error))
            print_error("case %s:\n%s%s\n", cases[i].file, r.out, r.err);
        assert_int_equal(r.status, 1);
        assert_true(strstr(r.err, cases[i].error) || strstr(r.out, cases[i].error));
        harness_result_free(&r);
        /* the other rules go on working beside the refused one */
        r = harness_run("run --rules %s/%s --rules %s/hit.yml --format json --input %s/odd.jsonl",
                        harness_tmpdir(), cases[i].file, harness_tmpdir(), harness_tmpdir());
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "\"title\":\"Hit\""));
        harness_result_free(&r);
    }
}

static void test_huge_list_and_catastrophic_regex(void **state)
{
    (void)state;
    char *list = repeat("title: Big\nid: 11111111-0000-4000-8000-000000000003\n"
                        "logsource: {product: vigiltest}\ndetection:\n  sel:\n    user:\n",
                        "      - someone\n", 100000, "  condition: sel");
    harness_write("big.yml", list);
    free(list);
    harness_result r = harness_run("check %s/big.yml", harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_true(strstr(r.out, "1 rules loaded") || strstr(r.err, "1 rules loaded"));
    harness_result_free(&r);

    harness_write("redos.yml", "title: ReDoS\nid: 11111111-0000-4000-8000-000000000002\n"
                               "logsource: {product: vigiltest}\ndetection:\n"
                               "  sel: {CommandLine|re: '^(a+)+$'}\n  condition: sel\n");
    char *ev = repeat("{\"CommandLine\":\"", "a", 5000, "b\"}");
    harness_write("redos.jsonl", ev);
    free(ev);
    /* the default matcher's regex prefilter (vectorscan, linear time) sees that the value
     * cannot match and never runs PCRE2 on it; the reference evaluator does, and stops at
     * the match limit */
    r = harness_run("run --rules %s/redos.yml --format json --input %s/redos.jsonl",
                    harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "0 rule evaluations, 0 regex limit hits"));
    harness_result_free(&r);
    r = harness_run("run --matcher reference --rules %s/redos.yml --format json --input "
                    "%s/redos.jsonl",
                    harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "1 regex limit hits"));
    harness_result_free(&r);
    /* a lookahead the prefilter has to leave out: PCRE2 runs, and stops at the limit */
    harness_write("redos2.yml", "title: ReDoS 2\nid: 11111111-0000-4000-8000-000000000004\n"
                                "logsource: {product: vigiltest}\ndetection:\n"
                                "  sel: {CommandLine|re: '^(?=(a+)+$)'}\n  condition: sel\n");
    r = harness_run("run --rules %s/redos2.yml --format json --input %s/redos.jsonl",
                    harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "1 rule evaluations, 1 regex limit hits"));
    harness_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bad_events_are_reported_counted_and_skipped),
            cmocka_unit_test(test_odd_but_valid_events_are_kept),
            cmocka_unit_test(test_syslog_without_header),
            cmocka_unit_test(test_garbage_brace_does_not_swallow_good_events),
            cmocka_unit_test(test_hostile_rules_are_refused_with_their_place),
            cmocka_unit_test(test_huge_list_and_catastrophic_regex),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
