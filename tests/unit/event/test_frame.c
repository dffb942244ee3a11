/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_frame.c: record framing (vg_frame_next).
 *
 * A table of inputs, each framed to the end and written as a script of results
 * ("R<record>|S|N|O<record>|B<record>"), for JSON, line and auto framing. Then the same
 * inputs fed in small pieces must give the same records (framing is stateless), a caller
 * with a buffer no bigger than max must get past oversize records, a value spanning lines
 * is followed to the checker's depth bound, and the SigmaHQ regression events
 * (pretty-printed, some files with several objects) must all frame and parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vigil/parse.h"
#include "event/frame_close.h"

/* Append to a '|'-separated script in out. */
static void script_add(char *out, size_t cap, char tag, const char *p, size_t n)
{
    size_t len = strlen(out);
    int w = snprintf(out + len, cap - len, "%s%c%.*s", len ? "|" : "", tag, (int)n, p);
    if (w < 0 || (size_t)w >= cap - len)
        fail_msg("script too long");
}

static char tag_of(vg_frame_result r)
{
    switch (r) {
    case VG_FRAME_RECORD:
        return 'R';
    case VG_FRAME_SKIP:
        return 'S';
    case VG_FRAME_NEED:
        return 'N';
    case VG_FRAME_OVERSIZE:
        return 'O';
    case VG_FRAME_BAD:
        return 'B';
    }
    return '?';
}

/* Frame all of buf[0, len) as one buffer; the script ends at the first NEED or at len. */
static void frame_all(const char *name,
                      vg_format fmt,
                      const char *buf,
                      size_t len,
                      bool eof,
                      size_t max,
                      char *out,
                      size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    while (off < len) {
        size_t start = 99, rec_len = 99, used = 99;
        vg_frame_result r =
                vg_frame_next(fmt, buf + off, len - off, eof, max, &start, &rec_len, &used);
        if (r == VG_FRAME_NEED) {
            if (used != 0)
                fail_msg("[%s] NEED with used %zu", name, used);
            script_add(out, cap, 'N', "", 0);
            return;
        }
        if (used == 0 || used > len - off)
            fail_msg("[%s] %c with used %zu of %zu", name, tag_of(r), used, len - off);
        if (r == VG_FRAME_SKIP) {
            for (size_t i = 0; i < used; i++)
                if (!strchr(" \t\r\n", buf[off + i]))
                    fail_msg("[%s] SKIP over a non-blank byte", name);
            script_add(out, cap, 'S', "", 0);
        } else {
            if (start + rec_len > used)
                fail_msg("[%s] record [%zu, +%zu) past used %zu", name, start, rec_len, used);
            script_add(out, cap, tag_of(r), buf + off + start, rec_len);
        }
        off += used;
    }
}

typedef struct frame_row {
    const char *name;
    vg_format fmt;
    const char *in;
    bool eof;
    size_t max; /* 0 = 1 MiB */
    const char *want;
} frame_row;

#define J VG_FMT_JSON
#define L VG_FMT_RAW
#define A VG_FMT_AUTO

