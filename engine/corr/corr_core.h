/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_core.h: the inside of a vg_corr, shared by the correlator (corr.c) and its
 * snapshot encoding (snapshot.c). Private to the engine.
 */
#ifndef VIGIL_CORR_CORR_CORE_H
#define VIGIL_CORR_CORR_CORE_H

#include "corr/corr_int.h"
#include "corr/cstate.h"
#include "sigma/ruleset_int.h"

typedef struct ctimer {
    int64_t due;
    uint32_t id, gen;
} ctimer;

struct vg_corr {
    const vg_ruleset *rs;
    vg_corr_opts o;
    cstore st;
    ctimer *heap;
    size_t n_heap, cap_heap;
    int64_t max_ts; /* latest event time in the current stream */
    int64_t wm;
    vg_corr_counters ct;
    const char **inputs; /* input name ids: names borrowed from the caller or owned */
    size_t n_inputs, cap_inputs;
    char **owned; /* input names copied from a snapshot */
    size_t n_owned, cap_owned;
    vg_corr_sigs *pending; /* chained signals waiting to be pushed */
    vg_corr_sigs *pending2;
    uint64_t *seen; /* scratch set for distinct counts: hashes */
    uint32_t *seen_cnt;
    uint32_t seen_cap;
    vg_suppress *sup;                   /* correlation rules' `suppress` */
    uint64_t dirty[VG_CORR_SLOT_WORDS]; /* slots changed since vg_corr_dirty_take */
    vg_buf *out;                        /* where the current call writes alerts */
    int64_t now;
};

static inline void vg_corr_mark(vg_corr *c, const ckey *k)
{
    c->dirty[k->slot >> 6] |= 1ull << (k->slot & 63);
}

/* An input name id for a copy of [p, p+n) (restored names); UINT16_MAX when out of memory. */
uint16_t vg_corr_input_owned(vg_corr *c, const char *p, size_t n);
/* Key id was filled from a snapshot (entries, values, max_ts, flags): rebuild its running
 * window and sequence state and schedule its timer. */
void vg_corr_key_restored(vg_corr *c, uint32_t id);

#endif
