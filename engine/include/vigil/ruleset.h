/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ruleset.h: Sigma rules compiled into an immutable, shareable ruleset.
 *
 * Building a ruleset (one thread):
 *   vg_ruleset_new
 *   vg_ruleset_add_logsources / vg_ruleset_add_fieldmap / vg_ruleset_add_placeholders
 *       (mappings and placeholder values; before the rules that use them)
 *   vg_ruleset_add_rules            once per rule file (any number of YAML documents:
 *                                   detection rules and Sigma filters)
 *   vg_ruleset_finish               binds filters to rules, logsources to mappings and
 *                                   field names to candidate event paths
 * Every problem goes to the vg_diags given, with file:line:col and the rule id. A rule
 * with an error is left out and the others load; warnings never drop a rule.
 *
 * The engine never reads files: callers pass file names (for messages) and contents.
 * After vg_ruleset_finish the ruleset is read-only and may be shared by threads.
 */
#ifndef VIGIL_RULESET_H
#define VIGIL_RULESET_H

#include "vigil/base.h"
#include "vigil/diag.h"

typedef struct vg_ruleset vg_ruleset;

/* A Sigma logsource; NULL members are unset. */
typedef struct vg_logsource {
    const char *product;
    const char *category;
    const char *service;
} vg_logsource;

typedef struct vg_rule_info {
    const char *id; /* never NULL ("" if the rule has none) */
    const char *title;
    const char *level;  /* "" if unset */
    const char *status; /* "" if unset */
    const char *file;
    uint32_t line; /* where the rule's document starts */
    vg_logsource logsource;
    const char *const *tags;
    size_t n_tags;
    bool logsource_mapped; /* false: no mapping, the rule applies to every event */
    size_t n_filters;      /* Sigma filters applied to this rule */
} vg_rule_info;

typedef struct vg_ruleset_stats {
    size_t n_docs;         /* YAML documents seen in rule files */
    size_t n_rules;        /* detection rules loaded */
    size_t n_correlations; /* correlation rules loaded */
    size_t n_rejected;     /* documents (rules, filters) rejected with an error */
    size_t n_filters;      /* Sigma filters loaded */
    size_t n_unmapped;     /* rules whose logsource has no mapping */
    size_t n_logsource_entries;
    size_t n_field_mappings;
} vg_ruleset_stats;

VG_API vg_ruleset *vg_ruleset_new(void);
VG_API void vg_ruleset_free(vg_ruleset *rs);

/* rules/logsources.yml format. Returns VG_OK or the first error (also in d). */
VG_API vg_status vg_ruleset_add_logsources(
        vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d);
/* rules/fields.yml format. */
VG_API vg_status vg_ruleset_add_fieldmap(
        vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d);
/* A YAML map: placeholder name (without %) -> value or list of values. */
VG_API vg_status vg_ruleset_add_placeholders(
        vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d);
/* One placeholder from the command line ("name", values). */
VG_API vg_status vg_ruleset_set_placeholder(vg_ruleset *rs,
                                            const char *name,
                                            const char *const *values,
                                            size_t n);

/* Compile every document of one rule file. Returns VG_OK unless memory ran out; rule
 * errors are in d (vg_diags_errors). */
VG_API vg_status
vg_ruleset_add_rules(vg_ruleset *rs, const char *file, const char *text, size_t len, vg_diags *d);

VG_API vg_status vg_ruleset_finish(vg_ruleset *rs, vg_diags *d);

VG_API size_t vg_ruleset_count(const vg_ruleset *rs);
VG_API void vg_ruleset_rule_info(const vg_ruleset *rs, size_t i, vg_rule_info *out);
VG_API void vg_ruleset_stats_get(const vg_ruleset *rs, vg_ruleset_stats *out);

/* "product=linux,service=sshd" -> logsource (strings point into an internal copy owned by
 * the ruleset). VG_ERR_INVALID with a message in err (at least 128 bytes) if malformed. */
VG_API vg_status
vg_logsource_parse(vg_ruleset *rs, const char *spec, vg_logsource *out, char *err, size_t err_len);

#endif
