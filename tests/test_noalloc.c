/* The hot paths allocate nothing: malloc and friends are interposed here (this
 * executable's definitions win over libc's for every library it loads, libmlp
 * included) and counted while predictions and training steps run. Check's own
 * assertions allocate (they report progress through a pipe), so inside a counted
 * stretch results are only collected, and asserted after it. */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *p);
int posix_memalign(void **out, size_t alignment, size_t size); /* POSIX; not declared in C11 mode */

static volatile int counting;
static volatile long allocations;

static void count(void)
{
    if (counting) allocations++;
}

void *malloc(size_t size)
{
    count();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    count();
    return __libc_realloc(p, size);
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    count();
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p) { __libc_free(p); }

static void start(void)
{
    allocations = 0;
    counting = 1;
}

static long stop(void)
{
    counting = 0;
    return allocations;
}

/* 20 inputs -> 32 relu -> 16 tanh -> 4 softmax: every kind of layer work. */
static mlp_net *make_net(void)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(32, MLP_ACT_RELU, 1), MLP_LAYER(16, MLP_ACT_TANH, 1),
                                    MLP_LAYER(4, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 20, spec, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 1), MLP_OK);
    return net;
}

enum { N = 64 };
static double x[N * 20], t[N * 4], y[N * 4];
static float xf[N * 20], yf[N * 4], lf[N]; /* x and the labels as floats */

static void make_data(void)
{
    uint64_t rng = 3;
    tu_fill(&rng, x, N * 20, -1, 1);
    size_t labels[N];
    for (int i = 0; i < N; i++) labels[i] = (size_t)(tu_next(&rng) % 4);
    ck_assert_int_eq(mlp_onehot(t, labels, N, 4), MLP_OK);
    for (int i = 0; i < N * 20; i++) xf[i] = (float)x[i];
    for (int i = 0; i < N; i++) lf[i] = (float)labels[i];
}

START_TEST(the_counter_counts)
{
    /* Without this, a broken interposition would make every test below pass. */
    start();
    void *p = malloc(16);
    void *q = aligned_alloc(64, 64);
    long n = stop();
    free(p);
    free(q);
    ck_assert_int_eq(n, 2);
    mlp_net *net;
    const mlp_layer_spec spec = MLP_LAYER(2, MLP_ACT_RELU, 1);
    start();
    mlp_status s = mlp_net_create(&net, 2, &spec, 1);
    n = stop();
    ck_assert_int_eq(s, MLP_OK);
    ck_assert_int_eq(n, 3); /* network, layer table, parameter block: setup allocates, and is seen */
    mlp_net_free(net);
}
END_TEST

/* make_net()'s network in precision p (0: float64, 1: float32), made before counting */
static mlp_net *net_in(int p)
{
    mlp_net *net = make_net(), *f;
    if (p == 0) return net;
    ck_assert_int_eq(mlp_net_convert(&f, net, MLP_PRECISION_FLOAT32), MLP_OK);
    mlp_net_free(net);
    return f;
}

/* _i: the precision (a float32 network's rows are converted in its workspace) */
START_TEST(predict_allocates_nothing)
{
    make_data();
    mlp_net *net = net_in(_i);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, N), MLP_OK); /* BLAS warms up its buffers */
    int failed = 0;
    start();
    for (int i = 0; i < 100; i++) failed += mlp_net_predict(net, ws, y, x, 1 + i % N) != MLP_OK;
    ck_assert_int_eq(stop(), 0);
    ck_assert_int_eq(failed, 0);
    /* float rows and outputs: read where they are, or converted in the workspace */
    start();
    for (int i = 0; i < 100; i++)
        failed += mlp_net_predict_f32(net, ws, yf, xf, 1 + i % N) != MLP_OK;
    ck_assert_int_eq(stop(), 0);
    ck_assert_int_eq(failed, 0);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Predictors (_i: float64, float32, bfloat16): float64 and float32 allocate nothing;
 * bfloat16 allocates only what oneDNN's own calls do (the argument list of each of its
 * matmuls: docs/predictor.md), the same count at every call of the same rows, at most
 * MATMUL_ALLOCS per layer and piece, all freed again (ASan, valgrind). */
enum { MATMUL_ALLOCS = 8 };

START_TEST(predictors_allocate_nothing_of_their_own)
{
    const mlp_precision prec = (mlp_precision)_i;
    make_data();
    mlp_net *net = make_net();
    mlp_predictor *p;
    mlp_workspace *ws;
    if (!mlp_precision_supported(prec)) {
        mlp_net_free(net);
        return;
    }
    ck_assert_int_eq(mlp_predictor_create(&p, net, prec), MLP_OK);
    ck_assert_int_eq(mlp_predictor_workspace_create(&ws, p, N), MLP_OK);
    ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, N), MLP_OK); /* warm */
    int failed = 0;
    long per_call[4];
    for (int c = 0; c < 4; c++) {
        start();
        failed += mlp_predictor_predict(p, ws, y, x, N) != MLP_OK;
        failed += mlp_predictor_predict_f32(p, ws, yf, xf, N) != MLP_OK;
        per_call[c] = stop();
    }
    ck_assert_int_eq(failed, 0);
    if (prec != MLP_PRECISION_BFLOAT16) {
        ck_assert_int_eq(per_call[0], 0);
    } else { /* N = 64 rows: one piece; 3 dense layers; 2 calls */
        ck_assert_int_le(per_call[0], 2 * 3 * MATMUL_ALLOCS);
        printf("  bfloat16: %ld allocations (oneDNN's) in 2 calls of 3 layers\n", per_call[0]);
    }
    for (int c = 1; c < 4; c++) ck_assert_int_eq(per_call[c], per_call[0]);
    mlp_workspace_free(ws);
    mlp_predictor_free(p);
    mlp_net_free(net);
}
END_TEST

