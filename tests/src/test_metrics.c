/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics.c: the metrics registry (src/metrics.c): the exact exposition text of
 * counters, gauges and histograms with and without labels, label and help escaping, one
 * header for the label sets of a name, rejected names, label sets and bounds, and exact
 * totals of updates from two threads while a third renders and registers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *render(metrics *m, vg_buf *b)
{
    vg_buf_clear(b);
    metrics_render(m, b);
    assert_int_equal(vg_buf_status(b), VG_OK);
    return b->len ? b->p : "";
}

static void test_exposition(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    assert_non_null(m);
    char lb[128];
    assert_true(metrics_labels(lb, sizeof(lb), "topic", "auth", NULL));
    assert_string_equal(lb, "topic=\"auth\"");
    metric *c1 = metrics_counter(m, "vigil_records_total", "Records read.", NULL);
    metric *c2 = metrics_counter(m, "vigil_errors_total", "Errors.\nA \\ B", lb);
    metric *g = metrics_gauge(m, "vigil_lag", NULL, "");
    const double b[] = {0.25, 0.5, 1};
    metric *h = metrics_histogram(m, "vigil_batch_seconds", "Batch time.", "stage=\"match\"", b, 3);
    metric *h0 = metrics_histogram(m, "vigil_wait", "Wait.", NULL, NULL, 0);
    assert_non_null(c1);
    assert_non_null(c2);
    assert_non_null(g);
    assert_non_null(h);
    assert_non_null(h0);

    metric_add(c1, 3);
    metric_add(c1, 2);
    metric_add(c2, 1);
    metric_set(g, 2.5);
    metric_observe(h, 0.125);
    metric_observe(h, 0.25); /* a bound is inclusive */
    metric_observe(h, 0.75);
    metric_observe(h, 8);
    metric_observe(h, NAN); /* ignored */
    metric_observe(h0, 3);
    /* updates of another kind do nothing */
    metric_set(c1, 100);
    metric_observe(c1, 1);
    metric_observe(g, 1);
    metric_add(h, 5);
    metric_set(h, 5);

    vg_buf out;
    vg_buf_init(&out, 0);
    assert_string_equal(render(m, &out),
                        "# HELP vigil_records_total Records read.\n"
                        "# TYPE vigil_records_total counter\n"
                        "vigil_records_total 5\n"
                        "# HELP vigil_errors_total Errors.\\nA \\\\ B\n"
                        "# TYPE vigil_errors_total counter\n"
                        "vigil_errors_total{topic=\"auth\"} 1\n"
                        "# TYPE vigil_lag gauge\n"
                        "vigil_lag 2.5\n"
                        "# HELP vigil_batch_seconds Batch time.\n"
                        "# TYPE vigil_batch_seconds histogram\n"
                        "vigil_batch_seconds_bucket{stage=\"match\",le=\"0.25\"} 2\n"
                        "vigil_batch_seconds_bucket{stage=\"match\",le=\"0.5\"} 2\n"
                        "vigil_batch_seconds_bucket{stage=\"match\",le=\"1\"} 3\n"
                        "vigil_batch_seconds_bucket{stage=\"match\",le=\"+Inf\"} 4\n"
                        "vigil_batch_seconds_sum{stage=\"match\"} 9.125\n"
                        "vigil_batch_seconds_count{stage=\"match\"} 4\n"
                        "# HELP vigil_wait Wait.\n"
                        "# TYPE vigil_wait histogram\n"
                        "vigil_wait_bucket{le=\"+Inf\"} 1\n"
                        "vigil_wait_sum 3\n"
                        "vigil_wait_count 1\n");
    vg_buf_fini(&out);
    metrics_free(m);
}

