/* Backpropagation: the analytic gradient against central differences for every
 * activation, every loss and several depths; against a loss computed here from
 * the predictions alone; numerical stability of the fused cross-entropies. */
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

/* Every activation the library knows, GELU and SiLU included (their derivatives
 * read the pre-activation): the loop bound comes from the names, so the next
 * activation is checked here without a change to this file. */
#define N_HIDDEN ((size_t)tu_unknown_activation())

/* n_inputs 3, `depth` layers: hidden layers of widths 5, 4, 6 with `hidden`, then an
 * output layer of k nodes with `output`; every layer has a bias. */
static mlp_net *make_net(size_t depth, mlp_activation hidden, mlp_activation output, size_t k,
                         uint64_t seed)
{
    const size_t widths[4] = {5, 4, 6, 0}; /* the fourth is never a hidden layer's */
    mlp_layer_spec spec[4];
    ck_assert_uint_le(depth, 4);
    for (size_t l = 0; l + 1 < depth && l < 3; l++)
        spec[l] = (mlp_layer_spec)MLP_LAYER(widths[l], hidden, 1);
    spec[depth - 1] = (mlp_layer_spec)MLP_LAYER(k, output, 1);
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 3, spec, depth), MLP_OK);
    uint64_t rng = seed;
    tu_fill(&rng, mlp_net_params(net), mlp_net_n_params(net), -1, 1);
    return tu_in_precision(net);
}

/* Targets that suit the loss: real values, probabilities in (0, 1), or one-hot rows. */
static void make_targets(double *t, mlp_loss loss, size_t n, size_t k, uint64_t *rng)
{
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < k; c++) {
            if (loss == MLP_LOSS_MSE) t[r * k + c] = tu_uniform(rng, -1, 1);
            else if (loss == MLP_LOSS_BINARY_CROSSENTROPY) t[r * k + c] = tu_uniform(rng, 0, 1);
            else t[r * k + c] = c == r % k ? 1.0 : 0.0;
        }
}

static mlp_activation output_for(mlp_loss loss, mlp_activation fallback)
{
    if (loss == MLP_LOSS_BINARY_CROSSENTROPY) return MLP_ACT_SIGMOID;
    if (loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY) return MLP_ACT_SOFTMAX;
    return fallback;
}

START_TEST(gradient_check_every_activation_loss_and_depth)
{
    tu_single = _i;
    const mlp_loss losses[3] = {MLP_LOSS_MSE, MLP_LOSS_BINARY_CROSSENTROPY,
                                MLP_LOSS_CATEGORICAL_CROSSENTROPY};
    enum { N = 7, K = 3 };
    double x[N * 3], t[N * K];
    uint64_t rng = 2024;
    tu_fill(&rng, x, N * 3, -1.5, 1.5);
    int checked = 0;
    double worst = 0;
    for (size_t depth = 1; depth <= 4; depth++)
        for (size_t a = 0; a < N_HIDDEN; a++)
            for (size_t li = 0; li < 3; li++) {
                /* MSE also puts the hidden activation at the output, so every
                 * activation's backward is checked in both places. */
                const mlp_loss loss = losses[li];
                mlp_net *net = make_net(depth, (mlp_activation)a, output_for(loss, (mlp_activation)a),
                                        K, 100 * depth + 10 * a + li);
                make_targets(t, loss, N, K, &rng);
                double before[200];
                size_t bytes;
                const void *block = tu_params_of(net, &bytes);
                ck_assert_uint_le(bytes, sizeof before);
                memcpy(before, block, bytes);
                double err = -1;
                ck_assert_int_eq(mlp_net_gradient_check(&err, net, loss, TU_DATA(x, t, N), 1e-2),
                                 MLP_OK);
                if (err > worst) worst = err;
                /* float64: Ridders' differences reach 1e-10; float32: its gradient
                 * against differences on a float64 copy, normwise, float's rounding
                 * of the gradient (measured 4.9e-7, 4 ε): bounded by 64 ε of float */
                ck_assert_msg(err >= 0 && err < (tu_single ? 64 * (double)FLT_EPSILON : 1e-6),
                              "depth %zu, %s hidden, %s, %s: relative error %.3g", depth,
                              mlp_activation_name((mlp_activation)a), mlp_loss_name(loss),
                              tu_single ? "float32" : "float64", err);
                ck_assert_mem_eq(block, before, bytes);
                mlp_net_free(net);
                checked++;
            }
    ck_assert_int_eq(checked, 4 * (int)N_HIDDEN * 3);
    printf("gradient check, %s: %d networks, largest relative error %.3g\n",
           tu_single ? "float32" : "float64", checked, worst);
}
END_TEST

