/* Float32 networks through the public API: made (mlp_net_create_precision, and
 * mlp_net_convert both ways), their values read and written as doubles, saved and loaded
 * (format 7, half the size of float64's; a hostile type field refused), trained from a
 * checkpoint as an uninterrupted run would, their gradient checked, scored and
 * exported. The float64 network is the reference throughout:
 * every float32 value must be the nearest float to the float64 one (C's (float)
 * conversion rounds to nearest), every widening exact. */
#define _GNU_SOURCE /* mkdtemp */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* The gradient check of a float32 network reports float's rounding of its gradient,
 * normwise: relative to the gradient's largest component (a small component carries
 * the rounding of the large terms it is summed from). Measured: 4.8e-8 here, 4.9e-7
 * over test_backprop's 132 networks (4 ε). The bound is 64 ε of float, 7.6e-6; a
 * wrong gradient is off by its own size (1), or by a component's share of the norm. */
#define GRADIENT_CHECK_BOUND (64 * (double)FLT_EPSILON)

static const mlp_layer_spec kinds[] = {MLP_LAYER(12, MLP_ACT_TANH, 1),
                                       MLP_LAYERNORM(MLP_ACT_IDENTITY),
                                       MLP_LAYER(10, MLP_ACT_RELU, 0),
                                       MLP_BATCHNORM(MLP_ACT_SIGMOID),
                                       MLP_DROPOUT(0.2),
                                       MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
enum { IN = 5, N_KINDS = 6, ROWS = 64 };

/* ROWS rows of IN inputs around 50 (scaling matters) and a class among 3 each. */
static void rows(double *x, double *labels)
{
    uint64_t st = 41;
    for (size_t r = 0; r < ROWS; r++) {
        double s = 0;
        for (size_t j = 0; j < IN; j++) {
            x[r * IN + j] = 50 + 10 * tu_uniform(&st, -1, 1);
            s += (x[r * IN + j] - 50) * (double)(j % 2 ? 1 : -1);
        }
        labels[r] = s < -3 ? 0 : s < 3 ? 1 : 2;
    }
}

/* A trained float64 model: scaling, names, classes, a few epochs of history. */
static mlp_net *trained_model(const double *x, const double *labels)
{
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, IN, kinds, N_KINDS), MLP_OK);
    const mlp_dataset d = MLP_DATASET_CLASSES(x, IN, labels, 3, ROWS);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
    const char *in_names[IN] = {"a", "b", "c", "d", "e"}, *classes[3] = {"low", "mid", "high"};
    ck_assert_int_eq(mlp_net_set_columns(net, in_names, NULL, 0), MLP_OK);
    ck_assert_int_eq(mlp_net_set_classes(net, classes, 3), MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 16),
                     MLP_OK);
    mlp_fit_options fo = tu_fit_options();
    fo.epochs = 3;
    fo.batch_size = 16;
    fo.validation_fraction = 0.25;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &fo), MLP_OK);
    mlp_trainer_free(tr);
    return net;
}

START_TEST(names_and_creation)
{
    ck_assert_str_eq(mlp_precision_name(MLP_PRECISION_FLOAT64), "float64");
    ck_assert_str_eq(mlp_precision_name(MLP_PRECISION_FLOAT32), "float32");
    ck_assert_str_eq(mlp_precision_name(MLP_PRECISION_BFLOAT16), "bfloat16"); /* predictors' */
    ck_assert_ptr_null(mlp_precision_name((mlp_precision)3));
    const char *f32[] = {"float32", "f32", "float"}, *f64[] = {"float64", "f64", "double"};
    for (int i = 0; i < 3; i++) {
        mlp_precision p = MLP_PRECISION_FLOAT64;
        ck_assert_int_eq(mlp_precision_from_name(&p, f32[i]), MLP_OK);
        ck_assert_int_eq(p, MLP_PRECISION_FLOAT32);
        ck_assert_int_eq(mlp_precision_from_name(&p, f64[i]), MLP_OK);
        ck_assert_int_eq(p, MLP_PRECISION_FLOAT64);
    }
    mlp_precision p;
    ck_assert_int_eq(mlp_precision_from_name(&p, "half"), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "\"half\": float64 (f64, double), float32"));

    /* the same draw as mlp_net_create, each weight rounded to nearest */
    mlp_net *d, *f;
    ck_assert_int_eq(mlp_net_create(&d, IN, kinds, N_KINDS), MLP_OK);
    ck_assert_int_eq(mlp_net_create_precision(&f, IN, kinds, N_KINDS, MLP_PRECISION_FLOAT32),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_precision(f), MLP_PRECISION_FLOAT32);
    ck_assert_int_eq(mlp_net_precision(d), MLP_PRECISION_FLOAT64);
    ck_assert_int_eq(mlp_net_precision(NULL), MLP_PRECISION_FLOAT64);
    const double *w = mlp_net_params_const(d);
    const float *v = mlp_net_params_f32_const(f);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < mlp_net_n_params(d); i++) ck_assert(v[i] == (float)w[i]);
    /* each block has its own accessor: the other says where it is */
    ck_assert_ptr_null(mlp_net_params(f));
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "the network is float32"));
    ck_assert_ptr_null(mlp_net_params_const(f));
    ck_assert_ptr_null(mlp_net_params_f32(d));
    ck_assert_ptr_null(mlp_net_params_f32_const(d));
    mlp_net *g = (mlp_net *)&p;
    ck_assert_int_eq(mlp_net_create_precision(&g, IN, kinds, N_KINDS, (mlp_precision)2),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(g);
    mlp_net_free(d);
    mlp_net_free(f);
}
END_TEST

