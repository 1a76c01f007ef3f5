/* The typed kernels (lib/core/typed.h) of each scalar type, float64 and float32, against
 * references written out here in double or long double from the textbook definitions: every activation
 * forward (bias added) and backward, softmax by rows, the three losses' values and their
 * gradients, the accuracy, and a dense layer's passes on each of their roads. Each test
 * is a loop test over the types (_i); the inputs are rounded to the type first, so the
 * references see what the kernel sees, and the tolerances are multiples of the type's
 * epsilon ε (test_typed.h), scaled where a function's condition number
 * κ = |z f'(z) / f(z)| lets one rounding of an argument move the result by κ
 * roundings. */
#include <float.h>
#include <string.h>

#include "test_util.h"
#include "mlp_internal.h"
#include "test_typed.h"

/* Every element-wise activation (softmax, a row operation, has its own test). */
static const mlp_activation element_acts[] = {
    MLP_ACT_IDENTITY, MLP_ACT_RELU,     MLP_ACT_TANH, MLP_ACT_SIGMOID,   MLP_ACT_LEAKY_RELU,
    MLP_ACT_ELU,      MLP_ACT_SOFTPLUS, MLP_ACT_GELU, MLP_ACT_GELU_TANH, MLP_ACT_SILU};
#define N_ACTS (sizeof element_acts / sizeof element_acts[0])

/* rows x cols values: past two of the pool's parts (MLP__PAR_MIN), so the parallel road
 * runs; under valgrind (x50 slower there) 40 rows, the serial roads */
enum { ROWS = 1024, COLS = 67 };

static size_t n_rows(void) { return getenv("MLP_TEST_UNDER_VALGRIND") ? 40 : ROWS; }

/* z on a grid of 1/1024 steps over [-20, 20] and a bias of eighths in [-4, 4]: both,
 * and their sums, are exact in float, so f(z + b) is the reference in either type. */
static void grid(double *z, double *bias)
{
    for (size_t i = 0; i < (size_t)ROWS * COLS; i++)
        z[i] = (double)((long)(i * 7919 % 40961) - 20480) / 1024.0 + 1.0 / 2048.0;
    for (size_t c = 0; c < COLS; c++) bias[c] = (double)((long)(c % 65) - 32) / 8.0;
}

/* Each activation from its definition in long double (64-bit mantissa: 2048 times
 * finer than double), in the forms that do not cancel: the reference. */
static double textbook(mlp_activation act, double x)
{
    const long double z = x;
    switch (act) {
    case MLP_ACT_IDENTITY: return x;
    case MLP_ACT_RELU: return z > 0 ? x : 0;
    case MLP_ACT_LEAKY_RELU: return (double)(z > 0 ? z : 0.01L * z);
    case MLP_ACT_TANH: return (double)tanhl(z);
    case MLP_ACT_SIGMOID: return (double)(1 / (1 + expl(-z)));
    case MLP_ACT_ELU: return (double)(z > 0 ? z : expm1l(z));
    case MLP_ACT_SOFTPLUS: return (double)(fmaxl(z, 0) + log1pl(expl(-fabsl(z))));
    case MLP_ACT_GELU: return (double)(0.5L * z * erfcl(-z / sqrtl(2)));
    case MLP_ACT_GELU_TANH: /* 0.5 z (1 + tanh(u)) = z σ(2u) */
        return (double)(z / (1 + expl(-2 * sqrtl(2 / 3.14159265358979323846264338L) *
                                     (z + 0.044715L * z * z * z))));
    case MLP_ACT_SILU: return (double)(z / (1 + expl(-z)));
    case MLP_ACT_SOFTMAX: break;
    }
    return NAN;
}

/* f's condition number at z, measured on the reference itself. */
static double kappa(mlp_activation act, double z)
{
    const double f = textbook(act, z);
    if (f == 0) return 1;
    const double up = textbook(act, z * (1 + 1e-7)), down = textbook(act, z * (1 - 1e-7));
    return fabs(up - down) / (2e-7 * fabs(f));
}

