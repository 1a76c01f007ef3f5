/* Predictors (mlp_predictor_create): float64 and float32 ones predict to the bit what the
 * network of that precision predicts; a bfloat16 one keeps every layer within a bound on
 * its error that this file derives from bfloat16's 8-bit significand and computes with its
 * own plain double loops; its results do not depend on the thread count; workspaces are
 * not interchangeable; and where bfloat16 cannot run (no oneDNN in the build, a CPU
 * without AVX512-BF16 or AMX, valgrind's CPU), asking for it is refused as the reference
 * says.
 *
 * The bound is per layer, on the layer's own input: a predictor of the network's first l
 * layers gives the float32 values layer l + 1 reads in the whole network's predictor (a
 * layer's output is kept in float32, and the next layer rounds it to bfloat16 itself;
 * the pieces are the same for the same row count), so layer l + 1's result can be
 * checked against the exact layer applied to those values. With U = 2⁻⁸ the relative
 * error of rounding to bfloat16 (8 significant bits, to nearest), F = 2⁻²⁴ float's,
 * TINY = 2⁻¹²⁶ (the subnormal floats the CPU's conversion takes as 0), and a the input:
 *  - a dense layer rounds a and its weights to bfloat16 (the weights by way of float)
 *    and sums K products in float:
 *      |ẑ - z| <= (2U + U² + 2F(1 + U) + γ(1 + U)²) Σ|w||a| + 2 TINY Σ|w| + 2F(|b| + |z|),
 *    γ = 1.1 K F (recursive summation's bound); then its activation f in float, of
 *    Lipschitz constant L (1, but 1.2 for GELU and SiLU): L|ẑ - z| + 8F(|f(z)| + L|ẑ - z|);
 *    a softmax row: |p̂ - p| <= p (exp(2 max|ẑ - z|) - 1) + 8F;
 *  - a batch normalization (y = s a + t per column, s = γ/√(var + ε), t = β - mean s)
 *    in float on float input: 8F(|s a| + |β| + |mean s|); a layer normalization of a row
 *    of m values (its mean and variance summed in float): |γ| 4(m + 8)F(1 + |x̂|) +
 *    8F(|γ x̂| + |β|); then the activation as above; dropout is the identity.
 * Each term is the textbook bound of its operation (Higham, Accuracy and Stability of
 * Numerical Algorithms, ch. 2-3), to first order where the second is below F. The inputs
 * are the model's scaling of the rows in double, rounded once to float. Then the whole
 * predictor's outputs against the float64 network's are measured (not bounded: a worst
 * case compounded over layers says nothing) and must be of bfloat16's size. */
#include <float.h>
#include <pthread.h>
#include <string.h>

#include "test_util.h"
#include "mlp_internal.h"

#if MLP_HAVE_ONEDNN /* GCC's OpenMP, which oneDNN runs on (lib/model/predictor.c) */
extern void omp_set_num_threads(int n);
extern int omp_get_max_threads(void);
#endif

static const double U = 0x1p-8, F = 0x1p-24, TINY = 0x1p-126;

static double lipschitz(mlp_activation act)
{
    return act == MLP_ACT_GELU || act == MLP_ACT_GELU_TANH || act == MLP_ACT_SILU ? 1.2 : 1.0;
}

/* Layer l of the float64 network `net` on n rows of its input `a` (n, in): the exact
 * output into y (n, out) and the bound on a bfloat16 predictor's distance from it into
 * bound. */
