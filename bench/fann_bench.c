/*
 * FANN (double variant) on bench/run's workloads, for comparison: forward is
 * fann_run once per observation, train one fann_train_epoch of FANN_TRAIN_BATCH
 * over the batch (forward, backward and one update). FANN 2.2 has no ReLU:
 * relu layers use FANN_LINEAR_PIECE, the closest in cost; tanh layers
 * FANN_SIGMOID_SYMMETRIC; the output layer FANN_LINEAR.
 *
 * Output: CSV rows as mlp_bench's, impl "fann". Usage: as mlp_bench's, plus
 * --max-call S (skip cells where one call takes longer) and --serve (cells on
 * request, for bench/interleave.py).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <doublefann.h>

#include "bench_common.h"

typedef struct workload {
    const char *name;
    unsigned n_layers; /* including the input layer */
    unsigned sizes[5];
    enum fann_activationfunc_enum hidden;
} workload;

static const workload workloads[] = {
    {"tiny", 3, {2, 2, 1}, FANN_LINEAR_PIECE},
    {"mnist", 4, {784, 256, 128, 10}, FANN_LINEAR_PIECE},
    {"wide", 4, {1024, 1024, 1024, 1024}, FANN_SIGMOID_SYMMETRIC},
};

typedef struct cell {
    struct fann *ann;
    struct fann_train_data *data;
    unsigned batch;
} cell;

static void run_forward(void *p)
{
    cell *c = p;
    for (unsigned r = 0; r < c->batch; r++) fann_run(c->ann, c->data->input[r]);
}

static void run_train(void *p)
{
    cell *c = p;
    fann_train_epoch(c->ann, c->data);
}

static void cell_setup(cell *c, const workload *w, unsigned batch)
{
    c->ann = fann_create_standard_array(w->n_layers, w->sizes);
    c->batch = batch;
    fann_set_activation_function_hidden(c->ann, w->hidden);
    fann_set_activation_function_output(c->ann, FANN_LINEAR);
    fann_set_training_algorithm(c->ann, FANN_TRAIN_BATCH);
    fann_set_learning_rate(c->ann, 1e-6f);
    fann_randomize_weights(c->ann, -0.1, 0.1);
    c->data = fann_create_train(batch, w->sizes[0], w->sizes[w->n_layers - 1]);
    srand(42);
    for (unsigned r = 0; r < batch; r++) {
        for (unsigned k = 0; k < w->sizes[0]; k++)
            c->data->input[r][k] = 2.0 * rand() / RAND_MAX - 1.0;
        for (unsigned k = 0; k < w->sizes[w->n_layers - 1]; k++)
            c->data->output[r][k] = 2.0 * rand() / RAND_MAX - 1.0;
    }
}

static void cell_free(cell *c)
{
    fann_destroy_train(c->data);
    fann_destroy(c->ann);
}

/* --serve: as mlp_bench's; answers "fann=S", or "skip" when one call takes longer
 * than --max-call (that cell is then skipped for good). */
static int serve(double max_call)
{
    char line[256], wname[64], op[16], skipped[64][96];
    size_t n_skipped = 0;
    cell c;
    const workload *have = NULL;
    unsigned have_batch = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
        unsigned batch;
        double seconds;
        if (sscanf(line, "%63s %15s %u %lf", wname, op, &batch, &seconds) != 4) break;
        const workload *w = NULL;
        for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
            if (!strcmp(workloads[i].name, wname)) w = &workloads[i];
        const int train = !strcmp(op, "train");
        char key[96];
        snprintf(key, sizeof key, "%s %s %u", wname, op, batch);
        int skip = w == NULL || batch == 0 || (!train && strcmp(op, "forward"));
        for (size_t i = 0; i < n_skipped && !skip; i++) skip = !strcmp(skipped[i], key);
        double t = -1;
        if (!skip) {
            if (w != have || batch != have_batch) {
                if (have != NULL) cell_free(&c);
                cell_setup(&c, w, batch);
                have = w;
                have_batch = batch;
            }
            t = time_call(train ? run_train : run_forward, &c, seconds, max_call);
            if (t < 0 && n_skipped < 64) snprintf(skipped[n_skipped++], sizeof skipped[0], "%s", key);
        }
        if (t < 0) printf("skip\n");
        else printf("fann=%.9g\n", t);
        fflush(stdout);
    }
    if (have != NULL) cell_free(&c);
    return 0;
}

int main(int argc, char **argv)
{
    double min_time = 0.2, max_call = 2.0;
    const char *wl = NULL, *ops = NULL, *batches = "1,8,64,512,4096";
    int threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--max-call") && i + 1 < argc) max_call = atof(argv[++i]);
        else if (!strcmp(argv[i], "--workloads") && i + 1 < argc) wl = argv[++i];
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc) ops = argv[++i];
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc) batches = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--square") && i + 1 < argc) i++; /* mlp_bench's, ignored */
        else if (!strcmp(argv[i], "--serve")) return serve(max_call);
        else {
            fprintf(stderr, "fann_bench: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    printf("impl,workload,op,batch,threads,ns_per_sample,gflops\n");
    for (size_t wi = 0; wi < sizeof workloads / sizeof workloads[0]; wi++) {
        const workload *w = &workloads[wi];
        if (!listed(wl, w->name)) continue;
        double macs = 0;
        for (unsigned l = 1; l < w->n_layers; l++) macs += (double)w->sizes[l - 1] * w->sizes[l];
        char list[256];
        snprintf(list, sizeof list, "%s%s", batches, !strcmp(w->name, "tiny") ? ",65536" : "");
        for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
            const unsigned batch = (unsigned)atol(tok);
            if (batch == 0) continue;
            cell c;
            cell_setup(&c, w, batch);
            for (int train = 0; train <= 1; train++) {
                const char *op = train ? "train" : "forward";
                if (!listed(ops, op)) continue;
                fprintf(stderr, "  fann  %-5s %-7s batch %-6u\n", w->name, op, batch);
                const double t = time_call(train ? run_train : run_forward, &c, min_time, max_call);
                if (t < 0) {
                    fprintf(stderr, "  fann  %s %s batch %u: one call takes %.1f s, skipped\n",
                            w->name, op, batch, -t);
                    continue;
                }
                printf("fann,%s,%s,%u,%d,%.3f,%.3f\n", w->name, op, batch, threads,
                       t / batch * 1e9, (train ? 6.0 : 2.0) * macs * batch / t / 1e9);
                fflush(stdout);
            }
            cell_free(&c);
        }
    }
    return 0;
}
