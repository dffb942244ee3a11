/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sstr.c: unit tests for Sigma string values and their transformation modifiers
 * (engine/sigma/sstr.c).
 *
 * A value is rendered as its parts: a literal in single quotes ('<xx>' for a byte outside
 * printable ASCII and for the characters ' and <), '*' for VG_SP_ANY, '?' for VG_SP_ONE and
 * '~' for VG_SP_DASH. So "\\*" parsed is rendered '\'* (a literal backslash, then any run).
 * Every produced value is also checked against the invariants of sstr.h (literals non-empty
 * and merged, no "**"). Table rows name themselves on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sigma/sstr.h"

static const char *render(const vg_sstr *s, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n && at < size; i++) {
        const vg_spart *p = &s->parts[i];
        int w = 0;
        if (p->kind == VG_SP_ANY) {
            w = snprintf(buf + at, size - at, "*");
        } else if (p->kind == VG_SP_ONE) {
            w = snprintf(buf + at, size - at, "?");
        } else if (p->kind == VG_SP_DASH) {
            w = snprintf(buf + at, size - at, "~");
        } else {
            w = snprintf(buf + at, size - at, "'");
            for (size_t j = 0; j < p->len && at + (size_t)w < size; j++) {
                unsigned char c = (unsigned char)p->p[j];
                size_t room = size - at - (size_t)w;
                if (c < 0x20 || c >= 0x7f || c == '\'' || c == '<')
                    w += snprintf(buf + at + w, room, "<%02x>", c);
                else
                    w += snprintf(buf + at + w, room, "%c", c);
            }
            if (at + (size_t)w < size)
                w += snprintf(buf + at + w, size - at - (size_t)w, "'");
        }
        at += (size_t)w;
    }
    return buf;
}

/* Fail (naming `what`) unless s keeps the invariants sstr.h promises. */
static void check_invariants(const vg_sstr *s, const char *what)
{
    if (s->n == 0 && s->parts != NULL)
        fail_msg("%s: empty value with a part array", what);
    for (size_t i = 0; i < s->n; i++) {
        const vg_spart *p = &s->parts[i];
        if (p->kind == VG_SP_LIT && (p->len == 0 || p->p == NULL))
            fail_msg("%s: part %zu is an empty literal", what, i);
        if (i > 0 && p->kind == VG_SP_LIT && s->parts[i - 1].kind == VG_SP_LIT)
            fail_msg("%s: parts %zu and %zu are unmerged literals", what, i - 1, i);
        if (i > 0 && p->kind == VG_SP_ANY && s->parts[i - 1].kind == VG_SP_ANY)
            fail_msg("%s: parts %zu and %zu are both '*'", what, i - 1, i);
    }
}

static int setup(void **state)
{
    vg_arena *a = vg_arena_new(0, 0);
    if (!a)
        return -1;
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    vg_arena_free(*state);
    return 0;
}

static vg_sstr parse(vg_arena *a, const char *text)
{
    vg_sstr s;
    assert_int_equal(vg_sstr_parse(a, text, strlen(text), &s), VG_OK);
    check_invariants(&s, text);
    return s;
}

typedef struct parse_row {
    const char *in;
    const char *want;
} parse_row;

static void check_parse_rows(vg_arena *a, const parse_row *rows, size_t n)
{
    char got[256];
    for (size_t i = 0; i < n; i++) {
        vg_sstr s = parse(a, rows[i].in);
        render(&s, got, sizeof(got));
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu [%s]: got [%s], want [%s]", i, rows[i].in, got, rows[i].want);
    }
}

