/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ytree.c: libyaml event stream -> vg_ynode trees (see ytree.h).
 *
 * An explicit stack of open collections replaces recursion, so depth is bounded by the
 * limit, not by the C stack. Collection items are gathered in a growable heap vector per
 * open collection and copied into the arena when the collection closes.
 */
#include "vigil/ytree.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

typedef struct open_coll {
    vg_ynode *node;
    vg_ynode **items;
    size_t n, cap;
} open_coll;

static const vg_ytree_limits default_limits = {64, 1000000, 1u << 20, 10000};

static void set_err(vg_yerr *err, vg_status code, uint32_t line, uint32_t col, const char *msg)
{
    err->code = code;
    err->line = line;
    err->col = col;
    snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

static bool push_item(open_coll *c, vg_ynode *item)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        vg_ynode **nv = vg_realloc(c->items, cap * sizeof(*nv));
        if (!nv)
            return false;
        c->items = nv;
        c->cap = cap;
    }
    c->items[c->n++] = item;
    return true;
}

const vg_ynode *vg_ymap_get(const vg_ynode *map, const char *key)
{
    if (!map || map->kind != VG_Y_MAP)
        return NULL;
    size_t klen = strlen(key);
    for (size_t i = 0; i < map->n; i++) {
        const vg_ynode *k = map->items[2 * i];
        if (k->kind == VG_Y_SCALAR && k->len == klen && memcmp(k->str, key, klen) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}

bool vg_ynode_is_null(const vg_ynode *n)
{
    if (!n || n->kind != VG_Y_SCALAR || n->quoted)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

vg_status vg_ytree_parse(vg_arena *a,
                         const char *text,
                         size_t len,
                         const vg_ytree_limits *lim_in,
                         vg_ydoc **docs_out,
                         size_t *n_docs_out,
                         vg_yerr *err)
{
    vg_ytree_limits lim = lim_in ? *lim_in : default_limits;
    yaml_parser_t parser;
    yaml_event_t ev;
    vg_status rc = VG_OK;
    open_coll *stack = NULL;
    size_t depth = 0;
    vg_ydoc *docs = NULL;
    size_t n_docs = 0, cap_docs = 0;
    uint32_t n_nodes = 0;
    vg_ynode *doc_root = NULL;
    uint32_t doc_line = 1;

    memset(err, 0, sizeof(*err));
    *docs_out = NULL;
    *n_docs_out = 0;
    if (!yaml_parser_initialize(&parser)) {
        set_err(err, VG_ERR_NOMEM, 0, 0, "cannot initialise the yaml parser");
        return VG_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    stack = vg_calloc(lim.max_depth + 1, sizeof(*stack));
    if (!stack) {
        yaml_parser_delete(&parser);
        set_err(err, VG_ERR_NOMEM, 0, 0, "out of memory");
        return VG_ERR_NOMEM;
    }

    for (bool done = false; !done;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            set_err(err, VG_ERR_INVALID, (uint32_t)parser.problem_mark.line + 1,
                    (uint32_t)parser.problem_mark.column + 1,
                    parser.problem ? parser.problem : "yaml syntax error");
            if (parser.context) {
                char msg[sizeof(err->msg)];
                snprintf(msg, sizeof(msg), "%s %s", parser.problem ? parser.problem : "error",
                         parser.context);
                snprintf(err->msg, sizeof(err->msg), "%s", msg);
            }
            rc = VG_ERR_INVALID;
            break;
        }
        uint32_t line = (uint32_t)ev.start_mark.line + 1;
        uint32_t col = (uint32_t)ev.start_mark.column + 1;
        vg_ynode *node = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            doc_root = NULL;
            doc_line = line;
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (n_docs == lim.max_docs) {
                set_err(err, VG_ERR_LIMIT, line, col, "too many yaml documents in one file");
                rc = VG_ERR_LIMIT;
                done = true;
                break;
            }
            if (n_docs == cap_docs) {
                size_t cap = cap_docs ? cap_docs * 2 : 4;
                vg_ydoc *nv = vg_realloc(docs, cap * sizeof(*nv));
                if (!nv) {
                    rc = VG_ERR_NOMEM;
                    set_err(err, rc, line, col, "out of memory");
                    done = true;
                    break;
                }
                docs = nv;
                cap_docs = cap;
            }
            docs[n_docs].root = doc_root;
            docs[n_docs].line = doc_line;
            n_docs++;
            break;
        case YAML_ALIAS_EVENT:
            set_err(err, VG_ERR_UNSUPPORTED, line, col,
                    "yaml aliases are not supported in rule files");
            rc = VG_ERR_UNSUPPORTED;
            done = true;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.anchor) {
                set_err(err, VG_ERR_UNSUPPORTED, line, col,
                        "yaml anchors are not supported in rule files");
                rc = VG_ERR_UNSUPPORTED;
                done = true;
                break;
            }
            /* a mapping key must be a scalar (ytree.h; complex keys are not Sigma) */
            if (ev.type != YAML_SCALAR_EVENT && depth > 0 &&
                stack[depth - 1].node->kind == VG_Y_MAP && stack[depth - 1].n % 2 == 0) {
                set_err(err, VG_ERR_UNSUPPORTED, line, col,
                        "yaml mapping keys must be scalars (complex keys are not supported)");
                rc = VG_ERR_UNSUPPORTED;
                done = true;
                break;
            }
            if (++n_nodes > lim.max_nodes) {
                set_err(err, VG_ERR_LIMIT, line, col, "too many yaml nodes in one file");
                rc = VG_ERR_LIMIT;
                done = true;
                break;
            }
            node = vg_arena_alloc(a, sizeof(*node));
            if (!node) {
                rc = VG_ERR_NOMEM;
                set_err(err, rc, line, col, "out of memory");
                done = true;
                break;
            }
            memset(node, 0, sizeof(*node));
            node->line = line;
            node->col = col;
            if (ev.type == YAML_SCALAR_EVENT) {
                size_t slen = ev.data.scalar.length;
                if (slen > lim.max_scalar) {
                    set_err(err, VG_ERR_LIMIT, line, col, "yaml scalar too long");
                    rc = VG_ERR_LIMIT;
                    done = true;
                    break;
                }
                node->kind = VG_Y_SCALAR;
                node->str = vg_arena_strndup(a, (const char *)ev.data.scalar.value, slen);
                node->len = slen;
                node->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
                if (!node->str) {
                    rc = VG_ERR_NOMEM;
                    set_err(err, rc, line, col, "out of memory");
                    done = true;
                    break;
                }
            } else {
                node->kind = ev.type == YAML_MAPPING_START_EVENT ? VG_Y_MAP : VG_Y_SEQ;
            }
            /* attach to the open collection, or make it the document root */
            if (depth > 0) {
                if (!push_item(&stack[depth - 1], node)) {
                    rc = VG_ERR_NOMEM;
                    set_err(err, rc, line, col, "out of memory");
                    done = true;
                    break;
                }
            } else {
                doc_root = node;
            }
            if (node->kind != VG_Y_SCALAR) {
                if (depth >= lim.max_depth) {
                    set_err(err, VG_ERR_LIMIT, line, col, "yaml nesting too deep");
                    rc = VG_ERR_LIMIT;
                    done = true;
                    break;
                }
                stack[depth].node = node;
                stack[depth].n = 0;
                depth++;
            }
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            open_coll *c = &stack[depth - 1];
            vg_ynode *coll = c->node;
            coll->items = vg_arena_alloc(a, (c->n ? c->n : 1) * sizeof(vg_ynode *));
            if (!coll->items) {
                rc = VG_ERR_NOMEM;
                set_err(err, rc, line, col, "out of memory");
                done = true;
                break;
            }
            if (c->n)
                memcpy(coll->items, c->items, c->n * sizeof(vg_ynode *));
            coll->n = coll->kind == VG_Y_MAP ? c->n / 2 : c->n;
            depth--;
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    for (size_t i = 0; i <= lim.max_depth; i++)
        vg_free(stack[i].items);
    vg_free(stack);
    yaml_parser_delete(&parser);
    if (n_docs) {
        vg_ydoc *ad = vg_arena_memdup(a, docs, n_docs * sizeof(*docs));
        if (ad) {
            *docs_out = ad;
            *n_docs_out = n_docs;
        } else if (rc == VG_OK) {
            rc = VG_ERR_NOMEM;
            set_err(err, rc, 0, 0, "out of memory");
        }
    }
    vg_free(docs);
    return rc;
}
