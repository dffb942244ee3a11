/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_bench.c: the correlator's own throughput and memory (vigil_corr_bench).
 *
 * Signals are built directly (no parsing, no matching: those have their own benchmark) in
 * batches of 4,096, as the pipeline hands them over, and pushed with vg_corr_push; only the
 * pushes are timed (process CPU time). Scenarios:
 *   count     event_count gte 10 in 5m over K group keys (default 100,000), N signals
 *             (default 10,000,000), one signal per millisecond of event time, keys drawn
 *             at random, every 1,000th signal a burst of 12 on one key (alerts)
 *   distinct  value_count gte 20,000 in 10s on one key: 10,000 signals per window with
 *             values from a million (about 10,000 distinct per window)
 *   keys      K distinct group keys (default 10,000,000), one signal each, event_count gte 2
 *             in 1h: state bytes per key and peak RSS
 *   ordered   temporal_ordered a -> b -> c in 5m over K keys
 * Prints one line per scenario: signals, seconds, signals/s, alerts, live keys, state bytes,
 * bytes per key, peak RSS.
 *
 * Usage: vigil_corr_bench [count|distinct|keys|ordered|all] [N] [K]
 */
#include "corr/corr_int.h"
#include "vigil/corr.h"
#include "vigil/ruleset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BATCH 4096

static const char rules_base[] = "title: A\nid: a\nname: a\nlogsource: {product: test}\n"
                                 "detection: {sel: {k: a}, condition: sel}\n---\n"
                                 "title: B\nid: b\nname: b\nlogsource: {product: test}\n"
                                 "detection: {sel: {k: b}, condition: sel}\n---\n"
                                 "title: C\nid: c\nname: c\nlogsource: {product: test}\n"
                                 "detection: {sel: {k: c}, condition: sel}\n---\n";

static vg_ruleset *load(const char *corr)
{
    char text[2048];
    snprintf(text, sizeof(text), "%s%s", rules_base, corr);
    vg_ruleset *rs = vg_ruleset_new();
    vg_diags *d = vg_diags_new();
    if (!rs || !d || vg_ruleset_add_rules(rs, "bench.yml", text, strlen(text), d) != VG_OK ||
        vg_ruleset_finish(rs, d) != VG_OK || vg_diags_errors(d) > 0) {
        fprintf(stderr, "corr_bench: rules do not compile\n");
        exit(2);
    }
    vg_diags_free(d);
    return rs;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct bench {
    vg_ruleset *rs;
    vg_corr *c;
    vg_corr_sigs *sigs;
    vg_buf out;
    double cpu;
    uint64_t n;
} bench;

static void add(bench *b,
                uint32_t src,
                int64_t ts,
                const char *key,
                size_t klen,
                const char *val,
                size_t vlen,
                uint64_t rec)
{
    vg_corr_sigs *s = b->sigs;
    size_t key_off = s->blen;
    if (!vg_csigs_put_value(s, key, klen))
        exit(3);
    size_t val_off = s->blen;
    if (val && !vg_csigs_put_value(s, val, vlen))
        exit(3);
    vg_csig *g = vg_csigs_push(s);
    if (!g)
        exit(3);
    g->corr = 0;
    g->src = src;
    g->ts = ts;
    g->key_off = key_off;
    g->key_len = (uint32_t)(val_off - key_off);
    g->val_off = val_off;
    g->val_len = (uint32_t)(s->blen - val_off);
    g->org.input = "bench";
    g->org.record = rec;
    g->org.line = 0;
    if (s->n == BATCH) {
        double t0 = cpu_now();
        vg_corr_push(b->c, s, &b->out, 0);
        b->cpu += cpu_now() - t0;
        b->n += s->n;
        vg_buf_clear(&b->out);
        vg_corr_sigs_clear(s);
    }
}

static void bench_start(bench *b, const char *corr)
{
    memset(b, 0, sizeof(*b));
    b->rs = load(corr);
    vg_corr_opts o = {0};
    o.max_bytes = (size_t)8 << 30;
    b->c = vg_corr_new(b->rs, &o);
    b->sigs = vg_corr_sigs_new();
    vg_buf_init(&b->out, 0);
    if (!b->c || !b->sigs)
        exit(3);
}

static void bench_end(bench *b, const char *name)
{
    double t0 = cpu_now();
    vg_corr_push(b->c, b->sigs, &b->out, 0);
    b->cpu += cpu_now() - t0;
    b->n += b->sigs->n;
    vg_corr_counters ct;
    vg_corr_counters_get(b->c, &ct);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-9s signals %10llu  cpu %7.3f s  %10.0f signals/s  alerts %8llu  keys %9llu  "
           "state %8.1f MiB  %6.1f B/key  peak RSS %7.1f MiB\n",
           name, (unsigned long long)b->n, b->cpu, b->cpu > 0 ? b->n / b->cpu : 0,
           (unsigned long long)ct.alerts, (unsigned long long)ct.keys, ct.bytes / 1048576.0,
           ct.keys ? (double)ct.bytes / ct.keys : 0, ru.ru_maxrss / 1024.0);
    fflush(stdout);
    vg_buf_fini(&b->out);
    vg_corr_sigs_free(b->sigs);
    vg_corr_free(b->c);
    vg_ruleset_free(b->rs);
}

