/* SPDX-License-Identifier: Apache-2.0 */
/*
 * regex.h: the Sigma `re` modifier on PCRE2.
 *
 * A pattern is compiled once (JIT when available) with the flags the rule asks for
 * (i, m, s). Matching uses a per-thread vg_regex_scratch that holds the PCRE2 match data and
 * a match context with match and depth limits, so that no pattern or value can stall a
 * worker: a limit hit returns VG_RE_LIMIT, which the caller counts as a non-match and
 * reports.
 *
 * Thread: a compiled vg_regex is read-only and shared; each thread has its own scratch.
 */
#ifndef VIGIL_MATCH_REGEX_H
#define VIGIL_MATCH_REGEX_H

#include "vigil/base.h"

typedef struct vg_regex vg_regex;
typedef struct vg_regex_scratch vg_regex_scratch;

enum {
    VG_RE_I = 1, /* case-insensitive */
    VG_RE_M = 2, /* ^ and $ match at line breaks */
    VG_RE_S = 4  /* . matches newline */
};

typedef enum vg_re_result {
    VG_RE_NOMATCH = 0,
    VG_RE_MATCH = 1,
    VG_RE_LIMIT = 2 /* match or depth limit hit, or another run-time error */
} vg_re_result;

/* NULL on error: *err_off gets the offset in the pattern and errbuf a message. */
vg_regex *vg_regex_new(
        const char *pat, size_t len, unsigned flags, size_t *err_off, char *errbuf, size_t errlen);
void vg_regex_free(vg_regex *re);

/* match_limit / depth_limit: 0 = defaults (1,000,000 and 10,000). */
vg_regex_scratch *vg_regex_scratch_new(uint32_t match_limit, uint32_t depth_limit);
void vg_regex_scratch_free(vg_regex_scratch *s);
vg_re_result vg_regex_match(const vg_regex *re, vg_regex_scratch *s, const char *p, size_t n);

#endif
