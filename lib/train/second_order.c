/* Second-order training for small data: L-BFGS and Levenberg–Marquardt, each an
 * entry of the optimizer table whose step replaces the first-order update. One
 * call of mlp_trainer_step is one iteration on the batch it is given (the whole
 * training set in mlp_trainer_fit: both are full-batch methods).
 *
 * L-BFGS (Nocedal & Wright, Numerical Optimization, algorithms 7.4, 3.5 and 3.6):
 * the direction d = -H·g from the last m pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k
 * by the two-loop recursion (ddot, daxpy), H_0 = (sᵀy / yᵀy)·I from the newest pair;
 * a line search along d that satisfies the strong Wolfe conditions with c1 = 1e-4,
 * c2 = 0.9 (bracketing, then zoom with safeguarded cubic interpolation). The
 * objective is the mean loss plus (weight_decay / 2)·‖W‖² over the weights.
 *
 * Levenberg–Marquardt (Nielsen's damping, as in Madsen, Nielsen & Tingleff, Methods
 * for Non-linear Least Squares Problems, 2004): for MSE, F = ½Σe² over every
 * residual e = ŷ - t; the Jacobian of every residual is built from one backward
 * pass per output column, a block of rows at a time, and accumulated as JᵀJ
 * (dsyrk) and Jᵀe (dgemv) without holding all of J; the step solves
 * (JᵀJ + λI_W + μI)δ = -(Jᵀe + λW) by Cholesky (LAPACKE_dposv_work), μ raised and the
 * solve retried when the matrix is not positive definite or the step does not
 * lower F. L2 decay enters as λ = weight_decay · n·k / 2 on the weights, which is the
 * mean loss plus (weight_decay / 2)·‖W‖² scaled by n·k / 2.
 *
 * Both allocate everything at trainer creation; an iteration allocates nothing.
 * Both leave the parameters exactly as they were when an iteration cannot go on
 * (a start that is not finite: MLP_ERR_NUMERIC; no step that lowers the objective:
 * MLP_OK and the trainer marked converged). */
#include <float.h>
#include <math.h>
#include <string.h>

#include <lapacke.h>

#include "trainer.h"
#include "../model/passes.h"

/* ---- shared ----------------------------------------------------------------------- */

/* (weight_decay / 2)·‖W‖² over the blocks that decay (weights, not biases), and
 * g += decay·W. */
static double add_decay(const mlp_net *net, double decay, double *g)
{
    if (decay == 0.0) return 0.0;
    double sum = 0.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        mlp__param_block b[MLP__MAX_BLOCKS];
        const size_t nb = L->type->blocks(L, b);
        for (size_t k = 0; k < nb; k++) {
            if (!b[k].decays) continue;
            const double *w = net->params + b[k].off;
            for (size_t i = 0; i < b[k].count; i++) {
                sum += w[i] * w[i];
                if (g != NULL) g[b[k].off + i] += decay * w[i];
            }
        }
    }
    return 0.5 * decay * sum;
}

static double max_abs(const double *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(v[i]));
    return m;
}

/* ---- L-BFGS ------------------------------------------------------------------------- */

/* Scratch: x0, g0, d, g_lo (n_params each), then alpha and rho (m each). History: 2m
 * blocks, s_0 .. s_{m-1}, y_0 .. y_{m-1}, a ring: so[0] pairs stored, so[1] the next
 * slot. */
typedef struct lbfgs_view {
    double *x0, *g0, *d, *g_lo, *alpha, *rho, *s, *y;
    size_t m, np;
} lbfgs_view;

static lbfgs_view lbfgs_of(const mlp_trainer *tr)
{
    lbfgs_view v;
    v.np = tr->net->n_params;
    v.m = tr->opt.lbfgs_history;
    v.x0 = tr->scratch;
    v.g0 = v.x0 + v.np;
    v.d = v.g0 + v.np;
    v.g_lo = v.d + v.np;
    v.alpha = v.g_lo + v.np;
    v.rho = v.alpha + v.m;
    v.s = tr->hist;
    v.y = tr->hist + v.m * v.np;
    return v;
}

