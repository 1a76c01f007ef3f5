/* Weight initialization: ranges, spreads, orthogonality, reproducibility; for float64
 * and float32 networks (a float32 network's draw is float64's, each value rounded). */
#include <float.h>
#include <string.h>

#include "test_util.h"

static mlp_net *make(size_t in, size_t out1, size_t out2)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(out1, MLP_ACT_RELU, 1),
                                    MLP_LAYER(out2, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(
        mlp_net_create_precision(&net, in, spec, 2,
                                 tu_single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
        MLP_OK);
    return net;
}

static void weights(const mlp_net *net, size_t layer, double *w)
{
    mlp_layer_spec s = MLP_LAYER(0, MLP_ACT_IDENTITY, 0);
    size_t in;
    mlp_net_layer(net, layer, &s, &in);
    ck_assert_int_eq(mlp_net_get_weights(net, layer, w, s.size * in), MLP_OK);
}

START_TEST(uniform_and_xavier_stay_in_their_bounds)
{
    tu_single = _i;
    mlp_net *net = make(50, 30, 10);
    static double w[50 * 30];
    const mlp_init kinds[2] = {MLP_INIT_UNIFORM, MLP_INIT_XAVIER};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(mlp_net_init(net, kinds[k], 123), MLP_OK);
        weights(net, 0, w);
        /* (a float32 draw may round to the float just past the bound) */
        const double bound = (k == 0 ? 1 / sqrt(50.0) : sqrt(6.0 / (50 + 30))) *
                             (tu_single ? 1 + (double)FLT_EPSILON : 1);
        double lo = 1, hi = -1, mean = 0, sq = 0;
        for (int i = 0; i < 1500; i++) {
            ck_assert(fabs(w[i]) <= bound);
            lo = fmin(lo, w[i]);
            hi = fmax(hi, w[i]);
            mean += w[i] / 1500;
            sq += w[i] * w[i] / 1500;
        }
        /* 1500 draws of U(-b, b): they reach near both ends, mean ~0, variance b²/3 */
        ck_assert(lo < -0.95 * bound && hi > 0.95 * bound);
        ck_assert(fabs(mean) < 0.05 * bound);
        ck_assert_double_eq_tol(sq, bound * bound / 3, 0.1 * bound * bound / 3);
    }
    mlp_net_free(net);
}
END_TEST

START_TEST(he_has_the_right_spread)
{
    tu_single = _i;
    mlp_net *net = make(200, 100, 1);
    static double w[200 * 100];
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 9), MLP_OK);
    weights(net, 0, w);
    double mean = 0, sq = 0;
    for (int i = 0; i < 20000; i++) {
        mean += w[i] / 20000;
        sq += w[i] * w[i] / 20000;
    }
    /* N(0, 2/200): standard error of the variance over 20000 draws is about 1% */
    ck_assert(fabs(mean) < 0.003);
    ck_assert_double_eq_tol(sq, 0.01, 0.0005);
    mlp_net_free(net);
}
END_TEST

/* max |(M Mᵀ)_ij - δ_ij| for rows (rows_orth) or MᵀM for columns of an (r, c) matrix */
static double orth_error(const double *m, size_t r, size_t c, int rows_orth)
{
    double worst = 0;
    const size_t n = rows_orth ? r : c;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double dot = 0;
            if (rows_orth)
                for (size_t k = 0; k < c; k++) dot += m[i * c + k] * m[j * c + k];
            else
                for (size_t k = 0; k < r; k++) dot += m[k * c + i] * m[k * c + j];
            worst = fmax(worst, fabs(dot - (i == j)));
        }
    return worst;
}

START_TEST(orthogonal_is_orthonormal)
{
    tu_single = _i;
    /* float64: 1e-14; float32: each value rounded, so a dot product of 20 is off by
     * about ε of float (1.2e-7): 1e-6 */
    const double tol = tu_single ? 1e-6 : 1e-14;
    /* layer 0 is (20, 8): orthonormal columns; layer 1 is (5, 20): orthonormal rows */
    mlp_net *net = make(8, 20, 5);
    double w0[160], w1[100];
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_ORTHOGONAL, 4), MLP_OK);
    weights(net, 0, w0);
    weights(net, 1, w1);
    ck_assert_double_lt(orth_error(w0, 20, 8, 0), tol);
    ck_assert_double_lt(orth_error(w1, 5, 20, 1), tol);
    mlp_net_free(net);
    /* square */
    net = make(6, 6, 6);
    double sq[36];
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_ORTHOGONAL, 5), MLP_OK);
    weights(net, 0, sq);
    ck_assert_double_lt(orth_error(sq, 6, 6, 1), tol);
    ck_assert_double_lt(orth_error(sq, 6, 6, 0), tol);
    mlp_net_free(net);
}
END_TEST

START_TEST(same_seed_same_weights_and_zero_biases)
{
    tu_single = _i;
    for (int kind = MLP_INIT_UNIFORM; kind <= MLP_INIT_ORTHOGONAL; kind++) {
        mlp_net *a = make(7, 9, 3), *b = make(7, 9, 3);
        double fives[200]; /* overwritten by the draw */
        for (size_t i = 0; i < 200; i++) fives[i] = 5;
        ck_assert_int_eq(mlp_net_set_weights(a, 0, fives, 7 * 9), MLP_OK);
        ck_assert_int_eq(mlp_net_set_bias(a, 0, fives, 9), MLP_OK);
        ck_assert_int_eq(mlp_net_init(a, (mlp_init)kind, 77), MLP_OK);
        ck_assert_int_eq(mlp_net_init(b, (mlp_init)kind, 77), MLP_OK);
        size_t bytes;
        const void *pa = tu_params_of(a, &bytes), *pb = tu_params_of(b, &bytes);
        ck_assert_mem_eq(pa, pb, bytes);
        double bias[9];
        ck_assert_int_eq(mlp_net_get_bias(a, 0, bias, 9), MLP_OK);
        for (int i = 0; i < 9; i++) ck_assert_double_eq(bias[i], 0);
        ck_assert_int_eq(mlp_net_init(b, (mlp_init)kind, 78), MLP_OK);
        ck_assert(memcmp(pa, pb, bytes) != 0);
        mlp_net_free(a);
        mlp_net_free(b);
    }
}
END_TEST

START_TEST(bad_input)
{
    mlp_net *net = make(3, 4, 2);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 1), MLP_OK);
    double before[26];
    memcpy(before, mlp_net_params_const(net), sizeof before);
    ck_assert_int_eq(mlp_net_init(NULL, MLP_INIT_HE, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_init(net, (mlp_init)6, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_init(net, (mlp_init)-1, 1), MLP_ERR_INVALID_ARG);
    ck_assert_mem_eq(mlp_net_params_const(net), before, sizeof before);
    mlp_net_free(net);
}
END_TEST

static Suite *init_suite(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("init");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_add_loop_test(tc, uniform_and_xavier_stay_in_their_bounds, 0, 2); /* both precisions */
    tcase_add_loop_test(tc, he_has_the_right_spread, 0, 2);                 /* both precisions */
    tcase_add_loop_test(tc, orthogonal_is_orthonormal, 0, 2);               /* both precisions */
    tcase_add_loop_test(tc, same_seed_same_weights_and_zero_biases, 0, 2);  /* both precisions */
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(init_suite)
