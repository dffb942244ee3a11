/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_daemon_faults.c: the service loses no alert and publishes none twice when it is
 * killed, restarted or cut off from Redis while events stream in.
 *
 * The traffic is a correlation scenario with known ground truth (bench vigil_gen_corr:
 * 200,000 events, an attack planted every 1,000, whose events share a "scenario" key so they
 * stay in order on one partition). `vigil replay` produces it to a 24-partition topic at a
 * fixed rate while the service runs; each case injects its fault mid-stream:
 *   - kill -9 at 5 random moments, restarting each time;
 *   - SIGTERM mid-stream and a restart (a graceful restart);
 *   - Redis stopped for 10 s mid-stream, then started again (same data);
 *   - the Kafka broker down for 10 s mid-stream (the mock's brokers refuse connections),
 *     then back with its data (skipped on a real broker);
 *   - Redis refusing writes (out of memory) for 6 s;
 *   - Redis slow: stopped 700 ms out of every second for 8 s;
 *   - a standby: a second process of the same group waits while the first owns the
 *     checkpoint's lease; the first is killed (-9) and the standby takes over;
 *   - Redis losing its data (FLUSHALL): the next checkpoint finds the stored one gone and
 *     writes every key slot again; then kill -9, so that the restart loads that rewrite.
 * The service runs two correlator shards (the uninterrupted run, one). The alert topic must
 * then hold exactly the alerts of an uninterrupted run over the same events (`vigil run` over the
 * file; the scenario's alerts are all correlation alerts, whose ids do not depend on where an event
 * came from): 0 lost, 0 duplicated.
 *
 * Random moments come from VIGIL_TEST_SEED when set, else the clock; the seed is printed.
 * VIGIL_TEST_ONLY=<test name> runs one case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "svc.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_EVENTS    "200000"
#define PLANT_EVERY "1000"
#define RATE        "20000" /* events/s: the stream lasts about 10 s */

typedef struct env {
    svc_kafka k;
    svc_redis r;
    bool up;
    char events[512];
    char ids[1024][33]; /* the uninterrupted run's alert ids, sorted */
    int n_ids;
    uint64_t rng;
    svc_procs procs; /* every vigil and replay started */
} env;

static env g;

static const char *const topics[] = {"k9-ev:24", "k9-alerts:4", "st-ev:24", "st-alerts:4",
                                     "rd-ev:24", "rd-alerts:4", "kd-ev:24", "kd-alerts:4",
                                     "om-ev:24", "om-alerts:4", "sl-ev:24", "sl-alerts:4",
                                     "sb-ev:24", "sb-alerts:4", "fl-ev:24", "fl-alerts:4"};

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static uint64_t next_rand(void)
{
    g.rng ^= g.rng << 13;
    g.rng ^= g.rng >> 7;
    g.rng ^= g.rng << 17;
    return g.rng;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof(g));
    const char *seed = getenv("VIGIL_TEST_SEED");
    g.rng = seed ? strtoull(seed, NULL, 10) : (uint64_t)time(NULL);
    if (!g.rng)
        g.rng = 1;
    fprintf(stderr, "test_daemon_faults: VIGIL_TEST_SEED=%llu\n", (unsigned long long)g.rng);
    const char *gen = getenv("VIGIL_GEN_CORR");
    if (!gen || harness_setup("faults") != 0)
        return -1;
    snprintf(g.events, sizeof(g.events), "%s/events.jsonl", harness_tmpdir());
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' %s '%s' '%s/truth.tsv' %s 2>/dev/null", gen, N_EVENTS,
             g.events, harness_tmpdir(), PLANT_EVERY);
    if (system(cmd) != 0)
        return -1;
    /* the uninterrupted run */
    harness_result r = harness_run("run --rules rules/sigma --lateness 1d --input %s", g.events);
    if (r.status != 0)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(r.out, "\n", &save); line && g.n_ids < 1024;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "{\"id\":\"", 7) != 0)
            return -1;
        memcpy(g.ids[g.n_ids], line + 7, 32);
        g.ids[g.n_ids][32] = '\0';
        g.n_ids++;
    }
    harness_result_free(&r);
    qsort(g.ids, (size_t)g.n_ids, sizeof(g.ids[0]), cmp_id);
    fprintf(stderr, "test_daemon_faults: %d alerts in the uninterrupted run\n", g.n_ids);
    if (g.n_ids < 150)
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

typedef struct run {
    char name[16], ev[80], alerts[80];
    char cfg[512], log[512];
    pid_t vigil, replay;
} run;

