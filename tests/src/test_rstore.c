/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rstore.c: checkpoints in Redis (src/rstore.c) against a real redis-server of the
 * test's own (tests/services, svc_redis): round trips, atomic replacement, corruption
 * detection, Redis going away and coming back, AUTH, unix socket, error replies, and a fake
 * server sending replies of the wrong shape.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "rstore.h"
#include "svc.h"

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "t:"

typedef struct fixture {
    svc_redis r;
    rstore *s;
    char err[512];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f || svc_redis_start(&f->r) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rstore_free(f->s);
    svc_redis_stop(&f->r);
    free(f);
    return 0;
}

static rstore *store_on(const svc_redis *r, size_t chunk_bytes)
{
    rstore_opts o = {.host = "127.0.0.1",
                     .port = r->port,
                     .prefix = PREFIX,
                     .timeout_ms = 1000,
                     .chunk_bytes = chunk_bytes};
    rstore *s = rstore_new(&o);
    assert_non_null(s);
    return s;
}

/* A raw hiredis connection for looking behind the store's back. */
static redisContext *raw(const svc_redis *r)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)r->port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisSetTimeout(c, tv);
    if (r->password[0]) {
        redisReply *a = redisCommand(c, "AUTH %s", r->password);
        assert_non_null(a);
        assert_int_equal(a->type, REDIS_REPLY_STATUS);
        freeReplyObject(a);
    }
    return c;
}

static void raw_ok(redisContext *c, redisReply *rep)
{
    (void)c;
    assert_non_null(rep);
    assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
    freeReplyObject(rep);
}

/* Keys matching pattern (KEYS: the test's server holds only the test's keys). */
static size_t count_keys(const svc_redis *r, const char *pattern)
{
    redisContext *c = raw(r);
    redisReply *rep = redisCommand(c, "KEYS %s", pattern);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    size_t n = rep->elements;
    freeReplyObject(rep);
    redisFree(c);
    return n;
}

static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)((i * 131u + seed * 7u + (i >> 8)) & 0xff);
}

static void save_ok(fixture *f, const char *name, const void *p, size_t n)
{
    int rc = rstore_save(f->s, name, p, n, NULL, f->err, sizeof(f->err));
    if (rc != 0)
        fail_msg("save %s: %s", name, f->err);
}

static void expect_load(fixture *f, const char *name, const void *p, size_t n)
{
    vg_buf b;
    vg_buf_init(&b, 0);
    int rc = rstore_load(f->s, name, &b, NULL, f->err, sizeof(f->err));
    if (rc != 1)
        fail_msg("load %s: %d %s", name, rc, f->err);
    assert_int_equal(b.len, n);
    if (n)
        assert_memory_equal(b.p, p, n);
    vg_buf_fini(&b);
}

/* load fails; the message contains want and nothing is returned */
static void expect_load_error(fixture *f, const char *name, const char *want)
{
    vg_buf b;
    vg_buf_init(&b, 0);
    vg_buf_append(&b, "junk", 4);
    f->err[0] = '\0';
    assert_int_equal(rstore_load(f->s, name, &b, NULL, f->err, sizeof(f->err)), -1);
    assert_int_equal(b.len, 0);
    if (!strstr(f->err, want))
        fail_msg("expected '%s' in: %s", want, f->err);
    vg_buf_fini(&b);
}

static void test_round_trip_empty_small_and_multi_chunk(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 7);
    assert_false(rstore_up(f->s)); /* lazy: nothing connected yet */
    save_ok(f, "empty", "", 0);
    assert_true(rstore_up(f->s));
    expect_load(f, "empty", "", 0);
    assert_int_equal(count_keys(&f->r, PREFIX "empty*"), 1); /* header only */

    save_ok(f, "small", "hello", 5);
    expect_load(f, "small", "hello", 5);

    char big[1000];
    fill(big, sizeof(big), 1);
    save_ok(f, "multi", big, sizeof(big));
    expect_load(f, "multi", big, sizeof(big));
    /* 1000 bytes in chunks of 7: 143 chunk keys and the header */
    assert_int_equal(count_keys(&f->r, PREFIX "multi*"), 144);

    rstore_stats st;
    rstore_stats_get(f->s, &st);
    assert_int_equal(st.saves, 3);
    assert_int_equal(st.save_errors, 0);
    assert_int_equal(st.bytes_written, 1005);
    assert_int_equal(st.loads, 3);
    assert_int_equal(st.reconnects, 0);
    assert_true(st.last_save_us > 0);
}

