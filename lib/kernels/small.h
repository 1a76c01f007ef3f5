/* Small dense layers in plain loops and in vector lanes (lib/kernels/): what the dense
 * layer's kernels (dense_math.c) and the small network's forward road
 * (lib/model/dense.c) share. Typed (lib/core/typed.h): `real` is the including file's
 * scalar type. Private; static inline only.
 *
 * A block of SMALL_ROWS rows goes through a layer with each row's values in a lane of
 * their own, so a row's arithmetic is small_row's, operation for operation (the
 * library is built without contraction into fused multiply-adds): the same bits. */
#ifndef MLP_KERNELS_SMALL_H
#define MLP_KERNELS_SMALL_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels.h"
#include "../core/typed.h"

#define SMALL_LAYER MLP__SMALL_LAYER

/* The SSE2 scalar operations rectify() uses, and the integer of a vector mask's lane, by type. */
#if MLP__F32
#define SS_(op) _mm_##op##_ss
#define PS_(op) _mm_##op##_ps
#define SS_CVT _mm_cvtss_f32
typedef int32_t mlp__lane_int;
#else
#define SS_(op) _mm_##op##_sd
#define PS_(op) _mm_##op##_pd
#define SS_CVT _mm_cvtsd_f64
typedef long long mlp__lane_int;
#endif

/* max(s, 0) for relu (neg 0), s or neg * s for leaky relu, as a select rather than
 * a branch: a branch on the sign of data mispredicts half the time. s < 0 is false
 * for NaN, which passes through as Python's max keeps it; + 0.0 makes relu of a
 * negative +0, not -0; relu's 0 is not 0 * s, which is NaN for s = -inf. */
static inline real rectify(real s, real neg)
{
    const real below = neg != 0 ? neg * s + 0 : 0; /* neg is the layer's: no mispredict */
#if defined(__SSE2__)
    typedef __typeof__(PS_(setzero)()) vec; /* __m128d or __m128 */
    const vec vs = SS_(set)(s), m = SS_(cmplt)(vs, PS_(setzero)());
    return SS_CVT(PS_(or)(PS_(and)(m, SS_(set)(below)), PS_(andnot)(m, vs)));
#else
    real_bits keep, take;
    memcpy(&keep, &s, sizeof keep);
    memcpy(&take, &below, sizeof take);
    const real_bits mask = -(real_bits)(s < 0), bits = (take & mask) | (keep & ~mask);
    real r;
    memcpy(&r, &bits, sizeof r);
    return r;
#endif
}


/* One row of a small layer: zr (out) = f(x (in) · w (out, in)ᵀ + b), with f the
 * identity (rectified == 0) or rectify(., neg). */
static inline void small_row(real *zr, const real *x, const real *w, const real *b, size_t in,
                             size_t out, int rectified, real neg)
{
    for (size_t j = 0; j < out; j++) {
        const real *wj = w + j * in;
        real s = b != NULL ? b[j] : 0;
        switch (in) { /* the same sums in the same order, unrolled for the smallest */
        case 1: s += x[0] * wj[0]; break;
        case 2: s += x[0] * wj[0]; s += x[1] * wj[1]; break;
        case 3: s += x[0] * wj[0]; s += x[1] * wj[1]; s += x[2] * wj[2]; break;
        default:
            for (size_t k = 0; k < in; k++) s += x[k] * wj[k];
        }
        zr[j] = rectified ? rectify(s, neg) : s;
    }
}

/* Loops of two or three trips: vectorized versions only add prologues (measured with
 * callgrind: 253 instructions per tiny prediction with them, fewer without). */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define NO_VECTORIZE
#endif

/* The vector roads: SMALL_ROWS rows at once. Each vector function is built three times,
 * for AVX-512, AVX2 and the baseline (an always-inline body under wrappers with target
 * attributes: ISA_WRAPPERS), and the call picks the best the CPU runs (a load and a
 * test: libgcc's CPU model). */
/* A block is one AVX-512 register of rows: 8 doubles, or 16 floats. */
#if MLP__F32
enum { SMALL_ROWS = 2 * MLP__SMALL_BLOCK };
#else
enum { SMALL_ROWS = MLP__SMALL_BLOCK };
#endif

#if defined(__GNUC__)
/* A block's values of one node: GCC's vector extension, which GCC lowers to one
 * AVX-512 register, two AVX2 ones or four SSE2 ones as the build of the function allows. */
typedef real vrows __attribute__((vector_size(SMALL_ROWS * sizeof(real))));
typedef mlp__lane_int vmask __attribute__((vector_size(SMALL_ROWS * sizeof(mlp__lane_int))));
/* The same vector at any value's address: rows are read and written in place,
 * not through a local copy (which GCC keeps in memory, a store more per vector). */
typedef real vrows_at __attribute__((vector_size(SMALL_ROWS * sizeof(real)), aligned(sizeof(real)),
                                        may_alias));

/* Two vectors' even lanes and odd lanes; and their lanes interleaved, low and high half
 * (the lane lists: 8 lanes of doubles, 16 of floats) */
