/* Error and mean squared error. */
#include "test_util.h"

START_TEST(error_is_pred_minus_target)
{
    const double pred[3] = {9, 3, -1}, target[3] = {3, 3, 1};
    double err[3];
    ck_assert_int_eq(mlp_loss_error(err, pred, target, 3), MLP_OK);
    ck_assert_double_eq(err[0], 6);
    ck_assert_double_eq(err[1], 0);
    ck_assert_double_eq(err[2], -2);
    double p[2] = {5, 1}; /* err may alias pred */
    ck_assert_int_eq(mlp_loss_error(p, p, target, 2), MLP_OK);
    ck_assert_double_eq(p[0], 2);
    ck_assert_double_eq(p[1], -2);
}
END_TEST

START_TEST(mse_by_hand)
{
    const double pred[4] = {9, 9, 0, 12}, target[4] = {1, 3, 5, 7};
    double mse;
    ck_assert_int_eq(mlp_loss_mse(&mse, pred, target, 4), MLP_OK);
    ck_assert_double_eq(mse, (64.0 + 36 + 25 + 25) / 4);
    ck_assert_int_eq(mlp_loss_mse(&mse, target, target, 4), MLP_OK);
    ck_assert_double_eq(mse, 0);
}
END_TEST

START_TEST(mse_of_a_matrix_is_sklearns_uniform_average)
{
    /* scikit-learn's mean_squared_error on 2 outputs averages the per-output
     * means: ((1 + 9) / 2 + (4 + 0) / 2) / 2 = 3.5. Row-major (2, 2). */
    const double pred[4] = {1, 2, 3, 4}, target[4] = {0, 0, 0, 4};
    double mse;
    ck_assert_int_eq(mlp_loss_mse(&mse, pred, target, 4), MLP_OK);
    ck_assert_double_eq(mse, 3.5);
}
END_TEST

START_TEST(nan_and_inf_show_in_the_loss)
{
    const double pred[2] = {1, NAN}, target[2] = {0, 0}, inf[2] = {INFINITY, 0};
    double mse = 0;
    ck_assert_int_eq(mlp_loss_mse(&mse, pred, target, 2), MLP_OK);
    ck_assert(isnan(mse));
    ck_assert_int_eq(mlp_loss_mse(&mse, inf, target, 2), MLP_OK);
    ck_assert(isinf(mse));
}
END_TEST

START_TEST(bad_input)
{
    double a[2] = {1, 2}, out = 42;
    ck_assert_int_eq(mlp_loss_error(NULL, a, a, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_error(a, NULL, a, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_error(a, a, NULL, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_error(a, a, a, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_mse(NULL, a, a, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_mse(&out, NULL, a, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_mse(&out, a, NULL, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_loss_mse(&out, a, a, 0), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(out, 42);
    ck_assert_double_eq(a[0], 1);
}
END_TEST

static Suite *loss_suite(void)
{
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("loss");
    tcase_add_test(tc, error_is_pred_minus_target);
    tcase_add_test(tc, mse_by_hand);
    tcase_add_test(tc, mse_of_a_matrix_is_sklearns_uniform_average);
    tcase_add_test(tc, nan_and_inf_show_in_the_loss);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(loss_suite)
