/* Activations: values, derivatives against central differences, bad input. */
#include <float.h>
#include <string.h>

#include "test_util.h"

/* Every element-wise activation (softmax, a row operation, has its own tests). */
static const mlp_activation all_acts[] = {
    MLP_ACT_IDENTITY, MLP_ACT_RELU,     MLP_ACT_TANH, MLP_ACT_SIGMOID,   MLP_ACT_LEAKY_RELU,
    MLP_ACT_ELU,      MLP_ACT_SOFTPLUS, MLP_ACT_GELU, MLP_ACT_GELU_TANH, MLP_ACT_SILU};
#define N_ACTS (sizeof all_acts / sizeof all_acts[0])

START_TEST(known_values)
{
    const double z[5] = {-2, -0.5, 0, 0.5, 3};
    double out[5];
    /* by hand */
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_RELU, out, z, 5), MLP_OK);
    const double relu[5] = {0, 0, 0, 0.5, 3};
    for (int i = 0; i < 5; i++) ck_assert_double_eq(out[i], relu[i]);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_IDENTITY, out, z, 5), MLP_OK);
    for (int i = 0; i < 5; i++) ck_assert_double_eq(out[i], z[i]);
    /* against libm definitions */
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_TANH, out, z, 5), MLP_OK);
    for (int i = 0; i < 5; i++) ck_assert(tu_close(out[i], tanh(z[i]), 1e-15));
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SIGMOID, out, z, 5), MLP_OK);
    ck_assert_double_eq(out[2], 0.5);
    for (int i = 0; i < 5; i++) ck_assert(tu_close(out[i], 1 / (1 + exp(-z[i])), 1e-15));
    /* sigmoid(-z) = 1 - sigmoid(z) */
    ck_assert_double_eq_tol(out[1], 1 - out[3], 1e-15);
}
END_TEST

START_TEST(in_place)
{
    for (size_t a = 0; a < N_ACTS; a++) {
        double z[7] = {-3, -1, -0.25, 0, 0.25, 1, 3}, copy[7], out[7];
        memcpy(copy, z, sizeof z);
        ck_assert_int_eq(mlp_activation_forward(all_acts[a], out, copy, 7), MLP_OK);
        ck_assert_int_eq(mlp_activation_forward(all_acts[a], z, z, 7), MLP_OK);
        for (int i = 0; i < 7; i++) ck_assert_double_eq(z[i], out[i]);
    }
}
END_TEST

START_TEST(extreme_inputs_stay_finite)
{
    const double z[4] = {-1000, 1000, -DBL_MAX, DBL_MAX};
    double out[4];
    for (size_t a = 1; a < N_ACTS; a++) { /* identity passes DBL_MAX through, finite too */
        ck_assert_int_eq(mlp_activation_forward(all_acts[a], out, z, 4), MLP_OK);
        for (int i = 0; i < 4; i++) ck_assert_msg(isfinite(out[i]), "%s(%g) = %g",
                                                  mlp_activation_name(all_acts[a]), z[i], out[i]);
        ck_assert_int_eq(mlp_activation_derivative(all_acts[a], out, z, 4), MLP_OK);
        for (int i = 0; i < 4; i++) ck_assert(isfinite(out[i]));
    }
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SIGMOID, out, z, 2), MLP_OK);
    ck_assert_double_eq(out[0], 0.0);
    ck_assert_double_eq(out[1], 1.0);
}
END_TEST

START_TEST(nan_propagates)
{
    for (size_t a = 0; a < N_ACTS; a++) {
        double z = NAN, out = 0;
        ck_assert_int_eq(mlp_activation_forward(all_acts[a], &out, &z, 1), MLP_OK);
        ck_assert(isnan(out));
        ck_assert_int_eq(mlp_activation_derivative(all_acts[a], &out, &z, 1), MLP_OK);
        if (all_acts[a] != MLP_ACT_IDENTITY) ck_assert(isnan(out));
    }
}
END_TEST

