/* Activations: one table. Each entry is the activation's name, its properties,
 * its forward pass, its scalar derivative and its backward pass; every bound,
 * name lookup and validity check in the library reads this table, so a new
 * activation is its enum value in mlp.h, one entry here, and its tests.
 *
 * Every pass is a plain loop over a contiguous array (or, for the exponential
 * family, lib/kernels/vmath.c's vectorized passes), with no branches the compiler cannot
 * turn into selects.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include <string.h>

#include "kernels.h"
#include "../core/typed.h"

/* leaky relu's slope below zero, in this file's type */
#define LEAKY ((real)MLP_LEAKY_RELU_SLOPE)

/* Chunks of this many values go through a vectorized pass into a stack buffer:
 * two kilobytes, in L1 with the data they combine with. */
enum { CHUNK = 256 };

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* ---- forward passes, in place over rows * cols values --------------------------- */

static void identity_fwd(real *v, size_t rows, size_t cols) { (void)v, (void)rows, (void)cols; }

/* NaN stays NaN (z < 0 is false for NaN), as Python's max(nan, 0) keeps it. */
MLP__CLONES
static void relu_fwd(real *v, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i++) v[i] = v[i] < 0 ? 0 : v[i];
}

MLP__CLONES
static void leaky_fwd(real *v, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i++) v[i] = v[i] < 0 ? LEAKY * v[i] : v[i];
}

static void tanh_fwd(real *v, size_t rows, size_t cols)
{
    MLP__T(mlp__vpass)(MLP__V_TANH, v, v, rows * cols);
}
static void sigmoid_fwd(real *v, size_t rows, size_t cols)
{
    MLP__T(mlp__vpass)(MLP__V_SIGMOID, v, v, rows * cols);
}
static void elu_fwd(real *v, size_t rows, size_t cols)
{
    MLP__T(mlp__vpass)(MLP__V_ELU, v, v, rows * cols);
}
static void softplus_fwd(real *v, size_t rows, size_t cols)
{
    MLP__T(mlp__vpass)(MLP__V_SOFTPLUS, v, v, rows * cols);
}

/* Softmax of each row in place, shifted by the row's maximum so exp never overflows. */
static void softmax_fwd(real *v, size_t rows, size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        real *z = v + r * cols, m = z[0];
        for (size_t i = 1; i < cols; i++) m = fmax(m, z[i]);
        for (size_t i = 0; i < cols; i++) z[i] -= m;
        MLP__T(mlp__vpass)(MLP__V_EXP, z, z, cols);
        real sum = 0;
        for (size_t i = 0; i < cols; i++) sum += z[i];
        const real inv = 1 / sum;
        for (size_t i = 0; i < cols; i++) z[i] *= inv;
    }
}

#define SQRT1_2 ((real)0.70710678118654752440)     /* 1 / √2 */
#define SQRT2_PI ((real)0.79788456080286535588)    /* √(2 / π) */
#define INV_SQRT2PI ((real)0.39894228040143267794) /* 1 / √(2π) */
#define GELU_C ((real)0.044715)

/* z Φ(z) = z erfc(-z / √2) / 2: erfc rather than 1 + erf, which cancels for z < 0 */
static void gelu_fwd(real *v, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) {
        real e[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        for (size_t k = 0; k < m; k++) e[k] = -v[i + k] * SQRT1_2;
        MLP__T(mlp__vpass)(MLP__V_ERFC, e, e, m);
        for (size_t k = 0; k < m; k++) v[i + k] = (real)0.5 * v[i + k] * e[k];
    }
}

/* 2u = 2 √(2/π) (z + c z³), the argument of the sigmoid in GELU's tanh form */
static inline real gelu_2u(real z) { return 2 * SQRT2_PI * (z + GELU_C * z * z * z); }

/* z (1 + tanh(u)) / 2 with u = √(2/π) (z + c z³), computed as z σ(2u), which is the
 * same function without the cancellation of 1 + tanh(u) for z < 0 */
