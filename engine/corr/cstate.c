/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cstate.c: group-key state storage for the correlator (see cstate.h).
 */
#include "corr/cstate.h"
#include "base/hash.h"
#include "vigil/corr.h"

#include <string.h>

_Static_assert(sizeof(ckey) == 72, "a key stays 72 bytes (docs/performance.md: state per key)");

uint32_t vg_corr_slot_of(const void *key, size_t len)
{
    return (uint32_t)(vg_mix64(vg_fnv1a(VG_FNV_OFFSET, key, len)) & (VG_CORR_SLOTS - 1));
}

#define TAB0 1024u
#define E0   1u
#define VT0  8u

uint64_t cs_hash(uint32_t corr, const char *kb, size_t klen)
{
    uint64_t h = vg_fnv1a(VG_FNV_OFFSET, &corr, sizeof(corr));
    return vg_mix64(vg_fnv1a(h, kb, klen));
}

uint64_t cs_val_hash(const char *p, size_t n)
{
    return vg_mix64(vg_fnv1a(0x84222325cbf29ce4ull, p, n));
}

void cs_init(cstore *s)
{
    memset(s, 0, sizeof(*s));
}

static void key_release(cstore *s, ckey *k)
{
    ck_ext *x = k->x;
    if (x) {
        for (uint32_t i = 0; i < x->vt_cap; i++) {
            if (x->vt[i].text) {
                s->bytes -= x->vt[i].len;
                vg_free(x->vt[i].text);
            }
        }
        s->bytes -= (size_t)x->vt_cap * sizeof(ck_val) + sizeof(ck_ext);
        if (x->srccnt)
            s->bytes -= 64 * sizeof(uint32_t);
        s->bytes -= (size_t)x->n_best * sizeof(int64_t);
        vg_free(x->vt);
        vg_free(x->srccnt);
        vg_free(x->best);
        vg_free(x);
        k->x = NULL;
    }
    s->bytes -= (size_t)k->cap * sizeof(ck_entry);
    vg_free(k->e);
    k->e = NULL;
    if (k->klen > CK_INLINE) {
        s->bytes -= k->klen;
        vg_free(k->kb);
        k->kb = NULL;
    }
}

void cs_fini(cstore *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (s->keys[i].live)
            key_release(s, &s->keys[i]);
    vg_free(s->keys);
    vg_free(s->free_ids);
    vg_free(s->tab);
    memset(s, 0, sizeof(*s));
}

/* Table slots hold (tag << 32) | (id + 1), tag = the hash's upper half, which also picks the
 * home slot: probing and moving slots never touches the keys themselves. */
#define SLOT_ID(e)  ((uint32_t)(e))
#define SLOT_TAG(e) ((uint32_t)((e) >> 32))

static bool key_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

uint32_t cs_find(const cstore *s, uint64_t h, uint32_t corr, const char *kb, size_t klen)
{
    if (!s->tab)
        return UINT32_MAX;
    uint32_t mask = s->tab_size - 1, tag = (uint32_t)(h >> 32);
    for (uint32_t i = tag & mask;; i = (i + 1) & mask) {
        uint64_t e = s->tab[i];
        if (!e)
            return UINT32_MAX;
        if (SLOT_TAG(e) != tag)
            continue;
        const ckey *k = &s->keys[SLOT_ID(e) - 1];
        if (k->corr == corr && k->klen == klen && key_eq(ck_kb(k), kb, klen))
            return SLOT_ID(e) - 1;
    }
}

static bool tab_grow(cstore *s)
{
    uint32_t size = s->tab_size ? s->tab_size * 2 : TAB0;
    uint64_t *tab = vg_calloc(size, sizeof(uint64_t));
    if (!tab)
        return false;
    for (uint32_t i = 0; i < s->tab_size; i++) {
        uint64_t e = s->tab[i];
        if (!e)
            continue;
        uint32_t j = SLOT_TAG(e) & (size - 1);
        while (tab[j])
            j = (j + 1) & (size - 1);
        tab[j] = e;
    }
    s->bytes += (size_t)(size - s->tab_size) * sizeof(uint64_t);
    vg_free(s->tab);
    s->tab = tab;
    s->tab_size = size;
    return true;
}

