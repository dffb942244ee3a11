/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.h: hashing shared by the engine's hash tables and alert ids: FNV-1a over bytes from
 * a given state (so several parts can be chained), and a 64-bit finaliser that spreads every
 * input bit over the whole word, so the low bits can index a power-of-two table.
 */
#ifndef VIGIL_BASE_HASH_H
#define VIGIL_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define VG_FNV_OFFSET 1469598103934665603ull

static inline uint64_t vg_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static inline uint64_t vg_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

#endif
