/* SPDX-License-Identifier: Apache-2.0 */
/*
 * present.c: candidate names -> field slots, and the per-event pass over the event's names
 * (see present.h).
 *
 * The table is open addressing over (hash, slot) entries of eight bytes, keyed by
 * vg_hash_name, the hash the event index already computed for every node's path and key,
 * so the pass hashes only keys that contain spaces (their space-less form). An event name
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

struct vg_present {
    pentry *tab;
    size_t size; /* power of two, at least twice the entries */
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
        total += rs->fslots.v[f].n_cands;
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
        for (size_t c = 0; c < fs->n_cands; c++) {
            uint64_t h = fs->cand_hash[c];
            size_t k = h & (p->size - 1);
            bool dup = false;
            for (; p->tab[k].slot != UINT32_MAX; k = (k + 1) & (p->size - 1))
                dup = dup || (p->tab[k].tag == tag_of(h) && p->tab[k].slot == (uint32_t)f);
            if (!dup) /* a slot may list a name twice (a field and its mapping) */
                p->tab[k] = (pentry){tag_of(h), (uint32_t)f};
        }
    }
    return p;
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

/* The hash of a key with its spaces removed ("Threat Name" -> ThreatName). */
static uint64_t hash_nospace(const char *q, size_t n)
{
    uint64_t h = vg_hash_name("", 0);
    for (size_t i = 0; i < n; i++) {
        if (q[i] == ' ')
            continue;
        h ^= (unsigned char)q[i];
        h *= 1099511628211ull; /* FNV-1a step, as vg_hash_name */
    }
    return h;
}

size_t vg_present_mark(
        const vg_present *p, const vg_event *ev, uint32_t *stamp, uint32_t gen, uint32_t *list)
{
    mark_ctx m = {stamp, gen, list, 0};
    uint32_t n = vg_event_count(ev);
    for (uint32_t i = 1; i < n; i++) {
        const vg_node *nd = vg_event_node(ev, i);
        mark_hash(p, &m, nd->path_hash);
        if (nd->key_hash != nd->path_hash)
            mark_hash(p, &m, nd->key_hash);
        if (nd->key.len && memchr(nd->key.p, ' ', nd->key.len))
            mark_hash(p, &m, hash_nospace(nd->key.p, nd->key.len));
    }
    return m.n;
}
