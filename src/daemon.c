/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.c: `vigil run --config`: start-up, the main loop, signals and rule reloads (see
 * daemon.h; the checkpoint protocol is in dckpt.c).
 *
 * The main thread does everything but matching: it polls the consumer, feeds records to the
 * pipeline (whose workers parse and match), serves delivery reports, takes checkpoints every
 * checkpoint.interval (or sooner when alerts.max_pending messages wait), and reads signals
 * from a signalfd (SIGTERM/SIGINT: stop; SIGHUP: reload), so no handler runs asynchronously
 * and no global state is needed.
 *
 * Reload: the new rules are compiled beside the running ones; any error rejects them (the
 * running rules stay, the error is logged). Otherwise the pipeline is drained, its state
 * saved and loaded into a new pipeline over the new rules (correlations are matched by id),
 * and the old one is closed: no record is lost or read twice.
 */
#include "daemon_int.h"
#include "rulesrc.h"
#include "tasks.h"
#include "vigil/match.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define POLL_BATCH    4096 /* records taken from the consumer per turn, about */
#define PROFILE_EVERY 64   /* one event in this many has its rule evaluations timed */
#define TURN_MS       50

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void log_msg(dmn *d, vlog_level lv, const char *msg)
{
    vlog_rec r;
    if (vlog_begin(d->lg, &r, lv, msg))
        vlog_end(&r);
}

static void log_err(dmn *d, vlog_level lv, const char *msg, const char *err)
{
    vlog_rec r;
    if (vlog_begin(d->lg, &r, lv, msg)) {
        vlog_str(&r, "error", err);
        vlog_end(&r);
    }
}

/* ---- rules ---- */

/* Compile the configured rules; any error rejects them (logged). */
static vg_ruleset *load_rules(dmn *d)
{
    rsrc_opts o;
    memset(&o, 0, sizeof(o));
    for (size_t i = 0; i < d->cfg->n_rules && i < RSRC_MAX; i++)
        o.paths[o.n_paths++] = d->cfg->rules[i];
    vg_diags *dg = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = dg ? rsrc_load(&o, dg, &n_files) : NULL;
    size_t n_err = dg ? vg_diags_errors(dg) : 1;
    for (size_t i = 0; dg && i < vg_diags_count(dg); i++) {
        const vg_diag *g = vg_diags_get(dg, i);
        vlog_rec r;
        bool e = g->sev == VG_SEV_ERROR;
        if (!vlog_begin(d->lg, &r, e ? VLOG_ERROR : VLOG_DEBUG, e ? "rule error" : "rule warning"))
            continue;
        vlog_str(&r, "file", g->loc.file ? g->loc.file : "?");
        vlog_u64(&r, "line", g->loc.line);
        vlog_u64(&r, "col", g->loc.col);
        vlog_str(&r, "error", g->msg);
        if (g->rule_id[0])
            vlog_str(&r, "rule", g->rule_id);
        vlog_end(&r);
    }
    char err[256];
    unsigned n_build = d->cfg->threads; /* as many threads as the workers */
    if (rs && n_err == 0 &&
        vg_ruleset_build_prefilter_with(rs, tasks_run, &n_build, err, sizeof(err)) != VG_OK) {
        log_err(d, VLOG_ERROR, "cannot build the prefilter", err);
        n_err = 1;
    }
    for (size_t i = 0; rs && n_err == 0 && i < d->cfg->n_inputs; i++) {
        const dcfg_input *ci = &d->cfg->inputs[i];
        vg_logsource ls;
        if (ci->logsource &&
            vg_logsource_parse(rs, ci->logsource, &ls, err, sizeof(err)) != VG_OK) {
            log_err(d, VLOG_ERROR, "input logsource refused", err);
            n_err = 1;
        }
    }
    vg_ruleset_stats st = {0};
    if (rs)
        vg_ruleset_stats_get(rs, &st);
    vlog_rec r;
    if (vlog_begin(d->lg, &r, n_err ? VLOG_ERROR : VLOG_INFO,
                   n_err ? "rules rejected" : "rules loaded")) {
        vlog_u64(&r, "files", n_files);
        vlog_u64(&r, "rules", st.n_rules);
        vlog_u64(&r, "correlations", st.n_correlations);
        vlog_u64(&r, "errors", n_err);
        vlog_u64(&r, "warnings", dg ? vg_diags_warnings(dg) : 0);
        vlog_end(&r);
    }
    vg_diags_free(dg);
    if (n_err > 0) {
        vg_ruleset_free(rs);
        return NULL;
    }
    return rs;
}

