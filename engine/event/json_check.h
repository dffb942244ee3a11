/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json_check.h: well-formedness check of JSON text without building an event, for the
 * framer (frame.c), which must tell a pretty-printed value from a garbage line whose
 * unbalanced '{' would otherwise swallow the lines after it.
 *
 * vg_json_check runs the same grammar as vg_parse_json (fmt_json.c: one pass, the same
 * string, number and literal rules, NUL bytes and raw control characters refused) but
 * keeps nothing, and accepts an array as well as an object at the top level (the framer
 * frames both; the parser refuses arrays later with its own message). Nesting is followed
 * up to VG_JSON_CHECK_DEPTH levels; deeper text is answered VG_JSON_INVALID.
 *
 * Thread: reentrant. Allocation: none (the nesting stack is VG_JSON_CHECK_DEPTH bits on
 * the caller's stack).
 */
#ifndef VIGIL_EVENT_JSON_CHECK_H
#define VIGIL_EVENT_JSON_CHECK_H

#include "vigil/base.h"

#define VG_JSON_CHECK_DEPTH 4096

typedef enum vg_json_verdict {
    VG_JSON_VALUE,  /* s is exactly one object or array, whitespace around it allowed */
    VG_JSON_PREFIX, /* s is well-formed so far but ends before the value closes */
    VG_JSON_INVALID /* no bytes appended to s can make it one value */
} vg_json_verdict;

vg_json_verdict vg_json_check(const char *s, size_t len);

/* The value at the start of s (whitespace before it allowed), bytes after its closing
 * bracket not read: VG_JSON_VALUE with *end past that bracket, VG_JSON_PREFIX, or
 * VG_JSON_INVALID. Reads s only up to where the value closes or first goes wrong, so the
 * framer's cost per value does not grow with what follows it. */
vg_json_verdict vg_json_check_head(const char *s, size_t len, size_t *end);

#endif
