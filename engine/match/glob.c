/* SPDX-License-Identifier: Apache-2.0 */
/*
 * glob.c: Sigma wildcard matching (see match/glob.h).
 *
 * Build: the parts of a vg_sstr are copied into the arena and normalised (adjacent literals
 * merged, empty literals dropped, runs of '*' collapsed), literal bytes are case-folded when
 * the glob is not `cased`, and the pattern is classified into one of the shapes of
 * vg_glob_shape. All literal bytes live in one arena buffer.
 *
 * Case folding is ASCII only: 'A'..'Z' compare equal to 'a'..'z'. Every other byte,
 * including all bytes of non-ASCII (multi-byte UTF-8) letters, compares exactly, so "É" does
 * not match "é". The pattern is folded once at build time; value bytes are folded on the fly.
 *
 * Parts:
 * - VG_SP_LIT matches its bytes.
 * - VG_SP_ANY matches any run of bytes (it may split a multi-byte UTF-8 sequence; values
 *   produced by the utf16/base64 transformations are not UTF-8 at all).
 * - VG_SP_ONE matches one UTF-8 character: a whole well-formed sequence (no overlong forms,
 *   no surrogates, nothing above U+10FFFF) or, when the bytes at that position do not
 *   start one, exactly one byte.
 * - VG_SP_DASH matches '-', '/', or U+2013, U+2014, U+2015 (E2 80 93/94/95).
 *
 * General matcher: the pattern is cut at its '*' parts into star-free segments. Each
 * segment matches deterministically from a given start (a literal, ONE and DASH each consume
 * a length fixed by the bytes there), so the only choices are where the segments start. The
 * first segment is anchored at the start, the last at the end, and every middle segment is
 * placed where it *ends* earliest at or after the end of the previous one: any later
 * placement that leads to a full match still works after the earliest end, because the
 * following '*' absorbs the difference. (Earliest start is not enough: a '?' at the start
 * of a 4-byte sequence ends later than a '?' on the continuation byte after it.) Finding
 * the earliest end tries each start at most once per segment and stops once no later start
 * can end sooner, so the whole match is O(value length x pattern length), with no
 * backtracking and no allocation.
 *
 * Invariants of a built glob: parts.n == 0 only for the empty pattern (shape EXACT with an
 * empty lit); no literal part is empty; no two literals or two '*' are adjacent; `lit` points
 * into the folded copy for EXACT/PREFIX/SUFFIX/CONTAINS and is empty otherwise.
 */
#include "match/glob.h"
#include "base/ascii.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NO_MATCH SIZE_MAX


/* Does s[0..len) equal the (already folded when !cased) literal lit[0..len)? */
static bool lit_eq(const unsigned char *s, const unsigned char *lit, size_t len, bool cased)
{
    if (len == 0)
        return true;
    if (cased)
        return memcmp(s, lit, len) == 0;
    for (size_t i = 0; i < len; i++) {
        if (vg_ascii_lower(s[i]) != lit[i])
            return false;
    }
    return true;
}

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Length of the UTF-8 character at s (n > 0 bytes available): a well-formed sequence, or 1. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (n >= 2 && is_cont(s[1])) ? 2 : 1;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || !is_cont(s[1]) || !is_cont(s[2]))
            return 1;
        if (c == 0xE0 && s[1] < 0xA0)
            return 1; /* overlong */
        if (c == 0xED && s[1] > 0x9F)
            return 1; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || !is_cont(s[1]) || !is_cont(s[2]) || !is_cont(s[3]))
            return 1;
        if (c == 0xF0 && s[1] < 0x90)
            return 1; /* overlong */
        if (c == 0xF4 && s[1] > 0x8F)
            return 1; /* above U+10FFFF */
        return 4;
    }
    return 1;
}

