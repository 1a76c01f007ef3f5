/* Datasets that carry their shape (1.5): every call that takes one checks its columns
 * against the network, applies the model's preprocessing, and takes class indices; a
 * new network is ready to train; the validation rows of a fit are drawn (stratified);
 * a model is scored in one call. Expected values come from the 1.4 road (a dataset
 * without shape, rows scaled and one-hot by the test), from hand arithmetic, or from
 * the definitions of the scores. */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

enum { IN = 2, K = 3, N = 150 };

/* Three blobs around (−2, 0), (2, 0), (0, 3), 50 rows each, sorted by class as many
 * files are (iris, wine): x (N, IN), its class indices, and those as one-hot rows. */
static double bx[N * IN], blabel[N], bonehot[N * K];

static void blobs(void)
{
    uint64_t rng = 42;
    const double cx[K] = {-2, 2, 0}, cy[K] = {0, 0, 3};
    for (int i = 0; i < N; i++) {
        const int c = i / (N / K);
        bx[i * IN] = 100 + 10 * (cx[c] + tu_uniform(&rng, -1, 1)); /* far from scaled */
        bx[i * IN + 1] = -50 + 5 * (cy[c] + tu_uniform(&rng, -1, 1));
        blabel[i] = c;
        for (int k = 0; k < K; k++) bonehot[i * K + k] = k == c;
    }
}

static mlp_net *classifier(void)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
                                    MLP_LAYER(K, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, IN, spec, 2), MLP_OK);
    return net;
}

/* The first program: a table's class column straight into a dataset for a
 * 3-class softmax network. Built with its shape, it is refused, naming both numbers;
 * mlp_table_dataset() makes the dataset of classes that trains. */
START_TEST(class_column_as_values_is_refused)
{
    blobs();
    char path[] = "/tmp/mlp_dataset_XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ne(fd, -1);
    FILE *f = fdopen(fd, "w");
    fputs("a,b,kind\n", f);
    const char *names[K] = {"left", "right", "top"};
    for (int i = 0; i < N; i++)
        fprintf(f, "%.17g,%.17g,%s\n", bx[i * IN], bx[i * IN + 1], names[(int)blabel[i]]);
    fclose(f);
    mlp_csv_options co;
    ck_assert_int_eq(mlp_csv_options_init(&co, sizeof co), MLP_OK);
    mlp_table *t;
    ck_assert_int_eq(mlp_table_read_csv(&t, path, &co), MLP_OK);
    remove(path);
    mlp_net *net = classifier();
    mlp_trainer *tr;
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 32),
                     MLP_OK);
    const double before = mlp_net_params_const(net)[0];
    mlp_fit_options fit = tu_fit_options();
    const mlp_dataset wrong = MLP_DATASET(mlp_table_inputs(t), mlp_table_n_inputs(t),
                                          mlp_table_targets(t), mlp_table_n_targets(t),
                                          mlp_table_rows(t));
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &wrong, &fit), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "1 target column, the network has 3 outputs"));
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "MLP_DATASET_CLASSES"));
    ck_assert_double_eq(mlp_net_params_const(net)[0], before);
    /* other columns: each count named */
    const mlp_dataset narrow = MLP_DATASET(bx, 1, bonehot, K, N);
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &narrow, &fit), MLP_ERR_SHAPE);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_trainer_fit: the training rows have 1 input columns, the network takes 2");
    const mlp_dataset two = MLP_DATASET(bx, IN, bonehot, 2, N);
    ck_assert_int_eq(mlp_trainer_step(tr, NULL, &two), MLP_ERR_SHAPE);
    ck_assert_str_eq(mlp_error_detail(),
                     "mlp_trainer_step: the batch rows have 2 target columns, the network has 3 "
                     "outputs");
    const mlp_dataset four = MLP_DATASET_CLASSES(bx, IN, blabel, 4, N);
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &four, &fit), MLP_ERR_SHAPE);
    ck_assert_str_eq(mlp_error_detail(), "mlp_trainer_fit: the training rows hold 4 classes, the "
                                         "network's output stands for 3");
    mlp_dataset unsaid;
    ck_assert_int_eq(mlp_dataset_init(&unsaid, sizeof unsaid), MLP_OK);
    unsaid.x = bx;
    unsaid.y = bonehot;
    unsaid.n = N;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &unsaid, &fit), MLP_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "do not say how many input columns"));
    ck_assert_double_eq(mlp_net_params_const(net)[0], before);

    /* the table as a dataset, in one call: classes, trained to the blobs */
    mlp_dataset all;
    ck_assert_int_eq(mlp_table_dataset(&all, sizeof all, t), MLP_OK);
    ck_assert_uint_eq(all.n_inputs, IN);
    ck_assert_uint_eq(all.n_targets, 1);
    ck_assert_uint_eq(all.n_classes, K);
    ck_assert_int_eq(mlp_net_set_table_names(net, t), MLP_OK);
    ck_assert_str_eq(mlp_net_class_name(net, 2), "top");
    ck_assert_str_eq(mlp_net_input_name(net, 1), "b");
    ck_assert_str_eq(mlp_net_target_name(net, 0), "kind");
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &all), MLP_OK);
    fit.epochs = 60;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &all, &fit), MLP_OK);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 64), MLP_OK);
    mlp_scores sc;
    ck_assert_int_eq(mlp_scores_init(&sc, sizeof sc), MLP_OK);
    ck_assert_int_eq(mlp_net_score(net, ws, &sc, NULL, &all), MLP_OK);
    ck_assert_uint_eq(sc.n_classes, K);
    ck_assert_double_ge(sc.accuracy, 0.95);
    /* a table of another shape does not name this network */
    const mlp_layer_spec one = MLP_LAYER(2, MLP_ACT_SOFTMAX, 1);
    mlp_net *other;
    ck_assert_int_eq(mlp_net_create(&other, IN, &one, 1), MLP_OK);
    ck_assert_int_eq(mlp_net_set_table_names(other, t), MLP_ERR_SHAPE);
    ck_assert_ptr_null(mlp_net_input_name(other, 0));
    mlp_net_free(other);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    mlp_table_free(t);
}
END_TEST

