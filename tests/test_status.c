/* Status codes, messages, the thread-local detail, version. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

static int ok_marker;
#define arg_ok ((void *)&ok_marker)

START_TEST(strerror_names_every_status)
{
    const mlp_status all[] = {MLP_OK,        MLP_ERR_INVALID_ARG, MLP_ERR_SHAPE,  MLP_ERR_NOMEM,
                              MLP_ERR_IO,    MLP_ERR_FORMAT,      MLP_ERR_NUMERIC};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *m = mlp_strerror(all[i]);
        ck_assert_ptr_nonnull(m);
        ck_assert_str_ne(m, "unknown status");
        for (size_t j = 0; j < i; j++) ck_assert_str_ne(m, mlp_strerror(all[j]));
    }
    ck_assert_str_eq(mlp_strerror(MLP_OK), "success");
    ck_assert_str_eq(mlp_strerror((mlp_status)12345), "unknown status");
    ck_assert_str_eq(mlp_strerror((mlp_status)-1), "unknown status");
}
END_TEST

START_TEST(status_values_are_stable)
{
    /* Stored in files and compared by callers: never renumbered. */
    ck_assert_int_eq(MLP_OK, 0);
    ck_assert_int_eq(MLP_ERR_INVALID_ARG, 1);
    ck_assert_int_eq(MLP_ERR_SHAPE, 2);
    ck_assert_int_eq(MLP_ERR_NOMEM, 3);
    ck_assert_int_eq(MLP_ERR_IO, 4);
    ck_assert_int_eq(MLP_ERR_FORMAT, 5);
    ck_assert_int_eq(MLP_ERR_NUMERIC, 6);
}
END_TEST

START_TEST(detail_describes_the_failure)
{
    mlp_net *net = NULL;
    mlp_layer_spec spec = MLP_LAYER(3, MLP_ACT_RELU, 1);
    ck_assert_int_eq(mlp_net_create(&net, 2, &spec, 1), MLP_OK);
    double w[6] = {0};
    ck_assert_int_eq(mlp_net_set_weights(net, 0, w, 5), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "3 x 2 = 6 values, got 5"));
    /* A success afterwards leaves the detail of the last failure. */
    ck_assert_int_eq(mlp_net_set_weights(net, 0, w, 6), MLP_OK);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "got 5"));
    mlp_net_free(net);
}
END_TEST

/* Returns non-NULL when a new thread starts with an empty detail and sees its own failure.
 * No ck_assert here: Check's failure path belongs to the test's own thread. */
static void *fail_in_thread(void *arg)
{
    (void)arg;
    int started_empty = mlp_error_detail()[0] == '\0';
    mlp_loss_mse(NULL, NULL, NULL, 0);
    int sees_own = strstr(mlp_error_detail(), "mse is NULL") != NULL;
    return started_empty && sees_own ? arg_ok : NULL;
}

START_TEST(detail_is_per_thread)
{
    double v = 1;
    ck_assert_int_eq(mlp_loss_error(&v, &v, &v, 0), MLP_ERR_INVALID_ARG);
    const char *mine = "mlp_loss_error: n is 0";
    ck_assert_str_eq(mlp_error_detail(), mine);
    pthread_t t;
    void *ok = NULL;
    ck_assert_int_eq(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &ok), 0);
    ck_assert_ptr_nonnull(ok);
    ck_assert_str_eq(mlp_error_detail(), mine); /* untouched by the other thread */
}
END_TEST

START_TEST(version_matches_the_build)
{
    ck_assert_str_eq(mlp_version(), MLP_VERSION_STRING);
    ck_assert_str_eq(mlp_version(), MLP_PROJECT_VERSION); /* meson's project version */
    ck_assert_int_eq(mlp_version_number(), MLP_VERSION_NUMBER);
    char buf[32];
    snprintf(buf, sizeof buf, "%d.%d.%d", MLP_VERSION_MAJOR, MLP_VERSION_MINOR, MLP_VERSION_PATCH);
    ck_assert_str_eq(buf, MLP_VERSION_STRING);
}
END_TEST

static Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, strerror_names_every_status);
    tcase_add_test(tc, status_values_are_stable);
    tcase_add_test(tc, detail_describes_the_failure);
    tcase_add_test(tc, detail_is_per_thread);
    tcase_add_test(tc, version_matches_the_build);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(status_suite)
