/* A network: layer specs, the parameter block, create/free and weight access. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#include "model.h"

/* Parameter block alignment: one cache line, so BLAS kernels start on a boundary. */
#define MLP_ALIGN 64

/* Most doubles one parameter block may hold, leaving room to round up for alignment. */
#define MLP_MAX_PARAMS (SIZE_MAX / sizeof(double) / 2)

/* Allocate n doubles aligned to MLP_ALIGN, zeroed; NULL on failure or overflow. */
static double *alloc_doubles(size_t n)
{
    size_t bytes;
    if (!mlp__mul_ok(n, sizeof(double), SIZE_MAX - MLP_ALIGN, &bytes)) return NULL;
    bytes = (bytes + MLP_ALIGN - 1) / MLP_ALIGN * MLP_ALIGN; /* aligned_alloc wants a multiple */
    double *p = aligned_alloc(MLP_ALIGN, bytes);
    if (p != NULL) memset(p, 0, bytes);
    return p;
}

/* A spec's defaults: what mlp_layer_spec_init() fills, and what a caller's struct of an
 * earlier size (without the later fields) means: a dense layer. */
static mlp_layer_spec spec_defaults(void)
{
    return (mlp_layer_spec){.struct_size = sizeof(mlp_layer_spec),
                            .size = 0,
                            .activation = MLP_ACT_IDENTITY,
                            .bias = 1,
                            .kind = MLP_LAYER_DENSE,
                            .epsilon = 1e-5,
                            .rate = 0.5,
                            .momentum = 0.1};
}

mlp_status mlp_layer_spec_init(mlp_layer_spec *spec, size_t struct_size)
{
    const mlp_layer_spec d = spec_defaults();
    return mlp__struct_init(spec, struct_size, &d, sizeof d, __func__, "mlp_layer_spec");
}

/* Layer l of the caller's array, whose stride is its elements' struct_size, in the
 * library's layout with the defaults for fields the caller's struct does not hold. */
static mlp_status layer_in(mlp_layer_spec *out, const mlp_layer_spec *layers, size_t stride,
                           size_t l)
{
    const mlp_layer_spec *src = (const mlp_layer_spec *)((const char *)layers + l * stride);
    MLP_CHECK(src->struct_size == stride, MLP_ERR_INVALID_ARG,
              "mlp_net_create: layer %zu has struct_size %zu, layer 0 has %zu: every element "
              "of the array must be set the same way (MLP_LAYER)",
              l, src->struct_size, stride);
    *out = spec_defaults(); /* the fields a struct of an earlier size lacks: dense's */
    return mlp__struct_in(out, sizeof *out, src, "mlp_net_create", "mlp_layer_spec");
}

