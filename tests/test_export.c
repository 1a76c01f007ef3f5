/* C export: the exported file of several trained networks (every activation,
 * classification and regression, with and without scaling) is compiled by the
 * system's C compiler as a shared object with a file of the user's that calls it
 * through the exported header, loaded, and compared with the library's
 * mlp_net_predict on 10,000 rows: equal to 1e-12 relative. */
#define _GNU_SOURCE /* mkdtemp, dlopen */
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

typedef void (*predict_fn)(const double *, double *);
typedef int (*class_fn)(const double *);

static double uniform(unsigned long long *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

enum { IN = 4, ROWS = 10000, TRAIN = 64 };

/* The float32 file against the float32 library: both compute in float, in other
 * orders (sgemm's sums, libmvec's expf); 64 ε of float, relative to the larger of the
 * values or 1 (measured: 7.8e-7, 6.5 ε) */
#define TOL32 (64 * (double)FLT_EPSILON)

/* Compile `net`'s export and compare it with the library on ROWS raw rows: to tol
 * (tu_close's: relative to the larger magnitude, or 1). */
static void check_export(mlp_net *net, const char *name, double *worst, double tol)
{
    char dir[] = "/tmp/mlp_export_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char src[256], so[256], cmd[1024];
    snprintf(src, sizeof src, "%s/%s.c", dir, name);
    snprintf(so, sizeof so, "%s/%s.so", dir, name);
    FILE *f = fopen(src, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(mlp_net_export_c(net, f, name), MLP_OK);
    fclose(f);
    /* the header, and a program of the user's that includes it: it calls the model
     * through the header alone (user_row gives the first output of a row) */
    char hdr[256], user[256];
    snprintf(hdr, sizeof hdr, "%s/%s.h", dir, name);
    snprintf(user, sizeof user, "%s/user_%s.c", dir, name);
    f = fopen(hdr, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(mlp_net_export_c_header(net, f, name), MLP_OK);
    fclose(f);
    f = fopen(user, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#include \"%s.h\"\n#include <string.h>\n"
               "double user_row(const double *x);\n"
               "double user_row(const double *x)\n{\n"
               "    double y[%s_N_OUTPUTS], in[%s_N_INPUTS];\n"
               "    memcpy(in, x, sizeof in);\n    %s_predict(in, y);\n",
            name, name, name, name);
    if (mlp_net_n_classes(net) > 0)
        fprintf(f, "    if (%s_predict_class(in) < 0 || %s_predict_class(in) >= %s_N_CLASSES ||\n"
                   "        %s_classes[0][0] == 0) return -1.0;\n", name, name, name, name);
    fprintf(f, "    return y[0];\n}\n");
    fclose(f);
    /* as a user would: strict C99, every warning an error, prototypes required */
    snprintf(cmd, sizeof cmd,
             "cc -std=c99 -pedantic -Wall -Wextra -Wmissing-prototypes -Werror -O2 -fPIC -shared "
             "%s %s -o %s -lm", src, user, so);
    ck_assert_msg(system(cmd) == 0, "%s: the exported file does not compile", name);
    if (mlp_net_precision(net) == MLP_PRECISION_FLOAT32) { /* float math declared for C89 */
        snprintf(cmd, sizeof cmd,
                 "cc -std=c89 -pedantic -Wall -Wextra -Werror -fsyntax-only %s && "
                 "grep -q 'static const float' %s",
                 src, src);
        ck_assert_msg(system(cmd) == 0, "%s: the float32 export is not C89, or not float", name);
    }
    /* and the header as C++ sees it */
    snprintf(cmd, sizeof cmd, "command -v c++ >/dev/null || exit 0; "
             "printf '#include \"%s.h\"\\nint main() { double x[%zu] = {0}, y[%zu]; "
             "%s_predict(x, y); return 0; }\\n' | c++ -x c++ -fsyntax-only -Wall -Werror "
             "-I%s -", name, mlp_net_n_inputs(net), mlp_net_n_outputs(net), name, dir);
    ck_assert_msg(system(cmd) == 0, "%s: the header does not compile as C++", name);
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
    char sym[128];
    snprintf(sym, sizeof sym, "%s_predict", name);
    predict_fn predict;
    void *found = dlsym(h, sym);
    ck_assert_ptr_nonnull(found);
    memcpy(&predict, &found, sizeof predict); /* POSIX: a function's address as void * */

    const size_t k = mlp_net_n_outputs(net);
    double *x = malloc(ROWS * IN * sizeof *x), *lib = malloc(ROWS * k * sizeof *lib), y[8];
    ck_assert(x != NULL && lib != NULL);
    unsigned long long s = 99;
    for (size_t i = 0; i < ROWS * IN; i++) x[i] = 3.0 * uniform(&s) + 10.0; /* raw: off-center */
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, ROWS), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, lib, x, ROWS), MLP_OK);
    snprintf(sym, sizeof sym, "user_row");
    found = dlsym(h, sym);
    ck_assert_ptr_nonnull(found);
    double (*user_row)(const double *);
    memcpy(&user_row, &found, sizeof user_row);
    for (size_t r = 0; r < ROWS; r++) {
        predict(x + r * IN, y);
        if (r < 100) ck_assert_double_eq(user_row(x + r * IN), y[0]); /* through the header */
        for (size_t c = 0; c < k; c++) {
            const double a = y[c], b = lib[r * k + c];
            const double err = fabs(a - b) / fmax(1e-300, fmax(fabs(a), fabs(b)));
            if (err > *worst && fabs(a - b) > 1e-300) *worst = err;
            ck_assert_msg(tu_close(a, b, tol),
                          "%s: row %zu output %zu: exported %.17g, "
                          "library %.17g",
                          name, r, c, a, b);
        }
    }
    if (mlp_net_n_classes(net) > 0) {
        snprintf(sym, sizeof sym, "%s_predict_class", name);
        class_fn cls;
        found = dlsym(h, sym);
        ck_assert_ptr_nonnull(found);
        memcpy(&cls, &found, sizeof cls);
        size_t agree = 0;
        for (size_t r = 0; r < 100; r++) {
            size_t best = 0;
            if (k == 1) best = lib[r] > 0.5;
            else
                for (size_t c = 1; c < k; c++) best = lib[r * k + c] > lib[r * k + best] ? c : best;
            agree += (size_t)cls(x + r * IN) == best;
        }
        ck_assert_uint_eq(agree, 100);
        snprintf(sym, sizeof sym, "%s_classes", name);
        const char *const *names = (const char *const *)dlsym(h, sym);
        ck_assert_ptr_nonnull(names);
        ck_assert_str_eq(names[0], mlp_net_class_name(net, 0));
    }
    mlp_workspace_free(ws);
    dlclose(h);
    free(x);
    free(lib);
    unlink(src);
    unlink(hdr);
    unlink(user);
    unlink(so);
    rmdir(dir);
}