static void set_logsources(dmn *d)
{
    char err[160];
    for (size_t i = 0; i < d->n_parts; i++) {
        pl_input *in = &d->parts[i]->in;
        in->has_ls = in->ls_spec &&
                     vg_logsource_parse(d->rules, in->ls_spec, &in->ls, err, sizeof(err)) == VG_OK;
    }
}

/* The pipeline configuration for rs, in the slot the running pipeline does not use. */
static pl_config *pl_cfg(dmn *d, vg_ruleset *rs)
{
    pl_config *c = &d->plc[d->cur ^ 1];
    memset(c, 0, sizeof(*c));
    c->rs = rs;
    c->fast = true;
    c->max_record = d->cfg->max_record;
    c->max_errors = 0;
    c->limits.max_bytes = d->cfg->max_record * 4 + (1u << 20);
    c->threads = d->cfg->threads;
    c->corr.lateness_ms = d->cfg->lateness_ms;
    c->corr.max_bytes = (size_t)d->cfg->corr_max_bytes;
    c->corr_shards = d->cfg->corr_shards;
    c->clock = mono_ns;
    c->profile_every = PROFILE_EVERY;
    return c;
}

static void add_counts(pl_counts *a, const pl_counts *b)
{
    a->records += b->records;
    a->events += b->events;
    a->malformed += b->malformed;
    a->oversize += b->oversize;
    a->limit += b->limit;
    a->rule_evals += b->rule_evals;
    a->regex_limit += b->regex_limit;
    a->suppressed += b->suppressed + b->corr.suppressed;
    a->corr.late += b->corr.late;
    a->corr.cap_keys += b->corr.cap_keys;
    a->corr.cap_entries += b->corr.cap_entries;
}

/* Forget the per-rule series' positions: a new pipeline counts from 0. */
static void rule_costs_reset(dmn *d)
{
    vg_free(d->rules_m);
    vg_free(d->costs);
    d->rules_m = NULL;
    d->costs = NULL;
    d->n_rules_m = 0;
}

/* Per rule: evaluations, and the timed ones with their time, as counters labelled with the
 * rule id; a series is made once the rule has been evaluated. */
static void sync_rule_costs(dmn *d)
{
    size_t n = vg_ruleset_count(d->rules);
    if (!d->rules_m && n > 0) {
        d->rules_m = vg_calloc(n, sizeof(*d->rules_m));
        d->costs = vg_calloc(n, sizeof(*d->costs));
        if (!d->rules_m || !d->costs) {
            rule_costs_reset(d);
            return;
        }
        d->n_rules_m = n;
    }
    if (!d->rules_m)
        return;
    memset(d->costs, 0, d->n_rules_m * sizeof(*d->costs));
    pl_rule_costs(d->pipe, d->costs, d->n_rules_m);
    for (size_t i = 0; i < d->n_rules_m; i++) {
        drule *r = &d->rules_m[i];
        const vg_rule_cost *c = &d->costs[i];
        if (c->evals == r->last.evals)
            continue;
        if (!r->evals) {
            char l[400];
            vg_rule_info ri;
            vg_ruleset_rule_info(d->rules, i, &ri);
            metrics_labels(l, sizeof(l), "rule", ri.id, NULL);
            r->evals = metrics_counter(d->m, "vigil_rule_evaluations_total",
                                       "Rule programs run, per rule.", l);
            r->timed = metrics_counter(d->m, "vigil_rule_evaluations_timed_total",
                                       "Rule programs timed (one event in 64), per rule.", l);
            r->ns = metrics_counter(d->m, "vigil_rule_evaluation_timed_nanoseconds_total",
                                    "Time in the timed rule programs, per rule.", l);
        }
        metric_add(r->evals, c->evals - r->last.evals);
        metric_add(r->timed, c->timed - r->last.timed);
        metric_add(r->ns, c->ns - r->last.ns);
        r->last = *c;
    }
}