START_TEST(activations_forward_match_the_textbook)
{
    const int t = _i;
    static double z[ROWS * COLS], got[ROWS * COLS], bias[COLS];
    grid(z, bias);
    /* Each kernel is the textbook formula rounded a few times in the type: 8 ε (times κ)
     * holds every one with room (measured on this grid: under 3 ε in both types). */
    const double eps = tt_eps(t), tol = 8 * eps, tiny = t == TT_F32 ? FLT_MIN : DBL_MIN;
    for (size_t a = 0; a < N_ACTS; a++) {
        const mlp_activation act = element_acts[a];
        memcpy(got, z, sizeof z);
        tt_bias_activate(t, got, bias, n_rows(), COLS, act);
        for (size_t i = 0; i < n_rows() * COLS; i++) {
            const double x = z[i] + bias[i % COLS], ref = textbook(act, x);
            /* below the type's normal range a value keeps fewer bits, or none */
            const double diff = fabs(got[i] - ref);
            const double err = diff <= 8 * tiny ? 0 : diff / (fabs(ref) * fmax(1, kappa(act, x)));
            ck_assert_msg(err <= tol, "%s %s(%.9g) = %.9g, textbook %.9g (%.2f ε)", tt_names[t],
                          mlp_activation_name(act), x, got[i], ref, err / eps);
        }
    }
}
END_TEST

/* The derivative of the reference by central differences: error about 1e-10 relative
 * at this step, far below float's ε, and the bound for double below. */
static double slope(mlp_activation act, double z)
{
    const double h = 1e-5 * fmax(1, fabs(z));
    return (textbook(act, z + h) - textbook(act, z - h)) / (2 * h);
}

/* The largest term a backward pass adds in making f'(z), each known to a few ε of
 * itself: 1 and f' for most; SiLU's a (1 - σ) with a = z σ, so |z|; GELU's tanh form
 * z σ'(v) v', with σ' = σ (1 - σ) made from σ, known to ε of σ where σ nears 1, and
 * v' = 2 √(2/π) (1 + 3 c z²), so |z| v'. */
static double term_scale(mlp_activation act, double z, double d)
{
    double s = fmax(1, fabs(d));
    if (act == MLP_ACT_SILU) s = fmax(s, fabs(z));
    if (act == MLP_ACT_GELU_TANH)
        s = fmax(s, fabs(z) * 2 * 0.7978845608 * (1 + 3 * 0.044715 * z * z));
    return s;
}

START_TEST(activations_backward_match_differences)
{
    const int t = _i;
    static double z[ROWS * COLS], a[ROWS * COLS], da[ROWS * COLS], dz[ROWS * COLS], bias[COLS];
    grid(z, bias); /* off zero by 1/2048: the kinks are not straddled */
    uint64_t rng = 5;
    tu_fill(&rng, da, (size_t)ROWS * COLS, -2, 2);
    tt_round(t, da, (size_t)ROWS * COLS);
    /* The backward passes compute f' from the type's output a (1 - a², a (1 - a), ...) or
     * from z, a few roundings each: within 16 ε of the scale of the terms they add
     * (term_scale), plus the difference quotient's own error (1e-9) */
    const double eps = tt_eps(t), tol = 16 * eps;
    for (size_t k = 0; k < N_ACTS; k++) {
        const mlp_activation act = element_acts[k];
        memcpy(a, z, sizeof z);
        tt_bias_activate(t, a, NULL, n_rows(), COLS, act);
        tt_activation_backward(t, dz, da, a, z, n_rows(), COLS, act);
        for (size_t i = 0; i < n_rows() * COLS; i++) {
            const double d = slope(act, z[i]), ref = da[i] * d;
            const double err = fabs(dz[i] - ref) / (fabs(da[i]) * term_scale(act, z[i], d));
            ck_assert_msg(err <= tol + 1e-9, "%s %s'(%.9g) · %.9g = %.9g, differences %.9g",
                          tt_names[t], mlp_activation_name(act), z[i], da[i], dz[i], ref);
        }
    }
}
END_TEST

