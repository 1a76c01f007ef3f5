/* One dense layer: the batched forward pass as one dgemm plus one vectorized pass. */
#include "mlp_internal.h"

void mlp__dense_forward(double *a, const double *a_prev, const double *w, const double *b,
                        size_t n, size_t in, size_t out, mlp_activation act)
{
    /* a       (n, out) row-major, receives f(A_prev · Wᵀ + b)
     * a_prev  (n, in)  row-major
     * w       (out, in) row-major: row j is node j's incoming weights
     * b       (out) or NULL */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1.0, a_prev,
                (int)in, w, (int)in, 0.0, a, (int)out);
    mlp__bias_activate(a, b, n, out, act);
}