static const frame_row rows[] = {
        /* JSON framing */
        {"one object per line", J, "{\"a\":1}\n{\"b\":2}\n", true, 0, "R{\"a\":1}|R{\"b\":2}|S"},
        {"one object per line, CRLF", J, "{\"a\":1}\r\n{\"b\":2}\r\n", true, 0,
         "R{\"a\":1}|R{\"b\":2}|S"},
        {"concatenated", J, "{\"a\":1}{\"b\":2}", true, 0, "R{\"a\":1}|R{\"b\":2}"},
        {"concatenated with blanks", J, " {\"a\":1}  {\"b\":2} \n", false, 0,
         "R{\"a\":1}|R{\"b\":2}|S"},
        {"pretty printed", J, "{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}\n{\n}\n", true, 0,
         "R{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}|R{\n}|S"},
        {"braces inside strings", J, "{\"a\":\"}\"}{\"b\":\"{{[\"}", true, 0,
         "R{\"a\":\"}\"}|R{\"b\":\"{{[\"}"},
        {"escaped quote inside string", J, "{\"a\":\"x\\\"}y\"}\n", true, 0,
         "R{\"a\":\"x\\\"}y\"}|S"},
        {"escaped backslash before quote", J, "{\"a\":\"x\\\\\"}{}", true, 0,
         "R{\"a\":\"x\\\\\"}|R{}"},
        {"top-level array", J, "[1,[2,{}]]\n", true, 0, "R[1,[2,{}]]|S"},
        {"need when incomplete", J, "{\"a\":", false, 0, "N"},
        {"need inside a string", J, "{\"a\":\"}", false, 0, "N"},
        {"need after an escape", J, "{\"a\":\"\\", false, 0, "N"},
        {"need consumes the blank prefix first", J, "\n\n {\"a\":", false, 0, "S|N"},
        {"need after a record", J, "{}\n{\"a\"", false, 0, "R{}|S|N"},
        {"bad at eof resyncs on the next line", J, "{\"a\":1\n{\"b\":2}\n", true, 0,
         "B{\"a\":1|R{\"b\":2}|S"},
        {"bad at eof, CRLF", J, "{\"a\":1\r\n{}\r\n", true, 0, "B{\"a\":1|R{}|S"},
        {"bad at eof, one line", J, "  {\"a\":[1,2", true, 0, "B{\"a\":[1,2"},
        {"bad at eof, open string", J, "{\"a\":\"}\n{}", true, 0, "B{\"a\":\"}|R{}"},
        {"scalar is one line", J, "42\n{\"a\":1}", true, 0, "R42|R{\"a\":1}"},
        {"scalar needs its newline", J, "42", false, 0, "N"},
        {"scalar at eof", J, " 42", true, 0, "R42"},
        {"garbage is one line", J, "hello world\r\n{}", true, 0, "Rhello world|R{}"},
        {"stray closer is one line", J, "}\n", true, 0, "R}"},
        {"only whitespace", J, " \n\t \r\n", false, 0, "S"},
        {"empty buffer", J, "", true, 0, ""},
        {"exactly max", J, "{\"a\":1}", true, 7, "R{\"a\":1}"},
        {"oversize, newline in buffer", J, "{\"a\":\"0123456789\"}\n{\"b\":1}\n", true, 10,
         "O{\"a\":\"0123456789\"}|R{\"b\":1}|S"},
        {"oversize, one byte over", J, "{\"a\":1}\n{}", true, 6, "O{\"a\":1}|R{}"},
        {"oversize, no newline", J, "{\"a\":\"0123456789", false, 10, "O{\"a\":\"0123456789"},
        {"oversize, pretty printed resyncs by line", J, "{\n \"a\": 1,\n \"b\": 2\n}\n", true, 8,
         "O{\n \"a\": 1,|R\"b\": 2|R}"},
        {"oversize scalar line", J, "123456789\n7", true, 4, "O123456789|R7"},
        /* resynchronising after a line that opens a value it never closes well */
        {"garbage brace resyncs before eof", J, "{\x01\xff\n{\"a\":1}\n{\"b\":2}\n", false, 0,
         "B{\x01\xff|R{\"a\":1}|R{\"b\":2}|S"},
        {"open string resyncs before eof", J, "{\"a\":\"x\n{\"b\":1}\n{\"c\":2}\n", false, 0,
         "B{\"a\":\"x|R{\"b\":1}|R{\"c\":2}|S"},
        {"cut record resyncs at the next record", J, "{\"a\":1,\"b\":\n{\"c\":1}\n{\"d\":2}\n",
         false, 0, "B{\"a\":1,\"b\":|R{\"c\":1}|R{\"d\":2}|S"},
        {"cut record and one good line wait", J, "{\"a\":1,\"b\":\n{\"c\":1}\n", false, 0, "N"},
        {"garbage brace closed later", J, "{ x\n{\"a\":1}\n}\n{\"b\":2}\n", true, 0,
         "B{ x|R{\"a\":1}|R}|R{\"b\":2}|S"},
        {"garbage bracket resyncs", J, "[\n{\"a\":1}\n{\"b\":2}\n", false, 0,
         "B[|R{\"a\":1}|R{\"b\":2}|S"},
        {"malformed pretty printed goes line by line", J, "{\n \"a\": 1\n \"b\": 2\n}\n", true, 0,
         "B{|R\"a\": 1|R\"b\": 2|R}"},
        {"malformed prefix within max resyncs", J, "{ x\n{\"a\":1}\n{\"b\":2}\n", false, 10,
         "B{ x|R{\"a\":1}|R{\"b\":2}|S"},
        {"valid pretty prefix waits", J, "{\n \"a\": [1,\n", false, 0, "N"},
        {"one line is not checked", J, "{\"a\":1,,}\n{}\n", true, 0, "R{\"a\":1,,}|R{}|S"},

        /* line framing */
        {"lines", L, "a\nb\n", true, 0, "Ra|Rb"},
        {"crlf lines", L, "a\r\nb\r\n", false, 0, "Ra|Rb"},
        {"last line at eof", L, "a\nb", true, 0, "Ra|Rb"},
        {"last line needs eof", L, "a\nb", false, 0, "Ra|N"},
        {"trailing cr at eof", L, "a\r", true, 0, "Ra"},
        {"cr inside a line", L, "a\rb\n", true, 0, "Ra\rb"},
        {"blank lines are one skip", L, "\n \t\r\n\na\n\n", true, 0, "S|Ra|S"},
        {"partial blank line needs more", L, "a\n  ", false, 0, "Ra|N"},
        {"partial blank line at eof", L, "a\n  ", true, 0, "Ra|S"},
        {"leading blanks kept", L, "  a \n", true, 0, "R  a "},
        {"line of max bytes", L, "abc\n", false, 3, "Rabc"},
        {"line of max bytes, crlf", L, "abc\r\n", false, 3, "Rabc"},
        {"oversize line", L, "abcdef\nxy\n", true, 3, "Oabcdef|Rxy"},
        {"oversize without newline", L, "abcdef", false, 3, "Oabcdef"},
        {"max bytes without newline", L, "abc", false, 3, "Oabc"},
        {"max bytes at eof", L, "abc", true, 3, "Rabc"},
        {"json is lines in line mode", L, "{\"a\":\n1}\n", true, 0, "R{\"a\":|R1}"},
        {"syslog is line framed", VG_FMT_SYSLOG, "<13>Jan  1 h p: m\n{}\n", true, 0,
         "R<13>Jan  1 h p: m|R{}"},
        {"nul bytes are data", L, "a\0b\n", true, 0, "Ra"}, /* printed up to the NUL */

        /* auto */
        {"auto json", A, "{\"a\":1}{\"b\":2}", true, 0, "R{\"a\":1}|R{\"b\":2}"},
        {"auto json after blank lines", A, "\n\n  {\"a\":1}\n", true, 0, "R{\"a\":1}|S"},
        {"auto array is a line", A, "  [1]\n", true, 0, "R  [1]"},
        {"auto syslog", A, "<13>Jan  1 host msg\n", true, 0, "R<13>Jan  1 host msg"},
        {"auto raw after blank lines", A, "\n\nhello\n", true, 0, "S|Rhello"},
        {"auto raw with json later on the line", A, "hello {\"a\":1}\n", true, 0,
         "Rhello {\"a\":1}"},
        {"auto mixed", A, "{\"a\":1}\nplain text\n{\"b\":2}\n", true, 0,
         "R{\"a\":1}|S|Rplain text|R{\"b\":2}|S"},
        {"auto blank line", A, "  \n", false, 0, "S"},
        {"auto blanks need more", A, "   ", false, 0, "N"},
        {"auto unclosed json at eof", A, "{\"a\":1\nnext\n", true, 0, "B{\"a\":1|Rnext"},
        {"auto garbage brace resyncs", A, "{\xff\n{\"a\":1}\nplain\n", false, 0,
         "B{\xff|R{\"a\":1}|S|Rplain"},
};

