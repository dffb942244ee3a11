/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_json.c: the JSON record parser (vg_parse_json).
 *
 * Valid documents are checked through the compact JSON the event writes back (it shows the
 * tree shape, unescaped text and numbers as written), plus direct checks on nodes and spans.
 * Malformed documents are one table: each row names itself and gives the status, the error
 * offset and the message. Then the bounds: 100,000-deep nesting, 100,000 fields, a 16 MiB
 * string, allocation failure; and a parse -> write -> parse round trip. Last, the check-only
 * pass the framer uses (vg_json_check): valid, prefix or invalid, and its depth bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "vigil/parse.h"
#include "event/json_check.h"

typedef struct fixture {
    vg_event *ev;
    vg_buf out;
} fixture;

static int setup(void **state)
{
    fixture *f = vg_calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->ev = vg_event_new(NULL);
    vg_buf_init(&f->out, 0);
    *state = f;
    return f->ev ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vg_event_free(f->ev);
    vg_buf_fini(&f->out);
    vg_free(f);
    return 0;
}

static vg_status parse(vg_event *ev, const char *s, size_t n, vg_perr *err)
{
    vg_event_reset(ev);
    err->offset = 12345;
    err->msg = NULL;
    return vg_parse_json(ev, s, n, err);
}

static const char *to_json(fixture *f)
{
    vg_buf_clear(&f->out);
    vg_event_to_json(f->ev, &f->out);
    assert_int_equal(vg_buf_status(&f->out), VG_OK);
    return f->out.p;
}

/* ---- valid documents ---- */

static void test_json_valid_documents(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name;
        const char *in;
        const char *want; /* NULL = same as in */
    } rows[] = {
            {"empty object", "{}", NULL},
            {"whitespace around", " \t\r\n{ \n} \r\n\t ", "{}"},
            {"whitespace everywhere", "{ \"a\" : [ 1 , 2 ] , \"b\" : { } }",
             "{\"a\":[1,2],\"b\":{}}"},
            {"nested", "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}", NULL},
            {"arrays", "{\"a\":[],\"b\":[[]],\"c\":[1,\"x\",true,false,null,{},[[2]]]}", NULL},
            {"scalars", "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"v\",\"i\":3}", NULL},
            {"integers", "{\"n\":[0,-0,1,-1,10,-109,123456789012345678901234567890]}", NULL},
            {"fractions", "{\"n\":[0.5,-0.5,10.25,0.0,-0.000,3.14159265358979323846]}", NULL},
            {"exponents", "{\"n\":[1e5,1E5,1e+5,1e-5,1E+05,1.5e10,-1.25E-3,0e0,-0E-0,9e999]}",
             NULL},
            {"simple escapes", "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
             "{\"s\":\"\\\"\\\\/\\u0008\\u000c\\n\\r\\t\"}"},
            {"unicode escapes", "{\"s\":\"\\u0041\\u00e9\\u20AC\\u07FF\\uFFFF\"}",
             "{\"s\":\"A\xc3\xa9\xe2\x82\xac\xdf\xbf\xef\xbf\xbf\"}"},
            {"escaped nul", "{\"s\":\"a\\u0000b\"}", NULL},
            {"escaped control", "{\"s\":\"\\u001f\\u0001\"}", NULL},
            {"surrogate pair", "{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\xf0\x9f\x98\x80\"}"},
            {"surrogate pair upper case", "{\"s\":\"x\\uD834\\uDD1Ey\"}",
             "{\"s\":\"x\xf0\x9d\x84\x9ey\"}"},
            {"highest pair", "{\"s\":\"\\udbff\\udfff\"}", "{\"s\":\"\xf4\x8f\xbf\xbf\"}"},
            {"lone high surrogate", "{\"s\":\"\\ud800x\"}", "{\"s\":\"\xef\xbf\xbdx\"}"},
            {"lone high at end", "{\"s\":\"\\ud800\"}", "{\"s\":\"\xef\xbf\xbd\"}"},
            {"lone low surrogate", "{\"s\":\"\\udc00\"}", "{\"s\":\"\xef\xbf\xbd\"}"},
            {"high then high", "{\"s\":\"\\ud800\\ud800\"}",
             "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}"},
            {"high then other escape", "{\"s\":\"\\ud800\\n\"}", "{\"s\":\"\xef\xbf\xbd\\n\"}"},
            {"high then high then low", "{\"s\":\"\\ud800\\ud83d\\ude00\"}",
             "{\"s\":\"\xef\xbf\xbd\xf0\x9f\x98\x80\"}"},
            {"reversed pair", "{\"s\":\"\\ude00\\ud83d\"}", "{\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}"},
            {"raw utf-8 kept", "{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", NULL},
            {"invalid utf-8 accepted", "{\"s\":\"a\xff\xc3z\"}", "{\"s\":\"a\\ufffd\\ufffdz\"}"},
            {"del accepted", "{\"s\":\"\x7f\"}", "{\"s\":\"\\u007f\"}"},
            {"escaped key", "{\"k\\\"e\\u0079\":1}", "{\"k\\\"ey\":1}"},
            /* strings longer than 16 bytes: the scan for the end of a run goes 16 bytes at a
             * time; quotes, escapes and bytes >= 0x80 at every position of a block */
            {"long string", "{\"s\":\"0123456789abcdef0123456789abcdef01\"}", NULL},
            {"escape after 16 bytes", "{\"s\":\"0123456789abcdefg\\\\h\\\"0123456789abcdefghij\"}",
             NULL},
            {"utf-8 across blocks",
             "{\"s\":\"0123456789abcde\xc3\xa9\xe2\x82\xac"
             "0123456789\xf0\x9f\x98\x80x\"}",
             NULL},
            {"del and 0x80 in a block",
             "{\"s\":\"0123456789\x7f\x80\xff\xc3\xa9"
             "0123456789ab\"}",
             "{\"s\":\"0123456789\\u007f\\ufffd\\ufffd\xc3\xa9"
             "0123456789ab\"}"},
            {"empty key and value", "{\"\":\"\"}", NULL},
            {"keys with dots", "{\"a.b\":1,\"a\":{\"b\":2},\"c.d.e\":{\"f\":3}}", NULL},
            {"duplicate keys kept", "{\"a\":1,\"a\":2,\"o\":{\"x\":1,\"x\":{}}}", NULL},
            {"braces in strings", "{\"s\":\"}]{[\",\"t\":\"\\\"}\"}", NULL},
            {"pretty printed",
             "{\n  \"Event\": {\n    \"System\": {\n      \"EventID\": 4688,\n"
             "      \"Channel\": \"Security\"\n    },\n    \"Tags\": [\n      \"a\",\n"
             "      \"b\"\n    ]\n  }\n}\n",
             "{\"Event\":{\"System\":{\"EventID\":4688,\"Channel\":\"Security\"},"
             "\"Tags\":[\"a\",\"b\"]}}"},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        vg_perr err;
        vg_status rc = parse(f->ev, rows[r].in, strlen(rows[r].in), &err);
        if (rc != VG_OK)
            fail_msg("[%s] rc %s at %zu: %s", rows[r].name, vg_status_str(rc), err.offset,
                     err.msg ? err.msg : "(no message)");
        const char *got = to_json(f);
        const char *want = rows[r].want ? rows[r].want : rows[r].in;
        if (strcmp(got, want) != 0)
            fail_msg("[%s] got %s, want %s", rows[r].name, got, want);
    }
}

