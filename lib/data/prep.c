/* The preprocessing that travels with a model: input scaling fitted on the training
 * rows, target scaling for regressions, the columns' names and the class labels.
 * Saved in the model file (format 4); mlp_net_predict_raw applies it around the
 * network, so a deployed model takes the rows as they come. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Names of the model's in place of the ones it had: *dst (n_dst of them) freed. */
static void replace_strings(char ***dst, size_t *n_dst, char **src, size_t n)
{
    mlp__strings_free(*dst, *n_dst);
    *dst = src;
    *n_dst = n;
}

mlp_status mlp_net_set_columns(mlp_net *net, const char *const *input_names,
                               const char *const *target_names, size_t n_targets)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(input_names);
    MLP_CHECK(n_targets == 0 || target_names != NULL, MLP_ERR_INVALID_ARG,
              "mlp_net_set_columns: %zu targets without their names", n_targets);
    MLP_CHECK(n_targets <= mlp_net_n_outputs(net), MLP_ERR_INVALID_ARG,
              "mlp_net_set_columns: %zu target columns for %zu outputs", n_targets,
              mlp_net_n_outputs(net));
    char **in = NULL, **out = NULL;
    mlp_status s = mlp__strings_copy(&in, input_names, net->n_inputs, __func__, "input name");
    if (s == MLP_OK && n_targets > 0)
        s = mlp__strings_copy(&out, target_names, n_targets, __func__, "target name");
    if (s != MLP_OK) {
        mlp__strings_free(in, in != NULL ? net->n_inputs : 0);
        return s;
    }
    replace_strings(&net->prep.in_names, &net->prep.n_in_names, in, net->n_inputs);
    replace_strings(&net->prep.out_names, &net->prep.n_targets, out, n_targets);
    return MLP_OK;
}

mlp_status mlp_net_set_classes(mlp_net *net, const char *const *classes, size_t n_classes)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK(n_classes == 0 || classes != NULL, MLP_ERR_INVALID_ARG,
              "mlp_net_set_classes: %zu classes without their names", n_classes);
    MLP_CHECK(n_classes == 0 || n_classes == mlp__output_classes(net), MLP_ERR_SHAPE,
              "mlp_net_set_classes: %zu classes for %zu output nodes (%s): one per node, or two "
              "for one sigmoid node",
              n_classes, mlp_net_n_outputs(net),
              mlp_activation_name(net->layers[net->n_layers - 1].act));
    char **c = NULL;
    if (n_classes > 0) {
        mlp_status s = mlp__strings_copy(&c, classes, n_classes, __func__, "class");
        if (s != MLP_OK) return s;
        size_t i, j;
        const int rep = mlp__repeated_string((const char *const *)c, n_classes, &i, &j);
        if (rep != 0) {
            s = rep < 0 ? mlp__fail(MLP_ERR_NOMEM, "mlp_net_set_classes: cannot allocate "
                                                   "%zu indices", n_classes)
                        : mlp__fail(MLP_ERR_INVALID_ARG, "mlp_net_set_classes: class \"%.200s\" "
                                                         "is given twice (%zu and %zu)",
                                    c[j], i, j);
            mlp__strings_free(c, n_classes);
            return s;
        }
    }
    replace_strings(&net->prep.classes, &net->prep.n_classes, c, n_classes);
    return MLP_OK;
}

