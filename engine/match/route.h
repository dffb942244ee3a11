/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.h: logsource routing: which rules' logsources can apply to an event, decided once
 * per distinct value of the fields that logsource conditions test (Channel, EventID, ...).
 *
 * DESIGN
 * A logsource mapping entry's `when` is a detection over a few fields. An entry whose
 * `when` tests plain fields only (no keywords, no field references) is "routed": its
 * outcome is a function of those fields' values alone. Per event the values of every field
 * a routed entry tests (the key fields: Channel, EventID, program, ...; see route.c for
 * which are keyed on their values and which on their presence only) are serialised into a
 * key and looked up in a per-thread cache; on a miss, every routed entry's `when` is
 * evaluated once through the caller's callback and the result stored:
 *   - the outcome of each routed entry (other entries are left to be evaluated lazily);
 *   - the rules whose logsource can apply: unmapped rules, rules of entries without
 *     conditions or not routed, and rules of routed entries that hold;
 *   - the prefilter databases that only hold literals of rules that cannot apply, which
 *     the scan skips. Rules of entries that are not routed may apply to any key: their
 *     field databases are scanned when the event has the field, and their keyword slot
 *     (all values of the event) counts only when the entry holds for the event
 *     (vg_route_skip).
 * The result is exact (the same `when` evaluation, done once per key instead of once per
 * event), so the matcher's answers do not change. Routing applies only when no logsource
 * is declared for the input (a declared logsource decides applicability by itself).
 *
 * Thread: the route is built once and read-only; each thread has its own scratch.
 */
#ifndef VIGIL_MATCH_ROUTE_H
#define VIGIL_MATCH_ROUTE_H

#include "vigil/base.h"
#include "vigil/event.h"
#include "match/prefilter.h"

struct vg_ruleset;
typedef struct vg_route vg_route;
typedef struct vg_route_scratch vg_route_scratch;

typedef struct vg_route_res {
    const int8_t *ls;        /* per mapping entry: -1 unknown (evaluate lazily), 0, 1 */
    const uint64_t *allowed; /* per rule (bitmap): its logsource may apply */
    const uint8_t *db_skip;  /* per prefilter database: 1 = no rule of it may apply */
} vg_route_res;

/* Build for a finished ruleset and its prefilter. NULL when no entry can be routed (the
 * matcher then works without routing) or when memory runs out (*nomem set). */
vg_route *vg_route_new(const struct vg_ruleset *rs, const vg_prefilter *pf, bool *nomem);
void vg_route_free(vg_route *rt);

vg_route_scratch *vg_route_scratch_new(const vg_route *rt);
void vg_route_scratch_free(vg_route_scratch *s);

/* The routing result for ev. present lists the field slots ev may resolve (present.h;
 * every other slot resolves to nothing); resolve(ctx, slot) returns a field slot's first
 * node, as the evaluator resolves it; when(ctx, entry) evaluates a mapping entry's `when` on ev.
 * The result is valid until the next call with the same scratch. */
const vg_route_res *vg_route_event(const vg_route *rt,
                                   vg_route_scratch *s,
                                   const vg_event *ev,
                                   const uint32_t *present,
                                   size_t n_present,
                                   uint32_t (*resolve)(void *ctx, uint32_t slot),
                                   bool (*when)(void *ctx, uint32_t entry),
                                   void *ctx);

/* The databases the prefilter scan may skip for this event: res->db_skip, except that a
 * keyword slot is scanned when an entry that routing leaves to lazy evaluation and
 * that has rules with keyword literals holds for the event (holds(ctx, entry) answers,
 * evaluating the entry's `when` at most once per event). Valid until the next call. */
const uint8_t *vg_route_skip(const vg_route *rt,
                             vg_route_scratch *s,
                             const vg_route_res *res,
                             bool (*holds)(void *ctx, uint32_t entry),
                             void *ctx);

#endif
