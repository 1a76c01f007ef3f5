/* ONNX graphs as this library reads them (onnx_import.c takes the pieces into a
 * network): the bytes bounded before protobuf-c allocates, the graph's values indexed,
 * and the patterns that recognise each step of a chain.
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

/* ---- bounds before allocation ----------------------------------------------------- */

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        const uint8_t b = *(*p)++;
        *v |= shift < 64 ? (uint64_t)(b & 0x7F) << shift : 0;
        if (!(b & 0x80)) return 1;
    }
    return 0;
}

/* Bytes a repeated scalar of this type takes in memory, or 0 for the other types. */
static size_t scalar_bytes(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_BOOL:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    default:
        return 0;
    }
}

mlp_status mlp__onnx_prescan(const uint8_t *buf, size_t n, const char *fn)
{
    struct {
        const uint8_t *end;
        const ProtobufCMessageDescriptor *d;
    } st[MAX_DEPTH + 1];
    int depth = 0;
    st[0].end = buf + n;
    st[0].d = &mlp__onnx__model_proto__descriptor;
    const uint8_t *p = buf;
    uint64_t items = 0, bytes = st[0].d->sizeof_message;
    while (depth >= 0) {
        if (p == st[depth].end) {
            depth--;
            continue;
        }
        const uint8_t *end = st[depth].end;
        uint64_t tag, v;
        MLP_CHECK(varint(&p, end, &tag) && (tag >> 3) > 0 && (tag >> 3) <= UINT32_MAX,
                  MLP_ERR_FORMAT, "%s: not an ONNX model (a broken field at byte %zu)", fn,
                  (size_t)(p - buf));
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(st[depth].d, (unsigned)(tag >> 3));
        MLP_CHECK(++items <= MAX_ITEMS, MLP_ERR_FORMAT,
                  "%s: more than %d fields: not a model of this library's size", fn, MAX_ITEMS);
        bytes += 8;
        switch (tag & 7) {
        case 0:
            MLP_CHECK(varint(&p, end, &v), MLP_ERR_FORMAT,
                      "%s: not an ONNX model (a broken number at byte %zu)", fn, (size_t)(p - buf));
            break;
        case 1:
        case 5: {
            const size_t w = (tag & 7) == 1 ? 8 : 4;
            MLP_CHECK((size_t)(end - p) >= w, MLP_ERR_FORMAT,
                      "%s: not an ONNX model (cut at byte %zu)", fn, (size_t)(p - buf));
            p += w;
            break;
        }
        case 2:
            MLP_CHECK(varint(&p, end, &v) && v <= (uint64_t)(end - p), MLP_ERR_FORMAT,
                      "%s: not an ONNX model (a length past the end at byte %zu)", fn,
                      (size_t)(p - buf));
            if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                MLP_CHECK(depth < MAX_DEPTH, MLP_ERR_FORMAT,
                          "%s: messages nested more than %d deep: not a graph this library "
                          "reads",
                          fn, MAX_DEPTH);
                const ProtobufCMessageDescriptor *d = f->descriptor;
                bytes += d->sizeof_message + 16;
                depth++;
                st[depth].end = p + v;
                st[depth].d = d;
                continue;
            }
            if (f != NULL && f->label == PROTOBUF_C_LABEL_REPEATED && scalar_bytes(f->type) > 0) {
                /* packed: at most one value a byte */
                bytes += v * 8;
            } else {
                bytes += v + 16; /* a string or bytes, copied; an unknown field, kept */
            }
            p += v;
            break;
        default: /* groups: not in onnx.proto */
            return mlp__fail(MLP_ERR_FORMAT, "%s: not an ONNX model (wire type %u at byte %zu)", fn,
                             (unsigned)(tag & 7), (size_t)(p - buf));
        }
    }
    MLP_CHECK(bytes <= 8 * (uint64_t)n + ((uint64_t)64 << 20), MLP_ERR_FORMAT,
              "%s: the model would take %llu bytes to read, more than 8 times its size", fn,
              (unsigned long long)bytes);
    return MLP_OK;
}

/* ---- the graph: constants, producers, consumers ------------------------------------ */

