/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vcache.c: the prefilter's value cache: a value is found again only with the same
 * field slot and bytes; each part comes back as recorded (or as not
 * recorded); values too long or with too many atoms are not kept; a full store starts the
 * cache over; a small table keeps the most recently used values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "match/vcache.h"

static vg_vc_key key(uint32_t slot, const char *s)
{
    vg_vc_key k;
    assert_true(vg_vc_key_of(slot, s, strlen(s), &k));
    return k;
}

static void put3(vg_vcache *c, const vg_vc_key *k, uint32_t a, uint16_t n1)
{
    uint32_t ids[3] = {a, a + 1, a + 2};
    const uint32_t *parts[VG_VC_PARTS] = {ids, ids + 1, ids + 2};
    uint16_t n[VG_VC_PARTS] = {1, n1, VG_VC_NONE};
    vg_vcache_put(c, k, parts, n);
}

static void test_hit_needs_same_key(void **state)
{
    (void)state;
    vg_vcache *c = vg_vcache_new(64, 4096);
    assert_non_null(c);
    vg_vc_key k = key(3, "C:\\Windows\\System32\\cmd.exe");
    vg_vc_hit h;
    assert_false(vg_vcache_get(c, &k, &h));
    put3(c, &k, 10, 2);
    assert_true(vg_vcache_get(c, &k, &h));
    assert_int_equal(h.n[0], 1);
    assert_int_equal(h.ids[0][0], 10);
    assert_int_equal(h.n[1], 2);
    assert_int_equal(h.ids[1][0], 11);
    assert_int_equal(h.ids[1][1], 12);
    assert_int_equal(h.n[2], VG_VC_NONE);
    /* another slot, another byte, another case, a prefix: all misses */
    vg_vc_key other[] = {
            key(4, "C:\\Windows\\System32\\cmd.exe"), key(3, "C:\\Windows\\System32\\cmd.exf"),
            key(3, "c:\\Windows\\System32\\cmd.exe"), key(3, "C:\\Windows\\System32\\cmd.ex")};
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        if (vg_vcache_get(c, &other[i], &h))
            fail_msg("key %zu found", i);
    /* with the same hash (a collision) but another slot or other bytes: misses too */
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        vg_vc_key forged = other[i];
        forged.h = k.h;
        if (vg_vcache_get(c, &forged, &h))
            fail_msg("key %zu found with the hash of another", i);
    }
    vg_vc_stats st;
    vg_vcache_stats(c, &st);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.inserts, 1);
    vg_vcache_free(c);
}

static void test_limits(void **state)
{
    (void)state;
    vg_vcache *c = vg_vcache_new(64, 1 << 20);
    assert_non_null(c);
    char big[VG_VC_MAX_VALUE + 2];
    memset(big, 'a', sizeof(big));
    vg_vc_key k;
    assert_true(vg_vc_key_of(1, big, VG_VC_MAX_VALUE, &k));
    assert_false(vg_vc_key_of(1, big, VG_VC_MAX_VALUE + 1, &k));
    /* more atom reports than VG_VC_MAX_IDS: not kept */
    uint32_t ids[VG_VC_MAX_IDS + 1] = {0};
    const uint32_t *parts[VG_VC_PARTS] = {ids, ids, ids};
    uint16_t n[VG_VC_PARTS] = {VG_VC_MAX_IDS, 1, VG_VC_NONE};
    k = key(1, "value");
    vg_vcache_put(c, &k, parts, n);
    vg_vc_hit h;
    assert_false(vg_vcache_get(c, &k, &h));
    n[1] = 0;
    vg_vcache_put(c, &k, parts, n);
    assert_true(vg_vcache_get(c, &k, &h));
    assert_int_equal(h.n[0], VG_VC_MAX_IDS);
    assert_int_equal(h.n[1], 0);
    /* the empty value is a value */
    vg_vc_key e = key(1, "");
    assert_false(vg_vcache_get(c, &e, &h));
    put3(c, &e, 7, 0);
    assert_true(vg_vcache_get(c, &e, &h));
    assert_int_equal(h.ids[0][0], 7);
    vg_vcache_free(c);
}

/* A store of 256 bytes holds a few values; past it the cache starts over, and what was
 * put after that is found. */
static void test_full_store_starts_over(void **state)
{
    (void)state;
    vg_vcache *c = vg_vcache_new(64, 256);
    assert_non_null(c);
    char v[32];
    for (uint32_t i = 0; i < 20; i++) {
        snprintf(v, sizeof(v), "value-%02u-padding-pad", i); /* 21 bytes + 2 ids: 32 bytes */
        vg_vc_key k = key(0, v);
        put3(c, &k, i * 10, 1);
    }
    vg_vc_stats st;
    vg_vcache_stats(c, &st);
    assert_true(st.resets >= 1);
    vg_vc_hit h;
    snprintf(v, sizeof(v), "value-%02u-padding-pad", 19u);
    vg_vc_key last = key(0, v);
    assert_true(vg_vcache_get(c, &last, &h));
    assert_int_equal(h.ids[0][0], 190);
    snprintf(v, sizeof(v), "value-%02u-padding-pad", 0u);
    vg_vc_key first = key(0, v);
    assert_false(vg_vcache_get(c, &first, &h));
    vg_vcache_free(c);
}

/* A table of four entries (one probe window): the fifth value replaces the least recently
 * used one. */
static void test_replaces_least_recent(void **state)
{
    (void)state;
    vg_vcache *c = vg_vcache_new(4, 1 << 16);
    assert_non_null(c);
    vg_vc_key k[5] = {key(0, "a0"), key(0, "a1"), key(0, "a2"), key(0, "a3"), key(0, "a4")};
    vg_vc_hit h;
    for (int i = 0; i < 4; i++)
        put3(c, &k[i], (uint32_t)i, 0);
    for (int i = 0; i < 4; i++)
        assert_true(vg_vcache_get(c, &k[i], &h));
    assert_true(vg_vcache_get(c, &k[0], &h)); /* a1 is now the least recent */
    put3(c, &k[4], 4, 0);
    assert_false(vg_vcache_get(c, &k[1], &h));
    assert_true(vg_vcache_get(c, &k[0], &h));
    assert_true(vg_vcache_get(c, &k[4], &h));
    assert_int_equal(h.ids[0][0], 4);
    vg_vcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hit_needs_same_key),
            cmocka_unit_test(test_limits),
            cmocka_unit_test(test_full_store_starts_over),
            cmocka_unit_test(test_replaces_least_recent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
