/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon_int.h: the daemon's state, shared by its files: daemon.c (start, main loop,
 * signals, reload), dsink.c (what the pipeline produces, into the outbox) and dckpt.c
 * (checkpoints, publication, recovery).
 *
 * Thread: everything here belongs to the daemon's main thread, except `health`, which the
 * HTTP thread reads (atomics).
 */
#ifndef VIGIL_SRC_DAEMON_INT_H
#define VIGIL_SRC_DAEMON_INT_H

#include "alert_pb.h"
#include "ckpt.h"
#include "daemon.h"
#include "kin.h"
#include "kout.h"
#include "metrics.h"
#include "mhttp.h"
#include "outbox.h"
#include "pipeline.h"
#include "rstore.h"
#include "vigil/arena.h"
#include "vlog.h"

#include <pthread.h>
#include <stdatomic.h>

#define POLL_CHUNK 512 /* messages taken from the consumer at a time */

/* One input partition. Allocated once and never moved: the pipeline and the correlator keep
 * pointers to `in` and to its name. */
typedef struct dpart {
    pl_input in;       /* in.path: "kafka:TOPIC/PARTITION" */
    const char *topic; /* interned */
    int32_t partition;
    int64_t next;      /* first offset whose effects have not been through the sink (-1: none
                          known: start where the group's committed offset says) */
    int64_t fed;       /* the offset after the last one fed */
    int64_t committed; /* the offset last committed to the group (-1: none) */
    int64_t last_ts;   /* the Kafka timestamp (ms) of the last record fed, 0 if none */
    bool assigned;
    metric *lag;
} dpart;

/* What /healthz reports, written by main, read by the HTTP thread. */
typedef struct dhealth {
    atomic_int state; /* DH_STARTING, DH_STANDBY, DH_RUNNING, DH_STOPPING */
    atomic_bool redis_up;
    atomic_bool degraded;   /* checkpoints failing: alerts held back */
    atomic_llong last_ckpt; /* wall ms of the last checkpoint saved, 0 none */
    atomic_ullong pending;  /* messages waiting for a checkpoint */
    atomic_ullong seq;
} dhealth;

enum {
    DH_STARTING,
    DH_STANDBY, /* another process owns the group's checkpoint: waiting for its lease */
    DH_RUNNING,
    DH_STOPPING
};

typedef struct dmetrics {
    metric *records, *events, *alerts, *corr_alerts, *suppressed;
    metric *failed_parse, *failed_limit, *failed_size, *dead_letter, *dropped;
    metric *ckpt_ok, *ckpt_fail, *ckpt_seconds, *ckpt_bytes, *ckpt_slots, *ckpt_written, *latency;
    metric *redis_errors, *kafka_errors, *published, *publish_failed, *pending;
    metric *delivery_failed, *queue_full;
    metric *reloads, *reload_failed, *rule_evals, *regex_limit, *corr_keys, *corr_late;
    metric *corr_cap_keys, *corr_cap_entries;
} dmetrics;

/* One loaded rule's cost series, and what of them the metrics already have. */
typedef struct drule {
    metric *evals, *timed, *ns;
    vg_rule_cost last;
} drule;

/* A checkpoint being written to Redis by the writer thread (dckpt.c). While `running`, the
 * writer owns blob and the Redis store; main owns everything else. */
typedef struct dwrite {
    pthread_t tid;
    bool running;     /* main: started and not yet joined */
    bool threaded;    /* running on its own thread (else it was written inline) */
    atomic_bool done; /* writer: finished, rc/err set */
    int rc;
    char err[512];
    vg_buf blob;                      /* the checkpoint's bytes */
    vg_buf parts;                     /* the key slots it rewrites (records, rstore_parts) */
    uint64_t set[VG_CORR_SLOT_WORDS]; /* which */
    bool full;                        /* parts holds every slot */
    outbox obx;                       /* the messages saved in it: published once it is safe */
    ckpt_pos *offsets;                /* its offsets, committed to the group once published */
    size_t n_offsets;
    uint64_t seq;
    int64_t t0; /* monotonic ms when it was begun */
    const char *name;
    rstore *rs;
} dwrite;

