/* SPDX-License-Identifier: Apache-2.0 */
/* frame_close.h: the bracket matcher of JSON framing (frame.c), both implementations. */
#ifndef VG_EVENT_FRAME_CLOSE_H
#define VG_EVENT_FRAME_CLOSE_H

#include <stdbool.h>
#include <stddef.h>

/* Index past the bracket that closes the value opened at buf[b] ('{' or '['), looking at no
 * more than buf[b, stop); 0 when it does not close there, with *nl set when a newline
 * outside a string ended the search (the value goes on over lines). Strings and their
 * backslash escapes are known: a bracket inside a string does not count. A backslash
 * outside a string escapes nothing. When the value closes, *nl_in says whether a newline
 * (inside a string) lies before its end. vg_frame_close looks at sixty-four bytes at a time
 * where SSE2 is there (with AVX2 and PCLMUL when the CPU has them); vg_frame_close_bytes one byte
 * at a time (the reference: the tests require all three to agree). */
size_t vg_frame_close(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in);
size_t vg_frame_close_bytes(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in);
/* vg_frame_close with AVX2 and PCLMUL or without (avx2 true only where the CPU has both) */
size_t vg_frame_close_isa(const char *buf, size_t b, size_t stop, bool *nl, bool *nl_in, bool avx2);

#endif
