/* Batch normalization. Against PyTorch (the training-mode loss and gradient, three SGD
 * steps with their running statistics, the evaluation-mode outputs after them: the
 * values of tests/data/batchnorm_torch.h, written by make_batchnorm.py); the running
 * values against their recurrence written out here in long double; its gradients
 * against finite differences; the same bits at every thread count, across a
 * checkpoint, and for a fit's kept epoch; the refusals (L-BFGS, Levenberg–Marquardt,
 * sharded fits), the spec's checks, the file record and what a hostile file may hold.
 * Built with the library's objects: the running values are read where they live. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/batchnorm_torch.h"
#include "invariants.h"
#include "mlp.h"
#include "test_util.h"

/* The bytes of a network's parameters and running values (one block, of its type). */
static size_t value_bytes(const mlp_net *net) { return net->f32 ? sizeof(float) : sizeof(double); }

/* n inputs -> dense h (identity) -> batch norm (act; ε, momentum, bias) -> dense k (out),
 * with the parameters given (libmlp's layout) or left as made; in the test's precision. */
static mlp_net *bn_net(size_t n, size_t h, mlp_activation act, size_t k, mlp_activation out,
                       double eps, double momentum, int bias, const double *params)
{
    mlp_layer_spec norm = MLP_BATCHNORM(act);
    norm.epsilon = eps;
    norm.momentum = momentum;
    norm.bias = bias;
    const mlp_layer_spec layers[3] = {MLP_LAYER(h, MLP_ACT_IDENTITY, 1), norm,
                                      MLP_LAYER(k, out, 1)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, n, layers, 3), MLP_OK);
    if (params != NULL) memcpy(mlp_net_params(net), params, mlp_net_n_params(net) * 8);
    return tu_in_precision(net);
}

static void close_all(const double *got, const double *want, size_t n, double tol, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(tu_close(got[i], want[i], tol), "%s %zu: %.17g, PyTorch %.17g", what, i,
                      got[i], want[i]);
}

static void against_torch(const char *name, mlp_net *net, size_t n_in, size_t k, mlp_loss loss,
                          const double *x, const double *y, double want_loss,
                          const double *want_grad, const double *after, const double *running,
                          const double *pred, double lr)
{
    const size_t np = mlp_net_n_params(net), h = net->layers[1].out;
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 12), MLP_OK);
    double g[128], value = 0, p[64];
    ck_assert_uint_le(np, 128);
    ck_assert_int_eq(mlp_net_gradient(net, ws, loss, g, &value, TU_ROWS(x, n_in, y, k, 12)),
                     MLP_OK);
    ck_assert_msg(tu_close(value, want_loss, 1e-14), "%s: loss %.17g, PyTorch %.17g", name,
                  value, want_loss);
    close_all(g, want_grad, np, 1e-13, name);
    /* a gradient is no step: the running values are as made, mean 0 and variance 1 */
    for (size_t i = 0; i < h; i++) {
        ck_assert_double_eq(net->state[i], 0.0);
        ck_assert_double_eq(net->state[h + i], 1.0);
    }
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = lr;
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, loss, &o, 4), MLP_OK);
    for (size_t s = 0; s < 3; s++)
        ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(x + 4 * s * n_in, n_in, y + 4 * s * k,
                                                            k, 4)),
                         MLP_OK);
    close_all(mlp_net_params(net), after, np, 1e-13, name);
    close_all(net->state, running, 2 * h, 1e-13, name);
    ck_assert_int_eq(mlp_net_predict(net, ws, p, x, 12), MLP_OK);
    close_all(p, pred, 12 * k, 1e-13, name);
    /* a row alone predicts what it predicts among others: the running values, not its own */
    double one[8];
    ck_assert_int_eq(mlp_net_predict(net, ws, one, x + 5 * n_in, 1), MLP_OK);
    ck_assert_mem_eq(one, p + 5 * k, k * sizeof(double));
    ck_assert_ptr_null(inv_trainer(tr));
    mlp_trainer_free(tr);
    mlp_workspace_free(ws);
}