START_TEST(softmax_by_rows)
{
    const int t = _i;
    enum { K = 100 };
    const size_t R = getenv("MLP_TEST_UNDER_VALGRIND") ? 30 : 700; /* past the parallel
                                                                       road's threshold */
    static double z[700 * K], p[700 * K], da[700 * K], dz[700 * K];
    uint64_t rng = 9;
    tu_fill(&rng, z, (size_t)R * K, -30, 30);
    tu_fill(&rng, da, (size_t)R * K, -1, 1);
    tt_round(t, z, (size_t)R * K);
    tt_round(t, da, (size_t)R * K);
    memcpy(p, z, sizeof z);
    tt_bias_activate(t, p, NULL, R, K, MLP_ACT_SOFTMAX);
    tt_activation_backward(t, dz, da, p, z, R, K, MLP_ACT_SOFTMAX);
    const double eps = tt_eps(t);
    for (size_t r = 0; r < R; r++) {
        const double *zr = z + r * K;
        double m = zr[0], s = 0, ref[K], dot = 0;
        for (size_t c = 1; c < K; c++) m = fmax(m, zr[c]);
        for (size_t c = 0; c < K; c++) s += exp(zr[c] - m);
        for (size_t c = 0; c < K; c++) ref[c] = exp(zr[c] - m) / s;
        for (size_t c = 0; c < K; c++) dot += da[r * K + c] * ref[c];
        for (size_t c = 0; c < K; c++) {
            /* exp within a few ε, the sum of K terms within K ε/2 (the bound of a
             * running sum), the division one more: relative 8 ε + K ε / 2 */
            ck_assert_msg(fabs(p[r * K + c] - ref[c]) <= (8 + K / 2.0) * eps * ref[c] + 1e-300,
                          "%s softmax row %zu col %zu: %.9g, want %.9g", tt_names[t], r, c,
                          p[r * K + c], ref[c]);
            /* dz = p (da - <da, p>): each p and the dot product within that bound again,
             * |da| <= 1 */
            const double want = ref[c] * (da[r * K + c] - dot);
            ck_assert_msg(fabs(dz[r * K + c] - want) <= (16 + K) * eps * ref[c] * 3,
                          "%s softmax backward row %zu col %zu: %.9g, want %.9g", tt_names[t],
                          r, c, dz[r * K + c], want);
        }
    }
}
END_TEST

static double sigmoid(double z) { return 1 / (1 + exp(-z)); }

START_TEST(losses_match_their_formulas)
{
    const int t = _i;
    enum { N = 300, K = 5, OF = 900 }; /* the rows are one shard of a batch of 900 */
    static double z[N * K], a[N * K], tg[N * K], dz[N * K], onehot[N * K];
    uint64_t rng = 3;
    tu_fill(&rng, z, (size_t)N * K, -8, 8);
    tu_fill(&rng, tg, (size_t)N * K, 0, 1);
    tt_round(t, z, (size_t)N * K);
    tt_round(t, tg, (size_t)N * K);
    memset(onehot, 0, sizeof onehot);
    for (size_t r = 0; r < N; r++) onehot[r * K + (r * 7) % K] = 1;
    const double eps = tt_eps(t);

    /* mean squared error on an identity output: Σ (a - t)² / (N K), dz = 2 (a - t) / (OF K) */
    double want = 0;
    for (size_t i = 0; i < (size_t)N * K; i++) want += (z[i] - tg[i]) * (z[i] - tg[i]);
    want /= N * K;
    /* each difference rounded once (relative ε, so 2 ε squared); the sum is in double */
    ck_assert_double_eq_tol(tt_loss(t, MLP_LOSS_MSE, NULL, z, z, tg, N, K, MLP_ACT_IDENTITY, OF),
                            want, 3 * eps * want);
    ck_assert_double_eq_tol(tt_loss(t, MLP_LOSS_MSE, dz, z, z, tg, N, K, MLP_ACT_IDENTITY, OF),
                            want, 3 * eps * want);
    for (size_t i = 0; i < (size_t)N * K; i++) {
        const double d = 2 * (z[i] - tg[i]) / (OF * K);
        ck_assert_msg(fabs(dz[i] - d) <= 3 * eps * fabs(d), "%s mse dz[%zu] %.9g, want %.9g",
                      tt_names[t], i, dz[i], d);
    }

    /* binary cross-entropy on sigmoid outputs: -(t log σ + (1 - t) log(1 - σ)) averaged,
     * dz = (σ - t) / (OF K); a is the type's rounded σ(z) */
    for (size_t i = 0; i < (size_t)N * K; i++) a[i] = sigmoid(z[i]);
    tt_round(t, a, (size_t)N * K);
    want = 0;
    for (size_t i = 0; i < (size_t)N * K; i++)
        want -= tg[i] * log(sigmoid(z[i])) + (1 - tg[i]) * log(sigmoid(-z[i]));
    want /= N * K;
    /* each term a few roundings of values up to 8 (max(z, 0) - z t): 16 ε of the largest */
    ck_assert_double_eq_tol(
        tt_loss(t, MLP_LOSS_BINARY_CROSSENTROPY, dz, a, z, tg, N, K, MLP_ACT_SIGMOID, OF), want,
        16 * eps * 8);
    for (size_t i = 0; i < (size_t)N * K; i++) {
        const double d = (a[i] - tg[i]) / (OF * K);
        ck_assert_msg(fabs(dz[i] - d) <= 3 * eps * fabs(d) + 1e-300,
                      "%s binary cross-entropy dz[%zu] %.9g, want %.9g", tt_names[t], i, dz[i], d);
    }

    /* categorical cross-entropy on softmax outputs, one-hot targets: Σ_rows (logsumexp(z) -
     * z_label) / N, dz = (p - t) / OF */
    want = 0;
    for (size_t r = 0; r < N; r++) {
        const double *zr = z + r * K;
        double s = 0;
        for (size_t c = 0; c < K; c++) s += exp(zr[c]);
        for (size_t c = 0; c < K; c++) {
            a[r * K + c] = exp(zr[c]) / s;
            want += onehot[r * K + c] * (log(s) - zr[c]);
        }
    }
    want /= N;
    tt_round(t, a, (size_t)N * K);
    /* logsumexp of values up to 8 in K + 2 roundings, minus z: 16 ε of 16 */
    ck_assert_double_eq_tol(tt_loss(t, MLP_LOSS_CATEGORICAL_CROSSENTROPY, dz, a, z, onehot, N, K,
                                    MLP_ACT_SOFTMAX, OF),
                            want, 16 * eps * 16);
    for (size_t i = 0; i < (size_t)N * K; i++) {
        const double d = (a[i] - onehot[i]) / OF;
        ck_assert_msg(fabs(dz[i] - d) <= 3 * eps * fabs(d) + 1e-300,
                      "%s categorical cross-entropy dz[%zu] %.9g, want %.9g", tt_names[t], i, dz[i],
                      d);
    }
}
END_TEST

