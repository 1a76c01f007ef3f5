/* mlp._core: libmlp's networks for Python, over its public API (mlp.h) alone.
 *
 * Arrays cross as buffers (the buffer protocol), so this module needs no NumPy
 * headers: the Python side (mlp/_estimators.py) hands over C-ordered float64 or
 * float32 arrays, converted once there, and the outputs to fill. The GIL is released
 * while libmlp computes (PyEval_SaveThread and PyEval_RestoreThread: what
 * Py_BEGIN_ALLOW_THREADS does, in calls the formatter reads); a fit's epoch callback
 * takes it back to let Ctrl-C through, which ends the fit after that epoch with the
 * network left usable. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>
#include <string.h>

#include <mlp.h>

/* ---- errors ----------------------------------------------------------------------- */

/* libmlp's status as a Python exception carrying its message: bad arguments and
 * shapes and unreadable models are ValueError, files OSError, memory MemoryError, a
 * value that stopped being finite FloatingPointError. */
static PyObject *raise_status(mlp_status s)
{
    const char *detail = mlp_error_detail();
    const char *msg = detail != NULL && detail[0] != '\0' ? detail : mlp_strerror(s);
    PyObject *type = s == MLP_ERR_IO        ? PyExc_OSError
                     : s == MLP_ERR_NOMEM   ? PyExc_MemoryError
                     : s == MLP_ERR_NUMERIC ? PyExc_FloatingPointError
                                            : PyExc_ValueError;
    PyErr_SetString(type, msg);
    return NULL;
}

/* ---- buffers ---------------------------------------------------------------------- */

/* A C-contiguous buffer of doubles ('d') or floats ('f') of `ndim` dimensions (1 or
 * 2), its rows and columns (1 column for ndim 1). Returns 0 with the buffer held, or
 * -1 with an exception set. */
static int get_array(PyObject *obj, Py_buffer *view, int writable, int *is_f32, Py_ssize_t *rows,
                     Py_ssize_t *cols, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) return -1;
    const char *f = view->format != NULL ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    if ((strcmp(f, "d") != 0 && strcmp(f, "f") != 0) || view->ndim < 1 || view->ndim > 2) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a C-ordered array of float64 or float32 of 1 or 2 "
                     "dimensions (format '%s', %d dimensions)",
                     what, view->format != NULL ? view->format : "B", view->ndim);
        PyBuffer_Release(view);
        return -1;
    }
    *is_f32 = f[0] == 'f';
    *rows = view->shape[0];
    *cols = view->ndim == 2 ? view->shape[1] : 1;
    return 0;
}

/* ---- the network ------------------------------------------------------------------ */

/* clang-format off */
typedef struct {
    PyObject_HEAD
    mlp_net *net;
    mlp_trainer *trainer; /* kept between partial fits: the optimizer's state */
    int busy;             /* a fit runs (GIL released): nothing else may touch net */
    int readers;          /* predictions running without the GIL */
} NetObject;
/* clang-format on */

static PyTypeObject NetType;

static NetObject *wrap(mlp_net *net)
{
    NetObject *o = PyObject_New(NetObject, &NetType);
    if (o == NULL) {
        mlp_net_free(net);
        return NULL;
    }
    o->net = net;
    o->trainer = NULL;
    o->busy = 0;
    o->readers = 0;
    return o;
}

static void Net_dealloc(NetObject *self)
{
    mlp_trainer_free(self->trainer);
    mlp_net_free(self->net);
    PyObject_Free(self);
}

static int idle(NetObject *self, int reading)
{
    if (self->busy || (!reading && self->readers > 0)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this network is being trained or used by another thread");
        return 0;
    }
    return 1;
}

/* The layer kinds by name, both ways: create() reads them, layers() writes them. */
static const struct {
    const char *name;
    mlp_layer_kind kind;
} kinds[] = {{"dense", MLP_LAYER_DENSE},
             {"layernorm", MLP_LAYER_LAYERNORM},
             {"dropout", MLP_LAYER_DROPOUT},
             {"batchnorm", MLP_LAYER_BATCHNORM}};

static int kind_from_name(const char *name, mlp_layer_kind *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(name, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return 1;
        }
    return 0;
}

static const char *kind_name(mlp_layer_kind kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].kind == kind) return kinds[i].name;
    return "unknown";
}

/* create(n_inputs, layers, precision, init, seed): layers a sequence of
 * (kind, size, activation, bias, setting) tuples; setting is the dropout's rate or a
 * normalization's epsilon (ignored by dense layers). */
