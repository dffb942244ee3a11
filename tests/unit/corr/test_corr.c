/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_corr.c: correlation semantics end to end: rule YAML -> ruleset -> matching ->
 * signal extraction -> correlator -> alert lines.
 *
 * Every row loads three detection rules (names a, b, c: field k equal to "a", "b", "c")
 * plus the row's correlation document(s), then feeds the row's events one by one, in the
 * order written, pushing each event's signals before the next event (so lateness is judged
 * per event), and finishes (end of input). Events are "t k user v" strings: t the event time
 * in milliseconds after 2026-01-01T00:00:00Z, k the kind, user the group value ("-": no
 * user field), v the value field ("-": none).
 *
 * Each alert line is summarised as "<rule title>:<group values joined by />:<value>:
 * <window start ms>-<window end ms>" (times relative to the base), alerts joined by "; ",
 * and compared with the row's expectation. Boundaries (N, N-1, the window edge +-1 ms),
 * episodes, out-of-order and late events, every type and operator, chains, aliases and
 * omitted group-by are covered; a second table checks rule errors with their positions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timefmt.h"
#include "vigil/alert.h"
#include "vigil/corr.h"
#include "vigil/diag.h"
#include "vigil/event.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#define BASE_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static const char base_rules[] = "title: A\nid: rule-a\nname: a\nlogsource: {product: test}\n"
                                 "detection:\n  sel: {k: a}\n  condition: sel\n"
                                 "---\n"
                                 "title: B\nid: rule-b\nname: b\nlogsource: {product: test}\n"
                                 "detection:\n  sel: {k: b}\n  condition: sel\n"
                                 "---\n"
                                 "title: C\nid: rule-c\nname: c\nlogsource: {product: test}\n"
                                 "detection:\n  sel: {k: c}\n  condition: sel\n";

typedef struct row {
    const char *name;
    const char *corr; /* correlation document(s), appended after the base rules */
    const char *events[24];
    int64_t lateness_ms;
    const char *want; /* alert summaries */
    uint64_t want_late;
} row;

/* ---- helpers ---- */

typedef struct env {
    vg_ruleset *rs;
    vg_diags *d;
} env;

static bool load(env *e, const char *corr)
{
    e->rs = vg_ruleset_new();
    e->d = vg_diags_new();
    assert_non_null(e->rs);
    assert_non_null(e->d);
    size_t n = strlen(base_rules) + strlen(corr) + 8;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s---\n%s", base_rules, corr);
    assert_int_equal(vg_ruleset_add_rules(e->rs, "corr.yml", text, strlen(text), e->d), VG_OK);
    free(text);
    assert_int_equal(vg_ruleset_finish(e->rs, e->d), VG_OK);
    return vg_diags_errors(e->d) == 0;
}

static void env_fini(env *e)
{
    vg_ruleset_free(e->rs);
    vg_diags_free(e->d);
}

static void print_diags(const vg_diags *d)
{
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        print_message("  %s:%u:%u: %s\n", g->loc.file, g->loc.line, g->loc.col, g->msg);
    }
}

/* "t k user v" -> JSON event text */
static void event_json(const char *spec, char *out, size_t cap)
{
    long long t = 0;
    char k[32] = "", user[64] = "", v[64] = "";
    int n = sscanf(spec, "%lld %31s %63s %63s", &t, k, user, v);
    assert_true(n >= 2);
    /* epoch milliseconds: 13 digits, read as a time */
    int w = snprintf(out, cap, "{\"@timestamp\":%lld,\"k\":\"%s\"", BASE_MS + t, k);
    if (n >= 3 && strcmp(user, "-") != 0)
        w += snprintf(out + w, cap - (size_t)w, ",\"user\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\"",
                      user, user, user);
    if (n >= 4 && strcmp(v, "-") != 0)
        w += snprintf(out + w, cap - (size_t)w,
                      strtod(v, NULL) != 0 ? ",\"v\":\"%s\",\"n\":%s"
                                           : ",\"v\":\"%s\",\"n\":\"%s\"",
                      v, v);
    snprintf(out + w, cap - (size_t)w, "}");
}

/* Copy the JSON value of "key": (string or number, or {...}) at the first occurrence. */
static bool json_raw(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    p += strlen(pat);
    const char *e = p;
    if (*p == '{')
        e = strchr(p, '}') + 1;
    else if (*p == '"')
        e = strchr(p + 1, '"') + 1;
    else
        while (*e && *e != ',' && *e != '}')
            e++;
    size_t n = (size_t)(e - p) < cap - 1 ? (size_t)(e - p) : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* "\"2026-01-01T00:00:01.000Z\"" -> ms after BASE_MS (-1 if it does not parse) */
static long long rel_ms(const char *quoted)
{
    vg_time t;
    size_t n = strlen(quoted);
    if (n < 2 || !vg_time_parse(quoted + 1, n - 2, &t))
        return -1;
    return t.epoch_ms - BASE_MS;
}

/* Summaries of the alert lines in buf appended to sum. */
static void summarise(const char *buf, char *sum, size_t cap)
{
    const char *line = buf;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        char one[4096];
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        n = n < sizeof(one) - 1 ? n : sizeof(one) - 1;
        memcpy(one, line, n);
        one[n] = '\0';
        char title[128] = "", group[256] = "", value[64] = "", win[256] = "", start[64] = "",
             end[64] = "", fv[64] = "";
        json_raw(strstr(one, "\"rule\":"), "title", title, sizeof(title));
        json_raw(one, "group", group, sizeof(group));
        json_raw(one, "value", value, sizeof(value));
        json_raw(one, "window", win, sizeof(win));
        json_raw(win, "start", start, sizeof(start));
        json_raw(win, "end", end, sizeof(end));
        /* group {"user":"bob","x":"y"} -> bob/y */
        char gv[256] = "";
        for (const char *p = group; (p = strstr(p, "\":\"")) != NULL;) {
            p += 3;
            const char *q = strchr(p, '"');
            if (gv[0])
                strncat(gv, "/", sizeof(gv) - strlen(gv) - 1);
            strncat(gv, p,
                    (size_t)(q - p) < sizeof(gv) - strlen(gv) - 1 ? (size_t)(q - p)
                                                                  : sizeof(gv) - strlen(gv) - 1);
            p = q;
        }
        char t[128];
        snprintf(t, sizeof(t), "%.*s", (int)(strlen(title) > 2 ? strlen(title) - 2 : 0), title + 1);
        if (json_raw(one, "field_value", fv, sizeof(fv)))
            snprintf(t + strlen(t), sizeof(t) - strlen(t), "[%s]", fv);
        size_t at = strlen(sum);
        snprintf(sum + at, cap - at, "%s%s:%s:%s:%lld-%lld", at ? "; " : "", t, gv, value,
                 rel_ms(start), rel_ms(end));
        line = nl ? nl + 1 : NULL;
    }
}

