/* The two passes that walk a network through its layers' kinds: the forward pass and
 * the one backward pass (every gradient the library takes goes through
 * mlp__backward_pass: mlp_net_gradient, the first-order steps, plain SGD's fused
 * update, sharded fits, the Levenberg–Marquardt Jacobian); the running state of the
 * kinds that keep one; and what several kinds share (the width check, the
 * normalizations' settings and parameter blocks). The table itself is kinds.c.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32. */
#include <math.h>
#include <string.h>

#include "passes.h"

void MLP__T(mlp__state_reset)(const mlp_net *net, real *state)
{
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (L->ns > 0) L->type->MLP__T(passes)->state_reset(L, state + L->s_off);
    }
}

int MLP__T(mlp__state_ready)(const mlp_net *net, const mlp_workspace *ws)
{
    for (size_t l = 0; l < net->n_layers && net->n_state > 0; l++) {
        const mlp_layer *L = &net->layers[l];
        const real *next = L->ns > 0 ? L->type->MLP__T(passes)->state_next(L, ws, l) : NULL;
        if (next != NULL && !MLP__T(mlp__all_finite)(next, L->ns)) return 0;
    }
    return 1;
}

void MLP__T(mlp__state_commit)(mlp_net *net, const mlp_workspace *ws)
{
    for (size_t l = 0; l < net->n_layers && net->n_state > 0; l++) {
        const mlp_layer *L = &net->layers[l];
        const real *next = L->ns > 0 ? L->type->MLP__T(passes)->state_next(L, ws, l) : NULL;
        if (next != NULL) memcpy(net->MLP__T(state) + L->s_off, next, L->ns * sizeof *next);
    }
}

void MLP__T(mlp__layer_sgd_generic)(mlp_net *net, const mlp_workspace *ws, size_t l, const real *d,
                                    const real *a_prev, size_t n, real lr, real decay,
                                    real *scratch)
{
    const mlp_layer *L = &net->layers[l];
    real *g = scratch - L->w_off; /* the whole gradient block: scratch is its layer part */
    L->type->MLP__T(passes)->backward(net, ws, l, g, NULL, d, a_prev, n);
    mlp__param_block b[MLP__MAX_BLOCKS];
    const size_t nb = L->type->blocks(L, b);
    for (size_t k = 0; k < nb; k++) {
        real *p = net->MLP__T(params) + b[k].off;
        const real *gk = g + b[k].off, keep = b[k].decays ? decay : 1;
        for (size_t i = 0; i < b[k].count; i++) p[i] = keep * p[i] - lr * gk[i];
    }
}

void MLP__T(mlp__forward)(const mlp_net *net, mlp_workspace *ws, const real *x, size_t n, int keep)
{
    ws->last_rows = n;
    ws->training = (keep & MLP__KEEP_Z) != 0;
    /* The small road keeps no pre-activation: its activations (piecewise linear)
     * never need one, and the output's logits are only asked for by the losses
     * that need them. */
    if (!(keep & MLP__KEEP_LOGITS) && MLP__T(mlp__small_net_forward)(net, ws, x, n)) return;
    const real *a_prev = x; /* (n, in) */
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        /* the output layer keeps its pre-activation when asked for the logits; a
         * hidden layer what its kind needs for the backward pass */
        const int hidden_keep = (keep & MLP__KEEP_Z) != 0 && L->type->kept(L, 0) > 0;
        const int keep_z =
            l + 1 == net->n_layers ? (keep & MLP__KEEP_LOGITS) != 0 || hidden_keep : hidden_keep;
        mlp__layer_forward(net, ws, l, a_prev, n, keep_z);
        a_prev = ws->MLP__T(act)[l];
    }
}

double MLP__T(mlp__backward)(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, real *grad,
                             const real *x, const real *target, const double *w, size_t n)
{
    return MLP__T(mlp__backward_hooked)(net, ws, loss, grad, x, target, w, n, n, NULL, NULL);
}

typedef struct hooked {
    mlp__layer_done done;
    void *ctx;
    double loss;
} hooked;

static void layer_done(void *ctx, size_t l)
{
    const hooked *h = ctx;
    h->done(h->ctx, l, h->loss);
}

double MLP__T(mlp__backward_hooked)(const mlp_net *net, mlp_workspace *ws, mlp_loss loss,
                                    real *grad, const real *x, const real *target,
                                    const double *w, size_t n, size_t of, mlp__layer_done done,
                                    void *ctx)
{
    const size_t last = net->n_layers - 1;
    const mlp_layer *out = &net->layers[last];
    /* the loss's dZ of the output layer, in the first of the pass's two buffers */
    hooked h = {done, ctx, 0.0};
    h.loss = MLP__T(mlp__loss)(loss)->loss_and_delta(ws->MLP__T(delta)[0], ws->MLP__T(act)[last],
                                                     ws->MLP__T(z)[last], target, w, n,
                                                     out->out, out->act, of);
    const MLP__T(mlp__backward_plan) b = {.grad = grad,
                                          .pair = {ws->MLP__T(delta)[0], ws->MLP__T(delta)[1]},
                                          .top_is_z = 1,
                                          .grad_ready = done != NULL ? layer_done : NULL,
                                          .ctx = &h};
    mlp__backward_pass(net, ws, x, n, &b);
    return h.loss;
}

/* What is the same for both types: once, in the float64 build. */
#if !MLP__F32

mlp_status mlp__same_width_check(const mlp_layer_spec *spec, size_t l, size_t in, const char *name,
                                 mlp_status bad, const char *fn)
{
    MLP_CHECK(spec->size == 0 || spec->size == in, bad,
              "%s: layer %zu is %s of %zu values, its size is %zu: give 0 or %zu (it keeps its "
              "input's width)",
              fn, l, name, in, spec->size, in);
    return MLP_OK;
}

mlp_status mlp__norm_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                           size_t *out, size_t *np, mlp_status bad, const char *fn,
                           const char *name, const char *macro)
{
    const mlp_status s = mlp__same_width_check(spec, l, in, name, bad, fn);
    if (s != MLP_OK) return s;
    MLP_CHECK(spec->epsilon > 0.0 && isfinite(spec->epsilon), bad,
              "%s: layer %zu (%s) has epsilon %g, must be positive and finite (PyTorch's is "
              "1e-5; %s() sets it)",
              fn, l, name, spec->epsilon, macro);
    MLP_CHECK(in <= limit / 2, bad == MLP_ERR_INVALID_ARG ? MLP_ERR_NOMEM : bad,
              "%s: parameter count overflows at layer %zu", fn, l);
    *out = in;
    *np = in + (spec->bias ? in : 0);
    return MLP_OK;
}

size_t mlp__norm_blocks(const mlp_layer *L, mlp__param_block *b)
{
    b[0] = (mlp__param_block){L->w_off, L->out, 0, MLP__BLOCK_ONES, 0, 0};
    if (!L->has_bias) return 1;
    b[1] = (mlp__param_block){L->b_off, L->out, 0, MLP__BLOCK_ZEROS, 0, 0};
    return 2;
}

size_t mlp__layer_with(const mlp_net *net, unsigned flags)
{
    size_t l = 0;
    while (l < net->n_layers && (net->layers[l].type->flags & flags) == 0) l++;
    return l;
}

#endif
