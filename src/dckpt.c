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
 * The Redis write runs on a thread of its own (one at a time), so input goes on being read
 * and matched while it lasts: the checkpoint's bytes are made on the main thread (drain,
 * state, offsets, outbox moved aside), the writer only writes them, and the main thread
 * publishes the outbox once the write succeeded, or merges it back into the next
 * checkpoint's if it failed.
 *
 * The correlation state is saved by key slots (vigil/corr.h): the checkpoint's blob holds
 * the head (watermark, `suppress` tables), and each write rewrites only the slots changed
 * since the last saved checkpoint (a failed write's slots go into the next one). Every
 * slot is rewritten by the first checkpoint after start or a reload, and after Redis says
 * the stored checkpoint is not the one this process wrote last (RSTORE_STALE: Redis lost
 * its data, or another writer).
 *
 * One process per consumer group writes the checkpoint: it holds a lease in Redis (an owner
 * key with an expiry, renewed by every write and at least every third of its length). A
 * process that finds the lease held waits as a standby and takes over when it runs out
 * (the owner died). A write refused because another process took the lease over
 * (RSTORE_FENCED) stops this one at once, with nothing more saved or published; so does a
 * lease that ran out while publishing, since the new owner publishes what this one left.
 *
 * While Redis is down, checkpoints fail: input goes on being matched and its outputs wait
 * in the outbox, up to alerts.max_pending messages; past that, input is paused until a
 * checkpoint succeeds. Offsets are never committed past the last saved checkpoint.
 */
#include "daemon_int.h"
#include "vigil/bin.h"

#include <pthread.h>
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

static bool lease_ok(dmn *d)
{
    /* a quarter of the lease is kept as a margin: for messages in flight, and clocks */
    return dmn_mono_ms() < d->lease_until - d->cfg->lease_ms / 4;
}

static void fence(dmn *d, const char *why)
{
    if (d->fenced)
        return;
    d->fenced = true;
    d->stop = true;
    log_err(d, VLOG_ERROR, "lease lost: stopping without saving or publishing more", why);
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
        if (!lease_ok(d)) {
            fence(d, "the lease ran out while publishing: the next owner publishes the rest");
            return -1;
        }
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
    /* only partitions this process holds now, and only offsets that moved: a commit for
     * partitions of another member (or while joining) makes the consumer rejoin the group */
    size_t n = 0;
    for (size_t i = 0; i < d->n_commit; i++) {
        dpart *pt = dpart_get(d, d->commit[i].topic, d->commit[i].partition);
        if (!pt || !pt->assigned || pt->committed == d->commit[i].offset)
            continue;
        pt->committed = d->commit[i].offset;
        d->commit[n++] = d->commit[i];
    }
    d->n_commit = n;
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

/* Thread: the writer. Only the store and the blob are touched here. */
static void *writer_main(void *arg)
{
    dwrite *w = arg;
    rstore_parts parts = {w->parts.p, w->parts.len, w->full};
    if (!rstore_up(w->rs) && rstore_connect(w->rs, w->err, sizeof(w->err)) != 0)
        w->rc = -1;
    else
        w->rc = rstore_save(w->rs, w->name, w->blob.p, w->blob.len, &parts, w->err, sizeof(w->err));
    atomic_store(&w->done, true);
    return NULL;
}

/* Join the writer and act on its result. */
static void finish_write(dmn *d)
{
    dwrite *w = &d->w;
    if (w->threaded)
        pthread_join(w->tid, NULL);
    w->running = false;
    if (w->rc != 0) {
        /* its slots are written by the next checkpoint, with whatever they hold then */
        for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++)
            d->unsaved[i] |= w->set[i];
        if (w->full || w->rc == RSTORE_STALE)
            d->full_next = true;
        if (w->rc == RSTORE_FENCED)
            fence(d, w->err);
        else if (w->rc == RSTORE_STALE)
            log_err(d, VLOG_WARN, "checkpoint: every slot is written again", w->err);
        else if (!atomic_load(&d->health.degraded))
            log_err(d, VLOG_ERROR, "checkpoint failed: redis", w->err);
        if (w->rc == -1) {
            atomic_store(&d->health.degraded, true);
            atomic_store(&d->health.redis_up, false);
        }
        metric_add(d->mt.redis_errors, 1);
        metric_add(d->mt.ckpt_fail, 1);
        /* its messages wait for the next checkpoint, which saves the state anew */
        if (w->obx.count > 0) {
            vg_buf_append(&d->obx.bytes, w->obx.bytes.p, w->obx.bytes.len);
            d->obx.count += w->obx.count;
            d->obx.alerts += w->obx.alerts;
        }
        obx_clear(&w->obx);
        vg_free(w->offsets);
        w->offsets = NULL;
        d->dirty = true;
        return;
    }
    if (atomic_load(&d->health.degraded)) {
        vlog_rec r;
        if (vlog_begin(d->lg, &r, VLOG_INFO, "checkpoints resumed")) {
            vlog_u64(&r, "pending", d->obx.count + w->obx.count);
            vlog_end(&r);
        }
    }
    atomic_store(&d->health.degraded, false);
    atomic_store(&d->health.redis_up, true);
    d->seq = w->seq;
    rstore_stats rst;
    rstore_stats_get(d->rs, &rst); /* the writer is joined: the store is main's again */
    d->lease_renewed = rst.renewed_us / 1000;
    d->lease_until = d->lease_renewed + d->cfg->lease_ms;
    metric_add(d->mt.ckpt_ok, 1);
    metric_observe(d->mt.ckpt_seconds, (double)(dmn_mono_ms() - w->t0) / 1000.0);
    metric_set(d->mt.ckpt_bytes, (double)(w->blob.len + w->parts.len));
    metric_add(d->mt.ckpt_written, w->blob.len + w->parts.len);
    uint64_t n_slots = 0;
    for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++)
        n_slots += (uint64_t)__builtin_popcountll(w->set[i]);
    metric_set(d->mt.ckpt_slots, (double)n_slots);
    /* safe: publish, then commit once delivered */
    uint64_t none = 0;
    publish(d, w->obx.bytes.p, w->obx.bytes.len, NULL, &none);
    obx_clear(&w->obx);
    vg_free(d->commit);
    d->commit = w->offsets;
    d->n_commit = w->n_offsets;
    w->offsets = NULL;
    d->publishing = true;
    atomic_store(&d->health.last_ckpt, dmn_wall_ms());
    atomic_store(&d->health.seq, d->seq);
}

