/* A network as an ONNX model (opset 17, IR version 8): protobuf-c's messages of the
 * onnx.proto Debian's libonnx-dev ships (compiled by protoc-c at build time), filled
 * here and packed by protobuf-c, never by hand.
 *
 * The graph takes the raw rows the library's predict takes and gives what it gives:
 * input scaling (Sub, Div, in double as the library scales: a float32 network's graph
 * casts its float rows to double and back around them), each layer (dense as Gemm with
 * transB = 1, which reads our row-major (out, in) weights as they are; layer and
 * batch normalization as LayerNormalization and BatchNormalization; dropout as
 * Dropout, the identity when predicting), each activation (an operator of opset 17
 * where it has one that ONNX Runtime runs in the network's type, else composed from
 * standard operators: GELU as torch.onnx writes it, SiLU as x·sigmoid(x), the tanh
 * GELU as x·sigmoid(2u), and in double, where ONNX Runtime has no kernel for them,
 * LeakyReLU as max(x, 0.01x), ELU and softplus from Exp, Log and Where), then
 * output scaling. Its input is "input" and its output "output", (N, inputs) and
 * (N, outputs), N free, of the network's type. Class labels, column names, the
 * scalings' kind and the provenance go to the model's metadata (docs/onnx.md). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "../io/format.h"
#include "../model/model.h"

enum { OPSET = 17, IR_VERSION = 8 };
enum {
    T_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
    T_DOUBLE = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
};

/* A graph being built: its messages and everything they point to, allocated here and
 * freed together. Its arrays are sized once from the network (caps). */
typedef struct graph {
    void **mem;
    size_t n_mem, cap_mem;
    int nomem;
    Onnx__NodeProto **node;
    size_t n_node, cap_node;
    Onnx__TensorProto **init;
    size_t n_init, cap_init;
    Onnx__StringStringEntryProto **meta;
    size_t n_meta, cap_meta;
    int T;          /* the network's values: T_FLOAT or T_DOUBLE */
    const char *at; /* the prefix of the nodes being added: "layer3", "input_scaling" */
} graph;

static void *galloc(graph *g, size_t size)
{
    if (g->nomem) return NULL;
    if (g->n_mem == g->cap_mem) {
        const size_t cap = g->cap_mem ? 2 * g->cap_mem : 256;
        void **m = realloc(g->mem, cap * sizeof *m);
        if (m == NULL) {
            g->nomem = 1;
            return NULL;
        }
        g->mem = m;
        g->cap_mem = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p == NULL) {
        g->nomem = 1;
        return NULL;
    }
    return g->mem[g->n_mem++] = p;
}