/* A network of `act` hidden layers trained a few epochs on raw rows, scaled. */
static mlp_net *trained(mlp_activation act, mlp_activation out, size_t k, int classes,
                        unsigned long long seed)
{
    const mlp_layer_spec spec[3] = {MLP_LAYER(9, act, 1), MLP_LAYER(5, act, seed % 2),
                                    MLP_LAYER(k, out, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, IN, spec, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, seed), MLP_OK);
    double x[TRAIN * IN], y[TRAIN * 3];
    unsigned long long s = seed;
    for (size_t i = 0; i < TRAIN * IN; i++) x[i] = 3.0 * uniform(&s) + 10.0;
    for (size_t r = 0; r < TRAIN; r++)
        for (size_t c = 0; c < k; c++)
            y[r * k + c] = classes ? (double)(c == r % k) : 50.0 * x[r * IN + c] + uniform(&s);
    if (classes && k == 1)
        for (size_t r = 0; r < TRAIN; r++) y[r] = (double)(r % 2);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD,
                                         classes ? MLP_SCALE_NONE : MLP_SCALE_STANDARD,
                                         TU_DATA(x, y, TRAIN)), MLP_OK);
    ck_assert_int_eq(mlp_net_transform(net, x, classes ? NULL : y, TU_DATA(x, y, TRAIN)), MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.01;
    const mlp_loss loss = !classes ? MLP_LOSS_MSE
                          : k == 1 ? MLP_LOSS_BINARY_CROSSENTROPY
                                   : MLP_LOSS_CATEGORICAL_CROSSENTROPY;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, loss, &o, TRAIN), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 5;
    f.batch_size = 16;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, y, TRAIN), &f), MLP_OK);
    mlp_trainer_free(tr);
    if (classes) {
        const char *names[3] = {"first \"one\"", "second\\two", "third*/"};
        ck_assert_int_eq(mlp_net_set_classes(net, names, k == 1 ? 2 : k), MLP_OK);
    }
    const char *cols[IN] = {"a", "b */ c", "d", "e"};
    ck_assert_int_eq(mlp_net_set_columns(net, cols, NULL, 0), MLP_OK);
    return net;
}

