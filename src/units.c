/* SPDX-License-Identifier: Apache-2.0 */
/*
 * units.c: the duration and size grammar of units.h: a run of decimal digits read with an
 * overflow check, then a unit from a fixed table.
 */
#include "units.h"

#include <string.h>

typedef struct unit {
    const char *name;
    uint64_t factor;
} unit;

static const unit duration_units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

static const unit size_units[] = {
        {"", 1},
        {"KiB", (uint64_t)1 << 10},
        {"MiB", (uint64_t)1 << 20},
        {"GiB", (uint64_t)1 << 30},
        {"TiB", (uint64_t)1 << 40},
};

#define DURATION_MAX_NUMBER 100000000u

/* Leading decimal digits of s into *v; false if there are none or they pass UINT64_MAX. */
static bool digits(const char *s, uint64_t *v, const char **end)
{
    uint64_t x = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    if (p == s)
        return false;
    *v = x;
    *end = p;
    return true;
}

static bool lookup(const unit *t, size_t n, const char *name, uint64_t *factor)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0) {
            *factor = t[i].factor;
            return true;
        }
    }
    return false;
}

bool units_duration(const char *s, int64_t *ms)
{
    uint64_t v, f;
    const char *end;
    if (!s || !digits(s, &v, &end) || v > DURATION_MAX_NUMBER ||
        !lookup(duration_units, sizeof(duration_units) / sizeof(duration_units[0]), end, &f))
        return false;
    *ms = (int64_t)(v * f); /* at most 1e8 * 86400000 < 2^63 */
    return true;
}

bool units_size(const char *s, uint64_t *bytes)
{
    uint64_t v, f;
    const char *end;
    if (!s || !digits(s, &v, &end) ||
        !lookup(size_units, sizeof(size_units) / sizeof(size_units[0]), end, &f) ||
        v > UINT64_MAX / f)
        return false;
    *bytes = v * f;
    return true;
}
