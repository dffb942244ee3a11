/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ckpt.h: the daemon's checkpoint: what is saved in Redis in one atomic write.
 *
 *   - seq: the checkpoint's number (one more than the previous one);
 *   - offsets: per input partition, the next offset to read (every record before it has
 *     had its effects captured in this checkpoint);
 *   - marks: per output partition (alert and dead-letter topics), the end offset before the
 *     outbox below was published; recovery reads the topics from there to find which of the
 *     outbox's messages already went out;
 *   - outbox: the messages produced since the previous checkpoint (outbox.h);
 *   - state: the head of the pipeline's state (pl_state_save_head: watermark, suppress
 *     periods); the correlation key slots are saved beside it as rstore parts.
 *
 * Bytes: "VGCK", u32 version, u64 seq, u32 n_offsets, (str topic, u32 partition, u64
 * offset)..., u32 n_marks, (same)..., u64 outbox length, outbox, u64 state length, state,
 * little-endian (vigil/bin.h). ckpt_decode checks every length: the bytes come from Redis.
 *
 * Thread: no shared state.
 */
#ifndef VIGIL_SRC_CKPT_H
#define VIGIL_SRC_CKPT_H

#include "vigil/base.h"
#include "vigil/buf.h"

#include <stddef.h>
#include <stdint.h>

#define CKPT_MAX_PARTS 65536

typedef struct ckpt_pos {
    const char *topic; /* decode: points into the bytes, not NUL-terminated */
    size_t topic_len;
    int32_t partition;
    int64_t offset;
} ckpt_pos;

typedef struct ckpt {
    uint64_t seq;
    ckpt_pos *offsets; /* decode: allocated (ckpt_free) */
    size_t n_offsets;
    ckpt_pos *marks;
    size_t n_marks;
    const void *outbox; /* decode: points into the bytes */
    size_t outbox_len;
    const void *state;
    size_t state_len;
} ckpt;

/* Append the checkpoint's bytes to out (check vg_buf_status). */
void ckpt_encode(const ckpt *c, vg_buf *out);
/* Parse bytes into c (pointers into bytes, which must outlive c). VG_OK, or
 * VG_ERR_INVALID/VG_ERR_UNSUPPORTED/VG_ERR_NOMEM with a message in err. */
vg_status ckpt_decode(ckpt *c, const void *bytes, size_t n, char *err, size_t err_len);
/* Free what ckpt_decode allocated. */
void ckpt_free(ckpt *c);

#endif
