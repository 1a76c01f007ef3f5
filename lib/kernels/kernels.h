/* The kernels' private header (lib/kernels/): the activation and loss tables and the
 * passes over arrays and sizes. Part of lib/mlp_internal.h; never installed. */
#ifndef MLP_KERNELS_H
#define MLP_KERNELS_H

#include "../core/core.h"

/* The functions of the vectorized passes (lib/kernels/vmath.c). */
typedef enum mlp__vfunc {
    MLP__V_TANH,
    MLP__V_SIGMOID,
    MLP__V_ELU,
    MLP__V_SOFTPLUS,
    MLP__V_EXP,
    MLP__V_NEG_EXPM1, /* -expm1(-x) = 1 - exp(-x) */
    MLP__V_ERFC
} mlp__vfunc;

/* ---- activations: one table (lib/kernels/activation.c) ------------------------------------ */

enum {
    MLP__ACT_ROWWISE = 1,  /* the function of a whole row (softmax): no element-wise derivative */
    MLP__ACT_KINK = 2,     /* the derivative (or the second) jumps at 0: finite differences
                              must not straddle it */
    MLP__ACT_NEEDS_Z = 4,  /* the derivative needs the pre-activation z, not only a = f(z) */
    MLP__ACT_PIECEWISE = 8, /* f(z) = z above 0, below * z below: small layers fuse it */
    MLP__ACT_RECTIFIER = 16 /* relu-like: zero (or nearly) below 0, the identity above, so
                               He's variance 2 / in keeps its output's scale (MLP_INIT_AUTO) */
};

int mlp__activation_valid(mlp_activation act);

/* ---- the typed kernels: the passes, scans, activations, losses and metrics, each for
 * float64 (its name as it is) and float32 (_f32), from one source (lib/core/typed.h) -- */

#define MLP__R double
#define MLP__N(name) name
#include "kernels_typed.h"
#define MLP__R float
#define MLP__N(name) name##_f32
#include "kernels_typed.h"

/* Rows the small layers' vector roads take at once, one row a vector lane. */
#define MLP__SMALL_BLOCK 8

/* Layers with in * out up to this go through plain loops rather than BLAS calls
 * (lib/kernels/small.h): measured with bench/run, the tiny 2-2-1 network is 10-20x faster
 * this way at every batch size, while at 16 x 16 and above the BLAS wins from
 * moderate batches on. */
#define MLP__SMALL_LAYER 64

static inline int mlp__small_layer(size_t in, size_t out) { return in * out <= MLP__SMALL_LAYER; }

#endif
