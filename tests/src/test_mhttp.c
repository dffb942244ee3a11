/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mhttp.c: the /metrics and /healthz endpoint (src/mhttp.c), spoken to with a plain
 * socket client on 127.0.0.1: the exposition and its content type, the health callback's
 * status and body, 404, 405, 413 for a request body, HEAD, metrics registered after the
 * start, the errors for bad listen addresses and for a port already in use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "metrics.h"
#include "mhttp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RESP_MAX (1 << 20)

typedef struct resp {
    int status;
    char head[4096]; /* status line and headers */
    char body[8192];
    size_t body_len;
} resp;

/* Send req to 127.0.0.1:port and read the answer until the server closes (5 s at most per
 * read). */
static void exchange(unsigned port, const char *req, resp *r)
{
    memset(r, 0, sizeof(*r));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    size_t n = strlen(req);
    assert_int_equal(send(fd, req, n, MSG_NOSIGNAL), (ssize_t)n);
    static char buf[RESP_MAX];
    size_t got = 0;
    for (;;) {
        ssize_t k = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
        assert_true(got < sizeof(buf) - 1);
    }
    close(fd);
    buf[got] = '\0';
    const char *end = strstr(buf, "\r\n\r\n");
    assert_non_null(end);
    size_t hl = (size_t)(end - buf) + 2;
    assert_true(hl < sizeof(r->head));
    memcpy(r->head, buf, hl);
    r->body_len = got - hl - 2;
    assert_true(r->body_len < sizeof(r->body));
    memcpy(r->body, end + 4, r->body_len);
    assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
}

/* The value of header name (as MHD spells it), or NULL. */
static const char *header(resp *r, const char *name, char *val, size_t cap)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\r\n%s: ", name);
    const char *p = strstr(r->head, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    const char *e = strstr(p, "\r\n");
    size_t n = (size_t)(e - p);
    assert_true(n < cap);
    memcpy(val, p, n);
    val[n] = '\0';
    return val;
}

static void get(unsigned port, const char *method, const char *path, resp *r)
{
    char req[512];
    snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             method, path);
    exchange(port, req, r);
}

typedef struct health_state {
    atomic_int calls;
    atomic_int status;
} health_state;

static int health(void *ud, vg_buf *body)
{
    health_state *hs = ud;
    atomic_fetch_add(&hs->calls, 1);
    vg_buf_puts(body, "{\"status\":\"degraded\",\"redis\":false}");
    return atomic_load(&hs->status);
}