/* Append the signals of the event of spec (number i in its row) to sigs. */
static void event_signals(
        env *e, vg_match_scratch *ms, vg_event *ev, const char *spec, size_t i, vg_corr_sigs *sigs)
{
    char json[512];
    event_json(spec, json, sizeof(json));
    vg_event_reset(ev);
    vg_perr perr = {0, NULL};
    assert_int_equal(vg_parse_json(ev, json, strlen(json), &perr), VG_OK);
    assert_int_equal(vg_event_index(ev), VG_OK);
    uint32_t hits[8];
    size_t n = vg_match_event_fast(e->rs, ms, ev, NULL, hits, 8);
    int64_t ts = 0;
    bool has_ts = vg_event_time(ev, &ts);
    vg_origin org = {"events", i, i + 1};
    for (size_t h = 0; h < n; h++)
        vg_corr_extract(sigs, e->rs, hits[h], ev, has_ts, ts, &org);
}

/* A key-slot store as the daemon keeps one: after every event the slots the correlator
 * changed are written again (vg_corr_dirty_take, vg_corr_snapshot_slots). */
typedef struct slot_store {
    vg_buf slot[VG_CORR_SLOTS];
    uint32_t written; /* slot records taken so far */
} slot_store;

static uint64_t le(const char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes; i-- > 0;)
        v = v << 8 | (unsigned char)p[i];
    return v;
}

static void store_update(slot_store *ss, vg_corr *c)
{
    uint64_t set[VG_CORR_SLOT_WORDS] = {0};
    vg_corr_dirty_take(c, set);
    vg_buf rec;
    vg_buf_init(&rec, 0);
    assert_int_equal(vg_corr_snapshot_slots(c, set, &rec), VG_OK);
    size_t at = 0;
    uint32_t n_set = 0;
    for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++)
        n_set += (uint32_t)__builtin_popcountll(set[i]);
    for (uint32_t i = 0; i < n_set; i++) {
        assert_true(rec.len - at >= 12);
        uint32_t s = (uint32_t)le(rec.p + at, 4);
        uint64_t len = le(rec.p + at + 4, 8);
        at += 12;
        assert_true(s < VG_CORR_SLOTS && ((set[s >> 6] >> (s & 63)) & 1));
        assert_true(len <= rec.len - at);
        vg_buf_clear(&ss->slot[s]);
        vg_buf_append(&ss->slot[s], rec.p + at, (size_t)len);
        at += (size_t)len;
        ss->written++;
    }
    assert_int_equal(at, rec.len);
    vg_buf_fini(&rec);
}

/* A correlator restored from the head of c and the store's slots. */
static vg_corr *store_restore(env *e, const vg_corr_opts *o, slot_store *ss, vg_corr *c)
{
    vg_buf head;
    vg_buf_init(&head, 0);
    assert_int_equal(vg_corr_snapshot_head(c, &head), VG_OK);
    vg_corr *d = vg_corr_new(e->rs, o);
    assert_non_null(d);
    char err[256];
    assert_int_equal(vg_corr_restore_head(d, head.p, head.len, err, sizeof(err)), VG_OK);
    for (uint32_t s = 0; s < VG_CORR_SLOTS; s++) {
        if (ss->slot[s].len == 0)
            continue;
        vg_status rc = vg_corr_restore_slot(d, ss->slot[s].p, ss->slot[s].len, err, sizeof(err));
        if (rc != VG_OK)
            print_error("restore slot %u: %s\n", s, err);
        assert_int_equal(rc, VG_OK);
    }
    vg_buf_fini(&head);
    uint64_t none[VG_CORR_SLOT_WORDS] = {0};
    vg_corr_dirty_take(d, none);
    for (size_t i = 0; i < VG_CORR_SLOT_WORDS; i++)
        assert_true(none[i] == 0); /* a restore marks nothing */
    return d;
}

/* Run the row's events; with split > 0, the state is snapshotted after event split - 1 and
 * the rest runs on a new correlator restored from it: from one whole snapshot, or with
 * `slots`, from the slot store kept up to date after every event (so a change the dirty
 * set misses shows as a stale slot). Summary of the alerts in sum. */
static void run_events_split(env *e,
                             const row *r,
                             size_t split,
                             bool slots,
                             char *sum,
                             size_t cap,
                             vg_corr_counters *ct,
                             char first_id[33])
{
    assert_int_equal(vg_ruleset_build_prefilter(e->rs, NULL, 0), VG_OK);
    vg_match_scratch *ms = vg_match_scratch_new(e->rs);
    vg_event *ev = vg_event_new(NULL);
    vg_corr_sigs *sigs = vg_corr_sigs_new();
    vg_corr_opts o = {0};
    o.lateness_ms = r->lateness_ms;
    vg_corr *c = vg_corr_new(e->rs, &o);
    assert_non_null(ms);
    assert_non_null(ev);
    assert_non_null(sigs);
    assert_non_null(c);
    vg_buf out;
    vg_buf_init(&out, 0);
    slot_store *ss = slots ? calloc(1, sizeof(*ss)) : NULL;
    assert_true(!slots || ss);
    for (size_t i = 0; r->events[i]; i++) {
        if (split && i == split && ss) {
            vg_corr *d = store_restore(e, &o, ss, c);
            vg_corr_free(c);
            c = d;
        } else if (split && i == split) {
            vg_buf snap;
            vg_buf_init(&snap, 0);
            assert_int_equal(vg_corr_snapshot(c, &snap), VG_OK);
            vg_corr_free(c);
            c = vg_corr_new(e->rs, &o);
            assert_non_null(c);
            char err[256];
            vg_status rc = vg_corr_restore(c, snap.p, snap.len, err, sizeof(err));
            if (rc != VG_OK)
                print_error("restore: %s\n", err);
            assert_int_equal(rc, VG_OK);
            vg_buf_fini(&snap);
        }
        vg_corr_sigs_clear(sigs);
        event_signals(e, ms, ev, r->events[i], i, sigs);
        assert_int_equal(vg_corr_push(c, sigs, &out, 0), VG_OK);
        if (ss)
            store_update(ss, c);
    }
    if (ss) {
        for (uint32_t s = 0; s < VG_CORR_SLOTS; s++)
            vg_buf_fini(&ss->slot[s]);
        free(ss);
    }
    vg_corr_finish(c, &out, 0);
    assert_int_equal(vg_buf_status(&out), VG_OK);
    sum[0] = '\0';
    if (out.len)
        summarise(out.p, sum, cap);
    if (first_id) {
        first_id[0] = '\0';
        char id[64];
        if (out.len && json_raw(out.p, "id", id, sizeof(id)))
            snprintf(first_id, 33, "%.32s", id + 1);
    }
    vg_corr_counters_get(c, ct);
    vg_buf_fini(&out);
    vg_corr_free(c);
    vg_corr_sigs_free(sigs);
    vg_event_free(ev);
    vg_match_scratch_free(ms);
}

