/* Checks the CBLAS dgemm this process gets (OpenBLAS reads OPENBLAS_CORETYPE at
 * start-up) against a plain triple loop on many shapes, including the transposed
 * forms libmlp uses. Exit 0 when every result matches to 1e-12 relative; a kernel
 * the CPU cannot run dies of SIGILL here, in this process, not in the benchmark. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cblas.h>

int main(void)
{
    uint64_t s = 12345;
    double worst = 0;
    for (int trial = 0; trial < 300; trial++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const int m = 1 + (int)(s >> 33) % 97, n = 1 + (int)(s >> 43) % 89, k = 1 + (int)(s >> 53) % 83;
        const int ta = trial % 2, tb = (trial / 2) % 2;
        double *a = malloc(sizeof(double) * (size_t)(m * k)), *b = malloc(sizeof(double) * (size_t)(k * n));
        double *c = malloc(sizeof(double) * (size_t)(m * n));
        for (int i = 0; i < m * k; i++) a[i] = sin(i * 0.37 + trial);
        for (int i = 0; i < k * n; i++) b[i] = cos(i * 0.11 - trial);
        cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0, a, ta ? m : k, b, tb ? k : n, 0.0, c, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double ref = 0, mag = 0;
                for (int p = 0; p < k; p++) {
                    const double x = ta ? a[p * m + i] : a[i * k + p];
                    const double y = tb ? b[j * k + p] : b[p * n + j];
                    ref += x * y;
                    mag += fabs(x * y);
                }
                const double err = fabs(c[i * n + j] - ref) / fmax(mag, 1e-300);
                if (err > worst) worst = err;
            }
        free(a);
        free(b);
        free(c);
    }
    printf("dgemm self-check: 300 shapes, largest relative error %.2g\n", worst);
    return worst < 1e-12 ? 0 : 1;
}
