/* The core part's private header (lib/core/): the failure detail, the struct_size
 * rules, threads, strings and the build's vector roads: what every part uses. Part of
 * lib/mlp_internal.h, which includes the parts in order; never installed. */
#ifndef MLP_CORE_H
#define MLP_CORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "mlp.h"
#include MLP_CBLAS_HEADER

/* Largest size handed to BLAS: CBLAS takes int dimensions and leading dimensions. */
#define MLP_MAX_DIM ((size_t)INT_MAX)

/* Record a formatted detail message for the calling thread and return `status`. */
mlp_status mlp__fail(mlp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Argument checks stay one line each: on failure, set the detail and return. */
#define MLP_CHECK(cond, status, ...)                                                   \
    do {                                                                               \
        if (!(cond)) return mlp__fail((status), __VA_ARGS__);                          \
    } while (0)

#define MLP_CHECK_PTR(p) MLP_CHECK((p) != NULL, MLP_ERR_INVALID_ARG, "%s: %s is NULL", __func__, #p)

/* a * b without overflow past `limit`; returns 0 and leaves *out alone on overflow. */
static inline int mlp__mul_ok(size_t a, size_t b, size_t limit, size_t *out)
{
    if (a != 0 && b > limit / a) return 0;
    *out = a * b;
    return 1;
}

/* splitmix64: the library's only random generator. Its state is always the
 * caller's (a seed passed in), never global, so runs are reproducible. */
static inline uint64_t mlp__rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double mlp__rng_uniform(uint64_t *state)
{
    return (double)(mlp__rng_next(state) >> 11) * 0x1.0p-53;
}

/* ---- threads (lib/core/parallel.c) ---------------------------------------------------- */

/* One part of a job: indices [begin, end) of the job's range; part is its index,
 * 0 to the part count - 1 (< MLP_MAX_THREADS); any thread may run any part. */
typedef void (*mlp__task)(void *ctx, size_t begin, size_t end, size_t part);

/* Run task over [0, n) in parts on the library's threads (mlp_get_num_threads()),
 * a few parts per thread, each a multiple of grain long (but the last) and at least
 * min_per_part (fewer parts when n is small; one, on the calling thread, below
 * 2 * min_per_part, on one thread, or when the pool is busy). Returns when every
 * part is done. */
void mlp__parallel_for(size_t n, size_t grain, size_t min_per_part, mlp__task task, void *ctx);

/* On an element-wise pass: built three times, for AVX-512, AVX2 and the baseline
 * (SSE2), the one for this CPU chosen when the library is loaded (GCC's and clang's
 * target_clones, an ELF ifunc). Only for loops of exact operations (add, subtract,
 * multiply, divide, square root, compare, select: no contraction into FMA,
 * -ffp-contract=off, and no math functions), where the width changes the speed and
 * never the bits (tests/test_paths.c). Not under ThreadSanitizer, whose runtime is not
 * up yet when the loader runs the resolvers (the program crashes): that build, for
 * races, runs the baseline loops. */
#if defined(__SANITIZE_THREAD__)
#define MLP__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MLP__TSAN 1
#endif
#endif
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(MLP__TSAN)
#define MLP__CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLP__CLONES
#endif

/* Values a part of an element-wise pass should hold at least: below this, waking a
 * sleeping thread (tens of microseconds on the 16-core machine measured) costs
 * more than the part. */
#define MLP__PAR_MIN 32768

/* memcpy and memset on the library's threads when they are long. */
void mlp__copy(double *dst, const double *src, size_t n);
void mlp__zero(double *dst, size_t n);
void mlp__copy_f32(float *dst, const float *src, size_t n);
void mlp__zero_f32(float *dst, size_t n);

/* The error detail's room: a path of PATH_MAX (4096) bytes and what is said around it. */
enum { MLP__DETAIL_BYTES = 4608 };

/* What a file of this st_mode is, for messages: "a directory", "a FIFO", ... (outfile.c) */
const char *mlp__file_kind(unsigned mode);

/* ---- structs that cross the API -------------------------------------------------- */

/* The caller's struct `src` (it begins with size_t struct_size) over `dst`, the
 * library's own layout already holding the defaults: the fields that fit in the
 * caller's struct_size are copied, the rest keep their defaults; dst->struct_size
 * becomes the library's own size. MLP_ERR_INVALID_ARG (detail naming `fn` and
 * `type`) for a struct_size smaller than the field itself or larger than `own`. */
mlp_status mlp__struct_in(void *dst, size_t own, const void *src, const char *fn, const char *type);

/* The library's struct `src` (own bytes) out to the caller's `dst`: the fields that
 * fit in dst's struct_size; dst->struct_size is kept. Same errors as mlp__struct_in. */
mlp_status mlp__struct_out(void *dst, const void *src, size_t own, const char *fn,
                           const char *type);

/* MLP_OK when `size` is a struct_size the library serves for a struct of `own` bytes. */
mlp_status mlp__struct_size_ok(size_t size, size_t own, const char *fn, const char *type);

/* The init functions: `defaults` (the library's layout, `own` bytes) copied to the
 * caller's `dst` as far as `size` reaches, and dst->struct_size = size. */
mlp_status mlp__struct_init(void *dst, size_t size, const void *defaults, size_t own,
                            const char *fn, const char *type);

/* Where a struct's field ends: a struct_size at least this holds the field. */
#define MLP__END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* A kind table covers its enum, checked at compile time: the table has last + 1 entries,
 * and beside it a switch over every value of the enum, without a default, makes
 * -Wswitch (in -Wall; an error in CI) name any value added to the enum and not there. */
#define MLP__TABLE_COVERS(table, last)                                                     \
    _Static_assert(sizeof(table) / sizeof((table)[0]) == (size_t)(last) + 1,                \
                   #table " has an entry for every value up to " #last)

/* The index of `name` in a table of `count` entries of `stride` bytes whose first
 * member is the entry's name (NULL for a gap); -1, with the detail set for `fn`,
 * when no entry has that name. */
int mlp__name_index(const void *table, size_t count, size_t stride, const char *name,
                    const char *fn, const char *what);

/* The longest column name or class label a model keeps. */
#define MLP__MAX_NAME 65536

/* Copies of n strings into a new array *dst, each checked: not NULL, at most
 * MLP__MAX_NAME bytes; the detail names `fn` and `what` ("class"). lib/core/text.c. */
mlp_status mlp__strings_copy(char ***dst, const char *const *src, size_t n, const char *fn,
                             const char *what);

/* Frees n strings and the array (NULL: nothing; lib/core/text.c). */
void mlp__strings_free(char **s, size_t n);

/* Whether two of the n strings are equal (none NULL; lib/core/text.c): then 1, and
 * *first < *second their indices (the pair with the smallest second, then first); 0
 * when all differ, and -1 when the memory to tell is lacking. The one rule for class
 * labels, applied by mlp_net_set_classes and by the loader alike. */
int mlp__repeated_string(const char *const *s, size_t n, size_t *first, size_t *second);

#endif
