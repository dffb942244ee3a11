/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vcache.c: the prefilter's per-thread cache of field values and the atoms they marked (see
 * vcache.h).
 *
 * An entry is 40 bytes in the table; its atom ids and value bytes are in the store, ids
 * first (four-byte aligned). A store epoch makes starting over free: an entry is live only
 * when it carries the current epoch. Lookups and inserts look at a window of PROBE
 * consecutive entries from the key's hash; an insert takes the key's own entry, else a dead
 * one, else the least recently used of the window.
 */
#include "match/vcache.h"
#include "vigil/event.h"

#include <string.h>

#define PROBE 4

typedef struct vc_entry {
    uint64_t h;
    uint32_t slot;
    uint32_t len;
    uint32_t at;    /* offset of the entry's ids in the store; its value bytes follow */
    uint32_t epoch; /* live when equal to the cache's */
    uint32_t used;  /* the cache's clock at its last hit or insert */
    uint16_t n[VG_VC_PARTS];
} vc_entry;

struct vg_vcache {
    vc_entry *tab;
    size_t mask; /* entries - 1 */
    uint32_t *store;
    size_t store_words, used_words;
    uint32_t epoch, clock;
    vg_vc_stats st;
};

vg_vcache *vg_vcache_new(size_t entries, size_t store)
{
    vg_vcache *c = vg_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    size_t n = PROBE;
    while (n < entries)
        n <<= 1;
    c->tab = vg_calloc(n, sizeof(vc_entry));
    c->store_words = store / sizeof(uint32_t) > 1 ? store / sizeof(uint32_t) : 1;
    c->store = vg_malloc(c->store_words * sizeof(uint32_t));
    if (!c->tab || !c->store) {
        vg_vcache_free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->epoch = 1; /* calloc'd entries carry epoch 0: dead */
    return c;
}

void vg_vcache_free(vg_vcache *c)
{
    if (!c)
        return;
    vg_free(c->tab);
    vg_free(c->store);
    vg_free(c);
}

bool vg_vc_key_of(uint32_t slot, const char *p, size_t len, vg_vc_key *out)
{
    if (len > VG_VC_MAX_VALUE)
        return false;
    uint64_t h = vg_hash_name(p ? p : "", len);
    h ^= ((uint64_t)slot + 1) * 0x9e3779b97f4a7c15ull;
    *out = (vg_vc_key){h ^ (h >> 31), slot, (uint32_t)len, p ? p : ""};
    return true;
}

static const char *entry_bytes(const vg_vcache *c, const vc_entry *e)
{
    size_t ids = 0;
    for (int k = 0; k < VG_VC_PARTS; k++)
        ids += e->n[k] == VG_VC_NONE ? 0 : e->n[k];
    return (const char *)(c->store + e->at + ids);
}

static bool same_key(const vg_vcache *c, const vc_entry *e, const vg_vc_key *k)
{
    return e->epoch == c->epoch && e->h == k->h && e->slot == k->slot && e->len == k->len &&
           memcmp(entry_bytes(c, e), k->p, k->len) == 0;
}

bool vg_vcache_get(vg_vcache *c, const vg_vc_key *k, vg_vc_hit *out)
{
    for (size_t i = 0; i < PROBE; i++) {
        vc_entry *e = &c->tab[(k->h + i) & c->mask];
        if (!same_key(c, e, k))
            continue;
        const uint32_t *ids = c->store + e->at;
        for (int p = 0; p < VG_VC_PARTS; p++) {
            out->ids[p] = ids;
            out->n[p] = e->n[p];
            ids += e->n[p] == VG_VC_NONE ? 0 : e->n[p];
        }
        e->used = ++c->clock;
        c->st.hits++;
        return true;
    }
    c->st.misses++;
    return false;
}

void vg_vcache_put(vg_vcache *c,
                   const vg_vc_key *k,
                   const uint32_t *const ids[VG_VC_PARTS],
                   const uint16_t n[VG_VC_PARTS])
{
    size_t n_ids = 0;
    for (int p = 0; p < VG_VC_PARTS; p++)
        n_ids += n[p] == VG_VC_NONE ? 0 : n[p];
    if (n_ids > VG_VC_MAX_IDS || k->len > VG_VC_MAX_VALUE)
        return;
    size_t words = n_ids + (k->len + sizeof(uint32_t) - 1) / sizeof(uint32_t);
    if (words > c->store_words)
        return;
    if (c->used_words + words > c->store_words) { /* full: start over */
        c->used_words = 0;
        if (++c->epoch == 0) { /* wrapped: every entry dead for real */
            memset(c->tab, 0, (c->mask + 1) * sizeof(vc_entry));
            c->epoch = 1;
        }
        c->st.resets++;
    }
    vc_entry *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        vc_entry *e = &c->tab[(k->h + i) & c->mask];
        if (same_key(c, e, k) || e->epoch != c->epoch) {
            victim = e;
            break;
        }
        if (!victim || e->used < victim->used)
            victim = e;
    }
    uint32_t *w = c->store + c->used_words;
    *victim = (vc_entry){k->h,       k->slot,           k->len, (uint32_t)c->used_words, c->epoch,
                         ++c->clock, {n[0], n[1], n[2]}};
    for (int p = 0; p < VG_VC_PARTS; p++) {
        if (n[p] == VG_VC_NONE || n[p] == 0)
            continue;
        memcpy(w, ids[p], n[p] * sizeof(uint32_t));
        w += n[p];
    }
    if (k->len)
        memcpy(w, k->p, k->len);
    c->used_words += words;
    c->st.inserts++;
}

void vg_vcache_stats(const vg_vcache *c, vg_vc_stats *out)
{
    *out = c->st;
}