START_TEST(batchnorm_agrees_with_pytorch)
{
    mlp_net *cls = bn_net(4, 6, MLP_ACT_TANH, 3, MLP_ACT_SOFTMAX, 1e-5, 0.1, 1, cls_params);
    against_torch("cls", cls, 4, 3, MLP_LOSS_CATEGORICAL_CROSSENTROPY, cls_x, cls_y, cls_loss,
                  cls_grad, cls_after, cls_running, cls_pred, 0.1);
    mlp_net *reg = bn_net(3, 5, MLP_ACT_ELU, 2, MLP_ACT_IDENTITY, 1e-3, 0.3, 0, reg_params);
    against_torch("reg", reg, 3, 2, MLP_LOSS_MSE, reg_x, reg_y, reg_loss, reg_grad, reg_after,
                  reg_running, reg_pred, 0.05);
    mlp_net_free(cls);
    mlp_net_free(reg);
}
END_TEST

/* A batch normalization on the inputs themselves: its batch statistics are the rows',
 * whatever the weights, so the running values after each step follow from the rows
 * alone: r ← (1 − m)·r + m·batch, the unbiased variance. Written out in long double. */
START_TEST(batchnorm_running_values_follow_the_recurrence)
{
    enum { D = 3, N = 10 };
    mlp_layer_spec norm = MLP_BATCHNORM(MLP_ACT_IDENTITY);
    norm.momentum = 0.25;
    const mlp_layer_spec layers[2] = {norm, MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, D, layers, 2), MLP_OK);
    double x[N * D], t[N];
    uint64_t st = 3;
    tu_fill(&st, x, N * D, -2, 5);
    tu_fill(&st, t, N, -1, 1);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
    long double mean[D] = {0, 0, 0}, var[D] = {1, 1, 1};
    const size_t batches[4][2] = {{0, 4}, {4, 3}, {7, 1}, {8, 2}}; /* first row, rows */
    for (size_t b = 0; b < 4; b++) {
        const size_t r0 = batches[b][0], n = batches[b][1];
        double before[3 * D + 1 + 2 * D];
        memcpy(before, net->params, sizeof before); /* γ, β, the output layer, the state */
        memcpy(before + 3 * D + 1, net->state, 2 * D * sizeof *before);
        const mlp_status got = mlp_trainer_step(tr, NULL, TU_ROWS(x + r0 * D, D, t + r0, 1, n));
        if (n == 1) { /* a batch of one row has no variance: refused, nothing moves */
            ck_assert_int_eq(got, MLP_ERR_INVALID_ARG);
            ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 0 is a batch normalization"));
            ck_assert_mem_eq(net->params, before, (3 * D + 1) * sizeof *before);
            ck_assert_mem_eq(net->state, before + 3 * D + 1, 2 * D * sizeof *before);
        } else {
            ck_assert_int_eq(got, MLP_OK);
            for (size_t c = 0; c < D; c++) {
                long double m = 0, s = 0;
                for (size_t r = r0; r < r0 + n; r++) m += x[r * D + c];
                m /= n;
                for (size_t r = r0; r < r0 + n; r++) s += (x[r * D + c] - m) * (x[r * D + c] - m);
                mean[c] = 0.75L * mean[c] + 0.25L * m;
                var[c] = 0.75L * var[c] + 0.25L * s / (n - 1);
            }
        }
        for (size_t c = 0; c < D; c++) {
            ck_assert_msg(tu_close(net->state[c], (double)mean[c], 1e-15), "step %zu mean %zu", b, c);
            ck_assert_msg(tu_close(net->state[D + c], (double)var[c], 1e-15), "step %zu var %zu", b,
                          c);
        }
    }
    /* predicting: z = γ (x − mean) / √(var + ε) + β with the running values */
    double y[N];
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, N), MLP_OK);
    const double *p = mlp_net_params(net); /* γ (3), β (3), then W (1, 3), b */
    for (size_t r = 0; r < N; r++) {
        long double want = p[9];
        for (size_t c = 0; c < D; c++)
            want += p[6 + c] * (p[c] * (x[r * D + c] - mean[c]) / sqrtl(var[c] + 1e-5L) + p[3 + c]);
        ck_assert_msg(tu_close(y[r], (double)want, 1e-14), "row %zu: %.17g, want %.17Lg", r, y[r],
                      want);
    }
    /* a step that cannot be taken moves nothing: values whose squares overflow make a
     * variance that is not finite (the loss itself is finite: the normalized values are 0) */
    unsigned char before[8 * 64];
    memcpy(before, mlp_net_params(net), (mlp_net_n_params(net) + net->n_state) * 8);
    double huge[2 * D] = {1e200, 1, 1, -1e200, 2, 2};
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(huge, D, t, 1, 2)), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "running mean or variance would not be finite"));
    ck_assert_mem_eq(before, mlp_net_params(net), (mlp_net_n_params(net) + net->n_state) * 8);
    /* mlp_net_init starts them afresh */
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 1), MLP_OK);
    for (size_t c = 0; c < D; c++) {
        ck_assert_double_eq(net->state[c], 0.0);
        ck_assert_double_eq(net->state[D + c], 1.0);
    }
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(batchnorm_gradients_check)
{
    const mlp_activation acts[] = {MLP_ACT_IDENTITY, MLP_ACT_TANH, MLP_ACT_ELU, MLP_ACT_GELU,
                                   MLP_ACT_SIGMOID};
    for (size_t a = 0; a < sizeof acts / sizeof *acts; a++) {
        for (int bias = 0; bias <= 1; bias++) {
            double x[9 * 5], y[9 * 3], t[9 * 2];
            uint64_t st = 100 + a;
            tu_check_rows(&st, x, y, t);
            /* batch norm on the inputs, then dense layers: every parameter's gradient is
             * one of substance (a dense bias just before a batch norm has none: below) */
            mlp_layer_spec norm = MLP_BATCHNORM(acts[a]);
            norm.bias = bias;
            const mlp_layer_spec cl[3] = {norm, MLP_LAYER(6, MLP_ACT_TANH, 1),
                                          MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
            mlp_net *cls = NULL;
            ck_assert_int_eq(mlp_net_create(&cls, 5, cl, 3), MLP_OK);
            tu_fill(&st, mlp_net_params(cls), mlp_net_n_params(cls), -0.8, 1.2);
            double err = 1;
            ck_assert_int_eq(mlp_net_gradient_check(&err, cls, MLP_LOSS_CATEGORICAL_CROSSENTROPY,
                                                    TU_ROWS(x, 5, y, 3, 9), 1e-3),
                             MLP_OK);
            ck_assert_msg(err < 1e-6, "%s, bias %d, cross-entropy: relative error %g",
                          mlp_activation_name(acts[a]), bias, err);
            const mlp_layer_spec rl[3] = {MLP_LAYER(7, MLP_ACT_IDENTITY, 0), norm,
                                          MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
            mlp_net *reg = NULL;
            ck_assert_int_eq(mlp_net_create(&reg, 5, rl, 3), MLP_OK);
            tu_fill(&st, mlp_net_params(reg), mlp_net_n_params(reg), -0.8, 1.2);
            ck_assert_int_eq(
                mlp_net_gradient_check(&err, reg, MLP_LOSS_MSE, TU_ROWS(x, 5, t, 2, 9), 1e-3),
                MLP_OK);
            ck_assert_msg(err < 1e-6, "%s, bias %d, MSE: relative error %g",
                          mlp_activation_name(acts[a]), bias, err);
            mlp_net_free(cls);
            mlp_net_free(reg);
        }
    }
    /* a shift of a batch norm's input changes nothing, so the gradient of a dense bias
     * just before it is 0 but for rounding */
    mlp_net *net = bn_net(4, 6, MLP_ACT_TANH, 3, MLP_ACT_SOFTMAX, 1e-5, 0.1, 1, cls_params);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 12), MLP_OK);
    double g[63];
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, NULL,
                                      TU_ROWS(cls_x, 4, cls_y, 3, 12)),
                     MLP_OK);
    for (size_t i = 24; i < 30; i++) ck_assert_msg(fabs(g[i]) < 1e-15, "bias %zu: %g", i, g[i]);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Enough rows for the library's threads to split the columns between them: the same
 * predictions, gradients, steps and running values, to the bit, at one thread and two. */
