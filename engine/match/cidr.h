/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cidr.h: IPv4 and IPv6 networks (the Sigma `cidr` modifier).
 *
 * A network is parsed from "a.b.c.d/len", "a.b.c.d" (a /32), "v6addr/len" or "v6addr"
 * (a /128), using inet_pton rules for the address. A value matches when it parses as an
 * address of the same family inside the network. IPv4-mapped IPv6 values
 * ("::ffff:10.1.2.3") match IPv4 networks. Host bits set in the network address are
 * ignored (10.1.2.3/8 is 10.0.0.0/8).
 */
#ifndef VIGIL_MATCH_CIDR_H
#define VIGIL_MATCH_CIDR_H

#include "vigil/base.h"

typedef struct vg_cidr {
    uint8_t addr[16]; /* network, host bits cleared; IPv4 in addr[0..3] */
    uint8_t prefix;   /* bits */
    bool v6;
} vg_cidr;

/* VG_ERR_INVALID with a bad address or prefix length. */
vg_status vg_cidr_parse(const char *s, size_t len, vg_cidr *out);
bool vg_cidr_match(const vg_cidr *net, const char *ip, size_t len);

#endif
