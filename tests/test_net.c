/* Networks: parameter layout, weight access, batched prediction against a
 * plain-loop reference, workspaces, and bad input. */
#include <limits.h>
#include <string.h>

#include "test_util.h"

static mlp_net *make(size_t n_inputs, const mlp_layer_spec *spec, size_t n_layers)
{
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, n_inputs, spec, n_layers), MLP_OK);
    ck_assert_ptr_nonnull(net);
    return net;
}

START_TEST(parameter_block_layout)
{
    /* 3 inputs -> 4 relu nodes with bias -> 2 identity nodes without. */
    const mlp_layer_spec spec[2] = {MLP_LAYER(4, MLP_ACT_RELU, 1),
                                    MLP_LAYER(2, MLP_ACT_IDENTITY, 0)};
    mlp_net *net = make(3, spec, 2);
    ck_assert_uint_eq(mlp_net_n_inputs(net), 3);
    ck_assert_uint_eq(mlp_net_n_outputs(net), 2);
    ck_assert_uint_eq(mlp_net_n_layers(net), 2);
    ck_assert_uint_eq(mlp_net_n_params(net), 3 * 4 + 4 + 4 * 2);

    double w1[12], b1[4], w2[8];
    for (int i = 0; i < 12; i++) w1[i] = 1 + i;
    for (int i = 0; i < 4; i++) b1[i] = 101 + i;
    for (int i = 0; i < 8; i++) w2[i] = 201 + i;
    ck_assert_int_eq(mlp_net_set_weights(net, 0, w1, 12), MLP_OK);
    ck_assert_int_eq(mlp_net_set_bias(net, 0, b1, 4), MLP_OK);
    ck_assert_int_eq(mlp_net_set_weights(net, 1, w2, 8), MLP_OK);

    /* W1, b1, W2, contiguous, in that order (docs/design.md). */
    const double *p = mlp_net_params_const(net);
    ck_assert_ptr_eq(p, mlp_net_params(net));
    for (int i = 0; i < 12; i++) ck_assert_double_eq(p[i], 1 + i);
    for (int i = 0; i < 4; i++) ck_assert_double_eq(p[12 + i], 101 + i);
    for (int i = 0; i < 8; i++) ck_assert_double_eq(p[16 + i], 201 + i);

    double back[12];
    ck_assert_int_eq(mlp_net_get_weights(net, 0, back, 12), MLP_OK);
    ck_assert_mem_eq(back, w1, sizeof w1);
    ck_assert_int_eq(mlp_net_get_bias(net, 0, back, 4), MLP_OK);
    ck_assert_mem_eq(back, b1, sizeof b1);

    mlp_layer_spec got = MLP_LAYER(0, MLP_ACT_IDENTITY, 0);
    size_t in = 0;
    ck_assert_int_eq(mlp_net_layer(net, 1, &got, &in), MLP_OK);
    ck_assert_uint_eq(got.size, 2);
    ck_assert_int_eq(got.activation, MLP_ACT_IDENTITY);
    ck_assert_int_eq(got.bias, 0);
    ck_assert_uint_eq(in, 4);
    mlp_net_free(net);
}
END_TEST

/* A new network is ready to train (1.5): each layer's weights drawn for its activation
 * (He normal for a rectifier: sd √(2/in); Xavier uniform for the others: within
 * √(6/(in+out)), sd a/√3), the same from one creation to the next, biases 0. The
 * expected spreads are the schemes' definitions, not the library's draw. */
