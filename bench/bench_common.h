/* Shared by the benchmark programs (inline: each uses what it needs): option lists,
 * and timing (the median of several samples after a warm-up, each sample long enough
 * to be measured well). */
#ifndef MLP_BENCH_COMMON_H
#define MLP_BENCH_COMMON_H

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1 when `name` is an item of the comma-separated `list` (NULL: every name). */
static inline int listed(const char *list, const char *name)
{
    if (list == NULL) return 1;
    const size_t len = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0')) return 1;
    return 0;
}

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*bench_fn)(void *ctx);

/* Median seconds per call over samples that together take at least min_time.
 * Returns a negative number, without sampling, when one call takes longer than
 * max_call (a peer far too slow for the time the suite has). */
static inline double time_call(bench_fn f, void *ctx, double min_time, double max_call)
{
    double t0 = now();
    f(ctx); /* the first call warms caches and starts the BLAS threads */
    double one = now() - t0;
    if (one > max_call) return -one;
    /* A call that takes a good part of min_time on its own is measured 3 times
     * (it varies little); shorter ones in 7 samples of many calls, after more warm-up. */
    const int samples = one > min_time / 3 ? 3 : 7;
    if (samples == 7) {
        while (now() - t0 < 0.05 * min_time + one) f(ctx);
        t0 = now();
        f(ctx);
        one = fmax(now() - t0, 1e-9);
    }
    const size_t reps = (size_t)fmax(1.0, min_time / samples / one);
    double s[7];
    for (int i = 0; i < samples; i++) {
        const double a = now();
        for (size_t r = 0; r < reps; r++) f(ctx);
        s[i] = (now() - a) / (double)reps;
    }
    qsort(s, (size_t)samples, sizeof *s, cmp_double);
    return s[samples / 2];
}

#endif
