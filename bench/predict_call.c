/* The C call the Python package wraps, timed alone: mlp_net_predict on the rows of a
 * file of doubles, for bench/python_estimators.py's overhead of the Python layer.
 *
 * Usage: predict_call MODEL ROWS.f64 N REPS THREADS
 * Prints the median seconds of one mlp_net_predict of the first N rows (a workspace of
 * N rows made once, as a C program would), over REPS timed calls after one untimed, on THREADS threads (mlp_set_num_threads). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <mlp.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: predict_call MODEL ROWS.f64 N REPS THREADS\n");
        return 2;
    }
    if (mlp_set_num_threads(atoi(argv[5])) != MLP_OK) {
        fprintf(stderr, "predict_call: %s\n", mlp_error_detail());
        return 2;
    }
    const size_t n = strtoul(argv[3], NULL, 10), reps = strtoul(argv[4], NULL, 10);
    mlp_net *net = NULL;
    if (mlp_net_load(&net, argv[1]) != MLP_OK) {
        fprintf(stderr, "predict_call: %s\n", mlp_error_detail());
        return 1;
    }
    const size_t d = mlp_net_n_inputs(net), k = mlp_net_n_outputs(net);
    double *x = malloc(n * d * sizeof *x), *y = malloc(n * k * sizeof *y);
    double *t = malloc((reps + 1) * sizeof *t);
    FILE *f = fopen(argv[2], "rb");
    if (n == 0 || reps == 0 || x == NULL || y == NULL || t == NULL || f == NULL ||
        fread(x, sizeof *x, n * d, f) != n * d) {
        fprintf(stderr, "predict_call: cannot read %zu rows of %zu doubles from %s\n", n, d,
                argv[2]);
        return 1;
    }
    fclose(f);
    mlp_workspace *ws = NULL;
    if (mlp_workspace_create(&ws, net, n) != MLP_OK) return 1;
    for (size_t r = 0; r <= reps; r++) {
        const double t0 = now();
        if (mlp_net_predict(net, ws, y, x, n) != MLP_OK) {
            fprintf(stderr, "predict_call: %s\n", mlp_error_detail());
            return 1;
        }
        t[r] = now() - t0;
    }
    qsort(t + 1, reps, sizeof *t, cmp);
    printf("%.9g\n", t[1 + reps / 2]);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    free(x), free(y), free(t);
    return 0;
}