static PyObject *mod_create(PyObject *mod, PyObject *args)
{
    (void)mod;
    Py_ssize_t n_inputs;
    PyObject *layers;
    const char *precision = "float64", *init = "auto";
    unsigned long long seed = 0;
    if (!PyArg_ParseTuple(args, "nO|ssK", &n_inputs, &layers, &precision, &init, &seed))
        return NULL;
    PyObject *seq = PySequence_Fast(layers, "layers must be a sequence");
    if (seq == NULL) return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n_inputs <= 0 || n <= 0) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "a network needs at least one input and one layer");
        return NULL;
    }
    mlp_layer_spec *specs = PyMem_Calloc((size_t)n, sizeof *specs);
    if (specs == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *kind, *act;
        Py_ssize_t size;
        int bias;
        double setting;
        mlp_layer_spec_init(&specs[i], sizeof specs[i]);
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i),
                              "snspd;a layer is (kind, size, "
                              "activation, bias, setting)",
                              &kind, &size, &act, &bias, &setting))
            goto fail;
        if (!kind_from_name(kind, &specs[i].kind)) {
            PyErr_Format(PyExc_ValueError,
                         "layer %zd: unknown kind '%s' (dense, layernorm, "
                         "dropout, batchnorm)",
                         i, kind);
            goto fail;
        }
        if (size < 0) {
            PyErr_Format(PyExc_ValueError, "layer %zd: size %zd is negative", i, size);
            goto fail;
        }
        specs[i].size = (size_t)size;
        mlp_status s = mlp_activation_from_name(&specs[i].activation, act);
        if (s != MLP_OK) {
            raise_status(s);
            goto fail;
        }
        specs[i].bias = bias;
        if (specs[i].kind == MLP_LAYER_DROPOUT)
            specs[i].rate = setting;
        else if (specs[i].kind != MLP_LAYER_DENSE)
            specs[i].epsilon = setting;
    }
    mlp_precision prec;
    mlp_init how;
    mlp_status s = mlp_precision_from_name(&prec, precision);
    if (s == MLP_OK) s = mlp_init_from_name(&how, init);
    mlp_net *net = NULL;
    if (s == MLP_OK) s = mlp_net_create_precision(&net, (size_t)n_inputs, specs, (size_t)n, prec);
    if (s == MLP_OK) s = mlp_net_init(net, how, seed);
    PyMem_Free(specs);
    Py_DECREF(seq);
    if (s != MLP_OK) {
        mlp_net_free(net);
        return raise_status(s);
    }
    return (PyObject *)wrap(net);
fail:
    PyMem_Free(specs);
    Py_DECREF(seq);
    return NULL;
}

static PyObject *mod_load(PyObject *mod, PyObject *arg)
{
    (void)mod;
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path)) return NULL;
    mlp_net *net = NULL;
    mlp_status s;
    PyThreadState *ts = PyEval_SaveThread();
    s = mlp_net_load(&net, PyBytes_AS_STRING(path));
    PyEval_RestoreThread(ts);
    Py_DECREF(path);
    if (s != MLP_OK) return raise_status(s);
    return (PyObject *)wrap(net);
}

static PyObject *mod_from_bytes(PyObject *mod, PyObject *arg)
{
    (void)mod;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) != 0) return NULL;
    mlp_net *net = NULL;
    const mlp_status s = mlp_net_load_buffer(&net, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    if (s != MLP_OK) return raise_status(s);
    return (PyObject *)wrap(net);
}

static PyObject *Net_to_bytes(NetObject *self, PyObject *unused)
{
    (void)unused;
    if (!idle(self, 1)) return NULL;
    size_t size = 0;
    mlp_status s = mlp_net_save_buffer(self->net, NULL, 0, &size);
    if (s != MLP_OK && size == 0) return raise_status(s);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (out == NULL) return NULL;
    s = mlp_net_save_buffer(self->net, PyBytes_AS_STRING(out), size, &size);
    if (s != MLP_OK) {
        Py_DECREF(out);
        return raise_status(s);
    }
    return out;
}