size_t mlp__lbfgs_scratch(const mlp_optimizer *o, size_t np) { return 4 * np + 2 * o->lbfgs_history; }

size_t mlp__lbfgs_history_blocks(const mlp_optimizer *o) { return 2 * o->lbfgs_history; }

/* Neither method keeps first-order state. */
static mlp_status no_first_order_state(const mlp_trainer *tr, const char *method, const char *fn)
{
    for (size_t i = 0; i < tr->net->n_params; i++)
        MLP_CHECK(tr->state[0][i] == 0 && tr->state[1][i] == 0, MLP_ERR_FORMAT,
                  "%s: %s keeps no such state, yet parameter %zu has some", fn,
                  method, i);
    return MLP_OK;
}

mlp_status mlp__lbfgs_restored(mlp_trainer *tr, const char *fn)
{
    const double m = (double)tr->opt.lbfgs_history, c0 = tr->so[0], c1 = tr->so[1];
    MLP_CHECK(c0 == floor(c0) && c1 == floor(c1) && c0 >= 0 && c0 <= m && c1 >= 0 && c1 < m &&
                  (c0 == m || c1 == c0),
              MLP_ERR_FORMAT, "%s: L-BFGS holds %g pairs and writes slot %g of %g", fn, c0, c1, m);
    mlp_status s = no_first_order_state(tr, "lbfgs", fn);
    if (s != MLP_OK) return s;
    /* every stored pair passed the curvature test: yᵀs > 0 */
    mlp__lbfgs_refresh(tr);
    for (size_t i = 0; i < (size_t)c0; i++)
        MLP_CHECK(mlp__lbfgs_rho(tr, i) > 0 && isfinite(mlp__lbfgs_rho(tr, i)), MLP_ERR_FORMAT,
                  "%s: L-BFGS pair %zu has no positive curvature (1/yᵀs = %g)", fn, i,
                  mlp__lbfgs_rho(tr, i));
    return MLP_OK;
}

mlp_status mlp__lm_restored(mlp_trainer *tr, const char *fn)
{
    MLP_CHECK(tr->so[0] >= 0 && tr->so[1] >= 2, MLP_ERR_FORMAT,
              "%s: Levenberg-Marquardt's damping is %g and its growth factor %g, must be "
              ">= 0 and >= 2",
              fn, tr->so[0], tr->so[1]);
    return no_first_order_state(tr, "lm", fn);
}

void mlp__lbfgs_refresh(mlp_trainer *tr)
{
    /* rho_i = 1 / y_iᵀs_i of every stored pair: a function of the history alone, so a
     * loaded checkpoint recomputes it to the same bits */
    lbfgs_view v = lbfgs_of(tr);
    const size_t count = (size_t)tr->so[0];
    for (size_t i = 0; i < count; i++)
        v.rho[i] = 1.0 / cblas_ddot((int)v.np, v.s + i * v.np, 1, v.y + i * v.np, 1);
}

double mlp__lbfgs_rho(const mlp_trainer *tr, size_t i) { return lbfgs_of(tr).rho[i]; }

/* The objective and its gradient (into tr->grad) at the current parameters: the mean
 * loss of the batch plus the decay term. *data receives the mean loss alone. Infinity
 * when the objective, the gradient or a parameter is not finite: a step past the end
 * of the range can leave the loss finite (a dead unit's bias at -inf still outputs
 * 0), and such a point is never taken. */
