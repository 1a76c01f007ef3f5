/* Layer kinds beyond dense: layer normalization and dropout. Layer normalization's forward pass against the formula
 * written out here in long double, its gradients against finite differences (and the
 * Levenberg-Marquardt Jacobian against the gradient), every optimizer's steps, the
 * spec's checks, the file record (format 6) and what a hostile file may hold. Built
 * with the library's objects: the Jacobian and the invariants read internals. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "mlp.h"
#include "test_util.h"

/* 5 inputs -> dense 7 (identity) -> layer norm (act) -> dense k (out_act). */
static mlp_net *ln_net(mlp_activation act, size_t k, mlp_activation out_act, int bias,
                       uint64_t seed)
{
    mlp_layer_spec norm = MLP_LAYERNORM(act);
    norm.bias = bias;
    const mlp_layer_spec layers[3] = {MLP_LAYER(7, MLP_ACT_IDENTITY, 1), norm,
                                      MLP_LAYER(k, out_act, 1)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 5, layers, 3), MLP_OK);
    /* gains and biases away from 1 and 0, so that every parameter matters */
    uint64_t st = seed;
    tu_fill(&st, mlp_net_params(net), mlp_net_n_params(net), -0.8, 0.8);
    double gain[7];
    tu_fill(&st, gain, 7, 0.5, 1.5);
    ck_assert_int_eq(mlp_net_set_weights(net, 1, gain, 7), MLP_OK);
    return tu_in_precision(net);
}

/* The layer alone, by its definition, in long double: mean, biased variance, then the
 * gain, the bias and the activation. */
static void ln_reference(double *y, const double *x, size_t n, size_t m, const double *gain,
                         const double *bias, double eps, mlp_activation act)
{
    for (size_t r = 0; r < n; r++) {
        long double mean = 0, var = 0;
        for (size_t i = 0; i < m; i++) mean += x[r * m + i];
        mean /= m;
        for (size_t i = 0; i < m; i++) var += (x[r * m + i] - mean) * (x[r * m + i] - mean);
        var /= m;
        for (size_t i = 0; i < m; i++) {
            const long double xh = (x[r * m + i] - mean) / sqrtl(var + eps);
            y[r * m + i] = tu_act(act, (double)(gain[i] * xh + (bias ? bias[i] : 0)));
        }
    }
}

START_TEST(layernorm_forward_is_the_formula)
{
    const mlp_activation acts[] = {MLP_ACT_IDENTITY, MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_GELU};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        for (int bias = 0; bias <= 1; bias++) {
            mlp_layer_spec spec = MLP_LAYERNORM(acts[a]);
            spec.bias = bias;
            spec.epsilon = 1e-3;
            mlp_net *net = NULL;
            ck_assert_int_eq(mlp_net_create(&net, 6, &spec, 1), MLP_OK);
            ck_assert_uint_eq(mlp_net_n_params(net), bias ? 12 : 6);
            /* created with gain 1 and bias 0 */
            for (size_t i = 0; i < 6; i++) ck_assert_double_eq(mlp_net_params(net)[i], 1.0);
            for (size_t i = 6; i < mlp_net_n_params(net); i++)
                ck_assert_double_eq(mlp_net_params(net)[i], 0.0);
            uint64_t st = 11 + a;
            double gain[6], b[6], x[4 * 6], got[4 * 6], want[4 * 6];
            tu_fill(&st, gain, 6, -2, 2);
            tu_fill(&st, b, 6, -1, 1);
            tu_fill(&st, x, 24, -3, 3);
            for (size_t i = 0; i < 6; i++) x[18 + i] = 0.25; /* a constant row: x̂ = 0 */
            ck_assert_int_eq(mlp_net_set_weights(net, 0, gain, 6), MLP_OK);
            if (bias) ck_assert_int_eq(mlp_net_set_bias(net, 0, b, 6), MLP_OK);
            else ck_assert_int_eq(mlp_net_set_bias(net, 0, b, 6), MLP_ERR_INVALID_ARG);
            mlp_workspace *ws = NULL;
            ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
            ck_assert_int_eq(mlp_net_predict(net, ws, got, x, 4), MLP_OK);
            ln_reference(want, x, 4, 6, gain, bias ? b : NULL, 1e-3, acts[a]);
            for (size_t i = 0; i < 24; i++)
                ck_assert_msg(tu_close(got[i], want[i], 1e-14), "%s bias %d value %zu: %.17g, want %.17g",
                              mlp_activation_name(acts[a]), bias, i, got[i], want[i]);
            mlp_workspace_free(ws);
            mlp_net_free(net);
        }
    }
}
END_TEST

