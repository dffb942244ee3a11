/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mhttp.c: the /metrics and /healthz endpoint on libmicrohttpd (see mhttp.h).
 *
 * The listening socket is made here (parse, bind, listen), not by libmicrohttpd, so that a
 * failure comes back with its errno ("Address already in use") and the port chosen for port
 * 0 is known; the socket is then handed over with MHD_OPTION_LISTEN_SOCKET and belongs to
 * the library from that call on (it closes it when stopped, and when a start fails after
 * taking it). The server runs on its own polling thread; every request is answered on the
 * handler's first call, before any request body is read, so no body is ever accepted.
 */
#include "mhttp.h"
#include "vigil/base.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_MAX     256        /* bytes of a listen address */
#define CONN_MEMORY    (32 << 10) /* each connection's pool: request line and headers */
#define LISTEN_BACKLOG 16

struct mhttp {
    struct MHD_Daemon *d;
    metrics *m;
    mhttp_health_fn health;
    void *ud;
    unsigned port;
};

/* ---- the listen address ---- */

/* "HOST:PORT" into sa. NULL, or what is wrong. */
static const char *parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *sa_len)
{
    size_t len = strnlen(s, LISTEN_MAX + 1);
    if (len == 0 || len > LISTEN_MAX)
        return "expected HOST:PORT";
    char host[LISTEN_MAX + 1];
    const char *port;
    bool v6 = s[0] == '[';
    if (v6) {
        const char *rb = memchr(s, ']', len);
        if (!rb || rb[1] != ':')
            return "expected [IPv6]:PORT";
        memcpy(host, s + 1, (size_t)(rb - s - 1));
        host[rb - s - 1] = '\0';
        port = rb + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon)
            return "expected HOST:PORT";
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        if (strchr(host, ':'))
            return "an IPv6 address is written in brackets: [ADDRESS]:PORT";
        port = colon + 1;
    }
    size_t pn = strlen(port);
    unsigned long p = 0;
    if (pn == 0 || pn > 5)
        return "the port must be a number from 0 to 65535";
    for (size_t i = 0; i < pn; i++) {
        if (port[i] < '0' || port[i] > '9')
            return "the port must be a number from 0 to 65535";
        p = p * 10 + (unsigned long)(port[i] - '0');
    }
    if (p > 65535)
        return "the port must be a number from 0 to 65535";
    memset(sa, 0, sizeof(*sa));
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return "not an IPv6 address";
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)p);
        *sa_len = sizeof(*a);
        return NULL;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)sa;
    if (strcmp(host, "localhost") == 0)
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return "the host must be an IP address or localhost";
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)p);
    *sa_len = sizeof(*a);
    return NULL;
}

/* A listening socket on sa; -1 with errno. */
static int open_listener(const struct sockaddr_storage *sa, socklen_t sa_len, unsigned *port)
{
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    int fl = fcntl(fd, F_GETFL);
    struct sockaddr_storage got;
    socklen_t got_len = sizeof(got);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (const struct sockaddr *)sa, sa_len) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
        getsockname(fd, (struct sockaddr *)&got, &got_len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&got)->sin_port);
    return fd;
}

/* ---- requests. Thread: the server's ---- */

/* Queue status with body (n bytes); a non-NULL release frees body once sent (or here, if the
 * response cannot be made). */
static enum MHD_Result reply(struct MHD_Connection *c,
                             unsigned status,
                             const char *type,
                             char *body,
                             size_t n,
                             MHD_ContentReaderFreeCallback release)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(n, body, release);
    if (!r) {
        if (release)
            release(body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (ok == MHD_YES && status == MHD_HTTP_METHOD_NOT_ALLOWED)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (ok == MHD_YES)
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return reply(c, status, "text/plain; charset=utf-8", (char *)text, strlen(text), NULL);
}

/* Hand b's content over to the response. */
static enum MHD_Result
reply_buf(struct MHD_Connection *c, unsigned status, const char *type, vg_buf *b)
{
    char *p = b->p;
    size_t n = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return reply(c, status, type, p, n, p ? vg_free : NULL);
}

static enum MHD_Result get_metrics(mhttp *h, struct MHD_Connection *c)
{
    vg_buf b;
    vg_buf_init(&b, MHTTP_MAX_BODY);
    metrics_render(h->m, &b);
    if (vg_buf_status(&b) != VG_OK) {
        vg_buf_fini(&b);
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics could not be rendered\n");
    }
    return reply_buf(c, MHD_HTTP_OK, "text/plain; version=0.0.4", &b);
}

static enum MHD_Result get_health(mhttp *h, struct MHD_Connection *c)
{
    vg_buf b;
    vg_buf_init(&b, MHTTP_MAX_BODY);
    int status = MHD_HTTP_OK;
    if (h->health)
        status = h->health(h->ud, &b);
    else
        vg_buf_puts(&b, "{\"status\":\"ok\"}");
    if (vg_buf_status(&b) != VG_OK || status < 100 || status > 599) {
        vg_buf_clear(&b);
        vg_buf_puts(&b, "{\"status\":\"error\"}");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (b.len == 0)
        vg_buf_puts(&b, "{}");
    enum MHD_Result ok = vg_buf_status(&b) == VG_OK
                                 ? reply_buf(c, (unsigned)status, "application/json", &b)
                                 : MHD_NO;
    vg_buf_fini(&b);
    return ok;
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *c,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **req_cls)
{
    mhttp *h = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)req_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    const char *len =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if ((len && strcmp(len, "0") != 0) ||
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "no request body is accepted\n");
    if (strcmp(url, "/metrics") == 0)
        return get_metrics(h, c);
    if (strcmp(url, "/healthz") == 0)
        return get_health(h, c);
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* ---- start and stop. Thread: the owner's ---- */

mhttp *mhttp_start(
        const char *listen, metrics *m, mhttp_health_fn health, void *ud, char *err, size_t err_len)
{
    if (err_len)
        err[0] = '\0';
    if (!listen)
        listen = "";
    struct sockaddr_storage sa;
    socklen_t sa_len = 0;
    const char *why = parse_listen(listen, &sa, &sa_len);
    if (why) {
        snprintf(err, err_len, "metrics.listen %.*s: %s", LISTEN_MAX, listen, why);
        return NULL;
    }
    mhttp *h = vg_calloc(1, sizeof(*h));
    if (!h) {
        snprintf(err, err_len, "metrics.listen %s: out of memory", listen);
        return NULL;
    }
    h->m = m;
    h->health = health;
    h->ud = ud;
    int fd = open_listener(&sa, sa_len, &h->port);
    if (fd < 0) {
        snprintf(err, err_len, "metrics.listen %s: %s", listen, strerror(errno));
        vg_free(h);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)MHTTP_MAX_CONNECTIONS,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MHTTP_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
                            MHD_OPTION_END);
    if (!h->d) {
        /* the library has closed fd (see the top of this file) */
        snprintf(err, err_len, "metrics.listen %s: the HTTP server could not be started", listen);
        vg_free(h);
        return NULL;
    }
    return h;
}

unsigned mhttp_port(const mhttp *h)
{
    return h ? h->port : 0;
}

void mhttp_stop(mhttp *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    vg_free(h);
}
