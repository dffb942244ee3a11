/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.h: compile diagnostics, collected rather than returned one at a time.
 *
 * Rule compilation never stops at the first problem: each one is recorded with its
 * position (file, 1-based line and column), the rule it belongs to when known, a status code
 * and a reason key (a short stable word used to group the summary of `vigil check`), and
 * compilation goes on with the next rule.
 */
#ifndef VIGIL_DIAG_H
#define VIGIL_DIAG_H

#include "vigil/base.h"

typedef enum vg_severity {
    VG_SEV_ERROR,
    VG_SEV_WARNING
} vg_severity;

typedef struct vg_loc {
    const char *file; /* borrowed; owned by whoever owns the diags (interned) */
    uint32_t line;    /* 1-based, 0 = unknown */
    uint32_t col;     /* 1-based, 0 = unknown */
} vg_loc;

typedef struct vg_diag {
    vg_status code;
    vg_severity sev;
    vg_loc loc;
    char reason[32];  /* grouping key, e.g. "unknown-modifier", "yaml" */
    char rule_id[64]; /* empty when unknown */
    char msg[320];    /* lower case, no trailing period */
} vg_diag;

typedef struct vg_diags vg_diags;

VG_API vg_diags *vg_diags_new(void);
VG_API void vg_diags_free(vg_diags *d);
/* Record one diagnostic. file is copied (interned) so callers may pass temporaries. */
VG_API void vg_diag_add(vg_diags *d,
                        vg_severity sev,
                        vg_status code,
                        const char *file,
                        uint32_t line,
                        uint32_t col,
                        const char *rule_id,
                        const char *reason,
                        const char *fmt,
                        ...) VG_PRINTF(9, 10);
VG_API size_t vg_diags_count(const vg_diags *d);
VG_API size_t vg_diags_errors(const vg_diags *d);
VG_API size_t vg_diags_warnings(const vg_diags *d);
VG_API const vg_diag *vg_diags_get(const vg_diags *d, size_t i);
/* Intern a string for the life of d (file names). */
VG_API const char *vg_diags_intern(vg_diags *d, const char *s);

#endif
