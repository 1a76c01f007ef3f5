/* The roads around dgemm (plain loops for small layers, dgemv and outer products
 * for one row, the fused SGD update) against the dgemm road itself: this suite
 * links the library's objects, calls its internal layer kernels, and computes the
 * reference with cblas_dgemm directly. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mlp_internal.h"
#include "test_typed.h"
#include "test_util.h"

static void reference_forward(double *a, const double *x, const double *w, const double *b,
                              size_t n, size_t in, size_t out, mlp_activation act)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)out, (int)in, 1.0, x,
                (int)in, w, (int)in, 0.0, a, (int)out);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < out; j++) {
            double *v = &a[r * out + j];
            if (b != NULL) *v += b[j];
            if (act != MLP_ACT_SOFTMAX) *v = tu_act(act, *v);
        }
}

/* Shapes on both sides of the small-layer bound (in * out <= 64) and of one row. */
static const size_t shapes[][3] = {{1, 1, 1},  {2, 2, 1},  {2, 2, 7},   {3, 5, 2},
                                   {8, 8, 1},  {8, 8, 9},  {9, 8, 1},   {9, 8, 33},
                                   {1, 64, 4}, {64, 1, 5}, {30, 20, 1}, {30, 20, 17}};

START_TEST(forward_roads_match_dgemm)
{
    uint64_t rng = 1;
    const mlp_activation acts[5] = {MLP_ACT_IDENTITY, MLP_ACT_RELU, MLP_ACT_LEAKY_RELU,
                                    MLP_ACT_TANH, MLP_ACT_SIGMOID};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int a = 0; a < 5; a++)
            for (int with_bias = 0; with_bias <= 1; with_bias++) {
                const size_t in = shapes[s][0], out = shapes[s][1], n = shapes[s][2];
                double *x = malloc(n * in * sizeof *x), *w = malloc(out * in * sizeof *w);
                double *b = malloc(out * sizeof *b), *got = malloc(n * out * sizeof *got);
                double *z = malloc(n * out * sizeof *z), *ref = malloc(n * out * sizeof *ref);
                tu_fill(&rng, x, n * in, -2, 2);
                tu_fill(&rng, w, out * in, -1, 1);
                tu_fill(&rng, b, out, -1, 1);
                const double *bias = with_bias ? b : NULL;
                reference_forward(ref, x, w, bias, n, in, out, acts[a]);
                mlp__dense_forward(got, NULL, x, w, bias, n, in, out, acts[a]);
                for (size_t i = 0; i < n * out; i++)
                    ck_assert_msg(tu_close(got[i], ref[i], 1e-14), "%zux%zu n=%zu %s: %.17g vs %.17g",
                                  in, out, n, mlp_activation_name(acts[a]), got[i], ref[i]);
                /* with the logits kept: a the same, z the pre-activation */
                mlp__dense_forward(got, z, x, w, bias, n, in, out, acts[a]);
                for (size_t i = 0; i < n * out; i++) ck_assert(tu_close(got[i], ref[i], 1e-14));
                reference_forward(ref, x, w, bias, n, in, out, MLP_ACT_IDENTITY);
                for (size_t i = 0; i < n * out; i++) ck_assert(tu_close(z[i], ref[i], 1e-14));
                free(x);
                free(w);
                free(b);
                free(got);
                free(z);
                free(ref);
            }
}
END_TEST