/* A network of every kind: a layer normalization, a dropout (the identity when
 * predicting), a batch normalization (its running statistics folded), trained a few
 * epochs on raw rows, scaled both ways. */
static mlp_net *trained_kinds(void)
{
    const mlp_layer_spec spec[] = {MLP_LAYER(9, MLP_ACT_IDENTITY, 1),
                                   MLP_LAYERNORM(MLP_ACT_TANH),
                                   MLP_DROPOUT(0.1),
                                   MLP_LAYER(6, MLP_ACT_IDENTITY, 0),
                                   MLP_BATCHNORM(MLP_ACT_RELU),
                                   MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, IN, spec, 6), MLP_OK);
    double x[TRAIN * IN], y[TRAIN * 2];
    unsigned long long s = 77;
    for (size_t i = 0; i < TRAIN * IN; i++) x[i] = 3.0 * uniform(&s) + 10.0;
    for (size_t r = 0; r < TRAIN; r++)
        for (size_t c = 0; c < 2; c++) y[r * 2 + c] = 50.0 * x[r * IN + c] + uniform(&s);
    const mlp_dataset d = MLP_DATASET(x, IN, y, 2, TRAIN);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_STANDARD, &d), MLP_OK);
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, TRAIN), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 5;
    f.batch_size = 16;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, &d, &f), MLP_OK);
    mlp_trainer_free(tr);
    return net;
}

START_TEST(exported_networks_predict_as_the_library)
{
    const mlp_activation acts[] = {MLP_ACT_RELU,     MLP_ACT_TANH, MLP_ACT_SIGMOID,
                                   MLP_ACT_LEAKY_RELU, MLP_ACT_ELU,  MLP_ACT_SOFTPLUS,
                                   MLP_ACT_GELU,     MLP_ACT_GELU_TANH, MLP_ACT_SILU,
                                   MLP_ACT_IDENTITY};
    double worst = 0.0, worst32 = 0.0;
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        char name[64];
        for (int classes = 0; classes <= 1; classes++) {
            /* a regression of 2 outputs in the targets' units, or three classes */
            mlp_net *net = classes ? trained(acts[a], MLP_ACT_SOFTMAX, 3, 1, 20 + a)
                                   : trained(acts[a], MLP_ACT_IDENTITY, 2, 0, 1 + a);
            snprintf(name, sizeof name, "%s_%s", classes ? "cls" : "reg",
                     mlp_activation_name(acts[a]));
            check_export(net, name, &worst, 1e-12);
            /* its float32 copy: the file computes in float, as the library does */
            mlp_net *f;
            ck_assert_int_eq(mlp_net_convert(&f, net, MLP_PRECISION_FLOAT32), MLP_OK);
            strcat(name, "_f32");
            check_export(f, name, &worst32, TOL32);
            mlp_net_free(f);
            mlp_net_free(net);
        }
    }
    /* two classes on one sigmoid node */
    mlp_net *net = trained(MLP_ACT_TANH, MLP_ACT_SIGMOID, 1, 1, 40), *f;
    check_export(net, "binary", &worst, 1e-12);
    ck_assert_int_eq(mlp_net_convert(&f, net, MLP_PRECISION_FLOAT32), MLP_OK);
    check_export(f, "binary_f32", &worst32, TOL32);
    mlp_net_free(f);
    mlp_net_free(net);
    /* every layer kind, in both precisions */
    net = trained_kinds();
    check_export(net, "kinds", &worst, 1e-12);
    ck_assert_int_eq(mlp_net_convert(&f, net, MLP_PRECISION_FLOAT32), MLP_OK);
    check_export(f, "kinds_f32", &worst32, TOL32);
    mlp_net_free(f);
    mlp_net_free(net);
    fprintf(stderr,
            "largest relative difference, exported against the library: %.3g; "
            "float32: %.3g\n",
            worst, worst32);
}
END_TEST

