/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_syslog.c: vg_parse_syslog (engine/event/fmt_syslog.c).
 *
 * Table-driven: each row is a real-looking line and the fields it must produce, checked
 * through vg_event_index + vg_event_resolve (and vg_event_path for exact absence), plus a
 * table of malformed lines with the expected status, offset and message. Every record is
 * copied into a heap buffer of exactly its length so that AddressSanitizer catches a read
 * past the end. Bounds: a 1 MiB message, 10,000 pairs (capped at 1024), NUL bytes, random
 * bytes, every prefix of every good line, and event limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/parse.h"

#define MAX_WANT   24
#define MAX_ABSENT 8

typedef struct want {
    const char *path;
    vg_vtype type;
    const char *text; /* NULL: not checked (containers) */
    unsigned count;   /* nodes at this path; 0 = exactly 1 */
} want;

typedef struct good_row {
    const char *name;
    const char *rec;
    want w[MAX_WANT];
    const char *absent[MAX_ABSENT]; /* exact paths that must not exist */
} good_row;

#define NUM(p, t)                                                                                  \
    {                                                                                              \
        (p), VG_V_NUM, (t), 0                                                                      \
    }
#define STR(p, t)                                                                                  \
    {                                                                                              \
        (p), VG_V_STR, (t), 0                                                                      \
    }
#define STRN(p, t, n)                                                                              \
    {                                                                                              \
        (p), VG_V_STR, (t), (n)                                                                    \
    }
#define OBJ(p)                                                                                     \
    {                                                                                              \
        (p), VG_V_OBJ, NULL, 0                                                                     \
    }

/* Per-test state, freed by the teardown even when a check fails. */
typedef struct fx {
    vg_event *ev;
    char *rec; /* the record being parsed: a heap block of exactly its length */
    vg_buf out;
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->ev = vg_event_new(NULL);
    if (!f->ev) {
        free(f);
        return -1;
    }
    vg_buf_init(&f->out, 0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    vg_event_free(f->ev);
    free(f->rec);
    vg_buf_fini(&f->out);
    free(f);
    return 0;
}

/* Replace the event with a fresh one under these limits. */
static vg_event *fx_event(fx *f, const vg_event_limits *lim)
{
    vg_event_free(f->ev);
    f->ev = vg_event_new(lim);
    assert_non_null(f->ev);
    return f->ev;
}

/* Copy [s, s + len) into a heap block of exactly len bytes (1 when empty), so that
 * AddressSanitizer reports any read past the end. The event is reset. */
static char *fx_rec(fx *f, const char *s, size_t len)
{
    free(f->rec);
    f->rec = malloc(len ? len : 1);
    assert_non_null(f->rec);
    if (len)
        memcpy(f->rec, s, len);
    vg_event_reset(f->ev);
    return f->rec;
}

static unsigned count_same(const vg_event *ev, uint32_t i)
{
    unsigned n = 0;
    for (; i != VG_NODE_NONE; i = vg_event_node(ev, i)->next_same)
        n++;
    return n;
}

static void check_want(const vg_event *ev, const char *row, const want *w)
{
    uint32_t i = vg_event_resolve(ev, w->path, strlen(w->path));
    if (i == VG_NODE_NONE)
        fail_msg("%s: no field %s", row, w->path);
    const vg_node *nd = vg_event_node(ev, i);
    if (nd->type != w->type)
        fail_msg("%s: %s has type %d, want %d", row, w->path, (int)nd->type, (int)w->type);
    if (w->text && !vg_span_eq_cstr(nd->text, w->text))
        fail_msg("%s: %s = \"%.*s\", want \"%s\"", row, w->path, (int)nd->text.len, nd->text.p,
                 w->text);
    unsigned n = count_same(ev, i), want_n = w->count ? w->count : 1;
    if (n != want_n)
        fail_msg("%s: %s has %u nodes, want %u", row, w->path, n, want_n);
}

static void run_good(fx *f, const good_row *r)
{
    size_t len = strlen(r->rec);
    char *rec = fx_rec(f, r->rec, len);
    vg_event *ev = f->ev;
    vg_perr err = {0, NULL};
    vg_status rc = vg_parse_syslog(ev, rec, len, &err);
    if (rc != VG_OK)
        fail_msg("%s: status %s at %zu: %s", r->name, vg_status_str(rc), err.offset,
                 err.msg ? err.msg : "");
    assert_int_equal(vg_event_index(ev), VG_OK);
    for (size_t k = 0; k < MAX_WANT && r->w[k].path; k++)
        check_want(ev, r->name, &r->w[k]);
    for (size_t k = 0; k < MAX_ABSENT && r->absent[k]; k++)
        if (vg_event_path(ev, r->absent[k], strlen(r->absent[k])) != VG_NODE_NONE)
            fail_msg("%s: unexpected field %s", r->name, r->absent[k]);
    /* every header field is a direct member of the root */
    static const char *const top[] = {"facility", "severity", "version", "timestamp",
                                      "host",     "program",  "pid",     "msgid",
                                      "message",  "sd",       "kv"};
    for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
        uint32_t i = vg_event_path(ev, top[k], strlen(top[k]));
        if (i != VG_NODE_NONE)
            assert_int_equal(vg_event_node(ev, i)->parent, 0);
    }
}

