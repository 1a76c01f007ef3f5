/* Sharded fits (data parallelism) without MPI: the single-process option against the
 * plain fit (to rounding), and the reducer hook driven by a fake in-process transport,
 * one thread per "process", which adds the shards' blocks in shard order. Threads
 * running the same fit must end with the same bits as each other and as the
 * single-process fit with as many shards; every disagreement, refusal and non-finite
 * loss must end every thread with the same status, none left waiting. */
#define _POSIX_C_SOURCE 200809L /* pthread barriers */
#include <pthread.h>
#include <string.h>

#include "test_util.h"

enum { IN = 3, OUT = 2, N = 240, MAXP = 8 };

static double xs[N * IN], ys[N * OUT];

static void make_data(void)
{
    uint64_t rng = 42;
    for (size_t r = 0; r < N; r++) {
        double *x = xs + r * IN, *y = ys + r * OUT;
        tu_fill(&rng, x, IN, -1, 1);
        y[0] = sin(x[0]) + 0.5 * x[1] * x[2];
        y[1] = cos(x[1]) - x[0];
    }
}

/* The precision make_net makes its networks in: float64 at the start of every test (a
 * fixture, which runs even when a failed test left it set in one process). */
static mlp_precision precision = MLP_PRECISION_FLOAT64;

static void float64_networks(void) { precision = MLP_PRECISION_FLOAT64; }

static mlp_net *make_net(size_t hidden)
{
    const mlp_layer_spec spec[] = {MLP_LAYER(hidden, MLP_ACT_TANH, 1),
                                   MLP_LAYER(OUT, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create_precision(&net, IN, spec, 2, precision), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 7), MLP_OK);
    return net;
}

/* The network's weights as doubles (a float32 network's widened), malloc'd. */
static double *weights_of(const mlp_net *net)
{
    const size_t np = mlp_net_n_params(net);
    double *w = malloc(np * sizeof *w);
    ck_assert_ptr_nonnull(w);
    if (mlp_net_precision(net) == MLP_PRECISION_FLOAT64)
        memcpy(w, mlp_net_params_const(net), np * sizeof *w);
    else
        for (size_t i = 0; i < np; i++) w[i] = (double)mlp_net_params_f32_const(net)[i];
    return w;
}

/* ---- the fake transport ------------------------------------------------------------ */

typedef struct fake_comm {
    size_t P;
    pthread_barrier_t bar;
    double *slot[MAXP];
    size_t n[MAXP];
    int mismatch;      /* two threads called with different lengths: the fit misaligned */
    long perturb;      /* this shard's sums get 1e-9 added to their first value (-1: none) */
    size_t calls[MAXP];
} fake_comm;

typedef struct fake_rank {
    fake_comm *c;
    size_t shard;
} fake_rank;

static mlp_status fake_allreduce(double *v, size_t n, void *user)
{
    fake_rank *r = user;
    fake_comm *c = r->c;
    c->slot[r->shard] = v;
    c->n[r->shard] = n;
    c->calls[r->shard]++;
    pthread_barrier_wait(&c->bar);
    double *sum = malloc(n * sizeof *sum);
    for (size_t q = 0; q < c->P; q++)
        if (c->n[q] != n) c->mismatch = 1;
    for (size_t i = 0; i < n && c->mismatch == 0; i++) {
        double acc = c->slot[0][i];
        for (size_t q = 1; q < c->P; q++) acc += c->slot[q][i];
        sum[i] = acc;
    }
    pthread_barrier_wait(&c->bar); /* every thread has read every slot */
    if (c->mismatch == 0) memcpy(v, sum, n * sizeof *v);
    free(sum);
    if ((long)r->shard == c->perturb && n > 30) v[0] += 1e-9; /* gradients, not the tables */
    return c->mismatch == 0 ? MLP_OK : MLP_ERR_IO;
}

/* Buckets: start keeps a copy of the bucket; wait checks that the fit left the
 * bucket's memory alone meanwhile, then sums the buckets in the order they came. */
typedef struct fake_buckets {
    fake_rank rank;
    double *values[8], *copy[8];
    size_t n[8], count;
    size_t started;   /* buckets over the whole fit */
    int touched;      /* the fit wrote into a bucket between start and wait */
} fake_buckets;