static void test_frame_table(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const frame_row *row = &rows[r];
        size_t len = strlen(row->in);
        if (strcmp(row->name, "nul bytes are data") == 0)
            len = 4;
        char got[1024];
        frame_all(row->name, row->fmt, row->in, len, row->eof, row->max ? row->max : 1 << 20, got,
                  sizeof(got));
        if (strcmp(got, row->want) != 0)
            fail_msg("[%s] got '%s', want '%s'", row->name, got, row->want);
    }
}

static void test_frame_outputs_on_need(void **state)
{
    (void)state;
    size_t start = 7, rec_len = 7, used = 7;
    assert_int_equal(vg_frame_next(J, "", 0, false, 10, &start, &rec_len, &used), VG_FRAME_NEED);
    assert_int_equal(used, 0);
    assert_int_equal(vg_frame_next(L, "", 0, true, 10, &start, &rec_len, &used), VG_FRAME_NEED);
    assert_int_equal(used, 0);
    /* a record's start is past the blanks, which *used includes */
    assert_int_equal(vg_frame_next(J, "\n \n{}x", 6, false, 10, &start, &rec_len, &used),
                     VG_FRAME_RECORD);
    assert_int_equal(start, 3);
    assert_int_equal(rec_len, 2);
    assert_int_equal(used, 5);
}

