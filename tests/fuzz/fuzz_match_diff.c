/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_match_diff.c: libFuzzer target: arbitrary bytes as one JSON event, matched by the
 * prefilter matcher (vg_match_event_fast, first on the lean index of vg_match_index) and by
 * the reference evaluator (vg_match_event, on the completed index), without a declared
 * logsource and with two declared ones. The two must report the same
 * rules in the same order; __builtin_trap() when they do not (the prefilter dropped a rule
 * that fires). Crashes, leaks and sanitizer reports are bugs too.
 *
 * The rule set is built once, on the first input: the bundled rules (rules/sigma with the
 * mappings rules/logsources.yml and rules/fields.yml) from the source tree named by
 * $VIGIL_SRC or else the current directory, plus the small rule set below that uses every
 * value type and modifier. Without a source tree only the embedded rules are used, so the
 * replay test (tests/data/fuzz/match_diff/) needs no files.
 */
#include "fsutil.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char embedded_rules[] =
        "title: keywords\nid: f0000000-0000-4000-8000-000000000001\n"
        "logsource: {product: windows}\n"
        "detection:\n  keywords: ['mimikatz', 4625]\n  condition: keywords\n"
        "---\n"
        "title: windash endswith all\nid: f0000000-0000-4000-8000-000000000002\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n"
        "  sel_img:\n    Image|endswith: ['\\cmd.exe', '\\cm?.exe']\n"
        "  sel_cli:\n    CommandLine|windash|contains: [' -enc ', ' /c ']\n"
        "  sel_all:\n    CommandLine|contains|all: ['net', 'user', '/add']\n"
        "  condition: sel_img and (sel_cli or sel_all)\n"
        "---\n"
        "title: encodings\nid: f0000000-0000-4000-8000-000000000003\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_a:\n    CommandLine|base64offset|contains: 'IEX ('\n"
        "  sel_b:\n    CommandLine|wide|base64offset|contains: 'Invoke-'\n"
        "  sel_c:\n    Image|cased|contains: 'System32'\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: numbers and booleans\nid: f0000000-0000-4000-8000-000000000004\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_id:\n    EventID: [4688, 1]\n"
        "  sel_port:\n    DestinationPort: 445\n"
        "  sel_bool:\n    Enabled: true\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: no literals\nid: f0000000-0000-4000-8000-000000000005\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_re:\n    CommandLine|re: '(?i)whoami\\s+/all'\n"
        "  sel_net:\n    DestinationIp|cidr: '10.0.0.0/8'\n"
        "  sel_ex:\n    User|exists: true\n    ParentImage: null\n"
        "  sel_ref:\n    TargetUserName|fieldref: SubjectUserName\n"
        "  sel_cmp:\n    Level|gte: 3\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: not neq spaces paths\nid: f0000000-0000-4000-8000-000000000006\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel:\n    ThreatName|contains: 'Mimikatz'\n"
        "  path:\n    Event.EventData.Image|contains: '\\Temp\\'\n"
        "  neq:\n    Channel|neq: 'Security'\n    Image|contains: 'rundll32'\n"
        "  filter:\n    User|contains: 'SYSTEM'\n"
        "  condition: (sel or path or neq) and not filter\n";

typedef struct state {
    vg_ruleset *rs;
    vg_match_scratch *ref, *fast;
    vg_event *ev;
    vg_logsource decl[2];
    uint32_t *h_ref, *h_fast;
    size_t cap;
} state;

static state g;