/* Escapes at every offset of long strings (the decoder copies sixteen bytes at a time):
 * each string decodes to the text it was built from. Escapes: \\, \n, \u00e9 (2 bytes),
 * \u20ac (3), a surrogate pair (4), and runs of them; the string is 1..80 bytes long. */
static void test_json_escapes_at_every_offset(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *esc, *dec;
    } escs[] = {{"\\\\", "\\"},
                {"\\n", "\n"},
                {"\\u00e9", "\xc3\xa9"},
                {"\\u20ac", "\xe2\x82\xac"},
                {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
                {"\\\\\\\\\\\"", "\\\\\""}};
    for (size_t e = 0; e < sizeof(escs) / sizeof(escs[0]); e++) {
        for (size_t len = 1; len <= 80; len++) {
            for (size_t at = 0; at <= len; at += (len > 20 ? 3 : 1)) {
                char rec[256], want[256];
                size_t r = 0, w = 0;
                r += (size_t)snprintf(rec, sizeof(rec), "{\"s\":\"");
                for (size_t k = 0; k <= len; k++) {
                    if (k == at) { /* the escape, and a second one near the end */
                        r += (size_t)snprintf(rec + r, sizeof(rec) - r, "%s", escs[e].esc);
                        w += (size_t)snprintf(want + w, sizeof(want) - w, "%s", escs[e].dec);
                    }
                    if (k == len)
                        break;
                    char c = (char)('a' + (k * 7 + len) % 26);
                    if (k + 2 == len) { /* a backslash escape two bytes from the end */
                        r += (size_t)snprintf(rec + r, sizeof(rec) - r, "\\\\");
                        want[w++] = '\\';
                    }
                    rec[r++] = c;
                    want[w++] = c;
                }
                r += (size_t)snprintf(rec + r, sizeof(rec) - r, "\"}");
                want[w] = '\0';
                vg_perr err;
                assert_int_equal(parse(f->ev, rec, r, &err), VG_OK);
                assert_int_equal(vg_event_count(f->ev), 2);
                const vg_node *n = vg_event_node(f->ev, 1);
                if (n->text.len != w || memcmp(n->text.p, want, w) != 0)
                    fail_msg("escape %zu, length %zu, at %zu: got %.*s, want %s", e, len, at,
                             (int)n->text.len, n->text.p, want);
            }
        }
    }
}

