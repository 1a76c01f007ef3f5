/* Training steps: the checked update of the first-order optimizers, plain SGD's fused
 * step, and mlp_trainer_step.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32; the
 * float32 steps check against float's range. mlp_trainer_step is built once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "train.h"
#include "../model/passes.h"

#if MLP__F32
#define copy_values mlp__copy_f32
#define zero_values mlp__zero_f32
/* the largest a bounded update may reach: far enough below the type's largest value
 * that the rounding of the products cannot pass it */
#define SAFE_BOUND 0x1p124
#else
#define copy_values mlp__copy
#define zero_values mlp__zero
#define SAFE_BOUND 0x1p1020
#endif

/* Segments of the parameter block the update visits, a chunk at a time: small
 * enough that a chunk's new values are still in L1 when they are checked. */
enum { UPDATE_CHUNK = 512 };

/* The optimizer's update of the whole block from the gradient in tr->grad, checked
 * before it takes effect, in one pass: chunk by chunk, the new weights go to a
 * buffer on the stack and the new state to the shadow blocks; the chunk is checked
 * for finiteness while it is in cache; only then are its old weights moved into the
 * chunk's place in tr->grad (its gradient is spent) and the new ones into the
 * network. The block is cut into parts, one per thread (every update is element by
 * element, so where the cuts fall changes no value); a part stops at its first
 * failing chunk, and when any part failed, every chunk done gets its weights back
 * from tr->grad and the state was never touched: nothing has changed. Once all are
 * done the shadow blocks are swapped with the state. The pass reads and writes no
 * more memory than an update in place plus a separate check of the gradient did.
 * Weight decay is applied in the same pass (not on biases). */
typedef struct update_job {
    mlp_trainer *tr;
    real *g;               /* the gradient: tr->grad, or a sharded fit's reduced block */
    const mlp__optimizer_kind *k;
    unsigned long long t;
    size_t begin[MLP_MAX_THREADS], done[MLP_MAX_THREADS]; /* per part: [begin, done) updated */
    atomic_int failed;
} update_job;

/* The weight decay of parameter i's segment: the rate in the blocks that decay
 * (weights), 0 in the others (biases); *seg_end receives where that block ends. */
static double segment_at(const mlp_net *net, double wd, size_t i, size_t *seg_end)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (i >= L->w_off + L->np) continue;
        mlp__param_block b[MLP__MAX_BLOCKS];
        const size_t nb = L->type->blocks(L, b);
        for (size_t k = 0; k < nb; k++)
            if (i < b[k].off + b[k].count) {
                *seg_end = b[k].off + b[k].count;
                return b[k].decays ? wd : 0.0;
            }
    }
    *seg_end = net->n_params;
    return 0.0;
}

static void update_part(void *ctx, size_t p0, size_t p1, size_t part)
{
    update_job *j = ctx;
    mlp_trainer *tr = j->tr;
    const mlp_net *net = tr->net;
    real *w = net->MLP__T(params), *g = j->g;
    const real *a = tr->MLP__T(state)[0], *b = tr->MLP__T(state)[1];
    real *a1 = tr->MLP__T(shadow)[0], *b1 = tr->MLP__T(shadow)[1];
    real none[UPDATE_CHUNK]; /* the state plain SGD does not keep (a sharded fit) */
    j->begin[part] = j->done[part] = p0;
    for (size_t i = p0; i < p1;) {
        if (atomic_load_explicit(&j->failed, memory_order_relaxed)) return;
        size_t seg_end;
        const double wd = segment_at(net, tr->opt.weight_decay, i, &seg_end);
        const size_t stop = seg_end < p1 ? seg_end : p1;
        for (; i < stop; i += UPDATE_CHUNK) {
            const size_t m = stop - i < UPDATE_CHUNK ? stop - i : UPDATE_CHUNK;
            real w1[UPDATE_CHUNK]; /* the chunk's new weights */
            j->k->MLP__T(update)(w1, a1 != NULL ? a1 + i : none, b1 != NULL ? b1 + i : NULL, w + i, g + i,
                         a + i, b1 != NULL ? b + i : NULL, m, &tr->opt, tr->lr, j->t, wd);
            if (!MLP__T(mlp__all_finite)(w1, m) ||
                (a1 != NULL && !MLP__T(mlp__all_finite)(a1 + i, m)) ||
                (b1 != NULL && !MLP__T(mlp__all_finite)(b1 + i, m))) {
                atomic_store_explicit(&j->failed, 1, memory_order_relaxed);
                return;
            }
            memcpy(g + i, w + i, m * sizeof *w);
            memcpy(w + i, w1, m * sizeof *w);
            j->done[part] = i + m;
        }
        i = stop;
    }
}

