/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dconfig.c: reading the daemon's configuration file (dconfig.h).
 *
 * The file is read whole (at most 1 MiB) and parsed with the engine's YAML tree reader into
 * a scratch arena, so every node has its line and column. The top-level mapping is walked
 * in document order against one table of known keys (dotted paths, with their kind, the
 * dcfg field they fill and their bounds), so the first problem in the file is the one
 * reported. Sections (kafka, redis, ...) are mappings walked the same way; rules, inputs,
 * kafka.properties and a few keys with their own grammar have handlers of their own.
 * Strings kept are copied into the dcfg's arena and the scratch tree is dropped.
 *
 * Error messages never include the value of a secret.
 */
#include "dconfig.h"
#include "fsutil.h"
#include "units.h"
#include "vigil/corr.h"
#include "vigil/ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#define DCFG_MAX_FILE     (1u << 20)
#define DCFG_MAX_THREADS  64
#define DCFG_MAX_ENV_NAME 255

typedef struct ld {
    dcfg *c;
    const char *file;
    char *err;
    size_t err_len;
} ld;

/* "FILE:LINE:COL: " (or "FILE: " with line 0) then the message, which starts with the key
 * when there is one. Returns -1. */
static int vfail(ld *l, uint32_t line, uint32_t col, const char *fmt, va_list ap) VG_PRINTF(4, 0);
static int vfail(ld *l, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    if (!l->err || l->err_len == 0)
        return -1;
    int k = line ? snprintf(l->err, l->err_len, "%s:%u:%u: ", l->file, line, col)
                 : snprintf(l->err, l->err_len, "%s: ", l->file);
    if (k >= 0 && (size_t)k < l->err_len)
        vsnprintf(l->err + k, l->err_len - (size_t)k, fmt, ap);
    return -1;
}

