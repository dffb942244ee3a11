/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rstore.c: checkpoints in Redis over hiredis (see rstore.h and docs/state.md).
 *
 * Keys of checkpoint NAME under prefix P:
 *   P NAME                  the header, a string (format below)
 *   P NAME ":" GEN ":" I    chunk I (0-based) of generation GEN: raw bytes, 1..chunk_bytes
 *                           long; an empty blob has no chunks
 *
 * Header, version 1 (ASCII, one line, fields in this order, decimal unless said):
 *   "vigil-checkpoint 1 gen=GEN chunks=N len=LEN fnv1a64=HHHHHHHHHHHHHHHH"
 * GEN counts saves of this name (>= 1), N the chunks, LEN the blob's bytes, and the last
 * field is the 64-bit FNV-1a of the whole blob as 16 lower-case hex digits. A reader
 * refuses another version number. A header is at most RSTORE_HDR_MAX bytes; one that does
 * not parse, or claims more than RSTORE_MAX_BLOB bytes or RSTORE_MAX_CHUNKS chunks, or a
 * chunk count that cannot hold its length, makes the checkpoint corrupt.
 *
 * Save: WATCH P NAME; GET P NAME (the previous generation and its chunk count); then one
 * pipelined MULTI: DEL of the previous chunks, SET of every new chunk, SET of the header,
 * EXEC. Every command is sent before any reply is read (the output is written out every
 * RSTORE_FLUSH_BYTES so that hiredis does not hold a second copy of a large blob); then
 * every reply is read and checked, so the connection stays in step even after an error
 * reply. An error reply while queueing (OOM, READONLY, ...) makes Redis answer EXEC with
 * EXECABORT and nothing is applied. A previous header that does not parse leaves its chunks
 * unknown: they are found by SCAN and deleted in the same transaction.
 *
 * Parts live in one hash, P NAME ":parts" (field: the part number in decimal; value: the
 * part's bytes); a save's HSET/HDEL (or DEL of the hash, when it writes every part) are in
 * its transaction. A save of some parts only is refused unless the header read under WATCH
 * has the generation this store last wrote or read (s->known_gen), so the hash is known to
 * be this store's.
 *
 * Ownership: P NAME ":owner" holds the owner's name with an expiry (PX). rstore_lease takes
 * it when free or renews it (one Lua script: GET, then SET .. PX when free or ours); every
 * later save WATCHes it, GETs it (another name: RSTORE_FENCED) and SETs it again with its
 * expiry inside the transaction, so a save can only be applied while the owner key names
 * this store: whoever takes the key over in between makes EXEC fail.
 *
 * Load: GET P NAME, then MULTI, GET P NAME, GET of every chunk, [HGETALL of the parts,]
 * EXEC: the chunks come from one consistent view, and belong to the header read first only
 * if the header inside the transaction is the same bytes (otherwise a save came in
 * between: read again, a few times).
 *
 * An I/O error or a reply of the wrong type or shape drops the connection: after either,
 * hiredis' reader may be out of step with the server.
 */
#include "rstore.h"
#include "base/hash.h"
#include "vigil/base.h"
#include "vigil/bin.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RSTORE_HDR_MAX     160
#define RSTORE_HDR_MAGIC   "vigil-checkpoint "
#define RSTORE_HDR_VERSION 1
#define RSTORE_KEY_MAX     400
#define RSTORE_PREFIX_MAX  256
#define RSTORE_FLUSH_BYTES (1u << 20)
#define RSTORE_DEL_BATCH   512
#define RSTORE_LOAD_TRIES  3
#define RSTORE_SCAN_ROUNDS (1u << 20)                  /* SCAN calls, 1000 keys asked each */
#define RSTORE_SCAN_MAX    (RSTORE_MAX_CHUNKS + 1024u) /* keys rstore_del/save may collect */

struct rstore {
    char *host, *sock, *user, *pass, *prefix;
    unsigned port, db;
    int64_t timeout_ms;
    size_t chunk;
    redisContext *c;
    bool ever_connected;
    rstore_stats st;
    char *owner;        /* after rstore_lease: the owner name saves check and renew */
    int64_t ttl_ms;     /* and the lease's length */
    uint64_t known_gen; /* generation last saved or loaded (0: none) ... */
    char known_name[RSTORE_MAX_NAME + 1]; /* ... of this checkpoint */
};

typedef struct hdr {
    uint64_t gen, n, len, sum;
} hdr;

/* Keys gathered by SCAN: records of a uint32_t length then the bytes, in one buffer. */
typedef struct keylist {
    vg_buf b;
    size_t n;
} keylist;

static void errf(char *err, size_t errlen, const char *fmt, ...) VG_PRINTF(3, 4);
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *dup_opt(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = vg_strndup(s, strlen(s));
    if (!d)
        *oom = true;
    return d;
}

rstore *rstore_new(const rstore_opts *o)
{
    const char *prefix = o->prefix ? o->prefix : "vigil:";
    if (strlen(prefix) > RSTORE_PREFIX_MAX)
        return NULL;
    rstore *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    bool oom = false;
    s->host = dup_opt(o->host && o->host[0] ? o->host : "127.0.0.1", &oom);
    s->sock = o->unix_socket && o->unix_socket[0] ? dup_opt(o->unix_socket, &oom) : NULL;
    s->user = o->username && o->username[0] ? dup_opt(o->username, &oom) : NULL;
    s->pass = o->password && o->password[0] ? dup_opt(o->password, &oom) : NULL;
    s->prefix = dup_opt(prefix, &oom);
    if (oom) {
        rstore_free(s);
        return NULL;
    }
    s->port = o->port ? o->port : 6379;
    s->db = o->db;
    s->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : RSTORE_DEFAULT_TIMEOUT_MS;
    s->chunk = o->chunk_bytes == 0 || o->chunk_bytes > RSTORE_MAX_CHUNK ? RSTORE_MAX_CHUNK
                                                                        : o->chunk_bytes;
    return s;
}

static void drop(rstore *s)
{
    if (s->c)
        redisFree(s->c);
    s->c = NULL;
}

void rstore_free(rstore *s)
{
    if (s)
        vg_free(s->owner);
    if (!s)
        return;
    drop(s);
    vg_free(s->host);
    vg_free(s->sock);
    vg_free(s->user);
    if (s->pass) {
        memset(s->pass, 0, strlen(s->pass));
        vg_free(s->pass);
    }
    vg_free(s->prefix);
    vg_free(s);
}

bool rstore_up(const rstore *s)
{
    return s->c != NULL;
}

void rstore_stats_get(const rstore *s, rstore_stats *out)
{
    *out = s->st;
}

/* ---- replies ---- */

/* The connection failed under `what`: message, then the store is down. */
static int io_fail(rstore *s, const char *what, char *err, size_t errlen)
{
    const char *why = s->c && s->c->errstr[0] ? s->c->errstr : "connection lost";
    if (strstr(why, "temporarily unavailable") || strstr(why, "timed out"))
        errf(err, errlen, "redis: %s: no answer within %" PRId64 " ms", what, s->timeout_ms);
    else
        errf(err, errlen, "redis: %s: %s", what, why);
    drop(s);
    return -1;
}

/* A reply of the wrong type or shape: the reader may be out of step, so drop. */
static int shape_fail(rstore *s, const char *what, char *err, size_t errlen)
{
    errf(err, errlen, "redis: %s: unexpected reply from the server", what);
    drop(s);
    return -1;
}

static redisReply *get_reply(rstore *s)
{
    void *r = NULL;
    if (redisGetReply(s->c, &r) != REDIS_OK)
        return NULL;
    return r;
}

/* Send one command and read its reply (NULL: connection failed and dropped, err set). */
static redisReply *cmd(rstore *s,
                       const char *what,
                       int argc,
                       const char **argv,
                       const size_t *lens,
                       char *err,
                       size_t errlen)
{
    if (redisAppendCommandArgv(s->c, argc, argv, lens) != REDIS_OK) {
        io_fail(s, what, err, errlen);
        return NULL;
    }
    redisReply *r = get_reply(s);
    if (!r)
        io_fail(s, what, err, errlen);
    return r;
}

static bool is_status(const redisReply *r, const char *want)
{
    return r->type == REDIS_REPLY_STATUS && r->len == strlen(want) &&
           memcmp(r->str, want, r->len) == 0;
}

/* The server's error text, bounded, with the password withheld should it appear in it. */
static void server_msg(const rstore *s, const redisReply *r, char *out, size_t outlen)
{
    size_t n = r->len < 300 ? r->len : 300;
    snprintf(out, outlen, "%.*s", (int)n, r->str ? r->str : "");
    if (s->pass && strstr(out, s->pass))
        snprintf(out, outlen, "(server message withheld: it contained the password)");
}

/* ---- connection ---- */

/* A reply that is not the one wanted: an error reply fails with the server's message (the
 * connection stays in step); anything else is a reply of the wrong shape (dropped). */
static int bad_reply(rstore *s, const redisReply *r, const char *what, char *err, size_t errlen)
{
    if (r->type != REDIS_REPLY_ERROR)
        return shape_fail(s, what, err, errlen);
    char msg[320];
    server_msg(s, r, msg, sizeof(msg));
    errf(err, errlen, "redis: %s: %s", what, msg);
    return -1;
}

static int endpoint(const rstore *s, char *out, size_t outlen)
{
    if (s->sock)
        return snprintf(out, outlen, "unix:%s", s->sock);
    return snprintf(out, outlen, "%s:%u", s->host, s->port);
}

int rstore_connect(rstore *s, char *err, size_t errlen)
{
    drop(s);
    char ep[300], what[400], msg[320];
    endpoint(s, ep, sizeof(ep));
    struct timeval tv = {(time_t)(s->timeout_ms / 1000),
                         (suseconds_t)(s->timeout_ms % 1000) * 1000};
    s->c = s->sock ? redisConnectUnixWithTimeout(s->sock, tv)
                   : redisConnectWithTimeout(s->host, (int)s->port, tv);
    if (!s->c) {
        errf(err, errlen, "redis: %s: cannot connect: out of memory", ep);
        return -1;
    }
    snprintf(what, sizeof(what), "%s: connect", ep);
    if (s->c->err)
        return io_fail(s, what, err, errlen);
    if (redisSetTimeout(s->c, tv) != REDIS_OK)
        return io_fail(s, what, err, errlen);
    if (s->pass) {
        const char *argv[3] = {"AUTH", s->user ? s->user : s->pass, s->pass};
        size_t lens[3] = {4, strlen(argv[1]), strlen(s->pass)};
        int argc = s->user ? 3 : 2;
        snprintf(what, sizeof(what), "%s: AUTH", ep);
        redisReply *r = cmd(s, what, argc, argv, lens, err, errlen);
        if (!r)
            return -1;
        if (!is_status(r, "OK")) {
            if (r->type == REDIS_REPLY_ERROR) {
                server_msg(s, r, msg, sizeof(msg));
                errf(err, errlen, "redis: %s: authentication%s%s failed: %s", ep,
                     s->user ? " as " : "", s->user ? s->user : "", msg);
            } else {
                errf(err, errlen, "redis: %s: AUTH: unexpected reply from the server", ep);
            }
            freeReplyObject(r);
            drop(s);
            return -1;
        }
        freeReplyObject(r);
    }
    if (s->db) {
        char db[16];
        snprintf(db, sizeof(db), "%u", s->db);
        const char *argv[2] = {"SELECT", db};
        size_t lens[2] = {6, strlen(db)};
        snprintf(what, sizeof(what), "%s: SELECT %s", ep, db);
        redisReply *r = cmd(s, what, 2, argv, lens, err, errlen);
        if (!r)
            return -1;
        if (!is_status(r, "OK")) {
            if (r->type == REDIS_REPLY_ERROR)
                server_msg(s, r, msg, sizeof(msg));
            else
                snprintf(msg, sizeof(msg), "unexpected reply from the server");
            errf(err, errlen, "redis: %s: SELECT %s failed: %s", ep, db, msg);
            freeReplyObject(r);
            drop(s);
            return -1;
        }
        freeReplyObject(r);
    }
    /* PING: a server that wants a password we were not given says so now. */
    const char *argv[1] = {"PING"};
    size_t lens[1] = {4};
    snprintf(what, sizeof(what), "%s: PING", ep);
    redisReply *r = cmd(s, what, 1, argv, lens, err, errlen);
    if (!r)
        return -1;
    if (!is_status(r, "PONG")) {
        if (r->type == REDIS_REPLY_ERROR)
            server_msg(s, r, msg, sizeof(msg));
        else
            snprintf(msg, sizeof(msg), "unexpected reply from the server");
        errf(err, errlen, "redis: %s: PING failed: %s", ep, msg);
        freeReplyObject(r);
        drop(s);
        return -1;
    }
    freeReplyObject(r);
    if (s->ever_connected)
        s->st.reconnects++;
    s->ever_connected = true;
    return 0;
}

static int ensure(rstore *s, char *err, size_t errlen)
{
    return s->c ? 0 : rstore_connect(s, err, errlen);
}

/* ---- keys and header ---- */

static bool name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > RSTORE_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

static size_t hdr_key(const rstore *s, const char *name, char *out)
{
    return (size_t)snprintf(out, RSTORE_KEY_MAX, "%s%s", s->prefix, name);
}

static size_t chunk_key(const rstore *s, const char *name, uint64_t gen, uint64_t i, char *out)
{
    return (size_t)snprintf(out, RSTORE_KEY_MAX, "%s%s:%" PRIu64 ":%" PRIu64, s->prefix, name, gen,
                            i);
}

static size_t parts_key(const rstore *s, const char *name, char *out)
{
    return (size_t)snprintf(out, RSTORE_KEY_MAX, "%s%s:parts", s->prefix, name);
}

static size_t owner_key(const rstore *s, const char *name, char *out)
{
    return (size_t)snprintf(out, RSTORE_KEY_MAX, "%s%s:owner", s->prefix, name);
}

/* k is P NAME ":" digits ":" digits (a chunk, not the parts or the owner key). */
static bool is_chunk_key(const rstore *s, const char *name, const char *k, size_t klen)
{
    size_t pl = strlen(s->prefix), nl = strlen(name);
    if (klen < pl + nl + 4 || memcmp(k, s->prefix, pl) != 0 || memcmp(k + pl, name, nl) != 0 ||
        k[pl + nl] != ':')
        return false;
    int colons = 0;
    bool digit = false;
    for (size_t i = pl + nl + 1; i < klen; i++) {
        if (k[i] >= '0' && k[i] <= '9') {
            digit = true;
        } else if (k[i] == ':' && digit && colons == 0) {
            colons++;
            digit = false;
        } else {
            return false;
        }
    }
    return colons == 1 && digit;
}

static size_t hdr_format(const hdr *h, char *out)
{
    return (size_t)snprintf(out, RSTORE_HDR_MAX,
                            RSTORE_HDR_MAGIC "%d gen=%" PRIu64 " chunks=%" PRIu64 " len=%" PRIu64
                                             " fnv1a64=%016" PRIx64,
                            RSTORE_HDR_VERSION, h->gen, h->n, h->len, h->sum);
}

/* At *p: `key` then a number (decimal digits, or exactly 16 lower-case hex digits). */
static bool take_u64(const char **p, const char *key, bool hex16, uint64_t *v)
{
    size_t kl = strlen(key);
    if (strncmp(*p, key, kl) != 0)
        return false;
    const char *d = *p + kl;
    size_t nd = 0;
    while ((d[nd] >= '0' && d[nd] <= '9') || (hex16 && d[nd] >= 'a' && d[nd] <= 'f'))
        nd++;
    if (nd == 0 || (hex16 ? nd != 16 : nd > 20))
        return false;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(d, &end, hex16 ? 16 : 10);
    if (errno || end != d + nd)
        return false;
    *v = x;
    *p = end;
    return true;
}

/* Parse and check a header. false with the reason in why. */
static bool hdr_parse(const char *str, size_t len, hdr *h, char *why, size_t whylen)
{
    char t[RSTORE_HDR_MAX + 1];
    if (len >= RSTORE_HDR_MAX || memchr(str, '\0', len)) {
        errf(why, whylen, "header is not a version-1 header");
        return false;
    }
    memcpy(t, str, len);
    t[len] = '\0';
    const char *p = t;
    uint64_t version;
    if (!take_u64(&p, RSTORE_HDR_MAGIC, false, &version)) {
        errf(why, whylen, "header is not a checkpoint header");
        return false;
    }
    if (version != RSTORE_HDR_VERSION) {
        errf(why, whylen, "header version %" PRIu64 " is not supported (only %d)", version,
             RSTORE_HDR_VERSION);
        return false;
    }
    if (!take_u64(&p, " gen=", false, &h->gen) || !take_u64(&p, " chunks=", false, &h->n) ||
        !take_u64(&p, " len=", false, &h->len) || !take_u64(&p, " fnv1a64=", true, &h->sum) ||
        *p != '\0') {
        errf(why, whylen, "header does not parse");
        return false;
    }
    if (h->gen == 0 || h->len > RSTORE_MAX_BLOB || h->n > RSTORE_MAX_CHUNKS ||
        (h->len == 0) != (h->n == 0) || h->n > h->len || h->len > h->n * RSTORE_MAX_CHUNK) {
        errf(why, whylen,
             "header claims %" PRIu64 " bytes in %" PRIu64 " chunks (generation %" PRIu64 ")",
             h->len, h->n, h->gen);
        return false;
    }
    return true;
}

/* ---- pipelined transactions ---- */

typedef struct txn {
    rstore *s;
    const char *what;
    size_t queued;  /* commands between MULTI and EXEC */
    size_t pending; /* bytes appended since the last write-out */
    char *err;
    size_t errlen;
} txn;

static int txn_flush(txn *t)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(t->s->c, &done) != REDIS_OK)
            return io_fail(t->s, t->what, t->err, t->errlen);
    t->pending = 0;
    return 0;
}