static void test_default_chunk_size_round_trip_of_several_mib(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 0);
    size_t n = 3u << 20;
    char *p = malloc(n);
    assert_non_null(p);
    fill(p, n, 9);
    save_ok(f, "mib", p, n);
    expect_load(f, "mib", p, n);
    assert_int_equal(count_keys(&f->r, PREFIX "mib*"), 2); /* one chunk */
    free(p);
}

static void test_load_of_missing_checkpoint_returns_0(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 0);
    vg_buf b;
    vg_buf_init(&b, 0);
    assert_int_equal(rstore_load(f->s, "nothing", &b, NULL, f->err, sizeof(f->err)), 0);
    assert_int_equal(b.len, 0);
    vg_buf_fini(&b);
}

static void test_overwrite_replaces_and_drops_old_chunks(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 10);
    char a[100], b[25];
    fill(a, sizeof(a), 2);
    fill(b, sizeof(b), 3);
    save_ok(f, "ck", a, sizeof(a));
    assert_int_equal(count_keys(&f->r, PREFIX "ck:1:*"), 10);
    save_ok(f, "ck", b, sizeof(b));
    expect_load(f, "ck", b, sizeof(b));
    assert_int_equal(count_keys(&f->r, PREFIX "ck:1:*"), 0);
    assert_int_equal(count_keys(&f->r, PREFIX "ck:2:*"), 3);
    assert_int_equal(count_keys(&f->r, PREFIX "ck*"), 4);
    save_ok(f, "ck", "", 0);
    expect_load(f, "ck", "", 0);
    assert_int_equal(count_keys(&f->r, PREFIX "ck*"), 1);
    /* another checkpoint is untouched by all of this */
    save_ok(f, "other", a, sizeof(a));
    save_ok(f, "ck", b, sizeof(b));
    expect_load(f, "other", a, sizeof(a));
}

static void test_del_removes_header_and_chunks(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    save_ok(f, "gone", "0123456789", 10);
    save_ok(f, "kept", "abc", 3);
    assert_int_equal(rstore_del(f->s, "gone", f->err, sizeof(f->err)), 0);
    assert_int_equal(count_keys(&f->r, PREFIX "gone*"), 0);
    vg_buf b;
    vg_buf_init(&b, 0);
    assert_int_equal(rstore_load(f->s, "gone", &b, NULL, f->err, sizeof(f->err)), 0);
    vg_buf_fini(&b);
    expect_load(f, "kept", "abc", 3);
    /* deleting what is not there is fine */
    assert_int_equal(rstore_del(f->s, "gone", f->err, sizeof(f->err)), 0);
}

static void test_corrupt_header_is_an_error_not_garbage(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    save_ok(f, "h", "0123456789", 10);
    redisContext *c = raw(&f->r);
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "h", "garbage"));
    expect_load_error(f, "h", "checkpoint 'h' is corrupt: header is not a checkpoint header");
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "h",
                           "vigil-checkpoint 2 gen=1 chunks=3 len=10 fnv1a64=0000000000000000"));
    expect_load_error(f, "h", "header version 2 is not supported");
    /* claims more than 4 GiB */
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "h",
                           "vigil-checkpoint 1 gen=1 chunks=200 len=5000000000 "
                           "fnv1a64=0000000000000000"));
    expect_load_error(f, "h", "is corrupt: header claims 5000000000 bytes");
    /* chunks that cannot hold the length */
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "h",
                           "vigil-checkpoint 1 gen=1 chunks=0 len=10 fnv1a64=0000000000000000"));
    expect_load_error(f, "h", "is corrupt: header claims 10 bytes in 0 chunks");
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "h",
                           "vigil-checkpoint 1 gen=1 chunks=3 len=10 fnv1a64=00000000000000001"));
    expect_load_error(f, "h", "header does not parse");
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "h",
                           "vigil-checkpoint 1 gen=1 chunks=3 len=-10 fnv1a64=0000000000000000"));
    expect_load_error(f, "h", "header does not parse");
    /* the header of another type of key: the server's error is the message */
    raw_ok(c, redisCommand(c, "DEL %s", PREFIX "h"));
    raw_ok(c, redisCommand(c, "HSET %s a b", PREFIX "h"));
    expect_load_error(f, "h", "WRONGTYPE");
    redisFree(c);
    assert_true(rstore_up(f->s)); /* error replies keep the connection */
}

