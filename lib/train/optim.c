/* Optimizers and learning-rate schedules: one table each. An optimizer entry is
 * its name, whether it is a full-batch method, its default rate, the check of
 * its own settings, the value its state starts from, and its update of the whole
 * parameter block; a schedule entry is its name, the check of its settings and
 * its rate for an epoch. Every bound, name lookup and validity check reads these
 * tables, so a new kind is its enum value in mlp.h, one entry here, and its tests. */
#include <math.h>
#include <string.h>

#include "trainer.h"

/* ---- each kind's own settings and starting state --------------------------------- */

static mlp_status no_check(const mlp_optimizer *o, const char *fn)
{
    (void)o, (void)fn;
    return MLP_OK;
}

static mlp_status momentum_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->momentum >= 0 && o->momentum < 1, MLP_ERR_INVALID_ARG,
              "%s: momentum is %g, must be in [0, 1)", fn, o->momentum);
    return MLP_OK;
}

static mlp_status adam_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->beta1 >= 0 && o->beta1 < 1 && o->beta2 >= 0 && o->beta2 < 1, MLP_ERR_INVALID_ARG,
              "%s: beta1 %g and beta2 %g must be in [0, 1)", fn, o->beta1, o->beta2);
    MLP_CHECK(isfinite(o->epsilon) && o->epsilon > 0, MLP_ERR_INVALID_ARG,
              "%s: epsilon is %g, must be finite and > 0", fn, o->epsilon);
    return MLP_OK;
}

static mlp_status irprop_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(isfinite(o->rprop_increase) && o->rprop_increase > 1 && o->rprop_decrease > 0 &&
                  o->rprop_decrease < 1,
              MLP_ERR_INVALID_ARG,
              "%s: iRPROP- needs rprop_increase > 1 and 0 < rprop_decrease < 1", fn);
    MLP_CHECK(o->rprop_delta_min >= 0 && o->rprop_delta_min <= o->rprop_delta_init &&
                  o->rprop_delta_init <= o->rprop_delta_max && o->rprop_delta_init > 0 &&
                  isfinite(o->rprop_delta_max),
              MLP_ERR_INVALID_ARG,
              "%s: iRPROP- needs 0 <= delta_min <= delta_init <= delta_max, delta_init > 0", fn);
    return MLP_OK;
}

static mlp_status tolerance_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(isfinite(o->tolerance_grad) && o->tolerance_grad >= 0 &&
                  isfinite(o->tolerance_change) && o->tolerance_change >= 0,
              MLP_ERR_INVALID_ARG, "%s: tolerance_grad %g and tolerance_change %g must be finite "
              "and >= 0", fn, o->tolerance_grad, o->tolerance_change);
    return MLP_OK;
}

static mlp_status lbfgs_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->lbfgs_history > 0 && o->lbfgs_history <= 1000, MLP_ERR_INVALID_ARG,
              "%s: lbfgs_history is %zu, must be 1 to 1000", fn, o->lbfgs_history);
    MLP_CHECK(o->max_line_search > 0 && o->max_line_search <= 1000, MLP_ERR_INVALID_ARG,
              "%s: max_line_search is %zu, must be 1 to 1000", fn, o->max_line_search);
    return tolerance_check(o, fn);
}

static mlp_status lm_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(isfinite(o->lm_damping) && o->lm_damping > 0, MLP_ERR_INVALID_ARG,
              "%s: lm_damping is %g, must be finite and > 0", fn, o->lm_damping);
    return tolerance_check(o, fn);
}

static double zero_state(const mlp_optimizer *o, int block)
{
    (void)o, (void)block;
    return 0.0;
}

/* iRPROP-: every step size starts at delta_init, every previous gradient at 0 */
static double irprop_state(const mlp_optimizer *o, int block)
{
    return block == 0 ? o->rprop_delta_init : 0.0;
}

/* A checkpoint's state, checked (after the table, which they read). */
static mlp_status plain_restored(mlp_trainer *tr, const char *fn);
static mlp_status adam_restored(mlp_trainer *tr, const char *fn);
static mlp_status irprop_restored(mlp_trainer *tr, const char *fn);

