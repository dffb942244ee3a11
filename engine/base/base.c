/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base.c: status names, spans and the allocation wrappers (with the per-thread
 * allocation-failure hook used by fault-injection tests).
 */
#include "vigil/base.h"

#include <stdlib.h>
#include <string.h>

static _Thread_local long fail_after = -1;

const char *vg_status_str(vg_status rc)
{
    switch (rc) {
    case VG_OK:
        return "ok";
    case VG_ERR_NOMEM:
        return "out of memory";
    case VG_ERR_INVALID:
        return "invalid";
    case VG_ERR_LIMIT:
        return "limit";
    case VG_ERR_UNSUPPORTED:
        return "unsupported";
    case VG_ERR_IO:
        return "io";
    case VG_ERR_INTERNAL:
        return "internal";
    }
    return "unknown";
}

vg_span vg_span_cstr(const char *s)
{
    return (vg_span){s, s ? strlen(s) : 0};
}

bool vg_span_eq(vg_span a, vg_span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool vg_span_eq_cstr(vg_span a, const char *s)
{
    return vg_span_eq(a, vg_span_cstr(s));
}

void vg_alloc_fail_after(long n)
{
    fail_after = n;
}

static bool should_fail(void)
{
    if (fail_after < 0)
        return false;
    if (fail_after == 0)
        return true;
    fail_after--;
    return false;
}

void *vg_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *vg_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *vg_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void vg_free(void *p)
{
    free(p);
}

char *vg_strndup(const char *p, size_t len)
{
    char *s = vg_malloc(len + 1);
    if (!s)
        return NULL;
    if (len)
        memcpy(s, p, len);
    s[len] = '\0';
    return s;
}