mlp_status mlp__net_new(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                        size_t n_layers, const char *fn)
{
    MLP_CHECK(net != NULL, MLP_ERR_INVALID_ARG, "%s: net is NULL", fn);
    *net = NULL;
    MLP_CHECK_PTR(layers);
    MLP_CHECK(n_inputs > 0 && n_inputs <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_net_create: n_inputs is %zu, must be 1 to %zu", n_inputs, MLP_MAX_DIM);
    MLP_CHECK(n_layers > 0 && n_layers <= MLP_MAX_LAYERS, MLP_ERR_INVALID_ARG,
              "mlp_net_create: n_layers is %zu, must be 1 to %d", n_layers, MLP_MAX_LAYERS);
    const size_t stride = layers[0].struct_size;
    /* The spec has had these fields since 1.0, so no program's struct is shorter; a
     * positional initializer of 0.x's layout, {64, MLP_ACT_RELU, 1}, puts the layer's
     * size where struct_size goes. */
    MLP_CHECK(stride >= MLP__END(mlp_layer_spec, bias) && stride <= sizeof *layers &&
                  stride % _Alignof(mlp_layer_spec) == 0,
              MLP_ERR_INVALID_ARG,
              "%s: layer 0's struct_size is %zu, which no mlp_layer_spec has ever had: write "
              "layers as MLP_LAYER(size, activation, bias) or fill them with "
              "mlp_layer_spec_init() (an initializer such as {64, MLP_ACT_RELU, 1} puts the "
              "layer's size where struct_size goes)",
              fn, stride);
    mlp_status s = MLP_OK;

    size_t n_params = 0, in = n_inputs;
    for (size_t l = 0; l < n_layers; l++) {
        mlp_layer_spec spec;
        s = layer_in(&spec, layers, stride, l);
        if (s != MLP_OK) return s;
        size_t out = 0, np = 0;
        s = mlp__layer_check(&spec, l, in, MLP_MAX_PARAMS, &out, &np, MLP_ERR_INVALID_ARG,
                             "mlp_net_create");
        if (s != MLP_OK) return s;
        /* The block's byte size must fit a size_t: bound the running count of doubles. */
        MLP_CHECK(n_params <= MLP_MAX_PARAMS - np, MLP_ERR_NOMEM,
                  "mlp_net_create: parameter count overflows at layer %zu", l);
        n_params += np;
        in = out;
    }
    /* the loader's rule too: a file holds at least one parameter */
    MLP_CHECK(n_params > 0, MLP_ERR_INVALID_ARG,
              "mlp_net_create: the network has no parameters (every layer is a dropout): it "
              "would have nothing to learn; add a dense layer");

    mlp_net *n = calloc(1, sizeof *n);
    mlp_layer *ls = calloc(n_layers, sizeof *ls);
    if (n == NULL || ls == NULL) {
        free(n);
        free(ls);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_create: cannot allocate %zu layers", n_layers);
    }
    size_t off = 0, n_state = 0;
    in = n_inputs;
    for (size_t l = 0; l < n_layers; l++) {
        mlp_layer_spec spec;
        layer_in(&spec, layers, stride, l); /* checked above: cannot fail */
        size_t out = 0, np = 0;
        mlp__layer_check(&spec, l, in, MLP_MAX_PARAMS, &out, &np, MLP_ERR_INVALID_ARG,
                         "mlp_net_create");
        mlp_layer *L = &ls[l];
        L->kind = spec.kind;
        L->type = mlp__layer_kind_of(spec.kind);
        L->in = in;
        L->out = out;
        L->act = spec.activation;
        L->ak = mlp__activation(spec.activation);
        L->has_bias = spec.bias != 0 && spec.kind != MLP_LAYER_DROPOUT; /* dropout: none */
        /* the settings a kind reads; 0 for the others, so that a network and its file agree */
        const int norm = spec.kind == MLP_LAYER_LAYERNORM || spec.kind == MLP_LAYER_BATCHNORM;
        L->epsilon = norm ? spec.epsilon : 0.0;
        L->rate = spec.kind == MLP_LAYER_DROPOUT ? spec.rate : 0.0;
        L->momentum = spec.kind == MLP_LAYER_BATCHNORM ? spec.momentum : 0.0;
        L->w_off = off;
        L->np = np;
        /* a bias, where there is one, is the layer's last out parameters */
        L->b_off = off + np - (L->has_bias ? out : 0);
        off += np;
        /* running state: at most 2 values per node (a width is at most MLP_MAX_DIM, the
         * layers at most MLP_MAX_LAYERS), so the count cannot overflow */
        L->s_off = n_state;
        L->ns = L->type->n_state != NULL ? L->type->n_state(L) : 0;
        n_state += L->ns;
        in = out;
    }
    double *params =
        n_state <= MLP_MAX_PARAMS - n_params ? alloc_doubles(n_params + n_state) : NULL;
    if (params == NULL) {
        free(n);
        free(ls);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_create: cannot allocate %zu parameters",
                         n_params + n_state);
    }
    static atomic_uint_least64_t next_shape_id = 1; /* 0 is no network's */
    n->shape_id = atomic_fetch_add_explicit(&next_shape_id, 1, memory_order_relaxed);
    n->n_inputs = n_inputs;
    n->n_layers = n_layers;
    n->n_params = n_params;
    n->layers = ls;
    n->params = params;
    n->n_state = n_state;
    n->state = params + n_params;
    mlp__state_reset(n, n->state);
    n->small = 1;
    for (size_t l = 0; l < n_layers; l++)
        n->small &= ls[l].type == &mlp__dense_layer && mlp__small_layer(ls[l].in, ls[l].out) &&
                    (ls[l].ak->flags & MLP__ACT_PIECEWISE) != 0;
    n->record.info.struct_size = sizeof n->record.info;
    n->record.opt.struct_size = sizeof n->record.opt;
    snprintf(n->record.info.library_version, sizeof n->record.info.library_version, "%s",
             MLP_VERSION_STRING);
    *net = n;
    return MLP_OK;
}

