/* libFuzzer harness for the public API's argument checking: the bytes choose a
 * network shape (including zero and impossible sizes), then a sequence of calls
 * with sizes, enum values and doubles (NaN and infinity included) taken from the
 * bytes. Every call must return one of its documented statuses and never crash.
 * Sizes the library checks against an object (a network's shape, a workspace's
 * batch) range from zero to SIZE_MAX; lengths of plain arrays stay within the
 * buffers, which hold the most any call can accept, so any out-of-bounds access
 * is the library's. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

#include "../invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ROWS = 8, MAX_WIDTH = 12, MAX_LAYERS = 4, CELLS = MAX_WIDTH * MAX_WIDTH };

typedef struct input {
    const uint8_t *p;
    size_t left;
} input;

static uint8_t byte(input *in)
{
    if (in->left == 0) return 0;
    in->left--;
    return *in->p++;
}

/* A size: mostly small, sometimes zero or far too large (never one that passes
 * validation yet asks for gigabytes, which would only test the machine). */
static size_t size_from(input *in, size_t small_max)
{
    const uint8_t b = byte(in);
    if (b == 255) return SIZE_MAX;
    if (b == 254) return (size_t)INT_MAX + 1;
    if (b == 253) return 0;
    return (size_t)b % (small_max + 1);
}

/* A length for calls that cannot know their buffers' lengths (an array and its
 * count, as C passes them): never more than the buffers hold. Zero included. */
static size_t length_from(input *in, size_t max) { return (size_t)byte(in) % (max + 1); }

static double double_from(input *in)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits |= (uint64_t)byte(in) << (8 * i);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void require(int ok)
{
    if (!ok) abort();
}

/* One past each table: every value the library knows, and the first it does not
 * (counted from the names, so a new kind is fuzzed without a change here). */
static int kinds_of(const char *(*name)(int))
{
    int k = 0;
    while (name(k) != NULL) k++;
    return k + 1;
}
static const char *act_name(int k) { return mlp_activation_name((mlp_activation)k); }
static const char *loss_name(int k) { return mlp_loss_name((mlp_loss)k); }
static const char *opt_name(int k) { return mlp_optimizer_name((mlp_optimizer_kind)k); }
static const char *sched_name(int k) { return mlp_schedule_name((mlp_schedule)k); }
static const char *init_name(int k) { return mlp_init_name((mlp_init)k); }

static int is_status(mlp_status s) { return s >= MLP_OK && s <= MLP_ERR_UNSUPPORTED; }

/* A dataset of n rows over x and t, in the layout a byte picks: 1.4's (no shape, read as
 * the network's), with its shape (column counts from the bytes, the network's or not),
 * or class indices (their count and the labels from the bytes, in range or not, whole
 * or not). Every buffer holds CELLS values, the most an accepted shape reads. */
static float xf[CELLS], tf[CELLS], lf[CELLS]; /* x, t and labels as floats */

/* d's rows as floats (MLP_DATASET_F32: x_f32 and y_f32), the same values. */
static mlp_dataset as_floats(mlp_dataset d, const double *t, const double *labels)
{
    for (int i = 0; i < CELLS; i++) {
        xf[i] = (float)d.x[i];
        tf[i] = (float)t[i];
        lf[i] = (float)labels[i];
    }
    d.x_f32 = xf;
    d.y_f32 = d.y == labels ? lf : tf;
    d.x = d.y = NULL;
    return d;
}

