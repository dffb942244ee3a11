/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rules.c: libFuzzer target: arbitrary bytes as a Sigma rule file, compiled and then
 * run against a fixed event. Any crash, leak, hang or sanitizer report is a bug.
 */
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char event_json[] =
        "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/"
        "Operational\"},"
        "\"EventData\":{\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"CommandLine\":"
        "\"cmd /c whoami -all\",\"User\":\"CORP\\\\alice\",\"DestinationIp\":\"10.1.2.3\"}},"
        "\"tags\":[\"a\",\"b\"],\"n\":42,\"t\":\"2026-04-17T05:24:53.092Z\",\"z\":null}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    if (!rs || !d)
        goto out;
    static const char *const ph[] = {"x*", "y"};
    vg_ruleset_set_placeholder(rs, "Workstations", ph, 2);
    vg_ruleset_add_rules(rs, "fuzz.yml", (const char *)data, size, d);
    vg_ruleset_finish(rs, d);
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        if (strlen(g->msg) >= sizeof(g->msg))
            __builtin_trap();
    }
    vg_event *ev = vg_event_new(NULL);
    vg_match_scratch *ms = vg_match_scratch_new(rs);
    if (ev && ms && vg_parse_json(ev, event_json, sizeof(event_json) - 1, NULL) == VG_OK &&
        vg_event_index(ev) == VG_OK) {
        uint32_t hits[64];
        vg_match_event(rs, ms, ev, NULL, hits, 64);
    }
    vg_match_scratch_free(ms);
    vg_event_free(ev);
out:
    vg_diags_free(d);
    vg_ruleset_free(rs);
    return 0;
}
