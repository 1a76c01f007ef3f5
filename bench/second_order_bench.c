/* Time per iteration of the second-order optimizers against a first-order one.
 *
 * Usage: mlp_bench_second_order [--params 100,1000,5000] [--rows N] [--min-time S]
 *                               [--threads N] [--methods adam,lbfgs,lm]
 *
 * Each network is 10 inputs, one tanh hidden layer sized for about the requested
 * parameter count, one linear output; the data are N rows (default 1000) of
 * seeded uniform inputs and targets, MSE. For each, the time of one full-batch
 * iteration of L-BFGS (its line search included), of Levenberg-Marquardt (Jacobian,
 * JᵀJ, Cholesky, and the trial steps it takes), and of one full-batch Adam step
 * (a forward, a backward and an update over the N rows: the unit first-order
 * methods pay per epoch), each timed over fits of ten iterations (two for LM past
 * 2,000 parameters). CSV on stdout:
 * method,params,rows,threads,ms_per_iteration,ratio_to_adam. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>

#include <mlp.h>

#include "bench_common.h"

typedef struct ctx {
    mlp_trainer *tr;
    const mlp_dataset *data;
    mlp_net *net;
    const double *start;
    size_t np, iterations, per_call;
} ctx;

/* per_call iterations by mlp_trainer_fit (full batch, as a user runs them: L-BFGS
 * starts each iteration from the values its last line search ended with), from the
 * same start every time; iterations counts what ran. */
static void fit_some(void *p)
{
    ctx *c = p;
    memcpy(mlp_net_params(c->net), c->start, c->np * sizeof(double));
    mlp_trainer_reset(c->tr);
    mlp_fit_options f;
    mlp_fit_options_init(&f, sizeof f);
    f.epochs = c->per_call;
    f.batch_size = 0;
    mlp_fit_result r;
    mlp_fit_result_init(&r, sizeof r);
    if (mlp_trainer_fit(c->tr, &r, c->data, &f) != MLP_OK) {
        fprintf(stderr, "mlp_bench_second_order: %s\n", mlp_error_detail());
        exit(1);
    }
    c->iterations += r.epochs_run;
}

static double uniform(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

int main(int argc, char **argv)
{
    const char *params = "100,1000,5000";
    size_t rows = 1000;
    double min_time = 0.5;
    int threads = 0;
    const char *methods = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--params") && i + 1 < argc) params = argv[++i];
        else if (!strcmp(argv[i], "--rows") && i + 1 < argc) rows = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--methods") && i + 1 < argc) methods = argv[++i];
        else {
            fprintf(stderr, "usage: mlp_bench_second_order [--params LIST] [--rows N] "
                            "[--min-time S] [--threads N] [--methods LIST]\n");
            return 2;
        }
    }
    enum { IN = 10 };
    double *x = malloc(rows * IN * sizeof *x), *y = malloc(rows * sizeof *y);
    uint64_t s = 1;
    for (size_t i = 0; i < rows * IN; i++) x[i] = uniform(&s);
    for (size_t i = 0; i < rows; i++) y[i] = uniform(&s);
    const mlp_dataset data = MLP_DATASET(x, IN, y, 1, rows);
    printf("method,params,rows,threads,ms_per_iteration,ratio_to_adam\n");
    for (const char *p = params; *p != '\0';) {
        const size_t want = (size_t)atol(p);
        /* hidden h: IN·h + h + h + 1 = (IN + 2)·h + 1 parameters */
        const size_t h = want > IN + 3 ? (want - 1) / (IN + 2) : 1;
        const mlp_layer_spec spec[2] = {MLP_LAYER(h, MLP_ACT_TANH, 1),
                                        MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
        const mlp_optimizer_kind kinds[3] = {MLP_OPT_ADAM, MLP_OPT_LBFGS, MLP_OPT_LM};
        double adam = 0;
        for (int k = 0; k < 3; k++) {
            if (k > 0 && !listed(methods, mlp_optimizer_name(kinds[k]))) continue;
            mlp_net *net;
            if (mlp_net_create(&net, IN, spec, 2) != MLP_OK || mlp_net_init(net, MLP_INIT_XAVIER, 3) != MLP_OK)
                return 1;
            const size_t np = mlp_net_n_params(net);
            double *start = malloc(np * sizeof *start);
            memcpy(start, mlp_net_params(net), np * sizeof *start);
            mlp_optimizer o;
            mlp_optimizer_init(&o, sizeof o, kinds[k]);
            o.tolerance_change = o.tolerance_grad = 0;
            mlp_trainer *tr;
            if (mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, rows) != MLP_OK) {
                fprintf(stderr, "mlp_bench_second_order: %s\n", mlp_error_detail());
                return 1;
            }
            /* ten iterations a call; two for LM past 2000 parameters (seconds each) */
            const size_t per_call = kinds[k] == MLP_OPT_LM && np > 2000 ? 2 : 10;
            ctx c = {tr, &data, net, start, np, 0, per_call};
            fit_some(&c);
            if (c.iterations != per_call) { /* converged: not a time per iteration */
                fprintf(stderr, "mlp_bench_second_order: %s stopped after %zu iterations\n",
                        mlp_optimizer_name(kinds[k]), c.iterations);
                return 1;
            }
            const double t = time_call(fit_some, &c, min_time, 600.0) / (double)per_call;
            if (k == 0) adam = t;
            printf("%s,%zu,%zu,%d,%.4f,%.2f\n", mlp_optimizer_name(kinds[k]), np, rows, threads,
                   1e3 * fabs(t), fabs(t) / adam);
            fflush(stdout);
            mlp_trainer_free(tr);
            mlp_net_free(net);
            free(start);
        }
        p = strchr(p, ',');
        if (p == NULL) break;
        p++;
    }
    free(x);
    free(y);
    return 0;
}
