/* Trainers: training steps, the settings that change while training, and the
 * epoch loop with mini-batches, shuffling, validation, learning-rate schedules
 * and early stopping. The optimizers and schedules themselves are the tables of
 * lib/optim.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "mlp_internal.h"

void mlp__trainer_update_lr(mlp_trainer *tr)
{
    tr->lr =
        mlp__optimizer(tr->opt.kind)->uses_lr
            ? mlp__schedule(tr->opt.schedule)->rate(&tr->opt, tr->epochs_done, tr->plateau_cuts)
            : 0.0;
}

void mlp_trainer_reset(mlp_trainer *tr)
{
    if (tr == NULL) return;
    const size_t np = tr->net->n_params;
    const mlp__optimizer_kind *k = mlp__optimizer(tr->opt.kind);
    for (int block = 0; block < 2; block++) {
        const double v = k->state_init(&tr->opt, block);
        double *s = tr->state[block];
        for (size_t i = 0; i < np; i++) s[i] = v;
    }
    tr->t = 0;
    tr->plateau_best = INFINITY;
    tr->plateau_wait = 0;
    tr->plateau_cuts = 0;
    if (tr->hist != NULL) memset(tr->hist, 0, tr->hist_blocks * np * sizeof *tr->hist);
    tr->so[0] = 0.0;                                 /* L-BFGS: no pair; LM: μ not set */
    tr->so[1] = tr->opt.kind == MLP_OPT_LM ? 2.0 : 0.0; /* LM: ν */
    tr->converged = 0;
    tr->cached = 0;
    mlp__trainer_update_lr(tr);
}

/* L-BFGS's history and both methods' scratch, sized at creation. */
static mlp_status second_order_alloc(mlp_trainer *tr, const mlp_net *net, mlp_loss loss,
                                     const mlp_optimizer *o, size_t max_batch)
{
    const size_t np = net->n_params;
    MLP_CHECK(np <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_trainer_create: %s takes networks of up to %zu parameters, this one has %zu",
              mlp_optimizer_name(o->kind), MLP_MAX_DIM, np);
    size_t scratch = 0;
    if (o->kind == MLP_OPT_LBFGS) {
        tr->hist_blocks = 2 * o->lbfgs_history;
        MLP_CHECK(np <= SIZE_MAX / sizeof(double) / 4 / tr->hist_blocks, MLP_ERR_NOMEM,
                  "mlp_trainer_create: an L-BFGS history of %zu pairs of %zu parameters overflows "
                  "memory",
                  o->lbfgs_history, np);
        tr->hist = malloc(tr->hist_blocks * np * sizeof *tr->hist);
        scratch = mlp__lbfgs_scratch(o, np);
    } else {
        MLP_CHECK(loss == MLP_LOSS_MSE, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_create: Levenberg-Marquardt minimizes a sum of squares: it takes "
                  "the mse loss, not %s",
                  mlp_loss_name(loss));
        const double need = 2.0 * (double)np * (double)np * sizeof(double);
        MLP_CHECK(need <= (double)o->lm_memory_budget, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_create: Levenberg-Marquardt on %zu parameters needs %.0f MiB for "
                  "its normal equations (2 x %zu^2 doubles), more than lm_memory_budget (%.0f "
                  "MiB): raise the budget, or use L-BFGS",
                  np, need / 1048576.0, np, (double)o->lm_memory_budget / 1048576.0);
        tr->lm_rows = mlp__lm_rows(net, max_batch);
        scratch = mlp__lm_scratch(net, tr->lm_rows);
    }
    tr->scratch = malloc(scratch * sizeof *tr->scratch);
    MLP_CHECK(tr->scratch != NULL && (o->kind != MLP_OPT_LBFGS || tr->hist != NULL),
              MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate %zu doubles for %s", scratch,
              mlp_optimizer_name(o->kind));
    return MLP_OK;
}

/* Plain SGD keeps every layer's dZ for its fused update (mlp__dense_sgd): one block
 * of (max_batch, out) per layer. */
static mlp_status alloc_dz(double ***dz, double **block, const mlp_net *net, size_t max_batch)
{
    size_t total = 0;
    for (size_t l = 0; l < net->n_layers; l++) total += max_batch * net->layers[l].out;
    double **d = calloc(net->n_layers, sizeof *d);
    double *b = malloc(total * sizeof *b);
    if (d == NULL || b == NULL) {
        free(d);
        free(b);
        return mlp__fail(MLP_ERR_NOMEM, "cannot allocate %zu doubles for a batch of %zu rows",
                         total, max_batch);
    }
    size_t off = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        d[l] = b + off;
        off += max_batch * net->layers[l].out;
    }
    *dz = d;
    *block = b;
    return MLP_OK;
}

