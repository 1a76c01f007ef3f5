/* L-BFGS and Levenberg-Marquardt. Expected values come from closed forms (least
 * squares and ridge regression solved by LAPACK's QR and Cholesky here, in the
 * test), from central finite differences (the Jacobian), and from a teacher network
 * whose weights the student must recover to a loss near zero. This suite links the
 * library's objects, for the Jacobian, which is internal. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invariants.h"
#include "mlp_internal.h"
#include "test_util.h"

/* Deterministic pseudo-random numbers in [-1, 1). */
static double uniform(unsigned long long *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

#define ROWS 60
#define FEATURES 4

static double lx[ROWS * FEATURES], ly[ROWS];

/* y = X·w + b + noise: a linear model does not fit it exactly. */
static void make_linear(void)
{
    unsigned long long s = 42;
    const double w[FEATURES] = {1.5, -2.0, 0.25, 3.0};
    for (size_t r = 0; r < ROWS; r++) {
        ly[r] = 0.7 + 0.1 * uniform(&s);
        for (size_t j = 0; j < FEATURES; j++) {
            lx[r * FEATURES + j] = uniform(&s) * (double)(j + 1);
            ly[r] += w[j] * lx[r * FEATURES + j];
        }
    }
}

/* The minimizer of (1/n)‖Xw + b - y‖² + (decay/2)‖w‖² (the bias not decayed), by
 * the normal equations [XᵀX + (n·decay/2)I, Xᵀ1; 1ᵀX, n] [w; b] = [Xᵀy; 1ᵀy] and
 * Cholesky, or for decay 0 by QR least squares on [X 1] (LAPACKE_dgels). */
static void closed_form(double decay, double out[FEATURES + 1])
{
    const int p = FEATURES + 1;
    if (decay == 0.0) {
        double a[ROWS * (FEATURES + 1)], b[ROWS];
        for (size_t r = 0; r < ROWS; r++) {
            for (size_t j = 0; j < FEATURES; j++) a[r * p + j] = lx[r * FEATURES + j];
            a[r * p + FEATURES] = 1.0;
            b[r] = ly[r];
        }
        ck_assert_int_eq(LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', ROWS, p, 1, a, p, b, 1), 0);
        memcpy(out, b, (size_t)p * sizeof *out);
        return;
    }
    double a[(FEATURES + 1) * (FEATURES + 1)] = {0}, b[FEATURES + 1] = {0};
    for (size_t r = 0; r < ROWS; r++) {
        double row[FEATURES + 1];
        for (size_t j = 0; j < FEATURES; j++) row[j] = lx[r * FEATURES + j];
        row[FEATURES] = 1.0;
        for (int i = 0; i < p; i++) {
            b[i] += row[i] * ly[r];
            for (int j = 0; j < p; j++) a[i * p + j] += row[i] * row[j];
        }
    }
    for (int i = 0; i < FEATURES; i++) a[i * p + i] += ROWS * decay / 2.0;
    ck_assert_int_eq(LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', p, 1, a, p, b, 1), 0);
    memcpy(out, b, (size_t)p * sizeof *out);
}

/* A linear model fitted with `kind` to convergence: its weights then its bias. */
static void fit_linear(mlp_optimizer_kind kind, double decay, double out[FEATURES + 1],
                       mlp_fit_result *res)
{
    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, FEATURES, &spec, 1), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_UNIFORM, 7), MLP_OK);
    mlp_optimizer o = tu_optimizer(kind);
    o.weight_decay = decay;
    o.tolerance_change = o.tolerance_grad = 0; /* on to where rounding stops it */
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, ROWS), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 200;
    f.batch_size = 0;
    *res = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, res, TU_DATA(lx, ly, ROWS), &f), MLP_OK);
    memcpy(out, mlp_net_params_const(net), (FEATURES + 1) * sizeof *out);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}

