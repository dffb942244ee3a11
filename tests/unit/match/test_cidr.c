/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cidr.c: unit tests for match/cidr.c: network parsing (prefix bounds, host bits,
 * malformed text) and membership for IPv4, IPv6, IPv4-mapped values and zone ids.
 * Every table row names itself (network and value) on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "match/cidr.h"

typedef struct parse_row {
    const char *net;
    bool ok;
    bool v6;
    unsigned prefix;
    uint8_t addr[16]; /* expected network address (host bits cleared) */
} parse_row;

static const parse_row parse_rows[] = {
        {"10.0.0.0/8", true, false, 8, {10}},
        {"10.1.2.3/8", true, false, 8, {10}},
        {"10.1.2.3", true, false, 32, {10, 1, 2, 3}},
        {"10.1.2.3/32", true, false, 32, {10, 1, 2, 3}},
        {"192.168.255.255/23", true, false, 23, {192, 168, 254, 0}},
        {"255.255.255.255/0", true, false, 0, {0}},
        {"0.0.0.0/0", true, false, 0, {0}},
        {"172.16.0.1/12", true, false, 12, {172, 16}},
        {"172.31.255.255/12", true, false, 12, {172, 16}},
        {"1.2.3.4/31", true, false, 31, {1, 2, 3, 4}},
        {"1.2.3.5/31", true, false, 31, {1, 2, 3, 4}},
        {"::/0", true, true, 0, {0}},
        {"::1", true, true, 128, {[15] = 1}},
        {"::1/128", true, true, 128, {[15] = 1}},
        {"fe80::1/10", true, true, 10, {0xFE, 0x80}},
        {"febf:ffff::/10", true, true, 10, {0xFE, 0x80}},
        {"2001:db8::/32", true, true, 32, {0x20, 0x01, 0x0D, 0xB8}},
        {"2001:DB8:1:2:3:4:5:6/64", true, true, 64, {0x20, 0x01, 0x0D, 0xB8, 0, 1, 0, 2}},
        {"2001:db8::ffff/127", true, true, 127, {0x20, 0x01, 0x0D, 0xB8, [14] = 0xFF, 0xFE}},
        {"::ffff:10.0.0.0/104", true, true, 104, {[10] = 0xFF, 0xFF, 10}},
        /* malformed */
        {"", false, false, 0, {0}},
        {"/8", false, false, 0, {0}},
        {"10.0.0.0/", false, false, 0, {0}},
        {"10.0.0.0/33", false, false, 0, {0}},
        {"10.0.0.0/-1", false, false, 0, {0}},
        {"10.0.0.0/+8", false, false, 0, {0}},
        {"10.0.0.0/08", false, false, 0, {0}},
        {"10.0.0.0/8 ", false, false, 0, {0}},
        {" 10.0.0.0/8", false, false, 0, {0}},
        {"10.0.0.0/8/8", false, false, 0, {0}},
        {"10.0.0.0/1000", false, false, 0, {0}},
        {"10.0.0/8", false, false, 0, {0}},
        {"10.0.0.256/8", false, false, 0, {0}},
        {"10.0.0.0.0", false, false, 0, {0}},
        {"ten.0.0.0/8", false, false, 0, {0}},
        {"::/129", false, false, 0, {0}},
        {"::1/", false, false, 0, {0}},
        {"1::2::3/64", false, false, 0, {0}},
        {"fe80::1%eth0/64", false, false, 0, {0}},
        {"fe80::1%eth0", false, false, 0, {0}},
        {"10.0.0.0/a", false, false, 0, {0}},
        {"0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0/0", false, false, 0, {0}},
};

static void test_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        const parse_row *r = &parse_rows[i];
        vg_cidr c;
        memset(&c, 0xAA, sizeof(c));
        vg_status rc = vg_cidr_parse(r->net, strlen(r->net), &c);
        if (rc != (r->ok ? VG_OK : VG_ERR_INVALID))
            fail_msg("parse row %zu '%s': status %s, want %s", i, r->net, vg_status_str(rc),
                     r->ok ? "ok" : "invalid");
        if (!r->ok)
            continue;
        if (c.v6 != r->v6 || c.prefix != r->prefix || memcmp(c.addr, r->addr, 16) != 0)
            fail_msg("parse row %zu '%s': v6=%d prefix=%u, want v6=%d prefix=%u (or address "
                     "differs)",
                     i, r->net, (int)c.v6, c.prefix, (int)r->v6, r->prefix);
    }
}

/* Parsing uses the given length, not a terminating NUL. */
static void test_parse_lengths(void **state)
{
    (void)state;
    vg_cidr c;
    assert_int_equal(vg_cidr_parse("10.0.0.0/8XYZ", 10, &c), VG_OK);
    assert_int_equal(c.prefix, 8);
    assert_int_equal(vg_cidr_parse("10.0.0.0/8\0", 11, &c), VG_ERR_INVALID);
    assert_int_equal(vg_cidr_parse(NULL, 0, &c), VG_ERR_INVALID);
    char longtxt[80];
    memset(longtxt, '0', sizeof(longtxt));
    assert_int_equal(vg_cidr_parse(longtxt, sizeof(longtxt), &c), VG_ERR_INVALID);
}

typedef struct match_row {
    const char *net;
    const char *ip;
    bool want;
} match_row;