START_TEST(accuracy_by_hand)
{
    const int t = _i;
    /* one output: right when both sides of 0.5 agree (0.5 itself counts as 1) */
    const double p1[5] = {0.2, 0.5, 0.7, 0.49999, 0.9}, t1[5] = {0, 1, 0, 0, 1};
    ck_assert_double_eq(tt_accuracy(t, p1, t1, 5, 1), 4.0 / 5);
    /* three classes: argmax, the first of equals */
    const double p3[12] = {0.1, 0.7, 0.2, 0.4, 0.4, 0.2, 0.3, 0.3, 0.4, 0.6, 0.3, 0.1};
    const double t3[12] = {0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1};
    ck_assert_double_eq(tt_accuracy(t, p3, t3, 4, 3), 2.0 / 4);
}
END_TEST

/* A dense layer's passes against plain loops in double on the same (rounded) values,
 * on every road: small layers (in · out <= 64: plain loops and vector lanes of 8 rows,
 * whole blocks and a tail), one row (gemv, the outer product, ger) and gemm, with and
 * without bias, pre-activation and input gradient. A sum of m products in the type is
 * within (m + 1) ε of the sum of their magnitudes (the textbook bound for recursive
 * summation, which every road's order meets, blocked or not); a relu or leaky relu
 * after it adds nothing, tanh no more than one ε of the result. */
static void check_sum(int t, const char *what, size_t i, double got, double want, double mag,
                      size_t m)
{
    const double tol = (double)(m + 2) * tt_eps(t) * mag;
    ck_assert_msg(fabs(got - want) <= tol + 1e-300, "%s %s[%zu] = %.9g, want %.9g (bound %.3g)",
                  tt_names[t], what, i, got, want, tol);
}

