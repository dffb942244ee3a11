/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_replay.c: `vigil replay`: recorded events from files or stdin produced to a Kafka
 * topic, so vigil can be measured under replayed traffic.
 *
 * Records are framed exactly as `vigil run` frames them (input.h); each becomes one
 * message whose value is the record's bytes, unchanged. Records that cannot be framed or
 * are over --max-record are reported with file:line, counted as skipped and not sent.
 * A record is parsed (vg_parse) only when its event time (--speedup) or a key field
 * (--key-field) is needed; a record that does not parse is still sent, without a time
 * (at once) and without a key.
 *
 * Pacing (replay_pace.h): none, a fixed --rate, or the recorded timing sped up by
 * --speedup. While waiting, the producer is polled so delivery reports keep flowing.
 *
 * Producer: librdkafka, idempotent, acks=all, linger.ms=5, its queue capped at 64 MiB
 * (every default can be overridden with --property). A full queue is back-pressure: poll
 * and retry, so memory stays bounded. Delivery reports count what was delivered and what
 * failed; at the end the queue is flushed for at most 60 s, and whatever is left then is
 * purged and counted as failed.
 *
 * Output on stderr: problem reports (capped), a progress line rewritten in place every
 * 0.5 s when stderr is a terminal, and one summary line at the end.
 *
 * Thread: one thread (librdkafka runs its own threads; the callbacks here run inside
 * rd_kafka_poll/rd_kafka_flush on this thread).
 */
#include "cli.h"
#include "units.h"
#include "input.h"
#include "replay_pace.h"
#include "vigil/alert.h"
#include "vigil/event.h"
#include "vigil/parse.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES        256
#define MAX_PROPS        64
#define MAX_REPORTS      100   /* per input: records reported one by one */
#define MAX_FAIL_REPORTS 10    /* delivery failures reported one by one */
#define MAX_KAFKA_ERRORS 10    /* client errors (broker down, ...) reported */
#define FLUSH_MS         60000 /* bounded wait for the last deliveries */
#define PROGRESS_NS      500000000LL
#define WAIT_SLICE_NS    50000000LL /* longest sleep between producer polls */
#define LINE_BITS        48         /* delivery opaque: input index << 48 | line */

static const char replay_help[] =
        "Usage: vigil replay FILE... --brokers LIST --topic NAME [OPTIONS]\n"
        "\n"
        "Produce recorded events to a Kafka topic, one message per record, to run vigil\n"
        "under replayed traffic. FILE may be '-' for standard input. Records are framed as\n"
        "'vigil run' frames them and sent unchanged as the message value. Records that\n"
        "cannot be framed or are over --max-record are reported with FILE:LINE, counted as\n"
        "skipped and not sent.\n"
        "\n"
        "Kafka:\n"
        "  --brokers LIST           bootstrap servers, HOST:PORT[,HOST:PORT...] (required)\n"
        "  --topic NAME             the topic to produce to (required)\n"
        "  --key-field NAME         message key: that field's value in each record (read as\n"
        "                           rules read fields: exact path, then unique leaf name),\n"
        "                           so records of one key keep their order on one\n"
        "                           partition. Records without it get no key. Default: no\n"
        "                           key\n"
        "  --property KEY=VALUE     a librdkafka producer property, e.g.\n"
        "                           compression.type=lz4; may be repeated; overrides the\n"
        "                           defaults enable.idempotence=true, acks=all, linger.ms=5,\n"
        "                           queue.buffering.max.kbytes=65536\n"
        "\n"
        "Pacing (default: as fast as the broker takes the records):\n"
        "  --rate EPS               a fixed rate of EPS records per second (may be a\n"
        "                           fraction, e.g. 0.5), evenly spaced\n"
        "  --speedup X              the recorded timing: each record goes at its event time\n"
        "                           relative to the first record's, divided by X (1: real\n"
        "                           time, 10: ten times faster). Records without a time go\n"
        "                           at once. Excludes --rate\n"
        "  --time-field NAME        with --speedup: the field holding the event time\n"
        "                           (default: the first of @timestamp, Event.System.\n"
        "                           TimeCreated.#attributes.SystemTime, TimeCreated,\n"
        "                           UtcTime, timestamp, eventTime, EventTime, time that\n"
        "                           parses)\n"
        "\n"
        "Input:\n"
        "  --format FMT             auto (default), json, syslog or raw, as for 'vigil run'\n"
        "  --max-record BYTES       largest record sent (default 4194304; Kafka's own\n"
        "                           message.max.bytes also applies)\n"
        "\n"
        "Other options:\n"
        "  -q, --quiet              no progress line and no per-record reports (the summary\n"
        "                           and its counts stay)\n"
        "  -h, --help               show this help\n"
        "\n"
        "On a terminal a progress line shows records sent, the current rate, megabytes sent\n"
        "and, for regular files, the time left. At the end one summary line gives records\n"
        "sent, bytes, seconds, rate, failed and skipped records. Exit status: 0 when every\n"
        "record was delivered, 1 when any failed or was skipped (or an input could not be\n"
        "read), 2 for a bad command line.\n"
        "\n"
        "Examples:\n"
        "  vigil replay rules/samples/web.jsonl --brokers localhost:9092 --topic events\n"
        "  vigil replay day1.log day2.log --format syslog --brokers kafka1:9092,kafka2:9092 \\\n"
        "      --topic syslog --speedup 60 --key-field host\n"
        "  zcat events.jsonl.gz | vigil replay - --brokers localhost:9092 --topic events \\\n"
        "      --rate 20000 --property compression.type=lz4\n";

