/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_event.c: the event tree (vigil/event.h) built by hand, without a parser.
 *
 * Covers node linking, the path and leaf index (nested objects, arrays sharing their path,
 * objects inside arrays, ambiguous leaves, next_same chains), the limits, reset and reuse,
 * allocation failure, and the compact JSON writer with its escaping.
 * Table rows carry a name that every failure message repeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "vigil/event.h"
#include "vigil/parse.h"

#define CHECK(row, cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fail_msg("[%s] check failed: %s (line %d)", (row), #cond, __LINE__);                   \
    } while (0)

static vg_span S(const char *s)
{
    return vg_span_cstr(s);
}

static uint32_t add(vg_event *ev, uint32_t parent, vg_vtype t, const char *key, const char *text)
{
    uint32_t idx = VG_NODE_NONE;
    vg_status rc = vg_event_add(ev, parent, t, S(key), S(text), &idx);
    if (rc != VG_OK)
        fail_msg("vg_event_add(%s) -> %s", key, vg_status_str(rc));
    return idx;
}

/* The values along a next_same chain as "a|b|c"; containers show as "{" and "[". */
static void chain_str(const vg_event *ev, uint32_t i, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; i != VG_NODE_NONE; i = vg_event_node(ev, i)->next_same) {
        const vg_node *nd = vg_event_node(ev, i);
        char tmp[64];
        if (nd->type == VG_V_OBJ)
            snprintf(tmp, sizeof(tmp), "{");
        else if (nd->type == VG_V_ARR)
            snprintf(tmp, sizeof(tmp), "[");
        else
            snprintf(tmp, sizeof(tmp), "%.*s", (int)nd->text.len, nd->text.p);
        int w = snprintf(out + n, cap - n, "%s%s", n ? "|" : "", tmp);
        if (w < 0 || (size_t)w >= cap - n)
            fail_msg("chain too long");
        n += (size_t)w;
    }
}

static void to_json(const vg_event *ev, vg_buf *b)
{
    vg_buf_clear(b);
    vg_event_to_json(ev, b);
    assert_int_equal(vg_buf_status(b), VG_OK);
}

/*
 * {"a":{"b":{"c":"x"}},"arr":["1","2"],"objs":[{"k":"v1"},{"k":"v2","z":"q"}],"n":7,
 *  "id":"top","sub":{"id":"inner"},"p":{"id":"deep"},"dup":"d1","dup":"d2","nested":[["m"]]}
 */
static void build_sample(vg_event *ev)
{
    uint32_t a = add(ev, 0, VG_V_OBJ, "a", "");
    uint32_t b = add(ev, a, VG_V_OBJ, "b", "");
    add(ev, b, VG_V_STR, "c", "x");
    uint32_t arr = add(ev, 0, VG_V_ARR, "arr", "");
    add(ev, arr, VG_V_STR, "ignored", "1");
    add(ev, arr, VG_V_STR, "", "2");
    uint32_t objs = add(ev, 0, VG_V_ARR, "objs", "");
    uint32_t o1 = add(ev, objs, VG_V_OBJ, "", "");
    add(ev, o1, VG_V_STR, "k", "v1");
    uint32_t o2 = add(ev, objs, VG_V_OBJ, "", "");
    add(ev, o2, VG_V_STR, "k", "v2");
    add(ev, o2, VG_V_STR, "z", "q");
    add(ev, 0, VG_V_NUM, "n", "7");
    add(ev, 0, VG_V_STR, "id", "top");
    uint32_t sub = add(ev, 0, VG_V_OBJ, "sub", "");
    add(ev, sub, VG_V_STR, "id", "inner");
    uint32_t p = add(ev, 0, VG_V_OBJ, "p", "");
    add(ev, p, VG_V_STR, "id", "deep");
    add(ev, 0, VG_V_STR, "dup", "d1");
    add(ev, 0, VG_V_STR, "dup", "d2");
    uint32_t nested = add(ev, 0, VG_V_ARR, "nested", "");
    uint32_t inner = add(ev, nested, VG_V_ARR, "", "");
    add(ev, inner, VG_V_STR, "", "m");
}