/*
 * Streaming: the same input given a few bytes at a time (buffer = unconsumed bytes plus the
 * next chunk, eof once everything was given) frames to the same script as the whole input.
 */
static void frame_stream(
        vg_format fmt, const char *in, size_t len, size_t chunk, size_t max, char *out, size_t cap)
{
    size_t off = 0, avail = 0;
    out[0] = '\0';
    for (;;) {
        bool eof = avail == len;
        size_t start, rec_len, used;
        vg_frame_result r =
                vg_frame_next(fmt, in + off, avail - off, eof, max, &start, &rec_len, &used);
        if (r == VG_FRAME_NEED) {
            if (eof)
                return;
            avail = avail + chunk < len ? avail + chunk : len;
            continue;
        }
        if (r == VG_FRAME_SKIP)
            script_add(out, cap, 'S', "", 0);
        else
            script_add(out, cap, tag_of(r), in + off + start, rec_len);
        off += used;
        if (off == len)
            return;
    }
}

/* Drop the S entries: a chunked reader sees blank runs and blank prefixes as skips where
 * the whole buffer has them inside the next record's *used. */
static void drop_skips(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (r[0] == 'S' && (r == s || r[-1] == '|') && (r[1] == '|' || r[1] == '\0')) {
            r += r[1] ? 2 : 1;
            continue;
        }
        *w++ = *r++;
    }
    if (w > s && w[-1] == '|')
        w--;
    *w = '\0';
}

static void test_frame_streaming_is_stateless(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        vg_format fmt;
        const char *in;
    } srows[] = {
            {"json mix", J,
             "{\"a\":1}\n\n{\"b\":\"}\\\"{\"}{\"c\":[1,\n2]}\r\n  {\n \"d\": {}\n}\n42\n"
             "{\"e\":1\n"},
            {"lines", L, "one\r\n\n  \ntwo\nthree\r\n\nfour"},
            {"auto", A, "{\"a\":1}\nplain\n\n{\"b\":\n2}\n<13>x\n"},
            {"json resync", J,
             "{\x01\n{\"a\":1}\n{\"b\":\n[2]}\n{ x\n{\"c\":\"}\"}\n}\n{\"d\":1,\n{\"e\":2}\n"},
    };
    for (size_t r = 0; r < sizeof(srows) / sizeof(srows[0]); r++) {
        size_t len = strlen(srows[r].in);
        char whole[1024], piece[1024];
        frame_all(srows[r].name, srows[r].fmt, srows[r].in, len, true, 1 << 20, whole,
                  sizeof(whole));
        drop_skips(whole);
        for (size_t chunk = 1; chunk <= 9; chunk++) {
            frame_stream(srows[r].fmt, srows[r].in, len, chunk, 1 << 20, piece, sizeof(piece));
            drop_skips(piece);
            if (strcmp(whole, piece) != 0)
                fail_msg("[%s, chunks of %zu] got '%s', want '%s'", srows[r].name, chunk, piece,
                         whole);
        }
    }
}

