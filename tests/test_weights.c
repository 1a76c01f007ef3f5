/* Row weights (since 1.7): a weighted gradient is Σ w_i g_i / n of the rows' own
 * gradients (linearity, from unweighted one-row calls) and agrees with central
 * differences; a weighted loss is Σ w_i l_i / n; weights of 1 give every optimizer's,
 * a sharded fit's and a float32 network's unweighted bits; the validation loss early
 * stopping watches is weighted; balanced class weights are n / (k · count) by hand; a
 * weight that is negative or not finite is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

enum { N = 12, IN = 3 };

static void rows(double *x, double *y, size_t k, int classes)
{
    uint64_t rng = 7;
    tu_fill(&rng, x, N * IN, -1, 1);
    for (size_t i = 0; i < N; i++) {
        if (classes) y[i] = (double)(i % k);
        else
            for (size_t c = 0; c < k; c++) y[i * k + c] = tu_uniform(&rng, -1, 1);
    }
}

static mlp_net *net_for(mlp_loss loss, size_t k)
{
    const mlp_activation out = loss == MLP_LOSS_MSE                   ? MLP_ACT_IDENTITY
                               : loss == MLP_LOSS_BINARY_CROSSENTROPY ? MLP_ACT_SIGMOID
                                                                      : MLP_ACT_SOFTMAX;
    const mlp_layer_spec spec[2] = {MLP_LAYER(5, MLP_ACT_TANH, 1), MLP_LAYER(k, out, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create_precision(&net, IN, spec, 2,
                                              tu_single ? MLP_PRECISION_FLOAT32
                                                        : MLP_PRECISION_FLOAT64),
                     MLP_OK);
    return net;
}

static const struct {
    mlp_loss loss;
    size_t k;
    int classes;
} cases[] = {{MLP_LOSS_MSE, 2, 0},
             {MLP_LOSS_BINARY_CROSSENTROPY, 1, 0},
             {MLP_LOSS_CATEGORICAL_CROSSENTROPY, 3, 1}};

START_TEST(a_weighted_gradient_is_the_weighted_sum_of_the_rows)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const size_t k = cases[c].k;
        double x[N * IN], y[N * 3], w[N];
        rows(x, y, k, cases[c].classes);
        if (cases[c].loss == MLP_LOSS_BINARY_CROSSENTROPY)
            for (size_t i = 0; i < N; i++) y[i] = (double)(i % 3 == 0);
        for (size_t i = 0; i < N; i++) w[i] = i % 4 == 1 ? 0.0 : 0.25 + 0.5 * (double)i;
        mlp_net *net = net_for(cases[c].loss, k);
        const size_t np = mlp_net_n_params(net), tc = cases[c].classes ? 1 : k;
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
        mlp_dataset d = cases[c].classes ? (mlp_dataset)MLP_DATASET_CLASSES(x, IN, y, k, N)
                                         : (mlp_dataset)MLP_DATASET(x, IN, y, k, N);
        d.w = w;
        double *g = malloc(np * sizeof *g), *gi = malloc(np * sizeof *gi),
               *want = calloc(np, sizeof *want);
        double loss, li, want_loss = 0;
        ck_assert_int_eq(mlp_net_gradient(net, ws, cases[c].loss, g, &loss, &d), MLP_OK);
        for (size_t i = 0; i < N; i++) { /* each row alone, unweighted */
            mlp_dataset one = d;
            one.x = x + i * IN;
            one.y = y + i * tc;
            one.n = 1;
            one.w = NULL;
            ck_assert_int_eq(mlp_net_gradient(net, ws, cases[c].loss, gi, &li, &one), MLP_OK);
            for (size_t j = 0; j < np; j++) want[j] += w[i] * gi[j] / N;
            want_loss += w[i] * li / N;
        }
        for (size_t j = 0; j < np; j++)
            ck_assert_msg(fabs(g[j] - want[j]) <= 1e-12 * fmax(1, fabs(want[j])),
                          "%s: parameter %zu: %.17g, by the rows %.17g",
                          mlp_loss_name(cases[c].loss), j, g[j], want[j]);
        ck_assert_double_eq_tol(loss, want_loss, 1e-12 * fmax(1, want_loss));
        /* and central differences agree with it */
        double err;
        ck_assert_int_eq(mlp_net_gradient_check(&err, net, cases[c].loss, &d, 1e-2), MLP_OK);
        ck_assert_msg(err < 1e-7, "%s: finite differences: %g", mlp_loss_name(cases[c].loss),
                      err);
        free(g), free(gi), free(want);
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
}
END_TEST