/* ONNX's own operators (not another set's of the same name). */
static int plain(const Onnx__NodeProto *nd)
{
    return nd->domain == NULL || nd->domain[0] == '\0' || !strcmp(nd->domain, "ai.onnx");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

named *mlp__onnx_lookup(const imp *im, const char *name)
{
    if (name == NULL || name[0] == '\0') return NULL;
    const named key = {name, NULL, -1, 0};
    return bsearch(&key, im->names, im->n_names, sizeof key, by_name);
}

const Onnx__TensorProto *mlp__onnx_constant(const imp *im, const char *name)
{
    const named *v = mlp__onnx_lookup(im, name);
    return v != NULL ? v->t : NULL;
}

/* Elements a tensor holds (its dims' product), or SIZE_MAX when it is not a plain
 * float or double tensor whose data is all there. */
size_t mlp__onnx_tensor_count(const Onnx__TensorProto *t)
{
    if (t->data_type != T_FLOAT && t->data_type != T_DOUBLE) return SIZE_MAX;
    if (t->has_data_location && t->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT)
        return SIZE_MAX;
    if (t->segment != NULL || t->n_dims > 8) return SIZE_MAX;
    size_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || (uint64_t)t->dims[i] > (uint64_t)INT32_MAX) return SIZE_MAX;
        if (t->dims[i] != 0 && n > (size_t)INT32_MAX / (size_t)t->dims[i]) return SIZE_MAX;
        n *= (size_t)t->dims[i];
    }
    const size_t w = t->data_type == T_FLOAT ? 4 : 8;
    if (t->has_raw_data) return t->raw_data.len == n * w ? n : SIZE_MAX;
    const size_t typed = t->data_type == T_FLOAT ? t->n_float_data : t->n_double_data;
    return typed == n ? n : SIZE_MAX;
}

/* Element i of a tensor mlp__onnx_tensor_count() accepted, as a double (a float widened). raw_data
 * is little-endian, as ONNX specifies. */
