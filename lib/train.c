/* Optimizers over the whole parameter block, training steps, and the epoch loop
 * with mini-batches, shuffling, validation and early stopping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"

mlp_optimizer mlp_optimizer_defaults(mlp_optimizer_kind kind)
{
    mlp_optimizer o;
    o.kind = kind;
    o.learning_rate = kind == MLP_OPT_ADAM ? 0.001 : 0.01;
    o.momentum = 0.9;
    o.beta1 = 0.9;
    o.beta2 = 0.999;
    o.epsilon = 1e-8;
    o.weight_decay = 0.0;
    o.rprop_increase = 1.2;
    o.rprop_decrease = 0.5;
    o.rprop_delta_init = 0.1;
    o.rprop_delta_min = 0.0;
    o.rprop_delta_max = 50.0;
    return o;
}

mlp_status mlp__check_optimizer(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->kind >= MLP_OPT_SGD && o->kind <= MLP_OPT_IRPROP_MINUS, MLP_ERR_INVALID_ARG,
              "%s: unknown optimizer %d", fn, (int)o->kind);
    MLP_CHECK(o->kind == MLP_OPT_IRPROP_MINUS || (isfinite(o->learning_rate) && o->learning_rate > 0),
              MLP_ERR_INVALID_ARG, "%s: learning_rate is %g, must be finite and > 0", fn,
              o->learning_rate);
    MLP_CHECK(o->momentum >= 0 && o->momentum < 1, MLP_ERR_INVALID_ARG,
              "%s: momentum is %g, must be in [0, 1)", fn, o->momentum);
    MLP_CHECK(o->beta1 >= 0 && o->beta1 < 1 && o->beta2 >= 0 && o->beta2 < 1, MLP_ERR_INVALID_ARG,
              "%s: beta1 %g and beta2 %g must be in [0, 1)", fn, o->beta1, o->beta2);
    MLP_CHECK(isfinite(o->epsilon) && o->epsilon > 0, MLP_ERR_INVALID_ARG,
              "%s: epsilon is %g, must be finite and > 0", fn, o->epsilon);
    MLP_CHECK(isfinite(o->weight_decay) && o->weight_decay >= 0, MLP_ERR_INVALID_ARG,
              "%s: weight_decay is %g, must be finite and >= 0", fn, o->weight_decay);
    if (o->kind == MLP_OPT_IRPROP_MINUS) {
        MLP_CHECK(isfinite(o->rprop_increase) && o->rprop_increase > 1 && o->rprop_decrease > 0 &&
                      o->rprop_decrease < 1,
                  MLP_ERR_INVALID_ARG,
                  "%s: iRPROP- needs rprop_increase > 1 and 0 < rprop_decrease < 1", fn);
        MLP_CHECK(o->rprop_delta_min >= 0 && o->rprop_delta_min <= o->rprop_delta_init &&
                      o->rprop_delta_init <= o->rprop_delta_max && o->rprop_delta_init > 0 &&
                      isfinite(o->rprop_delta_max),
                  MLP_ERR_INVALID_ARG,
                  "%s: iRPROP- needs 0 <= delta_min <= delta_init <= delta_max, delta_init > 0",
                  fn);
    }
    return MLP_OK;
}

void mlp_trainer_reset(mlp_trainer *tr)
{
    if (tr == NULL) return;
    const size_t np = tr->net->n_params;
    memset(tr->state, 0, 2 * np * sizeof *tr->state);
    if (tr->opt.kind == MLP_OPT_IRPROP_MINUS)
        for (size_t i = 0; i < np; i++) tr->state[i] = tr->opt.rprop_delta_init;
    tr->t = 0;
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
    s = mlp__check_optimizer(optimizer, __func__);
    if (s != MLP_OK) return s;

    mlp_trainer *tr = calloc(1, sizeof *tr);
    MLP_CHECK(tr != NULL, MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate the trainer");
    s = mlp_workspace_create(&tr->ws, net, max_batch);
    if (s != MLP_OK) {
        free(tr);
        return s;
    }
    /* n_params * 3 doubles fit: the parameter block's byte size was bounded by a quarter
     * of the address space when the network was created. */
    tr->grad = malloc(3 * net->n_params * sizeof *tr->grad);
    if (tr->grad == NULL) {
        mlp_workspace_free(tr->ws);
        free(tr);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate %zu parameters",
                         3 * net->n_params);
    }
    tr->state = tr->grad + net->n_params;
    if (optimizer->kind == MLP_OPT_SGD) {
        /* Plain SGD keeps every layer's dZ for its fused update (mlp__dense_sgd):
         * sizes as the workspace's own layer buffers, which were just allocated. */
        size_t total = 0;
        for (size_t l = 0; l < net->n_layers; l++) total += max_batch * net->layers[l].out;
        tr->dz = calloc(net->n_layers, sizeof *tr->dz);
        tr->dz_block = malloc(total * sizeof *tr->dz_block);
        if (tr->dz == NULL || tr->dz_block == NULL) {
            mlp_trainer_free(tr);
            return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_create: cannot allocate %zu doubles",
                             total);
        }
        size_t off = 0;
        for (size_t l = 0; l < net->n_layers; l++) {
            tr->dz[l] = tr->dz_block + off;
            off += max_batch * net->layers[l].out;
        }
    }
    tr->net = net;
    tr->loss = loss;
    tr->opt = *optimizer;
    tr->max_batch = max_batch;
    mlp_trainer_reset(tr);
    *trainer = tr;
    return MLP_OK;
}

