/*
 * Classification: two interleaved spirals, a softmax output and categorical
 * cross-entropy, Adam in shuffled mini-batches, a validation split with early
 * stopping, and accuracy measured on a fresh test set.
 *
 * Usage: classify [SEED]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mlp.h>

static const double pi = 3.14159265358979323846;

static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "classify: %s: %s (%s)\n", what, mlp_strerror(s), mlp_error_detail());
        exit(1);
    }
}

/* A small seeded generator, so the data are the same on every run. */
static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* n points (x, y) of two spirals, one and a half turns each, in shuffled order;
 * labels one-hot in t (n, 2). */
static void spirals(double *x, double *t, size_t n, uint64_t *rng)
{
    size_t *label = malloc(n * sizeof *label);
    for (size_t i = 0; i < n; i++) {
        const size_t c = i % 2;
        const double r = uniform(rng);
        const double theta = 3.0 * pi * r + (double)c * pi + 0.15 * (uniform(rng) - 0.5);
        x[2 * i] = 3.0 * r * cos(theta); /* radius up to 3: features of order 1 */
        x[2 * i + 1] = 3.0 * r * sin(theta);
        label[i] = c;
    }
    for (size_t i = n - 1; i > 0; i--) { /* shuffle, so a split takes both classes */
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

static int report(const mlp_epoch_report *r, void *user)
{
    (void)user;
    if (r->epoch == 1 || r->epoch % 100 == 0)
        printf("epoch %3zu  loss %.4f  accuracy %5.1f%%  validation loss %.4f  accuracy %5.1f%%\n",
               r->epoch, r->loss, 100 * r->metric, r->val_loss, 100 * r->val_metric);
    return 0;
}

int main(int argc, char **argv)
{
    const unsigned long long seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    enum { N = 1000, N_TEST = 1000 };
    static double x[N * 2], t[N * 2], xt[N_TEST * 2], tt[N_TEST * 2], p[N_TEST * 2];
    uint64_t rng = seed;
    spirals(x, t, N, &rng);
    spirals(xt, tt, N_TEST, &rng);

    const mlp_layer_spec layers[3] = {MLP_LAYER(32, MLP_ACT_TANH, 1),
                                      MLP_LAYER(32, MLP_ACT_TANH, 1),
                                      MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    check(mlp_net_create(&net, 2, layers, 3), "mlp_net_create");
    check(mlp_net_init(net, MLP_INIT_XAVIER, seed), "mlp_net_init");

    mlp_optimizer opt;
    check(mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_ADAM), "mlp_optimizer_init");
    opt.learning_rate = 0.01;
    mlp_trainer *trainer;
    check(mlp_trainer_create(&trainer, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &opt, 32),
          "mlp_trainer_create");

    mlp_fit_options fit;
    check(mlp_fit_options_init(&fit, sizeof fit), "mlp_fit_options_init");
    fit.epochs = 1000;
    fit.batch_size = 32;
    fit.seed = seed;
    fit.validation_fraction = 0.2; /* 200 rows drawn from the seed, 100 of each class */
    fit.patience = 100;            /* stop when validation loss stalls; keep the best */
    fit.callback = report;
    const mlp_dataset train = MLP_DATASET(x, 2, t, 2, N); /* 2 inputs, one-hot targets */
    mlp_fit_result res;
    check(mlp_fit_result_init(&res, sizeof res), "mlp_fit_result_init");
    check(mlp_trainer_fit(trainer, &res, &train, &fit), "mlp_trainer_fit");
    printf("\n%s after %zu epochs; best validation loss %.4f at epoch %zu\n",
           res.stop == MLP_STOP_PATIENCE ? "stopped early" : "finished", res.epochs_run,
           res.best_loss, res.best_epoch);

    mlp_workspace *ws;
    double acc;
    check(mlp_workspace_create(&ws, net, N_TEST), "mlp_workspace_create");
    check(mlp_net_predict(net, ws, p, xt, N_TEST), "mlp_net_predict");
    check(mlp_accuracy(&acc, p, tt, N_TEST, 2), "mlp_accuracy");
    printf("test accuracy on %d new points: %.1f%%\n", N_TEST, 100 * acc);

    mlp_workspace_free(ws);
    mlp_trainer_free(trainer);
    mlp_net_free(net);
    return acc > 0.9 ? 0 : 1;
}
