/* ONNX export: the model read back with protobuf-c (the messages of the same
 * onnx.proto) and compared with what was written by hand: the nodes in order, Gemm's
 * transB, every weight, bias, gain and running value bit for bit, the scaling, the
 * graph's input and output, the metadata; the buffer and file calls' contracts; the
 * refusals (NULL, not UTF-8, not finite) leaving a previous file as it was. ONNX's
 * checker and ONNX Runtime read the models in tests/onnx/. Both precisions.
 *
 * ONNX import: PyTorch's models (tests/data/onnx/, made by
 * tests/onnx/make_torch_fixtures.py) predict what PyTorch predicted; libmlp → ONNX →
 * libmlp gives the same network to the bit; graphs changed by hand (through
 * protobuf-c's messages) into what the library cannot compute are refused, naming the
 * node; bytes that are not a model, or nest without end, are refused. */
#define _GNU_SOURCE /* mkdtemp */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "test_util.h"

/* The network's ONNX model, exported into a new buffer (*n bytes). */
static unsigned char *export_bytes(const mlp_net *net, size_t *n)
{
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, n), MLP_OK);
    unsigned char *b = malloc(*n);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, b, *n, n), MLP_OK);
    return b;
}

/* The network's ONNX model read back as messages (freed with
 * mlp__onnx__model_proto__free_unpacked). */
static Onnx__ModelProto *unpack(const mlp_net *net)
{
    size_t n;
    unsigned char *buf = export_bytes(net, &n);
    Onnx__ModelProto *m = mlp__onnx__model_proto__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(m);
    free(buf);
    return m;
}

static const Onnx__TensorProto *initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!strcmp(g->initializer[i]->name, name)) return g->initializer[i];
    ck_abort_msg("no initializer %s", name);
    return NULL;
}

static const char *meta(const Onnx__ModelProto *m, const char *key)
{
    for (size_t i = 0; i < m->n_metadata_props; i++)
        if (!strcmp(m->metadata_props[i]->key, key)) return m->metadata_props[i]->value;
    return NULL;
}

/* The initializer holds exactly `want` (n values, widened from float for a float32
 * network), with shape dims. */
static void same_values(const Onnx__TensorProto *t, const double *want, size_t n, int f32,
                        size_t d0, size_t d1)
{
    ck_assert_int_eq(t->data_type, f32 ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                                       : ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE);
    ck_assert_uint_eq(t->n_dims, d1 ? 2 : 1);
    ck_assert_int_eq(t->dims[0], (int64_t)d0);
    if (d1) ck_assert_int_eq(t->dims[1], (int64_t)d1);
    ck_assert_uint_eq(f32 ? t->n_float_data : t->n_double_data, n);
    for (size_t i = 0; i < n; i++) {
        const double v = f32 ? (double)t->float_data[i] : t->double_data[i];
        ck_assert_msg(memcmp(&v, &want[i], sizeof v) == 0, "%s[%zu]: %.17g, not %.17g", t->name, i,
                      v, want[i]);
    }
}

/* 4 inputs, standard-scaled: dense 5 relu, layer normalization (tanh), dropout 0.25,
 * batch normalization without bias (sigmoid), dense 3 softmax; labelled classes and
 * named columns; two epochs of training so that nothing is at its initial value. */
static mlp_net *sample(void)
{
    const mlp_layer_spec l[] = {MLP_LAYER(5, MLP_ACT_RELU, 1), MLP_LAYERNORM(MLP_ACT_TANH),
                                MLP_DROPOUT(0.25), MLP_BATCHNORM(MLP_ACT_SIGMOID),
                                MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
    mlp_layer_spec specs[5];
    memcpy(specs, l, sizeof l);
    specs[3].bias = 0;
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 4, specs, 5), MLP_OK);
    net = tu_in_precision(net);
    double x[40 * 4], label[40];
    unsigned long long s = 7;
    for (size_t i = 0; i < 40; i++) {
        label[i] = (double)(i % 3);
        for (size_t j = 0; j < 4; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            x[i * 4 + j] = 100.0 * (double)j + (double)(s >> 11) * 0x1p-53 * (label[i] + 1.0);
        }
    }
    const mlp_dataset d = MLP_DATASET_CLASSES(x, 4, label, 3, 40);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
    const char *const classes[3] = {"red", "gr\xc3\xbcn", "blue"};
    const char *const names[4] = {"a", "b", "c", "d"};
    ck_assert_int_eq(mlp_net_set_classes(net, classes, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_set_columns(net, names, NULL, 0), MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.05;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 8),
                     MLP_OK);
    mlp_fit_options fo = tu_fit_options();
    fo.epochs = 2;
    fo.batch_size = 8;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &fo), MLP_OK);
    mlp_trainer_free(tr);
    return net;
}