/*
 * A caller whose buffer holds at most max bytes, following the documented contract: after
 * OVERSIZE whose consumed bytes do not end with '\n' (and !eof), discard through the next
 * newline. Records are written as R<text>, oversize ones as O.
 */
static void
frame_capped(vg_format fmt, const char *in, size_t cap_buf, size_t max, char *out, size_t cap)
{
    size_t len = strlen(in);
    size_t off = 0, avail = 0; /* the buffer is in[off, avail) */
    bool discarding = false;
    out[0] = '\0';
    for (int guard = 0; guard < 10000; guard++) {
        if (avail - off < cap_buf && avail < len) {
            size_t want = off + cap_buf - avail;
            avail += want < len - avail ? want : len - avail;
        }
        bool eof = avail == len;
        if (discarding) {
            const char *nl = memchr(in + off, '\n', avail - off);
            if (nl) {
                off = (size_t)(nl - in) + 1;
                discarding = false;
            } else {
                off = avail;
                if (eof)
                    return;
            }
            continue;
        }
        size_t start, rec_len, used;
        vg_frame_result r =
                vg_frame_next(fmt, in + off, avail - off, eof, max, &start, &rec_len, &used);
        if (r == VG_FRAME_NEED) {
            if (eof)
                return;
            if (avail - off >= cap_buf)
                fail_msg("NEED with a full buffer: the caller is stuck");
            continue;
        }
        if (r == VG_FRAME_RECORD)
            script_add(out, cap, 'R', in + off + start, rec_len);
        else if (r != VG_FRAME_SKIP)
            script_add(out, cap, tag_of(r), "", 0);
        off += used;
        if (r == VG_FRAME_OVERSIZE && in[off - 1] != '\n' && !eof)
            discarding = true;
        if (off == len)
            return;
    }
    fail_msg("no progress");
}

static void test_frame_oversize_with_small_buffer(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        vg_format fmt;
        const char *in;
        size_t cap_buf, max;
        const char *want;
    } crows[] = {
            {"long line", L,
             "short\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nafter\n", 16, 16,
             "Rshort|O|Rafter"},
            {"long line ends at the buffer end", L, "abcdefg\nok\n", 8, 4, "O|Rok"},
            {"line of exactly max with its newline", L, "abcd\nok\n", 8, 4, "Rabcd|Rok"},
            {"long json line", J,
             "{\"a\":1}\n{\"big\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}\n{\"b\":2}\n", 16,
             16, "R{\"a\":1}|O|R{\"b\":2}"},
            {"long json with blanks before", J,
             "   \n\n   {\"big\":\"yyyyyyyyyyyyyyyyyyyyyyyyyy\"}\n{\"b\":2}", 16, 16,
             "O|R{\"b\":2}"},
            {"blank prefix does not stall", J, "            {\"a\":12345}\n", 16, 16,
             "R{\"a\":12345}"},
            {"auto long line", A, "{\"a\":1}\nzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n{}\n", 12, 12,
             "R{\"a\":1}|O|R{}"},
    };
    for (size_t r = 0; r < sizeof(crows) / sizeof(crows[0]); r++) {
        char got[512];
        frame_capped(crows[r].fmt, crows[r].in, crows[r].cap_buf, crows[r].max, got, sizeof(got));
        if (strcmp(got, crows[r].want) != 0)
            fail_msg("[%s] got '%s', want '%s'", crows[r].name, got, crows[r].want);
    }
}

/*
 * Nesting over lines is followed to VG_JSON_CHECK_DEPTH: a pretty-printed value that deep
 * is one record; one level deeper and it is malformed, so its first line is reported and
 * framing resumes on the next line.
 */
