/* libmlp's side of the small-data comparison with scikit-learn
 * (bench/sklearn_small_data.py drives both and prints the table).
 *
 * Usage: mlp_small_data_runs MACRODATA_CSV OUT_DIR [SEEDS]
 *
 * Two tasks, the data of each written to OUT_DIR so that scikit-learn trains on the
 * very same rows: "macro", US macro data (examples/data/macrodata.csv, as
 * examples/small_data.c prepares it: 150 training rows, 53 test rows, standardized),
 * an 11-8-1 tanh regression; "spirals", the two spirals of examples/classify.c
 * (1000 training points, 1000 test points), a 2-32-32-2 tanh/softmax classifier.
 * Each method runs from SEEDS (default 10) initializations. CSV on stdout:
 * task,method,seed,iterations,test_score,wall_ms (score: MSE for macro, accuracy
 * for spirals). The methods:
 *   lbfgs     L-BFGS, full batch, 200 iterations at most (scikit-learn's max_iter)
 *   lbfgs_es  the same with the last 20 % of the training rows held out, patience 20
 *   lm        (macro) Levenberg-Marquardt, the same held-out rows, patience 10
 *   adam_es   Adam, batches of 16 (macro) or 32, held-out rows, patience 100
 *   adam_time (spirals) Adam for as long as lbfgs took with the same seed
 *   lbfgs50, adam_time50 (spirals) the same pair with L-BFGS stopped at 50 iterations */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mlp.h>

static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "mlp_small_data_runs: %s: %s (%s)\n", what, mlp_strerror(s),
                mlp_error_detail());
        exit(1);
    }
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* ---- the data ---------------------------------------------------------------------- */

enum { COLUMNS = 14, TARGET = 4, M_IN = 11, M_TEST = 53, MAX_ROWS = 1000 };
enum { S_N = 1000, S_TEST = 1000 };

typedef struct task {
    const char *name;
    size_t in, out, n_train, n_test;
    double *x, *y, *xt, *yt;
} task;

static void write_rows(const char *dir, const char *name, const double *x, const double *y,
                       size_t n, size_t in, size_t out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < in; c++) fprintf(f, "%.17g,", x[i * in + c]);
        for (size_t c = 0; c < out; c++) fprintf(f, "%.17g%c", y[i * out + c], c + 1 < out ? ',' : '\n');
    }
    fclose(f);
}

/* examples/small_data.c's preparation, step for step */
static task macro(const char *csv)
{
    static double rows[MAX_ROWS * COLUMNS];
    FILE *f = fopen(csv, "r");
    if (f == NULL) {
        perror(csv);
        exit(1);
    }
    char line[1024];
    size_t n = 0;
    if (fgets(line, sizeof line, f) == NULL) exit(1);
    while (n < MAX_ROWS && fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        for (int c = 0; c < COLUMNS; c++) {
            rows[n * COLUMNS + c] = strtod(p, &p);
            p++;
        }
        n++;
    }
    fclose(f);
    const size_t n_train = n - M_TEST;
    double *x = malloc(n * M_IN * sizeof *x), *y = malloc(n * sizeof *y);
    size_t *order = malloc(n * sizeof *order);
    uint64_t rng = 2009;
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        const size_t j = (size_t)(uniform(&rng) * (double)(i + 1)), k = order[i];
        order[i] = order[j];
        order[j] = k;
    }
    for (size_t i = 0; i < n; i++) {
        const double *r = rows + order[i] * COLUMNS;
        size_t c = 0;
        for (int col = 2; col < COLUMNS; col++)
            if (col != TARGET) x[i * M_IN + c++] = r[col];
        y[i] = r[TARGET];
    }
    for (size_t c = 0; c <= M_IN; c++) {
        double *v = c < M_IN ? x + c : y;
        const size_t stride = c < M_IN ? M_IN : 1;
        double mean = 0, var = 0;
        for (size_t i = 0; i < n_train; i++) mean += v[i * stride];
        mean /= (double)n_train;
        for (size_t i = 0; i < n_train; i++) var += (v[i * stride] - mean) * (v[i * stride] - mean);
        const double sd = sqrt(var / (double)(n_train - 1));
        for (size_t i = 0; i < n; i++) v[i * stride] = (v[i * stride] - mean) / sd;
    }
    free(order);
    return (task){"macro", M_IN, 1, n_train, M_TEST, x, y, x + n_train * M_IN, y + n_train};
}

