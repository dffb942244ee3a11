/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vlog.c: the JSON log lines (src/vlog.c), written to a temporary file and read back
 * with the engine's JSON parser: the fields and their types, the escaping of quotes,
 * backslashes, newlines, control and non-UTF-8 bytes, level filtering and parsing, the
 * truncation of long values and long lines, and whole lines from concurrent threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "base/timefmt.h"
#include "vigil/event.h"
#include "vigil/parse.h"
#include "vlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Everything written to f, NUL-terminated; *n gets the length. Free with free(). */
static char *slurp(FILE *f, size_t *n)
{
    fflush(f);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *p = malloc((size_t)len + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    p[len] = '\0';
    *n = (size_t)len;
    return p;
}

/* Parse one line (with its newline) as JSON into ev. */
static void parse_line(vg_event *ev, const char *line, size_t len)
{
    assert_true(len > 0 && line[len - 1] == '\n');
    vg_event_reset(ev);
    vg_perr pe = {0};
    vg_status rc = vg_parse_json(ev, line, len - 1, &pe);
    if (rc != VG_OK)
        fail_msg("not JSON (%s at %zu): %.*s", pe.msg, pe.offset, (int)len, line);
    assert_int_equal(vg_event_index(ev), VG_OK);
}

static const vg_node *field(vg_event *ev, const char *key)
{
    uint32_t i = vg_event_path(ev, key, strlen(key));
    return i == VG_NODE_NONE ? NULL : vg_event_node(ev, i);
}

static void assert_field(vg_event *ev, const char *key, vg_vtype type, const char *text)
{
    const vg_node *n = field(ev, key);
    if (!n)
        fail_msg("no field %s", key);
    assert_int_equal(n->type, type);
    if (!vg_span_eq_cstr(n->text, text))
        fail_msg("%s: got '%.*s', want '%s'", key, (int)n->text.len, n->text.p, text);
}

static void test_fields_and_escaping(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    vlog *lg = vlog_new(f, VLOG_DEBUG);
    assert_non_null(lg);
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    vlog_rec r;
    assert_true(vlog_begin(lg, &r, VLOG_WARN, "redis unavailable"));
    vlog_str(&r, "error", "say \"no\"\\\nnext\ttab\x01\x1f\x7f end");
    vlog_strn(&r, "bytes", "a\0b\xff\xc3\xa9", 6);
    vlog_int(&r, "retry_ms", 1000);
    vlog_int(&r, "neg", INT64_MIN);
    vlog_u64(&r, "big", UINT64_MAX);
    vlog_dbl(&r, "ratio", 0.1);
    vlog_dbl(&r, "inf", 1.0 / 0.0);
    vlog_bool(&r, "yes", true);
    vlog_bool(&r, "no", false);
    vlog_str(&r, "none", NULL);
    vlog_str(&r, "k\"ey", "v");
    vlog_end(&r);

    size_t n;
    char *out = slurp(f, &n);
    /* the raw text: field order and escapes as written */
    const char *want_tail =
            "\",\"level\":\"warn\",\"msg\":\"redis unavailable\","
            "\"error\":\"say \\\"no\\\"\\\\\\nnext\\ttab\\u0001\\u001f\\u007f end\","
            "\"bytes\":\"a\\u0000b\\ufffd\xc3\xa9\",\"retry_ms\":1000,"
            "\"neg\":-9223372036854775808,\"big\":18446744073709551615,"
            "\"ratio\":0.1,\"inf\":null,\"yes\":true,\"no\":false,\"none\":null,"
            "\"k\\\"ey\":\"v\"}\n";
    assert_true(strncmp(out, "{\"ts\":\"", 7) == 0);
    assert_true(n > strlen(want_tail));
    assert_string_equal(out + 7 + 24, want_tail);
    assert_int_equal(strchr(out, '\n') - out, (long)n - 1); /* one line */

    vg_event *ev = vg_event_new(NULL);
    parse_line(ev, out, n);
    assert_field(ev, "level", VG_V_STR, "warn");
    assert_field(ev, "msg", VG_V_STR, "redis unavailable");
    assert_field(ev, "error", VG_V_STR, "say \"no\"\\\nnext\ttab\x01\x1f\x7f end");
    assert_field(ev, "retry_ms", VG_V_NUM, "1000");
    assert_field(ev, "big", VG_V_NUM, "18446744073709551615");
    assert_field(ev, "ratio", VG_V_NUM, "0.1");
    assert_field(ev, "yes", VG_V_BOOL, "true");
    assert_field(ev, "none", VG_V_NULL, "null");
    const vg_node *b = field(ev, "bytes");
    assert_non_null(b);
    assert_int_equal(b->text.len, 8); /* a NUL b U+FFFD é */
    assert_memory_equal(b->text.p, "a\0b\xef\xbf\xbd\xc3\xa9", 8);

    /* the time: RFC 3339 UTC with milliseconds, close to now */
    const vg_node *ts = field(ev, "ts");
    assert_non_null(ts);
    assert_int_equal(ts->text.len, 24);
    assert_int_equal(ts->text.p[23], 'Z');
    vg_time t;
    assert_true(vg_time_parse(ts->text.p, ts->text.len, &t));
    int64_t now = (int64_t)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
    assert_true(t.epoch_ms >= now - 1 && t.epoch_ms < now + 60000);

    vg_event_free(ev);
    free(out);
    vlog_free(lg);
    fclose(f);
}

static void test_levels(void **state)
{
    (void)state;
    vlog_level l = VLOG_ERROR;
    assert_true(vlog_level_parse("debug", &l));
    assert_int_equal(l, VLOG_DEBUG);
    assert_true(vlog_level_parse("info", &l));
    assert_int_equal(l, VLOG_INFO);
    assert_true(vlog_level_parse("warn", &l));
    assert_int_equal(l, VLOG_WARN);
    assert_true(vlog_level_parse("error", &l));
    assert_int_equal(l, VLOG_ERROR);
    l = VLOG_INFO;
    assert_false(vlog_level_parse("WARN", &l));
    assert_false(vlog_level_parse("warning", &l));
    assert_false(vlog_level_parse("", &l));
    assert_false(vlog_level_parse(NULL, &l));
    assert_int_equal(l, VLOG_INFO);
    assert_string_equal(vlog_level_name(VLOG_WARN), "warn");

    FILE *f = tmpfile();
    vlog *lg = vlog_new(f, VLOG_WARN);
    vlog_rec r;
    assert_false(vlog_enabled(lg, VLOG_INFO));
    assert_true(vlog_enabled(lg, VLOG_ERROR));
    assert_false(vlog_begin(lg, &r, VLOG_DEBUG, "d"));
    assert_false(vlog_begin(lg, &r, VLOG_INFO, "i"));
    assert_true(vlog_begin(lg, &r, VLOG_WARN, "w"));
    vlog_end(&r);
    assert_true(vlog_begin(lg, &r, VLOG_ERROR, "e"));
    vlog_end(&r);
    assert_false(vlog_begin(NULL, &r, VLOG_ERROR, "no logger"));
    assert_null(vlog_new(NULL, VLOG_INFO));

    size_t n;
    char *out = slurp(f, &n);
    vg_event *ev = vg_event_new(NULL);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    parse_line(ev, out, (size_t)(nl - out) + 1);
    assert_field(ev, "level", VG_V_STR, "warn");
    assert_field(ev, "msg", VG_V_STR, "w");
    parse_line(ev, nl + 1, n - (size_t)(nl + 1 - out));
    assert_field(ev, "level", VG_V_STR, "error");
    assert_field(ev, "msg", VG_V_STR, "e");
    vg_event_free(ev);
    free(out);
    vlog_free(lg);
    fclose(f);
}

static void test_truncation(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    vlog *lg = vlog_new(f, VLOG_INFO);
    size_t big_len = 100000;
    char *big = malloc(big_len + 1);
    memset(big, 'x', big_len);
    big[big_len] = '\0';

    /* one long value: cut at VLOG_VALUE_MAX with "...", the fields after it stay */
    vlog_rec r;
    assert_true(vlog_begin(lg, &r, VLOG_INFO, "long"));
    vlog_str(&r, "v", big);
    vlog_int(&r, "after", 1);
    vlog_end(&r);
    /* quotes near the cut: an escape is never split */
    char *quotes = malloc(big_len + 1);
    memset(quotes, '"', big_len);
    quotes[big_len] = '\0';
    assert_true(vlog_begin(lg, &r, VLOG_INFO, "quotes"));
    vlog_str(&r, "q", quotes);
    vlog_end(&r);
    /* UTF-8 near the cut: a character is never split */
    char *utf = malloc(big_len + 1);
    for (size_t i = 0; i + 3 <= big_len; i += 3)
        memcpy(utf + i, "\xe2\x82\xac", 3); /* U+20AC */
    utf[big_len - big_len % 3] = '\0';
    assert_true(vlog_begin(lg, &r, VLOG_INFO, "utf"));
    vlog_str(&r, "u", utf + 1); /* starting mid-character: a U+FFFD */
    vlog_end(&r);
    /* many long values: the line stops at VLOG_LINE_MAX, later fields are left out */
    assert_true(vlog_begin(lg, &r, VLOG_INFO, "many"));
    for (int i = 0; i < 8; i++) {
        char key[16];
        snprintf(key, sizeof(key), "f%d", i);
        vlog_str(&r, key, big);
    }
    vlog_int(&r, "dropped", 1);
    vlog_end(&r);

    size_t n;
    char *out = slurp(f, &n);
    vg_event *ev = vg_event_new(NULL);
    char *line = out;
    for (int k = 0; k < 4; k++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        size_t len = (size_t)(nl - line) + 1;
        assert_true(len <= VLOG_LINE_MAX);
        parse_line(ev, line, len);
        const vg_node *v;
        switch (k) {
        case 0:
            v = field(ev, "v");
            assert_int_equal(v->text.len, VLOG_VALUE_MAX);
            assert_memory_equal(v->text.p + VLOG_VALUE_MAX - 4, "x...", 4);
            assert_field(ev, "after", VG_V_NUM, "1");
            break;
        case 1:
            v = field(ev, "q");
            /* 2 escaped bytes per quote: (4096 - 3) / 2 quotes, then "..." */
            assert_int_equal(v->text.len, (VLOG_VALUE_MAX - 3) / 2 + 3);
            assert_memory_equal(v->text.p + v->text.len - 4, "\"...", 4);
            break;
        case 2:
            v = field(ev, "u");
            assert_memory_equal(v->text.p, "\xef\xbf\xbd\xef\xbf\xbd\xe2\x82\xac", 9);
            assert_memory_equal(v->text.p + v->text.len - 6, "\xe2\x82\xac...", 6);
            break;
        case 3:
            assert_true(len > VLOG_LINE_MAX - 64);
            assert_non_null(field(ev, "f0"));
            assert_non_null(field(ev, "f2"));
            assert_null(field(ev, "f7"));
            assert_null(field(ev, "dropped"));
            break;
        }
        line = nl + 1;
    }
    assert_int_equal((size_t)(line - out), n);
    vg_event_free(ev);
    free(out);
    free(big);
    free(quotes);
    free(utf);
    vlog_free(lg);
    fclose(f);
}

#define THREAD_LINES 2000

static void *writer(void *arg)
{
    vlog *lg = arg;
    char pad[300];
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < THREAD_LINES; i++) {
        vlog_rec r;
        if (vlog_begin(lg, &r, VLOG_INFO, "tick")) {
            vlog_int(&r, "i", i);
            vlog_str(&r, "pad", pad);
            vlog_end(&r);
        }
    }
    return NULL;
}

static void test_threads_whole_lines(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    vlog *lg = vlog_new(f, VLOG_INFO);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, lg), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    size_t n;
    char *out = slurp(f, &n);
    vg_event *ev = vg_event_new(NULL);
    int lines = 0;
    for (char *line = out, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        parse_line(ev, line, (size_t)(nl - line) + 1);
        assert_field(ev, "msg", VG_V_STR, "tick");
        lines++;
    }
    assert_int_equal(lines, 2 * THREAD_LINES);
    vg_event_free(ev);
    free(out);
    vlog_free(lg);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields_and_escaping),
            cmocka_unit_test(test_levels),
            cmocka_unit_test(test_truncation),
            cmocka_unit_test(test_threads_whole_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