static void assert_fits(mlp_optimizer_kind kind, double decay, double tol)
{
    make_linear();
    double want[FEATURES + 1], got[FEATURES + 1];
    closed_form(decay, want);
    mlp_fit_result res;
    fit_linear(kind, decay, got, &res);
    ck_assert_int_eq(res.stop, MLP_STOP_CONVERGED);
    ck_assert_uint_lt(res.epochs_run, 200);
    for (int i = 0; i < FEATURES + 1; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= tol * fmax(1.0, fabs(want[i])),
                      "%s, decay %g: parameter %d is %.17g, the closed form %.17g",
                      mlp_optimizer_name(kind), decay, i, got[i], want[i]);
}

START_TEST(lbfgs_finds_the_least_squares_solution) { assert_fits(MLP_OPT_LBFGS, 0.0, 1e-12); }
END_TEST

START_TEST(lm_finds_the_least_squares_solution) { assert_fits(MLP_OPT_LM, 0.0, 1e-12); }
END_TEST

START_TEST(both_find_the_ridge_solution)
{
    assert_fits(MLP_OPT_LBFGS, 0.1, 1e-12);
    assert_fits(MLP_OPT_LM, 0.1, 1e-12);
}
END_TEST

/* ---- the Jacobian against central differences --------------------------------------- */

START_TEST(jacobian_matches_finite_differences)
{
    /* every activation with a derivative, a softmax output among them */
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_ACT_GELU, MLP_ACT_SILU,
                                   MLP_ACT_SOFTPLUS, MLP_ACT_IDENTITY};
    const mlp_activation outs[] = {MLP_ACT_IDENTITY, MLP_ACT_SOFTMAX, MLP_ACT_SIGMOID};
    unsigned long long s = 3;
    enum { B = 5, IN = 3, K = 3 };
    double x[B * IN];
    for (size_t i = 0; i < B * IN; i++) x[i] = uniform(&s);
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (size_t o = 0; o < sizeof outs / sizeof outs[0]; o++) {
            const mlp_layer_spec spec[3] = {MLP_LAYER(4, acts[a], 1), MLP_LAYER(3, acts[a], 0),
                                            MLP_LAYER(K, outs[o], 1)};
            mlp_net *net;
            ck_assert_int_eq(mlp_net_create(&net, IN, spec, 3), MLP_OK);
            ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 11 + a), MLP_OK);
            double *p = mlp_net_params(net);
            const size_t np = mlp_net_n_params(net);
            for (size_t i = 0; i < np; i++) p[i] += 0.1 * uniform(&s); /* biases too */
            mlp_optimizer opt = tu_optimizer(MLP_OPT_LM);
            mlp_trainer *tr;
            ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &opt, B), MLP_OK);
            const double *j = mlp__lm_jacobian(tr, x, B);
            mlp_workspace *ws;
            ck_assert_int_eq(mlp_workspace_create(&ws, net, B), MLP_OK);
            double hi[B * K], lo[B * K];
            for (size_t q = 0; q < np; q++) {
                const double keep = p[q], h = 1e-5;
                p[q] = keep + h;
                ck_assert_int_eq(mlp_net_predict(net, ws, hi, x, B), MLP_OK);
                p[q] = keep - h;
                ck_assert_int_eq(mlp_net_predict(net, ws, lo, x, B), MLP_OK);
                p[q] = keep;
                for (size_t r = 0; r < B * K; r++) {
                    const double fd = (hi[r] - lo[r]) / (2 * h);
                    ck_assert_msg(fabs(j[r * np + q] - fd) <= 1e-8,
                                  "%s/%s: dy[%zu]/dp[%zu] = %.12g, finite differences %.12g",
                                  mlp_activation_name(acts[a]), mlp_activation_name(outs[o]), r,
                                  q, j[r * np + q], fd);
                }
            }
            mlp_workspace_free(ws);
            mlp_trainer_free(tr);
            mlp_net_free(net);
        }
}
END_TEST

/* LM's normal equations built from blocks of 7 rows equal those built from all 40
 * at once, up to the rounding of the sums: the same step. */
