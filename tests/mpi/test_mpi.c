/* libmlp-mpi on P ranks (mpirun -np P): bit-identity across ranks and reruns, against
 * the single-process fit with P shards, to 1e-12 against the plain fit; a checkpoint
 * saved after 3 epochs and resumed equals 6 uninterrupted epochs; a mismatched
 * network, a loss that overflows on one rank, NaN in one rank's rows and a rank
 * without rows end every rank with the same status. Rank 0 prints each check; the exit status is nonzero on any
 * failure (on every rank). */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlp_mpi.h"

enum { IN = 4, OUT = 3, N = 360 };

static int rank, size, failures;
static double xs[N * IN], ys[N * OUT];

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            fprintf(stderr, "rank %d: FAILED %s:%d: ", rank, __FILE__, __LINE__);        \
            fprintf(stderr, __VA_ARGS__);                                                \
            fprintf(stderr, "\n");                                                       \
        }                                                                                \
    } while (0)

static void make_data(void)
{
    uint64_t z = 11;
    for (size_t i = 0; i < N * IN; i++) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        xs[i] = (double)(z >> 11) * 0x1.0p-53 * 2 - 1;
    }
    for (size_t r = 0; r < N; r++) {
        const double *x = xs + r * IN;
        double *y = ys + r * OUT;
        y[0] = sin(2 * x[0]) * x[1];
        y[1] = x[2] * x[3] - x[0];
        y[2] = cos(x[1] + x[2]);
    }
}

/* > 0: make_net puts a dropout of this rate after the first hidden layer */
static double dropout_rate;
/* the precision make_net makes its networks in */
static mlp_precision precision = MLP_PRECISION_FLOAT64;

static mlp_net *make_net(size_t hidden)
{
    const mlp_layer_spec spec[] = {MLP_LAYER(hidden, MLP_ACT_TANH, 1), MLP_DROPOUT(dropout_rate),
                                   MLP_LAYER(hidden, MLP_ACT_RELU, 1),
                                   MLP_LAYER(OUT, MLP_ACT_IDENTITY, 1)};
    const mlp_layer_spec plain[] = {spec[0], spec[2], spec[3]};
    mlp_net *net = NULL;
    if (mlp_net_create(&net, IN, dropout_rate > 0 ? spec : plain, dropout_rate > 0 ? 4 : 3) !=
        MLP_OK)
        abort();
    if (mlp_net_init(net, MLP_INIT_HE, 5) != MLP_OK) abort();
    if (precision == MLP_PRECISION_FLOAT64) return net;
    mlp_net *f = NULL;
    if (mlp_net_convert(&f, net, precision) != MLP_OK) abort();
    mlp_net_free(net);
    return f;
}

/* The network's weights as doubles (a float32 network's widened), malloc'd. */
static double *weights_copy(const mlp_net *net)
{
    const size_t np = mlp_net_n_params(net);
    double *w = malloc(np * sizeof *w);
    if (w == NULL) abort();
    if (mlp_net_precision(net) == MLP_PRECISION_FLOAT64)
        memcpy(w, mlp_net_params_const(net), np * sizeof *w);
    else
        for (size_t i = 0; i < np; i++) w[i] = (double)mlp_net_params_f32_const(net)[i];
    return w;
}

static mlp_trainer *make_trainer(mlp_net *net, mlp_optimizer_kind kind)
{
    mlp_optimizer o;
    mlp_optimizer_init(&o, sizeof o, kind);
    o.learning_rate = kind == MLP_OPT_ADAM ? 0.005 : 0.05;
    o.schedule = MLP_SCHEDULE_EXPONENTIAL;
    o.schedule_factor = 0.9;
    mlp_trainer *tr = NULL;
    if (mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 16) != MLP_OK) abort();
    return tr;
}

static mlp_fit_options options(size_t epochs, int local)
{
    mlp_fit_options f;
    mlp_fit_options_init(&f, sizeof f);
    f.epochs = epochs;
    f.batch_size = 36;
    f.seed = 9;
    f.shard_local = local;
    f.validation_fraction = 0.1;
    return f;
}

/* Rank r's rows in local mode: the r-th block of the set, cut as libmlp cuts. */
static size_t block(size_t r, size_t P, size_t *at)
{
    *at = r * (N / P) + (r < N % P ? r : N % P);
    return N / P + (r < N % P);
}

