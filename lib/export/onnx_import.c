/* ONNX models into networks: the graphs this library writes (onnx.c) and those
 * torch.onnx writes for nn.Sequential of Linear, activations, Dropout, LayerNorm,
 * BatchNorm1d, Flatten and Softmax.
 *
 * A model file comes from anywhere. Before protobuf-c allocates anything, the bytes are
 * walked field by field with protobuf-c's own descriptors of onnx.proto (prescan): no
 * message nests deeper than MAX_DEPTH (protobuf-c's unpacking recurses without a
 * limit), the fields number at most MAX_ITEMS, and what unpacking them allocates is
 * bounded by a small multiple of the file's size. Then protobuf-c unpacks them.
 *
 * The graph is read as a chain: from the graph's input, each step is one piece (a
 * dense layer, a normalization, a dropout, an activation, the scaling at either end),
 * recognised as a pattern of nodes whose every operand is the chain's value or a
 * constant, whose inner values nothing else reads, and which occupy the next nodes in
 * order (constants aside). A pattern is an expression in a small prefix notation:
 * (Op ARG...) a node, X the chain's value, #K a one-value constant equal to K in the
 * graph's type, $s a constant captured in slot s; Add, Mul and Max match either order
 * of their operands. Whatever matches no pattern is refused, naming the node and its
 * operator; a value read twice (a skip connection) cannot match; every attribute of a
 * matched node is checked against what the library computes. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_graph.h"
#include "../io/format.h"

#define MAX_FILE ((size_t)1 << 31) /* protobuf's own limit: 2 GiB */

/* ---- a layer as the graph gives it --------------------------------------------------- */

typedef struct layer {
    mlp_layer_spec spec;
    const Onnx__TensorProto *w, *b, *mean, *var; /* w: weights or gain; b: bias */
    int transposed;                              /* w is (in, out) */
    int eps_how, mom_how, rate_how;              /* how the graph holds the setting: */
} layer;
enum { EXACT = 0, ROUNDED = 1, ABSENT = 2 }; /* as it is; rounded to float; not at all */

typedef struct graph_net {
    layer *layers;
    size_t n_layers, width, n_inputs;
    const Onnx__TensorProto *in_shift, *in_scale, *out_shift, *out_scale;
} graph_net;

static const Onnx__TensorProto *slot_tensor(const imp *im, const match *m, char s)
{
    return m->slot[s - 'a'] != NULL ? mlp__onnx_constant(im, m->slot[s - 'a']) : NULL;
}

/* The tensor holds n values (a vector, or a (1, n) row). */
static int vector_of(const Onnx__TensorProto *t, size_t n)
{
    if (t == NULL || mlp__onnx_tensor_count(t) != n) return 0;
    return t->n_dims == 1 || (t->n_dims == 2 && t->dims[0] == 1);
}

/* The scalar a slot holds, or NAN. */
static double slot_scalar(const imp *im, const match *m, char s)
{
    const Onnx__TensorProto *t = slot_tensor(im, m, s);
    return t != NULL && mlp__onnx_tensor_count(t) == 1 ? mlp__onnx_tensor_at(t, 0) : NAN;
}

/* The decimal a float attribute stands for: the shortest that rounds to it, as Python's
 * repr writes a float (PyTorch's ε of 1e-5, stored as 9.99999975e-06), as a double. */
static double meant(double f)
{
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, f);
        if (strtof(buf, NULL) == (float)f) return strtod(buf, NULL);
    }
    return f;
}

