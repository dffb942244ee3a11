/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kout.h: the daemon's Kafka producer: alerts and dead-letter records out, and the two
 * questions recovery asks of the output topics (where do they end now, and which message
 * ids do they hold after a given position).
 *
 * The producer is idempotent (enable.idempotence, acks=all): librdkafka retries without
 * duplicating or reordering. Messages are never given up on by time (message.timeout.ms 0):
 * while the broker is away they wait, and when librdkafka's queue is full kout_send waits
 * for room (back-pressure: the daemon then stops reading input). A delivery that fails for
 * good (e.g. the message is larger than the broker accepts) is counted and logged.
 *
 * Thread: one owner thread; librdkafka's delivery reports are served in kout_poll and
 * kout_send on that thread.
 */
#ifndef VIGIL_SRC_KOUT_H
#define VIGIL_SRC_KOUT_H

#include "ckpt.h"
#include "dconfig.h"
#include "outbox.h"
#include "vlog.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct kout kout;

typedef struct kout_stats {
    uint64_t sent, delivered, failed, queue_full_waits;
} kout_stats;

/* NULL with a message in err if librdkafka refuses the configuration. */
kout *kout_new(const dcfg *c, vlog *lg, char *err, size_t err_len);
void kout_free(kout *k);

/* Produce m to topic (headers and key as in m). Waits while librdkafka's queue is full,
 * for at most wait_ms; -1 (err) on a permanent error or when still full. */
int kout_send(kout *k, const char *topic, const obx_msg *m, int wait_ms, char *err, size_t err_len);
/* Serve delivery reports for up to ms milliseconds. */
void kout_poll(kout *k, int ms);
/* Messages sent and not yet delivered or failed. */
uint64_t kout_inflight(const kout *k);
void kout_stats_get(const kout *k, kout_stats *out);

/* The end offset of every partition of topic, appended to *v (grown with vg_realloc).
 * -1 with err if the broker cannot tell within timeout_ms. */
int kout_marks(kout *k,
               const char *topic,
               ckpt_pos **v,
               size_t *n,
               int timeout_ms,
               char *err,
               size_t err_len);

/* A set of message ids (64-bit hashes of the id). */
typedef struct kout_ids kout_ids;
kout_ids *kout_ids_new(void);
void kout_ids_free(kout_ids *s);
bool kout_ids_has(const kout_ids *s, const char *id, size_t len);

/* Read every message from each mark to the partition's current end and add the value of
 * its "vigil-alert-id" / "vigil-dead-letter-id" header to ids. -1 with err on failure or
 * after timeout_ms. */
int kout_scan(kout *k,
              const ckpt_pos *marks,
              size_t n,
              kout_ids *ids,
              int timeout_ms,
              char *err,
              size_t err_len);

#endif
