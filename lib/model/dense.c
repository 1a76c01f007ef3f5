/* One dense layer: the batched forward pass as one dgemm plus one vectorized pass,
 * and the backward pass as two dgemms plus column sums.
 *
 * dgemm is the wrong tool in two corners, so they take other roads (the BLAS
 * path stays the reference: tests compare every road against plain loops):
 *  - one row (n == 1): a matrix-vector product, where a one-row dgemm pays for
 *    packing it cannot amortize: dgemv forward, dgemv and an outer product back;
 *  - small layers (in * out <= SMALL_LAYER): every BLAS call costs tens of
 *    nanoseconds before any work, more than such a layer's whole product per
 *    row, so plain loops over rows do it. */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "model.h"

#define SMALL_LAYER MLP__SMALL_LAYER

static int small_layer(size_t in, size_t out) { return mlp__small_layer(in, out); }

/* Activations a small layer applies in its own loop: the piecewise-linear ones,
 * which cost a compare. */
static int cheap_activation(mlp_activation act)
{
    return (mlp__activation(act)->flags & MLP__ACT_PIECEWISE) != 0;
}

/* The slope below zero of a piecewise-linear activation; 1 means none (identity). */
static double below_slope(mlp_activation act) { return mlp__activation(act)->below; }

/* max(s, 0) for relu (neg 0), s or neg * s for leaky relu, as a select rather than
 * a branch: a branch on the sign of data mispredicts half the time. s < 0 is false
 * for NaN, which passes through as Python's max keeps it; + 0.0 makes relu of a
 * negative +0, not -0; relu's 0 is not 0 * s, which is NaN for s = -inf. */
static inline double rectify(double s, double neg)
{
    const double below = neg != 0.0 ? neg * s + 0.0 : 0.0; /* neg is the layer's: no mispredict */
#if defined(__SSE2__)
    const __m128d vs = _mm_set_sd(s), m = _mm_cmplt_sd(vs, _mm_setzero_pd());
    return _mm_cvtsd_f64(_mm_or_pd(_mm_and_pd(m, _mm_set_sd(below)), _mm_andnot_pd(m, vs)));
#else
    uint64_t keep, take;
    memcpy(&keep, &s, sizeof keep);
    memcpy(&take, &below, sizeof take);
    const uint64_t mask = -(uint64_t)(s < 0.0), bits = (take & mask) | (keep & ~mask);
    double r;
    memcpy(&r, &bits, sizeof r);
    return r;
#endif
}

/* One row of a small layer: zr (out) = f(x (in) · w (out, in)ᵀ + b), with f the
 * identity (rectified == 0) or rectify(., neg). */
static inline void small_row(double *zr, const double *x, const double *w, const double *b,
                             size_t in, size_t out, int rectified, double neg)
{
    for (size_t j = 0; j < out; j++) {
        const double *wj = w + j * in;
        double s = b != NULL ? b[j] : 0.0;
        switch (in) { /* the same sums in the same order, unrolled for the smallest */
        case 1: s += x[0] * wj[0]; break;
        case 2: s += x[0] * wj[0]; s += x[1] * wj[1]; break;
        case 3: s += x[0] * wj[0]; s += x[1] * wj[1]; s += x[2] * wj[2]; break;
        default:
            for (size_t k = 0; k < in; k++) s += x[k] * wj[k];
        }
        zr[j] = rectified ? rectify(s, neg) : s;
    }
}

/* z (n, out) = a_prev (n, in) · w (out, in)ᵀ + b by plain loops, with the
 * activation too when it is cheap. Returns 1 when the activation was applied. */
static int small_forward(double *z, const double *a_prev, const double *w, const double *b,
                         size_t n, size_t in, size_t out, mlp_activation act)
{
    const int fused = cheap_activation(act), rectified = fused && act != MLP_ACT_IDENTITY;
    const double neg = below_slope(act);
    for (size_t r = 0; r < n; r++)
        small_row(z + r * out, a_prev + r * in, w, b, in, out, rectified, neg);
    return fused;
}

/* Rows r0..r1 of a small network through plain loops, one row at a time: the
 * reference the vector road below must match bit for bit. */
#if defined(__GNUC__) && !defined(__clang__)
/* Loops of two or three trips: vectorized versions only add prologues (measured with
 * callgrind: 253 instructions per tiny prediction with them, fewer without). */