static void graph_free(graph *g)
{
    for (size_t i = 0; i < g->n_mem; i++) free(g->mem[i]);
    free(g->mem);
    free(g->node);
    free(g->init);
    free(g->meta);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static char *
gstr(graph *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : galloc(g, (size_t)n + 1);
    if (s == NULL) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static Onnx__AttributeProto *attr(graph *g, const char *name, int is_float, int64_t i, float f)
{
    Onnx__AttributeProto *a = galloc(g, sizeof *a);
    if (a == NULL) return NULL;
    mlp__onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    if (is_float) {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        a->has_f = 1;
        a->f = f;
    } else {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        a->has_i = 1;
        a->i = i;
    }
    return a;
}
#define ATTR_I(g, name, v) attr((g), (name), 0, (v), 0.0f)

/* The attribute axes = [-1]: the last axis, a row's values. */
static Onnx__AttributeProto *last_axis(graph *g)
{
    Onnx__AttributeProto *a = galloc(g, sizeof *a);
    int64_t *v = galloc(g, sizeof *v);
    if (a == NULL || v == NULL) return NULL;
    mlp__onnx__attribute_proto__init(a);
    a->name = (char *)"axes";
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    v[0] = -1;
    a->n_ints = 1;
    a->ints = v;
    return a;
}
#define ATTR_F(g, name, v) attr((g), (name), 1, 0, (float)(v))

/* Add a node `op` on inputs ins[0..n_in) with up to two attributes; its output's name,
 * unique in the graph ("layer3/Gemm_7"), or NULL when out of memory. */
static const char *node(graph *g, const char *op, const char *const *ins, size_t n_in,
                        Onnx__AttributeProto *a0, Onnx__AttributeProto *a1)
{
    Onnx__NodeProto *nd = galloc(g, sizeof *nd);
    char **in = galloc(g, n_in * sizeof *in), **out = galloc(g, sizeof *out);
    Onnx__AttributeProto **at = galloc(g, 2 * sizeof *at);
    char *name = gstr(g, "%s/%s_%zu", g->at, op, g->n_node);
    if (nd == NULL || in == NULL || out == NULL || at == NULL || name == NULL) return NULL;
    if (g->n_node == g->cap_node) { /* the caps bound what a layer adds: never */
        g->nomem = 1;
        return NULL;
    }
    mlp__onnx__node_proto__init(nd);
    for (size_t i = 0; i < n_in; i++) {
        if (ins[i] == NULL) return NULL;
        in[i] = (char *)ins[i];
    }
    out[0] = name;
    nd->n_input = n_in;
    nd->input = in;
    nd->n_output = 1;
    nd->output = out;
    nd->name = name;
    nd->op_type = (char *)op;
    if (a0 != NULL) at[nd->n_attribute++] = a0;
    if (a1 != NULL) at[nd->n_attribute++] = a1;
    nd->attribute = at;
    g->node[g->n_node++] = nd;
    return name;
}

static const char *op1(graph *g, const char *op, const char *x)
{
    return node(g, op, (const char *const[]){x}, 1, NULL, NULL);
}

static const char *op2(graph *g, const char *op, const char *x, const char *y)
{
    return node(g, op, (const char *const[]){x, y}, 2, NULL, NULL);
}

static const char *cast(graph *g, const char *x, int to)
{
    return node(g, "Cast", (const char *const[]){x}, 1, ATTR_I(g, "to", to), NULL);
}

/* An initializer of `type` holding n values (a float network's values are floats, the
 * rest doubles), of shape (rows, n / rows), or (n) for rows 0, or a scalar for
 * rows 0 and scalar set. Its values are referenced, not copied: they outlive the graph. */
static const char *tensor(graph *g, const char *name, int type, const void *v, size_t n,
                          size_t rows, int scalar)
{
    Onnx__TensorProto *t = galloc(g, sizeof *t);
    int64_t *dims = galloc(g, 2 * sizeof *dims);
    if (t == NULL || dims == NULL || name == NULL) return NULL;
    if (g->n_init == g->cap_init) {
        g->nomem = 1;
        return NULL;
    }
    mlp__onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = type;
    if (!scalar) {
        dims[t->n_dims++] = (int64_t)(rows ? rows : n);
        if (rows) dims[t->n_dims++] = (int64_t)(n / rows);
    }
    t->dims = dims;
    if (type == T_FLOAT) {
        t->n_float_data = n;
        t->float_data = (float *)v; /* read only: protobuf-c packs it */
    } else {
        t->n_double_data = n;
        t->double_data = (double *)v;
    }
    g->init[g->n_init++] = t;
    return name;
}

/* A scalar constant in the network's type, one initializer per value. */
static const char *constant(graph *g, double v)
{
    const char *name = gstr(g, "const/%s/%.17g", g->T == T_FLOAT ? "float" : "double", v);
    if (name == NULL) return NULL;
    for (size_t i = 0; i < g->n_init; i++)
        if (strcmp(g->init[i]->name, name) == 0) return g->init[i]->name;
    void *p = galloc(g, sizeof(double));
    if (p == NULL) return NULL;
    if (g->T == T_FLOAT)
        *(float *)p = (float)v;
    else
        *(double *)p = v;
    return tensor(g, name, g->T, p, 1, 0, 1);
}

/* An activation applied to x; its output. */
static const char *activation(graph *g, mlp_activation act, const char *x)
{
    const int dbl = g->T == T_DOUBLE;
    switch (act) {
    case MLP_ACT_IDENTITY:
        return x;
    case MLP_ACT_RELU:
        return op1(g, "Relu", x);
    case MLP_ACT_TANH:
        return op1(g, "Tanh", x);
    case MLP_ACT_SIGMOID:
        return op1(g, "Sigmoid", x);
    case MLP_ACT_SOFTMAX:
        return node(g, "Softmax", &x, 1, ATTR_I(g, "axis", -1), NULL);
    case MLP_ACT_LEAKY_RELU: /* LeakyRelu's alpha is a float attribute: 0.01 rounded */
        if (!dbl)
            return node(g, "LeakyRelu", &x, 1, ATTR_F(g, "alpha", MLP_LEAKY_RELU_SLOPE), NULL);
        return op2(g, "Max", x, op2(g, "Mul", x, constant(g, MLP_LEAKY_RELU_SLOPE)));
    case MLP_ACT_ELU:
        if (!dbl) return node(g, "Elu", &x, 1, ATTR_F(g, "alpha", 1.0), NULL);
        return node(g, "Where",
                    (const char *const[]){op2(g, "Greater", x, constant(g, 0.0)), x,
                                          op2(g, "Sub", op1(g, "Exp", x), constant(g, 1.0))},
                    3, NULL, NULL);
    case MLP_ACT_SOFTPLUS: /* max(x, 0) + log(1 + exp(-|x|)) */
        if (!dbl) return op1(g, "Softplus", x);
        return op2(
            g, "Add", op1(g, "Relu", x),
            op1(g, "Log",
                op2(g, "Add", op1(g, "Exp", op1(g, "Neg", op1(g, "Abs", x))), constant(g, 1.0))));
    case MLP_ACT_GELU: /* x (1 + erf(x / √2)) / 2, as torch.onnx writes it */
        return op2(g, "Mul",
                   op2(g, "Mul", x,
                       op2(g, "Add", op1(g, "Erf", op2(g, "Div", x, constant(g, sqrt(2.0)))),
                           constant(g, 1.0))),
                   constant(g, 0.5));
    case MLP_ACT_GELU_TANH: { /* x σ(2u), u = √(2/π) (x + 0.044715 x³), as the library */
        const char *x3 = op2(g, "Mul", op2(g, "Mul", x, x), x);
        const char *u2 = op2(g, "Mul", op2(g, "Add", x, op2(g, "Mul", x3, constant(g, 0.044715))),
                             constant(g, 2.0 * 0x1.9884533d43651p-1));
        return op2(g, "Mul", x, op1(g, "Sigmoid", u2));
    }
    case MLP_ACT_SILU:
        return op2(g, "Mul", x, op1(g, "Sigmoid", x));
    }
    return NULL;
}

/* Text ONNX can carry in a string: UTF-8 (well-formed, no overlong forms or surrogates). */
static int utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t len = (*p & 0xE0) == 0xC0   ? 2
                     : (*p & 0xF0) == 0xE0 ? 3
                     : (*p & 0xF8) == 0xF0 ? 4
                                           : 0;
        if (len == 0) return 0;
        uint32_t c = *p & (0x7F >> len);
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            c = c << 6 | (p[i] & 0x3F);
        }
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
            c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        p += len;
    }
    return 1;
}

