/* mlp: train, evaluate, inspect and export libmlp models from the command line.
 *
 *   mlp train DATA.csv --target COLUMN [options] -o MODEL.mlp
 *   mlp predict MODEL.mlp DATA.csv [-o OUT.csv]
 *   mlp eval MODEL.mlp DATA.csv
 *   mlp info MODEL.mlp [--plot CURVE.png]
 *   mlp export MODEL.mlp [-o MODEL.c] [--name NAME]
 *   mlp export MODEL.mlp --format onnx -o MODEL.onnx
 *   mlp import MODEL.onnx [-o MODEL.mlp]
 *
 * Exit status: 0 done, 1 failed (the message says why), 2 bad usage. */
#define _POSIX_C_SOURCE 200809L
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mlp.h>

#include "outfile.h" /* the library's own writer of whole files, built into the command too */

extern char **environ;

enum { EXIT_USAGE = 2 };

static const char *prog = "mlp";

/* The files a command writes with -o (two for export: the C file and its header), each
 * through a temporary file beside it that a failure, or a signal, removes. The signal
 * handler reads `pending`: the temporary files' names while they exist. */
enum { N_OUTPUTS = 2 };
static mlp__outfile outputs[N_OUTPUTS];
static const char *volatile pending[N_OUTPUTS];

/* The Unicode code point that a UTF-8 sequence at s encodes, its length in *len; -1
 * (length 1) for a byte that starts no valid sequence. */
static long utf8_at(const unsigned char *s, size_t *len)
{
    *len = 1;
    if (s[0] < 0x80) return s[0];
    const int n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    if (n == 0) return -1;
    long cp = s[0] & (0x7F >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *len = (size_t)n;
    return cp;
}

/* Characters a terminal would obey or reorder rather than show: C0 and C1 controls,
 * DEL, and the bidirectional and invisible format marks. */
static int hidden(long cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x61C ||
           cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

/* A label, a column name or a message as the terminal is to show it: as it is, or,
 * when it holds a control, bidi mark or invalid byte (a label may be anything a file
 * held), with those escaped (\n, \x1b, \u{202e}) and backslashes doubled. Into one
 * of four rotating buffers, cut at about 1 KB. */
static const char *shown(const char *s)
{
    static char ring[4][1100];
    static int next_buf;
    int plain = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p && plain;) {
        size_t n;
        const long cp = utf8_at(p, &n);
        plain = cp >= 0 && !hidden(cp);
        p += n;
    }
    if (plain) return s;
    char *out = ring[next_buf++ % 4];
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && used < 1024;) {
        size_t n;
        const long cp = utf8_at(p, &n);
        const size_t room = sizeof ring[0] - used;
        int w;
        if (cp == '\\') w = snprintf(out + used, room, "\\\\");
        else if (cp == '\n') w = snprintf(out + used, room, "\\n");
        else if (cp == '\t') w = snprintf(out + used, room, "\\t");
        else if (cp < 0 || (cp < 0x80 && hidden(cp))) w = snprintf(out + used, room, "\\x%02x", *p);
        else if (hidden(cp)) w = snprintf(out + used, room, "\\u{%04lx}", cp);
        else w = snprintf(out + used, room, "%.*s", (int)n, (const char *)p);
        used += (size_t)w;
        p += n;
    }
    if (used >= 1024) snprintf(out + 1024, sizeof ring[0] - 1024, "...");
    return out;
}

/* "mlp: MESSAGE" on stderr; then the way out: status 2 after a usage hint, or 1 after
 * removing half-written outputs. */
static void leave(int status, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0), noreturn));
static void leave(int status, const char *fmt, va_list ap)
{
    /* the message may quote a file's bytes: shown, not obeyed, by the terminal */
    char msg[6144];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s: %s\n", prog, shown(msg));
    if (status == EXIT_USAGE) fprintf(stderr, "Try '%s --help'.\n", prog);
    for (int i = 0; i < N_OUTPUTS; i++)
        if (pending[i] != NULL) { /* the output stays as it was */
            pending[i] = NULL;
            mlp__outfile_abort(&outputs[i]);
        }
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

/* A signal that ends the command while it writes a file: the temporary files go
 * (unlink is async-signal-safe), then the signal does what it would have done. */
static void on_fatal_signal(int sig)
{
    for (int i = 0; i < N_OUTPUTS; i++) {
        const char *t = pending[i];
        if (t != NULL) unlink(t);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Hold (1) or release (0) the signals above: a file is renamed in place, or a model
 * saved, whole or not at all. */
static void hold_signals(int hold)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaddset(&set, fatal_signals[i]);
    sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* A command's output: stdout, or (-o PATH) the library's writer of whole files, which
 * refuses what is not a regular file at PATH (a FIFO, a device), follows a symbolic
 * link to the file it names, keeps that file's mode, and writes beside it under a
 * name created exclusively; commit_output renames it over PATH once everything is
 * written. Until then a failure or a signal removes it and PATH stays as it was.
 * `slot` (0 or 1) tells two outputs of one command apart. */
static FILE *open_output(const char *path, int slot)
{
    if (path == NULL) return stdout;
    mlp__outfile *o = &outputs[slot];
    /* the handler first, then the file: a signal between them would leave it behind */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
        sigaction(fatal_signals[i], &sa, NULL);
    hold_signals(1); /* until pending names the file */
    const int failed = mlp__outfile_open(o, path);
    if (!failed) pending[slot] = o->tmp;
    hold_signals(0);
    if (failed) { /* nothing left behind: a temporary file made before the failure goes */
        char why[6144];
        snprintf(why, sizeof why, "%s", o->msg != NULL ? o->msg : "out of memory");
        mlp__outfile_abort(o);
        die("%s", why);
    }
    FILE *out = mlp__outfile_stream(o);
    if (out == NULL) die("%s", o->msg != NULL ? o->msg : "out of memory"); /* leave() removes it */
    return out;
}

static void commit_output(const char *path, int slot)
{
    if (path == NULL) return;
    mlp__outfile *o = &outputs[slot];
    hold_signals(1);
    pending[slot] = NULL;
    if (mlp__outfile_commit(o) != 0) { /* the temporary file is gone */
        hold_signals(0);
        die("%s", o->msg != NULL ? o->msg : "out of memory");
    }
    hold_signals(0);
}

/* Standard output, at the end of every command: what could not be written (a full
 * disk, a closed pipe) is a failure, not a success with half a report. */
static void finish_stdout(void)
{
    const int early = ferror(stdout) ? errno : 0; /* a write that failed already: its cause */
    errno = 0;
    const int failed = fflush(stdout) != 0 || ferror(stdout);
    const int err = errno ? errno : early;
    if (fclose(stdout) != 0 || failed)
        die("writing to standard output: %s", strerror(failed && err ? err : errno ? errno : EIO));
}

/* The library's detail in the command's words: without the name of the C function
 * that refused ("mlp_table_read_csv: "), which the user of the command never called. */
static const char *detail(void)
{
    const char *d = mlp_error_detail(), *p = d;
    if (strncmp(p, "mlp_", 4) != 0) return d;
    p += 4;
    while (islower((unsigned char)*p) || *p == '_') p++;
    return p[0] == ':' && p[1] == ' ' ? p + 2 : d;
}

/* A library call that must succeed. */
static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) die("%s: %s", what, detail());
}

/* The L2 decay `mlp train` gives Adam unless --weight-decay says otherwise. */
#define ADAM_DECAY 1e-3

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) die("out of memory (%zu bytes)", n);
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL) die("out of memory (%zu items of %zu bytes)", n, size);
    return p;
}

static const char help[] =
    "Usage: mlp COMMAND [OPTION]... ARGUMENT...\n"
    "Train, evaluate, inspect and export libmlp neural networks.\n"
    "\n"
    "Commands:\n"
    "  train DATA.csv --target COLUMN -o MODEL.mlp\n"
    "                 train a network on a CSV file (classification or regression,\n"
    "                 decided from the target column unless --task says): score it on\n"
    "                 held-out rows, then train the model it saves on every row\n"
    "  predict MODEL DATA.csv [-o OUT.csv] [--precision P]\n"
    "                 predict every row (streamed: files larger than memory are fine);\n"
    "                 --precision float32, or bfloat16 on a CPU with AVX512-BF16 or\n"
    "                 AMX (libmlp built with oneDNN), predicts in that precision\n"
    "  eval MODEL DATA.csv\n"
    "                 accuracy, balanced accuracy, macro F1, confusion matrix, precision/\n"
    "                 recall/F1 per class; or MSE, MAE and R^2\n"
    "  info MODEL [--plot CURVE.png]\n"
    "                 layers, parameters, provenance, columns, classes, loss curves\n"
    "  export MODEL [-o MODEL.c] [--name NAME]\n"
    "                 one standalone C file (C89 and later) with NAME_predict()\n"
    "                 (and NAME_encode() for the raw rows of a model with text\n"
    "                 columns), and MODEL.h beside it\n"
    "                 (stdout, without a header, without -o)\n"
    "  export MODEL --format onnx -o MODEL.onnx\n"
    "                 an ONNX model (opset 17) for ONNX Runtime and the like, its\n"
    "                 scaling inside; -o NAME.onnx alone chooses this format too\n"
    "  import MODEL.onnx [-o MODEL.mlp] [--inputs LIST [--target LIST] [--classes LIST]]\n"
    "                 an ONNX model (libmlp's, or PyTorch's nn.Sequential of Linear,\n"
    "                 activations, LayerNorm, BatchNorm1d, Dropout) as a model file;\n"
    "                 the options name its columns and classes (in the outputs' order)\n"
    "                 where the model does not, for predict and eval on CSV files\n"
    "A DATA.csv of '-' is standard input.\n"
    "\n";