typedef struct dmn {
    const dcfg *cfg;
    vlog *lg;
    metrics *m;
    dmetrics mt;
    mhttp *http;
    dhealth health;
    rstore *rs;
    kin *in;
    kout *out;
    vg_ruleset *rules;
    pl *pipe;
    pl_config plc[2]; /* the running pipeline's (plc[cur]) and a reload's */
    int cur;
    pl_sink sink;
    vg_arena *names; /* topic names and input paths, for the daemon's lifetime */
    dpart **parts;
    size_t n_parts, cap_parts;
    dpart *last_part;    /* the partition of the last message taken */
    kout_stats last_out; /* producer counters already in the metrics */
    outbox obx;          /* produced since the last checkpoint */
    bool publishing;     /* the last checkpoint's outbox is being delivered */
    ckpt_pos *commit;    /* its offsets, committed to the group once delivered */
    size_t n_commit;
    bool dirty; /* fed or advanced since the last checkpoint */
    uint64_t seq;
    int64_t last_try; /* monotonic ms of the last checkpoint attempt */
    bool paused;
    alert_pb *apb;
    vg_buf tmp, key, blob;
    dwrite w;
    rd_kafka_message_t *msgs[POLL_CHUNK]; /* one kin_poll's messages */
    uint64_t *rule_keys;                  /* per-rule hit counters: rule id hash -> metric */
    metric **rule_hits;
    size_t rule_cap, rule_n;
    drule *rules_m;      /* per rule of the running pipeline (made at the first sync) */
    vg_rule_cost *costs; /* scratch for pl_rule_costs */
    size_t n_rules_m;
    pl_counts base; /* counters of the pipelines closed by reloads */
    pl_counts last; /* counters already added to the metrics */
    char ckpt_name[300];
    int sigfd;
    bool stop;
    uint64_t unsaved[VG_CORR_SLOT_WORDS]; /* slots changed since the last saved checkpoint */
    bool full_next;                       /* the next checkpoint rewrites every slot */
    char owner[RSTORE_MAX_OWNER + 1];     /* this process's name on the checkpoint's lease */
    int64_t lease_until;   /* monotonic ms until which the lease is surely this process's */
    int64_t lease_renewed; /* monotonic ms of the last renewal */
    bool fenced;           /* the lease was lost: stop without saving or publishing */
} dmn;

/* dsink.c */
void dsink_init(dmn *d);
dpart *dpart_get(dmn *d, const char *topic, int32_t partition);

/* dckpt.c */
/* Drain and begin a checkpoint: its bytes are made here and written to Redis by a thread
 * while input goes on; its outbox is published once the write succeeded (dckpt_poll).
 * With wait, first finish the write and publication in flight, then write and publish this
 * one before returning. 0 begun or saved (or nothing to save), 1 not now (a write or a
 * publication is still in flight), -1 failed (logged, counted). */
int dckpt_save(dmn *d, bool wait);
/* Finish a write that is done (publish its outbox, or keep it for the next checkpoint) and
 * serve delivery reports. Never waits. */
void dckpt_poll(dmn *d);
void dckpt_fini(dmn *d);
/* Serve delivery reports; wait up to wait_ms for the outbox in flight. true when none is. */
bool dckpt_publish_done(dmn *d, int wait_ms);
/* true when the lease should be renewed (a checkpoint is due for that alone). */
bool dckpt_lease_due(const dmn *d, int64_t now);
/* Take the checkpoint's lease, waiting as a standby while another process holds it. 0 held,
 * -1 stopped (SIGTERM) or failed (logged). */
int dckpt_lease_take(dmn *d, void (*idle)(dmn *d));
/* Load the last checkpoint (if any): state, offsets, and the outbox it left, whose messages
 * not yet in the output topics are published. 0, or -1 (logged) on failure. */
int dckpt_restore(dmn *d);
/* Wall clock in ms, monotonic clock in ms. */
int64_t dmn_wall_ms(void);
int64_t dmn_mono_ms(void);

#endif
