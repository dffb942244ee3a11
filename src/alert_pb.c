/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_pb.c: alert JSON lines read back into vigil.Alert messages (see alert_pb.h).
 *
 * DESIGN
 * vg_parse_json builds the alert's tree in a reused vg_event. The tree is not indexed:
 * members are found by walking the children of the few objects an alert has (root, rule,
 * correlation, window, group, each event and its source), which costs nothing for the
 * event's own fields, however many or deep they are. Each member read is checked (present
 * when required, of its JSON type, numbers in range, times parsed by the engine's
 * vg_time_parse) and copied NUL-terminated into an arena reset per alert; the generated
 * message structs and their pointer arrays live in the same arena. A detection event's
 * "fields" object is only remembered by node: alert_pb_pack writes each one back as JSON
 * with vg_event_node_to_json, which gives vigil's own text for it (the writer that made the
 * line), then packs the message straight into the caller's vg_buf through a
 * ProtobufCBuffer.
 */
#include "alert_pb.h"
#include "alert.pb-c.h"
#include "base/num.h"
#include "base/timefmt.h"
#include "vigil/arena.h"
#include "vigil/parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alert_pb {
    vg_event *ev;
    vg_arena *a;   /* strings and message parts of the current alert */
    vg_buf fields; /* alert_pb_pack: each event's fields_json, NUL-terminated */
    bool ok;       /* the last parse succeeded */
    bool corr;     /* ... and the alert is a correlation alert */
    uint32_t *src; /* per event: its "fields" node, or VG_NODE_NONE */
    Vigil__Alert msg;
    Vigil__Rule rule;
    Vigil__Correlation cor;
};

/* One parse: where messages go. */
typedef struct rd {
    alert_pb *a;
    const vg_event *ev;
    char *err;
    size_t err_len;
} rd;

static int fail(char *err, size_t err_len, const char *fmt, ...) VG_PRINTF(3, 4);

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

alert_pb *alert_pb_new(void)
{
    alert_pb *a = vg_calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    vg_event_limits lim = {ALERT_PB_MAX_NODES, ALERT_PB_MAX_NODES, ALERT_PB_MAX_BYTES};
    a->ev = vg_event_new(&lim);
    /* copies of the alert's strings and the message structs: a few times the line */
    a->a = vg_arena_new(0, 4 * ALERT_PB_MAX_BYTES);
    /* fields_json may be longer than its source when it held invalid UTF-8 */
    vg_buf_init(&a->fields, 3 * ALERT_PB_MAX_BYTES);
    if (!a->ev || !a->a) {
        alert_pb_free(a);
        return NULL;
    }
    return a;
}

void alert_pb_free(alert_pb *a)
{
    if (!a)
        return;
    vg_event_free(a->ev);
    vg_arena_free(a->a);
    vg_buf_fini(&a->fields);
    vg_free(a);
}

/* ---- reading members ---- */

static const vg_node *node(const rd *r, uint32_t i)
{
    return vg_event_node(r->ev, i);
}

/* The first member `name` of object obj, or VG_NODE_NONE. */
static uint32_t member(const rd *r, uint32_t obj, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t c = node(r, obj)->first_child; c != VG_NODE_NONE; c = node(r, c)->next_sibling) {
        const vg_node *cn = node(r, c);
        if (cn->key.len == n && memcmp(cn->key.p, name, n) == 0)
            return c;
    }
    return VG_NODE_NONE;
}

/* Member `name` of obj, a JSON null counting as absent. VG_NODE_NONE and -1 if it is
 * missing and required; VG_NODE_NONE and 0 if it is missing and optional. what names the
 * member in messages. */
static int
find(const rd *r, uint32_t obj, const char *name, const char *what, bool req, uint32_t *at)
{
    *at = member(r, obj, name);
    if (*at != VG_NODE_NONE && node(r, *at)->type == VG_V_NULL)
        *at = VG_NODE_NONE;
    if (*at == VG_NODE_NONE && req)
        return fail(r->err, r->err_len, "malformed alert: missing \"%s\"", what);
    return 0;
}

static int wrong(const rd *r, const char *what, const char *type)
{
    return fail(r->err, r->err_len, "malformed alert: \"%s\" is not %s", what, type);
}

