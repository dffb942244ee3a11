/* SPDX-License-Identifier: Apache-2.0 */
/*
 * worst_event.c: the longest time one event costs a worker (vigil_worst_event).
 *
 * Rules are loaded as `vigil run` loads them (the same rule options, built-in mappings,
 * placeholders) and the literal prefilter is built. Then, on one thread, every event of
 *   - a JSON-lines file (--events; the benchmark corpus), and
 *   - every JSON file below a directory (--regression; SigmaHQ's regression cases), each
 *     of its events followed by K variants (tests/support/mutate.c, seeded: the same
 *     variants on every run)
 * is timed (CLOCK_MONOTONIC) through what a worker does with it: reset, parse, index and
 * vg_match_event_fast. The reference evaluator (vg_match_event, which runs every rule whose
 * logsource applies) is timed on the same parsed event, after the fast matcher; its time
 * bounds the time any single rule can take on that event. A record that does not parse
 * counts with its parse time. The first event that parses is matched once untimed before
 * it is measured, so that the first use of the scratches and of the prefilter's databases
 * is not charged to it.
 *
 * One pass times each event once; when the process was switched out during the event's run
 * (getrusage's context switch counts, read outside the timed spans, moved) the event is run
 * again, at most TRIES times, and each step keeps its fastest time. An interrupt, or
 * another process on the same core, can still make an event look slow, so the CANDIDATES
 * slowest events of each matcher are timed again (--repeat runs each, the fastest kept,
 * with a scratch of their own) and the rule that costs most on each is found with the
 * engine's rule profile. An event is over the limit when its time in the pass and its time
 * again both are; the events not timed again took no longer in the pass than the fastest
 * of those that were ("others <=").
 *
 * Printed on stdout: events measured, max, p99.9, p99 and median of the pass, the slowest
 * event again, events over the limit, the slowest events with where they come from (file
 * and line, variant number), regex limit hits, and a PASS/FAIL line for the fast matcher
 * against the limit (--limit-ms). Exit status: 0 with PASS or FAIL (a benchmark, not a
 * test), 1 when rules or inputs cannot be read, 2 on a usage error.
 */
#include "cli.h"
#include "fsutil.h"
#include "input.h"
#include "mutate.h"
#include "rulesrc.h"
#include "units.h"
#include "vigil/buf.h"
#include "vigil/match.h"
#include "vigil/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CANDIDATES       256 /* slowest events per matcher kept and timed again */
#define TRIES            3   /* runs of an event in the pass while a context switch hits it */
#define DEFAULT_TOP      5
#define DEFAULT_REPEAT   5
#define DEFAULT_VARIANTS 80
#define DEFAULT_SEED     0x776f727374657674ull
#define DEFAULT_LIMIT_MS 10

static const char usage_text[] =
        "Usage: vigil_worst_event --rules PATH... [--events FILE] [--regression DIR] [OPTIONS]\n"
        "\n"
        "Time parse + index + match of every event on one thread, with the fast matcher and\n"
        "the reference evaluator, and report the slowest events.\n"
        "\n"
        "Events (at least one of):\n"
        "  --events FILE            JSON lines (the benchmark corpus)\n"
        "  --max-events N           only the first N records of --events (default: all)\n"
        "  --regression DIR         every *.json file below DIR (SigmaHQ regression/), each\n"
        "                           event followed by its variants\n"
        "  --variants K             mutated variants per regression event (default 80)\n"
        "  --seed N                 seed of the variants (default fixed)\n"
        "\n"
        "Measuring:\n"
        "  --limit-ms N             the PASS/FAIL limit per event in ms (default 10)\n"
        "  --repeat N               runs of each of the 256 slowest events when timed again;\n"
        "                           the fastest counts (default 5)\n"
        "  --top N                  slowest events listed per matcher (default 5, at most 256)\n"
        "  --no-reference           do not time the reference evaluator\n"
        "  --max-record SIZE        longest record read (default 4MiB, as vigil run)\n"
        "\n";

