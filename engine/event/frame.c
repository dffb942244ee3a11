/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frame.c: where the next record ends in a byte stream (vg_frame_next, see vigil/parse.h).
 *
 * DESIGN
 * Stateless: every call looks only at buf[0, len) and says what to do with its head, so a
 * caller can keep any buffer it likes and call again after consuming *used bytes or after
 * reading more. Nothing is copied; records are spans into buf. Bracket matching stops at
 * the first newline outside a string; a value that goes on past it is read by the
 * well-formedness check no further than where it closes or goes wrong (vg_json_check_head),
 * and at most max bytes. So a line that opens a value and never closes costs about its own
 * length, and a stream is framed in linear time (per buffer refill) even when many records
 * never close.
 *
 * Resynchronisation: a line of garbage that opens a bracket it never closes (binary bytes
 * holding '{', a record cut short) must not swallow the good one-per-line records after it.
 * So a bracket-framed value that spans more than one line is checked to be well-formed JSON
 * (vg_json_check: the JSON parser's own pass, keeping nothing); if it is not, only its first
 * line is reported (VG_FRAME_BAD) and framing resumes on the next line. A value that has not
 * closed yet but already spans lines is checked too: when what is there can no longer
 * become valid JSON, its first line is reported at once instead of waiting for more bytes
 * (a live stream) or for max bytes (which would drop the good records inside them). A
 * value on one line is never checked, so one-per-line and concatenated records cost what
 * bracket matching costs; a pretty-printed value costs one more pass. A malformed
 * pretty-printed value is then reported line by line, and one nested deeper than
 * VG_JSON_CHECK_DEPTH (4096) over several lines counts as malformed.
 *
 * Choice of framing: VG_FMT_JSON frames JSON; VG_FMT_AUTO frames JSON when the first byte
 * that is not JSON whitespace (space, tab, CR, LF) is '{' (only objects are events; a line
 * such as "[2024-01-01 10:00] msg" is a log line, not JSON); anything else (and AUTO with
 * only whitespace so far) frames lines.
 *
 * CONTRACTS
 * Line framing: a record is one line without its "\n" or "\r\n", starting at buf[0] (leading
 * blanks are kept). Runs of blank lines (only spaces, tabs and CRs) are one VG_FRAME_SKIP.
 * The last line without a newline is a record only when eof; before that it is
 * VG_FRAME_NEED, unless it has reached max bytes: then it is VG_FRAME_OVERSIZE with
 * *used == len (the caller's buffer may be no bigger than max, so waiting could stall).
 * A complete line longer than max is VG_FRAME_OVERSIZE consuming the line and its newline.
 *
 * JSON framing: leading whitespace is skipped; when the buffer holds nothing else it is one
 * VG_FRAME_SKIP of all of it. Otherwise the skipped prefix is part of *used and *start is
 * past it. From there, one value is found by bracket matching that knows strings and
 * backslash escapes (a '}' inside a string does not count); the record ends at its closing
 * bracket (following bytes, even on the same line, are the next call's business). A value
 * that does not start with '{' or '[' (a bare scalar such as 42, or garbage) is framed as
 * one line. Then:
 *   - closed within max bytes, on one line (content errors are the parser's to report) or
 *     over several lines and well-formed JSON: VG_FRAME_RECORD;
 *   - closed over several lines but not well-formed, or not closed yet, spanning lines, and
 *     already malformed: VG_FRAME_BAD for the first line, *used through its newline;
 *   - not closed, fewer than max bytes, !eof: VG_FRAME_NEED; if whitespace was skipped it
 *     is consumed first with VG_FRAME_SKIP, so a full buffer always makes progress;
 *   - not closed within max bytes (eof or not): VG_FRAME_OVERSIZE, consuming through the
 *     first newline at or after byte max of the value (for one-object-per-line input, the
 *     end of the record), or all of buf when there is none;
 *   - not closed, fewer than max bytes, eof: VG_FRAME_BAD for the record's first line;
 *     *used goes through that line's newline, so framing resumes (resyncs) on the next line.
 *
 * OVERSIZE and BAD report [*start, *start + *rec_len): the part of the record in buf that
 * *used consumes, without the line end. After VG_FRAME_OVERSIZE whose consumed bytes do not
 * end with '\n' (then *used == len) and !eof, the record goes on in the bytes still to
 * come: the caller discards input through the next '\n' (for both framings), then resumes.
 * len == 0 is VG_FRAME_NEED, at eof too (there is nothing left to frame).
 *
 * Thread: reentrant. Allocation: none.
 */
#include "vigil/parse.h"
#include "event/frame_close.h"
#include "event/json_check.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* End of the line that starts at from: *end excludes "\n" / "\r\n", *next is past the newline.
 * Returns false when buf holds no newline after from (*end = *next = len). */
static bool line_end(const char *buf, size_t from, size_t len, size_t *end, size_t *next)
{
    const char *nl = memchr(buf + from, '\n', len - from);
    if (!nl) {
        *end = *next = len;
        return false;
    }
    size_t e = (size_t)(nl - buf);
    *next = e + 1;
    if (e > from && buf[e - 1] == '\r')
        e--;
    *end = e;
    return true;
}

/* One line starting at from; *used includes the from bytes before it. */
static vg_frame_result frame_line(const char *buf,
                                  size_t from,
                                  size_t len,
                                  bool eof,
                                  size_t max,
                                  size_t *start,
                                  size_t *rec_len,
                                  size_t *used)
{
    size_t end, next;
    bool nl = line_end(buf, from, len, &end, &next);
    *start = from;
    if (!nl && !eof) {
        if (len - from < max)
            return VG_FRAME_NEED;
        *rec_len = len - from;
        *used = len;
        return VG_FRAME_OVERSIZE;
    }
    if (!nl && end > from && buf[end - 1] == '\r')
        end--; /* "...\r" at eof */
    *rec_len = end - from;
    *used = next;
    return end - from > max ? VG_FRAME_OVERSIZE : VG_FRAME_RECORD;
}

static vg_frame_result frame_lines(const char *buf,
                                   size_t len,
                                   bool eof,
                                   size_t max,
                                   size_t *start,
                                   size_t *rec_len,
                                   size_t *used)
{
    size_t skipped = 0;
    for (;;) {
        size_t i = skipped;
        while (i < len && is_blank(buf[i]))
            i++;
        if (i < len && buf[i] == '\n') {
            skipped = i + 1;
            continue;
        }
        if (i == len && eof)
            skipped = len;
        break;
    }
    if (skipped) {
        *used = skipped;
        return VG_FRAME_SKIP;
    }
    return frame_line(buf, 0, len, eof, max, start, rec_len, used);
}

/* The first '"' in buf[i, stop), or stop: sixteen bytes at a time where SSE2 is there
 * (strings are most of a record, and most are short: no call per string). */
static size_t find_quote(const char *buf, size_t i, size_t stop)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    for (; stop - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < stop && buf[i] != '"')
        i++;
    return i;
}

size_t vg_frame_close_bytes(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in)
{
    size_t depth = 0;
    *nl = *nl_in = false;
    for (size_t i = b; i < stop; i++) {
        char c = buf[i];
        if (c == '"') {
            /* string body: only a quote or a backslash matters */
            size_t body = i + 1;
            for (i = body;;) {
                i = find_quote(buf, i, stop);
                if (i == stop)
                    return 0;
                /* escaped when preceded by an odd run of backslashes */
                size_t j = i;
                while (j > body && buf[j - 1] == '\\')
                    j--;
                if ((i - j) % 2 == 0)
                    break;
                i++;
            }
            if (memchr(buf + body, '\n', i - body))
                *nl_in = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        } else if (c == '\n') {
            *nl = true;
            return 0;
        }
    }
    return 0;
}

#if defined(__SSE2__)
/* Sixty-four bytes as bit masks (bit k: byte k). */
typedef struct block64 {
    uint64_t quote, bslash, open, close, nl;
} block64;

static uint64_t mask16(__m128i v, __m128i c, unsigned k)
{
    return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) << (16 * k);
}

static void classify_sse2(const char *p, block64 *m)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}'), nl = _mm_set1_epi8('\n'),
                  lower = _mm_set1_epi8(0x20);
    *m = (block64){0, 0, 0, 0, 0};
    for (unsigned k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i f = _mm_or_si128(v, lower); /* '[' (0x5b) -> '{', ']' (0x5d) -> '}' */
        m->quote |= mask16(v, quote, k);
        m->bslash |= mask16(v, bslash, k);
        m->open |= mask16(f, open, k);
        m->close |= mask16(f, close, k);
        m->nl |= mask16(v, nl, k);
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#define FRAME_AVX2 1
__attribute__((target("avx2"))) static uint64_t mask32(__m256i v, __m256i c, unsigned k)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, c)) << (32 * k);
}