static int txn_append(txn *t, int argc, const char **argv, const size_t *lens)
{
    if (redisAppendCommandArgv(t->s->c, argc, argv, lens) != REDIS_OK)
        return io_fail(t->s, t->what, t->err, t->errlen);
    for (int i = 0; i < argc; i++)
        t->pending += lens[i] + 16;
    return t->pending >= RSTORE_FLUSH_BYTES ? txn_flush(t) : 0;
}

static int txn_begin(txn *t)
{
    const char *argv[1] = {"MULTI"};
    size_t lens[1] = {5};
    return txn_append(t, 1, argv, lens);
}

static int txn_cmd(txn *t, int argc, const char **argv, const size_t *lens)
{
    t->queued++;
    return txn_append(t, argc, argv, lens);
}

/* Send EXEC, then read MULTI's reply, every QUEUED and EXEC's. 0 with EXEC's array (exactly
 * `queued` elements) in *out; 1 when EXEC answered nil (a WATCHed key changed); -1 with err
 * (the first error reply, or a connection failure). */
static int txn_exec(txn *t, redisReply **out)
{
    rstore *s = t->s;
    const char *argv[1] = {"EXEC"};
    size_t lens[1] = {4};
    *out = NULL;
    if (txn_append(t, 1, argv, lens) != 0 || txn_flush(t) != 0)
        return -1;
    char first[320] = "";
    bool shape = false;
    for (size_t i = 0; i < t->queued + 2; i++) {
        redisReply *r = get_reply(s);
        if (!r)
            return io_fail(s, t->what, t->err, t->errlen);
        bool last = i == t->queued + 1;
        if (r->type == REDIS_REPLY_ERROR) {
            if (!first[0])
                server_msg(s, r, first, sizeof(first));
        } else if (!last) {
            shape |= !is_status(r, i == 0 ? "OK" : "QUEUED");
        } else if (r->type == REDIS_REPLY_NIL && !first[0] && !shape) {
            freeReplyObject(r);
            return 1;
        } else if (r->type != REDIS_REPLY_ARRAY || r->elements != t->queued) {
            shape = true;
        } else if (!first[0] && !shape) {
            *out = r;
            return 0;
        }
        freeReplyObject(r);
    }
    if (shape)
        return shape_fail(s, t->what, t->err, t->errlen);
    errf(t->err, t->errlen, "redis: %s: %s", t->what, first);
    return -1;
}

