/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_prefilter.c: the requirements the prefilter derives (exact values, literals, field
 * presence) and that the fast matcher then leaves rules unevaluated exactly when they cannot
 * match: a rule is evaluated only on events that hold one of its atoms, and every event
 * gets the reference evaluator's answer, including numbers written in every form Sigma
 * compares equal (text, hex, float, "#text" objects, arrays).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/diag.h"
#include "vigil/event.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#define CAP 16

/* Rule order is rule index order. */
static const char rules[] =
        "title: exact number\nid: p0\nlogsource: {product: any}\n"
        "detection: {sel: {EventID: 16}, condition: sel}\n"
        "---\n"
        "title: exact text\nid: p1\nlogsource: {product: any}\n"
        "detection: {sel: {Image: 'C:\\Tools\\Probe.exe'}, condition: sel}\n"
        "---\n"
        "title: regex without a literal\nid: p2\nlogsource: {product: any}\n"
        "detection: {sel: {Hash|re: '^[a-f0-9]{8}$'}, condition: sel}\n"
        "---\n"
        "title: comparison\nid: p3\nlogsource: {product: any}\n"
        "detection: {sel: {Size|gt: 100}, condition: sel}\n"
        "---\n"
        "title: null value\nid: p4\nlogsource: {product: any}\n"
        "detection: {sel: {Parent: null}, condition: sel}\n"
        "---\n"
        "title: negation\nid: p5\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '.exe'}, condition: not sel}\n"
        "---\n"
        "title: literal and exact\nid: p6\nlogsource: {product: any}\n"
        "detection: {sel: {CommandLine|contains: 'secretdump', EventID: 1}, condition: sel}\n"
        "---\n"
        "title: cased exact\nid: p7\nlogsource: {product: any}\n"
        "detection: {sel: {User|cased: 'Admin'}, condition: sel}\n";

typedef struct fixture {
    vg_ruleset *rs;
    vg_diags *d;
    vg_match_scratch *fast, *ref;
    vg_event *ev;
} fixture;

/* A task runner that runs the engine's tasks last to first and counts them: the prefilter
 * must come out the same whatever the order. */
static size_t n_tasks_run;

static void run_reversed(void *ctx, size_t n, vg_task_fn task, void *arg)
{
    (void)ctx;
    for (size_t i = n; i-- > 0;) {
        task(arg, i);
        n_tasks_run++;
    }
}

static int setup_with(void **state, const char *logsources, const char *text)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->rs = vg_ruleset_new();
    f->d = vg_diags_new();
    if (logsources)
        assert_int_equal(
                vg_ruleset_add_logsources(f->rs, "l.yml", logsources, strlen(logsources), f->d),
                VG_OK);
    assert_int_equal(vg_ruleset_add_rules(f->rs, "p.yml", text, strlen(text), f->d), VG_OK);
    assert_int_equal(vg_ruleset_finish(f->rs, f->d), VG_OK);
    assert_int_equal(vg_diags_errors(f->d), 0);
    char err[256];
    n_tasks_run = 0;
    assert_int_equal(vg_ruleset_build_prefilter_with(f->rs, run_reversed, NULL, err, sizeof(err)),
                     VG_OK);
    f->fast = vg_match_scratch_new(f->rs);
    f->ref = vg_match_scratch_new(f->rs);
    f->ev = vg_event_new(NULL);
    assert_non_null(f->fast);
    assert_non_null(f->ref);
    assert_non_null(f->ev);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL, rules);
}

static int teardown(void **state)
{
    fixture *f = *state;
    vg_event_free(f->ev);
    vg_match_scratch_free(f->fast);
    vg_match_scratch_free(f->ref);
    vg_ruleset_free(f->rs);
    vg_diags_free(f->d);
    free(f);
    return 0;
}

/* Match one event with both matchers; returns the rules evaluated by the fast one and puts
 * the rules that fire (the same for both, or the test fails) in hits. */