START_TEST(lm_blocks_of_rows_give_the_same_step)
{
    enum { NR = 40 };
    unsigned long long s = 23;
    double x[NR * 3], t[NR * 2];
    for (size_t i = 0; i < NR * 3; i++) x[i] = uniform(&s);
    for (size_t i = 0; i < NR * 2; i++) t[i] = uniform(&s);
    const mlp_layer_spec spec[2] = {MLP_LAYER(5, MLP_ACT_TANH, 1), MLP_LAYER(2, MLP_ACT_SIGMOID, 1)};
    double after[2][32];
    size_t np = 0;
    for (int blocked = 0; blocked < 2; blocked++) {
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create(&net, 3, spec, 2), MLP_OK);
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 4), MLP_OK);
        np = mlp_net_n_params(net);
        mlp_optimizer o = tu_optimizer(MLP_OPT_LM);
        o.weight_decay = 0.01;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, NR), MLP_OK);
        ck_assert_uint_eq(tr->lm_rows, NR); /* one block by default */
        if (blocked) tr->lm_rows = 7;      /* smaller than the scratch it has: safe */
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, t, NR)), MLP_OK);
        memcpy(after[blocked], mlp_net_params_const(net), np * sizeof(double));
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(tu_close(after[0][i], after[1][i], 1e-11), "parameter %zu: %.17g and %.17g",
                      i, after[0][i], after[1][i]);
}
END_TEST

/* ---- a small network: LM against Adam ------------------------------------------------- */

#define TROWS 40

/* Targets from a teacher: the tutorial's 2-2-2-1 shape (tanh hidden, identity out)
 * with weights of the tutorial's multi-layer example, scaled by 1/4. The student
 * has the same shape, so a loss of zero is reachable. */
static void make_teacher(double *x, double *t)
{
    const double w1[4] = {2, 4, 4, -5}, w2[4] = {-1, 1, 2, 2}, w3[2] = {-3, 7};
    const double *w[3] = {w1, w2, w3};
    const mlp_layer_spec spec[3] = {MLP_LAYER(2, MLP_ACT_TANH, 0), MLP_LAYER(2, MLP_ACT_TANH, 0),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 0)};
    mlp_net *teacher;
    ck_assert_int_eq(mlp_net_create(&teacher, 2, spec, 3), MLP_OK);
    for (size_t l = 0; l < 3; l++) {
        double scaled[4];
        const size_t count = l < 2 ? 4 : 2;
        for (size_t i = 0; i < count; i++) scaled[i] = w[l][i] / 4.0;
        ck_assert_int_eq(mlp_net_set_weights(teacher, l, scaled, count), MLP_OK);
    }
    unsigned long long s = 5;
    for (size_t i = 0; i < 2 * TROWS; i++) x[i] = uniform(&s);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, teacher, TROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(teacher, ws, t, x, TROWS), MLP_OK);
    mlp_workspace_free(ws);
    mlp_net_free(teacher);
}

/* Full-batch steps of tr on (x, t) until the loss before a step is below `target`:
 * the step at which it was, or 0 if `epochs` steps never got there. Frees tr and its
 * network. */
static size_t steps_to(mlp_trainer *tr, const double *x, const double *t, double target,
                       size_t epochs)
{
    size_t reached = 0;
    for (size_t e = 1; e <= epochs && reached == 0; e++) {
        double loss;
        ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(x, t, TROWS)), MLP_OK);
        if (loss < target) reached = e;
    }
    mlp_net *net = mlp_trainer_net(tr);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return reached;
}

/* Full-batch epochs of `kind` from the same start until the training loss is below
 * `target` (or `epochs` ran out): the epochs it took, or 0 if it never got there. */
static size_t epochs_to(mlp_optimizer_kind kind, const double *x, const double *t, double target,
                        size_t epochs)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(2, MLP_ACT_TANH, 0), MLP_LAYER(2, MLP_ACT_TANH, 0),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 0)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 2, spec, 3), MLP_OK);
    /* the teacher's weights / 4, each moved by 0.1: a start in its basin */
    const double start[10] = {0.6, 0.9, 1.1, -1.15, -0.35, 0.15, 0.6, 0.4, -0.65, 1.85};
    memcpy(mlp_net_params(net), start, sizeof start);
    mlp_optimizer o = tu_optimizer(kind);
    if (kind == MLP_OPT_LM) o.tolerance_change = 0; /* run on to the target */
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, TROWS), MLP_OK);
    return steps_to(tr, x, t, target, epochs);
}

