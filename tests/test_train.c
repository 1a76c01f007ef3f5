/* Training: each optimizer's steps by hand, learning XOR and a regression,
 * reproducibility, convergence to least squares, divergence and NaN handling,
 * validation, early stopping, callbacks, bad input. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "test_util.h"

/* The tolerance of a value worked out by hand in double: float64's own (`f64`, the
 * rounding of a few operations), or a float32 network's: its weight and state rounded
 * to float at every step, a few ε of float of the values (16 ε, at least of 1). */
static double tol(double f64, double v)
{
    return tu_single ? 16 * (double)FLT_EPSILON * fmax(1.0, fabs(v)) : f64;
}

/* Run `steps` steps of the optimizer from w = 0.5 and return the weights after each
 * (in the test's precision: tu_single). */
static void run_steps(mlp_optimizer opt, int steps, double *w_after)
{
    mlp_net *net = tu_in_precision(tu_one_weight(0.5));
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &opt, 1), MLP_OK);
    for (int k = 0; k < steps; k++) {
        double loss;
        const double w = tu_param_at(net, 0);
        ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(&tu_one, &tu_zero, 1)), MLP_OK);
        ck_assert_double_eq_tol(loss, w * w, 1e-16); /* w², squared in double either way */
        w_after[k] = tu_param_at(net, 0);
    }
    mlp_trainer_free(tr);
    mlp_net_free(net);
}

START_TEST(sgd_by_hand)
{
    tu_single = _i;
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;
    double w[2];
    run_steps(o, 2, w);
    ck_assert_double_eq_tol(w[0], 0.4, tol(1e-16, 0.4));   /* 0.5 - 0.1 * 1.0 */
    ck_assert_double_eq_tol(w[1], 0.32, tol(1e-16, 0.32)); /* 0.4 - 0.1 * 0.8 */
}
END_TEST

START_TEST(momentum_and_nesterov_by_hand)
{
    tu_single = _i;
    mlp_optimizer o = tu_optimizer(MLP_OPT_MOMENTUM);
    o.learning_rate = 0.1;
    double w[2];
    run_steps(o, 2, w);
    ck_assert_double_eq_tol(w[0], 0.4, tol(1e-16, 0.4));   /* v = 1; 0.5 - 0.1 */
    ck_assert_double_eq_tol(w[1], 0.23, tol(1e-16, 0.23)); /* v = 0.9 + 0.8 = 1.7; 0.4 - 0.17 */
    o.kind = MLP_OPT_NESTEROV;
    run_steps(o, 2, w);
    ck_assert_double_eq_tol(w[0], 0.31, tol(1e-16, 0.31)); /* v = 1; 0.5 - 0.1 (1 + 0.9) */
    /* g = 0.62, v = 0.9 + 0.62 = 1.52; 0.31 - 0.1 (0.62 + 0.9 * 1.52) */
    ck_assert_double_eq_tol(w[1], 0.1112, tol(1e-15, 0.1112));
}
END_TEST

START_TEST(adam_by_hand)
{
    tu_single = _i;
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.1;
    double w[3];
    run_steps(o, 3, w);
    /* Kingma & Ba, Algorithm 1, written out here step by step. */
    double theta = 0.5, m = 0, v = 0;
    for (int t = 1; t <= 3; t++) {
        const double g = 2 * theta;
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        const double mhat = m / (1 - pow(0.9, t)), vhat = v / (1 - pow(0.999, t));
        theta -= 0.1 * mhat / (sqrt(vhat) + 1e-8);
        ck_assert_double_eq_tol(w[t - 1], theta, tol(1e-15, theta));
    }
    ck_assert_double_eq_tol(w[0], 0.4, tol(1e-8, 0.4)); /* the first step is lr * sign(g) */
}
END_TEST