static void
run_events(env *e, const row *r, char *sum, size_t cap, vg_corr_counters *ct, char first_id[33])
{
    run_events_split(e, r, 0, false, sum, cap, ct, first_id);
}

/* ---- the semantics table ---- */

#define EC(cond, span)                                                                             \
    "title: EC\nid: ec\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [user]\n"     \
    "  timespan: " span "\n  condition: " cond "\n"

static const row rows[] = {
        {"count: exactly N fires once",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "10000 a bob", "20000 a bob"},
         0,
         "EC:bob:3:0-20000",
         0},
        {"count: N-1 does not fire", EC("{gte: 3}", "60s"), {"0 a bob", "10000 a bob"}, 0, "", 0},
        {"count: span exactly the timespan fires (bounds inclusive)",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "30000 a bob", "60000 a bob"},
         0,
         "EC:bob:3:0-60000",
         0},
        {"count: span timespan + 1 ms does not fire",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "30000 a bob", "60001 a bob"},
         0,
         "",
         0},
        {"count: gt 2 is gte 3",
         EC("{gt: 2}", "60s"),
         {"0 a bob", "1 a bob", "2 a bob"},
         0,
         "EC:bob:3:0-2",
         0},
        {"count: a sustained burst is one episode",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "5000 a bob", "10000 a bob", "15000 a bob", "20000 a bob", "25000 a bob",
          "30000 a bob", "35000 a bob"},
         0,
         "EC:bob:3:0-10000",
         0},
        {"count: a new episode after the condition went false",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "1000 a bob", "2000 a bob", "200000 a bob", "201000 a bob", "202000 a bob"},
         0,
         "EC:bob:3:0-2000; EC:bob:3:200000-202000",
         0},
        {"count: groups are separate",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "1 a alice", "2 a bob", "3 a alice", "4 a bob"},
         0,
         "EC:bob:3:0-4",
         0},
        {"count: an event without the group-by field is not counted",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "1 a -", "2 a bob"},
         0,
         "",
         0},
        {"count: other rules' events are not counted",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "1 b bob", "2 a bob"},
         0,
         "",
         0},
        {"count: out of order within lateness is placed",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "50000 a bob", "20000 a bob"},
         60000,
         "EC:bob:3:0-50000",
         0},
        {"count: an event later than the lateness is dropped",
         EC("{gte: 3}", "60s"),
         {"0 a bob", "50000 a bob", "20000 a bob"},
         10000,
         "",
         1},
        {"count: late check is per stream of event times (other groups count)",
         EC("{gte: 2}", "60s"),
         {"100000 a alice", "0 a bob", "1 a bob"},
         0,
         "",
         2},
        {"count: lt decided when the window closes",
         EC("{lt: 3}", "60s"),
         {"0 a bob", "1000 a bob", "0 a -", "5000 a alice", "6000 a alice", "7000 a alice"},
         0,
         "EC:bob:2:0-1000",
         0},
        {"count: eq at close",
         EC("{eq: 2}", "60s"),
         {"0 a bob", "1000 a bob", "2000 a alice", "90000 a bob", "91000 a bob", "92000 a bob"},
         0,
         "EC:bob:2:0-1000",
         0},
        {"count: range gt 1 lte 3 at close",
         EC("{gt: 1, lte: 3}", "60s"),
         {"0 a bob", "1000 a bob", "1000 a alice", "1001 a alice", "1002 a alice", "1003 a alice"},
         0,
         "EC:bob:2:0-1000",
         0},
        {"count: neq at close",
         EC("{neq: 1}", "60s"),
         {"0 a bob", "1 a alice", "2 a alice"},
         0,
         "EC:alice:2:1-2",
         0},
        {"count: the watermark closes windows before the end of input",
         EC("{lte: 1}", "10s"),
         {"0 a bob", "20000 a alice", "20001 a alice"},
         0,
         "EC:bob:1:0-0",
         0},
        {"count: group-by omitted is one group",
         "title: EC\nid: ec\ncorrelation:\n  type: event_count\n  rules: [a, b]\n"
         "  timespan: 60s\n  condition: {gte: 3}\n",
         {"0 a bob", "1 b alice", "2 a -"},
         0,
         "EC::3:0-2",
         0},
        {"count: two group-by fields",
         "title: EC\nid: ec\ncorrelation:\n  type: event_count\n  rules: [a]\n"
         "  group-by: [user, v]\n  timespan: 60s\n  condition: {gte: 2}\n",
         {"0 a bob 1", "1 a bob 2", "2 a bob 1"},
         0,
         "EC:bob/1:2:0-2",
         0},
        {"value_count: distinct values",
         "title: VC\nid: vc\ncorrelation:\n  type: value_count\n  rules: [a]\n"
         "  group-by: [k]\n  timespan: 60s\n  condition: {field: user, gte: 3}\n",
         {"0 a u1", "1 a u1", "2 a u2", "3 a u2", "4 a u3"},
         0,
         "VC:a:3:0-4",
         0},
        {"value_count: values leave the window",
         "title: VC\nid: vc\ncorrelation:\n  type: value_count\n  rules: [a]\n"
         "  group-by: [k]\n  timespan: 10s\n  condition: {field: user, gte: 3}\n",
         {"0 a u1", "5000 a u2", "12000 a u2", "13000 a u3", "14000 a u2", "16000 a u4"},
         0,
         "VC:a:3:12000-16000",
         0},
        {"temporal: all rules in any order",
         "title: T\nid: t\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n"
         "  group-by: [user]\n  timespan: 60s\n",
         {"0 c bob", "1000 a bob", "2000 b alice", "3000 b bob"},
         0,
         "T:bob:3:0-3000",
         0},
        {"temporal: one rule missing",
         "title: T\nid: t\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n"
         "  group-by: [user]\n  timespan: 60s\n",
         {"0 c bob", "1000 a bob", "2000 a bob"},
         0,
         "",
         0},
        {"temporal: condition on the number of rules",
         "title: T\nid: t\ncorrelation:\n  type: temporal\n  rules: [a, b, c]\n"
         "  group-by: [user]\n  timespan: 60s\n  condition: {gte: 2}\n",
         {"0 c bob", "1000 c bob", "2000 b bob"},
         0,
         "T:bob:2:0-2000",
         0},
        {"temporal_ordered: in order",
         "title: TO\nid: to\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b, c]\n"
         "  group-by: [user]\n  timespan: 60s\n",
         {"0 a bob", "1000 b bob", "2000 c bob"},
         0,
         "TO:bob:3:0-2000",
         0},
        {"temporal_ordered: reversed does not fire",
         "title: TO\nid: to\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b, c]\n"
         "  group-by: [user]\n  timespan: 60s\n",
         {"0 c bob", "1000 b bob", "2000 a bob"},
         0,
         "",
         0},
        {"temporal_ordered: equal times count as in order",
         "title: TO\nid: to\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n"
         "  group-by: [user]\n  timespan: 60s\n",
         {"1000 b bob", "1000 a bob"},
         0,
         "TO:bob:2:1000-1000",
         0},
        {"temporal_ordered: overlapping partial sequences",
         "title: TO\nid: to\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b, c]\n"
         "  group-by: [user]\n  timespan: 60s\n",
         {"0 a bob", "50000 a bob", "55000 b bob", "100000 c bob"},
         0,
         "TO:bob:3:50000-100000",
         0},
        {"value_sum: over the window",
         "title: S\nid: s\ncorrelation:\n  type: value_sum\n  rules: [a]\n"
         "  group-by: [user]\n  timespan: 60s\n  condition: {field: n, gt: 100}\n",
         {"0 a bob 50", "1000 a bob 40", "2000 a alice 500", "3000 a bob 20"},
         0,
         "S:alice:500:2000-2000; S:bob:110:0-3000",
         0},
        {"value_sum: float threshold",
         "title: S\nid: s\ncorrelation:\n  type: value_sum\n  rules: [a]\n"
         "  group-by: [user]\n  timespan: 60s\n  condition: {field: n, gte: 2.5}\n",
         {"0 a bob 1.25", "1 a bob 1.25"},
         0,
         "S:bob:2.5:0-1",
         0},
        {"value_avg: average of the window",
         "title: V\nid: v\ncorrelation:\n  type: value_avg\n  rules: [a]\n"
         "  group-by: [user]\n  timespan: 60s\n  condition: {field: n, gte: 10}\n",
         {"0 a bob 4", "1000 a bob 8", "2000 a bob 18"},
         0,
         "V:bob:10:0-2000",
         0},
        {"value_avg: a value that is not a number is skipped",
         "title: V\nid: v\ncorrelation:\n  type: value_avg\n  rules: [a]\n"
         "  group-by: [user]\n  timespan: 60s\n  condition: {field: n, gte: 10}\n",
         {"0 a bob 4", "1000 a bob x", "2000 a bob 16"},
         0,
         "V:bob:10:0-2000",
         0},
        {"value_percentile: rare values at window close",
         "title: P\nid: p\ncorrelation:\n  type: value_percentile\n  rules: [a]\n"
         "  group-by: [user]\n  timespan: 60s\n  condition: {field: v, lte: 10}\n",
         {"0 a bob x", "1 a bob x", "2 a bob x", "3 a bob x", "4 a bob y", "5 a bob x", "6 a bob x",
          "7 a bob x", "8 a bob x", "9 a bob x"},
         0,
         "P[\"y\"]:bob:10:0-9",
         0},
        {"chain: many failures then success (spec example)",
         "title: Failures\nid: f\nname: failures\ncorrelation:\n  type: event_count\n"
         "  rules: [a]\n  group-by: [user]\n  timespan: 60s\n  condition: {gte: 3}\n---\n"
         "title: Then success\nid: s\ncorrelation:\n  type: temporal_ordered\n"
         "  rules: [failures, b]\n  group-by: [user]\n  timespan: 5m\n",
         {"0 a bob", "1000 a bob", "2000 b bob", "3000 a bob", "4000 b alice", "5000 b bob"},
         0,
         "Then success:bob:2:3000-5000",
         0},
        {"chain: success before the failures does not fire",
         "title: Failures\nid: f\nname: failures\ncorrelation:\n  type: event_count\n"
         "  rules: [a]\n  group-by: [user]\n  timespan: 60s\n  condition: {gte: 3}\n---\n"
         "title: Then success\nid: s\ncorrelation:\n  type: temporal_ordered\n"
         "  rules: [failures, b]\n  group-by: [user]\n  timespan: 5m\n",
         {"0 b bob", "1000 a bob", "2000 a bob", "3000 a bob"},
         0,
         "",
         0},
        {"chain: generate makes the inner correlation alert too",
         "title: Failures\nid: f\nname: failures\ncorrelation:\n  type: event_count\n"
         "  rules: [a]\n  group-by: [user]\n  timespan: 60s\n  condition: {gte: 2}\n---\n"
         "title: Then success\nid: s\ngenerate: true\ncorrelation:\n  type: temporal_ordered\n"
         "  rules: [failures, b]\n  group-by: [user]\n  timespan: 5m\n",
         {"0 a bob", "1000 a bob", "2000 b bob"},
         0,
         "Failures:bob:2:0-1000; Then success:bob:2:1000-2000",
         0},
        {"suppress: a second episode within the period is silenced",
         "title: EC\nid: ec\nsuppress: {by: [user], for: 10m}\ncorrelation:\n"
         "  type: event_count\n  rules: [a]\n  group-by: [user]\n  timespan: 60s\n"
         "  condition: {gte: 3}\n",
         {"0 a bob", "1000 a bob", "2000 a bob", "200000 a bob", "201000 a bob", "202000 a bob",
          "203000 a alice", "204000 a alice", "205000 a alice", "700000 a bob", "701000 a bob",
          "702000 a bob"},
         0,
         "EC:bob:3:0-2000; EC:alice:3:203000-205000; EC:bob:3:700000-702000",
         0},
        {"suppress: without by, one alert per period for the correlation",
         "title: EC\nid: ec\nsuppress: {for: 10m}\ncorrelation:\n"
         "  type: event_count\n  rules: [a]\n  group-by: [user]\n  timespan: 60s\n"
         "  condition: {gte: 2}\n",
         {"0 a bob", "1000 a bob", "2000 a alice", "3000 a alice"},
         0,
         "EC:bob:2:0-1000",
         0},
        {"aliases: group by a field named differently per rule",
         "title: AL\nid: al\ncorrelation:\n  type: temporal\n  rules: [a, b]\n"
         "  group-by: [ip]\n  timespan: 60s\n  aliases:\n    ip:\n      a: src\n      b: dst\n",
         {"0 a 10.0.0.1", "1000 b 10.0.0.2", "2000 b 10.0.0.1"},
         0,
         "AL:10.0.0.1:2:0-2000",
         0},
};

