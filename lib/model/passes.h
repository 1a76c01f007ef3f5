/* The passes' steps, inline (lib/model/): a layer's forward and backward through its
 * kind, the dense kind's directly, and the one backward pass. Typed (lib/core/typed.h):
 * `real` is the including file's scalar type, and so are the functions here, each
 * static to the file that includes it. Private. */
#ifndef MLP_MODEL_PASSES_H
#define MLP_MODEL_PASSES_H

#include "model.h"
#include "../core/typed.h"

/* The dense kind's operations (its table entry points at them too). The passes call
 * them directly rather than through the table: a small network's step is a few hundred
 * instructions, and calls through the table, with their wrappers, added a fifth. */
static inline void mlp__dense_layer_forward(const mlp_net *net, mlp_workspace *ws, size_t l,
                                            const real *a_prev, size_t n, int keep_z)
{
    const mlp_layer *L = &net->layers[l];
    const real *p = net->MLP__T(params);
    MLP__T(mlp__dense_forward)(ws->MLP__T(act)[l], keep_z ? ws->MLP__T(z)[l] : NULL, a_prev,
                               p + L->w_off, L->has_bias ? p + L->b_off : NULL, n, L->in, L->out,
                               L->act);
}

/* The gradient of a layer's output made that of its pre-activation z, through its
 * activation, z kept at the start of ws->z[l]: the backward_output of the dense kind and
 * of the normalizations alike. */
static inline void mlp__activation_backward_output(const mlp_net *net, const mlp_workspace *ws,
                                                   size_t l, real *d, size_t n)
{
    const mlp_layer *L = &net->layers[l];
    MLP__T(mlp__activation_backward)(d, d, ws->MLP__T(act)[l], ws->MLP__T(z)[l], n, L->out, L->act);
}

static inline void mlp__dense_layer_backward(const mlp_net *net, const mlp_workspace *ws, size_t l,
                                             real *g, real *da_prev, const real *d,
                                             const real *a_prev, size_t n)
{
    (void)ws;
    const mlp_layer *L = &net->layers[l];
    const real *w = net->MLP__T(params) + L->w_off;
    if (g != NULL)
        MLP__T(mlp__dense_backward)(g + L->w_off, L->has_bias ? g + L->b_off : NULL, da_prev, d,
                                    a_prev, w, n, L->in, L->out);
    else if (da_prev != NULL)
        MLP__T(mlp__dense_backward_input)(da_prev, d, w, n, L->in, L->out);
}

static inline void mlp__dense_layer_sgd(mlp_net *net, const mlp_workspace *ws, size_t l,
                                        const real *d, const real *a_prev, size_t n, real lr,
                                        real decay, real *scratch)
{
    (void)ws;
    const mlp_layer *L = &net->layers[l];
    real *w = net->MLP__T(params) + L->w_off,
         *b = L->has_bias ? net->MLP__T(params) + L->b_off : NULL;
    if (n == 1 && mlp__small_layer(L->in, L->out))
        MLP__T(mlp__dense_sgd_one_row)(w, b, d, a_prev, L->in, L->out, lr, decay);
    else
        MLP__T(mlp__dense_sgd)(w, b, d, a_prev, n, L->in, L->out, lr, decay, scratch);
}

/* A layer's step through its kind: dense's directly, the others' through the table. */
static inline void mlp__layer_forward(const mlp_net *net, mlp_workspace *ws, size_t l,
                                      const real *a_prev, size_t n, int keep_z)
{
    const mlp_layer *L = &net->layers[l];
    if (L->kind == MLP_LAYER_DENSE)
        mlp__dense_layer_forward(net, ws, l, a_prev, n, keep_z);
    else
        L->type->MLP__T(passes)->forward(net, ws, l, a_prev, n, keep_z);
}

static inline void mlp__layer_backward_output(const mlp_net *net, const mlp_workspace *ws, size_t l,
                                              real *d, size_t n)
{
    const mlp_layer *L = &net->layers[l];
    if (L->kind == MLP_LAYER_DENSE)
        mlp__activation_backward_output(net, ws, l, d, n);
    else
        L->type->MLP__T(passes)->backward_output(net, ws, l, d, n);
}

static inline void mlp__layer_backward(const mlp_net *net, const mlp_workspace *ws, size_t l,
                                       real *g, real *da_prev, const real *d, const real *a_prev,
                                       size_t n)
{
    const mlp_layer *L = &net->layers[l];
    if (L->kind == MLP_LAYER_DENSE)
        mlp__dense_layer_backward(net, ws, l, g, da_prev, d, a_prev, n);
    else
        L->type->MLP__T(passes)->backward(net, ws, l, g, da_prev, d, a_prev, n);
}

static inline void mlp__layer_sgd(mlp_net *net, const mlp_workspace *ws, size_t l, const real *d,
                                  const real *a_prev, size_t n, real lr, real decay, real *scratch)
{
    const mlp_layer *L = &net->layers[l];
    if (L->kind == MLP_LAYER_DENSE)
        mlp__dense_layer_sgd(net, ws, l, d, a_prev, n, lr, decay, scratch);
    else if (L->type->MLP__T(passes)->sgd != NULL)
        L->type->MLP__T(passes)->sgd(net, ws, l, d, a_prev, n, lr, decay, scratch);
    else
        MLP__T(mlp__layer_sgd_generic)(net, ws, l, d, a_prev, n, lr, decay, scratch);
}

/* The one backward pass (described with mlp__backward_plan: model_typed.h). Inline, so that a
 * caller's hooks, known where it is called, are inlined into it. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void
mlp__backward_pass(const mlp_net *net, const mlp_workspace *ws, const real *x, size_t n,
                   const MLP__T(mlp__backward_plan) * b)
{
    const size_t last = net->n_layers - 1;
    real *const *dl = b->d;
    real *d = dl != NULL ? dl[last] : b->pair[0];
    if (!b->top_is_z) mlp__layer_backward_output(net, ws, last, d, n);
    for (size_t l = last;; l--) {
        if (b->d_ready != NULL && !b->d_ready(b->ctx, l, d)) return;
        if (l == 0) { /* no input gradient to make */
            mlp__layer_backward(net, ws, 0, b->grad, NULL, d, x, n);
            if (b->grad_ready != NULL) b->grad_ready(b->ctx, 0);
            return;
        }
        real *da_prev = dl != NULL ? dl[l - 1] : b->pair[(last - l + 1) & 1];
        mlp__layer_backward(net, ws, l, b->grad, da_prev, d, ws->MLP__T(act)[l - 1], n);
        if (b->grad_ready != NULL) b->grad_ready(b->ctx, l);
        d = da_prev;
        mlp__layer_backward_output(net, ws, l - 1, d, n);
    }
}

#endif
