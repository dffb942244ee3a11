/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cli.c: the vigil program end to end (the binary named by $VIGIL_BIN, the source
 * tree by $VIGIL_SRC; both set by ctest).
 *
 *  - the bundled rules over the bundled samples give exactly the alerts of
 *    rules/tests/samples.yml (through vigil test), with stable ids
 *    (rule id, sample file, record index), no more, no less, and deterministic alert ids;
 *  - malformed, oversized and unterminated records are reported with their origin, counted
 *    in the summary, and the records around them are still processed;
 *  - `vigil check` reports file:line:col and its exit status says whether anything failed;
 *  - --help texts exist for the program and each subcommand; usage errors exit with 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef harness_result cmd_out;

#define run_vigil  harness_run
#define cmd_free   harness_result_free
#define write_file harness_write

/* Value of "key":"..." (string) or "key":123 (number) after position p, into buf. */
static bool json_field(const char *p, const char *key, char *buf, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *s = strstr(p, pat);
    if (!s)
        return false;
    s += strlen(pat);
    size_t n = 0;
    if (*s == '"') {
        s++;
        while (*s && *s != '"' && n + 1 < cap)
            buf[n++] = *s++;
    } else {
        while (*s && *s != ',' && *s != '}' && n + 1 < cap)
            buf[n++] = *s++;
    }
    buf[n] = '\0';
    return true;
}

/* One "rule\tfile\trecord" line per alert, sorted, from vigil's stdout. */
static char *alert_keys(const char *out, size_t *n_out)
{
    size_t cap = 1 << 16, len = 0, n = 0;
    char *keys = malloc(cap);
    char **lines = NULL;
    size_t n_lines = 0;
    const char *line = out;
    while (*line) {
        const char *nl = strchr(line, '\n');
        char rid[128], input[512], rec[32];
        const char *rule = strstr(line, "\"rule\":");
        assert_non_null(rule);
        assert_true(json_field(rule, "id", rid, sizeof(rid)));
        const char *src = strstr(line, "\"source\":");
        assert_non_null(src);
        assert_true(json_field(src, "input", input, sizeof(input)));
        assert_true(json_field(src, "record", rec, sizeof(rec)));
        const char *base = strrchr(input, '/');
        base = base ? base + 1 : input;
        lines = realloc(lines, (n_lines + 1) * sizeof(char *));
        size_t ll = strlen(rid) + strlen(base) + strlen(rec) + 3;
        lines[n_lines] = malloc(ll);
        snprintf(lines[n_lines], ll, "%s\t%s\t%s", rid, base, rec);
        n_lines++;
        if (!nl)
            break;
        line = nl + 1;
    }
    for (size_t i = 0; i < n_lines; i++)
        for (size_t j = i + 1; j < n_lines; j++)
            if (strcmp(lines[i], lines[j]) > 0) {
                char *t = lines[i];
                lines[i] = lines[j];
                lines[j] = t;
            }
    for (size_t i = 0; i < n_lines; i++) {
        size_t ll = strlen(lines[i]);
        if (len + ll + 2 > cap) {
            cap = (len + ll + 2) * 2;
            keys = realloc(keys, cap);
        }
        memcpy(keys + len, lines[i], ll);
        len += ll;
        keys[len++] = '\n';
        free(lines[i]);
        n++;
    }
    keys[len] = '\0';
    free(lines);
    *n_out = n;
    return keys;
}

static const char samples_cmd[] =
        "run --rules rules/sigma --input rules/samples/windows.json --format syslog --input "
        "rules/samples/linux.log --format json --input rules/samples/web.jsonl --input "
        "rules/samples/cloudtrail.jsonl --input rules/samples/correlation.jsonl";

