/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kin.c: the daemon's Kafka consumer (see kin.h).
 */
#include "kin.h"
#include "kconf.h"

#include <stdio.h>
#include <string.h>

struct kin {
    vlog *lg; /* first: the log callback finds it through the opaque (kconf.h) */
    kin_cb cb;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q; /* the consumer queue (messages, rebalances) */
    bool paused;
};

static void log_parts(kin *k, const char *msg, const rd_kafka_topic_partition_list_t *parts)
{
    vlog_rec r;
    if (!vlog_begin(k->lg, &r, VLOG_INFO, msg))
        return;
    char list[1024];
    size_t at = 0;
    list[0] = '\0';
    for (int i = 0; i < parts->cnt && at < sizeof(list) - 1; i++) {
        int w = snprintf(list + at, sizeof(list) - at, "%s%s/%d", i ? "," : "",
                         parts->elems[i].topic, (int)parts->elems[i].partition);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    vlog_str(&r, "partitions", list);
    vlog_end(&r);
}

static void rebalance_cb(rd_kafka_t *rk,
                         rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    kin *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        k->cb.assigned(k->cb.ud, parts);
        log_parts(k, "partitions assigned", parts);
        rd_kafka_assign(rk, parts);
        if (k->paused)
            rd_kafka_pause_partitions(rk, parts);
    } else {
        log_parts(k, "partitions revoked", parts);
        k->cb.revoked(k->cb.ud, parts);
        rd_kafka_assign(rk, NULL);
    }
}

kin *kin_new(const dcfg *c, const kin_cb *cb, vlog *lg, char *err, size_t err_len)
{
    kin *k = vg_calloc(1, sizeof(*k));
    if (!k) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    k->lg = lg;
    k->cb = *cb;
    static const char *const defaults[] = {"client.id", "vigil", "auto.offset.reset", "earliest",
                                           NULL};
    rd_kafka_conf_t *conf = kconf_new(c, defaults, err, err_len);
    /* offsets are vigil's to manage (kin.h) */
    bool ok = conf && kconf_set(conf, "group.id", c->group, err, err_len) &&
              kconf_set(conf, "enable.auto.commit", "false", err, err_len) &&
              kconf_set(conf, "enable.auto.offset.store", "false", err, err_len);
    if (!ok) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        vg_free(k);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, k);
    char kerr[256];
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
    if (!k->rk) {
        snprintf(err, err_len, "kafka consumer: %s", kerr);
        rd_kafka_conf_destroy(conf);
        vg_free(k);
        return NULL;
    }
    rd_kafka_poll_set_consumer(k->rk);
    k->q = rd_kafka_queue_get_consumer(k->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)c->n_inputs);
    for (size_t i = 0; i < c->n_inputs; i++)
        rd_kafka_topic_partition_list_add(topics, c->inputs[i].topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) {
        snprintf(err, err_len, "subscribing to the input topics: %s", rd_kafka_err2str(e));
        rd_kafka_queue_destroy(k->q);
        rd_kafka_destroy(k->rk);
        vg_free(k);
        return NULL;
    }
    return k;
}

void kin_close(kin *k)
{
    if (!k)
        return;
    rd_kafka_consumer_close(k->rk);
    rd_kafka_queue_destroy(k->q);
    rd_kafka_destroy(k->rk);
    vg_free(k);
}

size_t kin_poll(kin *k, int timeout_ms, rd_kafka_message_t **out, size_t n)
{
    /* A batch call with a timeout waits until the batch is full or the time is up, however
     * many messages are there: take what is there, and wait only for a first message. */
    ssize_t got = rd_kafka_consume_batch_queue(k->q, 0, out, n);
    if (got > 0 || timeout_ms <= 0 || n == 0)
        return got > 0 ? (size_t)got : 0;
    rd_kafka_message_t *m = rd_kafka_consume_queue(k->q, timeout_ms);
    if (!m)
        return 0;
    out[0] = m;
    got = n > 1 ? rd_kafka_consume_batch_queue(k->q, 0, out + 1, n - 1) : 0;
    return 1 + (got > 0 ? (size_t)got : 0);
}

void kin_pause(kin *k, bool pause)
{
    if (k->paused == pause)
        return;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(k->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR && parts) {
        if (pause)
            rd_kafka_pause_partitions(k->rk, parts);
        else
            rd_kafka_resume_partitions(k->rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
    }
    k->paused = pause;
}

void kin_commit(kin *k, const ckpt_pos *pos, size_t n)
{
    if (n == 0)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    char name[256];
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%.*s", (int)pos[i].topic_len, pos[i].topic);
        rd_kafka_topic_partition_list_add(l, name, pos[i].partition)->offset = pos[i].offset;
    }
    rd_kafka_commit(k->rk, l, 1);
    rd_kafka_topic_partition_list_destroy(l);
}

int64_t kin_lag(kin *k, const char *topic, int32_t partition, int64_t position)
{
    int64_t lo = 0, hi = 0;
    if (rd_kafka_get_watermark_offsets(k->rk, topic, partition, &lo, &hi) != 0 || hi < 0)
        return -1;
    return hi > position ? hi - position : 0;
}