#define NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define NO_VECTORIZE
#endif
__attribute__((always_inline)) static inline void small_net_scalar(const mlp_net *net,
                                                                  mlp_workspace *ws,
                                                                  const double *x, size_t r0,
                                                                  size_t r1)
{
    /* Layer after layer as mlp__forward does, without a call per layer: for a
     * network this small the calls cost as much as the arithmetic. */
    const double *prev = x + r0 * net->n_inputs;
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        const double *w = net->params + L->w_off, *b = L->has_bias ? net->params + L->b_off : NULL;
        const int rectified = L->act != MLP_ACT_IDENTITY;
        const double neg = L->ak->below;
        double *a = ws->act[l] + r0 * L->out;
        for (size_t r = 0; r < r1 - r0; r++)
            small_row(a + r * L->out, prev + r * L->in, w, b, L->in, L->out, rectified, neg);
        prev = a;
    }
}

NO_VECTORIZE
void mlp__small_net_rows_scalar(const mlp_net *net, mlp_workspace *ws, const double *x, size_t r0,
                                size_t r1)
{
    small_net_scalar(net, ws, x, r0, r1);
}

/* The vector road: SMALL_ROWS rows at once, each value in a lane of its own, so a
 * row's arithmetic is small_row's, operation for operation (the library is built
 * without contraction into fused multiply-adds): the same bits. The block's rows
 * are turned into columns once, then every layer runs on columns, kept in two
 * local arrays, and each layer's values are written back row by row into the
 * workspace. Each vector function is built three times, for AVX-512, AVX2 and the
 * baseline (an always-inline body under wrappers with target attributes), and the
 * call picks the best the CPU runs (a load and a test: libgcc's CPU model). */
enum { SMALL_ROWS = MLP__SMALL_BLOCK };

#if defined(__GNUC__)
/* A block's values of one node: GCC's vector extension, which GCC lowers to one
 * AVX-512 register, two AVX2 ones or four SSE2 ones as the build of the function allows. */
typedef double vrows __attribute__((vector_size(SMALL_ROWS * sizeof(double))));
typedef long long vmask __attribute__((vector_size(SMALL_ROWS * sizeof(long long))));
/* The same vector at any double's address: rows are read and written in place,
 * not through a local copy (which GCC keeps in memory, a store more per vector). */
typedef double vrows_at __attribute__((vector_size(SMALL_ROWS * sizeof(double)), aligned(8),
                                        may_alias));

/* Two vectors' even lanes and odd lanes; and their lanes interleaved, low and high half */
#if defined(__clang__)
#define EVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define ODD(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
#define ZIP_LO(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define ZIP_HI(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#else
#define EVEN(a, b) __builtin_shuffle(a, b, (vmask){0, 2, 4, 6, 8, 10, 12, 14})
#define ODD(a, b) __builtin_shuffle(a, b, (vmask){1, 3, 5, 7, 9, 11, 13, 15})
#define ZIP_LO(a, b) __builtin_shuffle(a, b, (vmask){0, 8, 1, 9, 2, 10, 3, 11})
#define ZIP_HI(a, b) __builtin_shuffle(a, b, (vmask){4, 12, 5, 13, 6, 14, 7, 15})
#endif

/* Rows r0.. r0 + 7 of m (rows of `width`) into width vectors c[0], c[step], ...,
 * and back. */
__attribute__((always_inline)) static inline void load_cols(vrows *c, const double *m, size_t width,
                                                            size_t step)
{
    if (width == 1) {
        c[0] = *(const vrows_at *)m;
    } else if (width == 2) {
        const vrows v0 = *(const vrows_at *)m, v1 = *(const vrows_at *)(m + SMALL_ROWS);
        c[0] = EVEN(v0, v1);
        c[step] = ODD(v0, v1);
    } else {
        for (size_t k = 0; k < width; k++)
            for (size_t r = 0; r < SMALL_ROWS; r++) c[k * step][r] = m[r * width + k];
    }
}

__attribute__((always_inline)) static inline void store_cols(double *m, const vrows *c, size_t width,
                                                             size_t step)
{
    if (width == 1) {
        *(vrows_at *)m = c[0];
    } else if (width == 2) {
        *(vrows_at *)m = ZIP_LO(c[0], c[step]);
        *(vrows_at *)(m + SMALL_ROWS) = ZIP_HI(c[0], c[step]);
    } else {
        for (size_t r = 0; r < SMALL_ROWS; r++)
            for (size_t k = 0; k < width; k++) m[r * width + k] = c[k * step][r];
    }
}