START_TEST(the_graph_is_the_network)
{
    tu_single = _i;
    mlp_net *net = sample();
    Onnx__ModelProto *m = unpack(net);
    const Onnx__GraphProto *g = m->graph;
    /* written by hand from the documented graph: input scaling, each layer, the
     * activation after it; float64's normalizations composed, their ε a double */
    static const char
        *const ops64[] = {"Sub",        "Div",     "Gemm", "Relu", /* scaling, dense */
                          "ReduceMean", "Sub",     "Mul",  "ReduceMean", "Add",     "Sqrt",
                          "Div",        "Mul",     "Add",  "Tanh",       "Dropout", /* dropout */
                          "Add",        "Sqrt",    "Div",  "Mul",        "Sub",     "Mul",
                          "Add",        "Sigmoid", /* batchnorm */
                          "Gemm",       "Softmax"};
    static const char *const ops32[] = {"Cast",
                                        "Sub",
                                        "Div",
                                        "Cast",
                                        "Gemm",
                                        "Relu",
                                        "LayerNormalization",
                                        "Tanh",
                                        "Dropout",
                                        "BatchNormalization",
                                        "Sigmoid",
                                        "Gemm",
                                        "Softmax"};
    const char *const *ops = _i ? ops32 : ops64;
    const size_t n_ops = _i ? sizeof ops32 / sizeof *ops32 : sizeof ops64 / sizeof *ops64;
    ck_assert_uint_eq(g->n_node, n_ops);
    for (size_t i = 0; i < n_ops; i++)
        ck_assert_msg(!strcmp(g->node[i]->op_type, ops[i]), "node %zu is %s, not %s", i,
                      g->node[i]->op_type, ops[i]);
    ck_assert_str_eq(g->node[n_ops - 1]->output[0], "output");
    ck_assert_int_eq(m->ir_version, 8);
    ck_assert_uint_eq(m->n_opset_import, 1);
    ck_assert_int_eq(m->opset_import[0]->version, 17);
    ck_assert_str_eq(m->producer_name, "libmlp");
    /* Gemm: transB = 1 on the (out, in) weights as they are, then the bias */
    for (size_t i = 0; i < g->n_node; i++) {
        if (strcmp(g->node[i]->op_type, "Gemm")) continue;
        ck_assert_uint_eq(g->node[i]->n_attribute, 1);
        ck_assert_str_eq(g->node[i]->attribute[0]->name, "transB");
        ck_assert_int_eq(g->node[i]->attribute[0]->i, 1);
        ck_assert_uint_eq(g->node[i]->n_input, 3);
    }
    double w[20], b[5], v[8];
    ck_assert_int_eq(mlp_net_get_weights(net, 0, w, 20), MLP_OK);
    same_values(initializer(g, "layer0.weight"), w, 20, _i, 5, 4);
    ck_assert_int_eq(mlp_net_get_bias(net, 0, b, 5), MLP_OK);
    same_values(initializer(g, "layer0.bias"), b, 5, _i, 5, 0);
    ck_assert_int_eq(mlp_net_get_weights(net, 4, w, 15), MLP_OK);
    same_values(initializer(g, "layer4.weight"), w, 15, _i, 3, 5);
    /* gains, biases and running values: where the parameter block keeps them (each
     * layer's parameters in order; the running state after them) */
    const size_t np = mlp_net_n_params(net);
    ck_assert_uint_eq(np, 25 + 10 + 5 + 18); /* dense, layernorm, batchnorm (γ), dense */
    for (size_t i = 0; i < 5; i++) v[i] = tu_param_at(net, 25 + i);
    same_values(initializer(g, "layer1.gain"), v, 5, _i, 5, 0);
    for (size_t i = 0; i < 5; i++) v[i] = tu_param_at(net, 30 + i);
    same_values(initializer(g, "layer1.bias"), v, 5, _i, 5, 0);
    for (size_t i = 0; i < 5; i++) v[i] = tu_param_at(net, 35 + i);
    same_values(initializer(g, "layer3.gain"), v, 5, _i, 5, 0);
    for (size_t i = 0; i < g->n_initializer; i++) /* no bias: nothing for one in float64 */
        if (!_i) ck_assert_str_ne(g->initializer[i]->name, "layer3.bias");
    if (_i) {
        const double zero[5] = {0};
        same_values(initializer(g, "layer3.bias"), zero, 5, 1, 5, 0);
    }
    /* the running values moved: not 0 and 1 */
    const Onnx__TensorProto *mean = initializer(g, "layer3.running_mean");
    const Onnx__TensorProto *var = initializer(g, "layer3.running_var");
    for (size_t i = 0; i < 5; i++) {
        const double mv = _i ? mean->float_data[i] : mean->double_data[i];
        const double vv = _i ? var->float_data[i] : var->double_data[i];
        ck_assert(mv != 0.0 && vv != 1.0 && vv > 0.0);
    }
    /* the scaling, in double in either precision */
    double shift[4], scale[4];
    ck_assert_int_eq(mlp_net_get_scaling(net, shift, scale, NULL, NULL), MLP_OK);
    same_values(initializer(g, "input_shift"), shift, 4, 0, 4, 0);
    same_values(initializer(g, "input_scale"), scale, 4, 0, 4, 0);
    /* input and output: the network's type, (N, 4) and (N, 3) */
    const int T = _i ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
    const Onnx__ValueInfoProto *io[2] = {g->input[0], g->output[0]};
    ck_assert_uint_eq(g->n_input, 1);
    ck_assert_uint_eq(g->n_output, 1);
    ck_assert_str_eq(io[0]->name, "input");
    ck_assert_str_eq(io[1]->name, "output");
    for (int k = 0; k < 2; k++) {
        const Onnx__TypeProto__Tensor *t = io[k]->type->tensor_type;
        ck_assert_int_eq(t->elem_type, T);
        ck_assert_uint_eq(t->shape->n_dim, 2);
        ck_assert_str_eq(t->shape->dim[0]->dim_param, "N");
        ck_assert_int_eq(t->shape->dim[1]->dim_value, k ? 3 : 4);
    }
    /* the metadata */
    ck_assert_str_eq(meta(m, "libmlp.precision"), _i ? "float32" : "float64");
    ck_assert_str_eq(meta(m, "libmlp.class.0"), "red");
    ck_assert_str_eq(meta(m, "libmlp.class.1"), "gr\xc3\xbcn");
    ck_assert_str_eq(meta(m, "libmlp.class.2"), "blue");
    ck_assert_ptr_null(meta(m, "libmlp.class.3"));
    ck_assert_str_eq(meta(m, "libmlp.input.3"), "d");
    ck_assert_str_eq(meta(m, "libmlp.input_scaling"), "standard");
    ck_assert_ptr_null(meta(m, "libmlp.output_scaling"));
    ck_assert_msg(
        !strncmp(meta(m, "libmlp.provenance"),
                 "trained 2 epochs, loss categorical_crossentropy, optimizer adam, batch 8", 70),
        "%s", meta(m, "libmlp.provenance"));
    mlp__onnx__model_proto__free_unpacked(m, NULL);
    mlp_net_free(net);
}
END_TEST

