/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c: the record pipeline of `vigil run` (see pipeline.h).
 *
 * DESIGN
 * Work moves in batches. A batch holds up to BATCH_ITEMS items (of one input in pl_run; of
 * any inputs, each item naming its own, when driven), and the bytes
 * of its records (BATCH_BYTES of them, or one record if that is longer): each item is a
 * record copied out of the reader's buffer with its origin (record index, line, byte
 * offset), or a problem the reader met (oversized, unterminated record, input that cannot
 * be opened or read) so that it is reported where it occurred. Processing a batch fills its
 * two output buffers: `out` with the alert lines and `err` with the report lines, each
 * report tagged on its item (capped per input, or always shown).
 *
 * Roles:
 *   - the calling thread ("main") reads the inputs in order, fills batches and hands them
 *     to the workers through `work`, a bqueue; it also emits finished batches and recycles
 *     them. Only main touches stdout/stderr, the per-input report counts (`shown`), the
 *     ring and the free list;
 *   - N workers pop batches from `work` and parse, index, match and render them, each with
 *     its own event, match scratch, alert buffer and counters; they set batch->done under
 *     done_mu and signal done_cv.
 * With threads == 1 there are no workers: main processes each batch itself right after
 * filling it (the same code, no locks).
 *
 * Ordering: main pushes each batch onto `ring` (the batches in flight, oldest first) as
 * it hands it out, and emits only the ring's head, once it is done. Output is therefore in
 * input order whatever the workers' timing, and the --max-errors cap is applied at emit
 * time, in that order: the bytes written are the same for every thread count.
 *
 * Bounds: at most 2 * threads batches exist. When all are in flight, main waits for the
 * head to finish, emits it and reuses it; `work` has room for every batch, so handing out
 * never blocks. Memory is bounded by the batches (buffers grown past BATCH_KEEP by a large
 * record or many alerts are freed when the batch is recycled) plus each worker's event.
 *
 * Counters are per worker and summed after the workers are joined; main counts only the
 * inputs it could not open or read.
 *
 * Shutdown: an input that cannot be opened or read ends with its error item and the next
 * input goes on. After the last input, main emits every batch still in flight, closes
 * `work` (the workers drain it and return) and joins them. Out of memory stops the reading;
 * nothing is written after the failed batch, so stdout and stderr hold a prefix of the
 * full output and the run fails.
 *
 * Thread: pl_run's thread is main; worker_main runs on each worker. Locks: work.mu (inside
 * bq_ calls) and done_mu (batch->done); never both at once.
 */
#include "pipeline.h"
#include "vigil/bin.h"
#include "bqueue.h"
#include "cshard.h"
#include "input.h"
#include "vigil/alert.h"
#include "vigil/match.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BATCH_ITEMS 1024
#define BATCH_BYTES (1u << 20)
#define BATCH_DATA0 (64u << 10) /* first allocation of a batch's record bytes */
#define BATCH_KEEP  (8u << 20)
#define MAX_HITS    4096
#define ALERT_MAX   (64u << 20) /* one alert's JSON */

typedef enum item_kind {
    IT_RECORD,     /* bytes to parse */
    IT_OVERSIZE,   /* longer than --max-record; no bytes */
    IT_UNFRAMED,   /* bytes that form no record; not kept */
    IT_OPEN_ERROR, /* the input cannot be opened: err_no */
    IT_READ_ERROR  /* reading failed: err_no; the input's last item */
} item_kind;

typedef enum item_note {
    NOTE_NONE,
    NOTE_REPORT, /* a bad-record report, subject to --max-errors */
    NOTE_PLAIN   /* always shown */
} item_note;

typedef struct item {
    const pl_input *in; /* its input (a driven pipeline's batch mixes inputs) */
    item_kind kind;
    item_note note; /* set by the worker */
    int err_no;
    uint64_t index, line, offset;
    size_t data_off, data_len; /* record bytes in batch->data */
    size_t err_off, err_len;   /* this item's lines in batch->err */
} item;

/* An alert of a rule with `suppress`, decided by main in input order. */
typedef struct held {
    size_t off, len; /* the alert line in batch->out */
    uint64_t key;
    int64_t ts, period;
} held;

typedef struct batch {
    const pl_input *in; /* pl_run: the input of every item; driven: of the last one added */
    size_t in_idx;
    item *items; /* BATCH_ITEMS */
    size_t n_items;
    char *data;
    size_t data_len, data_cap;
    vg_buf out;         /* alert lines */
    vg_buf err;         /* report lines */
    vg_corr_sigs *sigs; /* correlation signals, in record order */
    held *held;         /* alerts subject to suppression, in order */
    size_t n_held, cap_held;
    bool done; /* guarded by done_mu while the batch is in flight */
} batch;

typedef struct worker {
    const pl_config *cfg;
    struct pl *p;
    vg_event *ev;
    vg_match_scratch *ms;
    vg_buf alert;
    pl_counts c;
    pthread_t tid;
    uint32_t hits[MAX_HITS];
} worker;

