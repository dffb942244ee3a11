/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefilter.c: literal requirements of rules, vectorscan databases per field, and the
 * per-event scan that yields candidate rules (see prefilter.h for the design).
 *
 * Requirements are lists of literal ids (a literal = field slot + bytes + case flag,
 * interned so that rules share them), or NONE. Combining:
 *   AND(a, b)  -> the better of a and b (both are necessary; "better" = longer shortest
 *                 literal, then fewer literals), NONE only if both are NONE
 *   OR(a, b)   -> a + b, NONE if either is NONE
 *   NOT a      -> NONE
 * Glob values contribute their longest literal run (every match contains it), regexes the
 * literal every match must contain when match/relit.c can prove one; values that also match
 * numerically (EventID: 4688 matches "0x1250") and the other value types contribute NONE.
 */
#include "match/prefilter.h"
#include "match/relit.h"
#include "match/present.h"
#include "match/route.h"
#include "match/vcache.h"
#include "sigma/ruleset_int.h"
#include "base/ascii.h"
#include "base/num.h"

#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Keyword literals have pseudo slots with KW_BIT set: one database per logsource mapping
 * entry (KW_BIT | entry), so that logsource routing can leave those of entries that do not
 * apply unscanned (see route.h), and one (KW_ALWAYS) for rules that apply to every event
 * (unmapped logsource, or a mapping without conditions). */
#define KW_BIT    0x80000000u
#define KW_ALWAYS UINT32_MAX
#define MAX_REQ   4096 /* a requirement with more literals is treated as NONE */
#define CLAUSES   2    /* clauses of a requirement (each needs an atom seen) */
/* An atom that rules test under a negation this often (filters of benign activity, such
 * as a parent process svchost.exe) is taken as common in events: a clause without one is
 * preferred (see note_benign). */
#define BENIGN_MIN 2
/* A one-byte literal (" ", "1", ">") occurs in most values: it filters nothing and makes
 * the scan report at almost every byte. Such a value gives no requirement, so that AND
 * picks another side (with all SigmaHQ rules: 8k fewer instructions per event). */
#define MIN_LIT 2
/* lit_db of a literal that no requirement uses: it is in no database */
#define UNSCANNED_DB UINT32_MAX
/* lit_db of an exact-value atom: looked up whenever its field is present, so an event
 * that did not see it certainly lacks it (see vg_prefilter_atom_possible) */
#define LOOKED_UP_DB (UINT32_MAX - 1)

/* What seeing an atom of a requirement means. */
typedef enum pf_kind {
    PF_SCAN,    /* the literal occurs in the field's value (vectorscan) */
    PF_EQ_TEXT, /* the field's value equals the text (folded unless cased) */
    PF_EQ_NUM,  /* the field's value is a number equal to this integer (p: 8 bytes) */
    PF_EQ_TAIL, /* the field's value ends with the one-byte text (folded unless cased) */
    PF_EQ_SEG,  /* some '=' of the field's value is followed by the text (folded unless
                 * cased) */
    PF_EQ_BASE, /* the field's value after its last '\\' or '/' equals the text (folded
                 * unless cased) */
    PF_PRESENT, /* the field is present */
    PF_REGEX    /* the field's value may match the regex (vectorscan prefilter mode: never
                 * misses a match, may report one PCRE2 does not find); p: the VG_RE_*
                 * flags as one byte, then the pattern and a NUL */
} pf_kind;

typedef struct pf_lit {
    uint32_t slot; /* field slot, or a keyword pseudo slot (KW_BIT set) */
    uint8_t kind;  /* pf_kind */
    bool cased;
    const char *p;
    size_t len;
    size_t weight;   /* selectivity for choosing among requirements: more is rarer */
    uint32_t benign; /* negated uses (filters) in all rules: see note_benign */
} pf_lit;

/* One exact-value atom in the lookup table: its key hash and its atom id. */
typedef struct pf_eq {
    uint64_t h; /* eq_key of (slot, kind, cased, bytes); 0 = empty */
    uint32_t lit;
} pf_eq;

/* pf_slot.eq bits: which exact-value keys to compute for a field's values */
#define EQ_FOLDED 1u   /* text, case folded */
#define EQ_CASED  2u   /* text as is */
#define EQ_NUM    4u   /* integer value */
#define EQ_BASE   8u   /* text after the last path separator, case folded */
#define EQ_BASE_C 16u  /* the same as is */
#define EQ_TAIL   32u  /* the last byte, case folded */
#define EQ_TAIL_C 64u  /* the same as is */
#define EQ_SEG    128u /* the text after each '=', case folded, at the segment lengths */
#define EQ_SEG_C  256u /* the same as is */

/* Segments: a literal with an '=' (Hashes|contains: 'IMPHASH=1B1A...') occurs only where
 * some '=' of the value is followed by the literal's text after its last '=' (the hash).
 * That text, when at least SEG_MIN bytes, is an exact-value atom looked up at every '=' of
 * the value, once per length, for fields whose segment texts have at most SEG_LENS lengths
 * (Sysmon Hashes: 32, 40 and 64); elsewhere the literal is scanned for. */
#define SEG_MIN  8
#define SEG_LENS 4
/* A value with more '=' than this marks every segment atom of its field as seen instead
 * (as many candidates as that adds, but bounded work on a hostile "=====..." value). */
#define SEG_MAX_EQ 64
/* Integers up to 2^53 are exact as doubles, so a double equals one exactly when it has the
 * same integer value (vg_num_cmp compares an integer with a double as doubles). */
#define EQ_NUM_MAX (1ll << 53)

/* One keyword literal as the keyword databases compile it. */
typedef struct pf_kwlit {
    const char *p; /* in kw_bytes */
    size_t len;
    unsigned flags, id;
} pf_kwlit;

/* Keyword databases per product (see build_kw_groups): for the first KW_SET_WORDS * 64
 * keyword slots (an event that may use a later one gets the database of every keyword
 * literal), at most KW_GROUPS of them. */
#define KW_SET_WORDS 4
#define KW_GROUPS    32
#define KW_GROUP_MAX 128 /* literals */

/* The literals of some keyword slots (bit k: kw_dbs[k]) in one database. */
typedef struct kw_group {
    uint64_t bits[KW_SET_WORDS];
    hs_database_t *db;
} kw_group;

/* A field's literals, or a keyword slot's (db NULL: they are in the keyword database). */
typedef struct pf_db {
    uint32_t slot;
    hs_database_t *db;
    bool re; /* a field's regexes (PF_REGEX), not its literals */
} pf_db;

/* The distinct lengths of a field's segment texts. */
typedef struct seg_lens {
    uint8_t n; /* SEG_LENS + 1: more than SEG_LENS (no segment atoms) */
    uint8_t len[SEG_LENS];
} seg_lens;

/* Add a length; n becomes SEG_LENS + 1 when it does not fit. */
static void seg_lens_add(seg_lens *s, size_t len)
{
    for (uint8_t j = 0; j < s->n && j < SEG_LENS; j++)
        if (s->len[j] == len)
            return;
    if (s->n < SEG_LENS)
        s->len[s->n] = (uint8_t)len;
    if (s->n <= SEG_LENS)
        s->n++;
}

/* What the scan needs of a field slot, together (24 bytes) so that a slot costs at most
 * two cache misses. */
typedef struct pf_slot {
    uint32_t db;      /* its database in dbs[], UINT32_MAX if none */
    uint32_t redb;    /* its regex database in dbs[], UINT32_MAX if none */
    uint32_t present; /* its PF_PRESENT atom, UINT32_MAX if none */
    uint32_t eqlen;   /* with exact text values: its entry in eqlen */
    uint16_t eq;      /* EQ_* bits, 0 if no exact-value atom */
    seg_lens seg;     /* the lengths of its segment atoms */
} pf_slot;

struct vg_prefilter {
    uint32_t n_rules;
    size_t n_words;
    uint64_t *always;  /* bitmap of rules without a requirement */
    uint32_t *lit_off; /* CSR: rules of literal i are lit_rules[lit_off[i]..[i+1]) */
    uint32_t *lit_rules;
    /* CSR: the further clauses of rule r are more[more_off[r]..[r+1]), each as its atom
     * count and atoms (checked per candidate: vg_prefilter_more) */
    uint32_t *more_off, *more;
    size_t n_lits;
    uint32_t *lit_db;   /* per literal: its database, LOOKED_UP_DB or UNSCANNED_DB */
    uint32_t *rule_off; /* CSR: databases of rule r are rule_dbs[rule_off[r]..[r+1]) */
    uint32_t *rule_dbs;
    pf_db *dbs;
    size_t n_dbs;
    size_t n_slots;
    vg_route *route;      /* logsource routing, NULL when no entry can be routed */
    hs_scratch_t *proto;  /* scratch big enough for every database */
    hs_database_t *kw_db; /* every keyword literal */
    /* The keyword literals again, for the databases of the keyword slots of one product
     * (see build_kw_groups): those of keyword entry d of dbs[] are
     * kw_lits[kw_lo[d]..kw_hi[d]) */
    pf_kwlit *kw_lits;
    char *kw_bytes;
    uint32_t *kw_lo, *kw_hi;
    kw_group kw_groups[KW_GROUPS];
    size_t n_kw_groups;
    uint32_t *kw_dbs; /* indexes in dbs[] of the keyword slots */
    size_t n_kw_dbs;
    pf_slot *slots; /* per field slot */
    pf_eq *eq;      /* exact-value atoms (open addressing), NULL if none */
    struct pf_eqlen *eqlen;
    size_t eq_size; /* power of two */
    /* a filter in front of eq: two bits per atom in one word (most values are no atom,
     * and the filter stays in cache where the table does not) */
    uint64_t *eq_filter;
    size_t eq_filter_mask; /* words - 1 (a power of two) */
    uint32_t *seg_off;     /* CSR: segment atoms of slot f are seg_ids[seg_off[f]..[f+1]) */
    uint32_t *seg_ids;
    vg_present *present; /* which slots an event can resolve */
    uint32_t *fc_atoms;  /* the atoms of long value lists (see note_fconds) */
    uint32_t *re_always; /* regex atoms no database could take: seen on every event */
    size_t n_re_always;
    vg_pf_stats stats;
};

/* The value cache of a scratch (see vcache.h): table entries and store bytes. A value is
 * cached on its second miss within DOOR_AGE misses (a bit per hash fragment remembers the
 * first), so that values seen once (hashes, GUIDs, most timestamps) do not crowd out those
 * that repeat. */
#define VC_ENTRIES 4096
#define VC_STORE   (512u * 1024u)
#define DOOR_BITS  16
#define DOOR_AGE   16384

struct vg_pf_scratch {
    hs_scratch_t *hs;
    vg_vcache *vc;
    uint64_t door[(1u << DOOR_BITS) / 64];
    uint32_t door_misses;
    uint32_t rec[VG_VC_MAX_IDS]; /* the atoms of the value being recorded */
    uint32_t gen;                /* scan generation */
    uint32_t *lit_gen;           /* per literal: == gen when seen by this event's scan */
    uint32_t *db_gen;            /* per database: == gen when scanned for this event */
    uint64_t *cand;
    size_t n_words;
    char *kw_buf; /* the event's values joined, for the keyword databases */
    size_t kw_cap, kw_len;
};

/* ---- building: literal table ---- */

typedef struct req {
    bool none;
    uint32_t *lits;
    size_t n;
} req;