/* A string node's text as a NUL-terminated arena copy into *out. */
static int copy_text(const rd *r, uint32_t at, const char *what, char **out)
{
    const vg_node *n = node(r, at);
    if (n->text.len && memchr(n->text.p, '\0', n->text.len))
        return fail(r->err, r->err_len, "alert: \"%s\" holds a NUL byte", what);
    *out = vg_arena_strndup(r->a->a, n->text.len ? n->text.p : "", n->text.len);
    if (!*out)
        return fail(r->err, r->err_len, "alert: out of memory");
    return 0;
}

/* String member: *out stays NULL when it is optional and absent. */
static int
get_str(const rd *r, uint32_t obj, const char *name, const char *what, bool req, char **out)
{
    uint32_t at;
    *out = NULL;
    if (find(r, obj, name, what, req, &at) < 0)
        return -1;
    if (at == VG_NODE_NONE)
        return 0;
    if (node(r, at)->type != VG_V_STR)
        return wrong(r, what, "a string");
    return copy_text(r, at, what, out);
}

/* Object member (VG_NODE_NONE when optional and absent). */
static int
get_obj(const rd *r, uint32_t obj, const char *name, const char *what, bool req, uint32_t *at)
{
    if (find(r, obj, name, what, req, at) < 0)
        return -1;
    if (*at != VG_NODE_NONE && node(r, *at)->type != VG_V_OBJ)
        return wrong(r, what, "an object");
    return 0;
}

/* Array member: its element count (at most max) into *n; 0 when optional and absent. */
static int get_arr(const rd *r,
                   uint32_t obj,
                   const char *name,
                   const char *what,
                   size_t max,
                   uint32_t *at,
                   size_t *n)
{
    *n = 0;
    if (find(r, obj, name, what, false, at) < 0 || *at == VG_NODE_NONE)
        return 0;
    if (node(r, *at)->type != VG_V_ARR)
        return wrong(r, what, "an array");
    for (uint32_t c = node(r, *at)->first_child; c != VG_NODE_NONE; c = node(r, c)->next_sibling)
        if (++*n > max)
            return fail(r->err, r->err_len, "alert: \"%s\" has more than %zu elements", what, max);
    return 0;
}

/* An RFC 3339 time member as epoch ms; *has false when optional and absent. */
static int get_time(const rd *r,
                    uint32_t obj,
                    const char *name,
                    const char *what,
                    bool req,
                    int64_t *ms,
                    protobuf_c_boolean *has)
{
    uint32_t at;
    *has = false;
    if (find(r, obj, name, what, req, &at) < 0)
        return -1;
    if (at == VG_NODE_NONE)
        return 0;
    const vg_node *n = node(r, at);
    vg_time t;
    if (n->type != VG_V_STR || !vg_time_parse(n->text.p, n->text.len, &t))
        return wrong(r, what, "an RFC 3339 time");
    *ms = t.epoch_ms;
    *has = true;
    return 0;
}

/* An integer member: digits with an optional '-' (signed only), in range. */
static int get_int(const rd *r,
                   uint32_t obj,
                   const char *name,
                   const char *what,
                   bool req,
                   bool is_signed,
                   uint64_t *u,
                   int64_t *s,
                   protobuf_c_boolean *has)
{
    uint32_t at;
    *has = false;
    if (find(r, obj, name, what, req, &at) < 0)
        return -1;
    if (at == VG_NODE_NONE)
        return 0;
    const vg_node *n = node(r, at);
    const char *type = is_signed ? "an integer" : "an unsigned integer";
    char buf[24];
    if (n->type != VG_V_NUM || n->text.len == 0 || n->text.len >= sizeof(buf))
        return wrong(r, what, type);
    size_t neg = is_signed && n->text.p[0] == '-';
    if (n->text.len == neg)
        return wrong(r, what, type);
    for (size_t i = neg; i < n->text.len; i++)
        if (n->text.p[i] < '0' || n->text.p[i] > '9')
            return wrong(r, what, type);
    memcpy(buf, n->text.p, n->text.len);
    buf[n->text.len] = '\0';
    errno = 0;
    if (is_signed)
        *s = strtoll(buf, NULL, 10);
    else
        *u = strtoull(buf, NULL, 10);
    if (errno)
        return wrong(r, what, type);
    *has = true;
    return 0;
}

static void *alloc(const rd *r, size_t n, size_t size)
{
    void *p = n ? vg_arena_alloc(r->a->a, n * size) : NULL;
    if (n && !p)
        fail(r->err, r->err_len, "alert: out of memory");
    return p;
}

/* ---- the alert's parts ---- */