/* The spec that makes layer L (this library's layout). */
static mlp_layer_spec spec_of(const mlp_layer *L)
{
    return (mlp_layer_spec){.struct_size = sizeof(mlp_layer_spec),
                            .size = L->out,
                            .activation = L->act,
                            .bias = L->has_bias,
                            .kind = L->kind,
                            .epsilon = L->epsilon,
                            .rate = L->rate,
                            .momentum = L->momentum};
}

/* n doubles copied into a new array *dst (NULL for src NULL). */
static mlp_status copy_doubles(double **dst, const double *src, size_t n, const char *fn)
{
    *dst = NULL;
    if (src == NULL) return MLP_OK;
    *dst = malloc(n * sizeof **dst);
    MLP_CHECK(*dst != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu values", fn, n);
    memcpy(*dst, src, n * sizeof **dst);
    return MLP_OK;
}

/* The preprocessing of a network of n inputs and k outputs, copied into an empty dst. */
static mlp_status prep_copy(mlp__prep *dst, const mlp__prep *src, size_t n, size_t k,
                            const char *fn)
{
    dst->in_method = src->in_method;
    dst->out_method = src->out_method;
    mlp_status s = copy_doubles(&dst->in_shift, src->in_shift, n, fn);
    if (s == MLP_OK) s = copy_doubles(&dst->in_scale, src->in_scale, n, fn);
    if (s == MLP_OK) s = copy_doubles(&dst->out_shift, src->out_shift, k, fn);
    if (s == MLP_OK) s = copy_doubles(&dst->out_scale, src->out_scale, k, fn);
    if (s == MLP_OK && src->in_names != NULL) {
        s = mlp__strings_copy(&dst->in_names, (const char *const *)src->in_names,
                              src->n_in_names, fn, "input name");
        if (s == MLP_OK) dst->n_in_names = src->n_in_names;
    }
    if (s == MLP_OK && src->out_names != NULL) {
        s = mlp__strings_copy(&dst->out_names, (const char *const *)src->out_names,
                              src->n_targets, fn, "target name");
        if (s == MLP_OK) dst->n_targets = src->n_targets;
    }
    if (s == MLP_OK && src->classes != NULL) {
        s = mlp__strings_copy(&dst->classes, (const char *const *)src->classes, src->n_classes,
                              fn, "class");
        if (s == MLP_OK) dst->n_classes = src->n_classes;
    }
    if (s == MLP_OK) s = mlp__columns_copy(&dst->columns, &src->columns, fn);
    return s;
}

mlp_status mlp__net_convert(mlp_net **out, const mlp_net *net, int f32, const char *fn)
{
    *out = NULL;
    mlp_layer_spec *specs = calloc(net->n_layers, sizeof *specs);
    MLP_CHECK(specs != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu layers", fn, net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++) specs[l] = spec_of(&net->layers[l]);
    mlp_net *n;
    mlp_status s = mlp__net_new(&n, net->n_inputs, specs, net->n_layers, fn);
    free(specs);
    if (s != MLP_OK) return s;
    const size_t count = net->n_params + net->n_state;
    if (f32) { /* a block of floats in place of the doubles mlp__net_new made */
        float *p =
            aligned_alloc(MLP_ALIGN, (count * sizeof *p + MLP_ALIGN - 1) / MLP_ALIGN * MLP_ALIGN);
        if (p == NULL) {
            mlp_net_free(n);
            return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu parameters", fn, count);
        }
        free(n->params);
        n->params_f32 = p;
        n->state_f32 = p + n->n_params;
        n->f32 = 1;
    }
    for (size_t i = 0; i < count; i++) { /* rounded to nearest, or exact */
        const double v = net->f32 ? (double)net->params_f32[i] : net->params[i];
        if (f32)
            n->params_f32[i] = (float)v;
        else
            n->params[i] = v;
    }
    s = prep_copy(&n->prep, &net->prep, net->n_inputs, mlp_net_n_outputs(net), fn);
    if (s != MLP_OK) {
        mlp_net_free(n);
        return s;
    }
    *out = n;
    return MLP_OK;
}

/* A new float64 network, ready when created: He for the rectifiers' layers, Xavier for
 * the others (the draw cannot fail). */
static mlp_status new_drawn(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                            size_t n_layers, const char *fn)
{
    mlp_status s = mlp__net_new(net, n_inputs, layers, n_layers, fn);
    if (s == MLP_OK) mlp__init_draw((*net)->params, *net, MLP_INIT_AUTO, MLP__CREATE_SEED, NULL);
    return s;
}

mlp_status mlp_net_create(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                          size_t n_layers)
{
    return new_drawn(net, n_inputs, layers, n_layers, __func__);
}

static const char *const precision_names[] = {"float64", "float32", "bfloat16"};

const char *mlp_precision_name(mlp_precision precision)
{
    const unsigned p = (unsigned)precision;
    return p < 3 ? precision_names[p] : NULL;
}

mlp_status mlp_precision_from_name(mlp_precision *precision, const char *name)
{
    MLP_CHECK_PTR(precision);
    MLP_CHECK_PTR(name);
    static const struct {
        const char *name;
        mlp_precision precision;
    } names[] = {{"float64", MLP_PRECISION_FLOAT64}, {"f64", MLP_PRECISION_FLOAT64},
                 {"double", MLP_PRECISION_FLOAT64},  {"float32", MLP_PRECISION_FLOAT32},
                 {"f32", MLP_PRECISION_FLOAT32},     {"float", MLP_PRECISION_FLOAT32},
                 {"bfloat16", MLP_PRECISION_BFLOAT16}, {"bf16", MLP_PRECISION_BFLOAT16}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *precision = names[i].precision;
            return MLP_OK;
        }
    return mlp__fail(MLP_ERR_INVALID_ARG,
                     "mlp_precision_from_name: unknown precision \"%s\": float64 (f64, double), "
                     "float32 (f32, float) or, for predictors, bfloat16 (bf16)",
                     name);
}

/* MLP_OK when a network can compute in `precision`; else the detail naming `fn`. */
static mlp_status net_precision(mlp_precision precision, const char *fn)
{
    MLP_CHECK(precision != MLP_PRECISION_BFLOAT16, MLP_ERR_INVALID_ARG,
              "%s: a network computes in float64 or float32; bfloat16 is for predicting, "
              "through a predictor made from the network (mlp_predictor_create())",
              fn);
    MLP_CHECK(mlp_precision_name(precision) != NULL, MLP_ERR_INVALID_ARG,
              "%s: unknown precision %d", fn, (int)precision);
    return MLP_OK;
}

mlp_precision mlp_net_precision(const mlp_net *net)
{
    return net != NULL && net->f32 ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64;
}

mlp_status mlp_net_convert(mlp_net **out, const mlp_net *net, mlp_precision precision)
{
    MLP_CHECK_PTR(out);
    *out = NULL;
    MLP_CHECK_PTR(net);
    mlp_status s = net_precision(precision, __func__);
    if (s != MLP_OK) return s;
    const int f32 = precision == MLP_PRECISION_FLOAT32;
    if (f32 && !net->f32) /* every value must have a float: nearest, not infinity */
        for (size_t i = 0; i < net->n_params + net->n_state; i++)
            MLP_CHECK(isfinite((float)net->params[i]), MLP_ERR_NUMERIC,
                      "mlp_net_convert: %s %zu is %g, past float32's range (3.4e38)",
                      i < net->n_params ? "parameter" : "running value",
                      i < net->n_params ? i : i - net->n_params, net->params[i]);
    mlp_net *n;
    s = mlp__net_convert(&n, net, f32, __func__);
    if (s != MLP_OK) return s;
    /* the record: provenance, the last optimizer, the loss histories */
    const mlp_record *r = &net->record;
    if (r->info.epochs > 0 && (s = mlp__history_reserve(n, r->info.epochs)) != MLP_OK) {
        mlp_net_free(n);
        return mlp__fail(s, "mlp_net_convert: %s", mlp_error_detail());
    }
    n->record.info = r->info;
    n->record.opt = r->opt;
    if (r->info.epochs > 0) {
        memcpy(n->record.history, r->history, r->info.epochs * sizeof *r->history);
        memcpy(n->record.val_history, r->val_history, r->info.epochs * sizeof *r->val_history);
    }
    *out = n;
    return MLP_OK;
}

mlp_status mlp_net_create_precision(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                                    size_t n_layers, mlp_precision precision)
{
    MLP_CHECK_PTR(net);
    *net = NULL;
    mlp_status s = net_precision(precision, __func__);
    if (s != MLP_OK) return s;
    mlp_net *n;
    s = new_drawn(&n, n_inputs, layers, n_layers, __func__);
    if (s != MLP_OK) return s;
    if (precision == MLP_PRECISION_FLOAT64) {
        *net = n;
        return MLP_OK;
    }
    s = mlp__net_convert(net, n, 1, __func__); /* drawn weights are far inside float's range */
    mlp_net_free(n);
    return s;
}

mlp_status mlp__history_reserve(mlp_net *net, size_t more)
{
    mlp_record *r = &net->record;
    MLP_CHECK(more <= SIZE_MAX / sizeof(double) / 2 - r->info.epochs, MLP_ERR_NOMEM,
              "loss history of %zu + %zu epochs overflows", r->info.epochs, more);
    const size_t need = r->info.epochs + more;
    if (need <= r->history_cap) return MLP_OK;
    double *h = realloc(r->history, need * sizeof *h);
    if (h != NULL) r->history = h;
    double *v = realloc(r->val_history, need * sizeof *v);
    if (v != NULL) r->val_history = v;
    MLP_CHECK(h != NULL && v != NULL, MLP_ERR_NOMEM, "cannot grow the loss history to %zu epochs",
              need);
    r->history_cap = need;
    return MLP_OK;
}

mlp_status mlp_provenance_init(mlp_provenance *info, size_t struct_size)
{
    const mlp_provenance empty = {.struct_size = sizeof empty};
    return mlp__struct_init(info, struct_size, &empty, sizeof empty, __func__, "mlp_provenance");
}

mlp_status mlp_net_provenance(const mlp_net *net, mlp_provenance *info, mlp_optimizer *optimizer)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(info);
    /* Both sizes are checked before either struct is written. */
    mlp_status s = mlp__struct_size_ok(info->struct_size, sizeof *info, __func__, "mlp_provenance");
    if (s == MLP_OK && optimizer != NULL)
        s = mlp__struct_size_ok(optimizer->struct_size, sizeof *optimizer, __func__,
                                "mlp_optimizer");
    if (s != MLP_OK) return s;
    mlp__struct_out(info, &net->record.info, sizeof *info, __func__, "mlp_provenance");
    if (optimizer != NULL)
        mlp__struct_out(optimizer, &net->record.opt, sizeof *optimizer, __func__, "mlp_optimizer");
    return MLP_OK;
}

mlp_status mlp_net_loss_history(const mlp_net *net, const double **history, size_t *n)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(history);
    MLP_CHECK_PTR(n);
    *history = net->record.history;
    *n = net->record.info.epochs;
    return MLP_OK;
}

