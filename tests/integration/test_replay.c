/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_replay.c: `vigil replay` end to end, the binary against a Kafka broker (the mock of
 * tests/services, or VIGIL_TEST_KAFKA).
 *
 *  - rules/samples/web.jsonl (JSON) and rules/samples/linux.log (syslog) are replayed; a
 *    consumer assigned every partition from the beginning finds every record exactly once
 *    with identical bytes, and the summary line's counts agree;
 *  - with --key-field the message key is the field's value (no key when a record lacks it)
 *    and the records of one key arrive in file order;
 *  - several files and stdin in one run; --rate and --speedup deliver everything too, and
 *    take at least the time their pacing asks for (a lower bound only);
 *  - oversized records are reported with file:line, counted as skipped, not sent: exit 1;
 *  - usage errors exit 2 with a message; an unreachable broker fails within a bounded time
 *    with exit 1 and every record counted as failed.
 * Every wait is bounded (30 s for consuming).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "svc.h"
#include "vigil/event.h"
#include "vigil/parse.h"

#define N_PARTS   4
#define MAX_RECS  256
#define N_TOPICS  6
#define MAX_FILES 4
#define WAIT_S    30.0
#define EXTRA_S   1.0 /* after the last expected message: time for a duplicate to show */

static svc_kafka g_kafka;
static char g_topics[N_TOPICS][128];

enum {
    T_WEB,
    T_SYSLOG,
    T_MULTI,
    T_OVERSIZE,
    T_RATE,
    T_SPEEDUP
};

/* ---- expected records: the lines of a file ---- */

typedef struct rec {
    const char *p;
    size_t len;
} rec;

typedef struct recs {
    char *data[MAX_FILES];
    size_t n_data;
    rec v[MAX_RECS];
    size_t n;
} recs;

/* Lines of a file (or of several appended), without newlines, blank lines left out. */
static void recs_add_file(recs *r, const char *path)
{
    char full[512];
    if (path[0] == '/')
        snprintf(full, sizeof(full), "%s", path);
    else
        snprintf(full, sizeof(full), "%s/%s", getenv("VIGIL_SRC"), path);
    size_t len = 0;
    char *d = harness_read_all(full, &len);
    assert_non_null(d);
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(d + at, '\n', len - at);
        size_t e = nl ? (size_t)(nl - d) : len;
        size_t l = e - at;
        if (l > 0 && d[at + l - 1] == '\r')
            l--;
        if (l > 0) {
            assert_true(r->n < MAX_RECS);
            r->v[r->n++] = (rec){d + at, l};
        }
        at = e + 1;
    }
    assert_true(r->n_data < MAX_FILES);
    r->data[r->n_data++] = d; /* the spans point into it */
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n_data; i++)
        free(r->data[i]);
    memset(r, 0, sizeof(*r));
}

/* ---- consuming ---- */

typedef struct msg {
    char *val, *key; /* key NULL: no key */
    size_t val_len, key_len;
    int32_t part;
} msg;

typedef struct msgs {
    msg v[MAX_RECS * 2];
    size_t n;
} msgs;

static void msgs_free(msgs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].val);
        free(m->v[i].key);
    }
    m->n = 0;
}

