/* Vectorized exp-family passes for the activations: tanh, sigmoid, elu, softplus,
 * the exponentials of softmax, and erfc for GELU; for float64 and float32 from this one
 * source (lib/core/typed.h).
 *
 * Measured on this project's machines (AMD EPYC, AVX2), per element:
 *   libm tanh 16 ns, SLEEF Sleef_tanhd4_u10 5.6 ns, glibc libmvec _ZGVdN4v_tanh 3.3 ns,
 *   tanh = expm1(2x) / (expm1(2x) + 2) on libmvec's _ZGVdN4v_expm1: 2.0 ns;
 *   libm exp 5.6 ns, libmvec exp 1.2 ns; libm expm1 9.5 ns, libmvec expm1 1.3 ns.
 * So with AVX2 and glibc's libmvec (glibc >= 2.35) the passes below run a vector at a
 * time (4 doubles or 8 floats) on libmvec's exp, expm1, log1p and erfc, a vector of
 * 512 bits (8 doubles, 16 floats: libmvec's AVX-512 variants) where the CPU has
 * AVX-512F and DQ; elsewhere they use libm. Both paths agree with libm to within a few
 * units of the type's last place (tests/test_activation.c checks it on a dense grid):
 * libmvec's functions are within 4 ulp, and the formulas are the cancellation-free
 * ones. Every element, tail included, goes through the same code, so a value does not
 * depend on its position in the array. */
#include <string.h>

#include "kernels.h"
#include "../core/typed.h"

/* Scalar definitions: the reference, and the path without AVX2 or libmvec. */
static inline real s_sigmoid(real z) { return (real)1 / ((real)1 + exp(-z)); }
static inline real s_elu(real z) { return z > 0 ? z : (z <= 0 ? expm1(z) : z); }
static inline real s_softplus(real z) { return fmax(z, (real)0) + log1p(exp(-fabs(z))); }

static void scalar_pass(mlp__vfunc f, real *y, const real *x, size_t n)
{
    switch (f) {
    case MLP__V_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanh(x[i]);
        break;
    case MLP__V_SIGMOID:
        for (size_t i = 0; i < n; i++) y[i] = s_sigmoid(x[i]);
        break;
    case MLP__V_ELU:
        for (size_t i = 0; i < n; i++) y[i] = s_elu(x[i]);
        break;
    case MLP__V_SOFTPLUS:
        for (size_t i = 0; i < n; i++) y[i] = s_softplus(x[i]);
        break;
    case MLP__V_EXP:
        for (size_t i = 0; i < n; i++) y[i] = exp(x[i]);
        break;
    case MLP__V_NEG_EXPM1:
        for (size_t i = 0; i < n; i++) y[i] = -expm1(-x[i]);
        break;
    case MLP__V_ERFC:
        for (size_t i = 0; i < n; i++) y[i] = erfc(x[i]);
        break;
    }
}

#if MLP_HAVE_LIBMVEC && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

/* The intrinsics and libmvec variants this file uses, by type: A for AVX2 (256 bits),
 * E for AVX-512 (x86_64 vector function ABI: "d" = ymm, "e" = zmm). */
#if MLP__F32
#define A_LANES 8
#define E_LANES 16
typedef __m256 vA;
typedef __m512 vE;
#define A_EXP _ZGVdN8v_expf
#define A_EXPM1 _ZGVdN8v_expm1f
#define A_LOG1P _ZGVdN8v_log1pf
#define A_ERFC _ZGVdN8v_erfcf
#define E_EXP _ZGVeN16v_expf
#define E_EXPM1 _ZGVeN16v_expm1f
#define E_LOG1P _ZGVeN16v_log1pf
#define E_ERFC _ZGVeN16v_erfcf
#define A_(op) _mm256_##op##_ps
#define E_(op) _mm512_##op##_ps
#define E_CMP _mm512_cmp_ps_mask
#else
#define A_LANES 4
#define E_LANES 8
typedef __m256d vA;
typedef __m512d vE;
#define A_EXP _ZGVdN4v_exp
#define A_EXPM1 _ZGVdN4v_expm1
#define A_LOG1P _ZGVdN4v_log1p
#define A_ERFC _ZGVdN4v_erfc
#define E_EXP _ZGVeN8v_exp
#define E_EXPM1 _ZGVeN8v_expm1
#define E_LOG1P _ZGVeN8v_log1p
#define E_ERFC _ZGVeN8v_erfc
#define A_(op) _mm256_##op##_pd
#define E_(op) _mm512_##op##_pd
#define E_CMP _mm512_cmp_pd_mask
#endif

/* glibc's libmvec (glibc >= 2.35 for expm1, log1p and erfc) */
vA A_EXP(vA x);
vA A_EXPM1(vA x);
vA A_LOG1P(vA x);
vA A_ERFC(vA x);
vE E_EXP(vE x);
vE E_EXPM1(vE x);
vE E_LOG1P(vE x);
vE E_ERFC(vE x);

#define AVX2 __attribute__((target("avx2,fma")))

/* One vector of A_LANES lanes through f. min/max put the possibly-NaN operand second,
 * where _mm256_min_pd / _mm256_max_pd return it, so NaN always propagates. */
