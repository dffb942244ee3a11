/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_pace.c: the pacing arithmetic of `vigil replay` (see replay_pace.h).
 *
 * Rate: the schedule is kept as a start time and a count, and record n's due time computed
 * from them in floating point, so a fractional interval (1 / 3 s) never accumulates rounding.
 * Due times are clamped to a range far from int64 overflow (about 146 years either way).
 */
#include "replay_pace.h"
#include "vigil/base.h"

#include <math.h>

#define DUE_LIMIT 4611686018427387904.0 /* 2^62 ns */

struct replay_pace {
    replay_pace_mode mode;
    double value;
    bool started;
    int64_t base_ns;   /* rate: the schedule's start; speedup: the origin's wall time */
    uint64_t n;        /* rate: records scheduled since base_ns */
    int64_t origin_ms; /* speedup: the first record's event time */
};

replay_pace *replay_pace_new(replay_pace_mode mode, double value)
{
    if (mode != REPLAY_PACE_NONE && !(isfinite(value) && value > 0))
        return NULL;
    replay_pace *p = vg_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->mode = mode;
    p->value = value;
    return p;
}

void replay_pace_free(replay_pace *p)
{
    vg_free(p);
}

static int64_t clamp_ns(double base, double offset)
{
    double t = base + offset;
    if (t > DUE_LIMIT)
        return (int64_t)DUE_LIMIT;
    if (t < -DUE_LIMIT)
        return -(int64_t)DUE_LIMIT;
    return (int64_t)t;
}

static int64_t due_rate(replay_pace *p, int64_t now_ns)
{
    double interval = 1e9 / p->value;
    if (!p->started) {
        p->started = true;
        p->base_ns = now_ns;
        p->n = 0;
    }
    int64_t due = clamp_ns((double)p->base_ns, (double)p->n * interval);
    if (due < now_ns - REPLAY_PACE_BURST_NS) {
        /* behind by more than the bucket holds: the surplus is lost */
        p->base_ns = now_ns - REPLAY_PACE_BURST_NS;
        p->n = 0;
        due = p->base_ns;
    }
    p->n++;
    return due;
}

static int64_t due_speedup(replay_pace *p, int64_t now_ns, bool has_time, int64_t time_ms)
{
    if (!has_time)
        return now_ns;
    if (!p->started) {
        p->started = true;
        p->base_ns = now_ns;
        p->origin_ms = time_ms;
        return now_ns;
    }
    if (time_ms <= p->origin_ms)
        return now_ns;
    double delta_ns = ((double)time_ms - (double)p->origin_ms) * 1e6 / p->value;
    return clamp_ns((double)p->base_ns, delta_ns);
}

int64_t replay_pace_due(replay_pace *p, int64_t now_ns, bool has_time, int64_t time_ms)
{
    switch (p->mode) {
    case REPLAY_PACE_RATE:
        return due_rate(p, now_ns);
    case REPLAY_PACE_SPEEDUP:
        return due_speedup(p, now_ns, has_time, time_ms);
    case REPLAY_PACE_NONE:
        break;
    }
    return now_ns;
}