/* ---- RFC 5424 ---- */

static const good_row rows_5424[] = {
        {"rfc5424 example 1: nil procid and sd, BOM",
         "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
         "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8",
         {NUM("facility", "4"), NUM("severity", "2"), NUM("version", "1"),
          STR("timestamp", "2003-10-11T22:14:15.003Z"), STR("host", "mymachine.example.com"),
          STR("program", "su"), STR("msgid", "ID47"),
          STR("message", "'su root' failed for lonvick on /dev/pts/8")},
         {"pid", "sd", "kv"}},
        {"rfc5424 example 2: numeric procid, offset zone",
         "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's "
         "time to make the do-nuts.",
         {NUM("facility", "20"), NUM("severity", "5"),
          STR("timestamp", "2003-08-24T05:14:15.000003-07:00"), STR("host", "192.0.2.1"),
          STR("program", "myproc"), NUM("pid", "8710"),
          STR("message", "%% It's time to make the do-nuts.")},
         {"msgid", "sd"}},
        {"rfc5424 example 3: structured data and message",
         "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
         "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
         "\xEF\xBB\xBF"
         "An application event log entry...",
         {OBJ("sd"), OBJ("sd.exampleSDID@32473"), STR("sd.exampleSDID@32473.iut", "3"),
          STR("sd.exampleSDID@32473.eventSource", "Application"),
          STR("sd.exampleSDID@32473.eventID", "1011"), STR("eventSource", "Application"),
          STR("message", "An application event log entry...")},
         {"pid", "iut", "kv"}},
        {"rfc5424 example 4: two sd elements, no message",
         "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
         "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
         "[examplePriority@32473 class=\"high\"]",
         {STR("sd.exampleSDID@32473.eventID", "1011"),
          STR("sd.examplePriority@32473.class", "high"), STR("msgid", "ID47")},
         {"message", "kv"}},
        {"all nil",
         "<0>1 - - - - - -",
         {NUM("facility", "0"), NUM("severity", "0"), NUM("version", "1")},
         {"timestamp", "host", "program", "pid", "msgid", "sd", "message"}},
        {"highest priority and 3-digit version",
         "<191>999 - h - - - - x",
         {NUM("facility", "23"), NUM("severity", "7"), NUM("version", "999"), STR("message", "x")},
         {NULL}},
        {"sd escapes",
         "<13>1 2026-11-24T07:37:30Z h app 42 m [x@1 a=\"q\\\"uote\" b=\"back\\\\slash\" "
         "c=\"br\\]acket\" d=\"C:\\path\" e=\"\" f=\"[not] an=\\\"element\\\"\"] msg",
         {STR("sd.x@1.a", "q\"uote"), STR("sd.x@1.b", "back\\slash"), STR("sd.x@1.c", "br]acket"),
          STR("sd.x@1.d", "C:\\path"), STR("sd.x@1.e", ""), STR("sd.x@1.f", "[not] an=\"element\""),
          NUM("pid", "42"), STR("msgid", "m"), STR("message", "msg")},
         {NULL}},
        {"repeated sd-id and param keep every occurrence",
         "<13>1 - h a - - [a x=\"1\"][a x=\"2\" x=\"3\"][b y=\"4\"]",
         {STRN("sd.a.x", "1", 3), {"sd.a", VG_V_OBJ, NULL, 2}, STR("sd.b.y", "4")},
         {NULL}},
        {"empty sd element",
         "<13>1 - h a - - [meta@1] hello",
         {OBJ("sd.meta@1"), STR("message", "hello")},
         {"sd.meta@1.x"}},
        {"procid that is not a number",
         "<13>1 - host app worker-3 - - hi",
         {STR("pid", "worker-3"), STR("program", "app")},
         {NULL}},
        {"procid with a leading zero stays a string",
         "<13>1 - host app 0042 - - hi",
         {STR("pid", "0042")},
         {NULL}},
        {"procid 0 is a number", "<13>1 - host app 0 - - hi", {NUM("pid", "0")}, {NULL}},
        {"message with key=value pairs",
         "<86>1 2026-11-24T07:37:30.123456+01:00 fw01 sshd 2211 AUTH - Failed "
         "password for invalid user admin from 203.0.113.7 port 52211 ssh2 user=admin "
         "src=203.0.113.7",
         {NUM("facility", "10"), NUM("severity", "6"),
          STR("timestamp", "2026-11-24T07:37:30.123456+01:00"), STR("kv.user", "admin"),
          STR("user", "admin"), STR("kv.src", "203.0.113.7"), STR("src", "203.0.113.7")},
         {NULL}},
        {"BOM alone is an empty message",
         "<13>1 - - - - - - \xEF\xBB\xBF",
         {STR("message", "")},
         {NULL}},
        {"space after sd is an empty message", "<13>1 - - - - - - ", {STR("message", "")}, {NULL}},
        {"BOM only dropped at the start",
         "<13>1 - - - - - - a\xEF\xBB\xBF",
         {STR("message", "a\xEF\xBB\xBF")},
         {NULL}},
        {"trailing CRLF is not part of the record",
         "<13>1 - h a - - - msg\r\n",
         {STR("message", "msg")},
         {NULL}},
        {"lowercase t and z in timestamp",
         "<13>1 2026-11-24t07:37:30z h a - - -",
         {STR("timestamp", "2026-11-24t07:37:30z")},
         {NULL}},
        {"leap second",
         "<13>1 2016-12-31T23:59:60Z h a - - -",
         {STR("timestamp", "2016-12-31T23:59:60Z")},
         {NULL}},
        {"invalid utf-8 in message and sd value",
         "<13>1 - h a - - [x v=\"\xff\xfe\"] \xc3\x28 k=\xff",
         {STR("sd.x.v", "\xff\xfe"), STR("message", "\xc3\x28 k=\xff"), STR("kv.k", "\xff")},
         {NULL}},
};

