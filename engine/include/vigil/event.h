/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.h: one parsed event, schema-on-read.
 *
 * DESIGN
 * A parser (JSON, syslog, raw; see parse.h) turns one record into a tree of nodes stored in
 * a flat array: node 0 is the root object, every other node has a parent that comes before
 * it, and children are linked in input order. A node is a value: null, bool, number,
 * string, object or array. Object members carry their key; array elements have an empty
 * key. Scalar text is a span either into the caller's record buffer (no copy) or into the
 * event's own arena (unescaped strings); either way it is valid until the next
 * vg_event_reset and, for spans into the record, while the record buffer lives.
 *
 * After building, vg_event_index gives every node the hashes of its dotted path and key and
 * makes two lookups (the path text itself is never built):
 *   - by path: "Event.System.Channel" -> the nodes with that path. Array elements share the
 *     path of their array, so a path may name several values; objects inside arrays
 *     contribute "arr.key" paths.
 *   - by leaf key: "Channel" -> the path(s) whose last key is "Channel". A leaf is unique
 *     when exactly one path ends with it.
 * vg_event_resolve applies the schema-on-read order: exact path, then unique leaf.
 *
 * Limits: a vg_event has caps on nodes, nesting depth and arena bytes (vg_event_limits);
 * a builder call past a cap returns VG_ERR_LIMIT and the parser reports the record.
 *
 * Thread: an event belongs to one thread. Locks: none. Reuse one event per worker: reset
 * keeps the allocations.
 */
#ifndef VIGIL_EVENT_H
#define VIGIL_EVENT_H

#include "vigil/base.h"
#include "vigil/buf.h"

typedef enum vg_vtype {
    VG_V_NULL,
    VG_V_BOOL,
    VG_V_NUM,
    VG_V_STR,
    VG_V_OBJ,
    VG_V_ARR
} vg_vtype;

#define VG_NODE_NONE UINT32_MAX

typedef struct vg_node {
    vg_vtype type;
    uint32_t parent;       /* VG_NODE_NONE for the root */
    uint32_t first_child;  /* VG_NODE_NONE if none */
    uint32_t last_child;   /* VG_NODE_NONE if none */
    uint32_t next_sibling; /* VG_NODE_NONE if last */
    uint32_t depth;        /* root = 0 */
    vg_span key;           /* member name; empty for array elements and the root */
    vg_span text;          /* scalar text: string content (unescaped), number literal as
                              written, "true"/"false", "null"; empty for containers */
    uint64_t path_hash;    /* vg_hash_path(dotted path), set by vg_event_index */
    uint64_t key_hash;     /* vg_hash_name(key), likewise */
    uint64_t nospace_hash; /* vg_hash_name of the key without its spaces ("Threat Name" ->
                              ThreatName), likewise; == key_hash when it has none */
    uint32_t next_same;    /* next node with the same path, set by vg_event_index */
} vg_node;

typedef struct vg_event_limits {
    uint32_t max_nodes; /* default 65536 */
    uint32_t max_depth; /* default 64 */
    size_t max_bytes;   /* event arena cap, default 64 MiB */
} vg_event_limits;

typedef struct vg_event vg_event;

/* limits may be NULL (defaults). */
VG_API vg_event *vg_event_new(const vg_event_limits *limits);
VG_API void vg_event_free(vg_event *ev);
/* Drop all nodes; the root object (node 0) is re-created empty. */
VG_API void vg_event_reset(vg_event *ev);

/* ---- building (parsers) ---- */

/* Append a node as the last child of parent (0 = root). key is ignored when the parent is
 * an array. Returns VG_OK and sets *out (may be NULL) to the new node's index, or
 * VG_ERR_LIMIT (too many nodes or too deep) or VG_ERR_NOMEM. Spans are stored as given;
 * they must stay valid as long as the event is used (see vg_event_alloc). */
VG_API vg_status vg_event_add(
        vg_event *ev, uint32_t parent, vg_vtype type, vg_span key, vg_span text, uint32_t *out);
