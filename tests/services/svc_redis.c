/* SPDX-License-Identifier: Apache-2.0 */
/*
 * svc_redis.c: the Redis server of the tests (see svc.h): redis-server as a child process on
 * a free 127.0.0.1 port, with its data (append-only file, fsync on every write), its unix
 * socket and its log in a private mkdtemp directory, so that svc_redis_pause and
 * svc_redis_restart keep what was written.
 *
 * The free port is found by binding port 0 and reading it back; the port may be taken again
 * before redis-server binds it, so a server that exits during start-up is retried on another
 * port (a few times). Readiness is a PONG over hiredis (after AUTH when there is a password);
 * "-LOADING" while the append-only file is replayed is not ready yet.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "svc.h"

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SVC_REDIS_DEFAULT    "/usr/bin/redis-server"
#define SVC_REDIS_READY_S    10.0
#define SVC_REDIS_TERM_S     5.0
#define SVC_REDIS_PORT_TRIES 5

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *server_path(void)
{
    const char *p = getenv("VIGIL_REDIS_SERVER");
    return p && p[0] ? p : SVC_REDIS_DEFAULT;
}

/* A loopback port nobody listens on right now (0 on failure). */
static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t al = sizeof(a);
    unsigned port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* fork + exec redis-server with its output in <dir>/redis.log. Everything the child needs is
 * built before the fork. */
static int spawn(svc_redis *r)
{
    char port[16], log[320];
    snprintf(port, sizeof(port), "%u", r->port);
    snprintf(log, sizeof(log), "%s/redis.log", r->dir);
    const char *bin = server_path();
    const char *argv[40];
    int ac = 0;
    argv[ac++] = bin;
    argv[ac++] = "--port";
    argv[ac++] = port;
    argv[ac++] = "--bind";
    argv[ac++] = "127.0.0.1";
    argv[ac++] = "--protected-mode";
    argv[ac++] = "yes";
    argv[ac++] = "--dir";
    argv[ac++] = r->dir;
    argv[ac++] = "--appendonly";
    argv[ac++] = "yes";
    argv[ac++] = "--appendfsync";
    argv[ac++] = "always";
    argv[ac++] = "--save";
    argv[ac++] = "";
    argv[ac++] = "--daemonize";
    argv[ac++] = "no";
    argv[ac++] = "--unixsocket";
    argv[ac++] = r->sock;
    argv[ac++] = "--unixsocketperm";
    argv[ac++] = "700";
    if (r->password[0]) {
        argv[ac++] = "--requirepass";
        argv[ac++] = r->password;
    }
    argv[ac] = NULL;

    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "svc: cannot open %s: %s\n", log, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "svc: fork: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fd);
    r->pid = pid;
    return 0;
}

/* One PING over TCP (with AUTH first when there is a password): true on PONG. */
static bool answers_ping(const svc_redis *r)
{
    struct timeval tv = {0, 300 * 1000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)r->port, tv);
    if (!c)
        return false;
    bool ok = false;
    if (!c->err && redisSetTimeout(c, tv) == REDIS_OK) {
        ok = true;
        if (r->password[0]) {
            redisReply *a = redisCommand(c, "AUTH %s", r->password);
            ok = a && a->type == REDIS_REPLY_STATUS;
            if (a)
                freeReplyObject(a);
        }
        if (ok) {
            redisReply *p = redisCommand(c, "PING");
            ok = p && p->type == REDIS_REPLY_STATUS && strcmp(p->str, "PONG") == 0;
            if (p)
                freeReplyObject(p);
        }
    }
    redisFree(c);
    return ok;
}

int svc_redis_cmd(const svc_redis *r, const char *cmd)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", (int)r->port, tv);
    if (!c)
        return -1;
    int rc = -1;
    if (!c->err && redisSetTimeout(c, tv) == REDIS_OK) {
        bool ok = true;
        if (r->password[0]) {
            redisReply *a = redisCommand(c, "AUTH %s", r->password);
            ok = a && a->type == REDIS_REPLY_STATUS;
            if (a)
                freeReplyObject(a);
        }
        redisReply *x = ok ? redisCommand(c, cmd) : NULL;
        if (x && x->type != REDIS_REPLY_ERROR)
            rc = 0;
        else if (x)
            fprintf(stderr, "svc: redis %s: %s\n", cmd, x->str);
        if (x)
            freeReplyObject(x);
    }
    redisFree(c);
    return rc;
}

