/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base.h: the few types every engine module shares.
 *
 * - vg_status: the one error idiom. Fallible functions return it (variable `rc`) or a
 *   pointer (NULL = failure).
 * - vg_span: a borrowed byte range; never NUL-terminated unless a comment says so.
 * - vg_malloc & co.: every engine allocation goes through these so that tests can make
 *   the Nth allocation fail (vg_alloc_fail_after).
 *
 * Thread: all of this is reentrant. The allocation-failure counter is per thread.
 */
#ifndef VIGIL_BASE_H
#define VIGIL_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define VG_API          __attribute__((visibility("default")))
#define VG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VG_API
#define VG_PRINTF(f, a)
#endif

typedef enum vg_status {
    VG_OK = 0,
    VG_ERR_NOMEM,       /* an allocation failed */
    VG_ERR_INVALID,     /* malformed input: rule, event, config */
    VG_ERR_LIMIT,       /* a configured bound was hit (size, depth, count) */
    VG_ERR_UNSUPPORTED, /* well-formed but not something vigil implements */
    VG_ERR_IO,          /* reading or writing failed */
    VG_ERR_INTERNAL     /* a bug in vigil */
} vg_status;

/* Short lower-case name of a status ("invalid", "limit", ...). Never NULL. */
VG_API const char *vg_status_str(vg_status rc);

typedef struct vg_span {
    const char *p;
    size_t len;
} vg_span;

#define VG_SPAN_LIT(s) ((vg_span){(s), sizeof(s) - 1})
VG_API vg_span vg_span_cstr(const char *s);
VG_API bool vg_span_eq(vg_span a, vg_span b);
VG_API bool vg_span_eq_cstr(vg_span a, const char *s);

/* Allocation wrappers. vg_free(NULL) is a no-op. */
VG_API void *vg_malloc(size_t n);
VG_API void *vg_calloc(size_t n, size_t size);
VG_API void *vg_realloc(void *p, size_t n);
VG_API void vg_free(void *p);
/* Heap copy of [p, p+len) with a terminating NUL. */
VG_API char *vg_strndup(const char *p, size_t len);

/* Test hook: after n more successful allocations on this thread, every allocation fails
 * until the hook is disarmed with a negative n. */
VG_API void vg_alloc_fail_after(long n);

#endif
