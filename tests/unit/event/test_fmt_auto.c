/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_auto.c: format detection and dispatch (engine/event/fmt_auto.c) and the raw
 * format (engine/event/fmt_raw.c).
 *
 * Table-driven: each row is a record, the format vg_parse_auto must choose, the status and
 * optionally one field to check. Covers the fallback rule (syslog chosen by its timestamp
 * but unparsable -> raw; JSON or <PRI> syslog that fails -> the error is reported), the
 * format names, vg_parse's dispatch and raw parsing. Records are copied into heap blocks of
 * exactly their length so that AddressSanitizer catches reads past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vigil/parse.h"

typedef struct fx {
    vg_event *ev;
    char *rec;
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
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    vg_event_free(f->ev);
    free(f->rec);
    free(f);
    return 0;
}

/* Copy [s, s + len) into a heap block of exactly len bytes and reset the event. */
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

/* The text at an exact path, which must exist and be unique. */
static void check_field(const vg_event *ev, const char *row, const char *path, const char *text)
{
    uint32_t i = vg_event_path(ev, path, strlen(path));
    if (i == VG_NODE_NONE)
        fail_msg("%s: no field %s", row, path);
    const vg_node *nd = vg_event_node(ev, i);
    if (!vg_span_eq_cstr(nd->text, text))
        fail_msg("%s: %s = \"%.*s\", want \"%s\"", row, path, (int)nd->text.len, nd->text.p, text);
    if (nd->next_same != VG_NODE_NONE)
        fail_msg("%s: %s has several nodes", row, path);
}

typedef struct auto_row {
    const char *name;
    const char *rec;
    vg_format used;
    vg_status rc;
    const char *path; /* when set (and rc is VG_OK): the field to check */
    const char *text;
} auto_row;

static const auto_row rows_auto[] = {
        {"json object", "{\"a\":\"b\"}", VG_FMT_JSON, VG_OK, "a", "b"},
        {"json after whitespace", " \t\r\n{\"a\":\"b\"}", VG_FMT_JSON, VG_OK, "a", "b"},
        {"broken json is an error", "{\"a\":", VG_FMT_JSON, VG_ERR_INVALID, NULL, NULL},
        {"json-looking garbage is an error", "{not json at all", VG_FMT_JSON, VG_ERR_INVALID, NULL,
         NULL},
        {"array is not json for auto", "[1,2]", VG_FMT_RAW, VG_OK, "message", "[1,2]"},
        {"rfc5424", "<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - hi", VG_FMT_SYSLOG, VG_OK,
         "program", "su"},
        {"rfc3164 with pri", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed", VG_FMT_SYSLOG,
         VG_OK, "host", "mymachine"},
        {"pri with bad header is an error", "<13>garbage", VG_FMT_SYSLOG, VG_ERR_INVALID, NULL,
         NULL},
        {"pri out of range is an error", "<999>Oct 11 22:14:15 h a: m", VG_FMT_SYSLOG,
         VG_ERR_INVALID, NULL, NULL},
        {"pri with broken 5424 is an error", "<13>1 - h a p m x", VG_FMT_SYSLOG, VG_ERR_INVALID,
         NULL, NULL},
        {"not a pri: letters", "<abc> hello", VG_FMT_RAW, VG_OK, "message", "<abc> hello"},
        {"not a pri: unclosed", "<13 hello", VG_FMT_RAW, VG_OK, "message", "<13 hello"},
        {"not a pri: empty", "<> hello", VG_FMT_RAW, VG_OK, "message", "<> hello"},
        {"html is raw", "<html><body>", VG_FMT_RAW, VG_OK, "message", "<html><body>"},
        {"auth.log line", "Nov 24 07:37:30 myhost sshd[123]: Failed password for root",
         VG_FMT_SYSLOG, VG_OK, "pid", "123"},
        {"space-padded day", "Nov  4 07:37:30 myhost CRON[12]: x", VG_FMT_SYSLOG, VG_OK, "program",
         "CRON"},
        {"rfc3339 high precision", "2026-11-24T07:37:30.123456+00:00 host prog[1]: msg",
         VG_FMT_SYSLOG, VG_OK, "host", "host"},
        {"bsd timestamp alone falls back to raw", "Nov 24 07:37:30", VG_FMT_RAW, VG_OK, "message",
         "Nov 24 07:37:30"},
        {"bsd timestamp with junk falls back to raw", "Nov 24 07:37:30x y", VG_FMT_RAW, VG_OK,
         "message", "Nov 24 07:37:30x y"},
        {"rfc3339 without space is raw", "2026-11-24T07:37:30Z", VG_FMT_RAW, VG_OK, "message",
         "2026-11-24T07:37:30Z"},
        {"rfc3339 without zone is raw", "2026-11-24T07:37:30 host a: m", VG_FMT_RAW, VG_OK,
         "message", "2026-11-24T07:37:30 host a: m"},
        {"date with space separator is raw", "2026-11-24 07:37:30 something", VG_FMT_RAW, VG_OK,
         "message", "2026-11-24 07:37:30 something"},
        {"month name alone is raw", "Nov is a month", VG_FMT_RAW, VG_OK, "message",
         "Nov is a month"},
        {"plain text", "hello world", VG_FMT_RAW, VG_OK, "message", "hello world"},
        {"empty record", "", VG_FMT_RAW, VG_OK, "message", ""},
        {"leading space before syslog is raw", " Nov 24 07:37:30 h a: m", VG_FMT_RAW, VG_OK,
         "message", " Nov 24 07:37:30 h a: m"},
        {"raw strips one CR", "hello\r", VG_FMT_RAW, VG_OK, "message", "hello"},
        {"auditd file line is raw", "type=EXECVE msg=audit(1700000000.123:42): argc=1 a0=\"ls\"",
         VG_FMT_RAW, VG_OK, "message",
         "type=EXECVE msg=audit(1700000000.123:42): argc=1 a0=\"ls\""},
};

