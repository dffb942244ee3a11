/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mutate.c: variants of JSON events made by editing their compact JSON text (mutate.h).
 *
 * Each variant is one or two of these edits of the text, each at a randomly chosen place:
 * flip the case of letters; cut a string to a prefix, suffix or substring; insert a literal
 * of the rules (or a value of the events) into a string; replace a string with another
 * value or literal; swap '-', '/', U+2013, U+2014, U+2015; delete a member or element;
 * write a number as a nearby number, a string, hex ("0x1250"), a float; wrap a value in an
 * array or in {"#text": ...}; replace a value with null, true, {}, ...; add a member (a rule
 * field, an event key, "Threat Name") or rename one. The choices come from a splitmix64
 * generator; nothing else (no clock, no address) decides an edit.
 */
#include "mutate.h"

#include <stdlib.h>
#include <string.h>

#include "sigma/ruleset_int.h"
#include "vigil/arena.h"

/* ---- deterministic generator (splitmix64) ---- */

mut_prng mut_prng_seed(uint64_t seed, size_t stream)
{
    return (mut_prng){seed ^ (0xd1b54a32d192ed03ull * ((uint64_t)stream + 1))};
}

static uint64_t prng_next(mut_prng *g)
{
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t below(mut_prng *g, size_t n)
{
    return n ? (size_t)(prng_next(g) % n) : 0;
}

static bool chance(mut_prng *g, unsigned num, unsigned den)
{
    return below(g, den) < num;
}

/* ---- string pools (spans that outlive the pool's use) ---- */

typedef VG_VEC(vg_span) pool;

static vg_span pool_pick(const pool *p, mut_prng *g)
{
    return p->n ? p->v[below(g, p->n)] : (vg_span){"x", 1};
}

/* ---- what the edits draw from ---- */

struct mut_pools {
    pool lits;       /* literal runs of the rules' string values */
    pool fields;     /* rule field names and their candidate names */
    pool values;     /* string values of the events */
    pool keys;       /* member names of the events */
    long long *nums; /* integer literals of the rules (EventIDs, ports) */
    size_t n_nums;
    vg_arena *a; /* copies of values and keys */
    bool oom;    /* an addition failed for want of memory */
};

mut_pools *mut_pools_new(void)
{
    mut_pools *m = calloc(1, sizeof(*m));
    if (m && !(m->a = vg_arena_new(0, 0))) {
        free(m);
        m = NULL;
    }
    return m;
}

void mut_pools_free(mut_pools *m)
{
    if (!m)
        return;
    vg_free(m->lits.v);
    vg_free(m->fields.v);
    vg_free(m->values.v);
    vg_free(m->keys.v);
    free(m->nums);
    vg_arena_free(m->a);
    free(m);
}

static void add(mut_pools *m, pool *p, const char *s, size_t len)
{
    vg_span *e = VG_VEC_PUSH(*p);
    if (e)
        *e = (vg_span){s, len};
    else
        m->oom = true;
}

/* A decimal integer filling p[0, n) exactly. */
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

/* The field names and the literal runs (2 to 200 bytes) of a detection's string values. */
static void pool_from_det(mut_pools *m, const vg_det *det)
{
    for (size_t s = 0; s < det->n_sels; s++) {
        const vg_sel *sel = &det->sels[s];
        for (size_t g = 0; g < sel->n_groups; g++) {
            for (size_t k = 0; k < sel->groups[g].n; k++) {
                const vg_fcond *f = &sel->groups[g].conds[k];
                if (f->field)
                    add(m, &m->fields, f->field, f->field_len);
                for (size_t v = 0; v < f->n_vals; v++) {
                    const vg_vmatch *vm = &f->vals[v];
                    if (vm->kind != VG_VM_GLOB)
                        continue;
                    for (size_t i = 0; i < vm->glob.parts.n; i++) {
                        const vg_spart *sp = &vm->glob.parts.parts[i];
                        if (sp->kind == VG_SP_LIT && sp->len >= 2 && sp->len <= 200)
                            add(m, &m->lits, sp->p, sp->len);
                    }
                }
            }
        }
    }
}

int mut_pools_add_rules(mut_pools *m, const vg_ruleset *rs)
{
    for (size_t i = 0; i < rs->rules.n; i++)
        pool_from_det(m, &rs->rules.v[i].det);
    for (size_t i = 0; i < rs->filters.n; i++)
        pool_from_det(m, &rs->filters.v[i].det);
    for (size_t i = 0; i < rs->ls.n; i++)
        pool_from_det(m, &rs->ls.v[i].when);
    for (size_t i = 0; i < rs->fslots.n; i++)
        for (size_t c = 1; c < rs->fslots.v[i].n_cands; c++)
            add(m, &m->fields, rs->fslots.v[i].cand[c].name, rs->fslots.v[i].cand[c].len);
    long long *nums = realloc(m->nums, (m->lits.n + 1) * sizeof(long long));
    if (!nums)
        return -1;
    m->nums = nums;
    m->n_nums = 0;
    for (size_t i = 0; i < m->lits.n; i++)
        if (parse_int(m->lits.v[i].p, m->lits.v[i].len, &m->nums[m->n_nums]))
            m->n_nums++;
    return m->oom ? -1 : 0;
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
    if (!VG_VEC_PUSH(*d))
        return false;
    size_t me = d->n - 1;
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
static size_t jdoc_pick(const jdoc *d, mut_prng *g, unsigned mask, bool members_only)
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
int mut_pools_add_event(mut_pools *m, const char *t, size_t n)
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
                    char *c = vg_arena_memdup(m->a, s.p, s.len);
                    if (c)
                        add(m, &m->values, c, s.len);
                    else
                        m->oom = true;
                }
            }
            if (v->member) {
                vg_buf_clear(&s);
                json_unescape(t, v->kstart, v->kend, &s);
                if (s.len > 0 && s.len <= 100) {
                    char *c = vg_arena_memdup(m->a, s.p, s.len);
                    if (c)
                        add(m, &m->keys, c, s.len);
                    else
                        m->oom = true;
                }
            }
        }
    }
    if (vg_buf_status(&s) != VG_OK)
        m->oom = true;
    vg_buf_fini(&s);
    vg_free(d.v);
    return m->oom ? -1 : 0;
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
static vg_span fragment(const mut_pools *m, mut_prng *g)
{
    if (m->lits.n && chance(g, 3, 4))
        return pool_pick(&m->lits, g);
    vg_span v = pool_pick(&m->values, g);
    if (v.len > 2 && chance(g, 1, 2)) {
        size_t a = below(g, v.len);
        size_t b = a + 1 + below(g, v.len - a);
        v = (vg_span){v.p + a, b - a};
    }
    return v;
}

