/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timefmt.h: timestamps found in events.
 *
 * vg_time_parse reads the forms security logs use:
 *   ISO 8601 / RFC 3339: "2026-04-17T05:24:53.092051Z", "2026-04-17T07:24:53+02:00",
 *     "2026-04-17 05:24:53.079" (space separator, no zone = UTC), "2026-04-17" (midnight);
 *   Unix epoch numbers: seconds (10 digits or fewer, optional fraction) or milliseconds
 *     (13 digits);
 * and returns milliseconds since the epoch, UTC, plus the broken-down UTC fields that the
 * Sigma time modifiers (minute, hour, day, week, month, year) need. `week` is the ISO 8601
 * week number (1..53). Calendar fields are validated (month 1..12, day within the month,
 * hour < 24, minute < 60, second <= 60).
 */
#ifndef VIGIL_BASE_TIMEFMT_H
#define VIGIL_BASE_TIMEFMT_H

#include "vigil/base.h"

typedef struct vg_time {
    int64_t epoch_ms;
    int year, month, day, hour, minute, second, week;
} vg_time;

bool vg_time_parse(const char *p, size_t len, vg_time *out);
/* Fill the broken-down fields from epoch_ms (UTC). */
void vg_time_from_ms(int64_t epoch_ms, vg_time *out);
/* "2026-04-17T05:24:53.092Z" into buf (at least 32 bytes); returns the length. */
size_t vg_time_format(int64_t epoch_ms, char *buf, size_t cap);

#endif