static void test_json_nodes_and_spans(void **state)
{
    fixture *f = *state;
    static const char rec[] = "{\"plain\":\"abc\",\"esc\":\"a\\nb\",\"n\":-1.5e3,"
                              "\"arr\":[true,\"x\"],\"k\\u0031\":null,\"o\":{}}";
    size_t len = sizeof(rec) - 1;
    vg_perr err;
    assert_int_equal(parse(f->ev, rec, len, &err), VG_OK);
    /* 0 root, 1 plain, 2 esc, 3 n, 4 arr, 5 true, 6 "x", 7 k1, 8 o */
    assert_int_equal(vg_event_count(f->ev), 9);
    static const struct {
        uint32_t idx;
        vg_vtype type;
        uint32_t parent;
        const char *key;
        const char *text;
        bool text_in_rec; /* a span into rec, not a copy */
    } rows[] = {
            {1, VG_V_STR, 0, "plain", "abc", true}, {2, VG_V_STR, 0, "esc", "a\nb", false},
            {3, VG_V_NUM, 0, "n", "-1.5e3", true},  {4, VG_V_ARR, 0, "arr", "", false},
            {5, VG_V_BOOL, 4, "", "true", true},    {6, VG_V_STR, 4, "", "x", true},
            {7, VG_V_NULL, 0, "k1", "null", true},  {8, VG_V_OBJ, 0, "o", "", false},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const vg_node *nd = vg_event_node(f->ev, rows[r].idx);
        char name[32];
        snprintf(name, sizeof(name), "node %u", rows[r].idx);
        if (nd->type != rows[r].type || nd->parent != rows[r].parent ||
            !vg_span_eq_cstr(nd->key, rows[r].key) || !vg_span_eq_cstr(nd->text, rows[r].text))
            fail_msg("[%s] type %d parent %u key '%.*s' text '%.*s'", name, nd->type, nd->parent,
                     (int)nd->key.len, nd->key.p, (int)nd->text.len, nd->text.p);
        bool in_rec = nd->text.p >= rec && nd->text.p < rec + len;
        if (rows[r].text_in_rec != in_rec)
            fail_msg("[%s] text span %s the record", name, in_rec ? "inside" : "outside");
        if (nd->depth != (rows[r].parent == 0 ? 1u : 2u))
            fail_msg("[%s] depth %u", name, nd->depth);
    }
    /* plain keys point into the record, escaped keys do not */
    const vg_node *n1 = vg_event_node(f->ev, 1), *n7 = vg_event_node(f->ev, 7);
    assert_true(n1->key.p >= rec && n1->key.p < rec + len);
    assert_false(n7->key.p >= rec && n7->key.p < rec + len);
    /* the tree indexes */
    assert_int_equal(vg_event_index(f->ev), VG_OK);
    assert_int_equal(vg_event_path(f->ev, "arr", 3), 4);
    assert_int_equal(vg_event_path(f->ev, "k1", 2), 7);
    /* the parser needs no NUL terminator: a record cut out of a bigger buffer */
    static const char buf[] = "{\"a\":1}{\"b\":2}";
    assert_int_equal(parse(f->ev, buf + 7, 7, &err), VG_OK);
    assert_string_equal(to_json(f), "{\"b\":2}");
    assert_int_equal(parse(f->ev, buf, 7, &err), VG_OK);
    assert_string_equal(to_json(f), "{\"a\":1}");
    /* err may be NULL */
    vg_event_reset(f->ev);
    assert_int_equal(vg_parse_json(f->ev, "{", 1, NULL), VG_ERR_INVALID);
}

/* ---- malformed documents ---- */

typedef struct bad_row {
    const char *name;
    const char *in;
    size_t len; /* 0 = strlen(in) */
    vg_status rc;
    size_t offset;
    const char *msg;
} bad_row;