static double lbfgs_eval(mlp_trainer *tr, double *data, const double *x, const double *t,
                         const double *w, size_t n)
{
    mlp__forward(tr->net, tr->ws, x, n, tr->keep);
    *data = mlp__backward(tr->net, tr->ws, tr->loss, tr->grad, x, t, w, n);
    const double f = *data + add_decay(tr->net, tr->opt.weight_decay, tr->grad);
    return isfinite(f) && mlp__all_finite(tr->grad, tr->net->n_params) &&
                   mlp__all_finite(tr->net->params, tr->net->n_params)
               ? f
               : INFINITY;
}

/* Both steps start from finite parameters only: a saturated unit can hide an
 * infinite one from the loss and the gradient. */
static mlp_status check_params(const mlp_net *net)
{
    MLP_CHECK(mlp__all_finite(net->params, net->n_params), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the network holds NaN or infinite parameters; weights "
              "unchanged");
    return MLP_OK;
}

/* The parameters at x0 + a·d. */
static void lbfgs_move(mlp_trainer *tr, const lbfgs_view *v, double a)
{
    double *w = tr->net->params;
    for (size_t i = 0; i < v->np; i++) w[i] = v->x0[i] + a * v->d[i];
}

/* The minimizer of the cubic through (a, fa, da) and (b, fb, db), kept inside the
 * middle 80 % of [a, b] (either order); the midpoint when the cubic says nothing. */
static double cubic_min(double a, double fa, double da, double b, double fb, double db)
{
    const double lo = fmin(a, b), hi = fmax(a, b), guard = 0.1 * (hi - lo);
    double x = 0.5 * (a + b);
    if (isfinite(fa) && isfinite(fb)) {
        const double d1 = da + db - 3.0 * (fa - fb) / (a - b);
        const double disc = d1 * d1 - da * db;
        if (disc >= 0.0) {
            const double d2 = copysign(sqrt(disc), b - a);
            const double c = b - (b - a) * ((db + d2 - d1) / (db - da + 2.0 * d2));
            if (isfinite(c)) x = c;
        }
    }
    return fmin(fmax(x, lo + guard), hi - guard);
}

enum { LS_FAIL, LS_OK, LS_WEAK };

/* A step along d satisfying the strong Wolfe conditions. Leaves the accepted point's
 * step in *a_out, its objective in *f_out and its gradient in g_lo. */
