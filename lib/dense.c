/* One dense layer: the batched forward pass as one dgemm plus one vectorized pass,
 * and the backward pass as two dgemms plus column sums. */
#include <string.h>

#include "mlp_internal.h"

void mlp__dense_forward(double *a, double *z, const double *a_prev, const double *w,
                        const double *b, size_t n, size_t in, size_t out, mlp_activation act)
{
    /* a       (n, out) row-major, receives f(A_prev · Wᵀ + b)
     * z       (n, out) or NULL: receives A_prev · Wᵀ + b
     * a_prev  (n, in)  row-major
     * w       (out, in) row-major: row j is node j's incoming weights
     * b       (out) or NULL */
    double *dst = z != NULL ? z : a;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1.0, a_prev,
                (int)in, w, (int)in, 0.0, dst, (int)out);
    if (z == NULL) {
        mlp__bias_activate(a, b, n, out, act);
    } else {
        mlp__bias_activate(z, b, n, out, MLP_ACT_IDENTITY);
        memcpy(a, z, n * out * sizeof *a);
        mlp__bias_activate(a, NULL, n, out, act);
    }
}

void mlp__dense_backward(double *dw, double *db, double *da_prev, const double *dz,
                         const double *a_prev, const double *w, size_t n, size_t in,
                         size_t out)
{
    /* dw       (out, in)  = dzᵀ · a_prev
     * db       (out)      = Σ_rows dz, or NULL
     * da_prev  (n, in)    = dz · w, or NULL (first layer: nobody needs it)
     * dz       (n, out)
     * a_prev   (n, in)
     * w        (out, in) */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1.0, dz,
                (int)out, a_prev, (int)in, 0.0, dw, (int)in);
    if (db != NULL) {
        memset(db, 0, out * sizeof *db);
        for (size_t r = 0; r < n; r++) {
            const double *row = dz + r * out;
            for (size_t j = 0; j < out; j++) db[j] += row[j];
        }
    }
    if (da_prev != NULL)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1.0, dz,
                    (int)out, w, (int)in, 0.0, da_prev, (int)in);
}