/* Attributes of one node, by name. */
static const Onnx__AttributeProto *attribute(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (!strcmp(n->attribute[i]->name, name)) return n->attribute[i];
    return NULL;
}

/* The settings that ride on attributes and constants: ε, momentum (ONNX's is 1 − ours),
 * the dropout rate, LeakyReLU's slope, softmax's axis. */
START_TEST(settings_reach_the_graph)
{
    tu_single = _i;
    mlp_layer_spec l[] = {MLP_LAYER(4, MLP_ACT_LEAKY_RELU, 0), MLP_LAYERNORM(MLP_ACT_IDENTITY),
                          MLP_BATCHNORM(MLP_ACT_IDENTITY), MLP_DROPOUT(0.375),
                          MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    l[1].epsilon = 1e-3;
    l[2].epsilon = 0.25;
    l[2].momentum = 0.125;
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 3, l, 5), MLP_OK);
    net = tu_in_precision(net);
    Onnx__ModelProto *m = unpack(net);
    const Onnx__GraphProto *g = m->graph;
    int seen = 0;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        if (!strcmp(n->op_type, "Gemm"))
            ck_assert_uint_eq(n->n_input, !strcmp(n->input[1], "layer0.weight") ? 2 : 3);
        if (!strcmp(n->op_type, "LeakyRelu")) {
            ck_assert_float_eq(attribute(n, "alpha")->f, 0.01f);
            seen |= 1;
        }
        if (!strcmp(n->op_type, "LayerNormalization")) {
            ck_assert_float_eq(attribute(n, "epsilon")->f, 1e-3f);
            ck_assert_int_eq(attribute(n, "axis")->i, -1);
            seen |= 2;
        }
        if (!strcmp(n->op_type, "BatchNormalization")) {
            ck_assert_float_eq(attribute(n, "epsilon")->f, 0.25f);
            ck_assert_float_eq(attribute(n, "momentum")->f, 0.875f);
            seen |= 4;
        }
        if (!strcmp(n->op_type, "Dropout")) {
            const Onnx__TensorProto *r = initializer(g, n->input[1]);
            ck_assert_double_eq(_i ? r->float_data[0] : r->double_data[0], 0.375);
            seen |= 8;
        }
        if (!strcmp(n->op_type, "Softmax")) {
            ck_assert_int_eq(attribute(n, "axis")->i, -1);
            seen |= 16;
        }
    }
    /* float32: the operators; float64: the ε as double constants of the compositions
     * and the slope as a double constant (the attributes are floats) */
    ck_assert_int_eq(seen, _i ? 31 : 8 | 16);
    if (!_i) {
        double e1 = 1e-3, e2 = 0.25, slope = 0.01;
        const double *want[3] = {&e1, &e2, &slope};
        for (int k = 0; k < 3; k++) {
            int found = 0;
            for (size_t i = 0; i < g->n_initializer; i++)
                found |= g->initializer[i]->n_dims == 0 && g->initializer[i]->n_double_data == 1 &&
                         g->initializer[i]->double_data[0] == *want[k];
            ck_assert_msg(found, "no double constant %.17g", *want[k]);
        }
    }
    mlp__onnx__model_proto__free_unpacked(m, NULL);
    mlp_net_free(net);
}
END_TEST

START_TEST(buffer_and_file_agree)
{
    tu_single = _i;
    mlp_net *net = sample();
    size_t n = 0;
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, &n), MLP_OK);
    ck_assert_uint_gt(n, 100);
    unsigned char *buf = malloc(n + 1), *file = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_ptr_nonnull(file);
    /* one byte short: refused, nothing written, the size still told */
    memset(buf, 0xA5, n + 1);
    size_t told = 0;
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, buf, n - 1, &told), MLP_ERR_SHAPE);
    ck_assert_uint_eq(told, n);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "nothing written"));
    for (size_t i = 0; i <= n; i++) ck_assert_int_eq(buf[i], 0xA5);
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, buf, n + 1, &told), MLP_OK);
    ck_assert_uint_eq(told, n);
    ck_assert_int_eq(buf[n], 0xA5);
    /* the file holds the same bytes */
    char dir[] = "/tmp/mlp_onnx_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    ck_assert_int_eq(mlp_net_export_onnx(net, path), MLP_OK);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fread(file, 1, n + 1, f), n);
    fclose(f);
    ck_assert_int_eq(memcmp(buf, file, n), 0);
    /* the same network, the same bytes: nothing of the moment goes in */
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, file, n, &told), MLP_OK);
    ck_assert_int_eq(memcmp(buf, file, n), 0);
    unlink(path);
    rmdir(dir);
    free(buf);
    free(file);
    mlp_net_free(net);
}
END_TEST