START_TEST(irprop_minus_by_hand)
{
    tu_single = _i;
    mlp_optimizer o = tu_optimizer(MLP_OPT_IRPROP_MINUS);
    double w[6];
    run_steps(o, 6, w);
    ck_assert_double_eq_tol(w[0], 0.4, tol(1e-16, 0.4));         /* step 0.1 against g = 1 */
    ck_assert_double_eq_tol(w[1], 0.28, tol(1e-16, 0.28));       /* same sign: step 0.12 */
    ck_assert_double_eq_tol(w[2], 0.136, tol(1e-16, 0.136));     /* step 0.144 */
    ck_assert_double_eq_tol(w[3], -0.0368, tol(1e-16, -0.0368)); /* step 0.1728: overshoots zero */
    ck_assert_double_eq_tol(w[4], -0.0368,
                            tol(1e-16, -0.0368)); /* sign change: step halves to 0.0864, no move */
    ck_assert_double_eq_tol(w[5], 0.0496, tol(1e-16, 0.0496)); /* then a plain step of 0.0864 */
}
END_TEST

START_TEST(weight_decay_spares_the_bias)
{
    tu_single = _i;
    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 1, &spec, 1), MLP_OK);
    mlp_net_params(net)[0] = 0.5; /* w */
    mlp_net_params(net)[1] = 0.5; /* b */
    net = tu_in_precision(net);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;
    o.weight_decay = 0.1;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(&tu_one, &tu_zero, 1)), MLP_OK);
    /* prediction 1: dL/dw = dL/db = 2; decay adds 0.1 * 0.5 to w's only */
    ck_assert_double_eq_tol(tu_param_at(net, 0), 0.5 - 0.1 * 2.05, tol(1e-16, 0.5 - 0.1 * 2.05));
    ck_assert_double_eq_tol(tu_param_at(net, 1), 0.5 - 0.1 * 2, tol(1e-16, 0.5 - 0.1 * 2));
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(fused_sgd_matches_gradient_then_update)
{
    /* Plain SGD never stores its gradient (one dgemm adds -lr dZᵀA to decay · W).
     * Compare it with the gradient from mlp_net_gradient applied by hand, on small
     * layers, large ones, one row and many, with and without bias and decay. */
    const struct {
        size_t in, h, out, n;
        int bias;
        double wd;
        mlp_activation act;
    } cases[] = {{2, 3, 1, 5, 1, 0.0, MLP_ACT_TANH},       {20, 30, 4, 7, 1, 0.01, MLP_ACT_TANH},
                 {20, 30, 4, 1, 0, 0.1, MLP_ACT_TANH},     {9, 40, 2, 1, 1, 0.0, MLP_ACT_TANH},
                 {3, 4, 2, 1, 1, 0.05, MLP_ACT_TANH},      {50, 60, 10, 33, 1, 0.001, MLP_ACT_TANH},
                 {20, 30, 4, 7, 1, 0.01, MLP_ACT_GELU},    {3, 4, 2, 5, 1, 0.0, MLP_ACT_GELU_TANH},
                 {50, 60, 10, 33, 1, 0.001, MLP_ACT_SILU}, {9, 40, 2, 1, 1, 0.0, MLP_ACT_SILU}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const mlp_layer_spec spec[2] = {MLP_LAYER(cases[c].h, cases[c].act, cases[c].bias),
                                        MLP_LAYER(cases[c].out, MLP_ACT_IDENTITY, cases[c].bias)};
        mlp_net *a, *b;
        ck_assert_int_eq(mlp_net_create(&a, cases[c].in, spec, 2), MLP_OK);
        ck_assert_int_eq(mlp_net_create(&b, cases[c].in, spec, 2), MLP_OK);
        mlp_net_init(a, MLP_INIT_XAVIER, 3 + c);
        mlp_net_init(b, MLP_INIT_XAVIER, 3 + c);
        const size_t n = cases[c].n, np = mlp_net_n_params(a);
        double *x = malloc(n * cases[c].in * sizeof *x), *t = malloc(n * cases[c].out * sizeof *t);
        double *g = malloc(np * sizeof *g);
        uint64_t rng = 17 + c;
        tu_fill(&rng, x, n * cases[c].in, -1, 1);
        tu_fill(&rng, t, n * cases[c].out, -1, 1);
        mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
        o.learning_rate = 0.05;
        o.weight_decay = cases[c].wd;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, a, MLP_LOSS_MSE, &o, n), MLP_OK);
        double loss_a, loss_b;
        ck_assert_int_eq(mlp_trainer_step(tr, &loss_a, TU_DATA(x, t, n)), MLP_OK);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, b, n), MLP_OK);
        ck_assert_int_eq(mlp_net_gradient(b, ws, MLP_LOSS_MSE, g, &loss_b, TU_DATA(x, t, n)),
                         MLP_OK);
        ck_assert_double_eq_tol(loss_a, loss_b, 1e-14);
        /* by hand: weights w -= lr (g + wd w), biases b -= lr g */
        double *p = mlp_net_params(b);
        size_t off = 0, in = cases[c].in;
        for (int l = 0; l < 2; l++) {
            const size_t outs = l == 0 ? cases[c].h : cases[c].out;
            for (size_t i = 0; i < outs * in; i++, off++)
                p[off] -= 0.05 * (g[off] + cases[c].wd * p[off]);
            if (cases[c].bias)
                for (size_t j = 0; j < outs; j++, off++) p[off] -= 0.05 * g[off];
            in = outs;
        }
        ck_assert_uint_eq(off, np);
        for (size_t i = 0; i < np; i++)
            ck_assert_msg(tu_close(mlp_net_params_const(a)[i], p[i], 1e-14),
                          "case %zu parameter %zu: fused %.17g, by hand %.17g", c, i,
                          mlp_net_params_const(a)[i], p[i]);
        mlp_workspace_free(ws);
        mlp_trainer_free(tr);
        free(x);
        free(t);
        free(g);
        mlp_net_free(a);
        mlp_net_free(b);
    }
}
END_TEST