/* classify_sse2 thirty-two bytes at a time, on CPUs with AVX2 */
__attribute__((target("avx2"))) static void classify_avx2(const char *p, block64 *m)
{
    const __m256i quote = _mm256_set1_epi8('"'), bslash = _mm256_set1_epi8('\\'),
                  open = _mm256_set1_epi8('{'), close = _mm256_set1_epi8('}'),
                  nl = _mm256_set1_epi8('\n'), lower = _mm256_set1_epi8(0x20);
    *m = (block64){0, 0, 0, 0, 0};
    for (unsigned k = 0; k < 2; k++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
        __m256i f = _mm256_or_si256(v, lower);
        m->quote |= mask32(v, quote, k);
        m->bslash |= mask32(v, bslash, k);
        m->open |= mask32(f, open, k);
        m->close |= mask32(f, close, k);
        m->nl |= mask32(v, nl, k);
    }
}
#endif

/* Set bits of x, without the POPCNT instruction that a generic x86-64 build cannot assume. */
static unsigned bit_count(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/* The bytes that a backslash escapes: the one after each run of odd length. *carry (in and
 * out): byte 0 is escaped by a run that ended the previous block. A run that starts at an
 * even bit, plus that bit, carries to the bit past its end; the run was odd when that bit
 * is odd (likewise from odd starts). Runs are apart by at least one zero bit, so the carries
 * do not meet; a run from an odd start through bit 63 carries out: byte 0 of the next
 * block is escaped. */
static uint64_t escaped_bytes(uint64_t bslash, uint64_t *carry)
{
    if (!(bslash | *carry))
        return 0;
    const uint64_t even = 0x5555555555555555ull;
    uint64_t b = bslash & ~*carry;
    uint64_t starts = b & ~(b << 1);
    uint64_t from_even = (b + (starts & even)) & ~b;
    uint64_t sum_odd = b + (starts & ~even);
    uint64_t esc = (from_even & ~even) | (sum_odd & ~b & even) | *carry;
    *carry = sum_odd < b;
    return esc;
}

/* Inclusive prefix XOR: bit k is the parity of bits 0..k. */
static uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* Strings come from the unescaped quotes (a string's bytes: its opening quote up to its
 * closing one); brackets and newlines outside them are what framing follows. A backslash
 * outside a string escapes nothing in vg_frame_close_bytes, which escaped_bytes does not
 * know: such a value (not JSON) is left to it. */
/* The block loop, for one way to classify and to take prefix XORs (inlined into each). */
static inline __attribute__((always_inline)) size_t close_blocks(const char *buf,
                                                                 size_t b,
                                                                 size_t stop,
                                                                 bool *nl,
                                                                 bool *nl_in,
                                                                 void (*cls)(const char *,
                                                                             block64 *),
                                                                 uint64_t (*pxor)(uint64_t))
{
    uint64_t esc_carry = 0, str_carry = 0, nl_strings = 0;
    size_t depth = 0;
    *nl = *nl_in = false;
    for (size_t p = b; p < stop; p += 64) {
        char tail[64];
        const char *at = buf + p;
        if (stop - p < 64) { /* the last bytes, padded with NULs (none of the bytes looked for) */
            memset(tail, 0, sizeof(tail));
            memcpy(tail, at, stop - p);
            at = tail;
        }
        block64 m;
        cls(at, &m);
        uint64_t esc = escaped_bytes(m.bslash, &esc_carry);
        uint64_t in_str = pxor(m.quote & ~esc) ^ str_carry;
        str_carry = (uint64_t)0 - (in_str >> 63);
        if (m.bslash & ~in_str)
            return vg_frame_close_bytes(buf, b, stop, nl, nl_in);
        uint64_t opens = m.open & ~in_str, closes = m.close & ~in_str, nls = m.nl & ~in_str;
        uint64_t events = opens | closes | nls;
        /* no newline, and the closes cannot bring the depth to 0: take the block whole */
        if (!nls && bit_count(closes) < depth) {
            depth += bit_count(opens);
            depth -= bit_count(closes);
            nl_strings |= m.nl;
            continue;
        }
        for (; events; events &= events - 1) {
            unsigned k = (unsigned)__builtin_ctzll(events);
            uint64_t bit = 1ull << k;
            if (nls & bit) {
                *nl = true;
                return 0;
            }
            if (opens & bit) {
                depth++;
            } else if (--depth == 0) {
                *nl_in = ((nl_strings | (m.nl & (bit - 1))) != 0);
                return p + k + 1;
            }
        }
        nl_strings |= m.nl;
    }
    return 0;
}

static size_t close_sse2(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in)
{
    return close_blocks(buf, b, stop, nl, nl_in, classify_sse2, prefix_xor);
}

#ifdef FRAME_AVX2
/* prefix_xor in one carry-less multiply by all ones */
__attribute__((target("avx2,pclmul"))) static uint64_t prefix_xor_clmul(uint64_t x)
{
    __m128i r = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)x), _mm_set1_epi8((char)0xff), 0);
    return (uint64_t)_mm_cvtsi128_si64(r);
}