/* ---- RFC 3164 ---- */

static const good_row rows_3164[] = {
        {"rfc3164 example: tag without pid",
         "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
         {NUM("facility", "4"), NUM("severity", "2"), STR("timestamp", "Oct 11 22:14:15"),
          STR("host", "mymachine"), STR("program", "su"),
          STR("message", "'su root' failed for lonvick on /dev/pts/8")},
         {"pid", "version", "msgid", "sd", "kv"}},
        {"auth.log without PRI",
         "Nov 24 07:37:30 myhost sshd[123]: Failed password for root from 10.0.0.1 port "
         "22 ssh2",
         {STR("timestamp", "Nov 24 07:37:30"), STR("host", "myhost"), STR("program", "sshd"),
          NUM("pid", "123"), STR("message", "Failed password for root from 10.0.0.1 port 22 ssh2")},
         {"facility", "severity", "version", "kv"}},
        {"space-padded day",
         "Nov  4 07:37:30 myhost CRON[12]: (root) CMD (run-parts /etc/cron.hourly)",
         {STR("timestamp", "Nov  4 07:37:30"), STR("host", "myhost"), STR("program", "CRON"),
          NUM("pid", "12"), STR("message", "(root) CMD (run-parts /etc/cron.hourly)")},
         {NULL}},
        {"unpadded single-digit day",
         "Nov 4 07:37:30 host app: x",
         {STR("timestamp", "Nov 4 07:37:30"), STR("host", "host"), STR("program", "app"),
          STR("message", "x")},
         {NULL}},
        {"fractional seconds in bsd timestamp",
         "Nov 24 07:37:30.123 host app: x",
         {STR("timestamp", "Nov 24 07:37:30.123"), STR("host", "host")},
         {NULL}},
        {"lowercase month",
         "<13>nov 24 07:37:30 host app: x",
         {STR("timestamp", "nov 24 07:37:30")},
         {NULL}},
        {"iptables kernel log",
         "<4>Nov 24 07:37:30 fw kernel: [12345.678901] IN=eth0 OUT= "
         "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 "
         "TOS=0x00 PREC=0x00 TTL=64 ID=54321 DF PROTO=TCP SPT=1234 DPT=22 WINDOW=29200 "
         "RES=0x00 SYN URGP=0",
         {NUM("facility", "0"), NUM("severity", "4"), STR("host", "fw"), STR("program", "kernel"),
          STR("IN", "eth0"), STR("OUT", ""),
          STR("MAC", "00:11:22:33:44:55:66:77:88:99:aa:bb:08:00"), STR("SRC", "10.0.0.1"),
          STR("DST", "10.0.0.2"), STR("PROTO", "TCP"), STR("SPT", "1234"), STR("DPT", "22"),
          STR("kv.DPT", "22"), STR("kv.OUT", ""), STR("URGP", "0")},
         {"pid", "DF", "SYN"}},
        {"auditd",
         "Nov 24 07:37:30 host audispd: type=EXECVE msg=audit(1700000000.123:42): argc=3 "
         "a0=\"ls\" a1=\"-la\" a2='/tmp/x y'",
         {STR("program", "audispd"), STR("type", "EXECVE"), STR("msg", "audit(1700000000.123:42):"),
          STR("argc", "3"), STR("a0", "ls"), STR("a1", "-la"), STR("a2", "/tmp/x y"),
          STR("kv.type", "EXECVE"), STR("kv.a2", "/tmp/x y")},
         {NULL}},
        {"auditd with a quoted msg holding pairs",
         "<85>Nov 24 07:37:30 host audit[991]: USER_AUTH pid=991 uid=0 "
         "msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" res=failed'",
         {NUM("pid", "991"), STR("kv.pid", "991"), STR("uid", "0"),
          STR("msg",
              "op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" "
              "res=failed")},
         {"op", "acct", "res", "kv.op"}},
        {"sshd accepted",
         "<38>Nov 24 07:37:30 srv sshd[2211]: Accepted publickey for deploy from "
         "198.51.100.23 port 50522 ssh2: RSA SHA256:abc",
         {NUM("facility", "4"), NUM("severity", "6"), NUM("pid", "2211"),
          STR("message",
              "Accepted publickey for deploy from 198.51.100.23 port 50522 "
              "ssh2: RSA SHA256:abc")},
         {"kv"}},
        {"rfc3339 high precision without PRI",
         "2026-11-24T07:37:30.123456+00:00 host prog[1]: msg",
         {STR("timestamp", "2026-11-24T07:37:30.123456+00:00"), STR("host", "host"),
          STR("program", "prog"), NUM("pid", "1"), STR("message", "msg")},
         {"facility", "version"}},
        {"rfc3339 with PRI",
         "<30>2026-11-24T07:37:30Z web nginx: GET /",
         {NUM("facility", "3"), NUM("severity", "6"), STR("timestamp", "2026-11-24T07:37:30Z"),
          STR("host", "web"), STR("program", "nginx"), STR("message", "GET /")},
         {"version"}},
        {"no host: the word after the timestamp is the tag",
         "<13>Nov 24 07:37:30 sudo: pam_unix(sudo:session): session opened for user root",
         {STR("program", "sudo"),
          STR("message", "pam_unix(sudo:session): session opened for user root")},
         {"host", "pid"}},
        {"no host, tag with pid",
         "Nov 24 07:37:30 sshd[5]: x",
         {STR("program", "sshd"), NUM("pid", "5"), STR("message", "x")},
         {"host"}},
        {"no tag",
         "Nov 24 07:37:30 host just some text",
         {STR("host", "host"), STR("message", "just some text")},
         {"program"}},
        {"tag with a path",
         "Nov 24 07:37:30 mail postfix/smtpd[4242]: connect from unknown[198.51.100.2]",
         {STR("program", "postfix/smtpd"), NUM("pid", "4242"),
          STR("message", "connect from unknown[198.51.100.2]")},
         {NULL}},
        {"empty pid brackets",
         "Nov 24 07:37:30 h app[]: x",
         {STR("program", "app"), STR("message", "x")},
         {"pid"}},
        {"non-numeric pid", "Nov 24 07:37:30 h app[main]: x", {STR("pid", "main")}, {NULL}},
        {"tag[pid] without colon",
         "Nov 24 07:37:30 h app[7] started",
         {STR("program", "app"), NUM("pid", "7"), STR("message", "started")},
         {NULL}},
        {"url is not a tag",
         "Nov 24 07:37:30 h http://example.com/ fetched",
         {STR("host", "h"), STR("message", "http://example.com/ fetched")},
         {"program"}},
        {"tag with empty message",
         "Nov 24 07:37:30 h kernel:",
         {STR("program", "kernel"), STR("message", "")},
         {NULL}},
        {"host only", "Nov 24 07:37:30 h", {STR("host", "h"), STR("message", "")}, {"program"}},
        {"extra spaces before host, one removed after the colon",
         "Nov 24 07:37:30   h app:  two",
         {STR("host", "h"), STR("message", " two")},
         {NULL}},
        {"trailing CR", "Nov 24 07:37:30 h app: x\r", {STR("message", "x")}, {NULL}},
        {"kv separators and positions",
         "Nov 24 07:37:30 h app: user=root,uid=0;gid=0 x=(y=z) (p=q) a=b=c",
         {STR("user", "root"), STR("uid", "0"), STR("gid", "0"), STR("x", "(y=z)"),
          STR("a", "b=c")},
         {"y", "p", "kv.y", "kv.p"}},
        {"unterminated quote is an unquoted value",
         "Nov 24 07:37:30 h app: a=\"abc def b='x",
         {STR("a", "\"abc"), STR("b", "'x")},
         {"def"}},
        {"quoted value running over spaces and separators",
         "Nov 24 07:37:30 h app: cmd=\"rm -rf /tmp/a, b; c\" next=1",
         {STR("cmd", "rm -rf /tmp/a, b; c"), STR("next", "1")},
         {NULL}},
        {"repeated key keeps every occurrence",
         "Nov 24 07:37:30 h app: a=1 a=2 a=3",
         {STRN("kv.a", "1", 3), STRN("a", "1", 3)},
         {NULL}},
        {"keys with dots, dashes, underscores",
         "Nov 24 07:37:30 h app: src.ip=1.2.3.4 x-forwarded=no _id=7",
         {STR("kv.src.ip", "1.2.3.4"), STR("x-forwarded", "no"), STR("_id", "7")},
         {NULL}},
        {"tab separates pairs",
         "Nov 24 07:37:30 h app: a=1\tb=2",
         {STR("a", "1"), STR("b", "2")},
         {NULL}},
};

