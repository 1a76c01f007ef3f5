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

/* One dense layer forward: a (n, out) = f(a_prev (n, in) · w (out, in)ᵀ + b (out) or none).
 * With z != NULL, the pre-activation is kept in z (n, out) and a is computed from it. */
void mlp__dense_forward(double *a, double *z, const double *a_prev, const double *w,
                        const double *b, size_t n, size_t in, size_t out, mlp_activation act);

/* da_prev (n, in) = dz (n, out) · w (out, in): the input gradient of one layer. */
void mlp__dense_backward_input(double *da_prev, const double *dz, const double *w, size_t n,
                               size_t in, size_t out);

/* Plain SGD on one layer without storing its gradient: w = decay·w − lr·dzᵀ·a_prev
 * (one dgemm), b −= lr·Σ_rows dz (b may be NULL). scratch: in·out + out doubles. */
void mlp__dense_sgd(double *w, double *b, const double *dz, const double *a_prev, size_t n,
                    size_t in, size_t out, double lr, double decay, double *scratch);

/* mlp__dense_sgd's road for one row of a small layer (mlp__small_layer), called by the
 * dense kind directly: a one-row step of a tiny network is mostly calls. */
void mlp__dense_sgd_one_row(double *w, double *b, const double *dz, const double *a_prev,
                            size_t in, size_t out, double lr, double decay);

/* The forward pass of a network whose layers are all small (in * out <= 64) with
 * piecewise-linear activations (identity, relu, leaky relu: net->small), into ws:
 * returns 1 when done, 0 (nothing done) for any other network. */
int mlp__small_net_forward(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n);

/* The same for a small network, its output written into y (n, outputs) as well,
 * as it goes: y must not overlap x. */
void mlp__small_net_predict(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n,
                            double *y);

/* Rows that pass takes at once, one row a vector lane. */
#define MLP__SMALL_BLOCK 8

/* A small layer's backward pass (dw, db or NULL, da_prev or NULL from dz, a_prev,
 * w; n rows) in plain arrays: the reference the vector road must match bit for bit. */
void mlp__small_backward_reference(double *dw, double *db, double *da_prev, const double *dz,
                                   const double *a_prev, const double *w, size_t n, size_t in,
                                   size_t out);

/* Rows [r0, r1) of that pass one at a time, in plain scalar loops: the reference
 * the vector road must match bit for bit (tests/test_paths.c). */
void mlp__small_net_rows_scalar(const mlp_net *net, mlp_workspace *ws, const double *x, size_t r0,
                                size_t r1);

/* One dense layer backward from dz (n, out): dw (out, in) = dzᵀ · a_prev, db (out) = column
 * sums of dz (db may be NULL: no bias), and, when da_prev != NULL, da_prev (n, in) = dz · w. */
void mlp__dense_backward(double *dw, double *db, double *da_prev, const double *dz,
                         const double *a_prev, const double *w, size_t n, size_t in,
                         size_t out);

/* Layers with in * out up to this go through plain loops rather than BLAS calls
 * (lib/model/dense.c): measured with bench/run, the tiny 2-2-1 network is 10-20x faster
 * this way at every batch size, while at 16 x 16 and above the BLAS wins from
 * moderate batches on. */
#define MLP__SMALL_LAYER 64

static inline int mlp__small_layer(size_t in, size_t out) { return in * out <= MLP__SMALL_LAYER; }

#endif