typedef struct replay_opts {
    const char *files[MAX_FILES];
    size_t n_files;
    const char *props[MAX_PROPS];
    size_t n_props;
    const char *brokers, *topic, *time_field, *key_field;
    vg_format fmt;
    replay_pace_mode pace;
    double pace_value;
    uint64_t max_record;
    bool quiet;
} replay_opts;

/* One replay's state: the callbacks get it as their opaque. */
typedef struct replay {
    const replay_opts *o;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    vg_event *ev; /* NULL when no record needs parsing */
    replay_pace *pace;
    bool tty;      /* progress line on stderr */
    bool progress; /* a progress line is on screen */
    bool fatal;    /* the producer hit a fatal error: stop producing */
    int64_t start_ns, last_ns;
    uint64_t last_sent;
    uint64_t total_bytes;        /* of every input; 0: unknown (stdin, a pipe) */
    uint64_t read_done;          /* bytes of the inputs finished */
    uint64_t read_pos;           /* bytes read, all inputs */
    uint64_t produced, reported; /* records given to the producer; delivery reports had */
    uint64_t sent, sent_bytes, failed, skipped, io_errors;
    uint64_t fail_shown, kafka_errors_shown;
} replay;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* "1.5", "20000" -> a finite number in (0, max]; false otherwise. */
static bool parse_positive(const char *s, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || !(v > 0) || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- output on stderr ---- */

static void progress_clear(replay *r)
{
    if (r->progress) {
        fputs("\r\033[K", stderr);
        r->progress = false;
    }
}

/* The progress line, at most every 0.5 s (force: now). */
static void progress_tick(replay *r, bool force)
{
    if (!r->tty)
        return;
    int64_t now = now_ns();
    if (!force && now - r->last_ns < PROGRESS_NS)
        return;
    double dt = (double)(now - r->last_ns) / 1e9;
    double rate = dt > 0 ? (double)(r->sent - r->last_sent) / dt : 0;
    r->last_ns = now;
    r->last_sent = r->sent;
    char eta[48] = "";
    double elapsed = (double)(now - r->start_ns) / 1e9;
    if (r->total_bytes > 0 && r->read_pos > 0 && elapsed > 0) {
        double left = (double)(r->total_bytes > r->read_pos ? r->total_bytes - r->read_pos : 0);
        double secs = left / ((double)r->read_pos / elapsed);
        if (secs < 1e7) {
            long s = lround(secs);
            snprintf(eta, sizeof(eta), ", %.0f%%, ETA %ld:%02ld:%02ld",
                     100.0 * (double)r->read_pos / (double)r->total_bytes, s / 3600, (s / 60) % 60,
                     s % 60);
        }
    }
    fprintf(stderr, "\rvigil replay: %llu sent, %.0f/s, %.1f MB%s%s\033[K",
            (unsigned long long)r->sent, rate, (double)r->sent_bytes / 1e6, eta,
            r->failed ? " (failures)" : "");
    fflush(stderr);
    r->progress = true;
}

static void
report_record(replay *r, const char *path, const input_rec *rec, uint64_t *shown, const char *what)
{
    if (r->o->quiet)
        return;
    if (*shown < MAX_REPORTS) {
        progress_clear(r);
        fprintf(stderr, "vigil replay: %s:%llu: record %llu (byte %llu): %s\n", path,
                (unsigned long long)rec->line, (unsigned long long)rec->index,
                (unsigned long long)rec->offset, what);
    } else if (*shown == MAX_REPORTS) {
        progress_clear(r);
        fprintf(stderr, "vigil replay: %s: more records skipped; not reporting them one by one\n",
                path);
    }
    (*shown)++;
}

/* ---- librdkafka callbacks (run inside rd_kafka_poll / rd_kafka_flush) ---- */

static void report_failure(replay *r, void *msg_opaque, const char *why)
{
    r->failed++;
    if (r->o->quiet)
        return;
    if (r->fail_shown < MAX_FAIL_REPORTS) {
        progress_clear(r);
        uint64_t tag = (uint64_t)(uintptr_t)msg_opaque;
        uint64_t file = tag >> LINE_BITS, line = tag & ((1ULL << LINE_BITS) - 1);
        if (tag && file < r->o->n_files)
            fprintf(stderr, "vigil replay: %s:%llu: not delivered: %s\n", r->o->files[file],
                    (unsigned long long)line, why);
        else
            fprintf(stderr, "vigil replay: a record was not delivered: %s\n", why);
    } else if (r->fail_shown == MAX_FAIL_REPORTS) {
        progress_clear(r);
        fputs("vigil replay: more records not delivered; not reporting them one by one\n", stderr);
    }
    r->fail_shown++;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    replay *r = opaque;
    r->reported++;
    if (m->err) {
        report_failure(r, m->_private, rd_kafka_err2str(m->err));
        return;
    }
    r->sent++;
    r->sent_bytes += m->len;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    replay *r = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_fatal_error(rk, why, sizeof(why));
        r->fatal = true;
        progress_clear(r);
        fprintf(stderr, "vigil replay: fatal producer error, stopping: %s\n", why);
        return;
    }
    if (r->kafka_errors_shown < MAX_KAFKA_ERRORS) {
        progress_clear(r);
        fprintf(stderr, "vigil replay: kafka: %s\n", reason);
    } else if (r->kafka_errors_shown == MAX_KAFKA_ERRORS) {
        progress_clear(r);
        fputs("vigil replay: kafka: more client errors; not reporting them\n", stderr);
    }
    r->kafka_errors_shown++;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* errors reach on_error; the client's log lines would only repeat them */
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

/* ---- the producer ---- */

static bool conf_set(rd_kafka_conf_t *c, const char *key, const char *val)
{
    char err[512];
    if (rd_kafka_conf_set(c, key, val, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "vigil replay: %s=%s: %s\n", key, val, err);
        return false;
    }
    return true;
}

/* CLI_OK, or CLI_USAGE (a bad property) / CLI_FAILED with a message. */
static int producer_open(replay *r)
{
    const replay_opts *o = r->o;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    bool ok = conf_set(c, "bootstrap.servers", o->brokers) &&
              conf_set(c, "enable.idempotence", "true") && conf_set(c, "acks", "all") &&
              conf_set(c, "linger.ms", "5") && conf_set(c, "queue.buffering.max.kbytes", "65536");
    for (size_t i = 0; ok && i < o->n_props; i++) {
        const char *eq = strchr(o->props[i], '=');
        char key[256];
        size_t kl = (size_t)(eq - o->props[i]);
        if (kl >= sizeof(key)) {
            fprintf(stderr, "vigil replay: --property %s: name too long\n", o->props[i]);
            ok = false;
            break;
        }
        memcpy(key, o->props[i], kl);
        key[kl] = '\0';
        ok = conf_set(c, key, eq + 1);
    }
    if (!ok) {
        rd_kafka_conf_destroy(c);
        return CLI_USAGE;
    }
    rd_kafka_conf_set_opaque(c, r);
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_conf_set_error_cb(c, on_error);
    rd_kafka_conf_set_log_cb(c, on_log);
    char err[512];
    r->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!r->rk) {
        fprintf(stderr, "vigil replay: cannot create the producer: %s\n", err);
        return CLI_FAILED; /* rd_kafka_new freed c */
    }
    r->rkt = rd_kafka_topic_new(r->rk, o->topic, NULL);
    if (!r->rkt) {
        fprintf(stderr, "vigil replay: topic '%s': %s\n", o->topic,
                rd_kafka_err2str(rd_kafka_last_error()));
        return CLI_FAILED;
    }
    return CLI_OK;
}