START_TEST(layernorm_gradients_check)
{
    const mlp_activation acts[] = {MLP_ACT_IDENTITY, MLP_ACT_TANH, MLP_ACT_ELU, MLP_ACT_GELU,
                                   MLP_ACT_SIGMOID};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        for (int bias = 0; bias <= 1; bias++) {
            double x[9 * 5], y[9 * 3], t[9 * 2];
            uint64_t st = 100 + a;
            tu_check_rows(&st, x, y, t);
            mlp_net *cls = ln_net(acts[a], 3, MLP_ACT_SOFTMAX, bias, 7 + a);
            double err = 1;
            ck_assert_int_eq(mlp_net_gradient_check(&err, cls, MLP_LOSS_CATEGORICAL_CROSSENTROPY,
                                                    TU_ROWS(x, 5, y, 3, 9), 1e-3),
                             MLP_OK);
            ck_assert_msg(err < 1e-6, "%s, bias %d, cross-entropy: relative error %g",
                          mlp_activation_name(acts[a]), bias, err);
            mlp_net *reg = ln_net(acts[a], 2, MLP_ACT_IDENTITY, bias, 9 + a);
            ck_assert_int_eq(
                mlp_net_gradient_check(&err, reg, MLP_LOSS_MSE, TU_ROWS(x, 5, t, 2, 9), 1e-3),
                MLP_OK);
            ck_assert_msg(err < 1e-6, "%s, bias %d, MSE: relative error %g",
                          mlp_activation_name(acts[a]), bias, err);
            mlp_net_free(cls);
            mlp_net_free(reg);
        }
    }
    /* a layer normalization as the output layer, straight into the loss */
    const mlp_layer_spec layers[2] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_LAYERNORM(MLP_ACT_SOFTMAX)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_OK);
    double x[6 * 3], y[6 * 4] = {0}, err = 1;
    uint64_t st = 5;
    tu_fill(&st, x, 18, -2, 2);
    tu_fill(&st, mlp_net_params(net) + 16, 8, 0.5, 1.5);
    for (size_t r = 0; r < 6; r++) y[r * 4 + r % 4] = 1;
    ck_assert_int_eq(mlp_net_gradient_check(&err, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY,
                                            TU_ROWS(x, 3, y, 4, 6), 1e-3),
                     MLP_OK);
    ck_assert_msg(err < 1e-6, "output layer normalization: relative error %g", err);
    mlp_net_free(net);
}
END_TEST

/* Levenberg-Marquardt's Jacobian, row by row, against the gradient of the mean squared
 * error: ∇ = (2 / (n k)) Jᵀe, two roads through the layer that share no code but the
 * forward pass. */
START_TEST(layernorm_jacobian_is_the_gradient)
{
    mlp_net *net = ln_net(MLP_ACT_TANH, 2, MLP_ACT_IDENTITY, 1, 3);
    const size_t n = 8, k = 2, np = mlp_net_n_params(net);
    double x[8 * 5], t[8 * 2];
    uint64_t st = 17;
    tu_fill(&st, x, 40, -2, 2);
    tu_fill(&st, t, 16, -1, 1);
    mlp_optimizer o = tu_optimizer(MLP_OPT_LM);
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, n), MLP_OK);
    const double *j = mlp__lm_jacobian(tr, x, n);
    double *pred = malloc(n * k * sizeof *pred), *g = malloc(np * sizeof *g);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, n), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, pred, x, n), MLP_OK);
    double loss;
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_ROWS(x, 5, t, 2, 8)),
                     MLP_OK);
    for (size_t p = 0; p < np; p++) {
        double jte = 0;
        for (size_t i = 0; i < n * k; i++) jte += j[i * np + p] * (pred[i] - t[i]);
        ck_assert_msg(tu_close(2.0 / (double)(n * k) * jte, g[p], 1e-12),
                      "parameter %zu: Jacobian %.17g, gradient %.17g", p,
                      2.0 / (double)(n * k) * jte, g[p]);
    }
    free(pred);
    free(g);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* Every optimizer trains a network with a layer normalization: three steps, the loss
 * of the batch lower after them, every invariant kept, and the same bits at one and
 * two threads. Plain SGD's update of the layer (no fused road) is the gradient's. */