/* Every example of the spec's "Escape Character" section, plus the edge cases of sstr.h. */
static void test_escapes(void **state)
{
    static const parse_row rows[] = {
            /* plain backslash not followed by a wildcard: single or double */
            {"\\a", "'\\a'"},
            {"\\\\a", "'\\a'"},
            {"C:\\Windows\\System32", "'C:\\Windows\\System32'"},
            {"C:\\\\Windows\\\\System32", "'C:\\Windows\\System32'"},
            /* an escaped wildcard is a plain character */
            {"\\*", "'*'"},
            {"\\?", "'?'"},
            /* escaped backslash followed by a wildcard: \\* */
            {"\\\\*", "'\\'*"},
            {"\\\\?", "'\\'?"},
            {"C:\\Windows\\\\*", "'C:\\Windows\\'*"},
            /* three backslashes: backslash and wildcard both plain: \\\* */
            {"\\\\\\*", "'\\*'"},
            {"\\\\\\?", "'\\?'"},
            /* three or four backslashes are a double backslash: \\\\ = \\ */
            {"\\\\\\\\", "'\\\\'"},
            {"\\\\\\", "'\\\\'"},
            {"\\\\\\a", "'\\\\a'"},
            /* a trailing backslash is itself */
            {"\\", "'\\'"},
            {"a\\", "'a\\'"},
            {"\\\\\\\\*", "'\\\\'*"},
    };
    check_parse_rows(*state, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_wildcards(void **state)
{
    static const parse_row rows[] = {
            {"", ""},
            {"abc", "'abc'"},
            {"*", "*"},
            {"?", "?"},
            {"prog?.exe", "'prog'?'.exe'"},
            {"antivirus_V*.exe", "'antivirus_V'*'.exe'"},
            {"*something", "*'something'"},
            {"something*", "'something'*"},
            {"*something*", "*'something'*"},
            /* consecutive '*' collapse; '?' never does */
            {"**", "*"},
            {"a***b", "'a'*'b'"},
            {"??", "??"},
            {"?*?", "?*?"},
            {"*?*", "*?*"},
            {"**?**", "*?*"},
            /* an escaped '*' next to a wildcard stays literal */
            {"*\\**", "*'*'*"},
            /* adjacent literals merge across escapes */
            {"a\\*b\\?c\\\\d", "'a*b?c\\d'"},
            {"\\*\\*", "'**'"},
            {"'<\x01\xff", "'<27><3c><01><ff>'"},
    };
    check_parse_rows(*state, rows, sizeof(rows) / sizeof(rows[0]));

    /* Merged means one part. */
    vg_sstr s = parse(*state, "a\\*b\\?c");
    assert_int_equal(s.n, 1);
    assert_int_equal(s.parts[0].len, 5);
    assert_memory_equal(s.parts[0].p, "a*b?c", 5);

    /* Bytes after an embedded NUL are kept (the length, not the NUL, ends the value). */
    vg_sstr z;
    assert_int_equal(vg_sstr_parse(*state, "a\0*", 3, &z), VG_OK);
    assert_int_equal(z.n, 2);
    assert_int_equal(z.parts[0].len, 2);
    assert_int_equal(z.parts[1].kind, VG_SP_ANY);
}

static void test_literal_and_plain(void **state)
{
    vg_arena *a = *state;
    char got[64];
    vg_sstr s;
    vg_span lit;

    assert_int_equal(vg_sstr_literal(a, "a*b?\\", 5, &s), VG_OK);
    check_invariants(&s, "literal");
    assert_string_equal(render(&s, got, sizeof(got)), "'a*b?\\'");
    assert_true(vg_sstr_is_plain(&s, &lit));
    assert_int_equal(lit.len, 5);
    assert_memory_equal(lit.p, "a*b?\\", 5);

    assert_int_equal(vg_sstr_literal(a, "", 0, &s), VG_OK);
    assert_int_equal(s.n, 0);
    assert_null(s.parts);
    assert_true(vg_sstr_is_plain(&s, &lit));
    assert_int_equal(lit.len, 0);
    assert_non_null(lit.p);

    s = parse(a, "x\\*y");
    assert_true(vg_sstr_is_plain(&s, &lit));
    assert_true(vg_span_eq_cstr(lit, "x*y"));
    assert_true(vg_sstr_is_plain(&s, NULL));

    static const char *not_plain[] = {"*", "a*", "?", "a?b", "*a*"};
    for (size_t i = 0; i < sizeof(not_plain) / sizeof(not_plain[0]); i++) {
        s = parse(a, not_plain[i]);
        if (vg_sstr_is_plain(&s, &lit))
            fail_msg("row %zu [%s]: plain", i, not_plain[i]);
    }
    vg_sstr d;
    s = parse(a, "-");
    assert_int_equal(vg_sstr_windash(a, &s, &d), VG_OK);
    assert_false(vg_sstr_is_plain(&d, &lit));
}

typedef struct wrap_row {
    const char *in;
    bool before, after;
    const char *want;
} wrap_row;

static void test_wrap(void **state)
{
    static const wrap_row rows[] = {
            {"foo", true, true, "*'foo'*"},
            {"foo", true, false, "*'foo'"},
            {"foo", false, true, "'foo'*"},
            {"foo", false, false, "'foo'"},
            {"*foo*", true, true, "*'foo'*"},
            {"*foo", true, false, "*'foo'"},
            {"foo*", false, true, "'foo'*"},
            {"foo*", true, false, "*'foo'*"},
            {"", true, true, "*"},
            {"", true, false, "*"},
            {"", false, false, ""},
            {"*", true, true, "*"},
            {"?", true, true, "*?*"},
            {"\\*", true, true, "*'*'*"},
            {"a?b", false, true, "'a'?'b'*"},
    };
    vg_arena *a = *state;
    char got[128];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_sstr in = parse(a, rows[i].in), out;
        assert_int_equal(vg_sstr_wrap(a, &in, rows[i].before, rows[i].after, &out), VG_OK);
        check_invariants(&out, rows[i].in);
        render(&out, got, sizeof(got));
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu [%s] before=%d after=%d: got [%s], want [%s]", i, rows[i].in,
                     rows[i].before, rows[i].after, got, rows[i].want);
    }

    /* In place: the output may be the input. */
    vg_sstr s = parse(a, "x?y");
    assert_int_equal(vg_sstr_wrap(a, &s, true, true, &s), VG_OK);
    assert_string_equal(render(&s, got, sizeof(got)), "*'x'?'y'*");
}