typedef struct builder {
    const vg_ruleset *rs;
    vg_arena *a; /* temporary */
    pf_lit *lits;
    size_t n_lits, cap_lits;
    uint32_t *tab; /* open addressing: lit index + 1 */
    size_t tab_size;
    uint32_t kw_slot;     /* keyword pseudo slot of the rule being analysed */
    struct seg_lens *seg; /* per field slot: segment lengths of its rule values */
    const void **vm_keys; /* value matchers of rules and their literal (vm_lit) */
    uint32_t *vm_lit;
    size_t n_vm, cap_vm;
    /* The second pass (see vg_prefilter_new): the atoms of the first pass's clauses
     * (first_used, for ids below n_first) and, per field slot, the kinds of atom they
     * look up there (first_kinds: bit 2 * pf_kind + cased). first_used is NULL in the
     * first pass, which keeps one clause per requirement. */
    uint8_t *first_used;
    size_t n_first;
    uint32_t *first_kinds;
    uint8_t *used; /* per atom: in some rule's requirement (its database or table) */
    bool nomem;
} builder;

static const req REQ_NONE = {true, NULL, 0};

/* A requirement in conjunctive form: each clause that is not NONE must have an atom seen
 * (clause 0 is NONE only when the whole is: no requirement). */
typedef struct cnf {
    req c[CLAUSES];
} cnf;

static uint64_t lit_hash(uint32_t slot, uint8_t kind, bool cased, const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ slot ^ ((uint64_t)cased << 40) ^ ((uint64_t)kind << 44);
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool grow_tab(builder *b)
{
    size_t size = b->tab_size ? b->tab_size * 2 : 4096;
    uint32_t *tab = vg_calloc(size, sizeof(uint32_t));
    if (!tab)
        return false;
    for (size_t i = 0; i < b->n_lits; i++) {
        const pf_lit *l = &b->lits[i];
        size_t k = lit_hash(l->slot, l->kind, l->cased, l->p, l->len) & (size - 1);
        while (tab[k])
            k = (k + 1) & (size - 1);
        tab[k] = (uint32_t)i + 1;
    }
    vg_free(b->tab);
    b->tab = tab;
    b->tab_size = size;
    return true;
}

/* Intern an atom; returns its id or UINT32_MAX when memory runs out. */
static uint32_t intern(builder *b, uint32_t slot, pf_kind kind, bool cased, const char *p, size_t n)
{
    if ((b->n_lits + 1) * 2 > b->tab_size && !grow_tab(b))
        goto nomem;
    size_t mask = b->tab_size - 1;
    size_t k = lit_hash(slot, (uint8_t)kind, cased, p, n) & mask;
    while (b->tab[k]) {
        const pf_lit *l = &b->lits[b->tab[k] - 1];
        if (l->slot == slot && l->kind == kind && l->cased == cased && l->len == n &&
            (n == 0 || memcmp(l->p, p, n) == 0))
            return b->tab[k] - 1;
        k = (k + 1) & mask;
    }
    if (b->n_lits == b->cap_lits) {
        size_t cap = b->cap_lits ? b->cap_lits * 2 : 1024;
        pf_lit *nv = vg_realloc(b->lits, cap * sizeof(*nv));
        if (!nv)
            goto nomem;
        b->lits = nv;
        b->cap_lits = cap;
    }
    b->lits[b->n_lits] = (pf_lit){slot, (uint8_t)kind, cased, p, n, n, 0};
    b->tab[k] = (uint32_t)++b->n_lits;
    return (uint32_t)(b->n_lits - 1);
nomem:
    b->nomem = true;
    return UINT32_MAX;
}

/* ---- building: requirements ---- */

static req unite(builder *b, req x, req y);

static size_t min_weight(const builder *b, const req *r)
{
    size_t m = SIZE_MAX;
    for (size_t i = 0; i < r->n; i++)
        if (b->lits[r->lits[i]].weight < m)
            m = b->lits[r->lits[i]].weight;
    return m;
}

/* Is the clause common in events: has it an atom that rules test under a negation at
 * least BENIGN_MIN times, or a regex (which costs its field a scan of its own)? */
static bool is_common(const builder *b, const req *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const pf_lit *l = &b->lits[r->lits[i]];
        if (l->benign >= BENIGN_MIN || l->kind == PF_REGEX)
            return true;
    }
    return false;
}

/* Is x a better clause than y (both not NONE)? One that is not common (is_common), then
 * the one whose least selective atom is the most selective, then the shorter. */
static bool prefer(const builder *b, const req *x, const req *y)
{
    bool cx = is_common(b, x), cy = is_common(b, y);
    if (cx != cy)
        return cy;
    size_t mx = min_weight(b, x), my = min_weight(b, y);
    if (mx != my)
        return mx > my;
    return x->n <= y->n;
}

static bool same_req(const req *x, const req *y)
{
    return x->n == y->n && (x->n == 0 || memcmp(x->lits, y->lits, x->n * sizeof(uint32_t)) == 0);
}

/* May the clause be one of the second pass's? Only if checking it costs the scan nothing:
 * each literal is scanned for anyway (a first clause has it), each exact-value atom is of
 * a kind its field is looked up for anyway. Presence (nearly always there) is no clause. */
static bool admissible(const builder *b, const req *r)
{
    for (size_t i = 0; i < r->n; i++) {
        uint32_t id = r->lits[i];
        const pf_lit *l = &b->lits[id];
        if (id < b->n_first && b->first_used[id] && l->kind != PF_PRESENT)
            continue;
        if (l->kind == PF_PRESENT || l->kind == PF_SCAN || l->kind == PF_REGEX ||
            (l->slot & KW_BIT) || !(b->first_kinds[l->slot] & (1u << (2 * l->kind + l->cased))))
            return false;
    }
    return true;
}

static const cnf CNF_NONE = {{{true, NULL, 0}, {true, NULL, 0}}};

static cnf cnf_one(req r)
{
    cnf c = CNF_NONE;
    c.c[0] = r;
    return c;
}

/* AND: the best distinct clauses of both sides (one in the first pass). */
static cnf cnf_and(const builder *b, cnf x, cnf y)
{
    size_t keep = b->first_used ? CLAUSES : 1;
    req all[2 * CLAUSES];
    size_t n = 0;
    for (size_t i = 0; i < CLAUSES; i++) {
        if (!x.c[i].none)
            all[n++] = x.c[i];
        if (!y.c[i].none)
            all[n++] = y.c[i];
    }
    cnf out = CNF_NONE;
    for (size_t k = 0; k < keep; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            bool dup = false;
            for (size_t j = 0; j < k && !dup; j++)
                dup = same_req(&all[i], &out.c[j]);
            if (!dup && (best == n || !prefer(b, &all[best], &all[i])))
                best = i;
        }
        if (best == n)
            break;
        out.c[k] = all[best];
        all[best] = all[--n];
    }
    return out;
}

/* OR: clause k is the union of clause k of both sides (a side without one lends its
 * first): each side implies it. */
static cnf cnf_or(builder *b, cnf x, cnf y)
{
    if (x.c[0].none || y.c[0].none)
        return CNF_NONE;
    cnf out = CNF_NONE;
    out.c[0] = unite(b, x.c[0], y.c[0]);
    if (b->first_used && (!x.c[1].none || !y.c[1].none)) {
        req c1 = unite(b, x.c[1].none ? x.c[0] : x.c[1], y.c[1].none ? y.c[0] : y.c[1]);
        if (out.c[0].none)
            out.c[0] = c1;
        else if (!c1.none && !same_req(&c1, &out.c[0]))
            out.c[1] = c1;
    }
    return out;
}

static req unite(builder *b, req x, req y)
{
    if (x.none || y.none || x.n + y.n > MAX_REQ)
        return REQ_NONE;
    req r = {false, vg_arena_alloc(b->a, (x.n + y.n + 1) * sizeof(uint32_t)), 0};
    if (!r.lits) {
        b->nomem = true;
        return REQ_NONE;
    }
    if (x.n) /* the empty start of an accumulation has lits == NULL */
        memcpy(r.lits, x.lits, x.n * sizeof(uint32_t));
    if (y.n)
        memcpy(r.lits + x.n, y.lits, y.n * sizeof(uint32_t));
    r.n = x.n + y.n;
    return r;
}

static req one_atom(
        builder *b, uint32_t slot, pf_kind kind, bool cased, const char *p, size_t n, size_t weight)
{
    uint32_t id = intern(b, slot, kind, cased, p, n);
    if (id == UINT32_MAX)
        return REQ_NONE;
    b->lits[id].weight = weight;
    req r = {false, vg_arena_alloc(b->a, sizeof(uint32_t)), 1};
    if (!r.lits) {
        b->nomem = true;
        return REQ_NONE;
    }
    r.lits[0] = id;
    return r;
}

static req one_lit(builder *b, uint32_t slot, bool cased, const char *p, size_t n)
{
    if (n < MIN_LIT)
        return REQ_NONE;
    return one_atom(b, slot, PF_SCAN, cased, p, n, n);
}

/* An exact value: weighs more than a literal of its length (equality is rarer than
 * containment). */
static req req_exact(builder *b, uint32_t slot, const vg_vmatch *vm)
{
    const vg_glob *g = &vm->glob;
    req r = one_atom(b, slot, PF_EQ_TEXT, g->cased, g->lit.p, g->lit.len, g->lit.len + 2);
    if (r.none || !vm->num_ok)
        return r;
    /* a number also matches values that are equal as numbers ("0x10", 16.0) */
    if (!vm->num.is_int || vm->num.i > EQ_NUM_MAX || vm->num.i < -EQ_NUM_MAX)
        return REQ_NONE;
    char *key = vg_arena_alloc(b->a, sizeof(int64_t));
    if (!key) {
        b->nomem = true;
        return REQ_NONE;
    }
    memcpy(key, &vm->num.i, sizeof(int64_t));
    return unite(b, r, one_atom(b, slot, PF_EQ_NUM, false, key, sizeof(int64_t), g->lit.len + 2));
}

/* Path separators for basename atoms. */
static bool is_sep(char c)
{
    return c == '\\' || c == '/';
}

/* A suffix with a path separator (endswith '\\cmd.exe', '/bin/sh'): a value that ends with
 * it has the text after the suffix's last separator as its own text after its last
 * separator, so that text is an exact-value atom of the value's basename, looked up by hash
 * instead of scanned for. NONE when the suffix has no separator or ends with one. */
static req req_base(builder *b, uint32_t slot, const vg_vmatch *vm)
{
    const vg_span lit = vm->glob.lit;
    size_t k = lit.len;
    while (k > 0 && !is_sep(lit.p[k - 1]))
        k--;
    if (k == 0 || k == lit.len)
        return REQ_NONE;
    return one_atom(b, slot, PF_EQ_BASE, vm->glob.cased, lit.p + k, lit.len - k, lit.len - k + 2);
}

/* The text after the last '=' of a glob's literal, when it can be a segment atom. */
static bool seg_text(const vg_vmatch *vm, vg_span *out)
{
    if (vm->kind != VG_VM_GLOB || vm->num_ok || vm->tpart != VG_TP_NONE ||
        (vm->glob.shape != VG_GLOB_CONTAINS && vm->glob.shape != VG_GLOB_PREFIX &&
         vm->glob.shape != VG_GLOB_SUFFIX))
        return false;
    const vg_span lit = vm->glob.lit;
    size_t k = lit.len;
    while (k > 0 && lit.p[k - 1] != '=')
        k--;
    if (k == 0 || lit.len - k < SEG_MIN || lit.len - k > UINT8_MAX)
        return false;
    *out = (vg_span){lit.p + k, lit.len - k};
    return true;
}

