/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.c: the parsed-event tree, its path index and its JSON form (see vigil/event.h).
 *
 * Nodes live in one growable array that is kept across resets. The two lookup tables
 * belong to the event and are reused from event to event: a slot is live only when its
 * stamp equals the event's current stamp, so starting a new index costs nothing (no
 * clearing). Hashes are computed once per node: a key's eight bytes at a time, and a
 * path's from its parent's path hash and its key's hash in one step (see "index" below),
 * so no path text is built. Lookups may pass precomputed hashes (vg_hash_name,
 * vg_hash_path) so callers hash names once.
 * Tables:
 *   paths:  open-addressing hash of distinct paths -> first node with that path
 *           (nodes with the same path are chained through next_same, in input order);
 *           a slot is told apart from another of the same hash by walking the keys
 *           of its node and its ancestors;
 *   leaves: open-addressing hash of leaf keys -> the path slot ending in that key, or
 *           AMBIGUOUS when two different paths end in the same key. A key with spaces is
 *           also registered without them, as Sigma names such fields ("Threat Name" is
 *           ThreatName).
 * The paths table has a power-of-two size at least twice the node count; the leaves table
 * twice that (each node may add two keys), so neither is ever more than half full.
 */
#include "event/event_int.h"
#include "vigil/arena.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define AMBIGUOUS (UINT32_MAX - 1)
/* The root's path hash: every path's hash starts from it (see path_step). */
#define PATH_ROOT 0x2545f4914f6cdd1dull


static const vg_event_limits default_limits = {65536, 64, 64u << 20};

