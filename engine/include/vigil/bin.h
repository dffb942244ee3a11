/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bin.h: little-endian binary encoding for saved state (correlation snapshots, checkpoints).
 *
 * Writing appends to a vg_buf (its status reports running out of memory). Reading goes
 * through a vg_bin reader over untrusted bytes: every read is bounds-checked; the first
 * failure marks the reader bad, records "<what>, byte N: message" in the caller's error
 * buffer, and every later read returns 0/NULL, so a decoder can read a whole record and
 * check `bad` once.
 */
#ifndef VIGIL_BIN_H
#define VIGIL_BIN_H

#include "vigil/base.h"
#include "vigil/buf.h"

VG_API void vg_bin_u8(vg_buf *b, uint8_t v);
VG_API void vg_bin_u16(vg_buf *b, uint16_t v);
VG_API void vg_bin_u32(vg_buf *b, uint32_t v);
VG_API void vg_bin_u64(vg_buf *b, uint64_t v);
/* Overwrite the 8 bytes at `at` (written before by vg_bin_u64) with v; nothing when b
 * failed or is shorter. */
VG_API void vg_bin_patch_u64(vg_buf *b, size_t at, uint64_t v);
/* u32 length, then the bytes. */
VG_API void vg_bin_str(vg_buf *b, const void *p, size_t n);

typedef struct vg_bin {
    const unsigned char *p;
    size_t n, at;
    bool bad;
    const char *what; /* names the data in messages, e.g. "correlation snapshot" */
    char *err;
    size_t err_len;
} vg_bin;

VG_API void
vg_bin_init(vg_bin *r, const void *p, size_t n, const char *what, char *err, size_t err_len);
VG_API void vg_bin_fail(vg_bin *r, const char *fmt, ...) VG_PRINTF(2, 3);
/* true if k more bytes are there (else fails with "truncated"). */
VG_API bool vg_bin_need(vg_bin *r, size_t k);
/* An unsigned little-endian number of 1..8 bytes. */
VG_API uint64_t vg_bin_get(vg_bin *r, int bytes);
/* A u32-length string of at most max bytes: pointer into the input, length in *len. */
VG_API const char *vg_bin_get_str(vg_bin *r, size_t max, size_t *len);
/* The 4-byte magic and the u32 version that open saved data: VG_OK, VG_ERR_INVALID ("not a
 * <what>") or VG_ERR_UNSUPPORTED ("version N (this vigil reads V)"). */
VG_API vg_status vg_bin_header(vg_bin *r, const char magic[4], uint32_t version);
/* Bytes left. */
VG_API size_t vg_bin_left(const vg_bin *r);

#endif
