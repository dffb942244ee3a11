/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafka_mock.c: vigil_kafka_mock, the test suite's Kafka broker.
 *
 * Runs librdkafka's built-in mock cluster (the real Kafka protocol over TCP on loopback,
 * consumer groups included) as a process of its own, prints "bootstrap=HOST:PORT[,...]" on
 * standard output once the cluster listens, creates the topics asked for, and serves until
 * standard input closes or SIGTERM/SIGINT arrives. A test harness starts it, reads the first
 * line, and ends it by closing its standard input or signalling its PID.
 *
 * Lines on standard input are commands: "down" takes every broker down (connections closed,
 * new ones refused: a broker outage), "up" brings them back with their data.
 *
 * The mock keeps at most 5 MiB and 100,000 messages per partition (older ones are
 * dropped): tests give their topics enough partitions to stay under that.
 *
 * Usage: vigil_kafka_mock [--brokers N] [--topic NAME[:PARTITIONS]]...
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* "down" / "up": every broker of the cluster. */
static void command(rd_kafka_mock_cluster_t *mc, int brokers, const char *cmd)
{
    for (int b = 1; b <= brokers; b++) {
        if (strcmp(cmd, "down") == 0)
            rd_kafka_mock_broker_set_down(mc, b);
        else if (strcmp(cmd, "up") == 0)
            rd_kafka_mock_broker_set_up(mc, b);
    }
}

int main(int argc, char **argv)
{
    int brokers = 1;
    const char *topics[64];
    int n_topics = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
            long b = strtol(argv[++i], NULL, 10);
            brokers = b > 0 && b < 16 ? (int)b : 1;
        } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc && n_topics < 64) {
            topics[n_topics++] = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: vigil_kafka_mock [--brokers N] [--topic NAME[:PARTITIONS]]...\n");
            return 2;
        }
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* the mock cluster needs a client instance to live in; it is not used otherwise */
    if (rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "vigil_kafka_mock: %s\n", err);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "vigil_kafka_mock: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "vigil_kafka_mock: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int i = 0; i < n_topics; i++) {
        char name[256];
        snprintf(name, sizeof(name), "%s", topics[i]);
        int parts = 1;
        char *colon = strrchr(name, ':');
        if (colon) {
            *colon = '\0';
            long p = strtol(colon + 1, NULL, 10);
            parts = p > 0 && p < 10000 ? (int)p : 1;
        }
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, name, parts, 1);
        if (e) {
            fprintf(stderr, "vigil_kafka_mock: topic %s: %s\n", name, rd_kafka_err2str(e));
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    /* serve until stdin closes (the harness went away) or a signal */
    char line[256];
    size_t used = 0;
    while (!stop) {
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        int r = poll(&p, 1, 500);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0) {
            ssize_t n = read(STDIN_FILENO, line + used, sizeof(line) - 1 - used);
            if (n <= 0)
                break;
            used += (size_t)n;
            line[used] = '\0';
            char *nl;
            while ((nl = strchr(line, '\n')) != NULL) {
                *nl = '\0';
                command(mc, brokers, line);
                used -= (size_t)(nl + 1 - line);
                memmove(line, nl + 1, used + 1);
            }
            if (used == sizeof(line) - 1)
                used = 0; /* an overlong line: not a command */
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