START_TEST(refusals_change_nothing)
{
    tu_single = _i;
    mlp_net *net = sample();
    size_t n = 0;
    char dir[] = "/tmp/mlp_onnx_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    ck_assert_int_eq(mlp_net_export_onnx_buffer(NULL, NULL, 0, &n), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_export_onnx(NULL, path), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_export_onnx(net, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_export_onnx(net, ""), MLP_ERR_INVALID_ARG);
    /* a directory where the file would go: refused, named */
    ck_assert_int_eq(mlp_net_export_onnx(net, dir), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), dir));
    /* a file there already: a refusal leaves it as it was */
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("before", f);
    fclose(f);
    /* labels that are not UTF-8 (a lone continuation byte, an overlong '/', a
     * surrogate, Latin-1) are refused, naming which; valid ones pass */
    static const char *const bad[] = {"\x80", "\xc0\xaf", "\xed\xa0\x80", "caf\xe9",
                                      "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *const classes[3] = {"ok", bad[i], "\xf0\x9f\x99\x82"};
        ck_assert_int_eq(mlp_net_set_classes(net, classes, 3), MLP_OK);
        ck_assert_int_eq(mlp_net_export_onnx(net, path), MLP_ERR_INVALID_ARG);
        ck_assert_msg(strstr(mlp_error_detail(), "class label 2 is not UTF-8") != NULL, "%s",
                      mlp_error_detail());
        ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, &n), MLP_ERR_INVALID_ARG);
    }
    const char *const names[4] = {"a", "b", "\xff", "d"};
    const char *const good[3] = {"ok", "\xe2\x82\xac", "\xf0\x9f\x99\x82"};
    ck_assert_int_eq(mlp_net_set_classes(net, good, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_set_columns(net, names, NULL, 0), MLP_OK);
    ck_assert_int_eq(mlp_net_export_onnx(net, path), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "input column name 3 is not UTF-8"));
    const char *const fixed[4] = {"a", "b", "c", "d"};
    ck_assert_int_eq(mlp_net_set_columns(net, fixed, NULL, 0), MLP_OK);
    /* a value that is not finite: refused (a model ONNX Runtime would run into NaN) */
    if (_i) {
        mlp_net_params_f32(net)[3] = NAN;
    } else {
        mlp_net_params(net)[3] = INFINITY;
    }
    ck_assert_int_eq(mlp_net_export_onnx(net, path), MLP_ERR_NUMERIC);
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, &n), MLP_ERR_NUMERIC);
    char back[16] = {0};
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(back, sizeof back, f));
    fclose(f);
    ck_assert_str_eq(back, "before");
    unlink(path);
    rmdir(dir);
    mlp_net_free(net);
}
END_TEST

/* ---- import ---------------------------------------------------------------------- */

/* A network of every layer kind and activation with settings off their defaults, both
 * scalings, named columns; trained two epochs unless `fresh`. */
static mlp_net *everything(int fresh)
{
    mlp_layer_spec l[] = {MLP_LAYER(8, MLP_ACT_IDENTITY, 1),
                          MLP_LAYERNORM(MLP_ACT_RELU),
                          MLP_DROPOUT(0.3),
                          MLP_LAYER(6, MLP_ACT_GELU, 0),
                          MLP_BATCHNORM(MLP_ACT_TANH),
                          MLP_LAYER(6, MLP_ACT_ELU, 1),
                          MLP_LAYERNORM(MLP_ACT_GELU_TANH),
                          MLP_LAYER(5, MLP_ACT_SOFTPLUS, 1),
                          MLP_LAYER(5, MLP_ACT_SILU, 1),
                          MLP_LAYER(5, MLP_ACT_LEAKY_RELU, 1),
                          MLP_LAYER(4, MLP_ACT_SIGMOID, 1),
                          MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    l[1].epsilon = 1e-3;
    l[4].bias = 0;
    l[4].epsilon = 2e-5;
    l[4].momentum = 0.05;
    l[6].bias = 0;
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 3, l, 12), MLP_OK);
    net = tu_in_precision(net);
    double x[48 * 3], y[48 * 2];
    unsigned long long s = 11;
    for (size_t i = 0; i < 48 * 3; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (double)(s >> 11) * 0x1p-53 * 40.0 - 7.0;
    }
    for (size_t i = 0; i < 48; i++) {
        y[2 * i] = x[3 * i] * x[3 * i + 1] + 100.0;
        y[2 * i + 1] = x[3 * i + 2] - 3.0;
    }
    const mlp_dataset d = MLP_DATASET(x, 3, y, 2, 48);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_MINMAX, MLP_SCALE_STANDARD, &d), MLP_OK);
    const char *const in[3] = {"u", "v", "\xc3\xa9t\xc3\xa9"}, *const out[2] = {"p", "q"};
    ck_assert_int_eq(mlp_net_set_columns(net, in, out, 2), MLP_OK);
    if (fresh) return net;
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    mlp_fit_options fo = tu_fit_options();
    fo.epochs = 2;
    fo.batch_size = 16;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &fo), MLP_OK);
    mlp_trainer_free(tr);
    return net;
}

