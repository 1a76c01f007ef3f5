/* Errors and losses. The training losses are one table: name, the output layer
 * each needs, its value, and its fused gradient with respect to the output
 * layer's pre-activation.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include <string.h>

#include "kernels.h"
#include "../core/typed.h"

/* Σ (pred - target)² over n values, and with dz, dz = scale · (pred - target) in the
 * same sweep. The sum runs in blocks of a fixed length (4096 values, more when there
 * are over 512 blocks), each summed in order, then the blocks' sums in order: the
 * same additions on every thread count, and for n <= 4096 the plain running sum.
 * With row weights w (a row: k values), value i counts w[i / k] times: its square
 * times the weight, and dz = (scale · weight) · (pred - target); a weight of 1 gives
 * the unweighted sum's bits (each product by 1 is exact). */
enum { SUM_BLOCK = 4096, MAX_BLOCKS = 512 };

typedef struct sq_job {
    const real *pred, *target;
    const double *w; /* row weights, or NULL */
    real *dz, scale;
    size_t n, k, block;
    double sums[MAX_BLOCKS];
} sq_job;

/* The weighted sum of values [b0, b1) (see sum_sq). */
static double sq_weighted(real *dz, real scale, const real *pred, const real *target,
                          const double *w, size_t k, size_t b0, size_t b1)
{
    double sum = 0.0;
    for (size_t i = b0; i < b1; i++) {
        const real e = pred[i] - target[i];
        if (dz != NULL) dz[i] = (scale * (real)w[i / k]) * e;
        sum += ((double)e * (double)e) * w[i / k];
    }
    return sum;
}

static void sq_part(void *ctx, size_t i0, size_t i1, size_t part)
{
    (void)part;
    sq_job *j = ctx;
    for (size_t b0 = i0; b0 < i1; b0 += j->block) { /* parts hold whole blocks */
        const size_t b1 = b0 + j->block < i1 ? b0 + j->block : i1;
        double sum = 0.0;
        if (j->w != NULL) {
            sum = sq_weighted(j->dz, j->scale, j->pred, j->target, j->w, j->k, b0, b1);
        } else if (j->dz != NULL) {
            for (size_t i = b0; i < b1; i++) {
                const real e = j->pred[i] - j->target[i];
                j->dz[i] = j->scale * e;
                sum += (double)e * (double)e;
            }
        } else {
            for (size_t i = b0; i < b1; i++) {
                const real e = j->pred[i] - j->target[i];
                sum += (double)e * (double)e;
            }
        }
        j->sums[b0 / j->block] = sum;
    }
}

static double sum_sq(real *dz, real scale, const real *pred, const real *target, const double *w,
                     size_t k, size_t n)
{
    if (n <= SUM_BLOCK && w != NULL) return sq_weighted(dz, scale, pred, target, w, k, 0, n);
    if (n <= SUM_BLOCK) { /* one block: the plain running sum */
        double sum = 0.0;
        if (dz != NULL) {
            for (size_t i = 0; i < n; i++) {
                const real e = pred[i] - target[i];
                dz[i] = scale * e;
                sum += (double)e * (double)e;
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                const real e = pred[i] - target[i];
                sum += (double)e * (double)e;
            }
        }
        return sum;
    }
    sq_job j; /* sums: only the blocks' own entries are written and read */
    j.pred = pred;
    j.target = target;
    j.dz = dz;
    j.w = w;
    j.k = k;
    j.scale = scale;
    j.n = n;
    const size_t blocks_min = (n + SUM_BLOCK - 1) / SUM_BLOCK;
    j.block = SUM_BLOCK * ((blocks_min + MAX_BLOCKS - 1) / MAX_BLOCKS);
    const size_t blocks = (n + j.block - 1) / j.block;
    if (n < 2 * MLP__PAR_MIN) sq_part(&j, 0, n, 0);
    else mlp__parallel_for(n, j.block, MLP__PAR_MIN, sq_part, &j);
    double sum = 0.0;
    for (size_t b = 0; b < blocks; b++) sum += j.sums[b];
    return sum;
}

double MLP__T(mlp__mse)(const real *pred, const real *target, size_t n)
{
    return sum_sq(NULL, 0, pred, target, NULL, 1, n) / (double)n;
}

/* ---- mean squared error -------------------------------------------------------- */

static double mse_value(const real *a, const real *z, const real *t, const double *w, size_t n,
                        size_t k)
{
    (void)z;
    return sum_sq(NULL, 0, a, t, w, k, n * k) / (double)(n * k);
}

/* dL/da = 2 (a - t) / (of k), then back through the output activation. */
static double mse_delta(real *dz, const real *a, const real *z, const real *t, const double *w,
                        size_t n, size_t k, mlp_activation out_act, size_t of)
{
    const size_t nk = n * k;
    const double value = sum_sq(dz, (real)(2.0 / (double)(of * k)), a, t, w, k, nk) / (double)nk;
    MLP__T(mlp__activation_backward)(dz, dz, a, z, n, k, out_act);
    return value;
}

/* ---- binary cross-entropy, fused with the sigmoid ---------------------------------- */

/* -(t log σ(z) + (1 - t) log(1 - σ(z))) = max(z, 0) - z t + log1p(exp(-|z|)):
 * finite for every finite z, no log(0). */