START_TEST(layernorm_trains_with_every_optimizer)
{
    double x[16 * 5], t[16 * 2];
    uint64_t st = 23;
    tu_fill(&st, x, 80, -2, 2);
    tu_fill(&st, t, 32, -1, 1);
    for (int kind = MLP_OPT_SGD; kind <= MLP_OPT_LM; kind++) {
        double after[2][96];
        size_t np = 0;
        for (int threads = 1; threads <= 2; threads++) {
            ck_assert_int_eq(mlp_set_num_threads(threads), MLP_OK);
            mlp_net *net = ln_net(MLP_ACT_RELU, 2, MLP_ACT_IDENTITY, 1, 4);
            np = mlp_net_n_params(net);
            ck_assert_uint_le(np, 96);
            mlp_optimizer o = tu_optimizer((mlp_optimizer_kind)kind);
            if (kind <= MLP_OPT_ADAM) o.learning_rate = 0.01;
            mlp_trainer *tr = NULL;
            ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
            double first = 0, loss = 0;
            for (int s = 0; s < 3; s++) {
                ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_ROWS(x, 5, t, 2, 16)), MLP_OK);
                if (s == 0) first = loss;
            }
            double end;
            mlp_workspace *ws = NULL;
            double g[96];
            ck_assert_int_eq(mlp_workspace_create(&ws, net, 16), MLP_OK);
            ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &end, TU_ROWS(x, 5, t, 2, 16)),
                             MLP_OK);
            ck_assert_msg(end < first, "%s: loss %g after three steps, %g before",
                          mlp_optimizer_name((mlp_optimizer_kind)kind), end, first);
            const char *broken = inv_trainer(tr);
            ck_assert_msg(broken == NULL, "%s: %s", mlp_optimizer_name((mlp_optimizer_kind)kind),
                          broken);
            memcpy(after[threads - 1], mlp_net_params(net), np * sizeof(double));
            mlp_workspace_free(ws);
            mlp_trainer_free(tr);
            mlp_net_free(net);
        }
        ck_assert_msg(memcmp(after[0], after[1], np * sizeof(double)) == 0,
                      "%s: other bits at two threads", mlp_optimizer_name((mlp_optimizer_kind)kind));
    }
    ck_assert_int_eq(mlp_set_num_threads(0), MLP_OK);

    /* plain SGD: the layer normalization's parameters move by −lr times its gradient */
    mlp_net *net = ln_net(MLP_ACT_TANH, 2, MLP_ACT_IDENTITY, 1, 8);
    const size_t np = mlp_net_n_params(net);
    double g[96], before[96], loss;
    memcpy(before, mlp_net_params(net), np * sizeof *before);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 16), MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_ROWS(x, 5, t, 2, 16)),
                     MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;
    o.weight_decay = 0.5; /* not on gains and biases */
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(x, 5, t, 2, 16)), MLP_OK);
    for (size_t p = 5 * 7 + 7; p < 5 * 7 + 7 + 14; p++) /* the norm's gain and bias */
        ck_assert_msg(tu_close(mlp_net_params(net)[p], before[p] - 0.1 * g[p], 1e-13),
                      "parameter %zu: %.17g, want %.17g", p, mlp_net_params(net)[p],
                      before[p] - 0.1 * g[p]);
    mlp_trainer_free(tr);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(layernorm_spec_is_checked)
{
    mlp_net *net = NULL;
    /* a workspace is for its network's kinds, not only its widths: a layer
     * normalization keeps more per row than a dense layer of its width */
    {
        const mlp_layer_spec d[3] = {MLP_LAYER(4, MLP_ACT_ELU, 1), MLP_LAYER(4, MLP_ACT_ELU, 1),
                                     MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
        const mlp_layer_spec n[3] = {MLP_LAYER(4, MLP_ACT_ELU, 1), MLP_LAYERNORM(MLP_ACT_ELU),
                                     MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
        mlp_net *a = NULL, *b = NULL;
        ck_assert_int_eq(mlp_net_create(&a, 3, d, 3), MLP_OK);
        ck_assert_int_eq(mlp_net_create(&b, 3, n, 3), MLP_OK);
        mlp_workspace *ws = NULL;
        ck_assert_int_eq(mlp_workspace_create(&ws, a, 8), MLP_OK);
        double x[8 * 3] = {0}, t[8] = {0}, g[64], loss, y[8];
        ck_assert_int_eq(mlp_net_gradient(b, ws, MLP_LOSS_MSE, g, &loss, TU_ROWS(x, 3, t, 1, 8)),
                         MLP_ERR_SHAPE);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "workspace layer 1 is for a dense layer, the network's layer 1 is a layer normalization"));
        ck_assert_int_eq(mlp_net_predict(b, ws, y, x, 8), MLP_ERR_SHAPE);
        mlp_workspace_free(ws);
        mlp_net_free(a);
        mlp_net_free(b);
    }
    mlp_layer_spec layers[2] = {MLP_LAYER(4, MLP_ACT_RELU, 1), MLP_LAYERNORM(MLP_ACT_IDENTITY)};
    layers[1].size = 5;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 is a layer normalization of 4 values, its size is 5"));
    layers[1].size = 4; /* its width is accepted too */
    const double bad_eps[] = {0.0, -1e-5, NAN, INFINITY};
    for (size_t i = 0; i < 4; i++) {
        layers[1].epsilon = bad_eps[i];
        ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "must be positive and finite"));
    }
    layers[1].epsilon = 1e-5;
    layers[1].kind = (mlp_layer_kind)77;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 has unknown kind 77"));
    layers[1].kind = MLP_LAYER_LAYERNORM;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_OK);
    mlp_layer_spec got;
    size_t in = 0;
    ck_assert_int_eq(mlp_layer_spec_init(&got, sizeof got), MLP_OK);
    ck_assert_int_eq(mlp_net_layer(net, 1, &got, &in), MLP_OK);
    ck_assert_int_eq(got.kind, MLP_LAYER_LAYERNORM);
    ck_assert_uint_eq(got.size, 4);
    ck_assert_uint_eq(in, 4);
    ck_assert_double_eq(got.epsilon, 1e-5);
    ck_assert_int_eq(mlp_net_layer(net, 0, &got, NULL), MLP_OK);
    ck_assert_int_eq(got.kind, MLP_LAYER_DENSE);
    /* its weights are its gains (PyTorch's weight): size values */
    double w[16];
    ck_assert_int_eq(mlp_net_get_weights(net, 1, w, 16), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "(a layer normalization) has 4 gains"));
    ck_assert_int_eq(mlp_net_get_weights(net, 1, w, 4), MLP_OK);
    ck_assert_double_eq(w[3], 1.0);
    /* the C export writes it (tests/cli compiles the file and compares predictions) */
    FILE *f = tmpfile();
    ck_assert_int_eq(mlp_net_export_c(net, f, "m"), MLP_OK);
    fclose(f);
    mlp_net_free(net);
}
END_TEST

