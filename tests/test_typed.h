/* The scalar types of the typed kernels (lib/core/typed.h), for tests that run once per
 * type: Check's loop tests, the loop index `_i` the type (TT_TYPES of them). Each
 * kernel is called through one signature over double arrays: the values are rounded
 * into the type's own array, the kernel runs there, and its results come back to
 * double (exactly). A test computes its reference from the rounded inputs (tt_round)
 * and bounds the difference by the type's epsilon (tt_eps). Include after
 * mlp_internal.h. */
#ifndef MLP_TEST_TYPED_H
#define MLP_TEST_TYPED_H

#include <float.h>
#include <stdlib.h>

enum { TT_F64, TT_F32, TT_TYPES };

static const char *const tt_names[TT_TYPES] = {"float64", "float32"};

/* Machine epsilon: the spacing of the type's values at 1. */
static inline double tt_eps(int t) { return t == TT_F32 ? (double)FLT_EPSILON : DBL_EPSILON; }

/* The vector roads' lanes (mlp__vpass_lanes): AVX2's and AVX-512's. */
static inline int tt_lanes(int t, int avx512) { return (t == TT_F32 ? 8 : 4) << avx512; }

/* x rounded to the type, in place. */
static inline void tt_round(int t, double *x, size_t n)
{
    if (t == TT_F32)
        for (size_t i = 0; i < n; i++) x[i] = (double)(float)x[i];
}

/* n values of the type, copied from double (rounded), in a new array (abort on no
 * memory: a test's own failure); tt_back copies them out again. */
static inline void *tt_in(int t, const double *x, size_t n)
{
    void *p = malloc((n ? n : 1) * (t == TT_F32 ? sizeof(float) : sizeof(double)));
    if (p == NULL) abort();
    if (t == TT_F32)
        for (size_t i = 0; i < n; i++) ((float *)p)[i] = (float)x[i];
    else if (n)
        memcpy(p, x, n * sizeof(double));
    return p;
}

static inline void tt_back(int t, double *x, const void *p, size_t n)
{
    if (t == TT_F32)
        for (size_t i = 0; i < n; i++) x[i] = (double)((const float *)p)[i];
    else if (n)
        memcpy(x, p, n * sizeof(double));
}

/* The kernels, each of type t, over double arrays. */
static inline int tt_max_abs_road(int t, int road, double *result, const double *x, size_t n)
{
    void *v = tt_in(t, x, n);
    const int ok = t == TT_F32 ? mlp__max_abs_road_f32(road, result, v, n)
                               : mlp__max_abs_road(road, result, v, n);
    free(v);
    return ok;
}

static inline double tt_max_abs(int t, const double *x, size_t n)
{
    void *v = tt_in(t, x, n);
    const double m = t == TT_F32 ? mlp__max_abs_f32(v, n) : mlp__max_abs(v, n);
    free(v);
    return m;
}

static inline int tt_all_finite(int t, const double *x, size_t n)
{
    void *v = tt_in(t, x, n);
    const int ok = t == TT_F32 ? mlp__all_finite_f32(v, n) : mlp__all_finite(v, n);
    free(v);
    return ok;
}

static inline int tt_vpass_lanes(int t, int lanes, mlp__vfunc f, double *y, const double *x,
                                 size_t n)
{
    void *v = tt_in(t, x, n);
    const int ok = t == TT_F32 ? mlp__vpass_lanes_f32(lanes, f, v, v, n)
                               : mlp__vpass_lanes(lanes, f, v, v, n);
    if (ok) tt_back(t, y, v, n);
    free(v);
    return ok;
}

/* f over a (rows, cols) matrix, bias added first (NULL: none): mlp__bias_activate. */
static inline void tt_bias_activate(int t, double *z, const double *bias, size_t rows,
                                    size_t cols, mlp_activation act)
{
    void *v = tt_in(t, z, rows * cols), *b = bias != NULL ? tt_in(t, bias, cols) : NULL;
    if (t == TT_F32) mlp__bias_activate_f32(v, b, rows, cols, act);
    else mlp__bias_activate(v, b, rows, cols, act);
    tt_back(t, z, v, rows * cols);
    free(v);
    free(b);
}

/* dz from da, the output a and the pre-activation z: mlp__activation_backward. */
static inline void tt_activation_backward(int t, double *dz, const double *da, const double *a,
                                          const double *z, size_t rows, size_t cols,
                                          mlp_activation act)
{
    const size_t n = rows * cols;
    void *vd = tt_in(t, da, n), *va = tt_in(t, a, n), *vz = tt_in(t, z, n);
    if (t == TT_F32) mlp__activation_backward_f32(vd, vd, va, vz, rows, cols, act);
    else mlp__activation_backward(vd, vd, va, vz, rows, cols, act);
    tt_back(t, dz, vd, n);
    free(vd);
    free(va);
    free(vz);
}

/* A loss's value and dz (n, k) from the outputs a, pre-activations z and targets t
 * of `of` rows: the table's loss_and_delta; with dz NULL, its value alone. */