/* ---- SCAN ---- */

static void glob_escape(vg_buf *b, const char *s)
{
    for (; *s; s++) {
        if (strchr("*?[]\\", *s))
            vg_buf_putc(b, '\\');
        vg_buf_putc(b, *s);
    }
}

/* Every key of the chunks of `name`, whatever their generation. */
static int
scan_chunks(rstore *s, const char *name, keylist *out, const char *what, char *err, size_t errlen)
{
    vg_buf pat;
    vg_buf_init(&pat, 4 * RSTORE_KEY_MAX);
    glob_escape(&pat, s->prefix);
    glob_escape(&pat, name);
    vg_buf_puts(&pat, ":*");
    char cursor[32] = "0";
    int rc = 0;
    if (vg_buf_status(&pat) != VG_OK) {
        errf(err, errlen, "redis: %s: out of memory", what);
        rc = -1;
    }
    for (unsigned long round = 0;; round++) {
        if (rc != 0)
            break;
        if (round >= RSTORE_SCAN_ROUNDS) {
            errf(err, errlen, "redis: %s: SCAN did not finish in %u rounds", what,
                 RSTORE_SCAN_ROUNDS);
            rc = -1;
            break;
        }
        const char *argv[6] = {"SCAN", cursor, "MATCH", pat.p, "COUNT", "1000"};
        size_t lens[6] = {4, strlen(cursor), 5, pat.len, 5, 4};
        redisReply *r = cmd(s, what, 6, argv, lens, err, errlen);
        if (!r) {
            rc = -1;
            break;
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len == 0 ||
            r->element[0]->len >= sizeof(cursor) || r->element[1]->type != REDIS_REPLY_ARRAY) {
            rc = bad_reply(s, r, what, err, errlen);
            freeReplyObject(r);
            break;
        }
        memcpy(cursor, r->element[0]->str, r->element[0]->len);
        cursor[r->element[0]->len] = '\0';
        const redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements && rc == 0; i++) {
            const redisReply *k = keys->element[i];
            if (k->type != REDIS_REPLY_STRING || k->len > RSTORE_KEY_MAX) {
                rc = shape_fail(s, what, err, errlen);
            } else if (!is_chunk_key(s, name, k->str, k->len)) {
                continue; /* the parts or the owner key */
            } else if (out->n >= RSTORE_SCAN_MAX) {
                errf(err, errlen, "redis: %s: more than %u keys match", what, RSTORE_SCAN_MAX);
                rc = -1;
            } else {
                uint32_t kl = (uint32_t)k->len;
                vg_buf_append(&out->b, &kl, sizeof(kl));
                vg_buf_append(&out->b, k->str, k->len);
                out->n++;
            }
        }
        freeReplyObject(r);
        if (rc == 0 && vg_buf_status(&out->b) != VG_OK) {
            errf(err, errlen, "redis: %s: out of memory", what);
            rc = -1;
        }
        if (strcmp(cursor, "0") == 0)
            break;
    }
    vg_buf_fini(&pat);
    return rc;
}

