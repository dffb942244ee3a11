/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_present.c: the field slots an event may resolve, found from its names: a rule field
 * is marked when it is the event's full path of a value, a key at any depth, or a key with
 * its spaces removed; each slot once; fields the event does not name are not marked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/present.h"
#include "sigma/ruleset_int.h"
#include "vigil/diag.h"
#include "vigil/event.h"
#include "vigil/parse.h"
#include "vigil/ruleset.h"

static const char rules[] = "title: t\nid: p0\nlogsource: {product: any}\n"
                            "detection:\n"
                            "  a: {Image: x, Event.EventData.User: y, ThreatName: z}\n"
                            "  b: {User: u, CommandLine: c, Parent.Image: p, Hashes: h}\n"
                            "  condition: a or b\n"
                            "---\n"
                            "title: t2\nid: p1\nlogsource: {product: any}\n"
                            "detection: {a: {Image|endswith: q, Missing.Deep: m}, condition: a}\n";

typedef struct fixture {
    vg_ruleset *rs;
    vg_present *p;
    vg_event *ev;
    uint32_t *stamp, *list;
    uint32_t gen;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    assert_int_equal(vg_ruleset_add_rules(f->rs, "p.yml", rules, strlen(rules), d), VG_OK);
    assert_int_equal(vg_ruleset_finish(f->rs, d), VG_OK);
    assert_int_equal(vg_diags_errors(d), 0);
    vg_diags_free(d);
    f->p = vg_present_new(f->rs);
    f->ev = vg_event_new(NULL);
    f->stamp = calloc(f->rs->fslots.n, sizeof(uint32_t));
    f->list = calloc(f->rs->fslots.n, sizeof(uint32_t));
    assert_non_null(f->p);
    assert_non_null(f->ev);
    assert_non_null(f->stamp);
    assert_non_null(f->list);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vg_present_free(f->p);
    vg_event_free(f->ev);
    vg_ruleset_free(f->rs);
    free(f->stamp);
    free(f->list);
    free(f);
    return 0;
}

/* The names of the slots marked for one event, sorted and joined by spaces. */
static const char *marked(fixture *f, const char *json)
{
    static char out[512];
    char buf[512];
    size_t n = strlen(json);
    assert_true(n < sizeof(buf));
    memcpy(buf, json, n + 1);
    vg_event_reset(f->ev);
    assert_int_equal(vg_parse_json(f->ev, buf, n, NULL), VG_OK);
    assert_int_equal(vg_event_index(f->ev), VG_OK);
    size_t k = vg_present_mark(f->p, f->ev, f->stamp, ++f->gen, f->list);
    const char *names[64];
    assert_true(k <= 64);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(f->stamp[f->list[i]], f->gen);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(f->list[i], f->list[j]); /* each slot once */
        names[i] = f->rs->fslots.v[f->list[i]].name;
    }
    for (size_t i = 1; i < k; i++) /* insertion sort by name */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < k; i++) {
        int w = snprintf(out + at, sizeof(out) - at, "%s%s", i ? " " : "", names[i]);
        assert_true(w > 0 && (size_t)w < sizeof(out) - at);
        at += (size_t)w;
    }
    /* slots not listed keep an older stamp */
    size_t stamped = 0;
    for (size_t s = 0; s < f->rs->fslots.n; s++)
        stamped += f->stamp[s] == f->gen;
    assert_int_equal(stamped, k);
    return out;
}

static void test_paths_keys_spaces(void **state)
{
    fixture *f = *state;
    /* a top-level key; a nested path and its leaf key; a key with a space */
    assert_string_equal(marked(f, "{\"Image\":\"a\",\"Event\":{\"EventData\":{\"User\":\"b\"}},"
                                  "\"Threat Name\":\"c\",\"Other\":1}"),
                        "Event.EventData.User Image ThreatName User");
    /* the same key at two depths, in an array: one mark */
    assert_string_equal(marked(f, "{\"A\":{\"User\":1},\"B\":[{\"User\":2},{\"User\":3}]}"),
                        "User");
    /* a dotted rule field as a path; its last part alone is not a rule field */
    assert_string_equal(marked(f, "{\"Parent\":{\"Image\":\"x\"}}"), "Image Parent.Image");
    /* nothing the rules name */
    assert_string_equal(marked(f, "{\"Missing\":{\"Shallow\":1},\"Deep\":2,\"x\":[1,2]}"), "");
    assert_string_equal(marked(f, "{}"), "");
    /* names compare exactly, apart from the spaces of keys */
    assert_string_equal(marked(f, "{\"image\":1,\"Hash\":2,\"Hashes_\":3,\"Parent.image\":4}"), "");
    assert_string_equal(marked(f, "{\"Hash es\":3}"), "Hashes");
}

