/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rule_diag.c: the diagnostics of the Sigma loader (engine/sigma/): every compile error
 * and warning that rule files and mapping files produce.
 *
 * Each table row is a whole file and the one diagnostic it must produce: severity, status
 * code, reason key, rule id, 1-based line and column (0 where the engine documents the
 * column as unknown: rule-level warnings), a substring of the message, and the number of
 * errors in total and of rules loaded afterwards (a rule with an error is left out, the
 * others load; warnings never drop a rule). The row's diagnostic is the first one with the
 * expected severity, reason and message substring; its code, rule id and position are then
 * compared. Every failing row is printed with its name and all the diagnostics.
 *
 * Positions: a rule file built with HDR has `detection:` on line 4; with SEL6 the entry
 * under `sel:` is line 6 and starts in column 9; with COND the condition string is on line
 * 7 and starts in column 16.
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
#include "vigil/ruleset.h"

/* ---- rows and the checker ---- */

typedef enum prep_kind {
    PREP_NONE,
    PREP_PLACEHOLDERS, /* %Empty% (no value) and %Big% (65 values) */
    PREP_LOGSOURCES    /* product: test mapped, with known fields [Image] */
} prep_kind;

typedef struct diag_row {
    const char *name;
    prep_kind prep;
    const char *yaml; /* the rule file */
    vg_severity sev;
    vg_status code;
    const char *reason;
    const char *rule_id; /* "" when none */
    uint32_t line, col;
    const char *msg; /* substring of the message */
    size_t errors;   /* errors in total */
    size_t rules;    /* rules loaded */
} diag_row;

#define E_INV VG_SEV_ERROR, VG_ERR_INVALID
#define E_UNS VG_SEV_ERROR, VG_ERR_UNSUPPORTED
#define E_LIM VG_SEV_ERROR, VG_ERR_LIMIT
#define W_OK  VG_SEV_WARNING, VG_OK

#define HDR "title: t\nid: r1\nlogsource: {product: test}\ndetection:\n"
/* `entry` on line 6, column 9 */
#define SEL6(entry) HDR "    sel:\n        " entry "\n    condition: sel\n"
/* the condition on line 7, column 16 */
#define COND(cond) HDR "    sel:\n        A: 1\n    condition: " cond "\n"
/* a good rule of 7 lines with id `id` */
#define GOOD(id)                                                                                   \
    "title: good\nid: " id "\nlogsource: {product: test}\ndetection:\n    sel:\n"                  \
    "        A: 1\n    condition: sel\n"

static void prep(vg_ruleset *rs, vg_diags *d, prep_kind kind)
{
    if (kind == PREP_PLACEHOLDERS) {
        static const char *vals[65];
        static char buf[65][8];
        for (size_t i = 0; i < 65; i++) {
            snprintf(buf[i], sizeof(buf[i]), "v%zu", i);
            vals[i] = buf[i];
        }
        assert_int_equal(vg_ruleset_set_placeholder(rs, "Empty", NULL, 0), VG_OK);
        assert_int_equal(vg_ruleset_set_placeholder(rs, "Big", vals, 65), VG_OK);
    } else if (kind == PREP_LOGSOURCES) {
        static const char ls[] = "logsources:\n"
                                 "  - logsource: {product: test}\n"
                                 "    fields: [Image]\n";
        assert_int_equal(vg_ruleset_add_logsources(rs, "ls.yml", ls, strlen(ls), d), VG_OK);
    }
}

static void print_diags(const vg_diags *d)
{
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        print_error("    %s %s %s:%u:%u [%s] {%s} %s\n",
                    g->sev == VG_SEV_ERROR ? "error" : "warning", vg_status_str(g->code),
                    g->loc.file ? g->loc.file : "?", (unsigned)g->loc.line, (unsigned)g->loc.col,
                    g->reason, g->rule_id, g->msg);
    }
}

static const vg_diag *
find_diag(const vg_diags *d, vg_severity sev, const char *reason, const char *msg)
{
    for (size_t i = 0; i < vg_diags_count(d); i++) {
        const vg_diag *g = vg_diags_get(d, i);
        if (g->sev == sev && strcmp(g->reason, reason) == 0 && strstr(g->msg, msg))
            return g;
    }
    return NULL;
}

