/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_alert_pb.c: alert JSON lines to vigil.Alert protobuf, key and headers (src/alert_pb.h).
 *
 * Real alerts: the vigil binary ($VIGIL_BIN) is run over the bundled rules and samples
 * (detection and correlation alerts), and over a value_percentile correlation of its own
 * (field_value, a fractional value); every line is encoded, decoded with
 * vigil__alert__unpack and compared member by member with the JSON, read here through the
 * indexed event API (vg_event_path), a different road from the encoder's. Times must
 * format back to the exact JSON text, a detection event's fields_json must be the exact
 * bytes of its "fields" object in the line, and the key must be the rule id plus the group.
 * Hostile input: every proper prefix of a real alert, byte mutations of real alerts,
 * missing and mistyped members, a huge tags array, NUL bytes, an oversized alert and a full
 * output buffer give -1 with a message (never a crash; the suite runs under ASan too).
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

#include "alert.pb-c.h"
#include "alert_pb.h"
#include "base/timefmt.h"
#include "vigil/parse.h"

#define CHECK(ctx, cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail_msg("[%s] check failed: %s (line %d)", (ctx), #cond, __LINE__);                   \
    } while (0)

typedef struct lines {
    char **v;
    size_t n;
} lines;

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* The alert lines of `vigil run --rules RULES --input INPUT` (relative to dir). */
static void run_vigil(const char *dir, const char *rules, const char *input, lines *out)
{
    const char *bin = getenv("VIGIL_BIN");
    if (!bin)
        fail_msg("VIGIL_BIN is not set (run through ctest)");
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' run --rules '%s' --input '%s' 2>/dev/null", dir,
             bin, rules, input);
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("popen: %s", cmd);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, p)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = strdup(line);
    }
    free(line);
    int st = pclose(p);
    if (st != 0)
        fail_msg("%s: exit status %d", cmd, st);
}

/* ---- the JSON side, read with the indexed event API ---- */

static const vg_node *jget(const vg_event *ev, const char *path)
{
    uint32_t i = vg_event_path(ev, path, strlen(path));
    return i == VG_NODE_NONE ? NULL : vg_event_node(ev, i);
}

static bool text_is(const vg_node *n, const char *s)
{
    return n && s && n->text.len == strlen(s) && memcmp(n->text.p, s, n->text.len) == 0;
}

static bool time_is(const vg_node *n, int64_t ms)
{
    char ts[40];
    vg_time_format(ms, ts, sizeof(ts));
    return n && n->type == VG_V_STR && text_is(n, ts);
}

static bool u64_is(const vg_node *n, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
    return n && n->type == VG_V_NUM && text_is(n, s);
}

static uint32_t child(const vg_event *ev, uint32_t obj, const char *key)
{
    for (uint32_t c = vg_event_node(ev, obj)->first_child; c != VG_NODE_NONE;
         c = vg_event_node(ev, c)->next_sibling)
        if (vg_span_eq_cstr(vg_event_node(ev, c)->key, key))
            return c;
    return VG_NODE_NONE;
}

static const vg_node *cnode(const vg_event *ev, uint32_t obj, const char *key)
{
    uint32_t i = child(ev, obj, key);
    return i == VG_NODE_NONE ? NULL : vg_event_node(ev, i);
}

/* The bytes of a detection alert's "fields" object in the line itself. */
static vg_span fields_span(const char *line)
{
    const char *ev = strstr(line, "\"events\":[{\"source\":{");
    const char *f = ev ? strstr(ev, "},\"fields\":") : NULL;
    size_t len = strlen(line);
    if (!f || len < 3 || memcmp(line + len - 3, "}]}", 3) != 0)
        return (vg_span){NULL, 0};
    f += strlen("},\"fields\":");
    return (vg_span){f, (size_t)(line + len - 3 - f)};
}

typedef struct tally {
    size_t detection, correlation, field_value;
} tally;

