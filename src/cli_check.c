/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_check.c: `vigil check`: compile rule files and report every problem.
 *
 * Output: one line per diagnostic on stderr ("file:line:col: error: message [rule id]"),
 * then a summary (files, documents, rules loaded and rejected, problems by reason).
 * Exit status: 0 when no rule had an error, 1 otherwise (with --strict, warnings count as
 * errors too), 2 for a bad command line.
 */
#include "cli.h"
#include "rulesrc.h"
#include "vigil/match.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char check_help[] =
        "Usage: vigil check [OPTIONS] PATH...\n"
        "\n"
        "Compile Sigma rule files (and directories of them, recursively) and report every\n"
        "error and warning as file:line:col, then a summary by reason. Nothing is run.\n"
        "\n"
        "Options:\n"
        "  --strict                 treat warnings as errors for the exit status\n"
        "  -q, --quiet              print errors only, no warnings\n"
        "  --stats                  print per-logsource rule counts and how many rules the\n"
        "                           literal prefilter can skip (builds its databases)\n"
        "  -h, --help               show this help\n"
        "\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_stats(const vg_ruleset *rs)
{
    /* count rules per logsource triple (quadratic in distinct triples: small) */
    typedef struct row {
        vg_logsource ls;
        size_t n;
        bool mapped;
    } row;
    row rows[512];
    size_t n_rows = 0;
    size_t n = vg_ruleset_count(rs);
    for (size_t i = 0; i < n; i++) {
        vg_rule_info info;
        vg_ruleset_rule_info(rs, i, &info);
        size_t k = 0;
        for (; k < n_rows; k++) {
            const vg_logsource *a = &rows[k].ls, *b = &info.logsource;
            bool eq = ((!a->product && !b->product) ||
                       (a->product && b->product && !strcmp(a->product, b->product))) &&
                      ((!a->category && !b->category) ||
                       (a->category && b->category && !strcmp(a->category, b->category))) &&
                      ((!a->service && !b->service) ||
                       (a->service && b->service && !strcmp(a->service, b->service)));
            if (eq)
                break;
        }
        if (k == n_rows) {
            if (n_rows == 512)
                continue;
            rows[n_rows].ls = info.logsource;
            rows[n_rows].n = 0;
            rows[n_rows].mapped = info.logsource_mapped;
            n_rows++;
        }
        rows[k].n++;
    }
    fprintf(stderr, "rules by logsource (product/category/service):\n");
    for (size_t k = 0; k < n_rows; k++)
        fprintf(stderr, "  %6zu  %s/%s/%s%s\n", rows[k].n,
                rows[k].ls.product ? rows[k].ls.product : "-",
                rows[k].ls.category ? rows[k].ls.category : "-",
                rows[k].ls.service ? rows[k].ls.service : "-",
                rows[k].mapped ? "" : "  (unmapped)");
}

int cli_check(int argc, char **argv)
{
    static rsrc_opts o;
    memset(&o, 0, sizeof(o));
    bool strict = false, quiet = false, stats = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int r = rsrc_parse_opt(&o, argc, argv, &i);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(check_help, stdout);
            fputs(rsrc_help, stdout);
            return CLI_OK;
        } else if (strcmp(a, "--strict") == 0) {
            strict = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--stats") == 0) {
            stats = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "vigil check: unknown option '%s' (see vigil check --help)\n", a);
            return CLI_USAGE;
        } else if (o.n_paths < RSRC_MAX) {
            o.paths[o.n_paths++] = a;
        }
    }
    if (o.n_paths == 0) {
        fprintf(stderr, "vigil check: no rule files given (see vigil check --help)\n");
        return CLI_USAGE;
    }
    double t0 = now_s();
    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = d ? rsrc_load(&o, d, &n_files) : NULL;
    double t1 = now_s();
    rsrc_print_diags(d, !quiet);
    int status = CLI_OK;
    if (!rs) {
        fprintf(stderr, "vigil check: could not build the ruleset (out of memory)\n");
        status = CLI_FAILED;
    } else {
        vg_ruleset_stats st;
        vg_ruleset_stats_get(rs, &st);
        size_t n_err = vg_diags_errors(d), n_warn = vg_diags_warnings(d);
        fprintf(stderr,
                "checked %zu files, %zu documents in %.3f s: %zu rules loaded, %zu correlations, "
                "%zu filters, %zu rejected; %zu errors, %zu warnings (%zu rules with unmapped "
                "logsource)\n",
                n_files, st.n_docs, t1 - t0, st.n_rules, st.n_correlations, st.n_filters,
                st.n_rejected, n_err, n_warn, st.n_unmapped);
        rsrc_print_summary(d);
        if (stats) {
            print_stats(rs);
            char err[256];
            vg_prefilter_info pi;
            double p0 = now_s();
            if (vg_ruleset_build_prefilter(rs, err, sizeof(err)) != VG_OK) {
                fprintf(stderr, "prefilter: cannot build: %s\n", err);
                status = CLI_FAILED;
            } else if (vg_ruleset_prefilter_info(rs, &pi)) {
                fprintf(stderr,
                        "prefilter: %zu rules need one of their literals, exact values or "
                        "fields to be seen (%zu of them also one of a second set), %zu are "
                        "evaluated on every event (negations, null, ...); %zu literals and "
                        "%zu regexes in %zu databases, %zu exact values, built in %.3f s\n",
                        pi.n_filtered, pi.n_more, pi.n_always, pi.n_literals, pi.n_regex,
                        pi.n_databases, pi.n_exact, now_s() - p0);
            }
        }
        if (n_err > 0 || (strict && n_warn > 0))
            status = CLI_FAILED;
    }
    vg_ruleset_free(rs);
    vg_diags_free(d);
    return status;
}