/* Class indices give the bits their one-hot rows give, in steps, gradients and fits. */
START_TEST(classes_are_their_one_hot_rows)
{
    blobs();
    mlp_net *a = classifier(), *b = classifier();
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, a, N), MLP_OK);
    const size_t np = mlp_net_n_params(a);
    double *ga = malloc(np * sizeof *ga), *gb = malloc(np * sizeof *gb), la, lb;
    const mlp_dataset classes = MLP_DATASET_CLASSES(bx, IN, blabel, K, N);
    const mlp_dataset onehot = MLP_DATASET(bx, IN, bonehot, K, N);
    ck_assert_int_eq(mlp_net_gradient(a, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, ga, &la, &classes),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(a, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, gb, &lb, &onehot),
                     MLP_OK);
    ck_assert_mem_eq(ga, gb, np * sizeof *ga);
    ck_assert_double_eq(la, lb);
    /* the 1.4 road: the same rows without shape */
    ck_assert_int_eq(mlp_net_gradient(a, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, gb, &lb,
                                      TU_DATA(bx, bonehot, N)),
                     MLP_OK);
    ck_assert_mem_eq(ga, gb, np * sizeof *ga);

    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *ta, *tb;
    ck_assert_int_eq(mlp_trainer_create(&ta, a, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 16), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tb, b, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 16), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(ta, &la, TU_ROWS(bx, IN, blabel, 1, 10) /* values */),
                     MLP_ERR_SHAPE);
    const mlp_dataset first = MLP_DATASET_CLASSES(bx, IN, blabel, K, 10);
    const mlp_dataset first_hot = MLP_DATASET(bx, IN, bonehot, K, 10);
    ck_assert_int_eq(mlp_trainer_step(ta, &la, &first), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tb, &lb, &first_hot), MLP_OK);
    ck_assert_mem_eq(mlp_net_params_const(a), mlp_net_params_const(b), np * sizeof(double));
    mlp_fit_options f = tu_fit_options();
    f.epochs = 5;
    f.validation_fraction = 0.2;
    mlp_fit_result ra = tu_fit_result(), rb = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(ta, &ra, &classes, &f), MLP_OK);
    ck_assert_int_eq(mlp_trainer_fit(tb, &rb, &onehot, &f), MLP_OK);
    ck_assert_mem_eq(mlp_net_params_const(a), mlp_net_params_const(b), np * sizeof(double));
    ck_assert_mem_eq(ra.val_loss, rb.val_loss, 5 * sizeof(double));

    /* a class that is not one: refused before anything changes */
    double bad[N];
    memcpy(bad, blabel, sizeof bad);
    const double odd[3] = {3, 1.5, NAN};
    for (int i = 0; i < 3; i++) {
        bad[7] = odd[i];
        const mlp_dataset d = MLP_DATASET_CLASSES(bx, IN, bad, K, N);
        memcpy(ga, mlp_net_params_const(a), np * sizeof *ga);
        ck_assert_int_eq(mlp_trainer_fit(ta, NULL, &d, &f), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "row 7's class is"));
        const mlp_dataset batch = MLP_DATASET_CLASSES(bx, IN, bad, K, 10); /* row 7 too */
        ck_assert_int_eq(mlp_trainer_step(ta, NULL, &batch), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "row 7's class is"));
        ck_assert_int_eq(mlp_net_gradient(a, ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY, gb, NULL, &d),
                         MLP_ERR_INVALID_ARG);
        ck_assert_mem_eq(mlp_net_params_const(a), ga, np * sizeof *ga);
    }
    free(ga), free(gb);
    mlp_trainer_free(ta), mlp_trainer_free(tb);
    mlp_workspace_free(ws);
    mlp_net_free(a), mlp_net_free(b);
}
END_TEST

