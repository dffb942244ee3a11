/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafka.c: the Kafka broker the integration tests use.
 *
 * Against VIGIL_TEST_KAFKA (a real broker's bootstrap list) when it is set, otherwise
 * against vigil_kafka_mock (librdkafka's mock cluster in a process of its own, started by
 * tests/services/svc.c and ended by closing its standard input): a topic of 4 partitions
 * (made by the mock at start, or under a fresh name with the admin API on a real broker),
 * 2,000 keyed messages are produced, and a consumer
 * group reads every one of them exactly once, in order within each partition, and commits; a second
 * consumer of the same group then finds nothing left. Every wait is bounded (30 s).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "svc.h"

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

static svc_kafka g;

static int setup(void **state)
{
    (void)state;
    /* librdkafka's mock answers no CreateTopics: svc makes the topic at the mock's start,
     * or with the admin API on a real broker (VIGIL_TEST_KAFKA) */
    static const char *const topics[] = {"vigil-test:4"};
    return svc_kafka_start(&g, topics, 1);
}

static int teardown(void **state)
{
    (void)state;
    svc_kafka_stop(&g);
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
    double end = svc_now() + wait_s;
    while (got < want && svc_now() < end) {
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
    char topic[300], group[64];
    snprintf(group, sizeof(group), "vigil-group-%d", (int)getpid());
    snprintf(topic, sizeof(topic), "%s", svc_topic(&g, "vigil-test"));
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