void mlp_trainer_free(mlp_trainer *tr)
{
    if (tr == NULL) return;
    mlp_workspace_free(tr->ws);
    free(tr->grad);
    free(tr->dz);
    free(tr->dz_block);
    free(tr);
}

static inline double sign_of(double g) { return (double)((g > 0) - (g < 0)); }

/* Apply the optimizer to the whole parameter block with the gradient in tr->grad. */
static void update(mlp_trainer *tr)
{
    const mlp_optimizer *o = &tr->opt;
    mlp_net *net = tr->net;
    double *w = net->params, *g = tr->grad, *s0 = tr->state, *s1 = tr->state + net->n_params;
    const size_t np = net->n_params;

    if (o->weight_decay > 0) /* L2 on the weights, not the biases: one daxpy per layer */
        for (size_t l = 0; l < net->n_layers; l++) {
            const mlp_layer *L = &net->layers[l];
            mlp__axpy(L->in * L->out, o->weight_decay, w + L->w_off, g + L->w_off);
        }

    switch (o->kind) {
    case MLP_OPT_SGD: /* not called for SGD: sgd_step fuses its update into the gradient dgemm */
        break;
    case MLP_OPT_MOMENTUM:
    case MLP_OPT_NESTEROV: {
        const double mu = o->momentum, lr = o->learning_rate;
        if (o->kind == MLP_OPT_MOMENTUM) {
            for (size_t i = 0; i < np; i++) {
                s0[i] = mu * s0[i] + g[i];
                w[i] -= lr * s0[i];
            }
        } else {
            for (size_t i = 0; i < np; i++) {
                s0[i] = mu * s0[i] + g[i];
                w[i] -= lr * (g[i] + mu * s0[i]);
            }
        }
        break;
    }
    case MLP_OPT_ADAM: {
        tr->t++;
        const double b1 = o->beta1, b2 = o->beta2, eps = o->epsilon;
        const double c1 = 1.0 - pow(b1, (double)tr->t), c2 = 1.0 - pow(b2, (double)tr->t);
        const double step = o->learning_rate / c1, rc2 = 1.0 / sqrt(c2);
        for (size_t i = 0; i < np; i++) {
            s0[i] = b1 * s0[i] + (1.0 - b1) * g[i];
            s1[i] = b2 * s1[i] + (1.0 - b2) * g[i] * g[i];
            /* lr * m̂ / (sqrt(v̂) + eps), with m̂ = m / c1 and sqrt(v̂) = sqrt(v) / sqrt(c2) */
            w[i] -= step * s0[i] / (sqrt(s1[i]) * rc2 + eps);
        }
        break;
    }
    case MLP_OPT_IRPROP_MINUS: {
        /* s0: step size per weight, s1: the previous gradient (0 after a sign change). */
        const double inc = o->rprop_increase, dec = o->rprop_decrease;
        const double dmax = o->rprop_delta_max, dmin = o->rprop_delta_min;
        for (size_t i = 0; i < np; i++) {
            const double same = g[i] * s1[i];
            if (same > 0) {
                s0[i] = fmin(s0[i] * inc, dmax);
                w[i] -= sign_of(g[i]) * s0[i];
                s1[i] = g[i];
            } else if (same < 0) {
                s0[i] = fmax(s0[i] * dec, dmin);
                s1[i] = 0.0; /* iRPROP-: no step now, and none of the sign-change logic next time */
            } else {
                w[i] -= sign_of(g[i]) * s0[i];
                s1[i] = g[i];
            }
        }
        break;
    }
    }
}

