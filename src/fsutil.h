/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fsutil.h: small file-system helpers for the program (reading rule files, walking rule
 * directories).
 */
#ifndef VIGIL_SRC_FSUTIL_H
#define VIGIL_SRC_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Read a whole file (at most max bytes) into a heap buffer with a trailing NUL. Returns 0,
 * or an errno value (EFBIG past max). */
int fs_read_file(const char *path, size_t max, char **out, size_t *len);

typedef struct fs_list {
    char **v;
    size_t n, cap;
} fs_list;

/* Append path if it is a file, or every *.yml / *.yaml below it (recursively, sorted, not
 * following hidden directories) if it is a directory. Returns 0 or an errno value. */
int fs_collect_yaml(const char *path, fs_list *out);
/* The same for the files whose name ends in suffix (".json"; NULL: *.yml and *.yaml). */
int fs_collect_suffix(const char *path, const char *suffix, fs_list *out);
void fs_list_free(fs_list *l);

#endif
