/* Save and load: round trips, the documented byte layout, every corruption and
 * truncation, hostile counts, atomic saves under failure, checkpoints that
 * resume bit for bit. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, fork, setrlimit, mkfifo, symlink */

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "test_util.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/mlp-io-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d != NULL) closedir(d);
    rmdir(dir);
}

/* Files in the test directory, "." and ".." aside. */
static int count_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*size);
    ck_assert_uint_eq(fread(b, 1, *size, f), *size);
    fclose(f);
    return b;
}

/* 3 inputs -> 5 tanh (bias) -> 2 sigmoid (no bias), Xavier weights. */
static mlp_net *small_net(void)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(5, MLP_ACT_TANH, 1),
                                    MLP_LAYER(2, MLP_ACT_SIGMOID, 0)};
    mlp_net *net;
    ck_assert_int_eq(
        mlp_net_create_precision(&net, 3, spec, 2,
                                 tu_single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64),
        MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 11), MLP_OK);
    return net;
}

enum { N = 24 };
static double x[N * 3], t[N * 2];

static void make_data(void)
{
    uint64_t rng = 5;
    tu_fill(&rng, x, N * 3, -1, 1);
    for (int i = 0; i < N * 2; i++) t[i] = tu_next(&rng) % 2;
}

/* Train the small network for some epochs so that it has a provenance. */
static void train(mlp_net *net, size_t epochs)
{
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.02;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &o, 8), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = epochs;
    f.batch_size = 8;
    f.seed = 99;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, t, N), &f), MLP_OK);
    mlp_trainer_free(tr);
}

static void assert_same_net(const mlp_net *a, const mlp_net *b)
{
    ck_assert_uint_eq(mlp_net_n_inputs(a), mlp_net_n_inputs(b));
    ck_assert_uint_eq(mlp_net_n_layers(a), mlp_net_n_layers(b));
    for (size_t l = 0; l < mlp_net_n_layers(a); l++) {
        mlp_layer_spec sa = MLP_LAYER(0, MLP_ACT_IDENTITY, 0), sb = sa;
        mlp_net_layer(a, l, &sa, NULL);
        mlp_net_layer(b, l, &sb, NULL);
        ck_assert_uint_eq(sa.size, sb.size);
        ck_assert_int_eq(sa.activation, sb.activation);
        ck_assert_int_eq(sa.bias, sb.bias);
    }
    ck_assert_uint_eq(mlp_net_n_params(a), mlp_net_n_params(b));
    ck_assert_int_eq(mlp_net_precision(a), mlp_net_precision(b));
    size_t na, nb;
    const void *pa = tu_params_of(a, &na), *pb = tu_params_of(b, &nb);
    ck_assert_mem_eq(pa, pb, na);
}

