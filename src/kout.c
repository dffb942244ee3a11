/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kout.c: the daemon's Kafka producer and the output topics' recovery scan (see kout.h).
 */
#include "kout.h"
#include "base/hash.h"
#include "kconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

struct kout {
    vlog *lg; /* first: the log callback finds it through the opaque (kconf.h) */
    const dcfg *cfg;
    rd_kafka_t *rk;
    kout_stats st;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kout *k = opaque;
    if (!m->err) {
        k->st.delivered++;
        return;
    }
    k->st.failed++;
    vlog_rec r;
    if (vlog_begin(k->lg, &r, VLOG_ERROR, "message not delivered")) {
        vlog_str(&r, "topic", rd_kafka_topic_name(m->rkt));
        vlog_str(&r, "error", rd_kafka_err2str(m->err));
        vlog_end(&r);
    }
}

kout *kout_new(const dcfg *c, vlog *lg, char *err, size_t err_len)
{
    kout *k = vg_calloc(1, sizeof(*k));
    if (!k) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    k->lg = lg;
    k->cfg = c;
    static const char *const defaults[] = {"client.id", "vigil-alerts", "linger.ms", "5", NULL};
    rd_kafka_conf_t *conf = kconf_new(c, defaults, err, err_len);
    /* what effectively-once publication needs (kout.h) */
    bool ok = conf && kconf_set(conf, "enable.idempotence", "true", err, err_len) &&
              kconf_set(conf, "acks", "all", err, err_len) &&
              kconf_set(conf, "message.timeout.ms", "0", err, err_len);
    if (!ok) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        vg_free(k);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, k);
    char kerr[256];
    k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
    if (!k->rk) {
        snprintf(err, err_len, "kafka producer: %s", kerr);
        rd_kafka_conf_destroy(conf);
        vg_free(k);
        return NULL;
    }
    return k;
}

void kout_free(kout *k)
{
    if (!k)
        return;
    if (k->rk) {
        rd_kafka_flush(k->rk, 5000);
        rd_kafka_destroy(k->rk);
    }
    vg_free(k);
}

int kout_send(kout *k, const char *topic, const obx_msg *m, int wait_ms, char *err, size_t err_len)
{
    int64_t until = mono_ms() + wait_ms;
    for (;;) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(m->n_hdr);
        for (size_t i = 0; i < m->n_hdr; i++)
            rd_kafka_header_add(h, m->hdr[i].name, -1, m->hdr[i].value,
                                (ssize_t)m->hdr[i].value_len);
        rd_kafka_resp_err_t e = rd_kafka_producev(k->rk, RD_KAFKA_V_TOPIC(topic),
                                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                  RD_KAFKA_V_KEY(m->key, m->key_len),
                                                  RD_KAFKA_V_VALUE((void *)m->value, m->value_len),
                                                  RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            k->st.sent++; /* the headers now belong to the message */
            return 0;
        }
        rd_kafka_headers_destroy(h);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, err_len, "producing to %s: %s", topic, rd_kafka_err2str(e));
            return -1;
        }
        k->st.queue_full_waits++;
        if (mono_ms() >= until) {
            snprintf(err, err_len, "producing to %s: the producer queue stays full", topic);
            return -1;
        }
        rd_kafka_poll(k->rk, 100);
    }
}

void kout_poll(kout *k, int ms)
{
    rd_kafka_poll(k->rk, ms);
}

uint64_t kout_inflight(const kout *k)
{
    return k->st.sent - k->st.delivered - k->st.failed;
}

void kout_stats_get(const kout *k, kout_stats *out)
{
    *out = k->st;
}

int kout_marks(kout *k,
               const char *topic,
               ckpt_pos **v,
               size_t *n,
               int timeout_ms,
               char *err,
               size_t err_len)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(k->rk, topic, NULL);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(k->rk, 0, rkt, &md, timeout_ms)
                                : RD_KAFKA_RESP_ERR__INVALID_ARG;
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (e || !md || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
        snprintf(err, err_len, "metadata of topic %s: %s", topic,
                 e ? rd_kafka_err2str(e)
                 : md && md->topic_cnt == 1 && md->topics[0].err
                         ? rd_kafka_err2str(md->topics[0].err)
                         : "no partitions");
        if (md)
            rd_kafka_metadata_destroy(md);
        return -1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    ckpt_pos *nv = vg_realloc(*v, (*n + (size_t)parts) * sizeof(*nv));
    if (!nv) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    *v = nv;
    for (int p = 0; p < parts; p++) {
        int64_t lo = 0, hi = 0;
        e = rd_kafka_query_watermark_offsets(k->rk, topic, p, &lo, &hi, timeout_ms);
        if (e) {
            snprintf(err, err_len, "end offset of %s/%d: %s", topic, p, rd_kafka_err2str(e));
            return -1;
        }
        nv[*n] = (ckpt_pos){topic, strlen(topic), p, hi};
        (*n)++;
    }
    return 0;
}

/* ---- ids seen: open addressing over 64-bit hashes (0 = empty) ---- */

struct kout_ids {
    uint64_t *t;
    size_t cap, n;
};

kout_ids *kout_ids_new(void)
{
    return vg_calloc(1, sizeof(kout_ids));
}

void kout_ids_free(kout_ids *s)
{
    if (!s)
        return;
    vg_free(s->t);
    vg_free(s);
}