static void test_samples_match_expected(void **state)
{
    (void)state;
    /* rules/tests/samples.yml: every alert of the bundled rules over the samples, exactly */
    cmd_out t = run_vigil("test rules/tests/samples.yml");
    if (t.status != 0)
        print_message("%s%s", t.out, t.err);
    assert_int_equal(t.status, 0);
    assert_non_null(strstr(t.out, "PASS rules/tests/samples.yml (41 alerts, 41 expectations)"));
    cmd_free(&t);

    /* the demo command gives the same alerts: as many lines */
    cmd_out r = run_vigil("%s", samples_cmd);
    assert_int_equal(r.status, 0);
    size_t n_got;
    char *got = alert_keys(r.out, &n_got);
    assert_int_equal(n_got, 41);

    /* same input, same alert ids */
    cmd_out r2 = run_vigil("%s", samples_cmd);
    char id1[40], id2[40];
    assert_true(json_field(r.out, "id", id1, sizeof(id1)));
    assert_true(json_field(r2.out, "id", id2, sizeof(id2)));
    assert_string_equal(id1, id2);
    assert_int_equal(strlen(id1), 32);
    cmd_free(&r2);
    free(got);
    cmd_free(&r);
}

static const char rule_yml[] = "title: Test whoami\n"
                               "id: 11111111-2222-3333-4444-555555555555\n"
                               "level: high\n"
                               "tags: [attack.discovery]\n"
                               "logsource: {product: test}\n"
                               "detection:\n"
                               "  sel:\n"
                               "    CommandLine|contains: whoami\n"
                               "  condition: sel\n";

static void test_bad_records_are_reported_and_skipped(void **state)
{
    (void)state;
    write_file("rule.yml", rule_yml);
    write_file("events.jsonl", "{\"CommandLine\":\"whoami /all\"}\n"
                               "{\"CommandLine\": \"broken\n"
                               "{\"CommandLine\":\"cmd /c whoami\"}\n"
                               "not json at all\n"
                               "{\"CommandLine\":\"WHOAMI\", \"x\": [1,2,}\n"
                               "{\"CommandLine\":\"whoami\"}\n");
    cmd_out r = run_vigil("run --rules %s/rule.yml --format json --input %s/events.jsonl",
                          harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    size_t n;
    char *keys = alert_keys(r.out, &n);
    assert_int_equal(n, 3);
    /* records 0, 2 and 5 fire; the malformed ones in between are skipped */
    assert_non_null(strstr(keys, "events.jsonl\t0\n"));
    assert_non_null(strstr(keys, "events.jsonl\t2\n"));
    assert_non_null(strstr(keys, "events.jsonl\t5\n"));
    /* each bad record is reported with its line and record number */
    assert_non_null(strstr(r.err, "events.jsonl:2: record 1"));
    assert_non_null(strstr(r.err, "events.jsonl:4: record 3"));
    assert_non_null(strstr(r.err, "events.jsonl:5: record 4"));
    assert_non_null(strstr(r.err, "3 malformed"));
    free(keys);
    cmd_free(&r);
}

static void test_oversized_record_counted(void **state)
{
    (void)state;
    write_file("rule.yml", rule_yml);
    size_t big = 200000;
    char *text = malloc(big + 200);
    int off = snprintf(text, 200, "{\"CommandLine\":\"whoami\"}\n{\"CommandLine\":\"");
    memset(text + off, 'a', big);
    snprintf(text + off + big, 200, "\"}\n{\"CommandLine\":\"whoami\"}\n");
    write_file("big.jsonl", text);
    free(text);
    cmd_out r = run_vigil(
            "run --rules %s/rule.yml --format json --max-record 65536 --input %s/big.jsonl",
            harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    size_t n;
    char *keys = alert_keys(r.out, &n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(keys, "big.jsonl\t0\n"));
    assert_non_null(strstr(keys, "big.jsonl\t2\n"));
    assert_non_null(strstr(r.err, "record too large"));
    assert_non_null(strstr(r.err, "1 oversized"));
    free(keys);
    cmd_free(&r);
}

static void test_deep_nesting_bounded(void **state)
{
    (void)state;
    write_file("rule.yml", rule_yml);
    size_t depth = 100000;
    char *text = malloc(2 * depth + 100);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++)
        text[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        text[n++] = ']';
    memcpy(text + n, "\n{\"CommandLine\":\"whoami\"}\n", 27);
    write_file("deep.json", text);
    free(text);
    cmd_out r = run_vigil("run --rules %s/rule.yml --format json --input %s/deep.json",
                          harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    size_t n_alerts;
    char *keys = alert_keys(r.out, &n_alerts);
    assert_int_equal(n_alerts, 1);
    assert_non_null(strstr(r.err, "record 0"));
    free(keys);
    cmd_free(&r);
}

static void test_check_reports_positions_and_status(void **state)
{
    (void)state;
    write_file("good.yml", rule_yml);
    write_file("bad.yml", "title: Bad\n"
                          "id: bad-rule\n"
                          "logsource: {product: test}\n"
                          "detection:\n"
                          "  sel:\n"
                          "    Image|endswith|containz: x\n"
                          "  condition: sel and not filter\n");
    cmd_out r = run_vigil("check %s/good.yml", harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "1 rules loaded"));
    cmd_free(&r);
    r = run_vigil("check %s/good.yml %s/bad.yml", harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 1);
    assert_non_null(
            strstr(r.err, "bad.yml:6:20: error: unknown modifier 'containz' [rule bad-rule]"));
    assert_non_null(strstr(r.err, "1 rules loaded"));
    assert_non_null(strstr(r.err, "1 rejected"));
    assert_non_null(strstr(r.err, "unknown-modifier"));
    cmd_free(&r);
    /* run keeps the good rule; --strict refuses */
    write_file("ev.jsonl", "{\"CommandLine\":\"whoami\"}\n");
    r = run_vigil("run --rules %s/good.yml %s/bad.yml --input %s/ev.jsonl", harness_tmpdir(),
                  harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "11111111-2222-3333-4444-555555555555"));
    cmd_free(&r);
    r = run_vigil("run --strict --rules %s/good.yml %s/bad.yml --input %s/ev.jsonl",
                  harness_tmpdir(), harness_tmpdir(), harness_tmpdir());
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    cmd_free(&r);
}

static void test_help_and_usage(void **state)
{
    (void)state;
    const char *cmds[] = {"--help", "run --help", "check --help", "help run"};
    for (size_t i = 0; i < 4; i++) {
        cmd_out r = run_vigil("%s", cmds[i]);
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "Usage: vigil"));
        cmd_free(&r);
    }
    cmd_out r = run_vigil("run --input x");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--rules"));
    cmd_free(&r);
    r = run_vigil("frobnicate");
    assert_int_equal(r.status, 2);
    cmd_free(&r);
    r = run_vigil("run --rules rules/sigma --input /nonexistent/file");
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "cannot open input '/nonexistent/file'"));
    cmd_free(&r);
}