__attribute__((target("avx2,pclmul"))) static size_t
close_avx2(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in)
{
    return close_blocks(buf, b, stop, nl, nl_in, classify_avx2, prefix_xor_clmul);
}
#endif

size_t vg_frame_close_isa(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in, bool avx2)
{
#ifdef FRAME_AVX2
    if (avx2)
        return close_avx2(buf, b, stop, nl, nl_in);
#else
    (void)avx2;
#endif
    return close_sse2(buf, b, stop, nl, nl_in);
}

size_t vg_frame_close(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in)
{
#ifdef FRAME_AVX2
    bool fast = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
    return vg_frame_close_isa(buf, b, stop, nl, nl_in, fast);
#else
    return vg_frame_close_isa(buf, b, stop, nl, nl_in, false);
#endif
}
#else
size_t vg_frame_close(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in)
{
    return vg_frame_close_bytes(buf, b, stop, nl, nl_in);
}

size_t vg_frame_close_isa(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in, bool avx2)
{
    (void)avx2;
    return vg_frame_close_bytes(buf, b, stop, nl, nl_in);
}
#endif

/* The value starting at buf[b] is reported by its first line; framing resumes after it. */
static vg_frame_result
first_line_bad(const char *buf, size_t b, size_t len, size_t *rec_len, size_t *used)
{
    size_t e, next;
    line_end(buf, b, len, &e, &next);
    *rec_len = e - b;
    *used = next;
    return VG_FRAME_BAD;
}

