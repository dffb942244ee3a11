/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_regex.c: unit tests for match/regex.c: flags, anchors, compile errors, the match
 * limit on a catastrophic pattern, binary subjects, scratch reuse and allocation failure.
 * Every table row names itself (pattern, flags, subject) on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "match/regex.h"

#define NUL_LEN ((size_t)-1)

typedef struct re_row {
    const char *pat;
    unsigned flags;
    const char *subj;
    size_t len; /* NUL_LEN: strlen(subj) */
    vg_re_result want;
} re_row;

static const re_row rows[] = {
        /* plain search semantics: unanchored unless the pattern anchors */
        {"abc", 0, "xxabcxx", NUL_LEN, VG_RE_MATCH},
        {"abc", 0, "ABC", NUL_LEN, VG_RE_NOMATCH},
        {"abd", 0, "abc", NUL_LEN, VG_RE_NOMATCH},
        {"", 0, "", NUL_LEN, VG_RE_MATCH},
        {"", 0, "anything", NUL_LEN, VG_RE_MATCH},
        {"^abc$", 0, "abc", NUL_LEN, VG_RE_MATCH},
        {"^abc$", 0, "abcd", NUL_LEN, VG_RE_NOMATCH},
        {"^abc", 0, "xabc", NUL_LEN, VG_RE_NOMATCH},
        {"abc$", 0, "abc\n", NUL_LEN, VG_RE_MATCH}, /* PCRE: $ before a final newline */
        {"\\Aabc\\z", 0, "abc\n", NUL_LEN, VG_RE_NOMATCH},
        {"\\d{4}-\\d{2}", 0, "on 2026-04-17", NUL_LEN, VG_RE_MATCH},
        {"(?i)abc", 0, "ABC", NUL_LEN, VG_RE_MATCH},
        /* i */
        {"abc", VG_RE_I, "xAbCx", NUL_LEN, VG_RE_MATCH},
        {"power[s]hell", VG_RE_I, "POWERSHELL.EXE", NUL_LEN, VG_RE_MATCH},
        {"abc", VG_RE_I, "abd", NUL_LEN, VG_RE_NOMATCH},
        /* m */
        {"^b$", 0, "a\nb\nc", NUL_LEN, VG_RE_NOMATCH},
        {"^b$", VG_RE_M, "a\nb\nc", NUL_LEN, VG_RE_MATCH},
        {"^B$", VG_RE_M | VG_RE_I, "a\nb\nc", NUL_LEN, VG_RE_MATCH},
        /* s */
        {"a.c", 0, "a\nc", NUL_LEN, VG_RE_NOMATCH},
        {"a.c", VG_RE_S, "a\nc", NUL_LEN, VG_RE_MATCH},
        {"^a.*c$", VG_RE_S | VG_RE_M, "x\na\n\nc", NUL_LEN, VG_RE_MATCH},
        /* binary subjects: no UTF checking, '.' is one byte */
        {"a.b", 0,
         "a\xFF"
         "b",
         NUL_LEN, VG_RE_MATCH},
        {"a.b", 0,
         "a\xC3\xA9"
         "b",
         NUL_LEN, VG_RE_NOMATCH},
        {"a..b", 0,
         "a\xC3\xA9"
         "b",
         NUL_LEN, VG_RE_MATCH},
        {"a\\x00b", 0, "xa\0b", 4, VG_RE_MATCH},
        {"b$", 0, "a\0b", 3, VG_RE_MATCH},
        {"^a$", 0, "a\0", 2, VG_RE_NOMATCH},
        {"\\xff\\xfe", 0, "\xC0\xFF\xFE\x80", NUL_LEN, VG_RE_MATCH},
        {"[\\x80-\\xff]+", 0, "\xED\xA0\x80", NUL_LEN, VG_RE_MATCH},
        {"\xC3\xA9", VG_RE_I, "caf\xC3\xA9", NUL_LEN, VG_RE_MATCH},
};

static const char *flag_str(unsigned f, char buf[4])
{
    size_t o = 0;
    if (f & VG_RE_I)
        buf[o++] = 'i';
    if (f & VG_RE_M)
        buf[o++] = 'm';
    if (f & VG_RE_S)
        buf[o++] = 's';
    buf[o] = '\0';
    return buf;
}