/* A fit of the case's rows with `opt` and options `fo`, weights w (NULL: none); the
 * network's parameters and the fit's loss histories into out. */
static void fit_bits(unsigned char *out, size_t *bytes, size_t c, mlp_optimizer_kind kind,
                     const double *w, size_t shards, int validate)
{
    const size_t k = cases[c].k;
    double x[N * IN], y[N * 3];
    rows(x, y, k, cases[c].classes);
    if (cases[c].loss == MLP_LOSS_BINARY_CROSSENTROPY) /* 0/1 targets */
        for (size_t i = 0; i < N; i++) y[i] = (double)(i % 3 == 0);
    mlp_net *net = net_for(cases[c].loss, k);
    mlp_optimizer o = tu_optimizer(kind);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, cases[c].loss, &o, N), MLP_OK);
    mlp_dataset d = cases[c].classes ? (mlp_dataset)MLP_DATASET_CLASSES(x, IN, y, k, N)
                                     : (mlp_dataset)MLP_DATASET(x, IN, y, k, N);
    d.w = w;
    mlp_fit_options fo = tu_fit_options();
    fo.epochs = 6;
    fo.batch_size = o.kind == MLP_OPT_LBFGS || o.kind == MLP_OPT_LM || o.kind == MLP_OPT_IRPROP_MINUS
                        ? 0
                        : 4;
    fo.shards = shards;
    fo.validation_fraction = validate ? 0.25 : 0;
    fo.seed = 3;
    mlp_fit_result r = tu_fit_result();
    ck_assert_msg(mlp_trainer_fit(tr, &r, &d, &fo) == MLP_OK, "%s, %s: %s",
                  mlp_loss_name(cases[c].loss), mlp_optimizer_name(kind), mlp_error_detail());
    size_t n = 0;
    const void *p = tu_params_of(net, &n);
    memcpy(out, p, n);
    memcpy(out + n, r.loss, r.epochs_run * sizeof *r.loss);
    n += r.epochs_run * sizeof *r.loss;
    if (validate) {
        memcpy(out + n, r.val_loss, r.epochs_run * sizeof *r.val_loss);
        n += r.epochs_run * sizeof *r.val_loss;
    }
    *bytes = n;
    mlp_trainer_free(tr);
    mlp_net_free(net);
}

START_TEST(weights_of_one_give_the_unweighted_bits)
{
    tu_single = _i;
    const double ones[N] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    double w[N];
    for (size_t i = 0; i < N; i++) w[i] = 0.5 + (double)(i % 3);
    const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD,   MLP_OPT_MOMENTUM,      MLP_OPT_ADAM,
                                        MLP_OPT_IRPROP_MINUS, MLP_OPT_LBFGS, MLP_OPT_LM};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t q = 0; q < sizeof kinds / sizeof kinds[0]; q++)
            for (size_t shards = 1; shards <= 2; shards++) {
                const int second = kinds[q] == MLP_OPT_LBFGS || kinds[q] == MLP_OPT_LM;
                if (second && (tu_single || shards > 1)) continue; /* float64, unsharded */
                if (kinds[q] == MLP_OPT_LM && cases[c].loss != MLP_LOSS_MSE) continue;
                unsigned char a[4096], b[4096], e[4096];
                size_t na, nb, ne;
                fit_bits(a, &na, c, kinds[q], NULL, shards, 1);
                fit_bits(b, &nb, c, kinds[q], ones, shards, 1);
                ck_assert_msg(na == nb && memcmp(a, b, na) == 0,
                              "%s, %s, %zu shards: weights of 1 changed the bits",
                              mlp_loss_name(cases[c].loss), mlp_optimizer_name(kinds[q]), shards);
                fit_bits(e, &ne, c, kinds[q], w, shards, 1); /* and other weights do matter */
                ck_assert_msg(ne != na || memcmp(a, e, na) != 0, "%s, %s: weights ignored",
                              mlp_loss_name(cases[c].loss), mlp_optimizer_name(kinds[q]));
            }
}
END_TEST

