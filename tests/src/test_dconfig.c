/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dconfig.c: the daemon's configuration reader (src/dconfig.c) and the duration and
 * size grammar it shares with the command line (src/units.c): defaults, a file with every
 * key, one table row per error class with its exact message and position, bounds,
 * environment substitution of secrets, dcfg_is_secret, whole-file errors, allocation
 * failures, and docs/vigil.example.yml from the source tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dconfig.h"
#include "units.h"
#include "vigil/base.h"
#include "vigil/buf.h"

static char tmpdir[256];
static char cfg_path[300];

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/vigil-dconfig-XXXXXX", base && base[0] ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(cfg_path, sizeof(cfg_path), "%s/vigil.yml", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(cfg_path);
    rmdir(tmpdir);
    return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Write text as the configuration file and load it. */
static int load(const char *text, dcfg *c, char *err, size_t err_len)
{
    write_file(cfg_path, text, strlen(text));
    return dcfg_load(c, cfg_path, err, err_len);
}

/* The error after "FILE:" (the file is the temporary path). */
static const char *after_file(const char *err)
{
    size_t n = strlen(cfg_path);
    if (strncmp(err, cfg_path, n) != 0 || err[n] != ':')
        fail_msg("error does not start with the file name: %s", err);
    return err + n + 1 + (err[n + 1] == ' ');
}

static void test_defaults(void **state)
{
    (void)state;
    dcfg c;
    assert_int_equal(dcfg_defaults(&c), 0);
    assert_non_null(c.arena);
    assert_null(c.path);
    assert_int_equal(c.n_rules, 0);
    assert_int_equal(c.n_inputs, 0);
    assert_int_equal(c.n_props, 0);
    assert_int_equal(c.threads, 1);
    assert_string_equal(c.brokers, "127.0.0.1:9092");
    assert_string_equal(c.group, "vigil");
    assert_null(c.dead_letter_topic);
    assert_string_equal(c.alert_topic, "vigil-alerts");
    assert_int_equal(c.alert_format, DCFG_ALERT_JSON);
    assert_int_equal(c.max_pending_alerts, 100000);
    assert_string_equal(c.redis_host, "127.0.0.1");
    assert_int_equal(c.redis_port, 6379);
    assert_null(c.redis_socket);
    assert_null(c.redis_password);
    assert_null(c.redis_user);
    assert_false(c.redis_tls);
    assert_int_equal(c.redis_db, 0);
    assert_string_equal(c.redis_prefix, "vigil:");
    assert_int_equal(c.redis_timeout_ms, 2000);
    assert_int_equal(c.checkpoint_ms, 1000);
    assert_int_equal(c.lease_ms, 10000);
    assert_int_equal(c.lateness_ms, 10000);
    assert_true(c.corr_max_bytes == (uint64_t)1 << 30);
    assert_int_equal(c.max_record, 4u << 20);
    assert_string_equal(c.metrics_listen, "127.0.0.1:9464");
    assert_string_equal(c.log_level, "info");
    dcfg_free(&c);
    assert_null(c.arena);
    dcfg_free(&c); /* a second free is a no-op */
}