START_TEST(backward_and_sgd_roads_match_dgemm)
{
    uint64_t rng = 2;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const size_t in = shapes[s][0], out = shapes[s][1], n = shapes[s][2];
        double *dz = malloc(n * out * sizeof *dz), *a = malloc(n * in * sizeof *a);
        double *w = malloc(out * in * sizeof *w), *dw = malloc(out * in * sizeof *dw);
        double *db = malloc(out * sizeof *db), *da = malloc(n * in * sizeof *da);
        double *rdw = malloc(out * in * sizeof *rdw), *rda = malloc(n * in * sizeof *rda);
        double *w2 = malloc(out * in * sizeof *w2), *b2 = malloc(out * sizeof *b2);
        double *scratch = malloc((out * in + out) * sizeof *scratch);
        tu_fill(&rng, dz, n * out, -1, 1);
        tu_fill(&rng, a, n * in, -1, 1);
        tu_fill(&rng, w, out * in, -1, 1);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)n, 1.0, dz,
                    (int)out, a, (int)in, 0.0, rdw, (int)in);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)in, (int)out, 1.0, dz,
                    (int)out, w, (int)in, 0.0, rda, (int)in);
        mlp__dense_backward(dw, db, da, dz, a, w, n, in, out);
        for (size_t i = 0; i < out * in; i++) ck_assert(tu_close(dw[i], rdw[i], 1e-14));
        for (size_t i = 0; i < n * in; i++) ck_assert(tu_close(da[i], rda[i], 1e-14));
        for (size_t j = 0; j < out; j++) {
            double sum = 0;
            for (size_t r = 0; r < n; r++) sum += dz[r * out + j];
            ck_assert(tu_close(db[j], sum, 1e-14));
        }
        mlp__dense_backward_input(da, dz, w, n, in, out);
        for (size_t i = 0; i < n * in; i++) ck_assert(tu_close(da[i], rda[i], 1e-14));
        /* the fused update against decay·w − lr·dW and b − lr·db */
        const double lr = 0.1, decay = 0.97;
        tu_fill(&rng, b2, out, -1, 1);
        memcpy(w2, w, out * in * sizeof *w2);
        double *b_ref = malloc(out * sizeof *b_ref);
        memcpy(b_ref, b2, out * sizeof *b_ref);
        mlp__dense_sgd(w2, b2, dz, a, n, in, out, lr, decay, scratch);
        for (size_t i = 0; i < out * in; i++)
            ck_assert(tu_close(w2[i], decay * w[i] - lr * rdw[i], 1e-14));
        for (size_t j = 0; j < out; j++) ck_assert(tu_close(b2[j], b_ref[j] - lr * db[j], 1e-14));
        if (n == 1 && mlp__small_layer(in, out)) /* one row of a small layer: to the bit */
            for (size_t j = 0; j < out; j++) {
                for (size_t k = 0; k < in; k++)
                    ck_assert(w2[j * in + k] == decay * w[j * in + k] - lr * (dz[j] * a[k]));
                ck_assert(b2[j] == b_ref[j] - lr * dz[j]);
            }
        free(b_ref);
        free(dz);
        free(a);
        free(w);
        free(dw);
        free(db);
        free(da);
        free(rdw);
        free(rda);
        free(w2);
        free(b2);
        free(scratch);
    }
}
END_TEST

/* Every layer's values in ws as in ref, to the bit, for n rows of net t. */
static void same_layers(const mlp_net *net, const mlp_workspace *ws, const mlp_workspace *ref,
                        size_t n, size_t t, const char *road)
{
    for (size_t l = 0; l < net->n_layers; l++)
        ck_assert_msg(memcmp(ws->act[l], ref->act[l],
                             n * net->layers[l].out * sizeof(double)) == 0,
                      "net %zu, %zu rows: layer %zu differs%s", t, n, l, road);
}

/* The vector roads of small networks (blocks of 8 rows, one row a lane) against
 * their plain-array references, to the bit: forward through whole networks, and each
 * small layer's backward pass (dW, db, dA_prev) on row counts around the block. */
