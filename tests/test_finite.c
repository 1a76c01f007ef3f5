/* "MLP_OK means finite", one row per way an update can go wrong: after every call
 * that returns MLP_OK, every parameter and every value of the optimizer's state is
 * finite and in its range; a call that cannot keep that returns MLP_ERR_NUMERIC
 * and changes nothing. "Nothing" is checked through a checkpoint: its bytes hold
 * the weights, the state, the step and epoch counts, and loading one checks that
 * every value is finite and in range (tests/test_io.c proves that check). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char dir[64], ckpt[128];

/* Set parameter i of a network of either precision (no check: a test's own edit). */
static void set_param(mlp_net *net, size_t i, double v)
{
    if (mlp_net_precision(net) == MLP_PRECISION_FLOAT32)
        mlp_net_params_f32(net)[i] = (float)v;
    else
        mlp_net_params(net)[i] = v;
}

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/mlp-finite-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(ckpt, sizeof ckpt, "%s/ck.mlp", dir);
}

static void remove_dir(void)
{
    unlink(ckpt);
    rmdir(dir);
}

/* The trainer's checkpoint bytes (network, state, counters). */
static unsigned char *snapshot(const mlp_trainer *tr, size_t *size)
{
    return tu_snapshot(tr, ckpt, size);
}

/* The invariant after MLP_OK: the checkpoint loads, which needs every parameter and
 * state value finite and in range. */
static void assert_sound(const mlp_trainer *tr, const char *row)
{
    const mlp_net *net = mlp_trainer_net(tr);
    for (size_t i = 0; i < mlp_net_n_params(net); i++)
        ck_assert_msg(isfinite(tu_param_at(net, i)), "%s: parameter %zu is %g after MLP_OK", row, i,
                      tu_param_at(net, i));
    ck_assert_int_eq(mlp_trainer_save(tr, ckpt), MLP_OK);
    mlp_trainer *back;
    mlp_net *bn;
    ck_assert_msg(mlp_trainer_load(&back, &bn, ckpt, 1) == MLP_OK, "%s: after MLP_OK the state "
                  "does not load: %s", row, mlp_error_detail());
    mlp_trainer_free(back);
    mlp_net_free(bn);
}

/* 2 -> width `hidden` -> 1 identity, Xavier weights from seed 3. */
static mlp_net *net_of(mlp_activation hidden, size_t width)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(width, hidden, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(
        mlp_net_create_precision(&net, 2, spec, 2,
                                 tu_single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
        MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 3), MLP_OK);
    return net;
}

/* Inputs whose gradients overflow Adam's second moment (1e157 for double; 1e22 for
 * float: Adam computes (1 − β2)·g, then times g, which 1e20's gradients leave in
 * float's range), a learning rate that overflows on gradients of order 1e3 (1e308,
 * 1e38). */
#define HUGE_INPUT (tu_single ? 1e22 : 1e157)
#define HUGE_RATE_VALUE (tu_single ? 1e38 : 1e308)

enum { N = 8 };
static double x[N * 2], y[N], big_x[N * 2], big_y[N];

static void data(void)
{
    uint64_t rng = 11;
    tu_fill(&rng, x, N * 2, -1, 1);
    tu_fill(&rng, y, N, -1, 1);
    for (int i = 0; i < N * 2; i++) big_x[i] = HUGE_INPUT * x[i]; /* squares overflow */
    for (int i = 0; i < N; i++) big_y[i] = 1e3 * y[i];
}

/* How each row goes wrong. */
typedef enum scenario {
    HUGE_RATE,     /* a learning rate of 1e308 on gradients of order 1e3 */
    HUGE_INPUTS,   /* gradients near 1e156, whose squares overflow Adam's second moment */
    HIDDEN_INF,    /* an infinite weight written through mlp_net_params(), hidden by a relu */
    FIT_HUGE_RATE  /* a whole fit at a learning rate of 1e308 */
} scenario;

static const char *const scenario_names[] = {"a huge learning rate", "huge gradients",
                                             "a hidden infinite weight",
                                             "a fit at a huge learning rate"};

/* rows: how many rows each step takes. Plain SGD makes a step safe two ways, chosen
 * by the batch's size against the layer's (lib/train/step.c): on 1 row the 2-6-1
 * network's layers are bounded before the update, on 8 they are checked after it.
 * width: the hidden layer's; at 40 its 80 weights are past the small layers of
 * lib/model/dense.c, whose checked update keeps its copy elsewhere. */