/* Note the segment lengths of every rule's field values, per slot (which fields get
 * segment atoms). */
static void seg_collect(builder *b)
{
    const vg_ruleset *rs = b->rs;
    for (size_t r = 0; r < rs->rules.n; r++) {
        const vg_det *det = &rs->rules.v[r].det;
        for (size_t i = 0; i < det->n_sels; i++)
            for (size_t g = 0; g < det->sels[i].n_groups; g++)
                for (size_t k = 0; k < det->sels[i].groups[g].n; k++) {
                    const vg_fcond *f = &det->sels[i].groups[g].conds[k];
                    for (size_t v = 0; f->field && v < f->n_vals; v++) {
                        vg_span t;
                        if (seg_text(&f->vals[v], &t))
                            seg_lens_add(&b->seg[f->slot], t.len);
                    }
                }
    }
}

/* A segment atom for vm, or NONE (no segment text, or its field has too many lengths). */
static req req_seg(builder *b, uint32_t slot, const vg_vmatch *vm)
{
    vg_span t;
    if (!b->seg || !seg_text(vm, &t) || b->seg[slot].n > SEG_LENS)
        return REQ_NONE;
    return one_atom(b, slot, PF_EQ_SEG, vm->glob.cased, t.p, t.len, t.len + 2);
}

/* vectorscan's flags for a regex with the VG_RE_* flags, in prefilter mode */
static unsigned re_hs_flags(unsigned re_flags)
{
    return HS_FLAG_PREFILTER | HS_FLAG_ALLOWEMPTY | HS_FLAG_SINGLEMATCH |
           ((re_flags & VG_RE_I) ? HS_FLAG_CASELESS : 0u) |
           ((re_flags & VG_RE_M) ? HS_FLAG_MULTILINE : 0u) |
           ((re_flags & VG_RE_S) ? HS_FLAG_DOTALL : 0u);
}

/* A regex without a provable literal: an atom of its own, scanned for with the field's
 * other such regexes in one vectorscan database (prefilter mode). NONE when vectorscan
 * cannot take the pattern. Weight 1: any literal is preferred, presence is not. */
static req req_regex(builder *b, uint32_t slot, const vg_vmatch *vm)
{
    if (memchr(vm->re_src, '\0', vm->re_len))
        return REQ_NONE;
    char *key = vg_arena_alloc(b->a, vm->re_len + 2);
    if (!key) {
        b->nomem = true;
        return REQ_NONE;
    }
    key[0] = (char)vm->re_flags;
    memcpy(key + 1, vm->re_src, vm->re_len);
    key[vm->re_len + 1] = '\0';
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *cerr = NULL;
    if (hs_expression_info(key + 1, re_hs_flags(vm->re_flags), &info, &cerr) != HS_SUCCESS) {
        hs_free_compile_error(cerr);
        return REQ_NONE;
    }
    free(info); /* allocated with the default allocator (hs_set_allocator is never called) */
    return one_atom(b, slot, PF_REGEX, !(vm->re_flags & VG_RE_I), key, vm->re_len + 1, 1);
}

/* Remember that every match of vm contains the literal of r (one literal). */
static req note_value(builder *b, const vg_vmatch *vm, req r)
{
    if (r.none || r.n != 1)
        return r;
    if (b->n_vm == b->cap_vm) {
        size_t cap = b->cap_vm ? b->cap_vm * 2 : 1024;
        const void **k = vg_realloc(b->vm_keys, cap * sizeof(*k));
        if (k)
            b->vm_keys = k;
        uint32_t *l = vg_realloc(b->vm_lit, cap * sizeof(*l));
        if (l)
            b->vm_lit = l;
        if (!k || !l) {
            b->nomem = true;
            return REQ_NONE;
        }
        b->cap_vm = cap;
    }
    b->vm_keys[b->n_vm] = vm;
    b->vm_lit[b->n_vm++] = r.lits[0];
    return r;
}

static req req_value(builder *b, const vg_fcond *f, const vg_vmatch *vm)
{
    uint32_t slot = f->field ? f->slot : b->kw_slot;
    if (vm->kind == VG_VM_RE) {
        char lit[256];
        size_t n;
        bool caseless;
        if (!vg_regex_literal(vm->re_src, vm->re_len, vm->re_flags, 3, lit, sizeof(lit), &n,
                              &caseless))
            return f->field ? note_value(b, vm, req_regex(b, slot, vm)) : REQ_NONE;
        char *copy = vg_arena_memdup(b->a, lit, n);
        if (!copy) {
            b->nomem = true;
            return REQ_NONE;
        }
        return note_value(b, vm, one_lit(b, slot, !caseless, copy, n));
    }
    if (vm->kind != VG_VM_GLOB || vm->tpart != VG_TP_NONE)
        return REQ_NONE;
    if (vm->glob.shape == VG_GLOB_EXACT && f->field)
        return req_exact(b, slot, vm);
    if (f->field) {
        req r = req_seg(b, slot, vm);
        if (!r.none)
            return note_value(b, vm, r);
    }
    if (vm->glob.shape == VG_GLOB_SUFFIX && f->field && !vm->num_ok) {
        req r = req_base(b, slot, vm);
        if (!r.none)
            return note_value(b, vm, r);
        /* one byte (endswith ' '): too common to scan for, rare as the last byte */
        if (vm->glob.lit.len == 1)
            return note_value(b, vm,
                              one_atom(b, slot, PF_EQ_TAIL, vm->glob.cased, vm->glob.lit.p, 1, 1));
    }
    if (vm->num_ok)
        return REQ_NONE;
    const vg_sstr *s = &vm->glob.parts;
    const vg_spart *best = NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->parts[i].kind == VG_SP_LIT && (!best || s->parts[i].len > best->len))
            best = &s->parts[i];
    if (!best)
        return REQ_NONE;
    return note_value(b, vm, one_lit(b, slot, vm->glob.cased, best->p, best->len));
}

/* Can the field condition only hold when its field is present? (Every value matcher but
 * null and `exists: false` needs a value.) */
static bool needs_field(const vg_fcond *f)
{
    if (!f->field || f->neg || f->n_vals == 0)
        return false;
    for (size_t i = 0; i < f->n_vals; i++)
        if (f->vals[i].kind == VG_VM_NULL || (f->vals[i].kind == VG_VM_EXISTS && !f->vals[i].want))
            return false;
    return true;
}

/* The weakest requirement: the field is present (weight 0: any literal is preferred). */
static req presence(builder *b, const vg_fcond *f)
{
    if (!needs_field(f))
        return REQ_NONE;
    return one_atom(b, f->slot, PF_PRESENT, false, "", 0, 0);
}

static cnf req_fcond_values(builder *b, const vg_fcond *f);

static cnf req_fcond(builder *b, const vg_fcond *f)
{
    cnf r = req_fcond_values(b, f);
    /* the second pass adds no presence clause: a field of the rule's logsource is
     * nearly always there */
    return r.c[0].none && !b->first_used ? cnf_one(presence(b, f)) : r;
}

static cnf req_fcond_values(builder *b, const vg_fcond *f)
{
    if (f->neg || f->n_vals == 0)
        return CNF_NONE;
    if (!f->all) {
        /* the union of every value's atoms, appended in place (a list of hundreds of
         * values would otherwise be copied once per value) */
        size_t cap = 2 * f->n_vals + 2;
        req acc = {false, vg_arena_alloc(b->a, cap * sizeof(uint32_t)), 0};
        if (!acc.lits) {
            b->nomem = true;
            return CNF_NONE;
        }
        for (size_t i = 0; i < f->n_vals && !acc.none; i++) {
            req r = req_value(b, f, &f->vals[i]);
            if (r.none || acc.n + r.n > MAX_REQ) {
                acc = REQ_NONE;
            } else if (acc.n + r.n > cap) {
                acc = unite(b, acc, r);
                cap = acc.n;
            } else {
                memcpy(acc.lits + acc.n, r.lits, r.n * sizeof(uint32_t));
                acc.n += r.n;
            }
        }
        return cnf_one(acc.none || !b->first_used || admissible(b, &acc) ? acc : REQ_NONE);
    }
    /* all: every group must match (a clause each: the union of its alternatives) */
    cnf best = CNF_NONE;
    size_t i = 0;
    while (i < f->n_vals) {
        uint32_t g = f->vals[i].group;
        req acc = req_value(b, f, &f->vals[i]);
        for (i++; i < f->n_vals && f->vals[i].group == g; i++)
            acc = unite(b, acc, req_value(b, f, &f->vals[i]));
        if (acc.none || !b->first_used || admissible(b, &acc))
            best = cnf_and(b, best, cnf_one(acc));
    }
    return best;
}

static cnf req_sel(builder *b, const vg_sel *sel)
{
    cnf acc = CNF_NONE;
    for (size_t g = 0; g < sel->n_groups; g++) {
        const vg_group *grp = &sel->groups[g];
        cnf gr = CNF_NONE;
        for (size_t k = 0; k < grp->n; k++)
            gr = cnf_and(b, gr, req_fcond(b, &grp->conds[k]));
        acc = g == 0 ? gr : cnf_or(b, acc, gr);
        if (acc.c[0].none)
            return CNF_NONE;
    }
    return acc;
}

static cnf req_prog(builder *b, const vg_det *det, const vg_prog *p, int depth)
{
    if (depth > 20000)
        return CNF_NONE;
    switch (p->kind) {
    case VG_P_SEL:
        return req_sel(b, &det->sels[p->sel]);
    case VG_P_AND:
        return cnf_and(b, req_prog(b, det, p->a, depth + 1), req_prog(b, det, p->b, depth + 1));
    case VG_P_OR:
        return cnf_or(b, req_prog(b, det, p->a, depth + 1), req_prog(b, det, p->b, depth + 1));
    case VG_P_NOT:
        return CNF_NONE;
    case VG_P_OF:
        if (p->quant == 0) {
            cnf best = CNF_NONE;
            for (uint32_t i = 0; i < p->n_sels; i++)
                best = cnf_and(b, best, req_sel(b, &det->sels[p->sels[i]]));
            return best;
        } else {
            cnf acc = CNF_NONE;
            for (uint32_t i = 0; i < p->n_sels; i++) {
                cnf one = req_sel(b, &det->sels[p->sels[i]]);
                acc = i == 0 ? one : cnf_or(b, acc, one);
                if (acc.c[0].none)
                    return CNF_NONE;
            }
            return acc;
        }
    }
    return CNF_NONE;
}

/* The keyword pseudo slot of a rule: its mapping entry's, or the every-event slot for a rule
 * without a mapping or whose entry has no condition. */
static uint32_t kw_slot_of(const vg_ruleset *rs, const vg_rule *rule)
{
    bool every = rule->ls_entry < 0 || !rs->ls.v[rule->ls_entry].when.n_sels;
    return every ? KW_ALWAYS : KW_BIT | (uint32_t)rule->ls_entry;
}

/* ---- building: common atoms ---- */

static void benign_sel(builder *b, const vg_sel *sel)
{
    for (size_t g = 0; g < sel->n_groups; g++) {
        const vg_group *grp = &sel->groups[g];
        for (size_t k = 0; k < grp->n; k++) {
            const vg_fcond *f = &grp->conds[k];
            if (f->neg || !f->field)
                continue;
            for (size_t i = 0; i < f->n_vals; i++) {
                req r = req_value(b, f, &f->vals[i]);
                for (size_t j = 0; !r.none && j < r.n; j++)
                    b->lits[r.lits[j]].benign++;
            }
        }
    }
}

