/* The finiteness scans: is every value finite, and how large is the largest.
 *
 * Plain SGD scans its input and every dZ it bounds on each step (lib/train/step.c,
 * sgd_step), and the other optimizers scan their parameter blocks: these loops read
 * as much memory as a layer's dgemm and must run at the memory's speed, not at one
 * compare's latency per value. A magnitude is the value's bits with the sign bit
 * cleared; read as a signed 64-bit integer it is >= 0 and orders as the magnitude
 * does, infinity above every finite value and NaN above infinity. So one integer
 * maximum gives both answers: the largest magnitude, and — when it is at least
 * infinity's bits — that some value is not finite. Four accumulators keep four
 * maxima in flight; the AVX-512 and AVX2 builds are chosen at run time, SSE2 (every
 * x86-64) or plain C otherwise. Every road gives the same result (tests/test_scan.c). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels.h"

#define MAGNITUDE UINT64_C(0x7fffffffffffffff)
#define INF_BITS UINT64_C(0x7ff0000000000000)

/* Below this many values a one-accumulator loop, inlined, costs less than choosing a
 * road (a one-row step of a small network scans arrays of a few values). */
enum { SHORT = 16 };

__attribute__((always_inline)) static inline uint64_t max_bits_short(const double *x, size_t n)
{
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b;
        memcpy(&b, x + i, sizeof b);
        b &= MAGNITUDE;
        if (b > m) m = b;
    }
    return m;
}

/* The largest magnitude's bits, as above. */
static uint64_t max_bits_c(const double *x, size_t n)
{
    uint64_t m[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++) {
            uint64_t b;
            memcpy(&b, x + i + k, sizeof b);
            b &= MAGNITUDE;
            if (b > m[k]) m[k] = b;
        }
    const uint64_t tail = max_bits_short(x + i, n - i); /* the 0 to 3 past the last four */
    if (tail > m[0]) m[0] = tail;
    for (int k = 1; k < 4; k++)
        if (m[k] > m[0]) m[0] = m[k];
    return m[0];
}

#if defined(__x86_64__)
/* The largest magnitude's bits among `count` lanes (vectors stored) and the n values
 * past the vector loop. */
static uint64_t lanes_and_rest(const double *lanes, size_t count, const double *x, size_t n)
{
    const uint64_t a = max_bits_c(lanes, count), b = max_bits_c(x, n);
    return a > b ? a : b;
}

/* SSE2 has no 64-bit integer compare; its double maximum does the finite values (a
 * magnitude's order is the double order there), and x - x, 0 for a finite x and NaN
 * otherwise, marks the rest. */
static uint64_t max_bits_sse2(const double *x, size_t n)
{
    const __m128d sign = _mm_set1_pd(-0.0), zero = _mm_setzero_pd();
    __m128d big[4] = {zero, zero, zero, zero};
    __m128d good = _mm_cmpeq_pd(zero, zero);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 4; k++) {
            const __m128d v = _mm_loadu_pd(x + i + 2 * k);
            good = _mm_and_pd(good, _mm_cmpeq_pd(_mm_sub_pd(v, v), zero));
            big[k] = _mm_max_pd(big[k], _mm_andnot_pd(sign, v));
        }
    if (_mm_movemask_pd(good) != 3) return INF_BITS;
    double lanes[2];
    _mm_storeu_pd(lanes, _mm_max_pd(_mm_max_pd(big[0], big[1]), _mm_max_pd(big[2], big[3])));
    return lanes_and_rest(lanes, 2, x + i, n - i);
}

__attribute__((target("avx2"))) static uint64_t max_bits_avx2(const double *x, size_t n)
{
    const __m256i mag = _mm256_set1_epi64x((long long)MAGNITUDE);
    __m256i big[4];
    for (int k = 0; k < 4; k++) big[k] = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 4; k++) {
            const __m256i v =
                _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + i + 4 * k)), mag);
            big[k] = _mm256_blendv_epi8(big[k], v, _mm256_cmpgt_epi64(v, big[k]));
        }
    double lanes[16]; /* the four accumulators' bits */
    for (int k = 0; k < 4; k++) _mm256_storeu_si256((__m256i *)(lanes + 4 * k), big[k]);
    return lanes_and_rest(lanes, 16, x + i, n - i);
}

__attribute__((target("avx512f"))) static uint64_t max_bits_avx512(const double *x, size_t n)
{
    const __m512i mag = _mm512_set1_epi64((long long)MAGNITUDE);
    __m512i big[4];
    for (int k = 0; k < 4; k++) big[k] = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++)
            big[k] = _mm512_max_epi64(big[k],
                                      _mm512_and_si512(_mm512_loadu_si512(x + i + 8 * k), mag));
    for (; i < n; i += 8) { /* the last 0 to 31, 8 at a time, the lanes past n read as 0 */
        const __mmask8 k = n - i >= 8 ? 0xff : (__mmask8)((1u << (n - i)) - 1);
        const __m512i v = _mm512_and_si512(_mm512_maskz_loadu_epi64(k, x + i), mag);
        big[0] = _mm512_max_epi64(big[0], v);
    }
    big[0] = _mm512_max_epi64(_mm512_max_epi64(big[0], big[1]), _mm512_max_epi64(big[2], big[3]));
    return (uint64_t)_mm512_reduce_max_epi64(big[0]);
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

static uint64_t max_bits(int road, const double *x, size_t n)
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
static double magnitude(uint64_t bits)
{
    if (bits >= INF_BITS) return INFINITY;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* On the calling thread: the short loop inlined, else this CPU's road. */
__attribute__((always_inline)) static inline uint64_t max_bits_serial(const double *x, size_t n)
{
    return n < SHORT ? max_bits_short(x, n) : max_bits(best_road(), x, n);
}

/* Serial: the optimizers' update calls it from within a pass's parts. */
int mlp__all_finite(const double *x, size_t n) { return max_bits_serial(x, n) < INF_BITS; }

int mlp__max_abs_road(int road, double *result, const double *x, size_t n)
{
    if (road < 0 || road > best_road()) return 0;
    *result = magnitude(max_bits(road, x, n));
    return 1;
}

typedef struct max_job {
    const double *x;
    int road;
    uint64_t part_max[MLP_MAX_THREADS];
} max_job;

static void max_abs_part(void *ctx, size_t i0, size_t i1, size_t part)
{
    max_job *j = ctx;
    j->part_max[part] = max_bits(j->road, j->x + i0, i1 - i0);
}

/* Out of line, so that the serial calls (a one-row step makes four of a few values)
 * do not set up its frame of MLP_MAX_THREADS maxima. */
__attribute__((noinline)) static uint64_t max_bits_parallel(const double *x, size_t n)
{
    max_job j;
    j.x = x;
    j.road = best_road();
    const size_t min_part = 2 * MLP__PAR_MIN, parts = n / min_part;
    for (size_t p = 0; p < parts && p < MLP_MAX_THREADS; p++) j.part_max[p] = 0;
    mlp__parallel_for(n, 8, min_part, max_abs_part, &j);
    uint64_t m = 0; /* a maximum is the same whichever way the values are grouped */
    for (size_t p = 0; p < parts && p < MLP_MAX_THREADS; p++)
        if (j.part_max[p] > m) m = j.part_max[p];
    return m;
}

double mlp__max_abs(const double *x, size_t n)
{
    return magnitude(n < 4 * MLP__PAR_MIN ? max_bits_serial(x, n) : max_bits_parallel(x, n));
}