static void run_row(mlp_optimizer_kind kind, scenario sc, size_t rows, size_t width)
{
    char row[128];
    snprintf(row, sizeof row, "%s, %s, %zu row(s), %zu hidden, %s", mlp_optimizer_name(kind),
             scenario_names[sc], rows, width, tu_single ? "float32" : "float64");
    make_dir();
    data();
    /* gradients near 1e156 with a loss of order 1: inputs of 1e157 scaled back by the
     * hidden layer's weights (identity, so nothing saturates) */
    mlp_net *net = net_of(sc == HIDDEN_INF ? MLP_ACT_RELU
                                           : sc == HUGE_INPUTS ? MLP_ACT_IDENTITY : MLP_ACT_TANH,
                          width);
    mlp_optimizer o = tu_optimizer(kind);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
    /* a few good steps first, so that there is state to lose */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, y, rows)), MLP_OK);
    assert_sound(tr, row);

    const double *bx = x, *by = y;
    if (sc == HUGE_RATE || sc == FIT_HUGE_RATE) {
        ck_assert_int_eq(mlp_trainer_set_learning_rate(tr, HUGE_RATE_VALUE), MLP_OK);
        by = big_y;
    } else if (sc == HUGE_INPUTS) {
        bx = big_x;
        for (size_t i = 0; i < 2 * width; i++) /* the hidden weights */
            set_param(net, i, tu_param_at(net, i) / HUGE_INPUT);
    } else {
        /* hidden node 0 gets weight -inf from input 0 and 0 from input 1: with x0 > 0
         * its pre-activation is -inf and relu makes it 0, so the loss stays finite */
        set_param(net, 0, -INFINITY);
        set_param(net, 1, 0);
        for (int i = 0; i < N; i++) x[2 * i] = fabs(x[2 * i]) + 0.1;
    }
    size_t before_size = 0, after_size;
    /* (a network holding an infinity cannot be saved: nothing to compare there) */
    unsigned char *before = sc == HIDDEN_INF ? NULL : snapshot(tr, &before_size);
    mlp_status s;
    double loss = 0;
    if (sc == FIT_HUGE_RATE) {
        mlp_fit_options f = tu_fit_options();
        f.epochs = 3;
        f.batch_size = 0;
        mlp_fit_result r = tu_fit_result();
        s = mlp_trainer_fit(tr, &r, TU_DATA(bx, by, rows), &f);
        ck_assert_msg(s == MLP_ERR_NUMERIC, "%s: fit gave %s", row, mlp_strerror(s));
        ck_assert_uint_eq(r.epochs_run, 0);
        ck_assert_int_eq(r.stop, MLP_STOP_NUMERIC);
    } else {
        s = mlp_trainer_step(tr, &loss, TU_DATA(bx, by, rows));
        /* gradients near 1e156 are finite: only Adam squares them; the others may take
         * the step, and then what they return must be sound */
        if (sc != HUGE_INPUTS || kind == MLP_OPT_ADAM)
            ck_assert_msg(s == MLP_ERR_NUMERIC, "%s: step gave %s (loss %g)", row,
                          mlp_strerror(s), loss);
        ck_assert_msg(isfinite(loss), "%s: the loss itself was not finite (%g)", row, loss);
        if (s == MLP_OK) {
            assert_sound(tr, row);
            free(before);
            mlp_trainer_free(tr);
            mlp_net_free(net);
            remove_dir();
            return;
        }
    }
    if (sc == HIDDEN_INF) {
        /* the network was never sound: it must stay exactly as the caller left it */
        ck_assert(isinf(tu_param_at(net, 0)));
    } else {
        unsigned char *after = snapshot(tr, &after_size);
        ck_assert_uint_eq(after_size, before_size);
        ck_assert_msg(memcmp(before, after, before_size) == 0,
                      "%s: MLP_ERR_NUMERIC, but the trainer changed", row);
        free(after);
        assert_sound(tr, row);
        /* and it trains on at a sane rate from where it was */
        if (sc != HUGE_INPUTS) ck_assert_int_eq(mlp_trainer_set_learning_rate(tr, 0.01), MLP_OK);
        ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, y, rows)), MLP_OK);
        assert_sound(tr, row);
    }
    free(before);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    remove_dir();
}