/* Wait until due (monotonic ns), serving delivery reports and the progress line. */
static void wait_until(replay *r, int64_t due)
{
    for (;;) {
        rd_kafka_poll(r->rk, 0);
        progress_tick(r, false);
        int64_t left = due - now_ns();
        if (left <= 0 || r->fatal)
            return;
        sleep_ns(left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS);
    }
}

/* Produce one record; a full queue waits for room (back-pressure). */
static void produce(replay *r, size_t file, const input_rec *rec, const vg_span *key)
{
    uint64_t tag = rec->line < (1ULL << LINE_BITS) && sizeof(uintptr_t) >= 8
                           ? (uint64_t)file << LINE_BITS | rec->line
                           : 0;
    for (;;) {
        int rc = rd_kafka_produce(r->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                  (void *)rec->p, rec->len, key ? key->p : NULL, key ? key->len : 0,
                                  (void *)(uintptr_t)tag);
        if (rc == 0) {
            r->produced++;
            rd_kafka_poll(r->rk, 0);
            return;
        }
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && !r->fatal) {
            rd_kafka_poll(r->rk, 50);
            progress_tick(r, false);
            continue;
        }
        if (e == RD_KAFKA_RESP_ERR__FATAL)
            r->fatal = true;
        report_failure(r, (void *)(uintptr_t)tag, rd_kafka_err2str(e));
        return;
    }
}

