/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond.h: the Sigma condition expression (the `condition:` string of a detection).
 *
 * Grammar, least to most binding (Sigma spec):
 *   expr   := or
 *   or     := and ("or" and)*
 *   and    := not ("and" not)*
 *   not    := "not" not | of
 *   of     := QUANT "of" (IDENT_PATTERN | "them") | primary
 *   QUANT  := "1" | "any" | "all" | a positive integer N (vigil: at least N)
 *   primary:= IDENT | "(" expr ")"
 * Keywords are case-insensitive. Identifiers are [A-Za-z0-9_.-]+; in "of" patterns '*' is a
 * wildcard. A '|' (the deprecated aggregation syntax, e.g. "sel | count() > 5") is reported as
 * VG_ERR_UNSUPPORTED; everything else malformed is VG_ERR_INVALID.
 *
 * The parser does not know which identifiers exist: the rule compiler resolves names and
 * patterns against the detection's search identifiers.
 */
#ifndef VIGIL_SIGMA_COND_H
#define VIGIL_SIGMA_COND_H

#include "vigil/base.h"
#include "vigil/arena.h"

typedef enum vg_cond_kind {
    VG_COND_ID,  /* a search identifier */
    VG_COND_AND, /* a and b */
    VG_COND_OR,  /* a or b */
    VG_COND_NOT, /* not a */
    VG_COND_OF   /* quant of pattern|them */
} vg_cond_kind;

typedef struct vg_cond {
    vg_cond_kind kind;
    uint32_t pos;          /* 0-based byte offset of the token that starts this node */
    const char *name;      /* ID: identifier; OF: pattern, NULL for "them"; NUL-terminated */
    uint32_t quant;        /* OF: N (1 for "1"/"any"); 0 means "all" */
    struct vg_cond *a, *b; /* AND/OR: operands; NOT: a */
} vg_cond;

typedef struct vg_cond_err {
    vg_status code; /* VG_ERR_INVALID, VG_ERR_UNSUPPORTED, VG_ERR_LIMIT, VG_ERR_NOMEM */
    uint32_t pos;   /* 0-based byte offset in the string */
    char msg[128];
} vg_cond_err;

/* Nesting deeper than this (parentheses or "not") is VG_ERR_LIMIT. */
#define VG_COND_MAX_DEPTH 256

/* Parse s[0, len). NULL on error with *err filled. Nodes live in the arena. */
vg_cond *vg_cond_parse(vg_arena *a, const char *s, size_t len, vg_cond_err *err);

/* Does identifier `name` match an "of" pattern ('*' = any run)? Case-sensitive. */
bool vg_cond_pattern_match(const char *pattern, const char *name);

#endif