START_TEST(a_failed_step_changes_nothing)
{
    mlp_net *net = tu_one_weight(0.5);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    const double nan_target = NAN;
    double loss = 0;
    ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(&tu_one, &nan_target, 1)), MLP_ERR_NUMERIC);
    ck_assert(isnan(loss));
    ck_assert_double_eq(mlp_net_params(net)[0], 0.5);
    /* and the optimizer's state did not move: the next step is Adam's first */
    ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(&tu_one, &tu_zero, 1)), MLP_OK);
    ck_assert_double_eq_tol(mlp_net_params(net)[0], 0.5 - o.learning_rate, 1e-10);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* ---- learning ------------------------------------------------------------ */

static const double xor_x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, xor_t[4] = {0, 1, 1, 0};

static mlp_net *xor_net(unsigned long long seed)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
                                    MLP_LAYER(1, MLP_ACT_SIGMOID, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 2, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, seed), MLP_OK);
    return tu_in_precision(net);
}

static int record_last(const mlp_epoch_report *r, void *user)
{
    *(mlp_epoch_report *)user = *r;
    return 0;
}

START_TEST(learns_xor)
{
    tu_single = _i;
    mlp_net *net = xor_net(1);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.05;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &o, 4), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 500;
    f.batch_size = 0; /* full batch */
    mlp_epoch_report last;
    f.callback = record_last;
    f.user_data = &last;
    mlp_fit_result res = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &res, TU_DATA(xor_x, xor_t, 4), &f), MLP_OK);
    ck_assert_uint_eq(res.epochs_run, 500);
    ck_assert_int_eq(res.stop, MLP_STOP_EPOCHS);
    const double *hist = res.loss;
    ck_assert_double_lt(hist[499], 0.05);
    ck_assert_double_lt(hist[499], hist[0]);

    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    double p[4], acc;
    ck_assert_int_eq(mlp_net_predict(net, ws, p, xor_x, 4), MLP_OK);
    ck_assert_int_eq(mlp_accuracy(&acc, p, xor_t, 4, 1), MLP_OK);
    ck_assert_double_eq(acc, 1.0);
    for (int i = 0; i < 4; i++) ck_assert(fabs(p[i] - xor_t[i]) < 0.2);
    ck_assert_double_eq(last.metric, 1.0); /* the epoch report's accuracy */
    ck_assert(isnan(last.val_loss));
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

