/* Sharded fits: data parallelism, in one process or across processes through a
 * reducer (libmlp-mpi's). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "train.h"

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

enum { AGREE = 7 };

/* Shard s's part of n rows cut into S: n / S rows, one more for the first n % S. */
static size_t cut(size_t n, size_t S, size_t s) { return n / S + (s < n % S); }
static size_t cut_at(size_t n, size_t S, size_t s) { return s * (n / S) + (s < n % S ? s : n % S); }


void mlp__plan_free(mlp__shard_plan *p) { free(p->mem); }

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
    if (net->f32) h = hash_size(h, 32); /* the precision (float64's hash as before) */
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
    const size_t np = tr->net->n_params, es = mlp__value_size(tr->net);
    uint64_t h = hash_bytes(3, tr->net->params, np * es);
    for (int b = 0; b < mlp__optimizer(tr->opt.kind)->state_blocks; b++)
        h = hash_bytes(h, tr->state[b], np * es);
    return hash_out(h);
}

/* The plan's checks before the processes compare notes: what this process can tell
 * alone. */
mlp_status mlp__plan_check(const mlp_trainer *tr, const mlp_fit_options *opt, size_t S)
{
    const mlp__optimizer_kind *k = mlp__optimizer(tr->opt.kind);
    MLP_CHECK(k->step == NULL, MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: %s does not train in shards (the first-order optimizers do)",
              k->name);
    MLP_CHECK(S <= MLP__SHARDS_MAX, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: %zu shards, at most %d",
              S, MLP__SHARDS_MAX);
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
mlp_status mlp__plan_alloc(mlp__shard_plan *p, size_t S, size_t np)
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
void mlp__plan_local_rows(mlp__shard_plan *p, const mlp__fit_rows *tv, const mlp__fit_rows *vv,
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
    p->vw = p->local && opt->validation_fraction > 0 ? tv->w : vv->w;
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
mlp_status mlp__refuse_together(const mlp_reducer *r, mlp_status mine)
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
mlp_status mlp__plan_agree(mlp__shard_plan *p, mlp_trainer *tr, const mlp_fit_options *opt,
                             const mlp__fit_rows *tv, const mlp__fit_rows *vv)
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
        const size_t es = mlp__value_size(tr->net);
        uint64_t h = hash_bytes(4, tv->x, tv->n * in * es);
        h = hash_bytes(h, tv->y, tv->n * k * es);
        if (vv->n > 0) {
            h = hash_bytes(h, vv->x, vv->n * in * es);
            h = hash_bytes(h, vv->y, vv->n * k * es);
        }
        if (tv->w != NULL) /* the rows' weights: the same rows weigh the same everywhere */
            h = hash_bytes(h, tv->w, tv->n * sizeof *tv->w);
        if (vv->w != NULL && vv->n > 0) h = hash_bytes(h, vv->w, vv->n * sizeof *vv->w);
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
mlp_status mlp__plan_steps(mlp__shard_plan *p, const mlp_trainer *tr, const mlp_fit_options *opt,
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
static size_t shard_rows_at(const mlp__shard_plan *p, size_t s, size_t i, size_t *first)
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
void mlp__plan_order(const mlp__shard_plan *p, size_t *perm, int shuffle, uint64_t seed0)
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
    const mlp__shard_plan *p;
    const mlp_net *net;
    double *g;         /* the block */
    const float *gf;   /* a float32 network's gradient, widened into g as it is started;
                          NULL for a float64 network's, computed in g */
    size_t rows;       /* the shard's rows */
    size_t hi;         /* the values not yet started end here (they start at a w_off) */
    mlp_status status; /* the first start's failure */
} bucket_ctx;

/* A float32 shard's gradient values [lo, hi) widened into the block, exactly. */
static void widen(double *g, const float *gf, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) g[i] = (double)gf[i];
}

static void bucket_done(void *ctx, size_t l, double loss)
{
    bucket_ctx *b = ctx;
    const size_t lo = b->net->layers[l].w_off;
    if (l == b->net->n_layers - 1) b->g[b->net->n_params] = loss * (double)b->rows;
    if (b->status != MLP_OK || (b->hi - lo < b->p->r.bucket_values && l > 0)) return;
    if (b->gf != NULL) /* the values the bucket holds of the gradient: below n_params */
        widen(b->g, b->gf, lo, b->hi < b->net->n_params ? b->hi : b->net->n_params);
    b->status = b->p->r.start(b->g + lo, b->hi - lo, b->p->r.user_data);
    b->hi = lo;
}

/* One shard's block: its gradient divided by the batch's `of` rows, its loss sum and
 * metric sum; an empty shard's block is zeros. With a reducer that takes buckets, each
 * is started as the backward pass completes it (the same buckets on every process,
 * an empty shard's included), and the call ends with the reducer's wait. A float32
 * network's gradient is computed in float32 (into the trainer's gradient block, which
 * a sharded fit does not otherwise use) and widened into the block, exactly: the
 * blocks are summed in double, in shard order, as a float64 network's are. x and t are
 * the rows in the network's type. */
static mlp_status shard_block(mlp_trainer *tr, const mlp__shard_plan *p, double *g, const void *x,
                              const void *t, const double *w, size_t n, size_t of, size_t row0)
{
    const mlp_net *net = tr->net;
    const size_t np = net->n_params, k = mlp_net_n_outputs(net);
    const int buckets = p->red != NULL && p->r.start != NULL;
    bucket_ctx b = {p, net, g, NULL, n, np + 2, MLP_OK};
    if (n == 0) {
        memset(g, 0, (np + 2) * sizeof *g);
        for (size_t l = net->n_layers; buckets && l-- > 0;) bucket_done(&b, l, 0.0);
    } else if (net->f32) {
        b.gf = tr->grad_f32;
        mlp__training_pass(tr, row0);
        mlp__forward_f32(net, tr->ws, x, n, tr->keep);
        g[np + 1] = mlp__metric_sum_f32(tr->loss, tr->ws->act_f32[net->n_layers - 1], t, n, k);
        const double mean =
            mlp__backward_hooked_f32(net, tr->ws, tr->loss, tr->grad_f32, x, t, w, n, of,
                                     buckets ? bucket_done : NULL, &b);
        if (!buckets) {
            g[np] = mean * (double)n;
            widen(g, tr->grad_f32, 0, np);
        }
    } else {
        mlp__training_pass(tr, row0);
        mlp__forward(net, tr->ws, x, n, tr->keep);
        g[np + 1] = mlp__metric_sum(tr->loss, tr->ws->act[net->n_layers - 1], t, n, k);
        const double mean = mlp__backward_hooked(net, tr->ws, tr->loss, g, x, t, w, n, of,
                                                 buckets ? bucket_done : NULL, &b);
        if (!buckets) g[np] = mean * (double)n; /* bucket_done wrote it before its start */
    }
    if (!buckets) return MLP_OK;
    const mlp_status waited = p->r.wait(p->r.user_data);
    return b.status != MLP_OK ? b.status : waited;
}

/* Add b into a, element by element. */
MLP__CLONES
static void add_block(double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] += b[i];
}

