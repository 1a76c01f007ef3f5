/* The typed kernels' declarations (lib/core/typed.h), included by kernels.h once per
 * scalar type with MLP__R the type and MLP__N(name) its names: double and the names as
 * they are, then float and the names with _f32. No include guard, on purpose. */

/* Vectorized passes over arrays (lib/kernels/vmath.c): y[i] = f(x[i]); y may alias x. */
void MLP__N(mlp__vpass)(mlp__vfunc f, MLP__R *y, const MLP__R *x, size_t n);

/* mlp__vpass on a chosen road: 1 (libm), or the AVX2 or AVX-512 vector's lanes (4 or 8
 * doubles, 8 or 16 floats), for tests; returns 0, doing nothing, when this build or CPU
 * lacks that road. */
int MLP__N(mlp__vpass_lanes)(int lanes, mlp__vfunc f, MLP__R *y, const MLP__R *x, size_t n);

/* Which implementation mlp__vpass runs on this machine, for reports. */
const char *MLP__N(mlp__vmath_name)(void);

/* 1 when every value is finite (lib/kernels/scan.c). */
int MLP__N(mlp__all_finite)(const MLP__R *x, size_t n);

/* The largest magnitude among n values, or +INFINITY when one is not finite: one
 * pass for the finiteness check and the bound on what products of it can reach. */
double MLP__N(mlp__max_abs)(const MLP__R *x, size_t n);

/* That largest magnitude into *result, serially, on a chosen road: 3 AVX-512, 2 AVX2,
 * 1 SSE2, 0 plain C, for tests; returns 0, doing nothing, when this build or CPU lacks
 * that road. */
int MLP__N(mlp__max_abs_road)(int road, double *result, const MLP__R *x, size_t n);

/* An activation's entry in the table (lib/kernels/activation.c). */
typedef struct MLP__N(mlp__activation_kind) {
    const char *name;
    unsigned flags;
    double below; /* MLP__ACT_PIECEWISE: the slope below zero */
    /* f in place over a row-major (rows, cols) matrix */
    void (*forward)(MLP__R *v, size_t rows, size_t cols);
    /* f'(z) of one value (NULL for row-wise activations) */
    MLP__R (*derivative)(MLP__R z);
    /* dz = da ⊙ f'(z) (or the row-wise Jacobian-vector product), from the output a and,
     * for MLP__ACT_NEEDS_Z, the pre-activation z; (rows, cols) each; dz may alias da */
    void (*backward)(MLP__R *dz, const MLP__R *da, const MLP__R *a, const MLP__R *z,
                     size_t rows, size_t cols);
} MLP__N(mlp__activation_kind);

/* The table entry of `act`, or NULL for a value the library does not know. */
const MLP__N(mlp__activation_kind) *MLP__N(mlp__activation)(mlp_activation act);

/* Vectorized activation pass over a row-major (rows, cols) matrix, in place:
 * z[r][c] = f(z[r][c] + bias[c]); bias may be NULL. */
void MLP__N(mlp__bias_activate)(MLP__R *z, const MLP__R *bias, size_t rows, size_t cols,
                                mlp_activation act);

/* Backward through an activation (rows, cols): dz = da ⊙ f'(z), or the softmax
 * Jacobian-vector product per row, from its output a and (for activations that
 * need it) its pre-activation z. dz may alias da. */
void MLP__N(mlp__activation_backward)(MLP__R *dz, const MLP__R *da, const MLP__R *a,
                                      const MLP__R *z, size_t rows, size_t cols,
                                      mlp_activation act);

/* Mean of (pred[i] - target[i])² over n > 0 values, summed in double
 * (lib/kernels/loss.c). */
double MLP__N(mlp__mse)(const MLP__R *pred, const MLP__R *target, size_t n);