/* Wait for PONG. 0; 1 if the server exited (pid reaped); -1 on timeout (still running). */
static int wait_ready(svc_redis *r)
{
    double end = svc_now() + SVC_REDIS_READY_S;
    while (svc_now() < end) {
        int st;
        if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
            r->pid = 0;
            return 1;
        }
        if (answers_ping(r))
            return 0;
        nap_ms(50);
    }
    return -1;
}

/* Why it did not start: the end of its log on stderr (the directory may be removed next). */
static void log_hint(const svc_redis *r)
{
    fprintf(stderr, "svc: redis-server on port %u did not start; end of its log:\n", r->port);
    char path[320], tail[2048];
    snprintf(path, sizeof(path), "%s/redis.log", r->dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        long from = size > (long)sizeof(tail) - 1 ? size - (long)sizeof(tail) + 1 : 0;
        if (size >= 0 && fseek(f, from, SEEK_SET) == 0) {
            size_t n = fread(tail, 1, sizeof(tail) - 1, f);
            tail[n] = '\0';
            fprintf(stderr, "%s\n", tail);
        }
    }
    fclose(f);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_dir(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int svc_redis_start_opts(svc_redis *r, const char *password)
{
    memset(r, 0, sizeof(*r));
    const char *bin = server_path();
    if (access(bin, X_OK) != 0) {
        fprintf(stderr,
                "svc: %s not found or not executable: install redis-server (Debian package "
                "redis-server) or set VIGIL_REDIS_SERVER\n",
                bin);
        return -1;
    }
    if (password && strlen(password) >= sizeof(r->password)) {
        fprintf(stderr, "svc: redis password too long\n");
        return -1;
    }
    snprintf(r->password, sizeof(r->password), "%s", password ? password : "");
    /* /tmp, not $TMPDIR: the socket path must fit in sun_path (108 bytes). */
    snprintf(r->dir, sizeof(r->dir), "/tmp/vigil-redis-XXXXXX");
    if (!mkdtemp(r->dir)) {
        fprintf(stderr, "svc: mkdtemp: %s\n", strerror(errno));
        r->dir[0] = '\0';
        return -1;
    }
    snprintf(r->sock, sizeof(r->sock), "%s/redis.sock", r->dir);
    for (int attempt = 0; attempt < SVC_REDIS_PORT_TRIES; attempt++) {
        r->port = free_port();
        if (r->port == 0) {
            fprintf(stderr, "svc: no free loopback port\n");
            break;
        }
        if (spawn(r) != 0)
            break;
        int w = wait_ready(r);
        if (w == 0)
            return 0;
        if (w < 0) {
            log_hint(r);
            break;
        }
        /* exited during start-up: most likely the port was taken; try another */
    }
    if (r->pid == 0 && r->port)
        log_hint(r);
    svc_redis_stop(r);
    return -1;
}

int svc_redis_start(svc_redis *r)
{
    return svc_redis_start_opts(r, NULL);
}

int svc_redis_pause(svc_redis *r)
{
    if (r->pid <= 0)
        return 0;
    kill(r->pid, SIGTERM);
    double end = svc_now() + SVC_REDIS_TERM_S;
    int st;
    while (svc_now() < end) {
        pid_t w = waitpid(r->pid, &st, WNOHANG);
        if (w == r->pid || (w < 0 && errno == ECHILD)) {
            r->pid = 0;
            return 0;
        }
        nap_ms(20);
    }
    fprintf(stderr, "svc: redis-server %d ignored SIGTERM for %.0f s; killing it\n", (int)r->pid,
            SVC_REDIS_TERM_S);
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &st, 0);
    r->pid = 0;
    return -1;
}

int svc_redis_restart(svc_redis *r)
{
    if (r->pid > 0)
        return 0;
    if (!r->dir[0] || r->port == 0)
        return -1;
    if (spawn(r) != 0)
        return -1;
    int w = wait_ready(r);
    if (w == 0)
        return 0;
    log_hint(r);
    if (w < 0)
        svc_redis_pause(r);
    return -1;
}

void svc_redis_stop(svc_redis *r)
{
    svc_redis_pause(r);
    remove_dir(r->dir);
    r->dir[0] = '\0';
    r->sock[0] = '\0';
}