enum { REG_N = 64 };

/* y = sin(x) on an even grid over [-3, 3]. */
static void sine_data(double *x, double *y)
{
    for (int i = 0; i < REG_N; i++) {
        x[i] = -3.0 + 6.0 * i / (REG_N - 1);
        y[i] = sin(x[i]);
    }
}

static mlp_net *sine_net(unsigned long long seed)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(16, MLP_ACT_TANH, 1), MLP_LAYER(16, MLP_ACT_TANH, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 1, spec, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, seed), MLP_OK);
    return tu_in_precision(net);
}

/* Fit the sine with Adam in shuffled mini-batches of 16. */
static mlp_status fit_sine(mlp_net *net, unsigned long long seed, size_t epochs, double lr,
                           double *hist, mlp_fit_result *res)
{
    double x[REG_N], y[REG_N];
    sine_data(x, y);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = lr;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = epochs;
    f.batch_size = 16;
    f.seed = seed;
    *res = tu_fit_result();
    mlp_status s = mlp_trainer_fit(tr, res, TU_DATA(x, y, REG_N), &f);
    /* the history belongs to the trainer: copy it out before freeing it */
    if (hist != NULL) memcpy(hist, res->loss, res->epochs_run * sizeof *hist);
    mlp_trainer_free(tr);
    return s;
}

START_TEST(regression_reaches_its_threshold)
{
    tu_single = _i;
    mlp_net *net = sine_net(3);
    static double hist[1000];
    mlp_fit_result res;
    ck_assert_int_eq(fit_sine(net, 11, 1000, 0.01, hist, &res), MLP_OK);
    ck_assert_double_lt(hist[999], 1e-3);
    /* measured on the data after training, not from the history */
    double x[REG_N], y[REG_N], p[REG_N], mse;
    sine_data(x, y);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, REG_N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, p, x, REG_N), MLP_OK);
    ck_assert_int_eq(mlp_loss_mse(&mse, p, y, REG_N), MLP_OK);
    ck_assert_double_lt(mse, 1e-3);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(same_seed_same_weights_bit_for_bit)
{
    tu_single = _i;
    mlp_net *a = sine_net(5), *b = sine_net(5), *c = sine_net(5);
    double ha[50], hb[50], hc[50];
    mlp_fit_result r;
    ck_assert_int_eq(fit_sine(a, 42, 50, 0.01, ha, &r), MLP_OK);
    ck_assert_int_eq(fit_sine(b, 42, 50, 0.01, hb, &r), MLP_OK);
    ck_assert_int_eq(fit_sine(c, 43, 50, 0.01, hc, &r), MLP_OK);
    size_t bytes;
    const void *pa = tu_params_of(a, &bytes), *pb = tu_params_of(b, &bytes),
               *pc = tu_params_of(c, &bytes);
    ck_assert_mem_eq(pa, pb, bytes);
    ck_assert_mem_eq(ha, hb, sizeof ha);
    ck_assert(memcmp(pa, pc, bytes) != 0);
    mlp_net_free(a);
    mlp_net_free(b);
    mlp_net_free(c);
}
END_TEST

/* ---- least squares ---------------------------------------------------------- */

START_TEST(linreg_by_hand)
{
    /* Without intercept: the normal equations [[2,1],[1,2]] w = [5,6] give [4/3, 7/3]. */
    const double x[6] = {1, 0, 0, 1, 1, 1}, y[3] = {1, 2, 4};
    double w[2];
    ck_assert_int_eq(mlp_linreg(w, NULL, x, y, 3, 2), MLP_OK);
    ck_assert_double_eq_tol(w[0], 4.0 / 3, 1e-14);
    ck_assert_double_eq_tol(w[1], 7.0 / 3, 1e-14);
    /* With intercept, on exact data y = 2 x1 - 3 x2 + 5: recovered exactly. */
    const double x2[8] = {0, 0, 1, 0, 0, 1, 2, 3};
    double y2[4], c[2], b;
    for (int i = 0; i < 4; i++) y2[i] = 2 * x2[2 * i] - 3 * x2[2 * i + 1] + 5;
    ck_assert_int_eq(mlp_linreg(c, &b, x2, y2, 4, 2), MLP_OK);
    ck_assert_double_eq_tol(c[0], 2, 1e-13);
    ck_assert_double_eq_tol(c[1], -3, 1e-13);
    ck_assert_double_eq_tol(b, 5, 1e-13);
}
END_TEST

