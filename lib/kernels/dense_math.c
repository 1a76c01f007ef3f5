/* A dense layer's passes over arrays: the batched forward pass as one gemm plus one
 * vectorized pass, the backward pass as two gemms plus column sums, and plain SGD
 * fused into one gemm; for float64 and float32 from this one source
 * (lib/core/typed.h: dgemm or sgemm).
 *
 * gemm is the wrong tool in two corners, so they take other roads (the BLAS
 * path stays the reference: tests compare every road against plain loops):
 *  - one row (n == 1): a matrix-vector product, where a one-row gemm pays for
 *    packing it cannot amortize: gemv forward, gemv and an outer product back;
 *  - small layers (in * out <= SMALL_LAYER): every BLAS call costs tens of
 *    nanoseconds before any work, more than such a layer's whole product per
 *    row, so plain loops over rows do it (lib/kernels/small.h). */
#include "small.h"

static int small_layer(size_t in, size_t out) { return mlp__small_layer(in, out); }

/* Activations a small layer applies in its own loop: the piecewise-linear ones,
 * which cost a compare. */
static int cheap_activation(mlp_activation act)
{
    return (MLP__T(mlp__activation)(act)->flags & MLP__ACT_PIECEWISE) != 0;
}

/* The slope below zero of a piecewise-linear activation; 1 means none (identity). */
static real below_slope(mlp_activation act) { return (real)MLP__T(mlp__activation)(act)->below; }

/* z (n, out) = a_prev (n, in) · w (out, in)ᵀ + b by plain loops, with the
 * activation too when it is cheap. Returns 1 when the activation was applied. */
static int small_forward(real *z, const real *a_prev, const real *w, const real *b,
                         size_t n, size_t in, size_t out, mlp_activation act)
{
    const int fused = cheap_activation(act), rectified = fused && act != MLP_ACT_IDENTITY;
    const real neg = below_slope(act);
    for (size_t r = 0; r < n; r++)
        small_row(z + r * out, a_prev + r * in, w, b, in, out, rectified, neg);
    return fused;
}

void MLP__T(mlp__dense_forward)(real *a, real *z, const real *a_prev, const real *w,
                        const real *b, size_t n, size_t in, size_t out, mlp_activation act)
{
    /* a       (n, out) row-major, receives f(A_prev · Wᵀ + b)
     * z       (n, out) or NULL: receives A_prev · Wᵀ + b
     * a_prev  (n, in)  row-major
     * w       (out, in) row-major: row j is node j's incoming weights
     * b       (out) or NULL */
    real *dst = z != NULL ? z : a;
    if (small_layer(in, out)) {
        /* The bias goes in with the product; writing a directly, a cheap activation
         * too, and then the layer is done. */
        const int done = small_forward(dst, a_prev, w, b, n, in, out,
                                       z == NULL ? act : MLP_ACT_IDENTITY);
        if (done && z == NULL) return;
        b = NULL;
    } else if (n == 1) {
        MLP__BLAS(gemv)(CblasRowMajor, CblasNoTrans, (int)out, (int)in, 1, w, (int)in, a_prev, 1,
                    0, dst, 1);
    } else {
        MLP__BLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1,
                    a_prev, (int)in, w, (int)in, 0, dst, (int)out);
    }
    if (z == NULL) {
        MLP__T(mlp__bias_activate)(a, b, n, out, act);
    } else {
        MLP__T(mlp__bias_activate)(z, b, n, out, MLP_ACT_IDENTITY);
        memcpy(a, z, n * out * sizeof *a);
        MLP__T(mlp__bias_activate)(a, NULL, n, out, act);
    }
}

/* ---- the backward pass of a small layer ----------------------------------------------
 * dW and db are sums over the rows. The rows go in blocks of SMALL_ROWS: row r of a
 * block adds into lane r of each sum, the lanes are added in order, 0 to 7, and the
 * rows after the last whole block are added one by one after that. Every build
 * adds in this order (GCC's vector lanes, or the plain arrays of the reference),
 * so the sums depend neither on the CPU nor on the compiler. dA_prev has no sum
 * over rows: each of its rows is small_row's arithmetic. */

/* lane 0 + lane 1 + ... + lane 7 */
#define LANE_SUM(v, out)                                                               \
    do {                                                                               \
        real s_ = (v)[0];                                                            \
        for (size_t r_ = 1; r_ < SMALL_ROWS; r_++) s_ += (v)[r_];                       \
        (out) = s_;                                                                    \
    } while (0)