static void test_corr_semantics(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row *r = &rows[i];
        env e;
        if (!load(&e, r->corr)) {
            print_error("row '%s': rules did not compile\n", r->name);
            print_diags(e.d);
            failed++;
            env_fini(&e);
            continue;
        }
        char sum[4096];
        vg_corr_counters ct;
        run_events(&e, r, sum, sizeof(sum), &ct, NULL);
        if (strcmp(sum, r->want) != 0 || ct.late != r->want_late) {
            print_error("row '%s':\n  got  '%s' (late %llu)\n  want '%s' (late %llu)\n", r->name,
                        sum, (unsigned long long)ct.late, r->want,
                        (unsigned long long)r->want_late);
            failed++;
        }
        env_fini(&e);
    }
    assert_int_equal(failed, 0);
}

/* Every row, interrupted after each of its events (snapshot, new correlator, restore), gives
 * the same alerts as the uninterrupted run. */
static void test_corr_snapshot_round_trip(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row *r = &rows[i];
        env e;
        assert_true(load(&e, r->corr));
        char want[4096], got[4096];
        vg_corr_counters ct;
        run_events(&e, r, want, sizeof(want), &ct, NULL);
        for (size_t split = 1; r->events[split]; split++) {
            for (int slots = 0; slots < 2; slots++) {
                run_events_split(&e, r, split, slots, got, sizeof(got), &ct, NULL);
                if (strcmp(got, want) != 0) {
                    print_error("row '%s' split at %zu (%s):\n  got  '%s'\n  want '%s'\n", r->name,
                                split, slots ? "key slots" : "whole snapshot", got, want);
                    failed++;
                }
            }
        }
        env_fini(&e);
    }
    assert_int_equal(failed, 0);
}

