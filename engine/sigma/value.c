/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value.c: one detection entry "Field|mod|mod: value(s)" -> vg_fcond.
 *
 * DESIGN
 * The key is split into the field name and its modifiers, and the modifiers are sorted
 * into roles:
 *   match type   contains / startswith / endswith (at most one), applied last, after every
 *                transformation, as '*' around the value;
 *   transforms   windash, wide/utf16le/utf16be/utf16, base64, base64offset, applied to the
 *                parsed value in the order written;
 *   value types  re (+ i, m, s), cidr, gt/gte/lt/lte, exists, fieldref, the time parts
 *                (minute .. year): each replaces string matching and admits only some
 *                companions (a wrong mix is an error naming both);
 *   flags        all, cased, neq, expand.
 * Each Sigma value becomes one or more vg_vmatch alternatives sharing a group number
 * (base64offset gives three, a placeholder gives one per configured value).
 *
 * Values encoded with base64/base64offset compare case-sensitively (base64 text is
 * case-sensitive); UTF-16 alone folds ASCII letters like any value.
 *
 * Values: a plain YAML scalar that reads as a number also compares numerically (EventID:
 * 4688 matches 4688 and "4688"); plain null / ~ / empty is the Sigma null (field absent or
 * null); everything else is a Sigma string with wildcards and escapes (sigma/sstr.h).
 * A keyword list (no field) searches every string value and has contains semantics unless
 * startswith/endswith is given.
 */
#include "sigma/rule_int.h"
#include "sigma/sstr.h"

#include <stdio.h>
#include <string.h>

enum mod_bit {
    M_CONTAINS = 1u << 0,
    M_STARTSWITH = 1u << 1,
    M_ENDSWITH = 1u << 2,
    M_ALL = 1u << 3,
    M_RE = 1u << 4,
    M_RE_I = 1u << 5,
    M_RE_M = 1u << 6,
    M_RE_S = 1u << 7,
    M_CIDR = 1u << 8,
    M_BASE64 = 1u << 9,
    M_BASE64OFF = 1u << 10,
    M_UTF16 = 1u << 11, /* any of wide / utf16le / utf16be / utf16 */
    M_WINDASH = 1u << 12,
    M_EXISTS = 1u << 13,
    M_CASED = 1u << 14,
    M_CMP = 1u << 15, /* gt gte lt lte */
    M_NEQ = 1u << 16,
    M_FIELDREF = 1u << 17,
    M_EXPAND = 1u << 18,
    M_TIME = 1u << 19
};

typedef enum xform {
    X_WINDASH,
    X_UTF16LE,
    X_UTF16BE,
    X_UTF16BOM,
    X_BASE64,
    X_BASE64OFF
} xform;

#define MAX_MODS 16

typedef struct mods {
    uint32_t bits;
    xform xf[MAX_MODS];
    size_t n_xf;
    vg_cmp_op op;
    vg_time_part tpart;
} mods;

typedef struct mod_def {
    const char *name;
    uint32_t bit;
    int xf; /* xform or -1 */
    int op; /* cmp op or -1 */
    int tp; /* time part or 0 */
} mod_def;

static const mod_def mod_table[] = {
        {"contains", M_CONTAINS, -1, -1, 0},
        {"startswith", M_STARTSWITH, -1, -1, 0},
        {"endswith", M_ENDSWITH, -1, -1, 0},
        {"all", M_ALL, -1, -1, 0},
        {"re", M_RE, -1, -1, 0},
        {"i", M_RE_I, -1, -1, 0},
        {"m", M_RE_M, -1, -1, 0},
        {"s", M_RE_S, -1, -1, 0},
        {"cidr", M_CIDR, -1, -1, 0},
        {"base64", M_BASE64, X_BASE64, -1, 0},
        {"base64offset", M_BASE64OFF, X_BASE64OFF, -1, 0},
        {"wide", M_UTF16, X_UTF16LE, -1, 0},
        {"utf16le", M_UTF16, X_UTF16LE, -1, 0},
        {"utf16be", M_UTF16, X_UTF16BE, -1, 0},
        {"utf16", M_UTF16, X_UTF16BOM, -1, 0},
        {"windash", M_WINDASH, X_WINDASH, -1, 0},
        {"exists", M_EXISTS, -1, -1, 0},
        {"cased", M_CASED, -1, -1, 0},
        {"gt", M_CMP, -1, VG_CMP_GT, 0},
        {"gte", M_CMP, -1, VG_CMP_GTE, 0},
        {"lt", M_CMP, -1, VG_CMP_LT, 0},
        {"lte", M_CMP, -1, VG_CMP_LTE, 0},
        {"neq", M_NEQ, -1, -1, 0},
        {"fieldref", M_FIELDREF, -1, -1, 0},
        {"expand", M_EXPAND, -1, -1, 0},
        {"minute", M_TIME, -1, -1, VG_TP_MINUTE},
        {"hour", M_TIME, -1, -1, VG_TP_HOUR},
        {"day", M_TIME, -1, -1, VG_TP_DAY},
        {"week", M_TIME, -1, -1, VG_TP_WEEK},
        {"month", M_TIME, -1, -1, VG_TP_MONTH},
        {"year", M_TIME, -1, -1, VG_TP_YEAR},
};