static int line_search(mlp_trainer *tr, const lbfgs_view *v, double f0, double dphi0,
                       double a1, const double *x, const double *t, const double *w, size_t n,
                       double *a_out,
                       double *f_out, double *data_out)
{
    const double c1 = 1e-4, c2 = 0.9;
    const size_t budget = tr->opt.max_line_search;
    double a_prev = 0.0, f_prev = f0, dphi_prev = dphi0, a = a1, data;
    double lo = 0.0, f_lo = f0, dphi_lo = dphi0, hi = 0.0, f_hi = 0.0, dphi_hi = 0.0;
    double data_lo = 0.0, data_prev = 0.0; /* the mean loss alone, at lo and a_prev */
    int zoom = 0;
    size_t evals = 0;
    while (evals < budget) {
        if (zoom) a = cubic_min(lo, f_lo, dphi_lo, hi, f_hi, dphi_hi);
        lbfgs_move(tr, v, a);
        const double f = lbfgs_eval(tr, &data, x, t, w, n);
        evals++;
        const double dphi =
            isfinite(f) ? cblas_ddot((int)v->np, tr->grad, 1, v->d, 1) : INFINITY;
        /* sufficient decrease; or, where f has no digits left to show it (near a
         * minimum, f changes by less than its rounding), Hager and Zhang's approximate
         * form: the slope says the quadratic model decreased, f grew by rounding only */
        const int armijo = isfinite(f) && (f <= f0 + c1 * a * dphi0 ||
                                           (f <= f0 + 1e-13 * fabs(f0) &&
                                            dphi <= (1.0 - 2.0 * c1) * -dphi0));
        if (!zoom) {
            if (!armijo || (evals > 1 && f >= f_prev)) { /* a minimum lies in [a_prev, a] */
                lo = a_prev, f_lo = f_prev, dphi_lo = dphi_prev, data_lo = data_prev;
                hi = a, f_hi = f, dphi_hi = dphi;
                zoom = 1;
                continue;
            }
            if (fabs(dphi) <= -c2 * dphi0) {
                memcpy(v->g_lo, tr->grad, v->np * sizeof *v->g_lo);
                *a_out = a, *f_out = f, *data_out = data;
                return LS_OK;
            }
            if (dphi >= 0) { /* past a minimum: in [a, a_prev] */
                lo = a, f_lo = f, dphi_lo = dphi, data_lo = data;
                hi = a_prev, f_hi = f_prev, dphi_hi = dphi_prev;
                memcpy(v->g_lo, tr->grad, v->np * sizeof *v->g_lo);
                zoom = 1;
                continue;
            }
            memcpy(v->g_lo, tr->grad, v->np * sizeof *v->g_lo); /* a is the best so far */
            lo = a, f_lo = f, data_lo = data;
            a_prev = a, f_prev = f, dphi_prev = dphi, data_prev = data;
            a *= 2.0;
            continue;
        }
        if (!armijo || f >= f_lo) {
            hi = a, f_hi = f, dphi_hi = dphi;
        } else {
            memcpy(v->g_lo, tr->grad, v->np * sizeof *v->g_lo);
            if (fabs(dphi) <= -c2 * dphi0) {
                *a_out = a, *f_out = f, *data_out = data;
                return LS_OK;
            }
            if (dphi * (hi - lo) >= 0) hi = lo, f_hi = f_lo, dphi_hi = dphi_lo;
            lo = a, f_lo = f, dphi_lo = dphi, data_lo = data;
        }
        if (fabs(hi - lo) <= DBL_EPSILON * fmax(fabs(lo), 1.0)) break;
    }
    /* Out of evaluations: the best point with sufficient decrease, if any. */
    if (lo > 0.0 && f_lo < f0) {
        *a_out = lo, *f_out = f_lo, *data_out = data_lo;
        return LS_WEAK;
    }
    return LS_FAIL;
}