/* A model that scales its rows takes them raw in every call: training on raw rows
 * gives the bits the 1.4 road gives on rows the test scaled (mlp_net_transform) */
START_TEST(the_model_scales_what_it_is_given)
{
    tu_single = _i; /* a float32 network rounds each scaled value once, either road */
    blobs();
    enum { R = 40 };
    double y[R]; /* a regression: y = x0 / 10 - x1 / 5, in its own units */
    for (int i = 0; i < R; i++) y[i] = bx[i * 3 * IN] / 10 - bx[i * 3 * IN + 1] / 5;
    double x[R * IN];
    for (int i = 0; i < R; i++) memcpy(x + i * IN, bx + i * 3 * IN, IN * sizeof *x);
    const mlp_layer_spec spec[2] = {MLP_LAYER(6, MLP_ACT_TANH, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *a, *b;
    const mlp_precision prec = tu_single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64;
    ck_assert_int_eq(mlp_net_create_precision(&a, IN, spec, 2, prec), MLP_OK);
    ck_assert_int_eq(mlp_net_create_precision(&b, IN, spec, 2, prec), MLP_OK);
    const mlp_dataset raw = MLP_DATASET(x, IN, y, 1, R);
    ck_assert_int_eq(mlp_net_fit_scaling(a, MLP_SCALE_STANDARD, MLP_SCALE_STANDARD, &raw), MLP_OK);
    ck_assert_int_eq(mlp_net_fit_scaling(b, MLP_SCALE_STANDARD, MLP_SCALE_STANDARD, &raw), MLP_OK);
    double xs[R * IN], ys[R];
    ck_assert_int_eq(mlp_net_transform(a, xs, ys, &raw), MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.02;
    mlp_trainer *ta, *tb;
    ck_assert_int_eq(mlp_trainer_create(&ta, a, MLP_LOSS_MSE, &o, 8), MLP_OK);
    ck_assert_int_eq(mlp_trainer_create(&tb, b, MLP_LOSS_MSE, &o, 8), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 300;
    f.batch_size = 8;
    ck_assert_int_eq(mlp_trainer_fit(ta, NULL, &raw, &f), MLP_OK);
    ck_assert_int_eq(mlp_trainer_fit(tb, NULL, TU_DATA(xs, ys, R), &f), MLP_OK);
    const size_t np = mlp_net_n_params(a);
    size_t bytes;
    const void *pa = tu_params_of(a, &bytes), *pb = tu_params_of(b, &bytes);
    ck_assert_mem_eq(pa, pb, bytes);
    /* a step and a gradient the same way */
    ck_assert_int_eq(mlp_trainer_step(ta, NULL, &raw), MLP_ERR_SHAPE); /* 40 rows > 8 */
    const mlp_dataset eight = MLP_DATASET(x, IN, y, 1, 8);
    ck_assert_int_eq(mlp_trainer_step(ta, NULL, &eight), MLP_OK);
    ck_assert_int_eq(mlp_trainer_step(tb, NULL, TU_DATA(xs, ys, 8)), MLP_OK);
    ck_assert_mem_eq(pa, pb, bytes);
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, a, R), MLP_OK);
    double *ga = malloc(np * sizeof *ga), *gb = malloc(np * sizeof *gb), la, lb;
    ck_assert_int_eq(mlp_net_gradient(a, ws, MLP_LOSS_MSE, ga, &la, &raw), MLP_OK);
    ck_assert_int_eq(mlp_net_gradient(b, ws, MLP_LOSS_MSE, gb, &lb, TU_DATA(xs, ys, R)), MLP_OK);
    ck_assert_mem_eq(ga, gb, np * sizeof *ga);
    ck_assert_double_eq(la, lb);
    /* predictions come back in y's units: close to y after training */
    double p[R];
    ck_assert_int_eq(mlp_net_predict(a, ws, p, x, R), MLP_OK);
    double err = 0;
    for (int i = 0; i < R; i++) err = fmax(err, fabs(p[i] - y[i]));
    double spread = 0;
    for (int i = 0; i < R; i++) spread = fmax(spread, fabs(y[i] - y[0]));
    ck_assert_double_lt(err, 0.2 * spread);
    free(ga), free(gb);
    mlp_workspace_free(ws);
    mlp_trainer_free(ta), mlp_trainer_free(tb);
    mlp_net_free(a), mlp_net_free(b);
}
END_TEST

/* A network created and trained without mlp_net_init learns (1.5); zeros do not. */
START_TEST(a_new_network_learns)
{
    blobs();
    double acc[2];
    for (int zeros = 0; zeros < 2; zeros++) {
        const mlp_layer_spec spec[3] = {MLP_LAYER(16, MLP_ACT_RELU, 1),
                                        MLP_LAYER(16, MLP_ACT_RELU, 1),
                                        MLP_LAYER(K, MLP_ACT_SOFTMAX, 1)};
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create(&net, IN, spec, 3), MLP_OK);
        if (zeros) ck_assert_int_eq(mlp_net_init(net, MLP_INIT_ZEROS, 0), MLP_OK);
        const mlp_dataset d = MLP_DATASET_CLASSES(bx, IN, blabel, K, N);
        ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
        mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
        o.learning_rate = 0.01;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 32),
                         MLP_OK);
        mlp_fit_options f = tu_fit_options();
        f.epochs = 50;
        ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &f), MLP_OK);
        mlp_workspace *ws;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
        mlp_scores sc;
        mlp_scores_init(&sc, sizeof sc);
        ck_assert_int_eq(mlp_net_score(net, ws, &sc, NULL, &d), MLP_OK);
        acc[zeros] = sc.accuracy;
        mlp_workspace_free(ws);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    ck_assert_double_ge(acc[0], 0.95);
    /* every relu unit dead at 0: no gradient reaches the weights; the biases learn the
     * classes' shares, a third each */
    ck_assert_double_le(acc[1], 0.34);
}
END_TEST

