/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_daemon.c: `vigil run --config FILE [overrides]`: the configuration file, then the
 * command-line flags that override it, then the daemon (daemon.h).
 */
#include "cli.h"
#include "daemon.h"
#include "dconfig.h"
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char daemon_help[] =
        "Usage: vigil run --config FILE [OPTIONS]\n"
        "\n"
        "Run as a service: events from Kafka topics (a consumer group), alerts to a Kafka\n"
        "topic, correlation state and input offsets checkpointed in Redis, metrics and health\n"
        "over HTTP. Every setting is in FILE (docs/configuration.md; an annotated example is\n"
        "docs/vigil.example.yml); these options override it:\n"
        "\n"
        "  --rules PATH             rule file or directory (repeatable; replaces `rules`)\n"
        "  --threads N              worker threads (`threads`; 0: one per online CPU)\n"
        "  --brokers LIST           Kafka bootstrap servers (`kafka.brokers`)\n"
        "  --group NAME             consumer group (`kafka.group`)\n"
        "  --redis HOST:PORT        Redis address (`redis.host`, `redis.port`)\n"
        "  --metrics ADDR|off       metrics and health listen address (`metrics.listen`)\n"
        "  --checkpoint-interval D  e.g. 500ms, 1s (`checkpoint.interval`)\n"
        "  --alert-topic NAME       (`alerts.topic`)\n"
        "  --alert-format json|protobuf  (`alerts.format`)\n"
        "  --check-config           read the configuration, print it without secrets, exit\n"
        "  -h, --help               show this help\n"
        "\n"
        "Signals: SIGHUP reloads the rules (a rule set with errors is rejected and the running\n"
        "one kept); SIGTERM or SIGINT drains, saves a checkpoint and exits.\n"
        "Logs: one JSON object per line on standard error.\n";

static bool parse_u(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

static void print_config(const dcfg *c)
{
    printf("rules:");
    for (size_t i = 0; i < c->n_rules; i++)
        printf(" %s", c->rules[i]);
    printf("\nthreads: %u\nkafka.brokers: %s\nkafka.group: %s\n", c->threads, c->brokers, c->group);
    for (size_t i = 0; i < c->n_props; i++)
        printf("kafka.properties.%s: %s\n", c->props[i].name,
               dcfg_is_secret(c->props[i].name) ? "(secret)" : c->props[i].value);
    for (size_t i = 0; i < c->n_inputs; i++)
        printf("input: %s (format %s%s%s%s%s)\n", c->inputs[i].topic,
               vg_format_str(c->inputs[i].format), c->inputs[i].logsource ? ", logsource " : "",
               c->inputs[i].logsource ? c->inputs[i].logsource : "",
               c->inputs[i].time_field ? ", time field " : "",
               c->inputs[i].time_field ? c->inputs[i].time_field : "");
    printf("alerts.topic: %s\nalerts.format: %s\ndead_letter.topic: %s\n", c->alert_topic,
           c->alert_format == DCFG_ALERT_PROTOBUF ? "protobuf" : "json",
           c->dead_letter_topic ? c->dead_letter_topic : "(none)");
    printf("redis: %s%s%u db %u prefix %s password %s\n",
           c->redis_socket ? c->redis_socket : c->redis_host, c->redis_socket ? " " : ":",
           c->redis_socket ? 0 : c->redis_port, c->redis_db, c->redis_prefix,
           c->redis_password ? "(set)" : "(none)");
    printf("correlation: lateness %lldms, max_memory %llu, shards %u\n", (long long)c->lateness_ms,
           (unsigned long long)c->corr_max_bytes, c->corr_shards);
    printf("checkpoint.interval: %lldms\ncheckpoint.lease: %lldms\nmetrics.listen: %s\n",
           (long long)c->checkpoint_ms, (long long)c->lease_ms,
           c->metrics_listen ? c->metrics_listen : "off");
}

int cli_daemon(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(daemon_help, stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[i + 1];
    }
    if (!path) {
        fputs("vigil run: --config needs a file\n", stderr);
        return CLI_USAGE;
    }
    static dcfg c;
    char err[512];
    if (dcfg_load(&c, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "vigil run: %s\n", err);
        return CLI_USAGE;
    }
    bool rules_set = false, check_only = false;
    int status = CLI_OK;
    for (int i = 0; i < argc && status == CLI_OK; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long u;
        int64_t ms;
#define OPT(name) (strcmp(a, name) == 0)
        if (OPT("--check-config")) {
            check_only = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "vigil run: '%s' needs a value (or is unknown: see --help)\n", a);
            status = CLI_USAGE;
            break;
        }
        i++;
        if (OPT("--config")) {
        } else if (OPT("--rules")) {
            if (!rules_set)
                c.n_rules = 0;
            rules_set = true;
            if (c.n_rules == DCFG_MAX_RULES) {
                fprintf(stderr, "vigil run: at most %d --rules\n", DCFG_MAX_RULES);
                status = CLI_USAGE;
            } else {
                c.rules[c.n_rules++] = v;
            }
        } else if (OPT("--threads") && parse_u(v, 64, &u)) {
            c.threads = (unsigned)u;
        } else if (OPT("--brokers")) {
            c.brokers = v;
        } else if (OPT("--group")) {
            c.group = v;
        } else if (OPT("--redis")) {
            const char *colon = strrchr(v, ':');
            char host[256];
            if (!colon || !parse_u(colon + 1, 65535, &u) || u == 0 ||
                (size_t)(colon - v) >= sizeof(host) || colon == v) {
                fprintf(stderr, "vigil run: --redis wants HOST:PORT, not '%s'\n", v);
                status = CLI_USAGE;
            } else {
                c.redis_host = vg_arena_strndup(c.arena, v, (size_t)(colon - v));
                c.redis_port = (unsigned)u;
                c.redis_socket = NULL;
            }
        } else if (OPT("--metrics")) {
            c.metrics_listen = v;
        } else if (OPT("--checkpoint-interval") && units_duration(v, &ms) && ms >= 10) {
            c.checkpoint_ms = ms;
        } else if (OPT("--alert-topic")) {
            c.alert_topic = v;
        } else if (OPT("--alert-format") &&
                   (strcmp(v, "json") == 0 || strcmp(v, "protobuf") == 0)) {
            c.alert_format = v[0] == 'j' ? DCFG_ALERT_JSON : DCFG_ALERT_PROTOBUF;
        } else {
            fprintf(stderr,
                    "vigil run: bad option or value: %s %s (see vigil run --config x --help)\n", a,
                    v);
            status = CLI_USAGE;
        }
#undef OPT
    }
    if (status == CLI_OK && c.threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        c.threads = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
    }
    if (status == CLI_OK && check_only)
        print_config(&c);
    else if (status == CLI_OK)
        status = daemon_run(&c) == 0 ? CLI_OK : CLI_FAILED;
    dcfg_free(&c);
    return status;
}