static void test_windash(void **state)
{
    static const parse_row rows[] = {
            {"-a /b", "~'a '~'b'"},
            {"a\342\200\223b", "'a'~'b'"},      /* U+2013 en dash (octal: 'b' is no hex digit) */
            {"\xe2\x80\x94", "~"},              /* U+2014 em dash */
            {"\xe2\x80\x95x", "~'x'"},          /* U+2015 horizontal bar */
            {"\xe2\x80\x92", "'<e2><80><92>'"}, /* U+2012 figure dash: not a windash */
            {"\xe2\x80\x90", "'<e2><80><90>'"}, /* U+2010 hyphen: not a windash */
            {"a\xe2\x80", "'a<e2><80>'"},       /* truncated sequence */
            {"--", "~~"},
            {"*-*", "*~*"},
            {"x", "'x'"},
            {"", ""},
            {"\\-", "'\\'~"},
            {"-?-", "~?~"},
            {" -enc ", "' '~'enc '"},
            {"cmd.exe /c whoami", "'cmd.exe '~'c whoami'"},
    };
    vg_arena *a = *state;
    char got[128];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_sstr in = parse(a, rows[i].in), out;
        assert_int_equal(vg_sstr_windash(a, &in, &out), VG_OK);
        check_invariants(&out, rows[i].in);
        render(&out, got, sizeof(got));
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu [%s]: got [%s], want [%s]", i, rows[i].in, got, rows[i].want);
    }
}

typedef struct utf16_row {
    const char *in; /* Sigma text (escapes and wildcards apply) */
    vg_utf16_kind kind;
    const char *want; /* rendered */
} utf16_row;