/* The validation rows of a class-sorted set are drawn from every class. Observed
 * through a network that predicts class 0 for every row (its output bias) and does not
 * move (SGD at a rate of 1e-300): its validation accuracy is class 0's share of the
 * validation rows. */
START_TEST(validation_rows_are_drawn_by_class)
{
    blobs();
    const mlp_layer_spec spec = MLP_LAYER(K, MLP_ACT_SOFTMAX, 1);
    double share[2];
    for (int old = 0; old < 2; old++) {
        mlp_net *net;
        ck_assert_int_eq(mlp_net_create(&net, IN, &spec, 1), MLP_OK);
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_ZEROS, 0), MLP_OK);
        const double bias[K] = {5, 0, 0};
        ck_assert_int_eq(mlp_net_set_bias(net, 0, bias, K), MLP_OK);
        mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
        o.learning_rate = 1e-300;
        mlp_trainer *tr;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &o, 32),
                         MLP_OK);
        mlp_fit_options f = tu_fit_options();
        f.epochs = 1;
        f.validation_fraction = 0.2;
        mlp_fit_result r = tu_fit_result();
        const mlp_dataset d = MLP_DATASET(bx, IN, bonehot, K, N);
        ck_assert_int_eq(mlp_trainer_fit(tr, &r, old ? TU_DATA(bx, bonehot, N) : &d, &f), MLP_OK);
        share[old] = r.val_metric[0];
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    ck_assert_double_eq_tol(share[0], 10.0 / 30.0, 1e-12); /* 10 rows of each class */
    ck_assert_double_eq(share[1], 0.0); /* a 1.4 program's: the last 30 rows, class 2 */
}
END_TEST