/* (in two: C99 promises string literals of 4095 characters, no more) */
static const char help_options[] =
    "Options of train:\n"
    "  -t, --target LIST      target column(s), comma-separated (default: the last)\n"
    "      --inputs LIST      input columns (default: all the others)\n"
    "      --ignore LIST      columns that are not inputs (an identifier)\n"
    "      --categorical LIST input columns read as categories even if numbers\n"
    "      --numeric LIST     input columns that must hold numbers\n"
    "      --na LIST          fields that mean a missing cell besides the empty one\n"
    "                         (default NA,N/A,n/a,NaN,nan,NULL,null,None,?)\n"
    "      --impute HOW       median (default) or mean: a missing number's value\n"
    "      --missing-indicators  an input saying where a number was missing\n"
    "      --max-categories N a column's most categories (default 1000)\n"
    "      --class-weight W   balanced (n / (classes x rows of the class)), or\n"
    "                         LABEL=W,... (others 1): each row's loss times it\n"
    "      --task TASK        auto (default), classification, regression\n"
    "      --hidden LIST      hidden layer sizes (default 64,32; '' for none)\n"
    "      --activation NAME  hidden activation (default relu)\n"
    "      --norm KIND        layer or batch (a layer or batch normalization after\n"
    "                         each hidden layer, before its activation; batch not\n"
    "                         with lbfgs or lm, nor --batch 1) or none (default)\n"
    "      --dropout RATE     a dropout after each hidden layer, dropping values with\n"
    "                         this probability while training (default 0: none; not\n"
    "                         with lbfgs or lm)\n"
    "      --epochs N         at most (default 200)\n"
    "      --batch N          rows per step, 0 for all (default 32; lbfgs, lm and\n"
    "                         irprop- take all rows)\n"
    "      --optimizer NAME   sgd, momentum, nesterov, adam (default), irprop-, lbfgs, lm\n"
    "      --precision P      float64 (default) or float32: the network's values and\n"
    "                         arithmetic; float32 trains and predicts about twice as\n"
    "                         fast and saves half the bytes (not with lbfgs or lm)\n"
    "      --lr X             learning rate (default: the optimizer's; lbfgs, lm and\n"
    "                         irprop- have none)\n"
    "      --weight-decay X   L2 decay (default 0.001 with adam, 0 with the\n"
    "                         other optimizers)\n"
    "      --validation F     fraction of the training rows to validate on, drawn by\n"
    "                         class, to choose the epochs (default 0.2; 0: none)\n"
    "      --patience N       epochs without improvement before stopping (default 20;\n"
    "                         0: no early stopping, the last epoch is kept)\n"
    "      --test F           fraction held out to score the model (default 0.2; 0:\n"
    "                         none)\n"
    "      --test-file FILE   score the model on this file instead of held-out rows\n"
    "      --cv K             score by K-fold cross-validation instead\n"
    "      --no-refit         save the model scored on the held-out rows, trained\n"
    "                         without them, instead of training again on every row\n"
    "      --scale NAME       standard (default), minmax, none\n"
    "      --seed N           (default 1)\n"
    "  -o, --output FILE      where the model goes (default model.mlp)\n"
    "  -q, --quiet            no progress\n"
    "Options of every command that reads CSV:\n"
    "  -d, --delimiter C      the field separator (default ,)\n"
    "      --header           the first row names the columns\n"
    "      --no-header        it does not (columns are named 1, 2, ...); without\n"
    "                         either, a first row that holds a number is data\n"
    "\n"
    "Ctrl-C while training stops after the epoch and saves the best model so far; a\n"
    "second Ctrl-C quits at once and leaves the output file as it was.\n"
    "An option the command does not take is bad usage.\n"
    "Exit status: 0 done, 1 failed, 2 bad usage.\n";

/* ---- options --------------------------------------------------------------------- */

typedef struct opts {
    const char *target, *inputs, *output, *plot, *name, *test_file, *format, *classes;
    const char *categorical, *numeric, *ignore, *na; /* the table's columns (train) */
    const char *class_weight; /* "balanced" or LABEL=W,... (train) */
    mlp_impute impute;
    int missing_indicators;
    size_t max_categories;
    mlp_task task;
    size_t hidden[16], n_hidden;
    int norm; /* MLP_LAYER_LAYERNORM or MLP_LAYER_BATCHNORM after each hidden layer; 0: none */
    double dropout; /* > 0: a dropout after each hidden layer */
    mlp_activation activation;
    size_t epochs, batch, patience, cv;
    int batch_set, lr_set, patience_set, test_set, refit, decay_set;
    mlp_optimizer_kind optimizer;
    double lr, weight_decay, validation, test;
    mlp_scaling scale;
    unsigned long long seed;
    char delimiter;
    int header, quiet;
    int output_stdout; /* -o -: standard output (predict and export; train refuses it) */
    mlp_precision precision; /* --precision: the network's (float64 unless given), or
                                predict's */
    int precision_set;
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
    OPT_LR, OPT_DECAY, OPT_VALIDATION, OPT_PATIENCE, OPT_TEST, OPT_TEST_FILE, OPT_CV,
    OPT_NO_REFIT, OPT_SCALE, OPT_SEED, OPT_HEADER, OPT_NO_HEADER, OPT_PLOT, OPT_NAME, OPT_FORMAT,
    OPT_CLASSES, OPT_HELP, OPT_VERSION, OPT_NORM, OPT_DROPOUT, OPT_PRECISION, OPT_CATEGORICAL,
    OPT_NUMERIC, OPT_IGNORE, OPT_NA, OPT_IMPUTE, OPT_MISSING_INDICATORS, OPT_MAX_CATEGORIES,
    OPT_CLASS_WEIGHT
};

static const struct option long_options[] = {
    {"target", required_argument, NULL, 't'},
    {"inputs", required_argument, NULL, OPT_INPUTS},
    {"task", required_argument, NULL, OPT_TASK},
    {"hidden", required_argument, NULL, OPT_HIDDEN},
    {"activation", required_argument, NULL, OPT_ACTIVATION},
    {"norm", required_argument, NULL, OPT_NORM},
    {"dropout", required_argument, NULL, OPT_DROPOUT},
    {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"optimizer", required_argument, NULL, OPT_OPTIMIZER},
    {"precision", required_argument, NULL, OPT_PRECISION},
    {"lr", required_argument, NULL, OPT_LR},
    {"weight-decay", required_argument, NULL, OPT_DECAY},
    {"validation", required_argument, NULL, OPT_VALIDATION},
    {"patience", required_argument, NULL, OPT_PATIENCE},
    {"test", required_argument, NULL, OPT_TEST},
    {"test-file", required_argument, NULL, OPT_TEST_FILE},
    {"cv", required_argument, NULL, OPT_CV},
    {"no-refit", no_argument, NULL, OPT_NO_REFIT},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"output", required_argument, NULL, 'o'},
    {"quiet", no_argument, NULL, 'q'},
    {"delimiter", required_argument, NULL, 'd'},
    {"header", no_argument, NULL, OPT_HEADER},
    {"no-header", no_argument, NULL, OPT_NO_HEADER},
    {"plot", required_argument, NULL, OPT_PLOT},
    {"name", required_argument, NULL, OPT_NAME},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"classes", required_argument, NULL, OPT_CLASSES},
    {"categorical", required_argument, NULL, OPT_CATEGORICAL},
    {"numeric", required_argument, NULL, OPT_NUMERIC},
    {"ignore", required_argument, NULL, OPT_IGNORE},
    {"na", required_argument, NULL, OPT_NA},
    {"impute", required_argument, NULL, OPT_IMPUTE},
    {"missing-indicators", no_argument, NULL, OPT_MISSING_INDICATORS},
    {"max-categories", required_argument, NULL, OPT_MAX_CATEGORIES},
    {"class-weight", required_argument, NULL, OPT_CLASS_WEIGHT},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Whether a long option takes an argument, for gathering options from anywhere on the
 * command line. */
static int takes_argument(const char *arg)
{
    if (!strcmp(arg, "-t") || !strcmp(arg, "-o") || !strcmp(arg, "-d")) return 1;
    if (arg[1] != '-' || strchr(arg, '=') != NULL) return 0;
    for (const struct option *o = long_options; o->name != NULL; o++)
        if (!strcmp(arg + 2, o->name)) return o->has_arg == required_argument;
    return 0; /* unknown: getopt says so */
}

