/* Shared by the Check suites: a seeded generator, a plain-loop reference
 * forward pass, and the main() every suite uses. */
#ifndef MLP_TEST_UTIL_H
#define MLP_TEST_UTIL_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>
#include <zlib.h>

/* splitmix64: small, seeded, identical on every platform. */
static inline uint64_t tu_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static inline double tu_uniform(uint64_t *state, double lo, double hi)
{
    return lo + (hi - lo) * (double)(tu_next(state) >> 11) * 0x1.0p-53;
}

static inline void tu_fill(uint64_t *state, double *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) x[i] = tu_uniform(state, lo, hi);
}

/* The activation written out from its textbook definition, independent of the library. */
static inline double tu_act(mlp_activation act, double z)
{
    switch (act) {
    case MLP_ACT_IDENTITY: return z;
    case MLP_ACT_RELU: return z > 0 ? z : 0;
    case MLP_ACT_TANH: return tanh(z);
    case MLP_ACT_SIGMOID: return 1.0 / (1.0 + exp(-z));
    case MLP_ACT_LEAKY_RELU: return z > 0 ? z : 0.01 * z;
    case MLP_ACT_ELU: return z > 0 ? z : exp(z) - 1.0;
    case MLP_ACT_SOFTPLUS: return log(1.0 + exp(z)); /* fine for the |z| < 30 tests use */
    case MLP_ACT_GELU: return 0.5 * z * (1.0 + erf(z / sqrt(2.0)));
    case MLP_ACT_GELU_TANH:
        return 0.5 * z *
               (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (z + 0.044715 * z * z * z)));
    case MLP_ACT_SILU: return z / (1.0 + exp(-z));
    case MLP_ACT_SOFTMAX: return NAN;                /* a row operation: see below */
    }
    return NAN;
}

/* Reference forward pass with plain loops over rows, nodes and inputs, reading
 * the layer's weights and bias through the public accessors (not the block).
 * y: (n, n_outputs). Returns 0 on success. */
static inline int tu_reference_predict(const mlp_net *net, double *y, const double *x, size_t n)
{
    size_t n_layers = mlp_net_n_layers(net), width = mlp_net_n_inputs(net);
    size_t max_w = width;
    for (size_t l = 0; l < n_layers; l++) {
        mlp_layer_spec s = MLP_LAYER(0, MLP_ACT_IDENTITY, 0);
        if (mlp_net_layer(net, l, &s, NULL) != MLP_OK) return -1;
        if (s.size > max_w) max_w = s.size;
    }
    double *cur = malloc(n * max_w * sizeof *cur), *nxt = malloc(n * max_w * sizeof *nxt);
    double *w = malloc(max_w * max_w * sizeof *w), *b = malloc(max_w * sizeof *b);
    if (!cur || !nxt || !w || !b) return -1;
    for (size_t i = 0; i < n * width; i++) cur[i] = x[i];
    for (size_t l = 0; l < n_layers; l++) {
        mlp_layer_spec s = MLP_LAYER(0, MLP_ACT_IDENTITY, 0);
        size_t in;
        mlp_net_layer(net, l, &s, &in);
        mlp_net_get_weights(net, l, w, s.size * in);
        for (size_t j = 0; j < s.size; j++) b[j] = 0;
        if (s.bias) mlp_net_get_bias(net, l, b, s.size);
        for (size_t r = 0; r < n; r++) {
            double *row = nxt + r * s.size, sum = 0;
            for (size_t j = 0; j < s.size; j++) {
                double z = b[j];
                for (size_t k = 0; k < in; k++) z += cur[r * in + k] * w[j * in + k];
                row[j] = s.activation == MLP_ACT_SOFTMAX ? exp(z) : tu_act(s.activation, z);
                sum += row[j];
            }
            if (s.activation == MLP_ACT_SOFTMAX) /* textbook softmax, unshifted */
                for (size_t j = 0; j < s.size; j++) row[j] /= sum;
        }
        double *t = cur;
        cur = nxt;
        nxt = t;
        width = s.size;
    }
    for (size_t i = 0; i < n * width; i++) y[i] = cur[i];
    free(cur);
    free(nxt);
    free(w);
    free(b);
    return 0;
}

/* One weight, no bias: prediction w·x. With x = 1 (tu_one) and target 0 (tu_zero) the
 * MSE is w² and its gradient 2w, so every optimizer's steps can be followed by hand. */