START_TEST(every_optimizer_and_every_way_to_overflow)
{
    tu_single = _i;
    const mlp_optimizer_kind kinds[4] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV,
                                         MLP_OPT_ADAM};
    for (int k = 0; k < 4; k++)
        for (int sc = HUGE_RATE; sc <= FIT_HUGE_RATE; sc++) {
            run_row(kinds[k], (scenario)sc, N, 6);
            if (kinds[k] == MLP_OPT_SGD) {
                run_row(kinds[k], (scenario)sc, 1, 6);
                run_row(kinds[k], (scenario)sc, N, 40);
                run_row(kinds[k], (scenario)sc, 1, 40);
            }
        }
}
END_TEST

START_TEST(irprop_refuses_a_non_finite_gradient_after_a_sign_change)
{
    /* iRPROP- keeps no trace of the gradient after a sign change (its previous
     * gradient goes to 0): the update must still see an infinite one. One weight,
     * first a step on x = 1, t = 1 (gradient < 0, step 0.1: w = 0.1), then x = 1e155,
     * t = 0: the prediction 1e154 gives a finite loss of 1e308 and a gradient of
     * 2 · 1e154 · 1e155 = +inf, against the previous negative one. */
    make_dir();
    mlp_net *net = tu_one_weight(0);
    mlp_optimizer o = tu_optimizer(MLP_OPT_IRPROP_MINUS);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(&tu_one, &tu_one, 1)), MLP_OK);
    ck_assert_double_eq_tol(mlp_net_params_const(net)[0], 0.1, 1e-17);
    size_t n0, n1;
    unsigned char *before = snapshot(tr, &n0);
    const double huge = 1e155;
    double loss;
    ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(&huge, &tu_zero, 1)), MLP_ERR_NUMERIC);
    ck_assert(isfinite(loss));
    unsigned char *after = snapshot(tr, &n1);
    ck_assert_mem_eq(before, after, n0);
    free(before);
    free(after);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    remove_dir();
}
END_TEST

START_TEST(sgd_near_the_end_of_the_range)
{
    /* A weight of 1e308 on an input that is always 0: the loss is finite, and the
     * bound plain SGD keeps (|decay| max|W| + lr ...) passes 2^1020, so it copies
     * the weights aside and checks after. With decay 1 the update is finite and
     * taken; with decay -2 (lr 1, weight decay 3) it overflows and is undone. */
    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 0);
    const double zero_in[2] = {0, 0}, t[2] = {1, -1}, w = 1e308;
    for (int overflow = 0; overflow < 2; overflow++) {
        make_dir();
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create(&net, 1, &spec, 1), MLP_OK);
        ck_assert_int_eq(mlp_net_set_weights(net, 0, &w, 1), MLP_OK);
        mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
        o.learning_rate = overflow ? 1 : 0.1;
        o.weight_decay = overflow ? 3 : 0;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 2), MLP_OK);
        size_t n0, n1;
        unsigned char *before = snapshot(tr, &n0);
        double loss;
        const mlp_status s = mlp_trainer_step(tr, &loss, TU_DATA(zero_in, t, 2));
        ck_assert_double_eq(loss, 1);
        if (overflow) {
            ck_assert_int_eq(s, MLP_ERR_NUMERIC);
            unsigned char *after = snapshot(tr, &n1);
            ck_assert_mem_eq(before, after, n0); /* weights and (zero) state as they were */
            free(after);
        } else {
            ck_assert_int_eq(s, MLP_OK);
            ck_assert_double_eq(mlp_net_params_const(net)[0], w); /* dW = dZ · 0 = 0 */
            assert_sound(tr, "sgd at 1e308");
        }
        free(before);
        mlp_trainer_free(tr);
        mlp_net_free(net);
        remove_dir();
    }
}
END_TEST

