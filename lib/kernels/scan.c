/* The finiteness scans: is every value finite, and how large is the largest; for
 * float64 and float32 from this one source (lib/core/typed.h).
 *
 * Plain SGD scans its input and every dZ it bounds on each step (lib/train/step.c,
 * sgd_step), and the other optimizers scan their parameter blocks: these loops read
 * as much memory as a layer's dgemm and must run at the memory's speed, not at one
 * compare's latency per value. A magnitude is the value's bits with the sign bit
 * cleared; read as a signed 64-bit integer it is >= 0 and orders as the magnitude
 * does, infinity above every finite value and NaN above infinity (a float's bits read as
 * a 32-bit integer alike). So one integer
 * maximum gives both answers: the largest magnitude, and — when it is at least
 * infinity's bits — that some value is not finite. Four accumulators keep four
 * maxima in flight; the AVX-512 and AVX2 builds are chosen at run time, SSE2 (every
 * x86-64) or plain C otherwise. Every road gives the same result (tests/test_scan.c). */
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels.h"
#include "../core/typed.h"

/* What this file's vector roads do with a value's bits (real_bits), by type: S for SSE2,
 * A for AVX2, E for AVX-512, each LANES values a vector. */
#if MLP__F32
#define MAGNITUDE UINT32_C(0x7fffffff)
#define INF_BITS UINT32_C(0x7f800000)
#define S_(op) _mm_##op##_ps
#define S_LANES 4
#define A_LANES 8
#define A_SET1(v) _mm256_set1_epi32((int)(v))
#define A_MAX(a, b) _mm256_max_epi32(a, b) /* magnitudes are >= 0 as signed integers */
#define E_LANES 16
typedef __mmask16 E_MASK;
#define E_SET1(v) _mm512_set1_epi32((int)(v))
#define E_MAX _mm512_max_epi32
#define E_MASKZ_LOADU _mm512_maskz_loadu_epi32
#define E_REDUCE_MAX _mm512_reduce_max_epi32
#else
#define MAGNITUDE UINT64_C(0x7fffffffffffffff)
#define INF_BITS UINT64_C(0x7ff0000000000000)
#define S_(op) _mm_##op##_pd
#define S_LANES 2
#define A_LANES 4
#define A_SET1(v) _mm256_set1_epi64x((long long)(v))
/* AVX2 has no 64-bit maximum: a compare and a blend */
#define A_MAX(a, b) _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(b, a))
#define E_LANES 8
typedef __mmask8 E_MASK;
#define E_SET1(v) _mm512_set1_epi64((long long)(v))
#define E_MAX _mm512_max_epi64
#define E_MASKZ_LOADU _mm512_maskz_loadu_epi64
#define E_REDUCE_MAX _mm512_reduce_max_epi64
#endif

/* Below this many values a one-accumulator loop, inlined, costs less than choosing a
 * road (a one-row step of a small network scans arrays of a few values). */
enum { SHORT = 16 };

__attribute__((always_inline)) static inline real_bits max_bits_short(const real *x, size_t n)
{
    real_bits m = 0;
    for (size_t i = 0; i < n; i++) {
        real_bits b;
        memcpy(&b, x + i, sizeof b);
        b &= MAGNITUDE;
        if (b > m) m = b;
    }
    return m;
}

/* The largest magnitude's bits, as above. */
static real_bits max_bits_c(const real *x, size_t n)
{
    real_bits m[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            real_bits b;
            memcpy(&b, x + i + k, sizeof b);
            b &= MAGNITUDE;
            if (b > m[k]) m[k] = b;
        }
    const real_bits tail = max_bits_short(x + i, n - i); /* the 0 to 3 past the last four */
    if (tail > m[0]) m[0] = tail;
    for (int k = 1; k < 4; k++)
        if (m[k] > m[0]) m[0] = m[k];
    return m[0];
}

#if defined(__x86_64__)
/* The largest magnitude's bits among `count` lanes (vectors stored) and the n values
 * past the vector loop. */
static real_bits lanes_and_rest(const real *lanes, size_t count, const real *x, size_t n)
{
    const real_bits a = max_bits_c(lanes, count), b = max_bits_c(x, n);
    return a > b ? a : b;
}

/* SSE2 has no 64-bit integer compare; its floating maximum does the finite values (a
 * magnitude's order is the floating order there), and x - x, 0 for a finite x and NaN
 * otherwise, marks the rest. */
static real_bits max_bits_sse2(const real *x, size_t n)
{
    typedef __typeof__(S_(setzero)()) vec; /* __m128d or __m128 */
    const vec sign = S_(set1)((real)-0.0), zero = S_(setzero)();
    vec big[4] = {zero, zero, zero, zero};
    vec good = S_(cmpeq)(zero, zero);
    size_t i = 0;
    for (; i + 4 * S_LANES <= n; i += 4 * S_LANES)
        for (int k = 0; k < 4; k++) {
            const vec v = S_(loadu)(x + i + S_LANES * k);
            good = S_(and)(good, S_(cmpeq)(S_(sub)(v, v), zero));
            big[k] = S_(max)(big[k], S_(andnot)(sign, v));
        }
    if (S_(movemask)(good) != (1 << S_LANES) - 1) return INF_BITS;
    real lanes[S_LANES];
    S_(storeu)(lanes, S_(max)(S_(max)(big[0], big[1]), S_(max)(big[2], big[3])));
    return lanes_and_rest(lanes, S_LANES, x + i, n - i);
}