static void test_auto_choice(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < sizeof(rows_auto) / sizeof(rows_auto[0]); i++) {
        const auto_row *r = &rows_auto[i];
        size_t len = strlen(r->rec);
        char *rec = fx_rec(f, r->rec, len);
        vg_format used = (vg_format)99;
        vg_perr err = {0, NULL};
        vg_status rc = vg_parse_auto(f->ev, rec, len, &used, &err);
        if (used != r->used)
            fail_msg("%s: chose %s, want %s", r->name, vg_format_str(used), vg_format_str(r->used));
        if (rc != r->rc)
            fail_msg("%s: status %s (%s), want %s", r->name, vg_status_str(rc),
                     err.msg ? err.msg : "", vg_status_str(r->rc));
        if (rc != VG_OK) {
            if (!err.msg)
                fail_msg("%s: no error message", r->name);
            if (err.offset > len)
                fail_msg("%s: offset %zu past the record", r->name, err.offset);
            continue;
        }
        assert_int_equal(vg_event_index(f->ev), VG_OK);
        if (r->path)
            check_field(f->ev, r->name, r->path, r->text);
        /* a raw event is exactly the root and "message", even after a failed syslog try */
        if (used == VG_FMT_RAW)
            assert_int_equal(vg_event_count(f->ev), 2);

        /* vg_parse(AUTO) is the same as vg_parse_auto */
        vg_event_reset(f->ev);
        vg_format used2 = (vg_format)99;
        assert_int_equal(vg_parse(VG_FMT_AUTO, f->ev, rec, len, &used2, NULL), VG_OK);
        assert_int_equal(used2, used);
    }
}

/* used may be NULL. */
static void test_auto_null_used(void **state)
{
    fx *f = *state;
    char *rec = fx_rec(f, "hello", 5);
    assert_int_equal(vg_parse_auto(f->ev, rec, 5, NULL, NULL), VG_OK);
    rec = fx_rec(f, "<13>x", 5);
    vg_perr err = {0, NULL};
    assert_int_equal(vg_parse_auto(f->ev, rec, 5, NULL, &err), VG_ERR_INVALID);
    assert_string_equal(err.msg, "missing timestamp");
    assert_int_equal(err.offset, 4);
}

/* A failed syslog try leaves nothing behind in the raw event. */
static void test_fallback_resets(void **state)
{
    fx *f = *state;
    const char *s = "Nov 24 07:37:30";
    char *rec = fx_rec(f, s, strlen(s));
    vg_format used;
    assert_int_equal(vg_parse_auto(f->ev, rec, strlen(s), &used, NULL), VG_OK);
    assert_int_equal(used, VG_FMT_RAW);
    vg_buf b;
    vg_buf_init(&b, 0);
    vg_event_to_json(f->ev, &b);
    bool same = b.p && strcmp(b.p, "{\"message\":\"Nov 24 07:37:30\"}") == 0;
    vg_buf_fini(&b);
    assert_true(same);
}

/* ---- format names ---- */

static void test_format_names(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        vg_format f;
    } names[] = {{"auto", VG_FMT_AUTO},
                 {"json", VG_FMT_JSON},
                 {"syslog", VG_FMT_SYSLOG},
                 {"raw", VG_FMT_RAW}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        vg_format f = (vg_format)99;
        assert_true(vg_format_from_str(names[i].s, &f));
        assert_int_equal(f, names[i].f);
        assert_string_equal(vg_format_str(names[i].f), names[i].s);
        /* round trip */
        vg_format back = (vg_format)99;
        assert_true(vg_format_from_str(vg_format_str(f), &back));
        assert_int_equal(back, f);
    }
    static const char *const bad[] = {"",     "JSON", "Syslog", "sys",    "raw ",
                                      " raw", "text", "jsonl",  "unknown"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vg_format f = VG_FMT_RAW;
        if (vg_format_from_str(bad[i], &f))
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(f, VG_FMT_RAW); /* untouched */
    }
    assert_false(vg_format_from_str(NULL, NULL));
    assert_true(vg_format_from_str("json", NULL));
    assert_string_equal(vg_format_str((vg_format)42), "unknown");
}