static void test_gauge_values(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    metric *g[7];
    const char *names[7] = {"a", "b", "c", "d", "e", "f", "g"};
    for (int i = 0; i < 7; i++)
        g[i] = metrics_gauge(m, names[i], NULL, NULL);
    metric_set(g[0], 0.1);
    metric_set(g[1], 1e20);
    metric_set(g[2], -3);
    metric_set(g[3], 1.0 / 3);
    metric_set(g[4], NAN);
    metric_set(g[5], -INFINITY);
    metric_set(g[6], 1.5);
    metric_add(g[6], 2); /* a gauge adds too */
    vg_buf out;
    vg_buf_init(&out, 0);
    assert_string_equal(render(m, &out), "# TYPE a gauge\na 0.1\n"
                                         "# TYPE b gauge\nb 1e+20\n"
                                         "# TYPE c gauge\nc -3\n"
                                         "# TYPE d gauge\nd 0.3333333333333333\n"
                                         "# TYPE e gauge\ne NaN\n"
                                         "# TYPE f gauge\nf -Inf\n"
                                         "# TYPE g gauge\ng 3.5\n");
    vg_buf_fini(&out);
    metrics_free(m);
}

static void test_labels_escaping(void **state)
{
    (void)state;
    char lb[256];
    assert_true(metrics_labels(lb, sizeof(lb), "k",
                               "a\"b\\c\nd\xff"
                               "e",
                               "x_1", NULL, NULL));
    assert_string_equal(lb, "k=\"a\\\"b\\\\c\\nd\xEF\xBF\xBD"
                            "e\",x_1=\"\"");
    /* valid UTF-8 is kept */
    assert_true(metrics_labels(lb, sizeof(lb), "city", "Z\xC3\xBCrich", NULL));
    assert_string_equal(lb, "city=\"Z\xC3\xBCrich\"");
    /* bad label names, reserved prefix, no room */
    assert_false(metrics_labels(lb, sizeof(lb), "a-b", "1", NULL));
    assert_string_equal(lb, "");
    assert_false(metrics_labels(lb, sizeof(lb), "1a", "1", NULL));
    assert_false(metrics_labels(lb, sizeof(lb), "__name", "1", NULL));
    assert_false(metrics_labels(lb, sizeof(lb), "", "1", NULL));
    assert_false(metrics_labels(lb, 8, "topic", "a", NULL)); /* needs 9 bytes */
    assert_string_equal(lb, "");
    assert_true(metrics_labels(lb, 10, "topic", "a", NULL));
    assert_true(metrics_labels(lb, sizeof(lb), NULL));
    assert_string_equal(lb, "");

    /* the escaped set registers and renders as built */
    metrics *m = metrics_new();
    assert_true(metrics_labels(lb, sizeof(lb), "path", "C:\\tmp\\\"x\"", NULL));
    metric *c = metrics_counter(m, "files_total", "Files.", lb);
    assert_non_null(c);
    metric_add(c, 2);
    vg_buf out;
    vg_buf_init(&out, 0);
    assert_string_equal(render(m, &out), "# HELP files_total Files.\n"
                                         "# TYPE files_total counter\n"
                                         "files_total{path=\"C:\\\\tmp\\\\\\\"x\\\"\"} 2\n");
    vg_buf_fini(&out);
    metrics_free(m);
}

