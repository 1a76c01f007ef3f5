/* make_models DIR: the networks the ONNX checks run (tests/onnx/check_onnx.py,
 * ort_compare.js), in both precisions, exported with mlp_net_export_onnx() beside
 * what the library predicts for them. Public API only.
 *
 * Every activation as a hidden layer (with a bias) before an output without one; every
 * layer kind, with and without its bias, after three epochs of training (so that gains,
 * biases and batch normalization's running values are not their initial 1 and 0);
 * input and output scaling; class labels (one not ASCII); a wider, deeper network.
 * For each NAME: NAME.onnx and NAME.txt, whose first line is "rows inputs outputs
 * precision", then the rows (raw, as the model takes them) and libmlp's predictions,
 * one value a line, 17 digits. DIR/models.txt lists the names. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

enum { ROWS = 64, TRAIN = 96 };

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

/* A normal draw (Box–Muller on a 64-bit LCG): rows that reach the activations' tails. */
static double normal(void)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        u[i] = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

static void ok(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "make_models: %s: %s\n", what, mlp_error_detail());
        exit(1);
    }
}

typedef struct model {
    const char *name;
    size_t in;
    mlp_layer_spec layers[12];
    size_t n_layers;
    int scale;               /* input standard, and output min-max for a regression */
    const char *classes[10]; /* labels, or none */
    size_t n_classes;
} model;

