/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_syslog.c: one syslog record -> vg_event (vg_parse_syslog, see vigil/parse.h).
 *
 * ACCEPTED HEADERS
 *   RFC 5424  <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
 *             "-" is the nil value of TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID and SD.
 *   RFC 3164  [<PRI>]TIMESTAMP SP HOST SP [TAG["[" PID "]"]":" SP] MSG
 *             TIMESTAMP is "Mmm dd hh:mm:ss" (day zero-padded, space-padded or a single
 *             digit; an optional ".fraction" after the seconds is kept) or an RFC 3339
 *             timestamp (rsyslog's high-precision form).
 * A record is RFC 5424 when <PRI> is directly followed by a version (1-3 digits, the first
 * not 0) and a space; every other record is read as RFC 3164. A record that fails as 5424
 * is not retried as 3164. Trailing "\r" and "\n" bytes are not part of the record.
 *
 * FIELDS (direct members of the root object, node 0, in this order; absent means no node)
 *   facility   number  PRI / 8                            only when <PRI> is present
 *   severity   number  PRI % 8                            only when <PRI> is present
 *   version    number  VERSION                            5424 only
 *   timestamp  string  exactly as written                 5424: absent when "-"
 *   host       string  HOSTNAME / HOST                    5424: absent when "-"; 3164: absent
 *                      when the word after the timestamp ends in ':' (it is then the tag)
 *   program    string  APP-NAME / TAG                     absent when "-" / no tag
 *   pid        number  PROCID / PID, when it is 1-18 decimal digits without a leading zero;
 *              string  otherwise                          absent when "-" / no "[PID]" / "[]"
 *   msgid      string  MSGID                              5424 only; absent when "-"
 *   sd         object  structured data (5424): sd.<SD-ID>.<PARAM-NAME> = string, unescaped
 *                      (\" \\ \] -> " \ ]; any other backslash is kept). Every SD-ELEMENT is
 *                      its own object, so a repeated SD-ID or PARAM-NAME keeps every
 *                      occurrence (the path then names several nodes).
 *   message    string  MSG. 5424: a leading UTF-8 BOM (EF BB BF) is dropped; absent when the
 *                      record ends after SD. 3164: always present, possibly empty.
 *   kv         object  key=value pairs found in message: kv.<key> = string
 *   <key>      string  each pair again as a plain top-level member, unless <key> is one of
 *                      the names above (facility severity version timestamp host program
 *                      pid msgid sd message kv), whether or not that field is present
 *
 * KEY=VALUE PAIRS
 * A key is [A-Za-z0-9_.-]+ at the start of the message or after whitespace, ',' or ';',
 * directly followed by '='. The value is "..." or '...' (quotes removed, no escapes) when
 * the closing quote exists, else it runs to the next whitespace, ',' or ';' (possibly
 * empty, as iptables' "OUT="). Scanning resumes after the value, so pairs inside a quoted
 * value are not extracted. Repeated keys keep every occurrence. At most MAX_KV pairs are
 * taken per record; the rest of the message is left alone (not an error).
 *
 * INVARIANTS
 * - Nothing outside [rec, rec + len) is read; any byte (NUL, invalid UTF-8) is accepted in
 *   MSG, 3164 HOST/content and SD values.
 * - Spans point into rec, except unescaped SD values (event arena) and the facility and
 *   severity text (static strings).
 * - Errors: VG_ERR_INVALID with the offset of the offending byte and a static message;
 *   VG_ERR_LIMIT / VG_ERR_NOMEM when the event is full. The event is then partly built.
 * - Work is linear in len (no backtracking, no lookups among siblings).
 */
#include "vigil/parse.h"
#include "base/ascii.h"

#include <string.h>

#define MAX_KV 1024

typedef struct ctx {
    vg_event *ev;
    const char *rec;
    size_t len;
    size_t pos; /* next byte to read */
    size_t at;  /* offset reported when adding a node fails */
    vg_perr *err;
} ctx;

/* Header fields in their parsed form; a span with p == NULL is absent. */
typedef struct header {
    int pri; /* -1 = absent */
    vg_span version, timestamp, host, program, pid, msgid;
} header;

static const char *const small_num[24] = {"0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",
                                          "8",  "9",  "10", "11", "12", "13", "14", "15",
                                          "16", "17", "18", "19", "20", "21", "22", "23"};

static const char *const header_names[] = {"facility", "severity", "version", "timestamp",
                                           "host",     "program",  "pid",     "msgid",
                                           "sd",       "message",  "kv"};

static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

static vg_status fail(ctx *c, vg_status rc, size_t off, const char *msg)
{
    if (c->err) {
        c->err->offset = off;
        c->err->msg = msg;
    }
    return rc;
}

static vg_status
add(ctx *c, uint32_t parent, vg_vtype t, const char *key, vg_span text, uint32_t *out)
{
    return vg_event_add(c->ev, parent, t, vg_span_cstr(key), text, out);
}

static vg_status add_failed(ctx *c, vg_status rc)
{
    if (rc == VG_ERR_LIMIT)
        return fail(c, rc, c->at, "too many fields");
    if (rc == VG_ERR_NOMEM)
        return fail(c, rc, c->at, "out of memory");
    return fail(c, rc, c->at, "internal error");
}

/* ---- character classes ---- */

/* RFC 5424 PRINTUSASCII: %d33-126 */
static bool is_print(char ch)
{
    unsigned char u = (unsigned char)ch;
    return u >= 33 && u <= 126;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

static bool is_key_char(char ch)
{
    return vg_is_digit(ch) || vg_is_alpha(ch) || ch == '_' || ch == '.' || ch == '-';
}

static bool is_kv_sep(char ch)
{
    return is_space(ch) || ch == ',' || ch == ';';
}


static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!vg_is_digit(p[i]))
            return false;
    return true;
}

