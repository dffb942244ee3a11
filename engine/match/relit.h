/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relit.h: a literal that every match of a regular expression must contain.
 *
 * Used by the prefilter so that rules whose only conditions are regexes need not be
 * evaluated on every event. The analysis is deliberately conservative: it walks the
 * top-level sequence of the pattern, keeps runs of plain characters (and escaped
 * punctuation), cuts a run at anything that is not a plain character (classes, groups,
 * anchors, '.', \s ...), drops a character that a quantifier makes optional (?, *, {0,..})
 * and cuts after one that may repeat (+, {n,..}). It gives up (returns false) on anything it
 * does not fully understand: top-level alternation, inline options other than a leading
 * (?i), \Q..\E, \x/\o/\N/\p escapes, backreferences, verbs. A false return only means "no
 * literal", never a wrong one.
 */
#ifndef VIGIL_MATCH_RELIT_H
#define VIGIL_MATCH_RELIT_H

#include "vigil/base.h"

/* Longest required literal of pat[0, len) into out (cap bytes); *caseless is set when the
 * pattern (or flags & VG_RE_I) makes it case-insensitive. false if none of length >= min. */
bool vg_regex_literal(const char *pat,
                      size_t len,
                      unsigned flags,
                      size_t min,
                      char *out,
                      size_t cap,
                      size_t *out_len,
                      bool *caseless);

#endif