/* Compare one diagnostic with the row; print what differs. */
static bool diag_matches(
        const diag_row *r, const vg_diag *g, const vg_diags *d, size_t n_rules, const char *file)
{
    bool ok = true;
    if (!g) {
        print_error("row '%s': no %s [%s] containing \"%s\"\n", r->name,
                    r->sev == VG_SEV_ERROR ? "error" : "warning", r->reason, r->msg);
        ok = false;
    } else {
        if (g->code != r->code) {
            print_error("row '%s': code %s, want %s\n", r->name, vg_status_str(g->code),
                        vg_status_str(r->code));
            ok = false;
        }
        if (g->loc.line != r->line || g->loc.col != r->col) {
            print_error("row '%s': at %u:%u, want %u:%u\n", r->name, (unsigned)g->loc.line,
                        (unsigned)g->loc.col, (unsigned)r->line, (unsigned)r->col);
            ok = false;
        }
        if (strcmp(g->rule_id, r->rule_id) != 0) {
            print_error("row '%s': rule id '%s', want '%s'\n", r->name, g->rule_id, r->rule_id);
            ok = false;
        }
        if (!g->loc.file || strcmp(g->loc.file, file) != 0) {
            print_error("row '%s': file '%s', want '%s'\n", r->name,
                        g->loc.file ? g->loc.file : "(null)", file);
            ok = false;
        }
    }
    if (vg_diags_errors(d) != r->errors) {
        print_error("row '%s': %zu errors, want %zu\n", r->name, vg_diags_errors(d), r->errors);
        ok = false;
    }
    if (n_rules != r->rules) {
        print_error("row '%s': %zu rules loaded, want %zu\n", r->name, n_rules, r->rules);
        ok = false;
    }
    if (!ok)
        print_diags(d);
    return ok;
}

static bool check_row(const diag_row *r)
{
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_non_null(rs);
    assert_non_null(d);
    prep(rs, d, r->prep);
    assert_int_equal(vg_ruleset_add_rules(rs, "test.yml", r->yaml, strlen(r->yaml), d), VG_OK);
    assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
    const vg_diag *g = find_diag(d, r->sev, r->reason, r->msg);
    bool ok = diag_matches(r, g, d, vg_ruleset_count(rs), "test.yml");
    vg_ruleset_free(rs);
    vg_diags_free(d);
    return ok;
}

static void run_rows(const char *group, const diag_row *rows, size_t n)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++)
        if (!check_row(&rows[i]))
            failed++;
    if (failed)
        fail_msg("%s: %d of %zu rows failed", group, failed, n);
}

#define RUN(rows) run_rows(__func__, rows, sizeof(rows) / sizeof(rows[0]))

/* ---- modifiers ---- */

#define WIDE17                                                                                     \
    "|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide|wide"

static void test_modifiers(void **state)
{
    (void)state;
    static const diag_row rows[] = {
            {"unknown modifier", PREP_NONE, SEL6("Image|foo: x"), E_UNS, "unknown-modifier", "r1",
             6, 15, "unknown modifier 'foo'", 1, 0},
            {"unknown modifier after others", PREP_NONE, SEL6("Image|contains|bar: x"), E_UNS,
             "unknown-modifier", "r1", 6, 24, "unknown modifier 'bar'", 1, 0},
            {"unknown modifier, single-quoted key", PREP_NONE, SEL6("'Image|contains|bar': x"),
             E_UNS, "unknown-modifier", "r1", 6, 25, "'bar'", 1, 0},
            {"unknown modifier, double-quoted key", PREP_NONE, SEL6("\"Image|bar\": x"), E_UNS,
             "unknown-modifier", "r1", 6, 16, "'bar'", 1, 0},
            {"unknown modifier on keywords", PREP_NONE, SEL6("'|bad': [x]"), E_UNS,
             "unknown-modifier", "r1", 6, 11, "'bad'", 1, 0},
            {"modifier names are lower case", PREP_NONE, SEL6("Image|Contains: x"), E_UNS,
             "unknown-modifier", "r1", 6, 15, "'Contains'", 1, 0},
            {"empty modifier", PREP_NONE, SEL6("Image||contains: x"), E_UNS, "unknown-modifier",
             "r1", 6, 15, "unknown modifier ''", 1, 0},
            {"contains and startswith", PREP_NONE, SEL6("Image|contains|startswith: x"), E_UNS,
             "modifier-conflict", "r1", 6, 14, "exclude each other", 1, 0},
            {"startswith and endswith", PREP_NONE, SEL6("Image|startswith|endswith: x"), E_UNS,
             "modifier-conflict", "r1", 6, 14, "exclude each other", 1, 0},
            {"gt and lt", PREP_NONE, SEL6("Count|gt|lt: 5"), E_INV, "modifier-conflict", "r1", 6,
             18, "only one of gt, gte, lt, lte", 1, 0},
            {"two time parts", PREP_NONE, SEL6("Ts|hour|day: 5"), E_INV, "modifier-conflict", "r1",
             6, 17, "only one time modifier", 1, 0},
            {"windash with base64offset", PREP_NONE,
             SEL6("CommandLine|windash|base64offset|contains: x"), E_UNS, "modifier-conflict", "r1",
             6, 20, "windash cannot be combined with an encoding", 1, 0},
            {"i without re", PREP_NONE, SEL6("Image|i: x"), E_UNS, "modifier-conflict", "r1", 6, 14,
             "only apply to re", 1, 0},
            {"m without re", PREP_NONE, SEL6("Image|contains|m: x"), E_UNS, "modifier-conflict",
             "r1", 6, 14, "only apply to re", 1, 0},
            {"re with contains", PREP_NONE, SEL6("Image|re|contains: x"), E_UNS,
             "modifier-conflict", "r1", 6, 14, "re cannot be combined", 1, 0},
            {"re with base64", PREP_NONE, SEL6("Image|base64|re: x"), E_UNS, "modifier-conflict",
             "r1", 6, 14, "re cannot be combined", 1, 0},
            {"cidr with contains", PREP_NONE, SEL6("Ip|cidr|contains: x"), E_UNS,
             "modifier-conflict", "r1", 6, 11, "cidr cannot be combined", 1, 0},
            {"exists with contains", PREP_NONE, SEL6("Image|exists|contains: true"), E_UNS,
             "modifier-conflict", "r1", 6, 14, "exists cannot be combined", 1, 0},
            {"base64 with base64offset", PREP_NONE, SEL6("Data|base64|base64offset: x"), E_UNS,
             "modifier-conflict", "r1", 6, 13, "base64 and base64offset exclude", 1, 0},
            {"gt with contains", PREP_NONE, SEL6("Count|gt|contains: 5"), E_UNS,
             "modifier-conflict", "r1", 6, 14, "only combine with all and the time", 1, 0},
            {"time part with contains", PREP_NONE, SEL6("Ts|hour|contains: 5"), E_UNS,
             "modifier-conflict", "r1", 6, 11, "time modifiers only combine", 1, 0},
            {"fieldref with base64", PREP_NONE, SEL6("A|fieldref|base64: B"), E_UNS,
             "modifier-conflict", "r1", 6, 10, "fieldref only combines", 1, 0},
            {"too many modifiers", PREP_NONE, SEL6("Image" WIDE17 ": x"), E_LIM, "modifier-limit",
             "r1", 6, 95, "too many modifiers", 1, 0},
            {"exists without a field", PREP_NONE, SEL6("'|exists': true"), E_INV,
             "modifier-conflict", "r1", 6, 9, "exists and fieldref need a field name", 1, 0},
            {"fieldref without a field", PREP_NONE, SEL6("'|fieldref': B"), E_INV,
             "modifier-conflict", "r1", 6, 9, "exists and fieldref need a field name", 1, 0},
    };
    RUN(rows);
}