START_TEST(bad_names_are_refused)
{
    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 1, &spec, 1), MLP_OK);
    const char *bad[] = {"", "1abc", "a-b", "a b", "x;y",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(mlp_net_export_c(net, stdout, bad[i]) == MLP_ERR_INVALID_ARG, "%s", bad[i]);
    ck_assert_int_eq(mlp_net_export_c(net, NULL, "ok"), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_export_c(NULL, stdout, "ok"), MLP_ERR_INVALID_ARG);
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        setvbuf(full, NULL, _IONBF, 0);
        ck_assert_int_eq(mlp_net_export_c(net, full, "ok"), MLP_ERR_IO);
        fclose(full);
    }
    mlp_net_free(net);
}
END_TEST

/* The labels and column names of a model are the user's bytes: none of them may change
 * what the exported file means or stop it compiling. A model whose labels hold
 * trigraphs (??/ would splice the next line into a string, ??! and ??= would change
 * labels), quotes, comment pairs, backslashes, bidi controls, every byte from 1 to 255
 * and 10 KB (past C99's 4,095-character literal), and whose column names hold the
 * same, is exported; every compiler present (cc, gcc, clang; clang required when
 * MLP_TEST_ALL_COMPILERS is set, as in CI) compiles the file under -std=c89, c99 and
 * c11 with -pedantic -Wall -Wextra -Werror; and a program that includes it prints its
 * labels and weights as bytes and its predictions of three rows: the labels and
 * weights are the model's, byte for byte, and the predictions the library's (1e-12). */
enum { H_IN = 3, H_CLASSES = 8, H_LONG = 10240 };

static void expect_hex(FILE *p, const void *bytes, size_t n, const char *what, size_t i)
{
    char line[2 * H_LONG + 8];
    ck_assert_msg(fgets(line, sizeof line, p) != NULL, "%s %zu: no line", what, i);
    line[strcspn(line, "\n")] = '\0';
    char want[2 * H_LONG + 8];
    for (size_t b = 0; b < n; b++) sprintf(want + 2 * b, "%02x", ((const unsigned char *)bytes)[b]);
    want[2 * n] = '\0';
    ck_assert_msg(strcmp(line, want) == 0, "%s %zu: the export has %.80s, the model %.80s", what,
                  i, line, want);
}

/* dir/NAME.c and dir/NAME.h: net's export and its header. */
static void write_export(const mlp_net *net, const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.c", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(mlp_net_export_c(net, f, name), MLP_OK);
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.h", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(mlp_net_export_c_header(net, f, name), MLP_OK);
    fclose(f);
}

/* What a test's show.c prints, checked for one compiler and standard. */
typedef void (*show_reader)(FILE *p, const char *cc, const char *std, const void *ctx);

/* Every compiler present (cc, gcc, clang; clang required when MLP_TEST_ALL_COMPILERS is
 * set, as in CI) under -std=c89, c99 and c11: dir/NAME.c compiled with -pedantic -Wall
 * -Wextra -Wmissing-prototypes -Werror, dir/NAME.h included alone likewise, and
 * dir/show.c (which includes NAME.c) built and run, `read` checking what it prints. At
 * least 3 builds must run; dir is removed after. */
