/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_checkpoint.c: libFuzzer target: arbitrary bytes read as a daemon checkpoint, as they
 * would come back from Redis: decoded (ckpt.h), the outbox walked record by record
 * (outbox.h), and the state loaded into a pipeline over a small ruleset with a correlation
 * and `suppress` (pl_state_load_head: the correlator's head and the suppress tables; the key
 * slots are the corr_snapshot target's). Bytes
 * that are refused must leave nothing behind; any crash, leak, hang or sanitizer report is
 * a bug.
 */
#include "ckpt.h"
#include "outbox.h"
#include "pipeline.h"
#include "vigil/match.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
        "title: A\nid: a\nname: a\nsuppress: {by: [u], for: 1h}\n"
        "detection: {sel: {k: a}, condition: sel}\n---\n"
        "title: EC\nid: ec\ncorrelation: {type: event_count, rules: [a], group-by: [u], "
        "timespan: 1m, condition: {gte: 2}}\n";

static void sink_alerts(void *ud, const char *p, size_t n)
{
    (void)ud;
    (void)p;
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ckpt c;
    char err[256];
    if (ckpt_decode(&c, data, size, err, sizeof(err)) != VG_OK)
        return 0;
    obx_iter it;
    obx_iter_init(&it, c.outbox, c.outbox_len);
    obx_msg m;
    size_t total = 0;
    while (obx_next(&it, &m, err, sizeof(err)) == 1)
        total += m.key_len + m.value_len; /* every byte named is readable */
    (void)total;
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    if (rs && d && vg_ruleset_add_rules(rs, "f.yml", rules, sizeof(rules) - 1, d) == VG_OK &&
        vg_ruleset_finish(rs, d) == VG_OK) {
        pl_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.rs = rs;
        cfg.max_record = 1 << 16;
        cfg.threads = 1;
        pl_sink sink = {NULL, sink_alerts, NULL, NULL};
        pl *p = pl_open(&cfg, &sink, stderr);
        if (p) {
            if (pl_state_load_head(p, c.state, c.state_len, err, sizeof(err)) == VG_OK) {
                vg_buf out;
                vg_buf_init(&out, 1u << 26);
                pl_state_save_head(p, &out); /* what loaded can be written again */
                vg_buf_fini(&out);
            }
            pl_close(p);
        }
    }
    vg_diags_free(d);
    vg_ruleset_free(rs);
    ckpt_free(&c);
    return 0;
}