static mlp_status fake_start(double *v, size_t n, void *user)
{
    fake_buckets *b = user;
    if (b->count == 8) return MLP_ERR_INVALID_ARG;
    b->values[b->count] = v;
    b->n[b->count] = n;
    b->copy[b->count] = malloc(n * sizeof *v);
    memcpy(b->copy[b->count], v, n * sizeof *v);
    b->count++;
    b->started++;
    return MLP_OK;
}

static mlp_status fake_wait(void *user)
{
    fake_buckets *b = user;
    mlp_status s = MLP_OK;
    for (size_t i = 0; i < b->count; i++) {
        if (memcmp(b->copy[i], b->values[i], b->n[i] * sizeof(double)) != 0) b->touched = 1;
        free(b->copy[i]);
        if (s == MLP_OK) s = fake_allreduce(b->values[i], b->n[i], &b->rank);
    }
    b->count = 0;
    return s;
}

static mlp_status fake_allreduce_b(double *v, size_t n, void *user)
{
    return fake_allreduce(v, n, &((fake_buckets *)user)->rank);
}

/* What one thread ("process") runs and gets. */
typedef struct job {
    fake_comm *c;
    size_t shard;
    mlp_optimizer_kind kind;
    mlp_fit_options f;     /* reducer filled in by the thread */
    const double *x, *y;   /* its rows */
    size_t n;
    size_t hidden;
    size_t verify_every;
    int buckets;           /* use start and wait */
    size_t bucket_values;
    size_t started;        /* buckets started */
    int touched;
    mlp_status status;
    double *w;             /* its final weights (n_params), malloc'd */
    size_t np;
    double loss[16], val_loss[16];
    size_t epochs_run;
    mlp_stop_reason stop;
    int callbacks;         /* how often its callback ran */
} job;

static int count_and_stop(const mlp_epoch_report *rep, void *user)
{
    job *j = user;
    j->callbacks++;
    return rep->epoch >= 3; /* stop after the third epoch */
}

static void *run_job(void *arg)
{
    job *j = arg;
    mlp_net *net = make_net(j->hidden);
    mlp_optimizer o = tu_optimizer(j->kind);
    if (j->kind != MLP_OPT_LBFGS) o.learning_rate = j->kind == MLP_OPT_ADAM ? 0.01 : 0.05;
    mlp_trainer *tr;
    if (mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 8) != MLP_OK) abort();
    fake_buckets fb = {.rank = {j->c, j->shard}};
    mlp_reducer red = {.struct_size = sizeof red,
                       .shards = j->c->P,
                       .shard = j->shard,
                       .allreduce = fake_allreduce_b,
                       .user_data = &fb,
                       .verify_every = j->verify_every};
    if (j->buckets) {
        red.start = fake_start;
        red.wait = fake_wait;
        red.bucket_values = j->bucket_values;
    }
    mlp_fit_options f = j->f;
    f.reducer = &red;
    if (f.callback != NULL) f.user_data = j;
    mlp_fit_result r = tu_fit_result();
    j->status = mlp_trainer_fit(tr, &r, TU_DATA(j->x, j->y, j->n), &f);
    j->started = fb.started;
    j->touched = fb.touched;
    j->np = mlp_net_n_params(net);
    j->w = weights_of(net);
    if (j->status == MLP_OK || j->status == MLP_ERR_NUMERIC) {
        j->epochs_run = r.epochs_run;
        j->stop = r.stop;
        for (size_t e = 0; e < r.epochs_run && e < 16; e++) {
            j->loss[e] = r.loss[e];
            j->val_loss[e] = r.val_loss != NULL ? r.val_loss[e] : NAN;
        }
    }
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return NULL;
}

/* Run P threads, thread q on rows[q] (or on all rows when rows is NULL); jobs[q] filled
 * from `tmpl`, then thread 1's changed by `edit` when it is not NULL. Every thread must
 * have made the same reductions. */