/* Encode one real alert line and compare the decoded message with the JSON. */
static void check_line(alert_pb *a, const char *line, tally *t)
{
    size_t len = strlen(line);
    char err[256] = "";
    vg_buf out;
    vg_buf_init(&out, 0);
    vg_buf_puts(&out, "pre"); /* encode appends */
    if (alert_pb_encode(a, line, len, &out, err, sizeof(err)) != 0)
        fail_msg("encode failed: %s\n%s", err, line);
    CHECK(line, memcmp(out.p, "pre", 3) == 0);
    Vigil__Alert *m = vigil__alert__unpack(NULL, out.len - 3, (const uint8_t *)out.p + 3);
    CHECK(line, m != NULL);

    vg_event *ev = vg_event_new(NULL);
    CHECK(line, vg_parse_json(ev, line, len, NULL) == VG_OK && vg_event_index(ev) == VG_OK);

    /* id, rule, times */
    CHECK(line, text_is(jget(ev, "id"), m->id));
    CHECK(line, strcmp(alert_pb_id(a), m->id) == 0 && strlen(m->id) == 32);
    CHECK(line, m->rule && text_is(jget(ev, "rule.id"), m->rule->id));
    CHECK(line, strcmp(alert_pb_rule_id(a), m->rule->id) == 0);
    CHECK(line, text_is(jget(ev, "rule.title"), m->rule->title));
    CHECK(line, text_is(jget(ev, "rule.level"), m->rule->level));
    uint32_t tags = vg_event_path(ev, "rule.tags", 9);
    CHECK(line, tags != VG_NODE_NONE && vg_event_node(ev, tags)->type == VG_V_ARR);
    size_t nt = 0;
    for (uint32_t c = vg_event_node(ev, tags)->first_child; c != VG_NODE_NONE;
         c = vg_event_node(ev, c)->next_sibling, nt++)
        CHECK(line, nt < m->rule->n_tags && text_is(vg_event_node(ev, c), m->rule->tags[nt]));
    CHECK(line, nt == m->rule->n_tags);
    CHECK(line, time_is(jget(ev, "time"), m->time_ms));
    const vg_node *et = jget(ev, "event_time");
    CHECK(line, et != NULL);
    if (et->type == VG_V_NULL)
        CHECK(line, !m->has_event_time_ms);
    else
        CHECK(line, m->has_event_time_ms && time_is(et, m->event_time_ms));

    /* correlation */
    bool corr = jget(ev, "correlation") != NULL;
    CHECK(line, corr == alert_pb_is_correlation(a) && corr == (m->correlation != NULL));
    CHECK(line, strcmp(alert_pb_kind(a), corr ? "correlation" : "detection") == 0);
    vg_buf key, want;
    vg_buf_init(&key, 0);
    vg_buf_init(&want, 0);
    CHECK(line, alert_pb_key(a, &key) == 0);
    vg_buf_puts(&want, m->rule->id);
    if (corr) {
        Vigil__Correlation *c = m->correlation;
        t->correlation++;
        CHECK(line, text_is(jget(ev, "correlation.type"), c->type));
        char ts[24];
        snprintf(ts, sizeof(ts), "%lld", (long long)c->timespan_ms);
        CHECK(line, c->has_timespan_ms && text_is(jget(ev, "correlation.timespan_ms"), ts));
        CHECK(line,
              c->has_window_start_ms && time_is(jget(ev, "window.start"), c->window_start_ms));
        CHECK(line, c->has_window_end_ms && time_is(jget(ev, "window.end"), c->window_end_ms));
        CHECK(line, c->has_window_end_ms && m->event_time_ms == c->window_end_ms);
        uint32_t g = vg_event_path(ev, "group", 5);
        CHECK(line, g != VG_NODE_NONE);
        size_t ng = 0;
        for (uint32_t x = vg_event_node(ev, g)->first_child; x != VG_NODE_NONE;
             x = vg_event_node(ev, x)->next_sibling, ng++) {
            const vg_node *gn = vg_event_node(ev, x);
            CHECK(line, ng < c->n_group && vg_span_eq_cstr(gn->key, c->group[ng]->field));
            CHECK(line, text_is(gn, c->group[ng]->value));
            vg_buf_putc(&want, '\n');
            vg_buf_append(&want, gn->key.p, gn->key.len);
            vg_buf_putc(&want, '=');
            vg_buf_append(&want, gn->text.p, gn->text.len);
        }
        CHECK(line, ng == c->n_group && ng > 0);
        const vg_node *v = jget(ev, "value");
        char vt[64];
        snprintf(vt, sizeof(vt), "%.*s", (int)v->text.len, v->text.p);
        CHECK(line, c->has_value && c->value == strtod(vt, NULL));
        CHECK(line, c->has_events_total && u64_is(jget(ev, "events_total"), c->events_total));
        const vg_node *fv = jget(ev, "field_value");
        CHECK(line, fv ? text_is(fv, c->field_value) : c->field_value == NULL);
        t->field_value += fv != NULL;
    } else {
        t->detection++;
    }
    CHECK(line, key.len == want.len && memcmp(key.p, want.p, key.len) == 0);

    /* events */
    uint32_t evs = vg_event_path(ev, "events", 6);
    CHECK(line, evs != VG_NODE_NONE);
    size_t ne = 0;
    for (uint32_t x = vg_event_node(ev, evs)->first_child; x != VG_NODE_NONE;
         x = vg_event_node(ev, x)->next_sibling, ne++) {
        CHECK(line, ne < m->n_events);
        Vigil__Event *e = m->events[ne];
        uint32_t so = child(ev, x, "source");
        CHECK(line, so != VG_NODE_NONE && e->source);
        CHECK(line, text_is(cnode(ev, so, "input"), e->source->input));
        CHECK(line, u64_is(cnode(ev, so, "record"), e->source->record));
        const vg_node *ln = cnode(ev, so, "line");
        CHECK(line, ln ? e->source->has_line && u64_is(ln, e->source->line) : !e->source->has_line);
        if (corr) {
            CHECK(line, e->has_time_ms && time_is(cnode(ev, x, "time"), e->time_ms));
            CHECK(line, text_is(cnode(ev, x, "rule"), e->rule_id));
            CHECK(line, e->fields_json == NULL);
        } else {
            CHECK(line, !e->has_time_ms && e->rule_id == NULL && e->fields_json);
            /* exactly the bytes of the line's "fields" object ... */
            vg_span want_f = fields_span(line);
            CHECK(line, want_f.p && vg_span_eq_cstr(want_f, e->fields_json));
            /* ... which parse back to the same JSON text */
            vg_event *fe = vg_event_new(NULL);
            vg_buf back;
            vg_buf_init(&back, 0);
            CHECK(line, vg_parse_json(fe, e->fields_json, strlen(e->fields_json), NULL) == VG_OK);
            vg_event_to_json(fe, &back);
            CHECK(line, back.len && strcmp(back.p, e->fields_json) == 0);
            vg_buf_fini(&back);
            vg_event_free(fe);
        }
    }
    CHECK(line, ne == m->n_events && ne > 0);
    if (!corr)
        CHECK(line, ne == 1);

    vg_buf_fini(&key);
    vg_buf_fini(&want);
    vg_event_free(ev);
    vigil__alert__free_unpacked(m, NULL);
    vg_buf_fini(&out);
}

