/* One-hot encoding, argmax, accuracy. */
#include "test_util.h"

START_TEST(onehot_by_hand)
{
    const size_t labels[4] = {2, 0, 1, 2};
    double out[12];
    ck_assert_int_eq(mlp_onehot(out, labels, 4, 3), MLP_OK);
    const double expect[12] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    for (int i = 0; i < 12; i++) ck_assert_double_eq(out[i], expect[i]);
    const size_t bad[2] = {1, 3};
    double keep[6] = {7, 7, 7, 7, 7, 7};
    ck_assert_int_eq(mlp_onehot(keep, bad, 2, 3), MLP_ERR_INVALID_ARG);
    ck_assert_str_eq(mlp_error_detail(), "mlp_onehot: label 3 of row 1 is not below k = 3");
    for (int i = 0; i < 6; i++) ck_assert_double_eq(keep[i], 7);
}
END_TEST

START_TEST(argmax_takes_the_first_of_ties)
{
    const double scores[9] = {0.1, 0.7, 0.2, 5, 5, 1, -3, -2, -1};
    size_t labels[3];
    ck_assert_int_eq(mlp_argmax(labels, scores, 3, 3), MLP_OK);
    ck_assert_uint_eq(labels[0], 1);
    ck_assert_uint_eq(labels[1], 0);
    ck_assert_uint_eq(labels[2], 2);
}
END_TEST

START_TEST(accuracy_binary_and_multiclass)
{
    const double p1[4] = {0.9, 0.2, 0.5, 0.49}, t1[4] = {1, 0, 0, 1};
    double acc;
    ck_assert_int_eq(mlp_accuracy(&acc, p1, t1, 4, 1), MLP_OK);
    ck_assert_double_eq(acc, 0.5); /* rows 0 and 1 right; 0.5 counts as class 1 */
    const double p3[6] = {0.1, 0.8, 0.1, 0.6, 0.3, 0.1}, t3[6] = {0, 1, 0, 0, 0, 1};
    ck_assert_int_eq(mlp_accuracy(&acc, p3, t3, 2, 3), MLP_OK);
    ck_assert_double_eq(acc, 0.5);
}
END_TEST

START_TEST(bad_input)
{
    double d[4] = {0};
    size_t l[2] = {0, 0};
    double acc = 3;
    ck_assert_int_eq(mlp_onehot(NULL, l, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_onehot(d, NULL, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_onehot(d, l, 0, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_onehot(d, l, 2, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_onehot(d, l, SIZE_MAX / 2, 4), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_argmax(NULL, d, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_argmax(l, NULL, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_argmax(l, d, 2, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_accuracy(NULL, d, d, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_accuracy(&acc, NULL, d, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_accuracy(&acc, d, NULL, 2, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_accuracy(&acc, d, d, 0, 2), MLP_ERR_INVALID_ARG);
    ck_assert_double_eq(acc, 3);
}
END_TEST

static Suite *classify_suite(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("classify");
    tcase_add_test(tc, onehot_by_hand);
    tcase_add_test(tc, argmax_takes_the_first_of_ties);
    tcase_add_test(tc, accuracy_binary_and_multiclass);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(classify_suite)
