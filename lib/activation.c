/* Vectorized activations and their derivatives. Every pass is a plain loop over
 * a contiguous array, with no branches the compiler cannot turn into selects. */
#include <math.h>
#include <string.h>

#include "mlp_internal.h"

int mlp__activation_valid(mlp_activation act)
{
    return act >= MLP_ACT_IDENTITY && act <= MLP_ACT_SOFTPLUS;
}

const char *mlp_activation_name(mlp_activation act)
{
    switch (act) {
    case MLP_ACT_IDENTITY: return "identity";
    case MLP_ACT_RELU: return "relu";
    case MLP_ACT_TANH: return "tanh";
    case MLP_ACT_SIGMOID: return "sigmoid";
    case MLP_ACT_SOFTMAX: return "softmax";
    case MLP_ACT_LEAKY_RELU: return "leaky_relu";
    case MLP_ACT_ELU: return "elu";
    case MLP_ACT_SOFTPLUS: return "softplus";
    }
    return NULL;
}

/* NaN stays NaN (z < 0 is false for NaN), as Python's max(nan, 0) keeps it. */
static inline double relu(double z) { return z < 0.0 ? 0.0 : z; }

static inline double leaky_relu(double z) { return z < 0.0 ? MLP_LEAKY_RELU_SLOPE * z : z; }

/* exp(-z) overflows to +inf for very negative z, and 1 / (1 + inf) is exactly 0. */
static inline double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* Softmax of one row in place, shifted by the row's maximum so exp never overflows. */
static void softmax_row(double *z, size_t n)
{
    double m = z[0];
    for (size_t i = 1; i < n; i++) m = fmax(m, z[i]);
    for (size_t i = 0; i < n; i++) z[i] -= m;
    mlp__vpass(MLP__V_EXP, z, z, n);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += z[i];
    const double inv = 1.0 / sum;
    for (size_t i = 0; i < n; i++) z[i] *= inv;
}

/* Element-wise activations over n values (softmax: the n values are one row). */
static void forward(mlp_activation act, double *out, const double *in, size_t n)
{
    switch (act) {
    case MLP_ACT_IDENTITY:
        if (out != in) memmove(out, in, n * sizeof *out);
        break;
    case MLP_ACT_RELU:
        for (size_t i = 0; i < n; i++) out[i] = relu(in[i]);
        break;
    case MLP_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) out[i] = leaky_relu(in[i]);
        break;
    case MLP_ACT_TANH: mlp__vpass(MLP__V_TANH, out, in, n); break;
    case MLP_ACT_SIGMOID: mlp__vpass(MLP__V_SIGMOID, out, in, n); break;
    case MLP_ACT_ELU: mlp__vpass(MLP__V_ELU, out, in, n); break;
    case MLP_ACT_SOFTPLUS: mlp__vpass(MLP__V_SOFTPLUS, out, in, n); break;
    case MLP_ACT_SOFTMAX:
        if (out != in) memmove(out, in, n * sizeof *out);
        softmax_row(out, n);
        break;
    }
}

mlp_status mlp_activation_forward(mlp_activation act, double *out, const double *in, size_t n)
{
    MLP_CHECK_PTR(out);
    MLP_CHECK_PTR(in);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_activation_forward: n is 0");
    MLP_CHECK(mlp__activation_valid(act), MLP_ERR_INVALID_ARG,
              "mlp_activation_forward: unknown activation %d", (int)act);
    forward(act, out, in, n);
    return MLP_OK;
}

mlp_status mlp_activation_derivative(mlp_activation act, double *out, const double *in, size_t n)
{
    MLP_CHECK_PTR(out);
    MLP_CHECK_PTR(in);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_activation_derivative: n is 0");
    MLP_CHECK(mlp__activation_valid(act), MLP_ERR_INVALID_ARG,
              "mlp_activation_derivative: unknown activation %d", (int)act);
    MLP_CHECK(act != MLP_ACT_SOFTMAX, MLP_ERR_INVALID_ARG,
              "mlp_activation_derivative: softmax has no element-wise derivative");
    for (size_t i = 0; i < n; i++) {
        const double z = in[i];
        switch (act) {
        case MLP_ACT_IDENTITY: out[i] = 1.0; break;
        /* 1 above zero, 0 at or below; NaN in gives NaN out. */
        case MLP_ACT_RELU: out[i] = z > 0.0 ? 1.0 : (z <= 0.0 ? 0.0 : z); break;
        case MLP_ACT_TANH: {
            const double t = tanh(z);
            out[i] = 1.0 - t * t;
            break;
        }
        case MLP_ACT_SIGMOID: {
            const double s = sigmoid(z);
            out[i] = s * (1.0 - s);
            break;
        }
        case MLP_ACT_LEAKY_RELU:
            out[i] = z > 0.0 ? 1.0 : (z <= 0.0 ? MLP_LEAKY_RELU_SLOPE : z);
            break;
        case MLP_ACT_ELU: out[i] = z > 0.0 ? 1.0 : (z <= 0.0 ? exp(z) : z); break;
        case MLP_ACT_SOFTPLUS: out[i] = sigmoid(z); break; /* d/dz log(1 + e^z) */
        case MLP_ACT_SOFTMAX: break; /* refused above */
        }
    }
    return MLP_OK;
}