static vg_frame_result frame_json(const char *buf,
                                  size_t len,
                                  bool eof,
                                  size_t max,
                                  size_t *start,
                                  size_t *rec_len,
                                  size_t *used)
{
    size_t b = 0;
    while (b < len && is_ws(buf[b]))
        b++;
    if (b == len) {
        *used = len;
        return VG_FRAME_SKIP;
    }
    vg_frame_result r;
    if (buf[b] != '{' && buf[b] != '[') {
        r = frame_line(buf, b, len, eof, max, start, rec_len, used);
    } else {
        size_t stop = len - b > max ? b + max : len;
        bool nl, nl_in;
        size_t end = vg_frame_close(buf, b, stop, &nl, &nl_in);
        *start = b;
        if (end) {
            /* one line: as framed (the parser judges it); over several: only when valid (a
             * value that closes has no newline outside its strings) */
            if (!nl_in || vg_json_check(buf + b, end - b) == VG_JSON_VALUE) {
                *rec_len = end - b;
                *used = end;
                return VG_FRAME_RECORD;
            }
            return first_line_bad(buf, b, len, rec_len, used);
        }
        /* not closed, over several lines: the check reads no further than where the value
         * closes or goes wrong, so a garbage line costs about its own length */
        if (nl || memchr(buf + b, '\n', stop - b)) {
            size_t vend;
            vg_json_verdict v = vg_json_check_head(buf + b, stop - b, &vend);
            if (v == VG_JSON_VALUE) {
                *rec_len = vend;
                *used = b + vend;
                return VG_FRAME_RECORD;
            }
            if (v == VG_JSON_INVALID)
                return first_line_bad(buf, b, len, rec_len, used);
        }
        if (len - b >= max) {
            size_t e, next;
            line_end(buf, b + max, len, &e, &next);
            *rec_len = e - b;
            *used = next;
            return VG_FRAME_OVERSIZE;
        }
        if (eof)
            return first_line_bad(buf, b, len, rec_len, used);
        r = VG_FRAME_NEED;
    }
    if (r == VG_FRAME_NEED && b > 0) {
        *start = *rec_len = 0;
        *used = b;
        return VG_FRAME_SKIP;
    }
    return r;
}

vg_frame_result vg_frame_next(vg_format fmt,
                              const char *buf,
                              size_t len,
                              bool eof,
                              size_t max,
                              size_t *start,
                              size_t *rec_len,
                              size_t *used)
{
    *start = *rec_len = *used = 0;
    if (len == 0)
        return VG_FRAME_NEED;
    bool json = fmt == VG_FMT_JSON;
    if (fmt == VG_FMT_AUTO) {
        size_t i = 0;
        while (i < len && is_ws(buf[i]))
            i++;
        json = i < len && buf[i] == '{';
    }
    if (json)
        return frame_json(buf, len, eof, max, start, rec_len, used);
    return frame_lines(buf, len, eof, max, start, rec_len, used);
}