static inline mlp_net *tu_one_weight(double w)
{
    const mlp_layer_spec spec = MLP_LAYER(1, MLP_ACT_IDENTITY, 0);
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 1, &spec, 1), MLP_OK);
    mlp_net_params(net)[0] = w;
    return net;
}

static const double tu_one = 1, tu_zero = 0;

/* A dataset as a program built against libmlp 1.4 passes it: the struct of that
 * header (struct_size up to n), with no shape, its rows taken as the network reads them
 * (already scaled, unchecked). The suites written before 1.5 use it, and so check that
 * such programs get what they got then; test_dataset.c checks datasets with their shape
 * (MLP_DATASET) against it. */
#define TU_DATA14_SIZE offsetof(mlp_dataset, n_inputs)
#define TU_DATA14(x, y, n) ((mlp_dataset){TU_DATA14_SIZE, (x), (y), (n), 0, 0, 0, NULL, NULL, NULL})
/* That dataset as a pointer to a compound literal, for one call. */
#define TU_DATA(x, y, n) (&(const mlp_dataset){TU_DATA14_SIZE, (x), (y), (n), 0, 0, 0, NULL, NULL, NULL})
/* A dataset with its shape: x (n, d), y (n, k). */
#define TU_ROWS(x, d, y, k, n) (&(const mlp_dataset)MLP_DATASET((x), (d), (y), (k), (n)))

/* ---- both precisions ------------------------------------------------------------
 * A behaviour test that runs for float64 and float32 networks is a Check loop test
 * over _i: it sets tu_single = _i first and makes its networks through
 * tu_in_precision(); tu_float64_networks, the test case's checked fixture, sets
 * float64 back for the tests that are float64's alone (CK_FORK=no runs them all in
 * one process). One of each per test program: each is one translation unit. */
__attribute__((unused)) static int tu_single;
static inline void tu_float64_networks(void) { tu_single = 0; }

/* net in the test's precision: itself for float64, else a float32 copy of it (each
 * value rounded to float), the original freed. */
static inline mlp_net *tu_in_precision(mlp_net *net)
{
    if (!tu_single) return net;
    mlp_net *f = NULL;
    ck_assert_int_eq(mlp_net_convert(&f, net, MLP_PRECISION_FLOAT32), MLP_OK);
    mlp_net_free(net);
    return f;
}

/* A network's parameters as bytes of its own type, and how many bytes. */
static inline const void *tu_params_of(const mlp_net *net, size_t *bytes)
{
    const int f = mlp_net_precision(net) == MLP_PRECISION_FLOAT32;
    *bytes = mlp_net_n_params(net) * (f ? sizeof(float) : sizeof(double));
    return f ? (const void *)mlp_net_params_f32_const(net)
             : (const void *)mlp_net_params_const(net);
}

/* Parameter i of a network of either precision, widened to double (exact). */
static inline double tu_param_at(const mlp_net *net, size_t i)
{
    return mlp_net_precision(net) == MLP_PRECISION_FLOAT32
               ? (double)mlp_net_params_f32_const(net)[i]
               : mlp_net_params_const(net)[i];
}

/* The optimizer defaults of `kind`, by value (the test is built against the header
 * of the library it runs with). */
static inline mlp_optimizer tu_optimizer(mlp_optimizer_kind kind)
{
    mlp_optimizer o;
    if (mlp_optimizer_init(&o, sizeof o, kind) != MLP_OK) abort();
    return o;
}

static inline mlp_fit_options tu_fit_options(void)
{
    mlp_fit_options o;
    if (mlp_fit_options_init(&o, sizeof o) != MLP_OK) abort();
    return o;
}

static inline mlp_fit_result tu_fit_result(void)
{
    mlp_fit_result r;
    if (mlp_fit_result_init(&r, sizeof r) != MLP_OK) abort();
    return r;
}

/* The first value of each enum the library does not know: one past its table,
 * found through the names, so that no test hard-codes a bound. */
static inline mlp_activation tu_unknown_activation(void)
{
    int k = 0;
    while (mlp_activation_name((mlp_activation)k) != NULL) k++;
    return (mlp_activation)k;
}

static inline mlp_loss tu_unknown_loss(void)
{
    int k = 0;
    while (mlp_loss_name((mlp_loss)k) != NULL) k++;
    return (mlp_loss)k;
}

