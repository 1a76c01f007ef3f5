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
 * first max_batch·m values, x̂ in the next max_batch·m, r in the last max_batch. */
#include <math.h>

#include "mlp_internal.h"

static mlp_status ln_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                           size_t *out, size_t *np, mlp_status bad, const char *fn)
{
    MLP_CHECK(spec->size == 0 || spec->size == in, bad,
              "%s: layer %zu is a layer normalization of %zu values, its size is %zu: give 0 "
              "or %zu (it keeps its input's width)",
              fn, l, in, spec->size, in);
    MLP_CHECK(spec->epsilon > 0.0 && isfinite(spec->epsilon), bad,
              "%s: layer %zu (a layer normalization) has epsilon %g, must be positive and "
              "finite (PyTorch's is 1e-5; MLP_LAYERNORM() sets it)",
              fn, l, spec->epsilon);
    MLP_CHECK(in <= limit / 2, bad == MLP_ERR_INVALID_ARG ? MLP_ERR_NOMEM : bad,
              "%s: parameter count overflows at layer %zu", fn, l);
    *out = in;
    *np = in + (spec->bias ? in : 0);
    return MLP_OK;
}

static void ln_values_out(const mlp_layer *L, double *v) { v[0] = L->epsilon; }

static void ln_values_in(mlp_layer_spec *spec, const double *v) { spec->epsilon = v[0]; }

static size_t ln_blocks(const mlp_layer *L, mlp__param_block *b)
{
    b[0] = (mlp__param_block){L->w_off, L->out, 0, MLP__BLOCK_ONES, 0, 0};
    if (!L->has_bias) return 1;
    b[1] = (mlp__param_block){L->b_off, L->out, 0, MLP__BLOCK_ZEROS, 0, 0};
    return 2;
}

static size_t ln_kept(const mlp_layer *L, int last)
{
    (void)last;
    return 2 * L->out + 1;
}

/* Where a training pass keeps z, x̂ and r. */
static double *kept_z(const mlp_workspace *ws, size_t l) { return ws->z[l]; }
static double *kept_xhat(const mlp_workspace *ws, size_t l)
{
    return ws->z[l] + ws->max_batch * ws->sizes[l];
}
static double *kept_r(const mlp_workspace *ws, size_t l)
{
    return ws->z[l] + 2 * ws->max_batch * ws->sizes[l];
}

static void ln_forward(const mlp_net *net, mlp_workspace *ws, size_t l, const double *x, size_t n,
                       int keep)
{
    const mlp_layer *L = &net->layers[l];
    const size_t m = L->out;
    const double *gain = net->params + L->w_off, *bias = L->has_bias ? net->params + L->b_off : NULL;
    double *a = ws->act[l];
    for (size_t r = 0; r < n; r++) {
        const double *xr = x + r * m;
        double *ar = a + r * m;
        double sum = 0.0;
        for (size_t i = 0; i < m; i++) sum += xr[i];
        const double mean = sum / (double)m;
        double sq = 0.0;
        for (size_t i = 0; i < m; i++) sq += (xr[i] - mean) * (xr[i] - mean);
        const double rstd = 1.0 / sqrt(sq / (double)m + L->epsilon);
        double *xh = keep ? kept_xhat(ws, l) + r * m : ar; /* x̂, then z over it */
        for (size_t i = 0; i < m; i++) xh[i] = (xr[i] - mean) * rstd;
        for (size_t i = 0; i < m; i++) ar[i] = gain[i] * xh[i] + (bias != NULL ? bias[i] : 0.0);
        if (keep) {
            kept_r(ws, l)[r] = rstd;
            double *zr = kept_z(ws, l) + r * m;
            for (size_t i = 0; i < m; i++) zr[i] = ar[i];
        }
    }
    if (L->act != MLP_ACT_IDENTITY) mlp__bias_activate(a, NULL, n, m, L->act);
}

static void ln_backward_output(const mlp_net *net, const mlp_workspace *ws, size_t l, double *d,
                               size_t n)
{
    const mlp_layer *L = &net->layers[l];
    mlp__activation_backward(d, d, ws->act[l], kept_z(ws, l), n, L->out, L->act);
}

static void ln_backward(const mlp_net *net, const mlp_workspace *ws, size_t l, double *g,
                        double *dx, const double *dz, const double *a_prev, size_t n)
{
    (void)a_prev;
    const mlp_layer *L = &net->layers[l];
    const size_t m = L->out;
    const double *gain = net->params + L->w_off, *xhat = kept_xhat(ws, l), *rs = kept_r(ws, l);
    if (g != NULL) {
        double *dg = g + L->w_off, *db = L->has_bias ? g + L->b_off : NULL;
        for (size_t i = 0; i < m; i++) dg[i] = 0.0;
        if (db != NULL)
            for (size_t i = 0; i < m; i++) db[i] = 0.0;
        for (size_t r = 0; r < n; r++) {
            const double *dzr = dz + r * m, *xr = xhat + r * m;
            for (size_t i = 0; i < m; i++) dg[i] += dzr[i] * xr[i];
            if (db != NULL)
                for (size_t i = 0; i < m; i++) db[i] += dzr[i];
        }
    }
    if (dx == NULL) return;
    for (size_t r = 0; r < n; r++) {
        const double *dzr = dz + r * m, *xr = xhat + r * m;
        double *dxr = dx + r * m;
        double s1 = 0.0, s2 = 0.0;
        for (size_t i = 0; i < m; i++) {
            const double gi = dzr[i] * gain[i];
            s1 += gi;
            s2 += gi * xr[i];
        }
        const double m1 = s1 / (double)m, m2 = s2 / (double)m, rstd = rs[r];
        for (size_t i = 0; i < m; i++) dxr[i] = rstd * (dzr[i] * gain[i] - m1 - xr[i] * m2);
    }
}

static void ln_jacobian_row(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                            double *row, const double *d, const double *ap)
{
    (void)ap;
    const double *xr = kept_xhat(ws, l) + r * L->out;
    for (size_t j = 0; j < L->out; j++) {
        row[L->w_off + j] = d[j] * xr[j];
        if (L->has_bias) row[L->b_off + j] = d[j];
    }
}

const mlp__layer_kind mlp__layernorm_layer = {
    .name = "a layer normalization",
    .check = ln_check,
    .n_values = 1,
    .values_out = ln_values_out,
    .values_in = ln_values_in,
    .blocks = ln_blocks,
    .kept = ln_kept,
    .forward = ln_forward,
    .backward_output = ln_backward_output,
    .backward = ln_backward,
    .sgd = NULL,
    .sgd_spare = NULL,
    .jacobian_row = ln_jacobian_row,
};