/* Length of the dash at s (n > 0 bytes available), or 0 if there is none. */
static size_t dash_len(const unsigned char *s, size_t n)
{
    if (s[0] == '-' || s[0] == '/')
        return 1;
    if (s[0] == 0xE2 && n >= 3 && s[1] == 0x80 && s[2] >= 0x93 && s[2] <= 0x95)
        return 3;
    return 0;
}

/* Match the star-free parts pt[0..np) at s[at..n). Returns the end offset or NO_MATCH. */
static size_t
seg_match(const vg_spart *pt, size_t np, bool cased, const unsigned char *s, size_t n, size_t at)
{
    for (size_t i = 0; i < np; i++) {
        size_t step;
        switch (pt[i].kind) {
        case VG_SP_LIT:
            if (n - at < pt[i].len ||
                !lit_eq(s + at, (const unsigned char *)pt[i].p, pt[i].len, cased))
                return NO_MATCH;
            step = pt[i].len;
            break;
        case VG_SP_ONE:
            if (at >= n)
                return NO_MATCH;
            step = utf8_len(s + at, n - at);
            break;
        case VG_SP_DASH:
            if (at >= n)
                return NO_MATCH;
            step = dash_len(s + at, n - at);
            if (step == 0)
                return NO_MATCH;
            break;
        default: /* VG_SP_ANY never occurs inside a segment */
            return NO_MATCH;
        }
        at += step;
    }
    return at;
}

/* Fewest and most bytes the star-free parts pt[0..np) can consume. */
static void seg_bounds(const vg_spart *pt, size_t np, size_t *min, size_t *max)
{
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < np; i++) {
        if (pt[i].kind == VG_SP_LIT) {
            lo += pt[i].len;
            hi += pt[i].len;
        } else if (pt[i].kind == VG_SP_ONE) {
            lo += 1;
            hi += 4;
        } else {
            lo += 1;
            hi += 3;
        }
    }
    *min = lo;
    *max = hi;
}

/* First offset in [from, limit) whose byte equals c (folded when !cased), or limit. */
static size_t
find_byte(const unsigned char *s, size_t from, size_t limit, unsigned char c, bool cased)
{
    if (from >= limit)
        return limit;
    if (cased || c < 'a' || c > 'z') {
        const unsigned char *hit = memchr(s + from, c, limit - from);
        return hit ? (size_t)(hit - s) : limit;
    }
    for (size_t i = from; i < limit; i++) {
        if (vg_ascii_lower(s[i]) == c)
            return i;
    }
    return limit;
}

/* Place a middle segment so that it ends as early as possible at or after `pos`. */
static size_t seg_earliest_end(
        const vg_spart *pt, size_t np, bool cased, const unsigned char *s, size_t n, size_t pos)
{
    size_t min, max;
    seg_bounds(pt, np, &min, &max);
    if (n < min || pos > n - min)
        return NO_MATCH;
    size_t last = n - min; /* last start worth trying */
    size_t best = NO_MATCH;
    for (size_t q = pos; q <= last; q++) {
        if (pt[0].kind == VG_SP_LIT) {
            q = find_byte(s, q, last + 1, (unsigned char)pt[0].p[0], cased);
            if (q > last)
                break;
        }
        if (best != NO_MATCH && q + min >= best)
            break; /* no start from here on can end sooner */
        size_t e = seg_match(pt, np, cased, s, n, q);
        if (e < best)
            best = e;
    }
    return best;
}

/* The last segment, anchored at the end: some start >= pos must end exactly at n. */
static bool
seg_at_end(const vg_spart *pt, size_t np, bool cased, const unsigned char *s, size_t n, size_t pos)
{
    size_t min, max;
    seg_bounds(pt, np, &min, &max);
    if (n < min || pos > n - min)
        return false;
    size_t first = n >= max ? n - max : 0;
    if (first < pos)
        first = pos;
    for (size_t q = first; q <= n - min; q++) {
        if (seg_match(pt, np, cased, s, n, q) == n)
            return true;
    }
    return false;
}