static const match_row match_rows[] = {
        {"10.0.0.0/8", "10.0.0.0", true},
        {"10.0.0.0/8", "10.255.255.255", true},
        {"10.0.0.0/8", "10.1.2.3", true},
        {"10.0.0.0/8", "11.0.0.0", false},
        {"10.0.0.0/8", "9.255.255.255", false},
        {"10.1.2.3/8", "10.200.0.1", true}, /* host bits ignored */
        {"192.168.1.0/24", "192.168.1.77", true},
        {"192.168.1.0/24", "192.168.2.77", false},
        {"192.168.0.0/23", "192.168.1.1", true},
        {"192.168.0.0/23", "192.168.2.1", false},
        {"172.16.0.0/12", "172.31.0.1", true},
        {"172.16.0.0/12", "172.32.0.1", false},
        {"0.0.0.0/0", "1.2.3.4", true},
        {"0.0.0.0/0", "255.255.255.255", true},
        {"0.0.0.0/0", "::1", false}, /* other family */
        {"1.2.3.4/32", "1.2.3.4", true},
        {"1.2.3.4/32", "1.2.3.5", false},
        {"1.2.3.4", "1.2.3.4", true},
        {"1.2.3.4/31", "1.2.3.5", true},
        {"1.2.3.4/31", "1.2.3.6", false},
        /* IPv4-mapped IPv6 values match IPv4 networks */
        {"10.0.0.0/8", "::ffff:10.1.2.3", true},
        {"10.0.0.0/8", "::FFFF:a01:203", true},
        {"10.0.0.0/8", "::ffff:11.1.2.3", false},
        {"10.0.0.0/8", "::10.1.2.3", false},       /* IPv4-compatible, not mapped */
        {"10.0.0.0/8", "64:ff9b::a01:203", false}, /* NAT64, not mapped */
        {"::ffff:0:0/96", "::ffff:10.1.2.3", true},
        {"::ffff:0:0/96", "10.1.2.3", false}, /* IPv4 values never match IPv6 networks */
        {"::/0", "10.1.2.3", false},
        /* IPv6 */
        {"::/0", "::", true},
        {"::/0", "2001:db8::1", true},
        {"::1/128", "::1", true},
        {"::1/128", "::2", false},
        {"::1", "0:0:0:0:0:0:0:1", true},
        {"2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
        {"2001:db8::/32", "2001:db9::", false},
        {"2001:db8::/32", "2001:DB8::ABCD", true},
        {"fe80::/10", "fe80::1", true},
        {"fe80::/10", "febf::1", true},
        {"fe80::/10", "fec0::1", false},
        {"2001:db8::/127", "2001:db8::1", true},
        {"2001:db8::/127", "2001:db8::2", false},
        {"2001:db8:0:1::/64", "2001:db8:0:1:1:2:3:4", true},
        {"2001:db8:0:1::/64", "2001:db8:0:2:1:2:3:4", false},
        /* zone ids on values */
        {"fe80::/10", "fe80::1%eth0", true},
        {"fe80::/10", "fe80::1%25", true},
        {"fe80::/10", "fec0::1%eth0", false},
        {"fe80::/10", "fe80::1%", false},
        {"10.0.0.0/8", "10.1.2.3%eth0", false}, /* no zones on IPv4 */
        {"10.0.0.0/8", "::ffff:10.1.2.3%eth0", true},
        /* malformed values */
        {"10.0.0.0/8", "", false},
        {"10.0.0.0/8", "10.1.2", false},
        {"10.0.0.0/8", "10.1.2.3.4", false},
        {"10.0.0.0/8", "10.1.2.256", false},
        {"10.0.0.0/8", "10.1.2.3/32", false},
        {"10.0.0.0/8", " 10.1.2.3", false},
        {"10.0.0.0/8", "10.1.2.3 ", false},
        {"10.0.0.0/8", "010.1.2.3", false},
        {"10.0.0.0/8", "localhost", false},
        {"10.0.0.0/8", "-", false},
        {"::/0", "1::2::3", false},
        {"::/0", "::g", false},
        {"::/0", "[::1]", false},
};

static void test_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
        const match_row *r = &match_rows[i];
        vg_cidr c;
        if (vg_cidr_parse(r->net, strlen(r->net), &c) != VG_OK)
            fail_msg("match row %zu: network '%s' did not parse", i, r->net);
        bool got = vg_cidr_match(&c, r->ip, strlen(r->ip));
        if (got != r->want)
            fail_msg("match row %zu: '%s' in '%s': got %d, want %d", i, r->ip, r->net, (int)got,
                     (int)r->want);
    }
}

static void test_match_lengths(void **state)
{
    (void)state;
    vg_cidr c;
    assert_int_equal(vg_cidr_parse("10.0.0.0/8", 10, &c), VG_OK);
    assert_true(vg_cidr_match(&c, "10.1.2.3trailing", 8));
    assert_false(vg_cidr_match(&c, "10.1.2.3\0", 9));
    assert_false(vg_cidr_match(&c, NULL, 0));
    char longtxt[100];
    memset(longtxt, '1', sizeof(longtxt));
    memcpy(longtxt, "10.1.2.3", 8);
    assert_false(vg_cidr_match(&c, longtxt, sizeof(longtxt)));
    /* Exactly 64 bytes is still accepted (the zone is then stripped). */
    assert_int_equal(vg_cidr_parse("::/0", 4, &c), VG_OK);
    const char *v6_64 = "0000:0000:0000:0000:0000:0000:0000:0001%eth0123456789abcdefghijk";
    assert_int_equal(strlen(v6_64), 64);
    assert_true(vg_cidr_match(&c, v6_64, 64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_parse_lengths),
            cmocka_unit_test(test_match),
            cmocka_unit_test(test_match_lengths),
    };
    return cmocka_run_group_tests_name("match/cidr", tests, NULL, NULL);
}
