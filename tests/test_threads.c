/* Threads, both ways round. Many threads of a program predicting with one network,
 * each with its own workspace, get exactly the single-thread answers; and the
 * library's own threads (mlp_set_num_threads) change no bit of any prediction,
 * loss or trained weight. Each for a float64 network on double rows and a float32
 * one on float rows (_i's precision). Built and run under ThreadSanitizer in CI. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

enum { THREADS = 8, ROUNDS = 40, N = 37, IN = 12, OUT = 3 };

static mlp_net *net;
static int f32; /* net is float32, predicting float rows into floats */
static double x[N * IN];
static float xf[N * IN];
/* expected[s]: the single-thread prediction of the batch of rows s..N-1 (doubles, or
 * floats in the first half of the row's bytes). BLAS may round a row differently in
 * batches of different sizes, so each batch has its own reference. */
static double expected[N][N * OUT];

typedef struct job {
    int id;
    int mismatches;
    int failures;
} job;

/* The prediction of rows start..start+n-1 into y, in the network's type. */
static mlp_status predict_rows(mlp_workspace *ws, void *y, size_t start, size_t n)
{
    return f32 ? mlp_net_predict_f32(net, ws, y, xf + start * IN, n)
               : mlp_net_predict(net, ws, y, x + start * IN, n);
}

static void *predict_many(void *arg)
{
    job *j = arg;
    mlp_workspace *ws;
    if (mlp_workspace_create(&ws, net, N) != MLP_OK) {
        j->failures++;
        return NULL;
    }
    double y[N * OUT];
    const size_t value = f32 ? sizeof(float) : sizeof(double);
    for (int r = 0; r < ROUNDS; r++) {
        /* Batches of different sizes, starting at different rows, per thread. */
        const size_t start = (size_t)(j->id * 5 + r) % N, n = N - start;
        if (predict_rows(ws, y, start, n) != MLP_OK) j->failures++;
        if (memcmp(y, expected[start], n * OUT * value) != 0) j->mismatches++;
        const double *hidden;
        if (!f32 && mlp_workspace_layer_output(ws, 0, &hidden, NULL, NULL) != MLP_OK) j->failures++;
    }
    mlp_workspace_free(ws);
    return NULL;
}

START_TEST(threads_predict_exactly_as_one)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(24, MLP_ACT_RELU, 1), MLP_LAYER(16, MLP_ACT_TANH, 1),
                                    MLP_LAYER(OUT, MLP_ACT_SOFTMAX, 1)};
    f32 = _i;
    ck_assert_int_eq(mlp_net_create_precision(&net, IN, spec, 3,
                                              f32 ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 8), MLP_OK);
    uint64_t rng = 1;
    tu_fill(&rng, x, N * IN, -1, 1);
    for (size_t i = 0; i < N * IN; i++) xf[i] = (float)x[i];

    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    for (size_t start = 0; start < N; start++)
        ck_assert_int_eq(predict_rows(ws, expected[start], start, N - start), MLP_OK);
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

/* ---- the library's own threads ------------------------------------------------- */

enum { ROWS = 1500 };

typedef struct shape {
    const char *name;
    size_t in, n_layers;
    mlp_layer_spec spec[3];
    mlp_loss loss;
    size_t rows;
} shape;

/* Wide enough that every pass between the dgemms is cut into parts (a part holds at
 * least 32768 values), with each kind of pass: bias + activation by row and by
 * matrix, softmax, the derivatives from a and from z, column sums, each loss; and
 * the 2-2-1 network whose rows run through plain loops, on 70000 rows. */
static const shape shapes[] = {
    {"40-96-64-8 relu tanh, mse", 40, 3,
     {MLP_LAYER(96, MLP_ACT_RELU, 1), MLP_LAYER(64, MLP_ACT_TANH, 1),
      MLP_LAYER(8, MLP_ACT_IDENTITY, 1)}, MLP_LOSS_MSE, ROWS},
    {"30-80-12 gelu softmax, cce", 30, 2,
     {MLP_LAYER(80, MLP_ACT_GELU, 1), MLP_LAYER(12, MLP_ACT_SOFTMAX, 1)},
     MLP_LOSS_CATEGORICAL_CROSSENTROPY, ROWS},
    {"30-70-1 silu sigmoid, bce", 30, 2,
     {MLP_LAYER(70, MLP_ACT_SILU, 1), MLP_LAYER(1, MLP_ACT_SIGMOID, 1)},
     MLP_LOSS_BINARY_CROSSENTROPY, ROWS},
    {"2-2-1 relu, mse", 2, 2, {MLP_LAYER(2, MLP_ACT_RELU, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)},
     MLP_LOSS_MSE, 70000},
};

static const mlp_optimizer_kind optimizers[] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV,
                                                MLP_OPT_ADAM, MLP_OPT_IRPROP_MINUS};

/* What a run leaves: every loss, the trained parameters and the predictions after, as
 * bytes of the network's type. */
