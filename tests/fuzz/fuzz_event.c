/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_event.c: libFuzzer target: arbitrary bytes framed and parsed in every format, then
 * indexed and written back as JSON. Any crash, leak, hang or sanitizer report is a bug.
 *
 * Bounds are small so that small inputs reach them: records longer than FRAME_MAX are
 * oversized, and an event holds at most 1024 nodes, 32 deep. scripts/fuzz.sh caps inputs
 * at 8 KiB (twice FRAME_MAX): every input is written back (once per format), so time per
 * input grows with its length and larger inputs reach nothing more. The JSON pass is not
 * written back: its events are those of the auto pass whenever JSON framing applies, and
 * the write-back is most of a run's time.
 */
#include "vigil/parse.h"

#define FRAME_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const vg_format fmts[] = {VG_FMT_AUTO, VG_FMT_JSON, VG_FMT_SYSLOG, VG_FMT_RAW};
    vg_event_limits lim = {1024, 32, 1u << 20};
    vg_event *ev = vg_event_new(&lim);
    vg_buf out;
    vg_buf_init(&out, 1u << 22);
    for (size_t f = 0; ev && f < 4; f++) {
        const char *p = (const char *)data;
        size_t left = size;
        for (int guard = 0; left > 0 && guard < 10000; guard++) {
            size_t start, len, used;
            vg_frame_result fr =
                    vg_frame_next(fmts[f], p, left, true, FRAME_MAX, &start, &len, &used);
            if (fr == VG_FRAME_NEED || used == 0 || used > left)
                break;
            if (fr == VG_FRAME_RECORD) {
                vg_event_reset(ev);
                vg_perr err;
                if (vg_parse(fmts[f], ev, p + start, len, NULL, &err) == VG_OK &&
                    vg_event_index(ev) == VG_OK) {
                    if (fmts[f] != VG_FMT_JSON) {
                        vg_buf_clear(&out);
                        vg_event_to_json(ev, &out);
                    }
                    vg_event_resolve(ev, "message", 7);
                }
            }
            p += used;
            left -= used;
        }
    }
    vg_buf_fini(&out);
    vg_event_free(ev);
    return 0;
}
