/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.c: the parsed-event tree, its path index and its JSON form (see vigil/event.h).
 *
 * Nodes live in one growable array that is kept across resets. Path strings go to the
 * event's arena; the two lookup tables belong to the event and are reused from event to
 * event: a slot is live only when its stamp equals the event's current stamp, so starting
 * a new index costs nothing (no clearing). Hashes (64-bit FNV-1a) are computed once per
 * node: a path's hash continues its parent's, so hashing is linear in the key, not the
 * path. Lookups may pass a precomputed hash (vg_hash_name) so callers hash names once.
 * Tables:
 *   paths:  open-addressing hash of distinct paths -> first node with that path
 *           (nodes with the same path are chained through next_same, in input order);
 *   leaves: open-addressing hash of leaf keys -> the path slot ending in that key, or
 *           AMBIGUOUS when two different paths end in the same key. A key with spaces is
 *           also registered without them, as Sigma names such fields ("Threat Name" is
 *           ThreatName).
 * The paths table has a power-of-two size at least twice the node count; the leaves table
 * twice that (each node may add two keys), so neither is ever more than half full.
 */
#include "vigil/event.h"
#include "vigil/arena.h"

#include <string.h>

#define AMBIGUOUS (UINT32_MAX - 1)

typedef struct slot {
    uint64_t hash;
    vg_span key;    /* path (paths table) or leaf key (leaves table) */
    uint32_t stamp; /* live when equal to the event's stamp */
    uint32_t node;  /* first node with this path; leaves: path slot index or AMBIGUOUS */
    uint32_t last;  /* paths: last node of the chain */
} slot;

struct vg_event {
    vg_event_limits lim;
    vg_node *nodes;
    uint32_t n, cap;
    vg_arena *arena;
    slot *paths, *leaves; /* heap, kept across resets; leaves has twice the slots */
    uint32_t tab_cap;     /* allocated size of paths (power of two) */
    uint32_t tab_size;    /* size in use for this event; 0 = not indexed */
    uint32_t stamp;
    uint8_t indexed; /* IX_NONE, IX_SOME or IX_ALL */
    uint8_t *in_tab; /* per node: 1 when it is in the tables (IX_SOME) */
    uint32_t in_cap;
};

/* How much of the event is in the lookup tables. */
#define IX_NONE 0
#define IX_SOME 1 /* the nodes vg_event_index_some took (their paths and keys) */
#define IX_ALL  2

static const vg_event_limits default_limits = {65536, 64, 64u << 20};

static void add_root(vg_event *ev)
{
    vg_node *r = &ev->nodes[0];
    memset(r, 0, sizeof(*r));
    r->type = VG_V_OBJ;
    r->parent = r->first_child = r->last_child = r->next_sibling = VG_NODE_NONE;
    r->next_same = VG_NODE_NONE;
    ev->n = 1;
}

vg_event *vg_event_new(const vg_event_limits *limits)
{
    vg_event *ev = vg_calloc(1, sizeof(*ev));
    if (!ev)
        return NULL;
    ev->lim = limits ? *limits : default_limits;
    if (!ev->lim.max_nodes)
        ev->lim.max_nodes = default_limits.max_nodes;
    if (!ev->lim.max_depth)
        ev->lim.max_depth = default_limits.max_depth;
    if (!ev->lim.max_bytes)
        ev->lim.max_bytes = default_limits.max_bytes;
    ev->cap = 64;
    ev->nodes = vg_malloc(ev->cap * sizeof(vg_node));
    ev->arena = vg_arena_new(32 * 1024, ev->lim.max_bytes);
    if (!ev->nodes || !ev->arena) {
        vg_event_free(ev);
        return NULL;
    }
    add_root(ev);
    return ev;
}

void vg_event_free(vg_event *ev)
{
    if (!ev)
        return;
    vg_free(ev->nodes);
    vg_free(ev->paths);
    vg_free(ev->leaves);
    vg_free(ev->in_tab);
    vg_arena_free(ev->arena);
    vg_free(ev);
}

void vg_event_reset(vg_event *ev)
{
    vg_arena_reset(ev->arena);
    ev->tab_size = 0;
    ev->indexed = IX_NONE;
    add_root(ev);
}

