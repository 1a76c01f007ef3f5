/*
 * From a CSV file to a saved model, in C: the 3-class task of README's "From a CSV
 * file" (party identification from the 1996 American National Election Study,
 * examples/data/anes96.csv) with the library's data functions: read, split
 * (stratified), scale (kept in the model), train, score, save.
 *
 * Usage: from_csv [CSV [MODEL]]
 */
#include <stdio.h>
#include <stdlib.h>

#include <mlp.h>

static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "from_csv: %s: %s\n", what, mlp_error_detail());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/data/anes96.csv";
    mlp_csv_options csv;
    mlp_csv_options_init(&csv, sizeof csv);
    csv.target = "party"; /* text: a classification, its labels sorted */
    mlp_table *t;
    check(mlp_table_read_csv(&t, path, &csv), "reading");
    const size_t n = mlp_table_rows(t), in = mlp_table_n_inputs(t), k = mlp_table_n_classes(t);
    if (in > 16 || k > 16) return fprintf(stderr, "from_csv: more columns than this example holds\n"), 1;

    /* 80 % to train, 20 % to test, each class in proportion */
    size_t *order = malloc(n * sizeof *order), n_train;
    check(mlp_split(order, &n_train, n, 0.2, mlp_table_targets(t), 1), "mlp_split");
    double *x = malloc(n * in * sizeof *x), *label = malloc(n * sizeof *label);
    check(mlp_gather_rows(x, mlp_table_inputs(t), in, order, n), "gather");
    check(mlp_gather_rows(label, mlp_table_targets(t), 1, order, n), "gather");

    const mlp_layer_spec layers[2] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
                                      MLP_LAYER(k, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    check(mlp_net_create(&net, in, layers, 2), "mlp_net_create");
    check(mlp_net_init(net, MLP_INIT_XAVIER, 1), "mlp_net_init");
    const char *names[16], *classes[16];
    for (size_t i = 0; i < in; i++) names[i] = mlp_table_input_name(t, i);
    for (size_t c = 0; c < k; c++) classes[c] = mlp_table_class_name(t, c);
    check(mlp_net_set_columns(net, names, (const char *[]){"party"}, 1), "columns");
    check(mlp_net_set_classes(net, classes, k), "classes");

    /* the scaling is fitted on the training rows and saved with the network */
    const mlp_dataset raw = MLP_DATASET(x, label, n_train);
    check(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &raw), "scaling");
    double *xs = malloc(n_train * in * sizeof *xs), *onehot = malloc(n_train * k * sizeof *onehot);
    size_t *truth = malloc(n * sizeof *truth), *pred = malloc(n * sizeof *pred);
    for (size_t i = 0; i < n; i++) truth[i] = (size_t)label[i];
    check(mlp_net_transform(net, xs, NULL, &raw), "transform");
    check(mlp_onehot(onehot, truth, n_train, k), "mlp_onehot");

    mlp_optimizer opt;
    mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_LBFGS); /* small data: second order */
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &opt, n_train), "trainer");
    mlp_fit_options fit;
    mlp_fit_options_init(&fit, sizeof fit);
    fit.epochs = 100;
    fit.batch_size = 0;
    fit.validation_fraction = 0.2;
    fit.patience = 10;
    const mlp_dataset train = MLP_DATASET(xs, onehot, n_train);
    check(mlp_trainer_fit(tr, NULL, &train, &fit), "training");

    /* the test rows, raw: the model scales them itself */
    const size_t n_test = n - n_train;
    mlp_workspace *ws;
    double *p = malloc(n_test * k * sizeof *p);
    check(mlp_workspace_create(&ws, net, n_test), "workspace");
    check(mlp_net_predict_raw(net, ws, p, x + n_train * in, n_test), "predict");
    check(mlp_argmax(pred, p, n_test, k), "argmax");
    size_t m[16 * 16];
    double precision[16], recall[16], f1[16];
    check(mlp_confusion(m, truth + n_train, pred, n_test, k), "confusion");
    check(mlp_class_scores(precision, recall, f1, m, k), "scores");
    size_t right = 0;
    for (size_t c = 0; c < k; c++) right += m[c * k + c];
    printf("test accuracy %.3f on %zu rows\n", (double)right / (double)n_test, n_test);
    for (size_t c = 0; c < k; c++)
        printf("%-12s precision %.3f recall %.3f F1 %.3f\n", classes[c], precision[c], recall[c],
               f1[c]);
    if (argc > 2) check(mlp_net_save(net, argv[2]), "saving");

    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    mlp_table_free(t);
    free(order), free(x), free(label), free(xs), free(onehot), free(truth), free(pred), free(p);
    return (double)right / (double)n_test > 0.5 ? 0 : 1; /* three classes: chance is 0.40 */
}