/* Bring the counters of the pipeline (drained) into the metrics. */
static void sync_metrics(dmn *d)
{
    pl_counts now, tot = d->base;
    pl_counts_get(d->pipe, &now);
    add_counts(&tot, &now);
    const pl_counts *l = &d->last;
    metric_add(d->mt.records, tot.records - l->records);
    metric_add(d->mt.events, tot.events - l->events);
    metric_add(d->mt.failed_parse, tot.malformed - l->malformed);
    metric_add(d->mt.failed_size, tot.oversize - l->oversize);
    metric_add(d->mt.failed_limit, tot.limit - l->limit);
    metric_add(d->mt.rule_evals, tot.rule_evals - l->rule_evals);
    metric_add(d->mt.regex_limit, tot.regex_limit - l->regex_limit);
    metric_add(d->mt.suppressed, tot.suppressed - l->suppressed);
    metric_add(d->mt.corr_late, tot.corr.late - l->corr.late);
    metric_add(d->mt.corr_cap_keys, tot.corr.cap_keys - l->corr.cap_keys);
    metric_add(d->mt.corr_cap_entries, tot.corr.cap_entries - l->corr.cap_entries);
    metric_set(d->mt.corr_keys, (double)now.corr.keys);
    d->last = tot;
    sync_rule_costs(d);
}

/* Consumer lag per assigned partition, from what the client knows (no broker round trip),
 * and the producer's delivery counters. */
static void sync_lag(dmn *d)
{
    kout_stats ks;
    kout_stats_get(d->out, &ks);
    metric_add(d->mt.delivery_failed, ks.failed - d->last_out.failed);
    metric_add(d->mt.queue_full, ks.queue_full_waits - d->last_out.queue_full_waits);
    d->last_out = ks;
    for (size_t i = 0; i < d->n_parts; i++) {
        dpart *pt = d->parts[i];
        if (pt->assigned && pt->fed >= 0) {
            int64_t lag = kin_lag(d->in, pt->topic, pt->partition, pt->fed);
            if (lag >= 0)
                metric_set(pt->lag, (double)lag);
        }
    }
}

static void reload(dmn *d)
{
    log_msg(d, VLOG_INFO, "reloading rules (SIGHUP)");
    vg_ruleset *rs = load_rules(d);
    if (!rs) {
        metric_add(d->mt.reload_failed, 1);
        log_msg(d, VLOG_ERROR, "reload rejected: the running rules stay");
        return;
    }
    pl_drain(d->pipe);
    vg_buf_clear(&d->tmp);
    char err[256];
    pl *np = pl_open(pl_cfg(d, rs), &d->sink, stderr);
    if (!np || pl_state_save(d->pipe, &d->tmp) != VG_OK ||
        pl_state_load(np, d->tmp.p, d->tmp.len, err, sizeof(err)) != VG_OK) {
        if (np)
            log_err(d, VLOG_ERROR, "reload rejected: state not carried over", err);
        pl_close(np);
        vg_ruleset_free(rs);
        metric_add(d->mt.reload_failed, 1);
        return;
    }
    sync_rule_costs(d); /* what the old pipeline counted, before it goes */
    rule_costs_reset(d);
    pl_counts c;
    pl_counts_get(d->pipe, &c);
    add_counts(&d->base, &c);
    pl_close(d->pipe);
    vg_ruleset_free(d->rules);
    d->pipe = np;
    d->cur ^= 1;
    d->rules = rs;
    set_logsources(d);
    d->dirty = true;
    d->full_next = true; /* the new pipeline's slots are all written once */
    metric_add(d->mt.reloads, 1);
    log_msg(d, VLOG_INFO, "rules reloaded");
}

/* ---- Kafka callbacks ---- */

static void on_assigned(void *ud, rd_kafka_topic_partition_list_t *parts)
{
    dmn *d = ud;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *e = &parts->elems[i];
        dpart *pt = dpart_get(d, e->topic, e->partition);
        if (!pt) {
            log_msg(d, VLOG_ERROR, "out of memory on assignment");
            d->stop = true;
            continue;
        }
        pt->assigned = true;
        pt->committed = -1; /* whatever the group holds, the next checkpoint commits */
        e->offset = pt->next >= 0 ? pt->next : RD_KAFKA_OFFSET_STORED;
        pt->fed = pt->next;
    }
}

static void on_revoked(void *ud, const rd_kafka_topic_partition_list_t *parts)
{
    dmn *d = ud;
    /* save what the revoked partitions did before giving them up */
    dckpt_save(d, true);
    for (int i = 0; i < parts->cnt; i++) {
        dpart *pt = dpart_get(d, parts->elems[i].topic, parts->elems[i].partition);
        if (pt)
            pt->assigned = false;
    }
}

