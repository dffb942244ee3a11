/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_num.c: unit tests for base/num.c: the accepted grammar, int64 bounds, hexadecimal,
 * the length cap and vg_num_cmp. Every table row names itself (its text) on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/num.h"

typedef enum kind {
    BAD, /* rejected */
    INT, /* is_int with value i */
    DBL  /* double with value d */
} kind;

typedef struct num_row {
    const char *text;
    kind k;
    int64_t i;
    double d;
} num_row;

static const num_row rows[] = {
        /* integers */
        {"0", INT, 0, 0},
        {"-0", INT, 0, 0},
        {"+0", INT, 0, 0},
        {"4688", INT, 4688, 0},
        {"+4688", INT, 4688, 0},
        {"-4688", INT, -4688, 0},
        {"007", INT, 7, 0},
        {"010", INT, 10, 0}, /* decimal, never octal */
        {"9223372036854775807", INT, INT64_MAX, 0},
        {"-9223372036854775808", INT, INT64_MIN, 0},
        {"9223372036854775808", DBL, 0, 9223372036854775808.0},
        {"-9223372036854775809", DBL, 0, -9223372036854775809.0},
        {"18446744073709551616", DBL, 0, 18446744073709551616.0},
        {"00000000000000000000000000000000000000000000000000000000000000042", BAD, 0, 0}, /* 65 */
        {"0000000000000000000000000000000000000000000000000000000000000042", INT, 42, 0}, /* 64 */
        /* decimals and exponents */
        {"1.5", DBL, 0, 1.5},
        {"-1.5", DBL, 0, -1.5},
        {"1.", DBL, 0, 1.0},
        {".5", DBL, 0, 0.5},
        {"-.5", DBL, 0, -0.5},
        {"1.0", DBL, 0, 1.0},
        {"1e3", DBL, 0, 1000.0},
        {"1E3", DBL, 0, 1000.0},
        {"1e+3", DBL, 0, 1000.0},
        {"2.5e-3", DBL, 0, 0.0025},
        {"1e-400", DBL, 0, 0.0}, /* underflow is fine */
        {"1e999", BAD, 0, 0},    /* overflow to infinity is not */
        {"-1e999", BAD, 0, 0},
        /* hexadecimal */
        {"0x0", INT, 0, 0},
        {"0x1F4", INT, 500, 0},
        {"0X1f4", INT, 500, 0},
        {"0x00000000000001f4", INT, 500, 0},
        {"0x7FFFFFFFFFFFFFFF", INT, INT64_MAX, 0},
        {"0x8000000000000000", DBL, 0, 9223372036854775808.0},
        {"0xFFFFFFFFFFFFFFFF", DBL, 0, 18446744073709551615.0},
        {"0x10000000000000000", BAD, 0, 0}, /* 17 digits */
        {"0x", BAD, 0, 0},
        {"0x1g", BAD, 0, 0},
        {"0x 1", BAD, 0, 0},
        {"-0x10", BAD, 0, 0},
        {"+0x10", BAD, 0, 0},
        {"0x1.8p1", BAD, 0, 0},
        {"x10", BAD, 0, 0},
        /* rejected */
        {"", BAD, 0, 0},
        {"+", BAD, 0, 0},
        {"-", BAD, 0, 0},
        {".", BAD, 0, 0},
        {"-.", BAD, 0, 0},
        {"1e", BAD, 0, 0},
        {"1e+", BAD, 0, 0},
        {"e3", BAD, 0, 0},
        {".e3", BAD, 0, 0},
        {"1.2.3", BAD, 0, 0},
        {"1e3.5", BAD, 0, 0},
        {"--1", BAD, 0, 0},
        {"+-1", BAD, 0, 0},
        {" 1", BAD, 0, 0},
        {"1 ", BAD, 0, 0},
        {"\t1", BAD, 0, 0},
        {"1\n", BAD, 0, 0},
        {"1,5", BAD, 0, 0},
        {"1_000", BAD, 0, 0},
        {"nan", BAD, 0, 0},
        {"NaN", BAD, 0, 0},
        {"inf", BAD, 0, 0},
        {"-inf", BAD, 0, 0},
        {"Infinity", BAD, 0, 0},
        {"4688a", BAD, 0, 0},
        {"abc", BAD, 0, 0},
        {"\xEF\xBC\x91", BAD, 0, 0}, /* fullwidth digit one */
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const num_row *r = &rows[i];
        vg_num n;
        memset(&n, 0, sizeof(n));
        bool ok = vg_num_parse(r->text, strlen(r->text), &n);
        if (ok != (r->k != BAD))
            fail_msg("row %zu '%s': parse returned %d", i, r->text, (int)ok);
        if (!ok)
            continue;
        if (r->k == INT && (!n.is_int || n.i != r->i || n.d != (double)r->i))
            fail_msg("row %zu '%s': is_int=%d i=%lld d=%g, want int %lld", i, r->text,
                     (int)n.is_int, (long long)n.i, n.d, (long long)r->i);
        if (r->k == DBL && (n.is_int || n.d != r->d))
            fail_msg("row %zu '%s': is_int=%d d=%.17g, want double %.17g", i, r->text,
                     (int)n.is_int, n.d, r->d);
    }
}

/* The given length bounds the text; bytes after it are never read as part of it. */
static void test_lengths(void **state)
{
    (void)state;
    vg_num n;
    assert_true(vg_num_parse("12345", 3, &n));
    assert_true(n.is_int);
    assert_int_equal(n.i, 123);
    assert_true(vg_num_parse("1.5e10", 3, &n));
    assert_true(n.d == 1.5);
    assert_false(vg_num_parse("1e", 2, &n));
    assert_false(vg_num_parse("12\0", 3, &n));
    assert_false(vg_num_parse("", 0, &n));
    assert_false(vg_num_parse(NULL, 0, &n));
    assert_true(vg_num_parse("0x1F4zz", 5, &n));
    assert_int_equal(n.i, 500);
}

typedef struct cmp_row {
    const char *a, *b;
    int want;
} cmp_row;

static void test_cmp(void **state)
{
    (void)state;
    static const cmp_row cmps[] = {
            {"1", "2", -1},
            {"2", "1", 1},
            {"4688", "4688", 0},
            {"4688", "0x1250", 0},
            {"4688", "4688.0", 0},
            {"4688", "4.688e3", 0},
            {"-1", "0", -1},
            {"-0", "0", 0},
            {"-0.0", "0", 0},
            {"1.5", "1", 1},
            {"9223372036854775807", "9223372036854775806", 1}, /* exact for two ints */
            {"-9223372036854775808", "-9223372036854775807", -1},
            {"9223372036854775807", "-9223372036854775808", 1},
            {"0xFFFFFFFFFFFFFFFF", "9223372036854775807", 1},
            {"1e-400", "0", 0},
            {"0.1", "0.2", -1},
            {"1e3", "999", 1},
    };
    for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
        vg_num a, b;
        assert_true(vg_num_parse(cmps[i].a, strlen(cmps[i].a), &a));
        assert_true(vg_num_parse(cmps[i].b, strlen(cmps[i].b), &b));
        int got = vg_num_cmp(&a, &b), back = vg_num_cmp(&b, &a);
        if (got != cmps[i].want || back != -cmps[i].want)
            fail_msg("cmp row %zu: '%s' vs '%s': %d / %d, want %d", i, cmps[i].a, cmps[i].b, got,
                     back, cmps[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_table),
            cmocka_unit_test(test_lengths),
            cmocka_unit_test(test_cmp),
    };
    return cmocka_run_group_tests_name("base/num", tests, NULL, NULL);
}