void mlp__bias_activate(double *z, const double *bias, size_t rows, size_t cols,
                        mlp_activation act)
{
    /* Rows of 64 or more get their bias and activation in one visit while the row
     * is in L1; narrower ones in two passes over the whole matrix, which keeps
     * per-row call overhead off the many-short-rows case. */
    const int by_row = act == MLP_ACT_SOFTMAX || (cols >= 64 && bias != NULL);
    if (by_row) {
        for (size_t r = 0; r < rows; r++) {
            double *row = z + r * cols;
            if (bias != NULL)
                for (size_t c = 0; c < cols; c++) row[c] += bias[c];
            if (act == MLP_ACT_SOFTMAX) softmax_row(row, cols);
            else forward(act, row, row, cols);
        }
        return;
    }
    if (bias != NULL) {
        for (size_t r = 0; r < rows; r++) {
            double *row = z + r * cols;
            for (size_t c = 0; c < cols; c++) row[c] += bias[c];
        }
    }
    forward(act, z, z, rows * cols);
}

void mlp__activation_backward(double *dz, const double *da, const double *a, size_t rows,
                              size_t cols, mlp_activation act)
{
    /* Every derivative is written in terms of the output a = f(z), which is what
     * the forward pass keeps: relu' = [a > 0], tanh' = 1 - a², sigmoid' = a(1 - a),
     * leaky' = [a > 0] + slope [a <= 0] (a has z's sign), elu' = a + 1 below zero,
     * softplus' = sigmoid(z) = 1 - exp(-a). */
    const size_t n = rows * cols;
    switch (act) {
    case MLP_ACT_IDENTITY:
        if (dz != da)
            for (size_t i = 0; i < n; i++) dz[i] = da[i];
        break;
    case MLP_ACT_RELU:
        /* In place (dz == da, as backprop calls it) the loop reads two arrays, not
         * three: the compiler can then vectorize it into a select instead of
         * branching on the sign of data. */
        if (dz == da)
            for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0.0 ? dz[i] : 0.0;
        else
            for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0.0 ? da[i] : 0.0;
        break;
    case MLP_ACT_TANH:
        for (size_t i = 0; i < n; i++) dz[i] = da[i] * (1.0 - a[i] * a[i]);
        break;
    case MLP_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dz[i] = da[i] * a[i] * (1.0 - a[i]);
        break;
    case MLP_ACT_LEAKY_RELU:
        if (dz == da)
            for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0.0 ? dz[i] : MLP_LEAKY_RELU_SLOPE * dz[i];
        else
            for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0.0 ? da[i] : MLP_LEAKY_RELU_SLOPE * da[i];
        break;
    case MLP_ACT_ELU:
        for (size_t i = 0; i < n; i++) dz[i] = a[i] > 0.0 ? da[i] : da[i] * (a[i] + 1.0);
        break;
    case MLP_ACT_SOFTPLUS: /* sigmoid(z) = 1 - exp(-a); chunks, since dz may alias da */
        for (size_t i = 0; i < n; i += 256) {
            double d[256];
            const size_t m = n - i < 256 ? n - i : 256;
            mlp__vpass(MLP__V_NEG_EXPM1, d, a + i, m);
            for (size_t k = 0; k < m; k++) dz[i + k] = da[i + k] * d[k];
        }
        break;
    case MLP_ACT_SOFTMAX:
        /* Jacobian-vector product per row: dz = a ⊙ (da - <da, a>). */
        for (size_t r = 0; r < rows; r++) {
            const double *ar = a + r * cols, *dar = da + r * cols;
            double *dzr = dz + r * cols, dot = 0.0;
            for (size_t c = 0; c < cols; c++) dot += dar[c] * ar[c];
            for (size_t c = 0; c < cols; c++) dzr[c] = ar[c] * (dar[c] - dot);
        }
        break;
    }
}