static int fail_at(ld *l, uint32_t line, uint32_t col, const char *fmt, ...) VG_PRINTF(4, 5);
static int fail_at(ld *l, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(l, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* At node n (1:1 without one). */
static int fail(ld *l, const vg_ynode *n, const char *fmt, ...) VG_PRINTF(3, 4);
static int fail(ld *l, const vg_ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(l, n ? n->line : 1, n ? n->col : 1, fmt, ap);
    va_end(ap);
    return -1;
}

static int nomem(ld *l)
{
    return fail_at(l, 0, 0, "out of memory");
}

static const char *dup_str(dcfg *c, const char *s)
{
    return vg_arena_strndup(c->arena, s, strlen(s));
}

/* ---- scalars ---- */

/* A scalar that is not YAML null, or NULL. */
static const char *text(const vg_ynode *v)
{
    return v && v->kind == VG_Y_SCALAR && !vg_ynode_is_null(v) ? v->str : NULL;
}

/* Decimal digits only, lo..hi. */
static bool parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || s[0] < '0' || s[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False",
                                                                           "FALSE"};
    for (size_t i = 0; s && i < 3; i++) {
        if (strcmp(s, t[i]) == 0 || strcmp(s, f[i]) == 0) {
            *out = strcmp(s, t[i]) == 0;
            return true;
        }
    }
    return false;
}

/* Kafka's rule for topic names: 1..249 of [A-Za-z0-9._-], not "." or "..". */
static bool topic_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 249 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

static const char topic_rule[] =
        "must be a Kafka topic name (1..249 letters, digits, '.', '_' or '-')";

/* "${NAME}" as the whole value: the environment variable NAME. Anything else: the value
 * itself. *out points into the dcfg's arena. Messages never show the value. */
static int secret_value(ld *l, const vg_ynode *v, const char *key, const char **out)
{
    const char *s = v->str;
    size_t n = v->len;
    if (n < 3 || s[0] != '$' || s[1] != '{' || s[n - 1] != '}') {
        *out = vg_arena_strndup(l->c->arena, s, n);
        return *out ? 0 : nomem(l);
    }
    char name[DCFG_MAX_ENV_NAME + 1];
    size_t nl = n - 3;
    bool ok = nl >= 1 && nl <= DCFG_MAX_ENV_NAME && !(s[2] >= '0' && s[2] <= '9');
    for (size_t i = 0; ok && i < nl; i++) {
        char ch = s[2 + i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_';
    }
    if (!ok)
        return fail(l, v,
                    "%s: ${...} must name an environment variable (letters, digits and _, not "
                    "starting with a digit)",
                    key);
    memcpy(name, s + 2, nl);
    name[nl] = '\0';
    const char *e = getenv(name);
    if (!e)
        return fail(l, v, "%s: environment variable %s is not set", key, name);
    *out = dup_str(l->c, e);
    return *out ? 0 : nomem(l);
}

/* ---- edit distance, for "did you mean" ---- */

#define SUGGEST_MAX_LEN 64

static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t row[SUGGEST_MAX_LEN + 1];
    if (na > SUGGEST_MAX_LEN || nb > SUGGEST_MAX_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* The nearest of names[0..n) within distance 2 of key (and nearer than key's length), or
 * NULL. */
static const char *nearest(const char *key, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3, klen = strlen(key);
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(key, names[i]);
        if (d < best_d && d < klen) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

/* Map key i is a repeat of an earlier key: fail. */
static int check_dup(ld *l, const vg_ynode *map, size_t i, const char *fullkey)
{
    const vg_ynode *k = map->items[2 * i];
    for (size_t j = 0; j < i; j++) {
        const vg_ynode *o = map->items[2 * j];
        if (strcmp(o->str, k->str) == 0)
            return fail(l, k, "%s: duplicate key (first at %u:%u)", fullkey, o->line, o->col);
    }
    return 0;
}

/* ---- the key table ---- */

typedef enum kkind {
    K_SECTION,   /* a mapping of further keys */
    K_STR,       /* non-empty string */
    K_OPT_STR,   /* non-empty string, or null / absent: NULL */
    K_ANY_STR,   /* any string, null = "" */
    K_TOPIC,     /* Kafka topic name */
    K_OPT_TOPIC, /* Kafka topic name, or null / absent: NULL */
    K_UINT,      /* unsigned, lo..hi */
    K_COUNT,     /* size_t, lo..hi */
    K_DURATION,  /* int64_t ms, lo..hi */
    K_SIZE64,    /* uint64_t bytes, lo..hi */
    K_SIZE,      /* size_t bytes, lo..hi */
    K_SPECIAL    /* its own handler */
} kkind;

typedef struct key key;
typedef int (*key_fn)(ld *l, const key *k, const vg_ynode *v);

struct key {
    const char *path;
    kkind kind;
    size_t off;
    uint64_t lo, hi;
    const char *rule; /* what the value must be, for messages */
    key_fn fn;
};

static int k_rules(ld *l, const key *k, const vg_ynode *v);
static int k_inputs(ld *l, const key *k, const vg_ynode *v);
static int k_props(ld *l, const key *k, const vg_ynode *v);
static int k_enum(ld *l, const key *k, const vg_ynode *v);
static int k_redis_password(ld *l, const key *k, const vg_ynode *v);
static int k_redis_tls(ld *l, const key *k, const vg_ynode *v);
static int k_redis_socket(ld *l, const key *k, const vg_ynode *v);
static int k_metrics_listen(ld *l, const key *k, const vg_ynode *v);

#define F(field) offsetof(dcfg, field)
#define MS_1H    3600000u
#define MS_1D    86400000u

static const key keys[] = {
        {"rules", K_SPECIAL, 0, 0, 0, "must be a path or a list of paths", k_rules},
        {"threads", K_UINT, F(threads), 0, DCFG_MAX_THREADS,
         "must be a number 0..64 (0: one per online CPU)", NULL},
        {"kafka", K_SECTION, 0, 0, 0, NULL, NULL},
        {"kafka.brokers", K_STR, F(brokers), 0, 0, NULL, NULL},
        {"kafka.group", K_STR, F(group), 0, 0, NULL, NULL},
        {"kafka.properties", K_SPECIAL, 0, 0, 0, NULL, k_props},
        {"inputs", K_SPECIAL, 0, 0, 0, NULL, k_inputs},
        {"dead_letter", K_SECTION, 0, 0, 0, NULL, NULL},
        {"dead_letter.topic", K_OPT_TOPIC, F(dead_letter_topic), 0, 0, NULL, NULL},
        {"alerts", K_SECTION, 0, 0, 0, NULL, NULL},
        {"alerts.topic", K_TOPIC, F(alert_topic), 0, 0, NULL, NULL},
        {"alerts.format", K_SPECIAL, 0, 0, 0, "must be json or protobuf", k_enum},
        {"alerts.max_pending", K_COUNT, F(max_pending_alerts), 1, 10000000,
         "must be a number 1..10000000", NULL},
        {"redis", K_SECTION, 0, 0, 0, NULL, NULL},
        {"redis.host", K_STR, F(redis_host), 0, 0, NULL, NULL},
        {"redis.port", K_UINT, F(redis_port), 1, 65535, "must be a number 1..65535", NULL},
        {"redis.unix_socket", K_SPECIAL, 0, 0, 0, NULL, k_redis_socket},
        {"redis.password", K_SPECIAL, 0, 0, 0, NULL, k_redis_password},
        {"redis.username", K_OPT_STR, F(redis_user), 0, 0, NULL, NULL},
        {"redis.tls", K_SPECIAL, 0, 0, 0, NULL, k_redis_tls},
        {"redis.database", K_UINT, F(redis_db), 0, 2147483647, "must be a number 0..2147483647",
         NULL},
        {"redis.key_prefix", K_ANY_STR, F(redis_prefix), 0, 0, NULL, NULL},
        {"redis.timeout", K_DURATION, F(redis_timeout_ms), 1, MS_1H, "must be a duration 1ms..1h",
         NULL},
        {"checkpoint", K_SECTION, 0, 0, 0, NULL, NULL},
        {"checkpoint.interval", K_DURATION, F(checkpoint_ms), 10, MS_1H,
         "must be a duration 10ms..1h", NULL},
        {"checkpoint.lease", K_DURATION, F(lease_ms), 1000, MS_1H, "must be a duration 1s..1h",
         NULL},
        {"correlation", K_SECTION, 0, 0, 0, NULL, NULL},
        {"correlation.lateness", K_DURATION, F(lateness_ms), 0, MS_1D, "must be a duration 0ms..1d",
         NULL},
        {"correlation.max_memory", K_SIZE64, F(corr_max_bytes), (uint64_t)1 << 20,
         (uint64_t)1 << 46, "must be a size 1MiB..64TiB", NULL},
        {"correlation.shards", K_UINT, F(corr_shards), 1, VG_CORR_MAX_SHARDS,
         "must be a number 1..64", NULL},
        {"limits", K_SECTION, 0, 0, 0, NULL, NULL},
        {"limits.max_record", K_SIZE, F(max_record), 64, (uint64_t)1 << 31,
         "must be a size 64..2GiB", NULL},
        {"metrics", K_SECTION, 0, 0, 0, NULL, NULL},
        {"metrics.listen", K_SPECIAL, 0, 0, 0, NULL, k_metrics_listen},
        {"log", K_SECTION, 0, 0, 0, NULL, NULL},
        {"log.level", K_SPECIAL, 0, 0, 0, "must be error, warn, info or debug", k_enum},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char duration_hint[] = " (a number and ms, s, m, h or d)";
static const char size_hint[] = " (a number of bytes, or a number and KiB, MiB, GiB or TiB)";

/* The table entry for prefix.name (or name at the top, prefix ""). */
static const key *find_key(const char *prefix, const char *name)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *p = keys[i].path;
        if (pl == 0 ? strcmp(p, name) == 0
                    : strncmp(p, prefix, pl) == 0 && p[pl] == '.' && strcmp(p + pl + 1, name) == 0)
            return &keys[i];
    }
    return NULL;
}

static int unknown_key(ld *l, const vg_ynode *kn, const char *prefix)
{
    const char *names[N_KEYS];
    size_t n = 0, pl = strlen(prefix);
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *p = keys[i].path;
        if (pl == 0 ? !strchr(p, '.') : strncmp(p, prefix, pl) == 0 && p[pl] == '.')
            names[n++] = pl ? p + pl + 1 : p;
    }
    const char *sug = nearest(kn->str, names, n);
    const char *dot = pl ? "." : "";
    if (sug)
        return fail(l, kn, "%s%s%s: unknown key (did you mean %s%s%s?)", prefix, dot, kn->str,
                    prefix, dot, sug);
    return fail(l, kn, "%s%s%s: unknown key", prefix, dot, kn->str);
}

static int set_value(ld *l, const key *k, const vg_ynode *v);

/* Walk a mapping of keys under prefix ("" for the top). */
static int walk_map(ld *l, const vg_ynode *map, const char *prefix)
{
    for (size_t i = 0; i < map->n; i++) {
        const vg_ynode *kn = map->items[2 * i], *v = map->items[2 * i + 1];
        const key *k = find_key(prefix, kn->str);
        if (!k)
            return unknown_key(l, kn, prefix);
        if (check_dup(l, map, i, k->path) < 0 || set_value(l, k, v) < 0)
            return -1;
    }
    return 0;
}

static int set_value(ld *l, const key *k, const vg_ynode *v)
{
    dcfg *c = l->c;
    char *field = (char *)c + k->off;
    const char *s = text(v);
    uint64_t u = 0;
    int64_t ms = 0;
    switch (k->kind) {
    case K_SECTION:
        if (vg_ynode_is_null(v))
            return 0;
        if (v->kind != VG_Y_MAP)
            return fail(l, v, "%s: must be a mapping of %s.* keys", k->path, k->path);
        return walk_map(l, v, k->path);
    case K_OPT_STR:
    case K_OPT_TOPIC:
        if (vg_ynode_is_null(v)) {
            *(const char **)field = NULL;
            return 0;
        }
        /* fall through */
    case K_STR:
    case K_TOPIC:
        if (!s || !s[0])
            return fail(l, v, "%s: must be a non-empty string", k->path);
        if ((k->kind == K_TOPIC || k->kind == K_OPT_TOPIC) && !topic_ok(s))
            return fail(l, v, "%s: %s", k->path, topic_rule);
        break;
    case K_ANY_STR:
        if (vg_ynode_is_null(v))
            s = "";
        else if (!s)
            return fail(l, v, "%s: must be a string", k->path);
        break;
    case K_UINT:
    case K_COUNT:
        if (!parse_uint(s, k->lo, k->hi, &u))
            return fail(l, v, "%s: %s", k->path, k->rule);
        if (k->kind == K_UINT)
            *(unsigned *)field = (unsigned)u;
        else
            *(size_t *)field = (size_t)u;
        return 0;
    case K_DURATION:
        if (!units_duration(s, &ms) || (uint64_t)ms < k->lo || (uint64_t)ms > k->hi)
            return fail(l, v, "%s: %s%s", k->path, k->rule, duration_hint);
        *(int64_t *)field = ms;
        return 0;
    case K_SIZE64:
    case K_SIZE:
        if (!units_size(s, &u) || u < k->lo || u > k->hi)
            return fail(l, v, "%s: %s%s", k->path, k->rule, size_hint);
        if (k->kind == K_SIZE64)
            *(uint64_t *)field = u;
        else
            *(size_t *)field = (size_t)u;
        return 0;
    case K_SPECIAL:
        return k->fn(l, k, v);
    }
    const char *copy = dup_str(c, s);
    if (!copy)
        return nomem(l);
    *(const char **)field = copy;
    return 0;
}

/* ---- keys with their own grammar ---- */

static int k_enum(ld *l, const key *k, const vg_ynode *v)
{
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    const char *s = text(v);
    if (strcmp(k->path, "alerts.format") == 0) {
        if (s && strcmp(s, "json") == 0)
            l->c->alert_format = DCFG_ALERT_JSON;
        else if (s && strcmp(s, "protobuf") == 0)
            l->c->alert_format = DCFG_ALERT_PROTOBUF;
        else
            return fail(l, v, "%s: %s", k->path, k->rule);
        return 0;
    }
    for (size_t i = 0; s && i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(s, levels[i]) == 0) {
            l->c->log_level = dup_str(l->c, levels[i]);
            return l->c->log_level ? 0 : nomem(l);
        }
    }
    return fail(l, v, "%s: %s", k->path, k->rule);
}

static int k_redis_password(ld *l, const key *k, const vg_ynode *v)
{
    if (vg_ynode_is_null(v)) {
        l->c->redis_password = NULL;
        return 0;
    }
    if (v->kind != VG_Y_SCALAR || v->len == 0)
        return fail(l, v, "%s: must be a non-empty string", k->path);
    return secret_value(l, v, k->path, &l->c->redis_password);
}

static int k_redis_tls(ld *l, const key *k, const vg_ynode *v)
{
    bool b;
    if (!parse_bool(text(v), &b))
        return fail(l, v, "%s: must be true or false", k->path);
    if (b)
        return fail(l, v,
                    "%s: not supported: the packaged hiredis (0.14) has no TLS; reach a TLS "
                    "Redis through a local TLS tunnel (e.g. stunnel) listening on a unix socket "
                    "(redis.unix_socket) or a loopback port",
                    k->path);
    l->c->redis_tls = false;
    return 0;
}

static int k_redis_socket(ld *l, const key *k, const vg_ynode *v)
{
    if (vg_ynode_is_null(v)) {
        l->c->redis_socket = NULL;
        return 0;
    }
    const char *s = text(v);
    size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
    if (!s || !s[0])
        return fail(l, v, "%s: must be a non-empty string", k->path);
    if (strlen(s) > max)
        return fail(l, v, "%s: a unix socket path is at most %zu bytes", k->path, max);
    l->c->redis_socket = dup_str(l->c, s);
    return l->c->redis_socket ? 0 : nomem(l);
}

/* "HOST:PORT" (HOST non-empty; an IPv6 address in brackets), "off" or "": off (""). */
static int k_metrics_listen(ld *l, const key *k, const vg_ynode *v)
{
    const char *s = vg_ynode_is_null(v) ? "" : text(v);
    if (s && (s[0] == '\0' || strcmp(s, "off") == 0)) {
        l->c->metrics_listen = dup_str(l->c, "");
        return l->c->metrics_listen ? 0 : nomem(l);
    }
    const char *colon = s ? strrchr(s, ':') : NULL;
    uint64_t port;
    bool ok = colon && colon > s && parse_uint(colon + 1, 0, 65535, &port) && colon[1] &&
              strlen(colon + 1) <= 5;
    if (ok) {
        size_t hl = (size_t)(colon - s);
        const char *inner = memchr(s, ':', hl);
        if (s[0] == '[')
            ok = hl > 2 && s[hl - 1] == ']' && !memchr(s + 1, ']', hl - 2);
        else
            ok = !inner && !memchr(s, ']', hl);
    }
    if (!ok)
        return fail(l, v,
                    "%s: must be HOST:PORT (port 0..65535; an IPv6 address in brackets), or off",
                    k->path);
    l->c->metrics_listen = dup_str(l->c, s);
    return l->c->metrics_listen ? 0 : nomem(l);
}

/* A rule path as written, or relative to the configuration file's directory. */
static const char *rule_path(ld *l, const char *p)
{
    const char *slash = strrchr(l->file, '/');
    if (p[0] == '/' || !slash)
        return dup_str(l->c, p);
    size_t dl = (size_t)(slash - l->file), n = dl + 1 + strlen(p) + 1;
    char *s = vg_arena_alloc(l->c->arena, n);
    if (s)
        snprintf(s, n, "%.*s/%s", (int)dl, l->file, p);
    return s;
}

static int k_rules(ld *l, const key *k, const vg_ynode *v)
{
    dcfg *c = l->c;
    if (vg_ynode_is_null(v))
        return fail(l, v, "rules: required");
    if (v->kind == VG_Y_SCALAR) {
        if (!v->len)
            return fail(l, v, "rules: must not be empty");
        c->rules[0] = rule_path(l, v->str);
        c->n_rules = 1;
        return c->rules[0] ? 0 : nomem(l);
    }
    if (v->kind != VG_Y_SEQ)
        return fail(l, v, "rules: %s", k->rule);
    if (v->n == 0)
        return fail(l, v, "rules: must name at least one rule file or directory");
    if (v->n > DCFG_MAX_RULES)
        return fail(l, v, "rules: at most %d paths", DCFG_MAX_RULES);
    for (size_t i = 0; i < v->n; i++) {
        const char *s = text(v->items[i]);
        if (!s || !s[0])
            return fail(l, v->items[i], "rules[%zu]: must be a path", i);
        c->rules[i] = rule_path(l, s);
        if (!c->rules[i])
            return nomem(l);
    }
    c->n_rules = v->n;
    return 0;
}

static const char *const input_keys[] = {"topic", "format", "logsource", "time_field"};

static int input_item(ld *l, size_t idx, const vg_ynode *it)
{
    dcfg *c = l->c;
    dcfg_input *in = &c->inputs[idx];
    memset(in, 0, sizeof(*in));
    in->format = VG_FMT_AUTO;
    if (it->kind != VG_Y_MAP)
        return fail(l, it, "inputs[%zu]: must be a mapping {topic, format, logsource, time_field}",
                    idx);
    for (size_t i = 0; i < it->n; i++) {
        const vg_ynode *kn = it->items[2 * i], *v = it->items[2 * i + 1];
        const char *name = kn->str, *s = text(v);
        size_t w = 0;
        while (w < 4 && strcmp(name, input_keys[w]) != 0)
            w++;
        if (w == 4) {
            const char *sug = nearest(name, input_keys, 4);
            if (sug)
                return fail(l, kn, "inputs[%zu].%s: unknown key (did you mean inputs[%zu].%s?)",
                            idx, name, idx, sug);
            return fail(l, kn, "inputs[%zu].%s: unknown key", idx, name);
        }
        for (size_t j = 0; j < i; j++) {
            const vg_ynode *o = it->items[2 * j];
            if (strcmp(o->str, name) == 0)
                return fail(l, kn, "inputs[%zu].%s: duplicate key (first at %u:%u)", idx, name,
                            o->line, o->col);
        }
        if (w == 0) {
            if (!topic_ok(s))
                return fail(l, v, "inputs[%zu].topic: %s", idx, topic_rule);
            for (size_t j = 0; j < idx; j++) {
                if (strcmp(c->inputs[j].topic, s) == 0)
                    return fail(l, v, "inputs[%zu].topic: duplicate topic %s (also inputs[%zu])",
                                idx, s, j);
            }
            if (!(in->topic = dup_str(c, s)))
                return nomem(l);
        } else if (w == 1) {
            if (!s || !vg_format_from_str(s, &in->format))
                return fail(l, v, "inputs[%zu].format: must be auto, json, syslog or raw", idx);
        } else if (!vg_ynode_is_null(v)) { /* logsource, time_field: null = none */
            if (!s || !s[0])
                return fail(l, v, "inputs[%zu].%s: must be a non-empty string", idx, name);
            const char **dst = w == 2 ? &in->logsource : &in->time_field;
            if (!(*dst = dup_str(c, s)))
                return nomem(l);
        }
    }
    if (!in->topic)
        return fail(l, it, "inputs[%zu].topic: required", idx);
    return 0;
}

static int k_inputs(ld *l, const key *k, const vg_ynode *v)
{
    (void)k;
    if (vg_ynode_is_null(v))
        return fail(l, v, "inputs: required");
    if (v->kind != VG_Y_SEQ)
        return fail(l, v, "inputs: must be a list of {topic, format, logsource, time_field}");
    if (v->n == 0)
        return fail(l, v, "inputs: must list at least one input");
    if (v->n > DCFG_MAX_INPUTS)
        return fail(l, v, "inputs: at most %d inputs", DCFG_MAX_INPUTS);
    for (size_t i = 0; i < v->n; i++) {
        l->c->n_inputs = i;
        if (input_item(l, i, v->items[i]) < 0)
            return -1;
    }
    l->c->n_inputs = v->n;
    return 0;
}

/* Properties vigil sets itself, and why they cannot be given. */
static const struct {
    const char *name, *why;
} owned_props[] = {
        {"group.id", "set by vigil: use kafka.group"},
        {"bootstrap.servers", "set by vigil: use kafka.brokers"},
        {"metadata.broker.list", "set by vigil: use kafka.brokers"},
        {"enable.auto.commit", "set by vigil, which commits consumer offsets itself"},
        {"auto.commit.enable", "set by vigil, which commits consumer offsets itself"},
        {"enable.auto.offset.store", "set by vigil, which stores consumer offsets itself"},
        {"enable.idempotence", "set by vigil for its producer"},
        {"acks", "set by vigil: alerts are acknowledged by every in-sync replica"},
        {"request.required.acks", "set by vigil: alerts are acknowledged by every in-sync replica"},
        {"message.timeout.ms", "set by vigil: alerts are never given up on by time"},
        {"delivery.timeout.ms", "set by vigil: alerts are never given up on by time"},
};

static int k_props(ld *l, const key *k, const vg_ynode *v)
{
    dcfg *c = l->c;
    if (vg_ynode_is_null(v))
        return 0;
    if (v->kind != VG_Y_MAP)
        return fail(l, v, "%s: must be a mapping of librdkafka property names to values", k->path);
    if (v->n > DCFG_MAX_PROPS)
        return fail(l, v, "%s: at most %d properties", k->path, DCFG_MAX_PROPS);
    c->n_props = 0;
    for (size_t i = 0; i < v->n; i++) {
        const vg_ynode *kn = v->items[2 * i], *val = v->items[2 * i + 1];
        const char *name = kn->str;
        if (!name[0])
            return fail(l, kn, "%s: a property name must not be empty", k->path);
        for (size_t j = 0; j < sizeof(owned_props) / sizeof(owned_props[0]); j++) {
            if (strcmp(name, owned_props[j].name) == 0)
                return fail(l, kn, "%s.%s: %s", k->path, name, owned_props[j].why);
        }
        for (size_t j = 0; j < i; j++) {
            const vg_ynode *o = v->items[2 * j];
            if (strcmp(o->str, name) == 0)
                return fail(l, kn, "%s.%s: duplicate key (first at %u:%u)", k->path, name, o->line,
                            o->col);
        }
        if (val->kind != VG_Y_SCALAR)
            return fail(l, val, "%s.%s: must be a scalar (string, number or boolean)", k->path,
                        name);
        if (vg_ynode_is_null(val))
            return fail(l, val, "%s.%s: needs a value", k->path, name);
        dcfg_prop *p = &c->props[c->n_props];
        p->name = dup_str(c, name);
        if (!p->name)
            return nomem(l);
        if (dcfg_is_secret(name)) {
            char full[300];
            snprintf(full, sizeof(full), "%s.%s", k->path, name);
            if (secret_value(l, val, full, &p->value) < 0)
                return -1;
        } else {
            p->value = vg_arena_strndup(c->arena, val->str, val->len);
            if (!p->value)
                return nomem(l);
        }
        c->n_props++;
    }
    return 0;
}

/* ---- the API ---- */

int dcfg_defaults(dcfg *c)
{
    memset(c, 0, sizeof(*c));
    c->arena = vg_arena_new(4096, 0);
    if (!c->arena)
        return -1;
    c->threads = 1;
    c->brokers = dup_str(c, "127.0.0.1:9092");
    c->group = dup_str(c, "vigil");
    c->alert_topic = dup_str(c, "vigil-alerts");
    c->alert_format = DCFG_ALERT_JSON;
    c->max_pending_alerts = 100000;
    c->redis_host = dup_str(c, "127.0.0.1");
    c->redis_port = 6379;
    c->redis_prefix = dup_str(c, "vigil:");
    c->redis_timeout_ms = 2000;
    c->checkpoint_ms = 1000;
    c->lease_ms = 10000;
    c->corr_shards = 1;
    c->lateness_ms = 10000;
    c->corr_max_bytes = (uint64_t)1 << 30;
    c->max_record = (size_t)4 << 20;
    c->metrics_listen = dup_str(c, "127.0.0.1:9464");
    c->log_level = dup_str(c, "info");
    if (!c->brokers || !c->group || !c->alert_topic || !c->redis_host || !c->redis_prefix ||
        !c->metrics_listen || !c->log_level) {
        dcfg_free(c);
        return -1;
    }
    return 0;
}

static int load_tree(ld *l, const char *text, size_t len, vg_arena *scratch)
{
    static const vg_ytree_limits lim = {32, 100000, DCFG_MAX_FILE, 10000};
    vg_ydoc *docs = NULL;
    size_t n_docs = 0;
    vg_yerr yerr;
    vg_status rc = vg_ytree_parse(scratch, text, len, &lim, &docs, &n_docs, &yerr);
    if (rc == VG_ERR_NOMEM)
        return nomem(l);
    if (rc != VG_OK)
        return fail_at(l, yerr.line ? yerr.line : 1, yerr.line ? yerr.col : 1, "%s", yerr.msg);
    if (n_docs > 1)
        return fail_at(l, docs[1].line, 1, "a configuration file is one YAML document");
    const vg_ynode *root = n_docs ? docs[0].root : NULL;
    if (root && !vg_ynode_is_null(root)) {
        if (root->kind != VG_Y_MAP)
            return fail(l, root, "the configuration must be a YAML mapping (key: value)");
        if (walk_map(l, root, "") < 0)
            return -1;
    }
    if (l->c->n_rules == 0)
        return fail(l, NULL, "rules: required");
    if (l->c->n_inputs == 0)
        return fail(l, NULL, "inputs: required");
    return 0;
}

/* Defaults, then text (the file's bytes, or NULL with read_errno set) as file `path`. */
static int load(dcfg *c,
                const char *path,
                const char *text,
                size_t len,
                int read_errno,
                char *err,
                size_t err_len)
{
    ld l = {c, path, err, err_len};
    if (err && err_len)
        err[0] = '\0';
    if (dcfg_defaults(c) < 0)
        return nomem(&l);
    c->path = dup_str(c, path);
    vg_arena *scratch = read_errno ? NULL : vg_arena_new(0, 0);
    int rc;
    if (read_errno == EFBIG || (!read_errno && len > DCFG_MAX_FILE))
        rc = fail_at(&l, 0, 0, "larger than 1 MiB, the most a configuration file may be");
    else if (read_errno)
        rc = fail_at(&l, 0, 0, "cannot read: %s", strerror(read_errno));
    else if (!scratch || !c->path)
        rc = nomem(&l);
    else
        rc = load_tree(&l, text, len, scratch);
    vg_arena_free(scratch);
    if (rc == 0 && c->threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = cpus < 1 ? 1 : cpus > DCFG_MAX_THREADS ? DCFG_MAX_THREADS : (unsigned)cpus;
    }
    if (rc < 0)
        dcfg_free(c);
    return rc;
}

int dcfg_load(dcfg *c, const char *path, char *err, size_t err_len)
{
    char *text = NULL;
    size_t len = 0;
    /* fs_read_file refuses a file of exactly max bytes: one more lets 1 MiB itself in */
    int e = fs_read_file(path, DCFG_MAX_FILE + 1, &text, &len);
    int rc = load(c, path, text, len, e, err, err_len);
    vg_free(text);
    return rc;
}

int dcfg_load_text(
        dcfg *c, const char *name, const char *text, size_t len, char *err, size_t err_len)
{
    return load(c, name, text, len, 0, err, err_len);
}

void dcfg_free(dcfg *c)
{
    if (!c)
        return;
    vg_arena_free(c->arena);
    memset(c, 0, sizeof(*c));
}

bool dcfg_is_secret(const char *name)
{
    static const char *const words[] = {"password", "secret", "sasl.jaas", "ssl.key"};
    if (!name)
        return false;
    size_t n = strlen(name);
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++) {
            if (strncasecmp(name + i, words[w], wl) == 0)
                return true;
        }
    }
    return false;
}