/* Offsets in a saved 3-input dense 4 -> layer norm -> dense 2 network (format 6). */
enum {
    L1 = 56 + 24,   /* the norm's record: size at L1, activation +8, bias +12 */
    L1_KIND = L1 + 16,
    L1_COUNT = L1 + 20,
    L1_EPS = L1 + 24
};

START_TEST(layernorm_file_record)
{
    const mlp_layer_spec layers[3] = {MLP_LAYER(4, MLP_ACT_IDENTITY, 1),
                                      MLP_LAYERNORM(MLP_ACT_RELU), MLP_LAYER(2, MLP_ACT_IDENTITY, 0)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 3), MLP_OK);
    uint64_t st = 31;
    tu_fill(&st, mlp_net_params(net), mlp_net_n_params(net), -1, 1);
    ck_assert_ptr_null(inv_net(net));
    size_t size = 0;
    unsigned char *orig = tu_saved(net, &size);
    ck_assert_ptr_nonnull(orig);
    ck_assert_uint_eq(orig[8], 6); /* format 6: the record of a kind */
    double eps;
    memcpy(&eps, orig + L1_EPS, sizeof eps);
    ck_assert_double_eq(eps, 1e-5);
    ck_assert_uint_eq(orig[L1_KIND], MLP_LAYER_LAYERNORM);
    ck_assert_uint_eq(orig[L1_COUNT], 1);
    mlp_net *back = tu_reloaded(net);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(mlp_net_n_params(back), mlp_net_n_params(net));
    ck_assert_mem_eq(mlp_net_params(back), mlp_net_params(net), mlp_net_n_params(net) * 8);
    mlp_layer_spec got;
    ck_assert_int_eq(mlp_layer_spec_init(&got, sizeof got), MLP_OK);
    ck_assert_int_eq(mlp_net_layer(back, 1, &got, NULL), MLP_OK);
    ck_assert_int_eq(got.kind, MLP_LAYER_LAYERNORM);
    ck_assert_int_eq(got.activation, MLP_ACT_RELU);
    mlp_net_free(back);

    /* a network of dense layers is still written as format 5, which 1.5 and 1.6 read */
    const mlp_layer_spec dense[1] = {MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *d = NULL;
    ck_assert_int_eq(mlp_net_create(&d, 3, dense, 1), MLP_OK);
    size_t dsize = 0;
    unsigned char *db = tu_saved(d, &dsize);
    ck_assert_uint_eq(db[8], 5);
    free(db);
    mlp_net_free(d);

    /* hostile records: each refused with what is wrong, never a network */
    const tu_edit edits[] = {
        {L1_KIND, 4, 9, "layer 1 has unknown kind 9"},
        {L1_KIND, 4, MLP_LAYER_DENSE, "layer 1 (a dense layer) holds 1 values, its kind keeps 0"},
        {L1_COUNT, 4, 0, "layer 1 (a layer normalization) holds 0 values, its kind keeps 1"},
        {L1_COUNT, 4, 0xFFFFFFFFu, "holds 4294967295 values"},
        {L1_EPS, 8, 0, "has epsilon 0, must be positive and finite"},
        {L1_EPS, 8, 0xBFF0000000000000ull, "has epsilon -1, must be positive"},
        {L1_EPS, 8, 0x7FF8000000000000ull, "a layer's values: value 0 is not finite"},
        {L1, 8, 5, "layer 1 is a layer normalization of 4 values, its size is 5"},
        {L1 + 8, 4, (uint64_t)tu_unknown_activation(), "layer 1: activation"},
        {L1 + 12, 4, 2, "bias flag 2"},
    };
    tu_refuses_edits(orig, size, edits, sizeof edits / sizeof edits[0]);
    free(orig);
    mlp_net_free(net);
}
END_TEST

