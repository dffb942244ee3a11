/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mutate.h: deterministic mutation of JSON events, for the differential test
 * (tests/conformance/test_differential.c) and the worst-case benchmark
 * (bench/worst_event.c).
 *
 * A mut_pools holds what the edits draw from: the literals and field names of a ruleset,
 * and the string values and member names of events seen so far. mut_mutate turns the
 * compact JSON of an event into a variant by one or two edits of its text (see mutate.c for
 * the list). Every random choice comes from a mut_prng, so the same seed, pools and input
 * give the same variant on every run and machine.
 *
 * Ownership: the pools keep pointers into the ruleset's strings (the ruleset must outlive
 * them) and their own copies of event strings. Thread: none; a pool may be read by several
 * threads once nothing is added to it.
 */
#ifndef VIGIL_TESTS_MUTATE_H
#define VIGIL_TESTS_MUTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"
#include "vigil/ruleset.h"

/* splitmix64 state. */
typedef struct mut_prng {
    uint64_t s;
} mut_prng;

/* The generator of stream number `stream` (an event's index, say) under seed. */
mut_prng mut_prng_seed(uint64_t seed, size_t stream);

typedef struct mut_pools mut_pools;

/* NULL when out of memory. */
mut_pools *mut_pools_new(void);
void mut_pools_free(mut_pools *m);

/* Add the literals, field names and integer literals of a finished ruleset (its rules,
 * filters and logsource conditions). 0, or -1 when out of memory. */
int mut_pools_add_rules(mut_pools *m, const vg_ruleset *rs);

/* Add the string values and member names of the JSON object json[0, len) (copied). Text
 * that is not a JSON object adds nothing. 0, or -1 when out of memory. */
int mut_pools_add_event(mut_pools *m, const char *json, size_t len);

/* A variant of the JSON object json[0, len) in out (cleared first): one edit, sometimes
 * two. false when no edit applied (out then holds the input). The variant may not parse.
 * Check vg_buf_status(out) for a failed allocation. */
bool mut_mutate(const mut_pools *m, mut_prng *g, const char *json, size_t len, vg_buf *out);

#endif
