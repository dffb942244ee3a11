/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cstate.h: the correlator's per-group-key state and the table that holds it.
 *
 * A key (one correlation, one tuple of group-by values) keeps its window's events as
 * entries sorted by event time (ties: by source index for temporal_ordered, so that equal
 * times count as in order; otherwise by arrival). Entries live in one array with a moving
 * front (`off`): old entries leave from the front, new ones are appended or, when out of
 * order, inserted near the back. For value types a small open-addressing table counts the
 * entries per distinct value (by 64-bit hash) and keeps each value's text once.
 *
 * Keys are slots in one array addressed by id (stable across growth; a freed id is reused
 * with a new generation, so stale timer entries are recognised); a hash table maps
 * (correlation, key bytes) to ids. A key does not keep its hash (its table slot carries the
 * upper half) but does keep its key slot (vg_corr_slot_of): a key is 72 bytes. Every allocation is
 * counted in `bytes` so that the correlator can enforce its memory cap.
 *
 * Thread: the correlator's. Locks: none.
 */
#ifndef VIGIL_CORR_CSTATE_H
#define VIGIL_CORR_CSTATE_H

#include "vigil/base.h"

typedef struct ck_entry {
    int64_t ts;
    union {
        uint64_t vh; /* value_count, value_percentile: hash of the value */
        double num;  /* value_sum, value_avg: the value */
    };
    uint64_t rec;  /* origin: record number */
    uint32_t line; /* origin: line (0 = unknown or past 2^32) */
    uint16_t src;  /* source index in the correlation (at most 64) */
    uint16_t inp;  /* origin: input name id */
} ck_entry;        /* 32 bytes */

typedef struct ck_val {
    uint64_t h;
    uint32_t cnt; /* entries with this value; 0 = free slot (text NULL) or tombstone */
    uint32_t run; /* of which in the running window */
    char *text;
    uint32_t len;
    bool used; /* slot ever used (tombstone when cnt == 0) */
} ck_val;

/* What only some types need: kept apart so that an event_count key stays small. */
typedef struct ck_ext {
    double run_sum;        /* value_sum / value_avg: running window */
    uint32_t run_distinct; /* value_count: running window */
    uint32_t run_srcs;     /* temporal: sources with srccnt > 0 */
    uint32_t *srccnt;      /* temporal: running-window entries per source (64) */
    int64_t *best;         /* temporal_ordered: per step, the latest start of a sequence
                              through that step (INT64_MIN: none) */
    uint32_t n_best;
    ck_val *vt;               /* value types */
    uint32_t vt_cap, vt_fill; /* slots; used slots (tombstones included) */
    int64_t w0;               /* decided at close: the open window's start */
    bool open;                /* decided at close: a window is open */
} ck_ext;

#define CK_INLINE 16 /* group keys up to this many bytes live in the key itself */

typedef struct ckey {
    union {
        char *kb; /* group key bytes (klen > CK_INLINE) */
        char kin[CK_INLINE];
    };
    uint32_t klen;
    uint32_t corr;
    ck_entry *e;
    uint32_t off, n, cap; /* live entries: e[off..n) */
    uint32_t run;         /* first entry of the running window (arrival-decided types) */
    int64_t max_ts;
    ck_ext *x; /* NULL for event_count decided on arrival */
    uint32_t gen;
    uint16_t slot; /* vg_corr_slot_of(group key bytes) */
    bool live : 1;
    bool timer : 1;   /* a timer entry is pending */
    bool episode : 1; /* the condition holds and has been alerted */
} ckey;

static inline const char *ck_kb(const ckey *k)
{
    return k->klen <= CK_INLINE ? k->kin : k->kb;
}

typedef struct cstore {
    ckey *keys;
    uint32_t n, cap;
    uint32_t *free_ids;
    uint32_t n_free;
    uint64_t *tab; /* (hash >> 32) << 32 | (id + 1); 0 = empty */
    uint32_t tab_size;
    uint32_t n_live;
    size_t bytes;
} cstore;

void cs_init(cstore *s);
void cs_fini(cstore *s);
uint64_t cs_hash(uint32_t corr, const char *kb, size_t klen);
/* The id of the key, or UINT32_MAX. */
uint32_t cs_find(const cstore *s, uint64_t h, uint32_t corr, const char *kb, size_t klen);
/* Create a key; UINT32_MAX when out of memory. ext: the key needs a ck_ext; srcs: and
 * per-source counts (temporal); n_best: and that many sequence steps (temporal_ordered). */
uint32_t cs_add(cstore *s,
                uint64_t h,
                uint32_t corr,
                const char *kb,
                size_t klen,
                bool ext,
                bool srcs,
                uint32_t n_best);
void cs_del(cstore *s, uint32_t id);

/* Insert an entry at its sorted place (by ts, then by src when by_src); returns its index
 * or UINT32_MAX when out of memory. */
uint32_t cs_insert(cstore *s, ckey *k, const ck_entry *e, bool by_src);
/* Drop the front entry (value counts updated; running stats are the caller's). */
void cs_pop_front(cstore *s, ckey *k);
/* Remove entries [off, end) (value counts updated). */
void cs_drop_front(cstore *s, ckey *k, uint32_t end);
/* First index in [off, n) with ts >= t (n if none); with `after`, ts > t. */
uint32_t cs_lower(const ckey *k, int64_t t, bool after);

/* Value table: count one more entry of value (h, text); false when out of memory. */
bool cs_val_add(cstore *s, ckey *k, uint64_t h, const char *text, size_t len);
ck_val *cs_val_get(const ckey *k, uint64_t h);
/* One entry fewer of value h (its text freed at zero). */
void cs_val_release(cstore *s, ckey *k, uint64_t h);
uint64_t cs_val_hash(const char *p, size_t n);

#endif