static void test_utf16(void **state)
{
    static const utf16_row rows[] = {
            /* the spec's examples */
            {"cmd", VG_UTF16_LE, "'c<00>m<00>d<00>'"},
            {"cmd", VG_UTF16_BE, "'<00>c<00>m<00>d'"},
            {"cmd", VG_UTF16_BOM, "'<ff><fe>c<00>m<00>d<00>'"},
            {"", VG_UTF16_LE, ""},
            {"", VG_UTF16_BOM, "'<ff><fe>'"},
            /* U+00E9, U+20AC, U+1F600 (a surrogate pair: D83D DE00) */
            {"\xc3\xa9", VG_UTF16_LE, "'<e9><00>'"},
            {"\xc3\xa9", VG_UTF16_BE, "'<00><e9>'"},
            {"\xe2\x82\xac", VG_UTF16_LE, "'<ac> '"},
            {"\xe2\x82\xac", VG_UTF16_BE, "' <ac>'"},
            {"\xf0\x9f\x98\x80", VG_UTF16_LE, "'=<d8><00><de>'"},
            {"\xf0\x9f\x98\x80", VG_UTF16_BE, "'<d8>=<de><00>'"},
            {"\xf4\x8f\xbf\xbf", VG_UTF16_BE, "'<db><ff><df><ff>'"}, /* U+10FFFF */
            /* invalid UTF-8 is encoded byte by byte as U+00xx */
            {"\xff", VG_UTF16_LE, "'<ff><00>'"},
            {"a\xc3", VG_UTF16_LE, "'a<00><c3><00>'"},
            {"\xc0\x80", VG_UTF16_LE, "'<c0><00><80><00>'"},             /* overlong */
            {"\xed\xa0\x80", VG_UTF16_LE, "'<ed><00><a0><00><80><00>'"}, /* surrogate */
            {"\xf4\x90\x80\x80", VG_UTF16_BE, "'<00><f4><00><90><00><80><00><80>'"},
            {"\xe2\x28\xa1", VG_UTF16_LE, "'<e2><00>(<00><a1><00>'"},
            /* wildcards stay in place; BOM goes first */
            {"*cmd*", VG_UTF16_LE, "*'c<00>m<00>d<00>'*"},
            {"a*b", VG_UTF16_BE, "'<00>a'*'<00>b'"},
            {"*x", VG_UTF16_BOM, "'<ff><fe>'*'x<00>'"},
            {"\\*", VG_UTF16_LE, "'*<00>'"},
    };
    vg_arena *a = *state;
    char got[128];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_sstr in = parse(a, rows[i].in), out;
        vg_status rc = vg_sstr_utf16(a, &in, rows[i].kind, &out);
        if (rc != VG_OK)
            fail_msg("row %zu: %s", i, vg_status_str(rc));
        check_invariants(&out, rows[i].in);
        render(&out, got, sizeof(got));
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu kind %d: got [%s], want [%s]", i, (int)rows[i].kind, got,
                     rows[i].want);
    }
}

typedef struct b64_row {
    const char *in;
    size_t len; /* 0 = strlen(in) */
    const char *want;
} b64_row;

static void test_base64(void **state)
{
    static const b64_row rows[] = {
            /* RFC 4648 section 10 */
            {"", 0, ""},
            {"f", 0, "Zg=="},
            {"fo", 0, "Zm8="},
            {"foo", 0, "Zm9v"},
            {"foob", 0, "Zm9vYg=="},
            {"fooba", 0, "Zm9vYmE="},
            {"foobar", 0, "Zm9vYmFy"},
            /* every alphabet corner and binary bytes */
            {"\xff\xfe", 0, "//4="},
            {"\xfb\xff\xbf", 0, "+/+/"},
            {"\0\0\0", 3, "AAAA"},
            {"\\*", 0, "Kg=="}, /* an escaped '*' is a plain byte */
    };
    vg_arena *a = *state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_sstr in, out;
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
        assert_int_equal(vg_sstr_parse(a, rows[i].in, len, &in), VG_OK);
        assert_int_equal(vg_sstr_base64(a, &in, &out), VG_OK);
        check_invariants(&out, rows[i].want);
        vg_span got;
        assert_true(vg_sstr_is_plain(&out, &got));
        if (!vg_span_eq_cstr(got, rows[i].want))
            fail_msg("row %zu: got [%.*s], want [%s]", i, (int)got.len, got.p, rows[i].want);
    }
}