START_TEST(weights_start_drawn)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(100, MLP_ACT_RELU, 1),
                                    MLP_LAYER(80, MLP_ACT_TANH, 1),
                                    MLP_LAYER(3, MLP_ACT_SIGMOID, 1)};
    mlp_net *net = make(200, spec, 3), *again = make(200, spec, 3);
    const double *p = mlp_net_params_const(net);
    ck_assert_mem_eq(p, mlp_net_params_const(again), mlp_net_n_params(net) * sizeof *p);
    struct { size_t in, out; int he; } L[3] = {{200, 100, 1}, {100, 80, 0}, {80, 3, 0}};
    size_t off = 0;
    for (int l = 0; l < 3; l++) {
        const size_t cells = L[l].in * L[l].out;
        double sum = 0, sq = 0, most = 0;
        for (size_t i = 0; i < cells; i++) {
            sum += p[off + i];
            sq += p[off + i] * p[off + i];
            most = fmax(most, fabs(p[off + i]));
        }
        const double sd = sqrt(sq / (double)cells - (sum / (double)cells) * (sum / (double)cells));
        const double a = sqrt(6.0 / (double)(L[l].in + L[l].out));
        const double want = L[l].he ? sqrt(2.0 / (double)L[l].in) : a / sqrt(3.0);
        /* the sample deviation of 20,000 (8,000; 240) draws: within 3 %, 5 %, 20 % */
        ck_assert_double_eq_tol(sd / want, 1.0, l == 0 ? 0.03 : l == 1 ? 0.05 : 0.2);
        if (L[l].he) ck_assert(most > a); /* a normal's tail passes the uniform's bound */
        else ck_assert(most <= a);
        off += cells;
        for (size_t j = 0; j < L[l].out; j++) ck_assert_double_eq(p[off + j], 0); /* bias */
        off += L[l].out;
    }
    /* zeros only on request */
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_ZEROS, 7), MLP_OK);
    for (size_t i = 0; i < mlp_net_n_params(net); i++) ck_assert_double_eq(p[i], 0);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    double x[200] = {1, 2, 3}, y[3];
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, 1), MLP_OK);
    for (int i = 0; i < 3; i++) ck_assert_double_eq(y[i], 0.5); /* sigmoid(0) */
    mlp_workspace_free(ws);
    mlp_net_free(net);
    mlp_net_free(again);
}
END_TEST

/* Random network: depth 1-4, widths 1-40, random activations and bias flags. */
static mlp_net *random_net(uint64_t *rng)
{
    mlp_layer_spec spec[4];
    size_t n_layers = 1 + tu_next(rng) % 4, n_inputs = 1 + tu_next(rng) % 40;
    for (size_t l = 0; l < n_layers; l++) {
        const size_t size = 1 + tu_next(rng) % 40;
        const mlp_activation act =
            (mlp_activation)(tu_next(rng) % (uint64_t)tu_unknown_activation());
        spec[l] =
            (mlp_layer_spec)MLP_LAYER(size, act, (int)(tu_next(rng) % 2)); /* every activation */
    }
    mlp_net *net = make(n_inputs, spec, n_layers);
    tu_fill(rng, mlp_net_params(net), mlp_net_n_params(net), -1, 1);
    return net;
}

START_TEST(forward_matches_plain_loops)
{
    uint64_t rng = 42;
    const size_t batches[] = {1, 2, 3, 7, 33, 100};
    for (int trial = 0; trial < 60; trial++) {
        mlp_net *net = random_net(&rng);
        size_t n_in = mlp_net_n_inputs(net), n_out = mlp_net_n_outputs(net);
        size_t n = batches[trial % 6];
        double *x = malloc(n * n_in * sizeof *x), *y = malloc(n * n_out * sizeof *y);
        double *ref = malloc(n * n_out * sizeof *ref);
        tu_fill(&rng, x, n * n_in, -2, 2);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, n), MLP_OK);
        ck_assert_int_eq(mlp_net_predict(net, ws, y, x, n), MLP_OK);
        ck_assert_int_eq(tu_reference_predict(net, ref, x, n), 0);
        for (size_t i = 0; i < n * n_out; i++)
            ck_assert_msg(tu_close(y[i], ref[i], 1e-13), "trial %d: y[%zu] = %.17g, ref %.17g",
                          trial, i, y[i], ref[i]);
        mlp_workspace_free(ws);
        free(x);
        free(y);
        free(ref);
        mlp_net_free(net);
    }
}
END_TEST

