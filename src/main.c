/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c: the vigil command: global options and dispatch to the subcommands.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char main_help[] =
        "vigil " VIGIL_VERSION " - real-time security correlation engine (Sigma rules)\n"
        "\n"
        "Usage: vigil COMMAND [OPTIONS]\n"
        "\n"
        "Commands:\n"
        "  run      run rules over event files or stdin and print one JSON alert per line\n"
        "  check    compile rule files and report every error as file:line:col\n"
        "  test     run rule tests: rules over event files against the alerts they must give\n"
        "  replay   produce recorded events from files to a Kafka topic, to benchmark vigil\n"
        "  help     show help for a command (vigil help run)\n"
        "\n"
        "Options:\n"
        "  -h, --help      show this help\n"
        "  -V, --version   show the version\n"
        "\n"
        "Examples:\n"
        "  vigil check rules/sigma\n"
        "  vigil test rules/tests\n"
        "  vigil run --rules rules/sigma --input rules/samples/windows.json\n"
        "  vigil replay rules/samples/web.jsonl --brokers localhost:9092 --topic events\n"
        "  tail -F /var/log/auth.log | vigil run --rules my-rules/ --input - --format syslog \\\n"
        "      --logsource product=linux\n"
        "\n"
        "Each command has its own --help. Documentation: docs/ in the source tree.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(main_help, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        puts("vigil " VIGIL_VERSION);
        return CLI_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            fputs(main_help, stdout);
            return CLI_OK;
        }
        char help_flag[] = "--help";
        char *sub_argv[] = {help_flag, NULL};
        if (strcmp(argv[2], "run") == 0)
            return cli_run(1, sub_argv);
        if (strcmp(argv[2], "check") == 0)
            return cli_check(1, sub_argv);
        if (strcmp(argv[2], "test") == 0)
            return cli_test(1, sub_argv);
        if (strcmp(argv[2], "replay") == 0)
            return cli_replay(1, sub_argv);
        fprintf(stderr, "vigil: unknown command '%s'\n", argv[2]);
        return CLI_USAGE;
    }
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cli_check(argc - 2, argv + 2);
    if (strcmp(cmd, "test") == 0)
        return cli_test(argc - 2, argv + 2);
    if (strcmp(cmd, "replay") == 0)
        return cli_replay(argc - 2, argv + 2);
    fprintf(stderr, "vigil: unknown command '%s' (see vigil --help)\n", cmd);
    return CLI_USAGE;
}