START_TEST(derivative_matches_central_differences)
{
    /* f'(z) ≈ (f(z+h) - f(z-h)) / 2h, error O(h²) plus rounding O(eps/h). */
    enum { N = 401 };
    double z[N], zp[N], zm[N], fp[N], fm[N], d[N];
    const double h = 1e-5;
    for (int i = 0; i < N; i++) {
        z[i] = -6.0 + 12.0 * i / (N - 1) + 1e-3; /* grid off zero: relu has a kink there */
        zp[i] = z[i] + h;
        zm[i] = z[i] - h;
    }
    for (size_t a = 0; a < N_ACTS; a++) {
        mlp_activation act = all_acts[a];
        ck_assert_int_eq(mlp_activation_forward(act, fp, zp, N), MLP_OK);
        ck_assert_int_eq(mlp_activation_forward(act, fm, zm, N), MLP_OK);
        ck_assert_int_eq(mlp_activation_derivative(act, d, z, N), MLP_OK);
        for (int i = 0; i < N; i++) {
            double fd = (fp[i] - fm[i]) / (2 * h);
            ck_assert_msg(fabs(fd - d[i]) < 1e-8, "%s'(%g): analytic %.17g, differences %.17g",
                          mlp_activation_name(act), z[i], d[i], fd);
        }
    }
}
END_TEST

START_TEST(relu_derivative_at_the_kink)
{
    const double z[3] = {-1e-300, 0.0, 1e-300};
    double d[3];
    ck_assert_int_eq(mlp_activation_derivative(MLP_ACT_RELU, d, z, 3), MLP_OK);
    ck_assert_double_eq(d[0], 0);
    ck_assert_double_eq(d[1], 0);
    ck_assert_double_eq(d[2], 1);
}
END_TEST

START_TEST(new_activations_by_hand)
{
    const double z[4] = {-2, -0.5, 0, 3};
    double out[4];
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_LEAKY_RELU, out, z, 4), MLP_OK);
    ck_assert_double_eq_tol(out[0], -0.02, 1e-17);
    ck_assert_double_eq_tol(out[1], -0.005, 1e-17);
    ck_assert_double_eq(out[2], 0);
    ck_assert_double_eq(out[3], 3);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_ELU, out, z, 4), MLP_OK);
    ck_assert_double_eq_tol(out[0], exp(-2.0) - 1, 1e-16);
    ck_assert_double_eq_tol(out[1], exp(-0.5) - 1, 1e-16);
    ck_assert_double_eq(out[3], 3);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SOFTPLUS, out, z, 4), MLP_OK);
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(out[i], log(1 + exp(z[i])), 1e-15);
    ck_assert_double_eq_tol(out[2], log(2.0), 1e-16);
    /* no overflow where the textbook formula overflows: log(1 + e^1000) = 1000 */
    const double big[2] = {1000, -1000};
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SOFTPLUS, out, big, 2), MLP_OK);
    ck_assert_double_eq(out[0], 1000);
    ck_assert_double_eq_tol(out[1], 0, 1e-300);
}
END_TEST

START_TEST(gelu_and_silu_by_hand)
{
    /* Values computed apart from the library: Φ(1) = 0.841344746068543 (the standard
     * normal CDF, from tables), σ(1) = 1 / (1 + e⁻¹) = 0.731058578630005, and for the
     * tanh form at 1: u = √(2/π) · 1.044715 = 0.833563, (1 + tanh u) / 2 = 0.841192. */
    const double z[5] = {-1, 0, 1, 2, -2};
    double out[5], d[5];
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_GELU, out, z, 5), MLP_OK);
    ck_assert_double_eq_tol(out[2], 0.841344746068543, 1e-15);
    ck_assert_double_eq_tol(out[0], -(1 - 0.841344746068543), 1e-15); /* -Φ(-1) */
    ck_assert_double_eq(out[1], 0);
    ck_assert_double_eq_tol(out[3], 2 * 0.977249868051821, 1e-15); /* 2 Φ(2) */
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_GELU_TANH, out, z, 5), MLP_OK);
    ck_assert_double_eq_tol(out[2], 0.841191990608276, 1e-12);
    ck_assert_double_eq(out[1], 0);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SILU, out, z, 5), MLP_OK);
    ck_assert_double_eq_tol(out[2], 0.731058578630005, 1e-15);
    ck_assert_double_eq_tol(out[4], -2 * (1 - 0.880797077977882), 1e-15); /* -2 σ(-2) */
    /* GELU'(0) = Φ(0) = 1/2, SiLU'(0) = σ(0) = 1/2, and both tend to 1 and 0 */
    const double far[5] = {0, 40, -40, 1e300, -1e300};
    for (int a = 0; a < 3; a++) {
        const mlp_activation act = a == 0   ? MLP_ACT_GELU
                                   : a == 1 ? MLP_ACT_GELU_TANH
                                            : MLP_ACT_SILU;
        ck_assert_int_eq(mlp_activation_derivative(act, d, far, 5), MLP_OK);
        ck_assert_double_eq(d[0], 0.5);
        for (int i = 1; i < 5; i++)
            ck_assert_msg(fabs(d[i] - (far[i] > 0)) < 1e-12, "%s'(%g) = %g",
                          mlp_activation_name(act), far[i], d[i]);
        ck_assert_int_eq(mlp_activation_forward(act, out, far, 5), MLP_OK);
        ck_assert_double_eq(out[1], 40);
        ck_assert_double_eq(out[3], 1e300);
        ck_assert(fabs(out[2]) < 1e-12 && fabs(out[4]) == 0);
    }
}
END_TEST