static void take(dmn *d, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            log_err(d, VLOG_WARN, "kafka consumer", rd_kafka_message_errstr(m));
            metric_add(d->mt.kafka_errors, 1);
        }
        return;
    }
    /* messages come in runs of one partition: try the last one before the lookup */
    const char *topic = rd_kafka_topic_name(m->rkt);
    dpart *pt = d->last_part;
    if (!pt || pt->partition != m->partition || strcmp(pt->topic, topic) != 0)
        pt = d->last_part = dpart_get(d, topic, m->partition);
    if (!pt || !pt->assigned || (pt->fed >= 0 && m->offset < pt->fed))
        return; /* from before a rebalance or a seek */
    if (pl_feed(d->pipe, &pt->in, m->payload ? m->payload : "", m->len, (uint64_t)m->offset) != 0) {
        log_msg(d, VLOG_ERROR, "out of memory feeding the pipeline");
        d->stop = true;
        return;
    }
    pt->fed = m->offset + 1;
    if (pt->next < 0)
        pt->next = m->offset; /* nothing of it through the sink yet */
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    pt->last_ts = ts > 0 ? ts : 0;
    d->dirty = true;
}

/* ---- health, signals ---- */

static int health(void *ud, vg_buf *body)
{
    dmn *d = ud;
    int st = atomic_load(&d->health.state);
    bool degraded = atomic_load(&d->health.degraded);
    const char *s = st == DH_STARTING   ? "starting"
                    : st == DH_STANDBY  ? "standby"
                    : st == DH_STOPPING ? "stopping"
                    : degraded          ? "degraded"
                                        : "ok";
    vg_buf_printf(body,
                  "{\"status\":\"%s\",\"redis\":\"%s\",\"checkpoint_seq\":%llu,"
                  "\"last_checkpoint_ms\":%lld,\"pending_messages\":%llu}",
                  s, atomic_load(&d->health.redis_up) ? "up" : "down",
                  (unsigned long long)atomic_load(&d->health.seq),
                  (long long)atomic_load(&d->health.last_ckpt),
                  (unsigned long long)atomic_load(&d->health.pending));
    return st == DH_RUNNING || st == DH_STANDBY ? 200 : 503;
}

static int signals_open(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* blocked before any thread starts, so that every thread inherits the mask */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return -1;
    /* a peer that closes its socket (Redis going away) must give EPIPE, not end the process */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void signals_read(dmn *d)
{
    struct signalfd_siginfo si;
    while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            reload(d);
        } else if (!d->stop) {
            log_msg(d, VLOG_INFO,
                    si.ssi_signo == SIGTERM ? "SIGTERM: draining" : "SIGINT: draining");
            d->stop = true;
        }
    }
}

/* ---- set-up ---- */

/* While waiting as a standby: serve signals. */
static void standby_idle(dmn *d)
{
    sleep_ms(50);
    signals_read(d);
}

/* This process's name on the lease: host, pid and 32 random bits (a restarted process with
 * the same pid is another owner). */
static void owner_name(dmn *d)
{
    char host[64] = "host";
    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "host");
    host[sizeof(host) - 1] = '\0';
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)mono_ns() ^ (uint32_t)getpid();
    snprintf(d->owner, sizeof(d->owner), "%.64s:%ld:%08x", host, (long)getpid(), rnd);
}