static const bad_row bad_rows[] = {
        {"empty", "", 0, VG_ERR_INVALID, 0, "empty record"},
        {"only whitespace", " \n\t", 0, VG_ERR_INVALID, 3, "empty record"},
        {"truncated after brace", "{", 0, VG_ERR_INVALID, 1, "unexpected end of input"},
        {"truncated after key", "{\"a\"", 0, VG_ERR_INVALID, 4, "unexpected end of input"},
        {"truncated after colon", "{\"a\": ", 0, VG_ERR_INVALID, 6, "unexpected end of input"},
        {"truncated after value", "{\"a\":1", 0, VG_ERR_INVALID, 6, "unexpected end of input"},
        {"truncated after comma", "{\"a\":1,", 0, VG_ERR_INVALID, 7, "unexpected end of input"},
        {"truncated in array", "{\"a\":[1,", 0, VG_ERR_INVALID, 8, "unexpected end of input"},
        {"truncated inner object", "{\"a\":{}", 0, VG_ERR_INVALID, 7, "unexpected end of input"},
        {"truncated literal", "{\"a\":nul", 0, VG_ERR_INVALID, 5, "invalid literal"},
        {"unterminated string", "{\"a\":\"abc", 0, VG_ERR_INVALID, 5, "unterminated string"},
        {"unterminated key", "{\"ab", 0, VG_ERR_INVALID, 1, "unterminated string"},
        {"string ends in backslash", "{\"a\":\"\\", 0, VG_ERR_INVALID, 5, "unterminated string"},
        {"string ends in \\u", "{\"a\":\"\\u12", 0, VG_ERR_INVALID, 5, "unterminated string"},
        {"trailing comma in object", "{\"a\":1,}", 0, VG_ERR_INVALID, 7,
         "trailing comma in object"},
        {"trailing comma in array", "{\"a\":[1,]}", 0, VG_ERR_INVALID, 8,
         "trailing comma in array"},
        {"double comma", "{\"a\":1,,\"b\":2}", 0, VG_ERR_INVALID, 7,
         "expected string for object key"},
        {"leading comma", "{,\"a\":1}", 0, VG_ERR_INVALID, 1, "expected string for object key"},
        {"leading comma in array", "{\"a\":[,1]}", 0, VG_ERR_INVALID, 6, "expected a value"},
        {"missing colon", "{\"a\" 1}", 0, VG_ERR_INVALID, 5, "expected ':' after object key"},
        {"equals for colon", "{\"a\"=1}", 0, VG_ERR_INVALID, 4, "expected ':' after object key"},
        {"double colon", "{\"a\"::1}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"missing value", "{\"a\":}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"missing comma", "{\"a\":1 \"b\":2}", 0, VG_ERR_INVALID, 7,
         "expected ',' or '}' after object member"},
        {"missing comma in array", "{\"a\":[1 2]}", 0, VG_ERR_INVALID, 8,
         "expected ',' or ']' after array element"},
        {"unquoted key", "{a:1}", 0, VG_ERR_INVALID, 1, "expected string for object key"},
        {"single-quoted key", "{'a':1}", 0, VG_ERR_INVALID, 1, "expected string for object key"},
        {"single-quoted value", "{\"a\":'x'}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"array closed by brace", "{\"a\":[1}", 0, VG_ERR_INVALID, 7,
         "expected ',' or ']' after array element"},
        {"object closed by bracket", "{\"a\":{\"b\":1]}", 0, VG_ERR_INVALID, 11,
         "expected ',' or '}' after object member"},
        {"key-value in array", "{\"a\":[\"k\":1]}", 0, VG_ERR_INVALID, 9,
         "expected ',' or ']' after array element"},
        {"bad escape \\x", "{\"a\":\"\\x\"}", 0, VG_ERR_INVALID, 6, "invalid escape"},
        {"bad escape \\N", "{\"a\":\"ab\\N\"}", 0, VG_ERR_INVALID, 8, "invalid escape"},
        {"bad escape \\'", "{\"a\":\"\\'\"}", 0, VG_ERR_INVALID, 6, "invalid escape"},
        {"bad escape \\U", "{\"a\":\"\\U0041\"}", 0, VG_ERR_INVALID, 6, "invalid escape"},
        {"bad escape in key", "{\"\\a\":1}", 0, VG_ERR_INVALID, 2, "invalid escape"},
        {"non-hex \\u", "{\"a\":\"\\u12G4\"}", 0, VG_ERR_INVALID, 6, "invalid \\u escape"},
        {"short \\u", "{\"a\":\"\\u12\"}", 0, VG_ERR_INVALID, 6, "invalid \\u escape"},
        {"leading zero", "{\"a\":01}", 0, VG_ERR_INVALID, 6, "invalid number"},
        {"negative leading zero", "{\"a\":-01}", 0, VG_ERR_INVALID, 7, "invalid number"},
        {"dot without digits", "{\"a\":1.}", 0, VG_ERR_INVALID, 7, "invalid number"},
        {"dot before exponent", "{\"a\":1.e5}", 0, VG_ERR_INVALID, 7, "invalid number"},
        {"lone minus", "{\"a\":-}", 0, VG_ERR_INVALID, 6, "invalid number"},
        {"minus letter", "{\"a\":-a}", 0, VG_ERR_INVALID, 6, "invalid number"},
        {"exponent without digits", "{\"a\":1e}", 0, VG_ERR_INVALID, 7, "invalid number"},
        {"exponent sign without digits", "{\"a\":1e+}", 0, VG_ERR_INVALID, 8, "invalid number"},
        {"number at end of input", "{\"a\":1e", 0, VG_ERR_INVALID, 7, "invalid number"},
        {"two dots", "{\"a\":1.5.2}", 0, VG_ERR_INVALID, 8, "invalid number"},
        {"hex number", "{\"a\":0x10}", 0, VG_ERR_INVALID, 6, "invalid number"},
        {"number with letters", "{\"a\":12ab}", 0, VG_ERR_INVALID, 7, "invalid number"},
        {"leading dot", "{\"a\":.5}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"leading plus", "{\"a\":+1}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"infinity", "{\"a\":Infinity}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"nan", "{\"a\":NaN}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"bad literal", "{\"a\":tru}", 0, VG_ERR_INVALID, 5, "invalid literal"},
        {"literal with suffix", "{\"a\":truex}", 0, VG_ERR_INVALID, 5, "invalid literal"},
        {"capitalised literal", "{\"a\":True}", 0, VG_ERR_INVALID, 5, "expected a value"},
        {"raw tab in string", "{\"a\":\"x\ty\"}", 0, VG_ERR_INVALID, 7,
         "control character in string"},
        {"raw newline in string", "{\"a\":\"x\ny\"}", 0, VG_ERR_INVALID, 7,
         "control character in string"},
        {"raw control in key", "{\"a\x01\":1}", 0, VG_ERR_INVALID, 3,
         "control character in string"},
        {"raw nul in string", "{\"a\":\"x\0\"}", 10, VG_ERR_INVALID, 7,
         "control character in string"},
        /* stop bytes inside a full 16-byte block past the first */
        {"raw tab after 16 bytes", "{\"a\":\"0123456789abcdefghij\tklmnopqrstuvwxyz0123\"}", 0,
         VG_ERR_INVALID, 26, "control character in string"},
        {"raw 0x1f in a second block",
         "{\"a\":\"0123456789abcdef0123456789abcdef\x1f"
         "0123456789abcdef\"}",
         0, VG_ERR_INVALID, 38, "control character in string"},
        {"raw nul after 16 bytes", "{\"a\":\"0123456789abcdefg\0hijklmnopqrstuvw\"}", 42,
         VG_ERR_INVALID, 23, "control character in string"},
        {"long string unterminated", "{\"a\":\"0123456789abcdef0123456789abcdef", 0, VG_ERR_INVALID,
         5, "unterminated string"},
        {"nul between members", "{\"a\":1,\0\"b\":2}", 14, VG_ERR_INVALID, 7,
         "nul byte outside string"},
        {"nul before value", "{\"a\":\0}", 7, VG_ERR_INVALID, 5, "nul byte outside string"},
        {"nul before record", "\0{}", 3, VG_ERR_INVALID, 0, "nul byte outside string"},
        {"nul after record", "{}\0", 3, VG_ERR_INVALID, 2, "nul byte outside string"},
        {"top-level array", "[1,2]", 0, VG_ERR_INVALID, 0, "top-level value is not an object"},
        {"top-level number", "  42", 0, VG_ERR_INVALID, 2, "top-level value is not an object"},
        {"top-level string", "\"s\"", 0, VG_ERR_INVALID, 0, "top-level value is not an object"},
        {"top-level null", "\nnull", 0, VG_ERR_INVALID, 1, "top-level value is not an object"},
        {"top-level garbage", "hello", 0, VG_ERR_INVALID, 0, "top-level value is not an object"},
        {"trailing garbage", "{\"a\":1} x", 0, VG_ERR_INVALID, 8,
         "trailing data after the json value"},
        {"two objects", "{}{}", 0, VG_ERR_INVALID, 2, "trailing data after the json value"},
        {"two objects on two lines", "{}\n{}\n", 0, VG_ERR_INVALID, 3,
         "trailing data after the json value"},
        {"extra close", "{\"a\":1}}", 0, VG_ERR_INVALID, 7, "trailing data after the json value"},
        {"comment", "{\"a\":1 /* c */}", 0, VG_ERR_INVALID, 7,
         "expected ',' or '}' after object member"},
        {"form feed is not whitespace", "{\f}", 0, VG_ERR_INVALID, 1,
         "expected string for object key"},
};

static void test_json_malformed(void **state)
{
    fixture *f = *state;
    for (size_t r = 0; r < sizeof(bad_rows) / sizeof(bad_rows[0]); r++) {
        const bad_row *row = &bad_rows[r];
        size_t len = row->len ? row->len : strlen(row->in);
        vg_perr err;
        vg_status rc = parse(f->ev, row->in, len, &err);
        if (rc != row->rc || err.offset != row->offset || !err.msg ||
            strcmp(err.msg, row->msg) != 0)
            fail_msg("[%s] got %s at %zu '%s', want %s at %zu '%s'", row->name, vg_status_str(rc),
                     err.offset, err.msg ? err.msg : "(null)", vg_status_str(row->rc), row->offset,
                     row->msg);
    }
}

/* Every proper prefix of a valid document is an error, never a crash or a read past len. */
static void test_json_every_prefix_fails(void **state)
{
    fixture *f = *state;
    static const char doc[] = "{\"a\":[1,-2.5e+3,{\"b\":\"x\\ud83d\\ude00\\n\"}],"
                              "\"c\":true,\"d\":null,\"e\":false,\"f\":{}}";
    size_t len = sizeof(doc) - 1;
    for (size_t n = 0; n < len; n++) {
        /* a heap copy of exactly n bytes so that ASan catches any overread */
        char *p = vg_malloc(n ? n : 1);
        assert_non_null(p);
        memcpy(p, doc, n);
        vg_perr err;
        vg_status rc = parse(f->ev, p, n, &err);
        if (rc != VG_ERR_INVALID || err.offset > n)
            fail_msg("[prefix %zu] rc %s offset %zu", n, vg_status_str(rc), err.offset);
        vg_free(p);
    }
    vg_perr err;
    assert_int_equal(parse(f->ev, doc, len, &err), VG_OK);
}

/* ---- bounds ---- */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    *len = hl + ul * n + tl;
    char *p = vg_malloc(*len + 1);
    assert_non_null(p);
    memcpy(p, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(p + hl + i * ul, unit, ul);
    memcpy(p + hl + ul * n, tail, tl);
    p[*len] = '\0';
    return p;
}

static void test_json_deep_nesting(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *name;
        const char *head, *unit;
        size_t n;
        vg_status rc;
        size_t offset; /* of the value that went too deep */
    } rows[] = {
            /* default max_depth 64: the root is depth 0, so 64 levels fit */
            {"100,000 open arrays", "{\"a\":", "[", 100000, VG_ERR_LIMIT, 5 + 64},
            {"100,000 open objects", "{", "\"a\":{", 100000, VG_ERR_LIMIT, 1 + 64 * 5 + 4},
            {"100,000 closed arrays", "{\"a\":", "[", 100000, VG_ERR_LIMIT, 5 + 64},
            {"64 levels fit", "{\"a\":", "[", 64, VG_OK, 0},
            {"65 levels do not", "{\"a\":", "[", 65, VG_ERR_LIMIT, 5 + 64},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t len;
        char *doc = repeat(rows[r].head, rows[r].unit, rows[r].n, "", &len);
        /* close everything that was opened (for the closed rows and the ones that fit) */
        size_t n = rows[r].n;
        char *full = vg_malloc(len + n + 2);
        assert_non_null(full);
        memcpy(full, doc, len);
        char closer = rows[r].unit[0] == '[' ? ']' : '}';
        for (size_t i = 0; i < n; i++)
            full[len + i] = closer;
        full[len + n] = '}';
        bool close = strstr(rows[r].name, "open") == NULL;
        size_t flen = close ? len + n + 1 : len;
        vg_perr err;
        vg_status rc = parse(f->ev, full, flen, &err);
        if (rc != rows[r].rc)
            fail_msg("[%s] rc %s (%s at %zu)", rows[r].name, vg_status_str(rc),
                     err.msg ? err.msg : "", err.offset);
        if (rc == VG_ERR_LIMIT &&
            (err.offset != rows[r].offset || strcmp(err.msg, "nesting too deep") != 0))
            fail_msg("[%s] %s at %zu, want offset %zu", rows[r].name, err.msg, err.offset,
                     rows[r].offset);
        vg_free(full);
        vg_free(doc);
    }
    /* a smaller configured depth */
    vg_event_limits lim = {.max_nodes = 0, .max_depth = 2, .max_bytes = 0};
    vg_event *ev = vg_event_new(&lim);
    vg_perr err;
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, "{\"a\":{\"b\":1}}", 13, &err), VG_OK);
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, "{\"a\":{\"b\":[]}}", 14, &err), VG_OK);
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, "{\"a\":{\"b\":[1]}}", 15, &err), VG_ERR_LIMIT);
    assert_int_equal(err.offset, 11);
    assert_string_equal(err.msg, "nesting too deep");
    vg_event_free(ev);
}