/* a and b are the same network: layers and settings, values to the bit, scaling,
 * names, classes, predictions to the bit. */
static void same_network(const mlp_net *a, const mlp_net *b)
{
    ck_assert_int_eq(mlp_net_precision(a), mlp_net_precision(b));
    ck_assert_uint_eq(mlp_net_n_inputs(a), mlp_net_n_inputs(b));
    ck_assert_uint_eq(mlp_net_n_layers(a), mlp_net_n_layers(b));
    for (size_t l = 0; l < mlp_net_n_layers(a); l++) {
        mlp_layer_spec sa, sb;
        mlp_layer_spec_init(&sa, sizeof sa);
        mlp_layer_spec_init(&sb, sizeof sb);
        ck_assert_int_eq(mlp_net_layer(a, l, &sa, NULL), MLP_OK);
        ck_assert_int_eq(mlp_net_layer(b, l, &sb, NULL), MLP_OK);
        ck_assert_msg(sa.size == sb.size && sa.activation == sb.activation && sa.bias == sb.bias &&
                          sa.kind == sb.kind && sa.epsilon == sb.epsilon && sa.rate == sb.rate &&
                          sa.momentum == sb.momentum,
                      "layer %zu: %zu %d %d %d %g %g %g, not %zu %d %d %d %g %g %g", l, sb.size,
                      sb.activation, sb.bias, sb.kind, sb.epsilon, sb.rate, sb.momentum, sa.size,
                      sa.activation, sa.bias, sa.kind, sa.epsilon, sa.rate, sa.momentum);
    }
    size_t na, nb;
    const void *pa = tu_params_of(a, &na), *pb = tu_params_of(b, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_int_eq(memcmp(pa, pb, na), 0);
    const size_t in = mlp_net_n_inputs(a), k = mlp_net_n_outputs(a);
    double sa[4][16], sb[4][16];
    ck_assert_int_eq(mlp_net_get_scaling(a, sa[0], sa[1], sa[2], sa[3]), MLP_OK);
    ck_assert_int_eq(mlp_net_get_scaling(b, sb[0], sb[1], sb[2], sb[3]), MLP_OK);
    ck_assert_int_eq(memcmp(sa[0], sb[0], in * 8) | memcmp(sa[1], sb[1], in * 8), 0);
    ck_assert_int_eq(memcmp(sa[2], sb[2], k * 8) | memcmp(sa[3], sb[3], k * 8), 0);
    for (size_t i = 0; i < in; i++) {
        const char *x = mlp_net_input_name(a, i), *y = mlp_net_input_name(b, i);
        ck_assert(x == y || (x != NULL && y != NULL && !strcmp(x, y)));
    }
    ck_assert_uint_eq(mlp_net_n_targets(a), mlp_net_n_targets(b));
    for (size_t i = 0; i < mlp_net_n_targets(a); i++)
        ck_assert_str_eq(mlp_net_target_name(a, i), mlp_net_target_name(b, i));
    ck_assert_uint_eq(mlp_net_n_classes(a), mlp_net_n_classes(b));
    for (size_t c = 0; c < mlp_net_n_classes(a); c++)
        ck_assert_str_eq(mlp_net_class_name(a, c), mlp_net_class_name(b, c));
    enum { N = 9 };
    double x[N * 16], ya[N * 16], yb[N * 16];
    for (size_t i = 0; i < N * in; i++) x[i] = (double)((i * 37) % 23) - 9.5;
    mlp_workspace *wa, *wb;
    ck_assert_int_eq(mlp_workspace_create(&wa, a, N), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wb, b, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(a, wa, ya, x, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(b, wb, yb, x, N), MLP_OK);
    ck_assert_int_eq(memcmp(ya, yb, N * k * sizeof *ya), 0);
    mlp_workspace_free(wa);
    mlp_workspace_free(wb);
}

START_TEST(round_trip_gives_the_same_network)
{
    tu_single = _i;
    for (int fresh = 0; fresh < 2; fresh++) {
        for (int which = 0; which < 2; which++) {
            mlp_net *net = which ? sample() : everything(fresh), *back = NULL;
            size_t n, n2;
            unsigned char *a = export_bytes(net, &n);
            ck_assert_int_eq(mlp_net_import_onnx_buffer(&back, a, n), MLP_OK);
            same_network(net, back);
            /* exported again: the same bytes, but the provenance (not read back) */
            unsigned char *b = export_bytes(back, &n2);
            if (fresh && !which) {
                ck_assert_uint_eq(n, n2);
                ck_assert_int_eq(memcmp(a, b, n), 0);
                /* and the same model file */
                size_t s1, s2;
                ck_assert_int_eq(mlp_net_save_buffer(net, NULL, 0, &s1), MLP_OK);
                ck_assert_int_eq(mlp_net_save_buffer(back, NULL, 0, &s2), MLP_OK);
                unsigned char *f1 = malloc(s1), *f2 = malloc(s2);
                ck_assert_uint_eq(s1, s2);
                ck_assert_int_eq(mlp_net_save_buffer(net, f1, s1, &s1), MLP_OK);
                ck_assert_int_eq(mlp_net_save_buffer(back, f2, s2, &s2), MLP_OK);
                ck_assert_int_eq(memcmp(f1, f2, s1), 0);
                free(f1);
                free(f2);
            }
            mlp_net *again = NULL;
            ck_assert_int_eq(mlp_net_import_onnx_buffer(&again, b, n2), MLP_OK);
            same_network(net, again);
            /* through a file */
            char dir[] = "/tmp/mlp_onnx_XXXXXX", path[64];
            ck_assert_ptr_nonnull(mkdtemp(dir));
            snprintf(path, sizeof path, "%s/m.onnx", dir);
            ck_assert_int_eq(mlp_net_export_onnx(net, path), MLP_OK);
            mlp_net_free(again);
            ck_assert_int_eq(mlp_net_import_onnx(&again, path), MLP_OK);
            same_network(net, again);
            unlink(path);
            rmdir(dir);
            free(a);
            free(b);
            mlp_net_free(again);
            mlp_net_free(back);
            mlp_net_free(net);
        }
    }
}
END_TEST

/* PyTorch's models (tests/data/onnx/) predict what PyTorch predicted: 64 ε of float
 * (1e-12 for the float64 one) of the largest magnitude of the output's column, or 1. */
START_TEST(pytorch_models_predict_as_pytorch)
{
    char path[512];
    snprintf(path, sizeof path, "%s/onnx/fixtures.txt", MLP_TEST_DATA);
    FILE *list = fopen(path, "r");
    ck_assert_ptr_nonnull(list);
    char name[64];
    int count = 0;
    double worst[2] = {0, 0};
    while (fscanf(list, "%63s", name) == 1) {
        mlp_net *net = NULL;
        snprintf(path, sizeof path, "%s/onnx/%s.onnx", MLP_TEST_DATA, name);
        ck_assert_msg(mlp_net_import_onnx(&net, path) == MLP_OK, "%s: %s", name,
                      mlp_error_detail());
        snprintf(path, sizeof path, "%s/onnx/%s.txt", MLP_TEST_DATA, name);
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        size_t n, in, k;
        char precision[16];
        ck_assert_int_eq(fscanf(f, "%zu %zu %zu %15s", &n, &in, &k, precision), 4);
        const int f64 = !strcmp(precision, "float64");
        ck_assert_int_eq(mlp_net_precision(net),
                         f64 ? MLP_PRECISION_FLOAT64 : MLP_PRECISION_FLOAT32);
        ck_assert_uint_eq(mlp_net_n_inputs(net), in);
        ck_assert_uint_eq(mlp_net_n_outputs(net), k);
        double *x = malloc(n * in * sizeof *x), *y = malloc(n * k * sizeof *y);
        double *want = malloc(n * k * sizeof *want), scale[64];
        for (size_t i = 0; i < n * in; i++) ck_assert_int_eq(fscanf(f, "%lf", &x[i]), 1);
        for (size_t i = 0; i < n * k; i++) ck_assert_int_eq(fscanf(f, "%lf", &want[i]), 1);
        fclose(f);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, n), MLP_OK);
        ck_assert_int_eq(mlp_net_predict(net, ws, y, x, n), MLP_OK);
        for (size_t c = 0; c < k; c++) scale[c] = 1.0;
        for (size_t i = 0; i < n * k; i++) scale[i % k] = fmax(scale[i % k], fabs(want[i]));
        const double tol = f64 ? 1e-12 : 64 * (double)FLT_EPSILON;
        for (size_t i = 0; i < n * k; i++) {
            const double e = fabs(y[i] - want[i]) / scale[i % k];
            worst[f64] = fmax(worst[f64], e);
            ck_assert_msg(e <= tol, "%s: output %zu is %.9g, PyTorch's %.9g", name, i, y[i],
                          want[i]);
        }
        count++;
        mlp_workspace_free(ws);
        free(x);
        free(y);
        free(want);
        mlp_net_free(net);
    }
    fclose(list);
    ck_assert_int_ge(count, 10);
    printf("pytorch's models: largest difference %.2g (float32), %.2g (float64)\n", worst[0],
           worst[1]);
}
END_TEST