/* Room for one more step in the count a checkpoint holds. */
static mlp_status step_room(const mlp_trainer *tr)
{
    MLP_CHECK(tr->t < MLP__MAX_STEPS, MLP_ERR_NUMERIC,
              "mlp_trainer_step: the trainer has taken %llu steps, the most its step count "
              "holds (2^53); weights unchanged",
              tr->t);
    return MLP_OK;
}

mlp_status MLP__T(mlp__update)(mlp_trainer *tr, real *g)
{
    mlp_net *net = tr->net;
    const mlp_status room = step_room(tr); /* the sharded fit's road comes here directly */
    if (room != MLP_OK) return room;
    update_job job, *j = &job;
    j->tr = tr;
    j->g = g;
    j->k = mlp__optimizer(tr->opt.kind);
    j->t = tr->t + 1;
    atomic_init(&j->failed, 0);
    /* parts of whole chunks, a few chunks at least each: no more than max_parts */
    const size_t min_part = 4 * UPDATE_CHUNK, n_params = net->n_params;
    const size_t max_parts = n_params / min_part + 1 < MLP_MAX_THREADS ? n_params / min_part + 1
                                                                        : MLP_MAX_THREADS;
    for (size_t p = 0; p < max_parts; p++) j->begin[p] = j->done[p] = 0;
    mlp__parallel_for(n_params, UPDATE_CHUNK, min_part, update_part, j);
    if (atomic_load_explicit(&j->failed, memory_order_relaxed)) {
        real *w = net->MLP__T(params);
        for (size_t p = 0; p < max_parts; p++)
            memcpy(w + j->begin[p], g + j->begin[p], (j->done[p] - j->begin[p]) * sizeof *w);
        return mlp__fail(MLP_ERR_NUMERIC,
                         "mlp_trainer_step: the gradient or the %s update is not finite (learning "
                         "rate %g); weights and optimizer state unchanged",
                         j->k->name, tr->lr);
    }
    real *a = tr->MLP__T(state)[0], *b = tr->MLP__T(state)[1];
    if (tr->MLP__T(shadow)[0] != NULL) {
        tr->MLP__T(state)[0] = tr->MLP__T(shadow)[0];
        tr->MLP__T(shadow)[0] = a;
    }
    if (tr->MLP__T(shadow)[1] != NULL) {
        tr->MLP__T(state)[1] = tr->MLP__T(shadow)[1];
        tr->MLP__T(shadow)[1] = b;
    }
    tr->t = j->t;
    net->param_gen++; /* other trainers of this network must re-read it */
    tr->sgd_gen = net->param_gen - 1; /* plain SGD's bounds (sgd_step) are not kept here */
    return MLP_OK;
}

/* Largest magnitudes of each layer's parameters, into tr->wmax; 0 when one is not
 * finite. */
static int scan_params(mlp_trainer *tr)
{
    const mlp_net *net = tr->net;
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        tr->wmax[l] = MLP__T(mlp__max_abs)(net->MLP__T(params) + L->w_off, L->np);
        if (!isfinite(tr->wmax[l])) return 0;
    }
    tr->sgd_gen = net->param_gen;
    return 1;
}

/* The magnitudes that bound a layer's update, scanned as the backward pass makes its
 * dZ (a hook of mlp__backward_pass): max|dZ| and max|A_prev|, or nothing for a layer
 * checked after its update. A value that is not finite stops the pass. */
typedef struct sgd_scan {
    const mlp_trainer *tr;
    const real *x;
    size_t n;
    int any;              /* some layer is checked after */
    double *amax, *dzmax; /* per layer */
    int finite;
} sgd_scan;