/* Scores of hand-made predictions: a network whose output is its input (identity
 * weights), so the rows are their own predictions. */
START_TEST(scores_are_the_definitions)
{
    const mlp_layer_spec soft = MLP_LAYER(3, MLP_ACT_SOFTMAX, 1);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 3, &soft, 1), MLP_OK);
    const double eye[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, zero[3] = {0, 0, 0};
    ck_assert_int_eq(mlp_net_set_weights(net, 0, eye, 9), MLP_OK);
    ck_assert_int_eq(mlp_net_set_bias(net, 0, zero, 3), MLP_OK);
    /* 6 rows; the largest input is the predicted class: 0 0 1 2 2 2 */
    const double x[18] = {5, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 5, 0, 0, 5};
    const double truth[6] = {0, 1, 1, 2, 2, 0};
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK); /* 2 batches */
    mlp_scores s;
    ck_assert_int_eq(mlp_scores_init(&s, sizeof s), MLP_OK);
    size_t m[9];
    ck_assert_int_eq(mlp_net_score(net, ws, &s, m, &(const mlp_dataset)MLP_DATASET_CLASSES(x, 3, truth, 3, 6)),
                     MLP_OK);
    /* confusion (rows truth): class 0: 0→0, 0→2; class 1: 1→0, 1→1; class 2: 2→2, 2→2 */
    const size_t want[9] = {1, 0, 1, 1, 1, 0, 0, 0, 2};
    ck_assert_mem_eq(m, want, sizeof want);
    ck_assert_uint_eq(s.n, 6);
    ck_assert_uint_eq(s.n_classes, 3);
    ck_assert_double_eq_tol(s.accuracy, 4.0 / 6.0, 1e-15);
    /* recalls 1/2, 1/2, 1 */
    ck_assert_double_eq_tol(s.balanced_accuracy, 2.0 / 3.0, 1e-15);
    /* F1: class 0 (tp 1, fp 1, fn 1) 1/2; class 1 (tp 1, fp 0, fn 1) 2/3; class 2 (tp 2,
     * fp 1, fn 0) 4/5 */
    ck_assert_double_eq_tol(s.macro_f1, (0.5 + 2.0 / 3.0 + 0.8) / 3.0, 1e-15);
    ck_assert(isnan(s.mse) && isnan(s.r2));
    /* the same from one-hot targets */
    const double hot[18] = {1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0};
    mlp_scores t;
    mlp_scores_init(&t, sizeof t);
    ck_assert_int_eq(mlp_net_score(net, ws, &t, NULL, &(const mlp_dataset)MLP_DATASET(x, 3, hot, 3, 6)),
                     MLP_OK);
    ck_assert_double_eq(t.accuracy, s.accuracy);
    ck_assert_double_eq(t.macro_f1, s.macro_f1);
    /* a class out of range, a dataset without shape */
    const double bad[6] = {0, 1, 3, 2, 2, 0};
    ck_assert_int_eq(mlp_net_score(net, ws, &s, m, &(const mlp_dataset)MLP_DATASET_CLASSES(x, 3, bad, 3, 6)),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_score(net, ws, &s, m, TU_DATA(x, hot, 6)), MLP_ERR_INVALID_ARG);
    mlp_workspace_free(ws);
    mlp_net_free(net);

    /* a regression, in the targets' units: an identity network 1 -> 1 (w 1, b 0) with
     * target scaling, against the definitions (R² = 1 - SS_res / SS_tot) */
    const mlp_layer_spec lin = MLP_LAYER(1, MLP_ACT_IDENTITY, 0);
    ck_assert_int_eq(mlp_net_create(&net, 1, &lin, 1), MLP_OK);
    mlp_net_params(net)[0] = 1;
    const double rx[4] = {1, 2, 3, 4}, ry[4] = {1, 2, 4, 3};
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_score(net, ws, &s, NULL, &(const mlp_dataset)MLP_DATASET(rx, 1, ry, 1, 4)),
                     MLP_OK);
    ck_assert_uint_eq(s.n_classes, 0);
    ck_assert_double_eq_tol(s.mse, 0.5, 1e-15);   /* errors 0 0 -1 1 */
    ck_assert_double_eq_tol(s.mae, 0.5, 1e-15);
    ck_assert_double_eq_tol(s.r2, 1 - 2 / 5.0, 1e-15); /* SS_tot about 2.5: 5 */
    ck_assert(isnan(s.accuracy));
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* A split of a dataset stratifies by class only for a dataset of classes: a
 * regression's whole-number targets (diabetes' progression: 25 to 346, below its 442
 * rows) passed to mlp_split as labels passed for classes, most of one row, and held
 * out 14 % of the rows instead of 20 %. */
