/* Errors and losses. */
#include <math.h>

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

const char *mlp_loss_name(mlp_loss loss)
{
    switch (loss) {
    case MLP_LOSS_MSE: return "mse";
    case MLP_LOSS_BINARY_CROSSENTROPY: return "binary_crossentropy";
    case MLP_LOSS_CATEGORICAL_CROSSENTROPY: return "categorical_crossentropy";
    }
    return NULL;
}

mlp_status mlp__loss_fits(mlp_loss loss, const mlp_net *net, const char *fn)
{
    MLP_CHECK(mlp_loss_name(loss) != NULL, MLP_ERR_INVALID_ARG, "%s: unknown loss %d", fn,
              (int)loss);
    const mlp_activation out = net->layers[net->n_layers - 1].act;
    MLP_CHECK(loss != MLP_LOSS_BINARY_CROSSENTROPY || out == MLP_ACT_SIGMOID, MLP_ERR_INVALID_ARG,
              "%s: binary_crossentropy needs a sigmoid output layer, this one is %s", fn,
              mlp_activation_name(out));
    MLP_CHECK(loss != MLP_LOSS_CATEGORICAL_CROSSENTROPY || out == MLP_ACT_SOFTMAX,
              MLP_ERR_INVALID_ARG,
              "%s: categorical_crossentropy needs a softmax output layer, this one is %s", fn,
              mlp_activation_name(out));
    return MLP_OK;
}

/* -(t log σ(z) + (1 - t) log(1 - σ(z))) = max(z, 0) - z t + log1p(exp(-|z|)):
 * finite for every finite z, no log(0). */
static double bce_sum(const double *z, const double *t, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += fmax(z[i], 0.0) - z[i] * t[i] + log1p(exp(-fabs(z[i])));
    return sum;
}

/* Σ_rows Σ_k t_k (logsumexp(z_row) - z_k), the max shifted out of the exponentials. */
static double cce_sum(const double *z, const double *t, size_t n, size_t k)
{
    double sum = 0.0;
    for (size_t r = 0; r < n; r++) {
        const double *zr = z + r * k, *tr = t + r * k;
        double m = zr[0], s = 0.0;
        for (size_t c = 1; c < k; c++) m = fmax(m, zr[c]);
        for (size_t c = 0; c < k; c++) s += exp(zr[c] - m);
        const double lse = m + log(s);
        for (size_t c = 0; c < k; c++) sum += tr[c] * (lse - zr[c]);
    }
    return sum;
}

double mlp__loss_value(mlp_loss loss, const double *a, const double *z, const double *target,
                       size_t n, size_t k)
{
    switch (loss) {
    case MLP_LOSS_MSE: return mlp__mse(a, target, n * k);
    case MLP_LOSS_BINARY_CROSSENTROPY: return bce_sum(z, target, n * k) / (double)(n * k);
    case MLP_LOSS_CATEGORICAL_CROSSENTROPY: return cce_sum(z, target, n, k) / (double)n;
    }
    return NAN;
}

double mlp__loss_and_delta(mlp_loss loss, mlp_activation out_act, double *dz, const double *a,
                           const double *z, const double *target, size_t n, size_t k)
{
    const size_t nk = n * k;
    switch (loss) {
    case MLP_LOSS_MSE: {
        /* dL/da = 2 (a - t) / nk, then back through the output activation. */
        const double scale = 2.0 / (double)nk;
        for (size_t i = 0; i < nk; i++) dz[i] = scale * (a[i] - target[i]);
        mlp__activation_backward(dz, dz, a, n, k, out_act);
        return mlp__mse(a, target, nk);
    }
    case MLP_LOSS_BINARY_CROSSENTROPY: {
        /* Fused with the sigmoid: dL/dz = (σ(z) - t) / nk. */
        const double scale = 1.0 / (double)nk;
        for (size_t i = 0; i < nk; i++) dz[i] = scale * (a[i] - target[i]);
        return bce_sum(z, target, nk) / (double)nk;
    }
    case MLP_LOSS_CATEGORICAL_CROSSENTROPY: {
        /* Fused with the softmax: dL/dz_k = (p_k Σ_j t_j - t_k) / n, which is the
         * familiar p - t for one-hot (or any normalized) targets. */
        const double scale = 1.0 / (double)n;
        for (size_t r = 0; r < n; r++) {
            const double *tr = target + r * k, *ar = a + r * k;
            double *dr = dz + r * k, tsum = 0.0;
            for (size_t c = 0; c < k; c++) tsum += tr[c];
            for (size_t c = 0; c < k; c++) dr[c] = scale * (ar[c] * tsum - tr[c]);
        }
        return cce_sum(z, target, n, k) / (double)n;
    }
    }
    return NAN;
}
