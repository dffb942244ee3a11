/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bqueue.h: a bounded, blocking FIFO of pointers for handing work between threads.
 *
 * bq_push blocks while the queue holds cap items; bq_pop blocks while it is empty. After
 * bq_close, pushes fail and pops return what is left, then NULL: consumers drain the queue
 * and stop. Items are handed over whole: everything the producer wrote to an item before
 * bq_push is visible to the consumer after bq_pop (the queue's mutex orders them).
 *
 * Thread: any number of producers and consumers. Locks: one mutex per queue, held only
 * inside these calls; none is held on return.
 */
#ifndef VIGIL_SRC_BQUEUE_H
#define VIGIL_SRC_BQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct bqueue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty; /* signalled on push and on close */
    pthread_cond_t not_full;  /* signalled on pop and on close */
    void **slots;             /* ring of cap pointers */
    size_t cap, head, len;
    bool closed;
} bqueue;

/* cap >= 1. Returns 0, or an errno value (nothing to free then). */
int bq_init(bqueue *q, size_t cap);
/* No thread may be inside a bq_ call. Items still queued are not freed. */
void bq_fini(bqueue *q);
/* Append item (not NULL), waiting for room. false if the queue is closed (item not queued). */
bool bq_push(bqueue *q, void *item);
/* The oldest item, waiting for one; NULL once the queue is closed and empty. */
void *bq_pop(bqueue *q);
/* No more pushes: wakes every waiter. Idempotent. */
void bq_close(bqueue *q);

#endif
