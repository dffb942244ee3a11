/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_daemon.c: `vigil run --config` end to end: events produced to an input topic give
 * the right alerts on the alert topic, as JSON and as protobuf, with their keys and headers;
 * a record that is not an event goes to the dead-letter topic with the reason; SIGHUP with a
 * broken rule keeps the running rules, with a good one adds its rule; SIGTERM exits 0.
 *
 * Services: the mock Kafka broker (or VIGIL_TEST_KAFKA) and a redis-server of the test's own
 * (tests/services/svc.h). The expected alerts come from `vigil run` over the same events in
 * a file: the same rules must fire as often, and correlation alerts (whose ids do not depend
 * on where an event came from) must have the same ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "alert.pb-c.h"
#include "harness.h"
#include "svc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct env {
    svc_kafka k;
    svc_redis r;
    bool up;
    svc_procs procs; /* every vigil started */
} env;

static env g;

#define T(name) svc_topic(&g.k, name)

static const char *const topics[] = {"j-ev:1",     "j-alerts:3", "j-dlq:1",   "p-ev:1",
                                     "p-alerts:2", "h-ev:1",     "h-alerts:1"};

static int setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof(g));
    if (harness_setup("daemon") != 0)
        return -1;
    if (svc_both_start(&g.k, &g.r, topics, (int)(sizeof(topics) / sizeof(topics[0]))) != 0)
        return -1;
    g.up = true;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    svc_procs_end(&g.procs);
    if (g.up)
        svc_both_stop(&g.k, &g.r);
    harness_teardown();
    return 0;
}

/* Write a configuration to <tmp>/<name>.yml; returns its path (static buffer per call). */
static const char *config(const char *name,
                          const char *rules,
                          const char *ev,
                          const char *alerts,
                          const char *dlq,
                          const char *format)
{
    char text[4096];
    snprintf(text, sizeof(text),
             "rules: [\"%s\"]\n"
             "threads: 2\n"
             "kafka:\n  brokers: \"%s\"\n  group: \"%s\"\n"
             "inputs:\n  - topic: %s\n    format: json\n"
             "%s%s%s"
             "alerts:\n  topic: %s\n  format: %s\n"
             "redis:\n  host: 127.0.0.1\n  port: %u\n  key_prefix: \"%s:\"\n"
             "checkpoint:\n  interval: 200ms\n"
             "correlation:\n  lateness: 1d\n"
             "metrics:\n  listen: \"127.0.0.1:0\"\n",
             rules, g.k.bootstrap, name, ev, dlq ? "dead_letter:\n  topic: " : "", dlq ? dlq : "",
             dlq ? "\n" : "", alerts, format, g.r.port, name);
    char file[64];
    snprintf(file, sizeof(file), "%s.yml", name);
    harness_write(file, text);
    static char path[2][512];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof(path[which]), "%s/%s", harness_tmpdir(), file);
    return path[which];
}

static char *slurp_src(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", getenv("VIGIL_SRC"), rel);
    char *s = harness_read_all(p, NULL);
    assert_non_null(s);
    return s;
}

