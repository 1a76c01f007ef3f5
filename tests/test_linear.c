/* Gradient descent on a linear model: slopes, updates, convergence to the
 * least-squares solution, divergence, bad input. */
#include <string.h>

#include "test_util.h"

START_TEST(slope_of_many_rows_is_the_mean)
{
    uint64_t rng = 5;
    enum { N = 9, D = 4 };
    double x[N * D], err[N], slope[D];
    tu_fill(&rng, x, N * D, -2, 2);
    tu_fill(&rng, err, N, -1, 1);
    ck_assert_int_eq(mlp_linear_slope(slope, x, err, N, D), MLP_OK);
    for (int j = 0; j < D; j++) {
        double mean = 0; /* the tutorial's 2 * input * error, averaged over rows */
        for (int i = 0; i < N; i++) mean += 2 * x[i * D + j] * err[i];
        mean /= N;
        ck_assert_double_eq_tol(slope[j], mean, 1e-14);
    }
}
END_TEST

START_TEST(slope_is_the_gradient_of_the_mse)
{
    /* Central differences of the MSE in each weight. */
    uint64_t rng = 11;
    enum { N = 6, D = 3 };
    double x[N * D], t[N], w[D], pred[N], err[N], slope[D];
    tu_fill(&rng, x, N * D, -1, 1);
    tu_fill(&rng, t, N, -1, 1);
    tu_fill(&rng, w, D, -1, 1);
    mlp_linear_predict(pred, x, w, N, D);
    mlp_loss_error(err, pred, t, N);
    ck_assert_int_eq(mlp_linear_slope(slope, x, err, N, D), MLP_OK);
    for (int j = 0; j < D; j++) {
        const double h = 1e-6, keep = w[j];
        double up, down;
        w[j] = keep + h;
        mlp_linear_predict(pred, x, w, N, D);
        mlp_loss_mse(&up, pred, t, N);
        w[j] = keep - h;
        mlp_linear_predict(pred, x, w, N, D);
        mlp_loss_mse(&down, pred, t, N);
        w[j] = keep;
        ck_assert_double_eq_tol(slope[j], (up - down) / (2 * h), 1e-8);
    }
}
END_TEST

START_TEST(predict_and_update_by_hand)
{
    const double x[6] = {1, 2, 3, -1, 0, 4}, w[3] = {0, 2, 1};
    double pred[2];
    ck_assert_int_eq(mlp_linear_predict(pred, x, w, 2, 3), MLP_OK);
    ck_assert_double_eq(pred[0], 7);
    ck_assert_double_eq(pred[1], 4);
    double v[3] = {1, 1, 1};
    const double s[3] = {10, -20, 0.5};
    ck_assert_int_eq(mlp_linear_update(v, s, 3, 0.5), MLP_OK);
    ck_assert_double_eq(v[0], -4);
    ck_assert_double_eq(v[1], 11);
    ck_assert_double_eq(v[2], 0.75);
}
END_TEST

/* X = [[1,0],[0,1],[1,1]], y = [1,2,4]. Normal equations XᵀX w = Xᵀy:
 * [[2,1],[1,2]] w = [5,6], so w = [4/3, 7/3]; residuals ±1/3, MSE 1/9. */
static const double ls_x[6] = {1, 0, 0, 1, 1, 1}, ls_y[3] = {1, 2, 4};

START_TEST(descent_reaches_least_squares)
{
    double w[2] = {0, 0}, hist[2000];
    ck_assert_int_eq(mlp_linear_descend(w, hist, ls_x, ls_y, 3, 2, 0.1, 2000), MLP_OK);
    ck_assert_double_eq_tol(w[0], 4.0 / 3, 1e-12);
    ck_assert_double_eq_tol(w[1], 7.0 / 3, 1e-12);
    ck_assert_double_eq_tol(hist[1999], 1.0 / 9, 1e-12);
    for (int k = 1; k < 2000; k++) ck_assert(hist[k] <= hist[k - 1] + 1e-15); /* never rises */
}
END_TEST

