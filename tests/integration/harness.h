/* SPDX-License-Identifier: Apache-2.0 */
/*
 * harness.h: running the vigil binary from integration tests.
 *
 * ctest sets VIGIL_BIN (the binary) and VIGIL_SRC (the source tree). harness_setup makes a
 * private temporary directory; harness_run runs "cd $VIGIL_SRC && $VIGIL_BIN args" through
 * the shell and captures stdout, stderr and the exit status.
 */
#ifndef VIGIL_TESTS_HARNESS_H
#define VIGIL_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct harness_result {
    char *out; /* stdout, NUL-terminated */
    size_t out_len;
    char *err; /* stderr, NUL-terminated */
    int status;
} harness_result;

/* 0 on success; -1 when VIGIL_BIN/VIGIL_SRC are unset or no directory could be made. */
int harness_setup(const char *name);
int harness_teardown(void);
const char *harness_tmpdir(void);

harness_result harness_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void harness_result_free(harness_result *r);

/* Whole file into a NUL-terminated heap buffer (NULL if unreadable). */
char *harness_read_all(const char *path, size_t *len_out);
/* Write text to <tmpdir>/<name>. */
void harness_write(const char *name, const char *text);
/* Remove every "time":"..." member value in place (the detection wall clock differs between
 * runs); returns the new length. */
size_t harness_strip_time(char *s, size_t len);

#endif
