/* What the layer kinds beyond dense cost per row: for each workload of bench/run (mnist,
 * wide), the network as bench/run times it against the same network with a layer
 * normalization after each hidden layer (PyTorch's Linear, LayerNorm, activation:
 * the hidden layers become linear, the normalization applies their activation), and
 * with a dropout of 0.2 after each hidden layer, in turns, round after round; and,
 * beside them, the memory's speed on the values the added layers read and write
 * (memcpy of as many bytes, the same rounds).
 *
 * Usage: mlp_layer_cost [--batch N] [--rounds R] [--min-time S]
 * Output: one line per workload and op: ns per row without and with, the difference
 * (the normalizations' cost), and that difference against copying their bytes; then
 * the layer alone (a network of one layer normalization) at each width, predicting,
 * against copying its rows. The difference of two whole networks is as noisy as they
 * are (a few percent of a mnist row); the layer alone is the sharper figure. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

#include "bench_common.h"
#include "workloads.h"

typedef struct cell {
    mlp_net *net;
    mlp_workspace *ws;
    mlp_trainer *tr;
    const double *x, *t;
    double *y;
    size_t batch;
} cell;

typedef struct copy_job {
    double *dst;
    const double *src;
    size_t n; /* doubles per call */
} copy_job;

static void run_forward(void *p)
{
    cell *c = p;
    if (mlp_net_predict(c->net, c->ws, c->y, c->x, c->batch) != MLP_OK) abort();
}

static void run_train(void *p)
{
    cell *c = p;
    const mlp_dataset d = MLP_DATASET(c->x, mlp_net_n_inputs(c->net), c->t,
                                      mlp_net_n_outputs(c->net), c->batch);
    if (mlp_trainer_step(c->tr, NULL, &d) != MLP_OK) abort();
}

static void run_copy(void *p)
{
    copy_job *j = p;
    memcpy(j->dst, j->src, j->n * sizeof *j->dst);
    __asm__ volatile("" ::: "memory");
}

/* kind: 0 the network as bench/run times it; MLP_LAYER_LAYERNORM (MLP_LAYER_BATCHNORM),
 * a layer (batch) normalization after each hidden layer (which then applies the
 * activation); MLP_LAYER_DROPOUT, a dropout of 0.2 after each hidden layer's
 * activation. */