static const mlp__optimizer_kind kinds[] = {
    [MLP_OPT_SGD] = {"sgd", 0, 1, 0.01, 0, no_check, zero_state, mlp__sgd_update, mlp__sgd_update_f32, NULL, NULL,
                     {0, 0}, plain_restored},
    [MLP_OPT_MOMENTUM] = {"momentum", 0, 1, 0.01, 1, momentum_check, zero_state, mlp__momentum_update, mlp__momentum_update_f32,
                          NULL, NULL, {0, 0}, plain_restored},
    [MLP_OPT_NESTEROV] = {"nesterov", 0, 1, 0.01, 1, momentum_check, zero_state, mlp__nesterov_update, mlp__nesterov_update_f32,
                          NULL, NULL, {0, 0}, plain_restored},
    [MLP_OPT_ADAM] = {"adam", 0, 1, 0.001, 2, adam_check, zero_state, mlp__adam_update, mlp__adam_update_f32, NULL, NULL,
                      {0, 0}, adam_restored},
    [MLP_OPT_IRPROP_MINUS] = {"irprop-", 1, 0, 0.0, 2, irprop_check, irprop_state, mlp__irprop_update, mlp__irprop_update_f32,
                              NULL, NULL, {0, 0}, irprop_restored},
    /* L-BFGS: no pair stored, the next slot 0; LM: μ not set yet, ν = 2 */
    [MLP_OPT_LBFGS] = {"lbfgs", 1, 0, 0.0, 0, lbfgs_check, zero_state, NULL, NULL, mlp__lbfgs_step,
                       mlp__lbfgs_history_blocks, {0, 0}, mlp__lbfgs_restored},
    [MLP_OPT_LM] = {"lm", 1, 0, 0.0, 0, lm_check, zero_state, NULL, NULL, mlp__lm_step, NULL, {0, 2},
                    mlp__lm_restored},
};
MLP__TABLE_COVERS(kinds, MLP_OPT_LM);
static inline int listed(mlp_optimizer_kind k)
{
    switch (k) {
    case MLP_OPT_SGD: case MLP_OPT_MOMENTUM: case MLP_OPT_NESTEROV: case MLP_OPT_ADAM:
    case MLP_OPT_IRPROP_MINUS: case MLP_OPT_LBFGS: case MLP_OPT_LM: return 1;
    }
    return 0;
}

/* ---- a checkpoint's state (the second-order methods': lib/train/second_order.c) ---- */

/* The first-order methods keep no second-order counters. */
static mlp_status no_counters(const mlp_trainer *tr, const char *fn)
{
    MLP_CHECK(tr->so[0] == 0 && tr->so[1] == 0, MLP_ERR_FORMAT,
              "%s: %s keeps no second-order state, yet the file holds some", fn,
              kinds[tr->opt.kind].name);
    return MLP_OK;
}

/* Value i of state block b, and a setting as the trainer's type holds it (a float32
 * trainer's state starts from, and is bounded by, the settings rounded to float). */
static double state_at(const mlp_trainer *tr, int b, size_t i)
{
    return tr->net->f32 ? (double)tr->state_f32[b][i] : tr->state[b][i];
}

static double as_held(const mlp_trainer *tr, double v)
{
    return tr->net->f32 ? (double)(float)v : v;
}

/* Plain SGD keeps no state; momentum and Nesterov one block: the other holds its reset
 * value. */
static mlp_status plain_restored(mlp_trainer *tr, const char *fn)
{
    const mlp_optimizer *o = &tr->opt;
    const mlp__optimizer_kind *k = &kinds[o->kind];
    mlp_status s = no_counters(tr, fn);
    for (size_t i = 0; s == MLP_OK && i < tr->net->n_params; i++)
        MLP_CHECK(
            state_at(tr, 1, i) == as_held(tr, k->state_init(o, 1)) &&
                (k->state_blocks > 0 || state_at(tr, 0, i) == as_held(tr, k->state_init(o, 0))),
            MLP_ERR_FORMAT, "%s: %s keeps no such state, yet parameter %zu has some", fn, k->name,
            i);
    return s;
}