typedef struct pl {
    const pl_config *cfg;
    const pl_input *inputs; /* pl_run's; NULL when driven (pl_open) */
    const pl_sink *sink;    /* driven: where results go (out is NULL) */
    batch *cur;             /* driven: the batch being filled */
    FILE *out, *err;
    worker **w;
    unsigned n_workers; /* contexts; with threads == 1, one used by main */
    unsigned n_started; /* worker threads running */
    bqueue work;
    pthread_mutex_t done_mu;
    pthread_cond_t done_cv;
    batch **all; /* every batch allocated, max_batches slots */
    size_t n_all, max_batches;
    batch **free_list;
    size_t n_free;
    batch **ring; /* in flight, oldest at ring[ring_head] */
    size_t ring_head, ring_len;
    uint64_t *shown; /* pl_run: per input, reports seen so far */
    uint64_t io_errors;
    cshards *corr;  /* NULL when the ruleset has no correlations */
    vg_buf calerts; /* correlation alerts of the batch being emitted */
    size_t corr_in; /* input whose stream the correlator is on */
    uint64_t corr_alerts;
    vg_suppress *sup; /* detection rules' `suppress` */
    bool cap_said;    /* the correlation memory cap was reported */
    uint64_t suppressed;
    bool oom;
} pipeline;


static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- batches. Thread: main. Locks: none ---- */

static void batch_free(batch *b)
{
    if (!b)
        return;
    vg_buf_fini(&b->out);
    vg_buf_fini(&b->err);
    vg_corr_sigs_free(b->sigs);
    vg_free(b->held);
    vg_free(b->data);
    vg_free(b->items);
    vg_free(b);
}

static batch *batch_new(void)
{
    batch *b = vg_calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    vg_buf_init(&b->out, 0);
    vg_buf_init(&b->err, 0);
    b->items = vg_malloc(BATCH_ITEMS * sizeof(*b->items));
    b->data = vg_malloc(BATCH_DATA0);
    b->data_cap = BATCH_DATA0;
    b->sigs = vg_corr_sigs_new();
    if (!b->items || !b->data || !b->sigs) {
        batch_free(b);
        return NULL;
    }
    return b;
}

/* Empty b for reuse, giving back buffers that one big batch made large. */
static void batch_recycle(pipeline *p, batch *b)
{
    b->n_items = 0;
    b->data_len = 0;
    b->done = false;
    if (b->data_cap > BATCH_KEEP) {
        char *nd = vg_realloc(b->data, BATCH_DATA0);
        if (nd) {
            b->data = nd;
            b->data_cap = BATCH_DATA0;
        }
    }
    if (b->out.cap > BATCH_KEEP) {
        vg_buf_fini(&b->out);
        vg_buf_init(&b->out, 0);
    }
    if (b->err.cap > BATCH_KEEP) {
        vg_buf_fini(&b->err);
        vg_buf_init(&b->err, 0);
    }
    vg_buf_clear(&b->out);
    vg_buf_clear(&b->err);
    vg_corr_sigs_clear(b->sigs);
    b->n_held = 0;
    p->free_list[p->n_free++] = b;
}

static bool batch_full(const batch *b, input_kind k, const input_rec *r)
{
    if (b->n_items == BATCH_ITEMS)
        return true;
    return k == INPUT_RECORD && b->data_len > 0 && r->len > BATCH_BYTES - b->data_len;
}

/* Append an item for what input_next returned (r NULL for input-level errors); record
 * bytes are copied. NULL when out of memory. */
static item *batch_add(batch *b, item_kind kind, const input_rec *r)
{
    item *it = &b->items[b->n_items];
    memset(it, 0, sizeof(*it));
    it->in = b->in;
    it->kind = kind;
    if (r) {
        it->index = r->index;
        it->line = r->line;
        it->offset = r->offset;
    }
    if (kind == IT_RECORD) {
        if (r->len > b->data_cap - b->data_len) {
            size_t ncap = b->data_cap;
            while (r->len > ncap - b->data_len)
                ncap *= 2;
            char *nd = vg_realloc(b->data, ncap);
            if (!nd)
                return NULL;
            b->data = nd;
            b->data_cap = ncap;
        }
        memcpy(b->data + b->data_len, r->p, r->len);
        it->data_off = b->data_len;
        it->data_len = r->len;
        b->data_len += r->len;
    }
    b->n_items++;
    return it;
}

/* ---- processing. Thread: a worker (main when threads == 1). Locks: none ---- */

static void report(batch *b, item *it, const char *what, size_t off_in_rec, const char *msg)
{
    if (it->line == 0) /* a message, not a line of a file (Kafka): no line, byte in record */
        vg_buf_printf(&b->err, "vigil: %s: record %llu (byte %llu): %s%s%s\n", it->in->path,
                      (unsigned long long)it->index, (unsigned long long)off_in_rec, what,
                      msg ? ": " : "", msg ? msg : "");
    else
        vg_buf_printf(&b->err, "vigil: %s:%llu: record %llu (byte %llu): %s%s%s\n", it->in->path,
                      (unsigned long long)it->line, (unsigned long long)it->index,
                      (unsigned long long)(it->offset + off_in_rec), what, msg ? ": " : "",
                      msg ? msg : "");
    it->note = NOTE_REPORT;
}