/* Where an event comes from. */
typedef struct origin {
    const char *file;
    uint64_t line;    /* where its record starts */
    uint32_t variant; /* 0: the record as read; k: its k-th variant */
} origin;

/* One of the slowest events of a matcher, with a copy of its text. */
typedef struct slow {
    uint64_t ns, parse_ns; /* in the pass */
    uint64_t again_ns;     /* timed again: the fastest of the repeated runs */
    origin at;
    char *text;
    size_t len;
} slow;

/* Per-event times of one matcher. */
typedef struct mstat {
    const char *name;
    vg_match_scratch *s;
    bool fast;
    uint64_t *ns; /* parse + match, per event */
    size_t n, cap;
    slow top[CANDIDATES]; /* slowest first */
    size_t n_top;
} mstat;

typedef struct bench {
    const vg_ruleset *rs;
    vg_event *ev;
    uint32_t *hits;
    size_t cap;
    mstat m[2]; /* fast, reference */
    size_t n_m;
    uint64_t limit_ns;
    size_t unparsable;
    size_t switched; /* events run again after a context switch */
    bool warm;       /* the matchers have run once */
} bench;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keep ns and, if it is among the slowest, the event. -1 when out of memory. */
static int record(mstat *m, uint64_t parse_ns, uint64_t ns, const char *t, size_t len, origin at)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1 << 16;
        uint64_t *v = realloc(m->ns, cap * sizeof(*v));
        if (!v)
            return -1;
        m->ns = v;
        m->cap = cap;
    }
    m->ns[m->n++] = ns;
    if (m->n_top == CANDIDATES && ns <= m->top[CANDIDATES - 1].ns)
        return 0;
    char *copy = vg_strndup(t, len);
    if (!copy)
        return -1;
    if (m->n_top == CANDIDATES)
        vg_free(m->top[--m->n_top].text);
    size_t i = m->n_top++;
    for (; i > 0 && m->top[i - 1].ns < ns; i--)
        m->top[i] = m->top[i - 1];
    m->top[i] = (slow){ns, parse_ns, 0, at, copy, len};
    return 0;
}

/* Parse the event text into b->ev: reset, parse, the lean index, as a worker does. */
static vg_status parse(bench *b, const char *t, size_t len)
{
    vg_event_reset(b->ev);
    vg_status rc = vg_parse_json(b->ev, t, len, NULL);
    return rc == VG_OK ? vg_match_index(b->rs, b->ev) : rc;
}

/* The reference evaluator's time includes completing the index (vigil run indexes whole
 * for it). */
static size_t run(const bench *b, const mstat *m, vg_match_scratch *s)
{
    if (m->fast)
        return vg_match_event_fast(b->rs, s, b->ev, NULL, b->hits, b->cap);
    if (vg_event_index(b->ev) != VG_OK)
        return 0;
    return vg_match_event(b->rs, s, b->ev, NULL, b->hits, b->cap);
}

/* Context switches of this process so far (voluntary or not). */
static long switches(void)
{
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_nvcsw + u.ru_nivcsw : 0;
}

/* Time one event with every matcher; *parsed says whether it parsed (then b->ev holds it).
 * When the process was switched out meanwhile the event is run again (up to TRIES runs)
 * and each step keeps its fastest time. -1 when out of memory. */
static int measure(bench *b, const char *t, size_t len, origin at, bool *parsed)
{
    if (!b->warm && parse(b, t, len) == VG_OK) {
        for (size_t i = 0; i < b->n_m; i++)
            run(b, &b->m[i], b->m[i].s);
        b->warm = true;
    }
    uint64_t parse_ns = UINT64_MAX, match_ns[2] = {UINT64_MAX, UINT64_MAX};
    vg_status rc = VG_OK;
    for (int run_no = 0; run_no < TRIES; run_no++) {
        long cs = switches();
        uint64_t t0 = now_ns();
        rc = parse(b, t, len);
        uint64_t t1 = now_ns();
        parse_ns = t1 - t0 < parse_ns ? t1 - t0 : parse_ns;
        for (size_t i = 0; i < b->n_m; i++) {
            uint64_t t2 = now_ns();
            if (rc == VG_OK)
                run(b, &b->m[i], b->m[i].s);
            uint64_t ns = rc == VG_OK ? now_ns() - t2 : 0;
            match_ns[i] = ns < match_ns[i] ? ns : match_ns[i];
        }
        if (switches() == cs)
            break;
        b->switched += run_no == 0;
    }
    *parsed = rc == VG_OK;
    b->unparsable += rc != VG_OK;
    for (size_t i = 0; i < b->n_m; i++)
        if (record(&b->m[i], parse_ns, parse_ns + match_ns[i], t, len, at) != 0)
            return -1;
    return 0;
}