static void test_grouping_and_identity(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    metric *a = metrics_counter(m, "req_total", "Requests.", "code=\"200\"");
    metric *o = metrics_gauge(m, "other", "Other.", NULL);
    metric *b = metrics_counter(m, "req_total", "Ignored help.", "code=\"500\"");
    metric *c = metrics_counter(m, "req_total", NULL, NULL);
    assert_non_null(a);
    assert_non_null(o);
    assert_non_null(b);
    assert_non_null(c);
    assert_ptr_not_equal(a, b);
    /* the same name and labels: the same metric */
    assert_ptr_equal(metrics_counter(m, "req_total", "Requests.", "code=\"200\""), a);
    assert_ptr_equal(metrics_counter(m, "req_total", NULL, ""), c);
    assert_ptr_equal(metrics_gauge(m, "other", NULL, NULL), o);
    /* the same name as another kind: refused */
    assert_null(metrics_gauge(m, "req_total", NULL, "code=\"200\""));
    assert_null(metrics_gauge(m, "req_total", NULL, "code=\"404\""));
    assert_null(metrics_counter(m, "other", NULL, NULL));
    /* a histogram's bounds must match */
    const double b1[] = {1, 2}, b2[] = {1, 3};
    metric *h = metrics_histogram(m, "lat", NULL, NULL, b1, 2);
    assert_non_null(h);
    assert_ptr_equal(metrics_histogram(m, "lat", NULL, NULL, b1, 2), h);
    assert_null(metrics_histogram(m, "lat", NULL, NULL, b2, 2));
    assert_null(metrics_histogram(m, "lat", NULL, NULL, b1, 1));
    assert_non_null(metrics_histogram(m, "lat", NULL, "x=\"1\"", b2, 2));

    metric_add(a, 1);
    metric_add(b, 2);
    metric_add(c, 3);
    vg_buf out;
    vg_buf_init(&out, 0);
    assert_string_equal(render(m, &out), "# HELP req_total Requests.\n"
                                         "# TYPE req_total counter\n"
                                         "req_total{code=\"200\"} 1\n"
                                         "req_total{code=\"500\"} 2\n"
                                         "req_total 3\n"
                                         "# HELP other Other.\n"
                                         "# TYPE other gauge\n"
                                         "other 0\n"
                                         "# TYPE lat histogram\n"
                                         "lat_bucket{le=\"1\"} 0\n"
                                         "lat_bucket{le=\"2\"} 0\n"
                                         "lat_bucket{le=\"+Inf\"} 0\n"
                                         "lat_sum 0\n"
                                         "lat_count 0\n"
                                         "lat_bucket{x=\"1\",le=\"1\"} 0\n"
                                         "lat_bucket{x=\"1\",le=\"3\"} 0\n"
                                         "lat_bucket{x=\"1\",le=\"+Inf\"} 0\n"
                                         "lat_sum{x=\"1\"} 0\n"
                                         "lat_count{x=\"1\"} 0\n");
    vg_buf_fini(&out);
    metrics_free(m);
}