/* rectify() lane by lane. With AVX-512 (whole != 0) in one comparison of 8 lanes;
 * without, in halves of 4 lanes: a comparison of 8 doubles has no AVX2
 * instruction, and GCC would do it one lane at a time. (Halves on AVX-512 would
 * cost a store-forwarding stall: two 32-byte stores read back as one 64-byte
 * load, measured at 30 % of the tiny network's forward pass.) */
typedef double vhalf __attribute__((vector_size(SMALL_ROWS / 2 * sizeof(double))));
typedef long long vhmask __attribute__((vector_size(SMALL_ROWS / 2 * sizeof(long long))));

__attribute__((always_inline)) static inline void rectify_lanes(vrows *acc, double neg, int whole)
{
    if (whole) {
        const vrows v = *acc, zero = {0};
        const vmask below = v < zero;
        const vrows lo = neg != 0.0 ? neg * v + 0.0 : zero;
        *acc = (vrows)(((vmask)lo & below) | ((vmask)v & ~below));
        return;
    }
    union {
        vrows all;
        vhalf half[2];
    } u = {*acc};
    const vhalf zero = {0};
    for (int h = 0; h < 2; h++) {
        const vhalf v = u.half[h];
        const vhmask below = v < zero;
        const vhalf lo = neg != 0.0 ? neg * v + 0.0 : zero;
        u.half[h] = (vhalf)(((vhmask)lo & below) | ((vhmask)v & ~below));
    }
    *acc = u.all;
}

/* One layer on a tile of t blocks of rows, layer by layer rather than block by
 * block, so that a node's weights stay in registers across the tile: node j of
 * block i is dst[j·t + i] = f(b_j + Σ_k src[k·t + i]·w_jk), summed in small_row's
 * order. The k loop is unrolled for the narrowest layers (a loop of one to four
 * trips costs more in its control than in its arithmetic). */
__attribute__((always_inline)) static inline void
layer_tile(vrows *dst, const vrows *src, size_t t, const double *w, const double *b, size_t in,
           size_t out, int rectified, double neg, int whole)
{
    const vrows zero = {0};
    for (size_t j = 0; j < out; j++) {
        const double *wj = w + j * in;
        const vrows bias = zero + (b != NULL ? b[j] : 0.0);
        vrows *d = dst + j * t;
#define TILE_LOOP(SUM)                                                                  \
    for (size_t i = 0; i < t; i++) {                                                    \
        vrows acc = bias;                                                               \
        SUM;                                                                            \
        if (rectified) rectify_lanes(&acc, neg, whole);                                 \
        d[i] = acc;                                                                     \
    }
        switch (in) {
        case 1: {
            const double w0 = wj[0];
            TILE_LOOP(acc += src[i] * w0)
            break;
        }
        case 2: {
            const double w0 = wj[0], w1 = wj[1];
            TILE_LOOP(acc += src[i] * w0; acc += src[t + i] * w1)
            break;
        }
        case 3: {
            const double w0 = wj[0], w1 = wj[1], w2 = wj[2];
            TILE_LOOP(acc += src[i] * w0; acc += src[t + i] * w1; acc += src[2 * t + i] * w2)
            break;
        }
        case 4: {
            const double w0 = wj[0], w1 = wj[1], w2 = wj[2], w3 = wj[3];
            TILE_LOOP(acc += src[i] * w0; acc += src[t + i] * w1; acc += src[2 * t + i] * w2;
                      acc += src[3 * t + i] * w3)
            break;
        }
        default:
            TILE_LOOP(for (size_t k = 0; k < in; k++) acc += src[k * t + i] * wj[k])
        }
#undef TILE_LOOP
    }
}

/* t blocks of rows from row r through every layer, in columns: two arrays of at least
 * t times the widest layer's vectors, one a layer's input, the other its output, in
 * turn; each layer's values stored back row by row into the workspace, the output's
 * into y as well unless y is NULL. */
