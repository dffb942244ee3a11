/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_glob.c: unit tests for match/glob.c (shape classification, case folding, '?' over
 * UTF-8, the windash class, the general matcher's worst cases, binary values).
 *
 * Patterns are written in a small test notation and turned into vg_sstr parts by hand, so
 * these tests do not depend on sigma/sstr.c: '*' is VG_SP_ANY, '?' is VG_SP_ONE, '#' is
 * VG_SP_DASH, a backslash makes the next byte literal, and every other run of bytes is one
 * VG_SP_LIT. Each table row carries its pattern and value, which name it on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/ascii.h"
#include "match/glob.h"

#define NUL_LEN ((size_t)-1) /* value length: strlen */

/* Build a vg_sstr from the test notation, in arena a. */
static vg_sstr make_pattern(vg_arena *a, const char *pat)
{
    size_t n = strlen(pat);
    vg_spart *parts = vg_arena_alloc(a, (n + 1) * sizeof(*parts));
    char *lit = vg_arena_alloc(a, n + 1);
    assert_non_null(parts);
    assert_non_null(lit);
    size_t np = 0, used = 0;
    for (size_t i = 0; i < n; i++) {
        char c = pat[i];
        if (c == '*' || c == '?' || c == '#') {
            parts[np++] = (vg_spart){c == '*'   ? VG_SP_ANY
                                     : c == '?' ? VG_SP_ONE
                                                : VG_SP_DASH,
                                     NULL, 0};
            continue;
        }
        if (c == '\\' && i + 1 < n)
            c = pat[++i];
        if (np > 0 && parts[np - 1].kind == VG_SP_LIT) {
            parts[np - 1].len++;
        } else {
            parts[np++] = (vg_spart){VG_SP_LIT, lit + used, 1};
        }
        lit[used++] = c;
    }
    return (vg_sstr){parts, np};
}

/* Printable rendering of a byte string for failure messages. */
static const char *show(const char *p, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7F) {
            buf[o++] = (char)c;
        } else {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ---- shapes ---- */

typedef struct shape_row {
    const char *pat;
    bool cased;
    vg_glob_shape shape;
    const char *lit; /* expected g.lit for the simple shapes */
    size_t n_parts;  /* after normalisation */
} shape_row;

static const shape_row shape_rows[] = {
        {"", false, VG_GLOB_EXACT, "", 0},
        {"abc", false, VG_GLOB_EXACT, "abc", 1},
        {"AbC", false, VG_GLOB_EXACT, "abc", 1},
        {"AbC", true, VG_GLOB_EXACT, "AbC", 1},
        {"Abc*", false, VG_GLOB_PREFIX, "abc", 2},
        {"*.EXE", false, VG_GLOB_SUFFIX, ".exe", 2},
        {"*.EXE", true, VG_GLOB_SUFFIX, ".EXE", 2},
        {"*PowerShell*", false, VG_GLOB_CONTAINS, "powershell", 3},
        {"*", false, VG_GLOB_ANYTHING, "", 1},
        {"**", false, VG_GLOB_ANYTHING, "", 1},
        {"***abc**", false, VG_GLOB_CONTAINS, "abc", 3},
        {"a*b", false, VG_GLOB_GENERAL, "", 3},
        {"*a*b*", false, VG_GLOB_GENERAL, "", 5},
        {"?", false, VG_GLOB_GENERAL, "", 1},
        {"#", false, VG_GLOB_GENERAL, "", 1},
        {"a?", false, VG_GLOB_GENERAL, "", 2},
        {"*a#b*", false, VG_GLOB_GENERAL, "", 5},
        {"\\*lit\\?", false, VG_GLOB_EXACT, "*lit?", 1},
};

static void test_shapes(void **state)
{
    (void)state;
    vg_arena *a = vg_arena_new(0, 0);
    for (size_t i = 0; i < sizeof(shape_rows) / sizeof(shape_rows[0]); i++) {
        const shape_row *r = &shape_rows[i];
        vg_sstr s = make_pattern(a, r->pat);
        vg_glob g;
        assert_int_equal(vg_glob_build(a, &s, r->cased, &g), VG_OK);
        if (g.shape != r->shape || g.parts.n != r->n_parts || g.cased != r->cased ||
            !vg_span_eq_cstr(g.lit, r->lit))
            fail_msg("shape row %zu: pattern '%s' cased=%d: shape %d (want %d), %zu parts "
                     "(want %zu), lit '%.*s' (want '%s')",
                     i, r->pat, (int)r->cased, (int)g.shape, (int)r->shape, g.parts.n, r->n_parts,
                     (int)g.lit.len, g.lit.p ? g.lit.p : "", r->lit);
    }
    vg_arena_free(a);
}

/* Adjacent and empty literals are merged / dropped; the copy is independent of the input. */
static void test_normalise(void **state)
{
    (void)state;
    vg_arena *a = vg_arena_new(0, 0);
    char ab[] = "AB", c[] = "C";
    vg_spart in[] = {
            {VG_SP_LIT, ab, 2},   {VG_SP_LIT, "", 0},   {VG_SP_LIT, c, 1},
            {VG_SP_ANY, NULL, 0}, {VG_SP_ANY, NULL, 0},
    };
    vg_sstr s = {in, 5};
    vg_glob g;
    assert_int_equal(vg_glob_build(a, &s, false, &g), VG_OK);
    ab[0] = 'X'; /* the glob must not point into the input */
    assert_int_equal(g.shape, VG_GLOB_PREFIX);
    assert_int_equal(g.parts.n, 2);
    assert_true(vg_span_eq_cstr(g.lit, "abc"));
    assert_true(vg_glob_match(&g, "aBcDe", 5));
    assert_false(vg_glob_match(&g, "xBcDe", 5));

    /* Only empty literals: the empty pattern. */
    vg_spart empty[] = {{VG_SP_LIT, "", 0}, {VG_SP_LIT, NULL, 0}};
    s = (vg_sstr){empty, 2};
    assert_int_equal(vg_glob_build(a, &s, false, &g), VG_OK);
    assert_int_equal(g.shape, VG_GLOB_EXACT);
    assert_int_equal(g.parts.n, 0);
    assert_true(vg_glob_match(&g, "", 0));
    assert_true(vg_glob_match(&g, NULL, 0));
    assert_false(vg_glob_match(&g, "a", 1));
    vg_arena_free(a);
}

static void test_build_errors(void **state)
{
    (void)state;
    vg_arena *a = vg_arena_new(0, 0);
    vg_glob g;
    vg_spart bad_kind[] = {{(vg_spart_kind)42, NULL, 0}};
    vg_sstr s = {bad_kind, 1};
    assert_int_equal(vg_glob_build(a, &s, false, &g), VG_ERR_INVALID);
    vg_spart null_lit[] = {{VG_SP_LIT, NULL, 3}};
    s = (vg_sstr){null_lit, 1};
    assert_int_equal(vg_glob_build(a, &s, false, &g), VG_ERR_INVALID);
    s = (vg_sstr){NULL, 2};
    assert_int_equal(vg_glob_build(a, &s, false, &g), VG_ERR_INVALID);
    vg_arena_free(a);

    /* An arena that cannot hold the copy. */
    vg_arena *tiny = vg_arena_new(64, 16);
    vg_sstr big = {NULL, 0};
    vg_arena *work = vg_arena_new(0, 0);
    big = make_pattern(work, "*abcdefghijklmnopqrstuvwxyz*0123456789*");
    assert_int_equal(vg_glob_build(tiny, &big, false, &g), VG_ERR_NOMEM);
    vg_arena_free(tiny);
    vg_arena_free(work);
}

/* ---- matching ---- */

typedef struct match_row {
    const char *pat;
    bool cased;
    const char *val;
    size_t len; /* NUL_LEN: strlen(val) */
    bool want;
} match_row;

static const match_row match_rows[] = {
        /* exact */
        {"abc", false, "abc", NUL_LEN, true},
        {"abc", false, "ABC", NUL_LEN, true},
        {"ABC", false, "abc", NUL_LEN, true},
        {"abc", true, "ABC", NUL_LEN, false},
        {"AbC", true, "AbC", NUL_LEN, true},
        {"abc", false, "abcd", NUL_LEN, false},
        {"abc", false, "ab", NUL_LEN, false},
        {"abc", false, "", NUL_LEN, false},
        {"a[b]{c}@", false, "A[B]{C}@", NUL_LEN, true}, /* non-letters are not folded */
        {"@", false, "`", NUL_LEN, false},              /* 0x40 / 0x60 are not a case pair */
        {"[", false, "{", NUL_LEN, false},
        /* empty pattern, empty value */
        {"", false, "", NUL_LEN, true},
        {"", true, "", NUL_LEN, true},
        {"", false, "a", NUL_LEN, false},
        {"*", false, "", NUL_LEN, true},
        {"*", false, "anything at all", NUL_LEN, true},
        {"**", true, "", NUL_LEN, true},
        {"?", false, "", NUL_LEN, false},
        {"#", false, "", NUL_LEN, false},
        {"*?", false, "", NUL_LEN, false},
        {"abc", false, "", NUL_LEN, false},
        {"*abc*", false, "", NUL_LEN, false},
        {"abc*", false, "", NUL_LEN, false},
        {"*abc", false, "", NUL_LEN, false},
        /* prefix */
        {"abc*", false, "abcdef", NUL_LEN, true},
        {"abc*", false, "ABCdef", NUL_LEN, true},
        {"abc*", true, "ABCdef", NUL_LEN, false},
        {"abc*", false, "abc", NUL_LEN, true},
        {"abc*", false, "ab", NUL_LEN, false},
        {"abc*", false, "xabc", NUL_LEN, false},
        /* suffix */
        {"*.exe", false, "cmd.exe", NUL_LEN, true},
        {"*.exe", false, "C:\\WINDOWS\\CMD.EXE", NUL_LEN, true},
        {"*.exe", true, "CMD.EXE", NUL_LEN, false},
        {"*.exe", false, ".exe", NUL_LEN, true},
        {"*.exe", false, "exe", NUL_LEN, false},
        {"*.exe", false, "cmd.exe ", NUL_LEN, false},
        /* contains */
        {"*powershell*", false, "C:\\Windows\\PowerShell.exe -nop", NUL_LEN, true},
        {"*powershell*", false, "POWERSHELL", NUL_LEN, true},
        {"*powershell*", false, "powershel", NUL_LEN, false},
        {"*powershell*", true, "PowerShell", NUL_LEN, false},
        {"*PowerShell*", true, "xPowerShelly", NUL_LEN, true},
        {"*\\\\temp\\\\*", false, "c:\\users\\x\\TEMP\\a.exe", NUL_LEN, true},
        {"*\\\\temp\\\\*", false, "c:\\users\\x\\temp", NUL_LEN, false},
        {"*aab*", false, "aaab", NUL_LEN, true},
        {"*abab*", false, "abaabab", NUL_LEN, true},
        {"*ab*", false, "AaAaAaB", NUL_LEN, true},
        {"*ab*", false, "AAAAAAA", NUL_LEN, false},
        {"*ab*", false, "aAaAaAa", NUL_LEN, false},
        {"*ab*", false, "Ab", NUL_LEN, true},
        {"*ab*", false, "a", NUL_LEN, false},
        {"*b*", false, "aaaB", NUL_LEN, true},
        {"*-enc*", false, "x -EncodedCommand", NUL_LEN, true},
        {"*1*", false, "0000", NUL_LEN, false},
        /* general */
        {"a*b*c", false, "abc", NUL_LEN, true},
        {"a*b*c", false, "aXbYc", NUL_LEN, true},
        {"a*b*c", false, "AxBxC", NUL_LEN, true},
        {"a*b*c", true, "AxBxC", NUL_LEN, false},
        {"a*b*c", false, "acb", NUL_LEN, false},
        {"a*b*c", false, "abcc", NUL_LEN, true},
        {"a*b*c", false, "ab", NUL_LEN, false},
        {"a*b*c", false, "aXbYcZ", NUL_LEN, false},
        {"a*b*c", false, "abcbc", NUL_LEN, true},
        {"*a*b*", false, "xxaxxbxx", NUL_LEN, true},
        {"*a*b*", false, "xxbxxaxx", NUL_LEN, false},
        {"*ab*ab", false, "ab", NUL_LEN, false},
        {"*ab*ab", false, "abab", NUL_LEN, true},
        {"*ab*ab", false, "xabyyabab", NUL_LEN, true},
        {"a*a", false, "a", NUL_LEN, false},
        {"a*a", false, "aa", NUL_LEN, true},
        {"*x*yz", false, "xyzyz", NUL_LEN, true},
        {"c:\\\\*\\\\*.exe", false, "C:\\Windows\\System32\\cmd.EXE", NUL_LEN, true},
        {"c:\\\\*\\\\*.exe", false, "C:\\cmd.exe", NUL_LEN, false},
        /* '?' is one UTF-8 character */
        {"?", false, "a", NUL_LEN, true},
        {"?", false, "ab", NUL_LEN, false},
        {"?", false, "\xC3\xA9", NUL_LEN, true},           /* U+00E9 */
        {"?", false, "\xE2\x82\xAC", NUL_LEN, true},       /* U+20AC */
        {"?", false, "\xF0\x9F\x98\x80", NUL_LEN, true},   /* U+1F600 */
        {"??", false, "\xF0\x9F\x98\x80", NUL_LEN, false}, /* one character, not two */
        {"?", false, "\xC3\xA9\xC3\xA9", NUL_LEN, false},
        {"??", false, "\xC3\xA9\xC3\xA9", NUL_LEN, true},
        {"a?c", false,
         "a\xC3\xA9"
         "c",
         NUL_LEN, true},
        {"a?c", false,
         "A\xE2\x82\xAC"
         "C",
         NUL_LEN, true},
        {"a??c", false,
         "a\xC3\xA9"
         "c",
         NUL_LEN, false},
        {"?", false, "\xFF", NUL_LEN, true},      /* invalid: one byte */
        {"?", false, "\xC3", NUL_LEN, true},      /* truncated sequence: one byte */
        {"?", false, "\xC3\x28", NUL_LEN, false}, /* bad continuation */
        {"??", false, "\xC3\x28", NUL_LEN, true},
        {"?", false, "\xC0\x80", NUL_LEN, false}, /* overlong: two single bytes */
        {"??", false, "\xC0\x80", NUL_LEN, true},
        {"?", false, "\xE0\x80\x80", NUL_LEN, false},       /* overlong 3-byte */
        {"???", false, "\xED\xA0\x80", NUL_LEN, true},      /* surrogate: three single bytes */
        {"?", false, "\xED\x9F\xBF", NUL_LEN, true},        /* U+D7FF */
        {"?", false, "\xF4\x8F\xBF\xBF", NUL_LEN, true},    /* U+10FFFF */
        {"????", false, "\xF4\x90\x80\x80", NUL_LEN, true}, /* above U+10FFFF */
        {"?", false, "\xF0\x8F\xBF\xBF", NUL_LEN, false},   /* overlong 4-byte */
        {"?", false, "\xE2\x82", NUL_LEN, false},           /* truncated 3-byte: 2 bytes */
        {"??", false, "\xE2\x82", NUL_LEN, true},
        {"*?", false, "\xC3\xA9", NUL_LEN, true},
        {"?*", false, "\xC3\xA9xyz", NUL_LEN, true},
        {"\xC3?", false, "\xC3\xA9", NUL_LEN, true}, /* '?' on a lone continuation byte */
        {"*\xC3?", false, "\xC3\xA9", NUL_LEN, true},
        {"*?\xA9", false, "\xC3\xA9", NUL_LEN, false},
        {"?b", false,
         "\xC3\xA9"
         "b",
         NUL_LEN, true},
        {"*?b", false,
         "\xC3\xA9"
         "b",
         NUL_LEN, true},
        {"x*?*y", false, "xy", NUL_LEN, false},
        {"x*?*y", false, "x\xF0\x9F\x98\x80y", NUL_LEN, true},
        /* '?' placed where it ends earliest, not where it starts earliest */
        {"*?*\x98\x80", false, "\xF0\x9F\x98\x80", NUL_LEN, true},
        {"*?\x98*\x80", false, "\xF0\x9F\x98\x80", NUL_LEN, true},
        {"*x?*\x98\x80", false, "x\xF0\x9F\x98\x80", NUL_LEN, false},
        /* case folding is ASCII only */
        {"\xC3\x89"
         "cole",
         false,
         "\xC3\xA9"
         "cole",
         NUL_LEN, false}, /* E-acute vs e-acute */
        {"\xC3\x89"
         "COLE",
         false,
         "\xC3\x89"
         "cole",
         NUL_LEN, true},
        {"*\xC3\x89*", false, "L'\xC3\xA9t\xC3\xA9", NUL_LEN, false},
        /* windash: '-', '/', U+2013, U+2014, U+2015 */
        {"a#b", false, "a-b", NUL_LEN, true},
        {"a#b", false, "a/b", NUL_LEN, true},
        {"a#b", false,
         "a\xE2\x80\x93"
         "b",
         NUL_LEN, true},
        {"a#b", false,
         "a\xE2\x80\x94"
         "b",
         NUL_LEN, true},
        {"a#b", false,
         "a\xE2\x80\x95"
         "b",
         NUL_LEN, true},
        {"a#b", false,
         "a\xE2\x80\x92"
         "b",
         NUL_LEN, false}, /* U+2012 figure dash */
        {"a#b", false,
         "a\xE2\x80\x96"
         "b",
         NUL_LEN, false},
        {"a#b", false, "a_b", NUL_LEN, false},
        {"a#b", false, "a\\b", NUL_LEN, false},
        {"a#b", false, "ab", NUL_LEN, false},
        {"a#b", false, "a--b", NUL_LEN, false},
        {"#", false, "\xE2\x80", NUL_LEN, false},
        {"#", false, "\xE2", NUL_LEN, false},
        {"*#enc*", false, "powershell -enc AAA", NUL_LEN, true},
        {"*#enc*", false, "powershell /ENC AAA", NUL_LEN, true},
        {"*#enc*", false,
         "powershell \xE2\x80\x94"
         "enc AAA",
         NUL_LEN, true},
        {"*#enc*", false, "powershell enc AAA", NUL_LEN, false},
        {"*##*", false, "x-\xE2\x80\x95y", NUL_LEN, true},
        {"* #*", false, "x \xE2\x80\x93", NUL_LEN, true},
        /* embedded NUL bytes in values */
        {"ab*", false, "ab\0cd", 5, true},
        {"ab", false, "ab\0cd", 5, false},
        {"*cd", false, "ab\0cd", 5, true},
        {"*CD*", false, "ab\0cd\0", 6, true},
        {"ab?cd", false, "ab\0cd", 5, true},
        {"a*d", false, "ab\0cd", 5, true},
        {"*b?c*", false, "ab\0cd", 5, true},
        {"*", false, "\0", 1, true},
        {"", false, "\0", 1, false},
};

static void test_match_table(void **state)
{
    (void)state;
    vg_arena *a = vg_arena_new(0, 0);
    for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
        const match_row *r = &match_rows[i];
        vg_sstr s = make_pattern(a, r->pat);
        vg_glob g;
        assert_int_equal(vg_glob_build(a, &s, r->cased, &g), VG_OK);
        size_t len = r->len == NUL_LEN ? strlen(r->val) : r->len;
        bool got = vg_glob_match(&g, r->val, len);
        if (got != r->want) {
            char pb[256], vb[256];
            fail_msg("match row %zu: pattern '%s' cased=%d value '%s': got %d, want %d", i,
                     show(r->pat, strlen(r->pat), pb, sizeof(pb)), (int)r->cased,
                     show(r->val, len, vb, sizeof(vb)), (int)got, (int)r->want);
        }
    }
    vg_arena_free(a);
}

/* Literal parts holding NUL bytes (not expressible in the notation). */
static void test_nul_in_pattern(void **state)
{
    (void)state;
    vg_arena *a = vg_arena_new(0, 0);
    vg_spart contains[] = {{VG_SP_ANY, NULL, 0}, {VG_SP_LIT, "\0C", 2}, {VG_SP_ANY, NULL, 0}};
    vg_sstr s = {contains, 3};
    vg_glob g;
    assert_int_equal(vg_glob_build(a, &s, false, &g), VG_OK);
    assert_int_equal(g.shape, VG_GLOB_CONTAINS);
    assert_true(vg_glob_match(&g, "ab\0cd", 5));
    assert_false(vg_glob_match(&g, "abcd", 4));
    assert_false(vg_glob_match(&g, "ab\0", 3));

    /* UTF-16LE "cmd" with wildcards, as the utf16 transformation produces. */
    vg_spart wide[] = {{VG_SP_ANY, NULL, 0},
                       {VG_SP_LIT, "c\0m\0d\0", 6},
                       {VG_SP_ANY, NULL, 0},
                       {VG_SP_LIT, "e\0", 2}};
    s = (vg_sstr){wide, 4};
    assert_int_equal(vg_glob_build(a, &s, true, &g), VG_OK);
    assert_int_equal(g.shape, VG_GLOB_GENERAL);
    assert_true(vg_glob_match(&g, "x\0c\0m\0d\0.\0e\0", 12));
    assert_false(vg_glob_match(&g, "x\0c\0m\0d\0.\0e", 11));
    vg_arena_free(a);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Patterns that make a backtracking matcher exponential must stay fast. */
static void test_pathological(void **state)
{
    (void)state;
    enum {
        N = 200000
    };
    vg_arena *a = vg_arena_new(0, 0);
    char *v = vg_malloc(N + 1);
    assert_non_null(v);
    memset(v, 'a', N);
    v[N] = '\0';

    static const struct {
        const char *pat;
        bool want_all_a; /* result on N 'a's */
        bool want_ab;    /* result on N-1 'a's then 'b' */
    } rows[] = {
            {"*a*a*a*b", false, true},
            {"a*a*a*a*a*a*a*a*a*b", false, true},
            {"*aaaaaaaaaaaaaaaaaaab*", false, true},
            {"*a?a?a?a?a?b", false, true},
            {"*a*a*a*a*", true, true},
            {"*?*?*?*?*?*b", false, true},
            {"*#*", false, false},
            {"*aaaaaaaaaaaaab", false, true},
    };
    double t0 = now_s();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_sstr s = make_pattern(a, rows[i].pat);
        vg_glob g;
        assert_int_equal(vg_glob_build(a, &s, false, &g), VG_OK);
        v[N - 1] = 'a';
        if (vg_glob_match(&g, v, N) != rows[i].want_all_a)
            fail_msg("pathological row %zu: pattern '%s' on %d x 'a'", i, rows[i].pat, N);
        v[N - 1] = 'b';
        if (vg_glob_match(&g, v, N) != rows[i].want_ab)
            fail_msg("pathological row %zu: pattern '%s' on 'aa...ab'", i, rows[i].pat);
    }
    double took = now_s() - t0;
    vg_free(v);
    vg_arena_free(a);
    if (took > 5.0)
        fail_msg("pathological patterns took %.2f s", took);
}

/* Naive reference for *lit*: some start where every byte agrees (ASCII folded unless
 * cased). */
static bool naive_contains(const char *v, size_t n, const char *lit, size_t len, bool cased)
{
    for (size_t q = 0; q + len <= n; q++) {
        size_t i = 0;
        for (; i < len; i++) {
            unsigned char a = (unsigned char)v[q + i], b = (unsigned char)lit[i];
            if (cased ? a != b : vg_ascii_lower(a) != vg_ascii_lower(b))
                break;
        }
        if (i == len)
            return true;
    }
    return false;
}

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* *lit* against random values over a small alphabet (letters in both cases, separators,
 * a byte >= 0x80), of every length around the 16-byte blocks of the search: the matcher
 * agrees with the naive search, for folded and cased literals of 1 to 7 bytes, wherever
 * the literal occurs (in a block, across two, in the tail, at either end). */
static void test_contains_random(void **state)
{
    (void)state;
    static const char alpha[] = "aAbB\\.x\xe9";
    const size_t n_alpha = sizeof(alpha) - 1;
    vg_arena *a = vg_arena_new(0, 0);
    assert_non_null(a);
    uint64_t x = 0x2545f4914f6cdd1dull;
    char v[80], lit[8], pat[20];
    size_t checked = 0, found = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = next_rand(&x) % sizeof(v), len = 1 + next_rand(&x) % 7;
        bool cased = next_rand(&x) & 1;
        for (size_t i = 0; i < n; i++)
            v[i] = alpha[next_rand(&x) % n_alpha];
        for (size_t i = 0; i < len; i++)
            lit[i] = alpha[next_rand(&x) % n_alpha];
        if (n >= len && next_rand(&x) % 3 == 0) { /* plant it, some letters upper-case */
            size_t at = next_rand(&x) % (n - len + 1);
            for (size_t i = 0; i < len; i++)
                v[at + i] = (next_rand(&x) & 1) && lit[i] >= 'a' && lit[i] <= 'z'
                                    ? (char)(lit[i] - ('a' - 'A'))
                                    : lit[i];
        }
        size_t pn = 0;
        pat[pn++] = '*';
        for (size_t i = 0; i < len; i++) {
            if (lit[i] == '\\')
                pat[pn++] = '\\';
            pat[pn++] = lit[i];
        }
        pat[pn++] = '*';
        pat[pn] = '\0';
        vg_sstr s = make_pattern(a, pat);
        vg_glob g;
        assert_int_equal(vg_glob_build(a, &s, cased, &g), VG_OK);
        assert_int_equal(g.shape, VG_GLOB_CONTAINS);
        bool want = naive_contains(v, n, lit, len, cased);
        if (vg_glob_match(&g, v, n) != want) {
            char b1[512], b2[64];
            fail_msg("literal '%s' (%s) in '%s': want %d", show(lit, len, b2, sizeof(b2)),
                     cased ? "cased" : "folded", show(v, n, b1, sizeof(b1)), want);
        }
        checked++;
        found += want;
    }
    assert_true(found > checked / 5 && found < checked * 4 / 5); /* both answers are tried */
    vg_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_shapes),          cmocka_unit_test(test_normalise),
            cmocka_unit_test(test_build_errors),    cmocka_unit_test(test_match_table),
            cmocka_unit_test(test_nul_in_pattern),  cmocka_unit_test(test_pathological),
            cmocka_unit_test(test_contains_random),
    };
    return cmocka_run_group_tests_name("match/glob", tests, NULL, NULL);
}