/* Queue DELs of every key in the list, RSTORE_DEL_BATCH keys at a time. */
static int txn_del_list(txn *t, const keylist *l)
{
    const char *argv[RSTORE_DEL_BATCH + 1];
    size_t lens[RSTORE_DEL_BATCH + 1];
    size_t off = 0;
    for (size_t i = 0; i < l->n;) {
        int argc = 1;
        argv[0] = "DEL";
        lens[0] = 3;
        for (; i < l->n && argc <= RSTORE_DEL_BATCH; i++, argc++) {
            uint32_t kl;
            memcpy(&kl, l->b.p + off, sizeof(kl));
            argv[argc] = l->b.p + off + sizeof(kl);
            lens[argc] = kl;
            off += sizeof(kl) + kl;
        }
        if (txn_cmd(t, argc, argv, lens) != 0)
            return -1;
    }
    return 0;
}

/* Queue DELs of the chunks 0..n-1 of generation gen. */
static int txn_del_gen(txn *t, const char *name, uint64_t gen, uint64_t n)
{
    static const size_t batch = 64;
    char keys[64][RSTORE_KEY_MAX];
    const char *argv[65];
    size_t lens[65];
    for (uint64_t i = 0; i < n;) {
        int argc = 1;
        argv[0] = "DEL";
        lens[0] = 3;
        for (; i < n && (size_t)argc <= batch; i++, argc++) {
            lens[argc] = chunk_key(t->s, name, gen, i, keys[argc - 1]);
            argv[argc] = keys[argc - 1];
        }
        if (txn_cmd(t, argc, argv, lens) != 0)
            return -1;
    }
    return 0;
}

/* ---- save ---- */

/* The previous header, read under WATCH: 0 none, 1 parsed into *h, 2 present but unusable;
 * -1 on error. */
