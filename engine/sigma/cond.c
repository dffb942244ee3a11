/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cond.c: parser for the Sigma `condition:` expression (see cond.h) and the "of" pattern
 * matcher.
 *
 * Design: a stateless lexer (lex() scans one token starting at a byte offset, so peeking
 * two tokens ahead costs nothing) feeding a recursive-descent parser with one function per
 * precedence level: or < and < not < "x of" < parentheses. "and"/"or" chains are loops and
 * build left-associative trees. The only recursion is "(" expr ")" and "not" not, so the C
 * stack grows with their nesting only, which the depth limit bounds.
 *
 * Invariants:
 * - p->depth counts the open parentheses plus the "not"s being parsed; it never exceeds
 *   VG_COND_MAX_DEPTH (one more is VG_ERR_LIMIT), which bounds the recursion.
 * - The first error wins: fail() records it only while err->code is VG_OK, and every parse
 *   function returns NULL once an error is recorded.
 * - Nodes and names live in the caller's arena; nothing is allocated elsewhere.
 * - A node's pos is the offset of the first token of its own syntax: the identifier, the
 *   "not", the quantifier, or (AND/OR) the left operand's pos. Parentheses are transparent.
 * - A '|' anywhere is the deprecated aggregation syntax: it is reported (VG_ERR_UNSUPPORTED)
 *   before parsing, since no valid condition contains one.
 * - A bare number is a quantifier only when "of" follows it; otherwise it is an identifier
 *   (a detection may be named "1").
 */
#include "sigma/cond.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef enum tkind {
    T_EOF,
    T_IDENT, /* [A-Za-z0-9_.*-]+ that is not a keyword */
    T_LPAREN,
    T_RPAREN,
    T_AND,
    T_OR,
    T_NOT,
    T_OF,
    T_THEM,
    T_ALL,
    T_ANY,
    T_BAD /* a byte that starts no token */
} tkind;

typedef struct token {
    tkind kind;
    size_t pos;  /* offset of the first byte */
    size_t end;  /* offset just past the last byte */
    bool star;   /* T_IDENT: contains '*' */
    bool digits; /* T_IDENT: only decimal digits */
} token;

typedef struct parser {
    vg_arena *arena;
    const char *s;
    size_t len;
    size_t at;       /* offset where the next token scan starts */
    unsigned depth;  /* open parentheses plus enclosing "not"s */
    unsigned parens; /* open parentheses */
    vg_cond_err *err;
} parser;

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '*';
}

static bool word_is(const char *p, size_t n, const char *kw)
{
    size_t i = 0;
    for (; i < n && kw[i]; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)kw[i])
            return false;
    }
    return i == n && kw[i] == '\0';
}

static tkind keyword(const char *p, size_t n)
{
    static const struct {
        const char *word;
        tkind kind;
    } kws[] = {{"and", T_AND},   {"or", T_OR},   {"not", T_NOT}, {"of", T_OF},
               {"them", T_THEM}, {"all", T_ALL}, {"any", T_ANY}};
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
        if (word_is(p, n, kws[i].word))
            return kws[i].kind;
    return T_IDENT;
}

/* Scan one token starting at offset `at` (leading whitespace skipped). */
static token lex(const parser *p, size_t at)
{
    while (at < p->len && is_space((unsigned char)p->s[at]))
        at++;
    token t = {.kind = T_EOF, .pos = at, .end = at};
    if (at >= p->len)
        return t;
    unsigned char c = (unsigned char)p->s[at];
    t.end = at + 1;
    if (c == '(') {
        t.kind = T_LPAREN;
    } else if (c == ')') {
        t.kind = T_RPAREN;
    } else if (is_ident_char(c)) {
        size_t e = at;
        t.digits = true;
        while (e < p->len && is_ident_char((unsigned char)p->s[e])) {
            unsigned char d = (unsigned char)p->s[e];
            if (d == '*')
                t.star = true;
            if (d < '0' || d > '9')
                t.digits = false;
            e++;
        }
        t.end = e;
        t.kind = keyword(p->s + at, e - at);
    } else {
        t.kind = T_BAD;
    }
    return t;
}

static token peek(const parser *p)
{
    return lex(p, p->at);
}

static void advance(parser *p, const token *t)
{
    p->at = t->end;
}

static void fail(parser *p, vg_status code, size_t pos, const char *fmt, ...) VG_PRINTF(4, 5);

static void fail(parser *p, vg_status code, size_t pos, const char *fmt, ...)
{
    if (p->err->code != VG_OK)
        return;
    p->err->code = code;
    p->err->pos = (uint32_t)pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
    va_end(ap);
}

/* Describe a token for an error message: 'text' (cut at 32 bytes), "')'", or "end of
 * condition". Writes into buf (NUL-terminated) and returns it. */