/* Step i of the epoch over every shard this process computes; the blocks summed (and
 * reduced) into p->blk, then the update. *comm receives a reducer's failure. */
mlp_status mlp__shard_step(mlp_trainer *tr, mlp__shard_plan *p, const mlp__fit_buffers *b,
                             const mlp__fit_rows *tv, size_t i, double *lsum, double *msum,
                             mlp_status *comm)
{
    const mlp_net *net = tr->net;
    const size_t np = net->n_params, in = net->n_inputs, k = mlp_net_n_outputs(net);
    const size_t es = mlp__value_size(net);
    size_t total = 0, first, row0 = 0; /* row0: where shard s's rows start in the batch */
    for (size_t s = 0; s < p->S; s++) total += shard_rows_at(p, s, i, &first);
    for (size_t s = 0; s < p->lo; s++) row0 += shard_rows_at(p, s, i, &first);
    for (size_t s = p->lo; s < p->hi; s++) {
        const size_t n = shard_rows_at(p, s, i, &first);
        const size_t base = p->local ? p->toff[s] : 0;
        for (size_t r = 0; r < n; r++) {
            const size_t row = base + b->perm[base + first + r];
            memcpy((char *)b->xb + r * in * es, (const char *)tv->x + row * in * es, in * es);
            memcpy((char *)b->tb + r * k * es, (const char *)tv->y + row * k * es, k * es);
            if (tv->w != NULL) b->wb[r] = tv->w[row];
        }
        double *g = s == p->lo ? p->blk : p->part;
        if ((*comm = shard_block(tr, p, g, b->xb, b->tb, tv->w != NULL ? b->wb : NULL, n, total,
                                 row0)) != MLP_OK)
            return *comm;
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
    mlp_status s;
    if (net->f32) { /* the sum rounded once to float, then the float32 update */
        for (size_t j = 0; j < np; j++) tr->grad_f32[j] = (float)p->blk[j];
        s = mlp__update_f32(tr, tr->grad_f32);
    } else {
        s = mlp__update(tr, p->blk);
    }
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
mlp_status mlp__shard_evaluate(mlp_trainer *tr, mlp__shard_plan *p, double *loss, double *metric,
                                 mlp_status *comm)
{
    const size_t in = tr->net->n_inputs, k = mlp_net_n_outputs(tr->net);
    const size_t es = mlp__value_size(tr->net);
    double v[2] = {0.0, 0.0};
    for (size_t s = p->lo; s < p->hi; s++) {
        double l = 0.0, m = 0.0;
        const void *x = (const char *)p->vx + p->voff[s] * in * es,
                   *y = (const char *)p->vy + p->voff[s] * k * es;
        const double *w = p->vw != NULL ? p->vw + p->voff[s] : NULL;
        if (p->vrows[s] > 0 && tr->net->f32)
            mlp__evaluate_sums_f32(tr, &l, &m, x, y, w, p->vrows[s], p->max_rows);
        else if (p->vrows[s] > 0)
            mlp__evaluate_sums(tr, &l, &m, x, y, w, p->vrows[s], p->max_rows);
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
mlp_status mlp__agree_status(mlp__shard_plan *p, mlp_status mine)
{
    double *t = p->agree;
    for (size_t q = 0; q < p->S; q++) t[q] = 0.0;
    t[p->r.shard] = (double)mine;
    const mlp_status s = p->r.allreduce(t, p->S, p->r.user_data);
    return s != MLP_OK ? s : first_refusal(t, p->S, 1, mine);
}

/* The reducer's fields, checked: without a usable one there is no one to tell. */
mlp_status mlp__reducer_in(mlp_reducer *r, const mlp_reducer *given)
{
    memset(r, 0, sizeof *r);
    mlp_status s = mlp__struct_in(r, sizeof *r, given, "mlp_trainer_fit", "mlp_reducer");
    if (s != MLP_OK) return s;
    MLP_CHECK(r->allreduce != NULL, MLP_ERR_INVALID_ARG, "mlp_trainer_fit: the reducer's "
              "allreduce is NULL");
    MLP_CHECK((r->start == NULL) == (r->wait == NULL), MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: the reducer has a start without a wait, or a wait without a "
              "start");
    MLP_CHECK(r->shards >= 1 && r->shards <= MLP__SHARDS_MAX && r->shard < r->shards,
              MLP_ERR_INVALID_ARG,
              "mlp_trainer_fit: the reducer's shard %zu of %zu: shards must be 1 to %d, shard "
              "below it",
              r->shard, r->shards, MLP__SHARDS_MAX);
    return MLP_OK;
}

mlp_status mlp__shard_epoch(mlp_trainer *tr, mlp__shard_plan *p, const mlp__fit_buffers *b,
                            const mlp__fit_rows *tv, int reorder, uint64_t rng, double *lsum,
                            double *msum, mlp_status *comm)
{
    mlp__plan_order(p, b->perm, reorder, rng);
    mlp_status s = MLP_OK;
    for (size_t i = 0; i < p->steps && s == MLP_OK; i++)
        s = mlp__shard_step(tr, p, b, tv, i, lsum, msum, comm);
    return s;
}