/* Every rank's weights equal rank 0's, bit for bit. */
static int same_everywhere(const double *w, size_t np)
{
    double *w0 = malloc(np * sizeof *w0);
    memcpy(w0, w, np * sizeof *w0);
    MPI_Bcast(w0, (int)np, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    int same = memcmp(w0, w, np * sizeof *w0) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    free(w0);
    return all;
}

/* A copy of the network's weights (malloc'd); frees the trainer and the network. */
static double *take_weights(mlp_net *net, mlp_trainer *tr)
{
    double *w = weights_copy(net);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return w;
}

/* non-NULL: the rows' weights (mlp_dataset::w) of every fit below */
static const double *row_weights;

/* The fit on all ranks; the final weights returned (malloc'd). */
static double *fit_mpi(mlp_mpi *ctx, mlp_optimizer_kind kind, int local, size_t epochs,
                       mlp_status *status)
{
    mlp_net *net = make_net(12);
    mlp_trainer *tr = make_trainer(net, kind);
    mlp_fit_options f = options(epochs, local);
    size_t at = 0, n = local ? block((size_t)rank, (size_t)size, &at) : N;
    mlp_dataset d = MLP_DATASET(xs + at * IN, IN, ys + at * OUT, OUT, n);
    d.w = row_weights != NULL ? row_weights + at : NULL;
    *status = mlp_mpi_fit(ctx, tr, NULL, &d, &f);
    return take_weights(net, tr);
}

/* The same fit in this process: shards 0 (plain) or P. */
static double *fit_here(mlp_optimizer_kind kind, int local, size_t epochs, size_t shards)
{
    mlp_net *net = make_net(12);
    mlp_trainer *tr = make_trainer(net, kind);
    mlp_fit_options f = options(epochs, local);
    f.shards = shards;
    mlp_dataset d = MLP_DATASET(xs, IN, ys, OUT, N);
    d.w = row_weights;
    mlp_status s = mlp_trainer_fit(tr, NULL, &d, &f);
    CHECK(s == MLP_OK, "single-process fit: %s", mlp_error_detail());
    return take_weights(net, tr);
}

/* Dropout's masks follow each value's row in the whole batch: ranks, reruns, the
 * overlapped reduction and one process with as many shards draw the same. */
static void identity_dropout(mlp_mpi *ctx)
{
    dropout_rate = 0.25;
    mlp_net *probe = make_net(12);
    const size_t np = mlp_net_n_params(probe);
    mlp_net_free(probe);
    for (int local = 0; local <= 1; local++) {
        mlp_status s1, s2, s3;
        double *w1 = fit_mpi(ctx, MLP_OPT_ADAM, local, 5, &s1);
        double *w2 = fit_mpi(ctx, MLP_OPT_ADAM, local, 5, &s2);
        CHECK(s1 == MLP_OK && s2 == MLP_OK, "dropout: fit failed: %s", mlp_error_detail());
        CHECK(same_everywhere(w1, np), "dropout local=%d: ranks differ", local);
        CHECK(memcmp(w1, w2, np * sizeof *w1) == 0, "dropout local=%d: a rerun differs", local);
        CHECK(mlp_mpi_set_overlap(ctx, 1, 0) == MLP_OK, "overlap: %s", mlp_mpi_last_error(ctx));
        double *w3 = fit_mpi(ctx, MLP_OPT_ADAM, local, 5, &s3);
        mlp_mpi_set_overlap(ctx, 0, 0);
        CHECK(s3 == MLP_OK && memcmp(w1, w3, np * sizeof *w1) == 0,
              "dropout local=%d: overlapped, other bits", local);
        double *ws = fit_here(MLP_OPT_ADAM, local, 5, (size_t)size);
        CHECK(memcmp(w1, ws, np * sizeof *w1) == 0,
              "dropout local=%d: %d ranks differ from one process with %d shards", local, size,
              size);
        if (rank == 0)
            printf("  adam with a dropout, %d ranks%s: same bits on every rank, on a rerun, "
                   "overlapped, and as one process with %d shards\n",
                   size, local ? ", rows of their own" : "", size);
        free(w1);
        free(w2);
        free(w3);
        free(ws);
    }
    dropout_rate = 0;
}

/* A batch normalization's statistics are the whole batch's: a sharded fit would give
 * each rank its own, so every rank refuses, at once (none left waiting in a
 * collective), with the weights as they were. */
static void refuses_batchnorm(mlp_mpi *ctx)
{
    const mlp_layer_spec spec[] = {MLP_LAYER(12, MLP_ACT_IDENTITY, 1), MLP_BATCHNORM(MLP_ACT_TANH),
                                   MLP_LAYER(OUT, MLP_ACT_IDENTITY, 1)};
    mlp_net *net = NULL;
    if (mlp_net_create(&net, IN, spec, 3) != MLP_OK) abort();
    const size_t np = mlp_net_n_params(net);
    double *before = malloc(np * sizeof *before);
    if (before == NULL) abort();
    memcpy(before, mlp_net_params_const(net), np * sizeof *before);
    mlp_trainer *tr = make_trainer(net, MLP_OPT_ADAM);
    mlp_fit_options f = options(2, 0);
    const mlp_dataset d = MLP_DATASET(xs, IN, ys, OUT, N);
    const mlp_status s = mlp_mpi_fit(ctx, tr, NULL, &d, &f);
    CHECK(s == MLP_ERR_INVALID_ARG && strstr(mlp_error_detail(), "batch normalization") != NULL,
          "batch normalization: status %d, %s", (int)s, mlp_error_detail());
    CHECK(memcmp(before, mlp_net_params_const(net), np * sizeof *before) == 0,
          "batch normalization: the refused fit changed the weights");
    if (rank == 0) printf("  a batch normalization: refused on every rank: %.100s\n", mlp_error_detail());
    free(before);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}

static void identity(mlp_mpi *ctx)
{
    const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD, MLP_OPT_ADAM, MLP_OPT_NESTEROV};
    mlp_net *probe = make_net(12);
    const size_t np = mlp_net_n_params(probe);
    mlp_net_free(probe);
    for (int local = 0; local <= 1; local++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            const char *name = mlp_optimizer_name(kinds[k]);
            mlp_status s1, s2;
            double *w1 = fit_mpi(ctx, kinds[k], local, 5, &s1);
            double *w2 = fit_mpi(ctx, kinds[k], local, 5, &s2);
            CHECK(s1 == MLP_OK && s2 == MLP_OK, "%s: fit failed: %s", name, mlp_error_detail());
            CHECK(same_everywhere(w1, np), "%s local=%d: ranks differ", name, local);
            CHECK(memcmp(w1, w2, np * sizeof *w1) == 0, "%s local=%d: a rerun differs", name,
                  local);
            /* the same with the gradient reduced in buckets by the library's thread,
             * while the backward pass goes on: per layer, then all layers in one */
            for (size_t bucket = 0; bucket <= 100000; bucket += 100000) {
                CHECK(mlp_mpi_set_overlap(ctx, 1, bucket) == MLP_OK, "overlap: %s",
                      mlp_mpi_last_error(ctx));
                mlp_status s3;
                double *w3 = fit_mpi(ctx, kinds[k], local, 5, &s3);
                CHECK(s3 == MLP_OK && memcmp(w1, w3, np * sizeof *w1) == 0,
                      "%s local=%d: overlapped in buckets of %zu, other bits", name, local,
                      bucket);
                free(w3);
            }
            mlp_mpi_set_overlap(ctx, 0, 0);
            /* with a timeout the collectives are started and polled: the same bits */
            CHECK(mlp_mpi_set_timeout(ctx, 120) == MLP_OK, "timeout");
            mlp_status s4;
            double *w4 = fit_mpi(ctx, kinds[k], local, 5, &s4);
            CHECK(s4 == MLP_OK && memcmp(w1, w4, np * sizeof *w1) == 0,
                  "%s local=%d: with a timeout, other bits (%s)", name, local,
                  mlp_mpi_last_error(ctx));
            free(w4);
            mlp_mpi_set_timeout(ctx, 0);
            double *ws = fit_here(kinds[k], local, 5, (size_t)size);
            CHECK(memcmp(w1, ws, np * sizeof *w1) == 0,
                  "%s local=%d: %d ranks differ from one process with %d shards", name, local,
                  size, size);
            if (!local) {
                double *wp = fit_here(kinds[k], 0, 5, 0), worst = 0;
                for (size_t i = 0; i < np; i++)
                    worst = fmax(worst, fabs(w1[i] - wp[i]) / fmax(fabs(wp[i]), 1e-3));
                CHECK(worst <= 1e-12, "%s: %g relative from the plain fit", name, worst);
                if (rank == 0)
                    printf("  %-8s %d ranks: same bits on every rank, on a rerun, overlapped, "
                           "with a timeout, and as one process with %d shards; %.1e relative "
                           "from the plain fit\n",
                           name, size, size, worst);
                free(wp);
            } else if (rank == 0) {
                printf("  %-8s %d ranks, rows of their own: same bits on every rank, on a "
                       "rerun and as one process with %d local shards\n", name, size, size);
            }
            free(ws);
            free(w1);
            free(w2);
        }
}