static void benign_prog(builder *b, const vg_det *det, const vg_prog *p, bool neg, int depth)
{
    if (depth > 20000)
        return;
    switch (p->kind) {
    case VG_P_SEL:
        if (neg)
            benign_sel(b, &det->sels[p->sel]);
        return;
    case VG_P_AND:
    case VG_P_OR:
        benign_prog(b, det, p->a, neg, depth + 1);
        benign_prog(b, det, p->b, neg, depth + 1);
        return;
    case VG_P_NOT:
        benign_prog(b, det, p->a, !neg, depth + 1);
        return;
    case VG_P_OF:
        for (uint32_t i = 0; neg && i < p->n_sels; i++)
            benign_sel(b, &det->sels[p->sels[i]]);
        return;
    }
}

/* Count, per atom, the values under a negation that have it, in every rule and filter:
 * what detection authors exclude as benign is what events commonly have. */
static void note_benign(builder *b)
{
    const vg_ruleset *rs = b->rs;
    for (size_t r = 0; r < rs->rules.n; r++) {
        const vg_rule *rule = &rs->rules.v[r];
        b->kw_slot = kw_slot_of(rs, rule);
        benign_prog(b, &rule->det, rule->det.prog, false, 0);
        for (size_t f = 0; f < rule->n_filters; f++)
            benign_prog(b, &rule->filters[f]->det, rule->filters[f]->det.prog, true, 0);
    }
    b->n_vm = 0; /* the first pass notes every value's literal */
}

/* ---- building: databases ---- */

static int cmp_slot(const void *x, const void *y)
{
    const pf_lit *a = *(const pf_lit *const *)x, *b = *(const pf_lit *const *)y;
    return a->slot < b->slot ? -1 : a->slot > b->slot ? 1 : 0;
}

/* One literal database (block mode); the prototype scratch grows to fit it. */
static bool compile_db(const char *const *exprs,
                       const unsigned *flags,
                       const unsigned *ids,
                       const size_t *lens,
                       unsigned n,
                       hs_database_t **db,
                       hs_scratch_t **proto,
                       char *err,
                       size_t err_len)
{
    hs_compile_error_t *cerr = NULL;
    if (hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL, db, &cerr) !=
        HS_SUCCESS) {
        snprintf(err, err_len, "vectorscan: %s",
                 cerr && cerr->message ? cerr->message : "compile failed");
        hs_free_compile_error(cerr);
        return false;
    }
    if (hs_alloc_scratch(*db, proto) != HS_SUCCESS) {
        snprintf(err, err_len, "vectorscan: cannot allocate scratch");
        return false;
    }
    return true;
}

/* One literal database to compile, as a task (see vg_ruleset_build_prefilter_with). */
typedef struct lit_job {
    const char *const *exprs;
    const unsigned *flags, *ids;
    const size_t *lens;
    unsigned n;
    hs_database_t **out;
    hs_compile_error_t *cerr; /* set on failure */
    bool ok;
} lit_job;

static void lit_job_run(void *arg, size_t i)
{
    lit_job *j = (lit_job *)arg + i;
    j->ok = hs_compile_lit_multi(j->exprs, j->flags, j->ids, j->lens, j->n, HS_MODE_BLOCK, NULL,
                                 j->out, &j->cerr) == HS_SUCCESS;
}

static int cmp_job_size(const void *x, const void *y)
{
    const lit_job *a = x, *b = y;
    return a->n > b->n ? -1 : a->n < b->n ? 1 : 0;
}

/* Compile the jobs (largest first, through run when there is one); then, in order, the
 * prototype scratch grows to fit each database. false with a message on the first failure
 * (every database compiled is freed by vg_prefilter_free through its out pointer). */
static bool run_lit_jobs(lit_job *jobs,
                         size_t n,
                         vg_run_tasks_fn run,
                         void *run_ctx,
                         hs_scratch_t **proto,
                         char *err,
                         size_t err_len)
{
    qsort(jobs, n, sizeof(*jobs), cmp_job_size);
    if (run && n > 0)
        run(run_ctx, n, lit_job_run, jobs);
    else
        for (size_t i = 0; i < n; i++)
            lit_job_run(jobs, i);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (ok && !jobs[i].ok) {
            snprintf(err, err_len, "vectorscan: %s",
                     jobs[i].cerr && jobs[i].cerr->message ? jobs[i].cerr->message
                                                           : "compile failed");
            ok = false;
        }
        hs_free_compile_error(jobs[i].cerr);
        if (ok && hs_alloc_scratch(*jobs[i].out, proto) != HS_SUCCESS) {
            snprintf(err, err_len, "vectorscan: cannot allocate scratch");
            ok = false;
        }
    }
    return ok;
}

/* One regex database per field (the used PF_REGEX atoms, in prefilter mode). A pattern
 * that the database cannot take after all (hs_expression_info accepted it alone) is left
 * out and its atom counts as seen on every event (re_always). order, exprs, flags and ids
 * are the caller's scratch arrays of n_lits entries. */
static bool build_re_dbs(vg_prefilter *pf,
                         const builder *b,
                         const pf_lit **order,
                         const char **exprs,
                         unsigned *flags,
                         unsigned *ids,
                         char *err,
                         size_t err_len)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_lits; i++)
        if (b->lits[i].kind == PF_REGEX && b->used[i])
            order[n++] = &b->lits[i];
    pf->re_always = vg_malloc((n ? n : 1) * sizeof(uint32_t));
    if (!pf->re_always) {
        snprintf(err, err_len, "out of memory building the prefilter");
        return false;
    }
    qsort(order, n, sizeof(*order), cmp_slot);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        unsigned k = 0;
        for (; j < n && order[j]->slot == order[i]->slot; j++, k++) {
            exprs[k] = order[j]->p + 1;
            flags[k] = re_hs_flags((unsigned char)order[j]->p[0]);
            ids[k] = (unsigned)(order[j] - b->lits);
        }
        hs_database_t *db = NULL;
        while (k > 0) {
            hs_compile_error_t *cerr = NULL;
            if (hs_compile_multi(exprs, flags, ids, k, HS_MODE_BLOCK, NULL, &db, &cerr) ==
                HS_SUCCESS)
                break;
            /* leave out the pattern it names, or every one when it names none */
            int bad = cerr ? cerr->expression : -1;
            hs_free_compile_error(cerr);
            db = NULL;
            unsigned from = bad >= 0 && (unsigned)bad < k ? (unsigned)bad : 0;
            unsigned to = bad >= 0 && (unsigned)bad < k ? from + 1 : k;
            for (unsigned x = from; x < to; x++)
                pf->re_always[pf->n_re_always++] = ids[x];
            for (unsigned x = to; x < k; x++) {
                exprs[x - (to - from)] = exprs[x];
                flags[x - (to - from)] = flags[x];
                ids[x - (to - from)] = ids[x];
            }
            k -= to - from;
        }
        if (db) {
            if (hs_alloc_scratch(db, &pf->proto) != HS_SUCCESS) {
                hs_free_database(db);
                snprintf(err, err_len, "vectorscan: cannot allocate scratch");
                return false;
            }
            pf->dbs[pf->n_dbs] = (pf_db){order[i]->slot, db, true};
            for (unsigned x = 0; x < k; x++)
                pf->lit_db[ids[x]] = (uint32_t)pf->n_dbs;
            pf->n_dbs++;
            pf->stats.n_regex += k;
        }
        i = j;
    }
    return true;
}

/* Copy the keyword literals (as compiled into kw_db) for the per-product databases. */
static bool keep_kw_lits(vg_prefilter *pf,
                         const char *const *exprs,
                         const unsigned *flags,
                         const unsigned *ids,
                         const size_t *lens,
                         size_t n,
                         char *err,
                         size_t err_len)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += lens[i];
    pf->kw_lits = vg_malloc(n * sizeof(pf_kwlit));
    pf->kw_bytes = vg_malloc(bytes ? bytes : 1);
    if (!pf->kw_lits || !pf->kw_bytes) {
        snprintf(err, err_len, "out of memory building the prefilter");
        return false;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(pf->kw_bytes + at, exprs[i], lens[i]);
        pf->kw_lits[i] = (pf_kwlit){pf->kw_bytes + at, lens[i], flags[i], ids[i]};
        at += lens[i];
    }
    return true;
}

static bool build_dbs(
        vg_prefilter *pf, builder *b, vg_run_tasks_fn run, void *run_ctx, char *err, size_t err_len)
{
    pf->stats.n_literals = 0;
    if (b->n_lits == 0)
        return true;
    const pf_lit **order = vg_malloc(b->n_lits * sizeof(*order));
    const char **exprs = vg_malloc(b->n_lits * sizeof(*exprs));
    unsigned *flags = vg_malloc(b->n_lits * sizeof(*flags));
    unsigned *ids = vg_malloc(b->n_lits * sizeof(*ids));
    size_t *lens = vg_malloc(b->n_lits * sizeof(*lens));
    pf->dbs = vg_calloc(b->n_lits, sizeof(pf_db));
    pf->lit_db = vg_calloc(b->n_lits, sizeof(uint32_t));
    pf->kw_lo = vg_calloc(b->n_lits, sizeof(uint32_t));
    pf->kw_hi = vg_calloc(b->n_lits, sizeof(uint32_t));
    lit_job *jobs = vg_calloc(b->n_lits + 1, sizeof(*jobs)); /* a database per field, + kw_db */
    size_t n_jobs = 0;
    bool ok = order && exprs && flags && ids && lens && pf->dbs && pf->lit_db && pf->kw_lo &&
              pf->kw_hi && jobs;
    if (!ok)
        snprintf(err, err_len, "out of memory building the prefilter");
    size_t n_used = 0;
    for (size_t i = 0; ok && i < b->n_lits; i++) {
        pf->lit_db[i] = UNSCANNED_DB;
        if (b->lits[i].kind == PF_SCAN && b->used[i])
            order[n_used++] = &b->lits[i];
    }
    pf->stats.n_literals = n_used;
    if (ok)
        qsort(order, n_used, sizeof(*order), cmp_slot);
    /* Keyword slots sort last (KW_BIT). Their literals all go into one keyword database
     * (the values are joined and scanned once), and each keyword slot keeps an entry in
     * dbs[] without an hs database of its own, for routing and the literal marks. (A
     * database per keyword slot, scanned for the few slots that apply to an event, was
     * slower: two scans of a Sysmon event's values cost more than one with every keyword.) */
    size_t kw_first = 0, n_kw = 0;
    while (kw_first < n_used && !(order[kw_first]->slot & KW_BIT))
        kw_first++;
    for (size_t i = 0; ok && i < n_used;) {
        bool kw = (order[i]->slot & KW_BIT) != 0;
        size_t at = i; /* each group keeps its place (keyword slots' places are adjacent) */
        size_t j = i;
        unsigned n = 0;
        for (; j < n_used && order[j]->slot == order[i]->slot; j++, n++) {
            unsigned id = (unsigned)(order[j] - b->lits);
            exprs[at + n] = order[j]->p;
            lens[at + n] = order[j]->len;
            ids[at + n] = id;
            flags[at + n] = HS_FLAG_SINGLEMATCH | (order[j]->cased ? 0u : HS_FLAG_CASELESS);
            pf->lit_db[id] = (uint32_t)pf->n_dbs;
        }
        pf->dbs[pf->n_dbs].slot = order[i]->slot;
        pf->dbs[pf->n_dbs].db = NULL;
        if (kw) {
            pf->kw_lo[pf->n_dbs] = (uint32_t)n_kw;
            pf->kw_hi[pf->n_dbs] = (uint32_t)(n_kw + n);
            n_kw += n;
        } else {
            jobs[n_jobs++] = (lit_job){exprs + at, flags + at, ids + at,
                                       lens + at,  n,          &pf->dbs[pf->n_dbs].db,
                                       NULL,       false};
        }
        pf->n_dbs++;
        i = j;
    }
    if (ok && n_kw)
        jobs[n_jobs++] =
                (lit_job){exprs + kw_first, flags + kw_first, ids + kw_first, lens + kw_first,
                          (unsigned)n_kw,   &pf->kw_db,       NULL,           false};
    if (ok)
        ok = run_lit_jobs(jobs, n_jobs, run, run_ctx, &pf->proto, err, err_len);
    if (ok && n_kw)
        ok = keep_kw_lits(pf, exprs + kw_first, flags + kw_first, ids + kw_first, lens + kw_first,
                          n_kw, err, err_len);
    if (ok)
        ok = build_re_dbs(pf, b, order, exprs, flags, ids, err, err_len);
    vg_free(jobs);
    vg_free(order);
    vg_free(exprs);
    vg_free(flags);
    vg_free(ids);
    vg_free(lens);
    return ok;
}