static void gelu_tanh_fwd(real *v, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) {
        real s[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        for (size_t k = 0; k < m; k++) s[k] = gelu_2u(v[i + k]);
        MLP__T(mlp__vpass)(MLP__V_SIGMOID, s, s, m);
        for (size_t k = 0; k < m; k++) v[i + k] *= s[k];
    }
}

/* z σ(z) */
static void silu_fwd(real *v, size_t rows, size_t cols)
{
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) {
        real s[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        MLP__T(mlp__vpass)(MLP__V_SIGMOID, s, v + i, m);
        for (size_t k = 0; k < m; k++) v[i + k] *= s[k];
    }
}

/* ---- scalar derivatives f'(z), for mlp_activation_derivative() ------------------- */

static real sigmoid1(real z) { return 1 / (1 + exp(-z)); }

static real identity_d(real z)
{
    (void)z;
    return 1;
}
/* 1 above zero, 0 at or below; NaN in gives NaN out. */
static real relu_d(real z) { return z > 0 ? 1 : (z <= 0 ? 0 : z); }
static real leaky_d(real z) { return z > 0 ? 1 : (z <= 0 ? LEAKY : z); }
static real tanh_d(real z)
{
    const real t = tanh(z);
    return 1 - t * t;
}
static real sigmoid_d(real z)
{
    const real s = sigmoid1(z);
    return s * (1 - s);
}
static real elu_d(real z) { return z > 0 ? 1 : (z <= 0 ? exp(z) : z); }
static real softplus_d(real z) { return sigmoid1(z); } /* d/dz log(1 + e^z) */
/* Φ(z) + z φ(z) */
static real gelu_d(real z)
{
    return (real)0.5 * erfc(-z * SQRT1_2) + z * INV_SQRT2PI * exp((real)-(real)0.5 * z * z);
}

/* d/dz z σ(v), v = 2u: σ(v) + z σ'(v) v'; σ'(v) = σ(v)(1 - σ(v)) is exactly 0 where
 * v' = 2√(2/π)(1 + 3c z²) may overflow, and then so is the term. */
static inline real gelu_tanh_slope(real z, real s)
{
    const real ds = s * (1 - s);
    return s + (ds == 0 ? 0 : z * ds * 2 * SQRT2_PI * (1 + 3 * GELU_C * z * z));
}

static real gelu_tanh_d(real z)
{
    return gelu_tanh_slope(z, sigmoid1(gelu_2u(z)));
}

/* σ(z) (1 + z (1 - σ(z))) */
static real silu_d(real z)
{
    const real s = sigmoid1(z);
    return s * (1 + z * (1 - s));
}

/* ---- backward passes: dz = da ⊙ f'(z); dz may alias da -------------------------------
 * Activations that do not need z compute the derivative from the output a = f(z),
 * which the forward pass keeps: relu' = [a > 0], tanh' = 1 - a², sigmoid' = a(1 - a),
 * leaky' = [a > 0] + slope [a <= 0] (a has z's sign), elu' = a + 1 below zero,
 * softplus' = σ(z) = 1 - exp(-a). GELU and SiLU read z. */

static void identity_bwd(real *dz, const real *da, const real *a, const real *z,
                         size_t rows, size_t cols)
{
    (void)a, (void)z;
    if (dz != da) memmove(dz, da, rows * cols * sizeof *dz);
}

MLP__CLONES
static void relu_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                     size_t cols)
{
    (void)z;
    const size_t n = rows * cols;
    /* In place (dz == da, as backprop calls it) the loop reads two arrays, not
     * three: the compiler can then vectorize it into a select instead of
     * branching on the sign of data. */
    if (dz == da)
        for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0 ? dz[i] : 0;
    else
        for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0 ? da[i] : 0;
}

MLP__CLONES
static void leaky_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                      size_t cols)
{
    (void)z;
    const size_t n = rows * cols;
    if (dz == da)
        for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0 ? dz[i] : LEAKY * dz[i];
    else
        for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0 ? da[i] : LEAKY * da[i];
}