mlp_status mlp_trainer_create(mlp_trainer **trainer, mlp_net *net, mlp_loss loss,
                              const mlp_optimizer *optimizer, size_t max_batch)
{
    MLP_CHECK_PTR(trainer);
    *trainer = NULL;
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(optimizer);
    mlp_status s = mlp__loss_fits(loss, net, __func__);
    if (s != MLP_OK) return s;
    mlp_optimizer opt;
    s = mlp__optimizer_in(&opt, optimizer, __func__);
    if (s != MLP_OK) return s;

    mlp_trainer *tr = calloc(1, sizeof *tr);
    MLP_CHECK(tr != NULL, MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate the trainer");
    s = mlp_workspace_create(&tr->ws, net, max_batch);
    if (s != MLP_OK) {
        free(tr);
        return s;
    }
    /* The gradient, two blocks of state and a shadow of each block the optimizer uses,
     * one bound per layer. They fit: the parameter block's byte size was bounded by a
     * quarter of the address space when the network was created, and n_params * 5
     * doubles stay below SIZE_MAX on every host the network could be made on. */
    const size_t np = net->n_params, blocks = 3 + (size_t)mlp__optimizer(opt.kind)->state_blocks;
    MLP_CHECK(np <= (SIZE_MAX / sizeof(double) - 5 * net->n_layers - 1) / blocks, MLP_ERR_NOMEM,
              "mlp_trainer_create: %zu blocks of %zu parameters overflow memory", blocks, np);
    tr->block = malloc((blocks * np + 5 * net->n_layers + 1) * sizeof *tr->block);
    if (tr->block == NULL) {
        mlp_workspace_free(tr->ws);
        free(tr);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate %zu parameters",
                         blocks * np);
    }
    tr->grad = tr->block;
    tr->state[0] = tr->grad + np;
    tr->state[1] = tr->state[0] + np;
    tr->shadow[0] = tr->shadow[1] = NULL;
    for (size_t b = 3; b < blocks; b++) tr->shadow[b - 3] = tr->block + b * np;
    tr->wmax = tr->block + blocks * np;
    tr->bounds = tr->wmax + net->n_layers;
    tr->check_rows = tr->bounds + 3 * net->n_layers;
    for (size_t l = 0; l < net->n_layers; l++) {
        /* plain SGD checks a layer after its update on more rows than this (sgd_step) */
        const mlp_layer *L = &net->layers[l];
        const double cells = (double)(L->in * L->out + (L->has_bias ? L->out : 0));
        tr->check_rows[l] = 3.0 * cells / (double)(L->in + L->out);
    }
    tr->check_rows[net->n_layers] = tr->check_rows[0]; /* the least of them */
    for (size_t l = 1; l < net->n_layers; l++)
        tr->check_rows[net->n_layers] = fmin(tr->check_rows[net->n_layers], tr->check_rows[l]);
    tr->sgd_gen = net->param_gen - 1; /* wmax unknown: the first SGD step reads the weights */
    if (opt.kind == MLP_OPT_SGD &&
        (s = alloc_dz(&tr->dz, &tr->dz_block, net, max_batch)) != MLP_OK) {
        mlp_trainer_free(tr);
        return mlp__fail(s, "mlp_trainer_create: %s", mlp_error_detail());
    }
    if (mlp__optimizer(opt.kind)->step != NULL &&
        (s = second_order_alloc(tr, net, loss, &opt, max_batch)) != MLP_OK) {
        mlp_trainer_free(tr);
        return s;
    }
    tr->net = net;
    tr->loss = loss;
    tr->lk = mlp__loss(loss);
    tr->keep = mlp__keep_for(net, loss);
    tr->opt = opt;
    tr->max_batch = max_batch;
    mlp_trainer_reset(tr);
    *trainer = tr;
    return MLP_OK;
}

void mlp_trainer_free(mlp_trainer *tr)
{
    if (tr == NULL) return;
    mlp_workspace_free(tr->ws);
    free(tr->block);
    free(tr->dz);
    free(tr->dz_block);
    free(tr->history);
    free(tr->hist);
    free(tr->scratch);
    free(tr);
}

mlp_status mlp_trainer_reserve(mlp_trainer *tr, size_t max_batch)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK(max_batch > 0 && max_batch <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_trainer_reserve: max_batch is %zu, must be 1 to %zu", max_batch, MLP_MAX_DIM);
    if (max_batch <= tr->max_batch) return MLP_OK;
    /* Everything new is allocated before anything old is let go. */
    mlp_workspace *ws = NULL;
    double **dz = NULL, *dz_block = NULL;
    mlp_status s = mlp_workspace_create(&ws, tr->net, max_batch);
    if (s == MLP_OK && tr->dz != NULL) s = alloc_dz(&dz, &dz_block, tr->net, max_batch);
    if (s != MLP_OK) {
        mlp_workspace_free(ws);
        return mlp__fail(s, "mlp_trainer_reserve: %s; the trainer keeps its %zu rows",
                         mlp_error_detail(), tr->max_batch);
    }
    mlp_workspace_free(tr->ws);
    tr->ws = ws;
    if (tr->dz != NULL) {
        free(tr->dz);
        free(tr->dz_block);
        tr->dz = dz;
        tr->dz_block = dz_block;
    }
    tr->max_batch = max_batch;
    return MLP_OK;
}

size_t mlp_trainer_max_batch(const mlp_trainer *tr) { return tr != NULL ? tr->max_batch : 0; }

mlp_net *mlp_trainer_net(const mlp_trainer *tr) { return tr != NULL ? tr->net : NULL; }

size_t mlp_trainer_epochs(const mlp_trainer *tr) { return tr != NULL ? tr->epochs_done : 0; }