/* 1 and the time in ts if the event has one (the input's --time-field, or the usual
 * fields), else 0. */
static int event_time(const vg_event *ev, const pl_input *ri, int64_t *ts)
{
    return ri->time_field ? vg_event_time_field(ev, ri->time_field, ts) : vg_event_time(ev, ts);
}

static void process_record(worker *w, batch *b, item *it)
{
    const pl_input *ri = it->in;
    const char *rec = b->data + it->data_off;
    vg_event_reset(w->ev);
    vg_perr perr = {0, NULL};
    vg_format used = ri->fmt;
    const vg_ruleset *rs = w->cfg->rs;
    vg_status rc = vg_parse(ri->fmt, w->ev, rec, it->data_len, &used, &perr);
    if (rc == VG_OK) /* lean for the fast matcher; completed below when a rule fires */
        rc = w->cfg->fast ? vg_match_index(rs, w->ev) : vg_event_index(w->ev);
    if (rc != VG_OK) {
        if (rc == VG_ERR_LIMIT)
            w->c.limit++;
        else
            w->c.malformed++;
        char what[48];
        snprintf(what, sizeof(what), "%s %s", vg_format_str(used),
                 rc == VG_ERR_LIMIT ? "record over a limit" : "parse error");
        report(b, it, what, perr.offset, perr.msg ? perr.msg : vg_status_str(rc));
        return;
    }
    w->c.events++;
    const vg_logsource *decl = ri->has_ls ? &ri->ls : NULL;
    size_t n = w->cfg->fast ? vg_match_event_fast(rs, w->ms, w->ev, decl, w->hits, MAX_HITS)
                            : vg_match_event(rs, w->ms, w->ev, decl, w->hits, MAX_HITS);
    if (n > MAX_HITS)
        n = MAX_HITS;
    if (n == 0)
        return;
    /* alerts, event times, correlation and suppression look up any name */
    if (vg_event_index(w->ev) != VG_OK) {
        w->c.limit++;
        report(b, it, "record over a limit", 0, "no memory left to index the event's fields");
        return;
    }
    vg_origin org = {ri->path, it->index, it->line};
    int64_t now = wall_ms();
    int timed = -1; /* the event's time: -1 not read yet, 0 none, 1 in ts */
    int64_t ts = 0;
    for (size_t i = 0; i < n; i++) {
        if (vg_corr_rule_used(rs, w->hits[i])) {
            if (timed < 0)
                timed = event_time(w->ev, ri, &ts);
            if (vg_corr_extract(b->sigs, rs, w->hits[i], w->ev, timed, ts, &org) == (size_t)-1) {
                vg_buf_printf(&b->err, "vigil: %s: record %llu: out of memory for correlation\n",
                              ri->path, (unsigned long long)it->index);
                it->note = NOTE_PLAIN;
            }
        }
        if (!vg_corr_rule_alerts(rs, w->hits[i]))
            continue;
        uint64_t skey = 0;
        int64_t period = vg_rule_suppress_key(rs, w->hits[i], w->ev, &skey);
        if (period && timed < 0)
            timed = event_time(w->ev, ri, &ts);
        if (period && timed == 1 && b->n_held == b->cap_held) {
            size_t ncap = b->cap_held ? b->cap_held * 2 : 64;
            held *nh = vg_realloc(b->held, ncap * sizeof(*nh));
            if (nh) {
                b->held = nh;
                b->cap_held = ncap;
            }
        }
        bool hold = period && timed == 1 && b->n_held < b->cap_held;
        size_t at = b->out.len;
        vg_buf_clear(&w->alert);
        vg_alert_json_single(&w->alert, rs, w->hits[i], w->ev, &org, now);
        vg_buf_putc(&w->alert, '\n');
        if (vg_buf_status(&w->alert) != VG_OK) {
            vg_buf_printf(&b->err, "vigil: %s: record %llu: alert too large to encode\n", ri->path,
                          (unsigned long long)it->index);
            it->note = NOTE_PLAIN;
            continue;
        }
        vg_buf_append(&b->out, w->alert.p, w->alert.len);
        w->c.alerts++;
        if (hold)
            b->held[b->n_held++] = (held){at, w->alert.len, skey, ts, period};
    }
}