double mlp__onnx_tensor_at(const Onnx__TensorProto *t, size_t i)
{
    if (!t->has_raw_data) return t->data_type == T_FLOAT ? t->float_data[i] : t->double_data[i];
    const uint8_t *b = t->raw_data.data;
    if (t->data_type == T_FLOAT) {
        uint32_t u = 0;
        for (int k = 3; k >= 0; k--) u = u << 8 | b[4 * i + (size_t)k];
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    uint64_t u = 0;
    for (int k = 7; k >= 0; k--) u = u << 8 | b[8 * i + (size_t)k];
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- patterns ------------------------------------------------------------------------ */

static const char *skip_space(const char *p)
{
    while (*p == ' ') p++;
    return p;
}

/* The end of the expression at p. */
static const char *skip_expr(const char *p)
{
    p = skip_space(p);
    if (*p != '(') {
        while (*p != ' ' && *p != ')' && *p != '\0') p++;
        return p;
    }
    int depth = 0;
    do {
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        p++;
    } while (depth > 0 && *p != '\0');
    return p;
}

/* The node's inputs, trailing empty names (omitted optional inputs) left out. */
static size_t n_inputs_of(const Onnx__NodeProto *nd)
{
    size_t n = nd->n_input;
    while (n > 0 && (nd->input[n - 1] == NULL || nd->input[n - 1][0] == '\0')) n--;
    return n;
}

/* Does value v match the expression at p? */
static int mexpr(const imp *im, match *m, const char *p, const char *v)
{
    p = skip_space(p);
    if (v == NULL || v[0] == '\0') return 0;
    if (*p == 'X') return strcmp(v, m->x) == 0;
    if (*p == '#') {
        const double k = strtod(p + 1, NULL);
        const Onnx__TensorProto *t = mlp__onnx_constant(im, v);
        if (t == NULL || t->n_dims != 0 || mlp__onnx_tensor_count(t) != 1 || t->data_type != im->T)
            return 0;
        return t->data_type == T_FLOAT ? mlp__onnx_tensor_at(t, 0) == (double)(float)k
                                       : mlp__onnx_tensor_at(t, 0) == k;
    }
    if (*p == '$') {
        const int s = p[1] - 'a';
        if (mlp__onnx_constant(im, v) == NULL) return 0;
        if (m->slot[s] != NULL && strcmp(m->slot[s], v) != 0) return 0;
        m->slot[s] = v;
        return 1;
    }
    /* (Op ARG...) */
    p++;
    const char *op = p;
    while (*p != ' ' && *p != ')') p++;
    const size_t op_len = (size_t)(p - op);
    const char *arg[5];
    size_t n_arg = 0;
    for (p = skip_space(p); *p != ')'; p = skip_space(skip_expr(p))) arg[n_arg++] = p;
    const named *nv = mlp__onnx_lookup(im, v);
    if (nv == NULL || nv->node < 0) return 0;
    const size_t at = (size_t)nv->node;
    const Onnx__NodeProto *nd = im->node[at];
    if (!plain(nd)) return 0; /* another operator set's: not the operator of that name */
    if (at < im->lo || at > im->hi || strlen(nd->op_type) != op_len ||
        strncmp(nd->op_type, op, op_len) != 0 || n_inputs_of(nd) != n_arg)
        return 0;
    const int swap = n_arg == 2 && (!strcmp(nd->op_type, "Add") || !strcmp(nd->op_type, "Mul") ||
                                    !strcmp(nd->op_type, "Max"));
    const match before = *m;
    int ok = 1;
    for (size_t i = 0; i < n_arg && ok; i++) ok = mexpr(im, m, arg[i], nd->input[i]);
    if (!ok && swap) {
        *m = before;
        ok = mexpr(im, m, arg[0], nd->input[1]) && mexpr(im, m, arg[1], nd->input[0]);
    }
    if (!ok) return 0;
    for (size_t i = 0; i < m->n_used; i++)
        if (m->used[i] == at) return 1;
    if (m->n_used == MAX_USED) return 0;
    m->used[m->n_used++] = at;
    return 1;
}

/* The pieces of a normalization composed from operators (onnx.c writes float64's
 * so; torch.onnx before opset 17 writes the layer normalization with Pow) */
#define DEV "(Sub X (ReduceMean X))"
#define LN_NORM(var) "(Div " DEV " (Sqrt (Add (ReduceMean " var ") $e)))"
#define LN_OURS LN_NORM("(Mul " DEV " " DEV ")")
#define LN_TORCH LN_NORM("(Pow " DEV " #2)")
#define BN_SCALE "(Div $a (Sqrt (Add $d $e)))"
#define GELU_ERF "(Add (Erf (Div X #1.4142135623730951)) #1)"
#define CUBE_TERM "(Mul (Mul (Mul X X) X) #0.044715)"

/* Slots: $a weights, gain or shift; $b bias or scale; $c running mean; $d running
 * variance; $e epsilon; $f dropout rate. */
static const pattern patterns[] = {
    {P_DENSE, 0, "(Gemm X $a $b)"},
    {P_DENSE, 0, "(Gemm X $a)"},
    {P_DENSE, 1, "(Add (MatMul X $a) $b)"},
    {P_DENSE, 1, "(MatMul X $a)"},
    {P_LAYERNORM, 0, "(LayerNormalization X $a $b)"},
    {P_LAYERNORM, 0, "(LayerNormalization X $a)"},
    {P_LAYERNORM, 1, "(Add (Mul " LN_OURS " $a) $b)"},
    {P_LAYERNORM, 1, "(Mul " LN_OURS " $a)"},
    {P_LAYERNORM, 1, "(Add (Mul " LN_TORCH " $a) $b)"},
    {P_LAYERNORM, 1, "(Mul " LN_TORCH " $a)"},
    {P_BATCHNORM, 0, "(BatchNormalization X $a $b $c $d)"},
    {P_BATCHNORM, 2, "(Add (Mul X " BN_SCALE ") (Sub #0 (Mul $c " BN_SCALE ")))"},
    {P_BATCHNORM, 1, "(Add (Mul X " BN_SCALE ") (Sub $b (Mul $c " BN_SCALE ")))"},
    {P_DROPOUT, 0, "(Dropout X $f)"},
    {P_DROPOUT, 0, "(Dropout X)"},
    {P_SCALE_IN, 1, "(Cast (Div (Sub (Cast X) $a) $b))"},
    {P_SCALE_IN, 0, "(Div (Sub X $a) $b)"},
    {P_SCALE_OUT, 1, "(Cast (Add (Mul (Cast X) $b) $a))"},
    {P_SCALE_OUT, 0, "(Add (Mul X $b) $a)"},
    {P_ACT, MLP_ACT_GELU, "(Mul (Mul X " GELU_ERF ") #0.5)"},
    {P_ACT, MLP_ACT_GELU, "(Mul X (Mul " GELU_ERF " #0.5))"},
    {P_ACT, MLP_ACT_GELU_TANH,
     "(Mul (Mul X (Add (Tanh (Mul (Add X " CUBE_TERM ") #0.7978845608028654)) #1)) #0.5)"},
    {P_ACT, MLP_ACT_GELU_TANH, "(Mul X (Sigmoid (Mul (Add X " CUBE_TERM ") #1.5957691216057308)))"},
    {P_ACT, MLP_ACT_SOFTPLUS, "(Add (Relu X) (Log (Add (Exp (Neg (Abs X))) #1)))"},
    {P_ACT, MLP_ACT_ELU, "(Where (Greater X #0) X (Sub (Exp X) #1))"},
    {P_ACT, MLP_ACT_LEAKY_RELU, "(Max X (Mul X #0.01))"},
    {P_ACT, MLP_ACT_SILU, "(Mul X (Sigmoid X))"},
    {P_ACT, MLP_ACT_RELU, "(Relu X)"},
    {P_ACT, MLP_ACT_TANH, "(Tanh X)"},
    {P_ACT, MLP_ACT_SIGMOID, "(Sigmoid X)"},
    {P_ACT, MLP_ACT_SOFTMAX, "(Softmax X)"},
    {P_ACT, MLP_ACT_LEAKY_RELU, "(LeakyRelu X)"},
    {P_ACT, MLP_ACT_ELU, "(Elu X)"},
    {P_ACT, MLP_ACT_SOFTPLUS, "(Softplus X)"},
    {P_PASS, 0, "(Identity X)"},
    {P_PASS, 0, "(Flatten X)"},
};

/* Every value a matched node makes, but the last, is read only inside the match; the
 * chain's value too. */
static int closed(const imp *im, const match *m, size_t root)
{
    for (size_t i = 0; i < m->n_used; i++) {
        const Onnx__NodeProto *nd = im->node[m->used[i]];
        for (size_t o = 0; o < nd->n_output; o++) {
            const named *v = mlp__onnx_lookup(im, nd->output[o]);
            if (v == NULL || v->readers == 0) continue;
            if (m->used[i] == root && o == 0) continue;
            size_t inside = 0;
            for (size_t j = 0; j < m->n_used; j++) {
                const Onnx__NodeProto *r = im->node[m->used[j]];
                for (size_t k = 0; k < r->n_input; k++)
                    inside += !strcmp(r->input[k], nd->output[o]);
            }
            if (inside != v->readers) return 0;
        }
    }
    const named *x = mlp__onnx_lookup(im, m->x);
    size_t inside = 0;
    for (size_t j = 0; j < m->n_used; j++) {
        const Onnx__NodeProto *r = im->node[m->used[j]];
        for (size_t k = 0; k < r->n_input; k++) inside += !strcmp(r->input[k], m->x);
    }
    return x != NULL && inside == x->readers;
}

/* ---- what a matched node says ------------------------------------------------------ */

const Onnx__AttributeProto *mlp__onnx_attribute(const Onnx__NodeProto *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i]->name != NULL && !strcmp(nd->attribute[i]->name, name))
            return nd->attribute[i];
    return NULL;
}

