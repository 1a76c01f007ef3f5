/* The fit's contract: learning-rate schedules against their formulas (and the
 * weights they produce against a product written out by hand), settings changed
 * while training keep the optimizer's state, the one rule for the weights a fit
 * ends with, divergence, the trainer's capacity, and full-batch iRPROP-. */
#include <string.h>

#include "test_util.h"

/* tu_one_weight(w) in the test's precision. */
static mlp_net *one_weight(double w) { return tu_in_precision(tu_one_weight(w)); }

/* Fit the one-weight network with SGD at base rate 0.1 and `o`'s schedule for
 * `epochs` full-batch epochs (one step each); lr receives the rate of each epoch. */
static double fit_schedule(mlp_optimizer o, size_t epochs, double *lr)
{
    mlp_net *net = tu_one_weight(0.5);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = epochs;
    f.batch_size = 0;
    mlp_fit_result r = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(&tu_one, &tu_zero, 1), &f), MLP_OK);
    ck_assert_uint_eq(r.epochs_run, epochs);
    memcpy(lr, r.learning_rate, epochs * sizeof *lr);
    const double w = mlp_net_params_const(net)[0];
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return w;
}

/* The weight after SGD at the given rates from 0.5: 0.5 Π (1 - 2 lr_e). */
static double by_hand(const double *lr, size_t epochs)
{
    double w = 0.5;
    for (size_t e = 0; e < epochs; e++) w *= 1 - 2 * lr[e];
    return w;
}

START_TEST(schedules_follow_their_formulas)
{
    enum { E = 12 };
    double lr[E], expect[E];
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;

    /* constant */
    double w = fit_schedule(o, E, lr);
    for (int e = 0; e < E; e++) ck_assert_double_eq(lr[e], 0.1);
    ck_assert_double_eq_tol(w, 0.5 * pow(0.8, E), 1e-16);

    /* step: halved every 3 epochs, floored at 0.02 */
    o.schedule = MLP_SCHEDULE_STEP;
    o.schedule_factor = 0.5;
    o.schedule_step_epochs = 3;
    o.schedule_min_lr = 0.02;
    const double step[E] = {0.1,   0.1,   0.1,  0.05, 0.05, 0.05,
                            0.025, 0.025, 0.025, 0.02, 0.02, 0.02};
    w = fit_schedule(o, E, lr);
    for (int e = 0; e < E; e++) ck_assert_double_eq_tol(lr[e], step[e], 1e-17);
    ck_assert_double_eq_tol(w, by_hand(step, E), 1e-16);

    /* exponential: 0.1 · 0.9^e */
    o.schedule = MLP_SCHEDULE_EXPONENTIAL;
    o.schedule_factor = 0.9;
    o.schedule_min_lr = 0;
    w = fit_schedule(o, E, lr);
    for (int e = 0; e < E; e++) {
        expect[e] = 0.1 * pow(0.9, e);
        ck_assert_double_eq_tol(lr[e], expect[e], 1e-17);
    }
    ck_assert_double_eq_tol(w, by_hand(expect, E), 1e-16);

    /* cosine over 8 epochs from 0.1 to 0.01, then 0.01: 0.055 halfway */
    o.schedule = MLP_SCHEDULE_COSINE;
    o.schedule_cosine_epochs = 8;
    o.schedule_min_lr = 0.01;
    w = fit_schedule(o, E, lr);
    ck_assert_double_eq(lr[0], 0.1);
    ck_assert_double_eq_tol(lr[2], 0.01 + 0.09 * (1 + sqrt(0.5)) / 2, 1e-16);
    ck_assert_double_eq_tol(lr[4], 0.055, 1e-17);
    ck_assert_double_eq_tol(lr[6], 0.01 + 0.09 * (1 - sqrt(0.5)) / 2, 1e-16);
    for (int e = 8; e < E; e++) ck_assert_double_eq_tol(lr[e], 0.01, 1e-18);
    for (int e = 0; e < E; e++) expect[e] = lr[e];
    ck_assert_double_eq_tol(w, by_hand(expect, E), 1e-16);

    /* plateau with patience 2, keyed to the training loss: a min_delta no epoch can
     * beat, so the rate halves after every 2 epochs without improvement (Keras'
     * ReduceLROnPlateau: the first epoch sets the best, then waits 1, 2: cut) */
    o.schedule = MLP_SCHEDULE_PLATEAU;
    o.schedule_factor = 0.5;
    o.schedule_patience = 2;
    o.schedule_min_delta = 1e9;
    o.schedule_min_lr = 0;
    const double plateau[E] = {0.1,     0.1,     0.1,      0.05,     0.05,     0.025,
                               0.025,   0.0125,  0.0125,   0.00625,  0.00625,  0.003125};
    w = fit_schedule(o, E, lr);
    for (int e = 0; e < E; e++) ck_assert_double_eq_tol(lr[e], plateau[e], 1e-18);
    ck_assert_double_eq_tol(w, by_hand(plateau, E), 1e-16);
}
END_TEST

