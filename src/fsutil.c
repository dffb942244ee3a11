/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsutil.c: reading whole files and collecting rule files (or other files by name ending)
 * from directories.
 * Directory walks sort entries so that rule order (and therefore output order) does not
 * depend on the file system.
 */
#include "fsutil.h"
#include "vigil/base.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int fs_read_file(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno;
    size_t cap = max < 64 * 1024 ? max : 64 * 1024, n = 0;
    char *buf = vg_malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return ENOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                /* full: the file fits only if nothing follows */
                if (fgetc(f) == EOF && !ferror(f))
                    break;
                vg_free(buf);
                fclose(f);
                return EFBIG;
            }
            size_t ncap = cap * 2 > max ? max : cap * 2;
            char *nb = vg_realloc(buf, ncap + 1);
            if (!nb) {
                vg_free(buf);
                fclose(f);
                return ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                int e = errno ? errno : EIO;
                vg_free(buf);
                fclose(f);
                return e;
            }
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

static int push(fs_list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **nv = vg_realloc(l->v, cap * sizeof(*nv));
        if (!nv)
            return ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n] = vg_strndup(s, strlen(s));
    if (!l->v[l->n])
        return ENOMEM;
    l->n++;
    return 0;
}

static bool ends_with(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

/* A file to collect: one ending in suffix, or (suffix NULL) a YAML file. */
static bool wanted(const char *name, const char *suffix)
{
    return suffix ? ends_with(name, suffix) : ends_with(name, ".yml") || ends_with(name, ".yaml");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *dir, const char *suffix, fs_list *out, int depth)
{
    if (depth > 32)
        return ELOOP;
    DIR *d = opendir(dir);
    if (!d)
        return errno;
    fs_list names = {0};
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        rc = push(&names, e->d_name);
    }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        size_t len = strlen(dir) + 1 + strlen(names.v[i]) + 1;
        char *p = vg_malloc(len);
        if (!p) {
            rc = ENOMEM;
            break;
        }
        snprintf(p, len, "%s/%s", dir, names.v[i]);
        struct stat st;
        if (stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(p, suffix, out, depth + 1);
            else if (S_ISREG(st.st_mode) && wanted(names.v[i], suffix))
                rc = push(out, p);
        }
        vg_free(p);
    }
    fs_list_free(&names);
    return rc;
}

int fs_collect_yaml(const char *path, fs_list *out)
{
    return fs_collect_suffix(path, NULL, out);
}

int fs_collect_suffix(const char *path, const char *suffix, fs_list *out)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    if (S_ISDIR(st.st_mode)) {
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
            len--;
        char *p = vg_strndup(path, len);
        if (!p)
            return ENOMEM;
        int rc = walk(p, suffix, out, 0);
        vg_free(p);
        return rc;
    }
    return push(out, path);
}

void fs_list_free(fs_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        vg_free(l->v[i]);
    vg_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
