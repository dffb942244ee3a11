/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_pb.h: an alert JSON line read back, for the Kafka output: its id, kind and message
 * key, and its protobuf form (proto/alert.proto, docs/alerts.md).
 *
 * The JSON line vigil writes (engine/alert/alert.c, engine/corr/corr_emit.c) is the
 * canonical alert; everything here is derived from it. alert_pb_parse reads one line with
 * the engine's JSON parser and checks it (id, rule.id and time are required; every member
 * present must have its type); then, until the next parse:
 *   - alert_pb_id, alert_pb_rule_id, alert_pb_kind / alert_pb_is_correlation answer at once
 *     (the Kafka headers);
 *   - alert_pb_key appends the Kafka message key: the rule id, and for a correlation alert
 *     '\n' and its group values as "field=value" lines, in the rule's group-by order;
 *   - alert_pb_pack appends the packed vigil.Alert message (only the protobuf format needs
 *     it: a detection alert's fields_json is serialized there, not at parse time).
 * alert_pb_encode is parse and pack in one call.
 *
 * Borrowing: the parsed view points into the JSON text. It must stay valid and unchanged
 * from alert_pb_parse until the last call that reads the view.
 *
 * Bounds: alerts over ALERT_PB_MAX_BYTES, with more than ALERT_PB_MAX_TAGS tags,
 * ALERT_PB_MAX_GROUP group values or ALERT_PB_MAX_EVENTS events, or with more than
 * ALERT_PB_MAX_NODES JSON values in all are refused. Strings holding a NUL byte (JSON
 * "\u0000") are refused outside fields_json: protobuf-c strings end at the first NUL.
 *
 * Errors: functions returning int give 0, or -1 with a one-line message in err (err may be
 * NULL; err_len bytes at most, NUL included). A failed parse leaves no alert: the accessors
 * then return NULL / false and alert_pb_key and alert_pb_pack fail. Output buffers are
 * appended to; on failure they are left at their length before the call.
 *
 * Thread: an alert_pb belongs to one thread at a time (it holds scratch reused from alert
 * to alert: a vg_event, an arena and a buffer, so steady-state encoding allocates little).
 * Locks: none.
 */
#ifndef VIGIL_SRC_ALERT_PB_H
#define VIGIL_SRC_ALERT_PB_H

#include "vigil/buf.h"

#include <stdbool.h>
#include <stddef.h>

#define ALERT_PB_MAX_BYTES  ((size_t)64 << 20)
#define ALERT_PB_MAX_TAGS   1024
#define ALERT_PB_MAX_GROUP  256
#define ALERT_PB_MAX_EVENTS 65536
#define ALERT_PB_MAX_NODES  (1u << 19)

typedef struct alert_pb alert_pb;

/* NULL when out of memory. */
alert_pb *alert_pb_new(void);
/* NULL is a no-op. */
void alert_pb_free(alert_pb *a);

/* Read one alert JSON line (a trailing newline is fine). */
int alert_pb_parse(alert_pb *a, const char *json, size_t len, char *err, size_t err_len);

/* The parsed alert's id (32 hex characters) and rule id, NUL-terminated, valid until the
 * next parse; NULL when no alert is parsed. */
const char *alert_pb_id(const alert_pb *a);
const char *alert_pb_rule_id(const alert_pb *a);
/* true for a correlation alert (it has a "correlation" member). */
bool alert_pb_is_correlation(const alert_pb *a);
/* "detection" or "correlation" (the vigil-kind header); NULL when no alert is parsed. */
const char *alert_pb_kind(const alert_pb *a);

/* Append the Kafka message key of the parsed alert to key. */
int alert_pb_key(const alert_pb *a, vg_buf *key);

/* Append the parsed alert as a packed vigil.Alert to out. */
int alert_pb_pack(alert_pb *a, vg_buf *out, char *err, size_t err_len);

/* alert_pb_parse, then alert_pb_pack. */
int alert_pb_encode(
        alert_pb *a, const char *json, size_t len, vg_buf *out, char *err, size_t err_len);

#endif
