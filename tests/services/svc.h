/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svc.h: the services tests need, started and stopped by the tests themselves.
 *
 *   - svc_kafka: VIGIL_TEST_KAFKA (a real broker's bootstrap list) when set, otherwise
 *     vigil_kafka_mock (librdkafka's mock cluster in a process of ours) on 127.0.0.1; the
 *     mock ends when its standard input closes, so it never outlives the test.
 *   - svc_redis: a redis-server of its own on a free loopback port, with its data in a
 *     private temporary directory (appendonly, so a restart keeps what was written).
 *
 * Every wait is bounded; only processes started here are stopped, by their pid.
 */
#ifndef VIGIL_TESTS_SVC_H
#define VIGIL_TESTS_SVC_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct svc_kafka {
    char bootstrap[512];
    pid_t pid;    /* the mock's; 0 for a real broker */
    int stdin_fd; /* the mock's standard input (closing it ends the mock) */
    bool real;    /* VIGIL_TEST_KAFKA */
} svc_kafka;

/* Start (or point at) a broker; topics "NAME:PARTITIONS" are created. 0, or -1 with a
 * message on stderr. */
int svc_kafka_start(svc_kafka *k, const char *const *topics, int n_topics);
void svc_kafka_stop(svc_kafka *k);

typedef struct svc_redis {
    char dir[256]; /* its working directory (removed by svc_redis_stop) */
    unsigned port;
    pid_t pid;          /* 0 when not running */
    char sock[300];     /* its unix socket: <dir>/redis.sock (mode 700) */
    char password[128]; /* requirepass; "" = none */
} svc_redis;

/* Start redis-server on a free 127.0.0.1 port and wait until it answers PING (10 s at most).
 * 0, or -1 with a message on stderr (e.g. redis-server not installed). VIGIL_REDIS_SERVER
 * names another binary than /usr/bin/redis-server. */
int svc_redis_start(svc_redis *r);
/* The same with a password (--requirepass; NULL or "" = none, at most 127 bytes). */
int svc_redis_start_opts(svc_redis *r, const char *password);
/* Stop it (SIGTERM, then SIGKILL after 5 s) and keep its directory: svc_redis_restart
 * brings it back on the same port with the same data. */
int svc_redis_pause(svc_redis *r);
int svc_redis_restart(svc_redis *r);
/* Stop it and remove its directory. */
void svc_redis_stop(svc_redis *r);

/* Seconds on the monotonic clock. */
double svc_now(void);

#endif
