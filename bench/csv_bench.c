/* mlp_bench_csv FILE [--task auto|regression]: the time mlp_table_read_csv takes to
 * read FILE whole (every column a number; the last the target), printed as
 * "rows,columns,seconds". bench/csv_read.py runs it beside pandas.read_csv. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mlp.h>

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--task"))) {
        fprintf(stderr, "usage: mlp_bench_csv FILE [--task auto|regression]\n");
        return 2;
    }
    mlp_csv_options o;
    mlp_csv_options_init(&o, sizeof o);
    if (argc == 4) o.task = !strcmp(argv[3], "regression") ? MLP_TASK_REGRESSION : MLP_TASK_AUTO;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    mlp_table *t;
    const mlp_status s = mlp_table_read_csv(&t, argv[1], &o);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (s != MLP_OK) {
        fprintf(stderr, "mlp_bench_csv: %s\n", mlp_error_detail());
        return 1;
    }
    printf("%zu,%zu,%.4f\n", mlp_table_rows(t), mlp_table_n_inputs(t) + mlp_table_n_targets(t),
           (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec));
    mlp_table_free(t);
    return 0;
}
