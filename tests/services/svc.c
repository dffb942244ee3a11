/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svc.c: the Kafka broker of the tests (see svc.h): a real one named by VIGIL_TEST_KAFKA,
 * or vigil_kafka_mock started here.
 */
#include "svc.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double svc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* On a real broker: create the topics with the admin API (an existing topic is fine). */
static int create_real(const svc_kafka *k, const char *const *topics, int n)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", k->bootstrap, err, sizeof(err)) != 0) {
        fprintf(stderr, "svc: %s\n", err);
        rd_kafka_conf_destroy(c);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "svc: %s\n", err);
        return -1;
    }
    int rc = 0;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    for (int i = 0; i < n && rc == 0; i++) {
        char name[300];
        snprintf(name, sizeof(name), "%s", topics[i]);
        char *colon = strrchr(name, ':');
        int parts = 1;
        if (colon) {
            *colon = '\0';
            parts = (int)strtol(colon + 1, NULL, 10);
        }
        char full[360];
        snprintf(full, sizeof(full), "%s%s", name, k->suffix);
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(full, parts, 1, err, sizeof(err));
        if (!nt) {
            fprintf(stderr, "svc: topic %s: %s\n", name, err);
            rc = -1;
            break;
        }
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
        const rd_kafka_CreateTopics_result_t *res =
                ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
        size_t nr = 0;
        const rd_kafka_topic_result_t **tr =
                res ? rd_kafka_CreateTopics_result_topics(res, &nr) : NULL;
        if (!tr || nr != 1 ||
            (rd_kafka_topic_result_error(tr[0]) &&
             rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)) {
            fprintf(stderr, "svc: cannot create topic %s\n", name);
            rc = -1;
        }
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_NewTopic_destroy(nt);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

int svc_kafka_start(svc_kafka *k, const char *const *topics, int n_topics)
{
    memset(k, 0, sizeof(*k));
    k->stdin_fd = -1;
    const char *real = getenv("VIGIL_TEST_KAFKA");
    if (real && real[0]) {
        snprintf(k->bootstrap, sizeof(k->bootstrap), "%s", real);
        k->real = true;
        snprintf(k->suffix, sizeof(k->suffix), "-%d-%lld", (int)getpid(), (long long)time(NULL));
        return create_real(k, topics, n_topics);
    }
    const char *mock = getenv("VIGIL_KAFKA_MOCK");
    if (!mock || !mock[0])
        mock = VIGIL_KAFKA_MOCK_DEFAULT;
    if (n_topics > 32) {
        fprintf(stderr, "svc: at most 32 topics\n");
        return -1;
    }
    int in[2], out[2];
    if (pipe(in) != 0)
        return -1;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    char *argv[2 + 2 * 32 + 1];
    int ac = 0;
    argv[ac++] = (char *)mock;
    for (int i = 0; i < n_topics; i++) {
        argv[ac++] = (char *)"--topic";
        argv[ac++] = (char *)topics[i];
    }
    argv[ac] = NULL;
    k->pid = fork();
    if (k->pid < 0)
        return -1;
    if (k->pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[1]);
        close(out[0]);
        execv(mock, argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    k->stdin_fd = in[1];
    FILE *f = fdopen(out[0], "r");
    char line[sizeof(k->bootstrap) + 10]; /* "bootstrap=" and the address */
    if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "bootstrap=", 10) != 0) {
        fprintf(stderr, "svc: %s did not print its bootstrap address\n", mock);
        if (f)
            fclose(f);
        svc_kafka_stop(k);
        return -1;
    }
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    size_t n = strlen(line + 10);
    if (n >= sizeof(k->bootstrap)) {
        fprintf(stderr, "svc: %s printed a bootstrap address too long\n", mock);
        svc_kafka_stop(k);
        return -1;
    }
    memcpy(k->bootstrap, line + 10, n + 1);
    return 0;
}

int svc_kafka_outage(svc_kafka *k, bool down)
{
    if (k->real || k->stdin_fd < 0)
        return -1;
    const char *cmd = down ? "down\n" : "up\n";
    return write(k->stdin_fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd) ? 0 : -1;
}

const char *svc_topic(svc_kafka *k, const char *base)
{
    char *b = k->names[k->next_name++ % 16];
    snprintf(b, sizeof(k->names[0]), "%s%s", base, k->suffix);
    return b;
}

void svc_kafka_stop(svc_kafka *k)
{
    if (k->stdin_fd >= 0)
        close(k->stdin_fd); /* the mock ends when its standard input closes */
    k->stdin_fd = -1;
    if (k->pid <= 0)
        return;
    int st;
    for (int i = 0; i < 100; i++) {
        if (waitpid(k->pid, &st, WNOHANG) == k->pid) {
            k->pid = 0;
            return;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(k->pid, SIGTERM);
    waitpid(k->pid, &st, 0);
    k->pid = 0;
}