MLP__CLONES
static void tanh_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                     size_t cols)
{
    (void)z;
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i++) dz[i] = da[i] * (1 - a[i] * a[i]);
}

MLP__CLONES
static void sigmoid_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                        size_t cols)
{
    (void)z;
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i++) dz[i] = da[i] * a[i] * (1 - a[i]);
}

MLP__CLONES
static void elu_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                    size_t cols)
{
    (void)z;
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0 ? da[i] : da[i] * (a[i] + 1);
}

static void softplus_bwd(real *dz, const real *da, const real *a, const real *z,
                         size_t rows, size_t cols)
{
    (void)z;
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) { /* σ(z) = 1 - exp(-a) */
        real d[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        MLP__T(mlp__vpass)(MLP__V_NEG_EXPM1, d, a + i, m);
        for (size_t k = 0; k < m; k++) dz[i + k] = da[i + k] * d[k];
    }
}

/* Jacobian-vector product per row: dz = a ⊙ (da - <da, a>). */
static void softmax_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                        size_t cols)
{
    (void)z;
    for (size_t r = 0; r < rows; r++) {
        const real *ar = a + r * cols, *dar = da + r * cols;
        real *dzr = dz + r * cols, dot = 0;
        for (size_t c = 0; c < cols; c++) dot += dar[c] * ar[c];
        for (size_t c = 0; c < cols; c++) dzr[c] = ar[c] * (dar[c] - dot);
    }
}

static void gelu_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                     size_t cols)
{
    (void)a;
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) {
        real e[CHUNK], g[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        for (size_t k = 0; k < m; k++) {
            e[k] = -z[i + k] * SQRT1_2;
            g[k] = (real)-(real)0.5 * z[i + k] * z[i + k];
        }
        MLP__T(mlp__vpass)(MLP__V_ERFC, e, e, m);
        MLP__T(mlp__vpass)(MLP__V_EXP, g, g, m);
        for (size_t k = 0; k < m; k++)
            dz[i + k] = da[i + k] * ((real)0.5 * e[k] + z[i + k] * INV_SQRT2PI * g[k]);
    }
}

static void gelu_tanh_bwd(real *dz, const real *da, const real *a, const real *z,
                          size_t rows, size_t cols)
{
    (void)a;
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) {
        real s[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        for (size_t k = 0; k < m; k++) s[k] = gelu_2u(z[i + k]);
        MLP__T(mlp__vpass)(MLP__V_SIGMOID, s, s, m);
        for (size_t k = 0; k < m; k++) dz[i + k] = da[i + k] * gelu_tanh_slope(z[i + k], s[k]);
    }
}

/* σ(z) + a (1 - σ(z)), with a = z σ(z) */
static void silu_bwd(real *dz, const real *da, const real *a, const real *z, size_t rows,
                     size_t cols)
{
    const size_t n = rows * cols;
    for (size_t i = 0; i < n; i += CHUNK) {
        real s[CHUNK];
        const size_t m = min_size(n - i, CHUNK);
        MLP__T(mlp__vpass)(MLP__V_SIGMOID, s, z + i, m);
        for (size_t k = 0; k < m; k++) dz[i + k] = da[i + k] * (s[k] + a[i + k] * (1 - s[k]));
    }
}

/* ---- the table ---------------------------------------------------------------------- */

/* The rectifiers, whose layers MLP_INIT_AUTO draws as He does. */
#define RECT MLP__ACT_RECTIFIER

