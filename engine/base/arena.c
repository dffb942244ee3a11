/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.c: bump allocator in heap chunks (see vigil/arena.h).
 *
 * Chunks form a list, newest first. An allocation larger than a chunk gets a chunk of its
 * own. Reset frees every chunk but the oldest-allocated default-sized one, which is kept to
 * serve the next batch without touching the heap.
 */
#include "vigil/arena.h"

#include <string.h>

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    _Alignas(16) unsigned char data[];
} chunk;

struct vg_arena {
    chunk *head;
    size_t chunk_size;
    size_t cap;
    size_t held; /* bytes of chunk data held */
    size_t used; /* bytes handed out since reset */
};

vg_arena *vg_arena_new(size_t chunk_size, size_t cap)
{
    vg_arena *a = vg_calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->cap = cap;
    return a;
}

void vg_arena_free(vg_arena *a)
{
    if (!a)
        return;
    chunk *c = a->head;
    while (c) {
        chunk *n = c->next;
        vg_free(c);
        c = n;
    }
    vg_free(a);
}

void vg_arena_reset(vg_arena *a)
{
    chunk *keep = NULL;
    chunk *c = a->head;
    while (c) {
        chunk *n = c->next;
        if (!keep && c->size == a->chunk_size)
            keep = c;
        else
            vg_free(c);
        c = n;
    }
    a->head = keep;
    a->held = 0;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        a->held = keep->size;
    }
    a->used = 0;
}

void *vg_arena_alloc(vg_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n)
        return NULL;
    chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > a->chunk_size ? need : a->chunk_size;
        if (a->cap && (a->held + size > a->cap))
            return NULL;
        c = vg_malloc(sizeof(chunk) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        a->held += size;
        if (size > a->chunk_size && a->head) {
            /* An oversized chunk goes second so the current chunk keeps serving. */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void *vg_arena_memdup(vg_arena *a, const void *p, size_t len)
{
    void *d = vg_arena_alloc(a, len ? len : 1);
    if (d && len)
        memcpy(d, p, len);
    return d;
}

char *vg_arena_strndup(vg_arena *a, const char *p, size_t len)
{
    char *d = vg_arena_alloc(a, len + 1);
    if (!d)
        return NULL;
    if (len)
        memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

size_t vg_arena_used(const vg_arena *a)
{
    return a->used;
}