static int read_rule(const rd *r)
{
    alert_pb *a = r->a;
    uint32_t ro, tags;
    size_t n;
    if (get_obj(r, 0, "rule", "rule", true, &ro) < 0 ||
        get_str(r, ro, "id", "rule.id", true, &a->rule.id) < 0 ||
        get_str(r, ro, "title", "rule.title", false, &a->rule.title) < 0 ||
        get_str(r, ro, "level", "rule.level", false, &a->rule.level) < 0 ||
        get_arr(r, ro, "tags", "rule.tags", ALERT_PB_MAX_TAGS, &tags, &n) < 0)
        return -1;
    if (n && !(a->rule.tags = alloc(r, n, sizeof(char *))))
        return -1;
    for (uint32_t c = n ? node(r, tags)->first_child : VG_NODE_NONE; c != VG_NODE_NONE;
         c = node(r, c)->next_sibling) {
        if (node(r, c)->type != VG_V_STR)
            return wrong(r, "rule.tags", "an array of strings");
        if (copy_text(r, c, "rule.tags", &a->rule.tags[a->rule.n_tags++]) < 0)
            return -1;
    }
    a->msg.rule = &a->rule;
    return 0;
}

static int read_group(const rd *r)
{
    alert_pb *a = r->a;
    uint32_t g;
    if (get_obj(r, 0, "group", "group", false, &g) < 0)
        return -1;
    if (g == VG_NODE_NONE)
        return 0;
    size_t n = 0;
    for (uint32_t c = node(r, g)->first_child; c != VG_NODE_NONE; c = node(r, c)->next_sibling)
        if (++n > ALERT_PB_MAX_GROUP)
            return fail(r->err, r->err_len, "alert: \"group\" has more than %d values",
                        ALERT_PB_MAX_GROUP);
    Vigil__GroupValue *gv = alloc(r, n, sizeof(*gv));
    if (n && (!gv || !(a->cor.group = alloc(r, n, sizeof(*a->cor.group)))))
        return -1;
    for (uint32_t c = node(r, g)->first_child; c != VG_NODE_NONE; c = node(r, c)->next_sibling) {
        const vg_node *cn = node(r, c);
        Vigil__GroupValue *v = &gv[a->cor.n_group];
        *v = (Vigil__GroupValue)VIGIL__GROUP_VALUE__INIT;
        if (cn->type != VG_V_STR && cn->type != VG_V_NUM && cn->type != VG_V_BOOL)
            return wrong(r, "group", "an object of strings");
        if (cn->key.len && memchr(cn->key.p, '\0', cn->key.len))
            return fail(r->err, r->err_len, "alert: a \"group\" name holds a NUL byte");
        if (!(v->field = vg_arena_strndup(a->a, cn->key.len ? cn->key.p : "", cn->key.len)))
            return fail(r->err, r->err_len, "alert: out of memory");
        if (copy_text(r, c, "group", &v->value) < 0)
            return -1;
        a->cor.group[a->cor.n_group++] = v;
    }
    return 0;
}

static int read_correlation(const rd *r, uint32_t co)
{
    alert_pb *a = r->a;
    Vigil__Correlation *c = &a->cor;
    uint32_t w, v;
    uint64_t u = 0;
    if (get_str(r, co, "type", "correlation.type", true, &c->type) < 0 ||
        get_int(r, co, "timespan_ms", "correlation.timespan_ms", false, true, &u, &c->timespan_ms,
                &c->has_timespan_ms) < 0 ||
        get_obj(r, 0, "window", "window", false, &w) < 0)
        return -1;
    if (w != VG_NODE_NONE &&
        (get_time(r, w, "start", "window.start", false, &c->window_start_ms,
                  &c->has_window_start_ms) < 0 ||
         get_time(r, w, "end", "window.end", false, &c->window_end_ms, &c->has_window_end_ms) < 0))
        return -1;
    if (read_group(r) < 0 || find(r, 0, "value", "value", false, &v) < 0)
        return -1;
    if (v != VG_NODE_NONE) {
        vg_num num;
        const vg_node *n = node(r, v);
        if (n->type != VG_V_NUM || !vg_num_parse(n->text.p, n->text.len, &num))
            return wrong(r, "value", "a number");
        c->value = num.d;
        c->has_value = true;
    }
    int64_t s = 0;
    if (get_str(r, 0, "field_value", "field_value", false, &c->field_value) < 0 ||
        get_int(r, 0, "events_total", "events_total", false, false, &c->events_total, &s,
                &c->has_events_total) < 0)
        return -1;
    a->msg.correlation = c;
    return 0;
}

