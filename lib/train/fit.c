/* The epoch loop: mini-batches, shuffling, validation rows (given, or drawn and
 * stratified), learning-rate schedules, early stopping, the per-epoch records, and the
 * one rule for the weights a fit ends with. Sharded fits take their steps through
 * lib/train/shard.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "train.h"

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

/* Loss and metric over many rows, in chunks of the workspace's batch. */
static void evaluate(mlp_trainer *tr, double *loss, double *metric, const mlp__fit_rows *d)
{
    double lsum, msum;
    if (tr->net->f32)
        mlp__evaluate_sums_f32(tr, &lsum, &msum, d->x, d->y, d->w, d->n, tr->max_batch);
    else
        mlp__evaluate_sums(tr, &lsum, &msum, d->x, d->y, d->w, d->n, tr->max_batch);
    *loss = lsum / (double)d->n;
    *metric = msum / (double)d->n;
}

/* Row and column of the first non-finite value of an (n, d) matrix of doubles or (f32)
 * floats; 0 if all are finite. */
static int find_non_finite(const void *m, int f32, size_t n, size_t d, size_t *row, size_t *col)
{
    if (f32 ? mlp__all_finite_f32(m, n * d) : mlp__all_finite(m, n * d)) return 0;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(mlp__value_at(m, f32, i))) {
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
    MLP_CHECK(!find_non_finite(d->x, d->f32, d->n, in, &r, &c), MLP_ERR_NUMERIC,
              "mlp_trainer_fit: %s inputs: row %zu column %zu is NaN or infinite", what, r, c);
    if (d->classes > 0) return mlp__rows_check_classes(d, "mlp_trainer_fit", what);
    MLP_CHECK(!find_non_finite(d->y, d->f32, d->n, d->tcols, &r, &c), MLP_ERR_NUMERIC,
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


static void free_buffers(mlp__fit_buffers *b)
{
    free(b->perm);
    free(b->xb);
    free(b->good);
    free(b->wb);
}

static mlp_status alloc_buffers(mlp__fit_buffers *b, size_t n_train, size_t batch, size_t in,
                                size_t k, size_t n_params, size_t es, int weighted)
{
    memset(b, 0, sizeof *b);
    size_t xcells, tcells;
    /* batch <= max_batch and the workspace already holds (max_batch, width) buffers, so
     * these products fit; the checks keep that true if the callers ever change. */
    if (mlp__mul_ok(batch, in, SIZE_MAX / 16, &xcells) &&
        mlp__mul_ok(batch, k, SIZE_MAX / 16, &tcells)) {
        b->perm = malloc(n_train * sizeof *b->perm);
        b->xb = malloc((xcells + tcells) * es);
        b->good = malloc(2 * n_params * es);
    }
    if (b->perm == NULL || b->xb == NULL || b->good == NULL) {
        free_buffers(b);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate the epoch buffers");
    }
    b->tb = (char *)b->xb + xcells * es;
    b->best = (char *)b->good + n_params * es;
    if (weighted && (b->wb = malloc(batch * sizeof *b->wb)) == NULL) {
        free_buffers(b);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate the epoch buffers");
    }
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
    mlp__fit_rows tv, vv;
    void *mem;
    double *wmem; /* the rows' weights in the copies' order, or NULL */
} fit_data;

/* n rows (row i is r's row order[i], or i without an order) into x (n, in) and y
 * (n, k) as the network reads them, in its type. */
static void rows_into(void *x, void *y, const mlp__rows *r, const mlp_net *net,
                      const size_t *order, size_t n)
{
    if (net->f32) {
        mlp__rows_x_f32(x, r, net, order, n);
        mlp__rows_y_f32(y, r, net, order, n);
    } else {
        mlp__rows_x(x, r, net, order, n);
        mlp__rows_y(y, r, net, order, n);
    }
}

/* The class of each of n rows for a stratified draw, for the losses whose metric is
 * accuracy: the dataset's own class indices, or those of its one-hot (or 0/1) targets
 * in *owned; NULL for the other losses. */
static mlp_status strata(const double **labels, double **owned, const mlp__rows *d,
                         const mlp_trainer *tr)
{
    *labels = NULL;
    *owned = NULL;
    if (!tr->lk->accuracy_metric) return MLP_OK;
    if (d->classes > 0 && !d->f32) {
        *labels = d->y;
        return MLP_OK;
    }
    double *l = malloc(d->n * sizeof *l);
    MLP_CHECK(l != NULL, MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate %zu rows' classes",
              d->n);
    const size_t k = d->tcols; /* 1 for class indices */
    for (size_t i = 0; i < d->n; i++) {
#define T(c) mlp__value_at(d->y, d->f32, i *k + (c))
        size_t best = 0;
        if (d->classes > 0)
            best = (size_t)T(0); /* float indices, checked */
        else if (k == 1)
            best = T(0) >= 0.5;
        for (size_t c = 1; c < k; c++) best = T(c) > T(best) ? c : best;
#undef T
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

static void fit_data_free(fit_data *f)
{
    free(f->mem);
    free(f->wmem);
}

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
    /* copies where the caller's arrays do not serve as they are (rows of the other type
     * among them) */
    const int copy_t = td.f32 != net->f32 || order != NULL || mlp__rows_map_x(&td, net) ||
                       mlp__rows_map_y(&td, net);
    const int copy_v =
        vd.n > 0 && (vd.f32 != net->f32 || mlp__rows_map_x(&vd, net) || mlp__rows_map_y(&vd, net));
    const size_t es = mlp__value_size(net);
    size_t cells = 0;
    if (s == MLP_OK && (copy_t || copy_v)) {
        const size_t rows = (copy_t ? n : 0) + (copy_v ? vd.n : 0);
        if (!mlp__mul_ok(rows, in + k, SIZE_MAX / sizeof(double), &cells) ||
            (f->mem = malloc(cells * es)) == NULL)
            s = mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate a copy of %zu rows "
                          "as the network reads them", rows);
    }
    /* the weights follow their rows, in a copy whenever there are weights */
    const size_t nw = (td.w != NULL || vd.w != NULL) ? n + vd.n : 0;
    if (s == MLP_OK && nw > 0 && (f->wmem = malloc(nw * sizeof *f->wmem)) == NULL)
        s = mlp__fail(MLP_ERR_NOMEM, "mlp_trainer_fit: cannot allocate %zu rows' weights", nw);
    if (s != MLP_OK) {
        free(f->mem);
        f->mem = NULL;
        free(order);
        return s;
    }
    for (size_t i = 0; i < nw; i++) { /* a dataset without weights: each row 1 */
        const mlp__rows *from = i < n ? &td : &vd;
        const size_t at = i < n ? (order != NULL ? order[i] : i) : i - n;
        f->wmem[i] = from->w != NULL ? from->w[at] : 1.0;
    }
    char *next = f->mem;
    f->tv = (mlp__fit_rows){.x = td.x, .y = td.y, .w = f->wmem, .n = n - n_val};
    if (copy_t) {
        rows_into(next, next + n * in * es, &td, net, order, n);
        f->tv.x = next;
        f->tv.y = next + n * in * es;
        next += n * (in + k) * es;
    }
    free(order);
    if (n_val > 0) /* the last n_val rows, in the copy's order */
        f->vv = (mlp__fit_rows){.x = (const char *)f->tv.x + f->tv.n * in * es,
                                .y = (const char *)f->tv.y + f->tv.n * k * es,
                                .w = f->wmem != NULL ? f->wmem + f->tv.n : NULL,
                                .n = n_val};
    else if (vd.n > 0)
        f->vv = (mlp__fit_rows){
            .x = vd.x, .y = vd.y, .w = f->wmem != NULL ? f->wmem + n : NULL, .n = vd.n};
    if (copy_v) {
        rows_into(next, next + vd.n * in * es, &vd, net, NULL, vd.n);
        f->vv.x = next;
        f->vv.y = next + vd.n * in * es;
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
    if (r.allreduce == NULL || r.shards < 1 || r.shards > MLP__SHARDS_MAX || r.shard >= r.shards)
        return s;
    char detail[MLP__DETAIL_BYTES];
    snprintf(detail, sizeof detail, "%s", mlp_error_detail());
    const mlp_status t = mlp__refuse_together(&r, s);
    return t == s ? mlp__fail(s, "%s", detail) : t;
}

/* One fit: what its epochs share. */
typedef struct fit_run {
    mlp_trainer *tr;
    mlp_fit_options opt;     /* the caller's, in the library's layout, the batch resolved */
    mlp__shard_plan plan;    /* plan.S == 0: a plain fit */
    fit_data fd;             /* the training and validation rows as the network reads them */
    mlp__fit_buffers b;
    size_t batch;            /* rows of one step (a shard's most, when sharded) */
    int join_last;           /* a last batch of one row joins the one before it (a
                                batch normalization has no variance of one row) */
    size_t n_train, n_val;   /* over every shard */
    size_t snap;             /* what b.good and b.best hold: parameters and running state */
    int reorder;             /* shuffle each epoch */
    mlp_status comm;         /* a reducer's failure ends the fit with its status */
    mlp_fit_result res;
    size_t since_best;       /* epochs since the monitored loss improved */
} fit_run;

/* Everything before the first epoch: the options read, the shard plan made and (with a
 * reducer) agreed, the rows resolved, the buffers allocated. On failure nothing is left
 * allocated; with a reducer every process comes to the same answer. */
static mlp_status fit_begin(fit_run *f, mlp_trainer *tr, const mlp_fit_result *result,
                            const mlp_dataset *train, const mlp_fit_options *options)
{
    memset(f, 0, sizeof *f);
    f->tr = tr;
    mlp_fit_options *opt = &f->opt;
    mlp__shard_plan *plan = &f->plan;
    fit_defaults(opt);
    mlp_status s = options != NULL
                       ? mlp__struct_in(opt, sizeof *opt, options, "mlp_trainer_fit", "mlp_fit_options")
                       : MLP_OK;
    if (s != MLP_OK) return refuse_unreadable(options, s);
    /* A sharded fit: with a reducer, every step below until the processes have
     * agreed runs on every process whatever fails, so that none is left waiting. */
    if (opt->reducer != NULL) {
        s = mlp__reducer_in(&plan->r, opt->reducer);
        if (s != MLP_OK) return refuse_unreadable(options, s);
        plan->red = &plan->r;
        plan->S = plan->r.shards;
        plan->lo = plan->r.shard;
        plan->hi = plan->lo + 1;
    } else if (opt->shards > 1) {
        plan->S = opt->shards;
        plan->hi = plan->S;
    }
    plan->local = plan->S > 0 && opt->shard_local != 0;
    if (plan->S == 0) MLP_CHECK(tr != NULL, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: tr is NULL");
    if (tr == NULL) s = mlp__fail(MLP_ERR_INVALID_ARG, "mlp_trainer_fit: tr is NULL");
    if (s == MLP_OK && result != NULL)
        s = mlp__struct_size_ok(result->struct_size, sizeof *result, "mlp_trainer_fit",
                                "mlp_fit_result");
    if (s == MLP_OK && plan->red != NULL && opt->shards != 0 && opt->shards != plan->S)
        s = mlp__fail(MLP_ERR_INVALID_ARG, "mlp_trainer_fit: shards is %zu, the reducer has %zu",
                      opt->shards, plan->S);
    if (s == MLP_OK && opt->epochs > MLP__MAX_EPOCHS - tr->epochs_done)
        s = mlp__fail(MLP_ERR_INVALID_ARG,
                      "mlp_trainer_fit: the trainer has run %zu epochs: %zu more would pass the "
                      "most its epoch count holds (%zu)",
                      tr->epochs_done, opt->epochs, (size_t)MLP__MAX_EPOCHS);
    /* the method's own batch: resolved once, so that every check (and every process)
     * sees a number */
    if (s == MLP_OK && opt->batch_size == MLP_BATCH_AUTO)
        opt->batch_size = mlp__optimizer(tr->opt.kind)->full_batch ? 0 : 32;
    if (s == MLP_OK && plan->S > 0) s = mlp__plan_check(tr, opt, plan->S);
    if (s == MLP_OK)
        s = fit_setup(tr, train, opt, !plan->local ? 0 : plan->red != NULL ? 1 : plan->S,
                      plan->local && plan->red != NULL ? plan->r.shard : 0, &f->fd, &f->batch);
    const mlp__fit_rows *tv = &f->fd.tv, *vv = &f->fd.vv;
    if (plan->S > 0) {
        if (s == MLP_OK) s = mlp__plan_alloc(plan, plan->S, tr->net->n_params);
        if (s != MLP_OK && plan->red != NULL) {
            fit_data_free(&f->fd);
            return mlp__refuse_together(&plan->r, s);
        }
        if (s == MLP_OK) mlp__plan_local_rows(plan, tv, vv, opt);
        if (s == MLP_OK && plan->red != NULL) s = mlp__plan_agree(plan, tr, opt, tv, vv);
        if (s == MLP_OK) s = mlp__plan_steps(plan, tr, opt, f->batch);
        if (s != MLP_OK) {
            fit_data_free(&f->fd);
            mlp__plan_free(plan);
            return s;
        }
        f->batch = plan->max_rows;
    }
    if (s != MLP_OK) return s;

    mlp_net *net = tr->net;
    f->snap = net->n_params + net->n_state;
    f->n_train = plan->S > 0 ? plan->n_train : tv->n;
    f->n_val = plan->S > 0 ? plan->n_val : vv->n;
    const size_t bn = mlp__layer_with(net, MLP__KIND_BATCH); /* not sharded: refused above */
    if (bn < net->n_layers && f->batch < 2) {
        fit_data_free(&f->fd);
        return mlp__fail(MLP_ERR_INVALID_ARG,
                         "mlp_trainer_fit: layer %zu is a batch normalization, which normalizes "
                         "by each batch's variance, and %s: set batch_size to 2 or more",
                         bn, f->n_train < 2 ? "there is 1 training row" : "batch_size is 1");
    }
    f->join_last = bn < net->n_layers && f->n_train > f->batch && f->n_train % f->batch == 1;
    s = mlp_trainer_reserve(tr, f->batch + (size_t)f->join_last);
    if (s == MLP_OK) s = mlp__history_reserve(net, opt->epochs);
    if (s == MLP_OK) s = reserve_history(tr, opt->epochs);
    if (s == MLP_OK)
        s = alloc_buffers(&f->b, tv->n, f->batch + (size_t)f->join_last, net->n_inputs,
                          mlp_net_n_outputs(net), f->snap, mlp__value_size(net), tv->w != NULL);
    if (plan->red != NULL) { /* every process has its buffers, or none goes on */
        const mlp_status all = mlp__agree_status(plan, s);
        if (all != MLP_OK && s == MLP_OK) free_buffers(&f->b);
        s = all;
    }
    if (s != MLP_OK) {
        fit_data_free(&f->fd);
        mlp__plan_free(plan);
        return s;
    }
    memcpy(f->b.good, net->params, f->snap * mlp__value_size(net));
    memcpy(f->b.best, net->params, f->snap * mlp__value_size(net));
    tr->drop_seed = opt->seed; /* dropout's masks: this fit's seed and each step's number */
    result_empty(&f->res);
    /* The second-order methods take the whole set in each iteration: an order would
     * change nothing but the rounding of its sums, so they keep the given one. */
    f->reorder = opt->shuffle && mlp__optimizer(tr->opt.kind)->step == NULL;
    return MLP_OK;
}

/* One epoch of a plain fit: its order drawn (Fisher-Yates from the identity with the
 * epoch's generator), then a step per batch; the summed loss and metric of the rows
 * (the metric of the predictions before each step) into *lsum, *msum. */
static mlp_status plain_epoch(fit_run *f, size_t epoch, uint64_t rng, double *lsum, double *msum)
{
    mlp_trainer *tr = f->tr;
    const mlp__fit_rows *tv = &f->fd.tv;
    mlp__fit_buffers *b = &f->b;
    const mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), n_train = f->n_train;
    const size_t es = mlp__value_size(net), last = net->n_layers - 1;
    if (f->reorder) {
        for (size_t i = 0; i < n_train; i++) b->perm[i] = i;
        for (size_t i = n_train - 1; i > 0; i--) {
            const size_t j = (size_t)(mlp__rng_next(&rng) % (uint64_t)(i + 1));
            const size_t tmp = b->perm[i];
            b->perm[i] = b->perm[j];
            b->perm[j] = tmp;
        }
    }
    mlp_status s = MLP_OK;
    for (size_t start = 0, rows; start < n_train && s == MLP_OK; start += rows) {
        rows = n_train - start < f->batch ? n_train - start : f->batch;
        if (f->join_last && n_train - start == f->batch + 1) rows++; /* no batch of 1 row */
        const char *xs = tv->x, *ts = tv->y;
        const void *xb = xs + start * in * es, *tb = ts + start * k * es;
        const double *wb = tv->w != NULL ? tv->w + start : NULL;
        if (f->reorder) {
            for (size_t r = 0; r < rows; r++) {
                const size_t row = b->perm[start + r];
                memcpy((char *)b->xb + r * in * es, xs + row * in * es, in * es);
                memcpy((char *)b->tb + r * k * es, ts + row * k * es, k * es);
                if (wb != NULL) b->wb[r] = tv->w[row];
            }
            xb = b->xb;
            tb = b->tb;
            wb = wb != NULL ? b->wb : NULL;
        }
        double loss;
        tr->same_batch = !f->reorder && epoch > 1; /* the whole set, as last epoch */
        s = net->f32 ? mlp__step_f32(tr, &loss, xb, tb, wb, rows)
                     : mlp__step(tr, &loss, xb, tb, wb, rows);
        tr->same_batch = 0;
        *lsum += loss * (double)rows;
        /* the predictions before the update, in the workspace of this fit */
        *msum += net->f32 ? mlp__metric_sum_f32(tr->loss, tr->ws->act_f32[last], tb, rows, k)
                          : mlp__metric_sum(tr->loss, tr->ws->act[last], tb, rows, k);
    }
    return s;
}

/* After an epoch's steps (status s) and validation (rep): its records kept, the best
 * epoch followed, the callback asked. Returns 1 to go on, 0 when the fit stops here
 * (f->res.stop says why, or f->comm holds a reducer's failure). */
static int epoch_end(fit_run *f, size_t epoch, mlp_status s, const mlp_epoch_report *rep)
{
    mlp_trainer *tr = f->tr;
    mlp_net *net = tr->net;
    const mlp_fit_options *opt = &f->opt;
    mlp_fit_result *res = &f->res;
    const double biggest = net->f32 ? mlp__max_abs_f32(net->params_f32, net->n_params)
                                    : max_abs(net->params, net->n_params);
    if (s != MLP_OK || !isfinite(rep->loss) || (f->n_val > 0 && !isfinite(rep->val_loss)) ||
        !isfinite(biggest)) {
        res->stop = MLP_STOP_NUMERIC;
        return 0;
    }
    if (biggest > opt->max_abs_weight) {
        res->stop = MLP_STOP_DIVERGED;
        return 0;
    }
    memcpy(f->b.good, net->params, f->snap * mlp__value_size(net));
    const size_t e = epoch - 1, E = opt->epochs;
    double *h = tr->history; /* loss, validation loss, metric, validation metric, rate */
    h[e] = rep->loss;
    h[E + e] = rep->val_loss;
    h[2 * E + e] = rep->metric;
    h[3 * E + e] = rep->val_metric;
    h[4 * E + e] = rep->learning_rate;
    res->epochs_run = epoch;
    tr->epochs_done++;
    const mlp__shard_plan *plan = &f->plan;
    record_epoch(net, tr, opt,
                 plan->S == 0 ? f->batch : plan->local ? opt->batch_size : plan->batch,
                 rep->loss, rep->val_loss);

    const double monitored = f->n_val > 0 ? rep->val_loss : rep->loss;
    plateau_step(tr, monitored);
    if (monitored < res->best_loss - opt->min_delta) {
        res->best_loss = monitored;
        res->best_epoch = epoch;
        f->since_best = 0;
        if (opt->patience > 0) memcpy(f->b.best, net->params, f->snap * mlp__value_size(net));
    } else {
        f->since_best++;
    }
    /* With a reducer the callback runs on shard 0, and its answer reaches all. */
    int stop = 0;
    if (opt->callback != NULL && (plan->red == NULL || plan->r.shard == 0))
        stop = opt->callback(rep, opt->user_data) != 0;
    if (plan->red != NULL) {
        double flag = stop ? 1.0 : 0.0;
        if ((f->comm = plan->r.allreduce(&flag, 1, plan->r.user_data)) != MLP_OK) return 0;
        stop = flag != 0.0;
    }
    if (stop) res->stop = MLP_STOP_CALLBACK;
    else if (opt->patience > 0 && f->since_best >= opt->patience) res->stop = MLP_STOP_PATIENCE;
    else if (tr->converged) res->stop = MLP_STOP_CONVERGED; /* a second-order method's tolerances */
    else return 1;
    return 0;
}

/* The one rule for the weights the fit ends with (see mlp.h; a reducer's failure counts
 * as a failed epoch), the result, and the fit's memory freed. */
static mlp_status fit_end(fit_run *f, mlp_fit_result *result)
{
    mlp_trainer *tr = f->tr;
    mlp_net *net = tr->net;
    const mlp_fit_options *opt = &f->opt;
    mlp_fit_result *res = &f->res;
    const int failed = res->stop == MLP_STOP_NUMERIC || res->stop == MLP_STOP_DIVERGED ||
                       f->comm != MLP_OK;
    if (opt->patience > 0)
        memcpy(net->params, f->b.best, f->snap * mlp__value_size(net));
    else if (failed)
        memcpy(net->params, f->b.good, f->snap * mlp__value_size(net));
    /* the epoch whose weights the network now holds, over its whole history */
    const size_t kept = opt->patience > 0 ? res->best_epoch : res->epochs_run;
    if (kept > 0) net->record.info.kept_epoch = net->record.info.epochs - res->epochs_run + kept;
    if (opt->patience > 0 || failed) net->param_gen++; /* not a step's change: re-read */
    free_buffers(&f->b);
    fit_data_free(&f->fd);
    mlp__plan_free(&f->plan);
    if (f->comm != MLP_OK) return f->comm;

    const size_t E = opt->epochs;
    res->loss = tr->history;
    res->val_loss = f->n_val > 0 ? tr->history + E : NULL;
    res->metric = tr->history + 2 * E;
    res->val_metric = f->n_val > 0 ? tr->history + 3 * E : NULL;
    res->learning_rate = tr->history + 4 * E;
    if (result != NULL) mlp__struct_out(result, res, sizeof *res, "mlp_trainer_fit", "mlp_fit_result");
    if (!failed) return MLP_OK;
    if (res->stop == MLP_STOP_DIVERGED)
        return mlp__fail(MLP_ERR_NUMERIC,
                         "mlp_trainer_fit: diverged in epoch %zu: a parameter's magnitude passed "
                         "max_abs_weight (%g); the weights are those after epoch %zu%s",
                         res->epochs_run + 1, opt->max_abs_weight, kept,
                         opt->patience > 0 ? " (the best)" : "");
    return mlp__fail(MLP_ERR_NUMERIC,
                     "mlp_trainer_fit: the loss is not finite in epoch %zu; the weights are "
                     "those after epoch %zu%s",
                     res->epochs_run + 1, kept, opt->patience > 0 ? " (the best)" : "");
}

mlp_status mlp_trainer_fit(mlp_trainer *tr, mlp_fit_result *result, const mlp_dataset *train,
                           const mlp_fit_options *options)
{
    fit_run f;
    mlp_status s = fit_begin(&f, tr, result, train, options);
    if (s != MLP_OK) return s;
    for (size_t epoch = 1; epoch <= f.opt.epochs; epoch++) {
        mlp__trainer_update_lr(tr);
        /* The order of an epoch depends only on the seed and the trainer's epoch
         * count, so training resumed from a checkpoint shuffles as an uninterrupted
         * run would: a generator started at seed + epoch * (an odd constant). */
        const uint64_t rng = f.opt.seed + (uint64_t)(tr->epochs_done + 1) * 0xD1B54A32D192ED03ull;
        double lsum = 0.0, msum = 0.0;
        s = f.plan.S > 0 ? mlp__shard_epoch(tr, &f.plan, &f.b, &f.fd.tv, f.reorder, rng, &lsum,
                                            &msum, &f.comm)
                         : plain_epoch(&f, epoch, rng, &lsum, &msum);
        if (f.comm != MLP_OK) break;
        mlp_epoch_report rep = {.struct_size = sizeof rep,
                                .epoch = epoch,
                                .loss = lsum / (double)f.n_train,
                                .val_loss = NAN,
                                .metric = msum / (double)f.n_train,
                                .val_metric = NAN,
                                .learning_rate = tr->lr};
        if (s == MLP_OK && f.n_val > 0) {
            if (f.plan.S > 0)
                mlp__shard_evaluate(tr, &f.plan, &rep.val_loss, &rep.val_metric, &f.comm);
            else
                evaluate(tr, &rep.val_loss, &rep.val_metric, &f.fd.vv);
        }
        if (f.comm != MLP_OK || !epoch_end(&f, epoch, s, &rep)) break;
    }
    mlp__trainer_update_lr(tr); /* the rate of the next epoch */
    return fit_end(&f, result);
}