START_TEST(plateau_follows_the_validation_loss)
{
    /* Train y = x, validate on y = x / 2, from w = 0: the validation loss falls
     * while w < 0.5 and then rises; with a plateau schedule of patience 1, every
     * epoch after the turn cuts the rate. */
    enum { N = 20, E = 40 };
    double x[N], y[N], vy[N];
    for (int i = 0; i < N; i++) {
        x[i] = -1 + 2.0 * i / (N - 1);
        y[i] = x[i];
        vy[i] = 0.5 * x[i];
    }
    mlp_net *net = tu_one_weight(0);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;
    o.schedule = MLP_SCHEDULE_PLATEAU;
    o.schedule_patience = 1;
    o.schedule_factor = 0.5;
    o.schedule_min_delta = 0;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = E;
    f.batch_size = 0;
    const mlp_dataset val = TU_DATA14(x, vy, N);
    f.validation = &val;
    mlp_fit_result r = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(x, y, N), &f), MLP_OK);
    /* replay the rule over the validation losses the fit reported */
    double best = INFINITY, rate = 0.1;
    int cuts = 0;
    for (int e = 0; e < E; e++) {
        ck_assert_double_eq_tol(r.learning_rate[e], rate, 1e-18);
        if (r.val_loss[e] < best) best = r.val_loss[e];
        else rate *= 0.5, cuts++;
    }
    ck_assert_int_gt(cuts, 5);
    ck_assert_double_eq_tol(mlp_trainer_learning_rate(tr), rate, 1e-18);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(a_new_rate_keeps_adams_moments)
{
    /* 3 Adam steps at 0.1, then the rate set to 0.05 and 2 more steps: Kingma & Ba's
     * recurrence, written out here, carries m, v and t across the change; a new
     * trainer would restart them. */
    mlp_net *net = tu_one_weight(0.5);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.1;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    double theta = 0.5, m = 0, v = 0;
    for (int t = 1; t <= 5; t++) {
        const double lr = t <= 3 ? 0.1 : 0.05;
        if (t == 4) {
            ck_assert_int_eq(mlp_trainer_set_learning_rate(tr, 0.05), MLP_OK);
            ck_assert_double_eq(mlp_trainer_learning_rate(tr), 0.05);
        }
        ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(&tu_one, &tu_zero, 1)), MLP_OK);
        const double g = 2 * theta;
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        theta -= lr * (m / (1 - pow(0.9, t))) / (sqrt(v / (1 - pow(0.999, t))) + 1e-8);
        ck_assert_double_eq_tol(mlp_net_params_const(net)[0], theta, 1e-15);
    }
    mlp_optimizer back;
    mlp_optimizer_init(&back, sizeof back, MLP_OPT_SGD);
    ck_assert_int_eq(mlp_trainer_get_optimizer(tr, &back), MLP_OK);
    ck_assert_int_eq(back.kind, MLP_OPT_ADAM);
    ck_assert_double_eq(back.learning_rate, 0.05);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(new_settings_keep_the_velocity)
{
    /* Momentum 0.9 for one step (v = 1, w = 0.4), then momentum 0.5 and rate 0.2:
     * g = 0.8, v = 0.5 · 1 + 0.8 = 1.3, w = 0.4 - 0.2 · 1.3 = 0.14. */
    mlp_net *net = tu_one_weight(0.5);
    mlp_optimizer o = tu_optimizer(MLP_OPT_MOMENTUM);
    o.learning_rate = 0.1;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(&tu_one, &tu_zero, 1)), MLP_OK);
    ck_assert_double_eq_tol(mlp_net_params_const(net)[0], 0.4, 1e-16);
    o.momentum = 0.5;
    o.learning_rate = 0.2;
    ck_assert_int_eq(mlp_trainer_set_optimizer(tr, &o), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(&tu_one, &tu_zero, 1)), MLP_OK);
    ck_assert_double_eq_tol(mlp_net_params_const(net)[0], 0.14, 1e-16);
    /* a bad setting changes nothing */
    o.momentum = 1;
    ck_assert_int_eq(mlp_trainer_set_optimizer(tr, &o), MLP_ERR_INVALID_ARG);
    mlp_optimizer now;
    mlp_optimizer_init(&now, sizeof now, MLP_OPT_SGD);
    mlp_trainer_get_optimizer(tr, &now);
    ck_assert_double_eq(now.momentum, 0.5);
    /* neither does a rate for a method without one */
    mlp_optimizer rp = tu_optimizer(MLP_OPT_IRPROP_MINUS);
    mlp_trainer *tr2;
    ck_assert_int_eq(mlp_trainer_create(&tr2, net, MLP_LOSS_MSE, &rp, 1), MLP_OK);
    ck_assert_int_eq(mlp_trainer_set_learning_rate(tr2, 0.1), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(mlp_trainer_learning_rate(tr2), 0);
    mlp_trainer_free(tr2);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* ---- the rule for the weights a fit ends with ------------------------------------ */

enum { VN = 20 };
static double vx[VN], vy_train[VN], vy_val[VN];

/* Train y = x, validate on y = x / 2, SGD from w = 0 at rate 0.1: the validation
 * loss falls while w < 0.5 and rises after, so the best epoch is known. */
static void turn_data(void)
{
    for (int i = 0; i < VN; i++) {
        vx[i] = -1 + 2.0 * i / (VN - 1);
        vy_train[i] = vx[i];
        vy_val[i] = 0.5 * vx[i];
    }
}

typedef struct watch {
    mlp_trainer *tr;
    const mlp_net *net;
    double w[64];       /* the weight after each epoch (1-based) */
    size_t stop_at;     /* the callback asks to stop here; 0 never */
    size_t blow_up_at;  /* the callback sets a rate that overflows the weights here */
    int saw_rate;       /* the report carried the learning rate */
} watch;

static int watcher(const mlp_epoch_report *r, void *user)
{
    watch *wt = user;
    wt->w[r->epoch] = tu_param_at(wt->net, 0);
    if (MLP_HAS_FIELD(r, learning_rate) && r->learning_rate > 0) wt->saw_rate = 1;
    /* a rate that takes the weight to 1e306 (float32: 1e30), whose square overflows */
    if (r->epoch == wt->blow_up_at)
        ck_assert_int_eq(mlp_trainer_set_learning_rate(wt->tr, tu_single ? 1e30 : 1e306), MLP_OK);
    return r->epoch == wt->stop_at;
}

/* The epoch of the lowest validation loss among the first `n`. */
static size_t argmin(const double *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] < v[best]) best = i;
    return best + 1;
}