static void test_frame_deep_over_lines(void **state)
{
    (void)state;
    size_t n = 4096 + 1;
    char *p = vg_malloc(n * 4 + 16);
    assert_non_null(p);
    for (int over = 0; over < 2; over++) {
        size_t levels = 4096 + (size_t)over, at = 0;
        for (size_t i = 0; i < levels; i++) {
            p[at++] = '[';
            p[at++] = '\n';
        }
        for (size_t i = 0; i < levels; i++)
            p[at++] = ']';
        p[at++] = '\n';
        size_t start, rec_len, used;
        vg_frame_result r = vg_frame_next(J, p, at, true, 1 << 20, &start, &rec_len, &used);
        if (!over) {
            assert_int_equal(r, VG_FRAME_RECORD);
            assert_int_equal(rec_len, at - 1);
        } else {
            assert_int_equal(r, VG_FRAME_BAD);
            assert_int_equal(rec_len, 1);
            assert_int_equal(used, 2);
            /* the rest opens 4096 levels and closes them: one record (the last ']' is
             * a line of its own after it) */
            size_t off = used;
            r = vg_frame_next(J, p + off, at - off, true, 1 << 20, &start, &rec_len, &used);
            assert_int_equal(r, VG_FRAME_RECORD);
            assert_int_equal(rec_len, 4096 * 3);
            off += used;
            r = vg_frame_next(J, p + off, at - off, true, 1 << 20, &start, &rec_len, &used);
            assert_int_equal(r, VG_FRAME_RECORD);
            assert_int_equal(rec_len, 1);
            assert_int_equal(off + used, at);
        }
    }
    vg_free(p);
}

/*
 * Many lines that each open a value and never close it ({"a":1 ...), in one buffer, then a
 * good record and a pretty-printed one: every bad line is reported alone and framing
 * resumes on the next line. The framer reads each bad line and the start of the next one,
 * not the rest of the buffer, so 60,000 of them in 480 KB frame in a moment (reading the
 * rest each time would be 14 billion bytes).
 */
static void test_frame_many_unclosed_lines(void **state)
{
    (void)state;
    enum {
        N = 60000
    };
    static const char bad[] = "{\"a\":1\n", tail[] = "{\"b\":2}\n{\n\"c\": [3,\n4]\n}\n";
    size_t n_bad = sizeof(bad) - 1, n_tail = sizeof(tail) - 1;
    char *p = vg_malloc(N * n_bad + n_tail);
    assert_non_null(p);
    for (size_t i = 0; i < N; i++)
        memcpy(p + i * n_bad, bad, n_bad);
    memcpy(p + N * n_bad, tail, n_tail);
    size_t len = N * n_bad + n_tail, off = 0, start, rec_len, used, n_reported = 0;
    for (int eof = 0; eof < 2; eof++) { /* the same answers mid-stream and at its end */
        off = 0;
        n_reported = 0;
        while (off < N * n_bad) {
            vg_frame_result r =
                    vg_frame_next(J, p + off, len - off, eof, 1u << 22, &start, &rec_len, &used);
            assert_int_equal(r, VG_FRAME_BAD);
            assert_int_equal(start, 0);
            assert_int_equal(rec_len, n_bad - 1);
            assert_int_equal(used, n_bad);
            off += used;
            n_reported++;
        }
        assert_int_equal(n_reported, N);
        vg_frame_result r =
                vg_frame_next(J, p + off, len - off, eof, 1u << 22, &start, &rec_len, &used);
        assert_int_equal(r, VG_FRAME_RECORD);
        assert_int_equal(rec_len, 7);
        off += used;
        r = vg_frame_next(J, p + off, len - off, eof, 1u << 22, &start, &rec_len, &used);
        assert_int_equal(r, VG_FRAME_RECORD);
        assert_int_equal(start, 1); /* after the newline that ended the record before */
        assert_int_equal(rec_len, 15);
        assert_memory_equal(p + off + start, "{\n\"c\": [3,\n4]\n}", 15);
    }
    vg_free(p);
}

/* 60,000 records concatenated on one line without newlines: one record per call, each
 * found without reading the rest of the line. */