START_TEST(softmax_is_a_distribution)
{
    const double z[4] = {1, 2, 3, 4};
    double p[4], sum = 0, denom = exp(1.0) + exp(2.0) + exp(3.0) + exp(4.0);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SOFTMAX, p, z, 4), MLP_OK);
    for (int i = 0; i < 4; i++) {
        ck_assert_double_eq_tol(p[i], exp(z[i]) / denom, 1e-15);
        sum += p[i];
    }
    ck_assert_double_eq_tol(sum, 1, 1e-15);
    /* shifting every logit changes nothing, even by 1000 where exp overflows */
    const double shifted[4] = {1001, 1002, 1003, 1004};
    double q[4];
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SOFTMAX, q, shifted, 4), MLP_OK);
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(q[i], p[i], 1e-15);
    const double extreme[2] = {1000, -1000};
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SOFTMAX, q, extreme, 2), MLP_OK);
    ck_assert_double_eq(q[0], 1);
    ck_assert_double_eq(q[1], 0);
    ck_assert_int_eq(mlp_activation_derivative(MLP_ACT_SOFTMAX, q, z, 4), MLP_ERR_INVALID_ARG);
}
END_TEST

/* The reference: each activation from libm, written out here. */
static double libm_act(mlp_activation act, double z)
{
    switch (act) {
    case MLP_ACT_TANH: return tanh(z);
    case MLP_ACT_SIGMOID: return 1 / (1 + exp(-z));
    case MLP_ACT_ELU: return z > 0 ? z : expm1(z);
    case MLP_ACT_SOFTPLUS: return fmax(z, 0) + log1p(exp(-fabs(z)));
    case MLP_ACT_GELU: return 0.5 * z * erfc(-z / sqrt(2.0));
    case MLP_ACT_GELU_TANH:
        return z / (1 + exp(-2 * sqrt(2 / 3.14159265358979323846) * (z + 0.044715 * z * z * z)));
    case MLP_ACT_SILU: return z / (1 + exp(-z));
    default: return NAN;
    }
}