static void test_json_too_many_fields(void **state)
{
    fixture *f = *state;
    /* {"k0":0,"k1":1,...} with 100,000 members; the default cap is 65536 nodes */
    size_t cap = 100000 * 20 + 16, len = 0;
    char *doc = vg_malloc(cap);
    assert_non_null(doc);
    size_t fail_at = 0;
    doc[len++] = '{';
    for (int i = 0; i < 100000; i++) {
        int w = snprintf(doc + len, cap - len, "%s\"k%d\":", i ? "," : "", i);
        len += (size_t)w;
        if (i == 65535) /* root + 65535 members fill the cap */
            fail_at = len;
        w = snprintf(doc + len, cap - len, "%d", i);
        len += (size_t)w;
    }
    doc[len++] = '}';
    vg_perr err;
    assert_int_equal(parse(f->ev, doc, len, &err), VG_ERR_LIMIT);
    assert_string_equal(err.msg, "too many fields");
    assert_int_equal(err.offset, fail_at);

    /* a small cap, hit by a container and by a scalar */
    vg_event_limits lim = {.max_nodes = 3, .max_depth = 0, .max_bytes = 0};
    vg_event *ev = vg_event_new(&lim);
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, "{\"a\":1,\"b\":2}", 13, &err), VG_OK);
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, "{\"a\":1,\"b\":2,\"c\":[]}", 20, &err), VG_ERR_LIMIT);
    assert_int_equal(err.offset, 17);
    assert_string_equal(err.msg, "too many fields");
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, "{\"a\":[1,2]}", 11, &err), VG_ERR_LIMIT);
    assert_int_equal(err.offset, 8);
    assert_string_equal(err.msg, "too many fields");
    vg_event_free(ev);
    vg_free(doc);
}

