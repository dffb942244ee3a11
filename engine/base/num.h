/* SPDX-License-Identifier: Apache-2.0 */
/*
 * num.h: reading numbers out of event and rule text.
 *
 * Sigma compares numbers and strings loosely: EventID 4688 in a rule matches the JSON number
 * 4688 and the string "4688". vg_num_parse accepts an optional sign, decimal digits, an
 * optional fraction and exponent, and also 0x-prefixed hexadecimal integers (Windows writes
 * many fields that way); leading/trailing ASCII spaces are not accepted. Integers that fit
 * int64 are kept exactly; everything else is a double.
 */
#ifndef VIGIL_BASE_NUM_H
#define VIGIL_BASE_NUM_H

#include "vigil/base.h"

typedef struct vg_num {
    bool is_int;
    int64_t i; /* valid when is_int */
    double d;  /* always valid (i converted when is_int) */
} vg_num;

bool vg_num_parse(const char *p, size_t len, vg_num *out);
/* -1, 0, 1. Exact for two integers; otherwise compares doubles (NaN never parses). */
int vg_num_cmp(const vg_num *a, const vg_num *b);

#endif