static void test_frame_concatenated_one_line(void **state)
{
    (void)state;
    enum {
        N = 60000
    };
    static const char rec[] = "{\"a\":\"x}\"}";
    size_t n_rec = sizeof(rec) - 1;
    char *p = vg_malloc(N * n_rec + 1);
    assert_non_null(p);
    for (size_t i = 0; i < N; i++)
        memcpy(p + i * n_rec, rec, n_rec);
    p[N * n_rec] = '\n';
    size_t len = N * n_rec + 1, off = 0, start, rec_len, used, n = 0;
    while (off + 1 < len) {
        vg_frame_result r =
                vg_frame_next(J, p + off, len - off, false, 1u << 22, &start, &rec_len, &used);
        assert_int_equal(r, VG_FRAME_RECORD);
        assert_int_equal(start, 0);
        assert_int_equal(rec_len, n_rec);
        off += used;
        n++;
    }
    assert_int_equal(n, N);
    vg_free(p);
}

/* ---- SigmaHQ regression events ---- */

typedef struct walk {
    vg_event *ev;
    size_t files;
    size_t records;
    size_t multi[16]; /* record counts of the files with more than one */
    size_t n_multi;
} walk;

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 65536;
            char *nb = vg_realloc(buf, cap);
            assert_non_null(nb);
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    *len = n;
    return buf;
}

static void check_file(walk *w, const char *path)
{
    size_t len;
    char *buf = read_file(path, &len);
    size_t n_json = 0, n_auto = 0;
    for (int pass = 0; pass < 2; pass++) {
        vg_format fmt = pass == 0 ? VG_FMT_JSON : VG_FMT_AUTO;
        size_t off = 0, n = 0;
        while (off < len) {
            size_t start, rec_len, used;
            vg_frame_result r = vg_frame_next(fmt, buf + off, len - off, true, 1 << 20, &start,
                                              &rec_len, &used);
            if (r == VG_FRAME_NEED)
                break;
            if (r == VG_FRAME_RECORD) {
                vg_perr err = {0, NULL};
                vg_event_reset(w->ev);
                vg_status rc = vg_parse_json(w->ev, buf + off + start, rec_len, &err);
                if (rc != VG_OK)
                    fail_msg("[%s] record %zu: %s at %zu", path, n, err.msg, err.offset);
                assert_int_equal(vg_event_index(w->ev), VG_OK);
                n++;
            } else if (r != VG_FRAME_SKIP) {
                fail_msg("[%s] framing result %c at byte %zu", path, tag_of(r), off);
            }
            off += used;
        }
        if (pass == 0)
            n_json = n;
        else
            n_auto = n;
    }
    if (n_json != n_auto)
        fail_msg("[%s] %zu records as json, %zu as auto", path, n_json, n_auto);
    if (n_json == 0)
        fail_msg("[%s] no record", path);
    w->files++;
    w->records += n_json;
    if (n_json > 1) {
        if (w->n_multi == sizeof(w->multi) / sizeof(w->multi[0]))
            fail_msg("too many files with several events");
        w->multi[w->n_multi++] = n_json;
    }
    vg_free(buf);
}

static void walk_dir(walk *w, const char *dir, int depth)
{
    if (depth > 32)
        fail_msg("directories nested too deep at %s", dir);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open directory %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[4096];
        int pn = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (pn < 0 || (size_t)pn >= sizeof(path))
            fail_msg("path too long under %s", dir);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t nl = strlen(de->d_name);
        if (S_ISDIR(st.st_mode))
            walk_dir(w, path, depth + 1);
        else if (S_ISREG(st.st_mode) && nl > 5 && strcmp(de->d_name + nl - 5, ".json") == 0)
            check_file(w, path);
    }
    closedir(d);
}

