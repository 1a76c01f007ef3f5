/* Backpropagation through a whole network, and its check by finite differences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* The checks shared by mlp_net_gradient and mlp_net_gradient_check. */
static mlp_status check_batch(const mlp_net *net, const mlp_workspace *ws, mlp_loss loss,
                              const mlp_dataset *batch, mlp__rows *b, const char *fn)
{
    MLP_CHECK(net != NULL, MLP_ERR_INVALID_ARG, "%s: net is NULL", fn);
    mlp_status s = mlp__rows_in(b, batch, net, 1, fn, "batch");
    if (s == MLP_OK) s = mlp__loss_fits(loss, net, fn);
    if (s != MLP_OK) return s;
    if (ws != NULL) { /* the row count against what holds the rows, before reading them */
        MLP_CHECK(b->n <= ws->max_batch, MLP_ERR_SHAPE,
                  "%s: batch of %zu rows exceeds the workspace's maximum of %zu", fn, b->n,
                  ws->max_batch);
        s = mlp__workspace_fits(ws, net, 1, fn);
        if (s != MLP_OK) return s;
    }
    return mlp__rows_check_classes(b, fn, "batch");
}

mlp_status mlp_net_gradient(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, double *grad,
                            double *loss_value, const mlp_dataset *batch)
{
    MLP_CHECK_PTR(ws);
    MLP_CHECK_PTR(grad);
    mlp__rows b;
    mlp_status s = check_batch(net, ws, loss, batch, &b, __func__);
    if (s != MLP_OK) return s;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), np = net->n_params;
    double value;
    /* the rows as the network reads them, widened to double where they are floats */
#define ROW_VALUE(p, j) (net->f32 ? (double)((const float *)(p))[j] : ((const double *)(p))[j])
    const void *xs, *ts;
    if (net->f32) { /* computed in float, widened into the caller's doubles */
        float *g = malloc(np * sizeof *g);
        MLP_CHECK(g != NULL, MLP_ERR_NOMEM,
                  "mlp_net_gradient: cannot allocate the float32 gradient of %zu parameters", np);
        const float *x, *t;
        mlp__rows_batch_f32(&x, &t, &b, net, ws);
        mlp__forward_f32(net, ws, x, b.n, mlp__keep_for(net, loss));
        value = mlp__backward_f32(net, ws, loss, g, x, t, b.w, b.n);
        for (size_t i = 0; i < np; i++) grad[i] = (double)g[i];
        free(g);
        xs = x;
        ts = t;
    } else {
        const double *x, *t;
        mlp__rows_batch(&x, &t, &b, net, ws);
        mlp__forward(net, ws, x, b.n, mlp__keep_for(net, loss));
        value = mlp__backward(net, ws, loss, grad, x, t, b.w, b.n);
        xs = x;
        ts = t;
    }
    if (loss_value != NULL) *loss_value = value;
    if (isfinite(value) && mlp__all_finite(grad, np)) return MLP_OK;
    /* MLP_OK means finite: say which value is not, and where it came from */
    size_t i = 0;
    while (i < np && isfinite(grad[i])) i++;
    for (size_t j = 0; j < b.n * in; j++)
        MLP_CHECK(isfinite(ROW_VALUE(xs, j)), MLP_ERR_NUMERIC,
                  "mlp_net_gradient: the loss is %g: row %zu's input %zu is %g", value, j / in,
                  j % in, ROW_VALUE(xs, j));
    for (size_t j = 0; j < b.n * k; j++) /* as the network reads them: k a row */
        MLP_CHECK(isfinite(ROW_VALUE(ts, j)), MLP_ERR_NUMERIC,
                  "mlp_net_gradient: the loss is %g: row %zu's target %zu is %g", value, j / k,
                  j % k, ROW_VALUE(ts, j));
#undef ROW_VALUE
    return mlp__fail(MLP_ERR_NUMERIC,
                     "mlp_net_gradient: the loss is %g and %s: the values outgrow the %s range "
                     "in the network (inputs, targets or weights too large)",
                     value, i < np ? "a parameter's gradient is not finite" : "its gradient finite",
                     net->f32 ? "float32" : "double");
}

