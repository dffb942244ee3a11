/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bin.c: little-endian binary encoding and a checked reader (see vigil/bin.h).
 */
#include "vigil/bin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void put(vg_buf *b, uint64_t v, int bytes)
{
    unsigned char d[8];
    for (int i = 0; i < bytes; i++)
        d[i] = (unsigned char)(v >> (8 * i));
    vg_buf_append(b, d, (size_t)bytes);
}

void vg_bin_u8(vg_buf *b, uint8_t v)
{
    put(b, v, 1);
}

void vg_bin_u16(vg_buf *b, uint16_t v)
{
    put(b, v, 2);
}

void vg_bin_u32(vg_buf *b, uint32_t v)
{
    put(b, v, 4);
}

void vg_bin_u64(vg_buf *b, uint64_t v)
{
    put(b, v, 8);
}

void vg_bin_patch_u64(vg_buf *b, size_t at, uint64_t v)
{
    if (vg_buf_status(b) != VG_OK || at > b->len || b->len - at < 8)
        return;
    for (int i = 0; i < 8; i++)
        ((unsigned char *)b->p)[at + (size_t)i] = (unsigned char)(v >> (8 * i));
}

void vg_bin_str(vg_buf *b, const void *p, size_t n)
{
    put(b, (uint32_t)n, 4);
    vg_buf_append(b, p, n);
}

void vg_bin_init(vg_bin *r, const void *p, size_t n, const char *what, char *err, size_t err_len)
{
    r->p = p;
    r->n = n;
    r->at = 0;
    r->bad = false;
    r->what = what;
    r->err = err;
    r->err_len = err_len;
}

void vg_bin_fail(vg_bin *r, const char *fmt, ...)
{
    if (r->bad)
        return;
    r->bad = true;
    if (r->err && r->err_len) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(r->err, r->err_len, "%s, byte %zu: %s", r->what, r->at, msg);
    }
}

bool vg_bin_need(vg_bin *r, size_t k)
{
    if (r->bad || r->n - r->at < k) {
        vg_bin_fail(r, "truncated");
        return false;
    }
    return true;
}

uint64_t vg_bin_get(vg_bin *r, int bytes)
{
    if (!vg_bin_need(r, (size_t)bytes))
        return 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
    r->at += (size_t)bytes;
    return v;
}

const char *vg_bin_get_str(vg_bin *r, size_t max, size_t *len)
{
    uint64_t n = vg_bin_get(r, 4);
    if (r->bad)
        return NULL;
    if (n > max) {
        vg_bin_fail(r, "string of %llu bytes (at most %zu)", (unsigned long long)n, max);
        return NULL;
    }
    if (!vg_bin_need(r, (size_t)n))
        return NULL;
    const char *s = (const char *)r->p + r->at;
    r->at += (size_t)n;
    *len = (size_t)n;
    return s;
}

vg_status vg_bin_header(vg_bin *r, const char magic[4], uint32_t version)
{
    if (!vg_bin_need(r, 8) || memcmp(r->p + r->at, magic, 4) != 0) {
        r->bad = false; /* one message: what the data is not */
        vg_bin_fail(r, "not a %s", r->what);
        return VG_ERR_INVALID;
    }
    r->at += 4;
    uint32_t v = (uint32_t)vg_bin_get(r, 4);
    if (v != version) {
        vg_bin_fail(r, "version %u (this vigil reads %u)", v, version);
        return VG_ERR_UNSUPPORTED;
    }
    return VG_OK;
}

size_t vg_bin_left(const vg_bin *r)
{
    return r->bad ? 0 : r->n - r->at;
}