START_TEST(round_trip_through_a_file)
{
    tu_single = _i;
    make_dir();
    make_data();
    mlp_net *net = small_net();
    train(net, 7);
    char path[128];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    ck_assert_int_eq(mlp_net_save(net, path), MLP_OK);
    ck_assert_int_eq(count_files(), 1); /* no temporary file left behind */

    mlp_net *back = (mlp_net *)path;
    ck_assert_int_eq(mlp_net_load(&back, path), MLP_OK);
    assert_same_net(net, back);

    mlp_provenance p;
    mlp_optimizer po;
    mlp_provenance_init(&p, sizeof p);
    mlp_optimizer_init(&po, sizeof po, MLP_OPT_SGD);
    ck_assert_int_eq(mlp_net_provenance(back, &p, &po), MLP_OK);
    ck_assert_str_eq(p.library_version, MLP_VERSION_STRING);
    ck_assert_int_eq(p.trained, 1);
    ck_assert_int_eq(p.loss, MLP_LOSS_BINARY_CROSSENTROPY);
    ck_assert_int_eq(po.kind, MLP_OPT_ADAM);
    ck_assert_double_eq(po.learning_rate, 0.02);
    ck_assert_double_eq(po.beta2, 0.999);
    ck_assert_int_eq(po.schedule, MLP_SCHEDULE_CONSTANT);
    ck_assert_uint_eq(p.seed, 99);
    ck_assert_uint_eq(p.batch_size, 8);
    ck_assert_uint_eq(p.epochs, 7);
    const double *h1, *h2;
    size_t n1, n2;
    ck_assert_int_eq(mlp_net_loss_history(net, &h1, &n1), MLP_OK);
    ck_assert_int_eq(mlp_net_loss_history(back, &h2, &n2), MLP_OK);
    ck_assert_uint_eq(n1, 7);
    ck_assert_uint_eq(n2, 7);
    ck_assert_mem_eq(h1, h2, 7 * sizeof(double));

    /* the loaded network predicts exactly as the saved one */
    mlp_workspace *ws;
    double y1[N * 2], y2[N * 2];
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, y1, x, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(back, ws, y2, x, N), MLP_OK);
    ck_assert_mem_eq(y1, y2, sizeof y1);

    /* saving over an existing file replaces it */
    train(net, 1);
    ck_assert_int_eq(mlp_net_save(net, path), MLP_OK);
    mlp_net_free(back);
    ck_assert_int_eq(mlp_net_load(&back, path), MLP_OK);
    assert_same_net(net, back);
    ck_assert_int_eq(count_files(), 1);

    /* an ordinary file: mode 0666 less the umask */
    const mode_t mask = umask(022);
    umask(mask);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0666 & ~mask);

    /* a model larger than the 64 KiB write buffer streams through it whole */
    const mlp_layer_spec big[2] = {MLP_LAYER(300, MLP_ACT_RELU, 1),
                                   MLP_LAYER(50, MLP_ACT_IDENTITY, 1)};
    mlp_net *large, *large_back;
    ck_assert_int_eq(mlp_net_create(&large, 40, big, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(large, MLP_INIT_HE, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_save(large, path), MLP_OK);
    ck_assert_int_eq(mlp_net_load(&large_back, path), MLP_OK);
    assert_same_net(large, large_back);
    mlp_net_free(large);
    mlp_net_free(large_back);

    mlp_workspace_free(ws);
    mlp_net_free(back);
    mlp_net_free(net);
    remove_dir();
}
END_TEST

START_TEST(untrained_networks_have_an_empty_provenance)
{
    mlp_net *net = small_net();
    mlp_provenance p;
    mlp_provenance_init(&p, sizeof p);
    ck_assert_int_eq(mlp_net_provenance(net, &p, NULL), MLP_OK);
    ck_assert_str_eq(p.library_version, MLP_VERSION_STRING);
    ck_assert_int_eq(p.trained, 0);
    ck_assert_uint_eq(p.epochs, 0);
    const double *h = (const double *)&p;
    size_t n = 9;
    ck_assert_int_eq(mlp_net_loss_history(net, &h, &n), MLP_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(h);
    mlp_net *back = tu_reloaded(net);
    assert_same_net(net, back);
    mlp_net_free(back);
    mlp_net_free(net);
}
END_TEST

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static double lef64(const unsigned char *p)
{
    uint64_t bits = le64(p);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

START_TEST(bytes_follow_the_documented_layout)
{
    /* Decoded here from README's table, not by the library's reader. */
    mlp_net *net = small_net();
    size_t size;
    ck_assert_int_eq(mlp_net_save_buffer(net, NULL, 0, &size), MLP_OK);
    const size_t np = 3 * 5 + 5 + 5 * 2;
    /* header 40, inputs+layers 16, 2 layer records 32, count 8, params, provenance
     * 4+4+8+8+8 + optimizer 4+4+8*17+8*6 = 224, no history, preprocessing flags and
     * methods 8 (none), the kept epoch 8 and no validation history (format 5), crc 4 */
    ck_assert_uint_eq(size, 40 + 16 + 32 + 8 + 8 * np + 224 + 8 + 8 + 4);
    unsigned char *b = malloc(size);
    unsigned char small[16];
    memset(small, 0xAB, sizeof small);
    ck_assert_int_eq(mlp_net_save_buffer(net, small, sizeof small, &size), MLP_ERR_SHAPE);
    for (size_t i = 0; i < sizeof small; i++) ck_assert_uint_eq(small[i], 0xAB);
    ck_assert_int_eq(mlp_net_save_buffer(net, b, size, &size), MLP_OK);

    const unsigned char magic[8] = {0x89, 'M', 'L', 'P', '\r', '\n', 0x1a, '\n'};
    ck_assert_mem_eq(b, magic, 8);
    ck_assert_uint_eq(le32(b + 8), 5);     /* format version */
    ck_assert_uint_eq(le32(b + 12), 1);    /* contents: network */
    ck_assert_uint_eq(le64(b + 16), size); /* file size */
    ck_assert_str_eq((const char *)b + 24, MLP_VERSION_STRING);
    ck_assert_uint_eq(le64(b + 40), 3); /* inputs */
    ck_assert_uint_eq(le64(b + 48), 2); /* layers */
    ck_assert_uint_eq(le64(b + 56), 5);
    ck_assert_uint_eq(le32(b + 64), MLP_ACT_TANH);
    ck_assert_uint_eq(le32(b + 68), 1);
    ck_assert_uint_eq(le64(b + 72), 2);
    ck_assert_uint_eq(le32(b + 80), MLP_ACT_SIGMOID);
    ck_assert_uint_eq(le32(b + 84), 0);
    ck_assert_uint_eq(le64(b + 88), np);
    for (size_t i = 0; i < np; i++) ck_assert_double_eq(lef64(b + 96 + 8 * i), mlp_net_params_const(net)[i]);
    const unsigned char *prov = b + 96 + 8 * np;
    ck_assert_uint_eq(le32(prov), 0);      /* not trained */
    ck_assert_uint_eq(le64(prov + 24), 0); /* epochs */
    ck_assert_uint_eq(le64(b + size - 12), 0); /* the kept epoch: none */
    const uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
    ck_assert_uint_eq(le32(b + size - 4), crc);
    free(b);
    mlp_net_free(net);
}
END_TEST

/* Format 5 keeps the epoch whose weights the network holds and every epoch's
 * validation loss: early stopping's best, not the last epoch, after a load. */
START_TEST(the_kept_epoch_and_validation_losses_survive)
{
    tu_single = _i;
    make_data();
    mlp_net *net = small_net();
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.learning_rate = 0.3; /* too fast: the validation loss turns up, early stopping keeps */
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &o, 8), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 40;
    f.batch_size = 8;
    f.validation_fraction = 0.25;
    f.patience = 5;
    mlp_fit_result r = tu_fit_result();
    ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(x, t, N), &f), MLP_OK);
    ck_assert_uint_lt(r.best_epoch, r.epochs_run); /* stopped after its best */
    mlp_net *back = tu_reloaded(net);
    mlp_provenance p;
    ck_assert_int_eq(mlp_provenance_init(&p, sizeof p), MLP_OK);
    ck_assert_int_eq(mlp_net_provenance(back, &p, NULL), MLP_OK);
    ck_assert_uint_eq(p.epochs, r.epochs_run);
    ck_assert_uint_eq(p.kept_epoch, r.best_epoch);
    const double *v;
    size_t n;
    ck_assert_int_eq(mlp_net_val_loss_history(back, &v, &n), MLP_OK);
    ck_assert_uint_eq(n, r.epochs_run);
    ck_assert_mem_eq(v, r.val_loss, n * sizeof *v);
    ck_assert_double_eq(v[p.kept_epoch - 1], r.best_loss);
    /* a second fit without early stopping keeps its last epoch, numbered on */
    f.patience = 0;
    f.epochs = 2;
    ck_assert_int_eq(mlp_trainer_fit(tr, &r, TU_DATA(x, t, N), &f), MLP_OK);
    ck_assert_int_eq(mlp_net_provenance(net, &p, NULL), MLP_OK);
    ck_assert_uint_eq(p.kept_epoch, p.epochs);
    mlp_net_free(back);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* A saved small network in memory. */
static unsigned char *saved(size_t *size, int trained)
{
    make_data();
    mlp_net *net = small_net();
    if (trained) train(net, 3);
    unsigned char *b = tu_saved(net, size);
    mlp_net_free(net);
    ck_assert_uint_eq(b[8], tu_single ? 7 : 5); /* the format version: 7 holds float32 values */
    return b;
}

START_TEST(every_flipped_byte_is_refused)
{
    tu_single = _i;
    size_t size;
    unsigned char *b = saved(&size, 1);
    for (size_t i = 0; i < size; i++)
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (unsigned char)(1u << bit);
            mlp_net *net = (mlp_net *)b;
            ck_assert_msg(mlp_net_load_buffer(&net, b, size) == MLP_ERR_FORMAT,
                          "byte %zu bit %d flipped and accepted", i, bit);
            ck_assert_ptr_null(net);
            b[i] ^= (unsigned char)(1u << bit);
        }
    mlp_net *net;
    ck_assert_int_eq(mlp_net_load_buffer(&net, b, size), MLP_OK); /* the original still loads */
    mlp_net_free(net);
    free(b);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    tu_single = _i;
    size_t size;
    unsigned char *b = saved(&size, 1);
    for (size_t len = 0; len < size; len++) {
        mlp_net *net;
        ck_assert_msg(mlp_net_load_buffer(&net, b, len) == MLP_ERR_FORMAT, "%zu bytes accepted",
                      len);
    }
    unsigned char *longer = malloc(size + 1);
    memcpy(longer, b, size);
    longer[size] = 0;
    mlp_net *net;
    ck_assert_int_eq(mlp_net_load_buffer(&net, longer, size + 1), MLP_ERR_FORMAT);
    free(longer);
    free(b);
}
END_TEST

