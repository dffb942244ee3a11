/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timefmt.c: timestamp parsing, calendar conversion and formatting (see base/timefmt.h).
 *
 * Accepted text (nothing before or after it, no spaces):
 *   YYYY-MM-DD                                      midnight UTC
 *   YYYY-MM-DD{T|t| }hh:mm:ss[{.|,}F+][zone]         F+: 1 or more fraction digits
 *     zone: none (UTC) | Z | z | {+|-}hh:mm | {+|-}hhmm  (hh <= 23, mm <= 59)
 *   D{1,10}[.F+]                                    Unix seconds
 *   D{13}                                           Unix milliseconds
 * Years are 0000..9999; month, day, hour (< 24), minute (< 60) and second (<= 60) are
 * checked, the day against the month's length in that (proleptic Gregorian) year. Fractions
 * are truncated to milliseconds. A leap second (ss = 60) counts as the first second of the
 * next minute, as POSIX time does. The comma fraction separator is what log4j-style
 * "2026-04-17 05:24:53,079" timestamps use.
 *
 * Calendar arithmetic is done here with integer arithmetic on days since 1970-01-01 (no
 * timegm/mktime/gmtime, no time zone database): days_from_civil counts whole years of 365
 * days plus the leap days before the year, then the days before the month; year_of_days
 * inverts it by estimating the year from the mean Gregorian year (146097 days per 400
 * years) and correcting by a step or two. All divisions that can see negative numbers round
 * towards minus infinity (floor_div), so times before 1970 work the same way.
 *
 * The broken-down fields returned by vg_time_parse always come from vg_time_from_ms on the
 * final UTC epoch, so an offset or a leap second is reflected in them consistently.
 */
#include "base/timefmt.h"
#include "base/ascii.h"

#include <stdio.h>

#define MS_PER_DAY 86400000LL

static const int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in [1, y) for y >= 1, extended to all y so that f(y + 1) - f(y) = is_leap(y). */
static int64_t leaps_before(int64_t y)
{
    return floor_div(y - 1, 4) - floor_div(y - 1, 100) + floor_div(y - 1, 400);
}

static int month_len(int64_t y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : len[m - 1];
}

/* Days from 1970-01-01 to y-m-d (m 1..12, d 1..31, not checked here). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t days = 365 * (y - 1970) + leaps_before(y) - leaps_before(1970);
    days += days_before_month[m - 1] + ((m > 2 && is_leap(y)) ? 1 : 0);
    return days + d - 1;
}

/* The year that day number `days` falls in. */
static int64_t year_of_days(int64_t days)
{
    int64_t y = 1970 + floor_div(days * 400, 146097);
    while (days_from_civil(y, 1, 1) > days)
        y--;
    while (days_from_civil(y + 1, 1, 1) <= days)
        y++;
    return y;
}

void vg_time_from_ms(int64_t epoch_ms, vg_time *out)
{
    int64_t days = floor_div(epoch_ms, MS_PER_DAY);
    int64_t in_day = floor_mod(epoch_ms, MS_PER_DAY); /* no overflow near INT64_MIN */
    int64_t y = year_of_days(days);
    int64_t doy = days - days_from_civil(y, 1, 1);
    int m = 12;
    while (m > 1 && doy < days_before_month[m - 1] + ((m > 2 && is_leap(y)) ? 1 : 0))
        m--;
    int64_t month_start = days_before_month[m - 1] + ((m > 2 && is_leap(y)) ? 1 : 0);

    /* ISO week: the week (Monday..Sunday) belongs to the year its Thursday is in. */
    int64_t weekday = floor_mod(days + 3, 7); /* 1970-01-01 was a Thursday; Monday = 0 */
    int64_t thursday = days - weekday + 3;
    int64_t wy = year_of_days(thursday);

    out->epoch_ms = epoch_ms;
    out->year = (int)y;
    out->month = m;
    out->day = (int)(doy - month_start + 1);
    out->hour = (int)(in_day / 3600000);
    out->minute = (int)(in_day / 60000 % 60);
    out->second = (int)(in_day / 1000 % 60);
    out->week = (int)((thursday - days_from_civil(wy, 1, 1)) / 7 + 1);
}

