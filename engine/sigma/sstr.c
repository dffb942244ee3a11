/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sstr.c: Sigma string values as part lists, and the transformation modifiers (see sstr.h).
 *
 * Design: every function describes its output once, as a sequence of emit calls on a
 * builder, and runs that description twice. The first pass only counts parts and literal
 * bytes; the second writes into two exact-size arena blocks (the part array and one byte
 * buffer that all literal parts point into). Memory use is exact and there is no growing.
 *
 * Invariants (of every vg_sstr produced here):
 * - Literal parts have len > 0; adjacent literals are merged (the builder extends the last
 *   part when it is a literal, which works because the byte buffer is append-only, so the
 *   last literal always ends at the buffer's end).
 * - No two VG_SP_ANY parts are adjacent ("**" collapses to "*").
 * - An empty value is n == 0, parts == NULL.
 * - The output is stored only after both passes succeed, so `in` may alias `out`.
 */
#include "sigma/sstr.h"

#include <string.h>

typedef struct builder {
    vg_spart *parts;    /* NULL in the counting pass */
    char *buf;          /* NULL in the counting pass */
    size_t n;           /* parts emitted so far */
    size_t blen;        /* literal bytes emitted so far */
    vg_spart_kind last; /* kind of parts[n - 1] when n > 0, tracked in both passes */
} builder;

/* Start pass `pass` (0 = count, 1 = write). Pass 1 allocates exactly what pass 0 counted. */
static bool start(vg_arena *a, builder *b, int pass)
{
    if (pass == 0) {
        memset(b, 0, sizeof(*b));
        return true;
    }
    if (b->n) {
        b->parts = vg_arena_alloc(a, b->n * sizeof(*b->parts));
        if (!b->parts)
            return false;
    }
    if (b->blen) {
        b->buf = vg_arena_alloc(a, b->blen);
        if (!b->buf)
            return false;
    }
    b->n = 0;
    b->blen = 0;
    return true;
}

static void finish(const builder *b, vg_sstr *out)
{
    out->parts = b->n ? b->parts : NULL;
    out->n = b->n;
}

static void emit_lit(builder *b, const void *p, size_t len)
{
    if (len == 0)
        return;
    if (b->n > 0 && b->last == VG_SP_LIT) {
        if (b->parts)
            b->parts[b->n - 1].len += len;
    } else {
        if (b->parts)
            b->parts[b->n] = (vg_spart){.kind = VG_SP_LIT, .p = b->buf + b->blen, .len = len};
        b->n++;
    }
    if (b->buf)
        memcpy(b->buf + b->blen, p, len);
    b->blen += len;
    b->last = VG_SP_LIT;
}

static void emit_byte(builder *b, unsigned char c)
{
    emit_lit(b, &c, 1);
}

/* A non-literal part; a '*' right after a '*' is dropped. */
static void emit_kind(builder *b, vg_spart_kind kind)
{
    if (kind == VG_SP_ANY && b->n > 0 && b->last == VG_SP_ANY)
        return;
    if (b->parts)
        b->parts[b->n] = (vg_spart){.kind = kind};
    b->n++;
    b->last = kind;
}

static void emit_part(builder *b, const vg_spart *sp)
{
    if (sp->kind == VG_SP_LIT)
        emit_lit(b, sp->p, sp->len);
    else
        emit_kind(b, sp->kind);
}

vg_status vg_sstr_parse(vg_arena *a, const char *text, size_t len, vg_sstr *out)
{
    builder e;
    for (int pass = 0; pass < 2; pass++) {
        if (!start(a, &e, pass))
            return VG_ERR_NOMEM;
        for (size_t i = 0; i < len; i++) {
            char c = text[i];
            if (c == '\\') {
                /* "\*", "\?", "\\" escape the next character; any other backslash is
                 * itself. */
                if (i + 1 < len &&
                    (text[i + 1] == '*' || text[i + 1] == '?' || text[i + 1] == '\\')) {
                    i++;
                    emit_lit(&e, text + i, 1);
                } else {
                    emit_lit(&e, "\\", 1);
                }
            } else if (c == '*') {
                emit_kind(&e, VG_SP_ANY);
            } else if (c == '?') {
                emit_kind(&e, VG_SP_ONE);
            } else {
                /* Take the whole run up to the next special character at once. */
                size_t j = i + 1;
                while (j < len && text[j] != '\\' && text[j] != '*' && text[j] != '?')
                    j++;
                emit_lit(&e, text + i, j - i);
                i = j - 1;
            }
        }
    }
    finish(&e, out);
    return VG_OK;
}

vg_status vg_sstr_literal(vg_arena *a, const char *p, size_t len, vg_sstr *out)
{
    builder e;
    for (int pass = 0; pass < 2; pass++) {
        if (!start(a, &e, pass))
            return VG_ERR_NOMEM;
        emit_lit(&e, p, len);
    }
    finish(&e, out);
    return VG_OK;
}

bool vg_sstr_is_plain(const vg_sstr *s, vg_span *lit)
{
    /* Relies on the merge invariant: a plain value is zero or one literal part. */
    vg_span v = {"", 0};
    if (s->n > 1 || (s->n == 1 && s->parts[0].kind != VG_SP_LIT))
        return false;
    if (s->n == 1)
        v = (vg_span){s->parts[0].p, s->parts[0].len};
    if (lit)
        *lit = v;
    return true;
}

vg_status
vg_sstr_wrap(vg_arena *a, const vg_sstr *in, bool any_before, bool any_after, vg_sstr *out)
{
    builder e;
    for (int pass = 0; pass < 2; pass++) {
        if (!start(a, &e, pass))
            return VG_ERR_NOMEM;
        if (any_before)
            emit_kind(&e, VG_SP_ANY);
        for (size_t i = 0; i < in->n; i++)
            emit_part(&e, &in->parts[i]);
        if (any_after)
            emit_kind(&e, VG_SP_ANY);
    }
    finish(&e, out);
    return VG_OK;
}

/* Length of the windash dash at p[0, len): 1 for '-' or '/', 3 for U+2013..U+2015 in UTF-8,
 * 0 when p does not start with one. */
static size_t dash_len(const unsigned char *p, size_t len)
{
    if (p[0] == '-' || p[0] == '/')
        return 1;
    if (len >= 3 && p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x93 && p[2] <= 0x95)
        return 3;
    return 0;
}

vg_status vg_sstr_windash(vg_arena *a, const vg_sstr *in, vg_sstr *out)
{
    builder e;
    for (int pass = 0; pass < 2; pass++) {
        if (!start(a, &e, pass))
            return VG_ERR_NOMEM;
        for (size_t i = 0; i < in->n; i++) {
            const vg_spart *sp = &in->parts[i];
            if (sp->kind != VG_SP_LIT) {
                emit_part(&e, sp);
                continue;
            }
            const unsigned char *p = (const unsigned char *)sp->p;
            size_t run = 0; /* start of the pending literal run */
            for (size_t j = 0; j < sp->len;) {
                size_t d = dash_len(p + j, sp->len - j);
                if (d == 0) {
                    j++;
                    continue;
                }
                emit_lit(&e, p + run, j - run);
                emit_kind(&e, VG_SP_DASH);
                j += d;
                run = j;
            }
            emit_lit(&e, p + run, sp->len - run);
        }
    }
    finish(&e, out);
    return VG_OK;
}

/* Decode one UTF-8 sequence at p[0, len) (len > 0). Returns its length and stores the code
 * point; a byte that does not start a well-formed sequence (overlong, surrogate, above
 * U+10FFFF, truncated) decodes alone as U+00xx. */
static size_t utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *cp = c;
        return 1;
    }
    if (len < n || p[1] < lo || p[1] > hi) {
        *cp = c;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = c;
            return 1;
        }
        v = (v << 6) | (p[i] & 0x3F);
    }
    *cp = v;
    return n;
}