/* events[i]: its source, and time / rule (correlation) or fields (detection). */
static int read_event(const rd *r, uint32_t en, size_t i, Vigil__Event *e, Vigil__Source *s)
{
    char w[5][64];
    snprintf(w[0], sizeof(w[0]), "events[%zu].source", i);
    snprintf(w[1], sizeof(w[1]), "events[%zu].source.input", i);
    snprintf(w[2], sizeof(w[2]), "events[%zu].source.record", i);
    snprintf(w[3], sizeof(w[3]), "events[%zu].source.line", i);
    snprintf(w[4], sizeof(w[4]), "events[%zu]", i);
    *e = (Vigil__Event)VIGIL__EVENT__INIT;
    *s = (Vigil__Source)VIGIL__SOURCE__INIT;
    e->source = s;
    uint32_t so, f;
    protobuf_c_boolean has;
    int64_t sv;
    if (node(r, en)->type != VG_V_OBJ)
        return wrong(r, w[4], "an object");
    if (get_obj(r, en, "source", w[0], true, &so) < 0 ||
        get_str(r, so, "input", w[1], true, &s->input) < 0 ||
        get_int(r, so, "record", w[2], true, false, &s->record, &sv, &has) < 0 ||
        get_int(r, so, "line", w[3], false, false, &s->line, &sv, &s->has_line) < 0)
        return -1;
    snprintf(w[0], sizeof(w[0]), "events[%zu].time", i);
    snprintf(w[1], sizeof(w[1]), "events[%zu].rule", i);
    snprintf(w[2], sizeof(w[2]), "events[%zu].fields", i);
    if (get_time(r, en, "time", w[0], false, &e->time_ms, &e->has_time_ms) < 0 ||
        get_str(r, en, "rule", w[1], false, &e->rule_id) < 0 ||
        get_obj(r, en, "fields", w[2], false, &f) < 0)
        return -1;
    r->a->src[i] = f;
    return 0;
}

static int read_events(const rd *r)
{
    alert_pb *a = r->a;
    uint32_t ea;
    size_t n;
    if (get_arr(r, 0, "events", "events", ALERT_PB_MAX_EVENTS, &ea, &n) < 0)
        return -1;
    if (!n)
        return 0;
    Vigil__Event *ev = alloc(r, n, sizeof(*ev));
    Vigil__Source *src = ev ? alloc(r, n, sizeof(*src)) : NULL;
    a->msg.events = src ? alloc(r, n, sizeof(*a->msg.events)) : NULL;
    a->src = a->msg.events ? alloc(r, n, sizeof(*a->src)) : NULL;
    if (!a->src)
        return -1;
    size_t i = 0;
    for (uint32_t c = node(r, ea)->first_child; c != VG_NODE_NONE; c = node(r, c)->next_sibling) {
        if (read_event(r, c, i, &ev[i], &src[i]) < 0)
            return -1;
        a->msg.events[i] = &ev[i];
        a->msg.n_events = ++i;
    }
    return 0;
}

static int read_alert(const rd *r)
{
    alert_pb *a = r->a;
    protobuf_c_boolean has;
    uint32_t co;
    if (get_str(r, 0, "id", "id", true, &a->msg.id) < 0)
        return -1;
    size_t n = strlen(a->msg.id);
    if (n != 32 || strspn(a->msg.id, "0123456789abcdef") != n)
        return wrong(r, "id", "32 hex characters");
    if (read_rule(r) < 0 || get_time(r, 0, "time", "time", true, &a->msg.time_ms, &has) < 0 ||
        get_time(r, 0, "event_time", "event_time", false, &a->msg.event_time_ms,
                 &a->msg.has_event_time_ms) < 0 ||
        get_obj(r, 0, "correlation", "correlation", false, &co) < 0)
        return -1;
    a->corr = co != VG_NODE_NONE;
    if (a->corr && read_correlation(r, co) < 0)
        return -1;
    return read_events(r);
}

