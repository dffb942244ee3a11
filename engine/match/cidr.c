/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cidr.c: IPv4/IPv6 network parsing and membership (see match/cidr.h).
 *
 * Addresses are read with inet_pton from a NUL-terminated copy on the stack; text longer
 * than MAX_TEXT bytes (or holding a NUL byte) is rejected without parsing. The prefix
 * length after '/' is 1 to 3 decimal digits without sign or leading zero ("0" itself is
 * fine), at most 32 for IPv4 and 128 for IPv6; "10.0.0.0/" and "/8" are invalid. Host bits
 * of the network address are cleared at parse time, so matching is a masked compare.
 *
 * Zone ids: a value such as "fe80::1%eth0" has its zone ("%..." to the end, non-empty)
 * stripped before parsing and then matches like "fe80::1". Networks may not carry a zone.
 *
 * Families: an IPv4 network matches IPv4 values and IPv4-mapped IPv6 values
 * (::ffff:a.b.c.d); an IPv6 network matches IPv6 values only (an IPv4 value never matches
 * one, even ::/0).
 */
#include "match/cidr.h"

#include <arpa/inet.h>
#include <string.h>

#define MAX_TEXT 64

/* Copy [s, s+len) to buf as a C string; false when too long, empty or holding a NUL. */
static bool copy_text(const char *s, size_t len, char buf[MAX_TEXT + 1])
{
    if (!s || len == 0 || len > MAX_TEXT || memchr(s, '\0', len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

/* Parse a bare address (no prefix, no zone) into addr; *v6 tells the family. */
static bool parse_addr(const char *txt, uint8_t addr[16], bool *v6)
{
    memset(addr, 0, 16);
    if (strchr(txt, ':')) {
        *v6 = true;
        return inet_pton(AF_INET6, txt, addr) == 1;
    }
    *v6 = false;
    return inet_pton(AF_INET, txt, addr) == 1;
}

static bool parse_prefix(const char *txt, unsigned max, unsigned *out)
{
    size_t n = strlen(txt);
    if (n == 0 || n > 3 || (n > 1 && txt[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (txt[i] < '0' || txt[i] > '9')
            return false;
        v = v * 10 + (unsigned)(txt[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Do the first `bits` bits of a and b agree? */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (whole > 0 && memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

vg_status vg_cidr_parse(const char *s, size_t len, vg_cidr *out)
{
    char buf[MAX_TEXT + 1];
    if (!out || !copy_text(s, len, buf))
        return VG_ERR_INVALID;
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (buf[0] == '\0')
        return VG_ERR_INVALID;
    uint8_t addr[16];
    bool v6;
    if (!parse_addr(buf, addr, &v6))
        return VG_ERR_INVALID;
    unsigned max = v6 ? 128 : 32;
    unsigned prefix = max;
    if (slash && !parse_prefix(slash + 1, max, &prefix))
        return VG_ERR_INVALID;

    /* Clear the host bits. */
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (rest != 0) {
        addr[whole] &= (uint8_t)(0xFFu << (8 - rest));
        whole++;
    }
    memset(addr + whole, 0, 16 - whole);

    memcpy(out->addr, addr, 16);
    out->prefix = (uint8_t)prefix;
    out->v6 = v6;
    return VG_OK;
}

bool vg_cidr_match(const vg_cidr *net, const char *ip, size_t len)
{
    char buf[MAX_TEXT + 1];
    if (!net || !copy_text(ip, len, buf))
        return false;
    char *zone = strchr(buf, '%');
    if (zone) {
        if (!strchr(buf, ':') || zone[1] == '\0')
            return false;
        *zone = '\0';
    }
    uint8_t addr[16];
    bool v6;
    if (!parse_addr(buf, addr, &v6))
        return false;
    if (net->v6)
        return v6 && prefix_eq(addr, net->addr, net->prefix);
    if (v6) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (memcmp(addr, mapped, sizeof(mapped)) != 0)
            return false;
        return prefix_eq(addr + 12, net->addr, net->prefix);
    }
    return prefix_eq(addr, net->addr, net->prefix);
}
