/* Workspaces (scratch sized once for a maximum batch) and batched prediction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* Each buffer starts on a 64-byte boundary: 8 doubles, 16 floats. */
#define ALIGN_BYTES 64

/* Values of `size` bytes a buffer of `cells` takes in the block, rounded up to the
 * alignment. */
static size_t padded(size_t cells, size_t size)
{
    const size_t align = ALIGN_BYTES / size;
    return (cells + align - 1) / align * align;
}

/* What a training pass keeps of layer l for the backward pass, per row (its kind says). */
static size_t kept(const mlp_net *net, size_t l)
{
    const mlp_layer *L = &net->layers[l];
    return L->type->kept(L, l + 1 == net->n_layers);
}

/* And besides, whatever the rows. */
static size_t kept_fixed(const mlp_net *net, size_t l)
{
    const mlp_layer *L = &net->layers[l];
    return L->type->kept_fixed != NULL ? L->type->kept_fixed(L) : 0;
}

mlp_status mlp_workspace_create(mlp_workspace **ws, const mlp_net *net, size_t max_batch)
{
    MLP_CHECK_PTR(ws);
    *ws = NULL;
    MLP_CHECK_PTR(net);
    MLP_CHECK(max_batch > 0 && max_batch <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_workspace_create: max_batch is %zu, must be 1 to %zu", max_batch, MLP_MAX_DIM);

    /* Buffers: one per layer's output, one per layer's pre-activation where a
     * training pass keeps it (every hidden layer whose activation's derivative
     * needs z, and the output layer), two deltas of the widest layer. Every count
     * is checked before it is added. */
    const size_t size = mlp__value_size(net);
    const size_t limit = SIZE_MAX / sizeof(double) / 4;
    const size_t n_layers = net->n_layers;
    size_t max_width = 0, total = 0, cells = 0;
    for (size_t l = 0; l < n_layers; l++)
        if (net->layers[l].out > max_width) max_width = net->layers[l].out;
    for (size_t b = 0; b < 2 * n_layers + 4; b++) {
        size_t width;
        if (b < n_layers)
            width = net->layers[b].out;
        else if (b < 2 * n_layers)
            width = kept(net, b - n_layers);
        else if (b < 2 * n_layers + 2)
            width = max_width;
        else if (b == 2 * n_layers + 2)
            width = net->n_inputs; /* the scaled inputs (mlp_net_predict, a model's rows) */
        else
            width = net->layers[n_layers - 1].out; /* the targets as the loss reads them */
        const size_t fixed = b >= n_layers && b < 2 * n_layers ? kept_fixed(net, b - n_layers) : 0;
        MLP_CHECK(mlp__mul_ok(max_batch, width, limit, &cells) && cells <= limit - fixed &&
                      total <= limit - padded(cells + fixed, size),
                  MLP_ERR_NOMEM, "mlp_workspace_create: %zu rows of width %zu overflow memory",
                  max_batch, width);
        cells += fixed;
        total += padded(cells, size);
    }

    mlp_workspace *w = calloc(1, sizeof *w);
    size_t *sizes = calloc(n_layers, sizeof *sizes);
    mlp_layer_kind *kinds = calloc(n_layers, sizeof *kinds);
    void *act = calloc(2 * n_layers, sizeof(double *)); /* double * or float * (as large) */
    char *block = aligned_alloc(ALIGN_BYTES, total * size);
    if (w == NULL || sizes == NULL || kinds == NULL || act == NULL || block == NULL) {
        free(w);
        free(sizes);
        free(kinds);
        free(act);
        free(block);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_workspace_create: cannot allocate %zu values", total);
    }
    /* Where each buffer starts in the block (in values): the layers' outputs, their
     * kept values (none: no buffer), the two deltas, the scaled inputs, the targets. */
    size_t off = 0;
    for (size_t l = 0; l < n_layers; l++) {
        sizes[l] = net->layers[l].out;
        kinds[l] = net->layers[l].kind;
    }
    const size_t n_at = 2 * n_layers + 4;
    size_t *at = calloc(n_at, sizeof *at);
    if (at == NULL) {
        free(w), free(sizes), free(kinds), free(act), free(block);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_workspace_create: out of memory");
    }
    for (size_t l = 0; l < n_layers; l++) {
        at[l] = off;
        off += padded(max_batch * sizes[l], size);
    }
    for (size_t l = 0; l < n_layers; l++) {
        at[n_layers + l] = SIZE_MAX;
        if (kept(net, l) == 0) continue;
        at[n_layers + l] = off;
        off += padded(max_batch * kept(net, l) + kept_fixed(net, l), size);
    }
    for (size_t b = 2 * n_layers; b < n_at; b++) {
        at[b] = off;
        off += padded(max_batch * (b < 2 * n_layers + 2    ? max_width
                                   : b == 2 * n_layers + 2 ? net->n_inputs
                                                           : 0),
                      size);
    }
    /* the pointers, of the network's type T (the members ending in SFX), into act's
     * 2 n_layers places */
#define CARVE(T, SFX)                                                                        \
    do {                                                                                     \
        T **p = act, *base = (T *)(void *)block;                                             \
        for (size_t b = 0; b < 2 * n_layers; b++)                                            \
            p[b] = at[b] == SIZE_MAX ? NULL : base + at[b];                                  \
        w->act##SFX = p;                                                                     \
        w->z##SFX = p + n_layers;                                                            \
        w->delta##SFX[0] = base + at[2 * n_layers];                                          \
        w->delta##SFX[1] = base + at[2 * n_layers + 1];                                      \
        w->scaled##SFX = base + at[2 * n_layers + 2];                                        \
        w->targets##SFX = base + at[2 * n_layers + 3];                                       \
    } while (0)
    w->f32 = net->f32;
    if (net->f32) CARVE(float, _f32);
    else CARVE(double, );
#undef CARVE
    free(at);
    w->max_batch = max_batch;
    /* calloc: drop_seed = drop_step = 0, mlp_net_gradient's masks (step 0 of seed 0) */
    w->n_inputs = net->n_inputs;
    w->n_layers = n_layers;
    w->sizes = sizes;
    w->kinds = kinds;
    w->block = block;
    *ws = w;
    return MLP_OK;
}

void mlp_workspace_free(mlp_workspace *ws)
{
    if (ws == NULL) return;
    if (ws->low_free != NULL) ws->low_free(ws->low);
    free(ws->sizes);
    free(ws->kinds);
    free(ws->act);
    free(ws->block);
    free(ws);
}

size_t mlp_workspace_max_batch(const mlp_workspace *ws) { return ws ? ws->max_batch : 0; }

mlp_status mlp__workspace_fits(const mlp_workspace *ws, const mlp_net *net, int training,
                               const char *fn)
{
    MLP_CHECK(ws->owner == NULL || ws->owner == net, MLP_ERR_SHAPE,
              "%s: the workspace was made for a predictor (mlp_predictor_workspace_create()): "
              "make one for the network with mlp_workspace_create()",
              fn);
    MLP_CHECK(ws->n_inputs == net->n_inputs && ws->n_layers == net->n_layers, MLP_ERR_SHAPE,
              "%s: workspace is for %zu inputs and %zu layers, the network has %zu and %zu", fn,
              ws->n_inputs, ws->n_layers, net->n_inputs, net->n_layers);
    MLP_CHECK(ws->f32 == net->f32, MLP_ERR_SHAPE,
              "%s: the workspace holds %s values, the network computes in %s: create the "
              "workspace from this network",
              fn, ws->f32 ? "float32" : "float64", net->f32 ? "float32" : "float64");
    for (size_t l = 0; l < net->n_layers; l++) {
        MLP_CHECK(ws->sizes[l] == net->layers[l].out, MLP_ERR_SHAPE,
                  "%s: workspace layer %zu has %zu nodes, the network's has %zu", fn, l,
                  ws->sizes[l], net->layers[l].out);
        /* what a layer keeps for its backward pass, and so its buffers, follow its kind */
        MLP_CHECK(ws->kinds[l] == net->layers[l].kind, MLP_ERR_SHAPE,
                  "%s: workspace layer %zu is for %s, the network's layer %zu is %s: create "
                  "the workspace from this network",
                  fn, l, mlp__layer_kind_of(ws->kinds[l])->name, l,
                  net->layers[l].type->name);
    }
    if (!training) return MLP_OK;
    for (size_t l = 0; l < net->n_layers; l++)
        MLP_CHECK(kept(net, l) == 0 || ws->z[l] != NULL, MLP_ERR_SHAPE,
                  "%s: the workspace keeps no pre-activation for layer %zu, which %s needs to "
                  "train: create the workspace from this network",
                  fn, l, mlp_activation_name(net->layers[l].act));
    return MLP_OK;
}

int mlp__keep_for(const mlp_net *net, mlp_loss loss)
{
    const mlp_layer *out = &net->layers[net->n_layers - 1];
    const int logits =
        mlp__loss(loss)->uses_logits || (out->ak->flags & MLP__ACT_NEEDS_Z) != 0;
    return MLP__KEEP_Z | (logits ? MLP__KEEP_LOGITS : 0);
}

/* Whether n values are all finite: x − x is 0 for a finite x and NaN for the others.
 * A few values so, in line (a one-row prediction of a small network is a few hundred
 * instructions), more through the scan. */
static inline int finite_values(const double *y, size_t n)
{
    if (n > 16) return mlp__all_finite(y, n);
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += y[i] - y[i];
    return acc == 0.0;
}

/* MLP_OK when all n rows' outputs y (doubles, or floats with y_f32) are finite; else
 * MLP_ERR_NUMERIC naming the first that is not and why: a non-finite input of its row
 * in x (doubles, or floats with x_f32), or values past a range. */
mlp_status mlp__outputs_finite_any(const mlp_net *net, const void *y, int y_f32, const void *x,
                                   int x_f32, size_t n, const char *fn)
{
    const size_t k = net->layers[net->n_layers - 1].out, in = net->n_inputs;
    if (y_f32 ? mlp__all_finite_f32(y, n * k) : finite_values(y, n * k)) return MLP_OK;
    size_t i = 0;
    while (isfinite(mlp__value_at(y, y_f32, i))) i++;
    const size_t r = i / k;
    const double v = mlp__value_at(y, y_f32, i);
    for (size_t j = 0; j < in; j++)
        MLP_CHECK(isfinite(mlp__value_at(x, x_f32, r * in + j)), MLP_ERR_NUMERIC,
                  "%s: row %zu's output %zu is %g: its input %zu is %g (a network computes "
                  "with finite numbers only); the other rows' predictions are in y",
                  fn, r, i % k, v, j, mlp__value_at(x, x_f32, r * in + j));
    return mlp__fail(MLP_ERR_NUMERIC,
                     "%s: row %zu's output %zu is %g: its values outgrow the %s range%s "
                     "(inputs or weights too large for each other: scale the inputs, "
                     "mlp_net_fit_scaling()); the other rows' predictions are in y",
                     fn, r, i % k, v, net->f32 || y_f32 ? "float32" : "double",
                     net->f32 ? " inside the network"
                     : y_f32  ? " of y, or the double range "
                                "inside the network,"
                              : " inside the network");
}

mlp_status mlp__outputs_finite(const mlp_net *net, const double *y, const double *x, size_t n,
                               const char *fn)
{
    return mlp__outputs_finite_any(net, y, 0, x, 0, n, fn);
}

void mlp__put_outputs(const mlp_net *net, void *y, int y_f32, const void *out, size_t n)
{
    const size_t k = net->layers[net->n_layers - 1].out, cells = n * k;
    const double *shift = net->prep.out_shift, *scale = net->prep.out_scale;
    if (shift == NULL && y_f32 == net->f32) {
        memcpy(y, out, cells * (y_f32 ? sizeof(float) : sizeof(double)));
        return;
    }
    for (size_t i = 0; i < cells; i++) {
        double v = mlp__value_at(out, net->f32, i);
        if (shift != NULL) v = v * scale[i % k] + shift[i % k];
        if (y_f32)
            ((float *)y)[i] = (float)v;
        else
            ((double *)y)[i] = v;
    }
}

/* A prediction by the general road: n rows of doubles, or floats with x_f32, into the
 * network's type (scaled in double and rounded once, where the model scales them) in
 * the workspace — a float32 network reads float rows it does not scale where they are
 * —, the passes, and the outputs into y (put_outputs). The workspace's fit is
 * remembered in fits_any_id, never in fits_id: predict_net's quick test, which trusts
 * fits_id, only ever passes for a float64 network. The other arguments checked by the
 * caller; the outputs not checked for finiteness. */
__attribute__((noinline)) /* out of predict_net's frame: a tiny prediction is 290 instructions */
static mlp_status
predict_any(const mlp_net *net, mlp_workspace *ws, void *y, int y_f32, const void *x, int x_f32,
            size_t n, const char *fn)
{
    if (ws->fits_any_id != net->shape_id) { /* a network's shape never changes: once */
        const mlp_status s = mlp__workspace_fits(ws, net, 0, fn);
        if (s != MLP_OK) return s;
        ws->fits_any_id = net->shape_id;
    }
    const mlp__rows r = {.x = x, .n = n, .model = 1, .f32 = x_f32};
    const size_t last = net->n_layers - 1;
    const int convert = x_f32 != net->f32 || mlp__rows_map_x(&r, net);
    if (net->f32) {
        if (convert) mlp__rows_x_f32(ws->scaled_f32, &r, net, NULL, n);
        const float *in = convert ? ws->scaled_f32 : x;
        const uintptr_t y0 = (uintptr_t)y, y1 = (uintptr_t)((float *)y + n * net->layers[last].out),
                        x0 = (uintptr_t)in, x1 = (uintptr_t)(in + n * net->n_inputs);
        if (net->small && y_f32 && net->prep.out_shift == NULL && (y1 <= x0 || x1 <= y0)) {
            /* floats out as they are: the small network's road writes y as the rows go,
             * on the library's threads (where y cannot overwrite rows not yet read) */
            ws->last_rows = n;
            mlp__small_net_predict_f32(net, ws, in, n, y);
            return MLP_OK;
        }
        mlp__forward_f32(net, ws, in, n, 0);
        mlp__put_outputs(net, y, y_f32, ws->act_f32[last], n);
    } else {
        if (convert) mlp__rows_x(ws->scaled, &r, net, NULL, n);
        mlp__forward(net, ws, convert ? ws->scaled : x, n, 0);
        mlp__put_outputs(net, y, y_f32, ws->act[last], n);
    }
    return MLP_OK;
}

/* The network alone on rows it reads as they are; with `check`, its outputs finite or
 * MLP_ERR_NUMERIC (mlp__outputs_finite), checked as they are copied out. */
static inline mlp_status predict_net(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                              size_t n, const char *fn, int check)
{
    MLP_CHECK(net != NULL && ws != NULL && y != NULL && x != NULL, MLP_ERR_INVALID_ARG,
              "%s: %s is NULL", fn,
              net == NULL ? "net" : ws == NULL ? "ws" : y == NULL ? "y" : "x");
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "%s: n is 0", fn);
    MLP_CHECK(n <= ws->max_batch, MLP_ERR_SHAPE,
              "%s: batch of %zu rows exceeds the workspace's maximum of %zu", fn, n,
              ws->max_batch);
    if (ws->fits_id != net->shape_id) { /* a network's shape never changes: check once */
        if (net->f32) {                 /* the general road, which never sets fits_id */
            const mlp_status s = predict_any(net, ws, y, 0, x, 0, n, fn);
            return s != MLP_OK || !check ? s : mlp__outputs_finite(net, y, x, n, fn);
        }
        mlp_status s = mlp__workspace_fits(ws, net, 0, fn);
        if (s != MLP_OK) return s;
        ws->fits_id = net->shape_id;
    }
    const size_t n_out = net->layers[net->n_layers - 1].out;
    if (net->small) { /* mlp__forward's first road, without the call */
        ws->last_rows = n;
        /* y written as the rows go (from a block of rows on: a row or a few are
         * copied after, cheaper than this test), where that cannot overwrite rows
         * of x not yet read */
        if (n >= MLP__SMALL_BLOCK) {
            const uintptr_t y0 = (uintptr_t)y, y1 = (uintptr_t)(y + n * n_out);
            const uintptr_t x0 = (uintptr_t)x, x1 = (uintptr_t)(x + n * net->n_inputs);
            if (y1 <= x0 || x1 <= y0) {
                mlp__small_net_predict(net, ws, x, n, y);
                return !check || finite_values(y, n * n_out) ? MLP_OK
                                                             : mlp__outputs_finite(net, y, x, n, fn);
            }
        }
        mlp__small_net_forward(net, ws, x, n);
    } else {
        mlp__forward(net, ws, x, n, 0);
    }
    const size_t cells = n * n_out;
    const double *last = ws->act[net->n_layers - 1];
    if (cells <= 8) { /* a call into libc costs more than copying a few values */
        double acc = 0.0; /* finite_values, as they go */
        for (size_t i = 0; i < cells; i++) {
            y[i] = last[i];
            acc += last[i] - last[i];
        }
        return !check || acc == 0.0 ? MLP_OK : mlp__outputs_finite(net, y, x, n, fn);
    }
    mlp__copy(y, last, cells);
    return !check || finite_values(y, cells) ? MLP_OK : mlp__outputs_finite(net, y, x, n, fn);
}

