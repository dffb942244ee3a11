/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefilter.h: literal prefilter: which rules can possibly match an event.
 *
 * DESIGN
 * For every rule, the compiler derives a requirement from its condition program: a set of
 * (field, literal) pairs such that the rule can only match if at least one of the literals
 * occurs in that field's value (or, for keyword searches, in any value). AND keeps the most
 * selective side, OR unions both sides, NOT and value types without a literal (regex,
 * numbers, cidr, exists, null, field references) give no requirement. A rule without a
 * requirement is "always a candidate".
 *
 * The literals are grouped by field and compiled into one vectorscan literal database per
 * field (case-insensitive where the Sigma value is). Per event, each field that has a
 * database is scanned once, every literal seen marks its rules, and only the marked rules
 * plus the always-candidates are evaluated. The prefilter never decides a match: it only
 * removes rules that cannot match, so the evaluator's answer is unchanged (the differential
 * test checks this against the reference evaluator).
 *
 * Thread: the prefilter is built once and read-only; each thread has its own vg_pf_scratch.
 */
#ifndef VIGIL_MATCH_PREFILTER_H
#define VIGIL_MATCH_PREFILTER_H

#include "vigil/base.h"
#include "vigil/event.h"

struct vg_ruleset;
typedef struct vg_prefilter vg_prefilter;
typedef struct vg_pf_scratch vg_pf_scratch;

typedef struct vg_pf_stats {
    size_t n_rules;
    size_t n_filtered;  /* rules with a literal requirement */
    size_t n_always;    /* rules evaluated on every event */
    size_t n_literals;  /* distinct (field, literal, case) entries */
    size_t n_databases; /* vectorscan databases (one per field, one for keywords) */
} vg_pf_stats;

/* Build from a finished ruleset. NULL on failure with a message in err. */
vg_prefilter *vg_prefilter_new(const struct vg_ruleset *rs, char *err, size_t err_len);
void vg_prefilter_free(vg_prefilter *pf);
void vg_prefilter_stats(const vg_prefilter *pf, vg_pf_stats *out);
/* Is rule r always a candidate (no literal requirement)? */
bool vg_prefilter_always(const vg_prefilter *pf, uint32_t r);

vg_pf_scratch *vg_pf_scratch_new(const vg_prefilter *pf);
void vg_pf_scratch_free(vg_pf_scratch *s);

/* Scan ev and fill the candidate bitmap (one bit per rule, ruleset order). resolve(ctx,
 * slot) must return the first node of a field slot, as the evaluator resolves it.
 * Returns the bitmap (valid until the next call) and its word count in *n_words. */
const uint64_t *vg_prefilter_scan(const vg_prefilter *pf,
                                  vg_pf_scratch *s,
                                  const vg_event *ev,
                                  uint32_t (*resolve)(void *ctx, uint32_t slot),
                                  void *ctx,
                                  size_t *n_words);

#endif
