/* The layer-normalization kind (Ba, Kiros and Hinton, 2016): each row of the layer's
 * input brought to mean 0 and variance 1 over its values, then a gain and a bias per
 * value, then the activation.
 *
 *   mean = Σx / m, var = Σ(x − mean)² / m (two passes: no cancellation), r = 1/√(var + ε)
 *   x̂ = (x − mean)·r, z = γ ⊙ x̂ + β, a = f(z)
 *
 * Backward, from dz (the gradient of z): dγ = Σ_rows dz ⊙ x̂, dβ = Σ_rows dz, and with
 * g = dz ⊙ γ, dx = r·(g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)).
 *
 * A training pass keeps, per row, z (m values), x̂ (m) and r (1), in ws->z[l]: z in its
 * first max_batch·m values, x̂ in the next max_batch·m, r in the last max_batch.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include <math.h>

#include "passes.h"

/* Where a training pass keeps z, x̂ and r. */
static real *kept_z(const mlp_workspace *ws, size_t l) { return ws->MLP__T(z)[l]; }
static real *kept_xhat(const mlp_workspace *ws, size_t l)
{
    return ws->MLP__T(z)[l] + ws->max_batch * ws->sizes[l];
}
static real *kept_r(const mlp_workspace *ws, size_t l)
{
    return ws->MLP__T(z)[l] + 2 * ws->max_batch * ws->sizes[l];
}

/* Sums over a row in 8 lanes, lane k taking values k, k + 8, ..., then the lanes added
 * in a fixed order: the same bits whatever the vector width (each ISA's build of the
 * row functions below runs the same operations), and a chain of dependent additions an
 * eighth of the row's length (a plain sum of 1,024 values costs 1,024 additions'
 * latency). (Four such vectors, 32 lanes, measured slower with GCC 12: the lanes went
 * through memory.) */
enum { LANES = 8 };

static inline real lanes_total(const real *acc)
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The mean and the biased variance of one row, the two passes of the definition. */
static inline void row_moments(const real *x, size_t m, real *mean, real *var)
{
    real acc[LANES] = {0}, sq[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= m; i += LANES)
        for (size_t k = 0; k < LANES; k++) acc[k] += x[i + k];
    for (size_t k = 0; i + k < m; k++) acc[k] += x[i + k];
    const real mu = lanes_total(acc) / (real)m;
    for (i = 0; i + LANES <= m; i += LANES)
        for (size_t k = 0; k < LANES; k++) sq[k] += (x[i + k] - mu) * (x[i + k] - mu);
    for (size_t k = 0; i + k < m; k++) sq[k] += (x[i + k] - mu) * (x[i + k] - mu);
    *mean = mu;
    *var = lanes_total(sq) / (real)m;
}

typedef struct ln_job {
    const mlp_net *net;
    const mlp_workspace *ws;
    size_t l;
    const real *x; /* forward: the input; backward: dz */
    real *out;     /* forward: the output; backward: dx (or NULL) */
    int keep;
} ln_job;

/* Rows [r0, r1) forward: the output, and with keep, z, x̂ and 1/sd. */
MLP__CLONES
static void forward_rows(const ln_job *j, size_t r0, size_t r1)
{
    const mlp_layer *L = &j->net->layers[j->l];
    const size_t m = L->out;
    const real *gain = j->net->MLP__T(params) + L->w_off;
    const real *bias = L->has_bias ? j->net->MLP__T(params) + L->b_off : NULL;
    for (size_t r = r0; r < r1; r++) {
        const real *xr = j->x + r * m;
        real *ar = j->out + r * m;
        real mean, var;
        row_moments(xr, m, &mean, &var);
        const real rstd = 1 / sqrt(var + (real)L->epsilon);
        if (j->keep) { /* x̂, z and the output in one pass */
            real *xh = kept_xhat(j->ws, j->l) + r * m, *zr = kept_z(j->ws, j->l) + r * m;
            kept_r(j->ws, j->l)[r] = rstd;
            for (size_t i = 0; i < m; i++) {
                const real h = (xr[i] - mean) * rstd;
                xh[i] = h;
                zr[i] = ar[i] = bias != NULL ? gain[i] * h + bias[i] : gain[i] * h;
            }
        } else if (bias != NULL) {
            for (size_t i = 0; i < m; i++) ar[i] = gain[i] * ((xr[i] - mean) * rstd) + bias[i];
        } else {
            for (size_t i = 0; i < m; i++) ar[i] = gain[i] * ((xr[i] - mean) * rstd);
        }
    }
}

static void forward_part(void *ctx, size_t r0, size_t r1, size_t part)
{
    (void)part;
    forward_rows(ctx, r0, r1);
}

/* Rows a part of a pass takes at least: MLP__PAR_MIN values. */
static size_t min_rows(size_t m) { return MLP__PAR_MIN / m + 1; }