static PyObject *Net_save(NetObject *self, PyObject *arg)
{
    if (!idle(self, 1)) return NULL;
    PyObject *path = NULL;
    if (!PyUnicode_FSConverter(arg, &path)) return NULL;
    mlp_status s;
    self->readers++;
    PyThreadState *ts = PyEval_SaveThread();
    s = mlp_net_save(self->net, PyBytes_AS_STRING(path));
    PyEval_RestoreThread(ts);
    self->readers--;
    Py_DECREF(path);
    if (s != MLP_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyObject *Net_copy(NetObject *self, PyObject *unused)
{
    (void)unused;
    if (!idle(self, 1)) return NULL;
    mlp_net *copy = NULL;
    const mlp_status s = mlp_net_convert(&copy, self->net, mlp_net_precision(self->net));
    if (s != MLP_OK) return raise_status(s);
    return (PyObject *)wrap(copy);
}

/* Rows go through the network CHUNK at a time: a workspace of that many rows keeps the
 * layers' values in cache where one of 10,000 rows would not (and bounds its memory). */
enum { CHUNK = 4096 };

static size_t chunk_of(size_t n) { return n < CHUNK ? n : CHUNK; }

/* y (n, outputs) = the model's predictions of the rows x (n, inputs), floats or
 * doubles (f32), in chunks of the workspace's rows; without the GIL. */
static mlp_status predict_rows(const mlp_net *net, mlp_workspace *ws, int f32, void *y,
                               const void *x, size_t n)
{
    const size_t in = mlp_net_n_inputs(net), out = mlp_net_n_outputs(net);
    const size_t batch = mlp_workspace_max_batch(ws);
    mlp_status s = MLP_OK;
    for (size_t r = 0; s == MLP_OK && r < n; r += batch) {
        const size_t m = n - r < batch ? n - r : batch;
        s = f32 ? mlp_net_predict_f32(net, ws, (float *)y + r * out, (const float *)x + r * in, m)
                : mlp_net_predict(net, ws, (double *)y + r * out, (const double *)x + r * in, m);
    }
    return s;
}

/* predict(x, y): y (n, n_outputs) of x's type receives the model's predictions of the
 * rows x (n, n_inputs), scaled as the model scales them. */
static PyObject *Net_predict(NetObject *self, PyObject *args)
{
    PyObject *xo, *yo;
    if (!PyArg_ParseTuple(args, "OO", &xo, &yo)) return NULL;
    if (!idle(self, 1)) return NULL;
    Py_buffer xv, yv;
    int xf, yf;
    Py_ssize_t n, nin, ny, nout;
    if (get_array(xo, &xv, 0, &xf, &n, &nin, "x") != 0) return NULL;
    if (get_array(yo, &yv, 1, &yf, &ny, &nout, "y") != 0) {
        PyBuffer_Release(&xv);
        return NULL;
    }
    const size_t want_in = mlp_net_n_inputs(self->net), want_out = mlp_net_n_outputs(self->net);
    if (xf != yf || n != ny || (size_t)nin != want_in || (size_t)nout != want_out) {
        PyErr_Format(PyExc_ValueError,
                     "predict: x is (%zd, %zd) %s and y (%zd, %zd) %s; the network takes %zu "
                     "inputs and gives %zu outputs, and x and y must be of one type",
                     n, nin, xf ? "float32" : "float64", ny, nout, yf ? "float32" : "float64",
                     want_in, want_out);
        PyBuffer_Release(&xv);
        PyBuffer_Release(&yv);
        return NULL;
    }
    mlp_status s = MLP_OK;
    if (n > 0) {
        self->readers++;
        PyThreadState *ts = PyEval_SaveThread();
        mlp_workspace *ws = NULL;
        s = mlp_workspace_create(&ws, self->net, chunk_of((size_t)n));
        if (s == MLP_OK) s = predict_rows(self->net, ws, xf, yv.buf, xv.buf, (size_t)n);
        mlp_workspace_free(ws);
        PyEval_RestoreThread(ts);
        self->readers--;
    }
    PyBuffer_Release(&xv);
    PyBuffer_Release(&yv);
    if (s != MLP_OK) return raise_status(s);
    Py_RETURN_NONE;
}

/* fit_scaling(x, y or None, inputs, targets): scaling names "none", "standard", "minmax" */
static int scaling_from_name(const char *name, mlp_scaling *out)
{
    if (strcmp(name, "none") == 0)
        *out = MLP_SCALE_NONE;
    else if (strcmp(name, "standard") == 0)
        *out = MLP_SCALE_STANDARD;
    else if (strcmp(name, "minmax") == 0)
        *out = MLP_SCALE_MINMAX;
    else {
        PyErr_Format(PyExc_ValueError, "unknown scaling '%s' (none, standard, minmax)", name);
        return 0;
    }
    return 1;
}

/* A dataset over held buffers: x (n, n_inputs), y (n, cols) or NULL, n_classes > 0 for
 * class indices in one column. */
static mlp_dataset dataset_of(const Py_buffer *xv, int f32, const Py_buffer *yv, size_t n,
                              size_t n_inputs, size_t cols, size_t n_classes)
{
    mlp_dataset d;
    mlp_dataset_init(&d, sizeof d);
    d.n = n;
    d.n_inputs = n_inputs;
    d.n_targets = yv != NULL ? cols : 0;
    d.n_classes = n_classes;
    if (f32) {
        d.x_f32 = xv->buf;
        d.y_f32 = yv != NULL ? yv->buf : NULL;
    } else {
        d.x = xv->buf;
        d.y = yv != NULL ? yv->buf : NULL;
    }
    return d;
}

static PyObject *Net_fit_scaling(NetObject *self, PyObject *args)
{
    PyObject *xo, *yo;
    const char *in_name, *out_name;
    if (!PyArg_ParseTuple(args, "OOss", &xo, &yo, &in_name, &out_name)) return NULL;
    if (!idle(self, 0)) return NULL;
    mlp_scaling in_kind, out_kind;
    if (!scaling_from_name(in_name, &in_kind) || !scaling_from_name(out_name, &out_kind))
        return NULL;
    Py_buffer xv, yv;
    int xf, yf = 0;
    Py_ssize_t n, nin, ny = 0, cols = 0;
    if (get_array(xo, &xv, 0, &xf, &n, &nin, "x") != 0) return NULL;
    const int has_y = yo != Py_None;
    if (has_y && get_array(yo, &yv, 0, &yf, &ny, &cols, "y") != 0) {
        PyBuffer_Release(&xv);
        return NULL;
    }
    mlp_status s = MLP_OK;
    if (has_y && (xf != yf || ny != n)) {
        PyErr_SetString(PyExc_ValueError, "fit_scaling: x and y must have the same rows and type");
    } else {
        const mlp_dataset d =
            dataset_of(&xv, xf, has_y ? &yv : NULL, (size_t)n, (size_t)nin, (size_t)cols, 0);
        s = mlp_net_fit_scaling(self->net, in_kind, out_kind, &d);
        if (s != MLP_OK) raise_status(s);
    }
    PyBuffer_Release(&xv);
    if (has_y) PyBuffer_Release(&yv);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

/* The epoch callback. With validation rows and `r2`, it first scores the epoch's weights
 * on them as scikit-learn's regressor does (R², averaged over the outputs), without the
 * GIL; then it goes back under the GIL for a moment to let a pending signal (Ctrl-C)
 * through: the exception waits in the fit's context until the fit returns. */
typedef struct {
    PyObject *exc_type, *exc_value, *exc_tb;
    const mlp_net *net;
    mlp_workspace *ws; /* for the validation rows, with r2 */
    const void *xval;  /* (nval, n_inputs), doubles or floats (f32) */
    const void *yval;  /* (nval, k) */
    size_t nval, k, batch;
    int f32;
    void *pred;     /* (batch, k) of the rows' type */
    double *mean;   /* k: the validation targets' means */
    double *acc;    /* 2k: sums of squares */
    double *scores; /* one per epoch, up to max */
    size_t n_scores, max_scores;
    mlp_status failed; /* a prediction's failure: the fit stops */
} fit_ctx;

static double value_at(const void *v, int f32, size_t i)
{
    return f32 ? (double)((const float *)v)[i] : ((const double *)v)[i];
}

/* R² of the validation rows, as sklearn.metrics.r2_score (uniform average; an output
 * whose targets do not vary scores 1 when predicted exactly, else 0). The targets' means
 * are the context's (acc holds 2k sums). */
static mlp_status validation_r2(fit_ctx *c, double *r2)
{
    const size_t n_in = mlp_net_n_inputs(c->net), k = c->k;
    const size_t size = c->f32 ? sizeof(float) : sizeof(double);
    double *sse = c->acc, *sst = c->acc + k;
    for (size_t j = 0; j < 2 * k; j++) c->acc[j] = 0;
    for (size_t r = 0; r < c->nval; r += c->batch) {
        const size_t m = c->nval - r < c->batch ? c->nval - r : c->batch;
        const mlp_status s = predict_rows(c->net, c->ws, c->f32, c->pred,
                                          (const char *)c->xval + r * n_in * size, m);
        if (s != MLP_OK) return s;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < k; j++) {
                const double y = value_at(c->yval, c->f32, (r + i) * k + j);
                const double e = y - value_at(c->pred, c->f32, i * k + j);
                const double d = y - c->mean[j];
                sse[j] += e * e;
                sst[j] += d * d;
            }
    }
    double sum = 0;
    for (size_t j = 0; j < k; j++)
        sum += sst[j] > 0 ? 1.0 - sse[j] / sst[j] : (sse[j] == 0 ? 1.0 : 0.0);
    *r2 = sum / (double)k;
    return MLP_OK;
}

static int on_epoch(const mlp_epoch_report *report, void *user_data)
{
    (void)report;
    fit_ctx *ctx = user_data;
    if (ctx->ws != NULL && ctx->n_scores < ctx->max_scores) {
        double r2 = 0;
        ctx->failed = validation_r2(ctx, &r2);
        if (ctx->failed != MLP_OK) return 1;
        ctx->scores[ctx->n_scores++] = r2;
    }
    PyGILState_STATE g = PyGILState_Ensure();
    int stop = 0;
    if (PyErr_CheckSignals() != 0) {
        PyErr_Fetch(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
        stop = 1;
    }
    PyGILState_Release(g);
    return stop;
}

static PyObject *double_list(const double *v, size_t n)
{
    PyObject *list = PyList_New((Py_ssize_t)(v != NULL ? n : 0));
    if (list == NULL || v == NULL) return list;
    for (size_t i = 0; i < n; i++) {
        PyObject *f = PyFloat_FromDouble(v[i]);
        if (f == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, f);
    }
    return list;
}

static const char *stop_name(mlp_stop_reason r)
{
    switch (r) {
    case MLP_STOP_EPOCHS:
        return "epochs";
    case MLP_STOP_PATIENCE:
        return "patience";
    case MLP_STOP_CALLBACK:
        return "callback";
    case MLP_STOP_NUMERIC:
        return "numeric";
    case MLP_STOP_DIVERGED:
        return "diverged";
    case MLP_STOP_CONVERGED:
        return "converged";
    }
    return "unknown";
}

/* fit(x, y, n_classes, loss, optimizer, epochs, batch_size, seed, patience, min_delta,
 *     shuffle, keep_trainer, xval=None, yval=None, r2=False):
 * optimizer a dict of mlp_optimizer's fields by name ("kind" and "schedule" names);
 * batch_size 0 for full batches, -1 for the method's own. With keep_trainer, the
 * trainer (and the optimizer's state) of the previous fit with keep_trainer continues.
 * xval, yval: validation rows (monitored by patience); with r2, each epoch's R² on
 * them is returned as "scores". */
static PyObject *Net_fit(NetObject *self, PyObject *args)
{
    PyObject *xo, *yo, *opt_dict;
    PyObject *xvo = Py_None, *yvo = Py_None;
    Py_ssize_t n_classes, epochs, batch, patience;
    const char *loss_name;
    unsigned long long seed;
    double min_delta;
    int shuffle, keep, want_r2 = 0;
    if (!PyArg_ParseTuple(args, "OOnsO!nnKndpp|OOp", &xo, &yo, &n_classes, &loss_name, &PyDict_Type,
                          &opt_dict, &epochs, &batch, &seed, &patience, &min_delta, &shuffle, &keep,
                          &xvo, &yvo, &want_r2))
        return NULL;
    if (!idle(self, 0)) return NULL;
    mlp_loss loss;
    mlp_status s = mlp_loss_from_name(&loss, loss_name);
    if (s != MLP_OK) return raise_status(s);
    mlp_optimizer opt;
    mlp_optimizer_init(&opt, sizeof opt, MLP_OPT_ADAM);
    PyObject *key, *value, *kind_name = PyDict_GetItemString(opt_dict, "kind");
    if (kind_name != NULL) { /* first: it sets the defaults the other settings change */
        const char *name = PyUnicode_AsUTF8(kind_name);
        if (name == NULL) return NULL;
        mlp_optimizer_kind kind;
        s = mlp_optimizer_from_name(&kind, name);
        if (s != MLP_OK) return raise_status(s);
        mlp_optimizer_init(&opt, sizeof opt, kind);
    }
    Py_ssize_t pos = 0;
    while (PyDict_Next(opt_dict, &pos, &key, &value)) {
        const char *k = PyUnicode_AsUTF8(key);
        if (k == NULL) return NULL;
        if (strcmp(k, "kind") == 0) continue;
        if (strcmp(k, "schedule") == 0) {
            const char *name = PyUnicode_AsUTF8(value);
            if (name == NULL) return NULL;
            s = mlp_schedule_from_name(&opt.schedule, name);
            if (s != MLP_OK) return raise_status(s);
            continue;
        }
        const double v = PyFloat_AsDouble(value);
        if (v == -1.0 && PyErr_Occurred()) return NULL;
#define FIELD(NAME)              \
    if (strcmp(k, #NAME) == 0) { \
        opt.NAME = v;            \
        continue;                \
    }
        FIELD(learning_rate)
        FIELD(momentum)
        FIELD(beta1)
        FIELD(beta2)
        FIELD(epsilon)
        FIELD(weight_decay)
        FIELD(tolerance_grad)
        FIELD(tolerance_change)
        FIELD(schedule_factor)
        FIELD(schedule_min_delta)
        if (strcmp(k, "schedule_patience") == 0 && v >= 0 && v <= 1e9) {
            opt.schedule_patience = (size_t)v;
            continue;
        }
#undef FIELD
        PyErr_Format(PyExc_ValueError, "fit: unknown optimizer setting '%s'", k);
        return NULL;
    }

    Py_buffer xv, yv, xvv, yvv;
    int xf, yf, xvf = 0, yvf = 0;
    Py_ssize_t n, nin, ny, cols, nv = 0, nvin = 0, nvy = 0, vcols = 0;
    const int has_val = xvo != Py_None;
    if (get_array(xo, &xv, 0, &xf, &n, &nin, "x") != 0) return NULL;
    if (get_array(yo, &yv, 0, &yf, &ny, &cols, "y") != 0) {
        PyBuffer_Release(&xv);
        return NULL;
    }
    if (has_val && get_array(xvo, &xvv, 0, &xvf, &nv, &nvin, "xval") != 0) {
        PyBuffer_Release(&xv), PyBuffer_Release(&yv);
        return NULL;
    }
    if (has_val && get_array(yvo, &yvv, 0, &yvf, &nvy, &vcols, "yval") != 0) {
        PyBuffer_Release(&xv), PyBuffer_Release(&yv), PyBuffer_Release(&xvv);
        return NULL;
    }
    PyObject *result = NULL;
    fit_ctx ctx = {0};
    if (xf != yf || ny != n) {
        PyErr_Format(PyExc_ValueError, "fit: x has %zd rows of %s, y %zd rows of %s", n,
                     xf ? "float32" : "float64", ny, yf ? "float32" : "float64");
        goto done;
    }
    if (has_val &&
        (xvf != xf || yvf != xf || nvy != nv || nvin != nin || vcols != cols || nv < 1)) {
        PyErr_SetString(PyExc_ValueError, "fit: the validation rows must have the training "
                                          "rows' columns and type, and at least one row");
        goto done;
    }
    if (epochs <= 0) {
        PyErr_Format(PyExc_ValueError, "fit: epochs is %zd, must be at least 1", epochs);
        goto done;
    }
    const size_t n_cls = (size_t)(n_classes > 0 ? n_classes : 0);
    const mlp_dataset d = dataset_of(&xv, xf, &yv, (size_t)n, (size_t)nin, (size_t)cols, n_cls);
    const mlp_dataset dval =
        has_val ? dataset_of(&xvv, xf, &yvv, (size_t)nv, (size_t)nin, (size_t)cols, n_cls) : d;
    mlp_fit_options fo;
    mlp_fit_options_init(&fo, sizeof fo);
    fo.epochs = (size_t)epochs;
    fo.batch_size = batch < 0 ? MLP_BATCH_AUTO : (size_t)batch;
    fo.seed = seed;
    fo.shuffle = shuffle;
    fo.validation = has_val ? &dval : NULL;
    fo.patience = (size_t)patience;
    fo.min_delta = min_delta;
    fo.callback = on_epoch;
    fo.user_data = &ctx;
    if (has_val && want_r2) { /* the scoring's buffers, and the targets' means */
        const size_t k = mlp_net_n_outputs(self->net), size = xf ? sizeof(float) : sizeof(double);
        ctx.net = self->net;
        ctx.xval = xvv.buf;
        ctx.yval = yvv.buf;
        ctx.nval = (size_t)nv;
        ctx.k = k;
        ctx.f32 = xf;
        ctx.batch = chunk_of(ctx.nval);
        ctx.max_scores = (size_t)epochs;
        if ((size_t)vcols != k) {
            PyErr_Format(PyExc_ValueError, "fit: r2 needs a target per output (%zu), y has %zd", k,
                         vcols);
            goto done;
        }
        ctx.pred = PyMem_Malloc(ctx.batch * k * size);
        ctx.mean = PyMem_Calloc(3 * k, sizeof(double));
        ctx.scores = PyMem_Malloc(ctx.max_scores * sizeof(double));
        if (ctx.pred == NULL || ctx.mean == NULL || ctx.scores == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        ctx.acc = ctx.mean + k;
        for (size_t i = 0; i < ctx.nval; i++)
            for (size_t j = 0; j < k; j++) ctx.mean[j] += value_at(ctx.yval, xf, i * k + j);
        for (size_t j = 0; j < k; j++) ctx.mean[j] /= (double)ctx.nval;
        s = mlp_workspace_create(&ctx.ws, self->net, ctx.batch);
        if (s != MLP_OK) {
            raise_status(s);
            goto done;
        }
    }
    mlp_fit_result res;
    mlp_fit_result_init(&res, sizeof res);

    if (!keep || self->trainer == NULL) {
        mlp_trainer_free(self->trainer);
        self->trainer = NULL;
        s = mlp_trainer_create(&self->trainer, self->net, loss, &opt, 32);
        if (s != MLP_OK) {
            raise_status(s);
            goto done;
        }
    }
    self->busy = 1;
    PyThreadState *ts = PyEval_SaveThread();
    s = mlp_trainer_fit(self->trainer, &res, &d, &fo);
    PyEval_RestoreThread(ts);
    self->busy = 0;
    if (ctx.exc_type != NULL) { /* Ctrl-C: the epochs run so far stay */
        PyErr_Restore(ctx.exc_type, ctx.exc_value, ctx.exc_tb);
        goto done;
    }
    if (ctx.failed != MLP_OK) { /* scoring the validation rows failed */
        raise_status(ctx.failed);
        goto done;
    }
    if (s != MLP_OK && s != MLP_ERR_NUMERIC) {
        raise_status(s);
        goto done;
    }
    if (s == MLP_ERR_NUMERIC && res.epochs_run == 0 && res.stop != MLP_STOP_NUMERIC &&
        res.stop != MLP_STOP_DIVERGED) {
        raise_status(s); /* the data held NaN or infinity: nothing was done */
        goto done;
    }
    result = Py_BuildValue(
        "{s:n,s:n,s:d,s:s,s:N,s:N,s:N,s:N,s:N,s:s}", "epochs", (Py_ssize_t)res.epochs_run,
        "best_epoch", (Py_ssize_t)res.best_epoch, "best_loss", res.best_loss, "stop",
        stop_name(res.stop), "loss", double_list(res.loss, res.epochs_run), "val_loss",
        double_list(res.val_loss, res.epochs_run), "metric",
        double_list(res.metric, res.epochs_run), "val_metric",
        double_list(res.val_metric, res.epochs_run), "scores",
        double_list(ctx.scores, ctx.n_scores), "error", s == MLP_OK ? "" : mlp_error_detail());
done:
    mlp_workspace_free(ctx.ws);
    PyMem_Free(ctx.pred);
    PyMem_Free(ctx.mean);
    PyMem_Free(ctx.scores);
    PyBuffer_Release(&xv);
    PyBuffer_Release(&yv);
    if (has_val) PyBuffer_Release(&xvv), PyBuffer_Release(&yvv);
    return result;
}

/* weights(l) -> bytes of (out, in) doubles; bias(l) -> bytes of out doubles or None */
static PyObject *Net_weights(NetObject *self, PyObject *args)
{
    Py_ssize_t l;
    if (!PyArg_ParseTuple(args, "n", &l)) return NULL;
    if (!idle(self, 1)) return NULL;
    mlp_layer_spec spec;
    mlp_layer_spec_init(&spec, sizeof spec);
    size_t in = 0;
    mlp_status s = l < 0 ? MLP_ERR_INVALID_ARG : mlp_net_layer(self->net, (size_t)l, &spec, &in);
    if (s != MLP_OK) return raise_status(s);
    if (spec.kind != MLP_LAYER_DENSE) Py_RETURN_NONE;
    const size_t count = in * spec.size;
    PyObject *w = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * sizeof(double)));
    if (w == NULL) return NULL;
    s = mlp_net_get_weights(self->net, (size_t)l, (double *)(void *)PyBytes_AS_STRING(w), count);
    if (s != MLP_OK) {
        Py_DECREF(w);
        return raise_status(s);
    }
    if (!spec.bias)
        return Py_BuildValue("(NnnO)", w, (Py_ssize_t)spec.size, (Py_ssize_t)in, Py_None);
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(spec.size * sizeof(double)));
    if (b == NULL) {
        Py_DECREF(w);
        return NULL;
    }
    s = mlp_net_get_bias(self->net, (size_t)l, (double *)(void *)PyBytes_AS_STRING(b), spec.size);
    if (s != MLP_OK) {
        Py_DECREF(w);
        Py_DECREF(b);
        return raise_status(s);
    }
    return Py_BuildValue("(NnnN)", w, (Py_ssize_t)spec.size, (Py_ssize_t)in, b);
}

/* layers() -> list of (kind, size, activation, bias, inputs) */
static PyObject *Net_layers(NetObject *self, PyObject *unused)
{
    (void)unused;
    const size_t n = mlp_net_n_layers(self->net);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL) return NULL;
    for (size_t l = 0; l < n; l++) {
        mlp_layer_spec spec;
        mlp_layer_spec_init(&spec, sizeof spec);
        size_t in = 0;
        const mlp_status s = mlp_net_layer(self->net, l, &spec, &in);
        if (s != MLP_OK) {
            Py_DECREF(list);
            return raise_status(s);
        }
        PyObject *t = Py_BuildValue("(snsNn)", kind_name(spec.kind), (Py_ssize_t)spec.size,
                                    mlp_activation_name(spec.activation),
                                    PyBool_FromLong(spec.bias), (Py_ssize_t)in);
        if (t == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)l, t);
    }
    return list;
}

