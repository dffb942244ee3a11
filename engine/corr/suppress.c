/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suppress.c: the `suppress` vigil extension at run time (see vigil/corr.h).
 *
 * A table of 64-bit keys (a hash of the rule and its suppress values) -> the event time
 * until which that key's alerts are silenced. Keys are hashes, not the values: two tuples
 * of values collide with probability about n^2 / 2^65 (one in 10^7 for a million live keys),
 * and then one alert more would be silenced. Entries whose period has passed (behind the
 * latest event time seen) are dropped whenever the table would grow, so the table holds
 * about the keys alerted within one period.
 */
#include "corr/corr_int.h"
#include "base/hash.h"
#include "sigma/ruleset_int.h"

#include "vigil/bin.h"

#include <string.h>

typedef struct sup_entry {
    uint64_t key; /* 0: empty */
    int64_t until;
} sup_entry;

struct vg_suppress {
    sup_entry *t;
    size_t cap, n;
    int64_t latest;
    uint64_t suppressed;
};

vg_suppress *vg_suppress_new(void)
{
    vg_suppress *s = vg_calloc(1, sizeof(*s));
    if (s)
        s->latest = INT64_MIN;
    return s;
}

void vg_suppress_free(vg_suppress *s)
{
    if (!s)
        return;
    vg_free(s->t);
    vg_free(s);
}

uint64_t vg_suppress_count(const vg_suppress *s)
{
    return s->suppressed;
}

static sup_entry *slot(sup_entry *t, size_t cap, uint64_t key)
{
    size_t i = (size_t)key & (cap - 1);
    while (t[i].key && t[i].key != key)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

/* Rebuild without the expired entries, growing if still more than half full. */
static bool rebuild(vg_suppress *s)
{
    size_t live = 0;
    for (size_t i = 0; i < s->cap; i++)
        live += s->t[i].key && s->t[i].until > s->latest;
    size_t cap = 256;
    while (cap < (live + 1) * 4)
        cap *= 2;
    sup_entry *t = vg_calloc(cap, sizeof(*t));
    if (!t)
        return false;
    for (size_t i = 0; i < s->cap; i++)
        if (s->t[i].key && s->t[i].until > s->latest)
            *slot(t, cap, s->t[i].key) = s->t[i];
    vg_free(s->t);
    s->t = t;
    s->cap = cap;
    s->n = live;
    return true;
}

bool vg_suppress_allow(vg_suppress *s, uint64_t key, int64_t ts, int64_t period)
{
    if (period <= 0)
        return true;
    key = key ? key : 1;
    if (ts > s->latest)
        s->latest = ts;
    if (s->t) {
        sup_entry *e = slot(s->t, s->cap, key);
        if (e->key && ts < e->until) {
            s->suppressed++;
            return false;
        }
        if (e->key) {
            e->until = ts + period;
            return true;
        }
    }
    if ((s->n + 1) * 2 > s->cap && !rebuild(s))
        return true; /* out of memory: never lose an alert */
    sup_entry *e = slot(s->t, s->cap, key);
    e->key = key;
    e->until = ts + period;
    s->n++;
    return true;
}

uint64_t
vg_suppress_key_of(uint32_t kind, const char *id, uint32_t index, const vg_span *vals, size_t n)
{
    uint64_t h = vg_fnv1a(VG_FNV_OFFSET, &kind, sizeof(kind));
    size_t idl = id ? strlen(id) : 0;
    if (idl > 0)
        h = vg_fnv1a(h, id, idl + 1);
    else
        h = vg_fnv1a(h, &index, sizeof(index));
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)vals[i].len;
        h = vg_fnv1a(h, &len, sizeof(len));
        h = vg_fnv1a(h, vals[i].p, vals[i].len);
    }
    return vg_mix64(h);
}

size_t vg_suppress_slots(const vg_suppress *s)
{
    return s->cap;
}

bool vg_suppress_slot(const vg_suppress *s, size_t i, uint64_t *key, int64_t *until)
{
    if (i >= s->cap || !s->t[i].key)
        return false;
    *key = s->t[i].key;
    *until = s->t[i].until;
    return true;
}

bool vg_suppress_put(vg_suppress *s, uint64_t key, int64_t until)
{
    if (!key)
        return false;
    if ((s->n + 1) * 2 > s->cap && !rebuild(s))
        return false;
    sup_entry *e = slot(s->t, s->cap, key);
    if (!e->key)
        s->n++;
    e->key = key;
    e->until = until;
    return true;
}

/* Saved form: "VGSU", u32 version 1, i64 latest, u64 suppressed, u64 n, then n (u64 key,
 * i64 until), all little-endian (vigil/bin.h). */
#define SUP_MAGIC "VGSU"

void vg_suppress_save(const vg_suppress *s, vg_buf *out)
{
    vg_buf_append(out, SUP_MAGIC, 4);
    vg_bin_u32(out, 1);
    vg_bin_u64(out, (uint64_t)s->latest);
    vg_bin_u64(out, s->suppressed);
    uint64_t n = 0;
    for (size_t i = 0; i < s->cap; i++)
        n += s->t[i].key && s->t[i].until > s->latest;
    vg_bin_u64(out, n);
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->t[i].key || s->t[i].until <= s->latest)
            continue;
        vg_bin_u64(out, s->t[i].key);
        vg_bin_u64(out, (uint64_t)s->t[i].until);
    }
}

static void sup_clear(vg_suppress *s)
{
    vg_free(s->t);
    s->t = NULL;
    s->cap = s->n = 0;
    s->latest = INT64_MIN;
    s->suppressed = 0;
}

vg_status vg_suppress_load(vg_suppress *s, const void *p, size_t n, char *err, size_t err_len)
{
    vg_bin r;
    vg_bin_init(&r, p, n, "suppression table", err, err_len);
    sup_clear(s);
    if (vg_bin_header(&r, SUP_MAGIC, 1) != VG_OK)
        return VG_ERR_INVALID;
    int64_t latest = (int64_t)vg_bin_get(&r, 8);
    uint64_t suppressed = vg_bin_get(&r, 8);
    uint64_t cnt = vg_bin_get(&r, 8);
    if (!r.bad && cnt != vg_bin_left(&r) / 16)
        vg_bin_fail(&r, "%llu entries in %zu bytes", (unsigned long long)cnt, vg_bin_left(&r));
    for (uint64_t i = 0; i < cnt && !r.bad; i++) {
        uint64_t key = vg_bin_get(&r, 8);
        int64_t until = (int64_t)vg_bin_get(&r, 8);
        if (!r.bad && !vg_suppress_put(s, key, until))
            vg_bin_fail(&r, "entry %llu: key 0 or out of memory", (unsigned long long)i);
    }
    if (!r.bad && vg_bin_left(&r) != 0)
        vg_bin_fail(&r, "%zu bytes after the table", vg_bin_left(&r));
    if (r.bad) {
        sup_clear(s);
        return VG_ERR_INVALID;
    }
    s->latest = latest;
    s->suppressed = suppressed;
    return VG_OK;
}
