/* Errors and losses. */
#include "mlp_internal.h"

mlp_status mlp_loss_error(double *err, const double *pred, const double *target, size_t n)
{
    MLP_CHECK_PTR(err);
    MLP_CHECK_PTR(pred);
    MLP_CHECK_PTR(target);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_loss_error: n is 0");
    for (size_t i = 0; i < n; i++) err[i] = pred[i] - target[i];
    return MLP_OK;
}

double mlp__mse(const double *pred, const double *target, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = pred[i] - target[i];
        sum += e * e;
    }
    return sum / (double)n;
}

mlp_status mlp_loss_mse(double *mse, const double *pred, const double *target, size_t n)
{
    MLP_CHECK_PTR(mse);
    MLP_CHECK_PTR(pred);
    MLP_CHECK_PTR(target);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_loss_mse: n is 0");
    *mse = mlp__mse(pred, target, n);
    return MLP_OK;
}
