/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outbox.h: messages the daemon will publish once the checkpoint that produced them is safe
 * in Redis: alerts (to the alert topic) and records that gave no event (to the dead-letter
 * topic).
 *
 * Why: an alert is published only after the state and input offsets that produced it have
 * been saved, together with the alert itself (the outbox is part of the checkpoint). A crash
 * before the save re-derives the same alert from the same input (ids are deterministic); a
 * crash after it finds the alert in the saved outbox and publishes what the topic does not
 * hold yet (daemon.c). So an alert is never lost and never published twice.
 *
 * The outbox is kept in its saved form: records appended to one buffer. A record: u8 kind,
 * then id, key, value, and the headers (name/value pairs) as vigil/bin.h strings.
 *
 * Thread: one owner thread. Bounded by the caller (alerts.max_pending).
 */
#ifndef VIGIL_SRC_OUTBOX_H
#define VIGIL_SRC_OUTBOX_H

#include "vigil/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum obx_kind {
    OBX_ALERT = 1,
    OBX_DEAD = 2
} obx_kind;

#define OBX_MAX_HEADERS 8

typedef struct obx_hdr {
    const char *name; /* NUL-terminated */
    const char *value;
    size_t value_len;
} obx_hdr;

typedef struct obx_msg {
    obx_kind kind;
    const char *id; /* alert id, or the dead-letter record's id: also in a header */
    size_t id_len;
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    obx_hdr hdr[OBX_MAX_HEADERS];
    size_t n_hdr;
} obx_msg;

typedef struct outbox {
    vg_buf bytes;  /* the records */
    size_t count;  /* records in bytes */
    size_t alerts; /* of which alerts */
} outbox;

void obx_init(outbox *o);
void obx_fini(outbox *o);
void obx_clear(outbox *o);
/* Append m (copied). false when out of memory (the outbox is unchanged then). */
bool obx_add(outbox *o, const obx_msg *m);

/* Iterate over saved records: *at starts at 0. 1 and the next record in m (pointing into
 * bytes; header names point into a scratch copy valid until the next call), 0 at the end,
 * -1 on a malformed record (err says where). Hostile-input safe. */
typedef struct obx_iter {
    const unsigned char *p;
    size_t n, at;
    char names[OBX_MAX_HEADERS][64];
} obx_iter;

void obx_iter_init(obx_iter *it, const void *bytes, size_t n);
int obx_next(obx_iter *it, obx_msg *m, char *err, size_t err_len);

#endif