/* ---- shards ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The alert lines of buf as "<summary> <id>" strings, sorted, joined by "\n" into out. */
static void sorted_alerts(const char *buf, char *out, size_t cap)
{
    char *lines[512];
    size_t n = 0;
    for (const char *line = buf; line && *line && n < 512;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *one = malloc(len + 1);
        assert_non_null(one);
        memcpy(one, line, len);
        one[len] = '\0';
        char sum[1024] = "", id[64] = "";
        summarise(one, sum, sizeof(sum));
        json_raw(one, "id", id, sizeof(id));
        free(one);
        size_t need = strlen(sum) + strlen(id) + 2;
        lines[n] = malloc(need);
        assert_non_null(lines[n]);
        snprintf(lines[n], need, "%s %s", sum, id);
        n++;
        line = nl ? nl + 1 : NULL;
    }
    qsort(lines, n, sizeof(lines[0]), cmp_str);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        snprintf(out + strlen(out), cap - strlen(out), "%s\n", lines[i]);
        free(lines[i]);
    }
}

/* The row's events over m shards, in batches of `batch` events as the pipeline hands them
 * over: a batch's signals are split, pushed to every shard, and each shard is brought up to
 * the stream's time; with split > 0, the shards' state is snapshotted before event split
 * and restored into m2 new shards that run the rest. All alert lines in out. */