static void test_json_huge_string(void **state)
{
    fixture *f = *state;
    const size_t big = (size_t)16 << 20;
    size_t len;
    /* no escapes: a span into the record */
    char *doc = repeat("{\"s\":\"", "a", big, "\"}", &len);
    vg_perr err;
    assert_int_equal(parse(f->ev, doc, len, &err), VG_OK);
    const vg_node *s = vg_event_node(f->ev, 1);
    assert_int_equal(s->text.len, big);
    assert_ptr_equal(s->text.p, doc + 6);
    vg_free(doc);

    /* with escapes: unescaped into the event arena (default cap 64 MiB) */
    doc = repeat("{\"s\":\"", "abcdefg\\n", big / 9, "\\u00e9\"}", &len);
    assert_int_equal(parse(f->ev, doc, len, &err), VG_OK);
    s = vg_event_node(f->ev, 1);
    assert_int_equal(s->text.len, big / 9 * 8 + 2);
    assert_memory_equal(s->text.p, "abcdefg\nabcdefg\n", 16);
    assert_memory_equal(s->text.p + s->text.len - 3, "\n\xc3\xa9", 3);

    /* the same past a 1 MiB arena cap */
    vg_event_limits lim = {.max_nodes = 0, .max_depth = 0, .max_bytes = 1 << 20};
    vg_event *ev = vg_event_new(&lim);
    vg_event_reset(ev);
    assert_int_equal(vg_parse_json(ev, doc, len, &err), VG_ERR_LIMIT);
    assert_int_equal(err.offset, 5);
    assert_string_equal(err.msg, "string too large");
    vg_event_free(ev);
    vg_free(doc);
}