int64_t mlp__onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = mlp__onnx_attribute(nd, name);
    return a != NULL ? a->i : dflt;
}

double mlp__onnx_attr_f(const Onnx__NodeProto *nd, const char *name, float dflt)
{
    const Onnx__AttributeProto *a = mlp__onnx_attribute(nd, name);
    return a != NULL ? (double)a->f : (double)dflt;
}

/* Why the library cannot compute what this node's attributes ask, or NULL. */
const char *mlp__onnx_attributes_refused(const Onnx__NodeProto *nd, char *why, size_t size)
{
    static const struct {
        const char *op, *names;
    } allowed[] = {
        {"Gemm", " alpha beta transA transB "},
        {"Softmax", " axis "},
        {"LeakyRelu", " alpha "},
        {"Elu", " alpha "},
        {"LayerNormalization", " axis epsilon stash_type "},
        {"BatchNormalization", " epsilon momentum training_mode spatial "},
        {"ReduceMean", " axes keepdims "},
        {"Cast", " to saturate "},
        {"Dropout", " ratio seed "},
        {"Flatten", " axis "},
    };
    const char *names = " ";
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        if (!strcmp(nd->op_type, allowed[i].op)) names = allowed[i].names;
    for (size_t i = 0; i < nd->n_attribute; i++) {
        char key[80];
        const char *name = nd->attribute[i]->name != NULL ? nd->attribute[i]->name : "";
        snprintf(key, sizeof key, " %.60s ", name);
        if (strstr(names, key) == NULL || strlen(name) > 60) {
            snprintf(why, size, "its attribute \"%.60s\", which libmlp does not read", name);
            return why;
        }
    }
    const char *op = nd->op_type;
    const Onnx__AttributeProto *axes = mlp__onnx_attribute(nd, "axes");
    if (!strcmp(op, "Gemm") &&
        (mlp__onnx_attr_f(nd, "alpha", 1.0f) != 1.0 || mlp__onnx_attr_f(nd, "beta", 1.0f) != 1.0 ||
         mlp__onnx_attr_i(nd, "transA", 0) != 0 ||
         (mlp__onnx_attr_i(nd, "transB", 0) != 0 && mlp__onnx_attr_i(nd, "transB", 0) != 1)))
        return "alpha, beta or transA other than 1, 1 and 0";
    if ((!strcmp(op, "Softmax") || !strcmp(op, "LayerNormalization")) &&
        mlp__onnx_attr_i(nd, "axis", -1) != -1 && mlp__onnx_attr_i(nd, "axis", -1) != 1)
        return "an axis other than the last of (rows, columns)";
    if (!strcmp(op, "Flatten") && mlp__onnx_attr_i(nd, "axis", 1) != 1)
        return "an axis other than 1";
    if (!strcmp(op, "LeakyRelu") &&
        mlp__onnx_attr_f(nd, "alpha", 0.01f) != (double)(float)MLP_LEAKY_RELU_SLOPE)
        return "a slope other than libmlp's 0.01";
    if (!strcmp(op, "Elu") && mlp__onnx_attr_f(nd, "alpha", 1.0f) != 1.0)
        return "an alpha other than 1";
    if (!strcmp(op, "BatchNormalization") &&
        (mlp__onnx_attr_i(nd, "training_mode", 0) != 0 || mlp__onnx_attr_i(nd, "spatial", 1) != 1))
        return "training mode (or spatial 0)";
    if (!strcmp(op, "ReduceMean") &&
        (mlp__onnx_attr_i(nd, "keepdims", 1) != 1 || axes == NULL || axes->n_ints != 1 ||
         (axes->ints[0] != -1 && axes->ints[0] != 1)))
        return "axes other than the last";
    return NULL;
}

