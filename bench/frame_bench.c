/* SPDX-License-Identifier: Apache-2.0 */
/*
 * frame_bench.c: vigil_frame_bench: the cost of finding where records end (framing), per
 * record, over a corpus held in memory: vg_frame_next as `vigil run` calls it, then the JSON
 * bracket matcher alone in each of its variants (byte at a time, sixty-four bytes with SSE2,
 * with AVX2 where the CPU has it) over the same records. Best of ROUNDS passes each.
 *
 *   vigil_frame_bench FILE [ROUNDS]      (default 7 rounds)
 */
#define _POSIX_C_SOURCE 200809L
#include "fsutil.h"
#include "vigil/base.h"
#include "vigil/parse.h"
#include "event/frame_close.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct rec {
    size_t start, len;
} rec;

/* Frame the whole buffer; the records go to *out (when out is not NULL). */
static size_t frame_all(const char *buf, size_t len, rec *out, size_t cap)
{
    size_t pos = 0, n = 0;
    while (pos < len) {
        size_t start, rlen, used;
        vg_frame_result fr = vg_frame_next(VG_FMT_AUTO, buf + pos, len - pos, true, 1u << 24,
                                           &start, &rlen, &used);
        if (used == 0)
            break;
        if (fr == VG_FRAME_RECORD) {
            if (out && n < cap)
                out[n] = (rec){pos + start, rlen};
            n++;
        }
        pos += used;
    }
    return n;
}

typedef size_t (*close_fn)(const char *, size_t, size_t, bool *, bool *, int);

static size_t close_bytes(const char *buf, size_t b, size_t stop, bool *nl, bool *in, int isa)
{
    (void)isa;
    return vg_frame_close_bytes(buf, b, stop, nl, in);
}

static size_t close_blocks(const char *buf, size_t b, size_t stop, bool *nl, bool *in, int isa)
{
    return vg_frame_close_isa(buf, b, stop, nl, in, isa != 0);
}

/* Best time of rounds passes of fn over every record that starts with a bracket; -1 when a
 * record does not close where framing found its end. */
static double time_close(const char *buf, const rec *r, size_t n, close_fn fn, int isa, int rounds)
{
    double best = -1;
    for (int k = 0; k < rounds; k++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++) {
            bool nl, in;
            if (buf[r[i].start] != '{' && buf[r[i].start] != '[')
                continue;
            size_t end = fn(buf, r[i].start, r[i].start + r[i].len, &nl, &in, isa);
            if (end != r[i].start + r[i].len)
                return -1;
        }
        double t = now() - t0;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: vigil_frame_bench FILE [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 7;
    if (rounds < 1)
        rounds = 1;
    size_t len = 0;
    char *buf = NULL;
    int e = fs_read_file(argv[1], SIZE_MAX - 1, &buf, &len);
    if (e) {
        fprintf(stderr, "vigil_frame_bench: cannot read %s: %s\n", argv[1], strerror(e));
        return 1;
    }
    size_t n = frame_all(buf, len, NULL, 0);
    rec *r = malloc((n ? n : 1) * sizeof(*r));
    if (!r) {
        vg_free(buf);
        return 1;
    }
    frame_all(buf, len, r, n);
    double best = -1;
    for (int k = 0; k < rounds; k++) {
        double t0 = now();
        frame_all(buf, len, NULL, 0);
        double t = now() - t0;
        if (best < 0 || t < best)
            best = t;
    }
    printf("%s: %zu records, %.1f MB\n", argv[1], n, (double)len / 1e6);
    printf("  vg_frame_next (as vigil run frames)  %7.1f ns/record  %7.1f MB/s\n",
           best * 1e9 / (double)(n ? n : 1), (double)len / 1e6 / best);
    struct {
        const char *name;
        close_fn fn;
        int isa;
        bool on;
    } v[] = {
        {"bracket matcher, byte at a time", close_bytes, 0, true},
        {"bracket matcher, 64 bytes, SSE2 ", close_blocks, 0, true},
#if defined(__GNUC__) && defined(__x86_64__)
        {"bracket matcher, 64 bytes, AVX2 ", close_blocks, 1,
         __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul")},
#endif
    };
    int status = 0;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (!v[i].on) {
            printf("  %s  (not on this CPU)\n", v[i].name);
            continue;
        }
        double t = time_close(buf, r, n, v[i].fn, v[i].isa, rounds);
        if (t < 0) {
            printf("  %s  DISAGREES with framing\n", v[i].name);
            status = 1;
            continue;
        }
        printf("  %s  %7.1f ns/record  %7.1f MB/s\n", v[i].name, t * 1e9 / (double)(n ? n : 1),
               (double)len / 1e6 / t);
    }
    free(r);
    vg_free(buf);
    return status;
}
