/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.h: the alert a detection produces, and its JSON form.
 *
 * An alert names the rule (id, title, level, tags), when it was detected, and the events
 * it came from, each with its origin and its fields. Its id is deterministic: a hash of the
 * rule id and the origins of its events, so the same input always yields the same ids.
 *
 * JSON (one line, no trailing newline):
 *   {"id":"<32 hex>","rule":{"id":..,"title":..,"level":..,"tags":[..]},
 *    "time":"<detection time, RFC 3339 UTC>","event_time":"<first event's time>|null",
 *    "events":[{"source":{"input":"<name>","record":<0-based index>,"line":<1-based>},
 *               "fields":{...the event as parsed...}}]}
 * For Kafka origins (later), source carries topic/partition/offset instead of input/record.
 */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include "vigil/base.h"
#include "vigil/buf.h"
#include "vigil/event.h"
#include "vigil/ruleset.h"

typedef struct vg_origin {
    const char *input; /* input file name, "-" for stdin */
    uint64_t record;   /* 0-based record index within the input */
    uint64_t line;     /* 1-based line where the record starts (0 = unknown) */
} vg_origin;

/* 32 lowercase hex characters + NUL into id[33]. */
VG_API void
vg_alert_id(const char *rule_id, const vg_origin *const *origins, size_t n, char id[33]);

/* 32 hex characters from a kind ("corr", ...) and byte strings (lengths included, so the
 * parts cannot run into each other): the id of alerts that are not one event's. */
VG_API void vg_alert_id_parts(const char *kind, const vg_span *parts, size_t n, char id[33]);

/* Timestamp of the event in epoch milliseconds, from the usual fields (@timestamp,
 * Event.System.TimeCreated.#attributes.SystemTime, TimeCreated, UtcTime, timestamp,
 * eventTime, time, EventTime). false if none parses. */
VG_API bool vg_event_time(const vg_event *ev, int64_t *ms);
/* The same from one named field (schema-on-read lookup); false if absent or no time. */
VG_API bool vg_event_time_field(const vg_event *ev, const char *name, int64_t *ms);

/* Append the JSON alert for rule `rule` of rs matching one event. */
VG_API void vg_alert_json_single(vg_buf *out,
                                 const vg_ruleset *rs,
                                 uint32_t rule,
                                 const vg_event *ev,
                                 const vg_origin *origin,
                                 int64_t detect_ms);

#endif
