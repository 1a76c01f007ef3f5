/* mlp: train, evaluate, inspect and export libmlp models from the command line.
 *
 *   mlp train DATA.csv --target COLUMN [options] -o MODEL.mlp
 *   mlp predict MODEL.mlp DATA.csv [-o OUT.csv]
 *   mlp eval MODEL.mlp DATA.csv
 *   mlp info MODEL.mlp [--plot CURVE.png]
 *   mlp export MODEL.mlp [-o MODEL.c] [--name NAME]
 *
 * Exit status: 0 done, 1 failed (the message says why), 2 bad usage. */
#define _POSIX_C_SOURCE 200809L
#include <csv.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mlp.h>

enum { EXIT_USAGE = 2 };

static const char *prog = "mlp";

/* A temporary output file to remove if the command fails before renaming it. */
static char pending[4096];

/* "mlp: MESSAGE" on stderr; then the way out: status 2 after a usage hint, or 1 after
 * removing a half-written output. */
static void leave(int status, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0), noreturn));
static void leave(int status, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (status == EXIT_USAGE) fprintf(stderr, "Try '%s --help'.\n", prog);
    if (pending[0] != '\0') remove(pending); /* the output stays as it was */
    exit(status);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    leave(EXIT_USAGE, fmt, ap);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    leave(EXIT_FAILURE, fmt, ap);
}

/* A command's output: stdout, or (-o PATH) a temporary file beside PATH that
 * commit_output renames over it once everything is written; until then a failure
 * removes it (pending) and PATH stays as it was. */
static FILE *open_output(const char *path)
{
    if (path == NULL) return stdout;
    char tmp[sizeof pending];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *out = fopen(tmp, "w");
    if (out == NULL) die("%s: %s", tmp, strerror(errno));
    snprintf(pending, sizeof pending, "%s", tmp);
    return out;
}

static void commit_output(FILE *out, const char *path)
{
    if (out == stdout) return;
    if (fclose(out) != 0) die("%s: %s", pending, strerror(errno));
    if (rename(pending, path) != 0) die("%s: %s", path, strerror(errno));
    pending[0] = '\0';
}

/* A library call that must succeed. */
static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) die("%s: %s", what, mlp_error_detail());
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) die("out of memory (%zu bytes)", n);
    return p;
}

static const char help[] =
    "Usage: mlp COMMAND [OPTION]... ARGUMENT...\n"
    "Train, evaluate, inspect and export libmlp neural networks.\n"
    "\n"
    "Commands:\n"
    "  train DATA.csv --target COLUMN -o MODEL.mlp\n"
    "                 train a network on a CSV file (classification or regression,\n"
    "                 decided from the target column unless --task says)\n"
    "  predict MODEL DATA.csv [-o OUT.csv]\n"
    "                 predict every row (streamed: files larger than memory are fine)\n"
    "  eval MODEL DATA.csv\n"
    "                 accuracy, confusion matrix, precision/recall/F1 per class; or MSE,\n"
    "                 MAE and R^2\n"
    "  info MODEL [--plot CURVE.png]\n"
    "                 layers, parameters, provenance, columns, classes, loss curve\n"
    "  export MODEL [-o MODEL.c] [--name NAME]\n"
    "                 one standalone C99 file with NAME_predict() (stdout without -o)\n"
    "\n"
    "Options of train:\n"
    "  -t, --target LIST      target column(s), comma-separated (default: the last)\n"
    "      --inputs LIST      input columns (default: all the others)\n"
    "      --task TASK        auto (default), classification, regression\n"
    "      --hidden LIST      hidden layer sizes (default 64,32)\n"
    "      --activation NAME  hidden activation (default relu)\n"
    "      --epochs N         (default 200)\n"
    "      --batch N          rows per step, 0 for all (default 32)\n"
    "      --optimizer NAME   sgd, momentum, nesterov, adam (default), irprop-, lbfgs, lm\n"
    "      --lr X             learning rate (default: the optimizer's)\n"
    "      --weight-decay X   L2 decay (default 0)\n"
    "      --validation F     fraction of the training rows to validate on (default 0.1)\n"
    "      --patience N       epochs without improvement before stopping (default 10;\n"
    "                         0: no early stopping)\n"
    "      --test F           fraction held out to score the model (default 0.2; 0: none)\n"
    "      --scale NAME       standard (default), minmax, none\n"
    "      --seed N           (default 1)\n"
    "  -o, --output FILE      where the model goes (default model.mlp)\n"
    "  -q, --quiet            no progress\n"
    "Options of every command that reads CSV:\n"
    "  -d, --delimiter C      the field separator (default ,)\n"
    "      --no-header        the file has no header row (columns are named 1, 2, ...)\n"
    "\n"
    "Ctrl-C while training stops after the epoch and saves the best model so far; a\n"
    "second Ctrl-C quits at once and leaves the output file as it was.\n"
    "Exit status: 0 done, 1 failed, 2 bad usage.\n";

