/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_raw.c: the raw input format (vg_parse_raw, see vigil/parse.h).
 *
 * A raw record becomes an event with exactly one member of the root object: the string
 * "message", which is the whole record minus one trailing "\r" (left over from a CRLF line
 * ending). Any bytes are accepted, an empty record included; the span points into the
 * record (no copy). The only failures are the event's own (VG_ERR_LIMIT, VG_ERR_NOMEM).
 */
#include "vigil/parse.h"

vg_status vg_parse_raw(vg_event *ev, const char *rec, size_t len, vg_perr *err)
{
    if (len > 0 && rec[len - 1] == '\r')
        len--;
    vg_span text = {len > 0 ? rec : "", len};
    vg_status rc = vg_event_add(ev, 0, VG_V_STR, VG_SPAN_LIT("message"), text, NULL);
    if (rc != VG_OK && err) {
        err->offset = 0;
        err->msg = rc == VG_ERR_LIMIT ? "too many fields" : "out of memory";
    }
    return rc;
}
