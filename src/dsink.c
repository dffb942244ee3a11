/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dsink.c: what the daemon's pipeline produces, turned into outbox messages (see
 * daemon_int.h): alerts in the configured format with their key and headers, records that
 * gave no event for the dead-letter topic, and per-partition progress.
 *
 * An alert message: key = alert_pb's key (rule id, plus the group values of a correlation),
 * value = the JSON line (without its newline) or its protobuf form, headers vigil-alert-id,
 * vigil-rule-id, vigil-kind (detection|correlation) and content-type. A dead-letter message:
 * the record's bytes unchanged, key = "TOPIC/PARTITION/OFFSET", headers vigil-dead-letter-id
 * (the same text), vigil-error (why), vigil-source-topic, vigil-source-partition,
 * vigil-source-offset.
 */
#include "base/hash.h"
#include "daemon_int.h"

#include <stdio.h>
#include <string.h>

static void log_drop(dmn *d, const char *what, const char *why)
{
    vlog_rec r;
    if (vlog_begin(d->lg, &r, VLOG_ERROR, what)) {
        vlog_str(&r, "error", why);
        vlog_end(&r);
    }
    metric_add(d->mt.dropped, 1);
}

/* The hit counter of a rule, made on its first alert. */
static metric *rule_metric(dmn *d, const char *id)
{
    uint64_t h = vg_mix64(vg_fnv1a(VG_FNV_OFFSET, id, strlen(id)));
    h = h ? h : 1;
    if ((d->rule_n + 1) * 2 > d->rule_cap) {
        size_t ncap = d->rule_cap ? d->rule_cap * 2 : 256;
        uint64_t *nk = vg_calloc(ncap, sizeof(*nk));
        metric **nm = vg_calloc(ncap, sizeof(*nm));
        if (!nk || !nm) {
            vg_free(nk);
            vg_free(nm);
            return NULL;
        }
        for (size_t i = 0; i < d->rule_cap; i++) {
            if (!d->rule_keys[i])
                continue;
            size_t j = (size_t)d->rule_keys[i] & (ncap - 1);
            while (nk[j])
                j = (j + 1) & (ncap - 1);
            nk[j] = d->rule_keys[i];
            nm[j] = d->rule_hits[i];
        }
        vg_free(d->rule_keys);
        vg_free(d->rule_hits);
        d->rule_keys = nk;
        d->rule_hits = nm;
        d->rule_cap = ncap;
    }
    size_t j = (size_t)h & (d->rule_cap - 1);
    while (d->rule_keys[j] && d->rule_keys[j] != h)
        j = (j + 1) & (d->rule_cap - 1);
    if (!d->rule_keys[j]) {
        char labels[400];
        metrics_labels(labels, sizeof(labels), "rule", id, NULL);
        d->rule_keys[j] = h;
        d->rule_hits[j] = metrics_counter(d->m, "vigil_rule_alerts_total",
                                          "Alerts per rule (detection and correlation).", labels);
        d->rule_n++;
    }
    return d->rule_hits[j];
}

static void add_alert(dmn *d, const char *line, size_t len)
{
    char err[200];
    if (alert_pb_parse(d->apb, line, len, err, sizeof(err)) != 0) {
        log_drop(d, "alert not encodable", err);
        return;
    }
    const char *id = alert_pb_id(d->apb);
    const char *rule = alert_pb_rule_id(d->apb);
    bool corr = alert_pb_is_correlation(d->apb);
    vg_buf_clear(&d->key);
    alert_pb_key(d->apb, &d->key);
    obx_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = OBX_ALERT;
    m.id = id;
    m.id_len = strlen(id);
    m.key = d->key.p;
    m.key_len = d->key.len;
    bool pb = d->cfg->alert_format == DCFG_ALERT_PROTOBUF;
    if (pb) {
        vg_buf_clear(&d->tmp);
        if (alert_pb_pack(d->apb, &d->tmp, err, sizeof(err)) != 0) {
            log_drop(d, "alert not encodable", err);
            return;
        }
        m.value = d->tmp.p;
        m.value_len = d->tmp.len;
    } else {
        m.value = line;
        m.value_len = len;
    }
    const char *kind = corr ? "correlation" : "detection";
    const char *ctype = pb ? "application/x-protobuf" : "application/json";
    m.hdr[0] = (obx_hdr){"vigil-alert-id", id, strlen(id)};
    m.hdr[1] = (obx_hdr){"vigil-rule-id", rule, strlen(rule)};
    m.hdr[2] = (obx_hdr){"vigil-kind", kind, strlen(kind)};
    m.hdr[3] = (obx_hdr){"content-type", ctype, strlen(ctype)};
    m.n_hdr = 4;
    if (!obx_add(&d->obx, &m)) {
        log_drop(d, "alert dropped", "out of memory");
        return;
    }
    metric_add(corr ? d->mt.corr_alerts : d->mt.alerts, 1);
    metric_add(rule_metric(d, rule), 1);
}