/* ---- values ---- */

static void test_values(void **state)
{
    (void)state;
    static const diag_row rows[] = {
            {"regex error inside a quoted value", PREP_NONE, SEL6("Image|re: 'abc)def'"), E_INV,
             "regex", "r1", 6, 23, "invalid regular expression", 1, 0},
            {"regex error at the end of a plain value", PREP_NONE, SEL6("Image|re: ab(c"), E_INV,
             "regex", "r1", 6, 23, "missing closing parenthesis", 1, 0},
            {"regex error in a list", PREP_NONE, SEL6("Image|re: [ok, '[z-a]']"), E_INV, "regex",
             "r1", 6, 28, "invalid regular expression", 1, 0},
            {"bad cidr prefix", PREP_NONE, SEL6("Ip|cidr: 10.0.0.0/33"), E_INV, "modifier-value",
             "r1", 6, 18, "invalid network '10.0.0.0/33'", 1, 0},
            {"cidr not an address", PREP_NONE, SEL6("Ip|cidr: 'fe80::zz/10'"), E_INV,
             "modifier-value", "r1", 6, 19, "invalid network", 1, 0},
            {"gt not a number", PREP_NONE, SEL6("Count|gt: abc"), E_INV, "modifier-value", "r1", 6,
             19, "'abc' is not a number", 1, 0},
            {"time part not a number", PREP_NONE, SEL6("Ts|hour: five"), E_INV, "modifier-value",
             "r1", 6, 18, "'five' is not a number", 1, 0},
            {"exists not a boolean", PREP_NONE, SEL6("Image|exists: maybe"), E_INV,
             "modifier-value", "r1", 6, 23, "exists needs true or false", 1, 0},
            {"exists with a quoted boolean", PREP_NONE, SEL6("Image|exists: 'true'"), E_INV,
             "modifier-value", "r1", 6, 23, "exists needs true or false", 1, 0},
            {"null with contains", PREP_NONE, SEL6("Image|contains: null"), E_INV, "modifier-value",
             "r1", 6, 25, "null cannot be used", 1, 0},
            {"fieldref without a name", PREP_NONE, SEL6("A|fieldref: ''"), E_INV, "modifier-value",
             "r1", 6, 21, "fieldref needs a field name", 1, 0},
            {"encoding a wildcard", PREP_NONE, SEL6("Data|base64: 'a*b'"), E_UNS, "modifier-value",
             "r1", 6, 22, "need a value without wildcards", 1, 0},
            {"map as a value", PREP_NONE, SEL6("Image: {a: b}"), E_INV, "value-type", "r1", 6, 16,
             "got a map", 1, 0},
            {"list inside a value list", PREP_NONE, SEL6("Image: [[a]]"), E_INV, "value-type", "r1",
             6, 17, "got a list", 1, 0},
            {"empty value list", PREP_NONE, SEL6("Image: []"), E_INV, "detection", "r1", 6, 16,
             "empty list of values", 1, 0},
            {"all with a one-item list", PREP_NONE, SEL6("Image|all: [x]"), W_OK,
             "all-single-value", "r1", 6, 9, "'all' with a single value", 0, 1},
            {"all with a scalar", PREP_NONE, SEL6("Image|contains|all: x"), W_OK,
             "all-single-value", "r1", 6, 9, "'all' with a single value", 0, 1},
            {"all on one keyword", PREP_NONE, SEL6("'|all': [x]"), W_OK, "all-single-value", "r1",
             6, 9, "'all' with a single value", 0, 1},
            {"placeholder undefined", PREP_PLACEHOLDERS, SEL6("User|expand: 'pre%nope%'"), E_UNS,
             "placeholder-undefined", "r1", 6, 26, "placeholder '%nope%' has no value", 1, 0},
            {"placeholder undefined, none at all", PREP_NONE, SEL6("User|expand: '%Admins%'"),
             E_UNS, "placeholder-undefined", "r1", 6, 23, "'%Admins%'", 1, 0},
            {"placeholder without values", PREP_PLACEHOLDERS, SEL6("User|expand: '%Empty%'"), W_OK,
             "placeholder-empty", "r1", 6, 22, "never matches", 0, 1},
            {"placeholder expansion too large", PREP_PLACEHOLDERS,
             SEL6("User|expand: '%Big%%Big%'"), E_LIM, "placeholder-limit", "r1", 6, 28,
             "too many values", 1, 0},
            {"unknown field of a known logsource", PREP_LOGSOURCES, SEL6("CommandLine: x"), W_OK,
             "unknown-field", "r1", 6, 9, "field 'CommandLine' is not known", 0, 1},
    };
    RUN(rows);
}