mlp_status mlp__lbfgs_step(mlp_trainer *tr, double *loss_value, const double *x,
                           const double *t, const double *w, size_t n)
{
    mlp_net *net = tr->net;
    lbfgs_view v = lbfgs_of(tr);
    const int np = (int)v.np; /* n_params <= INT_MAX for the BLAS level 1 calls: checked at
                                 trainer creation */
    double data, f0;
    const int reuse = tr->same_batch && tr->cached && tr->cached_gen == net->param_gen;
    tr->cached = 0;
    if (reuse) { /* the last iteration ended here, on this batch: its f and g_lo */
        f0 = tr->cached_f;
        data = tr->cached_data;
        memcpy(v.g0, v.g_lo, v.np * sizeof *v.g0);
    } else {
        f0 = lbfgs_eval(tr, &data, x, t, w, n);
        memcpy(v.g0, tr->grad, v.np * sizeof *v.g0);
    }
    if (loss_value != NULL) *loss_value = data;
    mlp_status st = check_params(net);
    if (st != MLP_OK) return st;
    MLP_CHECK(isfinite(f0), MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g) or its gradient is not finite; weights unchanged",
              data);
    memcpy(v.x0, net->params, v.np * sizeof *v.x0);
    tr->converged = 0;
    if (max_abs(v.g0, v.np) <= tr->opt.tolerance_grad) {
        tr->converged = 1; /* a stationary point: nothing to do */
        return MLP_OK;
    }

    /* d = -H g0, the two-loop recursion over the ring, newest first */
    size_t count = (size_t)tr->so[0], next = (size_t)tr->so[1];
    memcpy(v.d, v.g0, v.np * sizeof *v.d);
    for (size_t k = 0; k < count; k++) {
        const size_t i = (next + v.m - 1 - k) % v.m;
        v.alpha[i] = v.rho[i] * cblas_ddot(np, v.s + i * v.np, 1, v.d, 1);
        cblas_daxpy(np, -v.alpha[i], v.y + i * v.np, 1, v.d, 1);
    }
    double gamma = 1.0, a1 = 1.0;
    if (count > 0) {
        const size_t i = (next + v.m - 1) % v.m;
        const double *yi = v.y + i * v.np;
        gamma = 1.0 / (v.rho[i] * cblas_ddot(np, yi, 1, yi, 1)); /* sᵀy / yᵀy */
    } else {
        a1 = fmin(1.0, 1.0 / cblas_dasum(np, v.g0, 1)); /* a first step of length <= 1 */
    }
    cblas_dscal(np, -gamma, v.d, 1);
    for (size_t k = count; k-- > 0;) {
        const size_t i = (next + v.m - 1 - k) % v.m;
        const double beta = v.rho[i] * cblas_ddot(np, v.y + i * v.np, 1, v.d, 1);
        cblas_daxpy(np, -v.alpha[i] - beta, v.s + i * v.np, 1, v.d, 1); /* d = -r */
    }
    double dphi0 = cblas_ddot(np, v.g0, 1, v.d, 1);
    if (!(dphi0 < 0.0)) { /* no descent (curvature lost to rounding): start over */
        count = next = 0;
        memcpy(v.d, v.g0, v.np * sizeof *v.d);
        cblas_dscal(np, -1.0, v.d, 1);
        a1 = fmin(1.0, 1.0 / cblas_dasum(np, v.g0, 1));
        dphi0 = cblas_ddot(np, v.g0, 1, v.d, 1);
    }

    double a = 0.0, f1 = f0, data1 = data;
    const int found = line_search(tr, &v, f0, dphi0, a1, x, t, w, n, &a, &f1, &data1);
    if (found == LS_FAIL) {
        /* no point along d lowers the objective: as converged as rounding allows */
        memcpy(net->params, v.x0, v.np * sizeof *v.x0);
        tr->so[0] = (double)count, tr->so[1] = (double)next;
        tr->converged = 1;
        return MLP_OK;
    }
    lbfgs_move(tr, &v, a);
    /* the new pair, where the last slot of the ring was */
    double *s = v.s + next * v.np, *y = v.y + next * v.np;
    for (size_t i = 0; i < v.np; i++) {
        s[i] = net->params[i] - v.x0[i];
        y[i] = v.g_lo[i] - v.g0[i];
    }
    const double sy = cblas_ddot(np, s, 1, y, 1);
    /* kept when its curvature is positive beyond rounding and 1/sᵀy is a number
     * (a checkpoint's pairs are held to the same test) */
    if (sy > DBL_EPSILON * cblas_dnrm2(np, s, 1) * cblas_dnrm2(np, y, 1) && isfinite(1.0 / sy)) {
        v.rho[next] = 1.0 / sy;
        next = (next + 1) % v.m;
        if (count < v.m) count++;
    } else if (!mlp__all_finite(s, v.np) || !mlp__all_finite(y, v.np)) {
        /* a difference past the range (two finite points 2·DBL_MAX apart): the slot
         * is unused, but a checkpoint saves it, and must load back */
        memset(s, 0, v.np * sizeof *s);
        memset(y, 0, v.np * sizeof *y);
    }
    tr->so[0] = (double)count, tr->so[1] = (double)next;
    tr->converged = max_abs(v.g_lo, v.np) <= tr->opt.tolerance_grad ||
                    (tr->opt.tolerance_change > 0 && f0 - f1 <= tr->opt.tolerance_change * fabs(f0));
    tr->t++;
    net->param_gen++;
    tr->sgd_gen = net->param_gen;
    tr->cached = 1; /* f1, data1 and g_lo belong to these weights */
    tr->cached_gen = net->param_gen;
    tr->cached_f = f1;
    tr->cached_data = data1;
    return MLP_OK;
}

