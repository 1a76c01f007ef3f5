/* The batch-normalization kind (Ioffe and Szegedy, 2015): each column of the layer's
 * input brought to mean 0 and variance 1 over the rows of the batch, then a gain and a
 * bias per column, then the activation; when predicting, over running values instead.
 *
 * Training pass, over the n rows of the batch, column by column:
 *   mean = Σx / n, var = Σ(x − mean)² / n (two passes), r = 1/√(var + ε)
 *   x̂ = (x − mean)·r, z = γ ⊙ x̂ + β, a = f(z)
 * and the running values a successful step leaves (PyTorch's rule, the unbiased
 * variance; a trainer never steps on one row, which has none):
 *   mean_run ← (1 − m)·mean_run + m·mean, var_run ← (1 − m)·var_run + m·Σ(x − mean)²/(n − 1)
 * Inference pass, as PyTorch's evaluation computes it: s = γ / √(var_run + ε),
 * t = β − mean_run·s, z = x·s + t.
 *
 * Backward (after a training pass), from dz: dγ = Σ_rows dz ⊙ x̂, dβ = Σ_rows dz, and
 * dx = γ·r·(dz − dβ/n − x̂·dγ/n).
 *
 * Every sum runs down one column in row order, and the passes are cut into parts by
 * columns: the same bits at every thread count. A training pass keeps in ws->z[l] z
 * (max_batch rows), x̂ (max_batch rows), then for the columns: the batch's mean, r,
 * and the running mean and variance after the step.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include <math.h>
#include <string.h>

#include "passes.h"

static void bn_state_reset(const mlp_layer *L, real *state)
{
    for (size_t i = 0; i < L->out; i++) {
        state[i] = 0.0;          /* mean */
        state[L->out + i] = 1.0; /* variance */
    }
}

static const char *bn_state_refused(const mlp_layer *L, const real *state)
{
    for (size_t i = 0; i < 2 * L->out; i++)
        if (!isfinite(state[i])) return "a running mean or variance that is not finite";
    for (size_t i = 0; i < L->out; i++)
        if (!(state[L->out + i] >= 0)) return "a negative running variance";
    return NULL;
}

/* Where a training pass keeps what it makes. */
static real *kept_z(const mlp_workspace *ws, size_t l) { return ws->MLP__T(z)[l]; }
static real *kept_xhat(const mlp_workspace *ws, size_t l)
{
    return ws->MLP__T(z)[l] + ws->max_batch * ws->sizes[l];
}
static real *kept_mean(const mlp_workspace *ws, size_t l)
{
    return ws->MLP__T(z)[l] + 2 * ws->max_batch * ws->sizes[l];
}
static real *kept_r(const mlp_workspace *ws, size_t l) { return kept_mean(ws, l) + ws->sizes[l]; }
static real *kept_next(const mlp_workspace *ws, size_t l)
{
    return kept_mean(ws, l) + 2 * ws->sizes[l];
}

static const real *bn_state_next(const mlp_layer *L, const mlp_workspace *ws, size_t l)
{
    (void)L;
    return ws->training && ws->last_rows > 1 ? kept_next(ws, l) : NULL;
}

/* Columns a part takes at once in the inference pass: its scale and shift on the stack. */
enum { CHUNK = 256 };

typedef struct bn_job {
    const mlp_net *net;
    const mlp_workspace *ws;
    size_t l, n;
    const real *x; /* forward: the input; backward: dz */
    real *out;     /* forward: the output; backward: dx (or NULL) */
    real *g;       /* backward: the gradient block (or NULL) */
    int keep;
} bn_job;

/* Columns [c0, c1) of a training pass: the batch's statistics, the running values
 * after the step, x̂, z and the output. */