/* Two digits already checked by the caller. */
static int two(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* ---- timestamps ---- */

/* Optional ".digits" at p[i]; returns the index after it, or 0 if a '.' has no digits. */
static size_t fraction(const char *p, size_t n, size_t i)
{
    if (i >= n || p[i] != '.')
        return i;
    size_t start = ++i;
    while (i < n && vg_is_digit(p[i]))
        i++;
    return i == start ? 0 : i;
}

/* Length of the RFC 3339 date-time at the start of p[0, n) ("2026-11-24T07:37:30Z",
 * "...30.123456+01:00"), or 0 if there is none. */
static size_t rfc3339_len(const char *p, size_t n)
{
    if (n < 20)
        return 0;
    if (!all_digits(p, 4) || p[4] != '-' || !all_digits(p + 5, 2) || p[7] != '-' ||
        !all_digits(p + 8, 2) || (p[10] != 'T' && p[10] != 't') || !all_digits(p + 11, 2) ||
        p[13] != ':' || !all_digits(p + 14, 2) || p[16] != ':' || !all_digits(p + 17, 2))
        return 0;
    int mon = two(p + 5), day = two(p + 8);
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || two(p + 11) > 23 || two(p + 14) > 59 ||
        two(p + 17) > 60)
        return 0;
    size_t i = fraction(p, n, 19);
    if (i == 0 || i >= n)
        return 0;
    if (p[i] == 'Z' || p[i] == 'z')
        return i + 1;
    if ((p[i] == '+' || p[i] == '-') && n - i >= 6 && all_digits(p + i + 1, 2) && p[i + 3] == ':' &&
        all_digits(p + i + 4, 2) && two(p + i + 1) <= 23 && two(p + i + 4) <= 59)
        return i + 6;
    return 0;
}

/* Length of the BSD timestamp "Mmm dd hh:mm:ss[.frac]" at the start of p[0, n), or 0. The
 * day may be "04", " 4" or "4"; month names are matched without regard to case. */