/* Take one matched piece into the network being read. NULL, or why not. */
static const char *take_piece(const imp *im, graph_net *gn, const pattern *pt, const match *m,
                              const Onnx__NodeProto *root, int last, char *why, size_t size)
{
    layer *L = gn->n_layers > 0 ? &gn->layers[gn->n_layers - 1] : NULL;
    const int f32 = im->T == T_FLOAT;
    switch (pt->kind) {
    case P_PASS:
        return NULL;
    case P_ACT:
        if (L == NULL) return "an activation before any layer (libmlp's layers carry theirs)";
        if (L->spec.kind == MLP_LAYER_DROPOUT) return "an activation after a dropout";
        if (L->spec.activation != MLP_ACT_IDENTITY) {
            snprintf(why, size, "a second activation after the %s of layer %zu",
                     mlp_activation_name(L->spec.activation), gn->n_layers - 1);
            return why;
        }
        L->spec.activation = (mlp_activation)pt->arg;
        return NULL;
    case P_SCALE_IN:
    case P_SCALE_OUT: {
        const int in = pt->kind == P_SCALE_IN;
        if (in && (gn->n_layers > 0 || gn->in_shift != NULL))
            return "an affine step (Sub, Div) after the first layer";
        if (!in && !last) return "an affine step (Mul, Add) before the last layer's output";
        if (!in && gn->n_layers == 0) return "an affine step (Mul, Add) without a layer before it";
        if (pt->arg) { /* a float graph's casts to double and back */
            const Onnx__NodeProto *inner = im->node[m->used[0]];
            for (size_t i = 0; i < m->n_used; i++)
                if (!strcmp(im->node[m->used[i]]->op_type, "Cast") && im->node[m->used[i]] != root)
                    inner = im->node[m->used[i]];
            if (!f32 || mlp__onnx_attr_i(inner, "to", 0) != T_DOUBLE ||
                mlp__onnx_attr_i(root, "to", 0) != T_FLOAT)
                return "casts other than a float graph's to double and back";
        }
        const Onnx__TensorProto *shift = slot_tensor(im, m, 'a'), *scale = slot_tensor(im, m, 'b');
        const size_t n = gn->width; /* the values scaled: the input, or the last layer's */
        if (n == 0) return "a scaling of a width the graph does not give";
        if (!vector_of(shift, n) || !vector_of(scale, n)) {
            snprintf(why, size, "a shift and scale that are not %zu values each", n);
            return why;
        }
        if ((shift->data_type == T_DOUBLE) != (pt->arg || !f32) ||
            (scale->data_type == T_DOUBLE) != (pt->arg || !f32))
            return "a shift and scale of another type than the values they scale";
        for (size_t i = 0; i < n; i++)
            if (!(mlp__onnx_tensor_at(scale, i) > 0) || !isfinite(mlp__onnx_tensor_at(scale, i)) ||
                !isfinite(mlp__onnx_tensor_at(shift, i)))
                return "a scale that is not positive and finite, or a shift that is not finite";
        if (in) {
            gn->in_shift = shift;
            gn->in_scale = scale;
        } else {
            gn->out_shift = shift;
            gn->out_scale = scale;
        }
        return NULL;
    }
    default:
        break;
    }
    /* a layer */
    if (gn->n_layers == 4096) return "more than 4096 layers";
    layer *N = &gn->layers[gn->n_layers];
    memset(N, 0, sizeof *N);
    N->eps_how = N->mom_how = N->rate_how = ABSENT;
    mlp_layer_spec_init(&N->spec, sizeof N->spec);
    const Onnx__TensorProto *a = slot_tensor(im, m, 'a'), *b = slot_tensor(im, m, 'b');
    if (pt->kind == P_DENSE) {
        const int trans_b =
            !strcmp(root->op_type, "Gemm") && mlp__onnx_attr_i(root, "transB", 0) == 1;
        if (a == NULL || mlp__onnx_tensor_count(a) == SIZE_MAX || a->n_dims != 2 ||
            a->dims[0] == 0 || a->dims[1] == 0 || a->data_type != im->T)
            return "weights that are not a matrix of the graph's type";
        N->transposed = !trans_b;
        const size_t out = (size_t)a->dims[trans_b ? 0 : 1], in = (size_t)a->dims[trans_b ? 1 : 0];
        if (gn->width != 0 && in != gn->width) {
            snprintf(why, size, "weights for %zu inputs where the values are %zu wide", in,
                     gn->width);
            return why;
        }
        if (gn->width == 0 && gn->n_layers == 0) gn->n_inputs = in;
        if (b != NULL && (!vector_of(b, out) || b->data_type != im->T)) {
            snprintf(why, size, "a bias that is not %zu values of the graph's type", out);
            return why;
        }
        N->spec.kind = MLP_LAYER_DENSE;
        N->spec.size = out;
        N->spec.bias = b != NULL;
        N->w = a;
        N->b = b;
        gn->width = out;
    } else if (pt->kind == P_DROPOUT) {
        N->spec.kind = MLP_LAYER_DROPOUT;
        N->spec.bias = 0;
        const Onnx__TensorProto *r = slot_tensor(im, m, 'f');
        if (r != NULL) {
            if (mlp__onnx_tensor_count(r) != 1) return "a ratio that is not one number";
            N->spec.rate = r->data_type == T_FLOAT ? meant(mlp__onnx_tensor_at(r, 0))
                                                    : mlp__onnx_tensor_at(r, 0);
            N->rate_how = r->data_type == T_FLOAT ? ROUNDED : EXACT;
        } else {
            N->spec.rate = meant(mlp__onnx_attr_f(root, "ratio", 0.5f));
            N->rate_how = ROUNDED;
        }
        if (!(N->spec.rate >= 0 && N->spec.rate < 1)) return "a ratio outside [0, 1)";
        if (gn->width == 0) return "a dropout of a width the graph does not give";
        N->spec.size = gn->width;
    } else { /* a normalization */
        const int bn = pt->kind == P_BATCHNORM;
        const size_t n = a != NULL ? mlp__onnx_tensor_count(a) : 0;
        if (n == 0 || n == SIZE_MAX || !vector_of(a, n) || (gn->width != 0 && n != gn->width) ||
            a->data_type != im->T)
            return "a gain that is not one value a column of the graph's type";
        if (gn->width == 0 && gn->n_layers == 0) gn->n_inputs = n;
        gn->width = n;
        if (b != NULL && (!vector_of(b, n) || b->data_type != im->T))
            return "a bias that is not one value a column of the graph's type";
        N->spec.kind = bn ? MLP_LAYER_BATCHNORM : MLP_LAYER_LAYERNORM;
        N->spec.size = n;
        N->spec.bias = b != NULL;
        N->w = a;
        N->b = b;
        if (pt->arg == 0) { /* the operator: ε (and momentum) attributes, floats */
            N->spec.epsilon = meant(mlp__onnx_attr_f(root, "epsilon", 1e-5f));
            N->eps_how = ROUNDED;
            if (bn) { /* PyTorch's 0.1, written as 1 - 0.1 in float */
                N->spec.momentum = meant(1.0 - meant(mlp__onnx_attr_f(root, "momentum", 0.9f)));
                N->mom_how = ROUNDED;
            }
        } else {
            const Onnx__TensorProto *e = slot_tensor(im, m, 'e');
            const int rounded = e != NULL && e->data_type == T_FLOAT; /* torch's float graph */
            N->spec.epsilon = rounded ? meant(slot_scalar(im, m, 'e')) : slot_scalar(im, m, 'e');
            N->eps_how = rounded ? ROUNDED : EXACT;
        }
        if (!(N->spec.epsilon > 0) || !isfinite(N->spec.epsilon))
            return "an epsilon that is not positive and finite";
        if (bn && !(N->spec.momentum > 0 && N->spec.momentum <= 1))
            return "a momentum outside libmlp's (0, 1] (ONNX's [0, 1))";
        if (bn) {
            N->mean = slot_tensor(im, m, 'c');
            N->var = slot_tensor(im, m, 'd');
            if (!vector_of(N->mean, n) || !vector_of(N->var, n) || N->mean->data_type != im->T ||
                N->var->data_type != im->T)
                return "a running mean and variance that are not one value a column";
        }
    }
    gn->n_layers++;
    return NULL;
}