__attribute__((always_inline)) static inline void
tile_through_layers(const mlp_net *net, mlp_workspace *ws, const double *x, double *y, size_t r,
                    size_t t, vrows *in_cols, vrows *out_cols, int whole)
{
    const size_t in0 = net->n_inputs, n_layers = net->n_layers;
    for (size_t i = 0; i < t; i++)
        load_cols(in_cols + i, x + (r + i * SMALL_ROWS) * in0, in0, t);
    for (size_t l = 0; l < n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        const double *w = net->params + L->w_off;
        const double *b = L->has_bias ? net->params + L->b_off : NULL;
        const size_t out = L->out;
        layer_tile(out_cols, in_cols, t, w, b, L->in, out, L->act != MLP_ACT_IDENTITY,
                   L->ak->below, whole);
        vrows *done = out_cols;
        out_cols = in_cols;
        in_cols = done;
        double *a = ws->act[l] + r * out;
        for (size_t i = 0; i < t; i++)
            store_cols(a + i * SMALL_ROWS * out, done + i, out, t);
        if (y != NULL && l + 1 == n_layers) /* the output, where the caller wants it */
            for (size_t i = 0; i < t; i++)
                store_cols(y + (r + i * SMALL_ROWS) * out, done + i, out, t);
    }
}

/* One block of rows: a tile of one in arrays of one block, without the tile's set-up,
 * which for a single block costs more than it saves (measured: 46 against 64 ns
 * for 8 rows of the tiny network). */
__attribute__((always_inline)) static inline void one_block(const mlp_net *net, mlp_workspace *ws,
                                                            const double *x, double *y, size_t r,
                                                            int whole)
{
    vrows cols[2][SMALL_LAYER];
    tile_through_layers(net, ws, x, y, r, 1, cols[0], cols[1], whole);
}

/* A tile's columns: at most TILE_VECS vectors (8 KiB) in each of two local arrays. */
enum { TILE_VECS = 128, TILE_BLOCKS = 64 };
_Static_assert(SMALL_LAYER <= TILE_VECS, "a tile holds one block of the widest small layer");

/* Rows r0 .. r1 (whole blocks of SMALL_ROWS) through every layer, a tile of blocks
 * at a time: the tile's rows turned into columns once, every layer run on columns
 * kept in two local arrays, each layer's values written back row by row into the
 * workspace. */
__attribute__((always_inline)) static inline void
small_net_blocks_body(const mlp_net *net, mlp_workspace *ws, const double *x, double *y,
                      size_t r0, size_t r1)
{
#if defined(__x86_64__)
    /* a CPU with AVX-512F runs the AVX-512 build of this body (ISA_WRAPPERS) */
    const int whole = __builtin_cpu_supports("avx512f");
#else
    const int whole = 0;
#endif
    if (r1 - r0 < 2 * SMALL_ROWS) {
        if (r1 - r0 >= SMALL_ROWS) one_block(net, ws, x, y, r0, whole);
        return;
    }
    vrows cols[2][TILE_VECS]; /* a layer's input and output: node by node, block by block */
    size_t widest = net->n_inputs;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].out > widest) widest = net->layers[l].out;
    /* the most blocks, a power of two, whose columns fit (widest <= SMALL_LAYER <=
     * TILE_VECS, so at least one); halving, not a division, which costs as much as a
     * block of the tiny network */
    size_t tile = TILE_BLOCKS;
    while (tile > 1 && tile * widest > TILE_VECS) tile /= 2;
    for (size_t r = r0; r + SMALL_ROWS <= r1;) {
        size_t t = (r1 - r) / SMALL_ROWS;
        if (t > tile) t = tile;
        tile_through_layers(net, ws, x, y, r, t, cols[0], cols[1], whole);
        r += t * SMALL_ROWS;
    }
}
#define HAVE_SMALL_BLOCK 1

/* Which build of the vector functions this CPU runs: 2 AVX-512, 1 AVX2, 0 baseline. */
#if defined(__x86_64__)
#define ISA_WRAPPERS(name, params, args)                                                \
    __attribute__((target("avx512f"))) static void name##_avx512 params { name##_body args; } \
    __attribute__((target("avx2"))) static void name##_avx2 params { name##_body args; }     \
    static void name params                                                              \
    {                                                                                    \
        if (__builtin_cpu_supports("avx512f")) name##_avx512 args;                       \
        else if (__builtin_cpu_supports("avx2")) name##_avx2 args;                       \
        else name##_body args;                                                           \
    }