static void test_json_alloc_failure(void **state)
{
    (void)state;
    /* 100 members with escapes: the node array grows and the arena is used */
    size_t cap = 100 * 24 + 8, len = 0;
    char *doc = vg_malloc(cap);
    assert_non_null(doc);
    doc[len++] = '{';
    for (int i = 0; i < 100; i++)
        len += (size_t)snprintf(doc + len, cap - len, "%s\"k\\t%d\":\"v\\n%d\"", i ? "," : "", i,
                                i);
    doc[len++] = '}';
    bool ok = false;
    for (long n = 0; !ok; n++) {
        assert_true(n < 1000);
        vg_event *ev = vg_event_new(NULL);
        assert_non_null(ev);
        vg_perr err;
        vg_alloc_fail_after(n);
        vg_status rc = vg_parse_json(ev, doc, len, &err);
        vg_alloc_fail_after(-1);
        if (rc == VG_OK)
            ok = true;
        else if (rc != VG_ERR_NOMEM && rc != VG_ERR_LIMIT)
            fail_msg("[fail after %ld] rc %s", n, vg_status_str(rc));
        else if (!err.msg)
            fail_msg("[fail after %ld] no message", n);
        vg_event_free(ev);
    }
    vg_free(doc);
}

/* ---- round trip ---- */

static void same_tree(const char *name, const vg_event *a, const vg_event *b)
{
    if (vg_event_count(a) != vg_event_count(b))
        fail_msg("[%s] %u nodes, then %u", name, vg_event_count(a), vg_event_count(b));
    for (uint32_t i = 0; i < vg_event_count(a); i++) {
        const vg_node *x = vg_event_node(a, i), *y = vg_event_node(b, i);
        if (x->type != y->type || x->parent != y->parent || x->depth != y->depth ||
            !vg_span_eq(x->key, y->key) || !vg_span_eq(x->text, y->text))
            fail_msg("[%s] node %u differs", name, i);
    }
}

static void test_json_round_trip(void **state)
{
    fixture *f = *state;
    static const char *const docs[] = {
            "{}",
            "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}},\"e\":[[],[[]],{}]}",
            "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f\"}",
            "{\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\\ud800\",\"raw\":\"\xc3\xa9\"}",
            "{\"k\\\"ey\":1,\"k\\\"ey\":2,\"a.b\":-0.5e-7}",
            "{ \"pretty\" : [ true , false , null ] ,\n \"n\" : 123456789012345678901234567890 }",
    };
    vg_event *ev2 = vg_event_new(NULL);
    assert_non_null(ev2);
    for (size_t r = 0; r < sizeof(docs) / sizeof(docs[0]); r++) {
        vg_perr err;
        if (parse(f->ev, docs[r], strlen(docs[r]), &err) != VG_OK)
            fail_msg("[doc %zu] first parse: %s at %zu", r, err.msg, err.offset);
        const char *json = to_json(f);
        char *once = vg_strndup(json, f->out.len);
        assert_non_null(once);
        vg_event_reset(ev2);
        if (vg_parse_json(ev2, once, strlen(once), &err) != VG_OK)
            fail_msg("[doc %zu] second parse of %s: %s at %zu", r, once, err.msg, err.offset);
        char name[32];
        snprintf(name, sizeof(name), "doc %zu", r);
        same_tree(name, f->ev, ev2);
        vg_buf b2;
        vg_buf_init(&b2, 0);
        vg_event_to_json(ev2, &b2);
        if (strcmp(once, b2.p) != 0)
            fail_msg("[doc %zu] %s then %s", r, once, b2.p);
        vg_buf_fini(&b2);
        vg_free(once);
    }
    vg_event_free(ev2);
}

/* ---- check only (vg_json_check) ---- */

