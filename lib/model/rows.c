/* A model's rows: datasets with their shape, checked against a network, and read as the
 * network reads them (the model's stored scaling applied, class indices made one-hot, in
 * the network's type: a typed source, lib/core/typed.h); predictions brought back to the
 * targets' units. */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "model.h"
#include "../core/typed.h"

/* n of the caller's values, doubles or (f32) floats, as the network's: a copy where the
 * types match, else each widened (exact) or rounded to float. */
static inline void take(real *dst, const void *src, int f32, size_t n)
{
    if (f32 == MLP__F32) {
        memcpy(dst, src, n * sizeof *dst);
    } else if (f32) {
        const float *s = src;
        for (size_t i = 0; i < n; i++) dst[i] = (real)s[i];
    } else {
        const double *s = src;
        for (size_t i = 0; i < n; i++) dst[i] = (real)s[i];
    }
}

/* A gather's rows [i0, i1): see gather. */
typedef struct gather_job {
    real *dst;
    const void *src;
    int f32;
    const double *shift, *scale;
    const size_t *rows;
    size_t cols;
} gather_job;

static void gather_part(void *ctx, size_t i0, size_t i1, size_t part)
{
    (void)part;
    const gather_job *j = ctx;
    const size_t cols = j->cols, size = j->f32 ? sizeof(float) : sizeof(double);
    for (size_t i = i0; i < i1; i++) {
        const size_t first = (j->rows != NULL ? j->rows[i] : i) * cols;
        real *out = j->dst + i * cols;
        if (j->shift == NULL)
            take(out, (const char *)j->src + first * size, j->f32, cols);
        else
            for (size_t c = 0; c < cols; c++)
                out[c] =
                    (real)((mlp__value_at(j->src, j->f32, first + c) - j->shift[c]) / j->scale[c]);
    }
}

/* m rows of `cols` of the caller's values (doubles, or floats with f32; row i is src's row
 * rows[i], or i without rows) into dst in the network's type: (x - shift) / scale in
 * double and rounded once, or, without shift, as they are. Each value on its own: many
 * rows are cut into parts for the library's threads (the same values at any thread
 * count). */
static void gather(real *dst, const void *src, int f32, const size_t *rows, size_t m, size_t cols,
                   const double *shift, const double *scale)
{
    gather_job j = {dst, src, f32, shift, scale, rows, cols};
    const size_t min_rows = (MLP__PAR_MIN + cols - 1) / cols;
    if (m < 2 * min_rows) gather_part(&j, 0, m, 0);
    else mlp__parallel_for(m, 1, min_rows, gather_part, &j);
}

void MLP__T(mlp__rows_x)(real *dst, const mlp__rows *r, const mlp_net *net, const size_t *rows,
                         size_t m)
{
    gather(dst, r->x, r->f32, rows, m, net->n_inputs,
           mlp__rows_map_x(r, net) ? net->prep.in_shift : NULL, net->prep.in_scale);
}

void MLP__T(mlp__rows_y)(real *dst, const mlp__rows *r, const mlp_net *net, const size_t *rows,
                         size_t m)
{
    const size_t k = mlp_net_n_outputs(net);
    if (r->classes > 0 && k > 1) {
        memset(dst, 0, m * k * sizeof *dst);
        for (size_t i = 0; i < m; i++)
            dst[i * k + (size_t)mlp__value_at(r->y, r->f32, rows != NULL ? rows[i] : i)] = 1;
        return;
    }
    gather(dst, r->y, r->f32, rows, m, k, r->model && r->classes == 0 ? net->prep.out_shift : NULL,
           net->prep.out_scale);
}

void MLP__T(mlp__rows_batch)(const real **x, const real **t, const mlp__rows *r,
                             const mlp_net *net, mlp_workspace *ws)
{
    /* rows of the network's type that need no scaling are read where they are; the
     * others are converted (and scaled) into the workspace */
    const int same = r->f32 == MLP__F32;
    *x = r->x;
    *t = r->y;
    if (!same || mlp__rows_map_x(r, net)) {
        MLP__T(mlp__rows_x)(ws->MLP__T(scaled), r, net, NULL, r->n);
        *x = ws->MLP__T(scaled);
    }
    if (r->y != NULL && (!same || mlp__rows_map_y(r, net))) {
        MLP__T(mlp__rows_y)(ws->MLP__T(targets), r, net, NULL, r->n);
        *t = ws->MLP__T(targets);
    }
}

/* What is the same for both types: once, in the float64 build. */
#if !MLP__F32

mlp_status mlp_dataset_init(mlp_dataset *data, size_t struct_size)
{
    const mlp_dataset d = {.struct_size = sizeof d};
    return mlp__struct_init(data, struct_size, &d, sizeof d, __func__, "mlp_dataset");
}