/* set_names(inputs or None, targets or None, classes or None): sequences of str */
static int strings_of(PyObject *obj, const char ***out, Py_ssize_t *n, PyObject **keep)
{
    *out = NULL;
    *n = 0;
    *keep = NULL;
    if (obj == Py_None) return 0;
    PyObject *seq = PySequence_Fast(obj, "names must be a sequence of str");
    if (seq == NULL) return -1;
    *n = PySequence_Fast_GET_SIZE(seq);
    const char **v = PyMem_Calloc((size_t)(*n > 0 ? *n : 1), sizeof *v);
    if (v == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        v[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(seq, i));
        if (v[i] == NULL) {
            PyMem_Free(v);
            Py_DECREF(seq);
            return -1;
        }
    }
    *out = v;
    *keep = seq;
    return 0;
}

static PyObject *Net_set_names(NetObject *self, PyObject *args)
{
    PyObject *ins, *targets, *classes;
    if (!PyArg_ParseTuple(args, "OOO", &ins, &targets, &classes)) return NULL;
    if (!idle(self, 0)) return NULL;
    const char **iv, **tv, **cv;
    Py_ssize_t ni, nt, nc;
    PyObject *ki, *kt, *kc;
    if (strings_of(ins, &iv, &ni, &ki) != 0) return NULL;
    if (strings_of(targets, &tv, &nt, &kt) != 0) {
        PyMem_Free(iv);
        Py_XDECREF(ki);
        return NULL;
    }
    if (strings_of(classes, &cv, &nc, &kc) != 0) {
        PyMem_Free(iv), PyMem_Free(tv);
        Py_XDECREF(ki), Py_XDECREF(kt);
        return NULL;
    }
    mlp_status s = MLP_OK;
    if (iv != NULL) s = mlp_net_set_columns(self->net, iv, tv, (size_t)nt);
    if (s == MLP_OK && cv != NULL) s = mlp_net_set_classes(self->net, cv, (size_t)nc);
    PyMem_Free(iv), PyMem_Free(tv), PyMem_Free(cv);
    Py_XDECREF(ki), Py_XDECREF(kt), Py_XDECREF(kc);
    if (s != MLP_OK) return raise_status(s);
    Py_RETURN_NONE;
}

