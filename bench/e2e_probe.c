/* SPDX-License-Identifier: Apache-2.0 */
/*
 * e2e_probe.c: the Kafka side of the service benchmark (vigil_e2e_probe, bench/run_e2e.sh).
 *
 * A plain librdkafka consumer (default settings, every partition of a topic assigned from its
 * beginning, no consumer group membership, nothing committed) in three modes:
 *
 *   ceiling BROKERS TOPIC N [TIMEOUT_S]
 *       Reads N messages and does nothing with them: the rate a consumer gets out of this
 *       broker, the ceiling for the service reading the same topic. Checks first that the
 *       topic holds exactly N messages from offset 0 (the mock broker drops the oldest
 *       messages of a partition past its size limit). Prints one line of key=value pairs:
 *       messages, bytes, seconds (from the assignment, which starts fetching, to the last
 *       message), first_s (to the first message), msgs_per_s, mb_per_s (10^6 bytes).
 *   dump BROKERS TOPIC N [TIMEOUT_S]
 *       Reads at least N messages and then on to the end of every partition, and prints each
 *       message's value on a line of its own (alert JSON lines), to standard output.
 *   latency BROKERS INPUT_TOPIC ALERT_TOPIC N_ALERTS [TIMEOUT_S]
 *       Reads the timestamps of every message of INPUT_TOPIC (to the end of every partition),
 *       then N_ALERTS alerts (and on to the end) of ALERT_TOPIC. An alert's latency is its
 *       message timestamp (CreateTime, set by the service's producer) minus the newest
 *       timestamp among the input messages it names ("source":{"input":"kafka:TOPIC/P",
 *       "record":OFFSET}). Prints alerts, resolved, unresolved, and min, mean, p50, p90, p99
 *       and max in milliseconds (nearest rank).
 *
 * Every wait is bounded by TIMEOUT_S (default 300). Exit status: 0 when everything asked for
 * was read, 1 otherwise (a timeout, missing or dropped messages), 2 on a bad command line.
 */
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARTS    4096
#define MAX_OFFSET   100000000LL /* offsets kept per partition for the latency mode */
#define MAX_LINE     (64u << 20) /* longest message value dump prints */
#define META_TIMEOUT 10000

typedef struct probe {
    rd_kafka_t *rk;
    const char *topic;
    int parts;
    bool eof[MAX_PARTS];
    int n_eof;
} probe;

/* Per-partition message timestamps of the input topic, indexed by offset (-1: not seen). */
typedef struct tsmap {
    int64_t *ts[MAX_PARTS];
    int64_t cap[MAX_PARTS];
} tsmap;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: vigil_e2e_probe ceiling BROKERS TOPIC N [TIMEOUT_S]\n"
                    "       vigil_e2e_probe dump BROKERS TOPIC N [TIMEOUT_S]\n"
                    "       vigil_e2e_probe latency BROKERS INPUT_TOPIC ALERT_TOPIC N_ALERTS "
                    "[TIMEOUT_S]\n");
    return 2;
}

/* A decimal number 0..max, the whole string. */
static bool parse_num(const char *s, long long max, long long *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v < 0 || v > max)
        return false;
    *out = v;
    return true;
}

static bool conf_set(rd_kafka_conf_t *c, const char *name, const char *value)
{
    char err[256];
    if (rd_kafka_conf_set(c, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "vigil_e2e_probe: %s: %s\n", name, err);
        return false;
    }
    return true;
}

/* A consumer for topic (its partitions counted, nothing assigned yet). */
static int probe_open(probe *p, const char *brokers, const char *topic)
{
    memset(p, 0, sizeof(*p));
    p->topic = topic;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!conf_set(c, "bootstrap.servers", brokers) || !conf_set(c, "log_level", "3") ||
        !conf_set(c, "group.id", "vigil-e2e-probe") ||
        !conf_set(c, "enable.auto.commit", "false") ||
        !conf_set(c, "enable.partition.eof", "true")) {
        rd_kafka_conf_destroy(c);
        return -1;
    }
    char err[256];
    p->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!p->rk) {
        fprintf(stderr, "vigil_e2e_probe: consumer: %s\n", err);
        return -1;
    }
    rd_kafka_poll_set_consumer(p->rk);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(p->rk, 0, rkt, &md, META_TIMEOUT)
                                : RD_KAFKA_RESP_ERR__INVALID_ARG;
    if (e || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1 ||
        md->topics[0].partition_cnt > MAX_PARTS) {
        fprintf(stderr, "vigil_e2e_probe: %s: no usable metadata (%s)\n", topic,
                e ? rd_kafka_err2str(e)
                  : rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err
                                                        : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        if (md)
            rd_kafka_metadata_destroy(md);
        if (rkt)
            rd_kafka_topic_destroy(rkt);
        return -1;
    }
    p->parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return 0;
}