static int sgd_scanned(void *ctx, size_t l, const real *d)
{
    sgd_scan *s = ctx;
    const mlp_net *net = s->tr->net;
    const mlp_layer *L = &net->layers[l];
    if (s->any && (double)s->n > s->tr->check_rows[l]) {
        s->amax[l] = s->dzmax[l] = 0.0;
        return 1;
    }
    s->dzmax[l] = MLP__T(mlp__max_abs)(d, s->n * L->out);
    s->amax[l] = MLP__T(mlp__max_abs)(l > 0 ? s->tr->ws->MLP__T(act)[l - 1] : s->x, s->n * L->in);
    s->finite = isfinite(s->dzmax[l]) && isfinite(s->amax[l]);
    return s->finite;
}

/* A batch normalization's running values would not be finite after the step. */
#define STATE_NOT_FINITE                                                                   \
    "mlp_trainer_step: a batch normalization's running mean or variance would not be "     \
    "finite after this batch (its values are too large for their squares); weights "       \
    "unchanged"

/* Plain SGD, fused: every layer's dZ first (with the old weights), then each layer's
 * update as one dgemm, W = decay·W − lr·dZᵀ·A_prev, that never stores the gradient.
 * Each layer is made safe one of two ways, whichever reads less memory:
 *  - bounded (few rows): its factors are checked (A_prev and dZ finite), and their
 *    magnitudes bound the update: each entry of dZᵀ·A_prev is at most
 *    n·max|dZ|·max|A_prev| (the bias's n·max|dZ|), so the new weights are at most
 *    |decay|·max|W| + lr·that, with max|W| a bound the trainer keeps from step to
 *    step (re-read when anything else changed the weights). When both that and
 *    the sum itself (formed before lr multiplies it) are within 2^1020 nothing can
 *    overflow and the dgemm runs in place. This reads n·(in + out) values.
 *  - checked after (many rows: n·(in + out) > 2 · the layer's parameters): its
 *    parameters are copied aside, updated, and scanned; a value that is not finite
 *    puts the copies back. A non-finite input, activation or dZ makes a non-finite
 *    weight (NaN · 0 is NaN), so the scan sees it. This reads 2 · its parameters
 *    (copy and scan): the weights' copy goes to the layer's part of the gradient
 *    block, which the fused update leaves unused (it holds only the bias's column
 *    sums, after the weights), the bias's to SGD's unused state, cleared after. A
 *    small layer (lib/model/dense.c) uses its part of the gradient block for its sums:
 *    its copy goes whole to the state, which makes 3 · its parameters.
 * (tr->check_rows holds each layer's row count where the second starts to pay.)
 * Checked layers go first, so that a failure undoes only them; a bound past 2^1020
 * (weights or rates near the end of the double range) copies every layer aside. */