START_TEST(batchnorm_same_bits_at_every_thread_count)
{
    tu_single = _i;
    enum { N = 20000 };
    double *x = malloc(N * 5 * sizeof *x), *t = malloc(N * 2 * sizeof *t);
    double *y[2], g[2][512], after[2][512];
    uint64_t st = 77;
    tu_fill(&st, x, N * 5, -2, 2);
    tu_fill(&st, t, N * 2, -1, 1);
    size_t np = 0, ns = 0;
    for (int threads = 1; threads <= 2; threads++) {
        ck_assert_int_eq(mlp_set_num_threads(threads), MLP_OK);
        mlp_net *net = bn_net(5, 40, MLP_ACT_RELU, 2, MLP_ACT_IDENTITY, 1e-5, 0.1, 1, NULL);
        np = mlp_net_n_params(net);
        ns = net->n_state;
        ck_assert_uint_le(np + ns, 512);
        mlp_workspace *ws = NULL;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
        y[threads - 1] = malloc(N * 2 * sizeof(double));
        double loss;
        ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g[threads - 1], &loss,
                                          TU_ROWS(x, 5, t, 2, N)),
                         MLP_OK);
        const mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
        mlp_trainer *tr = NULL;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
        for (int s = 0; s < 3; s++)
            ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(x, 5, t, 2, N)), MLP_OK);
        ck_assert_int_eq(mlp_net_predict(net, ws, y[threads - 1], x, N), MLP_OK);
        memcpy(after[threads - 1], net->params, (np + ns) * value_bytes(net));
        mlp_trainer_free(tr);
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
    ck_assert_int_eq(mlp_set_num_threads(0), MLP_OK);
    ck_assert_mem_eq(g[0], g[1], np * sizeof(double));
    ck_assert_mem_eq(after[0], after[1], (np + ns) * (tu_single ? sizeof(float) : sizeof(double)));
    ck_assert_mem_eq(y[0], y[1], N * 2 * sizeof(double));
    free(y[0]);
    free(y[1]);
    free(x);
    free(t);
}
END_TEST