AVX2 static inline vA lanes(mlp__vfunc f, vA x)
{
    const vA zero = A_(setzero)(), one = A_(set1)(1), two = A_(set1)(2),
             sign = A_(set1)((real)-0.0);
    switch (f) {
    case MLP__V_TANH: {
        /* tanh|x| = e / (e + 2), e = expm1(2|x|); |x| capped at 20, where tanh is
         * 1 to double precision, so e never overflows (not in float either). */
        const vA ax = A_(andnot)(sign, x);
        const vA e = A_EXPM1(A_(mul)(two, A_(min)(A_(set1)(20), ax)));
        return A_(or)(A_(div)(e, A_(add)(e, two)), A_(and)(sign, x));
    }
    case MLP__V_SIGMOID: /* exp(-z) = inf for very negative z gives exactly 0 */
        return A_(div)(one, A_(add)(one, A_EXP(A_(xor)(sign, x))));
    case MLP__V_ELU: {
        const vA neg = A_EXPM1(A_(min)(zero, x));
        return A_(blendv)(neg, x, A_(cmp)(x, zero, _CMP_GT_OQ));
    }
    case MLP__V_SOFTPLUS: {
        const vA e = A_EXP(A_(or)(sign, x)); /* exp(-|x|) */
        return A_(add)(A_(max)(zero, x), A_LOG1P(e));
    }
    case MLP__V_EXP:
        return A_EXP(x);
    case MLP__V_NEG_EXPM1:
        return A_(xor)(sign, A_EXPM1(A_(xor)(sign, x)));
    case MLP__V_ERFC: return A_ERFC(x);
    }
    return x;
}

AVX2 static void avx2_pass(mlp__vfunc f, real *y, const real *x, size_t n)
{
    size_t i = 0;
    for (; i + A_LANES <= n; i += A_LANES) A_(storeu)(y + i, lanes(f, A_(loadu)(x + i)));
    if (i < n) { /* the tail through the same lanes, padded with zeros */
        real in[A_LANES] = {0}, out[A_LANES];
        memcpy(in, x + i, (n - i) * sizeof *in);
        A_(storeu)(out, lanes(f, A_(loadu)(in)));
        memcpy(y + i, out, (n - i) * sizeof *out);
    }
}

#define AVX512 __attribute__((target("avx512f,avx512dq")))

/* lanes() at 512 bits: the same formulas, each step the 256-bit one's. */
AVX512 static inline vE lanesE(mlp__vfunc f, vE x)
{
    const vE zero = E_(setzero)(), one = E_(set1)(1), two = E_(set1)(2),
             sign = E_(set1)((real)-0.0);
    switch (f) {
    case MLP__V_TANH: {
        const vE ax = E_(andnot)(sign, x);
        const vE e = E_EXPM1(E_(mul)(two, E_(min)(E_(set1)(20), ax)));
        return E_(or)(E_(div)(e, E_(add)(e, two)), E_(and)(sign, x));
    }
    case MLP__V_SIGMOID:
        return E_(div)(one, E_(add)(one, E_EXP(E_(xor)(sign, x))));
    case MLP__V_ELU: {
        const vE neg = E_EXPM1(E_(min)(zero, x));
        return E_(mask_blend)(E_CMP(x, zero, _CMP_GT_OQ), neg, x);
    }
    case MLP__V_SOFTPLUS: {
        const vE e = E_EXP(E_(or)(sign, x)); /* exp(-|x|) */
        return E_(add)(E_(max)(zero, x), E_LOG1P(e));
    }
    case MLP__V_EXP:
        return E_EXP(x);
    case MLP__V_NEG_EXPM1:
        return E_(xor)(sign, E_EXPM1(E_(xor)(sign, x)));
    case MLP__V_ERFC: return E_ERFC(x);
    }
    return x;
}

AVX512 static void avx512_pass(mlp__vfunc f, real *y, const real *x, size_t n)
{
    size_t i = 0;
    for (; i + E_LANES <= n; i += E_LANES) E_(storeu)(y + i, lanesE(f, E_(loadu)(x + i)));
    if (i < n) { /* the tail through the same lanes, padded with zeros */
        real in[E_LANES] = {0}, out[E_LANES];
        memcpy(in, x + i, (n - i) * sizeof *in);
        E_(storeu)(out, lanesE(f, E_(loadu)(in)));
        memcpy(y + i, out, (n - i) * sizeof *out);
    }
}

static int use_avx2(void)
{
    /* libgcc fills the CPU model before main; reading it is a load and a test. */
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static int use_avx512(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

int MLP__T(mlp__vpass_lanes)(int n_lanes, mlp__vfunc f, real *y, const real *x, size_t n)
{
    if (n_lanes == E_LANES && use_avx512()) avx512_pass(f, y, x, n);
    else if (n_lanes == A_LANES && use_avx2()) avx2_pass(f, y, x, n);
    else if (n_lanes == 1) scalar_pass(f, y, x, n);
    else return 0;
    return 1;
}

void MLP__T(mlp__vpass)(mlp__vfunc f, real *y, const real *x, size_t n)
{
    if (use_avx512()) avx512_pass(f, y, x, n);
    else if (use_avx2()) avx2_pass(f, y, x, n);
    else scalar_pass(f, y, x, n);
}

#define MLP__STR_(x) #x
#define MLP__STR(x) MLP__STR_(x)

const char *MLP__T(mlp__vmath_name)(void)
{
    return use_avx512() ? "glibc libmvec, AVX-512, " MLP__STR(E_LANES) " lanes"
           : use_avx2() ? "glibc libmvec, AVX2, " MLP__STR(A_LANES) " lanes"
                        : "libm, scalar";
}

#else

void MLP__T(mlp__vpass)(mlp__vfunc f, real *y, const real *x, size_t n)
{
    scalar_pass(f, y, x, n);
}

int MLP__T(mlp__vpass_lanes)(int n_lanes, mlp__vfunc f, real *y, const real *x, size_t n)
{
    if (n_lanes != 1) return 0;
    scalar_pass(f, y, x, n);
    return 1;
}

const char *MLP__T(mlp__vmath_name)(void) { return "libm, scalar"; }

#endif