/* Bounded wait for the last deliveries; what is left is purged and counted as failed. */
static void producer_finish(replay *r)
{
    int64_t end = now_ns() + (int64_t)FLUSH_MS * 1000000LL;
    while (rd_kafka_outq_len(r->rk) > 0 && now_ns() < end && !r->fatal) {
        rd_kafka_flush(r->rk, 200);
        progress_tick(r, false);
    }
    if (rd_kafka_outq_len(r->rk) > 0) {
        rd_kafka_purge(r->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(r->rk, 5000); /* serves the purged messages' reports */
    }
    rd_kafka_poll(r->rk, 0);
    /* anything still unaccounted for was not delivered */
    if (r->produced > r->reported)
        r->failed += r->produced - r->reported;
}

/* ---- reading ---- */

/* The key and time of a record, when they are needed; *key NULL: no key. */
static void record_meta(replay *r,
                        const input_rec *rec,
                        vg_span *key_buf,
                        const vg_span **key,
                        bool *has_time,
                        int64_t *time_ms)
{
    *key = NULL;
    *has_time = false;
    if (!r->ev)
        return;
    vg_event_reset(r->ev);
    if (vg_parse(r->o->fmt, r->ev, rec->p, rec->len, NULL, NULL) != VG_OK ||
        vg_event_index(r->ev) != VG_OK)
        return; /* sent all the same: at once, without a key */
    const replay_opts *o = r->o;
    if (o->key_field &&
        vg_event_scalar_text(r->ev, vg_event_resolve(r->ev, o->key_field, strlen(o->key_field)),
                             key_buf))
        *key = key_buf;
    if (o->pace == REPLAY_PACE_SPEEDUP)
        *has_time = o->time_field ? vg_event_time_field(r->ev, o->time_field, time_ms)
                                  : vg_event_time(r->ev, time_ms);
}

static void replay_file(replay *r, size_t file)
{
    const char *path = r->o->files[file];
    input *in = input_open(path, r->o->fmt, (size_t)r->o->max_record);
    if (!in) {
        progress_clear(r);
        fprintf(stderr, "vigil replay: cannot open '%s': %s\n", path, strerror(errno));
        r->io_errors++;
        return;
    }
    uint64_t shown = 0, pos = 0;
    input_rec rec;
    for (input_kind k; !r->fatal && (k = input_next(in, &rec)) != INPUT_EOF;) {
        if (k == INPUT_ERROR) {
            progress_clear(r);
            fprintf(stderr, "vigil replay: error reading '%s': %s\n", path,
                    strerror(input_errno(in)));
            r->io_errors++;
            break;
        }
        pos = rec.offset + rec.len;
        r->read_pos = r->read_done + pos;
        if (k == INPUT_OVERSIZE || k == INPUT_UNFRAMED) {
            char what[96];
            if (k == INPUT_OVERSIZE)
                snprintf(what, sizeof(what), "record too large: larger than --max-record %llu",
                         (unsigned long long)r->o->max_record);
            else
                snprintf(what, sizeof(what),
                         "unterminated record: the value opened on this line does not close as "
                         "valid JSON");
            r->skipped++;
            report_record(r, path, &rec, &shown, what);
            continue;
        }
        vg_span key_buf;
        const vg_span *key;
        bool has_time;
        int64_t t = 0;
        record_meta(r, &rec, &key_buf, &key, &has_time, &t);
        wait_until(r, replay_pace_due(r->pace, now_ns(), has_time, t));
        if (r->fatal)
            break;
        produce(r, file, &rec, key);
    }
    input_close(in);
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
        pos = (uint64_t)st.st_size;
    r->read_done += pos;
    r->read_pos = r->read_done;
}

/* The bytes of all inputs when every one is a regular file; 0 otherwise. */
static uint64_t total_bytes(const replay_opts *o)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < o->n_files; i++) {
        struct stat st;
        if (strcmp(o->files[i], "-") == 0 || stat(o->files[i], &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
        sum += (uint64_t)st.st_size;
    }
    return sum;
}

static int replay_run(const replay_opts *o)
{
    replay r;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.tty = !o->quiet && isatty(STDERR_FILENO);
    r.pace = replay_pace_new(o->pace, o->pace_value);
    if (!r.pace) {
        fputs("vigil replay: out of memory\n", stderr);
        return CLI_FAILED;
    }
    if (o->key_field || o->pace == REPLAY_PACE_SPEEDUP) {
        vg_event_limits lim = {0, 0, (size_t)o->max_record * 4 + (1u << 20)};
        lim.max_nodes = 65536;
        lim.max_depth = 64;
        r.ev = vg_event_new(&lim);
        if (!r.ev) {
            replay_pace_free(r.pace);
            fputs("vigil replay: out of memory\n", stderr);
            return CLI_FAILED;
        }
    }
    int status = producer_open(&r);
    if (status == CLI_OK) {
        r.total_bytes = total_bytes(o);
        r.start_ns = r.last_ns = now_ns();
        for (size_t i = 0; i < o->n_files && !r.fatal; i++)
            replay_file(&r, i);
        producer_finish(&r);
        double secs = (double)(now_ns() - r.start_ns) / 1e9;
        progress_clear(&r);
        fprintf(stderr,
                "vigil replay: %llu records sent, %llu bytes, %.3f s, %.0f records/s; %llu "
                "failed, %llu skipped\n",
                (unsigned long long)r.sent, (unsigned long long)r.sent_bytes, secs,
                secs > 0 ? (double)r.sent / secs : 0.0, (unsigned long long)r.failed,
                (unsigned long long)r.skipped);
        status = r.failed || r.skipped || r.io_errors || r.fatal ? CLI_FAILED : CLI_OK;
    }
    if (r.rkt)
        rd_kafka_topic_destroy(r.rkt);
    if (r.rk)
        rd_kafka_destroy(r.rk);
    vg_event_free(r.ev);
    replay_pace_free(r.pace);
    return status;
}

/* ---- options ---- */

int cli_replay(int argc, char **argv)
{
    replay_opts o;
    memset(&o, 0, sizeof(o));
    o.fmt = VG_FMT_AUTO;
    o.pace = REPLAY_PACE_NONE;
    o.max_record = 4u << 20;
    bool has_rate = false, has_speedup = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o.n_files == MAX_FILES) {
                fprintf(stderr, "vigil replay: too many files (at most %d)\n", MAX_FILES);
                return CLI_USAGE;
            }
            o.files[o.n_files++] = a;
            continue;
        }
        const char *val = NULL;
        cli_arg arg;
        cli_arg_init(&arg, a);