static void run_edited(job *jobs, size_t P, const job *tmpl, const size_t *rows,
                       long perturb, void (*edit)(job *))
{
    fake_comm *c = calloc(1, sizeof *c);
    c->P = P;
    c->perturb = perturb;
    pthread_barrier_init(&c->bar, NULL, (unsigned)P);
    pthread_t th[MAXP];
    size_t off = 0;
    for (size_t q = 0; q < P; q++) {
        jobs[q] = *tmpl;
        jobs[q].c = c;
        jobs[q].shard = q;
        if (rows != NULL) {
            jobs[q].x = tmpl->x + off * IN;
            jobs[q].y = tmpl->y + off * OUT;
            jobs[q].n = rows[q];
            off += rows[q];
        }
        if (q == 1 && edit != NULL) edit(&jobs[q]);
        ck_assert_int_eq(pthread_create(&th[q], NULL, run_job, &jobs[q]), 0);
    }
    for (size_t q = 0; q < P; q++) pthread_join(th[q], NULL);
    ck_assert_int_eq(c->mismatch, 0);
    for (size_t q = 1; q < P; q++) ck_assert_uint_eq(c->calls[q], c->calls[0]);
    pthread_barrier_destroy(&c->bar);
    free(c);
}

static void run_all(job *jobs, size_t P, const job *tmpl, const size_t *rows, long perturb)
{
    run_edited(jobs, P, tmpl, rows, perturb, NULL);
}

static void free_jobs(job *jobs, size_t P)
{
    for (size_t q = 0; q < P; q++) free(jobs[q].w);
}

/* The same fit in one process: plain (shards 0) or sharded. */
static double *fit_here(mlp_optimizer_kind kind, mlp_fit_options f, size_t shards,
                        mlp_status *status, double *loss)
{
    mlp_net *net = make_net(8);
    mlp_optimizer o = tu_optimizer(kind);
    if (kind != MLP_OPT_LBFGS) o.learning_rate = kind == MLP_OPT_ADAM ? 0.01 : 0.05;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 8), MLP_OK);
    f.shards = shards;
    mlp_fit_result r = tu_fit_result();
    *status = mlp_trainer_fit(tr, &r, TU_DATA(xs, ys, N), &f);
    if (loss != NULL && *status == MLP_OK)
        for (size_t e = 0; e < r.epochs_run; e++) loss[e] = r.loss[e];
    if (*status == MLP_OK) { /* the provenance names the batch, not a shard of it */
        mlp_provenance info;
        ck_assert_int_eq(mlp_provenance_init(&info, sizeof info), MLP_OK);
        ck_assert_int_eq(mlp_net_provenance(net, &info, NULL), MLP_OK);
        ck_assert_uint_eq(info.batch_size, (f.batch_size == 0 ? N : f.batch_size));
    }
    double *w = weights_of(net);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return w;
}

static size_t n_params_of(size_t hidden) { return IN * hidden + hidden + hidden * OUT + OUT; }

static const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV,
                                           MLP_OPT_ADAM};

/* One process, S shards: the plain fit to rounding, for every first-order optimizer
 * and shard count, odd batch sizes and a last short batch included. */
START_TEST(sharded_fit_agrees_with_the_plain_fit)
{
    make_data();
    for (size_t kk = 0; kk < sizeof kinds / sizeof kinds[0]; kk++)
        for (size_t S = 2; S <= 5; S++) {
            mlp_fit_options f = tu_fit_options();
            f.epochs = 6;
            f.batch_size = 25; /* 240 = 9 x 25 + 15 */
            f.seed = 3;
            mlp_status s0, s1;
            double l0[6], l1[6];
            double *w0 = fit_here(kinds[kk], f, 0, &s0, l0);
            double *w1 = fit_here(kinds[kk], f, S, &s1, l1);
            ck_assert_int_eq(s0, MLP_OK);
            ck_assert_int_eq(s1, MLP_OK);
            double worst = 0;
            for (size_t i = 0; i < n_params_of(8); i++)
                worst = fmax(worst, fabs(w0[i] - w1[i]) / fmax(fabs(w0[i]), 1e-3));
            ck_assert_msg(worst <= 1e-12, "%s, %zu shards: weights differ by %g relative",
                          mlp_optimizer_name(kinds[kk]), S, worst);
            ck_assert_msg(worst > 0 || kinds[kk] == MLP_OPT_SGD || S == 1,
                          "suspicious: %zu shards gave the plain fit's bits", S);
            for (size_t e = 0; e < 6; e++) ck_assert(tu_close(l0[e], l1[e], 1e-12));
            free(w0);
            free(w1);
        }
}
END_TEST