static void test_missing_chunk_is_an_error(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    save_ok(f, "m", "0123456789", 10);
    redisContext *c = raw(&f->r);
    raw_ok(c, redisCommand(c, "DEL %s", PREFIX "m:1:1"));
    redisFree(c);
    expect_load_error(f, "m", "checkpoint 'm' is corrupt: chunk 1 of 3 is missing");
}

static void test_flipped_byte_fails_the_checksum(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    save_ok(f, "x", "0123456789", 10);
    redisContext *c = raw(&f->r);
    raw_ok(c, redisCommand(c, "SETRANGE %s 2 %s", PREFIX "x:1:1", "Z")); /* "4567" -> "45Z7" */
    expect_load_error(f, "x", "checkpoint 'x' is corrupt: checksum mismatch");
    /* a chunk grown by a byte: the lengths no longer add up */
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "x:1:1", "45678"));
    expect_load_error(f, "x", "is corrupt: chunk 2 has 2 bytes (9 of 10 already read)");
    redisFree(c);
}

static void test_save_over_corrupt_header_removes_its_stale_chunks(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    save_ok(f, "c", "0123456789", 10);
    save_ok(f, "c", "0123456789", 10);
    redisContext *c = raw(&f->r);
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "c", "not a header"));
    raw_ok(c, redisCommand(c, "SET %s %s", PREFIX "c:77:0", "stale"));
    redisFree(c);
    assert_int_equal(count_keys(&f->r, PREFIX "c:*"), 4);
    save_ok(f, "c", "ab", 2);
    expect_load(f, "c", "ab", 2);
    assert_int_equal(count_keys(&f->r, PREFIX "c:*"), 1);
}

static void test_bad_names_and_oversized_blobs_are_refused(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 0);
    assert_int_equal(rstore_save(f->s, "a:b", "x", 1, NULL, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "checkpoint name"));
    assert_int_equal(rstore_save(f->s, "", "x", 1, NULL, f->err, sizeof(f->err)), -1);
    assert_int_equal(rstore_save(f->s, "a*", "x", 1, NULL, f->err, sizeof(f->err)), -1);
    /* sizes are checked before the blob is read: a one-byte buffer with a large length */
    char one = 'x';
    assert_int_equal(rstore_save(f->s, "big", &one, (size_t)RSTORE_MAX_BLOB + 1, NULL, f->err,
                                 sizeof(f->err)),
                     -1);
    assert_non_null(strstr(f->err, "over the limit"));
    rstore_free(f->s);
    f->s = store_on(&f->r, 1); /* one-byte chunks: too many of them */
    assert_int_equal(rstore_save(f->s, "many", &one, (size_t)RSTORE_MAX_CHUNKS + 1, NULL, f->err,
                                 sizeof(f->err)),
                     -1);
    assert_non_null(strstr(f->err, "over the limit"));
    assert_false(rstore_up(f->s)); /* refused before connecting */
    rstore_stats st;
    rstore_stats_get(f->s, &st);
    assert_int_equal(st.save_errors, 1);
}

static void test_redis_down_fails_fast_then_reconnects_and_data_survived(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 3);
    save_ok(f, "keep", "survivor", 8);
    save_ok(f, "ck", "v1", 2);
    assert_true(rstore_up(f->s));

    assert_int_equal(svc_redis_pause(&f->r), 0);
    double t0 = svc_now();
    assert_int_equal(rstore_save(f->s, "ck", "v2", 2, NULL, f->err, sizeof(f->err)), -1);
    assert_true(svc_now() - t0 < 3.0); /* timeout_ms is 1000 */
    assert_false(rstore_up(f->s));
    assert_non_null(strstr(f->err, "redis"));
    /* still down: the reconnect fails too, as quickly */
    t0 = svc_now();
    assert_int_equal(rstore_save(f->s, "ck", "v2", 2, NULL, f->err, sizeof(f->err)), -1);
    assert_true(svc_now() - t0 < 3.0);
    assert_non_null(strstr(f->err, "connect"));
    assert_false(rstore_up(f->s));

    assert_int_equal(svc_redis_restart(&f->r), 0);
    save_ok(f, "ck", "v2", 2);
    assert_true(rstore_up(f->s));
    expect_load(f, "ck", "v2", 2);
    expect_load(f, "keep", "survivor", 8); /* appendonly: written before the restart */

    rstore_stats st;
    rstore_stats_get(f->s, &st);
    assert_int_equal(st.saves, 3);
    assert_int_equal(st.save_errors, 2);
    assert_int_equal(st.reconnects, 1);
}