/* kv collision rule: header names are never overwritten at top level; the pair stays in kv.
 * This holds for every header name, whether or not that header field is present. */
static const good_row rows_collide[] = {
        {"header names collide",
         "<13>Nov 24 07:37:30 h app: host=evil program=x message=m facility=9 user=bob "
         "timestamp=t sd=1 kv=2 version=3 severity=4 msgid=5",
         {STR("host", "h"), STR("program", "app"), STR("kv.host", "evil"), STR("kv.program", "x"),
          STR("kv.message", "m"), STR("kv.facility", "9"), NUM("facility", "1"), STR("user", "bob"),
          STR("kv.kv", "2"), STR("kv.sd", "1"), STR("kv.version", "3"), NUM("severity", "5"),
          STR("kv.msgid", "5")},
         {"version", "msgid", "sd"}},
        {"pid pair without header pid stays in kv",
         "Nov 24 07:37:30 h app: pid=99 ppid=1",
         {STR("kv.pid", "99"), STR("ppid", "1")},
         {"pid"}},
        {"5424 collision with msgid",
         "<13>1 - h a 5 ID1 - msgid=other pid=6",
         {STR("msgid", "ID1"), NUM("pid", "5"), STR("kv.msgid", "other"), STR("kv.pid", "6")},
         {NULL}},
        {"case differs: no collision",
         "Nov 24 07:37:30 h app: HOST=x",
         {STR("HOST", "x"), STR("host", "h")},
         {NULL}},
};