/* ---- options --------------------------------------------------------------------- */

typedef struct opts {
    const char *target, *inputs, *output, *plot, *name;
    mlp_task task;
    size_t hidden[16], n_hidden;
    mlp_activation activation;
    size_t epochs, batch, patience;
    int patience_set;
    mlp_optimizer_kind optimizer;
    double lr, weight_decay, validation, test;
    mlp_scaling scale;
    unsigned long long seed;
    char delimiter;
    int header, quiet;
} opts;

static double number(const char *s, const char *what)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
        usage_error("%s: '%s' is not a number", what, s);
    return v;
}

static size_t count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || s[0] == '-' || v > (unsigned long long)1 << 40)
        usage_error("%s: '%s' is not a count", what, s);
    return (size_t)v;
}

enum {
    OPT_INPUTS = 256, OPT_TASK, OPT_HIDDEN, OPT_ACTIVATION, OPT_EPOCHS, OPT_BATCH, OPT_OPTIMIZER,
    OPT_LR, OPT_DECAY, OPT_VALIDATION, OPT_PATIENCE, OPT_TEST, OPT_SCALE, OPT_SEED, OPT_NO_HEADER,
    OPT_PLOT, OPT_NAME, OPT_HELP, OPT_VERSION
};

static const struct option long_options[] = {
    {"target", required_argument, NULL, 't'},
    {"inputs", required_argument, NULL, OPT_INPUTS},
    {"task", required_argument, NULL, OPT_TASK},
    {"hidden", required_argument, NULL, OPT_HIDDEN},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"lr", required_argument, NULL, OPT_LR},
    {"weight-decay", required_argument, NULL, OPT_DECAY},
    {"validation", required_argument, NULL, OPT_VALIDATION},
    {"patience", required_argument, NULL, OPT_PATIENCE},
    {"test", required_argument, NULL, OPT_TEST},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"delimiter", required_argument, NULL, 'd'},
    {"no-header", no_argument, NULL, OPT_NO_HEADER},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"name", required_argument, NULL, OPT_NAME},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void parse_options(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->task = MLP_TASK_AUTO;
    o->hidden[0] = 64, o->hidden[1] = 32, o->n_hidden = 2;
    o->activation = MLP_ACT_RELU;
    o->epochs = 200;
    o->batch = 32;
    o->patience = 10;
    o->optimizer = MLP_OPT_ADAM;
    o->lr = 0;
    o->validation = 0.1;
    o->test = 0.2;
    o->scale = MLP_SCALE_STANDARD;
    o->seed = 1;
    o->delimiter = ',';
    o->header = 1;
    o->output = NULL;
    o->name = "model";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+t:o:qd:", long_options, NULL)) != -1) {
        switch (c) {
        case 't': o->target = optarg; break;
        case OPT_INPUTS: o->inputs = optarg; break;
        case OPT_TASK:
            if (!strcmp(optarg, "auto")) o->task = MLP_TASK_AUTO;
            else if (!strcmp(optarg, "classification")) o->task = MLP_TASK_CLASSIFICATION;
            else if (!strcmp(optarg, "regression")) o->task = MLP_TASK_REGRESSION;
            else usage_error("--task: '%s' is not auto, classification or regression", optarg);
            break;
        case OPT_HIDDEN: {
            o->n_hidden = 0;
            char *copy = xmalloc(strlen(optarg) + 1), *save = NULL;
            strcpy(copy, optarg);
            for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
                if (o->n_hidden == 16) usage_error("--hidden: at most 16 layers");
                o->hidden[o->n_hidden] = count(t, "--hidden");
                if (o->hidden[o->n_hidden] == 0) usage_error("--hidden: a layer of 0 nodes");
                o->n_hidden++;
            }
            free(copy);
            break;
        }
        case OPT_ACTIVATION:
            if (mlp_activation_from_name(&o->activation, optarg) != MLP_OK)
                usage_error("--activation: unknown activation '%s'", optarg);
            break;
        case OPT_EPOCHS: o->epochs = count(optarg, "--epochs"); break;
        case OPT_BATCH: o->batch = count(optarg, "--batch"); break;
        case OPT_OPTIMIZER:
            if (mlp_optimizer_from_name(&o->optimizer, optarg) != MLP_OK)
                usage_error("--optimizer: unknown optimizer '%s'", optarg);
            break;
        case OPT_LR: o->lr = number(optarg, "--lr"); break;
        case OPT_DECAY: o->weight_decay = number(optarg, "--weight-decay"); break;
        case OPT_VALIDATION: o->validation = number(optarg, "--validation"); break;
        case OPT_PATIENCE: o->patience = count(optarg, "--patience"), o->patience_set = 1; break;
        case OPT_TEST: o->test = number(optarg, "--test"); break;
        case OPT_SCALE:
            if (!strcmp(optarg, "standard")) o->scale = MLP_SCALE_STANDARD;
            else if (!strcmp(optarg, "minmax")) o->scale = MLP_SCALE_MINMAX;
            else if (!strcmp(optarg, "none")) o->scale = MLP_SCALE_NONE;
            else usage_error("--scale: '%s' is not standard, minmax or none", optarg);
            break;
        case OPT_SEED: o->seed = (unsigned long long)count(optarg, "--seed"); break;
        case 'o': o->output = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'd':
            if (strlen(optarg) != 1) usage_error("--delimiter: one character, not '%s'", optarg);
            o->delimiter = optarg[0];
            break;
        case OPT_NO_HEADER: o->header = 0; break;
        case OPT_PLOT: o->plot = optarg; break;
        case OPT_NAME: o->name = optarg; break;
        case OPT_HELP: fputs(help, stdout), exit(EXIT_SUCCESS);
        case OPT_VERSION: printf("mlp (libmlp) %s\n", mlp_version()), exit(EXIT_SUCCESS);
        case ':': usage_error("%s needs an argument", argv[optind - 1]);
        default: usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (o->validation < 0 || o->validation >= 1)
        usage_error("--validation: %g is not in [0, 1)", o->validation);
    if (o->test < 0 || o->test >= 1) usage_error("--test: %g is not in [0, 1)", o->test);
}