/* Adam: second moments >= 0, both moments 0 before its first step. */
static mlp_status adam_restored(mlp_trainer *tr, const char *fn)
{
    mlp_status s = no_counters(tr, fn);
    for (size_t i = 0; s == MLP_OK && i < tr->net->n_params; i++) {
        const double a = state_at(tr, 0, i), b = state_at(tr, 1, i);
        MLP_CHECK(b >= 0, MLP_ERR_FORMAT,
                  "%s: Adam's second moment of parameter %zu is %g, must be >= 0", fn, i, b);
        MLP_CHECK(tr->t > 0 || (a == 0 && b == 0), MLP_ERR_FORMAT,
                  "%s: Adam's moments of parameter %zu are not 0 before its first step", fn, i);
    }
    return s;
}

/* iRPROP-: step sizes in [delta_min, delta_max]. */
static mlp_status irprop_restored(mlp_trainer *tr, const char *fn)
{
    const mlp_optimizer *o = &tr->opt;
    mlp_status s = no_counters(tr, fn);
    for (size_t i = 0; s == MLP_OK && i < tr->net->n_params; i++) {
        const double a = state_at(tr, 0, i);
        MLP_CHECK(a >= as_held(tr, o->rprop_delta_min) && a <= as_held(tr, o->rprop_delta_max),
                  MLP_ERR_FORMAT, "%s: iRPROP- step size of parameter %zu is %g, outside [%g, %g]",
                  fn, i, a, o->rprop_delta_min, o->rprop_delta_max);
    }
    return s;
}

const mlp__optimizer_kind *mlp__optimizer(mlp_optimizer_kind kind)
{
    const unsigned k = (unsigned)kind;
    return k < sizeof kinds / sizeof kinds[0] && kinds[k].name != NULL ? &kinds[k] : NULL;
}

const char *mlp_optimizer_name(mlp_optimizer_kind kind)
{
    const mlp__optimizer_kind *k = mlp__optimizer(kind);
    return k != NULL ? k->name : NULL;
}

mlp_status mlp_optimizer_from_name(mlp_optimizer_kind *kind, const char *name)
{
    MLP_CHECK_PTR(kind);
    const int k = mlp__name_index(kinds, sizeof kinds / sizeof kinds[0], sizeof kinds[0], name, __func__, "optimizer");
    if (k < 0) return MLP_ERR_INVALID_ARG;
    *kind = (mlp_optimizer_kind)k;
    return MLP_OK;
}

/* ---- learning-rate schedules ------------------------------------------------------------ */

static mlp_status factor_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->schedule_factor > 0 && o->schedule_factor < 1, MLP_ERR_INVALID_ARG,
              "%s: schedule_factor is %g, must be in (0, 1)", fn, o->schedule_factor);
    return MLP_OK;
}

static mlp_status step_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->schedule_step_epochs > 0, MLP_ERR_INVALID_ARG,
              "%s: the step schedule needs schedule_step_epochs > 0", fn);
    return factor_check(o, fn);
}

static mlp_status cosine_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->schedule_cosine_epochs > 0, MLP_ERR_INVALID_ARG,
              "%s: the cosine schedule needs schedule_cosine_epochs > 0 (the epochs to reach "
              "schedule_min_lr)",
              fn);
    return MLP_OK;
}

static mlp_status plateau_check(const mlp_optimizer *o, const char *fn)
{
    MLP_CHECK(o->schedule_patience > 0, MLP_ERR_INVALID_ARG,
              "%s: the plateau schedule needs schedule_patience > 0", fn);
    MLP_CHECK(isfinite(o->schedule_min_delta) && o->schedule_min_delta >= 0, MLP_ERR_INVALID_ARG,
              "%s: schedule_min_delta is %g, must be finite and >= 0", fn, o->schedule_min_delta);
    return factor_check(o, fn);
}

static double floor_at(const mlp_optimizer *o, double lr) { return fmax(lr, o->schedule_min_lr); }

static double constant_rate(const mlp_optimizer *o, size_t e, size_t cuts)
{
    (void)e, (void)cuts;
    return o->learning_rate;
}

static double step_rate(const mlp_optimizer *o, size_t e, size_t cuts)
{
    (void)cuts;
    return floor_at(o, o->learning_rate *
                           pow(o->schedule_factor, (double)(e / o->schedule_step_epochs)));
}

static double exponential_rate(const mlp_optimizer *o, size_t e, size_t cuts)
{
    (void)cuts;
    return floor_at(o, o->learning_rate * pow(o->schedule_factor, (double)e));
}