static void test_event_new_has_empty_root(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    assert_non_null(ev);
    assert_int_equal(vg_event_count(ev), 1);
    const vg_node *r = vg_event_node(ev, 0);
    assert_int_equal(r->type, VG_V_OBJ);
    assert_int_equal(r->parent, VG_NODE_NONE);
    assert_int_equal(r->first_child, VG_NODE_NONE);
    assert_int_equal(r->last_child, VG_NODE_NONE);
    assert_int_equal(r->next_sibling, VG_NODE_NONE);
    assert_int_equal(r->depth, 0);
    assert_null(vg_event_node(ev, 1));
    assert_int_equal(vg_event_index(ev), VG_OK);
    assert_int_equal(vg_event_path(ev, "a", 1), VG_NODE_NONE);
    assert_int_equal(vg_event_leaf(ev, "a", 1), VG_NODE_NONE);
    vg_buf b;
    vg_buf_init(&b, 0);
    to_json(ev, &b);
    assert_string_equal(b.p, "{}");
    vg_buf_fini(&b);
    vg_event_free(ev);
    vg_event_free(NULL);
}

static void test_event_add_links_children_in_order(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    uint32_t x = add(ev, 0, VG_V_STR, "x", "1");
    uint32_t o = add(ev, 0, VG_V_OBJ, "o", "");
    uint32_t y = add(ev, o, VG_V_NUM, "y", "2");
    uint32_t z = add(ev, 0, VG_V_BOOL, "z", "true");
    assert_int_equal(vg_event_count(ev), 5);
    const vg_node *r = vg_event_node(ev, 0);
    assert_int_equal(r->first_child, x);
    assert_int_equal(r->last_child, z);
    assert_int_equal(vg_event_node(ev, x)->next_sibling, o);
    assert_int_equal(vg_event_node(ev, o)->next_sibling, z);
    assert_int_equal(vg_event_node(ev, z)->next_sibling, VG_NODE_NONE);
    assert_int_equal(vg_event_node(ev, o)->first_child, y);
    assert_int_equal(vg_event_node(ev, o)->last_child, y);
    assert_int_equal(vg_event_node(ev, y)->parent, o);
    assert_int_equal(vg_event_node(ev, y)->depth, 2);
    assert_int_equal(vg_event_node(ev, x)->depth, 1);
    assert_true(vg_span_eq_cstr(vg_event_node(ev, y)->key, "y"));
    assert_true(vg_span_eq_cstr(vg_event_node(ev, y)->text, "2"));
    vg_event_free(ev);
}

static void test_event_add_array_elements_have_empty_key(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    uint32_t a = add(ev, 0, VG_V_ARR, "a", "");
    uint32_t e = add(ev, a, VG_V_STR, "named", "v");
    assert_int_equal(vg_event_node(ev, e)->key.len, 0);
    assert_non_null(vg_event_node(ev, e)->key.p);
    vg_event_free(ev);
}

static void test_event_add_rejects_bad_parent(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    uint32_t s = add(ev, 0, VG_V_STR, "s", "v");
    uint32_t out = 12345;
    assert_int_equal(vg_event_add(ev, s, VG_V_STR, S("k"), S("v"), &out), VG_ERR_INTERNAL);
    assert_int_equal(vg_event_add(ev, 99, VG_V_STR, S("k"), S("v"), &out), VG_ERR_INTERNAL);
    assert_int_equal(out, 12345);
    assert_int_equal(vg_event_count(ev), 2);
    /* out may be NULL */
    assert_int_equal(vg_event_add(ev, 0, VG_V_NULL, S("n"), S("null"), NULL), VG_OK);
    vg_event_free(ev);
}

