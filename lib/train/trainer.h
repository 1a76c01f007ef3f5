/* The trainer as the other parts see it (lib/train/): the optimizer and schedule
 * tables, the trainer's struct, the second-order methods, a checkpoint's restore.
 * Part of lib/mlp_internal.h; lib/train/train.h holds what only the training files
 * share. Never installed. */
#ifndef MLP_TRAINER_H
#define MLP_TRAINER_H

#include "../model/model.h"

/* ---- optimizers and schedules: one table each (lib/train/optim.c) ------------------------- */

/* The arguments of an optimizer's update over values of type R: out of place, into
 * arrays that overlap none of the inputs (lib/train/update.c says how). */
#define MLP__UPDATE_ARGS(R)                                                                \
    R *restrict w1, R *restrict a1, R *restrict b1, const R *restrict w,                   \
        const R *restrict g, const R *restrict a, const R *restrict b, size_t n,           \
        const mlp_optimizer *o, double lr, unsigned long long t, double wd

/* The first-order updates (lib/train/update.c, a typed source), for each type. */
#define MLP__UPDATES(R, N)                                                                 \
    void N(mlp__sgd_update)(MLP__UPDATE_ARGS(R));                                          \
    void N(mlp__momentum_update)(MLP__UPDATE_ARGS(R));                                     \
    void N(mlp__nesterov_update)(MLP__UPDATE_ARGS(R));                                     \
    void N(mlp__adam_update)(MLP__UPDATE_ARGS(R));                                         \
    void N(mlp__irprop_update)(MLP__UPDATE_ARGS(R));
#define MLP__NAME_F64(name) name
#define MLP__NAME_F32(name) name##_f32
MLP__UPDATES(double, MLP__NAME_F64)
MLP__UPDATES(float, MLP__NAME_F32)
#undef MLP__UPDATES
#undef MLP__NAME_F64
#undef MLP__NAME_F32

typedef struct mlp__optimizer_kind {
    const char *name;
    int full_batch;        /* a full-batch method: fit refuses mini-batches */
    int uses_lr;           /* has a learning rate (and so a schedule) */
    double default_lr;
    int state_blocks;      /* parameter-sized blocks of state it keeps: 0, 1 or 2 */
    /* the settings this kind reads, beyond the shared ones; `fn` names the caller */
    mlp_status (*check)(const mlp_optimizer *o, const char *fn);
    /* the state's value after a reset, for every parameter: (block 0, block 1) */
    double (*state_init)(const mlp_optimizer *o, int block);
    /* the update of n parameters, out of place into arrays that overlap none of the
     * inputs (lib/train/optim.c says how); a1 and b1 are scratch the kind does not keep when
     * it has fewer state blocks. Plain SGD's is used only by sharded fits: its steps
     * fuse the update into the backward pass (sgd_step) */
    void (*update)(MLP__UPDATE_ARGS(double));
    void (*update_f32)(MLP__UPDATE_ARGS(float)); /* the same over float32 values */
    /* a whole iteration of its own (second-order methods, lib/train/second_order.c): NULL for
     * the first-order methods, which go through `update` */
    mlp_status (*step)(mlp_trainer *tr, double *loss_value, const double *x, const double *t,
                       const double *w, size_t n);
    /* what it keeps besides: parameter-sized blocks of history (L-BFGS's pairs; NULL:
     * none), and the two counters tr->so of a trainer that has not stepped */
    size_t (*history_blocks)(const mlp_optimizer *o);
    double so_init[2];
    /* a checkpoint's state, restored into the trainer (tr->state, tr->hist, tr->so, with
     * tr->t set), every value finite: MLP_OK when this optimizer could have reached it
     * (and what derives from it made: L-BFGS's 1/yᵀs), else MLP_ERR_FORMAT with a detail
     * naming `fn`. Anything else would make the next step's arithmetic garbage. */
    mlp_status (*restored)(mlp_trainer *tr, const char *fn);
} mlp__optimizer_kind;

/* A checkpoint's trainer, from its file (lib/io/read.c) into a trainer made for its
 * network, loss and optimizer (lib/train/trainer.c): the counters here; the state,
 * history and second-order counters decoded by the caller into the buffers that
 * mlp__trainer_buffers hands out, before mlp__trainer_restore checks them all. */