/* Eight bytes with ASCII upper-case letters made lower-case (other bytes unchanged), as
 * vg_ascii_lower does one byte at a time. */
static uint64_t fold8(uint64_t w)
{
    const uint64_t hi = 0x8080808080808080ull, low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t x = w & low7;
    uint64_t ge_a = x + 0x3f3f3f3f3f3f3f3full; /* bit 7 set where the byte >= 'A' */
    uint64_t gt_z = x + 0x2525252525252525ull; /* bit 7 set where the byte > 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~w & hi;   /* and the byte itself < 0x80 */
    return w | (upper >> 2);                   /* + 0x20 */
}

/* The lookup key of an exact-value atom, for the builder and the per-event lookup alike:
 * eight bytes at a time (length, field and kind mixed in). Never 0 (0 marks an empty table
 * entry). */
static uint64_t eq_key(uint32_t slot, pf_kind kind, bool fold, const char *p, size_t n)
{
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    uint64_t h = ((uint64_t)slot << 32 | (uint64_t)kind << 8 | (uint64_t)fold) ^ (n * m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ (fold ? fold8(w) : w)) * m;
        h ^= h >> 32;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ (fold ? fold8(w) : w)) * m;
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h ? h : 1;
}

/* The two bits of an eq_key hash in its eq_filter word (the word: bits 40 and up). */
static uint64_t filter_bits(uint64_t h)
{
    return 1ull << (h & 63) | 1ull << ((h >> 6) & 63);
}

/* The lengths of a field's exact text values: a value of another length equals none of
 * them and is not hashed. */
typedef struct pf_eqlen {
    uint64_t bits[4]; /* lengths 0..255 */
    bool longer;      /* some value is 256 bytes or more */
} pf_eqlen;

static void eqlen_add(pf_eqlen *e, size_t n)
{
    if (n < 256)
        e->bits[n / 64] |= 1ull << (n % 64);
    else
        e->longer = true;
}

static bool eqlen_has(const pf_eqlen *e, size_t n)
{
    return n < 256 ? (e->bits[n / 64] >> (n % 64)) & 1 : e->longer;
}

/* The exact-value atoms that some requirement uses, in one table; a slot's eq says which
 * keys an event's value of the field needs, its present is its presence atom. */
static bool build_eq(vg_prefilter *pf, const builder *b, size_t n_slots)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n_lits; i++) {
        const pf_lit *l = &b->lits[i];
        if (!b->used[i] || l->slot >= n_slots)
            continue;
        if (l->kind == PF_EQ_TEXT || l->kind == PF_EQ_NUM || l->kind == PF_EQ_BASE ||
            l->kind == PF_EQ_TAIL || l->kind == PF_EQ_SEG)
            n++;
        else if (l->kind == PF_PRESENT)
            pf->slots[l->slot].present = (uint32_t)i;
    }
    pf->stats.n_exact = n;
    if (!n)
        return true;
    pf->eq_size = 64;
    while (pf->eq_size < n * 2)
        pf->eq_size <<= 1;
    pf->eq = vg_calloc(pf->eq_size, sizeof(pf_eq));
    size_t words = 16; /* about eight bits per atom */
    while (words * 64 < n * 8)
        words <<= 1;
    pf->eq_filter = vg_calloc(words, sizeof(uint64_t));
    pf->eq_filter_mask = words - 1;
    if (!pf->eq || !pf->eq_filter)
        return false;
    for (size_t i = 0; i < b->n_lits; i++) {
        const pf_lit *l = &b->lits[i];
        if (!b->used[i] || l->slot >= n_slots ||
            (l->kind != PF_EQ_TEXT && l->kind != PF_EQ_NUM && l->kind != PF_EQ_BASE &&
             l->kind != PF_EQ_TAIL && l->kind != PF_EQ_SEG))
            continue;
        bool fold = l->kind != PF_EQ_NUM && !l->cased;
        uint64_t h = eq_key(l->slot, (pf_kind)l->kind, fold, l->p, l->len);
        size_t k = h & (pf->eq_size - 1);
        while (pf->eq[k].h)
            k = (k + 1) & (pf->eq_size - 1);
        pf->eq[k] = (pf_eq){h, (uint32_t)i};
        pf->eq_filter[(h >> 40) & pf->eq_filter_mask] |= filter_bits(h);
        pf_slot *ps = &pf->slots[l->slot];
        switch (l->kind) {
        case PF_EQ_NUM:
            ps->eq |= EQ_NUM;
            break;
        case PF_EQ_TEXT:
            ps->eq |= fold ? EQ_FOLDED : EQ_CASED;
            break;
        case PF_EQ_SEG: /* a slot with segment atoms has at most SEG_LENS lengths (req_seg) */
            seg_lens_add(&ps->seg, l->len);
            ps->eq |= fold ? EQ_SEG : EQ_SEG_C;
            break;
        default: /* basename, tail */
            ps->eq |= l->kind == PF_EQ_BASE ? (fold ? EQ_BASE : EQ_BASE_C)
                                            : (fold ? EQ_TAIL : EQ_TAIL_C);
            break;
        }
        pf->lit_db[i] = LOOKED_UP_DB;
    }
    /* the lengths of each field's exact text values */
    size_t n_len = 0;
    for (size_t f = 0; f < n_slots; f++)
        n_len += (pf->slots[f].eq & (EQ_FOLDED | EQ_CASED)) != 0;
    pf->eqlen = vg_calloc(n_len ? n_len : 1, sizeof(pf_eqlen));
    if (!pf->eqlen)
        return false;
    n_len = 0;
    for (size_t f = 0; f < n_slots; f++)
        pf->slots[f].eqlen = (pf->slots[f].eq & (EQ_FOLDED | EQ_CASED)) ? (uint32_t)n_len++ : 0;
    for (size_t i = 0; i < b->n_lits; i++) {
        const pf_lit *l = &b->lits[i];
        if (b->used[i] && l->slot < n_slots && l->kind == PF_EQ_TEXT)
            eqlen_add(&pf->eqlen[pf->slots[l->slot].eqlen], l->len);
    }
    /* the segment atoms of each slot, for values with too many '=' */
    pf->seg_off = vg_calloc(n_slots + 1, sizeof(uint32_t));
    if (!pf->seg_off)
        return false;
    size_t n_seg = 0;
    for (size_t i = 0; i < b->n_lits; i++) {
        const pf_lit *l = &b->lits[i];
        if (b->used[i] && l->slot < n_slots && l->kind == PF_EQ_SEG) {
            pf->seg_off[l->slot + 1]++;
            n_seg++;
        }
    }
    for (size_t f = 0; f < n_slots; f++)
        pf->seg_off[f + 1] += pf->seg_off[f];
    pf->seg_ids = vg_malloc((n_seg ? n_seg : 1) * sizeof(uint32_t));
    uint32_t *fill = vg_calloc(n_slots ? n_slots : 1, sizeof(uint32_t));
    if (!pf->seg_ids || !fill) {
        vg_free(fill);
        return false;
    }
    for (size_t i = 0; i < b->n_lits; i++) {
        const pf_lit *l = &b->lits[i];
        if (b->used[i] && l->slot < n_slots && l->kind == PF_EQ_SEG)
            pf->seg_ids[pf->seg_off[l->slot] + fill[l->slot]++] = (uint32_t)i;
    }
    vg_free(fill);
    return true;
}

/* the per-slot table (no database, no atom); field slot -> its database; the keyword
 * databases */
static bool build_slot_db(vg_prefilter *pf, const vg_ruleset *rs)
{
    size_t n_slots = rs->fslots.n ? rs->fslots.n : 1;
    pf->n_slots = rs->fslots.n;
    pf->slots = vg_malloc(n_slots * sizeof(pf_slot));
    pf->kw_dbs = vg_malloc((pf->n_dbs ? pf->n_dbs : 1) * sizeof(uint32_t));
    if (!pf->slots || !pf->kw_dbs)
        return false;
    for (size_t f = 0; f < n_slots; f++)
        pf->slots[f] = (pf_slot){UINT32_MAX, UINT32_MAX, UINT32_MAX, 0, 0, {0, {0}}};
    for (size_t d = 0; d < pf->n_dbs; d++) {
        if (pf->dbs[d].slot & KW_BIT)
            pf->kw_dbs[pf->n_kw_dbs++] = (uint32_t)d;
        else if (pf->dbs[d].re)
            pf->slots[pf->dbs[d].slot].redb = (uint32_t)d;
        else
            pf->slots[pf->dbs[d].slot].db = (uint32_t)d;
    }
    return true;
}

/* Keyword slot k's mapping entry (NULL for the every-event slot). */
static const vg_logsource *kw_ls(const vg_prefilter *pf, const vg_ruleset *rs, size_t k)
{
    uint32_t slot = pf->dbs[pf->kw_dbs[k]].slot;
    return slot == KW_ALWAYS ? NULL : &rs->ls.v[slot & ~KW_BIT].ls;
}

static bool same_product(const vg_logsource *a, const vg_logsource *b)
{
    return a && b && a->product && b->product && strcmp(a->product, b->product) == 0;
}

/* Scratch arrays for compiling keyword groups. */
typedef struct kw_build {
    const char **exprs;
    size_t *lens;
    unsigned *flags, *ids;
    size_t total;             /* keyword literals in all */
    size_t counts[KW_GROUPS]; /* literals of each group built */
} kw_build;

/* Add the group of the slots in bits unless it is there already, there are KW_GROUPS, or
 * it holds more than KW_GROUP_MAX literals (see build_kw_groups). */
static bool
kw_group_add(vg_prefilter *pf, kw_build *kb, const uint64_t *bits, char *err, size_t err_len)
{
    if (pf->n_kw_groups == KW_GROUPS)
        return true;
    for (size_t i = 0; i < pf->n_kw_groups; i++)
        if (memcmp(pf->kw_groups[i].bits, bits, sizeof(pf->kw_groups[i].bits)) == 0)
            return true;
    size_t n = 0;
    for (size_t k = 0; k < pf->n_kw_dbs; k++) {
        if (!((bits[k / 64] >> (k % 64)) & 1))
            continue;
        for (uint32_t i = pf->kw_lo[pf->kw_dbs[k]]; i < pf->kw_hi[pf->kw_dbs[k]]; i++, n++) {
            kb->exprs[n] = pf->kw_lits[i].p;
            kb->lens[n] = pf->kw_lits[i].len;
            kb->flags[n] = pf->kw_lits[i].flags;
            kb->ids[n] = pf->kw_lits[i].id;
        }
    }
    if (n == 0 || n > KW_GROUP_MAX || n == kb->total)
        return true;
    kw_group g;
    memcpy(g.bits, bits, sizeof(g.bits));
    if (!compile_db(kb->exprs, kb->flags, kb->ids, kb->lens, (unsigned)n, &g.db, &pf->proto, err,
                    err_len))
        return false;
    size_t at = pf->n_kw_groups++; /* insertion by size */
    while (at > 0 && kb->counts[at - 1] > n) {
        pf->kw_groups[at] = pf->kw_groups[at - 1];
        kb->counts[at] = kb->counts[at - 1];
        at--;
    }
    pf->kw_groups[at] = g;
    kb->counts[at] = n;
    return true;
}