static void test_event_index_paths(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *path;
        const char *chain; /* values along next_same, "" = no such path */
    } rows[] = {
            {"nested scalar", "a.b.c", "x"},
            {"nested object", "a.b", "{"},
            {"top object", "a", "{"},
            {"array of scalars shares the array path", "arr", "[|1|2"},
            {"objects inside an array", "objs", "[|{|{"},
            {"keys of objects inside an array", "objs.k", "v1|v2"},
            {"key present in one array element", "objs.z", "q"},
            {"number", "n", "7"},
            {"top-level id", "id", "top"},
            {"sub id", "sub.id", "inner"},
            {"duplicate keys share a path", "dup", "d1|d2"},
            {"nested arrays flatten", "nested", "[|[|m"},
            {"missing path", "nope", ""},
            {"partial path", "a.b.c.d", ""},
            {"leaf is not a path", "c", ""},
            {"prefix is not a path", "ob", ""},
    };
    vg_event *ev = vg_event_new(NULL);
    build_sample(ev);
    assert_int_equal(vg_event_index(ev), VG_OK);
    assert_int_equal(vg_event_index(ev), VG_OK); /* cheap to call again */
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        char got[256];
        uint32_t i = vg_event_path(ev, rows[r].path, strlen(rows[r].path));
        chain_str(ev, i, got, sizeof(got));
        if (strcmp(got, rows[r].chain) != 0)
            fail_msg("[%s] path '%s': got '%s', want '%s'", rows[r].name, rows[r].path, got,
                     rows[r].chain);
        for (; i != VG_NODE_NONE; i = vg_event_node(ev, i)->next_same)
            CHECK(rows[r].name, vg_event_node(ev, i)->path_hash ==
                                        vg_hash_path(rows[r].path, strlen(rows[r].path)));
    }
    vg_event_free(ev);
}

static void test_event_leaf_and_resolve(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *key;
        const char *leaf;    /* chain by vg_event_leaf */
        const char *resolve; /* chain by vg_event_resolve */
    } rows[] = {
            {"unique leaf of a deep path", "c", "x", "x"},
            {"unique leaf of an object", "b", "{", "{"},
            {"leaf inside array objects", "k", "v1|v2", "v1|v2"},
            {"leaf z", "z", "q", "q"},
            {"ambiguous leaf, exact path wins", "id", "", "top"},
            {"exact path only", "sub.id", "", "inner"},
            {"top-level key is its own leaf", "n", "7", "7"},
            {"duplicate keys are one path, not ambiguous", "dup", "d1|d2", "d1|d2"},
            {"array leaf", "arr", "[|1|2", "[|1|2"},
            {"unknown", "nothing", "", ""},
            {"empty name", "", "", ""},
    };
    vg_event *ev = vg_event_new(NULL);
    build_sample(ev);
    assert_int_equal(vg_event_index(ev), VG_OK);
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        char got[256];
        size_t n = strlen(rows[r].key);
        chain_str(ev, vg_event_leaf(ev, rows[r].key, n), got, sizeof(got));
        if (strcmp(got, rows[r].leaf) != 0)
            fail_msg("[%s] leaf '%s': got '%s', want '%s'", rows[r].name, rows[r].key, got,
                     rows[r].leaf);
        chain_str(ev, vg_event_resolve(ev, rows[r].key, n), got, sizeof(got));
        if (strcmp(got, rows[r].resolve) != 0)
            fail_msg("[%s] resolve '%s': got '%s', want '%s'", rows[r].name, rows[r].key, got,
                     rows[r].resolve);
    }
    vg_event_free(ev);
}