mlp_status mlp_net_set_table_names(mlp_net *net, const mlp_table *table)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(table);
    const size_t in = mlp_table_n_inputs(table), nt = mlp_table_n_targets(table);
    const size_t k = mlp_table_n_classes(table);
    MLP_CHECK(in == net->n_inputs, MLP_ERR_SHAPE,
              "mlp_net_set_table_names: the table has %zu input columns, the network takes %zu",
              in, net->n_inputs);
    MLP_CHECK(k > 0 || nt <= mlp_net_n_outputs(net), MLP_ERR_SHAPE,
              "mlp_net_set_table_names: the table has %zu target columns, the network %zu "
              "outputs", nt, mlp_net_n_outputs(net));
    MLP_CHECK(k == 0 || k == mlp__output_classes(net), MLP_ERR_SHAPE,
              "mlp_net_set_table_names: the table has %zu classes, the network's output stands "
              "for %zu", k, mlp__output_classes(net));
    /* every copy made before anything is replaced: a failure changes nothing */
    const char **names = malloc((in + nt + k + 1) * sizeof *names);
    MLP_CHECK(names != NULL, MLP_ERR_NOMEM, "mlp_net_set_table_names: cannot allocate %zu names",
              in + nt + k);
    for (size_t i = 0; i < in; i++) names[i] = mlp_table_input_name(table, i);
    for (size_t i = 0; i < nt; i++) names[in + i] = mlp_table_target_name(table, i);
    for (size_t c = 0; c < k; c++) names[in + nt + c] = mlp_table_class_name(table, c);
    char **ci = NULL, **co = NULL, **cc = NULL;
    mlp__columns cols;
    mlp_status s = mlp__columns_copy(&cols, &table->cols, __func__);
    if (s == MLP_OK) s = mlp__strings_copy(&ci, names, in, __func__, "input name");
    if (s == MLP_OK && nt > 0) s = mlp__strings_copy(&co, names + in, nt, __func__, "target name");
    if (s == MLP_OK && k > 0) s = mlp__strings_copy(&cc, names + in + nt, k, __func__, "class");
    free(names);
    if (s != MLP_OK) {
        mlp__strings_free(ci, ci != NULL ? in : 0);
        mlp__strings_free(co, co != NULL ? nt : 0);
        mlp__columns_free(&cols);
        return s;
    }
    replace_strings(&net->prep.in_names, &net->prep.n_in_names, ci, in);
    replace_strings(&net->prep.out_names, &net->prep.n_targets, co, nt);
    replace_strings(&net->prep.classes, &net->prep.n_classes, cc, k);
    mlp__columns_free(&net->prep.columns);
    net->prep.columns = cols;
    return MLP_OK;
}

size_t mlp_net_n_classes(const mlp_net *net) { return net != NULL ? net->prep.n_classes : 0; }

const char *mlp_net_class_name(const mlp_net *net, size_t k)
{
    return net != NULL && k < net->prep.n_classes ? net->prep.classes[k] : NULL;
}

const char *mlp_net_input_name(const mlp_net *net, size_t i)
{
    return net != NULL && net->prep.in_names != NULL && i < net->n_inputs ? net->prep.in_names[i]
                                                                         : NULL;
}

size_t mlp_net_n_targets(const mlp_net *net) { return net != NULL ? net->prep.n_targets : 0; }

const char *mlp_net_target_name(const mlp_net *net, size_t i)
{
    return net != NULL && i < net->prep.n_targets ? net->prep.out_names[i] : NULL;
}

/* Mean and population deviation of column c of v (stride cols), each into *a, *b;
 * their values are at most max|v|, but the sum and the squares that make them can
 * pass the end of the range (a column of 1e308): then the column is taken again
 * scaled by a power of two below 1, which is exact, and the results scaled back. */
static void standard_column(double *a, double *b, const void *v, int f32, size_t rows, size_t cols,
                            size_t c, double f)
{
#define V(i) mlp__value_at(v, f32, (i) * cols + c)
    double m = 0.0, d = 0.0;
    for (size_t i = 0; i < rows; i++) m += f * V(i);
    m /= (double)rows;
    for (size_t i = 0; i < rows; i++) d += (f * V(i) - m) * (f * V(i) - m);
    *a = m;
    *b = sqrt(d / (double)rows);
}

/* Shift and scale of n columns of v (doubles, or floats with f32; stride cols) by
 * `method`, each finite, the scale > 0; a column whose range a double cannot hold
 * (min-max only: -1e308 and 1e308) fails, naming it ("input"/"target" column, from 0). */
static mlp_status fit_columns(double *shift, double *scale, const void *v, int f32, size_t rows,
                              size_t cols, mlp_scaling method, const char *what)
{
    for (size_t c = 0; c < cols; c++) {
        double a = 0.0, b = 0.0;
        if (method == MLP_SCALE_STANDARD) {
            standard_column(&a, &b, v, f32, rows, cols, c, 1.0);
            if (!isfinite(a) || !isfinite(b)) {
                double big = 0.0;
                for (size_t i = 0; i < rows; i++) big = fmax(big, fabs(V(i)));
                int e;
                frexp(big, &e); /* big < 2^e */
                standard_column(&a, &b, v, f32, rows, cols, c, ldexp(1.0, -e));
                a = ldexp(a, e);
                b = ldexp(b, e);
            }
        } else { /* minimum and range */
            double lo = V(0), hi = V(0);
            for (size_t i = 1; i < rows; i++) {
                lo = fmin(lo, V(i));
                hi = fmax(hi, V(i));
            }
#undef V
            a = lo;
            b = hi - lo;
            MLP_CHECK(isfinite(b), MLP_ERR_NUMERIC,
                      "mlp_net_fit_scaling: %s column %zu spans %g to %g, a range wider than a "
                      "double holds: min-max scaling cannot map it to [0, 1] (standard scaling "
                      "can)", what, c, lo, hi);
        }
        shift[c] = a;
        scale[c] = b > 0.0 ? b : 1.0; /* a constant column is left as it is */
    }
    return MLP_OK;
}

