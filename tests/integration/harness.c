/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.c: running the vigil binary from integration tests (see harness.h). Failures to
 * run or read back are cmocka assertion failures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

int harness_setup(const char *name)
{
    if (!getenv("VIGIL_BIN") || !getenv("VIGIL_SRC"))
        return -1;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigil-test-%s-XXXXXX", name);
    return mkdtemp(tmpdir) ? 0 : -1;
}

int harness_teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *harness_tmpdir(void)
{
    return tmpdir;
}

char *harness_read_all(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap + 1);
    while (b) {
        size_t got = fread(b + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(b, cap + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
        }
    }
    fclose(f);
    if (b)
        b[len] = '\0';
    if (len_out)
        *len_out = len;
    return b;
}

void harness_write(const char *name, const char *text)
{
    char p[400];
    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
}

size_t harness_strip_time(char *s, size_t len)
{
    static const char key[] = "\"time\":\"";
    size_t w = 0;
    for (size_t r = 0; r < len;) {
        if (len - r >= sizeof(key) - 1 && memcmp(s + r, key, sizeof(key) - 1) == 0) {
            r += sizeof(key) - 1;
            while (r < len && s[r] != '"') {
                if (s[r] == '\\' && r + 1 < len)
                    r++;
                r++;
            }
            r++; /* the closing quote */
            continue;
        }
        s[w++] = s[r++];
    }
    s[w] = '\0';
    return w;
}

harness_result harness_run(const char *fmt, ...)
{
    char args[4096], cmd[8192], outp[300], errp[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(outp, sizeof(outp), "%s/stdout", tmpdir);
    snprintf(errp, sizeof(errp), "%s/stderr", tmpdir);
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' %s >'%s' 2>'%s'", getenv("VIGIL_SRC"),
             getenv("VIGIL_BIN"), args, outp, errp);
    harness_result r;
    int st = system(cmd);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = harness_read_all(outp, &r.out_len);
    r.err = harness_read_all(errp, NULL);
    assert_non_null(r.out);
    assert_non_null(r.err);
    return r;
}

void harness_result_free(harness_result *r)
{
    free(r->out);
    free(r->err);
}
