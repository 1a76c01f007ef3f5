/* The dense kind: its entry in the table of layer kinds, and the forward road of a
 * network whose layers are all small (net->small): every layer of a block of rows in
 * vector lanes, layer after layer without a call between them. The layer's own passes
 * over arrays are kernels (lib/kernels/dense_math.c).
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include "passes.h"
#include "../kernels/small.h"

/* Rows r0..r1 of a small network through plain loops, one row at a time: the
 * reference the vector road below must match bit for bit. */
__attribute__((always_inline)) static inline void
small_net_scalar(const mlp_net *net, mlp_workspace *ws, const real *x, size_t r0, size_t r1)
{
    /* Layer after layer as mlp__forward does, without a call per layer: for a
     * network this small the calls cost as much as the arithmetic. */
    const real *prev = x + r0 * net->n_inputs;
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        const real *w = net->MLP__T(params) + L->w_off,
                   *b = L->has_bias ? net->MLP__T(params) + L->b_off : NULL;
        const int rectified = L->act != MLP_ACT_IDENTITY;
        const real neg = (real)L->ak->below;
        real *a = ws->MLP__T(act)[l] + r0 * L->out;
        for (size_t r = 0; r < r1 - r0; r++)
            small_row(a + r * L->out, prev + r * L->in, w, b, L->in, L->out, rectified, neg);
        prev = a;
    }
}

NO_VECTORIZE
void MLP__T(mlp__small_net_rows_scalar)(const mlp_net *net, mlp_workspace *ws, const real *x,
                                        size_t r0, size_t r1)
{
    small_net_scalar(net, ws, x, r0, r1);
}

#if HAVE_SMALL_BLOCK
/* One layer on a tile of t blocks of rows, layer by layer rather than block by
 * block, so that a node's weights stay in registers across the tile: node j of
 * block i is dst[j·t + i] = f(b_j + Σ_k src[k·t + i]·w_jk), summed in small_row's
 * order. The k loop is unrolled for the narrowest layers (a loop of one to four
 * trips costs more in its control than in its arithmetic). */
__attribute__((always_inline)) static inline void layer_tile(vrows *dst, const vrows *src, size_t t,
                                                             const real *w, const real *b,
                                                             size_t in, size_t out, int rectified,
                                                             real neg, int whole)
{
    const vrows zero = {0};
    for (size_t j = 0; j < out; j++) {
        const real *wj = w + j * in;
        const vrows bias = zero + (b != NULL ? b[j] : (real)0);
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
            const real w0 = wj[0];
            TILE_LOOP(acc += src[i] * w0)
            break;
        }
        case 2: {
            const real w0 = wj[0], w1 = wj[1];
            TILE_LOOP(acc += src[i] * w0; acc += src[t + i] * w1)
            break;
        }
        case 3: {
            const real w0 = wj[0], w1 = wj[1], w2 = wj[2];
            TILE_LOOP(acc += src[i] * w0; acc += src[t + i] * w1; acc += src[2 * t + i] * w2)
            break;
        }
        case 4: {
            const real w0 = wj[0], w1 = wj[1], w2 = wj[2], w3 = wj[3];
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
tile_through_layers(const mlp_net *net, mlp_workspace *ws, const real *x, real *y, size_t r,
                    size_t t, vrows *in_cols, vrows *out_cols, int whole)
{
    const size_t in0 = net->n_inputs, n_layers = net->n_layers;
    for (size_t i = 0; i < t; i++)
        load_cols(in_cols + i, x + (r + i * SMALL_ROWS) * in0, in0, t);
    for (size_t l = 0; l < n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        const real *w = net->MLP__T(params) + L->w_off;
        const real *b = L->has_bias ? net->MLP__T(params) + L->b_off : NULL;
        const size_t out = L->out;
        layer_tile(out_cols, in_cols, t, w, b, L->in, out, L->act != MLP_ACT_IDENTITY,
                   (real)L->ak->below, whole);
        vrows *done = out_cols;
        out_cols = in_cols;
        in_cols = done;
        real *a = ws->MLP__T(act)[l] + r * out;
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
__attribute__((always_inline)) static inline void
one_block(const mlp_net *net, mlp_workspace *ws, const real *x, real *y, size_t r, int whole)
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
__attribute__((always_inline)) static inline void small_net_blocks_body(const mlp_net *net,
                                                                        mlp_workspace *ws,
                                                                        const real *x, real *y,
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

ISA_WRAPPERS(small_net_blocks,
             (const mlp_net *net, mlp_workspace *ws, const real *x, real *y, size_t r0, size_t r1),
             (net, ws, x, y, r0, r1))
#endif

/* Rows r0..r1 one at a time, their output copied to y (when not NULL) as well. */
__attribute__((always_inline)) static inline void
small_net_tail(const mlp_net *net, mlp_workspace *ws, const real *x, real *y, size_t r0, size_t r1)
{
    small_net_scalar(net, ws, x, r0, r1);
    if (y == NULL) return;
    const size_t out = net->layers[net->n_layers - 1].out;
    const real *last = ws->MLP__T(act)[net->n_layers - 1];
    /* a few values: a loop, not a call into libc */
    for (size_t i = r0 * out; i < r1 * out; i++) y[i] = last[i];
}

typedef struct small_job {
    const mlp_net *net;
    mlp_workspace *ws;
    const real *x;
    real *y;
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

__attribute__((always_inline)) static inline void
small_net_into(const mlp_net *net, mlp_workspace *ws, const real *x, size_t n, real *y)
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
int MLP__T(mlp__small_net_forward)(const mlp_net *net, mlp_workspace *ws, const real *x, size_t n)
{
    if (!net->small) return 0;
    small_net_into(net, ws, x, n, NULL); /* the one-row road as short as it can be */
    return 1;
}

NO_VECTORIZE
void MLP__T(mlp__small_net_predict)(const mlp_net *net, mlp_workspace *ws, const real *x, size_t n,
                                    real *y)
{
    small_net_into(net, ws, x, n, y);
}

/* ---- the dense kind: its entry in the table of layer kinds ---------------------- */

static void dense_jacobian_row(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                               real *row, const real *d, const real *ap)
{
    (void)ws, (void)l, (void)r;
    for (size_t j = 0; j < L->out; j++) {
        real *wr = row + L->w_off + j * L->in;
        for (size_t i = 0; i < L->in; i++) wr[i] = d[j] * ap[i];
        if (L->has_bias) row[L->b_off + j] = d[j];
    }
}

const struct MLP__T(mlp__layer_passes) MLP__T(mlp__dense_passes) = {
    .forward = mlp__dense_layer_forward,
    .backward_output = mlp__activation_backward_output,
    .backward = mlp__dense_layer_backward,
    .sgd = mlp__dense_layer_sgd,
    .jacobian_row = dense_jacobian_row,
};

/* What is the same for both types: once, in the float64 build. */
#if !MLP__F32

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

const mlp__layer_kind mlp__dense_layer = {
    .name = "a dense layer",
    .check = dense_check,
    .n_values = 0,
    .blocks = dense_blocks,
    .kept = dense_kept,
    .sgd_spare = dense_sgd_spare,
    .passes = &mlp__dense_passes,
    .passes_f32 = &mlp__dense_passes_f32,
};

#endif