static void emit_unit(builder *e, uint32_t u, bool be)
{
    unsigned char b[2] = {(unsigned char)(u & 0xFF), (unsigned char)(u >> 8)};
    if (be) {
        unsigned char t = b[0];
        b[0] = b[1];
        b[1] = t;
    }
    emit_lit(e, b, 2);
}

vg_status vg_sstr_utf16(vg_arena *a, const vg_sstr *in, vg_utf16_kind kind, vg_sstr *out)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->parts[i].kind == VG_SP_ONE || in->parts[i].kind == VG_SP_DASH)
            return VG_ERR_UNSUPPORTED;
    bool be = kind == VG_UTF16_BE;
    builder e;
    for (int pass = 0; pass < 2; pass++) {
        if (!start(a, &e, pass))
            return VG_ERR_NOMEM;
        if (kind == VG_UTF16_BOM)
            emit_lit(&e, "\xFF\xFE", 2);
        for (size_t i = 0; i < in->n; i++) {
            const vg_spart *sp = &in->parts[i];
            if (sp->kind != VG_SP_LIT) {
                emit_part(&e, sp);
                continue;
            }
            const unsigned char *p = (const unsigned char *)sp->p;
            for (size_t j = 0; j < sp->len;) {
                uint32_t cp;
                j += utf8_decode(p + j, sp->len - j, &cp);
                if (cp < 0x10000) {
                    emit_unit(&e, cp, be);
                } else {
                    cp -= 0x10000;
                    emit_unit(&e, 0xD800 | (cp >> 10), be);
                    emit_unit(&e, 0xDC00 | (cp & 0x3FF), be);
                }
            }
        }
    }
    finish(&e, out);
    return VG_OK;
}