mlp_status mlp_trainer_get_optimizer(const mlp_trainer *tr, mlp_optimizer *optimizer)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK_PTR(optimizer);
    return mlp__struct_out(optimizer, &tr->opt, sizeof tr->opt, __func__, "mlp_optimizer");
}

mlp_status mlp_trainer_set_optimizer(mlp_trainer *tr, const mlp_optimizer *optimizer)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK_PTR(optimizer);
    mlp_optimizer o;
    mlp_status s = mlp__optimizer_in(&o, optimizer, __func__);
    if (s != MLP_OK) return s;
    MLP_CHECK(o.kind == tr->opt.kind, MLP_ERR_INVALID_ARG,
              "mlp_trainer_set_optimizer: the trainer runs %s, the settings are for %s: its "
              "state would not carry over; create a new trainer",
              mlp_optimizer_name(tr->opt.kind), mlp_optimizer_name(o.kind));
    MLP_CHECK(o.kind != MLP_OPT_LBFGS || o.lbfgs_history == tr->opt.lbfgs_history,
              MLP_ERR_INVALID_ARG,
              "mlp_trainer_set_optimizer: lbfgs_history %zu, the trainer holds %zu pairs: its "
              "size is set when it is created",
              o.lbfgs_history, tr->opt.lbfgs_history);
    tr->opt = o;
    tr->cached = 0; /* a new weight decay is a new objective */
    mlp__trainer_update_lr(tr);
    return MLP_OK;
}

mlp_status mlp_trainer_set_learning_rate(mlp_trainer *tr, double learning_rate)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK(mlp__optimizer(tr->opt.kind)->uses_lr, MLP_ERR_INVALID_ARG,
              "mlp_trainer_set_learning_rate: %s has no learning rate",
              mlp_optimizer_name(tr->opt.kind));
    mlp_optimizer o = tr->opt;
    o.learning_rate = learning_rate;
    mlp_status s = mlp__check_optimizer(&o, __func__);
    if (s != MLP_OK) return s;
    tr->opt = o;
    mlp__trainer_update_lr(tr);
    return MLP_OK;
}

double mlp_trainer_learning_rate(const mlp_trainer *tr) { return tr != NULL ? tr->lr : NAN; }

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
    const mlp__optimizer_kind *k;
    unsigned long long t;
    size_t begin[MLP_MAX_THREADS], done[MLP_MAX_THREADS]; /* per part: [begin, done) updated */
    atomic_int failed;
} update_job;

/* The weight decay of parameter i's segment: the layer's rate in its weights, 0 in
 * its biases; *seg_end receives where that segment ends. */