uint32_t cs_add(cstore *s,
                uint64_t h,
                uint32_t corr,
                const char *kb,
                size_t klen,
                bool ext,
                bool srcs,
                uint32_t n_best)
{
    if ((s->n_live + 1) * 2 > s->tab_size && !tab_grow(s))
        return UINT32_MAX;
    uint32_t id;
    if (s->n_free) {
        id = s->free_ids[--s->n_free];
    } else {
        if (s->n == s->cap) {
            uint32_t ncap = s->cap ? s->cap * 2 : 256;
            ckey *nk = vg_realloc(s->keys, (size_t)ncap * sizeof(ckey));
            uint32_t *nf = vg_realloc(s->free_ids, (size_t)ncap * sizeof(uint32_t));
            if (nk)
                s->keys = nk;
            if (nf)
                s->free_ids = nf;
            if (!nk || !nf)
                return UINT32_MAX;
            s->bytes += (size_t)(ncap - s->cap) * (sizeof(ckey) + sizeof(uint32_t));
            s->cap = ncap;
        }
        id = s->n++;
        s->keys[id].gen = 0;
    }
    ckey *k = &s->keys[id];
    uint32_t gen = k->gen;
    memset(k, 0, sizeof(*k));
    k->gen = gen + 1;
    k->slot = (uint16_t)vg_corr_slot_of(kb, klen);
    bool ok = true;
    if (klen > CK_INLINE) {
        k->kb = vg_malloc(klen);
        ok = k->kb != NULL;
    }
    if (ok && ext) {
        k->x = vg_calloc(1, sizeof(ck_ext));
        ok = k->x != NULL;
        if (ok && srcs) {
            k->x->srccnt = vg_calloc(64, sizeof(uint32_t));
            ok = k->x->srccnt != NULL;
        }
        if (ok && n_best) {
            k->x->best = vg_malloc(n_best * sizeof(int64_t));
            ok = k->x->best != NULL;
            for (uint32_t i = 0; ok && i < n_best; i++)
                k->x->best[i] = INT64_MIN;
            k->x->n_best = n_best;
        }
    }
    if (!ok) {
        if (klen > CK_INLINE)
            vg_free(k->kb);
        if (k->x) {
            vg_free(k->x->srccnt);
            vg_free(k->x->best);
        }
        vg_free(k->x);
        memset(k, 0, sizeof(*k));
        k->gen = gen + 1;
        s->free_ids[s->n_free++] = id;
        return UINT32_MAX;
    }
    if (klen)
        memcpy(klen > CK_INLINE ? k->kb : k->kin, kb, klen);
    k->klen = (uint32_t)klen;
    k->corr = corr;
    k->live = true;
    s->bytes += (klen > CK_INLINE ? klen : 0) + (ext ? sizeof(ck_ext) : 0) +
                (srcs ? 64 * sizeof(uint32_t) : 0) + (size_t)n_best * sizeof(int64_t);
    uint32_t mask = s->tab_size - 1;
    uint32_t i = (uint32_t)(h >> 32) & mask;
    while (s->tab[i])
        i = (i + 1) & mask;
    s->tab[i] = (h >> 32 << 32) | (id + 1);
    s->n_live++;
    return id;
}

void cs_del(cstore *s, uint32_t id)
{
    ckey *k = &s->keys[id];
    uint32_t mask = s->tab_size - 1;
    uint32_t i = (uint32_t)(cs_hash(k->corr, ck_kb(k), k->klen) >> 32) & mask;
    while (SLOT_ID(s->tab[i]) != id + 1)
        i = (i + 1) & mask;
    /* backward-shift deletion: no tombstones */
    for (uint32_t j = (i + 1) & mask; s->tab[j]; j = (j + 1) & mask) {
        uint32_t home = SLOT_TAG(s->tab[j]) & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            s->tab[i] = s->tab[j];
            i = j;
        }
    }
    s->tab[i] = 0;
    key_release(s, k);
    k->live = false;
    k->gen++;
    s->free_ids[s->n_free++] = id;
    s->n_live--;
}