START_TEST(the_validation_loss_is_weighted)
{
    enum { V = 5 };
    double x[N * IN], y[N], vx[V * IN], vy[V], vw[V] = {0.5, 2, 0, 1, 3};
    rows(x, y, 3, 1);
    uint64_t rng = 11;
    tu_fill(&rng, vx, V * IN, -1, 1);
    for (size_t i = 0; i < V; i++) vy[i] = (double)(i % 3);
    mlp_net *net = net_for(MLP_LOSS_CATEGORICAL_CROSSENTROPY, 3);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, N),
                     MLP_OK);
    const mlp_dataset d = MLP_DATASET_CLASSES(x, IN, y, 3, N);
    mlp_dataset v = MLP_DATASET_CLASSES(vx, IN, vy, 3, V);
    v.w = vw;
    mlp_fit_options fo = tu_fit_options();
    fo.epochs = 1;
    fo.validation = &v;
    mlp_fit_result r = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &r, &d, &fo), MLP_OK);
    /* each validation row's loss at the weights the epoch ended with, unweighted */
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    double *g = malloc(mlp_net_n_params(net) * sizeof *g), want = 0, l;
    for (size_t i = 0; i < V; i++) {
        const mlp_dataset one = MLP_DATASET_CLASSES(vx + i * IN, IN, vy + i, 3, 1);
        ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, &l, &one),
                         MLP_OK);
        want += vw[i] * l / V;
    }
    ck_assert_double_eq_tol(r.val_loss[0], want, 1e-12);
    free(g);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(balanced_class_weights_and_refusals)
{
    /* 3 rows of class 0, 1 of class 1: n / (k · count) = 4 / 6 and 4 / 2 */
    const double x[4 * IN] = {0}, y[4] = {0, 1, 0, 0};
    const mlp_dataset d = MLP_DATASET_CLASSES(x, IN, y, 2, 4);
    double w[4];
    ck_assert_int_eq(mlp_dataset_class_weights(w, &d, NULL), MLP_OK);
    ck_assert_double_eq(w[0], 4.0 / 6.0);
    ck_assert_double_eq(w[1], 2.0);
    ck_assert_double_eq(w[3], 4.0 / 6.0);
    const double given[2] = {1, 5};
    ck_assert_int_eq(mlp_dataset_class_weights(w, &d, given), MLP_OK);
    ck_assert_double_eq(w[1], 5);
    ck_assert_double_eq(w[2], 1);
    const double bad[2] = {1, -1};
    ck_assert_int_eq(mlp_dataset_class_weights(w, &d, bad), MLP_ERR_INVALID_ARG);
    const mlp_dataset values = MLP_DATASET(x, IN, y, 1, 4);
    ck_assert_int_eq(mlp_dataset_class_weights(w, &values, NULL), MLP_ERR_INVALID_ARG);
    /* a row weight that is negative or not finite, refused by name */
    mlp_net *net = net_for(MLP_LOSS_CATEGORICAL_CROSSENTROPY, 2);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    double g[64];
    const double rw[2][4] = {{1, 1, -0.5, 1}, {1, NAN, 1, 1}};
    for (int i = 0; i < 2; i++) {
        mlp_dataset b = d;
        b.w = rw[i];
        ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, NULL, &b),
                         MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), i == 0 ? "row 2's weight is -0.5"
                                                                : "row 1's weight is nan"));
    }
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

static Suite *weights_suite(void)
{
    Suite *s = suite_create("weights");
    TCase *c = tcase_create("weights");
    tcase_set_timeout(c, 120);
    tcase_add_checked_fixture(c, tu_float64_networks, NULL);
    tcase_add_test(c, a_weighted_gradient_is_the_weighted_sum_of_the_rows);
    tcase_add_loop_test(c, weights_of_one_give_the_unweighted_bits, 0, 2); /* both precisions */
    tcase_add_test(c, the_validation_loss_is_weighted);
    tcase_add_test(c, balanced_class_weights_and_refusals);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(weights_suite)