static uint64_t run(fixture *f, const char *json, uint32_t *hits, size_t *n_hits)
{
    char buf[512];
    size_t n = strlen(json);
    assert_true(n < sizeof(buf));
    memcpy(buf, json, n + 1);
    vg_event_reset(f->ev);
    vg_perr perr;
    assert_int_equal(vg_parse_json(f->ev, buf, n, &perr), VG_OK);
    assert_int_equal(vg_event_index(f->ev), VG_OK);
    vg_match_counters before, after;
    vg_match_counters_get(f->fast, &before);
    uint32_t want[CAP];
    size_t nw = vg_match_event(f->rs, f->ref, f->ev, NULL, want, CAP);
    *n_hits = vg_match_event_fast(f->rs, f->fast, f->ev, NULL, hits, CAP);
    vg_match_counters_get(f->fast, &after);
    if (nw != *n_hits || memcmp(want, hits, nw * sizeof(uint32_t)) != 0)
        fail_msg("event %s: fast matcher found %zu rules, reference %zu", json, *n_hits, nw);
    return after.rule_evals - before.rule_evals;
}

static void test_requirements(void **state)
{
    fixture *f = *state;
    /* one literal database (CommandLine's), compiled as a task of the runner */
    assert_int_equal(n_tasks_run, 1);
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_rules, 8);
    assert_int_equal(pi.n_always, 2); /* null and negation */
    assert_int_equal(pi.n_filtered, 6);
    /* 16 as text and as a number, the path, Admin; p6 keeps its literal, which is rarer
     * than its exact EventID 1 (ten bytes against one), and gets EventID 1 (as text and as
     * a number) as its second clause: EventID is looked up for p0 anyway */
    assert_int_equal(pi.n_exact, 6);
    assert_int_equal(pi.n_literals, 1);
    assert_int_equal(pi.n_regex, 1); /* p2 */
    assert_int_equal(pi.n_more, 1);
}

/* An event without any rule's field evaluates only the two rules without a requirement. */
static void test_unrelated_event(void **state)
{
    fixture *f = *state;
    uint32_t hits[CAP];
    size_t n;
    assert_int_equal(run(f, "{\"Other\":\"x\"}", hits, &n), 2);
    assert_int_equal(n, 2); /* p4: Parent is absent; p5: no Image ending in .exe */
    assert_int_equal(hits[0], 4);
    assert_int_equal(hits[1], 5);
}

static void test_numbers(void **state)
{
    fixture *f = *state;
    static const char *const equal[] = {
            "{\"EventID\":16,\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":\"16\",\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":\"0x10\",\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":16.0,\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":1.6e1,\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":{\"#attributes\":{\"Q\":1},\"#text\":16},\"Parent\":1,\"Image\":\"a."
            "exe\"}",
            "{\"EventID\":[3,16],\"Parent\":1,\"Image\":\"a.exe\"}",
    };
    uint32_t hits[CAP];
    size_t n;
    for (size_t i = 0; i < sizeof(equal) / sizeof(equal[0]); i++) {
        assert_int_equal(run(f, equal[i], hits, &n), 3); /* p0, and p4 and p5 (always) */
        assert_int_equal(n, 1);
        assert_int_equal(hits[0], 0);
    }
    /* not equal: p0 is not even evaluated */
    static const char *const other[] = {
            "{\"EventID\":17,\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":\"16x\",\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":16.5,\"Parent\":1,\"Image\":\"a.exe\"}",
            "{\"EventID\":true,\"Parent\":1,\"Image\":\"a.exe\"}",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        assert_int_equal(run(f, other[i], hits, &n), 2); /* p4 and p5 only */
        assert_int_equal(n, 0);
    }
}

static void test_text_and_presence(void **state)
{
    fixture *f = *state;
    uint32_t hits[CAP];
    size_t n;
    /* exact text: case-insensitive unless cased (p4 and p5 are evaluated every time) */
    assert_int_equal(run(f, "{\"Image\":\"c:\\\\tools\\\\PROBE.EXE\",\"Parent\":1}", hits, &n), 3);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    assert_int_equal(run(f, "{\"Image\":\"c:\\\\tools\\\\probe.exe.bak\",\"Parent\":1}", hits, &n),
                     2);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 5);
    assert_int_equal(run(f, "{\"User\":\"Admin\",\"Parent\":1}", hits, &n), 3);
    assert_int_equal(n, 2); /* p5 (no Image) and p7 */
    assert_int_equal(run(f, "{\"User\":\"admin\",\"Parent\":1}", hits, &n), 2);
    assert_int_equal(n, 1);
    /* presence: the regex and the comparison are evaluated when their field is there */
    assert_int_equal(run(f, "{\"Hash\":\"0badf00d\",\"Size\":\"99\",\"Parent\":1}", hits, &n), 4);
    assert_int_equal(n, 2); /* p2 and p5 */
    assert_int_equal(hits[0], 2);
    assert_int_equal(run(f, "{\"Size\":101,\"Parent\":1}", hits, &n), 3);
    assert_int_equal(n, 2); /* p3 and p5 */
    assert_int_equal(hits[0], 3);
    /* p6 is evaluated because its literal and its EventID were seen */
    assert_int_equal(
            run(f, "{\"EventID\":1,\"CommandLine\":\"x secretdump\",\"Parent\":1}", hits, &n), 3);
    assert_int_equal(n, 2);
    assert_int_equal(hits[0], 5);
    assert_int_equal(hits[1], 6);
    /* with another EventID (in any form) its second clause fails: not evaluated */
    assert_int_equal(
            run(f, "{\"EventID\":2,\"CommandLine\":\"x secretdump\",\"Parent\":1}", hits, &n), 2);
    assert_int_equal(n, 1);
    assert_int_equal(run(f, "{\"CommandLine\":\"x secretdump\",\"Parent\":1}", hits, &n), 2);
    assert_int_equal(
            run(f, "{\"EventID\":\"0x1\",\"CommandLine\":\"secretdump\",\"Parent\":1}", hits, &n),
            3);
    assert_int_equal(n, 2);
}