typedef struct mlp__trainer_counts {
    uint64_t t;            /* steps taken */
    size_t epochs_done;
    double plateau_best;
    size_t plateau_wait, plateau_cuts;
} mlp__trainer_counts;

void mlp__trainer_buffers(mlp_trainer *tr, double **state0, double **state1, double **hist,
                          size_t *hist_blocks, double **so);
mlp_status mlp__trainer_restore(mlp_trainer *tr, const mlp__trainer_counts *c, const char *fn);

const mlp__optimizer_kind *mlp__optimizer(mlp_optimizer_kind kind);

typedef struct mlp__schedule_kind {
    const char *name;
    /* settings this schedule reads; `fn` names the caller */
    mlp_status (*check)(const mlp_optimizer *o, const char *fn);
    /* the rate of epoch e (0-based, over the trainer's life) after `cuts` plateau cuts */
    double (*rate)(const mlp_optimizer *o, size_t e, size_t cuts);
} mlp__schedule_kind;

const mlp__schedule_kind *mlp__schedule(mlp_schedule schedule);

/* MLP_OK when the optimizer's settings (and schedule) are usable; `fn` names the caller. */
mlp_status mlp__check_optimizer(const mlp_optimizer *o, const char *fn);

/* The caller's optimizer struct in the library's layout, with the defaults of its kind
 * for the fields the caller's struct_size does not cover; then checked. */
mlp_status mlp__optimizer_in(mlp_optimizer *dst, const mlp_optimizer *src, const char *fn);

/* The defaults of `kind` (known) in the library's layout. */
void mlp__optimizer_defaults(mlp_optimizer *o, mlp_optimizer_kind kind);

/* ---- trainers ------------------------------------------------------------------- */

/* The most steps and epochs a trainer counts: a checkpoint holding more is refused,
 * and a step or fit that would pass them fails first, so that every trainer saves
 * into a file that loads back. 2^53 steps keep Adam's t exact in a double. */
#define MLP__MAX_STEPS (1ull << 53)
#define MLP__MAX_EPOCHS (SIZE_MAX / 16)
/* The most any count of a file's optimizer block may be (the loader's and the
 * setters' one rule, mlp__check_optimizer). */
#define MLP__MAX_COUNT (SIZE_MAX / 16)

struct mlp_trainer {
    mlp_net *net;          /* borrowed */
    mlp_loss loss;
    union {
        const mlp__loss_kind *lk; /* loss's table entry, of the network's type */
        const mlp__loss_kind_f32 *lk_f32;
    };
    int keep;              /* what its training passes keep (mlp__keep_for) */
    mlp_optimizer opt; /* the library's layout; opt.learning_rate is the base rate */
    size_t max_batch;
    mlp_workspace *ws;
    /* the blocks below hold the network's type: the _f32 members for a float32 one */
    union {
        double *grad;      /* (n_params): the gradient block, the parameter block's layout */
        float *grad_f32;
    };
    union {
        double *state[2];  /* 2 x (n_params): momentum v | Adam m, v | RPROP step, previous
                              grad */
        float *state_f32[2];
    };
    union {
        double *shadow[2]; /* where an update writes the new state of the blocks the
                              optimizer uses, swapped with state[] once every value is
                              finite */
        float *shadow_f32[2];
    };
    void *block;           /* the allocation behind grad, state, shadow and the bounds */
    unsigned long long t;  /* steps taken (Adam's t), at most MLP__MAX_STEPS */
    uint64_t drop_seed;    /* dropout's masks: the last fit's seed, or the network's
                              provenance seed when the trainer was made */
    size_t sgd_gen;        /* plain SGD: net->param_gen when wmax was last exact */
    double *wmax;          /* plain SGD: per layer, a bound on its parameters' magnitude */
    double *bounds;        /* plain SGD: 3 x (n_layers) for one step's magnitudes */
    double *check_rows;    /* plain SGD: per layer, above how many rows its update is checked
                              after rather than bounded before (sgd_step); then the least */
    size_t epochs_done;    /* epochs completed by mlp_trainer_fit, over every call; at most
                              MLP__MAX_EPOCHS */
    double lr;             /* the learning rate of the next step: the schedule's at epochs_done */
    double plateau_best;   /* plateau schedule: the best monitored loss so far (INFINITY: none) */
    size_t plateau_wait;   /* epochs since it improved */
    size_t plateau_cuts;   /* cuts of the rate so far */
    union {
        double **dz;       /* plain SGD only: per layer (max_batch, out), every layer's dZ */
        float **dz_f32;
    };
    void *dz_block;        /* the allocation behind dz */
    double *history;       /* the last fit's per-epoch records: 5 x history_cap values */
    size_t history_cap;
    /* second-order methods (lib/train/second_order.c) */
    double *hist;          /* L-BFGS: (2 lbfgs_history, n_params) pairs s, y; checkpointed */
    size_t hist_blocks;    /* parameter-sized blocks in hist (0 for the others) */
    double so[2];          /* L-BFGS: pairs stored, next slot; LM: μ (0: not yet), ν;
                              checkpointed */
    double *scratch;       /* the rest, rebuilt by every iteration */
    size_t lm_rows;        /* LM: rows of one Jacobian block */
    int converged;         /* the last iteration met the tolerances, or could not go on */
    /* L-BFGS ends an iteration with the objective and gradient at the new weights;
     * the next iteration starts from them instead of computing them again when
     * mlp_trainer_fit says its batch is the one of the last step (same_batch) and the
     * weights are those the step left (cached_gen == net->param_gen). A checkpoint
     * does not carry them: a resumed fit computes the same values afresh. */
    int same_batch;
    int cached;
    uint64_t cached_gen;
    double cached_f, cached_data;
};