/* A checkpoint of a network with a layer normalization resumes to the bits of the run
 * that never stopped. */
START_TEST(layernorm_checkpoint_resumes)
{
    tu_single = _i;
    double x[32 * 5], t[32 * 2];
    uint64_t st = 41;
    tu_fill(&st, x, 160, -2, 2);
    tu_fill(&st, t, 64, -1, 1);
    mlp_net *a = ln_net(MLP_ACT_GELU, 2, MLP_ACT_IDENTITY, 1, 12);
    mlp_net *b = ln_net(MLP_ACT_GELU, 2, MLP_ACT_IDENTITY, 1, 12);
    const mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *ta = NULL, *tb = NULL;
    ck_assert_int_eq(mlp_trainer_create(&ta, a, MLP_LOSS_MSE, &o, 32), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tb, b, MLP_LOSS_MSE, &o, 32), MLP_OK);
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(mlp_trainer_step(ta, NULL, TU_ROWS(x, 5, t, 2, 32)), MLP_OK);
        ck_assert_int_eq(mlp_trainer_step(tb, NULL, TU_ROWS(x, 5, t, 2, 32)), MLP_OK);
    }
    size_t size = 0;
    unsigned char *ck = malloc(1 << 16);
    ck_assert_int_eq(mlp__trainer_save_buffer(tb, ck, 1 << 16, &size), MLP_OK);
    mlp_trainer_free(tb);
    mlp_net_free(b);
    ck_assert_int_eq(mlp_trainer_load_buffer(&tb, &b, ck, size, 32), MLP_OK);
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(mlp_trainer_step(ta, NULL, TU_ROWS(x, 5, t, 2, 32)), MLP_OK);
        ck_assert_int_eq(mlp_trainer_step(tb, NULL, TU_ROWS(x, 5, t, 2, 32)), MLP_OK);
    }
    size_t bytes;
    const void *pa = tu_params_of(a, &bytes);
    ck_assert_mem_eq(pa, tu_params_of(b, &bytes), bytes);
    free(ck);
    mlp_trainer_free(ta);
    mlp_trainer_free(tb);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

/* Enough rows for the library's threads to split the layer's rows between them: the
 * same predictions and gradients, to the bit, at one thread and at two. */
START_TEST(layernorm_same_bits_at_every_thread_count)
{
    tu_single = _i;
    enum { N = 20000 };
    double *x = malloc(N * 5 * sizeof *x), *t = malloc(N * 2 * sizeof *t);
    double *y[2], g[2][96];
    uint64_t st = 77;
    tu_fill(&st, x, N * 5, -2, 2);
    tu_fill(&st, t, N * 2, -1, 1);
    mlp_net *net = ln_net(MLP_ACT_TANH, 2, MLP_ACT_IDENTITY, 1, 5);
    const size_t np = mlp_net_n_params(net);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    for (int threads = 1; threads <= 2; threads++) {
        ck_assert_int_eq(mlp_set_num_threads(threads), MLP_OK);
        y[threads - 1] = malloc(N * 2 * sizeof(double));
        ck_assert_int_eq(mlp_net_predict(net, ws, y[threads - 1], x, N), MLP_OK);
        double loss;
        ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g[threads - 1], &loss,
                                          TU_ROWS(x, 5, t, 2, N)),
                         MLP_OK);
    }
    ck_assert_int_eq(mlp_set_num_threads(0), MLP_OK);
    ck_assert_mem_eq(y[0], y[1], N * 2 * sizeof(double));
    ck_assert_mem_eq(g[0], g[1], np * sizeof(double));
    free(y[0]);
    free(y[1]);
    free(x);
    free(t);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* ---- dropout ---------------------------------------------------------------------- */