/* Column of byte `off` of a scalar's text (exact for single-line plain or quoted keys). */
static uint32_t col_at(const vg_ynode *n, size_t off)
{
    return n->col + (n->quoted ? 1u : 0u) + (uint32_t)off;
}

static void error_at(vg_cctx *c,
                     const vg_ynode *n,
                     size_t off,
                     vg_status code,
                     const char *reason,
                     const char *msg)
{
    vg_diag_add(c->d, VG_SEV_ERROR, code, c->file, n->line, col_at(n, off), c->rule_id, reason,
                "%s", msg);
    c->n_errors++;
}

static vg_status parse_mods(vg_cctx *c, const vg_ynode *key, size_t field_len, mods *m)
{
    memset(m, 0, sizeof(*m));
    const char *s = key->str;
    size_t i = field_len;
    char msg[200];
    while (i < key->len) {
        size_t start = i + 1; /* skip '|' */
        size_t end = start;
        while (end < key->len && s[end] != '|')
            end++;
        size_t n = end - start;
        const mod_def *def = NULL;
        for (size_t k = 0; k < sizeof(mod_table) / sizeof(mod_table[0]); k++) {
            if (strlen(mod_table[k].name) == n && memcmp(mod_table[k].name, s + start, n) == 0) {
                def = &mod_table[k];
                break;
            }
        }
        if (!def) {
            snprintf(msg, sizeof(msg), "unknown modifier '%.*s'", (int)(n > 60 ? 60 : n),
                     s + start);
            error_at(c, key, start, VG_ERR_UNSUPPORTED, "unknown-modifier", msg);
            return VG_ERR_UNSUPPORTED;
        }
        if (def->xf >= 0) {
            if (m->n_xf == MAX_MODS) {
                error_at(c, key, start, VG_ERR_LIMIT, "modifier-limit", "too many modifiers");
                return VG_ERR_LIMIT;
            }
            m->xf[m->n_xf++] = (xform)def->xf;
        }
        if (def->bit == M_CMP) {
            if (m->bits & M_CMP) {
                error_at(c, key, start, VG_ERR_INVALID, "modifier-conflict",
                         "only one of gt, gte, lt, lte may be used");
                return VG_ERR_INVALID;
            }
            m->op = (vg_cmp_op)def->op;
        }
        if (def->bit == M_TIME) {
            if (m->bits & M_TIME) {
                error_at(c, key, start, VG_ERR_INVALID, "modifier-conflict",
                         "only one time modifier may be used");
                return VG_ERR_INVALID;
            }
            m->tpart = (vg_time_part)def->tp;
        }
        m->bits |= def->bit;
        i = end;
    }
    /* combination rules */
    uint32_t b = m->bits;
    int n_match = !!(b & M_CONTAINS) + !!(b & M_STARTSWITH) + !!(b & M_ENDSWITH);
    const char *bad = NULL;
    if (n_match > 1)
        bad = "contains, startswith and endswith exclude each other";
    else if ((b & (M_RE_I | M_RE_M | M_RE_S)) && !(b & M_RE))
        bad = "the i, m and s modifiers only apply to re";
    else if ((b & M_RE) && (b & ~(M_RE | M_RE_I | M_RE_M | M_RE_S | M_ALL | M_NEQ)))
        bad = "re cannot be combined with string or type modifiers";
    else if ((b & M_CIDR) && (b & ~(M_CIDR | M_ALL | M_NEQ)))
        bad = "cidr cannot be combined with other modifiers";
    else if ((b & M_EXISTS) && (b & ~M_EXISTS))
        bad = "exists cannot be combined with other modifiers";
    else if ((b & M_BASE64) && (b & M_BASE64OFF))
        bad = "base64 and base64offset exclude each other";
    else if ((b & M_WINDASH) && (b & (M_BASE64 | M_BASE64OFF | M_UTF16)))
        bad = "windash cannot be combined with an encoding modifier (base64, base64offset, "
              "wide, utf16*)";
    else if ((b & M_CMP) && (b & ~(M_CMP | M_ALL | M_TIME)))
        bad = "gt, gte, lt and lte only combine with all and the time modifiers";
    else if ((b & M_TIME) && (b & ~(M_CMP | M_ALL | M_TIME | M_NEQ)))
        bad = "time modifiers only combine with gt, gte, lt, lte, neq and all";
    else if ((b & M_FIELDREF) &&
             (b & ~(M_FIELDREF | M_CONTAINS | M_STARTSWITH | M_ENDSWITH | M_CASED | M_NEQ | M_ALL)))
        bad = "fieldref only combines with contains, startswith, endswith, cased, neq and all";
    if (bad) {
        error_at(c, key, field_len, VG_ERR_UNSUPPORTED, "modifier-conflict", bad);
        return VG_ERR_UNSUPPORTED;
    }
    return VG_OK;
}

