/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relit.c: required literal of a regular expression (see relit.h for what is understood).
 *
 * The walk keeps the current run of literal bytes and the best (longest) run so far. An
 * atom is either a literal byte (which may be followed by a quantifier) or something else
 * (which ends the run; a following quantifier is skipped with it). Groups are skipped as a
 * whole by bracket counting (escapes and classes inside them are honoured) and never
 * contribute literals, so alternation inside a group is harmless.
 */
#include "match/relit.h"
#include "match/regex.h"

#include <string.h>

/* Characters that stand for themselves when escaped with a backslash. */
static bool escaped_literal(char c)
{
    return strchr(".^$|?*+()[]{}\\/-\"' #&~,:;<=>@!%`_", c) != NULL;
}

/* After an atom at pat[*i]: consume a quantifier if any. Returns 0 none, 1 optional
 * (min 0), 2 repeating (min >= 1, may repeat). false on a malformed brace (give up). */
static bool quantifier(const char *p, size_t len, size_t *i, int *kind)
{
    *kind = 0;
    if (*i >= len)
        return true;
    char c = p[*i];
    if (c == '?' || c == '*') {
        *kind = 1;
        (*i)++;
    } else if (c == '+') {
        *kind = 2;
        (*i)++;
    } else if (c == '{') {
        size_t j = *i + 1;
        size_t lo = 0;
        bool digits = false;
        while (j < len && p[j] >= '0' && p[j] <= '9') {
            lo = lo * 10 + (size_t)(p[j] - '0');
            if (lo > 100000)
                return false;
            digits = true;
            j++;
        }
        if (j < len && p[j] == ',') {
            j++;
            while (j < len && p[j] >= '0' && p[j] <= '9')
                j++;
        }
        if (j >= len || p[j] != '}') {
            /* PCRE treats a brace that is not a quantifier as a literal '{' */
            return true;
        }
        *kind = (!digits || lo == 0) ? 1 : 2;
        *i = j + 1;
    } else {
        return true;
    }
    /* lazy or possessive suffix */
    if (*i < len && (p[*i] == '?' || p[*i] == '+'))
        (*i)++;
    return true;
}

/* Skip a character class starting at p[i] == '['; returns the index after it or 0. */
static size_t skip_class(const char *p, size_t len, size_t i)
{
    i++;
    if (i < len && p[i] == '^')
        i++;
    if (i < len && p[i] == ']')
        i++; /* a leading ']' is literal */
    while (i < len) {
        if (p[i] == '\\') {
            i += 2;
            continue;
        }
        if (p[i] == '[' && i + 1 < len && p[i + 1] == ':') { /* [:alpha:] */
            const char *e = memchr(p + i + 2, ']', len - i - 2);
            if (!e)
                return 0;
            i = (size_t)(e - p) + 1;
            continue;
        }
        if (p[i] == ']')
            return i + 1;
        i++;
    }
    return 0;
}

/* Skip a group starting at p[i] == '('; returns the index after it or 0. */
static size_t skip_group(const char *p, size_t len, size_t i)
{
    size_t depth = 0;
    while (i < len) {
        char c = p[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '[') {
            i = skip_class(p, len, i);
            if (!i)
                return 0;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')' && --depth == 0)
            return i + 1;
        i++;
    }
    return 0;
}

bool vg_regex_literal(const char *p,
                      size_t len,
                      unsigned flags,
                      size_t min,
                      char *out,
                      size_t cap,
                      size_t *out_len,
                      bool *caseless)
{
    char run[256];
    size_t n_run = 0, best_len = 0;
    size_t i = 0;
    *caseless = (flags & VG_RE_I) != 0;
    *out_len = 0;
    if (len >= 4 && memcmp(p, "(?i)", 4) == 0) {
        *caseless = true;
        i = 4;
    }
#define END_RUN()                                                                                  \
    do {                                                                                           \
        if (n_run > best_len && n_run <= cap) {                                                    \
            memcpy(out, run, n_run);                                                               \
            best_len = n_run;                                                                      \
        }                                                                                          \
        n_run = 0;                                                                                 \
    } while (0)
    while (i < len) {
        char c = p[i];
        bool literal = false;
        char lit = 0;
        size_t atom = i;
        switch (c) {
        case '|':
            return false; /* top-level alternation: no single required literal */
        case '(':
            if (i + 2 < len && p[i + 1] == '?' && p[i + 2] != ':' && p[i + 2] != '=' &&
                p[i + 2] != '!' && p[i + 2] != '<' && p[i + 2] != '>')
                return false; /* inline options, verbs, named or atomic groups */
            if (i + 1 < len && p[i + 1] == '*')
                return false; /* (*VERB) */
            i = skip_group(p, len, i);
            if (!i)
                return false;
            break;
        case '[':
            i = skip_class(p, len, i);
            if (!i)
                return false;
            break;
        case '\\':
            if (i + 1 >= len)
                return false;
            if (escaped_literal(p[i + 1])) {
                literal = true;
                lit = p[i + 1];
            } else if (strchr("sSdDwWbBAzZGhHvVRX", p[i + 1]) != NULL) {
                /* a class or an assertion: not a literal */
            } else if (p[i + 1] == 'n' || p[i + 1] == 't' || p[i + 1] == 'r') {
                literal = true;
                lit = p[i + 1] == 'n' ? '\n' : p[i + 1] == 't' ? '\t' : '\r';
            } else {
                return false; /* \Q, \x, \1, \p, \k ...: not understood */
            }
            i += 2;
            break;
        case '.':
        case '^':
        case '$':
            i++;
            break;
        case ')':
        case '*':
        case '+':
        case '?':
            return false; /* stray: not understood */
        default:
            literal = true;
            lit = c;
            i++;
            break;
        }
        (void)atom;
        int q;
        if (!quantifier(p, len, &i, &q))
            return false;
        if (!literal) {
            END_RUN();
            continue;
        }
        if (q == 1) { /* optional: the run stops before it */
            END_RUN();
            continue;
        }
        if (n_run < sizeof(run))
            run[n_run++] = lit;
        else
            END_RUN();
        if (q == 2)
            END_RUN(); /* may repeat: what follows is not adjacent */
    }
    END_RUN();
#undef END_RUN
    if (best_len < min || best_len == 0)
        return false;
    *out_len = best_len;
    return true;
}