START_TEST(convert_both_ways)
{
    double x[ROWS * IN], labels[ROWS];
    rows(x, labels);
    mlp_net *d = trained_model(x, labels), *f, *back, *same;
    ck_assert_int_eq(mlp_net_convert(&f, d, MLP_PRECISION_FLOAT32), MLP_OK);
    ck_assert_int_eq(mlp_net_precision(f), MLP_PRECISION_FLOAT32);
    const size_t np = mlp_net_n_params(d);
    const double *w = mlp_net_params_const(d);
    const float *v = mlp_net_params_f32_const(f);
    for (size_t i = 0; i < np; i++) ck_assert(v[i] == (float)w[i]);
    /* the model around the network, and its record */
    ck_assert_str_eq(mlp_net_input_name(f, 4), "e");
    ck_assert_str_eq(mlp_net_class_name(f, 2), "high");
    double s64[2 * IN], s32[2 * IN];
    ck_assert_int_eq(mlp_net_get_scaling(d, s64, s64 + IN, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_get_scaling(f, s32, s32 + IN, NULL, NULL), MLP_OK);
    ck_assert_mem_eq(s64, s32, sizeof s64);
    mlp_provenance p64, p32;
    mlp_provenance_init(&p64, sizeof p64);
    mlp_provenance_init(&p32, sizeof p32);
    ck_assert_int_eq(mlp_net_provenance(d, &p64, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_provenance(f, &p32, NULL), MLP_OK);
    ck_assert_uint_eq(p32.epochs, 3);
    ck_assert_mem_eq(&p64, &p32, sizeof p64);
    const double *h64, *h32;
    size_t e64, e32;
    ck_assert_int_eq(mlp_net_val_loss_history(d, &h64, &e64), MLP_OK);
    ck_assert_int_eq(mlp_net_val_loss_history(f, &h32, &e32), MLP_OK);
    ck_assert_uint_eq(e32, 3);
    ck_assert_mem_eq(h64, h32, 3 * sizeof *h64);
    /* back to float64: exact; to its own precision: a copy */
    ck_assert_int_eq(mlp_net_convert(&back, f, MLP_PRECISION_FLOAT64), MLP_OK);
    const double *u = mlp_net_params_const(back);
    for (size_t i = 0; i < np; i++) ck_assert(u[i] == (double)v[i]);
    ck_assert_int_eq(mlp_net_convert(&same, f, MLP_PRECISION_FLOAT32), MLP_OK);
    ck_assert_mem_eq(mlp_net_params_f32_const(same), v, np * sizeof *v);
    /* predictions of the raw rows: the float32 model within float's rounding of the
     * float64 one (the passes' tolerance of the typed_net suite) */
    mlp_workspace *w64, *w32;
    ck_assert_int_eq(mlp_workspace_create(&w64, d, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&w32, f, ROWS), MLP_OK);
    double y64[ROWS * 3], y32[ROWS * 3];
    ck_assert_int_eq(mlp_net_predict(d, w64, y64, x, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(f, w32, y32, x, ROWS), MLP_OK);
    for (size_t i = 0; i < ROWS * 3; i++)
        ck_assert_msg(fabs(y64[i] - y32[i]) <= 64 * FLT_EPSILON, "%zu: %.9g %.9g", i, y64[i],
                      y32[i]);
    /* a value past float's range has no float: refused, naming it */
    mlp_net *big, *none = d;
    ck_assert_int_eq(mlp_net_convert(&big, d, MLP_PRECISION_FLOAT64), MLP_OK);
    const double huge[3] = {1, 1e39, 1};
    ck_assert_int_eq(mlp_net_set_bias(big, 5, huge, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_convert(&none, big, MLP_PRECISION_FLOAT32), MLP_ERR_NUMERIC);
    ck_assert_ptr_null(none);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "is 1e+39, past float32's range"));
    ck_assert_int_eq(mlp_net_convert(&none, d, (mlp_precision)-1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_convert(&none, NULL, MLP_PRECISION_FLOAT32), MLP_ERR_INVALID_ARG);
    mlp_workspace_free(w64);
    mlp_workspace_free(w32);
    mlp_net_free(big);
    mlp_net_free(same);
    mlp_net_free(back);
    mlp_net_free(f);
    mlp_net_free(d);
}
END_TEST

/* Weights read and written as doubles: rounded in, widened out; a value past float's
 * range refused with nothing changed; mlp_net_init the float64 draw rounded. */
START_TEST(values_as_doubles)
{
    mlp_net *f;
    ck_assert_int_eq(mlp_net_create_precision(&f, IN, kinds, N_KINDS, MLP_PRECISION_FLOAT32),
                     MLP_OK);
    double w[12 * IN], got[12 * IN];
    for (size_t i = 0; i < 12 * IN; i++) w[i] = 0.1 * (double)i - 2.5;
    ck_assert_int_eq(mlp_net_set_weights(f, 0, w, 12 * IN), MLP_OK);
    ck_assert_int_eq(mlp_net_get_weights(f, 0, got, 12 * IN), MLP_OK);
    for (size_t i = 0; i < 12 * IN; i++) ck_assert(got[i] == (double)(float)w[i]);
    const float *v = mlp_net_params_f32_const(f);
    float before[12 * IN];
    memcpy(before, v, sizeof before);
    w[7] = -4e38;
    ck_assert_int_eq(mlp_net_set_weights(f, 0, w, 12 * IN), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "value 7 is -4e+38, past the float32"));
    ck_assert_mem_eq(before, v, sizeof before);
    const double gains[12] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0.3};
    double g[12];
    ck_assert_int_eq(mlp_net_set_weights(f, 1, gains, 12), MLP_OK); /* a layer norm's γ */
    ck_assert_int_eq(mlp_net_get_weights(f, 1, g, 12), MLP_OK);
    ck_assert(g[11] == (double)0.3f && g[0] == 2);
    mlp_net *d;
    ck_assert_int_eq(mlp_net_convert(&d, f, MLP_PRECISION_FLOAT64), MLP_OK);
    ck_assert_int_eq(mlp_net_init(f, MLP_INIT_XAVIER, 99), MLP_OK);
    ck_assert_int_eq(mlp_net_init(d, MLP_INIT_XAVIER, 99), MLP_OK);
    const double *u = mlp_net_params_const(d);
    for (size_t i = 0; i < mlp_net_n_params(d); i++) ck_assert(v[i] == (float)u[i]);
    mlp_net_free(d);
    mlp_net_free(f);
}
END_TEST

/* Format 7: half the bytes, the same values back, the same predictions bit for bit;
 * float64 files keep their version; the type field's hostile values refused. */
START_TEST(save_and_load)
{
    double x[ROWS * IN], labels[ROWS];
    rows(x, labels);
    mlp_net *d = trained_model(x, labels), *f;
    ck_assert_int_eq(mlp_net_convert(&f, d, MLP_PRECISION_FLOAT32), MLP_OK);
    size_t s64, s32;
    unsigned char *b64 = tu_saved(d, &s64), *b32 = tu_saved(f, &s32);
    ck_assert_uint_eq(b64[8], 6); /* a network with normalizations: version 6, as in 1.7 */
    ck_assert_uint_eq(b32[8], 7);
    /* the same file but for the values: 4 bytes a value in place of 8, and the type */
    const size_t np = mlp_net_n_params(d), ns = 2 * 10; /* the batch normalization's */
    ck_assert_uint_eq(s64 - s32, 4 * (np + ns) - 8);
    mlp_net *back;
    ck_assert_int_eq(mlp_net_load_buffer(&back, b32, s32), MLP_OK);
    ck_assert_int_eq(mlp_net_precision(back), MLP_PRECISION_FLOAT32);
    ck_assert_mem_eq(mlp_net_params_f32_const(back), mlp_net_params_f32_const(f),
                     np * sizeof(float));
    ck_assert_str_eq(mlp_net_class_name(back, 0), "low");
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, f, ROWS), MLP_OK);
    double y[ROWS * 3], y_back[ROWS * 3];
    ck_assert_int_eq(mlp_net_predict(f, ws, y, x, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(back, ws, y_back, x, ROWS), MLP_OK);
    ck_assert_mem_eq(y, y_back, sizeof y);
    /* through a file as well */
    char dir[] = "/tmp/mlp-precision-XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f32.mlp", dir);
    mlp_net *loaded;
    ck_assert_int_eq(mlp_net_save(f, path), MLP_OK);
    ck_assert_int_eq(mlp_net_load(&loaded, path), MLP_OK);
    ck_assert_mem_eq(mlp_net_params_f32_const(loaded), mlp_net_params_f32_const(f),
                     np * sizeof(float));
    unlink(path);
    rmdir(dir);
    /* the type field: after the header (40), the input and layer counts (16) and the
     * six layer records of version 6 (24 each, and 8 a value: the layer normalization's
     * epsilon, the batch normalization's epsilon and momentum, the dropout's rate) */
    const size_t at = 40 + 16 + 6 * 24 + 8 * 4;
    ck_assert_uint_eq(b32[at], 4);
    const tu_edit edits[] = {
        {at, 4, 5, "the values' type is 5 bytes (reserved 0): 8 (float64) or 4 (float32)"},
        {at, 4, 0, "the values' type is 0 bytes"},
        {at + 4, 4, 1, "(reserved 1)"},
        {at, 4, 8, "values do not fit the"}, /* read as doubles, they do not fit */
        {8, 4, 9, "format version 9, this library reads versions 1 to 8"},
        /* a version 6 file has no type field: the type is read as the parameter count */
        {8, 4, 6, "4 parameters stored, the layers need 269"},
    };
    tu_refuses_edits(b32, s32, edits, sizeof edits / sizeof edits[0]);
    free(b64);
    free(b32);
    mlp_workspace_free(ws);
    mlp_net_free(loaded);
    mlp_net_free(back);
    mlp_net_free(f);
    mlp_net_free(d);
}
END_TEST

