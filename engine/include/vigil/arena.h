/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.h: a bump allocator freed in one call.
 *
 * Used for everything whose lifetime is a batch (parsed events) or a compilation (rule
 * programs). Memory is taken from the heap in chunks; vg_arena_reset keeps the first chunk
 * and drops the rest, so a reused arena stops allocating once it has grown to its working
 * size. An arena may have a cap: an allocation that would take it past the cap fails.
 *
 * Thread: an arena belongs to one thread at a time. Locks: none.
 */
#ifndef VIGIL_ARENA_H
#define VIGIL_ARENA_H

#include "vigil/base.h"

typedef struct vg_arena vg_arena;

/* chunk: size of the heap blocks (0 = 64 KiB); cap: most bytes held (0 = no cap). */
VG_API vg_arena *vg_arena_new(size_t chunk, size_t cap);
VG_API void vg_arena_free(vg_arena *a);
/* Forget every allocation; pointers handed out before are invalid afterwards. */
VG_API void vg_arena_reset(vg_arena *a);
/* 16-byte aligned; NULL when the heap or the cap says no. */
VG_API void *vg_arena_alloc(vg_arena *a, size_t n);
/* Copy of [p, p+len) plus a NUL, in the arena. */
VG_API char *vg_arena_strndup(vg_arena *a, const char *p, size_t len);
VG_API void *vg_arena_memdup(vg_arena *a, const void *p, size_t len);
/* Bytes handed out since the last reset. */
VG_API size_t vg_arena_used(const vg_arena *a);

#endif