/* Keyword rules of several logsources, their literals in one database: a keyword rule is
 * evaluated, and fires, only where its logsource applies and its keyword occurs (in any
 * value, however deep). */
static const char kw_logsources[] =
        "logsources:\n"
        "  - logsource: {product: windows}\n"
        "    when: [{Channel|exists: true, EventID|exists: true, Computer|exists: true}]\n"
        "  - logsource: {product: windows, service: security}\n"
        "    when: [{Channel: Security}]\n"
        "  - logsource: {product: windows, service: system}\n"
        "    when: [{Channel: System}]\n"
        "  - logsource: {product: windows, category: process_creation}\n"
        "    when: [{Channel: Security, EventID: 4688}]\n";
static const char kw_rules[] =
        "title: kw windows\nid: k0\nlogsource: {product: windows}\n"
        "detection: {keywords: [alphaword], condition: keywords}\n"
        "---\n"
        "title: kw security\nid: k1\nlogsource: {product: windows, service: security}\n"
        "detection: {keywords: [bravoword], condition: keywords}\n"
        "---\n"
        "title: kw system\nid: k2\nlogsource: {product: windows, service: system}\n"
        "detection: {keywords: [charlieword], condition: keywords}\n"
        "---\n"
        "title: kw process creation\nid: k3\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection: {keywords: [deltaword], condition: keywords}\n"
        "---\n"
        "title: kw unmapped\nid: k4\nlogsource: {product: nowhere}\n"
        "detection: {keywords: [echoword], condition: keywords}\n";

static int setup_kw(void **state)
{
    return setup_with(state, kw_logsources, kw_rules);
}

static void test_keyword_slots(void **state)
{
    fixture *f = *state;
    uint32_t hits[CAP];
    size_t n;
    /* the database of every keyword literal and one per group of slots an event may use:
     * windows alone, and windows with security, with system, with process creation (each
     * with the unmapped rule's slot, which applies everywhere) */
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_databases, 5);
    /* System: windows, system and unmapped apply */
    const char *sys = "{\"Channel\":\"System\",\"EventID\":7045,\"Computer\":\"h\","
                      "\"M\":\"alphaword bravoword charlieword deltaword echoword\"}";
    assert_int_equal(run(f, sys, hits, &n), 3);
    assert_int_equal(n, 3);
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 2);
    assert_int_equal(hits[2], 4);
    /* Security 4688: windows, security, process creation and unmapped */
    const char *sec = "{\"Channel\":\"Security\",\"EventID\":4688,\"Computer\":\"h\","
                      "\"M\":\"alphaword bravoword charlieword deltaword echoword\"}";
    assert_int_equal(run(f, sec, hits, &n), 4);
    assert_int_equal(n, 4);
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 1);
    assert_int_equal(hits[2], 3);
    assert_int_equal(hits[3], 4);
    /* the keywords in another value, one of them missing: only the others are evaluated */
    const char *part = "{\"Channel\":\"Security\",\"EventID\":4688,\"Computer\":\"h\","
                       "\"A\":{\"B\":[\"x bravoword\",17]},\"C\":\"ECHOWORD\"}";
    assert_int_equal(run(f, part, hits, &n), 2);
    assert_int_equal(n, 2);
    assert_int_equal(hits[0], 1);
    assert_int_equal(hits[1], 4);
    /* no keyword at all: nothing is evaluated */
    assert_int_equal(run(f, "{\"Channel\":\"System\",\"EventID\":1,\"Computer\":\"h\"}", hits, &n),
                     0);
    assert_int_equal(n, 0);
}