#if MLP__F32
#define EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define ODD_LANES 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define LO_LANES 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23
#define HI_LANES 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31
#else
#define EVEN_LANES 0, 2, 4, 6, 8, 10, 12, 14
#define ODD_LANES 1, 3, 5, 7, 9, 11, 13, 15
#define LO_LANES 0, 8, 1, 9, 2, 10, 3, 11
#define HI_LANES 4, 12, 5, 13, 6, 14, 7, 15
#endif
#if defined(__clang__)
#define EVEN(a, b) __builtin_shufflevector(a, b, EVEN_LANES)
#define ODD(a, b) __builtin_shufflevector(a, b, ODD_LANES)
#define ZIP_LO(a, b) __builtin_shufflevector(a, b, LO_LANES)
#define ZIP_HI(a, b) __builtin_shufflevector(a, b, HI_LANES)
#else
#define EVEN(a, b) __builtin_shuffle(a, b, (vmask){EVEN_LANES})
#define ODD(a, b) __builtin_shuffle(a, b, (vmask){ODD_LANES})
#define ZIP_LO(a, b) __builtin_shuffle(a, b, (vmask){LO_LANES})
#define ZIP_HI(a, b) __builtin_shuffle(a, b, (vmask){HI_LANES})
#endif

/* Rows r0 .. r0 + SMALL_ROWS - 1 of m (rows of `width`) into width vectors c[0],
 * c[step], ..., and back. */
__attribute__((always_inline)) static inline void load_cols(vrows *c, const real *m, size_t width,
                                                            size_t step)
{
    if (width == 1) {
        c[0] = *(const vrows_at *)m;
    } else if (width == 2) {
        const vrows v0 = *(const vrows_at *)m, v1 = *(const vrows_at *)(m + SMALL_ROWS);
        c[0] = EVEN(v0, v1);
        c[step] = ODD(v0, v1);
    } else {
        for (size_t k = 0; k < width; k++)
            for (size_t r = 0; r < SMALL_ROWS; r++) c[k * step][r] = m[r * width + k];
    }
}

__attribute__((always_inline)) static inline void store_cols(real *m, const vrows *c, size_t width,
                                                             size_t step)
{
    if (width == 1) {
        *(vrows_at *)m = c[0];
    } else if (width == 2) {
        *(vrows_at *)m = ZIP_LO(c[0], c[step]);
        *(vrows_at *)(m + SMALL_ROWS) = ZIP_HI(c[0], c[step]);
    } else {
        for (size_t r = 0; r < SMALL_ROWS; r++)
            for (size_t k = 0; k < width; k++) m[r * width + k] = c[k * step][r];
    }
}

/* rectify() lane by lane. With AVX-512 (whole != 0) in one comparison of the block
 * (8 doubles, 16 floats); without, in halves (4 doubles, 8 floats: one AVX2
 * register): a comparison of a whole block has no AVX2 instruction, and GCC would do
 * it one lane at a time. (Halves on AVX-512 would
 * cost a store-forwarding stall: two 32-byte stores read back as one 64-byte
 * load, measured at 30 % of the tiny network's forward pass.) */
typedef real vhalf __attribute__((vector_size(SMALL_ROWS / 2 * sizeof(real))));
typedef mlp__lane_int vhmask __attribute__((vector_size(SMALL_ROWS / 2 * sizeof(mlp__lane_int))));

__attribute__((always_inline)) static inline void rectify_lanes(vrows *acc, real neg, int whole)
{
    if (whole) {
        const vrows v = *acc, zero = {0};
        const vmask below = v < zero;
        const vrows lo = neg != 0 ? neg * v + 0 : zero;
        *acc = (vrows)(((vmask)lo & below) | ((vmask)v & ~below));
        return;
    }
    union {
        vrows all;
        vhalf half[2];
    } u = {*acc};
    const vhalf zero = {0};
    for (int h = 0; h < 2; h++) {
        const vhalf v = u.half[h];
        const vhmask below = v < zero;
        const vhalf lo = neg != 0 ? neg * v + 0 : zero;
        u.half[h] = (vhalf)(((vhmask)lo & below) | ((vhmask)v & ~below));
    }
    *acc = u.all;
}


/* Which build of the vector functions this CPU runs: 2 AVX-512, 1 AVX2, 0 baseline. */
#if defined(__x86_64__)
#define ISA_WRAPPERS(name, params, args)                                                \
    __attribute__((target("avx512f"))) static void name##_avx512 params { name##_body args; } \
    __attribute__((target("avx2"))) static void name##_avx2 params { name##_body args; }     \
    static void name params                                                              \
    {                                                                                    \
        if (__builtin_cpu_supports("avx512f")) name##_avx512 args;                       \
        else if (__builtin_cpu_supports("avx2")) name##_avx2 args;                       \
        else name##_body args;                                                           \
    }
#else
#define ISA_WRAPPERS(name, params, args)                                                \
    static void name params { name##_body args; }
#endif

#define HAVE_SMALL_BLOCK 1
#else
#define HAVE_SMALL_BLOCK 0
#endif

#endif