/* Only the required keys: everything else is the default. */
static void test_minimal(void **state)
{
    (void)state;
    dcfg c;
    char err[512];
    int rc = load("rules: /r\ninputs:\n  - topic: t\n", &c, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(c.path, cfg_path);
    assert_int_equal(c.n_rules, 1);
    assert_string_equal(c.rules[0], "/r");
    assert_int_equal(c.n_inputs, 1);
    assert_string_equal(c.inputs[0].topic, "t");
    assert_int_equal(c.inputs[0].format, VG_FMT_AUTO);
    assert_null(c.inputs[0].logsource);
    assert_null(c.inputs[0].time_field);
    assert_int_equal(c.threads, 1);
    assert_int_equal(c.redis_port, 6379);
    assert_string_equal(c.metrics_listen, "127.0.0.1:9464");
    assert_string_equal(c.log_level, "info");
    assert_int_equal(c.max_record, 4u << 20);
    dcfg_free(&c);
}

static const char full_yaml[] = "rules:\n"
                                "  - /abs/rules\n"
                                "  - rel/one.yml\n"
                                "threads: 8\n"
                                "kafka:\n"
                                "  brokers: k1:9092,k2:9092\n"
                                "  group: soc\n"
                                "  properties:\n"
                                "    client.id: vigil-test\n"
                                "    socket.keepalive.enable: true\n"
                                "    fetch.max.bytes: 52428800\n"
                                "    sasl.password: ${VIGIL_TEST_KAFKA_PW}\n"
                                "    sasl.username: '${NOT_A_SECRET}'\n"
                                "inputs:\n"
                                "  - topic: win\n"
                                "    format: json\n"
                                "    logsource: product=windows,service=security\n"
                                "    time_field: '@timestamp'\n"
                                "  - topic: lin.syslog\n"
                                "    format: syslog\n"
                                "    logsource: ~\n"
                                "  - {topic: raw_1, format: raw}\n"
                                "dead_letter:\n"
                                "  topic: dlq\n"
                                "alerts:\n"
                                "  topic: out-alerts\n"
                                "  format: protobuf\n"
                                "  max_pending: 10000000\n"
                                "redis:\n"
                                "  host: redis.local\n"
                                "  port: 6380\n"
                                "  unix_socket: /run/redis.sock\n"
                                "  password: \"${VIGIL_TEST_REDIS_PW}\"\n"
                                "  username: vigil\n"
                                "  tls: false\n"
                                "  database: 3\n"
                                "  key_prefix: \"\"\n"
                                "  timeout: 500ms\n"
                                "checkpoint:\n"
                                "  interval: 2m\n"
                                "  lease: 30s\n"
                                "correlation:\n"
                                "  lateness: 1d\n"
                                "  max_memory: 64TiB\n"
                                "limits:\n"
                                "  max_record: 2GiB\n"
                                "metrics:\n"
                                "  listen: '[::1]:0'\n"
                                "log:\n"
                                "  level: debug\n";

static void test_full(void **state)
{
    (void)state;
    dcfg c;
    char err[512], want[512];
    assert_int_equal(setenv("VIGIL_TEST_KAFKA_PW", "k-secret", 1), 0);
    assert_int_equal(setenv("VIGIL_TEST_REDIS_PW", "r-secret", 1), 0);
    int rc = load(full_yaml, &c, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(c.n_rules, 2);
    assert_string_equal(c.rules[0], "/abs/rules");
    snprintf(want, sizeof(want), "%s/rel/one.yml", tmpdir);
    assert_string_equal(c.rules[1], want);
    assert_int_equal(c.threads, 8);
    assert_string_equal(c.brokers, "k1:9092,k2:9092");
    assert_string_equal(c.group, "soc");
    assert_int_equal(c.n_props, 5);
    assert_string_equal(c.props[0].name, "client.id");
    assert_string_equal(c.props[0].value, "vigil-test");
    assert_string_equal(c.props[1].name, "socket.keepalive.enable");
    assert_string_equal(c.props[1].value, "true");
    assert_string_equal(c.props[2].name, "fetch.max.bytes");
    assert_string_equal(c.props[2].value, "52428800");
    assert_string_equal(c.props[3].name, "sasl.password");
    assert_string_equal(c.props[3].value, "k-secret");
    /* not a secret: taken as written */
    assert_string_equal(c.props[4].name, "sasl.username");
    assert_string_equal(c.props[4].value, "${NOT_A_SECRET}");
    assert_int_equal(c.n_inputs, 3);
    assert_string_equal(c.inputs[0].topic, "win");
    assert_int_equal(c.inputs[0].format, VG_FMT_JSON);
    assert_string_equal(c.inputs[0].logsource, "product=windows,service=security");
    assert_string_equal(c.inputs[0].time_field, "@timestamp");
    assert_string_equal(c.inputs[1].topic, "lin.syslog");
    assert_int_equal(c.inputs[1].format, VG_FMT_SYSLOG);
    assert_null(c.inputs[1].logsource);
    assert_null(c.inputs[1].time_field);
    assert_string_equal(c.inputs[2].topic, "raw_1");
    assert_int_equal(c.inputs[2].format, VG_FMT_RAW);
    assert_string_equal(c.dead_letter_topic, "dlq");
    assert_string_equal(c.alert_topic, "out-alerts");
    assert_int_equal(c.alert_format, DCFG_ALERT_PROTOBUF);
    assert_int_equal(c.max_pending_alerts, 10000000);
    assert_string_equal(c.redis_host, "redis.local");
    assert_int_equal(c.redis_port, 6380);
    assert_string_equal(c.redis_socket, "/run/redis.sock");
    assert_string_equal(c.redis_password, "r-secret");
    assert_string_equal(c.redis_user, "vigil");
    assert_false(c.redis_tls);
    assert_int_equal(c.redis_db, 3);
    assert_string_equal(c.redis_prefix, "");
    assert_int_equal(c.redis_timeout_ms, 500);
    assert_int_equal(c.checkpoint_ms, 120000);
    assert_int_equal(c.lease_ms, 30000);
    assert_int_equal(c.lateness_ms, 86400000);
    assert_true(c.corr_max_bytes == (uint64_t)64 << 40);
    assert_true(c.max_record == (size_t)2 << 30);
    assert_string_equal(c.metrics_listen, "[::1]:0");
    assert_string_equal(c.log_level, "debug");
    dcfg_free(&c);
    unsetenv("VIGIL_TEST_KAFKA_PW");
    unsetenv("VIGIL_TEST_REDIS_PW");
}

/* Smaller values that take other paths: a single rule path, threads 0, metrics off. */
static void test_variants(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *metrics;
    } rows[] = {
            {"metrics:\n  listen: off\n", ""},
            {"metrics:\n  listen: ''\n", ""},
            {"metrics:\n  listen:\n", ""},
            {"metrics: {listen: 0.0.0.0:9100}\n", "0.0.0.0:9100"},
            {"metrics: {listen: 'localhost:65535'}\n", "localhost:65535"},
    };
    char text[512], err[512];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        dcfg c;
        snprintf(text, sizeof(text), "rules: r.yml\ninputs: [{topic: t}]\nthreads: 0\n%s",
                 rows[i].yaml);
        if (load(text, &c, err, sizeof(err)))
            fail_msg("row %zu: %s", i, err);
        assert_string_equal(c.metrics_listen, rows[i].metrics);
        assert_int_equal(c.n_rules, 1);
        char want[400];
        snprintf(want, sizeof(want), "%s/r.yml", tmpdir);
        assert_string_equal(c.rules[0], want);
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        assert_int_equal(c.threads, cpus < 1 ? 1 : cpus > 64 ? 64 : cpus);
        dcfg_free(&c);
    }
    /* a path without a directory: rules are taken as written */
    dcfg c;
    static const char two[] = "rules: [a, b]\ninputs: [{topic: t}]\n";
    write_file(cfg_path, two, strlen(two));
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(tmpdir), 0);
    int rc = dcfg_load(&c, "vigil.yml", err, sizeof(err));
    assert_int_equal(chdir(cwd), 0);
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(c.rules[0], "a");
    assert_string_equal(c.rules[1], "b");
    dcfg_free(&c);
}