static mlp_status fit_turn(size_t epochs, size_t patience, watch *wt, mlp_fit_result *r)
{
    mlp_net *net = one_weight(0);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    o.learning_rate = 0.1;
    ck_assert_int_eq(mlp_trainer_create(&wt->tr, net, MLP_LOSS_MSE, &o, VN), MLP_OK);
    wt->net = net;
    mlp_fit_options f = tu_fit_options();
    f.epochs = epochs;
    f.batch_size = 0;
    f.patience = patience;
    const mlp_dataset val = TU_DATA14(vx, vy_val, VN);
    f.validation = &val;
    f.callback = watcher;
    f.user_data = wt;
    *r = tu_fit_result();
    return mlp_trainer_fit(wt->tr, r, TU_DATA(vx, vy_train, VN), &f);
}

static void done(watch *wt)
{
    mlp_trainer_free(wt->tr);
    mlp_net_free((mlp_net *)wt->net);
}

START_TEST(with_patience_the_best_weights_however_the_fit_ends)
{
    tu_single = _i;
    turn_data();
    mlp_fit_result r;
    /* every epoch ran (patience larger than the run) */
    watch a = {0};
    ck_assert_int_eq(fit_turn(30, 100, &a, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_EPOCHS);
    ck_assert_uint_eq(r.best_epoch, argmin(r.val_loss, 30));
    ck_assert_uint_lt(r.best_epoch, 30);
    ck_assert_double_eq(tu_param_at(a.net, 0), a.w[r.best_epoch]);
    ck_assert(a.saw_rate);
    done(&a);
    /* the callback stopped it */
    watch b = {.stop_at = 25};
    ck_assert_int_eq(fit_turn(30, 100, &b, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_CALLBACK);
    ck_assert_uint_eq(r.epochs_run, 25);
    ck_assert_double_eq(tu_param_at(b.net, 0), b.w[r.best_epoch]);
    done(&b);
    /* patience ran out */
    watch c = {0};
    ck_assert_int_eq(fit_turn(30, 3, &c, &r), MLP_OK);
    ck_assert_int_eq(r.stop, MLP_STOP_PATIENCE);
    ck_assert_uint_eq(r.epochs_run, r.best_epoch + 3);
    ck_assert_double_eq(tu_param_at(c.net, 0), c.w[r.best_epoch]);
    done(&c);
    /* the loss stopped being finite (a rate of 1e306 set from the callback at epoch
     * 20, after the best): still the best epoch's weights, and MLP_ERR_NUMERIC */
    watch d = {.blow_up_at = 20};
    ck_assert_int_eq(fit_turn(30, 100, &d, &r), MLP_ERR_NUMERIC);
    ck_assert(r.stop == MLP_STOP_NUMERIC || r.stop == MLP_STOP_DIVERGED);
    ck_assert_uint_eq(r.epochs_run, 20);
    ck_assert_uint_eq(r.best_epoch, argmin(r.val_loss, 20));
    ck_assert_double_eq(tu_param_at(d.net, 0), d.w[r.best_epoch]);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "(the best)"));
    done(&d);
}
END_TEST

