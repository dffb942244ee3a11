/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h: a growable byte buffer with a size cap (the output side of encoders).
 *
 * A vg_buf is a plain struct the caller owns; vg_buf_init gives it a cap (0 = none).
 * Appends that would pass the cap or fail to allocate set a sticky error and are dropped,
 * so an encoder can append freely and check vg_buf_status once at the end.
 * The content is always NUL-terminated when len > 0 (the NUL is not counted in len).
 */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include "vigil/base.h"

typedef struct vg_buf {
    char *p;       /* content, owned */
    size_t len;    /* bytes used */
    size_t cap;    /* bytes allocated */
    size_t max;    /* cap on len, 0 = none */
    vg_status err; /* first failure, sticky */
} vg_buf;

VG_API void vg_buf_init(vg_buf *b, size_t max);
VG_API void vg_buf_fini(vg_buf *b);
/* Empty the buffer and clear the error; keeps the allocation. */
VG_API void vg_buf_clear(vg_buf *b);
VG_API void vg_buf_append(vg_buf *b, const void *p, size_t n);
VG_API void vg_buf_putc(vg_buf *b, char c);
VG_API void vg_buf_puts(vg_buf *b, const char *s);
VG_API void vg_buf_printf(vg_buf *b, const char *fmt, ...) VG_PRINTF(2, 3);
/* Decimal integers, without printf. */
VG_API void vg_buf_put_u64(vg_buf *b, uint64_t v);
VG_API void vg_buf_put_i64(vg_buf *b, int64_t v);
/* The shortest decimal form of v that reads back as the same double ("0.1", "3", "1e+20",
 * at most 17 significant digits); "NaN", "+Inf" and "-Inf" for the others (the Prometheus
 * spellings: JSON writers must handle non-finite values themselves). */
VG_API void vg_buf_put_dbl(vg_buf *b, double v);
/* Append s as the body of a JSON string (no quotes): escapes control characters, quote and
 * backslash, and replaces bytes that are not valid UTF-8 with U+FFFD. */
VG_API void vg_buf_json_str(vg_buf *b, const char *s, size_t n);
/* Length of the well-formed UTF-8 sequence at s (n bytes available): 1..4, or 0 when the
 * bytes there are not one (overlong forms, surrogates, truncated or stray bytes; n == 0). */
VG_API size_t vg_utf8_seq(const char *s, size_t n);
static inline vg_status vg_buf_status(const vg_buf *b)
{
    return b->err;
}

#endif
