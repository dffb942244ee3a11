/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.h: the 64-bit finaliser shared by the engine's hash tables and alert ids (spreads
 * every input bit over the whole word, so the low bits can index a power-of-two table).
 */
#ifndef VIGIL_BASE_HASH_H
#define VIGIL_BASE_HASH_H

#include <stdint.h>

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