/* The parameters and running values a fit leaves: a fit that stops early keeps its best
 * epoch's (the same bits as a fit that ran that many epochs); a checkpoint resumes to
 * the bits of the fit that never stopped; plain SGD's fused road and Adam alike. */
START_TEST(batchnorm_fits_keep_and_resume_their_state)
{
    tu_single = _i;
    enum { N = 240, V = 60 };
    double *x = malloc((N + V) * 5 * sizeof *x), *t = malloc((N + V) * 2 * sizeof *t);
    uint64_t st = 29;
    tu_fill(&st, x, (N + V) * 5, -2, 2);
    tu_fill(&st, t, (N + V) * 2, -1, 1);
    for (size_t r = 0; r < N + V; r++) t[2 * r] += sin(3 * x[5 * r]);
    const mlp_dataset *val = TU_ROWS(x + N * 5, 5, t + N * 2, 2, V);
    const mlp_optimizer_kind kinds[2] = {MLP_OPT_SGD, MLP_OPT_ADAM};
    for (int kk = 0; kk < 2; kk++) {
        mlp_optimizer o = tu_optimizer(kinds[kk]);
        o.learning_rate = kk == 0 ? 0.2 : 0.02; /* large: the validation loss turns up */
        double w[3][256];
        size_t snap = 0, best = 0;
        for (int run = 0; run < 3; run++) {
            /* 0: early stopping, which keeps the best epoch; 1: that many epochs, no
             * stopping; 2: 1 epoch, a checkpoint, then the rest of run 1's */
            mlp_net *net = bn_net(5, 16, MLP_ACT_RELU, 2, MLP_ACT_IDENTITY, 1e-5, 0.2, 1, NULL);
            snap = (mlp_net_n_params(net) + net->n_state) * value_bytes(net); /* bytes */
            ck_assert_uint_le(snap, sizeof w[0]);
            mlp_trainer *tr = NULL;
            ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
            mlp_fit_options f = tu_fit_options();
            mlp_fit_result res = tu_fit_result();
            f.batch_size = 16;
            f.seed = 5;
            f.validation = val;
            f.epochs = run == 0 ? 60 : run == 1 ? best : 1;
            f.patience = run == 0 ? 3 : 0;
            ck_assert_int_eq(mlp_trainer_fit(tr, &res, TU_ROWS(x, 5, t, 2, N), &f), MLP_OK);
            if (run == 0) {
                best = res.best_epoch;
                ck_assert_msg(best > 1 && best < res.epochs_run, "%s: best epoch %zu of %zu",
                              mlp_optimizer_name(kinds[kk]), best, res.epochs_run);
            }
            if (run == 2) {
                size_t size = 0;
                unsigned char *ck = malloc(1 << 16);
                ck_assert_int_eq(mlp__trainer_save_buffer(tr, ck, 1 << 16, &size), MLP_OK);
                mlp_trainer_free(tr);
                mlp_net_free(net);
                ck_assert_int_eq(mlp_trainer_load_buffer(&tr, &net, ck, size, 16), MLP_OK);
                free(ck);
                f.epochs = best - 1;
                ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 5, t, 2, N), &f), MLP_OK);
            }
            ck_assert_ptr_null(inv_trainer(tr));
            memcpy(w[run], net->params, snap);
            mlp_trainer_free(tr);
            mlp_net_free(net);
        }
        ck_assert_msg(memcmp(w[0], w[1], snap) == 0,
                      "%s: early stopping kept other parameters or running values than the "
                      "best epoch's",
                      mlp_optimizer_name(kinds[kk]));
        ck_assert_msg(memcmp(w[1], w[2], snap) == 0, "%s: other bits after a checkpoint",
                      mlp_optimizer_name(kinds[kk]));
    }
    free(x);
    free(t);
}
END_TEST