mlp_status mlp_net_val_loss_history(const mlp_net *net, const double **history, size_t *n)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(history);
    MLP_CHECK_PTR(n);
    *n = net->record.info.epochs;
    *history = *n > 0 ? net->record.val_history : NULL;
    return MLP_OK;
}

void mlp__prep_free(mlp__prep *p)
{
    free(p->in_shift);
    free(p->in_scale);
    free(p->out_shift);
    free(p->out_scale);
    mlp__strings_free(p->in_names, p->n_in_names);
    mlp__strings_free(p->out_names, p->n_targets);
    mlp__strings_free(p->classes, p->n_classes);
    mlp__columns_free(&p->columns);
    memset(p, 0, sizeof *p);
}

void mlp_net_free(mlp_net *net)
{
    if (net == NULL) return;
    mlp__prep_free(&net->prep);
    free(net->record.history);
    free(net->record.val_history);
    free(net->layers);
    free(net->params);
    free(net);
}

size_t mlp_net_n_inputs(const mlp_net *net) { return net ? net->n_inputs : 0; }

size_t mlp_net_n_outputs(const mlp_net *net)
{
    return net ? net->layers[net->n_layers - 1].out : 0;
}

size_t mlp_net_n_layers(const mlp_net *net) { return net ? net->n_layers : 0; }