/* vg_event_scalar_text: a field read as one value (a message key, a group-by value). */
static void test_event_scalar_text(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *key;
        const char *want; /* NULL: no text */
    } rows[] = {
            {"string", "c", "x"},
            {"number, as written", "n", "7"},
            {"array: its first scalar", "arr", "1"},
            {"array of objects: none", "objs", NULL},
            {"array of arrays: none", "nested", NULL},
            {"object: none", "sub", NULL},
            {"absent", "nothing", NULL},
    };
    vg_event *ev = vg_event_new(NULL);
    build_sample(ev);
    add(ev, 0, VG_V_NULL, "nul", "null");
    add(ev, 0, VG_V_BOOL, "yes", "true");
    assert_int_equal(vg_event_index(ev), VG_OK);
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        vg_span got = {"untouched", 9};
        bool ok = vg_event_scalar_text(ev, vg_event_resolve(ev, rows[r].key, strlen(rows[r].key)),
                                       &got);
        CHECK(rows[r].name, ok == (rows[r].want != NULL));
        if (rows[r].want)
            CHECK(rows[r].name, vg_span_eq_cstr(got, rows[r].want));
        else
            CHECK(rows[r].name, vg_span_eq_cstr(got, "untouched"));
    }
    vg_span got;
    CHECK("null", !vg_event_scalar_text(ev, vg_event_resolve(ev, "nul", 3), &got));
    CHECK("bool", vg_event_scalar_text(ev, vg_event_resolve(ev, "yes", 3), &got) &&
                          vg_span_eq_cstr(got, "true"));
    CHECK("out of range", !vg_event_scalar_text(ev, vg_event_count(ev), &got));
    vg_event_free(ev);
}

static void test_event_dotted_key_collides_with_nested_path(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    add(ev, 0, VG_V_STR, "a.b", "flat");
    uint32_t a = add(ev, 0, VG_V_OBJ, "a", "");
    add(ev, a, VG_V_STR, "b", "nested");
    assert_int_equal(vg_event_index(ev), VG_OK);
    char got[64];
    chain_str(ev, vg_event_path(ev, "a.b", 3), got, sizeof(got));
    assert_string_equal(got, "flat|nested");
    vg_event_free(ev);
}

static void test_event_lookup_requires_index(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    add(ev, 0, VG_V_STR, "k", "v");
    assert_int_equal(vg_event_path(ev, "k", 1), VG_NODE_NONE);
    assert_int_equal(vg_event_index(ev), VG_OK);
    assert_int_equal(vg_event_path(ev, "k", 1), 1);
    /* adding after indexing drops the index until the next vg_event_index */
    uint32_t o = add(ev, 0, VG_V_OBJ, "o", "");
    add(ev, o, VG_V_STR, "k2", "v2");
    assert_int_equal(vg_event_path(ev, "o.k2", 4), VG_NODE_NONE);
    assert_int_equal(vg_event_index(ev), VG_OK);
    assert_int_equal(vg_event_path(ev, "o.k2", 4), 3);
    assert_int_equal(vg_event_path(ev, "k", 1), 1);
    assert_int_equal(vg_event_leaf(ev, "k2", 2), 3);
    vg_event_free(ev);
}

static void test_event_max_nodes(void **state)
{
    (void)state;
    vg_event_limits lim = {.max_nodes = 4, .max_depth = 0, .max_bytes = 0};
    vg_event *ev = vg_event_new(&lim);
    add(ev, 0, VG_V_STR, "a", "1");
    add(ev, 0, VG_V_STR, "b", "2");
    add(ev, 0, VG_V_STR, "c", "3");
    assert_int_equal(vg_event_add(ev, 0, VG_V_STR, S("d"), S("4"), NULL), VG_ERR_LIMIT);
    assert_int_equal(vg_event_count(ev), 4);
    vg_event_reset(ev);
    add(ev, 0, VG_V_STR, "again", "1");
    vg_event_free(ev);

    /* default: 65536 nodes, the root included */
    ev = vg_event_new(NULL);
    for (uint32_t i = 1; i < 65536; i++)
        assert_int_equal(vg_event_add(ev, 0, VG_V_NUM, S("k"), S("1"), NULL), VG_OK);
    assert_int_equal(vg_event_add(ev, 0, VG_V_NUM, S("k"), S("1"), NULL), VG_ERR_LIMIT);
    assert_int_equal(vg_event_index(ev), VG_OK);
    uint32_t n = 0;
    for (uint32_t i = vg_event_path(ev, "k", 1); i != VG_NODE_NONE;
         i = vg_event_node(ev, i)->next_same)
        n++;
    assert_int_equal(n, 65535);
    vg_event_free(ev);
}