static void
run_shards(env *e, const row *r, uint32_t m, size_t split, uint32_t m2, size_t batch, vg_buf *out)
{
    assert_int_equal(vg_ruleset_build_prefilter(e->rs, NULL, 0), VG_OK);
    vg_match_scratch *ms = vg_match_scratch_new(e->rs);
    vg_event *ev = vg_event_new(NULL);
    vg_corr_sigs *sigs = vg_corr_sigs_new();
    vg_corr_sigs *part[8];
    vg_corr *c[8];
    vg_corr_opts o = {0};
    o.lateness_ms = r->lateness_ms;
    assert_true(m <= 8 && m2 <= 8);
    for (uint32_t j = 0; j < 8; j++) {
        part[j] = vg_corr_sigs_new();
        c[j] = j < m ? vg_corr_new(e->rs, &o) : NULL;
        assert_non_null(part[j]);
    }
    int64_t stream_max = INT64_MIN;
    vg_corr_sigs_clear(sigs);
    for (size_t i = 0; r->events[i]; i++) {
        if (split && i == split) {
            vg_buf snap;
            vg_buf_init(&snap, 0);
            assert_int_equal(vg_corr_snapshot_m((const vg_corr *const *)c, m, &snap), VG_OK);
            for (uint32_t j = 0; j < m; j++)
                vg_corr_free(c[j]);
            m = m2;
            for (uint32_t j = 0; j < m; j++)
                c[j] = vg_corr_new(e->rs, &o);
            char err[256];
            vg_status rc = vg_corr_restore_m(c, m, snap.p, snap.len, err, sizeof(err));
            if (rc != VG_OK)
                print_error("restore into %u shards: %s\n", m, err);
            assert_int_equal(rc, VG_OK);
            vg_buf_fini(&snap);
        }
        event_signals(e, ms, ev, r->events[i], i, sigs);
        if ((i + 1) % batch != 0 && r->events[i + 1] && i + 1 != split)
            continue; /* the batch goes on */
        for (uint32_t j = 0; j < m; j++)
            vg_corr_sigs_clear(part[j]);
        assert_int_equal(vg_corr_sigs_split(sigs, e->rs, m, part, &stream_max), VG_OK);
        for (uint32_t j = 0; j < m; j++)
            assert_int_equal(vg_corr_push(c[j], part[j], out, 0), VG_OK);
        for (uint32_t j = 0; j < m; j++)
            vg_corr_see(c[j], stream_max, out, 0);
        vg_corr_sigs_clear(sigs);
    }
    for (uint32_t j = 0; j < m; j++) {
        vg_corr_finish(c[j], out, 0);
        vg_corr_free(c[j]);
    }
    for (uint32_t j = 0; j < 8; j++)
        vg_corr_sigs_free(part[j]);
    vg_corr_sigs_free(sigs);
    vg_event_free(ev);
    vg_match_scratch_free(ms);
}

/* Shards decide exactly what one correlator decides (the same alerts, ids included, in
 * another order), and a state saved from some shards goes on in another number of them. */
static void test_corr_shards_match_one_correlator(void **state)
{
    (void)state;
    int failed = 0;
    static const uint32_t ms[][2] = {{1, 1}, {2, 2}, {3, 3}, {5, 5}, {2, 3}, {3, 1}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row *r = &rows[i];
        env e;
        assert_true(load(&e, r->corr));
        vg_buf one;
        vg_buf_init(&one, 0);
        run_shards(&e, r, 1, 0, 1, 1, &one);
        static char want[65536], got[65536];
        sorted_alerts(one.p ? one.p : "", want, sizeof(want));
        static const size_t batches[] = {1, 3, 100};
        for (size_t k = 0; k < sizeof(ms) / sizeof(ms[0]); k++) {
            for (size_t split = 0; split == 0 || r->events[split]; split++) {
                for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
                    vg_buf b;
                    vg_buf_init(&b, 0);
                    run_shards(&e, r, ms[k][0], split, ms[k][1], batches[bi], &b);
                    sorted_alerts(b.p ? b.p : "", got, sizeof(got));
                    if (strcmp(got, want) != 0) {
                        print_error("row '%s', %u shards then %u from event %zu, batches of %zu:\n"
                                    " got\n%s want\n%s",
                                    r->name, ms[k][0], ms[k][1], split, batches[bi], got, want);
                        failed++;
                    }
                    vg_buf_fini(&b);
                }
                if (ms[k][0] == ms[k][1])
                    break; /* the restore into as many shards is the other test's */
            }
        }
        vg_buf_fini(&one);
        env_fini(&e);
    }
    assert_int_equal(failed, 0);
}

/* Push the events of specs into c. */
static void push_specs(env *e, vg_corr *c, const char *const *specs, size_t n, vg_buf *out)
{
    vg_match_scratch *ms = vg_match_scratch_new(e->rs);
    vg_corr_sigs *sigs = vg_corr_sigs_new();
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ms);
    assert_non_null(sigs);
    assert_non_null(ev);
    for (size_t i = 0; i < n; i++) {
        vg_corr_sigs_clear(sigs);
        event_signals(e, ms, ev, specs[i], i, sigs);
        assert_int_equal(vg_corr_push(c, sigs, out, 0), VG_OK);
    }
    vg_event_free(ev);
    vg_corr_sigs_free(sigs);
    vg_match_scratch_free(ms);
}

/* A snapshot cut short is refused and leaves the correlator empty; one with any bit flipped
 * is refused or loads, and what loads runs: never a crash (the suite also runs under
 * AddressSanitizer and UndefinedBehaviorSanitizer). */
static void test_corr_snapshot_hostile(void **state)
{
    (void)state;
    env e;
    assert_true(load(&e, "title: VC\nid: vc\ncorrelation:\n  type: value_count\n  rules: [a]\n"
                         "  group-by: [k]\n  timespan: 60s\n  condition: {field: user, gte: 9}\n"
                         "---\n" EC("{gte: 5}", "60s")));
    assert_int_equal(vg_ruleset_build_prefilter(e.rs, NULL, 0), VG_OK);
    vg_corr *c = vg_corr_new(e.rs, NULL);
    assert_non_null(c);
    vg_buf out, snap;
    vg_buf_init(&out, 0);
    vg_buf_init(&snap, 0);
    static const char *const evs[] = {"0 a u1", "1 a u2", "2 a u1", "3 b u3", "4 a u4"};
    push_specs(&e, c, evs, 5, &out);
    assert_int_equal(vg_corr_snapshot(c, &snap), VG_OK);
    vg_corr_counters ct;
    vg_corr_counters_get(c, &ct);
    assert_int_equal(ct.keys, 4); /* value_count: k=a; event_count: u1, u2, u4 (b feeds none) */
    char err[256];
    for (size_t cut = 0; cut <= snap.len; cut++) {
        vg_corr *d = vg_corr_new(e.rs, NULL);
        assert_non_null(d);
        vg_status rc = vg_corr_restore(d, snap.p, cut, err, sizeof(err));
        vg_corr_counters dc;
        vg_corr_counters_get(d, &dc);
        if (cut < snap.len) {
            assert_int_not_equal(rc, VG_OK);
            assert_int_equal(dc.keys, 0);
            assert_true(err[0] != '\0');
        } else {
            assert_int_equal(rc, VG_OK);
            assert_int_equal(dc.keys, ct.keys);
        }
        vg_corr_free(d);
    }
    char *bad = malloc(snap.len);
    assert_non_null(bad);
    for (size_t at = 0; at < snap.len; at++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(bad, snap.p, snap.len);
            bad[at] = (char)(bad[at] ^ (1 << bit));
            vg_corr *d = vg_corr_new(e.rs, NULL);
            assert_non_null(d);
            vg_status rc = vg_corr_restore(d, bad, snap.len, err, sizeof(err));
            vg_corr_counters dc;
            vg_corr_counters_get(d, &dc);
            if (rc != VG_OK)
                assert_int_equal(dc.keys, 0);
            vg_buf o2;
            vg_buf_init(&o2, 0);
            push_specs(&e, d, evs, 5, &o2);
            vg_corr_finish(d, &o2, 0);
            vg_buf_fini(&o2);
            vg_corr_free(d);
        }
    }
    free(bad);
    vg_buf_fini(&out);
    vg_buf_fini(&snap);
    vg_corr_free(c);
    env_fini(&e);
}