mlp_status mlp__predict_model(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                              size_t n, const char *fn)
{
    /* A network without preprocessing reads the rows as they are: not a copy more; a
     * float32 network's always go through its workspace (predict_net's float32 road). */
    if (net == NULL || net->f32 || (net->prep.in_shift == NULL && net->prep.out_shift == NULL))
        return predict_net(net, ws, y, x, n, fn, 0);
    const double *xin = x;
    if (net->prep.in_shift != NULL && ws != NULL && x != NULL && n > 0 && n <= ws->max_batch &&
        ws->n_inputs == net->n_inputs &&
        (ws->owner == NULL || ws->owner == net)) { /* else predict_net refuses, naming why
                                                      (a predictor's workspace may have no
                                                      room for scaled rows) */
        mlp__prep_inputs(net, ws->scaled, x, n);
        xin = ws->scaled;
    }
    mlp_status s = predict_net(net, ws, y, xin, n, fn, 0);
    if (s == MLP_OK) mlp__prep_outputs(net, y, n);
    return s;
}

mlp_status mlp__predict_rows(const mlp_net *net, mlp_workspace *ws, double *y, const mlp__rows *r,
                             size_t first, size_t n, const char *fn)
{
    const size_t at = first * net->n_inputs;
    if (!r->f32) return mlp__predict_model(net, ws, y, (const double *)r->x + at, n, fn);
    return predict_any(net, ws, y, 0, (const float *)r->x + at, 1, n, fn);
}

