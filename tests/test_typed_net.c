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
        const double l32 = mlp__backward_f32(f32, w32, c->loss, g32, xf, tf, NULL, n);
        const double l64 = mlp__backward(f64, w64, c->loss, g64, x, t, NULL, n);
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

/* Training steps: a float32 trainer against a float64 one on the same weights and
 * batch, after each of three steps. The float64 steps are the reference (checked
 * against plain formulas by the other suites); the difference is float's rounding of
 * the gradient and of the update, which stays within the passes' tolerance relative to
 * the largest weight. Adam runs with epsilon 1e-3: with 1e-8 its update of a gradient
 * near zero is m / sqrt(v) ≈ ±1 whatever the gradient's size, so the rounding of a
 * gradient of 1e-9 would decide a step of the learning rate's size, in either type. */
static const mlp_optimizer_kind step_kinds[] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV,
                                                MLP_OPT_ADAM};

START_TEST(float32_steps_match_float64)
{
    const case_ *c = &cases[_i % (sizeof cases / sizeof cases[0])];
    const mlp_optimizer_kind kind = step_kinds[_i / (sizeof cases / sizeof cases[0])];
    mlp_net *src, *f32, *f64;
    ck_assert_int_eq(mlp_net_create(&src, c->n_inputs, c->layers, c->n_layers), MLP_OK);
    ck_assert_int_eq(mlp__net_convert(&f32, src, 1, "test"), MLP_OK);
    const size_t k = mlp_net_n_outputs(src), in = c->n_inputs, max_n = 300;
    double *x = malloc(max_n * in * sizeof *x), *t = malloc(max_n * k * sizeof *t),
           *w = malloc(f32->n_params * sizeof *w);
    ck_assert(x && t && w);
    uint64_t rng = 29;
    for (size_t i = 0; i < max_n * in; i++) x[i] = (double)(float)tu_uniform(&rng, -2, 2);
    for (size_t r = 0; r < max_n; r++)
        for (size_t j = 0; j < k; j++)
            t[r * k + j] = c->loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY
                               ? (r % k == j)
                               : (double)(float)((double)((r + j) % 5) / 5.0 + 0.1);
    mlp_optimizer o = tu_optimizer(kind);
    o.learning_rate = kind == MLP_OPT_ADAM ? 0.01 : 0.05;
    o.weight_decay = 1e-3;
    o.epsilon = 1e-3;
    for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
        const size_t n = rows[ri];
        if (n == 1 && mlp__layer_with(src, MLP__KIND_BATCH) < src->n_layers) continue;
        ck_assert_int_eq(mlp__net_convert(&f64, f32, 0, "test"), MLP_OK);
        mlp_net *g32;
        ck_assert_int_eq(mlp__net_convert(&g32, f32, 1, "test"), MLP_OK); /* a fresh copy */
        mlp_trainer *t32, *t64;
        ck_assert_int_eq(mlp_trainer_create(&t32, g32, c->loss, &o, n), MLP_OK);
        ck_assert_int_eq(mlp_trainer_create(&t64, f64, c->loss, &o, n), MLP_OK);
        for (int step = 1; step <= 3; step++) {
            double l32, l64;
            ck_assert_int_eq(mlp_trainer_step(t32, &l32, TU_ROWS(x, in, t, k, n)), MLP_OK);
            ck_assert_int_eq(mlp_trainer_step(t64, &l64, TU_ROWS(x, in, t, k, n)), MLP_OK);
            ck_assert_msg(fabs(l32 - l64) <= tol * fmax(1, fabs(l64)),
                          "%s, %s, %zu rows, step %d: loss %.9g, %.9g", c->name,
                          mlp_optimizer_name(kind), n, step, l32, l64);
            char what[64];
            snprintf(what, sizeof what, "%s step %d: weight", mlp_optimizer_name(kind), step);
            check_close(what, c->name, n, g32->params_f32, f64->params, f64->n_params);
            /* batch normalization's running values, committed with the step */
            check_close("running values", c->name, n, g32->state_f32, f64->state, f64->n_state);
        }
        mlp_trainer_free(t32);
        mlp_trainer_free(t64);
        mlp_net_free(g32);
        mlp_net_free(f64);
    }
    free(x), free(t), free(w);
    mlp_net_free(src);
    mlp_net_free(f32);
}
END_TEST

