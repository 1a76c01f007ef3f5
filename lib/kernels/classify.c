/* Classification helpers: one-hot encoding, argmax, accuracy; the accuracy of the
 * training roads for float64 and float32 from this one source (lib/core/typed.h). */
#include <string.h>

#include "kernels.h"
#include "../core/typed.h"

static size_t row_argmax(const real *row, size_t k)
{
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (row[c] > row[best]) best = c;
    return best;
}

double MLP__T(mlp__accuracy)(const real *pred, const real *target, size_t n, size_t k)
{
    size_t right = 0;
    if (k == 1) {
        for (size_t i = 0; i < n; i++) right += (pred[i] >= (real)0.5) == (target[i] >= (real)0.5);
    } else {
        for (size_t i = 0; i < n; i++)
            right += row_argmax(pred + i * k, k) == row_argmax(target + i * k, k);
    }
    return (double)right / (double)n;
}

/* The public calls, which take double: once, in the float64 build. */
#if !MLP__F32

static mlp_status check_nk(size_t n, size_t k, const char *fn)
{
    size_t cells;
    MLP_CHECK(n > 0 && k > 0, MLP_ERR_INVALID_ARG, "%s: n is %zu and k is %zu, both must be > 0",
              fn, n, k);
    MLP_CHECK(mlp__mul_ok(n, k, SIZE_MAX / sizeof(double), &cells), MLP_ERR_INVALID_ARG,
              "%s: %zu x %zu overflows", fn, n, k);
    return MLP_OK;
}

mlp_status mlp_onehot(double *out, const size_t *labels, size_t n, size_t k)
{
    MLP_CHECK_PTR(out);
    MLP_CHECK_PTR(labels);
    mlp_status s = check_nk(n, k, __func__);
    if (s != MLP_OK) return s;
    for (size_t i = 0; i < n; i++)
        MLP_CHECK(labels[i] < k, MLP_ERR_INVALID_ARG,
                  "mlp_onehot: label %zu of row %zu is not below k = %zu", labels[i], i, k);
    memset(out, 0, n * k * sizeof *out);
    for (size_t i = 0; i < n; i++) out[i * k + labels[i]] = 1.0;
    return MLP_OK;
}

mlp_status mlp_argmax(size_t *labels, const double *scores, size_t n, size_t k)
{
    MLP_CHECK_PTR(labels);
    MLP_CHECK_PTR(scores);
    mlp_status s = check_nk(n, k, __func__);
    if (s != MLP_OK) return s;
    for (size_t i = 0; i < n; i++) labels[i] = row_argmax(scores + i * k, k);
    return MLP_OK;
}

mlp_status mlp_accuracy(double *accuracy, const double *pred, const double *target, size_t n,
                        size_t k)
{
    MLP_CHECK_PTR(accuracy);
    MLP_CHECK_PTR(pred);
    MLP_CHECK_PTR(target);
    mlp_status s = check_nk(n, k, __func__);
    if (s != MLP_OK) return s;
    *accuracy = mlp__accuracy(pred, target, n, k);
    return MLP_OK;
}

#endif