static void run_start(run *x, const char *name)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->name, sizeof(x->name), "%s", name);
    snprintf(x->ev, sizeof(x->ev), "%s-ev%s", name, g.k.suffix);
    snprintf(x->alerts, sizeof(x->alerts), "%s-alerts%s", name, g.k.suffix);
    char text[2048];
    snprintf(text, sizeof(text),
             "rules: [\"%s/rules/sigma\"]\nthreads: 2\n"
             "kafka:\n  brokers: \"%s\"\n  group: \"%s\"\n"
             "  properties:\n    session.timeout.ms: 6000\n    heartbeat.interval.ms: 500\n"
             "inputs:\n  - topic: %s\n    format: json\n"
             "alerts:\n  topic: %s\n"
             "redis:\n  host: 127.0.0.1\n  port: %u\n  key_prefix: \"%s:\"\n  timeout: 500ms\n"
             "checkpoint:\n  interval: 200ms\n  lease: 2s\n"
             "correlation:\n  lateness: 1d\n  shards: 2\n"
             "metrics:\n  listen: \"off\"\n",
             getenv("VIGIL_SRC"), g.k.bootstrap, name, x->ev, x->alerts, g.r.port, name);
    char file[64];
    snprintf(file, sizeof(file), "%s.yml", name);
    harness_write(file, text);
    snprintf(x->cfg, sizeof(x->cfg), "%s/%s", harness_tmpdir(), file);
    snprintf(x->log, sizeof(x->log), "%s/%s.log", harness_tmpdir(), name);
    char rlog[512];
    snprintf(rlog, sizeof(rlog), "%s/%s-replay.log", harness_tmpdir(), name);
    /* unkeyed records spread evenly (no sticky batches): a backlog after an outage must not
     * pile onto a few partitions past the mock's per-partition caps */
    const char *args[] = {"replay",      g.events,     "--brokers",
                          g.k.bootstrap, "--topic",    x->ev,
                          "--rate",      RATE,         "--key-field",
                          "scenario",    "--property", "sticky.partitioning.linger.ms=0",
                          "--quiet",     NULL};
    x->replay = svc_procs_add(&g.procs, svc_vigil_spawn(args, rlog));
    assert_true(x->replay > 0);
    x->vigil = svc_procs_add(&g.procs, svc_vigil_start(x->cfg, x->log));
    assert_true(x->vigil > 0);
}

static void print_log(const char *log)
{
    char *s = harness_read_all(log, NULL);
    size_t n = s ? strlen(s) : 0;
    print_error("--- %s (last 6000 bytes) ---\n%s\n", log, s ? s + (n > 6000 ? n - 6000 : 0) : "");
    free(s);
}

/* Wait for the replay, let the service catch up, stop it, and compare the alert topic
 * with the uninterrupted run. */
static void run_finish(run *x)
{
    int st = 0;
    assert_int_equal(waitpid(x->replay, &st, 0), x->replay);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char rlog[512];
        snprintf(rlog, sizeof(rlog), "%s/%s-replay.log", harness_tmpdir(), x->name);
        print_log(rlog);
    }
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* the input is whole: the mock broker dropped none of it */
    assert_int_equal(svc_kafka_dropped(g.k.bootstrap, x->ev), 0);
    svc_msg *m = NULL;
    int n = svc_kafka_read(g.k.bootstrap, x->alerts, g.n_ids, 4000, 120000, &m);
    st = svc_vigil_stop(x->vigil, SIGTERM, 60);
    if (n != g.n_ids || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        print_log(x->log);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* nothing more after the stop either */
    svc_msgs_free(m, n);
    n = svc_kafka_read(g.k.bootstrap, x->alerts, g.n_ids, 1000, 60000, &m);
    char(*got)[33] = calloc((size_t)(n > 0 ? n : 1), 33);
    assert_non_null(got);
    for (int i = 0; i < n; i++) {
        const char *id = svc_msg_header(&m[i], "vigil-alert-id");
        assert_non_null(id);
        snprintf(got[i], 33, "%s", id);
    }
    qsort(got, (size_t)n, 33, cmp_id);
    int dup = 0, lost = 0, extra = 0;
    for (int i = 1; i < n; i++)
        dup += strcmp(got[i], got[i - 1]) == 0;
    for (int i = 0, j = 0; i < g.n_ids || j < n;) {
        int c = i == g.n_ids ? 1 : j == n ? -1 : strcmp(g.ids[i], got[j]);
        if (c == 0) {
            i++;
            j++;
        } else if (c < 0) {
            lost++;
            i++;
        } else {
            if (j == 0 || strcmp(got[j], got[j - 1]) != 0)
                extra++;
            j++;
        }
    }
    /* how the restarts went: checkpoints restored, and outbox messages found already out */
    char *logtext = harness_read_all(x->log, NULL);
    int restores = 0;
    unsigned long long found = 0;
    for (const char *p = logtext; p && (p = strstr(p, "\"already_published\":")) != NULL;) {
        p += strlen("\"already_published\":");
        found += strtoull(p, NULL, 10);
        restores++;
    }
    free(logtext);
    fprintf(stderr,
            "test_daemon_faults: %s: %d checkpoints restored, %llu saved alerts found already "
            "published\n",
            x->name, restores, found);
    fprintf(stderr,
            "test_daemon_faults: %s: %d alerts published, %d expected: %d lost, %d "
            "duplicated, %d unexpected\n",
            x->name, n, g.n_ids, lost, dup, extra);
    if (lost || dup || extra)
        print_log(x->log);
    assert_int_equal(lost, 0);
    assert_int_equal(dup, 0);
    assert_int_equal(extra, 0);
    assert_int_equal(n, g.n_ids);
    free(got);
    svc_msgs_free(m, n);
}

