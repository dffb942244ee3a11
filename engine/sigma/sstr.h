/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sstr.h: Sigma string values and the transformation modifiers that rewrite them.
 *
 * A Sigma string value is text with wildcards: '*' (any run of characters) and '?' (one
 * character), with backslash escapes as the Sigma spec defines them:
 *   "\*" and "\?" are a literal '*' / '?';  "\\" is one literal backslash;
 *   a backslash before any other character (or at the end) is a literal backslash.
 * vg_sstr_parse turns such text into a list of parts. Transformations (windash, utf16*,
 * base64, base64offset) and the match-type modifiers (contains, startswith, endswith) work
 * on parts, never on text, so escapes are handled in one place.
 *
 * Every function allocates in the arena it is given (the compile arena); nothing here is
 * freed on its own.
 */
#ifndef VIGIL_SIGMA_SSTR_H
#define VIGIL_SIGMA_SSTR_H

#include "vigil/base.h"
#include "vigil/arena.h"

typedef enum vg_spart_kind {
    VG_SP_LIT, /* literal bytes [p, p+len) */
    VG_SP_ANY, /* '*': any run of bytes, possibly empty */
    VG_SP_ONE, /* '?': exactly one character (one UTF-8 sequence) */
    VG_SP_DASH /* windash: one of '-', '/', U+2013, U+2014, U+2015 */
} vg_spart_kind;

typedef struct vg_spart {
    vg_spart_kind kind;
    const char *p; /* VG_SP_LIT only */
    size_t len;    /* VG_SP_LIT only; > 0 */
} vg_spart;

typedef struct vg_sstr {
    vg_spart *parts; /* adjacent literals are merged; no two VG_SP_ANY in a row */
    size_t n;
} vg_sstr;

/* Parse Sigma value text (wildcards and escapes). */
vg_status vg_sstr_parse(vg_arena *a, const char *text, size_t len, vg_sstr *out);
/* A plain literal with no wildcard meaning (used for `re`, numbers, fieldref values). */
vg_status vg_sstr_literal(vg_arena *a, const char *p, size_t len, vg_sstr *out);
/* True if the value has no wildcard or dash part; *lit gets the bytes (may be empty). */
bool vg_sstr_is_plain(const vg_sstr *s, vg_span *lit);

/* contains / startswith / endswith: add '*' at the end(s) (never doubling an existing one). */
vg_status
vg_sstr_wrap(vg_arena *a, const vg_sstr *in, bool any_before, bool any_after, vg_sstr *out);
/* windash: every '-', '/', U+2013, U+2014, U+2015 inside literals becomes a VG_SP_DASH. */
vg_status vg_sstr_windash(vg_arena *a, const vg_sstr *in, vg_sstr *out);

typedef enum vg_utf16_kind {
    VG_UTF16_LE,
    VG_UTF16_BE,
    VG_UTF16_BOM /* little-endian with a leading FF FE */
} vg_utf16_kind;

/* Encode the literal bytes (read as UTF-8; invalid sequences are encoded byte by byte as
 * U+00xx) as UTF-16. Wildcard parts are kept in place (a '*' still means any run).
 * VG_ERR_UNSUPPORTED for a VG_SP_ONE or VG_SP_DASH part. */
vg_status vg_sstr_utf16(vg_arena *a, const vg_sstr *in, vg_utf16_kind kind, vg_sstr *out);
/* Standard base64 (with padding) of a plain value; VG_ERR_UNSUPPORTED if it has wildcards. */
vg_status vg_sstr_base64(vg_arena *a, const vg_sstr *in, vg_sstr *out);
/* The three base64 forms of a plain value as it may appear at byte offsets 0, 1 and 2 of a
 * longer encoded text (the stable middle part of each encoding, no padding), as pySigma and
 * other Sigma tools compute them. out[0..2]; VG_ERR_UNSUPPORTED if the value has wildcards. */
vg_status vg_sstr_base64offset(vg_arena *a, const vg_sstr *in, vg_sstr out[3]);

#endif
