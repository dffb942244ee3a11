/* SPDX-License-Identifier: Apache-2.0 */
/*
 * regex.c: the Sigma `re` modifier on PCRE2, 8-bit library (see match/regex.h).
 *
 * Patterns are compiled without UTF mode, and with PCRE2_NEVER_UTF so that a pattern cannot
 * turn it on with a leading (*UTF): in byte mode every subject is valid, so arbitrary bytes
 * in an event can never make a match fail with a UTF error. The price is that '.' and
 * character classes see bytes, and case-insensitivity covers ASCII letters only (PCRE2's
 * default "C" tables).
 *
 * After compiling, the JIT is tried (PCRE2_JIT_COMPLETE); when it is unavailable or fails
 * the interpreter is used. A scratch holds, per thread: the match data (one ovector pair is
 * enough since only "did it match" is asked), a match context carrying the match limit and
 * the depth limit, and a JIT stack (32 KiB growing to 1 MiB) so that deeply nested patterns
 * do not fail on the JIT's small default stack. The JIT honours the match limit but not the
 * depth limit; the interpreter honours both. Every negative result other than NOMATCH (a
 * limit, a JIT stack overflow, an out-of-memory) is reported as VG_RE_LIMIT.
 *
 * PCRE2 allocates through a general context whose functions are vg_malloc and vg_free, so
 * that all of its memory is accounted for like the rest of the engine (and allocation-failure
 * tests reach it). The JIT's executable memory is mapped by PCRE2 itself.
 */
#include "match/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string.h>

#define DEFAULT_MATCH_LIMIT 1000000u
#define DEFAULT_DEPTH_LIMIT 10000u
#define JIT_STACK_START     (32u * 1024u)
#define JIT_STACK_MAX       (1024u * 1024u)

struct vg_regex {
    pcre2_code *code;
};

struct vg_regex_scratch {
    pcre2_general_context *gctx;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
    pcre2_jit_stack *jit_stack; /* NULL when PCRE2 was built without JIT */
};

static void *pcre_alloc(PCRE2_SIZE n, void *data)
{
    (void)data;
    return vg_malloc(n);
}

static void pcre_free(void *p, void *data)
{
    (void)data;
    vg_free(p);
}

static void set_error(char *errbuf, size_t errlen, const char *msg)
{
    if (!errbuf || errlen == 0)
        return;
    size_t n = strlen(msg);
    if (n >= errlen)
        n = errlen - 1;
    memcpy(errbuf, msg, n);
    errbuf[n] = '\0';
}

vg_regex *vg_regex_new(
        const char *pat, size_t len, unsigned flags, size_t *err_off, char *errbuf, size_t errlen)
{
    if (err_off)
        *err_off = 0;
    set_error(errbuf, errlen, "");
    if (flags & ~(unsigned)(VG_RE_I | VG_RE_M | VG_RE_S)) {
        set_error(errbuf, errlen, "unknown regex flag");
        return NULL;
    }
    if (!pat) {
        if (len != 0) {
            set_error(errbuf, errlen, "no pattern");
            return NULL;
        }
        pat = "";
    }

    uint32_t opts = PCRE2_NEVER_UTF;
    if (flags & VG_RE_I)
        opts |= PCRE2_CASELESS;
    if (flags & VG_RE_M)
        opts |= PCRE2_MULTILINE;
    if (flags & VG_RE_S)
        opts |= PCRE2_DOTALL;

    vg_regex *re = vg_calloc(1, sizeof(*re));
    pcre2_general_context *gctx = pcre2_general_context_create(pcre_alloc, pcre_free, NULL);
    pcre2_compile_context *cctx = gctx ? pcre2_compile_context_create(gctx) : NULL;
    if (!re || !cctx) {
        set_error(errbuf, errlen, "out of memory");
        goto fail;
    }

    int errcode = 0;
    PCRE2_SIZE off = 0;
    re->code = pcre2_compile((PCRE2_SPTR)pat, len, opts, &errcode, &off, cctx);
    if (!re->code) {
        if (err_off)
            *err_off = off;
        if (errbuf && errlen > 0) {
            int r = pcre2_get_error_message(errcode, (PCRE2_UCHAR *)errbuf, errlen);
            if (r < 0 && r != PCRE2_ERROR_NOMEMORY) /* NOMEMORY: truncated, still fine */
                set_error(errbuf, errlen, "invalid pattern");
        }
        goto fail;
    }
    /* The compiled code keeps its own copy of the memory functions. */
    pcre2_compile_context_free(cctx);
    pcre2_general_context_free(gctx);
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* else: the interpreter */
    return re;

fail:
    pcre2_compile_context_free(cctx);
    pcre2_general_context_free(gctx);
    vg_free(re);
    return NULL;
}

void vg_regex_free(vg_regex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    vg_free(re);
}

vg_regex_scratch *vg_regex_scratch_new(uint32_t match_limit, uint32_t depth_limit)
{
    vg_regex_scratch *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->gctx = pcre2_general_context_create(pcre_alloc, pcre_free, NULL);
    if (!s->gctx)
        goto fail;
    s->mctx = pcre2_match_context_create(s->gctx);
    s->md = pcre2_match_data_create(1, s->gctx);
    if (!s->mctx || !s->md)
        goto fail;
    pcre2_set_match_limit(s->mctx, match_limit ? match_limit : DEFAULT_MATCH_LIMIT);
    pcre2_set_depth_limit(s->mctx, depth_limit ? depth_limit : DEFAULT_DEPTH_LIMIT);

    uint32_t have_jit = 0;
    if (pcre2_config(PCRE2_CONFIG_JIT, &have_jit) >= 0 && have_jit) {
        s->jit_stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, s->gctx);
        if (!s->jit_stack)
            goto fail;
        pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
    }
    return s;

fail:
    vg_regex_scratch_free(s);
    return NULL;
}

void vg_regex_scratch_free(vg_regex_scratch *s)
{
    if (!s)
        return;
    pcre2_jit_stack_free(s->jit_stack);
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_general_context_free(s->gctx);
    vg_free(s);
}

vg_re_result vg_regex_match(const vg_regex *re, vg_regex_scratch *s, const char *p, size_t n)
{
    if (!re || !s)
        return VG_RE_LIMIT;
    if (!p) {
        if (n != 0)
            return VG_RE_LIMIT;
        p = "";
    }
    int rc = pcre2_match(re->code, (PCRE2_SPTR)p, n, 0, 0, s->md, s->mctx);
    if (rc >= 0)
        return VG_RE_MATCH;
    if (rc == PCRE2_ERROR_NOMATCH)
        return VG_RE_NOMATCH;
    return VG_RE_LIMIT;
}