static char (*keynames)[16];

static void make_keys(uint64_t k)
{
    keynames = malloc(k * sizeof(*keynames));
    if (!keynames)
        exit(3);
    for (uint64_t i = 0; i < k; i++)
        snprintf(keynames[i], sizeof(keynames[i]), "user%09u", (unsigned)(i % 1000000000u));
}

static void run_count(uint64_t n, uint64_t k)
{
    bench b;
    bench_start(&b, "title: EC\nid: ec\ncorrelation: {type: event_count, rules: [a], "
                    "group-by: [user], timespan: 5m, condition: {gte: 10}}\n");
    make_keys(k);
    for (uint64_t i = 0; i < n;) {
        if (i % 1000 == 999) {
            uint64_t key = rnd() % k;
            for (int j = 0; j < 12 && i < n; j++, i++)
                add(&b, 0, (int64_t)i, keynames[key], 13, NULL, 0, i);
            continue;
        }
        uint64_t key = rnd() % k;
        add(&b, 0, (int64_t)i, keynames[key], 13, NULL, 0, i);
        i++;
    }
    bench_end(&b, "count");
    free(keynames);
}

static void run_distinct(uint64_t n)
{
    bench b;
    bench_start(&b, "title: VC\nid: vc\ncorrelation: {type: value_count, rules: [a], "
                    "group-by: [host], timespan: 10s, condition: {field: user, gte: 20000}}\n");
    char val[24];
    for (uint64_t i = 0; i < n; i++) {
        int len = snprintf(val, sizeof(val), "u%llu", (unsigned long long)(rnd() % 1000000));
        add(&b, 0, (int64_t)i, "host1", 5, val, (size_t)len, i);
    }
    bench_end(&b, "distinct");
}

static void run_keys(uint64_t k)
{
    bench b;
    bench_start(&b, "title: EC\nid: ec\ncorrelation: {type: event_count, rules: [a], "
                    "group-by: [user], timespan: 1h, condition: {gte: 2}}\n");
    char name[24];
    for (uint64_t i = 0; i < k; i++) { /* names made on the fly: only the state is resident */
        int len = snprintf(name, sizeof(name), "user%09u", (unsigned)(i % 1000000000u));
        add(&b, 0, (int64_t)(i / 1000), name, (size_t)len, NULL, 0, i);
    }
    bench_end(&b, "keys");
}

static void run_ordered(uint64_t n, uint64_t k)
{
    bench b;
    bench_start(&b, "title: TO\nid: to\ncorrelation: {type: temporal_ordered, rules: [a, b, c], "
                    "group-by: [user], timespan: 5m}\n");
    make_keys(k);
    for (uint64_t i = 0; i < n; i++)
        add(&b, (uint32_t)(rnd() % 3), (int64_t)i, keynames[rnd() % k], 13, NULL, 0, i);
    bench_end(&b, "ordered");
    free(keynames);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000000;
    uint64_t k = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
    bool all = strcmp(what, "all") == 0;
    if (all || strcmp(what, "count") == 0)
        run_count(n, k ? k : 100000);
    if (all || strcmp(what, "distinct") == 0)
        run_distinct(n);
    if (all || strcmp(what, "ordered") == 0)
        run_ordered(n, k ? k : 100000);
    if (all || strcmp(what, "keys") == 0)
        run_keys(k ? k : 10000000);
    return 0;
}
