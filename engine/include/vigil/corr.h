/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr.h: sliding-window correlation on event time (Sigma correlation rules).
 *
 * Two steps, so that the expensive one runs on the workers and the stateful one on the
 * owner of each group key:
 *   1. vg_corr_extract (any thread, per event): a detection rule matched an event; for each
 *      correlation that uses the rule, read the group-by values (and the value field) from
 *      the event and append a signal {correlation, source, event time, group key, value,
 *      origin} to a vg_corr_sigs list. Group keys and values are copied: the event may go.
 *   2. vg_corr_push (one thread per vg_corr): signals, in order, update the per-key windows
 *      and produce correlation alerts as JSON lines. An alert of a correlation that others
 *      chain on feeds them at once (no signal list needed).
 *
 * Time is data: each signal carries its event time. The watermark is the latest event
 * time pushed minus the allowed lateness (vg_corr_advance can move it further); as it
 * passes, windows whose decision waits for their end are decided and keys whose events
 * have left every window are freed. Events older than the watermark are late: counted and
 * dropped. vg_corr_finish closes every
 * window (end of input). The engine never reads a clock: the alert's detection time is a
 * parameter too.
 *
 * Key slots: every group key belongs to one of VG_CORR_SLOTS slots, a hash of its bytes
 * alone (vg_corr_slot_of: the same in every process, version and ruleset, so that all the
 * correlations of one group key share a slot). The state is saved slot by slot: a head
 * (watermark, the correlation rules' `suppress` table) and one self-contained blob per slot
 * (its keys, naming their correlations by id), so that a checkpoint rewrites only the slots
 * that changed since the previous one (vg_corr_dirty_take) and a slot can move on its own.
 *
 * Semantics (bounds, episodes, ordering, ...) are in docs/rules.md, "Correlation".
 *
 * Thread: a vg_corr_sigs belongs to one thread at a time, a vg_corr to one thread. The
 * ruleset is shared read-only and must outlive both. Locks: none.
 */
#ifndef VIGIL_CORR_H
#define VIGIL_CORR_H

#include "vigil/base.h"
#include "vigil/buf.h"
#include "vigil/event.h"
#include "vigil/alert.h"
#include "vigil/ruleset.h"

/* ---- signals ---- */

typedef struct vg_corr_sigs vg_corr_sigs;

typedef struct vg_corr_xcounters {
    uint64_t signals;    /* signals appended */
    uint64_t no_group;   /* hits skipped: a group-by field missing from the event */
    uint64_t no_value;   /* hits skipped: the value field missing */
    uint64_t not_number; /* hits skipped: value_sum/avg field not a number */
    uint64_t no_time;    /* hits skipped: the event has no usable time */
} vg_corr_xcounters;

VG_API vg_corr_sigs *vg_corr_sigs_new(void);
VG_API void vg_corr_sigs_free(vg_corr_sigs *s);
/* Forget the signals (keeps the memory). Counters are kept. */
VG_API void vg_corr_sigs_clear(vg_corr_sigs *s);
VG_API size_t vg_corr_sigs_count(const vg_corr_sigs *s);
VG_API void vg_corr_sigs_counters(const vg_corr_sigs *s, vg_corr_xcounters *out);

/* true if rule (a detection rule index) feeds any correlation. */
VG_API bool vg_corr_rule_used(const vg_ruleset *rs, uint32_t rule);
/* true if the rule's own alerts are wanted: it feeds no correlation, or one of those says
 * `generate: true`. */
VG_API bool vg_corr_rule_alerts(const vg_ruleset *rs, uint32_t rule);

/* Append one signal per correlation that uses `rule`. ts_ms is the event's time (see
 * vg_event_time); has_ts false skips them all (counted no_time). origin->input is borrowed
 * and must outlive every vg_corr the signals are pushed to. Returns the number appended,
 * or (size_t)-1 when memory ran out. */
VG_API size_t vg_corr_extract(vg_corr_sigs *out,
                              const vg_ruleset *rs,
                              uint32_t rule,
                              const vg_event *ev,
                              bool has_ts,
                              int64_t ts_ms,
                              const vg_origin *origin);

/* ---- the correlator ---- */

typedef struct vg_corr vg_corr;

typedef struct vg_corr_opts {
    int64_t lateness_ms;  /* allowed lateness (default 0 = none beyond the watermark) */
    size_t max_bytes;     /* state memory cap (default 1 GiB); past it new keys are refused */
    uint32_t max_entries; /* events kept per key and window (default 65,536) */
    uint32_t sample;      /* contributing events listed in an alert (default 10) */
} vg_corr_opts;

typedef struct vg_corr_counters {
    uint64_t signals;         /* pushed */
    uint64_t late;            /* dropped: older than the watermark */
    uint64_t alerts;          /* correlation alerts produced (silent ones included) */
    uint64_t chained;         /* signals from inner correlation alerts */
    uint64_t keys;            /* group keys live now */
    uint64_t evicted;         /* group keys freed after their events left every window */
    uint64_t cap_keys;        /* signals dropped: new key refused by the memory cap */
    uint64_t cap_entries;     /* oldest events dropped: a key's window held max_entries */
    uint64_t bytes;           /* state memory now */
    uint64_t restore_skipped; /* restored keys of correlations no longer loaded */
    uint64_t suppressed;      /* correlation alerts silenced by `suppress` */
} vg_corr_counters;

/* opts may be NULL (defaults). NULL when memory runs out. */
VG_API vg_corr *vg_corr_new(const vg_ruleset *rs, const vg_corr_opts *opts);
VG_API void vg_corr_free(vg_corr *c);

/* Push every signal of sigs in order. Alerts (one JSON object per line, '\n'-terminated)
 * are appended to out; detect_ms is their "time". Returns VG_OK, or VG_ERR_NOMEM (state
 * left consistent; the signal that failed is counted as dropped by the cap). */
VG_API vg_status vg_corr_push(vg_corr *c, const vg_corr_sigs *sigs, vg_buf *out, int64_t detect_ms);

/* A new input stream starts (`vigil run` reads its inputs one after the other): the
 * watermark restarts from that stream's own event times. */
VG_API void vg_corr_new_stream(vg_corr *c);
/* Move the watermark to wm_ms if that is later (a hint from events that fed no
 * correlation, or from an idle input) and decide the windows that end before it. */
VG_API void vg_corr_advance(vg_corr *c, int64_t wm_ms, vg_buf *out, int64_t detect_ms);
/* End of input: decide every open window. The correlator may be used again afterwards. */
VG_API void vg_corr_finish(vg_corr *c, vg_buf *out, int64_t detect_ms);
VG_API int64_t vg_corr_watermark(const vg_corr *c);

/* Append the whole state (windows, episodes, watermark, input names) to out; call between
 * pushes. The bytes are portable (little-endian) and versioned; see corr/snapshot.c. */
VG_API vg_status vg_corr_snapshot(const vg_corr *c, vg_buf *out);
/* Load a snapshot into a correlator that holds no state yet, over the current ruleset
 * (correlations matched by id; keys of correlations not loaded are skipped and counted).
 * A malformed snapshot is refused (VG_ERR_INVALID or VG_ERR_UNSUPPORTED, message in err)
 * and leaves the correlator empty. Hostile input safe: every length is checked. */
VG_API vg_status vg_corr_restore(vg_corr *c, const void *p, size_t n, char *err, size_t err_len);

/* ---- key slots (incremental snapshots) ---- */

#define VG_CORR_SLOTS 1024u
#define VG_CORR_SLOT_WORDS                                                                         \
    (VG_CORR_SLOTS / 64u) /* a slot set: this many uint64_t, bit s = slot s */

/* The slot of a group key (its encoded bytes, as in a signal). */
VG_API uint32_t vg_corr_slot_of(const void *key, size_t len);
/* OR into set the slots whose keys changed (created, updated, decided or freed) since the
 * previous call, and forget them. A restore marks nothing. */
VG_API void vg_corr_dirty_take(vg_corr *c, uint64_t set[VG_CORR_SLOT_WORDS]);
/* Append the head: watermark, latest event time, the `suppress` table. */
VG_API vg_status vg_corr_snapshot_head(const vg_corr *c, vg_buf *out);
/* For every slot in set, in slot order, append a record: u32 slot, u64 length, then that
 * many bytes: the slot's blob, or nothing when the slot holds no key. */
VG_API vg_status vg_corr_snapshot_slots(const vg_corr *c,
                                        const uint64_t set[VG_CORR_SLOT_WORDS],
                                        vg_buf *out);
/* Load a head. Refused like vg_corr_restore (the correlator is then left empty). */
VG_API vg_status
vg_corr_restore_head(vg_corr *c, const void *p, size_t n, char *err, size_t err_len);
/* Add the keys of one slot blob; a key already held, or not of the blob's slot, makes the
 * blob malformed. On refusal the whole correlator is left empty. */
VG_API vg_status
vg_corr_restore_slot(vg_corr *c, const void *p, size_t n, char *err, size_t err_len);

/* ---- shards ----
 * The state can be split among m correlators (shards, each on a thread of its own), each
 * owning the keys of some slots: slot % m, except that the correlations of a chain (those
 * feeding another correlation and those fed by one) and those with `suppress` all live on
 * shard 0, so that a chained signal or a suppression never crosses shards. Every shard sees
 * the whole stream's time: vg_corr_sigs_split stamps each signal with the latest event time
 * up to it, and vg_corr_see brings a shard up to the stream's time when another shard's
 * signals moved it; so the shards decide, alert and free exactly what one correlator would,
 * only the order of the alerts differs. The saved state (head, slot blobs) does not depend
 * on m: it can be restored into any number of shards. */

#define VG_CORR_MAX_SHARDS 64u

VG_API uint32_t
vg_corr_shard_of(const vg_ruleset *rs, uint32_t corr, const void *key, size_t len, uint32_t m);
/* Append each signal of in to out[shard] (m lists), stamped with the stream's latest event
 * time up to it; *stream_max carries that time from call to call (INT64_MIN at the start of
 * a stream). VG_OK or VG_ERR_NOMEM. */
VG_API vg_status vg_corr_sigs_split(const vg_corr_sigs *in,
                                    const vg_ruleset *rs,
                                    uint32_t m,
                                    vg_corr_sigs *const *out,
                                    int64_t *stream_max);
/* The stream's events reached max_ms (seen by other shards): move the watermark and decide
 * what it passes, as if a signal of that time had come here. */
VG_API void vg_corr_see(vg_corr *c, int64_t max_ms, vg_buf *out, int64_t detect_ms);
/* The snapshot and restore calls over shards c[0..m) (m = 1: the calls above). The head is
 * shard 0's; restoring gives it to every shard, and each key to the shard that owns it. */
VG_API vg_status vg_corr_snapshot_m(const vg_corr *const *c, uint32_t m, vg_buf *out);
VG_API vg_status vg_corr_snapshot_slots_m(const vg_corr *const *c,
                                          uint32_t m,
                                          const uint64_t set[VG_CORR_SLOT_WORDS],
                                          vg_buf *out);
VG_API vg_status vg_corr_restore_m(
        vg_corr *const *c, uint32_t m, const void *p, size_t n, char *err, size_t err_len);
VG_API vg_status vg_corr_restore_head_m(
        vg_corr *const *c, uint32_t m, const void *p, size_t n, char *err, size_t err_len);
VG_API vg_status vg_corr_restore_slot_m(
        vg_corr *const *c, uint32_t m, const void *p, size_t n, char *err, size_t err_len);
VG_API void vg_corr_counters_get(const vg_corr *c, vg_corr_counters *out);

/* ---- suppression (the `suppress` vigil extension) ---- */

typedef struct vg_suppress vg_suppress;

VG_API vg_suppress *vg_suppress_new(void);
VG_API void vg_suppress_free(vg_suppress *s);
/* A detection rule's suppression period in ms (0: the rule has none) and, for this event,
 * the key of its `by` values (a missing field counts as an empty value). */
VG_API int64_t vg_rule_suppress_key(const vg_ruleset *rs,
                                    uint32_t rule,
                                    const vg_event *ev,
                                    uint64_t *key);
/* true: let the alert through, and silence the key until ts + period; false: silenced
 * (counted). period 0 always lets through. */
VG_API bool vg_suppress_allow(vg_suppress *s, uint64_t key, int64_t ts, int64_t period);
/* Alerts silenced so far. */
VG_API uint64_t vg_suppress_count(const vg_suppress *s);
/* Append the table (keys still silenced, the latest time seen, the silenced count) as
 * versioned little-endian bytes. */
VG_API void vg_suppress_save(const vg_suppress *s, vg_buf *out);
/* Replace the table with saved bytes. Hostile-input safe: a malformed table is refused
 * (VG_ERR_INVALID, message in err) and leaves s empty. */
VG_API vg_status
vg_suppress_load(vg_suppress *s, const void *p, size_t n, char *err, size_t err_len);

#endif