/* Second-order methods: their iterations, and the scratch each needs (doubles). */
mlp_status mlp__lbfgs_step(mlp_trainer *tr, double *loss_value, const double *x,
                           const double *t, const double *w, size_t n);
mlp_status mlp__lm_step(mlp_trainer *tr, double *loss_value, const double *x, const double *t,
                        const double *w, size_t n);
size_t mlp__lbfgs_scratch(const mlp_optimizer *o, size_t np);
size_t mlp__lbfgs_history_blocks(const mlp_optimizer *o);
/* their checkpoint's state restored (mlp__optimizer_kind's `restored`) */
mlp_status mlp__lbfgs_restored(mlp_trainer *tr, const char *fn);
mlp_status mlp__lm_restored(mlp_trainer *tr, const char *fn);
size_t mlp__lm_scratch(const mlp_net *net, size_t rows);
size_t mlp__lm_rows(const mlp_net *net, size_t max_batch);
size_t mlp__lm_bytes(size_t np);
/* The forward pass of b <= the LM block's rows and the Jacobian of its outputs: (b·k,
 * n_params) row-major, row r·k + c holding ∂ŷ[r][c]/∂θ; it lives in the trainer's
 * scratch until the next step. */
const double *mlp__lm_jacobian(mlp_trainer *tr, const double *x, size_t b);
/* A checkpoint into memory, as mlp_trainer_save() writes it to a file (for the tests'
 * and the fuzzers' round trips; mlp_net_save_buffer()'s rules). */
mlp_status mlp__trainer_save_buffer(const mlp_trainer *tr, void *buf, size_t capacity,
                                    size_t *size);

/* Recompute L-BFGS's 1 / yᵀs of every stored pair (after a load or a reset). */
void mlp__lbfgs_refresh(mlp_trainer *tr);
double mlp__lbfgs_rho(const mlp_trainer *tr, size_t i); /* 1/yᵀs of stored pair i */


/* Recompute tr->lr from the schedule for the trainer's current epoch. */
void mlp__trainer_update_lr(mlp_trainer *tr);

/* The next step's training pass: its dropout masks are those of the trainer's seed and
 * the step's number, for rows that start at row0 of the whole batch. */
static inline void mlp__training_pass(mlp_trainer *tr, size_t row0)
{
    tr->ws->drop_seed = tr->drop_seed;
    tr->ws->drop_step = tr->t + 1;
    tr->ws->drop_row0 = row0;
}

#endif