/* A float32 trainer's checkpoint: loaded, it goes on as the trainer it was saved from,
 * bit for bit. iRPROP-'s step sizes are bounded by delta_max as float holds it (0.3
 * rounds up, to 0.30000001): the loader takes the state the steps made. */
START_TEST(checkpoint_resumes)
{
    double x[ROWS * IN], labels[ROWS];
    rows(x, labels);
    const mlp_dataset d = MLP_DATASET_CLASSES(x, IN, labels, 3, ROWS);
    const mlp_optimizer_kind methods[] = {MLP_OPT_ADAM, MLP_OPT_MOMENTUM, MLP_OPT_IRPROP_MINUS};
    char dir[] = "/tmp/mlp-precision-XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ckpt.mlp", dir);
    for (size_t m = 0; m < 3; m++) {
        mlp_net *f;
        ck_assert_int_eq(mlp_net_create_precision(&f, IN, kinds, N_KINDS, MLP_PRECISION_FLOAT32),
                         MLP_OK);
        ck_assert_int_eq(mlp_net_fit_scaling(f, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
        mlp_optimizer o = tu_optimizer(methods[m]);
        o.rprop_delta_init = 0.25;
        o.rprop_delta_max = 0.3;
        mlp_trainer *tr, *again;
        ck_assert_int_eq(mlp_trainer_create(&tr, f, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, ROWS),
                         MLP_OK);
        mlp_fit_options fo = tu_fit_options();
        fo.epochs = 4;
        fo.batch_size = methods[m] == MLP_OPT_IRPROP_MINUS ? 0 : 16;
        ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &fo), MLP_OK);
        ck_assert_int_eq(mlp_trainer_save(tr, path), MLP_OK);
        mlp_net *g;
        ck_assert_msg(mlp_trainer_load(&again, &g, path, ROWS) == MLP_OK, "%s: %s",
                      mlp_optimizer_name(methods[m]), mlp_error_detail());
        ck_assert_int_eq(mlp_net_precision(g), MLP_PRECISION_FLOAT32);
        ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &fo), MLP_OK);
        ck_assert_int_eq(mlp_trainer_fit(again, NULL, &d, &fo), MLP_OK);
        ck_assert_mem_eq(mlp_net_params_f32_const(f), mlp_net_params_f32_const(g),
                         mlp_net_n_params(f) * sizeof(float));
        mlp_trainer_free(tr);
        mlp_trainer_free(again);
        mlp_net_free(f);
        mlp_net_free(g);
    }
    unlink(path);
    rmdir(dir);
}
END_TEST

