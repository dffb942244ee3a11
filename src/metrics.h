/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h: the daemon's Prometheus metrics: a registry of counters, gauges and histograms,
 * and its text exposition (format 0.0.4), served by mhttp.h at GET /metrics.
 *
 * A metric is one series: a name plus an optional label set. The series of one name form a
 * family, rendered under one "# HELP" / "# TYPE" header; families and their series come out
 * in registration order. Names match [a-zA-Z_:][a-zA-Z0-9_:]* (at most METRICS_NAME_MAX
 * bytes). A label set is written in exposition syntax without the braces,
 * `topic="a",partition="3"`, best built with metrics_labels, which escapes the values; it
 * is checked at registration (label names [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed, no
 * repeats; values with only the escapes \\ \" \n). Series are told apart by the exact
 * label text, so one name's label sets must list their labels in the same order.
 *
 * Registering a name+labels that exists returns the same metric (its kind must match, and a
 * histogram's bounds too; the first help text stays). A metric lives until metrics_free.
 * Registration returns NULL for a NULL registry, a bad name, help or label set, a kind
 * different from the family's, too many series (METRICS_MAX_SERIES), or no memory.
 *
 * Updates are lock-free (C11 atomics, relaxed order) and ignore a NULL metric, so code can
 * run without metrics:
 *   - metric_add: counters (wraps at 2^64) and gauges (adds to the value);
 *   - metric_set: gauges;
 *   - metric_observe: histograms: v goes into the first bucket whose bound is >= v (the
 *     exposition shows cumulative buckets, then +Inf, _sum and _count); NaN is ignored.
 * An update of a kind the metric is not (metric_set on a counter...) does nothing.
 *
 * A histogram's _count is the sum of its buckets as read by that render, so it always equals
 * its +Inf bucket; _sum is read separately and may already include an observation that the
 * buckets do not (updates are not a transaction across fields).
 *
 * Thread: metrics_new/metrics_free and registration on the owning thread (registration also
 * while other threads update and render); updates from any thread; metrics_render from any
 * thread, at the same time as updates and registration. Locks: one mutex around the
 * registry's lists, held by registration and render only; updates take none.
 */
#ifndef VIGIL_SRC_METRICS_H
#define VIGIL_SRC_METRICS_H

#include "vigil/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_NAME_MAX   200   /* bytes in a metric name */
#define METRICS_HELP_MAX   1024  /* bytes of help text */
#define METRICS_LABELS_MAX 1024  /* bytes in a label set */
#define METRICS_MAX_BOUNDS 64    /* histogram bucket bounds (+Inf not counted) */
#define METRICS_MAX_SERIES 32768 /* series in one registry (per-rule series included) */

typedef struct metrics metrics;
typedef struct metric metric;

/* NULL when out of memory. */
metrics *metrics_new(void);
/* Every metric of m is freed: no update may run any more. NULL is a no-op. */
void metrics_free(metrics *m);

/* help may be NULL (no HELP line); labels NULL or "" for none. */
metric *metrics_counter(metrics *m, const char *name, const char *help, const char *labels);
metric *metrics_gauge(metrics *m, const char *name, const char *help, const char *labels);
/* bounds: n finite, strictly increasing upper bounds (n <= METRICS_MAX_BOUNDS; n == 0 gives
 * the +Inf bucket alone); copied. A histogram's labels may not use "le". */
metric *metrics_histogram(metrics *m,
                          const char *name,
                          const char *help,
                          const char *labels,
                          const double *bounds,
                          size_t n);

/*
 * Build a label set into dst (cap bytes): pairs of label name and value, ended by a NULL
 * name, e.g. metrics_labels(lb, sizeof(lb), "topic", t, "partition", p, NULL). Values are
 * escaped (backslash, double quote, newline) and bytes that are not UTF-8 become U+FFFD; a
 * NULL value is "". false (dst "" when cap > 0) if a name is not a label name or the result
 * does not fit in cap bytes or METRICS_LABELS_MAX.
 */
#if defined(__GNUC__)
__attribute__((sentinel))
#endif
bool metrics_labels(char *dst, size_t cap, ...);

void metric_add(metric *c, uint64_t n);
void metric_set(metric *g, double v);
void metric_observe(metric *h, double v);

/* Append the whole exposition to out (check vg_buf_status(out) for a cap or no memory). A
 * NULL registry appends nothing. */
void metrics_render(metrics *m, vg_buf *out);

#endif
