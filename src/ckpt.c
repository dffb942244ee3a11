/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ckpt.c: the checkpoint's bytes (see ckpt.h).
 */
#include "ckpt.h"
#include "vigil/bin.h"

#include <stdio.h>
#include <string.h>

#define MAGIC   "VGCK"
#define VERSION 1u

static void put_pos(vg_buf *out, const ckpt_pos *v, size_t n)
{
    vg_bin_u32(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        vg_bin_str(out, v[i].topic, v[i].topic_len);
        vg_bin_u32(out, (uint32_t)v[i].partition);
        vg_bin_u64(out, (uint64_t)v[i].offset);
    }
}

void ckpt_encode(const ckpt *c, vg_buf *out)
{
    vg_buf_append(out, MAGIC, 4);
    vg_bin_u32(out, VERSION);
    vg_bin_u64(out, c->seq);
    put_pos(out, c->offsets, c->n_offsets);
    put_pos(out, c->marks, c->n_marks);
    vg_bin_u64(out, c->outbox_len);
    vg_buf_append(out, c->outbox, c->outbox_len);
    vg_bin_u64(out, c->state_len);
    vg_buf_append(out, c->state, c->state_len);
}

/* A list of positions; NULL (and *n 0) when empty or on failure. */
static ckpt_pos *get_pos(vg_bin *r, size_t *n)
{
    *n = 0;
    uint64_t cnt = vg_bin_get(r, 4);
    if (r->bad || cnt == 0)
        return NULL;
    /* each takes at least 4 + 4 + 8 bytes */
    if (cnt > CKPT_MAX_PARTS || cnt > vg_bin_left(r) / 16) {
        vg_bin_fail(r, "%llu partitions", (unsigned long long)cnt);
        return NULL;
    }
    ckpt_pos *v = vg_calloc((size_t)cnt, sizeof(*v));
    if (!v) {
        vg_bin_fail(r, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < cnt && !r->bad; i++) {
        v[i].topic = vg_bin_get_str(r, 249, &v[i].topic_len); /* Kafka's longest topic name */
        uint64_t part = vg_bin_get(r, 4);
        uint64_t off = vg_bin_get(r, 8);
        if (r->bad)
            break;
        if (v[i].topic_len == 0 || part > INT32_MAX || off > INT64_MAX)
            vg_bin_fail(r, "position %zu: topic, partition or offset out of range", i);
        v[i].partition = (int32_t)part;
        v[i].offset = (int64_t)off;
    }
    if (r->bad) {
        vg_free(v);
        return NULL;
    }
    *n = (size_t)cnt;
    return v;
}

static const void *get_blob(vg_bin *r, size_t *len)
{
    uint64_t n = vg_bin_get(r, 8);
    *len = 0;
    if (r->bad)
        return NULL;
    if (n > vg_bin_left(r)) {
        vg_bin_fail(r, "%llu bytes announced, %zu left", (unsigned long long)n, vg_bin_left(r));
        return NULL;
    }
    const void *p = r->p + r->at;
    r->at += (size_t)n;
    *len = (size_t)n;
    return p;
}

vg_status ckpt_decode(ckpt *c, const void *bytes, size_t n, char *err, size_t err_len)
{
    memset(c, 0, sizeof(*c));
    vg_bin r;
    vg_bin_init(&r, bytes, n, "checkpoint", err, err_len);
    vg_status st = vg_bin_header(&r, MAGIC, VERSION);
    if (st != VG_OK)
        return st;
    c->seq = vg_bin_get(&r, 8);
    c->offsets = get_pos(&r, &c->n_offsets);
    c->marks = get_pos(&r, &c->n_marks);
    c->outbox = get_blob(&r, &c->outbox_len);
    c->state = get_blob(&r, &c->state_len);
    if (!r.bad && vg_bin_left(&r) != 0)
        vg_bin_fail(&r, "%zu bytes after the end", vg_bin_left(&r));
    if (r.bad) {
        ckpt_free(c);
        return VG_ERR_INVALID;
    }
    return VG_OK;
}

void ckpt_free(ckpt *c)
{
    vg_free(c->offsets);
    vg_free(c->marks);
    c->offsets = c->marks = NULL;
    c->n_offsets = c->n_marks = 0;
}
