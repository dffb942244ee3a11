/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.c: alert ids, event timestamps and the JSON alert (see vigil/alert.h).
 *
 * The id is 128 bits from two independent 64-bit FNV-1a style hashes over a canonical
 * byte string: "v1" NUL rule-id NUL then, per event, input NUL record-decimal NUL. It is
 * stable across runs, machines and thread counts, and differs when any component does.
 */
#include "vigil/alert.h"
#include "base/hash.h"
#include "sigma/ruleset_int.h"
#include "base/timefmt.h"

#include <stdio.h>
#include <string.h>

typedef struct hash2 {
    uint64_t a, b;
} hash2;

static void h_bytes(hash2 *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h->a ^= s[i];
        h->a *= 1099511628211ull;
        h->b ^= s[i];
        h->b *= 0x100000001b3ull ^ 0x9e3779b97f4a7c15ull;
        h->b ^= h->b >> 29;
    }
}


void vg_alert_id(const char *rule_id, const vg_origin *const *origins, size_t n, char id[33])
{
    hash2 h = {1469598103934665603ull, 0x84222325cbf29ce4ull};
    h_bytes(&h, "v1", 3);
    h_bytes(&h, rule_id, strlen(rule_id) + 1);
    for (size_t i = 0; i < n; i++) {
        char num[24];
        int len = snprintf(num, sizeof(num), "%llu", (unsigned long long)origins[i]->record);
        h_bytes(&h, origins[i]->input, strlen(origins[i]->input) + 1);
        h_bytes(&h, num, (size_t)len + 1);
    }
    uint64_t a = vg_mix64(h.a ^ (h.b << 1)), b = vg_mix64(h.b + 0x9e3779b97f4a7c15ull * h.a);
    snprintf(id, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

void vg_alert_id_parts(const char *kind, const vg_span *parts, size_t n, char id[33])
{
    hash2 h = {1469598103934665603ull, 0x84222325cbf29ce4ull};
    h_bytes(&h, kind, strlen(kind) + 1);
    for (size_t i = 0; i < n; i++) {
        char len[24];
        int w = snprintf(len, sizeof(len), "%zu", parts[i].len);
        h_bytes(&h, len, (size_t)w + 1); /* length first: parts cannot run into each other */
        h_bytes(&h, parts[i].p, parts[i].len);
    }
    uint64_t a = vg_mix64(h.a ^ (h.b << 1)), b = vg_mix64(h.b + 0x9e3779b97f4a7c15ull * h.a);
    snprintf(id, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

static const char *const time_fields[] = {
        "@timestamp",  "Event.System.TimeCreated.#attributes.SystemTime",
        "TimeCreated", "UtcTime",
        "timestamp",   "eventTime",
        "EventTime",   "time",
        NULL};

bool vg_event_time_field(const vg_event *ev, const char *name, int64_t *ms)
{
    uint32_t idx = vg_event_resolve(ev, name, strlen(name));
    if (idx == VG_NODE_NONE)
        return false;
    const vg_node *n = vg_event_node(ev, idx);
    if (n->type != VG_V_STR && n->type != VG_V_NUM)
        return false;
    vg_time t;
    if (!vg_time_parse(n->text.p, n->text.len, &t))
        return false;
    *ms = t.epoch_ms;
    return true;
}

bool vg_event_time(const vg_event *ev, int64_t *ms)
{
    for (size_t i = 0; time_fields[i]; i++)
        if (vg_event_time_field(ev, time_fields[i], ms))
            return true;
    return false;
}

static void json_kv_str(vg_buf *out, const char *key, const char *val, bool comma)
{
    if (comma)
        vg_buf_putc(out, ',');
    vg_buf_putc(out, '"');
    vg_buf_puts(out, key);
    vg_buf_append(out, "\":\"", 3);
    vg_buf_json_str(out, val ? val : "", val ? strlen(val) : 0);
    vg_buf_putc(out, '"');
}

void vg_alert_json_single(vg_buf *out,
                          const vg_ruleset *rs,
                          uint32_t rule,
                          const vg_event *ev,
                          const vg_origin *origin,
                          int64_t detect_ms)
{
    const vg_rule *r = &rs->rules.v[rule];
    char id[33];
    const vg_origin *origins[1] = {origin};
    vg_alert_id(r->id, origins, 1, id);
    char ts[40];

    vg_buf_putc(out, '{');
    json_kv_str(out, "id", id, false);
    vg_buf_append(out, ",\"rule\":{", 9);
    json_kv_str(out, "id", r->id, false);
    json_kv_str(out, "title", r->title, true);
    json_kv_str(out, "level", r->level, true);
    vg_buf_append(out, ",\"tags\":[", 9);
    for (size_t i = 0; i < r->n_tags; i++) {
        if (i)
            vg_buf_putc(out, ',');
        vg_buf_putc(out, '"');
        vg_buf_json_str(out, r->tags[i], strlen(r->tags[i]));
        vg_buf_putc(out, '"');
    }
    vg_buf_append(out, "]}", 2);
    vg_time_format(detect_ms, ts, sizeof(ts));
    json_kv_str(out, "time", ts, true);
    int64_t ems;
    if (vg_event_time(ev, &ems)) {
        vg_time_format(ems, ts, sizeof(ts));
        json_kv_str(out, "event_time", ts, true);
    } else {
        vg_buf_puts(out, ",\"event_time\":null");
    }
    vg_buf_puts(out, ",\"events\":[{\"source\":{");
    json_kv_str(out, "input", origin->input, false);
    vg_buf_printf(out, ",\"record\":%llu", (unsigned long long)origin->record);
    if (origin->line)
        vg_buf_printf(out, ",\"line\":%llu", (unsigned long long)origin->line);
    vg_buf_puts(out, "},\"fields\":");
    vg_event_to_json(ev, out);
    vg_buf_puts(out, "}]}");
}
