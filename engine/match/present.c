/* SPDX-License-Identifier: Apache-2.0 */
/*
 * present.c: candidate names -> field slots, and the per-event pass over the event's names
 * (see present.h).
 *
 * The table is a chained hash over (name, slot) entries, bucketed by vg_hash_name, the hash
 * the event index already computed for every node's path and key, so the pass hashes only
 * keys that contain spaces (their space-less form).
 */
#include "match/present.h"
#include "sigma/ruleset_int.h"

#include <string.h>

typedef struct pname {
    const char *name;
    size_t len;
    uint32_t slot;
    uint32_t next; /* next entry in the bucket, UINT32_MAX = end */
} pname;

struct vg_present {
    pname *names;
    size_t n_names;
    uint32_t *buckets; /* head entry per bucket, UINT32_MAX = empty */
    size_t n_buckets;  /* power of two */
};

vg_present *vg_present_new(const vg_ruleset *rs)
{
    vg_present *p = vg_calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    size_t total = 0;
    for (size_t f = 0; f < rs->fslots.n; f++)
        total += rs->fslots.v[f].n_cands;
    p->n_buckets = 64;
    while (p->n_buckets < total * 2)
        p->n_buckets <<= 1;
    p->names = vg_malloc((total ? total : 1) * sizeof(pname));
    p->buckets = vg_malloc(p->n_buckets * sizeof(uint32_t));
    if (!p->names || !p->buckets) {
        vg_present_free(p);
        return NULL;
    }
    memset(p->buckets, 0xff, p->n_buckets * sizeof(uint32_t));
    for (size_t f = 0; f < rs->fslots.n; f++) {
        const vg_fslot *fs = &rs->fslots.v[f];
        for (size_t c = 0; c < fs->n_cands; c++) {
            pname *e = &p->names[p->n_names];
            e->name = fs->cands[c];
            e->len = fs->cand_len[c];
            e->slot = (uint32_t)f;
            size_t bkt = fs->cand_hash[c] & (p->n_buckets - 1);
            e->next = p->buckets[bkt];
            p->buckets[bkt] = (uint32_t)p->n_names++;
        }
    }
    return p;
}

void vg_present_free(vg_present *p)
{
    if (!p)
        return;
    vg_free(p->names);
    vg_free(p->buckets);
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

/* Mark the slots with a candidate name equal to q[0, n) (hash h). */
static void mark_name(const vg_present *p, mark_ctx *m, const char *q, size_t n, uint64_t h)
{
    for (uint32_t e = p->buckets[h & (p->n_buckets - 1)]; e != UINT32_MAX;) {
        const pname *nm = &p->names[e];
        if (nm->len == n && memcmp(nm->name, q, n) == 0)
            mark_slot(m, nm->slot);
        e = nm->next;
    }
}

/* mark_name for a key with its spaces removed ("Threat Name" -> ThreatName). */
static void mark_name_nospace(const vg_present *p, mark_ctx *m, const char *q, size_t n)
{
    uint64_t h = vg_hash_name("", 0);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (q[i] == ' ')
            continue;
        h ^= (unsigned char)q[i];
        h *= 1099511628211ull; /* FNV-1a step, as vg_hash_name */
        len++;
    }
    for (uint32_t e = p->buckets[h & (p->n_buckets - 1)]; e != UINT32_MAX;) {
        const pname *nm = &p->names[e];
        bool eq = nm->len == len;
        for (size_t i = 0, k = 0; eq && i < n; i++) {
            if (q[i] == ' ')
                continue;
            eq = nm->name[k++] == q[i];
        }
        if (eq)
            mark_slot(m, nm->slot);
        e = nm->next;
    }
}

size_t vg_present_mark(
        const vg_present *p, const vg_event *ev, uint32_t *stamp, uint32_t gen, uint32_t *list)
{
    mark_ctx m = {stamp, gen, list, 0};
    uint32_t n = vg_event_count(ev);
    for (uint32_t i = 1; i < n; i++) {
        const vg_node *nd = vg_event_node(ev, i);
        mark_name(p, &m, nd->path.p, nd->path.len, nd->path_hash);
        if (nd->key.p != nd->path.p || nd->key.len != nd->path.len)
            mark_name(p, &m, nd->key.p, nd->key.len, nd->key_hash);
        if (nd->key.len && memchr(nd->key.p, ' ', nd->key.len))
            mark_name_nospace(p, &m, nd->key.p, nd->key.len);
    }
    return m.n;
}