static int watch_prev(
        rstore *s, const char *key, size_t klen, hdr *h, const char *what, char *err, size_t errlen)
{
    const char *wargv[2] = {"WATCH", key};
    size_t wlens[2] = {5, klen};
    redisReply *r = cmd(s, what, 2, wargv, wlens, err, errlen);
    if (!r)
        return -1;
    if (!is_status(r, "OK")) {
        int rc = bad_reply(s, r, what, err, errlen);
        freeReplyObject(r);
        return rc;
    }
    freeReplyObject(r);
    const char *gargv[2] = {"GET", key};
    size_t glens[2] = {3, klen};
    r = cmd(s, what, 2, gargv, glens, err, errlen);
    if (!r)
        return -1;
    int rc;
    char why[200];
    if (r->type == REDIS_REPLY_NIL) {
        rc = 0;
    } else if (r->type == REDIS_REPLY_STRING) {
        rc = hdr_parse(r->str, r->len, h, why, sizeof(why)) ? 1 : 2;
    } else {
        rc = bad_reply(s, r, what, err, errlen);
    }
    freeReplyObject(r);
    return rc;
}

static void unwatch(rstore *s)
{
    if (!s->c)
        return;
    const char *argv[1] = {"UNWATCH"};
    size_t lens[1] = {7};
    char ignored[8];
    redisReply *r = cmd(s, "UNWATCH", 1, argv, lens, ignored, sizeof(ignored));
    if (r)
        freeReplyObject(r);
}

/* Check EXEC's replies to a save: DEL -> integer, SET -> OK. */
static int save_results(rstore *s, const redisReply *ex, const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; i < ex->elements; i++) {
        const redisReply *e = ex->element[i];
        if (e->type == REDIS_REPLY_INTEGER || is_status(e, "OK"))
            continue;
        if (e->type == REDIS_REPLY_ERROR) {
            char msg[320];
            server_msg(s, e, msg, sizeof(msg));
            errf(err, errlen, "redis: %s: %s", what, msg);
            return -1;
        }
        return shape_fail(s, what, err, errlen);
    }
    return 0;
}

/* Parts records: u32 part, u64 length, bytes. Reads record *at; false at the end. */
/* Parts records: u32 part, u64 length, bytes. The next record of r; false at the end or
 * when it does not fit (r->bad then). */
static bool part_next(vg_bin *r, uint32_t *part, const char **p, size_t *n)
{
    if (vg_bin_left(r) == 0)
        return false;
    *part = (uint32_t)vg_bin_get(r, 4);
    uint64_t len = vg_bin_get(r, 8);
    if (!r->bad && len > vg_bin_left(r))
        vg_bin_fail(r, "part of %llu bytes", (unsigned long long)len);
    if (r->bad)
        return false;
    *p = (const char *)r->p + r->at;
    *n = (size_t)len;
    r->at += (size_t)len;
    return true;
}

static int parts_check(const rstore_parts *pp, const char *what, char *err, size_t errlen)
{
    vg_bin r;
    vg_bin_init(&r, pp->recs, pp->len, "parts", NULL, 0);
    size_t n;
    uint32_t part;
    const char *p;
    while (part_next(&r, &part, &p, &n)) {
        if (part >= RSTORE_MAX_PARTS || (uint64_t)n > RSTORE_MAX_PART) {
            errf(err, errlen, "%s: part %u of %zu bytes (at most %u parts of %llu bytes)", what,
                 part, n, RSTORE_MAX_PARTS, (unsigned long long)RSTORE_MAX_PART);
            return -1;
        }
    }
    if (r.bad) {
        errf(err, errlen, "%s: the parts' records are malformed at byte %zu", what, r.at);
        return -1;
    }
    return 0;
}

#define PART_BATCH 128 /* fields per HSET / HDEL */

/* Queue the parts' writes: DEL of the hash (all), then HSETs and HDELs in batches. */
static int txn_parts(txn *t, const char *name, const rstore_parts *pp)
{
    char key[RSTORE_KEY_MAX], field[PART_BATCH][12];
    size_t klen = parts_key(t->s, name, key);
    int rc = 0;
    if (pp->all) {
        const char *argv[2] = {"DEL", key};
        size_t lens[2] = {3, klen};
        rc = txn_cmd(t, 2, argv, lens);
    }
    for (int del = 0; del < 2 && rc == 0; del++) {
        if (del && pp->all)
            break; /* the hash is gone already */
        const char *argv[2 + 2 * PART_BATCH];
        size_t lens[2 + 2 * PART_BATCH];
        int argc = 2, nf = 0;
        vg_bin r;
        vg_bin_init(&r, pp->recs, pp->len, "parts", NULL, 0);
        size_t n;
        uint32_t part;
        const char *p;
        bool more = true;
        while (rc == 0 && more) {
            more = part_next(&r, &part, &p, &n);
            if (more && (n == 0) == (del == 1)) {
                lens[argc] = (size_t)snprintf(field[nf], sizeof(field[nf]), "%u", part);
                argv[argc++] = field[nf++];
                if (!del) {
                    argv[argc] = p;
                    lens[argc++] = n;
                }
            }
            if (nf > 0 && (nf == PART_BATCH || !more)) {
                argv[0] = del ? "HDEL" : "HSET";
                lens[0] = 4;
                argv[1] = key;
                lens[1] = klen;
                rc = txn_cmd(t, argc, argv, lens);
                argc = 2;
                nf = 0;
            }
        }
    }
    return rc;
}

/* Under WATCH, the owner key must name this store's owner (or be free). 0, RSTORE_FENCED or
 * -1 with err. */
static int watch_owner(rstore *s, const char *name, const char *what, char *err, size_t errlen)
{
    char okey[RSTORE_KEY_MAX];
    size_t oklen = owner_key(s, name, okey);
    const char *wargv[2] = {"WATCH", okey};
    size_t wlens[2] = {5, oklen};
    redisReply *r = cmd(s, what, 2, wargv, wlens, err, errlen);
    if (!r)
        return -1;
    bool ok = is_status(r, "OK");
    freeReplyObject(r);
    if (!ok)
        return shape_fail(s, what, err, errlen);
    const char *gargv[2] = {"GET", okey};
    size_t glens[2] = {3, oklen};
    r = cmd(s, what, 2, gargv, glens, err, errlen);
    if (!r)
        return -1;
    int rc = 0;
    if (r->type == REDIS_REPLY_STRING) {
        if (r->len != strlen(s->owner) || memcmp(r->str, s->owner, r->len) != 0) {
            errf(err, errlen, "%s: the checkpoint is owned by %.*s now", what,
                 (int)(r->len < RSTORE_MAX_OWNER ? r->len : RSTORE_MAX_OWNER), r->str);
            rc = RSTORE_FENCED;
        }
    } else if (r->type != REDIS_REPLY_NIL) {
        rc = bad_reply(s, r, what, err, errlen);
    }
    freeReplyObject(r);
    return rc;
}