mlp_status mlp_net_fit_scaling(mlp_net *net, mlp_scaling inputs, mlp_scaling targets,
                               const mlp_dataset *train)
{
    MLP_CHECK_PTR(net);
    mlp__rows d;
    mlp_status s = mlp__rows_in(&d, train, net, targets != MLP_SCALE_NONE, __func__, "");
    if (s != MLP_OK) return s;
    MLP_CHECK(inputs >= MLP_SCALE_NONE && inputs <= MLP_SCALE_MINMAX && targets >= MLP_SCALE_NONE &&
                  targets <= MLP_SCALE_MINMAX,
              MLP_ERR_INVALID_ARG, "mlp_net_fit_scaling: unknown scaling %d or %d", (int)inputs,
              (int)targets);
    MLP_CHECK(targets == MLP_SCALE_NONE || net->layers[net->n_layers - 1].act != MLP_ACT_SOFTMAX,
              MLP_ERR_INVALID_ARG,
              "mlp_net_fit_scaling: a softmax output gives probabilities: its targets are not "
              "scaled");
    MLP_CHECK(targets == MLP_SCALE_NONE || d.classes == 0, MLP_ERR_INVALID_ARG,
              "mlp_net_fit_scaling: the targets are class indices: they are not scaled (targets "
              "MLP_SCALE_NONE)");
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
#define FINITE(v, count) (d.f32 ? mlp__all_finite_f32(v, count) : mlp__all_finite(v, count))
    MLP_CHECK(FINITE(d.x, d.n * in) && (targets == MLP_SCALE_NONE || FINITE(d.y, d.n * k)),
              MLP_ERR_NUMERIC, "mlp_net_fit_scaling: the rows hold a value that is not finite");
#undef FINITE
    double *is = NULL, *ic = NULL, *os = NULL, *oc = NULL;
    if (inputs != MLP_SCALE_NONE) {
        is = malloc(in * sizeof *is);
        ic = malloc(in * sizeof *ic);
    }
    if (targets != MLP_SCALE_NONE) {
        os = malloc(k * sizeof *os);
        oc = malloc(k * sizeof *oc);
    }
    if ((inputs != MLP_SCALE_NONE && (is == NULL || ic == NULL)) ||
        (targets != MLP_SCALE_NONE && (os == NULL || oc == NULL))) {
        free(is), free(ic), free(os), free(oc);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_fit_scaling: cannot allocate the scaling");
    }
    s = is != NULL ? fit_columns(is, ic, d.x, d.f32, d.n, in, inputs, "input") : MLP_OK;
    /* a category's inputs and a missing indicator are 0 or 1, and stay so (as
     * scikit-learn's pipelines leave one-hot columns unscaled): a rare category scaled
     * by its deviation would become an input of 10 or 30 */
    const mlp__columns *cs = &net->prep.columns;
    for (size_t j = 0; s == MLP_OK && is != NULL && j < cs->n; j++) {
        const mlp__column *c = &cs->c[j];
        const size_t from = c->kind == MLP_COLUMN_NUMERIC ? c->first + 1 : c->first;
        for (size_t i = from; i < c->first + c->width; i++) is[i] = 0.0, ic[i] = 1.0;
    }
    if (s == MLP_OK && os != NULL) s = fit_columns(os, oc, d.y, d.f32, d.n, k, targets, "target");
    if (s != MLP_OK) { /* the model's scaling as it was */
        free(is), free(ic), free(os), free(oc);
        return s;
    }
    mlp__prep *p = &net->prep;
    free(p->in_shift), free(p->in_scale), free(p->out_shift), free(p->out_scale);
    p->in_shift = is, p->in_scale = ic, p->out_shift = os, p->out_scale = oc;
    p->in_method = (int)inputs;
    p->out_method = (int)targets;
    return MLP_OK;
}