vg_status
vg_event_add(vg_event *ev, uint32_t parent, vg_vtype type, vg_span key, vg_span text, uint32_t *out)
{
    if (parent >= ev->n)
        return VG_ERR_INTERNAL;
    vg_node *p = &ev->nodes[parent];
    if (p->type != VG_V_OBJ && p->type != VG_V_ARR)
        return VG_ERR_INTERNAL;
    if (ev->n >= ev->lim.max_nodes || p->depth + 1 > ev->lim.max_depth)
        return VG_ERR_LIMIT;
    if (ev->n == ev->cap) {
        uint32_t cap = ev->cap * 2;
        vg_node *nv = vg_realloc(ev->nodes, (size_t)cap * sizeof(vg_node));
        if (!nv)
            return VG_ERR_NOMEM;
        ev->nodes = nv;
        ev->cap = cap;
        p = &ev->nodes[parent];
    }
    uint32_t i = ev->n++;
    vg_node *nd = &ev->nodes[i];
    nd->type = type;
    nd->parent = parent;
    nd->first_child = nd->last_child = nd->next_sibling = VG_NODE_NONE;
    nd->depth = p->depth + 1;
    nd->key = p->type == VG_V_ARR ? (vg_span){"", 0} : key;
    nd->text = text;
    nd->path = (vg_span){"", 0};
    nd->next_same = VG_NODE_NONE;
    if (p->last_child == VG_NODE_NONE)
        p->first_child = i;
    else
        ev->nodes[p->last_child].next_sibling = i;
    p->last_child = i;
    ev->indexed = IX_NONE;
    if (out)
        *out = i;
    return VG_OK;
}

char *vg_event_alloc(vg_event *ev, size_t n)
{
    return vg_arena_alloc(ev->arena, n);
}

vg_span vg_event_copy(vg_event *ev, const char *p, size_t n)
{
    char *d = vg_arena_memdup(ev->arena, p, n);
    return d ? (vg_span){d, n} : (vg_span){NULL, 0};
}

uint32_t vg_event_count(const vg_event *ev)
{
    return ev->n;
}

const vg_node *vg_event_node(const vg_event *ev, uint32_t i)
{
    return i < ev->n ? &ev->nodes[i] : NULL;
}

/* ---- index ---- */

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME  1099511628211ull

static uint64_t hash_more(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* What hash_key_path saw in a key. */
#define KEY_SPACE 1u
#define KEY_DOT   2u

/* The key's hash and its continuation of the parent path's hash (h = hash(parent) + "."),
 * in one pass: the two multiply chains run side by side instead of one after the other.
 * Returns KEY_SPACE and KEY_DOT when the key holds a space or a dot. */
static unsigned hash_key_path(const char *p, size_t n, uint64_t *key, uint64_t *path)
{
    uint64_t hk = FNV_OFFSET, hp = *path;
    bool space = false, dot = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        space |= c == ' ';
        dot |= c == '.';
        hk = (hk ^ c) * FNV_PRIME;
        hp = (hp ^ c) * FNV_PRIME;
    }
    *key = hk;
    *path = hp;
    return (space ? KEY_SPACE : 0u) | (dot ? KEY_DOT : 0u);
}

uint64_t vg_hash_name(const char *p, size_t n)
{
    return hash_more(FNV_OFFSET, p, n);
}

/* vg_hash_name of p without its spaces. */
static uint64_t hash_nospace(const char *p, size_t n)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ')
            continue;
        h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
    }
    return h;
}

static slot *
find_slot(const vg_event *ev, slot *tab, uint32_t size, uint64_t h, const char *p, size_t n)
{
    uint32_t mask = size - 1;
    uint32_t i = (uint32_t)h & mask;
    for (;;) {
        slot *s = &tab[i];
        if (s->stamp != ev->stamp ||
            (s->hash == h && s->key.len == n && memcmp(s->key.p, p, n) == 0))
            return s;
        i = (i + 1) & mask;
    }
}

static void register_leaf(vg_event *ev, vg_span key, uint64_t h, uint32_t pidx)
{
    slot *ls = find_slot(ev, ev->leaves, ev->tab_size * 2, h, key.p, key.len);
    if (ls->stamp != ev->stamp) {
        ls->stamp = ev->stamp;
        ls->hash = h;
        ls->key = key;
        ls->node = pidx;
    } else if (ls->node != pidx) {
        ls->node = AMBIGUOUS;
    }
}