/* Row weights (issue "Real tables"): a fit with weights of 1 gives the bits of one
 * without weights; uneven weights give the same bits on every rank, on a rerun and as
 * one process with as many shards, rows shared or of their own; and they change the
 * fit (the test could not pass by ignoring them). */
static void identity_weights(mlp_mpi *ctx)
{
    static double ones[N], uneven[N];
    for (size_t r = 0; r < N; r++) ones[r] = 1.0, uneven[r] = 0.25 + (double)(r % 5);
    mlp_net *probe = make_net(12);
    const size_t np = mlp_net_n_params(probe);
    mlp_net_free(probe);
    for (int local = 0; local <= 1; local++) {
        mlp_status s0, s1, s2, s3;
        double *plain = fit_mpi(ctx, MLP_OPT_ADAM, local, 4, &s0);
        row_weights = ones;
        double *w1 = fit_mpi(ctx, MLP_OPT_ADAM, local, 4, &s1);
        row_weights = uneven;
        double *w2 = fit_mpi(ctx, MLP_OPT_ADAM, local, 4, &s2);
        double *w3 = fit_mpi(ctx, MLP_OPT_ADAM, local, 4, &s3);
        double *here = fit_here(MLP_OPT_ADAM, local, 4, (size_t)size);
        row_weights = NULL;
        CHECK(s0 == MLP_OK && s1 == MLP_OK && s2 == MLP_OK && s3 == MLP_OK,
              "weights local=%d: fit failed: %s", local, mlp_error_detail());
        CHECK(memcmp(plain, w1, np * sizeof *w1) == 0,
              "weights local=%d: weights of 1 give other bits than none", local);
        CHECK(memcmp(plain, w2, np * sizeof *w2) != 0,
              "weights local=%d: uneven weights changed nothing", local);
        CHECK(same_everywhere(w2, np), "weights local=%d: ranks differ", local);
        CHECK(memcmp(w2, w3, np * sizeof *w2) == 0, "weights local=%d: a rerun differs", local);
        CHECK(memcmp(w2, here, np * sizeof *w2) == 0,
              "weights local=%d: %d ranks differ from one process with %d shards", local, size,
              size);
        if (rank == 0)
            printf("  adam with row weights, %d ranks%s: weights of 1 give the bits of none; "
                   "uneven ones the same bits on every rank, on a rerun and as one process "
                   "with %d shards\n",
                   size, local ? ", rows of their own" : "", size);
        free(plain), free(w1), free(w2), free(w3), free(here);
    }
}

