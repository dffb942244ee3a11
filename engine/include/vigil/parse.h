/* SPDX-License-Identifier: Apache-2.0 */
/*
 * parse.h: input formats. Framing (where a record ends in a byte stream) and parsing
 * (one record -> vg_event).
 *
 * Formats:
 *   json    one JSON object per record. In a stream, records are JSON values one after
 *           the other: one per line, or concatenated, or pretty-printed over many lines.
 *   syslog  RFC 5424 or RFC 3164 (with or without <PRI>), one per line. Fields: facility,
 *           severity, timestamp, host, program, pid, msgid, message, structured data as
 *           "sd.<id>.<param>", and key=value pairs found in the message under "kv.<key>"
 *           and also as plain top-level "<key>" when that does not clash with a header name.
 *   raw     one line = one event with a single string field "message".
 *   auto    chosen per record: '{' starts JSON, '<digits>' or a syslog timestamp starts
 *           syslog, anything else is raw.
 *
 * Errors: a parse function returns VG_ERR_INVALID (malformed) or VG_ERR_LIMIT (a bound hit)
 * and fills vg_perr with the byte offset inside the record and a static message. The event
 * is then in an unspecified state; reset it before reuse.
 *
 * Thread: all functions are reentrant. Locks: none.
 */
#ifndef VIGIL_PARSE_H
#define VIGIL_PARSE_H

#include "vigil/base.h"
#include "vigil/event.h"

typedef enum vg_format {
    VG_FMT_AUTO,
    VG_FMT_JSON,
    VG_FMT_SYSLOG,
    VG_FMT_RAW
} vg_format;

/* "auto", "json", "syslog", "raw" -> format; false if unknown. */
VG_API bool vg_format_from_str(const char *s, vg_format *out);
VG_API const char *vg_format_str(vg_format f);

/* err may be NULL in every parse function. */
typedef struct vg_perr {
    size_t offset;   /* byte offset in the record where the problem was found */
    const char *msg; /* static text, lower case */
} vg_perr;

/* Parse one record. The event should be freshly reset. Spans in the event may point into
 * rec, which must outlive the event's use. */
VG_API vg_status vg_parse_json(vg_event *ev, const char *rec, size_t len, vg_perr *err);
VG_API vg_status vg_parse_syslog(vg_event *ev, const char *rec, size_t len, vg_perr *err);
VG_API vg_status vg_parse_raw(vg_event *ev, const char *rec, size_t len, vg_perr *err);
/* Picks json/syslog/raw by looking at the record; *used (may be NULL) gets the choice. */
VG_API vg_status
vg_parse_auto(vg_event *ev, const char *rec, size_t len, vg_format *used, vg_perr *err);
VG_API vg_status
vg_parse(vg_format f, vg_event *ev, const char *rec, size_t len, vg_format *used, vg_perr *err);

/* ---- framing ---- */

typedef enum vg_frame_result {
    VG_FRAME_RECORD,   /* [*start, *start + *len) is a record; consume *used bytes */
    VG_FRAME_SKIP,     /* *used bytes are only whitespace/blank lines: consume them */
    VG_FRAME_NEED,     /* not enough data to decide: read more (or pass eof) */
    VG_FRAME_OVERSIZE, /* the record is longer than max: consume *used bytes and report; if
                          those bytes do not end with a newline (and !eof), the record goes
                          on: keep discarding through the next newline */
    VG_FRAME_BAD       /* a record that cannot be framed (JSON that never closes, or that
                          spans lines and is malformed): [*start, *start + *len), its first
                          line, is reported; *used bytes (through that line) are consumed */
} vg_frame_result;

/*
 * Find the next record in buf[0, len). fmt decides the framing: json (and auto when the
 * first non-blank byte is '{') frames one JSON value by bracket matching; a value on one
 * line is framed even with content errors (they are for the parser to report), but one
 * that spans lines must be well-formed JSON: otherwise (a garbage line with an unbalanced
 * '{', a record cut short) only its first line is VG_FRAME_BAD and framing resumes on the
 * next line, so the one-per-line records after it are not lost. Everything else frames
 * one line (without its "\n" or "\r\n"). eof says that no more bytes will follow buf. max
 * is the largest record accepted.
 * Callers track line numbers by counting newlines in the bytes they consume.
 */
VG_API vg_frame_result vg_frame_next(vg_format fmt,
                                     const char *buf,
                                     size_t len,
                                     bool eof,
                                     size_t max,
                                     size_t *start,
                                     size_t *rec_len,
                                     size_t *used);

#endif
