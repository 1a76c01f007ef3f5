/*
 * Small data: a regression on 203 rows, trained three ways from the same start.
 * Adam in mini-batches, L-BFGS and Levenberg-Marquardt on the full batch; each with
 * the same validation split and early stopping, each scored on the same held-out
 * test rows. Prints a table; with a second argument, writes the loss curves for
 * examples/small_data.gp to plot.
 *
 * The data: US macroeconomic series 1959Q1-2009Q3 (examples/data/macrodata.csv, as
 * statsmodels ships it; public domain, compiled from FRED and the Bureau of Labor
 * Statistics). The target is real private investment (realinv), the inputs the other
 * eleven series (GDP, consumption, government spending, disposable income, CPI, M1,
 * the T-bill rate, unemployment, population, inflation, the real interest rate).
 *
 * Usage: small_data [CSV [CURVES]]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mlp.h>

enum { COLUMNS = 14, TARGET = 4, INPUTS = 11, MAX_ROWS = 1000, TEST_ROWS = 53, HIDDEN = 8 };

static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "small_data: %s: %s (%s)\n", what, mlp_strerror(s), mlp_error_detail());
        exit(1);
    }
}

/* The CSV's rows: a header line, then COLUMNS numbers per line. */
static size_t read_csv(const char *path, double *rows)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    char line[1024];
    size_t n = 0;
    if (fgets(line, sizeof line, f) == NULL) exit(1); /* the header */
    while (n < MAX_ROWS && fgets(line, sizeof line, f) != NULL) {
        char *p = line;
        for (int c = 0; c < COLUMNS; c++) {
            char *end;
            rows[n * COLUMNS + c] = strtod(p, &end);
            if (end == p || (*end != ',' && c + 1 < COLUMNS)) {
                fprintf(stderr, "small_data: %s: row %zu, column %d is not a number\n", path,
                        n + 2, c + 1);
                exit(1);
            }
            p = end + 1;
        }
        n++;
    }
    fclose(f);
    return n;
}

