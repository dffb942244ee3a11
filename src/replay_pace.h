/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_pace.h: when `vigil replay` may send its next record.
 *
 * The caller owns the clock: every call passes the current time of a monotonic clock in
 * nanoseconds, and gets back the time at which the record is due on that same clock. A due
 * time at or before now means "send at once"; otherwise the caller waits until then (polling
 * its producer meanwhile) and sends. No call reads a clock or sleeps, so the arithmetic is
 * tested with a clock of the test's own.
 *
 * Modes:
 *   none     every record is due at once (as fast as the producer takes them).
 *   rate     a fixed rate of eps records per second. Record n after the schedule's start is
 *            due at start + n / eps, so short sleeps that overshoot do not make the rate drift.
 *            A sender that falls behind (a slow broker) catches up by at most
 *            REPLAY_PACE_BURST_NS worth of records at once; beyond that the schedule restarts
 *            from now - REPLAY_PACE_BURST_NS (a token bucket holding that much).
 *   speedup  recorded timing: the first record with an event time is due at once and sets
 *            the origin; a later record with time t is due at origin + (t - first time) / x.
 *            Records without a time, or with a time before the first, are due at once.
 *
 * Thread: a replay_pace belongs to one thread. Locks: none.
 */
#ifndef VIGIL_SRC_REPLAY_PACE_H
#define VIGIL_SRC_REPLAY_PACE_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_PACE_BURST_NS 100000000LL /* 100 ms */

typedef enum replay_pace_mode {
    REPLAY_PACE_NONE,
    REPLAY_PACE_RATE,   /* value: records per second, > 0 */
    REPLAY_PACE_SPEEDUP /* value: the factor recorded time is divided by, > 0 */
} replay_pace_mode;

typedef struct replay_pace replay_pace;

/* NULL when value is not a finite number > 0 (for rate and speedup) or out of memory. */
replay_pace *replay_pace_new(replay_pace_mode mode, double value);
void replay_pace_free(replay_pace *p);

/* The due time of the next record (call once per record, in order). now_ns: the caller's
 * monotonic clock. has_time and time_ms (epoch milliseconds): the record's event time; read
 * only in speedup mode. */
int64_t replay_pace_due(replay_pace *p, int64_t now_ns, bool has_time, int64_t time_ms);

#endif