/* The sample traffic as one text, plus one record that is not JSON at the end. */
static char *events_text(void)
{
    char *a = slurp_src("rules/samples/correlation.jsonl");
    char *b = slurp_src("rules/samples/cloudtrail.jsonl");
    char *c = slurp_src("rules/samples/web.jsonl");
    size_t n = strlen(a) + strlen(b) + strlen(c) + 64;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%s%s%s{broken json\n", a, b, c);
    free(a);
    free(b);
    free(c);
    return t;
}

/* "...\"key\":\"VALUE\"..." -> VALUE copied into out. */
static bool json_str(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    if (!p)
        return false;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

typedef struct expect {
    char rules[512][40]; /* rule id of every alert, in any order */
    int n;
    char corr_ids[64][33];
    int n_corr;
} expect;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* What `vigil run` gives over the same events from a file. */
static void reference(const char *text, expect *x)
{
    memset(x, 0, sizeof(*x));
    harness_write("ref.jsonl", text);
    harness_result r = harness_run("run --rules rules/sigma --lateness 1d --input %s/ref.jsonl",
                                   harness_tmpdir());
    assert_int_equal(r.status, 0);
    char *save = NULL;
    for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *rule = strstr(line, "\"rule\":{");
        assert_non_null(rule);
        assert_true(x->n < 512);
        assert_true(json_str(rule, "id", x->rules[x->n], sizeof(x->rules[0])));
        x->n++;
        if (strstr(line, "\"correlation\":{")) {
            assert_true(json_str(line, "id", x->corr_ids[x->n_corr], 33));
            x->n_corr++;
        }
    }
    harness_result_free(&r);
    qsort(x->rules, (size_t)x->n, sizeof(x->rules[0]), cmp_str);
    assert_true(x->n > 10);
    assert_true(x->n_corr >= 3);
}

static bool has_id(const expect *x, const char *id)
{
    for (int i = 0; i < x->n_corr; i++)
        if (strcmp(x->corr_ids[i], id) == 0)
            return true;
    return false;
}

static bool log_has(const char *log, const char *what, int timeout_s)
{
    double end = svc_now() + timeout_s;
    while (svc_now() < end) {
        char *s = harness_read_all(log, NULL);
        bool found = s && strstr(s, what);
        free(s);
        if (found)
            return true;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* GET path from the daemon's metrics endpoint (its port is in its log); the body, or NULL. */
static char *http_get(const char *log, const char *path, int *status)
{
    char *text = harness_read_all(log, NULL);
    const char *p = text ? strstr(text, "\"metrics and health endpoint\"") : NULL;
    p = p ? strstr(p, "\"port\":") : NULL;
    long port = p ? strtol(p + 7, NULL, 10) : 0;
    free(text);
    if (port <= 0 || port > 65535)
        return NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t r;
    while (buf && len < cap && (r = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)r;
    close(fd);
    if (!buf)
        return NULL;
    buf[len] = '\0';
    *status = (int)strtol(buf + (len > 9 ? 9 : len), NULL, 10);
    char *body = strstr(buf, "\r\n\r\n");
    char *out = strdup(body ? body + 4 : "");
    free(buf);
    return out;
}

/* The value of one series in a metrics text ("name{labels} value"), -1 if absent. */
static double metric_value(const char *text, const char *series)
{
    char pat[512];
    snprintf(pat, sizeof(pat), "\n%s ", series);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

static void stop_ok(pid_t pid, const char *log)
{
    int st = svc_vigil_stop(pid, SIGTERM, 60);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *s = harness_read_all(log, NULL);
        print_error("vigil exit status %d; log:\n%s\n", st, s ? s : "");
        free(s);
    }
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_json_alerts_keys_headers_and_dead_letter(void **state)
{
    (void)state;
    char *text = events_text();
    expect x;
    reference(text, &x);
    char rules[512];
    snprintf(rules, sizeof(rules), "%s/rules/sigma", getenv("VIGIL_SRC"));
    const char *cfg = config("j", rules, T("j-ev"), T("j-alerts"), T("j-dlq"), "json");
    char log[512];
    snprintf(log, sizeof(log), "%s/j.log", harness_tmpdir());
    assert_int_equal(svc_kafka_produce_lines(g.k.bootstrap, T("j-ev"), text), 0);
    pid_t pid = svc_procs_add(&g.procs, svc_vigil_start(cfg, log));
    assert_true(pid > 0);
    svc_msg *m = NULL;
    int n = svc_kafka_read(g.k.bootstrap, T("j-alerts"), x.n, 3000, 60000, &m);
    /* what /metrics and /healthz say once the counters are brought up to date */
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    int hs = 0;
    char *health = http_get(log, "/healthz", &hs);
    assert_non_null(health);
    assert_int_equal(hs, 200);
    assert_non_null(strstr(health, "\"status\":\"ok\""));
    assert_non_null(strstr(health, "\"redis\":\"up\""));
    free(health);
    char *metrics = NULL;
    for (int tries = 0; tries < 50; tries++) {
        free(metrics);
        int ms = 0;
        metrics = http_get(log, "/metrics", &ms);
        assert_non_null(metrics);
        assert_int_equal(ms, 200);
        if (metric_value(metrics, "vigil_records_total") == lines)
            break;
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(metric_value(metrics, "vigil_records_total") == lines);
    assert_true(metric_value(metrics, "vigil_events_parsed_total") == lines - 1);
    assert_true(metric_value(metrics, "vigil_events_failed_total{reason=\"parse\"}") == 1);
    assert_true(metric_value(metrics, "vigil_dead_letter_total") == 1);
    assert_true(metric_value(metrics, "vigil_messages_delivery_failed_total") == 0);
    assert_true(metric_value(metrics, "vigil_messages_published_total") == x.n + 1);
    assert_true(metric_value(metrics, "vigil_alerts_total{kind=\"correlation\"}") == x.n_corr);
    assert_true(metric_value(metrics, "vigil_alerts_total{kind=\"detection\"}") == x.n - x.n_corr);
    char series[200];
    snprintf(series, sizeof(series), "vigil_rule_alerts_total{rule=\"%s\"}", x.rules[0]);
    assert_true(metric_value(metrics, series) >= 1);
    snprintf(series, sizeof(series), "vigil_rule_evaluations_total{rule=\"%s\"}", x.rules[0]);
    assert_true(metric_value(metrics, series) >= 1);
    assert_non_null(strstr(metrics, "vigil_checkpoint_duration_seconds_count "));
    /* limits: none was hit here, and each has its counter */
    assert_true(metric_value(metrics, "vigil_correlation_refused_keys_total") == 0);
    assert_true(metric_value(metrics, "vigil_correlation_window_cap_total") == 0);
    double slots = metric_value(metrics, "vigil_checkpoint_slots");
    assert_true(slots >= 0 && slots <= 1024); /* the last checkpoint's changed key slots */
    assert_non_null(strstr(metrics, "vigil_kafka_consumer_lag{topic="));
    free(metrics);
    stop_ok(pid, log);
    assert_int_equal(n, x.n);
    char got[512][40];
    int corr = 0;
    for (int i = 0; i < n; i++) {
        char id[40], rule[40];
        assert_true(json_str(m[i].value, "id", id, sizeof(id)));
        assert_true(json_str(strstr(m[i].value, "\"rule\":{"), "id", rule, sizeof(rule)));
        snprintf(got[i], sizeof(got[i]), "%s", rule);
        assert_string_equal(svc_msg_header(&m[i], "vigil-alert-id"), id);
        assert_string_equal(svc_msg_header(&m[i], "vigil-rule-id"), rule);
        assert_string_equal(svc_msg_header(&m[i], "content-type"), "application/json");
        bool is_corr = strstr(m[i].value, "\"correlation\":{") != NULL;
        assert_string_equal(svc_msg_header(&m[i], "vigil-kind"),
                            is_corr ? "correlation" : "detection");
        /* key: the rule id, then each group value of a correlation on its own line */
        assert_memory_equal(m[i].key, rule, strlen(rule));
        if (is_corr) {
            assert_true(has_id(&x, id));
            assert_int_equal(m[i].key[strlen(rule)], '\n');
            corr++;
        } else {
            assert_int_equal(m[i].key_len, strlen(rule));
            char src[300];
            snprintf(src, sizeof(src), "\"input\":\"kafka:%s/0\"", T("j-ev"));
            assert_non_null(strstr(m[i].value, src));
        }
    }
    assert_int_equal(corr, x.n_corr);
    qsort(got, (size_t)n, sizeof(got[0]), cmp_str);
    for (int i = 0; i < n; i++)
        assert_string_equal(got[i], x.rules[i]);
    svc_msgs_free(m, n);

    n = svc_kafka_read(g.k.bootstrap, T("j-dlq"), 1, 1000, 30000, &m);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].value, "{broken json");
    assert_non_null(strstr(svc_msg_header(&m[0], "vigil-error"), "parse error"));
    assert_string_equal(svc_msg_header(&m[0], "vigil-source-topic"), T("j-ev"));
    assert_string_equal(svc_msg_header(&m[0], "vigil-source-partition"), "0");
    svc_msgs_free(m, n);
    free(text);
}

static void test_protobuf_alerts_decode(void **state)
{
    (void)state;
    char *text = events_text();
    expect x;
    reference(text, &x);
    char rules[512];
    snprintf(rules, sizeof(rules), "%s/rules/sigma", getenv("VIGIL_SRC"));
    const char *cfg = config("p", rules, T("p-ev"), T("p-alerts"), NULL, "protobuf");
    char log[512];
    snprintf(log, sizeof(log), "%s/p.log", harness_tmpdir());
    assert_int_equal(svc_kafka_produce_lines(g.k.bootstrap, T("p-ev"), text), 0);
    pid_t pid = svc_procs_add(&g.procs, svc_vigil_start(cfg, log));
    assert_true(pid > 0);
    svc_msg *m = NULL;
    int n = svc_kafka_read(g.k.bootstrap, T("p-alerts"), x.n, 3000, 60000, &m);
    stop_ok(pid, log);
    assert_int_equal(n, x.n);
    char got[512][40];
    int corr = 0;
    for (int i = 0; i < n; i++) {
        Vigil__Alert *a = vigil__alert__unpack(NULL, m[i].value_len, (const uint8_t *)m[i].value);
        assert_non_null(a);
        assert_int_equal(strlen(a->id), 32);
        assert_string_equal(svc_msg_header(&m[i], "vigil-alert-id"), a->id);
        assert_string_equal(svc_msg_header(&m[i], "vigil-rule-id"), a->rule->id);
        assert_string_equal(svc_msg_header(&m[i], "content-type"), "application/x-protobuf");
        assert_true(a->n_events >= 1);
        snprintf(got[i], sizeof(got[i]), "%s", a->rule->id);
        if (a->correlation) {
            assert_true(has_id(&x, a->id));
            assert_true(a->correlation->n_group >= 1);
            corr++;
        } else {
            char src[300];
            snprintf(src, sizeof(src), "kafka:%s/0", T("p-ev"));
            assert_string_equal(a->events[0]->source->input, src);
            assert_non_null(a->events[0]->fields_json);
        }
        vigil__alert__free_unpacked(a, NULL);
    }
    assert_int_equal(corr, x.n_corr);
    qsort(got, (size_t)n, sizeof(got[0]), cmp_str);
    for (int i = 0; i < n; i++)
        assert_string_equal(got[i], x.rules[i]);
    svc_msgs_free(m, n);
    free(text);
}

static const char rule_a[] = "title: Action A\n"
                             "id: 0b7a6c4e-0000-4000-8000-00000000000a\n"
                             "status: test\n"
                             "level: low\n"
                             "logsource: {product: vigiltest}\n"
                             "detection:\n  sel: {action: a}\n  condition: sel\n";
static const char rule_b[] = "title: Action B\n"
                             "id: 0b7a6c4e-0000-4000-8000-00000000000b\n"
                             "status: test\n"
                             "level: low\n"
                             "logsource: {product: vigiltest}\n"
                             "detection:\n  sel: {action: b}\n  condition: sel\n";
static const char batch[] = "{\"action\":\"a\",\"n\":1}\n{\"action\":\"b\",\"n\":2}\n"
                            "{\"action\":\"a\",\"n\":3}\n{\"action\":\"b\",\"n\":4}\n";

static int count_rule(const svc_msg *m, int n, const char *rule)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += strcmp(svc_msg_header(&m[i], "vigil-rule-id"), rule) == 0;
    return c;
}

static void test_sighup_rejects_broken_rules_and_applies_good_ones(void **state)
{
    (void)state;
    char dir[512], path[600];
    snprintf(dir, sizeof(dir), "%s/hup-rules", harness_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof(path), "%s/a.yml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(rule_a, f);
    fclose(f);
    const char *cfg = config("h", dir, T("h-ev"), T("h-alerts"), NULL, "json");
    char log[512];
    snprintf(log, sizeof(log), "%s/h.log", harness_tmpdir());
    pid_t pid = svc_procs_add(&g.procs, svc_vigil_start(cfg, log));
    assert_true(pid > 0);
    assert_true(log_has(log, "\"running\"", 30));
    assert_int_equal(svc_kafka_produce_lines(g.k.bootstrap, T("h-ev"), batch), 0);
    svc_msg *m = NULL;
    int n = svc_kafka_read(g.k.bootstrap, T("h-alerts"), 2, 1500, 30000, &m);
    assert_int_equal(n, 2);
    svc_msgs_free(m, n);

    /* a broken rule: the reload is rejected, rule A keeps running */
    snprintf(path, sizeof(path), "%s/broken.yml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("title: Broken\nid: 0b7a6c4e-0000-4000-8000-00000000000c\nlogsource: {product: x}\n"
          "detection:\n  sel: {action|nosuchmodifier: a}\n  condition: sel\n",
          f);
    fclose(f);
    kill(pid, SIGHUP);
    assert_true(log_has(log, "reload rejected", 30));
    assert_int_equal(svc_kafka_produce_lines(g.k.bootstrap, T("h-ev"), batch), 0);
    n = svc_kafka_read(g.k.bootstrap, T("h-alerts"), 4, 1500, 30000, &m);
    assert_int_equal(n, 4);
    assert_int_equal(count_rule(m, n, "0b7a6c4e-0000-4000-8000-00000000000a"), 4);
    svc_msgs_free(m, n);

    /* a good rule set: rule B joins without losing an event */
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof(path), "%s/b.yml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(rule_b, f);
    fclose(f);
    kill(pid, SIGHUP);
    assert_true(log_has(log, "rules reloaded", 30));
    assert_int_equal(svc_kafka_produce_lines(g.k.bootstrap, T("h-ev"), batch), 0);
    n = svc_kafka_read(g.k.bootstrap, T("h-alerts"), 8, 1500, 30000, &m);
    stop_ok(pid, log);
    assert_int_equal(n, 8);
    assert_int_equal(count_rule(m, n, "0b7a6c4e-0000-4000-8000-00000000000a"), 6);
    assert_int_equal(count_rule(m, n, "0b7a6c4e-0000-4000-8000-00000000000b"), 2);
    svc_msgs_free(m, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_alerts_keys_headers_and_dead_letter),
            cmocka_unit_test(test_protobuf_alerts_decode),
            cmocka_unit_test(test_sighup_rejects_broken_rules_and_applies_good_ones),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
