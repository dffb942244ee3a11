/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c: the metrics registry and its Prometheus text exposition (see metrics.h).
 *
 * The registry is a list of families (one per name) in registration order, each with a list
 * of its series; both lists only grow, under the registry's mutex, and render walks them
 * under the same mutex. A series is allocated once and never moves or goes away before
 * metrics_free, so updates reach it through its pointer with atomics alone:
 *   - counter: v, the count (atomic add);
 *   - gauge: v holds the double's bits (atomic store; adds by compare-and-swap);
 *   - histogram: one count per bucket, not cumulative (the +Inf bucket last), and the sum as
 *     a double's bits (compare-and-swap). Render adds the buckets up.
 * Everything a registration is given is checked before the lock is taken: the name, the help
 * text's length, the label set's syntax and a histogram's bounds.
 */
#include "metrics.h"
#include "vigil/base.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_LABELS 32 /* labels in one set */

typedef enum mkind {
    MK_COUNTER,
    MK_GAUGE,
    MK_HISTOGRAM
} mkind;

typedef struct mfamily {
    struct mfamily *next;
    char *name;
    char *help; /* NULL: no HELP line */
    mkind kind;
    metric *first, *last;
} mfamily;

struct metric {
    metric *next; /* the family's next series */
    mfamily *fam;
    char *labels;       /* "" for none */
    _Atomic uint64_t v; /* counter: the value; gauge: the double's bits */
    size_t nb;          /* histogram: bounds */
    double *bounds;
    _Atomic uint64_t *buckets; /* nb + 1 counts, +Inf last */
    _Atomic uint64_t sum;      /* histogram: the double's bits */
};

struct metrics {
    pthread_mutex_t mu; /* guards the lists and n_series */
    mfamily *first, *last;
    size_t n_series;
};

static const char *const kind_names[] = {"counter", "gauge", "histogram"};

