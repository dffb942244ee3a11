/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ytree.h: YAML documents as small trees with source positions.
 *
 * Rule files are read with libyaml's event parser into ynode trees: scalars keep their
 * text, whether they were quoted, and their 1-based line/column; mappings keep key/value
 * pairs in order. A file may hold several documents ("---"). Aliases and anchors are not
 * part of Sigma and are rejected, which also rules out alias bombs; so are mapping keys that
 * are not scalars ("? [a, b]"), so every key is a scalar. Depth, node count and scalar size
 * are bounded (vg_ytree_limits).
 *
 * Nodes live in the arena given to vg_ytree_parse. Rule files, test files (`vigil test`) and
 * other YAML inputs of the program are read with it.
 */
#ifndef VIGIL_YTREE_H
#define VIGIL_YTREE_H

#include "vigil/base.h"
#include "vigil/arena.h"

typedef enum vg_ykind {
    VG_Y_SCALAR,
    VG_Y_SEQ,
    VG_Y_MAP
} vg_ykind;

typedef struct vg_ynode vg_ynode;
struct vg_ynode {
    vg_ykind kind;
    uint32_t line, col; /* 1-based position of the node's first character */
    /* scalar */
    const char *str; /* NUL-terminated */
    size_t len;
    bool quoted; /* single/double quoted or block scalar: never null/bool/number */
    /* seq: items[0..n); map: items[2i] = key (scalar), items[2i+1] = value */
    vg_ynode **items;
    size_t n; /* seq: items; map: pairs */
};

typedef struct vg_ydoc {
    vg_ynode *root; /* NULL for an empty document */
    uint32_t line;  /* where the document starts */
} vg_ydoc;

typedef struct vg_ytree_limits {
    uint32_t max_depth; /* default 64 */
    uint32_t max_nodes; /* per file, default 1,000,000 */
    size_t max_scalar;  /* bytes, default 1 MiB */
    uint32_t max_docs;  /* default 10,000 */
} vg_ytree_limits;

typedef struct vg_yerr {
    vg_status code;
    uint32_t line, col;
    char msg[200];
} vg_yerr;

/* Parse a whole file. On success docs and n_docs describe the documents (arena memory).
 * On failure returns the status, fills err; documents parsed before the error are kept in
 * docs and n_docs so a caller may still report on them. */
VG_API vg_status vg_ytree_parse(vg_arena *a,
                                const char *text,
                                size_t len,
                                const vg_ytree_limits *lim,
                                vg_ydoc **docs,
                                size_t *n_docs,
                                vg_yerr *err);

/* Value for key in a mapping, or NULL. */
VG_API const vg_ynode *vg_ymap_get(const vg_ynode *map, const char *key);
/* Plain (unquoted) scalar that YAML reads as null: "", "~", "null", "Null", "NULL". */
VG_API bool vg_ynode_is_null(const vg_ynode *n);

#endif
