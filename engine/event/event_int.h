/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event_int.h: the event's layout, for event.c and the parsers' fast path of adding a node
 * (vg_event_add_child). Not part of the engine's interface.
 */
#ifndef VIGIL_EVENT_INT_H
#define VIGIL_EVENT_INT_H

#include "vigil/arena.h"
#include "vigil/event.h"

typedef struct slot {
    uint64_t hash;
    vg_span key;    /* leaves table: the leaf key */
    uint32_t stamp; /* live when equal to the event's stamp */
    uint32_t node;  /* first node with this path; leaves: path slot index or AMBIGUOUS */
    uint32_t last;  /* paths: last node of the chain */
} slot;

struct vg_event {
    vg_event_view v; /* first: vg_event_node reads it (see event.h) */
    vg_event_limits lim;
    uint32_t cap;
    vg_arena *arena;
    slot *paths, *leaves; /* heap, kept across resets; leaves has twice the slots */
    uint32_t tab_cap;     /* allocated size of paths (power of two) */
    uint32_t tab_size;    /* size in use for this event; 0 = not indexed */
    uint32_t stamp;
    uint8_t indexed;     /* IX_NONE, IX_SOME or IX_ALL */
    bool dotted;         /* some key holds a dot (set by the index) */
    uint64_t empty_hash; /* vg_hash_name of "" */
    uint8_t *in_tab;     /* per node: 1 when it is in the tables (IX_SOME) */
    uint32_t in_cap;
};

/* How much of the event is in the lookup tables. */
#define IX_NONE 0
#define IX_SOME 1 /* the nodes vg_event_index_some took (their paths and keys) */
#define IX_ALL  2

/* Append node i = n as the last child of p (node parent, a container) with room and limits
 * checked by the caller; returns i. */
static inline uint32_t
vg_event_link(vg_event *ev, vg_node *p, uint32_t parent, vg_vtype type, vg_span key, vg_span text)
{
    uint32_t i = ev->v.n++;
    vg_node *nd = &ev->v.nodes[i];
    nd->type = type;
    nd->parent = parent;
    nd->first_child = nd->last_child = nd->next_sibling = VG_NODE_NONE;
    nd->depth = p->depth + 1;
    nd->key = p->type == VG_V_ARR ? (vg_span){"", 0} : key;
    nd->text = text;
    nd->next_same = VG_NODE_NONE;
    if (p->last_child == VG_NODE_NONE)
        p->first_child = i;
    else
        ev->v.nodes[p->last_child].next_sibling = i;
    p->last_child = i;
    ev->indexed = IX_NONE;
    return i;
}

/* vg_event_add for a parser whose parent is an object or array node of ev: the checks and
 * the growth stay in vg_event_add, which it calls when the node array is full or a limit
 * is near. */
static inline vg_status vg_event_add_child(
        vg_event *ev, uint32_t parent, vg_vtype type, vg_span key, vg_span text, uint32_t *out)
{
    vg_node *p = &ev->v.nodes[parent];
    if (ev->v.n >= ev->cap || ev->v.n >= ev->lim.max_nodes || p->depth + 1 > ev->lim.max_depth)
        return vg_event_add(ev, parent, type, key, text, out);
    uint32_t i = vg_event_link(ev, p, parent, type, key, text);
    if (out)
        *out = i;
    return VG_OK;
}

#endif