/* The slots marked, as a sorted bit list over every slot (for comparing two markings). */
static void mark_set(fixture *f, size_t k, uint8_t *set)
{
    memset(set, 0, f->rs->fslots.n);
    for (size_t i = 0; i < k; i++) {
        assert_int_equal(set[f->list[i]], 0); /* each slot once */
        assert_int_equal(f->stamp[f->list[i]], f->gen);
        set[f->list[i]] = 1;
    }
}

/* Through the cache, events of the same and of other shapes (repeated, alternating, with
 * spaces in keys, the same keys in another order or nesting, too many nodes to be cached)
 * get exactly the marks of the plain pass. */
static void test_cache(void **state)
{
    fixture *f = *state;
    static const char *const events[] = {
            "{\"Image\":\"a\",\"Event\":{\"EventData\":{\"User\":\"b\"}}}",
            "{\"Image\":\"other value\",\"Event\":{\"EventData\":{\"User\":\"c\"}}}",
            "{\"Event\":{\"EventData\":{\"User\":\"b\"}},\"Image\":\"a\"}",
            "{\"Event\":{\"EventData\":{\"Image\":\"b\"}},\"User\":\"a\"}",
            "{\"Threat Name\":1,\"Image\":2}",
            "{\"ThreatName\":1,\"Image\":2}",
            "{\"Threat Nam e\":1,\"Image\":2}",
            "{\"x\":[1,2,3],\"Hashes\":\"h\"}",
            "{\"x\":[1,2],\"Hashes\":\"h\"}",
            "{\"Parent\":{\"Image\":1}}",
            "{\"Parent\":[{\"Image\":1}]}",
            "{}",
    };
    uint8_t *want = calloc(f->rs->fslots.n, 1), *got = calloc(f->rs->fslots.n, 1);
    char *big = malloc(8192);
    assert_non_null(want);
    assert_non_null(got);
    assert_non_null(big);
    /* an event of 200 values, one of them a rule field (not cached: too many nodes) */
    size_t at = 0;
    at += (size_t)snprintf(big, 8192, "{\"User\":1");
    for (int i = 0; i < 200; i++)
        at += (size_t)snprintf(big + at, 8192 - at, ",\"k%d\":%d", i, i);
    snprintf(big + at, 8192 - at, "}");
    vg_present_cache *c = vg_present_cache_new();
    assert_non_null(c);
    size_t n_events = sizeof(events) / sizeof(events[0]);
    for (size_t round = 0; round < 3; round++) {
        for (size_t i = 0; i <= n_events; i++) {
            const char *json = i < n_events ? events[(i * (round + 1)) % n_events] : big;
            char buf[8192];
            size_t n = strlen(json);
            memcpy(buf, json, n + 1);
            vg_event_reset(f->ev);
            assert_int_equal(vg_parse_json(f->ev, buf, n, NULL), VG_OK);
            assert_int_equal(vg_event_index(f->ev), VG_OK);
            size_t k = vg_present_mark(f->p, f->ev, f->stamp, ++f->gen, f->list);
            mark_set(f, k, want);
            for (int twice = 0; twice < 2; twice++) { /* the second time from the cache */
                k = vg_present_mark_cached(f->p, c, f->ev, f->stamp, ++f->gen, f->list);
                mark_set(f, k, got);
                if (memcmp(want, got, f->rs->fslots.n) != 0)
                    fail_msg("round %zu, event %s: the cache marks other slots", round, json);
            }
        }
    }
    vg_present_cache_free(c);
    free(want);
    free(got);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_paths_keys_spaces, setup, teardown),
            cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
    };
    return cmocka_run_group_tests_name("match/present", tests, NULL, NULL);
}