static mlp_csv_options csv_options(const opts *o)
{
    mlp_csv_options c;
    check(mlp_csv_options_init(&c, sizeof c), "mlp_csv_options_init");
    c.header = o->header;
    c.delimiter = o->delimiter;
    return c;
}

/* ---- train --------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted = 0;

static void on_sigint(int sig)
{
    (void)sig;
    if (interrupted) _exit(130); /* the second one: now, the output untouched */
    interrupted = 1;
    static const char note[] = "\nmlp: stopping after this epoch (Ctrl-C again to quit now)\n";
    ssize_t w = write(STDERR_FILENO, note, sizeof note - 1); /* async-signal-safe */
    (void)w;
}

typedef struct progress {
    int quiet, tty;
    size_t epochs;
    double start;
    int printed;
} progress;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int report(const mlp_epoch_report *r, void *user)
{
    progress *p = user;
    if (!p->quiet) {
        const double elapsed = now() - p->start;
        const double eta = elapsed / (double)r->epoch * (double)(p->epochs - r->epoch);
        fprintf(stderr, "%sepoch %zu/%zu  loss %.6g", p->tty ? "\r" : "", r->epoch, p->epochs,
                r->loss);
        if (!isnan(r->val_loss)) fprintf(stderr, "  validation %.6g", r->val_loss);
        fprintf(stderr, "  %.1f s  ETA %.0f s%s", elapsed, eta, p->tty ? "   " : "\n");
        p->printed = 1;
    }
    return interrupted != 0;
}