static inline double tt_loss(int t, mlp_loss loss, double *dz, const double *a, const double *z,
                             const double *tg, size_t n, size_t k, mlp_activation out_act,
                             size_t of)
{
    const size_t nk = n * k;
    void *va = tt_in(t, a, nk), *vz = tt_in(t, z, nk), *vt = tt_in(t, tg, nk),
         *vd = tt_in(t, a, nk);
    double v;
    if (t == TT_F32) {
        const mlp__loss_kind_f32 *lk = mlp__loss_f32(loss);
        v = dz != NULL ? lk->loss_and_delta(vd, va, vz, vt, NULL, n, k, out_act, of)
                       : lk->value(va, vz, vt, NULL, n, k);
    } else {
        const mlp__loss_kind *lk = mlp__loss(loss);
        v = dz != NULL ? lk->loss_and_delta(vd, va, vz, vt, NULL, n, k, out_act, of)
                       : lk->value(va, vz, vt, NULL, n, k);
    }
    if (dz != NULL) tt_back(t, dz, vd, nk);
    free(va);
    free(vz);
    free(vt);
    free(vd);
    return v;
}

/* The fraction of rows classified right: mlp__accuracy. */
static inline double tt_accuracy(int t, const double *pred, const double *target, size_t n,
                                 size_t k)
{
    void *p = tt_in(t, pred, n * k), *g = tt_in(t, target, n * k);
    const double a = t == TT_F32 ? mlp__accuracy_f32(p, g, n, k) : mlp__accuracy(p, g, n, k);
    free(p);
    free(g);
    return a;
}

/* A dense layer's passes (lib/kernels/dense_math.c), each of type t over double arrays:
 * forward a (n, out) and z (or NULL) from a_prev (n, in), w (out, in), b (out or NULL). */
static inline void tt_dense_forward(int t, double *a, double *z, const double *a_prev,
                                    const double *w, const double *b, size_t n, size_t in,
                                    size_t out, mlp_activation act)
{
    void *va = tt_in(t, a, n * out), *vz = z != NULL ? tt_in(t, z, n * out) : NULL,
         *vp = tt_in(t, a_prev, n * in), *vw = tt_in(t, w, in * out),
         *vb = b != NULL ? tt_in(t, b, out) : NULL;
    if (t == TT_F32) mlp__dense_forward_f32(va, vz, vp, vw, vb, n, in, out, act);
    else mlp__dense_forward(va, vz, vp, vw, vb, n, in, out, act);
    tt_back(t, a, va, n * out);
    if (z != NULL) tt_back(t, z, vz, n * out);
    free(va), free(vz), free(vp), free(vw), free(vb);
}

/* backward: dw (out, in), db (out or NULL), da_prev (n, in or NULL) from dz (n, out) */
static inline void tt_dense_backward(int t, double *dw, double *db, double *da_prev,
                                     const double *dz, const double *a_prev, const double *w,
                                     size_t n, size_t in, size_t out)
{
    void *vdw = tt_in(t, dw, in * out), *vdb = db != NULL ? tt_in(t, db, out) : NULL,
         *vda = da_prev != NULL ? tt_in(t, da_prev, n * in) : NULL, *vdz = tt_in(t, dz, n * out),
         *vp = tt_in(t, a_prev, n * in), *vw = tt_in(t, w, in * out);
    if (t == TT_F32) mlp__dense_backward_f32(vdw, vdb, vda, vdz, vp, vw, n, in, out);
    else mlp__dense_backward(vdw, vdb, vda, vdz, vp, vw, n, in, out);
    tt_back(t, dw, vdw, in * out);
    if (db != NULL) tt_back(t, db, vdb, out);
    if (da_prev != NULL) tt_back(t, da_prev, vda, n * in);
    free(vdw), free(vdb), free(vda), free(vdz), free(vp), free(vw);
}

/* plain SGD fused: w = decay w - lr dzᵀ a_prev, b -= lr Σ dz (lr, decay rounded to t) */
static inline void tt_dense_sgd(int t, double *w, double *b, const double *dz,
                                const double *a_prev, size_t n, size_t in, size_t out,
                                double lr, double decay)
{
    void *vw = tt_in(t, w, in * out), *vb = b != NULL ? tt_in(t, b, out) : NULL,
         *vdz = tt_in(t, dz, n * out), *vp = tt_in(t, a_prev, n * in);
    double *scratch = calloc(in * out + out, sizeof(double)); /* room for either type */
    if (scratch == NULL) abort();
    if (t == TT_F32)
        mlp__dense_sgd_f32(vw, vb, vdz, vp, n, in, out, (float)lr, (float)decay,
                           (float *)scratch);
    else mlp__dense_sgd(vw, vb, vdz, vp, n, in, out, lr, decay, scratch);
    tt_back(t, w, vw, in * out);
    if (b != NULL) tt_back(t, b, vb, out);
    free(vw), free(vb), free(vdz), free(vp), free(scratch);
}

#endif
