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
    mlp_dataset all; /* the table's inputs and class indices, with their shape */
    check(mlp_table_dataset(&all, sizeof all, t), "mlp_table_dataset");
    const size_t n = all.n, in = all.n_inputs, k = all.n_classes;

    /* 80 % to train, 20 % to test, each class in proportion */
    size_t *order = malloc(n * sizeof *order), n_train;
    double *x = malloc(n * in * sizeof *x), *label = malloc(n * sizeof *label);
    if (order == NULL || x == NULL || label == NULL) return 1;
    check(mlp_dataset_split(order, &n_train, &all, 0.2, 1), "mlp_dataset_split");
    check(mlp_gather_rows(x, all.x, in, order, n), "gather");
    check(mlp_gather_rows(label, all.y, 1, order, n), "gather");
    const mlp_dataset train = MLP_DATASET_CLASSES(x, in, label, k, n_train);
    const mlp_dataset test = MLP_DATASET_CLASSES(x + n_train * in, in, label + n_train, k,
                                                 n - n_train);

    /* a network, its weights drawn when it is created; the columns and classes named */
    const mlp_layer_spec layers[2] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
                                      MLP_LAYER(k, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    check(mlp_net_create(&net, in, layers, 2), "mlp_net_create");
    check(mlp_net_set_table_names(net, t), "mlp_net_set_table_names");
    /* the scaling is fitted on the training rows and kept in the network, which applies
     * it to every row it is given: training, prediction and scoring all take raw rows */
    check(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &train), "scaling");

    mlp_optimizer opt;
    mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_LBFGS); /* small data: second order */
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &opt, n_train), "trainer");
    mlp_fit_options fit;
    mlp_fit_options_init(&fit, sizeof fit); /* L-BFGS takes every row in each iteration */
    fit.epochs = 100;
    fit.validation_fraction = 0.2; /* drawn, each class in proportion */
    fit.patience = 10;
    check(mlp_trainer_fit(tr, NULL, &train, &fit), "training");

    /* the held-out rows, scored */
    mlp_workspace *ws;
    check(mlp_workspace_create(&ws, net, 256), "workspace");
    mlp_scores sc;
    mlp_scores_init(&sc, sizeof sc);
    size_t m[16 * 16];
    double precision[16], recall[16], f1[16];
    if (k > 16) return fprintf(stderr, "from_csv: more classes than this example prints\n"), 1;
    check(mlp_net_score(net, ws, &sc, m, &test), "scoring");
    check(mlp_class_scores(precision, recall, f1, m, k), "mlp_class_scores");
    printf("test accuracy %.3f on %zu rows (balanced %.3f, macro F1 %.3f)\n", sc.accuracy, sc.n,
           sc.balanced_accuracy, sc.macro_f1);
    for (size_t c = 0; c < k; c++)
        printf("%-12s precision %.3f recall %.3f F1 %.3f\n", mlp_net_class_name(net, c),
               precision[c], recall[c], f1[c]);
    if (argc > 2) check(mlp_net_save(net, argv[2]), "saving");

    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    mlp_table_free(t);
    free(order), free(x), free(label);
    return sc.accuracy > 0.5 ? 0 : 1; /* three classes: chance is 0.40 */
}