/* A suffix with a path separator needs the value's basename (the text after its last '\\'
 * or '/') to equal the suffix's: looked up by hash, not scanned for. */
static const char base_rules[] =
        "title: basename\nid: b0\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '\\Probe.exe'}, condition: sel}\n"
        "---\n"
        "title: cased basename of a longer suffix\nid: b1\nlogsource: {product: any}\n"
        "detection: {sel: {Path|endswith|cased: '\\Data\\Secret.TXT'}, condition: sel}\n"
        "---\n"
        "title: slash\nid: b2\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '/bin/sh'}, condition: sel}\n"
        "---\n"
        "title: no separator\nid: b3\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '.scr'}, condition: sel}\n"
        "---\n"
        "title: long basename\nid: b4\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '\\averyveryverylongbasename.exe'}, condition: sel}\n";

static int setup_base(void **state)
{
    return setup_with(state, NULL, base_rules);
}

static void test_basename(void **state)
{
    fixture *f = *state;
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_always, 0);
    assert_int_equal(pi.n_exact, 4);    /* probe.exe, Secret.TXT, sh, averyvery... */
    assert_int_equal(pi.n_literals, 1); /* .scr */
    uint32_t hits[CAP];
    size_t n;
    /* the basename, in any case, after either separator, in an array */
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\Tools\\\\PROBE.EXE\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    assert_int_equal(run(f, "{\"Image\":\"C:/x\\\\probe.exe\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(run(f, "{\"Image\":[\"C:\\\\a.exe\",\"D:\\\\probe.exe\"]}", hits, &n), 1);
    assert_int_equal(n, 1);
    /* another basename, none, or one that ends with a separator: not evaluated */
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\Tools\\\\xprobe.exe\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"Image\":\"probe.exe\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\probe.exe\\\\\"}", hits, &n), 0);
    assert_int_equal(n, 0);
    /* cased: only the exact bytes; the rest of the suffix is left to the evaluation */
    assert_int_equal(run(f, "{\"Path\":\"D:\\\\Data\\\\Secret.TXT\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    assert_int_equal(run(f, "{\"Path\":\"D:\\\\Data\\\\secret.txt\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"Path\":\"D:\\\\Other\\\\Secret.TXT\"}", hits, &n), 1);
    assert_int_equal(n, 0);
    /* '/bin/sh': every basename sh is evaluated, only the suffix fires */
    assert_int_equal(run(f, "{\"Image\":\"/usr/bin/sh\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 2);
    assert_int_equal(run(f, "{\"Image\":\"/usr/sbin/sh\"}", hits, &n), 1);
    assert_int_equal(n, 0);
    /* the last separator 17 and more bytes from the end: in a 16-byte block, in the bytes
     * before the first block, or only a separator of the other kind */
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\dir\\\\averyveryverylongbasename.exe\"}", hits, &n),
                     1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 4);
    assert_int_equal(run(f, "{\"Image\":\"\\\\averyveryverylongbasename.exe\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\dir/averyveryverylongbasename.exe\"}", hits, &n),
                     1);
    assert_int_equal(n, 0);
    assert_int_equal(run(f, "{\"Image\":\"averyveryverylongbasename.exe\"}", hits, &n), 0);
    /* the suffix without a separator is scanned for as before */
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\x\\\\screen.SCR\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 3);
}

/* A one-byte suffix (endswith ' ') needs the value's last byte: looked up, not scanned. */
static const char tail_rules[] =
        "title: trailing space\nid: t0\nlogsource: {product: any}\n"
        "detection: {a: {CommandLine|endswith: ' '}, b: {Image|endswith: ' '},"
        " condition: 1 of them}\n"
        "---\n"
        "title: cased last letter\nid: t1\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith|cased: 'X'}, condition: sel}\n";

static int setup_tail(void **state)
{
    return setup_with(state, NULL, tail_rules);
}