static void test_hung_redis_times_out_and_the_store_goes_down(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 3);
    save_ok(f, "ck", "v1", 2);
    assert_int_equal(kill(f->r.pid, SIGSTOP), 0); /* connected, but nobody answers */
    double t0 = svc_now();
    int rc = rstore_save(f->s, "ck", "v2", 2, NULL, f->err, sizeof(f->err));
    double took = svc_now() - t0;
    bool up = rstore_up(f->s);
    kill(f->r.pid, SIGCONT);
    assert_int_equal(rc, -1);
    assert_true(took >= 0.9 && took < 3.0);
    assert_non_null(strstr(f->err, "no answer within 1000 ms"));
    assert_false(up);
    save_ok(f, "ck", "v3", 2);
    expect_load(f, "ck", "v3", 2);
}

static void test_load_while_redis_is_down_fails_then_works_after_restart(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 3);
    save_ok(f, "ck", "abcdefgh", 8);
    assert_int_equal(svc_redis_pause(&f->r), 0);
    vg_buf b;
    vg_buf_init(&b, 0);
    assert_int_equal(rstore_load(f->s, "ck", &b, NULL, f->err, sizeof(f->err)), -1);
    assert_false(rstore_up(f->s));
    vg_buf_fini(&b);
    assert_int_equal(svc_redis_restart(&f->r), 0);
    expect_load(f, "ck", "abcdefgh", 8);
}