/* ---- detection structure ---- */

static void test_detection(void **state)
{
    (void)state;
    static const diag_row rows[] = {
            {"nested list in a search identifier", PREP_NONE, SEL6("- [a, b]"), E_INV, "detection",
             "r1", 6, 11, "nested lists are not allowed", 1, 0},
            {"empty map as a selection", PREP_NONE, HDR "    sel: {}\n    condition: sel\n", E_INV,
             "detection", "r1", 5, 10, "empty map in a selection", 1, 0},
            {"empty map in a list", PREP_NONE, SEL6("- {}"), E_INV, "detection", "r1", 6, 11,
             "empty map in a selection", 1, 0},
            {"empty list as a selection", PREP_NONE, HDR "    sel: []\n    condition: sel\n", E_INV,
             "detection", "r1", 5, 10, "empty search identifier", 1, 0},
            {"empty selection", PREP_NONE, HDR "    sel:\n    condition: sel\n", E_INV, "detection",
             "r1", 5, 9, "search identifier 'sel' is empty", 1, 0},
            {"duplicate search identifier", PREP_NONE,
             HDR "    sel:\n        A: 1\n    sel:\n        B: 1\n    condition: sel\n", E_INV,
             "detection", "r1", 7, 5, "duplicate search identifier 'sel'", 1, 0},
            {"detection not a map", PREP_NONE,
             "title: t\nid: r1\nlogsource: {product: test}\ndetection: [a]\n", E_INV, "detection",
             "r1", 4, 12, "detection must be a map", 1, 0},
            {"missing condition", PREP_NONE, HDR "    sel:\n        A: 1\n", E_INV, "condition",
             "r1", 5, 5, "detection has no condition", 1, 0},
            {"timeframe", PREP_NONE,
             HDR "    sel:\n        A: 1\n    timeframe: 5m\n    condition: sel\n", W_OK,
             "timeframe", "r1", 7, 5, "deprecated", 0, 1},
            {"complex key", PREP_NONE, HDR "    ? [a]\n    : x\n    condition: sel\n", E_UNS,
             "yaml", "", 5, 7, "keys must be scalars", 1, 0},
            {"complex key in a flow map", PREP_NONE, SEL6("{[a]: b}"), E_UNS, "yaml", "", 6, 10,
             "keys must be scalars", 1, 0},
    };
    RUN(rows);
}

/* ---- conditions ---- */

