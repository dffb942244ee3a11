/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cond.c: unit tests for the Sigma condition parser and "of" pattern matcher
 * (engine/sigma/cond.c).
 *
 * Parsed trees are rendered to a canonical, fully parenthesised string ("(a and (not b))",
 * "(1 of sel*)", "(all of them)") so that each table row states the expected tree in one
 * line. Every table row is checked in a loop that names the row on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sigma/cond.h"

/* Render n into buf[*at, size); output is cut (not overrun) when too long. */
static void render_into(const vg_cond *n, char *buf, size_t size, size_t *at)
{
    int w = 0;
    size_t room = *at < size ? size - *at : 0;
    switch (n->kind) {
    case VG_COND_ID:
        w = snprintf(buf + *at, room, "%s", n->name);
        break;
    case VG_COND_OF:
        if (n->quant == 0)
            w = snprintf(buf + *at, room, "(all of %s)", n->name ? n->name : "them");
        else
            w = snprintf(buf + *at, room, "(%u of %s)", (unsigned)n->quant,
                         n->name ? n->name : "them");
        break;
    case VG_COND_NOT:
        w = snprintf(buf + *at, room, "(not ");
        *at += (size_t)w;
        render_into(n->a, buf, size, at);
        room = *at < size ? size - *at : 0;
        w = snprintf(buf + *at, room, ")");
        break;
    case VG_COND_AND:
    case VG_COND_OR:
        w = snprintf(buf + *at, room, "(");
        *at += (size_t)w;
        render_into(n->a, buf, size, at);
        room = *at < size ? size - *at : 0;
        w = snprintf(buf + *at, room, " %s ", n->kind == VG_COND_AND ? "and" : "or");
        *at += (size_t)w;
        render_into(n->b, buf, size, at);
        room = *at < size ? size - *at : 0;
        w = snprintf(buf + *at, room, ")");
        break;
    }
    *at += (size_t)w;
}

static const char *render(const vg_cond *n, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    render_into(n, buf, size, &at);
    return buf;
}

static int setup(void **state)
{
    vg_arena *a = vg_arena_new(0, 0);
    if (!a)
        return -1;
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    vg_arena_free(*state);
    return 0;
}

typedef struct tree_row {
    const char *in;
    const char *want;
} tree_row;

static void check_trees(vg_arena *a, const tree_row *rows, size_t n)
{
    char got[512];
    for (size_t i = 0; i < n; i++) {
        vg_cond_err err;
        vg_cond *c = vg_cond_parse(a, rows[i].in, strlen(rows[i].in), &err);
        if (!c)
            fail_msg("row %zu \"%s\": parse failed: %s (%s at %u)", i, rows[i].in, err.msg,
                     vg_status_str(err.code), (unsigned)err.pos);
        if (err.code != VG_OK)
            fail_msg("row %zu \"%s\": err.code %d on success", i, rows[i].in, (int)err.code);
        render(c, got, sizeof(got));
        if (strcmp(got, rows[i].want) != 0)
            fail_msg("row %zu \"%s\": got \"%s\", want \"%s\"", i, rows[i].in, got, rows[i].want);
    }
}