/* Live input: an alert for a record on a pipe must come out while the writer keeps the pipe
 * open (no waiting for a full buffer or the end of input). Bounded: 20 s, then fail. */
static void test_live_stdin_is_not_held_back(void **state)
{
    (void)state;
    write_file("rule.yml", rule_yml);
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    char rule[400];
    snprintf(rule, sizeof(rule), "%s/rule.yml", harness_tmpdir());
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        close(to_child[1]);
        close(from_child[0]);
        execl(getenv("VIGIL_BIN"), "vigil", "run", "-q", "--rules", rule, "--format", "json",
              "--threads", "2", "--input", "-", (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    const char ev[] = "{\"CommandLine\":\"whoami /all\"}\n";
    assert_int_equal(write(to_child[1], ev, sizeof(ev) - 1), (ssize_t)(sizeof(ev) - 1));
    struct pollfd pfd = {from_child[0], POLLIN, 0};
    int ready = poll(&pfd, 1, 20000);
    char buf[4096];
    ssize_t n = ready > 0 ? read(from_child[0], buf, sizeof(buf) - 1) : -1;
    close(to_child[1]); /* end of input: vigil exits */
    int st;
    waitpid(pid, &st, 0);
    close(from_child[0]);
    assert_true(ready > 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "11111111-2222-3333-4444-555555555555"));
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int setup(void **state)
{
    (void)state;
    return harness_setup("cli");
}

static int teardown(void **state)
{
    (void)state;
    return harness_teardown();
}

/* `suppress` on a detection rule: one alert per account per hour of event time, the rest
 * counted; the same with worker threads. correlation.jsonl has 28 failed logons of 13
 * accounts. */
static void test_suppress_detection_rule(void **state)
{
    (void)state;
    write_file("sup.yml", "title: Failed logon, once per account and hour\n"
                          "id: sup-1\n"
                          "logsource: {product: windows, service: security}\n"
                          "detection: {sel: {EventID: 4625}, condition: sel}\n"
                          "suppress: {by: [TargetUserName], for: 1h}\n");
    for (int threads = 1; threads <= 2; threads++) {
        cmd_out r = run_vigil("run --threads %d --rules %s/sup.yml --input "
                              "rules/samples/correlation.jsonl",
                              threads, harness_tmpdir());
        assert_int_equal(r.status, 0);
        size_t n = 0;
        for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
            n++;
        assert_int_equal(n, 13);
        assert_non_null(strstr(r.out, "\"TargetUserName\":\"admin\""));
        assert_non_null(strstr(r.err, "13 alerts"));
        assert_non_null(strstr(r.err, "suppress: 15 alerts and 0 correlation alerts silenced"));
        cmd_free(&r);
    }
}

/* The correlation memory cap: new group keys are refused, reported once and counted; the
 * run goes on and succeeds. */
static void test_corr_memory_cap(void **state)
{
    (void)state;
    write_file("cap.yml", "title: Failed\nid: cap-f\nname: failed\n"
                          "detection: {sel: {EventID: 4625}, condition: sel}\n---\n"
                          "title: Many\nid: cap-m\ncorrelation: {type: event_count, "
                          "rules: [failed], group-by: [TargetUserName], timespan: 1h, "
                          "condition: {gte: 3}}\n");
    char path[600];
    snprintf(path, sizeof(path), "%s/cap.jsonl", harness_tmpdir());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 20000; i++)
        fprintf(f, "{\"@timestamp\":%lld,\"EventID\":4625,\"TargetUserName\":\"u%d\"}\n",
                1767225600000LL + i, i);
    fclose(f);
    cmd_out r = run_vigil("run -q --corr-max-memory 1048576 --rules %s/cap.yml --input %s",
                          harness_tmpdir(), path);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "correlation state reached its memory cap"));
    const char *refused = strstr(r.err, "refused by the memory cap");
    assert_non_null(refused);
    /* "... (N freed), M refused by the memory cap": M > 0 */
    const char *m = refused;
    while (m > r.err && m[-1] == ' ')
        m--;
    while (m > r.err && m[-1] >= '0' && m[-1] <= '9')
        m--;
    assert_true(strtoull(m, NULL, 10) > 0);
    cmd_free(&r);
}