/* ---- the model's metadata ---------------------------------------------------------- */

static const char *meta(const Onnx__ModelProto *mp, const char *key)
{
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = mp->metadata_props[i];
        if (e->key != NULL && e->value != NULL && !strcmp(e->key, key)) return e->value;
    }
    return NULL;
}

/* A setting libmlp wrote in full beside the graph's (rounded) copy: taken when the two
 * agree, refused when they do not. */
static mlp_status exact_setting(const Onnx__ModelProto *mp, size_t l, const char *what, double *v,
                                int how, int one_minus, const char *fn)
{
    char key[64];
    snprintf(key, sizeof key, "libmlp.layer.%zu.%s", l, what);
    const char *s = meta(mp, key);
    if (s == NULL) return MLP_OK;
    char *end;
    errno = 0;
    const double x = strtod(s, &end);
    const double graph = one_minus ? 1.0 - *v : *v;
    const double mine = one_minus ? 1.0 - x : x;
    const int agrees = how == ABSENT || (how == EXACT && x == *v) ||
                       (how == ROUNDED && (float)mine == (float)graph);
    /* in the range the layer kind takes (mlp_layer_spec), whatever the graph holds */
    const int in_range = !strcmp(what, "momentum") ? x > 0 && x <= 1
                         : !strcmp(what, "rate")   ? x >= 0 && x < 1
                                                   : x > 0;
    MLP_CHECK(end != s && *end == '\0' && errno == 0 && isfinite(x) && agrees && in_range,
              MLP_ERR_FORMAT,
              "%s: the metadata %s (\"%.40s\") disagrees with the graph's %.9g", fn, key, s, *v);
    *v = x;
    return MLP_OK;
}

