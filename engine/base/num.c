/* SPDX-License-Identifier: Apache-2.0 */
/*
 * num.c: number parsing and comparison (see base/num.h).
 *
 * The grammar is checked here, byte by byte, before any libc conversion runs, so that what
 * strtod/strtoll would also accept ("inf", "nan", hex floats, leading spaces, a trailing
 * junk tail) never gets through:
 *
 *   number  = hex | decimal
 *   hex     = ("0x" | "0X") 1*16 HEXDIG            (no sign)
 *   decimal = [ "+" | "-" ] mantissa [ exponent ]
 *   mantissa= 1*DIGIT [ "." *DIGIT ] | "." 1*DIGIT
 *   exponent= ( "e" | "E" ) [ "+" | "-" ] 1*DIGIT
 *
 * At most MAX_TEXT bytes are accepted; the text is copied to a NUL-terminated stack buffer
 * for the conversion. A decimal without fraction or exponent that fits int64 is an integer
 * (leading zeros are decimal, not octal: "010" is 10); any other decimal is a double, and
 * one whose magnitude overflows a double ("1e999") is rejected. Hex is read as uint64: an
 * integer up to INT64_MAX, a double above it.
 *
 * The conversion relies on the "C" LC_NUMERIC locale (vigil never calls setlocale).
 */
#include "base/num.h"
#include "base/ascii.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT 64

static bool parse_hex(const char *p, size_t len, vg_num *out)
{
    size_t n = len - 2;
    if (n == 0 || n > 16)
        return false;
    uint64_t u = 0;
    for (size_t i = 2; i < len; i++) {
        int v = vg_hex_digit(p[i]);
        if (v < 0)
            return false;
        u = (u << 4) | (uint64_t)v;
    }
    if (u <= (uint64_t)INT64_MAX) {
        out->is_int = true;
        out->i = (int64_t)u;
        out->d = (double)out->i;
    } else {
        out->is_int = false;
        out->i = 0;
        out->d = (double)u;
    }
    return true;
}

/* Check the decimal grammar; *integral is set when there is no fraction and no exponent. */
static bool check_decimal(const char *p, size_t len, bool *integral)
{
    size_t i = 0, digits = 0;
    *integral = true;
    if (i < len && (p[i] == '+' || p[i] == '-'))
        i++;
    while (i < len && vg_is_digit(p[i])) {
        i++;
        digits++;
    }
    if (i < len && p[i] == '.') {
        *integral = false;
        i++;
        while (i < len && vg_is_digit(p[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        *integral = false;
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        size_t exp_digits = 0;
        while (i < len && vg_is_digit(p[i])) {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    return i == len;
}

bool vg_num_parse(const char *p, size_t len, vg_num *out)
{
    if (!p || !out || len == 0 || len > MAX_TEXT)
        return false;
    if (len >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return parse_hex(p, len, out);

    bool integral;
    if (!check_decimal(p, len, &integral))
        return false;
    char buf[MAX_TEXT + 1];
    memcpy(buf, p, len);
    buf[len] = '\0';

    char *end;
    if (integral) {
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno == 0 && end == buf + len) {
            out->is_int = true;
            out->i = (int64_t)v;
            out->d = (double)v;
            return true;
        }
        /* Out of int64 range: fall through to a double. */
    }
    double d = strtod(buf, &end);
    if (end != buf + len || isinf(d) || isnan(d))
        return false;
    out->is_int = false;
    out->i = 0;
    out->d = d;
    return true;
}

int vg_num_cmp(const vg_num *a, const vg_num *b)
{
    if (a->is_int && b->is_int)
        return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
    return a->d < b->d ? -1 : a->d > b->d ? 1 : 0;
}