START_TEST(lm_trains_a_small_network_in_few_iterations)
{
    double x[2 * TROWS], t[TROWS];
    make_teacher(x, t);
    const size_t lm = epochs_to(MLP_OPT_LM, x, t, 1e-8, 100);
    ck_assert_msg(lm > 0 && lm < 100, "LM took %zu iterations", lm);
    /* Adam, with its defaults, on the same start: nowhere near in 100 times as many */
    const size_t adam = epochs_to(MLP_OPT_ADAM, x, t, 1e-8, 100 * lm);
    ck_assert_msg(adam == 0, "Adam reached 1e-8 in %zu epochs, LM in %zu", adam, lm);
}
END_TEST

/* sin(πu) for u on [-1, 1] (the input scaled, as one would), 40 points, by a 1-10-1
 * tanh network from a seeded start. This fit is ill-conditioned: MINPACK's LM
 * (scipy.optimize.least_squares, method 'lm', exact Jacobian) from the same start
 * is at MSE 2.7e-5 after 50 evaluations and 1.6e-6 after 100. */
static size_t sine_epochs_to(mlp_optimizer_kind kind, double target, size_t epochs)
{
    double x[TROWS], t[TROWS];
    for (size_t i = 0; i < TROWS; i++) {
        x[i] = 2.0 * (double)i / (TROWS - 1) - 1.0;
        t[i] = sin(acos(-1.0) * x[i]);
    }
    const mlp_layer_spec spec[2] = {MLP_LAYER(10, MLP_ACT_TANH, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 1, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 1), MLP_OK);
    mlp_optimizer o = tu_optimizer(kind);
    o.tolerance_change = 0;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, TROWS), MLP_OK);
    return steps_to(tr, x, t, target, epochs);
}

START_TEST(lm_fits_a_sine_in_few_iterations)
{
    /* measured with OpenBLAS on SkylakeX: LM 51 iterations, Adam 7733 epochs */
    const size_t lm = sine_epochs_to(MLP_OPT_LM, 1e-5, 100);
    ck_assert_msg(lm > 0 && lm < 100, "LM took %zu iterations", lm);
    const size_t adam = sine_epochs_to(MLP_OPT_ADAM, 1e-5, 100 * lm);
    ck_assert_msg(adam == 0, "Adam reached 1e-5 in %zu epochs, LM in %zu", adam, lm);
}
END_TEST

/* Second-order methods overfit small noisy data fast: fit's validation split and
 * patience stop them, as they stop the others. */
START_TEST(early_stopping_stops_them)
{
    enum { NR = 80 };
    double x[NR], t[NR];
    unsigned long long s = 17;
    for (size_t i = 0; i < NR; i++) {
        x[i] = uniform(&s);
        t[i] = sin(3.0 * x[i]) + 0.3 * uniform(&s);
    }
    const mlp_optimizer_kind kinds[2] = {MLP_OPT_LBFGS, MLP_OPT_LM};
    for (int k = 0; k < 2; k++) {
        const mlp_layer_spec spec[2] = {MLP_LAYER(30, MLP_ACT_TANH, 1),
                                        MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create(&net, 1, spec, 2), MLP_OK);
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 2), MLP_OK);
        mlp_optimizer o = tu_optimizer(kinds[k]);
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, NR), MLP_OK);
        mlp_fit_options f = tu_fit_options();
        f.epochs = 1000;
        f.batch_size = 0;
        f.validation_fraction = 0.25;
        f.patience = 5;
        mlp_fit_result r = tu_fit_result();
        ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(x, t, NR), &f), MLP_OK);
        ck_assert_msg(r.stop == MLP_STOP_PATIENCE, "%s stopped for %d after %zu epochs",
                      mlp_optimizer_name(kinds[k]), (int)r.stop, r.epochs_run);
        ck_assert_ptr_nonnull(r.val_loss);
        ck_assert_uint_lt(r.best_epoch, r.epochs_run); /* the best came before the end */
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
}
END_TEST

/* ---- checkpoints ---------------------------------------------------------------------- */

