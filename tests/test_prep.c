/* Preprocessing kept in the model: the fitted scaling (against hand arithmetic),
 * predictions of raw rows (against the scaled path done by hand), names and classes
 * through a save and a load, and what is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static mlp_net *make(size_t in, size_t out, mlp_activation act)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_LAYER(out, act, 1)};
    mlp_net *net;
    ck_assert_int_eq(
        mlp_net_create_precision(&net, in, spec, 2,
                                 tu_single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
        MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 2), MLP_OK);
    return net;
}

START_TEST(scaling_is_fitted_as_by_hand)
{
    /* columns: 1 2 3 (mean 2, population sd sqrt(2/3), min 1, range 2); 10 10 40 (mean
     * 20, sd sqrt(200), min 10, range 30); 5 5 5 (constant: scale 1) */
    const double x[9] = {1, 10, 5, 2, 10, 5, 3, 40, 5};
    const double y[3] = {-1, 0, 3}; /* mean 2/3, sd sqrt(((5/3)² + (2/3)² + (7/3)²) / 3) */
    mlp_net *net = make(3, 1, MLP_ACT_IDENTITY);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_STANDARD,
                                         TU_DATA(x, y, 3)), MLP_OK);
    double is[3], ic[3], os, oc;
    ck_assert_int_eq(mlp_net_get_scaling(net, is, ic, &os, &oc), MLP_OK);
    ck_assert_double_eq_tol(is[0], 2, 1e-15);
    ck_assert_double_eq_tol(ic[0], sqrt(2.0 / 3.0), 1e-15);
    ck_assert_double_eq_tol(is[1], 20, 1e-14);
    ck_assert_double_eq_tol(ic[1], sqrt(200.0), 1e-13);
    ck_assert_double_eq(is[2], 5);
    ck_assert_double_eq(ic[2], 1);
    ck_assert_double_eq_tol(os, 2.0 / 3.0, 1e-15);
    ck_assert_double_eq_tol(oc, sqrt((25.0 / 9 + 4.0 / 9 + 49.0 / 9) / 3), 1e-15);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_MINMAX, MLP_SCALE_NONE, TU_DATA(x, y, 3)),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_get_scaling(net, is, ic, &os, &oc), MLP_OK);
    ck_assert_double_eq(is[0], 1);
    ck_assert_double_eq(ic[0], 2);
    ck_assert_double_eq(is[1], 10);
    ck_assert_double_eq(ic[1], 30);
    ck_assert_double_eq(ic[2], 1);
    ck_assert_double_eq(os, 0); /* no target scaling: the identity */
    ck_assert_double_eq(oc, 1);
    /* the scaled rows: (x - shift) / scale */
    double xs[9];
    ck_assert_int_eq(mlp_net_transform(net, xs, NULL, TU_DATA(x, y, 3)), MLP_OK);
    const double want[9] = {0, 0, 0, 0.5, 0, 0, 1, 1, 0};
    for (int i = 0; i < 9; i++) ck_assert_double_eq(xs[i], want[i]);
    mlp_net_free(net);
}
END_TEST