typedef struct b64off_row {
    const char *in;
    size_t len; /* 0 = strlen(in) */
    const char *want[3];
} b64off_row;

/* Known vectors, cross-checked with Python (the computation pySigma documents:
 * b64encode(i * b" " + value)[(0, 2, 3)[i] : (None, -3, -2)[(len(value) + i) % 3]]). */
static void test_base64offset_vectors(void **state)
{
    static const b64off_row rows[] = {
            {"foobar", 0, {"Zm9vYmFy", "Zvb2Jhc", "mb29iYX"}},
            {"sh -c", 0, {"c2ggLW", "NoIC1j", "zaCAtY"}},
            {"/bin/bash", 0, {"L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"}},
            {"Invoke-Mimikatz",
             0,
             {"SW52b2tlLU1pbWlrYXR6", "ludm9rZS1NaW1pa2F0e", "JbnZva2UtTWltaWthdH"}},
            {"abc", 0, {"YWJj", "FiY", "hYm"}},
            {"ab", 0, {"YW", "Fi", "hY"}},
            {"a", 0, {"Y", "", "h"}},
            {"", 0, {"", "", ""}},
            {"\xff\x00\xfe\x01", 4, {"/wD+A", "8A/g", "/AP4B"}},
    };
    vg_arena *a = *state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_sstr in, out[3];
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
        assert_int_equal(vg_sstr_literal(a, rows[i].in, len, &in), VG_OK);
        assert_int_equal(vg_sstr_base64offset(a, &in, out), VG_OK);
        for (size_t k = 0; k < 3; k++) {
            check_invariants(&out[k], rows[i].want[k]);
            vg_span got;
            assert_true(vg_sstr_is_plain(&out[k], &got));
            if (!vg_span_eq_cstr(got, rows[i].want[k]))
                fail_msg("row %zu [%s] offset %zu: got [%.*s], want [%s]", i, rows[i].in, k,
                         (int)got.len, got.p, rows[i].want[k]);
        }
    }
}

/* Independent reference encoder for the property test (plain loop over whole groups). */
static size_t ref_b64(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        size_t rest = n - i;
        uint32_t w = (uint32_t)in[i] << 16;
        if (rest > 1)
            w |= (uint32_t)in[i + 1] << 8;
        if (rest > 2)
            w |= in[i + 2];
        out[o++] = abc[(w >> 18) & 63];
        out[o++] = abc[(w >> 12) & 63];
        out[o++] = rest > 1 ? abc[(w >> 6) & 63] : '=';
        out[o++] = rest > 2 ? abc[w & 63] : '=';
    }
    return o;
}

/* Property: for a value at byte offset p of a longer text, variant p % 3 appears in the
 * encoding of the whole text, at character 4 * (p / 3) + (0, 2, 3)[p % 3]. */
