/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.c: the diagnostics list that rule compilation fills (see vigil/diag.h).
 */
#include "vigil/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct vg_diags {
    vg_diag *v;
    size_t n, cap;
    size_t n_err, n_warn;
    char **names; /* interned strings */
    size_t n_names, cap_names;
};

vg_diags *vg_diags_new(void)
{
    return vg_calloc(1, sizeof(vg_diags));
}

void vg_diags_free(vg_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_names; i++)
        vg_free(d->names[i]);
    vg_free(d->names);
    vg_free(d->v);
    vg_free(d);
}

const char *vg_diags_intern(vg_diags *d, const char *s)
{
    if (!s)
        return NULL;
    for (size_t i = d->n_names; i-- > 0;)
        if (strcmp(d->names[i], s) == 0)
            return d->names[i];
    if (d->n_names == d->cap_names) {
        size_t cap = d->cap_names ? d->cap_names * 2 : 16;
        char **nv = vg_realloc(d->names, cap * sizeof(*nv));
        if (!nv)
            return "?";
        d->names = nv;
        d->cap_names = cap;
    }
    char *c = vg_strndup(s, strlen(s));
    if (!c)
        return "?";
    d->names[d->n_names++] = c;
    return c;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void vg_diag_add(vg_diags *d,
                 vg_severity sev,
                 vg_status code,
                 const char *file,
                 uint32_t line,
                 uint32_t col,
                 const char *rule_id,
                 const char *reason,
                 const char *fmt,
                 ...)
{
    if (!d)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        vg_diag *nv = vg_realloc(d->v, cap * sizeof(*nv));
        if (!nv)
            return;
        d->v = nv;
        d->cap = cap;
    }
    vg_diag *g = &d->v[d->n++];
    memset(g, 0, sizeof(*g));
    g->code = code;
    g->sev = sev;
    g->loc.file = file ? vg_diags_intern(d, file) : NULL;
    g->loc.line = line;
    g->loc.col = col;
    copy_str(g->rule_id, sizeof(g->rule_id), rule_id);
    copy_str(g->reason, sizeof(g->reason), reason ? reason : vg_status_str(code));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
    va_end(ap);
    if (sev == VG_SEV_ERROR)
        d->n_err++;
    else
        d->n_warn++;
}

size_t vg_diags_count(const vg_diags *d)
{
    return d ? d->n : 0;
}

size_t vg_diags_errors(const vg_diags *d)
{
    return d ? d->n_err : 0;
}

size_t vg_diags_warnings(const vg_diags *d)
{
    return d ? d->n_warn : 0;
}

const vg_diag *vg_diags_get(const vg_diags *d, size_t i)
{
    return (d && i < d->n) ? &d->v[i] : NULL;
}
