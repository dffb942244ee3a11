/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafka.c: the Kafka broker the integration tests use.
 *
 * Against VIGIL_TEST_KAFKA (a real broker's bootstrap list) when it is set, otherwise
 * against vigil_kafka_mock (librdkafka's mock cluster in a process of its own, started here
 * and ended by closing its standard input): a topic of 4 partitions (made by the mock at
 * start, or with the admin API on a real broker), 2,000 keyed messages are produced, and a consumer
 * group reads every one of them exactly once, in order within each partition, and commits; a second
 * consumer of the same group then finds nothing left. Every wait is bounded (30 s).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_MSGS  2000
#define N_PARTS 4

typedef struct broker {
    char bootstrap[512];
    pid_t pid; /* the mock's, 0 for a real broker */
    int stdin_fd;
} broker;

static broker g;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
    (void)state;
    memset(&g, 0, sizeof(g));
    const char *real = getenv("VIGIL_TEST_KAFKA");
    if (real && real[0]) {
        snprintf(g.bootstrap, sizeof(g.bootstrap), "%s", real);
        return 0;
    }
    const char *mock = getenv("VIGIL_KAFKA_MOCK");
    if (!mock)
        return -1;
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
        return -1;
    g.pid = fork();
    if (g.pid < 0)
        return -1;
    if (g.pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[1]);
        close(out[0]);
        /* librdkafka's mock answers no CreateTopics: the topic is made at start */
        execl(mock, mock, "--topic", "vigil-test:4", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    g.stdin_fd = in[1];
    FILE *f = fdopen(out[0], "r");
    char line[500];
    if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "bootstrap=", 10) != 0)
        return -1;
    line[strcspn(line, "\n")] = '\0';
    snprintf(g.bootstrap, sizeof(g.bootstrap), "%s", line + 10);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g.pid > 0) {
        close(g.stdin_fd); /* the mock ends when its standard input closes */
        int st;
        for (int i = 0; i < 100; i++) {
            if (waitpid(g.pid, &st, WNOHANG) == g.pid)
                return 0;
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(g.pid, SIGTERM);
        waitpid(g.pid, &st, 0);
    }
    return 0;
}

static rd_kafka_conf_t *conf_new(void)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", g.bootstrap, err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
    return c;
}

static void create_topic(const char *topic)
{
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf_new(), err, sizeof(err));
    assert_non_null(rk);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, N_PARTS, 1, err, sizeof(err));
    assert_non_null(nt);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    assert_non_null(ev);
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    assert_non_null(res);
    size_t n;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
    assert_int_equal(n, 1);
    if (rd_kafka_topic_result_error(tr[0]))
        print_error("create %s: %s\n", topic, rd_kafka_topic_result_error_string(tr[0]));
    assert_int_equal(rd_kafka_topic_result_error(tr[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

static void produce(const char *topic)
{
    char err[256];
    rd_kafka_conf_t *c = conf_new();
    rd_kafka_conf_set(c, "enable.idempotence", "true", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    assert_non_null(rk);
    for (int i = 0; i < N_MSGS; i++) {
        char key[32], val[32];
        int kl = snprintf(key, sizeof(key), "host-%d", i % 37);
        int vl = snprintf(val, sizeof(val), "%d", i);
        rd_kafka_resp_err_t e;
        do {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)kl),
                                  RD_KAFKA_V_VALUE(val, (size_t)vl),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(rk, 100);
        } while (e == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    assert_int_equal(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
}

/* Consume until `want` messages arrived or `wait_s` passed; seen[i] counts message i.
 * Within a key (so within its partition) the messages must come in the order produced. */
static int consume(const char *topic, const char *group, int want, double wait_s, int *seen)
{
    char err[256];
    rd_kafka_conf_t *c = conf_new();
    rd_kafka_conf_set(c, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(c, "auto.offset.reset", "earliest", err, sizeof(err));
    rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(sub);
    long last_of_key[37];
    for (int k = 0; k < 37; k++)
        last_of_key[k] = -1;
    int got = 0, out_of_order = 0;
    double end = now_s() + wait_s;
    while (got < want && now_s() < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (!m->err && m->payload && m->len < 16) {
            char buf[16];
            memcpy(buf, m->payload, m->len);
            buf[m->len] = '\0';
            long i = strtol(buf, NULL, 10);
            if (i >= 0 && i < N_MSGS) {
                seen[i]++;
                got++;
                if (i <= last_of_key[i % 37])
                    out_of_order++;
                last_of_key[i % 37] = i;
            }
        }
        rd_kafka_message_destroy(m);
    }
    if (got > 0)
        assert_int_equal(rd_kafka_commit(rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    assert_int_equal(out_of_order, 0);
    return got;
}

static void test_kafka_consumer_group_reads_everything_once(void **state)
{
    (void)state;
    char topic[64], group[64];
    snprintf(group, sizeof(group), "vigil-group-%d", (int)getpid());
    if (g.pid > 0) {
        snprintf(topic, sizeof(topic), "vigil-test");
    } else {
        snprintf(topic, sizeof(topic), "vigil-test-%d-%ld", (int)getpid(), (long)time(NULL));
        create_topic(topic);
    }
    produce(topic);
    int *seen = calloc(N_MSGS, sizeof(int));
    assert_non_null(seen);
    int got = consume(topic, group, N_MSGS, 30.0, seen);
    assert_int_equal(got, N_MSGS);
    for (int i = 0; i < N_MSGS; i++)
        assert_int_equal(seen[i], 1);
    /* the group committed: a new member finds nothing left */
    memset(seen, 0, N_MSGS * sizeof(int));
    assert_int_equal(consume(topic, group, 1, 5.0, seen), 0);
    free(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_kafka_consumer_group_reads_everything_once),
    };
    return cmocka_run_group_tests_name("integration/kafka", tests, setup, teardown);
}
