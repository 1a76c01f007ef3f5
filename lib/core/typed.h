/* One source, two scalar types (docs/design.md, "The scalar type is a parameter").
 *
 * A typed source is written once, over `real`, and compiled twice: as itself, for
 * float64, and through a file lib/meson.build makes for each of them (typed_sources),
 * which defines MLP__F32 and includes it, for float32. So float and double cannot drift
 * apart, as BLIS's kernels made from one macro template cannot. What a typed source
 * defines for both types goes through MLP__T: the float64 names are the names the
 * library has always had, the float32 ones end in _f32 (mlp__vpass, mlp__vpass_f32).
 * What it defines once (the public calls, which take double) stands inside
 * `#if !MLP__F32`.
 *
 * The math functions are <tgmath.h>'s, which call expf for a float and exp for a
 * double; constants are written (real)c, and the float32 build warns (an error in CI)
 * on any float silently widened to double or double narrowed to float, so a float road
 * never computes in double by accident. Sums that decide a result (losses, metrics)
 * accumulate in double in both. */
#ifndef MLP_TYPED_H
#define MLP_TYPED_H

#include <stdint.h>
#include <tgmath.h>

#ifndef MLP__F32
#define MLP__F32 0
#endif

#if MLP__F32
typedef float real;
typedef uint32_t real_bits; /* a value's bits, as an unsigned integer */
#define MLP__T(name) name##_f32
#define MLP__BLAS(op) cblas_s##op /* cblas_sgemm */
#if defined(__GNUC__)
#pragma GCC diagnostic warning "-Wdouble-promotion"
#pragma GCC diagnostic warning "-Wfloat-conversion"
#endif
/* clang (14) gives a static function's target_clones resolver a global name
 * (relu_fwd.resolver), which the float64 build defines too: the float32 build of a
 * clang build runs the baseline loops. GCC keeps them local. */
#if defined(__clang__)
#undef MLP__CLONES
#define MLP__CLONES
#endif
#else
typedef double real;
typedef uint64_t real_bits;
#define MLP__T(name) name
#define MLP__BLAS(op) cblas_d##op /* cblas_dgemm */
#endif

#endif