int alert_pb_parse(alert_pb *a, const char *json, size_t len, char *err, size_t err_len)
{
    a->ok = a->corr = false;
    a->src = NULL;
    a->msg = (Vigil__Alert)VIGIL__ALERT__INIT;
    a->rule = (Vigil__Rule)VIGIL__RULE__INIT;
    a->cor = (Vigil__Correlation)VIGIL__CORRELATION__INIT;
    vg_arena_reset(a->a);
    vg_event_reset(a->ev);
    if (len > ALERT_PB_MAX_BYTES)
        return fail(err, err_len, "alert: %zu bytes, more than the %zu accepted", len,
                    ALERT_PB_MAX_BYTES);
    vg_perr pe = {0, "malformed"};
    vg_status rc = vg_parse_json(a->ev, json, len, &pe);
    if (rc != VG_OK) {
        vg_event_reset(a->ev);
        if (rc == VG_ERR_NOMEM)
            return fail(err, err_len, "alert: out of memory");
        return fail(err, err_len, "alert: %s: %s at byte %zu",
                    rc == VG_ERR_LIMIT ? "JSON over a limit" : "not valid JSON", pe.msg, pe.offset);
    }
    rd r = {a, a->ev, err, err_len};
    if (read_alert(&r) < 0)
        return -1;
    a->ok = true;
    return 0;
}

/* ---- answers ---- */

const char *alert_pb_id(const alert_pb *a)
{
    return a->ok ? a->msg.id : NULL;
}

const char *alert_pb_rule_id(const alert_pb *a)
{
    return a->ok ? a->rule.id : NULL;
}

bool alert_pb_is_correlation(const alert_pb *a)
{
    return a->ok && a->corr;
}

const char *alert_pb_kind(const alert_pb *a)
{
    return !a->ok ? NULL : a->corr ? "correlation" : "detection";
}

int alert_pb_key(const alert_pb *a, vg_buf *key)
{
    if (!a->ok || vg_buf_status(key) != VG_OK)
        return -1;
    size_t start = key->len;
    vg_buf_puts(key, a->rule.id);
    for (size_t g = 0; a->corr && g < a->cor.n_group; g++) {
        vg_buf_putc(key, '\n');
        vg_buf_puts(key, a->cor.group[g]->field);
        vg_buf_putc(key, '=');
        vg_buf_puts(key, a->cor.group[g]->value);
    }
    if (vg_buf_status(key) != VG_OK) {
        key->len = start;
        if (key->p)
            key->p[start] = '\0';
        return -1;
    }
    return 0;
}

/* protobuf-c's output side, appending to a vg_buf. */
typedef struct pb_sink {
    ProtobufCBuffer base;
    vg_buf *out;
} pb_sink;

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    vg_buf_append(((pb_sink *)b)->out, data, len);
}

int alert_pb_pack(alert_pb *a, vg_buf *out, char *err, size_t err_len)
{
    if (!a->ok)
        return fail(err, err_len, "alert: none parsed");
    if (vg_buf_status(out) != VG_OK)
        return fail(err, err_len, "alert: output buffer: %s", vg_status_str(vg_buf_status(out)));
    /* fields_json: written one after the other, NUL-terminated, then pointed at */
    vg_buf_clear(&a->fields);
    size_t *off = NULL;
    if (a->msg.n_events && !(off = vg_arena_alloc(a->a, a->msg.n_events * sizeof(*off))))
        return fail(err, err_len, "alert: out of memory");
    for (size_t i = 0; i < a->msg.n_events; i++) {
        if (a->src[i] == VG_NODE_NONE)
            continue;
        off[i] = a->fields.len;
        vg_event_node_to_json(a->ev, a->src[i], &a->fields);
        vg_buf_putc(&a->fields, '\0');
    }
    if (vg_buf_status(&a->fields) != VG_OK)
        return fail(err, err_len, "alert: fields_json: %s",
                    vg_status_str(vg_buf_status(&a->fields)));
    for (size_t i = 0; i < a->msg.n_events; i++)
        a->msg.events[i]->fields_json = a->src[i] == VG_NODE_NONE ? NULL : a->fields.p + off[i];

    size_t start = out->len;
    pb_sink sink = {{sink_append}, out};
    vigil__alert__pack_to_buffer(&a->msg, &sink.base);
    if (vg_buf_status(out) != VG_OK) {
        out->len = start;
        if (out->p)
            out->p[start] = '\0';
        return fail(err, err_len, "alert: output buffer: %s", vg_status_str(vg_buf_status(out)));
    }
    return 0;
}

int alert_pb_encode(
        alert_pb *a, const char *json, size_t len, vg_buf *out, char *err, size_t err_len)
{
    if (alert_pb_parse(a, json, len, err, err_len) < 0)
        return -1;
    return alert_pb_pack(a, out, err, err_len);
}