void dckpt_poll(dmn *d)
{
    if (d->w.running && atomic_load(&d->w.done))
        finish_write(d);
    dckpt_publish_done(d, 0);
    atomic_store(&d->health.pending, d->obx.count + d->w.obx.count);
    metric_set(d->mt.pending, (double)(d->obx.count + d->w.obx.count));
}

void dckpt_fini(dmn *d)
{
    if (d->w.running)
        finish_write(d);
    vg_buf_fini(&d->w.blob);
    vg_buf_fini(&d->w.parts);
    obx_fini(&d->w.obx);
    vg_free(d->w.offsets);
}

int dckpt_save(dmn *d, bool wait)
{
    dwrite *w = &d->w;
    if (w->running) {
        if (!wait && !atomic_load(&w->done))
            return 1;
        finish_write(d);
    }
    if (d->publishing && !dckpt_publish_done(d, wait ? 30000 : 0))
        return 1;
    if (d->fenced)
        return -1;
    int64_t t0 = dmn_mono_ms();
    pl_drain(d->pipe);
    pl_state_dirty(d->pipe, d->unsaved);
    bool slots = false;
    for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++)
        slots |= d->unsaved[i] != 0;
    if (!d->dirty && d->obx.count == 0 && !slots && !d->full_next && !dckpt_lease_due(d, t0))
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
    vg_buf_clear(&w->parts);
    if (d->full_next)
        memset(w->set, 0xff, sizeof(w->set));
    else
        memcpy(w->set, d->unsaved, sizeof(w->set));
    if (pl_state_save_head(d->pipe, &d->tmp) != VG_OK ||
        pl_state_save_slots(d->pipe, w->set, &w->parts) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint failed", "out of memory saving the state");
        goto out;
    }
    c.state = d->tmp.p;
    c.state_len = d->tmp.len;
    vg_buf_clear(&w->blob);
    ckpt_encode(&c, &w->blob);
    if (vg_buf_status(&w->blob) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint failed", "out of memory encoding it");
        goto out;
    }
    /* the outbox and offsets go with the write; input goes on into a fresh outbox */
    outbox spare = w->obx;
    w->obx = d->obx;
    d->obx = spare;
    obx_clear(&d->obx);
    w->offsets = c.offsets;
    w->n_offsets = c.n_offsets;
    c.offsets = NULL;
    w->seq = c.seq;
    w->t0 = t0;
    w->name = d->ckpt_name;
    w->rs = d->rs;
    w->full = d->full_next;
    d->full_next = false;
    memset(d->unsaved, 0, sizeof(d->unsaved));
    atomic_store(&w->done, false);
    d->dirty = false;
    w->running = true;
    w->threaded = !wait && pthread_create(&w->tid, NULL, writer_main, w) == 0;
    rc = 0;
    if (!w->threaded) { /* asked to wait, or no thread to be had: write it here */
        writer_main(w);
        finish_write(d);
        rc = w->rc == 0 ? 0 : -1;
        if (rc == 0 && wait)
            dckpt_publish_done(d, 30000);
        goto done;
    }