/* A window holds at most max_entries events: the oldest go, counted; event_count keeping
 * only its threshold's worth is not a cap hit. */
static void test_corr_window_cap(void **state)
{
    (void)state;
    static const char *const evs[] = {"0 a u1", "1 a u2", "2 a u3", "3 a u4",
                                      "4 a u5", "5 a u6", "6 a u7"};
    env e;
    assert_true(load(&e, "title: VC\nid: vc\ncorrelation:\n  type: value_count\n  rules: [a]\n"
                         "  group-by: [k]\n  timespan: 60s\n  condition: {field: user, gte: 5}\n"));
    assert_int_equal(vg_ruleset_build_prefilter(e.rs, NULL, 0), VG_OK);
    vg_corr_opts o = {0};
    o.max_entries = 4;
    vg_corr *c = vg_corr_new(e.rs, &o);
    vg_buf out;
    vg_buf_init(&out, 0);
    push_specs(&e, c, evs, 7, &out);
    vg_corr_finish(c, &out, 0);
    vg_corr_counters ct;
    vg_corr_counters_get(c, &ct);
    assert_int_equal(ct.cap_entries, 3); /* 7 events, 4 kept */
    assert_int_equal(ct.alerts, 0);      /* never 5 distinct values in the window */
    vg_corr_free(c);
    env_fini(&e);

    /* gte 3 keeps 3 + 1 = 4 events, as many as the cap: trimming still is no cap hit */
    assert_true(load(&e, EC("{gte: 3}", "60s")));
    assert_int_equal(vg_ruleset_build_prefilter(e.rs, NULL, 0), VG_OK);
    c = vg_corr_new(e.rs, &o);
    static const char *const same[] = {"0 a bob", "1 a bob", "2 a bob",
                                       "3 a bob", "4 a bob", "5 a bob"};
    push_specs(&e, c, same, 6, &out);
    vg_corr_counters_get(c, &ct);
    assert_int_equal(ct.cap_entries, 0);
    assert_int_equal(ct.alerts, 1);
    vg_buf_fini(&out);
    vg_corr_free(c);
    env_fini(&e);
}

/* Same input, same ids; another window start, another id. */
static void test_corr_ids_are_deterministic(void **state)
{
    (void)state;
    row r = {"ids", EC("{gte: 2}", "60s"), {"0 a bob", "1 a bob"}, 0, "", 0};
    row r2 = {"ids", EC("{gte: 2}", "60s"), {"5 a bob", "6 a bob"}, 0, "", 0};
    char id1[33], id2[33], id3[33], sum[512];
    vg_corr_counters ct;
    env e;
    assert_true(load(&e, r.corr));
    run_events(&e, &r, sum, sizeof(sum), &ct, id1);
    run_events(&e, &r, sum, sizeof(sum), &ct, id2);
    run_events(&e, &r2, sum, sizeof(sum), &ct, id3);
    env_fini(&e);
    assert_int_equal(strlen(id1), 32);
    assert_string_equal(id1, id2);
    assert_string_not_equal(id1, id3);
}

/* Rules that only feed correlations do not alert alone unless one says generate. */
static void test_corr_generate(void **state)
{
    (void)state;
    env e;
    assert_true(load(&e, EC("{gte: 2}", "60s")));
    assert_true(vg_corr_rule_used(e.rs, 0));
    assert_false(vg_corr_rule_alerts(e.rs, 0)); /* a */
    assert_true(vg_corr_rule_alerts(e.rs, 1));  /* b feeds nothing */
    env_fini(&e);
    assert_true(load(&e, "title: EC\nid: ec\ngenerate: true\ncorrelation:\n  type: event_count\n"
                         "  rules: [a]\n  group-by: [user]\n  timespan: 1m\n"
                         "  condition: {gte: 2}\n"));
    assert_true(vg_corr_rule_alerts(e.rs, 0));
    env_fini(&e);
}

/* Many keys are freed once their events have left every window. */
static void test_corr_keys_are_evicted(void **state)
{
    (void)state;
    env e;
    assert_true(load(&e, EC("{gte: 5}", "10s")));
    row r = {"evict", "", {NULL}, 0, "", 0};
    static char specs[20][32];
    for (int i = 0; i < 20; i++) {
        snprintf(specs[i], sizeof(specs[i]), "%d a user%d", i * 1000, i);
        r.events[i] = specs[i];
    }
    char sum[512];
    vg_corr_counters ct;
    run_events(&e, &r, sum, sizeof(sum), &ct, NULL);
    assert_string_equal(sum, "");
    /* users 0..8 are more than 10 s behind the last event (19 s) */
    assert_true(ct.evicted >= 9);
    env_fini(&e);
}

/* ---- rule errors ---- */

typedef struct drow {
    const char *name;
    const char *corr;
    uint32_t line, col; /* of the first error, counted in the correlation document */
    const char *msg;    /* substring */
} drow;

