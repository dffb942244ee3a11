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
 */
#include "cli.h"
#include "input.h"
#include "rulesrc.h"
#include "vigil/alert.h"
#include "vigil/match.h"
#include "vigil/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INPUTS 256
#define MAX_HITS   4096

static const char run_help[] =
        "Usage: vigil run --rules PATH... --input FILE|- [--input FILE...] [OPTIONS]\n"
        "\n"
        "Run Sigma rules over events from files or standard input and write one JSON alert\n"
        "per line to standard output. Every rule that matches an event fires. Malformed or\n"
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
        "\n"
        "Limits:\n"
        "  --max-record BYTES       largest record accepted (default 4194304)\n"
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
        "  --strict                 refuse to run if any rule has an error\n"
        "  -q, --quiet              no rule warnings on start-up\n"
        "  -h, --help               show this help\n"
        "\n";

typedef struct run_input {
    const char *path;
    vg_format fmt;
    bool has_ls;
    vg_logsource ls;
    const char *ls_spec;
} run_input;

typedef struct run_counts {
    uint64_t records, events, alerts, malformed, oversize, limit, io_errors;
} run_counts;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

typedef struct run_ctx {
    const vg_ruleset *rs;
    bool fast;
    vg_match_scratch *ms;
    vg_event *ev;
    vg_buf out;
    uint64_t max_errors;
    size_t max_record;
    run_counts c;
} run_ctx;

static void report(run_ctx *x,
                   const run_input *ri,
                   const input_rec *r,
                   uint64_t *shown,
                   const char *what,
                   size_t off_in_rec,
                   const char *msg)
{
    if (*shown < x->max_errors) {
        fprintf(stderr, "vigil: %s:%llu: record %llu (byte %llu): %s%s%s\n", ri->path,
                (unsigned long long)r->line, (unsigned long long)r->index,
                (unsigned long long)(r->offset + off_in_rec), what, msg ? ": " : "",
                msg ? msg : "");
    } else if (*shown == x->max_errors) {
        fprintf(stderr, "vigil: %s: more malformed records; not reporting them one by one\n",
                ri->path);
    }
    (*shown)++;
}

static int run_one(run_ctx *x, const run_input *ri)
{
    input *in = input_open(ri->path, ri->fmt, x->max_record);
    if (!in) {
        fprintf(stderr, "vigil: cannot open input '%s': %s\n", ri->path, strerror(errno));
        x->c.io_errors++;
        return -1;
    }
    uint32_t hits[MAX_HITS];
    uint64_t shown = 0;
    input_rec r;
    for (;;) {
        input_kind k = input_next(in, &r);
        if (k == INPUT_EOF)
            break;
        if (k == INPUT_ERROR) {
            fprintf(stderr, "vigil: error reading '%s': %s\n", ri->path, strerror(input_errno(in)));
            x->c.io_errors++;
            break;
        }
        x->c.records++;
        if (k == INPUT_OVERSIZE) {
            x->c.oversize++;
            char msg[64];
            snprintf(msg, sizeof(msg), "larger than --max-record %zu", x->max_record);
            report(x, ri, &r, &shown, "record too large", 0, msg);
            continue;
        }
        if (k == INPUT_UNFRAMED) {
            x->c.malformed++;
            report(x, ri, &r, &shown, "unterminated record", 0,
                   "no complete value before the end of input");
            continue;
        }
        vg_event_reset(x->ev);
        vg_perr perr = {0, NULL};
        vg_format used = ri->fmt;
        vg_status rc = vg_parse(ri->fmt, x->ev, r.p, r.len, &used, &perr);
        if (rc == VG_OK)
            rc = vg_event_index(x->ev);
        if (rc != VG_OK) {
            if (rc == VG_ERR_LIMIT)
                x->c.limit++;
            else
                x->c.malformed++;
            char what[48];
            snprintf(what, sizeof(what), "%s %s", vg_format_str(used),
                     rc == VG_ERR_LIMIT ? "record over a limit" : "parse error");
            report(x, ri, &r, &shown, what, perr.offset, perr.msg ? perr.msg : vg_status_str(rc));
            continue;
        }
        x->c.events++;
        const vg_logsource *decl = ri->has_ls ? &ri->ls : NULL;
        size_t n = x->fast ? vg_match_event_fast(x->rs, x->ms, x->ev, decl, hits, MAX_HITS)
                           : vg_match_event(x->rs, x->ms, x->ev, decl, hits, MAX_HITS);
        if (n > MAX_HITS)
            n = MAX_HITS;
        if (n == 0)
            continue;
        vg_origin org = {ri->path, r.index, r.line};
        int64_t now = wall_ms();
        for (size_t i = 0; i < n; i++) {
            vg_buf_clear(&x->out);
            vg_alert_json_single(&x->out, x->rs, hits[i], x->ev, &org, now);
            vg_buf_putc(&x->out, '\n');
            if (vg_buf_status(&x->out) != VG_OK) {
                fprintf(stderr, "vigil: %s: record %llu: alert too large to encode\n", ri->path,
                        (unsigned long long)r.index);
                continue;
            }
            fwrite(x->out.p, 1, x->out.len, stdout);
            x->c.alerts++;
        }
    }
    input_close(in);
    return 0;
}