/* A list of the n names name(net, i) gives, or None for n == 0 (NULL on failure). */
static PyObject *name_list(const mlp_net *net, const char *(*name)(const mlp_net *, size_t),
                           size_t n)
{
    if (n == 0) Py_RETURN_NONE;
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list != NULL && i < n; i++) {
        PyObject *s = PyUnicode_FromString(name(net, i));
        if (s == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    return list;
}

/* names() -> (inputs, targets, classes): lists of str, None where the model has none */
static PyObject *Net_names(NetObject *self, PyObject *unused)
{
    (void)unused;
    const mlp_net *net = self->net;
    const size_t n_in = mlp_net_input_name(net, 0) != NULL ? mlp_net_n_inputs(net) : 0;
    return Py_BuildValue("(NNN)", name_list(net, mlp_net_input_name, n_in),
                         name_list(net, mlp_net_target_name, mlp_net_n_targets(net)),
                         name_list(net, mlp_net_class_name, mlp_net_n_classes(net)));
}

/* Column c's name (c < mlp_net_n_columns(net): the model's own string). */
static const char *column_name(const mlp_net *net, size_t c)
{
    mlp_column_info ci;
    mlp_column_info_init(&ci, sizeof ci);
    return mlp_net_column(net, c, &ci) == MLP_OK ? ci.name : "";
}

/* columns() -> the names of the table columns the model reads its raw rows by, in
 * order, when it encodes one (a category, a missing value's indicator); else None:
 * its inputs are the row's numbers. */
static PyObject *Net_columns(NetObject *self, PyObject *unused)
{
    (void)unused;
    const size_t n = mlp_net_n_columns(self->net);
    int encodes = 0;
    for (size_t c = 0; c < n; c++) {
        mlp_column_info ci;
        mlp_column_info_init(&ci, sizeof ci);
        if (mlp_net_column(self->net, c, &ci) != MLP_OK) return raise_status(MLP_ERR_INVALID_ARG);
        encodes |= ci.kind != MLP_COLUMN_NUMERIC || ci.indicator;
    }
    if (!encodes) Py_RETURN_NONE;
    return name_list(self->net, column_name, n);
}

/* encode(rows, x) -> unseen: rows, a list of n lists of one str (or None: missing) per
 * column, into x, a float64 array (n, n_inputs), as mlp_net_encode() does; the count
 * of categories the model never saw. */
static PyObject *Net_encode(NetObject *self, PyObject *args)
{
    PyObject *rows, *xo;
    if (!PyArg_ParseTuple(args, "O!O", &PyList_Type, &rows, &xo)) return NULL;
    if (!idle(self, 1)) return NULL;
    const size_t cols = mlp_net_n_columns(self->net), in = mlp_net_n_inputs(self->net);
    const size_t n = (size_t)PyList_GET_SIZE(rows);
    Py_buffer xv;
    int xf;
    Py_ssize_t xn, xin;
    if (get_array(xo, &xv, 1, &xf, &xn, &xin, "x") != 0) return NULL;
    if (xf || (size_t)xn != n || (size_t)xin != in || cols == 0) {
        PyErr_Format(PyExc_ValueError,
                     "encode: x is (%zd, %zd) %s for %zu rows of %zu inputs (float64), from a "
                     "model of %zu columns",
                     xn, xin, xf ? "float32" : "float64", n, in, cols);
        PyBuffer_Release(&xv);
        return NULL;
    }
    const size_t cells = n * cols > 0 ? n * cols : 1; /* n rows of list items: no overflow */
    const char **fields = PyMem_Malloc(cells * sizeof *fields);
    if (fields == NULL) {
        PyBuffer_Release(&xv);
        return PyErr_NoMemory();
    }
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) {
        PyObject *row = PyList_GET_ITEM(rows, (Py_ssize_t)i); /* borrowed: rows holds it */
        if (!PyList_Check(row) || (size_t)PyList_GET_SIZE(row) != cols) {
            PyErr_Format(PyExc_ValueError, "encode: row %zu is not a list of %zu fields", i,
                         cols);
            ok = 0;
            break;
        }
        for (size_t j = 0; ok && j < cols; j++) {
            PyObject *f = PyList_GET_ITEM(row, (Py_ssize_t)j);
            if (f == Py_None) {
                fields[i * cols + j] = NULL;
            } else if (PyUnicode_Check(f)) { /* its UTF-8 lives as long as f */
                fields[i * cols + j] = PyUnicode_AsUTF8(f);
                ok = fields[i * cols + j] != NULL;
            } else {
                PyErr_Format(PyExc_TypeError, "encode: row %zu, field %zu is not a str or None",
                             i, j);
                ok = 0;
            }
        }
    }
    size_t unseen = 0;
    mlp_status s = MLP_OK;
    if (ok && n > 0) s = mlp_net_encode(self->net, xv.buf, fields, n, &unseen);
    PyMem_Free(fields);
    PyBuffer_Release(&xv);
    if (!ok) return NULL;
    if (s != MLP_OK) return raise_status(s);
    return PyLong_FromSize_t(unseen);
}