/* The losses written out from their definitions, on the network's predictions. */
static double loss_from_predictions(mlp_loss loss, const double *p, const double *t, size_t n,
                                    size_t k)
{
    double sum = 0;
    for (size_t i = 0; i < n * k; i++) {
        if (loss == MLP_LOSS_MSE) sum += (p[i] - t[i]) * (p[i] - t[i]);
        else if (loss == MLP_LOSS_BINARY_CROSSENTROPY)
            sum -= t[i] * log(p[i]) + (1 - t[i]) * log(1 - p[i]);
        else sum -= t[i] * log(p[i]);
    }
    return loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY ? sum / n : sum / (n * k);
}

START_TEST(gradient_matches_differences_of_an_independent_loss)
{
    /* Nothing of the library's loss code: predictions through mlp_net_predict,
     * the loss from its textbook formula, differences taken here. */
    const mlp_loss losses[3] = {MLP_LOSS_MSE, MLP_LOSS_BINARY_CROSSENTROPY,
                                MLP_LOSS_CATEGORICAL_CROSSENTROPY};
    enum { N = 5, K = 2 };
    double x[N * 3], t[N * K], p[N * K], grad[200];
    uint64_t rng = 77;
    tu_fill(&rng, x, N * 3, -1, 1);
    for (size_t li = 0; li < 3; li++) {
        mlp_net *net = make_net(3, MLP_ACT_TANH, output_for(losses[li], MLP_ACT_IDENTITY), K, 5 + li);
        make_targets(t, losses[li], N, K, &rng);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
        double value;
        ck_assert_int_eq(mlp_net_gradient(net, ws, losses[li], grad, &value, TU_DATA(x, t, N)),
                         MLP_OK);
        ck_assert_int_eq(mlp_net_predict(net, ws, p, x, N), MLP_OK);
        ck_assert_double_eq_tol(value, loss_from_predictions(losses[li], p, t, N, K), 1e-14);
        double *w = mlp_net_params(net);
        for (size_t i = 0; i < mlp_net_n_params(net); i++) {
            const double keep = w[i], h = 1e-6;
            w[i] = keep + h;
            mlp_net_predict(net, ws, p, x, N);
            const double up = loss_from_predictions(losses[li], p, t, N, K);
            w[i] = keep - h;
            mlp_net_predict(net, ws, p, x, N);
            const double down = loss_from_predictions(losses[li], p, t, N, K);
            w[i] = keep;
            ck_assert_msg(fabs(grad[i] - (up - down) / (2 * h)) < 1e-8,
                          "%s, parameter %zu: analytic %.12g, differences %.12g",
                          mlp_loss_name(losses[li]), i, grad[i], (up - down) / (2 * h));
        }
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
}
END_TEST

START_TEST(gradient_of_the_tutorial_slope)
{
    /* A linear node without bias under MSE is the tutorial's model: the gradient
     * is 2 * input * error, [14 28 42] for weights [0 2 1], input [1 2 3], target 0. */
    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 0);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 3, &spec, 1), MLP_OK);
    const double w[3] = {0, 2, 1}, x[3] = {1, 2, 3}, t = 0;
    mlp_net_set_weights(net, 0, w, 3);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    double g[3], loss;
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_DATA(x, &t, 1)), MLP_OK);
    ck_assert_double_eq(loss, 49);
    ck_assert_double_eq(g[0], 14);
    ck_assert_double_eq(g[1], 28);
    ck_assert_double_eq(g[2], 42);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(cross_entropy_is_stable_for_huge_logits)
{
    /* One input x = 1, weights ±1000: logits of ±1000, far past where exp overflows. */
    const mlp_layer_spec sig = MLP_LAYER(1, MLP_ACT_SIGMOID, 0),
                         soft = MLP_LAYER(2, MLP_ACT_SOFTMAX, 0);
    mlp_net *bin, *cat;
    ck_assert_int_eq(mlp_net_create(&bin, 1, &sig, 1), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&cat, 1, &soft, 1), MLP_OK);
    mlp_workspace *wb, *wc;
    ck_assert_int_eq(mlp_workspace_create(&wb, bin, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wc, cat, 1), MLP_OK);
    const double x = 1;
    double g[2], loss;

    /* BCE: z = 1000, t = 0 -> loss max(z,0) - z t + log1p(e^-|z|) = 1000, dL/dw = σ(z) - t = 1 */
    const double w_pos = 1000, w_neg = -1000, t0 = 0, t1 = 1;
    mlp_net_set_weights(bin, 0, &w_pos, 1);
    ck_assert_int_eq(
        mlp_net_gradient(bin, wb, MLP_LOSS_BINARY_CROSSENTROPY, g, &loss, TU_DATA(&x, &t0, 1)),
        MLP_OK);
    ck_assert_double_eq(loss, 1000);
    ck_assert_double_eq(g[0], 1);
    /* z = -1000, t = 1: loss 1000, gradient σ(z) - 1 = -1 */
    mlp_net_set_weights(bin, 0, &w_neg, 1);
    ck_assert_int_eq(
        mlp_net_gradient(bin, wb, MLP_LOSS_BINARY_CROSSENTROPY, g, &loss, TU_DATA(&x, &t1, 1)),
        MLP_OK);
    ck_assert_double_eq(loss, 1000);
    ck_assert_double_eq(g[0], -1);
    /* the right answer, confidently: loss log1p(e^-1000), about 0, never NaN */
    ck_assert_int_eq(
        mlp_net_gradient(bin, wb, MLP_LOSS_BINARY_CROSSENTROPY, g, &loss, TU_DATA(&x, &t0, 1)),
        MLP_OK);
    ck_assert(isfinite(loss) && loss >= 0 && loss < 1e-300);

    /* CCE: logits [1000, -1000], target [0, 1] -> loss logsumexp - z_1 = 2000,
     * gradient p - t = [1, -1] times x */
    const double wc_[2] = {1000, -1000}, tc[2] = {0, 1};
    mlp_net_set_weights(cat, 0, wc_, 2);
    ck_assert_int_eq(
        mlp_net_gradient(cat, wc, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, &loss, TU_DATA(&x, tc, 1)),
        MLP_OK);
    ck_assert_double_eq(loss, 2000);
    ck_assert_double_eq(g[0], 1);
    ck_assert_double_eq(g[1], -1);

    mlp_workspace_free(wb);
    mlp_workspace_free(wc);
    mlp_net_free(bin);
    mlp_net_free(cat);
}
END_TEST