/* The bundled rule tests pass; every bundled correlation has one; a failing test prints
 * what is missing (-) and unexpected (+) and exits 1. */
static void test_rule_tests(void **state)
{
    (void)state;
    cmd_out r = run_vigil("test rules/tests");
    if (r.status != 0)
        print_message("%s%s", r.out, r.err);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "6 passed, 0 failed"));
    cmd_free(&r);

    r = run_vigil("test rules/tests/mr_win_password_spraying.yml -v");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "= rule 'Password Spraying from One Source' group "
                                  "IpAddress=198.51.100.23 record 17"));
    cmd_free(&r);

    char src[512], t[2048];
    snprintf(src, sizeof(src), "%s/rules", getenv("VIGIL_SRC"));
    snprintf(t, sizeof(t),
             "rules:\n  - %s/sigma/correlation/mr_win_password_spraying.yml\n"
             "  - %s/sigma/correlation/win_security_failed_logon.yml\n"
             "inputs:\n  - path: %s/samples/correlation.jsonl\n"
             "expect:\n  - rule: Password Spraying from One Source\n"
             "    group: {IpAddress: 198.51.100.99}\n",
             src, src, src);
    write_file("fails.yml", t);
    r = run_vigil("test %s/fails.yml", harness_tmpdir());
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "FAIL "));
    assert_non_null(strstr(r.out, "+ unexpected: rule 'Password Spraying from One Source' group "
                                  "IpAddress=198.51.100.23 record 17"));
    assert_non_null(strstr(r.out, "expected rule 'Password Spraying from One Source' group "
                                  "IpAddress=198.51.100.99: 1 alert, got 0"));
    assert_non_null(strstr(r.out, "0 passed, 1 failed"));
    cmd_free(&r);

    /* every bundled correlation file has a test of the same name */
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/rules/sigma/correlation", getenv("VIGIL_SRC"));
    DIR *dh = opendir(dir);
    assert_non_null(dh);
    size_t n_corr = 0;
    for (struct dirent *de; (de = readdir(dh)) != NULL;) {
        if (strncmp(de->d_name, "mr_", 3) != 0)
            continue;
        char test[900];
        snprintf(test, sizeof(test), "%s/rules/tests/%s", getenv("VIGIL_SRC"), de->d_name);
        if (access(test, R_OK) != 0)
            print_error("correlation %s has no test in rules/tests/\n", de->d_name);
        assert_int_equal(access(test, R_OK), 0);
        n_corr++;
    }
    closedir(dh);
    assert_int_equal(n_corr, 5);
}

