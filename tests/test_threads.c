/* Many threads predicting with one network, each with its own workspace, get
 * exactly the single-thread answers. Built and run under ThreadSanitizer in CI. */
#include <pthread.h>
#include <string.h>

#include "test_util.h"

enum { THREADS = 8, ROUNDS = 40, N = 37, IN = 12, OUT = 3 };

static mlp_net *net;
static double x[N * IN];
/* expected[s]: the single-thread prediction of the batch of rows s..N-1. BLAS may
 * round a row differently in batches of different sizes, so each batch has its
 * own reference. */
static double expected[N][N * OUT];

typedef struct job {
    int id;
    int mismatches;
    int failures;
} job;

static void *predict_many(void *arg)
{
    job *j = arg;
    mlp_workspace *ws;
    if (mlp_workspace_create(&ws, net, N) != MLP_OK) {
        j->failures++;
        return NULL;
    }
    double y[N * OUT];
    for (int r = 0; r < ROUNDS; r++) {
        /* Batches of different sizes, starting at different rows, per thread. */
        const size_t start = (size_t)(j->id * 5 + r) % N, n = N - start;
        if (mlp_net_predict(net, ws, y, x + start * IN, n) != MLP_OK) j->failures++;
        if (memcmp(y, expected[start], n * OUT * sizeof(double)) != 0) j->mismatches++;
        const double *hidden;
        if (mlp_workspace_layer_output(ws, 0, &hidden, NULL, NULL) != MLP_OK) j->failures++;
    }
    mlp_workspace_free(ws);
    return NULL;
}

START_TEST(threads_predict_exactly_as_one)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(24, MLP_ACT_RELU, 1), MLP_LAYER(16, MLP_ACT_TANH, 1),
                                    MLP_LAYER(OUT, MLP_ACT_SOFTMAX, 1)};
    ck_assert_int_eq(mlp_net_create(&net, IN, spec, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 8), MLP_OK);
    uint64_t rng = 1;
    tu_fill(&rng, x, N * IN, -1, 1);

    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    for (size_t start = 0; start < N; start++)
        ck_assert_int_eq(mlp_net_predict(net, ws, expected[start], x + start * IN, N - start),
                         MLP_OK);
    mlp_workspace_free(ws);

    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){i, 0, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, predict_many, &jobs[i]), 0);
    }
    int mismatches = 0, failures = 0;
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        mismatches += jobs[i].mismatches;
        failures += jobs[i].failures;
    }
    ck_assert_int_eq(failures, 0);
    ck_assert_int_eq(mismatches, 0);
    mlp_net_free(net);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, threads_predict_exactly_as_one);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(threads_suite)