static size_t bsd_ts_len(const char *p, size_t n)
{
    if (n < 14) /* "Mmm d hh:mm:ss" */
        return 0;
    bool month = false;
    for (size_t m = 0; m < 12 && !month; m++)
        month = (char)vg_ascii_lower((unsigned char)p[0]) == months[3 * m] &&
                (char)vg_ascii_lower((unsigned char)p[1]) == months[3 * m + 1] &&
                (char)vg_ascii_lower((unsigned char)p[2]) == months[3 * m + 2];
    if (!month || p[3] != ' ')
        return 0;
    size_t i;
    int day;
    if (p[4] == ' ' && vg_is_digit(p[5])) {
        day = p[5] - '0';
        i = 6;
    } else if (vg_is_digit(p[4]) && vg_is_digit(p[5])) {
        day = two(p + 4);
        i = 6;
    } else if (vg_is_digit(p[4]) && p[5] == ' ') {
        day = p[4] - '0';
        i = 5;
    } else {
        return 0;
    }
    if (day < 1 || day > 31 || n - i < 9 || p[i] != ' ')
        return 0;
    const char *t = p + i + 1;
    if (!all_digits(t, 2) || t[2] != ':' || !all_digits(t + 3, 2) || t[5] != ':' ||
        !all_digits(t + 6, 2) || two(t) > 23 || two(t + 3) > 59 || two(t + 6) > 60)
        return 0;
    return fraction(p, n, i + 9);
}

/* ---- fields ---- */

static bool is_number_text(vg_span s)
{
    return s.len > 0 && s.len <= 18 && all_digits(s.p, s.len) && (s.len == 1 || s.p[0] != '0');
}

static vg_status emit_header(ctx *c, const header *h)
{
    vg_status rc = VG_OK;
    c->at = 0;
    if (h->pri >= 0) {
        rc = add(c, 0, VG_V_NUM, "facility", vg_span_cstr(small_num[h->pri / 8]), NULL);
        if (rc == VG_OK)
            rc = add(c, 0, VG_V_NUM, "severity", vg_span_cstr(small_num[h->pri % 8]), NULL);
    }
    if (rc == VG_OK && h->version.p)
        rc = add(c, 0, VG_V_NUM, "version", h->version, NULL);
    if (rc == VG_OK && h->timestamp.p)
        rc = add(c, 0, VG_V_STR, "timestamp", h->timestamp, NULL);
    if (rc == VG_OK && h->host.p)
        rc = add(c, 0, VG_V_STR, "host", h->host, NULL);
    if (rc == VG_OK && h->program.p)
        rc = add(c, 0, VG_V_STR, "program", h->program, NULL);
    if (rc == VG_OK && h->pid.p)
        rc = add(c, 0, is_number_text(h->pid) ? VG_V_NUM : VG_V_STR, "pid", h->pid, NULL);
    if (rc == VG_OK && h->msgid.p)
        rc = add(c, 0, VG_V_STR, "msgid", h->msgid, NULL);
    return rc == VG_OK ? VG_OK : add_failed(c, rc);
}

static bool is_header_name(vg_span key)
{
    for (size_t i = 0; i < sizeof(header_names) / sizeof(header_names[0]); i++)
        if (vg_span_eq_cstr(key, header_names[i]))
            return true;
    return false;
}