/* Names and labels: key.0, key.1, ... up to n (all of them or none). The strings stay
 * the model's until it is freed. */
static mlp_status meta_list(const Onnx__ModelProto *mp, const char *key, size_t n,
                            const char ***out, size_t *count, const char *fn)
{
    char k[64];
    size_t c = 0;
    for (; c <= n; c++) {
        snprintf(k, sizeof k, "%s.%zu", key, c);
        if (meta(mp, k) == NULL) break;
    }
    *out = NULL;
    *count = c;
    if (c == 0) return MLP_OK;
    MLP_CHECK(c <= n, MLP_ERR_FORMAT, "%s: more %s entries in the metadata than the graph has", fn,
              key);
    *out = malloc(c * sizeof **out);
    MLP_CHECK(*out != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu names", fn, c);
    for (size_t i = 0; i < c; i++) {
        snprintf(k, sizeof k, "%s.%zu", key, i);
        (*out)[i] = meta(mp, k);
    }
    return MLP_OK;
}

/* ---- the network ---------------------------------------------------------------------- */

static double *doubles_of(const Onnx__TensorProto *t, size_t n)
{
    double *v = malloc(n * sizeof *v);
    if (v != NULL)
        for (size_t i = 0; i < n; i++) v[i] = mlp__onnx_tensor_at(t, i);
    return v;
}

static mlp_status make_net(mlp_net **out, const imp *im, const Onnx__ModelProto *mp, graph_net *gn)
{
    const char *fn = im->fn;
    MLP_CHECK(gn->n_layers > 0 && gn->n_inputs > 0, MLP_ERR_FORMAT,
              "%s: the graph holds no layer libmlp reads", fn);
    mlp_layer_spec *specs = malloc(gn->n_layers * sizeof *specs);
    MLP_CHECK(specs != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu layers", fn, gn->n_layers);
    mlp_status s = MLP_OK;
    for (size_t l = 0; l < gn->n_layers && s == MLP_OK; l++) {
        layer *L = &gn->layers[l];
        if (L->spec.kind == MLP_LAYER_LAYERNORM || L->spec.kind == MLP_LAYER_BATCHNORM)
            s = exact_setting(mp, l, "epsilon", &L->spec.epsilon, L->eps_how, 0, fn);
        if (s == MLP_OK && L->spec.kind == MLP_LAYER_BATCHNORM)
            s = exact_setting(mp, l, "momentum", &L->spec.momentum, L->mom_how, 1, fn);
        if (s == MLP_OK && L->spec.kind == MLP_LAYER_DROPOUT)
            s = exact_setting(mp, l, "rate", &L->spec.rate, L->rate_how, 0, fn);
        char key[64];
        snprintf(key, sizeof key, "libmlp.layer.%zu.bias", l);
        const char *nb = meta(mp, key);
        if (s == MLP_OK && nb != NULL && !strcmp(nb, "none") && L->b != NULL) {
            /* a batch normalization without bias, written with ONNX's required zeros */
            for (size_t i = 0; i < L->spec.size && s == MLP_OK; i++)
                if (mlp__onnx_tensor_at(L->b, i) != 0.0)
                    s = mlp__fail(MLP_ERR_FORMAT,
                                  "%s: the metadata %s says no bias, the graph "
                                  "has one",
                                  fn, key);
            L->b = NULL;
            L->spec.bias = 0;
        }
        specs[l] = L->spec;
    }
    mlp_net *n = NULL;
    if (s == MLP_OK) {
        s = mlp__net_new(&n, gn->n_inputs, specs, gn->n_layers, fn);
        if (s != MLP_OK && s != MLP_ERR_NOMEM) /* the file's layers: its fault */
            s = mlp__fail(MLP_ERR_FORMAT, "%s: the graph's layers: %s", fn, mlp_error_detail());
    }
    free(specs);
    if (s != MLP_OK) return s;
    for (size_t l = 0; l < n->n_layers; l++) {
        const mlp_layer *NL = &n->layers[l];
        const layer *L = &gn->layers[l];
        double *p = n->params;
        if (L->spec.kind == MLP_LAYER_DENSE)
            for (size_t j = 0; j < NL->out; j++)
                for (size_t i = 0; i < NL->in; i++)
                    p[NL->w_off + j * NL->in + i] =
                        mlp__onnx_tensor_at(L->w, L->transposed ? i * NL->out + j : j * NL->in + i);
        else if (L->w != NULL)
            for (size_t j = 0; j < NL->out; j++) p[NL->w_off + j] = mlp__onnx_tensor_at(L->w, j);
        if (NL->has_bias)
            for (size_t j = 0; j < NL->out; j++) p[NL->b_off + j] = mlp__onnx_tensor_at(L->b, j);
        if (L->spec.kind == MLP_LAYER_BATCHNORM) {
            for (size_t j = 0; j < NL->out; j++) {
                n->state[NL->s_off + j] = mlp__onnx_tensor_at(L->mean, j);
                n->state[NL->s_off + NL->out + j] = mlp__onnx_tensor_at(L->var, j);
            }
            const char *why = NL->type->passes->state_refused(NL, n->state + NL->s_off);
            if (why != NULL) {
                s = mlp__fail(MLP_ERR_FORMAT, "%s: layer %zu (%s) holds %s", fn, l, NL->type->name,
                              why);
                break;
            }
        }
    }
    mlp__prep *pr = &n->prep;
    const size_t k = mlp_net_n_outputs(n);
    if (s == MLP_OK && gn->out_shift != NULL && gn->width != k)
        s = mlp__fail(MLP_ERR_FORMAT, "%s: an output scaling of %zu values for %zu outputs", fn,
                      gn->width, k);
    const char *method[2] = {meta(mp, "libmlp.input_scaling"), meta(mp, "libmlp.output_scaling")};
    for (int i = 0; i < 2 && s == MLP_OK; i++) {
        const Onnx__TensorProto *sh = i ? gn->out_shift : gn->in_shift;
        const Onnx__TensorProto *sc = i ? gn->out_scale : gn->in_scale;
        if (sh == NULL) continue;
        const size_t w = i ? k : n->n_inputs;
        double **dsh = i ? &pr->out_shift : &pr->in_shift,
               **dsc = i ? &pr->out_scale : &pr->in_scale;
        *dsh = doubles_of(sh, w);
        *dsc = doubles_of(sc, w);
        if (*dsh == NULL || *dsc == NULL) s = mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate", fn);
        /* the kind of scaling is a name only; a graph of elsewhere is called standard */
        const int m = method[i] != NULL && !strcmp(method[i], "minmax") ? MLP_SCALE_MINMAX
                                                                        : MLP_SCALE_STANDARD;
        if (i)
            pr->out_method = m;
        else
            pr->in_method = m;
    }
    if (s == MLP_OK && !mlp__net_finite(n))
        s = mlp__fail(MLP_ERR_FORMAT, "%s: the model holds NaN or infinite values", fn);
    const char **names = NULL, **targets = NULL, **classes = NULL;
    size_t n_names = 0, n_targets = 0, n_classes = 0;
    if (s == MLP_OK) s = meta_list(mp, "libmlp.input", n->n_inputs, &names, &n_names, fn);
    if (s == MLP_OK) s = meta_list(mp, "libmlp.target", k, &targets, &n_targets, fn);
    if (s == MLP_OK) s = meta_list(mp, "libmlp.class", k > 1 ? k : 2, &classes, &n_classes, fn);
    if (s == MLP_OK && (n_names > 0 || n_targets > 0)) {
        if (n_names != n->n_inputs)
            s = mlp__fail(MLP_ERR_FORMAT, "%s: the metadata names %zu of %zu inputs", fn, n_names,
                          n->n_inputs);
        else if ((s = mlp_net_set_columns(n, names, targets, n_targets)) != MLP_OK)
            s = mlp__fail(MLP_ERR_FORMAT, "%s: the metadata's column names: %s", fn,
                          mlp_error_detail());
    }
    if (s == MLP_OK && n_classes > 0 && (s = mlp_net_set_classes(n, classes, n_classes)) != MLP_OK)
        s = mlp__fail(MLP_ERR_FORMAT, "%s: the metadata's class labels: %s", fn,
                      mlp_error_detail());
    free(names);
    free(targets);
    free(classes);
    if (s == MLP_OK && im->T == T_FLOAT) { /* widened exactly, made floats again exactly */
        mlp_net *f = NULL;
        s = mlp__net_convert(&f, n, 1, fn);
        mlp_net_free(n);
        n = f;
    }
    if (s != MLP_OK) {
        mlp_net_free(n);
        return s;
    }
    *out = n;
    return MLP_OK;
}

static mlp_status import(mlp_net **net, const Onnx__ModelProto *mp, const char *fn)
{
    const Onnx__GraphProto *g = mp->graph;
    MLP_CHECK(g != NULL, MLP_ERR_FORMAT, "%s: the model holds no graph", fn);
    int64_t opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        if (o->domain == NULL || o->domain[0] == '\0' || !strcmp(o->domain, "ai.onnx"))
            opset = o->version;
    }
    MLP_CHECK(opset >= 9 && opset <= 21, MLP_ERR_FORMAT,
              "%s: opset %lld of ONNX's operators: libmlp reads 9 to 21", fn, (long long)opset);
    MLP_CHECK(g->n_sparse_initializer == 0, MLP_ERR_FORMAT,
              "%s: sparse initializers, which libmlp does not read", fn);
    /* one input (IR 3's graphs list the initializers as inputs too) and one output */
    const Onnx__ValueInfoProto *input = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        int is_init = 0;
        for (size_t j = 0; j < g->n_initializer && !is_init; j++)
            is_init = g->input[i]->name != NULL && g->initializer[j]->name != NULL &&
                      !strcmp(g->input[i]->name, g->initializer[j]->name);
        if (is_init) continue;
        MLP_CHECK(input == NULL, MLP_ERR_FORMAT, "%s: the graph has more than one input", fn);
        input = g->input[i];
    }
    MLP_CHECK(input != NULL && input->name != NULL, MLP_ERR_FORMAT, "%s: the graph has no input",
              fn);
    MLP_CHECK(g->n_output == 1 && g->output[0]->name != NULL, MLP_ERR_FORMAT,
              "%s: the graph has %zu outputs; libmlp reads graphs of one", fn, g->n_output);
    size_t width, out_width;
    imp im = {g, fn, mlp__onnx_io_type(input, &width), NULL, 0, NULL, 0, 0, 0};
    MLP_CHECK(im.T == T_FLOAT || im.T == T_DOUBLE, MLP_ERR_FORMAT,
              "%s: the input \"%.80s\" is not a (rows, columns) tensor of float or double", fn,
              input->name);
    MLP_CHECK(mlp__onnx_io_type(g->output[0], &out_width) == im.T, MLP_ERR_FORMAT,
              "%s: the output is not a (rows, columns) tensor of the input's type", fn);
    graph_net gn = {NULL, 0, width, width, NULL, NULL, NULL, NULL};
    mlp_status s = mlp__onnx_index_graph(&im, input->name);
    named *out = s == MLP_OK ? mlp__onnx_lookup(&im, g->output[0]->name) : NULL;
    if (s == MLP_OK && out == NULL)
        s = mlp__fail(MLP_ERR_FORMAT, "%s: nothing makes the graph's output", fn);
    if (out != NULL) {
        out->readers++;
        gn.layers = malloc((im.n_node < 4096 ? im.n_node + 1 : 4097) * sizeof *gn.layers);
        if (gn.layers == NULL) s = mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate", fn);
    }
    const char *cur = input->name;
    for (size_t pos = 0; s == MLP_OK && pos < im.n_node;) {
        size_t w = 0;
        match m;
        const pattern *found = mlp__onnx_next_piece(&im, cur, pos, &m, &w);
        if (found == NULL) w = 1;
        const Onnx__NodeProto *first = im.node[pos], *root = im.node[pos + w - 1];
        if (found == NULL) {
            const named *x = mlp__onnx_lookup(&im, cur);
            size_t other = pos; /* a later node that reads the chain's value too */
            for (size_t i = pos + 1; x != NULL && x->readers > 1 && i < im.n_node; i++)
                for (size_t k = 0; k < im.node[i]->n_input; k++)
                    if (!strcmp(im.node[i]->input[k], cur)) other = i;
            const Onnx__NodeProto *o = im.node[other];
            if (other != pos)
                s = mlp__fail(MLP_ERR_FORMAT,
                              "%s: node %zu \"%.80s\" (%.40s) and node %zu \"%.80s\" (%.40s) both "
                              "read \"%.80s\": a skip connection, or a step of several nodes "
                              "libmlp does not have; it reads a chain of layers, each reading the "
                              "one before alone",
                              fn, pos, first->name ? first->name : "", first->op_type, other,
                              o->name ? o->name : "", o->op_type, cur);
            else
                s = mlp__fail(MLP_ERR_FORMAT,
                              "%s: node %zu \"%.80s\" (%.40s%s%.40s) is not a step libmlp reads",
                              fn, pos, first->name ? first->name : "", first->op_type,
                              first->domain && first->domain[0] ? ", domain " : "",
                              first->domain ? first->domain : "");
            break;
        }
        char why[160];
        const char *no = NULL;
        for (size_t i = 0; i < m.n_used && no == NULL; i++) {
            const Onnx__NodeProto *nd = im.node[m.used[i]];
            no = mlp__onnx_attributes_refused(nd, why, sizeof why);
            if (no != NULL)
                s = mlp__fail(MLP_ERR_FORMAT, "%s: node %zu \"%.80s\" (%.40s) has %s", fn,
                              m.used[i], nd->name ? nd->name : "", nd->op_type, no);
        }
        if (no != NULL) break;
        const int last = !strcmp(root->output[0], g->output[0]->name);
        no = take_piece(&im, &gn, found, &m, root, last, why, sizeof why);
        if (no != NULL) {
            s = mlp__fail(MLP_ERR_FORMAT, "%s: node %zu \"%.80s\" (%.40s): %s", fn, pos,
                          first->name ? first->name : "", first->op_type, no);
            break;
        }
        cur = root->output[0];
        pos += w;
    }
    if (s == MLP_OK && strcmp(cur, g->output[0]->name) != 0)
        s = mlp__fail(MLP_ERR_FORMAT, "%s: the graph's output is not the end of its chain", fn);
    if (s == MLP_OK && out_width != 0 && out_width != gn.width)
        s = mlp__fail(MLP_ERR_FORMAT, "%s: the output is said to be %zu wide and is %zu", fn,
                      out_width, gn.width);
    if (s == MLP_OK) s = make_net(net, &im, mp, &gn);
    free(gn.layers);
    free(im.names);
    free(im.node);
    return s;
}