typedef struct outcome {
    double loss[4];
    void *params, *pred;
    size_t param_bytes, pred_bytes;
} outcome;

static void data_for(const shape *sh, double **xs, double **ys)
{
    const size_t k = sh->spec[sh->n_layers - 1].size;
    *xs = malloc(sh->rows * sh->in * sizeof **xs);
    *ys = calloc(sh->rows * k, sizeof **ys);
    ck_assert(*xs != NULL && *ys != NULL);
    uint64_t rng = 11;
    tu_fill(&rng, *xs, sh->rows * sh->in, -2, 2);
    for (size_t r = 0; r < sh->rows; r++) {
        if (sh->loss == MLP_LOSS_MSE) tu_fill(&rng, *ys + r * k, k, -1, 1);
        else if (k == 1) (*ys)[r] = (double)(tu_next(&rng) & 1);
        else (*ys)[r * k + tu_next(&rng) % k] = 1.0;
    }
}

static float *as_floats(const double *v, size_t n)
{
    float *f = malloc(n * sizeof *f);
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++) f[i] = (float)v[i];
    return f;
}

/* Four steps of `kind` on all rows, then a prediction of all rows: a float64 network on
 * double rows, or (single) a float32 one on float rows. */
static outcome run(const shape *sh, mlp_optimizer_kind kind, int threads, int single)
{
    ck_assert_int_eq(mlp_set_num_threads(threads), MLP_OK);
    ck_assert_int_eq(mlp_get_num_threads(), threads);
    double *xd, *yd;
    data_for(sh, &xd, &yd);
    const size_t k = sh->spec[sh->n_layers - 1].size;
    float *xs = as_floats(xd, sh->rows * sh->in), *ys = as_floats(yd, sh->rows * k);
    mlp_net *n;
    ck_assert_int_eq(
        mlp_net_create_precision(&n, sh->in, sh->spec, sh->n_layers,
                                 single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
        MLP_OK);
    ck_assert_int_eq(mlp_net_init(n, MLP_INIT_XAVIER, 5), MLP_OK);
    mlp_optimizer o = tu_optimizer(kind);
    o.weight_decay = 1e-3;
    if (kind == MLP_OPT_SGD) o.learning_rate = 0.05;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, n, sh->loss, &o, sh->rows), MLP_OK);
    const mlp_dataset rows = single ? (mlp_dataset)MLP_DATASET_F32(xs, sh->in, ys, k, sh->rows)
                                    : (mlp_dataset)MLP_DATASET(xd, sh->in, yd, k, sh->rows);
    outcome out;
    for (int s = 0; s < 4; s++)
        ck_assert_msg(mlp_trainer_step(tr, &out.loss[s], &rows) == MLP_OK, "%s, %s, %d threads: %s",
                      sh->name, mlp_optimizer_name(kind), threads, mlp_error_detail());
    const size_t value = single ? sizeof(float) : sizeof(double);
    out.param_bytes = mlp_net_n_params(n) * value;
    out.pred_bytes = sh->rows * k * value;
    out.params = malloc(out.param_bytes);
    out.pred = malloc(out.pred_bytes);
    ck_assert(out.params != NULL && out.pred != NULL);
    memcpy(out.params,
           single ? (const void *)mlp_net_params_f32_const(n)
                  : (const void *)mlp_net_params_const(n),
           out.param_bytes);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, n, sh->rows), MLP_OK);
    ck_assert_int_eq(single ? mlp_net_predict_f32(n, ws, out.pred, xs, sh->rows)
                            : mlp_net_predict(n, ws, out.pred, xd, sh->rows),
                     MLP_OK);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(n);
    free(xd);
    free(yd);
    free(xs);
    free(ys);
    return out;
}

static void outcome_free(outcome *o)
{
    free(o->params);
    free(o->pred);
}

/* 1 thread against 2, 3, 4, 7 and 16: the same bits (memcmp, so -0 and +0 differ).
 * Under valgrind (50 times slower, and its threads take turns) against 3 only, with
 * two optimizers: the point there is memory errors in every parallel pass. */
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

