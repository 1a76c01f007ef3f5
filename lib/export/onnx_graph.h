/* ONNX graphs as the importer reads them: shared by onnx_graph.c (the bytes bounded,
 * the values indexed, the patterns of each step) and onnx_import.c (the steps into a
 * network), which calls it. */
#ifndef MLP_EXPORT_ONNX_GRAPH_H
#define MLP_EXPORT_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "../model/model.h"

enum { MAX_DEPTH = 16, MAX_ITEMS = 1 << 22, MAX_WINDOW = 16, MAX_USED = 32, N_SLOTS = 8 };
enum {
    T_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
    T_DOUBLE = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
};

typedef struct named {
    const char *name;
    const Onnx__TensorProto *t; /* a constant */
    long node;                  /* the compute node that makes it, or -1 */
    size_t readers; /* how many inputs of compute nodes read it (and the graph's output) */
} named;

typedef struct imp {
    const Onnx__GraphProto *g;
    const char *fn;
    int T;                        /* the graph's values: T_FLOAT or T_DOUBLE */
    const Onnx__NodeProto **node; /* the compute nodes, in order */
    size_t n_node;
    named *names; /* sorted by name */
    size_t n_names;
    size_t lo, hi; /* the window of nodes a pattern may use */
} imp;

typedef struct match {
    const char *x;                 /* the chain's value */
    const char *slot[N_SLOTS];     /* captured constants ($a .. $h) */
    size_t used[MAX_USED], n_used; /* the nodes matched */
} match;

typedef enum piece_kind {
    P_SCALE_IN,
    P_SCALE_OUT,
    P_DENSE,
    P_LAYERNORM,
    P_BATCHNORM,
    P_DROPOUT,
    P_ACT,
    P_PASS
} piece_kind;

typedef struct pattern {
    piece_kind kind;
    int arg; /* P_ACT: the activation; P_DENSE: 1 for MatMul's (in, out) weights;
                P_SCALE_*: 1 with the casts of a float graph around it */
    const char *expr;
} pattern;

/* Walk the bytes of a model with onnx.proto's descriptors before protobuf-c unpacks
 * them: nesting, field count and what unpacking allocates, bounded (MLP_ERR_FORMAT). */
mlp_status mlp__onnx_prescan(const uint8_t *buf, size_t n, const char *fn);

/* Index im->g: its constants (initializers, Constant nodes, Identity of a constant),
 * the other nodes in order (im->node), every value's maker and readers (im->names).
 * input is the graph's input. */
mlp_status mlp__onnx_index_graph(imp *im, const char *input);

named *mlp__onnx_lookup(const imp *im, const char *name);
const Onnx__TensorProto *mlp__onnx_constant(const imp *im, const char *name);

/* A tensor's element count, or SIZE_MAX when it is not a whole float or double tensor
 * held in the file; its element i as a double. */
size_t mlp__onnx_tensor_count(const Onnx__TensorProto *t);
double mlp__onnx_tensor_at(const Onnx__TensorProto *t, size_t i);

/* A graph input or output: T_FLOAT or T_DOUBLE and its width (0 unknown), or -1. */
int mlp__onnx_io_type(const Onnx__ValueInfoProto *v, size_t *width);

/* A node's attribute by name (NULL when absent); an int or float one, or dflt. */
const Onnx__AttributeProto *mlp__onnx_attribute(const Onnx__NodeProto *nd, const char *name);
int64_t mlp__onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t dflt);
double mlp__onnx_attr_f(const Onnx__NodeProto *nd, const char *name, float dflt);

/* Why the library cannot compute what the node's attributes ask (why: room for the
 * message), or NULL. */
const char *mlp__onnx_attributes_refused(const Onnx__NodeProto *nd, char *why, size_t size);

/* The piece of the chain from node pos on that reads cur: its pattern, the nodes it
 * takes (*width) and what they matched (m); NULL when no pattern matches there. */
const pattern *mlp__onnx_next_piece(imp *im, const char *cur, size_t pos, match *m, size_t *width);

#endif