static const char *describe(const parser *p, const token *t, char *buf, size_t size)
{
    if (t->kind == T_EOF) {
        snprintf(buf, size, "end of condition");
    } else if (t->kind == T_BAD) {
        unsigned char c = (unsigned char)p->s[t->pos];
        if (c >= 0x21 && c < 0x7f)
            snprintf(buf, size, "character '%c'", c);
        else
            snprintf(buf, size, "byte 0x%02x", c);
    } else {
        size_t n = t->end - t->pos;
        snprintf(buf, size, "'%.*s%s'", (int)(n > 32 ? 32 : n), p->s + t->pos, n > 32 ? "..." : "");
    }
    return buf;
}

static vg_cond *new_node(parser *p, vg_cond_kind kind, size_t pos)
{
    vg_cond *n = vg_arena_alloc(p->arena, sizeof(*n));
    if (!n) {
        fail(p, VG_ERR_NOMEM, pos, "out of memory");
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->pos = (uint32_t)pos;
    return n;
}

/* A node carrying the text of token t as its name. */
static vg_cond *new_named(parser *p, vg_cond_kind kind, const token *t)
{
    vg_cond *n = new_node(p, kind, t->pos);
    if (!n)
        return NULL;
    n->name = vg_arena_strndup(p->arena, p->s + t->pos, t->end - t->pos);
    if (!n->name) {
        fail(p, VG_ERR_NOMEM, t->pos, "out of memory");
        return NULL;
    }
    return n;
}

static bool enter(parser *p, size_t pos)
{
    if (p->depth >= VG_COND_MAX_DEPTH) {
        fail(p, VG_ERR_LIMIT, pos, "condition nested deeper than %d levels at offset %zu",
             VG_COND_MAX_DEPTH, pos);
        return false;
    }
    p->depth++;
    return true;
}

static vg_cond *parse_or(parser *p);

/* Parse the quantifier token q (already known to be followed by "of"). */
static bool quantifier(parser *p, const token *q, uint32_t *out)
{
    if (q->kind == T_ALL) {
        *out = 0;
        return true;
    }
    if (q->kind == T_ANY) {
        *out = 1;
        return true;
    }
    uint64_t v = 0;
    for (size_t i = q->pos; i < q->end; i++) {
        v = v * 10 + (uint64_t)(p->s[i] - '0');
        if (v > UINT32_MAX) {
            fail(p, VG_ERR_INVALID, q->pos, "quantifier too large at offset %zu", q->pos);
            return false;
        }
    }
    if (v == 0) {
        fail(p, VG_ERR_INVALID, q->pos, "quantifier must be at least 1 at offset %zu", q->pos);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* of := QUANT "of" (IDENT_PATTERN | "them") | primary
 * primary := IDENT | "(" or ")" */
static vg_cond *parse_of(parser *p)
{
    char what[64];
    token t = peek(p);
    bool quant = t.kind == T_ALL || t.kind == T_ANY;
    if (t.kind == T_IDENT && t.digits) {
        token next = lex(p, t.end);
        quant = next.kind == T_OF;
    }
    if (quant) {
        advance(p, &t);
        token of = peek(p);
        if (of.kind != T_OF) {
            fail(p, VG_ERR_INVALID, of.pos,
                 "expected 'of' after quantifier at offset %zu, found %s", of.pos,
                 describe(p, &of, what, sizeof(what)));
            return NULL;
        }
        advance(p, &of);
        vg_cond *n = new_node(p, VG_COND_OF, t.pos);
        if (!n || !quantifier(p, &t, &n->quant))
            return NULL;
        token pat = peek(p);
        if (pat.kind == T_THEM) {
            advance(p, &pat);
            return n;
        }
        if (pat.kind != T_IDENT) {
            fail(p, VG_ERR_INVALID, pat.pos,
                 "expected identifier pattern or 'them' after 'of' at offset %zu, found %s",
                 pat.pos, describe(p, &pat, what, sizeof(what)));
            return NULL;
        }
        advance(p, &pat);
        n->name = vg_arena_strndup(p->arena, p->s + pat.pos, pat.end - pat.pos);
        if (!n->name) {
            fail(p, VG_ERR_NOMEM, pat.pos, "out of memory");
            return NULL;
        }
        return n;
    }
    if (t.kind == T_IDENT) {
        if (t.star) {
            fail(p, VG_ERR_INVALID, t.pos,
                 "wildcard '*' is only allowed in 'of' patterns, found %s at offset %zu",
                 describe(p, &t, what, sizeof(what)), t.pos);
            return NULL;
        }
        advance(p, &t);
        return new_named(p, VG_COND_ID, &t);
    }
    if (t.kind == T_LPAREN) {
        if (!enter(p, t.pos))
            return NULL;
        advance(p, &t);
        p->parens++;
        vg_cond *inner = parse_or(p);
        if (!inner)
            return NULL;
        token close = peek(p);
        if (close.kind != T_RPAREN) {
            fail(p, VG_ERR_INVALID, close.pos,
                 "missing ')' at offset %zu to close '(' at offset %zu, found %s", close.pos, t.pos,
                 describe(p, &close, what, sizeof(what)));
            return NULL;
        }
        advance(p, &close);
        p->parens--;
        p->depth--;
        return inner;
    }
    if (t.kind == T_RPAREN && p->parens == 0) {
        fail(p, VG_ERR_INVALID, t.pos, "unbalanced ')' at offset %zu", t.pos);
        return NULL;
    }
    if (t.kind == T_BAD) {
        fail(p, VG_ERR_INVALID, t.pos, "unexpected %s at offset %zu",
             describe(p, &t, what, sizeof(what)), t.pos);
        return NULL;
    }
    fail(p, VG_ERR_INVALID, t.pos, "expected identifier or '(' at offset %zu, found %s", t.pos,
         describe(p, &t, what, sizeof(what)));
    return NULL;
}

/* not := "not" not | of */
static vg_cond *parse_not(parser *p)
{
    token t = peek(p);
    if (t.kind != T_NOT)
        return parse_of(p);
    if (!enter(p, t.pos))
        return NULL;
    advance(p, &t);
    vg_cond *operand = parse_not(p);
    if (!operand)
        return NULL;
    p->depth--;
    vg_cond *n = new_node(p, VG_COND_NOT, t.pos);
    if (!n)
        return NULL;
    n->a = operand;
    return n;
}

static vg_cond *parse_binary(parser *p, tkind op, vg_cond_kind kind, vg_cond *(*operand)(parser *))
{
    vg_cond *left = operand(p);
    if (!left)
        return NULL;
    for (token t = peek(p); t.kind == op; t = peek(p)) {
        advance(p, &t);
        vg_cond *right = operand(p);
        if (!right)
            return NULL;
        vg_cond *n = new_node(p, kind, left->pos);
        if (!n)
            return NULL;
        n->a = left;
        n->b = right;
        left = n;
    }
    return left;
}

static vg_cond *parse_and(parser *p)
{
    return parse_binary(p, T_AND, VG_COND_AND, parse_not);
}

static vg_cond *parse_or(parser *p)
{
    return parse_binary(p, T_OR, VG_COND_OR, parse_and);
}

vg_cond *vg_cond_parse(vg_arena *a, const char *s, size_t len, vg_cond_err *err)
{
    memset(err, 0, sizeof(*err));
    parser p = {.arena = a, .s = s, .len = len, .err = err};
    if (len > UINT32_MAX) {
        fail(&p, VG_ERR_LIMIT, 0, "condition longer than %u bytes", (unsigned)UINT32_MAX);
        return NULL;
    }
    const char *bar = len ? memchr(s, '|', len) : NULL;
    if (bar) {
        size_t at = (size_t)(bar - s);
        fail(&p, VG_ERR_UNSUPPORTED, at,
             "aggregation expressions ('|') are not supported (offset %zu)", at);
        return NULL;
    }
    token first = peek(&p);
    if (first.kind == T_EOF) {
        fail(&p, VG_ERR_INVALID, 0, "empty condition");
        return NULL;
    }
    vg_cond *root = parse_or(&p);
    if (!root)
        return NULL;
    token t = peek(&p);
    if (t.kind == T_EOF)
        return root;
    char what[64];
    if (t.kind == T_RPAREN)
        fail(&p, VG_ERR_INVALID, t.pos, "unbalanced ')' at offset %zu", t.pos);
    else
        fail(&p, VG_ERR_INVALID, t.pos, "unexpected %s%s at offset %zu",
             t.kind == T_BAD ? "" : "token ", describe(&p, &t, what, sizeof(what)), t.pos);
    return NULL;
}

bool vg_cond_pattern_match(const char *pattern, const char *name)
{
    /* Greedy glob with backtracking to the last '*': O(len(pattern) * len(name)) worst case,
     * no recursion. */
    const char *star = NULL;   /* position after the last '*' seen in pattern */
    const char *resume = NULL; /* where in name that '*' restarts matching */
    while (*name) {
        if (*pattern == '*') {
            while (*pattern == '*')
                pattern++;
            if (!*pattern)
                return true;
            star = pattern;
            resume = name;
        } else if (*pattern && *pattern == *name) {
            pattern++;
            name++;
        } else if (star) {
            pattern = star;
            name = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}