static int save_txn(rstore *s,
                    const char *name,
                    const void *blob,
                    size_t len,
                    const rstore_parts *parts,
                    char *err,
                    size_t errlen,
                    const char *what)
{
    char hkey[RSTORE_KEY_MAX], ckey[RSTORE_KEY_MAX], htext[RSTORE_HDR_MAX];
    size_t hklen = hdr_key(s, name, hkey);
    if (s->owner) {
        int rc = watch_owner(s, name, what, err, errlen);
        if (rc != 0) {
            unwatch(s);
            return rc;
        }
    }
    hdr prev = {0};
    int have = watch_prev(s, hkey, hklen, &prev, what, err, errlen);
    if (have < 0) {
        unwatch(s);
        return -1;
    }
    if (parts && !parts->all &&
        !(have == 1 && s->known_gen != 0 && prev.gen == s->known_gen &&
          strcmp(s->known_name, name) == 0)) {
        errf(err, errlen,
             "%s: the stored checkpoint is not the one this process wrote last (generation "
             "%llu, expected %llu): every part must be written",
             what, have == 1 ? (unsigned long long)prev.gen : 0ull,
             (unsigned long long)s->known_gen);
        unwatch(s);
        return RSTORE_STALE;
    }
    keylist stale = {.n = 0};
    vg_buf_init(&stale.b, 0);
    if (have == 2 && scan_chunks(s, name, &stale, what, err, errlen) != 0) {
        vg_buf_fini(&stale.b);
        unwatch(s);
        return -1;
    }
    hdr h = {.gen = have == 1 && prev.gen < UINT64_MAX ? prev.gen + 1 : 1,
             .n = (len + s->chunk - 1) / s->chunk,
             .len = len,
             .sum = vg_fnv1a(VG_FNV_OFFSET, blob, len)};
    txn t = {.s = s, .what = what, .err = err, .errlen = errlen};
    int rc = txn_begin(&t);
    if (rc == 0 && have == 1)
        rc = txn_del_gen(&t, name, prev.gen, prev.n);
    if (rc == 0 && have == 2)
        rc = txn_del_list(&t, &stale);
    vg_buf_fini(&stale.b);
    const char *p = blob;
    for (uint64_t i = 0; rc == 0 && i < h.n; i++) {
        size_t off = (size_t)i * s->chunk;
        size_t n = len - off < s->chunk ? len - off : s->chunk;
        const char *argv[3] = {"SET", ckey, p + off};
        size_t lens[3] = {3, chunk_key(s, name, h.gen, i, ckey), n};
        rc = txn_cmd(&t, 3, argv, lens);
    }
    if (rc == 0 && parts)
        rc = txn_parts(&t, name, parts);
    if (rc == 0) {
        const char *argv[3] = {"SET", hkey, htext};
        size_t lens[3] = {3, hklen, hdr_format(&h, htext)};
        rc = txn_cmd(&t, 3, argv, lens);
    }
    if (rc == 0 && s->owner) {
        char okey[RSTORE_KEY_MAX], ttl[24];
        const char *argv[5] = {"SET", okey, s->owner, "PX", ttl};
        size_t lens[5] = {3, owner_key(s, name, okey), strlen(s->owner), 2,
                          (size_t)snprintf(ttl, sizeof(ttl), "%lld", (long long)s->ttl_ms)};
        rc = txn_cmd(&t, 5, argv, lens);
    }
    if (rc != 0)
        return -1; /* connection dropped: Redis discards the unfinished MULTI */
    redisReply *ex;
    int64_t sent = now_us(); /* Redis runs the transaction, and renews the lease, after this */
    rc = txn_exec(&t, &ex);
    if (rc == 1) {
        /* nothing was applied; whether another process owns it now (fenced) or the keys went
         * (Redis lost its data: stale) is for the next attempt's checks to say */
        errf(err, errlen,
             "redis: %s: the checkpoint or its owner key was changed by another client meanwhile",
             what);
        return -1;
    }
    if (rc != 0)
        return -1;
    rc = save_results(s, ex, what, err, errlen);
    freeReplyObject(ex);
    if (rc == 0) {
        s->known_gen = h.gen;
        snprintf(s->known_name, sizeof(s->known_name), "%s", name);
        s->st.renewed_us = sent;
    }
    return rc;
}

int rstore_save(rstore *s,
                const char *name,
                const void *blob,
                size_t len,
                const rstore_parts *parts,
                char *err,
                size_t errlen)
{
    char what[128];
    if (!name_ok(name)) {
        errf(err, errlen, "checkpoint name must be 1 to %d characters of A-Z a-z 0-9 _ . -",
             RSTORE_MAX_NAME);
        s->st.save_errors++;
        return -1;
    }
    snprintf(what, sizeof(what), "save '%s'", name);
    if ((uint64_t)len > RSTORE_MAX_BLOB ||
        ((uint64_t)len + s->chunk - 1) / s->chunk > RSTORE_MAX_CHUNKS) {
        errf(err, errlen, "%s: %zu bytes is over the limit (%llu bytes, %u chunks)", what, len,
             (unsigned long long)RSTORE_MAX_BLOB, RSTORE_MAX_CHUNKS);
        s->st.save_errors++;
        return -1;
    }
    if (parts && parts_check(parts, what, err, errlen) != 0) {
        s->st.save_errors++;
        return -1;
    }
    int64_t t0 = now_us();
    int rc = ensure(s, err, errlen);
    if (rc == 0)
        rc = save_txn(s, name, blob, len, parts, err, errlen, what);
    if (rc != 0) {
        s->st.save_errors++;
        return rc;
    }
    s->st.saves++;
    s->st.bytes_written += len + (parts ? parts->len : 0);
    s->st.last_save_us = now_us() - t0;
    return 0;
}

/* ---- ownership ---- */

static const char lease_lua[] = "local v = redis.call('GET', KEYS[1]) "
                                "if v == false or v == ARGV[1] then "
                                "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
                                "return v";