static size_t next_any(const vg_spart *pt, size_t np, size_t from)
{
    while (from < np && pt[from].kind != VG_SP_ANY)
        from++;
    return from;
}

static bool match_general(const vg_glob *g, const unsigned char *s, size_t n)
{
    const vg_spart *pt = g->parts.parts;
    size_t np = g->parts.n;
    size_t star = next_any(pt, np, 0);
    size_t pos = seg_match(pt, star, g->cased, s, n, 0);
    if (pos == NO_MATCH)
        return false;
    if (star == np)
        return pos == n;
    for (;;) {
        size_t begin = star + 1;
        size_t end = next_any(pt, np, begin);
        if (end == np) {
            if (begin == np)
                return true; /* the pattern ends with '*' */
            return seg_at_end(pt + begin, end - begin, g->cased, s, n, pos);
        }
        pos = seg_earliest_end(pt + begin, end - begin, g->cased, s, n, pos);
        if (pos == NO_MATCH)
            return false;
        star = end;
    }
}

static unsigned char fold_if(unsigned char c, bool cased)
{
    return cased ? c : vg_ascii_lower(c);
}

/* The other case of a folded letter, or c itself. */
static unsigned char upper_if(unsigned char c, bool cased)
{
    return !cased && c >= 'a' && c <= 'z' ? (unsigned char)(c - ('a' - 'A')) : c;
}

/* Substring search for the CONTAINS shape: sixteen starts at a time are compared on the
 * literal's first and last byte (either case unless cased), and only starts where both
 * agree compare the bytes between. */
static bool
contains(const unsigned char *s, size_t n, const unsigned char *lit, size_t len, bool cased)
{
    if (len == 0)
        return true;
    if (n < len)
        return false;
    size_t limit = n - len + 1;          /* starts are in [0, limit) */
    size_t mid = len >= 2 ? len - 2 : 0; /* the bytes between the first and the last */
    unsigned char f = lit[0], l = lit[len - 1];
    size_t q = 0;
#if defined(__SSE2__)
    const __m128i f1 = _mm_set1_epi8((char)f), f2 = _mm_set1_epi8((char)upper_if(f, cased));
    const __m128i l1 = _mm_set1_epi8((char)l), l2 = _mm_set1_epi8((char)upper_if(l, cased));
    for (; limit - q >= 16; q += 16) { /* reads s[q .. q + len + 14], all below n */
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + q));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + q + len - 1));
        __m128i m = _mm_and_si128(_mm_or_si128(_mm_cmpeq_epi8(a, f1), _mm_cmpeq_epi8(a, f2)),
                                  _mm_or_si128(_mm_cmpeq_epi8(b, l1), _mm_cmpeq_epi8(b, l2)));
        for (unsigned mask = (unsigned)_mm_movemask_epi8(m); mask; mask &= mask - 1) {
            size_t k = q + (size_t)__builtin_ctz(mask);
            if (lit_eq(s + k + 1, lit + 1, mid, cased))
                return true;
        }
    }
#endif
    for (; q < limit; q++)
        if (fold_if(s[q], cased) == f && fold_if(s[q + len - 1], cased) == l &&
            lit_eq(s + q + 1, lit + 1, mid, cased))
            return true;
    return false;
}

bool vg_glob_match(const vg_glob *g, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    const unsigned char *lit = (const unsigned char *)g->lit.p;
    size_t len = g->lit.len;
    switch (g->shape) {
    case VG_GLOB_EXACT:
        return n == len && lit_eq(s, lit, len, g->cased);
    case VG_GLOB_PREFIX:
        return n >= len && lit_eq(s, lit, len, g->cased);
    case VG_GLOB_SUFFIX:
        return n >= len && lit_eq(s + (n - len), lit, len, g->cased);
    case VG_GLOB_CONTAINS:
        return contains(s, n, lit, len, g->cased);
    case VG_GLOB_ANYTHING:
        return true;
    case VG_GLOB_GENERAL:
        return match_general(g, s, n);
    }
    return false;
}