mlp_status mlp_net_import_onnx_buffer(mlp_net **net, const void *buf, size_t size)
{
    MLP_CHECK_PTR(net);
    *net = NULL;
    MLP_CHECK_PTR(buf);
    mlp_status s = mlp__onnx_prescan(buf, size, __func__);
    if (s != MLP_OK) return s;
    Onnx__ModelProto *mp = mlp__onnx__model_proto__unpack(NULL, size, buf);
    MLP_CHECK(mp != NULL, MLP_ERR_FORMAT, "%s: not an ONNX model (protobuf-c cannot read it)",
              __func__);
    s = import(net, mp, __func__);
    mlp__onnx__model_proto__free_unpacked(mp, NULL);
    return s;
}

mlp_status mlp_net_import_onnx(mlp_net **net, const char *path)
{
    MLP_CHECK_PTR(net);
    *net = NULL;
    unsigned char *buf;
    size_t size;
    mlp_status s = mlp__read_file(path, &buf, &size, MAX_FILE, __func__);
    if (s != MLP_OK) return s;
    s = mlp__onnx_prescan(buf, size, __func__);
    Onnx__ModelProto *mp = s == MLP_OK ? mlp__onnx__model_proto__unpack(NULL, size, buf) : NULL;
    free(buf);
    if (s != MLP_OK) return s;
    MLP_CHECK(mp != NULL, MLP_ERR_FORMAT, "%s: %s is not an ONNX model (protobuf-c cannot read it)",
              __func__, path);
    s = import(net, mp, __func__);
    mlp__onnx__model_proto__free_unpacked(mp, NULL);
    return s;
}