static void test_event_max_depth(void **state)
{
    (void)state;
    vg_event_limits lim = {.max_nodes = 0, .max_depth = 3, .max_bytes = 0};
    vg_event *ev = vg_event_new(&lim);
    uint32_t d1 = add(ev, 0, VG_V_OBJ, "d1", "");
    uint32_t d2 = add(ev, d1, VG_V_ARR, "d2", "");
    uint32_t d3 = add(ev, d2, VG_V_OBJ, "", "");
    assert_int_equal(vg_event_node(ev, d3)->depth, 3);
    assert_int_equal(vg_event_add(ev, d3, VG_V_STR, S("d4"), S("x"), NULL), VG_ERR_LIMIT);
    assert_int_equal(vg_event_add(ev, d3, VG_V_OBJ, S("d4"), S(""), NULL), VG_ERR_LIMIT);
    /* shallower adds still work */
    add(ev, d2, VG_V_STR, "", "ok");
    vg_event_free(ev);

    ev = vg_event_new(NULL); /* default depth 64 */
    uint32_t cur = 0;
    for (int i = 0; i < 64; i++)
        cur = add(ev, cur, VG_V_ARR, "", "");
    assert_int_equal(vg_event_add(ev, cur, VG_V_ARR, S(""), S(""), NULL), VG_ERR_LIMIT);
    vg_event_free(ev);
}

static void test_event_reset_and_reuse(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    vg_buf b;
    vg_buf_init(&b, 0);
    for (int round = 0; round < 200; round++) {
        vg_event_reset(ev);
        assert_int_equal(vg_event_count(ev), 1);
        assert_int_equal(vg_event_node(ev, 0)->first_child, VG_NODE_NONE);
        assert_int_equal(vg_event_path(ev, "a.b.c", 5), VG_NODE_NONE);
        if (round % 2) {
            build_sample(ev);
            char *mem = vg_event_alloc(ev, 100000); /* past the first arena chunk */
            assert_non_null(mem);
            memset(mem, 'x', 100000);
            assert_int_equal(vg_event_index(ev), VG_OK);
            assert_int_not_equal(vg_event_path(ev, "a.b.c", 5), VG_NODE_NONE);
        } else {
            vg_span t = vg_event_copy(ev, "copied", 6);
            assert_non_null(t.p);
            assert_int_equal(vg_event_add(ev, 0, VG_V_STR, S("only"), t, NULL), VG_OK);
            assert_int_equal(vg_event_index(ev), VG_OK);
            assert_int_equal(vg_event_path(ev, "a.b.c", 5), VG_NODE_NONE);
            assert_int_equal(vg_event_resolve(ev, "only", 4), 1);
            to_json(ev, &b);
            assert_string_equal(b.p, "{\"only\":\"copied\"}");
        }
    }
    vg_buf_fini(&b);
    vg_event_free(ev);
}

static void test_event_arena_cap(void **state)
{
    (void)state;
    vg_event_limits lim = {.max_nodes = 0, .max_depth = 0, .max_bytes = 64 * 1024};
    vg_event *ev = vg_event_new(&lim);
    assert_non_null(vg_event_alloc(ev, 1000));
    assert_null(vg_event_alloc(ev, 1 << 20));
    vg_span sp = vg_event_copy(ev, "abc", 3);
    assert_non_null(sp.p);
    assert_memory_equal(sp.p, "abc", 3);
    vg_event_free(ev);
}

static void test_event_alloc_failure(void **state)
{
    (void)state;
    /* vg_event_new fails cleanly at every allocation, then succeeds */
    vg_event *ev = NULL;
    for (long n = 0; !ev; n++) {
        assert_true(n < 100);
        vg_alloc_fail_after(n);
        ev = vg_event_new(NULL);
        vg_alloc_fail_after(-1);
    }
    /* growing the node array fails with NOMEM and leaves the event usable */
    for (int i = 0; i < 63; i++)
        add(ev, 0, VG_V_NUM, "k", "1");
    vg_alloc_fail_after(0);
    assert_int_equal(vg_event_add(ev, 0, VG_V_NUM, S("k"), S("1"), NULL), VG_ERR_NOMEM);
    vg_alloc_fail_after(-1);
    assert_int_equal(vg_event_count(ev), 64);
    add(ev, 0, VG_V_NUM, "k", "1");
    vg_event_free(ev);
}