START_TEST(batchnorm_refusals)
{
    mlp_net *net = bn_net(3, 4, MLP_ACT_RELU, 1, MLP_ACT_IDENTITY, 1e-5, 0.1, 1, NULL);
    for (int k = MLP_OPT_LBFGS; k <= MLP_OPT_LM; k++) {
        const mlp_optimizer o = tu_optimizer((mlp_optimizer_kind)k);
        mlp_trainer *tr = NULL;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 1 is a batch normalization, which"));
        ck_assert_ptr_null(tr);
    }
    /* sharded: each shard would normalize by its own rows */
    double x[16 * 3], t[16];
    uint64_t st = 8;
    tu_fill(&st, x, 48, -1, 1);
    tu_fill(&st, t, 16, -1, 1);
    const mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    unsigned char before[8 * 64];
    const size_t snap = mlp_net_n_params(net) + net->n_state;
    memcpy(before, mlp_net_params(net), snap * 8);
    mlp_fit_options f = tu_fit_options();
    f.shards = 2;
    f.epochs = 2;
    f.batch_size = 8;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 3, t, 1, 16), &f), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "whose statistics are the whole batch's"));
    ck_assert_mem_eq(before, mlp_net_params(net), snap * 8);
    mlp_trainer_free(tr);
    mlp_net_free(net);

    /* A batch of one row has no variance: a step refuses it (above, in the recurrence's
     * test), a fit refuses a batch_size of 1, and joins a last batch of one row to the
     * one before it: with momentum 1 the running values are the last batch's, here
     * rows 4 to 8 of 9 in batches of 4. */
    mlp_layer_spec on_x[2] = {MLP_BATCHNORM(MLP_ACT_IDENTITY), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    on_x[0].momentum = 1.0;
    ck_assert_int_eq(mlp_net_create(&net, 3, on_x, 2), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 4), MLP_OK);
    f = tu_fit_options();
    f.epochs = 1;
    f.shuffle = 0;
    f.validation_fraction = 0;
    f.batch_size = 1;
    const size_t snap_x = mlp_net_n_params(net) + net->n_state; /* this network's */
    memcpy(before, mlp_net_params(net), snap_x * 8);
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 3, t, 1, 9), &f), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "layer 0 is a batch normalization"));
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "batch_size is 1"));
    ck_assert_mem_eq(before, mlp_net_params(net), snap_x * 8);
    f.batch_size = 4;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 3, t, 1, 9), &f), MLP_OK);
    for (size_t c = 0; c < 3; c++) {
        long double m = 0, s = 0;
        for (size_t r = 4; r < 9; r++) m += x[r * 3 + c];
        m /= 5;
        for (size_t r = 4; r < 9; r++) s += (x[r * 3 + c] - m) * (x[r * 3 + c] - m);
        ck_assert_msg(tu_close(net->state[c], (double)m, 1e-15), "mean %zu", c);
        ck_assert_msg(tu_close(net->state[3 + c], (double)(s / 4), 1e-15), "var %zu", c);
    }
    mlp_trainer_free(tr);
    mlp_net_free(net);

    /* the spec */
    mlp_layer_spec layers[2] = {MLP_BATCHNORM(MLP_ACT_RELU), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    const double bad_m[] = {0.0, -0.1, 1.5, NAN};
    for (size_t i = 0; i < 4; i++) {
        layers[0].momentum = bad_m[i];
        ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "must be above 0 and at most 1"));
    }
    layers[0].momentum = 1.0; /* the last batch alone */
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_OK);
    mlp_net_free(net);
    layers[0].epsilon = 0;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "has epsilon 0, must be positive"));
    layers[0].epsilon = 1e-5;
    layers[0].size = 4;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 2), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "is a batch normalization of 3 values, its size is 4"));
    /* mlp_layer_spec_init's defaults are PyTorch's */
    mlp_layer_spec d;
    ck_assert_int_eq(mlp_layer_spec_init(&d, sizeof d), MLP_OK);
    ck_assert_double_eq(d.momentum, 0.1);
    ck_assert_double_eq(d.epsilon, 1e-5);
}
END_TEST