/* Mappings and rules of the source tree at root; false if it has none. */
static bool add_tree(vg_ruleset *rs, vg_diags *d, const char *root)
{
    char p[4096];
    snprintf(p, sizeof(p), "%s/rules/sigma", root);
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    static const char *const maps[] = {"logsources.yml", "fields.yml"};
    for (size_t i = 0; i < 2; i++) {
        char mp[4096];
        snprintf(mp, sizeof(mp), "%s/rules/%s", root, maps[i]);
        size_t len;
        char *text;
        if (fs_read_file(mp, 16u << 20, &text, &len) != 0)
            continue;
        if (i == 0)
            vg_ruleset_add_logsources(rs, mp, text, len, d);
        else
            vg_ruleset_add_fieldmap(rs, mp, text, len, d);
        vg_free(text);
    }
    fs_list files = {0};
    fs_collect_yaml(p, &files); /* sorted, recursive */
    for (size_t i = 0; i < files.n; i++) {
        size_t len;
        char *text;
        if (fs_read_file(files.v[i], 16u << 20, &text, &len) == 0) {
            vg_ruleset_add_rules(rs, files.v[i], text, len, d);
            vg_free(text);
        }
    }
    fs_list_free(&files);
    return true;
}

static void fini(void)
{
    free(g.h_ref);
    free(g.h_fast);
    vg_match_scratch_free(g.ref);
    vg_match_scratch_free(g.fast);
    vg_event_free(g.ev);
    vg_ruleset_free(g.rs);
    memset(&g, 0, sizeof(g));
}

static bool init(void)
{
    vg_diags *d = vg_diags_new();
    g.rs = vg_ruleset_new();
    if (!d || !g.rs) {
        vg_diags_free(d);
        return false;
    }
    const char *src = getenv("VIGIL_SRC");
    if (!(src && *src && add_tree(g.rs, d, src)))
        add_tree(g.rs, d, ".");
    static const char *const ws[] = {"ws-*", "srv"};
    vg_ruleset_set_placeholder(g.rs, "Workstations", ws, 2);
    vg_ruleset_add_rules(g.rs, "embedded.yml", embedded_rules, sizeof(embedded_rules) - 1, d);
    vg_ruleset_finish(g.rs, d);
    vg_diags_free(d);
    char err[256];
    if (vg_ruleset_build_prefilter(g.rs, err, sizeof(err)) != VG_OK ||
        vg_logsource_parse(g.rs, "product=windows", &g.decl[0], err, sizeof(err)) != VG_OK ||
        vg_logsource_parse(g.rs, "product=windows,category=process_creation", &g.decl[1], err,
                           sizeof(err)) != VG_OK) {
        fprintf(stderr, "fuzz_match_diff: %s\n", err);
        return false;
    }
    g.ref = vg_match_scratch_new(g.rs);
    g.fast = vg_match_scratch_new(g.rs);
    g.ev = vg_event_new(NULL);
    g.cap = vg_ruleset_count(g.rs) + 1;
    g.h_ref = calloc(g.cap, sizeof(uint32_t));
    g.h_fast = calloc(g.cap, sizeof(uint32_t));
    atexit(fini);
    return g.ref && g.fast && g.ev && g.h_ref && g.h_fast;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready, tried;
    if (!tried) {
        tried = true;
        ready = init();
    }
    if (!ready)
        __builtin_trap(); /* the rule set must build, or nothing is tested */
    vg_event_reset(g.ev);
    if (vg_parse_json(g.ev, (const char *)data, size, NULL) != VG_OK ||
        vg_match_index(g.rs, g.ev) != VG_OK)
        return 0;
    for (int k = -1; k < 2; k++) {
        const vg_logsource *ls = k < 0 ? NULL : &g.decl[k];
        /* the fast matcher first on the lean index (k = -1), then the reference on the
         * completed one */
        size_t n2 = vg_match_event_fast(g.rs, g.fast, g.ev, ls, g.h_fast, g.cap);
        if (vg_event_index(g.ev) != VG_OK)
            __builtin_trap();
        size_t n1 = vg_match_event(g.rs, g.ref, g.ev, ls, g.h_ref, g.cap);
        if (n1 != n2 || memcmp(g.h_ref, g.h_fast, (n1 < g.cap ? n1 : g.cap) * sizeof(uint32_t)))
            __builtin_trap();
    }
    return 0;
}