START_TEST(without_patience_the_last_good_epoch)
{
    tu_single = _i;
    turn_data();
    mlp_fit_result r;
    watch a = {.blow_up_at = 20};
    ck_assert_int_eq(fit_turn(30, 0, &a, &r), MLP_ERR_NUMERIC);
    ck_assert_uint_eq(r.epochs_run, 20);
    ck_assert_double_eq(tu_param_at(a.net, 0), a.w[20]);
    done(&a);
    watch b = {0};
    ck_assert_int_eq(fit_turn(30, 0, &b, &r), MLP_OK);
    ck_assert_double_eq(tu_param_at(b.net, 0), b.w[30]); /* the last, not the best */
    done(&b);
}
END_TEST

START_TEST(weights_that_run_away_are_a_divergence)
{
    tu_single = _i;
    /* SGD at rate 1.5 on w²: w <- -2 w. The loss stays finite for a thousand
     * epochs while |w| doubles; the weight bound ends the fit. */
    for (int bounded = 0; bounded < 2; bounded++) {
        mlp_net *net = one_weight(0.5);
        mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
        o.learning_rate = 1.5;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
        mlp_fit_options f = tu_fit_options();
        f.epochs = 2000;
        f.batch_size = 0;
        if (!bounded) f.max_abs_weight = INFINITY; /* only overflow stops it then */
        mlp_fit_result r = tu_fit_result();
        ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(&tu_one, &tu_zero, 1), &f), MLP_ERR_NUMERIC);
        const double w = tu_param_at(net, 0);
        if (bounded) {
            /* |w| = 0.5 · 2^e after epoch e: 2^27 / 2 = 6.7e7 <= 1e8 < 2^28 / 2 */
            ck_assert_int_eq(r.stop, MLP_STOP_DIVERGED);
            ck_assert_uint_eq(r.epochs_run, 27);
            ck_assert_double_eq(fabs(w), ldexp(0.5, 27));
            ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "diverged in epoch 28"));
        } else {
            /* float64: after epoch 513, |w| = 2^512 and the next epoch's loss w² =
             * 2^1024 overflows: epoch 514 fails, the weights stay those after epoch
             * 513. float32 (its loss squared in double): after epoch 128, |w| = 2^127,
             * and the next epoch's gradient 2 w = 2^128 passes float's range: epoch
             * 129 fails */
            const int last = tu_single ? 128 : 513;
            ck_assert_int_eq(r.stop, MLP_STOP_NUMERIC);
            ck_assert_uint_eq(r.epochs_run, (size_t)last);
            ck_assert_double_eq(fabs(w), ldexp(0.5, last));
        }
        for (size_t e = 0; e < r.epochs_run; e++) ck_assert(isfinite(r.loss[e]));
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
}
END_TEST

/* ---- capacity and full-batch methods -------------------------------------------- */