__attribute__((target("avx2"))) static real_bits max_bits_avx2(const real *x, size_t n)
{
    const __m256i mag = A_SET1(MAGNITUDE);
    __m256i big[4];
    for (int k = 0; k < 4; k++) big[k] = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 4 * A_LANES <= n; i += 4 * A_LANES)
        for (int k = 0; k < 4; k++) {
            const __m256i v = _mm256_and_si256(
                _mm256_loadu_si256((const __m256i *)(x + i + A_LANES * k)), mag);
            big[k] = A_MAX(big[k], v);
        }
    real lanes[4 * A_LANES]; /* the four accumulators' bits */
    for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i *)(lanes + A_LANES * k), big[k]);
    return lanes_and_rest(lanes, 4 * A_LANES, x + i, n - i);
}

__attribute__((target("avx512f"))) static real_bits max_bits_avx512(const real *x, size_t n)
{
    const __m512i mag = E_SET1(MAGNITUDE);
    __m512i big[4];
    for (int k = 0; k < 4; k++) big[k] = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 4 * E_LANES <= n; i += 4 * E_LANES)
        for (int k = 0; k < 4; k++)
            big[k] = E_MAX(big[k], _mm512_and_si512(_mm512_loadu_si512(x + i + E_LANES * k), mag));
    for (; i < n; i += E_LANES) { /* the last few, a vector at a time, lanes past n read as 0 */
        const E_MASK k = n - i >= E_LANES ? (E_MASK)-1 : (E_MASK)((1u << (n - i)) - 1);
        const __m512i v = _mm512_and_si512(E_MASKZ_LOADU(k, x + i), mag);
        big[0] = E_MAX(big[0], v);
    }
    big[0] = E_MAX(E_MAX(big[0], big[1]), E_MAX(big[2], big[3]));
    return (real_bits)E_REDUCE_MAX(big[0]);
}
#endif

/* Which road runs: 3 AVX-512, 2 AVX2, 1 SSE2, 0 plain C. */
static int best_road(void)
{
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) return 3;
    if (__builtin_cpu_supports("avx2")) return 2;
    return 1;
#else
    return 0;
#endif
}

static real_bits max_bits(int road, const real *x, size_t n)
{
    switch (road) {
#if defined(__x86_64__)
    case 3: return max_bits_avx512(x, n);
    case 2: return max_bits_avx2(x, n);
    case 1: return max_bits_sse2(x, n);
#endif
    default: return max_bits_c(x, n);
    }
}

/* The magnitude the bits stand for, INFINITY for every non-finite one. */
static double magnitude(real_bits b)
{
    if (b >= INF_BITS) return (double)INFINITY;
    real d;
    memcpy(&d, &b, sizeof d);
    return (double)d;
}

/* On the calling thread: the short loop inlined, else this CPU's road. */
__attribute__((always_inline)) static inline real_bits max_bits_serial(const real *x, size_t n)
{
    return n < SHORT ? max_bits_short(x, n) : max_bits(best_road(), x, n);
}

/* Serial: the optimizers' update calls it from within a pass's parts. */
int MLP__T(mlp__all_finite)(const real *x, size_t n) { return max_bits_serial(x, n) < INF_BITS; }

int MLP__T(mlp__max_abs_road)(int road, double *result, const real *x, size_t n)
{
    if (road < 0 || road > best_road()) return 0;
    *result = magnitude(max_bits(road, x, n));
    return 1;
}

typedef struct max_job {
    const real *x;
    int road;
    real_bits part_max[MLP_MAX_THREADS];
} max_job;

static void max_abs_part(void *ctx, size_t i0, size_t i1, size_t part)
{
    max_job *j = ctx;
    j->part_max[part] = max_bits(j->road, j->x + i0, i1 - i0);
}

/* Out of line, so that the serial calls (a one-row step makes four of a few values)
 * do not set up its frame of MLP_MAX_THREADS maxima. */
__attribute__((noinline)) static real_bits max_bits_parallel(const real *x, size_t n)
{
    max_job j;
    j.x = x;
    j.road = best_road();
    const size_t min_part = 2 * MLP__PAR_MIN, parts = n / min_part;
    for (size_t p = 0; p < parts && p < MLP_MAX_THREADS; p++) j.part_max[p] = 0;
    mlp__parallel_for(n, 8, min_part, max_abs_part, &j);
    real_bits m = 0; /* a maximum is the same whichever way the values are grouped */
    for (size_t p = 0; p < parts && p < MLP_MAX_THREADS; p++)
        if (j.part_max[p] > m) m = j.part_max[p];
    return m;
}

double MLP__T(mlp__max_abs)(const real *x, size_t n)
{
    return magnitude(n < 4 * MLP__PAR_MIN ? max_bits_serial(x, n) : max_bits_parallel(x, n));
}