static const MLP__T(mlp__activation_kind) kinds[] = {
    [MLP_ACT_IDENTITY] = {"identity", MLP__ACT_PIECEWISE, 1.0, identity_fwd, identity_d,
                          identity_bwd},
    [MLP_ACT_RELU] = {"relu", MLP__ACT_PIECEWISE | MLP__ACT_KINK | RECT, 0.0, relu_fwd, relu_d,
                      relu_bwd},
    [MLP_ACT_TANH] = {"tanh", 0, 0.0, tanh_fwd, tanh_d, tanh_bwd},
    [MLP_ACT_SIGMOID] = {"sigmoid", 0, 0.0, sigmoid_fwd, sigmoid_d, sigmoid_bwd},
    [MLP_ACT_SOFTMAX] = {"softmax", MLP__ACT_ROWWISE, 0.0, softmax_fwd, NULL, softmax_bwd},
    [MLP_ACT_LEAKY_RELU] = {"leaky_relu", MLP__ACT_PIECEWISE | MLP__ACT_KINK | RECT,
                            MLP_LEAKY_RELU_SLOPE, leaky_fwd, leaky_d, leaky_bwd},
    [MLP_ACT_ELU] = {"elu", MLP__ACT_KINK | RECT, 0.0, elu_fwd, elu_d, elu_bwd},
    [MLP_ACT_SOFTPLUS] = {"softplus", RECT, 0.0, softplus_fwd, softplus_d, softplus_bwd},
    [MLP_ACT_GELU] = {"gelu", MLP__ACT_NEEDS_Z | RECT, 0.0, gelu_fwd, gelu_d, gelu_bwd},
    [MLP_ACT_GELU_TANH] = {"gelu_tanh", MLP__ACT_NEEDS_Z | RECT, 0.0, gelu_tanh_fwd,
                           gelu_tanh_d, gelu_tanh_bwd},
    [MLP_ACT_SILU] = {"silu", MLP__ACT_NEEDS_Z | RECT, 0.0, silu_fwd, silu_d, silu_bwd},
};
MLP__TABLE_COVERS(kinds, MLP_ACT_SILU);
static inline int listed(mlp_activation a)
{
    switch (a) {
    case MLP_ACT_IDENTITY: case MLP_ACT_RELU: case MLP_ACT_TANH: case MLP_ACT_SIGMOID:
    case MLP_ACT_SOFTMAX: case MLP_ACT_LEAKY_RELU: case MLP_ACT_ELU: case MLP_ACT_SOFTPLUS:
    case MLP_ACT_GELU: case MLP_ACT_GELU_TANH: case MLP_ACT_SILU: return 1;
    }
    return 0;
}

#undef RECT

const MLP__T(mlp__activation_kind) *MLP__T(mlp__activation)(mlp_activation act)
{
    const unsigned a = (unsigned)act;
    return a < sizeof kinds / sizeof kinds[0] && kinds[a].name != NULL ? &kinds[a] : NULL;
}

/* The public calls, which take double: once, in the float64 build. */
#if !MLP__F32

int mlp__activation_valid(mlp_activation act) { return mlp__activation(act) != NULL; }

const char *mlp_activation_name(mlp_activation act)
{
    const mlp__activation_kind *k = mlp__activation(act);
    return k != NULL ? k->name : NULL;
}

mlp_status mlp_activation_from_name(mlp_activation *act, const char *name)
{
    MLP_CHECK_PTR(act);
    const int k = mlp__name_index(kinds, sizeof kinds / sizeof kinds[0], sizeof kinds[0], name, __func__, "activation");
    if (k < 0) return MLP_ERR_INVALID_ARG;
    *act = (mlp_activation)k;
    return MLP_OK;
}

mlp_status mlp_activation_forward(mlp_activation act, double *out, const double *in, size_t n)
{
    MLP_CHECK_PTR(out);
    MLP_CHECK_PTR(in);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_activation_forward: n is 0");
    const mlp__activation_kind *k = mlp__activation(act);
    MLP_CHECK(k != NULL, MLP_ERR_INVALID_ARG, "mlp_activation_forward: unknown activation %d",
              (int)act);
    if (out != in) memmove(out, in, n * sizeof *out);
    k->forward(out, 1, n); /* one row: softmax over all n values */
    return MLP_OK;
}