/* ---- vg_parse dispatch ---- */

typedef struct dispatch_row {
    const char *name;
    vg_format fmt;
    const char *rec;
    vg_status rc;
    const char *path;
    const char *text;
} dispatch_row;

static const dispatch_row rows_dispatch[] = {
        {"raw keeps json text", VG_FMT_RAW, "{\"a\":1}", VG_OK, "message", "{\"a\":1}"},
        {"raw keeps syslog text", VG_FMT_RAW, "<13>Nov 24 07:37:30 h a: m", VG_OK, "message",
         "<13>Nov 24 07:37:30 h a: m"},
        {"syslog refuses text", VG_FMT_SYSLOG, "hello", VG_ERR_INVALID, NULL, NULL},
        {"syslog parses", VG_FMT_SYSLOG, "Nov 24 07:37:30 h a: m", VG_OK, "program", "a"},
        {"json refuses text", VG_FMT_JSON, "hello", VG_ERR_INVALID, NULL, NULL},
        {"json parses", VG_FMT_JSON, "{\"k\":\"v\"}", VG_OK, "k", "v"},
};

static void test_dispatch(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < sizeof(rows_dispatch) / sizeof(rows_dispatch[0]); i++) {
        const dispatch_row *r = &rows_dispatch[i];
        size_t len = strlen(r->rec);
        char *rec = fx_rec(f, r->rec, len);
        vg_format used = (vg_format)99;
        vg_perr err = {0, NULL};
        vg_status rc = vg_parse(r->fmt, f->ev, rec, len, &used, &err);
        if (rc != r->rc)
            fail_msg("%s: status %s, want %s", r->name, vg_status_str(rc), vg_status_str(r->rc));
        if (used != r->fmt)
            fail_msg("%s: used %s", r->name, vg_format_str(used));
        if (rc != VG_OK) {
            assert_non_null(err.msg);
            continue;
        }
        assert_int_equal(vg_event_index(f->ev), VG_OK);
        check_field(f->ev, r->name, r->path, r->text);
    }
    vg_perr err = {0, NULL};
    char *rec = fx_rec(f, "x", 1);
    assert_int_equal(vg_parse((vg_format)42, f->ev, rec, 1, NULL, &err), VG_ERR_INVALID);
    assert_string_equal(err.msg, "unknown format");
}

/* ---- raw ---- */

static void test_raw(void **state)
{
    fx *f = *state;
    static const char s[] = "a\0b\xff\xfe\r\r";
    size_t len = sizeof(s) - 1;
    char *rec = fx_rec(f, s, len);
    assert_int_equal(vg_parse_raw(f->ev, rec, len, NULL), VG_OK);
    assert_int_equal(vg_event_count(f->ev), 2);
    const vg_node *m = vg_event_node(f->ev, 1);
    assert_int_equal(m->type, VG_V_STR);
    assert_int_equal(m->parent, 0);
    assert_true(vg_span_eq_cstr(m->key, "message"));
    assert_int_equal(m->text.len, len - 1); /* one "\r" stripped, the other kept */
    assert_ptr_equal(m->text.p, rec);       /* no copy */
    assert_memory_equal(m->text.p, "a\0b\xff\xfe\r", len - 1);

    /* "\n" is not stripped (framing removes it); a lone "\r" becomes empty */
    rec = fx_rec(f, "x\n", 2);
    assert_int_equal(vg_parse_raw(f->ev, rec, 2, NULL), VG_OK);
    assert_int_equal(vg_event_node(f->ev, 1)->text.len, 2);
    rec = fx_rec(f, "\r", 1);
    assert_int_equal(vg_parse_raw(f->ev, rec, 1, NULL), VG_OK);
    assert_int_equal(vg_event_node(f->ev, 1)->text.len, 0);
    vg_event_reset(f->ev);
    assert_int_equal(vg_parse_raw(f->ev, NULL, 0, NULL), VG_OK);
    assert_int_equal(vg_event_node(f->ev, 1)->text.len, 0);

    /* a full event reports the limit */
    vg_event_limits lim = {1, 0, 0};
    vg_event *tiny = vg_event_new(&lim);
    assert_non_null(tiny);
    vg_perr err = {0, NULL};
    vg_status rc = vg_parse_raw(tiny, "x", 1, &err);
    vg_event_free(tiny);
    assert_int_equal(rc, VG_ERR_LIMIT);
    assert_non_null(err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_auto_choice, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_auto_null_used, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_fallback_resets, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_format_names, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_dispatch, fx_setup, fx_teardown),
            cmocka_unit_test_setup_teardown(test_raw, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("fmt_auto", tests, NULL, NULL);
}