START_TEST(history_may_be_null_and_zero_updates_do_nothing)
{
    double w[2] = {0, 0}, w2[2] = {0, 0}, hist[50];
    ck_assert_int_eq(mlp_linear_descend(w, NULL, ls_x, ls_y, 3, 2, 0.1, 50), MLP_OK);
    ck_assert_int_eq(mlp_linear_descend(w2, hist, ls_x, ls_y, 3, 2, 0.1, 50), MLP_OK);
    ck_assert_mem_eq(w, w2, sizeof w);
    ck_assert_int_eq(mlp_linear_descend(w, NULL, ls_x, ls_y, 3, 2, 0.1, 0), MLP_OK);
    ck_assert_mem_eq(w, w2, sizeof w);
}
END_TEST

START_TEST(divergence_stops_with_the_last_good_weights)
{
    /* The largest Hessian eigenvalue is 2, so a learning rate of 10 multiplies the
     * error by about 19 per update until the loss overflows. */
    double w[2] = {0, 0}, hist[1000];
    for (int i = 0; i < 1000; i++) hist[i] = -1;
    ck_assert_int_eq(mlp_linear_descend(w, hist, ls_x, ls_y, 3, 2, 10, 1000), MLP_ERR_NUMERIC);
    ck_assert(isfinite(w[0]) && isfinite(w[1]));
    double pred[3], mse;
    mlp_linear_predict(pred, ls_x, w, 3, 2);
    mlp_loss_mse(&mse, pred, ls_y, 3);
    ck_assert(isfinite(mse));
    int k = 0;
    while (k < 1000 && hist[k] != -1) ck_assert(isfinite(hist[k++]));
    ck_assert_int_gt(k, 10);
    ck_assert_int_lt(k, 1000);
    ck_assert_double_eq(hist[k - 1], mse); /* the weights kept are those of the last entry */
}
END_TEST

START_TEST(nan_in_the_data_keeps_the_weights)
{
    const double x[4] = {1, 2, NAN, 1}, y[2] = {1, 1};
    double w[2] = {0.5, -0.5};
    ck_assert_int_eq(mlp_linear_descend(w, NULL, x, y, 2, 2, 0.01, 5), MLP_ERR_NUMERIC);
    ck_assert_double_eq(w[0], 0.5);
    ck_assert_double_eq(w[1], -0.5);
}
END_TEST

START_TEST(bad_input)
{
    double x[4] = {1, 2, 3, 4}, w[2] = {1, 1}, out[2] = {9, 9};
    ck_assert_int_eq(mlp_linear_predict(NULL, x, w, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_predict(out, NULL, w, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_predict(out, x, NULL, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_predict(out, x, w, 0, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_predict(out, x, w, 2, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_predict(out, x, w, (size_t)1 << 40, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_slope(NULL, x, w, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_slope(out, NULL, w, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_slope(out, x, NULL, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_slope(out, x, w, 2, 0), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(out[0], 9);
    ck_assert_int_eq(mlp_linear_update(NULL, x, 2, 0.1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_update(w, NULL, 2, 0.1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_update(w, x, 0, 0.1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_update(w, x, 2, NAN), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_update(w, x, 2, INFINITY), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_descend(NULL, NULL, x, w, 2, 2, 0.1, 3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_descend(w, NULL, NULL, w, 2, 2, 0.1, 3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_descend(w, NULL, x, NULL, 2, 2, 0.1, 3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_descend(w, NULL, x, w, 0, 2, 0.1, 3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_linear_descend(w, NULL, x, w, 2, 2, NAN, 3), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(w[0], 1);
    ck_assert_double_eq(w[1], 1);
}
END_TEST

static Suite *linear_suite(void)
{
    Suite *s = suite_create("linear");
    TCase *tc = tcase_create("linear");
    tcase_add_test(tc, slope_of_many_rows_is_the_mean);
    tcase_add_test(tc, slope_is_the_gradient_of_the_mse);
    tcase_add_test(tc, predict_and_update_by_hand);
    tcase_add_test(tc, descent_reaches_least_squares);
    tcase_add_test(tc, history_may_be_null_and_zero_updates_do_nothing);
    tcase_add_test(tc, divergence_stops_with_the_last_good_weights);
    tcase_add_test(tc, nan_in_the_data_keeps_the_weights);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(linear_suite)