/* ---- Levenberg–Marquardt -------------------------------------------------------------- */

/* Jacobian rows built per block hold at most this many doubles (8 MB). */
#define LM_BLOCK_DOUBLES ((size_t)1 << 20)

/* The rows of one Jacobian block: as many as fit LM_BLOCK_DOUBLES and the workspace. */
size_t mlp__lm_rows(const mlp_net *net, size_t max_batch)
{
    const size_t per_row = mlp_net_n_outputs(net) * net->n_params;
    size_t rows = per_row > 0 ? LM_BLOCK_DOUBLES / per_row : 1;
    if (rows < 1) rows = 1;
    return rows < max_batch ? rows : max_batch;
}

size_t mlp__lm_scratch(const mlp_net *net, size_t rows)
{
    size_t widths = 0;
    for (size_t l = 0; l < net->n_layers; l++) widths += net->layers[l].out;
    const size_t np = net->n_params;
    /* JᵀJ, its damped copy, x0, delta, then J and the deltas of one block */
    return 2 * np * np + 2 * np + rows * mlp_net_n_outputs(net) * np + rows * widths;
}

size_t mlp__lm_bytes(size_t np) { return 2 * np * np * sizeof(double); }

typedef struct lm_view {
    double *jtj, *a, *x0, *delta, *j, *dl; /* dl: per layer (rows, out_l) */
    size_t np, rows;
} lm_view;

static lm_view lm_of(const mlp_trainer *tr)
{
    lm_view v;
    v.np = tr->net->n_params;
    v.rows = tr->lm_rows;
    v.jtj = tr->scratch;
    v.a = v.jtj + v.np * v.np;
    v.x0 = v.a + v.np * v.np;
    v.delta = v.x0 + v.np;
    v.j = v.delta + v.np;
    v.dl = v.j + v.rows * mlp_net_n_outputs(tr->net) * v.np;
    return v;
}

/* The Jacobian of the outputs of the b rows whose forward pass is in the workspace
 * (pre-activations kept) with respect to every parameter: J (b·k, np) row-major,
 * row r·k + c holding ∂ŷ[r][c]/∂θ in the parameter block's layout. One backward
 * pass per output column: its deltas for every layer, then the outer products with
 * each layer's input. */
static void jacobian_block(const mlp_trainer *tr, const lm_view *v, const double *x, size_t b);

const double *mlp__lm_jacobian(mlp_trainer *tr, const double *x, size_t b)
{
    const lm_view v = lm_of(tr);
    mlp__forward(tr->net, tr->ws, x, b, MLP__KEEP_Z | MLP__KEEP_LOGITS);
    jacobian_block(tr, &v, x, b);
    return v.j;
}

static void jacobian_block(const mlp_trainer *tr, const lm_view *v, const double *x, size_t b)
{
    const mlp_net *net = tr->net;
    const mlp_workspace *ws = tr->ws;
    const size_t last = net->n_layers - 1, k = net->layers[last].out, np = v->np;
    double *dl[MLP_MAX_LAYERS];
    size_t off = 0;
    for (size_t l = 0; l <= last; l++) {
        dl[l] = v->dl + off;
        off += b * net->layers[l].out;
    }
    for (size_t c = 0; c < k; c++) {
        /* the gradient of output c of every row, through every layer */
        double *top = dl[last];
        memset(top, 0, b * k * sizeof *top);
        for (size_t r = 0; r < b; r++) top[r * k + c] = 1.0;
        const mlp__backward_plan plan = {.d = dl};
        mlp__backward_pass(net, ws, x, b, &plan);
        for (size_t r = 0; r < b; r++) {
            double *row = v->j + (r * k + c) * np;
            for (size_t l = 0; l <= last; l++) {
                const mlp_layer *L = &net->layers[l];
                L->type->passes->jacobian_row(ws, L, l, r, row, dl[l] + r * L->out,
                                      l > 0 ? ws->act[l - 1] + r * L->in : x + r * L->in);
            }
        }
    }
}