/* Keyword databases for the keyword slots one event may use. Routing lets an event use the
 * slots of the mapping entries that hold for it, and those hold within one product: its
 * product-wide entries (no category or service: `product: windows`), usually one specific
 * entry (`category: process_creation`), and the every-event slot. So each specific entry
 * gets a database of its slot, its product's product-wide slots and the every-event slot,
 * and each product one of the latter two, when that is at most KW_GROUP_MAX literals (a
 * small set, which vectorscan matches much faster than the large one; a larger group would
 * save little and cost its compile time); an event whose slots are in none of them gets the
 * database of every keyword literal. With the SigmaHQ rules a Sysmon event is scanned for
 * about 100 keyword literals instead of 540 (9 databases more, built in about 0.05 s). Groups
 * are sorted by size, so that kw_db_for finds the smallest that holds an event's slots. */
static bool build_kw_groups(vg_prefilter *pf, const vg_ruleset *rs, char *err, size_t err_len)
{
    if (!pf->kw_db || pf->n_kw_dbs > KW_SET_WORDS * 64)
        return true;
    kw_build kb = {0};
    for (size_t k = 0; k < pf->n_kw_dbs; k++)
        kb.total += pf->kw_hi[pf->kw_dbs[k]] - pf->kw_lo[pf->kw_dbs[k]];
    size_t cap = kb.total ? kb.total : 1;
    kb.exprs = vg_malloc(cap * sizeof(*kb.exprs));
    kb.lens = vg_malloc(cap * sizeof(*kb.lens));
    kb.flags = vg_malloc(cap * sizeof(*kb.flags));
    kb.ids = vg_malloc(cap * sizeof(*kb.ids));
    bool ok = kb.exprs && kb.lens && kb.flags && kb.ids;
    if (!ok)
        snprintf(err, err_len, "out of memory building the prefilter");
    for (size_t k = 0; ok && k < pf->n_kw_dbs; k++) {
        const vg_logsource *lk = kw_ls(pf, rs, k);
        if (!lk)
            continue;
        /* k (specific: with its product's product-wide slots; product-wide: those alone) */
        uint64_t bits[KW_SET_WORDS] = {0};
        for (size_t j = 0; j < pf->n_kw_dbs; j++) {
            const vg_logsource *lj = kw_ls(pf, rs, j);
            if (!lj || j == k || (same_product(lj, lk) && !lj->category && !lj->service))
                bits[j / 64] |= 1ull << (j % 64);
        }
        ok = kw_group_add(pf, &kb, bits, err, err_len); /* the same set again is not added */
    }
    vg_free(kb.exprs);
    vg_free(kb.lens);
    vg_free(kb.flags);
    vg_free(kb.ids);
    return ok;
}

/* Every value matcher with a literal notes it (vg_vmatch.pf_lit), so that evaluation finds
 * it without a lookup. The matchers belong to the ruleset the prefilter is built for, which
 * vg_ruleset_build_prefilter holds writable; the walk that found them is read-only. */
static void note_vm_lits(const builder *b)
{
    for (size_t i = 0; i < b->n_vm; i++) {
        vg_vmatch *vm = (vg_vmatch *)(uintptr_t)b->vm_keys[i];
        vm->pf_lit = b->vm_lit[i] + 1;
    }
}

/* Lists of at least FC_LIST values without `all`: each value's atom, in one array, so
 * that evaluation passes over the values whose atom was not seen without reading them
 * (vg_fcond.pf_atoms); and for every field condition whether an absent field fails it. The
 * conditions belong to the ruleset the prefilter is built for (see note_vm_lits). */
#define FC_LIST 8
static bool note_fconds(vg_prefilter *pf, const vg_ruleset *rs)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        for (size_t r = 0; r < rs->rules.n; r++) {
            const vg_det *det = &rs->rules.v[r].det;
            for (size_t i = 0; i < det->n_sels; i++)
                for (size_t g = 0; g < det->sels[i].n_groups; g++)
                    for (size_t k = 0; k < det->sels[i].groups[g].n; k++) {
                        vg_fcond *f = (vg_fcond *)(uintptr_t)&det->sels[i].groups[g].conds[k];
                        if (!f->field)
                            continue;
                        if (pass == 0) {
                            bool absent_false = true;
                            for (size_t v = 0; v < f->n_vals && absent_false; v++)
                                absent_false = f->vals[v].kind != VG_VM_NULL &&
                                               f->vals[v].kind != VG_VM_EXISTS;
                            f->pf_absent_false = absent_false;
                        }
                        if (f->all || f->n_vals < FC_LIST)
                            continue;
                        if (pass == 1) {
                            for (size_t v = 0; v < f->n_vals; v++)
                                pf->fc_atoms[n + v] =
                                        f->vals[v].pf_lit ? f->vals[v].pf_lit - 1 : UINT32_MAX;
                            f->pf_atoms = pf->fc_atoms + n;
                        }
                        n += f->n_vals;
                    }
        }
        if (pass == 0 && !(pf->fc_atoms = vg_malloc((n ? n : 1) * sizeof(uint32_t))))
            return false;
    }
    return true;
}

/* rule -> the databases of its first clause's scanned literals, as CSR (a database may be
 * listed twice). The further clauses' literals are first clauses' too (see admissible);
 * routing need not scan them for this rule: unscanned, they count as seen. */
static bool build_rule_dbs(vg_prefilter *pf, const cnf *reqs)
{
    pf->rule_off = vg_calloc(pf->n_rules + 1, sizeof(uint32_t));
    if (!pf->rule_off)
        return false;
    for (size_t r = 0; r < pf->n_rules; r++) {
        const req *c = &reqs[r].c[0];
        uint32_t n = 0;
        for (size_t i = 0; !c->none && i < c->n; i++)
            n += pf->lit_db[c->lits[i]] < pf->n_dbs;
        pf->rule_off[r + 1] = pf->rule_off[r] + n;
    }
    pf->rule_dbs = vg_malloc((pf->rule_off[pf->n_rules] + 1) * sizeof(uint32_t));
    if (!pf->rule_dbs)
        return false;
    for (size_t r = 0; r < pf->n_rules; r++) {
        const req *c = &reqs[r].c[0];
        uint32_t n = pf->rule_off[r];
        for (size_t i = 0; !c->none && i < c->n; i++)
            if (pf->lit_db[c->lits[i]] < pf->n_dbs)
                pf->rule_dbs[n++] = pf->lit_db[c->lits[i]];
    }
    return true;
}

static void builder_fini(builder *b)
{
    vg_free(b->used);
    vg_free(b->first_used);
    vg_free(b->first_kinds);
    vg_free(b->vm_keys);
    vg_free(b->seg);
    vg_free(b->vm_lit);
    vg_free(b->lits);
    vg_free(b->tab);
    vg_arena_free(b->a);
}

vg_prefilter *vg_prefilter_new(
        const vg_ruleset *rs, vg_run_tasks_fn run, void *run_ctx, char *err, size_t err_len)
{
    vg_prefilter *pf = vg_calloc(1, sizeof(*pf));
    builder b = {.rs = rs, .a = vg_arena_new(0, 0), .kw_slot = KW_ALWAYS};
    cnf *reqs = vg_calloc(rs->rules.n ? rs->rules.n : 1, sizeof(cnf));
    if (!pf || !b.a || !reqs) {
        snprintf(err, err_len, "out of memory building the prefilter");
        goto fail;
    }
    pf->n_rules = (uint32_t)rs->rules.n;
    pf->n_words = (rs->rules.n + 63) / 64;
    pf->always = vg_calloc(pf->n_words ? pf->n_words : 1, sizeof(uint64_t));
    b.seg = vg_calloc(rs->fslots.n ? rs->fslots.n : 1, sizeof(*b.seg));
    if (!pf->always || !b.seg)
        goto nomem;
    seg_collect(&b);
    note_benign(&b);
    /* Pass 1: one clause per rule, the most selective (see prefer). Pass 2: up to CLAUSES
     * per rule, the first pass's among them, the others of atoms that the first pass's
     * clauses make the scan look for anyway (see admissible). */
    for (size_t r = 0; r < rs->rules.n; r++) {
        const vg_rule *rule = &rs->rules.v[r];
        b.kw_slot = kw_slot_of(rs, rule);
        reqs[r] = req_prog(&b, &rule->det, rule->det.prog, 0);
    }
    b.n_first = b.n_lits;
    b.first_used = vg_calloc(b.n_lits ? b.n_lits : 1, 1);
    b.first_kinds = vg_calloc(rs->fslots.n ? rs->fslots.n : 1, sizeof(uint32_t));
    if (b.nomem || !b.first_used || !b.first_kinds)
        goto nomem;
    for (size_t r = 0; r < rs->rules.n; r++)
        for (size_t i = 0; !reqs[r].c[0].none && i < reqs[r].c[0].n; i++) {
            const pf_lit *l = &b.lits[reqs[r].c[0].lits[i]];
            b.first_used[reqs[r].c[0].lits[i]] = 1;
            if (!(l->slot & KW_BIT))
                b.first_kinds[l->slot] |= 1u << (2 * l->kind + l->cased);
        }
    b.n_vm = 0; /* the second pass notes every value's literal again */
    for (size_t r = 0; r < rs->rules.n; r++) {
        const vg_rule *rule = &rs->rules.v[r];
        b.kw_slot = kw_slot_of(rs, rule);
        if (!reqs[r].c[0].none)
            reqs[r] = cnf_and(&b, reqs[r], req_prog(&b, &rule->det, rule->det.prog, 0));
        if (b.nomem)
            goto nomem;
        if (reqs[r].c[0].none || reqs[r].c[0].n == 0) {
            reqs[r] = CNF_NONE;
            pf->always[r / 64] |= 1ull << (r % 64);
            pf->stats.n_always++;
        } else {
            pf->stats.n_filtered++;
        }
        if (!reqs[r].c[0].none)
            pf->stats.n_more_clauses += !reqs[r].c[1].none;
    }
    /* literal -> the rules whose first clause it is in, as CSR (a rule may list a literal
     * twice: harmless); the further clauses of each rule, as CSR */
    pf->n_lits = b.n_lits;
    pf->lit_off = vg_calloc(b.n_lits + 1, sizeof(uint32_t));
    pf->more_off = vg_calloc(rs->rules.n + 1, sizeof(uint32_t));
    b.used = vg_calloc(b.n_lits ? b.n_lits : 1, 1);
    if (!pf->lit_off || !pf->more_off || !b.used)
        goto nomem;
    size_t total = 0, n_more = 0;
    for (size_t r = 0; r < rs->rules.n; r++) {
        for (size_t i = 0; !reqs[r].c[0].none && i < reqs[r].c[0].n; i++) {
            pf->lit_off[reqs[r].c[0].lits[i] + 1]++;
            b.used[reqs[r].c[0].lits[i]] = 1;
            total++;
        }
        for (size_t k = 1; k < CLAUSES; k++)
            if (!reqs[r].c[k].none)
                n_more += reqs[r].c[k].n + 1;
        pf->more_off[r + 1] = (uint32_t)n_more;
    }
    for (size_t i = 0; i < b.n_lits; i++)
        pf->lit_off[i + 1] += pf->lit_off[i];
    pf->lit_rules = vg_malloc((total ? total : 1) * sizeof(uint32_t));
    pf->more = vg_malloc((n_more ? n_more : 1) * sizeof(uint32_t));
    uint32_t *fill = vg_calloc(b.n_lits + 1, sizeof(uint32_t));
    if (!pf->lit_rules || !pf->more || !fill) {
        vg_free(fill);
        goto nomem;
    }
    for (size_t r = 0; r < rs->rules.n; r++) {
        for (size_t i = 0; !reqs[r].c[0].none && i < reqs[r].c[0].n; i++) {
            uint32_t l = reqs[r].c[0].lits[i];
            pf->lit_rules[pf->lit_off[l] + fill[l]++] = (uint32_t)r;
        }
        uint32_t *m = pf->more + pf->more_off[r];
        for (size_t k = 1; k < CLAUSES; k++) {
            if (reqs[r].c[k].none)
                continue;
            *m++ = (uint32_t)reqs[r].c[k].n;
            for (size_t i = 0; i < reqs[r].c[k].n; i++) {
                *m++ = reqs[r].c[k].lits[i];
                b.used[reqs[r].c[k].lits[i]] = 1;
            }
        }
    }
    vg_free(fill);
    if (!build_dbs(pf, &b, run, run_ctx, err, err_len))
        goto fail;
    if (!build_slot_db(pf, rs) || !build_rule_dbs(pf, reqs) || !build_eq(pf, &b, rs->fslots.n))
        goto nomem;
    if (!build_kw_groups(pf, rs, err, err_len))
        goto fail;
    note_vm_lits(&b);
    if (!note_fconds(pf, rs))
        goto nomem;
    pf->present = vg_present_new(rs);
    if (!pf->present)
        goto nomem;
    bool nomem;
    pf->route = vg_route_new(rs, pf, &nomem);
    if (nomem)
        goto nomem;
    pf->stats.n_rules = rs->rules.n;
    pf->stats.n_databases = (pf->kw_db ? 1 : 0) + pf->n_kw_groups;
    for (size_t d = 0; d < pf->n_dbs; d++)
        pf->stats.n_databases += pf->dbs[d].db != NULL;
    vg_free(reqs);
    builder_fini(&b);
    return pf;
nomem:
    snprintf(err, err_len, "out of memory building the prefilter");
fail:
    vg_free(reqs);
    builder_fini(&b);
    vg_prefilter_free(pf);
    return NULL;
}