START_TEST(small_vector_roads_match_their_references_bit_for_bit)
{
    static const size_t nets[][4] = {{2, 2, 1, 0}, {3, 5, 2, 4}, {8, 8, 1, 0},
                                     {1, 64, 1, 0}, {16, 4, 16, 0}, {2, 1, 0, 0}};
    static const size_t rows[] = {1, 7, 8, 9, 16, 61, 520, 1000, 20000};
    const mlp_activation acts[3] = {MLP_ACT_RELU, MLP_ACT_LEAKY_RELU, MLP_ACT_IDENTITY};
    uint64_t rng = 5;
    for (size_t t = 0; t < sizeof nets / sizeof nets[0]; t++)
        for (int a = 0; a < 3; a++)
            for (int bias = 0; bias <= 1; bias++) {
                mlp_layer_spec spec[3];
                size_t nl = 0;
                while (nl < 3 && nets[t][nl + 1] != 0) {
                    spec[nl] = (mlp_layer_spec)MLP_LAYER(nets[t][nl + 1], acts[(a + nl) % 3],
                                                         bias);
                    nl++;
                }
                mlp_net *net;
                ck_assert_int_eq(mlp_net_create(&net, nets[t][0], spec, nl), MLP_OK);
                ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 2), MLP_OK);
                ck_assert(net->small);
                for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++) {
                    const size_t n = rows[ri], in = nets[t][0];
                    double *x = malloc(n * in * sizeof *x);
                    tu_fill(&rng, x, n * in, -2, 2);
                    mlp_workspace *ws, *ref;
                    ck_assert_int_eq(mlp_workspace_create(&ws, net, n), MLP_OK);
                    ck_assert_int_eq(mlp_workspace_create(&ref, net, n), MLP_OK);
                    const size_t n_out = net->layers[nl - 1].out;
                    double *y = malloc(n * n_out * sizeof *y);
                    mlp__small_net_predict(net, ws, x, n, y);
                    mlp__small_net_rows_scalar(net, ref, x, 0, n);
                    same_layers(net, ws, ref, n, t, "");
                    /* the output written to y as it goes, the same values */
                    ck_assert_msg(memcmp(y, ref->act[nl - 1], n * n_out * sizeof *y) == 0,
                                  "net %zu, %zu rows: y differs", t, n);
                    /* and without y, as training runs it */
                    mlp__zero(ws->act[nl - 1], n * n_out);
                    ck_assert(mlp__small_net_forward(net, ws, x, n));
                    same_layers(net, ws, ref, n, t, " without y");
                    free(y);
                    /* each layer's backward pass, on the forward's values */
                    for (size_t l = 0; l < nl; l++) {
                        const mlp_layer *L = &net->layers[l];
                        const double *ap = l > 0 ? ws->act[l - 1] : x;
                        double *dz = malloc(n * L->out * sizeof *dz);
                        double *g[2], *da[2];
                        for (int k = 0; k < 2; k++) {
                            g[k] = malloc((L->in * L->out + L->out) * sizeof *g[k]);
                            da[k] = malloc(n * L->in * sizeof *da[k]);
                        }
                        tu_fill(&rng, dz, n * L->out, -1, 1);
                        const double *w = net->params + L->w_off;
                        mlp__dense_backward(g[0], g[0] + L->in * L->out, da[0], dz, ap, w, n,
                                            L->in, L->out);
                        mlp__small_backward_reference(g[1], g[1] + L->in * L->out, da[1], dz, ap,
                                                      w, n, L->in, L->out);
                        ck_assert_msg(memcmp(g[0], g[1], (L->in * L->out + L->out) *
                                                             sizeof(double)) == 0,
                                      "net %zu, %zu rows: layer %zu's gradient differs", t, n, l);
                        ck_assert_msg(memcmp(da[0], da[1], n * L->in * sizeof(double)) == 0,
                                      "net %zu, %zu rows: layer %zu's dA_prev differs", t, n, l);
                        /* dA_prev alone, as plain SGD's backward pass asks for it */
                        memset(da[0], 0, n * L->in * sizeof(double));
                        mlp__dense_backward_input(da[0], dz, w, n, L->in, L->out);
                        ck_assert_msg(memcmp(da[0], da[1], n * L->in * sizeof(double)) == 0,
                                      "net %zu, %zu rows: layer %zu's dA_prev alone differs", t,
                                      n, l);
                        free(dz);
                        for (int k = 0; k < 2; k++) {
                            free(g[k]);
                            free(da[k]);
                        }
                    }
                    mlp_workspace_free(ws);
                    mlp_workspace_free(ref);
                    free(x);
                }
                mlp_net_free(net);
            }
}
END_TEST