int rstore_lease(rstore *s,
                 const char *name,
                 const char *owner,
                 int64_t ttl_ms,
                 char *holder,
                 size_t holder_len,
                 char *err,
                 size_t errlen)
{
    size_t olen = owner ? strlen(owner) : 0;
    if (!name_ok(name) || olen == 0 || olen > RSTORE_MAX_OWNER || ttl_ms < 1) {
        errf(err, errlen, "lease: bad checkpoint name, owner name or expiry");
        return -1;
    }
    char what[128], okey[RSTORE_KEY_MAX], ttl[24];
    snprintf(what, sizeof(what), "lease '%s'", name);
    if (ensure(s, err, errlen) != 0)
        return -1;
    const char *argv[6] = {"EVAL", lease_lua, "1", okey, owner, ttl};
    size_t lens[6] = {4,    sizeof(lease_lua) - 1,
                      1,    owner_key(s, name, okey),
                      olen, (size_t)snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms)};
    redisReply *r = cmd(s, what, 6, argv, lens, err, errlen);
    if (!r)
        return -1;
    int rc;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
        rc = 1;
        if (!s->owner || strcmp(s->owner, owner) != 0) {
            char *o = vg_strndup(owner, olen);
            if (!o) {
                errf(err, errlen, "%s: out of memory", what);
                rc = -1;
            } else {
                vg_free(s->owner);
                s->owner = o;
            }
        }
        s->ttl_ms = ttl_ms;
    } else if (r->type == REDIS_REPLY_STRING) {
        rc = 0;
        if (holder && holder_len)
            snprintf(holder, holder_len, "%.*s",
                     (int)(r->len < RSTORE_MAX_OWNER ? r->len : RSTORE_MAX_OWNER), r->str);
    } else {
        rc = bad_reply(s, r, what, err, errlen);
    }
    freeReplyObject(r);
    return rc;
}

static const char release_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                  "return redis.call('DEL', KEYS[1]) end return 0";

int rstore_release(rstore *s, const char *name, char *err, size_t errlen)
{
    if (!s->owner)
        return 0;
    if (!name_ok(name)) {
        errf(err, errlen, "release: bad checkpoint name");
        return -1;
    }
    char what[128], okey[RSTORE_KEY_MAX];
    snprintf(what, sizeof(what), "release '%s'", name);
    if (ensure(s, err, errlen) != 0)
        return -1;
    const char *argv[5] = {"EVAL", release_lua, "1", okey, s->owner};
    size_t lens[5] = {4, sizeof(release_lua) - 1, 1, owner_key(s, name, okey), strlen(s->owner)};
    redisReply *r = cmd(s, what, 5, argv, lens, err, errlen);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? 0 : bad_reply(s, r, what, err, errlen);
    freeReplyObject(r);
    if (rc == 0) {
        vg_free(s->owner);
        s->owner = NULL;
    }
    return rc;
}

/* ---- load ---- */

static int corrupt(const char *name, const char *why, char *err, size_t errlen)
{
    errf(err, errlen, "checkpoint '%s' is corrupt: %s", name, why);
    return -1;
}

/* The chunks in EXEC's reply (after the header, element 0) into out, checked against h. */
static int load_chunks(rstore *s,
                       const char *name,
                       const hdr *h,
                       const redisReply *ex,
                       vg_buf *out,
                       const char *what,
                       char *err,
                       size_t errlen)
{
    char why[400];
    uint64_t got = 0, sum = VG_FNV_OFFSET;
    for (size_t i = 1; i <= h->n; i++) {
        const redisReply *e = ex->element[i];
        if (e->type == REDIS_REPLY_NIL) {
            snprintf(why, sizeof(why), "chunk %zu of %" PRIu64 " is missing", i - 1, h->n);
            return corrupt(name, why, err, errlen);
        }
        if (e->type == REDIS_REPLY_ERROR) {
            char msg[320];
            server_msg(s, e, msg, sizeof(msg));
            snprintf(why, sizeof(why), "chunk %zu: %s", i - 1, msg);
            return corrupt(name, why, err, errlen);
        }
        if (e->type != REDIS_REPLY_STRING)
            return shape_fail(s, what, err, errlen);
        if (e->len == 0 || e->len > RSTORE_MAX_CHUNK || e->len > h->len - got) {
            snprintf(why, sizeof(why),
                     "chunk %zu has %zu bytes (%" PRIu64 " of %" PRIu64 " already read)", i - 1,
                     e->len, got, h->len);
            return corrupt(name, why, err, errlen);
        }
        got += e->len;
        sum = vg_fnv1a(sum, e->str, e->len);
        vg_buf_append(out, e->str, e->len);
    }
    if (got != h->len) {
        snprintf(why, sizeof(why), "%" PRIu64 " bytes in its chunks, header says %" PRIu64, got,
                 h->len);
        return corrupt(name, why, err, errlen);
    }
    if (sum != h->sum) {
        snprintf(why, sizeof(why),
                 "checksum mismatch (fnv1a64 %016" PRIx64 ", header %016" PRIx64 ")", sum, h->sum);
        return corrupt(name, why, err, errlen);
    }
    if (vg_buf_status(out) != VG_OK) {
        errf(err, errlen, "%s: %" PRIu64 " bytes: %s", what, h->len,
             vg_status_str(vg_buf_status(out)));
        return -1;
    }
    return 1;
}

/* HGETALL's reply (the parts) as records into out. */
static int load_parts(rstore *s,
                      const char *name,
                      const redisReply *r,
                      vg_buf *out,
                      const char *what,
                      char *err,
                      size_t errlen)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return shape_fail(s, what, err, errlen);
    char why[200];
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return shape_fail(s, what, err, errlen);
        uint64_t part = 0;
        bool ok = f->len > 0 && f->len <= 5 && v->len > 0 && (uint64_t)v->len <= RSTORE_MAX_PART;
        for (size_t j = 0; ok && j < f->len; j++) {
            ok = f->str[j] >= '0' && f->str[j] <= '9';
            part = part * 10 + (uint64_t)(f->str[j] - '0');
        }
        if (!ok || part >= RSTORE_MAX_PARTS) {
            snprintf(why, sizeof(why), "part '%.*s' of %zu bytes", (int)(f->len < 16 ? f->len : 16),
                     f->str, v->len);
            return corrupt(name, why, err, errlen);
        }
        vg_bin_u32(out, (uint32_t)part);
        vg_bin_u64(out, (uint64_t)v->len);
        vg_buf_append(out, v->str, v->len);
    }
    if (vg_buf_status(out) != VG_OK) {
        errf(err, errlen, "%s: parts: %s", what, vg_status_str(vg_buf_status(out)));
        return -1;
    }
    return 1;
}