MLP__CLONES
static void train_cols(const bn_job *j, size_t c0, size_t c1)
{
    const mlp_layer *L = &j->net->layers[j->l];
    const size_t m = L->out, n = j->n;
    const real *gain = j->net->MLP__T(params) + L->w_off;
    const real *bias = L->has_bias ? j->net->MLP__T(params) + L->b_off : NULL;
    const real *run = j->net->MLP__T(state) + L->s_off;
    real *mean = kept_mean(j->ws, j->l), *r = kept_r(j->ws, j->l), *next = kept_next(j->ws, j->l);
    real *sq = next; /* Σ(x − mean)², until the running values replace it */
    for (size_t c = c0; c < c1; c++) mean[c] = sq[c] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = c0; c < c1; c++) mean[c] += j->x[i * m + c];
    for (size_t c = c0; c < c1; c++) mean[c] /= (real)n;
    for (size_t i = 0; i < n; i++)
        for (size_t c = c0; c < c1; c++) {
            const real d = j->x[i * m + c] - mean[c];
            sq[c] += d * d;
        }
    const real mom = (real)L->momentum, stay = (real)(1.0 - L->momentum);
    for (size_t c = c0; c < c1; c++) {
        r[c] = 1 / sqrt(sq[c] / (real)n + (real)L->epsilon);
        /* n = 1: no unbiased variance, and bn_state_next reports nothing to commit */
        next[m + c] = n > 1 ? stay * run[m + c] + mom * (sq[c] / (real)(n - 1)) : run[m + c];
        next[c] = stay * run[c] + mom * mean[c];
    }
    real *xh = kept_xhat(j->ws, j->l), *z = kept_z(j->ws, j->l);
    for (size_t i = 0; i < n; i++) {
        const real *xr = j->x + i * m;
        real *ar = j->out + i * m;
        if (j->keep) {
            real *hr = xh + i * m, *zr = z + i * m;
            for (size_t c = c0; c < c1; c++) {
                const real h = (xr[c] - mean[c]) * r[c];
                hr[c] = h;
                zr[c] = ar[c] = bias != NULL ? gain[c] * h + bias[c] : gain[c] * h;
            }
        } else {
            for (size_t c = c0; c < c1; c++) {
                const real h = (xr[c] - mean[c]) * r[c];
                ar[c] = bias != NULL ? gain[c] * h + bias[c] : gain[c] * h;
            }
        }
    }
}

static void train_part(void *ctx, size_t c0, size_t c1, size_t part)
{
    (void)part;
    train_cols(ctx, c0, c1);
}

/* The scale and shift of columns [c0, c1) from the running values. */
static void fold(const mlp_net *net, const mlp_layer *L, size_t c0, size_t c1, real *s, real *t)
{
    const real *gain = net->MLP__T(params) + L->w_off, *run = net->MLP__T(state) + L->s_off;
    for (size_t c = c0; c < c1; c++) {
        s[c - c0] = gain[c] / sqrt(run[L->out + c] + (real)L->epsilon);
        t[c - c0] = (L->has_bias ? net->MLP__T(params)[L->b_off + c] : 0) - run[c] * s[c - c0];
    }
}

/* Rows [r0, r1) of an inference pass. */
MLP__CLONES
static void infer_rows(const bn_job *j, size_t r0, size_t r1)
{
    const mlp_layer *L = &j->net->layers[j->l];
    const size_t m = L->out;
    real s[CHUNK], t[CHUNK];
    for (size_t c0 = 0; c0 < m; c0 += CHUNK) {
        const size_t c1 = m - c0 < CHUNK ? m : c0 + CHUNK;
        fold(j->net, L, c0, c1, s, t);
        for (size_t i = r0; i < r1; i++) {
            const real *xr = j->x + i * m + c0;
            real *ar = j->out + i * m + c0;
            for (size_t c = 0; c < c1 - c0; c++) ar[c] = xr[c] * s[c] + t[c];
            if (j->keep) memcpy(kept_z(j->ws, j->l) + i * m + c0, ar, (c1 - c0) * sizeof *ar);
        }
    }
}

static void infer_part(void *ctx, size_t r0, size_t r1, size_t part)
{
    (void)part;
    infer_rows(ctx, r0, r1);
}

static void bn_forward(const mlp_net *net, mlp_workspace *ws, size_t l, const real *x, size_t n,
                       int keep)
{
    const mlp_layer *L = &net->layers[l];
    const bn_job j = {net, ws, l, n, x, ws->MLP__T(act)[l], NULL, keep};
    if (ws->training) /* columns in parts of whole vectors, each at least MLP__PAR_MIN values */
        mlp__parallel_for(L->out, 8, MLP__PAR_MIN / n + 1, train_part, (void *)&j);
    else
        mlp__parallel_for(n, 1, MLP__PAR_MIN / L->out + 1, infer_part, (void *)&j);
    if (L->act != MLP_ACT_IDENTITY)
        MLP__T(mlp__bias_activate)(ws->MLP__T(act)[l], NULL, n, L->out, L->act);
}