START_TEST(linear_network_converges_to_least_squares)
{
    /* A network with no hidden layer is a linear model; full-batch gradient
     * descent on the MSE must reach LAPACK's least-squares solution. */
    enum { N = 50, D = 3 };
    double x[N * D], y[N];
    uint64_t rng = 8;
    tu_fill(&rng, x, N * D, -1, 1);
    for (int i = 0; i < N; i++)
        y[i] = 1.5 * x[i * D] - 2 * x[i * D + 1] + 0.5 * x[i * D + 2] + 0.3 +
               tu_uniform(&rng, -0.1, 0.1);
    double coef[D], intercept;
    ck_assert_int_eq(mlp_linreg(coef, &intercept, x, y, N, D), MLP_OK);

    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, D, &spec, 1), MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.3;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 3000;
    f.batch_size = 0;
    f.shuffle = 0;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, N), &f), MLP_OK);
    const double *p = mlp_net_params_const(net); /* W (1, D) then b */
    for (int j = 0; j < D; j++) ck_assert_double_eq_tol(p[j], coef[j], 1e-10);
    ck_assert_double_eq_tol(p[D], intercept, 1e-10);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(linreg_rejects_bad_input)
{
    const double x[4] = {1, 2, 2, 4}, y[2] = {1, 2}, nan_y[2] = {1, NAN};
    double w[2] = {9, 9}, b = 9;
    ck_assert_int_eq(mlp_linreg(w, NULL, x, y, 2, 2), MLP_ERR_NUMERIC); /* collinear columns */
    ck_assert_int_eq(mlp_linreg(w, &b, x, y, 2, 2), MLP_ERR_SHAPE);     /* 2 rows, 3 unknowns */
    ck_assert_int_eq(mlp_linreg(w, NULL, x, nan_y, 2, 2), MLP_ERR_NUMERIC);
    ck_assert_int_eq(mlp_linreg(NULL, NULL, x, y, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linreg(w, NULL, NULL, y, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linreg(w, NULL, x, NULL, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linreg(w, NULL, x, y, 0, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linreg(w, NULL, x, y, 2, 0), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(w[0], 9);
    ck_assert_double_eq(b, 9);
}
END_TEST

/* ---- failure and its recovery ------------------------------------------------- */

START_TEST(nan_in_the_data_changes_nothing)
{
    tu_single = _i;
    mlp_net *net = sine_net(2);
    size_t bytes;
    const void *block = tu_params_of(net, &bytes);
    double *before = malloc(bytes);
    memcpy(before, block, bytes);
    double x[REG_N], y[REG_N];
    sine_data(x, y);
    x[17] = NAN;
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.batch_size = 16;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, REG_N), &f), MLP_ERR_NUMERIC);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_trainer_fit: training inputs: row 17 column 0 is NaN or infinite");
    x[17] = 0;
    y[60] = INFINITY;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, REG_N), &f), MLP_ERR_NUMERIC);
    ck_assert_mem_eq(block, before, bytes);
    free(before);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(divergence_keeps_the_last_good_weights)
{
    tu_single = _i;
    /* Plain SGD with a learning rate of 5 on the sine: the loss blows up to infinity
     * within a few epochs. */
    mlp_net *net = sine_net(4), *again = sine_net(4);
    double x[REG_N], y[REG_N];
    sine_data(x, y);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 5;
    mlp_trainer *tr, *tr2;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tr2, again, MLP_LOSS_MSE, &o, 16), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 1000;
    f.batch_size = 16;
    f.seed = 9;
    mlp_fit_result res = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &res, TU_DATA(x, y, REG_N), &f), MLP_ERR_NUMERIC);
    ck_assert_uint_lt(res.epochs_run, 1000);
    ck_assert(res.stop == MLP_STOP_NUMERIC || res.stop == MLP_STOP_DIVERGED);
    for (size_t e = 0; e < res.epochs_run; e++) ck_assert(isfinite(res.loss[e]));
    for (size_t i = 0; i < mlp_net_n_params(net); i++) ck_assert(isfinite(tu_param_at(net, i)));
    /* exactly the weights of a run stopped after the last good epoch */
    if (res.epochs_run > 0) {
        f.epochs = res.epochs_run;
        ck_assert_int_eq(mlp_trainer_fit(tr2, NULL, TU_DATA(x, y, REG_N), &f), MLP_OK);
    }
    size_t bytes;
    const void *p = tu_params_of(net, &bytes);
    ck_assert_mem_eq(p, tu_params_of(again, &bytes), bytes);
    mlp_trainer_free(tr);
    mlp_trainer_free(tr2);
    mlp_net_free(net);
    mlp_net_free(again);
}
END_TEST

