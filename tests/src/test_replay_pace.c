/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_replay_pace.c: the pacing arithmetic of `vigil replay` (src/replay_pace.c) with a
 * clock of the test's own: no sleeping, no wall clock.
 *
 *  - none: every record is due at once;
 *  - rate: records evenly spaced at 1 / eps from the first, fractional rates included; a
 *    sender woken late keeps the schedule (no drift); over one simulated second a sender
 *    that sends whatever is due sends the rate, to the record; after a stall, at most the
 *    burst allowance goes at once and then the rate resumes;
 *  - speedup: event times relative to the first timed record, divided by the factor;
 *    records without a time, or before the first, go at once; huge gaps do not overflow;
 *  - bad values are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "replay_pace.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MS 1000000LL
#define S  1000000000LL

static void test_pace_none(void **state)
{
    (void)state;
    replay_pace *p = replay_pace_new(REPLAY_PACE_NONE, 0);
    assert_non_null(p);
    for (int64_t now = 5; now < 50; now += 7)
        assert_int_equal(replay_pace_due(p, now, true, now * 1000), now);
    replay_pace_free(p);
}

static void test_pace_rate_even_spacing(void **state)
{
    (void)state;
    replay_pace *p = replay_pace_new(REPLAY_PACE_RATE, 10);
    assert_non_null(p);
    int64_t now = 7 * S; /* any origin */
    for (int i = 0; i < 10; i++) {
        int64_t due = replay_pace_due(p, now, false, 0);
        assert_int_equal(due, 7 * S + i * 100 * MS);
        now = due + 3 * MS; /* woken a little late every time: the schedule does not drift */
    }
    replay_pace_free(p);

    /* a third of a record per second: 3 s apart, rounding never accumulates */
    p = replay_pace_new(REPLAY_PACE_RATE, 1.0 / 3.0);
    assert_non_null(p);
    now = 0;
    int64_t due = 0;
    for (int i = 0; i < 1000; i++) {
        due = replay_pace_due(p, now, false, 0);
        now = due;
    }
    assert_true(llabs(due - 999 * 3 * S) < 1000);
    replay_pace_free(p);
}

static void test_pace_rate_over_a_second(void **state)
{
    (void)state;
    static const double rates[] = {1, 7, 1000, 12345, 250000};
    for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
        replay_pace *p = replay_pace_new(REPLAY_PACE_RATE, rates[k]);
        assert_non_null(p);
        /* a sender waking every 0.5 ms sends what is due, in [0, 1 s]: the records due at
         * 0, 1 / rate, ..., 1 s */
        int64_t now = 0, pending = replay_pace_due(p, now, false, 0);
        long sent = 0;
        for (now = 0; now <= S; now += 500000) {
            while (pending <= now) {
                sent++;
                pending = replay_pace_due(p, now, false, 0);
            }
        }
        long want = (long)floor(rates[k]) + 1;
        if (labs(sent - want) > 1)
            fail_msg("rate %.0f: %ld records in one second", rates[k], sent);
        replay_pace_free(p);
    }
}

static void test_pace_rate_burst_after_stall(void **state)
{
    (void)state;
    replay_pace *p = replay_pace_new(REPLAY_PACE_RATE, 1000); /* 1 ms apart */
    assert_non_null(p);
    assert_int_equal(replay_pace_due(p, 0, false, 0), 0);
    /* the sender stalls for 5 s: only 100 ms worth (100 records) may go at once */
    int64_t now = 5 * S;
    int at_once = 0;
    int64_t due;
    while ((due = replay_pace_due(p, now, false, 0)) <= now)
        at_once++;
    assert_in_range(at_once, 100, 101);
    assert_int_equal(due, now + MS); /* then 1 ms apart again */
    assert_int_equal(replay_pace_due(p, due, false, 0), now + 2 * MS);
    replay_pace_free(p);
}

static void test_pace_speedup(void **state)
{
    (void)state;
    replay_pace *p = replay_pace_new(REPLAY_PACE_SPEEDUP, 4);
    assert_non_null(p);
    int64_t t0 = 1764000000000LL; /* epoch ms */
    /* untimed records before the first timed one go at once and set nothing */
    assert_int_equal(replay_pace_due(p, 100, false, 0), 100);
    assert_int_equal(replay_pace_due(p, 2 * S, true, t0), 2 * S); /* the origin */
    assert_int_equal(replay_pace_due(p, 2 * S, true, t0 + 1000), 2 * S + 250 * MS);
    assert_int_equal(replay_pace_due(p, 2 * S, true, t0 + 60000), 2 * S + 15 * S);
    /* no time, or a time before the first: at once (the current now) */
    assert_int_equal(replay_pace_due(p, 3 * S, false, 0), 3 * S);
    assert_int_equal(replay_pace_due(p, 3 * S, true, t0 - 5000), 3 * S);
    /* the origin stays the first record's, however late the sender is */
    assert_int_equal(replay_pace_due(p, 30 * S, true, t0 + 8000), 2 * S + 2 * S);
    /* a gap of centuries is clamped, not overflowed */
    int64_t far = replay_pace_due(p, 0, true, INT64_MAX / 2);
    assert_true(far > 2 * S);
    replay_pace_free(p);

    p = replay_pace_new(REPLAY_PACE_SPEEDUP, 0.5); /* slower than recorded */
    assert_non_null(p);
    assert_int_equal(replay_pace_due(p, 0, true, 1000), 0);
    assert_int_equal(replay_pace_due(p, 0, true, 1500), 1 * S);
    replay_pace_free(p);
}

static void test_pace_bad_values(void **state)
{
    (void)state;
    assert_null(replay_pace_new(REPLAY_PACE_RATE, 0));
    assert_null(replay_pace_new(REPLAY_PACE_RATE, -1));
    assert_null(replay_pace_new(REPLAY_PACE_RATE, NAN));
    assert_null(replay_pace_new(REPLAY_PACE_SPEEDUP, INFINITY));
    assert_null(replay_pace_new(REPLAY_PACE_SPEEDUP, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_pace_none),
            cmocka_unit_test(test_pace_rate_even_spacing),
            cmocka_unit_test(test_pace_rate_over_a_second),
            cmocka_unit_test(test_pace_rate_burst_after_stall),
            cmocka_unit_test(test_pace_speedup),
            cmocka_unit_test(test_pace_bad_values),
    };
    return cmocka_run_group_tests_name("src/replay_pace", tests, NULL, NULL);
}
