/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_emit.c: correlation alerts as JSON lines (format in corr_emit.h).
 */
#include "corr/corr_emit.h"
#include "base/timefmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void put_str(vg_buf *out, const char *s, size_t n)
{
    vg_buf_putc(out, '"');
    vg_buf_json_str(out, s, n);
    vg_buf_putc(out, '"');
}

static void put_cstr(vg_buf *out, const char *s)
{
    put_str(out, s ? s : "", s ? strlen(s) : 0);
}

static void put_time(vg_buf *out, int64_t ms)
{
    char ts[40];
    vg_time_format(ms, ts, sizeof(ts));
    put_cstr(out, ts);
}

static void put_num(vg_buf *out, double v)
{
    if (v == floor(v) && fabs(v) < 9e15)
        vg_buf_put_i64(out, (int64_t)v);
    else
        vg_buf_printf(out, "%.10g", v);
}

static const char *src_id(const vg_ruleset *rs, const vg_corr_rule *r, uint32_t s)
{
    if (s >= r->n_srcs)
        return "";
    const vg_corr_src *src = &r->srcs[s];
    return src->is_corr ? rs->corrs.v[src->idx].id : rs->rules.v[src->idx].id;
}

static void put_event(const vg_corr *c,
                      vg_buf *out,
                      const vg_ruleset *rs,
                      const vg_corr_rule *r,
                      const ck_entry *e)
{
    vg_buf_puts(out, "{\"source\":{\"input\":");
    put_cstr(out, vg_corr_input_name(c, e->inp));
    vg_buf_puts(out, ",\"record\":");
    vg_buf_put_u64(out, e->rec);
    if (e->line) {
        vg_buf_puts(out, ",\"line\":");
        vg_buf_put_u64(out, e->line);
    }
    vg_buf_puts(out, "},\"time\":");
    put_time(out, e->ts);
    vg_buf_puts(out, ",\"rule\":");
    put_cstr(out, src_id(rs, r, e->src));
    vg_buf_putc(out, '}');
}

void cemit_alert(const vg_corr *c,
                 vg_buf *out,
                 const vg_ruleset *rs,
                 const vg_corr_rule *r,
                 const ckey *k,
                 uint32_t i,
                 uint32_t j,
                 const cemit_window *w,
                 const ck_val *fv,
                 uint32_t sample,
                 int64_t now)
{
    char start[24], id[33];
    int sl = snprintf(start, sizeof(start), "%lld", (long long)w->start); /* id input */
    vg_span parts[4] = {vg_span_cstr(r->id), {ck_kb(k), k->klen}, {start, (size_t)sl}, {"", 0}};
    if (fv)
        parts[3] = (vg_span){fv->text, fv->len};
    vg_alert_id_parts("corr", parts, fv ? 4 : 3, id);

    vg_buf_puts(out, "{\"id\":");
    put_cstr(out, id);
    vg_buf_puts(out, ",\"rule\":{\"id\":");
    put_cstr(out, r->id);
    vg_buf_puts(out, ",\"title\":");
    put_cstr(out, r->title);
    vg_buf_puts(out, ",\"level\":");
    put_cstr(out, r->level);
    vg_buf_puts(out, ",\"tags\":[");
    for (size_t t = 0; t < r->n_tags; t++) {
        if (t)
            vg_buf_putc(out, ',');
        put_cstr(out, r->tags[t]);
    }
    vg_buf_puts(out, "]},\"correlation\":{\"type\":");
    put_cstr(out, vg_corr_type_str(r->type));
    vg_buf_puts(out, ",\"timespan_ms\":");
    vg_buf_put_i64(out, r->timespan_ms);
    vg_buf_puts(out, "},\"time\":");
    put_time(out, now);
    vg_buf_puts(out, ",\"event_time\":");
    put_time(out, w->end);
    vg_buf_puts(out, ",\"window\":{\"start\":");
    put_time(out, w->start);
    vg_buf_puts(out, ",\"end\":");
    put_time(out, w->end);
    vg_buf_puts(out, "},\"group\":{");
    for (uint32_t g = 0; g < r->n_group; g++) {
        vg_span v = {"", 0};
        vg_ckey_value(ck_kb(k), k->klen, g, &v);
        if (g)
            vg_buf_putc(out, ',');
        put_cstr(out, r->group[g]);
        vg_buf_putc(out, ':');
        put_str(out, v.p, v.len);
    }
    vg_buf_puts(out, "},\"value\":");
    put_num(out, w->value);
    if (fv) {
        vg_span v = {"", 0};
        vg_buf_puts(out, ",\"field_value\":");
        vg_ckey_value(fv->text, fv->len, 0, &v); /* percentile: one field */
        put_str(out, v.p, v.len);
    }
    vg_buf_puts(out, ",\"events_total\":");
    vg_buf_put_u64(out, w->total);
    vg_buf_puts(out, ",\"events\":[");
    uint32_t n = j - i, first = n <= sample ? n : sample - 1;
    for (uint32_t x = 0; x < first; x++) {
        if (x)
            vg_buf_putc(out, ',');
        put_event(c, out, rs, r, &k->e[i + x]);
    }
    if (first < n) {
        if (first)
            vg_buf_putc(out, ',');
        put_event(c, out, rs, r, &k->e[j - 1]);
    }
    vg_buf_puts(out, "]}\n");
}