static void add_root(vg_event *ev)
{
    vg_node *r = &ev->v.nodes[0];
    memset(r, 0, sizeof(*r));
    r->type = VG_V_OBJ;
    r->parent = r->first_child = r->last_child = r->next_sibling = VG_NODE_NONE;
    r->next_same = VG_NODE_NONE;
    r->path_hash = PATH_ROOT;
    ev->v.n = 1;
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
    ev->v.nodes = vg_malloc(ev->cap * sizeof(vg_node));
    ev->arena = vg_arena_new(32 * 1024, ev->lim.max_bytes);
    ev->empty_hash = vg_hash_name("", 0);
    if (!ev->v.nodes || !ev->arena) {
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
    vg_free(ev->v.nodes);
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
    if (parent >= ev->v.n)
        return VG_ERR_INTERNAL;
    vg_node *p = &ev->v.nodes[parent];
    if (p->type != VG_V_OBJ && p->type != VG_V_ARR)
        return VG_ERR_INTERNAL;
    if (ev->v.n >= ev->lim.max_nodes || p->depth + 1 > ev->lim.max_depth)
        return VG_ERR_LIMIT;
    if (ev->v.n == ev->cap) {
        uint32_t cap = ev->cap * 2;
        vg_node *nv = vg_realloc(ev->v.nodes, (size_t)cap * sizeof(vg_node));
        if (!nv)
            return VG_ERR_NOMEM;
        ev->v.nodes = nv;
        ev->cap = cap;
        p = &ev->v.nodes[parent];
    }
    uint32_t i = vg_event_link(ev, p, parent, type, key, text);
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
    return ev->v.n;
}

/* ---- index ---- */

/* Name hashing: keys are read eight bytes at a time and folded with a 64x64->128-bit
 * multiply (the two halves XORed), instead of a multiply per byte. A path's hash is not the
 * hash of its text: it folds the hashes of its dot-separated parts in order (path_step), so
 * that a node's path hash takes one step from its parent's whatever the depth, and no path
 * text is ever built. A key with a dot adds one step per part, so {"a.b": {"c": 1}} and
 * {"a": {"b.c": 2}} both have the hash of "a.b.c", as their paths are the same text. */
#define NH_K0 0x9e3779b97f4a7c15ull
#define NH_K1 0xc2b2ae3d27d4eb4full
#define NH_K2 0x165667b19e3779f9ull

static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* One absorbing step; the plain XOR of a and b keeps both when the product is zero. */
static inline uint64_t nh_absorb(uint64_t a, uint64_t b, uint64_t h)
{
    return fold_mul(a ^ NH_K1, b ^ h) ^ a ^ b;
}

static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

static inline uint64_t load32(const char *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* What name_hash saw in a name. */
#define KEY_SPACE 1u
#define KEY_DOT   2u

/* KEY_SPACE and KEY_DOT for the sixteen bytes of a and b. */
static inline unsigned seen_in(uint64_t a, uint64_t b)
{
#if defined(__SSE2__)
    __m128i v = _mm_set_epi64x((long long)b, (long long)a);
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned dt = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
#else
    uint64_t sp = 0, dt = 0;
    for (int k = 0; k < 64; k += 8) {
        sp |= ((a >> k) & 0xff) == ' ' || ((b >> k) & 0xff) == ' ';
        dt |= ((a >> k) & 0xff) == '.' || ((b >> k) & 0xff) == '.';
    }
#endif
    return (sp ? KEY_SPACE : 0u) | (dt ? KEY_DOT : 0u);
}

/* The hash of n bytes; *seen gets KEY_SPACE and KEY_DOT when they hold a space or a dot.
 * Every byte is read at least once (short names by two overlapping loads). */
static uint64_t name_hash(const char *p, size_t n, unsigned *seen)
{
    uint64_t h = NH_K0 ^ (n * NH_K2), a, b;
    unsigned found = 0;
    if (n <= 16) {
        if (n >= 8) {
            a = load64(p);
            b = load64(p + n - 8);
        } else if (n >= 4) {
            a = load32(p);
            b = load32(p + n - 4);
        } else if (n > 0) {
            a = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
                (uint64_t)(unsigned char)p[n - 1] << 16;
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        for (size_t i = 0; n - i > 16; i += 16) {
            a = load64(p + i);
            b = load64(p + i + 8);
            found |= seen_in(a, b);
            h = nh_absorb(a, b, h);
        }
        a = load64(p + n - 16);
        b = load64(p + n - 8);
    }
    *seen = found | seen_in(a, b);
    return fold_mul(nh_absorb(a, b, h) ^ NH_K2, NH_K0);
}

uint64_t vg_hash_name(const char *p, size_t n)
{
    unsigned seen;
    return name_hash(p, n, &seen);
}

/* The path hash of a path whose parent path has hash h, plus one part of hash k. */
static inline uint64_t path_step(uint64_t h, uint64_t k)
{
    return fold_mul(h ^ NH_K2, k ^ NH_K0) ^ h ^ (k << 1);
}

/* The path hash of the parts of p (split at every '.') after a parent path of hash h. */
static uint64_t path_parts(uint64_t h, const char *p, size_t n)
{
    const char *end = p + n;
    for (;;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *e = dot ? dot : end;
        h = path_step(h, vg_hash_name(p, (size_t)(e - p)));
        if (!dot)
            return h;
        p = dot + 1;
    }
}

uint64_t vg_hash_path(const char *p, size_t n)
{
    return path_parts(PATH_ROOT, p, n);
}

/* vg_hash_name of key without its spaces, and that text in the arena when st is not NULL
 * (NULL span past the arena cap). */
static uint64_t hash_nospace(vg_event *ev, vg_span key, vg_span *st)
{
    char tmp[256];
    char *d = st || key.len > sizeof(tmp) ? vg_arena_alloc(ev->arena, key.len ? key.len : 1) : tmp;
    if (!d) {
        if (st)
            *st = (vg_span){NULL, 0};
        return 0;
    }
    size_t w = 0;
    for (size_t k = 0; k < key.len; k++)
        if (key.p[k] != ' ')
            d[w++] = key.p[k];
    if (st)
        *st = (vg_span){d, w};
    return vg_hash_name(d, w);
}

/* The node whose key names node i's last path part: i itself, or for an array element
 * its nearest ancestor that is no array element (elements share their array's path). */
static uint32_t named(const vg_event *ev, uint32_t i)
{
    while (i && ev->v.nodes[ev->v.nodes[i].parent].type == VG_V_ARR)
        i = ev->v.nodes[i].parent;
    return i;
}

/* Whether node i's dotted path is exactly the text q (compared from its end: each key, then
 * the '.' before it, up to the root). */
static bool path_is(const vg_event *ev, uint32_t i, const char *q, size_t len)
{
    size_t pos = len;
    for (i = named(ev, i); i != 0;) {
        const vg_node *nd = &ev->v.nodes[i];
        if (pos < nd->key.len || memcmp(q + pos - nd->key.len, nd->key.p, nd->key.len) != 0)
            return false;
        pos -= nd->key.len;
        i = named(ev, nd->parent);
        if (i == 0)
            break;
        if (pos == 0 || q[pos - 1] != '.')
            return false;
        pos--;
    }
    return pos == 0;
}

/* Whether nodes a and b have the same dotted path. Without keys holding dots, paths are
 * equal exactly when their keys are, level by level; otherwise a's path is spelt out. */
static bool same_path(vg_event *ev, uint32_t a, uint32_t b)
{
    a = named(ev, a);
    b = named(ev, b);
    if (a == b)
        return true;
    if (ev->dotted) {
        size_t len = 0;
        for (uint32_t i = a; i != 0; i = named(ev, ev->v.nodes[i].parent))
            len += ev->v.nodes[i].key.len + 1;
        char *s = vg_arena_alloc(ev->arena, len ? len : 1);
        if (!s)
            return false; /* past the arena cap: kept apart (vg_event_index then fails) */
        size_t pos = len ? len - 1 : 0;
        for (uint32_t i = a; i != 0; i = named(ev, ev->v.nodes[i].parent)) {
            const vg_node *nd = &ev->v.nodes[i];
            pos -= nd->key.len;
            memcpy(s + pos, nd->key.p, nd->key.len);
            if (pos)
                s[--pos] = '.';
        }
        return path_is(ev, b, s, len ? len - 1 : 0);
    }
    while (a != b) {
        if (a == 0 || b == 0)
            return false;
        const vg_node *x = &ev->v.nodes[a], *y = &ev->v.nodes[b];
        if (x->key.len != y->key.len || memcmp(x->key.p, y->key.p, x->key.len) != 0)
            return false;
        a = named(ev, x->parent);
        b = named(ev, y->parent);
    }
    return true;
}

/* The paths table's slot for a path of hash h whose text is q (node NONE) or node's. */
static slot *find_path(vg_event *ev, uint64_t h, const char *q, size_t len, uint32_t node)
{
    uint32_t mask = ev->tab_size - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        slot *s = &ev->paths[i];
        if (s->stamp != ev->stamp)
            return s;
        if (s->hash == h &&
            (node == VG_NODE_NONE ? path_is(ev, s->node, q, len) : same_path(ev, s->node, node)))
            return s;
    }
}

/* The leaves table's slot for key p of hash h. */
static slot *find_leaf(const vg_event *ev, uint64_t h, const char *p, size_t n)
{
    uint32_t mask = ev->tab_size * 2 - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        slot *s = &ev->leaves[i];
        if (s->stamp != ev->stamp ||
            (s->hash == h && s->key.len == n && memcmp(s->key.p, p, n) == 0))
            return s;
    }
}

static void register_leaf(vg_event *ev, vg_span key, uint64_t h, uint32_t pidx)
{
    slot *ls = find_leaf(ev, h, key.p, key.len);
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
    while (size < ev->v.n * 2u)
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

/* Hash node i's key and path (its parent's are done); a key with a dot marks the event
 * dotted. */
static void hash_node(vg_event *ev, uint32_t i)
{
    vg_node *nd = &ev->v.nodes[i];
    const vg_node *par = &ev->v.nodes[nd->parent];
    nd->next_same = VG_NODE_NONE;
    if (!nd->key.p)
        nd->key = (vg_span){"", 0};
    if (par->type == VG_V_ARR) { /* an element: its array's path, no key of its own */
        nd->path_hash = par->path_hash;
        nd->key_hash = nd->nospace_hash = ev->empty_hash;
        return;
    }
    unsigned seen;
    nd->key_hash = name_hash(nd->key.p, nd->key.len, &seen);
    nd->nospace_hash = nd->key_hash;
    if (seen & KEY_DOT) {
        ev->dotted = true;
        nd->path_hash = path_parts(par->path_hash, nd->key.p, nd->key.len);
    } else {
        nd->path_hash = path_step(par->path_hash, nd->key_hash);
    }
    if (seen & KEY_SPACE)
        nd->nospace_hash = hash_nospace(ev, nd->key, NULL);
}

/* Put node i (hashed) in the tables. */
static vg_status table_node(vg_event *ev, uint32_t i)
{
    vg_node *nd = &ev->v.nodes[i];
    const vg_node *par = &ev->v.nodes[nd->parent];
    slot *ps = find_path(ev, nd->path_hash, NULL, 0, i);
    if (ps->stamp == ev->stamp) {
        ev->v.nodes[ps->last].next_same = i;
        ps->last = i;
        return VG_OK;
    }
    ps->stamp = ev->stamp;
    ps->hash = nd->path_hash;
    ps->key = (vg_span){NULL, 0};
    ps->node = ps->last = i;
    /* A new distinct path: register its leaf key. Array elements have no key of their own;
     * their path's leaf was registered with the array. */
    if (par->type != VG_V_ARR) {
        uint32_t pidx = (uint32_t)(ps - ev->paths);
        register_leaf(ev, nd->key, nd->key_hash, pidx);
        if (memchr(nd->key.p, ' ', nd->key.len)) { /* its space-less form too */
            vg_span st;
            uint64_t h = hash_nospace(ev, nd->key, &st);
            if (!st.p)
                return VG_ERR_LIMIT;
            register_leaf(ev, st, h, pidx);
        }
    }
    return VG_OK;
}

/* Index every node, or (want) those whose path, key or space-less key want accepts, and
 * the elements of arrays it took. Nodes are taken per path and per key, so a path or key
 * that is in the tables has all its nodes there, in node order; vg_event_index adds the
 * rest later in node order too. Two nodes share a path with different keys only when a
 * key holds a dot ({"a.b": {"c": 1}} and {"a": {"b.c": 2}}): an event with such a key is
 * indexed whole. */
static vg_status
index_nodes(vg_event *ev, bool (*want)(const void *ctx, uint64_t h), const void *ctx)
{
    if (ev->indexed == IX_ALL)
        return VG_OK;
    bool completing = ev->indexed == IX_SOME;
    if (!completing && !tables_ready(ev))
        return VG_ERR_NOMEM;
    if (want && ev->v.n > ev->in_cap) {
        uint8_t *t = vg_realloc(ev->in_tab, ev->v.n);
        if (!t)
            return VG_ERR_NOMEM;
        ev->in_tab = t;
        ev->in_cap = ev->v.n;
    }
    if (!completing)
        ev->dotted = false;
    for (uint32_t i = 1; i < ev->v.n; i++) {
        vg_node *nd = &ev->v.nodes[i];
        if (completing && ev->in_tab[i])
            continue;
        if (!completing)
            hash_node(ev, i);
        if (want) {
            const vg_node *par = &ev->v.nodes[nd->parent];
            bool take = par->type == VG_V_ARR
                                ? ev->in_tab[nd->parent]
                                : want(ctx, nd->path_hash) || want(ctx, nd->key_hash) ||
                                          (nd->nospace_hash != nd->key_hash &&
                                           want(ctx, nd->nospace_hash));
            ev->in_tab[i] = take;
            if (!take)
                continue;
        }
        vg_status st = table_node(ev, i);
        if (st != VG_OK)
            return st;
    }
    ev->indexed = want ? IX_SOME : IX_ALL;
    if (want && ev->dotted) { /* see above: again, whole, so that every chain is in node order */
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
    slot *s = find_path((vg_event *)ev, h, path, len, VG_NODE_NONE);
    return s->stamp == ev->stamp ? s->node : VG_NODE_NONE;
}

/* A leaf key's first node: VG_NODE_NONE when the key is no leaf, AMBIGUOUS when paths of two
 * different ones end in it. */
static uint32_t leaf_node(const vg_event *ev, const char *key, size_t len, uint64_t h)
{
    if (ev->indexed == IX_NONE || !ev->tab_size)
        return VG_NODE_NONE;
    slot *s = find_leaf(ev, h, key, len);
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
    return vg_event_path_h(ev, path, len, vg_hash_path(path, len));
}

uint32_t vg_event_leaf(const vg_event *ev, const char *key, size_t len)
{
    return vg_event_leaf_h(ev, key, len, vg_hash_name(key, len));
}

/* Exact path, then unique leaf. A name without a dot is looked up as a leaf first: a path
 * of one key registers that key as a leaf, so when the leaf is absent the path is too, and
 * when it is unique it is that path's if there is one; only an ambiguous leaf leaves the
 * answer to the path. One probe instead of two for the usual "Image" of a nested event. */
uint32_t
vg_event_resolve_h(const vg_event *ev, const char *name, size_t len, uint64_t h, uint64_t path_h)
{
    if (!memchr(name, '.', len)) {
        uint32_t i = leaf_node(ev, name, len, h);
        return i == AMBIGUOUS ? vg_event_path_h(ev, name, len, path_h) : i;
    }
    uint32_t i = vg_event_path_h(ev, name, len, path_h);
    return i != VG_NODE_NONE ? i : vg_event_leaf_h(ev, name, len, h);
}

uint32_t vg_event_resolve(const vg_event *ev, const char *name, size_t len)
{
    return vg_event_resolve_h(ev, name, len, vg_hash_name(name, len), vg_hash_path(name, len));
}

static bool is_scalar(const vg_node *n)
{
    return n->type == VG_V_STR || n->type == VG_V_NUM || n->type == VG_V_BOOL;
}

bool vg_event_scalar_text(const vg_event *ev, uint32_t idx, vg_span *out)
{
    if (idx >= ev->v.n)
        return false;
    const vg_node *n = &ev->v.nodes[idx];
    if (n->type == VG_V_ARR) { /* an array: its first scalar */
        uint32_t c = n->first_child;
        while (c != VG_NODE_NONE && !is_scalar(&ev->v.nodes[c]))
            c = ev->v.nodes[c].next_sibling;
        if (c == VG_NODE_NONE)
            return false;
        n = &ev->v.nodes[c];
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
        const vg_node *nd = &ev->v.nodes[cur];
        if (cur != i && nd->parent != VG_NODE_NONE && ev->v.nodes[nd->parent].type == VG_V_OBJ) {
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
            const vg_node *c = &ev->v.nodes[cur];
            if (c->next_sibling != VG_NODE_NONE) {
                vg_buf_putc(out, ',');
                cur = c->next_sibling;
                break;
            }
            cur = c->parent;
            vg_buf_putc(out, ev->v.nodes[cur].type == VG_V_OBJ ? '}' : ']');
        }
    }
}

void vg_event_to_json(const vg_event *ev, vg_buf *out)
{
    write_node(ev, 0, out);
}

void vg_event_node_to_json(const vg_event *ev, uint32_t i, vg_buf *out)
{
    if (i < ev->v.n)
        write_node(ev, i, out);
}