size_t vg_time_format(int64_t epoch_ms, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return 0;
    vg_time t;
    vg_time_from_ms(epoch_ms, &t);
    int ms = (int)floor_mod(epoch_ms, 1000);
    if (t.year >= 0 && t.year <= 9999 && cap >= 25) {
        /* the common case without printf: alerts write several times each */
        const int parts[7] = {t.year, t.month, t.day, t.hour, t.minute, t.second, ms};
        static const int width[7] = {4, 2, 2, 2, 2, 2, 3};
        static const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
        size_t at = 0;
        for (int i = 0; i < 7; i++) {
            int v = parts[i];
            for (int d = width[i] - 1; d >= 0; d--) {
                buf[at + (size_t)d] = (char)('0' + v % 10);
                v /= 10;
            }
            at += (size_t)width[i];
            buf[at++] = sep[i];
        }
        buf[at] = '\0';
        return at;
    }
    int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.year, t.month, t.day,
                     t.hour, t.minute, t.second, ms);
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

/* Value of the n digits at p, or -1 if one is not a digit. */
static int fixed_digits(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!vg_is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Fraction digits at p[*i..len) (at least one) as milliseconds, truncated. */
static bool fraction_ms(const char *p, size_t len, size_t *i, int64_t *ms)
{
    size_t start = *i, k = *i;
    int64_t v = 0;
    while (k < len && vg_is_digit(p[k])) {
        if (k - start < 3)
            v = v * 10 + (p[k] - '0');
        k++;
    }
    if (k == start)
        return false;
    for (size_t d = k - start; d < 3; d++)
        v *= 10;
    *i = k;
    *ms = v;
    return true;
}

static bool parse_epoch(const char *p, size_t len, int64_t *ms)
{
    size_t i = 0;
    int64_t v = 0;
    while (i < len && vg_is_digit(p[i])) {
        v = v * 10 + (p[i] - '0');
        if (i++ == 13)
            return false; /* more than 13 integer digits */
    }
    if (i == 13 && i == len) {
        *ms = v;
        return true;
    }
    if (i == 0 || i > 10)
        return false;
    int64_t frac = 0;
    if (i < len) {
        if (p[i] != '.')
            return false;
        i++;
        if (!fraction_ms(p, len, &i, &frac) || i != len)
            return false;
    }
    *ms = v * 1000 + frac;
    return true;
}

/* Zone suffix at p[i..len): nothing, Z, +hh:mm or +hhmm. *offset_min is east of UTC. */
static bool parse_zone(const char *p, size_t len, size_t i, int *offset_min)
{
    *offset_min = 0;
    if (i == len)
        return true;
    if (p[i] == 'Z' || p[i] == 'z')
        return i + 1 == len;
    if (p[i] != '+' && p[i] != '-')
        return false;
    int sign = p[i] == '-' ? -1 : 1;
    size_t rest = len - i - 1;
    const char *z = p + i + 1;
    int hh, mm;
    if (rest == 5 && z[2] == ':') {
        hh = fixed_digits(z, 2);
        mm = fixed_digits(z + 3, 2);
    } else if (rest == 4) {
        hh = fixed_digits(z, 2);
        mm = fixed_digits(z + 2, 2);
    } else {
        return false;
    }
    if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
        return false;
    *offset_min = sign * (hh * 60 + mm);
    return true;
}

static bool parse_iso(const char *p, size_t len, int64_t *ms)
{
    if (len < 10 || p[4] != '-' || p[7] != '-')
        return false;
    int y = fixed_digits(p, 4), mo = fixed_digits(p + 5, 2), d = fixed_digits(p + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > month_len(y, mo))
        return false;
    int64_t days = days_from_civil(y, mo, d);
    if (len == 10) {
        *ms = days * MS_PER_DAY;
        return true;
    }
    if (len < 19 || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || p[13] != ':' || p[16] != ':')
        return false;
    int hh = fixed_digits(p + 11, 2), mi = fixed_digits(p + 14, 2), ss = fixed_digits(p + 17, 2);
    if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && (p[i] == '.' || p[i] == ',')) {
        i++;
        if (!fraction_ms(p, len, &i, &frac))
            return false;
    }
    int offset_min;
    if (!parse_zone(p, len, i, &offset_min))
        return false;
    int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)offset_min * 60;
    *ms = secs * 1000 + frac;
    return true;
}

bool vg_time_parse(const char *p, size_t len, vg_time *out)
{
    if (!p || !out || len == 0)
        return false;
    int64_t ms;
    bool ok = (len >= 5 && p[4] == '-') ? parse_iso(p, len, &ms) : parse_epoch(p, len, &ms);
    if (!ok)
        return false;
    vg_time_from_ms(ms, out);
    return true;
}
