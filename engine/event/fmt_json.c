/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_json.c: the JSON record parser (vg_parse_json, see vigil/parse.h).
 *
 * One record is exactly one RFC 8259 value whose top level is an object; that object is the
 * event's root (node 0). Whitespace may surround it; anything else after it is an error.
 *
 * DESIGN
 * A single forward pass with no recursion and no stack of its own: the event tree is the
 * stack. `cur` is the index of the open container; closing it moves to its parent node, and
 * the node's type says whether a ',' must be followed by a member or an element. Nesting is
 * therefore bounded by the event's max_depth (vg_event_add answers VG_ERR_LIMIT), and a
 * 100,000-deep "[[[[..." fails after max_depth steps.
 *
 * Text: strings without escapes are spans into the record (no copy). A string with escapes
 * is measured first (its unescaped form is never longer than its source), then decoded into
 * vg_event_alloc memory: \uXXXX becomes UTF-8, a valid surrogate pair one 4-byte sequence,
 * a lone surrogate U+FFFD. Numbers are checked against the grammar and kept as written;
 * true/false/null keep their literal text. Containers have empty text.
 *
 * Accepted on purpose: invalid UTF-8 inside strings (kept as bytes; the JSON writer replaces
 * it on output), "\u0000" (decodes to a NUL byte inside the string's span), and duplicate
 * member names, which are kept as separate nodes in input order (they then share a path).
 * Rejected: raw control characters (< 0x20) inside strings, NUL bytes anywhere outside
 * strings, and everything the grammar forbids.
 *
 * Errors: VG_ERR_INVALID or VG_ERR_LIMIT with vg_perr.offset at the offending byte (for an
 * unterminated string: its opening quote; for a record that ends too early: len) and a
 * static lower-case message. Limits: "nesting too deep" or "too many fields"; past the
 * arena cap, "string too large".
 *
 * CHECK ONLY
 * vg_json_check (event/json_check.h) runs the same pass with no event: containers are a
 * bit stack instead of nodes, strings are not decoded, and a failure caused by the text
 * ending early (unexpected end, unterminated string, a number or literal cut short) is told
 * apart from one that no further bytes could repair.
 *
 * Thread: reentrant. Allocation: only vg_event_alloc (unescaped strings) and whatever
 * vg_event_add needs to grow the node array.
 */
#include "vigil/parse.h"
#include "base/ascii.h"
#include "event/event_int.h"
#include "event/json_check.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct jp {
    vg_event *ev; /* NULL: check only (vg_json_check), nothing is kept */
    const char *s;
    size_t len;
    size_t i; /* current byte */
    vg_perr *err;
    bool ended;       /* the failure is that the text ended early (it may be a prefix) */
    uint32_t depth;   /* check only: open containers */
    uint64_t *arrays; /* check only: bit d set when the container at depth d is an array */
    bool head;        /* check only: stop where the value closes (what follows is not read) */
} jp;

/* Bytes that end the fast scan of a string body: quote, backslash, control characters. */
static const unsigned char str_stop[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
        0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
};

/* The first index >= i (and < len) whose byte ends a run of plain string bytes: '"', '\\'
 * or a control character; len if none. Sixteen bytes at a time where SSE2 is there (every
 * x86-64 CPU), a byte at a time otherwise and for the last bytes. */
static size_t str_skip(const char *s, size_t i, size_t len)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (len - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* x <= 0x1f (unsigned) exactly when subtracting 0x1f with saturation gives 0 */
        __m128i stop =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                             _mm_cmpeq_epi8(_mm_subs_epu8(v, ctl), _mm_setzero_si128()));
        unsigned mask = (unsigned)_mm_movemask_epi8(stop);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < len && !str_stop[(unsigned char)s[i]])
        i++;
    return i;
}

static const vg_span empty_span = {"", 0};

static vg_status fail(jp *p, vg_status rc, size_t at, const char *msg)
{
    if (p->err) {
        p->err->offset = at;
        p->err->msg = msg;
    }
    return rc;
}

/* The text ended before the value did: more bytes could still make it valid. */
static vg_status fail_end(jp *p, size_t at, const char *msg)
{
    p->ended = true;
    return fail(p, VG_ERR_INVALID, at, msg);
}

/* The message for an unexpected byte: NUL bytes get their own. */
static vg_status unexpected(jp *p, const char *msg)
{
    if (p->i < p->len && p->s[p->i] == '\0')
        msg = "nul byte outside string";
    return fail(p, VG_ERR_INVALID, p->i, msg);
}