/* 5 inputs -> dense 12 (tanh) -> dropout (rate) -> dense 2. */
static mlp_net *drop_net(double rate, uint64_t seed)
{
    const mlp_layer_spec layers[3] = {MLP_LAYER(12, MLP_ACT_TANH, 1), MLP_DROPOUT(rate),
                                      MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 5, layers, 3), MLP_OK);
    uint64_t st = seed;
    tu_fill(&st, mlp_net_params(net), mlp_net_n_params(net), -0.8, 0.8);
    return tu_in_precision(net);
}

START_TEST(dropout_drops_only_while_training)
{
    enum { N = 40, M = 500 };
    const mlp_layer_spec two[2] = {MLP_DROPOUT(0.3), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, M, two, 2), MLP_OK);
    ck_assert_uint_eq(mlp_net_n_params(net), M + 1);
    double *x = malloc(N * M * sizeof *x), *y = malloc(N * sizeof *y);
    uint64_t st = 3;
    tu_fill(&st, x, N * M, 0.5, 2);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    /* predicting: the identity */
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, N), MLP_OK);
    const double *out = NULL;
    ck_assert_int_eq(mlp_workspace_layer_output(ws, 0, &out, NULL, NULL), MLP_OK);
    ck_assert_mem_eq(out, x, N * M * sizeof *x);
    /* a training pass: 30 % dropped (20,000 draws: 0.3 ± 0.0032 is one standard
     * deviation), the others scaled by 1 / 0.7 exactly */
    ws->drop_seed = 7;
    ws->drop_step = 1;
    mlp__forward(net, ws, x, N, MLP__KEEP_Z | MLP__KEEP_LOGITS);
    const double *a = ws->act[0];
    size_t dropped = 0;
    for (size_t i = 0; i < N * M; i++) {
        if (a[i] == 0.0) dropped++;
        else ck_assert_double_eq(a[i], x[i] * (1.0 / (1.0 - 0.3)));
    }
    const double frac = (double)dropped / (N * M);
    ck_assert_msg(fabs(frac - 0.3) < 0.02, "dropped %.4f of the values", frac);
    /* counter-based: the second half of the rows, as a shard starting at row N/2 of the
     * batch, draws the same masks; another step draws others */
    double *whole = malloc(N * M * sizeof *whole);
    memcpy(whole, a, N * M * sizeof *whole);
    ws->drop_row0 = N / 2;
    mlp__forward(net, ws, x + N / 2 * M, N / 2, MLP__KEEP_Z | MLP__KEEP_LOGITS);
    ck_assert_mem_eq(ws->act[0], whole + N / 2 * M, N / 2 * M * sizeof *whole);
    ws->drop_row0 = 0;
    ws->drop_step = 2;
    mlp__forward(net, ws, x, N, MLP__KEEP_Z | MLP__KEEP_LOGITS);
    ck_assert(memcmp(ws->act[0], whole, N * M * sizeof *whole) != 0);
    free(whole);
    free(x);
    free(y);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(dropout_gradients_check)
{
    double x[12 * 5], t[12 * 2], err = 1;
    uint64_t st = 19;
    tu_fill(&st, x, 60, -2, 2);
    tu_fill(&st, t, 24, -1, 1);
    mlp_net *net = drop_net(0.4, 5), *plain = drop_net(0.0, 5);
    ck_assert_int_eq(mlp_net_gradient_check(&err, net, MLP_LOSS_MSE, TU_ROWS(x, 5, t, 2, 12), 1e-3),
                     MLP_OK);
    ck_assert_msg(err < 1e-6, "relative error %g", err);
    /* the masks are applied: another gradient than the same weights' without them */
    const size_t np = mlp_net_n_params(net);
    double g[128], h[128], loss;
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 12), MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_ROWS(x, 5, t, 2, 12)),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(plain, ws, MLP_LOSS_MSE, h, &loss, TU_ROWS(x, 5, t, 2, 12)),
                     MLP_OK);
    ck_assert(memcmp(g, h, np * sizeof *g) != 0);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    mlp_net_free(plain);
}
END_TEST