static char *dup_bytes(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

/* Every message of topic, partitions assigned from the beginning, until want arrived (then
 * EXTRA_S longer, for duplicates) or WAIT_S passed. */
static void consume(const char *topic, size_t want, msgs *out)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", g_kafka.bootstrap, err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    char group[64];
    snprintf(group, sizeof(group), "replay-test-%d", (int)getpid());
    rd_kafka_conf_set(c, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(N_PARTS);
    for (int p = 0; p < N_PARTS; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);
    out->n = 0;
    double end = svc_now() + WAIT_S, extra_end = 0;
    for (;;) {
        double now = svc_now();
        if (now > end || (extra_end > 0 && now > extra_end))
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err && out->n < MAX_RECS * 2) {
            msg *g = &out->v[out->n++];
            g->val = dup_bytes(m->payload, m->len);
            g->val_len = m->len;
            g->key = m->key ? dup_bytes(m->key, m->key_len) : NULL;
            g->key_len = m->key_len;
            g->part = m->partition;
            if (out->n == want)
                extra_end = svc_now() + EXTRA_S;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Every expected record arrived exactly once with identical bytes, and nothing else.
 * idx_out[i]: the record index of message i. */
static void assert_exactly_once(const recs *r, const msgs *m, size_t *idx_out)
{
    int seen[MAX_RECS] = {0};
    for (size_t i = 0; i < m->n; i++) {
        size_t found = MAX_RECS;
        for (size_t k = 0; k < r->n && found == MAX_RECS; k++)
            if (!seen[k] && r->v[k].len == m->v[i].val_len &&
                memcmp(r->v[k].p, m->v[i].val, r->v[k].len) == 0)
                found = k;
        if (found == MAX_RECS)
            fail_msg("message %zu (%.*s) is no record, or a duplicate", i,
                     (int)(m->v[i].val_len > 80 ? 80 : m->v[i].val_len), m->v[i].val);
        seen[found]++;
        if (idx_out)
            idx_out[i] = found;
    }
    assert_int_equal(m->n, r->n);
    for (size_t k = 0; k < r->n; k++)
        assert_int_equal(seen[k], 1);
}

/* The key vigil should give a record: the field's text, as the engine reads it. */
static bool
expected_key(vg_format fmt, const rec *rc, const char *field, vg_span *key, vg_event *ev)
{
    vg_event_reset(ev);
    if (vg_parse(fmt, ev, rc->p, rc->len, NULL, NULL) != VG_OK || vg_event_index(ev) != VG_OK)
        return false;
    return vg_event_scalar_text(ev, vg_event_resolve(ev, field, strlen(field)), key);
}

/* Keys as the engine reads them, and per key the records in file order. */
static void assert_keys_and_order(
        const recs *r, const msgs *m, const size_t *idx, vg_format fmt, const char *field)
{
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    size_t keyed = 0;
    for (size_t i = 0; i < m->n; i++) {
        vg_span want;
        if (expected_key(fmt, &r->v[idx[i]], field, &want, ev)) {
            assert_non_null(m->v[i].key);
            assert_int_equal(m->v[i].key_len, want.len);
            assert_memory_equal(m->v[i].key, want.p, want.len);
            keyed++;
        } else {
            assert_null(m->v[i].key);
        }
    }
    assert_true(keyed > 0);
    vg_event_free(ev);
    /* within a key: one partition, and the order of the file */
    for (size_t i = 0; i < m->n; i++) {
        if (!m->v[i].key)
            continue;
        for (size_t j = i + 1; j < m->n; j++) {
            if (!m->v[j].key || m->v[j].key_len != m->v[i].key_len ||
                memcmp(m->v[j].key, m->v[i].key, m->v[i].key_len) != 0)
                continue;
            assert_int_equal(m->v[j].part, m->v[i].part);
            if (idx[j] < idx[i])
                fail_msg("key %s: record %zu arrived after record %zu", m->v[i].key, idx[i],
                         idx[j]);
        }
    }
}

/* ---- the summary line ---- */

typedef struct summary {
    unsigned long long sent, bytes, failed, skipped;
} summary;

static summary parse_summary(const char *err)
{
    const char *s = strstr(err, "records sent,");
    if (!s)
        fail_msg("no summary line in: %s", err);
    while (s > err && s[-1] != '\n' && s[-1] != '\r')
        s--;
    summary sm;
    double secs, rate;
    int n = sscanf(s,
                   "vigil replay: %llu records sent, %llu bytes, %lf s, %lf records/s; %llu "
                   "failed, %llu skipped",
                   &sm.sent, &sm.bytes, &secs, &rate, &sm.failed, &sm.skipped);
    if (n != 6)
        fail_msg("summary line not understood: %s", s);
    return sm;
}

static unsigned long long recs_bytes(const recs *r)
{
    unsigned long long b = 0;
    for (size_t i = 0; i < r->n; i++)
        b += r->v[i].len;
    return b;
}

static harness_result replay(const char *topic, const char *args)
{
    return harness_run("replay --brokers %s --topic %s %s", g_kafka.bootstrap, topic, args);
}

static void assert_all_sent(const harness_result *h, const recs *r)
{
    if (h->status != 0)
        fail_msg("exit %d: %s", h->status, h->err);
    summary sm = parse_summary(h->err);
    assert_int_equal(sm.sent, r->n);
    assert_int_equal(sm.bytes, recs_bytes(r));
    assert_int_equal(sm.failed, 0);
    assert_int_equal(sm.skipped, 0);
}

/* ---- tests ---- */

static void test_replay_json_keyed(void **state)
{
    (void)state;
    static recs r;
    static msgs m;
    memset(&r, 0, sizeof(r));
    recs_add_file(&r, "rules/samples/web.jsonl");
    harness_result h = replay(g_topics[T_WEB], "rules/samples/web.jsonl --key-field c-ip");
    assert_all_sent(&h, &r);
    harness_result_free(&h);
    consume(g_topics[T_WEB], r.n, &m);
    size_t idx[MAX_RECS * 2];
    assert_exactly_once(&r, &m, idx);
    assert_keys_and_order(&r, &m, idx, VG_FMT_JSON, "c-ip");
    msgs_free(&m);
    recs_free(&r);
}

static void test_replay_syslog_keyed(void **state)
{
    (void)state;
    static recs r;
    static msgs m;
    memset(&r, 0, sizeof(r));
    recs_add_file(&r, "rules/samples/linux.log");
    harness_result h =
            replay(g_topics[T_SYSLOG], "rules/samples/linux.log --format syslog --key-field host");
    assert_all_sent(&h, &r);
    harness_result_free(&h);
    consume(g_topics[T_SYSLOG], r.n, &m);
    size_t idx[MAX_RECS * 2];
    assert_exactly_once(&r, &m, idx);
    assert_keys_and_order(&r, &m, idx, VG_FMT_SYSLOG, "host");
    msgs_free(&m);
    recs_free(&r);
}

static void test_replay_files_and_stdin(void **state)
{
    (void)state;
    static recs r;
    static msgs m;
    memset(&r, 0, sizeof(r));
    recs_add_file(&r, "rules/samples/web.jsonl");
    recs_add_file(&r, "rules/samples/linux.log");
    harness_result h =
            replay(g_topics[T_MULTI], "-q rules/samples/web.jsonl - < rules/samples/linux.log");
    assert_all_sent(&h, &r);
    harness_result_free(&h);
    consume(g_topics[T_MULTI], r.n, &m);
    assert_exactly_once(&r, &m, NULL);
    for (size_t i = 0; i < m.n; i++)
        assert_null(m.v[i].key); /* no --key-field: no key */
    msgs_free(&m);
    recs_free(&r);
}

static void test_replay_oversize_skipped(void **state)
{
    (void)state;
    char big[201];
    memset(big, 'x', 200);
    big[200] = '\0';
    char text[400];
    snprintf(text, sizeof(text), "{\"n\":1}\n{\"big\":\"%s\"}\n{\"n\":3}\n", big);
    harness_write("over.jsonl", text);
    char path[300];
    snprintf(path, sizeof(path), "%s/over.jsonl", harness_tmpdir());
    char args[400];
    snprintf(args, sizeof(args), "%s --max-record 64", path);
    harness_result h = replay(g_topics[T_OVERSIZE], args);
    assert_int_equal(h.status, 1);
    char where[400];
    snprintf(where, sizeof(where), "%s:2: record 1 (byte 8): record too large", path);
    if (!strstr(h.err, where))
        fail_msg("no report '%s' in: %s", where, h.err);
    summary sm = parse_summary(h.err);
    assert_int_equal(sm.sent, 2);
    assert_int_equal(sm.skipped, 1);
    assert_int_equal(sm.failed, 0);
    harness_result_free(&h);
    static recs r;
    static msgs m;
    memset(&r, 0, sizeof(r));
    r.v[0] = (rec){"{\"n\":1}", 7};
    r.v[1] = (rec){"{\"n\":3}", 7};
    r.n = 2;
    consume(g_topics[T_OVERSIZE], r.n, &m);
    assert_exactly_once(&r, &m, NULL);
    msgs_free(&m);
}

static void test_replay_paced(void **state)
{
    (void)state;
    static recs r;
    static msgs m;
    memset(&r, 0, sizeof(r));
    recs_add_file(&r, "rules/samples/web.jsonl");
    /* 42 records at 100/s: the last is due 0.41 s after the first */
    double t0 = svc_now();
    harness_result h = replay(g_topics[T_RATE], "rules/samples/web.jsonl --rate 100");
    double took = svc_now() - t0;
    assert_all_sent(&h, &r);
    harness_result_free(&h);
    assert_true(took >= 0.35);
    consume(g_topics[T_RATE], r.n, &m);
    assert_exactly_once(&r, &m, NULL);
    msgs_free(&m);
    recs_free(&r);

    /* recorded timing: 0 s, 1 s, (no time), 2 s at 10x: at least 0.2 s */
    harness_write("timed.jsonl", "{\"@timestamp\":\"2026-11-24T07:30:00Z\",\"n\":1}\n"
                                 "{\"@timestamp\":\"2026-11-24T07:30:01Z\",\"n\":2}\n"
                                 "{\"n\":3}\n"
                                 "{\"@timestamp\":\"2026-11-24T07:30:02Z\",\"n\":4}\n");
    char path[300], args[400];
    snprintf(path, sizeof(path), "%s/timed.jsonl", harness_tmpdir());
    snprintf(args, sizeof(args), "%s --speedup 10 --time-field @timestamp", path);
    recs_add_file(&r, path);
    t0 = svc_now();
    h = replay(g_topics[T_SPEEDUP], args);
    took = svc_now() - t0;
    assert_all_sent(&h, &r);
    harness_result_free(&h);
    assert_true(took >= 0.19);
    consume(g_topics[T_SPEEDUP], r.n, &m);
    assert_exactly_once(&r, &m, NULL);
    msgs_free(&m);
    recs_free(&r);
}

static void test_replay_usage_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args, *says;
    } cases[] = {
            {"replay rules/samples/web.jsonl --brokers 127.0.0.1:9092", "no topic given"},
            {"replay rules/samples/web.jsonl --topic t", "no brokers given"},
            {"replay --brokers 127.0.0.1:9092 --topic t", "no input given"},
            {"replay rules/samples/web.jsonl --brokers 127.0.0.1:9092 --topic t --rate 10 "
             "--speedup 2",
             "--rate and --speedup exclude each other"},
            {"replay rules/samples/web.jsonl --brokers 127.0.0.1:9092 --topic t --rate 0",
             "--rate takes"},
            {"replay rules/samples/web.jsonl --brokers 127.0.0.1:9092 --topic t --property x",
             "--property takes KEY=VALUE"},
            {"replay rules/samples/web.jsonl --brokers 127.0.0.1:9092 --topic t --property "
             "no.such.property=1",
             "no.such.property"},
            {"replay rules/samples/web.jsonl --brokers 127.0.0.1:9092 --topic t --bogus",
             "unknown option"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        harness_result h = harness_run("%s", cases[i].args);
        if (h.status != 2 || !strstr(h.err, cases[i].says))
            fail_msg("'%s': exit %d, stderr: %s", cases[i].args, h.status, h.err);
        harness_result_free(&h);
    }
    harness_result h = harness_run("help replay");
    assert_int_equal(h.status, 0);
    assert_non_null(strstr(h.out, "--key-field"));
    assert_non_null(strstr(h.out, "Examples:"));
    harness_result_free(&h);
}

static void test_replay_bad_broker(void **state)
{
    (void)state;
    double t0 = svc_now();
    harness_result h = harness_run("replay rules/samples/web.jsonl --brokers 127.0.0.1:1 --topic t "
                                   "--property message.timeout.ms=1500");
    double took = svc_now() - t0;
    assert_int_equal(h.status, 1);
    assert_true(took < 30.0);
    summary sm = parse_summary(h.err);
    assert_int_equal(sm.sent, 0);
    assert_int_equal(sm.failed, 42);
    assert_non_null(strstr(h.err, "rules/samples/web.jsonl:1: not delivered"));
    harness_result_free(&h);
}

static int setup(void **state)
{
    (void)state;
    if (harness_setup("replay") != 0)
        return -1;
    static const char *const names[N_TOPICS] = {"replay-web",  "replay-syslog", "replay-multi",
                                                "replay-over", "replay-rate",   "replay-speedup"};
    const char *specs[N_TOPICS];
    static char spec_buf[N_TOPICS][160];
    for (int i = 0; i < N_TOPICS; i++) {
        snprintf(spec_buf[i], sizeof(spec_buf[i]), "%s:%d", names[i], N_PARTS);
        specs[i] = spec_buf[i];
    }
    if (svc_kafka_start(&g_kafka, specs, N_TOPICS) != 0)
        return -1;
    /* a real broker keeps topics: svc gives them a fresh name per run */
    for (int i = 0; i < N_TOPICS; i++)
        snprintf(g_topics[i], sizeof(g_topics[i]), "%s", svc_topic(&g_kafka, names[i]));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    svc_kafka_stop(&g_kafka);
    return harness_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_replay_json_keyed),
            cmocka_unit_test(test_replay_syslog_keyed),
            cmocka_unit_test(test_replay_files_and_stdin),
            cmocka_unit_test(test_replay_oversize_skipped),
            cmocka_unit_test(test_replay_paced),
            cmocka_unit_test(test_replay_usage_errors),
            cmocka_unit_test(test_replay_bad_broker),
    };
    return cmocka_run_group_tests_name("integration/replay", tests, setup, teardown);
}
