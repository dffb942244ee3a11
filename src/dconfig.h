/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dconfig.h: the daemon's configuration (`vigil run --config vigil.yml`): what it holds, how
 * it is read from YAML, and its defaults. docs/configuration.md documents every key.
 *
 * dcfg_load fills a dcfg from a file; dcfg_defaults alone gives the defaults. Every string
 * points into the dcfg's own arena and lives until dcfg_free. A bad file gives one error,
 * "FILE:LINE:COL: KEY: what is wrong", naming the key with its full dotted path
 * (e.g. "redis.port", "inputs[0].topic", "kafka.properties.sasl.password"), and nothing else
 * is loaded: on failure the dcfg is left empty (freed; dcfg_free on it is a no-op). Errors
 * about the file as a whole read "FILE: what is wrong".
 *
 * Values as loaded: relative "rules" paths are taken relative to the configuration file's
 * directory; "threads: 0" is replaced by the number of online CPUs (at most 64), so threads
 * is 1..64; "metrics.listen: off" is stored as "" (metrics disabled).
 *
 * Secrets (redis.password, Kafka properties whose name contains "password", "secret",
 * "sasl.jaas" or "ssl.key", in any case) may be given as "${ENV_NAME}", the whole value,
 * which is replaced by that variable of the environment (an error if unset); dcfg_is_secret
 * tells which property names to mask in logs. Error messages never show a secret's value.
 *
 * Durations ("500ms", "10s", "2m", "1h", "1d") and sizes ("4096", "64KiB", "16MiB", "1GiB")
 * are read by units.h, shared with the command-line options.
 *
 * Thread: a dcfg is built on one thread and read-only afterwards.
 */
#ifndef VIGIL_SRC_DCONFIG_H
#define VIGIL_SRC_DCONFIG_H

#include "vigil/arena.h"
#include "vigil/parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DCFG_MAX_INPUTS 64
#define DCFG_MAX_PROPS  128
#define DCFG_MAX_RULES  64

typedef enum dcfg_alert_format {
    DCFG_ALERT_JSON,
    DCFG_ALERT_PROTOBUF
} dcfg_alert_format;

typedef struct dcfg_prop {
    const char *name, *value;
} dcfg_prop;

typedef struct dcfg_input {
    const char *topic;      /* required */
    vg_format format;       /* "format": json|syslog|raw|auto (default auto) */
    const char *logsource;  /* "logsource": "product=windows,service=security" or NULL */
    const char *time_field; /* "time_field": NULL = the usual fields */
} dcfg_input;

typedef struct dcfg {
    vg_arena *arena;
    const char *path; /* the file read, or NULL (defaults only) */

    const char *rules[DCFG_MAX_RULES]; /* "rules": list of files/directories; required */
    size_t n_rules;
    unsigned threads; /* "threads" (default 1) */

    /* kafka: */
    const char *brokers;             /* "kafka.brokers" (default "127.0.0.1:9092") */
    const char *group;               /* "kafka.group" (default "vigil") */
    dcfg_prop props[DCFG_MAX_PROPS]; /* "kafka.properties": map passed to librdkafka */
    size_t n_props;
    dcfg_input inputs[DCFG_MAX_INPUTS]; /* "inputs": list, at least one */
    size_t n_inputs;
    const char *dead_letter_topic; /* "dead_letter.topic" (default NULL: records are dropped
                                      and counted) */

    /* alerts: */
    const char *alert_topic;        /* "alerts.topic" (default "vigil-alerts") */
    dcfg_alert_format alert_format; /* "alerts.format": json|protobuf (default json) */
    size_t max_pending_alerts;      /* "alerts.max_pending" (default 100000): alerts held for
                                       the next checkpoint before input is paused */

    /* redis: */
    const char *redis_host;     /* "redis.host" (default "127.0.0.1") */
    unsigned redis_port;        /* "redis.port" (default 6379) */
    const char *redis_socket;   /* "redis.unix_socket" (default NULL; wins over host/port) */
    const char *redis_password; /* "redis.password" (default NULL), secret */
    const char *redis_user;     /* "redis.username" (default NULL: AUTH with password only) */
    bool redis_tls;             /* "redis.tls" (default false) */
    unsigned redis_db;          /* "redis.database" (default 0) */
    const char *redis_prefix;   /* "redis.key_prefix" (default "vigil:") */
    int64_t redis_timeout_ms;   /* "redis.timeout" duration (default 2s) */

    /* checkpoints and correlation: */
    int64_t checkpoint_ms;   /* "checkpoint.interval" duration (default 1s) */
    int64_t lease_ms;        /* "checkpoint.lease": the owner lease's length (default 10s) */
    int64_t lateness_ms;     /* "correlation.lateness" duration (default 10s) */
    uint64_t corr_max_bytes; /* "correlation.max_memory" size (default 1 GiB) */
    unsigned corr_shards;    /* "correlation.shards" (default 1) */

    /* limits and operations: */
    size_t max_record;          /* "limits.max_record" size (default 4 MiB, as vigil run) */
    const char *metrics_listen; /* "metrics.listen" host:port (default "127.0.0.1:9464");
                                   "" or "off" disables */
    const char *log_level;      /* "log.level": error|warn|info|debug (default info) */
} dcfg;

/* Defaults into c (with a new arena). -1 when out of memory. */
int dcfg_defaults(dcfg *c);
/* Defaults, then the file at path. 0, or -1 with the one-line error in err. */
int dcfg_load(dcfg *c, const char *path, char *err, size_t err_len);
/* The same from bytes in memory, reported as file `name` (relative rule paths resolve
 * against name's directory). */
int dcfg_load_text(
        dcfg *c, const char *name, const char *text, size_t len, char *err, size_t err_len);
void dcfg_free(dcfg *c);

/* true if a Kafka property or config key holds a secret and must never be printed. */
bool dcfg_is_secret(const char *name);

#endif
