/* Vectorized activations and their derivatives. Every pass is a plain loop over
 * a contiguous array, with no branches the compiler cannot turn into selects. */
#include <math.h>

#include "mlp_internal.h"

int mlp__activation_valid(mlp_activation act)
{
    return act == MLP_ACT_IDENTITY || act == MLP_ACT_RELU || act == MLP_ACT_TANH ||
           act == MLP_ACT_SIGMOID;
}

const char *mlp_activation_name(mlp_activation act)
{
    switch (act) {
    case MLP_ACT_IDENTITY: return "identity";
    case MLP_ACT_RELU: return "relu";
    case MLP_ACT_TANH: return "tanh";
    case MLP_ACT_SIGMOID: return "sigmoid";
    }
    return NULL;
}

/* NaN stays NaN (z < 0 is false for NaN), as Python's max(nan, 0) keeps it. */
static inline double relu(double z) { return z < 0.0 ? 0.0 : z; }

/* exp(-z) overflows to +inf for very negative z, and 1 / (1 + inf) is exactly 0:
 * no NaN for any finite z. */
static inline double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

static void forward(mlp_activation act, double *out, const double *in, size_t n)
{
    switch (act) {
    case MLP_ACT_IDENTITY:
        for (size_t i = 0; i < n; i++) out[i] = in[i];
        break;
    case MLP_ACT_RELU:
        for (size_t i = 0; i < n; i++) out[i] = relu(in[i]);
        break;
    case MLP_ACT_TANH:
        for (size_t i = 0; i < n; i++) out[i] = tanh(in[i]);
        break;
    case MLP_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) out[i] = sigmoid(in[i]);
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
    switch (act) {
    case MLP_ACT_IDENTITY:
        for (size_t i = 0; i < n; i++) out[i] = 1.0;
        break;
    case MLP_ACT_RELU:
        /* 1 above zero, 0 at or below; NaN in gives NaN out. */
        for (size_t i = 0; i < n; i++) {
            double z = in[i];
            out[i] = z > 0.0 ? 1.0 : (z <= 0.0 ? 0.0 : z);
        }
        break;
    case MLP_ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            double t = tanh(in[i]);
            out[i] = 1.0 - t * t;
        }
        break;
    case MLP_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            double s = sigmoid(in[i]);
            out[i] = s * (1.0 - s);
        }
        break;
    }
    return MLP_OK;
}

void mlp__bias_activate(double *z, const double *bias, size_t rows, size_t cols,
                        mlp_activation act)
{
    if (bias != NULL) {
        for (size_t r = 0; r < rows; r++) {
            double *row = z + r * cols;
            for (size_t c = 0; c < cols; c++) row[c] += bias[c];
        }
    }
    if (act != MLP_ACT_IDENTITY) forward(act, z, z, rows * cols);
}
