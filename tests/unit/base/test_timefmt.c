/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_timefmt.c: unit tests for base/timefmt.c: every accepted timestamp form, offsets,
 * leap years, ISO week numbers around new year, invalid dates, epoch seconds and
 * milliseconds, formatting, and a day-by-day walk over 1600..2400 checked against a simple
 * calendar counter (fields, ISO week by the ordinal-date rule, format/parse round trip).
 * Every table row names itself (its text) on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/timefmt.h"

typedef struct time_row {
    const char *text;
    int64_t ms;
    int year, month, day, hour, minute, second, week;
} time_row;

static const time_row good[] = {
        /* RFC 3339 / ISO 8601 */
        {"2026-04-17T05:24:53.092051Z", 1776403493092, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T05:24:53.092999Z", 1776403493092, 2026, 4, 17, 5, 24, 53, 16}, /* truncate */
        {"2026-04-17T05:24:53Z", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17t05:24:53z", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T05:24:53", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17 05:24:53.079", 1776403493079, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17 05:24:53,079", 1776403493079, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17 05:24:53.0", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17 05:24:53.5", 1776403493500, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17 05:24:53.09", 1776403493090, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T05:24:53.0920510Z", 1776403493092, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T05:24:53.092051123456Z", 1776403493092, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17", 1776384000000, 2026, 4, 17, 0, 0, 0, 16},
        /* offsets */
        {"2026-04-17T07:24:53+02:00", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T07:24:53+0200", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T07:24:53.092+02:00", 1776403493092, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T00:24:53-05:00", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-16T23:54:53-0530", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T05:24:53+00:00", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2026-04-17T05:24:53-00:00", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"2027-01-01T01:00:00+02:00", 1798761600000 - 3600000, 2026, 12, 31, 23, 0, 0, 53},
        {"2026-12-31T23:30:00-01:00", 1798761600000 + 1800000, 2027, 1, 1, 0, 30, 0, 53},
        {"1970-01-01T00:00:00+23:59", -86340000, 1969, 12, 31, 0, 1, 0, 1},
        /* leap years, leap second, the calendar's edges */
        {"2024-02-29", 1709164800000, 2024, 2, 29, 0, 0, 0, 9},
        {"2000-02-29", 951782400000, 2000, 2, 29, 0, 0, 0, 9},
        {"1900-03-01", -2203891200000, 1900, 3, 1, 0, 0, 0, 9},
        {"1969-12-31T23:59:59Z", -1000, 1969, 12, 31, 23, 59, 59, 1},
        {"1970-01-01T00:00:00Z", 0, 1970, 1, 1, 0, 0, 0, 1},
        {"2016-12-31T23:59:60Z", 1483228800000, 2017, 1, 1, 0, 0, 0, 52},
        {"0001-01-01", -62135596800000, 1, 1, 1, 0, 0, 0, 1},
        {"9999-12-31T23:59:59.999Z", 253402300799999, 9999, 12, 31, 23, 59, 59, 52},
        /* ISO weeks around new year */
        {"2021-01-03", 1609632000000, 2021, 1, 3, 0, 0, 0, 53},
        {"2021-01-04", 1609718400000, 2021, 1, 4, 0, 0, 0, 1},
        {"2020-12-31", 1609372800000, 2020, 12, 31, 0, 0, 0, 53},
        {"2026-12-31T23:59:59.999Z", 1798761599999, 2026, 12, 31, 23, 59, 59, 53},
        {"2027-01-01", 1798761600000, 2027, 1, 1, 0, 0, 0, 53},
        {"2008-12-29", 1230508800000, 2008, 12, 29, 0, 0, 0, 1},
        {"2010-01-03", 1262476800000, 2010, 1, 3, 0, 0, 0, 53},
        {"2015-12-31", 1451520000000, 2015, 12, 31, 0, 0, 0, 53},
        {"2016-01-01", 1451606400000, 2016, 1, 1, 0, 0, 0, 53},
        {"2019-12-30", 1577664000000, 2019, 12, 30, 0, 0, 0, 1},
        /* epoch seconds (10 digits or fewer, optional fraction) and milliseconds (13 digits) */
        {"1776403493", 1776403493000, 2026, 4, 17, 5, 24, 53, 16},
        {"1776403493.092051", 1776403493092, 2026, 4, 17, 5, 24, 53, 16},
        {"1776403493.5", 1776403493500, 2026, 4, 17, 5, 24, 53, 16},
        {"1776403493092", 1776403493092, 2026, 4, 17, 5, 24, 53, 16},
        {"0", 0, 1970, 1, 1, 0, 0, 0, 1},
        {"0.001", 1, 1970, 1, 1, 0, 0, 0, 1},
        {"86400", 86400000, 1970, 1, 2, 0, 0, 0, 1},
        {"2026", 2026000, 1970, 1, 1, 0, 33, 46, 1}, /* four digits are seconds, not a year */
        {"9999999999", 9999999999000, 2286, 11, 20, 17, 46, 39, 46},
        {"0000000000000", 0, 1970, 1, 1, 0, 0, 0, 1},
        {"9999999999999", 9999999999999, 2286, 11, 20, 17, 46, 39, 46},
};

static const char *const bad[] = {
        "",
        "2026-02-29",
        "2025-02-29",
        "1900-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-04-00",
        "2026-04-31",
        "2026-04-32",
        "2026-04-17T24:00:00Z",
        "2026-04-17T23:60:00Z",
        "2026-04-17T23:59:61Z",
        "2026-4-17",
        "26-04-17",
        "2026/04/17",
        "2026-04-17T",
        "2026-04-17T05:24",
        "2026-04-17T05:24Z",
        "2026-04-17T5:24:53Z",
        "2026-04-17X05:24:53Z",
        "2026-04-17T05-24-53Z",
        "2026-04-17T05:24:53.Z",
        "2026-04-17T05:24:53.",
        "2026-04-17T05:24:53ZZ",
        "2026-04-17T05:24:53Z ",
        " 2026-04-17T05:24:53Z",
        "2026-04-17T05:24:53+02",
        "2026-04-17T05:24:53+2:00",
        "2026-04-17T05:24:53+02:0",
        "2026-04-17T05:24:53+24:00",
        "2026-04-17T05:24:53+02:60",
        "2026-04-17T05:24:53+02:00Z",
        "2026-04-17T05:24:53 +02:00",
        "2026-04-17T05:24:53 UTC",
        "2026-04-17T05:24:53.123.4Z",
        "2026-04-17 ",
        "+2026-04-17",
        "-1776403493",
        "+1776403493",
        "17764034930",    /* 11 digits */
        "177640349309",   /* 12 digits */
        "17764034930920", /* 14 digits */
        "1776403493092.5",
        "17764034930.5",
        "1776403493.",
        ".5",
        "1e9",
        "0x10",
        "now",
        "Fri, 17 Apr 2026 05:24:53 GMT",
};

static void check_fields(size_t i, const char *text, const vg_time *t, const time_row *r)
{
    if (t->epoch_ms != r->ms || t->year != r->year || t->month != r->month || t->day != r->day ||
        t->hour != r->hour || t->minute != r->minute || t->second != r->second ||
        t->week != r->week)
        fail_msg("row %zu '%s': got %lld %04d-%02d-%02d %02d:%02d:%02d w%d, want %lld "
                 "%04d-%02d-%02d %02d:%02d:%02d w%d",
                 i, text, (long long)t->epoch_ms, t->year, t->month, t->day, t->hour, t->minute,
                 t->second, t->week, (long long)r->ms, r->year, r->month, r->day, r->hour,
                 r->minute, r->second, r->week);
}

static void test_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const time_row *r = &good[i];
        vg_time t;
        memset(&t, 0, sizeof(t));
        if (!vg_time_parse(r->text, strlen(r->text), &t))
            fail_msg("row %zu '%s' was rejected", i, r->text);
        check_fields(i, r->text, &t, r);
        /* vg_time_from_ms agrees with the parse. */
        vg_time u;
        vg_time_from_ms(r->ms, &u);
        check_fields(i, r->text, &u, r);
    }
}