START_TEST(bad_input)
{
    mlp_net *net = make_net(2, MLP_ACT_TANH, MLP_ACT_IDENTITY, 2, 1);
    mlp_workspace *ws, *small;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&small, net, 1), MLP_OK);
    double x[12] = {0}, t[8] = {0}, g[64], loss = 42, err;
    for (int i = 0; i < 64; i++) g[i] = -7;
    ck_assert_int_eq(mlp_net_gradient(NULL, ws, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 4)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, NULL, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 4)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, NULL, &loss, TU_DATA(x, t, 4)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_DATA(NULL, t, 4)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_DATA(x, NULL, 4)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 0)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, ws, (mlp_loss)9, g, &loss, TU_DATA(x, t, 4)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(
        mlp_net_gradient(net, ws, MLP_LOSS_BINARY_CROSSENTROPY, g, &loss, TU_DATA(x, t, 4)),
        MLP_ERR_INVALID_ARG);
    ck_assert_str_eq(mlp_error_detail(), "mlp_net_gradient: binary_crossentropy needs a sigmoid "
                                         "output layer, this one is identity");
    ck_assert_int_eq(
        mlp_net_gradient(net, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, &loss, TU_DATA(x, t, 4)),
        MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient(net, small, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 4)),
                     MLP_ERR_SHAPE);
    ck_assert_double_eq(loss, 42);
    for (int i = 0; i < 64; i++) ck_assert_double_eq(g[i], -7);

    ck_assert_int_eq(mlp_net_gradient_check(NULL, net, MLP_LOSS_MSE, TU_DATA(x, t, 4), 1e-6),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient_check(&err, NULL, MLP_LOSS_MSE, TU_DATA(x, t, 4), 1e-6),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient_check(&err, net, MLP_LOSS_MSE, TU_DATA(x, t, 4), 0),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient_check(&err, net, MLP_LOSS_MSE, TU_DATA(x, t, 4), NAN),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_gradient_check(&err, net, MLP_LOSS_MSE, TU_DATA(x, t, 0), 1e-6),
                     MLP_ERR_INVALID_ARG);
    ck_assert_str_eq(mlp_loss_name(MLP_LOSS_MSE), "mse");
    ck_assert_str_eq(mlp_loss_name(MLP_LOSS_BINARY_CROSSENTROPY), "binary_crossentropy");
    ck_assert_str_eq(mlp_loss_name(MLP_LOSS_CATEGORICAL_CROSSENTROPY), "categorical_crossentropy");
    ck_assert_ptr_null(mlp_loss_name((mlp_loss)3));
    mlp_workspace_free(ws);
    mlp_workspace_free(small);
    mlp_net_free(net);
}
END_TEST

