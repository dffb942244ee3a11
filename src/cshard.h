/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cshard.h: the pipeline's correlator shards (vigil/corr.h, "shards"): m correlators, each
 * owning the group keys of some key slots, that take a batch's signals in parallel, shard 0
 * on the calling thread and the others on threads of their own.
 *
 * Contract: csh_push gives every shard its part of the batch's signals (in order, stamped
 * with the stream's time), brings every shard up to the stream's time, and returns once all
 * are done, the alerts appended to out shard after shard. The alerts are the same as one
 * correlator's over the same signals, in another order; with m == 1 this is one correlator
 * on the calling thread, nothing split. A batch with few signals is run on the calling
 * thread alone (the result is the same).
 *
 * Thread: every csh_ call from one thread (the pipeline's main); the shard threads only run
 * inside csh_push. Locks: a start and an end barrier per batch.
 */
#ifndef VIGIL_SRC_CSHARD_H
#define VIGIL_SRC_CSHARD_H

#include "vigil/corr.h"

typedef struct cshards cshards;

/* m in 1..VG_CORR_MAX_SHARDS; each shard gets opts' memory cap divided by m. NULL when it
 * cannot be set up (memory, threads). */
cshards *csh_new(const vg_ruleset *rs, const vg_corr_opts *opts, unsigned m);
/* Stop the threads and free the shards. */
void csh_free(cshards *s);
unsigned csh_count(const cshards *s);
/* The shards, for saving and restoring the state (vg_corr_*_m); between calls only. */
vg_corr *const *csh_corrs(cshards *s);
/* A new input stream starts (vg_corr_new_stream on every shard). */
void csh_new_stream(cshards *s);
/* VG_OK, or VG_ERR_NOMEM (splitting the signals; the batch's signals were not pushed). */
vg_status csh_push(cshards *s, const vg_corr_sigs *sigs, vg_buf *out, int64_t detect_ms);
/* End of input: vg_corr_finish on every shard, alerts to out. */
void csh_finish(cshards *s, vg_buf *out, int64_t detect_ms);
/* The shards' counters added up. */
void csh_counters(const cshards *s, vg_corr_counters *out);
/* OR every shard's changed slots into set (vg_corr_dirty_take). */
void csh_dirty_take(cshards *s, uint64_t set[VG_CORR_SLOT_WORDS]);

#endif