mlp_status mlp_net_get_scaling(const mlp_net *net, double *in_shift, double *in_scale,
                               double *out_shift, double *out_scale)
{
    MLP_CHECK_PTR(net);
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    for (size_t i = 0; i < in; i++) {
        if (in_shift != NULL) in_shift[i] = p->in_shift != NULL ? p->in_shift[i] : 0.0;
        if (in_scale != NULL) in_scale[i] = p->in_scale != NULL ? p->in_scale[i] : 1.0;
    }
    for (size_t i = 0; i < k; i++) {
        if (out_shift != NULL) out_shift[i] = p->out_shift != NULL ? p->out_shift[i] : 0.0;
        if (out_scale != NULL) out_scale[i] = p->out_scale != NULL ? p->out_scale[i] : 1.0;
    }
    return MLP_OK;
}

mlp_status mlp_net_transform(const mlp_net *net, double *x_out, double *y_out,
                             const mlp_dataset *raw)
{
    MLP_CHECK_PTR(net);
    mlp__rows d;
    mlp_status s = mlp__rows_in(&d, raw, net, y_out != NULL, __func__, "");
    if (s != MLP_OK) return s;
    MLP_CHECK(x_out != NULL || y_out != NULL, MLP_ERR_INVALID_ARG,
              "mlp_net_transform: x_out and y_out are both NULL");
    if (y_out != NULL) s = mlp__rows_check_classes(&d, __func__, "");
    if (s != MLP_OK) return s;
    MLP_CHECK(d.classes == 0 || y_out != d.y || mlp_net_n_outputs(net) == 1, MLP_ERR_INVALID_ARG,
              "mlp_net_transform: y_out is the class indices' own array, and their one-hot rows "
              "take %zu columns: pass another array",
              mlp_net_n_outputs(net));
    /* the rows are raw by this call's definition, whatever header built the dataset */
    if (x_out != NULL && d.f32)
        mlp__rows_x(x_out, &d, net, NULL, d.n); /* widened, scaled */
    else if (x_out != NULL)
        mlp__prep_inputs(net, x_out, d.x, d.n);
    if (y_out == NULL) return MLP_OK;
    if (d.classes > 0) { /* one-hot rows (or, for one sigmoid node, the labels): no scaling */
        if (y_out != d.y) mlp__rows_y(y_out, &d, net, NULL, d.n);
    } else if (d.f32) {
        mlp__rows_y(y_out, &d, net, NULL, d.n); /* widened, scaled */
    } else {
        mlp__prep_targets(net, y_out, d.y, d.n);
    }
    return MLP_OK;
}

mlp_status mlp_net_predict_raw(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                               size_t n)
{
    const mlp_status s = mlp__predict_model(net, ws, y, x, n, __func__);
    return s != MLP_OK ? s : mlp__outputs_finite(net, y, x, n, __func__);
}

mlp_status mlp_csv_options_for_net(mlp_csv_options *options, size_t struct_size,
                                   const mlp_net *net)
{
    MLP_CHECK_PTR(options);
    MLP_CHECK_PTR(net);
    MLP_CHECK(struct_size >= MLP__END(mlp_csv_options, n_target_names), MLP_ERR_INVALID_ARG,
              "mlp_csv_options_for_net: struct_size %zu: the options must hold the columns' "
              "names (input_names, target_names: the struct of libmlp 1.2 or later)",
              struct_size);
    const mlp__prep *p = &net->prep;
    MLP_CHECK(p->in_names != NULL || p->columns.n > 0, MLP_ERR_INVALID_ARG,
              "mlp_csv_options_for_net: the model keeps no column names (it was not trained "
              "from a table, nor named with mlp_net_set_columns()): there is nothing to find "
              "its columns by; read the file with its input columns in the model's order");
    mlp_csv_options o;
    mlp_status s = mlp_csv_options_init(&o, sizeof o);
    if (s != MLP_OK) return s;
    o.input_names = (const char *const *)(p->columns.n > 0 ? p->columns.names : p->in_names);
    o.n_input_names = p->columns.n > 0 ? p->columns.n : net->n_inputs;
    o.model = net;
    if (p->n_targets > 0) {
        o.target_names = (const char *const *)p->out_names;
        o.n_target_names = p->n_targets;
    }
    if (p->n_classes > 0) {
        o.task = MLP_TASK_CLASSIFICATION;
        o.classes = (const char *const *)p->classes;
        o.n_classes = p->n_classes;
    } else if (p->n_targets > 0) {
        o.task = MLP_TASK_REGRESSION;
    }
    return mlp__struct_init(options, struct_size, &o, sizeof o, __func__, "mlp_csv_options");
}