mlp_status mlp_net_predict_f32(const mlp_net *net, mlp_workspace *ws, float *y, const float *x,
                               size_t n)
{
    MLP_CHECK(net != NULL && ws != NULL && y != NULL && x != NULL, MLP_ERR_INVALID_ARG,
              "mlp_net_predict_f32: %s is NULL",
              net == NULL  ? "net"
              : ws == NULL ? "ws"
              : y == NULL  ? "y"
                           : "x");
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_net_predict_f32: n is 0");
    MLP_CHECK(n <= ws->max_batch, MLP_ERR_SHAPE,
              "mlp_net_predict_f32: batch of %zu rows exceeds the workspace's maximum of %zu", n,
              ws->max_batch);
    const mlp_status s = predict_any(net, ws, y, 1, x, 1, n, __func__);
    return s != MLP_OK ? s : mlp__outputs_finite_any(net, y, 1, x, 1, n, __func__);
}

mlp_status mlp_net_predict(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                           size_t n)
{
    if (net != NULL && net->prep.in_shift == NULL && net->prep.out_shift == NULL)
        return predict_net(net, ws, y, x, n, __func__, 1); /* nothing around the network */
    const mlp_status s = mlp__predict_model(net, ws, y, x, n, __func__);
    return s != MLP_OK ? s : mlp__outputs_finite(net, y, x, n, __func__);
}

