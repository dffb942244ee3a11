/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ckpt.c: the checkpoint's bytes (ckpt.h) and the outbox's records (outbox.h): what is
 * written reads back the same, and bytes from a broken or hostile Redis (every truncation,
 * every single-bit flip, absurd counts) are refused with a message or read as something
 * well-formed, never past their end (run under ASan too).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ckpt.h"
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

static void fill_outbox(outbox *o)
{
    obx_msg m;
    memset(&m, 0, sizeof(m));
    m.kind = OBX_ALERT;
    m.id = "0123456789abcdef0123456789abcdef";
    m.id_len = 32;
    m.key = "rule-1\nuser=bob";
    m.key_len = strlen(m.key);
    m.value = "{\"id\":\"0123456789abcdef0123456789abcdef\"}";
    m.value_len = strlen(m.value);
    m.hdr[0] = (obx_hdr){"vigil-alert-id", m.id, 32};
    m.hdr[1] = (obx_hdr){"vigil-kind", "correlation", 11};
    m.n_hdr = 2;
    assert_true(obx_add(o, &m));
    memset(&m, 0, sizeof(m));
    m.kind = OBX_DEAD;
    m.id = "ev/3/17";
    m.id_len = 7;
    m.key = m.id;
    m.key_len = 7;
    m.value = "{broken\0bytes";
    m.value_len = 13;
    m.hdr[0] = (obx_hdr){"vigil-error", "json parse error", 16};
    m.n_hdr = 1;
    assert_true(obx_add(o, &m));
}

static void make(vg_buf *out, outbox *o)
{
    ckpt_pos offs[2] = {{"events", 6, 0, 12345}, {"events", 6, 3, 0}};
    ckpt_pos marks[1] = {{"alerts", 6, 1, 77}};
    ckpt c = {42, offs, 2, marks, 1, o->bytes.p, o->bytes.len, "STATE", 5};
    ckpt_encode(&c, out);
    assert_int_equal(vg_buf_status(out), VG_OK);
}

static void test_round_trip(void **state)
{
    (void)state;
    outbox o;
    obx_init(&o);
    fill_outbox(&o);
    assert_int_equal(o.count, 2);
    assert_int_equal(o.alerts, 1);
    vg_buf b;
    vg_buf_init(&b, 0);
    make(&b, &o);
    ckpt c;
    char err[200];
    assert_int_equal(ckpt_decode(&c, b.p, b.len, err, sizeof(err)), VG_OK);
    assert_int_equal(c.seq, 42);
    assert_int_equal(c.n_offsets, 2);
    assert_memory_equal(c.offsets[0].topic, "events", 6);
    assert_int_equal(c.offsets[0].offset, 12345);
    assert_int_equal(c.offsets[1].partition, 3);
    assert_int_equal(c.n_marks, 1);
    assert_int_equal(c.marks[0].offset, 77);
    assert_int_equal(c.state_len, 5);
    assert_memory_equal(c.state, "STATE", 5);
    obx_iter it;
    obx_iter_init(&it, c.outbox, c.outbox_len);
    obx_msg m;
    assert_int_equal(obx_next(&it, &m, err, sizeof(err)), 1);
    assert_int_equal(m.kind, OBX_ALERT);
    assert_int_equal(m.n_hdr, 2);
    assert_string_equal(m.hdr[1].name, "vigil-kind");
    assert_memory_equal(m.key, "rule-1\nuser=bob", 15);
    assert_int_equal(obx_next(&it, &m, err, sizeof(err)), 1);
    assert_int_equal(m.kind, OBX_DEAD);
    assert_int_equal(m.value_len, 13);
    assert_memory_equal(m.value, "{broken\0bytes", 13);
    assert_int_equal(obx_next(&it, &m, err, sizeof(err)), 0);
    ckpt_free(&c);
    vg_buf_fini(&b);
    obx_fini(&o);
}

/* Read everything a decoded checkpoint holds, as the daemon would. */
static void walk(const void *p, size_t n)
{
    ckpt c;
    char err[200];
    if (ckpt_decode(&c, p, n, err, sizeof(err)) != VG_OK) {
        assert_true(err[0] != '\0');
        return;
    }
    obx_iter it;
    obx_iter_init(&it, c.outbox, c.outbox_len);
    obx_msg m;
    int rc, guard = 0;
    while ((rc = obx_next(&it, &m, err, sizeof(err))) == 1 && guard++ < 1000)
        assert_true(m.value_len <= c.outbox_len && m.n_hdr <= OBX_MAX_HEADERS);
    ckpt_free(&c);
}

static void test_truncations_and_bit_flips(void **state)
{
    (void)state;
    outbox o;
    obx_init(&o);
    fill_outbox(&o);
    vg_buf b;
    vg_buf_init(&b, 0);
    make(&b, &o);
    ckpt c;
    char err[200];
    for (size_t n = 0; n < b.len; n++) {
        /* a copy of exactly n bytes, so that ASan sees any read past them */
        char *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, b.p, n);
        err[0] = '\0';
        assert_int_not_equal(ckpt_decode(&c, cut, n, err, sizeof(err)), VG_OK);
        assert_non_null(strstr(err, "checkpoint"));
        free(cut);
    }
    char *copy = malloc(b.len);
    assert_non_null(copy);
    for (size_t i = 0; i < b.len * 8; i++) {
        memcpy(copy, b.p, b.len);
        copy[i / 8] ^= (char)(1u << (i % 8));
        walk(copy, b.len);
    }
    free(copy);
    vg_buf_fini(&b);
    obx_fini(&o);
}

static void test_absurd_counts_refused(void **state)
{
    (void)state;
    /* magic, version 1, seq, then 2^32-1 offsets in a handful of bytes */
    const unsigned char bad[] = {'V', 'G', 'C', 'K', 1,    0,    0,    0,    9, 0, 0, 0,
                                 0,   0,   0,   0,   0xff, 0xff, 0xff, 0xff, 1, 2, 3};
    ckpt c;
    char err[200];
    assert_int_equal(ckpt_decode(&c, bad, sizeof(bad), err, sizeof(err)), VG_ERR_INVALID);
    assert_non_null(strstr(err, "partitions"));
    const unsigned char v2[] = {'V', 'G', 'C', 'K', 2, 0, 0, 0};
    assert_int_equal(ckpt_decode(&c, v2, sizeof(v2), err, sizeof(err)), VG_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "version 2"));
    /* an outbox record announcing more than there is */
    const unsigned char rec[] = {1, 32, 0, 0, 0, 'x'};
    obx_iter it;
    obx_iter_init(&it, rec, sizeof(rec));
    obx_msg m;
    assert_int_equal(obx_next(&it, &m, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "outbox"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_trip),
            cmocka_unit_test(test_truncations_and_bit_flips),
            cmocka_unit_test(test_absurd_counts_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