static void test_event_to_json_structure(void **state)
{
    (void)state;
    vg_event *ev = vg_event_new(NULL);
    build_sample(ev);
    add(ev, 0, VG_V_OBJ, "eo", "");
    add(ev, 0, VG_V_ARR, "ea", "");
    add(ev, 0, VG_V_NULL, "nl", "null");
    add(ev, 0, VG_V_BOOL, "t", "true");
    add(ev, 0, VG_V_NUM, "f", "-1.5e+10");
    vg_buf b;
    vg_buf_init(&b, 0);
    to_json(ev, &b);
    assert_string_equal(
            b.p, "{\"a\":{\"b\":{\"c\":\"x\"}},\"arr\":[\"1\",\"2\"],"
                 "\"objs\":[{\"k\":\"v1\"},{\"k\":\"v2\",\"z\":\"q\"}],\"n\":7,\"id\":\"top\","
                 "\"sub\":{\"id\":\"inner\"},\"p\":{\"id\":\"deep\"},\"dup\":\"d1\",\"dup\":\"d2\","
                 "\"nested\":[[\"m\"]],\"eo\":{},\"ea\":[],\"nl\":null,\"t\":true,\"f\":-1.5e+10}");
    /* a sub-tree: an object inside an array, an array, a scalar; never its own key */
    const char *const sub[][2] = {{"objs", "[{\"k\":\"v1\"},{\"k\":\"v2\",\"z\":\"q\"}]"},
                                  {"a.b", "{\"c\":\"x\"}"},
                                  {"nested", "[[\"m\"]]"},
                                  {"n", "7"},
                                  {"eo", "{}"}};
    assert_int_equal(vg_event_index(ev), VG_OK);
    for (size_t k = 0; k < sizeof(sub) / sizeof(sub[0]); k++) {
        uint32_t at = vg_event_path(ev, sub[k][0], strlen(sub[k][0]));
        CHECK(sub[k][0], at != VG_NODE_NONE);
        vg_buf_clear(&b);
        vg_event_node_to_json(ev, at, &b);
        CHECK(sub[k][0], b.len > 0 && strcmp(b.p, sub[k][1]) == 0);
    }
    vg_buf_clear(&b);
    vg_event_node_to_json(ev, vg_event_count(ev), &b); /* out of range: nothing */
    assert_int_equal(b.len, 0);
    /* a deep chain is written without recursion */
    vg_event_reset(ev);
    uint32_t cur = 0;
    for (int i = 0; i < 64; i++)
        cur = add(ev, cur, VG_V_ARR, "d", "");
    to_json(ev, &b);
    assert_int_equal(b.len, 6 + 63 + 64 + 1);
    assert_memory_equal(b.p, "{\"d\":[[", 7);
    assert_memory_equal(b.p + b.len - 3, "]]}", 3);
    /* a capped buffer reports the overflow */
    vg_buf small;
    vg_buf_init(&small, 10);
    vg_event_to_json(ev, &small);
    assert_int_equal(vg_buf_status(&small), VG_ERR_LIMIT);
    vg_buf_fini(&small);
    vg_buf_fini(&b);
    vg_event_free(ev);
}