/* Every vector road of the activations' exponentials (AVX2: 4 doubles or 8 floats a
 * vector; AVX-512: 8 or 16, where this CPU has them) against libm, the 1-lane road, for
 * each type: within 4.5 units of the type's epsilon relative (1e-15 for double; libmvec's
 * functions are within 4 ulp, and the formulas around them add rounding of their own)
 * on a dense grid, to an absolute floor near the type's smallest normal value; NaN and
 * the infinities mapped alike. */
START_TEST(vector_math_roads_match_libm)
{
    const int t = _i;
    enum { N = 20011 }; /* odd: every road also takes a tail */
    static double x[N + 5], want[N + 5], got[N + 5];
    for (size_t i = 0; i < N; i++) x[i] = -40.0 + 80.0 * (double)i / (N - 1);
    const double special[5] = {NAN, INFINITY, -INFINITY, 0.0, -0.0};
    memcpy(x + N, special, sizeof special);
    const mlp__vfunc fs[] = {MLP__V_TANH, MLP__V_SIGMOID, MLP__V_ELU,  MLP__V_SOFTPLUS,
                             MLP__V_EXP,  MLP__V_NEG_EXPM1, MLP__V_ERFC};
    const double rel = 4.5 * tt_eps(t), floor = t == TT_F32 ? 1e-37 : 1e-300;
    int roads = 0;
    for (int wide = 0; wide <= 1; wide++)
        for (size_t f = 0; f < sizeof fs / sizeof fs[0]; f++) {
            const int lanes = tt_lanes(t, wide);
            ck_assert(tt_vpass_lanes(t, 1, fs[f], want, x, N + 5));
            if (!tt_vpass_lanes(t, lanes, fs[f], got, x, N + 5)) continue;
            roads++;
            for (size_t i = 0; i < N + 5; i++) {
                if (isnan(want[i]) || isinf(want[i])) {
                    ck_assert_msg(isnan(want[i]) ? isnan(got[i]) : got[i] == want[i],
                                  "%s, %d lanes, function %zu at %g: %g, libm %g", tt_names[t],
                                  lanes, f, x[i], got[i], want[i]);
                    continue;
                }
                ck_assert_msg(fabs(got[i] - want[i]) <= rel * fabs(want[i]) + floor,
                              "%s, %d lanes, function %zu at %.17g: %.17g, libm %.17g",
                              tt_names[t], lanes, f, x[i], got[i], want[i]);
            }
        }
    fprintf(stderr, "vector math, %s: %d roads checked on this CPU\n", tt_names[t], roads);
}
END_TEST

/* The element-wise passes built for AVX-512, AVX2 and SSE2 (MLP__CLONES; the loader
 * picks this CPU's) against plain loops compiled for the baseline, bit for bit:
 * exact operations give the same bits at any width. valgrind, whose CPU has no
 * AVX-512, runs this suite on another build of them. */
static void expect_same(const double *got, const double *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&got[i], &want[i], sizeof got[i]) == 0, "%s: value %zu is %a, "
                      "the plain loop's %a", what, i, got[i], want[i]);
}

static double ref_backward(mlp_activation act, double da, double a)
{
    switch (act) {
    case MLP_ACT_RELU: return a > 0.0 ? da : 0.0;
    case MLP_ACT_LEAKY_RELU: return a > 0.0 ? da : MLP_LEAKY_RELU_SLOPE * da;
    case MLP_ACT_TANH: return da * (1.0 - a * a);
    case MLP_ACT_SIGMOID: return da * a * (1.0 - a);
    default: return a > 0.0 ? da : da * (a + 1.0); /* ELU */
    }
}

