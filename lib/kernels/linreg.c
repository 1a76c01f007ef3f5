/* Closed-form least squares through LAPACKE: the exact answer gradient descent
 * on a linear model should reach. */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "kernels.h"

mlp_status mlp_linreg(double *coef, double *intercept, const double *x, const double *y,
                      size_t n, size_t d)
{
    MLP_CHECK_PTR(coef);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(y);
    MLP_CHECK(n > 0 && n <= MLP_MAX_DIM && d > 0 && d < MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_linreg: n is %zu and d is %zu, both must be 1 to %zu", n, d, MLP_MAX_DIM - 1);
    const size_t cols = d + (intercept != NULL);
    MLP_CHECK(n >= cols, MLP_ERR_SHAPE,
              "mlp_linreg: %zu rows cannot determine %zu coefficients", n, cols);
    size_t cells;
    MLP_CHECK(mlp__mul_ok(n, cols, SIZE_MAX / sizeof(double) - n, &cells), MLP_ERR_NOMEM,
              "mlp_linreg: %zu x %zu overflows", n, cols);
    MLP_CHECK(mlp__all_finite(x, n * d) && mlp__all_finite(y, n), MLP_ERR_NUMERIC,
              "mlp_linreg: NaN or infinity in the data");

    /* a: (n, cols) row-major, X with a column of ones for the intercept; b: y. */
    double *a = malloc((cells + n) * sizeof *a);
    MLP_CHECK(a != NULL, MLP_ERR_NOMEM, "mlp_linreg: cannot allocate %zu x %zu", n, cols);
    double *b = a + cells;
    for (size_t i = 0; i < n; i++) {
        memcpy(a + i * cols, x + i * d, d * sizeof *a);
        if (cols > d) a[i * cols + d] = 1.0;
    }
    memcpy(b, y, n * sizeof *b);
    lapack_int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)n, (lapack_int)cols, 1, a,
                                    (lapack_int)cols, b, 1);
    if (info != 0) {
        free(a);
        return mlp__fail(info > 0 ? MLP_ERR_NUMERIC : MLP_ERR_INVALID_ARG,
                         "mlp_linreg: LAPACKE_dgels info %d%s", (int)info,
                         info > 0 ? " (the columns of X are linearly dependent)" : "");
    }
    /* dgels reports only an exactly zero pivot; a numerically singular X gives a
     * finite but meaningless answer. R sits in a's upper triangle: refuse when its
     * reciprocal condition number is at the rounding level. */
    double rcond = 0.0;
    info = LAPACKE_dtrcon(LAPACK_ROW_MAJOR, '1', 'U', 'N', (lapack_int)cols, a, (lapack_int)cols,
                          &rcond);
    if (info != 0 || !(rcond > (double)cols * DBL_EPSILON)) {
        free(a);
        return mlp__fail(MLP_ERR_NUMERIC,
                         "mlp_linreg: X is rank-deficient (reciprocal condition number %.3g)",
                         rcond);
    }
    memcpy(coef, b, d * sizeof *coef);
    if (intercept != NULL) *intercept = b[d];
    free(a);
    return MLP_OK;
}
