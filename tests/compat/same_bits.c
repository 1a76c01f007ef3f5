/* Records of what dense networks compute, written the same way by libmlp 1.4.3 and by
 * this version: one line per result, its count of doubles and a 64-bit FNV-1a hash of
 * their bytes. tests/compat/same-bits-1.4.3 builds 1.4.3 from the repository's history,
 * runs this program against both libraries on the same machine (the bits of a result
 * depend on OpenBLAS's kernel and the vector width: a record written elsewhere proves
 * nothing here) and requires every line to be equal: predictions, gradients, three
 * steps of every optimizer, fits, and a training checkpoint written by 1.4.3 resumed
 * by this version.
 *
 * Usage: same_bits THREADS DIR
 * DIR holds the checkpoints and model files: those found there are loaded (1.4.3's,
 * when its run came first), those missing are written first.
 *
 * Only calls both versions have, with the same meaning for networks without scaling:
 * the dataset macro is the one difference (three arguments in 1.4, five since 1.5). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mlp.h"

#ifdef MLP_DATASET_CLASSES /* 1.5 and later */
#define ROWS(x, in, y, out, n) MLP_DATASET(x, in, y, out, n)
#else
#define ROWS(x, in, y, out, n) MLP_DATASET(x, y, n)
#endif

static uint64_t fnv(const double *v, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < n * sizeof *v; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static const char *net_name;

static void record(const char *what, const double *v, size_t n)
{
    printf("%s %s %zu %016llx\n", net_name, what, n, (unsigned long long)fnv(v, n));
}

static void refused(const char *what, mlp_status s)
{
    /* the status, not the message: messages are allowed to change */
    printf("%s %s refused %d\n", net_name, what, (int)s);
}

static void die(const char *what, mlp_status s)
{
    fprintf(stderr, "same_bits: %s %s: %s (%s)\n", net_name, what, mlp_strerror(s),
            mlp_error_detail());
    exit(1);
}

#define OK(call, what)                                                                            \
    do {                                                                                          \
        mlp_status s_ = (call);                                                                   \
        if (s_ != MLP_OK) die(what, s_);                                                          \
    } while (0)

/* A 64-bit LCG's top bits as a double in [-1, 1): the data and the weights. */
static uint64_t lcg_state;
static double lcg(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg_state >> 11) * 0x1.0p-52 - 1.0;
}

typedef struct spec {
    const char *name;
    size_t in, n_layers;
    mlp_layer_spec layers[4];
    mlp_loss loss;
} spec;

enum { SMALL = 24, BIG = 1500 };

/* Rows for a spec: inputs in [-2, 2), targets as its loss reads them. */
static void make_rows(const spec *sp, size_t k, double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n * sp->in; i++) x[i] = 2.0 * lcg();
    for (size_t r = 0; r < n; r++) {
        double *t = y + r * k;
        if (sp->loss == MLP_LOSS_MSE) {
            for (size_t c = 0; c < k; c++) t[c] = lcg();
        } else if (sp->loss == MLP_LOSS_BINARY_CROSSENTROPY) {
            for (size_t c = 0; c < k; c++) t[c] = lcg() > 0.0 ? 1.0 : 0.0;
        } else {
            for (size_t c = 0; c < k; c++) t[c] = 0.0;
            t[(size_t)((lcg() + 1.0) * 0.5 * (double)k) % k] = 1.0;
        }
    }
}

static void set_weights(mlp_net *net, uint64_t seed)
{
    lcg_state = seed;
    double *p = mlp_net_params(net);
    for (size_t i = 0; i < mlp_net_n_params(net); i++) p[i] = 0.6 * lcg();
}

static mlp_optimizer optimizer(mlp_optimizer_kind kind)
{
    mlp_optimizer o;
    if (mlp_optimizer_init(&o, sizeof o, kind) != MLP_OK) die("optimizer", MLP_ERR_INVALID_ARG);
    if (kind == MLP_OPT_IRPROP_MINUS || kind == MLP_OPT_LBFGS || kind == MLP_OPT_LM)
        o.learning_rate = 0.0; /* no learning rate: the defaults stand */
    else
        o.learning_rate = 0.05;
    o.weight_decay = 1e-3;
    return o;
}

static const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD,          MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV,
                                           MLP_OPT_ADAM,         MLP_OPT_IRPROP_MINUS,
                                           MLP_OPT_LBFGS,        MLP_OPT_LM};
static const char *const kind_names[] = {"sgd", "momentum", "nesterov", "adam",
                                         "irprop-", "lbfgs", "lm"};

