/* ONNX export: the model read back with protobuf-c (the messages of the same
 * onnx.proto) and compared with what was written by hand: the nodes in order, Gemm's
 * transB, every weight, bias, gain and running value bit for bit, the scaling, the
 * graph's input and output, the metadata; the buffer and file calls' contracts; the
 * refusals (NULL, not UTF-8, not finite) leaving a previous file as it was. ONNX's
 * checker and ONNX Runtime read the models in tests/onnx/. Both precisions. */
#define _GNU_SOURCE /* mkdtemp */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "test_util.h"

/* A model's bytes back as messages (freed with mlp__onnx__model_proto__free_unpacked). */
static Onnx__ModelProto *unpack(const mlp_net *net, size_t *size)
{
    size_t n = 0;
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, &n), MLP_OK);
    unsigned char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, buf, n, &n), MLP_OK);
    Onnx__ModelProto *m = mlp__onnx__model_proto__unpack(NULL, n, buf);
    ck_assert_ptr_nonnull(m);
    free(buf);
    if (size != NULL) *size = n;
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
    Onnx__ModelProto *m = unpack(net, NULL);
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
    Onnx__ModelProto *m = unpack(net, NULL);
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
    return s;
}

TU_MAIN(onnx_suite)