static int setup_auth(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f || svc_redis_start_opts(&f->r, "Right-Pass-42") != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static rstore *store_auth(const svc_redis *r, const char *user, const char *pass)
{
    rstore_opts o = {.port = r->port, .username = user, .password = pass, .timeout_ms = 1000};
    rstore *s = rstore_new(&o);
    assert_non_null(s);
    return s;
}

static void test_auth_wrong_password_is_a_clear_error_without_the_password(void **state)
{
    fixture *f = *state;
    f->s = store_auth(&f->r, NULL, "Wrong-Pass-17");
    assert_int_equal(rstore_connect(f->s, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "authentication failed"));
    assert_null(strstr(f->err, "Wrong-Pass-17"));
    assert_null(strstr(f->err, "Right-Pass-42"));
    assert_false(rstore_up(f->s));
    /* a save reports the same, not echoing the password either */
    assert_int_equal(rstore_save(f->s, "a", "x", 1, NULL, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "authentication failed"));
    assert_null(strstr(f->err, "Wrong-Pass-17"));
    rstore_free(f->s);

    f->s = store_auth(&f->r, "default", "Wrong-Pass-17");
    assert_int_equal(rstore_connect(f->s, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "authentication as default failed"));
    assert_null(strstr(f->err, "Wrong-Pass-17"));
    rstore_free(f->s);

    /* no password at all: the server's NOAUTH comes out at connect time */
    f->s = store_auth(&f->r, NULL, NULL);
    assert_int_equal(rstore_connect(f->s, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "NOAUTH"));
}

static void test_auth_right_password_with_and_without_username(void **state)
{
    fixture *f = *state;
    f->s = store_auth(&f->r, NULL, "Right-Pass-42");
    assert_int_equal(rstore_connect(f->s, f->err, sizeof(f->err)), 0);
    save_ok(f, "a", "secret state", 12);
    expect_load(f, "a", "secret state", 12);
    rstore_free(f->s);
    f->s = store_auth(&f->r, "default", "Right-Pass-42");
    expect_load(f, "a", "secret state", 12);
}

static void test_unix_socket_wins_over_host_and_port(void **state)
{
    fixture *f = *state;
    /* port 1: nothing listens there, so only the socket can work */
    rstore_opts o = {.host = "127.0.0.1", .port = 1, .unix_socket = f->r.sock, .timeout_ms = 1000};
    f->s = rstore_new(&o);
    assert_non_null(f->s);
    assert_int_equal(rstore_connect(f->s, f->err, sizeof(f->err)), 0);
    save_ok(f, "u", "over the socket", 15);
    expect_load(f, "u", "over the socket", 15);
    assert_int_equal(count_keys(&f->r, "vigil:u*"), 2); /* default prefix, one chunk */
}

static void test_database_is_selected(void **state)
{
    fixture *f = *state;
    rstore_opts o = {.port = f->r.port, .db = 3, .prefix = "p:", .timeout_ms = 1000};
    f->s = rstore_new(&o);
    assert_non_null(f->s);
    save_ok(f, "d", "in db 3", 7);
    assert_int_equal(count_keys(&f->r, "*"), 0); /* db 0 is empty */
    redisContext *c = raw(&f->r);
    raw_ok(c, redisCommand(c, "SELECT 3"));
    redisReply *rep = redisCommand(c, "EXISTS p:d");
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
    assert_int_equal(rep->integer, 1);
    freeReplyObject(rep);
    redisFree(c);
    expect_load(f, "d", "in db 3", 7);
    rstore_free(f->s);
    /* a database the server does not have */
    o.db = 999;
    f->s = rstore_new(&o);
    assert_int_equal(rstore_connect(f->s, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "SELECT 999 failed"));
}

static void test_oom_error_reply_fails_the_save_and_keeps_the_previous_checkpoint(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 64 * 1024);
    save_ok(f, "big", "previous", 8);
    redisContext *c = raw(&f->r);
    raw_ok(c, redisCommand(c, "CONFIG SET maxmemory-policy noeviction"));
    raw_ok(c, redisCommand(c, "CONFIG SET maxmemory 1mb"));
    size_t n = 4u << 20;
    char *p = malloc(n);
    assert_non_null(p);
    fill(p, n, 5);
    assert_int_equal(rstore_save(f->s, "big", p, n, NULL, f->err, sizeof(f->err)), -1);
    if (!strstr(f->err, "OOM"))
        fail_msg("expected OOM in: %s", f->err);
    assert_true(rstore_up(f->s)); /* an error reply is not a broken connection */
    raw_ok(c, redisCommand(c, "CONFIG SET maxmemory 0"));
    expect_load(f, "big", "previous", 8);
    assert_int_equal(count_keys(&f->r, PREFIX "big:*"), 1); /* only generation 1's chunk */
    rstore_stats st;
    rstore_stats_get(f->s, &st);
    assert_int_equal(st.save_errors, 1);
    /* and the same connection saves fine once there is room */
    save_ok(f, "big", p, n);
    expect_load(f, "big", p, n);
    free(p);
    redisFree(c);
}

static void test_readonly_replica_error_reply_fails_the_save(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    save_ok(f, "ro", "before", 6);
    redisContext *c = raw(&f->r);
    /* a replica of nothing that listens: read-only from now on */
    raw_ok(c, redisCommand(c, "REPLICAOF 127.0.0.1 1"));
    assert_int_equal(rstore_save(f->s, "ro", "after!", 6, NULL, f->err, sizeof(f->err)), -1);
    if (!strstr(f->err, "READONLY"))
        fail_msg("expected READONLY in: %s", f->err);
    raw_ok(c, redisCommand(c, "REPLICAOF NO ONE"));
    redisFree(c);
    expect_load(f, "ro", "before", 6);
}

/* ---- a fake server with canned replies ---- */

/* Listen on a free loopback port; the child accepts one connection, writes `script` at once
 * (hiredis reads replies in order, whatever it sent) and reads until the peer closes. */
static pid_t fake_server(const char *script, unsigned *port)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof(a);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(ls, 1), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        int c = accept(ls, NULL, NULL);
        if (c >= 0) {
            size_t len = strlen(script);
            if (write(c, script, len) != (ssize_t)len)
                _exit(1);
            char buf[4096];
            while (read(c, buf, sizeof(buf)) > 0)
                ;
        }
        _exit(0);
    }
    close(ls);
    return pid;
}