/* A training loss's entry in the table (lib/kernels/loss.c). */
typedef struct MLP__N(mlp__loss_kind) {
    const char *name;
    int output_act;      /* the output activation it needs (mlp_activation), or -1: any */
    size_t min_outputs;  /* fewer output nodes cannot train */
    int uses_logits;     /* computed from the output layer's pre-activation */
    int accuracy_metric; /* the epoch metric is accuracy; else mean absolute error */
    /* the mean loss of outputs a (n, k) (pre-activation z) against t, summed in double;
     * with row weights w (n, or NULL: every row 1) each row's loss times its weight,
     * the mean still over the n rows (a weight of 1 gives the unweighted bits) */
    double (*value)(const MLP__R *a, const MLP__R *z, const MLP__R *t, const double *w, size_t n,
                    size_t k);
    /* the mean loss of the n rows, and dz (n, k) = the gradient with respect to the
     * output layer's z of the loss summed over them (each row's times its weight w, or
     * 1 without) and divided by `of` rows (n, or the rows of the whole batch when these
     * n are one shard of it) */
    double (*loss_and_delta)(MLP__R *dz, const MLP__R *a, const MLP__R *z, const MLP__R *t,
                             const double *w, size_t n, size_t k, mlp_activation out_act,
                             size_t of);
} MLP__N(mlp__loss_kind);

/* The table entry of `loss`, or NULL for a value the library does not know. */
const MLP__N(mlp__loss_kind) *MLP__N(mlp__loss)(mlp_loss loss);

/* Fraction of rows classified right (see mlp_accuracy(); lib/kernels/classify.c). */
double MLP__N(mlp__accuracy)(const MLP__R *pred, const MLP__R *target, size_t n, size_t k);

/* ---- a dense layer's passes (lib/kernels/dense_math.c) ---- */

/* One dense layer forward: a (n, out) = f(a_prev (n, in) · w (out, in)ᵀ + b (out) or none).
 * With z != NULL, the pre-activation is kept in z (n, out) and a is computed from it. */
void MLP__N(mlp__dense_forward)(MLP__R *a, MLP__R *z, const MLP__R *a_prev, const MLP__R *w,
                                const MLP__R *b, size_t n, size_t in, size_t out,
                                mlp_activation act);

/* da_prev (n, in) = dz (n, out) · w (out, in): the input gradient of one layer. */
void MLP__N(mlp__dense_backward_input)(MLP__R *da_prev, const MLP__R *dz, const MLP__R *w,
                                       size_t n, size_t in, size_t out);

/* Plain SGD on one layer without storing its gradient: w = decay·w − lr·dzᵀ·a_prev
 * (one gemm), b −= lr·Σ_rows dz (b may be NULL). scratch: in·out + out values. */
void MLP__N(mlp__dense_sgd)(MLP__R *w, MLP__R *b, const MLP__R *dz, const MLP__R *a_prev,
                            size_t n, size_t in, size_t out, MLP__R lr, MLP__R decay,
                            MLP__R *scratch);

/* mlp__dense_sgd's road for one row of a small layer (mlp__small_layer), called by the
 * dense kind directly: a one-row step of a tiny network is mostly calls. */
void MLP__N(mlp__dense_sgd_one_row)(MLP__R *w, MLP__R *b, const MLP__R *dz,
                                    const MLP__R *a_prev, size_t in, size_t out, MLP__R lr,
                                    MLP__R decay);

/* One dense layer backward from dz (n, out): dw (out, in) = dzᵀ · a_prev, db (out) = column
 * sums of dz (db may be NULL: no bias), and, when da_prev != NULL, da_prev (n, in) = dz · w. */
void MLP__N(mlp__dense_backward)(MLP__R *dw, MLP__R *db, MLP__R *da_prev, const MLP__R *dz,
                                 const MLP__R *a_prev, const MLP__R *w, size_t n, size_t in,
                                 size_t out);

/* A small layer's backward pass (dw, db or NULL, da_prev or NULL from dz, a_prev,
 * w; n rows) in plain arrays: the reference the vector road must match bit for bit. */
void MLP__N(mlp__small_backward_reference)(MLP__R *dw, MLP__R *db, MLP__R *da_prev,
                                           const MLP__R *dz, const MLP__R *a_prev,
                                           const MLP__R *w, size_t n, size_t in, size_t out);

#undef MLP__R
#undef MLP__N