static inline void skip_ws(jp *p)
{
    /* fast path: compact JSON has no whitespace between tokens */
    if (p->i < p->len && (unsigned char)p->s[p->i] > ' ')
        return;
    while (p->i < p->len) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            break;
        p->i++;
    }
}

/* The 4 hex digits at s (the caller checked that they are in range), or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = vg_hex_digit(s[k]);
        if (h < 0)
            return -1;
        v = (v << 4) | h;
    }
    return v;
}

static size_t put_utf8(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decode the escaped string body [b, e) (validated by parse_string) into d; returns the
 * decoded length. Each escape is at least as long as what it decodes to: 2 source bytes ->
 * 1, "\uXXXX" (6) -> at most 3, a pair (12) -> 4, so d needs at most e - b bytes.
 */
static size_t unescape(const char *b, const char *e, char *d)
{
    char *d0 = d;
    while (b < e) {
#if defined(__SSE2__)
        /* Sixteen bytes at a time: store them, then keep those before the first backslash.
         * d never runs ahead of b (an escape is never shorter than what it decodes to), so
         * the store stays within the e - b bytes the caller gave. */
        const __m128i bslash = _mm_set1_epi8('\\');
        unsigned m = 0;
        while (e - b >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)b);
            _mm_storeu_si128((__m128i *)(void *)d, v);
            m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
            if (m)
                break;
            b += 16;
            d += 16;
        }
        if (m) {
            size_t run = (size_t)__builtin_ctz(m);
            b += run;
            d += run;
        } else
#endif
        {
            const char *bs = memchr(b, '\\', (size_t)(e - b));
            size_t run = bs ? (size_t)(bs - b) : (size_t)(e - b);
            memcpy(d, b, run);
            d += run;
            b += run;
            if (!bs)
                break;
        }
        char c = b[1];
        b += 2;
        switch (c) {
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;
        case 'u': {
            uint32_t cp = (uint32_t)hex4(b);
            b += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = (e - b >= 6 && b[0] == '\\' && b[1] == 'u') ? hex4(b + 2) : -1;
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    b += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            d += put_utf8(d, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            *d++ = c;
            break;
        }
    }
    return (size_t)(d - d0);
}

/* p->i is at the opening quote. On success *out is the string's content and p->i is past
 * the closing quote. Inline in run (both call sites), so that the position stays in a
 * register: 2,000 fewer instructions per Sysmon event. */
static inline __attribute__((always_inline)) vg_status parse_string(jp *p, vg_span *out)
{
    const char *s = p->s;
    size_t open = p->i;
    size_t i = open + 1;
    bool escaped = false;
    for (;;) {
        i = str_skip(s, i, p->len);
        if (i >= p->len)
            return fail_end(p, open, "unterminated string");
        unsigned char c = (unsigned char)s[i];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, VG_ERR_INVALID, i, "control character in string");
        /* a backslash */
        escaped = true;
        if (i + 1 >= p->len)
            return fail_end(p, open, "unterminated string");
        switch (s[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            i += 2;
            break;
        case 'u':
            for (size_t k = 2; k < 6; k++) {
                if (i + k >= p->len)
                    return fail_end(p, open, "unterminated string");
                if (vg_hex_digit(s[i + k]) < 0)
                    return fail(p, VG_ERR_INVALID, i, "invalid \\u escape");
            }
            i += 6;
            break;
        default:
            return fail(p, VG_ERR_INVALID, i, "invalid escape");
        }
    }
    size_t n = i - open - 1;
    p->i = i + 1;
    if (!escaped || !p->ev) {
        *out = (vg_span){s + open + 1, n}; /* check only: the text is not used */
        return VG_OK;
    }
    char *d = vg_event_alloc(p->ev, n);
    if (!d)
        return fail(p, VG_ERR_LIMIT, open, "string too large");
    *out = (vg_span){d, unescape(s + open + 1, s + i, d)};
    return VG_OK;
}