static void meta(graph *g, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = galloc(g, sizeof *e);
    if (e == NULL || key == NULL || value == NULL) return;
    if (g->n_meta == g->cap_meta) {
        g->nomem = 1;
        return;
    }
    mlp__onnx__string_string_entry_proto__init(e);
    e->key = (char *)key;
    e->value = (char *)value;
    g->meta[g->n_meta++] = e;
}

/* The graph's input or output: a tensor of the network's type, (N, width). */
static Onnx__ValueInfoProto *value_info(graph *g, const char *name, size_t width)
{
    Onnx__ValueInfoProto *v = galloc(g, sizeof *v);
    Onnx__TypeProto *t = galloc(g, sizeof *t);
    Onnx__TypeProto__Tensor *tt = galloc(g, sizeof *tt);
    Onnx__TensorShapeProto *sh = galloc(g, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **d = galloc(g, 2 * sizeof *d);
    Onnx__TensorShapeProto__Dimension *d0 = galloc(g, sizeof *d0), *d1 = galloc(g, sizeof *d1);
    if (v == NULL || t == NULL || tt == NULL || sh == NULL || d == NULL || d0 == NULL || d1 == NULL)
        return NULL;
    mlp__onnx__value_info_proto__init(v);
    mlp__onnx__type_proto__init(t);
    mlp__onnx__type_proto__tensor__init(tt);
    mlp__onnx__tensor_shape_proto__init(sh);
    mlp__onnx__tensor_shape_proto__dimension__init(d0);
    mlp__onnx__tensor_shape_proto__dimension__init(d1);
    d0->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    d0->dim_param = (char *)"N";
    d1->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    d1->dim_value = (int64_t)width;
    d[0] = d0;
    d[1] = d1;
    sh->n_dim = 2;
    sh->dim = d;
    tt->has_elem_type = 1;
    tt->elem_type = g->T;
    tt->shape = sh;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->name = (char *)name;
    v->type = t;
    return v;
}

static const char *scaling_name(int method)
{
    return method == MLP_SCALE_STANDARD ? "standard"
           : method == MLP_SCALE_MINMAX ? "minmax"
                                        : "none";
}

/* The model's metadata: what the graph cannot say. */
static void put_metadata(graph *g, const mlp_net *net)
{
    const mlp__prep *p = &net->prep;
    const mlp_record *r = &net->record;
    meta(g, "libmlp.precision", net->f32 ? "float32" : "float64");
    if (p->in_shift != NULL) meta(g, "libmlp.input_scaling", scaling_name(p->in_method));
    if (p->out_shift != NULL) meta(g, "libmlp.output_scaling", scaling_name(p->out_method));
    for (size_t i = 0; i < p->n_in_names; i++)
        meta(g, gstr(g, "libmlp.input.%zu", i), p->in_names[i]);
    for (size_t i = 0; i < p->n_targets; i++)
        meta(g, gstr(g, "libmlp.target.%zu", i), p->out_names[i]);
    for (size_t c = 0; c < p->n_classes; c++)
        meta(g, gstr(g, "libmlp.class.%zu", c), p->classes[c]);
    /* the settings the graph holds rounded to float, or not at all, in full */
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (L->kind == MLP_LAYER_LAYERNORM || L->kind == MLP_LAYER_BATCHNORM)
            meta(g, gstr(g, "libmlp.layer.%zu.epsilon", l), gstr(g, "%.17g", L->epsilon));
        if (L->kind == MLP_LAYER_BATCHNORM)
            meta(g, gstr(g, "libmlp.layer.%zu.momentum", l), gstr(g, "%.17g", L->momentum));
        if (L->kind == MLP_LAYER_BATCHNORM && !L->has_bias && net->f32)
            meta(g, gstr(g, "libmlp.layer.%zu.bias", l), "none");
        if (L->kind == MLP_LAYER_DROPOUT)
            meta(g, gstr(g, "libmlp.layer.%zu.rate", l), gstr(g, "%.17g", L->rate));
    }
    if (r->info.trained) {
        const size_t kept = r->info.kept_epoch;
        char kept_text[160] = "";
        if (kept > 0 && !isnan(r->val_history[kept - 1]))
            snprintf(kept_text, sizeof kept_text,
                     "; the weights of epoch %zu (training loss %.6g, validation loss %.6g)", kept,
                     r->history[kept - 1], r->val_history[kept - 1]);
        else if (kept > 0)
            snprintf(kept_text, sizeof kept_text, "; the weights of epoch %zu (training loss %.6g)",
                     kept, r->history[kept - 1]);
        else if (r->info.epochs > 0)
            snprintf(kept_text, sizeof kept_text, "; last loss %.6g",
                     r->history[r->info.epochs - 1]);
        meta(g, "libmlp.provenance",
             gstr(g, "trained %zu epochs, loss %s, optimizer %s, batch %zu, seed %llu%s",
                  r->info.epochs, mlp_loss_name(r->info.loss), mlp_optimizer_name(r->opt.kind),
                  r->info.batch_size, (unsigned long long)r->info.seed, kept_text));
    } else {
        meta(g, "libmlp.provenance", "not trained");
    }
}