static PyObject *Net_get_n_inputs(NetObject *self, void *c)
{
    (void)c;
    return PyLong_FromSize_t(mlp_net_n_inputs(self->net));
}

static PyObject *Net_get_n_outputs(NetObject *self, void *c)
{
    (void)c;
    return PyLong_FromSize_t(mlp_net_n_outputs(self->net));
}

static PyObject *Net_get_precision(NetObject *self, void *c)
{
    (void)c;
    return PyUnicode_FromString(mlp_precision_name(mlp_net_precision(self->net)));
}

static PyMethodDef Net_methods[] = {
    {"to_bytes", (PyCFunction)Net_to_bytes, METH_NOARGS, "The model file's bytes."},
    {"save", (PyCFunction)Net_save, METH_O, "save(path): write the model file (atomically)."},
    {"copy", (PyCFunction)Net_copy, METH_NOARGS, "An independent copy."},
    {"predict", (PyCFunction)Net_predict, METH_VARARGS, "predict(x, y): fill y."},
    {"fit_scaling", (PyCFunction)Net_fit_scaling, METH_VARARGS,
     "fit_scaling(x, y, inputs, targets)."},
    {"fit", (PyCFunction)Net_fit, METH_VARARGS, "Train; returns what the fit did."},
    {"weights", (PyCFunction)Net_weights, METH_VARARGS,
     "weights(l) -> (w bytes, out, in, b bytes or None), or None for a layer without."},
    {"layers", (PyCFunction)Net_layers, METH_NOARGS, "[(kind, size, activation, bias, inputs)]."},
    {"set_names", (PyCFunction)Net_set_names, METH_VARARGS,
     "set_names(inputs, targets, classes): lists of str or None."},
    {"names", (PyCFunction)Net_names, METH_NOARGS, "(inputs, targets, classes)."},
    {"columns", (PyCFunction)Net_columns, METH_NOARGS,
     "The table columns of the raw rows, when the model encodes one; else None."},
    {"encode", (PyCFunction)Net_encode, METH_VARARGS,
     "encode(rows, x) -> unseen: rows of text fields into the inputs."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Net_getset[] = {
    {"n_inputs", (getter)Net_get_n_inputs, NULL, "inputs per row", NULL},
    {"n_outputs", (getter)Net_get_n_outputs, NULL, "outputs per row", NULL},
    {"precision", (getter)Net_get_precision, NULL, "'float64' or 'float32'", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject NetType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "mlp._core.Net",
    .tp_basicsize = sizeof(NetObject),
    .tp_dealloc = (destructor)Net_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libmlp network (made by create, load or from_bytes).",
    .tp_methods = Net_methods,
    .tp_getset = Net_getset,
};

static PyObject *mod_version(PyObject *mod, PyObject *unused)
{
    (void)mod, (void)unused;
    return PyUnicode_FromString(mlp_version());
}

static PyObject *mod_set_threads(PyObject *mod, PyObject *arg)
{
    (void)mod;
    const long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    const mlp_status s = mlp_set_num_threads((int)n);
    if (s != MLP_OK) return raise_status(s);
    Py_RETURN_NONE;
}

static PyMethodDef mod_methods[] = {
    {"create", mod_create, METH_VARARGS,
     "create(n_inputs, layers, precision='float64', init='auto', seed=0) -> Net"},
    {"load", mod_load, METH_O, "load(path) -> Net"},
    {"from_bytes", mod_from_bytes, METH_O, "from_bytes(buffer) -> Net"},
    {"version", mod_version, METH_NOARGS, "libmlp's version string"},
    {"set_num_threads", mod_set_threads, METH_O, "the library's thread count"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef core_module = {PyModuleDef_HEAD_INIT,
                                         "mlp._core",
                                         "libmlp's networks, over its C API.",
                                         -1,
                                         mod_methods,
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL};

PyMODINIT_FUNC PyInit__core(void); /* the module's entry, found by name */
PyMODINIT_FUNC PyInit__core(void)
{
    if (PyType_Ready(&NetType) < 0) return NULL;
    PyObject *m = PyModule_Create(&core_module);
    if (m == NULL) return NULL;
    Py_INCREF(&NetType);
    if (PyModule_AddObject(m, "Net", (PyObject *)&NetType) < 0) {
        Py_DECREF(&NetType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
