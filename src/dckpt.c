/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dckpt.c: the daemon's checkpoints (see daemon_int.h and ckpt.h).
 *
 * DESIGN
 * Effects of input become visible only through a checkpoint. The pipeline is drained (every
 * record fed has been through the sink), then one Redis write (rstore_save: MULTI/EXEC)
 * stores the pipeline state, the next offset of every partition, and the outbox: the
 * alerts and dead-letter records produced since the previous checkpoint. Only then is the
 * outbox produced to Kafka, and once every message is delivered the offsets are committed
 * to the consumer group (for lag monitoring and for a start without a checkpoint).
 *
 * After a crash, vigil loads the last checkpoint: state, offsets, outbox. Input after those
 * offsets is read again and gives the same alerts again (deterministic ids) — they were
 * never published, since they were not in a saved checkpoint. The saved outbox may have been
 * published in part before the crash: before it was published, the checkpoint recorded the
 * end offsets of the output topics' partitions (`marks`); recovery reads the topics from
 * the marks and publishes only the outbox messages whose id it did not find. So no alert is
 * lost and none is published twice, whenever the process dies.
 *
 * While Redis is down, checkpoints fail: input goes on being matched and its outputs wait
 * in the outbox, up to alerts.max_pending messages; past that, input is paused until a
 * checkpoint succeeds. Offsets are never committed past the last saved checkpoint.
 */
#include "daemon_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MARK_TIMEOUT_MS 5000
#define SCAN_TIMEOUT_MS 60000
#define SEND_WAIT_MS    60000

int64_t dmn_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dmn_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_err(dmn *d, vlog_level lv, const char *msg, const char *err)
{
    vlog_rec r;
    if (vlog_begin(d->lg, &r, lv, msg)) {
        vlog_str(&r, "error", err);
        vlog_end(&r);
    }
}

static const char *topic_of(dmn *d, obx_kind k)
{
    return k == OBX_ALERT ? d->cfg->alert_topic : d->cfg->dead_letter_topic;
}

/* Produce every message of a saved outbox, skipping the ids in skip (may be NULL). */
static int publish(dmn *d, const void *bytes, size_t n, const kout_ids *skip, uint64_t *skipped)
{
    obx_iter it;
    obx_iter_init(&it, bytes, n);
    obx_msg m;
    char err[256];
    int rc;
    while ((rc = obx_next(&it, &m, err, sizeof(err))) == 1) {
        if (skip && kout_ids_has(skip, m.id, m.id_len)) {
            (*skipped)++;
            continue;
        }
        const char *topic = topic_of(d, m.kind);
        if (!topic) {
            metric_add(d->mt.dropped, 1); /* dead letters, and no topic configured any more */
            continue;
        }
        if (kout_send(d->out, topic, &m, SEND_WAIT_MS, err, sizeof(err)) != 0) {
            log_err(d, VLOG_ERROR, "message not published", err);
            metric_add(d->mt.publish_failed, 1);
            continue;
        }
        metric_add(d->mt.published, 1);
    }
    if (rc < 0) {
        log_err(d, VLOG_ERROR, "outbox unreadable", err);
        return -1;
    }
    return 0;
}

bool dckpt_publish_done(dmn *d, int wait_ms)
{
    if (!d->publishing)
        return true;
    int64_t until = dmn_mono_ms() + wait_ms;
    do {
        kout_poll(d->out, kout_inflight(d->out) ? 20 : 0);
    } while (kout_inflight(d->out) > 0 && dmn_mono_ms() < until);
    if (kout_inflight(d->out) > 0)
        return false;
    d->publishing = false;
    kin_commit(d->in, d->commit, d->n_commit);
    return true;
}

/* The positions to save: every partition with a known next offset. */
static ckpt_pos *offsets(dmn *d, size_t *n)
{
    *n = 0;
    ckpt_pos *v = vg_calloc(d->n_parts ? d->n_parts : 1, sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < d->n_parts; i++) {
        const dpart *pt = d->parts[i];
        if (pt->next < 0)
            continue;
        v[(*n)++] = (ckpt_pos){pt->topic, strlen(pt->topic), pt->partition, pt->next};
    }
    return v;
}