static double bce_value(const real *a, const real *z, const real *t, const double *w, size_t n,
                        size_t k)
{
    (void)a;
    const size_t nk = n * k;
    double sum = 0.0;
    if (w != NULL) /* each row's loss times its weight */
        for (size_t i = 0; i < nk; i++)
            sum += (double)(fmax(z[i], (real)0) - z[i] * t[i] + log1p(exp(-fabs(z[i])))) *
                   w[i / k];
    else
        for (size_t i = 0; i < nk; i++)
            sum += (double)(fmax(z[i], (real)0) - z[i] * t[i] + log1p(exp(-fabs(z[i]))));
    return sum / (double)nk;
}

/* dL/dz = (σ(z) - t) / (of k). */
static double bce_delta(real *dz, const real *a, const real *z, const real *t, const double *w,
                        size_t n, size_t k, mlp_activation out_act, size_t of)
{
    (void)out_act;
    const size_t nk = n * k;
    const real scale = (real)(1.0 / (double)(of * k));
    if (w != NULL)
        for (size_t i = 0; i < nk; i++) dz[i] = (scale * (real)w[i / k]) * (a[i] - t[i]);
    else
        for (size_t i = 0; i < nk; i++) dz[i] = scale * (a[i] - t[i]);
    return bce_value(a, z, t, w, n, k);
}

/* ---- categorical cross-entropy, fused with the softmax ------------------------------ */

/* Σ_rows Σ_k t_k (logsumexp(z_row) - z_k) / n, the max shifted out of the exponentials. */
static double cce_value(const real *a, const real *z, const real *t, const double *w, size_t n,
                        size_t k)
{
    (void)a;
    double sum = 0.0;
    for (size_t r = 0; r < n; r++) {
        const real *zr = z + r * k, *tr = t + r * k;
        real m = zr[0], s = 0;
        for (size_t c = 1; c < k; c++) m = fmax(m, zr[c]);
        for (size_t c = 0; c < k; c++) s += exp(zr[c] - m);
        const real lse = m + log(s);
        if (w != NULL) /* the row's loss times its weight, term by term */
            for (size_t c = 0; c < k; c++) sum += (double)(tr[c] * (lse - zr[c])) * w[r];
        else
            for (size_t c = 0; c < k; c++) sum += (double)(tr[c] * (lse - zr[c]));
    }
    return sum / (double)n;
}

/* dL/dz_k = (p_k Σ_j t_j - t_k) / of, which is the familiar p - t for one-hot (or any
 * normalized) targets. */
static double cce_delta(real *dz, const real *a, const real *z, const real *t, const double *w,
                        size_t n, size_t k, mlp_activation out_act, size_t of)
{
    (void)out_act;
    const real scale = (real)(1.0 / (double)of);
    for (size_t r = 0; r < n; r++) {
        const real *tr = t + r * k, *ar = a + r * k;
        const real s = w != NULL ? scale * (real)w[r] : scale; /* scale · 1 is scale */
        real *dr = dz + r * k, tsum = 0;
        for (size_t c = 0; c < k; c++) tsum += tr[c];
        for (size_t c = 0; c < k; c++) dr[c] = s * (ar[c] * tsum - tr[c]);
    }
    return cce_value(a, z, t, w, n, k);
}

/* ---- the table ---------------------------------------------------------------------- */

static const MLP__T(mlp__loss_kind) kinds[] = {
    [MLP_LOSS_MSE] = {"mse", -1, 1, 0, 0, mse_value, mse_delta},
    /* a softmax over one node is 1 whatever its input: nothing to learn */
    [MLP_LOSS_BINARY_CROSSENTROPY] = {"binary_crossentropy", MLP_ACT_SIGMOID, 1, 1, 1, bce_value,
                                      bce_delta},
    [MLP_LOSS_CATEGORICAL_CROSSENTROPY] = {"categorical_crossentropy", MLP_ACT_SOFTMAX, 2, 1, 1,
                                           cce_value, cce_delta},
};
MLP__TABLE_COVERS(kinds, MLP_LOSS_CATEGORICAL_CROSSENTROPY);
static inline int listed(mlp_loss l)
{
    switch (l) {
    case MLP_LOSS_MSE: case MLP_LOSS_BINARY_CROSSENTROPY: case MLP_LOSS_CATEGORICAL_CROSSENTROPY:
        return 1;
    }
    return 0;
}

const MLP__T(mlp__loss_kind) *MLP__T(mlp__loss)(mlp_loss loss)
{
    const unsigned l = (unsigned)loss;
    return l < sizeof kinds / sizeof kinds[0] && kinds[l].name != NULL ? &kinds[l] : NULL;
}

/* The public calls, which take double: once, in the float64 build. */
#if !MLP__F32

mlp_status mlp_loss_error(double *err, const double *pred, const double *target, size_t n)
{
    MLP_CHECK_PTR(err);
    MLP_CHECK_PTR(pred);
    MLP_CHECK_PTR(target);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_loss_error: n is 0");
    for (size_t i = 0; i < n; i++) err[i] = pred[i] - target[i];
    return MLP_OK;
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
    const mlp__loss_kind *k = mlp__loss(loss);
    return k != NULL ? k->name : NULL;
}

mlp_status mlp_loss_from_name(mlp_loss *loss, const char *name)
{
    MLP_CHECK_PTR(loss);
    const int k = mlp__name_index(kinds, sizeof kinds / sizeof kinds[0], sizeof kinds[0], name, __func__, "loss");
    if (k < 0) return MLP_ERR_INVALID_ARG;
    *loss = (mlp_loss)k;
    return MLP_OK;
}

#endif