/* The layers PyTorch's graphs become. */
START_TEST(pytorch_layers_become_kinds)
{
    static const struct {
        const char *name;
        const char *kinds;
    } want[] = {
        {"batchnorm",
         "dense identity, batchnorm relu, dense identity nobias, batchnorm tanh, dense identity"},
        {"layernorm", "dense identity, layernorm relu, dense softmax"},
        {"layernorm_opset14", "dense identity, layernorm relu, dense softmax"},
        {"gelu_silu", "dense gelu, dense gelu_tanh, dense silu, dense identity"},
        {"tanh_sigmoid_nobias", "dense tanh, dense sigmoid nobias, dense identity"},
    };
    static const char *const kind[] = {"dense", "layernorm", "dropout", "batchnorm"};
    for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
        char path[512], got[512] = "";
        snprintf(path, sizeof path, "%s/onnx/%s.onnx", MLP_TEST_DATA, want[w].name);
        mlp_net *net;
        ck_assert_int_eq(mlp_net_import_onnx(&net, path), MLP_OK);
        for (size_t l = 0; l < mlp_net_n_layers(net); l++) {
            mlp_layer_spec s;
            mlp_layer_spec_init(&s, sizeof s);
            ck_assert_int_eq(mlp_net_layer(net, l, &s, NULL), MLP_OK);
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s %s%s", l ? ", " : "",
                     kind[s.kind], mlp_activation_name(s.activation),
                     s.bias || s.kind == MLP_LAYER_DROPOUT ? "" : " nobias");
            /* float attributes, read as the decimals PyTorch meant */
            if (s.kind == MLP_LAYER_LAYERNORM || s.kind == MLP_LAYER_BATCHNORM)
                ck_assert_double_eq(s.epsilon, 1e-5);
            if (s.kind == MLP_LAYER_BATCHNORM) ck_assert_double_eq(s.momentum, 0.1);
        }
        ck_assert_str_eq(got, want[w].kinds);
        mlp_net_free(net);
    }
}
END_TEST