/* Plain SGD, fused: every layer's dZ first (with the old weights), then each
 * layer's update as one dgemm that never stores the gradient. The gradient is
 * checked through its factors: when the loss, every dZ, the inputs and every
 * activation are finite, so is every product of them, barring an overflow of a
 * sum of finite products to infinity (a divergence the next step's loss reports,
 * and that mlp_trainer_fit undoes). */
static mlp_status sgd_step(mlp_trainer *tr, double *loss_value, const double *x,
                           const double *target, size_t n)
{
    mlp_net *net = tr->net;
    mlp_workspace *ws = tr->ws;
    const size_t last = net->n_layers - 1;
    mlp__forward(net, ws, x, n, tr->loss != MLP_LOSS_MSE);
    const double loss = mlp__loss_and_delta(tr->loss, net->layers[last].act, tr->dz[last],
                                            ws->act[last], ws->zout, target, n,
                                            net->layers[last].out);
    if (loss_value != NULL) *loss_value = loss;
    int finite = isfinite(loss) && mlp__all_finite(x, n * net->n_inputs) &&
                 mlp__all_finite(tr->dz[last], n * net->layers[last].out);
    for (size_t l = last; finite && l > 0; l--) {
        const mlp_layer *L = &net->layers[l];
        mlp__dense_backward_input(tr->dz[l - 1], tr->dz[l], net->params + L->w_off, n, L->in,
                                  L->out);
        mlp__activation_backward(tr->dz[l - 1], tr->dz[l - 1], ws->act[l - 1], n, L->in,
                                 net->layers[l - 1].act);
        finite = mlp__all_finite(tr->dz[l - 1], n * L->in) &&
                 mlp__all_finite(ws->act[l - 1], n * L->in);
    }
    MLP_CHECK(finite, MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) or its gradient is not finite; weights unchanged",
              loss);
    const double lr = tr->opt.learning_rate, decay = 1.0 - lr * tr->opt.weight_decay;
    for (size_t l = 0; l <= last; l++) {
        const mlp_layer *L = &net->layers[l];
        mlp__dense_sgd(net->params + L->w_off, L->has_bias ? net->params + L->b_off : NULL,
                       tr->dz[l], l > 0 ? ws->act[l - 1] : x, n, L->in, L->out, lr, decay,
                       tr->grad + L->w_off);
    }
    return MLP_OK;
}

/* Forward, backward, and — when the loss and the gradient are finite — the update. */
static mlp_status step(mlp_trainer *tr, double *loss_value, const double *x,
                       const double *target, size_t n)
{
    if (tr->opt.kind == MLP_OPT_SGD) return sgd_step(tr, loss_value, x, target, n);
    mlp__forward(tr->net, tr->ws, x, n, tr->loss != MLP_LOSS_MSE); /* MSE needs no logits */
    const double loss = mlp__backward(tr->net, tr->ws, tr->loss, tr->grad, x, target, n);
    if (loss_value != NULL) *loss_value = loss;
    MLP_CHECK(isfinite(loss) && mlp__all_finite(tr->grad, tr->net->n_params), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) or its gradient is not finite; weights unchanged",
              loss);
    update(tr);
    return MLP_OK;
}

mlp_status mlp_trainer_step(mlp_trainer *tr, double *loss_value, const double *x,
                            const double *target, size_t n)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(target);
    MLP_CHECK(n > 0 && n <= tr->max_batch, MLP_ERR_SHAPE,
              "mlp_trainer_step: batch of %zu rows, the trainer takes 1 to %zu", n, tr->max_batch);
    return step(tr, loss_value, x, target, n);
}

mlp_fit_options mlp_fit_options_defaults(void)
{
    mlp_fit_options o;
    memset(&o, 0, sizeof o);
    o.epochs = 10;
    o.batch_size = 32;
    o.shuffle = 1;
    return o;
}

