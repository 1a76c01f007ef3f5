/* The table of layer kinds, and the two passes that walk a network through it: the
 * forward pass and the one backward pass (every gradient the library takes goes
 * through mlp__backward_pass: mlp_net_gradient, the first-order steps, plain SGD's
 * fused update, sharded fits, the Levenberg–Marquardt Jacobian). */
#include "mlp_internal.h"

static const mlp__layer_kind *const kinds[] = {
    [MLP__LAYER_DENSE] = &mlp__dense_layer,
};
_Static_assert(sizeof kinds / sizeof kinds[0] == MLP__LAYER_TYPES,
               "every layer kind has its entry in the table");

const mlp__layer_kind *mlp__layer_kind_of(mlp__layer_type type)
{
    const unsigned i = (unsigned)type;
    return i < MLP__LAYER_TYPES ? kinds[i] : NULL;
}

void mlp__forward(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n, int keep)
{
    ws->last_rows = n;
    /* The small road keeps no pre-activation: its activations (piecewise linear)
     * never need one, and the output's logits are only asked for by the losses
     * that need them. */
    if (!(keep & MLP__KEEP_LOGITS) && mlp__small_net_forward(net, ws, x, n)) return;
    const double *a_prev = x; /* (n, in) */
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        /* the output layer keeps its pre-activation when asked for the logits; a
         * hidden layer what its kind needs for the backward pass */
        const int keep_z = l + 1 == net->n_layers ? (keep & MLP__KEEP_LOGITS) != 0
                                                  : (keep & MLP__KEEP_Z) != 0 && L->type->kept(L, 0) > 0;
        mlp__layer_forward(net, ws, l, a_prev, n, keep_z);
        a_prev = ws->act[l];
    }
}

double mlp__backward(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, double *grad,
                     const double *x, const double *target, size_t n)
{
    return mlp__backward_hooked(net, ws, loss, grad, x, target, n, n, NULL, NULL);
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

double mlp__backward_hooked(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, double *grad,
                            const double *x, const double *target, size_t n, size_t of,
                            mlp__layer_done done, void *ctx)
{
    const size_t last = net->n_layers - 1;
    const mlp_layer *out = &net->layers[last];
    /* the loss's dZ of the output layer, in the first of the pass's two buffers */
    hooked h = {done, ctx, 0.0};
    h.loss = mlp__loss(loss)->loss_and_delta(ws->delta[0], ws->act[last], ws->z[last], target, n,
                                             out->out, out->act, of);
    const mlp__backward_plan b = {.grad = grad,
                             .pair = {ws->delta[0], ws->delta[1]},
                             .top_is_z = 1,
                             .grad_ready = done != NULL ? layer_done : NULL,
                             .ctx = &h};
    mlp__backward_pass(net, ws, x, n, &b);
    return h.loss;
}