#else
#define ISA_WRAPPERS(name, params, args)                                                \
    static void name params { name##_body args; }
#endif

ISA_WRAPPERS(small_net_blocks,
             (const mlp_net *net, mlp_workspace *ws, const double *x, double *y, size_t r0,
              size_t r1),
             (net, ws, x, y, r0, r1))
#else
#define HAVE_SMALL_BLOCK 0
#endif

/* Rows r0..r1 one at a time, their output copied to y (when not NULL) as well. */
__attribute__((always_inline)) static inline void small_net_tail(const mlp_net *net,
                                                                mlp_workspace *ws,
                                                                const double *x, double *y,
                                                                size_t r0, size_t r1)
{
    small_net_scalar(net, ws, x, r0, r1);
    if (y == NULL) return;
    const size_t out = net->layers[net->n_layers - 1].out;
    const double *last = ws->act[net->n_layers - 1];
    /* a few values: a loop, not a call into libc */
    for (size_t i = r0 * out; i < r1 * out; i++) y[i] = last[i];
}

typedef struct small_job {
    const mlp_net *net;
    mlp_workspace *ws;
    const double *x;
    double *y;
} small_job;

NO_VECTORIZE
static void small_net_rows(void *ctx, size_t r0, size_t r1, size_t part)
{
    (void)part;
    const small_job *j = ctx;
    size_t r = r0;
#if HAVE_SMALL_BLOCK
    small_net_blocks(j->net, j->ws, j->x, j->y, r, r1);
    r += (r1 - r) / SMALL_ROWS * SMALL_ROWS;
#endif
    if (r < r1) small_net_tail(j->net, j->ws, j->x, j->y, r, r1);
}

__attribute__((always_inline)) static inline void small_net_into(const mlp_net *net,
                                                                mlp_workspace *ws,
                                                                const double *x, size_t n,
                                                                double *y)
{
    if (n < SMALL_ROWS) { /* no whole block: one row at a time (predicting one row) */
        small_net_tail(net, ws, x, y, 0, n);
        return;
    }
    small_job j = {net, ws, x, y};
    /* a row of a small network costs about what a few values of a pass do */
    if (n < MLP__PAR_MIN / 2) small_net_rows(&j, 0, n, 0);
    else mlp__parallel_for(n, SMALL_ROWS, MLP__PAR_MIN / 4, small_net_rows, &j);
}

NO_VECTORIZE
int mlp__small_net_forward(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n)
{
    if (!net->small) return 0;
    small_net_into(net, ws, x, n, NULL); /* the one-row road as short as it can be */
    return 1;
}

NO_VECTORIZE
void mlp__small_net_predict(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n,
                            double *y)
{
    small_net_into(net, ws, x, n, y);
}

void mlp__dense_forward(double *a, double *z, const double *a_prev, const double *w,
                        const double *b, size_t n, size_t in, size_t out, mlp_activation act)
{
    /* a       (n, out) row-major, receives f(A_prev · Wᵀ + b)
     * z       (n, out) or NULL: receives A_prev · Wᵀ + b
     * a_prev  (n, in)  row-major
     * w       (out, in) row-major: row j is node j's incoming weights
     * b       (out) or NULL */
    double *dst = z != NULL ? z : a;
    if (small_layer(in, out)) {
        /* The bias goes in with the product; writing a directly, a cheap activation
         * too, and then the layer is done. */
        const int done = small_forward(dst, a_prev, w, b, n, in, out,
                                       z == NULL ? act : MLP_ACT_IDENTITY);
        if (done && z == NULL) return;
        b = NULL;
    } else if (n == 1) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)out, (int)in, 1.0, w, (int)in, a_prev, 1,
                    0.0, dst, 1);
    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1.0,
                    a_prev, (int)in, w, (int)in, 0.0, dst, (int)out);
    }
    if (z == NULL) {
        mlp__bias_activate(a, b, n, out, act);
    } else {
        mlp__bias_activate(z, b, n, out, MLP_ACT_IDENTITY);
        memcpy(a, z, n * out * sizeof *a);
        mlp__bias_activate(a, NULL, n, out, act);
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
        double s_ = (v)[0];                                                            \
        for (size_t r_ = 1; r_ < SMALL_ROWS; r_++) s_ += (v)[r_];                       \
        (out) = s_;                                                                    \
    } while (0)

