/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_route.c: logsource routing in the fast matcher: for every event, vg_match_event_fast
 * (routing + prefilter) must report exactly the rules the reference evaluator reports.
 *
 * The mapping has entries that routing decides from its key (Channel, EventID, program,
 * EventType by value; Computer, Host by presence), entries it leaves to lazy evaluation
 * (they test the text of a field keyed on presence only: message), an entry without
 * conditions, and rules without a mapping; rules use field literals, keyword searches and
 * numbers. Events vary the key in the ways the evaluator
 * distinguishes (number, numeric text, hex, EVTX "#text" objects, arrays, null, absent,
 * values too long for the key cache) and each event is matched twice, so results served
 * from the per-thread cache are checked too; over 64 distinct keys also exercise
 * eviction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "vigil/diag.h"
#include "vigil/event.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#define MAX_HITS 64

static const char ls_map[] =
        "logsources:\n"
        "  - logsource: {product: windows, category: process_creation}\n"
        "    when:\n"
        "      - {Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 1}\n"
        "      - {Channel: Security, EventID: 4688}\n"
        "  - logsource: {product: windows, category: registry_add}\n"
        "    when: [{Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 12, "
        "EventType: CreateKey}]\n"
        "  - logsource: {product: windows, service: security}\n"
        "    when: [{Channel: Security}]\n"
        "  - logsource: {product: windows}\n"
        "    when: [{Channel|exists: true, EventID|exists: true}]\n"
        "  - logsource: {product: linux, service: sshd}\n"
        "    when: [{program: sshd}]\n"
        "  - logsource: {product: web}\n"
        "    when: [{message|contains: 'HTTP/1.1'}, {message|exists: true, Host|exists: true}]\n"
        "  - logsource: {product: windows, service: hosts}\n"
        "    when: [{Computer|exists: true, Channel|startswith: 'Sec'}]\n"
        "  - logsource: {product: any}\n";

static const char rules[] =
        "title: proc\nid: r1\nlogsource: {product: windows, category: process_creation}\n"
        "detection: {sel: {Image|endswith: '\\cmd.exe'}, condition: sel}\n"
        "---\n"
        "title: proc keyword\nid: r2\nlogsource: {product: windows, category: process_creation}\n"
        "detection: {kw: [whoami], condition: kw}\n"
        "---\n"
        "title: regadd\nid: r3\nlogsource: {product: windows, category: registry_add}\n"
        "detection: {sel: {TargetObject|contains: '\\Run'}, condition: sel}\n"
        "---\n"
        "title: security\nid: r4\nlogsource: {product: windows, service: security}\n"
        "detection: {sel: {EventID: 4624}, condition: sel}\n"
        "---\n"
        "title: windows keyword\nid: r5\nlogsource: {product: windows}\n"
        "detection: {kw: [mimikatz], condition: kw}\n"
        "---\n"
        "title: sshd keyword\nid: r6\nlogsource: {product: linux, service: sshd}\n"
        "detection: {kw: ['Failed password'], condition: kw}\n"
        "---\n"
        "title: web keyword\nid: r10\nlogsource: {product: web}\n"
        "detection: {kw: ['/etc/passwd'], condition: kw}\n"
        "---\n"
        "title: hosts\nid: r11\nlogsource: {product: windows, service: hosts}\n"
        "detection: {sel: {Computer|startswith: dc}, condition: sel}\n"
        "---\n"
        "title: unmapped\nid: r7\nlogsource: {product: nowhere}\n"
        "detection: {kw: [evilcorp], condition: kw}\n"
        "---\n"
        "title: no conditions\nid: r8\nlogsource: {product: any}\n"
        "detection: {sel: {User|contains: admin}, condition: sel}\n"
        "---\n"
        "title: proc negation\nid: r9\nlogsource: {product: windows, category: process_creation}\n"
        "detection: {sel: {Image|endswith: '.exe'}, condition: not sel}\n";

static const char *const events[] = {
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':1,'Image':'C:\\\\cmd.exe'}",
        "{'Channel':'microsoft-windows-sysmon/operational','EventID':'1','Image':'C:\\\\cmd.exe',"
        "'CommandLine':'whoami /all'}",
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':'0x1','Image':'x.bat'}",
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':{'#attributes':{'Q':1},"
        "'#text':1},'Image':'C:\\\\cmd.exe'}",
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':2,'Image':'C:\\\\cmd.exe',"
        "'Note':'mimikatz'}",
        "{'Channel':'Security','EventID':4688,'Image':'C:\\\\cmd.exe','User':'admin'}",
        "{'Channel':'Security','EventID':4624,'User':'evilcorp'}",
        "{'Channel':['Security','Other'],'EventID':4624}",
        "{'Channel':null,'EventID':4624,'x':'mimikatz'}",
        "{'EventID':4624,'x':'mimikatz evilcorp'}",
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':12,'EventType':'CreateKey',"
        "'TargetObject':'HKLM\\\\Software\\\\Run\\\\x'}",
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':12,'EventType':'DeleteKey',"
        "'TargetObject':'HKLM\\\\Software\\\\Run\\\\x'}",
        "{'program':'sshd','message':'Failed password for root'}",
        "{'program':'cron','message':'Failed password for root'}",
        "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':[1,2],'Image':'a\\\\cmd.exe'}",
        "{'Event':{'System':{'Channel':'Security','EventID':4624}},'User':'administrator'}",
        "{'message':'GET /etc/passwd HTTP/1.1'}",
        "{'message':'GET /etc/passwd HTTP/1.0'}",
        "{'message':'GET /etc/passwd HTTP/1.0','Host':'a'}",
        "{'Channel':'Security','EventID':4624,'Computer':'dc01'}",
        "{'Channel':'Security','EventID':4624,'Computer':'ws01'}",
        "{'Channel':'Sec-Other','EventID':4624,'Computer':'dc02'}",
        "{'Channel':'Security','EventID':4624,'Computer':null}",
};