/* The values of a network's block from `off`, as the graph's type holds them. */
static const void *values(const mlp_net *net, size_t off)
{
    return net->f32 ? (const void *)(net->params_f32 + off) : (const void *)(net->params + off);
}

static const void *state(const mlp_net *net, size_t off)
{
    return net->f32 ? (const void *)(net->state_f32 + off) : (const void *)(net->state + off);
}

/* The graph of `net` into g; 0, or -1 when out of memory. */
static int build(graph *g, const mlp_net *net, const void *zeros)
{
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    const char *x = "input";
    if (p->in_shift != NULL) {
        g->at = "input_scaling";
        if (net->f32) x = cast(g, x, T_DOUBLE);
        x = op2(g, "Sub", x, tensor(g, "input_shift", T_DOUBLE, p->in_shift, in, 0, 0));
        x = op2(g, "Div", x, tensor(g, "input_scale", T_DOUBLE, p->in_scale, in, 0, 0));
        if (net->f32) x = cast(g, x, T_FLOAT);
    }
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        g->at = gstr(g, "layer%zu", l);
        if (g->at == NULL) return -1;
        switch (L->kind) {
        case MLP_LAYER_DENSE: {
            const char *ins[3] = {x, tensor(g, gstr(g, "layer%zu.weight", l), g->T,
                                            values(net, L->w_off), L->out * L->in, L->out, 0)};
            if (L->has_bias)
                ins[2] = tensor(g, gstr(g, "layer%zu.bias", l), g->T, values(net, L->b_off), L->out,
                                0, 0);
            x = node(g, "Gemm", ins, L->has_bias ? 3 : 2, ATTR_I(g, "transB", 1), NULL);
            break;
        }
        case MLP_LAYER_LAYERNORM: {
            const char *ins[3] = {x, tensor(g, gstr(g, "layer%zu.gain", l), g->T,
                                            values(net, L->w_off), L->out, 0, 0)};
            if (L->has_bias)
                ins[2] = tensor(g, gstr(g, "layer%zu.bias", l), g->T, values(net, L->b_off), L->out,
                                0, 0);
            if (!net->f32) { /* composed, its ε a double */
                const char *d = op2(g, "Sub", x, node(g, "ReduceMean", &x, 1, last_axis(g), NULL));
                const char *d2 = op2(g, "Mul", d, d);
                const char *v = node(g, "ReduceMean", &d2, 1, last_axis(g), NULL);
                x = op2(g, "Mul",
                        op2(g, "Div", d, op1(g, "Sqrt", op2(g, "Add", v, constant(g, L->epsilon)))),
                        ins[1]);
                if (L->has_bias) x = op2(g, "Add", x, ins[2]);
                break;
            }
            x = node(g, "LayerNormalization", ins, L->has_bias ? 3 : 2, ATTR_I(g, "axis", -1),
                     ATTR_F(g, "epsilon", L->epsilon));
            break;
        }
        case MLP_LAYER_BATCHNORM: {
            const char *ins[5] = {
                x,
                tensor(g, gstr(g, "layer%zu.gain", l), g->T, values(net, L->w_off), L->out, 0, 0),
                NULL,
                tensor(g, gstr(g, "layer%zu.running_mean", l), g->T, state(net, L->s_off), L->out,
                       0, 0),
                tensor(g, gstr(g, "layer%zu.running_var", l), g->T, state(net, L->s_off + L->out),
                       L->out, 0, 0)};
            /* ONNX's B is not optional: zeros stand for a bias the layer does not have */
            if (L->has_bias || net->f32)
                ins[2] = tensor(g, gstr(g, "layer%zu.bias", l), g->T,
                                L->has_bias ? values(net, L->b_off) : zeros, L->out, 0, 0);
            if (!net->f32) { /* composed, its ε a double: the library's own arithmetic,
                                x s + t, s = γ / √(var + ε), t = β − mean s */
                const char *sc =
                    op2(g, "Div", ins[1],
                        op1(g, "Sqrt", op2(g, "Add", ins[4], constant(g, L->epsilon))));
                const char *t = op2(g, "Sub", L->has_bias ? ins[2] : constant(g, 0.0),
                                    op2(g, "Mul", ins[3], sc));
                x = op2(g, "Add", op2(g, "Mul", x, sc), t);
                break;
            }
            /* ONNX's momentum weighs the running value: 1 − ours */
            x = node(g, "BatchNormalization", ins, 5, ATTR_F(g, "epsilon", L->epsilon),
                     ATTR_F(g, "momentum", 1.0 - L->momentum));
            break;
        }
        case MLP_LAYER_DROPOUT: /* the identity when predicting, as ONNX's Dropout is */
            x = op2(g, "Dropout", x, constant(g, L->rate));
            break;
        }
        x = activation(g, L->act, x);
    }
    if (p->out_shift != NULL) {
        g->at = "output_scaling";
        if (net->f32) x = cast(g, x, T_DOUBLE);
        x = op2(g, "Mul", x, tensor(g, "output_scale", T_DOUBLE, p->out_scale, k, 0, 0));
        x = op2(g, "Add", x, tensor(g, "output_shift", T_DOUBLE, p->out_shift, k, 0, 0));
        if (net->f32) x = cast(g, x, T_FLOAT);
    }
    if (x == NULL || g->nomem || g->n_node == 0) return -1;
    g->node[g->n_node - 1]->output[0] = (char *)"output"; /* x is the last node's output */
    put_metadata(g, net);
    return g->nomem ? -1 : 0;
}