static void test_table(void **state)
{
    (void)state;
    vg_regex_scratch *s = vg_regex_scratch_new(0, 0);
    assert_non_null(s);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const re_row *r = &rows[i];
        char fb[4], err[128];
        size_t off;
        vg_regex *re = vg_regex_new(r->pat, strlen(r->pat), r->flags, &off, err, sizeof(err));
        if (!re)
            fail_msg("row %zu: /%s/%s did not compile: %s at %zu", i, r->pat,
                     flag_str(r->flags, fb), err, off);
        size_t len = r->len == NUL_LEN ? strlen(r->subj) : r->len;
        vg_re_result got = vg_regex_match(re, s, r->subj, len);
        vg_regex_free(re);
        if (got != r->want)
            fail_msg("row %zu: /%s/%s on subject %zu bytes: got %d, want %d", i, r->pat,
                     flag_str(r->flags, fb), len, (int)got, (int)r->want);
    }
    vg_regex_scratch_free(s);
}

typedef struct bad_row {
    const char *pat;
    size_t off; /* offset PCRE2 reports */
} bad_row;

static void test_compile_errors(void **state)
{
    (void)state;
    static const bad_row bad[] = {
            {"abc(", 4},      {"a)", 1},   {"[abc", 4},
            {"x{2,1}", 5},    {"ab\\", 3}, {"(?<n>a)(?<n>b)", 12},
            {"(*UTF)abc", 6}, /* UTF mode is never allowed */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[128];
        memset(err, 0, sizeof(err));
        size_t off = 999;
        vg_regex *re = vg_regex_new(bad[i].pat, strlen(bad[i].pat), 0, &off, err, sizeof(err));
        if (re) {
            vg_regex_free(re);
            fail_msg("bad row %zu: '%s' compiled", i, bad[i].pat);
        }
        if (off != bad[i].off || err[0] == '\0')
            fail_msg("bad row %zu: '%s': offset %zu (want %zu), message '%s'", i, bad[i].pat, off,
                     bad[i].off, err);
    }

    /* A tiny message buffer gets a truncated, terminated message; none at all is fine. */
    char small[8];
    size_t off;
    assert_null(vg_regex_new("(", 1, 0, &off, small, sizeof(small)));
    assert_true(strlen(small) < sizeof(small));
    assert_true(strlen(small) > 0);
    assert_null(vg_regex_new("(", 1, 0, NULL, NULL, 0));
    /* Unknown flag bits. */
    char err[64];
    assert_null(vg_regex_new("a", 1, 8, &off, err, sizeof(err)));
    assert_true(strlen(err) > 0);
    /* The length is honoured: "a(" cut to "a" compiles. */
    vg_regex *re = vg_regex_new("a(", 1, 0, &off, err, sizeof(err));
    assert_non_null(re);
    vg_regex_free(re);
    vg_regex_free(NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Catastrophic backtracking is cut off by the match limit (JIT and interpreter alike). */
static void test_catastrophic(void **state)
{
    (void)state;
    const char *subj = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    vg_regex_scratch *s = vg_regex_scratch_new(10000, 0);
    assert_non_null(s);
    static const char *const pats[] = {"(a+)+$", "(a|aa)+$", "(a*)*b", "^(\\w+\\s?)*$"};
    for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        size_t off;
        char err[64];
        vg_regex *re = vg_regex_new(pats[i], strlen(pats[i]), 0, &off, err, sizeof(err));
        assert_non_null(re);
        double t0 = now_s();
        vg_re_result got = vg_regex_match(re, s, subj, strlen(subj));
        double took = now_s() - t0;
        vg_regex_free(re);
        if (got == VG_RE_MATCH || took > 2.0)
            fail_msg("catastrophic row %zu: /%s/: result %d after %.3f s", i, pats[i], (int)got,
                     took);
    }
    /* (a+)+$ on that subject needs far more than 10000 steps: it must hit the limit. */
    vg_regex *re = vg_regex_new("(a+)+$", 6, 0, NULL, NULL, 0);
    assert_non_null(re);
    assert_int_equal(vg_regex_match(re, s, subj, strlen(subj)), VG_RE_LIMIT);
    /* The scratch is still usable after a limit hit. */
    assert_int_equal(vg_regex_match(re, s, "aaa", 3), VG_RE_MATCH);
    vg_regex_free(re);
    vg_regex_scratch_free(s);
}

/* A low depth limit stops deep recursion in the interpreter; with the JIT only the match limit
 * applies. Either way the result is bounded: a match or VG_RE_LIMIT, never a crash. */
static void test_deep_pattern(void **state)
{
    (void)state;
    enum {
        N = 20000
    };
    char *subj = vg_malloc(N);
    assert_non_null(subj);
    memset(subj, 'a', N);
    vg_regex_scratch *s = vg_regex_scratch_new(0, 0);
    assert_non_null(s);
    const char *p1 = "^(a|b)*$";
    vg_regex *re = vg_regex_new(p1, strlen(p1), 0, NULL, NULL, 0);
    assert_non_null(re);
    vg_re_result got = vg_regex_match(re, s, subj, N);
    assert_true(got == VG_RE_MATCH || got == VG_RE_LIMIT);
    vg_regex_free(re);
    vg_regex_scratch_free(s);

    s = vg_regex_scratch_new(0, 5);
    assert_non_null(s);
    const char *p2 = "^(?:(a)|b)(?1)(?1)(?1)(?1)(?1)(?1)(?1)$";
    re = vg_regex_new(p2, strlen(p2), 0, NULL, NULL, 0);
    assert_non_null(re);
    got = vg_regex_match(re, s, "aaaaaaaa", 8);
    assert_true(got == VG_RE_MATCH || got == VG_RE_LIMIT);
    vg_regex_free(re);
    vg_regex_scratch_free(s);
    vg_free(subj);
}

/* One scratch serves many patterns; one pattern serves many scratches. */
static void test_sharing(void **state)
{
    (void)state;
    vg_regex_scratch *s1 = vg_regex_scratch_new(0, 0);
    vg_regex_scratch *s2 = vg_regex_scratch_new(100, 100);
    assert_non_null(s1);
    assert_non_null(s2);
    vg_regex *a = vg_regex_new("(x)(y)(z)", 9, 0, NULL, NULL, 0); /* more groups than ovector */
    vg_regex *b = vg_regex_new("q", 1, VG_RE_I, NULL, NULL, 0);
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vg_regex_match(a, s1, "wxyz", 4), VG_RE_MATCH);
        assert_int_equal(vg_regex_match(b, s1, "Q", 1), VG_RE_MATCH);
        assert_int_equal(vg_regex_match(a, s2, "xy", 2), VG_RE_NOMATCH);
        assert_int_equal(vg_regex_match(b, s2, "", 0), VG_RE_NOMATCH);
        assert_int_equal(vg_regex_match(b, s2, NULL, 0), VG_RE_NOMATCH);
    }
    vg_regex_free(a);
    vg_regex_free(b);
    vg_regex_scratch_free(s1);
    vg_regex_scratch_free(s2);
    vg_regex_scratch_free(NULL);
}

/* Every allocation (ours and PCRE2's, which go through vg_malloc) may fail cleanly. */
static void test_alloc_failure(void **state)
{
    (void)state;
    bool compiled = false, scratched = false;
    for (long n = 0; n < 200 && !(compiled && scratched); n++) {
        vg_alloc_fail_after(n);
        vg_regex *re = vg_regex_new("^a(b|c)+d$", 10, VG_RE_I, NULL, NULL, 0);
        vg_alloc_fail_after(-1);
        if (re) {
            compiled = true;
            vg_regex_free(re);
        }
        vg_alloc_fail_after(n);
        vg_regex_scratch *s = vg_regex_scratch_new(0, 0);
        vg_alloc_fail_after(-1);
        if (s) {
            scratched = true;
            vg_regex_scratch_free(s);
        }
    }
    assert_true(compiled);
    assert_true(scratched);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_table),        cmocka_unit_test(test_compile_errors),
            cmocka_unit_test(test_catastrophic), cmocka_unit_test(test_deep_pattern),
            cmocka_unit_test(test_sharing),      cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests_name("match/regex", tests, NULL, NULL);
}