START_TEST(hostile_counts_are_refused_before_allocating)
{
    size_t size;
    unsigned char *orig = saved(&size, 0);
    unsigned char *b = malloc(size);
    const tu_edit edits[] = {
        {8, 4, 9, "format version 9, this library reads versions 1 to 8"},
        {8, 4, 0, "format version 0, this library reads versions 1 to 8"},
        {12, 4, 3, "unknown contents 3"},
        {40, 8, 0, "the input count is 0"},
        {40, 8, (uint64_t)1 << 40, "the input count is 1099511627776"},
        {48, 8, 4097, "the layer count is 4097"},
        {48, 8, UINT64_MAX, "the layer count is 18446744073709551615"},
        {56, 8, (uint64_t)1 << 31, "a layer size is 2147483648"},
        {64, 4, (uint64_t)tu_unknown_activation(), "layer 0: activation"},
        {68, 4, 2, "bias flag 2"},
        {88, 8, 1000, "1000 parameters stored, the layers need 30"},
        {88, 8, UINT64_MAX, "the parameter count is"},
        {96, 8, 0x7FF8000000000000ull, "the parameters: value 0 is not finite"},
        {96 + 8 * 30 + 24, 8, (uint64_t)1 << 60, "epoch count is"},
        {96 + 8 * 30 + 24, 8, 1000, "a history of 1000 epochs does not fit"},
        {96 + 8 * 30 + 32, 4, (uint64_t)tu_unknown_optimizer(), "unknown optimizer"},
        {96 + 8 * 30 + 36, 4, 9, "unknown schedule 9"},
        {96 + 8 * 30 + 4, 4, (uint64_t)tu_unknown_loss(), "provenance: trained flag 0, loss"},
        {96 + 8 * 30 + 232, 8, 1, "the kept epoch is 1, must be 0 to 0"},
    };
    tu_refuses_edits(orig, size, edits, sizeof edits / sizeof edits[0]);
    /* a file that is no model at all */
    const char text[] = "hello, this is not a neural network but it is long enough to parse";
    mlp_net *net;
    ck_assert_int_eq(mlp_net_load_buffer(&net, text, sizeof text), MLP_ERR_FORMAT);
    ck_assert_str_eq(mlp_error_detail(), "mlp_net_load_buffer: not a libmlp model (bad magic)");
    /* the checksum catches a tu_single changed weight */
    memcpy(b, orig, size);
    b[100] ^= 1;
    ck_assert_int_eq(mlp_net_load_buffer(&net, b, size), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "checksum mismatch"));
    free(b);
    free(orig);
}
END_TEST

START_TEST(load_reports_io_errors)
{
    mlp_net *net = (mlp_net *)dir;
    ck_assert_int_eq(mlp_net_load(&net, "/nonexistent/dir/model.mlp"), MLP_ERR_IO);
    ck_assert_ptr_null(net);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "No such file or directory"));
    ck_assert_int_eq(mlp_net_load(&net, "/tmp"), MLP_ERR_IO); /* a directory */
    ck_assert_int_eq(mlp_net_load(&net, ""), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_load(&net, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_load(NULL, "/tmp/x"), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_load_buffer(&net, NULL, 10), MLP_ERR_INVALID_ARG);
    make_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/empty", dir);
    fclose(fopen(path, "wb"));
    ck_assert_int_eq(mlp_net_load(&net, path), MLP_ERR_FORMAT);
    /* a file whose header names another size: refused before reading it whole */
    size_t size;
    unsigned char *b = saved(&size, 0);
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, size - 10, f);
    fclose(f);
    ck_assert_int_eq(mlp_net_load(&net, path), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "its size differs from the size in its header"));
    free(b);
    remove_dir();
}
END_TEST

START_TEST(save_rejects_bad_input)
{
    mlp_net *net = small_net();
    size_t size;
    ck_assert_int_eq(mlp_net_save(NULL, "/tmp/x.mlp"), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_save(net, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_save(net, ""), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_save(net, "/nonexistent/dir/model.mlp"), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "/nonexistent/dir/model.mlp is unchanged"));
    ck_assert_int_eq(mlp_net_save_buffer(NULL, NULL, 0, &size), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_save_buffer(net, NULL, 0, NULL), MLP_ERR_INVALID_ARG);
    mlp_net_params(net)[4] = NAN; /* written through the block, which set_weights would refuse */
    make_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/nan.mlp", dir);
    ck_assert_int_eq(mlp_net_save(net, path), MLP_ERR_NUMERIC);
    ck_assert_int_eq(mlp_net_save_buffer(net, NULL, 0, &size), MLP_ERR_NUMERIC);
    ck_assert_int_eq(count_files(), 0);
    remove_dir();
    mlp_net_free(net);
}
END_TEST