out:
    if (rc != 0)
        metric_add(d->mt.ckpt_fail, 1);
done:
    atomic_store(&d->health.pending, d->obx.count + w->obx.count);
    metric_set(d->mt.pending, (double)(d->obx.count + w->obx.count));
    vg_free(c.offsets);
    vg_free(c.marks);
    return rc;
}

int dckpt_restore(dmn *d)
{
    char err[512];
    vg_buf_clear(&d->blob);
    vg_buf parts;
    vg_buf_init(&parts, 0);
    int found = rstore_load(d->rs, d->ckpt_name, &d->blob, &parts, err, sizeof(err));
    d->full_next = true; /* the first checkpoint writes every slot: Redis holds just those */
    if (found < 0) {
        log_err(d, VLOG_ERROR, "cannot load the checkpoint", err);
        vg_buf_fini(&parts);
        return -1;
    }
    if (found == 0) {
        vg_buf_fini(&parts);
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
        vg_buf_fini(&parts);
        return -1;
    }
    int rc = -1;
    uint64_t n_slots = 0;
    if (pl_state_load_head(d->pipe, c.state, c.state_len, err, sizeof(err)) != VG_OK) {
        log_err(d, VLOG_ERROR, "checkpoint state refused", err);
        goto out;
    }
    /* the slots: records of u32 slot, u64 length, bytes (rstore made them from the hash) */
    vg_bin sr;
    vg_bin_init(&sr, parts.p, parts.len, "checkpoint slots", err, sizeof(err));
    while (vg_bin_left(&sr) > 0) {
        vg_bin_get(&sr, 4);
        uint64_t len = vg_bin_get(&sr, 8);
        if (!sr.bad && len > vg_bin_left(&sr))
            vg_bin_fail(&sr, "slot of %llu bytes", (unsigned long long)len);
        if (sr.bad ||
            pl_state_load_slot(d->pipe, sr.p + sr.at, (size_t)len, err, sizeof(err)) != VG_OK) {
            log_err(d, VLOG_ERROR, "checkpoint state refused", err);
            goto out;
        }
        sr.at += (size_t)len;
        n_slots++;
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
        vlog_u64(&r, "state_bytes", c.state_len + parts.len);
        vlog_u64(&r, "slots", n_slots);
        vlog_u64(&r, "outbox_bytes", c.outbox_len);
        vlog_u64(&r, "already_published", skipped);
        vlog_end(&r);
    }
    atomic_store(&d->health.seq, d->seq);
    rc = 0;
out:
    ckpt_free(&c);
    vg_buf_fini(&parts);
    return rc;
}

bool dckpt_lease_due(const dmn *d, int64_t now)
{
    return now - d->lease_renewed >= d->cfg->lease_ms / 3;
}

int dckpt_lease_take(dmn *d, void (*idle)(dmn *d))
{
    char holder[RSTORE_MAX_OWNER + 1] = "", err[512];
    bool waiting = false;
    while (!d->stop) {
        int64_t t0 = dmn_mono_ms();
        int rc = rstore_lease(d->rs, d->ckpt_name, d->owner, d->cfg->lease_ms, holder,
                              sizeof(holder), err, sizeof(err));
        if (rc == 1) {
            d->lease_until = t0 + d->cfg->lease_ms;
            d->lease_renewed = t0;
            vlog_rec r;
            if (waiting && vlog_begin(d->lg, &r, VLOG_INFO,
                                      "lease taken: this process owns the checkpoint now")) {
                vlog_str(&r, "owner", d->owner);
                vlog_end(&r);
            }
            return 0;
        }
        if (rc == 0 && !waiting) {
            vlog_rec r;
            if (vlog_begin(d->lg, &r, VLOG_INFO, "standby: another process owns the checkpoint")) {
                vlog_str(&r, "owner", holder);
                vlog_str(&r, "checkpoint", d->ckpt_name);
                vlog_end(&r);
            }
            atomic_store(&d->health.state, DH_STANDBY);
            waiting = true;
        } else if (rc < 0) {
            log_err(d, VLOG_WARN, "lease: redis", err);
        }
        /* try again within a tenth of the lease, serving signals meanwhile */
        int64_t until = t0 + (d->cfg->lease_ms / 10 > 100 ? d->cfg->lease_ms / 10 : 100);
        while (!d->stop && dmn_mono_ms() < until)
            idle(d);
    }
    return -1;
}