/* Sum over rows of the epoch metric: correct rows for cross-entropy losses, mean
 * absolute error per row for MSE; divided by the row count by the caller. */
static double metric_sum(mlp_loss loss, const double *a, const double *t, size_t n, size_t k)
{
    if (loss != MLP_LOSS_MSE) return mlp__accuracy(a, t, n, k) * (double)n;
    double sum = 0.0;
    for (size_t i = 0; i < n * k; i++) sum += fabs(a[i] - t[i]);
    return sum / (double)k;
}

/* Loss and metric over many rows, in chunks of the workspace's batch. */
static void evaluate(mlp_trainer *tr, double *loss, double *metric, const double *x,
                     const double *t, size_t n)
{
    const mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), last = net->n_layers - 1;
    double lsum = 0.0, msum = 0.0;
    for (size_t r = 0; r < n; r += tr->max_batch) {
        const size_t rows = n - r < tr->max_batch ? n - r : tr->max_batch;
        mlp__forward(net, tr->ws, x + r * in, rows, tr->loss != MLP_LOSS_MSE);
        lsum += mlp__loss_value(tr->loss, tr->ws->act[last], tr->ws->zout, t + r * k, rows, k) *
                (double)rows;
        msum += metric_sum(tr->loss, tr->ws->act[last], t + r * k, rows, k);
    }
    *loss = lsum / (double)n;
    *metric = msum / (double)n;
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

