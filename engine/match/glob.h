/* SPDX-License-Identifier: Apache-2.0 */
/*
 * glob.h: match a field value against a Sigma string (see sigma/sstr.h).
 *
 * vg_glob_build prepares a vg_sstr for matching: case folding (ASCII letters; Sigma
 * compares case-insensitively unless `cased`), and a classification of the common shapes
 * (exact, prefix, suffix, contains, general) so that the frequent cases are a single
 * comparison or substring search. The general case splits the pattern at each '*' and
 * places every segment where it ends earliest (no backtracking, no allocation), which
 * stays correct when '?' spans a multi-byte character; O(value x pattern) at worst.
 *
 * Thread: a built glob is read-only and may be shared. Locks: none.
 */
#ifndef VIGIL_MATCH_GLOB_H
#define VIGIL_MATCH_GLOB_H

#include "vigil/base.h"
#include "vigil/arena.h"
#include "sigma/sstr.h"

typedef enum vg_glob_shape {
    VG_GLOB_EXACT,    /* lit */
    VG_GLOB_PREFIX,   /* lit* */
    VG_GLOB_SUFFIX,   /* *lit */
    VG_GLOB_CONTAINS, /* *lit* */
    VG_GLOB_ANYTHING, /* * (matches every string, even empty) */
    VG_GLOB_GENERAL   /* anything else */
} vg_glob_shape;

typedef struct vg_glob {
    vg_glob_shape shape;
    bool cased;    /* compare bytes exactly */
    vg_span lit;   /* the literal for the simple shapes, already folded if !cased */
    vg_sstr parts; /* folded copy of the pattern (all shapes) */
} vg_glob;

vg_status vg_glob_build(vg_arena *a, const vg_sstr *s, bool cased, vg_glob *out);
bool vg_glob_match(const vg_glob *g, const char *s, size_t n);

#endif