/* The reference: `blocks` whole blocks in plain arrays, lane by lane. */
static void small_blocks_reference(real *acc, real *bacc, real *da_prev, const real *dz,
                                   const real *a_prev, const real *w, size_t blocks,
                                   size_t in, size_t out)
{
    real vw[SMALL_LAYER][SMALL_ROWS], vb[SMALL_LAYER][SMALL_ROWS];
    for (size_t i = 0; i < in * out; i++)
        for (size_t r = 0; r < SMALL_ROWS; r++) vw[i][r] = 0;
    for (size_t j = 0; j < out; j++)
        for (size_t r = 0; r < SMALL_ROWS; r++) vb[j][r] = 0;
    for (size_t bl = 0; bl < blocks; bl++)
        for (size_t r = 0; r < SMALL_ROWS; r++) {
            const size_t row = bl * SMALL_ROWS + r;
            const real *dzr = dz + row * out, *ar = a_prev + row * in;
            for (size_t j = 0; j < out; j++) {
                vb[j][r] += dzr[j];
                for (size_t k = 0; k < in; k++) vw[j * in + k][r] += dzr[j] * ar[k];
            }
            if (da_prev != NULL)
                for (size_t k = 0; k < in; k++) {
                    real t = 0;
                    for (size_t j = 0; j < out; j++) t += dzr[j] * w[j * in + k];
                    da_prev[row * in + k] = t;
                }
        }
    for (size_t i = 0; i < in * out; i++) LANE_SUM(vw[i], acc[i]);
    for (size_t j = 0; j < out; j++) LANE_SUM(vb[j], bacc[j]);
}

#if HAVE_SMALL_BLOCK
/* The vector road of small_blocks_reference: the same additions, a lane a row. */
__attribute__((always_inline)) static inline void
small_blocks_body(real *acc, real *bacc, real *da_prev, const real *dz,
                  const real *a_prev, const real *w, size_t blocks, size_t in, size_t out)
{
    vrows vw[SMALL_LAYER], vb[SMALL_LAYER], dzc[SMALL_LAYER], ac[SMALL_LAYER], dac[SMALL_LAYER];
    const vrows zero = {0};
    for (size_t i = 0; i < in * out; i++) vw[i] = zero;
    for (size_t j = 0; j < out; j++) vb[j] = zero;
    for (size_t bl = 0; bl < blocks; bl++) {
        load_cols(dzc, dz + bl * SMALL_ROWS * out, out, 1);
        load_cols(ac, a_prev + bl * SMALL_ROWS * in, in, 1);
        for (size_t j = 0; j < out; j++) {
            vb[j] += dzc[j];
            for (size_t k = 0; k < in; k++) vw[j * in + k] += dzc[j] * ac[k];
        }
        if (da_prev != NULL) {
            for (size_t k = 0; k < in; k++) {
                vrows t = zero;
                for (size_t j = 0; j < out; j++) t += dzc[j] * w[j * in + k];
                dac[k] = t;
            }
            store_cols(da_prev + bl * SMALL_ROWS * in, dac, in, 1);
        }
    }
    for (size_t i = 0; i < in * out; i++) LANE_SUM(vw[i], acc[i]);
    for (size_t j = 0; j < out; j++) LANE_SUM(vb[j], bacc[j]);
}
/* dA_prev of whole blocks only (no sums over rows): small_row's arithmetic, lane by lane. */
__attribute__((always_inline)) static inline void
small_input_blocks_body(real *da_prev, const real *dz, const real *w, size_t blocks,
                        size_t in, size_t out)
{
    vrows dzc[SMALL_LAYER], dac[SMALL_LAYER];
    const vrows zero = {0};
    for (size_t bl = 0; bl < blocks; bl++) {
        load_cols(dzc, dz + bl * SMALL_ROWS * out, out, 1);
        for (size_t k = 0; k < in; k++) {
            vrows t = zero;
            for (size_t j = 0; j < out; j++) t += dzc[j] * w[j * in + k];
            dac[k] = t;
        }
        store_cols(da_prev + bl * SMALL_ROWS * in, dac, in, 1);
    }
}

ISA_WRAPPERS(small_input_blocks,
             (real *da_prev, const real *dz, const real *w, size_t blocks, size_t in,
              size_t out),
             (da_prev, dz, w, blocks, in, out))

ISA_WRAPPERS(small_blocks,
             (real *acc, real *bacc, real *da_prev, const real *dz, const real *a_prev,
              const real *w, size_t blocks, size_t in, size_t out),
             (acc, bacc, da_prev, dz, a_prev, w, blocks, in, out))
#endif

#if defined(__GNUC__) && !defined(__clang__)
/* Trip counts of a few units (a small layer's in and out): vectorizing them only
 * adds prologues to every row. */