/* ---- validation, early stopping, callbacks ---------------------------------------- */

typedef struct trace {
    const mlp_net *net;
    double w[200], val[200];
    size_t epochs;
    size_t stop_at; /* the callback asks to stop at this epoch; 0 never */
} trace;

static int tracer(const mlp_epoch_report *r, void *user)
{
    trace *t = user;
    t->w[r->epoch] = tu_param_at(t->net, 0);
    t->val[r->epoch] = r->val_loss;
    t->epochs = r->epoch;
    return r->epoch == t->stop_at;
}

START_TEST(early_stopping_restores_the_best_weights)
{
    tu_single = _i;
    /* Train y = x, validate on y = x / 2, from w = 0: the validation loss falls
     * while w < 0.5, then rises. */
    enum { N = 20 };
    double x[N], y[N], vy[N];
    for (int i = 0; i < N; i++) {
        x[i] = -1 + 2.0 * i / (N - 1);
        y[i] = x[i];
        vy[i] = 0.5 * x[i];
    }
    mlp_net *net = tu_in_precision(tu_one_weight(0));
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
    trace t = {.net = net};
    mlp_fit_options f = tu_fit_options();
    f.epochs = 150;
    f.batch_size = 0;
    f.patience = 3;
    f.callback = tracer;
    f.user_data = &t;
    mlp_fit_result res = tu_fit_result();
    const mlp_dataset val = TU_DATA14(x, vy, N);
    f.validation = &val;
    ck_assert_int_eq(mlp_trainer_fit(tr, &res, TU_DATA(x, y, N), &f), MLP_OK);
    ck_assert_int_eq(res.stop, MLP_STOP_PATIENCE);
    const double *vh = res.val_loss;
    ck_assert_uint_eq(res.epochs_run, res.best_epoch + 3);
    ck_assert_uint_eq(t.epochs, res.epochs_run);
    size_t argmin = 1;
    for (size_t e = 1; e <= t.epochs; e++) {
        if (t.val[e] < t.val[argmin]) argmin = e;
        ck_assert_double_eq(vh[e - 1], t.val[e]);
    }
    ck_assert_uint_eq(res.best_epoch, argmin);
    ck_assert_double_eq(res.best_loss, t.val[argmin]);
    ck_assert(t.w[argmin] < 0.5 + 0.1 && t.w[res.epochs_run] > 0.5);
    ck_assert_double_eq(tu_param_at(net, 0), t.w[argmin]); /* restored */
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(callback_stops_training)
{
    tu_single = _i;
    mlp_net *net = tu_in_precision(tu_one_weight(0.5));
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    trace t = {.net = net, .stop_at = 3};
    mlp_fit_options f = tu_fit_options();
    f.epochs = 100;
    f.callback = tracer;
    f.user_data = &t;
    mlp_fit_result res = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &res, TU_DATA(&tu_one, &tu_zero, 1), &f), MLP_OK);
    ck_assert_int_eq(res.stop, MLP_STOP_CALLBACK);
    ck_assert_uint_eq(res.epochs_run, 3);
    ck_assert_uint_eq(t.epochs, 3);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(validation_fraction_holds_out_the_last_rows)
{
    tu_single = _i;
    /* 10 rows, 30% held out: train on rows 0-6, validate on rows 7-9. One full-batch
     * epoch: the training loss is that of the starting weights on rows 0-6, the
     * validation loss that of the updated weights on rows 7-9. */
    double x[10], y[10];
    for (int i = 0; i < 10; i++) {
        x[i] = i / 10.0;
        y[i] = (i % 3) - 1.0;
    }
    mlp_net *net = tu_in_precision(tu_one_weight(0.7));
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 10), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 1;
    f.batch_size = 0;
    f.validation_fraction = 0.3;
    double p[10], before, after;
    mlp_fit_result res = tu_fit_result();
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 10), MLP_OK);
    mlp_net_predict(net, ws, p, x, 7);
    mlp_loss_mse(&before, p, y, 7);
    ck_assert_int_eq(mlp_trainer_fit(tr, &res, TU_DATA(x, y, 10), &f), MLP_OK);
    const double lh = res.loss[0], vh = res.val_loss[0];
    mlp_net_predict(net, ws, p, x + 7, 3);
    mlp_loss_mse(&after, p, y + 7, 3);
    /* a float32 fit's losses come from its float passes (each row's error rounded to
     * float), mlp_loss_mse's from the widened predictions: a few ε of float apart */
    const double tol = tu_single ? 4 * FLT_EPSILON * before : 1e-15;
    ck_assert_double_eq_tol(lh, before, tol);
    ck_assert_double_eq_tol(vh, after, tu_single ? 4 * FLT_EPSILON * after : 1e-15);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* ---- bad input ------------------------------------------------------------------ */