size_t mlp_net_n_params(const mlp_net *net) { return net ? net->n_params : 0; }

/* A float32 network's block is not doubles: NULL, and the detail says where it is. */
static int float64_block(const mlp_net *net, const char *fn)
{
    if (net == NULL) return 0;
    if (!net->f32) return 1;
    mlp__fail(MLP_ERR_INVALID_ARG,
              "%s: the network is float32: its parameters are floats, "
              "mlp_net_params_f32's (or read and write them as doubles with "
              "mlp_net_get_weights and mlp_net_set_weights)",
              fn);
    return 0;
}

/* The caller may write through the pointer: count it as a change of the weights. */
double *mlp_net_params(mlp_net *net)
{
    if (!float64_block(net, __func__)) return NULL;
    net->param_gen++;
    return net->params;
}

const double *mlp_net_params_const(const mlp_net *net)
{
    return float64_block(net, __func__) ? net->params : NULL;
}

float *mlp_net_params_f32(mlp_net *net)
{
    if (net == NULL || !net->f32) return NULL;
    net->param_gen++;
    return net->params_f32;
}

const float *mlp_net_params_f32_const(const mlp_net *net)
{
    return net != NULL && net->f32 ? net->params_f32 : NULL;
}

mlp_status mlp_net_layer(const mlp_net *net, size_t layer, mlp_layer_spec *spec, size_t *n_in)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(spec);
    MLP_CHECK(layer < net->n_layers, MLP_ERR_INVALID_ARG,
              "mlp_net_layer: layer %zu out of range, the network has %zu", layer, net->n_layers);
    const mlp_layer *l = &net->layers[layer];
    const mlp_layer_spec out = spec_of(l);
    mlp_status s = mlp__struct_out(spec, &out, sizeof out, __func__, "mlp_layer_spec");
    if (s != MLP_OK) return s;
    if (n_in != NULL) *n_in = l->in;
    return MLP_OK;
}