__attribute__((optimize("no-tree-vectorize")))
#endif
static void small_backward_road(real *dw, real *db, real *da_prev, const real *dz,
                                const real *a_prev, const real *w, size_t n, size_t in,
                                size_t out, int reference)
{
    if (n == 1) { /* one row: dW is the outer product, db the row itself */
        for (size_t j = 0; j < out; j++) {
            if (db != NULL) db[j] = dz[j];
            for (size_t k = 0; k < in; k++) dw[j * in + k] = dz[j] * a_prev[k];
        }
        if (da_prev != NULL)
            for (size_t k = 0; k < in; k++) {
                real s = 0;
                for (size_t j = 0; j < out; j++) s += dz[j] * w[j * in + k];
                da_prev[k] = s;
            }
        return;
    }
    /* dW and db into local blocks the compiler can keep close: in * out <= SMALL_LAYER */
    real acc[SMALL_LAYER], bacc[SMALL_LAYER];
    const size_t blocks = n / SMALL_ROWS;
    if (blocks == 0) {
        for (size_t i = 0; i < in * out; i++) acc[i] = 0;
        for (size_t j = 0; j < out; j++) bacc[j] = 0;
    } else {
#if HAVE_SMALL_BLOCK
        if (!reference) small_blocks(acc, bacc, da_prev, dz, a_prev, w, blocks, in, out);
        else
#endif
            small_blocks_reference(acc, bacc, da_prev, dz, a_prev, w, blocks, in, out);
    }
    (void)reference;
    for (size_t r = blocks * SMALL_ROWS; r < n; r++) {
        const real *dzr = dz + r * out, *ar = a_prev + r * in;
        for (size_t j = 0; j < out; j++) {
            bacc[j] += dzr[j];
            for (size_t k = 0; k < in; k++) acc[j * in + k] += dzr[j] * ar[k];
        }
        if (da_prev != NULL) {
            real *dar = da_prev + r * in;
            for (size_t k = 0; k < in; k++) {
                real s = 0;
                for (size_t j = 0; j < out; j++) s += dzr[j] * w[j * in + k];
                dar[k] = s;
            }
        }
    }
    memcpy(dw, acc, in * out * sizeof *dw);
    if (db != NULL) memcpy(db, bacc, out * sizeof *db);
}

static void small_backward(real *dw, real *db, real *da_prev, const real *dz,
                           const real *a_prev, const real *w, size_t n, size_t in,
                           size_t out)
{
    small_backward_road(dw, db, da_prev, dz, a_prev, w, n, in, out, 0);
}

void MLP__T(mlp__small_backward_reference)(real *dw, real *db, real *da_prev, const real *dz,
                                   const real *a_prev, const real *w, size_t n, size_t in,
                                   size_t out)
{
    small_backward_road(dw, db, da_prev, dz, a_prev, w, n, in, out, 1);
}

/* db (out) = the column sums of dz (n, out): each column summed down its rows in
 * order, whichever thread sums it, so the sums do not depend on the thread count. */
typedef struct sums_job {
    real *db;
    const real *dz;
    size_t n, out;
} sums_job;

MLP__CLONES
static void column_sums_part(void *ctx, size_t c0, size_t c1, size_t part)
{
    (void)part;
    const sums_job *j = ctx;
    real *db = j->db;
    for (size_t c = c0; c < c1; c++) db[c] = 0;
    for (size_t r = 0; r < j->n; r++) {
        const real *row = j->dz + r * j->out;
        for (size_t c = c0; c < c1; c++) db[c] += row[c];
    }
}

static void column_sums(real *db, const real *dz, size_t n, size_t out)
{
    sums_job j = {db, dz, n, out};
    /* parts of 8 columns (a cache line of db) or more, MLP__PAR_MIN values at least */
    if (n * out < 2 * MLP__PAR_MIN || out < 16) column_sums_part(&j, 0, out, 0);
    else mlp__parallel_for(out, 8, (MLP__PAR_MIN + n - 1) / n, column_sums_part, &j);
}

void MLP__T(mlp__dense_backward)(real *dw, real *db, real *da_prev, const real *dz,
                         const real *a_prev, const real *w, size_t n, size_t in,
                         size_t out)
{
    /* dw       (out, in)  = dzᵀ · a_prev
     * db       (out)      = Σ_rows dz, or NULL
     * da_prev  (n, in)    = dz · w, or NULL (first layer: nobody needs it)
     * dz       (n, out)
     * a_prev   (n, in)
     * w        (out, in) */
    if (small_layer(in, out)) {
        small_backward(dw, db, da_prev, dz, a_prev, w, n, in, out);
        return;
    }
    if (db != NULL) column_sums(db, dz, n, out);
    if (n == 1) { /* dW is the outer product dz ⊗ a_prev */
        for (size_t j = 0; j < out; j++)
            for (size_t k = 0; k < in; k++) dw[j * in + k] = dz[j] * a_prev[k];
    } else {
        MLP__BLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1, dz,
                    (int)out, a_prev, (int)in, 0, dw, (int)in);
    }
    if (da_prev == NULL) return;
    if (n == 1)
        MLP__BLAS(gemv)(CblasRowMajor, CblasTrans, (int)out, (int)in, 1, w, (int)in, dz, 1, 0,
                    da_prev, 1);
    else
        MLP__BLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1, dz,
                    (int)out, w, (int)in, 0, da_prev, (int)in);
}