static inline mlp_optimizer_kind tu_unknown_optimizer(void)
{
    int k = 0;
    while (mlp_optimizer_name((mlp_optimizer_kind)k) != NULL) k++;
    return (mlp_optimizer_kind)k;
}

/* Recompute the CRC-32 at the end of an edited model file, so that the reader's other
 * checks are what stand between it and the edit. */
static inline void tu_fix_crc(unsigned char *b, size_t size)
{
    const uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) b[size - 4 + i] = (unsigned char)(crc >> (8 * i));
}

/* A trainer's checkpoint as bytes (weights, state, counters), saved through `path`;
 * the caller frees them. */
static inline unsigned char *tu_snapshot(const mlp_trainer *tr, const char *path, size_t *size)
{
    ck_assert_int_eq(mlp_trainer_save(tr, path), MLP_OK);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*size);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *size, f), *size);
    fclose(f);
    return b;
}

/* The network saved into memory: the bytes (the caller frees them) and their count. */
static inline unsigned char *tu_saved(const mlp_net *net, size_t *size)
{
    ck_assert_int_eq(mlp_net_save_buffer(net, NULL, 0, size), MLP_OK);
    unsigned char *b = malloc(*size);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(mlp_net_save_buffer(net, b, *size, size), MLP_OK);
    return b;
}

/* The network saved into memory and loaded back. */
static inline mlp_net *tu_reloaded(const mlp_net *net)
{
    size_t size;
    unsigned char *b = tu_saved(net, &size);
    mlp_net *back = NULL;
    ck_assert_msg(mlp_net_load_buffer(&back, b, size) == MLP_OK, "the saved network does not "
                  "load: %s", mlp_error_detail());
    free(b);
    return back;
}

/* A hostile edit of a saved file: `width` bytes at `offset` set to `value`
 * (little-endian), the checksum fixed. */
typedef struct tu_edit {
    size_t offset;
    int width;
    uint64_t value;
    const char *detail; /* what the loader's refusal must say */
} tu_edit;

/* Each edit of the file `orig` is refused as a format error naming what is wrong, and
 * no network comes out. */
static inline void tu_refuses_edits(const unsigned char *orig, size_t size, const tu_edit *edits,
                                    size_t n)
{
    unsigned char *b = malloc(size);
    ck_assert_ptr_nonnull(b);
    for (size_t e = 0; e < n; e++) {
        memcpy(b, orig, size);
        for (int i = 0; i < edits[e].width; i++)
            b[edits[e].offset + i] = (unsigned char)(edits[e].value >> (8 * i));
        tu_fix_crc(b, size);
        mlp_net *net = (mlp_net *)b;
        ck_assert_msg(mlp_net_load_buffer(&net, b, size) == MLP_ERR_FORMAT, "edit %zu accepted", e);
        ck_assert_ptr_null(net);
        ck_assert_msg(strstr(mlp_error_detail(), edits[e].detail) != NULL,
                      "edit %zu: detail \"%s\" lacks \"%s\"", e, mlp_error_detail(),
                      edits[e].detail);
    }
    free(b);
}

/* Relative-or-absolute closeness: |a - b| <= tol * max(1, |a|, |b|). */
/* The rows of the layer kinds' gradient checks: 9 rows of 5 inputs in [-2, 2), their
 * one-hot classes among 3 (y, 9 x 3) and 2 regression targets in [-1, 1) (t, 9 x 2). */
static inline void tu_check_rows(uint64_t *st, double *x, double *y, double *t)
{
    tu_fill(st, x, 45, -2, 2);
    for (size_t r = 0; r < 9; r++) {
        const size_t c = tu_next(st) % 3;
        for (size_t j = 0; j < 3; j++) y[r * 3 + j] = j == c;
    }
    tu_fill(st, t, 18, -1, 1);
}

static inline int tu_close(double a, double b, double tol)
{
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= tol * scale;
}

#define TU_MAIN(suite_fn)                                                              \
    int main(void)                                                                     \
    {                                                                                  \
        SRunner *sr = srunner_create(suite_fn());                                      \
        srunner_run_all(sr, CK_NORMAL);                                                \
        int failed = srunner_ntests_failed(sr);                                        \
        srunner_free(sr);                                                              \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                              \
    }

#endif
