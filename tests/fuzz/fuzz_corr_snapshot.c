/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_corr_snapshot.c: libFuzzer target: arbitrary bytes restored as a correlator snapshot
 * over a fixed ruleset with one correlation of every type (and a chain and `suppress`);
 * whatever loads then takes a few signals and is finished. A malformed snapshot must be
 * refused with the correlator left empty; any crash, leak, hang or sanitizer report is a bug.
 *
 * The ruleset (YAML, compile, the matcher's databases) and the match scratch do not depend
 * on the input: they are built once in LLVMFuzzerInitialize (a ruleset is shared read-only
 * by design); each input gets a new correlator and new events, so everything the input
 * reaches still runs per input.
 */
#include "vigil/corr.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
        "title: A\nid: a\nname: a\ndetection: {sel: {k: a}, condition: sel}\n---\n"
        "title: B\nid: b\nname: b\ndetection: {sel: {k: b}, condition: sel}\n---\n"
        "title: EC\nid: ec\nname: ec\nsuppress: {by: [u], for: 1h}\n"
        "correlation: {type: event_count, rules: [a], group-by: [u], timespan: 1m, "
        "condition: {gte: 2}}\n---\n"
        "title: LT\nid: lt\ncorrelation: {type: event_count, rules: [b], group-by: [u], "
        "timespan: 1m, condition: {lt: 3}}\n---\n"
        "title: VC\nid: vc\ncorrelation: {type: value_count, rules: [a, b], group-by: [k], "
        "timespan: 1m, condition: {field: u, gte: 3}}\n---\n"
        "title: T\nid: t\ncorrelation: {type: temporal, rules: [a, b], group-by: [u], "
        "timespan: 1m}\n---\n"
        "title: TO\nid: to\ncorrelation: {type: temporal_ordered, rules: [ec, b], "
        "group-by: [u], timespan: 5m}\n---\n"
        "title: S\nid: s\ncorrelation: {type: value_sum, rules: [a], group-by: [u], "
        "timespan: 1m, condition: {field: n, gt: 10}}\n---\n"
        "title: P\nid: p\ncorrelation: {type: value_percentile, rules: [a], group-by: [k], "
        "timespan: 1m, condition: {field: u, lte: 20}}\n";

static const char *const events[] = {
        "{\"@timestamp\":1767225600000,\"k\":\"a\",\"u\":\"bob\",\"n\":7}",
        "{\"@timestamp\":1767225601000,\"k\":\"b\",\"u\":\"bob\",\"n\":1}",
        "{\"@timestamp\":1767225602000,\"k\":\"a\",\"u\":\"eve\",\"n\":9}",
        "{\"@timestamp\":1767225603000,\"k\":\"a\",\"u\":\"bob\",\"n\":5}",
};

/* Built once, read-only after LLVMFuzzerInitialize; freed at exit by the process. */
static struct {
    vg_ruleset *rs;
    vg_match_scratch *ms;
} fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vg_diags *d = vg_diags_new();
    fixed.rs = vg_ruleset_new();
    if (!d || !fixed.rs ||
        vg_ruleset_add_rules(fixed.rs, "f.yml", rules, sizeof(rules) - 1, d) != VG_OK ||
        vg_ruleset_finish(fixed.rs, d) != VG_OK)
        __builtin_trap(); /* the fixed rules must load */
    vg_diags_free(d);
    fixed.ms = vg_match_scratch_new(fixed.rs);
    if (!fixed.ms)
        __builtin_trap();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const vg_ruleset *rs = fixed.rs;
    vg_corr *c = NULL;
    vg_corr_sigs *sigs = vg_corr_sigs_new();
    vg_event *ev = vg_event_new(NULL);
    vg_buf out;
    vg_buf_init(&out, 1u << 24);
    if (!sigs || !ev)
        goto out;
    c = vg_corr_new(rs, NULL);
    if (!c)
        goto out;
    char err[256];
    if (vg_corr_restore(c, data, size, err, sizeof(err)) != VG_OK) {
        vg_corr_counters ct;
        vg_corr_counters_get(c, &ct);
        if (ct.keys != 0)
            __builtin_trap(); /* a refused snapshot must leave nothing behind */
    }
    vg_match_scratch *ms = fixed.ms;
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
        vg_event_reset(ev);
        vg_perr perr;
        if (vg_parse_json(ev, events[i], strlen(events[i]), &perr) != VG_OK ||
            vg_event_index(ev) != VG_OK)
            continue;
        uint32_t hits[8];
        size_t n = vg_match_event(rs, ms, ev, NULL, hits, 8);
        int64_t ts = 0;
        bool has = vg_event_time(ev, &ts);
        vg_origin org = {"fuzz", i, i + 1};
        vg_corr_sigs_clear(sigs);
        for (size_t h = 0; h < n && h < 8; h++)
            vg_corr_extract(sigs, rs, hits[h], ev, has, ts, &org);
        vg_corr_push(c, sigs, &out, 0);
    }
    vg_buf snap;
    vg_buf_init(&snap, 1u << 26);
    vg_corr_snapshot(c, &snap); /* what loaded can be written again */
    vg_buf_fini(&snap);
    vg_corr_finish(c, &out, 0);
out:
    vg_buf_fini(&out);
    vg_corr_free(c);
    vg_event_free(ev);
    vg_corr_sigs_free(sigs);
    return 0;
}
