/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outbox.c: messages waiting for their checkpoint (see outbox.h).
 */
#include "outbox.h"
#include "vigil/bin.h"

#include <stdio.h>
#include <string.h>

#define MAX_FIELD ((size_t)1 << 30)

void obx_init(outbox *o)
{
    vg_buf_init(&o->bytes, 0);
    o->count = o->alerts = 0;
}

void obx_fini(outbox *o)
{
    vg_buf_fini(&o->bytes);
}

void obx_clear(outbox *o)
{
    vg_buf_clear(&o->bytes);
    o->count = o->alerts = 0;
}

bool obx_add(outbox *o, const obx_msg *m)
{
    size_t at = o->bytes.len;
    if (m->n_hdr > OBX_MAX_HEADERS || m->key_len > MAX_FIELD || m->value_len > MAX_FIELD)
        return false;
    vg_bin_u8(&o->bytes, (uint8_t)m->kind);
    vg_bin_str(&o->bytes, m->id, m->id_len);
    vg_bin_str(&o->bytes, m->key, m->key_len);
    vg_bin_str(&o->bytes, m->value, m->value_len);
    vg_bin_u8(&o->bytes, (uint8_t)m->n_hdr);
    for (size_t i = 0; i < m->n_hdr; i++) {
        vg_bin_str(&o->bytes, m->hdr[i].name, strlen(m->hdr[i].name));
        vg_bin_str(&o->bytes, m->hdr[i].value, m->hdr[i].value_len);
    }
    if (vg_buf_status(&o->bytes) != VG_OK) {
        o->bytes.len = at < o->bytes.len ? at : o->bytes.len;
        return false;
    }
    o->count++;
    o->alerts += m->kind == OBX_ALERT;
    return true;
}

void obx_iter_init(obx_iter *it, const void *bytes, size_t n)
{
    it->p = bytes;
    it->n = n;
    it->at = 0;
}

int obx_next(obx_iter *it, obx_msg *m, char *err, size_t err_len)
{
    if (it->at >= it->n)
        return 0;
    vg_bin r;
    vg_bin_init(&r, it->p, it->n, "outbox", err, err_len);
    r.at = it->at;
    memset(m, 0, sizeof(*m));
    uint64_t kind = vg_bin_get(&r, 1);
    m->id = vg_bin_get_str(&r, 256, &m->id_len);
    m->key = vg_bin_get_str(&r, MAX_FIELD, &m->key_len);
    m->value = vg_bin_get_str(&r, MAX_FIELD, &m->value_len);
    m->n_hdr = (size_t)vg_bin_get(&r, 1);
    if (!r.bad && kind != OBX_ALERT && kind != OBX_DEAD)
        vg_bin_fail(&r, "message kind %u", (unsigned)kind);
    if (!r.bad && m->n_hdr > OBX_MAX_HEADERS)
        vg_bin_fail(&r, "%zu headers (at most %d)", m->n_hdr, OBX_MAX_HEADERS);
    for (size_t i = 0; i < m->n_hdr && !r.bad; i++) {
        size_t nl = 0;
        const char *name = vg_bin_get_str(&r, sizeof(it->names[i]) - 1, &nl);
        m->hdr[i].value = vg_bin_get_str(&r, MAX_FIELD, &m->hdr[i].value_len);
        if (r.bad)
            break;
        memcpy(it->names[i], name, nl);
        it->names[i][nl] = '\0';
        m->hdr[i].name = it->names[i];
    }
    if (r.bad)
        return -1;
    m->kind = (obx_kind)kind;
    it->at = r.at;
    return 1;
}