START_TEST(capacity_follows_the_fit)
{
    tu_single = _i;
    enum { N = 40 };
    double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = i / (double)N;
        y[i] = 3 * x[i];
    }
    mlp_net *net = one_weight(0);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 1), MLP_OK);
    ck_assert_uint_eq(mlp_trainer_max_batch(tr), 1);
    mlp_fit_options f = tu_fit_options();
    f.batch_size = 8;
    f.epochs = 3;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, N), &f), MLP_OK);
    ck_assert_uint_eq(mlp_trainer_max_batch(tr), 8);
    ck_assert_uint_eq(mlp_trainer_epochs(tr), 3);
    ck_assert_ptr_eq(mlp_trainer_net(tr), net);
    /* a step larger than the capacity names both numbers and the way out */
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, y, 9)), MLP_ERR_SHAPE);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_trainer_step: a batch of 9 rows, the trainer holds 8: call "
                     "mlp_trainer_reserve(trainer, 9) first, or pass smaller batches");
    ck_assert_int_eq(mlp_trainer_reserve(tr, 9), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, y, 9)), MLP_OK);
    ck_assert_int_eq(mlp_trainer_reserve(tr, 2), MLP_OK); /* never shrinks */
    ck_assert_uint_eq(mlp_trainer_max_batch(tr), 9);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(irprop_trains_on_the_full_batch)
{
    /* y = 3x by iRPROP-, full batch: the weight reaches 3; mini-batches are refused
     * with the fix in the detail. */
    enum { N = 16 };
    double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = -1 + 2.0 * i / (N - 1);
        y[i] = 3 * x[i];
    }
    mlp_net *net = tu_one_weight(0);
    mlp_optimizer o = tu_optimizer(MLP_OPT_IRPROP_MINUS);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, N), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 100;
    f.batch_size = 4;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, N), &f), MLP_ERR_INVALID_ARG);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_trainer_fit: irprop- is a full-batch method and the batches hold 4 of "
                     "the 16 training rows: leave batch_size at MLP_BATCH_AUTO, or set it to 0");
    ck_assert_double_eq(mlp_net_params_const(net)[0], 0);
    f.batch_size = 0;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, N), &f), MLP_OK);
    ck_assert_double_eq_tol(mlp_net_params_const(net)[0], 3, 1e-6);
    /* left at its default, the batch is the method's own: every row, without being told */
    mlp_net_params(net)[0] = 0;
    mlp_trainer_reset(tr);
    f = tu_fit_options();
    ck_assert_uint_eq(f.batch_size, MLP_BATCH_AUTO);
    f.epochs = 100;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, N), &f), MLP_OK);
    ck_assert_double_eq_tol(mlp_net_params_const(net)[0], 3, 1e-6);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(names_lead_back_to_their_kinds)
{
    for (int k = 0; k < (int)tu_unknown_optimizer(); k++) {
        mlp_optimizer_kind back = (mlp_optimizer_kind)-1;
        ck_assert_int_eq(mlp_optimizer_from_name(&back, mlp_optimizer_name((mlp_optimizer_kind)k)),
                         MLP_OK);
        ck_assert_int_eq(back, k);
    }
    for (int k = 0; mlp_schedule_name((mlp_schedule)k) != NULL; k++) {
        mlp_schedule back = (mlp_schedule)-1;
        ck_assert_int_eq(mlp_schedule_from_name(&back, mlp_schedule_name((mlp_schedule)k)),
                         MLP_OK);
        ck_assert_int_eq(back, k);
    }
    for (int k = 0; k < (int)tu_unknown_loss(); k++) {
        mlp_loss back = (mlp_loss)-1;
        ck_assert_int_eq(mlp_loss_from_name(&back, mlp_loss_name((mlp_loss)k)), MLP_OK);
        ck_assert_int_eq(back, k);
    }
    for (int k = 0; mlp_init_name((mlp_init)k) != NULL; k++) {
        mlp_init back = (mlp_init)-1;
        ck_assert_int_eq(mlp_init_from_name(&back, mlp_init_name((mlp_init)k)), MLP_OK);
        ck_assert_int_eq(back, k);
    }
    ck_assert_str_eq(mlp_optimizer_name(MLP_OPT_IRPROP_MINUS), "irprop-");
    ck_assert_str_eq(mlp_schedule_name(MLP_SCHEDULE_PLATEAU), "plateau");
    ck_assert_str_eq(mlp_init_name(MLP_INIT_HE), "he");
}
END_TEST

static Suite *fit_suite(void)
{
    Suite *s = suite_create("fit");
    TCase *tc = tcase_create("fit");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, schedules_follow_their_formulas);
    tcase_add_test(tc, plateau_follows_the_validation_loss);
    tcase_add_test(tc, a_new_rate_keeps_adams_moments);
    tcase_add_test(tc, new_settings_keep_the_velocity);
    tcase_add_loop_test(tc, with_patience_the_best_weights_however_the_fit_ends, 0,
                        2);                                                /* both precisions */
    tcase_add_loop_test(tc, without_patience_the_last_good_epoch, 0, 2);   /* both precisions */
    tcase_add_loop_test(tc, weights_that_run_away_are_a_divergence, 0, 2); /* both precisions */
    tcase_add_loop_test(tc, capacity_follows_the_fit, 0, 2);               /* both precisions */
    tcase_add_test(tc, irprop_trains_on_the_full_batch);
    tcase_add_test(tc, names_lead_back_to_their_kinds);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(fit_suite)