static const drow drows[] = {
        {"unknown type",
         "title: X\ncorrelation:\n  type: event_cnt\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gte: 1}\n",
         3, 9, "unknown correlation type"},
        {"bad timespan",
         "title: X\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1w\n"
         "  condition: {gte: 1}\n",
         5, 13, "timespan"},
        {"unknown rule",
         "title: X\ncorrelation:\n  type: event_count\n  rules: [a, nope]\n  timespan: 1m\n"
         "  condition: {gte: 1}\n",
         4, 14, "'nope' is not loaded"},
        {"value_count needs a field",
         "title: X\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gte: 1}\n",
         6, 14, "needs a condition 'field'"},
        {"condition not a number",
         "title: X\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gte: many}\n",
         6, 20, "needs a number"},
        {"unknown operator",
         "title: X\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {ge: 1}\n",
         6, 15, "unknown condition operator"},
        {"event_count without condition",
         "title: X\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n", 3, 3,
         "needs a 'condition'"},
        {"unknown attribute",
         "title: X\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1m\n"
         "  condition: {gte: 1}\n  window: 5\n",
         7, 3, "unknown correlation attribute"},
        {"loop of correlations",
         "title: X\nname: x\ncorrelation:\n  type: event_count\n  rules: [y]\n  timespan: 1m\n"
         "  condition: {gte: 1}\n---\ntitle: Y\nname: y\ncorrelation:\n  type: event_count\n"
         "  rules: [x]\n  timespan: 1m\n  condition: {gte: 1}\n",
         0, 0, "loop"}, /* at the document's start */
        {"chain groups by a field the inner does not",
         "title: X\nname: x\ncorrelation:\n  type: event_count\n  rules: [a]\n"
         "  group-by: [user]\n  timespan: 1m\n  condition: {gte: 1}\n---\ntitle: Y\n"
         "correlation:\n  type: event_count\n  rules: [x]\n  group-by: [host]\n"
         "  timespan: 1m\n  condition: {gte: 1}\n",
         13, 11, "does not group by 'host'"},
        {"suppress for a field that is not grouped",
         "title: X\nsuppress: {by: [host], for: 1h}\ncorrelation:\n  type: event_count\n"
         "  rules: [a]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 1}\n",
         2, 11, "suppresses by its group-by fields"},
        {"suppress with a bad period",
         "title: X\nsuppress: {by: [user], for: soon}\ncorrelation:\n  type: event_count\n"
         "  rules: [a]\n  group-by: [user]\n  timespan: 1m\n  condition: {gte: 1}\n",
         2, 29, "suppress 'for'"},
        {"alias without a field for a rule",
         "title: X\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [ip]\n"
         "  timespan: 1m\n  aliases:\n    ip:\n      a: src\n",
         8, 5, "alias 'ip' has no field for rule 'b'"},
};

static void test_corr_rule_errors(void **state)
{
    (void)state;
    /* the correlation document starts after the base rules and the separator */
    uint32_t offset = 1;
    for (const char *p = base_rules; *p; p++)
        offset += *p == '\n';
    int failed = 0;
    for (size_t i = 0; i < sizeof(drows) / sizeof(drows[0]); i++) {
        const drow *r = &drows[i];
        env e;
        bool ok = load(&e, r->corr);
        const vg_diag *first = NULL;
        for (size_t k = 0; k < vg_diags_count(e.d) && !first; k++)
            if (vg_diags_get(e.d, k)->sev == VG_SEV_ERROR)
                first = vg_diags_get(e.d, k);
        uint32_t want_line = r->line + offset;
        if (ok || !first || first->loc.line != want_line || first->loc.col != r->col ||
            !strstr(first->msg, r->msg)) {
            print_error("row '%s': want an error at %u:%u containing '%s'\n", r->name, want_line,
                        r->col, r->msg);
            print_diags(e.d);
            failed++;
        }
        vg_ruleset_stats st;
        vg_ruleset_stats_get(e.rs, &st);
        if (st.n_rules != 3) {
            print_error("row '%s': the detection rules must still load\n", r->name);
            failed++;
        }
        env_fini(&e);
    }
    assert_int_equal(failed, 0);
}

/* A suppression key names its rule by id: the same rule in another position (a reload
 * that reorders the rules) keeps its silenced periods. */
static void test_suppress_key_survives_reordered_rules(void **state)
{
    (void)state;
    static const char a[] = "title: A\nid: sa\nsuppress: {by: [user], for: 1h}\n"
                            "detection: {sel: {k: a}, condition: sel}\n";
    static const char b[] = "title: B\nid: sb\nsuppress: {by: [user], for: 1h}\n"
                            "detection: {sel: {k: b}, condition: sel}\n";
    char ab[512], ba[512];
    snprintf(ab, sizeof(ab), "%s---\n%s", a, b);
    snprintf(ba, sizeof(ba), "%s---\n%s", b, a);
    uint64_t key[2][2];
    for (int order = 0; order < 2; order++) {
        vg_ruleset *rs = vg_ruleset_new();
        vg_diags *d = vg_diags_new();
        const char *text = order ? ba : ab;
        assert_int_equal(vg_ruleset_add_rules(rs, "s.yml", text, strlen(text), d), VG_OK);
        assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
        vg_event *ev = vg_event_new(NULL);
        vg_perr perr;
        const char *json = "{\"k\":\"a\",\"user\":\"bob\"}";
        assert_int_equal(vg_parse_json(ev, json, strlen(json), &perr), VG_OK);
        assert_int_equal(vg_event_index(ev), VG_OK);
        for (uint32_t r = 0; r < 2; r++) {
            vg_rule_info ri;
            vg_ruleset_rule_info(rs, r, &ri);
            int which = strcmp(ri.id, "sa") == 0 ? 0 : 1;
            assert_int_equal(vg_rule_suppress_key(rs, r, ev, &key[order][which]), 3600000);
        }
        vg_event_free(ev);
        vg_diags_free(d);
        vg_ruleset_free(rs);
    }
    assert_true(key[0][0] == key[1][0]); /* rule sa, first or second */
    assert_true(key[0][1] == key[1][1]);
    assert_true(key[0][0] != key[0][1]); /* two rules, two keys */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_corr_semantics),
            cmocka_unit_test(test_corr_ids_are_deterministic),
            cmocka_unit_test(test_corr_snapshot_round_trip),
            cmocka_unit_test(test_corr_snapshot_hostile),
            cmocka_unit_test(test_corr_shards_match_one_correlator),
            cmocka_unit_test(test_corr_window_cap),
            cmocka_unit_test(test_corr_generate),
            cmocka_unit_test(test_corr_keys_are_evicted),
            cmocka_unit_test(test_corr_rule_errors),
            cmocka_unit_test(test_suppress_key_survives_reordered_rules),
    };
    return cmocka_run_group_tests_name("corr/corr", tests, NULL, NULL);
}