static void test_samples(void **state)
{
    (void)state;
    const char *src = getenv("VIGIL_SRC");
    if (!src)
        fail_msg("VIGIL_SRC is not set (run through ctest)");
    static const char *const samples[] = {"correlation.jsonl", "windows.json", "web.jsonl",
                                          "cloudtrail.jsonl", "linux.log"};
    alert_pb *a = alert_pb_new();
    assert_non_null(a);
    tally t = {0, 0, 0};
    for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
        char in[1024];
        snprintf(in, sizeof(in), "rules/samples/%s", samples[s]);
        lines l = {NULL, 0};
        run_vigil(src, "rules/sigma", in, &l);
        CHECK(samples[s], l.n > 0);
        for (size_t i = 0; i < l.n; i++)
            check_line(a, l.v[i], &t);
        lines_free(&l);
    }
    /* the samples give both kinds */
    CHECK("samples", t.detection >= 20 && t.correlation >= 4);
    alert_pb_free(a);
}

/* A value_percentile correlation of our own: field_value and a fractional value. */
static void test_percentile(void **state)
{
    (void)state;
    char dir[] = "/tmp/vigil-alert-pb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof(path), "%s/rules.yml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("title: Login\nid: 11111111-0000-0000-0000-000000000001\nlogsource: {product: test}\n"
          "detection:\n  sel: {action: login}\n  condition: sel\nlevel: low\n---\n"
          "title: Rare country for a user\nid: 11111111-0000-0000-0000-000000000002\n"
          "correlation:\n  type: value_percentile\n  rules: "
          "[11111111-0000-0000-0000-000000000001]\n"
          "  group-by: [user, host]\n  timespan: 1h\n  condition: {field: country, lte: 10}\n"
          "level: medium\ntags: [attack.initial-access]\n",
          f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/events.jsonl", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i <= 10; i++)
        fprintf(f,
                "{\"@timestamp\":\"2026-11-24T08:%02d:00Z\",\"action\":\"login\","
                "\"user\":\"b\\u00f6b\",\"host\":7,\"country\":\"%s\"}\n",
                i, i == 4 ? "B\\u00e9\\\"z" : "NL");
    fclose(f);
    lines l = {NULL, 0};
    run_vigil(dir, "rules.yml", "events.jsonl", &l);
    alert_pb *a = alert_pb_new();
    tally t = {0, 0, 0};
    for (size_t i = 0; i < l.n; i++)
        check_line(a, l.v[i], &t);
    CHECK("percentile", t.correlation == 1 && t.field_value == 1);
    /* the key: rule id, then the group in group-by order */
    CHECK("percentile", alert_pb_parse(a, l.v[0], strlen(l.v[0]), NULL, 0) == 0);
    vg_buf key;
    vg_buf_init(&key, 0);
    CHECK("percentile", alert_pb_key(a, &key) == 0);
    CHECK("percentile", strcmp(key.p, "11111111-0000-0000-0000-000000000002\nuser=b\xc3\xb6"
                                      "b\nhost=7") == 0);
    vg_buf_fini(&key);
    alert_pb_free(a);
    lines_free(&l);
    snprintf(path, sizeof(path), "%s/rules.yml", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/events.jsonl", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- hand-made alerts ---- */

#define GOOD_DET                                                                                   \
    "{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r1\",\"title\":\"T\","        \
    "\"level\":\"low\",\"tags\":[\"a\",\"b\"]},\"time\":\"2026-11-24T08:00:00.000Z\","             \
    "\"event_time\":null,\"events\":[{\"source\":{\"input\":\"-\",\"record\":3},\"fields\":"       \
    "{\"s\":\"x\\u0000y\\n\\\"\",\"n\":-1.5e+3,\"deep\":[[[{\"k\":[]}]]],\"e\":{}}}]}"

static int encode(alert_pb *a, const char *json, char *err, size_t cap)
{
    vg_buf out;
    vg_buf_init(&out, 0);
    err[0] = '\0';
    int rc = alert_pb_encode(a, json, strlen(json), &out, err, cap);
    if (rc == 0) {
        Vigil__Alert *m = vigil__alert__unpack(NULL, out.len, (const uint8_t *)out.p);
        CHECK(json, m != NULL);
        vigil__alert__free_unpacked(m, NULL);
    }
    vg_buf_fini(&out);
    return rc;
}

static void test_handmade(void **state)
{
    (void)state;
    alert_pb *a = alert_pb_new();
    vg_buf out;
    vg_buf_init(&out, 0);
    char err[256];
    /* NUL and escapes inside fields are kept as JSON text; no line; no event time */
    assert_int_equal(alert_pb_encode(a, GOOD_DET, strlen(GOOD_DET), &out, err, sizeof(err)), 0);
    Vigil__Alert *m = vigil__alert__unpack(NULL, out.len, (const uint8_t *)out.p);
    assert_non_null(m);
    assert_false(m->has_event_time_ms);
    assert_int_equal(m->time_ms, 1795507200000LL);
    assert_int_equal(m->n_events, 1);
    assert_false(m->events[0]->source->has_line);
    assert_int_equal(m->events[0]->source->record, 3);
    assert_string_equal(m->events[0]->fields_json,
                        "{\"s\":\"x\\u0000y\\n\\\"\",\"n\":-1.5e+3,\"deep\":[[[{\"k\":[]}]]],"
                        "\"e\":{}}");
    assert_null(m->correlation);
    vigil__alert__free_unpacked(m, NULL);
    assert_string_equal(alert_pb_kind(a), "detection");

    /* a trailing newline is fine; numbers and booleans as group values keep their text */
    const char *corr =
            "{\"id\":\"ffffffffffffffffffffffffffffffff\",\"rule\":{\"id\":\"c\"},"
            "\"correlation\":{\"type\":\"event_count\"},\"time\":\"2026-11-24T08:00:00Z\","
            "\"group\":{\"port\":443,\"ok\":true,\"u\":\"x=y\"},\"value\":2.5,\"events\":[]}\n";
    vg_buf_clear(&out);
    assert_int_equal(alert_pb_encode(a, corr, strlen(corr), &out, err, sizeof(err)), 0);
    m = vigil__alert__unpack(NULL, out.len, (const uint8_t *)out.p);
    assert_non_null(m);
    assert_non_null(m->correlation);
    assert_false(m->correlation->has_timespan_ms);
    assert_false(m->correlation->has_window_start_ms);
    assert_int_equal(m->correlation->n_group, 3);
    assert_string_equal(m->correlation->group[0]->value, "443");
    assert_string_equal(m->correlation->group[1]->value, "true");
    assert_true(m->correlation->has_value && m->correlation->value == 2.5);
    assert_int_equal(m->n_events, 0);
    assert_null(m->rule->title);
    vigil__alert__free_unpacked(m, NULL);
    vg_buf key;
    vg_buf_init(&key, 0);
    vg_buf_puts(&key, "k:");
    assert_int_equal(alert_pb_key(a, &key), 0);
    assert_string_equal(key.p, "k:c\nport=443\nok=true\nu=x=y");
    vg_buf_fini(&key);

    /* a capped output buffer: -1, left as it was */
    vg_buf small;
    vg_buf_init(&small, 8);
    vg_buf_puts(&small, "ab");
    assert_int_equal(alert_pb_encode(a, GOOD_DET, strlen(GOOD_DET), &small, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "output buffer"));
    assert_int_equal(small.len, 2);
    vg_buf_fini(&small);

    /* deep fields (the tree is never indexed): 5000 levels */
    vg_buf deep;
    vg_buf_init(&deep, 0);
    vg_buf_puts(&deep, "{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
                       "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{\"source\":{\"input\":"
                       "\"-\",\"record\":0},\"fields\":{\"d\":");
    for (int i = 0; i < 5000; i++)
        vg_buf_putc(&deep, '[');
    for (int i = 0; i < 5000; i++)
        vg_buf_putc(&deep, ']');
    vg_buf_puts(&deep, "}}]}");
    vg_buf_clear(&out);
    assert_int_equal(alert_pb_encode(a, deep.p, deep.len, &out, err, sizeof(err)), 0);
    m = vigil__alert__unpack(NULL, out.len, (const uint8_t *)out.p);
    assert_non_null(m);
    assert_int_equal(strlen(m->events[0]->fields_json), 5 + 10000 + 1);
    vigil__alert__free_unpacked(m, NULL);
    vg_buf_fini(&deep);

    vg_buf_fini(&out);
    alert_pb_free(a);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *json, *msg; /* msg: a part of the error message */
    } rows[] = {
            {"", "not valid JSON"},
            {"[1]", "not valid JSON"},
            {"{\"id\":", "not valid JSON"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\"} x", "not valid JSON"},
            {"{}", "missing \"id\""},
            {"{\"id\":null}", "missing \"id\""},
            {"{\"id\":7}", "\"id\" is not a string"},
            {"{\"id\":\"abc\"}", "\"id\" is not 32 hex"},
            {"{\"id\":\"0123456789ABCDEF0123456789abcdef\"}", "\"id\" is not 32 hex"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\"}", "missing \"rule\""},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":[]}", "\"rule\" is not an"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{}}", "missing \"rule.id\""},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"a\\u0000b\"}}",
             "NUL byte"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\",\"tags\":\"t\"}}",
             "\"rule.tags\" is not an array"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\",\"tags\":[1]}}",
             "\"rule.tags\" is not an array of strings"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"}}",
             "missing \"time\""},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},\"time\":\"x\"}",
             "\"time\" is not an RFC 3339 time"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},\"time\":1}",
             "\"time\" is not an RFC 3339 time"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":{}}",
             "\"events\" is not an array"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[1]}",
             "\"events[0]\" is not an object"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{}]}",
             "missing \"events[0].source\""},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{\"source\":{\"input\":\"-\"}}]}",
             "missing \"events[0].source.record\""},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{\"source\":{\"input\":\"-\","
             "\"record\":-1}}]}",
             "\"events[0].source.record\" is not an unsigned integer"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{\"source\":{\"input\":\"-\","
             "\"record\":1.5}}]}",
             "is not an unsigned integer"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{\"source\":{\"input\":\"-\","
             "\"record\":99999999999999999999}}]}",
             "is not an unsigned integer"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"events\":[{\"source\":{\"input\":\"-\","
             "\"record\":1},\"fields\":\"x\"}]}",
             "\"events[0].fields\" is not an object"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":1}",
             "\"correlation\" is not an object"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{}}",
             "missing \"correlation.type\""},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\","
             "\"timespan_ms\":\"1\"}}",
             "\"correlation.timespan_ms\" is not an integer"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\"},"
             "\"window\":{\"start\":\"never\"}}",
             "\"window.start\" is not an RFC 3339 time"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\"},"
             "\"group\":{\"a\":{}}}",
             "\"group\" is not an object of strings"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\"},"
             "\"group\":{\"a\\u0000\":\"v\"}}",
             "NUL byte"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\"},\"value\":\"2\"}",
             "\"value\" is not a number"},
            {"{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
             "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\"},"
             "\"events_total\":-3}",
             "\"events_total\" is not an unsigned integer"},
    };
    alert_pb *a = alert_pb_new();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char err[256];
        CHECK(rows[i].json, encode(a, rows[i].json, err, sizeof(err)) == -1);
        if (!strstr(err, rows[i].msg))
            fail_msg("[%s] message '%s' lacks '%s'", rows[i].json, err, rows[i].msg);
        /* nothing parsed: no answers */
        vg_buf b;
        vg_buf_init(&b, 0);
        CHECK(rows[i].json, alert_pb_id(a) == NULL && alert_pb_rule_id(a) == NULL);
        CHECK(rows[i].json, alert_pb_kind(a) == NULL && !alert_pb_is_correlation(a));
        CHECK(rows[i].json, alert_pb_key(a, &b) == -1 && b.len == 0);
        CHECK(rows[i].json, alert_pb_pack(a, &b, err, sizeof(err)) == -1 && b.len == 0);
        vg_buf_fini(&b);
        /* the handle still works */
        CHECK(rows[i].json, encode(a, GOOD_DET, err, sizeof(err)) == 0);
    }
    /* err may be NULL */
    assert_int_equal(alert_pb_encode(a, "{}", 2, NULL, NULL, 0), -1);
    alert_pb_free(a);
}