/* `iters` full-batch iterations, by mlp_trainer_step or by mlp_trainer_fit. */
static void iterate(mlp_trainer *tr, const double *x, const double *t, int iters, int by_fit)
{
    if (!by_fit) {
        for (int i = 0; i < iters; i++)
            ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, t, TROWS)), MLP_OK);
        return;
    }
    mlp_fit_options f = tu_fit_options();
    f.epochs = (size_t)iters;
    f.batch_size = 0;
    mlp_fit_result r = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(x, t, TROWS), &f), MLP_OK);
    ck_assert_uint_eq(r.epochs_run, (size_t)iters);
}

/* Ten full-batch iterations straight, and five, a checkpoint through a file, five
 * more: the same parameters, bit for bit. By fit, the uninterrupted run starts
 * iterations 2 to 10 from the values the one before ended with, the resumed one
 * computes them afresh at iteration 6: they must agree to the bit too. */
static void assert_resumes(mlp_optimizer_kind kind, int by_fit)
{
    double x[2 * TROWS], t[TROWS];
    make_teacher(x, t);
    const mlp_layer_spec spec[2] = {MLP_LAYER(6, MLP_ACT_TANH, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *a, *b;
    ck_assert_int_eq(mlp_net_create(&a, 2, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(a, MLP_INIT_XAVIER, 9), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&b, 2, spec, 2), MLP_OK);
    memcpy(mlp_net_params(b), mlp_net_params_const(a), mlp_net_n_params(a) * sizeof(double));
    mlp_optimizer o = tu_optimizer(kind);
    o.lbfgs_history = 3; /* the ring wraps within ten iterations */
    o.tolerance_change = o.tolerance_grad = 0;
    mlp_trainer *ta, *tb;
    ck_assert_int_eq(mlp_trainer_create(&ta, a, MLP_LOSS_MSE, &o, TROWS), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tb, b, MLP_LOSS_MSE, &o, TROWS), MLP_OK);
    iterate(ta, x, t, 10, by_fit);
    iterate(tb, x, t, 5, by_fit);
    char path[] = "/tmp/mlp_second_order_XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(mlp_trainer_save(tb, path), MLP_OK);
    mlp_trainer_free(tb);
    mlp_net_free(b);
    ck_assert_int_eq(mlp_trainer_load(&tb, &b, path, TROWS), MLP_OK);
    unlink(path);
    iterate(tb, x, t, 5, by_fit);
    const size_t np = mlp_net_n_params(a);
    const double *pa = mlp_net_params_const(a), *pb = mlp_net_params_const(b);
    ck_assert_msg(memcmp(pa, pb, np * sizeof *pa) == 0, "%s%s: resumed run differs",
                  mlp_optimizer_name(kind), by_fit ? " by fit" : "");
    /* and it moved: ten iterations are not a no-op */
    mlp_net *c;
    ck_assert_int_eq(mlp_net_create(&c, 2, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(c, MLP_INIT_XAVIER, 9), MLP_OK);
    ck_assert(memcmp(pa, mlp_net_params_const(c), np * sizeof *pa) != 0);
    mlp_net_free(c);
    mlp_trainer_free(ta);
    mlp_trainer_free(tb);
    mlp_net_free(a);
    mlp_net_free(b);
}

START_TEST(lbfgs_resumes_bit_for_bit)
{
    assert_resumes(MLP_OPT_LBFGS, 0);
    assert_resumes(MLP_OPT_LBFGS, 1);
}
END_TEST

START_TEST(lm_resumes_bit_for_bit)
{
    assert_resumes(MLP_OPT_LM, 0);
    assert_resumes(MLP_OPT_LM, 1);
}
END_TEST

/* ---- what they refuse ----------------------------------------------------------------- */

START_TEST(refusals)
{
    double x[2 * TROWS], t[TROWS];
    make_teacher(x, t);
    const mlp_layer_spec spec[2] = {MLP_LAYER(6, MLP_ACT_TANH, 1), MLP_LAYER(1, MLP_ACT_SIGMOID, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 2, spec, 2), MLP_OK);
    mlp_trainer *tr = NULL;
    mlp_optimizer lm = tu_optimizer(MLP_OPT_LM), lb = tu_optimizer(MLP_OPT_LBFGS);

    /* LM minimizes a sum of squares */
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &lm, 4),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(tr);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "takes the mse loss"));
    /* its normal equations must fit the budget: 25 parameters need 2·25²·8 = 10000 bytes */
    lm.lm_memory_budget = 9999;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &lm, 4), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "lm_memory_budget"));
    lm.lm_memory_budget = 10000;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &lm, 4), MLP_OK);
    mlp_trainer_free(tr);
    tr = NULL;

    /* settings out of range */
    const struct {
        mlp_optimizer_kind kind;
        size_t *count;
        double *real;
        double value;
    } bad[] = {
        {MLP_OPT_LBFGS, &lb.lbfgs_history, NULL, 0},
        {MLP_OPT_LBFGS, &lb.max_line_search, NULL, 0},
        {MLP_OPT_LBFGS, NULL, &lb.tolerance_grad, -1},
        {MLP_OPT_LBFGS, NULL, &lb.tolerance_change, NAN},
        {MLP_OPT_LM, NULL, &lm.lm_damping, 0},
        {MLP_OPT_LM, NULL, &lm.lm_damping, INFINITY},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mlp_optimizer *o = bad[i].kind == MLP_OPT_LM ? &lm : &lb;
        const mlp_optimizer keep = *o;
        if (bad[i].count != NULL) *bad[i].count = (size_t)bad[i].value;
        else *bad[i].real = bad[i].value;
        ck_assert_msg(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, o, 4) == MLP_ERR_INVALID_ARG,
                      "bad setting %zu accepted", i);
        ck_assert_ptr_null(tr);
        *o = keep;
    }

    /* L-BFGS is full-batch: minibatches are refused before anything changes */
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &lb, TROWS), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 3;
    f.batch_size = 8;
    const size_t np = mlp_net_n_params(net);
    double before[32];
    memcpy(before, mlp_net_params_const(net), np * sizeof *before);
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, t, TROWS), &f), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "full-batch"));
    ck_assert(memcmp(before, mlp_net_params_const(net), np * sizeof *before) == 0);
    /* its history length is fixed at creation */
    mlp_optimizer longer = lb;
    longer.lbfgs_history = 20;
    ck_assert_int_eq(mlp_trainer_set_optimizer(tr, &longer), MLP_ERR_INVALID_ARG);
    /* a target that is not finite: MLP_ERR_NUMERIC, the weights as they were */
    double bad_t[TROWS];
    memcpy(bad_t, t, sizeof bad_t);
    bad_t[3] = NAN;
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, bad_t, TROWS)), MLP_ERR_NUMERIC);
    ck_assert(memcmp(before, mlp_net_params_const(net), np * sizeof *before) == 0);
    mlp_trainer_free(tr);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &lm, TROWS), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, bad_t, TROWS)), MLP_ERR_NUMERIC);
    ck_assert(memcmp(before, mlp_net_params_const(net), np * sizeof *before) == 0);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* ---- MLP_OK means finite ------------------------------------------------------------- */