START_TEST(trainer_rejects_bad_input)
{
    mlp_net *net = tu_one_weight(0.5);
    mlp_optimizer ok = tu_optimizer(MLP_OPT_SGD);
    mlp_trainer *tr = (mlp_trainer *)net;
    ck_assert_int_eq(mlp_trainer_create(NULL, net, MLP_LOSS_MSE, &ok, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_create(&tr, NULL, MLP_LOSS_MSE, &ok, 1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(tr);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &ok, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &ok, 1),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, (mlp_loss)7, &ok, 1), MLP_ERR_INVALID_ARG);
    const struct {
        mlp_optimizer_kind kind;
        double *field;
        double value;
    } bad[] = {
        {MLP_OPT_SGD, &ok.learning_rate, 0},        {MLP_OPT_SGD, &ok.learning_rate, -1},
        {MLP_OPT_SGD, &ok.learning_rate, NAN},      {MLP_OPT_SGD, &ok.learning_rate, INFINITY},
        {MLP_OPT_MOMENTUM, &ok.momentum, 1},        {MLP_OPT_MOMENTUM, &ok.momentum, -0.1},
        {MLP_OPT_ADAM, &ok.beta1, 1},               {MLP_OPT_ADAM, &ok.beta2, NAN},
        {MLP_OPT_ADAM, &ok.epsilon, 0},             {MLP_OPT_SGD, &ok.weight_decay, -1},
        {MLP_OPT_IRPROP_MINUS, &ok.rprop_increase, 1},
        {MLP_OPT_IRPROP_MINUS, &ok.rprop_decrease, 1},
        {MLP_OPT_IRPROP_MINUS, &ok.rprop_delta_init, 0},
        {MLP_OPT_IRPROP_MINUS, &ok.rprop_delta_max, 0.01},
        {MLP_OPT_IRPROP_MINUS, &ok.rprop_delta_min, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mlp_optimizer saved = ok;
        ok.kind = bad[i].kind;
        *bad[i].field = bad[i].value;
        ck_assert_msg(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &ok, 1) == MLP_ERR_INVALID_ARG,
                      "bad setting %zu accepted", i);
        ck_assert_ptr_null(tr);
        ok = saved;
    }
    ok.kind = tu_unknown_optimizer();
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &ok, 1), MLP_ERR_INVALID_ARG);
    ok.kind = MLP_OPT_SGD;

    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &ok, 2), MLP_OK);
    const double xs[3] = {1, 2, 3};
    ck_assert_int_eq(mlp_trainer_step(NULL, NULL, TU_DATA(xs, xs, 1)), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(NULL, xs, 1)), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(xs, NULL, 1)), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(xs, xs, 0)), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(xs, xs, 3)), MLP_ERR_SHAPE);

    mlp_fit_options f = tu_fit_options();
    ck_assert_int_eq(mlp_trainer_fit(NULL, NULL, TU_DATA(xs, xs, 3), &f), MLP_ERR_INVALID_ARG);

    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, xs, 0), &f), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, NULL, &f), MLP_ERR_INVALID_ARG);
    const mlp_dataset no_rows = TU_DATA14(NULL, NULL, 2);
    f.validation = &no_rows;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, xs, 3), &f), MLP_ERR_INVALID_ARG);
    f.validation = NULL;
    f.batch_size = 2;
    f.epochs = 0;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, xs, 3), &f), MLP_ERR_INVALID_ARG);
    f.epochs = 1;
    f.validation_fraction = 1;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, xs, 3), &f), MLP_ERR_INVALID_ARG);
    f.validation_fraction = 0.1; /* 10% of 3 rows is no row */
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, xs, 3), &f), MLP_ERR_INVALID_ARG);
    f.validation_fraction = 0;
    f.min_delta = -1;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, xs, 3), &f), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(mlp_net_params_const(net)[0], 0.5); /* nothing trained */
    mlp_trainer_reset(NULL);
    mlp_trainer_free(NULL);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