static void assert_same_bits(const job *jobs, size_t P, const double *w)
{
    for (size_t q = 0; q < P; q++) {
        ck_assert_int_eq(jobs[q].status, MLP_OK);
        ck_assert_msg(memcmp(jobs[q].w, jobs[0].w, jobs[0].np * sizeof *w) == 0,
                      "thread %zu ends with other bits than thread 0", q);
    }
    if (w != NULL)
        ck_assert_msg(memcmp(jobs[0].w, w, jobs[0].np * sizeof *w) == 0,
                      "the threads end with other bits than one process with %zu shards", P);
}

/* P threads over the hook: the same bits on each, and those of one process with P
 * shards — every batch cut into slices (every thread passing all rows). */
START_TEST(threads_match_the_single_process_sharded_fit)
{
    make_data();
    for (size_t kk = 0; kk < sizeof kinds / sizeof kinds[0]; kk++)
        for (size_t P = 1; P <= 4; P++) {
            job tmpl = {.kind = kinds[kk], .x = xs, .y = ys, .n = N, .hidden = 8};
            tmpl.f = tu_fit_options();
            tmpl.f.epochs = 4;
            tmpl.f.batch_size = 30;
            tmpl.f.validation_fraction = 0.2;
            tmpl.verify_every = 5;
            job jobs[MAXP];
            run_all(jobs, P, &tmpl, NULL, -1);
            mlp_status s;
            mlp_fit_options f = tmpl.f;
            double *w = fit_here(kinds[kk], f, P, &s, NULL);
            ck_assert_int_eq(s, MLP_OK);
            assert_same_bits(jobs, P, P > 1 ? w : NULL);
            if (P == 1 && kinds[kk] != MLP_OPT_SGD) {
                /* one shard through the hook is the plain fit itself (SGD's plain road
                 * fuses its update, the hook's does not) */
                double *plain = fit_here(kinds[kk], f, 0, &s, NULL);
                ck_assert(memcmp(plain, jobs[0].w, jobs[0].np * sizeof *plain) == 0);
                free(plain);
            }
            for (size_t e = 0; e < 4; e++)
                for (size_t q = 0; q < P; q++) {
                    ck_assert(jobs[q].loss[e] == jobs[0].loss[e]);
                    ck_assert(jobs[q].val_loss[e] == jobs[0].val_loss[e]);
                    ck_assert(isfinite(jobs[q].val_loss[e]));
                }
            free(w);
            free_jobs(jobs, P);
        }
}
END_TEST

/* Rows of their own: thread q passes the q-th block; one process given all rows with
 * shard_local cuts them into the same blocks. Blocks of unequal length; early stopping
 * on each shard's held-out rows. Then a second run gives the same bits (reruns). */
START_TEST(local_rows_match_and_rerun_bit_for_bit)
{
    make_data();
    const size_t P = 3, rows[3] = {80, 80, 80};
    job tmpl = {.kind = MLP_OPT_ADAM, .x = xs, .y = ys, .n = N, .hidden = 8};
    tmpl.f = tu_fit_options();
    tmpl.f.epochs = 8;
    tmpl.f.batch_size = 24;
    tmpl.f.shard_local = 1;
    tmpl.f.validation_fraction = 0.25;
    tmpl.f.patience = 3;
    job a[MAXP], b[MAXP];
    run_all(a, P, &tmpl, rows, -1);
    run_all(b, P, &tmpl, rows, -1);
    mlp_status s;
    double *w = fit_here(MLP_OPT_ADAM, tmpl.f, P, &s, NULL);
    ck_assert_int_eq(s, MLP_OK);
    assert_same_bits(a, P, w);
    assert_same_bits(b, P, w);
    /* 240 rows cut in 3 blocks of 80, each holding out 20: the plain fit's split is
     * other rows, so the weights differ from it beyond rounding */
    double *plain = fit_here(MLP_OPT_ADAM, tmpl.f, 0, &s, NULL);
    ck_assert(memcmp(plain, w, a[0].np * sizeof *w) != 0);
    free(plain);
    free(w);
    free_jobs(a, P);
    free_jobs(b, P);

    /* unequal blocks: shards run out at different steps */
    const size_t uneq[3] = {50, 100, 90};
    tmpl.f.validation_fraction = 0;
    tmpl.f.patience = 0;
    run_all(a, P, &tmpl, uneq, -1);
    for (size_t q = 0; q < P; q++) ck_assert_int_eq(a[q].status, MLP_OK);
    assert_same_bits(a, P, NULL);
    free_jobs(a, P);
}
END_TEST