/* The checks shared by the four weight and bias accessors; on success *at is where
 * the layer's slice starts in the parameter block. */
static mlp_status layer_slice(const mlp_net *net, size_t layer, const void *buf, size_t count,
                              int want_bias, const char *fn, size_t *at)
{
    MLP_CHECK(net != NULL, MLP_ERR_INVALID_ARG, "%s: net is NULL", fn);
    MLP_CHECK(buf != NULL, MLP_ERR_INVALID_ARG, "%s: buffer is NULL", fn);
    MLP_CHECK(layer < net->n_layers, MLP_ERR_INVALID_ARG,
              "%s: layer %zu out of range, the network has %zu", fn, layer, net->n_layers);
    const mlp_layer *l = &net->layers[layer];
    if (want_bias) {
        MLP_CHECK(l->has_bias, MLP_ERR_INVALID_ARG, "%s: layer %zu has no bias", fn, layer);
        MLP_CHECK(count == l->out, MLP_ERR_SHAPE,
                  "%s: layer %zu has %zu nodes, got %zu bias values", fn, layer, l->out, count);
        *at = l->b_off;
    } else {
        if (l->type != &mlp__dense_layer) { /* a normalization's gain: PyTorch's weight */
            mlp__param_block b[MLP__MAX_BLOCKS];
            MLP_CHECK(l->type->blocks(l, b) > 0, MLP_ERR_INVALID_ARG,
                      "%s: layer %zu is %s, which has no weights", fn, layer, l->type->name);
            MLP_CHECK(count == b[0].count, MLP_ERR_SHAPE,
                      "%s: layer %zu (%s) has %zu gains, got %zu values", fn, layer,
                      l->type->name, b[0].count, count);
        } else {
            MLP_CHECK(count == l->out * l->in, MLP_ERR_SHAPE,
                      "%s: layer %zu weights are %zu x %zu = %zu values, got %zu", fn, layer,
                      l->out, l->in, l->out * l->in, count);
        }
        *at = l->w_off;
    }
    return MLP_OK;
}