/* The reference: `blocks` whole blocks in plain arrays, lane by lane. */
static void small_blocks_reference(double *acc, double *bacc, double *da_prev, const double *dz,
                                   const double *a_prev, const double *w, size_t blocks,
                                   size_t in, size_t out)
{
    double vw[SMALL_LAYER][SMALL_ROWS], vb[SMALL_LAYER][SMALL_ROWS];
    for (size_t i = 0; i < in * out; i++)
        for (size_t r = 0; r < SMALL_ROWS; r++) vw[i][r] = 0.0;
    for (size_t j = 0; j < out; j++)
        for (size_t r = 0; r < SMALL_ROWS; r++) vb[j][r] = 0.0;
    for (size_t bl = 0; bl < blocks; bl++)
        for (size_t r = 0; r < SMALL_ROWS; r++) {
            const size_t row = bl * SMALL_ROWS + r;
            const double *dzr = dz + row * out, *ar = a_prev + row * in;
            for (size_t j = 0; j < out; j++) {
                vb[j][r] += dzr[j];
                for (size_t k = 0; k < in; k++) vw[j * in + k][r] += dzr[j] * ar[k];
            }
            if (da_prev != NULL)
                for (size_t k = 0; k < in; k++) {
                    double t = 0.0;
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
small_blocks_body(double *acc, double *bacc, double *da_prev, const double *dz,
                  const double *a_prev, const double *w, size_t blocks, size_t in, size_t out)
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
small_input_blocks_body(double *da_prev, const double *dz, const double *w, size_t blocks,
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
             (double *da_prev, const double *dz, const double *w, size_t blocks, size_t in,
              size_t out),
             (da_prev, dz, w, blocks, in, out))

ISA_WRAPPERS(small_blocks,
             (double *acc, double *bacc, double *da_prev, const double *dz, const double *a_prev,
              const double *w, size_t blocks, size_t in, size_t out),
             (acc, bacc, da_prev, dz, a_prev, w, blocks, in, out))
#endif

#if defined(__GNUC__) && !defined(__clang__)
/* Trip counts of a few units (a small layer's in and out): vectorizing them only
 * adds prologues to every row. */
__attribute__((optimize("no-tree-vectorize")))
#endif
static void small_backward_road(double *dw, double *db, double *da_prev, const double *dz,
                                const double *a_prev, const double *w, size_t n, size_t in,
                                size_t out, int reference)
{
    if (n == 1) { /* one row: dW is the outer product, db the row itself */
        for (size_t j = 0; j < out; j++) {
            if (db != NULL) db[j] = dz[j];
            for (size_t k = 0; k < in; k++) dw[j * in + k] = dz[j] * a_prev[k];
        }
        if (da_prev != NULL)
            for (size_t k = 0; k < in; k++) {
                double s = 0.0;
                for (size_t j = 0; j < out; j++) s += dz[j] * w[j * in + k];
                da_prev[k] = s;
            }
        return;
    }
    /* dW and db into local blocks the compiler can keep close: in * out <= SMALL_LAYER */
    double acc[SMALL_LAYER], bacc[SMALL_LAYER];
    const size_t blocks = n / SMALL_ROWS;
    if (blocks == 0) {
        for (size_t i = 0; i < in * out; i++) acc[i] = 0.0;
        for (size_t j = 0; j < out; j++) bacc[j] = 0.0;
    } else {
#if HAVE_SMALL_BLOCK
        if (!reference) small_blocks(acc, bacc, da_prev, dz, a_prev, w, blocks, in, out);
        else
#endif
            small_blocks_reference(acc, bacc, da_prev, dz, a_prev, w, blocks, in, out);
    }
    (void)reference;
    for (size_t r = blocks * SMALL_ROWS; r < n; r++) {
        const double *dzr = dz + r * out, *ar = a_prev + r * in;
        for (size_t j = 0; j < out; j++) {
            bacc[j] += dzr[j];
            for (size_t k = 0; k < in; k++) acc[j * in + k] += dzr[j] * ar[k];
        }
        if (da_prev != NULL) {
            double *dar = da_prev + r * in;
            for (size_t k = 0; k < in; k++) {
                double s = 0.0;
                for (size_t j = 0; j < out; j++) s += dzr[j] * w[j * in + k];
                dar[k] = s;
            }
        }
    }
    memcpy(dw, acc, in * out * sizeof *dw);
    if (db != NULL) memcpy(db, bacc, out * sizeof *db);
}

static void small_backward(double *dw, double *db, double *da_prev, const double *dz,
                           const double *a_prev, const double *w, size_t n, size_t in,
                           size_t out)
{
    small_backward_road(dw, db, da_prev, dz, a_prev, w, n, in, out, 0);
}

void mlp__small_backward_reference(double *dw, double *db, double *da_prev, const double *dz,
                                   const double *a_prev, const double *w, size_t n, size_t in,
                                   size_t out)
{
    small_backward_road(dw, db, da_prev, dz, a_prev, w, n, in, out, 1);
}

/* db (out) = the column sums of dz (n, out): each column summed down its rows in
 * order, whichever thread sums it, so the sums do not depend on the thread count. */
typedef struct sums_job {
    double *db;
    const double *dz;
    size_t n, out;
} sums_job;

MLP__CLONES
static void column_sums_part(void *ctx, size_t c0, size_t c1, size_t part)
{
    (void)part;
    const sums_job *j = ctx;
    double *db = j->db;
    for (size_t c = c0; c < c1; c++) db[c] = 0.0;
    for (size_t r = 0; r < j->n; r++) {
        const double *row = j->dz + r * j->out;
        for (size_t c = c0; c < c1; c++) db[c] += row[c];
    }
}

static void column_sums(double *db, const double *dz, size_t n, size_t out)
{
    sums_job j = {db, dz, n, out};
    /* parts of 8 columns (a cache line of db) or more, MLP__PAR_MIN values at least */
    if (n * out < 2 * MLP__PAR_MIN || out < 16) column_sums_part(&j, 0, out, 0);
    else mlp__parallel_for(out, 8, (MLP__PAR_MIN + n - 1) / n, column_sums_part, &j);
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
    if (small_layer(in, out)) {
        small_backward(dw, db, da_prev, dz, a_prev, w, n, in, out);
        return;
    }
    if (db != NULL) column_sums(db, dz, n, out);
    if (n == 1) { /* dW is the outer product dz ⊗ a_prev */
        for (size_t j = 0; j < out; j++)
            for (size_t k = 0; k < in; k++) dw[j * in + k] = dz[j] * a_prev[k];
    } else {
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1.0, dz,
                    (int)out, a_prev, (int)in, 0.0, dw, (int)in);
    }
    if (da_prev == NULL) return;
    if (n == 1)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)out, (int)in, 1.0, w, (int)in, dz, 1, 0.0,
                    da_prev, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1.0, dz,
                    (int)out, w, (int)in, 0.0, da_prev, (int)in);
}