static void test_conditions(void **state)
{
    (void)state;
    static const diag_row rows[] = {
            {"unknown identifier", PREP_NONE, COND("sel and foo"), E_INV, "condition", "r1", 7, 24,
             "unknown search identifier 'foo'", 1, 0},
            {"unknown identifier, single-quoted", PREP_NONE, COND("'sel and foo'"), E_INV,
             "condition", "r1", 7, 25, "unknown search identifier 'foo'", 1, 0},
            {"unknown identifier, double-quoted", PREP_NONE, COND("\"sel and foo\""), E_INV,
             "condition", "r1", 7, 25, "unknown search identifier 'foo'", 1, 0},
            {"unknown identifier first", PREP_NONE, COND("foo or sel"), E_INV, "condition", "r1", 7,
             16, "'foo'", 1, 0},
            {"unknown identifier in a condition list", PREP_NONE,
             HDR "    sel:\n        A: 1\n    condition:\n        - sel\n"
                 "        - sel or foo\n",
             E_INV, "condition", "r1", 9, 18, "'foo'", 1, 0},
            {"identifiers are case-sensitive", PREP_NONE, COND("SEL"), E_INV, "condition", "r1", 7,
             16, "'SEL'", 1, 0},
            {"missing operand", PREP_NONE, COND("sel and"), E_INV, "condition", "r1", 7, 23,
             "expected identifier or '('", 1, 0},
            {"missing )", PREP_NONE, COND("sel or (sel"), E_INV, "condition", "r1", 7, 27,
             "missing ')'", 1, 0},
            {"unbalanced )", PREP_NONE, COND("sel )"), E_INV, "condition", "r1", 7, 20,
             "unbalanced ')'", 1, 0},
            {"bad character", PREP_NONE, COND("sel = 1"), E_INV, "condition", "r1", 7, 20,
             "unexpected character '='", 1, 0},
            {"wildcard outside of", PREP_NONE, COND("sel*"), E_INV, "condition", "r1", 7, 16,
             "only allowed in 'of' patterns", 1, 0},
            {"quantifier without of", PREP_NONE, COND("all sel"), E_INV, "condition", "r1", 7, 20,
             "expected 'of'", 1, 0},
            {"of without a pattern", PREP_NONE, COND("1 of"), E_INV, "condition", "r1", 7, 20,
             "expected identifier pattern or 'them'", 1, 0},
            {"zero quantifier", PREP_NONE, COND("0 of sel*"), E_INV, "condition", "r1", 7, 16,
             "at least 1", 1, 0},
            {"two identifiers", PREP_NONE, COND("sel sel"), E_INV, "condition", "r1", 7, 20,
             "unexpected token 'sel'", 1, 0},
            {"empty condition", PREP_NONE, COND("''"), E_INV, "condition", "r1", 7, 17,
             "empty condition", 1, 0},
            {"aggregation", PREP_NONE, COND("sel | count() > 5"), E_UNS, "condition-unsupported",
             "r1", 7, 20, "aggregation", 1, 0},
            {"aggregation by field", PREP_NONE, COND("'sel | count(User) by Host > 3'"), E_UNS,
             "condition-unsupported", "r1", 7, 21, "aggregation", 1, 0},
            {"pattern matching nothing", PREP_NONE, COND("1 of foo*"), E_INV, "condition", "r1", 7,
             16, "'foo*' matches no search identifier", 1, 0},
            {"pattern matching nothing inside", PREP_NONE, COND("sel and all of foo*"), E_INV,
             "condition", "r1", 7, 24, "'foo*' matches no search identifier", 1, 0},
            {"them without identifiers", PREP_NONE,
             HDR "    _sel:\n        A: 1\n    condition: 1 of them\n", E_INV, "condition", "r1", 7,
             16, "'them' matches no search identifier", 1, 0},
            {"quantifier above the count", PREP_NONE, COND("3 of sel*"), W_OK, "condition", "r1", 7,
             16, "only 1 search identifiers match", 0, 1},
            {"condition not a string", PREP_NONE, COND("{a: b}"), E_INV, "condition", "r1", 7, 16,
             "condition must be a string", 1, 0},
            {"condition list with a map", PREP_NONE,
             HDR "    sel:\n        A: 1\n    condition:\n        - sel\n        - [x]\n", E_INV,
             "condition", "r1", 9, 11, "condition must be a string", 1, 0},
            {"empty condition list", PREP_NONE, COND("[]"), E_INV, "condition", "r1", 7, 16,
             "empty condition list", 1, 0},
    };
    RUN(rows);
}

/* Deep conditions: the parser's parenthesis limit and the compiler's depth limit (a long
 * chain of `or` is a deep left-leaning tree). */