static void ln_forward(const mlp_net *net, mlp_workspace *ws, size_t l, const real *x, size_t n,
                       int keep)
{
    const mlp_layer *L = &net->layers[l];
    const ln_job j = {net, ws, l, x, ws->MLP__T(act)[l], keep};
    /* every row on its own: the parts' cuts change no value */
    mlp__parallel_for(n, 1, min_rows(L->out), forward_part, (void *)&j);
    if (L->act != MLP_ACT_IDENTITY)
        MLP__T(mlp__bias_activate)(ws->MLP__T(act)[l], NULL, n, L->out, L->act);
}

/* Rows [r0, r1) of the input gradient. */
MLP__CLONES
static void input_rows(const ln_job *j, size_t r0, size_t r1)
{
    const mlp_layer *L = &j->net->layers[j->l];
    const size_t m = L->out;
    const real *gain = j->net->MLP__T(params) + L->w_off, *xhat = kept_xhat(j->ws, j->l);
    const real *rs = kept_r(j->ws, j->l);
    for (size_t r = r0; r < r1; r++) {
        const real *dzr = j->x + r * m, *xr = xhat + r * m;
        real *dxr = j->out + r * m;
        real s1[LANES] = {0}, s2[LANES] = {0}; /* Σ dz·γ and Σ dz·γ·x̂ */
        size_t i = 0;
        for (; i + LANES <= m; i += LANES)
            for (size_t k = 0; k < LANES; k++) {
                const real gi = dzr[i + k] * gain[i + k];
                s1[k] += gi;
                s2[k] += gi * xr[i + k];
            }
        for (size_t k = 0; i + k < m; k++) {
            const real gi = dzr[i + k] * gain[i + k];
            s1[k] += gi;
            s2[k] += gi * xr[i + k];
        }
        const real m1 = lanes_total(s1) / (real)m, m2 = lanes_total(s2) / (real)m;
        const real rstd = rs[r];
        for (i = 0; i < m; i++) dxr[i] = rstd * (dzr[i] * gain[i] - m1 - xr[i] * m2);
    }
}

static void input_part(void *ctx, size_t r0, size_t r1, size_t part)
{
    (void)part;
    input_rows(ctx, r0, r1);
}

/* The parameter gradient: column sums over the rows, each column in row order. */
MLP__CLONES
static void param_rows(real *dg, real *db, const real *dz, const real *xhat, size_t n, size_t m)
{
    for (size_t i = 0; i < m; i++) dg[i] = 0.0;
    if (db != NULL)
        for (size_t i = 0; i < m; i++) db[i] = 0.0;
    for (size_t r = 0; r < n; r++) {
        const real *dzr = dz + r * m, *xr = xhat + r * m;
        for (size_t i = 0; i < m; i++) dg[i] += dzr[i] * xr[i];
        if (db != NULL)
            for (size_t i = 0; i < m; i++) db[i] += dzr[i];
    }
}

static void ln_backward(const mlp_net *net, const mlp_workspace *ws, size_t l, real *g, real *dx,
                        const real *dz, const real *a_prev, size_t n)
{
    (void)a_prev;
    const mlp_layer *L = &net->layers[l];
    if (g != NULL)
        param_rows(g + L->w_off, L->has_bias ? g + L->b_off : NULL, dz, kept_xhat(ws, l), n,
                   L->out);
    if (dx == NULL) return;
    const ln_job j = {net, ws, l, dz, dx, 0};
    mlp__parallel_for(n, 1, min_rows(L->out), input_part, (void *)&j);
}

static void ln_jacobian_row(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                            real *row, const real *d, const real *ap)
{
    (void)ap;
    const real *xr = kept_xhat(ws, l) + r * L->out;
    for (size_t j = 0; j < L->out; j++) {
        row[L->w_off + j] = d[j] * xr[j];
        if (L->has_bias) row[L->b_off + j] = d[j];
    }
}

const struct MLP__T(mlp__layer_passes) MLP__T(mlp__layernorm_passes) = {
    .forward = ln_forward,
    .backward_output = mlp__activation_backward_output,
    .backward = ln_backward,
    .sgd = NULL,
    .jacobian_row = ln_jacobian_row,
};

/* What is the same for both types: once, in the float64 build. */
#if !MLP__F32

static mlp_status ln_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                           size_t *out, size_t *np, mlp_status bad, const char *fn)
{
    return mlp__norm_check(spec, l, in, limit, out, np, bad, fn, "a layer normalization",
                           "MLP_LAYERNORM");
}

static void ln_values_out(const mlp_layer *L, double *v) { v[0] = L->epsilon; }

static void ln_values_in(mlp_layer_spec *spec, const double *v) { spec->epsilon = v[0]; }

static size_t ln_kept(const mlp_layer *L, int last)
{
    (void)last;
    return 2 * L->out + 1;
}

const mlp__layer_kind mlp__layernorm_layer = {
    .name = "a layer normalization",
    .check = ln_check,
    .n_values = 1,
    .values_out = ln_values_out,
    .values_in = ln_values_in,
    .blocks = mlp__norm_blocks,
    .kept = ln_kept,
    .sgd_spare = NULL,
    .passes = &mlp__layernorm_passes,
    .passes_f32 = &mlp__layernorm_passes_f32,
};

#endif