/* Character k of the standard base64 encoding (with padding) of `shift` zero bytes followed
 * by v[0, n). */
static char b64_at(const unsigned char *v, size_t n, size_t shift, size_t k)
{
    static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t total = n + shift;
    size_t base = k / 4 * 3, r = k % 4;
    size_t have = total - base > 3 ? 3 : total - base; /* real bytes in this group, >= 1 */
    if (r > have)
        return '=';
    uint32_t w = 0;
    for (size_t j = base; j < base + 3; j++) {
        unsigned char byte = 0;
        if (j >= shift && j < total)
            byte = v[j - shift];
        w = (w << 8) | byte;
    }
    return alphabet[(w >> (18 - 6 * r)) & 63];
}

static size_t b64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

/* Emit characters [from, to) of the encoding of `shift` zero bytes + v. */
static void emit_b64(builder *e, vg_span v, size_t shift, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        emit_byte(e, (unsigned char)b64_at((const unsigned char *)v.p, v.len, shift, k));
}

vg_status vg_sstr_base64(vg_arena *a, const vg_sstr *in, vg_sstr *out)
{
    vg_span v;
    if (!vg_sstr_is_plain(in, &v))
        return VG_ERR_UNSUPPORTED;
    builder e;
    for (int pass = 0; pass < 2; pass++) {
        if (!start(a, &e, pass))
            return VG_ERR_NOMEM;
        emit_b64(&e, v, 0, 0, b64_len(v.len));
    }
    finish(&e, out);
    return VG_OK;
}

vg_status vg_sstr_base64offset(vg_arena *a, const vg_sstr *in, vg_sstr out[3])
{
    /* For shift i, the first skip[i] characters depend on the unknown bytes before the
     * value and the last cut[(len + i) % 3] on the unknown bytes after it (or are padding). */
    static const size_t skip[3] = {0, 2, 3};
    static const size_t cut[3] = {0, 3, 2};
    vg_span v;
    if (!vg_sstr_is_plain(in, &v))
        return VG_ERR_UNSUPPORTED;
    vg_sstr res[3];
    for (size_t i = 0; i < 3; i++) {
        size_t total = b64_len(v.len + i);
        size_t from = skip[i];
        size_t to = total - cut[(v.len + i) % 3];
        builder e;
        for (int pass = 0; pass < 2; pass++) {
            if (!start(a, &e, pass))
                return VG_ERR_NOMEM;
            if (to > from)
                emit_b64(&e, v, i, from, to);
        }
        finish(&e, &res[i]);
    }
    for (size_t i = 0; i < 3; i++)
        out[i] = res[i];
    return VG_OK;
}