static void test_rfc5424(void **state)
{
    for (size_t i = 0; i < sizeof(rows_5424) / sizeof(rows_5424[0]); i++)
        run_good(*state, &rows_5424[i]);
}

static void test_rfc3164(void **state)
{
    for (size_t i = 0; i < sizeof(rows_3164) / sizeof(rows_3164[0]); i++)
        run_good(*state, &rows_3164[i]);
}

static void test_kv_collision(void **state)
{
    for (size_t i = 0; i < sizeof(rows_collide) / sizeof(rows_collide[0]); i++)
        run_good(*state, &rows_collide[i]);
}

/* Schema-on-read: with no header pid, "pid" resolves (by unique leaf) to kv.pid. */
static void test_kv_resolve_leaf(void **state)
{
    fx *f = *state;
    const char *s = "Nov 24 07:37:30 h app: pid=99";
    char *rec = fx_rec(f, s, strlen(s));
    assert_int_equal(vg_parse_syslog(f->ev, rec, strlen(s), NULL), VG_OK);
    assert_int_equal(vg_event_index(f->ev), VG_OK);
    assert_int_equal(vg_event_path(f->ev, "pid", 3), VG_NODE_NONE);
    uint32_t i = vg_event_resolve(f->ev, "pid", 3);
    assert_int_not_equal(i, VG_NODE_NONE);
    assert_int_equal(i, vg_event_path(f->ev, "kv.pid", 6));
}

/* Order of the root's members and JSON form of a full 5424 record. */
static void test_field_order_json(void **state)
{
    fx *f = *state;
    const char *s = "<165>1 2003-10-11T22:14:15.003Z host app 12 ID47 [a b=\"c\\\"d\"] m k=v";
    char *rec = fx_rec(f, s, strlen(s));
    assert_int_equal(vg_parse_syslog(f->ev, rec, strlen(s), NULL), VG_OK);
    vg_event_to_json(f->ev, &f->out);
    assert_int_equal(vg_buf_status(&f->out), VG_OK);
    assert_string_equal(
            f->out.p,
            "{\"facility\":20,\"severity\":5,\"version\":1,"
            "\"timestamp\":\"2003-10-11T22:14:15.003Z\",\"host\":\"host\",\"program\":\"app\","
            "\"pid\":12,\"msgid\":\"ID47\",\"sd\":{\"a\":{\"b\":\"c\\\"d\"}},\"message\":\"m "
            "k=v\",\"kv\":{\"k\":\"v\"},\"k\":\"v\"}");
}

/* ---- malformed ---- */

typedef struct bad_row {
    const char *name;
    const char *rec;
    size_t len;
    vg_status rc;
    size_t offset;
    const char *msg;
} bad_row;

/* A literal and its length (it may hold NUL bytes). */
#define R(s) (s), sizeof(s) - 1