/* p->i is at '-' or a digit. On success *out is the literal and p->i is past it. */
static vg_status parse_number(jp *p, vg_span *out)
{
    const char *s = p->s;
    size_t b = p->i, i = p->i;
    if (s[i] == '-')
        i++;
    if (i >= p->len)
        return fail_end(p, i, "invalid number");
    if (!vg_is_digit(s[i]))
        return fail(p, VG_ERR_INVALID, i, "invalid number");
    if (s[i] == '0') {
        i++;
        if (i < p->len && vg_is_digit(s[i]))
            return fail(p, VG_ERR_INVALID, i, "invalid number");
    } else {
        while (i < p->len && vg_is_digit(s[i]))
            i++;
    }
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len)
            return fail_end(p, i, "invalid number");
        if (!vg_is_digit(s[i]))
            return fail(p, VG_ERR_INVALID, i, "invalid number");
        while (i < p->len && vg_is_digit(s[i]))
            i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= p->len)
            return fail_end(p, i, "invalid number");
        if (!vg_is_digit(s[i]))
            return fail(p, VG_ERR_INVALID, i, "invalid number");
        while (i < p->len && vg_is_digit(s[i]))
            i++;
    }
    /* "1x", "1.2.3", "-1-": name the number rather than the missing separator. */
    if (i < p->len) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-')
            return fail(p, VG_ERR_INVALID, i, "invalid number");
    }
    *out = (vg_span){s + b, i - b};
    p->i = i;
    return VG_OK;
}

/* p->i is at 't', 'f' or 'n'. */
static vg_status parse_literal(jp *p, vg_vtype *type, vg_span *out)
{
    static const char *const words[] = {"true", "false", "null"};
    const char *s = p->s + p->i;
    size_t left = p->len - p->i;
    int w = s[0] == 't' ? 0 : s[0] == 'f' ? 1 : 2;
    size_t n = strlen(words[w]);
    if (left < n && memcmp(s, words[w], left) == 0)
        return fail_end(p, p->i, "invalid literal");
    if (left < n || memcmp(s, words[w], n) != 0)
        return fail(p, VG_ERR_INVALID, p->i, "invalid literal");
    if (left > n) {
        char c = s[n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || vg_is_digit(c) || c == '_')
            return fail(p, VG_ERR_INVALID, p->i, "invalid literal");
    }
    *type = w == 2 ? VG_V_NULL : VG_V_BOOL;
    *out = (vg_span){s, n};
    p->i += n;
    return VG_OK;
}

/* vg_event_add failed with VG_ERR_LIMIT: say which limit. The event is in an unspecified
 * state after an error anyway, so probe it: a node at depth 1 still fits unless the node
 * count is exhausted (max_depth is at least 1). */
static vg_status limit_error(jp *p, size_t at)
{
    if (vg_event_add(p->ev, 0, VG_V_NULL, empty_span, empty_span, NULL) == VG_ERR_LIMIT)
        return fail(p, VG_ERR_LIMIT, at, "too many fields");
    return fail(p, VG_ERR_LIMIT, at, "nesting too deep");
}

/* vg_event_add returned rc != VG_OK for the value at byte at. */
static vg_status add_failed(jp *p, vg_status rc, size_t at)
{
    if (rc == VG_ERR_LIMIT)
        return limit_error(p, at);
    return fail(p, rc, at, rc == VG_ERR_NOMEM ? "out of memory" : "internal error");
}

enum {
    AFTER_OPEN,
    AFTER_COMMA,
    AFTER_VALUE
};

/* Open a container at p->i: parse: a node under *cur, which becomes the open one; check:
 * one level deeper. */
static vg_status open_container(jp *p, uint32_t *cur, vg_vtype type, vg_span key)
{
    size_t at = p->i;
    if (p->ev) {
        uint32_t idx;
        vg_status rc = vg_event_add_child(p->ev, *cur, type, key, empty_span, &idx);
        if (rc != VG_OK)
            return add_failed(p, rc, at);
        *cur = idx;
    } else {
        if (p->depth == VG_JSON_CHECK_DEPTH)
            return fail(p, VG_ERR_LIMIT, at, "nesting too deep");
        uint64_t bit = (uint64_t)1 << (p->depth % 64);
        if (type == VG_V_ARR)
            p->arrays[p->depth / 64] |= bit;
        else
            p->arrays[p->depth / 64] &= ~bit;
        p->depth++;
    }
    p->i++;
    return VG_OK;
}

/* Close the open container; false when it was the top-level one. Otherwise the parent is
 * open again and *in_obj says whether it is an object. */
static bool close_container(jp *p, uint32_t *cur, bool *in_obj)
{
    if (p->ev) {
        if (*cur == 0)
            return false;
        *cur = vg_event_node(p->ev, *cur)->parent;
        *in_obj = vg_event_node(p->ev, *cur)->type == VG_V_OBJ;
        return true;
    }
    if (--p->depth == 0)
        return false;
    uint32_t d = p->depth - 1;
    *in_obj = !((p->arrays[d / 64] >> (d % 64)) & 1);
    return true;
}

/* One value from p->s[p->i]: the whole record. Parse: the top level must be an object and
 * is node 0; check: an object or an array. */