START_TEST(scaling_holds_at_the_end_of_the_range)
{
    /* columns: 1e308 three times (constant: its sum passes the range, its mean does
     * not); -1e200, 1e200, -1e200 (mean -1e200/3, population sd sqrt(8/9)·1e200:
     * the squares pass the range); 1 2 3 as a control, fitted as before */
    const double x[9] = {1e308, -1e200, 1, 1e308, 1e200, 2, 1e308, -1e200, 3};
    const double y[3] = {0, 0, 0};
    mlp_net *net = make(3, 1, MLP_ACT_IDENTITY);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE,
                                         TU_DATA(x, y, 3)), MLP_OK);
    double is[3], ic[3];
    ck_assert_int_eq(mlp_net_get_scaling(net, is, ic, NULL, NULL), MLP_OK);
    ck_assert_double_eq_tol(is[0], 1e308, 1e293);
    ck_assert_double_eq(ic[0], 1);
    ck_assert_double_eq_tol(is[1], -1e200 / 3, 1e185);
    ck_assert_double_eq_tol(ic[1], sqrt(8.0 / 9.0) * 1e200, 1e185);
    ck_assert_double_eq_tol(is[2], 2, 1e-15);
    ck_assert_double_eq_tol(ic[2], sqrt(2.0 / 3.0), 1e-15);
    /* and the model saves and loads back with them */
    mlp_net *back = tu_reloaded(net);
    double bs[3], bc[3];
    ck_assert_int_eq(mlp_net_get_scaling(back, bs, bc, NULL, NULL), MLP_OK);
    ck_assert_mem_eq(is, bs, sizeof is);
    ck_assert_mem_eq(ic, bc, sizeof ic);
    mlp_net_free(back);

    /* min-max: the constant column is fine, a range past DBL_MAX is refused, naming
     * the column, and the scaling fitted before is kept */
    mlp_net *two = make(2, 1, MLP_ACT_IDENTITY);
    const double two_cols[4] = {1e308, -1e308, 1e308, 1e308};
    ck_assert_int_eq(mlp_net_fit_scaling(two, MLP_SCALE_MINMAX, MLP_SCALE_NONE,
                                         TU_ROWS(two_cols, 2, NULL, 0, 2)), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "input column 1 spans -1e+308 to 1e+308"));
    ck_assert_int_eq(mlp_net_get_scaling(two, bs, bc, NULL, NULL), MLP_OK);
    ck_assert_double_eq(bs[0], 0); /* no scaling yet: the identity */
    ck_assert_double_eq(bc[1], 1);
    const double narrow[4] = {1e308, -1e308, 1e308, 0};
    ck_assert_int_eq(mlp_net_fit_scaling(two, MLP_SCALE_MINMAX, MLP_SCALE_NONE,
                                         TU_ROWS(narrow, 2, NULL, 0, 2)), MLP_OK);
    ck_assert_int_eq(mlp_net_get_scaling(two, bs, bc, NULL, NULL), MLP_OK);
    ck_assert_double_eq(bs[0], 1e308);
    ck_assert_double_eq(bc[0], 1);
    ck_assert_double_eq(bs[1], -1e308);
    ck_assert_double_eq(bc[1], 1e308);
    mlp_net_free(two);
    mlp_net_free(net);
}
END_TEST

