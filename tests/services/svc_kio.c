/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svc_kio.c: test helpers that write messages to Kafka, read them back, and run the vigil
 * service (see svc.h).
 */
#include "svc.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static rd_kafka_conf_t *conf_new(const char *bootstrap)
{
    char err[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof(err));
    rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
    return c;
}

int svc_kafka_produce_lines(const char *bootstrap, const char *topic, const char *text)
{
    char err[256];
    rd_kafka_conf_t *c = conf_new(bootstrap);
    rd_kafka_conf_set(c, "linger.ms", "5", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "svc: producer: %s\n", err);
        return -1;
    }
    int rc = 0;
    const char *p = text;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        for (;;) {
            rd_kafka_resp_err_t e =
                    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)p, len),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 50);
                continue;
            }
            if (e) {
                fprintf(stderr, "svc: produce: %s\n", rd_kafka_err2str(e));
                rc = -1;
            }
            break;
        }
        p += len + (nl ? 1 : 0);
    }
    if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "svc: produce: not delivered within 30 s\n");
        rc = -1;
    }
    rd_kafka_destroy(rk);
    return rc;
}

static char *dup_n(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

int svc_kafka_read(const char *bootstrap,
                   const char *topic,
                   int want,
                   int idle_ms,
                   int timeout_ms,
                   svc_msg **out)
{
    *out = NULL;
    char err[256];
    rd_kafka_conf_t *c = conf_new(bootstrap);
    rd_kafka_conf_set(c, "group.id", "svc-reader", err, sizeof(err));
    rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk)
        return -1;
    rd_kafka_poll_set_consumer(rk);
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "svc: no metadata for %s\n", topic);
        if (md)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return -1;
    }
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int i = 0; i < parts; i++)
        rd_kafka_topic_partition_list_add(l, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int n = 0, cap = 0;
    svc_msg *v = NULL;
    double start = svc_now(), last = svc_now();
    while (svc_now() - start < timeout_ms / 1000.0) {
        if (n >= want && svc_now() - last >= idle_ms / 1000.0)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            svc_msg *nv = realloc(v, (size_t)cap * sizeof(*nv));
            if (!nv)
                break;
            v = nv;
        }
        svc_msg *s = &v[n++];
        memset(s, 0, sizeof(*s));
        s->key = dup_n(m->key ? m->key : "", m->key_len);
        s->key_len = m->key_len;
        s->value = dup_n(m->payload ? m->payload : "", m->len);
        s->value_len = m->len;
        s->partition = m->partition;
        s->offset = (long long)m->offset;
        rd_kafka_headers_t *h = NULL;
        if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *name;
            const void *val;
            size_t vl;
            for (size_t i = 0; i < 8 && rd_kafka_header_get_all(h, i, &name, &val, &vl) == 0; i++) {
                s->hdr_names[s->n_hdr] = dup_n(name, strlen(name));
                s->hdr_values[s->n_hdr] = dup_n(val ? val : "", val ? vl : 0);
                s->n_hdr++;
            }
        }
        rd_kafka_message_destroy(m);
        last = svc_now();
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    *out = v;
    return n;
}

long long svc_kafka_dropped(const char *bootstrap, const char *topic)
{
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf_new(bootstrap), err, sizeof(err));
    if (!rk)
        return -1;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    long long sum = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == 0 && md->topic_cnt == 1) {
        sum = 0;
        for (int p = 0; p < md->topics[0].partition_cnt && sum >= 0; p++) {
            int64_t lo = 0, hi = 0;
            if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000) != 0)
                sum = -1;
            else
                sum += lo;
            if (lo > 0)
                fprintf(stderr, "svc: %s/%d holds offsets %lld..%lld only\n", topic, p,
                        (long long)lo, (long long)hi);
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return sum;
}

void svc_msgs_free(svc_msg *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].value);
        for (int j = 0; j < v[i].n_hdr; j++) {
            free(v[i].hdr_names[j]);
            free(v[i].hdr_values[j]);
        }
    }
    free(v);
}

const char *svc_msg_header(const svc_msg *m, const char *name)
{
    for (int i = 0; i < m->n_hdr; i++)
        if (strcmp(m->hdr_names[i], name) == 0)
            return m->hdr_values[i];
    return NULL;
}

pid_t svc_vigil_spawn(const char *const *args, const char *log)
{
    const char *bin = getenv("VIGIL_BIN");
    const char *src = getenv("VIGIL_SRC");
    if (!bin || !src)
        return -1;
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)bin;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        int nf = open("/dev/null", O_RDWR);
        if (lf < 0 || nf < 0 || chdir(src) != 0)
            _exit(126);
        dup2(nf, STDIN_FILENO);
        dup2(lf, STDOUT_FILENO);
        dup2(lf, STDERR_FILENO);
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

pid_t svc_vigil_start(const char *config, const char *log)
{
    const char *args[] = {"run", "--config", config, NULL};
    return svc_vigil_spawn(args, log);
}

int svc_vigil_stop(pid_t pid, int sig, int timeout_s)
{
    int st = 0;
    if (pid <= 0)
        return -1;
    kill(pid, sig);
    for (int i = 0; i < timeout_s * 20; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return st;
}

pid_t svc_procs_add(svc_procs *p, pid_t pid)
{
    if (pid > 0 && p->n < (int)(sizeof(p->v) / sizeof(p->v[0])))
        p->v[p->n++] = pid;
    return pid;
}

void svc_procs_end(svc_procs *p)
{
    for (int i = 0; i < p->n; i++) {
        int st;
        /* 0: a child of ours still running; pid or -1: reaped already, not ours to touch */
        if (waitpid(p->v[i], &st, WNOHANG) == 0) {
            kill(p->v[i], SIGKILL);
            waitpid(p->v[i], &st, 0);
        }
    }
    p->n = 0;
}

int svc_both_start(svc_kafka *k, svc_redis *r, const char *const *topics, int n_topics)
{
    if (svc_kafka_start(k, topics, n_topics) != 0)
        return -1;
    if (svc_redis_start(r) != 0) {
        svc_kafka_stop(k);
        return -1;
    }
    return 0;
}

void svc_both_stop(svc_kafka *k, svc_redis *r)
{
    svc_redis_stop(r);
    svc_kafka_stop(k);
}
