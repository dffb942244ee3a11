/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vlog.c: structured JSON log lines (see vlog.h).
 *
 * A record is built in its own vg_buf, without the lock: the opening fields at vlog_begin,
 * each field as it is added, the closing "}\n" at vlog_end, which writes the line with one
 * fwrite under the logger's mutex. The line is kept at VLOG_LINE_MAX bytes by checking
 * before each field: a key (with the bytes its value needs at least) that does not fit
 * marks the record full and is taken back. A string value is escaped into the line from a
 * prefix of at most `room` raw bytes (each raw byte gives at least one escaped byte, so no
 * more can fit); when its escaped form is longer than room, it is escaped again one UTF-8
 * sequence at a time up to room - 3 bytes and "..." is added, so a cut never splits an
 * escape or a character.
 */
#include "vlog.h"
#include "base/timefmt.h"
#include "vigil/base.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define CLOSE_LEN 2 /* "}\n" */

struct vlog {
    FILE *out;
    vlog_level min;
    pthread_mutex_t mu; /* one line at a time on out */
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

vlog *vlog_new(FILE *out, vlog_level min)
{
    if (!out)
        return NULL;
    vlog *lg = vg_calloc(1, sizeof(*lg));
    if (!lg)
        return NULL;
    if (pthread_mutex_init(&lg->mu, NULL) != 0) {
        vg_free(lg);
        return NULL;
    }
    lg->out = out;
    lg->min = min;
    return lg;
}

void vlog_free(vlog *lg)
{
    if (!lg)
        return;
    pthread_mutex_destroy(&lg->mu);
    vg_free(lg);
}

bool vlog_level_parse(const char *s, vlog_level *out)
{
    for (int i = VLOG_DEBUG; s && i <= VLOG_ERROR; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (vlog_level)i;
            return true;
        }
    return false;
}

const char *vlog_level_name(vlog_level lvl)
{
    return lvl >= VLOG_DEBUG && lvl <= VLOG_ERROR ? level_names[lvl] : "?";
}

bool vlog_enabled(const vlog *lg, vlog_level lvl)
{
    return lg && lvl >= lg->min && lvl <= VLOG_ERROR;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cut(vlog_rec *r, size_t len)
{
    if (r->line.len > len) {
        r->line.len = len;
        r->line.p[len] = '\0';
    }
}

/* Append ,"key": when it and `need` more bytes fit in the line; otherwise the record is
 * full and false. *mark is the length before. */
static bool put_key(vlog_rec *r, const char *key, size_t need, size_t *mark)
{
    if (r->full || !key)
        return false;
    *mark = r->line.len;
    vg_buf_puts(&r->line, ",\"");
    vg_buf_json_str(&r->line, key, strnlen(key, VLOG_LINE_MAX));
    vg_buf_puts(&r->line, "\":");
    if (r->line.len + need + CLOSE_LEN > VLOG_LINE_MAX) {
        cut(r, *mark);
        r->full = true;
        return false;
    }
    return true;
}

/* The value after put_key: quoted, escaped, cut to fit. */
static void put_value(vlog_rec *r, const char *p, size_t n)
{
    vg_buf_putc(&r->line, '"');
    size_t start = r->line.len;
    size_t room = VLOG_LINE_MAX - CLOSE_LEN - 1 - start; /* >= 3: put_key's need */
    if (room > VLOG_VALUE_MAX)
        room = VLOG_VALUE_MAX;
    vg_buf_json_str(&r->line, p, n < room ? n : room);
    if (n > room || r->line.len - start > room) {
        cut(r, start);
        size_t lim = start + room - 3;
        for (size_t i = 0; i < n;) {
            size_t u = vg_utf8_seq(p + i, n - i);
            if (u == 0)
                u = 1;
            size_t before = r->line.len;
            vg_buf_json_str(&r->line, p + i, u);
            if (r->line.len > lim) {
                cut(r, before);
                break;
            }
            i += u;
        }
        vg_buf_puts(&r->line, "...");
    }
    vg_buf_putc(&r->line, '"');
}

bool vlog_begin(vlog *lg, vlog_rec *r, vlog_level lvl, const char *msg)
{
    if (!vlog_enabled(lg, lvl))
        return false;
    r->lg = lg;
    r->full = false;
    vg_buf_init(&r->line, 0);
    char ts[40];
    size_t n = vg_time_format(wall_ms(), ts, sizeof(ts));
    vg_buf_puts(&r->line, "{\"ts\":\"");
    vg_buf_append(&r->line, ts, n);
    vg_buf_puts(&r->line, "\",\"level\":\"");
    vg_buf_puts(&r->line, level_names[lvl]);
    vg_buf_putc(&r->line, '"');
    vlog_str(r, "msg", msg ? msg : "");
    return true;
}

void vlog_strn(vlog_rec *r, const char *key, const char *p, size_t n)
{
    size_t mark;
    if (!p) {
        if (put_key(r, key, 4, &mark))
            vg_buf_puts(&r->line, "null");
        return;
    }
    if (put_key(r, key, 5, &mark)) /* "" and room for "..." */
        put_value(r, p, n);
}

void vlog_str(vlog_rec *r, const char *key, const char *s)
{
    vlog_strn(r, key, s, s ? strlen(s) : 0);
}

/* A number or literal of n bytes. */
static void put_raw(vlog_rec *r, const char *key, const char *v, size_t n)
{
    size_t mark;
    if (put_key(r, key, n, &mark))
        vg_buf_append(&r->line, v, n);
}

void vlog_int(vlog_rec *r, const char *key, int64_t v)
{
    size_t mark;
    if (put_key(r, key, 20, &mark))
        vg_buf_put_i64(&r->line, v);
}

void vlog_u64(vlog_rec *r, const char *key, uint64_t v)
{
    size_t mark;
    if (put_key(r, key, 20, &mark))
        vg_buf_put_u64(&r->line, v);
}

void vlog_dbl(vlog_rec *r, const char *key, double v)
{
    size_t mark;
    if (!isfinite(v))
        put_raw(r, key, "null", 4);
    else if (put_key(r, key, 24, &mark))
        vg_buf_put_dbl(&r->line, v);
}

void vlog_bool(vlog_rec *r, const char *key, bool v)
{
    put_raw(r, key, v ? "true" : "false", v ? 4 : 5);
}

void vlog_end(vlog_rec *r)
{
    vg_buf_puts(&r->line, "}\n");
    if (vg_buf_status(&r->line) == VG_OK) {
        pthread_mutex_lock(&r->lg->mu);
        fwrite(r->line.p, 1, r->line.len, r->lg->out);
        fflush(r->lg->out);
        pthread_mutex_unlock(&r->lg->mu);
    }
    vg_buf_fini(&r->line);
}