static const bad_row rows_bad[] = {
        {"empty", R(""), VG_ERR_INVALID, 0, "empty record"},
        {"only a line ending", R("\r\n"), VG_ERR_INVALID, 0, "empty record"},
        {"empty priority", R("<>1 - - - - - -"), VG_ERR_INVALID, 1, "bad priority"},
        {"priority too large", R("<192>Nov 24 07:37:30 h a: m"), VG_ERR_INVALID, 1, "bad priority"},
        {"priority 999", R("<999>1 - - - - - -"), VG_ERR_INVALID, 1, "bad priority"},
        {"priority with 4 digits", R("<0013>Nov 24 07:37:30 h a: m"), VG_ERR_INVALID, 4,
         "bad priority"},
        {"priority not closed", R("<13"), VG_ERR_INVALID, 3, "bad priority"},
        {"priority not digits", R("<abc>x"), VG_ERR_INVALID, 1, "bad priority"},
        {"priority with sign", R("<-1>x"), VG_ERR_INVALID, 1, "bad priority"},
        {"pri then text", R("<13>hello"), VG_ERR_INVALID, 4, "missing timestamp"},
        {"pri only", R("<13>"), VG_ERR_INVALID, 4, "missing timestamp"},
        {"plain text", R("hello world"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"leading space", R(" Nov 24 07:37:30 h a: m"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"timestamp only", R("Nov 24 07:37:30"), VG_ERR_INVALID, 15, "missing hostname"},
        {"timestamp and spaces", R("Nov 24 07:37:30   "), VG_ERR_INVALID, 18, "missing hostname"},
        {"hour 25", R("Nov 24 25:00:00 h a: m"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"day 32", R("Nov 32 07:37:30 h a: m"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"day 0", R("Nov  0 07:37:30 h a: m"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"unknown month", R("Foo 24 07:37:30 h a: m"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"junk after time", R("Nov 24 07:37:30x h a: m"), VG_ERR_INVALID, 15, "bad timestamp"},
        {"dot without fraction", R("Nov 24 07:37:30. h"), VG_ERR_INVALID, 0, "missing timestamp"},
        {"rfc3339 without zone", R("2026-11-24T07:37:30 h a: m"), VG_ERR_INVALID, 0,
         "missing timestamp"},
        {"rfc3339 with space separator", R("2026-11-24 07:37:30Z h a: m"), VG_ERR_INVALID, 0,
         "missing timestamp"},
        {"5424 date without T", R("<13>1 2003-10-11 22:14:15Z h a p m -"), VG_ERR_INVALID, 6,
         "bad timestamp"},
        {"5424 month 13", R("<13>1 2003-13-11T22:14:15Z h a p m -"), VG_ERR_INVALID, 6,
         "bad timestamp"},
        {"5424 no zone", R("<13>1 2003-10-11T22:14:15 h a p m -"), VG_ERR_INVALID, 6,
         "bad timestamp"},
        {"5424 bad zone", R("<13>1 2003-10-11T22:14:15+0200 h a p m -"), VG_ERR_INVALID, 6,
         "bad timestamp"},
        {"5424 timestamp at end", R("<13>1 2003-10-11T22:14:15Z"), VG_ERR_INVALID, 6,
         "bad timestamp"},
        {"5424 nil timestamp at end", R("<13>1 -"), VG_ERR_INVALID, 6, "bad timestamp"},
        {"5424 truncated after msgid", R("<13>1 - h a p m"), VG_ERR_INVALID, 15,
         "truncated header"},
        {"5424 truncated after host", R("<13>1 - h"), VG_ERR_INVALID, 9, "truncated header"},
        {"5424 double space", R("<13>1 -  h a p m -"), VG_ERR_INVALID, 8, "bad hostname"},
        {"5424 control char in host", R("<13>1 - h\x01 a p m -"), VG_ERR_INVALID, 9,
         "bad hostname"},
        {"5424 bad app-name", R("<13>1 - h \x7f p m -"), VG_ERR_INVALID, 10, "bad app-name"},
        {"5424 bad procid", R("<13>1 - h a \xff m -"), VG_ERR_INVALID, 12, "bad procid"},
        {"5424 bad msgid", R("<13>1 - h a p \t -"), VG_ERR_INVALID, 14, "bad msgid"},
        {"5424 no structured data", R("<13>1 - h a p m x"), VG_ERR_INVALID, 16,
         "bad structured data"},
        {"5424 sd missing", R("<13>1 - h a p m "), VG_ERR_INVALID, 16, "bad structured data"},
        {"5424 empty sd-id", R("<13>1 - h a p m []"), VG_ERR_INVALID, 17, "bad sd-id"},
        {"5424 sd open at end", R("<13>1 - h a p m ["), VG_ERR_INVALID, 17, "bad sd-id"},
        {"5424 sd not closed", R("<13>1 - h a p m [id"), VG_ERR_INVALID, 19,
         "unterminated structured data"},
        {"5424 sd not closed after param", R("<13>1 - h a p m [id a=\"1\""), VG_ERR_INVALID, 25,
         "unterminated structured data"},
        {"5424 unquoted param", R("<13>1 - h a p m [id a=1]"), VG_ERR_INVALID, 21, "bad sd-param"},
        {"5424 param without value", R("<13>1 - h a p m [id a]"), VG_ERR_INVALID, 21,
         "bad sd-param"},
        {"5424 value not closed", R("<13>1 - h a p m [id a=\"x]"), VG_ERR_INVALID, 23,
         "unterminated sd-param value"},
        {"5424 value ends in backslash", R("<13>1 - h a p m [id a=\"x\\"), VG_ERR_INVALID, 23,
         "unterminated sd-param value"},
        {"5424 escaped closing quote", R("<13>1 - h a p m [id a=\"x\\\"]"), VG_ERR_INVALID, 23,
         "unterminated sd-param value"},
        {"5424 two spaces before param", R("<13>1 - h a p m [id  a=\"x\"]"), VG_ERR_INVALID, 20,
         "bad sd-param name"},
        {"5424 junk in sd", R("<13>1 - h a p m [id a=\"x\"b=\"y\"]"), VG_ERR_INVALID, 25,
         "bad structured data"},
        {"5424 junk after sd", R("<13>1 - h a p m [id a=\"x\"]x"), VG_ERR_INVALID, 26,
         "expected space after structured data"},
        {"5424 junk after nil sd", R("<13>1 - h a p m -x"), VG_ERR_INVALID, 17,
         "expected space after structured data"},
        {"5424 extra bracket", R("<13>1 - h a p m [id]]"), VG_ERR_INVALID, 20,
         "expected space after structured data"},
        {"5424 NUL in host", R("<13>1 - h\0st a p m -"), VG_ERR_INVALID, 9, "bad hostname"},
};

static void test_malformed(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < sizeof(rows_bad) / sizeof(rows_bad[0]); i++) {
        const bad_row *r = &rows_bad[i];
        char *rec = fx_rec(f, r->rec, r->len);
        vg_perr err = {999, NULL};
        vg_status rc = vg_parse_syslog(f->ev, rec, r->len, &err);
        if (rc != r->rc)
            fail_msg("%s: status %s, want %s", r->name, vg_status_str(rc), vg_status_str(r->rc));
        if (err.offset != r->offset)
            fail_msg("%s: offset %zu, want %zu", r->name, err.offset, r->offset);
        if (!err.msg || strcmp(err.msg, r->msg) != 0)
            fail_msg("%s: message \"%s\", want \"%s\"", r->name, err.msg ? err.msg : "(null)",
                     r->msg);
    }
}

/* err may be NULL. */
static void test_null_err(void **state)
{
    fx *f = *state;
    char *rec = fx_rec(f, "bad", 3);
    assert_int_equal(vg_parse_syslog(f->ev, rec, 3, NULL), VG_ERR_INVALID);
    rec = fx_rec(f, "", 0);
    assert_int_equal(vg_parse_syslog(f->ev, rec, 0, NULL), VG_ERR_INVALID);
}

/* ---- bounds ---- */

static const char hdr[] = "<13>Nov 24 07:37:30 host app[1]: ";

/* A 1 MiB message, kept as a span into the record. */
static void test_big_message(void **state)
{
    fx *f = *state;
    size_t hl = sizeof(hdr) - 1, ml = (size_t)1 << 20, len = hl + ml;
    char *rec = fx_rec(f, hdr, hl);
    rec = f->rec = realloc(rec, len);
    assert_non_null(rec);
    memset(rec + hl, 'x', ml);
    memcpy(rec + len - 4, " a=b", 4);
    assert_int_equal(vg_parse_syslog(f->ev, rec, len, NULL), VG_OK);
    assert_int_equal(vg_event_index(f->ev), VG_OK);
    uint32_t i = vg_event_resolve(f->ev, "message", 7);
    assert_int_not_equal(i, VG_NODE_NONE);
    assert_int_equal(vg_event_node(f->ev, i)->text.len, ml);
    assert_ptr_equal(vg_event_node(f->ev, i)->text.p, rec + hl); /* no copy */
    i = vg_event_resolve(f->ev, "a", 1);
    assert_int_not_equal(i, VG_NODE_NONE);
    assert_true(vg_span_eq_cstr(vg_event_node(f->ev, i)->text, "b"));
}

/* 10,000 pairs: the first 1024 are taken, the rest ignored without error. */
static void test_kv_cap(void **state)
{
    fx *f = *state;
    size_t hl = sizeof(hdr) - 1, cap = hl + 10000 * 16;
    char *rec = fx_rec(f, hdr, hl);
    rec = f->rec = realloc(rec, cap);
    assert_non_null(rec);
    size_t len = hl;
    for (int k = 0; k < 10000; k++)
        len += (size_t)snprintf(rec + len, cap - len, "k%d=v%d ", k, k);
    vg_event *ev = f->ev;
    assert_int_equal(vg_parse_syslog(ev, rec, len, NULL), VG_OK);
    assert_int_equal(vg_event_index(ev), VG_OK);
    uint32_t kv = vg_event_path(ev, "kv", 2);
    assert_int_not_equal(kv, VG_NODE_NONE);
    unsigned n = 0;
    uint32_t last = VG_NODE_NONE;
    for (uint32_t c = vg_event_node(ev, kv)->first_child; c != VG_NODE_NONE;
         c = vg_event_node(ev, c)->next_sibling) {
        n++;
        last = c;
    }
    assert_int_equal(n, 1024);
    assert_true(vg_span_eq_cstr(vg_event_node(ev, last)->key, "k1023"));
    assert_int_not_equal(vg_event_path(ev, "k1023", 5), VG_NODE_NONE);
    assert_int_equal(vg_event_path(ev, "k1024", 5), VG_NODE_NONE);
    assert_int_equal(vg_event_path(ev, "kv.k9999", 8), VG_NODE_NONE);
    /* the message itself is whole */
    uint32_t m = vg_event_path(ev, "message", 7);
    assert_int_equal(vg_event_node(ev, m)->text.len, len - hl);
}

static void test_nul_bytes(void **state)
{
    fx *f = *state;
    static const char s[] = "Nov 24 07:37:30 h\0x app: a\0b k=v\0w end";
    size_t len = sizeof(s) - 1;
    char *rec = fx_rec(f, s, len);
    vg_event *ev = f->ev;
    assert_int_equal(vg_parse_syslog(ev, rec, len, NULL), VG_OK);
    assert_int_equal(vg_event_index(ev), VG_OK);
    const vg_node *host = vg_event_node(ev, vg_event_resolve(ev, "host", 4));
    assert_non_null(host);
    assert_int_equal(host->text.len, 3);
    assert_memory_equal(host->text.p, "h\0x", 3);
    const vg_node *msg = vg_event_node(ev, vg_event_resolve(ev, "message", 7));
    assert_non_null(msg);
    assert_int_equal(msg->text.len, 13);
    assert_memory_equal(msg->text.p, "a\0b k=v\0w end", 13);
    const vg_node *k = vg_event_node(ev, vg_event_resolve(ev, "kv.k", 4));
    assert_non_null(k);
    assert_int_equal(k->text.len, 3);
    assert_memory_equal(k->text.p, "v\0w", 3);
}

/* xorshift64: deterministic bytes for the fuzz-style tests. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Parse f->rec, and if it succeeded, index and serialise: nothing may crash or read
 * outside the record. */
static void parse_any(fx *f, size_t len)
{
    vg_perr err = {0, NULL};
    vg_event_reset(f->ev);
    vg_status rc = vg_parse_syslog(f->ev, f->rec, len, &err);
    if (rc == VG_OK) {
        assert_int_equal(vg_event_index(f->ev), VG_OK);
        vg_buf_clear(&f->out);
        vg_event_to_json(f->ev, &f->out);
        assert_int_equal(vg_buf_status(&f->out), VG_OK);
    } else {
        assert_int_equal(rc, VG_ERR_INVALID);
        assert_non_null(err.msg);
        assert_true(err.offset <= len);
    }
}

static void test_garbage(void **state)
{
    fx *f = *state;
    static const char *const heads[] = {"",
                                        "<",
                                        "<13>",
                                        "<13>1 ",
                                        "<13>1 - h a p m ",
                                        "<13>1 - h a p m [x",
                                        "Nov 24 07:37:30 ",
                                        "Nov 24 07:37:30 h ",
                                        "2026-11-24T07:37:30Z h app[",
                                        "Nov 24 07:37:30 h a: k=\""};
    static const char alphabet[] = "<>[]=\"\\: -0123456789kvNov\t\r\n,;'\0\xff\xef\xbb\xbf";
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        const char *h = heads[next_rand(&seed) % (sizeof(heads) / sizeof(heads[0]))];
        size_t hl = strlen(h), n = next_rand(&seed) % 200;
        memcpy(buf, h, hl);
        bool any_byte = iter % 2;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = next_rand(&seed);
            buf[hl + i] = any_byte ? (char)(r & 0xff) : alphabet[r % (sizeof(alphabet) - 1)];
        }
        fx_rec(f, buf, hl + n);
        parse_any(f, hl + n);
    }
}

/* Every prefix of every good line, and a random one-byte corruption of each prefix. */
static void test_prefixes_and_mutations(void **state)
{
    fx *f = *state;
    const good_row *sets[] = {rows_5424, rows_3164, rows_collide};
    size_t counts[] = {sizeof(rows_5424) / sizeof(rows_5424[0]),
                       sizeof(rows_3164) / sizeof(rows_3164[0]),
                       sizeof(rows_collide) / sizeof(rows_collide[0])};
    uint64_t seed = 42;
    for (size_t s = 0; s < 3; s++) {
        for (size_t r = 0; r < counts[s]; r++) {
            const char *line = sets[s][r].rec;
            size_t len = strlen(line);
            for (size_t n = 0; n <= len; n++) {
                fx_rec(f, line, n);
                parse_any(f, n);
                if (n > 0) {
                    f->rec[next_rand(&seed) % n] = (char)next_rand(&seed);
                    parse_any(f, n);
                }
            }
        }
    }
}

/* Event caps surface as VG_ERR_LIMIT with a message. */
static void test_event_limits(void **state)
{
    fx *f = *state;
    vg_event_limits lim = {8, 64, 0};
    fx_event(f, &lim);
    const char *s = "Nov 24 07:37:30 h app: a=1 b=2 c=3 d=4 e=5";
    char *rec = fx_rec(f, s, strlen(s));
    vg_perr err = {0, NULL};
    assert_int_equal(vg_parse_syslog(f->ev, rec, strlen(s), &err), VG_ERR_LIMIT);
    assert_string_equal(err.msg, "too many fields");
    assert_int_equal(err.offset, 27); /* "b=2": the first pair that does not fit */

    /* an escaped SD value needs arena bytes; a tiny arena cap refuses them */
    vg_event_limits small = {0, 0, 64};
    fx_event(f, &small);
    s = "<13>1 - h a - - [x v=\"a\\\"b\"]";
    rec = fx_rec(f, s, strlen(s));
    assert_int_equal(vg_parse_syslog(f->ev, rec, strlen(s), &err), VG_ERR_LIMIT);
    assert_string_equal(err.msg, "event too large");
    assert_int_equal(err.offset, 22);

    /* many SD elements hit the node cap */
    lim.max_nodes = 16;
    fx_event(f, &lim);
    s = "<13>1 - h a - - [a][b][c][d][e][f][g][h][i][j][k][l][m][n][o][p][q]";
    rec = fx_rec(f, s, strlen(s));
    assert_int_equal(vg_parse_syslog(f->ev, rec, strlen(s), &err), VG_ERR_LIMIT);
    assert_string_equal(err.msg, "too many fields");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_rfc5424, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_rfc3164, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_kv_collision, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_kv_resolve_leaf, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_field_order_json, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_malformed, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_null_err, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_big_message, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_kv_cap, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_nul_bytes, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_garbage, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_prefixes_and_mutations, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_event_limits, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("fmt_syslog", tests, NULL, NULL);
}
