/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: the subcommands of the vigil program. Each takes the arguments after its name
 * and returns the process exit status.
 */
#ifndef VIGIL_SRC_CLI_H
#define VIGIL_SRC_CLI_H

#include <stdbool.h>
#include <stdint.h>

int cli_check(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_test(int argc, char **argv);

/* Exit statuses shared by the subcommands. */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1, /* the command ran and found problems (rule errors, unreadable input) */
    CLI_USAGE = 2   /* bad command line */
};

#endif