static void process_batch(worker *w, batch *b)
{
    for (size_t i = 0; i < b->n_items; i++) {
        item *it = &b->items[i];
        it->err_off = b->err.len;
        switch (it->kind) {
        case IT_RECORD:
            w->c.records++;
            process_record(w, b, it);
            break;
        case IT_OVERSIZE: {
            w->c.records++;
            w->c.oversize++;
            char msg[64];
            snprintf(msg, sizeof(msg), "larger than the record limit (%zu bytes)",
                     w->cfg->max_record);
            report(b, it, "record too large", 0, msg);
            break;
        }
        case IT_UNFRAMED:
            w->c.records++;
            w->c.malformed++;
            report(b, it, "unterminated record", 0,
                   "the value opened on this line does not close as valid JSON");
            break;
        case IT_OPEN_ERROR:
        case IT_READ_ERROR:
            break; /* main words these: strerror is not for workers */
        }
        it->err_len = b->err.len - it->err_off;
    }
}

/* Thread: worker. Locks: work.mu inside bq_pop; done_mu to publish a finished batch. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    pipeline *p = w->p;
    batch *b;
    while ((b = bq_pop(&p->work)) != NULL) {
        process_batch(w, b);
        pthread_mutex_lock(&p->done_mu);
        b->done = true;
        pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->done_mu);
    }
    return NULL;
}

/* ---- emitting. Thread: main. Locks: done_mu to look at a batch's done ---- */

static void say_oom(pipeline *p)
{
    if (!p->oom)
        fprintf(p->err, "vigil run: out of memory\n");
    p->oom = true;
}

static void put_alerts(pipeline *p, const char *a, size_t n)
{
    if (p->sink)
        p->sink->alerts(p->sink->ud, a, n);
    else
        fwrite(a, 1, n, p->out);
}

/* Write the correlation alerts gathered in p->calerts. */
static void write_corr_alerts(pipeline *p)
{
    if (vg_buf_status(&p->calerts) != VG_OK) {
        say_oom(p);
        return;
    }
    for (size_t i = 0; i < p->calerts.len; i++)
        p->corr_alerts += p->calerts.p[i] == '\n';
    if (p->calerts.len > 0)
        put_alerts(p, p->calerts.p, p->calerts.len);
    vg_buf_clear(&p->calerts);
}

/* Driven: records that gave no event go to the sink's bad (the report line as reason);
 * then the batch's last record is done. */
static void sink_reports(pipeline *p, batch *b)
{
    for (size_t i = 0; i < b->n_items; i++) {
        const item *it = &b->items[i];
        if (it->note == NOTE_NONE || (it->kind != IT_RECORD && it->kind != IT_OVERSIZE) ||
            !p->sink->bad)
            continue;
        size_t rl = it->err_len;
        const char *r = b->err.p + it->err_off;
        const char *nl = memchr(r, '\n', rl);
        if (nl)
            rl = (size_t)(nl - r); /* the first line says why */
        p->sink->bad(p->sink->ud, it->in, b->data + it->data_off, it->data_len, it->index, r, rl);
    }
    /* each input's last record in the batch: at the end of every run of one input */
    for (size_t i = 0; p->sink->done && i < b->n_items; i++)
        if (i + 1 == b->n_items || b->items[i + 1].in != b->items[i].in)
            p->sink->done(p->sink->ud, b->items[i].in, b->items[i].index);
}

/* Write b's output in item order, applying the per-input report cap. After running out of
 * memory nothing more is written: the output stays a prefix of the full one. */
static void emit_batch(pipeline *p, batch *b)
{
    if (vg_buf_status(&b->out) != VG_OK || vg_buf_status(&b->err) != VG_OK)
        say_oom(p);
    if (p->oom)
        return;
    size_t from = 0;
    for (size_t i = 0; i < b->n_held; i++) {
        const held *h = &b->held[i];
        if (vg_suppress_allow(p->sup, h->key, h->ts, h->period))
            continue;
        put_alerts(p, b->out.p + from, h->off - from); /* silenced: cut it out */
        from = h->off + h->len;
        p->suppressed++;
    }
    if (b->out.len > from)
        put_alerts(p, b->out.p + from, b->out.len - from);
    if (p->corr && vg_corr_sigs_count(b->sigs) > 0) {
        if (b->in_idx != p->corr_in) {
            csh_new_stream(p->corr);
            p->corr_in = b->in_idx;
        }
        if (csh_push(p->corr, b->sigs, &p->calerts, wall_ms()) != VG_OK)
            say_oom(p);
        write_corr_alerts(p);
        vg_corr_counters cc;
        csh_counters(p->corr, &cc);
        if (cc.cap_keys > 0 && !p->cap_said) {
            fputs("vigil: correlation state reached its memory cap (--corr-max-memory): new "
                  "group keys are refused and counted until keys expire\n",
                  p->err);
            p->cap_said = true;
        }
    }
    if (p->sink) {
        sink_reports(p, b);
        return;
    }
    uint64_t *shown = &p->shown[b->in_idx];
    for (size_t i = 0; i < b->n_items; i++) {
        const item *it = &b->items[i];
        if (it->kind == IT_OPEN_ERROR) {
            fprintf(p->err, "vigil: cannot open input '%s': %s\n", b->in->path,
                    strerror(it->err_no));
        } else if (it->kind == IT_READ_ERROR) {
            fprintf(p->err, "vigil: error reading '%s': %s\n", b->in->path, strerror(it->err_no));
        } else if (it->note == NOTE_PLAIN) {
            fwrite(b->err.p + it->err_off, 1, it->err_len, p->err);
        } else if (it->note == NOTE_REPORT) {
            if (*shown < p->cfg->max_errors)
                fwrite(b->err.p + it->err_off, 1, it->err_len, p->err);
            else if (*shown == p->cfg->max_errors)
                fprintf(p->err,
                        "vigil: %s: more malformed records; not reporting them one by one\n",
                        b->in->path);
            (*shown)++;
        }
    }
}