static void setup(cell *c, const workload *w, int kind, size_t batch, const double *x,
                  const double *t)
{
    mlp_layer_spec spec[8];
    size_t n = 0;
    for (size_t l = 0; l < w->n_layers; l++) {
        const int hidden = l + 1 < w->n_layers;
        if (hidden && (kind == MLP_LAYER_LAYERNORM || kind == MLP_LAYER_BATCHNORM)) {
            spec[n++] = (mlp_layer_spec)MLP_LAYER(w->sizes[l], MLP_ACT_IDENTITY, 1);
            spec[n++] = kind == MLP_LAYER_LAYERNORM ? (mlp_layer_spec)MLP_LAYERNORM(w->hidden)
                                                    : (mlp_layer_spec)MLP_BATCHNORM(w->hidden);
        } else {
            spec[n++] = (mlp_layer_spec)MLP_LAYER(w->sizes[l], hidden ? w->hidden : MLP_ACT_IDENTITY, 1);
            if (hidden && kind == MLP_LAYER_DROPOUT) spec[n++] = (mlp_layer_spec)MLP_DROPOUT(0.2);
        }
    }
    mlp_optimizer sgd;
    mlp_optimizer_init(&sgd, sizeof sgd, MLP_OPT_SGD);
    sgd.learning_rate = 1e-6;
    if (mlp_net_create(&c->net, w->n_inputs, spec, n) != MLP_OK ||
        mlp_net_init(c->net, MLP_INIT_XAVIER, 1) != MLP_OK ||
        mlp_workspace_create(&c->ws, c->net, batch) != MLP_OK ||
        mlp_trainer_create(&c->tr, c->net, MLP_LOSS_MSE, &sgd, batch) != MLP_OK) {
        fprintf(stderr, "mlp_layer_cost: %s\n", mlp_error_detail());
        exit(1);
    }
    c->x = x;
    c->t = t;
    c->batch = batch;
    c->y = malloc(batch * mlp_net_n_outputs(c->net) * sizeof *c->y);
    if (c->y == NULL) exit(1);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

int main(int argc, char **argv)
{
    size_t batch = 512;
    int rounds = 5;
    double min_time = 0.2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: mlp_layer_cost [--batch N] [--rounds R] [--min-time S]\n");
            return 2;
        }
    }
    if (rounds < 1 || rounds > 99 || batch == 0) return 2;
    printf("workload,op,batch,kind,ns_per_row_dense,ns_per_row_with,kind_ns_per_row,"
           "copy_ns_per_row,kind_over_copy\n");
    for (size_t wi = 1; wi < sizeof workloads / sizeof workloads[0]; wi++) {
        const workload *w = &workloads[wi];
        double *x = malloc(batch * w->n_inputs * sizeof *x), *t = malloc(batch * 1024 * sizeof *t);
        if (x == NULL || t == NULL) return 1;
        uint64_t st = 7;
        for (size_t i = 0; i < batch * w->n_inputs; i++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            x[i] = (double)(st >> 11) * 0x1.0p-52 - 1.0;
        }
        for (size_t i = 0; i < batch * 1024; i++) t[i] = 0.0;
        cell cells[4];
        const int kinds[4] = {0, MLP_LAYER_LAYERNORM, MLP_LAYER_DROPOUT, MLP_LAYER_BATCHNORM};
        const char *names[4] = {"dense", "layernorm", "dropout", "batchnorm"};
        for (int k = 0; k < 4; k++) setup(&cells[k], w, kinds[k], batch, x, t);
        /* the values the added layers touch per row, m in all: a layer normalization
         * predicting reads its input and writes its output (2m), training also keeps z
         * and x-hat and its backward reads dz, z, x-hat and writes two (10m); a dropout
         * predicting copies (2m), training writes its scales too and its backward reads
         * d and them and writes one (6m); a batch normalization as a layer
         * normalization (2m, 10m) */
        size_t m = 0;
        for (size_t l = 0; l + 1 < w->n_layers; l++) m += w->sizes[l];
        for (int op = 0; op < 2; op++) {
            for (int k = 1; k < 4; k++) {
                const size_t per_row = op == 0 ? 2 * m : k == 2 ? 6 * m : 10 * m; /* doubles */
                copy_job job = {malloc(batch * per_row / 2 * sizeof(double)),
                                malloc(batch * per_row / 2 * sizeof(double)), batch * per_row / 2};
                if (job.dst == NULL || job.src == NULL) return 1;
                memset((double *)job.src, 0, job.n * sizeof(double));
                double a[99], b[99], d[99], cp[99];
                bench_fn f = op == 0 ? run_forward : run_train;
                for (int r = 0; r < rounds; r++) {
                    a[r] = time_call(f, &cells[0], min_time / rounds, 1e9);
                    b[r] = time_call(f, &cells[k], min_time / rounds, 1e9);
                    d[r] = b[r] - a[r];
                    cp[r] = time_call(run_copy, &job, min_time / rounds, 1e9);
                }
                const double ma = median(a, rounds), mb = median(b, rounds),
                             md = median(d, rounds), mc = median(cp, rounds),
                             per = 1e9 / (double)batch;
                printf("%s,%s,%zu,%s,%.1f,%.1f,%.1f,%.1f,%.2f\n", w->name,
                       op == 0 ? "forward" : "train", batch, names[k],
                       ma * per, mb * per, md * per, mc * per, md / mc);
                free(job.dst);
                free((double *)job.src);
            }
        }
        for (int k = 0; k < 4; k++) {
            mlp_trainer_free(cells[k].tr);
            mlp_workspace_free(cells[k].ws);
            mlp_net_free(cells[k].net);
            free(cells[k].y);
        }
        free(x);
        free(t);
    }
    /* The layer alone, at the widths those networks normalize: a network of one layer
     * (batch) normalization (identity), predicting, against copying each row (the least
     * memory traffic a pass over the rows can have: every value read once and written
     * once). */
    printf("\nkind,width,batch,alone_ns_per_row,copy_ns_per_row,alone_over_copy\n");
    const size_t widths[] = {128, 256, 1024};
    for (int norm = 0; norm < 2; norm++)
        for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
            const size_t m = widths[wi];
            const mlp_layer_spec one = norm == 0 ? (mlp_layer_spec)MLP_LAYERNORM(MLP_ACT_IDENTITY)
                                                 : (mlp_layer_spec)MLP_BATCHNORM(MLP_ACT_IDENTITY);
            cell c = {0};
            double *x = malloc(batch * m * sizeof *x);
            if (x == NULL || mlp_net_create(&c.net, m, &one, 1) != MLP_OK ||
                mlp_workspace_create(&c.ws, c.net, batch) != MLP_OK)
                return 1;
            for (size_t i = 0; i < batch * m; i++) x[i] = (double)(i % 13) - 6.0;
            c.x = x;
            c.batch = batch;
            c.y = malloc(batch * m * sizeof *c.y);
            copy_job job = {c.y, x, batch * m};
            if (c.y == NULL) return 1;
            double a[99], cp[99];
            for (int r = 0; r < rounds; r++) {
                a[r] = time_call(run_forward, &c, min_time / rounds, 1e9);
                cp[r] = time_call(run_copy, &job, min_time / rounds, 1e9);
            }
            const double ma = median(a, rounds), mc = median(cp, rounds), per = 1e9 / (double)batch;
            printf("%s,%zu,%zu,%.1f,%.1f,%.2f\n", norm == 0 ? "layernorm" : "batchnorm", m, batch,
                   ma * per, mc * per, ma / mc);
            mlp_workspace_free(c.ws);
            mlp_net_free(c.net);
            free(c.y);
            free(x);
        }
    return 0;
}