static mlp_status set_slice(mlp_net *net, size_t layer, const double *src, size_t count,
                            int want_bias, const char *fn)
{
    size_t at = 0;
    mlp_status s = layer_slice(net, layer, src, count, want_bias, fn, &at);
    if (s != MLP_OK) return s;
    MLP_CHECK(mlp__all_finite(src, count), MLP_ERR_NUMERIC,
              "%s: layer %zu: NaN or infinity among the values", fn, layer);
    if (!net->f32) {
        memcpy(net->params + at, src, count * sizeof *src);
    } else { /* each rounded to nearest: finite, or refused before anything changes */
        for (size_t i = 0; i < count; i++)
            MLP_CHECK(isfinite((float)src[i]), MLP_ERR_NUMERIC,
                      "%s: layer %zu: value %zu is %g, past the float32 network's range "
                      "(3.4e38); nothing changed",
                      fn, layer, i, src[i]);
        for (size_t i = 0; i < count; i++) net->params_f32[at + i] = (float)src[i];
    }
    net->param_gen++;
    return MLP_OK;
}

static mlp_status get_slice(const mlp_net *net, size_t layer, double *out, size_t count,
                            int want_bias, const char *fn)
{
    size_t at = 0;
    mlp_status s = layer_slice(net, layer, out, count, want_bias, fn, &at);
    if (s != MLP_OK) return s;
    if (!net->f32)
        memcpy(out, net->params + at, count * sizeof *out);
    else
        for (size_t i = 0; i < count; i++) out[i] = (double)net->params_f32[at + i]; /* exact */
    return MLP_OK;
}

mlp_status mlp_net_set_weights(mlp_net *net, size_t layer, const double *weights, size_t count)
{
    return set_slice(net, layer, weights, count, 0, __func__);
}

mlp_status mlp_net_get_weights(const mlp_net *net, size_t layer, double *weights, size_t count)
{
    return get_slice(net, layer, weights, count, 0, __func__);
}

mlp_status mlp_net_set_bias(mlp_net *net, size_t layer, const double *bias, size_t count)
{
    return set_slice(net, layer, bias, count, 1, __func__);
}

mlp_status mlp_net_get_bias(const mlp_net *net, size_t layer, double *bias, size_t count)
{
    return get_slice(net, layer, bias, count, 1, __func__);
}

/* A loss against the network it trains: the output layer it needs (the loss table,
 * lib/kernels/loss.c, says which). */
mlp_status mlp__loss_fits(mlp_loss loss, const mlp_net *net, const char *fn)
{
    const mlp__loss_kind *k = mlp__loss(loss);
    MLP_CHECK(k != NULL, MLP_ERR_INVALID_ARG, "%s: unknown loss %d", fn, (int)loss);
    const size_t last = net->n_layers - 1;
    const mlp_layer *out = &net->layers[last];
    MLP_CHECK(k->output_act < 0 || (int)out->act == k->output_act ||
                  out->type == &mlp__dense_layer,
              MLP_ERR_INVALID_ARG,
              "%s: %s needs the last layer to apply a %s, and the last layer (layer %zu) is %s "
              "with activation %s: put it before the output layer",
              fn, k->name, mlp_activation_name((mlp_activation)k->output_act), last,
              out->type->name, mlp_activation_name(out->act));
    MLP_CHECK(k->output_act < 0 || (int)out->act == k->output_act, MLP_ERR_INVALID_ARG,
              "%s: %s needs a %s output layer, this one is %s", fn, k->name,
              mlp_activation_name((mlp_activation)k->output_act), mlp_activation_name(out->act));
    MLP_CHECK(out->act != MLP_ACT_SOFTMAX || out->out >= 2, MLP_ERR_INVALID_ARG,
              "%s: a softmax over one output node is 1 whatever its input: %s could not train "
              "it (use a sigmoid)",
              fn, k->name);
    MLP_CHECK(out->out >= k->min_outputs, MLP_ERR_INVALID_ARG,
              "%s: %s needs %zu output nodes or more, this network has %zu (a %s over one "
              "node is constant: use binary_crossentropy with a sigmoid output)",
              fn, k->name, k->min_outputs, out->out, mlp_activation_name(out->act));
    return MLP_OK;
}

int mlp__net_finite(const mlp_net *net)
{
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    return (net->f32 ? mlp__all_finite_f32(net->params_f32, net->n_params + net->n_state)
                     : mlp__all_finite(net->params, net->n_params + net->n_state)) &&
           (p->in_shift == NULL ||
            (mlp__all_finite(p->in_shift, in) && mlp__all_finite(p->in_scale, in))) &&
           (p->out_shift == NULL ||
            (mlp__all_finite(p->out_shift, k) && mlp__all_finite(p->out_scale, k)));
}
