/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cshard.c: the pipeline's correlator shards (see cshard.h).
 *
 * Each batch: the signals are split among the shards (vg_corr_sigs_split), then every shard
 * pushes its part and is brought up to the stream's time (vg_corr_see) into its own alert
 * buffer; the buffers are appended to the caller's in shard order. Shards 1..m-1 run on
 * their threads: the calling thread bumps `gen` and wakes them (start), runs shard 0, and
 * waits until `pending` threads have finished (done); `stop` ends them. A shard whose
 * thread could not be started runs on the calling thread, and so does every shard of a
 * batch with fewer than INLINE_SIGNALS signals (waking threads costs more than that).
 */
#include "cshard.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define INLINE_SIGNALS 256

typedef struct shard {
    vg_corr *c;
    vg_corr_sigs *part; /* this batch's signals */
    vg_buf out;         /* this batch's alerts */
    pthread_t tid;
    struct cshards *s;
} shard;

struct cshards {
    const vg_ruleset *rs;
    unsigned m;
    shard *sh;
    vg_corr **corrs;
    int64_t stream_max;
    int64_t detect_ms; /* of the batch being pushed */
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    bool sync;        /* mu, start and done are set up */
    uint64_t gen;     /* batches handed to the threads (mu) */
    unsigned pending; /* threads still on the current batch (mu) */
    bool stop;        /* (mu) */
    unsigned started; /* shards 1..started have a thread */
};

static void run_shard(shard *h)
{
    cshards *s = h->s;
    vg_corr_push(h->c, h->part, &h->out, s->detect_ms);
    vg_corr_see(h->c, s->stream_max, &h->out, s->detect_ms);
}

static void *shard_main(void *arg)
{
    shard *h = arg;
    cshards *s = h->s;
    uint64_t seen = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->gen == seen && !s->stop)
            pthread_cond_wait(&s->start, &s->mu);
        if (s->stop)
            break;
        seen = s->gen;
        pthread_mutex_unlock(&s->mu);
        run_shard(h);
        pthread_mutex_lock(&s->mu);
        if (--s->pending == 0)
            pthread_cond_signal(&s->done);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void csh_free(cshards *s)
{
    if (!s)
        return;
    if (s->started > 0) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_broadcast(&s->start);
        pthread_mutex_unlock(&s->mu);
        for (unsigned j = 1; j <= s->started; j++)
            pthread_join(s->sh[j].tid, NULL);
    }
    if (s->sync) {
        pthread_cond_destroy(&s->start);
        pthread_cond_destroy(&s->done);
        pthread_mutex_destroy(&s->mu);
    }
    for (unsigned j = 0; s->sh && j < s->m; j++) {
        vg_corr_free(s->sh[j].c);
        vg_corr_sigs_free(s->sh[j].part);
        vg_buf_fini(&s->sh[j].out);
    }
    vg_free(s->sh);
    vg_free(s->corrs);
    vg_free(s);
}

cshards *csh_new(const vg_ruleset *rs, const vg_corr_opts *opts, unsigned m)
{
    if (m < 1 || m > VG_CORR_MAX_SHARDS)
        return NULL;
    cshards *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->rs = rs;
    s->m = m;
    s->stream_max = INT64_MIN;
    s->sh = vg_calloc(m, sizeof(shard));
    s->corrs = vg_calloc(m, sizeof(vg_corr *));
    if (!s->sh || !s->corrs) {
        csh_free(s);
        return NULL;
    }
    vg_corr_opts o = {0};
    if (opts)
        o = *opts;
    if (o.max_bytes == 0)
        o.max_bytes = (size_t)1 << 30;
    o.max_bytes /= m;
    for (unsigned j = 0; j < m; j++) {
        shard *h = &s->sh[j];
        h->s = s;
        vg_buf_init(&h->out, 0);
        h->c = vg_corr_new(rs, &o);
        h->part = vg_corr_sigs_new();
        s->corrs[j] = h->c;
        if (!h->c || !h->part) {
            csh_free(s);
            return NULL;
        }
    }
    if (m == 1)
        return s;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&s->start, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }
    if (pthread_cond_init(&s->done, NULL) != 0) {
        pthread_cond_destroy(&s->start);
        pthread_mutex_destroy(&s->mu);
        goto fail;
    }
    s->sync = true;
    /* a shard without a thread runs on the calling thread: no failure */
    for (unsigned j = 1; j < m && pthread_create(&s->sh[j].tid, NULL, shard_main, &s->sh[j]) == 0;
         j++)
        s->started = j;
    return s;
fail:
    csh_free(s);
    return NULL;
}

unsigned csh_count(const cshards *s)
{
    return s->m;
}

vg_corr *const *csh_corrs(cshards *s)
{
    return s->corrs;
}

void csh_new_stream(cshards *s)
{
    s->stream_max = INT64_MIN;
    for (unsigned j = 0; j < s->m; j++)
        vg_corr_new_stream(s->sh[j].c);
}

vg_status csh_push(cshards *s, const vg_corr_sigs *sigs, vg_buf *out, int64_t detect_ms)
{
    if (s->m == 1)
        return vg_corr_push(s->sh[0].c, sigs, out, detect_ms);
    vg_corr_sigs *parts[VG_CORR_MAX_SHARDS];
    for (unsigned j = 0; j < s->m; j++) {
        vg_corr_sigs_clear(s->sh[j].part);
        vg_buf_clear(&s->sh[j].out);
        parts[j] = s->sh[j].part;
    }
    vg_status st = vg_corr_sigs_split(sigs, s->rs, s->m, parts, &s->stream_max);
    if (st != VG_OK)
        return st;
    s->detect_ms = detect_ms;
    unsigned threaded = vg_corr_sigs_count(sigs) < INLINE_SIGNALS ? 0 : s->started;
    if (threaded > 0) {
        pthread_mutex_lock(&s->mu);
        s->pending = threaded;
        s->gen++;
        pthread_cond_broadcast(&s->start);
        pthread_mutex_unlock(&s->mu);
    }
    run_shard(&s->sh[0]);
    for (unsigned j = threaded + 1; j < s->m; j++)
        run_shard(&s->sh[j]);
    if (threaded > 0) {
        pthread_mutex_lock(&s->mu);
        while (s->pending > 0)
            pthread_cond_wait(&s->done, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    for (unsigned j = 0; j < s->m; j++)
        vg_buf_append(out, s->sh[j].out.p, s->sh[j].out.len);
    return VG_OK;
}

void csh_finish(cshards *s, vg_buf *out, int64_t detect_ms)
{
    for (unsigned j = 0; j < s->m; j++)
        vg_corr_finish(s->sh[j].c, out, detect_ms);
    s->stream_max = INT64_MIN;
}

void csh_counters(const cshards *s, vg_corr_counters *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned j = 0; j < s->m; j++) {
        vg_corr_counters c;
        vg_corr_counters_get(s->sh[j].c, &c);
        out->signals += c.signals;
        out->late += c.late;
        out->alerts += c.alerts;
        out->chained += c.chained;
        out->keys += c.keys;
        out->evicted += c.evicted;
        out->cap_keys += c.cap_keys;
        out->cap_entries += c.cap_entries;
        out->bytes += c.bytes;
        out->restore_skipped += c.restore_skipped;
        out->suppressed += c.suppressed;
    }
}

void csh_dirty_take(cshards *s, uint64_t set[VG_CORR_SLOT_WORDS])
{
    for (unsigned j = 0; j < s->m; j++)
        vg_corr_dirty_take(s->sh[j].c, set);
}