/* A struct_size that reaches n_classes: the dataset says its shape (1.5 on). */
static int shaped(size_t struct_size)
{
    return struct_size >= offsetof(mlp_dataset, n_classes) + sizeof(size_t);
}

/* The rows a message speaks of: "the training rows", "the rows" (for "the %s%srows"),
 * without formatting them before a message needs them: a step passes here. */
#define ROWS(what) (what), (what)[0] != '\0' ? " " : ""

/* The classes a network's output stands for: one per output node, two for a single
 * sigmoid node, none for any other single node. */
size_t mlp__output_classes(const mlp_net *net)
{
    const mlp_layer *out = &net->layers[net->n_layers - 1];
    if (out->out > 1) return out->out;
    return out->act == MLP_ACT_SIGMOID ? 2 : 0;
}

/* MLP_OK when a dataset that has float rows has no double ones. */
__attribute__((noinline, cold)) static mlp_status float_rows(const mlp_dataset *in, const char *fn,
                                                             const char *what)
{
    MLP_CHECK(in->x == NULL || in->x_f32 == NULL, MLP_ERR_INVALID_ARG,
              "%s: the %s%srows: the dataset has both x and x_f32: give the inputs once, as "
              "doubles or as floats",
              fn, ROWS(what));
    MLP_CHECK(in->x == NULL && in->y == NULL, MLP_ERR_INVALID_ARG,
              "%s: the %s%srows: the dataset's inputs are %s and its targets %s: give both as "
              "doubles (x, y) or both as floats (x_f32, y_f32)",
              fn, ROWS(what), in->x != NULL ? "doubles" : "floats",
              in->x != NULL ? "floats" : "doubles");
    return MLP_OK;
}

mlp_status mlp__rows_in(mlp__rows *r, const mlp_dataset *d, const mlp_net *net, int need_y,
                        const char *fn, const char *what)
{
    MLP_CHECK(d != NULL, MLP_ERR_INVALID_ARG, "%s: the %s%srows: the dataset is NULL", fn,
              ROWS(what));
    /* a struct of this header's size is read where it is (a step passes here); a
     * shorter one through the defaults */
    mlp_dataset copy;
    const mlp_dataset *in = d;
    if (d->struct_size != sizeof *d) {
        copy = (mlp_dataset){.struct_size = sizeof copy};
        mlp_status s = mlp__struct_in(&copy, sizeof copy, d, fn, "mlp_dataset");
        if (s != MLP_OK) return s;
        in = &copy;
    }
    /* doubles (x, y) or floats (x_f32, y_f32): one type, for inputs and targets */
    int f32 = 0;
    const void *x = in->x, *y = in->y;
    if (__builtin_expect(in->x_f32 != NULL || in->y_f32 != NULL, 0)) { /* floats, or a mix */
        const mlp_status s = float_rows(in, fn, what);
        if (s != MLP_OK) return s;
        f32 = 1;
        x = in->x_f32;
        y = in->y_f32;
    }
    MLP_CHECK(x != NULL, MLP_ERR_INVALID_ARG, "%s: the %s%srows: the dataset's %s is NULL", fn,
              ROWS(what), f32 ? "x_f32" : "x");
    MLP_CHECK(y != NULL || !need_y, MLP_ERR_INVALID_ARG,
              "%s: the %s%srows: the dataset's %s is NULL", fn, ROWS(what), f32 ? "y_f32" : "y");
    MLP_CHECK(in->n > 0, MLP_ERR_INVALID_ARG, "%s: the %s%srows: the dataset has n = 0 rows", fn,
              ROWS(what));
    const size_t k = net->layers[net->n_layers - 1].out;
    *r = (mlp__rows){.x = x, .y = y, .n = in->n, .tcols = k, .classes = 0, .model = 0, .f32 = f32};
    if (in->w != NULL && need_y) { /* row weights: what a loss may multiply by */
        for (size_t i = 0; i < in->n; i++)
            MLP_CHECK(isfinite(in->w[i]) && in->w[i] >= 0, MLP_ERR_INVALID_ARG,
                      "%s: the %s%srows: row %zu's weight is %g: a weight is a finite number, "
                      "0 or more", fn, ROWS(what), i, in->w[i]);
        r->w = in->w;
    }
    if (!shaped(d->struct_size)) return MLP_OK; /* a 1.4 program's: as 1.4 took it */
    r->model = 1;
    MLP_CHECK(in->n_inputs > 0, MLP_ERR_SHAPE,
              "%s: the %s%srows do not say how many input columns they have: set the "
              "dataset's n_inputs (MLP_DATASET(x, n_inputs, y, n_targets, n))",
              fn, ROWS(what));
    MLP_CHECK(in->n_inputs == net->n_inputs, MLP_ERR_SHAPE,
              "%s: the %s%srows have %zu input columns, the network takes %zu", fn, ROWS(what),
              in->n_inputs, net->n_inputs);
    if (y == NULL) return MLP_OK;
    if (in->n_classes > 0) {
        const size_t want = mlp__output_classes(net);
        MLP_CHECK(in->n_targets == 1, MLP_ERR_SHAPE,
                  "%s: the %s%srows hold class indices in %zu target columns: class indices "
                  "are one column (n_targets 1)",
                  fn, ROWS(what), in->n_targets);
        MLP_CHECK(want > 0, MLP_ERR_SHAPE,
                  "%s: the %s%srows hold %zu classes, and the network's output (one %s node) "
                  "stands for none: classes need a softmax output with a node per class, or "
                  "one sigmoid node for two",
                  fn, ROWS(what), in->n_classes,
                  mlp_activation_name(net->layers[net->n_layers - 1].act));
        MLP_CHECK(in->n_classes == want, MLP_ERR_SHAPE,
                  "%s: the %s%srows hold %zu classes, the network's output stands for %zu", fn,
                  ROWS(what), in->n_classes, want);
        MLP_CHECK(net->prep.out_shift == NULL, MLP_ERR_INVALID_ARG,
                  "%s: the %s%srows hold class indices, and the model scales its targets as a "
                  "regression's: fit the scaling with targets MLP_SCALE_NONE",
                  fn, ROWS(what));
        r->tcols = 1;
        r->classes = in->n_classes;
        return MLP_OK;
    }
    MLP_CHECK(in->n_targets > 0, MLP_ERR_SHAPE,
              "%s: the %s%srows do not say how many target columns they have: set the "
              "dataset's n_targets (MLP_DATASET(x, n_inputs, y, n_targets, n))",
              fn, ROWS(what));
    MLP_CHECK(in->n_targets == k || in->n_targets != 1, MLP_ERR_SHAPE,
              "%s: the %s%srows have 1 target column, the network has %zu outputs: for class "
              "indices (as a table of classes holds them) use MLP_DATASET_CLASSES(x, n_inputs, "
              "labels, n_classes, n) or mlp_table_dataset()",
              fn, ROWS(what), k);
    MLP_CHECK(in->n_targets == k, MLP_ERR_SHAPE,
              "%s: the %s%srows have %zu target columns, the network has %zu outputs", fn,
              ROWS(what), in->n_targets, k);
    return MLP_OK;
}

