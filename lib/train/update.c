/* The first-order optimizers' updates of a segment of the parameter block: the
 * `update` and `update_f32` of their entries in lib/train/optim.c's table.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. A float32
 * network's update runs in float (as PyTorch's does): its settings are rounded to float
 * once per call; only Adam's bias corrections, which depend on the step count, are
 * computed in double first.
 *
 * Out of place: the new weights go to w1 and the new state to a1 (and b1), from the
 * old weights w, gradient g and state a (and b), seven arrays that never overlap (so
 * that the compiler vectorizes the loops without checking for it). The caller checks
 * every output for finiteness before anything replaces the old values, so every
 * kernel lets a non-finite gradient reach an output: its state. wd is the L2
 * coefficient of the segment (0 for biases), added to the gradient here. */
#include "trainer.h"
#include "../core/typed.h"

/* clang (14) gives the function a set of clones stands for the name name.ifunc, which
 * lib/train/optim.c's table would not find: a clang build runs the baseline loops. */
#if defined(__clang__)
#undef MLP__CLONES
#define MLP__CLONES
#endif

/* Plain SGD outside its fused road (a sharded fit, whose gradient is summed over
 * shards before the update): w - lr (g + wd w); no state (a1, a unused). */
MLP__CLONES
void MLP__T(mlp__sgd_update)(MLP__UPDATE_ARGS(real))
{
    (void)a1, (void)b1, (void)a, (void)b, (void)o, (void)t;
    const real r = (real)lr, d = (real)wd;
    for (size_t i = 0; i < n; i++) w1[i] = w[i] - r * (g[i] + d * w[i]);
}

MLP__CLONES
void MLP__T(mlp__momentum_update)(MLP__UPDATE_ARGS(real))
{
    (void)b1, (void)b, (void)t;
    const real mu = (real)o->momentum, r = (real)lr, d = (real)wd;
    for (size_t i = 0; i < n; i++) {
        const real v = mu * a[i] + (g[i] + d * w[i]);
        a1[i] = v;
        w1[i] = w[i] - r * v;
    }
}

MLP__CLONES
void MLP__T(mlp__nesterov_update)(MLP__UPDATE_ARGS(real))
{
    (void)b1, (void)b, (void)t;
    const real mu = (real)o->momentum, r = (real)lr, d = (real)wd;
    for (size_t i = 0; i < n; i++) {
        const real gi = g[i] + d * w[i], v = mu * a[i] + gi;
        a1[i] = v;
        w1[i] = w[i] - r * (gi + mu * v);
    }
}

/* Kingma & Ba; t is the step count including this step (>= 1). */
MLP__CLONES
void MLP__T(mlp__adam_update)(real *restrict w1, real *restrict m1, real *restrict v1,
                              const real *restrict w, const real *restrict g,
                              const real *restrict m, const real *restrict v, size_t n,
                              const mlp_optimizer *o, double lr, unsigned long long t, double wd)
{
    const double c1 = 1.0 - pow(o->beta1, (double)t), c2 = 1.0 - pow(o->beta2, (double)t);
    const real b1 = (real)o->beta1, b2 = (real)o->beta2, eps = (real)o->epsilon, d = (real)wd;
    /* 1 − β in double, rounded once: 1 − (float)0.999 in float is off by 1.3e-5 of
     * itself (the rounding of β, multiplied by the cancellation), which the bias
     * correction's 1 − β^t, in double, does not share */
    const real ob1 = (real)(1.0 - o->beta1), ob2 = (real)(1.0 - o->beta2);
    const real step = (real)(lr / c1), rc2 = (real)(1.0 / sqrt(c2));
    for (size_t i = 0; i < n; i++) {
        const real gi = g[i] + d * w[i];
        const real mi = b1 * m[i] + ob1 * gi, vi = b2 * v[i] + ob2 * gi * gi;
        m1[i] = mi;
        v1[i] = vi;
        /* lr * m̂ / (sqrt(v̂) + eps), with m̂ = m / c1 and sqrt(v̂) = sqrt(v) / sqrt(c2) */
        w1[i] = w[i] - step * mi / (sqrt(vi) * rc2 + eps);
    }
}

static inline real sign_of(real g) { return (real)((g > 0) - (g < 0)); }

/* a: step size per weight, b: the previous gradient (0 after a sign change). */
MLP__CLONES
void MLP__T(mlp__irprop_update)(MLP__UPDATE_ARGS(real))
{
    (void)lr, (void)t;
    const real inc = (real)o->rprop_increase, dec = (real)o->rprop_decrease;
    const real dmax = (real)o->rprop_delta_max, dmin = (real)o->rprop_delta_min, d = (real)wd;
    for (size_t i = 0; i < n; i++) {
        const real gi = g[i] + d * w[i], same = gi * b[i];
        if (same > 0) {
            a1[i] = fmin(a[i] * inc, dmax);
            w1[i] = w[i] - sign_of(gi) * a1[i];
            b1[i] = gi;
        } else if (same < 0) {
            a1[i] = fmax(a[i] * dec, dmin);
            w1[i] = w[i];
            b1[i] = 0; /* iRPROP-: no step now, and none of the sign-change logic next time */
        } else {
            a1[i] = a[i];
            w1[i] = w[i] - sign_of(gi) * a[i];
            b1[i] = gi;
        }
        /* a gradient that is not finite would leave no trace in b1 after a sign
         * change; it must still reach an output that is checked */
        b1[i] += (real)0 * gi;
    }
}