/* Scan the message m = rec[off, off + n) for key=value pairs. */
static vg_status extract_kv(ctx *c, size_t off, size_t n)
{
    const char *m = c->rec + off;
    uint32_t kv = VG_NODE_NONE;
    size_t count = 0, i = 0;
    while (i < n && count < MAX_KV) {
        if ((i > 0 && !is_kv_sep(m[i - 1])) || !is_key_char(m[i])) {
            i++;
            continue;
        }
        size_t k = i;
        while (k < n && is_key_char(m[k]))
            k++;
        if (k >= n || m[k] != '=') {
            i = k;
            continue;
        }
        size_t v = k + 1, vs = v, ve = v, end;
        const char *q = NULL;
        /* A successful search is consumed (scanning resumes after the quote) and a failed one
         * means no such quote follows, so quote searches cost O(len) in total. */
        if (v < n && (m[v] == '"' || m[v] == '\''))
            q = memchr(m + v + 1, (unsigned char)m[v], n - v - 1);
        if (q) {
            vs = v + 1;
            ve = (size_t)(q - m);
            end = ve + 1;
        } else {
            while (ve < n && !is_kv_sep(m[ve]))
                ve++;
            end = ve;
        }
        vg_span key = {m + i, k - i}, val = {m + vs, ve - vs};
        vg_status rc = VG_OK;
        c->at = off + i;
        if (kv == VG_NODE_NONE)
            rc = add(c, 0, VG_V_OBJ, "kv", VG_SPAN_LIT(""), &kv);
        if (rc == VG_OK)
            rc = vg_event_add(c->ev, kv, VG_V_STR, key, val, NULL);
        if (rc == VG_OK && !is_header_name(key))
            rc = vg_event_add(c->ev, 0, VG_V_STR, key, val, NULL);
        if (rc != VG_OK)
            return add_failed(c, rc);
        count++;
        i = end;
    }
    return VG_OK;
}

static vg_status emit_message(ctx *c, size_t off, size_t n)
{
    c->at = off;
    vg_status rc = add(c, 0, VG_V_STR, "message", (vg_span){c->rec + off, n}, NULL);
    if (rc != VG_OK)
        return add_failed(c, rc);
    return extract_kv(c, off, n);
}

/* ---- RFC 5424 ---- */

/* One header field: PRINTUSASCII up to the next SP, which is consumed. "-" gives an absent
 * span. */
static vg_status field_5424(ctx *c, const char *bad, vg_span *out)
{
    size_t s = c->pos, i = s;
    while (i < c->len && is_print(c->rec[i]))
        i++;
    if (i >= c->len)
        return fail(c, VG_ERR_INVALID, i, "truncated header");
    if (i == s || c->rec[i] != ' ')
        return fail(c, VG_ERR_INVALID, i, bad);
    bool nil = i - s == 1 && c->rec[s] == '-';
    *out = nil ? (vg_span){NULL, 0} : (vg_span){c->rec + s, i - s};
    c->pos = i + 1;
    return VG_OK;
}

/* SD-NAME: PRINTUSASCII except '=', SP, ']' and '"'. */
static size_t sd_name(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_print(p[i]) && p[i] != '=' && p[i] != ']' && p[i] != '"')
        i++;
    return i;
}

/* The PARAM-VALUE starting at rec[c->pos] (after the opening quote), up to the closing
 * quote, which is consumed. */
static vg_status sd_value(ctx *c, vg_span *out)
{
    const char *r = c->rec;
    size_t s = c->pos, i = s, escapes = 0;
    while (i < c->len && r[i] != '"') {
        if (r[i] == '\\' && i + 1 < c->len) {
            escapes++;
            i++;
        }
        i++;
    }
    if (i >= c->len)
        return fail(c, VG_ERR_INVALID, s, "unterminated sd-param value");
    c->pos = i + 1;
    if (!escapes) {
        *out = (vg_span){r + s, i - s};
        return VG_OK;
    }
    char *d = vg_event_alloc(c->ev, i - s);
    if (!d)
        return fail(c, VG_ERR_LIMIT, s, "event too large");
    size_t n = 0;
    for (size_t j = s; j < i; j++) {
        if (r[j] == '\\' && (r[j + 1] == '"' || r[j + 1] == '\\' || r[j + 1] == ']'))
            j++;
        else if (r[j] == '\\') /* not an escape: keep the backslash and what follows */
            d[n++] = r[j++];
        d[n++] = r[j];
    }
    *out = (vg_span){d, n};
    return VG_OK;
}