/* In a child: limit file sizes to `limit` bytes and save over `path`. With
 * ignore_signal, write() fails with EFBIG and the save must report MLP_ERR_IO;
 * without, the kernel kills the child mid-write (as a crash or kill would). */
static int save_in_limited_child(const mlp_net *net, const char *path, rlim_t limit,
                                 int ignore_signal)
{
    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        if (ignore_signal) signal(SIGXFSZ, SIG_IGN);
        const struct rlimit rl = {limit, limit};
        setrlimit(RLIMIT_FSIZE, &rl);
        const mlp_status s = mlp_net_save(net, path);
        _exit(s == MLP_ERR_IO && strstr(mlp_error_detail(), "File too large") != NULL ? 42 : s);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

START_TEST(a_failed_save_leaves_the_old_file_intact)
{
    make_dir();
    make_data();
    char path[128];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    mlp_net *old = small_net();
    ck_assert_int_eq(mlp_net_save(old, path), MLP_OK);
    size_t old_size;
    unsigned char *old_bytes = read_all(path, &old_size);

    /* a bigger, different network, whose file cannot fit in 256 bytes */
    const mlp_layer_spec spec[2] = {MLP_LAYER(64, MLP_ACT_RELU, 1),
                                    MLP_LAYER(2, MLP_ACT_SIGMOID, 1)};
    mlp_net *big;
    ck_assert_int_eq(mlp_net_create(&big, 3, spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_init(big, MLP_INIT_HE, 3), MLP_OK);

    int status = save_in_limited_child(big, path, 256, 1);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 42); /* MLP_ERR_IO naming EFBIG */
    size_t now_size;
    unsigned char *now = read_all(path, &now_size);
    ck_assert_uint_eq(now_size, old_size);
    ck_assert_mem_eq(now, old_bytes, old_size);
    free(now);
    ck_assert_int_eq(count_files(), 1); /* the temporary file was removed */

    status = save_in_limited_child(big, path, 256, 0);
    ck_assert(WIFSIGNALED(status)); /* killed in the middle of writing */
    now = read_all(path, &now_size);
    ck_assert_mem_eq(now, old_bytes, old_size);
    free(now);
    mlp_net *loaded;
    ck_assert_int_eq(mlp_net_load(&loaded, path), MLP_OK); /* still the old, whole model */
    assert_same_net(old, loaded);
    /* the killed process could not clean up: its temporary file remains beside it */
    ck_assert_int_eq(count_files(), 2);

    mlp_net_free(loaded);
    free(old_bytes);
    mlp_net_free(big);
    mlp_net_free(old);
    remove_dir();
}
END_TEST

/* ---- checkpoints ----------------------------------------------------------- */

static mlp_fit_options resume_options(size_t epochs, size_t batch)
{
    mlp_fit_options f = tu_fit_options();
    f.epochs = epochs;
    f.batch_size = batch; /* 5: batches that do not divide the rows evenly */
    f.seed = 1234;
    f.validation_fraction = 0.25;
    return f;
}

START_TEST(a_checkpoint_resumes_bit_for_bit)
{
    tu_single = _i;
    make_dir();
    make_data();
    /* Each optimizer with a schedule: the schedule's position (the epoch count) and,
     * for the plateau, its state (best loss, wait, cuts) must travel in the file. */
    const struct {
        mlp_optimizer_kind kind;
        mlp_schedule schedule;
        size_t batch;
    } cases[] = {
        {MLP_OPT_ADAM, MLP_SCHEDULE_COSINE, 5},
        {MLP_OPT_NESTEROV, MLP_SCHEDULE_PLATEAU, 5},
        {MLP_OPT_SGD, MLP_SCHEDULE_STEP, 5},
        {MLP_OPT_MOMENTUM, MLP_SCHEDULE_EXPONENTIAL, 5},
        {MLP_OPT_IRPROP_MINUS, MLP_SCHEDULE_CONSTANT, 0}, /* a full-batch method */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mlp_optimizer o = tu_optimizer(cases[k].kind);
        o.weight_decay = 1e-3;
        o.schedule = cases[k].schedule;
        o.schedule_cosine_epochs = 8;
        o.schedule_step_epochs = 2;
        o.schedule_factor = 0.5;
        o.schedule_patience = 2;
        o.schedule_min_delta = 1.0; /* no epoch improves by that much: a cut every 2 epochs */
        /* uninterrupted: 10 epochs */
        mlp_net *a = small_net();
        mlp_trainer *ta;
        ck_assert_int_eq(mlp_trainer_create(&ta, a, MLP_LOSS_BINARY_CROSSENTROPY, &o, 5), MLP_OK);
        mlp_fit_options f10 = resume_options(10, cases[k].batch);
        mlp_fit_result ra = tu_fit_result(), rc = tu_fit_result();
        ck_assert_int_eq(mlp_trainer_fit(ta, &ra, TU_DATA(x, t, N), &f10), MLP_OK);

        /* 3 epochs, checkpoint, a new process's worth of objects, 7 more */
        mlp_net *b = small_net();
        mlp_trainer *tb;
        ck_assert_int_eq(mlp_trainer_create(&tb, b, MLP_LOSS_BINARY_CROSSENTROPY, &o, 5), MLP_OK);
        mlp_fit_options f3 = resume_options(3, cases[k].batch),
                        f7 = resume_options(7, cases[k].batch);
        ck_assert_int_eq(mlp_trainer_fit(tb, NULL, TU_DATA(x, t, N), &f3), MLP_OK);
        char path[128];
        snprintf(path, sizeof path, "%s/checkpoint.mlp", dir);
        ck_assert_int_eq(mlp_trainer_save(tb, path), MLP_OK);
        mlp_trainer_free(tb);
        mlp_net_free(b);

        mlp_trainer *tc;
        mlp_net *c;
        ck_assert_int_eq(mlp_trainer_load(&tc, &c, path, 5), MLP_OK);
        ck_assert_uint_eq(mlp_trainer_epochs(tc), 3);
        ck_assert_int_eq(mlp_trainer_fit(tc, &rc, TU_DATA(x, t, N), &f7), MLP_OK);
        assert_same_net(a, c);
        const double *ha, *hc;
        size_t na, nc;
        mlp_net_loss_history(a, &ha, &na);
        mlp_net_loss_history(c, &hc, &nc);
        ck_assert_uint_eq(na, 10);
        ck_assert_uint_eq(nc, 10);
        ck_assert_mem_eq(ha, hc, 10 * sizeof(double));
        ck_assert_mem_eq(ra.learning_rate + 3, rc.learning_rate, 7 * sizeof(double));
        ck_assert_double_eq(mlp_trainer_learning_rate(ta), mlp_trainer_learning_rate(tc));
        if (cases[k].schedule != MLP_SCHEDULE_CONSTANT) /* the rate did change */
            ck_assert_double_lt(ra.learning_rate[9], ra.learning_rate[0]);

        /* a checkpoint holds a network too; a network file is no checkpoint */
        mlp_net *only;
        ck_assert_int_eq(mlp_net_load(&only, path), MLP_OK);
        mlp_net_free(only);
        snprintf(path, sizeof path, "%s/net.mlp", dir);
        ck_assert_int_eq(mlp_net_save(c, path), MLP_OK);
        mlp_trainer *none = (mlp_trainer *)c;
        mlp_net *none_net = c;
        ck_assert_int_eq(mlp_trainer_load(&none, &none_net, path, 5), MLP_ERR_FORMAT);
        ck_assert_ptr_null(none);
        ck_assert_ptr_null(none_net);

        mlp_trainer_free(ta);
        mlp_trainer_free(tc);
        mlp_net_free(a);
        mlp_net_free(c);
    }
    remove_dir();
}
END_TEST

START_TEST(checkpoint_loading_is_as_strict)
{
    tu_single = _i;
    make_data();
    mlp_net *net = small_net();
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &o, 8), MLP_OK);
    make_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/ck.mlp", dir);
    ck_assert_int_eq(mlp_trainer_save(tr, path), MLP_OK);
    size_t size;
    unsigned char *b = read_all(path, &size);
    for (size_t len = 0; len < size; len += 7) {
        mlp_trainer *t2;
        mlp_net *n2;
        ck_assert_int_eq(mlp_trainer_load_buffer(&t2, &n2, b, len, 8), MLP_ERR_FORMAT);
    }
    mlp_trainer *t2;
    mlp_net *n2;
    ck_assert_int_eq(mlp_trainer_load_buffer(&t2, &n2, b, size, 0), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(t2);
    ck_assert_ptr_null(n2);
    ck_assert_int_eq(mlp_trainer_load_buffer(NULL, &n2, b, size, 8), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_load_buffer(&t2, NULL, b, size, 8), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_load_buffer(&t2, &n2, NULL, size, 8), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_trainer_save(NULL, path), MLP_ERR_INVALID_ARG);
    free(b);
    remove_dir();
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

/* ---- what stands at the path ------------------------------------------------------ */

/* A saved network whose first parameter is v, to tell files apart. */
static mlp_net *marked(double v)
{
    mlp_net *net = small_net();
    mlp_net_params(net)[0] = v;
    return net;
}

/* The first parameter of the model at path, or NAN when it does not load. */
static double mark_of(const char *path)
{
    mlp_net *net;
    if (mlp_net_load(&net, path) != MLP_OK) return NAN;
    const double v = mlp_net_params_const(net)[0];
    mlp_net_free(net);
    return v;
}

START_TEST(saves_respect_what_stands_at_the_path)
{
    make_dir();
    mlp_net *a = marked(1), *b = marked(2);
    char real[128], link[128], path[512];
    snprintf(real, sizeof real, "%s/real.mlp", dir);
    snprintf(link, sizeof link, "%s/link.mlp", dir);

    /* a symbolic link is followed: the link stays, its target gets the new model */
    ck_assert_int_eq(mlp_net_save(a, real), MLP_OK);
    ck_assert_int_eq(symlink("real.mlp", link), 0);
    ck_assert_int_eq(mlp_net_save(b, link), MLP_OK);
    struct stat st;
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_double_eq(mark_of(real), 2);
    ck_assert_double_eq(mark_of(link), 2);
    ck_assert_int_eq(count_files(), 2); /* no temporary file left in either place */
    /* one that leads nowhere is refused, and nothing is created */
    snprintf(path, sizeof path, "%s/dangling.mlp", dir);
    ck_assert_int_eq(symlink("missing.mlp", path), 0);
    ck_assert_int_eq(mlp_net_save(a, path), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "leads nowhere"));
    ck_assert_int_eq(count_files(), 3);

    /* a FIFO, a socket and a directory are refused untouched */
    snprintf(path, sizeof path, "%s/fifo.mlp", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(mlp_net_save(a, path), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "a FIFO"));
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISFIFO(st.st_mode));
    /* and loading one returns at once instead of waiting for a writer */
    mlp_net *none;
    ck_assert_int_eq(mlp_net_load(&none, path), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "a FIFO, not a regular file"));
    unlink(path);
    snprintf(path, sizeof path, "%s/sock.mlp", dir);
    const int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(path), sizeof addr.sun_path);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    ck_assert_int_eq(bind(sock, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(mlp_net_save(a, path), MLP_ERR_IO);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    close(sock);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub.mlp", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(mlp_net_save(a, path), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "a directory"));
    ck_assert_int_eq(rmdir(path), 0); /* still an empty directory */

    /* a model made 0600 stays 0600; a model given to another owner stays theirs
     * (as root, who may give files away) */
    ck_assert_int_eq(chmod(real, 0600), 0);
    ck_assert_int_eq(mlp_net_save(a, real), MLP_OK);
    ck_assert_int_eq(stat(real, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(real, 4242, 4343), 0);
        ck_assert_int_eq(mlp_net_save(b, real), MLP_OK);
        ck_assert_int_eq(stat(real, &st), 0);
        ck_assert_uint_eq(st.st_uid, 4242);
        ck_assert_uint_eq(st.st_gid, 4343);
        ck_assert_uint_eq(st.st_mode & 0777, 0600);
    }

    /* names up to NAME_MAX save and load: the temporary name is cut to fit */
    char name[256];
    memset(name, 'n', 255);
    name[255] = '\0';
    memcpy(name + 251, ".mlp", 4);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(mlp_net_save(b, path), MLP_OK);
    ck_assert_double_eq(mark_of(path), 2);
    unlink(path);

    /* a save killed mid-way leaves its temporary file; the next save to the same
     * path removes it once its process is gone, and leaves a live process's alone */
    const pid_t child = fork();
    if (child == 0) _exit(0);
    ck_assert_int_eq(waitpid(child, NULL, 0), child); /* a pid no process has now */
    char stale[160], live[160];
    snprintf(stale, sizeof stale, "%s.tmp-%ld-0123abcd", real, (long)child);
    snprintf(live, sizeof live, "%s.tmp-%ld-0123abcd", real, (long)getppid());
    FILE *f = fopen(stale, "w");
    fclose(f);
    f = fopen(live, "w");
    fclose(f);
    ck_assert_int_eq(mlp_net_save(a, real), MLP_OK);
    ck_assert_int_eq(access(stale, F_OK), -1);
    ck_assert_int_eq(access(live, F_OK), 0);
    unlink(live);

    /* a read error is an I/O error, with the system's reason */
    ck_assert_int_eq(mlp_net_load(&none, "/proc/self/mem"), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "cannot read"));

    /* the detail keeps its cause and its end after a long path (2000 bytes, twice in it) */
    char longpath[2001];
    for (int i = 0; i < 2000; i++) longpath[i] = i % 100 == 0 ? '/' : 'd';
    longpath[2000] = '\0';
    ck_assert_int_eq(mlp_net_save(a, longpath), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "(No such file or directory)"));
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "is unchanged"));
    /* past the detail's room (5000 bytes): the path loses its middle, the message
     * keeps its head and its reason */
    char *huge = malloc(5001);
    ck_assert_ptr_nonnull(huge);
    memcpy(huge, "/tmp/", 5);
    memset(huge + 5, 'x', 4995);
    huge[5000] = '\0';
    ck_assert_int_eq(mlp_net_load(&none, huge), MLP_ERR_IO);
    const char *d = mlp_error_detail();
    ck_assert_msg(strncmp(d, "mlp_net_load: ", 14) == 0, "%.80s", d);
    ck_assert_ptr_nonnull(strstr(d, "/tmp/xxx"));
    ck_assert_ptr_nonnull(strstr(d, "xxx...xxx"));
    const char *reason = ": File name too long";
    ck_assert_msg(strlen(d) > strlen(reason) && !strcmp(d + strlen(d) - strlen(reason), reason),
                  "the reason was cut: ...%s", d + strlen(d) - 40);
    free(huge);

    mlp_net_free(a);
    mlp_net_free(b);
    remove_dir();
}
END_TEST

