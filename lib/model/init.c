/* Weight initialization from a caller-given seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "model.h"

/* Standard normal by Box-Muller; u1 in (0, 1] so log never sees 0. */
static double normal(uint64_t *rng)
{
    const double u1 = 1.0 - mlp__rng_uniform(rng), u2 = mlp__rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* w (out, in) with orthonormal rows (out <= in) or columns (out >= in): the Q of a
 * Gaussian matrix's QR, columns signed by R's diagonal so Q is uniformly
 * distributed. scratch holds max(out,in) * min(out,in) + 2 min(out,in) doubles. */
static mlp_status orthogonal(double *w, size_t out, size_t in, uint64_t *rng, double *scratch)
{
    const size_t rows = out > in ? out : in, cols = out > in ? in : out;
    double *a = scratch;                   /* (rows, cols) row-major */
    double *tau = a + rows * cols;         /* (cols) */
    double *sign = tau + cols;             /* (cols): signs of R's diagonal */
    for (size_t i = 0; i < rows * cols; i++) a[i] = normal(rng);
    lapack_int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)cols, a,
                                     (lapack_int)cols, tau);
    MLP_CHECK(info == 0, MLP_ERR_NUMERIC, "mlp_net_init: LAPACKE_dgeqrf failed (info %d)",
              (int)info);
    for (size_t j = 0; j < cols; j++) sign[j] = a[j * cols + j] < 0 ? -1.0 : 1.0;
    info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (lapack_int)rows, (lapack_int)cols, (lapack_int)cols,
                          a, (lapack_int)cols, tau);
    MLP_CHECK(info == 0, MLP_ERR_NUMERIC, "mlp_net_init: LAPACKE_dorgqr failed (info %d)",
              (int)info);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            const double q = a[r * cols + c] * sign[c];
            if (out >= in) w[r * in + c] = q; /* w = Q: (out, in) = (rows, cols) */
            else w[c * in + r] = q;           /* w = Qᵀ: (out, in) = (cols, rows) */
        }
    return MLP_OK;
}

/* The initializations by code: names; the draws are the switch below. */
static const char *const names[] = {
    [MLP_INIT_UNIFORM] = "uniform",
    [MLP_INIT_XAVIER] = "xavier",
    [MLP_INIT_HE] = "he",
    [MLP_INIT_ORTHOGONAL] = "orthogonal",
    [MLP_INIT_AUTO] = "auto",
    [MLP_INIT_ZEROS] = "zeros",
};
MLP__TABLE_COVERS(names, MLP_INIT_ZEROS);
static inline int listed(mlp_init i)
{
    switch (i) {
    case MLP_INIT_UNIFORM: case MLP_INIT_XAVIER: case MLP_INIT_HE: case MLP_INIT_ORTHOGONAL:
    case MLP_INIT_AUTO: case MLP_INIT_ZEROS: return 1;
    }
    return 0;
}

const char *mlp_init_name(mlp_init init)
{
    const unsigned i = (unsigned)init;
    return i < sizeof names / sizeof names[0] ? names[i] : NULL;
}

mlp_status mlp_init_from_name(mlp_init *init, const char *name)
{
    MLP_CHECK_PTR(init);
    const int k = mlp__name_index(names, sizeof names / sizeof names[0], sizeof names[0], name, __func__, "initialization");
    if (k < 0) return MLP_ERR_INVALID_ARG;
    *init = (mlp_init)k;
    return MLP_OK;
}

/* One drawn block, a (rows, cols) matrix whose fan-in is cols and fan-out rows, drawn
 * by `how` from rng; a layer whose activation is a rectifier gets He's under auto. */