/* The gradient of a float32 network is its float32 backward pass's, widened: within
 * float's rounding of the float64 copy's; the gradient check compares it with
 * differences taken on a float64 copy (the same weights), so what it reports is
 * float's rounding of the gradient. */
START_TEST(gradient_in_float32)
{
    static const mlp_layer_spec smooth[] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
                                            MLP_LAYERNORM(MLP_ACT_SIGMOID),
                                            MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
    double x[ROWS * IN], labels[ROWS];
    rows(x, labels);
    const mlp_dataset d = MLP_DATASET_CLASSES(x, IN, labels, 3, 16);
    mlp_net *f, *c;
    ck_assert_int_eq(mlp_net_create_precision(&f, IN, smooth, 3, MLP_PRECISION_FLOAT32), MLP_OK);
    ck_assert_int_eq(mlp_net_fit_scaling(f, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
    ck_assert_int_eq(mlp_net_convert(&c, f, MLP_PRECISION_FLOAT64), MLP_OK);
    const size_t np = mlp_net_n_params(f);
    double *g32 = malloc(np * sizeof *g32), *g64 = malloc(np * sizeof *g64), l32, l64;
    mlp_workspace *w32, *w64;
    ck_assert_int_eq(mlp_workspace_create(&w32, f, 16), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&w64, c, 16), MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(f, w32, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g32, &l32, &d),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(c, w64, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g64, &l64, &d),
                     MLP_OK);
    double scale = 0;
    for (size_t i = 0; i < np; i++) scale = fmax(scale, fabs(g64[i]));
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(fabs(g32[i] - g64[i]) <= 64 * FLT_EPSILON * scale, "%zu: %g %g", i, g32[i],
                      g64[i]);
    ck_assert(fabs(l32 - l64) <= 64 * FLT_EPSILON * l64);
    double err;
    ck_assert_int_eq(
        mlp_net_gradient_check(&err, f, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &d, 1e-2), MLP_OK);
    ck_assert_msg(err <= GRADIENT_CHECK_BOUND, "float32: max relative error %g", err);
    double err64;
    ck_assert_int_eq(
        mlp_net_gradient_check(&err64, c, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &d, 1e-2), MLP_OK);
    ck_assert_msg(err64 <= 1e-7, "float64: max relative error %g", err64);
    free(g32), free(g64);
    mlp_workspace_free(w32);
    mlp_workspace_free(w64);
    mlp_net_free(f);
    mlp_net_free(c);
}
END_TEST

/* Scores of the float32 model against its float64 copy's; its C export in float; a
 * float64 workspace refused. */
START_TEST(score_and_refusals)
{
    double x[ROWS * IN], labels[ROWS];
    rows(x, labels);
    mlp_net *d = trained_model(x, labels), *f;
    ck_assert_int_eq(mlp_net_convert(&f, d, MLP_PRECISION_FLOAT32), MLP_OK);
    mlp_workspace *w32, *w64;
    ck_assert_int_eq(mlp_workspace_create(&w32, f, 7), MLP_OK); /* chunks of 7 rows */
    ck_assert_int_eq(mlp_workspace_create(&w64, d, 7), MLP_OK);
    mlp_scores s32, s64;
    mlp_scores_init(&s32, sizeof s32);
    mlp_scores_init(&s64, sizeof s64);
    const mlp_dataset data = MLP_DATASET_CLASSES(x, IN, labels, 3, ROWS);
    size_t c32[9], c64[9], moved = 0;
    ck_assert_int_eq(mlp_net_score(f, w32, &s32, c32, &data), MLP_OK);
    ck_assert_int_eq(mlp_net_score(d, w64, &s64, c64, &data), MLP_OK);
    ck_assert_uint_eq(s32.n, ROWS);
    ck_assert_uint_eq(s32.n_classes, 3);
    /* the same predicted classes, but for a row whose two largest probabilities are
     * within float's rounding of each other (at most one, here) */
    for (int i = 0; i < 9; i++) moved += c32[i] > c64[i] ? c32[i] - c64[i] : c64[i] - c32[i];
    ck_assert_uint_le(moved, 2);
    ck_assert(fabs(s32.accuracy - s64.accuracy) <= 1.0 / ROWS);
    ck_assert_int_eq(mlp_net_score(f, w64, &s32, NULL, &data), MLP_ERR_SHAPE);
    /* the C export writes float arrays and float math (tests/test_export.c compiles and
     * runs such files) */
    FILE *out = tmpfile();
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(mlp_net_export_c(f, out, "m"), MLP_OK);
    const long bytes = ftell(out);
    ck_assert(bytes > 0);
    rewind(out);
    char *text = calloc((size_t)bytes + 1, 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)bytes, out), (size_t)bytes);
    ck_assert_ptr_nonnull(strstr(text, "static const float m_w0["));
    ck_assert_ptr_nonnull(strstr(text, "float32 (the file computes in float)"));
    free(text);
    fclose(out);
    mlp_workspace_free(w32);
    mlp_workspace_free(w64);
    mlp_net_free(f);
    mlp_net_free(d);
}
END_TEST