static vg_glob_shape classify(const vg_spart *pt, size_t np, vg_span *lit)
{
    *lit = (vg_span){"", 0};
    if (np == 0)
        return VG_GLOB_EXACT;
    if (np == 1 && pt[0].kind == VG_SP_LIT) {
        *lit = (vg_span){pt[0].p, pt[0].len};
        return VG_GLOB_EXACT;
    }
    if (np == 1 && pt[0].kind == VG_SP_ANY)
        return VG_GLOB_ANYTHING;
    if (np == 2 && pt[0].kind == VG_SP_LIT && pt[1].kind == VG_SP_ANY) {
        *lit = (vg_span){pt[0].p, pt[0].len};
        return VG_GLOB_PREFIX;
    }
    if (np == 2 && pt[0].kind == VG_SP_ANY && pt[1].kind == VG_SP_LIT) {
        *lit = (vg_span){pt[1].p, pt[1].len};
        return VG_GLOB_SUFFIX;
    }
    if (np == 3 && pt[0].kind == VG_SP_ANY && pt[1].kind == VG_SP_LIT && pt[2].kind == VG_SP_ANY) {
        *lit = (vg_span){pt[1].p, pt[1].len};
        return VG_GLOB_CONTAINS;
    }
    return VG_GLOB_GENERAL;
}

vg_status vg_glob_build(vg_arena *a, const vg_sstr *s, bool cased, vg_glob *out)
{
    if (!a || !s || !out || (s->n > 0 && !s->parts))
        return VG_ERR_INVALID;
    size_t total = 0;
    for (size_t i = 0; i < s->n; i++) {
        const vg_spart *sp = &s->parts[i];
        if (sp->kind == VG_SP_LIT) {
            if (sp->len > 0 && !sp->p)
                return VG_ERR_INVALID;
            if (sp->len > SIZE_MAX - 1 - total)
                return VG_ERR_LIMIT;
            total += sp->len;
        } else if (sp->kind != VG_SP_ANY && sp->kind != VG_SP_ONE && sp->kind != VG_SP_DASH) {
            return VG_ERR_INVALID;
        }
    }
    if (s->n > SIZE_MAX / sizeof(vg_spart))
        return VG_ERR_LIMIT;

    vg_spart *parts = NULL;
    unsigned char *bytes = NULL;
    if (s->n > 0) {
        parts = vg_arena_alloc(a, s->n * sizeof(*parts));
        if (!parts)
            return VG_ERR_NOMEM;
    }
    if (total > 0) {
        bytes = vg_arena_alloc(a, total);
        if (!bytes)
            return VG_ERR_NOMEM;
    }

    size_t np = 0, used = 0;
    for (size_t i = 0; i < s->n; i++) {
        const vg_spart *sp = &s->parts[i];
        vg_spart *prev = np > 0 ? &parts[np - 1] : NULL;
        if (sp->kind == VG_SP_LIT) {
            if (sp->len == 0)
                continue;
            for (size_t k = 0; k < sp->len; k++) {
                unsigned char c = (unsigned char)sp->p[k];
                bytes[used + k] = cased ? c : vg_ascii_lower(c);
            }
            if (prev && prev->kind == VG_SP_LIT) {
                prev->len += sp->len; /* bytes are contiguous: extend */
            } else {
                parts[np++] = (vg_spart){VG_SP_LIT, (const char *)bytes + used, sp->len};
            }
            used += sp->len;
        } else if (sp->kind == VG_SP_ANY && prev && prev->kind == VG_SP_ANY) {
            continue;
        } else {
            parts[np++] = (vg_spart){sp->kind, NULL, 0};
        }
    }

    out->cased = cased;
    out->parts = (vg_sstr){np > 0 ? parts : NULL, np};
    out->shape = classify(parts, np, &out->lit);
    return VG_OK;
}