/* examples/classify.c's spirals */
static void spirals(double *x, double *t, size_t n, uint64_t *rng)
{
    const double pi = 3.14159265358979323846;
    size_t *label = malloc(n * sizeof *label);
    for (size_t i = 0; i < n; i++) {
        const size_t c = i % 2;
        const double r = uniform(rng);
        const double theta = 3.0 * pi * r + (double)c * pi + 0.15 * (uniform(rng) - 0.5);
        x[2 * i] = 3.0 * r * cos(theta);
        x[2 * i + 1] = 3.0 * r * sin(theta);
        label[i] = c;
    }
    for (size_t i = n - 1; i > 0; i--) {
        const size_t j = (size_t)(uniform(rng) * (double)(i + 1));
        const double x0 = x[2 * i], x1 = x[2 * i + 1];
        const size_t l = label[i];
        x[2 * i] = x[2 * j];
        x[2 * i + 1] = x[2 * j + 1];
        label[i] = label[j];
        x[2 * j] = x0;
        x[2 * j + 1] = x1;
        label[j] = l;
    }
    check(mlp_onehot(t, label, n, 2), "mlp_onehot");
    free(label);
}

static task spiral_task(void)
{
    double *x = malloc((S_N + S_TEST) * 2 * sizeof *x), *y = malloc((S_N + S_TEST) * 2 * sizeof *y);
    uint64_t rng = 1;
    spirals(x, y, S_N, &rng);
    spirals(x + S_N * 2, y + S_N * 2, S_TEST, &rng);
    return (task){"spirals", 2, 2, S_N, S_TEST, x, y, x + S_N * 2, y + S_N * 2};
}

/* ---- the runs ---------------------------------------------------------------------- */

typedef struct run {
    const char *name;
    mlp_optimizer_kind kind;
    size_t batch, epochs, patience;
    double validation, lr, time_limit;
} run;

static int stop_at_time(const mlp_epoch_report *r, void *user)
{
    (void)r;
    const double *limit = user; /* [start, seconds] */
    return seconds() - limit[0] >= limit[1];
}