static void test_deep_conditions(void **state)
{
    (void)state;
    size_t n_paren = 257, n_or = 10002;
    size_t cap = strlen(HDR) + 64 + 2 * n_paren + 7 * n_or;
    char *paren = malloc(cap), *chain = malloc(cap);
    assert_non_null(paren);
    assert_non_null(chain);
    size_t at = (size_t)snprintf(paren, cap, HDR "    sel:\n        A: 1\n    condition: ");
    for (size_t i = 0; i < n_paren; i++)
        paren[at++] = '(';
    memcpy(paren + at, "sel", 3);
    at += 3;
    for (size_t i = 0; i < n_paren; i++)
        paren[at++] = ')';
    memcpy(paren + at, "\n", 2);

    at = (size_t)snprintf(chain, cap, HDR "    sel:\n        A: 1\n    condition: sel");
    for (size_t i = 1; i < n_or; i++) {
        memcpy(chain + at, " or sel", 7);
        at += 7;
    }
    memcpy(chain + at, "\n", 2);

    const diag_row rows[] = {
            {"256 parentheses at most", PREP_NONE, paren, E_LIM, "condition", "r1", 7, 16 + 256,
             "nested deeper than 256", 1, 0},
            {"or chain too deep", PREP_NONE, chain, E_LIM, "condition", "r1", 7, 16,
             "nested too deep", 1, 0},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (!check_row(&rows[i]))
            failed++;
    free(paren);
    free(chain);
    if (failed)
        fail_msg("%d rows failed", failed);
}

/* ---- metadata, documents, YAML ---- */

#define DET "detection:\n    sel:\n        A: 1\n    condition: sel\n"

static void test_documents(void **state)
{
    (void)state;
    static const diag_row rows[] = {
            {"missing title", PREP_NONE, "id: r1\nlogsource: {product: test}\n" DET, E_INV,
             "metadata", "r1", 1, 1, "rule has no title", 1, 0},
            {"title not a string", PREP_NONE,
             "title: [a]\nid: r1\nlogsource: {product: test}\n" DET, E_INV, "metadata", "r1", 1, 8,
             "'title' must be a string", 1, 0},
            {"id not a string", PREP_NONE, "title: t\nid: {a: b}\nlogsource: {product: test}\n" DET,
             E_INV, "metadata", "", 2, 5, "'id' must be a string", 1, 0},
            {"level not a string", PREP_NONE,
             "title: t\nid: r1\nlevel: [high]\nlogsource: {product: test}\n" DET, E_INV, "metadata",
             "r1", 3, 8, "'level' must be a string", 1, 0},
            {"tags not strings", PREP_NONE,
             "title: t\nid: r1\ntags: [[a]]\nlogsource: {product: test}\n" DET, E_INV, "metadata",
             "r1", 3, 8, "'tags' must be a string or a list of strings", 1, 0},
            {"tags a map", PREP_NONE,
             "title: t\nid: r1\ntags: {a: b}\nlogsource: {product: test}\n" DET, E_INV, "metadata",
             "r1", 3, 7, "'tags' must be a string or a list of strings", 1, 0},
            {"missing id", PREP_NONE, "title: t\nlogsource: {product: test}\n" DET, W_OK,
             "metadata", "", 1, 1, "rule 't' has no id", 0, 1},
            {"unknown level", PREP_NONE,
             "title: t\nid: r1\nlevel: severe\nlogsource: {product: test}\n" DET, W_OK, "metadata",
             "r1", 3, 8, "unknown level 'severe'", 0, 1},
            {"missing logsource", PREP_NONE, "title: t\nid: r1\n" DET, W_OK, "logsource", "r1", 1,
             1, "rule has no logsource", 0, 1},
            {"logsource not a map", PREP_NONE, "title: t\nid: r1\nlogsource: windows\n" DET, E_INV,
             "logsource", "r1", 3, 12, "logsource must be a map", 1, 0},
            {"logsource key not a string", PREP_NONE,
             "title: t\nid: r1\nlogsource: {product: [a]}\n" DET, E_INV, "logsource", "r1", 3, 22,
             "logsource product must be a string", 1, 0},
            {"unmapped logsource", PREP_NONE, GOOD("r1"), W_OK, "unmapped-logsource", "r1", 1, 0,
             "logsource 'product=test' has no mapping", 0, 1},
            {"unmapped logsource of a later document", PREP_NONE,
             GOOD("r1") "---\ntitle: t2\nid: r2\nlogsource: {category: dns}\n" DET, W_OK,
             "unmapped-logsource", "r2", 8, 0, "'category=dns'", 0, 2},
            {"empty logsource", PREP_NONE, "title: t\nid: r1\nlogsource: {}\n" DET, W_OK,
             "unmapped-logsource", "r1", 1, 0, "'(empty)'", 0, 1},
            {"duplicate id", PREP_NONE, GOOD("r1") "---\n" GOOD("r1"), W_OK, "duplicate-id", "r1",
             8, 0, "also used by test.yml:1", 0, 2},
            {"correlation without its condition", PREP_NONE,
             "title: c\nid: c1\ncorrelation:\n    type: event_count\n    rules: [r1]\n"
             "    timespan: 5m\n",
             E_INV, "correlation", "c1", 3 + 1, 5, "needs a 'condition'", 1, 0},
            {"legacy rule collection", PREP_NONE, "action: global\ntitle: x\n", E_UNS,
             "rule-collection", "", 1, 9, "legacy rule collections", 1, 0},
            {"document not a map", PREP_NONE, "- a\n- b\n", E_INV, "document", "", 1, 1,
             "must be a map", 1, 0},
            {"document without detection", PREP_NONE, "title: t\nid: r1\n", E_INV, "document", "r1",
             1, 1, "neither 'detection' nor 'filter'", 1, 0},
            {"yaml syntax error", PREP_NONE, SEL6("Image: @x"), E_INV, "yaml", "", 6, 16,
             "cannot start any token", 1, 0},
            {"yaml indentation", PREP_NONE, "title: t\n  id: r1\n", E_INV, "yaml", "", 2, 5,
             "mapping values are not allowed", 1, 0},
            {"yaml unterminated quote", PREP_NONE, SEL6("Image: 'abc"), E_INV, "yaml", "", 8, 1,
             "while scanning a quoted scalar", 1, 0},
            {"yaml alias", PREP_NONE, SEL6("Image: *x"), E_UNS, "yaml", "", 6, 16,
             "aliases are not supported", 1, 0},
            {"yaml anchor", PREP_NONE, SEL6("Image: &x y"), E_UNS, "yaml", "", 6, 16,
             "anchors are not supported", 1, 0},
            {"yaml nesting too deep", PREP_NONE,
             SEL6("Image: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                  "a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
             E_LIM, "yaml", "", 6, 77, "yaml nesting too deep", 1, 0},
            {"bad document first, good one loads", PREP_NONE,
             SEL6("Image|foo: x") "---\n" GOOD("r2"), E_UNS, "unknown-modifier", "r1", 6, 15,
             "'foo'", 1, 1},
            {"good document first, bad one second", PREP_NONE,
             GOOD("r2") "---\n" SEL6("Image|foo: x"), E_UNS, "unknown-modifier", "r1", 8 + 6, 15,
             "'foo'", 1, 1},
            {"yaml error after a good document", PREP_NONE, GOOD("r2") "---\n" SEL6("Image: @x"),
             E_INV, "yaml", "", 8 + 6, 16, "cannot start any token", 1, 1},
            {"two bad documents, two errors", PREP_NONE,
             SEL6("Image|foo: x") "---\n" SEL6("Image|re: '('"), E_INV, "regex", "r1", 8 + 6, 21,
             "missing closing parenthesis", 2, 0},
    };
    RUN(rows);
}

/* ---- Sigma filters ---- */

#define FHDR "title: f\nid: f1\nlogsource: {product: test}\n"

static void test_filters(void **state)
{
    (void)state;
    static const diag_row rows[] = {
            {"filter not a map", PREP_NONE, FHDR "filter: x\n", E_INV, "filter", "f1", 4, 9,
             "'filter' must be a map", 1, 0},
            {"filter without rules", PREP_NONE,
             FHDR "filter:\n    selection:\n        A: 1\n    condition: selection\n", E_INV,
             "filter", "f1", 5, 5, "filter names no rules", 1, 0},
            {"filter rules a map", PREP_NONE,
             FHDR "filter:\n    rules: {a: b}\n    selection:\n        A: 1\n"
                  "    condition: selection\n",
             E_INV, "metadata", "f1", 5, 12, "'rules' must be a string or a list of strings", 1, 0},
            {"filter without condition", PREP_NONE,
             FHDR "filter:\n    rules: [r1]\n    selection:\n        A: 1\n", E_INV, "condition",
             "f1", 5, 5, "detection has no condition", 1, 0},
            {"filter condition unknown identifier", PREP_NONE,
             FHDR "filter:\n    rules: [r1]\n    selection:\n        A: 1\n"
                  "    condition: selection or rules\n",
             E_INV, "condition", "f1", 8, 29, "unknown search identifier 'rules'", 1, 0},
            {"filter of a rule that is not loaded", PREP_NONE,
             GOOD("r1") "---\n" FHDR "filter:\n    rules: [nope]\n    selection:\n"
                        "        A: 1\n    condition: selection\n",
             W_OK, "filter-target", "f1", 8, 0, "names rule 'nope', which is not loaded", 0, 1},
    };
    RUN(rows);
}

/* ---- mapping files: logsources, fields, placeholders ---- */

typedef enum map_kind {
    MAP_LOGSOURCES,
    MAP_FIELDS,
    MAP_PLACEHOLDERS
} map_kind;

typedef struct map_row {
    const char *name;
    map_kind kind;
    const char *yaml;
    vg_status rc; /* returned by the add function */
    vg_severity sev;
    vg_status code;
    const char *reason;
    uint32_t line, col;
    const char *msg;
} map_row;

static void test_mapping_files(void **state)
{
    (void)state;
    static const map_row rows[] = {
            {"logsources not a list", MAP_LOGSOURCES, "logsources: {a: b}\n", VG_ERR_INVALID, E_INV,
             "mapping", 1, 1, "expected a top-level 'logsources:' list"},
            {"logsources missing", MAP_LOGSOURCES, "fields: []\n", VG_ERR_INVALID, E_INV, "mapping",
             1, 1, "expected a top-level 'logsources:' list"},
            {"entry without logsource", MAP_LOGSOURCES, "logsources:\n  - when: {A: 1}\n",
             VG_ERR_INVALID, E_INV, "mapping", 2, 5, "each entry needs a 'logsource' map"},
            {"entry not a map", MAP_LOGSOURCES, "logsources:\n  - x\n", VG_ERR_INVALID, E_INV,
             "mapping", 2, 5, "each entry needs a 'logsource' map"},
            {"logsource key not a string", MAP_LOGSOURCES,
             "logsources:\n  - logsource: {product: [a]}\n", VG_ERR_INVALID, E_INV, "logsource", 2,
             26, "logsource product must be a string"},
            {"known fields a map", MAP_LOGSOURCES,
             "logsources:\n  - logsource: {product: w}\n    fields: {a: b}\n", VG_ERR_INVALID,
             E_INV, "mapping", 3, 13, "'fields' must be a string or a list of strings"},
            {"known fields not strings", MAP_LOGSOURCES,
             "logsources:\n  - logsource: {product: w}\n    fields: [[a]]\n", VG_ERR_INVALID, E_INV,
             "mapping", 3, 14, "'fields' must be a string or a list of strings"},
            {"when with a bad modifier", MAP_LOGSOURCES,
             "logsources:\n  - logsource: {product: w}\n    when: {A|foo: 1}\n", VG_ERR_UNSUPPORTED,
             E_UNS, "unknown-modifier", 3, 14, "'foo'"},
            {"logsource mapped twice", MAP_LOGSOURCES,
             "logsources:\n  - logsource: {product: w}\n  - logsource: {product: w}\n", VG_OK, W_OK,
             "mapping", 3, 16, "mapped twice"},
            {"logsources yaml error", MAP_LOGSOURCES, "logsources:\n  - @\n", VG_ERR_INVALID, E_INV,
             "yaml", 2, 5, "cannot start any token"},
            {"fields not a map", MAP_FIELDS, "fields: [a]\n", VG_ERR_INVALID, E_INV, "mapping", 1,
             1, "expected a top-level 'fields:' map"},
            {"field mapping a map", MAP_FIELDS, "fields:\n  Image: {a: b}\n", VG_ERR_INVALID, E_INV,
             "mapping", 2, 10, "'Image' must be a string or a list of strings"},
            {"field mapping not strings", MAP_FIELDS, "fields:\n  Image: [[a]]\n", VG_ERR_INVALID,
             E_INV, "mapping", 2, 11, "'Image' must be a string or a list of strings"},
            {"field mapping complex key", MAP_FIELDS, "fields:\n  ? [a]\n  : b\n",
             VG_ERR_UNSUPPORTED, E_UNS, "yaml", 2, 5, "keys must be scalars"},
            {"placeholders not a map", MAP_PLACEHOLDERS, "- a\n", VG_ERR_INVALID, E_INV,
             "placeholder", 1, 1, "expected a map of placeholder names to values"},
            {"placeholder values not strings", MAP_PLACEHOLDERS, "Admins: [[a]]\n", VG_ERR_INVALID,
             E_INV, "placeholder", 1, 10, "'Admins' must be a string or a list of strings"},
            {"placeholder complex key", MAP_PLACEHOLDERS, "? [a]\n: b\n", VG_ERR_UNSUPPORTED, E_UNS,
             "yaml", 1, 3, "keys must be scalars"},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const map_row *r = &rows[i];
        vg_ruleset *rs = vg_ruleset_new();
        vg_diags *d = vg_diags_new();
        assert_non_null(rs);
        assert_non_null(d);
        size_t len = strlen(r->yaml);
        vg_status rc;
        if (r->kind == MAP_LOGSOURCES)
            rc = vg_ruleset_add_logsources(rs, "map.yml", r->yaml, len, d);
        else if (r->kind == MAP_FIELDS)
            rc = vg_ruleset_add_fieldmap(rs, "map.yml", r->yaml, len, d);
        else
            rc = vg_ruleset_add_placeholders(rs, "map.yml", r->yaml, len, d);
        /* reuse the rule-row checker: the expected counts are one error or none, no rules */
        diag_row dr = {r->name,
                       PREP_NONE,
                       r->yaml,
                       r->sev,
                       r->code,
                       r->reason,
                       "",
                       r->line,
                       r->col,
                       r->msg,
                       r->sev == VG_SEV_ERROR ? 1u : 0u,
                       0};
        bool ok = diag_matches(&dr, find_diag(d, r->sev, r->reason, r->msg), d, 0, "map.yml");
        if (rc != r->rc) {
            print_error("row '%s': returned %s, want %s\n", r->name, vg_status_str(rc),
                        vg_status_str(r->rc));
            ok = false;
        }
        if (!ok)
            failed++;
        vg_ruleset_free(rs);
        vg_diags_free(d);
    }
    if (failed)
        fail_msg("%d of %zu rows failed", failed, sizeof(rows) / sizeof(rows[0]));
}

/* Stats after a file with good and bad documents. */
static void test_stats(void **state)
{
    (void)state;
    static const char file[] =
            GOOD("r1") "---\n" SEL6("Image|foo: x") "---\n" GOOD("r3") "---\n" FHDR "filter: x\n";
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_int_equal(vg_ruleset_add_rules(rs, "test.yml", file, strlen(file), d), VG_OK);
    assert_int_equal(vg_ruleset_finish(rs, d), VG_OK);
    vg_ruleset_stats st;
    vg_ruleset_stats_get(rs, &st);
    assert_int_equal(st.n_docs, 4);
    assert_int_equal(st.n_rules, 2);
    assert_int_equal(st.n_rejected, 2);
    assert_int_equal(st.n_filters, 0);
    assert_int_equal(vg_diags_errors(d), 2);
    vg_rule_info info;
    vg_ruleset_rule_info(rs, 1, &info);
    assert_string_equal(info.id, "r3");
    assert_int_equal(info.line, 16); /* its "---" */
    vg_ruleset_free(rs);
    vg_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_modifiers),       cmocka_unit_test(test_values),
            cmocka_unit_test(test_detection),       cmocka_unit_test(test_conditions),
            cmocka_unit_test(test_deep_conditions), cmocka_unit_test(test_documents),
            cmocka_unit_test(test_filters),         cmocka_unit_test(test_mapping_files),
            cmocka_unit_test(test_stats),
    };
    return cmocka_run_group_tests_name("sigma_rule_diag", tests, NULL, NULL);
}