/* Emit the finished batches at the head of the ring, in order; with wait, first wait for the
 * head to finish (the ring must not be empty then). */
static void emit_ready(pipeline *p, bool wait)
{
    while (p->ring_len > 0) {
        batch *b = p->ring[p->ring_head];
        pthread_mutex_lock(&p->done_mu);
        while (wait && !b->done)
            pthread_cond_wait(&p->done_cv, &p->done_mu);
        bool done = b->done;
        pthread_mutex_unlock(&p->done_mu);
        if (!done)
            return;
        wait = false;
        p->ring_head = (p->ring_head + 1) % p->max_batches;
        p->ring_len--;
        emit_batch(p, b);
        batch_recycle(p, b);
    }
}

static void drain(pipeline *p)
{
    while (p->ring_len > 0)
        emit_ready(p, true);
}

/* ---- reading. Thread: main. Locks: none (bq_push and emit_ready take theirs) ---- */

/* An empty batch for input idx: a free one, a new one, or the oldest in flight once it is
 * done and emitted. NULL when out of memory (reported). */
static batch *batch_get(pipeline *p, const pl_input *in, size_t idx)
{
    if (p->n_free == 0 && p->n_all < p->max_batches) {
        batch *nb = batch_new();
        if (!nb) {
            drain(p);
            say_oom(p);
            return NULL;
        }
        p->all[p->n_all++] = nb;
        p->free_list[p->n_free++] = nb;
    }
    if (p->n_free == 0)
        emit_ready(p, true);
    batch *b = p->free_list[--p->n_free];
    b->in = in;
    b->in_idx = idx;
    return b;
}

/* Process b (on a worker, or here when single-threaded). Empty batches go back unused. */
static void batch_submit(pipeline *p, batch *b)
{
    if (b->n_items == 0) {
        batch_recycle(p, b);
        return;
    }
    if (p->n_started == 0) {
        process_batch(p->w[0], b);
        emit_batch(p, b);
        batch_recycle(p, b);
        return;
    }
    p->ring[(p->ring_head + p->ring_len) % p->max_batches] = b;
    p->ring_len++;
    bq_push(&p->work, b); /* room for every batch: never waits, never closed here */
    emit_ready(p, false);
}

static void read_input(pipeline *p, size_t idx)
{
    const pl_input *ri = &p->inputs[idx];
    input *in = input_open(ri->path, ri->fmt, p->cfg->max_record);
    int open_errno = errno;
    batch *b = batch_get(p, ri, idx);
    if (!b) {
        input_close(in);
        return;
    }
    if (!in) {
        p->io_errors++;
        batch_add(b, IT_OPEN_ERROR, NULL)->err_no = open_errno;
        batch_submit(p, b);
        return;
    }
    input_rec r;
    while (!p->oom) {
        if (b->n_items > 0 && input_idle(in)) {
            /* live input went quiet: finish and write what has been read */
            batch_submit(p, b);
            drain(p);
            fflush(stdout);
            fflush(stderr);
            b = batch_get(p, ri, idx);
            if (!b)
                break;
        }
        input_kind k = input_next(in, &r);
        if (k == INPUT_EOF)
            break;
        if (batch_full(b, k, &r)) {
            batch_submit(p, b);
            b = batch_get(p, ri, idx);
            if (!b)
                break;
        }
        item_kind kind = k == INPUT_RECORD     ? IT_RECORD
                         : k == INPUT_OVERSIZE ? IT_OVERSIZE
                         : k == INPUT_UNFRAMED ? IT_UNFRAMED
                                               : IT_READ_ERROR;
        item *it = batch_add(b, kind, kind == IT_READ_ERROR ? NULL : &r);
        if (!it) {
            batch_submit(p, b);
            b = NULL;
            drain(p);
            say_oom(p);
            break;
        }
        if (kind == IT_READ_ERROR) {
            it->err_no = input_errno(in);
            p->io_errors++;
            break;
        }
    }
    if (b)
        batch_submit(p, b);
    input_close(in);
}

/* ---- set-up and tear-down. Thread: main ---- */

static void worker_free(worker *w)
{
    if (!w)
        return;
    vg_buf_fini(&w->alert);
    vg_match_scratch_free(w->ms);
    vg_event_free(w->ev);
    vg_free(w);
}

