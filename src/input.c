/* SPDX-License-Identifier: Apache-2.0 */
/*
 * input.c: buffered record reader over vg_frame_next (see input.h).
 *
 * Buffer: bytes [pos, end) are unread. When the framer needs more, unread bytes move to
 * the front and the buffer is refilled, growing up to max_record + one read. An oversized
 * record is reported once, then its bytes are skipped up to the next newline (which is
 * where every format resynchronises).
 */
#include "input.h"
#include "vigil/base.h"

#include <errno.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (1u << 20)

struct input {
    FILE *f;
    bool own;
    vg_format fmt;
    size_t max;
    char *buf;
    size_t cap, pos, end;
    bool eof;
    int err;
    uint64_t index, line, offset; /* position of buf[pos] */
    bool skipping;                /* inside an oversized record: drop to the next newline */
};

input *input_open(const char *path, vg_format fmt, size_t max_record)
{
    input *in = vg_calloc(1, sizeof(*in));
    if (!in) {
        errno = ENOMEM;
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        in->f = stdin;
    } else {
        in->f = fopen(path, "rb");
        in->own = true;
    }
    if (!in->f) {
        int e = errno;
        vg_free(in);
        errno = e;
        return NULL;
    }
    in->fmt = fmt;
    in->max = max_record;
    in->cap = READ_CHUNK;
    in->buf = vg_malloc(in->cap);
    if (!in->buf) {
        input_close(in);
        errno = ENOMEM;
        return NULL;
    }
    in->line = 1;
    return in;
}

void input_close(input *in)
{
    if (!in)
        return;
    if (in->own && in->f)
        fclose(in->f);
    vg_free(in->buf);
    vg_free(in);
}

int input_errno(const input *in)
{
    return in->err;
}

static void consume(input *in, size_t n)
{
    const char *p = in->buf + in->pos;
    const char *stop = p + n;
    while ((p = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
        in->line++;
        p++;
    }
    in->pos += n;
    in->offset += n;
}

/* Read more bytes; false at end of input or on error. */
static bool fill(input *in)
{
    if (in->eof)
        return false;
    if (in->pos > 0) {
        memmove(in->buf, in->buf + in->pos, in->end - in->pos);
        in->end -= in->pos;
        in->pos = 0;
    }
    if (in->cap - in->end < READ_CHUNK / 4) {
        size_t ncap = in->cap * 2;
        if (ncap > in->max + READ_CHUNK)
            ncap = in->max + READ_CHUNK;
        if (ncap > in->cap) {
            char *nb = vg_realloc(in->buf, ncap);
            if (!nb) {
                in->err = ENOMEM;
                return false;
            }
            in->buf = nb;
            in->cap = ncap;
        }
    }
    if (in->end == in->cap)
        return false; /* full: the framer must decide with what it has */
    /* read(2), not fread: on a pipe or terminal it returns what has arrived instead of
     * waiting for a full buffer, so live input is processed as it comes */
    ssize_t r;
    do {
        r = read(fileno(in->f), in->buf + in->end, in->cap - in->end);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        in->err = errno ? errno : EIO;
        in->eof = true;
        return false;
    }
    in->end += (size_t)r;
    if (r == 0)
        in->eof = true;
    return r > 0;
}

input_kind input_next(input *in, input_rec *rec)
{
    for (;;) {
        if (in->err)
            return INPUT_ERROR;
        size_t avail = in->end - in->pos;
        if (in->skipping) {
            const char *nl = memchr(in->buf + in->pos, '\n', avail);
            if (nl) {
                consume(in, (size_t)(nl - (in->buf + in->pos)) + 1);
                in->skipping = false;
                continue;
            }
            consume(in, avail);
            if (!fill(in) && in->eof) {
                in->skipping = false;
                return in->err ? INPUT_ERROR : INPUT_EOF;
            }
            continue;
        }
        if (avail == 0) {
            if (in->eof)
                return INPUT_EOF;
            fill(in);
            if (in->err)
                return INPUT_ERROR;
            continue;
        }
        size_t start = 0, len = 0, used = 0;
        vg_frame_result fr = vg_frame_next(in->fmt, in->buf + in->pos, avail, in->eof, in->max,
                                           &start, &len, &used);
        switch (fr) {
        case VG_FRAME_NEED: {
            size_t before = in->end - in->pos;
            bool more = fill(in);
            if (in->err)
                return INPUT_ERROR;
            if (!more && !in->eof && in->end - in->pos == before) {
                /* buffer full and the framer still wants more: treat as oversized */
                rec->p = NULL;
                rec->len = 0;
                rec->index = in->index++;
                rec->line = in->line;
                rec->offset = in->offset;
                in->skipping = true;
                return INPUT_OVERSIZE;
            }
            continue;
        }
        case VG_FRAME_SKIP:
            if (used == 0)
                used = avail;
            consume(in, used);
            continue;
        case VG_FRAME_RECORD:
        case VG_FRAME_BAD:
            consume(in, start);
            rec->p = in->buf + in->pos;
            rec->len = len;
            rec->index = in->index++;
            rec->line = in->line;
            rec->offset = in->offset;
            consume(in, used - start);
            return fr == VG_FRAME_RECORD ? INPUT_RECORD : INPUT_UNFRAMED;
        case VG_FRAME_OVERSIZE: {
            bool whole =
                    used < avail || in->eof || (used > 0 && in->buf[in->pos + used - 1] == '\n');
            consume(in, start); /* blanks before the record: it starts after them */
            rec->p = NULL;
            rec->len = 0;
            rec->index = in->index++;
            rec->line = in->line;
            rec->offset = in->offset;
            consume(in, used - start);
            if (!whole)
                in->skipping = true;
            return INPUT_OVERSIZE;
        }
        }
    }
}

bool input_idle(const input *in)
{
    if (in->eof || in->err)
        return false;
    size_t i = in->pos;
    while (i < in->end &&
           (in->buf[i] == ' ' || in->buf[i] == '\t' || in->buf[i] == '\r' || in->buf[i] == '\n'))
        i++; /* blank lines are no record */
    if (memchr(in->buf + i, '\n', in->end - i))
        return false; /* a complete line is buffered */
    struct pollfd pfd = {fileno(in->f), POLLIN, 0};
    return poll(&pfd, 1, 0) == 0; /* nothing has arrived: the next read would wait */
}