static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* The network's MSE on a dataset. */
static double mse_on(const mlp_net *net, const mlp_dataset *d)
{
    mlp_workspace *ws;
    check(mlp_workspace_create(&ws, net, d->n), "mlp_workspace_create");
    double *pred = malloc(d->n * sizeof *pred), mse;
    check(mlp_net_predict(net, ws, pred, d->x, d->n), "mlp_net_predict");
    check(mlp_loss_mse(&mse, pred, d->y, d->n), "mlp_loss_mse");
    free(pred);
    mlp_workspace_free(ws);
    return mse;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct method {
    const char *label;
    mlp_optimizer_kind kind;
    double learning_rate, weight_decay;
    size_t batch_size, epochs, patience;
} method;

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/data/macrodata.csv";
    static double rows[MAX_ROWS * COLUMNS];
    const size_t n = read_csv(path, rows);
    if (n <= TEST_ROWS + 20) {
        fprintf(stderr, "small_data: %s: %zu rows are too few\n", path, n);
        return 1;
    }

    /* inputs: every column but year, quarter and the target; rows in a seeded order */
    const size_t n_train = n - TEST_ROWS;
    double *x = malloc(n * INPUTS * sizeof *x), *y = malloc(n * sizeof *y);
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
            if (col != TARGET) x[i * INPUTS + c++] = r[col];
        y[i] = r[TARGET];
    }
    /* standardized with the training rows' mean and deviation: the test MSE is then a
     * fraction of the target's variance (1 - R² on the training scale) */
    for (size_t c = 0; c <= INPUTS; c++) {
        double *v = c < INPUTS ? x + c : y;
        const size_t stride = c < INPUTS ? INPUTS : 1;
        double mean = 0, var = 0;
        for (size_t i = 0; i < n_train; i++) mean += v[i * stride];
        mean /= (double)n_train;
        for (size_t i = 0; i < n_train; i++) var += (v[i * stride] - mean) * (v[i * stride] - mean);
        const double sd = sqrt(var / (double)(n_train - 1));
        for (size_t i = 0; i < n; i++) v[i * stride] = (v[i * stride] - mean) / sd;
    }
    const mlp_dataset train = MLP_DATASET(x, INPUTS, y, 1, n_train);
    const mlp_dataset test = MLP_DATASET(x + n_train * INPUTS, INPUTS, y + n_train, 1, TEST_ROWS);
    /* the rows are in a seeded order already: the last fifth of the training rows
     * validates, the rest trains */
    const size_t n_val = n_train / 5, n_fit = n_train - n_val;
    const mlp_dataset fit_rows = MLP_DATASET(x, INPUTS, y, 1, n_fit);
    const mlp_dataset val_rows = MLP_DATASET(x + n_fit * INPUTS, INPUTS, y + n_fit, 1, n_val);

    const method methods[3] = {
        {"Adam, batches of 16", MLP_OPT_ADAM, 0.003, 0, 16, 5000, 100},
        {"L-BFGS, full batch", MLP_OPT_LBFGS, 0, 0, 0, 2000, 30},
        {"Levenberg-Marquardt", MLP_OPT_LM, 0, 0, 0, 500, 10},
    };
    FILE *curves = argc > 2 ? fopen(argv[2], "w") : NULL;
    if (argc > 2 && curves == NULL) {
        perror(argv[2]);
        return 1;
    }
    printf("%zu rows: %zu to train (the last 20 %% of them to validate), %d to test\n", n,
           n_train, TEST_ROWS);
    printf("network %d-%d-1 (tanh), MSE on the standardized target\n\n", INPUTS, HIDDEN);
    printf("| method | iterations | best | train MSE | test MSE | wall time |\n");
    printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    /* the linear baseline: least squares on the training rows */
    {
        double coef[INPUTS], intercept, *pred = malloc(TEST_ROWS * sizeof *pred);
        check(mlp_linreg(coef, &intercept, x, y, n_train, INPUTS), "mlp_linreg");
        for (size_t i = 0; i < TEST_ROWS; i++) {
            pred[i] = intercept;
            for (size_t c = 0; c < INPUTS; c++) pred[i] += coef[c] * test.x[i * INPUTS + c];
        }
        double lin_test;
        check(mlp_loss_mse(&lin_test, pred, test.y, TEST_ROWS), "mlp_loss_mse");
        printf("| linear least squares (mlp_linreg) | | | | %.4f | |\n", lin_test);
        free(pred);
    }
    double test_mse[3];
    for (int m = 0; m < 3; m++) {
        const method *me = &methods[m];
        const mlp_layer_spec spec[2] = {MLP_LAYER(HIDDEN, MLP_ACT_TANH, 1),
                                        MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
        mlp_net *net;
        check(mlp_net_create(&net, INPUTS, spec, 2), "mlp_net_create");
        check(mlp_net_init(net, MLP_INIT_XAVIER, 1), "mlp_net_init"); /* the same start */
        mlp_optimizer opt;
        check(mlp_optimizer_init(&opt, sizeof opt, me->kind), "mlp_optimizer_init");
        if (me->learning_rate > 0) opt.learning_rate = me->learning_rate;
        opt.weight_decay = me->weight_decay;
        mlp_trainer *tr;
        check(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &opt, n_train), "mlp_trainer_create");
        mlp_fit_options fit;
        check(mlp_fit_options_init(&fit, sizeof fit), "mlp_fit_options_init");
        fit.epochs = me->epochs;
        fit.batch_size = me->batch_size;
        fit.validation = &val_rows;
        fit.patience = me->patience;
        mlp_fit_result res;
        check(mlp_fit_result_init(&res, sizeof res), "mlp_fit_result_init");
        const double t0 = seconds();
        check(mlp_trainer_fit(tr, &res, &fit_rows, &fit), "mlp_trainer_fit");
        const double wall = seconds() - t0;
        const double train_mse = mse_on(net, &train);
        test_mse[m] = mse_on(net, &test);
        printf("| %s | %zu | %zu | %.4f | %.4f | %.0f ms |\n", me->label, res.epochs_run,
               res.best_epoch, train_mse, test_mse[m], 1e3 * wall);
        if (curves != NULL) {
            fprintf(curves, "# %s: iteration, training loss, validation loss\n", me->label);
            for (size_t e = 0; e < res.epochs_run; e++)
                fprintf(curves, "%zu %.10g %.10g\n", e + 1, res.loss[e], res.val_loss[e]);
            fprintf(curves, "\n\n");
        }
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    if (curves != NULL) fclose(curves);
    free(order);
    free(x);
    free(y);
    /* what the example promises: every method explains most of the test variance */
    for (int m = 0; m < 3; m++)
        if (!(test_mse[m] < 0.2)) {
            fprintf(stderr, "small_data: %s: test MSE %g\n", methods[m].label, test_mse[m]);
            return 1;
        }
    return 0;
}