/* ---- inputs ---- */

/* A regression event in compact JSON, the base of its variants. */
typedef struct kept {
    char *text;
    size_t len;
    origin at;
} kept;

typedef struct keeplist {
    kept *v;
    size_t n, cap;
    mut_pools *pools; /* what the variants draw from */
} keeplist;

/* Keep the event in b->ev and add its values to the pools. -1 when out of memory. */
static int keep_event(keeplist *l, const vg_event *ev, origin at)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        kept *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    vg_buf out;
    vg_buf_init(&out, 0);
    vg_event_to_json(ev, &out);
    kept k = {NULL, out.len, at};
    if (vg_buf_status(&out) == VG_OK)
        k.text = vg_strndup(out.len ? out.p : "", out.len);
    vg_buf_fini(&out);
    if (!k.text)
        return -1;
    l->v[l->n++] = k;
    return mut_pools_add_event(l->pools, k.text, k.len);
}

/* Measure the records of a JSON file (at most max of them); with keep, the ones that parse
 * are kept for their variants. Returns the records measured, or -1 after printing an
 * error. */
static long long
read_file(bench *b, const char *path, size_t max_record, uint64_t max, keeplist *keep)
{
    input *in = input_open(path, VG_FMT_JSON, max_record);
    if (!in) {
        fprintf(stderr, "vigil_worst_event: %s: %s\n", path, strerror(errno));
        return -1;
    }
    long long n = 0;
    input_rec r;
    input_kind k;
    while ((uint64_t)n < max && (k = input_next(in, &r)) != INPUT_EOF) {
        if (k == INPUT_ERROR) {
            fprintf(stderr, "vigil_worst_event: %s: %s\n", path, strerror(input_errno(in)));
            n = -1;
            break;
        }
        if (k != INPUT_RECORD) {
            fprintf(stderr, "vigil_worst_event: %s:%llu: %s record skipped\n", path,
                    (unsigned long long)r.line, k == INPUT_OVERSIZE ? "oversized" : "unframed");
            continue;
        }
        origin at = {path, r.line, 0};
        bool parsed;
        if (measure(b, r.p, r.len, at, &parsed) != 0 ||
            (keep && parsed && keep_event(keep, b->ev, at) != 0))
            goto nomem;
        n++;
    }
    input_close(in);
    return n;
nomem:
    input_close(in);
    fprintf(stderr, "vigil_worst_event: out of memory\n");
    return -1;
}

/* The regression events and k variants of each. Counts go to *n_events and *n_variants.
 * -1 after printing an error. */