/* ---- value lists ---- */

/* A condition's value matchers while they are compiled: on the heap, then copied into the
 * arena at their final count (growing them in the arena would leave every outgrown copy
 * there: about half of all value matcher memory with SigmaHQ's long lists). */
typedef struct vlist {
    vg_vmatch *v;
    size_t n, cap;
} vlist;

static vg_vmatch *vlist_push(vlist *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        vg_vmatch *nv = vg_realloc(l->v, cap * sizeof(*nv));
        if (!nv)
            return NULL;
        l->v = nv;
        l->cap = cap;
    }
    vg_vmatch *m = &l->v[l->n++];
    memset(m, 0, sizeof(*m));
    return m;
}


static bool is_bool(const vg_ynode *v, bool *out)
{
    if (v->kind != VG_Y_SCALAR || v->quoted)
        return false;
    if (strcmp(v->str, "true") == 0 || strcmp(v->str, "True") == 0 || strcmp(v->str, "TRUE") == 0 ||
        strcmp(v->str, "yes") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(v->str, "false") == 0 || strcmp(v->str, "False") == 0 ||
        strcmp(v->str, "FALSE") == 0 || strcmp(v->str, "no") == 0) {
        *out = false;
        return true;
    }
    return false;
}

/* Apply transforms, then the match type, then build the glob; push the alternative(s). */
static vg_status push_string(vg_cctx *c,
                             const vg_ynode *at,
                             const mods *m,
                             bool keyword,
                             const vg_sstr *in,
                             bool num_ok,
                             const vg_num *num,
                             uint32_t group,
                             vlist *out)
{
    vg_sstr cur[3];
    size_t n_cur = 1;
    cur[0] = *in;
    vg_status rc = VG_OK;
    for (size_t i = 0; i < m->n_xf && rc == VG_OK; i++) {
        for (size_t k = 0; k < n_cur && rc == VG_OK; k++) {
            vg_sstr src = cur[k], dst;
            switch (m->xf[i]) {
            case X_WINDASH:
                rc = vg_sstr_windash(c->a, &src, &dst);
                break;
            case X_UTF16LE:
                rc = vg_sstr_utf16(c->a, &src, VG_UTF16_LE, &dst);
                break;
            case X_UTF16BE:
                rc = vg_sstr_utf16(c->a, &src, VG_UTF16_BE, &dst);
                break;
            case X_UTF16BOM:
                rc = vg_sstr_utf16(c->a, &src, VG_UTF16_BOM, &dst);
                break;
            case X_BASE64:
                rc = vg_sstr_base64(c->a, &src, &dst);
                break;
            case X_BASE64OFF:
                if (n_cur != 1) {
                    rc = VG_ERR_UNSUPPORTED;
                    break;
                }
                rc = vg_sstr_base64offset(c->a, &src, cur);
                n_cur = 3;
                k = 3;
                continue;
            }
            if (rc == VG_OK)
                cur[k] = dst;
        }
        num_ok = false; /* a transformed value is no longer the number it was */
    }
    if (rc != VG_OK) {
        vg_cctx_error(c, at, rc, "modifier-value",
                      rc == VG_ERR_UNSUPPORTED ? "encoding modifiers need a value without wildcards"
                                               : "cannot apply the modifiers to this value");
        return rc;
    }
    /* base64 text is case-sensitive: folding it would match other bytes */
    bool cased = (m->bits & (M_CASED | M_BASE64 | M_BASE64OFF)) != 0;
    bool before = (m->bits & (M_CONTAINS | M_ENDSWITH)) != 0;
    bool after = (m->bits & (M_CONTAINS | M_STARTSWITH)) != 0;
    if (keyword && !(m->bits & (M_STARTSWITH | M_ENDSWITH)))
        before = after = true;
    for (size_t k = 0; k < n_cur; k++) {
        vg_sstr w;
        rc = vg_sstr_wrap(c->a, &cur[k], before, after, &w);
        if (rc != VG_OK)
            return rc;
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_GLOB;
        vm->group = group;
        vm->num_ok = num_ok && !before && !after;
        if (vm->num_ok)
            vm->num = *num;
        rc = vg_glob_build(c->a, &w, cased, &vm->glob);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

/* Expand %placeholders% in text into one or more texts (each still Sigma-string syntax).
 * "\%" keeps a literal percent. Returns the number of expansions, or -1 after reporting. */
#define MAX_EXPANSIONS 4096

typedef struct texts {
    char **v;
    size_t n;
} texts;

static const vg_placeholder *find_ph(vg_cctx *c, const char *name, size_t n)
{
    for (size_t i = 0; i < c->n_ph; i++)
        if (strlen(c->ph[i].name) == n && memcmp(c->ph[i].name, name, n) == 0)
            return &c->ph[i];
    return NULL;
}

static vg_status expand_text(vg_cctx *c, const vg_ynode *at, texts *out)
{
    /* Work list of partial texts; each placeholder multiplies it. */
    const char *s = at->str;
    size_t len = at->len;
    char **cur = vg_arena_alloc(c->a, sizeof(char *));
    if (!cur)
        return VG_ERR_NOMEM;
    cur[0] = vg_arena_strndup(c->a, "", 0);
    size_t n_cur = 1;
    size_t i = 0;
    while (i < len) {
        /* literal run up to the next unescaped '%' */
        size_t j = i;
        while (j < len && !(s[j] == '%' && (j == 0 || s[j - 1] != '\\')))
            j++;
        if (j > i) {
            for (size_t k = 0; k < n_cur; k++) {
                size_t ol = strlen(cur[k]);
                char *nt = vg_arena_alloc(c->a, ol + (j - i) + 1);
                if (!nt)
                    return VG_ERR_NOMEM;
                memcpy(nt, cur[k], ol);
                /* "\%" becomes "%" */
                size_t w = ol;
                for (size_t q = i; q < j; q++) {
                    if (s[q] == '\\' && q + 1 < len && s[q + 1] == '%')
                        continue;
                    nt[w++] = s[q];
                }
                nt[w] = '\0';
                cur[k] = nt;
            }
        }
        if (j >= len)
            break;
        size_t e = j + 1;
        while (e < len && s[e] != '%')
            e++;
        if (e >= len) {
            /* a lone '%': literal */
            for (size_t k = 0; k < n_cur; k++) {
                size_t ol = strlen(cur[k]);
                char *nt = vg_arena_alloc(c->a, ol + (len - j) + 1);
                if (!nt)
                    return VG_ERR_NOMEM;
                memcpy(nt, cur[k], ol);
                memcpy(nt + ol, s + j, len - j);
                nt[ol + len - j] = '\0';
                cur[k] = nt;
            }
            break;
        }
        const vg_placeholder *ph = find_ph(c, s + j + 1, e - j - 1);
        if (!ph) {
            char msg[200];
            snprintf(msg, sizeof(msg),
                     "placeholder '%%%.*s%%' has no value (define it with --placeholder or a "
                     "placeholders file)",
                     (int)((e - j - 1) > 80 ? 80 : (e - j - 1)), s + j + 1);
            error_at(c, at, j, VG_ERR_UNSUPPORTED, "placeholder-undefined", msg);
            return VG_ERR_UNSUPPORTED;
        }
        size_t n_new = n_cur * ph->n_values;
        if (ph->n_values && n_new / ph->n_values != n_cur)
            n_new = SIZE_MAX;
        if (n_new > MAX_EXPANSIONS) {
            error_at(c, at, j, VG_ERR_LIMIT, "placeholder-limit",
                     "placeholder expansion gives too many values");
            return VG_ERR_LIMIT;
        }
        char **nv = vg_arena_alloc(c->a, (n_new ? n_new : 1) * sizeof(char *));
        if (!nv)
            return VG_ERR_NOMEM;
        size_t w = 0;
        for (size_t k = 0; k < n_cur; k++) {
            for (size_t q = 0; q < ph->n_values; q++) {
                size_t ol = strlen(cur[k]), vl = strlen(ph->values[q]);
                char *nt = vg_arena_alloc(c->a, ol + vl + 1);
                if (!nt)
                    return VG_ERR_NOMEM;
                memcpy(nt, cur[k], ol);
                memcpy(nt + ol, ph->values[q], vl + 1);
                nv[w++] = nt;
            }
        }
        cur = nv;
        n_cur = n_new;
        i = e + 1;
    }
    out->v = cur;
    out->n = n_cur;
    return VG_OK;
}

static vg_status compile_value(
        vg_cctx *c, const vg_ynode *v, const mods *m, bool keyword, uint32_t group, vlist *out)
{
    uint32_t b = m->bits;
    char msg[240];
    if (v->kind != VG_Y_SCALAR) {
        vg_cctx_error(c, v, VG_ERR_INVALID, "value-type",
                      "expected a value (string, number, boolean or null), got a %s",
                      v->kind == VG_Y_MAP ? "map" : "list");
        return VG_ERR_INVALID;
    }
    if (b & M_EXISTS) {
        bool want;
        if (!is_bool(v, &want)) {
            vg_cctx_error(c, v, VG_ERR_INVALID, "modifier-value", "exists needs true or false");
            return VG_ERR_INVALID;
        }
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_EXISTS;
        vm->want = want;
        vm->group = group;
        return VG_OK;
    }
    if (vg_ynode_is_null(v)) {
        if (b & ~(M_ALL | M_NEQ)) {
            vg_cctx_error(c, v, VG_ERR_INVALID, "modifier-value",
                          "null cannot be used with these modifiers");
            return VG_ERR_INVALID;
        }
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_NULL;
        vm->group = group;
        return VG_OK;
    }
    if (b & M_RE) {
        unsigned flags = ((b & M_RE_I) ? VG_RE_I : 0) | ((b & M_RE_M) ? VG_RE_M : 0) |
                         ((b & M_RE_S) ? VG_RE_S : 0);
        size_t off = 0;
        char err[160];
        vg_regex *re = vg_regex_new(v->str, v->len, flags, &off, err, sizeof(err));
        if (!re) {
            snprintf(msg, sizeof(msg), "invalid regular expression: %s", err);
            error_at(c, v, off, VG_ERR_INVALID, "regex", msg);
            return VG_ERR_INVALID;
        }
        if (*c->n_regexes == *c->cap_regexes) {
            size_t cap = *c->cap_regexes ? *c->cap_regexes * 2 : 64;
            vg_regex **nv = vg_realloc(*c->regexes, cap * sizeof(*nv));
            if (!nv) {
                vg_regex_free(re);
                return VG_ERR_NOMEM;
            }
            *c->regexes = nv;
            *c->cap_regexes = cap;
        }
        (*c->regexes)[(*c->n_regexes)++] = re;
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_RE;
        vm->re = re;
        vm->re_src = v->str;
        vm->re_len = v->len;
        vm->re_flags = flags;
        vm->group = group;
        return VG_OK;
    }
    if (b & M_CIDR) {
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_CIDR;
        vm->group = group;
        if (vg_cidr_parse(v->str, v->len, &vm->cidr) != VG_OK) {
            snprintf(msg, sizeof(msg), "invalid network '%.80s' for cidr", v->str);
            error_at(c, v, 0, VG_ERR_INVALID, "modifier-value", msg);
            return VG_ERR_INVALID;
        }
        return VG_OK;
    }
    if (b & (M_CMP | M_TIME)) {
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_CMP;
        vm->group = group;
        vm->op = (b & M_CMP) ? m->op : VG_CMP_EQ;
        vm->tpart = m->tpart;
        if (!vg_num_parse(v->str, v->len, &vm->num)) {
            snprintf(msg, sizeof(msg), "'%.80s' is not a number", v->str);
            error_at(c, v, 0, VG_ERR_INVALID, "modifier-value", msg);
            return VG_ERR_INVALID;
        }
        return VG_OK;
    }
    if (b & M_FIELDREF) {
        vg_vmatch *vm = vlist_push(out);
        if (!vm)
            return VG_ERR_NOMEM;
        vm->kind = VG_VM_FIELDREF;
        vm->group = group;
        vm->ref = vg_arena_strndup(c->a, v->str, v->len);
        vm->ref_len = v->len;
        vm->ref_mode = (b & M_CONTAINS) ? 1 : (b & M_STARTSWITH) ? 2 : (b & M_ENDSWITH) ? 3 : 0;
        vm->cased = (b & M_CASED) != 0;
        if (!vm->ref)
            return VG_ERR_NOMEM;
        if (v->len == 0) {
            vg_cctx_error(c, v, VG_ERR_INVALID, "modifier-value", "fieldref needs a field name");
            return VG_ERR_INVALID;
        }
        return VG_OK;
    }
    /* strings (and numbers/booleans read as their text) */
    texts tx = {NULL, 0};
    const char *one = v->str;
    if (b & M_EXPAND) {
        vg_status rc = expand_text(c, v, &tx);
        if (rc != VG_OK)
            return rc;
        if (tx.n == 0) {
            vg_vmatch *vm = vlist_push(out);
            if (!vm)
                return VG_ERR_NOMEM;
            vm->kind = VG_VM_NEVER;
            vm->group = group;
            vg_cctx_warn(c, v, "placeholder-empty",
                         "placeholder expands to no value; this value never matches");
            return VG_OK;
        }
    } else {
        tx.v = (char **)&one;
        tx.n = 1;
    }
    vg_num num;
    bool num_ok = !v->quoted && !(b & M_EXPAND) && vg_num_parse(v->str, v->len, &num);
    for (size_t i = 0; i < tx.n; i++) {
        vg_sstr s;
        vg_status rc = vg_sstr_parse(c->a, tx.v[i], strlen(tx.v[i]), &s);
        if (rc != VG_OK)
            return rc;
        rc = push_string(c, v, m, keyword, &s, num_ok, &num, group, out);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

vg_status vg_fcond_compile(vg_cctx *c, const vg_ynode *key, const vg_ynode *val, vg_fcond *out)
{
    memset(out, 0, sizeof(*out));
    mods m;
    size_t field_len = 0;
    if (key) {
        if (key->kind != VG_Y_SCALAR) {
            vg_cctx_error(c, key, VG_ERR_INVALID, "detection", "field names must be strings");
            return VG_ERR_INVALID;
        }
        while (field_len < key->len && key->str[field_len] != '|')
            field_len++;
        vg_status rc = parse_mods(c, key, field_len, &m);
        if (rc != VG_OK)
            return rc;
        out->line = key->line;
        out->col = key->col;
        if (field_len > 0) {
            out->field = vg_arena_strndup(c->a, key->str, field_len);
            if (!out->field)
                return VG_ERR_NOMEM;
            out->field_len = field_len;
        }
    } else {
        memset(&m, 0, sizeof(m));
        out->line = val->line;
        out->col = val->col;
    }
    bool keyword = out->field == NULL;
    if (keyword && (m.bits & (M_EXISTS | M_FIELDREF))) {
        vg_cctx_error(c, key ? key : val, VG_ERR_INVALID, "modifier-conflict",
                      "exists and fieldref need a field name");
        return VG_ERR_INVALID;
    }
    out->all = (m.bits & M_ALL) != 0;
    out->neg = (m.bits & M_NEQ) != 0;
    vlist l = {NULL, 0, 0};
    uint32_t group = 0;
    vg_status rc = VG_OK;
    if (val->kind == VG_Y_SEQ) {
        if (val->n == 0) {
            vg_cctx_error(c, val, VG_ERR_INVALID, "detection", "empty list of values");
            return VG_ERR_INVALID;
        }
        for (size_t i = 0; i < val->n && rc == VG_OK; i++)
            rc = compile_value(c, val->items[i], &m, keyword, group++, &l);
        if (rc == VG_OK && out->all && val->n == 1)
            vg_cctx_warn(c, key ? key : val, "all-single-value",
                         "'all' with a single value has no effect");
    } else {
        rc = compile_value(c, val, &m, keyword, group++, &l);
        if (rc == VG_OK && out->all)
            vg_cctx_warn(c, key ? key : val, "all-single-value",
                         "'all' with a single value has no effect");
    }
    /* into the arena at the final count; the heap copy goes */
    out->vals = rc == VG_OK && l.n ? vg_arena_memdup(c->a, l.v, l.n * sizeof(*l.v)) : NULL;
    vg_free(l.v);
    if (rc != VG_OK)
        return rc;
    if (l.n && !out->vals)
        return VG_ERR_NOMEM;
    out->n_vals = l.n;
    out->n_groups = group;
    return VG_OK;
}