static void parse_options(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->task = MLP_TASK_AUTO;
    o->hidden[0] = 64, o->hidden[1] = 32, o->n_hidden = 2;
    o->activation = MLP_ACT_RELU;
    o->epochs = 200;
    o->batch = 32;
    o->patience = 20;
    o->optimizer = MLP_OPT_ADAM;
    o->lr = 0;
    o->validation = 0.2;
    o->test = 0.2;
    o->refit = 1;
    o->scale = MLP_SCALE_STANDARD;
    o->seed = 1;
    o->delimiter = ',';
    o->header = MLP_CSV_HEADER_DETECT;
    o->output = NULL;
    o->name = NULL;
    o->format = NULL;
    o->classes = NULL;
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
            /* strtok_r would pass over an empty item: "16,,8" is a slip, not 16,8 ("" is
             * no hidden layer: a linear or logistic model) */
            const size_t len = strlen(optarg);
            if (len > 0 && (optarg[0] == ',' || optarg[len - 1] == ',' || strstr(optarg, ",,")))
                usage_error("--hidden: '%s' has an empty size (give sizes like 64,32)", optarg);
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
        case OPT_NORM:
            if (strcmp(optarg, "layer") == 0) o->norm = MLP_LAYER_LAYERNORM;
            else if (strcmp(optarg, "batch") == 0) o->norm = MLP_LAYER_BATCHNORM;
            else if (strcmp(optarg, "none") == 0) o->norm = 0;
            else usage_error("--norm: '%s' is not a normalization: layer, batch or none", optarg);
            break;
        case OPT_DROPOUT:
            o->dropout = number(optarg, "--dropout");
            if (!(o->dropout >= 0 && o->dropout < 1))
                usage_error("--dropout: %s is not a probability below 1", optarg);
            break;
        case OPT_EPOCHS: o->epochs = count(optarg, "--epochs"); break;
        case OPT_BATCH: o->batch = count(optarg, "--batch"), o->batch_set = 1; break;
        case OPT_OPTIMIZER:
            if (mlp_optimizer_from_name(&o->optimizer, optarg) != MLP_OK)
                usage_error("--optimizer: unknown optimizer '%s'", optarg);
            break;
        case OPT_PRECISION:
            if (mlp_precision_from_name(&o->precision, optarg) != MLP_OK)
                usage_error("--precision: '%s' is not float64 (f64), float32 (f32) or, to "
                            "predict, bfloat16 (bf16)",
                            optarg);
            o->precision_set = 1;
            break;
        case OPT_LR: o->lr = number(optarg, "--lr"), o->lr_set = 1; break;
        case OPT_DECAY:
            o->weight_decay = number(optarg, "--weight-decay"), o->decay_set = 1;
            break;
        case OPT_VALIDATION: o->validation = number(optarg, "--validation"); break;
        case OPT_PATIENCE: o->patience = count(optarg, "--patience"), o->patience_set = 1; break;
        case OPT_TEST: o->test = number(optarg, "--test"), o->test_set = 1; break;
        case OPT_TEST_FILE: o->test_file = optarg; break;
        case OPT_CV: o->cv = count(optarg, "--cv"); break;
        case OPT_NO_REFIT: o->refit = 0; break;
        case OPT_SCALE:
            if (!strcmp(optarg, "standard")) o->scale = MLP_SCALE_STANDARD;
            else if (!strcmp(optarg, "minmax")) o->scale = MLP_SCALE_MINMAX;
            else if (!strcmp(optarg, "none")) o->scale = MLP_SCALE_NONE;
            else usage_error("--scale: '%s' is not standard, minmax or none", optarg);
            break;
        case OPT_SEED: o->seed = (unsigned long long)count(optarg, "--seed"); break;
        case 'o': /* "-" is standard output, as for the data ("-" is standard input) */
            o->output_stdout = !strcmp(optarg, "-");
            o->output = o->output_stdout ? NULL : optarg;
            break;
        case 'q': o->quiet = 1; break;
        case 'd':
            if (strlen(optarg) != 1) usage_error("--delimiter: one character, not '%s'", optarg);
            o->delimiter = optarg[0];
            break;
        case OPT_HEADER: o->header = 1; break;
        case OPT_NO_HEADER: o->header = 0; break;
        case OPT_PLOT: o->plot = optarg; break;
        case OPT_NAME: o->name = optarg; break;
        case OPT_CLASSES: o->classes = optarg; break;
        case OPT_CATEGORICAL: o->categorical = optarg; break;
        case OPT_NUMERIC: o->numeric = optarg; break;
        case OPT_IGNORE: o->ignore = optarg; break;
        case OPT_NA: o->na = optarg; break;
        case OPT_IMPUTE:
            if (!strcmp(optarg, "median")) o->impute = MLP_IMPUTE_MEDIAN;
            else if (!strcmp(optarg, "mean")) o->impute = MLP_IMPUTE_MEAN;
            else usage_error("--impute: '%s' is not median or mean", optarg);
            break;
        case OPT_MISSING_INDICATORS: o->missing_indicators = 1; break;
        case OPT_CLASS_WEIGHT: o->class_weight = optarg; break;
        case OPT_MAX_CATEGORIES:
            o->max_categories = count(optarg, "--max-categories");
            if (o->max_categories == 0) usage_error("--max-categories: 0 allows no category");
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "c") && strcmp(optarg, "onnx"))
                usage_error("--format: '%s' is not c or onnx", optarg);
            o->format = optarg;
            break;
        case OPT_HELP:
            fputs(help, stdout), fputs(help_options, stdout), finish_stdout(), exit(EXIT_SUCCESS);
        case OPT_VERSION: printf("mlp (libmlp) %s\n", mlp_version()), exit(EXIT_SUCCESS);
        case ':': usage_error("%s needs an argument", argv[optind - 1]);
        default: usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (o->validation < 0 || o->validation >= 1)
        usage_error("--validation: %g is not in [0, 1)", o->validation);
    if (o->test < 0 || o->test >= 1) usage_error("--test: %g is not in [0, 1)", o->test);
    if (o->cv == 1) usage_error("--cv: 1 fold scores nothing: 2 or more, or leave it out");
    if ((o->cv > 0) + (o->test_file != NULL) + o->test_set > 1)
        usage_error("--test, --test-file and --cv each choose how the model is scored: one of them");
    mlp_optimizer probe;
    mlp_optimizer_init(&probe, sizeof probe, o->optimizer);
    const int full = o->optimizer == MLP_OPT_LBFGS || o->optimizer == MLP_OPT_LM ||
                     o->optimizer == MLP_OPT_IRPROP_MINUS;
    if (o->lr_set && probe.learning_rate == 0)
        usage_error("--lr: %s has no learning rate (it chooses its own steps)",
                    mlp_optimizer_name(o->optimizer));
    if (o->batch_set && full && o->batch != 0)
        usage_error("--batch: %s takes every row in each step", mlp_optimizer_name(o->optimizer));
    /* their line search and Jacobian need one function: a dropout's masks and a batch
     * normalization's statistics change it at every step (the library refuses them too,
     * in its own terms; here in the command's) */
    const int second = o->optimizer == MLP_OPT_LBFGS || o->optimizer == MLP_OPT_LM;
    if (second && (o->dropout > 0 || o->norm == MLP_LAYER_BATCHNORM))
        usage_error("--optimizer %s cannot train %s (it changes the function at every step): "
                    "use --optimizer adam (or sgd, momentum, nesterov, irprop-), or %s",
                    mlp_optimizer_name(o->optimizer),
                    o->dropout > 0 ? "--dropout" : "--norm batch",
                    o->dropout > 0 ? "leave --dropout out" : "--norm layer or none");
    if (second && o->precision == MLP_PRECISION_FLOAT32)
        usage_error("--optimizer %s trains float64 networks (its line search and normal "
                    "equations are float64's): --precision float64, or --optimizer adam",
                    mlp_optimizer_name(o->optimizer));
    if (o->norm == MLP_LAYER_BATCHNORM && o->batch_set && o->batch == 1)
        usage_error("--norm batch normalizes by each batch's variance, and a batch of 1 row "
                    "has none: --batch 2 or more, or --norm layer");
}

static mlp_csv_options csv_options(const opts *o)
{
    mlp_csv_options c;
    check(mlp_csv_options_init(&c, sizeof c), "mlp_csv_options_init");
    c.header = o->header;
    c.delimiter = o->delimiter;
    return c;
}

/* A CSV file read whole; "-" is standard input. */
static mlp_table *read_table(const char *path, const mlp_csv_options *co)
{
    mlp_table *t;
    if (!strcmp(path, "-"))
        check(mlp_table_read_csv_file(&t, stdin, "standard input", co), "reading the data");
    else
        check(mlp_table_read_csv(&t, path, co), "reading the data");
    return t;
}

/* ---- scores ---------------------------------------------------------------------------- */

/* How a model does on labelled rows, printed. */
static void print_scores(const mlp_net *net, const mlp_dataset *rows, FILE *out)
{
    mlp_workspace *ws;
    check(mlp_workspace_create(&ws, net, 1024), "mlp_workspace_create");
    const size_t classes = mlp_net_n_classes(net);
    size_t *m = classes > 0 ? xmalloc(classes * classes * sizeof *m) : NULL;
    mlp_scores sc;
    check(mlp_scores_init(&sc, sizeof sc), "mlp_scores_init");
    check(mlp_net_score(net, ws, &sc, m, rows), "scoring");
    mlp_workspace_free(ws);
    if (classes == 0) {
        fprintf(out, "MSE %.6g  MAE %.6g  R^2 %.4f  (%zu rows, in the targets' units)\n", sc.mse,
                sc.mae, sc.r2, sc.n);
        return;
    }
    size_t right = 0, width = 9;
    for (size_t c = 0; c < classes; c++) {
        right += m[c * classes + c];
        if (strlen(shown(mlp_net_class_name(net, c))) > width)
            width = strlen(shown(mlp_net_class_name(net, c)));
    }
    if (width > 24) width = 24;
    fprintf(out, "accuracy %.4f (%zu of %zu rows), balanced accuracy %.4f, macro F1 %.4f\n\n"
                 "confusion matrix (rows: true class, columns: predicted)\n%*s",
            sc.accuracy, right, sc.n, sc.balanced_accuracy, sc.macro_f1, (int)width, "");
    for (size_t c = 0; c < classes; c++)
        fprintf(out, " %*.*s", (int)width, (int)width, shown(mlp_net_class_name(net, c)));
    fputc('\n', out);
    for (size_t t = 0; t < classes; t++) {
        fprintf(out, "%*.*s", (int)width, (int)width, shown(mlp_net_class_name(net, t)));
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
                shown(mlp_net_class_name(net, c)), pr[c], rc[c], f1[c], support);
    }
    free(pr), free(rc), free(f1), free(m);
}

/* A model's columns and classes, read from a file as the model names them. */
static mlp_table *read_labelled(const mlp_net *net, const opts *o, const char *path,
                                const char ***free1, const char ***free2, const char ***free3);

/* ---- train --------------------------------------------------------------------------- */

/* --class-weight LABEL=W,...: a weight per class of the table (1 for a class it does
 * not name); NULL for "balanced" or no option. */
static double *class_weights(const char *spec, const mlp_table *t)
{
    if (spec == NULL || !strcmp(spec, "balanced")) return NULL;
    const size_t k = mlp_table_n_classes(t);
    double *w = xmalloc((k ? k : 1) * sizeof *w);
    for (size_t c = 0; c < k; c++) w[c] = 1.0;
    for (const char *p = spec; *p != '\0';) {
        const char *e = strchr(p, ','), *eq = strchr(p, '=');
        const size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (eq == NULL || eq >= p + len) {
            free(w); /* the exit below must not leave it behind (LeakSanitizer counts it) */
            usage_error("--class-weight: '%.*s' is not LABEL=WEIGHT (or give 'balanced')",
                        (int)len, p);
        }
        size_t c = 0;
        while (c < k && (strlen(mlp_table_class_name(t, c)) != (size_t)(eq - p) ||
                         strncmp(mlp_table_class_name(t, c), p, (size_t)(eq - p)) != 0))
            c++;
        if (c == k) {
            char list[256] = "";
            for (size_t j = 0; j < k && strlen(list) < 200; j++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.40s", j ? ", " : "",
                         shown(mlp_table_class_name(t, j)));
            free(w);
            usage_error("--class-weight: no class '%.*s'; the classes: %s", (int)(eq - p), p,
                        list);
        }
        char num[64];
        snprintf(num, sizeof num, "%.*s", (int)(len - (size_t)(eq - p) - 1), eq + 1);
        char *end;
        errno = 0;
        const double v = strtod(num, &end); /* not number(): its exit would leave w behind */
        if (end == num || *end != '\0' || errno != 0 || !(v >= 0 && isfinite(v))) {
            free(w);
            usage_error("--class-weight: %s is not a weight (a number, 0 or more)", num);
        }
        w[c] = v;
        p = e != NULL ? e + 1 : p + len;
    }
    return w;
}

/* What reading rows did to a column: its missing cells filled, its values the model
 * did not know (the first of them kept). */
typedef struct cell_counts {
    size_t missing, unseen;
    char first_unseen[48];
} cell_counts;

