/* A seeded property test of the two rules (invariants.h): random sequences of legal
 * calls with extreme values — weights, rows and targets near 1e±300, around 1e154
 * (whose squares overflow) and denormal; learning rates from 1e-300 to 1e300; every
 * optimizer, loss and output, some hidden layers layer normalizations; scalings fitted
 * on such rows; checkpoints edited by value with their checksum fixed — and after every call that returns MLP_OK, every
 * object it touched is finite and saves into bytes that load back to the same bytes.
 * A step that fails leaves the trainer as it was, to the byte. (Predictions are not
 * among the rules: finite weights and rows near 1e300 give outputs past DBL_MAX.)
 *
 * Each sequence runs twice: with float64 networks, and with float32 ones (the same
 * network, its weights at float's end of the range where they were past it).
 *
 * MLP_PROPERTY_SEQUENCES sets how many sequences run (default 150, seconds in CI);
 * MLP_PROPERTY_FIRST the first seed, so that a finding's seed reruns alone. */
#define _GNU_SOURCE /* memmem */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "test_util.h"

enum { MAX_ROWS = 8, MAX_IN = 4, MAX_WIDTH = 6, OPS = 10 };

static uint64_t state;

static uint64_t next(void) { return tu_next(&state); }
static size_t pick(size_t n) { return (size_t)(next() % n); }

/* A magnitude that probes a boundary: ordinary, tiny, huge, where squares and
 * products overflow, denormal. */
static double magnitude(void)
{
    static const double m[] = {1.0, 1.0, 1e-3, 1e3, 1e-300, 1e300, 1e154, 1e155, 1e-310,
                               0x1p-1074, 1e308, 0x1.fffffffffffffp1023};
    return m[pick(sizeof m / sizeof m[0])];
}

static double value(double scale)
{
    const double u = tu_uniform(&state, -1.0, 1.0);
    const double v = u * scale;
    return isfinite(v) ? v : copysign(0x1.fffffffffffffp1023, u);
}

/* The trainer as bytes (a checkpoint), NULL when it cannot save. */
static unsigned char *bytes_of(const mlp_trainer *tr, size_t *n)
{
    if (mlp__trainer_save_buffer(tr, NULL, 0, n) != MLP_OK) return NULL;
    unsigned char *b = malloc(*n);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(mlp__trainer_save_buffer(tr, b, *n, n), MLP_OK);
    return b;
}

#define RULES(what, tr)                                                                  \
    do {                                                                                 \
        const char *why_ = inv_trainer(tr);                                              \
        ck_assert_msg(why_ == NULL, "seed %llu, op %d (%s) returned MLP_OK: %s",        \
                      (unsigned long long)seed, op, (what), why_);                       \
    } while (0)