/* Train one network; returns the wall time in seconds, the score in *score. */
static double train(const task *t, const run *r, unsigned long long seed, size_t *iters,
                    double *score)
{
    const int cls = t->out > 1;
    mlp_layer_spec spec[3];
    size_t nl;
    if (cls) {
        spec[0] = (mlp_layer_spec)MLP_LAYER(32, MLP_ACT_TANH, 1);
        spec[1] = (mlp_layer_spec)MLP_LAYER(32, MLP_ACT_TANH, 1);
        spec[2] = (mlp_layer_spec)MLP_LAYER(2, MLP_ACT_SOFTMAX, 1);
        nl = 3;
    } else {
        spec[0] = (mlp_layer_spec)MLP_LAYER(8, MLP_ACT_TANH, 1);
        spec[1] = (mlp_layer_spec)MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
        nl = 2;
    }
    mlp_net *net;
    check(mlp_net_create(&net, t->in, spec, nl), "mlp_net_create");
    check(mlp_net_init(net, MLP_INIT_XAVIER, seed), "mlp_net_init");
    mlp_optimizer o;
    check(mlp_optimizer_init(&o, sizeof o, r->kind), "mlp_optimizer_init");
    if (r->lr > 0) o.learning_rate = r->lr;
    const mlp_loss loss = cls ? MLP_LOSS_CATEGORICAL_CROSSENTROPY : MLP_LOSS_MSE;
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, loss, &o, t->n_train), "mlp_trainer_create");
    mlp_fit_options f;
    check(mlp_fit_options_init(&f, sizeof f), "mlp_fit_options_init");
    f.epochs = r->epochs;
    f.batch_size = r->batch;
    f.seed = seed;
    /* the rows are in a seeded order: the last ones validate, as before 1.5 */
    const size_t n_val = (size_t)((double)t->n_train * r->validation), n_fit = t->n_train - n_val;
    const mlp_dataset val = MLP_DATASET(t->x + n_fit * t->in, t->in, t->y + n_fit * t->out, t->out,
                                        n_val);
    if (n_val > 0) f.validation = &val;
    f.patience = r->patience;
    double limit[2] = {0, r->time_limit};
    if (r->time_limit > 0) {
        f.callback = stop_at_time;
        f.user_data = limit;
    }
    mlp_fit_result res;
    check(mlp_fit_result_init(&res, sizeof res), "mlp_fit_result_init");
    const mlp_dataset d = MLP_DATASET(t->x, t->in, t->y, t->out, n_fit);
    const double t0 = seconds();
    limit[0] = t0;
    check(mlp_trainer_fit(tr, &res, &d, &f), "mlp_trainer_fit");
    const double wall = seconds() - t0;
    *iters = res.epochs_run;
    mlp_workspace *ws;
    check(mlp_workspace_create(&ws, net, t->n_test), "mlp_workspace_create");
    double *p = malloc(t->n_test * t->out * sizeof *p);
    check(mlp_net_predict(net, ws, p, t->xt, t->n_test), "mlp_net_predict");
    if (cls) check(mlp_accuracy(score, p, t->yt, t->n_test, t->out), "mlp_accuracy");
    else check(mlp_loss_mse(score, p, t->yt, t->n_test), "mlp_loss_mse");
    free(p);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return wall;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mlp_small_data_runs MACRODATA_CSV OUT_DIR [SEEDS]\n");
        return 2;
    }
    const unsigned seeds = argc > 3 ? (unsigned)atoi(argv[3]) : 10;
    task tasks[2] = {macro(argv[1]), spiral_task()};
    for (int k = 0; k < 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_train.csv", tasks[k].name);
        write_rows(argv[2], name, tasks[k].x, tasks[k].y, tasks[k].n_train, tasks[k].in, tasks[k].out);
        snprintf(name, sizeof name, "%s_test.csv", tasks[k].name);
        write_rows(argv[2], name, tasks[k].xt, tasks[k].yt, tasks[k].n_test, tasks[k].in, tasks[k].out);
    }
    printf("task,method,seed,iterations,test_score,wall_ms\n");
    const run macro_runs[4] = {
        {"lbfgs", MLP_OPT_LBFGS, 0, 200, 0, 0, 0, 0},
        {"lbfgs_es", MLP_OPT_LBFGS, 0, 2000, 20, 0.2, 0, 0},
        {"lm", MLP_OPT_LM, 0, 500, 10, 0.2, 0, 0},
        {"adam_es", MLP_OPT_ADAM, 16, 5000, 100, 0.2, 0.003, 0},
    };
    const run spiral_runs[4] = {
        {"lbfgs", MLP_OPT_LBFGS, 0, 200, 0, 0, 0, 0},
        {"lbfgs50", MLP_OPT_LBFGS, 0, 50, 0, 0, 0, 0},
        {"lbfgs_es", MLP_OPT_LBFGS, 0, 2000, 20, 0.2, 0, 0},
        {"adam_es", MLP_OPT_ADAM, 32, 1000, 100, 0.2, 0.01, 0},
    };
    for (unsigned s = 1; s <= seeds; s++) {
        size_t it;
        double score;
        for (int r = 0; r < 4; r++) {
            const double w = train(&tasks[0], &macro_runs[r], s, &it, &score);
            printf("macro,%s,%u,%zu,%.6g,%.2f\n", macro_runs[r].name, s, it, score, 1e3 * w);
        }
        double lbfgs_wall[2] = {0, 0};
        for (int r = 0; r < 4; r++) {
            const double w = train(&tasks[1], &spiral_runs[r], s, &it, &score);
            if (r < 2) lbfgs_wall[r] = w;
            printf("spirals,%s,%u,%zu,%.6g,%.2f\n", spiral_runs[r].name, s, it, score, 1e3 * w);
        }
        for (int r = 0; r < 2; r++) { /* Adam for as long as L-BFGS took */
            const run timed = {r == 0 ? "adam_time" : "adam_time50", MLP_OPT_ADAM, 32, 100000, 0,
                               0, 0.01, lbfgs_wall[r]};
            const double w = train(&tasks[1], &timed, s, &it, &score);
            printf("spirals,%s,%u,%zu,%.6g,%.2f\n", timed.name, s, it, score, 1e3 * w);
        }
        fflush(stdout);
    }
    return 0;
}