/* 1 -> 2 relu -> 1: hidden unit 1 is dead (its bias, parameter 3, at `dead_bias`, the
 * inputs in [0, 1)), so its output is 0 and the loss finite whatever that bias is. */
enum { DEAD_BIAS = 3, OUT_BIAS = 6, DROWS = 16 };
static double dx[DROWS], dt[DROWS];

static mlp_net *dead_unit_net(double dead_bias)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(2, MLP_ACT_RELU, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 1, spec, 2), MLP_OK);
    ck_assert_uint_eq(mlp_net_n_params(net), 7);
    const double p[7] = {1.0, 1.0, 0.1, dead_bias, 0.5, 0.5, 0.0}; /* W0, b0, W1, b1 */
    memcpy(mlp_net_params(net), p, sizeof p);
    unsigned long long r = 7;
    for (size_t i = 0; i < DROWS; i++) {
        dx[i] = 0.5 * (uniform(&r) + 1.0);
        dt[i] = 2.0 * dx[i] + 1.0;
    }
    return net;
}

/* After MLP_OK: the two rules of invariants.h (every parameter and piece of state
 * finite; the checkpoint saves into bytes that load back to the same bytes). */
static void assert_sound(const mlp_trainer *tr, const char *what)
{
    const char *why = inv_trainer(tr);
    ck_assert_msg(why == NULL, "%s: after MLP_OK, %s", what, why);
}