static int cmp_desc(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void test_frame_sigma_regression(void **state)
{
    (void)state;
    const char *src = getenv("VIGIL_SRC");
    char dir[4096];
    struct stat st;
    if (!src ||
        snprintf(dir, sizeof(dir), "%s/../shared/sigma/regression", src) >= (int)sizeof(dir) ||
        stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        print_message("skipping: no SigmaHQ regression data at $VIGIL_SRC/../shared/sigma/"
                      "regression (VIGIL_SRC=%s)\n",
                      src ? src : "(unset)");
        skip();
    }
    walk w = {0};
    w.ev = vg_event_new(NULL);
    assert_non_null(w.ev);
    walk_dir(&w, dir, 0);
    vg_event_free(w.ev);
    assert_int_equal(w.files, 138);
    assert_int_equal(w.n_multi, 5);
    qsort(w.multi, w.n_multi, sizeof(w.multi[0]), cmp_desc);
    static const size_t want[] = {6, 6, 3, 3, 2};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(w.multi[i], want[i]);
    assert_int_equal(w.records, 138 - 5 + 6 + 6 + 3 + 3 + 2);
}

/* The block matcher (sixty-four bytes at a time, with SSE2 and with AVX2) against the
 * byte-at-a-time one, on random bytes over the alphabet that matters (brackets, quotes,
 * backslash runs of every length, newlines), every opening bracket as the start and several
 * ends: values that cross block boundaries anywhere, escapes that carry from one block into
 * the next, strings that span blocks, backslashes outside strings (not JSON: left to the
 * byte matcher). */
static uint64_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_frame_close_blocks(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\"\"\\\\\\\\\naaaa :,";
    char buf[400];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t closed = 0, cut = 0, stopped = 0;
#if defined(__GNUC__) && defined(__x86_64__)
    /* the AVX2 blocks too, where the CPU has them */
    bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
#else
    bool avx2 = false;
#endif
    for (int round = 0; round < 20000; round++) {
        size_t n = 1 + next_random(&x) % sizeof(buf);
        /* fewer newlines and backslashes in some rounds, so that values also close */
        size_t span = round % 3 == 0 ? sizeof(alphabet) - 1 : 12;
        for (size_t i = 0; i < n; i++)
            buf[i] = alphabet[next_random(&x) % span];
        if (round % 2 == 0) /* a clean string-rich value: JSON-like text */
            for (size_t i = 0; i < n; i++)
                if (buf[i] == '\\' && i + 1 < n && buf[i + 1] != '"')
                    buf[i] = 'b';
        for (size_t b = 0; b < n; b++) {
            if (buf[b] != '{' && buf[b] != '[')
                continue;
            size_t stops[3] = {n, b + (n - b) / 2 + 1, b + 1 + next_random(&x) % (n - b)};
            for (int k = 0; k < 3; k++) {
                bool nl1, in1, nl2, in2, nl3, in3;
                size_t e1 = vg_frame_close_isa(buf, b, stops[k], &nl1, &in1, false);
                size_t e2 = vg_frame_close_bytes(buf, b, stops[k], &nl2, &in2);
                if (e1 != e2 || nl1 != nl2 || (e1 && in1 != in2))
                    fail_msg("round %d, start %zu, stop %zu: blocks %zu/%d/%d, bytes %zu/%d/%d",
                             round, b, stops[k], e1, nl1, in1, e2, nl2, in2);
                if (avx2) {
                    size_t e3 = vg_frame_close_isa(buf, b, stops[k], &nl3, &in3, true);
                    if (e3 != e2 || nl3 != nl2 || (e3 && in3 != in2))
                        fail_msg("round %d, start %zu, stop %zu: avx2 %zu/%d/%d, bytes %zu/%d/%d",
                                 round, b, stops[k], e3, nl3, in3, e2, nl2, in2);
                }
                closed += e1 != 0;
                stopped += nl1;
                cut += !e1 && !nl1;
            }
        }
    }
    /* every outcome was met often */
    assert_true(closed > 10000);
    assert_true(stopped > 10000);
    assert_true(cut > 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_frame_table),
            cmocka_unit_test(test_frame_outputs_on_need),
            cmocka_unit_test(test_frame_streaming_is_stateless),
            cmocka_unit_test(test_frame_oversize_with_small_buffer),
            cmocka_unit_test(test_frame_deep_over_lines),
            cmocka_unit_test(test_frame_many_unclosed_lines),
            cmocka_unit_test(test_frame_concatenated_one_line),
            cmocka_unit_test(test_frame_close_blocks),
            cmocka_unit_test(test_frame_sigma_regression),
    };
    return cmocka_run_group_tests_name("event/frame", tests, NULL, NULL);
}