/* Float rows widened to doubles: exact, so the doubles are the same data. */
static void widen(double *d, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = (double)f[i];
}

/* Float rows (MLP_DATASET_F32, mlp_net_predict_f32) are the doubles of their widened
 * values, exactly: for a network of either type, every call that takes rows gives the
 * same bits from the floats as from those doubles (a float32 network rounds the doubles
 * back to the same floats; a float64 one widens the floats to the same doubles). The
 * double road is the reference (the other suites test it). Classes and a regression with
 * scaled inputs and targets, so that every conversion is crossed. */
START_TEST(float_rows_are_their_doubles)
{
    enum { RIN = 3, ROUT = 2 };
    float xf[ROWS * IN], lf[ROWS], rxf[ROWS * RIN], ryf[ROWS * ROUT];
    double xd[ROWS * IN], ld[ROWS], rxd[ROWS * RIN], ryd[ROWS * ROUT];
    rows(xd, ld);
    for (size_t i = 0; i < ROWS * IN; i++)
        xf[i] = (float)(xd[i] + 1e-3 * (double)i); /* not whole */
    for (size_t i = 0; i < ROWS; i++) lf[i] = (float)ld[i];
    uint64_t st = 7;
    for (size_t i = 0; i < ROWS * RIN; i++) rxf[i] = (float)tu_uniform(&st, -200, 300);
    for (size_t i = 0; i < ROWS; i++) {
        ryf[i * ROUT] = (float)(1000 + 3 * rxf[i * RIN] - rxf[i * RIN + 1]);
        ryf[i * ROUT + 1] = (float)(0.01 * rxf[i * RIN + 2] * rxf[i * RIN + 2]);
    }
    widen(xd, xf, ROWS * IN);
    widen(ld, lf, ROWS);
    widen(rxd, rxf, ROWS * RIN);
    widen(ryd, ryf, ROWS * ROUT);
    const mlp_layer_spec reg[] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
                                  MLP_LAYER(ROUT, MLP_ACT_IDENTITY, 1)};
    for (int p = 0; p < 2; p++) {
        const mlp_precision prec = p ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64;
        for (int task = 0; task < 2; task++) {
            const int classes = task == 0;
            const size_t in = classes ? IN : RIN, out = classes ? 3 : ROUT;
            const mlp_dataset df = classes
                                       ? (mlp_dataset)MLP_DATASET_CLASSES_F32(xf, IN, lf, 3, ROWS)
                                       : (mlp_dataset)MLP_DATASET_F32(rxf, RIN, ryf, ROUT, ROWS);
            const mlp_dataset dd = classes ? (mlp_dataset)MLP_DATASET_CLASSES(xd, IN, ld, 3, ROWS)
                                           : (mlp_dataset)MLP_DATASET(rxd, RIN, ryd, ROUT, ROWS);
            const mlp_loss loss = classes ? MLP_LOSS_CATEGORICAL_CROSSENTROPY : MLP_LOSS_MSE;
            mlp_net *a, *b;
            size_t bytes;
            ck_assert_int_eq(mlp_net_create_precision(&a, in, classes ? kinds : reg,
                                                      classes ? N_KINDS : 2, prec),
                             MLP_OK);
            ck_assert_int_eq(mlp_net_create_precision(&b, in, classes ? kinds : reg,
                                                      classes ? N_KINDS : 2, prec),
                             MLP_OK);
            const mlp_scaling ts = classes ? MLP_SCALE_NONE : MLP_SCALE_STANDARD;
            ck_assert_int_eq(mlp_net_fit_scaling(a, MLP_SCALE_STANDARD, ts, &df), MLP_OK);
            ck_assert_int_eq(mlp_net_fit_scaling(b, MLP_SCALE_STANDARD, ts, &dd), MLP_OK);
            double sa[2][IN], sb[2][IN], ta[2][3], tb[2][3];
            mlp_net_get_scaling(a, sa[0], sa[1], ta[0], ta[1]);
            mlp_net_get_scaling(b, sb[0], sb[1], tb[0], tb[1]);
            ck_assert_mem_eq(sa[0], sb[0], in * sizeof(double));
            ck_assert_mem_eq(sa[1], sb[1], in * sizeof(double));
            ck_assert_mem_eq(ta[0], tb[0], out * sizeof(double));
            ck_assert_mem_eq(ta[1], tb[1], out * sizeof(double));
            /* the transform of the rows */
            double ax[ROWS * IN], bx[ROWS * IN], ay[ROWS * 3], by[ROWS * 3];
            ck_assert_int_eq(mlp_net_transform(a, ax, ay, &df), MLP_OK);
            ck_assert_int_eq(mlp_net_transform(b, bx, by, &dd), MLP_OK);
            ck_assert_mem_eq(ax, bx, ROWS * in * sizeof(double));
            ck_assert_mem_eq(ay, by, ROWS * out * sizeof(double));
            /* a fit holding out a drawn, stratified validation split, then a step */
            mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
            mlp_trainer *tra, *trb;
            ck_assert_int_eq(mlp_trainer_create(&tra, a, loss, &o, 16), MLP_OK);
            ck_assert_int_eq(mlp_trainer_create(&trb, b, loss, &o, 16), MLP_OK);
            mlp_fit_options fo = tu_fit_options();
            fo.epochs = 3;
            fo.batch_size = 16;
            fo.validation_fraction = 0.25;
            mlp_fit_result ra = tu_fit_result(), rb = tu_fit_result();
            ck_assert_int_eq(mlp_trainer_fit(tra, &ra, &df, &fo), MLP_OK);
            ck_assert_int_eq(mlp_trainer_fit(trb, &rb, &dd, &fo), MLP_OK);
            ck_assert_mem_eq(tu_params_of(a, &bytes), tu_params_of(b, &bytes), bytes);
            ck_assert(ra.best_loss == rb.best_loss && ra.epochs_run == rb.epochs_run);
            /* a validation dataset of floats, then steps on 16 of the rows */
            fo.validation_fraction = 0;
            fo.validation = &df;
            fo.epochs = 1;
            ck_assert_int_eq(mlp_trainer_fit(tra, &ra, &df, &fo), MLP_OK);
            fo.validation = &dd;
            ck_assert_int_eq(mlp_trainer_fit(trb, &rb, &dd, &fo), MLP_OK);
            ck_assert(ra.best_loss == rb.best_loss);
            mlp_dataset sf = df, sd = dd;
            sf.n = sd.n = 16;
            double la, lb;
            ck_assert_int_eq(mlp_trainer_step(tra, &la, &sf), MLP_OK);
            ck_assert_int_eq(mlp_trainer_step(trb, &lb, &sd), MLP_OK);
            ck_assert(la == lb);
            ck_assert_mem_eq(tu_params_of(a, &bytes), tu_params_of(b, &bytes), bytes);
            mlp_trainer_free(tra);
            mlp_trainer_free(trb);
            /* the gradient and its check */
            const size_t np = mlp_net_n_params(a);
            double *ga = malloc(np * sizeof *ga), *gb = malloc(np * sizeof *gb);
            mlp_workspace *ws;
            ck_assert_int_eq(mlp_workspace_create(&ws, a, ROWS), MLP_OK);
            ck_assert_int_eq(mlp_net_gradient(a, ws, loss, ga, &la, &sf), MLP_OK);
            ck_assert_int_eq(mlp_net_gradient(b, ws, loss, gb, &lb, &sd), MLP_OK);
            ck_assert(la == lb);
            ck_assert_mem_eq(ga, gb, np * sizeof *ga);
            if (!classes) { /* (the kinds' batch norm and dropout make a slow check) */
                double ea, eb;
                ck_assert_int_eq(mlp_net_gradient_check(&ea, a, loss, &sf, 1e-3), MLP_OK);
                ck_assert_int_eq(mlp_net_gradient_check(&eb, b, loss, &sd, 1e-3), MLP_OK);
                ck_assert(ea == eb);
            }
            free(ga);
            free(gb);
            /* scores, the split, and predictions */
            mlp_scores ca, cb;
            mlp_scores_init(&ca, sizeof ca);
            mlp_scores_init(&cb, sizeof cb);
            ck_assert_int_eq(mlp_net_score(a, ws, &ca, NULL, &df), MLP_OK);
            ck_assert_int_eq(mlp_net_score(b, ws, &cb, NULL, &dd), MLP_OK);
            ck_assert(classes ? ca.accuracy == cb.accuracy && ca.macro_f1 == cb.macro_f1
                              : ca.mse == cb.mse && ca.r2 == cb.r2 && ca.mae == cb.mae);
            size_t oa[ROWS], ob[ROWS], na, nb;
            ck_assert_int_eq(mlp_dataset_split(oa, &na, &df, 0.3, 5), MLP_OK);
            ck_assert_int_eq(mlp_dataset_split(ob, &nb, &dd, 0.3, 5), MLP_OK);
            ck_assert_uint_eq(na, nb);
            ck_assert_mem_eq(oa, ob, sizeof oa);
            float pf[ROWS * 3];
            double pd[ROWS * 3];
            const float *px = classes ? xf : rxf;
            ck_assert_int_eq(mlp_net_predict_f32(a, ws, pf, px, ROWS), MLP_OK);
            ck_assert_int_eq(mlp_net_predict(b, ws, pd, classes ? xd : rxd, ROWS), MLP_OK);
            for (size_t i = 0; i < ROWS * out; i++) ck_assert(pf[i] == (float)pd[i]);
            mlp_workspace_free(ws);
            mlp_net_free(a);
            mlp_net_free(b);
        }
    }
}
END_TEST

