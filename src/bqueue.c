/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bqueue.c: bounded blocking FIFO (see bqueue.h).
 *
 * A ring of cap slots: items live at slots[(head + i) % cap] for i < len. Waits loop on
 * their condition (spurious wake-ups, and several consumers racing for one item).
 */
#include "bqueue.h"
#include "vigil/base.h"

#include <errno.h>

int bq_init(bqueue *q, size_t cap)
{
    q->slots = cap ? vg_calloc(cap, sizeof(*q->slots)) : NULL;
    if (!q->slots)
        return cap ? ENOMEM : EINVAL;
    q->cap = cap;
    q->head = 0;
    q->len = 0;
    q->closed = false;
    int rc = pthread_mutex_init(&q->mu, NULL);
    if (rc == 0) {
        rc = pthread_cond_init(&q->not_empty, NULL);
        if (rc == 0) {
            rc = pthread_cond_init(&q->not_full, NULL);
            if (rc == 0)
                return 0;
            pthread_cond_destroy(&q->not_empty);
        }
        pthread_mutex_destroy(&q->mu);
    }
    vg_free(q->slots);
    q->slots = NULL;
    return rc;
}

void bq_fini(bqueue *q)
{
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->mu);
    vg_free(q->slots);
    q->slots = NULL;
}

bool bq_push(bqueue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == q->cap && !q->closed)
        pthread_cond_wait(&q->not_full, &q->mu);
    bool ok = !q->closed;
    if (ok) {
        q->slots[(q->head + q->len) % q->cap] = item;
        q->len++;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return ok;
}

void *bq_pop(bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->len == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->mu);
    void *item = NULL;
    if (q->len > 0) {
        item = q->slots[q->head];
        q->slots[q->head] = NULL;
        q->head = (q->head + 1) % q->cap;
        q->len--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return item;
}

void bq_close(bqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}