static uint64_t dbl_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bits_dbl(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static void atomic_add_dbl(_Atomic uint64_t *a, double d)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(a, &old, dbl_bits(bits_dbl(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

/* ---- checks of what registration is given ---- */

static bool is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool name_ok(const char *s)
{
    size_t n = strnlen(s, METRICS_NAME_MAX + 1);
    if (n == 0 || n > METRICS_NAME_MAX || !(is_alpha_(s[0]) || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(is_alpha_(s[i]) || is_digit(s[i]) || s[i] == ':'))
            return false;
    return true;
}

/* A label name of n bytes at s: [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed (reserved). */
static bool label_name_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alpha_(s[0]) || (n >= 2 && s[0] == '_' && s[1] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(is_alpha_(s[i]) || is_digit(s[i])))
            return false;
    return true;
}

/* s is a label set: name="value" joined by commas, values with the escapes \\ \" \n only
 * and UTF-8; names distinct (and not "le" in a histogram). "" is the empty set. */
static bool labels_ok(const char *s, bool histogram)
{
    size_t len = strnlen(s, METRICS_LABELS_MAX + 1);
    if (len > METRICS_LABELS_MAX)
        return false;
    vg_span names[MAX_LABELS];
    size_t n_names = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && s[i] != '=')
            i++;
        vg_span nm = {s + start, i - start};
        if (!label_name_ok(nm.p, nm.len) || (histogram && vg_span_eq_cstr(nm, "le")))
            return false;
        for (size_t k = 0; k < n_names; k++)
            if (vg_span_eq(names[k], nm))
                return false;
        if (n_names == MAX_LABELS)
            return false;
        names[n_names++] = nm;
        if (i + 1 >= len || s[i + 1] != '"')
            return false;
        i += 2;
        for (;;) {
            if (i >= len || s[i] == '\n')
                return false;
            if (s[i] == '"')
                break;
            if (s[i] == '\\') {
                if (i + 1 >= len || (s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n'))
                    return false;
                i += 2;
                continue;
            }
            size_t u = vg_utf8_seq(s + i, len - i);
            if (u == 0)
                return false;
            i += u;
        }
        i++; /* the closing quote */
        if (i == len)
            break;
        if (s[i] != ',' || i + 1 == len)
            return false;
        i++;
    }
    return true;
}

static bool bounds_ok(const double *b, size_t n)
{
    if (n > METRICS_MAX_BOUNDS || (n > 0 && !b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(b[i]) || (i > 0 && !(b[i] > b[i - 1])))
            return false;
    return true;
}

/* ---- the registry ---- */

metrics *metrics_new(void)
{
    metrics *m = vg_calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        vg_free(m);
        return NULL;
    }
    return m;
}

static void series_free(metric *s)
{
    if (!s)
        return;
    vg_free(s->labels);
    vg_free(s->bounds);
    vg_free(s->buckets);
    vg_free(s);
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    for (mfamily *f = m->first, *fn; f; f = fn) {
        fn = f->next;
        for (metric *s = f->first, *sn; s; s = sn) {
            sn = s->next;
            series_free(s);
        }
        vg_free(f->name);
        vg_free(f->help);
        vg_free(f);
    }
    pthread_mutex_destroy(&m->mu);
    vg_free(m);
}

static metric *series_new(const char *labels, mkind kind, const double *bounds, size_t nb)
{
    metric *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->labels = vg_strndup(labels, strlen(labels));
    atomic_init(&s->v, 0);
    atomic_init(&s->sum, dbl_bits(0.0));
    if (kind == MK_HISTOGRAM) {
        s->nb = nb;
        s->bounds = nb ? vg_malloc(nb * sizeof(*s->bounds)) : NULL;
        s->buckets = vg_calloc(nb + 1, sizeof(*s->buckets));
        if ((nb && !s->bounds) || !s->buckets) {
            series_free(s);
            return NULL;
        }
        if (nb)
            memcpy(s->bounds, bounds, nb * sizeof(*s->bounds));
        for (size_t i = 0; i <= nb; i++)
            atomic_init(&s->buckets[i], 0);
    }
    if (!s->labels) {
        series_free(s);
        return NULL;
    }
    return s;
}

static bool same_bounds(const metric *s, const double *bounds, size_t nb)
{
    return s->nb == nb && (nb == 0 || memcmp(s->bounds, bounds, nb * sizeof(*bounds)) == 0);
}

/* Find or add name+labels. Locks: takes m->mu. */
static metric *reg_locked(metrics *m,
                          const char *name,
                          const char *help,
                          const char *labels,
                          mkind kind,
                          const double *bounds,
                          size_t nb)
{
    mfamily *fam = NULL;
    for (mfamily *f = m->first; f; f = f->next)
        if (strcmp(f->name, name) == 0) {
            fam = f;
            break;
        }
    if (fam) {
        if (fam->kind != kind)
            return NULL;
        for (metric *s = fam->first; s; s = s->next)
            if (strcmp(s->labels, labels) == 0)
                return kind == MK_HISTOGRAM && !same_bounds(s, bounds, nb) ? NULL : s;
    }
    if (m->n_series >= METRICS_MAX_SERIES)
        return NULL;
    metric *s = series_new(labels, kind, bounds, nb);
    if (!s)
        return NULL;
    if (!fam) {
        fam = vg_calloc(1, sizeof(*fam));
        if (fam) {
            fam->kind = kind;
            fam->name = vg_strndup(name, strlen(name));
            fam->help = help && *help ? vg_strndup(help, strlen(help)) : NULL;
        }
        if (!fam || !fam->name || (help && *help && !fam->help)) {
            if (fam) {
                vg_free(fam->name);
                vg_free(fam->help);
                vg_free(fam);
            }
            series_free(s);
            return NULL;
        }
        if (m->last)
            m->last->next = fam;
        else
            m->first = fam;
        m->last = fam;
    }
    s->fam = fam;
    if (fam->last)
        fam->last->next = s;
    else
        fam->first = s;
    fam->last = s;
    m->n_series++;
    return s;
}

static metric *reg(metrics *m,
                   const char *name,
                   const char *help,
                   const char *labels,
                   mkind kind,
                   const double *bounds,
                   size_t nb)
{
    if (!m || !name || !name_ok(name))
        return NULL;
    if (!labels)
        labels = "";
    if (!labels_ok(labels, kind == MK_HISTOGRAM))
        return NULL;
    if (help && strnlen(help, METRICS_HELP_MAX + 1) > METRICS_HELP_MAX)
        return NULL;
    if (kind == MK_HISTOGRAM && !bounds_ok(bounds, nb))
        return NULL;
    pthread_mutex_lock(&m->mu);
    metric *s = reg_locked(m, name, help, labels, kind, bounds, nb);
    pthread_mutex_unlock(&m->mu);
    return s;
}

metric *metrics_counter(metrics *m, const char *name, const char *help, const char *labels)
{
    return reg(m, name, help, labels, MK_COUNTER, NULL, 0);
}

metric *metrics_gauge(metrics *m, const char *name, const char *help, const char *labels)
{
    return reg(m, name, help, labels, MK_GAUGE, NULL, 0);
}

metric *metrics_histogram(metrics *m,
                          const char *name,
                          const char *help,
                          const char *labels,
                          const double *bounds,
                          size_t n)
{
    return reg(m, name, help, labels, MK_HISTOGRAM, bounds, n);
}

/* ---- label sets ---- */

static bool put(char *dst, size_t lim, size_t *at, const char *p, size_t n)
{
    if (n > lim - *at)
        return false;
    memcpy(dst + *at, p, n);
    *at += n;
    return true;
}

static bool put_value(char *dst, size_t lim, size_t *at, const char *v)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < n;) {
        char c = v[i];
        bool ok;
        if (c == '\\')
            ok = put(dst, lim, at, "\\\\", 2);
        else if (c == '"')
            ok = put(dst, lim, at, "\\\"", 2);
        else if (c == '\n')
            ok = put(dst, lim, at, "\\n", 2);
        else {
            size_t u = vg_utf8_seq(v + i, n - i);
            ok = u ? put(dst, lim, at, v + i, u) : put(dst, lim, at, "\xEF\xBF\xBD", 3);
            i += u ? u : 1;
            if (!ok)
                return false;
            continue;
        }
        if (!ok)
            return false;
        i++;
    }
    return true;
}

bool metrics_labels(char *dst, size_t cap, ...)
{
    if (!dst || cap == 0)
        return false;
    size_t lim = cap - 1 < METRICS_LABELS_MAX ? cap - 1 : METRICS_LABELS_MAX;
    size_t at = 0;
    bool ok = true;
    va_list ap;
    va_start(ap, cap);
    for (const char *k; ok && (k = va_arg(ap, const char *)) != NULL;) {
        const char *v = va_arg(ap, const char *);
        size_t kn = strnlen(k, METRICS_LABELS_MAX + 1);
        ok = label_name_ok(k, kn) && (at == 0 || put(dst, lim, &at, ",", 1)) &&
             put(dst, lim, &at, k, kn) && put(dst, lim, &at, "=\"", 2) &&
             put_value(dst, lim, &at, v ? v : "") && put(dst, lim, &at, "\"", 1);
    }
    va_end(ap);
    dst[ok ? at : 0] = '\0';
    return ok;
}

/* ---- updates ---- */

void metric_add(metric *c, uint64_t n)
{
    if (!c)
        return;
    if (c->fam->kind == MK_COUNTER)
        atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
    else if (c->fam->kind == MK_GAUGE)
        atomic_add_dbl(&c->v, (double)n);
}

void metric_set(metric *g, double v)
{
    if (g && g->fam->kind == MK_GAUGE)
        atomic_store_explicit(&g->v, dbl_bits(v), memory_order_relaxed);
}

void metric_observe(metric *h, double v)
{
    if (!h || h->fam->kind != MK_HISTOGRAM || isnan(v))
        return;
    size_t lo = 0, hi = h->nb; /* the first bound >= v, or nb (+Inf) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v <= h->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    atomic_fetch_add_explicit(&h->buckets[lo], 1, memory_order_relaxed);
    atomic_add_dbl(&h->sum, v);
}

/* ---- exposition ---- */

static void put_help(vg_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            vg_buf_puts(out, "\\\\");
        else if (*s == '\n')
            vg_buf_puts(out, "\\n");
        else
            vg_buf_putc(out, *s);
    }
}

/* name[suffix][{labels[,le="bound"]}] and a space */
static void put_series(vg_buf *out,
                       const mfamily *f,
                       const char *suffix,
                       const char *labels,
                       const char *le,
                       const double *bound)
{
    vg_buf_puts(out, f->name);
    vg_buf_puts(out, suffix);
    if (*labels || le) {
        vg_buf_putc(out, '{');
        vg_buf_puts(out, labels);
        if (le) {
            vg_buf_puts(out, *labels ? ",le=\"" : "le=\"");
            if (bound)
                vg_buf_put_dbl(out, *bound);
            else
                vg_buf_puts(out, le);
            vg_buf_putc(out, '"');
        }
        vg_buf_putc(out, '}');
    }
    vg_buf_putc(out, ' ');
}

static void render_histogram(vg_buf *out, const mfamily *f, const metric *s)
{
    uint64_t cum = 0;
    for (size_t i = 0; i < s->nb; i++) {
        cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        put_series(out, f, "_bucket", s->labels, "", &s->bounds[i]);
        vg_buf_put_u64(out, cum);
        vg_buf_putc(out, '\n');
    }
    cum += atomic_load_explicit(&s->buckets[s->nb], memory_order_relaxed);
    put_series(out, f, "_bucket", s->labels, "+Inf", NULL);
    vg_buf_put_u64(out, cum);
    vg_buf_putc(out, '\n');
    put_series(out, f, "_sum", s->labels, NULL, NULL);
    vg_buf_put_dbl(out, bits_dbl(atomic_load_explicit(&s->sum, memory_order_relaxed)));
    vg_buf_putc(out, '\n');
    put_series(out, f, "_count", s->labels, NULL, NULL);
    vg_buf_put_u64(out, cum);
    vg_buf_putc(out, '\n');
}

void metrics_render(metrics *m, vg_buf *out)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    for (const mfamily *f = m->first; f; f = f->next) {
        if (f->help) {
            vg_buf_puts(out, "# HELP ");
            vg_buf_puts(out, f->name);
            vg_buf_putc(out, ' ');
            put_help(out, f->help);
            vg_buf_putc(out, '\n');
        }
        vg_buf_puts(out, "# TYPE ");
        vg_buf_puts(out, f->name);
        vg_buf_putc(out, ' ');
        vg_buf_puts(out, kind_names[f->kind]);
        vg_buf_putc(out, '\n');
        for (const metric *s = f->first; s; s = s->next) {
            switch (f->kind) {
            case MK_COUNTER:
                put_series(out, f, "", s->labels, NULL, NULL);
                vg_buf_put_u64(out, atomic_load_explicit(&s->v, memory_order_relaxed));
                vg_buf_putc(out, '\n');
                break;
            case MK_GAUGE:
                put_series(out, f, "", s->labels, NULL, NULL);
                vg_buf_put_dbl(out, bits_dbl(atomic_load_explicit(&s->v, memory_order_relaxed)));
                vg_buf_putc(out, '\n');
                break;
            case MK_HISTOGRAM:
                render_histogram(out, f, s);
                break;
            }
        }
    }
    pthread_mutex_unlock(&m->mu);
}