static int read_regression(bench *b,
                           const char *dir,
                           size_t max_record,
                           size_t k,
                           uint64_t seed,
                           fs_list *files,
                           size_t *n_events,
                           size_t *n_variants)
{
    int e = fs_collect_suffix(dir, ".json", files);
    if (e != 0) {
        fprintf(stderr, "vigil_worst_event: %s: %s\n", dir, strerror(e));
        return -1;
    }
    keeplist keep = {NULL, 0, 0, mut_pools_new()};
    int rc = 0;
    bool nomem = !keep.pools || mut_pools_add_rules(keep.pools, b->rs) != 0;
    for (size_t i = 0; i < files->n && rc == 0 && !nomem; i++) {
        long long n = read_file(b, files->v[i], max_record, UINT64_MAX, &keep);
        rc = n < 0 ? -1 : 0;
        *n_events += n < 0 ? 0 : (size_t)n;
    }
    vg_buf out;
    vg_buf_init(&out, 0);
    for (size_t i = 0; i < keep.n && rc == 0 && !nomem; i++) {
        mut_prng g = mut_prng_seed(seed, i);
        for (size_t v = 1; v <= k && !nomem; v++) {
            if (!mut_mutate(keep.pools, &g, keep.v[i].text, keep.v[i].len, &out))
                continue;
            origin at = keep.v[i].at;
            at.variant = (uint32_t)v;
            bool parsed;
            nomem = vg_buf_status(&out) != VG_OK || measure(b, out.p, out.len, at, &parsed) != 0;
            (*n_variants)++;
        }
    }
    if (nomem) {
        fprintf(stderr, "vigil_worst_event: out of memory\n");
        rc = -1;
    }
    vg_buf_fini(&out);
    for (size_t i = 0; i < keep.n; i++)
        vg_free(keep.v[i].text);
    free(keep.v);
    mut_pools_free(keep.pools);
    return rc;
}

/* ---- the slowest events again ---- */

/* Time w again: the fastest of `repeat` runs of parse + match with the scratch s. */
static void retime(bench *b, const mstat *m, vg_match_scratch *s, slow *w, uint64_t repeat)
{
    w->again_ns = UINT64_MAX;
    for (uint64_t r = 0; r < repeat; r++) {
        uint64_t t0 = now_ns();
        if (parse(b, w->text, w->len) == VG_OK)
            run(b, m, s);
        uint64_t ns = now_ns() - t0;
        if (ns < w->again_ns)
            w->again_ns = ns;
    }
}

static int cmp_again(const void *a, const void *b)
{
    const slow *x = a, *y = b;
    return x->again_ns < y->again_ns ? 1 : x->again_ns > y->again_ns ? -1 : 0;
}

/* The rule that costs most on w (profiled, with a fresh scratch), into out. */
static void
costliest(bench *b, const mstat *m, const slow *w, vg_rule_cost *costs, char *out, size_t cap)
{
    snprintf(out, cap, "no rule evaluated");
    size_t n = vg_ruleset_count(b->rs);
    vg_match_scratch *s = vg_match_scratch_new(b->rs);
    if (!s || parse(b, w->text, w->len) != VG_OK) {
        vg_match_scratch_free(s);
        return;
    }
    vg_match_scratch_profile(s, now_ns, 1);
    run(b, m, s);
    memset(costs, 0, n * sizeof(*costs));
    vg_match_rule_costs(s, costs, n);
    vg_match_scratch_free(s);
    size_t best = n, evals = 0;
    for (size_t i = 0; i < n; i++) {
        evals += costs[i].timed > 0;
        if (costs[i].timed && (best == n || costs[i].ns > costs[best].ns))
            best = i;
    }
    if (best == n)
        return;
    vg_rule_info info;
    vg_ruleset_rule_info(b->rs, best, &info);
    snprintf(out, cap, "%zu rules evaluated, the costliest %.3f ms: %s (%s)", evals,
             (double)costs[best].ns / 1e6, info.id, info.title);
}