static void make(const char *dir, const model *m, mlp_precision precision, FILE *list)
{
    char path[4096];
    const char *pname = mlp_precision_name(precision);
    mlp_net *net;
    ok(mlp_net_create_precision(&net, m->in, m->layers, m->n_layers, precision), m->name);
    const size_t k = mlp_net_n_outputs(net), in = m->in;
    /* training rows: raw units far from 0 and 1, so that the scaling matters */
    double *x = malloc(TRAIN * in * sizeof *x), *y = malloc(TRAIN * k * sizeof *y);
    double *label = malloc(TRAIN * sizeof *label);
    if (x == NULL || y == NULL || label == NULL) exit(1);
    for (size_t i = 0; i < TRAIN * in; i++) x[i] = 3.0 * normal() + (m->scale ? 10.0 : 0.0);
    for (size_t i = 0; i < TRAIN; i++) {
        label[i] = (double)(i % (m->n_classes ? m->n_classes : 1));
        for (size_t c = 0; c < k; c++) y[i * k + c] = 50.0 * normal() + 7.0;
    }
    const int multi = m->n_classes > 2, binary = m->n_classes == 2;
    const mlp_dataset regression = MLP_DATASET(x, in, y, k, TRAIN);
    const mlp_dataset classes = MLP_DATASET_CLASSES(x, in, label, multi ? m->n_classes : 2, TRAIN);
    const mlp_dataset *train = multi || binary ? &classes : &regression;
    if (m->scale)
        ok(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD,
                               train == &regression ? MLP_SCALE_MINMAX : MLP_SCALE_NONE, train),
           "scaling");
    if (m->n_classes) ok(mlp_net_set_classes(net, m->classes, m->n_classes), "classes");
    if (m->scale) {
        const char *names[64];
        char buf[64][16];
        for (size_t i = 0; i < in && i < 64; i++) {
            snprintf(buf[i], sizeof buf[i], "col %zu", i);
            names[i] = buf[i];
        }
        ok(mlp_net_set_columns(net, names, NULL, 0), "columns");
    }
    mlp_optimizer opt;
    ok(mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_ADAM), "optimizer");
    opt.learning_rate = 0.02;
    mlp_trainer *tr;
    ok(mlp_trainer_create(&tr, net,
                          multi    ? MLP_LOSS_CATEGORICAL_CROSSENTROPY
                          : binary ? MLP_LOSS_BINARY_CROSSENTROPY
                                   : MLP_LOSS_MSE,
                          &opt, 32),
       "trainer");
    mlp_fit_options fo;
    ok(mlp_fit_options_init(&fo, sizeof fo), "fit options");
    fo.epochs = 3;
    fo.batch_size = 32;
    fo.seed = 5;
    ok(mlp_trainer_fit(tr, NULL, train, &fo), "fit");
    mlp_trainer_free(tr);

    /* the rows compared: new draws, raw */
    double *q = malloc(ROWS * in * sizeof *q), *p = malloc(ROWS * k * sizeof *p);
    if (q == NULL || p == NULL) exit(1);
    for (size_t i = 0; i < ROWS * in; i++) q[i] = 3.0 * normal() + (m->scale ? 10.0 : 0.0);
    if (precision == MLP_PRECISION_FLOAT32) /* the graph takes floats: rows a float holds */
        for (size_t i = 0; i < ROWS * in; i++) q[i] = (double)(float)q[i];
    mlp_workspace *ws;
    ok(mlp_workspace_create(&ws, net, ROWS), "workspace");
    ok(mlp_net_predict(net, ws, p, q, ROWS), "predict");
    mlp_workspace_free(ws);

    snprintf(path, sizeof path, "%s/%s_%s.onnx", dir, m->name, pname);
    ok(mlp_net_export_onnx(net, path), path);
    snprintf(path, sizeof path, "%s/%s_%s.txt", dir, m->name, pname);
    FILE *f = fopen(path, "w");
    if (f == NULL) exit(1);
    fprintf(f, "%d %zu %zu %s\n", ROWS, in, k, pname);
    for (size_t i = 0; i < ROWS * in; i++) fprintf(f, "%.17g\n", q[i]);
    for (size_t i = 0; i < ROWS * k; i++) fprintf(f, "%.17g\n", p[i]);
    if (fclose(f) != 0) exit(1);
    fprintf(list, "%s_%s\n", m->name, pname);
    free(x);
    free(y);
    free(label);
    free(q);
    free(p);
    mlp_net_free(net);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_models DIR\n");
        return 2;
    }
    static model models[32];
    size_t n = 0;
    /* each activation between a dense layer with a bias and one without */
    static char names[16][32];
    for (int a = 0; a <= MLP_ACT_SILU; a++) {
        model *m = &models[n++];
        snprintf(names[a], sizeof names[a], "act_%s", mlp_activation_name((mlp_activation)a));
        m->name = names[a];
        m->in = 4;
        const mlp_layer_spec hidden = MLP_LAYER(7, (mlp_activation)a, 1);
        const mlp_layer_spec out = MLP_LAYER(3, MLP_ACT_IDENTITY, 0);
        const mlp_layer_spec first = MLP_LAYER(7, MLP_ACT_TANH, 1);
        const mlp_layer_spec soft = MLP_LAYER(3, MLP_ACT_SOFTMAX, 1);
        m->layers[0] = a == MLP_ACT_SOFTMAX ? first : hidden;
        m->layers[1] = a == MLP_ACT_SOFTMAX ? soft : out;
        m->n_layers = 2;
        if (a == MLP_ACT_SOFTMAX) {
            m->classes[0] = "a", m->classes[1] = "b", m->classes[2] = "c";
            m->n_classes = 3;
        }
    }
    { /* every kind, with and without its bias, scaled both ways */
        model *m = &models[n++];
        const mlp_layer_spec l[] = {MLP_LAYER(8, MLP_ACT_IDENTITY, 1),
                                    MLP_LAYERNORM(MLP_ACT_RELU),
                                    MLP_DROPOUT(0.3),
                                    MLP_LAYER(6, MLP_ACT_IDENTITY, 0),
                                    MLP_BATCHNORM(MLP_ACT_TANH),
                                    MLP_LAYER(5, MLP_ACT_IDENTITY, 1),
                                    MLP_LAYERNORM(MLP_ACT_GELU_TANH),
                                    MLP_LAYER(5, MLP_ACT_IDENTITY, 1),
                                    MLP_BATCHNORM(MLP_ACT_SIGMOID),
                                    MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
        m->name = "kinds";
        m->in = 6;
        memcpy(m->layers, l, sizeof l);
        m->layers[6].bias = 0; /* a layer normalization without its bias */
        m->layers[8].bias = 0; /* and a batch normalization */
        m->n_layers = sizeof l / sizeof l[0];
        m->scale = 1;
    }
    { /* a classifier with labels, one of them not ASCII */
        model *m = &models[n++];
        const mlp_layer_spec l[] = {MLP_LAYER(16, MLP_ACT_ELU, 1), MLP_LAYER(16, MLP_ACT_SILU, 1),
                                    MLP_LAYER(4, MLP_ACT_SOFTMAX, 1)};
        m->name = "classifier";
        m->in = 5;
        memcpy(m->layers, l, sizeof l);
        m->n_layers = 3;
        m->scale = 1;
        m->classes[0] = "setosa", m->classes[1] = "versicolor", m->classes[2] = "virginica";
        m->classes[3] = "\xc3\xbcnic\xc3\xb6"
                        "de";
        m->n_classes = 4;
    }
    { /* two classes on one sigmoid node */
        model *m = &models[n++];
        const mlp_layer_spec l[] = {MLP_LAYER(6, MLP_ACT_LEAKY_RELU, 1),
                                    MLP_LAYER(1, MLP_ACT_SIGMOID, 1)};
        m->name = "binary";
        m->in = 3;
        memcpy(m->layers, l, sizeof l);
        m->n_layers = 2;
        m->classes[0] = "no", m->classes[1] = "yes";
        m->n_classes = 2;
    }
    { /* wider and deeper */
        model *m = &models[n++];
        const mlp_layer_spec l[] = {
            MLP_LAYER(64, MLP_ACT_GELU_TANH, 1), MLP_LAYER(64, MLP_ACT_SOFTPLUS, 1),
            MLP_LAYER(32, MLP_ACT_RELU, 1), MLP_LAYER(10, MLP_ACT_SOFTMAX, 1)};
        m->name = "wide";
        m->in = 30;
        memcpy(m->layers, l, sizeof l);
        m->n_layers = 4;
        m->scale = 1;
        static const char *const digits[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
        memcpy(m->classes, digits, sizeof digits);
        m->n_classes = 10;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/models.txt", argv[1]);
    FILE *list = fopen(path, "w");
    if (list == NULL) {
        perror(path);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        make(argv[1], &models[i], MLP_PRECISION_FLOAT64, list);
        make(argv[1], &models[i], MLP_PRECISION_FLOAT32, list);
    }
    return fclose(list) != 0;
}