/* A float32 network: each rank's gradient in float32, widened and reduced in double
 * in rank order, rounded once for the float32 update. The same bits on every rank, on
 * a rerun, overlapped in buckets, and as one process with as many shards; the plain
 * float32 fit to float's rounding. rank 0's float weights broadcast to all. */
static void identity_float32(mlp_mpi *ctx)
{
    precision = MLP_PRECISION_FLOAT32;
    const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD, MLP_OPT_ADAM};
    mlp_net *probe = make_net(12);
    const size_t np = mlp_net_n_params(probe);
    mlp_net_free(probe);
    for (int local = 0; local <= 1; local++)
        for (size_t k = 0; k < 2; k++) {
            const char *name = mlp_optimizer_name(kinds[k]);
            mlp_status s1, s2, s3;
            double *w1 = fit_mpi(ctx, kinds[k], local, 5, &s1);
            double *w2 = fit_mpi(ctx, kinds[k], local, 5, &s2);
            CHECK(s1 == MLP_OK && s2 == MLP_OK, "float32 %s: fit failed: %s", name,
                  mlp_error_detail());
            CHECK(same_everywhere(w1, np), "float32 %s local=%d: ranks differ", name, local);
            CHECK(memcmp(w1, w2, np * sizeof *w1) == 0, "float32 %s local=%d: a rerun differs",
                  name, local);
            CHECK(mlp_mpi_set_overlap(ctx, 1, 0) == MLP_OK, "overlap: %s", mlp_mpi_last_error(ctx));
            double *w3 = fit_mpi(ctx, kinds[k], local, 5, &s3);
            mlp_mpi_set_overlap(ctx, 0, 0);
            CHECK(s3 == MLP_OK && memcmp(w1, w3, np * sizeof *w1) == 0,
                  "float32 %s local=%d: overlapped, other bits", name, local);
            double *ws = fit_here(kinds[k], local, 5, (size_t)size);
            CHECK(memcmp(w1, ws, np * sizeof *w1) == 0,
                  "float32 %s local=%d: %d ranks differ from one process with %d shards", name,
                  local, size, size);
            double worst = 0;
            if (!local) {
                double *wp = fit_here(kinds[k], 0, 5, 0);
                for (size_t i = 0; i < np; i++)
                    worst = fmax(worst, fabs(w1[i] - wp[i]) / fmax(fabs(wp[i]), 1e-3));
                CHECK(worst <= 512 * FLT_EPSILON, "float32 %s: %g relative from the plain fit",
                      name, worst);
                free(wp);
            }
            char plain[64] = "";
            if (!local) snprintf(plain, sizeof plain, "; %.1e relative from the plain fit", worst);
            if (rank == 0)
                printf("  float32 %-8s %d ranks%s: same bits on every rank, on a rerun, "
                       "overlapped, and as one process with %d shards%s\n",
                       name, size, local ? ", rows of their own" : "", size, plain);
            free(w1);
            free(w2);
            free(w3);
            free(ws);
        }
    /* rank 0's float weights, everywhere */
    mlp_net *net = make_net(12);
    if (rank != 0) mlp_net_init(net, MLP_INIT_HE, 100 + (unsigned long long)rank);
    CHECK(mlp_mpi_broadcast_weights(ctx, net) == MLP_OK, "float32 broadcast: %s",
          mlp_mpi_last_error(ctx));
    double *w = weights_copy(net);
    CHECK(same_everywhere(w, np), "float32 broadcast: ranks differ");
    free(w);
    mlp_net_free(net);
    precision = MLP_PRECISION_FLOAT64;
}

