/* SPDX-License-Identifier: Apache-2.0 */
/*
 * present.c: candidate names -> field slots, and the per-event pass over the event's names
 * (see present.h).
 *
 * The table is open addressing over (hash, slot) entries of eight bytes, keyed by the
 * hashes the event index already computed for every node's path (vg_hash_path), key and
 * space-less key (vg_hash_name), so the pass hashes nothing: every candidate name is in
 * it twice, as a path and as a key. An event name
 * marks every slot whose entry has its hash: names are not compared, since equal names have
 * equal hashes and a collision only marks a slot too many (harmless, see present.h). One
 * lookup is then one cache line instead of a bucket, an entry and the name's bytes.
 */
#include "match/present.h"
#include "sigma/ruleset_int.h"

#include <string.h>

typedef struct pentry {
    uint32_t tag;  /* the hash's upper half; with the bucket (lower bits) it is the key */
    uint32_t slot; /* UINT32_MAX: empty */
} pentry;

/* The filter of names worth indexing: one bit per 14-bit fragment of a name hash (2 KiB, so
 * that it stays in the first-level cache beside the matcher's other data; all SigmaHQ
 * rules name about 500 fields, each set as a key and as a path, so a name no rule uses
 * passes about one time in sixteen and is then only indexed for nothing). */
#define MAY_BITS VG_PRESENT_MAY_BITS

struct vg_present {
    pentry *tab;
    size_t size; /* power of two, at least twice the entries */
    uint64_t may[(1u << MAY_BITS) / 64];
};

static uint32_t tag_of(uint64_t h)
{
    return (uint32_t)(h >> 32);
}

vg_present *vg_present_new(const vg_ruleset *rs)
{
    vg_present *p = vg_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    size_t total = 0;
    for (size_t f = 0; f < rs->fslots.n; f++)
        total += 2 * rs->fslots.v[f].n_cands;
    p->size = 64;
    while (p->size < total * 2)
        p->size <<= 1;
    p->tab = vg_malloc(p->size * sizeof(pentry));
    if (!p->tab) {
        vg_present_free(p);
        return NULL;
    }
    for (size_t i = 0; i < p->size; i++)
        p->tab[i] = (pentry){0, UINT32_MAX};
    for (size_t f = 0; f < rs->fslots.n; f++) {
        const vg_fslot *fs = &rs->fslots.v[f];
        for (size_t c = 0; c < 2 * fs->n_cands; c++) {
            uint64_t h = c < fs->n_cands ? fs->cand[c].h : fs->cand[c - fs->n_cands].ph;
            size_t k = h & (p->size - 1);
            bool dup = false;
            for (; p->tab[k].slot != UINT32_MAX; k = (k + 1) & (p->size - 1))
                dup = dup || (p->tab[k].tag == tag_of(h) && p->tab[k].slot == (uint32_t)f);
            if (!dup) /* a slot may list a name twice (a field and its mapping) */
                p->tab[k] = (pentry){tag_of(h), (uint32_t)f};
            p->may[vg_present_may_bit(h) / 64] |= 1ull << (vg_present_may_bit(h) % 64);
        }
    }
    return p;
}

const uint64_t *vg_present_may_bits(const vg_present *p)
{
    return p->may;
}

void vg_present_free(vg_present *p)
{
    if (!p)
        return;
    vg_free(p->tab);
    vg_free(p);
}

typedef struct mark_ctx {
    uint32_t *stamp;
    uint32_t gen;
    uint32_t *list;
    size_t n;
} mark_ctx;

static void mark_slot(mark_ctx *m, uint32_t slot)
{
    if (m->stamp[slot] != m->gen) {
        m->stamp[slot] = m->gen;
        m->list[m->n++] = slot;
    }
}

/* Mark the slots with a candidate name of hash h. */
static void mark_hash(const vg_present *p, mark_ctx *m, uint64_t h)
{
    uint32_t tag = tag_of(h);
    for (size_t k = h & (p->size - 1); p->tab[k].slot != UINT32_MAX; k = (k + 1) & (p->size - 1))
        if (p->tab[k].tag == tag)
            mark_slot(m, p->tab[k].slot);
}