/* Columns [c0, c1) of the backward pass: dγ and dβ, then dx. */
MLP__CLONES
static void backward_cols(const bn_job *j, size_t c0, size_t c1)
{
    const mlp_layer *L = &j->net->layers[j->l];
    const size_t m = L->out, n = j->n;
    const real *gain = j->net->MLP__T(params) + L->w_off, *xh = kept_xhat(j->ws, j->l);
    const real *r = kept_r(j->ws, j->l), *dz = j->x;
    for (size_t b0 = c0; b0 < c1; b0 += CHUNK) {
        const size_t b1 = c1 - b0 < CHUNK ? c1 : b0 + CHUNK, w = b1 - b0;
        real sg[CHUNK] = {0}, sb[CHUNK] = {0}; /* Σ dz·x̂ and Σ dz */
        for (size_t i = 0; i < n; i++) {
            const real *dr = dz + i * m + b0, *hr = xh + i * m + b0;
            for (size_t c = 0; c < w; c++) {
                sg[c] += dr[c] * hr[c];
                sb[c] += dr[c];
            }
        }
        if (j->g != NULL) {
            memcpy(j->g + L->w_off + b0, sg, w * sizeof *sg);
            if (L->has_bias) memcpy(j->g + L->b_off + b0, sb, w * sizeof *sb);
        }
        if (j->out == NULL) continue;
        real k[CHUNK], mb[CHUNK], mg[CHUNK];
        for (size_t c = 0; c < w; c++) {
            k[c] = gain[b0 + c] * r[b0 + c];
            mb[c] = sb[c] / (real)n;
            mg[c] = sg[c] / (real)n;
        }
        for (size_t i = 0; i < n; i++) {
            const real *dr = dz + i * m + b0, *hr = xh + i * m + b0;
            real *xr = j->out + i * m + b0;
            for (size_t c = 0; c < w; c++) xr[c] = k[c] * (dr[c] - mb[c] - hr[c] * mg[c]);
        }
    }
}

static void backward_part(void *ctx, size_t c0, size_t c1, size_t part)
{
    (void)part;
    backward_cols(ctx, c0, c1);
}

static void bn_backward(const mlp_net *net, const mlp_workspace *ws, size_t l, real *g, real *dx,
                        const real *dz, const real *a_prev, size_t n)
{
    (void)a_prev;
    const mlp_layer *L = &net->layers[l];
    const bn_job j = {net, ws, l, n, dz, dx, g, 0};
    mlp__parallel_for(L->out, 8, MLP__PAR_MIN / n + 1, backward_part, (void *)&j);
}

const struct MLP__T(mlp__layer_passes) MLP__T(mlp__batchnorm_passes) = {
    .state_reset = bn_state_reset,
    .state_refused = bn_state_refused,
    .state_next = bn_state_next,
    .forward = bn_forward,
    .backward_output = mlp__activation_backward_output,
    .backward = bn_backward,
    .sgd = NULL,
    .jacobian_row = NULL, /* Levenberg–Marquardt refuses MLP__KIND_BATCH */
};

/* What is the same for both types: once, in the float64 build. */
#if !MLP__F32

static mlp_status bn_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                           size_t *out, size_t *np, mlp_status bad, const char *fn)
{
    const mlp_status s = mlp__norm_check(spec, l, in, limit, out, np, bad, fn,
                                         "a batch normalization", "MLP_BATCHNORM");
    if (s != MLP_OK) return s;
    MLP_CHECK(spec->momentum > 0.0 && spec->momentum <= 1.0, bad,
              "%s: layer %zu (a batch normalization) has momentum %g, must be above 0 and at "
              "most 1 (the weight of each batch in the running mean and variance; PyTorch's "
              "is 0.1, MLP_BATCHNORM() sets it)",
              fn, l, spec->momentum);
    return MLP_OK;
}

static void bn_values_out(const mlp_layer *L, double *v)
{
    v[0] = L->epsilon;
    v[1] = L->momentum;
}

static void bn_values_in(mlp_layer_spec *spec, const double *v)
{
    spec->epsilon = v[0];
    spec->momentum = v[1];
}

static size_t bn_kept(const mlp_layer *L, int last)
{
    (void)last;
    return 2 * L->out;
}

static size_t bn_kept_fixed(const mlp_layer *L) { return 4 * L->out; }

static size_t bn_n_state(const mlp_layer *L) { return 2 * L->out; }

void mlp__batchnorm_fold(const mlp_net *net, size_t l, double *scale, double *shift)
{
    const mlp_layer *L = &net->layers[l];
    fold(net, L, 0, L->out, scale, shift);
}

const mlp__layer_kind mlp__batchnorm_layer = {
    .name = "a batch normalization",
    .flags = MLP__KIND_BATCH,
    .check = bn_check,
    .n_values = 2,
    .values_out = bn_values_out,
    .values_in = bn_values_in,
    .blocks = mlp__norm_blocks,
    .kept = bn_kept,
    .kept_fixed = bn_kept_fixed,
    .n_state = bn_n_state,
    .sgd_spare = NULL,
    .passes = &mlp__batchnorm_passes,
    .passes_f32 = &mlp__batchnorm_passes_f32,
};

#endif