static worker *worker_new(const pl_config *cfg, pipeline *p)
{
    worker *w = vg_calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->cfg = cfg;
    w->p = p;
    vg_buf_init(&w->alert, ALERT_MAX);
    w->ev = vg_event_new(&cfg->limits);
    w->ms = vg_match_scratch_new(cfg->rs);
    if (!w->ev || !w->ms) {
        worker_free(w);
        return NULL;
    }
    vg_match_scratch_profile(w->ms, cfg->clock, cfg->profile_every);
    return w;
}

static void add_counts(pl_counts *sum, const worker *w)
{
    sum->records += w->c.records;
    sum->events += w->c.events;
    sum->alerts += w->c.alerts;
    sum->malformed += w->c.malformed;
    sum->oversize += w->c.oversize;
    sum->limit += w->c.limit;
    vg_match_counters mc = {0};
    vg_match_counters_get(w->ms, &mc);
    sum->rule_evals += mc.rule_evals;
    sum->regex_limit += mc.regex_limit;
}

/* Start the worker threads; fewer than asked (with a warning) if the system refuses some,
 * none (single-threaded) if it refuses all. */
static void start_workers(pipeline *p)
{
    if (p->n_workers < 2)
        return;
    if (bq_init(&p->work, p->max_batches) != 0)
        return;
    if (pthread_mutex_init(&p->done_mu, NULL) != 0) {
        bq_fini(&p->work);
        return;
    }
    if (pthread_cond_init(&p->done_cv, NULL) != 0) {
        pthread_mutex_destroy(&p->done_mu);
        bq_fini(&p->work);
        return;
    }
    int rc = 0;
    while (p->n_started < p->n_workers) {
        worker *w = p->w[p->n_started];
        rc = pthread_create(&w->tid, NULL, worker_main, w);
        if (rc != 0)
            break;
        p->n_started++;
    }
    if (rc != 0)
        fprintf(p->err, "vigil run: started %u of %u worker threads: %s\n", p->n_started,
                p->n_workers, strerror(rc));
    if (p->n_started == 0) {
        pthread_cond_destroy(&p->done_cv);
        pthread_mutex_destroy(&p->done_mu);
        bq_fini(&p->work);
    }
}

static void stop_workers(pipeline *p)
{
    if (p->n_started == 0)
        return;
    bq_close(&p->work);
    for (unsigned i = 0; i < p->n_started; i++)
        pthread_join(p->w[i]->tid, NULL);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->done_mu);
    bq_fini(&p->work);
}

static void pipeline_free(pipeline *p)
{
    csh_free(p->corr);
    vg_suppress_free(p->sup);
    vg_buf_fini(&p->calerts);
    for (size_t i = 0; i < p->n_all; i++)
        batch_free(p->all[i]);
    if (p->w)
        for (unsigned i = 0; i < p->n_workers; i++)
            worker_free(p->w[i]);
    vg_free(p->w);
    vg_free(p->all);
    vg_free(p->free_list);
    vg_free(p->ring);
    vg_free(p->shown);
}

/* Allocate everything and start the workers. -1 (said on err, p freed) when out of memory. */
static int pipeline_init(pipeline *p, const pl_config *cfg, size_t n_inputs, FILE *err)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->err = err;
    unsigned n = cfg->threads < 1 ? 1 : cfg->threads;
    if (n > PL_MAX_THREADS)
        n = PL_MAX_THREADS;
    p->max_batches = 2 * (size_t)n;
    p->w = vg_calloc(n, sizeof(*p->w));
    p->all = vg_calloc(p->max_batches, sizeof(*p->all));
    p->free_list = vg_calloc(p->max_batches, sizeof(*p->free_list));
    p->ring = vg_calloc(p->max_batches, sizeof(*p->ring));
    p->shown = vg_calloc(n_inputs ? n_inputs : 1, sizeof(*p->shown));
    vg_buf_init(&p->calerts, 0);
    vg_ruleset_stats rst;
    vg_ruleset_stats_get(cfg->rs, &rst);
    if (rst.n_correlations > 0)
        p->corr = csh_new(cfg->rs, &cfg->corr, cfg->corr_shards ? cfg->corr_shards : 1);
    p->sup = vg_suppress_new();
    bool ok = p->w && p->all && p->free_list && p->ring && p->shown && p->sup &&
              (rst.n_correlations == 0 || p->corr);
    for (unsigned i = 0; ok && i < n; i++) {
        p->w[i] = worker_new(cfg, p);
        ok = p->w[i] != NULL;
        p->n_workers = i + 1;
    }
    if (!ok) {
        say_oom(p);
        pipeline_free(p);
        return -1;
    }
    start_workers(p);
    return 0;
}