NO_VECTORIZE /* the rows below a block: loops of a few trips */
void MLP__T(mlp__dense_backward_input)(real *da_prev, const real *dz, const real *w, size_t n,
                               size_t in, size_t out)
{
    /* da_prev (n, in) = dz (n, out) · w (out, in) */
    if (small_layer(in, out)) {
        size_t r = 0;
#if HAVE_SMALL_BLOCK
        if (n >= SMALL_ROWS) { /* whole blocks in vector lanes, the same bits */
            small_input_blocks(da_prev, dz, w, n / SMALL_ROWS, in, out);
            r = n / SMALL_ROWS * SMALL_ROWS;
        }
#endif
        for (; r < n; r++)
            for (size_t k = 0; k < in; k++) {
                real s = 0;
                for (size_t j = 0; j < out; j++) s += dz[r * out + j] * w[j * in + k];
                da_prev[r * in + k] = s;
            }
    } else if (n == 1) {
        MLP__BLAS(gemv)(CblasRowMajor, CblasTrans, (int)out, (int)in, 1, w, (int)in, dz, 1, 0,
                    da_prev, 1);
    } else {
        MLP__BLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1, dz,
                    (int)out, w, (int)in, 0, da_prev, (int)in);
    }
}

/* One row of a small layer: each gradient entry dz_j·a_k, rounded as small_backward
 * stores it, goes straight into its weight: the same bits as the road through
 * scratch, without the gradient's pass there and back, nor vector prologues for
 * rows of a few values. */
NO_VECTORIZE
void MLP__T(mlp__dense_sgd_one_row)(real *w, real *b, const real *dz, const real *a_prev,
                            size_t in, size_t out, real lr, real decay)
{
    for (size_t j = 0; j < out; j++) {
        const real d = dz[j];
        real *wj = w + j * in;
        for (size_t k = 0; k < in; k++) wj[k] = decay * wj[k] - lr * (d * a_prev[k]);
        if (b != NULL) b[j] -= lr * d;
    }
}

void MLP__T(mlp__dense_sgd)(real *w, real *b, const real *dz, const real *a_prev, size_t n,
                    size_t in, size_t out, real lr, real decay, real *scratch)
{
    /* w (out, in) = decay · w - lr · dzᵀ · a_prev; b (out) -= lr · Σ_rows dz.
     * dz (n, out), a_prev (n, in); scratch holds in * out + out values. */
    const size_t cells = in * out;
    if (n == 1 && small_layer(in, out)) {
        MLP__T(mlp__dense_sgd_one_row)(w, b, dz, a_prev, in, out, lr, decay);
        return;
    }
    if (small_layer(in, out)) {
        real *dw = scratch, *db = scratch + cells;
        small_backward(dw, b != NULL ? db : NULL, NULL, dz, a_prev, NULL, n, in, out);
        for (size_t i = 0; i < cells; i++) w[i] = decay * w[i] - lr * dw[i];
        if (b != NULL)
            for (size_t j = 0; j < out; j++) b[j] -= lr * db[j];
        return;
    }
    if (n == 1) { /* a rank-one update: dger, after the decay if any */
        /* a layer may hold more than INT_MAX weights, BLAS counts in int: in pieces */
        for (size_t i = 0; decay != 1 && i < cells; i += MLP_MAX_DIM) {
            const size_t m = cells - i < MLP_MAX_DIM ? cells - i : MLP_MAX_DIM;
            MLP__BLAS(scal)((int)m, decay, w + i, 1);
        }
        MLP__BLAS(ger)(CblasRowMajor, (int)out, (int)in, -lr, dz, 1, a_prev, 1, w, (int)in);
        if (b != NULL)
            for (size_t j = 0; j < out; j++) b[j] -= lr * dz[j];
        return;
    }
    /* The gradient is never stored: one gemm adds -lr dzᵀ a_prev to decay · w,
     * with no pass to zero a gradient and none to apply it. */
    MLP__BLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, -lr, dz,
                (int)out, a_prev, (int)in, decay, w, (int)in);
    if (b != NULL) {
        real *db = scratch + cells;
        column_sums(db, dz, n, out);
        for (size_t j = 0; j < out; j++) b[j] -= lr * db[j];
    }
}