/* Adds what reading table t did to each of its columns into counts[]. */
static void count_cells(const mlp_table *t, cell_counts *counts)
{
    for (size_t c = 0; c < mlp_table_n_columns(t); c++) {
        mlp_column_info ci;
        check(mlp_column_info_init(&ci, sizeof ci), "mlp_column_info_init");
        check(mlp_table_column(t, c, &ci), "mlp_table_column");
        if (ci.unseen > 0 && counts[c].unseen == 0) /* the first value, for the warning */
            snprintf(counts[c].first_unseen, sizeof counts[c].first_unseen, "%s",
                     ci.first_unseen != NULL ? shown(ci.first_unseen) : "?");
        counts[c].missing += ci.missing;
        counts[c].unseen += ci.unseen;
    }
}

/* The missing cells filled, column by column with the value each took (`stat` names it
 * in training: "the median"), and a warning of the values the model did not know, even
 * when quiet: those rows are predicted from less. `columns` gives column c's
 * description, of a table or a model. */
static void say_cells(const char *path, const void *of, mlp_status (*columns)(const void *, size_t,
                                                                                mlp_column_info *),
                      const cell_counts *counts, size_t n, const char *stat, int quiet)
{
    size_t missing = 0, unseen = 0;
    char mlist[320] = "", ulist[256] = "";
    for (size_t c = 0; c < n; c++) {
        if (counts[c].missing == 0 && counts[c].unseen == 0) continue;
        mlp_column_info ci;
        check(mlp_column_info_init(&ci, sizeof ci), "mlp_column_info_init");
        check(columns(of, c, &ci), "the columns");
        char name[48]; /* shown() has one buffer: the name apart */
        snprintf(name, sizeof name, "%.40s", shown(ci.name));
        if (counts[c].missing > 0 && strlen(mlist) < 240) {
            char how[96];
            if (ci.kind != MLP_COLUMN_CATEGORICAL)
                snprintf(how, sizeof how, "with %s%s%.6g", stat != NULL ? stat : "",
                         stat != NULL ? " " : "", ci.fill);
            else
                snprintf(how, sizeof how, "%s", ci.missing_category ? "as a category of its own"
                                                                     : "as no category (zeros)");
            snprintf(mlist + strlen(mlist), sizeof mlist - strlen(mlist), "%s%s (%zu) %s",
                     missing > 0 ? ", " : "", name, counts[c].missing, how);
        } else if (counts[c].missing > 0 && strstr(mlist, ", ...") == NULL) {
            snprintf(mlist + strlen(mlist), sizeof mlist - strlen(mlist), ", ...");
        }
        if (counts[c].unseen > 0 && strlen(ulist) < 200)
            snprintf(ulist + strlen(ulist), sizeof ulist - strlen(ulist), "%s%s: %zu (\"%s\"%s)",
                     unseen > 0 ? "; " : "", name, counts[c].unseen, counts[c].first_unseen,
                     counts[c].unseen > 1 ? ", ..." : "");
        missing += counts[c].missing;
        unseen += counts[c].unseen;
    }
    if (missing > 0 && !quiet)
        fprintf(stderr, "%s: %zu missing cell%s filled: %s\n", path, missing,
                missing == 1 ? "" : "s", mlist);
    if (unseen > 0)
        fprintf(stderr, "%s: warning: %zu value%s the model did not see in training, encoded as "
                        "no category: %s\n", path, unseen, unseen == 1 ? "" : "s", ulist);
}

static mlp_status table_column(const void *t, size_t c, mlp_column_info *ci)
{
    return mlp_table_column(t, c, ci);
}

static mlp_status net_column(const void *net, size_t c, mlp_column_info *ci)
{
    return mlp_net_column(net, c, ci);
}

/* What reading a table did to its columns, when it did anything: the rows left out for
 * a missing target, the categorical columns, then say_cells. */
static void say_columns(const mlp_table *t, const char *path, const char *stat, int quiet)
{
    if (mlp_table_dropped_rows(t) > 0 && !quiet)
        fprintf(stderr, "%s: %zu row%s left out: the target is missing\n", path,
                mlp_table_dropped_rows(t), mlp_table_dropped_rows(t) == 1 ? "" : "s");
    const size_t n = mlp_table_n_columns(t);
    size_t cats = 0;
    char list[256] = "";
    for (size_t c = 0; c < n; c++) {
        mlp_column_info ci;
        check(mlp_column_info_init(&ci, sizeof ci), "mlp_column_info_init");
        check(mlp_table_column(t, c, &ci), "mlp_table_column");
        if (ci.kind != MLP_COLUMN_CATEGORICAL) continue;
        if (strlen(list) < 200)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.40s (%zu%s)",
                     cats > 0 ? ", " : "", shown(ci.name), ci.n_categories,
                     ci.missing_category ? " + missing" : "");
        cats++;
    }
    if (cats > 0 && !quiet)
        fprintf(stderr, "%s: %zu categorical column%s, one input per category: %s\n", path, cats,
                cats == 1 ? "" : "s", list);
    cell_counts *counts = xcalloc(n ? n : 1, sizeof *counts);
    count_cells(t, counts);
    say_cells(path, t, table_column, counts, n, stat, quiet);
    free(counts);
}

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
    const char *what; /* the run: "", "fold 2/5: ", "every row: " */
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
    /* on a terminal every epoch, in place; into a file or a pipe a tenth of them */
    const size_t every = p->tty || p->epochs < 20 ? 1 : p->epochs / 10;
    if (!p->quiet && (r->epoch % every == 0 || r->epoch == 1)) {
        const double elapsed = now() - p->start;
        const double eta = elapsed / (double)r->epoch * (double)(p->epochs - r->epoch);
        fprintf(stderr, "%s%sepoch %zu/%zu  loss %.6g", p->tty ? "\r" : "", p->what, r->epoch,
                p->epochs, r->loss);
        if (!isnan(r->val_loss)) fprintf(stderr, "  validation %.6g", r->val_loss);
        fprintf(stderr, "  %.1f s  ETA %.0f s%s", elapsed, eta, p->tty ? "   " : "\n");
        p->printed = 1;
    }
    return interrupted != 0;
}

/* Rows of a dataset, gathered into arrays of their own (freed with the dataset's x and
 * y: release_rows). */
static mlp_dataset gather(const mlp_dataset *all, const size_t *rows, size_t m)
{
    const size_t yc = all->n_classes > 0 ? 1 : all->n_targets;
    double *x = xmalloc(m * all->n_inputs * sizeof *x), *y = xmalloc(m * yc * sizeof *y);
    check(mlp_gather_rows(x, all->x, all->n_inputs, rows, m), "mlp_gather_rows");
    check(mlp_gather_rows(y, all->y, yc, rows, m), "mlp_gather_rows");
    mlp_dataset d = *all;
    d.x = x;
    d.y = y;
    d.n = m;
    return d;
}

static void release_rows(mlp_dataset *d)
{
    free((void *)d->x);
    free((void *)d->y);
}

/* What one training run left: the epoch kept and why it stopped. */
typedef struct run_result {
    mlp_status status;
    mlp_stop_reason stop;
    size_t epochs_run, kept;
    double kept_loss;  /* the kept epoch's validation loss, or its training loss */
    int validated;
} run_result;

/* The network the command trains: hidden layers as asked, a softmax output for classes
 * or a linear one, drawn from the seed, named after the table. */
static mlp_net *new_net(const opts *o, const mlp_table *t, const mlp_dataset *all)
{
    const size_t k = all->n_classes > 0 ? all->n_classes : all->n_targets;
    mlp_layer_spec spec[49];
    size_t n = 0;
    for (size_t l = 0; l < o->n_hidden; l++) {
        if (o->norm) { /* Linear, the normalization, then the activation, as PyTorch users
                          write it */
            spec[n++] = (mlp_layer_spec)MLP_LAYER(o->hidden[l], MLP_ACT_IDENTITY, 1);
            spec[n++] = o->norm == MLP_LAYER_BATCHNORM
                            ? (mlp_layer_spec)MLP_BATCHNORM(o->activation)
                            : (mlp_layer_spec)MLP_LAYERNORM(o->activation);
        } else {
            spec[n++] = (mlp_layer_spec)MLP_LAYER(o->hidden[l], o->activation, 1);
        }
        if (o->dropout > 0) spec[n++] = (mlp_layer_spec)MLP_DROPOUT(o->dropout);
    }
    spec[n++] =
        (mlp_layer_spec)MLP_LAYER(k, all->n_classes > 0 ? MLP_ACT_SOFTMAX : MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    check(mlp_net_create_precision(&net, all->n_inputs, spec, n, o->precision), "the network");
    check(mlp_net_init(net, MLP_INIT_AUTO, o->seed), "mlp_net_init");
    check(mlp_net_set_table_names(net, t), "naming the columns");
    return net;
}

/* Fit the scaling on `rows` and train `net` on them for at most `epochs` epochs: with
 * validate, holding out o->validation of them and stopping o->patience epochs after the
 * best; else every epoch, on every row. */
static run_result train_run(const opts *o, mlp_net *net, const mlp_dataset *given, size_t epochs,
                            int validate, const char *what, const double *class_w)
{
    const int cls = given->n_classes > 0;
    /* --class-weight: each row weighs its class's weight (balanced: of these rows) */
    mlp_dataset weighted = *given;
    double *w = NULL;
    if (o->class_weight != NULL) {
        w = xmalloc(given->n * sizeof *w);
        check(mlp_dataset_class_weights(w, given, class_w), "--class-weight");
        weighted.w = w;
    }
    const mlp_dataset *rows = &weighted;
    check(mlp_net_fit_scaling(net, o->scale, cls ? MLP_SCALE_NONE : o->scale, rows),
          "fitting the scaling");
    mlp_optimizer opt;
    check(mlp_optimizer_init(&opt, sizeof opt, o->optimizer), "mlp_optimizer_init");
    if (o->lr_set) opt.learning_rate = o->lr;
    /* Adam's default L2: better or equal on 12 of 13 public tables, against 0 (README,
     * docs/training.md); the other methods' default stays 0 (not measured) */
    opt.weight_decay = o->decay_set                    ? o->weight_decay
                       : o->optimizer == MLP_OPT_ADAM ? ADAM_DECAY
                                                      : 0.0;
    const mlp_loss loss = cls ? MLP_LOSS_CATEGORICAL_CROSSENTROPY : MLP_LOSS_MSE;
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, loss, &opt, 32), "the trainer");
    mlp_fit_options fit;
    check(mlp_fit_options_init(&fit, sizeof fit), "mlp_fit_options_init");
    fit.epochs = epochs;
    if (o->batch_set) fit.batch_size = o->batch; /* else the method's own */
    fit.seed = o->seed;
    fit.validation_fraction = validate ? o->validation : 0;
    fit.patience = validate ? o->patience : 0;
    progress pg = {o->quiet, isatty(STDERR_FILENO), epochs, now(), 0, what};
    fit.callback = report;
    fit.user_data = &pg;
    mlp_fit_result res;
    check(mlp_fit_result_init(&res, sizeof res), "mlp_fit_result_init");
    run_result r = {.status = mlp_trainer_fit(tr, &res, rows, &fit), .validated = validate};
    if (pg.printed && pg.tty) fputc('\n', stderr);
    if (r.status != MLP_OK && res.epochs_run == 0) check(r.status, "training");
    r.stop = res.stop;
    r.epochs_run = res.epochs_run;
    r.kept = fit.patience > 0 ? res.best_epoch : res.epochs_run;
    r.kept_loss = validate ? res.val_loss[r.kept - 1] : res.loss[r.kept - 1];
    mlp_trainer_free(tr);
    free(w);
    return r;
}

