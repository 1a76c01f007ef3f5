/*
 * Strong scaling of libmlp-mpi (run under mpirun -np P): the same global batches of
 * the mnist and wide networks over P ranks, each step's time split into compute and
 * communication (the reducer's wall time, from mlp_mpi_get_stats), for two reducers:
 * libmlp-mpi's fixed-order one, and a plain MPI_Allreduce(MPI_SUM) through the same
 * public hook (not deterministic across MPI libraries and sizes: here only to price
 * the fixed order), and the fixed order overlapped with the backward pass (a bucket
 * per layer, summed by libmlp-mpi's thread; its comm_ms is the part the training
 * thread still waited for).
 *
 * Output: CSV rows on rank 0's stdout,
 * "reducer,workload,ranks,batch,params,step_ms,compute_ms,comm_ms,bytes_per_step".
 * Usage: mpi_bench [--steps N] [--batch B] [--workloads mnist,wide]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_mpi.h"

#include "bench_common.h"
#include "workloads.h"

/* MPI_Allreduce through the hook, timed as libmlp-mpi times its own. */
typedef struct plain {
    MPI_Comm comm;
    double seconds, bytes;
    int size;
} plain;

static mlp_status plain_allreduce(double *v, size_t n, void *user)
{
    plain *p = user;
    const double t0 = MPI_Wtime();
    if (p->size > 1 &&
        MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, p->comm) != MPI_SUCCESS)
        return MLP_ERR_IO;
    p->seconds += MPI_Wtime() - t0;
    p->bytes += p->size > 1 ? 2.0 * (p->size - 1) / p->size * (double)n * sizeof(double) : 0;
    return MLP_OK;
}

int main(int argc, char **argv)
{
    int level = 0, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &level);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    size_t steps = 8, batch = 512;
    const char *which = "mnist,wide";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--steps") == 0) steps = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0) batch = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--workloads") == 0) which = argv[i + 1];
    }
    mlp_mpi *ctx;
    if (mlp_mpi_create(&ctx, MPI_COMM_WORLD) != MLP_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    mlp_mpi_set_verify(ctx, 0);
    if (rank == 0)
        printf("reducer,workload,ranks,batch,params,step_ms,compute_ms,comm_ms,bytes_per_step\n");
    for (size_t wi = 0; wi < sizeof workloads / sizeof workloads[0]; wi++) {
        const workload *w = &workloads[wi];
        if (!listed(which, w->name)) continue;
        mlp_layer_spec spec[4];
        for (size_t l = 0; l < w->n_layers; l++)
            spec[l] = (mlp_layer_spec)MLP_LAYER(w->sizes[l],
                                                l + 1 < w->n_layers ? w->hidden : MLP_ACT_IDENTITY, 1);
        const size_t k = w->sizes[w->n_layers - 1], n = steps * batch;
        double *x = malloc(n * w->n_inputs * sizeof *x), *y = malloc(n * k * sizeof *y);
        uint64_t z = 1;
        for (size_t i = 0; i < n * w->n_inputs; i++) {
            z = z * 6364136223846793005ull + 1442695040888963407ull;
            x[i] = (double)(z >> 11) * 0x1.0p-53;
        }
        for (size_t i = 0; i < n * k; i++) y[i] = (double)(i % 7) / 7.0;
        for (int reducer = 0; reducer < 3; reducer++) {
            /* 2: the fixed order, overlapped with the backward pass (a bucket per layer) */
            if (reducer == 2 && mlp_mpi_set_overlap(ctx, 1, 0) != MLP_OK) continue;
            mlp_net *net;
            mlp_trainer *tr;
            mlp_optimizer o;
            mlp_optimizer_init(&o, sizeof o, MLP_OPT_SGD);
            o.learning_rate = 1e-4;
            if (mlp_net_create(&net, w->n_inputs, spec, w->n_layers) != MLP_OK ||
                mlp_net_init(net, MLP_INIT_XAVIER, 1) != MLP_OK ||
                mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, batch) != MLP_OK)
                MPI_Abort(MPI_COMM_WORLD, 1);
            mlp_fit_options f;
            mlp_fit_options_init(&f, sizeof f);
            f.batch_size = batch;
            f.shuffle = 0;
            f.shard_local = 1; /* each rank its own block of the rows */
            const size_t mine = n / (size_t)size, at = (size_t)rank * mine;
            const mlp_dataset d = MLP_DATASET(x + at * w->n_inputs, w->n_inputs, y + at * k, k, mine);
            plain p = {MPI_COMM_WORLD, 0, 0, size};
            mlp_reducer red = {.struct_size = sizeof red};
            mlp_mpi_reducer(ctx, &red);
            if (reducer == 1) {
                red.allreduce = plain_allreduce;
                red.user_data = &p;
            }
            f.reducer = &red;
            /* one epoch to warm up (allocations, pages, the MPI connections) */
            f.epochs = 1;
            if (mlp_trainer_fit(tr, NULL, &d, &f) != MLP_OK) MPI_Abort(MPI_COMM_WORLD, 1);
            mlp_mpi_reset_stats(ctx);
            p.seconds = p.bytes = 0;
            f.epochs = 2;
            MPI_Barrier(MPI_COMM_WORLD);
            const double t0 = MPI_Wtime();
            if (mlp_trainer_fit(tr, NULL, &d, &f) != MLP_OK) MPI_Abort(MPI_COMM_WORLD, 1);
            const double total = MPI_Wtime() - t0;
            mlp_mpi_stats st = {.struct_size = sizeof st};
            mlp_mpi_get_stats(ctx, &st);
            double comm = reducer != 1 ? st.seconds : p.seconds; /* the exposed part */
            double bytes = reducer != 1 ? st.bytes : p.bytes;
            /* the slowest rank's split, as the step waits for it */
            double slow[2] = {total, comm}, most[2];
            MPI_Reduce(slow, most, 2, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
            const double nsteps = 2.0 * (double)steps;
            if (rank == 0)
                printf("%s,%s,%d,%zu,%zu,%.4f,%.4f,%.4f,%.0f\n",
                       reducer == 0 ? "fixed_order" : reducer == 1 ? "mpi_allreduce" : "overlap",
                       w->name, size, batch,
                       mlp_net_n_params(net), 1e3 * most[0] / nsteps,
                       1e3 * (most[0] - most[1]) / nsteps, 1e3 * most[1] / nsteps,
                       bytes / nsteps);
            fflush(stdout);
            mlp_trainer_free(tr);
            mlp_net_free(net);
            mlp_mpi_set_overlap(ctx, 0, 0);
        }
        free(x);
        free(y);
    }
    mlp_mpi_free(ctx);
    MPI_Finalize();
    return 0;
}
