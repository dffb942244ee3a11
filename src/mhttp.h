/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mhttp.h: the daemon's HTTP endpoint (libmicrohttpd), for Prometheus and health checks.
 *
 *   GET /metrics  200, "text/plain; version=0.0.4": metrics_render of the registry
 *   GET /healthz  the health callback's status and JSON body ("application/json")
 *   other paths   404; methods other than GET and HEAD: 405 (with "Allow: GET, HEAD")
 * A request with a body (Content-Length other than 0, or Transfer-Encoding) gets 413 without
 * its body being read. Connections are limited (MHTTP_MAX_CONNECTIONS), idle ones closed
 * after MHTTP_TIMEOUT_S seconds, and each has a bounded memory pool for its request.
 *
 * listen is "HOST:PORT": HOST an IPv4 literal, "[IPv6]" or "localhost" (127.0.0.1); no name
 * is looked up. PORT 0..65535, 0 for any free port (mhttp_port tells which). Errors are one
 * line in err naming the address, as the configuration key metrics.listen:
 *   "metrics.listen 127.0.0.1:9464: Address already in use".
 *
 * Thread: mhttp_start and mhttp_stop on the owning thread. Requests are answered on the
 * server's own thread, one at a time: the health callback runs there (it must be safe
 * against the owner's threads) and metrics_render too (see metrics.h). mhttp_stop waits for
 * a request in progress and returns once the thread is gone; the registry and ud must live
 * until then.
 */
#ifndef VIGIL_SRC_MHTTP_H
#define VIGIL_SRC_MHTTP_H

#include "metrics.h"
#include "vigil/buf.h"

#include <stddef.h>

#define MHTTP_MAX_CONNECTIONS 16
#define MHTTP_TIMEOUT_S       10
#define MHTTP_MAX_BODY        (64u << 20) /* bytes of a /metrics or /healthz body */

typedef struct mhttp mhttp;

/* Fill body with a JSON document and return the HTTP status (100..599; anything else is
 * answered 500). An empty body is sent as {}. */
typedef int (*mhttp_health_fn)(void *ud, vg_buf *body);

/* m may be NULL (an empty exposition); health NULL answers 200 {"status":"ok"}. NULL with
 * the error in err on a bad address, a failed bind or listen, or no memory. */
mhttp *mhttp_start(const char *listen,
                   metrics *m,
                   mhttp_health_fn health,
                   void *ud,
                   char *err,
                   size_t err_len);
/* The port listened on. */
unsigned mhttp_port(const mhttp *h);
/* Stop serving, close the socket and free h. NULL is a no-op. */
void mhttp_stop(mhttp *h);

#endif
