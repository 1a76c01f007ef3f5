/* Trainers: training steps, the settings that change while training, and the
 * epoch loop with mini-batches, shuffling, validation, learning-rate schedules
 * and early stopping. The optimizers and schedules themselves are the tables of
 * lib/train/optim.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "../mlp_internal.h"

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

/* Where plain SGD's copy of a layer checked after its update goes (sgd_step): its
 * first values, up to the returned count, to the layer's part of the gradient block
 * that its kind's fused update leaves unused, the rest to SGD's unused state. */
static size_t copied_into_grad(const mlp_layer *L)
{
    return L->type->sgd_spare != NULL ? L->type->sgd_spare(L) : 0;
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
    /* a dropout's masks and a batch normalization's statistics change the function with
     * every step: a line search or a Jacobian needs one function to minimize */
    const size_t odd = mlp__optimizer(opt.kind)->step != NULL
                           ? mlp__layer_with(net, MLP__KIND_RANDOM | MLP__KIND_BATCH)
                           : net->n_layers;
    MLP_CHECK(odd == net->n_layers, MLP_ERR_INVALID_ARG,
              "mlp_trainer_create: layer %zu is %s, which %s cannot train (its %s change the "
              "function at every step): train with a first-order method, or without it",
              odd, odd < net->n_layers ? net->layers[odd].type->name : "",
              mlp_optimizer_name(opt.kind),
              odd < net->n_layers && (net->layers[odd].type->flags & MLP__KIND_RANDOM)
                  ? "masks"
                  : "batch statistics");

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
        /* plain SGD checks a layer after its update on more rows than this (sgd_step):
         * where checking after reads fewer values than bounding before */
        const mlp_layer *L = &net->layers[l];
        const double cells = (double)L->np;
        const double passes = copied_into_grad(L) > 0 ? 2.0 : 3.0; /* copy, scan (, clear) */
        /* a kind without a fused update has no bound to keep: always checked after */
        tr->check_rows[l] =
            L->type->sgd_spare != NULL ? passes * cells / (double)(L->in + L->out) : -1.0;
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
    tr->drop_seed = net->record.info.seed;
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
    double *g;             /* the gradient: tr->grad, or a sharded fit's reduced block */
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
    double *w = net->params, *g = j->g;
    const double *a = tr->state[0], *b = tr->state[1];
    double *a1 = tr->shadow[0], *b1 = tr->shadow[1];
    double none[UPDATE_CHUNK]; /* the state plain SGD does not keep (a sharded fit) */
    j->begin[part] = j->done[part] = p0;
    for (size_t i = p0; i < p1;) {
        if (atomic_load_explicit(&j->failed, memory_order_relaxed)) return;
        size_t seg_end;
        const double wd = segment_at(net, tr->opt.weight_decay, i, &seg_end);
        const size_t stop = seg_end < p1 ? seg_end : p1;
        for (; i < stop; i += UPDATE_CHUNK) {
            const size_t m = stop - i < UPDATE_CHUNK ? stop - i : UPDATE_CHUNK;
            double w1[UPDATE_CHUNK]; /* the chunk's new weights */
            j->k->update(w1, a1 != NULL ? a1 + i : none, b1 != NULL ? b1 + i : NULL, w + i, g + i,
                         a + i, b1 != NULL ? b + i : NULL, m, &tr->opt, tr->lr, j->t, wd);
            if (!mlp__all_finite(w1, m) || (a1 != NULL && !mlp__all_finite(a1 + i, m)) ||
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

/* Room for one more step in the count a checkpoint holds. */
static mlp_status step_room(const mlp_trainer *tr)
{
    MLP_CHECK(tr->t < MLP__MAX_STEPS, MLP_ERR_NUMERIC,
              "mlp_trainer_step: the trainer has taken %llu steps, the most its step count "
              "holds (2^53); weights unchanged",
              tr->t);
    return MLP_OK;
}

static mlp_status update(mlp_trainer *tr, double *g)
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
        double *w = net->params;
        for (size_t p = 0; p < max_parts; p++)
            memcpy(w + j->begin[p], g + j->begin[p], (j->done[p] - j->begin[p]) * sizeof *w);
        return mlp__fail(MLP_ERR_NUMERIC,
                         "mlp_trainer_step: the gradient or the %s update is not finite (learning "
                         "rate %g); weights and optimizer state unchanged",
                         j->k->name, tr->lr);
    }
    double *a = tr->state[0], *b = tr->state[1];
    if (tr->shadow[0] != NULL) {
        tr->state[0] = tr->shadow[0];
        tr->shadow[0] = a;
    }
    if (tr->shadow[1] != NULL) {
        tr->state[1] = tr->shadow[1];
        tr->shadow[1] = b;
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
        tr->wmax[l] = mlp__max_abs(net->params + L->w_off, L->np);
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
    const double *x;
    size_t n;
    int any;              /* some layer is checked after */
    double *amax, *dzmax; /* per layer */
    int finite;
} sgd_scan;

static int sgd_scanned(void *ctx, size_t l, const double *d)
{
    sgd_scan *s = ctx;
    const mlp_net *net = s->tr->net;
    const mlp_layer *L = &net->layers[l];
    if (s->any && (double)s->n > s->tr->check_rows[l]) {
        s->amax[l] = s->dzmax[l] = 0.0;
        return 1;
    }
    s->dzmax[l] = mlp__max_abs(d, s->n * L->out);
    s->amax[l] = mlp__max_abs(l > 0 ? s->tr->ws->act[l - 1] : s->x, s->n * L->in);
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
static mlp_status sgd_step(mlp_trainer *tr, double *loss_value, const double *x,
                           const double *target, size_t n)
{
    mlp_net *net = tr->net;
    mlp_workspace *ws = tr->ws;
    const size_t last = net->n_layers - 1;
    mlp__training_pass(tr, 0);
    mlp__forward(net, ws, x, n, tr->keep);
    const double loss = tr->lk->loss_and_delta(tr->dz[last], ws->act[last], ws->z[last], target,
                                               n, net->layers[last].out, net->layers[last].act, n);
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
        const mlp__backward_plan b = {
            .d = tr->dz, .top_is_z = 1, .d_ready = sgd_scanned, .ctx = &scan};
        mlp__backward_pass(net, ws, x, n, &b);
    }
    const int finite = scan.finite;
    MLP_CHECK(finite, MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) or its gradient is not finite; weights unchanged",
              loss);
    MLP_CHECK(net->n_state == 0 || mlp__state_ready(net, ws), MLP_ERR_NUMERIC, STATE_NOT_FINITE);
    MLP_CHECK(tr->sgd_gen == net->param_gen || scan_params(tr), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the network holds NaN or infinite parameters; weights "
              "unchanged");
    const double lr = tr->lr, decay = 1.0 - lr * tr->opt.weight_decay;
    int safe = 1;
    for (size_t l = 0; l <= last; l++) {
        if (CHECKED(l)) continue;
        /* max(amax, 1) without libm's call: amax is finite here, and a NaN would
         * give 1 either way */
        const double a_or_1 = amax[l] > 1.0 ? amax[l] : 1.0;
        /* the sum dZᵀ·A_prev is formed before the rate is applied (BLAS and the
         * small layers alike): it must be in range itself, not only lr times it */
        const double rows = (double)n, sum = rows * dzmax[l] * a_or_1, delta = lr * sum;
        after[l] = fabs(decay) * tr->wmax[l] + delta;
        safe &= after[l] <= 0x1p1020 && sum <= 0x1p1020; /* NaN and infinity fail too */
    }
    double *saved = tr->state[0]; /* SGD keeps no state: room for the weights */
    if (!safe) memcpy(saved, net->params, net->n_params * sizeof *saved);
    int good = 1;
    if (any && safe) { /* the layers checked after, each copied aside first */
        for (size_t l = 0; l <= last; l++) {
            const mlp_layer *L = &net->layers[l];
            if (!CHECKED(l)) continue;
            double *p = net->params + L->w_off;
            const size_t cells = L->np;
            const size_t from = copied_into_grad(L);
            mlp__copy(tr->grad + L->w_off, p, from);
            mlp__copy(saved + L->w_off + from, p + from, cells - from);
            mlp__layer_sgd(net, ws, l, tr->dz[l], l > 0 ? ws->act[l - 1] : x, n, lr, decay,
                           tr->grad + L->w_off);
            tr->wmax[l] = mlp__max_abs(p, cells);
            good &= isfinite(tr->wmax[l]);
        }
        for (size_t l = 0; l <= last; l++) {
            const mlp_layer *L = &net->layers[l];
            if (!CHECKED(l)) continue;
            double *p = net->params + L->w_off;
            const size_t cells = L->np;
            const size_t from = copied_into_grad(L);
            if (!good) {
                mlp__copy(p, tr->grad + L->w_off, from);
                mlp__copy(p + from, saved + L->w_off + from, cells - from);
            }
            mlp__zero(saved + L->w_off + from, cells - from); /* SGD's state is all zero */
        }
    }
    /* the rest (all layers when one bound failed, each then checked by scan_params);
     * scratch is the layer's own part of grad */
    for (size_t l = 0; l <= last && good; l++) {
        const mlp_layer *L = &net->layers[l];
        if (safe && CHECKED(l)) continue; /* done above */
        mlp__layer_sgd(net, ws, l, tr->dz[l], l > 0 ? ws->act[l - 1] : x, n, lr, decay,
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
    const mlp_status room = step_room(tr);
    if (room != MLP_OK) return room;
    mlp_net *net = tr->net;
    mlp_status s;
    if (tr->opt.kind == MLP_OPT_SGD) {
        s = sgd_step(tr, loss_value, x, target, n);
    } else {
        const mlp__optimizer_kind *k = mlp__optimizer(tr->opt.kind);
        if (k->step != NULL) return k->step(tr, loss_value, x, target, n); /* no state */
        mlp__training_pass(tr, 0);
        mlp__forward(net, tr->ws, x, n, tr->keep);
        const double loss = mlp__backward(net, tr->ws, tr->loss, tr->grad, x, target, n);
        if (loss_value != NULL) *loss_value = loss;
        MLP_CHECK(isfinite(loss), MLP_ERR_NUMERIC,
                  "mlp_trainer_step: the loss (%g) is not finite; weights unchanged", loss);
        MLP_CHECK(net->n_state == 0 || mlp__state_ready(net, tr->ws), MLP_ERR_NUMERIC,
                  STATE_NOT_FINITE);
        s = update(tr, tr->grad);
    }
    /* the running values move with the weights, or neither does */
    if (s == MLP_OK && net->n_state > 0) mlp__state_commit(net, tr->ws);
    return s;
}

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
    if (mlp__rows_plain(&b, tr->net)) return step(tr, loss_value, b.x, b.y, b.n);
    s = mlp__rows_check_classes(&b, __func__, "batch");
    if (s != MLP_OK) return s;
    const double *x, *t; /* as the network reads them: the model's scaling applied */
    mlp__rows_batch(&x, &t, &b, tr->net, tr->ws);
    return step(tr, loss_value, x, t, b.n);
}

/* ---- fit --------------------------------------------------------------------------- */

static void fit_defaults(mlp_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->epochs = 10;
    o->batch_size = MLP_BATCH_AUTO;
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

/* Summed loss and metric of n rows, in chunks of `chunk` rows (at most the trainer's
 * capacity). */
static void evaluate_sums(mlp_trainer *tr, double *lsum, double *msum, const double *x,
                          const double *y, size_t n, size_t chunk)
{
    const mlp_net *net = tr->net;
    const mlp__loss_kind *lk = mlp__loss(tr->loss);
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), last = net->n_layers - 1;
    double l = 0.0, m = 0.0;
    for (size_t r = 0; r < n; r += chunk) {
        const size_t rows = n - r < chunk ? n - r : chunk;
        const double *t = y + r * k;
        mlp__forward(net, tr->ws, x + r * in, rows, lk->uses_logits ? MLP__KEEP_LOGITS : 0);
        l += lk->value(tr->ws->act[last], tr->ws->z[last], t, rows, k) * (double)rows;
        m += metric_sum(tr->loss, tr->ws->act[last], t, rows, k);
    }
    *lsum = l;
    *msum = m;
}

/* Loss and metric over many rows, in chunks of the workspace's batch. */
static void evaluate(mlp_trainer *tr, double *loss, double *metric, const mlp_dataset *d)
{
    double lsum, msum;
    evaluate_sums(tr, &lsum, &msum, d->x, d->y, d->n, tr->max_batch);
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

/* The caller's rows, before anything changes: finite, and class indices in range. */
static mlp_status check_data(const mlp__rows *d, size_t in, const char *what)
{
    size_t r = 0, c = 0;
    MLP_CHECK(!find_non_finite(d->x, d->n, in, &r, &c), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: %s inputs: row %zu column %zu is NaN or infinite", what, r, c);
    if (d->classes > 0) return mlp__rows_check_classes(d, "mlp_trainer_fit", what);
    MLP_CHECK(!find_non_finite(d->y, d->n, d->tcols, &r, &c), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: %s targets: row %zu column %zu is NaN or infinite", what, r, c);
    return MLP_OK;
}

/* Note a completed epoch in the network's provenance (room was reserved). */
static void record_epoch(mlp_net *net, const mlp_trainer *tr, const mlp_fit_options *opt,
                         size_t batch, double loss, double val_loss)
{
    mlp_provenance *info = &net->record.info;
    info->trained = 1;
    info->loss = tr->loss;
    info->seed = opt->seed;
    info->batch_size = batch;
    net->record.opt = tr->opt;
    net->record.val_history[info->epochs] = val_loss;
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
    double *good;      /* (n_params + n_state): weights and running state at the end of the
                          last completed epoch */
    double *best;      /* (n_params + n_state): those of the best epoch (early stopping) */
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

/* The rows a fit trains and validates on, as the network reads them (x (n, in),
 * y (n, k)): the caller's arrays where they serve, else copies in `mem` (the model's
 * scaling applied, class indices made one-hot, a drawn validation split gathered). */
typedef struct fit_data {
    mlp_dataset tv, vv;
    double *mem;
} fit_data;

/* The class of each of n rows for a stratified draw, for the losses whose metric is
 * accuracy: the dataset's own class indices, or those of its one-hot (or 0/1) targets
 * in *owned; NULL for the other losses. */
static mlp_status strata(const double **labels, double **owned, const mlp__rows *d,
                         const mlp_trainer *tr)
{
    *labels = NULL;
    *owned = NULL;
    if (!tr->lk->accuracy_metric) return MLP_OK;
    if (d->classes > 0) {
        *labels = d->y;
        return MLP_OK;
    }
    double *l = malloc(d->n * sizeof *l);
    MLP_CHECK(l != NULL, MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate %zu rows' classes",
              d->n);
    const size_t k = d->tcols;
    for (size_t i = 0; i < d->n; i++) {
        const double *t = d->y + i * k;
        size_t best = 0;
        if (k == 1) best = t[0] >= 0.5;
        for (size_t c = 1; c < k; c++) best = t[c] > t[best] ? c : best;
        l[i] = (double)best;
    }
    *labels = *owned = l;
    return MLP_OK;
}

/* Which n_val of m rows validate, drawn from *rng: each class (labels: m whole
 * numbers; NULL: one class) gives its share, the largest shortfalls rounding up, and
 * keeps a row to train where it can. order (m) receives the training rows, then the
 * validation rows, each in the order they came. scratch: 3 m + 1 values. */
static void draw_rows(size_t *order, const double *labels, size_t m, size_t n_val, uint64_t *rng,
                      size_t *scratch)
{
    size_t k = 1;
    for (size_t i = 0; labels != NULL && i < m; i++)
        if ((size_t)labels[i] + 1 > k) k = (size_t)labels[i] + 1;
    /* start (k + 1): where each class begins in by_class (m), the rows grouped by
     * class in the order they came; quota (k): each class's validation rows */
    size_t *start = scratch, *quota = scratch + m + 1, *by_class = scratch + 2 * m + 1;
    memset(start, 0, (k + 1) * sizeof *start);
    for (size_t i = 0; i < m; i++) start[(labels != NULL ? (size_t)labels[i] : 0) + 1]++;
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    size_t taken = 0;
    for (size_t c = 0; c < k; c++) {
        const size_t count = start[c + 1] - start[c], room = count > 1 ? count - 1 : 0;
        const size_t q = (size_t)((double)n_val * (double)count / (double)m);
        quota[c] = q < room ? q : room;
        taken += quota[c];
    }
    while (taken < n_val) { /* the rest, a row at a time, to the class owed most */
        size_t best = k;
        double most = -1.0;
        for (size_t c = 0; c < k; c++) {
            const size_t count = start[c + 1] - start[c];
            const double owed = (double)n_val * (double)count / (double)m - (double)quota[c];
            if (quota[c] + 1 < count && owed > most) best = c, most = owed;
        }
        for (size_t c = 0; best == k && c < k; c++) /* every class down to one row */
            if (quota[c] < start[c + 1] - start[c]) best = c;
        quota[best]++;
        taken++;
    }
    for (size_t c = 0; c < k; c++) order[c] = start[c]; /* order: k cursors, for now */
    for (size_t i = 0; i < m; i++) by_class[order[labels != NULL ? (size_t)labels[i] : 0]++] = i;
    /* within each class a partial Fisher-Yates picks its quota, marked by adding m */
    for (size_t c = 0; c < k; c++) {
        size_t *rows = by_class + start[c];
        const size_t count = start[c + 1] - start[c];
        for (size_t j = 0; j < quota[c]; j++) {
            const size_t pick = j + (size_t)(mlp__rng_next(rng) % (uint64_t)(count - j));
            const size_t t = rows[j];
            rows[j] = rows[pick];
            rows[pick] = t;
            rows[j] += m;
        }
    }
    unsigned char *val = (unsigned char *)start; /* a flag per row, over start and quota */
    memset(val, 0, m);
    for (size_t i = 0; i < m; i++)
        if (by_class[i] >= m) val[by_class[i] - m] = 1;
    size_t a = 0, b = m - n_val;
    for (size_t i = 0; i < m; i++) order[val[i] ? b++ : a++] = i;
}

static void fit_data_free(fit_data *f) { free(f->mem); }

/* The options' checks, and where the training and validation rows are. With blocks 0,
 * a validation_fraction holds out rows of the whole set; with blocks > 0 (a sharded
 * fit whose shards hold rows of their own: plan_local_rows), each of that many
 * contiguous blocks (cut as shards are; the first is shard `shard`) puts its own
 * validation rows at its end. */
static mlp_status fit_setup(mlp_trainer *tr, const mlp_dataset *train, const mlp_fit_options *opt,
                            size_t blocks, size_t shard, fit_data *f, size_t *batch)
{
    memset(f, 0, sizeof *f);
    MLP_CHECK(opt->epochs > 0, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: epochs is 0");
    MLP_CHECK(opt->validation_fraction >= 0 && opt->validation_fraction < 1, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: validation_fraction is %g, must be in [0, 1)",
              opt->validation_fraction);
    MLP_CHECK(isfinite(opt->min_delta) && opt->min_delta >= 0, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: min_delta is %g, must be finite and >= 0", opt->min_delta);
    MLP_CHECK(opt->max_abs_weight > 0, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: max_abs_weight is %g, must be > 0 (INFINITY: no bound)",
              opt->max_abs_weight);
    const mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    mlp__rows td, vd = {.n = 0};
    mlp_status s = mlp__rows_in(&td, train, net, 1, "mlp_trainer_fit", "training");
    if (s != MLP_OK) return s;
    if (opt->validation != NULL) {
        MLP_CHECK(opt->validation_fraction == 0, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: both a validation dataset and a validation_fraction (%g): "
                  "choose one",
                  opt->validation_fraction);
        s = mlp__rows_in(&vd, opt->validation, net, 1, "mlp_trainer_fit", "validation");
        if (s != MLP_OK) return s;
    }
    s = check_data(&td, in, "training");
    if (s == MLP_OK && vd.n > 0) s = check_data(&vd, in, "validation");
    if (s != MLP_OK) return s;

    /* The validation rows of a validation_fraction: the last ones of the set (or of each
     * block) for a 1.4 program's dataset, as then; else drawn from the seed, stratified
     * by class, the other rows keeping their order. The count is 1.4's either way. */
    const size_t n = td.n, parts = blocks > 0 ? blocks : 1;
    size_t n_val = 0, *order = NULL;
    const int hold = opt->validation == NULL && opt->validation_fraction > 0;
    if (hold && blocks == 0) {
        n_val = (size_t)((double)n * opt->validation_fraction);
        MLP_CHECK(n_val > 0 && n_val < n, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: validation_fraction %g of %zu rows leaves %zu validation "
                  "rows: pass more rows, a larger fraction, or validation_fraction 0 (no "
                  "validation)",
                  opt->validation_fraction, n, n_val);
    }
    if (hold && td.model) {
        const double *labels = NULL;
        double *owned = NULL;
        size_t *scratch = NULL;
        order = malloc(n * sizeof *order);
        s = order != NULL ? strata(&labels, &owned, &td, tr)
                          : mlp__fail(MLP_ERR_NOMEM,
                                      "mlp_trainer_fit: cannot allocate the order of %zu rows", n);
        if (s == MLP_OK && (scratch = malloc((3 * n + 1) * sizeof *scratch)) == NULL)
            s = mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate the order of %zu rows",
                          n);
        for (size_t b = 0, at = 0; s == MLP_OK && b < parts; b++) {
            /* a generator of each block's own, the same for its shard in one process or
             * many; apart from the epochs' orders, which start from the seed as before */
            uint64_t rng = ((uint64_t)opt->seed ^ 0x76616C6964617465ull) +
                           (uint64_t)(shard + b) * 0x9E3779B97F4A7C15ull;
            const size_t m = n / parts + (b < n % parts);
            const size_t v = (size_t)((double)m * opt->validation_fraction);
            if (v > 0 && v < m) {
                draw_rows(order + at, labels != NULL ? labels + at : NULL, m, v, &rng, scratch);
                for (size_t i = 0; i < m; i++) order[at + i] += at;
            } else {
                for (size_t i = 0; i < m; i++) order[at + i] = at + i;
            }
            at += m;
        }
        free(scratch);
        free(owned);
        if (s != MLP_OK) {
            free(order);
            return s;
        }
    }
    /* copies where the caller's arrays do not serve as they are */
    const int copy_t = order != NULL || mlp__rows_map_x(&td, net) || mlp__rows_map_y(&td, net);
    const int copy_v = vd.n > 0 && (mlp__rows_map_x(&vd, net) || mlp__rows_map_y(&vd, net));
    size_t cells = 0;
    if (s == MLP_OK && (copy_t || copy_v)) {
        const size_t rows = (copy_t ? n : 0) + (copy_v ? vd.n : 0);
        if (!mlp__mul_ok(rows, in + k, SIZE_MAX / sizeof(double), &cells) ||
            (f->mem = malloc(cells * sizeof *f->mem)) == NULL)
            s = mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate a copy of %zu rows "
                          "as the network reads them", rows);
    }
    if (s != MLP_OK) {
        free(order);
        return s;
    }
    double *next = f->mem;
    f->tv = (mlp_dataset){.x = td.x, .y = td.y, .n = n - n_val};
    if (copy_t) {
        mlp__rows_x(next, &td, net, order, n);
        mlp__rows_y(next + n * in, &td, net, order, n);
        f->tv.x = next;
        f->tv.y = next + n * in;
        next += n * (in + k);
    }
    free(order);
    if (n_val > 0) /* the last n_val rows, in the copy's order */
        f->vv = (mlp_dataset){.x = f->tv.x + f->tv.n * in, .y = f->tv.y + f->tv.n * k,
                              .n = n_val};
    else if (vd.n > 0)
        f->vv = (mlp_dataset){.x = vd.x, .y = vd.y, .n = vd.n};
    if (copy_v) {
        mlp__rows_x(next, &vd, net, NULL, vd.n);
        mlp__rows_y(next + vd.n * in, &vd, net, NULL, vd.n);
        f->vv.x = next;
        f->vv.y = next + vd.n * in;
    }
    const size_t nt = f->tv.n;
    *batch = opt->batch_size == 0 || opt->batch_size > nt ? nt : opt->batch_size;
    if (!mlp__optimizer(tr->opt.kind)->full_batch || *batch == nt) return MLP_OK;
    fit_data_free(f);
    return mlp__fail(MLP_ERR_INVALID_ARG,
                     "mlp_trainer_fit: %s is a full-batch method and the batches hold %zu of "
                     "the %zu training rows: leave batch_size at MLP_BATCH_AUTO, or set it to 0",
                     mlp_optimizer_name(tr->opt.kind), *batch, nt);
}

/* ---- sharded fits: data parallelism ------------------------------------------------
 * A sharded fit cuts every batch into S shards and takes each shard's gradient on its
 * own (the summed loss of its rows divided by the batch's rows), in a block of
 * n_params + 2 values: the gradient, then the shard's loss sum and metric sum. The
 * shards' blocks are added in shard order, ((b_0 + b_1) + b_2) + ...: by this process
 * alone (every shard in turn), or by a reducer across processes, each of which computes
 * one shard — the same additions either way, so both give the same bits. Every
 * decision after a step (the update's finiteness check, the epoch's loss, early
 * stopping, the callback's stop) is made from reduced values, which every process
 * holds alike. */

enum { SHARDS_MAX = 65536, AGREE = 7 };

/* Shard s's part of n rows cut into S: n / S rows, one more for the first n % S. */
static size_t cut(size_t n, size_t S, size_t s) { return n / S + (s < n % S); }
static size_t cut_at(size_t n, size_t S, size_t s) { return s * (n / S) + (s < n % S ? s : n % S); }

typedef struct shard_plan {
    size_t S;          /* shards; 0: a plain fit */
    int local;         /* shard_local */
    const mlp_reducer *red; /* NULL: this process computes every shard */
    mlp_reducer r;     /* the reducer's fields, read once */
    size_t lo, hi;     /* the shards this process computes, [lo, hi) */
    /* per shard, S entries each */
    size_t *rows;      /* training rows: the shard's own (local), the set's (global) */
    size_t *vrows;     /* validation rows it evaluates */
    size_t *toff;      /* local: where its rows start among this process's */
    size_t *voff;      /* where its validation rows start in vx, vy */
    size_t *take;      /* local: rows it gives each batch */
    const double *vx, *vy; /* the validation rows' base */
    size_t batch;      /* global: rows of a batch */
    size_t steps;      /* per epoch */
    size_t n_train, n_val; /* over all shards */
    size_t max_rows;   /* most rows a shard computes at once: the trainer's capacity */
    double *blk, *part;/* n_params + 2 each: the summed block, one shard's block */
    double *agree;     /* S * AGREE: the first reduction's table */
    size_t since_verify;
    void *mem;
} shard_plan;

static void plan_free(shard_plan *p) { free(p->mem); }

/* 52 bits of a 64-bit hash, so that a double holds it exactly. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t bytes)
{
    const unsigned char *c = data;
    for (size_t i = 0; i < bytes; i += 8) {
        uint64_t w = 0;
        memcpy(&w, c + i, bytes - i < 8 ? bytes - i : 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return h;
}

static uint64_t hash_size(uint64_t h, size_t v)
{
    const uint64_t w = v;
    return hash_bytes(h, &w, sizeof w);
}

static uint64_t hash_double(uint64_t h, double v) { return hash_bytes(h, &v, sizeof v); }

static double hash_out(uint64_t h) { return (double)(h >> 12); }

/* The network's shape and loss. */
static double hash_net(const mlp_trainer *tr)
{
    const mlp_net *net = tr->net;
    uint64_t h = hash_size(1, net->n_inputs);
    h = hash_size(h, (size_t)tr->loss);
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        h = hash_size(hash_size(hash_size(h, L->out), (size_t)L->act), (size_t)L->has_bias);
        h = hash_double(hash_size(h, (size_t)L->kind), L->epsilon);
    }
    return hash_out(h);
}

/* The optimizer's settings and counters and the fit's options. */
static double hash_settings(const mlp_trainer *tr, const mlp_fit_options *o, const mlp_reducer *r)
{
    const mlp_optimizer *p = &tr->opt;
    const double d[] = {p->learning_rate,    p->momentum,         p->beta1,
                        p->beta2,            p->epsilon,          p->weight_decay,
                        p->rprop_increase,   p->rprop_decrease,   p->rprop_delta_init,
                        p->rprop_delta_min,  p->rprop_delta_max,  p->schedule_factor,
                        p->schedule_min_lr,  p->schedule_min_delta, o->validation_fraction,
                        o->min_delta,        o->max_abs_weight,   tr->plateau_best};
    const size_t z[] = {(size_t)p->kind,          (size_t)p->schedule, p->schedule_step_epochs,
                        p->schedule_cosine_epochs, p->schedule_patience, (size_t)tr->t,
                        tr->epochs_done,          tr->plateau_wait,     tr->plateau_cuts,
                        o->epochs,                o->batch_size,        (size_t)(o->shuffle != 0),
                        (size_t)o->seed,          o->patience,          (size_t)(o->validation != NULL),
                        (size_t)(o->shard_local != 0), r->verify_every,
                        (size_t)(r->start != NULL), r->bucket_values};
    uint64_t h = 2;
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) h = hash_double(h, d[i]);
    for (size_t i = 0; i < sizeof z / sizeof z[0]; i++) h = hash_size(h, z[i]);
    return hash_out(h);
}

/* The weights and the optimizer's state. */
static double hash_weights(const mlp_trainer *tr)
{
    const size_t np = tr->net->n_params;
    uint64_t h = hash_bytes(3, tr->net->params, np * sizeof(double));
    for (int b = 0; b < mlp__optimizer(tr->opt.kind)->state_blocks; b++)
        h = hash_bytes(h, tr->state[b], np * sizeof(double));
    return hash_out(h);
}

/* The plan's checks before the processes compare notes: what this process can tell
 * alone. */
static mlp_status plan_check(const mlp_trainer *tr, const mlp_fit_options *opt, size_t S)
{
    const mlp__optimizer_kind *k = mlp__optimizer(tr->opt.kind);
    MLP_CHECK(k->step == NULL, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: %s does not train in shards (the first-order optimizers do)",
              k->name);
    MLP_CHECK(S <= SHARDS_MAX, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: %zu shards, at most %d", S, SHARDS_MAX);
    const size_t bl = mlp__layer_with(tr->net, MLP__KIND_BATCH);
    MLP_CHECK(bl == tr->net->n_layers, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: layer %zu is %s, whose statistics are the whole batch's: in a "
              "sharded fit (shards, or a reducer such as libmlp-mpi's) each shard would "
              "normalize by its own rows. Train it in one process, or use a layer "
              "normalization (MLP_LAYERNORM), which takes each row alone",
              bl, bl < tr->net->n_layers ? tr->net->layers[bl].type->name : "");
    MLP_CHECK(opt->batch_size == 0 || opt->batch_size >= S, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: a batch of %zu rows cannot be cut into %zu shards",
              opt->batch_size, S);
    return MLP_OK;
}

/* Allocate the plan of S shards for a network of np parameters. */
static mlp_status plan_alloc(shard_plan *p, size_t S, size_t np)
{
    const size_t sizes = 5 * S, doubles = 2 * (np + 2) + S * AGREE;
    p->mem = malloc(sizes * sizeof(size_t) + doubles * sizeof(double));
    MLP_CHECK(p->mem != NULL, MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate %zu shards' plan",
              S);
    double *d = p->mem;
    p->blk = d;
    p->part = d + np + 2;
    p->agree = p->part + np + 2;
    size_t *z = (size_t *)(p->agree + S * AGREE);
    p->rows = z;
    p->vrows = z + S;
    p->toff = z + 2 * S;
    p->voff = z + 3 * S;
    p->take = z + 4 * S;
    for (size_t i = 0; i < sizes; i++) z[i] = 0;
    return MLP_OK;
}

/* What this process knows of its shards once setup succeeded: their rows, where they
 * are, their validation rows — every shard's when all pass the same rows, else those
 * it computes (plan_agree learns the others' counts). tv and vv are what fit_setup
 * found (in local mode it held nothing out: each shard holds out its own here). */
static void plan_local_rows(shard_plan *p, const mlp_dataset *tv, const mlp_dataset *vv,
                            const mlp_fit_options *opt)
{
    const size_t S = p->S;
    for (size_t s = p->local ? p->lo : 0; s < (p->local ? p->hi : S); s++) {
        if (!p->local) { /* the same rows everywhere: cut the validation rows */
            p->rows[s] = tv->n;
            p->vrows[s] = cut(vv->n, S, s);
            p->voff[s] = cut_at(vv->n, S, s);
            continue;
        }
        /* one process: the s-th block of the rows; with a reducer: all of them */
        const size_t all = p->red != NULL ? tv->n : cut(tv->n, S, s);
        p->toff[s] = p->red != NULL ? 0 : cut_at(tv->n, S, s);
        const size_t held = (size_t)((double)all * opt->validation_fraction);
        p->rows[s] = all - held;
        if (opt->validation_fraction > 0) {
            p->vrows[s] = held;
            p->voff[s] = p->toff[s] + p->rows[s];
        } else {
            p->vrows[s] = p->red != NULL ? vv->n : cut(vv->n, S, s);
            p->voff[s] = p->red != NULL ? 0 : cut_at(vv->n, S, s);
        }
    }
    p->vx = p->local && opt->validation_fraction > 0 ? tv->x : vv->x;
    p->vy = p->local && opt->validation_fraction > 0 ? tv->y : vv->y;
}

/* The verdict of a reduced table of S statuses, one every `stride` values: MLP_OK, or
 * the first failing shard's status — with this process's own detail when it is one of
 * them (`mine`). */
static mlp_status first_refusal(const double *t, size_t S, size_t stride, mlp_status mine)
{
    for (size_t q = 0; q < S; q++) {
        const double st = t[q * stride];
        if (st == 0.0) continue;
        if (mine != MLP_OK) return mine;
        return mlp__fail(st >= 1 && st < 100 ? (mlp_status)st : MLP_ERR_INVALID_ARG,
                         "mlp_trainer_fit: shard %zu of %zu refused the fit (%s); that "
                         "process's mlp_error_detail() says why",
                         q, S, mlp_strerror((mlp_status)st));
    }
    return MLP_OK;
}

/* A process that failed before it had a plan still takes part in the first reduction,
 * with a table of its own that holds only its status; it returns that status. */
static mlp_status refuse_together(const mlp_reducer *r, mlp_status mine)
{
    double *t = calloc(r->shards * AGREE, sizeof *t);
    if (t == NULL)
        return mlp__fail(MLP_ERR_NOMEM,
                         "mlp_trainer_fit: cannot tell the other processes why this one fails");
    t[r->shard * AGREE] = (double)mine;
    const mlp_status s = r->allreduce(t, r->shards * AGREE, r->user_data);
    free(t);
    return s != MLP_OK ? s : mine;
}

/* The first reduction: every process puts its status, row counts and hashes in its
 * shard's row of the table; all see the whole table and reach the same verdict. */
static mlp_status plan_agree(shard_plan *p, mlp_trainer *tr, const mlp_fit_options *opt,
                             const mlp_dataset *tv, const mlp_dataset *vv)
{
    const size_t S = p->S, me = p->r.shard;
    double *t = p->agree;
    for (size_t i = 0; i < S * AGREE; i++) t[i] = 0.0;
    double *row = t + me * AGREE; /* row[0], the status, stays MLP_OK */
    row[1] = (double)(p->local ? p->rows[me] : tv->n);
    row[2] = (double)(p->local ? p->vrows[me] : vv->n);
    row[3] = hash_net(tr);
    row[4] = hash_settings(tr, opt, &p->r);
    if (!p->local) {
        const size_t in = tr->net->n_inputs, k = mlp_net_n_outputs(tr->net);
        uint64_t h = hash_bytes(4, tv->x, tv->n * in * sizeof(double));
        h = hash_bytes(h, tv->y, tv->n * k * sizeof(double));
        if (vv->n > 0) {
            h = hash_bytes(h, vv->x, vv->n * in * sizeof(double));
            h = hash_bytes(h, vv->y, vv->n * k * sizeof(double));
        }
        row[5] = hash_out(h);
    }
    row[6] = hash_weights(tr);
    mlp_status s = p->r.allreduce(t, S * AGREE, p->r.user_data);
    if (s == MLP_OK) s = first_refusal(t, S, AGREE, MLP_OK);
    if (s != MLP_OK) return s;
    const double *r0 = t;
    for (size_t q = 1; q < S; q++) {
        const double *rq = t + q * AGREE;
        MLP_CHECK(rq[3] == r0[3], MLP_ERR_SHAPE,
                  "mlp_trainer_fit: shard %zu's network (layers, activations, loss) differs "
                  "from shard 0's",
                  q);
        MLP_CHECK(rq[4] == r0[4], MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: shard %zu's settings (optimizer, its step and epoch "
                  "counts, fit options, batch size, the reducer's buckets) differ from shard "
                  "0's",
                  q);
        MLP_CHECK(p->local || (rq[1] == r0[1] && rq[2] == r0[2] && rq[5] == r0[5]),
                  MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: shard %zu passed other rows than shard 0 (%.0f and %.0f "
                  "training rows): with shard_local 0 every process passes the same rows",
                  q, rq[1], r0[1]);
        MLP_CHECK(rq[6] == r0[6], MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: shard %zu's weights or optimizer state differ from shard "
                  "0's: start every process from the same seed or file",
                  q);
    }
    for (size_t q = 0; p->local && q < S; q++) { /* the other processes' own rows */
        p->rows[q] = (size_t)t[q * AGREE + 1];
        p->vrows[q] = (size_t)t[q * AGREE + 2];
    }
    return MLP_OK;
}

/* Steps per epoch, rows over all shards and the most one shard computes at once,
 * from the row counts every process now holds. */
static mlp_status plan_steps(shard_plan *p, const mlp_trainer *tr, const mlp_fit_options *opt,
                             size_t batch)
{
    const size_t S = p->S;
    p->n_val = 0;
    for (size_t s = 0; s < S; s++) p->n_val += p->vrows[s];
    if (!p->local) {
        p->n_train = p->rows[0];
        p->batch = batch;
        p->steps = (p->n_train + batch - 1) / batch;
        p->max_rows = cut(batch, S, 0);
        return MLP_OK;
    }
    p->n_train = 0;
    p->steps = 0;
    p->max_rows = 1;
    for (size_t s = 0; s < S; s++) {
        MLP_CHECK(p->rows[s] > 0, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: shard %zu holds no training rows", s);
        p->n_train += p->rows[s];
    }
    MLP_CHECK(!mlp__optimizer(tr->opt.kind)->full_batch || opt->batch_size == 0 ||
                  opt->batch_size >= p->n_train,
              MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: %s is a full-batch method and the batches hold %zu of the %zu "
              "training rows: leave batch_size at MLP_BATCH_AUTO, or set it to 0",
              mlp_optimizer_name(tr->opt.kind), opt->batch_size, p->n_train);
    const size_t B = opt->batch_size == 0 || opt->batch_size > p->n_train ? 0 : opt->batch_size;
    for (size_t s = 0; s < S; s++) {
        p->take[s] = B == 0 ? p->rows[s] : cut(B, S, s);
        const size_t steps = (p->rows[s] + p->take[s] - 1) / p->take[s];
        if (steps > p->steps) p->steps = steps;
        const size_t most = p->take[s] < p->rows[s] ? p->take[s] : p->rows[s];
        if (most > p->max_rows) p->max_rows = most;
    }
    return MLP_OK;
}

/* Rows shard s gives step i, and where its rows' order starts in perm (the row of
 * entry j is toff + perm[first + j] in local mode, perm[first + j] in global mode). */
static size_t shard_rows_at(const shard_plan *p, size_t s, size_t i, size_t *first)
{
    if (!p->local) {
        const size_t start = i * p->batch;
        const size_t rows = p->n_train - start < p->batch ? p->n_train - start : p->batch;
        *first = start + cut_at(rows, p->S, s);
        return cut(rows, p->S, s);
    }
    const size_t at = i * p->take[s];
    *first = at;
    if (at >= p->rows[s]) return 0;
    return p->rows[s] - at < p->take[s] ? p->rows[s] - at : p->take[s];
}

/* The epoch's order: global mode, the plain fit's (one permutation of the set); local
 * mode, each shard this process holds shuffled within itself, from a generator of its
 * own (shard 0's is the plain fit's). perm of a local shard s starts at toff[s]. */
static void plan_order(const shard_plan *p, size_t *perm, int shuffle, uint64_t seed0)
{
    for (size_t s = p->local ? p->lo : 0; s < (p->local ? p->hi : 1); s++) {
        const size_t n = p->local ? p->rows[s] : p->n_train, off = p->local ? p->toff[s] : 0;
        size_t *o = perm + off;
        uint64_t rng = seed0 + (uint64_t)s * 0x9E3779B97F4A7C15ull;
        for (size_t i = 0; i < n; i++) o[i] = i;
        for (size_t i = n - 1; shuffle && i > 0; i--) {
            const size_t j = (size_t)(mlp__rng_next(&rng) % (uint64_t)(i + 1));
            const size_t tmp = o[i];
            o[i] = o[j];
            o[j] = tmp;
        }
    }
}

/* The buckets of one shard's block, handed to the reducer's start as the backward
 * pass completes them: [w_off of the bucket's first layer, hi). */
typedef struct bucket_ctx {
    const shard_plan *p;
    const mlp_net *net;
    double *g;         /* the block */
    size_t rows;       /* the shard's rows */
    size_t hi;         /* the values not yet started end here (they start at a w_off) */
    mlp_status status; /* the first start's failure */
} bucket_ctx;

static void bucket_done(void *ctx, size_t l, double loss)
{
    bucket_ctx *b = ctx;
    const size_t lo = b->net->layers[l].w_off;
    if (l == b->net->n_layers - 1) b->g[b->net->n_params] = loss * (double)b->rows;
    if (b->status != MLP_OK || (b->hi - lo < b->p->r.bucket_values && l > 0)) return;
    b->status = b->p->r.start(b->g + lo, b->hi - lo, b->p->r.user_data);
    b->hi = lo;
}

/* One shard's block: its gradient divided by the batch's `of` rows, its loss sum and
 * metric sum; an empty shard's block is zeros. With a reducer that takes buckets, each
 * is started as the backward pass completes it (the same buckets on every process,
 * an empty shard's included), and the call ends with the reducer's wait. */
static mlp_status shard_block(mlp_trainer *tr, const shard_plan *p, double *g, const double *x,
                              const double *t, size_t n, size_t of, size_t row0)
{
    const mlp_net *net = tr->net;
    const size_t np = net->n_params, k = mlp_net_n_outputs(net);
    const int buckets = p->red != NULL && p->r.start != NULL;
    bucket_ctx b = {p, net, g, n, np + 2, MLP_OK};
    if (n == 0) {
        memset(g, 0, (np + 2) * sizeof *g);
        for (size_t l = net->n_layers; buckets && l-- > 0;) bucket_done(&b, l, 0.0);
    } else {
        mlp__training_pass(tr, row0);
        mlp__forward(net, tr->ws, x, n, tr->keep);
        g[np + 1] = metric_sum(tr->loss, tr->ws->act[net->n_layers - 1], t, n, k);
        const double mean = mlp__backward_hooked(net, tr->ws, tr->loss, g, x, t, n, of,
                                                 buckets ? bucket_done : NULL, &b);
        if (!buckets) g[np] = mean * (double)n; /* bucket_done wrote it before its start */
    }
    if (!buckets) return MLP_OK;
    const mlp_status w = p->r.wait(p->r.user_data);
    return b.status != MLP_OK ? b.status : w;
}

/* Add b into a, element by element. */
MLP__CLONES
static void add_block(double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] += b[i];
}

/* Step i of the epoch over every shard this process computes; the blocks summed (and
 * reduced) into p->blk, then the update. *comm receives a reducer's failure. */
static mlp_status shard_step(mlp_trainer *tr, shard_plan *p, const fit_buffers *b,
                             const mlp_dataset *tv, size_t i, double *lsum, double *msum,
                             mlp_status *comm)
{
    const mlp_net *net = tr->net;
    const size_t np = net->n_params, in = net->n_inputs, k = mlp_net_n_outputs(net);
    size_t total = 0, first, row0 = 0; /* row0: where shard s's rows start in the batch */
    for (size_t s = 0; s < p->S; s++) total += shard_rows_at(p, s, i, &first);
    for (size_t s = 0; s < p->lo; s++) row0 += shard_rows_at(p, s, i, &first);
    for (size_t s = p->lo; s < p->hi; s++) {
        const size_t n = shard_rows_at(p, s, i, &first);
        const size_t base = p->local ? p->toff[s] : 0;
        for (size_t r = 0; r < n; r++) {
            const size_t row = base + b->perm[base + first + r];
            memcpy(b->xb + r * in, tv->x + row * in, in * sizeof *b->xb);
            memcpy(b->tb + r * k, tv->y + row * k, k * sizeof *b->tb);
        }
        double *g = s == p->lo ? p->blk : p->part;
        if ((*comm = shard_block(tr, p, g, b->xb, b->tb, n, total, row0)) != MLP_OK) return *comm;
        row0 += n;
        if (s > p->lo) add_block(p->blk, p->part, np + 2);
    }
    if (p->red != NULL && p->r.start == NULL &&
        (*comm = p->r.allreduce(p->blk, np + 2, p->r.user_data)) != MLP_OK)
        return *comm;
    *lsum += p->blk[np];
    *msum += p->blk[np + 1];
    MLP_CHECK(isfinite(p->blk[np]), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: the loss of a shard is not finite; weights unchanged");
    mlp_status s = update(tr, p->blk);
    if (s != MLP_OK || p->red == NULL || p->r.verify_every == 0 ||
        ++p->since_verify < p->r.verify_every)
        return s;
    /* every verify_every steps: are the weights the same bits everywhere? */
    p->since_verify = 0;
    double *t = p->agree;
    for (size_t q = 0; q < p->S; q++) t[q] = 0.0;
    t[p->r.shard] = hash_weights(tr);
    if ((*comm = p->r.allreduce(t, p->S, p->r.user_data)) != MLP_OK) return *comm;
    for (size_t q = 1; q < p->S; q++)
        MLP_CHECK(t[q] == t[0], MLP_ERR_NUMERIC,
                  "mlp_trainer_fit: after step %llu the weights of shard %zu differ from shard "
                  "0's: the reducer does not add in shard order, or the processes compute "
                  "differently (another BLAS, CPU or thread count)",
                  tr->t, q);
    return MLP_OK;
}

/* The validation rows' loss and metric, each shard its rows, reduced; *comm receives
 * a reducer's failure. */
static mlp_status shard_evaluate(mlp_trainer *tr, shard_plan *p, double *loss, double *metric,
                                 mlp_status *comm)
{
    const size_t in = tr->net->n_inputs, k = mlp_net_n_outputs(tr->net);
    double v[2] = {0.0, 0.0};
    for (size_t s = p->lo; s < p->hi; s++) {
        double l = 0.0, m = 0.0;
        if (p->vrows[s] > 0)
            evaluate_sums(tr, &l, &m, p->vx + p->voff[s] * in, p->vy + p->voff[s] * k,
                          p->vrows[s], p->max_rows);
        if (s == p->lo) {
            v[0] = l;
            v[1] = m;
        } else {
            v[0] += l;
            v[1] += m;
        }
    }
    if (p->red != NULL && (*comm = p->r.allreduce(v, 2, p->r.user_data)) != MLP_OK)
        return *comm;
    *loss = v[0] / (double)p->n_val;
    *metric = v[1] / (double)p->n_val;
    return MLP_OK;
}

/* Where a fit with a reducer learns whether every process is ready: each puts its
 * status in its row; all return the first failing shard's status, or MLP_OK. */
static mlp_status agree_status(shard_plan *p, mlp_status mine)
{
    double *t = p->agree;
    for (size_t q = 0; q < p->S; q++) t[q] = 0.0;
    t[p->r.shard] = (double)mine;
    const mlp_status s = p->r.allreduce(t, p->S, p->r.user_data);
    return s != MLP_OK ? s : first_refusal(t, p->S, 1, mine);
}

/* The reducer's fields, checked: without a usable one there is no one to tell. */
static mlp_status reducer_in(mlp_reducer *r, const mlp_reducer *given)
{
    memset(r, 0, sizeof *r);
    mlp_status s = mlp__struct_in(r, sizeof *r, given, "mlp_trainer_fit", "mlp_reducer");
    if (s != MLP_OK) return s;
    MLP_CHECK(r->allreduce != NULL, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: the reducer's "
              "allreduce is NULL");
    MLP_CHECK((r->start == NULL) == (r->wait == NULL), MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: the reducer has a start without a wait, or a wait without a "
              "start");
    MLP_CHECK(r->shards >= 1 && r->shards <= SHARDS_MAX && r->shard < r->shards,
              MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: the reducer's shard %zu of %zu: shards must be 1 to %d, shard "
              "below it",
              r->shard, r->shards, SHARDS_MAX);
    return MLP_OK;
}

/* A struct_size this library refused, but one a program built against a newer libmlp
 * would give: the fields this library knows are where it knows them. */
static int newer_struct(size_t size, size_t own) { return size > own && size - own <= 1024; }

/* The options (or their reducer) were refused: when they still lead to a reducer this
 * process can call, a program built against a newer libmlp, the refusal goes to the
 * other processes in the first reduction, as any other would, rather than leaving them
 * waiting in it. A struct that gives no such reducer cannot tell them (libmlp-mpi's
 * timeout bounds their wait). Returns `s`, or the reducer's failure. */
static mlp_status refuse_unreadable(const mlp_fit_options *options, mlp_status s)
{
    if (options == NULL) return s;
    size_t size;
    memcpy(&size, options, sizeof size);
    const size_t at = offsetof(mlp_fit_options, reducer);
    if (!(size <= sizeof *options || newer_struct(size, sizeof *options)) ||
        size < at + sizeof options->reducer)
        return s;
    const mlp_reducer *given = options->reducer;
    if (given == NULL) return s;
    mlp_reducer r;
    memcpy(&size, given, sizeof size);
    if (size < offsetof(mlp_reducer, shard) + sizeof r.shard ||
        !(size <= sizeof r || newer_struct(size, sizeof r)))
        return s;
    memset(&r, 0, sizeof r);
    memcpy(&r, given, size < sizeof r ? size : sizeof r);
    if (r.allreduce == NULL || r.shards < 1 || r.shards > SHARDS_MAX || r.shard >= r.shards)
        return s;
    char detail[MLP__DETAIL_BYTES];
    snprintf(detail, sizeof detail, "%s", mlp_error_detail());
    const mlp_status t = refuse_together(&r, s);
    return t == s ? mlp__fail(s, "%s", detail) : t;
}

mlp_status mlp_trainer_fit(mlp_trainer *tr, mlp_fit_result *result, const mlp_dataset *train,
                           const mlp_fit_options *options)
{
    mlp_fit_options opt;
    fit_defaults(&opt);
    mlp_status s = options != NULL
                       ? mlp__struct_in(&opt, sizeof opt, options, __func__, "mlp_fit_options")
                       : MLP_OK;
    if (s != MLP_OK) return refuse_unreadable(options, s);
    /* A sharded fit: with a reducer, every step below until the processes have
     * agreed runs on every process whatever fails, so that none is left waiting. */
    shard_plan plan;
    memset(&plan, 0, sizeof plan);
    if (opt.reducer != NULL) {
        s = reducer_in(&plan.r, opt.reducer);
        if (s != MLP_OK) return refuse_unreadable(options, s);
        plan.red = &plan.r;
        plan.S = plan.r.shards;
        plan.lo = plan.r.shard;
        plan.hi = plan.lo + 1;
    } else if (opt.shards > 1) {
        plan.S = opt.shards;
        plan.hi = plan.S;
    }
    plan.local = plan.S > 0 && opt.shard_local != 0;
    if (plan.S == 0) MLP_CHECK_PTR(tr);
    if (tr == NULL) s = mlp__fail(MLP_ERR_INVALID_ARG, "%s: tr is NULL", __func__);
    if (s == MLP_OK && result != NULL)
        s = mlp__struct_size_ok(result->struct_size, sizeof *result, __func__, "mlp_fit_result");
    if (s == MLP_OK && plan.red != NULL && opt.shards != 0 && opt.shards != plan.S)
        s = mlp__fail(MLP_ERR_INVALID_ARG, "mlp_trainer_fit: shards is %zu, the reducer has %zu",
                      opt.shards, plan.S);
    if (s == MLP_OK && opt.epochs > MLP__MAX_EPOCHS - tr->epochs_done)
        s = mlp__fail(MLP_ERR_INVALID_ARG,
                      "mlp_trainer_fit: the trainer has run %zu epochs: %zu more would pass the "
                      "most its epoch count holds (%zu)",
                      tr->epochs_done, opt.epochs, (size_t)MLP__MAX_EPOCHS);
    /* the method's own batch: resolved once, so that every check (and every process)
     * sees a number */
    if (s == MLP_OK && opt.batch_size == MLP_BATCH_AUTO)
        opt.batch_size = mlp__optimizer(tr->opt.kind)->full_batch ? 0 : 32;
    fit_data fd = {.mem = NULL};
    size_t batch = 0;
    if (s == MLP_OK && plan.S > 0) s = plan_check(tr, &opt, plan.S);
    if (s == MLP_OK)
        s = fit_setup(tr, train, &opt, !plan.local ? 0 : plan.red != NULL ? 1 : plan.S,
                      plan.local && plan.red != NULL ? plan.r.shard : 0, &fd, &batch);
    const mlp_dataset tv = fd.tv, vv = fd.vv;
    if (plan.S > 0) {
        if (s == MLP_OK) s = plan_alloc(&plan, plan.S, tr->net->n_params);
        if (s != MLP_OK && plan.red != NULL) {
            fit_data_free(&fd);
            return refuse_together(&plan.r, s);
        }
        if (s == MLP_OK) plan_local_rows(&plan, &tv, &vv, &opt);
        if (s == MLP_OK && plan.red != NULL) s = plan_agree(&plan, tr, &opt, &tv, &vv);
        if (s == MLP_OK) s = plan_steps(&plan, tr, &opt, batch);
        if (s != MLP_OK) {
            fit_data_free(&fd);
            plan_free(&plan);
            return s;
        }
        batch = plan.max_rows;
    }
    if (s != MLP_OK) return s;

    mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), np = net->n_params;
    /* what the fit keeps of the best and the last good epoch: the parameters and the
     * running state after them */
    const size_t snap = np + net->n_state;
    const size_t n_train = plan.S > 0 ? plan.n_train : tv.n;
    const size_t n_val = plan.S > 0 ? plan.n_val : vv.n;
    s = mlp_trainer_reserve(tr, batch);
    if (s == MLP_OK) s = mlp__history_reserve(net, opt.epochs);
    if (s == MLP_OK) s = reserve_history(tr, opt.epochs);
    fit_buffers b = {.perm = NULL};
    if (s == MLP_OK) s = alloc_buffers(&b, tv.n, batch, in, k, snap);
    if (plan.red != NULL) { /* every process has its buffers, or none goes on */
        const mlp_status all = agree_status(&plan, s);
        if (all != MLP_OK && s == MLP_OK) free_buffers(&b);
        s = all;
    }
    if (s != MLP_OK) {
        fit_data_free(&fd);
        plan_free(&plan);
        return s;
    }
    memcpy(b.good, net->params, snap * sizeof *b.good);
    memcpy(b.best, net->params, snap * sizeof *b.best);
    tr->drop_seed = opt.seed; /* dropout's masks: this fit's seed and each step's number */

    double *h_loss = tr->history, *h_val = h_loss + opt.epochs, *h_metric = h_val + opt.epochs;
    double *h_vmetric = h_metric + opt.epochs, *h_lr = h_vmetric + opt.epochs;
    mlp_fit_result res;
    result_empty(&res);
    size_t since_best = 0;
    const double *last_a = NULL;
    mlp_status comm = MLP_OK; /* a reducer's failure ends the fit with its status */
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
        double lsum = 0.0, msum = 0.0;
        if (plan.S > 0) {
            plan_order(&plan, b.perm, reorder, rng);
            for (size_t i = 0; i < plan.steps && s == MLP_OK; i++)
                s = shard_step(tr, &plan, &b, &tv, i, &lsum, &msum, &comm);
        } else {
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
        }
        if (comm != MLP_OK) break;
        mlp_epoch_report rep = {.struct_size = sizeof rep,
                                .epoch = epoch,
                                .loss = lsum / (double)n_train,
                                .val_loss = NAN,
                                .metric = msum / (double)n_train,
                                .val_metric = NAN,
                                .learning_rate = tr->lr};
        if (s == MLP_OK && n_val > 0) {
            if (plan.S > 0)
                shard_evaluate(tr, &plan, &rep.val_loss, &rep.val_metric, &comm);
            else
                evaluate(tr, &rep.val_loss, &rep.val_metric, &vv);
        }
        if (comm != MLP_OK) break;
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
        memcpy(b.good, net->params, snap * sizeof *b.good);
        const size_t e = epoch - 1;
        h_loss[e] = rep.loss;
        h_val[e] = rep.val_loss;
        h_metric[e] = rep.metric;
        h_vmetric[e] = rep.val_metric;
        h_lr[e] = rep.learning_rate;
        res.epochs_run = epoch;
        tr->epochs_done++;
        record_epoch(net, tr, &opt, plan.S == 0 ? batch : plan.local ? opt.batch_size : plan.batch,
                     rep.loss, rep.val_loss);

        const double monitored = n_val > 0 ? rep.val_loss : rep.loss;
        plateau_step(tr, monitored);
        if (monitored < res.best_loss - opt.min_delta) {
            res.best_loss = monitored;
            res.best_epoch = epoch;
            since_best = 0;
            if (opt.patience > 0) memcpy(b.best, net->params, snap * sizeof *b.best);
        } else {
            since_best++;
        }
        /* With a reducer the callback runs on shard 0, and its answer reaches all. */
        int stop = 0;
        if (opt.callback != NULL && (plan.red == NULL || plan.r.shard == 0))
            stop = opt.callback(&rep, opt.user_data) != 0;
        if (plan.red != NULL) {
            double flag = stop ? 1.0 : 0.0;
            if ((comm = plan.r.allreduce(&flag, 1, plan.r.user_data)) != MLP_OK) break;
            stop = flag != 0.0;
        }
        if (stop) {
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

    /* The one rule for the weights the fit ends with (see mlp.h); a reducer's failure
     * counts as a failed epoch. */
    const int failed = res.stop == MLP_STOP_NUMERIC || res.stop == MLP_STOP_DIVERGED ||
                       comm != MLP_OK;
    if (opt.patience > 0)
        memcpy(net->params, b.best, snap * sizeof *b.best);
    else if (failed)
        memcpy(net->params, b.good, snap * sizeof *b.good);
    /* the epoch whose weights the network now holds, over its whole history */
    const size_t kept_here = opt.patience > 0 ? res.best_epoch : res.epochs_run;
    if (kept_here > 0)
        net->record.info.kept_epoch = net->record.info.epochs - res.epochs_run + kept_here;
    if (opt.patience > 0 || failed) net->param_gen++; /* not a step's change: re-read */
    free_buffers(&b);
    fit_data_free(&fd);
    plan_free(&plan);
    if (comm != MLP_OK) return comm;

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