/* ---- checkpoints that poison training are refused ------------------------------------ */

/* Where a checkpoint's trainer state lies, counted back from its checksum. */
typedef struct ck_layout {
    size_t t, state, hist_blocks, hist, so;
} ck_layout;

/* A checkpoint of the small network after two full-batch epochs of `kind` (MSE for
 * Levenberg-Marquardt, which needs it; cross-entropy otherwise), in memory. */
static unsigned char *checkpoint_of(mlp_optimizer_kind kind, size_t *size, ck_layout *at)
{
    make_data();
    mlp_net *net = small_net();
    mlp_optimizer o = tu_optimizer(kind);
    mlp_trainer *tr;
    const mlp_loss loss = kind == MLP_OPT_LM ? MLP_LOSS_MSE : MLP_LOSS_BINARY_CROSSENTROPY;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, loss, &o, N), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 2;
    f.batch_size = 0;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, t, N), &f), MLP_OK);
    char path[128];
    make_dir();
    snprintf(path, sizeof path, "%s/ck.mlp", dir);
    ck_assert_int_eq(mlp_trainer_save(tr, path), MLP_OK);
    unsigned char *b = read_all(path, size);
    remove_dir();
    /* README's table, from the end: checksum 4, counters 16, history H·P doubles,
     * H 8, state 16 P, plateau 24, epochs 8, steps 8 */
    const size_t np = mlp_net_n_params(net), h = kind == MLP_OPT_LBFGS ? 2 * o.lbfgs_history : 0;
    at->so = *size - 4 - 16;
    at->hist = at->so - 8 * h * np;
    at->hist_blocks = at->hist - 8;
    at->state = at->hist_blocks - 16 * np;
    at->t = at->state - 8 * 3 - 8 - 8;
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return b;
}