static void test_tail(void **state)
{
    fixture *f = *state;
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_always, 0);
    assert_int_equal(pi.n_exact, 3);
    uint32_t hits[CAP];
    size_t n;
    assert_int_equal(run(f, "{\"CommandLine\":\"a b \"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    assert_int_equal(run(f, "{\"Image\":[\"x\",\"y \"]}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(run(f, "{\"CommandLine\":\"a b\",\"Image\":\"\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"CommandLine\":\" a\",\"Image\":\" \"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(run(f, "{\"Image\":\"fooX\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    assert_int_equal(run(f, "{\"Image\":\"foox\"}", hits, &n), 0);
}

/* A literal with an '=' and at least eight bytes after its last one (Hashes|contains:
 * 'IMPHASH=...') needs that text right after some '=' of the value: looked up at each '=',
 * for fields with at most four such lengths. */
static const char seg_rules[] =
        "title: hashes\nid: s0\nlogsource: {product: any}\n"
        "detection: {sel: {Hashes|contains: ['IMPHASH=1B1A3F43BF37B5BFE60751F2EE2F326E',"
        " 'SHA256=2fb6c04c4f95fb8d158af94c137f90ac820716deaf88d8ebec956254e046cb29']},"
        " condition: sel}\n"
        "---\n"
        "title: cased\nid: s1\nlogsource: {product: any}\n"
        "detection: {sel: {Details|contains|cased: 'Key=AbcdefGHij'}, condition: sel}\n"
        "---\n"
        "title: five lengths\nid: s2\nlogsource: {product: any}\n"
        "detection: {sel: {Query|contains: ['a=12345678', 'b=123456789', 'c=1234567890',"
        " 'd=12345678901', 'e=123456789012']}, condition: sel}\n";

static int setup_seg(void **state)
{
    return setup_with(state, NULL, seg_rules);
}

static void test_segments(void **state)
{
    fixture *f = *state;
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_exact, 3);    /* the imphash, the sha256, AbcdefGHij */
    assert_int_equal(pi.n_literals, 5); /* Query has five lengths: scanned */
    uint32_t hits[CAP];
    size_t n;
    assert_int_equal(run(f,
                         "{\"Hashes\":\"SHA1=AA,MD5=BB,IMPHASH=1b1a3f43bf37b5bfe60751f2ee2f326e\"}",
                         hits, &n),
                     1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    assert_int_equal(run(f, "{\"Hashes\":\"IMPHASH=1B1A3F43BF37B5BFE60751F2EE2F326F\"}", hits, &n),
                     0);
    assert_int_equal(run(f, "{\"Hashes\":\"X=1B1A3F43BF37B5BFE60751F2EE2F326E\"}", hits, &n), 1);
    assert_int_equal(n, 0); /* the segment, but not the literal */
    assert_int_equal(
            run(f, "{\"Hashes\":[\"a\",\"IMPHASH=1B1A3F43BF37B5BFE60751F2EE2F326E00\"]}", hits, &n),
            1);
    assert_int_equal(n, 1);
    /* more than 64 '=': every segment atom of the field counts as seen */
    char big[512];
    memset(big, '=', 100);
    snprintf(big + 100, sizeof(big) - 100,
             "SHA256=2FB6C04C4F95FB8D158AF94C137F90AC820716DEAF88"
             "D8EBEC956254E046CB29");
    char json[600];
    snprintf(json, sizeof(json), "{\"Hashes\":\"%s\"}", big);
    assert_int_equal(run(f, json, hits, &n), 1);
    assert_int_equal(n, 1);
    big[100] = '\0';
    snprintf(json, sizeof(json), "{\"Hashes\":\"%s\"}", big);
    assert_int_equal(run(f, json, hits, &n), 1);
    assert_int_equal(n, 0);
    /* cased */
    assert_int_equal(run(f, "{\"Details\":\"x Key=AbcdefGHij y\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    assert_int_equal(run(f, "{\"Details\":\"x Key=abcdefghij y\"}", hits, &n), 0);
    /* scanned literals */
    assert_int_equal(run(f, "{\"Query\":\"x A=12345678 y\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 2);
    assert_int_equal(run(f, "{\"Query\":\"x A=1234567 y\"}", hits, &n), 0);
}

/* Second clauses: a rule's other necessary atoms that the scan looks for anyway (another
 * rule's literal, an exact value of a field looked up anyway) must be seen too before it is
 * evaluated, and an OR needs one side's atoms in each clause. */
static const char clause_rules[] =
        "title: literal only\nid: c0\nlogsource: {product: any}\n"
        "detection: {sel: {CommandLine|contains: [alphaword, bravoword]}, condition: sel}\n"
        "---\n"
        "title: basename and literal\nid: c1\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '\\\\longtoolname.exe',"
        " CommandLine|contains: alphaword}, condition: sel}\n"
        "---\n"
        "title: either pair\nid: c2\nlogsource: {product: any}\n"
        "detection: {a: {Image|endswith: '\\\\firsttoolname.exe'}, b: {CommandLine|contains: "
        "alphaword},"
        " c: {Image|endswith: '\\\\secondtoolname.exe'}, d: {CommandLine|contains: bravoword},"
        " condition: (a and b) or (c and d)}\n"
        "---\n"
        "title: a literal nobody scans\nid: c3\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: '\\\\thirdtoolname.exe', CommandLine|contains: "
        "zuluword},"
        " condition: sel}\n";

static int setup_clause(void **state)
{
    return setup_with(state, NULL, clause_rules);
}

static void test_clauses(void **state)
{
    fixture *f = *state;
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_always, 0);
    assert_int_equal(pi.n_literals, 2); /* alphaword, bravoword: zuluword is not scanned */
    assert_int_equal(pi.n_more, 2);     /* c1 and c2 */
    uint32_t hits[CAP];
    size_t n;
    /* c1: the basename without the literal is not evaluated; with it, it fires */
    assert_int_equal(
            run(f, "{\"Image\":\"C:\\\\x\\\\LongToolName.exe\",\"CommandLine\":\"x\"}", hits, &n),
            0);
    assert_int_equal(
            run(f, "{\"Image\":\"C:\\\\x\\\\LongToolName.exe\",\"CommandLine\":\"x ALPHAWORD\"}",
                hits, &n),
            2);
    assert_int_equal(n, 2); /* c0 and c1 */
    assert_int_equal(hits[1], 1);
    /* c2: a basename and the other pair's literal: evaluated (the clauses are unions), no
     * match; a pair: fires */
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\FirstToolName.exe\",\"CommandLine\":\"bravoword\"}",
                         hits, &n),
                     2);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    assert_int_equal(
            run(f, "{\"Image\":\"C:\\\\FirstToolName.exe\",\"CommandLine\":\"q\"}", hits, &n), 0);
    assert_int_equal(run(f,
                         "{\"Image\":\"C:\\\\SecondToolName.exe\",\"CommandLine\":\"bravoword\"}",
                         hits, &n),
                     2);
    assert_int_equal(n, 2);
    assert_int_equal(hits[1], 2);
    /* c3: only its basename filters (its literal is in no database) */
    assert_int_equal(
            run(f, "{\"Image\":\"C:\\\\ThirdToolName.exe\",\"CommandLine\":\"q\"}", hits, &n), 1);
    assert_int_equal(n, 0);
    assert_int_equal(run(f, "{\"Image\":\"C:\\\\ThirdToolName.exe\",\"CommandLine\":\"zuluword\"}",
                         hits, &n),
                     1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 3);
}

/* A value that rules exclude under a negation (filters of benign activity) is taken as
 * common in events: a clause with such an atom is the weaker one, even when its literal is
 * longer. Here the parent svchost.exe is filtered by two rules, so the rule that needs it
 * and a short literal is a candidate only where the short literal is seen. */
static const char benign_rules[] =
        "title: svchost and a short literal\nid: b0\nlogsource: {product: any}\n"
        "detection: {sel: {ParentImage|endswith: '\\\\svchost.exe', CommandLine|contains: zq},"
        " condition: sel}\n"
        "---\n"
        "title: filter one\nid: b1\nlogsource: {product: any}\n"
        "detection: {sel: {CommandLine|contains: firstword}, f: {ParentImage|endswith: "
        "'\\\\svchost.exe'}, condition: sel and not f}\n"
        "---\n"
        "title: filter two\nid: b2\nlogsource: {product: any}\n"
        "detection: {sel: {CommandLine|contains: secondword}, f: {ParentImage|endswith: "
        "'\\\\svchost.exe'}, condition: sel and not f}\n"
        "---\n"
        "title: rare tool and a short literal\nid: b3\nlogsource: {product: any}\n"
        "detection: {sel: {ParentImage|endswith: '\\\\raretool.exe', CommandLine|contains: zq},"
        " condition: sel}\n";

static int setup_benign(void **state)
{
    return setup_with(state, NULL, benign_rules);
}

static void test_benign(void **state)
{
    fixture *f = *state;
    uint32_t hits[CAP];
    size_t n;
    /* the filtered parent alone makes no candidate */
    assert_int_equal(run(f,
                         "{\"ParentImage\":\"C:\\\\Windows\\\\svchost.exe\","
                         "\"CommandLine\":\"x -k netsvcs\"}",
                         hits, &n),
                     0);
    assert_int_equal(n, 0);
    /* with the short literal, b0 (alone) is evaluated and fires */
    assert_int_equal(run(f,
                         "{\"ParentImage\":\"C:\\\\Windows\\\\svchost.exe\","
                         "\"CommandLine\":\"x zq\"}",
                         hits, &n),
                     1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    /* b3's parent is filtered nowhere: its basename stays the first clause and the short
     * literal its second; b0's second clause (the svchost basename) keeps b0 out */
    assert_int_equal(run(f,
                         "{\"ParentImage\":\"C:\\\\x\\\\raretool.exe\",\"CommandLine\":\"x zq\"}",
                         hits, &n),
                     1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 3);
}

/* A regex without a provable literal is an atom of its own: the field's such regexes are
 * scanned for in one vectorscan database (prefilter mode), and the rule is evaluated only
 * where that scan reports a possible match. */
static const char re_rules[] =
        "title: hex word\nid: r0\nlogsource: {product: any}\n"
        "detection: {sel: {CommandLine|re: '\\s[a-f0-9]{4}\\s'}, condition: sel}\n"
        "---\n"
        "title: back reference\nid: r1\nlogsource: {product: any}\n"
        "detection: {sel: {CommandLine|re: '(ab)\\1x'}, condition: sel}\n"
        "---\n"
        "title: caseless\nid: r2\nlogsource: {product: any}\n"
        "detection: {sel: {Image|re|i: '^[a-z]{3}$'}, condition: sel}\n";

static int setup_re(void **state)
{
    return setup_with(state, NULL, re_rules);
}

static void test_regex_atoms(void **state)
{
    fixture *f = *state;
    vg_prefilter_info pi;
    assert_true(vg_ruleset_prefilter_info(f->rs, &pi));
    assert_int_equal(pi.n_always, 0);
    assert_int_equal(pi.n_regex, 3);
    assert_int_equal(pi.n_literals, 0);
    uint32_t hits[CAP];
    size_t n;
    assert_int_equal(run(f, "{\"CommandLine\":\"x 0a1b y\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    assert_int_equal(run(f, "{\"CommandLine\":\"x 0a1g y\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"CommandLine\":[\"q\",\"x 0a1b y\"]}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(run(f, "{\"CommandLine\":\"zz ababx\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    (void)run(f, "{\"CommandLine\":\"abacx\"}", hits, &n); /* may be evaluated */
    assert_int_equal(n, 0);
    assert_int_equal(run(f, "{\"CommandLine\":\"x\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"Image\":\"AbC\"}", hits, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 2);
    assert_int_equal(run(f, "{\"Image\":\"ABCD\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"Image\":\"\"}", hits, &n), 0);
    assert_int_equal(run(f, "{\"Image\":123}", hits, &n), 0);
}

/* Long value lists: the fast path reads only the values whose atom the scan may have seen,
 * and an absent field fails a condition at once unless a value is null or `exists`. The
 * answers are the reference evaluator's (run() checks every event). */
static const char list_rules[] =
        "title: basenames\nid: l0\nlogsource: {product: any}\n"
        "detection: {sel: {Image|endswith: ['\\\\a1.exe', '\\\\a2.exe', '\\\\a3.exe', "
        "'\\\\a4.exe', '\\\\a5.exe', '\\\\a6.exe', '\\\\a7.exe', '\\\\a8.exe', "
        "'\\\\a9.exe']}, condition: sel}\n"
        "---\n"
        "title: exact values and a wildcard\nid: l1\nlogsource: {product: any}\n"
        "detection: {sel: {User: [u1, u2, u3, u4, u5, u6, u7, u8, 'x*y']}, condition: sel}\n"
        "---\n"
        "title: null among them\nid: l2\nlogsource: {product: any}\n"
        "detection: {sel: {Image: [null, b1, b2, b3, b4, b5, b6, b7, b8]}, sel2: {User: u1},"
        " condition: sel and sel2}\n";

static int setup_list(void **state)
{
    return setup_with(state, NULL, list_rules);
}

static void test_long_lists(void **state)
{
    fixture *f = *state;
    uint32_t hits[CAP];
    size_t n;
    (void)run(f, "{\"Image\":\"C:\\\\A9.EXE\"}", hits, &n);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 0);
    (void)run(f, "{\"Image\":[\"C:\\\\q.exe\",\"C:\\\\a5.exe\"]}", hits, &n);
    assert_int_equal(n, 1);
    (void)run(f, "{\"Image\":\"C:\\\\a10.exe\"}", hits, &n);
    assert_int_equal(n, 0);
    (void)run(f, "{\"User\":\"U8\"}", hits, &n);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);
    (void)run(f, "{\"User\":\"xzzy\"}", hits, &n); /* the wildcard has no atom */
    assert_int_equal(n, 1);
    (void)run(f, "{\"User\":\"u9\"}", hits, &n);
    assert_int_equal(n, 0);
    /* l2: an absent Image matches its null */
    (void)run(f, "{\"User\":\"u1\"}", hits, &n);
    assert_int_equal(n, 2);
    assert_int_equal(hits[1], 2);
    (void)run(f, "{\"User\":\"u1\",\"Image\":\"B8\"}", hits, &n);
    assert_int_equal(n, 2);
    (void)run(f, "{\"User\":\"u1\",\"Image\":\"b9\"}", hits, &n);
    assert_int_equal(n, 1);
}

/* Values that come again are served by the value cache (cached on their second sighting):
 * every round of the same events evaluates the rules that the event evaluates alone (with
 * nothing cached) and gives the reference answer, also when the same bytes come in another
 * field, as a boolean, or in another case. */
static void test_value_cache(void **state)
{
    fixture *f = *state;
    static const char *const events[] = {
            "{\"EventID\":16,\"Image\":\"C:\\\\Tools\\\\Probe.exe\",\"User\":\"Admin\"}",
            "{\"EventID\":16,\"Image\":\"C:\\\\Tools\\\\Probe.exe\",\"User\":\"Admin\"}",
            "{\"User\":\"C:\\\\Tools\\\\Probe.exe\",\"Image\":\"Admin\"}",
            "{\"EventID\":1,\"CommandLine\":\"x secretdump y\",\"User\":\"admin\"}",
            "{\"EventID\":\"16\",\"CommandLine\":\"C:\\\\Tools\\\\Probe.exe\"}",
            "{\"Image\":\"secretdump\",\"CommandLine\":\"Admin\",\"User\":\"ADMIN\"}",
            "{\"EventID\":true,\"User\":\"true\",\"Hash\":\"0123abcd\"}",
            "{\"EventID\":\"true\",\"User\":true,\"Hash\":\"0123abcg\"}",
            "{\"Image\":[\"a.exe\",\"C:\\\\Tools\\\\Probe.exe\"],\"EventID\":[1,16]}",
    };
    enum {
        N = sizeof(events) / sizeof(events[0])
    };
    uint64_t alone[N];
    uint32_t hits[CAP];
    size_t n;
    for (size_t i = 0; i < N; i++) { /* each in a fresh matcher: nothing cached */
        void *fresh;
        assert_int_equal(setup(&fresh), 0);
        alone[i] = run(fresh, events[i], hits, &n);
        teardown(&fresh);
    }
    for (int round = 0; round < 4; round++) {
        for (size_t i = 0; i < N; i++) {
            uint64_t e = run(f, events[i], hits, &n);
            if (e != alone[i])
                fail_msg("round %d, event %zu: %llu evaluations, alone %llu", round, i,
                         (unsigned long long)e, (unsigned long long)alone[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_requirements, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unrelated_event, setup, teardown),
            cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
            cmocka_unit_test_setup_teardown(test_text_and_presence, setup, teardown),
            cmocka_unit_test_setup_teardown(test_keyword_slots, setup_kw, teardown),
            cmocka_unit_test_setup_teardown(test_basename, setup_base, teardown),
            cmocka_unit_test_setup_teardown(test_tail, setup_tail, teardown),
            cmocka_unit_test_setup_teardown(test_segments, setup_seg, teardown),
            cmocka_unit_test_setup_teardown(test_clauses, setup_clause, teardown),
            cmocka_unit_test_setup_teardown(test_benign, setup_benign, teardown),
            cmocka_unit_test_setup_teardown(test_regex_atoms, setup_re, teardown),
            cmocka_unit_test_setup_teardown(test_long_lists, setup_list, teardown),
            cmocka_unit_test_setup_teardown(test_value_cache, setup, teardown),
    };
    return cmocka_run_group_tests_name("match/prefilter", tests, NULL, NULL);
}
