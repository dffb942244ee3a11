/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tasks.c: tasks_run runs every task exactly once, on several threads when asked (and
 * on the caller alone for 0 or 1), and returns only when all have run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "tasks.h"

#define N 2000

typedef struct work {
    atomic_int runs[N];
    pthread_t who[N];
} work;

static void one(void *arg, size_t i)
{
    work *w = arg;
    if (i % 97 == 0) { /* a slow one now and then, so that the others overtake it */
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    w->who[i] = pthread_self();
    atomic_fetch_add(&w->runs[i], 1);
}

static size_t run_with(unsigned threads, work *w)
{
    for (size_t i = 0; i < N; i++)
        atomic_init(&w->runs[i], 0);
    tasks_run(&threads, N, one, w);
    size_t distinct = 0;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&w->runs[i]), 1);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = pthread_equal(w->who[j], w->who[i]);
        distinct += !seen;
    }
    return distinct;
}

static void test_every_task_once(void **state)
{
    (void)state;
    static work w;
    assert_int_equal(run_with(0, &w), 1);
    assert_int_equal(run_with(1, &w), 1);
    size_t d = run_with(4, &w);
    assert_true(d >= 1 && d <= 4);
    assert_true(run_with(1000, &w) <= 64); /* capped */
    unsigned one_thread = 1;
    tasks_run(&one_thread, 0, one, &w); /* nothing to do */
    tasks_run(NULL, 1, one, &w);
    assert_int_equal(atomic_load(&w.runs[0]), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_task_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
