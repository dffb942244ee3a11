/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tasks.c: independent tasks of the engine on a few threads (see tasks.h).
 */
#include "tasks.h"

#include <pthread.h>
#include <stdatomic.h>

#define TASKS_MAX_THREADS 64

typedef struct tasks {
    atomic_size_t next;
    size_t n;
    vg_task_fn task;
    void *arg;
} tasks;

static void *take_tasks(void *p)
{
    tasks *t = p;
    for (size_t i; (i = atomic_fetch_add(&t->next, 1)) < t->n;)
        t->task(t->arg, i);
    return NULL;
}

void tasks_run(void *run_ctx, size_t n, vg_task_fn task, void *arg)
{
    unsigned want = run_ctx ? *(const unsigned *)run_ctx : 1;
    if (want > TASKS_MAX_THREADS)
        want = TASKS_MAX_THREADS;
    if ((size_t)want > n)
        want = (unsigned)n;
    tasks t = {.n = n, .task = task, .arg = arg};
    atomic_init(&t.next, 0);
    pthread_t th[TASKS_MAX_THREADS];
    unsigned started = 0;
    for (unsigned k = 1; k < want; k++) {
        if (pthread_create(&th[started], NULL, take_tasks, &t) != 0)
            break; /* the threads started and this one do the rest */
        started++;
    }
    take_tasks(&t);
    for (unsigned k = 0; k < started; k++)
        pthread_join(th[k], NULL);
}