START_TEST(dense_passes_on_every_road)
{
    const int t = _i;
    const size_t shapes[][2] = {{3, 5}, {1, 1}, {8, 8}, {40, 30}, {70, 1}};
    const size_t rows[] = {1, 7, 8, 37, 300};
    /* under valgrind, the first four: each road, a block and a tail */
    const size_t n_counts = getenv("MLP_TEST_UNDER_VALGRIND") ? 4 : sizeof rows / sizeof rows[0];
    const mlp_activation acts[] = {MLP_ACT_IDENTITY, MLP_ACT_RELU, MLP_ACT_LEAKY_RELU,
                                   MLP_ACT_TANH};
    uint64_t rng = 17;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t ri = 0; ri < n_counts; ri++) {
            const size_t in = shapes[s][0], out = shapes[s][1], n = rows[ri];
            double *x = malloc(n * in * sizeof *x), *w = malloc(in * out * sizeof *w),
                   *b = malloc(out * sizeof *b), *a = malloc(n * out * sizeof *a),
                   *z = malloc(n * out * sizeof *z), *dz = malloc(n * out * sizeof *dz),
                   *dw = malloc(in * out * sizeof *dw), *db = malloc(out * sizeof *db),
                   *da = malloc(n * in * sizeof *da), *w2 = malloc(in * out * sizeof *w2),
                   *b2 = malloc(out * sizeof *b2);
            ck_assert(x && w && b && a && z && dz && dw && db && da && w2 && b2);
            tu_fill(&rng, x, n * in, -2, 2);
            tu_fill(&rng, w, in * out, -1, 1);
            tu_fill(&rng, b, out, -1, 1);
            tu_fill(&rng, dz, n * out, -1, 1);
            tt_round(t, x, n * in), tt_round(t, w, in * out), tt_round(t, b, out);
            tt_round(t, dz, n * out);
            for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++)
                for (int keep = 0; keep <= 1; keep++)
                    for (int bias = 0; bias <= 1; bias++) {
                        const mlp_activation act = acts[k];
                        tt_dense_forward(t, a, keep ? z : NULL, x, w, bias ? b : NULL, n, in,
                                         out, act);
                        for (size_t r = 0; r < n; r++)
                            for (size_t j = 0; j < out; j++) {
                                double s0 = bias ? b[j] : 0, mag = fabs(s0);
                                for (size_t q = 0; q < in; q++) {
                                    s0 += x[r * in + q] * w[j * in + q];
                                    mag += fabs(x[r * in + q] * w[j * in + q]);
                                }
                                const size_t i = r * out + j;
                                if (keep) check_sum(t, "z", i, z[i], s0, mag, in);
                                /* f is 1-Lipschitz for all four, and tanh rounds once more */
                                check_sum(t, mlp_activation_name(act), i, a[i],
                                          textbook(act, s0), mag + 1, in + 1);
                            }
                    }
            for (int want_da = 0; want_da <= 1; want_da++)
                for (int bias = 0; bias <= 1; bias++) {
                    tt_dense_backward(t, dw, bias ? db : NULL, want_da ? da : NULL, dz, x, w, n,
                                      in, out);
                    for (size_t j = 0; j < out; j++) {
                        double sb = 0, mb = 0;
                        for (size_t r = 0; r < n; r++)
                            sb += dz[r * out + j], mb += fabs(dz[r * out + j]);
                        if (bias) check_sum(t, "db", j, db[j], sb, mb, n);
                        for (size_t q = 0; q < in; q++) {
                            double sw = 0, mw = 0;
                            for (size_t r = 0; r < n; r++) {
                                sw += dz[r * out + j] * x[r * in + q];
                                mw += fabs(dz[r * out + j] * x[r * in + q]);
                            }
                            check_sum(t, "dw", j * in + q, dw[j * in + q], sw, mw, n);
                        }
                    }
                    for (size_t r = 0; want_da && r < n; r++)
                        for (size_t q = 0; q < in; q++) {
                            double sd = 0, md = 0;
                            for (size_t j = 0; j < out; j++) {
                                sd += dz[r * out + j] * w[j * in + q];
                                md += fabs(dz[r * out + j] * w[j * in + q]);
                            }
                            check_sum(t, "da_prev", r * in + q, da[r * in + q], sd, md, out);
                        }
                }
            /* SGD with decay 0.75 and lr 0.5 (exact in either type) */
            memcpy(w2, w, in * out * sizeof *w), memcpy(b2, b, out * sizeof *b);
            tt_dense_sgd(t, w2, b2, dz, x, n, in, out, 0.5, 0.75);
            for (size_t j = 0; j < out; j++) {
                double sb = 0, mb = 0;
                for (size_t r = 0; r < n; r++) sb += dz[r * out + j], mb += fabs(dz[r * out + j]);
                check_sum(t, "sgd b", j, b2[j], b[j] - 0.5 * sb, fabs(b[j]) + 0.5 * mb, n + 1);
                for (size_t q = 0; q < in; q++) {
                    double sw = 0, mw = 0;
                    for (size_t r = 0; r < n; r++) {
                        sw += dz[r * out + j] * x[r * in + q];
                        mw += fabs(dz[r * out + j] * x[r * in + q]);
                    }
                    check_sum(t, "sgd w", j * in + q, w2[j * in + q],
                              0.75 * w[j * in + q] - 0.5 * sw,
                              fabs(0.75 * w[j * in + q]) + 0.5 * mw, n + 1);
                }
            }
            free(x), free(w), free(b), free(a), free(z), free(dz), free(dw), free(db), free(da);
            free(w2), free(b2);
        }
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, activations_forward_match_the_textbook, 0, TT_TYPES);
    tcase_add_loop_test(tc, activations_backward_match_differences, 0, TT_TYPES);
    tcase_add_loop_test(tc, softmax_by_rows, 0, TT_TYPES);
    tcase_add_loop_test(tc, losses_match_their_formulas, 0, TT_TYPES);
    tcase_add_loop_test(tc, accuracy_by_hand, 0, TT_TYPES);
    tcase_add_loop_test(tc, dense_passes_on_every_road, 0, TT_TYPES);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(kernels_suite)