/* The model's names of n columns, as an array for the CSV options. */
static const char **names_of(const char *(*name)(const mlp_net *, size_t), const mlp_net *net,
                             size_t n, const char *what)
{
    const char **a = xmalloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        a[i] = name(net, i);
        if (a[i] == NULL) die("the model does not name its %s columns", what);
    }
    return a;
}

/* Scores of predictions on raw rows, printed. */
static void score(const mlp_net *net, const double *x, const double *y, size_t n, FILE *out)
{
    const size_t k = mlp_net_n_outputs(net), classes = mlp_net_n_classes(net);
    mlp_workspace *ws;
    check(mlp_workspace_create(&ws, net, n), "mlp_workspace_create");
    double *p = xmalloc(n * k * sizeof *p);
    check(mlp_net_predict_raw(net, ws, p, x, n), "mlp_net_predict_raw");
    if (classes > 0) {
        size_t *truth = xmalloc(n * sizeof *truth), *pred = xmalloc(n * sizeof *pred);
        size_t *m = xmalloc(classes * classes * sizeof *m);
        for (size_t i = 0; i < n; i++) truth[i] = (size_t)y[i];
        if (k == 1)
            for (size_t i = 0; i < n; i++) pred[i] = p[i] > 0.5;
        else
            check(mlp_argmax(pred, p, n, k), "mlp_argmax");
        check(mlp_confusion(m, truth, pred, n, classes), "mlp_confusion");
        size_t right = 0, width = 9;
        for (size_t c = 0; c < classes; c++) {
            right += m[c * classes + c];
            if (strlen(mlp_net_class_name(net, c)) > width) width = strlen(mlp_net_class_name(net, c));
        }
        if (width > 24) width = 24;
        fprintf(out, "accuracy %.4f (%zu of %zu rows)\n\nconfusion matrix (rows: true class, "
                     "columns: predicted)\n%*s", (double)right / (double)n, right, n, (int)width, "");
        for (size_t c = 0; c < classes; c++) fprintf(out, " %*.*s", (int)width, (int)width,
                                                     mlp_net_class_name(net, c));
        fputc('\n', out);
        for (size_t t = 0; t < classes; t++) {
            fprintf(out, "%*.*s", (int)width, (int)width, mlp_net_class_name(net, t));
            for (size_t c = 0; c < classes; c++) fprintf(out, " %*zu", (int)width, m[t * classes + c]);
            fputc('\n', out);
        }
        double *pr = xmalloc(classes * sizeof *pr), *rc = xmalloc(classes * sizeof *rc),
               *f1 = xmalloc(classes * sizeof *f1);
        check(mlp_class_scores(pr, rc, f1, m, classes), "mlp_class_scores");
        fprintf(out, "\n%*s %9s %9s %9s %9s\n", (int)width, "class", "precision", "recall", "F1",
                "support");
        for (size_t c = 0; c < classes; c++) {
            size_t support = 0;
            for (size_t j = 0; j < classes; j++) support += m[c * classes + j];
            fprintf(out, "%*.*s %9.4f %9.4f %9.4f %9zu\n", (int)width, (int)width,
                    mlp_net_class_name(net, c), pr[c], rc[c], f1[c], support);
        }
        free(pr), free(rc), free(f1), free(truth), free(pred), free(m);
    } else {
        double mse, mae, r2;
        check(mlp_regression_scores(&mse, &mae, &r2, p, y, n, k), "mlp_regression_scores");
        fprintf(out, "MSE %.6g  MAE %.6g  R^2 %.4f  (%zu rows, in the targets' units)\n", mse, mae,
                r2, n);
    }
    free(p);
    mlp_workspace_free(ws);
}