/* ---- report ---- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of sorted v[0, n). */
static uint64_t quantile(const uint64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t r = (size_t)(q * (double)n);
    if ((double)r < q * (double)n)
        r++;
    return v[r == 0 ? 0 : r > n ? n - 1 : r - 1];
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* The pass time of the fastest event timed again: no event that was not timed again took
 * longer in the pass. 0 when every event was timed again. */
static uint64_t others(const mstat *m)
{
    uint64_t lo = UINT64_MAX;
    for (size_t j = 0; j < m->n_top; j++)
        lo = m->top[j].ns < lo ? m->top[j].ns : lo;
    return m->n_top == CANDIDATES ? lo : 0;
}

/* Events over the limit in the pass and again. */
static size_t over(const bench *b, const mstat *m)
{
    size_t k = 0;
    for (size_t j = 0; j < m->n_top; j++)
        k += m->top[j].ns > b->limit_ns && m->top[j].again_ns > b->limit_ns;
    return k;
}

typedef struct counts {
    const char *events, *regression;
    size_t n_corpus, n_files, n_reg, n_var, variants, top;
    uint64_t repeat;
} counts;

static void print_times(bench *b, const counts *c)
{
    printf("events measured: %zu (", b->m[0].n);
    if (c->events)
        printf("%zu records of %s%s", c->n_corpus, c->events, c->regression ? "; " : "");
    if (c->regression)
        printf("%zu events of %zu files below %s and %zu variants, %zu per event", c->n_reg,
               c->n_files, c->regression, c->n_var, c->variants);
    printf("); %zu did not parse (timed to the parse error)\n", b->unparsable);
    printf("time per event, ms: reset + parse + index + match, one thread\n");
    printf("  %-10s %9s %9s %9s %9s %10s %10s %11s\n", "matcher", "max", "p99.9", "p99", "median",
           "max again", "others <=", "over limit");
    for (size_t i = 0; i < b->n_m; i++) {
        mstat *m = &b->m[i];
        qsort(m->ns, m->n, sizeof(*m->ns), cmp_u64);
        char rest[32] = "-"; /* every event was timed again */
        if (others(m))
            snprintf(rest, sizeof(rest), "%.3f", ms(others(m)));
        printf("  %-10s %9.3f %9.3f %9.3f %9.3f %10.3f %10s %11zu\n", m->name,
               ms(m->n ? m->ns[m->n - 1] : 0), ms(quantile(m->ns, m->n, 0.999)),
               ms(quantile(m->ns, m->n, 0.99)), ms(quantile(m->ns, m->n, 0.5)),
               ms(m->n_top ? m->top[0].again_ns : 0), rest, over(b, m));
    }
    printf("  max, p99.9, p99, median: one pass over every event (%zu of them run again in the\n"
           "  pass after a context switch during their run); max again: the %d slowest of the\n"
           "  pass timed again (fastest of %llu runs); others <=: the rest took at most this\n"
           "  long in the pass; over limit: over %llu ms in the pass and again\n",
           b->switched, CANDIDATES, (unsigned long long)c->repeat,
           (unsigned long long)(b->limit_ns / 1000000u));
}

static void print_slowest(bench *b, const counts *c)
{
    vg_rule_cost *costs = calloc(vg_ruleset_count(b->rs) + 1, sizeof(*costs));
    for (size_t i = 0; i < b->n_m; i++) {
        mstat *m = &b->m[i];
        printf("slowest events, %s matcher (ms again / in the pass / parse in the pass)\n",
               m->name);
        for (size_t j = 0; j < m->n_top && j < c->top; j++) {
            const slow *w = &m->top[j];
            char rule[512] = "rules not profiled (out of memory)";
            if (costs)
                costliest(b, m, w, costs, rule, sizeof(rule));
            printf("  %zu. %.3f / %.3f / %.3f  %s:%llu", j + 1, ms(w->again_ns), ms(w->ns),
                   ms(w->parse_ns), w->at.file, (unsigned long long)w->at.line);
            if (w->at.variant)
                printf(" variant %u", w->at.variant);
            printf("\n     %s\n", rule);
        }
    }
    free(costs);
}

/* 0, or -1 when out of memory. */
static int report(bench *b, const counts *c)
{
    vg_match_counters mc[2];
    for (size_t i = 0; i < b->n_m; i++)
        vg_match_counters_get(b->m[i].s, &mc[i]);
    for (size_t i = 0; i < b->n_m; i++) {
        mstat *m = &b->m[i];
        vg_match_scratch *s = vg_match_scratch_new(b->rs);
        if (!s)
            return -1;
        for (size_t j = 0; j < m->n_top; j++)
            retime(b, m, s, &m->top[j], c->repeat);
        vg_match_scratch_free(s);
        qsort(m->top, m->n_top, sizeof(*m->top), cmp_again);
    }
    print_times(b, c);
    print_slowest(b, c);
    printf("regex limit hits (in the pass):");
    for (size_t i = 0; i < b->n_m; i++)
        printf("%s %s %llu (%llu rule evaluations, %.1f per event)", i ? ";" : "", b->m[i].name,
               (unsigned long long)mc[i].regex_limit, (unsigned long long)mc[i].rule_evals,
               mc[i].events ? (double)mc[i].rule_evals / (double)mc[i].events : 0.0);
    printf("\n");
    const mstat *f = &b->m[0];
    size_t n_over = over(b, f);
    printf("limit %llu ms per event, fast matcher: %s (max %.3f ms in the pass, %.3f ms again; "
           "%zu%s events over",
           (unsigned long long)(b->limit_ns / 1000000u), n_over ? "FAIL" : "PASS",
           ms(f->n ? f->ns[f->n - 1] : 0), ms(f->n_top ? f->top[0].again_ns : 0), n_over,
           n_over == CANDIDATES ? " or more" : "");
    if (b->n_m > 1) {
        const mstat *r = &b->m[1];
        size_t r_over = over(b, r);
        printf("; reference evaluator: max %.3f ms in the pass, %.3f ms again, %zu%s events "
               "over",
               ms(r->n ? r->ns[r->n - 1] : 0), ms(r->n_top ? r->top[0].again_ns : 0), r_over,
               r_over == CANDIDATES ? " or more" : "");
    }
    printf(")\n");
    return 0;
}

/* ---- main ---- */

typedef struct opts {
    rsrc_opts rules;
    const char *events, *regression;
    uint64_t max_events, variants, seed, limit_ms, top, repeat, max_record;
    bool reference;
} opts;

/* 0 to go on, or the exit status. */
static int parse_opts(opts *o, int argc, char **argv)
{
    const char *cmd = "vigil_worst_event";
    for (int i = 1; i < argc; i++) {
        int r = rsrc_parse_opt(&o->rules, argc, argv, &i);
        if (r < 0)
            return CLI_USAGE;
        if (r > 0)
            continue;
        const char *val = NULL;
        cli_arg arg;
        cli_arg_init(&arg, argv[i]);
        bool ok = true;
        if (cli_arg_is(&arg, "-h") || cli_arg_is(&arg, "--help")) {
            fputs(usage_text, stdout);
            fputs(rsrc_help, stdout);
            return -1;
        } else if (cli_arg_is(&arg, "--no-reference")) {
            o->reference = false;
        } else if (!(val = cli_arg_value(&arg, argc, argv, &i, cmd))) {
            return CLI_USAGE;
        } else if (cli_arg_is(&arg, "--events")) {
            o->events = val;
        } else if (cli_arg_is(&arg, "--regression")) {
            o->regression = val;
        } else if (cli_arg_is(&arg, "--max-events")) {
            ok = cli_parse_u64(val, 0, UINT64_MAX, &o->max_events);
        } else if (cli_arg_is(&arg, "--variants")) {
            ok = cli_parse_u64(val, 0, 100000, &o->variants);
        } else if (cli_arg_is(&arg, "--seed")) {
            ok = cli_parse_u64(val, 0, UINT64_MAX, &o->seed);
        } else if (cli_arg_is(&arg, "--limit-ms")) {
            ok = cli_parse_u64(val, 1, 3600000, &o->limit_ms);
        } else if (cli_arg_is(&arg, "--top")) {
            ok = cli_parse_u64(val, 1, CANDIDATES, &o->top);
        } else if (cli_arg_is(&arg, "--repeat")) {
            ok = cli_parse_u64(val, 1, 1000, &o->repeat);
        } else if (cli_arg_is(&arg, "--max-record")) {
            ok = units_size(val, &o->max_record) && o->max_record >= 64 &&
                 o->max_record <= (uint64_t)1 << 31;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", cmd, argv[i]);
            return CLI_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "%s: bad value '%s' for %.*s (see --help)\n", cmd, val,
                    (int)arg.name_len, arg.a);
            return CLI_USAGE;
        }
    }
    if (o->rules.n_paths == 0 || (!o->events && !o->regression)) {
        fprintf(stderr, "%s: give --rules and --events and/or --regression (see --help)\n", cmd);
        return CLI_USAGE;
    }
    return 0;
}