static void checkpoint(mlp_mpi *ctx, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/ckpt.mlp", dir);
    mlp_status s;
    double *w6 = fit_mpi(ctx, MLP_OPT_ADAM, 0, 6, &s);
    CHECK(s == MLP_OK, "6 epochs: %s", mlp_error_detail());

    mlp_net *net = make_net(12);
    mlp_trainer *tr = make_trainer(net, MLP_OPT_ADAM);
    mlp_fit_options f = options(3, 0);
    const mlp_dataset d = MLP_DATASET(xs, IN, ys, OUT, N);
    CHECK(mlp_mpi_fit(ctx, tr, NULL, &d, &f) == MLP_OK, "first 3 epochs");
    CHECK(mlp_mpi_trainer_save(ctx, tr, path) == MLP_OK, "save: %s", mlp_error_detail());
    mlp_trainer_free(tr);
    mlp_net_free(net);
    CHECK(mlp_mpi_trainer_load(ctx, &tr, &net, path, 16) == MLP_OK, "load");
    if (tr != NULL) {
        CHECK(mlp_mpi_fit(ctx, tr, NULL, &d, &f) == MLP_OK, "last 3 epochs");
        CHECK(mlp_trainer_epochs(tr) == 6, "epochs %zu", mlp_trainer_epochs(tr));
        CHECK(memcmp(w6, mlp_net_params_const(net), mlp_net_n_params(net) * sizeof *w6) == 0,
              "3 + 3 epochs through a checkpoint differ from 6");
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    /* a file rank 0 cannot read: the same status on every rank */
    snprintf(path, sizeof path, "%s/none.mlp", dir);
    CHECK(mlp_mpi_trainer_load(ctx, &tr, &net, path, 16) == MLP_ERR_IO && tr == NULL,
          "a missing checkpoint");
    if (rank == 0)
        printf("  checkpoint after 3 epochs on %d ranks, resumed for 3: the bits of 6 "
               "uninterrupted epochs\n", size);
    free(w6);
}

/* Rank 1 (the last rank) differs by `what`; every rank must return `want`. */
static void failure(mlp_mpi *ctx, const char *what, mlp_status want)
{
    const int odd = rank == size - 1;
    if (odd && strcmp(what, "precision") == 0) precision = MLP_PRECISION_FLOAT32;
    mlp_net *net = make_net(odd && strcmp(what, "shape") == 0 ? 13 : 12);
    precision = MLP_PRECISION_FLOAT64;
    mlp_trainer *tr = make_trainer(net, MLP_OPT_ADAM);
    mlp_fit_options f = options(4, 1);
    size_t at = 0, n = block((size_t)rank, (size_t)size, &at);
    double *x = xs + at * IN, *y = ys + at * OUT, *big = NULL;
    if (odd && strcmp(what, "overflow") == 0) { /* finite targets whose errors overflow */
        big = malloc(n * OUT * sizeof *big);
        for (size_t i = 0; i < n * OUT; i++) big[i] = 1e200;
        y = big;
    }
    if (odd && strcmp(what, "NaN") == 0) { /* one input is NaN: refused at the start */
        big = malloc(n * IN * sizeof *big);
        memcpy(big, x, n * IN * sizeof *big);
        big[3] = NAN;
        x = big;
    }
    if (odd && strcmp(what, "no rows") == 0) {
        x = y = NULL;
        n = 0;
    }
    double *before = weights_copy(net);
    /* a dataset whose columns are not the network's: refused where it is passed */
    const size_t cols = odd && strcmp(what, "columns") == 0 ? IN - 1 : IN;
    const mlp_dataset d = MLP_DATASET(x, cols, y, OUT, n);
    const double t0 = MPI_Wtime();
    const mlp_status s = mlp_mpi_fit(ctx, tr, NULL, &d, &f);
    int mine = (int)s, lo = 0, hi = 0;
    MPI_Allreduce(&mine, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    CHECK(s == want, "%s: rank returned %s, expected %s (%s)", what, mlp_strerror(s),
          mlp_strerror(want), mlp_error_detail());
    CHECK(lo == hi, "%s: ranks returned different statuses", what);
    if (strcmp(what, "shape") != 0) {
        double *after = weights_copy(net);
        CHECK(memcmp(before, after, mlp_net_n_params(net) * sizeof *before) == 0,
              "%s: the weights changed", what);
        free(after);
    }
    if (rank == 0)
        printf("  %-9s on rank %d: every rank returned \"%s\" after %.3f s\n", what, size - 1,
               mlp_strerror(s), MPI_Wtime() - t0);
    free(before);
    free(big);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}

/* Every rank returned `want` (and the same status), and rank 0's mlp_mpi_last_error()
 * holds `says`. */
static void all_return(mlp_mpi *ctx, const char *what, mlp_status s, mlp_status want,
                       const char *says)
{
    int mine = (int)s, lo = 0, hi = 0;
    MPI_Allreduce(&mine, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    CHECK(s == want && lo == hi, "%s: rank returned %s, expected %s on every rank (%s)", what,
          mlp_strerror(s), mlp_strerror(want), mlp_mpi_last_error(ctx));
    CHECK(says == NULL || strstr(mlp_mpi_last_error(ctx), says) != NULL,
          "%s: mlp_mpi_last_error() says \"%s\", not \"%s\"", what, mlp_mpi_last_error(ctx),
          says);
    if (rank == 0)
        printf("  %-34s every rank: \"%s\"%s%.90s\n", what, mlp_strerror(s),
               says != NULL ? ": " : "", says != NULL ? mlp_mpi_last_error(ctx) : "");
}

/* One rank's bad arguments: every rank refuses together, none waits forever (1.5.0
 * left the others in the first reduction, or every rank in rank 0's open of a FIFO). */
static void refusals(mlp_mpi *ctx, const char *dir)
{
    const int last = rank == size - 1;
    char who[32];
    snprintf(who, sizeof who, "rank %d of %d refused", size - 1, size);
    const size_t at = block((size_t)rank, (size_t)size, &(size_t){0});
    size_t first = 0;
    const size_t n = block((size_t)rank, (size_t)size, &first);
    (void)at;
    const mlp_dataset d = MLP_DATASET(xs + first * IN, IN, ys + first * OUT, OUT, n);
    /* mlp_trainer_fit with the context's reducer: options, then the reducer, of a
     * struct_size this libmlp does not know, on the last rank */
    for (int bad = 0; bad < 2; bad++) {
        mlp_net *net = make_net(12);
        mlp_trainer *tr = make_trainer(net, MLP_OPT_ADAM);
        struct { mlp_fit_options o; unsigned char newer[16]; } f = {options(2, 1), {1}};
        struct { mlp_reducer r; unsigned char newer[16]; } red = {{.struct_size = sizeof red.r}, {1}};
        CHECK(mlp_mpi_reducer(ctx, &red.r) == MLP_OK, "mlp_mpi_reducer");
        f.o.reducer = &red.r;
        if (last && bad == 0) f.o.struct_size += sizeof f.newer;
        if (last && bad == 1) red.r.struct_size += sizeof red.newer;
        const mlp_status s = mlp_trainer_fit(tr, NULL, &d, &f.o);
        all_return(ctx, bad == 0 ? "fit: one rank's options" : "fit: one rank's reducer", s,
                   MLP_ERR_INVALID_ARG, NULL);
        CHECK(!last || strstr(mlp_error_detail(), "struct_size") != NULL, "the rank's own reason: %s",
              mlp_error_detail());
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    /* the reducer of a struct_size past this library's is refused where it is made */
    struct { mlp_reducer r; unsigned char newer[16]; } big = {{.struct_size = sizeof big}, {0}};
    CHECK(mlp_mpi_reducer(ctx, &big.r) == MLP_ERR_INVALID_ARG, "a reducer of another size");
    /* mlp_mpi_fit: the reason reaches every rank */
    {
        mlp_net *net = make_net(12);
        mlp_trainer *tr = make_trainer(net, MLP_OPT_ADAM);
        mlp_fit_options f = options(2, 1);
        if (last) f.struct_size = 3;
        all_return(ctx, "mlp_mpi_fit: one rank's options", mlp_mpi_fit(ctx, tr, NULL, &d, &f),
                   MLP_ERR_INVALID_ARG, who);
        CHECK(strstr(mlp_mpi_last_error(ctx), "options.struct_size is 3") != NULL, "%s",
              mlp_mpi_last_error(ctx));
        all_return(ctx, "mlp_mpi_fit: one rank's trainer",
                   mlp_mpi_fit(ctx, last ? NULL : tr, NULL, &d, NULL), MLP_ERR_INVALID_ARG,
                   "trainer is NULL");
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    /* loads: a FIFO (no writer: an open that blocks would hold every rank), a directory,
     * one rank without a place for the trainer */
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/ckpt.fifo", dir);
    if (rank == 0) {
        unlink(fifo);
        CHECK(mkfifo(fifo, 0600) == 0, "mkfifo");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    mlp_trainer *tr = NULL;
    mlp_net *net = NULL;
    all_return(ctx, "load: a FIFO", mlp_mpi_trainer_load(ctx, &tr, &net, fifo, 16), MLP_ERR_IO,
               "is a FIFO");
    all_return(ctx, "load: a directory", mlp_mpi_trainer_load(ctx, &tr, &net, dir, 16),
               MLP_ERR_IO, "is a directory");
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt.mlp", dir); /* checkpoint() saved it */
    all_return(ctx, "load: one rank's NULL trainer",
               mlp_mpi_trainer_load(ctx, last ? NULL : &tr, &net, ckpt, 16), MLP_ERR_INVALID_ARG,
               who);
    CHECK(tr == NULL, "a refused load gave a trainer");
    if (rank == 0) unlink(fifo);
    /* weights: 1-4-1 and 2-3-1 have 13 parameters each */
    const mlp_layer_spec a[2] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    const mlp_layer_spec b[2] = {MLP_LAYER(3, MLP_ACT_TANH, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *w = NULL;
    if (mlp_net_create(&w, last ? 2 : 1, last ? b : a, 2) != MLP_OK) abort();
    CHECK(mlp_net_n_params(w) == 13, "13 parameters");
    all_return(ctx, "broadcast: 1-4-1 and 2-3-1", mlp_mpi_broadcast_weights(ctx, w),
               MLP_ERR_SHAPE, "shape");
    all_return(ctx, "broadcast: one rank's NULL", mlp_mpi_broadcast_weights(ctx, last ? NULL : w),
               MLP_ERR_INVALID_ARG, "net is NULL");
    mlp_net_free(w);
    /* a save rank 0 cannot make: its reason everywhere */
    char nowhere[600];
    snprintf(nowhere, sizeof nowhere, "%s/no/such/dir/ckpt.mlp", dir);
    mlp_net *sn = make_net(12);
    mlp_trainer *st = make_trainer(sn, MLP_OPT_ADAM);
    all_return(ctx, "save: rank 0 cannot", mlp_mpi_trainer_save(ctx, st, nowhere), MLP_ERR_IO,
               "rank 0 of");
    mlp_trainer_free(st);
    mlp_net_free(sn);
}

/* A stopped rank: with a timeout, the others return instead of waiting forever. The
 * last rank sleeps past the others' timeout before it makes the call; the context is
 * spent afterwards (a collective MPI cannot cancel is pending), so this runs last, on
 * a context of its own. */
static void timeout(void)
{
    mlp_mpi *ctx = NULL;
    if (mlp_mpi_create(&ctx, MPI_COMM_WORLD) != MLP_OK) abort();
    CHECK(mlp_mpi_set_timeout(ctx, -1) == MLP_ERR_INVALID_ARG, "a negative timeout");
    CHECK(mlp_mpi_set_timeout(ctx, NAN) == MLP_ERR_INVALID_ARG, "a NaN timeout");
    CHECK(mlp_mpi_set_timeout(ctx, 1.0) == MLP_OK, "a timeout");
    mlp_net *net = make_net(12);
    /* a round that everyone joins works as without a timeout */
    CHECK(mlp_mpi_broadcast_weights(ctx, net) == MLP_OK, "broadcast with a timeout: %s",
          mlp_mpi_last_error(ctx));
    const int stopped = rank == size - 1;
    if (stopped) sleep(4);
    const double t0 = MPI_Wtime();
    const mlp_status s = mlp_mpi_broadcast_weights(ctx, net);
    const double t = MPI_Wtime() - t0;
    if (!stopped) {
        CHECK(s == MLP_ERR_IO && t >= 0.9 && t < 3.5, "a stopped rank: %s after %.2f s (%s)",
              mlp_strerror(s), t, mlp_mpi_last_error(ctx));
        CHECK(strstr(mlp_mpi_last_error(ctx), "within 1 s") != NULL, "%s",
              mlp_mpi_last_error(ctx));
        CHECK(mlp_mpi_broadcast_weights(ctx, net) == MLP_ERR_IO, "a spent context");
        if (rank == 0)
            printf("  a rank stopped for 4 s, a timeout of 1 s: the others returned \"%s\" "
                   "after %.2f s: %.120s\n", mlp_strerror(s), t, mlp_mpi_last_error(ctx));
    }
    mlp_net_free(net); /* the stage, not the network, is what the pending collective holds */
    mlp_mpi_free(ctx); /* a spent context keeps what its pending collective may write into */
}

int main(int argc, char **argv)
{
    int level = 0; /* the library's communication thread (overlap) needs SERIALIZED */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &level);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    make_data();
    mlp_mpi *ctx = NULL;
    if (mlp_mpi_create(&ctx, MPI_COMM_WORLD) != MLP_OK) {
        fprintf(stderr, "rank %d: mlp_mpi_create failed\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    mlp_mpi_set_verify(ctx, 1); /* every step: the weights agree everywhere */
    if (level < MPI_THREAD_SERIALIZED) {
        if (rank == 0) fprintf(stderr, "this MPI gives no MPI_THREAD_SERIALIZED\n");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    CHECK(mlp_mpi_set_overlap(NULL, 1, 0) == MLP_ERR_INVALID_ARG, "overlap on NULL");
    if (rank == 0) printf("libmlp-mpi on %d ranks\n", size);
    identity(ctx);
    identity_weights(ctx);
    identity_float32(ctx);
    identity_dropout(ctx);
    refuses_batchnorm(ctx);
    checkpoint(ctx, argc > 1 ? argv[1] : ".");
    if (size > 1) {
        failure(ctx, "shape", MLP_ERR_SHAPE);
        failure(ctx, "precision", MLP_ERR_SHAPE);
        failure(ctx, "columns", MLP_ERR_SHAPE);
        failure(ctx, "overflow", MLP_ERR_NUMERIC);
        failure(ctx, "NaN", MLP_ERR_NUMERIC);
        failure(ctx, "no rows", MLP_ERR_INVALID_ARG);
        refusals(ctx, argc > 1 ? argv[1] : ".");
        timeout();
    }
    int all = 0;
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("%s: %d failed checks\n", all == 0 ? "ok" : "FAILED", all);
    mlp_mpi_free(ctx);
    MPI_Finalize();
    return all == 0 ? 0 : 1;
}
