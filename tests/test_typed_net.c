/* A network's passes in float32 against the same network in float64 (lib/core/typed.h):
 * for every layer kind and activation, the forward pass (inference and training: dropout's
 * masks, batch normalization's batch statistics and next running values), the loss and
 * the gradient of the one backward pass. The float64 network is made from the float32
 * one (mlp__net_convert, exact that way), so both hold the same weights, and the inputs
 * and targets are float values too: the only difference is the float32 passes'
 * rounding. The reference is the float64 passes, themselves checked against plain
 * loops, central differences and PyTorch by the other suites. Then prediction of raw rows
 * through the model's scaling, and a batch converted into the workspace. */
#include <float.h>
#include <string.h>

#include "test_util.h"
#include "mlp_internal.h"

/* rows: one, a block of 8 and a tail, and past a pool part (several threads' worth) */
static const size_t rows[] = {1, 11, 300};

/* Networks with each kind and each activation; the first is small (net->small: the
 * small network's road of vector lanes). */
static const mlp_layer_spec net_tiny[] = {MLP_LAYER(2, MLP_ACT_RELU, 1),
                                          MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
static const mlp_layer_spec net_acts[] = {
    MLP_LAYER(24, MLP_ACT_TANH, 1),  MLP_LAYER(20, MLP_ACT_SIGMOID, 1),
    MLP_LAYER(20, MLP_ACT_ELU, 0),   MLP_LAYER(18, MLP_ACT_SOFTPLUS, 1),
    MLP_LAYER(18, MLP_ACT_GELU, 1),  MLP_LAYER(16, MLP_ACT_GELU_TANH, 1),
    MLP_LAYER(16, MLP_ACT_SILU, 1),  MLP_LAYER(12, MLP_ACT_LEAKY_RELU, 1),
    MLP_LAYER(4, MLP_ACT_SOFTMAX, 1)};
static const mlp_layer_spec net_dropout[] = {MLP_LAYER(16, MLP_ACT_TANH, 1), MLP_DROPOUT(0.5),
                                             MLP_LAYER(3, MLP_ACT_IDENTITY, 1)};
static const mlp_layer_spec net_norms[] = {MLP_LAYER(32, MLP_ACT_IDENTITY, 1),
                                           MLP_LAYERNORM(MLP_ACT_RELU),
                                           MLP_DROPOUT(0.25),
                                           MLP_LAYER(24, MLP_ACT_IDENTITY, 0),
                                           MLP_BATCHNORM(MLP_ACT_TANH),
                                           MLP_LAYER(3, MLP_ACT_SIGMOID, 1)};

typedef struct case_ {
    const char *name;
    const mlp_layer_spec *layers;
    size_t n_layers, n_inputs;
    mlp_loss loss;
} case_;

static const case_ cases[] = {
    {"tiny", net_tiny, 2, 2, MLP_LOSS_MSE},
    {"activations", net_acts, 9, 10, MLP_LOSS_CATEGORICAL_CROSSENTROPY},
    {"normalizations and dropout", net_norms, 6, 13, MLP_LOSS_BINARY_CROSSENTROPY},
    {"dropout", net_dropout, 3, 5, MLP_LOSS_MSE},
};

/* Tolerance, relative to the largest magnitude among the values compared: 64 ε of
 * float. Each sum of up to 32 products is within 34 ε of its
 * magnitudes (the bound of recursive summation), which with values of mixed signs is
 * rarely more than a few ε of the result; each activation, normalization and loss adds
 * a few ε. Measured here: 3 ε at most (3.4e-7, the activations' gradient, one row). */
static const double tol = 64 * (double)FLT_EPSILON;

static void check_close(const char *what, const char *net, size_t n, const float *got,
                        const double *want, size_t count)
{
    double scale = DBL_MIN;
    for (size_t i = 0; i < count; i++) scale = fmax(scale, fabs(want[i]));
    for (size_t i = 0; i < count; i++)
        ck_assert_msg(fabs((double)got[i] - want[i]) <= tol * scale,
                      "%s, %zu rows, %s[%zu]: float32 %.9g, float64 %.9g (scale %g)", net, n, what,
                      i, (double)got[i], want[i], scale);
}

START_TEST(float32_passes_match_float64)
{
    const case_ *c = &cases[_i];
    mlp_net *src, *f32, *f64;
    ck_assert_int_eq(mlp_net_create(&src, c->n_inputs, c->layers, c->n_layers), MLP_OK);
    ck_assert_int_eq(mlp__net_convert(&f32, src, 1, "test"), MLP_OK);
    ck_assert_int_eq(mlp__net_convert(&f64, f32, 0, "test"), MLP_OK);
    ck_assert(f32->f32 && !f64->f32);
    const size_t k = mlp_net_n_outputs(src), in = c->n_inputs, max_n = 300;
    /* the copy back is exact: every float is a double */
    for (size_t i = 0; i < src->n_params + src->n_state; i++)
        ck_assert(f64->params[i] == (double)f32->params_f32[i]);
    mlp_workspace *w32, *w64;
    ck_assert_int_eq(mlp_workspace_create(&w32, f32, max_n), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&w64, f64, max_n), MLP_OK);
    ck_assert(w32->f32 && !w64->f32);
    double *x = malloc(max_n * in * sizeof *x), *t = calloc(max_n * k, sizeof *t),
           *g64 = malloc(f64->n_params * sizeof *g64);
    float *xf = malloc(max_n * in * sizeof *xf), *tf = malloc(max_n * k * sizeof *tf),
          *g32 = malloc(f32->n_params * sizeof *g32);
    ck_assert(x && t && g64 && xf && tf && g32);
    uint64_t rng = 23;
    for (size_t i = 0; i < max_n * in; i++) x[i] = (double)(xf[i] = (float)tu_uniform(&rng, -2, 2));
    for (size_t r = 0; r < max_n; r++) /* one-hot, or values in (0, 1) */
        for (size_t j = 0; j < k; j++)
            t[r * k + j] = c->loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY
                               ? (r % k == j)
                               : (double)(float)((double)((r + j) % 7) / 7.0 + 0.05);
    for (size_t i = 0; i < max_n * k; i++) tf[i] = (float)t[i];
    const size_t last = c->n_layers - 1;
    for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
        const size_t n = rows[ri];
        if (n == 1 && mlp__layer_with(f64, MLP__KIND_BATCH) < f64->n_layers) continue;
        /* inference */
        mlp__forward_f32(f32, w32, xf, n, 0);
        mlp__forward(f64, w64, x, n, 0);
        check_close("output", c->name, n, w32->act_f32[last], w64->act[last], n * k);
        if (f32->small) { /* the vector road against the scalar rows, bit for bit */
            float *y = malloc(n * k * sizeof *y);
            memcpy(y, w32->act_f32[last], n * k * sizeof *y);
            mlp__small_net_rows_scalar_f32(f32, w32, xf, 0, n);
            ck_assert_mem_eq(y, w32->act_f32[last], n * k * sizeof *y);
            free(y);
        }
        /* training: the same dropout masks in both (drawn from integers) */
        w32->drop_seed = w64->drop_seed = 5;
        w32->drop_step = w64->drop_step = 3;
        const int keep = mlp__keep_for(f64, c->loss);
        mlp__forward_f32(f32, w32, xf, n, keep);
        mlp__forward(f64, w64, x, n, keep);
        check_close("training output", c->name, n, w32->act_f32[last], w64->act[last], n * k);
        for (size_t l = 0; l < c->n_layers; l++) { /* batch normalization's next running values */
            const mlp_layer *L = &f64->layers[l];
            if (L->ns == 0) continue;
            check_close("running values", c->name, n, L->type->passes_f32->state_next(L, w32, l),
                        L->type->passes->state_next(L, w64, l), L->ns);
        }
        const double l32 = mlp__backward_f32(f32, w32, c->loss, g32, xf, tf, n);
        const double l64 = mlp__backward(f64, w64, c->loss, g64, x, t, n);
        ck_assert_msg(fabs(l32 - l64) <= tol * fmax(1, fabs(l64)), "%s, %zu rows: loss %.9g, %.9g",
                      c->name, n, l32, l64);
        check_close("gradient", c->name, n, g32, g64, f64->n_params);
    }
    /* prediction of raw rows through the model's scaling (inputs standardized, and the
     * targets for a regression): the caller's doubles converted into the workspace, the
     * outputs brought back; the float64 model, also converted from the float32 one, is
     * the reference. A float64 workspace does not serve a float32 network. */
    ck_assert_int_eq(mlp_net_fit_scaling(src, MLP_SCALE_STANDARD,
                                         c->loss == MLP_LOSS_MSE ? MLP_SCALE_STANDARD
                                                                 : MLP_SCALE_NONE,
                                         TU_ROWS(x, in, t, k, max_n)),
                     MLP_OK);
    mlp_net *p32, *p64;
    ck_assert_int_eq(mlp__net_convert(&p32, src, 1, "test"), MLP_OK);
    ck_assert_int_eq(mlp__net_convert(&p64, p32, 0, "test"), MLP_OK);
    double *y32 = malloc(max_n * k * sizeof *y32), *y64 = malloc(max_n * k * sizeof *y64);
    ck_assert(y32 && y64);
    for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
        const size_t n = rows[ri];
        ck_assert_int_eq(mlp_net_predict(p32, w32, y32, x, n), MLP_OK);
        ck_assert_int_eq(mlp_net_predict(p64, w64, y64, x, n), MLP_OK);
        double scale = DBL_MIN;
        for (size_t i = 0; i < n * k; i++) scale = fmax(scale, fabs(y64[i]));
        for (size_t i = 0; i < n * k; i++)
            ck_assert_msg(fabs(y32[i] - y64[i]) <= tol * scale,
                          "%s, %zu rows, prediction[%zu]: float32 %.9g, float64 %.9g", c->name,
                          n, i, y32[i], y64[i]);
    }
    ck_assert_int_eq(mlp_net_predict(p32, w64, y32, x, 1), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "float64 values, the network computes in "
                                                     "float32"));
    /* a batch as a float32 network reads it: rows converted, classes made one-hot */
    const float *bx, *bt;
    mlp__rows br;
    ck_assert_int_eq(mlp__rows_in(&br, TU_ROWS(x, in, t, k, 5), p32, 1, "test", ""), MLP_OK);
    mlp__rows_batch_f32(&bx, &bt, &br, p32, w32);
    for (size_t i = 0; i < 5 * in; i++) {
        const double want = (x[i] - p32->prep.in_shift[i % in]) / p32->prep.in_scale[i % in];
        ck_assert(bx[i] == (float)want);
    }
    for (size_t i = 0; i < 5 * k; i++) {
        const double want = p32->prep.out_shift != NULL
                                ? (t[i] - p32->prep.out_shift[i % k]) / p32->prep.out_scale[i % k]
                                : t[i];
        ck_assert(bt[i] == (float)want);
    }
    if (c->loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY) { /* class indices made one-hot */
        const double labels[5] = {0, 3, 1, 2, 3};
        ck_assert_int_eq(mlp__rows_in(&br, &(const mlp_dataset)MLP_DATASET_CLASSES(
                                                x, in, labels, k, 5),
                                      p32, 1, "test", ""),
                         MLP_OK);
        mlp__rows_batch_f32(&bx, &bt, &br, p32, w32);
        for (size_t i = 0; i < 5 * k; i++)
            ck_assert(bt[i] == (i % k == (size_t)labels[i / k] ? 1.0f : 0.0f));
    }
    free(y32), free(y64);
    mlp_net_free(p32);
    mlp_net_free(p64);
    free(x), free(t), free(g64), free(xf), free(tf), free(g32);
    mlp_workspace_free(w32);
    mlp_workspace_free(w64);
    mlp_net_free(src);
    mlp_net_free(f32);
    mlp_net_free(f64);
}
END_TEST

static Suite *typed_net_suite(void)
{
    Suite *s = suite_create("typed_net");
    TCase *tc = tcase_create("typed_net");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, float32_passes_match_float64, 0, sizeof cases / sizeof cases[0]);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(typed_net_suite)