/* A model changed through protobuf-c's messages: how, on the model's messages. */
typedef void (*change_fn)(Onnx__ModelProto *m);

static mlp_status import_changed(const mlp_net *net, change_fn change)
{
    Onnx__ModelProto *m = unpack(net);
    change(m);
    const size_t n2 = mlp__onnx__model_proto__get_packed_size(m);
    unsigned char *b2 = malloc(n2 + 1);
    ck_assert_ptr_nonnull(b2);
    mlp__onnx__model_proto__pack(m, b2);
    mlp_net *back = (mlp_net *)m; /* must become NULL */
    const mlp_status s = mlp_net_import_onnx_buffer(&back, b2, n2);
    if (s != MLP_OK) ck_assert_ptr_null(back);
    mlp_net_free(s == MLP_OK ? back : NULL);
    mlp__onnx__model_proto__free_unpacked(m, NULL);
    free(b2);
    return s;
}

static Onnx__NodeProto *node_of(Onnx__ModelProto *m, const char *op)
{
    for (size_t i = 0; i < m->graph->n_node; i++)
        if (!strcmp(m->graph->node[i]->op_type, op)) return m->graph->node[i];
    ck_abort_msg("no %s", op);
    abort();
}

/* The last node of an operator. */
static Onnx__NodeProto *last_of(Onnx__ModelProto *m, const char *op)
{
    for (size_t i = m->graph->n_node; i-- > 0;)
        if (!strcmp(m->graph->node[i]->op_type, op)) return m->graph->node[i];
    ck_abort_msg("no %s", op);
    abort();
}

/* (the messages are protobuf-c's, freed with free(): what a change drops it frees, what
 * it puts in is malloc'ed) */
static void rename_op(Onnx__NodeProto *nd, const char *op)
{
    free(nd->op_type);
    nd->op_type = strdup(op);
}
static void to_conv(Onnx__ModelProto *m) { rename_op(node_of(m, "Relu"), "Conv"); }
static void skip_connection(Onnx__ModelProto *m)
{
    /* the Relu reads the graph's input, which the first Gemm reads too: a residual */
    Onnx__NodeProto *r = last_of(m, "Relu");
    free(r->input[0]);
    r->input[0] = strdup(m->graph->input[0]->name);
}
static void two_activations(Onnx__ModelProto *m)
{
    Onnx__NodeProto *g = last_of(m, "Gemm"); /* the last Gemm, a Tanh of the value before */
    rename_op(g, "Tanh");
    for (size_t i = 1; i < g->n_input; i++) free(g->input[i]);
    g->n_input = 1;
    for (size_t i = 0; i < g->n_attribute; i++)
        mlp__onnx__attribute_proto__free_unpacked(g->attribute[i], NULL);
    g->n_attribute = 0;
}
static void steep_leak(Onnx__ModelProto *m) { node_of(m, "LeakyRelu")->attribute[0]->f = 0.2f; }
static void softmax_axis0(Onnx__ModelProto *m) { node_of(m, "Softmax")->attribute[0]->i = 0; }
static void nan_weight(Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->graph->n_initializer; i++)
        if (!strcmp(m->graph->initializer[i]->name, "layer0.weight")) {
            Onnx__TensorProto *t = m->graph->initializer[i];
            if (t->n_float_data)
                t->float_data[1] = NAN;
            else
                t->double_data[1] = NAN;
        }
}
static void wrong_shape(Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->graph->n_initializer; i++)
        if (!strcmp(m->graph->initializer[i]->name, "layer1.weight")) {
            m->graph->initializer[i]->dims[0]--; /* 3 rows of 5 read as 2 rows: data left over */
        }
}
static void foreign_domain(Onnx__ModelProto *m)
{
    Onnx__NodeProto *nd = node_of(m, "Relu");
    if (nd->domain != protobuf_c_empty_string) free(nd->domain);
    nd->domain = strdup("com.microsoft");
}
static void gemm_alpha(Onnx__ModelProto *m)
{
    Onnx__AttributeProto *a = node_of(m, "Gemm")->attribute[0];
    free(a->name);
    a->name = strdup("alpha");
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    a->has_f = 1;
    a->f = 2.0f;
}
static void int_output(Onnx__ModelProto *m)
{
    m->graph->output[0]->type->tensor_type->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
}
static void old_opset(Onnx__ModelProto *m) { m->opset_import[0]->version = 6; }