static Suite *train_suite(void)
{
    Suite *s = suite_create("train");
    TCase *opt = tcase_create("optimizers");
    tcase_add_checked_fixture(opt, tu_float64_networks, NULL);
    tcase_add_loop_test(opt, sgd_by_hand, 0, 2);                   /* both precisions */
    tcase_add_loop_test(opt, momentum_and_nesterov_by_hand, 0, 2); /* both precisions */
    tcase_add_loop_test(opt, adam_by_hand, 0, 2);                  /* both precisions */
    tcase_add_loop_test(opt, irprop_minus_by_hand, 0, 2);          /* both precisions */
    tcase_add_loop_test(opt, weight_decay_spares_the_bias, 0, 2);  /* both precisions */
    tcase_add_test(opt, fused_sgd_matches_gradient_then_update);
    tcase_add_test(opt, a_failed_step_changes_nothing);
    suite_add_tcase(s, opt);
    TCase *learn = tcase_create("learning");
    tcase_add_checked_fixture(learn, tu_float64_networks, NULL);
    tcase_set_timeout(learn, 60);
    tcase_add_loop_test(learn, learns_xor, 0, 2);                         /* both precisions */
    tcase_add_loop_test(learn, regression_reaches_its_threshold, 0, 2);   /* both precisions */
    tcase_add_loop_test(learn, same_seed_same_weights_bit_for_bit, 0, 2); /* both precisions */
    tcase_add_test(learn, linreg_by_hand);
    tcase_add_test(learn, linear_network_converges_to_least_squares);
    tcase_add_test(learn, linreg_rejects_bad_input);
    suite_add_tcase(s, learn);
    TCase *fail = tcase_create("failures and control");
    tcase_add_checked_fixture(fail, tu_float64_networks, NULL);
    tcase_add_loop_test(fail, nan_in_the_data_changes_nothing, 0, 2);          /* both precisions */
    tcase_add_loop_test(fail, divergence_keeps_the_last_good_weights, 0, 2);   /* both precisions */
    tcase_add_loop_test(fail, early_stopping_restores_the_best_weights, 0, 2); /* both precisions */
    tcase_add_loop_test(fail, callback_stops_training, 0, 2);                  /* both precisions */
    tcase_add_loop_test(fail, validation_fraction_holds_out_the_last_rows, 0,
                        2); /* both precisions */
    tcase_add_test(fail, trainer_rejects_bad_input);
    suite_add_tcase(s, fail);
    return s;
}

TU_MAIN(train_suite)