/* The gradient handed over in buckets as the backward pass completes them: the same
 * bits as whole blocks, a bucket never written after it was started, and as many
 * buckets as asked for (two layers: one per layer, or one for both). */
START_TEST(buckets_give_the_same_bits)
{
    make_data();
    for (int local = 0; local <= 1; local++) {
        job tmpl = {.kind = MLP_OPT_NESTEROV, .x = xs, .y = ys, .n = N, .hidden = 8};
        tmpl.f = tu_fit_options();
        tmpl.f.epochs = 3;
        tmpl.f.batch_size = 32;
        tmpl.f.shard_local = local;
        const size_t rows[3] = {80, 80, 80};
        job whole[MAXP], per_layer[MAXP], merged[MAXP];
        run_all(whole, 3, &tmpl, local ? rows : NULL, -1);
        tmpl.buckets = 1;
        run_all(per_layer, 3, &tmpl, local ? rows : NULL, -1);
        tmpl.bucket_values = 1000; /* more than the network holds: one bucket per step */
        run_all(merged, 3, &tmpl, local ? rows : NULL, -1);
        assert_same_bits(whole, 3, NULL);
        assert_same_bits(per_layer, 3, whole[0].w);
        assert_same_bits(merged, 3, whole[0].w);
        /* 8 steps an epoch: 240 rows in batches of 32; or each shard's 80 rows, 11, 11
         * and 10 of them a step */
        const size_t steps = 8 * 3;
        for (size_t q = 0; q < 3; q++) {
            ck_assert_int_eq(per_layer[q].touched, 0);
            ck_assert_int_eq(merged[q].touched, 0);
            ck_assert_uint_eq(per_layer[q].started, 2 * steps);
            ck_assert_uint_eq(merged[q].started, steps);
        }
        free_jobs(whole, 3);
        free_jobs(per_layer, 3);
        free_jobs(merged, 3);
    }
}
END_TEST

/* The callback runs on shard 0 only, and its stop ends every thread's fit. */
START_TEST(callback_on_shard_zero_stops_everyone)
{
    make_data();
    job tmpl = {.kind = MLP_OPT_MOMENTUM, .x = xs, .y = ys, .n = N, .hidden = 8};
    tmpl.f = tu_fit_options();
    tmpl.f.epochs = 10;
    tmpl.f.callback = count_and_stop;
    job jobs[MAXP];
    run_all(jobs, 3, &tmpl, NULL, -1);
    assert_same_bits(jobs, 3, NULL);
    ck_assert_int_eq(jobs[0].callbacks, 3);
    for (size_t q = 0; q < 3; q++) {
        ck_assert_int_eq(jobs[q].stop, MLP_STOP_CALLBACK);
        ck_assert_uint_eq(jobs[q].epochs_run, 3);
        if (q > 0) ck_assert_int_eq(jobs[q].callbacks, 0);
    }
    free_jobs(jobs, 3);
}
END_TEST

/* Run three threads where thread 1 differs by `edit`; every thread must return `want`. */
static void expect_everyone(const job *tmpl, void (*edit)(job *), const size_t *rows,
                            mlp_status want, const char *what)
{
    job jobs[3];
    run_edited(jobs, 3, tmpl, rows, -1, edit);
    for (size_t q = 0; q < 3; q++)
        ck_assert_msg(jobs[q].status == want, "%s: thread %zu returned %s, expected %s", what, q,
                      mlp_strerror(jobs[q].status), mlp_strerror(want));
    /* and every thread keeps the weights it started with (refusals) or the same ones */
    for (size_t q = 1; q < 3; q++)
        if (jobs[q].np == jobs[0].np)
            ck_assert(memcmp(jobs[q].w, jobs[0].w, jobs[0].np * sizeof(double)) == 0);
    free_jobs(jobs, 3);
}

static void other_batch(job *j) { j->f.batch_size = 31; }
static void other_shape(job *j) { j->hidden = 9; }
static void other_optimizer(job *j) { j->kind = MLP_OPT_NESTEROV; }
static void other_seed(job *j) { j->f.seed = 99; }
static void no_rows(job *j) { j->n = 0; }
static void null_rows(job *j) { j->x = NULL; j->n = 0; }
static void lbfgs(job *j) { j->f.batch_size = 0; j->kind = MLP_OPT_LBFGS; }
static void buckets(job *j) { j->buckets = 1; }