/* Make the tables big enough for this event and start a new stamp. */
static bool tables_ready(vg_event *ev)
{
    uint32_t size = 16;
    while (size < ev->n * 2u)
        size <<= 1;
    if (size > ev->tab_cap) {
        slot *p = vg_calloc(size, sizeof(slot));
        slot *l = vg_calloc(2 * (size_t)size, sizeof(slot)); /* + space-less keys */
        if (!p || !l) {
            vg_free(p);
            vg_free(l);
            return false;
        }
        vg_free(ev->paths);
        vg_free(ev->leaves);
        ev->paths = p;
        ev->leaves = l;
        ev->tab_cap = size;
        ev->stamp = 0;
    }
    /* every index gets a new stamp, so slots of earlier events read as empty */
    if (++ev->stamp == 0) {
        memset(ev->paths, 0, ev->tab_cap * sizeof(slot));
        memset(ev->leaves, 0, 2 * (size_t)ev->tab_cap * sizeof(slot));
        ev->stamp = 1;
    }
    ev->tab_size = size;
    return true;
}

/* Node i's dotted path, built from its parent's: a container, whose path is always built
 * before its children are looked at (see index_nodes). */
static bool build_path(vg_event *ev, uint32_t i)
{
    vg_node *nd = &ev->nodes[i];
    const vg_node *par = &ev->nodes[nd->parent];
    if (nd->path.p)
        return true;
    if (nd->parent == 0 || par->type == VG_V_ARR) {
        nd->path = nd->parent == 0 ? nd->key : par->path;
        return true;
    }
    size_t len = par->path.len + 1 + nd->key.len;
    char *s = vg_arena_alloc(ev->arena, len + 1);
    if (!s)
        return false;
    memcpy(s, par->path.p, par->path.len);
    s[par->path.len] = '.';
    memcpy(s + par->path.len + 1, nd->key.p, nd->key.len);
    s[len] = '\0';
    nd->path = (vg_span){s, len};
    return true;
}

/* Hash node i's key and path (its parent's are done); whether its key has a dot. */
static bool hash_node(vg_event *ev, uint32_t i)
{
    vg_node *nd = &ev->nodes[i];
    const vg_node *par = &ev->nodes[nd->parent];
    nd->next_same = VG_NODE_NONE;
    nd->path = (vg_span){NULL, 0};
    if (!nd->key.p)
        nd->key = (vg_span){"", 0};
    uint64_t unused = FNV_OFFSET, *path = &unused;
    if (par->type == VG_V_ARR) {
        nd->path_hash = par->path_hash;
    } else {
        nd->path_hash = nd->parent == 0 ? FNV_OFFSET : hash_more(par->path_hash, ".", 1);
        path = &nd->path_hash;
    }
    unsigned seen = hash_key_path(nd->key.p, nd->key.len, &nd->key_hash, path);
    nd->nospace_hash = (seen & KEY_SPACE) ? hash_nospace(nd->key.p, nd->key.len) : nd->key_hash;
    return (seen & KEY_DOT) != 0;
}

/* The key without its spaces, in the arena (Sigma writes "Threat Name" as ThreatName). */
static vg_span key_nospace(vg_event *ev, vg_span key)
{
    char *st = vg_arena_alloc(ev->arena, key.len ? key.len : 1);
    if (!st)
        return (vg_span){NULL, 0};
    size_t w = 0;
    for (size_t k = 0; k < key.len; k++)
        if (key.p[k] != ' ')
            st[w++] = key.p[k];
    return (vg_span){st, w};
}

/* Put node i (hashed, path built) in the tables. */
static vg_status table_node(vg_event *ev, uint32_t i)
{
    vg_node *nd = &ev->nodes[i];
    const vg_node *par = &ev->nodes[nd->parent];
    slot *ps = find_slot(ev, ev->paths, ev->tab_size, nd->path_hash, nd->path.p, nd->path.len);
    if (ps->stamp == ev->stamp) {
        ev->nodes[ps->last].next_same = i;
        ps->last = i;
        return VG_OK;
    }
    ps->stamp = ev->stamp;
    ps->hash = nd->path_hash;
    ps->key = nd->path;
    ps->node = ps->last = i;
    /* A new distinct path: register its leaf key. Array elements have no key of their own;
     * their path's leaf was registered with the array. */
    if (par->type != VG_V_ARR) {
        uint32_t pidx = (uint32_t)(ps - ev->paths);
        register_leaf(ev, nd->key, nd->key_hash, pidx);
        if (nd->nospace_hash != nd->key_hash) { /* the key has spaces */
            vg_span st = key_nospace(ev, nd->key);
            if (!st.p)
                return VG_ERR_LIMIT;
            register_leaf(ev, st, nd->nospace_hash, pidx);
        }
    }
    return VG_OK;
}