static void fake_done(pid_t pid)
{
    int st;
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

#define FAKE_HDR "vigil-checkpoint 1 gen=1 chunks=1 len=3 fnv1a64=0000000000000000"

/* Against the script: the connect/load result and the message. */
static void against_fake(const char *script, bool load, const char *want)
{
    unsigned port;
    pid_t pid = fake_server(script, &port);
    rstore_opts o = {.port = port, .timeout_ms = 1000};
    rstore *s = rstore_new(&o);
    assert_non_null(s);
    char err[512] = "";
    vg_buf b;
    vg_buf_init(&b, 0);
    int rc = load ? rstore_load(s, "f", &b, NULL, err, sizeof(err))
                  : rstore_connect(s, err, sizeof(err));
    assert_int_equal(rc, -1);
    assert_int_equal(b.len, 0);
    if (!strstr(err, want))
        fail_msg("expected '%s' in: %s", want, err);
    assert_false(rstore_up(s));
    vg_buf_fini(&b);
    rstore_free(s); /* closes the connection: the fake ends */
    fake_done(pid);
}

static void test_wrong_reply_types_from_a_broken_server_are_errors(void **state)
{
    (void)state;
    /* PING answered with an integer */
    against_fake(":1\r\n", false, "PING failed: unexpected reply");
    /* the header as an array */
    against_fake("+PONG\r\n*1\r\n:1\r\n", true, "unexpected reply");
    /* EXEC's chunk an integer */
    against_fake("+PONG\r\n$64\r\n" FAKE_HDR "\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n"
                 "*2\r\n$64\r\n" FAKE_HDR "\r\n:7\r\n",
                 true, "unexpected reply");
    /* EXEC with the wrong number of elements */
    against_fake("+PONG\r\n$64\r\n" FAKE_HDR "\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n"
                 "*1\r\n$64\r\n" FAKE_HDR "\r\n",
                 true, "unexpected reply");
    /* MULTI answered with something else than OK */
    against_fake("+PONG\r\n$64\r\n" FAKE_HDR "\r\n:0\r\n+QUEUED\r\n+QUEUED\r\n"
                 "*2\r\n$64\r\n" FAKE_HDR "\r\n$3\r\nabc\r\n",
                 true, "unexpected reply");
    /* the server stops answering half-way: the command timeout ends the wait */
    against_fake("+PONG\r\n$64\r\n" FAKE_HDR "\r\n+OK\r\n", true, "redis: load 'f'");
}

/* A save whose EXEC comes back nil (a watched key changed: another client, or keys that
 * went with a FLUSHALL) is an ordinary failure to retry, not a lost lease: the next save's
 * checks tell which. */
static void test_aborted_save_is_a_plain_failure_not_fenced(void **state)
{
    (void)state;
    unsigned port;
    pid_t pid = fake_server("+PONG\r\n"                                /* connect */
                            ":1\r\n"                                   /* lease taken */
                            "+OK\r\n$6\r\nproc-a\r\n"                  /* WATCH, GET owner */
                            "+OK\r\n$-1\r\n"                           /* WATCH, GET header */
                            "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n" /* MULTI, 3 SETs */
                            "*-1\r\n",                                 /* EXEC: aborted */
                            &port);
    rstore_opts o = {.port = port, .timeout_ms = 1000};
    rstore *s = rstore_new(&o);
    assert_non_null(s);
    char err[512] = "", holder[64] = "";
    assert_int_equal(
            rstore_lease(s, "f", "proc-a", 10000, holder, sizeof(holder), err, sizeof(err)), 1);
    assert_int_equal(rstore_save(s, "f", "x", 1, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "changed by another client meanwhile"));
    assert_true(rstore_up(s)); /* the connection stays in step */
    rstore_free(s);
    fake_done(pid);
}

/* ---- parts and ownership ---- */

static void part_rec(vg_buf *b, uint32_t part, const char *v)
{
    unsigned char h[12];
    uint64_t n = strlen(v);
    for (int i = 0; i < 4; i++)
        h[i] = (unsigned char)(part >> (8 * i));
    for (int i = 0; i < 8; i++)
        h[4 + i] = (unsigned char)(n >> (8 * i));
    vg_buf_append(b, h, sizeof(h));
    vg_buf_append(b, v, (size_t)n);
}

/* The parts of checkpoint name as "part=value" joined by ",", in part order. */
static void parts_text(rstore *s, const char *name, char *out, size_t cap)
{
    vg_buf b, p;
    vg_buf_init(&b, 0);
    vg_buf_init(&p, 0);
    char err[512];
    int rc = rstore_load(s, name, &b, &p, err, sizeof(err));
    if (rc != 1)
        fail_msg("load %s: %d %s", name, rc, err);
    char vals[16][64];
    memset(vals, 0, sizeof(vals));
    for (size_t at = 0; at + 12 <= p.len;) {
        uint32_t part = 0;
        uint64_t n = 0;
        for (int i = 3; i >= 0; i--)
            part = part << 8 | (unsigned char)p.p[at + (size_t)i];
        for (int i = 7; i >= 0; i--)
            n = n << 8 | (unsigned char)p.p[at + 4 + (size_t)i];
        assert_true(part < 16 && n < 64 && n <= p.len - at - 12);
        memcpy(vals[part], p.p + at + 12, (size_t)n);
        at += 12 + (size_t)n;
    }
    out[0] = '\0';
    for (int i = 0; i < 16; i++)
        if (vals[i][0])
            snprintf(out + strlen(out), cap - strlen(out), "%s%d=%s", out[0] ? "," : "", i,
                     vals[i]);
    vg_buf_fini(&b);
    vg_buf_fini(&p);
}

static void test_parts_are_replaced_in_part_and_stale_writers_refused(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 0);
    vg_buf b;
    vg_buf_init(&b, 0);
    part_rec(&b, 1, "a");
    part_rec(&b, 7, "bb");
    rstore_parts all = {b.p, b.len, true};
    /* a first save of some parts only: nothing is known of what is stored */
    rstore_parts some = {b.p, b.len, false};
    assert_int_equal(rstore_save(f->s, "ck", "h1", 2, &some, f->err, sizeof(f->err)), RSTORE_STALE);
    assert_int_equal(rstore_save(f->s, "ck", "h1", 2, &all, f->err, sizeof(f->err)), 0);
    char txt[256];
    parts_text(f->s, "ck", txt, sizeof(txt));
    assert_string_equal(txt, "1=a,7=bb");
    /* some parts: 7 removed, 9 added, 1 kept */
    vg_buf_clear(&b);
    part_rec(&b, 7, "");
    part_rec(&b, 9, "c");
    some = (rstore_parts){b.p, b.len, false};
    assert_int_equal(rstore_save(f->s, "ck", "h2", 2, &some, f->err, sizeof(f->err)), 0);
    parts_text(f->s, "ck", txt, sizeof(txt));
    assert_string_equal(txt, "1=a,9=c");
    expect_load(f, "ck", "h2", 2);
    /* another store that has not read the checkpoint may not write some parts ... */
    rstore *other = store_on(&f->r, 0);
    vg_buf_clear(&b);
    part_rec(&b, 3, "x");
    some = (rstore_parts){b.p, b.len, false};
    assert_int_equal(rstore_save(other, "ck", "h3", 2, &some, f->err, sizeof(f->err)),
                     RSTORE_STALE);
    assert_non_null(strstr(f->err, "every part must be written"));
    parts_text(f->s, "ck", txt, sizeof(txt));
    assert_string_equal(txt, "1=a,9=c");
    /* ... until it has; then the first one is the stale one */
    parts_text(other, "ck", txt, sizeof(txt));
    assert_int_equal(rstore_save(other, "ck", "h3", 2, &some, f->err, sizeof(f->err)), 0);
    assert_int_equal(rstore_save(f->s, "ck", "h4", 2, &some, f->err, sizeof(f->err)), RSTORE_STALE);
    parts_text(other, "ck", txt, sizeof(txt));
    assert_string_equal(txt, "1=a,3=x,9=c");
    /* every part: what is not given goes */
    vg_buf_clear(&b);
    part_rec(&b, 2, "z");
    all = (rstore_parts){b.p, b.len, true};
    assert_int_equal(rstore_save(f->s, "ck", "h5", 2, &all, f->err, sizeof(f->err)), 0);
    parts_text(other, "ck", txt, sizeof(txt));
    assert_string_equal(txt, "2=z");
    /* malformed records are refused before anything is sent */
    unsigned char bad[12] = {0, 0, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0}; /* part 65536 */
    rstore_parts badp = {bad, sizeof(bad), true};
    assert_int_equal(rstore_save(f->s, "ck", "h6", 2, &badp, f->err, sizeof(f->err)), -1);
    rstore_free(other);
    vg_buf_fini(&b);
}