static int cmd_train(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("train takes one CSV file, not %d arguments", argc);
    const char *output = o->output != NULL ? o->output : "model.mlp";
    mlp_csv_options co = csv_options(o);
    co.target = o->target;
    co.inputs = o->inputs;
    co.task = o->task;
    mlp_table *t;
    check(mlp_table_read_csv(&t, argv[0], &co), "reading the data");
    const size_t n = mlp_table_rows(t), in = mlp_table_n_inputs(t), nt = mlp_table_n_targets(t);
    if (nt == 0) die("%s: no target column", argv[0]);
    const int cls = mlp_table_is_classification(t);
    const size_t classes = mlp_table_n_classes(t);
    if (cls && classes < 2) die("%s: the target has one class only", argv[0]);
    const size_t k = cls ? classes : nt;
    if (!o->quiet)
        fprintf(stderr, "%s: %zu rows, %zu inputs, %s of %s%s\n", argv[0], n, in,
                cls ? "classification" : "regression", mlp_table_target_name(t, 0),
                cls ? "" : nt > 1 ? " and more" : "");

    /* train and test rows, the test rows held out (stratified by class) */
    size_t *order = xmalloc(n * sizeof *order), n_train = n;
    if (o->test > 0) {
        check(mlp_split(order, &n_train, n, o->test, cls ? mlp_table_targets(t) : NULL, o->seed),
              "mlp_split");
    } else {
        for (size_t i = 0; i < n; i++) order[i] = i;
    }
    const size_t n_test = n - n_train;
    double *x = xmalloc(n * in * sizeof *x), *y = xmalloc(n * nt * sizeof *y);
    check(mlp_gather_rows(x, mlp_table_inputs(t), in, order, n), "mlp_gather_rows");
    check(mlp_gather_rows(y, mlp_table_targets(t), nt, order, n), "mlp_gather_rows");

    /* the network */
    mlp_layer_spec spec[17];
    for (size_t l = 0; l < o->n_hidden; l++)
        spec[l] = (mlp_layer_spec)MLP_LAYER(o->hidden[l], o->activation, 1);
    spec[o->n_hidden] = (mlp_layer_spec)MLP_LAYER(k, cls ? MLP_ACT_SOFTMAX : MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    check(mlp_net_create(&net, in, spec, o->n_hidden + 1), "the network");
    const int relu_like = o->activation == MLP_ACT_RELU || o->activation == MLP_ACT_LEAKY_RELU;
    check(mlp_net_init(net, relu_like ? MLP_INIT_HE : MLP_INIT_XAVIER, o->seed), "mlp_net_init");
    const char **names = xmalloc((in + nt) * sizeof *names);
    for (size_t i = 0; i < in; i++) names[i] = mlp_table_input_name(t, i);
    for (size_t i = 0; i < nt; i++) names[in + i] = mlp_table_target_name(t, i);
    check(mlp_net_set_columns(net, names, names + in, nt), "mlp_net_set_columns");
    free(names);
    if (cls) {
        const char **labels = xmalloc(classes * sizeof *labels);
        for (size_t c = 0; c < classes; c++) labels[c] = mlp_table_class_name(t, c);
        check(mlp_net_set_classes(net, labels, classes), "mlp_net_set_classes");
        free(labels);
    }

    /* the rows as they come: the scaling, fitted on the training rows only, lives in
     * the model, which applies it to every row it is given */
    const mlp_dataset raw_train = cls ? (mlp_dataset)MLP_DATASET_CLASSES(x, in, y, classes, n_train)
                                      : (mlp_dataset)MLP_DATASET(x, in, y, nt, n_train);
    check(mlp_net_fit_scaling(net, o->scale, cls ? MLP_SCALE_NONE : o->scale, &raw_train),
          "mlp_net_fit_scaling");

    mlp_optimizer opt;
    check(mlp_optimizer_init(&opt, sizeof opt, o->optimizer), "mlp_optimizer_init");
    if (o->lr > 0) opt.learning_rate = o->lr;
    opt.weight_decay = o->weight_decay;
    const mlp_loss loss = cls ? MLP_LOSS_CATEGORICAL_CROSSENTROPY : MLP_LOSS_MSE;
    const int full = o->optimizer == MLP_OPT_LBFGS || o->optimizer == MLP_OPT_LM ||
                     o->optimizer == MLP_OPT_IRPROP_MINUS;
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, loss, &opt, full || o->batch == 0 ? n_train : o->batch),
          "the trainer");
    mlp_fit_options fit;
    check(mlp_fit_options_init(&fit, sizeof fit), "mlp_fit_options_init");
    fit.epochs = o->epochs;
    fit.batch_size = full ? MLP_BATCH_AUTO : o->batch;
    fit.seed = o->seed;
    fit.validation_fraction = o->validation;
    fit.patience = o->validation > 0 ? o->patience : 0;
    progress pg = {o->quiet, isatty(STDERR_FILENO), o->epochs, now(), 0};
    fit.callback = report;
    fit.user_data = &pg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    mlp_fit_result res;
    check(mlp_fit_result_init(&res, sizeof res), "mlp_fit_result_init");
    const mlp_status fs = mlp_trainer_fit(tr, &res, &raw_train, &fit);
    if (pg.printed && pg.tty) fputc('\n', stderr);
    if (fs != MLP_OK && res.epochs_run == 0) check(fs, "training");
    if (!o->quiet) {
        const char *why = res.stop == MLP_STOP_PATIENCE    ? "stopped early"
                          : res.stop == MLP_STOP_CALLBACK  ? "interrupted"
                          : res.stop == MLP_STOP_CONVERGED ? "converged"
                          : res.stop == MLP_STOP_EPOCHS    ? "done"
                                                           : "stopped: the loss left the numbers";
        fprintf(stderr, "%s after %zu epochs; kept epoch %zu (%s loss %.6g)\n", why,
                res.epochs_run, res.best_epoch, fit.validation_fraction > 0 ? "validation" : "training",
                res.best_loss);
    }
    check(mlp_net_save(net, output), "saving the model");
    if (!o->quiet) fprintf(stderr, "saved %s\n", output);
    if (n_test > 0 && !interrupted) {
        printf("test rows (%zu, held out):\n", n_test);
        score(net, x + n_train * in, y + n_train * nt, n_test, stdout);
    }
    mlp_trainer_free(tr);
    mlp_net_free(net);
    free(x), free(y), free(order);
    mlp_table_free(t);
    if (interrupted) {
        fprintf(stderr, "%s: interrupted: %s holds the best model so far\n", prog, output);
        return EXIT_FAILURE;
    }
    return fs == MLP_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- predict, eval --------------------------------------------------------------------- */

