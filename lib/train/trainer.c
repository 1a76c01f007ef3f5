/* Trainers: their life (made for a network, a loss, an optimizer and a batch size;
 * reserved for larger batches; freed) and the settings that change while training.
 * The steps are lib/train/step.c's, the epoch loop lib/train/fit.c's, sharded fits
 * lib/train/shard.c's; the optimizers and schedules themselves are the tables of
 * lib/train/optim.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "train.h"

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
        if (tr->net->f32) {
            float *s = tr->state_f32[block];
            for (size_t i = 0; i < np; i++) s[i] = (float)v;
        } else {
            double *s = tr->state[block];
            for (size_t i = 0; i < np; i++) s[i] = v;
        }
    }
    tr->t = 0;
    tr->plateau_best = INFINITY;
    tr->plateau_wait = 0;
    tr->plateau_cuts = 0;
    if (tr->hist != NULL) memset(tr->hist, 0, tr->hist_blocks * np * sizeof *tr->hist);
    tr->so[0] = k->so_init[0];
    tr->so[1] = k->so_init[1];
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
    const mlp__optimizer_kind *k = mlp__optimizer(o->kind);
    if (k->history_blocks != NULL) { /* L-BFGS */
        tr->hist_blocks = k->history_blocks(o);
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
    MLP_CHECK(tr->scratch != NULL && (tr->hist_blocks == 0 || tr->hist != NULL),
              MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate %zu doubles for %s", scratch,
              mlp_optimizer_name(o->kind));
    return MLP_OK;
}

void mlp__trainer_buffers(mlp_trainer *tr, double **state0, double **state1, double **hist,
                          size_t *hist_blocks, double **so)
{
    *state0 = tr->state[0];
    *state1 = tr->state[1];
    *hist = tr->hist;
    *hist_blocks = tr->hist_blocks;
    *so = tr->so;
}

mlp_status mlp__trainer_restore(mlp_trainer *tr, const mlp__trainer_counts *c, const char *fn)
{
    MLP_CHECK(c->t <= MLP__MAX_STEPS, MLP_ERR_FORMAT,
              "%s: the step count is %llu, more than 2^53 steps no run can have taken", fn,
              (unsigned long long)c->t);
    MLP_CHECK(c->plateau_wait <= c->epochs_done && c->plateau_cuts <= c->epochs_done,
              MLP_ERR_FORMAT,
              "%s: the plateau schedule waited %zu epochs and cut %zu times in %zu epochs", fn,
              c->plateau_wait, c->plateau_cuts, c->epochs_done);
    tr->t = c->t;
    tr->epochs_done = c->epochs_done;
    tr->plateau_best = c->plateau_best;
    tr->plateau_wait = c->plateau_wait;
    tr->plateau_cuts = c->plateau_cuts;
    const mlp_status s = mlp__optimizer(tr->opt.kind)->restored(tr, fn);
    if (s == MLP_OK) mlp__trainer_update_lr(tr);
    return s;
}

/* Plain SGD keeps every layer's dZ for its fused update (mlp__dense_sgd): one block
 * of (max_batch, out) per layer, in the network's type. Into *dz (float32: *dz_f32)
 * and *block. */