static void test_endpoints(void **state)
{
    (void)state;
    metrics *m = metrics_new();
    metric *c = metrics_counter(m, "vigil_records_total", "Records read.", NULL);
    metric_add(c, 7);
    health_state hs;
    atomic_init(&hs.calls, 0);
    atomic_init(&hs.status, 503);
    char err[256];
    mhttp *h = mhttp_start("127.0.0.1:0", m, health, &hs, err, sizeof(err));
    assert_non_null(h);
    unsigned port = mhttp_port(h);
    assert_true(port > 0 && port < 65536);

    resp r;
    char v[256];
    get(port, "GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "text/plain; version=0.0.4");
    assert_string_equal(r.body, "# HELP vigil_records_total Records read.\n"
                                "# TYPE vigil_records_total counter\n"
                                "vigil_records_total 7\n");

    /* updates and registrations after the start show in the next scrape */
    metric_add(c, 1);
    metric *g = metrics_gauge(m, "vigil_up", NULL, NULL);
    metric_set(g, 1);
    exchange(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "# HELP vigil_records_total Records read.\n"
                                "# TYPE vigil_records_total counter\n"
                                "vigil_records_total 8\n"
                                "# TYPE vigil_up gauge\n"
                                "vigil_up 1\n");

    get(port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(header(&r, "Content-Type", v, sizeof(v)), "application/json");
    assert_string_equal(r.body, "{\"status\":\"degraded\",\"redis\":false}");
    assert_int_equal(atomic_load(&hs.calls), 1);
    atomic_store(&hs.status, 200);
    get(port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    atomic_store(&hs.status, 42); /* not an HTTP status */
    get(port, "GET", "/healthz", &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "{\"status\":\"error\"}");

    get(port, "GET", "/", &r);
    assert_int_equal(r.status, 404);
    get(port, "GET", "/metrics/", &r);
    assert_int_equal(r.status, 404);

    get(port, "DELETE", "/metrics", &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(header(&r, "Allow", v, sizeof(v)), "GET, HEAD");
    exchange(port,
             "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n"
             "\r\nhello",
             &r);
    assert_int_equal(r.status, 405);

    /* no body accepted, even with GET */
    exchange(port,
             "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n"
             "\r\nhello",
             &r);
    assert_int_equal(r.status, 413);

    /* HEAD: the headers without the body */
    get(port, "HEAD", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);

    mhttp_stop(h);
    metrics_free(m);
}

static void test_defaults(void **state)
{
    (void)state;
    char err[256];
    mhttp *h = mhttp_start("localhost:0", NULL, NULL, NULL, err, sizeof(err));
    assert_non_null(h);
    resp r;
    get(mhttp_port(h), "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    get(mhttp_port(h), "GET", "/metrics", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    mhttp_stop(h);
    mhttp_stop(NULL);
}

static void test_bad_listen(void **state)
{
    (void)state;
    static const struct {
        const char *listen, *err;
    } cases[] = {
            {"nohost", "metrics.listen nohost: expected HOST:PORT"},
            {"", "metrics.listen : expected HOST:PORT"},
            {"example.com:80",
             "metrics.listen example.com:80: the host must be an IP address or localhost"},
            {":80", "metrics.listen :80: the host must be an IP address or localhost"},
            {"127.0.0.1:65536",
             "metrics.listen 127.0.0.1:65536: the port must be a number from 0 to 65535"},
            {"127.0.0.1:", "metrics.listen 127.0.0.1:: the port must be a number from 0 to 65535"},
            {"127.0.0.1:-1",
             "metrics.listen 127.0.0.1:-1: the port must be a number from 0 to 65535"},
            {"127.0.0.1:80x",
             "metrics.listen 127.0.0.1:80x: the port must be a number from 0 to 65535"},
            {"::1:9464",
             "metrics.listen ::1:9464: an IPv6 address is written in brackets: [ADDRESS]:PORT"},
            {"[::1]", "metrics.listen [::1]: expected [IPv6]:PORT"},
            {"[::1:9464", "metrics.listen [::1:9464: expected [IPv6]:PORT"},
            {"[127.0.0.1]:80", "metrics.listen [127.0.0.1]:80: not an IPv6 address"},
            {"256.0.0.1:80",
             "metrics.listen 256.0.0.1:80: the host must be an IP address or localhost"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256];
        assert_null(mhttp_start(cases[i].listen, NULL, NULL, NULL, err, sizeof(err)));
        assert_string_equal(err, cases[i].err);
    }
    /* an address of this machine that cannot be bound */
    char err[256];
    assert_null(mhttp_start("192.0.2.1:0", NULL, NULL, NULL, err, sizeof(err)));
    assert_string_equal(err, "metrics.listen 192.0.2.1:0: Cannot assign requested address");
}

static void test_port_in_use(void **state)
{
    (void)state;
    char err[256];
    mhttp *a = mhttp_start("127.0.0.1:0", NULL, NULL, NULL, err, sizeof(err));
    assert_non_null(a);
    char listen[64], want[128];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", mhttp_port(a));
    assert_null(mhttp_start(listen, NULL, NULL, NULL, err, sizeof(err)));
    snprintf(want, sizeof(want), "metrics.listen %s: Address already in use", listen);
    assert_string_equal(err, want);
    /* the first one still answers */
    resp r;
    get(mhttp_port(a), "GET", "/healthz", &r);
    assert_int_equal(r.status, 200);
    mhttp_stop(a);
    /* and once it is stopped, the port can be taken again */
    mhttp *b = mhttp_start(listen, NULL, NULL, NULL, err, sizeof(err));
    assert_non_null(b);
    mhttp_stop(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_endpoints),
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_bad_listen),
            cmocka_unit_test(test_port_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