/* Activations whose derivative (relu, leaky relu) or second derivative (elu) jumps at 0. */
static int kinked(mlp_activation act) { return (mlp__activation(act)->flags & MLP__ACT_KINK) != 0; }

/* Which side of its kink every node of a kinked layer is on, for all n rows, as one
 * byte each: for these activations a > 0 exactly when z > 0. Returns 1 when the
 * last forward pass matches `base` (or, with record, writes it). */
static int kink_pattern(const mlp_net *net, const mlp_workspace *ws, size_t n, unsigned char *base,
                        int record)
{
    size_t k = 0;
    for (size_t l = 0; l < net->n_layers; l++) {
        if (!kinked(net->layers[l].act)) continue;
        const double *a = ws->act[l];
        for (size_t i = 0; i < n * net->layers[l].out; i++, k++) {
            const unsigned char side = a[i] > 0.0;
            if (record) base[k] = side;
            else if (base[k] != side) return 0;
        }
    }
    return 1;
}

typedef struct probe {
    mlp_net *net;
    mlp_workspace *ws;
    mlp_loss loss;
    const double *x, *target;
    const double *w; /* row weights, or NULL */
    size_t n;
    const unsigned char *pattern; /* the unperturbed kink pattern */
} probe;

static double loss_at(const probe *p, int *same_side)
{
    const mlp_net *net = p->net;
    const size_t last = net->n_layers - 1;
    mlp__forward(net, p->ws, p->x, p->n, mlp__keep_for(net, p->loss));
    if (!kink_pattern(net, p->ws, p->n, (unsigned char *)p->pattern, 0)) *same_side = 0;
    return mlp__loss(p->loss)->value(p->ws->act[last], p->ws->z[last], p->target, p->w, p->n,
                                     net->layers[last].out);
}

/* (L(p + d) - L(p - d)) / 2d for parameter i, restoring it bit for bit; clears
 * *same_side when either evaluation put a node on the other side of its kink. */
static double central(const probe *p, size_t i, double d, int *same_side)
{
    double *w = p->net->params;
    const double keep = w[i];
    w[i] = keep + d;
    const double up = loss_at(p, same_side);
    w[i] = keep - d;
    const double down = loss_at(p, same_side);
    w[i] = keep;
    return (up - down) / (2.0 * d);
}

/* dL/dp_i by central differences with Richardson extrapolation (Ridders' method):
 * the step shrinks by 1.4 each round, a Neville tableau extrapolates the estimates
 * to step 0, and the entry whose neighbours agree best is kept. It reaches about
 * 1e-10 relative accuracy where one plain difference stops near 1e-6, because it
 * never needs a step small enough for rounding to dominate. The first step is
 * the largest of h, h/10, h/100, ... whose differences leave every kinked node on
 * its side: a difference across a kink measures nothing. */
static double ridders(const probe *p, size_t i, double h)
{
    enum { NTAB = 10 };
    const double con = 1.4, con2 = con * con;
    double d = h;
    for (int tries = 0; tries < 8; tries++, d /= 10.0) {
        int same_side = 1;
        central(p, i, d, &same_side);
        if (same_side) break;
    }
    double a[NTAB][NTAB], err = INFINITY, best;
    int ignored = 1;
    a[0][0] = best = central(p, i, d, &ignored);
    for (int k = 1; k < NTAB; k++) {
        d /= con;
        a[0][k] = central(p, i, d, &ignored);
        double fac = con2;
        for (int j = 1; j <= k; j++) {
            a[j][k] = (a[j - 1][k] * fac - a[j - 1][k - 1]) / (fac - 1.0);
            fac *= con2;
            const double e = fmax(fabs(a[j][k] - a[j - 1][k]), fabs(a[j][k] - a[j - 1][k - 1]));
            if (e <= err) {
                err = e;
                best = a[j][k];
            }
        }
        /* Higher orders got worse by a wide margin: rounding has set in, stop. */
        if (fabs(a[k][k] - a[k - 1][k - 1]) >= 2.0 * err) break;
    }
    return best;
}

