/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_relit.c: the required literal of a regular expression (match/relit.c).
 *
 * Table rows check the literal found (or that none is claimed) for the constructs the
 * analysis understands and the ones where it must give up. A property test then checks the
 * one thing that matters for correctness: whenever PCRE2 matches a text, the text contains
 * the claimed literal (case-insensitively when the literal is caseless), over patterns of
 * the SigmaHQ corpus' shapes and generated texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "match/regex.h"
#include "match/relit.h"

typedef struct row {
    const char *name;
    const char *pat;
    unsigned flags;
    const char *want; /* NULL: no literal */
    bool caseless;
} row;

static const row rows[] = {
        {"plain", "whoami", 0, "whoami", false},
        {"flag i", "whoami", VG_RE_I, "whoami", true},
        {"inline (?i)", "(?i)whoami", 0, "whoami", true},
        {"escaped dot", "ntds\\.dit", 0, "ntds.dit", false},
        {"class cuts", "ipconfig\\s+/all", 0, "ipconfig", false},
        {"longest run wins", "ab\\s+abcdef", 0, "abcdef", false},
        {"optional char dropped", "colou?r", 0, "colo", false},
        {"star drops char", "abcx*yz", 0, "abc", false},
        {"plus keeps one", "abc+def", 0, "abc", false},
        {"brace min 0", "abcd{0,3}efg", 0, "abc", false},
        {"brace min 2", "xyz{2,}w", 0, "xyz", false},
        {"group skipped", "(foo|bar)bazqux", 0, "bazqux", false},
        {"non-capturing group", "(?:a|b)longlit", 0, "longlit", false},
        {"class skipped", "[a-z]+literal[0-9]", 0, "literal", false},
        {"class with bracket", "[]a]+literal", 0, "literal", false},
        {"anchors", "^start.*end$", 0, "start", false},
        {"escaped backslash", "C:\\\\Windows\\\\", 0, "C:\\Windows\\", false},
        {"lazy quantifier", "abc.*?defgh", 0, "defgh", false},
        {"brace not quantifier", "a{b}cd", 0, "a{b}cd", false},
        {"too short", "ab", 0, NULL, false},
        {"top-level alternation", "abcdef|ghijkl", 0, NULL, false},
        {"inline option later", "abc(?i)defgh", 0, NULL, false},
        {"hex escape", "\\x41bcdef", 0, NULL, false},
        {"backreference", "(abc)\\1defg", 0, NULL, false},
        {"quoting", "\\Qa.b\\E", 0, NULL, false},
        {"only classes", "\\d+\\s+\\w+", 0, NULL, false},
        {"named group skipped", "(?<n>abc)defg", 0, "defg", false},
        {"lookahead skipped", "abc(?=x)defgh", 0, "defgh", false},
        {"verb", "(*UTF)abcdef", 0, NULL, false},
        {"unbalanced group", "(abc", 0, NULL, false},
};

static void test_relit_table(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row *r = &rows[i];
        char out[256];
        size_t n = 0;
        bool ci = false;
        bool got = vg_regex_literal(r->pat, strlen(r->pat), r->flags, 3, out, sizeof(out), &n, &ci);
        if (!r->want) {
            if (got) {
                print_message("[%s] claimed '%.*s', want none\n", r->name, (int)n, out);
                failed++;
            }
            continue;
        }
        if (!got || n != strlen(r->want) || memcmp(out, r->want, n) != 0 || ci != r->caseless) {
            print_message("[%s] got %s'%.*s' ci=%d, want '%s' ci=%d\n", r->name,
                          got ? "" : "(none) ", (int)n, out, ci, r->want, r->caseless);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* ---- property: a match implies the literal ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool contains(const char *h, size_t hn, const char *n, size_t nn, bool ci)
{
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        for (; k < nn; k++) {
            char a = h[i + k], b = n[k];
            if (ci) {
                if (a >= 'A' && a <= 'Z')
                    a = (char)(a + 32);
                if (b >= 'A' && b <= 'Z')
                    b = (char)(b + 32);
            }
            if (a != b)
                break;
        }
        if (k == nn)
            return true;
    }
    return false;
}

static const char *const prop_patterns[] = {
        "ipconfig\\s+/all",
        "(?i)\\.exe[\"']?\\s+[^\"]{0,64}werfaultsecure\\.exe",
        "net\\s+config",
        "colou?rful",
        "ab+cde",
        "(x|y)zzz[0-9]*end",
        "C:\\\\Users\\\\[^\\\\]+\\\\AppData",
        "(?i)powershell.{0,20}-enc",
        "a{2,3}bbb",
        "^cmd\\.exe /c",
};

/* Texts built from pieces likely to form matches, mutated at random. */
static const char *const pieces[] = {"ipconfig",
                                     " ",
                                     "  ",
                                     "/all",
                                     "net",
                                     "config",
                                     "colo",
                                     "u",
                                     "r",
                                     "ful",
                                     "a",
                                     "b",
                                     "bb",
                                     "cde",
                                     "x",
                                     "y",
                                     "zzz",
                                     "1",
                                     "end",
                                     "C:\\Users\\",
                                     "bob",
                                     "\\AppData",
                                     "POWERSHELL",
                                     "PowerShell",
                                     " -enc",
                                     "-ENC",
                                     ".exe",
                                     ".EXE",
                                     "\"",
                                     "'",
                                     "werfaultsecure.exe",
                                     "WerFaultSecure.exe",
                                     "cmd.exe /c",
                                     "aa",
                                     "aaa",
                                     "bbb",
                                     "\t"};

static void test_relit_match_implies_literal(void **state)
{
    (void)state;
    vg_regex_scratch *sc = vg_regex_scratch_new(0, 0);
    assert_non_null(sc);
    size_t n_matches = 0, n_texts = 0;
    for (size_t p = 0; p < sizeof(prop_patterns) / sizeof(prop_patterns[0]); p++) {
        const char *pat = prop_patterns[p];
        for (unsigned flags = 0; flags <= VG_RE_I; flags += VG_RE_I) {
            size_t off;
            char err[128];
            vg_regex *re = vg_regex_new(pat, strlen(pat), flags, &off, err, sizeof(err));
            assert_non_null(re);
            char lit[256];
            size_t ln;
            bool ci;
            bool has = vg_regex_literal(pat, strlen(pat), flags, 3, lit, sizeof(lit), &ln, &ci);
            for (int t = 0; t < 4000; t++) {
                char text[512];
                size_t tn = 0;
                int k = 1 + (int)(next_rand() % 8);
                for (int j = 0; j < k; j++) {
                    const char *pc = pieces[next_rand() % (sizeof(pieces) / sizeof(pieces[0]))];
                    size_t pl = strlen(pc);
                    if (tn + pl < sizeof(text)) {
                        memcpy(text + tn, pc, pl);
                        tn += pl;
                    }
                }
                n_texts++;
                if (vg_regex_match(re, sc, text, tn) != VG_RE_MATCH)
                    continue;
                n_matches++;
                if (has && !contains(text, tn, lit, ln, ci))
                    fail_msg("pattern '%s' flags %u matched '%.*s' which lacks literal '%.*s'", pat,
                             flags, (int)tn, text, (int)ln, lit);
            }
            vg_regex_free(re);
        }
    }
    print_message("relit property: %zu texts, %zu matches checked\n", n_texts, n_matches);
    assert_true(n_matches > 100);
    vg_regex_scratch_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_relit_table),
            cmocka_unit_test(test_relit_match_implies_literal),
    };
    return cmocka_run_group_tests_name("match/relit", tests, NULL, NULL);
}