static void layer_bound(const mlp_net *net, size_t l, const double *a, size_t n, double *y,
                        double *bound)
{
    const mlp_layer *L = &net->layers[l];
    const size_t m = L->out, in = L->in;
    double *w = malloc(m * (L->kind == MLP_LAYER_DENSE ? in : 1) * sizeof *w),
           *b = calloc(m, sizeof *b);
    ck_assert(w && b);
    if (L->kind != MLP_LAYER_DROPOUT)
        ck_assert_int_eq(mlp_net_get_weights(net, l, w, m * (L->kind == MLP_LAYER_DENSE ? in : 1)),
                         MLP_OK);
    if (L->has_bias) ck_assert_int_eq(mlp_net_get_bias(net, l, b, m), MLP_OK);
    const double gamma = 1.1 * (double)in * F;
    for (size_t r = 0; r < n; r++) {
        const double *ar = a + r * in;
        double *z = y + r * m, *e = bound + r * m;
        if (L->kind == MLP_LAYER_DENSE) {
            for (size_t i = 0; i < m; i++) {
                double zi = b[i], spread = 0, mass = 0;
                for (size_t j = 0; j < in; j++) {
                    zi += w[i * in + j] * ar[j];
                    spread += fabs(w[i * in + j] * ar[j]);
                    mass += fabs(w[i * in + j]);
                }
                z[i] = zi;
                e[i] = (2 * U + U * U + 2 * F * (1 + U) + gamma * (1 + U) * (1 + U)) * spread +
                       2 * TINY * mass + 2 * F * (fabs(b[i]) + fabs(zi));
            }
        } else if (L->kind == MLP_LAYER_BATCHNORM) {
            const double *run = net->state + L->s_off; /* running means, then variances */
            for (size_t i = 0; i < m; i++) {
                const double s = w[i] / sqrt(run[m + i] + L->epsilon), t = b[i] - run[i] * s;
                z[i] = s * ar[i] + t;
                e[i] = 8 * F * (fabs(s * ar[i]) + fabs(b[i]) + fabs(run[i] * s));
            }
        } else if (L->kind == MLP_LAYER_LAYERNORM) {
            double mean = 0, var = 0;
            for (size_t i = 0; i < m; i++) mean += ar[i];
            mean /= (double)m;
            for (size_t i = 0; i < m; i++) var += (ar[i] - mean) * (ar[i] - mean);
            var /= (double)m;
            const double sigma = sqrt(var + L->epsilon);
            for (size_t i = 0; i < m; i++) {
                const double h = (ar[i] - mean) / sigma;
                z[i] = w[i] * h + b[i];
                e[i] = fabs(w[i]) * 4 * ((double)m + 8) * F * (1 + fabs(h)) +
                       8 * F * (fabs(w[i] * h) + fabs(b[i]));
            }
        } else { /* dropout */
            for (size_t i = 0; i < m; i++) z[i] = ar[i], e[i] = 0;
        }
        if (L->act == MLP_ACT_SOFTMAX) {
            double top = -INFINITY, sum = 0, worst = 0;
            for (size_t i = 0; i < m; i++) top = fmax(top, z[i]), worst = fmax(worst, e[i]);
            for (size_t i = 0; i < m; i++) sum += exp(z[i] - top);
            for (size_t i = 0; i < m; i++) {
                z[i] = exp(z[i] - top) / sum;
                e[i] = z[i] * expm1(2 * worst) + 8 * F;
            }
        } else if (L->act != MLP_ACT_IDENTITY) {
            const double lc = lipschitz(L->act);
            for (size_t i = 0; i < m; i++) {
                z[i] = tu_act(L->act, z[i]);
                e[i] = lc * e[i] + 8 * F * (fabs(z[i]) + lc * e[i]);
            }
        }
    }
    free(w);
    free(b);
}

/* The network's first `layers` layers as a network of their own, with its parameters,
 * running values and input scaling (not its output scaling: its last layer is not the
 * output). */
static mlp_net *prefix(const mlp_net *net, size_t layers)
{
    mlp_layer_spec spec[16];
    ck_assert_uint_le(layers, 16);
    for (size_t l = 0; l < layers; l++) {
        mlp_layer_spec_init(&spec[l], sizeof spec[l]);
        ck_assert_int_eq(mlp_net_layer(net, l, &spec[l], NULL), MLP_OK);
    }
    mlp_net *p;
    ck_assert_int_eq(mlp_net_create(&p, net->n_inputs, spec, layers), MLP_OK);
    memcpy(p->params, net->params, p->n_params * sizeof *p->params);
    memcpy(p->state, net->state, p->n_state * sizeof *p->state);
    if (net->prep.in_shift != NULL) {
        const size_t in = net->n_inputs;
        p->prep.in_method = net->prep.in_method;
        p->prep.in_shift = malloc(in * sizeof(double));
        p->prep.in_scale = malloc(in * sizeof(double));
        ck_assert(p->prep.in_shift && p->prep.in_scale);
        memcpy(p->prep.in_shift, net->prep.in_shift, in * sizeof(double));
        memcpy(p->prep.in_scale, net->prep.in_scale, in * sizeof(double));
    }
    return p;
}

