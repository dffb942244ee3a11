/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rstore.h: the daemon's checkpoints in Redis (hiredis). A checkpoint is an opaque blob
 * (correlation state, input offsets, pending alerts) saved under a name and loaded back
 * after a crash or a Redis restart. docs/state.md describes the keys and their format.
 *
 * Contract:
 *   - rstore_save replaces checkpoint `name` atomically: every chunk, the header and the
 *     removal of the previous generation's chunks are one MULTI/EXEC. On any failure
 *     (error reply such as OOM or READONLY, I/O error, timeout) it returns -1 and the
 *     previous checkpoint is left as it was; a reader sees either the old one or the new
 *     one, never a mix.
 *   - rstore_load returns 1 and the blob, 0 when there is no checkpoint, or -1: an error,
 *     including a checkpoint that fails its checks (chunk count, total length, checksum):
 *     "checkpoint 'NAME' is corrupt: ...". Nothing is returned that was not verified.
 *   - Blobs are at most RSTORE_MAX_BLOB bytes; headers claiming more are corrupt.
 *   - The connection is made lazily (first call) or by rstore_connect. An I/O error or a
 *     timeout drops it and marks the store down; the next call reconnects.
 *   - Error messages never contain the password.
 *   - Names are 1..RSTORE_MAX_NAME bytes of [A-Za-z0-9_.-].
 *   - Parts: a checkpoint may also hold numbered parts (the correlation state's key slots),
 *     replaced a few at a time in the same transaction as the blob. A save that replaces
 *     only some parts is refused (RSTORE_STALE, nothing written) unless the stored
 *     checkpoint is the one this store saved or loaded last: otherwise the parts it did not
 *     send might belong to another writer or be gone (a Redis that lost its data).
 *   - Ownership (fencing): after rstore_lease succeeded, every save also checks, under
 *     WATCH, that the owner key still names this store's owner, and renews it (SET .. PX)
 *     in the same transaction; a save finding another owner is refused (RSTORE_FENCED).
 *
 * Thread: an rstore is used by one thread at a time (the caller serialises); rstore_up and
 * rstore_stats_get read plain fields and need the same serialisation.
 */
#ifndef VIGIL_SRC_RSTORE_H
#define VIGIL_SRC_RSTORE_H

#include "vigil/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSTORE_MAX_BLOB           (4ull << 30) /* 4 GiB */
#define RSTORE_MAX_CHUNK          (32u << 20)  /* 32 MiB: chunk_bytes above this are lowered */
#define RSTORE_MAX_CHUNKS         (1u << 20)   /* chunks in one checkpoint */
#define RSTORE_MAX_NAME           64
#define RSTORE_DEFAULT_TIMEOUT_MS 5000
#define RSTORE_MAX_PARTS          65536u
#define RSTORE_MAX_PART           (512ull << 20) /* Redis' largest value */
#define RSTORE_MAX_OWNER          128

#define RSTORE_STALE  (-2) /* partial parts over a checkpoint this store did not write */
#define RSTORE_FENCED (-3) /* another owner holds the checkpoint */

typedef struct rstore_opts {
    const char *host;        /* default "127.0.0.1" */
    unsigned port;           /* default 6379 */
    const char *unix_socket; /* wins over host:port when set */
    const char *username;    /* AUTH username password (Redis 6 ACL); NULL: AUTH password */
    const char *password;    /* NULL or "": no AUTH */
    unsigned db;             /* SELECT db when not 0 */
    const char *prefix;      /* key prefix, default "vigil:" */
    int64_t timeout_ms;      /* connect and per-command timeout; <= 0: 5000 */
    size_t chunk_bytes;      /* chunk size; 0 = RSTORE_MAX_CHUNK (tests use tiny chunks) */
} rstore_opts;

/* Parts to write with a save: records of u32 part number (< RSTORE_MAX_PARTS), u64 length,
 * then that many bytes (little-endian); length 0 removes the part. With `all`, the records
 * are every part: the others are removed. */
typedef struct rstore_parts {
    const void *recs;
    size_t len;
    bool all;
} rstore_parts;

typedef struct rstore_stats {
    uint64_t saves;         /* successful saves */
    uint64_t save_errors;   /* failed saves */
    uint64_t bytes_written; /* blob bytes of successful saves */
    uint64_t loads;         /* successful loads (found or not) */
    uint64_t reconnects;    /* successful connections after the first */
    int64_t last_save_us;   /* duration of the last successful save, microseconds */
    int64_t renewed_us;     /* monotonic time (CLOCK_MONOTONIC, us) before which the lease
                               was not renewed by the last successful save: the lease lasts
                               at least until this plus its length */
} rstore_stats;

typedef struct rstore rstore;

/* Copies every string of opts. NULL when out of memory or when the prefix is longer than
 * 256 bytes. Does not connect. */
rstore *rstore_new(const rstore_opts *opts);
void rstore_free(rstore *s);

/* (Re)connect now: connect (timeout), AUTH, SELECT, command timeout. 0, or -1 with the
 * reason in err (the store is then down). */
int rstore_connect(rstore *s, char *err, size_t errlen);
/* Replace checkpoint `name` with [blob, blob+len), and the parts given (parts may be NULL:
 * the parts stay as they are). 0, or -1, RSTORE_STALE or RSTORE_FENCED with err. */
int rstore_save(rstore *s,
                const char *name,
                const void *blob,
                size_t len,
                const rstore_parts *parts,
                char *err,
                size_t errlen);
/* out is cleared first; on 1 it holds the blob and, when parts is not NULL, parts is
 * cleared and holds every part as records (format of rstore_parts), in no set order. 1, 0
 * (none) or -1 with err. */
int rstore_load(rstore *s, const char *name, vg_buf *out, vg_buf *parts, char *err, size_t errlen);
/* Take or renew the ownership of checkpoint `name` for `owner` (1..RSTORE_MAX_OWNER bytes)
 * for ttl_ms: 1 held (saves check and renew it from now on), 0 held by another (its name
 * in holder), -1 with err. */
int rstore_lease(rstore *s,
                 const char *name,
                 const char *owner,
                 int64_t ttl_ms,
                 char *holder,
                 size_t holder_len,
                 char *err,
                 size_t errlen);
/* Remove checkpoint `name`: its header and every key of its chunks, whatever generation
 * (found by SCAN). 0 (also when there was none), or -1 with err. */
int rstore_del(rstore *s, const char *name, char *err, size_t errlen);

/* Give the lease up if this store holds it (a graceful stop: a standby takes over at once
 * instead of when it runs out). 0 (also when not held), or -1 with err. */
int rstore_release(rstore *s, const char *name, char *err, size_t errlen);

/* Connected, and the last command did not fail on the connection. */
bool rstore_up(const rstore *s);
void rstore_stats_get(const rstore *s, rstore_stats *out);

#endif