static mlp_net *load(const char *path)
{
    mlp_net *net;
    check(mlp_net_load(&net, path), "loading the model");
    return net;
}

/* A CSV field, quoted when it must be. */
static void put_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") != NULL) csv_fwrite(f, s, strlen(s));
    else fputs(s, f);
}

static int cmd_predict(const opts *o, int argc, char **argv)
{
    if (argc != 2) usage_error("predict takes a model and a CSV file");
    mlp_net *net = load(argv[0]);
    const size_t in = mlp_net_n_inputs(net), k = mlp_net_n_outputs(net);
    const size_t classes = mlp_net_n_classes(net);
    mlp_csv_options co = csv_options(o);
    const char **inputs = mlp_net_input_name(net, 0) != NULL && o->header
                              ? names_of(mlp_net_input_name, net, in, "input")
                              : NULL;
    co.input_names = inputs;
    co.n_input_names = inputs != NULL ? in : 0;
    co.target = "";
    mlp_csv_stream *st;
    check(mlp_csv_stream_open(&st, argv[1], &co), "reading the data");
    FILE *out = open_output(o->output);
    /* the header */
    const char *target = mlp_net_n_targets(net) > 0 ? mlp_net_target_name(net, 0) : "prediction";
    if (classes > 0) {
        put_field(out, target);
        for (size_t c = 0; c < classes && k > 1; c++) {
            char col[300];
            snprintf(col, sizeof col, "p(%s)", mlp_net_class_name(net, c));
            fputc(',', out);
            put_field(out, col);
        }
        if (k == 1) fprintf(out, ",p(%s)", mlp_net_class_name(net, 1));
    } else {
        for (size_t c = 0; c < k; c++) {
            char col[32];
            snprintf(col, sizeof col, "y%zu", c + 1);
            if (c) fputc(',', out);
            put_field(out, c < mlp_net_n_targets(net) ? mlp_net_target_name(net, c) : col);
        }
    }
    fputc('\n', out);
    enum { BLOCK = 4096 };
    mlp_workspace *ws;
    check(mlp_workspace_create(&ws, net, BLOCK), "mlp_workspace_create");
    double *p = xmalloc(BLOCK * k * sizeof *p);
    mlp_table *t;
    size_t rows = 0;
    while (1) {
        check(mlp_csv_stream_read(st, &t, BLOCK), "reading the data");
        if (t == NULL) break;
        const size_t m = mlp_table_rows(t);
        if (mlp_table_n_inputs(t) != in)
            die("%s: %zu input columns, the model takes %zu", argv[1], mlp_table_n_inputs(t), in);
        check(mlp_net_predict_raw(net, ws, p, mlp_table_inputs(t), m), "predicting");
        for (size_t r = 0; r < m; r++) {
            const double *q = p + r * k;
            if (classes > 0) {
                size_t best = 0;
                if (k == 1) best = q[0] > 0.5;
                else
                    for (size_t c = 1; c < k; c++) best = q[c] > q[best] ? c : best;
                put_field(out, mlp_net_class_name(net, best));
                for (size_t c = 0; c < k; c++) fprintf(out, ",%.17g", q[c]);
            } else {
                for (size_t c = 0; c < k; c++) fprintf(out, "%s%.17g", c ? "," : "", q[c]);
            }
            fputc('\n', out);
        }
        rows += m;
        mlp_table_free(t);
    }
    if (fflush(out) != 0 || ferror(out)) die("writing the predictions: %s", strerror(errno));
    commit_output(out, o->output);
    if (!o->quiet) fprintf(stderr, "%zu rows predicted\n", rows);
    free(p);
    free(inputs);
    mlp_workspace_free(ws);
    mlp_csv_stream_close(st);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

static int cmd_eval(const opts *o, int argc, char **argv)
{
    if (argc != 2) usage_error("eval takes a model and a CSV file");
    mlp_net *net = load(argv[0]);
    const size_t in = mlp_net_n_inputs(net), classes = mlp_net_n_classes(net);
    const size_t nt = mlp_net_n_targets(net);
    if (nt == 0) die("%s: the model does not name its target column", argv[0]);
    mlp_csv_options co = csv_options(o);
    const char **inputs = names_of(mlp_net_input_name, net, in, "input");
    const char **targets = names_of(mlp_net_target_name, net, nt, "target");
    if (o->header) {
        co.input_names = inputs;
        co.n_input_names = in;
    }
    co.target_names = targets;
    co.n_target_names = nt;
    const char **labels = NULL;
    if (classes > 0) {
        labels = xmalloc(classes * sizeof *labels);
        for (size_t c = 0; c < classes; c++) labels[c] = mlp_net_class_name(net, c);
        co.task = MLP_TASK_CLASSIFICATION;
        co.classes = labels;
        co.n_classes = classes;
    } else {
        co.task = MLP_TASK_REGRESSION;
    }
    mlp_table *t;
    check(mlp_table_read_csv(&t, argv[1], &co), "reading the data");
    if (mlp_table_n_inputs(t) != in)
        die("%s: %zu input columns, the model takes %zu", argv[1], mlp_table_n_inputs(t), in);
    score(net, mlp_table_inputs(t), mlp_table_targets(t), mlp_table_rows(t), stdout);
    mlp_table_free(t);
    free(labels), free(inputs), free(targets);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

/* ---- info, export --------------------------------------------------------------------- */

static int cmd_info(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("info takes one model");
    mlp_net *net = load(argv[0]);
    printf("%s: %zu inputs", argv[0], mlp_net_n_inputs(net));
    for (size_t l = 0; l < mlp_net_n_layers(net); l++) {
        mlp_layer_spec li;
        check(mlp_layer_spec_init(&li, sizeof li), "mlp_layer_spec_init");
        check(mlp_net_layer(net, l, &li, NULL), "mlp_net_layer");
        printf(" -> %zu %s%s", li.size, mlp_activation_name(li.activation),
               li.bias ? "" : " (no bias)");
    }
    printf("; %zu parameters\n", mlp_net_n_params(net));
    mlp_provenance pv;
    mlp_optimizer opt;
    check(mlp_provenance_init(&pv, sizeof pv), "mlp_provenance_init");
    check(mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_SGD), "mlp_optimizer_init");
    check(mlp_net_provenance(net, &pv, &opt), "mlp_net_provenance");
    printf("written by libmlp %s\n", pv.library_version);
    if (pv.trained)
        printf("trained: %zu epochs, %s, %s (learning rate %g), batch %zu, seed %llu\n", pv.epochs,
               mlp_loss_name(pv.loss), mlp_optimizer_name(opt.kind), opt.learning_rate,
               pv.batch_size, (unsigned long long)pv.seed);
    else
        printf("not trained\n");
    if (mlp_net_input_name(net, 0) != NULL) {
        printf("inputs:");
        for (size_t i = 0; i < mlp_net_n_inputs(net); i++) {
            const char *nm = mlp_net_input_name(net, i);
            printf(strpbrk(nm, ", ") != NULL ? "%s \"%s\"" : "%s %s", i ? "," : "", nm);
        }
        printf("\n");
    }
    for (size_t i = 0; i < mlp_net_n_targets(net); i++)
        printf("%s %s\n", i ? "       " : "target:", mlp_net_target_name(net, i));
    if (mlp_net_n_classes(net) > 0) {
        printf("classes:");
        for (size_t c = 0; c < mlp_net_n_classes(net); c++) printf("%s %s", c ? "," : "", mlp_net_class_name(net, c));
        printf("\n");
    }
    const double *h = NULL;
    size_t epochs = 0;
    check(mlp_net_loss_history(net, &h, &epochs), "mlp_net_loss_history");
    if (epochs > 0) {
        double best = h[0];
        size_t at = 0;
        for (size_t e = 1; e < epochs; e++)
            if (h[e] < best) best = h[e], at = e;
        printf("training loss: epoch 1 %.6g, epoch %zu %.6g, lowest %.6g at epoch %zu\n", h[0],
               epochs, h[epochs - 1], best, at + 1);
    }
    if (o->plot != NULL) {
        if (epochs == 0) die("%s: no loss history to plot", argv[0]);
        FILE *g = popen("gnuplot", "w");
        if (g == NULL) die("cannot run gnuplot: %s", strerror(errno));
        fprintf(g, "set terminal pngcairo size 800,480\nset output '%s'\nset logscale y\n"
                   "set xlabel 'epoch'\nset ylabel 'training loss'\nset grid\n"
                   "plot '-' using 1:2 with lines lw 2 notitle\n", o->plot);
        for (size_t e = 0; e < epochs; e++) fprintf(g, "%zu %.17g\n", e + 1, h[e]);
        fprintf(g, "e\n");
        const int st = pclose(g);
        if (st != 0) die("gnuplot failed (status %d): is it installed (apt-get install gnuplot-nox)?", st);
        printf("plot: %s\n", o->plot);
    }
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

static int cmd_export(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("export takes one model");
    mlp_net *net = load(argv[0]);
    FILE *out = open_output(o->output);
    const mlp_status s = mlp_net_export_c(net, out, o->name);
    check(s, "exporting"); /* on failure the temporary file goes, the output stays */
    commit_output(out, o->output);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc < 2) usage_error("a command is needed: train, predict, eval, info or export");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, stdout);
        return EXIT_SUCCESS;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mlp (libmlp) %s\n", mlp_version());
        return EXIT_SUCCESS;
    }
    const char *cmd = argv[1];
    opts o;
    /* options may come before or after the arguments: gather both */
    char **args = xmalloc((size_t)argc * sizeof *args);
    int nargs = 0, nrest = 1;
    char **rest = xmalloc(((size_t)argc + 1) * sizeof *rest);
    rest[0] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] != '\0') {
            rest[nrest++] = argv[i];
            /* an option's separate argument goes with it */
            const int takes = (!strcmp(a, "-t") || !strcmp(a, "-o") || !strcmp(a, "-d") ||
                               (a[1] == '-' && strchr(a, '=') == NULL && strcmp(a, "--quiet") &&
                                strcmp(a, "--no-header") && strcmp(a, "--help") &&
                                strcmp(a, "--version")));
            if (takes && i + 1 < argc) rest[nrest++] = argv[++i];
        } else {
            args[nargs++] = argv[i];
        }
    }
    rest[nrest] = NULL;
    parse_options(&o, nrest, rest);
    int status;
    if (!strcmp(cmd, "train")) status = cmd_train(&o, nargs, args);
    else if (!strcmp(cmd, "predict")) status = cmd_predict(&o, nargs, args);
    else if (!strcmp(cmd, "eval")) status = cmd_eval(&o, nargs, args);
    else if (!strcmp(cmd, "info")) status = cmd_info(&o, nargs, args);
    else if (!strcmp(cmd, "export")) status = cmd_export(&o, nargs, args);
    else usage_error("unknown command '%s'", cmd);
    free(args);
    free(rest);
    return status;
}
