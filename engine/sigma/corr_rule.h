/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_rule.h: the compiled form of Sigma correlation rules, shared by the loader
 * (sigma/correlation.c, sigma/corr_bind.c) and the correlator (corr/). Private to the
 * engine.
 *
 * A correlation names its sources (`rules:`: detection rules or other correlations, by id
 * or name), how events are grouped (`group-by`, through `aliases`), a timespan and a
 * condition. At vg_ruleset_finish every source is resolved and, per source, each group-by
 * name (and the value field) is bound to what is read from that source's hits:
 *   - a detection rule: event fields, tried under their field mappings (vg_fslot);
 *   - a correlation (a chain): an index into the inner correlation's group-by values.
 * Each detection rule and correlation lists its consumers (vg_corr_use) so that a hit
 * turns into signals without any search.
 *
 * Everything lives in the ruleset's compile arena.
 */
#ifndef VIGIL_SIGMA_CORR_RULE_H
#define VIGIL_SIGMA_CORR_RULE_H

#include "vigil/base.h"
#include "sigma/rule_int.h"

typedef enum vg_corr_type {
    VG_CT_EVENT_COUNT,
    VG_CT_VALUE_COUNT,
    VG_CT_TEMPORAL,
    VG_CT_TEMPORAL_ORDERED,
    VG_CT_VALUE_SUM,
    VG_CT_VALUE_AVG,
    VG_CT_VALUE_PERCENTILE
} vg_corr_type;

typedef enum vg_corr_opk {
    VG_CO_GT,
    VG_CO_GTE,
    VG_CO_LT,
    VG_CO_LTE,
    VG_CO_EQ,
    VG_CO_NEQ
} vg_corr_opk;

typedef struct vg_corr_op {
    vg_corr_opk op;
    double v;
} vg_corr_op;

#define VG_CORR_MAX_OPS     6
#define VG_CORR_MAX_SOURCES 64 /* rules: of one correlation (temporal keeps a bitmask) */
#define VG_CORR_MAX_GROUP   16 /* group-by fields */
#define VG_CORR_MAX_DEPTH   8  /* correlations chained on correlations */

/* What one group-by name (or the value field) reads from one source. */
typedef struct vg_corr_bind {
    const char *name; /* the field name (after aliases) */
    uint32_t slot;    /* detection source: field slot of name (vg_fslot) */
    uint32_t inner;   /* correlation source: index into the inner group-by */
} vg_corr_bind;

typedef struct vg_corr_src {
    const char *ref; /* as written */
    uint32_t line, col;
    bool is_corr;         /* resolved: a correlation (else a detection rule) */
    uint32_t idx;         /* resolved: rule or correlation index */
    vg_corr_bind *group;  /* n_group entries */
    vg_corr_bind *values; /* n_fields entries (value field(s)) */
} vg_corr_src;

typedef struct vg_corr_alias {
    const char *name;
    const char *const *rules;  /* rule names */
    const char *const *fields; /* field per rule name */
    size_t n;
    uint32_t line, col;
} vg_corr_alias;

typedef struct vg_corr_rule {
    const char *id, *name, *title, *level, *status, *file;
    uint32_t line;
    const char **tags;
    size_t n_tags;
    vg_corr_type type;
    vg_corr_src *srcs;
    size_t n_srcs;
    const char **group; /* group-by names (aliases or fields) */
    size_t n_group;
    vg_corr_alias *aliases;
    size_t n_aliases;
    const char **fields; /* condition `field`: value field(s) */
    size_t n_fields;
    uint32_t field_line, field_col;
    int64_t timespan_ms;
    vg_corr_op ops[VG_CORR_MAX_OPS];
    size_t n_ops;
    bool at_close;       /* decided when a window closes (upper bounds, eq, neq, percentile) */
    uint32_t count_need; /* event_count decided on arrival: events the condition needs */
    bool generate;       /* `generate: true`: the sources also alert on their own */
    bool silent;         /* set at finish: referenced by a correlation that does not generate */
    uint32_t depth;      /* set at finish: 0 = over detection rules only */
    struct vg_corr_use *uses; /* outer correlations fed by this one (chains) */
    size_t n_uses;
    vg_suppress_spec sup;
} vg_corr_rule;

/* A consumer of a rule's or correlation's hits: correlation `corr`, its source `src`. */
typedef struct vg_corr_use {
    uint32_t corr;
    uint32_t src;
} vg_corr_use;

/* Condition check; value is the count, sum, average or percentage the type measures. */
bool vg_corr_cond_holds(const vg_corr_rule *c, double value);
/* "event_count" ... */
const char *vg_corr_type_str(vg_corr_type t);

#endif