static void test_bounds(void **state)
{
    (void)state;
    alert_pb *a = alert_pb_new();
    char err[256];
    /* a huge tags array */
    vg_buf j;
    vg_buf_init(&j, 0);
    vg_buf_puts(&j,
                "{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\",\"tags\":[");
    for (int i = 0; i < 100000; i++)
        vg_buf_puts(&j, i ? ",\"t\"" : "\"t\"");
    vg_buf_puts(&j, "]},\"time\":\"2026-11-24T08:00:00Z\"}");
    assert_int_equal(encode(a, j.p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"rule.tags\" has more than 1024"));
    /* too many values in all */
    vg_buf_clear(&j);
    vg_buf_puts(&j, "{\"x\":[");
    for (unsigned i = 0; i <= ALERT_PB_MAX_NODES; i++)
        vg_buf_puts(&j, i ? ",0" : "0");
    vg_buf_puts(&j, "]}");
    assert_int_equal(encode(a, j.p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "over a limit"));
    /* too many group values */
    vg_buf_clear(&j);
    vg_buf_puts(&j, "{\"id\":\"0123456789abcdef0123456789abcdef\",\"rule\":{\"id\":\"r\"},"
                    "\"time\":\"2026-11-24T08:00:00Z\",\"correlation\":{\"type\":\"t\"},"
                    "\"group\":{");
    for (int i = 0; i <= ALERT_PB_MAX_GROUP; i++)
        vg_buf_printf(&j, "%s\"g%d\":\"v\"", i ? "," : "", i);
    vg_buf_puts(&j, "}}");
    assert_int_equal(encode(a, j.p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"group\" has more than"));
    vg_buf_fini(&j);
    /* over 64 MiB: refused before it is read */
    size_t big = ALERT_PB_MAX_BYTES + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    vg_buf out;
    vg_buf_init(&out, 0);
    assert_int_equal(alert_pb_encode(a, huge, big, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than the"));
    assert_int_equal(out.len, 0);
    free(huge);
    vg_buf_fini(&out);
    alert_pb_free(a);
}

/* Every proper prefix of a real alert, and byte mutations of it: -1 or a message that
 * decodes, never a crash. */
static void test_truncated_and_mutated(void **state)
{
    (void)state;
    const char *src = getenv("VIGIL_SRC");
    if (!src)
        fail_msg("VIGIL_SRC is not set (run through ctest)");
    lines l = {NULL, 0};
    run_vigil(src, "rules/sigma", "rules/samples/correlation.jsonl", &l);
    run_vigil(src, "rules/sigma", "rules/samples/cloudtrail.jsonl", &l);
    CHECK("samples", l.n >= 2);
    alert_pb *a = alert_pb_new();
    char err[256];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < l.n; k++) {
        const char *line = l.v[k];
        size_t len = strlen(line);
        for (size_t n = 0; n < len; n++) {
            /* exactly n bytes, not NUL-terminated: ASan sees any read past them */
            char *pre = malloc(n ? n : 1);
            memcpy(pre, line, n);
            vg_buf out;
            vg_buf_init(&out, 0);
            err[0] = '\0';
            if (alert_pb_encode(a, pre, n, &out, err, sizeof(err)) != -1 || !err[0])
                fail_msg("prefix of %zu bytes accepted or no message:\n%s", n, line);
            vg_buf_fini(&out);
            free(pre);
        }
        char *cut = malloc(len + 1);
        for (int round = 0; round < 400; round++) {
            memcpy(cut, line, len + 1);
            for (int f = 0; f < 3; f++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                cut[(seed >> 33) % len] = (char)(seed >> 17);
            }
            vg_buf out;
            vg_buf_init(&out, 0);
            err[0] = '\0';
            if (alert_pb_encode(a, cut, len, &out, err, sizeof(err)) == 0) {
                Vigil__Alert *m = vigil__alert__unpack(NULL, out.len, (const uint8_t *)out.p);
                CHECK("mutation", m != NULL);
                vigil__alert__free_unpacked(m, NULL);
            } else {
                CHECK("mutation", err[0] != '\0');
            }
            vg_buf_fini(&out);
        }
        free(cut);
    }
    alert_pb_free(a);
    lines_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_samples),  cmocka_unit_test(test_percentile),
            cmocka_unit_test(test_handmade), cmocka_unit_test(test_malformed),
            cmocka_unit_test(test_bounds),   cmocka_unit_test(test_truncated_and_mutated),
    };
    return cmocka_run_group_tests_name("src/alert_pb", tests, NULL, NULL);
}