static void test_precedence(void **state)
{
    static const tree_row rows[] = {
            {"a", "a"},
            {"a and b", "(a and b)"},
            {"a or b", "(a or b)"},
            {"a or b and c", "(a or (b and c))"},
            {"a and b or c", "((a and b) or c)"},
            {"a or b and c or d", "((a or (b and c)) or d)"},
            {"not a", "(not a)"},
            {"not a and b", "((not a) and b)"},
            {"not a or b", "((not a) or b)"},
            {"a and not b", "(a and (not b))"},
            {"a or not b and c", "(a or ((not b) and c))"},
            {"not not a", "(not (not a))"},
            {"1 of sel*", "(1 of sel*)"},
            {"any of sel*", "(1 of sel*)"},
            {"all of sel*", "(all of sel*)"},
            {"all of them", "(all of them)"},
            {"1 of them", "(1 of them)"},
            {"3 of sel_*", "(3 of sel_*)"},
            {"01 of x", "(1 of x)"},
            {"4294967295 of x", "(4294967295 of x)"},
            {"not 1 of filter*", "(not (1 of filter*))"},
            {"1 of sel* and not 1 of filter*", "((1 of sel*) and (not (1 of filter*)))"},
            {"1 of selection* and keywords", "((1 of selection*) and keywords)"},
            {"all of sel* or x", "((all of sel*) or x)"},
            {"x or all of sel* and y", "(x or ((all of sel*) and y))"},
            {"1 of *", "(1 of *)"},
            {"1 of exact", "(1 of exact)"},
            {"selection1 and (keywords1 or keywords2)",
             "(selection1 and (keywords1 or keywords2))"},
            {"keywords and not filters", "(keywords and (not filters))"},
    };
    check_trees(*state, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_associativity_and_parens(void **state)
{
    static const tree_row rows[] = {
            {"a and b and c", "((a and b) and c)"},
            {"a or b or c", "((a or b) or c)"},
            {"a and b and c and d", "(((a and b) and c) and d)"},
            {"a and (b and c)", "(a and (b and c))"},
            {"a or (b or c)", "(a or (b or c))"},
            {"(a or b) and c", "((a or b) and c)"},
            {"not (a or b)", "(not (a or b))"},
            {"not (not a)", "(not (not a))"},
            {"(a)", "a"},
            {"((a))", "a"},
            {"(((a and b)))", "(a and b)"},
            {"a and (b or (c and not d))", "(a and (b or (c and (not d))))"},
            {"(1 of sel*) and not (1 of f*)", "((1 of sel*) and (not (1 of f*)))"},
            {"(a)and(b)", "(a and b)"},
            {"not(a)", "(not a)"},
            {"\ta\n and\r\nb ", "(a and b)"},
            {"  a  ", "a"},
    };
    check_trees(*state, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_keywords_and_identifiers(void **state)
{
    static const tree_row rows[] = {
            {"A AND NOT b Or C", "((A and (not b)) or C)"},
            {"ALL OF Them", "(all of them)"},
            {"Any Of sel*", "(1 of sel*)"},
            {"1 OF THEM", "(1 of them)"},
            {"nOt a", "(not a)"},
            {"Sel and sel", "(Sel and sel)"},
            {"sel.1-x_y and 2nd", "(sel.1-x_y and 2nd)"},
            {"_private or -dash", "(_private or -dash)"},
            {"1", "1"},
            {"1 and 2", "(1 and 2)"},
            {"android or orange", "(android or orange)"},
            {"nothing and notable", "(nothing and notable)"},
            {"them1 or all_of", "(them1 or all_of)"},
            {"1 of of.x", "(1 of of.x)"},
    };
    check_trees(*state, rows, sizeof(rows) / sizeof(rows[0]));
}

static void test_positions(void **state)
{
    vg_cond_err err;
    const char *s = "a and not 1 of b*";
    vg_cond *c = vg_cond_parse(*state, s, strlen(s), &err);
    assert_non_null(c);
    assert_int_equal(c->kind, VG_COND_AND);
    assert_int_equal(c->pos, 0);
    assert_int_equal(c->a->pos, 0);
    assert_int_equal(c->b->kind, VG_COND_NOT);
    assert_int_equal(c->b->pos, 6);
    assert_int_equal(c->b->a->kind, VG_COND_OF);
    assert_int_equal(c->b->a->pos, 10);
    assert_string_equal(c->b->a->name, "b*");
    assert_int_equal(c->b->a->quant, 1);

    s = "  (x) or\n  all of them";
    c = vg_cond_parse(*state, s, strlen(s), &err);
    assert_non_null(c);
    assert_int_equal(c->kind, VG_COND_OR);
    assert_int_equal(c->pos, 3);
    assert_int_equal(c->a->pos, 3);
    assert_string_equal(c->a->name, "x");
    assert_int_equal(c->b->pos, 11);
    assert_null(c->b->name);
    assert_int_equal(c->b->quant, 0);

    /* The name is NUL-terminated even when the input is not. */
    const char buf[] = {'s', 'e', 'l', 'X'};
    c = vg_cond_parse(*state, buf, 3, &err);
    assert_non_null(c);
    assert_int_equal(c->kind, VG_COND_ID);
    assert_string_equal(c->name, "sel");
}

typedef struct err_row {
    const char *in;
    size_t len; /* 0 = strlen(in) */
    vg_status code;
    uint32_t pos;
    const char *msg; /* must occur in err.msg */
} err_row;

static void test_errors(void **state)
{
    static const err_row rows[] = {
            {"", 0, VG_ERR_INVALID, 0, "empty condition"},
            {"   \t\n", 0, VG_ERR_INVALID, 0, "empty condition"},
            {"a and", 0, VG_ERR_INVALID, 5,
             "expected identifier or '(' at offset 5, found end of condition"},
            {"and", 0, VG_ERR_INVALID, 0, "expected identifier or '(' at offset 0, found 'and'"},
            {"a or or b", 0, VG_ERR_INVALID, 5, "expected identifier or '(' at offset 5"},
            {"not", 0, VG_ERR_INVALID, 3, "expected identifier or '('"},
            {"()", 0, VG_ERR_INVALID, 1, "expected identifier or '(' at offset 1, found ')'"},
            {"them", 0, VG_ERR_INVALID, 0, "expected identifier or '(' at offset 0, found 'them'"},
            {"of", 0, VG_ERR_INVALID, 0, "found 'of'"},
            {"not )", 0, VG_ERR_INVALID, 4, "unbalanced ')' at offset 4"},
            {"a b", 0, VG_ERR_INVALID, 2, "unexpected token 'b' at offset 2"},
            {"a (b)", 0, VG_ERR_INVALID, 2, "unexpected token '('"},
            {"a not b", 0, VG_ERR_INVALID, 2, "unexpected token 'not'"},
            {"x of y", 0, VG_ERR_INVALID, 2, "unexpected token 'of'"},
            {"1 of them and", 0, VG_ERR_INVALID, 13, "expected identifier or '('"},
            {"a)", 0, VG_ERR_INVALID, 1, "unbalanced ')' at offset 1"},
            {")", 0, VG_ERR_INVALID, 0, "unbalanced ')' at offset 0"},
            {"(a))", 0, VG_ERR_INVALID, 3, "unbalanced ')'"},
            {"(a", 0, VG_ERR_INVALID, 2, "missing ')' at offset 2 to close '(' at offset 0"},
            {"(a b)", 0, VG_ERR_INVALID, 3, "missing ')' at offset 3"},
            {"((a)", 0, VG_ERR_INVALID, 4, "missing ')' at offset 4 to close '(' at offset 0"},
            {"all sel*", 0, VG_ERR_INVALID, 4,
             "expected 'of' after quantifier at offset 4, found 'sel*'"},
            {"any", 0, VG_ERR_INVALID, 3, "expected 'of' after quantifier"},
            {"not all", 0, VG_ERR_INVALID, 7, "expected 'of' after quantifier"},
            {"1 of", 0, VG_ERR_INVALID, 4, "expected identifier pattern or 'them' after 'of'"},
            {"1 of (a)", 0, VG_ERR_INVALID, 5, "expected identifier pattern or 'them'"},
            {"all of and", 0, VG_ERR_INVALID, 7, "found 'and'"},
            {"0 of x", 0, VG_ERR_INVALID, 0, "quantifier must be at least 1"},
            {"a or 00 of x", 0, VG_ERR_INVALID, 5, "quantifier must be at least 1"},
            {"4294967296 of x", 0, VG_ERR_INVALID, 0, "quantifier too large"},
            {"sel*", 0, VG_ERR_INVALID, 0, "wildcard '*' is only allowed in 'of' patterns"},
            {"a and *_x", 0, VG_ERR_INVALID, 6, "'*_x'"},
            {"a & b", 0, VG_ERR_INVALID, 2, "unexpected character '&' at offset 2"},
            {"a and $", 0, VG_ERR_INVALID, 6, "unexpected character '$'"},
            {"a\x01", 0, VG_ERR_INVALID, 1, "unexpected byte 0x01"},
            {"a\0b", 3, VG_ERR_INVALID, 1, "unexpected byte 0x00"},
            {"s\xc3\xa9l", 0, VG_ERR_INVALID, 1, "unexpected byte 0xc3"},
            {"sel | count() > 5", 0, VG_ERR_UNSUPPORTED, 4,
             "aggregation expressions ('|') are not supported"},
            {"(sel | near x)", 0, VG_ERR_UNSUPPORTED, 5, "aggregation expressions"},
            {"|", 0, VG_ERR_UNSUPPORTED, 0, "'|'"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const err_row *r = &rows[i];
        vg_cond_err err;
        size_t len = r->len ? r->len : strlen(r->in);
        vg_cond *c = vg_cond_parse(*state, r->in, len, &err);
        if (c)
            fail_msg("row %zu \"%s\": parsed, want an error", i, r->in);
        if (err.code != r->code || err.pos != r->pos || !strstr(err.msg, r->msg))
            fail_msg("row %zu \"%s\": got %s at %u \"%s\", want %s at %u containing \"%s\"", i,
                     r->in, vg_status_str(err.code), (unsigned)err.pos, err.msg,
                     vg_status_str(r->code), (unsigned)r->pos, r->msg);
    }
}

/* Build `count` copies of `unit` followed by `tail` in a heap buffer. */
static char *repeat(const char *unit, size_t count, const char *tail, size_t *len)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = vg_malloc(u * count + t + 1);
    assert_non_null(s);
    for (size_t i = 0; i < count; i++)
        memcpy(s + i * u, unit, u);
    memcpy(s + u * count, tail, t + 1);
    *len = u * count + t;
    return s;
}

static void test_depth_limit(void **state)
{
    vg_arena *a = *state;
    vg_cond_err err;
    size_t len;
    char *s;

    /* Exactly the limit parses; one more is VG_ERR_LIMIT at the offending token. */
    s = repeat("(", VG_COND_MAX_DEPTH, "a", &len);
    char *full = vg_malloc(len + VG_COND_MAX_DEPTH + 1);
    assert_non_null(full);
    memcpy(full, s, len);
    memset(full + len, ')', VG_COND_MAX_DEPTH);
    vg_cond *c = vg_cond_parse(a, full, len + VG_COND_MAX_DEPTH, &err);
    assert_non_null(c);
    assert_int_equal(c->kind, VG_COND_ID);
    vg_free(full);
    vg_free(s);

    s = repeat("(", VG_COND_MAX_DEPTH + 1, "a", &len);
    assert_null(vg_cond_parse(a, s, len, &err));
    assert_int_equal(err.code, VG_ERR_LIMIT);
    assert_int_equal(err.pos, VG_COND_MAX_DEPTH);
    vg_free(s);

    s = repeat("not ", VG_COND_MAX_DEPTH, "a", &len);
    c = vg_cond_parse(a, s, len, &err);
    assert_non_null(c);
    size_t nots = 0;
    for (; c->kind == VG_COND_NOT; c = c->a)
        nots++;
    assert_int_equal(nots, VG_COND_MAX_DEPTH);
    vg_free(s);

    s = repeat("NOT ", VG_COND_MAX_DEPTH + 1, "a", &len);
    assert_null(vg_cond_parse(a, s, len, &err));
    assert_int_equal(err.code, VG_ERR_LIMIT);
    assert_int_equal(err.pos, 4 * VG_COND_MAX_DEPTH);
    vg_free(s);

    /* Parentheses and "not" share one budget. */
    s = repeat("not (", VG_COND_MAX_DEPTH / 2, "a", &len);
    char *closed = vg_malloc(len + VG_COND_MAX_DEPTH / 2 + 1);
    assert_non_null(closed);
    memcpy(closed, s, len);
    memset(closed + len, ')', VG_COND_MAX_DEPTH / 2);
    assert_non_null(vg_cond_parse(a, closed, len + VG_COND_MAX_DEPTH / 2, &err));
    vg_free(closed);
    vg_free(s);
    s = repeat("not (", VG_COND_MAX_DEPTH / 2, "not a", &len);
    assert_null(vg_cond_parse(a, s, len, &err));
    assert_int_equal(err.code, VG_ERR_LIMIT);
    vg_free(s);

    /* Megabyte-sized hostile inputs fail fast, with no deep recursion. */
    const char *units[] = {"not ", "(", "not(", "(not "};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        s = repeat(units[i], (1u << 20) / strlen(units[i]), "", &len);
        clock_t t0 = clock();
        c = vg_cond_parse(a, s, len, &err);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        if (c || err.code != VG_ERR_LIMIT || secs > 1.0)
            fail_msg("unit \"%s\": got %s \"%s\" in %.3f s, want limit", units[i],
                     vg_status_str(err.code), err.msg, secs);
        vg_free(s);
    }
}

static void test_long_chain(void **state)
{
    /* "and"/"or" chains are loops, not recursion: a long flat chain is not a depth error. */
    size_t len;
    char *s = repeat("a and b or ", 20000, "c", &len);
    vg_cond_err err;
    vg_cond *c = vg_cond_parse(*state, s, len, &err);
    assert_non_null(c);
    size_t ors = 0;
    for (; c->kind == VG_COND_OR; c = c->a)
        ors++;
    assert_int_equal(ors, 20000);
    assert_int_equal(c->kind, VG_COND_AND);
    vg_free(s);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *s = "1 of sel* and not (a or b) and c";
    /* A capped arena that cannot hold the tree. */
    vg_arena *small = vg_arena_new(64, 128);
    assert_non_null(small);
    vg_cond_err err;
    assert_null(vg_cond_parse(small, s, strlen(s), &err));
    assert_int_equal(err.code, VG_ERR_NOMEM);
    vg_arena_free(small);

    /* Every failing heap allocation gives NOMEM; once enough succeed the parse works. */
    bool ok = false;
    for (long n = 0; n < 16 && !ok; n++) {
        vg_arena *a = vg_arena_new(64, 0);
        assert_non_null(a);
        vg_alloc_fail_after(n);
        vg_cond *c = vg_cond_parse(a, s, strlen(s), &err);
        vg_alloc_fail_after(-1);
        if (c)
            ok = true;
        else
            assert_int_equal(err.code, VG_ERR_NOMEM);
        vg_arena_free(a);
    }
    assert_true(ok);
}

typedef struct match_row {
    const char *pattern;
    const char *name;
    bool want;
} match_row;

static void test_pattern_match(void **state)
{
    (void)state;
    static const match_row rows[] = {
            {"sel*", "sel", true},
            {"sel*", "selection", true},
            {"sel*", "selection_2", true},
            {"sel*", "se", false},
            {"sel*", "xsel", false},
            {"sel*", "Selection", false},
            {"*_filter", "a_filter", true},
            {"*_filter", "_filter", true},
            {"*_filter", "a_filterx", false},
            {"*_filter", "a_filter_filter", true},
            {"a*b*c", "abc", true},
            {"a*b*c", "aXbYc", true},
            {"a*b*c", "abcbc", true},
            {"a*b*c", "aXXbXXbXXc", true},
            {"a*b*c", "acb", false},
            {"a*b*c", "abcb", false},
            {"a*b*c", "bc", false},
            {"sel", "sel", true},
            {"sel", "Sel", false},
            {"sel", "sel1", false},
            {"sel", "se", false},
            {"", "", true},
            {"", "a", false},
            {"a", "", false},
            {"*", "", true},
            {"*", "anything", true},
            {"**", "x", true},
            {"a**", "a", true},
            {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
            {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true},
            {"sel_*_x", "sel__x", true},
            {"sel_*_x", "sel_x", false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        bool got = vg_cond_pattern_match(rows[i].pattern, rows[i].name);
        if (got != rows[i].want)
            fail_msg("row %zu: pattern \"%s\" name \"%s\": got %d, want %d", i, rows[i].pattern,
                     rows[i].name, got, rows[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
            cmocka_unit_test_setup_teardown(test_associativity_and_parens, setup, teardown),
            cmocka_unit_test_setup_teardown(test_keywords_and_identifiers, setup, teardown),
            cmocka_unit_test_setup_teardown(test_positions, setup, teardown),
            cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
            cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
            cmocka_unit_test_setup_teardown(test_long_chain, setup, teardown),
            cmocka_unit_test(test_out_of_memory),
            cmocka_unit_test(test_pattern_match),
    };
    return cmocka_run_group_tests_name("sigma/cond", tests, NULL, NULL);
}
