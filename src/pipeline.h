/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.h: the record pipeline of `vigil run`: inputs are read, framed, parsed, indexed
 * and matched; alerts go to one stream as JSON lines, per-record problems to another, in
 * input order. It runs on the calling thread alone (threads == 1) or with worker threads
 * that parse and match while the calling thread reads and writes; the output is the same
 * byte for byte either way, except the alerts' detection time. Design: pipeline.c.
 *
 * Two ways to drive it:
 *   - pl_run: read files/stdin in order to the end; alerts to a FILE (vigil run, vigil test);
 *   - pl_open .. pl_close: the caller feeds records one by one (the daemon: Kafka messages)
 *     and gets alerts, bad records and progress through a pl_sink, called on the caller's
 *     thread, in feed order. pl_drain waits until everything fed has been through the sink
 *     (a checkpoint's precondition); pl_state_save / pl_state_load carry the state
 *     (correlation windows, `suppress` periods) across a checkpoint or a rule reload.
 *
 * Thread: pl_run, and every pl_ call on one pl, from one thread; they return after every
 * thread they started has been joined (pl_close) or synchronised with (pl_drain). The
 * ruleset must be finished (and its prefilter built when cfg->fast) and outlive the run.
 */
#ifndef VIGIL_SRC_PIPELINE_H
#define VIGIL_SRC_PIPELINE_H

#include "vigil/corr.h"
#include "vigil/event.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#include <stdint.h>
#include <stdio.h>

#define PL_MAX_THREADS 64

typedef struct pl_input {
    const char *path; /* "-" is stdin */
    vg_format fmt;
    bool has_ls; /* ls holds the declared logsource */
    vg_logsource ls;
    const char *ls_spec;    /* the --logsource text (cli_run's use) */
    const char *time_field; /* event time field; NULL: the usual fields (vg_event_time) */
} pl_input;

typedef struct pl_config {
    const vg_ruleset *rs;
    bool fast;              /* vg_match_event_fast, else vg_match_event */
    size_t max_record;      /* --max-record */
    uint64_t max_errors;    /* per-record reports shown per input (--max-errors) */
    vg_event_limits limits; /* each worker's event */
    unsigned threads;       /* 1..PL_MAX_THREADS workers; 1 runs on the calling thread */
    vg_corr_opts corr;      /* the correlator's options (used when rs has correlations) */
    unsigned corr_shards;   /* correlator shards, 1..VG_CORR_MAX_SHARDS (0: 1); each gets a
                               thread, and corr.max_bytes / corr_shards */
    vg_clock_ns_fn clock;   /* with profile_every: time rule evaluations (vg_match_rule_costs) */
    uint32_t profile_every; /* one event in this many is timed; 0: none */
} pl_config;

typedef struct pl_counts {
    uint64_t records, events, alerts, malformed, oversize, limit, io_errors;
    uint64_t rule_evals, regex_limit; /* from the workers' match counters */
    vg_corr_xcounters x;              /* signal extraction (workers) */
    vg_corr_counters corr;            /* the correlator (main) */
    uint64_t corr_alerts;             /* correlation alerts written */
    uint64_t suppressed;              /* detection alerts silenced by `suppress` */
} pl_counts;

/* Where a driven pipeline's results go. Every callback runs on the caller's thread (inside
 * pl_feed, pl_poll, pl_drain or pl_finish), batch by batch in feed order. Pointers are valid
 * during the call only. */
typedef struct pl_sink {
    void *ud;
    /* Alert lines, each '\n'-terminated (detection alerts after `suppress`, and correlation
     * alerts, which may belong to any input). */
    void (*alerts)(void *ud, const char *p, size_t n);
    /* A record that gave no event: its bytes, record index and the report line (no '\n'). */
    void (*bad)(void *ud,
                const pl_input *in,
                const char *rec,
                size_t len,
                uint64_t index,
                const char *reason,
                size_t reason_len);
    /* Every record of `in` up to index `last` (inclusive) has been through the sink. */
    void (*done)(void *ud, const pl_input *in, uint64_t last);
} pl_sink;

typedef struct pl pl;

/* A pipeline driven by the caller. NULL (message on err) if it cannot be set up. */
pl *pl_open(const pl_config *cfg, const pl_sink *sink, FILE *err);
/* Feed one record of input `in` (the pointer must stay valid until pl_close; the bytes are
 * copied). index is the record's number in its input (for Kafka: the offset). -1 when out
 * of memory (the record was not taken). */
int pl_feed(pl *p, const pl_input *in, const char *rec, size_t len, uint64_t index);
/* Send the partial batch to the workers and pass whatever they have finished to the sink,
 * without waiting. */
void pl_poll(pl *p);
/* Feed is over for now: wait until every record fed has been through the sink. */
void pl_drain(pl *p);
/* The correlation and `suppress` state, versioned bytes; call after pl_drain. */
vg_status pl_state_save(pl *p, vg_buf *out);
/* Load state saved by pl_state_save (possibly under another ruleset: correlations are
 * matched by id) into a pipeline that has seen no record. Hostile-input safe; on refusal the
 * state stays empty and err says why. */
vg_status pl_state_load(pl *p, const void *bytes, size_t n, char *err, size_t err_len);
/* The same state in parts, for checkpoints that rewrite only what changed: a head
 * (watermark, `suppress` tables) and the correlation key slots (vigil/corr.h). Call after
 * pl_drain. pl_state_dirty ORs into set the slots changed since its previous call;
 * pl_state_save_slots appends a record per slot of set (vg_corr_snapshot_slots; length 0
 * for a slot without keys, and for every slot when no correlation is loaded). */
void pl_state_dirty(pl *p, uint64_t set[VG_CORR_SLOT_WORDS]);
vg_status pl_state_save_head(pl *p, vg_buf *out);
vg_status pl_state_save_slots(pl *p, const uint64_t set[VG_CORR_SLOT_WORDS], vg_buf *out);
/* Load a head, then any number of slot blobs, into a pipeline that has seen no record.
 * Hostile-input safe; on refusal err says why and the pipeline must not be used with the
 * state half loaded: load again from the start or close it. */
vg_status pl_state_load_head(pl *p, const void *bytes, size_t n, char *err, size_t err_len);
vg_status pl_state_load_slot(pl *p, const void *bytes, size_t n, char *err, size_t err_len);
/* Counters so far; call after pl_drain. */
void pl_counts_get(pl *p, pl_counts *out);
/* Add every worker's per-rule costs to out[0..n); call after pl_drain. */
void pl_rule_costs(pl *p, vg_rule_cost *out, size_t n);
/* true when pl_feed, the workers or the sink ran out of memory: the pipeline must be closed. */
bool pl_failed(const pl *p);
/* Drain, stop the workers and free. Open correlation windows are not decided (their state
 * was saved, or is given up). */
void pl_close(pl *p);

/*
 * Run the inputs in order: alerts to out, reports of bad records and unreadable inputs to
 * err. counts is always filled. Returns 0, or -1 if the run could not be set up or stopped
 * early for lack of memory (the message is on err); unreadable inputs only count io_errors.
 */
int pl_run(const pl_config *cfg,
           const pl_input *inputs,
           size_t n_inputs,
           FILE *out,
           FILE *err,
           pl_counts *counts);

#endif