START_TEST(sgd_bounds_the_product_before_the_rate)
{
    /* Plain SGD's update is W - lr·(dZᵀ·A): the sum is formed before the rate is
     * applied. Inputs of 1e155 and predictions of 1e153 (loss 1e306, finite on 8
     * rows) make each entry of dZᵀ·A about 2e308, past the range, while lr times it
     * (2e305 at lr 1e-3) is not. Every road (bounded and checked after, the small layers'
     * loops and BLAS's) must either take a finite step or refuse it and change
     * nothing. */
    const size_t widths[2] = {1, 100}, rows[3] = {1, 2, 8};
    for (int wi = 0; wi < 2; wi++)
        for (int ri = 0; ri < 3; ri++) {
            const size_t in = widths[wi], n = rows[ri];
            char row[96];
            snprintf(row, sizeof row, "sgd, %zu input(s), %zu row(s)", in, n);
            make_dir();
            const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
            mlp_net *net;
            ck_assert_int_eq(mlp_net_create(&net, in, &spec, 1), MLP_OK);
            double *p = mlp_net_params(net);
            for (size_t i = 0; i < in; i++) p[i] = 0.01 / (double)in;
            p[in] = 0; /* the bias */
            double *bx = malloc(n * in * sizeof *bx), *by = calloc(n, sizeof *by);
            for (size_t i = 0; i < n * in; i++) bx[i] = 1e155;
            mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
            o.learning_rate = 1e-3;
            mlp_trainer *tr;
            ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, n), MLP_OK);
            size_t n0, n1;
            unsigned char *before = snapshot(tr, &n0);
            double loss;
            const mlp_status s = mlp_trainer_step(tr, &loss, TU_DATA(bx, by, n));
            ck_assert_msg(isfinite(loss), "%s: loss %g", row, loss);
            if (s == MLP_OK) {
                assert_sound(tr, row);
            } else {
                ck_assert_int_eq(s, MLP_ERR_NUMERIC);
                unsigned char *after = snapshot(tr, &n1);
                ck_assert_uint_eq(n1, n0);
                ck_assert_msg(memcmp(before, after, n0) == 0, "%s: refused, but changed", row);
                free(after);
            }
            free(before);
            free(bx);
            free(by);
            mlp_trainer_free(tr);
            mlp_net_free(net);
            remove_dir();
        }
}
END_TEST

/* The bytes of a checkpoint of tr with its step count (after `t` steps, 0 epochs)
 * and epoch count replaced, the checksum fixed; loaded back into *out. The two
 * counts are found by their place before the plateau schedule's best loss (+inf
 * before the first fit). */
static void load_with_counts(mlp_trainer **out, mlp_net **net_out, const mlp_trainer *tr,
                             uint64_t t, uint64_t new_t, uint64_t new_epochs)
{
    size_t size;
    unsigned char *b = snapshot(tr, &size);
    unsigned char want[24];
    const double inf = INFINITY;
    uint64_t inf_bits;
    memcpy(&inf_bits, &inf, 8);
    for (int i = 0; i < 8; i++) {
        want[i] = (unsigned char)(t >> (8 * i));
        want[8 + i] = 0;
        want[16 + i] = (unsigned char)(inf_bits >> (8 * i));
    }
    size_t at = size;
    for (size_t i = 0; i + 24 <= size; i++)
        if (memcmp(b + i, want, 24) == 0) {
            ck_assert_uint_eq(at, size); /* one place only */
            at = i;
        }
    ck_assert_uint_lt(at, size);
    for (int i = 0; i < 8; i++) {
        b[at + i] = (unsigned char)(new_t >> (8 * i));
        b[at + 8 + i] = (unsigned char)(new_epochs >> (8 * i));
    }
    tu_fix_crc(b, size);
    FILE *f = fopen(ckpt, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    free(b);
    ck_assert_msg(mlp_trainer_load(out, net_out, ckpt, N) == MLP_OK, "%s", mlp_error_detail());
}

START_TEST(counts_stop_where_a_checkpoint_can_hold_them)
{
    /* Every count of the optimizer is saved, used by its kind or not: a trainer
     * created with one past what the loader takes would save a checkpoint that does
     * not load (the API fuzzer's finding: plain SGD with lbfgs_history = SIZE_MAX). */
    {
        mlp_net *net = tu_one_weight(0.5);
        mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
        o.lbfgs_history = SIZE_MAX;
        mlp_trainer *tr = NULL;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "lbfgs_history"));
        o = tu_optimizer(MLP_OPT_ADAM);
        o.schedule_patience = (size_t)1 << 62;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_ERR_INVALID_ARG);
        o = tu_optimizer(MLP_OPT_ADAM);
        o.lm_memory_budget = SIZE_MAX / 16; /* the most a file holds: accepted */
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    /* A checkpoint may hold 2^53 steps (Adam's t stays exact in a double) and
     * SIZE_MAX / 16 epochs: such a trainer loads, and then a step or a fit that would
     * pass them must fail, since its save would not load. */
    make_dir();
    data();
    mlp_net *net = net_of(MLP_ACT_TANH, 6);
    const mlp_optimizer_kind kinds[2] = {MLP_OPT_ADAM, MLP_OPT_SGD};
    for (int k = 0; k < 2; k++) {
        mlp_optimizer o = tu_optimizer(kinds[k]);
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, y, N)), MLP_OK);
        mlp_trainer *at;
        mlp_net *an;
        load_with_counts(&at, &an, tr, 3, (uint64_t)1 << 53, 0);
        size_t n0, n1;
        unsigned char *before = snapshot(at, &n0);
        mlp_status s = mlp_trainer_step(at, NULL, TU_DATA(x, y, N));
        if (s == MLP_OK) assert_sound(at, "a step past 2^53");
        ck_assert_int_eq(s, MLP_ERR_NUMERIC);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "2^53"));
        unsigned char *after = snapshot(at, &n1);
        ck_assert_uint_eq(n0, n1);
        ck_assert_mem_eq(before, after, n0);
        free(before);
        free(after);
        /* a fit takes steps too */
        mlp_fit_options f = tu_fit_options();
        f.epochs = 1;
        s = mlp_trainer_fit(at, NULL, TU_DATA(x, y, N), &f);
        if (s == MLP_OK) assert_sound(at, "a fit past 2^53 steps");
        ck_assert_int_ne(s, MLP_OK);
        mlp_trainer_free(at);
        mlp_net_free(an);

        /* one step short of the limit: the last one is taken, and saves */
        load_with_counts(&at, &an, tr, 3, ((uint64_t)1 << 53) - 1, 0);
        ck_assert_int_eq(mlp_trainer_step(at, NULL, TU_DATA(x, y, N)), MLP_OK);
        assert_sound(at, "the 2^53rd step");
        mlp_trainer_free(at);
        mlp_net_free(an);

        /* the epochs: a fit that would pass the count is refused before it starts */
        load_with_counts(&at, &an, tr, 3, 3, SIZE_MAX / 16);
        s = mlp_trainer_fit(at, NULL, TU_DATA(x, y, N), &f);
        if (s == MLP_OK) assert_sound(at, "a fit past the epoch count");
        ck_assert_int_eq(s, MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "epochs"));
        mlp_trainer_free(at);
        mlp_net_free(an);
        mlp_trainer_free(tr);
    }
    mlp_net_free(net);
    remove_dir();
}
END_TEST