static double bad_x[80 * IN], bad_y[80 * OUT];
static void huge_rows(job *j)
{
    /* finite inputs whose squared errors overflow: a loss that is not finite on this
     * thread only */
    for (size_t i = 0; i < 80 * IN; i++) bad_x[i] = xs[i];
    for (size_t i = 0; i < 80 * OUT; i++) bad_y[i] = 1e200;
    j->x = bad_x;
    j->y = bad_y;
}
static void nan_rows(job *j)
{
    for (size_t i = 0; i < 80 * IN; i++) bad_x[i] = xs[i];
    for (size_t i = 0; i < 80 * OUT; i++) bad_y[i] = ys[i];
    bad_x[7] = NAN;
    j->x = bad_x;
    j->y = bad_y;
}

START_TEST(disagreement_ends_every_thread_alike)
{
    make_data();
    job tmpl = {.kind = MLP_OPT_ADAM, .x = xs, .y = ys, .n = N, .hidden = 8};
    tmpl.f = tu_fit_options();
    tmpl.f.epochs = 3;
    expect_everyone(&tmpl, other_batch, NULL, MLP_ERR_INVALID_ARG, "another batch size");
    expect_everyone(&tmpl, other_shape, NULL, MLP_ERR_SHAPE, "another network");
    expect_everyone(&tmpl, other_optimizer, NULL, MLP_ERR_INVALID_ARG, "another optimizer");
    expect_everyone(&tmpl, other_seed, NULL, MLP_ERR_INVALID_ARG, "another shuffling seed");
    expect_everyone(&tmpl, no_rows, NULL, MLP_ERR_INVALID_ARG, "no rows");
    expect_everyone(&tmpl, lbfgs, NULL, MLP_ERR_INVALID_ARG, "L-BFGS on one thread");
    expect_everyone(&tmpl, buckets, NULL, MLP_ERR_INVALID_ARG, "buckets on one thread");
    const size_t rows[3] = {80, 80, 80};
    tmpl.f.shard_local = 1;
    expect_everyone(&tmpl, null_rows, rows, MLP_ERR_INVALID_ARG, "a thread with no rows");
    expect_everyone(&tmpl, nan_rows, rows, MLP_ERR_NUMERIC, "NaN in one thread's rows");
    /* a loss that overflows on one thread in the first step: every thread ends with
     * MLP_ERR_NUMERIC and the weights it started with */
    expect_everyone(&tmpl, huge_rows, rows, MLP_ERR_NUMERIC, "an overflowing loss on one");
}
END_TEST

/* A transport that does not add in shard order everywhere (here: one thread's sums are
 * off by 1e-9) is caught by verify_every, on every thread. */
START_TEST(verification_catches_weights_that_drift_apart)
{
    make_data();
    job tmpl = {.kind = MLP_OPT_SGD, .x = xs, .y = ys, .n = N, .hidden = 8};
    tmpl.f = tu_fit_options();
    tmpl.f.epochs = 2;
    tmpl.verify_every = 3;
    job jobs[MAXP];
    run_all(jobs, 3, &tmpl, NULL, 2);
    for (size_t q = 0; q < 3; q++) ck_assert_int_eq(jobs[q].status, MLP_ERR_NUMERIC);
    free_jobs(jobs, 3);
    tmpl.verify_every = 0; /* unchecked, the same run ends "well" with other weights */
    run_all(jobs, 3, &tmpl, NULL, 2);
    for (size_t q = 0; q < 3; q++) ck_assert_int_eq(jobs[q].status, MLP_OK);
    ck_assert(memcmp(jobs[2].w, jobs[0].w, jobs[0].np * sizeof(double)) != 0);
    free_jobs(jobs, 3);
}
END_TEST

/* A float32 network trains in shards too: each shard's gradient in float32, widened,
 * the blocks summed in double in shard order and rounded once to float for the float32
 * update. So the threads end with the same bits, those of one process with as many
 * shards, whole blocks or buckets, and a rerun's; and the plain float32 fit (the
 * gradient summed by sgemm in float) to float's rounding: within 512 ε of float
 * (6.1e-5) relative after 6 epochs of 10 steps (float64's test allows 4,500 ε of
 * double); measured 2.2e-6 (SGD) and 4.9e-6 (Adam) on AVX-512, 1.6e-5 (SGD) under
 * valgrind, whose CPU has no AVX-512 (other kernels, other roundings). */
