/* The networks libmlp's benchmarks time (bench/mlp_bench.c, bench/mpi_bench.c): bias
 * on, MSE, linear output (issue #5). One table, so that the programs time the same
 * shapes. */
#ifndef MLP_BENCH_WORKLOADS_H
#define MLP_BENCH_WORKLOADS_H

#include <stddef.h>

#include <mlp.h>

typedef struct workload {
    const char *name;
    size_t n_inputs, n_layers;
    size_t sizes[4];
    mlp_activation hidden;
} workload;

static const workload workloads[] = {
    {"tiny", 2, 2, {2, 1}, MLP_ACT_RELU},
    {"mnist", 784, 3, {256, 128, 10}, MLP_ACT_RELU},
    {"wide", 1024, 3, {1024, 1024, 1024}, MLP_ACT_TANH},
};

#endif