static void test_event_to_json_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *text;
        size_t len; /* 0 = strlen */
        const char *want;
    } rows[] = {
            {"plain", "abc", 0, "\"abc\""},
            {"empty", "", 0, "\"\""},
            {"quote and backslash", "a\"b\\c", 0, "\"a\\\"b\\\\c\""},
            {"newline cr tab", "\n\r\t", 0, "\"\\n\\r\\t\""},
            {"other controls", "\x01\x1f\b\f", 0, "\"\\u0001\\u001f\\u0008\\u000c\""},
            {"del", "\x7f", 0, "\"\\u007f\""},
            {"nul byte", "a\0b", 3, "\"a\\u0000b\""},
            {"slash kept", "a/b", 0, "\"a/b\""},
            {"valid utf-8 kept", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0,
             "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
            {"lone continuation byte", "a\x80z", 0, "\"a\\ufffdz\""},
            {"truncated sequence", "\xe2\x82", 0, "\"\\ufffd\\ufffd\""},
            {"overlong", "\xc0\xaf", 0, "\"\\ufffd\\ufffd\""},
            {"encoded surrogate", "\xed\xa0\x80", 0, "\"\\ufffd\\ufffd\\ufffd\""},
            {"past U+10FFFF", "\xf4\x90\x80\x80", 0, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
            {"0xff", "\xff", 0, "\"\\ufffd\""},
    };
    vg_event *ev = vg_event_new(NULL);
    vg_buf b;
    vg_buf_init(&b, 0);
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t n = rows[r].len ? rows[r].len : strlen(rows[r].text);
        vg_event_reset(ev);
        /* the same text as key and as value */
        assert_int_equal(vg_event_add(ev, 0, VG_V_STR, (vg_span){rows[r].text, n},
                                      (vg_span){rows[r].text, n}, NULL),
                         VG_OK);
        to_json(ev, &b);
        char want[256];
        snprintf(want, sizeof(want), "{%s:%s}", rows[r].want, rows[r].want);
        if (strcmp(b.p, want) != 0)
            fail_msg("[%s] got %s, want %s", rows[r].name, b.p, want);
    }
    vg_buf_fini(&b);
    vg_event_free(ev);
}

/* ---- the lean index (vg_event_index_some) ---- */

typedef struct want_set {
    const char *const *names;
    size_t n;
} want_set;

static bool want_names(const void *ctx, uint64_t h)
{
    const want_set *w = ctx;
    for (size_t i = 0; i < w->n; i++) {
        size_t n = strlen(w->names[i]);
        if (vg_hash_name(w->names[i], n) == h || vg_hash_path(w->names[i], n) == h)
            return true;
    }
    return false;
}

/* The chain of a lookup, as "i,j,k" (or "-"), for comparing two events. */
static const char *chain(const vg_event *ev, uint32_t first, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '-';
    buf[1] = '\0';
    for (uint32_t i = first; i != VG_NODE_NONE && o + 12 < cap; i = vg_event_node(ev, i)->next_same)
        o += (size_t)snprintf(buf + o, cap - o, "%s%u", o ? "," : "", i);
    return buf;
}

/* Every probe name looks up (as a path, as a leaf, resolved) the same chain in both. */
static void same_lookups(
        const vg_event *a, const vg_event *b, const char *const *probe, size_t n, const char *what)
{
    char ca[256], cb[256];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(probe[i]);
        uint32_t x[3] = {vg_event_path(a, probe[i], len), vg_event_leaf(a, probe[i], len),
                         vg_event_resolve(a, probe[i], len)};
        uint32_t y[3] = {vg_event_path(b, probe[i], len), vg_event_leaf(b, probe[i], len),
                         vg_event_resolve(b, probe[i], len)};
        for (int k = 0; k < 3; k++)
            if (strcmp(chain(a, x[k], ca, sizeof(ca)), chain(b, y[k], cb, sizeof(cb))) != 0)
                fail_msg("%s: '%s' (%s): lean %s, whole %s", what, probe[i],
                         k == 0   ? "path"
                         : k == 1 ? "leaf"
                                  : "resolve",
                         ca, cb);
    }
}

/* A lean index finds every wanted name exactly as the whole index does (chains in node
 * order, ambiguous leaves, space-less keys, arrays of arrays, keys with dots), finds no
 * other name, keeps every node's hashes, and once completed finds every name as the whole
 * index does. */