static long match_both(vg_ruleset *rs,
                       vg_match_scratch *fast,
                       vg_match_scratch *ref,
                       vg_event *ev,
                       const char *json)
{
    char buf[2048];
    size_t n = strlen(json);
    assert_true(n < sizeof(buf));
    for (size_t i = 0; i <= n; i++)
        buf[i] = json[i] == '\'' ? '"' : json[i];
    vg_event_reset(ev);
    vg_perr perr;
    assert_int_equal(vg_parse_json(ev, buf, n, &perr), VG_OK);
    assert_int_equal(vg_event_index(ev), VG_OK);
    uint32_t want[MAX_HITS], got[MAX_HITS];
    size_t nw = vg_match_event(rs, ref, ev, NULL, want, MAX_HITS);
    size_t ng = vg_match_event_fast(rs, fast, ev, NULL, got, MAX_HITS);
    if (nw != ng || memcmp(want, got, nw * sizeof(uint32_t)) != 0)
        fail_msg("event %s: fast matcher found %zu rules, reference %zu", json, ng, nw);
    return (long)nw;
}

static void test_route_matches_reference(void **state)
{
    (void)state;
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_int_equal(vg_ruleset_add_logsources(rs, "ls.yml", ls_map, strlen(ls_map), d), VG_OK);
    assert_int_equal(vg_ruleset_add_rules(rs, "r.yml", rules, strlen(rules), d), VG_OK);
    assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
    assert_int_equal(vg_diags_errors(d), 0);
    char err[256];
    assert_int_equal(vg_ruleset_build_prefilter(rs, err, sizeof(err)), VG_OK);
    vg_match_scratch *fast = vg_match_scratch_new(rs);
    vg_match_scratch *ref = vg_match_scratch_new(rs);
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(fast);
    assert_non_null(ref);
    assert_non_null(ev);

    long total = 0;
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
            total += match_both(rs, fast, ref, ev, events[i]);
    assert_true(total > 10); /* the table does fire rules */

    /* many distinct keys (cache eviction), and a key too long to be cached */
    char json[1024];
    for (int round = 0; round < 2; round++) {
        for (int id = 0; id < 200; id++) {
            snprintf(json, sizeof(json),
                     "{'Channel':'Microsoft-Windows-Sysmon/Operational','EventID':%d,"
                     "'Image':'C:\\\\cmd.exe','x':'mimikatz'}",
                     id % 3 == 0 ? 1 : id);
            match_both(rs, fast, ref, ev, json);
        }
    }
    char longch[600];
    memset(longch, 'a', sizeof(longch) - 1);
    longch[sizeof(longch) - 1] = '\0';
    snprintf(json, sizeof(json), "{'Channel':'%s','EventID':1,'User':'admin','x':'mimikatz'}",
             longch);
    assert_int_equal(match_both(rs, fast, ref, ev, json), 2); /* r5 and r8 */
    assert_int_equal(match_both(rs, fast, ref, ev, json), 2);

    /* routing and the prefilter did leave rules unevaluated */
    vg_match_counters cf, cr;
    vg_match_counters_get(fast, &cf);
    vg_match_counters_get(ref, &cr);
    assert_true(cf.rule_evals < cr.rule_evals);
    assert_int_equal(cf.hits, cr.hits);

    vg_event_free(ev);
    vg_match_scratch_free(fast);
    vg_match_scratch_free(ref);
    vg_ruleset_free(rs);
    vg_diags_free(d);
}

/* With a declared logsource routing is off; the answers still agree. */
static void test_route_declared(void **state)
{
    (void)state;
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_int_equal(vg_ruleset_add_logsources(rs, "ls.yml", ls_map, strlen(ls_map), d), VG_OK);
    assert_int_equal(vg_ruleset_add_rules(rs, "r.yml", rules, strlen(rules), d), VG_OK);
    assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
    char err[256];
    assert_int_equal(vg_ruleset_build_prefilter(rs, err, sizeof(err)), VG_OK);
    vg_match_scratch *fast = vg_match_scratch_new(rs);
    vg_match_scratch *ref = vg_match_scratch_new(rs);
    vg_event *ev = vg_event_new(NULL);
    vg_logsource decl;
    assert_int_equal(vg_logsource_parse(rs, "product=windows", &decl, err, sizeof(err)), VG_OK);
    char buf[256];
    const char *json = "{\"Channel\":\"Security\",\"EventID\":4688,\"Image\":\"C:\\\\cmd.exe\"}";
    snprintf(buf, sizeof(buf), "%s", json);
    vg_perr perr;
    assert_int_equal(vg_parse_json(ev, buf, strlen(buf), &perr), VG_OK);
    assert_int_equal(vg_event_index(ev), VG_OK);
    uint32_t want[MAX_HITS], got[MAX_HITS];
    size_t nw = vg_match_event(rs, ref, ev, &decl, want, MAX_HITS);
    size_t ng = vg_match_event_fast(rs, fast, ev, &decl, got, MAX_HITS);
    assert_int_equal(nw, ng);
    assert_memory_equal(want, got, nw * sizeof(uint32_t));
    assert_true(nw >= 1);
    vg_event_free(ev);
    vg_match_scratch_free(fast);
    vg_match_scratch_free(ref);
    vg_ruleset_free(rs);
    vg_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_route_matches_reference),
            cmocka_unit_test(test_route_declared),
    };
    return cmocka_run_group_tests_name("match/route", tests, NULL, NULL);
}