/* Assigns every partition of the topic from its beginning: fetching starts. */
static int probe_assign(probe *p)
{
    rd_kafka_resp_err_t e;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(p->parts);
    for (int i = 0; i < p->parts; i++)
        rd_kafka_topic_partition_list_add(l, p->topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    e = rd_kafka_assign(p->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        fprintf(stderr, "vigil_e2e_probe: assign %s: %s\n", p->topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static void probe_close(probe *p)
{
    if (!p->rk)
        return;
    rd_kafka_consumer_close(p->rk);
    rd_kafka_destroy(p->rk);
    p->rk = NULL;
}

/*
 * The next message (the caller destroys it), or NULL when none came within 100 ms. End of
 * partition events are consumed here and counted in p->n_eof (a partition counts again once
 * a message of it arrives).
 */
static rd_kafka_message_t *probe_next(probe *p)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(p->rk, 100);
    if (!m)
        return NULL;
    int part = m->partition;
    bool ok_part = part >= 0 && part < p->parts;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (ok_part && !p->eof[part]) {
            p->eof[part] = true;
            p->n_eof++;
        }
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (m->err) {
        fprintf(stderr, "vigil_e2e_probe: %s: %s\n", p->topic, rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (ok_part && p->eof[part]) {
        p->eof[part] = false;
        p->n_eof--;
    }
    return m;
}

static bool probe_at_end(const probe *p)
{
    return p->n_eof == p->parts;
}

/* Messages stored in the topic (sum of high - low watermarks); -1 if any partition has lost
 * its first messages (low watermark above 0) or cannot be asked. */
static long long stored(probe *p, long long *dropped)
{
    long long total = 0;
    *dropped = 0;
    for (int i = 0; i < p->parts; i++) {
        int64_t lo = 0, hi = 0;
        rd_kafka_resp_err_t e =
                rd_kafka_query_watermark_offsets(p->rk, p->topic, i, &lo, &hi, META_TIMEOUT);
        if (e) {
            fprintf(stderr, "vigil_e2e_probe: %s/%d: watermarks: %s\n", p->topic, i,
                    rd_kafka_err2str(e));
            return -1;
        }
        total += hi - lo;
        *dropped += lo;
        if (lo > 0)
            fprintf(stderr, "vigil_e2e_probe: %s/%d: offsets %" PRId64 "..%" PRId64 " kept\n",
                    p->topic, i, lo, hi);
    }
    return total;
}

static int run_ceiling(const char *brokers, const char *topic, long long n, double timeout)
{
    probe p;
    if (probe_open(&p, brokers, topic) != 0) {
        probe_close(&p);
        return 1;
    }
    long long dropped = 0;
    long long have = stored(&p, &dropped);
    if (have < 0 || dropped > 0 || have != n) {
        fprintf(stderr,
                "vigil_e2e_probe: %s holds %lld messages from offset 0 (%lld dropped by the "
                "broker), not %lld: give the topic more partitions\n",
                topic, have, dropped, n);
        probe_close(&p);
        return 1;
    }
    double t0 = now_s(), first = 0, last = 0;
    if (probe_assign(&p) != 0) {
        probe_close(&p);
        return 1;
    }
    long long got = 0, bytes = 0;
    while (got < n && now_s() - t0 < timeout) {
        rd_kafka_message_t *m = probe_next(&p);
        if (!m)
            continue;
        last = now_s();
        if (got == 0)
            first = last;
        got++;
        bytes += (long long)m->len;
        rd_kafka_message_destroy(m);
    }
    probe_close(&p);
    double secs = got > 0 ? last - t0 : 0;
    printf("messages=%lld bytes=%lld seconds=%.3f first_s=%.3f msgs_per_s=%.0f mb_per_s=%.1f\n",
           got, bytes, secs, got ? first - t0 : 0.0, secs > 0 ? (double)got / secs : 0.0,
           secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
    if (got < n) {
        fprintf(stderr, "vigil_e2e_probe: %s: %lld of %lld messages within %.0f s\n", topic, got, n,
                timeout);
        return 1;
    }
    return 0;
}

/* Calls each(m, ud) for at least n messages and on to the end of every partition. Returns
 * the number of messages read, or -1 when fewer than n came within the timeout. */
static long long read_all(probe *p,
                          long long n,
                          double timeout,
                          void (*each)(const rd_kafka_message_t *, void *),
                          void *ud)
{
    double t0 = now_s();
    long long got = 0;
    while (now_s() - t0 < timeout) {
        if (got >= n && probe_at_end(p))
            return got;
        rd_kafka_message_t *m = probe_next(p);
        if (!m)
            continue;
        got++;
        each(m, ud);
        rd_kafka_message_destroy(m);
    }
    fprintf(stderr,
            "vigil_e2e_probe: %s: %lld messages (%lld wanted), %d of %d partitions read to the "
            "end within %.0f s\n",
            p->topic, got, n, p->n_eof, p->parts, timeout);
    return got >= n && probe_at_end(p) ? got : -1;
}

static void print_value(const rd_kafka_message_t *m, void *ud)
{
    (void)ud;
    size_t len = m->len < MAX_LINE ? m->len : MAX_LINE;
    if (len)
        fwrite(m->payload, 1, len, stdout);
    fputc('\n', stdout);
}

static int run_dump(const char *brokers, const char *topic, long long n, double timeout)
{
    probe p;
    int rc = 1;
    if (probe_open(&p, brokers, topic) == 0 && probe_assign(&p) == 0)
        rc = read_all(&p, n, timeout, print_value, NULL) >= 0 ? 0 : 1;
    probe_close(&p);
    fflush(stdout);
    return rc;
}

/* ---- latency ---- */

typedef struct lat_ctx {
    tsmap *in;
    const char *in_topic;
    size_t in_topic_len;
    double *ms; /* one latency per resolved alert */
    long long n_ms, cap_ms;
    long long alerts, unresolved, not_create_time;
    bool oom;
} lat_ctx;

static void store_ts(const rd_kafka_message_t *m, void *ud)
{
    lat_ctx *c = ud;
    tsmap *t = c->in;
    int part = m->partition;
    if (part < 0 || part >= MAX_PARTS || m->offset < 0 || m->offset >= MAX_OFFSET)
        return;
    if (m->offset >= t->cap[part]) {
        int64_t cap = t->cap[part] ? t->cap[part] : 4096;
        while (cap <= m->offset)
            cap *= 2;
        int64_t *v = realloc(t->ts[part], (size_t)cap * sizeof(*v));
        if (!v) {
            c->oom = true;
            return;
        }
        for (int64_t i = t->cap[part]; i < cap; i++)
            v[i] = -1;
        t->ts[part] = v;
        t->cap[part] = cap;
    }
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    t->ts[part][m->offset] = ts;
}

/* The newest input timestamp among the sources an alert (s, NUL-terminated) names; -1 if it
 * names none known. */
static int64_t newest_source(const lat_ctx *c, const char *s)
{
    static const char pat[] = "\"source\":{\"input\":\"kafka:";
    static const char rec[] = "\",\"record\":";
    int64_t best = -1;
    for (const char *q = strstr(s, pat); q; q = strstr(q, pat)) {
        q += sizeof(pat) - 1;
        if (strncmp(q, c->in_topic, c->in_topic_len) != 0 || q[c->in_topic_len] != '/')
            continue;
        q += c->in_topic_len + 1;
        char *end = NULL;
        errno = 0;
        long long part = strtoll(q, &end, 10);
        if (errno || end == q || part < 0 || part >= MAX_PARTS ||
            strncmp(end, rec, sizeof(rec) - 1) != 0)
            continue;
        q = end + sizeof(rec) - 1;
        long long off = strtoll(q, &end, 10);
        if (errno || end == q || off < 0 || off >= c->in->cap[part])
            continue;
        q = end;
        int64_t ts = c->in->ts[part][off];
        if (ts > best)
            best = ts;
    }
    return best;
}

static void alert_latency(const rd_kafka_message_t *m, void *ud)
{
    lat_ctx *c = ud;
    c->alerts++;
    rd_kafka_timestamp_type_t tt;
    int64_t ats = rd_kafka_message_timestamp(m, &tt);
    if (tt != RD_KAFKA_TIMESTAMP_CREATE_TIME)
        c->not_create_time++;
    char *text = malloc(m->len + 1);
    if (!text) {
        c->oom = true;
        return;
    }
    if (m->len)
        memcpy(text, m->payload, m->len);
    text[m->len] = '\0';
    int64_t its = newest_source(c, text);
    free(text);
    if (its < 0 || ats < 0) {
        c->unresolved++;
        return;
    }
    if (c->n_ms == c->cap_ms) {
        long long cap = c->cap_ms ? c->cap_ms * 2 : 1024;
        double *v = realloc(c->ms, (size_t)cap * sizeof(*v));
        if (!v) {
            c->oom = true;
            return;
        }
        c->ms = v;
        c->cap_ms = cap;
    }
    c->ms[c->n_ms++] = (double)(ats - its);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of the values at or below it. */
static double rank(const double *v, long long n, double q)
{
    long long k = (long long)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

static int run_latency(const char *brokers,
                       const char *in_topic,
                       const char *alert_topic,
                       long long n_alerts,
                       double timeout)
{
    tsmap *t = calloc(1, sizeof(*t));
    lat_ctx c;
    memset(&c, 0, sizeof(c));
    c.in = t;
    c.in_topic = in_topic;
    c.in_topic_len = strlen(in_topic);
    int rc = 1;
    probe p;
    memset(&p, 0, sizeof(p));
    double t0 = now_s();
    if (!t || probe_open(&p, brokers, in_topic) != 0 || probe_assign(&p) != 0 ||
        read_all(&p, 0, timeout, store_ts, &c) < 0)
        goto out;
    probe_close(&p);
    double left = timeout - (now_s() - t0);
    if (c.oom || left <= 0 || probe_open(&p, brokers, alert_topic) != 0 || probe_assign(&p) != 0 ||
        read_all(&p, n_alerts, left, alert_latency, &c) < 0 || c.oom)
        goto out;
    qsort(c.ms, (size_t)c.n_ms, sizeof(*c.ms), cmp_double);
    double sum = 0;
    for (long long i = 0; i < c.n_ms; i++)
        sum += c.ms[i];
    if (c.n_ms > 0)
        printf("alerts=%lld resolved=%lld unresolved=%lld min_ms=%.0f mean_ms=%.0f p50_ms=%.0f "
               "p90_ms=%.0f p99_ms=%.0f max_ms=%.0f\n",
               c.alerts, c.n_ms, c.unresolved, c.ms[0], sum / (double)c.n_ms,
               rank(c.ms, c.n_ms, 0.5), rank(c.ms, c.n_ms, 0.9), rank(c.ms, c.n_ms, 0.99),
               c.ms[c.n_ms - 1]);
    else
        printf("alerts=%lld resolved=0 unresolved=%lld\n", c.alerts, c.unresolved);
    if (c.not_create_time)
        fprintf(stderr, "vigil_e2e_probe: %lld alerts without a CreateTime timestamp\n",
                c.not_create_time);
    rc = c.unresolved == 0 && c.n_ms > 0 ? 0 : 1;
out:
    if (c.oom)
        fprintf(stderr, "vigil_e2e_probe: out of memory\n");
    probe_close(&p);
    for (int i = 0; t && i < MAX_PARTS; i++)
        free(t->ts[i]);
    free(t);
    free(c.ms);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    long long n = 0, timeout = 300;
    const char *mode = argv[1];
    if (strcmp(mode, "ceiling") == 0 || strcmp(mode, "dump") == 0) {
        if (argc < 5 || argc > 6 || !parse_num(argv[4], 1000000000000LL, &n) ||
            (argc == 6 && (!parse_num(argv[5], 86400, &timeout) || timeout < 1)))
            return usage();
        return mode[0] == 'c' ? run_ceiling(argv[2], argv[3], n, (double)timeout)
                              : run_dump(argv[2], argv[3], n, (double)timeout);
    }
    if (strcmp(mode, "latency") == 0) {
        if (argc < 6 || argc > 7 || !parse_num(argv[5], 1000000000000LL, &n) ||
            (argc == 7 && (!parse_num(argv[6], 86400, &timeout) || timeout < 1)))
            return usage();
        return run_latency(argv[2], argv[3], argv[4], n, (double)timeout);
    }
    return usage();
}