/* Edit the bytes of a string value (s) into ns. false if this edit does not apply. */
static bool edit_string(int op, const mut_pools *m, mut_prng *g, const vg_buf *s, vg_buf *ns)
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
        vg_span f = fragment(m, g);
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
        vg_span f = how == 0 ? pool_pick(&m->lits, g) : pool_pick(&m->values, g);
        if (how == 3) { /* a literal inside some other text */
            vg_span pre = pool_pick(&m->values, g), lit = pool_pick(&m->lits, g);
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
static void number_form(mut_prng *g, long long x, vg_buf *rep)
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
static long long some_number(const mut_pools *m, mut_prng *g)
{
    if (m->n_nums && chance(g, 1, 2))
        return m->nums[below(g, m->n_nums)];
    return event_ids[below(g, sizeof(event_ids) / sizeof(event_ids[0]))];
}

/* Apply one random edit to t[0, n) into out. false if the chosen edit did not apply. */
static bool mutate_once(const mut_pools *m,
                        mut_prng *g,
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
        if (!edit_string(op, m, g, s, ns))
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
            number_form(g, chance(g, 1, 4) ? some_number(m, g) : x, rep);
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
                x = some_number(m, g);
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
        vg_span o = pool_pick(&m->values, g);
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
            key = pool_pick(&m->fields, g);
            break;
        case 3: { /* a rule field with a space in it */
            vg_span f = pool_pick(&m->fields, g);
            size_t at = below(g, f.len + 1);
            vg_buf_append(ns, f.p, at);
            vg_buf_putc(ns, ' ');
            vg_buf_append(ns, f.p + at, f.len - at);
            key = (vg_span){ns->p, ns->len};
            break;
        }
        default:
            key = pool_pick(&m->keys, g);
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
            vg_span f = fragment(m, g);
            put_json_str(rep, f.p, f.len);
            break;
        }
        case 1: {
            vg_span v = pool_pick(&m->values, g);
            put_json_str(rep, v.p, v.len);
            break;
        }
        case 2:
            number_form(g, some_number(m, g), rep);
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

bool mut_mutate(const mut_pools *m, mut_prng *g, const char *t, size_t n, vg_buf *out)
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
        if (mutate_once(m, g, cur.p, cur.len, &d, out, &s, &ns, &rep)) {
            done++;
            vg_buf_clear(&cur);
            vg_buf_append(&cur, out->p ? out->p : "", out->len);
        }
    }
    vg_buf_clear(out);
    vg_buf_append(out, cur.p, cur.len);
    vg_buf_fini(&cur);
    vg_buf_fini(&s);
    vg_buf_fini(&ns);
    vg_buf_fini(&rep);
    vg_free(d.v);
    return done > 0;
}