START_TEST(batch_equals_row_by_row)
{
    uint64_t rng = 7;
    const mlp_layer_spec spec[3] = {MLP_LAYER(16, MLP_ACT_RELU, 1), MLP_LAYER(8, MLP_ACT_TANH, 1),
                                    MLP_LAYER(3, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = make(5, spec, 3);
    tu_fill(&rng, mlp_net_params(net), mlp_net_n_params(net), -1, 1);
    enum { N = 50 };
    double x[N * 5], y[N * 3], y1[3];
    tu_fill(&rng, x, N * 5, -3, 3);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, N), MLP_OK);
    for (int r = 0; r < N; r++) {
        /* a smaller batch through the same workspace */
        ck_assert_int_eq(mlp_net_predict(net, ws, y1, x + r * 5, 1), MLP_OK);
        for (int j = 0; j < 3; j++) ck_assert(tu_close(y1[j], y[r * 3 + j], 1e-14));
    }
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(hidden_layer_values)
{
    /* Each layer's output equals the reference output of the network cut after it. */
    uint64_t rng = 99;
    const mlp_layer_spec spec[3] = {MLP_LAYER(6, MLP_ACT_SIGMOID, 1), MLP_LAYER(4, MLP_ACT_RELU, 0),
                                    MLP_LAYER(2, MLP_ACT_TANH, 1)};
    mlp_net *net = make(3, spec, 3);
    tu_fill(&rng, mlp_net_params(net), mlp_net_n_params(net), -1, 1);
    double x[4 * 3], y[4 * 2];
    tu_fill(&rng, x, 12, -1, 1);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    const double *v;
    ck_assert_int_eq(mlp_workspace_layer_output(ws, 0, &v, NULL, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, 4), MLP_OK);
    for (size_t cut = 1; cut <= 3; cut++) {
        mlp_net *part = make(3, spec, cut);
        memcpy(mlp_net_params(part), mlp_net_params_const(net),
               mlp_net_n_params(part) * sizeof(double));
        double ref[4 * 6];
        ck_assert_int_eq(tu_reference_predict(part, ref, x, 4), 0);
        size_t rows, cols;
        ck_assert_int_eq(mlp_workspace_layer_output(ws, cut - 1, &v, &rows, &cols), MLP_OK);
        ck_assert_uint_eq(rows, 4);
        ck_assert_uint_eq(cols, spec[cut - 1].size);
        for (size_t i = 0; i < rows * cols; i++) ck_assert(tu_close(v[i], ref[i], 1e-14));
        mlp_net_free(part);
    }
    ck_assert_mem_eq(v, y, sizeof y); /* the last layer's output is the prediction */
    ck_assert_int_eq(mlp_workspace_layer_output(ws, 3, &v, NULL, NULL), MLP_ERR_INVALID_ARG);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(workspace_serves_any_net_of_the_shape)
{
    const mlp_layer_spec spec[1] = {MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *a = make(2, spec, 1), *b = make(2, spec, 1);
    const double wa[4] = {1, 0, 0, 1}, wb[4] = {0, 1, 1, 0}, bias[2] = {10, 20};
    mlp_net_set_weights(a, 0, wa, 4);
    mlp_net_set_weights(b, 0, wb, 4);
    mlp_net_set_bias(b, 0, bias, 2);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, a, 1), MLP_OK);
    ck_assert_uint_eq(mlp_workspace_max_batch(ws), 1);
    const double x[2] = {3, 4};
    double y[2];
    ck_assert_int_eq(mlp_net_predict(a, ws, y, x, 1), MLP_OK);
    ck_assert_double_eq(y[0], 3);
    ck_assert_double_eq(y[1], 4);
    ck_assert_int_eq(mlp_net_predict(b, ws, y, x, 1), MLP_OK);
    ck_assert_double_eq(y[0], 14);
    ck_assert_double_eq(y[1], 23);
    mlp_workspace_free(ws);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

START_TEST(create_rejects_bad_specs)
{
    mlp_layer_spec ok = MLP_LAYER(3, MLP_ACT_RELU, 1);
    mlp_net *net = (mlp_net *)&ok; /* must come back NULL */
    ck_assert_int_eq(mlp_net_create(NULL, 2, &ok, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_create(&net, 2, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(net);
    ck_assert_int_eq(mlp_net_create(&net, 0, &ok, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_create(&net, 2, &ok, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_create(&net, (size_t)INT_MAX + 1, &ok, 1), MLP_ERR_INVALID_ARG);
    mlp_layer_spec bad = MLP_LAYER(0, MLP_ACT_RELU, 1);
    ck_assert_int_eq(mlp_net_create(&net, 2, &bad, 1), MLP_ERR_INVALID_ARG);
    ck_assert_str_eq(mlp_error_detail(), "mlp_net_create: layer 0 has size 0, must be 1 to 2147483647");
    bad = (mlp_layer_spec)MLP_LAYER(3, (mlp_activation)17, 1);
    ck_assert_int_eq(mlp_net_create(&net, 2, &bad, 1), MLP_ERR_INVALID_ARG);
    bad = (mlp_layer_spec)MLP_LAYER(SIZE_MAX, MLP_ACT_RELU, 1);
    ck_assert_int_eq(mlp_net_create(&net, 2, &bad, 1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(net);

    /* Sizes each allowed, whose parameter count overflows: refused before allocating. */
    mlp_layer_spec huge[2] = {MLP_LAYER(INT_MAX, MLP_ACT_RELU, 1),
                              MLP_LAYER(INT_MAX, MLP_ACT_RELU, 1)};
    ck_assert_int_eq(mlp_net_create(&net, INT_MAX, huge, 2), MLP_ERR_NOMEM);
    ck_assert_ptr_null(net);

    mlp_layer_spec *deep = calloc(5000, sizeof *deep);
    for (int i = 0; i < 5000; i++) deep[i] = ok;
    ck_assert_int_eq(mlp_net_create(&net, 2, deep, 5000), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_create(&net, 2, deep, 4096), MLP_OK); /* the limit itself is fine */
    mlp_net_free(net);
    free(deep);
}
END_TEST

START_TEST(accessors_reject_bad_input)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(3, MLP_ACT_RELU, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 0)};
    mlp_net *net = make(2, spec, 2);
    double w[6] = {1, 2, 3, 4, 5, 6};
    ck_assert_int_eq(mlp_net_set_weights(net, 0, w, 6), MLP_OK);
    double before[7];
    memcpy(before, mlp_net_params_const(net), sizeof before);

    ck_assert_int_eq(mlp_net_set_weights(NULL, 0, w, 6), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_set_weights(net, 0, NULL, 6), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_set_weights(net, 2, w, 6), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_set_weights(net, 0, w, 5), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_set_weights(net, 1, w, 6), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_set_bias(net, 1, w, 1), MLP_ERR_INVALID_ARG); /* no bias */
    ck_assert_str_eq(mlp_error_detail(), "mlp_net_set_bias: layer 1 has no bias");
    ck_assert_int_eq(mlp_net_get_bias(net, 1, w, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_set_bias(net, 0, w, 2), MLP_ERR_SHAPE);
    double nan_w[6] = {9, 9, 9, NAN, 9, 9}, inf_b[3] = {0, INFINITY, 0};
    ck_assert_int_eq(mlp_net_set_weights(net, 0, nan_w, 6), MLP_ERR_NUMERIC);
    ck_assert_int_eq(mlp_net_set_bias(net, 0, inf_b, 3), MLP_ERR_NUMERIC);
    ck_assert_mem_eq(mlp_net_params_const(net), before, sizeof before); /* nothing changed */

    double out[6] = {0};
    ck_assert_int_eq(mlp_net_get_weights(NULL, 0, out, 6), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_get_weights(net, 0, NULL, 6), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_get_weights(net, 0, out, 7), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_get_weights(net, SIZE_MAX, out, 6), MLP_ERR_INVALID_ARG);
    for (int i = 0; i < 6; i++) ck_assert_double_eq(out[i], 0);

    mlp_layer_spec s = MLP_LAYER(0, MLP_ACT_IDENTITY, 0);
    ck_assert_int_eq(mlp_net_layer(NULL, 0, &s, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_layer(net, 0, NULL, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_layer(net, 2, &s, NULL), MLP_ERR_INVALID_ARG);

    ck_assert_uint_eq(mlp_net_n_inputs(NULL), 0);
    ck_assert_uint_eq(mlp_net_n_outputs(NULL), 0);
    ck_assert_uint_eq(mlp_net_n_layers(NULL), 0);
    ck_assert_uint_eq(mlp_net_n_params(NULL), 0);
    ck_assert_ptr_null(mlp_net_params(NULL));
    ck_assert_ptr_null(mlp_net_params_const(NULL));
    mlp_net_free(NULL);
    mlp_net_free(net);
}
END_TEST

START_TEST(predict_rejects_bad_input)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(3, MLP_ACT_RELU, 1),
                                    MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    const mlp_layer_spec other[2] = {MLP_LAYER(4, MLP_ACT_RELU, 1),
                                     MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = make(2, spec, 2), *net2 = make(2, other, 2), *net3 = make(3, spec, 2);
    mlp_net *net4 = make(2, spec, 1);
    mlp_workspace *ws = (mlp_workspace *)net, *ws2, *ws3, *ws4;
    ck_assert_int_eq(mlp_workspace_create(NULL, net, 4), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_create(&ws, NULL, 4), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(ws);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, (size_t)INT_MAX + 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&ws2, net2, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&ws3, net3, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&ws4, net4, 4), MLP_OK);

    double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, y[10];
    for (int i = 0; i < 10; i++) y[i] = -1;
    ck_assert_int_eq(mlp_net_predict(NULL, ws, y, x, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict(net, NULL, y, x, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict(net, ws, NULL, x, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, 5), MLP_ERR_SHAPE);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_net_predict: batch of 5 rows exceeds the workspace's maximum of 4");
    ck_assert_int_eq(mlp_net_predict(net, ws2, y, x, 1), MLP_ERR_SHAPE);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_net_predict: workspace layer 0 has 4 nodes, the network's has 3");
    ck_assert_int_eq(mlp_net_predict(net, ws3, y, x, 1), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_predict(net, ws4, y, x, 1), MLP_ERR_SHAPE);
    for (int i = 0; i < 10; i++) ck_assert_double_eq(y[i], -1); /* untouched */

    const double *v;
    ck_assert_int_eq(mlp_workspace_layer_output(NULL, 0, &v, NULL, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_layer_output(ws, 0, NULL, NULL, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(mlp_workspace_max_batch(NULL), 0);
    mlp_workspace_free(NULL);

    mlp_workspace_free(ws);
    mlp_workspace_free(ws2);
    mlp_workspace_free(ws3);
    mlp_workspace_free(ws4);
    mlp_net_free(net);
    mlp_net_free(net2);
    mlp_net_free(net3);
    mlp_net_free(net4);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net");
    tcase_add_test(tc, parameter_block_layout);
    tcase_add_test(tc, weights_start_drawn);
    tcase_add_test(tc, forward_matches_plain_loops);
    tcase_add_test(tc, batch_equals_row_by_row);
    tcase_add_test(tc, hidden_layer_values);
    tcase_add_test(tc, workspace_serves_any_net_of_the_shape);
    tcase_add_test(tc, create_rejects_bad_specs);
    tcase_add_test(tc, accessors_reject_bad_input);
    tcase_add_test(tc, predict_rejects_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(net_suite)