START_TEST(float32_shards_give_the_same_bits)
{
    make_data();
    precision = MLP_PRECISION_FLOAT32;
    const mlp_optimizer_kind two[] = {MLP_OPT_SGD, MLP_OPT_ADAM};
    for (size_t kk = 0; kk < 2; kk++) {
        job tmpl = {.kind = two[kk], .x = xs, .y = ys, .n = N, .hidden = 8};
        tmpl.f = tu_fit_options();
        tmpl.f.epochs = 4;
        tmpl.f.batch_size = 30;
        tmpl.f.validation_fraction = 0.2;
        tmpl.verify_every = 3;
        job whole[MAXP], again[MAXP], buckets[MAXP];
        run_all(whole, 3, &tmpl, NULL, -1);
        run_all(again, 3, &tmpl, NULL, -1);
        tmpl.buckets = 1;
        run_all(buckets, 3, &tmpl, NULL, -1);
        mlp_status s;
        double *w = fit_here(two[kk], tmpl.f, 3, &s, NULL);
        ck_assert_int_eq(s, MLP_OK);
        assert_same_bits(whole, 3, w);
        assert_same_bits(again, 3, w);
        assert_same_bits(buckets, 3, w);
        free(w);
        free_jobs(whole, 3);
        free_jobs(again, 3);
        free_jobs(buckets, 3);
        mlp_fit_options f = tu_fit_options();
        f.epochs = 6;
        f.batch_size = 25;
        f.seed = 3;
        double *w0 = fit_here(two[kk], f, 0, &s, NULL), *w1 = fit_here(two[kk], f, 4, &s, NULL);
        ck_assert_int_eq(s, MLP_OK);
        double worst = 0;
        for (size_t i = 0; i < n_params_of(8); i++)
            worst = fmax(worst, fabs(w0[i] - w1[i]) / fmax(fabs(w0[i]), 1e-3));
        ck_assert_msg(worst <= 512 * FLT_EPSILON, "%s: 4 shards' weights differ by %g relative",
                      mlp_optimizer_name(two[kk]), worst);
        free(w0);
        free(w1);
    }
    precision = MLP_PRECISION_FLOAT64;
}
END_TEST

/* Refusals of one process's options, with no reducer involved. */
START_TEST(sharded_refusals)
{
    make_data();
    mlp_status s;
    mlp_fit_options f = tu_fit_options();
    f.batch_size = 3;
    free(fit_here(MLP_OPT_ADAM, f, 4, &s, NULL)); /* 3 rows cannot make 4 shards */
    ck_assert_int_eq(s, MLP_ERR_INVALID_ARG);
    f.batch_size = 0;
    free(fit_here(MLP_OPT_LBFGS, f, 2, &s, NULL));
    ck_assert_int_eq(s, MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "shards"));
    f.batch_size = 16;
    free(fit_here(MLP_OPT_ADAM, f, 70000, &s, NULL));
    ck_assert_int_eq(s, MLP_ERR_INVALID_ARG);
    /* a reducer whose fields make no sense is refused at once */
    mlp_net *net = make_net(8);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 8), MLP_OK);
    mlp_reducer red = {.struct_size = sizeof red, .shards = 2, .shard = 2,
                       .allreduce = fake_allreduce};
    f.reducer = &red;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, ys, N), &f), MLP_ERR_INVALID_ARG);
    red.shard = 0;
    red.allreduce = NULL;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, ys, N), &f), MLP_ERR_INVALID_ARG);
    red.struct_size = 3;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(xs, ys, N), &f), MLP_ERR_INVALID_ARG);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

static Suite *shard_suite(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("shard");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, float64_networks, NULL);
    tcase_add_test(tc, sharded_fit_agrees_with_the_plain_fit);
    tcase_add_test(tc, threads_match_the_single_process_sharded_fit);
    tcase_add_test(tc, local_rows_match_and_rerun_bit_for_bit);
    tcase_add_test(tc, buckets_give_the_same_bits);
    tcase_add_test(tc, callback_on_shard_zero_stops_everyone);
    tcase_add_test(tc, disagreement_ends_every_thread_alike);
    tcase_add_test(tc, verification_catches_weights_that_drift_apart);
    tcase_add_test(tc, float32_shards_give_the_same_bits);
    tcase_add_test(tc, sharded_refusals);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(shard_suite)