START_TEST(raw_predictions_are_the_scaled_path)
{
    tu_single = _i;
    const double x[8] = {1, 100, 2, 300, 3, 200, 4, 900};
    const double y[8] = {10, -1, 20, -2, 15, -3, 40, -4};
    mlp_net *net = make(2, 2, MLP_ACT_IDENTITY);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_MINMAX,
                                         TU_DATA(x, y, 4)), MLP_OK);
    double xs[8], p[8], raw[8], model[8], os[2], oc[2];
    ck_assert_int_eq(mlp_net_transform(net, xs, NULL, TU_DATA(x, y, 4)), MLP_OK);
    ck_assert_int_eq(mlp_net_get_scaling(net, NULL, NULL, os, oc), MLP_OK);
    /* the network alone: a twin with the same weights and no preprocessing, on the
     * rows scaled by hand's formula (checked above) */
    mlp_net *alone = make(2, 2, MLP_ACT_IDENTITY);
    if (tu_single)
        memcpy(mlp_net_params_f32(alone), mlp_net_params_f32_const(net),
               mlp_net_n_params(net) * sizeof(float));
    else
        memcpy(mlp_net_params(alone), mlp_net_params_const(net),
               mlp_net_n_params(net) * sizeof(double));
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(alone, ws, p, xs, 4), MLP_OK);
    ck_assert_int_eq(mlp_net_predict_raw(net, ws, raw, x, 4), MLP_OK);
    /* (a float32 network's outputs widened, then the same double arithmetic) */
    for (int i = 0; i < 8; i++) ck_assert_double_eq(raw[i], p[i] * oc[i % 2] + os[i % 2]);
    /* mlp_net_predict is the model's whole path since 1.5: the same bits */
    ck_assert_int_eq(mlp_net_predict(net, ws, model, x, 4), MLP_OK);
    ck_assert_mem_eq(model, raw, sizeof raw);
    mlp_net_free(alone);
    /* the targets scale the same way: in place */
    double ys[8];
    memcpy(ys, y, sizeof ys);
    ck_assert_int_eq(mlp_net_transform(net, NULL, ys, TU_DATA(x, ys, 4)), MLP_OK);
    ck_assert_double_eq(ys[0], 0);                 /* the minimum of column 0 */
    ck_assert_double_eq(ys[6], 1);                 /* its maximum */
    ck_assert_double_eq(ys[1], 1);                 /* -1 is column 1's maximum */
    /* too many rows for the workspace */
    ck_assert_int_eq(mlp_net_predict_raw(net, ws, raw, x, 5), MLP_ERR_SHAPE);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(names_classes_and_scaling_survive_a_save)
{
    const double x[6] = {1, 2, 3, 4, 5, 7};
    mlp_net *net = make(2, 3, MLP_ACT_SOFTMAX);
    const char *in[2] = {"petal length", "petal width"}, *target[1] = {"species"};
    const char *classes[3] = {"setosa", "versicolor", "virginica"};
    ck_assert_int_eq(mlp_net_set_columns(net, in, target, 1), MLP_OK);
    ck_assert_int_eq(mlp_net_set_classes(net, classes, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE,
                                         TU_ROWS(x, 2, NULL, 0, 3)), MLP_OK);
    size_t size;
    unsigned char *buf = tu_saved(net, &size);
    mlp_net *back;
    ck_assert_int_eq(mlp_net_load_buffer(&back, buf, size), MLP_OK);
    ck_assert_str_eq(mlp_net_input_name(back, 1), "petal width");
    ck_assert_uint_eq(mlp_net_n_targets(back), 1);
    ck_assert_str_eq(mlp_net_target_name(back, 0), "species");
    ck_assert_uint_eq(mlp_net_n_classes(back), 3);
    ck_assert_str_eq(mlp_net_class_name(back, 2), "virginica");
    ck_assert_ptr_null(mlp_net_class_name(back, 3));
    double a[4], b[4];
    ck_assert_int_eq(mlp_net_get_scaling(net, a, a + 2, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_get_scaling(back, b, b + 2, NULL, NULL), MLP_OK);
    ck_assert_mem_eq(a, b, sizeof a);
    mlp_workspace *w1, *w2;
    ck_assert_int_eq(mlp_workspace_create(&w1, net, 3), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&w2, back, 3), MLP_OK);
    double p1[9], p2[9];
    ck_assert_int_eq(mlp_net_predict_raw(net, w1, p1, x, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_predict_raw(back, w2, p2, x, 3), MLP_OK);
    ck_assert_mem_eq(p1, p2, sizeof p1);

    /* what the file's checks refuse: the flags after the (empty) history */
    const size_t np = mlp_net_n_params(net);
    const size_t at = 96 + 8 * np + 32 + 4 + 4 + 8 * 17 + 8 * 6; /* the flags */
    ck_assert_uint_eq(buf[at], 1 | 4 | 8);
    const struct {
        size_t offset;
        unsigned char value;
        const char *detail;
    } edits[] = {
        {at, 1 | 4 | 8 | 16, "preprocessing flags 29"},
        {at + 4, 3, "methods 3"},
        {at + 8 + 8 * 2 + 7, 0x80, "scale 0 is -0"}, /* scale 0 made -0 */
        {at + 8 + 32, 4, "the target column count is 4, must be 0 to 3"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        unsigned char *c = malloc(size);
        ck_assert_ptr_nonnull(c);
        memcpy(c, buf, size);
        if (edits[e].offset == at + 8 + 8 * 2 + 7) memset(c + at + 8 + 16, 0, 8);
        c[edits[e].offset] = edits[e].value;
        tu_fix_crc(c, size);
        mlp_net *bad = (mlp_net *)c;
        ck_assert_int_eq(mlp_net_load_buffer(&bad, c, size), MLP_ERR_FORMAT);
        ck_assert_ptr_null(bad);
        ck_assert_msg(strstr(mlp_error_detail(), edits[e].detail) != NULL,
                      "edit %zu: detail \"%s\" lacks \"%s\"", e, mlp_error_detail(), edits[e].detail);
        free(c);
    }
    mlp_workspace_free(w1);
    mlp_workspace_free(w2);
    mlp_net_free(back);
    mlp_net_free(net);
    free(buf);
}
END_TEST

START_TEST(what_is_refused)
{
    mlp_net *soft = make(2, 3, MLP_ACT_SOFTMAX), *sig = make(2, 1, MLP_ACT_SIGMOID);
    const char *three[3] = {"a", "b", "c"}, *dup[3] = {"a", "b", "a"};
    ck_assert_int_eq(mlp_net_set_classes(soft, three, 2), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_set_classes(soft, dup, 3), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "class \"a\" is given twice (0 and 2)"));
    /* the loader holds a file to the same rule: labels cat dog cow saved, the last
     * made "cat" in the bytes (its length prefix and bytes found, the checksum fixed) */
    const char *animals[3] = {"cat", "dog", "cow"};
    ck_assert_int_eq(mlp_net_set_classes(soft, animals, 3), MLP_OK);
    size_t size;
    unsigned char *buf = tu_saved(soft, &size);
    mlp_net *back = tu_reloaded(soft);
    mlp_net_free(back);
    const unsigned char cow[7] = {3, 0, 0, 0, 'c', 'o', 'w'};
    unsigned char *at = NULL;
    for (size_t i = 0; i + sizeof cow <= size; i++)
        if (memcmp(buf + i, cow, sizeof cow) == 0) at = buf + i;
    ck_assert_ptr_nonnull(at);
    memcpy(at + 4, "cat", 3);
    tu_fix_crc(buf, size);
    back = NULL;
    ck_assert_int_eq(mlp_net_load_buffer(&back, buf, size), MLP_ERR_FORMAT);
    ck_assert_ptr_null(back);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "class labels 0 and 2 are both \"cat\""));
    free(buf);
    ck_assert_int_eq(mlp_net_set_classes(sig, three, 2), MLP_OK); /* one sigmoid: two classes */
    ck_assert_int_eq(mlp_net_set_classes(sig, three, 3), MLP_ERR_SHAPE);
    ck_assert_uint_eq(mlp_net_n_classes(sig), 2); /* unchanged by the refusal */
    ck_assert_int_eq(mlp_net_set_classes(sig, NULL, 0), MLP_OK); /* cleared */
    ck_assert_uint_eq(mlp_net_n_classes(sig), 0);
    const char *nul[2] = {"x", NULL};
    ck_assert_int_eq(mlp_net_set_columns(sig, nul, NULL, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_set_columns(sig, three, three, 2), MLP_ERR_INVALID_ARG);
    const double x[4] = {1, 2, NAN, 4}, y[6] = {1, 0, 0, 0, 1, 0};
    ck_assert_int_eq(mlp_net_fit_scaling(soft, MLP_SCALE_STANDARD, MLP_SCALE_STANDARD,
                                         TU_DATA(x, y, 2)), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_fit_scaling(soft, MLP_SCALE_STANDARD, MLP_SCALE_NONE,
                                         TU_DATA(x, y, 2)), MLP_ERR_NUMERIC);
    ck_assert_int_eq(mlp_net_fit_scaling(soft, (mlp_scaling)9, MLP_SCALE_NONE, TU_DATA(x, y, 1)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_transform(soft, NULL, NULL, TU_DATA(x, y, 1)), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_predict_raw(NULL, NULL, NULL, NULL, 1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(mlp_net_class_name(NULL, 0));
    ck_assert_uint_eq(mlp_net_n_targets(NULL), 0);
    mlp_net_free(soft);
    mlp_net_free(sig);
}
END_TEST

static Suite *prep_suite(void)
{
    Suite *s = suite_create("prep");
    TCase *c = tcase_create("prep");
    tcase_add_checked_fixture(c, tu_float64_networks, NULL);
    tcase_add_test(c, scaling_is_fitted_as_by_hand);
    tcase_add_test(c, scaling_holds_at_the_end_of_the_range);
    tcase_add_loop_test(c, raw_predictions_are_the_scaled_path, 0, 2); /* both precisions */
    tcase_add_test(c, names_classes_and_scaling_survive_a_save);
    tcase_add_test(c, what_is_refused);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(prep_suite)