mlp_status mlp_activation_derivative(mlp_activation act, double *out, const double *in, size_t n)
{
    MLP_CHECK_PTR(out);
    MLP_CHECK_PTR(in);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_activation_derivative: n is 0");
    const mlp__activation_kind *k = mlp__activation(act);
    MLP_CHECK(k != NULL, MLP_ERR_INVALID_ARG, "mlp_activation_derivative: unknown activation %d",
              (int)act);
    MLP_CHECK(k->derivative != NULL, MLP_ERR_INVALID_ARG,
              "mlp_activation_derivative: %s has no element-wise derivative", k->name);
    for (size_t i = 0; i < n; i++) out[i] = k->derivative(in[i]);
    return MLP_OK;
}

#endif

/* One part of a pass: rows [r0, r1) of the matrix. */
MLP__CLONES
static void bias_activate_rows(real *z, const real *bias, size_t rows, size_t cols,
                               const MLP__T(mlp__activation_kind) *k)
{
    /* Rows of 64 or more get their bias and activation in one visit while the row
     * is in L1; narrower ones in two passes over the part, which keeps per-row
     * call overhead off the many-short-rows case. */
    const int by_row = (k->flags & MLP__ACT_ROWWISE) || (cols >= 64 && bias != NULL);
    if (by_row) {
        for (size_t r = 0; r < rows; r++) {
            real *row = z + r * cols;
            if (bias != NULL)
                for (size_t c = 0; c < cols; c++) row[c] += bias[c];
            k->forward(row, 1, cols);
        }
        return;
    }
    if (bias != NULL) {
        for (size_t r = 0; r < rows; r++) {
            real *row = z + r * cols;
            for (size_t c = 0; c < cols; c++) row[c] += bias[c];
        }
    }
    k->forward(z, rows, cols);
}

typedef struct rows_job {
    real *z;
    const real *bias, *a, *da, *zin;
    size_t cols;
    const MLP__T(mlp__activation_kind) *k;
} rows_job;

static void bias_activate_part(void *ctx, size_t r0, size_t r1, size_t part)
{
    (void)part;
    const rows_job *j = ctx;
    bias_activate_rows(j->z + r0 * j->cols, j->bias, r1 - r0, j->cols, j->k);
}

/* Rows per part: at least MLP__PAR_MIN values. */
static size_t min_rows(size_t cols) { return (MLP__PAR_MIN + cols - 1) / cols; }

void MLP__T(mlp__bias_activate)(real *z, const real *bias, size_t rows, size_t cols,
                        mlp_activation act)
{
    rows_job j = {.z = z, .bias = bias, .cols = cols, .k = &kinds[act]}; /* act is valid */
    if (rows * cols < 2 * MLP__PAR_MIN) bias_activate_rows(z, bias, rows, cols, j.k);
    else mlp__parallel_for(rows, 1, min_rows(cols), bias_activate_part, &j);
}

static void backward_part(void *ctx, size_t r0, size_t r1, size_t part)
{
    (void)part;
    const rows_job *j = ctx;
    const size_t o = r0 * j->cols;
    j->k->backward(j->z + o, j->da + o, j->a + o, j->zin != NULL ? j->zin + o : NULL, r1 - r0,
                   j->cols);
}

/* The parallel case out of line, so the common small call stays a table lookup. */
__attribute__((noinline)) static void backward_parallel(real *dz, const real *da,
                                                        const real *a, const real *z,
                                                        size_t rows, size_t cols,
                                                        const MLP__T(mlp__activation_kind) *k)
{
    rows_job j = {.z = dz, .da = da, .a = a, .zin = z, .cols = cols, .k = k};
    mlp__parallel_for(rows, 1, min_rows(cols), backward_part, &j);
}

void MLP__T(mlp__activation_backward)(real *dz, const real *da, const real *a, const real *z,
                              size_t rows, size_t cols, mlp_activation act)
{
    const MLP__T(mlp__activation_kind) *k = &kinds[act];
    if (rows * cols < 2 * MLP__PAR_MIN) k->backward(dz, da, a, z, rows, cols);
    else backward_parallel(dz, da, a, z, rows, cols, k);
}