static void put_f64(unsigned char *p, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(bits >> (8 * i));
}

START_TEST(checkpoints_must_hold_a_reachable_state)
{
    enum { STEPS, STATE0, STATE1, HIST_BLOCKS, Y0, SO0, SO1 };
    const struct {
        mlp_optimizer_kind kind;
        int where;
        double value;
        const char *detail;
    } edits[] = {
        {MLP_OPT_ADAM, STEPS, 0, "more than 2^53 steps"},
        {MLP_OPT_ADAM, STATE1, -1e-3, "second moment of parameter 0 is -0.001"},
        {MLP_OPT_IRPROP_MINUS, STATE0, 1e308, "step size of parameter 0 is 1e+308, outside [0, 50]"},
        {MLP_OPT_IRPROP_MINUS, STATE0, -1e308, "outside [0, 50]"},
        {MLP_OPT_MOMENTUM, STATE1, 0.5, "momentum keeps no such state"},
        {MLP_OPT_SGD, STATE0, 0.5, "sgd keeps no such state"},
        {MLP_OPT_ADAM, SO0, 1, "adam keeps no second-order state"},
        {MLP_OPT_ADAM, HIST_BLOCKS, 20, "the L-BFGS history is 20, must be 0 to 0"},
        {MLP_OPT_LBFGS, HIST_BLOCKS, 4, "the L-BFGS history is 4, must be 20 to 20"},
        {MLP_OPT_LBFGS, STATE0, 0.5, "lbfgs keeps no such state"},
        {MLP_OPT_LBFGS, SO0, 11, "L-BFGS holds 11 pairs and writes slot"},
        {MLP_OPT_LBFGS, SO1, 0.5, "writes slot 0.5 of 10"},
        {MLP_OPT_LBFGS, SO1, 5, "writes slot 5 of 10"}, /* a ring not yet full writes after its pairs */
        {MLP_OPT_LBFGS, Y0, 0, "L-BFGS pair 0 has no positive curvature"},
        {MLP_OPT_LM, SO0, -1, "damping is -1"},
        {MLP_OPT_LM, SO1, 1, "growth factor 1"},
        {MLP_OPT_LM, STATE1, 0.5, "lm keeps no such state"},
    };
    for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
        size_t size;
        ck_layout at;
        unsigned char *b = checkpoint_of(edits[e].kind, &size, &at);
        mlp_trainer *tr;
        mlp_net *net;
        ck_assert_int_eq(mlp_trainer_load_buffer(&tr, &net, b, size, 4), MLP_OK); /* as saved */
        mlp_trainer_free(tr);
        mlp_net_free(net);
        const double v = edits[e].value;
        switch (edits[e].where) {
        case STEPS:
            for (int i = 0; i < 8; i++) b[at.t + i] = 0xFF; /* 2^64 - 1 */
            break;
        case HIST_BLOCKS:
            for (int i = 0; i < 8; i++) b[at.hist_blocks + i] = (unsigned char)((uint64_t)v >> (8 * i));
            break;
        case Y0: /* pair 0's gradient change: block m of the history, all of it */
            for (size_t i = 0; i < 30; i++) put_f64(b + at.hist + 8 * 30 * 10 + 8 * i, v);
            break;
        case STATE0:
        case STATE1:
            put_f64(b + at.state + (size_t)(edits[e].where - STATE0) * 8 * 30, v);
            break;
        default:
            put_f64(b + at.so + (size_t)(edits[e].where - SO0) * 8, v);
            break;
        }
        tu_fix_crc(b, size);
        ck_assert_int_eq(mlp_trainer_load_buffer(&tr, &net, b, size, 4), MLP_ERR_FORMAT);
        ck_assert_ptr_null(tr);
        ck_assert_msg(strstr(mlp_error_detail(), edits[e].detail) != NULL,
                      "edit %zu: detail \"%s\" lacks \"%s\"", e, mlp_error_detail(), edits[e].detail);
        free(b);
    }
}
END_TEST