/* The checks before a network is written. */
static mlp_status export_ok(const mlp_net *net, const char *fn)
{
    MLP_CHECK(net != NULL, MLP_ERR_INVALID_ARG, "%s: net is NULL", fn);
    MLP_CHECK(mlp__net_finite(net), MLP_ERR_NUMERIC,
              "%s: the network holds NaN or infinite numbers", fn);
    const mlp_status coded =
        mlp__columns_exportable(&net->prep.columns, "the ONNX export writes a graph of", fn);
    if (coded != MLP_OK) return coded;
    const mlp__prep *p = &net->prep;
    const struct {
        char **s;
        size_t n;
        const char *what;
    } text[] = {{p->in_names, p->n_in_names, "input column name"},
                {p->out_names, p->n_targets, "target column name"},
                {p->classes, p->n_classes, "class label"}};
    for (size_t t = 0; t < sizeof text / sizeof text[0]; t++)
        for (size_t i = 0; i < text[t].n; i++)
            MLP_CHECK(utf8(text[t].s[i]), MLP_ERR_INVALID_ARG,
                      "%s: %s %zu is not UTF-8 text, which ONNX's strings must be", fn,
                      text[t].what, i + 1);
    return MLP_OK;
}

/* The network as a packed ONNX model in *buf (malloc'ed, *size bytes). */
static mlp_status pack(const mlp_net *net, unsigned char **buf, size_t *size, const char *fn)
{
    mlp_status s = export_ok(net, fn);
    if (s != MLP_OK) return s;
    const mlp__prep *p = &net->prep;
    size_t wide = 1;
    for (size_t l = 0; l < net->n_layers; l++)
        wide = net->layers[l].out > wide ? net->layers[l].out : wide;
    graph g = {0};
    g.T = net->f32 ? T_FLOAT : T_DOUBLE;
    g.cap_node = 16 * net->n_layers + 16;
    g.cap_init = 8 * net->n_layers + 16;
    g.cap_meta = p->n_in_names + p->n_targets + p->n_classes + 4 * net->n_layers + 8;
    g.node = malloc(g.cap_node * sizeof *g.node);
    g.init = malloc(g.cap_init * sizeof *g.init);
    g.meta = malloc(g.cap_meta * sizeof *g.meta);
    void *zeros = calloc(wide, sizeof(double));
    Onnx__ModelProto m;
    Onnx__GraphProto gp;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__ValueInfoProto *io[2] = {NULL, NULL};
    int failed = g.node == NULL || g.init == NULL || g.meta == NULL || zeros == NULL ||
                 build(&g, net, zeros) != 0;
    if (!failed) {
        io[0] = value_info(&g, "input", net->n_inputs);
        io[1] = value_info(&g, "output", mlp_net_n_outputs(net));
        failed = io[0] == NULL || io[1] == NULL;
    }
    *buf = NULL;
    if (!failed) {
        mlp__onnx__graph_proto__init(&gp);
        gp.name = (char *)"libmlp";
        gp.n_node = g.n_node;
        gp.node = g.node;
        gp.n_initializer = g.n_init;
        gp.initializer = g.init;
        gp.n_input = 1;
        gp.input = &io[0];
        gp.n_output = 1;
        gp.output = &io[1];
        mlp__onnx__operator_set_id_proto__init(&opset);
        opset.domain = (char *)"";
        opset.has_version = 1;
        opset.version = OPSET;
        mlp__onnx__model_proto__init(&m);
        m.has_ir_version = 1;
        m.ir_version = IR_VERSION;
        m.n_opset_import = 1;
        m.opset_import = opsets;
        m.producer_name = (char *)"libmlp";
        m.producer_version = (char *)MLP_VERSION_STRING;
        m.graph = &gp;
        m.n_metadata_props = g.n_meta;
        m.metadata_props = g.meta;
        *size = mlp__onnx__model_proto__get_packed_size(&m);
        *buf = malloc(*size ? *size : 1);
        if (*buf != NULL) mlp__onnx__model_proto__pack(&m, *buf);
        failed = *buf == NULL;
    }
    graph_free(&g);
    free(zeros);
    MLP_CHECK(!failed, MLP_ERR_NOMEM, "%s: cannot allocate the ONNX model", fn);
    return MLP_OK;
}

mlp_status mlp_net_export_onnx_buffer(const mlp_net *net, void *buf, size_t capacity, size_t *size)
{
    MLP_CHECK_PTR(size);
    unsigned char *packed;
    size_t n;
    mlp_status s = pack(net, &packed, &n, __func__);
    if (s != MLP_OK) return s;
    *size = n;
    if (buf != NULL && capacity < n) {
        free(packed);
        return mlp__fail(MLP_ERR_SHAPE,
                         "%s: the model needs %zu bytes and the buffer holds %zu; nothing written",
                         __func__, n, capacity);
    }
    if (buf != NULL) memcpy(buf, packed, n);
    free(packed);
    return MLP_OK;
}

mlp_status mlp_net_export_onnx(const mlp_net *net, const char *path)
{
    MLP_CHECK(path != NULL && path[0] != '\0', MLP_ERR_INVALID_ARG, "%s: path is NULL or empty",
              __func__);
    unsigned char *packed;
    size_t n;
    mlp_status s = pack(net, &packed, &n, __func__);
    if (s != MLP_OK) return s;
    s = mlp__write_file(path, packed, n, __func__);
    free(packed);
    return s;
}
