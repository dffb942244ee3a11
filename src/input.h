/* SPDX-License-Identifier: Apache-2.0 */
/*
 * input.h: reading records from a file or stdin, framed by format (see vigil/parse.h).
 *
 * The reader keeps one buffer, refilled in 1 MiB reads and grown up to the record limit;
 * a record is a span into that buffer, valid until the next input_next call. Records that
 * cannot be framed or are too long come back as problems (with their position) so the
 * caller can report and count them; reading always goes on.
 */
#ifndef VIGIL_SRC_INPUT_H
#define VIGIL_SRC_INPUT_H

#include "vigil/parse.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct input input;

typedef enum input_kind {
    INPUT_RECORD,   /* a record to parse */
    INPUT_OVERSIZE, /* a record longer than the limit was skipped */
    INPUT_UNFRAMED, /* bytes that do not form a record (e.g. an unclosed JSON value) */
    INPUT_EOF,
    INPUT_ERROR /* read error: errno in input_errno */
} input_kind;

typedef struct input_rec {
    const char *p; /* record bytes (INPUT_RECORD, INPUT_UNFRAMED) */
    size_t len;
    uint64_t index;  /* 0-based record number in this input (problems count as records) */
    uint64_t line;   /* 1-based line where it starts */
    uint64_t offset; /* byte offset where it starts */
} input_rec;

/* path "-" is stdin. NULL with errno set on failure. */
input *input_open(const char *path, vg_format fmt, size_t max_record);
input_kind input_next(input *in, input_rec *rec);
int input_errno(const input *in);
/* True when the next input_next would wait for data that has not arrived yet (a pipe or
 * terminal with no complete line buffered). Callers flush their work before that, so
 * alerts on live input are not held back. Regular files are never idle. */
bool input_idle(const input *in);
void input_close(input *in);

#endif