/* mlp_net_predict_f32 against a forward pass by hand (tu_reference_predict, in double
 * on the network's weights): a float32 network within float's rounding of each layer
 * (64 ε of float of the output's size, three layers of a dozen terms: measured below
 * 8 ε), a float64 one the reference rounded to float (one rounding: ½ ulp, and the
 * double computation's own 1e-15 can move a tie by one ulp: ε of float). */
START_TEST(predict_f32_by_hand)
{
    enum { HIN = 4, HN = 33 };
    const mlp_layer_spec spec[] = {MLP_LAYER(12, MLP_ACT_TANH, 1), MLP_LAYER(7, MLP_ACT_GELU, 1),
                                   MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
    float x[HN * HIN], y[HN * 3];
    double xd[HN * HIN], ref[HN * 3];
    uint64_t st = 99;
    for (size_t i = 0; i < HN * HIN; i++) x[i] = (float)tu_uniform(&st, -3, 3);
    widen(xd, x, HN * HIN);
    for (int p = 0; p < 2; p++) {
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create_precision(
                             &net, HIN, spec, 3, p ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
                         MLP_OK);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, HN), MLP_OK);
        ck_assert_int_eq(tu_reference_predict(net, ref, xd, HN), 0);
        for (size_t n = 1; n <= HN; n += 16) { /* a row (the small road), and more */
            ck_assert_int_eq(mlp_net_predict_f32(net, ws, y, x, n), MLP_OK);
            for (size_t i = 0; i < n * 3; i++) {
                const double err = fabs((double)y[i] - ref[i]);
                if (p)
                    ck_assert_msg(err <= 64 * FLT_EPSILON * fabs(ref[i]), "%g vs %g", y[i], ref[i]);
                else
                    ck_assert_msg(err <= FLT_EPSILON * fabs(ref[i]), "%g vs %g", y[i], ref[i]);
            }
        }
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
    /* a small network (its own road, writing y as the rows go), 1 to 100 rows, y apart
     * from x and over it (then the rows are read before y is written) */
    const mlp_layer_spec tiny[] = {MLP_LAYER(4, MLP_ACT_RELU, 1),
                                   MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    enum { TN = 100 };
    float tx[TN * 2], ty[TN], inplace[TN * 2];
    double txd[TN * 2], tref[TN];
    for (size_t i = 0; i < TN * 2; i++) tx[i] = (float)tu_uniform(&st, -2, 2);
    widen(txd, tx, TN * 2);
    for (int p = 0; p < 2; p++) {
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create_precision(
                             &net, 2, tiny, 2, p ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
                         MLP_OK);
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 3), MLP_OK);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, TN), MLP_OK);
        ck_assert_int_eq(tu_reference_predict(net, tref, txd, TN), 0);
        for (size_t n = 1; n <= TN; n += 33) {
            ck_assert_int_eq(mlp_net_predict_f32(net, ws, ty, tx, n), MLP_OK);
            memcpy(inplace, tx, sizeof inplace);
            ck_assert_int_eq(mlp_net_predict_f32(net, ws, inplace, inplace, n), MLP_OK);
            for (size_t i = 0; i < n; i++) {
                ck_assert_msg(fabs((double)ty[i] - tref[i]) <=
                                  8 * FLT_EPSILON * (1 + fabs(tref[i])),
                              "row %zu: %g vs %g", i, ty[i], tref[i]);
                ck_assert(inplace[i] == ty[i]);
            }
        }
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
}
END_TEST