/* One attempt: 1/0/-1 as rstore_load, or 2 when the header changed in between (retry). */
static int load_once(rstore *s,
                     const char *name,
                     vg_buf *out,
                     vg_buf *parts,
                     const char *what,
                     char *err,
                     size_t errlen)
{
    char hkey[RSTORE_KEY_MAX], ckey[RSTORE_KEY_MAX], htext[RSTORE_HDR_MAX], why[200];
    size_t hklen = hdr_key(s, name, hkey), htlen = 0;
    const char *gargv[2] = {"GET", hkey};
    size_t glens[2] = {3, hklen};
    redisReply *r = cmd(s, what, 2, gargv, glens, err, errlen);
    if (!r)
        return -1;
    hdr h = {0};
    int rc = 0;
    if (r->type == REDIS_REPLY_NIL) {
        rc = 0;
    } else if (r->type == REDIS_REPLY_ERROR) {
        char msg[320];
        server_msg(s, r, msg, sizeof(msg));
        errf(err, errlen, "redis: %s: %s", what, msg);
        rc = -1;
    } else if (r->type != REDIS_REPLY_STRING) {
        rc = shape_fail(s, what, err, errlen);
    } else if (!hdr_parse(r->str, r->len, &h, why, sizeof(why))) {
        rc = corrupt(name, why, err, errlen);
    } else {
        htlen = r->len;
        memcpy(htext, r->str, htlen);
        rc = 1;
    }
    freeReplyObject(r);
    if (rc != 1)
        return rc;

    txn t = {.s = s, .what = what, .err = err, .errlen = errlen};
    rc = txn_begin(&t);
    if (rc == 0)
        rc = txn_cmd(&t, 2, gargv, glens);
    for (uint64_t i = 0; rc == 0 && i < h.n; i++) {
        const char *argv[2] = {"GET", ckey};
        size_t lens[2] = {3, chunk_key(s, name, h.gen, i, ckey)};
        rc = txn_cmd(&t, 2, argv, lens);
    }
    if (rc == 0 && parts) {
        char pkey[RSTORE_KEY_MAX];
        const char *argv[2] = {"HGETALL", pkey};
        size_t lens[2] = {7, parts_key(s, name, pkey)};
        rc = txn_cmd(&t, 2, argv, lens);
    }
    if (rc != 0)
        return -1;
    redisReply *ex;
    rc = txn_exec(&t, &ex);
    if (rc != 0)
        return rc == 1 ? shape_fail(s, what, err, errlen) : -1; /* nothing was WATCHed */
    const redisReply *h2 = ex->element[0];
    if (h2->type == REDIS_REPLY_STRING && h2->len == htlen && memcmp(h2->str, htext, htlen) == 0) {
        rc = load_chunks(s, name, &h, ex, out, what, err, errlen);
        if (rc == 1 && parts)
            rc = load_parts(s, name, ex->element[ex->elements - 1], parts, what, err, errlen);
        if (rc == 1) {
            s->known_gen = h.gen;
            snprintf(s->known_name, sizeof(s->known_name), "%s", name);
        }
    } else if (h2->type == REDIS_REPLY_STRING || h2->type == REDIS_REPLY_NIL)
        rc = 2;
    else
        rc = shape_fail(s, what, err, errlen);
    freeReplyObject(ex);
    return rc;
}

int rstore_load(rstore *s, const char *name, vg_buf *out, vg_buf *parts, char *err, size_t errlen)
{
    vg_buf_clear(out);
    if (parts)
        vg_buf_clear(parts);
    if (!name_ok(name)) {
        errf(err, errlen, "checkpoint name must be 1 to %d characters of A-Z a-z 0-9 _ . -",
             RSTORE_MAX_NAME);
        return -1;
    }
    char what[128];
    snprintf(what, sizeof(what), "load '%s'", name);
    if (ensure(s, err, errlen) != 0)
        return -1;
    for (int attempt = 0; attempt < RSTORE_LOAD_TRIES; attempt++) {
        int rc = load_once(s, name, out, parts, what, err, errlen);
        if (rc == 0) {
            s->known_gen = 0;
            snprintf(s->known_name, sizeof(s->known_name), "%s", name);
        }
        if (rc != 2) {
            if (rc != 1) {
                vg_buf_clear(out);
                if (parts)
                    vg_buf_clear(parts);
            }
            if (rc >= 0)
                s->st.loads++;
            return rc;
        }
        vg_buf_clear(out);
        if (parts)
            vg_buf_clear(parts);
    }
    errf(err, errlen, "redis: %s: the checkpoint kept changing while it was read (%d tries)", what,
         RSTORE_LOAD_TRIES);
    return -1;
}

/* ---- delete ---- */

int rstore_del(rstore *s, const char *name, char *err, size_t errlen)
{
    if (!name_ok(name)) {
        errf(err, errlen, "checkpoint name must be 1 to %d characters of A-Z a-z 0-9 _ . -",
             RSTORE_MAX_NAME);
        return -1;
    }
    char what[128], hkey[RSTORE_KEY_MAX];
    snprintf(what, sizeof(what), "delete '%s'", name);
    if (ensure(s, err, errlen) != 0)
        return -1;
    keylist keys = {.n = 0};
    vg_buf_init(&keys.b, 0);
    int rc = scan_chunks(s, name, &keys, what, err, errlen);
    txn t = {.s = s, .what = what, .err = err, .errlen = errlen};
    if (rc == 0)
        rc = txn_begin(&t);
    if (rc == 0) {
        const char *argv[2] = {"DEL", hkey};
        size_t lens[2] = {3, hdr_key(s, name, hkey)};
        rc = txn_cmd(&t, 2, argv, lens);
    }
    if (rc == 0)
        rc = txn_del_list(&t, &keys);
    vg_buf_fini(&keys.b);
    if (rc != 0)
        return -1;
    redisReply *ex;
    rc = txn_exec(&t, &ex);
    if (rc != 0)
        return rc == 1 ? shape_fail(s, what, err, errlen) : -1;
    rc = save_results(s, ex, what, err, errlen);
    freeReplyObject(ex);
    return rc;
}