#define OPT(name) cli_arg_is(&arg, name)
#define VALUE()   CLI_ARG_VALUE(arg, val, "vigil replay")
        if (OPT("-h") || OPT("--help")) {
            fputs(replay_help, stdout);
            return CLI_OK;
        } else if (OPT("--brokers")) {
            VALUE();
            o.brokers = val;
        } else if (OPT("--topic")) {
            VALUE();
            o.topic = val;
        } else if (OPT("--format") || OPT("-f")) {
            VALUE();
            if (!vg_format_from_str(val, &o.fmt)) {
                fprintf(stderr, "vigil replay: unknown format '%s' (auto, json, syslog, raw)\n",
                        val);
                return CLI_USAGE;
            }
        } else if (OPT("--rate")) {
            VALUE();
            if (!parse_positive(val, 1e9, &o.pace_value)) {
                fprintf(stderr,
                        "vigil replay: --rate takes records per second, a number > 0, not "
                        "'%s'\n",
                        val);
                return CLI_USAGE;
            }
            o.pace = REPLAY_PACE_RATE;
            has_rate = true;
        } else if (OPT("--speedup")) {
            VALUE();
            if (!parse_positive(val, 1e9, &o.pace_value)) {
                fprintf(stderr, "vigil replay: --speedup takes a factor > 0, not '%s'\n", val);
                return CLI_USAGE;
            }
            o.pace = REPLAY_PACE_SPEEDUP;
            has_speedup = true;
        } else if (OPT("--time-field")) {
            VALUE();
            o.time_field = val[0] ? val : NULL;
        } else if (OPT("--key-field")) {
            VALUE();
            o.key_field = val[0] ? val : NULL;
        } else if (OPT("--property")) {
            VALUE();
            const char *peq = strchr(val, '=');
            if (!peq || peq == val) {
                fprintf(stderr, "vigil replay: --property takes KEY=VALUE, not '%s'\n", val);
                return CLI_USAGE;
            }
            if (o.n_props == MAX_PROPS) {
                fprintf(stderr, "vigil replay: too many --property options (at most %d)\n",
                        MAX_PROPS);
                return CLI_USAGE;
            }
            o.props[o.n_props++] = val;
        } else if (OPT("--max-record")) {
            VALUE();
            if (!units_size(val, &o.max_record) || o.max_record < 64 ||
                o.max_record > (uint64_t)1 << 31) {
                fprintf(stderr, "vigil replay: --max-record must be 64..2147483648\n");
                return CLI_USAGE;
            }
        } else if (OPT("-q") || OPT("--quiet")) {
            o.quiet = true;
        } else {
            fprintf(stderr, "vigil replay: unknown option '%s' (see vigil replay --help)\n", a);
            return CLI_USAGE;
        }
#undef OPT
#undef VALUE
    }
    if (has_rate && has_speedup) {
        fprintf(stderr, "vigil replay: --rate and --speedup exclude each other: give one\n");
        return CLI_USAGE;
    }
    if (o.time_field && !has_speedup) {
        fprintf(stderr, "vigil replay: --time-field applies only with --speedup\n");
        return CLI_USAGE;
    }
    if (o.n_files == 0) {
        fprintf(stderr, "vigil replay: no input given: name FILEs, or - for standard input "
                        "(see vigil replay --help)\n");
        return CLI_USAGE;
    }
    if (!o.brokers || !o.brokers[0]) {
        fprintf(stderr, "vigil replay: no brokers given: use --brokers HOST:PORT\n");
        return CLI_USAGE;
    }
    if (!o.topic || !o.topic[0]) {
        fprintf(stderr, "vigil replay: no topic given: use --topic NAME\n");
        return CLI_USAGE;
    }
    return replay_run(&o);
}