static void test_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vg_time t;
        if (vg_time_parse(bad[i], strlen(bad[i]), &t))
            fail_msg("bad row %zu '%s' was accepted (epoch %lld)", i, bad[i],
                     (long long)t.epoch_ms);
    }
    vg_time t;
    assert_false(vg_time_parse(NULL, 0, &t));
    /* The length bounds the text. */
    assert_true(vg_time_parse("2026-04-17T05:24:53Zjunk", 20, &t));
    assert_int_equal(t.epoch_ms, 1776403493000);
    assert_true(vg_time_parse("2026-04-17T05:24:53", 10, &t));
    assert_int_equal(t.epoch_ms, 1776384000000);
    assert_false(vg_time_parse("2026-04-17\0", 11, &t));
}

static void test_format(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *text;
    } rows[] = {
            {0, "1970-01-01T00:00:00.000Z"},
            {1776403493092, "2026-04-17T05:24:53.092Z"},
            {-1, "1969-12-31T23:59:59.999Z"},
            {-62135596800000, "0001-01-01T00:00:00.000Z"},
            {253402300799999, "9999-12-31T23:59:59.999Z"},
            {951782400001, "2000-02-29T00:00:00.001Z"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[32];
        size_t n = vg_time_format(rows[i].ms, buf, sizeof(buf));
        if (n != strlen(rows[i].text) || strcmp(buf, rows[i].text) != 0)
            fail_msg("format row %zu: %lld gave '%s' (%zu), want '%s'", i, (long long)rows[i].ms,
                     buf, n, rows[i].text);
        vg_time t;
        assert_true(vg_time_parse(buf, n, &t));
        assert_int_equal(t.epoch_ms, rows[i].ms);
    }
    /* Extremes of int64 fit in 32 bytes. */
    char buf[32];
    assert_true(vg_time_format(INT64_MAX, buf, sizeof(buf)) > 0);
    assert_true(vg_time_format(INT64_MIN, buf, sizeof(buf)) > 0);
    /* Too small a buffer: nothing written but an empty string. */
    char small[10];
    assert_int_equal(vg_time_format(0, small, sizeof(small)), 0);
    assert_string_equal(small, "");
    assert_int_equal(vg_time_format(0, small, 0), 0);
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Weekday (Monday 1 .. Sunday 7) of January 1st, by stepping from 1600-01-01 (a Saturday). */
static int jan1_weekday(int y)
{
    int wd = 6;
    for (int k = 1600; k < y; k++)
        wd = (wd - 1 + (is_leap(k) ? 366 : 365)) % 7 + 1;
    return wd;
}

static int iso_weeks(int y)
{
    int wd = jan1_weekday(y);
    return (wd == 4 || (wd == 3 && is_leap(y))) ? 53 : 52;
}

/* Every day from 1600-01-01 to 2400-12-31 against a plain day counter. */
static void test_calendar_walk(void **state)
{
    (void)state;
    int64_t days = -135140; /* 1600-01-01 */
    int y = 1600, m = 1, d = 1, wd = 6, doy = 1;
    int weeks_this = iso_weeks(y), weeks_prev = iso_weeks(y - 1);
    for (; y <= 2400; days++) {
        int64_t ms = days * 86400000 + 45296789; /* 12:34:56.789 */
        vg_time t;
        vg_time_from_ms(ms, &t);
        int week = (doy - wd + 10) / 7;
        if (week < 1)
            week = weeks_prev;
        else if (week > weeks_this)
            week = 1;
        if (t.year != y || t.month != m || t.day != d || t.hour != 12 || t.minute != 34 ||
            t.second != 56 || t.week != week || t.epoch_ms != ms)
            fail_msg("day %lld: got %04d-%02d-%02d w%d, want %04d-%02d-%02d w%d", (long long)days,
                     t.year, t.month, t.day, t.week, y, m, d, week);
        char buf[32], want[64];
        size_t n = vg_time_format(ms, buf, sizeof(buf));
        snprintf(want, sizeof(want), "%04d-%02d-%02dT12:34:56.789Z", y, m, d);
        if (strcmp(buf, want) != 0)
            fail_msg("day %lld: formatted '%s', want '%s'", (long long)days, buf, want);
        vg_time back;
        if (!vg_time_parse(buf, n, &back) || back.epoch_ms != ms)
            fail_msg("day %lld: '%s' did not round-trip", (long long)days, buf);

        wd = wd % 7 + 1;
        doy++;
        if (++d > days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
                doy = 1;
                weeks_prev = weeks_this;
                weeks_this = iso_weeks(y);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good),
            cmocka_unit_test(test_bad),
            cmocka_unit_test(test_format),
            cmocka_unit_test(test_calendar_walk),
    };
    return cmocka_run_group_tests_name("base/timefmt", tests, NULL, NULL);
}
