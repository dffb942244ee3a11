/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shard.c: which correlator shard owns a signal, and splitting a signal list among shards
 * (see vigil/corr.h, "shards").
 *
 * A correlation is pinned to shard 0 when a chain joins it to another correlation (it feeds
 * one, or one of its sources is a correlation) or when it has `suppress`: its alerts then
 * act on keys or a table that other group values share, which must stay with one owner.
 * Every other key goes to the shard of its slot (slot % m), so the owner of a key depends
 * on its group values only, never on which input or thread saw it.
 */
#include "corr/corr_int.h"
#include "sigma/ruleset_int.h"

static bool pinned(const vg_corr_rule *r)
{
    if (r->n_uses > 0 || r->sup.period_ms > 0)
        return true;
    for (size_t i = 0; i < r->n_srcs; i++)
        if (r->srcs[i].is_corr)
            return true;
    return false;
}

uint32_t
vg_corr_shard_of(const vg_ruleset *rs, uint32_t corr, const void *key, size_t len, uint32_t m)
{
    if (m <= 1 || corr >= rs->corrs.n || pinned(&rs->corrs.v[corr]))
        return 0;
    return vg_corr_slot_of(key, len) % m;
}

vg_status vg_corr_sigs_split(const vg_corr_sigs *in,
                             const vg_ruleset *rs,
                             uint32_t m,
                             vg_corr_sigs *const *out,
                             int64_t *stream_max)
{
    for (size_t i = 0; i < in->n; i++) {
        const vg_csig *g = &in->v[i];
        const char *kb = in->bytes ? in->bytes + g->key_off : "";
        const char *vb = in->bytes ? in->bytes + g->val_off : "";
        if (g->ts > *stream_max)
            *stream_max = g->ts;
        vg_corr_sigs *o = out[vg_corr_shard_of(rs, g->corr, kb, g->key_len, m)];
        size_t key_off = o->blen;
        if (!vg_csigs_put_raw(o, kb, g->key_len))
            return VG_ERR_NOMEM;
        size_t val_off = o->blen;
        if (!vg_csigs_put_raw(o, vb, g->val_len))
            return VG_ERR_NOMEM;
        vg_csig *d = vg_csigs_push(o);
        if (!d)
            return VG_ERR_NOMEM;
        *d = *g;
        d->key_off = key_off;
        d->val_off = val_off;
        d->stream_ts = *stream_max;
    }
    return VG_OK;
}