static double segment_at(const mlp_net *net, double wd, size_t i, size_t *seg_end)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (i < L->w_off + L->in * L->out) {
            *seg_end = L->w_off + L->in * L->out;
            return wd;
        }
        if (L->has_bias && i < L->b_off + L->out) {
            *seg_end = L->b_off + L->out;
            return 0.0;
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
    double *w = net->params, *g = tr->grad;
    const double *a = tr->state[0], *b = tr->state[1];
    double *a1 = tr->shadow[0], *b1 = tr->shadow[1];
    j->begin[part] = j->done[part] = p0;
    for (size_t i = p0; i < p1;) {
        if (atomic_load_explicit(&j->failed, memory_order_relaxed)) return;
        size_t seg_end;
        const double wd = segment_at(net, tr->opt.weight_decay, i, &seg_end);
        const size_t stop = seg_end < p1 ? seg_end : p1;
        for (; i < stop; i += UPDATE_CHUNK) {
            const size_t m = stop - i < UPDATE_CHUNK ? stop - i : UPDATE_CHUNK;
            double w1[UPDATE_CHUNK]; /* the chunk's new weights */
            j->k->update(w1, a1 + i, b1 != NULL ? b1 + i : NULL, w + i, g + i, a + i,
                         b1 != NULL ? b + i : NULL, m, &tr->opt, tr->lr, j->t, wd);
            if (!mlp__all_finite(w1, m) || !mlp__all_finite(a1 + i, m) ||
                (b1 != NULL && !mlp__all_finite(b1 + i, m))) {
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

static mlp_status update(mlp_trainer *tr)
{
    mlp_net *net = tr->net;
    update_job job, *j = &job;
    j->tr = tr;
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
        double *w = net->params, *g = tr->grad;
        for (size_t p = 0; p < max_parts; p++)
            memcpy(w + j->begin[p], g + j->begin[p], (j->done[p] - j->begin[p]) * sizeof *w);
        return mlp__fail(MLP_ERR_NUMERIC,
                         "mlp_trainer_step: the gradient or the %s update is not finite (learning "
                         "rate %g); weights and optimizer state unchanged",
                         j->k->name, tr->lr);
    }
    double *a = tr->state[0], *b = tr->state[1];
    tr->state[0] = tr->shadow[0];
    tr->shadow[0] = a;
    if (tr->shadow[1] != NULL) {
        tr->state[1] = tr->shadow[1];
        tr->shadow[1] = b;
    }
    tr->t = j->t;
    net->param_gen++; /* other trainers of this network must re-read it */
    tr->sgd_gen = net->param_gen;
    return MLP_OK;
}

/* Largest magnitudes of each layer's parameters, into tr->wmax; 0 when one is not
 * finite. */
static int scan_params(mlp_trainer *tr)
{
    const mlp_net *net = tr->net;
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        const size_t len = L->in * L->out + (L->has_bias ? L->out : 0); /* W then b */
        tr->wmax[l] = mlp__max_abs(net->params + L->w_off, len);
        if (!isfinite(tr->wmax[l])) return 0;
    }
    tr->sgd_gen = net->param_gen;
    return 1;
}

/* Plain SGD, fused: every layer's dZ first (with the old weights), then each layer's
 * update as one dgemm, W = decay·W − lr·dZᵀ·A_prev, that never stores the gradient.
 * Each layer is made safe one of two ways, whichever reads less memory:
 *  - bounded (few rows): its factors are checked (A_prev and dZ finite), and their
 *    magnitudes bound the update: each entry of dZᵀ·A_prev is at most
 *    n·max|dZ|·max|A_prev| (the bias's n·max|dZ|), so the new weights are at most
 *    |decay|·max|W| + lr·that, with max|W| a bound the trainer keeps from step to
 *    step (re-read when anything else changed the weights). Within 2^1020 nothing
 *    can overflow and the dgemm runs in place. This reads n·(in + out) values.
 *  - checked after (many rows: n·(in + out) > 3 · the layer's parameters): its
 *    parameters are copied aside, updated, and scanned; a value that is not finite
 *    puts the copies back. A non-finite input, activation or dZ makes a non-finite
 *    weight (NaN · 0 is NaN), so the scan sees it. This reads 3 · its parameters
 *    (copy, scan, and clearing the copy's room, which is SGD's unused state).
 * (tr->check_rows holds each layer's row count where the second starts to pay.)
 * Checked layers go first, so that a failure undoes only them; a bound past 2^1020
 * (weights or rates near the end of the double range) copies every layer aside. */
static mlp_status sgd_step(mlp_trainer *tr, double *loss_value, const double *x,
                           const double *target, size_t n)
{
    mlp_net *net = tr->net;
    mlp_workspace *ws = tr->ws;
    const size_t last = net->n_layers - 1;
    mlp__forward(net, ws, x, n, tr->keep);
    const double loss = tr->lk->loss_and_delta(tr->dz[last], ws->act[last], ws->z[last], target,
                                               n, net->layers[last].out, net->layers[last].act);
    if (loss_value != NULL) *loss_value = loss;
    /* per layer: max|A_prev|, max|dZ|, and the bound on its weights after this step
     * (unused for the layers checked after) */
    double *amax = tr->bounds, *dzmax = amax + net->n_layers, *after = dzmax + net->n_layers;
    /* layer l is checked after its update when CHECKED(l) */
    const int any = (double)n > tr->check_rows[net->n_layers];
#define CHECKED(l) (any && (double)n > tr->check_rows[l])
    amax[0] = CHECKED(0) ? 0.0 : mlp__max_abs(x, n * net->n_inputs);
    dzmax[last] = CHECKED(last) ? 0.0 : mlp__max_abs(tr->dz[last], n * net->layers[last].out);
    int finite = isfinite(loss) && isfinite(amax[0]) && isfinite(dzmax[last]);
    for (size_t l = last; finite && l > 0; l--) {
        const mlp_layer *L = &net->layers[l];
        mlp__dense_backward_input(tr->dz[l - 1], tr->dz[l], net->params + L->w_off, n, L->in,
                                  L->out);
        mlp__activation_backward(tr->dz[l - 1], tr->dz[l - 1], ws->act[l - 1], ws->z[l - 1], n,
                                 L->in, net->layers[l - 1].act);
        dzmax[l - 1] = CHECKED(l - 1) ? 0.0 : mlp__max_abs(tr->dz[l - 1], n * L->in);
        amax[l] = CHECKED(l) ? 0.0 : mlp__max_abs(ws->act[l - 1], n * L->in);
        finite = isfinite(dzmax[l - 1]) && isfinite(amax[l]);
    }
    MLP_CHECK(finite, MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) or its gradient is not finite; weights unchanged",
              loss);
    MLP_CHECK(tr->sgd_gen == net->param_gen || scan_params(tr), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the network holds NaN or infinite parameters; weights "
              "unchanged");
    const double lr = tr->lr, decay = 1.0 - lr * tr->opt.weight_decay;
    int safe = 1;
    for (size_t l = 0; l <= last; l++) {
        if (CHECKED(l)) continue;
        const double rows = (double)n, delta = lr * rows * dzmax[l] * fmax(amax[l], 1.0);
        after[l] = fabs(decay) * tr->wmax[l] + delta;
        safe &= after[l] <= 0x1p1020; /* NaN and infinity fail this too */
    }
    double *saved = tr->state[0]; /* SGD keeps no state: room for the weights */
    if (!safe) memcpy(saved, net->params, net->n_params * sizeof *saved);
    int good = 1;
    if (any && safe) { /* the layers checked after, each copied aside first */
        for (size_t l = 0; l <= last; l++) {
            const mlp_layer *L = &net->layers[l];
            if (!CHECKED(l)) continue;
            double *p = net->params + L->w_off;
            const size_t cells = L->in * L->out + (L->has_bias ? L->out : 0); /* W then b */
            mlp__copy(saved + L->w_off, p, cells);
            mlp__dense_sgd(p, L->has_bias ? net->params + L->b_off : NULL, tr->dz[l],
                           l > 0 ? ws->act[l - 1] : x, n, L->in, L->out, lr, decay,
                           tr->grad + L->w_off);
            tr->wmax[l] = mlp__max_abs(p, cells);
            good &= isfinite(tr->wmax[l]);
        }
        for (size_t l = 0; l <= last; l++) {
            const mlp_layer *L = &net->layers[l];
            if (!CHECKED(l)) continue;
            const size_t cells = L->in * L->out + (L->has_bias ? L->out : 0);
            if (!good) mlp__copy(net->params + L->w_off, saved + L->w_off, cells);
            mlp__zero(saved + L->w_off, cells); /* SGD's state is all zero */
        }
    }
    /* the rest (all layers when one bound failed, each then checked by scan_params);
     * scratch is the layer's own part of grad */
    for (size_t l = 0; l <= last && good; l++) {
        const mlp_layer *L = &net->layers[l];
        if (safe && CHECKED(l)) continue; /* done above */
        mlp__dense_sgd(net->params + L->w_off, L->has_bias ? net->params + L->b_off : NULL,
                       tr->dz[l], l > 0 ? ws->act[l - 1] : x, n, L->in, L->out, lr, decay,
                       tr->grad + L->w_off);
    }
    if (!safe) {
        if (good) good = scan_params(tr);
        if (!good) memcpy(net->params, saved, net->n_params * sizeof *saved);
        memset(saved, 0, net->n_params * sizeof *saved);
    } else {
        for (size_t l = 0; l <= last; l++)
            if (!CHECKED(l)) tr->wmax[l] = after[l];
    }
    if (!good) {
        tr->sgd_gen = net->param_gen - 1; /* the bounds were overwritten: read them again */
        return mlp__fail(MLP_ERR_NUMERIC, "mlp_trainer_step: the update (learning rate %g) "
                         "overflows the weights; weights unchanged", lr);
    }
    tr->t++;
    net->param_gen++;
    tr->sgd_gen = net->param_gen;
    return MLP_OK;
#undef CHECKED
}

/* Forward, backward, and — when the loss, the gradient and the update are finite —
 * the update. */
static mlp_status step(mlp_trainer *tr, double *loss_value, const double *x,
                       const double *target, size_t n)
{
    if (tr->opt.kind == MLP_OPT_SGD) return sgd_step(tr, loss_value, x, target, n);
    const mlp__optimizer_kind *k = mlp__optimizer(tr->opt.kind);
    if (k->step != NULL) return k->step(tr, loss_value, x, target, n);
    mlp__forward(tr->net, tr->ws, x, n, tr->keep);
    const double loss = mlp__backward(tr->net, tr->ws, tr->loss, tr->grad, x, target, n);
    if (loss_value != NULL) *loss_value = loss;
    MLP_CHECK(isfinite(loss), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) is not finite; weights unchanged", loss);
    return update(tr);
}

mlp_status mlp_trainer_step(mlp_trainer *tr, double *loss_value, const mlp_dataset *batch)
{
    MLP_CHECK_PTR(tr);
    mlp_dataset b;
    mlp_status s = mlp__dataset_in(&b, batch, __func__, "batch");
    if (s != MLP_OK) return s;
    MLP_CHECK(b.n <= tr->max_batch, MLP_ERR_SHAPE,
              "mlp_trainer_step: a batch of %zu rows, the trainer holds %zu: call "
              "mlp_trainer_reserve(trainer, %zu) first, or pass smaller batches",
              b.n, tr->max_batch, b.n);
    return step(tr, loss_value, b.x, b.y, b.n);
}

/* ---- fit --------------------------------------------------------------------------- */

static void fit_defaults(mlp_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->epochs = 10;
    o->batch_size = 32;
    o->shuffle = 1;
    o->max_abs_weight = 1e8;
}

mlp_status mlp_fit_options_init(mlp_fit_options *options, size_t struct_size)
{
    mlp_fit_options o;
    fit_defaults(&o);
    return mlp__struct_init(options, struct_size, &o, sizeof o, __func__, "mlp_fit_options");
}

static void result_empty(mlp_fit_result *r)
{
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    r->best_loss = INFINITY;
    r->stop = MLP_STOP_EPOCHS;
}

mlp_status mlp_fit_result_init(mlp_fit_result *result, size_t struct_size)
{
    mlp_fit_result r;
    result_empty(&r);
    return mlp__struct_init(result, struct_size, &r, sizeof r, __func__, "mlp_fit_result");
}

/* Sum over rows of the epoch metric: correct rows for the losses measured by
 * accuracy, mean absolute error per row for the others; divided by the row count
 * by the caller. */
static double metric_sum(mlp_loss loss, const double *a, const double *t, size_t n, size_t k)
{
    if (mlp__loss(loss)->accuracy_metric) return mlp__accuracy(a, t, n, k) * (double)n;
    double sum = 0.0;
    for (size_t i = 0; i < n * k; i++) sum += fabs(a[i] - t[i]);
    return sum / (double)k;
}

/* Loss and metric over many rows, in chunks of the workspace's batch. */
static void evaluate(mlp_trainer *tr, double *loss, double *metric, const mlp_dataset *d)
{
    const mlp_net *net = tr->net;
    const mlp__loss_kind *lk = mlp__loss(tr->loss);
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), last = net->n_layers - 1;
    double lsum = 0.0, msum = 0.0;
    for (size_t r = 0; r < d->n; r += tr->max_batch) {
        const size_t rows = d->n - r < tr->max_batch ? d->n - r : tr->max_batch;
        const double *t = d->y + r * k;
        mlp__forward(net, tr->ws, d->x + r * in, rows, lk->uses_logits ? MLP__KEEP_LOGITS : 0);
        lsum += lk->value(tr->ws->act[last], tr->ws->z[last], t, rows, k) * (double)rows;
        msum += metric_sum(tr->loss, tr->ws->act[last], t, rows, k);
    }
    *loss = lsum / (double)d->n;
    *metric = msum / (double)d->n;
}

