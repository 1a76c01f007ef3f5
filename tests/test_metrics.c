/* Splitting and scoring. Scores are checked against scikit-learn 1.2.1 on the same
 * vectors (confusion_matrix, precision_recall_fscore_support with zero_division=0,
 * mean_squared_error, mean_absolute_error, r2_score; the values printed by it are
 * the expected ones below); splits against their definition. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

START_TEST(confusion_and_class_scores_match_scikit_learn)
{
    const size_t t[10] = {0, 0, 1, 2, 2, 2, 1, 0, 2, 1}, p[10] = {0, 1, 1, 2, 0, 2, 1, 0, 2, 2};
    size_t m[9];
    ck_assert_int_eq(mlp_confusion(m, t, p, 10, 3), MLP_OK);
    const size_t want[9] = {2, 1, 0, 0, 2, 1, 1, 0, 3};
    for (int i = 0; i < 9; i++) ck_assert_uint_eq(m[i], want[i]);
    double pr[3], rc[3], f1[3];
    ck_assert_int_eq(mlp_class_scores(pr, rc, f1, m, 3), MLP_OK);
    const double w[3] = {0.6666666666666666, 0.6666666666666666, 0.75};
    for (int c = 0; c < 3; c++) {
        ck_assert_double_eq_tol(pr[c], w[c], 1e-15);
        ck_assert_double_eq_tol(rc[c], w[c], 1e-15);
        ck_assert_double_eq_tol(f1[c], w[c], 1e-15);
    }
    /* classes never predicted and never present: 0, as zero_division=0 */
    const size_t t2[3] = {0, 0, 0}, p2[3] = {1, 2, 0};
    ck_assert_int_eq(mlp_confusion(m, t2, p2, 3, 3), MLP_OK);
    ck_assert_int_eq(mlp_class_scores(pr, rc, f1, m, 3), MLP_OK);
    ck_assert_double_eq(pr[0], 1.0);
    ck_assert_double_eq_tol(rc[0], 0.3333333333333333, 1e-16);
    ck_assert_double_eq_tol(f1[0], 0.5, 1e-16);
    ck_assert_double_eq(pr[1], 0.0);
    ck_assert_double_eq(f1[2], 0.0);
    const size_t bad[1] = {3};
    ck_assert_int_eq(mlp_confusion(m, bad, p2, 1, 3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_class_scores(pr, rc, f1, NULL, 3), MLP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(regression_scores_match_scikit_learn)
{
    const double t[8] = {1, 10, 2, 20, 3, 35, 4, 41}, p[8] = {1.5, 11, 1.5, 19, 3.25, 30, 4, 44};
    double mse, mae, r2;
    ck_assert_int_eq(mlp_regression_scores(&mse, &mae, &r2, p, t, 4, 2), MLP_OK);
    ck_assert_double_eq_tol(mse, 4.5703125, 1e-15);
    ck_assert_double_eq_tol(mae, 1.40625, 1e-15);
    ck_assert_double_eq_tol(r2, 0.9135992462311557, 1e-15);
    const double c[3] = {5, 5, 5}, c2[3] = {5, 5, 6};
    ck_assert_int_eq(mlp_regression_scores(NULL, NULL, &r2, c, c, 3, 1), MLP_OK);
    ck_assert_double_eq(r2, 1.0);
    ck_assert_int_eq(mlp_regression_scores(NULL, NULL, &r2, c2, c, 3, 1), MLP_OK);
    ck_assert_double_eq(r2, 0.0);
    const double inf[1] = {INFINITY};
    ck_assert_int_eq(mlp_regression_scores(&mse, NULL, NULL, inf, c, 1, 1), MLP_ERR_NUMERIC);
}
END_TEST

/* Every row exactly once; the test share; with classes, each class's share. */
START_TEST(splits_partition_and_stratify)
{
    enum { N = 103 };
    double labels[N];
    size_t count[3] = {0, 0, 0};
    for (size_t i = 0; i < N; i++) {
        labels[i] = (double)(i % 7 == 0 ? 2 : i % 3 == 0 ? 1 : 0);
        count[(size_t)labels[i]]++;
    }
    size_t order[N], n_train;
    for (int strat = 0; strat < 2; strat++) {
        ck_assert_int_eq(mlp_split(order, &n_train, N, 0.25, strat ? labels : NULL, 11), MLP_OK);
        int seen[N] = {0};
        for (size_t i = 0; i < N; i++) seen[order[i]]++;
        for (size_t i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
        if (!strat) {
            ck_assert_uint_eq(N - n_train, 26); /* round(0.25 * 103) */
            continue;
        }
        size_t test_of[3] = {0, 0, 0};
        for (size_t i = n_train; i < N; i++) test_of[(size_t)labels[order[i]]]++;
        for (int c = 0; c < 3; c++)
            ck_assert_uint_eq(test_of[c], (size_t)llround(0.25 * (double)count[c]));
    }
    /* the same seed, the same split; another seed, another */
    size_t again[N], other[N], n2;
    ck_assert_int_eq(mlp_split(again, &n2, N, 0.25, labels, 11), MLP_OK);
    ck_assert_mem_eq(order, again, sizeof order);
    ck_assert_int_eq(mlp_split(other, &n2, N, 0.25, labels, 12), MLP_OK);
    ck_assert(memcmp(order, other, sizeof order) != 0);
    /* k folds: sizes within one, classes dealt evenly */
    size_t fold[N];
    ck_assert_int_eq(mlp_kfold(fold, N, 5, labels, 3), MLP_OK);
    size_t per[5] = {0}, per_class[5][3] = {{0}};
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_lt(fold[i], 5);
        per[fold[i]]++;
        per_class[fold[i]][(size_t)labels[i]]++;
    }
    for (int f = 0; f < 5; f++) {
        ck_assert_uint_ge(per[f], N / 5);
        ck_assert_uint_le(per[f], N / 5 + 1);
        for (int c = 0; c < 3; c++) {
            ck_assert_uint_ge(per_class[f][c], count[c] / 5);
            ck_assert_uint_le(per_class[f][c], count[c] / 5 + 1);
        }
    }
    /* refusals */
    const double frac[2] = {0.5, 0}; /* 0.5 is no class index */
    ck_assert_int_eq(mlp_split(order, &n_train, 1, 0.5, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_split(order, &n_train, N, 1.0, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_split(order, &n_train, 2, 0.5, frac, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_kfold(fold, N, 1, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_kfold(fold, 3, 4, NULL, 1), MLP_ERR_INVALID_ARG);
    /* gather */
    const double src[6] = {1, 2, 3, 4, 5, 6};
    const size_t rows[3] = {2, 0, 2};
    double dst[6];
    ck_assert_int_eq(mlp_gather_rows(dst, src, 2, rows, 3), MLP_OK);
    const double want[6] = {5, 6, 1, 2, 5, 6};
    for (int i = 0; i < 6; i++) ck_assert_double_eq(dst[i], want[i]);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *c = tcase_create("metrics");
    tcase_add_test(c, confusion_and_class_scores_match_scikit_learn);
    tcase_add_test(c, regression_scores_match_scikit_learn);
    tcase_add_test(c, splits_partition_and_stratify);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(metrics_suite)