void vg_prefilter_free(vg_prefilter *pf)
{
    if (!pf)
        return;
    for (size_t i = 0; i < pf->n_dbs; i++)
        hs_free_database(pf->dbs[i].db);
    hs_free_database(pf->kw_db);
    hs_free_scratch(pf->proto);
    vg_route_free(pf->route);
    vg_free(pf->dbs);
    vg_free(pf->slots);
    vg_free(pf->seg_off);
    vg_free(pf->seg_ids);
    vg_free(pf->eq);
    vg_free(pf->eq_filter);
    vg_free(pf->eqlen);
    vg_free(pf->kw_dbs);
    vg_present_free(pf->present);
    vg_free(pf->always);
    vg_free(pf->lit_db);
    vg_free(pf->rule_off);
    vg_free(pf->rule_dbs);
    vg_free(pf->lit_off);
    vg_free(pf->lit_rules);
    vg_free(pf->more_off);
    vg_free(pf->re_always);
    for (size_t i = 0; i < pf->n_kw_groups; i++)
        hs_free_database(pf->kw_groups[i].db);
    vg_free(pf->kw_lits);
    vg_free(pf->kw_bytes);
    vg_free(pf->kw_lo);
    vg_free(pf->kw_hi);
    vg_free(pf->fc_atoms);
    vg_free(pf->more);
    vg_free(pf);
}

void vg_prefilter_stats(const vg_prefilter *pf, vg_pf_stats *out)
{
    *out = pf->stats;
}

bool vg_prefilter_atom_possible(const vg_prefilter *pf, const vg_pf_scratch *s, uint32_t atom)
{
    if (atom == UINT32_MAX || pf->lit_db[atom] == UNSCANNED_DB)
        return true; /* no atom, or one this scan does not decide */
    if (s->lit_gen[atom] == s->gen)
        return true;
    /* a literal or regex whose database this event did not scan may be there */
    return pf->lit_db[atom] != LOOKED_UP_DB && s->db_gen[pf->lit_db[atom]] != s->gen;
}

bool vg_prefilter_more(const vg_prefilter *pf, const vg_pf_scratch *s, uint32_t r)
{
    const uint32_t *m = pf->more + pf->more_off[r], *end = pf->more + pf->more_off[r + 1];
    while (m < end) {
        uint32_t n = *m++;
        bool seen = false;
        for (uint32_t i = 0; i < n && !seen; i++)
            seen = vg_prefilter_atom_possible(pf, s, m[i]);
        if (!seen)
            return false;
        m += n;
    }
    return true;
}

bool vg_prefilter_value_possible(const vg_prefilter *pf,
                                 const vg_pf_scratch *s,
                                 const vg_vmatch *vm)
{
    return !vm->pf_lit || vg_prefilter_atom_possible(pf, s, vm->pf_lit - 1);
}

const vg_present *vg_prefilter_present(const vg_prefilter *pf)
{
    return pf->present;
}

const vg_route *vg_prefilter_route(const vg_prefilter *pf)
{
    return pf->route;
}

int64_t vg_prefilter_kw_entry(const vg_prefilter *pf, size_t d)
{
    if (d >= pf->n_dbs || !(pf->dbs[d].slot & KW_BIT))
        return -2;
    return pf->dbs[d].slot == KW_ALWAYS ? -1 : (int64_t)(pf->dbs[d].slot & ~KW_BIT);
}

size_t vg_prefilter_n_dbs(const vg_prefilter *pf)
{
    return pf->n_dbs;
}

const uint32_t *vg_prefilter_rule_dbs(const vg_prefilter *pf, uint32_t r, size_t *n)
{
    *n = pf->rule_off[r + 1] - pf->rule_off[r];
    return pf->rule_dbs + pf->rule_off[r];
}

bool vg_prefilter_always(const vg_prefilter *pf, uint32_t r)
{
    return r < pf->n_rules && (pf->always[r / 64] >> (r % 64)) & 1;
}

/* ---- per event ---- */

vg_pf_scratch *vg_pf_scratch_new(const vg_prefilter *pf)
{
    vg_pf_scratch *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->n_words = pf->n_words;
    s->cand = vg_calloc(pf->n_words ? pf->n_words : 1, sizeof(uint64_t));
    s->lit_gen = vg_calloc(pf->n_lits ? pf->n_lits : 1, sizeof(uint32_t));
    s->db_gen = vg_calloc(pf->n_dbs + 1, sizeof(uint32_t));
    s->vc = vg_vcache_new(VC_ENTRIES, VC_STORE);
    if (!s->cand || !s->lit_gen || !s->db_gen || !s->vc ||
        (pf->proto && hs_clone_scratch(pf->proto, &s->hs) != HS_SUCCESS)) {
        vg_pf_scratch_free(s);
        return NULL;
    }
    return s;
}

void vg_pf_scratch_free(vg_pf_scratch *s)
{
    if (!s)
        return;
    hs_free_scratch(s->hs);
    vg_vcache_free(s->vc);
    vg_free(s->cand);
    vg_free(s->lit_gen);
    vg_free(s->db_gen);
    vg_free(s->kw_buf);
    vg_free(s);
}

typedef struct scan_ctx {
    const vg_prefilter *pf;
    vg_pf_scratch *s;
    uint64_t *cand;
    bool rec;      /* recording marks into s->rec for the value cache */
    bool rec_over; /* more than fit: the value is not cached */
    size_t n_rec;
} scan_ctx;

/* Atom id was seen: the rules whose first clause it is in become candidates. */
static void mark(scan_ctx *c, uint32_t id)
{
    if (c->rec) {
        if (c->n_rec < VG_VC_MAX_IDS)
            c->s->rec[c->n_rec++] = id;
        else
            c->rec_over = true;
    }
    c->s->lit_gen[id] = c->s->gen;
    for (uint32_t i = c->pf->lit_off[id]; i < c->pf->lit_off[id + 1]; i++) {
        uint32_t r = c->pf->lit_rules[i];
        c->cand[r / 64] |= 1ull << (r % 64);
    }
}

static void eq_lookup(scan_ctx *c, uint64_t h)
{
    const vg_prefilter *pf = c->pf;
    uint64_t want = filter_bits(h);
    if ((pf->eq_filter[(h >> 40) & pf->eq_filter_mask] & want) != want)
        return;
    for (size_t k = h & (pf->eq_size - 1); pf->eq[k].h; k = (k + 1) & (pf->eq_size - 1))
        if (pf->eq[k].h == h)
            mark(c, pf->eq[k].lit); /* a 64-bit hash collision only adds a candidate */
}

/* The length of a value's text up to and including its last path separator (0: none).
 * Sixteen bytes at a time from the end where SSE2 is there (command lines are long). */
static size_t base_start(const char *p, size_t n)
{
    size_t k = n;
#if defined(__SSE2__)
    const __m128i bs = _mm_set1_epi8('\\'), sl = _mm_set1_epi8('/');
    for (; k >= 16; k -= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + k - 16));
        unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(v, bs), _mm_cmpeq_epi8(v, sl)));
        if (m)
            return k - 16 + (size_t)(32 - __builtin_clz(m));
    }
#endif
    while (k > 0 && !is_sep(p[k - 1]))
        k--;
    return k;
}

/* The exact-value atoms of one field value (node t, a scalar). What they are depends on the
 * slot and the value's text alone (the value cache relies on it): a boolean is left out of
 * the number lookup, but its text (true, false) is no number anyway. */