START_TEST(training_needs_a_workspace_that_keeps_z)
{
    /* A workspace serves every network of its shape for prediction; to train a
     * network whose hidden activation reads its pre-activation (GELU, SiLU), it must
     * keep that layer's z, which a workspace made from a relu network does not. */
    const mlp_layer_spec relu[2] = {MLP_LAYER(4, MLP_ACT_RELU, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    const mlp_layer_spec gelu[2] = {MLP_LAYER(4, MLP_ACT_GELU, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *a, *b;
    ck_assert_int_eq(mlp_net_create(&a, 2, relu, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&b, 2, gelu, 2), MLP_OK);
    mlp_workspace *wa, *wb;
    ck_assert_int_eq(mlp_workspace_create(&wa, a, 3), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wb, b, 3), MLP_OK);
    const double x[6] = {1, 2, 3, 4, 5, 6}, t[3] = {1, 0, 1};
    double y[3], g[17], loss;
    ck_assert_int_eq(mlp_net_predict(b, wa, y, x, 3), MLP_OK); /* prediction: any */
    ck_assert_int_eq(mlp_net_gradient(b, wa, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 3)),
                     MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "gelu"));
    ck_assert_int_eq(mlp_net_gradient(b, wb, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 3)), MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(a, wb, MLP_LOSS_MSE, g, &loss, TU_DATA(x, t, 3)), MLP_OK);
    mlp_workspace_free(wa);
    mlp_workspace_free(wb);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

static Suite *backprop_suite(void)
{
    Suite *s = suite_create("backprop");
    TCase *tc = tcase_create("backprop");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, gradient_check_every_activation_loss_and_depth, 0,
                        2); /* both precisions */
    tcase_add_test(tc, gradient_matches_differences_of_an_independent_loss);
    tcase_add_test(tc, gradient_of_the_tutorial_slope);
    tcase_add_test(tc, cross_entropy_is_stable_for_huge_logits);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, training_needs_a_workspace_that_keeps_z);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(backprop_suite)