static void run(const spec *sp, const char *dir)
{
    net_name = sp->name;
    mlp_net *net = NULL;
    OK(mlp_net_create(&net, sp->in, sp->layers, sp->n_layers), "create");
    const size_t k = mlp_net_n_outputs(net), np = mlp_net_n_params(net), in = sp->in;
    const uint64_t wseed = 0x5eed0000u + (uint64_t)sp->in * 131u + k;
    double *w0 = malloc(np * sizeof *w0), *grad = malloc(np * sizeof *grad);
    double *x = malloc(BIG * in * sizeof *x), *y = malloc(BIG * k * sizeof *y);
    double *pred = malloc(BIG * k * sizeof *pred);
    double losses[6];
    if (!w0 || !grad || !x || !y || !pred) die("malloc", MLP_ERR_NOMEM);
    set_weights(net, wseed);
    memcpy(w0, mlp_net_params(net), np * sizeof *w0);
    lcg_state = wseed ^ 0xda7aull;
    make_rows(sp, k, x, y, BIG);
    char label[96];

    /* predictions: one row, a small batch, a batch the parallel passes split */
    mlp_workspace *ws = NULL;
    OK(mlp_workspace_create(&ws, net, BIG), "workspace");
    const size_t batches[] = {1, 7, SMALL, BIG};
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        OK(mlp_net_predict(net, ws, pred, x, batches[b]), "predict");
        snprintf(label, sizeof label, "predict-%zu", batches[b]);
        record(label, pred, batches[b] * k);
    }
    /* gradients of a small and a large batch */
    for (size_t b = 2; b < 4; b++) {
        const mlp_dataset d = ROWS(x, in, y, k, batches[b]);
        OK(mlp_net_gradient(net, ws, sp->loss, grad, &losses[0], &d), "gradient");
        snprintf(label, sizeof label, "gradient-%zu", batches[b]);
        record(label, grad, np);
        snprintf(label, sizeof label, "gradient-%zu-loss", batches[b]);
        record(label, losses, 1);
    }
    mlp_workspace_free(ws);

    /* three steps of every optimizer, on a small batch and on a large one */
    for (size_t o = 0; o < sizeof kinds / sizeof *kinds; o++) {
        for (size_t b = 2; b < 4; b++) {
            const size_t n = batches[b];
            snprintf(label, sizeof label, "step-%s-%zu", kind_names[o], n);
            memcpy(mlp_net_params(net), w0, np * sizeof *w0);
            const mlp_optimizer opt = optimizer(kinds[o]);
            mlp_trainer *tr = NULL;
            mlp_status s = mlp_trainer_create(&tr, net, sp->loss, &opt, n);
            const mlp_dataset d = ROWS(x, in, y, k, n);
            for (int i = 0; i < 3 && s == MLP_OK; i++) s = mlp_trainer_step(tr, &losses[i], &d);
            if (s != MLP_OK) {
                refused(label, s);
            } else {
                record(label, mlp_net_params(net), np);
                strcat(label, "-losses");
                record(label, losses, 3);
            }
            mlp_trainer_free(tr);
        }
    }

    /* fits: mini-batches of 8 (every row a few times), of 256 (plain SGD's update
     * checked after rather than bounded before), and one with validation rows and
     * early stopping that restores the best weights (the rows given: 1.5 draws a
     * validation_fraction's rows from the seed, where 1.4 took the last ones) */
    const struct {
        const char *name;
        size_t batch, val, epochs, patience;
    } fits[] = {{"b8", 8, 0, 3, 0}, {"b256", 256, 0, 4, 0}, {"val", 32, BIG / 4, 6, 1}};
    for (size_t o = 0; o < 4; o++) { /* the first-order methods with mini-batches */
        for (size_t f = 0; f < sizeof fits / sizeof *fits; f++) {
            memcpy(mlp_net_params(net), w0, np * sizeof *w0);
            const mlp_optimizer opt = optimizer(kinds[o]);
            mlp_trainer *tr = NULL;
            OK(mlp_trainer_create(&tr, net, sp->loss, &opt, fits[f].batch), "trainer");
            mlp_fit_options fo;
            mlp_fit_result fr;
            OK(mlp_fit_options_init(&fo, sizeof fo), "fit options");
            OK(mlp_fit_result_init(&fr, sizeof fr), "fit result");
            fo.epochs = fits[f].epochs;
            fo.batch_size = fits[f].batch;
            fo.shuffle = 1;
            fo.seed = 7;
            fo.validation_fraction = 0.0;
            fo.patience = fits[f].patience;
            const size_t n_val = fits[f].val, n_train = BIG - n_val;
            const mlp_dataset d = ROWS(x, in, y, k, n_train);
            const mlp_dataset v = ROWS(x + n_train * in, in, y + n_train * k, k, n_val);
            if (n_val > 0) fo.validation = &v;
            snprintf(label, sizeof label, "fit-%s-%s", kind_names[o], fits[f].name);
            mlp_status s = mlp_trainer_fit(tr, &fr, &d, &fo);
            if (s != MLP_OK) {
                refused(label, s);
            } else {
                record(label, mlp_net_params(net), np);
                strcat(label, "-loss");
                record(label, fr.loss, fr.epochs_run);
                if (fr.val_loss != NULL) {
                    snprintf(label, sizeof label, "fit-%s-%s-val", kind_names[o], fits[f].name);
                    record(label, fr.val_loss, fr.epochs_run);
                }
                const double ends[2] = {(double)fr.epochs_run, (double)fr.best_epoch};
                snprintf(label, sizeof label, "fit-%s-%s-epochs", kind_names[o], fits[f].name);
                record(label, ends, 2);
            }
            mlp_trainer_free(tr);
        }
    }

    /* a checkpoint after three Adam steps, and a model file: whichever version wrote
     * them, three more steps from the checkpoint and predictions from the model */
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.ckpt", dir, sp->name);
    if (stat(path, &st) != 0) {
        memcpy(mlp_net_params(net), w0, np * sizeof *w0);
        const mlp_optimizer opt = optimizer(MLP_OPT_ADAM);
        mlp_trainer *tr = NULL;
        OK(mlp_trainer_create(&tr, net, sp->loss, &opt, SMALL), "trainer");
        const mlp_dataset d = ROWS(x, in, y, k, SMALL);
        for (int i = 0; i < 3; i++) OK(mlp_trainer_step(tr, NULL, &d), "step");
        OK(mlp_trainer_save(tr, path), "checkpoint");
        mlp_trainer_free(tr);
    }
    {
        mlp_trainer *tr = NULL;
        mlp_net *back = NULL;
        OK(mlp_trainer_load(&tr, &back, path, SMALL), "load checkpoint");
        const mlp_dataset d = ROWS(x, in, y, k, SMALL);
        for (int i = 0; i < 3; i++) OK(mlp_trainer_step(tr, &losses[i], &d), "resumed step");
        record("resume-adam", mlp_net_params(back), np);
        record("resume-adam-losses", losses, 3);
        mlp_trainer_free(tr);
        mlp_net_free(back);
    }
    snprintf(path, sizeof path, "%s/%s.mlp", dir, sp->name);
    if (stat(path, &st) != 0) {
        memcpy(mlp_net_params(net), w0, np * sizeof *w0);
        OK(mlp_net_save(net, path), "save");
    }
    {
        mlp_net *back = NULL;
        OK(mlp_net_load(&back, path), "load");
        OK(mlp_workspace_create(&ws, back, BIG), "workspace");
        OK(mlp_net_predict(back, ws, pred, x, BIG), "predict loaded");
        record("loaded-predict", pred, BIG * k);
        mlp_workspace_free(ws);
        mlp_net_free(back);
    }
    mlp_net_free(net);
    free(w0);
    free(grad);
    free(x);
    free(y);
    free(pred);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: same_bits THREADS DIR\n");
        return 2;
    }
    net_name = "threads";
    OK(mlp_set_num_threads(atoi(argv[1])), "threads");
    /* the tiny network (the small-network lanes), a classifier whose output has no
     * bias, hidden layers whose derivatives need the pre-activation, and layers wide
     * enough for BLAS */
    const spec specs[] = {
        {"tiny", 2, 2, {MLP_LAYER(2, MLP_ACT_RELU, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)},
         MLP_LOSS_MSE},
        {"classes", 5, 2, {MLP_LAYER(8, MLP_ACT_TANH, 1), MLP_LAYER(3, MLP_ACT_SOFTMAX, 0)},
         MLP_LOSS_CATEGORICAL_CROSSENTROPY},
        {"smooth", 6, 3,
         {MLP_LAYER(16, MLP_ACT_ELU, 1), MLP_LAYER(16, MLP_ACT_GELU, 1),
          MLP_LAYER(2, MLP_ACT_IDENTITY, 1)},
         MLP_LOSS_MSE},
        {"wide", 12, 3,
         {MLP_LAYER(32, MLP_ACT_SIGMOID, 1), MLP_LAYER(16, MLP_ACT_LEAKY_RELU, 1),
          MLP_LAYER(3, MLP_ACT_SIGMOID, 1)},
         MLP_LOSS_BINARY_CROSSENTROPY},
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) run(&specs[i], argv[2]);
    return 0;
}
