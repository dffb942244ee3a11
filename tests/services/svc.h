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
    pid_t pid;       /* the mock's; 0 for a real broker */
    int stdin_fd;    /* the mock's standard input (closing it ends the mock) */
    bool real;       /* VIGIL_TEST_KAFKA */
    char suffix[40]; /* appended to topic names on a real broker (a run of its own), else "" */
    char names[16][256];
    int next_name;
} svc_kafka;

/* Start (or point at) a broker; topics "NAME:PARTITIONS" are created (on a real broker
 * under svc_topic's name). 0, or -1 with a message on stderr. */
int svc_kafka_start(svc_kafka *k, const char *const *topics, int n_topics);
void svc_kafka_stop(svc_kafka *k);
/* Take the mock's brokers down (an outage: connections closed, new ones refused) or bring
 * them back with their data. -1 on a real broker (not ours to stop). */
int svc_kafka_outage(svc_kafka *k, bool down);
/* The name a test topic has on this broker: base, plus k->suffix on a real broker so that a
 * run never reads what an earlier one left. Valid for the next 15 calls. */
const char *svc_topic(svc_kafka *k, const char *base);

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
/* Run one command (arguments split on spaces, e.g. "CONFIG SET maxmemory 1mb"); 0 when it
 * answered with a status or a value, -1 on an error reply or no answer (2 s). */
int svc_redis_cmd(const svc_redis *r, const char *cmd);

/* ---- Kafka messages in and out (tests/services/svc_kio.c) ---- */

typedef struct svc_msg {
    char *key, *value; /* NUL-terminated copies (value may also hold NULs: use value_len) */
    size_t key_len, value_len;
    int partition;
    long long offset;
    char *hdr_names[8], *hdr_values[8];
    int n_hdr;
} svc_msg;

/* Produce every line of text (one message per '\n'-terminated line, no key) to topic and
 * wait for delivery (30 s at most). 0, or -1 with a message on stderr. */
int svc_kafka_produce_lines(const char *bootstrap, const char *topic, const char *text);
/* Read topic from the start of every partition until `want` messages have come and then
 * nothing more for idle_ms, or timeout_ms in all. *out gets the messages (svc_msgs_free).
 * Returns the number read, -1 on error. */
int svc_kafka_read(const char *bootstrap,
                   const char *topic,
                   int want,
                   int idle_ms,
                   int timeout_ms,
                   svc_msg **out);
void svc_msgs_free(svc_msg *v, int n);
/* Messages the broker no longer holds at the start of topic's partitions (the sum of their
 * low watermarks: the mock drops the oldest past its per-partition caps). -1 on error. */
long long svc_kafka_dropped(const char *bootstrap, const char *topic);
/* A header's value (NULL if absent). */
const char *svc_msg_header(const svc_msg *m, const char *name);

/* ---- the vigil binary as a service ---- */

/* Start "$VIGIL_BIN run --config CONFIG", stdout and stderr to log (appended).
 * Returns the pid, -1 on failure. */
pid_t svc_vigil_start(const char *config, const char *log);
/* Send sig and wait for the exit (timeout_s, then SIGKILL). Returns the wait status. */
int svc_vigil_stop(pid_t pid, int sig, int timeout_s);

/* Run "$VIGIL_BIN ARGS..." (argv[0] onwards are the arguments after the binary, NULL-
 * terminated) in $VIGIL_SRC, stdout and stderr to log. Returns the pid, -1 on failure. */
pid_t svc_vigil_spawn(const char *const *args, const char *log);

/* The children a test started, so that a failed assertion leaves none running. */
typedef struct svc_procs {
    pid_t v[64];
    int n;
} svc_procs;
/* Remember pid (ignored when full or not positive); returns it. */
pid_t svc_procs_add(svc_procs *p, pid_t pid);
/* SIGKILL and reap every remembered child still running (only children of this process:
 * waitpid tells which are). */
void svc_procs_end(svc_procs *p);

/* Both services at once: the broker with its topics, then Redis. 0, or -1 with nothing left
 * running. svc_both_stop stops both. */
int svc_both_start(svc_kafka *k, svc_redis *r, const char *const *topics, int n_topics);
void svc_both_stop(svc_kafka *k, svc_redis *r);

/* Seconds on the monotonic clock. */
double svc_now(void);

#endif
