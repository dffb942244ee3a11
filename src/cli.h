/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h: the subcommands of the vigil program. Each takes the arguments after its name
 * and returns the process exit status.
 */
#ifndef VIGIL_SRC_CLI_H
#define VIGIL_SRC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cli_check(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_test(int argc, char **argv);
/* vigil run --config FILE: the service (cli_run hands over when it sees --config). */
int cli_daemon(int argc, char **argv);
int cli_replay(int argc, char **argv);

/* A decimal number in [min, max] and nothing after it -> *out; false otherwise. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* One command-line argument being parsed: "-x", "--name", "--name=value" or "--name value". */
typedef struct cli_arg {
    const char *a;  /* the argument */
    const char *eq; /* its '=' (options starting with "--" only), or NULL */
    size_t name_len;
} cli_arg;

void cli_arg_init(cli_arg *x, const char *a);
/* true if the argument is option `name` (with or without "=value"). */
bool cli_arg_is(const cli_arg *x, const char *name);
/* The option's value: after '=', else the next argument (advancing *i). NULL, with
 * "CMD: --name needs a value" on stderr, when there is none. */
const char *cli_arg_value(const cli_arg *x, int argc, char **argv, int *i, const char *cmd);

/* In an option loop over argv with index i: the option's value into val, or return
 * CLI_USAGE (the message is printed). */
#define CLI_ARG_VALUE(arg, val, cmd)                                                               \
    do {                                                                                           \
        if (!((val) = cli_arg_value(&(arg), argc, argv, &i, (cmd))))                               \
            return CLI_USAGE;                                                                      \
    } while (0)

/* Exit statuses shared by the subcommands. */
enum {
    CLI_OK = 0,
    CLI_FAILED = 1, /* the command ran and found problems (rule errors, unreadable input) */
    CLI_USAGE = 2   /* bad command line */
};

#endif