/* Index every node, or (want) those whose path, key or space-less key want accepts, and
 * the elements of arrays it took. Nodes are taken per path and per key, so a path or key
 * that is in the tables has all its nodes there, in node order; vg_event_index adds the
 * rest later in node order too. Two nodes share a path with different keys only when a
 * key holds a dot ({"a.b": {"c": 1}} and {"a": {"b.c": 2}}): an event with such a key is
 * indexed whole. Containers not taken still get their path, so that a taken child's is
 * built from its parent's without walking further up. */
static vg_status
index_nodes(vg_event *ev, bool (*want)(const void *ctx, uint64_t h), const void *ctx)
{
    if (ev->indexed == IX_ALL)
        return VG_OK;
    bool completing = ev->indexed == IX_SOME;
    if (!completing && !tables_ready(ev))
        return VG_ERR_NOMEM;
    if (want && ev->n > ev->in_cap) {
        uint8_t *t = vg_realloc(ev->in_tab, ev->n);
        if (!t)
            return VG_ERR_NOMEM;
        ev->in_tab = t;
        ev->in_cap = ev->n;
    }
    bool dotted = false;
    for (uint32_t i = 1; i < ev->n; i++) {
        vg_node *nd = &ev->nodes[i];
        if (completing && ev->in_tab[i])
            continue;
        if (!completing)
            dotted |= hash_node(ev, i);
        if (want) {
            const vg_node *par = &ev->nodes[nd->parent];
            bool take = par->type == VG_V_ARR
                                ? ev->in_tab[nd->parent]
                                : want(ctx, nd->path_hash) || want(ctx, nd->key_hash) ||
                                          (nd->nospace_hash != nd->key_hash &&
                                           want(ctx, nd->nospace_hash));
            ev->in_tab[i] = take;
            if (!take) {
                bool container = nd->type == VG_V_OBJ || nd->type == VG_V_ARR;
                if (container && !build_path(ev, i))
                    return VG_ERR_LIMIT;
                continue;
            }
        }
        if (!build_path(ev, i))
            return VG_ERR_LIMIT;
        vg_status st = table_node(ev, i);
        if (st != VG_OK)
            return st;
    }
    ev->indexed = want ? IX_SOME : IX_ALL;
    if (want && dotted) { /* see above: again, whole, so that every chain is in node order */
        ev->indexed = IX_NONE;
        return index_nodes(ev, NULL, NULL);
    }
    return VG_OK;
}

vg_status vg_event_index(vg_event *ev)
{
    return index_nodes(ev, NULL, NULL);
}

vg_status
vg_event_index_some(vg_event *ev, bool (*want)(const void *ctx, uint64_t h), const void *ctx)
{
    if (ev->indexed != IX_NONE)
        return VG_OK;
    return index_nodes(ev, want, ctx);
}

uint32_t vg_event_path_h(const vg_event *ev, const char *path, size_t len, uint64_t h)
{
    if (ev->indexed == IX_NONE || !ev->tab_size)
        return VG_NODE_NONE;
    slot *s = find_slot(ev, ev->paths, ev->tab_size, h, path, len);
    return s->stamp == ev->stamp ? s->node : VG_NODE_NONE;
}

/* A leaf key's first node: VG_NODE_NONE when the key is no leaf, AMBIGUOUS when paths of two
 * different ones end in it. */
static uint32_t leaf_node(const vg_event *ev, const char *key, size_t len, uint64_t h)
{
    if (ev->indexed == IX_NONE || !ev->tab_size)
        return VG_NODE_NONE;
    slot *s = find_slot(ev, ev->leaves, ev->tab_size * 2, h, key, len);
    if (s->stamp != ev->stamp)
        return VG_NODE_NONE;
    return s->node == AMBIGUOUS ? AMBIGUOUS : ev->paths[s->node].node;
}

uint32_t vg_event_leaf_h(const vg_event *ev, const char *key, size_t len, uint64_t h)
{
    uint32_t i = leaf_node(ev, key, len, h);
    return i == AMBIGUOUS ? VG_NODE_NONE : i;
}