/* One sequence; returns the calls that returned MLP_OK. */
static size_t sequence(uint64_t seed)
{
    state = seed * 0x9E3779B97F4A7C15ull + 1;
    int op = -1;
    size_t ok = 0;
    /* the network: 1 to 3 layers of any activation, an output that fits a loss */
    const size_t in = 1 + pick(MAX_IN), layers = 1 + pick(3);
    const mlp_loss loss = (mlp_loss)pick(3);
    const size_t k = loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY ? 2 + pick(3) : 1 + pick(2);
    mlp_layer_spec spec[3];
    const mlp_activation unknown = tu_unknown_activation();
    for (size_t l = 0; l < layers; l++) {
        const int last = l + 1 == layers;
        mlp_activation act = (mlp_activation)pick((size_t)unknown);
        if (act == MLP_ACT_SOFTMAX && !last) act = MLP_ACT_TANH;
        if (last) act = loss == MLP_LOSS_CATEGORICAL_CROSSENTROPY ? MLP_ACT_SOFTMAX
                        : loss == MLP_LOSS_BINARY_CROSSENTROPY    ? MLP_ACT_SIGMOID
                        : act == MLP_ACT_SOFTMAX                  ? MLP_ACT_IDENTITY
                                                                  : act;
        spec[l] = (mlp_layer_spec)MLP_LAYER(last ? k : 1 + pick(MAX_WIDTH), act, (int)pick(2));
        if (!last && pick(4) == 0) { /* a layer normalization, ε from 2^-1000 to 2^999 */
            spec[l].kind = MLP_LAYER_LAYERNORM;
            spec[l].size = 0;
            spec[l].epsilon = pick(2) ? 1e-5 : ldexp(1.0, (int)pick(2000) - 1000);
        }
    }
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, in, spec, layers), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, (mlp_init)pick(6), next()), MLP_OK);
    if (pick(2)) { /* weights of an extreme size, as a user may set them */
        const double m = magnitude();
        double *w = mlp_net_params(net);
        for (size_t i = 0; i < mlp_net_n_params(net); i++)
            if (pick(3) == 0) w[i] = value(m);
    }
    if (tu_single) { /* the same network in float32: weights past float's range at its end */
        double *w = mlp_net_params(net);
        for (size_t i = 0; i < mlp_net_n_params(net); i++)
            if (fabs(w[i]) > FLT_MAX) w[i] = copysign(FLT_MAX, w[i]);
        mlp_net *f = NULL;
        ck_assert_int_eq(mlp_net_convert(&f, net, MLP_PRECISION_FLOAT32), MLP_OK);
        mlp_net_free(net);
        net = f;
    }
    /* rows and targets (as doubles: a float32 network rounds them, and refuses those
     * past float's range as it would infinities) */
    const size_t n = 1 + pick(MAX_ROWS);
    double x[MAX_ROWS * MAX_IN], y[MAX_ROWS * 5];
    const double mx = magnitude(), my = magnitude();
    for (size_t i = 0; i < n * in; i++) x[i] = value(mx);
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < k; c++)
            y[r * k + c] = loss == MLP_LOSS_MSE ? value(my)
                           : loss == MLP_LOSS_BINARY_CROSSENTROPY ? (double)pick(2)
                                                                  : (double)(c == r % k);
    const mlp_dataset *d = TU_ROWS(x, in, y, k, n);
    if (pick(2)) {
        op = 0;
        const mlp_scaling how = (mlp_scaling)(1 + pick(2));
        const mlp_scaling out = loss == MLP_LOSS_MSE ? (mlp_scaling)pick(3) : MLP_SCALE_NONE;
        if (mlp_net_fit_scaling(net, how, out, d) == MLP_OK) {
            const char *why = inv_net(net);
            ck_assert_msg(why == NULL, "seed %llu: fit_scaling returned MLP_OK: %s",
                          (unsigned long long)seed, why);
            ok++;
        }
    }
    /* the trainer: any optimizer, a learning rate of any size */
    mlp_optimizer o = tu_optimizer((mlp_optimizer_kind)pick((size_t)tu_unknown_optimizer()));
    static const double rates[] = {1e-300, 1e-3, 0.1, 1.0, 1e3, 1e300, 0x1p-1074};
    o.learning_rate = rates[pick(sizeof rates / sizeof rates[0])];
    if (pick(3) == 0) o.weight_decay = rates[pick(sizeof rates / sizeof rates[0])];
    mlp_trainer *tr = NULL;
    if (mlp_trainer_create(&tr, net, loss, &o, n) != MLP_OK) {
        mlp_net_free(net);
        return ok;
    }
    for (op = 1; op <= OPS; op++) {
        size_t before_n = 0;
        unsigned char *before = bytes_of(tr, &before_n);
        ck_assert_msg(before != NULL, "seed %llu, op %d: the trainer does not save",
                      (unsigned long long)seed, op);
        const size_t what = pick(4);
        if (what == 0) { /* one step */
            const mlp_status s = mlp_trainer_step(tr, NULL, d);
            if (s == MLP_OK) {
                RULES("mlp_trainer_step", tr);
                ok++;
            } else {
                size_t after_n = 0;
                unsigned char *after = bytes_of(tr, &after_n);
                ck_assert_msg(after != NULL && after_n == before_n &&
                                  memcmp(before, after, before_n) == 0,
                              "seed %llu, op %d: a step failed (%s) and changed the trainer",
                              (unsigned long long)seed, op, mlp_error_detail());
                free(after);
            }
        } else if (what == 1) { /* a fit of an epoch or two */
            mlp_fit_options f = tu_fit_options();
            f.epochs = 1 + pick(2);
            f.seed = next();
            if (mlp_trainer_fit(tr, NULL, d, &f) == MLP_OK) {
                RULES("mlp_trainer_fit", tr);
                ok++;
            }
        } else if (what == 2) { /* the checkpoint edited by value, its checksum fixed */
            const size_t i = pick(mlp_net_n_params(net));
            /* a parameter's bytes as the file holds them: a double, or a float32
             * network's float */
            double old = 0;
            float old32 = 0;
            if (tu_single)
                old32 = mlp_net_params_f32_const(net)[i];
            else
                old = mlp_net_params_const(net)[i];
            const size_t size = tu_single ? sizeof old32 : sizeof old;
            unsigned char *at =
                memmem(before, before_n, tu_single ? (void *)&old32 : (void *)&old, size);
            if (at != NULL) {
                const double v = pick(4) == 0 ? -0.0 : value(magnitude());
                const float v32 = (float)v; /* past float's range: infinity, refused */
                memcpy(at, tu_single ? (const void *)&v32 : (const void *)&v, size);
                tu_fix_crc(before, before_n);
                mlp_trainer *t2 = NULL;
                mlp_net *n2 = NULL;
                if (mlp_trainer_load_buffer(&t2, &n2, before, before_n, n) == MLP_OK) {
                    RULES("mlp_trainer_load_buffer", t2);
                    ok++;
                    mlp_trainer_free(tr);
                    mlp_net_free(net);
                    tr = t2;
                    net = n2;
                }
            }
        } else { /* the model's scaling fitted again, on the rows of the sequence */
            const mlp_scaling how = (mlp_scaling)pick(3);
            const mlp_scaling out = loss == MLP_LOSS_MSE ? (mlp_scaling)pick(3) : MLP_SCALE_NONE;
            if (mlp_net_fit_scaling(net, how, out, d) == MLP_OK) {
                RULES("mlp_net_fit_scaling", tr);
                ok++;
            }
        }
        free(before);
    }
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return ok;
}

START_TEST(random_sequences_keep_the_rules)
{
    tu_single = _i; /* 0: float64 networks; 1: float32 */
    const char *e = getenv("MLP_PROPERTY_SEQUENCES"), *f = getenv("MLP_PROPERTY_FIRST");
    const uint64_t count = e != NULL ? strtoull(e, NULL, 10) : 150;
    const uint64_t first = f != NULL ? strtoull(f, NULL, 10) : 1;
    size_t ok = 0;
    for (uint64_t seed = first; seed < first + count; seed++) ok += sequence(seed);
    fprintf(stderr,
            "%llu sequences (%s) from seed %llu: %zu calls returned MLP_OK, every "
            "one finite and saving into a file that loads back\n",
            (unsigned long long)count, tu_single ? "float32" : "float64", (unsigned long long)first,
            ok);
    ck_assert_uint_gt(ok, count); /* the sequences do reach past their first refusals */
}
END_TEST

static Suite *property_suite(void)
{
    Suite *s = suite_create("property");
    TCase *c = tcase_create("property");
    tcase_set_timeout(c, 600);
    tcase_add_loop_test(c, random_sequences_keep_the_rules, 0, 2); /* both precisions */
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(property_suite)