int mlp__rows_map_x(const mlp__rows *r, const mlp_net *net)
{
    return r->model && net->prep.in_shift != NULL;
}

int mlp__rows_map_y(const mlp__rows *r, const mlp_net *net)
{
    if (!r->model || r->y == NULL) return 0;
    return r->classes > 0 ? mlp_net_n_outputs(net) > 1 : net->prep.out_shift != NULL;
}

mlp_status mlp__rows_check_classes(const mlp__rows *r, const char *fn, const char *what)
{
    if (r->classes == 0) return MLP_OK;
    for (size_t i = 0; i < r->n; i++) {
        const double c = mlp__value_at(r->y, r->f32, i);
        if (!(c >= 0 && c < (double)r->classes && c == floor(c))) {
            return mlp__fail(MLP_ERR_INVALID_ARG,
                             "%s: the %s%srows: row %zu's class is %g, not a class index 0 to "
                             "%zu",
                             fn, ROWS(what), i, c, r->classes - 1);
        }
    }
    return MLP_OK;
}

/* ---- the model's stored scaling ----------------------------------------------- */

/* (x - shift) / scale, row by row, into dst (may be src). */
static void scale_rows(double *dst, const double *src, size_t n, size_t cols, const double *shift,
                       const double *scale)
{
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < cols; c++)
            dst[i * cols + c] = (src[i * cols + c] - shift[c]) / scale[c];
}

void mlp__prep_inputs(const mlp_net *net, double *dst, const double *src, size_t n)
{
    const mlp__prep *p = &net->prep;
    if (p->in_shift != NULL) scale_rows(dst, src, n, net->n_inputs, p->in_shift, p->in_scale);
    else if (dst != src) memmove(dst, src, n * net->n_inputs * sizeof *dst);
}

void mlp__prep_targets(const mlp_net *net, double *dst, const double *src, size_t n)
{
    const mlp__prep *p = &net->prep;
    const size_t k = mlp_net_n_outputs(net);
    if (p->out_shift != NULL) scale_rows(dst, src, n, k, p->out_shift, p->out_scale);
    else if (dst != src) memmove(dst, src, n * k * sizeof *dst);
}

void mlp__prep_outputs(const mlp_net *net, double *y, size_t n)
{
    const mlp__prep *p = &net->prep;
    const size_t k = mlp_net_n_outputs(net);
    if (p->out_shift == NULL) return;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            y[i * k + c] = y[i * k + c] * p->out_scale[c] + p->out_shift[c];
}

#endif