static double cosine_rate(const mlp_optimizer *o, size_t e, size_t cuts)
{
    (void)cuts;
    const size_t t_max = o->schedule_cosine_epochs, t = e < t_max ? e : t_max;
    const double lo = o->schedule_min_lr;
    return lo + (o->learning_rate - lo) * 0.5 *
                    (1.0 + cos(3.14159265358979323846 * (double)t / (double)t_max));
}

static double plateau_rate(const mlp_optimizer *o, size_t e, size_t cuts)
{
    (void)e;
    return floor_at(o, o->learning_rate * pow(o->schedule_factor, (double)cuts));
}

static const mlp__schedule_kind schedules[] = {
    [MLP_SCHEDULE_CONSTANT] = {"constant", no_check, constant_rate},
    [MLP_SCHEDULE_STEP] = {"step", step_check, step_rate},
    [MLP_SCHEDULE_EXPONENTIAL] = {"exponential", factor_check, exponential_rate},
    [MLP_SCHEDULE_COSINE] = {"cosine", cosine_check, cosine_rate},
    [MLP_SCHEDULE_PLATEAU] = {"plateau", plateau_check, plateau_rate},
};
MLP__TABLE_COVERS(schedules, MLP_SCHEDULE_PLATEAU);
static inline int schedule_listed(mlp_schedule k)
{
    switch (k) {
    case MLP_SCHEDULE_CONSTANT: case MLP_SCHEDULE_STEP: case MLP_SCHEDULE_EXPONENTIAL:
    case MLP_SCHEDULE_COSINE: case MLP_SCHEDULE_PLATEAU: return 1;
    }
    return 0;
}

const mlp__schedule_kind *mlp__schedule(mlp_schedule schedule)
{
    const unsigned k = (unsigned)schedule;
    return k < sizeof schedules / sizeof schedules[0] && schedules[k].name != NULL ? &schedules[k]
                                                                                   : NULL;
}

const char *mlp_schedule_name(mlp_schedule schedule)
{
    const mlp__schedule_kind *k = mlp__schedule(schedule);
    return k != NULL ? k->name : NULL;
}

mlp_status mlp_schedule_from_name(mlp_schedule *schedule, const char *name)
{
    MLP_CHECK_PTR(schedule);
    const int k = mlp__name_index(schedules, sizeof schedules / sizeof schedules[0], sizeof schedules[0], name, __func__, "schedule");
    if (k < 0) return MLP_ERR_INVALID_ARG;
    *schedule = (mlp_schedule)k;
    return MLP_OK;
}

/* ---- settings ------------------------------------------------------------------------ */

void mlp__optimizer_defaults(mlp_optimizer *o, mlp_optimizer_kind kind)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->kind = kind;
    o->schedule = MLP_SCHEDULE_CONSTANT;
    o->learning_rate = kinds[kind].default_lr; /* callers pass a known kind */
    o->momentum = 0.9;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->epsilon = 1e-8;
    o->weight_decay = 0.0;
    o->rprop_increase = 1.2;
    o->rprop_decrease = 0.5;
    o->rprop_delta_init = 0.1;
    o->rprop_delta_min = 0.0;
    o->rprop_delta_max = 50.0;
    o->schedule_factor = 0.1;
    o->schedule_min_lr = 0.0;
    o->schedule_min_delta = 1e-4;
    o->schedule_step_epochs = 10;
    o->schedule_cosine_epochs = 0;
    o->schedule_patience = 10;
    o->lbfgs_history = 10;
    o->max_line_search = 25;
    const int second_order = kind == MLP_OPT_LBFGS || kind == MLP_OPT_LM;
    o->tolerance_grad = second_order ? 1e-10 : 0.0;
    o->tolerance_change = second_order ? 1e-12 : 0.0;
    o->lm_damping = 1e-3;
    o->lm_memory_budget = (size_t)1 << 30;
}

mlp_status mlp_optimizer_init(mlp_optimizer *optimizer, size_t struct_size,
                              mlp_optimizer_kind kind)
{
    MLP_CHECK(mlp__optimizer(kind) != NULL, MLP_ERR_INVALID_ARG,
              "mlp_optimizer_init: unknown optimizer %d", (int)kind);
    mlp_optimizer o;
    mlp__optimizer_defaults(&o, kind);
    return mlp__struct_init(optimizer, struct_size, &o, sizeof o, __func__, "mlp_optimizer");
}

