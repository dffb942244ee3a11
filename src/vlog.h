/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vlog.h: the daemon's structured log: one JSON object per line on a stream (stderr).
 *
 *   {"ts":"2026-12-01T03:11:44.293Z","level":"warn","msg":"redis unavailable",
 *    "error":"Connection refused","retry_ms":1000}
 *
 * "ts" is the wall-clock time in UTC with milliseconds, "level" one of debug, info, warn,
 * error, "msg" a fixed description of the event; then the record's fields in the order they
 * were added. A record is built with the calls below, which escape every string (quotes,
 * backslashes, control bytes; bytes that are not UTF-8 become U+FFFD):
 *
 *   vlog_rec r;
 *   if (vlog_begin(lg, &r, VLOG_WARN, "redis unavailable")) {
 *       vlog_str(&r, "error", why);
 *       vlog_int(&r, "retry_ms", 1000);
 *       vlog_end(&r);
 *   }
 *
 * vlog_begin returns false when the level is below the logger's minimum (or lg is NULL), and
 * then nothing else may be called; after true, vlog_end must follow (it writes the line and
 * releases the record). Keys are the caller's constants and should not repeat "ts", "level"
 * or "msg". Non-finite doubles are written as null.
 *
 * Bounds: a string value (msg included) keeps at most VLOG_VALUE_MAX bytes of its escaped
 * form, and a whole line at most VLOG_LINE_MAX bytes with its newline; a value cut short ends
 * in "..." and a field that no longer fits is left out, with every field after it. The line
 * stays valid JSON either way. A line that cannot be built for lack of memory is dropped.
 *
 * Thread: a vlog is used from any number of threads; each vlog_rec by one thread. Each line
 * is written with one fwrite (and flushed) under the logger's mutex, so lines from different
 * threads never interleave. Locks: the mutex is held by vlog_end only.
 */
#ifndef VIGIL_SRC_VLOG_H
#define VIGIL_SRC_VLOG_H

#include "vigil/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VLOG_LINE_MAX  16384 /* bytes of a line, newline included */
#define VLOG_VALUE_MAX 4096  /* bytes of one escaped string value */

typedef enum vlog_level {
    VLOG_DEBUG,
    VLOG_INFO,
    VLOG_WARN,
    VLOG_ERROR
} vlog_level;

typedef struct vlog vlog;

typedef struct vlog_rec {
    vlog *lg;
    vg_buf line; /* the line so far, without its closing "}\n" */
    bool full;   /* a field was left out: no more are added */
} vlog_rec;

/* Lines of level min and above go to out (not closed by vlog_free). NULL when out of memory
 * or out is NULL. */
vlog *vlog_new(FILE *out, vlog_level min);
void vlog_free(vlog *lg);

/* "debug", "info", "warn" or "error" into *out; false (out untouched) for anything else. */
bool vlog_level_parse(const char *s, vlog_level *out);
const char *vlog_level_name(vlog_level lvl);
/* Whether a record of lvl would be written (false for a NULL lg). */
bool vlog_enabled(const vlog *lg, vlog_level lvl);

bool vlog_begin(vlog *lg, vlog_rec *r, vlog_level lvl, const char *msg);
/* A NULL s is written as null. */
void vlog_str(vlog_rec *r, const char *key, const char *s);
/* n bytes at p (they may hold NUL bytes). */
void vlog_strn(vlog_rec *r, const char *key, const char *p, size_t n);
void vlog_int(vlog_rec *r, const char *key, int64_t v);
void vlog_u64(vlog_rec *r, const char *key, uint64_t v);
void vlog_dbl(vlog_rec *r, const char *key, double v);
void vlog_bool(vlog_rec *r, const char *key, bool v);
/* Write the line and release the record. */
void vlog_end(vlog_rec *r);

#endif
