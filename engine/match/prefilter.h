/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prefilter.h: literal prefilter: which rules can possibly match an event.
 *
 * DESIGN
 * For every rule, the compiler derives a requirement from its condition program: a set of
 * atoms such that the rule can only match if at least one of them is seen in the event. An
 * atom is an exact value of a field (a value without wildcards; numbers also by their
 * integer value), a literal that occurs in a field's value (or, for keyword searches, in
 * any value), a regex without a provable literal (scanned for in prefilter mode), or the
 * presence of a field (a field condition with none of these, such as a number
 * comparison). AND keeps the most selective side (exact values, then the longest literal,
 * regexes, presence last), OR unions both sides; NOT, null and `exists: false` give no
 * requirement. A rule without a requirement is "always a candidate". A requirement may
 * have a second clause, another set of atoms one of which must be seen too, made only of
 * atoms the scan looks for anyway; it is checked per candidate (vg_prefilter_more).
 *
 * The literals that some requirement uses are grouped by field and compiled into one
 * vectorscan literal database per field (case-insensitive where the Sigma value is), the
 * regexes into one regex database per field. Keyword literals have a pseudo slot per logsource
 * mapping entry plus one for rules that apply to every event, so that logsource routing (route.h)
 * can tell which of them may apply; they share one database, scanned once over the event's values
 * joined when any of them may (or, when the slots that may apply are those of one product's
 * group, that group's smaller database). Exact values sit in one hash table keyed by (field,
 * value). Per event, each present field that has databases is scanned once with each (unless
 * routing says no rule of the database can apply), its values are looked up in the exact-value
 * table, every atom seen marks its rules, and only the marked rules plus the always-candidates are
 * evaluated. The prefilter never decides a match: it only removes rules that cannot match, so the
 * evaluator's answer is unchanged (the differential test checks this against the reference
 * evaluator).
 *
 * Thread: the prefilter is built once and read-only; each thread has its own vg_pf_scratch.
 */
#ifndef VIGIL_MATCH_PREFILTER_H
#define VIGIL_MATCH_PREFILTER_H

#include "vigil/base.h"
#include "vigil/event.h"
#include "vigil/match.h"

struct vg_ruleset;
struct vg_vmatch;
typedef struct vg_prefilter vg_prefilter;
typedef struct vg_pf_scratch vg_pf_scratch;

typedef struct vg_pf_stats {
    size_t n_rules;
    size_t n_filtered;     /* rules with a literal requirement */
    size_t n_always;       /* rules evaluated on every event */
    size_t n_more_clauses; /* of n_filtered: rules with further clauses (vg_prefilter_more) */
    size_t n_literals;     /* distinct (field, literal, case) entries scanned */
    size_t n_regex;        /* regexes without a literal scanned for (prefilter mode) */
    size_t n_exact;        /* distinct (field, exact value) entries looked up */
    size_t n_databases;    /* vectorscan databases (per field: literals, regexes; keywords: all, per
                              product) */
} vg_pf_stats;

/* Build from a finished ruleset; the literal databases are compiled as tasks of run (see
 * vg_ruleset_build_prefilter_with; NULL: in turn). NULL on failure with a message in err. */
vg_prefilter *vg_prefilter_new(
        const struct vg_ruleset *rs, vg_run_tasks_fn run, void *run_ctx, char *err, size_t err_len);
void vg_prefilter_free(vg_prefilter *pf);
void vg_prefilter_stats(const vg_prefilter *pf, vg_pf_stats *out);
/* Is rule r always a candidate (no literal requirement)? */
bool vg_prefilter_always(const vg_prefilter *pf, uint32_t r);

vg_pf_scratch *vg_pf_scratch_new(const vg_prefilter *pf);
void vg_pf_scratch_free(vg_pf_scratch *s);

/* The logsource routing built with the prefilter (see route.h); NULL if none. */
const struct vg_route *vg_prefilter_route(const vg_prefilter *pf);
/* Database entries: one per field with literals, and one per keyword slot (a logsource
 * mapping entry, or the rules that apply to every event). The keyword slots' literals share
 * one vectorscan database, scanned when any of their entries is not skipped. */
size_t vg_prefilter_n_dbs(const vg_prefilter *pf);
/* For database entry d: the mapping entry of a keyword slot, -1 for the every-event
 * keyword slot, -2 for a field database. */
int64_t vg_prefilter_kw_entry(const vg_prefilter *pf, size_t d);
/* The database entries holding rule r's scanned literals (none for an always-candidate or
 * a rule whose requirement is exact values or presence); may repeat. */
const uint32_t *vg_prefilter_rule_dbs(const vg_prefilter *pf, uint32_t r, size_t *n);

/* Which field slots an event can resolve (see present.h), built with the prefilter. */
const struct vg_present *vg_prefilter_present(const vg_prefilter *pf);

/* Scan ev and fill the candidate bitmap (one bit per rule, ruleset order). slots lists
 * the field slots ev can resolve (vg_present_mark); resolve(ctx, slot) must return the
 * first node of a field slot, as the evaluator resolves it.
 * db_skip (NULL: none) has one byte per database; a database whose byte is 1 is not
 * scanned (the caller knows that none of its rules can apply to the event).
 * Returns the bitmap (valid until the next call) and its word count in *n_words. */
const uint64_t *vg_prefilter_scan(const vg_prefilter *pf,
                                  vg_pf_scratch *s,
                                  const vg_event *ev,
                                  const uint32_t *slots,
                                  size_t n_slots,
                                  uint32_t (*resolve)(void *ctx, uint32_t slot),
                                  void *ctx,
                                  const uint8_t *db_skip,
                                  size_t *n_words);

/* After vg_prefilter_scan of an event, for a candidate rule r: false when some further
 * clause of r's requirement has no atom seen (the rule cannot match), true otherwise. */
bool vg_prefilter_more(const vg_prefilter *pf, const vg_pf_scratch *s, uint32_t r);

/* After vg_prefilter_scan of an event: false when atom (an id from vg_fcond.pf_atoms;
 * UINT32_MAX: none) was certainly not seen in the event, true otherwise. */
bool vg_prefilter_atom_possible(const vg_prefilter *pf, const vg_pf_scratch *s, uint32_t atom);

/* After vg_prefilter_scan of an event: false when a value matcher of a rule (a vg_vmatch)
 * certainly does not match any value of this event: every match of it needs an atom (a
 * literal or regex of a database scanned for this event, or an exact value, looked up
 * whenever its field is present) that the scan did not see. true otherwise (including
 * values without an atom, or whose database was not scanned). */
bool vg_prefilter_value_possible(const vg_prefilter *pf,
                                 const vg_pf_scratch *s,
                                 const struct vg_vmatch *vm);

#endif