static void test_lease_fences_a_writer_that_lost_it(void **state)
{
    fixture *f = *state;
    f->s = store_on(&f->r, 4);
    rstore *b = store_on(&f->r, 4);
    char holder[RSTORE_MAX_OWNER + 1] = "";
    assert_int_equal(
            rstore_lease(f->s, "ck", "proc-a", 400, holder, sizeof(holder), f->err, sizeof(f->err)),
            1);
    assert_int_equal(
            rstore_lease(b, "ck", "proc-b", 400, holder, sizeof(holder), f->err, sizeof(f->err)),
            0);
    assert_string_equal(holder, "proc-a");
    save_ok(f, "ck", "from a, 1", 9);
    /* saves renew the lease: after two more saves 300 ms apart it is still a's */
    for (int i = 0; i < 2; i++) {
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
        save_ok(f, "ck", "from a, 2", 9);
    }
    assert_int_equal(
            rstore_lease(b, "ck", "proc-b", 400, holder, sizeof(holder), f->err, sizeof(f->err)),
            0);
    /* a stops renewing: the lease runs out and b takes it */
    struct timespec ts = {0, 600 * 1000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(
            rstore_lease(b, "ck", "proc-b", 5000, holder, sizeof(holder), f->err, sizeof(f->err)),
            1);
    vg_buf got;
    vg_buf_init(&got, 0);
    assert_int_equal(rstore_load(b, "ck", &got, NULL, f->err, sizeof(f->err)), 1);
    assert_int_equal(rstore_save(b, "ck", "from b", 6, NULL, f->err, sizeof(f->err)), 0);
    /* a's next save is refused and changes nothing */
    assert_int_equal(rstore_save(f->s, "ck", "from a, 3", 9, NULL, f->err, sizeof(f->err)),
                     RSTORE_FENCED);
    assert_non_null(strstr(f->err, "proc-b"));
    expect_load(f, "ck", "from b", 6);
    /* and a cannot take it back while b holds it */
    assert_int_equal(
            rstore_lease(f->s, "ck", "proc-a", 400, holder, sizeof(holder), f->err, sizeof(f->err)),
            0);
    assert_string_equal(holder, "proc-b");
    vg_buf_fini(&got);
    rstore_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_round_trip_empty_small_and_multi_chunk, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_default_chunk_size_round_trip_of_several_mib,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_load_of_missing_checkpoint_returns_0, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_overwrite_replaces_and_drops_old_chunks, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_del_removes_header_and_chunks, setup, teardown),
            cmocka_unit_test_setup_teardown(test_corrupt_header_is_an_error_not_garbage, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_missing_chunk_is_an_error, setup, teardown),
            cmocka_unit_test_setup_teardown(test_flipped_byte_fails_the_checksum, setup, teardown),
            cmocka_unit_test_setup_teardown(test_save_over_corrupt_header_removes_its_stale_chunks,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_names_and_oversized_blobs_are_refused, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(
                    test_redis_down_fails_fast_then_reconnects_and_data_survived, setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_load_while_redis_is_down_fails_then_works_after_restart, setup, teardown),
            cmocka_unit_test_setup_teardown(test_hung_redis_times_out_and_the_store_goes_down,
                                            setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_auth_wrong_password_is_a_clear_error_without_the_password, setup_auth,
                    teardown),
            cmocka_unit_test_setup_teardown(test_auth_right_password_with_and_without_username,
                                            setup_auth, teardown),
            cmocka_unit_test_setup_teardown(test_unix_socket_wins_over_host_and_port, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_database_is_selected, setup, teardown),
            cmocka_unit_test_setup_teardown(
                    test_oom_error_reply_fails_the_save_and_keeps_the_previous_checkpoint, setup,
                    teardown),
            cmocka_unit_test_setup_teardown(test_readonly_replica_error_reply_fails_the_save, setup,
                                            teardown),
            cmocka_unit_test(test_wrong_reply_types_from_a_broken_server_are_errors),
            cmocka_unit_test(test_aborted_save_is_a_plain_failure_not_fenced),
            cmocka_unit_test_setup_teardown(
                    test_parts_are_replaced_in_part_and_stale_writers_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_lease_fences_a_writer_that_lost_it, setup,
                                            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