static mlp_status alloc_dz(double ***dz, float ***dz_f32, void **block, const mlp_net *net,
                           size_t max_batch)
{
    size_t total = 0;
    for (size_t l = 0; l < net->n_layers; l++) total += max_batch * net->layers[l].out;
    double **d = NULL;
    float **f = NULL;
    void *b = malloc(total * mlp__value_size(net));
    if (net->f32) f = calloc(net->n_layers, sizeof *f);
    else d = calloc(net->n_layers, sizeof *d);
    if ((d == NULL && f == NULL) || b == NULL) {
        free(d);
        free(f);
        free(b);
        return mlp__fail(MLP_ERR_NOMEM, "cannot allocate %zu values for a batch of %zu rows",
                         total, max_batch);
    }
    for (size_t l = 0, off = 0; l < net->n_layers; l++) {
        if (net->f32) f[l] = (float *)b + off;
        else d[l] = (double *)b + off;
        off += max_batch * net->layers[l].out;
    }
    if (net->f32) *dz_f32 = f;
    else *dz = d;
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
    /* their small dense algebra (line searches, normal equations) is float64's */
    MLP_CHECK(!net->f32 || mlp__optimizer(opt.kind)->step == NULL, MLP_ERR_INVALID_ARG,
              "mlp_trainer_create: %s trains float64 networks, and this one is float32: "
              "convert it to float64 (mlp_net_convert), or train it with a first-order "
              "method (adam, sgd, momentum, nesterov, irprop-)",
              mlp_optimizer_name(opt.kind));

    mlp_trainer *tr = calloc(1, sizeof *tr);
    MLP_CHECK(tr != NULL, MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate the trainer");
    s = mlp_workspace_create(&tr->ws, net, max_batch);
    if (s != MLP_OK) {
        free(tr);
        return s;
    }
    /* The gradient, two blocks of state and a shadow of each block the optimizer uses,
     * in the network's type; then five bounds per layer (doubles). They fit: the
     * parameter block's byte size was bounded by a quarter of the address space when
     * the network was created, and n_params * 5 doubles stay below SIZE_MAX on every
     * host the network could be made on. */
    const size_t np = net->n_params, blocks = 3 + (size_t)mlp__optimizer(opt.kind)->state_blocks;
    const size_t es = mlp__value_size(net);
    MLP_CHECK(np <= (SIZE_MAX / sizeof(double) - 5 * net->n_layers - 2) / blocks, MLP_ERR_NOMEM,
              "mlp_trainer_create: %zu blocks of %zu parameters overflow memory", blocks, np);
    /* the bounds start at the first double past the blocks */
    const size_t value_bytes = (blocks * np * es + sizeof(double) - 1) / sizeof(double) *
                               sizeof(double);
    tr->block = malloc(value_bytes + (5 * net->n_layers + 1) * sizeof(double));
    if (tr->block == NULL) {
        mlp_workspace_free(tr->ws);
        free(tr);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate %zu parameters",
                         blocks * np);
    }
    char *values = tr->block;
    void *block_at[5] = {NULL}; /* block b of the values */
    for (size_t b = 0; b < blocks; b++) block_at[b] = values + b * np * es;
    if (net->f32) {
        tr->grad_f32 = block_at[0];
        tr->state_f32[0] = block_at[1];
        tr->state_f32[1] = block_at[2];
        tr->shadow_f32[0] = tr->shadow_f32[1] = NULL;
        for (size_t b = 3; b < blocks; b++) tr->shadow_f32[b - 3] = block_at[b];
    } else {
        tr->grad = block_at[0];
        tr->state[0] = block_at[1];
        tr->state[1] = block_at[2];
        tr->shadow[0] = tr->shadow[1] = NULL;
        for (size_t b = 3; b < blocks; b++) tr->shadow[b - 3] = block_at[b];
    }
    tr->wmax = (double *)(void *)(values + value_bytes);
    tr->bounds = tr->wmax + net->n_layers;
    tr->check_rows = tr->bounds + 3 * net->n_layers;
    for (size_t l = 0; l < net->n_layers; l++) {
        /* plain SGD checks a layer after its update on more rows than this (sgd_step):
         * where checking after reads fewer values than bounding before */
        const mlp_layer *L = &net->layers[l];
        const double cells = (double)L->np;
        const double passes = mlp__copied_into_grad(L) > 0 ? 2.0 : 3.0; /* copy, scan (, clear) */
        /* a kind without a fused update has no bound to keep: always checked after */
        tr->check_rows[l] =
            L->type->sgd_spare != NULL ? passes * cells / (double)(L->in + L->out) : -1.0;
    }
    tr->check_rows[net->n_layers] = tr->check_rows[0]; /* the least of them */
    for (size_t l = 1; l < net->n_layers; l++)
        tr->check_rows[net->n_layers] = fmin(tr->check_rows[net->n_layers], tr->check_rows[l]);
    tr->sgd_gen = net->param_gen - 1; /* wmax unknown: the first SGD step reads the weights */
    if (opt.kind == MLP_OPT_SGD &&
        (s = alloc_dz(&tr->dz, &tr->dz_f32, &tr->dz_block, net, max_batch)) != MLP_OK) {
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
    if (net->f32) tr->lk_f32 = mlp__loss_f32(loss);
    else tr->lk = mlp__loss(loss);
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
    double **dz = NULL;
    float **dz_f32 = NULL;
    void *dz_block = NULL;
    mlp_status s = mlp_workspace_create(&ws, tr->net, max_batch);
    if (s == MLP_OK && tr->dz != NULL) s = alloc_dz(&dz, &dz_f32, &dz_block, tr->net, max_batch);
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
        if (tr->net->f32) tr->dz_f32 = dz_f32;
        else tr->dz = dz;
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