/* Bytes in the event's arena (for unescaped strings and synthesised text), valid until the
 * next reset; NULL past the arena cap. */
VG_API char *vg_event_alloc(vg_event *ev, size_t n);
/* Span copy of text into the event's arena. Returns an empty span with p == NULL on failure. */
VG_API vg_span vg_event_copy(vg_event *ev, const char *p, size_t n);

/* ---- reading ---- */

VG_API uint32_t vg_event_count(const vg_event *ev);

/* The node array, as the first member of every vg_event: vg_event_node is called for every
 * node by the parsers and matchers, so it is inline. Not for use otherwise. */
typedef struct vg_event_view {
    vg_node *nodes;
    uint32_t n;
} vg_event_view;

/* Node i (i < vg_event_count; node 0 is the root), NULL when out of range. */
static inline const vg_node *vg_event_node(const vg_event *ev, uint32_t i)
{
    const vg_event_view *v = (const vg_event_view *)(const void *)ev;
    return i < v->n ? &v->nodes[i] : NULL;
}

/* Compute paths and the lookup tables. Call once after building; cheap to call again. */
VG_API vg_status vg_event_index(vg_event *ev);
/* A lean index: every node's path_hash and key_hash, but lookup tables only for the nodes
 * whose path hash, key hash or space-less key hash want(ctx, hash) accepts (and the
 * elements of arrays taken): lookups of other names find nothing until vg_event_index
 * completes the index (cheaply: taken nodes are not done again). An event with a key
 * holding a dot is indexed whole. */
VG_API vg_status vg_event_index_some(vg_event *ev,
                                     bool (*want)(const void *ctx, uint64_t hash),
                                     const void *ctx);

/* Nodes at exactly this dotted path: index of the first, or VG_NODE_NONE. Follow
 * vg_node.next_same for the others. Requires vg_event_index. */
VG_API uint32_t vg_event_path(const vg_event *ev, const char *path, size_t len);
/* Nodes whose path is the only path ending in this key; VG_NODE_NONE if none or if the
 * key ends several different paths (ambiguous). */
VG_API uint32_t vg_event_leaf(const vg_event *ev, const char *key, size_t len);
/* Schema-on-read lookup: exact path first, then unique leaf key. */
VG_API uint32_t vg_event_resolve(const vg_event *ev, const char *name, size_t len);
/* The text of node idx read as one value: a string, number or boolean gives its text; an
 * array gives its first scalar element's. false (out untouched) for null, an object, an array
 * without scalars, or idx out of range (VG_NODE_NONE included). */
VG_API bool vg_event_scalar_text(const vg_event *ev, uint32_t idx, vg_span *out);

/* The hashes the index uses: vg_hash_name for keys and leaf names (64-bit, the bytes as
 * they are), vg_hash_path for dotted paths (the key hashes of the parts between dots,
 * folded in order; not vg_hash_name of the text). Callers that look the same name up in
 * many events compute them once and use the _h variants: path_h takes vg_hash_path, leaf_h
 * vg_hash_name, resolve_h both (h of the name, path_h of it as a path). */
VG_API uint64_t vg_hash_name(const char *p, size_t n);
VG_API uint64_t vg_hash_path(const char *p, size_t n);
VG_API uint32_t vg_event_path_h(const vg_event *ev, const char *path, size_t len, uint64_t h);
VG_API uint32_t vg_event_leaf_h(const vg_event *ev, const char *key, size_t len, uint64_t h);
VG_API uint32_t
vg_event_resolve_h(const vg_event *ev, const char *name, size_t len, uint64_t h, uint64_t path_h);

/* Append the event as one line of compact JSON (objects, arrays and scalars as parsed;
 * numbers as written; strings escaped). */
VG_API void vg_event_to_json(const vg_event *ev, vg_buf *out);
/* The same for the sub-tree at node i (i < vg_event_count): an object or array with all it
 * holds, or one scalar, without the node's own key. Node 0 gives vg_event_to_json's text. */
VG_API void vg_event_node_to_json(const vg_event *ev, uint32_t i, vg_buf *out);

#endif