static void compile_everywhere(const char *dir, const char *name, show_reader read,
                               const void *ctx)
{
    const char *compilers[] = {"cc", "gcc", "clang"};
    const char *stds[] = {"c89", "c99", "c11"};
    char cmd[1024];
    int compiled = 0;
    for (size_t c = 0; c < 3; c++) {
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null", compilers[c]);
        if (system(cmd) != 0) {
            ck_assert_msg(c != 2 || getenv("MLP_TEST_ALL_COMPILERS") == NULL,
                          "clang is required (MLP_TEST_ALL_COMPILERS) and not found");
            continue;
        }
        for (size_t s = 0; s < 3; s++) {
            snprintf(cmd, sizeof cmd,
                     "cd %s && %s -std=%s -pedantic -Wall -Wextra -Wmissing-prototypes -Werror "
                     "-c %s.c -o %s.o && echo '#include \"%s.h\"' | %s -std=%s -pedantic -Wall "
                     "-Wextra -Werror -fsyntax-only -x c - && %s -std=%s -O1 show.c -o show -lm",
                     dir, compilers[c], stds[s], name, name, name, compilers[c], stds[s],
                     compilers[c], stds[s]);
            ck_assert_msg(system(cmd) == 0, "%s -std=%s: the export %s does not compile",
                          compilers[c], stds[s], name);
            snprintf(cmd, sizeof cmd, "%s/show", dir);
            FILE *p = popen(cmd, "r");
            ck_assert_ptr_nonnull(p);
            read(p, compilers[c], stds[s], ctx);
            ck_assert_int_eq(pclose(p), 0);
            compiled++;
        }
    }
    ck_assert_int_ge(compiled, 3);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* What the hostile test's program prints: the labels and weights as bytes, then each
 * row's outputs and class. */
typedef struct hostile {
    const mlp_net *net;
    const char *const *labels;
    const double *lib; /* the library's predictions, 3 rows */
} hostile;

static void read_hostile(FILE *p, const char *cc, const char *std, const void *ctx)
{
    const hostile *h = ctx;
    for (size_t k = 0; k < H_CLASSES; k++)
        expect_hex(p, h->labels[k], strlen(h->labels[k]), "label", k);
    const double *params = mlp_net_params_const(h->net);
    size_t at = 0;
    for (size_t l = 0; l < 4; l++) {
        const size_t in = l == 0 ? H_IN : 4, out = l == 3 ? H_CLASSES : 4;
        expect_hex(p, params + at, in * out * sizeof *params, "weights of layer", l);
        at += in * out;
        if (l != 1) {
            expect_hex(p, params + at, out * sizeof *params, "biases of layer", l);
            at += out;
        }
    }
    ck_assert_uint_eq(at, mlp_net_n_params(h->net));
    for (int r = 0; r < 3; r++) {
        size_t best = 0;
        for (size_t k = 0; k < H_CLASSES; k++) {
            char line[64];
            ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
            unsigned char b[8];
            for (int i = 0; i < 8; i++) sscanf(line + 2 * i, "%2hhx", &b[i]);
            double y;
            memcpy(&y, b, sizeof y);
            const double want = h->lib[r * H_CLASSES + k];
            ck_assert_msg(tu_close(y, want, 1e-12),
                          "%s -std=%s: row %d output %zu: %.17g, the library %.17g", cc, std, r,
                          k, y, want);
            best = want > h->lib[r * H_CLASSES + best] ? k : best;
        }
        int cls = -1;
        ck_assert_int_eq(fscanf(p, "%d\n", &cls), 1);
        ck_assert_int_eq(cls, (int)best);
    }
}

START_TEST(hostile_labels_and_names_stay_bytes)
{
    static char every[256], longest[H_LONG + 1];
    for (int b = 1; b < 256; b++) every[b - 1] = (char)b;
    for (size_t i = 0; i < H_LONG; i++) longest[i] = "a?\?/\n\"\\*/\xe2\x80\xae?"[i % 13];
    const char *labels[H_CLASSES] = {
        "x?\?/",                 /* the splice: under C99's trigraphs, the next line joins */
        "?\?!?\?=?\?(?\?)?\?'?\?<?\?>?\?-",
        "\"; int injected = 1; const char *z = \"",
        "*/ int injected2; /*",
        "\xe2\x80\xae\xe2\x81\xa6 bidi \xe2\x80\x8f",
        every,
        longest,
        "\\",
    };
    const char *names[H_IN] = {"x?\?/", "*?\?/\n/ int bad; /*", "\xe2\x80\xae\\"};
    const mlp_layer_spec spec[4] = {MLP_LAYER(4, MLP_ACT_ELU, 1), MLP_LAYER(4, MLP_ACT_SOFTPLUS, 0),
                                    MLP_LAYER(4, MLP_ACT_GELU, 1),
                                    MLP_LAYER(H_CLASSES, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, H_IN, spec, 4), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 5), MLP_OK);
    double *w = mlp_net_params(net); /* numbers that a decimal form must carry exactly */
    const double special[] = {-0.0, 0x1p-1074, -0x1.fffffffffffffp-1023, 0x1.fffffffffffffp-1,
                              0.1, 1.0, -3.0, 0x1.0000000000001p0};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) w[i * 3] = special[i];
    ck_assert_int_eq(mlp_net_set_classes(net, labels, H_CLASSES), MLP_OK);
    ck_assert_int_eq(mlp_net_set_columns(net, names, NULL, 0), MLP_OK);

    char dir[] = "/tmp/mlp_hostile_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    write_export(net, dir, "hostile");
    /* the program that reads the file back (C89 itself, compiled without warnings) */
    snprintf(path, sizeof path, "%s/show.c", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#include <stdio.h>\n#include <string.h>\n#include \"hostile.c\"\n"
               "static void hex(const void *p, size_t n)\n{\n    size_t i;\n"
               "    for (i = 0; i < n; i++) printf(\"%%02x\", ((const unsigned char *)p)[i]);\n"
               "    printf(\"\\n\");\n}\n"
               "int main(void)\n{\n    int i;\n    double x[3], y[%d];\n"
               "    for (i = 0; i < hostile_N_CLASSES; i++)\n"
               "        hex(hostile_classes[i], strlen(hostile_classes[i]));\n",
            H_CLASSES);
    for (size_t l = 0; l < 4; l++) {
        fprintf(f, "    hex(hostile_w%zu, sizeof hostile_w%zu);\n", l, l);
        if (l != 1) fprintf(f, "    hex(hostile_b%zu, sizeof hostile_b%zu);\n", l, l);
    }
    fprintf(f, "    for (i = 0; i < 3; i++) {\n        int c;\n"
               "        x[0] = i; x[1] = -0.5 * i; x[2] = 2.0;\n        hostile_predict(x, y);\n"
               "        for (c = 0; c < hostile_N_OUTPUTS; c++) hex(&y[c], sizeof y[c]);\n"
               "        printf(\"%%d\\n\", hostile_predict_class(x));\n    }\n"
               "    return 0;\n}\n");
    fclose(f);
    double rows[3 * H_IN], lib[3 * H_CLASSES];
    for (int r = 0; r < 3; r++) {
        rows[r * H_IN] = r;
        rows[r * H_IN + 1] = -0.5 * r;
        rows[r * H_IN + 2] = 2.0;
    }
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, lib, rows, 3), MLP_OK);
    mlp_workspace_free(ws);

    const hostile ctx = {net, labels, lib};
    compile_everywhere(dir, "hostile", read_hostile, &ctx);
    mlp_net_free(net);
}
END_TEST