static void sink_alerts(void *ud, const char *p, size_t n)
{
    dmn *d = ud;
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t len = nl ? (size_t)(nl - p) : n;
        if (len > 0)
            add_alert(d, p, len);
        size_t step = nl ? len + 1 : len;
        p += step;
        n -= step;
    }
}

static dpart *part_of(const pl_input *in)
{
    /* `in` is the first member of its dpart */
    return (dpart *)(void *)((char *)in - offsetof(dpart, in));
}

static void sink_bad(void *ud,
                     const pl_input *in,
                     const char *rec,
                     size_t len,
                     uint64_t index,
                     const char *reason,
                     size_t reason_len)
{
    dmn *d = ud;
    dpart *pt = part_of(in);
    if (!d->cfg->dead_letter_topic) {
        metric_add(d->mt.dropped, 1);
        return;
    }
    char id[320], part[16], off[24];
    int il = snprintf(id, sizeof(id), "%s/%d/%llu", pt->topic, (int)pt->partition,
                      (unsigned long long)index);
    int plen = snprintf(part, sizeof(part), "%d", (int)pt->partition);
    int ol = snprintf(off, sizeof(off), "%llu", (unsigned long long)index);
    obx_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = OBX_DEAD;
    m.id = id;
    m.id_len = (size_t)il;
    m.key = id;
    m.key_len = (size_t)il;
    m.value = rec;
    m.value_len = len;
    m.hdr[0] = (obx_hdr){"vigil-dead-letter-id", id, (size_t)il};
    m.hdr[1] = (obx_hdr){"vigil-error", reason, reason_len};
    m.hdr[2] = (obx_hdr){"vigil-source-topic", pt->topic, strlen(pt->topic)};
    m.hdr[3] = (obx_hdr){"vigil-source-partition", part, (size_t)plen};
    m.hdr[4] = (obx_hdr){"vigil-source-offset", off, (size_t)ol};
    m.n_hdr = 5;
    if (!obx_add(&d->obx, &m)) {
        log_drop(d, "dead-letter record dropped", "out of memory");
        return;
    }
    metric_add(d->mt.dead_letter, 1);
}

static void sink_done(void *ud, const pl_input *in, uint64_t last)
{
    dmn *d = ud;
    dpart *pt = part_of(in);
    pt->next = (int64_t)last + 1;
    if (pt->last_ts > 0 && pt->fed == pt->next)
        metric_observe(d->mt.latency, (double)(dmn_wall_ms() - pt->last_ts) / 1000.0);
}

void dsink_init(dmn *d)
{
    d->sink.ud = d;
    d->sink.alerts = sink_alerts;
    d->sink.bad = sink_bad;
    d->sink.done = sink_done;
}

dpart *dpart_get(dmn *d, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < d->n_parts; i++)
        if (d->parts[i]->partition == partition && strcmp(d->parts[i]->topic, topic) == 0)
            return d->parts[i];
    size_t ti = d->cfg->n_inputs;
    for (size_t i = 0; i < d->cfg->n_inputs; i++)
        if (strcmp(d->cfg->inputs[i].topic, topic) == 0)
            ti = i;
    if (d->n_parts == d->cap_parts) {
        size_t ncap = d->cap_parts ? d->cap_parts * 2 : 16;
        dpart **nv = vg_realloc(d->parts, ncap * sizeof(*nv));
        if (!nv)
            return NULL;
        d->parts = nv;
        d->cap_parts = ncap;
    }
    dpart *pt = vg_arena_alloc(d->names, sizeof(*pt));
    char path[320];
    int n = snprintf(path, sizeof(path), "kafka:%s/%d", topic, (int)partition);
    if (!pt || n < 0)
        return NULL;
    memset(pt, 0, sizeof(*pt));
    pt->topic = vg_arena_strndup(d->names, topic, strlen(topic));
    pt->in.path = vg_arena_strndup(d->names, path, (size_t)n);
    if (!pt->topic || !pt->in.path)
        return NULL;
    pt->partition = partition;
    pt->next = -1;
    pt->fed = -1;
    pt->committed = -1;
    if (ti < d->cfg->n_inputs) {
        const dcfg_input *ci = &d->cfg->inputs[ti];
        pt->in.fmt = ci->format;
        pt->in.ls_spec = ci->logsource;
        pt->in.time_field = ci->time_field;
        if (ci->logsource && d->rules) {
            char err[160];
            pt->in.has_ls = vg_logsource_parse(d->rules, ci->logsource, &pt->in.ls, err,
                                               sizeof(err)) == VG_OK;
        }
    } else {
        pt->in.fmt = VG_FMT_AUTO; /* a topic from a checkpoint, no longer configured */
    }
    char labels[400], pnum[16];
    snprintf(pnum, sizeof(pnum), "%d", (int)partition);
    metrics_labels(labels, sizeof(labels), "topic", topic, "partition", pnum, NULL);
    pt->lag = metrics_gauge(d->m, "vigil_kafka_consumer_lag",
                            "Messages behind the partition's end (as last fetched).", labels);
    d->parts[d->n_parts++] = pt;
    return pt;
}