static uint64_t id_hash(const char *id, size_t len)
{
    uint64_t h = vg_mix64(vg_fnv1a(VG_FNV_OFFSET, id, len));
    return h ? h : 1;
}

static bool ids_add(kout_ids *s, const char *id, size_t len)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        uint64_t *nt = vg_calloc(ncap, sizeof(*nt));
        if (!nt)
            return false;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->t[i])
                continue;
            size_t j = (size_t)s->t[i] & (ncap - 1);
            while (nt[j])
                j = (j + 1) & (ncap - 1);
            nt[j] = s->t[i];
        }
        vg_free(s->t);
        s->t = nt;
        s->cap = ncap;
    }
    uint64_t h = id_hash(id, len);
    size_t j = (size_t)h & (s->cap - 1);
    while (s->t[j] && s->t[j] != h)
        j = (j + 1) & (s->cap - 1);
    if (!s->t[j]) {
        s->t[j] = h;
        s->n++;
    }
    return true;
}

bool kout_ids_has(const kout_ids *s, const char *id, size_t len)
{
    if (!s->cap)
        return false;
    uint64_t h = id_hash(id, len);
    size_t j = (size_t)h & (s->cap - 1);
    while (s->t[j]) {
        if (s->t[j] == h)
            return true;
        j = (j + 1) & (s->cap - 1);
    }
    return false;
}

/* ---- the recovery scan ---- */

static void note_ids(kout_ids *ids, const rd_kafka_message_t *m, bool *oom)
{
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    static const char *const names[] = {"vigil-alert-id", "vigil-dead-letter-id"};
    for (size_t i = 0; i < 2; i++) {
        const void *v = NULL;
        size_t vl = 0;
        if (rd_kafka_header_get_last(h, names[i], &v, &vl) == RD_KAFKA_RESP_ERR_NO_ERROR && v &&
            vl <= 256 && !ids_add(ids, v, vl))
            *oom = true;
    }
}

int kout_scan(kout *k,
              const ckpt_pos *marks,
              size_t n,
              kout_ids *ids,
              int timeout_ms,
              char *err,
              size_t err_len)
{
    if (n == 0)
        return 0;
    int64_t *ends = vg_calloc(n, sizeof(*ends));
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new((int)n);
    char name[256];
    size_t todo = 0;
    int rc = -1;
    rd_kafka_t *rc_k = NULL;
    if (!ends || !tp) {
        snprintf(err, err_len, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%.*s", (int)marks[i].topic_len, marks[i].topic);
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(k->rk, name, marks[i].partition,
                                                                 &lo, &hi, timeout_ms);
        if (e) {
            snprintf(err, err_len, "end offset of %s/%d: %s", name, (int)marks[i].partition,
                     rd_kafka_err2str(e));
            goto out;
        }
        ends[i] = hi;
        int64_t from = marks[i].offset > lo ? marks[i].offset : lo;
        if (hi > from) {
            rd_kafka_topic_partition_list_add(tp, name, marks[i].partition)->offset = from;
            todo++;
        } else {
            ends[i] = -1; /* nothing written there since the mark */
        }
    }
    if (todo == 0) {
        rc = 0;
        goto out;
    }
    static const char *const defaults[] = {"client.id", "vigil-recovery", NULL};
    rd_kafka_conf_t *conf = kconf_new(k->cfg, defaults, err, err_len);
    if (!conf || !kconf_set(conf, "enable.partition.eof", "true", err, err_len) ||
        !kconf_set(conf, "enable.auto.commit", "false", err, err_len) ||
        !kconf_set(conf, "group.id", "vigil-recovery-scan", err, err_len)) {
        if (conf)
            rd_kafka_conf_destroy(conf);
        goto out;
    }
    rd_kafka_conf_set_opaque(conf, k); /* its first member is the log */
    char kerr[256];
    rc_k = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
    if (!rc_k) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, err_len, "recovery consumer: %s", kerr);
        goto out;
    }
    rd_kafka_poll_set_consumer(rc_k);
    if (rd_kafka_assign(rc_k, tp) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_len, "recovery consumer: cannot assign the output partitions");
        goto out;
    }
    int64_t until = mono_ms() + timeout_ms;
    bool oom = false;
    while (todo > 0 && mono_ms() < until && !oom) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rc_k, 200);
        if (!m)
            continue;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            vlog_rec r;
            if (vlog_begin(k->lg, &r, VLOG_WARN, "recovery scan")) {
                vlog_str(&r, "error", rd_kafka_message_errstr(m));
                vlog_end(&r);
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (!m->err)
            note_ids(ids, m, &oom);
        /* done with a partition once its end (as of the start of the scan) is reached */
        const char *t = rd_kafka_topic_name(m->rkt);
        for (size_t i = 0; i < n; i++) {
            if (ends[i] < 0 || marks[i].partition != m->partition ||
                strlen(t) != marks[i].topic_len || memcmp(t, marks[i].topic, marks[i].topic_len))
                continue;
            if (m->offset + 1 >= ends[i] || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                todo--;
                ends[i] = -1;
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (oom)
        snprintf(err, err_len, "out of memory");
    else if (todo > 0)
        snprintf(err, err_len, "output topics not read to their end within %d ms", timeout_ms);
    else
        rc = 0;
out:
    if (rc_k) {
        rd_kafka_consumer_close(rc_k);
        rd_kafka_destroy(rc_k);
    }
    if (tp)
        rd_kafka_topic_partition_list_destroy(tp);
    vg_free(ends);
    return rc;
}