static void sum_counts(pipeline *p, pl_counts *counts)
{
    memset(counts, 0, sizeof(*counts));
    for (unsigned i = 0; i < p->n_workers; i++)
        add_counts(counts, p->w[i]);
    for (size_t i = 0; i < p->n_all; i++) {
        vg_corr_xcounters x;
        vg_corr_sigs_counters(p->all[i]->sigs, &x);
        counts->x.signals += x.signals;
        counts->x.no_group += x.no_group;
        counts->x.no_value += x.no_value;
        counts->x.not_number += x.not_number;
        counts->x.no_time += x.no_time;
    }
    if (p->corr)
        csh_counters(p->corr, &counts->corr);
    counts->corr_alerts = p->corr_alerts;
    counts->alerts -= p->suppressed;
    counts->suppressed = p->suppressed;
    counts->io_errors = p->io_errors;
}

int pl_run(const pl_config *cfg,
           const pl_input *inputs,
           size_t n_inputs,
           FILE *out,
           FILE *err,
           pl_counts *counts)
{
    memset(counts, 0, sizeof(*counts));
    pipeline p;
    if (pipeline_init(&p, cfg, n_inputs, err) != 0)
        return -1;
    p.inputs = inputs;
    p.out = out;
    for (size_t i = 0; i < n_inputs && !p.oom; i++)
        read_input(&p, i);
    drain(&p);
    stop_workers(&p);
    if (p.corr && !p.oom) {
        csh_finish(p.corr, &p.calerts, wall_ms());
        write_corr_alerts(&p);
    }
    sum_counts(&p, counts);
    bool failed = p.oom;
    pipeline_free(&p);
    return failed ? -1 : 0;
}

/* ---- driven by the caller (pl_open). Thread: the caller's ---- */

pl *pl_open(const pl_config *cfg, const pl_sink *sink, FILE *err)
{
    pipeline *p = vg_malloc(sizeof(*p));
    if (!p) {
        fputs("vigil: out of memory\n", err);
        return NULL;
    }
    if (pipeline_init(p, cfg, 1, err) != 0) {
        vg_free(p);
        return NULL;
    }
    p->sink = sink;
    return p;
}

static void submit_cur(pipeline *p)
{
    if (p->cur) {
        batch_submit(p, p->cur);
        p->cur = NULL;
    }
}

int pl_feed(pl *p, const pl_input *in, const char *rec, size_t len, uint64_t index)
{
    if (p->oom)
        return -1;
    input_rec r = {rec, len, index, 0, 0};
    /* records of every input share batches: a consumer hands out runs of a few records per
     * partition, and a batch per run would be small */
    if (p->cur && batch_full(p->cur, INPUT_RECORD, &r))
        submit_cur(p);
    if (!p->cur) {
        p->cur = batch_get(p, in, 0);
        if (!p->cur)
            return -1;
    }
    p->cur->in = in; /* batch_add gives it to the item */
    item *it = batch_add(p->cur, IT_RECORD, &r);
    if (!it) {
        submit_cur(p);
        drain(p);
        say_oom(p);
        return -1;
    }
    if (len > p->cfg->max_record)
        it->kind = IT_OVERSIZE; /* reported, and its bytes go to the sink's bad */
    return 0;
}

void pl_poll(pl *p)
{
    submit_cur(p);
    if (p->n_started > 0)
        emit_ready(p, false);
}

void pl_drain(pl *p)
{
    submit_cur(p);
    drain(p);
}

/* State bytes: "VGPL" u32 version, u64 corr length, the correlator's snapshot, the
 * detection rules' `suppress` table (vg_suppress_save). */
#define PL_STATE_MAGIC   "VGPL"
#define PL_STATE_VERSION 1u

vg_status pl_state_save(pl *p, vg_buf *out)
{
    vg_buf_append(out, PL_STATE_MAGIC, 4);
    uint32_t v = PL_STATE_VERSION;
    vg_buf_append(out, &v, sizeof(v));
    size_t at = out->len;
    uint64_t n = 0;
    vg_buf_append(out, &n, sizeof(n));
    if (p->corr) {
        vg_status st = vg_corr_snapshot_m((const vg_corr *const *)csh_corrs(p->corr),
                                          csh_count(p->corr), out);
        if (st != VG_OK)
            return st;
    }
    if (vg_buf_status(out) != VG_OK)
        return VG_ERR_NOMEM;
    n = out->len - at - sizeof(n);
    memcpy(out->p + at, &n, sizeof(n));
    vg_suppress_save(p->sup, out);
    return vg_buf_status(out);
}

/* Load the detection rules' suppress table from [sup, sup+sn) and, when correlations are
 * loaded and cn > 0, the correlator's part [corr, corr+cn) with restore. The table is read
 * aside first, so that a refusal of either part leaves the pipeline's table as it was. */
static vg_status load_with_suppress(
        pl *p,
        vg_status (*restore)(vg_corr *const *, uint32_t, const void *, size_t, char *, size_t),
        const void *corr,
        size_t cn,
        const void *sup_bytes,
        size_t sn,
        char *err,
        size_t err_len)
{
    vg_suppress *sup = vg_suppress_new();
    if (!sup) {
        snprintf(err, err_len, "out of memory");
        return VG_ERR_NOMEM;
    }
    vg_status st = vg_suppress_load(sup, sup_bytes, sn, err, err_len);
    if (st == VG_OK && cn > 0 && p->corr)
        st = restore(csh_corrs(p->corr), csh_count(p->corr), corr, cn, err, err_len);
    if (st != VG_OK) {
        vg_suppress_free(sup);
        return st;
    }
    vg_suppress_free(p->sup);
    p->sup = sup;
    return VG_OK;
}

