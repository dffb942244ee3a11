/* SPDX-License-Identifier: Apache-2.0 */
/*
 * corr_int.h: the inside of signal lists, shared by extraction (extract.c) and the
 * correlator (corr.c). Private to the engine.
 *
 * A group key is its values, each as a 4-byte little-endian length and the bytes, in
 * group-by order; a multi-field value (value_count over several fields) is encoded the
 * same way. Key and value bytes live in the list's byte buffer.
 */
#ifndef VIGIL_CORR_CORR_INT_H
#define VIGIL_CORR_CORR_INT_H

#include "vigil/corr.h"

typedef struct vg_csig {
    uint32_t corr, src;
    int64_t ts;
    size_t key_off, val_off;
    uint32_t key_len, val_len;
    double num; /* value_sum / value_avg: the value as a number */
    vg_origin org;
    int64_t stream_ts; /* the stream's latest event time up to this signal (shards;
                          INT64_MIN: not stamped, the signal's own time counts) */
} vg_csig;

struct vg_corr_sigs {
    vg_csig *v;
    size_t n, cap;
    char *bytes;
    size_t blen, bcap;
    vg_corr_xcounters x;
};

/* Append one encoded value (length + bytes) to the list's bytes; false when out of memory
 * or past 4 GiB. */
bool vg_csigs_put_value(vg_corr_sigs *s, const char *p, size_t n);
/* Append a signal slot (zeroed, not stamped); NULL when out of memory. */
vg_csig *vg_csigs_push(vg_corr_sigs *s);
/* Append bytes as they are to the list's bytes; false when out of memory or past 4 GiB. */
bool vg_csigs_put_raw(vg_corr_sigs *s, const char *p, size_t n);

/* The name of input id (correlator's table of origins). */
const char *vg_corr_input_name(const vg_corr *c, uint32_t id);

/* The suppression key of a rule (kind 0: detection, 1: correlation) and values. The rule is
 * named by its id, so that a key means the same rule after a reload that reorders the rules
 * (its index is used only for a rule without an id). */
uint64_t
vg_suppress_key_of(uint32_t kind, const char *id, uint32_t index, const vg_span *vals, size_t n);

/* Snapshot access to a suppression table: slots (some empty), one slot, and putting an
 * entry back (false when out of memory). */
size_t vg_suppress_slots(const vg_suppress *s);
bool vg_suppress_slot(const vg_suppress *s, size_t i, uint64_t *key, int64_t *until);
bool vg_suppress_put(vg_suppress *s, uint64_t key, int64_t until);

/* Decode value i of an encoded key; false if the key has fewer values. */
bool vg_ckey_value(const char *key, size_t len, uint32_t i, vg_span *out);

#endif
