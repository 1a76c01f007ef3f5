/* What the training files (lib/train/) share among themselves; the trainer's struct
 * and the optimizer tables, which other parts read too, are in trainer.h. */
#ifndef MLP_TRAIN_H
#define MLP_TRAIN_H

#include "trainer.h"

/* ---- steps (step.c) ------------------------------------------------------------------ */

/* One step on n rows as the network reads them: forward, backward, and — when the loss,
 * the gradient, the update and the running values are finite — the update. */
mlp_status mlp__step(mlp_trainer *tr, double *loss_value, const double *x, const double *target,
                     const double *w, size_t n);
mlp_status mlp__step_f32(mlp_trainer *tr, double *loss_value, const float *x,
                         const float *target, const double *w, size_t n); /* float32 */

/* The first-order update from the gradient block g, checked: every new value finite, or
 * weights and optimizer state unchanged (g then holds garbage). */
mlp_status mlp__update(mlp_trainer *tr, double *g);
mlp_status mlp__update_f32(mlp_trainer *tr, float *g);

/* Where plain SGD's copy of a layer checked after its update goes (sgd_step): its
 * first values, up to the returned count, to the layer's part of the gradient block
 * that its kind's fused update leaves unused, the rest to SGD's unused state. */
static inline size_t mlp__copied_into_grad(const mlp_layer *L)
{
    return L->type->sgd_spare != NULL ? L->type->sgd_spare(L) : 0;
}

/* ---- the epoch loop (fit.c) ------------------------------------------------------- */

/* Rows as the network reads them, in its type: x (n, in) and y (n, k), the caller's
 * arrays or a fit's copies. */
typedef struct mlp__fit_rows {
    const void *x, *y;
    const double *w; /* n row weights, or NULL */
    size_t n;
} mlp__fit_rows;

/* Scratch of one fit() call, allocated once before the first epoch. */
typedef struct mlp__fit_buffers {
    size_t *perm;      /* (n_train) row order of the current epoch */
    /* in the network's type: */
    void *xb, *tb;     /* (batch, in) and (batch, k): gathered rows of one batch */
    void *good;        /* (n_params + n_state): weights and running state at the end of the
                          last completed epoch */
    void *best;        /* (n_params + n_state): those of the best epoch (early stopping) */
    double *wb;        /* (batch) the batch's row weights, for rows with weights; else NULL */
} mlp__fit_buffers;

/* The epoch metric's sum over n rows of outputs a against targets t (k each); and the
 * summed loss and metric of n rows, in chunks of `chunk` rows (at most the trainer's
 * capacity), predicted as when validating. lib/train/evaluate.c, a typed source: for
 * each type (MLP__R) with its names (MLP__N). */
#define MLP__EVALUATE(MLP__R, MLP__N)                                                      \
    double MLP__N(mlp__metric_sum)(mlp_loss loss, const MLP__R *a, const MLP__R *t, size_t n, \
                                   size_t k);                                              \
    void MLP__N(mlp__evaluate_sums)(mlp_trainer * tr, double *lsum, double *msum,            \
                                    const MLP__R *x, const MLP__R *y, const double *w, size_t n, \
                                    size_t chunk);
#define MLP__NAME_F64(name) name
#define MLP__NAME_F32(name) name##_f32
MLP__EVALUATE(double, MLP__NAME_F64)
MLP__EVALUATE(float, MLP__NAME_F32)
#undef MLP__EVALUATE
#undef MLP__NAME_F64
#undef MLP__NAME_F32

/* ---- sharded fits (shard.c) -------------------------------------------------------- */

enum { MLP__SHARDS_MAX = 65536 };

/* How a sharded fit cuts its rows and which shards this process computes. */
typedef struct mlp__shard_plan {
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
    const void *vx, *vy; /* the validation rows' base, in the network's type */
    const double *vw;    /* their weights' base, or NULL */
    size_t batch;      /* global: rows of a batch */
    size_t steps;      /* per epoch */
    size_t n_train, n_val; /* over all shards */
    size_t max_rows;   /* most rows a shard computes at once: the trainer's capacity */
    double *blk, *part;/* n_params + 2 each: the summed block, one shard's block */
    double *agree;     /* S * 7 (shard.c's AGREE): the first reduction's table */
    size_t since_verify;
    void *mem;
} mlp__shard_plan;

void mlp__plan_free(mlp__shard_plan *p);
/* The fit's settings against sharding (the optimizer, the shard count, the layers). */
mlp_status mlp__plan_check(const mlp_trainer *tr, const mlp_fit_options *opt, size_t S);
mlp_status mlp__plan_alloc(mlp__shard_plan *p, size_t S, size_t np);
void mlp__plan_local_rows(mlp__shard_plan *p, const mlp__fit_rows *tv, const mlp__fit_rows *vv,
                          const mlp_fit_options *opt);
/* A refusal sent to the other processes through the reducer's first reduction. */
mlp_status mlp__refuse_together(const mlp_reducer *r, mlp_status mine);
/* The processes agree on the data, the network and the settings, or all refuse. */
mlp_status mlp__plan_agree(mlp__shard_plan *p, mlp_trainer *tr, const mlp_fit_options *opt,
                           const mlp__fit_rows *tv, const mlp__fit_rows *vv);
mlp_status mlp__plan_steps(mlp__shard_plan *p, const mlp_trainer *tr, const mlp_fit_options *opt,
                           size_t batch);
/* The epoch's row order, the same in every process. */
void mlp__plan_order(const mlp__shard_plan *p, size_t *perm, int shuffle, uint64_t seed0);
/* Step i of the epoch over the shards; the loss and metric sums added to *lsum, *msum. */
mlp_status mlp__shard_step(mlp_trainer *tr, mlp__shard_plan *p, const mlp__fit_buffers *b,
                           const mlp__fit_rows *tv, size_t i, double *lsum, double *msum,
                           mlp_status *comm);
/* One epoch of a sharded fit: its order (the same in every process), then its steps. */
mlp_status mlp__shard_epoch(mlp_trainer *tr, mlp__shard_plan *p, const mlp__fit_buffers *b,
                            const mlp__fit_rows *tv, int reorder, uint64_t rng, double *lsum,
                            double *msum, mlp_status *comm);
mlp_status mlp__shard_evaluate(mlp_trainer *tr, mlp__shard_plan *p, double *loss, double *metric,
                               mlp_status *comm);
/* Every process's status, agreed: the first failure of any, or MLP_OK. */
mlp_status mlp__agree_status(mlp__shard_plan *p, mlp_status mine);
/* The caller's reducer read into r, its fields checked. */
mlp_status mlp__reducer_in(mlp_reducer *r, const mlp_reducer *given);

#endif
