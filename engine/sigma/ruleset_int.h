/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ruleset_int.h: the inside of a vg_ruleset, shared by the loader (sigma/) and the
 * evaluator (match/). Private to the engine.
 *
 * The tables are heap vectors of small structs whose contents live in the compile arena.
 * Once `finished` is set nothing changes, so any number of threads may read.
 */
#ifndef VIGIL_SIGMA_RULESET_INT_H
#define VIGIL_SIGMA_RULESET_INT_H

#include "sigma/rule_int.h"
#include "sigma/corr_rule.h"

#define VG_VEC(T)                                                                                  \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }

struct vg_ruleset {
    vg_arena *a;
    VG_VEC(vg_rule) rules;
    VG_VEC(vg_corr_rule) corrs;
    VG_VEC(vg_filter) filters;
    VG_VEC(vg_ls_entry) ls;
    VG_VEC(vg_fieldmap) fm;
    VG_VEC(vg_placeholder) ph;
    VG_VEC(vg_fslot) fslots;
    uint32_t *fslot_tab;   /* open addressing: fslot index + 1, 0 = empty */
    size_t fslot_tab_size; /* power of two */
    vg_regex **regexes;
    size_t n_regexes, cap_regexes;
    vg_ruleset_stats stats;
    struct vg_prefilter *pf; /* built on request (vg_ruleset_build_prefilter), may be NULL */
    bool finished;
};

/* Grow a VG_VEC by one zeroed element; returns it or NULL. */
void *vg_vec_push(void *vec_v, size_t *n, size_t *cap, size_t elem);
#define VG_VEC_PUSH(vec)                                                                           \
    ((__typeof__((vec).v))vg_vec_push(&(vec).v, &(vec).n, &(vec).cap, sizeof(*(vec).v)))

/* Set up a compile context for a file. */
void vg_cctx_init(vg_cctx *c, vg_ruleset *rs, vg_diags *d, const char *file);

/* rule_load.c */
vg_status vg_rules_load_doc(vg_ruleset *rs, vg_cctx *c, const vg_ydoc *doc);
/* logsource map -> vg_logsource (strings in the arena); false with an error reported. */
bool vg_logsource_from_node(vg_cctx *c, const vg_ynode *n, vg_logsource *out);
/* The metadata detection rules and correlations share (id, title, name, level, status,
 * tags): strings in the arena, "" when unset (name: NULL). false after reporting an error
 * (no title, a value of the wrong shape). Also sets c->rule_id. */
bool vg_meta_strings(vg_cctx *c,
                     const vg_ynode *root,
                     const char **id,
                     const char **title,
                     const char **name,
                     const char **level,
                     const char **status,
                     const char ***tags,
                     size_t *n_tags);

/* correlation.c: a document with a `correlation` section. */
vg_status vg_corr_load_doc(vg_ruleset *rs, vg_cctx *c, const vg_ydoc *doc);
/* corr_bind.c: resolve correlation sources, chains, aliases and fields (at finish, after
 * the detection rules are bound). Problems go to d; a correlation with an error is
 * dropped. Returns VG_ERR_NOMEM or VG_OK. */
vg_status vg_corr_bind_all(vg_ruleset *rs, vg_diags *d);
/* The field slot of a name (created on first use); false when memory runs out. */
bool vg_ruleset_slot(vg_ruleset *rs, const char *name, uint32_t *slot);

#endif