/* _i: the shape, and from N_SHAPES on the same shapes in float32 */
START_TEST(thread_counts_change_no_bit)
{
    const shape *sh = &shapes[_i % N_SHAPES];
    const int single = _i >= N_SHAPES;
    static const int counts[] = {3, 2, 4, 7, 16};
    const char *vg = getenv("MLP_TEST_UNDER_VALGRIND");
    const int light = vg != NULL && *vg == '1';
    const size_t n_counts = light ? 1 : sizeof counts / sizeof counts[0];
    /* under valgrind: plain SGD (its own road) and Adam (the chunked update) */
    for (size_t o = 0; o < sizeof optimizers / sizeof optimizers[0]; o++) {
        if (light && optimizers[o] != MLP_OPT_SGD && optimizers[o] != MLP_OPT_ADAM) continue;
        outcome one = run(sh, optimizers[o], 1, single);
        for (size_t c = 0; c < n_counts; c++) {
            outcome many = run(sh, optimizers[o], counts[c], single);
            const char *opt = mlp_optimizer_name(optimizers[o]);
            ck_assert_msg(memcmp(one.loss, many.loss, sizeof one.loss) == 0,
                          "%s%s, %s: losses differ at %d threads", sh->name,
                          single ? " (float32)" : "", opt, counts[c]);
            ck_assert_msg(memcmp(one.params, many.params, one.param_bytes) == 0,
                          "%s%s, %s: weights differ at %d threads", sh->name,
                          single ? " (float32)" : "", opt, counts[c]);
            ck_assert_msg(memcmp(one.pred, many.pred, one.pred_bytes) == 0,
                          "%s%s, %s: predictions differ at %d threads", sh->name,
                          single ? " (float32)" : "", opt, counts[c]);
            outcome_free(&many);
        }
        outcome_free(&one);
    }
    mlp_set_num_threads(0);
}
END_TEST

/* An update cut into 4 parts, one of which meets a weight whose decay overflows
 * (1e308 · 100): the step fails and the parts that finished are undone, so the
 * checkpoint is the same to the byte. The bad weight sits in the first part, then
 * in the last. */
START_TEST(a_failing_part_undoes_the_others)
{
    const shape *sh = &shapes[0];
    char dir[64], path[96];
    snprintf(dir, sizeof dir, "/tmp/mlp-threads-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ck.mlp", dir);
    double *xd, *yd;
    data_for(sh, &xd, &yd);
    ck_assert_int_eq(mlp_set_num_threads(4), MLP_OK);
    for (size_t where = 0; where < 2; where++) {
        mlp_net *n;
        ck_assert_int_eq(mlp_net_create(&n, sh->in, sh->spec, sh->n_layers), MLP_OK);
        ck_assert_int_eq(mlp_net_init(n, MLP_INIT_XAVIER, 5), MLP_OK);
        const size_t layer = where == 0 ? 0 : sh->n_layers - 1;
        const size_t in = layer == 0 ? sh->in : sh->spec[layer - 1].size;
        const size_t cells = in * sh->spec[layer].size;
        double *w = malloc(cells * sizeof *w);
        ck_assert_ptr_nonnull(w);
        ck_assert_int_eq(mlp_net_get_weights(n, layer, w, cells), MLP_OK);
        w[cells / 2] = 100.0;
        ck_assert_int_eq(mlp_net_set_weights(n, layer, w, cells), MLP_OK);
        free(w);
        mlp_optimizer o = tu_optimizer(MLP_OPT_MOMENTUM);
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, n, sh->loss, &o, sh->rows), MLP_OK);
        double loss;
        ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(xd, yd, sh->rows)), MLP_OK);
        size_t before_size, after_size;
        unsigned char *before = tu_snapshot(tr, path, &before_size);
        o.weight_decay = 1e308;
        ck_assert_int_eq(mlp_trainer_set_optimizer(tr, &o), MLP_OK);
        ck_assert_int_eq(mlp_trainer_step(tr, &loss, TU_DATA(xd, yd, sh->rows)), MLP_ERR_NUMERIC);
        o.weight_decay = 0.0; /* the snapshot holds the settings too */
        ck_assert_int_eq(mlp_trainer_set_optimizer(tr, &o), MLP_OK);
        unsigned char *after = tu_snapshot(tr, path, &after_size);
        ck_assert_uint_eq(before_size, after_size);
        ck_assert_msg(memcmp(before, after, before_size) == 0,
                      "bad weight in layer %zu: the failed step changed the checkpoint", layer);
        free(before);
        free(after);
        mlp_trainer_free(tr);
        mlp_net_free(n);
    }
    mlp_set_num_threads(0);
    free(xd);
    free(yd);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(thread_counts_out_of_range_are_refused)
{
    const int before = mlp_get_num_threads();
    ck_assert_int_eq(mlp_set_num_threads(-1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "-1 threads"));
    ck_assert_int_eq(mlp_set_num_threads(MLP_MAX_THREADS + 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_get_num_threads(), before);
    ck_assert_int_eq(mlp_set_num_threads(MLP_MAX_THREADS), MLP_OK);
    ck_assert_int_eq(mlp_get_num_threads(), MLP_MAX_THREADS);
    ck_assert_int_eq(mlp_set_num_threads(0), MLP_OK);
    ck_assert_int_eq(mlp_get_num_threads(), before);
}
END_TEST

static Suite *threads_suite(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, threads_predict_exactly_as_one, 0, 2);
    tcase_add_loop_test(tc, thread_counts_change_no_bit, 0, 2 * N_SHAPES);
    tcase_add_test(tc, a_failing_part_undoes_the_others);
    tcase_add_test(tc, thread_counts_out_of_range_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(threads_suite)
