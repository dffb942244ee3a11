/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_emit.h: the JSON form of a correlation alert. Private to the engine.
 *
 *   {"id":"<32 hex>","rule":{"id","title","level","tags"},
 *    "correlation":{"type":"event_count","timespan_ms":600000},
 *    "time":"<detection time>","event_time":"<window end>",
 *    "window":{"start":"...","end":"..."},"group":{"<group-by name>":"<value>",...},
 *    "value":<count, distinct count, sum, average or percentage>,
 *    ["field_value":"<value>"  (value_percentile: the rare value)]
 *    "events_total":<events in the window>,
 *    "events":[{"source":{"input","record","line"},"time":"...","rule":"<source id>"},...]}
 * `events` is a sample: the first sample-1 events of the window and its last one.
 * The id hashes the correlation id, the group key, the window start and (percentile) the
 * value, so the same input always gives the same ids.
 */
#ifndef VIGIL_CORR_CORR_EMIT_H
#define VIGIL_CORR_CORR_EMIT_H

#include "corr/corr_int.h"
#include "corr/cstate.h"
#include "sigma/ruleset_int.h"

typedef struct cemit_window {
    int64_t start, end;
    double value;
    uint32_t total;
} cemit_window;

void cemit_alert(const vg_corr *c,
                 vg_buf *out,
                 const vg_ruleset *rs,
                 const vg_corr_rule *r,
                 const ckey *k,
                 uint32_t i,
                 uint32_t j,
                 const cemit_window *w,
                 const ck_val *fv,
                 uint32_t sample,
                 int64_t now);

#endif