/* ---- older files and newer activations ---------------------------------------------- */

START_TEST(format_version_1_files_still_load)
{
    /* Written by libmlp 0.1 (tests/data/make_v1.c says how): a hand-set network, and a
     * checkpoint from which 0.1 itself trained 2 more epochs into v1-resumed.txt. */
    mlp_net *net;
    ck_assert_int_eq(mlp_net_load(&net, MLP_TEST_DATA "/v1-net.mlp"), MLP_OK);
    ck_assert_uint_eq(mlp_net_n_params(net), 13);
    for (size_t i = 0; i < 13; i++)
        ck_assert_double_eq(mlp_net_params_const(net)[i], (double)(i + 1) / 8 - 1);
    mlp_provenance p;
    mlp_provenance_init(&p, sizeof p);
    ck_assert_int_eq(mlp_net_provenance(net, &p, NULL), MLP_OK);
    ck_assert_str_eq(p.library_version, "0.1.0");
    ck_assert_int_eq(p.trained, 0);
    mlp_net_free(net);

    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_load(&tr, &net, MLP_TEST_DATA "/v1-checkpoint.mlp", 2), MLP_OK);
    ck_assert_uint_eq(mlp_trainer_epochs(tr), 3);
    mlp_optimizer o, po;
    mlp_optimizer_init(&o, sizeof o, MLP_OPT_SGD);
    mlp_optimizer_init(&po, sizeof po, MLP_OPT_SGD);
    ck_assert_int_eq(mlp_trainer_get_optimizer(tr, &o), MLP_OK);
    ck_assert_int_eq(o.kind, MLP_OPT_ADAM);
    ck_assert_double_eq(o.learning_rate, 0.05);
    ck_assert_double_eq(o.weight_decay, 1e-3);
    ck_assert_int_eq(o.schedule, MLP_SCHEDULE_CONSTANT); /* version 1 had none */
    ck_assert_int_eq(mlp_net_provenance(net, &p, &po), MLP_OK);
    ck_assert_int_eq(p.trained, 1);
    ck_assert_uint_eq(p.epochs, 3);
    ck_assert_uint_eq(p.seed, 7);
    ck_assert_uint_eq(p.batch_size, 2);
    ck_assert_int_eq(po.kind, MLP_OPT_ADAM);
    ck_assert_double_eq(po.schedule_factor, 0.1); /* the defaults fill what 0.1 lacked */

    const double x6[12] = {0, 0, 0, 1, 1, 0, 1, 1, 0.5, 0.5, -1, 2};
    const double y6[6] = {0, 1, 1, 0, 1, 0};
    mlp_fit_options f = tu_fit_options();
    f.epochs = 2;
    f.batch_size = 2;
    f.seed = 7;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x6, y6, 6), &f), MLP_OK);
    FILE *in = fopen(MLP_TEST_DATA "/v1-resumed.txt", "r");
    ck_assert_ptr_nonnull(in);
    char line[64];
    for (size_t i = 0; i < 13; i++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
        const double want = strtod(line, NULL); /* C99 reads the %a form exactly */
        ck_assert_msg(mlp_net_params_const(net)[i] == want, "parameter %zu: %a, 0.1 gave %a", i,
                      mlp_net_params_const(net)[i], want);
    }
    fclose(in);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(format_version_3_checkpoints_resume)
{
    /* Written by libmlp 1.1.0 (tests/data/make_v3.c): an L-BFGS checkpoint, and the
     * parameters 1.1.0 reached 2 epochs later. The history ring and its counters must
     * come back as they were: compared to 1e-10, not to the bit, because the BLAS
     * kernel of the machine that runs this may round otherwise than the one that
     * wrote it (a history decoded wrongly misses by far more, tried). */
    mlp_trainer *tr;
    mlp_net *net;
    ck_assert_int_eq(mlp_trainer_load(&tr, &net, MLP_TEST_DATA "/v3-checkpoint.mlp", 6), MLP_OK);
    ck_assert_uint_eq(mlp_trainer_epochs(tr), 3);
    mlp_optimizer o = tu_optimizer(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_trainer_get_optimizer(tr, &o), MLP_OK);
    ck_assert_int_eq(o.kind, MLP_OPT_LBFGS);
    ck_assert_uint_eq(o.lbfgs_history, 4);
    ck_assert_uint_eq(mlp_net_n_classes(net), 0); /* version 3 has no preprocessing */
    ck_assert_ptr_null(mlp_net_input_name(net, 0));
    const double x6[12] = {0, 0, 0, 1, 1, 0, 1, 1, 0.5, 0.5, -1, 2};
    const double y6[6] = {0, 1, 1, 0, 0.5, -1};
    mlp_fit_options f = tu_fit_options();
    f.epochs = 2;
    f.batch_size = 0;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x6, y6, 6), &f), MLP_OK);
    FILE *in = fopen(MLP_TEST_DATA "/v3-resumed.txt", "r");
    ck_assert_ptr_nonnull(in);
    char line[64];
    for (size_t i = 0; i < mlp_net_n_params(net); i++) {
        ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
        const double want = strtod(line, NULL);
        ck_assert_msg(tu_close(mlp_net_params_const(net)[i], want, 1e-10),
                      "parameter %zu: %a, 1.1.0 gave %a", i, mlp_net_params_const(net)[i], want);
    }
    fclose(in);
    mlp_trainer_free(tr);
    mlp_net_free(net);
}
END_TEST

