/* Every number the tutorial (README.md, "Where it starts") prints,
 * computed through libmlp's public API. Expected values are the tutorial's, or hand
 * arithmetic and closed forms where the tutorial prints a rounded value. */
#include <math.h>

#include "test_util.h"

/* A 2-input network of dense layers without bias, weights per layer as (out, in). */
static mlp_net *hand_net(size_t n_layers, const size_t *sizes, mlp_activation hidden,
                         mlp_activation output, const double *const *w)
{
    mlp_layer_spec spec[3];
    for (size_t l = 0; l < n_layers; l++)
        spec[l] = (mlp_layer_spec)MLP_LAYER(sizes[l], l + 1 < n_layers ? hidden : output, 0);
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, spec, n_layers), MLP_OK);
    size_t in = 2;
    for (size_t l = 0; l < n_layers; l++) {
        ck_assert_int_eq(mlp_net_set_weights(net, l, w[l], sizes[l] * in), MLP_OK);
        in = sizes[l];
    }
    return net;
}

static mlp_net *net_2_2_1(const double node_0[2], const double node_1[2], const double out[2],
                          mlp_activation hidden, mlp_activation output)
{
    const double w1[4] = {node_0[0], node_0[1], node_1[0], node_1[1]};
    const double *w[2] = {w1, out};
    return hand_net(2, (const size_t[]){2, 1}, hidden, output, w);
}

/* Predict n rows; returns the workspace, which holds the hidden values. */
static mlp_workspace *run(const mlp_net *net, double *y, const double *x, size_t n)
{
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, n), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, n), MLP_OK);
    return ws;
}

static void assert_hidden(const mlp_workspace *ws, size_t layer, const double *expect, size_t n,
                          double tol)
{
    const double *v;
    size_t rows, cols;
    ck_assert_int_eq(mlp_workspace_layer_output(ws, layer, &v, &rows, &cols), MLP_OK);
    ck_assert_uint_eq(rows * cols, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(v[i] - expect[i]) <= tol, "hidden[%zu] = %.17g, expected %.17g", i, v[i],
                      expect[i]);
}