mlp_status mlp__check_optimizer(const mlp_optimizer *o, const char *fn)
{
    const mlp__optimizer_kind *k = mlp__optimizer(o->kind);
    MLP_CHECK(k != NULL, MLP_ERR_INVALID_ARG, "%s: unknown optimizer %d", fn, (int)o->kind);
    MLP_CHECK(!k->uses_lr || (isfinite(o->learning_rate) && o->learning_rate > 0),
              MLP_ERR_INVALID_ARG, "%s: learning_rate is %g, must be finite and > 0", fn,
              o->learning_rate);
    /* A setting the method would ignore is refused, not ignored (since 1.5). */
    MLP_CHECK(k->uses_lr || o->learning_rate == 0, MLP_ERR_INVALID_ARG,
              "%s: %s has no learning rate (%s), and learning_rate is %g: leave it at 0, as "
              "mlp_optimizer_init() sets it",
              fn, k->name,
              o->kind == MLP_OPT_IRPROP_MINUS ? "each weight has a step size of its own"
              : o->kind == MLP_OPT_LBFGS      ? "a line search chooses every step"
                                              : "the damping chooses every step",
              o->learning_rate);
    MLP_CHECK(isfinite(o->weight_decay) && o->weight_decay >= 0, MLP_ERR_INVALID_ARG,
              "%s: weight_decay is %g, must be finite and >= 0", fn, o->weight_decay);
    /* Every count, used by this kind or not, is saved with the trainer: within what the
     * loader takes (the same rule both ways), or the checkpoint would not load. */
    const size_t counts[] = {o->schedule_step_epochs, o->schedule_cosine_epochs,
                             o->schedule_patience,    o->lbfgs_history,
                             o->max_line_search,      o->lm_memory_budget};
    static const char *const count_names[] = {"schedule_step_epochs", "schedule_cosine_epochs",
                                              "schedule_patience",    "lbfgs_history",
                                              "max_line_search",      "lm_memory_budget"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        MLP_CHECK(counts[i] <= MLP__MAX_COUNT, MLP_ERR_INVALID_ARG,
                  "%s: %s is %zu, more than any setting needs (at most %zu)", fn,
                  count_names[i], counts[i], (size_t)MLP__MAX_COUNT);
    mlp_status s = k->check(o, fn);
    if (s != MLP_OK) return s;
    const mlp__schedule_kind *sk = mlp__schedule(o->schedule);
    MLP_CHECK(sk != NULL, MLP_ERR_INVALID_ARG, "%s: unknown schedule %d", fn, (int)o->schedule);
    if (o->schedule == MLP_SCHEDULE_CONSTANT) return MLP_OK;
    MLP_CHECK(k->uses_lr, MLP_ERR_INVALID_ARG,
              "%s: %s has no learning rate to schedule: use the constant schedule", fn, k->name);
    MLP_CHECK(isfinite(o->schedule_min_lr) && o->schedule_min_lr >= 0 &&
                  o->schedule_min_lr <= o->learning_rate,
              MLP_ERR_INVALID_ARG, "%s: schedule_min_lr is %g, must be in [0, learning_rate %g]",
              fn, o->schedule_min_lr, o->learning_rate);
    return sk->check(o, fn);
}

mlp_status mlp__optimizer_in(mlp_optimizer *dst, const mlp_optimizer *src, const char *fn)
{
    /* The kind decides the defaults, so it is read first: a struct too short to hold
     * it is refused by the size check below in any case. */
    mlp_optimizer_kind kind = MLP_OPT_SGD;
    if (src->struct_size >= offsetof(mlp_optimizer, kind) + sizeof src->kind) kind = src->kind;
    MLP_CHECK(mlp__optimizer(kind) != NULL, MLP_ERR_INVALID_ARG, "%s: unknown optimizer %d", fn,
              (int)kind);
    mlp_optimizer o;
    mlp__optimizer_defaults(&o, kind);
    mlp_status s = mlp__struct_in(&o, sizeof o, src, fn, "mlp_optimizer");
    if (s == MLP_OK) s = mlp__check_optimizer(&o, fn);
    if (s == MLP_OK) *dst = o;
    return s;
}