/* vigil run --config FILE --check-config: the file, the flags over it, secrets masked. */
static void test_config_check_and_overrides(void **state)
{
    (void)state;
    harness_result r = harness_run("run --config docs/vigil.example.yml --check-config "
                                   "--threads 3 --redis 10.0.0.5:6380 --alert-format protobuf");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "threads: 3\n"));
    assert_non_null(strstr(r.out, "redis: 10.0.0.5:6380 "));
    assert_non_null(strstr(r.out, "alerts.format: protobuf\n"));
    assert_non_null(strstr(r.out, "input: windows-security (format json"));
    harness_result_free(&r);

    setenv("VIGIL_TEST_SECRET", "hunter2-do-not-print", 1);
    write_file("secret.yml", "rules: [rules/sigma]\n"
                             "kafka:\n  properties:\n    sasl.password: \"${VIGIL_TEST_SECRET}\"\n"
                             "inputs:\n  - topic: ev\n"
                             "redis:\n  password: \"${VIGIL_TEST_SECRET}\"\n");
    r = harness_run("run --config %s/secret.yml --check-config", harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "kafka.properties.sasl.password: (secret)"));
    assert_non_null(strstr(r.out, "password (set)"));
    assert_null(strstr(r.out, "hunter2"));
    assert_null(strstr(r.err, "hunter2"));
    harness_result_free(&r);

    /* a bad file: one error naming the file, the line and column, and the key */
    write_file("bad.yml", "rules: [rules/sigma]\ninputs:\n  - topic: ev\nredis:\n  port: 99999\n");
    r = harness_run("run --config %s/bad.yml --check-config", harness_tmpdir());
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "bad.yml:5:9: redis.port:"));
    harness_result_free(&r);
    r = harness_run("run --config %s/bad.yml --help", harness_tmpdir());
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--check-config"));
    harness_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_samples_match_expected),
            cmocka_unit_test(test_bad_records_are_reported_and_skipped),
            cmocka_unit_test(test_oversized_record_counted),
            cmocka_unit_test(test_deep_nesting_bounded),
            cmocka_unit_test(test_check_reports_positions_and_status),
            cmocka_unit_test(test_help_and_usage),
            cmocka_unit_test(test_live_stdin_is_not_held_back),
            cmocka_unit_test(test_rule_tests),
            cmocka_unit_test(test_suppress_detection_rule),
            cmocka_unit_test(test_corr_memory_cap),
            cmocka_unit_test(test_config_check_and_overrides),
    };
    return cmocka_run_group_tests_name("integration/cli", tests, setup, teardown);
}