START_TEST(gelu_and_silu_networks_round_trip_bit_for_bit)
{
    const mlp_layer_spec spec[4] = {MLP_LAYER(7, MLP_ACT_GELU, 1), MLP_LAYER(6, MLP_ACT_SILU, 1),
                                    MLP_LAYER(5, MLP_ACT_GELU_TANH, 0),
                                    MLP_LAYER(2, MLP_ACT_SILU, 1)};
    mlp_net *net, *back;
    ck_assert_int_eq(mlp_net_create(&net, 3, spec, 4), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_XAVIER, 5), MLP_OK);
    /* trained a little, so that the provenance holds a schedule */
    make_data();
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    o.schedule = MLP_SCHEDULE_COSINE;
    o.schedule_cosine_epochs = 3;
    mlp_trainer *tr;
    ck_assert_int_eq(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 8), MLP_OK);
    mlp_fit_options f = tu_fit_options();
    f.epochs = 2;
    f.batch_size = 8;
    ck_assert_int_eq(mlp_trainer_fit(tr, NULL, TU_DATA(x, t, N), &f), MLP_OK);
    back = tu_reloaded(net);
    assert_same_net(net, back);
    mlp_optimizer po;
    mlp_optimizer_init(&po, sizeof po, MLP_OPT_SGD);
    mlp_provenance p;
    mlp_provenance_init(&p, sizeof p);
    ck_assert_int_eq(mlp_net_provenance(back, &p, &po), MLP_OK);
    ck_assert_int_eq(po.schedule, MLP_SCHEDULE_COSINE);
    ck_assert_uint_eq(po.schedule_cosine_epochs, 3);
    /* the loaded network predicts the same bits */
    mlp_workspace *ws;
    double y1[N * 2], y2[N * 2];
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, y1, x, N), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(back, ws, y2, x, N), MLP_OK);
    ck_assert_mem_eq(y1, y2, sizeof y1);
    mlp_workspace_free(ws);
    mlp_trainer_free(tr);
    mlp_net_free(back);
    mlp_net_free(net);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("io");
    tcase_add_checked_fixture(tc, tu_float64_networks, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, round_trip_through_a_file, 0, 2); /* both precisions */
    tcase_add_test(tc, untrained_networks_have_an_empty_provenance);
    tcase_add_test(tc, bytes_follow_the_documented_layout);
    tcase_add_loop_test(tc, the_kept_epoch_and_validation_losses_survive, 0, 2); /* both precisions */
    tcase_add_loop_test(tc, every_flipped_byte_is_refused, 0, 2); /* both precisions */
    tcase_add_loop_test(tc, every_truncation_is_refused, 0, 2); /* both precisions */
    tcase_add_test(tc, hostile_counts_are_refused_before_allocating);
    tcase_add_test(tc, load_reports_io_errors);
    tcase_add_test(tc, save_rejects_bad_input);
    tcase_add_test(tc, a_failed_save_leaves_the_old_file_intact);
    tcase_add_loop_test(tc, a_checkpoint_resumes_bit_for_bit, 0, 2); /* both precisions */
    tcase_add_loop_test(tc, checkpoint_loading_is_as_strict, 0, 2); /* both precisions */
    tcase_add_test(tc, format_version_1_files_still_load);
    tcase_add_test(tc, format_version_3_checkpoints_resume);
    tcase_add_test(tc, saves_respect_what_stands_at_the_path);
    tcase_add_test(tc, checkpoints_must_hold_a_reachable_state);
    tcase_add_test(tc, gelu_and_silu_networks_round_trip_bit_for_bit);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(io_suite)