/* A bfloat16 predictor's n outputs (n, its outputs) of the rows x. */
static double *predict16(const mlp_net *net, const double *x, size_t n)
{
    mlp_predictor *p;
    mlp_workspace *ws;
    double *y = malloc(n * mlp_net_n_outputs(net) * sizeof *y);
    ck_assert_ptr_nonnull(y);
    ck_assert_msg(mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16) == MLP_OK, "%s",
                  mlp_error_detail());
    ck_assert_int_eq(mlp_predictor_workspace_create(&ws, p, n), MLP_OK);
    ck_assert_msg(mlp_predictor_predict(p, ws, y, x, n) == MLP_OK, "%s", mlp_error_detail());
    mlp_workspace_free(ws);
    mlp_predictor_free(p);
    return y;
}

/* Networks: a classifier of mnist's shape; a regression with both scalings and every
 * smooth activation; every layer kind. */
static const mlp_layer_spec net_mnist[] = {MLP_LAYER(256, MLP_ACT_RELU, 1),
                                           MLP_LAYER(128, MLP_ACT_RELU, 1),
                                           MLP_LAYER(10, MLP_ACT_SOFTMAX, 1)};
static const mlp_layer_spec net_reg[] = {
    MLP_LAYER(40, MLP_ACT_TANH, 1),       MLP_LAYER(32, MLP_ACT_SIGMOID, 1),
    MLP_LAYER(32, MLP_ACT_ELU, 1),        MLP_LAYER(24, MLP_ACT_SOFTPLUS, 0),
    MLP_LAYER(24, MLP_ACT_GELU, 1),       MLP_LAYER(20, MLP_ACT_SILU, 1),
    MLP_LAYER(16, MLP_ACT_LEAKY_RELU, 1), MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
static const mlp_layer_spec net_kinds[] = {MLP_LAYER(48, MLP_ACT_TANH, 1),
                                           MLP_LAYERNORM(MLP_ACT_IDENTITY),
                                           MLP_LAYER(32, MLP_ACT_RELU, 0),
                                           MLP_BATCHNORM(MLP_ACT_TANH),
                                           MLP_DROPOUT(0.3),
                                           MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};

typedef struct case_ {
    const char *name;
    const mlp_layer_spec *layers;
    size_t n_layers, n_inputs;
    int scale; /* fit input (and, for regressions, target) scaling on the rows */
} case_;

static const case_ cases[] = {
    {"mnist", net_mnist, 3, 784, 0},
    {"regression, scaled", net_reg, 8, 13, 1},
    {"every kind", net_kinds, 6, 20, 1},
};
enum { N_CASES = sizeof cases / sizeof cases[0] };
/* 3 full pieces of 256 rows and a rest of 1000 - 768 = 232 = 128 + 64 + 32 + 8 */
enum { ROWS = 1000 };

static mlp_net *make(const case_ *c, double *x, uint64_t seed)
{
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, c->n_inputs, c->layers, c->n_layers), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, seed), MLP_OK);
    uint64_t st = seed;
    /* biases and batch normalizations' running values away from their fresh 0 and 1 */
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (L->has_bias)
            for (size_t i = 0; i < L->out; i++)
                net->params[L->b_off + i] = tu_uniform(&st, -0.5, 0.5);
        for (size_t i = 0; i < L->ns; i++)
            net->state[L->s_off + i] =
                i < L->out ? tu_uniform(&st, -0.3, 0.3) : tu_uniform(&st, 0.5, 2);
    }
    /* rows: inputs far from 0 and of other spreads where the model scales them */
    for (size_t i = 0; i < ROWS * c->n_inputs; i++)
        x[i] = c->scale ? 100 + 30 * tu_uniform(&st, -1, 1) * (double)(i % 7 + 1)
                        : tu_uniform(&st, 0, 1);
    if (c->scale) {
        const size_t k = mlp_net_n_outputs(net);
        double *t = malloc(ROWS * k * sizeof *t);
        ck_assert_ptr_nonnull(t);
        for (size_t i = 0; i < ROWS * k; i++) t[i] = 1000 + 50 * tu_uniform(&st, -1, 1);
        const mlp_dataset d = MLP_DATASET(x, c->n_inputs, t, k, ROWS);
        const int regression = net->layers[net->n_layers - 1].act == MLP_ACT_IDENTITY;
        ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD,
                                             regression ? MLP_SCALE_STANDARD : MLP_SCALE_NONE, &d),
                         MLP_OK);
        free(t);
    }
    return net;
}