/* A fit with dropout: the same bits at one and two threads, on a rerun, and resumed
 * from a checkpoint; sharded in one process, the same bits at every thread count;
 * L-BFGS and Levenberg-Marquardt refuse it by name. */
START_TEST(dropout_fits_reproducibly)
{
    tu_single = _i;
    enum { N = 400 };
    double *x = malloc(N * 5 * sizeof *x), *t = malloc(N * 2 * sizeof *t);
    uint64_t st = 29;
    tu_fill(&st, x, N * 5, -2, 2);
    tu_fill(&st, t, N * 2, -1, 1);
    mlp_fit_options f = tu_fit_options();
    f.batch_size = 16;
    f.seed = 11;
    double w[4][128];
    size_t np = 0; /* bytes */
    for (int run = 0; run < 4; run++) {
        /* 0: 4 epochs at 1 thread; 1: the same at 2; 2: 2 epochs, a checkpoint, 2 more;
         * 3: 4 epochs on 2 shards in one process, at 2 threads (checked against 1 below) */
        ck_assert_int_eq(mlp_set_num_threads(run == 0 ? 1 : 2), MLP_OK);
        mlp_net *net = drop_net(0.3, 6);
        tu_params_of(net, &np);
        mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
        mlp_trainer *tr = NULL;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
        f.epochs = run == 2 ? 2 : 4;
        f.shards = run == 3 ? 2 : 0;
        ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 5, t, 2, N), &f), MLP_OK);
        if (run == 2) {
            size_t size = 0;
            unsigned char *ck = malloc(1 << 16);
            ck_assert_int_eq(mlp__trainer_save_buffer(tr, ck, 1 << 16, &size), MLP_OK);
            mlp_trainer_free(tr);
            mlp_net_free(net);
            ck_assert_int_eq(mlp_trainer_load_buffer(&tr, &net, ck, size, 16), MLP_OK);
            free(ck);
            ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 5, t, 2, N), &f), MLP_OK);
        }
        ck_assert_ptr_null(inv_trainer(tr));
        memcpy(w[run], tu_params_of(net, &np), np);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    ck_assert_msg(memcmp(w[0], w[1], np) == 0, "other bits at two threads");
    ck_assert_msg(memcmp(w[0], w[2], np) == 0, "other bits after a checkpoint");
    /* sharded at one thread */
    ck_assert_int_eq(mlp_set_num_threads(1), MLP_OK);
    mlp_net *net = drop_net(0.3, 6);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    f.epochs = 4;
    f.shards = 2;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 5, t, 2, N), &f), MLP_OK);
    ck_assert_msg(memcmp(w[3], tu_params_of(net, &np), np) == 0,
                  "a sharded fit: other bits at one thread");
    mlp_trainer_free(tr);
    ck_assert_int_eq(mlp_set_num_threads(0), MLP_OK);
    for (int k = MLP_OPT_LBFGS; k <= MLP_OPT_LM && !tu_single; k++) { /* float32: by name */
        o = tu_optimizer((mlp_optimizer_kind)k);
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 is a dropout, which"));
    }
    mlp_net_free(net);
    free(x);
    free(t);
}
END_TEST

