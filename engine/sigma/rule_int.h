/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rule_int.h: the compiled form of Sigma rules, shared by the compiler (sigma/) and the
 * evaluator (match/). Private to the engine.
 *
 * A detection is a set of selections (search identifiers) and a condition program:
 *   vg_det  = selections + program
 *   vg_sel  = OR of groups              (a list of maps; a single map is one group)
 *   vg_group= AND of field conditions   (one map)
 *   vg_fcond= one "Field|mods: values" entry: OR (or AND with |all) of value matchers,
 *             optionally negated (neq); field == NULL means a keyword search over every
 *             string value of the event
 *   vg_vmatch = one value after modifiers: glob, regex, cidr, numeric compare, exists,
 *             null, field reference
 * A rule is metadata + its detection + the Sigma filters bound to it (each a vg_det whose
 * match vetoes the rule). A logsource mapping entry's `when` is a vg_det too.
 *
 * Everything lives in the ruleset's compile arena except compiled regexes, which the
 * ruleset also lists so it can free them.
 */
#ifndef VIGIL_SIGMA_RULE_INT_H
#define VIGIL_SIGMA_RULE_INT_H

#include "vigil/base.h"
#include "vigil/arena.h"
#include "vigil/diag.h"
#include "vigil/event.h"
#include "vigil/ruleset.h"
#include "base/num.h"
#include "match/cidr.h"
#include "match/glob.h"
#include "match/regex.h"
#include "vigil/ytree.h"

typedef enum vg_vm_kind {
    VG_VM_GLOB,     /* string compare (wildcards, case rules); numeric fallback if `num_ok` */
    VG_VM_RE,       /* PCRE2 */
    VG_VM_CIDR,     /* IP in network */
    VG_VM_CMP,      /* numeric gt/gte/lt/lte (or eq for time parts) */
    VG_VM_EXISTS,   /* field present (want) or absent (!want) */
    VG_VM_NULL,     /* field absent or JSON null */
    VG_VM_FIELDREF, /* field equals / contains / starts / ends with another field's value */
    VG_VM_NEVER     /* matches nothing (e.g. a placeholder expanded to an empty list) */
} vg_vm_kind;

typedef enum vg_cmp_op {
    VG_CMP_EQ,
    VG_CMP_GT,
    VG_CMP_GTE,
    VG_CMP_LT,
    VG_CMP_LTE
} vg_cmp_op;

typedef enum vg_time_part {
    VG_TP_NONE,
    VG_TP_MINUTE,
    VG_TP_HOUR,
    VG_TP_DAY,
    VG_TP_WEEK,
    VG_TP_MONTH,
    VG_TP_YEAR
} vg_time_part;

typedef struct vg_vmatch {
    /* what evaluation reads for every value comes first (one cache line for a glob) */
    vg_vm_kind kind;
    uint32_t pf_lit;    /* set by the prefilter (prefilter.c): 1 + the id of the literal that
                           every match contains, 0 if none */
    uint32_t group;     /* values of one group are alternatives (OR); with `all`, every
                           group must match (one Sigma value may expand to several
                           alternatives: base64offset, placeholders) */
    vg_glob glob;       /* GLOB */
    bool num_ok;        /* GLOB: the rule value is a number; compare numerically too */
    vg_num num;         /* GLOB (num_ok) and CMP operand */
    vg_cmp_op op;       /* CMP */
    vg_time_part tpart; /* CMP/GLOB on a time component */
    vg_regex *re;       /* RE */
    const char *re_src; /* RE: the pattern text (for literal extraction), NUL-terminated */
    size_t re_len;
    unsigned re_flags; /* RE: VG_RE_I / _M / _S */
    vg_cidr cidr;      /* CIDR */
    bool want;         /* EXISTS */
    const char *ref;   /* FIELDREF: the other field, NUL-terminated */
    size_t ref_len;
    const char *const *ref_cands; /* FIELDREF: names tried for the other field */
    size_t n_ref_cands;
    uint32_t ref_slot; /* FIELDREF: field slot of the other field (see vg_fslot) */
    int ref_mode;      /* FIELDREF: 0 equals, 1 contains, 2 startswith, 3 endswith */
    bool cased;        /* FIELDREF */
} vg_vmatch;

typedef struct vg_fcond {
    const char *field; /* NULL: keyword search; NUL-terminated */
    size_t field_len;
    const char *const *cands; /* names tried in order: field, then its mappings */
    size_t n_cands;
    uint32_t slot; /* field slot: one per distinct field name in the ruleset */
    vg_vmatch *vals;
    size_t n_vals;
    uint32_t n_groups; /* distinct vg_vmatch.group values: 0..n_groups-1 */
    bool all;          /* AND of values instead of OR */
    bool neg;          /* neq: result negated */
    uint32_t line, col;
    /* set by the prefilter (prefilter.c) for the fast path: per value, the atom every match
     * of it needs (UINT32_MAX: none), for a long list of values without `all`, so that the
     * values whose atom was not seen are passed over without being read (NULL: not set);
     * and whether no value can match when the field is absent */
    const uint32_t *pf_atoms;
    bool pf_absent_false;
} vg_fcond;

typedef struct vg_group {
    vg_fcond *conds;
    size_t n;
} vg_group;

typedef struct vg_sel {
    const char *name;
    vg_group *groups;
    size_t n_groups;
} vg_sel;

typedef enum vg_prog_kind {
    VG_P_SEL,
    VG_P_AND,
    VG_P_OR,
    VG_P_NOT,
    VG_P_OF /* quant of sels[0..n_sels); quant 0 = all */
} vg_prog_kind;