static void say_run(const opts *o, const run_result *r, const char *what, int cls)
{
    if (o->quiet) return;
    const char *why = r->stop == MLP_STOP_PATIENCE    ? "stopped early"
                      : r->stop == MLP_STOP_CALLBACK  ? "interrupted"
                      : r->stop == MLP_STOP_CONVERGED ? "converged"
                      : r->stop == MLP_STOP_EPOCHS    ? "done"
                                                      : "stopped: the loss left the numbers";
    fprintf(stderr, "%s%s after %zu epochs; kept %s %zu (%s loss %.6g%s)\n", what, why,
            r->epochs_run, r->kept == r->epochs_run ? "the last, epoch" : "epoch", r->kept,
            r->validated ? "validation" : "training", r->kept_loss,
            cls ? "" : ", the MSE of the scaled targets");
}

/* Hold-outs need rows enough to say something, and to leave enough to train on. */
enum { MIN_HELD = 5, MIN_TRAIN = 10 };

static int cmd_train(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("train takes one CSV file, not %d arguments", argc);
    if (o->precision == MLP_PRECISION_BFLOAT16)
        usage_error("--precision bfloat16 is for predicting (mlp predict --precision "
                    "bfloat16): a network trains in float64 or float32");
    if (o->output_stdout)
        usage_error("-o -: a model is a binary file; give it a file name (-o MODEL.mlp)");
    const char *output = o->output != NULL ? o->output : "model.mlp";
    mlp_csv_options co = csv_options(o);
    co.target = o->target;
    co.inputs = o->inputs;
    co.task = o->task;
    co.categorical = o->categorical;
    co.numeric = o->numeric;
    co.ignore = o->ignore;
    co.missing = o->na;
    co.impute = o->impute;
    co.missing_indicators = o->missing_indicators;
    co.max_categories = o->max_categories;
    mlp_table *t = read_table(argv[0], &co);
    mlp_dataset all;
    check(mlp_table_dataset(&all, sizeof all, t), "mlp_table_dataset");
    const size_t n = all.n, nt = all.n_targets;
    if (nt == 0) die("%s: no target column", argv[0]);
    const int cls = all.n_classes > 0;
    if (cls && all.n_classes < 2) die("%s: the target has one class only", argv[0]);
    if (o->optimizer == MLP_OPT_LM && cls)
        usage_error("--optimizer lm: Levenberg-Marquardt fits squared errors, a regression's; "
                    "for classes use lbfgs or adam");
    if (o->class_weight != NULL && !cls)
        usage_error("--class-weight: %s is a regression: there are no classes to weigh",
                    argv[0]);
    double *class_w = class_weights(o->class_weight, t);
    if (!o->quiet)
        fprintf(stderr, "%s: %zu rows, %zu inputs, %s of %s%s\n", argv[0], n, all.n_inputs,
                cls ? "classification" : "regression", shown(mlp_table_target_name(t, 0)),
                cls ? "" : nt > 1 ? " and more" : "");
    say_columns(t, argv[0], o->impute == MLP_IMPUTE_MEAN ? "the mean" : "the median", o->quiet);

    /* How the model is scored: held-out rows (default), a file, or folds. */
    size_t n_test = 0;
    if (o->cv == 0 && o->test_file == NULL && o->test > 0) {
        n_test = (size_t)llround(o->test * (double)n);
        if (n_test < MIN_HELD || n - n_test < MIN_TRAIN) {
            if (!o->quiet)
                fprintf(stderr, "%s: %zu rows: too few to hold out %g of them to score the model "
                                "(%zu row%s); it is trained on all and scored on none (score it "
                                "with --test-file, or --cv)\n",
                        prog, n, o->test, n_test, n_test == 1 ? "" : "s");
            n_test = 0;
        }
    }
    if (o->cv > n) die("--cv %zu: more folds than the %zu rows", o->cv, n);
    /* Validation and early stopping, on the rows a run trains on. */
    const size_t n_fit = n - n_test;
    int validate = o->validation > 0 && o->patience > 0;
    if (validate && (size_t)(o->validation * (double)n_fit) < MIN_HELD) {
        if (!o->quiet)
            fprintf(stderr, "%s: %zu training rows: too few to hold out %g of them to stop early "
                            "on; every epoch runs, on every row\n",
                    prog, n_fit, o->validation);
        validate = 0;
    }
    if (o->patience_set && o->patience > 0 && o->validation == 0 && !o->quiet)
        fprintf(stderr, "%s: --patience without validation rows (--validation 0): no early "
                        "stopping\n", prog);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    /* 1. scoring runs: each trains without the rows it is scored on, stopping early on a
     *    validation share of its rows, and tells how many epochs to train */
    size_t *order = xmalloc(n * sizeof *order), epochs = o->epochs;
    mlp_net *net = NULL;
    run_result r = {.status = MLP_OK};
    if (n_test > 0) {
        size_t n_train;
        check(mlp_split(order, &n_train, n, (double)n_test / (double)n, cls ? all.y : NULL,
                        o->seed), "mlp_split");
        mlp_dataset train = gather(&all, order, n_train);
        mlp_dataset test = gather(&all, order + n_train, n - n_train);
        net = new_net(o, t, &all);
        r = train_run(o, net, &train, o->epochs, validate, "", class_w);
        say_run(o, &r, "", cls);
        epochs = r.kept;
        if (!interrupted) {
            printf("test rows (%zu, held out; the model trained on the other %zu rows):\n",
                   test.n, train.n);
            print_scores(net, &test, stdout);
        }
        release_rows(&train);
        release_rows(&test);
    } else if (o->cv > 1) {
        size_t *fold = xmalloc(n * sizeof *fold), *kept = xmalloc(o->cv * sizeof *kept);
        check(mlp_kfold(fold, n, o->cv, cls ? all.y : NULL, o->seed), "mlp_kfold");
        double *score = xmalloc(o->cv * 3 * sizeof *score);
        for (size_t f = 0; f < o->cv && !interrupted; f++) {
            size_t a = 0, b = n;
            for (size_t i = 0; i < n; i++) order[fold[i] == f ? --b : a++] = i;
            mlp_dataset train = gather(&all, order, a), test = gather(&all, order + a, n - a);
            char what[48];
            snprintf(what, sizeof what, "fold %zu/%zu: ", f + 1, o->cv);
            mlp_net *fnet = new_net(o, t, &all);
            const run_result fr = train_run(o, fnet, &train, o->epochs, validate, what, class_w);
            say_run(o, &fr, what, cls);
            kept[f] = fr.kept;
            mlp_workspace *ws;
            check(mlp_workspace_create(&ws, fnet, 1024), "mlp_workspace_create");
            mlp_scores sc;
            check(mlp_scores_init(&sc, sizeof sc), "mlp_scores_init");
            check(mlp_net_score(fnet, ws, &sc, NULL, &test), "scoring");
            score[3 * f] = cls ? sc.accuracy : sc.mse;
            score[3 * f + 1] = cls ? sc.balanced_accuracy : sc.mae;
            score[3 * f + 2] = cls ? sc.macro_f1 : sc.r2;
            mlp_workspace_free(ws);
            mlp_net_free(fnet);
            release_rows(&train);
            release_rows(&test);
        }
        if (!interrupted) {
            const char *names[2][3] = {{"MSE", "MAE", "R^2"},
                                       {"accuracy", "balanced accuracy", "macro F1"}};
            printf("%zu-fold cross-validation (each fold scored by a model trained on the "
                   "others):\n", o->cv);
            for (int s = 0; s < 3; s++) {
                double mean = 0, sq = 0;
                for (size_t f = 0; f < o->cv; f++) mean += score[3 * f + s];
                mean /= (double)o->cv;
                for (size_t f = 0; f < o->cv; f++)
                    sq += (score[3 * f + s] - mean) * (score[3 * f + s] - mean);
                printf("%s %.4f +- %.4f%s", names[cls][s], mean, sqrt(sq / (double)(o->cv - 1)),
                       s < 2 ? ", " : "\n");
            }
            /* every row: the folds' middle count of epochs */
            for (size_t i = 1; i < o->cv; i++)
                for (size_t j = i; j > 0 && kept[j - 1] > kept[j]; j--) {
                    const size_t tmp = kept[j];
                    kept[j] = kept[j - 1];
                    kept[j - 1] = tmp;
                }
            epochs = kept[o->cv / 2];
        }
        free(fold), free(kept), free(score);
    }

    /* 2. without a scoring run, a run on every row, with its validation share when
     *    there is one, tells how many epochs to train (or is the model, without refit) */
    int chose = n_test > 0 || o->cv > 1; /* the epochs were chosen on rows held out */
    if (!interrupted && net == NULL && (!chose || !o->refit)) {
        net = new_net(o, t, &all);
        r = train_run(o, net, &all, o->epochs, validate, "", class_w);
        say_run(o, &r, "", cls);
        epochs = r.kept;
        chose = validate;
    }
    /* 3. the model saved: trained on every row for the epochs chosen */
    const int refit = !interrupted && chose && o->refit;
    if (refit) {
        mlp_net_free(net);
        net = new_net(o, t, &all);
        r = train_run(o, net, &all, epochs, 0, "every row: ", class_w);
        say_run(o, &r, "every row: ", cls);
    }
    if (net == NULL) die("interrupted before a model was trained: %s not written", output);
    hold_signals(1); /* a save is whole or absent: a signal now waits for its end */
    const mlp_status saved = mlp_net_save(net, output);
    hold_signals(0);
    check(saved, "saving the model");
    if (!o->quiet && refit)
        fprintf(stderr, "saved %s: trained on all %zu rows for %zu epochs, a number chosen on "
                        "held-out rows\n", output, n, epochs);
    else if (!o->quiet)
        fprintf(stderr, "saved %s: trained on %s\n", output,
                n_test > 0 ? "the rows not held out" : validate ? "the rows not validated on"
                                                                : "every row");
    if (o->test_file != NULL && !interrupted) {
        const char **a = NULL, **b = NULL, **c = NULL;
        mlp_table *tt = read_labelled(net, o, o->test_file, &a, &b, &c);
        mlp_dataset test;
        check(mlp_table_dataset(&test, sizeof test, tt), "mlp_table_dataset");
        printf("%s (%zu rows; the model saved in %s):\n", o->test_file, test.n, output);
        print_scores(net, &test, stdout);
        mlp_table_free(tt);
        free(a), free(b), free(c);
    }
    mlp_net_free(net);
    free(order);
    free(class_w);
    mlp_table_free(t);
    if (interrupted) {
        fprintf(stderr, "%s: interrupted: %s holds the best model so far\n", prog, output);
        return EXIT_FAILURE;
    }
    return r.status == MLP_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- predict, eval --------------------------------------------------------------------- */

static mlp_net *load(const char *path)
{
    mlp_net *net;
    check(mlp_net_load(&net, path), "loading the model");
    return net;
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

/* CSV options that read a file as a model with columns reads it (its columns by name,
 * encoded as in training), with the command's header and delimiter. */
static mlp_csv_options model_options(const mlp_net *net, const opts *o)
{
    mlp_csv_options co;
    check(mlp_csv_options_for_net(&co, sizeof co, net), "reading the data");
    co.header = o->header;
    co.delimiter = o->delimiter;
    if (o->header == 0) { /* the columns by their places */
        co.input_names = NULL;
        co.n_input_names = 0;
    }
    return co;
}

static mlp_table *read_labelled(const mlp_net *net, const opts *o, const char *path,
                                const char ***free1, const char ***free2, const char ***free3)
{
    const size_t in = mlp_net_n_inputs(net), classes = mlp_net_n_classes(net);
    const size_t nt = mlp_net_n_targets(net);
    if (nt == 0) die("the model does not name its target column");
    if (mlp_net_n_columns(net) > 0) {
        const mlp_csv_options co = model_options(net, o);
        mlp_table *t = read_table(path, &co);
        say_columns(t, path, NULL, o->quiet);
        *free1 = *free2 = *free3 = NULL;
        return t;
    }
    mlp_csv_options co = csv_options(o);
    const char **inputs = names_of(mlp_net_input_name, net, in, "input");
    const char **targets = names_of(mlp_net_target_name, net, nt, "target");
    if (o->header != 0) {
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
    mlp_table *t = read_table(path, &co);
    if (mlp_table_n_inputs(t) != in)
        die("%s: %zu input columns, the model takes %zu", path, mlp_table_n_inputs(t), in);
    *free1 = inputs;
    *free2 = targets;
    *free3 = labels;
    return t;
}

/* A CSV field, quoted when it must be. */
static void put_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") != NULL) csv_fwrite(f, s, strlen(s));
    else fputs(s, f);
}

/* The header of a class's probability column, "p(LABEL)", as one field whatever the
 * label holds and however long it is. */
static void put_class_field(FILE *f, const char *label)
{
    const size_t n = strlen(label);
    char *col = xmalloc(n + 4);
    memcpy(col, "p(", 2);
    memcpy(col + 2, label, n);
    memcpy(col + 2 + n, ")", 2);
    put_field(f, col);
    free(col);
}

static int cmd_predict(const opts *o, int argc, char **argv)
{
    if (argc != 2) usage_error("predict takes a model and a CSV file");
    mlp_net *net = load(argv[0]);
    const size_t in = mlp_net_n_inputs(net), k = mlp_net_n_outputs(net);
    const size_t classes = mlp_net_n_classes(net);
    const size_t n_cols = mlp_net_n_columns(net);
    mlp_csv_options co = n_cols > 0 ? model_options(net, o) : csv_options(o);
    const char **inputs = NULL;
    if (n_cols > 0 && o->header != 0) {
        inputs = xmalloc(n_cols * sizeof *inputs);
        for (size_t c = 0; c < n_cols; c++) {
            mlp_column_info ci;
            check(mlp_column_info_init(&ci, sizeof ci), "mlp_column_info_init");
            check(mlp_net_column(net, c, &ci), "mlp_net_column");
            inputs[c] = ci.name;
        }
    } else if (n_cols == 0 && mlp_net_input_name(net, 0) != NULL && o->header != 0) {
        inputs = names_of(mlp_net_input_name, net, in, "input");
        co.input_names = inputs;
        co.n_input_names = in;
    }
    const size_t n_named = n_cols > 0 ? n_cols : in;
    co.target = "";
    co.target_names = NULL;
    co.n_target_names = 0;
    mlp_csv_stream *st;
    if (!strcmp(argv[1], "-"))
        check(mlp_csv_stream_open_file(&st, stdin, "standard input", &co), "reading the data");
    else
        check(mlp_csv_stream_open(&st, argv[1], &co), "reading the data");
    /* the first block before any output: a file the model cannot read writes nothing */
    enum { BLOCK = 4096 };
    mlp_table *t;
    const mlp_status first = mlp_csv_stream_read(st, &t, BLOCK);
    if (first != MLP_OK && inputs != NULL) {
        /* say which columns the model reads, beside what the file lacks */
        char cols[512];
        size_t used = 0;
        for (size_t i = 0; i < n_named && used + 1 < sizeof cols; i++) {
            const int w = snprintf(cols + used, sizeof cols - used, "%s%s", i ? ", " : "",
                                   inputs[i]);
            if (w < 0) break;
            used += (size_t)w;
        }
        die("reading the data: %s (the model reads the columns %s%s)", detail(), cols,
            used + 1 >= sizeof cols ? "..." : "");
    }
    check(first, "reading the data");
    FILE *out = open_output(o->output, 0);
    /* the header */
    const char *target = mlp_net_n_targets(net) > 0 ? mlp_net_target_name(net, 0) : "prediction";
    if (classes > 0) {
        put_field(out, target);
        for (size_t c = 0; c < classes && k > 1; c++) {
            fputc(',', out);
            put_class_field(out, mlp_net_class_name(net, c));
        }
        if (k == 1) {
            fputc(',', out);
            put_class_field(out, mlp_net_class_name(net, 1));
        }
    } else {
        for (size_t c = 0; c < k; c++) {
            char col[32];
            snprintf(col, sizeof col, "y%zu", c + 1);
            if (c) fputc(',', out);
            put_field(out, c < mlp_net_n_targets(net) ? mlp_net_target_name(net, c) : col);
        }
    }
    fputc('\n', out);
    /* --precision: a predictor of the model in it (the model's own otherwise) */
    mlp_predictor *pred = NULL;
    mlp_workspace *ws;
    if (o->precision_set) {
        check(mlp_predictor_create(&pred, net, o->precision), "--precision");
        check(mlp_predictor_workspace_create(&ws, pred, BLOCK), "mlp_predictor_workspace_create");
    } else {
        check(mlp_workspace_create(&ws, net, BLOCK), "mlp_workspace_create");
    }
    double *p = xmalloc(BLOCK * k * sizeof *p);
    size_t rows = 0;
    cell_counts *counts = xcalloc(n_cols ? n_cols : 1, sizeof *counts);
    for (int block = 0;; block++) {
        if (block > 0) check(mlp_csv_stream_read(st, &t, BLOCK), "reading the data");
        if (t == NULL) break;
        const size_t m = mlp_table_rows(t);
        if (mlp_table_n_inputs(t) != in)
            die("%s: %zu input columns, the model takes %zu", argv[1], mlp_table_n_inputs(t), in);
        char what[96]; /* the library counts the block's rows from 0 */
        snprintf(what, sizeof what, "predicting data rows %zu to %zu (counted from 0 below)",
                 rows + 1, rows + m);
        check(pred != NULL ? mlp_predictor_predict(pred, ws, p, mlp_table_inputs(t), m)
                           : mlp_net_predict(net, ws, p, mlp_table_inputs(t), m),
              what);
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
        count_cells(t, counts);
        mlp_table_free(t);
    }
    if (fflush(out) != 0 || ferror(out)) die("writing the predictions: %s", strerror(errno));
    commit_output(o->output, 0);
    if (!o->quiet && pred != NULL)
        fprintf(stderr, "%zu row%s predicted in %s (%s)\n", rows, rows == 1 ? "" : "s",
                mlp_precision_name(mlp_predictor_precision(pred)), mlp_predictor_engine(pred));
    else if (!o->quiet)
        fprintf(stderr, "%zu row%s predicted\n", rows, rows == 1 ? "" : "s");
    say_cells(argv[1], net, net_column, counts, n_cols, NULL, o->quiet);
    free(counts);
    free(p);
    free(inputs);
    mlp_workspace_free(ws);
    mlp_predictor_free(pred);
    mlp_csv_stream_close(st);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

static int cmd_eval(const opts *o, int argc, char **argv)
{
    if (argc != 2) usage_error("eval takes a model and a CSV file");
    mlp_net *net = load(argv[0]);
    const char **a = NULL, **b = NULL, **c = NULL;
    mlp_table *t = read_labelled(net, o, argv[1], &a, &b, &c);
    mlp_dataset rows;
    check(mlp_table_dataset(&rows, sizeof rows, t), "mlp_table_dataset");
    print_scores(net, &rows, stdout);
    mlp_table_free(t);
    free(a), free(b), free(c);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

/* ---- info, export --------------------------------------------------------------------- */

/* The network in one line: "NAME: 4 inputs -> 16 relu -> ...; N parameters". */
static void print_layers(const mlp_net *net, const char *name)
{
    printf("%s: %zu inputs", name, mlp_net_n_inputs(net));
    for (size_t l = 0; l < mlp_net_n_layers(net); l++) {
        mlp_layer_spec li;
        check(mlp_layer_spec_init(&li, sizeof li), "mlp_layer_spec_init");
        check(mlp_net_layer(net, l, &li, NULL), "mlp_net_layer");
        if (li.kind == MLP_LAYER_DROPOUT) {
            printf(" -> dropout %g", li.rate);
        } else if (li.kind == MLP_LAYER_LAYERNORM || li.kind == MLP_LAYER_BATCHNORM) {
            const int batch = li.kind == MLP_LAYER_BATCHNORM;
            printf(" -> %s", batch ? "batchnorm" : "layernorm");
            if (li.epsilon != 1e-5) printf(" (epsilon %g)", li.epsilon);
            if (batch && li.momentum != 0.1) printf(" (momentum %g)", li.momentum);
            if (li.activation != MLP_ACT_IDENTITY)
                printf(" %s", mlp_activation_name(li.activation));
            printf("%s", li.bias ? "" : " (no bias)");
        } else {
            printf(" -> %zu %s%s", li.size, mlp_activation_name(li.activation),
                   li.bias ? "" : " (no bias)");
        }
    }
    printf("; %zu parameters", mlp_net_n_params(net));
    if (mlp_net_precision(net) != MLP_PRECISION_FLOAT64)
        printf(" (%s)", mlp_precision_name(mlp_net_precision(net)));
    printf("\n");
}

static int cmd_info(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("info takes one model");
    mlp_net *net = load(argv[0]);
    print_layers(net, argv[0]);
    mlp_provenance pv;
    mlp_optimizer opt;
    check(mlp_provenance_init(&pv, sizeof pv), "mlp_provenance_init");
    check(mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_SGD), "mlp_optimizer_init");
    check(mlp_net_provenance(net, &pv, &opt), "mlp_net_provenance");
    printf("written by libmlp %s\n", pv.library_version);
    if (pv.trained) {
        printf("trained: %zu epochs, %s, %s", pv.epochs, mlp_loss_name(pv.loss),
               mlp_optimizer_name(opt.kind));
        if (opt.learning_rate > 0) printf(" (learning rate %g)", opt.learning_rate);
        printf(", batch %zu, seed %llu\n", pv.batch_size, (unsigned long long)pv.seed);
    } else {
        printf("not trained\n");
    }
    if (mlp_net_n_columns(net) > 0) {
        printf("columns (%zu, making the %zu inputs):\n", mlp_net_n_columns(net),
               mlp_net_n_inputs(net));
        for (size_t c = 0; c < mlp_net_n_columns(net); c++) {
            mlp_column_info ci;
            check(mlp_column_info_init(&ci, sizeof ci), "mlp_column_info_init");
            check(mlp_net_column(net, c, &ci), "mlp_net_column");
            printf("  %s: ", shown(ci.name));
            if (ci.kind == MLP_COLUMN_NUMERIC) {
                printf("number; a missing one is %.6g%s\n", ci.fill,
                       ci.indicator ? ", and an input says so" : "");
                continue;
            }
            printf("%zu categor%s", ci.n_categories, ci.n_categories == 1 ? "y" : "ies");
            for (size_t k = 0; k < ci.n_categories && k < 20; k++) {
                const char *l = ci.categories[k];
                printf(strpbrk(l, ", \"") != NULL ? "%s \"%s\"" : "%s %s", k ? "," : ":",
                       shown(l));
            }
            if (ci.n_categories > 20) printf(", and %zu more", ci.n_categories - 20);
            printf("%s\n", ci.missing_category ? "; a missing one is a category of its own"
                                                : "; a missing one is none of them (zeros)");
        }
    } else if (mlp_net_input_name(net, 0) != NULL) {
        printf("inputs:");
        for (size_t i = 0; i < mlp_net_n_inputs(net); i++) {
            const char *nm = mlp_net_input_name(net, i);
            printf(strpbrk(nm, ", ") != NULL ? "%s \"%s\"" : "%s %s", i ? "," : "", shown(nm));
        }
        printf("\n");
    }
    for (size_t i = 0; i < mlp_net_n_targets(net); i++)
        printf("%s %s\n", i ? "       " : "target:", shown(mlp_net_target_name(net, i)));
    if (mlp_net_n_classes(net) > 0) {
        printf("classes:");
        for (size_t c = 0; c < mlp_net_n_classes(net); c++) {
            const char *l = mlp_net_class_name(net, c);
            printf(strpbrk(l, ", \"") != NULL ? "%s \"%s\"" : "%s %s", c ? "," : "", shown(l));
        }
        printf("\n");
    }
    const double *h = NULL, *v = NULL;
    size_t epochs = 0;
    check(mlp_net_loss_history(net, &h, &epochs), "mlp_net_loss_history");
    check(mlp_net_val_loss_history(net, &v, &epochs), "mlp_net_val_loss_history");
    int validated = 0;
    for (size_t e = 0; e < epochs; e++) validated |= !isnan(v[e]);
    const size_t kept = pv.kept_epoch;
    if (epochs > 0) {
        printf("training loss: epoch 1 %.6g, epoch %zu %.6g\n", h[0], epochs, h[epochs - 1]);
        if (validated) {
            size_t at = SIZE_MAX;
            for (size_t e = 0; e < epochs; e++)
                if (!isnan(v[e]) && (at == SIZE_MAX || v[e] < v[at])) at = e;
            printf("validation loss: lowest %.6g at epoch %zu\n", v[at], at + 1);
        }
        if (kept > 0) {
            printf("the weights of epoch %zu%s: training loss %.6g", kept,
                   kept == epochs ? " (the last)" : "", h[kept - 1]);
            if (!isnan(v[kept - 1])) printf(", validation loss %.6g", v[kept - 1]);
            printf("\n");
        }
    }
    if (o->plot != NULL) {
        if (epochs == 0) die("%s: no loss history to plot", argv[0]);
        /* gnuplot draws to its standard output, which is the temporary file of the
         * command's own writer: the path never reaches gnuplot's command language */
        open_output(o->plot, 0);
        int in[2];
        if (pipe(in) != 0) die("cannot run gnuplot: %s", strerror(errno));
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, outputs[0].fd, STDOUT_FILENO);
        if (in[0] != STDIN_FILENO) posix_spawn_file_actions_addclose(&fa, in[0]);
        posix_spawn_file_actions_addclose(&fa, in[1]);
        char *gargv[] = {(char *)"gnuplot", NULL};
        pid_t pid;
        const int spawned = posix_spawnp(&pid, "gnuplot", &fa, NULL, gargv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(in[0]);
        if (spawned != 0)
            die("cannot run gnuplot (%s): is it installed (apt-get install gnuplot-nox)?",
                strerror(spawned));
        signal(SIGPIPE, SIG_IGN); /* a gnuplot that stops reading is a failure below */
        FILE *g = fdopen(in[1], "w");
        if (g == NULL) die("cannot write to gnuplot: %s", strerror(errno));
        fprintf(g, "set terminal pngcairo size 800,480\nset output\nset logscale y\n"
                   "set xlabel 'epoch'\nset ylabel 'loss'\nset grid\nset key top right\n");
        if (kept > 0)
            fprintf(g, "set arrow from %zu, graph 0 to %zu, graph 1 nohead dt 2 lc rgb 'gray40'\n"
                       "set label 'kept: epoch %zu' at %zu, graph 0.95 offset 1,0 tc rgb 'gray40'\n",
                    kept, kept, kept, kept);
        fprintf(g, "plot '-' using 1:2 with lines lw 2 title 'training'%s\n",
                validated ? ", '-' using 1:2 with lines lw 2 title 'validation'" : "");
        for (size_t e = 0; e < epochs; e++) fprintf(g, "%zu %.17g\n", e + 1, h[e]);
        fprintf(g, "e\n");
        if (validated) {
            for (size_t e = 0; e < epochs; e++)
                if (!isnan(v[e])) fprintf(g, "%zu %.17g\n", e + 1, v[e]);
            fprintf(g, "e\n");
        }
        const int fed = fflush(g) == 0 && !ferror(g);
        fclose(g);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) continue;
        if (!fed || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            die("gnuplot failed (%s %d): is its cairo terminal installed (apt-get install "
                "gnuplot-nox)?", WIFEXITED(st) ? "status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        commit_output(o->plot, 0);
        printf("plot: %s\n", o->plot);
    }
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

/* The exported header's path beside the C file's: NAME.c gives NAME.h; any other
 * name gets ".h" appended. */
static char *header_path(const char *path)
{
    const size_t len = strlen(path);
    char *h = xmalloc(len + 3);
    memcpy(h, path, len + 1);
    if (len > 2 && !strcmp(path + len - 2, ".c")) h[len - 1] = 'h';
    else strcat(h, ".h");
    return h;
}

/* The exported symbols' prefix: --name, else the C file's base name when it is an
 * identifier, else "model". */
static const char *export_name(const opts *o, char *buf, size_t size)
{
    if (o->name != NULL) { /* the user's: a usage error when it cannot be a C prefix */
        int ok = o->name[0] != '\0' && strlen(o->name) <= 64 &&
                 (isalpha((unsigned char)o->name[0]) || o->name[0] == '_');
        for (const char *p = o->name; ok && *p; p++)
            ok = isalnum((unsigned char)*p) || *p == '_';
        if (!ok)
            usage_error("--name \"%.80s\": the prefix of the exported symbols must be a C "
                        "identifier of at most 64 characters", o->name);
        return o->name;
    }
    if (o->output == NULL) return "model";
    const char *slash = strrchr(o->output, '/'), *base = slash != NULL ? slash + 1 : o->output;
    size_t len = strcspn(base, ".");
    if (len == 0 || len >= size || !(isalpha((unsigned char)base[0]) || base[0] == '_'))
        return "model";
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)base[i]) || base[i] == '_')) return "model";
    memcpy(buf, base, len);
    buf[len] = '\0';
    return buf;
}

/* The model as ONNX: the library packs it, the command writes it as every output. */
static int export_onnx(const opts *o, const char *model)
{
    if (o->name != NULL) usage_error("--name names the C export's symbols; an ONNX model has none");
    if (o->output == NULL && !o->output_stdout)
        usage_error("an ONNX model is binary: give -o MODEL.onnx (or -o - for standard output)");
    mlp_net *net = load(model);
    size_t size = 0;
    check(mlp_net_export_onnx_buffer(net, NULL, 0, &size), "exporting");
    unsigned char *bytes = xmalloc(size);
    check(mlp_net_export_onnx_buffer(net, bytes, size, &size), "exporting");
    FILE *out = open_output(o->output, 0);
    if (fwrite(bytes, 1, size, out) != size)
        die("writing %s: %s", o->output ? o->output : "standard output", strerror(errno));
    commit_output(o->output, 0);
    if (o->output != NULL && !o->quiet)
        fprintf(stderr, "wrote %s (ONNX, %zu bytes)\n", o->output, size);
    free(bytes);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

/* Whether the model encodes a column (categories, an indicator): its export then
 * writes NAME_encode for the raw rows. */
static int encodes(const mlp_net *net)
{
    for (size_t c = 0; c < mlp_net_n_columns(net); c++) {
        mlp_column_info ci;
        check(mlp_column_info_init(&ci, sizeof ci), "mlp_column_info_init");
        check(mlp_net_column(net, c, &ci), "mlp_net_column");
        if (ci.kind != MLP_COLUMN_NUMERIC || ci.indicator) return 1;
    }
    return 0;
}

static int cmd_export(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("export takes one model");
    const size_t olen = o->output != NULL ? strlen(o->output) : 0;
    if (o->format != NULL ? !strcmp(o->format, "onnx")
                          : olen > 5 && !strcmp(o->output + olen - 5, ".onnx"))
        return export_onnx(o, argv[0]);
    char buf[65];
    const char *name = export_name(o, buf, sizeof buf);
    mlp_net *net = load(argv[0]);
    char *hpath = o->output != NULL ? header_path(o->output) : NULL;
    FILE *out = open_output(o->output, 0);
    check(mlp_net_export_c(net, out, name), "exporting"); /* a failure: no file changes */
    if (hpath != NULL) {
        FILE *h = open_output(hpath, 1);
        check(mlp_net_export_c_header(net, h, name), "exporting the header");
        commit_output(hpath, 1);
    }
    commit_output(o->output, 0);
    if (hpath != NULL && !o->quiet) {
        const int enc = encodes(net);
        fprintf(stderr, "wrote %s and %s (%s%s%s_predict)\n", o->output, hpath, enc ? name : "",
                enc ? "_encode, " : "", name);
    }
    free(hpath);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

/* "a,b,c" as 3 new strings (an empty piece is a name too: "a,,b" has 3). */
static char **split_list(const char *s, size_t *n)
{
    *n = 1;
    for (const char *p = s; *p; p++) *n += *p == ',';
    char **v = xmalloc(*n * sizeof *v);
    for (size_t i = 0; i < *n; i++) {
        const size_t len = strcspn(s, ",");
        v[i] = xmalloc(len + 1);
        memcpy(v[i], s, len);
        v[i][len] = '\0';
        s += len + (s[len] == ',');
    }
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* An ONNX model into a model file: MODEL.onnx gives MODEL.mlp without -o. */
static int cmd_import(const opts *o, int argc, char **argv)
{
    if (argc != 1) usage_error("import takes one ONNX model");
    if (o->output_stdout) usage_error("import writes a model file (-o FILE), not standard output");
    char *output = NULL;
    if (o->output == NULL) {
        const size_t len = strlen(argv[0]);
        const size_t stem = len > 5 && !strcmp(argv[0] + len - 5, ".onnx") ? len - 5 : len;
        output = xmalloc(stem + 5);
        memcpy(output, argv[0], stem);
        memcpy(output + stem, ".mlp", 5);
    }
    const char *out = o->output != NULL ? o->output : output;
    if ((o->target != NULL || o->classes != NULL) && o->inputs == NULL)
        usage_error("import: --target and --classes go with --inputs (every input's name)");
    mlp_net *net;
    check(mlp_net_import_onnx(&net, argv[0]), "importing the model");
    if (o->inputs != NULL) { /* a PyTorch model names nothing: the user names it */
        size_t ni = 0, nt = 0, nc = 0;
        char **in = split_list(o->inputs, &ni), **tg = NULL, **cl = NULL;
        if (ni != mlp_net_n_inputs(net))
            usage_error("--inputs: %zu names for a model of %zu inputs", ni, mlp_net_n_inputs(net));
        if (o->target != NULL) tg = split_list(o->target, &nt);
        if (o->classes != NULL) cl = split_list(o->classes, &nc);
        check(mlp_net_set_columns(net, (const char *const *)in, (const char *const *)tg, nt),
              "naming the columns");
        if (cl != NULL)
            check(mlp_net_set_classes(net, (const char *const *)cl, nc), "naming the classes");
        free_list(in, ni);
        free_list(tg, nt);
        free_list(cl, nc);
    }
    print_layers(net, argv[0]);
    hold_signals(1); /* a save is whole or absent: a signal now waits for its end */
    const mlp_status saved = mlp_net_save(net, out);
    hold_signals(0);
    check(saved, "saving the model");
    if (!o->quiet) fprintf(stderr, "saved %s\n", out);
    free(output);
    mlp_net_free(net);
    return EXIT_SUCCESS;
}

/* The commands each option applies to: one the command would ignore is refused, not
 * taken in silence (eval --precision would score in float64 what the user meant in
 * bfloat16). */
enum { C_TRAIN = 1, C_PREDICT = 2, C_EVAL = 4, C_INFO = 8, C_EXPORT = 16, C_IMPORT = 32 };
static const char *const command_names[] = {"train", "predict", "eval", "info", "export", "import"};
static const struct {
    const char *name;
    unsigned commands;
} applies[] = {
    {"target", C_TRAIN | C_IMPORT}, {"inputs", C_TRAIN | C_IMPORT}, {"task", C_TRAIN},
    {"hidden", C_TRAIN}, {"activation", C_TRAIN}, {"norm", C_TRAIN}, {"dropout", C_TRAIN},
    {"epochs", C_TRAIN}, {"batch", C_TRAIN}, {"optimizer", C_TRAIN},
    {"precision", C_TRAIN | C_PREDICT}, {"lr", C_TRAIN}, {"weight-decay", C_TRAIN},
    {"validation", C_TRAIN}, {"patience", C_TRAIN}, {"test", C_TRAIN}, {"test-file", C_TRAIN},
    {"cv", C_TRAIN}, {"no-refit", C_TRAIN}, {"scale", C_TRAIN}, {"seed", C_TRAIN},
    {"output", C_TRAIN | C_PREDICT | C_EXPORT | C_IMPORT},
    {"quiet", C_TRAIN | C_PREDICT | C_EVAL | C_INFO | C_EXPORT | C_IMPORT},
    {"delimiter", C_TRAIN | C_PREDICT | C_EVAL}, {"header", C_TRAIN | C_PREDICT | C_EVAL},
    {"no-header", C_TRAIN | C_PREDICT | C_EVAL}, {"plot", C_INFO}, {"name", C_EXPORT},
    {"format", C_EXPORT}, {"classes", C_IMPORT}, {"categorical", C_TRAIN}, {"numeric", C_TRAIN},
    {"ignore", C_TRAIN}, {"na", C_TRAIN}, {"impute", C_TRAIN}, {"missing-indicators", C_TRAIN},
    {"max-categories", C_TRAIN}, {"class-weight", C_TRAIN},
};

/* Usage error for an option (of rest, as gathered) that `cmd` (one of C_) does not take,
 * naming the commands that do. */
static void check_applies(const char *name, unsigned cmd, char **rest, int nrest)
{
    for (int i = 1; i < nrest; i++) {
        const char *a = rest[i];
        if (a[0] != '-' || a[1] == '\0') continue;
        char opt[32];
        if (a[1] != '-') { /* -t -o -d -q, perhaps with the value joined */
            const char *longs = a[1] == 't'   ? "target"
                                : a[1] == 'o' ? "output"
                                : a[1] == 'd' ? "delimiter"
                                : a[1] == 'q' ? "quiet"
                                              : NULL;
            if (longs == NULL) continue; /* getopt refused it already */
            snprintf(opt, sizeof opt, "%s", longs);
            if (a[2] == '\0' && takes_argument(a)) i++;
        } else {
            const size_t len = strcspn(a + 2, "=");
            snprintf(opt, sizeof opt, "%.*s", (int)(len < sizeof opt ? len : sizeof opt - 1),
                     a + 2);
            if (strchr(a, '=') == NULL && takes_argument(a)) i++;
        }
        for (size_t k = 0; k < sizeof applies / sizeof applies[0]; k++) {
            if (strcmp(applies[k].name, opt) != 0 || (applies[k].commands & cmd)) continue;
            char which[96] = "";
            for (unsigned c = 0; c < 6; c++)
                if (applies[k].commands & (1u << c))
                    snprintf(which + strlen(which), sizeof which - strlen(which), "%s%s",
                             which[0] ? ", " : "", command_names[c]);
            usage_error("--%s does not apply to %s (it is an option of %s)", opt, name, which);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) usage_error("a command is needed: train, predict, eval, info, export or import");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(help, stdout);
        fputs(help_options, stdout);
        finish_stdout();
        return EXIT_SUCCESS;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mlp (libmlp) %s\n", mlp_version());
        finish_stdout();
        return EXIT_SUCCESS;
    }
    const char *cmd = argv[1];
    opts o;
    /* options may come before or after the arguments: gather both ("-" alone is an
     * argument: standard input) */
    /* static: reachable until exit, which a usage error reaches from anywhere */
    static char **args, **rest;
    args = xmalloc((size_t)argc * sizeof *args);
    int nargs = 0, nrest = 1;
    rest = xmalloc(((size_t)argc + 1) * sizeof *rest);
    rest[0] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] != '\0') {
            rest[nrest++] = argv[i];
            if (takes_argument(a) && i + 1 < argc) rest[nrest++] = argv[++i];
        } else {
            args[nargs++] = argv[i];
        }
    }
    rest[nrest] = NULL;
    parse_options(&o, nrest, rest);
    for (unsigned c = 0; c < 6; c++)
        if (!strcmp(cmd, command_names[c])) check_applies(cmd, 1u << c, rest, nrest);
    int status;
    if (!strcmp(cmd, "train")) status = cmd_train(&o, nargs, args);
    else if (!strcmp(cmd, "predict")) status = cmd_predict(&o, nargs, args);
    else if (!strcmp(cmd, "eval")) status = cmd_eval(&o, nargs, args);
    else if (!strcmp(cmd, "info")) status = cmd_info(&o, nargs, args);
    else if (!strcmp(cmd, "export")) status = cmd_export(&o, nargs, args);
    else if (!strcmp(cmd, "import"))
        status = cmd_import(&o, nargs, args);
    else usage_error("unknown command '%s'", cmd);
    free(args);
    free(rest);
    finish_stdout();
    return status;
}