static mlp_status check_data(const double *x, const double *t, size_t n, size_t in, size_t k,
                             const char *what)
{
    size_t r = 0, c = 0;
    MLP_CHECK(!find_non_finite(x, n, in, &r, &c), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: %s inputs: row %zu column %zu is NaN or infinite", what, r, c);
    MLP_CHECK(!find_non_finite(t, n, k, &r, &c), MLP_ERR_NUMERIC,
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
    info->optimizer = tr->opt;
    info->seed = opt->seed;
    info->batch_size = batch;
    net->record.history[info->epochs++] = loss;
}

/* Scratch of one fit() call, allocated once before the first epoch. */
typedef struct fit_buffers {
    size_t *perm;      /* (n_train) row order of the current epoch */
    double *xb, *tb;   /* (batch, in) and (batch, k): gathered rows of one batch */
    double *good;      /* (n_params): weights at the end of the last finite epoch */
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

mlp_status mlp_trainer_fit(mlp_trainer *tr, mlp_fit_result *result, double *loss_history,
                           double *val_history, const double *x, const double *target, size_t n,
                           const double *val_x, const double *val_target, size_t n_val,
                           const mlp_fit_options *opt)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(target);
    MLP_CHECK_PTR(opt);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: n is 0");
    MLP_CHECK(opt->epochs > 0, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: epochs is 0");
    MLP_CHECK(n_val == 0 || (val_x != NULL && val_target != NULL), MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: n_val is %zu but the validation rows are NULL", n_val);
    MLP_CHECK(opt->validation_fraction >= 0 && opt->validation_fraction < 1, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: validation_fraction is %g, must be in [0, 1)",
              opt->validation_fraction);
    MLP_CHECK(isfinite(opt->min_delta) && opt->min_delta >= 0, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: min_delta is %g, must be finite and >= 0", opt->min_delta);

    mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), np = net->n_params;
    size_t n_train = n;
    if (n_val == 0 && opt->validation_fraction > 0) {
        /* As Keras: the last rows, before any shuffling, are held out. */
        n_val = (size_t)((double)n * opt->validation_fraction);
        MLP_CHECK(n_val > 0 && n_val < n, MLP_ERR_INVALID_ARG,
                  "mlp_trainer_fit: validation_fraction %g of %zu rows leaves %zu validation rows",
                  opt->validation_fraction, n, n_val);
        n_train = n - n_val;
        val_x = x + n_train * in;
        val_target = target + n_train * k;
    }
    const size_t batch = opt->batch_size == 0 || opt->batch_size > n_train ? n_train
                                                                            : opt->batch_size;
    MLP_CHECK(batch <= tr->max_batch, MLP_ERR_SHAPE,
              "mlp_trainer_fit: batches of %zu rows, the trainer takes at most %zu", batch,
              tr->max_batch);
    mlp_status s = check_data(x, target, n_train, in, k, "training");
    if (s == MLP_OK && n_val > 0) s = check_data(val_x, val_target, n_val, in, k, "validation");
    if (s != MLP_OK) return s;

    s = mlp__history_reserve(net, opt->epochs);
    if (s != MLP_OK) return s;
    fit_buffers b;
    s = alloc_buffers(&b, n_train, batch, in, k, np);
    if (s != MLP_OK) return s;
    memcpy(b.good, net->params, np * sizeof *b.good);
    memcpy(b.best, net->params, np * sizeof *b.best);

    mlp_fit_result res = {0, 0, INFINITY, 0, 0};
    size_t since_best = 0;
    const double *last_a = tr->ws->act[net->n_layers - 1];
    for (size_t epoch = 1; epoch <= opt->epochs; epoch++) {
        /* The order of an epoch depends only on the seed and the trainer's epoch
         * count, so training resumed from a checkpoint shuffles as an uninterrupted
         * run would: Fisher-Yates from the identity, with a generator started at
         * seed + epoch * (an odd constant). */
        uint64_t rng = opt->seed + (uint64_t)(tr->epochs_done + 1) * 0xD1B54A32D192ED03ull;
        if (opt->shuffle) {
            for (size_t i = 0; i < n_train; i++) b.perm[i] = i;
            for (size_t i = n_train - 1; i > 0; i--) {
                const size_t j = (size_t)(mlp__rng_next(&rng) % (uint64_t)(i + 1));
                const size_t tmp = b.perm[i];
                b.perm[i] = b.perm[j];
                b.perm[j] = tmp;
            }
        }
        double lsum = 0.0, msum = 0.0;
        for (size_t start = 0; start < n_train && s == MLP_OK; start += batch) {
            const size_t rows = n_train - start < batch ? n_train - start : batch;
            const double *xb = x + start * in, *tb = target + start * k;
            if (opt->shuffle) {
                for (size_t r = 0; r < rows; r++) {
                    memcpy(b.xb + r * in, x + b.perm[start + r] * in, in * sizeof *b.xb);
                    memcpy(b.tb + r * k, target + b.perm[start + r] * k, k * sizeof *b.tb);
                }
                xb = b.xb;
                tb = b.tb;
            }
            double loss;
            s = step(tr, &loss, xb, tb, rows);
            lsum += loss * (double)rows;
            msum += metric_sum(tr->loss, last_a, tb, rows, k); /* pre-update predictions */
        }
        mlp_epoch_report rep = {epoch, lsum / (double)n_train, NAN, msum / (double)n_train, NAN};
        if (s == MLP_OK && n_val > 0) evaluate(tr, &rep.val_loss, &rep.val_metric, val_x, val_target, n_val);
        if (s != MLP_OK || !isfinite(rep.loss) || (n_val > 0 && !isfinite(rep.val_loss))) {
            memcpy(net->params, b.good, np * sizeof *b.good);
            free_buffers(&b);
            if (result != NULL) *result = res;
            return mlp__fail(MLP_ERR_NUMERIC,
                             "mlp_trainer_fit: the loss is not finite in epoch %zu; the weights "
                             "are those after epoch %zu",
                             epoch, epoch - 1);
        }
        memcpy(b.good, net->params, np * sizeof *b.good);
        res.epochs_run = epoch;
        tr->epochs_done++;
        record_epoch(net, tr, opt, batch, rep.loss);
        if (loss_history != NULL) loss_history[epoch - 1] = rep.loss;
        if (val_history != NULL) val_history[epoch - 1] = rep.val_loss;

        const double monitored = n_val > 0 ? rep.val_loss : rep.loss;
        if (monitored < res.best_loss - opt->min_delta) {
            res.best_loss = monitored;
            res.best_epoch = epoch;
            since_best = 0;
            if (opt->patience > 0) memcpy(b.best, net->params, np * sizeof *b.best);
        } else {
            since_best++;
        }
        if (opt->callback != NULL && opt->callback(&rep, opt->user_data) != 0) {
            res.stopped_by_callback = 1;
            break;
        }
        if (opt->patience > 0 && since_best >= opt->patience) {
            res.stopped_early = 1;
            break;
        }
    }
    if (opt->patience > 0 && res.best_epoch > 0) memcpy(net->params, b.best, np * sizeof *b.best);
    free_buffers(&b);
    if (result != NULL) *result = res;
    return MLP_OK;
}