/* ---- reading the graph ------------------------------------------------------------- */

/* The type of a graph input or output: T_FLOAT or T_DOUBLE, and its width (0 unknown),
 * or -1 when it is not a (rows, columns) tensor of either. */
int mlp__onnx_io_type(const Onnx__ValueInfoProto *v, size_t *width)
{
    *width = 0;
    if (v->type == NULL || v->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) return -1;
    const Onnx__TypeProto__Tensor *t = v->type->tensor_type;
    if (t->elem_type != T_FLOAT && t->elem_type != T_DOUBLE) return -1;
    if (t->shape != NULL) {
        if (t->shape->n_dim != 2) return -1;
        const Onnx__TensorShapeProto__Dimension *d = t->shape->dim[1];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value <= 0 || d->dim_value > INT32_MAX) return -1;
            *width = (size_t)d->dim_value;
        }
    }
    return t->elem_type;
}

static mlp_status add_name(imp *im, const char *name, const Onnx__TensorProto *t, long node)
{
    MLP_CHECK(name != NULL && name[0] != '\0', MLP_ERR_FORMAT, "%s: a value without a name",
              im->fn);
    im->names[im->n_names++] = (named){name, t, node, 0};
    return MLP_OK;
}

/* The names the graph gives its values: sorted, each once. */
/* The tensor of a Constant node, or NULL for any other node. */
static const Onnx__TensorProto *constant_made(const Onnx__NodeProto *nd)
{
    const Onnx__AttributeProto *value = mlp__onnx_attribute(nd, "value");
    if (plain(nd) && !strcmp(nd->op_type, "Constant") && nd->n_attribute == 1 && value != NULL &&
        value->t != NULL && nd->n_output == 1)
        return value->t;
    return NULL;
}