NO_VECTORIZE /* the rows below a block: loops of a few trips */
void mlp__dense_backward_input(double *da_prev, const double *dz, const double *w, size_t n,
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
                double s = 0.0;
                for (size_t j = 0; j < out; j++) s += dz[r * out + j] * w[j * in + k];
                da_prev[r * in + k] = s;
            }
    } else if (n == 1) {
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)out, (int)in, 1.0, w, (int)in, dz, 1, 0.0,
                    da_prev, 1);
    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1.0, dz,
                    (int)out, w, (int)in, 0.0, da_prev, (int)in);
    }
}

/* One row of a small layer: each gradient entry dz_j·a_k, rounded as small_backward
 * stores it, goes straight into its weight: the same bits as the road through
 * scratch, without the gradient's pass there and back, nor vector prologues for
 * rows of a few values. */
NO_VECTORIZE
void mlp__dense_sgd_one_row(double *w, double *b, const double *dz, const double *a_prev,
                            size_t in, size_t out, double lr, double decay)
{
    for (size_t j = 0; j < out; j++) {
        const double d = dz[j];
        double *wj = w + j * in;
        for (size_t k = 0; k < in; k++) wj[k] = decay * wj[k] - lr * (d * a_prev[k]);
        if (b != NULL) b[j] -= lr * d;
    }
}