uint32_t vg_event_path(const vg_event *ev, const char *path, size_t len)
{
    return vg_event_path_h(ev, path, len, vg_hash_name(path, len));
}

uint32_t vg_event_leaf(const vg_event *ev, const char *key, size_t len)
{
    return vg_event_leaf_h(ev, key, len, vg_hash_name(key, len));
}

/* Exact path, then unique leaf. A name without a dot is looked up as a leaf first: a path
 * of one key registers that key as a leaf, so when the leaf is absent the path is too, and
 * when it is unique it is that path's if there is one; only an ambiguous leaf leaves the
 * answer to the path. One probe instead of two for the usual "Image" of a nested event. */
uint32_t vg_event_resolve_h(const vg_event *ev, const char *name, size_t len, uint64_t h)
{
    if (!memchr(name, '.', len)) {
        uint32_t i = leaf_node(ev, name, len, h);
        return i == AMBIGUOUS ? vg_event_path_h(ev, name, len, h) : i;
    }
    uint32_t i = vg_event_path_h(ev, name, len, h);
    return i != VG_NODE_NONE ? i : vg_event_leaf_h(ev, name, len, h);
}

uint32_t vg_event_resolve(const vg_event *ev, const char *name, size_t len)
{
    return vg_event_resolve_h(ev, name, len, vg_hash_name(name, len));
}

static bool is_scalar(const vg_node *n)
{
    return n->type == VG_V_STR || n->type == VG_V_NUM || n->type == VG_V_BOOL;
}

bool vg_event_scalar_text(const vg_event *ev, uint32_t idx, vg_span *out)
{
    if (idx >= ev->n)
        return false;
    const vg_node *n = &ev->nodes[idx];
    if (n->type == VG_V_ARR) { /* an array: its first scalar */
        uint32_t c = n->first_child;
        while (c != VG_NODE_NONE && !is_scalar(&ev->nodes[c]))
            c = ev->nodes[c].next_sibling;
        if (c == VG_NODE_NONE)
            return false;
        n = &ev->nodes[c];
    }
    if (!is_scalar(n))
        return false;
    *out = n->text;
    return true;
}

/* ---- JSON ---- */

static void write_node(const vg_event *ev, uint32_t i, vg_buf *out)
{
    /* Iterative pre-order walk: no recursion, so depth is bounded only by the limits. */
    uint32_t cur = i;
    for (;;) {
        const vg_node *nd = &ev->nodes[cur];
        if (cur != i && nd->parent != VG_NODE_NONE && ev->nodes[nd->parent].type == VG_V_OBJ) {
            vg_buf_putc(out, '"');
            vg_buf_json_str(out, nd->key.p, nd->key.len);
            vg_buf_append(out, "\":", 2);
        }
        bool descend = false;
        switch (nd->type) {
        case VG_V_NULL:
            vg_buf_append(out, "null", 4);
            break;
        case VG_V_BOOL:
        case VG_V_NUM:
            vg_buf_append(out, nd->text.p, nd->text.len);
            break;
        case VG_V_STR:
            vg_buf_putc(out, '"');
            vg_buf_json_str(out, nd->text.p, nd->text.len);
            vg_buf_putc(out, '"');
            break;
        case VG_V_OBJ:
        case VG_V_ARR:
            vg_buf_putc(out, nd->type == VG_V_OBJ ? '{' : '[');
            if (nd->first_child != VG_NODE_NONE) {
                cur = nd->first_child;
                descend = true;
            } else {
                vg_buf_putc(out, nd->type == VG_V_OBJ ? '}' : ']');
            }
            break;
        }
        if (descend)
            continue;
        /* climb until a node has a next sibling, closing containers on the way */
        for (;;) {
            if (cur == i)
                return;
            const vg_node *c = &ev->nodes[cur];
            if (c->next_sibling != VG_NODE_NONE) {
                vg_buf_putc(out, ',');
                cur = c->next_sibling;
                break;
            }
            cur = c->parent;
            vg_buf_putc(out, ev->nodes[cur].type == VG_V_OBJ ? '}' : ']');
        }
    }
}

void vg_event_to_json(const vg_event *ev, vg_buf *out)
{
    write_node(ev, 0, out);
}

void vg_event_node_to_json(const vg_event *ev, uint32_t i, vg_buf *out)
{
    if (i < ev->n)
        write_node(ev, i, out);
}