/* Times `what` occurs in the log. */
static int log_count(const char *log, const char *what)
{
    char *s = harness_read_all(log, NULL);
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    free(s);
    return n;
}

/* Wait (60 s at most) until the log says `what` more than `seen` times. */
static void log_wait(const char *log, const char *what, int seen)
{
    double end = svc_now() + 60;
    while (log_count(log, what) <= seen && svc_now() < end)
        sleep_s(0.05);
    if (log_count(log, what) <= seen) {
        print_error("waited 60 s for '%s' in %s\n", what, log);
        print_log(log);
    }
    assert_true(log_count(log, what) > seen);
}

static void test_kill9_five_times(void **state)
{
    (void)state;
    run x;
    run_start(&x, "k9");
    for (int i = 0; i < 5; i++) {
        /* a random moment once this instance reads input */
        log_wait(x.log, "partitions assigned", i);
        double wait = 0.1 + (double)(next_rand() % 1500) / 1000.0; /* 0.1 .. 1.6 s */
        sleep_s(wait);
        kill(x.vigil, SIGKILL);
        int st;
        waitpid(x.vigil, &st, 0);
        fprintf(stderr, "test_daemon_faults: kill -9 %.2f s after the assignment\n", wait);
        x.vigil = svc_procs_add(&g.procs, svc_vigil_start(x.cfg, x.log));
        assert_true(x.vigil > 0);
    }
    run_finish(&x);
}

static void test_sigterm_restart(void **state)
{
    (void)state;
    run x;
    run_start(&x, "st");
    log_wait(x.log, "partitions assigned", 0);
    sleep_s(0.5 + (double)(next_rand() % 3000) / 1000.0);
    int st = svc_vigil_stop(x.vigil, SIGTERM, 60);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    x.vigil = svc_procs_add(&g.procs, svc_vigil_start(x.cfg, x.log));
    assert_true(x.vigil > 0);
    run_finish(&x);
}

static void test_redis_down_10s(void **state)
{
    (void)state;
    run x;
    run_start(&x, "rd");
    log_wait(x.log, "partitions assigned", 0);
    sleep_s(0.5 + (double)(next_rand() % 2000) / 1000.0);
    assert_int_equal(svc_redis_pause(&g.r), 0);
    sleep_s(10.0);
    assert_int_equal(svc_redis_restart(&g.r), 0);
    /* the service stayed up through it */
    int st = 0;
    pid_t gone = waitpid(x.vigil, &st, WNOHANG);
    if (gone != 0) {
        print_error("vigil ended while Redis was down: wait status %d\n", st);
        print_log(x.log);
    }
    assert_int_equal(gone, 0);
    run_finish(&x);
}

static void alive(run *x, const char *what)
{
    int st = 0;
    pid_t gone = waitpid(x->vigil, &st, WNOHANG);
    if (gone != 0) {
        print_error("vigil ended while %s: wait status %d\n", what, st);
        print_log(x->log);
    }
    assert_int_equal(gone, 0);
}

/* Redis refuses writes (out of memory) for 6 s, then takes them again. */
static void test_redis_oom(void **state)
{
    (void)state;
    run x;
    run_start(&x, "om");
    log_wait(x.log, "partitions assigned", 0);
    sleep_s(0.5 + (double)(next_rand() % 2000) / 1000.0);
    assert_int_equal(svc_redis_cmd(&g.r, "CONFIG SET maxmemory-policy noeviction"), 0);
    assert_int_equal(svc_redis_cmd(&g.r, "CONFIG SET maxmemory 1mb"), 0);
    sleep_s(6.0);
    assert_int_equal(svc_redis_cmd(&g.r, "CONFIG SET maxmemory 0"), 0);
    alive(&x, "Redis refused writes");
    run_finish(&x);
    /* the refusals were seen and reported, not passed over */
    char *text = harness_read_all(x.log, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "checkpoint failed: redis"));
    assert_non_null(strstr(text, "checkpoints resumed"));
    free(text);
}