/* A model that encodes its columns (since 1.7) exports NAME_encode: the columns' names,
 * categories and missing tokens are the user's text (trigraphs, quotes, comment pairs,
 * backslashes, bidi controls, 10 KB) and reach the file escaped; compiled under c89,
 * c99 and c11 by every compiler present, it encodes rows of fields byte for byte as
 * mlp_net_encode() does: every category, numbers as the library reads them (spaces,
 * signs, hexadecimal, a denormal), missing fields (NULL, empty, each token), categories
 * never seen (counted), and the fields the library refuses (not finite, past the
 * number, 512 bytes and more) refused with x left as it was. */
enum { E_ROWS = 20, E_COLS = 3 };

/* s as a C string literal, every byte an octal escape (NULL: a null pointer). */
static void put_octal(FILE *f, const char *s)
{
    if (s == NULL) {
        fputs("0", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) fprintf(f, "\\%03o", *p);
    fputc('"', f);
}

/* s as a quoted CSV field. */
static void put_field(FILE *f, const char *s, const char *end)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fprintf(f, "\"%s", end);
}

/* What the encoding test's program prints: the column names as bytes, then each row's
 * return value and inputs as bytes. */
typedef struct encoded {
    const char *const *names;
    const double (*lib)[32];
    const int *lib_rc;
    size_t in;
} encoded;