typedef struct vg_prog {
    vg_prog_kind kind;
    uint32_t sel;          /* SEL */
    struct vg_prog *a, *b; /* AND/OR: a b; NOT: a */
    uint32_t *sels;        /* OF */
    uint32_t n_sels;
    uint32_t quant;
} vg_prog;

typedef struct vg_det {
    vg_sel *sels;
    size_t n_sels;
    vg_prog *prog;
} vg_det;

typedef struct vg_filter {
    const char *id;
    const char *title;
    const char *file;
    uint32_t line;
    vg_logsource logsource;
    const char *const *targets; /* rule ids or names */
    size_t n_targets;
    vg_det det;
} vg_filter;

/* The `suppress` vigil extension: after an alert, alerts of the same rule with the same
 * values of `by` are silenced for `period_ms` of event time. */
typedef struct vg_suppress_spec {
    const char **by; /* field names (detection) or group-by names (correlation) */
    size_t n_by;
    uint32_t *slots;   /* detection: field slot of each name (bound at finish) */
    uint32_t *gidx;    /* correlation: index of each name in group-by (bound at load) */
    int64_t period_ms; /* 0: no suppression */
    uint32_t line, col;
} vg_suppress_spec;

typedef struct vg_rule {
    const char *id, *name, *title, *level, *status, *file;
    uint32_t line;
    const char **tags;
    size_t n_tags;
    vg_logsource ls;
    int32_t ls_entry; /* mapping entry index, -1 = unmapped */
    vg_det det;
    const vg_filter **filters; /* bound at finish */
    size_t n_filters;
    struct vg_corr_use *uses; /* correlations fed by this rule's hits (bound at finish) */
    size_t n_uses;
    bool silent; /* only feeds correlations (`generate` unset): no alert of its own */
    vg_suppress_spec sup;
} vg_rule;

typedef struct vg_ls_entry {
    vg_logsource ls;
    vg_det when;               /* n_sels == 0: no condition */
    const char *const *fields; /* known field names of this logsource, may be empty */
    size_t n_fields;
} vg_ls_entry;

typedef struct vg_fieldmap {
    const char *name;
    const char *const *alts;
    size_t n_alts;
} vg_fieldmap;

/* A name tried for a field slot, with what a lookup needs of it together (one cache line
 * for a slot's first name: slots are resolved for every event). */
typedef struct vg_fcand {
    uint64_t h;  /* vg_hash_name */
    uint64_t ph; /* vg_hash_path */
    const char *name;
    size_t len;
} vg_fcand;

/* A distinct field name of the ruleset and the names tried for it. Evaluators resolve each
 * slot at most once per event. */
typedef struct vg_fslot {
    const char *name;
    const char *const *cands; /* the names of cand, for the field conditions */
    size_t n_cands;
    const vg_fcand *cand;
} vg_fslot;

/* The first node of a field slot in ev: its names tried in order, each by exact path then
 * unique leaf (schema-on-read). VG_NODE_NONE if none resolves. */
uint32_t vg_fslot_first(const vg_fslot *f, const vg_event *ev);

typedef struct vg_placeholder {
    const char *name;
    const char *const *values;
    size_t n_values;
} vg_placeholder;

/* ---- compile context shared by the sigma/ files ---- */

typedef struct vg_cctx {
    vg_arena *a;
    vg_diags *d;
    const char *file;
    const char *rule_id;      /* for messages; may be NULL */
    const vg_placeholder *ph; /* placeholder table */
    size_t n_ph;
    vg_regex ***regexes; /* where compiled regexes are registered for freeing */
    size_t *n_regexes, *cap_regexes;
    size_t n_errors; /* errors reported through this context */
} vg_cctx;

/* Report an error or warning at a node's position through the context. */
void vg_cctx_error(
        vg_cctx *c, const vg_ynode *at, vg_status code, const char *reason, const char *fmt, ...)
        VG_PRINTF(5, 6);
void vg_cctx_warn(vg_cctx *c, const vg_ynode *at, const char *reason, const char *fmt, ...)
        VG_PRINTF(4, 5);

/* detect.c: compile a detection-like mapping (search identifiers + condition). The
 * `condition` key is read from cond_node (may be NULL: error), identifiers are every other
 * key of `map` except those listed in skip (NULL-terminated). */
vg_status vg_det_compile(vg_cctx *c,
                         const vg_ynode *map,
                         const vg_ynode *cond_node,
                         const char *const *skip,
                         vg_det *out);
/* Compile a list of maps / one map as a single selection (logsource `when`). */
vg_status vg_sel_compile(vg_cctx *c, const char *name, const vg_ynode *node, vg_sel *out);

/* value.c: compile one map entry "Field|mod|mod: value(s)" (or a keyword list when key is
 * NULL and the list is in val). */
vg_status vg_fcond_compile(vg_cctx *c, const vg_ynode *key, const vg_ynode *val, vg_fcond *out);

/* rule_load.c: the `suppress` map ({by: [fields], for: <duration>}) of a rule or a
 * correlation; absent: period 0. false after reporting an error. */
bool vg_suppress_from_node(vg_cctx *c, const vg_ynode *n, vg_suppress_spec *out);
/* "<number><s|m|h|d>" -> ms (at most ten years); false if malformed. */
bool vg_duration_parse(const char *s, size_t len, int64_t *ms);

/* Duplicate a scalar or return "" for NULL. */
const char *vg_cctx_str(vg_cctx *c, const vg_ynode *n);
/* A scalar or a list of scalars -> strings in the arena (null/absent: empty list). false
 * after reporting "'what' must be ..." under `reason`, or when memory runs out. */
bool vg_cctx_str_list(vg_cctx *c,
                      const vg_ynode *n,
                      const char *reason,
                      const char *what,
                      const char ***out,
                      size_t *count);

#endif