START_TEST(batchnorm_file_record)
{
    /* 3 inputs -> dense 4 -> batch norm -> dense 2: records at 56 (24 bytes), 80 (40:
     * size, activation, bias, kind, count, ε, momentum), 120 (24); the parameter count
     * at 144, 34 parameters, the running count at 424, 4 means and 4 variances */
    enum { BN = 80, EPS = BN + 24, MOM = BN + 32, NRUN = 424, MEAN = 432, VAR = 464 };
    mlp_net *net = bn_net(3, 4, MLP_ACT_RELU, 2, MLP_ACT_IDENTITY, 1e-4, 0.3, 1, NULL);
    double x[8 * 3], t[8 * 2];
    uint64_t st = 12;
    tu_fill(&st, x, 24, -1, 3);
    tu_fill(&st, t, 16, -1, 1);
    const mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr = NULL;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 8), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_ROWS(x, 3, t, 2, 8)), MLP_OK);
    mlp_trainer_free(tr);
    ck_assert_ptr_null(inv_net(net));
    size_t size = 0;
    unsigned char *orig = tu_saved(net, &size);
    ck_assert_ptr_nonnull(orig);
    ck_assert_uint_eq(orig[8], 6);
    ck_assert_uint_eq(orig[BN + 16], MLP_LAYER_BATCHNORM);
    ck_assert_uint_eq(orig[BN + 20], 2);
    double v;
    memcpy(&v, orig + EPS, 8);
    ck_assert_double_eq(v, 1e-4);
    memcpy(&v, orig + MOM, 8);
    ck_assert_double_eq(v, 0.3);
    ck_assert_uint_eq(orig[NRUN], 8);
    ck_assert_mem_eq(orig + MEAN, net->state, 8 * 8);
    mlp_net *back = tu_reloaded(net);
    ck_assert_ptr_nonnull(back);
    ck_assert_mem_eq(back->state, net->state, 8 * 8);
    mlp_layer_spec got;
    ck_assert_int_eq(mlp_layer_spec_init(&got, sizeof got), MLP_OK);
    ck_assert_int_eq(mlp_net_layer(back, 1, &got, NULL), MLP_OK);
    ck_assert_int_eq(got.kind, MLP_LAYER_BATCHNORM);
    ck_assert_double_eq(got.momentum, 0.3);
    ck_assert_double_eq(got.epsilon, 1e-4);
    ck_assert_uint_eq(got.size, 4);
    mlp_net_free(back);
    const tu_edit edits[] = {
        {MOM, 8, 0, "has momentum 0, must be above 0"},
        {MOM, 8, 0x4000000000000000ull, "has momentum 2, must be above 0 and at most 1"},
        {EPS, 8, 0, "has epsilon 0, must be positive"},
        {BN + 20, 4, 1, "layer 1 (a batch normalization) holds 1 values, its kind keeps 2"},
        {BN + 16, 4, MLP_LAYER_LAYERNORM, "holds 2 values, its kind keeps 1"},
        {NRUN, 8, 7, "7 values of running state stored, the layers keep 8"},
        {NRUN, 8, 0xFFFFFFFFFFull, "1099511627775 values of running state stored"},
        {MEAN, 8, 0x7FF8000000000000ull, "the running state: value 0 is not finite"},
        {VAR + 8, 8, 0xBFF0000000000000ull, "layer 1 (a batch normalization) holds a negative running variance"},
        {VAR, 8, 0x7FF0000000000000ull, "the running state: value 4 is not finite"},
    };
    tu_refuses_edits(orig, size, edits, sizeof edits / sizeof edits[0]);
    free(orig);
    mlp_net_free(net);
}
END_TEST

static Suite *batchnorm_suite(void)
{
    Suite *s = suite_create("batchnorm");
    TCase *tc = tcase_create("batchnorm");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, batchnorm_agrees_with_pytorch);
    tcase_add_test(tc, batchnorm_running_values_follow_the_recurrence);
    tcase_add_test(tc, batchnorm_gradients_check);
    tcase_add_loop_test(tc, batchnorm_same_bits_at_every_thread_count, 0, 2);  /* both precisions */
    tcase_add_loop_test(tc, batchnorm_fits_keep_and_resume_their_state, 0, 2); /* both precisions */
    tcase_add_test(tc, batchnorm_refusals);
    tcase_add_test(tc, batchnorm_file_record);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(batchnorm_suite)
