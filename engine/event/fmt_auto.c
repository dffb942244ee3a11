/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_auto.c: format names, dispatch by format and per-record format detection
 * (vg_parse, vg_parse_auto, vg_format_from_str, vg_format_str; see vigil/parse.h).
 *
 * DETECTION (vg_parse_auto), in this order:
 *   1. the first byte that is not JSON whitespace (SP, HT, CR, LF) is '{': JSON. A JSON
 *      parse error is the record's error.
 *   2. the record starts with "<digits>": syslog with a priority. A syslog parse error is
 *      the record's error.
 *   3. otherwise, when the record starts with a BSD timestamp ("Mmm dd hh:mm:ss") or an
 *      RFC 3339 timestamp followed by a space, it is syslog; if it then fails to parse as
 *      syslog (VG_ERR_INVALID), it is raw instead.
 *   4. anything else is raw.
 * Steps 3 and 4 are done by trying vg_parse_syslog: a record without "<digits>" can only
 * parse as syslog (RFC 3164) when it starts with one of those timestamps, and the header
 * check fails within the first few bytes otherwise, before anything is added to the event.
 * So the timestamp rule lives in one place (fmt_syslog.c). Before falling back to raw the
 * event is reset, since a failed parse leaves it partly built.
 */
#include "vigil/parse.h"

#include <string.h>

static const char *const format_names[] = {"auto", "json", "syslog", "raw"};

bool vg_format_from_str(const char *s, vg_format *out)
{
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (strcmp(s, format_names[i]) == 0) {
            if (out)
                *out = (vg_format)i;
            return true;
        }
    }
    return false;
}

const char *vg_format_str(vg_format f)
{
    switch (f) {
    case VG_FMT_AUTO:
    case VG_FMT_JSON:
    case VG_FMT_SYSLOG:
    case VG_FMT_RAW:
        return format_names[f];
    }
    return "unknown";
}

static bool starts_json(const char *rec, size_t len)
{
    size_t i = 0;
    while (i < len && (rec[i] == ' ' || rec[i] == '\t' || rec[i] == '\r' || rec[i] == '\n'))
        i++;
    return i < len && rec[i] == '{';
}

static bool starts_priority(const char *rec, size_t len)
{
    size_t i = 1;
    if (len < 3 || rec[0] != '<')
        return false;
    while (i < len && rec[i] >= '0' && rec[i] <= '9')
        i++;
    return i > 1 && i < len && rec[i] == '>';
}

vg_status vg_parse_auto(vg_event *ev, const char *rec, size_t len, vg_format *used, vg_perr *err)
{
    vg_format f;
    vg_status rc;
    if (starts_json(rec, len)) {
        f = VG_FMT_JSON;
        rc = vg_parse_json(ev, rec, len, err);
    } else if (starts_priority(rec, len)) {
        f = VG_FMT_SYSLOG;
        rc = vg_parse_syslog(ev, rec, len, err);
    } else {
        f = VG_FMT_SYSLOG;
        rc = vg_parse_syslog(ev, rec, len, err);
        if (rc == VG_ERR_INVALID) {
            vg_event_reset(ev);
            f = VG_FMT_RAW;
            rc = vg_parse_raw(ev, rec, len, err);
        }
    }
    if (used)
        *used = f;
    return rc;
}

vg_status
vg_parse(vg_format f, vg_event *ev, const char *rec, size_t len, vg_format *used, vg_perr *err)
{
    vg_status rc;
    switch (f) {
    case VG_FMT_AUTO:
        return vg_parse_auto(ev, rec, len, used, err);
    case VG_FMT_JSON:
        rc = vg_parse_json(ev, rec, len, err);
        break;
    case VG_FMT_SYSLOG:
        rc = vg_parse_syslog(ev, rec, len, err);
        break;
    case VG_FMT_RAW:
        rc = vg_parse_raw(ev, rec, len, err);
        break;
    default:
        if (err) {
            err->offset = 0;
            err->msg = "unknown format";
        }
        return VG_ERR_INVALID;
    }
    if (used)
        *used = f;
    return rc;
}
