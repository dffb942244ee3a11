/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kin.h: the daemon's Kafka consumer: a member of the consumer group kafka.group, subscribed
 * to every input topic, with offsets under the daemon's control.
 *
 * Offsets: librdkafka never commits or stores on its own (enable.auto.commit and
 * enable.auto.offset.store are off). Where to start each assigned partition is the daemon's
 * choice (the offset in its last checkpoint), made in the `assigned` callback; kin_commit
 * commits the offsets of a checkpoint once it is safe, for lag monitoring and for a start
 * without a checkpoint.
 *
 * Rebalance: `revoked` runs before partitions are given up (the daemon checkpoints there),
 * `assigned` before new ones are read. Both run inside kin_poll, on the caller's thread.
 *
 * Thread: one owner thread.
 */
#ifndef VIGIL_SRC_KIN_H
#define VIGIL_SRC_KIN_H

#include "ckpt.h"
#include "dconfig.h"
#include "vlog.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

typedef struct kin kin;

typedef struct kin_cb {
    void *ud;
    /* Partitions about to be read: set each element's offset (RD_KAFKA_OFFSET_STORED: the
     * group's committed offset, else the start of the partition). */
    void (*assigned)(void *ud, rd_kafka_topic_partition_list_t *parts);
    /* Partitions about to be given up. */
    void (*revoked)(void *ud, const rd_kafka_topic_partition_list_t *parts);
} kin_cb;

/* NULL with a message in err if librdkafka refuses the configuration or the subscription. */
kin *kin_new(const dcfg *c, const kin_cb *cb, vlog *lg, char *err, size_t err_len);
/* Leave the group (revoked runs first) and free. */
void kin_close(kin *k);

/* Up to n messages or events into out (the caller destroys each), waiting up to timeout_ms
 * for the first. Returns how many. Rebalance callbacks run in here. */
size_t kin_poll(kin *k, int timeout_ms, rd_kafka_message_t **out, size_t n);
/* Stop or resume fetching on every assigned partition (back-pressure). */
void kin_pause(kin *k, bool pause);
/* Commit these next-offsets to the group, without waiting. */
void kin_commit(kin *k, const ckpt_pos *pos, size_t n);
/* Fetch lag of one partition (high watermark known to the client minus the position),
 * -1 when unknown. */
int64_t kin_lag(kin *k, const char *topic, int32_t partition, int64_t position);

#endif