START_TEST(a_split_knows_classes_from_values)
{
    enum { R = 442 };
    static double x[R], y[R];
    for (int i = 0; i < R; i++) {
        x[i] = i;
        y[i] = 25 + (i * 37) % 322; /* whole numbers, as progression is */
    }
    size_t order[R], n_train;
    ck_assert_int_eq(mlp_dataset_split(order, &n_train, TU_ROWS(x, 1, y, 1, R), 0.2, 1), MLP_OK);
    ck_assert_uint_eq(R - n_train, 88); /* llround(0.2 * 442) */
    ck_assert_int_eq(mlp_split(order, &n_train, R, 0.2, y, 1), MLP_OK); /* the trap */
    ck_assert_uint_lt(R - n_train, 80);
    /* classes: each class its share */
    blobs();
    ck_assert_int_eq(mlp_dataset_split(order, &n_train, &(const mlp_dataset)MLP_DATASET_CLASSES(bx, IN, blabel, K, N), 0.2, 1),
                     MLP_OK);
    size_t per[K] = {0};
    for (size_t i = n_train; i < N; i++) per[(int)blabel[order[i]]]++;
    for (int k = 0; k < K; k++) ck_assert_uint_eq(per[k], 10);
    ck_assert_int_eq(mlp_dataset_split(order, &n_train, TU_DATA(x, y, R), 0.2, 1),
                     MLP_ERR_INVALID_ARG);
}
END_TEST

/* Settings that a method would ignore are refused; its own defaults need no telling. */
START_TEST(settings_mean_what_they_say)
{
    for (int k = MLP_OPT_IRPROP_MINUS; k <= MLP_OPT_LM; k++) {
        mlp_optimizer o = tu_optimizer((mlp_optimizer_kind)k);
        ck_assert_double_eq(o.learning_rate, 0);
        mlp_net *net = tu_one_weight(0);
        mlp_trainer *tr;
        o.learning_rate = 0.01;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 4), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "has no learning rate"));
        o.learning_rate = 0;
        ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 4), MLP_OK);
        ck_assert_double_eq(mlp_trainer_learning_rate(tr), 0);
        ck_assert_int_eq(mlp_trainer_set_learning_rate(tr, 0.1), MLP_ERR_INVALID_ARG);
        const double x[6] = {-1, -0.5, 0, 0.5, 1, 1.5}, y[6] = {-3, -1.5, 0, 1.5, 3, 4.5};
        mlp_fit_options f = tu_fit_options(); /* batch_size left at MLP_BATCH_AUTO */
        f.epochs = 200;
        ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_ROWS(x, 1, y, 1, 6), &f), MLP_OK);
        ck_assert_double_eq_tol(mlp_net_params_const(net)[0], 3, 1e-6);
        mlp_trainer_free(tr);
        mlp_net_free(net);
    }
    /* a layer written in 0.x's positional layout: the message names the cause */
    const mlp_layer_spec old[1] = {
        {64, MLP_ACT_RELU, (mlp_activation)1, 0, MLP_LAYER_DENSE, 0.0, 0.0, 0.0}}; /* {64, relu, 1} */
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 3, old, 1), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "MLP_LAYER(size, activation, bias)"));
    const mlp_layer_spec shorter[1] = {{16, 1, MLP_ACT_RELU, 1, MLP_LAYER_DENSE, 0.0, 0.0, 0.0}};
    ck_assert_int_eq(mlp_net_create(&net, 3, shorter, 1), MLP_ERR_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, class_column_as_values_is_refused);
    tcase_add_test(tc, classes_are_their_one_hot_rows);
    tcase_add_loop_test(tc, the_model_scales_what_it_is_given, 0, 2); /* both precisions */
    tcase_add_test(tc, a_new_network_learns);
    tcase_add_test(tc, validation_rows_are_drawn_by_class);
    tcase_add_test(tc, scores_are_the_definitions);
    tcase_add_test(tc, settings_mean_what_they_say);
    tcase_add_test(tc, a_split_knows_classes_from_values);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