#define BASE  "rules: r.yml\ninputs: [{topic: t}]\n"
#define DUR   " (a number and ms, s, m, h or d)"
#define SIZE  " (a number of bytes, or a number and KiB, MiB, GiB or TiB)"
#define TOPIC "must be a Kafka topic name (1..249 letters, digits, '.', '_' or '-')"

typedef struct err_row {
    const char *yaml;
    const char *want; /* after "FILE:" */
} err_row;

static const err_row err_rows[] = {
        /* unknown and repeated keys */
        {BASE "redis:\n  prot: 6379\n", "4:3: redis.prot: unknown key (did you mean redis.port?)"},
        {BASE "reddis: {}\n", "3:1: reddis: unknown key (did you mean redis?)"},
        {BASE "input: []\n", "3:1: input: unknown key (did you mean inputs?)"},
        {BASE "bogus_key_here: 1\n", "3:1: bogus_key_here: unknown key"},
        {BASE "kafka:\n  propertys: {}\n",
         "4:3: kafka.propertys: unknown key (did you mean kafka.properties?)"},
        {BASE "kafka:\n  x: 1\n", "4:3: kafka.x: unknown key"},
        {BASE "redis:\n  port: 1\n  port: 2\n", "5:3: redis.port: duplicate key (first at 4:3)"},
        {"rules: a\n" BASE, "2:1: rules: duplicate key (first at 1:1)"},
        /* sections */
        {BASE "redis: 5\n", "3:8: redis: must be a mapping of redis.* keys"},
        {BASE "log: [info]\n", "3:6: log: must be a mapping of log.* keys"},
        /* numbers */
        {BASE "redis:\n  port: 70000\n", "4:9: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  port: 0\n", "4:9: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  port: -1\n", "4:9: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  port: 63 79\n", "4:9: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  port: 0x10\n", "4:9: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  port: [1]\n", "4:9: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  port:\n", "4:8: redis.port: must be a number 1..65535"},
        {BASE "redis:\n  database: -1\n", "4:13: redis.database: must be a number 0..2147483647"},
        {BASE "threads: 65\n", "3:10: threads: must be a number 0..64 (0: one per online CPU)"},
        {BASE "threads: 99999999999999999999999\n",
         "3:10: threads: must be a number 0..64 (0: one per online CPU)"},
        {BASE "alerts:\n  max_pending: 0\n",
         "4:16: alerts.max_pending: must be a number 1..10000000"},
        {BASE "alerts:\n  max_pending: 10000001\n",
         "4:16: alerts.max_pending: must be a number 1..10000000"},
        /* durations */
        {BASE "checkpoint:\n  lease: 999ms\n",
         "4:10: checkpoint.lease: must be a duration 1s..1h" DUR},
        {BASE "checkpoint:\n  interval: 9ms\n",
         "4:13: checkpoint.interval: must be a duration 10ms..1h" DUR},
        {BASE "checkpoint: {interval: 61m}\n",
         "3:24: checkpoint.interval: must be a duration 10ms..1h" DUR},
        {BASE "checkpoint:\n  interval: 10\n",
         "4:13: checkpoint.interval: must be a duration 10ms..1h" DUR},
        {BASE "checkpoint:\n  interval: 1S\n",
         "4:13: checkpoint.interval: must be a duration 10ms..1h" DUR},
        {BASE "correlation:\n  lateness: 2d\n",
         "4:13: correlation.lateness: must be a duration 0ms..1d" DUR},
        {BASE "correlation:\n  lateness: -1s\n",
         "4:13: correlation.lateness: must be a duration 0ms..1d" DUR},
        {BASE "redis:\n  timeout: 0ms\n", "4:12: redis.timeout: must be a duration 1ms..1h" DUR},
        /* sizes */
        {BASE "correlation:\n  max_memory: 1048575\n",
         "4:15: correlation.max_memory: must be a size 1MiB..64TiB" SIZE},
        {BASE "correlation:\n  max_memory: 65TiB\n",
         "4:15: correlation.max_memory: must be a size 1MiB..64TiB" SIZE},
        {BASE "limits:\n  max_record: 63\n",
         "4:15: limits.max_record: must be a size 64..2GiB" SIZE},
        {BASE "limits:\n  max_record: 16MB\n",
         "4:15: limits.max_record: must be a size 64..2GiB" SIZE},
        {BASE "limits:\n  max_record: 2049MiB\n",
         "4:15: limits.max_record: must be a size 64..2GiB" SIZE},
        /* choices */
        {BASE "alerts:\n  format: xml\n", "4:11: alerts.format: must be json or protobuf"},
        {BASE "alerts:\n  format: JSON\n", "4:11: alerts.format: must be json or protobuf"},
        {BASE "log:\n  level: trace\n", "4:10: log.level: must be error, warn, info or debug"},
        {BASE "redis:\n  tls: maybe\n", "4:8: redis.tls: must be true or false"},
        {BASE "redis:\n  tls: true\n",
         "4:8: redis.tls: not supported: the packaged hiredis (0.14) has no TLS; reach a TLS "
         "Redis through a local TLS tunnel (e.g. stunnel) listening on a unix socket "
         "(redis.unix_socket) or a loopback port"},
        /* strings and topics */
        {BASE "kafka:\n  brokers: ''\n", "4:12: kafka.brokers: must be a non-empty string"},
        {BASE "kafka:\n  brokers: [a]\n", "4:12: kafka.brokers: must be a non-empty string"},
        {BASE "kafka:\n  group:\n", "4:9: kafka.group: must be a non-empty string"},
        {BASE "redis:\n  username: ''\n", "4:13: redis.username: must be a non-empty string"},
        {BASE "redis:\n  password: ''\n", "4:13: redis.password: must be a non-empty string"},
        {BASE "redis:\n  key_prefix: {a: b}\n", "4:15: redis.key_prefix: must be a string"},
        {BASE "alerts:\n  topic: bad topic\n", "4:10: alerts.topic: " TOPIC},
        {BASE "dead_letter:\n  topic: '..'\n", "4:10: dead_letter.topic: " TOPIC},
        /* metrics.listen */
        {BASE "metrics:\n  listen: localhost\n",
         "4:11: metrics.listen: must be HOST:PORT (port 0..65535; an IPv6 address in "
         "brackets), or off"},
        {BASE "metrics:\n  listen: ':9464'\n",
         "4:11: metrics.listen: must be HOST:PORT (port 0..65535; an IPv6 address in "
         "brackets), or off"},
        {BASE "metrics:\n  listen: 127.0.0.1:65536\n",
         "4:11: metrics.listen: must be HOST:PORT (port 0..65535; an IPv6 address in "
         "brackets), or off"},
        {BASE "metrics:\n  listen: '::1:9464'\n",
         "4:11: metrics.listen: must be HOST:PORT (port 0..65535; an IPv6 address in "
         "brackets), or off"},
        {BASE "metrics:\n  listen: 'host:'\n",
         "4:11: metrics.listen: must be HOST:PORT (port 0..65535; an IPv6 address in "
         "brackets), or off"},
        /* kafka.properties */
        {BASE "kafka:\n  properties:\n    group.id: x\n",
         "5:5: kafka.properties.group.id: set by vigil: use kafka.group"},
        {BASE "kafka:\n  properties:\n    bootstrap.servers: x\n",
         "5:5: kafka.properties.bootstrap.servers: set by vigil: use kafka.brokers"},
        {BASE "kafka:\n  properties:\n    enable.auto.commit: true\n",
         "5:5: kafka.properties.enable.auto.commit: set by vigil, which commits consumer "
         "offsets itself"},
        {BASE "kafka:\n  properties:\n    enable.auto.offset.store: true\n",
         "5:5: kafka.properties.enable.auto.offset.store: set by vigil, which stores consumer "
         "offsets itself"},
        {BASE "kafka:\n  properties:\n    enable.idempotence: false\n",
         "5:5: kafka.properties.enable.idempotence: set by vigil for its producer"},
        {BASE "kafka:\n  properties:\n    acks: 1\n",
         "5:5: kafka.properties.acks: set by vigil: alerts are acknowledged by every in-sync "
         "replica"},
        {BASE "kafka:\n  properties:\n    message.timeout.ms: 3000\n",
         "5:5: kafka.properties.message.timeout.ms: set by vigil: alerts are never given up on "
         "by time"},
        {BASE "kafka:\n  properties:\n    a: [1]\n",
         "5:8: kafka.properties.a: must be a scalar (string, number or boolean)"},
        {BASE "kafka:\n  properties:\n    a: 1\n    a: 2\n",
         "6:5: kafka.properties.a: duplicate key (first at 5:5)"},
        {BASE "kafka:\n  properties:\n    a:\n", "5:7: kafka.properties.a: needs a value"},
        {BASE "kafka:\n  properties: [a]\n",
         "4:15: kafka.properties: must be a mapping of librdkafka property names to values"},
        /* rules */
        {"inputs: [{topic: t}]\n", "1:1: rules: required"},
        {"rules:\ninputs: [{topic: t}]\n", "1:7: rules: required"},
        {"rules: []\ninputs: [{topic: t}]\n",
         "1:8: rules: must name at least one rule file or directory"},
        {"rules: {a: b}\n", "1:8: rules: must be a path or a list of paths"},
        {"rules: ''\n", "1:8: rules: must not be empty"},
        {"rules: [a, [b]]\n", "1:12: rules[1]: must be a path"},
        {"rules: [a, '']\n", "1:12: rules[1]: must be a path"},
        /* inputs */
        {"rules: r\n", "1:1: inputs: required"},
        {"rules: r\ninputs: []\n", "2:9: inputs: must list at least one input"},
        {"rules: r\ninputs: t\n",
         "2:9: inputs: must be a list of {topic, format, logsource, time_field}"},
        {"rules: r\ninputs:\n  - t\n",
         "3:5: inputs[0]: must be a mapping {topic, format, logsource, time_field}"},
        {"rules: r\ninputs:\n  - format: json\n", "3:5: inputs[0].topic: required"},
        {"rules: r\ninputs:\n  - topic: a\n  - topic: b\n  - topic: a\n",
         "5:12: inputs[2].topic: duplicate topic a (also inputs[0])"},
        {"rules: r\ninputs:\n  - topic: a\n    formt: json\n",
         "4:5: inputs[0].formt: unknown key (did you mean inputs[0].format?)"},
        {"rules: r\ninputs:\n  - topic: a\n    time-field: ts\n",
         "4:5: inputs[0].time-field: unknown key (did you mean inputs[0].time_field?)"},
        {"rules: r\ninputs:\n  - topic: a\n    topic: b\n",
         "4:5: inputs[0].topic: duplicate key (first at 3:5)"},
        {"rules: r\ninputs:\n  - topic: a\n    format: xml\n",
         "4:13: inputs[0].format: must be auto, json, syslog or raw"},
        {"rules: r\ninputs:\n  - topic: 'a b'\n", "3:12: inputs[0].topic: " TOPIC},
        {"rules: r\ninputs:\n  - topic: a\n    logsource: ''\n",
         "4:16: inputs[0].logsource: must be a non-empty string"},
        /* the file as a whole */
        {"", "1:1: rules: required"},
        {"# only a comment\n", "1:1: rules: required"},
        {"- a\n- b\n", "1:1: the configuration must be a YAML mapping (key: value)"},
        {"just text\n", "1:1: the configuration must be a YAML mapping (key: value)"},
        {BASE "---\nrules: b\n", "3:1: a configuration file is one YAML document"},
};