static vg_ruleset *load_rules(const rsrc_opts *ro)
{
    vg_diags *d = vg_diags_new();
    size_t n_files = 0;
    vg_ruleset *rs = d ? rsrc_load(ro, d, &n_files) : NULL;
    if (rs) {
        vg_ruleset_stats st;
        vg_ruleset_stats_get(rs, &st);
        printf("rules: %zu loaded from %zu files (%zu rejected, %zu errors)\n", st.n_rules, n_files,
               st.n_rejected, d ? vg_diags_errors(d) : 0);
        char err[256];
        if (vg_ruleset_build_prefilter(rs, err, sizeof(err)) != VG_OK) {
            fprintf(stderr, "vigil_worst_event: cannot build the prefilter: %s\n", err);
            vg_ruleset_free(rs);
            rs = NULL;
        }
    } else {
        rsrc_print_diags(d, false);
        fprintf(stderr, "vigil_worst_event: could not build the ruleset\n");
    }
    vg_diags_free(d);
    return rs;
}

int main(int argc, char **argv)
{
    opts o = {.max_events = UINT64_MAX,
              .variants = DEFAULT_VARIANTS,
              .seed = DEFAULT_SEED,
              .limit_ms = DEFAULT_LIMIT_MS,
              .top = DEFAULT_TOP,
              .repeat = DEFAULT_REPEAT,
              .max_record = 4u << 20,
              .reference = true};
    int st = parse_opts(&o, argc, argv);
    if (st != 0)
        return st < 0 ? 0 : st;
    vg_ruleset *rs = load_rules(&o.rules);
    if (!rs)
        return 1;
    vg_event_limits lim = {65536, 64, (size_t)o.max_record * 4 + (1u << 20)};
    bench b = {.rs = rs, .limit_ns = o.limit_ms * 1000000u};
    b.ev = vg_event_new(&lim);
    b.cap = vg_ruleset_count(rs) + 1;
    b.hits = calloc(b.cap, sizeof(*b.hits));
    b.m[0] = (mstat){.name = "fast", .fast = true, .s = vg_match_scratch_new(rs)};
    b.m[1] = (mstat){.name = "reference", .s = vg_match_scratch_new(rs)};
    b.n_m = o.reference ? 2 : 1;
    fs_list files = {0};
    size_t n_reg = 0, n_var = 0;
    long long n_corpus = 0;
    int rc = b.ev && b.hits && b.m[0].s && b.m[1].s ? 0 : 1;
    if (rc != 0)
        fprintf(stderr, "vigil_worst_event: out of memory\n");
    if (rc == 0 && o.events) {
        fprintf(stderr, "vigil_worst_event: measuring %s\n", o.events);
        n_corpus = read_file(&b, o.events, (size_t)o.max_record, o.max_events, NULL);
        rc = n_corpus < 0;
    }
    if (rc == 0 && o.regression) {
        fprintf(stderr, "vigil_worst_event: measuring %s and %llu variants per event\n",
                o.regression, (unsigned long long)o.variants);
        rc = read_regression(&b, o.regression, (size_t)o.max_record, (size_t)o.variants, o.seed,
                             &files, &n_reg, &n_var) != 0;
    }
    counts c = {o.events, o.regression,       (size_t)n_corpus, files.n, n_reg,
                n_var,    (size_t)o.variants, (size_t)o.top,    o.repeat};
    if (rc == 0 && report(&b, &c) != 0) {
        fprintf(stderr, "vigil_worst_event: out of memory\n");
        rc = 1;
    }
    fs_list_free(&files);
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < b.m[i].n_top; j++)
            vg_free(b.m[i].top[j].text);
        free(b.m[i].ns);
        vg_match_scratch_free(b.m[i].s);
    }
    free(b.hits);
    vg_event_free(b.ev);
    vg_ruleset_free(rs);
    return rc;
}