static void test_event_index_some(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *want[4];
        const char *probe[12];
        const char *absent[4]; /* not found before completion */
    } rows[] = {
            {"{\"a\":{\"b\":{\"c\":1}},\"x\":[{\"c\":2},{\"c\":3}],\"c\":4,\"d\":5}",
             {"c", "x"},
             {"c", "a.b.c", "x", "x.c", "a", "a.b", "b", "d", "nothere"},
             {"d", "a", "a.b", "b"}},
            {"{\"x\":[{\"c\":2},{\"c\":3}],\"y\":{\"c\":1},\"z\":[1,[2,3]]}",
             {"x.c", "z"},
             {"c", "x.c", "y.c", "x", "y", "z"},
             {"x", "y", "y.c"}},
            {"{\"Threat Name\":\"x\",\"y\":{\"Threat Name\":\"z\"},\"ThreatName\":1}",
             {"ThreatName"},
             {"ThreatName", "Threat Name", "y.Threat Name", "y", "Threat"},
             {"y"}},
            {"{\"a.b\":{\"c\":1},\"a\":{\"b.c\":2},\"q\":3}",
             {"c"},
             {"c", "b.c", "a.b.c", "a.b", "a", "q"},
             {NULL}}, /* keys with dots: indexed whole */
            {"{\"arr\":[[1,2],[3]],\"o\":{\"arr\":5},\"p\":[{\"arr\":[6]}]}",
             {"arr"},
             {"arr", "o.arr", "p.arr", "p", "o"},
             {"o", "p"}},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t nw = 0, np = 0;
        while (nw < 4 && rows[r].want[nw])
            nw++;
        while (np < 12 && rows[r].probe[np])
            np++;
        want_set w = {rows[r].want, nw};
        char b1[256], b2[256];
        size_t len = strlen(rows[r].json);
        memcpy(b1, rows[r].json, len + 1);
        memcpy(b2, rows[r].json, len + 1);
        vg_event *lean = vg_event_new(NULL), *whole = vg_event_new(NULL);
        assert_non_null(lean);
        assert_non_null(whole);
        assert_int_equal(vg_parse_json(lean, b1, len, NULL), VG_OK);
        assert_int_equal(vg_parse_json(whole, b2, len, NULL), VG_OK);
        assert_int_equal(vg_event_index_some(lean, want_names, &w), VG_OK);
        assert_int_equal(vg_event_index(whole), VG_OK);
        for (uint32_t i = 1; i < vg_event_count(whole); i++) {
            assert_true(vg_event_node(lean, i)->path_hash == vg_event_node(whole, i)->path_hash);
            assert_true(vg_event_node(lean, i)->key_hash == vg_event_node(whole, i)->key_hash);
        }
        same_lookups(lean, whole, rows[r].want, nw, rows[r].json);
        for (size_t i = 0; i < 4 && rows[r].absent[i]; i++) {
            const char *p = rows[r].absent[i];
            assert_int_not_equal(vg_event_resolve(whole, p, strlen(p)), VG_NODE_NONE);
            if (vg_event_path(lean, p, strlen(p)) != VG_NODE_NONE ||
                vg_event_leaf(lean, p, strlen(p)) != VG_NODE_NONE)
                fail_msg("%s: '%s' found before completion", rows[r].json, p);
        }
        assert_int_equal(vg_event_index(lean), VG_OK);
        same_lookups(lean, whole, rows[r].probe, np, rows[r].json);
        vg_event_free(lean);
        vg_event_free(whole);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_event_new_has_empty_root),
            cmocka_unit_test(test_event_add_links_children_in_order),
            cmocka_unit_test(test_event_add_array_elements_have_empty_key),
            cmocka_unit_test(test_event_add_rejects_bad_parent),
            cmocka_unit_test(test_event_index_paths),
            cmocka_unit_test(test_event_leaf_and_resolve),
            cmocka_unit_test(test_event_scalar_text),
            cmocka_unit_test(test_event_dotted_key_collides_with_nested_path),
            cmocka_unit_test(test_event_index_some),
            cmocka_unit_test(test_event_lookup_requires_index),
            cmocka_unit_test(test_event_max_nodes),
            cmocka_unit_test(test_event_max_depth),
            cmocka_unit_test(test_event_reset_and_reuse),
            cmocka_unit_test(test_event_arena_cap),
            cmocka_unit_test(test_event_alloc_failure),
            cmocka_unit_test(test_event_to_json_structure),
            cmocka_unit_test(test_event_to_json_escaping),
    };
    return cmocka_run_group_tests_name("event/event", tests, NULL, NULL);
}