static vg_status run(jp *p)
{
    const char *rec = p->s;
    size_t len = p->len;
    vg_status rc;
    skip_ws(p);
    if (p->i >= len)
        return fail_end(p, p->i, "empty record");
    uint32_t cur = 0; /* parse: the open container */
    bool in_obj = true;
    if (p->ev) {
        if (rec[p->i] != '{')
            return unexpected(p, "top-level value is not an object");
        p->i++;
    } else {
        if (rec[p->i] != '{' && rec[p->i] != '[')
            return unexpected(p, "top-level value is not an object or array");
        in_obj = rec[p->i] == '{';
        if ((rc = open_container(p, &cur, in_obj ? VG_V_OBJ : VG_V_ARR, empty_span)) != VG_OK)
            return rc;
    }

    int state = AFTER_OPEN;
    for (;;) {
        skip_ws(p);
        if (p->i >= len)
            return fail_end(p, len, "unexpected end of input");
        char c = rec[p->i];
        char closer = in_obj ? '}' : ']';

        if (state != AFTER_COMMA && c == closer) {
            p->i++;
            if (!close_container(p, &cur, &in_obj))
                break;
            state = AFTER_VALUE;
            continue;
        }
        if (state == AFTER_VALUE) {
            if (c != ',')
                return unexpected(p, in_obj ? "expected ',' or '}' after object member"
                                            : "expected ',' or ']' after array element");
            p->i++;
            state = AFTER_COMMA;
            continue;
        }
        if (state == AFTER_COMMA && c == closer)
            return fail(p, VG_ERR_INVALID, p->i,
                        in_obj ? "trailing comma in object" : "trailing comma in array");

        vg_span key = empty_span;
        if (in_obj) {
            if (c != '"')
                return unexpected(p, "expected string for object key");
            if ((rc = parse_string(p, &key)) != VG_OK)
                return rc;
            skip_ws(p);
            if (p->i >= len)
                return fail_end(p, len, "unexpected end of input");
            if (rec[p->i] != ':')
                return unexpected(p, "expected ':' after object key");
            p->i++;
            skip_ws(p);
            if (p->i >= len)
                return fail_end(p, len, "unexpected end of input");
            c = rec[p->i];
        }

        size_t at = p->i;
        vg_span text = empty_span;
        vg_vtype type = VG_V_NULL;
        switch (c) {
        case '{':
        case '[':
            type = c == '{' ? VG_V_OBJ : VG_V_ARR;
            if ((rc = open_container(p, &cur, type, key)) != VG_OK)
                return rc;
            in_obj = type == VG_V_OBJ;
            state = AFTER_OPEN;
            continue;
        case '"':
            type = VG_V_STR;
            rc = parse_string(p, &text);
            break;
        case 't':
        case 'f':
        case 'n':
            rc = parse_literal(p, &type, &text);
            break;
        case '-':
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
            type = VG_V_NUM;
            rc = parse_number(p, &text);
            break;
        default:
            return unexpected(p, "expected a value");
        }
        if (rc != VG_OK)
            return rc;
        if (p->ev && (rc = vg_event_add_child(p->ev, cur, type, key, text, NULL)) != VG_OK)
            return add_failed(p, rc, at);
        state = AFTER_VALUE;
    }

    if (p->head)
        return VG_OK;
    skip_ws(p);
    if (p->i < len)
        return unexpected(p, "trailing data after the json value");
    return VG_OK;
}

vg_status vg_parse_json(vg_event *ev, const char *rec, size_t len, vg_perr *err)
{
    jp p = {ev, rec, len, 0, err, false, 0, NULL, false};
    return run(&p);
}

vg_json_verdict vg_json_check(const char *s, size_t len)
{
    uint64_t arrays[VG_JSON_CHECK_DEPTH / 64] = {0};
    jp p = {NULL, s, len, 0, NULL, false, 0, arrays, false};
    if (run(&p) == VG_OK)
        return VG_JSON_VALUE;
    return p.ended ? VG_JSON_PREFIX : VG_JSON_INVALID;
}

vg_json_verdict vg_json_check_head(const char *s, size_t len, size_t *end)
{
    uint64_t arrays[VG_JSON_CHECK_DEPTH / 64] = {0};
    jp p = {NULL, s, len, 0, NULL, false, 0, arrays, true};
    if (run(&p) == VG_OK) {
        *end = p.i;
        return VG_JSON_VALUE;
    }
    return p.ended ? VG_JSON_PREFIX : VG_JSON_INVALID;
}