static vg_status structured_data(ctx *c)
{
    const char *r = c->rec;
    if (c->pos < c->len && r[c->pos] == '-') {
        c->pos++;
        return VG_OK;
    }
    if (c->pos >= c->len || r[c->pos] != '[')
        return fail(c, VG_ERR_INVALID, c->pos, "bad structured data");
    uint32_t sd = VG_NODE_NONE;
    vg_status rc;
    while (c->pos < c->len && r[c->pos] == '[') {
        size_t s = ++c->pos, n = sd_name(r + s, c->len - s);
        if (n == 0)
            return fail(c, VG_ERR_INVALID, s, "bad sd-id");
        uint32_t elem;
        c->at = s - 1;
        rc = sd == VG_NODE_NONE ? add(c, 0, VG_V_OBJ, "sd", VG_SPAN_LIT(""), &sd) : VG_OK;
        if (rc == VG_OK)
            rc = vg_event_add(c->ev, sd, VG_V_OBJ, (vg_span){r + s, n}, VG_SPAN_LIT(""), &elem);
        if (rc != VG_OK)
            return add_failed(c, rc);
        c->pos = s + n;
        for (;;) {
            if (c->pos >= c->len)
                return fail(c, VG_ERR_INVALID, c->pos, "unterminated structured data");
            if (r[c->pos] == ']') {
                c->pos++;
                break;
            }
            if (r[c->pos] != ' ')
                return fail(c, VG_ERR_INVALID, c->pos, "bad structured data");
            size_t ks = ++c->pos, kn = sd_name(r + ks, c->len - ks);
            if (kn == 0)
                return fail(c, VG_ERR_INVALID, ks, "bad sd-param name");
            c->pos = ks + kn;
            if (c->pos + 1 >= c->len || r[c->pos] != '=' || r[c->pos + 1] != '"')
                return fail(c, VG_ERR_INVALID, c->pos, "bad sd-param");
            c->pos += 2;
            vg_span val;
            rc = sd_value(c, &val);
            if (rc != VG_OK)
                return rc;
            c->at = ks;
            rc = vg_event_add(c->ev, elem, VG_V_STR, (vg_span){r + ks, kn}, val, NULL);
            if (rc != VG_OK)
                return add_failed(c, rc);
        }
    }
    return VG_OK;
}

static vg_status parse_5424(ctx *c, header *h)
{
    const char *r = c->rec;
    size_t s = c->pos;
    while (vg_is_digit(r[c->pos])) /* the caller checked: digits then SP */
        c->pos++;
    h->version = (vg_span){r + s, c->pos - s};
    c->pos++;

    s = c->pos;
    if (s + 1 < c->len && r[s] == '-' && r[s + 1] == ' ') {
        c->pos = s + 2;
    } else {
        size_t n = rfc3339_len(r + s, c->len - s);
        if (n == 0 || s + n >= c->len || r[s + n] != ' ')
            return fail(c, VG_ERR_INVALID, s, "bad timestamp");
        h->timestamp = (vg_span){r + s, n};
        c->pos = s + n + 1;
    }
    vg_status rc = field_5424(c, "bad hostname", &h->host);
    if (rc == VG_OK)
        rc = field_5424(c, "bad app-name", &h->program);
    if (rc == VG_OK)
        rc = field_5424(c, "bad procid", &h->pid);
    if (rc == VG_OK)
        rc = field_5424(c, "bad msgid", &h->msgid);
    if (rc == VG_OK)
        rc = emit_header(c, h);
    if (rc == VG_OK)
        rc = structured_data(c);
    if (rc != VG_OK)
        return rc;
    if (c->pos >= c->len)
        return VG_OK;
    if (r[c->pos] != ' ')
        return fail(c, VG_ERR_INVALID, c->pos, "expected space after structured data");
    size_t m = c->pos + 1;
    if (c->len - m >= 3 && memcmp(r + m, "\xEF\xBB\xBF", 3) == 0)
        m += 3;
    return emit_message(c, m, c->len - m);
}

/* ---- RFC 3164 ---- */

/* TAG["[" PID "]"] ":" at the start of the content p[0, n): on success sets the program and
 * pid spans and returns the offset of the message (after one space); else returns 0. The tag
 * ends at '[' or ':'; a ':' must be followed by a space or the end of the record so that
 * "http://..." is not a tag. "tag[pid]" without ':' is accepted when a space follows. */