static mlp_status draw(double *w, size_t rows, size_t cols, const mlp_layer *L, mlp_init how,
                       uint64_t *rng, double *scratch)
{
    const size_t cells = rows * cols;
    if (how == MLP_INIT_AUTO) /* by the layer's activation */
        how = (L->ak->flags & MLP__ACT_RECTIFIER) ? MLP_INIT_HE : MLP_INIT_XAVIER;
    switch (how) {
    case MLP_INIT_UNIFORM:
    case MLP_INIT_XAVIER: {
        const double a = how == MLP_INIT_UNIFORM ? 1.0 / sqrt((double)cols)
                                                 : sqrt(6.0 / (double)(cols + rows));
        for (size_t i = 0; i < cells; i++) w[i] = a * (2.0 * mlp__rng_uniform(rng) - 1.0);
        break;
    }
    case MLP_INIT_HE: {
        const double sd = sqrt(2.0 / (double)cols);
        for (size_t i = 0; i < cells; i++) w[i] = sd * normal(rng);
        break;
    }
    case MLP_INIT_ORTHOGONAL:
        return orthogonal(w, rows, cols, rng, scratch);
    case MLP_INIT_AUTO:
    case MLP_INIT_ZEROS:
        break; /* zeros: the block is cleared already */
    }
    return MLP_OK;
}

mlp_status mlp__init_draw(double *params, const mlp_net *net, mlp_init init,
                          unsigned long long seed, double *scratch)
{
    memset(params, 0, net->n_params * sizeof *params);
    uint64_t rng = seed;
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        mlp__param_block b[MLP__MAX_BLOCKS];
        const size_t nb = L->type->blocks(L, b);
        for (size_t k = 0; k < nb; k++) {
            double *p = params + b[k].off;
            if (b[k].init == MLP__BLOCK_ONES) { /* gains: 1 under every initialization */
                for (size_t i = 0; i < b[k].count; i++) p[i] = 1.0;
            } else if (b[k].init == MLP__BLOCK_DRAWN) {
                const mlp_status s = draw(p, b[k].rows, b[k].cols, L, init, &rng, scratch);
                if (s != MLP_OK) return s;
            }
        }
    }
    return MLP_OK;
}

/* The scratch mlp__init_draw needs for `init`: the largest drawn block's orthogonal
 * factorization (0 for the other initializations). */
static size_t init_scratch(const mlp_net *net, mlp_init init)
{
    size_t most = 0;
    for (size_t l = 0; l < net->n_layers && init == MLP_INIT_ORTHOGONAL; l++) {
        mlp__param_block b[MLP__MAX_BLOCKS];
        const size_t nb = net->layers[l].type->blocks(&net->layers[l], b);
        for (size_t k = 0; k < nb; k++) {
            if (b[k].init != MLP__BLOCK_DRAWN) continue;
            const size_t small = b[k].rows < b[k].cols ? b[k].rows : b[k].cols;
            if (b[k].count + 2 * small > most) most = b[k].count + 2 * small;
        }
    }
    return most;
}

mlp_status mlp_net_init(mlp_net *net, mlp_init init, unsigned long long seed)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK(mlp_init_name(init) != NULL, MLP_ERR_INVALID_ARG,
              "mlp_net_init: unknown initialization %d", (int)init);

    /* Draw into a copy so that a failure part-way leaves the network as it was. */
    double *params = malloc(net->n_params * sizeof *params);
    const size_t most = init_scratch(net, init);
    double *scratch = most > 0 ? malloc(most * sizeof *scratch) : NULL;
    if (params == NULL || (most > 0 && scratch == NULL)) {
        free(params);
        free(scratch);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_init: cannot allocate %zu parameters",
                         net->n_params);
    }
    const mlp_status s = mlp__init_draw(params, net, init, seed, scratch);
    if (s == MLP_OK) {  /* batch normalizations start afresh too */
        if (net->f32) { /* drawn in double, each rounded once: the float64 draw's nearest */
            for (size_t i = 0; i < net->n_params; i++) net->params_f32[i] = (float)params[i];
            mlp__state_reset_f32(net, net->state_f32);
        } else {
            memcpy(net->params, params, net->n_params * sizeof *params);
            mlp__state_reset(net, net->state);
        }
        net->param_gen++;
    }
    free(params);
    free(scratch);
    return s;
}