uint32_t cs_lower(const ckey *k, int64_t t, bool after)
{
    uint32_t lo = k->off, hi = k->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        bool below = after ? k->e[mid].ts <= t : k->e[mid].ts < t;
        if (below)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool entries_room(cstore *s, ckey *k)
{
    if (k->n < k->cap)
        return true;
    if (k->off > 0 && k->off >= k->cap / 2) {
        /* reclaim the consumed front */
        memmove(k->e, k->e + k->off, (size_t)(k->n - k->off) * sizeof(ck_entry));
        k->n -= k->off;
        k->run = k->run > k->off ? k->run - k->off : 0;
        k->off = 0;
        return true;
    }
    uint32_t ncap = k->cap ? k->cap * 2 : E0;
    ck_entry *ne = vg_realloc(k->e, (size_t)ncap * sizeof(ck_entry));
    if (!ne)
        return false;
    s->bytes += (size_t)(ncap - k->cap) * sizeof(ck_entry);
    k->e = ne;
    k->cap = ncap;
    return true;
}

uint32_t cs_insert(cstore *s, ckey *k, const ck_entry *e, bool by_src)
{
    if (!entries_room(s, k))
        return UINT32_MAX;
    uint32_t at = k->n;
    while (at > k->off) {
        const ck_entry *p = &k->e[at - 1];
        if (p->ts < e->ts || (p->ts == e->ts && (!by_src || p->src <= e->src)))
            break;
        at--;
    }
    if (at < k->n)
        memmove(&k->e[at + 1], &k->e[at], (size_t)(k->n - at) * sizeof(ck_entry));
    k->e[at] = *e;
    k->n++;
    return at;
}

void cs_val_release(cstore *s, ckey *k, uint64_t h)
{
    ck_val *v = cs_val_get(k, h);
    if (!v || v->cnt == 0)
        return;
    if (--v->cnt == 0) {
        s->bytes -= v->len;
        vg_free(v->text);
        v->text = NULL;
        v->len = 0;
    }
}

void cs_pop_front(cstore *s, ckey *k)
{
    if (k->off >= k->n)
        return;
    if (k->x && k->x->vt)
        cs_val_release(s, k, k->e[k->off].vh);
    k->off++;
    if (k->run < k->off)
        k->run = k->off;
}

void cs_drop_front(cstore *s, ckey *k, uint32_t end)
{
    while (k->off < end && k->off < k->n)
        cs_pop_front(s, k);
}

ck_val *cs_val_get(const ckey *k, uint64_t h)
{
    if (!k->x || !k->x->vt)
        return NULL;
    uint32_t mask = k->x->vt_cap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        ck_val *v = &k->x->vt[i];
        if (!v->used)
            return NULL;
        if (v->h == h)
            return v;
    }
}

static bool vt_rehash(cstore *s, ckey *k, uint32_t size)
{
    ck_val *nv = vg_calloc(size, sizeof(ck_val));
    if (!nv)
        return false;
    uint32_t fill = 0;
    for (uint32_t i = 0; i < k->x->vt_cap; i++) {
        ck_val *v = &k->x->vt[i];
        if (!v->used || v->cnt == 0)
            continue; /* tombstones go */
        uint32_t j = (uint32_t)v->h & (size - 1);
        while (nv[j].used)
            j = (j + 1) & (size - 1);
        nv[j] = *v;
        fill++;
    }
    s->bytes += (size_t)size * sizeof(ck_val);
    s->bytes -= (size_t)k->x->vt_cap * sizeof(ck_val);
    vg_free(k->x->vt);
    k->x->vt = nv;
    k->x->vt_cap = size;
    k->x->vt_fill = fill;
    return true;
}

bool cs_val_add(cstore *s, ckey *k, uint64_t h, const char *text, size_t len)
{
    ck_val *v = cs_val_get(k, h);
    if (v) {
        if (v->cnt == 0) {
            v->text = vg_malloc(len ? len : 1);
            if (!v->text)
                return false;
            if (len)
                memcpy(v->text, text, len);
            v->len = (uint32_t)len;
            s->bytes += len;
        }
        v->cnt++;
        return true;
    }
    if ((k->x->vt_fill + 1) * 4 > k->x->vt_cap * 3) {
        uint32_t live = 0;
        for (uint32_t i = 0; i < k->x->vt_cap; i++)
            live += k->x->vt[i].used && k->x->vt[i].cnt > 0;
        uint32_t size = k->x->vt_cap ? k->x->vt_cap : VT0;
        while ((live + 1) * 2 > size)
            size *= 2;
        if (!vt_rehash(s, k, size))
            return false;
    }
    char *t = vg_malloc(len ? len : 1);
    if (!t)
        return false;
    if (len)
        memcpy(t, text, len);
    uint32_t mask = k->x->vt_cap - 1;
    uint32_t i = (uint32_t)h & mask;
    while (k->x->vt[i].used)
        i = (i + 1) & mask;
    k->x->vt[i] =
            (ck_val){.h = h, .cnt = 1, .run = 0, .text = t, .len = (uint32_t)len, .used = true};
    k->x->vt_fill++;
    s->bytes += len;
    return true;
}
