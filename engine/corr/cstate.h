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
 * (correlation, key bytes) to ids. Every allocation is counted in `bytes` so that the
 * correlator can enforce its memory cap.
 *
 * Thread: the correlator's. Locks: none.
 */
#ifndef VIGIL_CORR_CSTATE_H
#define VIGIL_CORR_CSTATE_H

#include "vigil/base.h"

typedef struct ck_entry {
    int64_t ts;
    uint64_t vh; /* value hash (value types) */
    double num;  /* value_sum / value_avg */
    uint64_t rec, line;
    uint32_t src, inp; /* source index in the correlation; input name id */
} ck_entry;

typedef struct ck_val {
    uint64_t h;
    uint32_t cnt; /* entries with this value; 0 = free slot (text NULL) or tombstone */
    uint32_t run; /* of which in the running window */
    char *text;
    uint32_t len;
    bool used; /* slot ever used (tombstone when cnt == 0) */
} ck_val;

typedef struct ckey {
    uint64_t hash;
    char *kb; /* group key bytes */
    uint32_t klen;
    uint32_t corr;
    ck_entry *e;
    uint32_t off, n, cap; /* live entries: e[off..n) */
    uint32_t run;         /* first entry of the running window (arrival-decided types) */
    int64_t max_ts;
    double run_sum;
    uint32_t run_distinct;
    uint32_t *srccnt;  /* temporal: running-window entries per source (n_srcs) */
    uint32_t run_srcs; /* sources with srccnt > 0 */
    ck_val *vt;
    uint32_t vt_cap, vt_fill; /* slots; used slots (tombstones included) */
    bool live;
    bool timer;   /* a timer entry is pending */
    bool episode; /* the condition holds and has been alerted */
    bool open;    /* at-close types: a window is open at w0 */
    int64_t w0;
    uint32_t gen;
} ckey;

typedef struct cstore {
    ckey *keys;
    uint32_t n, cap;
    uint32_t *free_ids;
    uint32_t n_free;
    uint32_t *tab; /* id + 1; 0 = empty */
    uint32_t tab_size;
    uint32_t n_live;
    size_t bytes;
} cstore;

void cs_init(cstore *s);
void cs_fini(cstore *s);
uint64_t cs_hash(uint32_t corr, const char *kb, size_t klen);
/* The id of the key, or UINT32_MAX. */
uint32_t cs_find(const cstore *s, uint64_t h, uint32_t corr, const char *kb, size_t klen);
/* Create a key; UINT32_MAX when out of memory. */
uint32_t cs_add(cstore *s, uint64_t h, uint32_t corr, const char *kb, size_t klen, uint32_t n_srcs);
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
uint64_t cs_val_hash(const char *p, size_t n);

#endif
