/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.h: the record pipeline of `vigil run`: inputs are read, framed, parsed, indexed
 * and matched; alerts go to one stream as JSON lines, per-record problems to another, in
 * input order. It runs on the calling thread alone (threads == 1) or with worker threads
 * that parse and match while the calling thread reads and writes; the output is the same
 * byte for byte either way, except the alerts' detection time. Design: pipeline.c.
 *
 * Thread: pl_run is called from one thread and returns after every thread it started has
 * been joined. The ruleset must be finished (and its prefilter built when cfg->fast).
 */
#ifndef VIGIL_SRC_PIPELINE_H
#define VIGIL_SRC_PIPELINE_H

#include "vigil/corr.h"
#include "vigil/event.h"
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
} pl_config;

typedef struct pl_counts {
    uint64_t records, events, alerts, malformed, oversize, limit, io_errors;
    uint64_t rule_evals, regex_limit; /* from the workers' match counters */
    vg_corr_xcounters x;              /* signal extraction (workers) */
    vg_corr_counters corr;            /* the correlator (main) */
    uint64_t corr_alerts;             /* correlation alerts written */
    uint64_t suppressed;              /* detection alerts silenced by `suppress` */
} pl_counts;

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
