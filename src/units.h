/* SPDX-License-Identifier: Apache-2.0 */
/*
 * units.h: durations and sizes written by people, for the command line and the daemon's
 * configuration file (one grammar for both).
 *
 * Duration: decimal digits and a unit, nothing else: "500ms", "10s", "2m", "1h", "1d"
 * (ms, s, m, h, d; lower case). The number is at most 100,000,000, so every result fits in
 * an int64 of milliseconds. No sign, spaces, fractions or unitless numbers.
 *
 * Size: decimal digits, optionally followed by a binary unit: "4096", "64KiB", "16MiB",
 * "1GiB", "2TiB" (KiB = 1024 bytes, MiB = 1024^2, GiB = 1024^3, TiB = 1024^4; spelt
 * exactly so). Decimal units ("KB", "MB", "GB") and bare letters ("64K", "16m") are
 * rejected rather than guessed at: write 64MiB or 64000000. No sign or spaces; a result
 * past 2^64 - 1 bytes is rejected.
 *
 * Callers check the range their option allows. Thread: pure functions.
 */
#ifndef VIGIL_SRC_UNITS_H
#define VIGIL_SRC_UNITS_H

#include <stdbool.h>
#include <stdint.h>

/* "10s" -> 10000 in *ms. false (and *ms untouched) if s is NULL or malformed. */
bool units_duration(const char *s, int64_t *ms);

/* "64KiB" -> 65536 in *bytes. false (and *bytes untouched) if s is NULL, malformed or
 * too large. */
bool units_size(const char *s, uint64_t *bytes);

#endif