mlp_status mlp__onnx_index_graph(imp *im, const char *input)
{
    const Onnx__GraphProto *g = im->g;
    size_t cap = g->n_initializer + 1;
    for (size_t i = 0; i < g->n_node; i++) cap += g->node[i]->n_output;
    im->names = malloc(cap * sizeof *im->names);
    im->node = malloc((g->n_node ? g->n_node : 1) * sizeof *im->node);
    MLP_CHECK(im->names != NULL && im->node != NULL, MLP_ERR_NOMEM,
              "%s: cannot allocate the graph's index", im->fn);
    mlp_status s = MLP_OK;
    /* the constants first, sorted: the initializers and Constant nodes' tensors */
    for (size_t i = 0; i < g->n_initializer && s == MLP_OK; i++)
        s = add_name(im, g->initializer[i]->name, g->initializer[i], -1);
    for (size_t i = 0; i < g->n_node && s == MLP_OK; i++) {
        MLP_CHECK(g->node[i]->op_type != NULL, MLP_ERR_FORMAT, "%s: node %zu has no operator",
                  im->fn, i);
        const Onnx__TensorProto *t = constant_made(g->node[i]);
        if (t != NULL) s = add_name(im, g->node[i]->output[0], t, -1);
    }
    if (s != MLP_OK) return s;
    qsort(im->names, im->n_names, sizeof *im->names, by_name);
    const size_t n_sorted = im->n_names;
    s = add_name(im, input, NULL, -1);
    /* then the other nodes, in order; an Identity of a constant is that constant
     * (torch.onnx's copies of a BatchNorm1d's running values) */
    for (size_t i = 0; i < g->n_node && s == MLP_OK; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        if (constant_made(nd) != NULL) continue;
        if (plain(nd) && !strcmp(nd->op_type, "Identity") && nd->n_input == 1 &&
            nd->n_output == 1 && nd->input[0] != NULL) {
            const named key = {nd->input[0], NULL, -1, 0};
            const named *c = bsearch(&key, im->names, n_sorted, sizeof key, by_name);
            if (c != NULL) {
                s = add_name(im, nd->output[0], c->t, -1);
                continue;
            }
        }
        for (size_t o = 0; o < nd->n_output && s == MLP_OK; o++)
            if (nd->output[o] != NULL && nd->output[o][0] != '\0')
                s = add_name(im, nd->output[o], NULL, (long)im->n_node);
        im->node[im->n_node++] = nd;
    }
    if (s != MLP_OK) return s;
    qsort(im->names, im->n_names, sizeof *im->names, by_name);
    for (size_t i = 1; i < im->n_names; i++)
        MLP_CHECK(strcmp(im->names[i - 1].name, im->names[i].name) != 0, MLP_ERR_FORMAT,
                  "%s: the value \"%.80s\" is made twice", im->fn, im->names[i].name);
    for (size_t i = 0; i < im->n_node; i++) {
        const Onnx__NodeProto *nd = im->node[i];
        for (size_t k = 0; k < nd->n_input; k++) {
            if (nd->input[k] == NULL || nd->input[k][0] == '\0') continue;
            named *v = mlp__onnx_lookup(im, nd->input[k]);
            MLP_CHECK(v != NULL, MLP_ERR_FORMAT,
                      "%s: node \"%.80s\" (%.40s) reads \"%.80s\", which nothing makes", im->fn,
                      nd->name ? nd->name : "", nd->op_type, nd->input[k]);
            MLP_CHECK(v->node < (long)i, MLP_ERR_FORMAT,
                      "%s: node \"%.80s\" (%.40s) reads a value made after it: the nodes are not "
                      "in order",
                      im->fn, nd->name ? nd->name : "", nd->op_type);
            v->readers++;
        }
    }
    return MLP_OK;
}

const pattern *mlp__onnx_next_piece(imp *im, const char *cur, size_t pos, match *m, size_t *width)
{
    for (size_t w = im->n_node - pos < MAX_WINDOW ? im->n_node - pos : MAX_WINDOW; w >= 1; w--) {
        const Onnx__NodeProto *root = im->node[pos + w - 1];
        im->lo = pos;
        im->hi = pos + w - 1;
        for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
            memset(m, 0, sizeof *m);
            m->x = cur;
            if (root->n_output >= 1 && mexpr(im, m, patterns[p].expr, root->output[0]) &&
                m->n_used == w && closed(im, m, pos + w - 1)) {
                *width = w;
                return &patterns[p];
            }
        }
    }
    return NULL;
}