START_TEST(forward_propagation)
{
    /* [5 1], 9 */
    mlp_net *net = net_2_2_1((double[]){1, 1}, (double[]){-1, 1}, (double[]){2, -1},
                             MLP_ACT_IDENTITY, MLP_ACT_IDENTITY);
    double y;
    mlp_workspace *ws = run(net, &y, (double[]){2, 3}, 1);
    assert_hidden(ws, 0, (double[]){5, 1}, 2, 0);
    ck_assert_double_eq(y, 9);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(tanh_activation)
{
    /* [ 0.9999092 0.76159416], 1.23822425257: the tutorial's printed digits, and the
     * closed forms tanh(5), tanh(1), 2 tanh(5) - tanh(1) to the last bits. */
    mlp_net *net = net_2_2_1((double[]){1, 1}, (double[]){-1, 1}, (double[]){2, -1},
                             MLP_ACT_TANH, MLP_ACT_IDENTITY);
    double y;
    mlp_workspace *ws = run(net, &y, (double[]){2, 3}, 1);
    assert_hidden(ws, 0, (double[]){0.9999092, 0.76159416}, 2, 5e-9);
    assert_hidden(ws, 0, (double[]){tanh(5.0), tanh(1.0)}, 2, 1e-15);
    ck_assert_double_eq_tol(y, 1.23822425257, 5e-12);
    ck_assert_double_eq_tol(y, 2 * tanh(5.0) - tanh(1.0), 1e-15);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(relu_activation)
{
    /* [3 9], -3 */
    mlp_net *net = net_2_2_1((double[]){3, 3}, (double[]){1, 5}, (double[]){2, -1},
                             MLP_ACT_RELU, MLP_ACT_IDENTITY);
    double y;
    mlp_workspace *ws = run(net, &y, (double[]){-1, 2}, 1);
    assert_hidden(ws, 0, (double[]){3, 9}, 2, 0);
    ck_assert_double_eq(y, -3);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(many_observations)
{
    /* [20, 6, 0, 44]: predict_with_network applies relu at the output too. */
    mlp_net *net = net_2_2_1((double[]){3, 3}, (double[]){1, 5}, (double[]){2, -1},
                             MLP_ACT_RELU, MLP_ACT_RELU);
    double y[4];
    mlp_workspace *ws = run(net, y, (double[]){3, 5, 2, -1, 0, 0, 8, 4}, 4);
    const double expect[4] = {20, 6, 0, 44};
    for (int i = 0; i < 4; i++) ck_assert_double_eq(y[i], expect[i]);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(multi_layer)
{
    /* [26 0], [ 0 52], 364 */
    const double w1[4] = {2, 4, 4, -5}, w2[4] = {-1, 1, 2, 2}, w3[2] = {-3, 7};
    const double *w[3] = {w1, w2, w3};
    mlp_net *net = hand_net(3, (const size_t[]){2, 2, 1}, MLP_ACT_RELU, MLP_ACT_IDENTITY, w);
    double y;
    mlp_workspace *ws = run(net, &y, (double[]){3, 5}, 1);
    assert_hidden(ws, 0, (double[]){26, 0}, 2, 0);
    assert_hidden(ws, 1, (double[]){0, 52}, 2, 0);
    ck_assert_double_eq(y, 364);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(weight_changes)
{
    /* error_0 = 6, error_1 = 0 */
    const double x[2] = {0, 3}, target = 3;
    mlp_net *n0 = net_2_2_1((double[]){2, 1}, (double[]){1, 2}, (double[]){1, 1}, MLP_ACT_RELU,
                            MLP_ACT_RELU);
    mlp_net *n1 = net_2_2_1((double[]){2, 1}, (double[]){1, 0}, (double[]){1, 1}, MLP_ACT_RELU,
                            MLP_ACT_RELU);
    double y0, y1, e0, e1;
    mlp_workspace_free(run(n0, &y0, x, 1));
    mlp_workspace_free(run(n1, &y1, x, 1));
    ck_assert_int_eq(mlp_loss_error(&e0, &y0, &target, 1), MLP_OK);
    ck_assert_int_eq(mlp_loss_error(&e1, &y1, &target, 1), MLP_OK);
    ck_assert_double_eq(e0, 6);
    ck_assert_double_eq(e1, 0);
    mlp_net_free(n0);
    mlp_net_free(n1);
}
END_TEST

START_TEST(mean_squared_error)
{
    /* 37.500000 and 49.890625 (by hand: (64+36+25+25)/4 and (76.5625+49+25+49)/4). */
    const double x[8] = {0, 3, 1, 2, -1, -2, 4, 0}, t[4] = {1, 3, 5, 7};
    mlp_net *n0 = net_2_2_1((double[]){2, 1}, (double[]){1, 2}, (double[]){1, 1}, MLP_ACT_RELU,
                            MLP_ACT_RELU);
    mlp_net *n1 = net_2_2_1((double[]){2, 1}, (double[]){1, 1.5}, (double[]){1, 1.5},
                            MLP_ACT_RELU, MLP_ACT_RELU);
    double y0[4], y1[4], m0, m1;
    mlp_workspace_free(run(n0, y0, x, 4));
    mlp_workspace_free(run(n1, y1, x, 4));
    ck_assert_int_eq(mlp_loss_mse(&m0, y0, t, 4), MLP_OK);
    ck_assert_int_eq(mlp_loss_mse(&m1, y1, t, 4), MLP_OK);
    ck_assert_double_eq(m0, 37.5);
    ck_assert_double_eq(m1, 49.890625);
    mlp_net_free(n0);
    mlp_net_free(n1);
}
END_TEST

static const double gd_input[3] = {1, 2, 3};
static const double gd_target = 0;

START_TEST(calculating_slopes)
{
    /* [14 28 42] */
    const double w[3] = {0, 2, 1};
    double pred, err, slope[3];
    ck_assert_int_eq(mlp_linear_predict(&pred, gd_input, w, 1, 3), MLP_OK);
    ck_assert_int_eq(mlp_loss_error(&err, &pred, &gd_target, 1), MLP_OK);
    ck_assert_int_eq(mlp_linear_slope(slope, gd_input, &err, 1, 3), MLP_OK);
    ck_assert_double_eq(slope[0], 14);
    ck_assert_double_eq(slope[1], 28);
    ck_assert_double_eq(slope[2], 42);
}
END_TEST

START_TEST(improving_weights)
{
    /* 7, then 5.04 after one update with learning rate 0.01 */
    double w[3] = {0, 2, 1}, pred, err, slope[3];
    ck_assert_int_eq(mlp_linear_predict(&pred, gd_input, w, 1, 3), MLP_OK);
    ck_assert_int_eq(mlp_loss_error(&err, &pred, &gd_target, 1), MLP_OK);
    ck_assert_double_eq(err, 7);
    ck_assert_int_eq(mlp_linear_slope(slope, gd_input, &err, 1, 3), MLP_OK);
    ck_assert_int_eq(mlp_linear_update(w, slope, 3, 0.01), MLP_OK);
    ck_assert_double_eq_tol(w[0], -0.14, 1e-15);
    ck_assert_double_eq_tol(w[1], 1.72, 1e-15);
    ck_assert_double_eq_tol(w[2], 0.58, 1e-15);
    ck_assert_int_eq(mlp_linear_predict(&pred, gd_input, w, 1, 3), MLP_OK);
    ck_assert_int_eq(mlp_loss_error(&err, &pred, &gd_target, 1), MLP_OK);
    ck_assert_double_eq_tol(err, 5.04, 1e-14);
}
END_TEST

START_TEST(multiple_updates)
{
    /* The cut-off section, finished: 20 updates with learning rate 0.01. Each
     * update scales the error by 1 - 2 * 0.01 * |x|² = 1 - 0.02 * 14 = 0.72, so
     * after k updates error = 7 * 0.72^k and mse = 49 * 0.72^(2k). */
    double w[3] = {0, 2, 1}, hist[20];
    ck_assert_int_eq(mlp_linear_descend(w, hist, gd_input, &gd_target, 1, 3, 0.01, 20), MLP_OK);
    ck_assert_double_eq_tol(hist[0], 25.4016, 1e-13);
    for (int k = 1; k <= 20; k++) {
        double expect = 49.0 * pow(0.72, 2.0 * k);
        ck_assert_msg(tu_close(hist[k - 1], expect, 1e-12 * expect + 1e-300),
                      "update %d: mse %.17g, closed form %.17g", k, hist[k - 1], expect);
    }
    /* The weights moved along x by the summed steps: w = w0 - x * 0.02 * 7 * Σ 0.72^k. */
    double steps = 0;
    for (int k = 0; k < 20; k++) steps += pow(0.72, k);
    const double w0[3] = {0, 2, 1};
    for (int j = 0; j < 3; j++)
        ck_assert_double_eq_tol(w[j], w0[j] - gd_input[j] * 0.14 * steps, 1e-13);
}
END_TEST

static Suite *seed_suite(void)
{
    Suite *s = suite_create("seed");
    TCase *basics = tcase_create("01 basics");
    tcase_add_test(basics, forward_propagation);
    tcase_add_test(basics, tanh_activation);
    tcase_add_test(basics, relu_activation);
    tcase_add_test(basics, many_observations);
    tcase_add_test(basics, multi_layer);
    suite_add_tcase(s, basics);
    TCase *opt = tcase_create("02 optimization");
    tcase_add_test(opt, weight_changes);
    tcase_add_test(opt, mean_squared_error);
    tcase_add_test(opt, calculating_slopes);
    tcase_add_test(opt, improving_weights);
    tcase_add_test(opt, multiple_updates);
    suite_add_tcase(s, opt);
    return s;
}

TU_MAIN(seed_suite)
