/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vcache.h: a per-thread cache of what the prefilter saw in one field value, so that a value
 * that comes again (the same Image, ParentImage, User or command line, event after event) is
 * not scanned and looked up again.
 *
 * DESIGN
 * The atoms a field's value marks are a function of the field slot and the value's bytes
 * (see prefilter.c: value_atoms; a boolean's text, true or false, is no number, so being a
 * boolean changes nothing), in three parts: its
 * exact-value atoms, the literals its field database reports and the regexes its regex
 * database reports. An entry keeps the value's bytes (a hit compares them all: a hash
 * collision is a miss, never a wrong answer) and each part's atom list, or "not recorded"
 * for a part whose database was skipped when the entry was made. Entries live in a table of
 * fixed size (open addressing, a few probes, the oldest entry of the probe window replaced)
 * and their bytes in a store of fixed size; when the store is full the whole cache starts
 * over. Bounded: values longer than VG_VC_MAX_VALUE bytes and values with more than
 * VG_VC_MAX_IDS atom reports are not cached.
 *
 * Thread: one cache per thread (it is per vg_pf_scratch). Allocation: at creation only.
 */
#ifndef VIGIL_MATCH_VCACHE_H
#define VIGIL_MATCH_VCACHE_H

#include "vigil/base.h"

#define VG_VC_PARTS     3 /* exact values, literal database, regex database */
#define VG_VC_NONE      UINT16_MAX
#define VG_VC_MAX_VALUE 1024
#define VG_VC_MAX_IDS   64 /* atom reports of one value, all parts together */

typedef struct vg_vcache vg_vcache;

/* A value's identity: computed once, used for the lookup and, after a miss, the insert. */
typedef struct vg_vc_key {
    uint64_t h;
    uint32_t slot;
    uint32_t len;
    const char *p;
} vg_vc_key;

/* What an entry holds: ids[k][0..n[k]) for part k, n[k] == VG_VC_NONE when not recorded. */
typedef struct vg_vc_hit {
    const uint32_t *ids[VG_VC_PARTS];
    uint16_t n[VG_VC_PARTS];
} vg_vc_hit;

/* entries: table slots (rounded up to a power of two); store: bytes for values and ids.
 * NULL when memory runs out. */
vg_vcache *vg_vcache_new(size_t entries, size_t store);
void vg_vcache_free(vg_vcache *c);

/* The key of a value; false when the value is not cacheable (too long). */
bool vg_vc_key_of(uint32_t slot, const char *p, size_t len, vg_vc_key *out);

/* The entry of k, if any. */
bool vg_vcache_get(vg_vcache *c, const vg_vc_key *k, vg_vc_hit *out);

/* Record k with its parts (ids[k][0..n[k]), n[k] == VG_VC_NONE when not recorded); an entry
 * of the same key is replaced. Does nothing for more than VG_VC_MAX_IDS ids in all. */
void vg_vcache_put(vg_vcache *c,
                   const vg_vc_key *k,
                   const uint32_t *const ids[VG_VC_PARTS],
                   const uint16_t n[VG_VC_PARTS]);

/* Counters since creation (for tests and statistics). */
typedef struct vg_vc_stats {
    uint64_t hits, misses, inserts, resets;
} vg_vc_stats;
void vg_vcache_stats(const vg_vcache *c, vg_vc_stats *out);

#endif