START_TEST(graphs_libmlp_cannot_compute_are_refused)
{
    tu_single = 1; /* float: LeakyRelu as the operator */
    const mlp_layer_spec l[] = {MLP_LAYER(5, MLP_ACT_RELU, 1), MLP_LAYER(5, MLP_ACT_LEAKY_RELU, 1),
                                MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 4, l, 3), MLP_OK);
    net = tu_in_precision(net);
    static const struct {
        change_fn change;
        const char *says;
    } cases[] = {
        {to_conv, "(Conv) is not a step libmlp reads"},
        {skip_connection, "(Relu) both read \"input\": a skip connection"},
        {two_activations, "a second activation after the leaky_relu of layer 1"},
        {steep_leak, "a slope other than libmlp's 0.01"},
        {softmax_axis0, "an axis other than the last"},
        {nan_weight, "NaN or infinite"},
        {wrong_shape, "(Gemm): weights that are not a matrix"},
        {foreign_domain, "domain com.microsoft"},
        {gemm_alpha, "alpha, beta or transA"},
        {int_output, "the output is not a (rows, columns) tensor of the input's type"},
        {old_opset, "opset 6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ck_assert_msg(import_changed(net, cases[i].change) == MLP_ERR_FORMAT, "case %zu: imported",
                      i);
        ck_assert_msg(strstr(mlp_error_detail(), cases[i].says) != NULL, "case %zu: %s", i,
                      mlp_error_detail());
    }
    mlp_net_free(net);
}
END_TEST

/* Bytes that are not a model: cut, flipped, nested without end, empty, random. */
START_TEST(bytes_that_are_not_a_model_are_refused)
{
    mlp_net *net = sample(), *back = NULL;
    size_t n;
    unsigned char *b = export_bytes(net, &n);
    for (size_t cut = 0; cut < n; cut += 1 + cut / 3) {
        const mlp_status s = mlp_net_import_onnx_buffer(&back, b, cut);
        ck_assert_int_eq(s, MLP_ERR_FORMAT);
        ck_assert_ptr_null(back);
    }
    unsigned long long r = 3;
    for (int k = 0; k < 300; k++) { /* one byte changed: refused or a network, never a crash */
        unsigned char *c = malloc(n);
        memcpy(c, b, n);
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        c[(r >> 20) % n] ^= (unsigned char)(1u << ((r >> 50) % 8));
        const mlp_status s = mlp_net_import_onnx_buffer(&back, c, n);
        ck_assert(s == MLP_OK || s == MLP_ERR_FORMAT || s == MLP_ERR_SHAPE ||
                  s == MLP_ERR_INVALID_ARG);
        mlp_net_free(back);
        back = NULL;
        free(c);
    }
    /* graph 7 > node 1 > attribute 5 > g 6 > node 1 > ...: 300 deep, a few bytes each */
    unsigned char deep[4096], tmp[4096];
    size_t len = 0;
    static const unsigned char fields[] = {1, 5, 6}; /* from the outside in, after graph */
    for (int d = 0; d < 300; d++) {
        const int j = 299 - d; /* 0: the outermost */
        const unsigned char f = j == 0 ? 7 : fields[(j - 1) % 3];
        size_t h = 0;
        tmp[h++] = (unsigned char)(f << 3 | 2);
        for (size_t v = len;; v >>= 7) {
            tmp[h++] = (unsigned char)((v & 0x7F) | (v >= 0x80 ? 0x80 : 0));
            if (v < 0x80) break;
        }
        ck_assert_uint_lt(h + len, sizeof deep);
        memcpy(tmp + h, deep, len);
        len += h;
        memcpy(deep, tmp, len);
    }
    ck_assert_int_eq(mlp_net_import_onnx_buffer(&back, deep, len), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "nested more than"));
    ck_assert_int_eq(mlp_net_import_onnx_buffer(&back, "", 0), MLP_ERR_FORMAT);
    ck_assert_int_eq(mlp_net_import_onnx_buffer(NULL, b, n), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_import_onnx_buffer(&back, NULL, n), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_import_onnx(&back, "/nonexistent/m.onnx"), MLP_ERR_IO);
    ck_assert_int_eq(mlp_net_import_onnx(&back, "/tmp"), MLP_ERR_IO);
    /* a libmlp model file is not ONNX */
    size_t s;
    ck_assert_int_eq(mlp_net_save_buffer(net, NULL, 0, &s), MLP_OK);
    unsigned char *mf = malloc(s);
    ck_assert_int_eq(mlp_net_save_buffer(net, mf, s, &s), MLP_OK);
    ck_assert_int_eq(mlp_net_import_onnx_buffer(&back, mf, s), MLP_ERR_FORMAT);
    free(mf);
    free(b);
    mlp_net_free(net);
}
END_TEST

static Suite *onnx_suite(void)
{
    Suite *s = suite_create("onnx");
    TCase *c = tcase_create("export");
    tcase_add_checked_fixture(c, tu_float64_networks, NULL);
    tcase_add_loop_test(c, the_graph_is_the_network, 0, 2);
    tcase_add_loop_test(c, settings_reach_the_graph, 0, 2);
    tcase_add_loop_test(c, buffer_and_file_agree, 0, 2);
    tcase_add_loop_test(c, refusals_change_nothing, 0, 2);
    suite_add_tcase(s, c);
    TCase *i = tcase_create("import");
    tcase_add_checked_fixture(i, tu_float64_networks, NULL);
    tcase_set_timeout(i, 60);
    tcase_add_loop_test(i, round_trip_gives_the_same_network, 0, 2);
    tcase_add_test(i, pytorch_models_predict_as_pytorch);
    tcase_add_test(i, pytorch_layers_become_kinds);
    tcase_add_test(i, graphs_libmlp_cannot_compute_are_refused);
    tcase_add_test(i, bytes_that_are_not_a_model_are_refused);
    suite_add_tcase(s, i);
    return s;
}

TU_MAIN(onnx_suite)