static void test_base64offset_property(void **state)
{
    const vg_span values[] = {VG_SPAN_LIT("x"),
                              VG_SPAN_LIT("ab"),
                              VG_SPAN_LIT("abc"),
                              VG_SPAN_LIT("abcd"),
                              VG_SPAN_LIT("sh -c"),
                              VG_SPAN_LIT("powershell -enc"),
                              VG_SPAN_LIT("\xff\xfe\xfd\xfc\xfb"),
                              VG_SPAN_LIT("\x01\x80\x7f\x00\xc0\x3f")};
    const vg_span suffixes[] = {VG_SPAN_LIT(""), VG_SPAN_LIT("x"), VG_SPAN_LIT("yz"),
                                VG_SPAN_LIT("\x00\xff\x10"), VG_SPAN_LIT("a longer suffix!")};
    static const unsigned char prefix[] = "PQ\xee\x01Z";
    vg_arena *a = *state;
    for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
        vg_sstr in, out[3];
        assert_int_equal(vg_sstr_literal(a, values[v].p, values[v].len, &in), VG_OK);
        assert_int_equal(vg_sstr_base64offset(a, &in, out), VG_OK);
        for (size_t p = 0; p <= 5; p++) {
            for (size_t s = 0; s < sizeof(suffixes) / sizeof(suffixes[0]); s++) {
                unsigned char text[64];
                char enc[96];
                size_t n = 0;
                memcpy(text + n, prefix, p);
                n += p;
                memcpy(text + n, values[v].p, values[v].len);
                n += values[v].len;
                memcpy(text + n, suffixes[s].p, suffixes[s].len);
                n += suffixes[s].len;
                size_t elen = ref_b64(text, n, enc);
                vg_span var;
                assert_true(vg_sstr_is_plain(&out[p % 3], &var));
                size_t at = 4 * (p / 3) + (size_t[]){0, 2, 3}[p % 3];
                if (at + var.len > elen || memcmp(enc + at, var.p, var.len) != 0)
                    fail_msg("value %zu prefix %zu suffix %zu: variant %zu [%.*s] not at %zu "
                             "of [%.*s]",
                             v, p, s, p % 3, (int)var.len, var.p, at, (int)elen, enc);
                /* and, as a search would see it, it is a substring */
                bool found = false;
                for (size_t k = 0; k + var.len <= elen && !found; k++)
                    found = memcmp(enc + k, var.p, var.len) == 0;
                if (!found)
                    fail_msg("value %zu prefix %zu suffix %zu: not a substring", v, p, s);
            }
        }
    }
}

static void test_unsupported(void **state)
{
    vg_arena *a = *state;
    vg_sstr in, out, three[3];
    static const char *wild[] = {"*", "a*", "?", "a?b"};
    for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        in = parse(a, wild[i]);
        if (vg_sstr_base64(a, &in, &out) != VG_ERR_UNSUPPORTED)
            fail_msg("base64 row %zu [%s]: not unsupported", i, wild[i]);
        if (vg_sstr_base64offset(a, &in, three) != VG_ERR_UNSUPPORTED)
            fail_msg("base64offset row %zu [%s]: not unsupported", i, wild[i]);
    }
    /* dash parts: base64, base64offset, utf16 */
    vg_sstr plain = parse(a, "-x");
    assert_int_equal(vg_sstr_windash(a, &plain, &in), VG_OK);
    assert_int_equal(vg_sstr_base64(a, &in, &out), VG_ERR_UNSUPPORTED);
    assert_int_equal(vg_sstr_base64offset(a, &in, three), VG_ERR_UNSUPPORTED);
    assert_int_equal(vg_sstr_utf16(a, &in, VG_UTF16_LE, &out), VG_ERR_UNSUPPORTED);
    /* '?' under utf16: one character is not one fixed byte count it can express */
    in = parse(a, "a?b");
    assert_int_equal(vg_sstr_utf16(a, &in, VG_UTF16_LE, &out), VG_ERR_UNSUPPORTED);
    assert_int_equal(vg_sstr_utf16(a, &in, VG_UTF16_BE, &out), VG_ERR_UNSUPPORTED);
    assert_int_equal(vg_sstr_utf16(a, &in, VG_UTF16_BOM, &out), VG_ERR_UNSUPPORTED);
}