static void eq_value(scan_ctx *c, uint32_t slot, const pf_slot *ps, const vg_node *t)
{
    unsigned bits = ps->eq;
    const vg_prefilter *pf = c->pf;
    if ((bits & (EQ_FOLDED | EQ_CASED)) && eqlen_has(&pf->eqlen[ps->eqlen], t->text.len)) {
        if (bits & EQ_FOLDED)
            eq_lookup(c, eq_key(slot, PF_EQ_TEXT, true, t->text.p, t->text.len));
        if (bits & EQ_CASED)
            eq_lookup(c, eq_key(slot, PF_EQ_TEXT, false, t->text.p, t->text.len));
    }
    if (bits & (EQ_BASE | EQ_BASE_C)) {
        size_t k = base_start(t->text.p, t->text.len);
        if (k > 0 && k < t->text.len) { /* only such a value ends with a basename suffix */
            const char *q = t->text.p + k;
            if (bits & EQ_BASE)
                eq_lookup(c, eq_key(slot, PF_EQ_BASE, true, q, t->text.len - k));
            if (bits & EQ_BASE_C)
                eq_lookup(c, eq_key(slot, PF_EQ_BASE, false, q, t->text.len - k));
        }
    }
    if (bits & (EQ_SEG | EQ_SEG_C)) { /* at every '=', each segment length */
        const char *p = t->text.p, *end = p + t->text.len;
        size_t n_eq = 0;
        for (const char *q = p; q < end && (q = memchr(q, '=', (size_t)(end - q))) != NULL;) {
            q++;
            if (++n_eq > SEG_MAX_EQ) {
                for (uint32_t k = pf->seg_off[slot]; k < pf->seg_off[slot + 1]; k++)
                    mark(c, pf->seg_ids[k]);
                break;
            }
            for (uint8_t j = 0; j < ps->seg.n; j++) {
                size_t n = ps->seg.len[j];
                if ((size_t)(end - q) < n)
                    continue;
                if (bits & EQ_SEG)
                    eq_lookup(c, eq_key(slot, PF_EQ_SEG, true, q, n));
                if (bits & EQ_SEG_C)
                    eq_lookup(c, eq_key(slot, PF_EQ_SEG, false, q, n));
            }
        }
    }
    if ((bits & (EQ_TAIL | EQ_TAIL_C)) && t->text.len > 0) {
        const char *q = t->text.p + t->text.len - 1;
        if (bits & EQ_TAIL)
            eq_lookup(c, eq_key(slot, PF_EQ_TAIL, true, q, 1));
        if (bits & EQ_TAIL_C)
            eq_lookup(c, eq_key(slot, PF_EQ_TAIL, false, q, 1));
    }
    vg_num x;
    if ((bits & EQ_NUM) && t->type != VG_V_BOOL && vg_num_parse(t->text.p, t->text.len, &x)) {
        int64_t i;
        if (x.is_int)
            i = x.i;
        else if (x.d >= (double)-EQ_NUM_MAX && x.d <= (double)EQ_NUM_MAX &&
                 x.d == (double)(int64_t)x.d)
            i = (int64_t)x.d;
        else
            return; /* equals no integer of at most 2^53 */
        if (i < -EQ_NUM_MAX || i > EQ_NUM_MAX)
            return;
        char key[sizeof(int64_t)];
        memcpy(key, &i, sizeof(key));
        eq_lookup(c, eq_key(slot, PF_EQ_NUM, false, key, sizeof(key)));
    }
}

static int on_match(unsigned int id,
                    unsigned long long from,
                    unsigned long long to,
                    unsigned int flags,
                    void *vctx)
{
    (void)from;
    (void)to;
    (void)flags;
    mark(vctx, id);
    return 0;
}

/* The text a field node compares as (see eval.c: "#text" objects). */
static const vg_node *scan_text(const vg_event *ev, const vg_node *n)
{
    if (n->type == VG_V_OBJ) {
        for (uint32_t c = n->first_child; c != VG_NODE_NONE;) {
            const vg_node *k = vg_event_node(ev, c);
            if (k->key.len == 5 && memcmp(k->key.p, "#text", 5) == 0)
                return k;
            c = k->next_sibling;
        }
    }
    return n;
}

static void scan_span(const hs_database_t *db, vg_pf_scratch *s, scan_ctx *c, vg_span t)
{
    if (t.len > UINT32_MAX)
        t.len = UINT32_MAX;
    hs_scan(db, t.p ? t.p : "", (unsigned)t.len, 0, s->hs, on_match, c);
}

/* One part of a value's atoms (VG_VC_PARTS order): its exact values, its field database's
 * literals, its regex database's regexes. */
static void value_part(scan_ctx *c, uint32_t slot, const pf_slot *ps, const vg_node *t, int part)
{
    if (part == 0)
        eq_value(c, slot, ps, t);
    else
        scan_span(c->pf->dbs[part == 1 ? ps->db : ps->redb].db, c->s, c, t->text);
}

/* Whether to cache a value after a miss: on its second miss within DOOR_AGE misses. */
static bool door_admits(vg_pf_scratch *s, uint64_t h)
{
    if (++s->door_misses >= DOOR_AGE) {
        memset(s->door, 0, sizeof(s->door));
        s->door_misses = 0;
    }
    uint32_t bit = (uint32_t)(h >> (64 - DOOR_BITS));
    uint64_t m = 1ull << (bit % 64);
    bool seen = (s->door[bit / 64] & m) != 0;
    s->door[bit / 64] |= m;
    return seen;
}

/* The atoms of one value t (a scalar) of a field: the parts in need, from the value cache
 * when it has the value, else looked up and scanned (and then cached, see door_admits). */
static void value_atoms(scan_ctx *c,
                        uint32_t slot,
                        const pf_slot *ps,
                        const vg_node *t,
                        const bool need[VG_VC_PARTS])
{
    vg_pf_scratch *s = c->s;
    vg_vc_key k;
    if (!vg_vc_key_of(slot, t->text.p, t->text.len, &k)) {
        for (int p = 0; p < VG_VC_PARTS; p++)
            if (need[p])
                value_part(c, slot, ps, t, p);
        return;
    }
    vg_vc_hit hit;
    if (vg_vcache_get(s->vc, &k, &hit)) {
        for (int p = 0; p < VG_VC_PARTS; p++) {
            if (!need[p])
                continue;
            if (hit.n[p] == VG_VC_NONE) { /* not recorded: its database was skipped then */
                value_part(c, slot, ps, t, p);
                continue;
            }
            for (uint16_t i = 0; i < hit.n[p]; i++)
                mark(c, hit.ids[p][i]);
        }
        return;
    }
    const uint32_t *ids[VG_VC_PARTS];
    uint16_t n[VG_VC_PARTS];
    c->rec = true;
    c->rec_over = false;
    c->n_rec = 0;
    for (int p = 0; p < VG_VC_PARTS; p++) {
        size_t from = c->n_rec;
        if (need[p])
            value_part(c, slot, ps, t, p);
        ids[p] = s->rec + from;
        n[p] = need[p] ? (uint16_t)(c->n_rec - from) : VG_VC_NONE;
    }
    c->rec = false;
    if (!c->rec_over && door_admits(s, k.h))
        vg_vcache_put(s->vc, &k, ids, n);
}

/* The atoms of every value of field slot (first node first): the parts need says. */
static void field_atoms(scan_ctx *c,
                        const vg_event *ev,
                        uint32_t slot,
                        const pf_slot *ps,
                        const bool need[VG_VC_PARTS],
                        uint32_t first)
{
    for (uint32_t i = first; i != VG_NODE_NONE;) {
        const vg_node *nd = vg_event_node(ev, i);
        const vg_node *t = scan_text(ev, nd);
        if (t->type == VG_V_STR || t->type == VG_V_NUM || t->type == VG_V_BOOL)
            value_atoms(c, slot, ps, t, need);
        i = nd->next_same;
    }
}

/* Keyword literals may occur in any value: scan all values in one call, joined by a NUL.
 * Joining can only add matches (a literal spanning two values), never lose one, and the
 * prefilter may over-approximate. */
static void
scan_keywords(const hs_database_t *db, vg_pf_scratch *s, scan_ctx *c, const vg_event *ev)
{
    uint32_t n = vg_event_count(ev);
    bool joined = true;
    s->kw_len = 0;
    for (uint32_t i = 1; i < n && joined; i++) {
        const vg_node *nd = vg_event_node(ev, i);
        if (nd->type != VG_V_STR && nd->type != VG_V_NUM)
            continue;
        size_t len = s->kw_len;
        if (len + nd->text.len + 1 > s->kw_cap) {
            size_t cap = (len + nd->text.len + 1) * 2;
            char *nb = vg_realloc(s->kw_buf, cap);
            if (!nb) {
                joined = false;
                break;
            }
            s->kw_buf = nb;
            s->kw_cap = cap;
        }
        if (nd->text.len)
            memcpy(s->kw_buf + len, nd->text.p, nd->text.len);
        len += nd->text.len;
        s->kw_buf[len++] = '\0';
        s->kw_len = len;
    }
    if (joined) {
        scan_span(db, s, c, (vg_span){s->kw_buf, s->kw_len});
    } else { /* out of memory: one value at a time */
        for (uint32_t i = 1; i < n; i++) {
            const vg_node *nd = vg_event_node(ev, i);
            if (nd->type == VG_V_STR || nd->type == VG_V_NUM)
                scan_span(db, s, c, nd->text);
        }
    }
}

/* The smallest keyword database that holds the literals of every keyword slot in set (bit
 * k: kw_dbs[k]): a product's (build_kw_groups), else the one of every keyword literal. A
 * product's database reports only literals that apply to the event's product; the other
 * slots' rules cannot apply to the event (routing), and their marks count as unknown (their
 * databases' db_gen is not this event's). */
static const hs_database_t *kw_db_for(const vg_prefilter *pf, const uint64_t *set)
{
    for (size_t i = 0; i < pf->n_kw_groups; i++) {
        bool sub = true;
        for (size_t w = 0; w < KW_SET_WORDS && sub; w++)
            sub = (set[w] & ~pf->kw_groups[i].bits[w]) == 0;
        if (sub)
            return pf->kw_groups[i].db;
    }
    return pf->kw_db;
}

const uint64_t *vg_prefilter_scan(const vg_prefilter *pf,
                                  vg_pf_scratch *s,
                                  const vg_event *ev,
                                  const uint32_t *slots,
                                  size_t n_slots,
                                  uint32_t (*resolve)(void *ctx, uint32_t slot),
                                  void *ctx,
                                  const uint8_t *db_skip,
                                  size_t *n_words)
{
    memcpy(s->cand, pf->always, pf->n_words * sizeof(uint64_t));
    scan_ctx c = {pf, s, s->cand, false, false, 0};
    if (++s->gen == 0) { /* wrapped: forget every mark */
        memset(s->lit_gen, 0, (pf->n_lits ? pf->n_lits : 1) * sizeof(uint32_t));
        memset(s->db_gen, 0, (pf->n_dbs + 1) * sizeof(uint32_t));
        s->gen = 1;
    }
    for (size_t i = 0; i < pf->n_re_always; i++)
        mark(&c, pf->re_always[i]);
    for (size_t k = 0; k < n_slots; k++) {
        uint32_t slot = slots[k];
        const pf_slot *ps = &pf->slots[slot];
        if (ps->present != UINT32_MAX)
            mark(&c, ps->present);
        bool need[VG_VC_PARTS] = {ps->eq != 0, /* its exact-value atoms are looked up */
                                  ps->db != UINT32_MAX && !(db_skip && db_skip[ps->db]),
                                  ps->redb != UINT32_MAX && !(db_skip && db_skip[ps->redb])};
        if (need[1])
            s->db_gen[ps->db] = s->gen;
        if (need[2])
            s->db_gen[ps->redb] = s->gen;
        if (need[0] || need[1] || need[2])
            field_atoms(&c, ev, slot, ps, need, resolve(ctx, slot));
    }
    /* one scan for every keyword slot that may apply (the others' literals it sees only add
     * candidates that routing or the evaluation drop) */
    bool kw = false, all = true;
    uint64_t set[KW_SET_WORDS] = {0};
    for (size_t k = 0; k < pf->n_kw_dbs; k++) {
        if (!db_skip || !db_skip[pf->kw_dbs[k]]) {
            s->db_gen[pf->kw_dbs[k]] = s->gen;
            kw = true;
            if (k < KW_SET_WORDS * 64)
                set[k / 64] |= 1ull << (k % 64);
        } else {
            all = false;
        }
    }
    if (kw)
        scan_keywords(all || pf->n_kw_dbs > KW_SET_WORDS * 64 ? pf->kw_db : kw_db_for(pf, set), s,
                      &c, ev);
    *n_words = pf->n_words;
    return s->cand;
}
