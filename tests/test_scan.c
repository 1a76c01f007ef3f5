/* The finiteness scans (lib/kernels/scan.c), of float64 and of float32 arrays, on every
 * road this CPU has — AVX-512, AVX2, SSE2, plain C — against fabs and isfinite in a
 * plain loop: the largest magnitude
 * to the bit, INFINITY when a value is NaN or infinite, wherever it sits (the vector
 * body, the tail, each accumulator's lane), for every length from 0 to past a few
 * vectors; and the parallel scan (mlp__max_abs) on long blocks at several thread
 * counts. */
#include <string.h>

#include "test_util.h"
#include "mlp_internal.h"
#include "test_typed.h"

enum { LONG_N = 300000 };

static double reference(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return INFINITY;
        if (fabs(x[i]) > m) m = fabs(x[i]);
    }
    return m;
}

/* Every road this machine has gives the reference's answer for the values as type t
 * holds them, bit for bit. */
static void check_roads(int t, const double *x, size_t n, const char *what, size_t where)
{
    double held[200];
    memcpy(held, x, n * sizeof *x);
    tt_round(t, held, n);
    const double want = reference(held, n);
    int roads = 0;
    for (int road = 0; road <= 3; road++) {
        double got = -1.0;
        if (!tt_max_abs_road(t, road, &got, x, n)) continue;
        roads++;
        ck_assert_msg(memcmp(&got, &want, sizeof got) == 0,
                      "%s, road %d, n %zu, %s at %zu: %a, want %a", tt_names[t], road, n, what,
                      where, got, want);
    }
    ck_assert_int_ge(roads, 1); /* plain C is always there */
    ck_assert_int_eq(tt_all_finite(t, x, n), isfinite(want) ? 1 : 0);
}

START_TEST(every_road_every_length)
{
    const int t = _i;
    uint64_t rng = 7;
    double x[200] = {0};
    /* magnitudes of every size, both signs: subnormals, -0.0, and the type's largest */
    const double odd64[] = {-0.0, 0x1p-1074, -0x1p-1022, -0x1.fffffffffffffp+1023, 3.5e300};
    const double odd32[] = {-0.0, 0x1p-149, -0x1p-126, -0x1.fffffep+127, 3.5e30};
    const double *odd = t == TT_F32 ? odd32 : odd64;
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
    /* every length to past two of the widest road's bodies (4 accumulators of 8 doubles
     * or 16 floats), then a few longer */
    const size_t every = t == TT_F32 ? 136 : 70;
    for (size_t n = 0; n <= 190; n = n < every ? n + 1 : n + 27) {
        tu_fill(&rng, x, n, -2.0, 2.0);
        check_roads(t, x, n, "nothing", 0);
        for (size_t at = 0; at < n; at++) {
            const double keep = x[at];
            for (size_t k = 0; k < sizeof odd64 / sizeof odd64[0]; k++) {
                x[at] = odd[k];
                check_roads(t, x, n, "an odd value", at);
            }
            for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
                x[at] = bad[k];
                check_roads(t, x, n, "a non-finite value", at);
            }
            x[at] = -1e3 * (double)(at + 1); /* the largest, and negative */
            check_roads(t, x, n, "the largest", at);
            x[at] = keep;
        }
    }
    /* all negative, all zero: the largest magnitude is not the largest value */
    for (size_t i = 0; i < 64; i++) x[i] = -(double)(i % 9) - 1.0;
    check_roads(t, x, 64, "all negative", 0);
    ck_assert_double_eq(reference(x, 64), 9.0);
    memset(x, 0, sizeof x);
    check_roads(t, x, 100, "all zero", 0);
}
END_TEST

START_TEST(parallel_scan_on_long_blocks)
{
    const int t = _i;
    uint64_t rng = 11;
    double *x = malloc(LONG_N * sizeof *x);
    ck_assert_ptr_nonnull(x);
    tu_fill(&rng, x, LONG_N, -1.0, 1.0);
    const int before = mlp_get_num_threads();
    const size_t spots[] = {0, 1, 4095, 150001, LONG_N - 1};
    for (int threads = 1; threads <= 4; threads++) {
        ck_assert_int_eq(mlp_set_num_threads(threads), MLP_OK);
        double held = reference(x, LONG_N);
        tt_round(t, &held, 1); /* the largest of the rounded values is the rounded largest */
        ck_assert_double_eq(tt_max_abs(t, x, LONG_N), held);
        for (size_t k = 0; k < sizeof spots / sizeof spots[0]; k++) {
            const size_t at = spots[k];
            const double keep = x[at];
            x[at] = -7.25;
            ck_assert_double_eq(tt_max_abs(t, x, LONG_N), 7.25);
            x[at] = NAN;
            ck_assert(isinf(tt_max_abs(t, x, LONG_N)));
            ck_assert(!tt_all_finite(t, x, LONG_N));
            x[at] = keep;
        }
    }
    ck_assert_int_eq(mlp_set_num_threads(before), MLP_OK);
    free(x);
}
END_TEST

static Suite *scan_suite(void)
{
    Suite *s = suite_create("scan");
    TCase *tc = tcase_create("scan");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_road_every_length, 0, TT_TYPES);
    tcase_add_loop_test(tc, parallel_scan_on_long_blocks, 0, TT_TYPES);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(scan_suite)
