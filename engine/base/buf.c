/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c: growable, capped output buffer with a sticky error (see vigil/buf.h), and the
 * JSON string escaper every encoder uses.
 */
#include "vigil/buf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vg_buf_init(vg_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void vg_buf_fini(vg_buf *b)
{
    vg_free(b->p);
    memset(b, 0, sizeof(*b));
}

void vg_buf_clear(vg_buf *b)
{
    b->len = 0;
    b->err = VG_OK;
    if (b->p)
        b->p[0] = '\0';
}

static bool reserve(vg_buf *b, size_t n)
{
    if (b->err)
        return false;
    if (n > SIZE_MAX - b->len - 1 || (b->max && b->len + n > b->max)) {
        b->err = VG_ERR_LIMIT;
        return false;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = vg_realloc(b->p, cap);
    if (!p) {
        b->err = VG_ERR_NOMEM;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void vg_buf_append(vg_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void vg_buf_putc(vg_buf *b, char c)
{
    vg_buf_append(b, &c, 1);
}

void vg_buf_puts(vg_buf *b, const char *s)
{
    vg_buf_append(b, s, strlen(s));
}

void vg_buf_printf(vg_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (!b->err)
            b->err = VG_ERR_INTERNAL;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        vg_buf_append(b, tmp, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

size_t vg_utf8_seq(const char *s, size_t n)
{
    return n ? utf8_seq((const unsigned char *)s, n) : 0;
}

/* Bytes vg_buf_json_str does not copy as they are: '"', '\\', control characters and DEL
 * (escaped), and bytes >= 0x80 (checked as UTF-8). */
static const unsigned char json_special[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* 0x70: DEL */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xA0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xB0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xC0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xD0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xE0 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xF0 */
};

void vg_buf_json_str(vg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    for (size_t i = 0; i < n;) {
        while (i < n && !json_special[u[i]])
            i++; /* the run of plain bytes: one test each */
        if (i == n)
            break;
        unsigned char c = u[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t adv = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == 0x7F) {
            ubuf[0] = '\\';
            ubuf[1] = 'u';
            ubuf[2] = '0';
            ubuf[3] = '0';
            ubuf[4] = hex[c >> 4];
            ubuf[5] = hex[c & 15];
            ubuf[6] = '\0';
            esc = ubuf;
        } else if (c >= 0x80) {
            adv = utf8_seq(u + i, n - i);
            if (adv == 0) {
                esc = "\\ufffd";
                adv = 1;
            }
        }
        if (esc) {
            vg_buf_append(b, s + run, i - run);
            vg_buf_puts(b, esc);
            i += adv;
            run = i;
        } else {
            i += adv;
        }
    }
    vg_buf_append(b, s + run, n - run);
}

void vg_buf_put_u64(vg_buf *b, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    vg_buf_append(b, d + sizeof(d) - n, n);
}

void vg_buf_put_i64(vg_buf *b, int64_t v)
{
    if (v < 0) {
        vg_buf_putc(b, '-');
        vg_buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
        return;
    }
    vg_buf_put_u64(b, (uint64_t)v);
}

void vg_buf_put_dbl(vg_buf *b, double v)
{
    if (isnan(v)) {
        vg_buf_puts(b, "NaN");
        return;
    }
    if (isinf(v)) {
        vg_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    /* 15 significant digits always read back to a nearby double; 17 always to the same one.
     * The first precision that reads back exactly is the shortest round trip. */
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (n <= 0 || (size_t)n >= sizeof(tmp))
            break;
        if (prec == 17 || strtod(tmp, NULL) == v) {
            vg_buf_append(b, tmp, (size_t)n);
            return;
        }
    }
    if (!b->err)
        b->err = VG_ERR_INTERNAL;
}