START_TEST(dropout_spec_and_file_record)
{
    mlp_layer_spec layers[3] = {MLP_LAYER(4, MLP_ACT_RELU, 1), MLP_DROPOUT(0.25),
                                MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = NULL;
    const double bad[] = {1.0, -0.1, NAN, 2.0};
    for (size_t i = 0; i < 4; i++) {
        layers[1].rate = bad[i];
        ck_assert_int_eq(mlp_net_create(&net, 3, layers, 3), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "must be at least 0 and below 1"));
    }
    layers[1].rate = 0.25;
    layers[1].activation = MLP_ACT_RELU;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 3), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "a dropout has none"));
    layers[1].activation = MLP_ACT_IDENTITY;
    layers[1].size = 3;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 3), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 is a dropout of 4 values, its size is 3"));
    layers[1].size = 0;
    /* a network of dropouts alone has no parameters: nothing to learn, no file (the API
     * fuzzer's find: created, saved, and refused by the loader) */
    ck_assert_int_eq(mlp_net_create(&net, 3, layers + 1, 1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "the network has no parameters"));
    /* a dropout after the softmax: the loss names the layer that is last, not "identity"
     * alone (a stranger read "needs a softmax output layer" beside the softmax he had) */
    {
        const mlp_layer_spec after[3] = {MLP_LAYER(4, MLP_ACT_RELU, 1),
                                         MLP_LAYER(3, MLP_ACT_SOFTMAX, 1), MLP_DROPOUT(0.2)};
        mlp_net *n2 = NULL;
        mlp_trainer *t2 = NULL;
        ck_assert_int_eq(mlp_net_create(&n2, 3, after, 3), MLP_OK);
        const mlp_optimizer o2 = tu_optimizer(MLP_OPT_ADAM);
        ck_assert_int_eq(mlp_trainer_create(&t2, n2, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o2, 4),
                         MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "the last layer (layer 2) is a dropout "
                                                         "with activation identity: put it "
                                                         "before the output layer"));
        mlp_net_free(n2);
    }
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 3), MLP_OK);
    mlp_layer_spec got;
    ck_assert_int_eq(mlp_layer_spec_init(&got, sizeof got), MLP_OK);
    ck_assert_int_eq(mlp_net_layer(net, 1, &got, NULL), MLP_OK);
    ck_assert_int_eq(got.kind, MLP_LAYER_DROPOUT);
    ck_assert_double_eq(got.rate, 0.25);
    ck_assert_int_eq(got.bias, 0);
    ck_assert_uint_eq(got.size, 4);
    /* a dropout has no parameters: no weights and no bias to read or write (the API
     * fuzzer's find: its "weights" were written past the parameter block) */
    double w4[4] = {0};
    ck_assert_int_eq(mlp_net_set_weights(net, 1, w4, 4), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 is a dropout, which has no weights"));
    ck_assert_int_eq(mlp_net_get_weights(net, 1, w4, 4), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_set_bias(net, 1, w4, 4), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 has no bias"));
    size_t size = 0;
    unsigned char *orig = tu_saved(net, &size);
    ck_assert_uint_eq(orig[8], 6);
    mlp_net *back = tu_reloaded(net);
    ck_assert_int_eq(mlp_net_layer(back, 1, &got, NULL), MLP_OK);
    ck_assert_int_eq(got.kind, MLP_LAYER_DROPOUT);
    ck_assert_double_eq(got.rate, 0.25);
    mlp_net_free(back);
    /* the dropout's record: size, activation, bias, kind, count, rate */
    const size_t rec = 56 + 24, rate_at = rec + 24;
    double rate;
    memcpy(&rate, orig + rate_at, sizeof rate);
    ck_assert_double_eq(rate, 0.25);
    const tu_edit edits[] = {
        {rate_at, 8, 0x3FF0000000000000ull, "has rate 1, must be at least 0 and below 1"},
        {rate_at, 8, 0xBFF0000000000000ull, "has rate -1, must be at least 0"},
        {rate_at, 8, 0x7FF0000000000000ull, "a layer's values: value 0 is not finite"},
        {rec + 8, 4, MLP_ACT_TANH, "a dropout has none"},
        {rec + 20, 4, 0, "layer 1 (a dropout) holds 0 values, its kind keeps 1"},
    };
    tu_refuses_edits(orig, size, edits, sizeof edits / sizeof edits[0]);
    free(orig);
    mlp_net_free(net);
}
END_TEST

static Suite *layers_suite(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("layernorm");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, layernorm_forward_is_the_formula);
    tcase_add_test(tc, layernorm_gradients_check);
    tcase_add_test(tc, layernorm_jacobian_is_the_gradient);
    tcase_add_test(tc, layernorm_trains_with_every_optimizer);
    tcase_add_test(tc, layernorm_spec_is_checked);
    tcase_add_test(tc, layernorm_file_record);
    tcase_add_loop_test(tc, layernorm_checkpoint_resumes, 0, 2);              /* both precisions */
    tcase_add_loop_test(tc, layernorm_same_bits_at_every_thread_count, 0, 2); /* both precisions */
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("dropout");
    tcase_add_checked_fixture(td, tu_float64_networks, NULL);
    tcase_set_timeout(td, 120);
    tcase_add_test(td, dropout_drops_only_while_training);
    tcase_add_test(td, dropout_gradients_check);
    tcase_add_loop_test(td, dropout_fits_reproducibly, 0, 2); /* both precisions */
    tcase_add_test(td, dropout_spec_and_file_record);
    suite_add_tcase(s, td);
    return s;
}

TU_MAIN(layers_suite)