static mlp_dataset dataset_from(input *in, const double *x, const double *t, double *labels,
                                size_t n)
{
    const uint8_t b = byte(in), kind = b % 3;
    if (kind == 0)
        return (mlp_dataset){offsetof(mlp_dataset, n_inputs), x, t, n, 0, 0, 0, NULL, NULL, NULL};
    /* the byte's high part (unused before 1.7): rows of floats */
    const int floats = (b / 3) % 2;
    const size_t d = size_from(in, MAX_WIDTH);
    if (kind == 1) {
        const mlp_dataset v = MLP_DATASET(x, d, t, size_from(in, MAX_WIDTH), n);
        return floats ? as_floats(v, t, labels) : v;
    }
    for (int i = 0; i < CELLS; i++) labels[i] = (double)(i % 3);
    const uint8_t odd = byte(in);
    if (odd < 64) labels[odd % MAX_ROWS] = (odd & 1) ? -1.0 : 0.5; /* not a class */
    if (odd == 64) labels[0] = NAN;
    const mlp_dataset c = MLP_DATASET_CLASSES(x, d, labels, size_from(in, MAX_WIDTH), n);
    return floats ? as_floats(c, t, labels) : c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    input in = {data, size};
    /* every buffer holds the most any accepted call reads or writes: a layer's
     * weights (CELLS) or a batch (MAX_ROWS * MAX_WIDTH <= CELLS) */
    static double x[CELLS], t[CELLS], y[CELLS], class_of[CELLS];
    static double grad[MAX_WIDTH * MAX_WIDTH * MAX_LAYERS + MAX_WIDTH * MAX_LAYERS];
    for (int i = 0; i < CELLS; i++) {
        x[i] = (double)(i % 7) - 3.0;
        t[i] = (double)(i % 2);
    }

    const int n_acts = kinds_of(act_name), n_losses = kinds_of(loss_name),
              n_opts = kinds_of(opt_name), n_scheds = kinds_of(sched_name),
              n_inits = kinds_of(init_name);
    const size_t n_inputs = size_from(&in, MAX_WIDTH);
    const size_t n_layers = size_from(&in, MAX_LAYERS);
    mlp_layer_spec spec[MAX_LAYERS];
    for (size_t l = 0; l < MAX_LAYERS; l++) {
        const size_t width = size_from(&in, MAX_WIDTH);
        const unsigned a = byte(&in);
        const mlp_activation act = (mlp_activation)(a % n_acts);
        spec[l] = (mlp_layer_spec)MLP_LAYER(width, act, byte(&in) & 1);
        /* the activation byte's high part (unused before 1.7, so the corpus keeps its
         * meaning) makes some layers layer normalizations (of the input's width or,
         * refused, another; some with an epsilon of 0, refused), batch normalizations
         * or dropouts */
        const unsigned high = a / (unsigned)n_acts;
        if (high % 4 == 3) {
            spec[l].kind = MLP_LAYER_LAYERNORM;
            spec[l].size = high % 8 == 7 ? width : 0;
            spec[l].epsilon = high % 16 == 15 ? 0.0 : 1e-5;
        } else if (high % 8 == 5) { /* a batch normalization, some with momentum 0 (refused) */
            spec[l].kind = MLP_LAYER_BATCHNORM;
            spec[l].size = high % 16 == 13 ? width : 0;
            spec[l].momentum = high % 32 == 29 ? 0.0 : 0.1;
        } else if (high % 4 == 2) { /* a dropout, some with a rate of 1 (refused) */
            spec[l].kind = MLP_LAYER_DROPOUT;
            spec[l].size = high % 8 == 6 ? width : 0;
            spec[l].activation = high % 32 == 30 ? act : MLP_ACT_IDENTITY;
            spec[l].rate = high % 16 == 14 ? 1.0 : 0.3;
        }
    }
    mlp_net *net;
    mlp_status s = mlp_net_create(&net, n_inputs, spec, n_layers);
    require(is_status(s) && (s == MLP_OK) == (net != NULL));
    if (s != MLP_OK) return 0;

    mlp_workspace *ws = NULL;
    mlp_trainer *tr = NULL;
    s = mlp_workspace_create(&ws, net, size_from(&in, MAX_ROWS));
    require(is_status(s));
    while (in.left > 0) {
        const uint8_t ob = byte(&in), op = ob % 12;
        const size_t n = size_from(&in, MAX_ROWS), layer = size_from(&in, MAX_LAYERS);
        const double v = double_from(&in);
        switch (op) {
        case 0:
            if ((ob / 12) % 8 >= 6) { /* a predictor (since 1.7): any precision, known or
                                          not; its workspace given to it, or to the network */
                mlp_predictor *p = NULL;
                mlp_workspace *pws = NULL;
                s = mlp_predictor_create(&p, net, (mlp_precision)(byte(&in) % 4));
                require(is_status(s) && (s == MLP_OK) == (p != NULL));
                if (s == MLP_OK) s = mlp_predictor_workspace_create(&pws, p, size_from(&in, MAX_ROWS));
                require(is_status(s));
                if (s == MLP_OK) {
                    static float yf[CELLS];
                    for (int i = 0; i < CELLS; i++) xf[i] = (float)x[i];
                    const int road = byte(&in) % 3;
                    s = road == 0   ? mlp_predictor_predict(p, pws, y, x, n)
                        : road == 1 ? mlp_predictor_predict_f32(p, pws, yf, xf, n)
                                    : mlp_net_predict(net, pws, y, x, n);
                    require(road < 2 || s == MLP_ERR_SHAPE || s == MLP_ERR_INVALID_ARG);
                }
                mlp_workspace_free(pws);
                mlp_predictor_free(p);
            } else if (ws != NULL && (ob / 12) % 2) { /* float rows and outputs */
                static float yf[CELLS];
                for (int i = 0; i < CELLS; i++) xf[i] = (float)x[i];
                s = mlp_net_predict_f32(net, ws, yf, xf, n);
            } else if (ws != NULL) {
                s = mlp_net_predict(net, ws, y, x, n);
            }
            break;
        case 1: {
            for (int i = 0; i < CELLS; i++) y[i] = v;
            s = mlp_net_set_weights(net, layer, y, size_from(&in, MAX_WIDTH * MAX_WIDTH));
            break;
        }
        case 2:
            for (int i = 0; i < CELLS; i++) y[i] = v;
            s = mlp_net_set_bias(net, layer, y, size_from(&in, MAX_WIDTH));
            break;
        case 3:
            if (ws != NULL) {
                const mlp_loss loss = (mlp_loss)(byte(&in) % n_losses);
                const mlp_dataset d = dataset_from(&in, x, t, class_of, n);
                s = mlp_net_gradient(net, ws, loss, grad, NULL, &d);
            }
            break;
        case 4:
            s = mlp_activation_forward((mlp_activation)(byte(&in) % n_acts), y, x,
                                       length_from(&in, CELLS));
            break;
        case 5:
            s = mlp_activation_derivative((mlp_activation)(byte(&in) % n_acts), y, x,
                                          length_from(&in, CELLS));
            break;
        case 6: {
            const mlp_optimizer_kind kind = (mlp_optimizer_kind)(byte(&in) % n_opts);
            mlp_optimizer o;
            if (mlp_optimizer_init(&o, sizeof o, kind) != MLP_OK) {
                mlp_optimizer_init(&o, sizeof o, MLP_OPT_SGD);
                o.kind = kind;
            }
            o.schedule = (mlp_schedule)(byte(&in) % n_scheds);
            const uint8_t which = byte(&in) % 12;
            if (which == 0) o.learning_rate = v;
            if (which == 1) o.momentum = v;
            if (which == 2) o.weight_decay = v;
            if (which == 3) o.rprop_delta_max = v;
            if (which == 4) o.schedule_factor = v;
            if (which == 5) o.schedule_min_lr = v;
            if (which == 6) o.schedule_cosine_epochs = size_from(&in, 4);
            if (which == 7) o.lbfgs_history = size_from(&in, 4); /* 0 to 4 */
            if (which == 8) o.max_line_search = size_from(&in, 4);
            if (which == 9) o.tolerance_grad = v;
            if (which == 10) o.tolerance_change = v;
            if (which == 11) o.lm_damping = v;
            mlp_trainer_free(tr);
            tr = NULL;
            s = mlp_trainer_create(&tr, net, (mlp_loss)(byte(&in) % n_losses), &o, n);
            require((s == MLP_OK) == (tr != NULL));
            break;
        }
        case 7:
            if (tr != NULL) {
                const mlp_dataset d = dataset_from(&in, x, t, class_of, n);
                s = mlp_trainer_step(tr, NULL, &d);
            }
            break;
        case 8:
            if (tr != NULL) {
                mlp_fit_options f;
                mlp_fit_options_init(&f, sizeof f);
                f.epochs = 1 + byte(&in) % 3;
                f.batch_size = size_from(&in, MAX_ROWS);
                f.validation_fraction = (byte(&in) % 4) / 4.0;
                f.patience = byte(&in) % 3;
                f.min_delta = byte(&in) % 2 ? v : 0.0;
                if (byte(&in) % 4 == 0) f.max_abs_weight = v;
                const mlp_dataset d = dataset_from(&in, x, t, class_of, length_from(&in, MAX_ROWS));
                s = mlp_trainer_fit(tr, NULL, &d, &f);
            }
            break;
        case 9:
            s = mlp_linear_descend(y, NULL, x, t, length_from(&in, MAX_ROWS),
                                   length_from(&in, MAX_WIDTH), v, byte(&in) % 4);
            break;
        case 10:
        {
            unsigned long long seed;
            memcpy(&seed, &v, sizeof seed); /* the same 8 bytes, as a seed */
            s = mlp_net_init(net, (mlp_init)(byte(&in) % n_inits), seed);
        }
            break;
        case 11: {
            size_t labels[MAX_ROWS];
            for (int i = 0; i < MAX_ROWS; i++) labels[i] = byte(&in) % 5;
            s = mlp_onehot(y, labels, length_from(&in, MAX_ROWS), length_from(&in, MAX_WIDTH));
            break;
        }
        }
        require(is_status(s));
        /* a soft finding: MLP_OK over objects that break the rules (../invariants.h) */
        if (s == MLP_OK) require(tr != NULL ? inv_trainer(tr) == NULL : inv_net(net) == NULL);
    }
    mlp_trainer_free(tr);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    return 0;
}