/* The check of a float64 network against `analytic` (NULL: its own gradient). */
static mlp_status check_against(double *max_rel_error, mlp_net *net, mlp_loss loss,
                                const mlp__rows *rows, double h, const double *analytic);

mlp_status mlp_net_gradient_check(double *max_rel_error, mlp_net *net, mlp_loss loss,
                                  const mlp_dataset *batch, double h)
{
    MLP_CHECK_PTR(max_rel_error);
    mlp__rows b;
    mlp_status s = check_batch(net, NULL, loss, batch, &b, __func__);
    if (s != MLP_OK) return s;
    MLP_CHECK(h > 0 && isfinite(h), MLP_ERR_INVALID_ARG, "mlp_net_gradient_check: h is %g", h);
    if (!net->f32) return check_against(max_rel_error, net, loss, &b, h, NULL);
    /* A float32 network: its gradient, by its own float32 passes, against differences
     * on a float64 copy of it (the same weights, exactly): differences in float would
     * measure float's rounding of the loss, not the gradient. */
    mlp_net *copy = NULL;
    mlp_workspace *ws = NULL;
    double *g = malloc(net->n_params * sizeof *g);
    if (g == NULL)
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_gradient_check: cannot allocate "
                                        "the gradient");
    s = mlp__net_convert(&copy, net, 0, __func__);
    if (s == MLP_OK) s = mlp_workspace_create(&ws, net, b.n);
    if (s == MLP_OK) s = mlp_net_gradient(net, ws, loss, g, NULL, batch);
    if (s == MLP_OK) s = check_against(max_rel_error, copy, loss, &b, h, g);
    mlp_workspace_free(ws);
    mlp_net_free(copy);
    free(g);
    return s;
}

static mlp_status check_against(double *max_rel_error, mlp_net *net, mlp_loss loss,
                                const mlp__rows *rows, double h, const double *analytic)
{
    const mlp__rows b = *rows;
    const size_t n = b.n;
    mlp_status s;

    size_t kink_nodes = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        if (kinked(net->layers[l].act)) kink_nodes += net->layers[l].out;
    mlp_workspace *ws = NULL;
    s = mlp_workspace_create(&ws, net, n);
    if (s != MLP_OK) return s;
    const double *x, *target; /* the rows as the network reads them, in the workspace */
    mlp__rows_batch(&x, &target, &b, net, ws);
    double *grad = malloc(net->n_params * sizeof *grad);
    unsigned char *pattern = malloc(n * kink_nodes + 1);
    if (grad == NULL || pattern == NULL) {
        free(grad);
        free(pattern);
        mlp_workspace_free(ws);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_gradient_check: cannot allocate the gradient");
    }
    mlp__forward(net, ws, x, n, mlp__keep_for(net, loss));
    kink_pattern(net, ws, n, pattern, 1);
    mlp__backward(net, ws, loss, grad, x, target, b.w, n);

    const probe p = {net, ws, loss, x, target, b.w, n, pattern};
    const double *a = analytic != NULL ? analytic : grad;
    /* componentwise for a float64 gradient; normwise for a float32 one (`analytic`),
     * whose rounding is relative to the gradient's largest values, not to each */
    double worst = 0.0, worst_abs = 0.0, largest = 1e-7;
    for (size_t i = 0; i < net->n_params; i++) {
        const double numeric = ridders(&p, i, h);
        const double scale = fmax(1e-7, fmax(fabs(a[i]), fabs(numeric)));
        const double err = fabs(a[i] - numeric), rel = err / scale;
        if (!(rel <= worst)) worst = rel; /* NaN wins */
        if (!(err <= worst_abs)) worst_abs = err;
        if (!(scale <= largest)) largest = scale;
    }
    if (analytic != NULL) worst = worst_abs / largest;
    free(grad);
    free(pattern);
    mlp_workspace_free(ws);
    *max_rel_error = worst;
    return MLP_OK;
}