START_TEST(the_linear_update_checks_before_it_writes)
{
    double w[3] = {1, 2, 3};
    const double slope[3] = {1, -1e308, 1};
    ck_assert_int_eq(mlp_linear_update(w, slope, 3, 1e10), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "weight 1 would become"));
    ck_assert_double_eq(w[0], 1); /* not even the first, which was fine */
    ck_assert_double_eq(w[1], 2);
    const double nan_slope[3] = {0, NAN, 0};
    ck_assert_int_eq(mlp_linear_update(w, nan_slope, 3, 0.1), MLP_ERR_NUMERIC);
    ck_assert_int_eq(mlp_linear_update(w, slope, 3, 1e-300), MLP_OK);
    ck_assert_double_eq_tol(w[1], 2 + 1e8, 1e-6);
}
END_TEST

/* Predictions and gradients are values too: MLP_OK only when they are finite, else
 * MLP_ERR_NUMERIC naming the row and why, on every road a prediction takes (the small
 * network's loops, a row at a time or written straight into y; the general passes,
 * copied out by hand or by the library's copy; through the model's scaling). Weights
 * of 1e200 times an input of 1e200 overflow to infinity (hand arithmetic); a NaN
 * input makes a NaN output. The other rows are still predicted. */
START_TEST(predictions_and_gradients_are_finite_or_refused)
{
    enum { R = 20000 };
    static double xs[R * 2], ys[R], out[R];
    const mlp_activation hidden[2] = {MLP_ACT_RELU, MLP_ACT_TANH}; /* small road, general */
    /* a few rows; blocks written straight into y; blocks and a tail; parts on threads */
    const size_t rows[4] = {3, 64, 61, R};
    for (int h = 0; h < 2; h++)
        for (int m = 0; m < 4; m++)
            for (int scaled = 0; scaled < 2; scaled++) {
                const size_t n = rows[m];
                /* the rows made bad: the first block's, or the tail's, or the last part's */
                const size_t b1 = m == 2 ? 59 : m == 3 ? R - 9 : 1, b2 = b1 + 1;
                char want[96];
                const mlp_layer_spec layers[2] = {MLP_LAYER(2, hidden[h], 1),
                                                  MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
                mlp_net *net = NULL;
                mlp_workspace *ws = NULL;
                ck_assert_int_eq(mlp_net_create(&net, 2, layers, 2), MLP_OK);
                for (size_t i = 0; i < R * 2; i++) xs[i] = 0.25 * (double)(i % 5);
                for (size_t i = 0; i < R; i++) ys[i] = (double)(i % 3);
                if (scaled) /* standard scaling of these rows: shift 0.5, scale ~0.35 */
                    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE,
                                                         TU_ROWS(xs, 2, ys, 1, R)),
                                     MLP_OK);
                double *p = mlp_net_params(net);
                for (size_t i = 0; i < mlp_net_n_params(net); i++) p[i] = 1.0;
                ck_assert_int_eq(mlp_workspace_create(&ws, net, R), MLP_OK);
                ck_assert_int_eq(mlp_net_predict(net, ws, out, xs, n), MLP_OK);
                /* row b2: an input of 1e200 through weights of 1e200 */
                for (size_t i = 0; i < 6; i++) p[i] = 1e200; /* the hidden layer */
                xs[b2 * 2 + 1] = 1e200;
                const char *why = h == 1 ? NULL : "outgrow the double range";
                const mlp_status s = mlp_net_predict(net, ws, out, xs, n);
                if (h == 1) { /* tanh saturates: 1e200 · 1e200 is inf, tanh(inf) = 1 */
                    ck_assert_int_eq(s, MLP_OK);
                } else {
                    ck_assert_int_eq(s, MLP_ERR_NUMERIC);
                    snprintf(want, sizeof want, "row %zu's output 0 is inf", b2);
                    ck_assert_msg(strstr(mlp_error_detail(), want) &&
                                      strstr(mlp_error_detail(), why),
                                  "%s", mlp_error_detail());
                    ck_assert(isfinite(out[0]) && isfinite(out[b1])); /* the others predicted */
                }
                for (size_t i = 0; i < 6; i++) p[i] = 1.0;
                /* row b1: a NaN input */
                xs[b2 * 2 + 1] = 0.5;
                xs[b1 * 2 + 1] = NAN;
                ck_assert_int_eq(mlp_net_predict(net, ws, out, xs, n), MLP_ERR_NUMERIC);
                snprintf(want, sizeof want, "row %zu's output 0 is nan: its input 1 is nan", b1);
                ck_assert_msg(strstr(mlp_error_detail(), want), "%s", mlp_error_detail());
                ck_assert_int_eq(mlp_net_predict_raw(net, ws, out, xs, n), MLP_ERR_NUMERIC);
                snprintf(want, sizeof want, "mlp_net_predict_raw: row %zu's", b1);
                ck_assert_ptr_nonnull(strstr(mlp_error_detail(), want));
                /* the gradient of those rows */
                double g[9], loss;
                ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss,
                                                  TU_ROWS(xs, 2, ys, 1, n)),
                                 MLP_ERR_NUMERIC);
                snprintf(want, sizeof want, "row %zu's input 1 is nan", b1);
                ck_assert_msg(strstr(mlp_error_detail(), want), "%s", mlp_error_detail());
                xs[b1 * 2 + 1] = 0.5;
                ys[0] = INFINITY;
                ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss,
                                                  TU_ROWS(xs, 2, ys, 1, n)),
                                 MLP_ERR_NUMERIC);
                ck_assert_msg(strstr(mlp_error_detail(), "row 0's target 0 is inf"), "%s",
                              mlp_error_detail());
                ys[0] = 0;
                ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss,
                                                  TU_ROWS(xs, 2, ys, 1, n)),
                                 MLP_OK);
                ck_assert(isfinite(loss));
                mlp_workspace_free(ws);
                mlp_net_free(net);
            }
}
END_TEST

static Suite *finite_suite(void)
{
    Suite *s = suite_create("finite");
    TCase *tc = tcase_create("finite");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_optimizer_and_every_way_to_overflow, 0, 2); /* both precisions */
    tcase_add_test(tc, irprop_refuses_a_non_finite_gradient_after_a_sign_change);
    tcase_add_test(tc, sgd_near_the_end_of_the_range);
    tcase_add_test(tc, sgd_bounds_the_product_before_the_rate);
    tcase_add_test(tc, counts_stop_where_a_checkpoint_can_hold_them);
    tcase_add_test(tc, the_linear_update_checks_before_it_writes);
    tcase_add_test(tc, predictions_and_gradients_are_finite_or_refused);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(finite_suite)