#ifdef MLP_SYMBOL_VERSIONS
/* libmlp 1.4's mlp_net_predict, for programs linked against it (unversioned references
 * bind to the oldest version, MLP_1.0): the network alone, the caller having scaled the
 * rows. lib/libmlp.map names the versions. */
__asm__(".symver mlp__net_predict_1_0,mlp_net_predict@MLP_1.0");
MLP_API mlp_status mlp__net_predict_1_0(const mlp_net *net, mlp_workspace *ws, double *y,
                                        const double *x, size_t n);
mlp_status mlp__net_predict_1_0(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                                size_t n)
{
    return predict_net(net, ws, y, x, n, "mlp_net_predict", 0); /* as 1.4: unchecked */
}
#endif

mlp_status mlp_workspace_layer_output(const mlp_workspace *ws, size_t layer,
                                      const double **values, size_t *rows, size_t *cols)
{
    MLP_CHECK_PTR(ws);
    MLP_CHECK_PTR(values);
    MLP_CHECK(ws->low == NULL, MLP_ERR_INVALID_ARG,
              "mlp_workspace_layer_output: the workspace is a bfloat16 predictor's, which "
              "keeps no layer's values");
    MLP_CHECK(layer < ws->n_layers, MLP_ERR_INVALID_ARG,
              "mlp_workspace_layer_output: layer %zu out of range, the workspace has %zu", layer,
              ws->n_layers);
    MLP_CHECK(ws->last_rows > 0, MLP_ERR_INVALID_ARG,
              "mlp_workspace_layer_output: no prediction has been made with this workspace");
    MLP_CHECK(!ws->f32, MLP_ERR_INVALID_ARG,
              "mlp_workspace_layer_output: the workspace holds a float32 network's values, "
              "and this call gives float64 ones");
    *values = ws->act[layer];
    if (rows != NULL) *rows = ws->last_rows;
    if (cols != NULL) *cols = ws->sizes[layer];
    return MLP_OK;
}