static void test_modifier_chains(void **state)
{
    /* contains|utf16le|base64offset order as rules write it: utf16 then base64offset. */
    vg_arena *a = *state;
    char got[128];
    vg_sstr s = parse(a, "ab"), w, o[3];
    assert_int_equal(vg_sstr_utf16(a, &s, VG_UTF16_LE, &w), VG_OK);
    assert_int_equal(vg_sstr_base64offset(a, &w, o), VG_OK);
    assert_string_equal(render(&o[0], got, sizeof(got)), "'YQBiA'");
    assert_string_equal(render(&o[1], got, sizeof(got)), "'EAYg'");
    assert_string_equal(render(&o[2], got, sizeof(got)), "'hAGIA'");
    assert_int_equal(vg_sstr_wrap(a, &o[1], true, true, &w), VG_OK);
    assert_string_equal(render(&w, got, sizeof(got)), "*'EAYg'*");

    /* windash then contains */
    s = parse(a, "-enc");
    assert_int_equal(vg_sstr_windash(a, &s, &w), VG_OK);
    assert_int_equal(vg_sstr_wrap(a, &w, true, true, &s), VG_OK);
    check_invariants(&s, "windash|contains");
    assert_string_equal(render(&s, got, sizeof(got)), "*~'enc'*");
}

static void test_out_of_memory(void **state)
{
    (void)state;
    vg_sstr s, out, three[3];
    vg_arena *a = vg_arena_new(64, 64);
    assert_non_null(a);
    char big[200];
    memset(big, 'x', sizeof(big));
    assert_int_equal(vg_sstr_parse(a, big, sizeof(big), &s), VG_ERR_NOMEM);
    assert_int_equal(vg_sstr_literal(a, big, sizeof(big), &s), VG_ERR_NOMEM);
    vg_arena_free(a);

    /* The heap failing from the first allocation. */
    a = vg_arena_new(0, 0);
    assert_non_null(a);
    vg_alloc_fail_after(0);
    assert_int_equal(vg_sstr_parse(a, "abc", 3, &s), VG_ERR_NOMEM);
    assert_int_equal(vg_sstr_literal(a, "abc", 3, &s), VG_ERR_NOMEM);
    vg_alloc_fail_after(-1);
    vg_arena_free(a);

    /* Exhaust a capped arena, then every transformation reports NOMEM. */
    a = vg_arena_new(64, 64);
    assert_non_null(a);
    assert_int_equal(vg_sstr_parse(a, "*abc-", 5, &s), VG_OK);
    while (vg_arena_alloc(a, 16))
        ;
    assert_int_equal(vg_sstr_wrap(a, &s, true, true, &out), VG_ERR_NOMEM);
    assert_int_equal(vg_sstr_windash(a, &s, &out), VG_ERR_NOMEM);
    assert_int_equal(vg_sstr_utf16(a, &s, VG_UTF16_LE, &out), VG_ERR_NOMEM);
    vg_sstr lit;
    lit.n = 1;
    lit.parts = &(vg_spart){.kind = VG_SP_LIT, .p = "abc", .len = 3};
    assert_int_equal(vg_sstr_base64(a, &lit, &out), VG_ERR_NOMEM);
    assert_int_equal(vg_sstr_base64offset(a, &lit, three), VG_ERR_NOMEM);
    vg_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
            cmocka_unit_test_setup_teardown(test_wildcards, setup, teardown),
            cmocka_unit_test_setup_teardown(test_literal_and_plain, setup, teardown),
            cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
            cmocka_unit_test_setup_teardown(test_windash, setup, teardown),
            cmocka_unit_test_setup_teardown(test_utf16, setup, teardown),
            cmocka_unit_test_setup_teardown(test_base64, setup, teardown),
            cmocka_unit_test_setup_teardown(test_base64offset_vectors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_base64offset_property, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
            cmocka_unit_test_setup_teardown(test_modifier_chains, setup, teardown),
            cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests_name("sigma/sstr", tests, NULL, NULL);
}
