/* The dropout kind (Srivastava et al., 2014): while training, each value is dropped
 * (set to 0) with probability `rate` and the others scaled by 1 / (1 − rate), so that
 * the layer's expected output is its input; the identity otherwise.
 *
 * The mask is a function of (the step's key, the layer, the value's row in the whole
 * batch, its column) through a counter-based generator (splitmix64's finalizer over a
 * distinct counter per value), never of a stream: the rows a thread, a shard or a rank
 * takes draw the same bits as one process taking them all. A training pass keeps the
 * scale it applied to each value (0 or 1 / (1 − rate)) in ws->z[l] for the backward
 * pass.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include <math.h>

#include "passes.h"

/* One row's scales (0 or `scale`) and output, value i's draw from counter base + i + 1. */
MLP__CLONES
static void mask_row(real *s, real *a, const real *x, size_t m, uint64_t key, uint64_t base,
                     uint64_t below, real scale)
{
    for (size_t i = 0; i < m; i++) {
        const uint64_t z = mlp__dropout_mix(key + (base + i + 1) * 0x9E3779B97F4A7C15ull);
        s[i] = (z >> 11) < below ? 0 : scale;
        a[i] = x[i] * s[i];
    }
}

static void drop_forward(const mlp_net *net, mlp_workspace *ws, size_t l, const real *x, size_t n,
                         int keep)
{
    const mlp_layer *L = &net->layers[l];
    const size_t m = L->out;
    real *a = ws->MLP__T(act)[l];
    if (!ws->training || L->rate == 0.0) { /* the identity (and a scale of 1 kept) */
        for (size_t i = 0; i < n * m; i++) a[i] = x[i];
        if (keep)
            for (size_t i = 0; i < n * m; i++) ws->MLP__T(z)[l][i] = 1.0;
        return;
    }
    const real scale = (real)(1.0 / (1.0 - L->rate));
    const uint64_t step_key = mlp__dropout_key(ws->drop_seed, ws->drop_step);
    const uint64_t key = mlp__dropout_mix(step_key + (uint64_t)(l + 1) * 0xD1B54A32D192ED03ull);
    /* a value is dropped when its uniform u = (z >> 11)·2^-53 is below the rate: for the
     * whole number z >> 11 that is z >> 11 < ⌈rate·2^53⌉ (rate·2^53 is exact), a
     * comparison of integers, which vectorizes where the conversion does not */
    const uint64_t below = (uint64_t)ceil(L->rate * 0x1.0p53);
    for (size_t r = 0; r < n; r++)
        mask_row(ws->MLP__T(z)[l] + r * m, a + r * m, x + r * m, m, key,
                 (uint64_t)(ws->drop_row0 + r) * (uint64_t)m, below, scale);
}

static void drop_backward_output(const mlp_net *net, const mlp_workspace *ws, size_t l, real *d,
                                 size_t n)
{
    (void)net, (void)ws, (void)l, (void)d, (void)n; /* no activation */
}

static void drop_backward(const mlp_net *net, const mlp_workspace *ws, size_t l, real *g, real *dx,
                          const real *d, const real *a_prev, size_t n)
{
    (void)g, (void)a_prev; /* no parameters */
    if (dx == NULL) return;
    const size_t cells = n * net->layers[l].out;
    const real *s = ws->MLP__T(z)[l];
    for (size_t i = 0; i < cells; i++) dx[i] = d[i] * s[i];
}

static void drop_jacobian_row(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                              real *row, const real *d, const real *ap)
{
    (void)ws, (void)L, (void)l, (void)r, (void)row, (void)d, (void)ap; /* no parameters */
}

const struct MLP__T(mlp__layer_passes) MLP__T(mlp__dropout_passes) = {
    .forward = drop_forward,
    .backward_output = drop_backward_output,
    .backward = drop_backward,
    .sgd = NULL,
    .jacobian_row = drop_jacobian_row,
};

/* What is the same for both types: once, in the float64 build. */
#if !MLP__F32

static mlp_status drop_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                             size_t *out, size_t *np, mlp_status bad, const char *fn)
{
    (void)limit;
    const mlp_status s = mlp__same_width_check(spec, l, in, "a dropout", bad, fn);
    if (s != MLP_OK) return s;
    MLP_CHECK(spec->rate >= 0.0 && spec->rate < 1.0, bad,
              "%s: layer %zu (a dropout) has rate %g, must be at least 0 and below 1 (the "
              "probability of dropping a value)",
              fn, l, spec->rate);
    MLP_CHECK(spec->activation == MLP_ACT_IDENTITY, bad,
              "%s: layer %zu (a dropout) has the activation %s: a dropout has none (give "
              "MLP_ACT_IDENTITY, and the activation to the layer before it)",
              fn, l, mlp_activation_name(spec->activation));
    *out = in;
    *np = 0;
    return MLP_OK;
}

static void drop_values_out(const mlp_layer *L, double *v) { v[0] = L->rate; }

static void drop_values_in(mlp_layer_spec *spec, const double *v) { spec->rate = v[0]; }

static size_t drop_blocks(const mlp_layer *L, mlp__param_block *b)
{
    (void)L, (void)b;
    return 0;
}

static size_t drop_kept(const mlp_layer *L, int last)
{
    (void)last;
    return L->out;
}

const mlp__layer_kind mlp__dropout_layer = {
    .name = "a dropout",
    .flags = MLP__KIND_RANDOM,
    .check = drop_check,
    .n_values = 1,
    .values_out = drop_values_out,
    .values_in = drop_values_in,
    .blocks = drop_blocks,
    .kept = drop_kept,
    .sgd_spare = NULL,
    .passes = &mlp__dropout_passes,
    .passes_f32 = &mlp__dropout_passes_f32,
};

#endif