START_TEST(cloned_passes_match_plain_loops_bit_for_bit)
{
    enum { ROWS = 13, COLS = 131, N = ROWS * COLS }; /* odd sizes: every tail */
    uint64_t rng = 9;
    double *z = malloc(N * sizeof *z), *want = malloc(N * sizeof *want);
    double *da = malloc(N * sizeof *da), *a = malloc(N * sizeof *a), *got = malloc(N * sizeof *got);
    double bias[COLS];
    ck_assert(z != NULL && want != NULL && da != NULL && a != NULL && got != NULL);
    tu_fill(&rng, bias, COLS, -1, 1);
    tu_fill(&rng, da, N, -3, 3);
    const mlp_activation acts[5] = {MLP_ACT_RELU, MLP_ACT_LEAKY_RELU, MLP_ACT_TANH,
                                    MLP_ACT_SIGMOID, MLP_ACT_ELU};
    for (int k = 0; k < 5; k++) {
        tu_fill(&rng, a, N, k == 2 ? -1 : k == 3 ? 0 : -2, 1); /* in the activation's range */
        for (size_t i = 0; i < N; i++) want[i] = ref_backward(acts[k], da[i], a[i]);
        mlp__activation_backward(got, da, a, NULL, ROWS, COLS, acts[k]);
        expect_same(got, want, N, mlp_activation_name(acts[k]));
        memcpy(got, da, N * sizeof *got); /* in place, as backprop calls it */
        mlp__activation_backward(got, got, a, NULL, ROWS, COLS, acts[k]);
        expect_same(got, want, N, mlp_activation_name(acts[k]));
    }
    /* the bias and a piecewise-linear activation, rows wide and narrow */
    const size_t widths[2] = {COLS, 7};
    for (int w = 0; w < 2; w++)
        for (int k = 0; k < 3; k++) {
            const mlp_activation act = k == 2 ? MLP_ACT_IDENTITY : acts[k];
            const size_t cols = widths[w], rows = N / cols;
            tu_fill(&rng, z, N, -2, 2);
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < cols; c++) {
                    const double v = z[r * cols + c] + bias[c];
                    want[r * cols + c] = act == MLP_ACT_IDENTITY ? v : tu_act(act, v);
                }
            mlp__bias_activate(z, bias, rows, cols, act);
            expect_same(z, want, rows * cols, "bias and activation");
        }
    /* a bias gradient: column sums, rows added in order */
    {
        const size_t in = 9, out = COLS; /* past the small layers */
        double *dw = malloc(in * out * sizeof *dw), *ap = malloc(ROWS * in * sizeof *ap);
        double db[COLS], sums[COLS];
        ck_assert(dw != NULL && ap != NULL);
        tu_fill(&rng, ap, ROWS * in, -1, 1);
        for (size_t c = 0; c < out; c++) sums[c] = 0.0;
        for (size_t r = 0; r < ROWS; r++)
            for (size_t c = 0; c < out; c++) sums[c] += da[r * out + c];
        mlp__dense_backward(dw, db, NULL, da, ap, NULL, ROWS, in, out);
        expect_same(db, sums, out, "column sums");
        free(dw);
        free(ap);
    }
    /* every optimizer's update of a segment, decay included */
    const mlp_optimizer_kind kinds[5] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV,
                                         MLP_OPT_ADAM, MLP_OPT_IRPROP_MINUS};
    double *w = z, *g = da, *s0 = a, *s1 = malloc(N * sizeof *s1);
    double *w1 = got, *a1 = want, *b1 = malloc(N * sizeof *b1);
    /* the plain loop's weights and states */
    double *rw = malloc(N * sizeof *rw), *ra = malloc(N * sizeof *ra), *rb = malloc(N * sizeof *rb);
    ck_assert(s1 != NULL && b1 != NULL && rw != NULL && ra != NULL && rb != NULL);
    for (int k = 0; k < 5; k++) {
        mlp_optimizer o;
        ck_assert_int_eq(mlp_optimizer_init(&o, sizeof o, kinds[k]), MLP_OK);
        const double lr = 0.01, wd = 1e-3;
        const unsigned long long t = 7;
        tu_fill(&rng, w, N, -1, 1);
        tu_fill(&rng, s0, N, kinds[k] == MLP_OPT_IRPROP_MINUS ? 1e-3 : -0.1, 0.1);
        tu_fill(&rng, s1, N, kinds[k] == MLP_OPT_ADAM ? 0 : -0.1, 0.1);
        mlp__optimizer(kinds[k])->update(w1, a1, b1, w, g, s0, s1, N, &o, lr, t, wd);
        const double c1 = 1.0 - pow(o.beta1, (double)t), c2 = 1.0 - pow(o.beta2, (double)t);
        const double step = lr / c1, rc2 = 1.0 / sqrt(c2), mu = o.momentum;
        for (size_t i = 0; i < N; i++) {
            const double gi = g[i] + wd * w[i];
            double nw = 0, na = 0, nb = 0;
            switch (kinds[k]) {
            case MLP_OPT_SGD: nw = w[i] - lr * gi; break;
            case MLP_OPT_MOMENTUM: na = mu * s0[i] + gi, nw = w[i] - lr * na; break;
            case MLP_OPT_NESTEROV: na = mu * s0[i] + gi, nw = w[i] - lr * (gi + mu * na); break;
            case MLP_OPT_ADAM:
                na = o.beta1 * s0[i] + (1.0 - o.beta1) * gi;
                nb = o.beta2 * s1[i] + (1.0 - o.beta2) * gi * gi;
                nw = w[i] - step * na / (sqrt(nb) * rc2 + o.epsilon);
                break;
            default: { /* iRPROP- */
                const double same = gi * s1[i], sg = (double)((gi > 0) - (gi < 0));
                if (same > 0) na = fmin(s0[i] * o.rprop_increase, o.rprop_delta_max),
                              nw = w[i] - sg * na, nb = gi;
                else if (same < 0) na = fmax(s0[i] * o.rprop_decrease, o.rprop_delta_min),
                                   nw = w[i], nb = 0.0;
                else na = s0[i], nw = w[i] - sg * s0[i], nb = gi;
            }
            }
            rw[i] = nw, ra[i] = na, rb[i] = nb;
        }
        char what[64];
        snprintf(what, sizeof what, "%s's weights", mlp_optimizer_name(kinds[k]));
        expect_same(w1, rw, N, what);
        snprintf(what, sizeof what, "%s's first state", mlp_optimizer_name(kinds[k]));
        if (kinds[k] != MLP_OPT_SGD) expect_same(a1, ra, N, what);
        snprintf(what, sizeof what, "%s's second state", mlp_optimizer_name(kinds[k]));
        if (kinds[k] == MLP_OPT_ADAM || kinds[k] == MLP_OPT_IRPROP_MINUS)
            expect_same(b1, rb, N, what);
    }
    free(rw);
    free(ra);
    free(rb);
    free(s1);
    free(b1);
    free(z);
    free(want);
    free(da);
    free(a);
    free(got);
}
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("paths");
    /* Check's default of 4 s per test is too tight on a loaded machine (the small
     * networks' grid takes over a second alone, five under ThreadSanitizer) */
    tcase_set_timeout(tc, 100);
    tcase_add_test(tc, forward_roads_match_dgemm);
    tcase_add_test(tc, backward_and_sgd_roads_match_dgemm);
    tcase_add_test(tc, small_vector_roads_match_their_references_bit_for_bit);
    tcase_add_loop_test(tc, vector_math_roads_match_libm, 0, TT_TYPES);
    tcase_add_test(tc, cloned_passes_match_plain_loops_bit_for_bit);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(paths_suite)
