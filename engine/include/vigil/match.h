/* SPDX-License-Identifier: Apache-2.0 */
/*
 * match.h: evaluating a compiled ruleset on events.
 *
 * vg_match_event runs every rule that applies to the event and reports every rule that
 * matches (never first-match-wins), in ruleset order. Which rules apply depends on the
 * input's declared logsource (see docs/rules.md, "Logsources"):
 *   - no declared logsource: a rule with a mapped logsource applies when the mapping's
 *     conditions hold for the event; a rule with an unmapped logsource applies to every
 *     event;
 *   - a declared logsource: a rule whose logsource names a product/category/service that
 *     differs from the declared one does not apply; one whose every key is declared and
 *     equal applies without conditions; otherwise (the rule is more specific than the
 *     declaration) the mapping's conditions decide, as above.
 *
 * A vg_match_scratch holds per-thread working memory (regex match data, per-event caches)
 * and counters. Thread: one scratch per thread; the ruleset is shared read-only.
 */
#ifndef VIGIL_MATCH_H
#define VIGIL_MATCH_H

#include "vigil/base.h"
#include "vigil/event.h"
#include "vigil/ruleset.h"

typedef struct vg_match_scratch vg_match_scratch;

typedef struct vg_prefilter_info {
    size_t n_rules;
    size_t n_filtered;  /* rules evaluated only when one of their literals, exact values or
                           fields is seen */
    size_t n_always;    /* rules evaluated on every event (negations, null, keywords
                           without a literal, ...) */
    size_t n_more;      /* of n_filtered: rules that also need an atom of a second clause
                           (checked before they are evaluated) */
    size_t n_literals;  /* distinct literals in the multi-pattern databases */
    size_t n_regex;     /* regexes without a literal in per-field databases (scanned in
                           prefilter mode: a rule with one is evaluated where it may match) */
    size_t n_exact;     /* distinct exact values looked up per event */
    size_t n_databases; /* databases: per field its literals and its regexes; keywords: all, and per
                           product */
} vg_prefilter_info;

/* Build the literal prefilter of a finished ruleset (vectorscan databases). Needed by
 * vg_match_event_fast; call before creating scratches. err gets a message on failure. */
VG_API vg_status vg_ruleset_build_prefilter(vg_ruleset *rs, char *err, size_t err_len);

/* The same, with the compilation of its databases (most of the time) handed to run: run
 * must call task(arg, i) once for every i < n, in any order and on any threads, and return
 * when all calls have returned (the engine starts no threads of its own). Tasks are
 * independent, and the first ones are the longest. run NULL: one after the other. */
typedef void (*vg_task_fn)(void *arg, size_t i);
typedef void (*vg_run_tasks_fn)(void *run_ctx, size_t n, vg_task_fn task, void *arg);
VG_API vg_status vg_ruleset_build_prefilter_with(
        vg_ruleset *rs, vg_run_tasks_fn run, void *run_ctx, char *err, size_t err_len);
/* false if no prefilter was built. */
VG_API bool vg_ruleset_prefilter_info(const vg_ruleset *rs, vg_prefilter_info *out);

typedef struct vg_match_counters {
    uint64_t events;      /* events evaluated */
    uint64_t rule_evals;  /* rule programs run */
    uint64_t hits;        /* rule matches */
    uint64_t regex_limit; /* regex matches stopped by the match/depth limit */
} vg_match_counters;

VG_API vg_match_scratch *vg_match_scratch_new(const vg_ruleset *rs);
VG_API void vg_match_scratch_free(vg_match_scratch *s);
VG_API void vg_match_counters_get(const vg_match_scratch *s, vg_match_counters *out);

/* What each rule costs: how often its program ran, and the time spent in it on sampled
 * events. The engine reads no clock of its own: the caller passes one. */
typedef uint64_t (*vg_clock_ns_fn)(void);
typedef struct vg_rule_cost {
    uint64_t evals; /* programs run (every event) */
    uint64_t timed; /* of which timed (sampled events) */
    uint64_t ns;    /* time in the timed ones */
} vg_rule_cost;
/* Time every rule evaluated on one event in `every` (0: never) with clock. */
VG_API void vg_match_scratch_profile(vg_match_scratch *s, vg_clock_ns_fn clock, uint32_t every);
/* Add this scratch's costs to out[0..n) (n: the ruleset's rule count at most). */
VG_API void vg_match_rule_costs(const vg_match_scratch *s, vg_rule_cost *out, size_t n);

/* Index ev for the matchers. With a prefilter, only the names some rule field may resolve
 * go into the lookup tables (vg_event_index_some; every node keeps its hashes for the
 * scans); without one, the whole event. Whatever else looks names up in ev (alerts, event
 * times, correlation, suppression) calls vg_event_index first, which completes it. */
VG_API vg_status vg_match_index(const vg_ruleset *rs, vg_event *ev);

/* Evaluate ev (indexed with vg_event_index or vg_match_index). declared may be NULL. Writes up to
 * cap rule indexes to hits and returns how many rules matched (which may exceed cap: then only the
 * first cap are written). */
VG_API size_t vg_match_event(const vg_ruleset *rs,
                             vg_match_scratch *s,
                             const vg_event *ev,
                             const vg_logsource *declared,
                             uint32_t *hits,
                             size_t cap);

/* Same contract and results as vg_match_event, faster: only rules whose logsource may apply
 * (logsource routing, when declared is NULL) and whose literals occur in the event (or that
 * have no literal requirement) are evaluated. Falls back to vg_match_event when the
 * ruleset has no prefilter. */
VG_API size_t vg_match_event_fast(const vg_ruleset *rs,
                                  vg_match_scratch *s,
                                  const vg_event *ev,
                                  const vg_logsource *declared,
                                  uint32_t *hits,
                                  size_t cap);

#endif