/* Redis answers slowly: stopped 700 ms out of every second for 8 s (vigil's Redis timeout is
 * 500 ms). */
static void test_redis_slow(void **state)
{
    (void)state;
    run x;
    run_start(&x, "sl");
    log_wait(x.log, "partitions assigned", 0);
    sleep_s(0.5 + (double)(next_rand() % 2000) / 1000.0);
    for (int i = 0; i < 8; i++) {
        kill(g.r.pid, SIGSTOP);
        sleep_s(0.7);
        kill(g.r.pid, SIGCONT);
        sleep_s(0.3);
    }
    alive(&x, "Redis was slow");
    run_finish(&x);
    char *text = harness_read_all(x.log, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "checkpoint failed: redis")); /* the timeouts were seen */
    free(text);
}

static void test_kafka_down_10s(void **state)
{
    (void)state;
    if (g.k.real)
        skip(); /* a real broker is not ours to stop */
    run x;
    run_start(&x, "kd");
    log_wait(x.log, "partitions assigned", 0);
    sleep_s(0.5 + (double)(next_rand() % 2000) / 1000.0);
    assert_int_equal(svc_kafka_outage(&g.k, true), 0);
    sleep_s(10.0);
    assert_int_equal(svc_kafka_outage(&g.k, false), 0);
    int st = 0;
    pid_t gone = waitpid(x.vigil, &st, WNOHANG);
    if (gone != 0) {
        print_error("vigil ended while the broker was down: wait status %d\n", st);
        print_log(x.log);
    }
    assert_int_equal(gone, 0);
    run_finish(&x);
}

static void test_standby_takes_over(void **state)
{
    (void)state;
    run x;
    run_start(&x, "sb");
    char blog[512];
    snprintf(blog, sizeof(blog), "%s/sb-standby.log", harness_tmpdir());
    log_wait(x.log, "partitions assigned", 0);
    pid_t standby = svc_procs_add(&g.procs, svc_vigil_start(x.cfg, blog));
    assert_true(standby > 0);
    log_wait(blog, "standby: another process owns the checkpoint", 0);
    /* the standby reads nothing while it waits */
    assert_int_equal(log_count(blog, "partitions assigned"), 0);
    double wait = 0.5 + (double)(next_rand() % 2000) / 1000.0;
    sleep_s(wait);
    kill(x.vigil, SIGKILL);
    int st;
    waitpid(x.vigil, &st, 0);
    fprintf(stderr, "test_daemon_faults: owner killed (-9) %.2f s after the standby started\n",
            wait);
    double t0 = svc_now();
    log_wait(blog, "lease taken", 0);
    fprintf(stderr, "test_daemon_faults: the standby took the lease %.2f s after the kill\n",
            svc_now() - t0);
    x.vigil = standby;
    snprintf(x.log, sizeof(x.log), "%s", blog);
    run_finish(&x);
}

static void test_redis_loses_its_data(void **state)
{
    (void)state;
    run x;
    run_start(&x, "fl");
    log_wait(x.log, "partitions assigned", 0);
    sleep_s(0.5 + (double)(next_rand() % 1500) / 1000.0);
    assert_int_equal(svc_redis_cmd(&g.r, "FLUSHALL"), 0);
    log_wait(x.log, "checkpoint: every slot is written again", 0);
    sleep_s(1.0 + (double)(next_rand() % 1000) / 1000.0); /* checkpoints every 200 ms */
    kill(x.vigil, SIGKILL);
    int st;
    waitpid(x.vigil, &st, 0);
    x.vigil = svc_procs_add(&g.procs, svc_vigil_start(x.cfg, x.log));
    assert_true(x.vigil > 0);
    run_finish(&x);
    assert_true(log_count(x.log, "\"msg\":\"checkpoint restored\"") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kill9_five_times),   cmocka_unit_test(test_sigterm_restart),
            cmocka_unit_test(test_redis_down_10s),     cmocka_unit_test(test_kafka_down_10s),
            cmocka_unit_test(test_redis_oom),          cmocka_unit_test(test_redis_slow),
            cmocka_unit_test(test_standby_takes_over), cmocka_unit_test(test_redis_loses_its_data),
    };
    const char *only = getenv("VIGIL_TEST_ONLY"); /* e.g. test_kafka_down_10s */
    if (only && only[0])
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, setup, teardown);
}