int dckpt_save(dmn *d)
{
    if (d->publishing && !dckpt_publish_done(d, 0))
        return 1;
    int64_t t0 = dmn_mono_ms();
    pl_drain(d->pipe);
    if (!d->dirty && d->obx.count == 0)
        return 0;
    char err[512];
    ckpt c;
    memset(&c, 0, sizeof(c));
    c.seq = d->seq + 1;
    c.offsets = offsets(d, &c.n_offsets);
    int rc = -1;
    if (!c.offsets) {
        log_err(d, VLOG_ERROR, "checkpoint failed", "out of memory");
        goto out;
    }
    if (d->obx.count > 0) {
        if (kout_marks(d->out, d->cfg->alert_topic, &c.marks, &c.n_marks, MARK_TIMEOUT_MS, err,
                       sizeof(err)) != 0 ||
            (d->cfg->dead_letter_topic &&
             kout_marks(d->out, d->cfg->dead_letter_topic, &c.marks, &c.n_marks, MARK_TIMEOUT_MS,
                        err, sizeof(err)) != 0)) {
            log_err(d, VLOG_WARN, "checkpoint postponed: output topics unavailable", err);
            metric_add(d->mt.kafka_errors, 1);
            goto out;
        }
    }
    c.outbox = d->obx.bytes.p;
    c.outbox_len = d->obx.bytes.len;
    vg_buf_clear(&d->tmp);
    if (pl_state_save(d->pipe, &d->tmp) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint failed", "out of memory saving the state");
        goto out;
    }
    c.state = d->tmp.p;
    c.state_len = d->tmp.len;
    vg_buf_clear(&d->blob);
    ckpt_encode(&c, &d->blob);
    if (vg_buf_status(&d->blob) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint failed", "out of memory encoding it");
        goto out;
    }
    if ((!rstore_up(d->rs) && rstore_connect(d->rs, err, sizeof(err)) != 0) ||
        rstore_save(d->rs, d->ckpt_name, d->blob.p, d->blob.len, err, sizeof(err)) != 0) {
        if (!atomic_load(&d->health.degraded))
            log_err(d, VLOG_ERROR, "checkpoint failed: redis", err);
        atomic_store(&d->health.degraded, true);
        atomic_store(&d->health.redis_up, false);
        metric_add(d->mt.redis_errors, 1);
        goto out;
    }
    if (atomic_load(&d->health.degraded)) {
        vlog_rec r;
        if (vlog_begin(d->lg, &r, VLOG_INFO, "checkpoints resumed")) {
            vlog_u64(&r, "pending", d->obx.count);
            vlog_end(&r);
        }
    }
    atomic_store(&d->health.degraded, false);
    atomic_store(&d->health.redis_up, true);
    d->seq = c.seq;
    d->dirty = false;
    metric_observe(d->mt.ckpt_seconds, (double)(dmn_mono_ms() - t0) / 1000.0);
    metric_set(d->mt.ckpt_bytes, (double)d->blob.len);
    /* safe: publish, then commit once delivered */
    uint64_t none = 0;
    publish(d, d->obx.bytes.p, d->obx.bytes.len, NULL, &none);
    obx_clear(&d->obx);
    vg_free(d->commit);
    d->commit = c.offsets;
    d->n_commit = c.n_offsets;
    c.offsets = NULL;
    d->publishing = true;
    atomic_store(&d->health.last_ckpt, dmn_wall_ms());
    atomic_store(&d->health.seq, d->seq);
    rc = 0;
out:
    metric_add(rc == 0 ? d->mt.ckpt_ok : d->mt.ckpt_fail, 1);
    atomic_store(&d->health.pending, d->obx.count);
    metric_set(d->mt.pending, (double)d->obx.count);
    vg_free(c.offsets);
    vg_free(c.marks);
    return rc;
}

int dckpt_restore(dmn *d)
{
    char err[512];
    vg_buf_clear(&d->blob);
    int found = rstore_load(d->rs, d->ckpt_name, &d->blob, err, sizeof(err));
    if (found < 0) {
        log_err(d, VLOG_ERROR, "cannot load the checkpoint", err);
        return -1;
    }
    if (found == 0) {
        vlog_rec r;
        if (vlog_begin(d->lg, &r, VLOG_INFO, "no checkpoint: starting from the group's offsets")) {
            vlog_str(&r, "checkpoint", d->ckpt_name);
            vlog_end(&r);
        }
        return 0;
    }
    ckpt c;
    if (ckpt_decode(&c, d->blob.p, d->blob.len, err, sizeof(err)) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint unreadable", err);
        return -1;
    }
    int rc = -1;
    if (pl_state_load(d->pipe, c.state, c.state_len, err, sizeof(err)) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint state refused", err);
        goto out;
    }
    char topic[256];
    for (size_t i = 0; i < c.n_offsets; i++) {
        snprintf(topic, sizeof(topic), "%.*s", (int)c.offsets[i].topic_len, c.offsets[i].topic);
        dpart *pt = dpart_get(d, topic, c.offsets[i].partition);
        if (!pt) {
            log_err(d, VLOG_ERROR, "checkpoint not restored", "out of memory");
            goto out;
        }
        pt->next = pt->fed = c.offsets[i].offset;
    }
    d->seq = c.seq;
    uint64_t skipped = 0;
    if (c.outbox_len > 0) {
        /* find what of the saved outbox already went out, publish the rest */
        kout_ids *ids = kout_ids_new();
        if (!ids ||
            kout_scan(d->out, c.marks, c.n_marks, ids, SCAN_TIMEOUT_MS, err, sizeof(err)) != 0) {
            log_err(d, VLOG_ERROR, "cannot read the output topics to recover", ids ? err : "");
            kout_ids_free(ids);
            goto out;
        }
        publish(d, c.outbox, c.outbox_len, ids, &skipped);
        kout_ids_free(ids);
        int64_t until = dmn_mono_ms() + SEND_WAIT_MS;
        while (kout_inflight(d->out) > 0 && dmn_mono_ms() < until)
            kout_poll(d->out, 100);
        if (kout_inflight(d->out) > 0) {
            log_err(d, VLOG_ERROR, "cannot start", "the saved alerts were not delivered in time");
            goto out;
        }
    }
    vlog_rec r;
    if (vlog_begin(d->lg, &r, VLOG_INFO, "checkpoint restored")) {
        vlog_u64(&r, "seq", c.seq);
        vlog_u64(&r, "partitions", c.n_offsets);
        vlog_u64(&r, "state_bytes", c.state_len);
        vlog_u64(&r, "outbox_bytes", c.outbox_len);
        vlog_u64(&r, "already_published", skipped);
        vlog_end(&r);
    }
    atomic_store(&d->health.seq, d->seq);
    rc = 0;
out:
    ckpt_free(&c);
    return rc;
}