/* A fit of a float32 network: shuffled mini-batches, a drawn validation split, early
 * stopping and the model's scaling, against the same fit in float64 from the same
 * weights. The rows are a smooth function of the inputs (two classes by the sign of
 * sin(3 u0) + u1 - u2 u3), so the two runs follow the same path: their losses after every epoch
 * agree within 1% (measured: 0.15% at most, Adam's validation loss; 2e-7 for
 * iRPROP-), and the float32 network reaches the float64 one's accuracy. Then the full-batch iRPROP-. */
START_TEST(float32_fit_follows_float64)
{
    const size_t in = 6, n = 600;
    const mlp_layer_spec layers[] = {MLP_LAYER(32, MLP_ACT_TANH, 1), MLP_LAYER(16, MLP_ACT_RELU, 1),
                                     MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    double *x = malloc(n * in * sizeof *x), *y = malloc(n * sizeof *y);
    ck_assert(x && y);
    uint64_t rng = 31;
    for (size_t r = 0; r < n; r++) {
        double u[6];
        for (size_t j = 0; j < in; j++) {
            u[j] = tu_uniform(&rng, -1, 1);
            x[r * in + j] = 10 + 3 * u[j]; /* scaling matters */
        }
        y[r] = sin(3 * u[0]) + u[1] - u[2] * u[3] > 0;
    }
    const mlp_dataset d = MLP_DATASET_CLASSES(x, in, y, 2, n);
    for (int method = 0; method < 2; method++) {
        mlp_net *src, *f32, *f64;
        ck_assert_int_eq(mlp_net_create(&src, in, layers, 3), MLP_OK);
        ck_assert_int_eq(mlp_net_fit_scaling(src, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
        ck_assert_int_eq(mlp__net_convert(&f32, src, 1, "test"), MLP_OK);
        ck_assert_int_eq(mlp__net_convert(&f64, f32, 0, "test"), MLP_OK);
        const mlp_optimizer o = tu_optimizer(method == 0 ? MLP_OPT_ADAM : MLP_OPT_IRPROP_MINUS);
        mlp_fit_options fo;
        ck_assert_int_eq(mlp_fit_options_init(&fo, sizeof fo), MLP_OK);
        fo.epochs = 30;
        fo.batch_size = method == 0 ? 32 : 0;
        fo.validation_fraction = 0.2;
        fo.patience = 5;
        fo.seed = 7;
        mlp_trainer *t32, *t64;
        mlp_fit_result r32, r64;
        ck_assert_int_eq(mlp_fit_result_init(&r32, sizeof r32), MLP_OK);
        ck_assert_int_eq(mlp_fit_result_init(&r64, sizeof r64), MLP_OK);
        ck_assert_int_eq(
            mlp_trainer_create(&t32, f32, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 32), MLP_OK);
        ck_assert_int_eq(
            mlp_trainer_create(&t64, f64, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 32), MLP_OK);
        ck_assert_int_eq(mlp_trainer_fit(t32, &r32, &d, &fo), MLP_OK);
        ck_assert_int_eq(mlp_trainer_fit(t64, &r64, &d, &fo), MLP_OK);
        ck_assert_uint_gt(r64.epochs_run, 5);
        for (size_t e = 0; e < r64.epochs_run && e < r32.epochs_run; e++)
            ck_assert_msg(fabs(r32.loss[e] - r64.loss[e]) <= 1e-2 * r64.loss[e] &&
                              fabs(r32.val_loss[e] - r64.val_loss[e]) <= 1e-2 * r64.val_loss[e],
                          "%s, epoch %zu: loss %.9g / %.9g, validation %.9g / %.9g",
                          mlp_optimizer_name(o.kind), e + 1, r32.loss[e], r64.loss[e],
                          r32.val_loss[e], r64.val_loss[e]);
        ck_assert_msg(r64.val_metric[r64.best_epoch - 1] > 0.75, "%s: accuracy %g",
                      mlp_optimizer_name(o.kind), r64.val_metric[r64.best_epoch - 1]);
        ck_assert_msg(fabs(r32.val_metric[r32.best_epoch - 1] -
                           r64.val_metric[r64.best_epoch - 1]) <= 0.02,
                      "%s: validation accuracy %g in float32, %g in float64",
                      mlp_optimizer_name(o.kind), r32.val_metric[r32.best_epoch - 1],
                      r64.val_metric[r64.best_epoch - 1]);
        mlp_trainer_free(t32);
        mlp_trainer_free(t64);
        mlp_net_free(src);
        mlp_net_free(f32);
        mlp_net_free(f64);
    }
    free(x), free(y);
}
END_TEST

/* What a float32 network does not train with is refused by name (sharded fits: the
 * shard suite); an update past float's range is refused with the weights unchanged,
 * where float64 takes it. */
START_TEST(float32_training_refusals)
{
    const mlp_layer_spec layers[] = {MLP_LAYER(3, MLP_ACT_RELU, 1),
                                     MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *src, *f32, *f64;
    ck_assert_int_eq(mlp_net_create(&src, 2, layers, 2), MLP_OK);
    ck_assert_int_eq(mlp__net_convert(&f32, src, 1, "test"), MLP_OK);
    mlp_trainer *tr;
    const mlp_optimizer_kind second[] = {MLP_OPT_LBFGS, MLP_OPT_LM};
    for (size_t i = 0; i < 2; i++) {
        const mlp_optimizer o = tu_optimizer(second[i]);
        ck_assert_int_eq(mlp_trainer_create(&tr, f32, MLP_LOSS_MSE, &o, 4), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_null(tr);
        ck_assert_msg(strstr(mlp_error_detail(), "trains float64 networks, and this one is "
                                                 "float32") != NULL &&
                          strstr(mlp_error_detail(), mlp_optimizer_name(second[i])) != NULL,
                      "%s", mlp_error_detail());
    }
    const double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[4] = {1, 2, 3, 4};
    mlp_optimizer o;
    /* weights of 1e37: one step of rate 1e3 passes float's 3.4e38 on each road of the
     * fused SGD (one row: every layer bounded before; four: the last layer checked
     * after its update), and any other optimizer's update too; a float64 network takes
     * the same step */
    for (size_t i = 0; i < f32->n_params; i++) f32->params_f32[i] = 1e37f;
    ck_assert_int_eq(mlp__net_convert(&f64, f32, 0, "test"), MLP_OK);
    float *before = malloc(f32->n_params * sizeof *before);
    memcpy(before, f32->params_f32, f32->n_params * sizeof *before);
    const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_ADAM};
    for (size_t i = 0; i < 3; i++) {
        o = tu_optimizer(kinds[i]);
        o.learning_rate = kinds[i] == MLP_OPT_ADAM ? 1e38 : 1e3;
        for (size_t n = 1; n <= 4; n += 3) {
            ck_assert_int_eq(mlp_trainer_create(&tr, f32, MLP_LOSS_MSE, &o, 4), MLP_OK);
            ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(x, 2, y, 1, n)), MLP_ERR_NUMERIC);
            ck_assert_mem_eq(before, f32->params_f32, f32->n_params * sizeof *before);
            mlp_trainer_free(tr);
        }
    }
    o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 1e3;
    ck_assert_int_eq(mlp_trainer_create(&tr, f64, MLP_LOSS_MSE, &o, 4), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(x, 2, y, 1, 1)), MLP_OK);
    mlp_trainer_free(tr);
    free(before);
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
    tcase_add_loop_test(tc, float32_steps_match_float64, 0,
                        (int)(sizeof cases / sizeof cases[0] * sizeof step_kinds /
                              sizeof step_kinds[0]));
    tcase_add_test(tc, float32_fit_follows_float64);
    tcase_add_test(tc, float32_training_refusals);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(typed_net_suite)