/* Row and column of the first non-finite value of an (n, d) matrix; 0 if all are finite. */
static int find_non_finite(const double *m, size_t n, size_t d, size_t *row, size_t *col)
{
    if (mlp__all_finite(m, n * d)) return 0;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(m[i])) {
            *row = i / d;
            *col = i % d;
            break;
        }
    return 1;
}

static mlp_status check_data(const mlp_dataset *d, size_t in, size_t k, const char *what)
{
    size_t r = 0, c = 0;
    MLP_CHECK(!find_non_finite(d->x, d->n, in, &r, &c), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: %s inputs: row %zu column %zu is NaN or infinite", what, r, c);
    MLP_CHECK(!find_non_finite(d->y, d->n, k, &r, &c), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: %s targets: row %zu column %zu is NaN or infinite", what, r, c);
    return MLP_OK;
}

/* Note a completed epoch in the network's provenance (room was reserved). */
static void record_epoch(mlp_net *net, const mlp_trainer *tr, const mlp_fit_options *opt,
                         size_t batch, double loss)
{
    mlp_provenance *info = &net->record.info;
    info->trained = 1;
    info->loss = tr->loss;
    info->seed = opt->seed;
    info->batch_size = batch;
    net->record.opt = tr->opt;
    net->record.history[info->epochs++] = loss;
}

/* The largest magnitude in the block; NaN when a value is NaN. */
static double max_abs(const double *w, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double a = fabs(w[i]);
        if (!(a <= m)) m = a; /* NaN wins */
    }
    return m;
}

/* The plateau schedule after an epoch whose monitored loss was `monitored`. */
static void plateau_step(mlp_trainer *tr, double monitored)
{
    if (tr->opt.schedule != MLP_SCHEDULE_PLATEAU) return;
    if (monitored < tr->plateau_best - tr->opt.schedule_min_delta) {
        tr->plateau_best = monitored;
        tr->plateau_wait = 0;
    } else if (++tr->plateau_wait >= tr->opt.schedule_patience) {
        tr->plateau_cuts++;
        tr->plateau_wait = 0;
    }
}

/* Scratch of one fit() call, allocated once before the first epoch. */
typedef struct fit_buffers {
    size_t *perm;      /* (n_train) row order of the current epoch */
    double *xb, *tb;   /* (batch, in) and (batch, k): gathered rows of one batch */
    double *good;      /* (n_params): weights at the end of the last completed epoch */
    double *best;      /* (n_params): weights of the best epoch (early stopping) */
} fit_buffers;

static void free_buffers(fit_buffers *b)
{
    free(b->perm);
    free(b->xb);
    free(b->good);
}

static mlp_status alloc_buffers(fit_buffers *b, size_t n_train, size_t batch, size_t in, size_t k,
                                size_t n_params)
{
    memset(b, 0, sizeof *b);
    size_t xcells, tcells;
    /* batch <= max_batch and the workspace already holds (max_batch, width) buffers, so
     * these products fit; the checks keep that true if the callers ever change. */
    if (mlp__mul_ok(batch, in, SIZE_MAX / 16, &xcells) &&
        mlp__mul_ok(batch, k, SIZE_MAX / 16, &tcells)) {
        b->perm = malloc(n_train * sizeof *b->perm);
        b->xb = malloc((xcells + tcells) * sizeof *b->xb);
        b->good = malloc(2 * n_params * sizeof *b->good);
    }
    if (b->perm == NULL || b->xb == NULL || b->good == NULL) {
        free_buffers(b);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate the epoch buffers");
    }
    b->tb = b->xb + xcells;
    b->best = b->good + n_params;
    for (size_t i = 0; i < n_train; i++) b->perm[i] = i;
    return MLP_OK;
}

/* The trainer's per-epoch records for `epochs` epochs: loss, validation loss,
 * metric, validation metric, learning rate. Kept until the next fit. */
static mlp_status reserve_history(mlp_trainer *tr, size_t epochs)
{
    MLP_CHECK(epochs <= SIZE_MAX / sizeof(double) / 8, MLP_ERR_NOMEM,
              "mlp_trainer_fit: a history of %zu epochs overflows", epochs);
    if (epochs <= tr->history_cap) return MLP_OK;
    double *h = malloc(5 * epochs * sizeof *h);
    MLP_CHECK(h != NULL, MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate a history of %zu epochs",
              epochs);
    free(tr->history);
    tr->history = h;
    tr->history_cap = epochs;
    return MLP_OK;
}

/* The options' checks, and where the training and validation rows are. */
static mlp_status fit_setup(mlp_trainer *tr, const mlp_dataset *train, const mlp_fit_options *opt,
                            mlp_dataset *tv, mlp_dataset *vv, size_t *batch)
{
    MLP_CHECK(opt->epochs > 0, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: epochs is 0");
    MLP_CHECK(opt->validation_fraction >= 0 && opt->validation_fraction < 1, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: validation_fraction is %g, must be in [0, 1)",
              opt->validation_fraction);
    MLP_CHECK(isfinite(opt->min_delta) && opt->min_delta >= 0, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: min_delta is %g, must be finite and >= 0", opt->min_delta);
    MLP_CHECK(opt->max_abs_weight > 0, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: max_abs_weight is %g, must be > 0 (INFINITY: no bound)",
              opt->max_abs_weight);
    mlp_status s = mlp__dataset_in(tv, train, "mlp_trainer_fit", "training");
    if (s != MLP_OK) return s;
    const mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), n = tv->n;
    vv->n = 0;
    if (opt->validation != NULL) {
        MLP_CHECK(opt->validation_fraction == 0, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: both a validation dataset and a validation_fraction (%g): "
                  "choose one",
                  opt->validation_fraction);
        s = mlp__dataset_in(vv, opt->validation, "mlp_trainer_fit", "validation");
        if (s != MLP_OK) return s;
    } else if (opt->validation_fraction > 0) {
        /* As Keras: the last rows, before any shuffling, are held out. */
        const size_t n_val = (size_t)((double)n * opt->validation_fraction);
        MLP_CHECK(n_val > 0 && n_val < n, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: validation_fraction %g of %zu rows leaves %zu validation rows",
                  opt->validation_fraction, n, n_val);
        tv->n = n - n_val;
        *vv = (mlp_dataset){.struct_size = sizeof *vv,
                             .x = tv->x + tv->n * in,
                             .y = tv->y + tv->n * k,
                             .n = n_val};
    }
    *batch = opt->batch_size == 0 || opt->batch_size > tv->n ? tv->n : opt->batch_size;
    MLP_CHECK(!mlp__optimizer(tr->opt.kind)->full_batch || *batch == tv->n, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: %s is a full-batch method and the batches hold %zu of the %zu "
              "training rows: set batch_size to 0",
              mlp_optimizer_name(tr->opt.kind), *batch, tv->n);
    s = check_data(tv, in, k, "training");
    if (s == MLP_OK && vv->n > 0) s = check_data(vv, in, k, "validation");
    return s;
}

mlp_status mlp_trainer_fit(mlp_trainer *tr, mlp_fit_result *result, const mlp_dataset *train,
                           const mlp_fit_options *options)
{
    MLP_CHECK_PTR(tr);
    mlp_fit_options opt;
    fit_defaults(&opt);
    mlp_status s = options != NULL
                       ? mlp__struct_in(&opt, sizeof opt, options, __func__, "mlp_fit_options")
                       : MLP_OK;
    if (s == MLP_OK && result != NULL)
        s = mlp__struct_size_ok(result->struct_size, sizeof *result, __func__, "mlp_fit_result");
    if (s != MLP_OK) return s;
    mlp_dataset tv, vv;
    size_t batch = 0;
    s = fit_setup(tr, train, &opt, &tv, &vv, &batch);
    if (s != MLP_OK) return s;

    mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), np = net->n_params;
    const size_t n_train = tv.n, n_val = vv.n;
    s = mlp_trainer_reserve(tr, batch);
    if (s == MLP_OK) s = mlp__history_reserve(net, opt.epochs);
    if (s == MLP_OK) s = reserve_history(tr, opt.epochs);
    if (s != MLP_OK) return s;
    fit_buffers b;
    s = alloc_buffers(&b, n_train, batch, in, k, np);
    if (s != MLP_OK) return s;
    memcpy(b.good, net->params, np * sizeof *b.good);
    memcpy(b.best, net->params, np * sizeof *b.best);

    double *h_loss = tr->history, *h_val = h_loss + opt.epochs, *h_metric = h_val + opt.epochs;
    double *h_vmetric = h_metric + opt.epochs, *h_lr = h_vmetric + opt.epochs;
    mlp_fit_result res;
    result_empty(&res);
    size_t since_best = 0;
    const double *last_a = NULL;
    /* The second-order methods take the whole set in each iteration: an order would
     * change nothing but the rounding of its sums, so they keep the given one. */
    const int reorder = opt.shuffle && mlp__optimizer(tr->opt.kind)->step == NULL;
    for (size_t epoch = 1; epoch <= opt.epochs; epoch++) {
        mlp__trainer_update_lr(tr);
        /* The order of an epoch depends only on the seed and the trainer's epoch
         * count, so training resumed from a checkpoint shuffles as an uninterrupted
         * run would: Fisher-Yates from the identity, with a generator started at
         * seed + epoch * (an odd constant). */
        uint64_t rng = opt.seed + (uint64_t)(tr->epochs_done + 1) * 0xD1B54A32D192ED03ull;
        if (reorder) {
            for (size_t i = 0; i < n_train; i++) b.perm[i] = i;
            for (size_t i = n_train - 1; i > 0; i--) {
                const size_t j = (size_t)(mlp__rng_next(&rng) % (uint64_t)(i + 1));
                const size_t tmp = b.perm[i];
                b.perm[i] = b.perm[j];
                b.perm[j] = tmp;
            }
        }
        last_a = tr->ws->act[net->n_layers - 1]; /* the workspace of this fit's capacity */
        double lsum = 0.0, msum = 0.0;
        for (size_t start = 0; start < n_train && s == MLP_OK; start += batch) {
            const size_t rows = n_train - start < batch ? n_train - start : batch;
            const double *xb = tv.x + start * in, *tb = tv.y + start * k;
            if (reorder) {
                for (size_t r = 0; r < rows; r++) {
                    memcpy(b.xb + r * in, tv.x + b.perm[start + r] * in, in * sizeof *b.xb);
                    memcpy(b.tb + r * k, tv.y + b.perm[start + r] * k, k * sizeof *b.tb);
                }
                xb = b.xb;
                tb = b.tb;
            }
            double loss;
            tr->same_batch = !reorder && epoch > 1; /* the whole set, as last epoch */
            s = step(tr, &loss, xb, tb, rows);
            tr->same_batch = 0;
            lsum += loss * (double)rows;
            msum += metric_sum(tr->loss, last_a, tb, rows, k); /* pre-update predictions */
        }
        mlp_epoch_report rep = {.struct_size = sizeof rep,
                                .epoch = epoch,
                                .loss = lsum / (double)n_train,
                                .val_loss = NAN,
                                .metric = msum / (double)n_train,
                                .val_metric = NAN,
                                .learning_rate = tr->lr};
        if (s == MLP_OK && n_val > 0) evaluate(tr, &rep.val_loss, &rep.val_metric, &vv);
        const double biggest = max_abs(net->params, np);
        if (s != MLP_OK || !isfinite(rep.loss) || (n_val > 0 && !isfinite(rep.val_loss)) ||
            !isfinite(biggest)) {
            res.stop = MLP_STOP_NUMERIC;
            break;
        }
        if (biggest > opt.max_abs_weight) {
            res.stop = MLP_STOP_DIVERGED;
            break;
        }
        memcpy(b.good, net->params, np * sizeof *b.good);
        const size_t e = epoch - 1;
        h_loss[e] = rep.loss;
        h_val[e] = rep.val_loss;
        h_metric[e] = rep.metric;
        h_vmetric[e] = rep.val_metric;
        h_lr[e] = rep.learning_rate;
        res.epochs_run = epoch;
        tr->epochs_done++;
        record_epoch(net, tr, &opt, batch, rep.loss);

        const double monitored = n_val > 0 ? rep.val_loss : rep.loss;
        plateau_step(tr, monitored);
        if (monitored < res.best_loss - opt.min_delta) {
            res.best_loss = monitored;
            res.best_epoch = epoch;
            since_best = 0;
            if (opt.patience > 0) memcpy(b.best, net->params, np * sizeof *b.best);
        } else {
            since_best++;
        }
        if (opt.callback != NULL && opt.callback(&rep, opt.user_data) != 0) {
            res.stop = MLP_STOP_CALLBACK;
            break;
        }
        if (opt.patience > 0 && since_best >= opt.patience) {
            res.stop = MLP_STOP_PATIENCE;
            break;
        }
        if (tr->converged) { /* a second-order method met its tolerances */
            res.stop = MLP_STOP_CONVERGED;
            break;
        }
    }
    mlp__trainer_update_lr(tr); /* the rate of the next epoch */

    /* The one rule for the weights the fit ends with (see mlp.h). */
    const int failed = res.stop == MLP_STOP_NUMERIC || res.stop == MLP_STOP_DIVERGED;
    if (opt.patience > 0)
        memcpy(net->params, b.best, np * sizeof *b.best);
    else if (failed)
        memcpy(net->params, b.good, np * sizeof *b.good);
    if (opt.patience > 0 || failed) net->param_gen++; /* not a step's change: re-read */
    free_buffers(&b);

    res.loss = h_loss;
    res.val_loss = n_val > 0 ? h_val : NULL;
    res.metric = h_metric;
    res.val_metric = n_val > 0 ? h_vmetric : NULL;
    res.learning_rate = h_lr;
    if (result != NULL) mlp__struct_out(result, &res, sizeof res, __func__, "mlp_fit_result");
    if (!failed) return MLP_OK;
    const size_t kept = opt.patience > 0 ? res.best_epoch : res.epochs_run;
    if (res.stop == MLP_STOP_DIVERGED)
        return mlp__fail(MLP_ERR_NUMERIC,
                         "mlp_trainer_fit: diverged in epoch %zu: a parameter's magnitude passed "
                         "max_abs_weight (%g); the weights are those after epoch %zu%s",
                         res.epochs_run + 1, opt.max_abs_weight, kept,
                         opt.patience > 0 ? " (the best)" : "");
    return mlp__fail(MLP_ERR_NUMERIC,
                     "mlp_trainer_fit: the loss is not finite in epoch %zu; the weights are "
                     "those after epoch %zu%s",
                     res.epochs_run + 1, kept, opt.patience > 0 ? " (the best)" : "");
}