static mlp_status sgd_step(mlp_trainer *tr, double *loss_value, const real *x, const real *target,
                           const double *w, size_t n)
{
    mlp_net *net = tr->net;
    mlp_workspace *ws = tr->ws;
    const size_t last = net->n_layers - 1;
    mlp__training_pass(tr, 0);
    MLP__T(mlp__forward)(net, ws, x, n, tr->keep);
    const double loss = tr->MLP__T(lk)->loss_and_delta(
        tr->MLP__T(dz)[last], ws->MLP__T(act)[last], ws->MLP__T(z)[last], target, w, n,
        net->layers[last].out, net->layers[last].act, n);
    if (loss_value != NULL) *loss_value = loss;
    /* per layer: max|A_prev|, max|dZ|, and the bound on its weights after this step
     * (unused for the layers checked after) */
    double *amax = tr->bounds, *dzmax = amax + net->n_layers, *after = dzmax + net->n_layers;
    /* layer l is checked after its update when CHECKED(l) */
    const int any = (double)n > tr->check_rows[net->n_layers];
#define CHECKED(l) (any && (double)n > tr->check_rows[l])
    /* every layer's dZ with the weights as they are, before any changes */
    sgd_scan scan = {tr, x, n, any, amax, dzmax, isfinite(loss)};
    if (scan.finite) {
        const MLP__T(mlp__backward_plan) b = {
            .d = tr->MLP__T(dz), .top_is_z = 1, .d_ready = sgd_scanned, .ctx = &scan};
        mlp__backward_pass(net, ws, x, n, &b);
    }
    const int finite = scan.finite;
    MLP_CHECK(finite, MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) or its gradient is not finite; weights unchanged",
              loss);
    MLP_CHECK(net->n_state == 0 || MLP__T(mlp__state_ready)(net, ws), MLP_ERR_NUMERIC,
              STATE_NOT_FINITE);
    MLP_CHECK(tr->sgd_gen == net->param_gen || scan_params(tr), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the network holds NaN or infinite parameters; weights "
              "unchanged");
    /* the rate and decay the update multiplies by, in the network's type */
    const real lr = (real)tr->lr, decay = (real)(1.0 - tr->lr * tr->opt.weight_decay);
    int safe = 1;
    for (size_t l = 0; l <= last; l++) {
        if (CHECKED(l)) continue;
        /* max(amax, 1) without libm's call: amax is finite here, and a NaN would
         * give 1 either way */
        const double a_or_1 = amax[l] > 1.0 ? amax[l] : 1.0;
        /* the sum dZᵀ·A_prev is formed before the rate is applied (BLAS and the
         * small layers alike): it must be in range itself, not only lr times it */
        const double rows = (double)n, sum = rows * dzmax[l] * a_or_1, delta = (double)lr * sum;
        after[l] = fabs((double)decay) * tr->wmax[l] + delta;
        safe &= after[l] <= SAFE_BOUND && sum <= SAFE_BOUND; /* NaN and infinity fail too */
    }
    real *saved = tr->MLP__T(state)[0]; /* SGD keeps no state: room for the weights */
    if (!safe) memcpy(saved, net->MLP__T(params), net->n_params * sizeof *saved);
    int good = 1;
    if (any && safe) { /* the layers checked after, each copied aside first */
        for (size_t l = 0; l <= last; l++) {
            const mlp_layer *L = &net->layers[l];
            if (!CHECKED(l)) continue;
            real *p = net->MLP__T(params) + L->w_off;
            const size_t cells = L->np;
            const size_t from = mlp__copied_into_grad(L);
            copy_values(tr->MLP__T(grad) + L->w_off, p, from);
            copy_values(saved + L->w_off + from, p + from, cells - from);
            mlp__layer_sgd(net, ws, l, tr->MLP__T(dz)[l], l > 0 ? ws->MLP__T(act)[l - 1] : x, n,
                           lr, decay, tr->MLP__T(grad) + L->w_off);
            tr->wmax[l] = MLP__T(mlp__max_abs)(p, cells);
            good &= isfinite(tr->wmax[l]);
        }
        for (size_t l = 0; l <= last; l++) {
            const mlp_layer *L = &net->layers[l];
            if (!CHECKED(l)) continue;
            real *p = net->MLP__T(params) + L->w_off;
            const size_t cells = L->np;
            const size_t from = mlp__copied_into_grad(L);
            if (!good) {
                copy_values(p, tr->MLP__T(grad) + L->w_off, from);
                copy_values(p + from, saved + L->w_off + from, cells - from);
            }
            zero_values(saved + L->w_off + from, cells - from); /* SGD's state is all zero */
        }
    }
    /* the rest (all layers when one bound failed, each then checked by scan_params);
     * scratch is the layer's own part of grad */
    for (size_t l = 0; l <= last && good; l++) {
        const mlp_layer *L = &net->layers[l];
        if (safe && CHECKED(l)) continue; /* done above */
        mlp__layer_sgd(net, ws, l, tr->MLP__T(dz)[l], l > 0 ? ws->MLP__T(act)[l - 1] : x, n, lr,
                       decay, tr->MLP__T(grad) + L->w_off);
    }
    if (!safe) {
        if (good) good = scan_params(tr);
        if (!good) memcpy(net->MLP__T(params), saved, net->n_params * sizeof *saved);
        memset(saved, 0, net->n_params * sizeof *saved);
    } else {
        for (size_t l = 0; l <= last; l++)
            if (!CHECKED(l)) tr->wmax[l] = after[l];
    }
    if (!good) {
        tr->sgd_gen = net->param_gen - 1; /* the bounds were overwritten: read them again */
        return mlp__fail(MLP_ERR_NUMERIC, "mlp_trainer_step: the update (learning rate %g) "
                         "overflows the weights; weights unchanged", tr->lr);
    }
    tr->t++;
    net->param_gen++;
    tr->sgd_gen = net->param_gen;
    return MLP_OK;