/* Float rows refused as double ones are, in the float's words: the type mixed, NaN, a
 * class index that is not one, an output past float's range, the usual arguments. */
START_TEST(float_rows_refused)
{
    mlp_net *d, *f;
    const mlp_layer_spec spec[] = {MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    ck_assert_int_eq(mlp_net_create(&d, 2, spec, 1), MLP_OK);
    ck_assert_int_eq(mlp_net_create_precision(&f, 2, spec, 1, MLP_PRECISION_FLOAT32), MLP_OK);
    const float x[4] = {1, 2, 3, 4}, y[4] = {1, 0, 0, 1};
    const double xd[4] = {1, 2, 3, 4}, yd[4] = {1, 0, 0, 1};
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, f, MLP_LOSS_MSE, &o, 2), MLP_OK);
    mlp_dataset both = MLP_DATASET_F32(x, 2, y, 2, 2);
    both.x = xd;
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, &both), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "both x and x_f32"));
    mlp_dataset mixed = MLP_DATASET_F32(x, 2, NULL, 2, 2);
    mixed.y = yd;
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, &mixed), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "inputs are floats and its targets doubles"));
    const mlp_dataset no_y = MLP_DATASET_F32(x, 2, NULL, 2, 2);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, &no_y), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "y_f32 is NULL"));
    const float bad[4] = {1, NAN, 3, 4};
    const mlp_dataset nan_rows = MLP_DATASET_F32(bad, 2, y, 2, 2);
    mlp_fit_options fo = tu_fit_options();
    fo.epochs = 1;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &nan_rows, &fo), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "row 0 column 1 is NaN"));
    mlp_trainer_free(tr);
    const mlp_layer_spec two[] = {MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    mlp_net *c;
    ck_assert_int_eq(mlp_net_create_precision(&c, 2, two, 1, MLP_PRECISION_FLOAT32), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tr, c, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 2), MLP_OK);
    const float half[2] = {0, 0.5f};
    const mlp_dataset not_class = MLP_DATASET_CLASSES_F32(x, 2, half, 2, 2);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, &not_class), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "row 1's class is 0.5"));
    mlp_trainer_free(tr);
    mlp_net_free(c);
    /* a float64 network's output past float's range: y cannot hold it */
    const double w[4] = {1e30, 0, 0, 1}, bias[2] = {0, 0};
    ck_assert_int_eq(mlp_net_set_weights(d, 0, w, 4), MLP_OK);
    ck_assert_int_eq(mlp_net_set_bias(d, 0, bias, 2), MLP_OK);
    mlp_workspace *wd, *wf;
    ck_assert_int_eq(mlp_workspace_create(&wd, d, 2), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wf, f, 2), MLP_OK);
    float out[4];
    const float big[4] = {1e9f, 1, 0, 3};
    ck_assert_int_eq(mlp_net_predict_f32(d, wd, out, big, 2), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "row 0's output 0 is inf"));
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "float32 range of y"));
    ck_assert(out[2] == 0 && out[3] == 3); /* the other rows' predictions are there */
    const float inf_in[2] = {INFINITY, 0};
    ck_assert_int_eq(mlp_net_predict_f32(f, wf, out, inf_in, 1), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "its input 0 is inf"));
    /* (NULL, n = 0 and too many rows: test_hostile's table) a workspace of the other
     * precision */
    ck_assert_int_eq(mlp_net_predict_f32(f, wd, out, x, 1), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_predict_f32(d, wf, out, x, 1), MLP_ERR_SHAPE);
    mlp_workspace_free(wd);
    mlp_workspace_free(wf);
    mlp_net_free(d);
    mlp_net_free(f);
}
END_TEST

static Suite *precision_suite(void)
{
    Suite *s = suite_create("precision");
    TCase *tc = tcase_create("precision");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, names_and_creation);
    tcase_add_test(tc, convert_both_ways);
    tcase_add_test(tc, values_as_doubles);
    tcase_add_test(tc, save_and_load);
    tcase_add_test(tc, checkpoint_resumes);
    tcase_add_test(tc, gradient_in_float32);
    tcase_add_test(tc, score_and_refusals);
    tcase_add_test(tc, float_rows_are_their_doubles);
    tcase_add_test(tc, predict_f32_by_hand);
    tcase_add_test(tc, float_rows_refused);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(precision_suite)