/* The names a node may resolve a slot by: its path, key and space-less key hashes. */
static void node_names(const vg_node *nd, uint64_t q[3])
{
    q[0] = nd->path_hash;
    q[1] = nd->key_hash;
    q[2] = nd->nospace_hash;
}

/* Mark the slots of one node's names (each distinct hash once). */
static void mark_names(const vg_present *p, mark_ctx *m, const uint64_t q[3])
{
    mark_hash(p, m, q[0]);
    if (q[1] != q[0])
        mark_hash(p, m, q[1]);
    if (q[2] != q[1] && q[2] != q[0])
        mark_hash(p, m, q[2]);
}

size_t vg_present_mark(
        const vg_present *p, const vg_event *ev, uint32_t *stamp, uint32_t gen, uint32_t *list)
{
    mark_ctx m = {stamp, gen, list, 0};
    uint32_t n = vg_event_count(ev);
    for (uint32_t i = 1; i < n; i++) {
        uint64_t q[3];
        node_names(vg_event_node(ev, i), q);
        mark_names(p, &m, q);
    }
    return m.n;
}

/* ---- the cache of name sequences ---- */

#define PC_ENTRIES 32  /* sequences remembered (direct mapped by digest) */
#define PC_NODES   128 /* longer events are marked without the cache */
#define PC_SLOTS   256 /* events marking more slots are not remembered */

typedef struct pc_entry {
    uint64_t digest; /* 0: empty */
    uint32_t n_nodes, n_slots;
    uint64_t seq[PC_NODES * 3];
    uint32_t slots[PC_SLOTS];
} pc_entry;

struct vg_present_cache {
    pc_entry e[PC_ENTRIES];
    uint64_t cur[PC_NODES * 3]; /* the sequence of the event being marked */
};

vg_present_cache *vg_present_cache_new(void)
{
    return vg_calloc(1, sizeof(vg_present_cache));
}

void vg_present_cache_free(vg_present_cache *c)
{
    vg_free(c);
}

size_t vg_present_mark_cached(const vg_present *p,
                              vg_present_cache *c,
                              const vg_event *ev,
                              uint32_t *stamp,
                              uint32_t gen,
                              uint32_t *list)
{
    uint32_t n = vg_event_count(ev);
    if (n < 2 || n - 1 > PC_NODES)
        return vg_present_mark(p, ev, stamp, gen, list);
    size_t len = (size_t)(n - 1) * 3;
    uint64_t d = 0x9e3779b97f4a7c15ull ^ n;
    for (uint32_t i = 1; i < n; i++) {
        uint64_t *q = &c->cur[(size_t)(i - 1) * 3];
        node_names(vg_event_node(ev, i), q);
        d = (d ^ q[0]) * 0xff51afd7ed558ccdull;
        d = (d ^ q[1] ^ (q[2] << 1)) * 0xc4ceb9fe1a85ec53ull;
        d ^= d >> 29;
    }
    d |= 1; /* never the empty mark */
    pc_entry *e = &c->e[(d >> 7) % PC_ENTRIES];
    mark_ctx m = {stamp, gen, list, 0};
    if (e->digest == d && e->n_nodes == n - 1 && memcmp(e->seq, c->cur, len * 8) == 0) {
        for (uint32_t k = 0; k < e->n_slots; k++)
            mark_slot(&m, e->slots[k]);
        return m.n;
    }
    for (size_t k = 0; k < len; k += 3)
        mark_names(p, &m, &c->cur[k]);
    if (m.n <= PC_SLOTS) {
        e->digest = d;
        e->n_nodes = n - 1;
        e->n_slots = (uint32_t)m.n;
        memcpy(e->seq, c->cur, len * 8);
        memcpy(e->slots, list, m.n * sizeof(uint32_t));
    }
    return m.n;
}