#undef CHECKED
}

/* Forward, backward, and — when the loss, the gradient and the update are finite —
 * the update. */
mlp_status MLP__T(mlp__step)(mlp_trainer *tr, double *loss_value, const real *x, const real *target,
                             const double *w, size_t n)
{
    const mlp_status room = step_room(tr);
    if (room != MLP_OK) return room;
    mlp_net *net = tr->net;
    mlp_status s;
    /* float32 takes the unfused road: sgemm's update in place (C ← C − lr·Σ) rounds as
     * the kernel likes, in one FMA on some CPUs, in two roundings on others, and a
     * sharded or MPI fit, whose gradient is summed before the update, must give the
     * plain fit's bits with one shard (mlp_fit_options::shards) on every CPU */
    if (tr->opt.kind == MLP_OPT_SGD && !MLP__F32) {
        s = sgd_step(tr, loss_value, x, target, w, n);
    } else {
#if !MLP__F32 /* the second-order methods train float64 networks only */
        const mlp__optimizer_kind *k = mlp__optimizer(tr->opt.kind);
        if (k->step != NULL) return k->step(tr, loss_value, x, target, w, n); /* no state */
#endif
        mlp__training_pass(tr, 0);
        MLP__T(mlp__forward)(net, tr->ws, x, n, tr->keep);
        const double loss =
            MLP__T(mlp__backward)(net, tr->ws, tr->loss, tr->MLP__T(grad), x, target, w, n);
        if (loss_value != NULL) *loss_value = loss;
        MLP_CHECK(isfinite(loss), MLP_ERR_NUMERIC,
                  "mlp_trainer_step: the loss (%g) is not finite; weights unchanged", loss);
        MLP_CHECK(net->n_state == 0 || MLP__T(mlp__state_ready)(net, tr->ws), MLP_ERR_NUMERIC,
                  STATE_NOT_FINITE);
        s = MLP__T(mlp__update)(tr, tr->MLP__T(grad));
    }
    /* the running values move with the weights, or neither does */
    if (s == MLP_OK && net->n_state > 0) MLP__T(mlp__state_commit)(net, tr->ws);
    return s;
}

#if !MLP__F32 /* once */

mlp_status mlp_trainer_step(mlp_trainer *tr, double *loss_value, const mlp_dataset *batch)
{
    MLP_CHECK_PTR(tr);
    mlp__rows b;
    mlp_status s = mlp__rows_in(&b, batch, tr->net, 1, __func__, "batch");
    if (s != MLP_OK) return s;
    MLP_CHECK(b.n <= tr->max_batch, MLP_ERR_SHAPE,
              "mlp_trainer_step: a batch of %zu rows, the trainer holds %zu: call "
              "mlp_trainer_reserve(trainer, %zu) first, or pass smaller batches",
              b.n, tr->max_batch, b.n);
    if (b.n == 1 && tr->net->n_state > 0) { /* only kinds with running state read it */
        const size_t l = mlp__layer_with(tr->net, MLP__KIND_BATCH);
        MLP_CHECK(l == tr->net->n_layers, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_step: layer %zu is a batch normalization, which normalizes by "
                  "the batch's variance: a batch of 1 row has none (every value would become "
                  "its bias); pass 2 rows or more; weights unchanged",
                  l);
    }
    if (!tr->net->f32 && mlp__rows_plain(&b, tr->net))
        return mlp__step(tr, loss_value, b.x, b.y, b.w, b.n);
    s = mlp__rows_check_classes(&b, __func__, "batch");
    if (s != MLP_OK) return s;
    if (tr->net->f32) { /* float rows where they are, or converted into the workspace */
        const float *x, *t;
        mlp__rows_batch_f32(&x, &t, &b, tr->net, tr->ws);
        return mlp__step_f32(tr, loss_value, x, t, b.w, b.n);
    }
    const double *x, *t; /* as the network reads them: the model's scaling applied */
    mlp__rows_batch(&x, &t, &b, tr->net, tr->ws);
    return mlp__step(tr, loss_value, x, t, b.w, b.n);
}
#endif