static void read_encoded(FILE *p, const char *cc, const char *std, const void *ctx)
{
    const encoded *e = ctx;
    for (size_t j = 0; j < E_COLS; j++) expect_hex(p, e->names[j], strlen(e->names[j]), "column", j);
    for (int r = 0; r < E_ROWS; r++) {
        int rc = 99;
        ck_assert_int_eq(fscanf(p, "%d\n", &rc), 1);
        ck_assert_msg(rc == e->lib_rc[r], "%s -std=%s: row %d: %d, the library %d", cc, std, r,
                      rc, e->lib_rc[r]);
        expect_hex(p, e->lib[r], e->in * sizeof e->lib[r][0], "inputs of row", (size_t)r);
    }
}

START_TEST(encoded_columns_export_as_the_library_encodes)
{
    static char longest[H_LONG + 1], digits[600];
    for (size_t i = 0; i < H_LONG; i++) longest[i] = "a?\?/*/\"\\ "[i % 9];
    memset(digits, '0', sizeof digits - 2);
    digits[sizeof digits - 2] = '1';
    const char *cats[] = {"x?\?/", "?\?!?\?=?\?(?\?)", "\"; int injected = 1; const char *z = \"",
                          "*/ int injected2; /*", "\xe2\x80\xae bidi \xe2\x80\x8f", "\\",
                          longest, "\xc3\xa9", "Z", "10", "9"};
    const size_t n_cats = sizeof cats / sizeof cats[0];
    const char *names[E_COLS] = {"a?\?/*/\"", "*?\?/ int bad; /*", "\xe2\x80\xae\\c"};
    char dir[] = "/tmp/mlp_encode_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t j = 0; j < E_COLS; j++) put_field(f, names[j], ",");
    fputs("y\n", f);
    for (size_t i = 0; i < 2 * n_cats; i++) { /* B: 1..22 with holes; C: 10, 9, 2.5, a hole */
        put_field(f, cats[i % n_cats], ",");
        if (i % 5 == 3) fputs(i % 2 ? "?\?/," : ",", f);
        else fprintf(f, "%zu,", i + 1);
        fprintf(f, "%s,%s\n", i % 7 == 6 ? "" : i % 3 == 0 ? "10" : i % 3 == 1 ? "9" : "2.5",
                i % 3 ? "u" : "v");
    }
    fclose(f);
    mlp_csv_options o;
    ck_assert_int_eq(mlp_csv_options_init(&o, sizeof o), MLP_OK);
    o.target = "y";
    char both[64]; /* C's numbers as categories: by value (2.5, 9, 10), not by bytes */
    snprintf(both, sizeof both, "%s,%s", names[0], names[2]);
    o.categorical = both;
    o.missing = "NA,?\?/,*/";
    o.missing_indicators = 1;
    mlp_table *t = NULL;
    ck_assert_msg(mlp_table_read_csv(&t, path, &o) == MLP_OK, "%s", mlp_error_detail());
    const size_t in = mlp_table_n_inputs(t);
    ck_assert_uint_eq(in, n_cats + 2 + 4); /* A's categories, B and its indicator, C's 4 */
    const mlp_layer_spec spec[2] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, in, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 5), MLP_OK);
    ck_assert_int_eq(mlp_net_set_table_names(net, t), MLP_OK);
    ck_assert_uint_eq(mlp_net_n_columns(net), E_COLS);
    mlp_table_free(t);

    /* the rows: every category (with numbers as files write them), then holes, strangers
     * and refusals */
    const char *rows[E_ROWS][E_COLS] = {
        {cats[0], "1.5", "10"},    {cats[1], " 2", "9"},      {cats[2], "-0", "2.5"},
        {cats[3], "1e-320", "9"},  {cats[4], "0x1p3", "10"},  {cats[5], "+7e2", "2.5"},
        {cats[6], ".25", "10"},    {cats[7], "3.", "9"},      {cats[8], "12345678901234567890", "9"},
        {cats[9], "1E5", "2.5"},   {cats[10], "-1e-5", "10"}, {"nope", NULL, NULL},
        {"X?\?/", "", ""},         {"", "?\?/", "2.50"},      {NULL, "NA", "*/"},
        {"Z", "1e999", "9"},       {"Z", "abc", "9"},         {"Z", "1.5 ", "9"},
        {"Z", "nan", "9"},         {"Z", digits, "9"},
    };
    /* the library's encoding of each, x first filled with 7 */
    double lib[E_ROWS][32];
    int lib_rc[E_ROWS];
    ck_assert_uint_le(in, 32);
    for (int r = 0; r < E_ROWS; r++) {
        size_t unseen = 99;
        for (size_t i = 0; i < in; i++) lib[r][i] = 7.0;
        const mlp_status st = mlp_net_encode(net, lib[r], rows[r], 1, &unseen);
        lib_rc[r] = st == MLP_OK ? (int)unseen : -2; /* B is column 1: the file gives -2 */
        ck_assert_msg(st == MLP_OK || st == MLP_ERR_INVALID_ARG, "row %d: status %d", r, (int)st);
        ck_assert_msg((r < 15) == (st == MLP_OK), "row %d: status %d (%s)", r, (int)st,
                      mlp_error_detail());
    }
    ck_assert_int_eq(lib_rc[11], 1); /* "nope" and "r" unseen, 2 in all */
    ck_assert_int_eq(lib_rc[13], 1); /* "2.50" is no category: a text, not a value */

    write_export(net, dir, "enc");
    snprintf(path, sizeof path, "%s/show.c", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#include <stdio.h>\n#include <string.h>\n#include \"enc.c\"\n"
               "static const char *const rows[%d][%d] = {\n",
            E_ROWS, E_COLS);
    for (int r = 0; r < E_ROWS; r++) {
        fputs("    {", f);
        for (int j = 0; j < E_COLS; j++) {
            put_octal(f, rows[r][j]);
            fputs(j + 1 < E_COLS ? ", " : "},\n", f);
        }
    }
    fprintf(f, "};\nint main(void)\n{\n    int r, i, j;\n    double x[enc_N_INPUTS];\n"
               "    for (j = 0; j < enc_N_COLUMNS; j++) {\n"
               "        for (i = 0; enc_columns[j][i]; i++) printf(\"%%02x\", "
               "(unsigned char)enc_columns[j][i]);\n        printf(\"\\n\");\n    }\n"
               "    for (r = 0; r < %d; r++) {\n"
               "        for (i = 0; i < enc_N_INPUTS; i++) x[i] = 7.0;\n"
               "        printf(\"%%d\\n\", enc_encode(rows[r], x));\n"
               "        for (i = 0; i < (int)sizeof x; i++) printf(\"%%02x\", "
               "((const unsigned char *)x)[i]);\n        printf(\"\\n\");\n    }\n"
               "    return 0;\n}\n",
            E_ROWS);
    fclose(f);

    const encoded ctx = {names, (const double(*)[32])lib, lib_rc, in};
    compile_everywhere(dir, "enc", read_encoded, &ctx);
    mlp_net_free(net);
}
END_TEST

static Suite *export_suite(void)
{
    Suite *s = suite_create("export");
    TCase *c = tcase_create("export");
    tcase_set_timeout(c, 300);
    tcase_add_test(c, exported_networks_predict_as_the_library);
    tcase_add_test(c, bad_names_are_refused);
    tcase_add_test(c, hostile_labels_and_names_stay_bytes);
    tcase_add_test(c, encoded_columns_export_as_the_library_encodes);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(export_suite)