static void test_json_check_verdicts(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        vg_json_verdict want;
    } rows[] = {
            {"{}", VG_JSON_VALUE},
            {" [1, {\"a\": [true, null]}]\n", VG_JSON_VALUE},
            {"{\n  \"a\": \"x\\\"}\",\n  \"b\": -1.5e3\n}", VG_JSON_VALUE},
            {"{\"a\":", VG_JSON_PREFIX},
            {"{\"a\":\n{\"b\":1}", VG_JSON_PREFIX}, /* a cut record and the next one */
            {"[\n", VG_JSON_PREFIX},
            {"{\"a\":\"x", VG_JSON_PREFIX},
            {"{\"a\":\"\\u00", VG_JSON_PREFIX},
            {"{\"a\":tr", VG_JSON_PREFIX},
            {"{\"a\":-", VG_JSON_PREFIX},
            {"{\"a\":1.", VG_JSON_PREFIX},
            {"{\"a\":1e+", VG_JSON_PREFIX},
            {"{\"a\":12", VG_JSON_PREFIX},
            {"{\"a\":\"x\n\"}", VG_JSON_INVALID}, /* raw newline in a string */
            {"{\"a\":1\n{\"b\":2}", VG_JSON_INVALID},
            {"{\"a\":\n{\"b\":1}\n{\"c\":2}", VG_JSON_INVALID},
            {"[\n{\"a\":1}\n{\"b\":2}", VG_JSON_INVALID},
            {"{ garbage\n{\"a\":1}\n}", VG_JSON_INVALID},
            {"{\"a\":trx", VG_JSON_INVALID},
            {"{\"a\":[1}", VG_JSON_INVALID},
            {"{\"a\":1} x", VG_JSON_INVALID},
            {"{\"a\":1,}", VG_JSON_INVALID},
            {"42", VG_JSON_INVALID},
            {"\"s\"", VG_JSON_INVALID},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        vg_json_verdict got = vg_json_check(rows[i].in, strlen(rows[i].in));
        if (got != rows[i].want)
            fail_msg("[%zu: %s] got %d, want %d", i, rows[i].in, (int)got, (int)rows[i].want);
    }
    /* a NUL byte outside strings */
    assert_int_equal(vg_json_check("{\"a\":1,\0}", 9), VG_JSON_INVALID);
}

/* Every proper prefix of a valid document is a prefix, never invalid; and the checker
 * agrees with the parser on the whole. */
static void test_json_check_prefixes(void **state)
{
    fixture *f = *state;
    static const char doc[] = "{\"a\":[1,-2.5e+3,{\"b\":\"x\\ud83d\\ude00\\n\"}],\n"
                              " \"c\":true,\"d\":null,\"e\":false,\"f\":{},\"g\":[[],[0]]}";
    size_t len = sizeof(doc) - 1;
    for (size_t n = 1; n < len; n++) {
        char *p = vg_malloc(n);
        assert_non_null(p);
        memcpy(p, doc, n);
        vg_json_verdict v = vg_json_check(p, n);
        vg_free(p);
        if (v != VG_JSON_PREFIX)
            fail_msg("[prefix %zu] verdict %d", n, (int)v);
    }
    assert_int_equal(vg_json_check(doc, len), VG_JSON_VALUE);
    vg_perr err;
    assert_int_equal(parse(f->ev, doc, len, &err), VG_OK);
}

/* Nesting is followed to VG_JSON_CHECK_DEPTH levels, arrays and objects mixed. */
static void test_json_check_depth(void **state)
{
    (void)state;
    size_t n = VG_JSON_CHECK_DEPTH;
    char *p = vg_malloc(n * 6 + 8);
    assert_non_null(p);
    for (int over = 0; over < 2; over++) {
        size_t levels = n + (size_t)over, at = 0;
        for (size_t i = 0; i < levels; i++) {
            if (i % 3 == 1) {
                memcpy(p + at, "{\"k\":", 5);
                at += 5;
            } else {
                p[at++] = '[';
            }
        }
        for (size_t i = levels; i-- > 0;)
            p[at++] = i % 3 == 1 ? '}' : ']';
        vg_json_verdict want = over ? VG_JSON_INVALID : VG_JSON_VALUE;
        assert_int_equal(vg_json_check(p, at), want);
        /* a closer of the wrong kind deep inside is caught */
        if (!over) {
            p[at - 100] = p[at - 100] == ']' ? '}' : ']';
            assert_int_equal(vg_json_check(p, at), VG_JSON_INVALID);
        }
    }
    vg_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_json_valid_documents),
            cmocka_unit_test(test_json_nodes_and_spans),
            cmocka_unit_test(test_json_escapes_at_every_offset),
            cmocka_unit_test(test_json_malformed),
            cmocka_unit_test(test_json_every_prefix_fails),
            cmocka_unit_test(test_json_deep_nesting),
            cmocka_unit_test(test_json_too_many_fields),
            cmocka_unit_test(test_json_huge_string),
            cmocka_unit_test(test_json_alloc_failure),
            cmocka_unit_test(test_json_round_trip),
            cmocka_unit_test(test_json_check_verdicts),
            cmocka_unit_test(test_json_check_prefixes),
            cmocka_unit_test(test_json_check_depth),
    };
    return cmocka_run_group_tests_name("event/fmt_json", tests, setup, teardown);
}