static void test_error_rows(void **state)
{
    (void)state;
    char err[1024];
    for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
        dcfg c;
        memset(err, 'x', sizeof(err));
        int rc = load(err_rows[i].yaml, &c, err, sizeof(err));
        if (rc != -1)
            fail_msg("row %zu loaded: %s", i, err_rows[i].yaml);
        if (strcmp(after_file(err), err_rows[i].want) != 0)
            fail_msg("row %zu:\n  yaml: %s\n  got:  %s\n  want: %s", i, err_rows[i].yaml, err,
                     err_rows[i].want);
        assert_null(c.arena); /* nothing is loaded */
        dcfg_free(&c);
    }
}

/* A YAML syntax error keeps the reader's own message, with its position. */
static void test_yaml_syntax(void **state)
{
    (void)state;
    dcfg c;
    char err[512];
    assert_int_equal(load(BASE "redis: [1\n", &c, err, sizeof(err)), -1);
    const char *rest = after_file(err);
    assert_true(rest[0] >= '1' && rest[0] <= '9');
    assert_non_null(strchr(rest, ':'));
    assert_int_equal(load(BASE "a: &x 1\nb: *x\n", &c, err, sizeof(err)), -1);
}

static void test_file_errors(void **state)
{
    (void)state;
    dcfg c;
    char err[512], path[400], want[600];
    snprintf(path, sizeof(path), "%s/missing.yml", tmpdir);
    assert_int_equal(dcfg_load(&c, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot read: No such file or directory", path);
    assert_string_equal(err, want);
    assert_null(c.arena);

    assert_int_equal(dcfg_load(&c, tmpdir, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot read: ", tmpdir);
    assert_memory_equal(err, want, strlen(want));

    /* 1 MiB is the most: a comment just past it */
    size_t big = (1u << 20) + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, ' ', big);
    memcpy(text, BASE "#", sizeof(BASE));
    text[big - 1] = '\n';
    write_file(cfg_path, text, big);
    assert_int_equal(dcfg_load(&c, cfg_path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: larger than 1 MiB, the most a configuration file may be",
             cfg_path);
    assert_string_equal(err, want);
    /* and exactly 1 MiB loads */
    write_file(cfg_path, text, big - 1);
    if (dcfg_load(&c, cfg_path, err, sizeof(err)))
        fail_msg("%s", err);
    dcfg_free(&c);
    free(text);

    /* a short error buffer is cut, still terminated; no buffer at all is fine */
    char small[8];
    assert_int_equal(load("rules: r\n", &c, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(load("rules: r\n", &c, NULL, 0), -1);
}

/* Counts: DCFG_MAX_RULES, DCFG_MAX_INPUTS, DCFG_MAX_PROPS, and one past each. */
static void test_counts(void **state)
{
    (void)state;
    static const struct {
        const char *head, *item, *item_end;
        size_t max;
        const char *too_many;
    } rows[] = {
            {"inputs: [{topic: t}]\nrules:\n", "  - r", "\n", DCFG_MAX_RULES,
             "3:3: rules: at most 64 paths"},
            {"rules: r\ninputs:\n", "  - topic: t", "\n", DCFG_MAX_INPUTS,
             "3:3: inputs: at most 64 inputs"},
            {BASE "kafka:\n  properties:\n", "    p", ": v\n", DCFG_MAX_PROPS,
             "5:5: kafka.properties: at most 128 properties"},
    };
    char err[512];
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        for (size_t n = rows[r].max; n <= rows[r].max + 1; n++) {
            vg_buf b;
            vg_buf_init(&b, 0);
            vg_buf_puts(&b, rows[r].head);
            for (size_t i = 0; i < n; i++) {
                vg_buf_puts(&b, rows[r].item);
                vg_buf_put_u64(&b, i);
                vg_buf_puts(&b, rows[r].item_end);
            }
            assert_int_equal(vg_buf_status(&b), VG_OK);
            dcfg c;
            int rc = load(b.p, &c, err, sizeof(err));
            vg_buf_fini(&b);
            if (n == rows[r].max) {
                if (rc)
                    fail_msg("row %zu with %zu: %s", r, n, err);
                size_t got = r == 0 ? c.n_rules : r == 1 ? c.n_inputs : c.n_props;
                assert_int_equal(got, n);
                dcfg_free(&c);
            } else {
                assert_int_equal(rc, -1);
                assert_string_equal(after_file(err), rows[r].too_many);
            }
        }
    }
    /* a unix socket path longer than sun_path allows */
    char text[600];
    char longpath[300];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    snprintf(text, sizeof(text), BASE "redis:\n  unix_socket: %s\n", longpath);
    dcfg c;
    assert_int_equal(load(text, &c, err, sizeof(err)), -1);
    assert_string_equal(after_file(err),
                        "4:16: redis.unix_socket: a unix socket path is at most 107 bytes");
}

static void test_env(void **state)
{
    (void)state;
    dcfg c;
    char err[512];
    /* unset variable: named with the key */
    unsetenv("VIGIL_TEST_UNSET");
    assert_int_equal(load(BASE "redis:\n  password: ${VIGIL_TEST_UNSET}\n", &c, err, sizeof(err)),
                     -1);
    assert_string_equal(after_file(err),
                        "4:13: redis.password: environment variable VIGIL_TEST_UNSET is not set");
    assert_int_equal(load(BASE "kafka:\n  properties:\n    ssl.key.password: ${VIGIL_TEST_UNSET}\n",
                          &c, err, sizeof(err)),
                     -1);
    assert_string_equal(after_file(err), "5:23: kafka.properties.ssl.key.password: environment "
                                         "variable VIGIL_TEST_UNSET is not set");
    /* not a variable name */
    assert_int_equal(load(BASE "redis:\n  password: ${1X}\n", &c, err, sizeof(err)), -1);
    assert_string_equal(after_file(err), "4:13: redis.password: ${...} must name an environment "
                                         "variable (letters, digits and _, not starting with a "
                                         "digit)");
    assert_int_equal(load(BASE "redis:\n  password: ${A-B}\n", &c, err, sizeof(err)), -1);
    assert_int_equal(load(BASE "redis:\n  password: ${}\n", &c, err, sizeof(err)), -1);

    /* set: replaced, for redis.password and a secret property in any case */
    assert_int_equal(setenv("VIGIL_TEST_PW", "s3cr3t value", 1), 0);
    int rc = load(BASE "redis:\n  password: ${VIGIL_TEST_PW}\n"
                       "kafka:\n  properties:\n"
                       "    sasl.jaas.config: ${VIGIL_TEST_PW}\n"
                       "    My.Secret.Thing: ${VIGIL_TEST_PW}\n"
                       "    client.id: ${VIGIL_TEST_PW}\n",
                  &c, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(c.redis_password, "s3cr3t value");
    assert_string_equal(c.props[0].value, "s3cr3t value");
    assert_string_equal(c.props[1].value, "s3cr3t value");
    assert_string_equal(c.props[2].value, "${VIGIL_TEST_PW}"); /* not a secret */
    dcfg_free(&c);

    /* only the whole value: a partial reference is taken as written */
    rc = load(BASE "redis:\n  password: x${VIGIL_TEST_PW}\n", &c, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(c.redis_password, "x${VIGIL_TEST_PW}");
    dcfg_free(&c);

    /* an empty variable is a value */
    assert_int_equal(setenv("VIGIL_TEST_PW", "", 1), 0);
    rc = load(BASE "redis:\n  password: ${VIGIL_TEST_PW}\n", &c, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(c.redis_password, "");
    dcfg_free(&c);
    unsetenv("VIGIL_TEST_PW");

    /* a literal secret never appears in an error message */
    assert_int_equal(load(BASE "kafka:\n  properties:\n    sasl.password: hunter2\n"
                               "    group.id: x\n",
                          &c, err, sizeof(err)),
                     -1);
    assert_null(strstr(err, "hunter2"));
}

static void test_is_secret(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool secret;
    } rows[] = {
            {"redis.password", true},
            {"sasl.password", true},
            {"ssl.key.password", true},
            {"ssl.key.pem", true},
            {"ssl.key.location", true},
            {"SSL.KEY.PEM", true},
            {"sasl.jaas.config", true},
            {"sasl.oauthbearer.client.secret", true},
            {"PASSWORD", true},
            {"client_secret", true},
            {"sasl.username", false},
            {"ssl.certificate.pem", false},
            {"ssl.keystore.location", true}, /* contains "ssl.key" */
            {"client.id", false},
            {"redis.username", false},
            {"pass", false},
            {"", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (dcfg_is_secret(rows[i].name) != rows[i].secret)
            fail_msg("dcfg_is_secret(\"%s\") != %d", rows[i].name, rows[i].secret);
    }
    assert_false(dcfg_is_secret(NULL));
}

static void test_units_duration(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
        int64_t ms;
    } rows[] = {
            {"0ms", true, 0},
            {"500ms", true, 500},
            {"10s", true, 10000},
            {"2m", true, 120000},
            {"1h", true, 3600000},
            {"1d", true, 86400000},
            {"007s", true, 7000},
            {"100000000d", true, INT64_C(8640000000000000)},
            {"100000001ms", false, 0},
            {"99999999999999999999999s", false, 0}, /* past uint64 */
            {"", false, 0},
            {"s", false, 0},
            {"10", false, 0},
            {"-1s", false, 0},
            {"+1s", false, 0},
            {" 1s", false, 0},
            {"1s ", false, 0},
            {"1 s", false, 0},
            {"1.5s", false, 0},
            {"1S", false, 0},
            {"1MS", false, 0},
            {"1H", false, 0},
            {"1sec", false, 0},
            {"1w", false, 0},
            {"1us", false, 0},
            {"0x10s", false, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t ms = -42;
        bool ok = units_duration(rows[i].s, &ms);
        if (ok != rows[i].ok || (ok && ms != rows[i].ms) || (!ok && ms != -42))
            fail_msg("units_duration(\"%s\"): %d %lld", rows[i].s, ok, (long long)ms);
    }
    int64_t ms;
    assert_false(units_duration(NULL, &ms));
}

static void test_units_size(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool ok;
        uint64_t bytes;
    } rows[] = {
            {"0", true, 0},
            {"4096", true, 4096},
            {"64KiB", true, 65536},
            {"16MiB", true, 16u << 20},
            {"1GiB", true, 1u << 30},
            {"2TiB", true, (uint64_t)2 << 40},
            {"0KiB", true, 0},
            {"18446744073709551615", true, UINT64_MAX},
            {"16777215TiB", true, (uint64_t)16777215 << 40},
            {"16777216TiB", false, 0}, /* 2^64 */
            {"18446744073709551616", false, 0},
            {"99999999999999999999999KiB", false, 0},
            {"", false, 0},
            {"KiB", false, 0},
            {"-1", false, 0},
            {"-1KiB", false, 0},
            {"+1", false, 0},
            {" 1", false, 0},
            {"1 KiB", false, 0},
            {"1.5MiB", false, 0},
            {"1kib", false, 0},
            {"1KIB", false, 0},
            {"1mib", false, 0},
            {"1KB", false, 0},
            {"1MB", false, 0},
            {"1GB", false, 0},
            {"1K", false, 0},
            {"1M", false, 0},
            {"1B", false, 0},
            {"1PiB", false, 0},
            {"0x10", false, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint64_t b = 42;
        bool ok = units_size(rows[i].s, &b);
        if (ok != rows[i].ok || (ok && b != rows[i].bytes) || (!ok && b != 42))
            fail_msg("units_size(\"%s\"): %d %llu", rows[i].s, ok, (unsigned long long)b);
    }
    uint64_t b;
    assert_false(units_size(NULL, &b));
}

/* Every allocation failing in turn: -1 with nothing held, or success. */
static void test_alloc_failures(void **state)
{
    (void)state;
    char err[512];
    write_file(cfg_path, full_yaml, strlen(full_yaml));
    assert_int_equal(setenv("VIGIL_TEST_KAFKA_PW", "k", 1), 0);
    assert_int_equal(setenv("VIGIL_TEST_REDIS_PW", "r", 1), 0);
    bool loaded = false;
    for (long n = 0; n < 10000 && !loaded; n++) {
        dcfg c;
        vg_alloc_fail_after(n);
        int rc = dcfg_load(&c, cfg_path, err, sizeof(err));
        vg_alloc_fail_after(-1);
        if (rc == 0) {
            assert_int_equal(c.n_inputs, 3);
            assert_string_equal(c.redis_password, "r");
            loaded = true;
        } else {
            assert_null(c.arena);
            assert_true(strstr(err, "out of memory") || strstr(err, "cannot read") ||
                        strstr(err, "memory"));
        }
        dcfg_free(&c);
    }
    assert_true(loaded);
    unsetenv("VIGIL_TEST_KAFKA_PW");
    unsetenv("VIGIL_TEST_REDIS_PW");
}

/* docs/vigil.example.yml, with every key, loads as it stands. */
static void test_example(void **state)
{
    (void)state;
    const char *src = getenv("VIGIL_SRC");
    assert_non_null(src);
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/docs/vigil.example.yml", src);
    dcfg c;
    if (dcfg_load(&c, path, err, sizeof(err)))
        fail_msg("%s", err);
    assert_true(c.n_rules >= 1);
    assert_true(c.n_inputs >= 1);
    assert_string_equal(c.brokers, "127.0.0.1:9092");
    assert_string_equal(c.log_level, "info");
    dcfg_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_minimal),
            cmocka_unit_test(test_full),
            cmocka_unit_test(test_variants),
            cmocka_unit_test(test_error_rows),
            cmocka_unit_test(test_yaml_syntax),
            cmocka_unit_test(test_file_errors),
            cmocka_unit_test(test_counts),
            cmocka_unit_test(test_env),
            cmocka_unit_test(test_is_secret),
            cmocka_unit_test(test_units_duration),
            cmocka_unit_test(test_units_size),
            cmocka_unit_test(test_alloc_failures),
            cmocka_unit_test(test_example),
    };
    return cmocka_run_group_tests_name("src/dconfig", tests, setup, teardown);
}