START_TEST(vector_passes_agree_with_libm)
{
    /* A dense grid over [-40, 40], tiny and subnormal values, the edges of exp's
     * range, signed zeros and infinities; array lengths that leave every tail. */
    enum { N = 20011 };
    static double z[N], out[N];
    size_t n = 0;
    for (int i = 0; i < 20000; i++) z[n++] = -40.0 + 80.0 * i / 19999.0 + 1e-7 * (i % 7);
    const double special[11] = {0.0, -0.0, 1e-300, -1e-300, 5e-324, -709.5, -745.2, 19.9, 20.1,
                                710.0, -1e-9};
    for (int i = 0; i < 11; i++) z[n++] = special[i];
    const mlp_activation acts[7] = {MLP_ACT_TANH, MLP_ACT_SIGMOID,   MLP_ACT_ELU, MLP_ACT_SOFTPLUS,
                                    MLP_ACT_GELU, MLP_ACT_GELU_TANH, MLP_ACT_SILU};
    for (int a = 0; a < 7; a++)
        for (size_t len = N - 3; len <= N; len++) {
            ck_assert_int_eq(mlp_activation_forward(acts[a], out, z, len), MLP_OK);
            for (size_t i = 0; i < len; i++) {
                const double ref = libm_act(acts[a], z[i]);
                /* The error allowed grows with the function's condition number
                 * κ = |z f'(z) / f(z)|: a one-ulp difference in how an argument is
                 * rounded (z / √2 against z · (1/√2)) moves f by κ ulps, and GELU's
                 * tail, z erfc(-z / √2) for z << 0, has κ ≈ z². κ is measured here by
                 * a relative difference of the reference itself. Results below 1e-290
                 * (erfc underflowing past DBL_MIN keeps too few bits) must be 0 to 1e-300. */
                const double up = libm_act(acts[a], z[i] * (1 + 1e-7)),
                             down = libm_act(acts[a], z[i] * (1 - 1e-7));
                const double kappa = ref == 0 ? 1 : fabs(up - down) / (2e-7 * fabs(ref));
                const double rel = fabs(ref) < 1e-290
                                       ? fabs(out[i] - ref) * 1e285
                                       : fabs(out[i] - ref) / fabs(ref) / fmax(1.0, kappa);
                ck_assert_msg(rel <= 1e-15, "%s(%.17g) = %.17g, libm %.17g", mlp_activation_name(acts[a]),
                              z[i], out[i], ref);
            }
        }
    /* tanh keeps the sign of zero; infinities and NaN come out as libm's */
    const double s[5] = {-0.0, INFINITY, -INFINITY, NAN, 1e-310};
    double o[5];
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_TANH, o, s, 5), MLP_OK);
    ck_assert(signbit(o[0]) && o[0] == 0);
    ck_assert_double_eq(o[1], 1);
    ck_assert_double_eq(o[2], -1);
    ck_assert(isnan(o[3]));
    ck_assert_double_eq_tol(o[4], 1e-310, 1e-320);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SIGMOID, o, s, 5), MLP_OK);
    ck_assert_double_eq(o[1], 1);
    ck_assert_double_eq(o[2], 0);
    ck_assert(isnan(o[3]));
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_SOFTPLUS, o, s, 5), MLP_OK);
    ck_assert(isinf(o[1]) && o[2] == 0 && isnan(o[3]));
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_ELU, o, s, 5), MLP_OK);
    ck_assert(isinf(o[1]) && o[2] == -1 && isnan(o[3]));
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_IDENTITY), "identity");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_RELU), "relu");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_TANH), "tanh");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_SIGMOID), "sigmoid");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_SOFTMAX), "softmax");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_LEAKY_RELU), "leaky_relu");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_ELU), "elu");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_SOFTPLUS), "softplus");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_GELU), "gelu");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_GELU_TANH), "gelu_tanh");
    ck_assert_str_eq(mlp_activation_name(MLP_ACT_SILU), "silu");
    ck_assert_ptr_null(mlp_activation_name((mlp_activation)99));
    ck_assert_ptr_null(mlp_activation_name(tu_unknown_activation()));
    /* every name leads back to its activation */
    for (int a = 0; a < (int)tu_unknown_activation(); a++) {
        mlp_activation back = (mlp_activation)-1;
        ck_assert_int_eq(mlp_activation_from_name(&back, mlp_activation_name((mlp_activation)a)),
                         MLP_OK);
        ck_assert_int_eq(back, a);
    }
}
END_TEST

START_TEST(bad_input)
{
    double in[2] = {1, 2}, out[2] = {7, 7};
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_RELU, NULL, in, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_RELU, out, NULL, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_forward(MLP_ACT_RELU, out, in, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_forward((mlp_activation)99, out, in, 2), MLP_ERR_INVALID_ARG);
    ck_assert_str_eq(mlp_error_detail(), "mlp_activation_forward: unknown activation 99");
    ck_assert_int_eq(mlp_activation_forward((mlp_activation)-1, out, in, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_derivative(MLP_ACT_TANH, NULL, in, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_derivative(MLP_ACT_TANH, out, NULL, 2), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_derivative(MLP_ACT_TANH, out, in, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_activation_derivative(tu_unknown_activation(), out, in, 2),
                     MLP_ERR_INVALID_ARG);
    /* nothing was written */
    ck_assert_double_eq(out[0], 7);
    ck_assert_double_eq(out[1], 7);
}
END_TEST

static Suite *activation_suite(void)
{
    Suite *s = suite_create("activation");
    TCase *tc = tcase_create("activation");
    tcase_add_test(tc, known_values);
    tcase_add_test(tc, in_place);
    tcase_add_test(tc, extreme_inputs_stay_finite);
    tcase_add_test(tc, nan_propagates);
    tcase_add_test(tc, derivative_matches_central_differences);
    tcase_add_test(tc, relu_derivative_at_the_kink);
    tcase_add_test(tc, new_activations_by_hand);
    tcase_add_test(tc, gelu_and_silu_by_hand);
    tcase_add_test(tc, softmax_is_a_distribution);
    tcase_add_test(tc, vector_passes_agree_with_libm);
    tcase_add_test(tc, names);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(activation_suite)
