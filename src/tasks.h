/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tasks.h: run the engine's independent tasks (vg_run_tasks_fn, such as compiling the
 * prefilter's databases) on a few threads.
 *
 * The calling thread takes part; tasks are taken in index order from a shared counter, so
 * the first (longest) ones start first. A thread that cannot be started leaves its share to
 * the others: the tasks are all run whatever happens.
 */
#ifndef VIGIL_SRC_TASKS_H
#define VIGIL_SRC_TASKS_H

#include <stddef.h>

#include "vigil/match.h"

/* vg_run_tasks_fn with run_ctx pointing to an unsigned: the number of threads to use at
 * most, the caller's included (0 or 1: the caller alone). */
void tasks_run(void *run_ctx, size_t n, vg_task_fn task, void *arg);

#endif