START_TEST(neither_starts_from_an_infinite_parameter)
{
    /* The dead unit's bias is -inf (written through mlp_net_params): its output is
     * relu(-inf) = 0, the loss and the gradient are finite, yet the network is not. */
    const mlp_optimizer_kind kinds[2] = {MLP_OPT_LBFGS, MLP_OPT_LM};
    for (int k = 0; k < 2; k++) {
        mlp_net *net = dead_unit_net(-INFINITY);
        double before[7];
        memcpy(before, mlp_net_params_const(net), sizeof before);
        mlp_optimizer o = tu_optimizer(kinds[k]);
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, DROWS), MLP_OK);
        double loss = NAN;
        const mlp_status s = mlp_trainer_step(tr, &loss, TU_DATA(dx, dt, DROWS));
        ck_assert_msg(s == MLP_ERR_NUMERIC, "%s: gave %s", mlp_optimizer_name(kinds[k]),
                      mlp_strerror(s));
        ck_assert(isfinite(loss));
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "infinite parameters"));
        ck_assert(memcmp(before, mlp_net_params_const(net), sizeof before) == 0);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
}
END_TEST

START_TEST(lbfgs_never_steps_past_the_range)
{
    /* The dead unit's bias at -DBL_MAX, and one curvature pair, valid (yᵀs = 1 > 0)
     * but hostile, as a checkpoint edited by value would hold it: s = A·e_dead + e_out,
     * y = e_out, where out is the output bias. Then H·g = g' + s·g_out (g' is g without
     * its out entry; the dead bias's own gradient is 0), so the direction moves the
     * dead bias by -A·g_out: for one sign of A, 1e300 past -DBL_MAX, to -inf, where
     * the unit is still dead and the loss still finite. */
    for (int sign = -1; sign <= 1; sign += 2) {
        mlp_net *net = dead_unit_net(-DBL_MAX);
        mlp_optimizer o = tu_optimizer(MLP_OPT_LBFGS);
        o.lbfgs_history = 1;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, DROWS), MLP_OK);
        const size_t np = 7;
        double *s = tr->hist, *y = tr->hist + np;
        memset(tr->hist, 0, 2 * np * sizeof *tr->hist);
        s[DEAD_BIAS] = sign * 1e300;
        s[OUT_BIAS] = 1.0;
        y[OUT_BIAS] = 1.0;
        tr->so[0] = 1; /* one pair, the ring full */
        tr->so[1] = 0;
        mlp__lbfgs_refresh(tr);
        double before[7];
        memcpy(before, mlp_net_params_const(net), sizeof before);
        const mlp_status s1 = mlp_trainer_step(tr, NULL, TU_DATA(dx, dt, DROWS));
        char what[32];
        snprintf(what, sizeof what, "A = %g", sign * 1e300);
        if (s1 == MLP_OK) {
            assert_sound(tr, what);
        } else {
            ck_assert_int_eq(s1, MLP_ERR_NUMERIC);
            ck_assert(memcmp(before, mlp_net_params_const(net), sizeof before) == 0);
        }
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
}
END_TEST

static Suite *second_order_suite(void)
{
    Suite *s = suite_create("second_order");
    TCase *c = tcase_create("second order");
    tcase_set_timeout(c, 300);
    tcase_add_test(c, lbfgs_finds_the_least_squares_solution);
    tcase_add_test(c, lm_finds_the_least_squares_solution);
    tcase_add_test(c, both_find_the_ridge_solution);
    tcase_add_test(c, jacobian_matches_finite_differences);
    tcase_add_test(c, lm_blocks_of_rows_give_the_same_step);
    tcase_add_test(c, lm_trains_a_small_network_in_few_iterations);
    tcase_add_test(c, lm_fits_a_sine_in_few_iterations);
    tcase_add_test(c, early_stopping_stops_them);
    tcase_add_test(c, lbfgs_resumes_bit_for_bit);
    tcase_add_test(c, lm_resumes_bit_for_bit);
    tcase_add_test(c, refusals);
    tcase_add_test(c, neither_starts_from_an_infinite_parameter);
    tcase_add_test(c, lbfgs_never_steps_past_the_range);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(second_order_suite)