static void test_rejected(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    const char *bad_names[] = {"", "1abc", "a-b", "a b", "a.b", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
        assert_null(metrics_counter(m, bad_names[i], NULL, NULL));
    assert_null(metrics_counter(m, NULL, NULL, NULL));
    char longname[METRICS_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_null(metrics_counter(m, longname, NULL, NULL));
    longname[METRICS_NAME_MAX] = '\0';
    assert_non_null(metrics_counter(m, longname, NULL, NULL));
    assert_non_null(metrics_counter(m, "a:b_c9", NULL, NULL));
    assert_non_null(metrics_counter(m, "_x", NULL, NULL));
    assert_non_null(metrics_counter(m, ":x", NULL, NULL));

    const char *bad_labels[] = {
            "topic=a",          "topic=\"a\"extra", "a=\"1\",a=\"2\"", "__x=\"1\"",
            "a=\"1\",",         ",a=\"1\"",         "a=\"1",           "a=\"x\\t\"",
            "a=\"x\ny\"",       "=\"1\"",           "a b=\"1\"",       "a=\"\xff\"",
            "a=\"1\" ,b=\"2\"",
    };
    for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++)
        assert_null(metrics_gauge(m, "g", NULL, bad_labels[i]));
    assert_non_null(metrics_gauge(m, "g", NULL, "a=\"1\",b=\"x\\\\y\\\"z\\n\""));
    assert_non_null(metrics_gauge(m, "g", NULL, "le=\"1\"")); /* only histograms reserve le */

    const double up[] = {1, 2, 3}, down[] = {1, 3, 2}, same[] = {1, 1};
    const double nan[] = {1, NAN}, inf[] = {1, INFINITY};
    assert_null(metrics_histogram(m, "h", NULL, "le=\"1\"", up, 3));
    assert_null(metrics_histogram(m, "h", NULL, NULL, down, 3));
    assert_null(metrics_histogram(m, "h", NULL, NULL, same, 2));
    assert_null(metrics_histogram(m, "h", NULL, NULL, nan, 2));
    assert_null(metrics_histogram(m, "h", NULL, NULL, inf, 2));
    assert_null(metrics_histogram(m, "h", NULL, NULL, NULL, 2));
    double many[METRICS_MAX_BOUNDS + 1];
    for (size_t i = 0; i <= METRICS_MAX_BOUNDS; i++)
        many[i] = (double)i;
    assert_null(metrics_histogram(m, "h", NULL, NULL, many, METRICS_MAX_BOUNDS + 1));
    assert_non_null(metrics_histogram(m, "h", NULL, NULL, many, METRICS_MAX_BOUNDS));

    char help[METRICS_HELP_MAX + 2];
    memset(help, 'h', sizeof(help) - 1);
    help[sizeof(help) - 1] = '\0';
    assert_null(metrics_counter(m, "helpful", help, NULL));

    /* no registry, no metric: nothing happens */
    assert_null(metrics_counter(NULL, "x", NULL, NULL));
    metric_add(NULL, 1);
    metric_set(NULL, 1);
    metric_observe(NULL, 1);
    vg_buf out;
    vg_buf_init(&out, 0);
    metrics_render(NULL, &out);
    assert_int_equal(out.len, 0);
    vg_buf_fini(&out);
    metrics_free(NULL);
    metrics_free(m);
}

static void test_series_cap(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    char lb[64];
    for (int i = 0; i < METRICS_MAX_SERIES; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        assert_true(metrics_labels(lb, sizeof(lb), "i", v, NULL));
        assert_non_null(metrics_counter(m, "many_total", NULL, lb));
    }
    assert_null(metrics_counter(m, "one_more", NULL, NULL));
    /* an existing series is still found */
    assert_non_null(metrics_counter(m, "many_total", NULL, "i=\"7\""));
    metrics_free(m);
}

#define ROUNDS 200000

typedef struct shared {
    metric *c, *g, *h;
} shared;

static void *updater(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < ROUNDS; i++) {
        metric_add(s->c, 1);
        metric_add(s->g, 1);
        metric_observe(s->h, (i & 1) ? 0.5 : 2.0);
    }
    return NULL;
}

static void test_concurrent_updates(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    const double b[] = {1};
    shared s = {metrics_counter(m, "ops_total", NULL, NULL), metrics_gauge(m, "level", NULL, NULL),
                metrics_histogram(m, "size", NULL, NULL, b, 1)};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, updater, &s), 0);
    /* render and register while the updates run */
    vg_buf out;
    vg_buf_init(&out, 0);
    for (int i = 0; i < 50; i++) {
        char name[32];
        snprintf(name, sizeof(name), "late_%d", i);
        assert_non_null(metrics_gauge(m, name, NULL, NULL));
        render(m, &out);
        assert_non_null(strstr(out.p, "# TYPE ops_total counter\n"));
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    render(m, &out);
    assert_non_null(strstr(out.p, "\nops_total 400000\n"));
    assert_non_null(strstr(out.p, "\nlevel 400000\n"));
    assert_non_null(strstr(out.p, "\nsize_bucket{le=\"1\"} 200000\n"));
    assert_non_null(strstr(out.p, "\nsize_bucket{le=\"+Inf\"} 400000\n"));
    assert_non_null(strstr(out.p, "\nsize_sum 500000\n"));
    assert_non_null(strstr(out.p, "\nsize_count 400000\n"));
    assert_non_null(strstr(out.p, "\nlate_49 0\n"));
    vg_buf_fini(&out);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exposition),         cmocka_unit_test(test_gauge_values),
            cmocka_unit_test(test_labels_escaping),    cmocka_unit_test(test_grouping_and_identity),
            cmocka_unit_test(test_rejected),           cmocka_unit_test(test_series_cap),
            cmocka_unit_test(test_concurrent_updates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