static void metrics_register(dmn *d)
{
    metrics *m = d->m;
    dmetrics *t = &d->mt;
    char l[200];
    t->records = metrics_counter(m, "vigil_records_total", "Records read from Kafka.", NULL);
    t->events =
            metrics_counter(m, "vigil_events_parsed_total", "Records parsed into events.", NULL);
    metrics_labels(l, sizeof(l), "reason", "parse", NULL);
    t->failed_parse = metrics_counter(m, "vigil_events_failed_total",
                                      "Records that gave no event, by reason.", l);
    metrics_labels(l, sizeof(l), "reason", "limit", NULL);
    t->failed_limit = metrics_counter(m, "vigil_events_failed_total",
                                      "Records that gave no event, by reason.", l);
    metrics_labels(l, sizeof(l), "reason", "size", NULL);
    t->failed_size = metrics_counter(m, "vigil_events_failed_total",
                                     "Records that gave no event, by reason.", l);
    t->dead_letter = metrics_counter(m, "vigil_dead_letter_total",
                                     "Records sent to the dead-letter topic.", NULL);
    t->dropped =
            metrics_counter(m, "vigil_dropped_total",
                            "Records or alerts given up (no dead-letter topic, memory).", NULL);
    metrics_labels(l, sizeof(l), "kind", "detection", NULL);
    t->alerts = metrics_counter(m, "vigil_alerts_total", "Alerts produced, by kind.", l);
    metrics_labels(l, sizeof(l), "kind", "correlation", NULL);
    t->corr_alerts = metrics_counter(m, "vigil_alerts_total", "Alerts produced, by kind.", l);
    t->suppressed = metrics_counter(m, "vigil_alerts_suppressed_total",
                                    "Alerts silenced by `suppress`.", NULL);
    t->published = metrics_counter(m, "vigil_messages_published_total",
                                   "Alerts and dead letters handed to the Kafka producer.", NULL);
    t->publish_failed = metrics_counter(m, "vigil_messages_publish_failed_total",
                                        "Messages the producer refused.", NULL);
    t->delivery_failed = metrics_counter(m, "vigil_messages_delivery_failed_total",
                                         "Messages the broker never took (logged).", NULL);
    t->queue_full = metrics_counter(m, "vigil_producer_queue_full_total",
                                    "Waits for room in the producer's queue.", NULL);
    t->pending = metrics_gauge(m, "vigil_messages_pending",
                               "Messages waiting for the next checkpoint.", NULL);
    metrics_labels(l, sizeof(l), "result", "ok", NULL);
    t->ckpt_ok = metrics_counter(m, "vigil_checkpoints_total", "Checkpoints, by result.", l);
    metrics_labels(l, sizeof(l), "result", "failed", NULL);
    t->ckpt_fail = metrics_counter(m, "vigil_checkpoints_total", "Checkpoints, by result.", l);
    static const double secs[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
    t->ckpt_seconds = metrics_histogram(
            m, "vigil_checkpoint_duration_seconds",
            "Time to take a checkpoint (draining the pipeline included).", NULL, secs, 9);
    t->ckpt_bytes = metrics_gauge(m, "vigil_checkpoint_bytes",
                                  "Bytes written by the last checkpoint (head and slots).", NULL);
    t->ckpt_slots = metrics_gauge(m, "vigil_checkpoint_slots",
                                  "Correlation key slots written by the last checkpoint.", NULL);
    t->ckpt_written = metrics_counter(m, "vigil_checkpoint_written_bytes_total",
                                      "Bytes written to Redis by the checkpoints saved.", NULL);
    static const double lat[] = {0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60};
    t->latency = metrics_histogram(m, "vigil_processing_latency_seconds",
                                   "From a record's Kafka timestamp to its results being ready.",
                                   NULL, lat, 11);
    t->redis_errors = metrics_counter(m, "vigil_redis_errors_total", "Failed Redis writes.", NULL);
    t->kafka_errors = metrics_counter(m, "vigil_kafka_errors_total",
                                      "Kafka consumer errors and unavailable output topics.", NULL);
    t->reloads = metrics_counter(m, "vigil_rule_reloads_total", "Rule reloads applied.", NULL);
    t->reload_failed =
            metrics_counter(m, "vigil_rule_reloads_failed_total", "Rule reloads rejected.", NULL);
    t->rule_evals = metrics_counter(m, "vigil_rule_evaluations_total",
                                    "Rules evaluated on events (after the prefilter).", NULL);
    t->regex_limit = metrics_counter(m, "vigil_regex_limit_hits_total",
                                     "Regex matches stopped by the match limit.", NULL);
    t->corr_keys =
            metrics_gauge(m, "vigil_correlation_keys", "Group keys in correlation state.", NULL);
    t->corr_late = metrics_counter(m, "vigil_correlation_late_total",
                                   "Signals dropped: older than the watermark.", NULL);
    t->corr_cap_keys = metrics_counter(
            m, "vigil_correlation_refused_keys_total",
            "Signals dropped: a new group key refused by correlation.max_memory.", NULL);
    t->corr_cap_entries = metrics_counter(
            m, "vigil_correlation_window_cap_total",
            "Oldest events dropped from a window that held its most (65,536).", NULL);
}

static int start(dmn *d)
{
    char err[512];
    d->names = vg_arena_new(4096, 0);
    obx_init(&d->obx);
    obx_init(&d->w.obx);
    vg_buf_init(&d->w.blob, 0);
    vg_buf_init(&d->tmp, 0);
    vg_buf_init(&d->key, 0);
    vg_buf_init(&d->blob, 0);
    d->apb = alert_pb_new();
    d->m = metrics_new();
    if (!d->names || !d->apb || !d->m) {
        log_msg(d, VLOG_ERROR, "out of memory");
        return -1;
    }
    /* checkpoint names are [A-Za-z0-9_.-]{1,64} (rstore.h): other bytes of the group become _ */
    int nl = snprintf(d->ckpt_name, sizeof(d->ckpt_name), "ckpt.%.59s", d->cfg->group);
    for (int i = 5; i < nl && d->ckpt_name[i]; i++) {
        char ch = d->ckpt_name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        if (!ok)
            d->ckpt_name[i] = '_';
    }
    metrics_register(d);
    dsink_init(d);
    const char *ml = d->cfg->metrics_listen;
    if (ml && ml[0] && strcmp(ml, "off") != 0) {
        d->http = mhttp_start(ml, d->m, health, d, err, sizeof(err));
        if (!d->http) {
            log_err(d, VLOG_ERROR, "metrics endpoint", err);
            return -1;
        }
        vlog_rec r;
        if (vlog_begin(d->lg, &r, VLOG_INFO, "metrics and health endpoint")) {
            vlog_str(&r, "listen", ml);
            vlog_u64(&r, "port", mhttp_port(d->http));
            vlog_end(&r);
        }
    }
    d->rules = load_rules(d);
    if (!d->rules)
        return -1;
    d->pipe = pl_open(pl_cfg(d, d->rules), &d->sink, stderr);
    d->cur ^= 1;
    if (!d->pipe)
        return -1;
    rstore_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.host = d->cfg->redis_host;
    ro.port = d->cfg->redis_port;
    ro.unix_socket = d->cfg->redis_socket;
    ro.username = d->cfg->redis_user;
    ro.password = d->cfg->redis_password;
    ro.db = d->cfg->redis_db;
    ro.prefix = d->cfg->redis_prefix;
    ro.timeout_ms = d->cfg->redis_timeout_ms;
    d->rs = rstore_new(&ro);
    d->out = kout_new(d->cfg, d->lg, err, sizeof(err));
    if (!d->rs || !d->out) {
        log_err(d, VLOG_ERROR, "cannot start", d->rs ? err : "out of memory");
        return -1;
    }
    /* Redis first: the checkpoint decides where input starts */
    for (int tries = 0;; tries++) {
        if (rstore_connect(d->rs, err, sizeof(err)) == 0)
            break;
        if (tries % 10 == 0)
            log_err(d, VLOG_WARN, "waiting for redis", err);
        atomic_store(&d->health.redis_up, false);
        for (int i = 0; i < 10 && !d->stop; i++) {
            sleep_ms(100);
            signals_read(d);
        }
        if (d->stop)
            return -1;
    }
    atomic_store(&d->health.redis_up, true);
    /* one process per group writes the checkpoint: the others wait for its lease */
    owner_name(d);
    if (dckpt_lease_take(d, standby_idle) != 0)
        return -1;
    atomic_store(&d->health.state, DH_STARTING);
    if (dckpt_restore(d) != 0)
        return -1;
    set_logsources(d);
    kin_cb cb = {d, on_assigned, on_revoked};
    d->in = kin_new(d->cfg, &cb, d->lg, err, sizeof(err));
    if (!d->in) {
        log_err(d, VLOG_ERROR, "cannot start", err);
        return -1;
    }
    return 0;
}

static void stop_all(dmn *d)
{
    atomic_store(&d->health.state, DH_STOPPING);
    if (d->in && !d->fenced) {
        /* drain, save, publish; then leave the group (revoked saves again if need be) */
        int64_t until = dmn_mono_ms() + 30000;
        while (dckpt_save(d, true) != 0 && dmn_mono_ms() < until) {
            sleep_ms(200);
        }
        dckpt_publish_done(d, 30000);
        kin_close(d->in);
        dckpt_publish_done(d, 30000);
        /* saved and published: a standby may take over now rather than when the lease
         * runs out */
        char err[512];
        if (d->w.running)
            dckpt_poll(d);
        if (!d->w.running && rstore_release(d->rs, d->ckpt_name, err, sizeof(err)) != 0)
            log_err(d, VLOG_WARN, "lease not released (it runs out by itself)", err);
    }
    dckpt_fini(d);
    pl_close(d->pipe);
    kout_free(d->out);
    rstore_free(d->rs);
    mhttp_stop(d->http);
    metrics_free(d->m);
    alert_pb_free(d->apb);
    vg_ruleset_free(d->rules);
    obx_fini(&d->obx);
    vg_buf_fini(&d->tmp);
    vg_buf_fini(&d->key);
    vg_buf_fini(&d->blob);
    vg_free(d->parts);
    vg_free(d->commit);
    vg_free(d->rule_keys);
    vg_free(d->rule_hits);
    rule_costs_reset(d);
    vg_arena_free(d->names);
}

int daemon_run(const dcfg *cfg)
{
    dmn *d = vg_calloc(1, sizeof(*d));
    vlog_level lv = VLOG_INFO;
    if (cfg->log_level)
        vlog_level_parse(cfg->log_level, &lv);
    vlog *lg = vlog_new(stderr, lv);
    if (!d || !lg) {
        fputs("vigil: out of memory\n", stderr);
        vg_free(d);
        vlog_free(lg);
        return 1;
    }
    d->cfg = cfg;
    d->lg = lg;
    d->sigfd = signals_open();
    if (d->sigfd < 0) {
        log_err(d, VLOG_ERROR, "cannot watch signals", strerror(errno));
        vlog_free(lg);
        vg_free(d);
        return 1;
    }
    atomic_store(&d->health.state, DH_STARTING);
    int status = 0;
    if (start(d) != 0) {
        status = d->stop ? 0 : 1;
        d->stop = true;
    } else {
        atomic_store(&d->health.state, DH_RUNNING);
        log_msg(d, VLOG_INFO, "running");
    }
    int64_t last_sync = 0, last_lag = 0;
    while (!d->stop) {
        signals_read(d);
        size_t taken = 0, got;
        int64_t turn_end = dmn_mono_ms() + TURN_MS;
        while (taken < POLL_BATCH && !d->stop &&
               (got = kin_poll(d->in, taken == 0 ? TURN_MS : 0, d->msgs, POLL_CHUNK)) > 0) {
            for (size_t i = 0; i < got; i++) {
                if (!d->stop)
                    take(d, d->msgs[i]);
                rd_kafka_message_destroy(d->msgs[i]);
            }
            taken += got;
            if (dmn_mono_ms() >= turn_end)
                break;
        }
        pl_poll(d->pipe);
        if (pl_failed(d->pipe)) {
            log_msg(d, VLOG_ERROR, "out of memory in the pipeline");
            status = 1;
            break;
        }
        dckpt_poll(d);
        int64_t now = dmn_mono_ms();
        int64_t every = d->cfg->checkpoint_ms;
        if (atomic_load(&d->health.degraded) && every > 1000)
            every = 1000; /* retry a failing Redis every second */
        if (now - d->last_try >= every || d->obx.count >= d->cfg->max_pending_alerts ||
            (dckpt_lease_due(d, now) && now - d->last_try >= 1000)) {
            /* 1: the previous write or publication is still in flight: try again next turn */
            if (dckpt_save(d, false) != 1) {
                if (now - last_sync >= 1000) {
                    sync_metrics(d); /* the pipeline is drained here */
                    last_sync = now;
                }
                /* the interval runs from the moment a checkpoint was begun and its bytes
                 * made: input gets its time even when making them takes a while */
                d->last_try = dmn_mono_ms();
            }
        }
        if (now - last_lag >= 1000) {
            sync_lag(d);
            last_lag = now;
        }
        bool full = d->obx.count >= d->cfg->max_pending_alerts;
        if (full != d->paused) {
            kin_pause(d->in, full);
            d->paused = full;
            log_msg(d, VLOG_WARN,
                    full ? "input paused: alerts.max_pending messages wait for a checkpoint"
                         : "input resumed");
        }
    }
    if (d->fenced)
        status = 1;
    stop_all(d);
    log_msg(d, VLOG_INFO, "stopped");
    close(d->sigfd);
    vlog_free(lg);
    vg_free(d);
    return status;
}
