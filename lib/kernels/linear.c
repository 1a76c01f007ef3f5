/* Gradient descent on a linear model without intercept: the tutorial's chapter 2. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static mlp_status check_dims(size_t n, size_t d, const char *fn)
{
    MLP_CHECK(n > 0 && n <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG, "%s: n is %zu, must be 1 to %zu",
              fn, n, MLP_MAX_DIM);
    MLP_CHECK(d > 0 && d <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG, "%s: d is %zu, must be 1 to %zu",
              fn, d, MLP_MAX_DIM);
    return MLP_OK;
}

/* pred (n) = x (n, d) · w (d) */
static void predict(double *pred, const double *x, const double *w, size_t n, size_t d)
{
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, x, (int)d, w, 1, 0.0, pred, 1);
}

/* slope (d) = (2 / n) · x (n, d)ᵀ · err (n): the gradient of the mean squared error. */
static void slope_of(double *slope, const double *x, const double *err, size_t n, size_t d)
{
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, 2.0 / (double)n, x, (int)d, err, 1,
                0.0, slope, 1);
}

mlp_status mlp_linear_predict(double *pred, const double *x, const double *w, size_t n, size_t d)
{
    MLP_CHECK_PTR(pred);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(w);
    mlp_status s = check_dims(n, d, __func__);
    if (s != MLP_OK) return s;
    predict(pred, x, w, n, d);
    return MLP_OK;
}

mlp_status mlp_linear_slope(double *slope, const double *x, const double *err, size_t n, size_t d)
{
    MLP_CHECK_PTR(slope);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(err);
    mlp_status s = check_dims(n, d, __func__);
    if (s != MLP_OK) return s;
    slope_of(slope, x, err, n, d);
    return MLP_OK;
}

mlp_status mlp_linear_update(double *w, const double *slope, size_t d, double learning_rate)
{
    MLP_CHECK_PTR(w);
    MLP_CHECK_PTR(slope);
    mlp_status s = check_dims(1, d, __func__);
    if (s != MLP_OK) return s;
    MLP_CHECK(isfinite(learning_rate), MLP_ERR_INVALID_ARG,
              "mlp_linear_update: learning_rate is not finite");
    /* The new weights are checked before any is written: the same expression, twice,
     * so that what is written is what was checked. */
    size_t bad = d;
    for (size_t i = 0; i < d && bad == d; i++)
        if (!isfinite(w[i] - learning_rate * slope[i])) bad = i;
    MLP_CHECK(bad == d, MLP_ERR_NUMERIC,
              "mlp_linear_update: weight %zu would become %g (learning rate %g, slope %g); "
              "weights unchanged",
              bad, bad < d ? w[bad] - learning_rate * slope[bad] : 0.0, learning_rate,
              bad < d ? slope[bad] : 0.0);
    for (size_t i = 0; i < d; i++) w[i] = w[i] - learning_rate * slope[i];
    return MLP_OK;
}

mlp_status mlp_linear_descend(double *w, double *mse_history, const double *x,
                              const double *target, size_t n, size_t d, double learning_rate,
                              size_t n_updates)
{
    MLP_CHECK_PTR(w);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(target);
    mlp_status s = check_dims(n, d, __func__);
    if (s != MLP_OK) return s;
    MLP_CHECK(isfinite(learning_rate), MLP_ERR_INVALID_ARG,
              "mlp_linear_descend: learning_rate is not finite");
    if (n_updates == 0) return MLP_OK;

    /* One allocation for all the scratch: pred (n), err (n), slope (d), w_good (d).
     * n and d are at most INT_MAX, so 2n + 2d cannot wrap a 64-bit size_t; check the bytes. */
    size_t bytes = 0;
    double *pred = mlp__mul_ok(2 * n + 2 * d, sizeof *pred, SIZE_MAX, &bytes) ? malloc(bytes) : NULL;
    MLP_CHECK(pred != NULL, MLP_ERR_NOMEM, "mlp_linear_descend: cannot allocate scratch");
    double *err = pred + n, *slope = err + n, *w_good = slope + d;

    predict(pred, x, w, n, d);
    for (size_t k = 0; k < n_updates; k++) {
        for (size_t i = 0; i < n; i++) err[i] = pred[i] - target[i];
        slope_of(slope, x, err, n, d);
        memcpy(w_good, w, d * sizeof *w);
        cblas_daxpy((int)d, -learning_rate, slope, 1, w, 1);
        /* The updated weights' predictions serve both this loss and the next slope. */
        predict(pred, x, w, n, d);
        double mse = mlp__mse(pred, target, n);
        if (!isfinite(mse)) {
            memcpy(w, w_good, d * sizeof *w);
            free(pred);
            return mlp__fail(MLP_ERR_NUMERIC,
                             "mlp_linear_descend: loss is not finite after update %zu; weights "
                             "restored to those before it",
                             k + 1);
        }
        if (mse_history != NULL) mse_history[k] = mse;
    }
    free(pred);
    return MLP_OK;
}
