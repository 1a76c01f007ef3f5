/* The kernels' private header (lib/kernels/): the activation and loss tables and the
 * passes over arrays and sizes. Part of lib/mlp_internal.h; never installed. */
#ifndef MLP_KERNELS_H
#define MLP_KERNELS_H

#include "../core/core.h"

/* Vectorized passes over arrays (lib/kernels/vmath.c): y[i] = f(x[i]); y may alias x. */
typedef enum mlp__vfunc {
    MLP__V_TANH,
    MLP__V_SIGMOID,
    MLP__V_ELU,
    MLP__V_SOFTPLUS,
    MLP__V_EXP,
    MLP__V_NEG_EXPM1, /* -expm1(-x) = 1 - exp(-x) */
    MLP__V_ERFC
} mlp__vfunc;

void mlp__vpass(mlp__vfunc f, double *y, const double *x, size_t n);

/* mlp__vpass on a chosen road: 1 (libm), 4 (AVX2) or 8 (AVX-512) lanes, for tests;
 * returns 0, doing nothing, when this build or CPU lacks that road. */
int mlp__vpass_lanes(int lanes, mlp__vfunc f, double *y, const double *x, size_t n);

/* Which implementation mlp__vpass runs on this machine, for reports. */
const char *mlp__vmath_name(void);

/* 1 when every value is finite. */
int mlp__all_finite(const double *x, size_t n);

/* The largest magnitude among n values, or +INFINITY when one is not finite: one
 * pass for the finiteness check and the bound on what products of it can reach. */
double mlp__max_abs(const double *x, size_t n);

/* That largest magnitude into *result, serially, on a chosen road: 3 AVX-512, 2 AVX2,
 * 1 SSE2, 0 plain C (lib/kernels/scan.c), for tests; returns 0, doing nothing, when this
 * build or CPU lacks that road. */
int mlp__max_abs_road(int road, double *result, const double *x, size_t n);

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

typedef struct mlp__activation_kind {
    const char *name;
    unsigned flags;
    double below; /* MLP__ACT_PIECEWISE: the slope below zero */
    /* f in place over a row-major (rows, cols) matrix */
    void (*forward)(double *v, size_t rows, size_t cols);
    /* f'(z) of one value (NULL for row-wise activations) */
    double (*derivative)(double z);
    /* dz = da ⊙ f'(z) (or the row-wise Jacobian-vector product), from the output a and,
     * for MLP__ACT_NEEDS_Z, the pre-activation z; (rows, cols) each; dz may alias da */
    void (*backward)(double *dz, const double *da, const double *a, const double *z, size_t rows,
                     size_t cols);
} mlp__activation_kind;

/* The table entry of `act`, or NULL for a value the library does not know. */
const mlp__activation_kind *mlp__activation(mlp_activation act);

int mlp__activation_valid(mlp_activation act);

/* Vectorized activation pass over a row-major (rows, cols) matrix, in place:
 * z[r][c] = f(z[r][c] + bias[c]); bias may be NULL. */
void mlp__bias_activate(double *z, const double *bias, size_t rows, size_t cols,
                        mlp_activation act);

/* Backward through an activation (rows, cols): dz = da ⊙ f'(z), or the softmax
 * Jacobian-vector product per row, from its output a and (for activations that
 * need it) its pre-activation z. dz may alias da. */
void mlp__activation_backward(double *dz, const double *da, const double *a, const double *z,
                              size_t rows, size_t cols, mlp_activation act);

/* Mean of (pred[i] - target[i])² over n > 0 values. */
double mlp__mse(const double *pred, const double *target, size_t n);

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

/* ---- losses: one table (lib/kernels/loss.c) ------------------------------------------------ */

typedef struct mlp__loss_kind {
    const char *name;
    int output_act;      /* the output activation it needs (mlp_activation), or -1: any */
    size_t min_outputs;  /* fewer output nodes cannot train */
    int uses_logits;     /* computed from the output layer's pre-activation */
    int accuracy_metric; /* the epoch metric is accuracy; else mean absolute error */
    /* the mean loss of outputs a (n, k) (pre-activation z) against t */
    double (*value)(const double *a, const double *z, const double *t, size_t n, size_t k);
    /* the mean loss of the n rows, and dz (n, k) = the gradient with respect to the
     * output layer's z of the loss summed over them and divided by `of` rows (n, or
     * the rows of the whole batch when these n are one shard of it) */
    double (*loss_and_delta)(double *dz, const double *a, const double *z, const double *t,
                             size_t n, size_t k, mlp_activation out_act, size_t of);
} mlp__loss_kind;

/* The table entry of `loss`, or NULL for a value the library does not know. */
const mlp__loss_kind *mlp__loss(mlp_loss loss);


/* Fraction of rows classified right (see mlp_accuracy()). */
double mlp__accuracy(const double *pred, const double *target, size_t n, size_t k);

#endif
