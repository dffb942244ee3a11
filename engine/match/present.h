/* SPDX-License-Identifier: Apache-2.0 */
/*
 * present.h: which field slots of a ruleset an event can resolve, found from the event's
 * own names in one pass.
 *
 * DESIGN
 * A field slot resolves through its candidate names (the field and its mappings), each by
 * exact dotted path or by unique leaf key (see vigil/event.h). So a slot can only resolve
 * when one of its candidate names equals a path or a key of the event (or a key with its
 * spaces removed, as the event index also registers it). A hash table from every candidate
 * name of the ruleset to its slots turns the event's paths and keys into the list of slots
 * that may resolve; every other slot certainly resolves to nothing. The fast matcher uses
 * this to skip resolving absent fields (most rule fields are absent from most events) and
 * to pick the prefilter databases to scan. Marking too much is harmless (the slot is then
 * resolved as usual); the table never marks too little.
 *
 * Thread: built once, read-only; per-event state lives in the caller's arrays.
 */
#ifndef VIGIL_MATCH_PRESENT_H
#define VIGIL_MATCH_PRESENT_H

#include "vigil/base.h"
#include "vigil/event.h"

struct vg_ruleset;
typedef struct vg_present vg_present;

/* NULL when memory runs out. */
vg_present *vg_present_new(const struct vg_ruleset *rs);
void vg_present_free(vg_present *p);

/* Can a name of hash h be a candidate name of some slot? false: certainly not; true: maybe
 * (one bit per VG_PRESENT_MAY_BITS-bit fragment of the hash). The filter of the lean event
 * index (vg_match_index), called for every node: inline, over the bits of
 * vg_present_may_bits. */
#define VG_PRESENT_MAY_BITS 14
const uint64_t *vg_present_may_bits(const vg_present *p);
static inline uint32_t vg_present_may_bit(uint64_t h)
{
    return (uint32_t)(h >> 40) & ((1u << VG_PRESENT_MAY_BITS) - 1);
}
static inline bool vg_present_may(const uint64_t *may, uint64_t h)
{
    uint32_t bit = vg_present_may_bit(h);
    return (may[bit / 64] >> (bit % 64)) & 1;
}

/* Mark the slots ev may resolve: stamp[slot] = gen for each, and each is appended once to
 * list (room for every slot of the ruleset). stamp has one entry per slot; entries equal
 * to gen before the call count as already marked. Returns the number appended. */
size_t vg_present_mark(
        const vg_present *p, const vg_event *ev, uint32_t *stamp, uint32_t gen, uint32_t *list);

/* Consecutive events mostly share their names (a Sysmon event of one EventID has the same
 * keys as the last). A cache (one per thread) remembers, for the last few sequences of name
 * hashes seen (each node's path, key and space-less key hash, in node order), the slots
 * they marked: an event whose sequence is one of them gets that slot list without a table
 * lookup. The marks are a function of that sequence alone, so the result is the same as
 * vg_present_mark's. */
typedef struct vg_present_cache vg_present_cache;

/* NULL when memory runs out. */
vg_present_cache *vg_present_cache_new(void);
void vg_present_cache_free(vg_present_cache *c);

/* vg_present_mark through the cache; gen must be new (no stamp equals it yet). */
size_t vg_present_mark_cached(const vg_present *p,
                              vg_present_cache *c,
                              const vg_event *ev,
                              uint32_t *stamp,
                              uint32_t gen,
                              uint32_t *list);

#endif