/* ½Σe² over the batch (each row's times its weight w, or 1) plus (λ/2)‖W‖², at the
 * current parameters, block by block. */
static double lm_objective(mlp_trainer *tr, double lambda, const double *x, const double *t,
                           const double *w, size_t n)
{
    const mlp_net *net = tr->net;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), last = net->n_layers - 1;
    double sum = 0.0;
    for (size_t r = 0; r < n; r += tr->max_batch) {
        const size_t b = n - r < tr->max_batch ? n - r : tr->max_batch;
        mlp__forward(net, tr->ws, x + r * in, b, 0);
        const double *a = tr->ws->act[last], *tr_ = t + r * k;
        if (w != NULL)
            for (size_t i = 0; i < b * k; i++)
                sum += ((a[i] - tr_[i]) * (a[i] - tr_[i])) * w[r + i / k];
        else
            for (size_t i = 0; i < b * k; i++) sum += (a[i] - tr_[i]) * (a[i] - tr_[i]);
    }
    return 0.5 * sum + add_decay(net, lambda, NULL);
}

mlp_status mlp__lm_step(mlp_trainer *tr, double *loss_value, const double *x, const double *t,
                        const double *w, size_t n)
{
    mlp_net *net = tr->net;
    lm_view v = lm_of(tr);
    const size_t np = v.np, in = net->n_inputs, k = mlp_net_n_outputs(net);
    const size_t last = net->n_layers - 1;
    const double nk = (double)(n * k), lambda = tr->opt.weight_decay * nk / 2.0;
    double *g = tr->grad;

    /* JᵀJ (upper triangle) and g = Jᵀe, a block of rows at a time */
    memset(v.jtj, 0, np * np * sizeof *v.jtj);
    memset(g, 0, np * sizeof *g);
    double sse = 0.0;
    for (size_t r = 0; r < n; r += v.rows) {
        const size_t b = n - r < v.rows ? n - r : v.rows;
        const double *xb = x + r * in, *tb = t + r * k;
        mlp__lm_jacobian(tr, xb, b); /* the forward pass too */
        double *e = tr->ws->delta[0]; /* (b, k): the residuals */
        const double *a = tr->ws->act[last];
        for (size_t i = 0; i < b * k; i++) {
            e[i] = a[i] - tb[i];
            sse += w != NULL ? (e[i] * e[i]) * w[r + i / k] : e[i] * e[i];
        }
        /* a row of weight w: its residuals and Jacobian rows times √w, so that JᵀJ and
         * Jᵀe count it w times (√1 is 1: the unweighted bits) */
        for (size_t i = 0; w != NULL && i < b * k; i++) {
            const double s = sqrt(w[r + i / k]);
            e[i] *= s;
            cblas_dscal((int)np, s, v.j + i * np, 1);
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)np, (int)(b * k), 1.0, v.j,
                    (int)np, 1.0, v.jtj, (int)np);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)(b * k), (int)np, 1.0, v.j, (int)np, e, 1,
                    1.0, g, 1);
    }
    const double f0 = 0.5 * sse + add_decay(net, lambda, g);
    if (loss_value != NULL) *loss_value = sse / nk;
    const mlp_status st = check_params(net);
    if (st != MLP_OK) return st;
    MLP_CHECK(isfinite(f0) && mlp__all_finite(g, np) && mlp__all_finite(v.jtj, np * np),
              MLP_ERR_NUMERIC,
              "mlp_trainer_step: the loss (%g), its gradient or its Jacobian is not finite; "
              "weights unchanged",
              sse / nk);
    for (size_t l = 0; l <= last && lambda > 0; l++) { /* the decay's curvature */
        const mlp_layer *L = &net->layers[l];
        mlp__param_block bl[MLP__MAX_BLOCKS];
        const size_t nb = L->type->blocks(L, bl);
        for (size_t q = 0; q < nb; q++)
            for (size_t i = bl[q].off; i < bl[q].off + bl[q].count && bl[q].decays; i++)
                v.jtj[i * np + i] += lambda;
    }
    tr->converged = 0;
    if (2.0 / nk * max_abs(g, np) <= tr->opt.tolerance_grad) {
        tr->converged = 1;
        return MLP_OK;
    }
    double mu = tr->so[0], nu = tr->so[1];
    if (!(mu > 0.0)) { /* the first iteration: τ times the largest curvature */
        double big = 0.0;
        for (size_t i = 0; i < np; i++) big = fmax(big, v.jtj[i * np + i]);
        mu = tr->opt.lm_damping * (big > 0.0 ? big : 1.0);
        nu = 2.0;
    }
    memcpy(v.x0, net->params, np * sizeof *v.x0);
    for (int trial = 0; trial < 40; trial++) {
        memcpy(v.a, v.jtj, np * np * sizeof *v.a);
        for (size_t i = 0; i < np; i++) {
            v.a[i * np + i] += mu;
            v.delta[i] = -g[i];
        }
        /* the upper triangle row-major is the lower one column-major: LAPACK's own
         * layout, which the _work form takes without a transposed copy (no allocation) */
        const lapack_int info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)np, 1, v.a,
                                                   (lapack_int)np, v.delta, (lapack_int)np);
        if (info != 0 || !mlp__all_finite(v.delta, np)) { /* not positive definite: more damping */
            mu *= nu;
            nu *= 2.0;
            continue;
        }
        int moved_finite = 1;
        for (size_t i = 0; i < np; i++) {
            net->params[i] = v.x0[i] + v.delta[i];
            moved_finite &= isfinite(net->params[i]);
        }
        /* a point past the range is never taken, even where the loss stays finite */
        const double f1 = moved_finite ? lm_objective(tr, lambda, x, t, w, n) : INFINITY;
        /* the gain the quadratic model predicted: ½ δᵀ(μδ - g) */
        double predicted = 0.0;
        for (size_t i = 0; i < np; i++) predicted += v.delta[i] * (mu * v.delta[i] - g[i]);
        predicted *= 0.5;
        const double rho = (f0 - f1) / predicted;
        /* a gain the model puts below the rounding of F itself: F cannot confirm it, so
         * the step is taken when F did not visibly grow, and it is the last */
        const double noise = 8.0 * DBL_EPSILON * fabs(f0);
        const int polish = predicted > 0.0 && predicted <= noise && f1 <= f0 + noise;
        if (isfinite(f1) && predicted > 0.0 && (rho > 0.0 || polish)) {
            if (rho > 0.0) {
                const double q = 2.0 * rho - 1.0;
                mu *= fmax(1.0 / 3.0, 1.0 - q * q * q);
                nu = 2.0;
            }
            tr->so[0] = mu, tr->so[1] = nu;
            tr->converged = polish || (tr->opt.tolerance_change > 0 &&
                                       f0 - f1 <= tr->opt.tolerance_change * fabs(f0));
            tr->t++;
            net->param_gen++;
            tr->sgd_gen = net->param_gen;
            return MLP_OK;
        }
        memcpy(net->params, v.x0, np * sizeof *v.x0);
        mu *= nu;
        nu *= 2.0;
        if (!isfinite(mu) || !isfinite(nu)) break;
    }
    /* no step lowers the objective: the parameters are as they were */
    memcpy(net->params, v.x0, np * sizeof *v.x0);
    tr->so[0] = isfinite(mu) ? mu : tr->so[0];
    tr->so[1] = isfinite(nu) ? nu : 2.0;
    tr->converged = 1;
    return MLP_OK;
}