int cli_run(int argc, char **argv)
{
    static rsrc_opts o;
    static run_input inputs[MAX_INPUTS];
    memset(&o, 0, sizeof(o));
    size_t n_inputs = 0;
    vg_format cur_fmt = VG_FMT_AUTO;
    const char *cur_ls = NULL;
    bool strict = false, quiet = false, fast = true;
    uint64_t max_record = 4u << 20, max_depth = 64, max_fields = 65536, max_errors = 100;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = rsrc_parse_opt(&o, argc, argv, &i);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0)
            continue;
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
#define OPT(name) (strlen(name) == name_len && strncmp(a, name, name_len) == 0)
#define VALUE()                                                                                    \
    do {                                                                                           \
        if (eq)                                                                                    \
            val = eq + 1;                                                                          \
        else if (i + 1 < argc)                                                                     \
            val = argv[++i];                                                                       \
        else {                                                                                     \
            fprintf(stderr, "vigil run: %.*s needs a value\n", (int)name_len, a);                  \
            return CLI_USAGE;                                                                      \
        }                                                                                          \
    } while (0)
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
        } else if (OPT("--max-record")) {
            VALUE();
            if (!parse_u64(val, 64, (uint64_t)1 << 31, &max_record)) {
                fprintf(stderr, "vigil run: --max-record must be 64..2147483648\n");
                return CLI_USAGE;
            }
        } else if (OPT("--max-depth")) {
            VALUE();
            if (!parse_u64(val, 1, 100000, &max_depth)) {
                fprintf(stderr, "vigil run: --max-depth must be 1..100000\n");
                return CLI_USAGE;
            }
        } else if (OPT("--max-fields")) {
            VALUE();
            if (!parse_u64(val, 1, 16u << 20, &max_fields)) {
                fprintf(stderr, "vigil run: --max-fields must be 1..16777216\n");
                return CLI_USAGE;
            }
        } else if (OPT("--max-errors")) {
            VALUE();
            if (!parse_u64(val, 0, UINT32_MAX, &max_errors)) {
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
            "vigil: %zu rules loaded from %zu files (%zu rejected, %zu errors, %zu "
            "warnings)\n",
            st.n_rules, n_files, st.n_rejected, n_err, vg_diags_warnings(d));
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

    if (fast) {
        char err[256];
        if (vg_ruleset_build_prefilter(rs, err, sizeof(err)) != VG_OK) {
            fprintf(stderr, "vigil run: cannot build the prefilter: %s\n", err);
            vg_ruleset_free(rs);
            return CLI_FAILED;
        }
    }
    run_ctx x;
    memset(&x, 0, sizeof(x));
    x.rs = rs;
    x.fast = fast;
    x.max_errors = max_errors;
    x.max_record = (size_t)max_record;
    vg_event_limits lim = {(uint32_t)max_fields, (uint32_t)max_depth, 0};
    lim.max_bytes = (size_t)max_record * 4 + (1u << 20);
    x.ev = vg_event_new(&lim);
    x.ms = vg_match_scratch_new(rs);
    vg_buf_init(&x.out, 64u << 20);
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    int status = CLI_OK;
    if (!x.ev || !x.ms) {
        fprintf(stderr, "vigil run: out of memory\n");
        status = CLI_FAILED;
    } else {
        for (size_t i = 0; i < n_inputs; i++)
            if (run_one(&x, &inputs[i]) != 0)
                status = CLI_FAILED;
    }
    fflush(stdout);
    vg_match_counters mc = {0};
    if (x.ms)
        vg_match_counters_get(x.ms, &mc);
    fprintf(stderr,
            "vigil: %llu records, %llu events, %llu alerts; skipped %llu malformed, %llu over a "
            "limit, %llu oversized; %llu rule evaluations, %llu regex limit hits\n",
            (unsigned long long)x.c.records, (unsigned long long)x.c.events,
            (unsigned long long)x.c.alerts, (unsigned long long)x.c.malformed,
            (unsigned long long)x.c.limit, (unsigned long long)x.c.oversize,
            (unsigned long long)mc.rule_evals, (unsigned long long)mc.regex_limit);
    if (x.c.io_errors)
        status = CLI_FAILED;
    vg_buf_fini(&x.out);
    vg_match_scratch_free(x.ms);
    vg_event_free(x.ev);
    vg_ruleset_free(rs);
    return status;
}