void mlp__dense_sgd(double *w, double *b, const double *dz, const double *a_prev, size_t n,
                    size_t in, size_t out, double lr, double decay, double *scratch)
{
    /* w (out, in) = decay · w - lr · dzᵀ · a_prev; b (out) -= lr · Σ_rows dz.
     * dz (n, out), a_prev (n, in); scratch holds in * out + out doubles. */
    const size_t cells = in * out;
    if (n == 1 && small_layer(in, out)) {
        mlp__dense_sgd_one_row(w, b, dz, a_prev, in, out, lr, decay);
        return;
    }
    if (small_layer(in, out)) {
        double *dw = scratch, *db = scratch + cells;
        small_backward(dw, b != NULL ? db : NULL, NULL, dz, a_prev, NULL, n, in, out);
        for (size_t i = 0; i < cells; i++) w[i] = decay * w[i] - lr * dw[i];
        if (b != NULL)
            for (size_t j = 0; j < out; j++) b[j] -= lr * db[j];
        return;
    }
    if (n == 1) { /* a rank-one update: dger, after the decay if any */
        /* a layer may hold more than INT_MAX weights, BLAS counts in int: in pieces */
        for (size_t i = 0; decay != 1.0 && i < cells; i += MLP_MAX_DIM) {
            const size_t m = cells - i < MLP_MAX_DIM ? cells - i : MLP_MAX_DIM;
            cblas_dscal((int)m, decay, w + i, 1);
        }
        cblas_dger(CblasRowMajor, (int)out, (int)in, -lr, dz, 1, a_prev, 1, w, (int)in);
        if (b != NULL)
            for (size_t j = 0; j < out; j++) b[j] -= lr * dz[j];
        return;
    }
    /* The gradient is never stored: one dgemm adds -lr dzᵀ a_prev to decay · w,
     * with no pass to zero a gradient and none to apply it. */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, -lr, dz,
                (int)out, a_prev, (int)in, decay, w, (int)in);
    if (b != NULL) {
        double *db = scratch + cells;
        column_sums(db, dz, n, out);
        for (size_t j = 0; j < out; j++) b[j] -= lr * db[j];
    }
}

/* ---- the dense kind: its entry in the table of layer kinds ---------------------- */

static mlp_status dense_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                              size_t *out, size_t *np, mlp_status bad, const char *fn)
{
    const size_t size = spec->size;
    size_t w;
    MLP_CHECK(size > 0 && size <= MLP_MAX_DIM, bad, "%s: layer %zu has size %zu, must be 1 to %zu",
              fn, l, size, MLP_MAX_DIM);
    MLP_CHECK(mlp__mul_ok(size, in, limit, &w) && size <= limit - w,
              bad == MLP_ERR_INVALID_ARG ? MLP_ERR_NOMEM : bad,
              "%s: parameter count overflows at layer %zu", fn, l);
    *out = size;
    *np = w + (spec->bias ? size : 0);
    return MLP_OK;
}

static size_t dense_blocks(const mlp_layer *L, mlp__param_block *b)
{
    b[0] = (mlp__param_block){L->w_off, L->in * L->out, 1, MLP__BLOCK_DRAWN, L->out, L->in};
    if (!L->has_bias) return 1;
    b[1] = (mlp__param_block){L->b_off, L->out, 0, MLP__BLOCK_ZEROS, 0, 0};
    return 2;
}

/* The pre-activation: the output layer's always (the cross-entropies read the
 * logits), a hidden layer's when its activation's derivative needs z. */
static size_t dense_kept(const mlp_layer *L, int last)
{
    return last || (L->ak->flags & MLP__ACT_NEEDS_Z) != 0 ? L->out : 0;
}

/* The fused update leaves the weights' part of the gradient block unused; a small
 * layer's loops fill the whole of it with their sums. */
static size_t dense_sgd_spare(const mlp_layer *L)
{
    return mlp__small_layer(L->in, L->out) ? 0 : L->in * L->out;
}

static void dense_jacobian_row(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                               double *row, const double *d, const double *ap)
{
    (void)ws, (void)l, (void)r;
    for (size_t j = 0; j < L->out; j++) {
        double *wr = row + L->w_off + j * L->in;
        for (size_t i = 0; i < L->in; i++) wr[i] = d[j] * ap[i];
        if (L->has_bias) row[L->b_off + j] = d[j];
    }
}

const mlp__layer_kind mlp__dense_layer = {
    .name = "a dense layer",
    .check = dense_check,
    .n_values = 0,
    .blocks = dense_blocks,
    .kept = dense_kept,
    .forward = mlp__dense_layer_forward,
    .backward_output = mlp__activation_backward_output,
    .backward = mlp__dense_layer_backward,
    .sgd = mlp__dense_layer_sgd,
    .sgd_spare = dense_sgd_spare,
    .jacobian_row = dense_jacobian_row,
};