vg_status pl_state_load(pl *p, const void *bytes, size_t n, char *err, size_t err_len)
{
    const unsigned char *b = bytes;
    uint32_t v;
    uint64_t cn;
    if (n < 16 || memcmp(b, PL_STATE_MAGIC, 4) != 0) {
        snprintf(err, err_len, "not a pipeline state");
        return VG_ERR_INVALID;
    }
    memcpy(&v, b + 4, sizeof(v));
    memcpy(&cn, b + 8, sizeof(cn));
    if (v != PL_STATE_VERSION) {
        snprintf(err, err_len, "pipeline state version %u (this build reads %u)", v,
                 PL_STATE_VERSION);
        return VG_ERR_UNSUPPORTED;
    }
    if (cn > n - 16) {
        snprintf(err, err_len, "correlation state of %llu bytes in %zu", (unsigned long long)cn,
                 n - 16);
        return VG_ERR_INVALID;
    }
    return load_with_suppress(p, vg_corr_restore_m, b + 16, (size_t)cn, b + 16 + cn,
                              n - 16 - (size_t)cn, err, err_len);
}

/* Head: PL_HEAD_MAGIC, u32 version, u64 length of the correlator's head (0: no
 * correlation loaded), that head, then the detection rules' `suppress` table. */
#define PL_HEAD_MAGIC   "PLSH"
#define PL_HEAD_VERSION 1u

void pl_state_dirty(pl *p, uint64_t set[VG_CORR_SLOT_WORDS])
{
    if (p->corr)
        csh_dirty_take(p->corr, set);
}

vg_status pl_state_save_head(pl *p, vg_buf *out)
{
    vg_buf_append(out, PL_HEAD_MAGIC, 4);
    vg_bin_u32(out, PL_HEAD_VERSION);
    size_t at = out->len;
    vg_bin_u64(out, 0);
    if (p->corr && vg_corr_snapshot_head(csh_corrs(p->corr)[0], out) != VG_OK)
        return VG_ERR_NOMEM;
    vg_bin_patch_u64(out, at, out->len - at - 8);
    vg_suppress_save(p->sup, out);
    return vg_buf_status(out);
}

vg_status pl_state_save_slots(pl *p, const uint64_t set[VG_CORR_SLOT_WORDS], vg_buf *out)
{
    if (p->corr)
        return vg_corr_snapshot_slots_m((const vg_corr *const *)csh_corrs(p->corr),
                                        csh_count(p->corr), set, out);
    for (uint32_t s = 0; s < VG_CORR_SLOTS; s++) {
        if (!((set[s >> 6] >> (s & 63)) & 1))
            continue;
        vg_bin_u32(out, s);
        vg_bin_u64(out, 0);
    }
    return vg_buf_status(out);
}

vg_status pl_state_load_head(pl *p, const void *bytes, size_t n, char *err, size_t err_len)
{
    vg_bin r;
    vg_bin_init(&r, bytes, n, "pipeline state head", err, err_len);
    vg_status st = vg_bin_header(&r, PL_HEAD_MAGIC, PL_HEAD_VERSION);
    if (st != VG_OK)
        return st;
    uint64_t cn = vg_bin_get(&r, 8);
    if (!r.bad && cn > vg_bin_left(&r))
        vg_bin_fail(&r, "correlation head of %llu bytes", (unsigned long long)cn);
    if (r.bad)
        return VG_ERR_INVALID;
    const unsigned char *b = bytes;
    size_t rest = r.at + (size_t)cn;
    return load_with_suppress(p, vg_corr_restore_head_m, b + r.at, (size_t)cn, b + rest, n - rest,
                              err, err_len);
}

vg_status pl_state_load_slot(pl *p, const void *bytes, size_t n, char *err, size_t err_len)
{
    if (!p->corr)
        return VG_OK; /* no correlation loaded: its keys are not wanted */
    return vg_corr_restore_slot_m(csh_corrs(p->corr), csh_count(p->corr), bytes, n, err, err_len);
}

void pl_counts_get(pl *p, pl_counts *out)
{
    sum_counts(p, out);
}

void pl_rule_costs(pl *p, vg_rule_cost *out, size_t n)
{
    for (unsigned i = 0; i < p->n_workers; i++)
        vg_match_rule_costs(p->w[i]->ms, out, n);
}

bool pl_failed(const pl *p)
{
    return p->oom;
}

void pl_close(pl *p)
{
    if (!p)
        return;
    pl_drain(p);
    stop_workers(p);
    pipeline_free(p);
    vg_free(p);
}