START_TEST(test_same_bits_as_the_network)
{
    /* the network's own road, which the predictor takes whole: a block of rows is enough
     * (valgrind runs this suite too) */
    enum { SAME_ROWS = 300 };
    const case_ *c = &cases[_i % N_CASES];
    const mlp_precision prec = _i < (int)N_CASES ? MLP_PRECISION_FLOAT64 : MLP_PRECISION_FLOAT32;
    double *x = malloc(ROWS * c->n_inputs * sizeof *x);
    ck_assert_ptr_nonnull(x);
    mlp_net *net = make(c, x, 7), *conv; /* make fills ROWS rows: x has room */
    ck_assert_int_eq(mlp_net_convert(&conv, net, prec), MLP_OK);
    const size_t k = mlp_net_n_outputs(net);
    double *want = malloc(SAME_ROWS * k * sizeof *want), *got = malloc(SAME_ROWS * k * sizeof *got);
    float *xf = malloc(SAME_ROWS * c->n_inputs * sizeof *xf),
          *wantf = malloc(SAME_ROWS * k * sizeof *wantf),
          *gotf = malloc(SAME_ROWS * k * sizeof *gotf);
    ck_assert(want && got && xf && wantf && gotf);
    for (size_t i = 0; i < SAME_ROWS * c->n_inputs; i++) xf[i] = (float)x[i];
    mlp_workspace *ws, *pws;
    mlp_predictor *p;
    ck_assert_int_eq(mlp_workspace_create(&ws, conv, SAME_ROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(conv, ws, want, x, SAME_ROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict_f32(conv, ws, wantf, xf, SAME_ROWS), MLP_OK);
    ck_assert_int_eq(mlp_predictor_create(&p, net, prec), MLP_OK);
    mlp_net_free(net); /* the predictor holds its own copy */
    ck_assert_int_eq(mlp_predictor_precision(p), prec);
    ck_assert_ptr_nonnull(strstr(mlp_predictor_engine(p), mlp_precision_name(prec)));
    ck_assert_int_eq(mlp_predictor_workspace_create(&pws, p, SAME_ROWS), MLP_OK);
    ck_assert_int_eq(mlp_predictor_predict(p, pws, got, x, SAME_ROWS), MLP_OK);
    ck_assert_int_eq(mlp_predictor_predict_f32(p, pws, gotf, xf, SAME_ROWS), MLP_OK);
    ck_assert_mem_eq(got, want, SAME_ROWS * k * sizeof *got);
    ck_assert_mem_eq(gotf, wantf, SAME_ROWS * k * sizeof *gotf);
    mlp_workspace_free(pws);
    mlp_workspace_free(ws);
    mlp_predictor_free(p);
    mlp_net_free(conv);
    free(x), free(want), free(got), free(xf), free(wantf), free(gotf);
}
END_TEST

START_TEST(test_bfloat16_within_its_bound)
{
    const case_ *c = &cases[_i];
    double *x = malloc(ROWS * c->n_inputs * sizeof *x);
    ck_assert_ptr_nonnull(x);
    mlp_net *net = make(c, x, 11);
    mlp_predictor *p;
    const mlp_status s = mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16);
    if (!mlp_precision_supported(MLP_PRECISION_BFLOAT16)) {
        ck_assert_int_eq(s, MLP_ERR_UNSUPPORTED);
        ck_assert_ptr_null(p);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "float32 instead"));
        printf("  bfloat16 not here: %s\n", mlp_error_detail());
        mlp_net_free(net);
        free(x);
        return;
    }
    ck_assert_msg(s == MLP_OK, "%s", mlp_error_detail());
    ck_assert_ptr_nonnull(strstr(mlp_predictor_engine(p), "oneDNN"));
    mlp_predictor_free(p);
    /* layer by layer: the input of layer l is the predictor of the first l layers' output
     * (the scaled rows rounded to float for the first) */
    size_t width = c->n_inputs;
    double *in = malloc(ROWS * width * sizeof *in), *shift = malloc(width * sizeof *shift),
           *scale = malloc(width * sizeof *scale);
    ck_assert(in && shift && scale);
    ck_assert_int_eq(mlp_net_get_scaling(net, shift, scale, NULL, NULL), MLP_OK);
    for (size_t i = 0; i < ROWS * width; i++)
        in[i] = (float)((x[i] - shift[i % width]) / scale[i % width]);
    for (size_t l = 0; l < net->n_layers; l++) {
        mlp_net *pre = prefix(net, l + 1);
        const size_t m = net->layers[l].out;
        double *got = predict16(pre, x, ROWS), *want = malloc(ROWS * m * sizeof *want),
               *bound = malloc(ROWS * m * sizeof *bound);
        ck_assert(want && bound);
        layer_bound(net, l, in, ROWS, want, bound);
        double worst = 0, widest = 0, big = 0;
        for (size_t i = 0; i < ROWS * m; i++) {
            const double d = fabs(got[i] - want[i]);
            ck_assert_msg(d <= bound[i],
                          "%s, layer %zu: row %zu value %zu: bfloat16 %.9g, exact "
                          "%.9g, off by %.3g past the bound %.3g",
                          c->name, l, i / m, i % m, got[i], want[i], d, bound[i]);
            if (bound[i] > 0) worst = fmax(worst, d / bound[i]);
            widest = fmax(widest, bound[i]);
            big = fmax(big, fabs(want[i]));
        }
        /* a bound that says something: an eighth of the layer's largest value (of 1 for
         * probabilities), where bfloat16's steps are 2⁻⁸ of a value */
        ck_assert_msg(widest <= 0.125 * fmax(big, net->layers[l].act == MLP_ACT_SOFTMAX) + 16 * F,
                      "%s, layer %zu: the bound, %.3g, says nothing "
                      "of values up to %.3g",
                      c->name, l, widest, big);
        printf("  %s, layer %zu (%s): bound up to %.3g, reached at most %.2f of it\n", c->name, l,
               net->layers[l].type->name, widest, worst);
        free(in);
        in = got;
        free(want);
        free(bound);
        mlp_net_free(pre);
    }
    /* the whole predictor: the last layer's values, brought to the targets' units */
    const size_t k = mlp_net_n_outputs(net);
    double *osh = malloc(k * sizeof *osh), *osc = malloc(k * sizeof *osc);
    double *got = predict16(net, x, ROWS), *want = malloc(ROWS * k * sizeof *want);
    ck_assert(osh && osc && want);
    ck_assert_int_eq(mlp_net_get_scaling(net, NULL, NULL, osh, osc), MLP_OK);
    for (size_t i = 0; i < ROWS * k; i++)
        ck_assert(fabs(got[i] - (in[i] * osc[i % k] + osh[i % k])) <= 0x1p-50 * fabs(got[i]));
    /* against float64: bfloat16's size, and not float32's */
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, want, x, ROWS), MLP_OK);
    double moved = 0, big = 0;
    for (size_t i = 0; i < ROWS * k; i++)
        moved = fmax(moved, fabs(got[i] - want[i])), big = fmax(big, fabs(want[i]));
    printf("  %s: outputs up to %.3g, bfloat16 at most %.3g from float64\n", c->name, big, moved);
    ck_assert_msg(moved > 64 * F * big && moved < 0.1 * big, "%s: %.3g from float64", c->name,
                  moved);
    /* the same bits on 1, 2 and 3 threads, the pieces spread over them, and with a
     * workspace for more rows than the call's */
    ck_assert_int_eq(mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16), MLP_OK);
    mlp_workspace *pws, *big_ws;
    ck_assert_int_eq(mlp_predictor_workspace_create(&pws, p, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_predictor_workspace_create(&big_ws, p, 4 * ROWS + 3), MLP_OK);
#if MLP_HAVE_ONEDNN
    /* the caller's OpenMP setting of its thread stays its own: the predictor sets oneDNN's
     * to one thread for the call and gives it back */
    omp_set_num_threads(3);
    ck_assert_int_eq(mlp_predictor_predict(p, pws, want, x, ROWS), MLP_OK);
    ck_assert_int_eq(omp_get_max_threads(), 3);
    ck_assert_mem_eq(want, got, ROWS * k * sizeof *got);
    /* nor does the setting a predictor is made under change its sums */
    {
        mlp_predictor *p4;
        mlp_workspace *ws4;
        omp_set_num_threads(4);
        ck_assert_int_eq(mlp_predictor_create(&p4, net, MLP_PRECISION_BFLOAT16), MLP_OK);
        ck_assert_int_eq(omp_get_max_threads(), 4);
        ck_assert_int_eq(mlp_predictor_workspace_create(&ws4, p4, ROWS), MLP_OK);
        ck_assert_int_eq(mlp_predictor_predict(p4, ws4, want, x, ROWS), MLP_OK);
        ck_assert_mem_eq(want, got, ROWS * k * sizeof *got);
        mlp_workspace_free(ws4);
        mlp_predictor_free(p4);
    }
#endif
    for (int t = 1; t <= 3; t++) {
        ck_assert_int_eq(mlp_set_num_threads(t), MLP_OK);
        ck_assert_int_eq(mlp_predictor_predict(p, pws, want, x, ROWS), MLP_OK);
        ck_assert_mem_eq(want, got, ROWS * k * sizeof *got);
        memset(want, 0, ROWS * k * sizeof *want);
        ck_assert_msg(mlp_predictor_predict(p, big_ws, want, x, ROWS) == MLP_OK, "%s",
                      mlp_error_detail());
        ck_assert_mem_eq(want, got, ROWS * k * sizeof *got);
    }
    ck_assert_int_eq(mlp_set_num_threads(0), MLP_OK);
    /* the rest alone (232 rows: its pieces of 128, 64, 32 and 8), as a call of its own */
    ck_assert_int_eq(mlp_predictor_predict(p, big_ws, want, x + 768 * c->n_inputs, ROWS - 768),
                     MLP_OK);
    ck_assert_mem_eq(want, got + 768 * k, (ROWS - 768) * k * sizeof *got);
    mlp_workspace_free(big_ws);
    /* float rows and outputs: the double road's values of the same rows, rounded once */
    float *xf = malloc(ROWS * c->n_inputs * sizeof *xf), *yf = malloc(ROWS * k * sizeof *yf);
    ck_assert(xf && yf);
    for (size_t i = 0; i < ROWS * c->n_inputs; i++) x[i] = xf[i] = (float)x[i];
    ck_assert_int_eq(mlp_predictor_predict(p, pws, want, x, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_predictor_predict_f32(p, pws, yf, xf, ROWS), MLP_OK);
    for (size_t i = 0; i < ROWS * k; i++) ck_assert(yf[i] == (float)want[i]);
    mlp_workspace_free(pws);
    mlp_workspace_free(ws);
    mlp_predictor_free(p);
    mlp_net_free(net);
    free(x), free(in), free(shift), free(scale), free(osh), free(osc), free(got), free(want);
    free(xf), free(yf);
}
END_TEST

/* Threads predicting with one predictor at once, each with its own workspace: each
 * gets what the predictor gives alone. */
typedef struct sharer {
    const mlp_predictor *p;
    const double *x;
    double *y;
    size_t n;
    mlp_status s;
} sharer;

static void *share(void *arg)
{
    sharer *t = arg;
    mlp_workspace *ws;
    t->s = mlp_predictor_workspace_create(&ws, t->p, t->n);
    for (int rep = 0; rep < 3 && t->s == MLP_OK; rep++)
        t->s = mlp_predictor_predict(t->p, ws, t->y, t->x, t->n);
    mlp_workspace_free(ws);
    return NULL;
}

START_TEST(test_threads_share_a_predictor)
{
    const mlp_precision prec = _i == 0 ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_BFLOAT16;
    if (!mlp_precision_supported(prec)) return; /* test_refusals covers the refusal */
    const case_ *c = &cases[2];
    enum { THREADS = 4, N = 300 };
    double *x = malloc(ROWS * c->n_inputs * sizeof *x);
    ck_assert_ptr_nonnull(x);
    mlp_net *net = make(c, x, 5);
    const size_t k = mlp_net_n_outputs(net);
    mlp_predictor *p;
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_predictor_create(&p, net, prec), MLP_OK);
    ck_assert_int_eq(mlp_predictor_workspace_create(&ws, p, N), MLP_OK);
    double *want = malloc(THREADS * N * k * sizeof *want),
           *got = malloc(THREADS * N * k * sizeof *got);
    ck_assert(want && got);
    for (int t = 0; t < THREADS; t++)
        ck_assert_int_eq(
            mlp_predictor_predict(p, ws, want + t * N * k, x + t * 100 * c->n_inputs, N), MLP_OK);
    pthread_t th[THREADS];
    sharer job[THREADS];
    for (int t = 0; t < THREADS; t++) {
        job[t] = (sharer){p, x + t * 100 * c->n_inputs, got + t * N * k, N, MLP_ERR_INVALID_ARG};
        ck_assert_int_eq(pthread_create(&th[t], NULL, share, &job[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        ck_assert_msg(job[t].s == MLP_OK, "thread %d: %s", t, mlp_strerror(job[t].s));
    }
    ck_assert_mem_eq(got, want, THREADS * N * k * sizeof *got);
    mlp_workspace_free(ws);
    mlp_predictor_free(p);
    mlp_net_free(net);
    free(x), free(want), free(got);
}
END_TEST

START_TEST(test_refusals)
{
    const mlp_layer_spec spec[] = {MLP_LAYER(4, MLP_ACT_TANH, 1),
                                   MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *net, *other;
    ck_assert_int_eq(mlp_net_create(&net, 3, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&other, 3, spec, 2), MLP_OK);
    mlp_predictor *p = (mlp_predictor *)1, *q;
    /* a network is never bfloat16 */
    mlp_net *n16 = (mlp_net *)1;
    ck_assert_int_eq(mlp_net_create_precision(&n16, 3, spec, 2, MLP_PRECISION_BFLOAT16),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(n16);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "mlp_predictor_create"));
    ck_assert_int_eq(mlp_net_convert(&n16, net, MLP_PRECISION_BFLOAT16), MLP_ERR_INVALID_ARG);
    mlp_precision pr;
    ck_assert_int_eq(mlp_precision_from_name(&pr, "bf16"), MLP_OK);
    ck_assert_int_eq(pr, MLP_PRECISION_BFLOAT16);
    ck_assert_str_eq(mlp_precision_name(MLP_PRECISION_BFLOAT16), "bfloat16");
    ck_assert_int_eq(mlp_precision_supported(MLP_PRECISION_FLOAT32), 1);
    ck_assert_int_eq(mlp_precision_supported((mlp_precision)7), 0);
    ck_assert_str_eq(mlp_strerror(MLP_ERR_UNSUPPORTED), "not supported by this build or CPU");
    /* arguments */
    ck_assert_int_eq(mlp_predictor_create(&p, NULL, MLP_PRECISION_FLOAT64), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(mlp_predictor_create(NULL, net, MLP_PRECISION_FLOAT64), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_predictor_create(&p, net, (mlp_precision)7), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_predictor_create(&p, net, MLP_PRECISION_FLOAT32), MLP_OK);
    ck_assert_int_eq(mlp_predictor_create(&q, other, MLP_PRECISION_FLOAT32), MLP_OK);
    mlp_workspace *ws, *wq, *wn;
    ck_assert_int_eq(mlp_predictor_workspace_create(&ws, p, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_predictor_workspace_create(&ws, NULL, 4), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_predictor_workspace_create(&ws, p, 4), MLP_OK);
    ck_assert_int_eq(mlp_predictor_workspace_create(&wq, q, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wn, net, 4), MLP_OK);
    double x[15] = {0.5, -1, 2}, y[10];
    ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, 1), MLP_OK);
    ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, 5), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_predictor_predict(p, ws, NULL, x, 1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_predictor_predict(NULL, ws, y, x, 1), MLP_ERR_INVALID_ARG);
    /* workspaces serve what they were made for */
    ck_assert_int_eq(mlp_predictor_predict(p, wq, y, x, 1), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "not made for this predictor"));
    ck_assert_int_eq(mlp_predictor_predict(p, wn, y, x, 1), MLP_ERR_SHAPE);
    ck_assert_int_eq(mlp_net_predict(net, ws, y, x, 1), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "made for a predictor"));
    /* a NaN input is named, as mlp_net_predict names it */
    x[1] = NAN;
    ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, 1), MLP_ERR_NUMERIC);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "mlp_predictor_predict: row 0"));
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "input 1"));
    mlp_predictor_free(NULL);
    mlp_workspace_free(ws);
    mlp_workspace_free(wq);
    mlp_workspace_free(wn);
    mlp_predictor_free(p);
    mlp_predictor_free(q);
    /* bfloat16: made, or refused with the reason, as mlp_precision_supported() said */
    const mlp_status s = mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16);
    ck_assert_int_eq(s, mlp_precision_supported(MLP_PRECISION_BFLOAT16) ? MLP_OK
                                                                        : MLP_ERR_UNSUPPORTED);
    if (s == MLP_OK) {
        ck_assert_int_eq(mlp_predictor_workspace_create(&ws, p, 4), MLP_OK);
        /* every call of a network refuses it, before touching a buffer, with the model's
         * scaling too (which the network's roads apply in the workspace) */
        const double x6[6] = {0.5, -1, 2, 1, 3, -2}, t4[4] = {1, 2, 3, 4};
        const mlp_dataset d = MLP_DATASET(x6, 3, t4, 2, 2);
        ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_STANDARD, &d),
                         MLP_OK);
        ck_assert_int_eq(mlp_net_predict(net, ws, y, x6, 1), MLP_ERR_SHAPE);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "made for a predictor"));
        ck_assert_int_eq(mlp_net_predict_raw(net, ws, y, x6, 1), MLP_ERR_SHAPE);
        float xf[3] = {1, 2, 3}, yf[2];
        ck_assert_int_eq(mlp_net_predict_f32(net, ws, yf, xf, 1), MLP_ERR_SHAPE);
        mlp_scores sc;
        mlp_scores_init(&sc, sizeof sc);
        ck_assert_int_eq(mlp_net_score(net, ws, &sc, NULL, &d), MLP_ERR_SHAPE);
        double g[64], loss;
        ck_assert_uint_le(mlp_net_n_params(net), 64);
        ck_assert_int_eq(mlp_net_gradient(net, ws, MLP_LOSS_MSE, g, &loss, &d), MLP_ERR_SHAPE);
        x[1] = -1;
        ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, 3), MLP_OK);
        x[4] = NAN;
        ck_assert_int_eq(mlp_predictor_predict(p, ws, y, x, 3), MLP_ERR_NUMERIC);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "row 1"));
        const double *v;
        ck_assert_int_eq(mlp_workspace_layer_output(ws, 0, &v, NULL, NULL), MLP_ERR_INVALID_ARG);
        ck_assert_int_eq(mlp_net_predict(net, ws, y, x, 1), MLP_ERR_SHAPE);
        mlp_workspace_free(ws);
        mlp_predictor_free(p);
    }
    mlp_net_free(net);
    mlp_net_free(other);
}
END_TEST

static Suite *predictor_suite(void)
{
    Suite *s = suite_create("predictor");
    TCase *tc = tcase_create("predictor");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, test_same_bits_as_the_network, 0, 2 * N_CASES);
    tcase_add_loop_test(tc, test_bfloat16_within_its_bound, 0, N_CASES);
    tcase_add_loop_test(tc, test_threads_share_a_predictor, 0, 2);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(predictor_suite)