static size_t tag_3164(const char *p, size_t n, header *h)
{
    size_t i = 0;
    while (i < n && is_print(p[i]) && p[i] != '[' && p[i] != ']' && p[i] != ':')
        i++;
    if (i == 0 || i >= n)
        return 0;
    size_t end;
    vg_span pid = {NULL, 0};
    if (p[i] == '[') {
        size_t j = i + 1;
        while (j < n && is_print(p[j]) && p[j] != '[' && p[j] != ']')
            j++;
        if (j >= n || p[j] != ']')
            return 0;
        if (j > i + 1)
            pid = (vg_span){p + i + 1, j - i - 1};
        end = j + 1;
        if (end < n && p[end] == ':')
            end++;
    } else if (p[i] == ':') {
        end = i + 1;
    } else {
        return 0;
    }
    if (end < n && p[end] != ' ')
        return 0;
    h->program = (vg_span){p, i};
    h->pid = pid;
    return end < n ? end + 1 : end;
}

static vg_status parse_3164(ctx *c, header *h)
{
    const char *r = c->rec;
    size_t n = c->len, p = c->pos;
    size_t tl = bsd_ts_len(r + p, n - p);
    if (tl == 0)
        tl = rfc3339_len(r + p, n - p);
    if (tl == 0)
        return fail(c, VG_ERR_INVALID, p, "missing timestamp");
    h->timestamp = (vg_span){r + p, tl};
    p += tl;
    if (p < n && r[p] != ' ')
        return fail(c, VG_ERR_INVALID, p, "bad timestamp");
    while (p < n && r[p] == ' ')
        p++;
    if (p >= n)
        return fail(c, VG_ERR_INVALID, p, "missing hostname");
    size_t hs = p;
    while (p < n && r[p] != ' ')
        p++;
    if (r[p - 1] == ':') {
        p = hs; /* no host: this word is the tag */
    } else {
        h->host = (vg_span){r + hs, p - hs};
        if (p < n)
            p++;
    }
    size_t msg = p + tag_3164(r + p, n - p, h);
    vg_status rc = emit_header(c, h);
    if (rc != VG_OK)
        return rc;
    return emit_message(c, msg, n - msg);
}

/* ---- entry point ---- */

/* "<PRI>" at the start of the record. */
static vg_status priority(ctx *c, int *pri)
{
    const char *r = c->rec;
    size_t i = 1;
    int v = 0;
    while (i < c->len && i <= 3 && vg_is_digit(r[i]))
        v = v * 10 + (r[i++] - '0');
    if (i == 1 || i >= c->len || r[i] != '>')
        return fail(c, VG_ERR_INVALID, i, "bad priority");
    if (v > 191)
        return fail(c, VG_ERR_INVALID, 1, "bad priority");
    *pri = v;
    c->pos = i + 1;
    return VG_OK;
}

/* VERSION SP at rec[c->pos]: 1-3 digits, the first not 0. */
static bool has_version(const ctx *c)
{
    size_t i = c->pos;
    if (i >= c->len || !vg_is_digit(c->rec[i]) || c->rec[i] == '0')
        return false;
    while (i < c->len && i - c->pos < 4 && vg_is_digit(c->rec[i]))
        i++;
    return i - c->pos <= 3 && i < c->len && c->rec[i] == ' ';
}

vg_status vg_parse_syslog(vg_event *ev, const char *rec, size_t len, vg_perr *err)
{
    while (len > 0 && (rec[len - 1] == '\n' || rec[len - 1] == '\r'))
        len--;
    ctx c = {ev, rec, len, 0, 0, err};
    if (len == 0)
        return fail(&c, VG_ERR_INVALID, 0, "empty record");
    header h = {.pri = -1};
    if (rec[0] == '<') {
        vg_status rc = priority(&c, &h.pri);
        if (rc != VG_OK)
            return rc;
        if (has_version(&c))
            return parse_5424(&c, &h);
    }
    return parse_3164(&c, &h);
}