START_TEST(training_steps_allocate_nothing)
{
    make_data();
    const mlp_optimizer_kind kinds[7] = {MLP_OPT_SGD,   MLP_OPT_MOMENTUM,      MLP_OPT_NESTEROV,
                                         MLP_OPT_ADAM,  MLP_OPT_IRPROP_MINUS,  MLP_OPT_LBFGS,
                                         MLP_OPT_LM};
    /* a float32 network trains with the first-order methods (_i: the precision) */
    for (int k = 0; k < (_i ? 5 : 7); k++) {
        mlp_net *net = net_in(_i);
        mlp_optimizer o = tu_optimizer(kinds[k]);
        o.weight_decay = 1e-4;
        mlp_trainer *tr;
        /* Levenberg-Marquardt takes MSE only */
        const mlp_loss kind_loss =
            kinds[k] == MLP_OPT_LM ? MLP_LOSS_MSE : MLP_LOSS_CATEGORICAL_CROSSENTROPY;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, kind_loss, &o, N), MLP_OK);
        ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, t, N)), MLP_OK);
        int failed = 0;
        double loss;
        /* the second-order kinds: a few iterations (LM factors a 1268² matrix in each) */
        const int steps = kinds[k] == MLP_OPT_LBFGS || kinds[k] == MLP_OPT_LM ? 4 : 100;
        start();
        for (int i = 0; i < steps; i++)
            failed += mlp_trainer_step(tr, &loss, TU_DATA(x, t, 1 + i % N)) != MLP_OK;
        /* rows of floats, read where they are or converted in the workspace */
        for (int i = 0; i < steps; i++) {
            const mlp_dataset rows = MLP_DATASET_CLASSES_F32(xf, 20, lf, 4, 1 + i % N);
            failed += mlp_trainer_step(tr, &loss, &rows) != MLP_OK;
        }
        const long allocs = stop();
        /* with the BLAS threaded, OpenBLAS's parallel dpotrf mallocs per call (LM's
         * Cholesky); the one-thread run (meson.build) holds LM to zero */
        const int blas_allocates = kinds[k] == MLP_OPT_LM && getenv("MLP_TEST_BLAS_THREADED");
        ck_assert_msg(allocs == 0 || blas_allocates, "%s: %ld allocations",
                      mlp_optimizer_name(kinds[k]), allocs);
        ck_assert_int_eq(failed, 0);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
}
END_TEST

START_TEST(gradient_allocates_nothing) /* a float64 network's: a float32 one's widens */
{
    make_data();
    mlp_net *net = make_net();
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    double *g = malloc(mlp_net_n_params(net) * sizeof *g), loss;
    ck_assert_int_eq(
        mlp_net_gradient(net, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, &loss, TU_DATA(x, t, N)),
        MLP_OK);
    int failed = 0;
    start();
    for (int i = 0; i < 50; i++)
        failed += mlp_net_gradient(net, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, g, &loss,
                                   TU_DATA(x, t, N)) != MLP_OK;
    ck_assert_int_eq(stop(), 0);
    ck_assert_int_eq(failed, 0);
    free(g);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(fit_allocates_once_however_many_epochs)
{
    make_data();
    long counts[2];
    const size_t epochs[2] = {1, 30};
    for (int r = 0; r < 2; r++) {
        mlp_net *net = net_in(_i);
        mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
        mlp_trainer *tr;
        ck_assert_int_eq(
            mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 16), MLP_OK);
        mlp_fit_options f = tu_fit_options();
        f.epochs = epochs[r];
        f.batch_size = 16;
        f.validation_fraction = 0.25;
        f.patience = 100;
        ck_assert_int_eq(mlp_trainer_step(tr, NULL, TU_DATA(x, t, 16)), MLP_OK);
        start();
        mlp_status s = mlp_trainer_fit(tr, NULL, TU_DATA(x, t, N), &f);
        counts[r] = stop();
        ck_assert_int_eq(s, MLP_OK);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    /* row order, batch rows, weight snapshots, room in the network's loss histories
     * (training and validation), and the trainer's per-epoch records for the result;
     * for a float32 network the rows converted too */
    ck_assert_int_eq(counts[0], 6 + _i);
    ck_assert_int_eq(counts[1], counts[0]);
}
END_TEST

static Suite *noalloc_suite(void)
{
    Suite *s = suite_create("noalloc");
    TCase *tc = tcase_create("noalloc");
    tcase_add_test(tc, the_counter_counts);
    tcase_add_loop_test(tc, predict_allocates_nothing, 0, 2);
    tcase_add_loop_test(tc, training_steps_allocate_nothing, 0, 2);
    tcase_add_test(tc, gradient_allocates_nothing);
    tcase_add_loop_test(tc, predictors_allocate_nothing_of_their_own, 0, 3);
    tcase_add_loop_test(tc, fit_allocates_once_however_many_epochs, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(noalloc_suite)
