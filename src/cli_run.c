/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_run.c: `vigil run`: the embedded pipeline. Rules from files, events from files or
 * stdin, one JSON alert per line on stdout, problems and a summary on stderr.
 *
 * Per input: records are framed and parsed by its format, indexed, and matched against
 * every applicable rule; every matching rule yields an alert (never first-match-wins).
 * A record that cannot be framed or parsed, or is over a limit, is reported with its
 * origin (input:line, record number, byte offset), counted by reason, and skipped.
 * Reports are capped per input (--max-errors) so a garbage input cannot flood stderr; the
 * counts stay exact.
 *
 * This file parses the options, loads the ruleset, runs the pipeline (pipeline.c) and
 * prints the summary. Threading (--threads N):
 *   - roles: the main thread reads the inputs in order and cuts them into batches of up to
 *     1024 records or 1 MiB, copying each record with its origin; problems the reader
 *     meets (oversized or unterminated records, inputs that cannot be opened or read) ride
 *     in the batch as items of their own. N worker threads parse, index, match and render
 *     whole batches into the batch's own output buffers (alert lines, report lines), each
 *     with its own event, match scratch and counters; the ruleset is shared read-only.
 *     Main also writes the finished batches to stdout and stderr.
 *   - queues: one bounded queue (bqueue.c: mutex and condition variables) carries batches
 *     to the workers; a worker marks a batch done under a mutex and signals main.
 *   - ordering: main keeps the batches in flight in sequence order and writes only the
 *     oldest, once done; the --max-errors cap is counted as reports are written. Output is
 *     the same bytes for every N (the alerts' "time", the detection wall clock, aside).
 *   - bounds: at most 2 * N batches exist; with all of them in flight, reading waits until
 *     the oldest is written. Memory is that many batches plus one event per worker.
 *   - counters: per worker, summed after the workers are joined: the summary line is the
 *     same as single-threaded.
 * With N = 1 (the default) no thread is started: main processes each batch itself.
 */
#include "cli.h"
#include "pipeline.h"
#include "rulesrc.h"
#include "tasks.h"
#include "units.h"
#include "vigil/match.h"
#include "vigil/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUTS 256

static const char run_help[] =
        "Usage: vigil run --rules PATH... --input FILE|- [--input FILE...] [OPTIONS]\n"
        "       vigil run --config FILE [OPTIONS]   the service: Kafka in, alerts out, state in\n"
        "                                           Redis (vigil run --config x --help)\n"
        "\n"
        "Run Sigma rules over events from files or standard input and write one JSON alert\n"
        "per line to standard output. Every rule that matches an event fires; correlation\n"
        "rules fire once per episode of their sliding windows, and the rules they use alert\n"
        "on their own only with 'generate: true'. Malformed or\n"
        "oversized records are reported on standard error with their origin, counted and\n"
        "skipped; a summary is printed at the end.\n"
        "\n"
        "Input options (--format and --logsource apply to the --input options after them;\n"
        "given before any --input they are the default for all):\n"
        "  --input FILE|-           an input file, '-' for standard input; may be repeated\n"
        "  --format FMT             auto (default), json, syslog or raw\n"
        "                             json:   one JSON object per record; records may be one\n"
        "                                     per line, concatenated or pretty-printed\n"
        "                             syslog: RFC 5424 or RFC 3164 lines\n"
        "                             raw:    one line = one event with field 'message'\n"
        "                             auto:   chosen per record\n"
        "  --logsource SPEC         declare the inputs' Sigma logsource, e.g.\n"
        "                           product=linux,service=sshd: rules for other logsources\n"
        "                           are skipped, matching ones apply without mapping checks\n"
        "  --time-field NAME        the field holding the event time (default: the first of\n"
        "                           @timestamp, Event.System.TimeCreated.#attributes.\n"
        "                           SystemTime, TimeCreated, UtcTime, timestamp, eventTime,\n"
        "                           EventTime, time that parses)\n"
        "\n"
        "Correlation (Sigma correlation rules; windows run on event time):\n"
        "  --lateness DURATION      how late an event may arrive, behind the latest event\n"
        "                           time seen on its input, and still be placed in its\n"
        "                           windows (default 10s; later ones are counted and\n"
        "                           dropped). DURATION: a number and ms, s, m, h or d\n"
        "  --corr-max-memory SIZE   correlation state cap (default 1GiB; 1MiB..64TiB); past\n"
        "                           it new group keys are refused and counted. SIZE: a\n"
        "                           number of bytes, or a number and KiB, MiB, GiB or TiB\n"
        "                           (64MiB = 67108864)\n"
        "  --corr-shards N          correlator shards (default 1; 1..64): group keys are\n"
        "                           spread over N correlators on threads of their own (the\n"
        "                           same alerts; correlation alerts of a batch come shard\n"
        "                           after shard); the memory cap is shared among them\n"
        "\n"
        "Limits:\n"
        "  --max-record SIZE        largest record accepted (default 4MiB; 64..2GiB;\n"
        "                           a SIZE like 64MiB)\n"
        "  --max-depth N            deepest JSON nesting accepted (default 64)\n"
        "  --max-fields N           most values in one event (default 65536)\n"
        "  --max-errors N           malformed records reported per input (default 100;\n"
        "                           all are counted)\n"
        "\n"
        "Other options:\n"
        "  --matcher fast|reference fast (default): a literal prefilter (vectorscan) picks the\n"
        "                           rules an event can match; reference: every applicable\n"
        "                           rule is evaluated (the oracle the fast path is tested\n"
        "                           against). Both give the same alerts\n"
        "  --threads N              worker threads that parse and match (default 1: all on\n"
        "                           one thread; 0: one per online CPU; at most 64); as\n"
        "                           many compile the rules' pattern databases at start.\n"
        "                           The output is the same for every N\n"
        "  --strict                 refuse to run if any rule has an error\n"
        "  -q, --quiet              no rule warnings on start-up\n"
        "  -h, --help               show this help\n"
        "\n";

void cli_arg_init(cli_arg *x, const char *a)
{
    x->a = a;
    x->eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    x->name_len = x->eq ? (size_t)(x->eq - a) : strlen(a);
}

bool cli_arg_is(const cli_arg *x, const char *name)
{
    return strlen(name) == x->name_len && strncmp(x->a, name, x->name_len) == 0;
}

const char *cli_arg_value(const cli_arg *x, int argc, char **argv, int *i, const char *cmd)
{
    if (x->eq)
        return x->eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    fprintf(stderr, "%s: %.*s needs a value\n", cmd, (int)x->name_len, x->a);
    return NULL;
}

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int cli_run(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--config") == 0)
            return cli_daemon(argc, argv); /* the service: Kafka, Redis */
    static rsrc_opts o;
    static pl_input inputs[MAX_INPUTS];
    memset(&o, 0, sizeof(o));
    size_t n_inputs = 0;
    vg_format cur_fmt = VG_FMT_AUTO;
    const char *cur_ls = NULL, *cur_tf = NULL;
    int64_t lateness = 10000;
    uint64_t corr_mem = (uint64_t)1 << 30;
    bool strict = false, quiet = false, fast = true;
    uint64_t max_record = 4u << 20, max_depth = 64, max_fields = 65536, max_errors = 100;
    uint64_t threads = 1, shards = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = rsrc_parse_opt(&o, argc, argv, &i);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0)
            continue;
        const char *val = NULL;
        cli_arg arg;
        cli_arg_init(&arg, a);
#define OPT(name) cli_arg_is(&arg, name)
#define VALUE()   CLI_ARG_VALUE(arg, val, "vigil run")
        if (OPT("-h") || OPT("--help")) {
            fputs(run_help, stdout);
            fputs(rsrc_help, stdout);
            return CLI_OK;
        } else if (OPT("--input") || OPT("-i")) {
            VALUE();
            if (n_inputs == MAX_INPUTS) {
                fprintf(stderr, "vigil run: too many inputs (at most %d)\n", MAX_INPUTS);
                return CLI_USAGE;
            }
            inputs[n_inputs].path = val;
            inputs[n_inputs].fmt = cur_fmt;
            inputs[n_inputs].ls_spec = cur_ls;
            inputs[n_inputs].time_field = cur_tf;
            n_inputs++;
        } else if (OPT("--format") || OPT("-f")) {
            VALUE();
            if (!vg_format_from_str(val, &cur_fmt)) {
                fprintf(stderr, "vigil run: unknown format '%s' (auto, json, syslog, raw)\n", val);
                return CLI_USAGE;
            }
            if (n_inputs == 0)
                for (size_t k = 0; k < MAX_INPUTS; k++)
                    inputs[k].fmt = cur_fmt;
        } else if (OPT("--logsource")) {
            VALUE();
            cur_ls = val;
        } else if (OPT("--time-field")) {
            VALUE();
            cur_tf = val[0] ? val : NULL;
        } else if (OPT("--lateness")) {
            VALUE();
            if (!units_duration(val, &lateness)) {
                fprintf(stderr,
                        "vigil run: --lateness takes a number and a unit (ms, s, m, h, "
                        "d), not '%s'\n",
                        val);
                return CLI_USAGE;
            }
        } else if (OPT("--corr-max-memory")) {
            VALUE();
            if (!units_size(val, &corr_mem) || corr_mem < (1u << 20) ||
                corr_mem > (uint64_t)1 << 46) {
                fprintf(stderr, "vigil run: --corr-max-memory must be 1048576..2^46\n");
                return CLI_USAGE;
            }
        } else if (OPT("--corr-shards")) {
            VALUE();
            if (!cli_parse_u64(val, 1, VG_CORR_MAX_SHARDS, &shards)) {
                fprintf(stderr, "vigil run: --corr-shards must be 1..%u\n", VG_CORR_MAX_SHARDS);
                return CLI_USAGE;
            }
        } else if (OPT("--max-record")) {
            VALUE();
            if (!units_size(val, &max_record) || max_record < 64 ||
                max_record > (uint64_t)1 << 31) {
                fprintf(stderr, "vigil run: --max-record must be 64..2147483648\n");
                return CLI_USAGE;
            }
        } else if (OPT("--max-depth")) {
            VALUE();
            if (!cli_parse_u64(val, 1, 100000, &max_depth)) {
                fprintf(stderr, "vigil run: --max-depth must be 1..100000\n");
                return CLI_USAGE;
            }
        } else if (OPT("--max-fields")) {
            VALUE();
            if (!cli_parse_u64(val, 1, 16u << 20, &max_fields)) {
                fprintf(stderr, "vigil run: --max-fields must be 1..16777216\n");
                return CLI_USAGE;
            }
        } else if (OPT("--max-errors")) {
            VALUE();
            if (!cli_parse_u64(val, 0, UINT32_MAX, &max_errors)) {
                fprintf(stderr, "vigil run: --max-errors must be a number\n");
                return CLI_USAGE;
            }
        } else if (OPT("--matcher")) {
            VALUE();
            if (strcmp(val, "fast") == 0) {
                fast = true;
            } else if (strcmp(val, "reference") == 0) {
                fast = false;
            } else {
                fprintf(stderr, "vigil run: --matcher is fast or reference, not '%s'\n", val);
                return CLI_USAGE;
            }
        } else if (OPT("--threads")) {
            VALUE();
            if (!cli_parse_u64(val, 0, PL_MAX_THREADS, &threads)) {
                fprintf(stderr, "vigil run: --threads must be 0..%d\n", PL_MAX_THREADS);
                return CLI_USAGE;
            }
        } else if (OPT("--strict")) {
            strict = true;
        } else if (OPT("-q") || OPT("--quiet")) {
            quiet = true;
        } else {
            fprintf(stderr, "vigil run: unknown option '%s' (see vigil run --help)\n", a);
            return CLI_USAGE;
        }
#undef OPT
#undef VALUE
    }
    if (o.n_paths == 0) {
        fprintf(stderr, "vigil run: no rules given: use --rules PATH (see vigil run --help)\n");
        return CLI_USAGE;
    }
    if (n_inputs == 0) {
        fprintf(stderr, "vigil run: no input given: use --input FILE or --input - for stdin\n");
        return CLI_USAGE;
    }

    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = d ? rsrc_load(&o, d, &n_files) : NULL;
    if (!rs) {
        rsrc_print_diags(d, true);
        fprintf(stderr, "vigil run: could not build the ruleset\n");
        vg_diags_free(d);
        return CLI_FAILED;
    }
    rsrc_print_diags(d, !quiet);
    size_t n_err = vg_diags_errors(d);
    vg_ruleset_stats st;
    vg_ruleset_stats_get(rs, &st);
    fprintf(stderr,
            "vigil: %zu rules and %zu correlations loaded from %zu files (%zu rejected, %zu "
            "errors, %zu warnings)\n",
            st.n_rules, st.n_correlations, n_files, st.n_rejected, n_err, vg_diags_warnings(d));
    vg_diags_free(d);
    if (strict && n_err > 0) {
        fprintf(stderr, "vigil run: rule errors and --strict: not running\n");
        vg_ruleset_free(rs);
        return CLI_FAILED;
    }
    for (size_t i = 0; i < n_inputs; i++) {
        if (!inputs[i].ls_spec)
            continue;
        char err[160];
        if (vg_logsource_parse(rs, inputs[i].ls_spec, &inputs[i].ls, err, sizeof(err)) != VG_OK) {
            fprintf(stderr, "vigil run: --logsource %s: %s\n", inputs[i].ls_spec, err);
            vg_ruleset_free(rs);
            return CLI_USAGE;
        }
        inputs[i].has_ls = true;
    }

    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus < 1 ? 1 : cpus > PL_MAX_THREADS ? PL_MAX_THREADS : (uint64_t)cpus;
    }
    if (fast) { /* the workers' threads compile the databases before they start */
        char err[256];
        unsigned n_build = (unsigned)threads;
        if (vg_ruleset_build_prefilter_with(rs, tasks_run, &n_build, err, sizeof(err)) != VG_OK) {
            fprintf(stderr, "vigil run: cannot build the prefilter: %s\n", err);
            vg_ruleset_free(rs);
            return CLI_FAILED;
        }
    }
    pl_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.rs = rs;
    cfg.fast = fast;
    cfg.max_record = (size_t)max_record;
    cfg.max_errors = max_errors;
    cfg.limits.max_nodes = (uint32_t)max_fields;
    cfg.limits.max_depth = (uint32_t)max_depth;
    cfg.limits.max_bytes = (size_t)max_record * 4 + (1u << 20);
    cfg.threads = (unsigned)threads;
    cfg.corr.lateness_ms = lateness;
    cfg.corr.max_bytes = (size_t)corr_mem;
    cfg.corr_shards = (unsigned)shards;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    pl_counts c;
    int status = pl_run(&cfg, inputs, n_inputs, stdout, stderr, &c) == 0 ? CLI_OK : CLI_FAILED;
    fflush(stdout);
    fprintf(stderr,
            "vigil: %llu records, %llu events, %llu alerts; skipped %llu malformed, %llu over a "
            "limit, %llu oversized; %llu rule evaluations, %llu regex limit hits\n",
            (unsigned long long)c.records, (unsigned long long)c.events,
            (unsigned long long)c.alerts, (unsigned long long)c.malformed,
            (unsigned long long)c.limit, (unsigned long long)c.oversize,
            (unsigned long long)c.rule_evals, (unsigned long long)c.regex_limit);
    if (c.suppressed || c.corr.suppressed)
        fprintf(stderr, "vigil: suppress: %llu alerts and %llu correlation alerts silenced\n",
                (unsigned long long)c.suppressed, (unsigned long long)c.corr.suppressed);
    if (st.n_correlations > 0) {
        fprintf(stderr,
                "vigil: correlation: %llu signals, %llu correlation alerts, %llu late events "
                "dropped, %llu group keys at the end (%llu freed), %llu refused by the memory "
                "cap, %llu events dropped from full windows; hits not correlated: %llu without "
                "a group-by field, %llu without the value field, %llu with a value that is not "
                "a number, %llu without an event time\n",
                (unsigned long long)c.corr.signals, (unsigned long long)c.corr_alerts,
                (unsigned long long)c.corr.late, (unsigned long long)c.corr.keys,
                (unsigned long long)c.corr.evicted, (unsigned long long)c.corr.cap_keys,
                (unsigned long long)c.corr.cap_entries, (unsigned long long)c.x.no_group,
                (unsigned long long)c.x.no_value, (unsigned long long)c.x.not_number,
                (unsigned long long)c.x.no_time);
    }
    if (c.io_errors)
        status = CLI_FAILED;
    vg_ruleset_free(rs);
    return status;
}
