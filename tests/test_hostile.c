/* Every public function called with NULL pointers, zero and huge sizes, shapes
 * that do not fit, NaN and infinity: one table, one expected status per row, and
 * after every failing row a check that nothing it was given has changed. Twice: with
 * float64 networks, and with float32 ones (_i), which must answer every row alike. */
#include <limits.h>
#include <string.h>

#include "test_util.h"

#define SENTINEL (-12345.0)
enum { OUT_CELLS = 256 };

typedef struct fixture {
    mlp_net *net;         /* 3 inputs -> 4 tanh (bias) -> 2 sigmoid (bias) */
    mlp_net *other;       /* 3 inputs -> 5 relu -> 2 sigmoid: another shape */
    mlp_workspace *ws;    /* for net, 4 rows */
    mlp_trainer *tr;      /* net, binary cross-entropy, SGD, 4 rows */
    double x[12], t[8];   /* 4 rows of inputs and of targets in [0, 1] */
    double nan_x[12];
    float xf[12], tf[8], nan_xf[12]; /* the same rows as floats */
    double out[OUT_CELLS]; /* filled with SENTINEL before every row */
    size_t labels[4], bad_labels[4];
    unsigned char file[4096];
    size_t file_size;
    mlp_optimizer opt;
    mlp_fit_options fit;
    mlp_dataset val; /* 4 validation rows holding a NaN */
    double value;
} fixture;

static fixture F;

/* Out-parameters for rows that need somewhere to write. */
static mlp_net *net_out;
static mlp_workspace *ws_out;
static mlp_trainer *tr_out;
static const double *cptr_out;
static size_t size_out, rows_out, cols_out;
static mlp_layer_spec spec_out;
static mlp_provenance prov_out;
static mlp_fit_result fit_out;
static mlp_scores scores_out;
static mlp_blas_info info_out;
static mlp_optimizer opt_out;
static mlp_activation act_out;
static mlp_loss loss_out;
static mlp_optimizer_kind kind_out;
static mlp_schedule schedule_out;
static mlp_init init_out;
static mlp_table *table_out;
static mlp_csv_stream *stream_out;
static mlp_csv_options csv_opt;
static const size_t rows_idx[2] = {0, 1};
static const char *const two_names[2] = {"a", "b"}, *const three_names[3] = {"a", "b", "c"};
static const char *const null_names[3] = {"a", NULL, "c"};

/* F.out viewed as floats (mlp_net_predict_f32 writes them). */
static float *out_floats(void) { return (float *)(void *)F.out; }

/* Rows of floats (MLP_DATASET_F32), and 4 rows of F.xf with float class indices. */
static mlp_dataset float_set;
static const mlp_dataset *floats(const float *x, size_t in, const float *y, size_t k, size_t n)
{
    float_set = (mlp_dataset)MLP_DATASET_F32(x, in, y, k, n);
    return &float_set;
}
static const mlp_dataset *float_classes(const float *labels)
{
    float_set = (mlp_dataset)MLP_DATASET_CLASSES_F32(F.xf, 3, labels, 2, 4);
    return &float_set;
}

/* A step on 4 rows whose types are mixed: x and x_f32 both, float inputs and double
 * targets and the reverse, float targets alone. */
static mlp_status mixed_rows(int which)
{
    mlp_dataset d = MLP_DATASET_F32(F.xf, 3, F.tf, 2, 4);
    if (which == 0) d.x = F.x;
    if (which == 1) d.y_f32 = NULL, d.y = F.t;
    if (which == 2) d.x_f32 = NULL, d.x = F.x;
    if (which == 3) d.x_f32 = NULL;
    return mlp_trainer_step(F.tr, &F.value, &d);
}

/* F.out viewed as counts (mlp_confusion writes size_t). */
static size_t *out_counts(void) { return (size_t *)(void *)F.out; }

static void setup(void)
{
    const mlp_layer_spec a[2] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_LAYER(2, MLP_ACT_SIGMOID, 1)};
    const mlp_layer_spec b[2] = {MLP_LAYER(5, MLP_ACT_RELU, 1), MLP_LAYER(2, MLP_ACT_SIGMOID, 1)};
    const mlp_precision p = tu_single ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64;
    ck_assert_int_eq(mlp_net_create_precision(&F.net, 3, a, 2, p), MLP_OK);
    ck_assert_int_eq(mlp_net_create_precision(&F.other, 3, b, 2, p), MLP_OK);
    ck_assert_int_eq(mlp_net_init(F.net, MLP_INIT_XAVIER, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&F.ws, F.net, 4), MLP_OK);
    F.opt = tu_optimizer(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_trainer_create(&F.tr, F.net, MLP_LOSS_BINARY_CROSSENTROPY, &F.opt, 4),
                     MLP_OK);
    uint64_t rng = 4;
    tu_fill(&rng, F.x, 12, -1, 1);
    tu_fill(&rng, F.t, 8, 0, 1);
    memcpy(F.nan_x, F.x, sizeof F.x);
    F.nan_x[5] = NAN;
    for (int i = 0; i < 12; i++) F.xf[i] = (float)F.x[i], F.nan_xf[i] = (float)F.nan_x[i];
    for (int i = 0; i < 8; i++) F.tf[i] = (float)F.t[i];
    for (int i = 0; i < 4; i++) {
        F.labels[i] = (size_t)i % 2;
        F.bad_labels[i] = (size_t)i; /* 2 and 3 are out of range for k = 2 */
    }
    ck_assert_int_eq(mlp_net_save_buffer(F.net, F.file, sizeof F.file, &F.file_size), MLP_OK);
    F.fit = tu_fit_options();
    F.fit.epochs = 1;
    F.fit.batch_size = 4;
    F.val = TU_DATA14(F.nan_x, F.t, 4);
    mlp_layer_spec_init(&spec_out, sizeof spec_out);
    mlp_provenance_init(&prov_out, sizeof prov_out);
    mlp_fit_result_init(&fit_out, sizeof fit_out);
    mlp_scores_init(&scores_out, sizeof scores_out);
    mlp_blas_info_init(&info_out, sizeof info_out);
    mlp_optimizer_init(&opt_out, sizeof opt_out, MLP_OPT_SGD);
}

static void teardown(void)
{
    mlp_trainer_free(F.tr);
    mlp_workspace_free(F.ws);
    mlp_net_free(F.net);
    mlp_net_free(F.other);
    memset(&F, 0, sizeof F);
}

/* Functions that return a value rather than a status, turned into one for the
 * table: MLP_OK when the value is the one expected. */
static mlp_status zero_for_null(size_t v) { return v == 0 ? MLP_OK : MLP_ERR_INVALID_ARG; }
static mlp_status null_for_null(const void *p) { return p == NULL ? MLP_OK : MLP_ERR_INVALID_ARG; }
static mlp_status same_text(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0 ? MLP_OK : MLP_ERR_INVALID_ARG;
}

/* Structs whose struct_size is wrong: 0 (never set), or larger than the library's
 * (a program built against a newer header). Each returns the call's status. */
static mlp_status with_size(size_t size, int which)
{
    switch (which) {
    case 0: {
        mlp_optimizer o = F.opt;
        o.struct_size = size;
        return mlp_trainer_create(&tr_out, F.net, MLP_LOSS_MSE, &o, 4);
    }
    case 1: {
        mlp_fit_options o = F.fit;
        o.struct_size = size;
        return mlp_trainer_fit(F.tr, NULL, TU_DATA(F.x, F.t, 4), &o);
    }
    case 2: {
        mlp_fit_result r = fit_out;
        r.struct_size = size;
        return mlp_trainer_fit(F.tr, &r, TU_DATA(F.x, F.t, 4), &F.fit);
    }
    case 3: {
        mlp_layer_spec l[1] = {MLP_LAYER(2, MLP_ACT_RELU, 1)};
        l[0].struct_size = size;
        return mlp_net_create(&net_out, 3, l, 1);
    }
    case 4: {
        mlp_dataset d = TU_DATA14(F.x, F.t, 4);
        d.struct_size = size;
        return mlp_trainer_step(F.tr, &F.value, &d);
    }
    case 5: {
        mlp_provenance p = prov_out;
        p.struct_size = size;
        return mlp_net_provenance(F.net, &p, NULL);
    }
    case 6: {
        mlp_blas_info b = info_out;
        b.struct_size = size;
        return mlp_blas_get_info(&b);
    }
    default: {
        mlp_optimizer o = opt_out;
        o.struct_size = size;
        return mlp_trainer_get_optimizer(F.tr, &o);
    }
    }
}

/* Two layer specs whose struct_size differ: an array must be set one way. */
static mlp_status mixed_specs(void)
{
    mlp_layer_spec l[2] = {MLP_LAYER(2, MLP_ACT_RELU, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    l[1].struct_size = sizeof(size_t) * 2;
    return mlp_net_create(&net_out, 3, l, 2);
}

/* A trainer set to iRPROP-, then asked for mini-batches. */
static mlp_status irprop_minibatch(void)
{
    mlp_optimizer o = tu_optimizer(MLP_OPT_IRPROP_MINUS);
    mlp_trainer *tr;
    if (mlp_trainer_create(&tr, F.net, MLP_LOSS_MSE, &o, 4) != MLP_OK) return MLP_ERR_NOMEM;
    mlp_fit_options f = F.fit;
    f.batch_size = 2;
    const mlp_status s = mlp_trainer_fit(tr, NULL, TU_DATA(F.x, F.t, 4), &f);
    mlp_trainer_free(tr);
    return s;
}

/* An optimizer with one setting changed, given to mlp_trainer_create. */
static mlp_status bad_setting(int which)
{
    mlp_optimizer o = tu_optimizer(which == 5 ? MLP_OPT_IRPROP_MINUS : MLP_OPT_ADAM);
    switch (which) {
    case 0: o.schedule = (mlp_schedule)77; break;
    case 1: o.schedule = MLP_SCHEDULE_COSINE; break; /* cosine_epochs is 0 */
    case 2: o.schedule = MLP_SCHEDULE_STEP, o.schedule_factor = 1; break;
    case 3: o.schedule = MLP_SCHEDULE_PLATEAU, o.schedule_patience = 0; break;
    case 4: o.schedule = MLP_SCHEDULE_EXPONENTIAL, o.schedule_min_lr = 1; break; /* > lr */
    default: o.schedule = MLP_SCHEDULE_STEP; break; /* iRPROP- has no rate */
    }
    return mlp_trainer_create(&tr_out, F.net, MLP_LOSS_MSE, &o, 4);
}

/* A softmax over one node (constant: nothing can train it) with a loss. */
static mlp_status one_node_softmax(mlp_loss loss)
{
    const mlp_layer_spec l[1] = {MLP_LAYER(1, MLP_ACT_SOFTMAX, 1)};
    mlp_net *n;
    if (mlp_net_create(&n, 3, l, 1) != MLP_OK) return MLP_ERR_NOMEM;
    mlp_trainer *tr = NULL;
    const mlp_status s = mlp_trainer_create(&tr, n, loss, &F.opt, 4);
    mlp_trainer_free(tr);
    mlp_net_free(n);
    return s;
}

/* A change of optimizer kind in a live trainer. */
static mlp_status other_kind(void)
{
    mlp_optimizer o = tu_optimizer(MLP_OPT_ADAM);
    return mlp_trainer_set_optimizer(F.tr, &o);
}

static const mlp_layer_spec spec_ok[1] = {MLP_LAYER(2, MLP_ACT_RELU, 1)};
static const mlp_layer_spec spec_zero[1] = {MLP_LAYER(0, MLP_ACT_RELU, 1)};
static const mlp_layer_spec spec_huge[1] = {MLP_LAYER(SIZE_MAX, MLP_ACT_RELU, 1)};
static const mlp_layer_spec spec_bad_act[1] = {MLP_LAYER(2, (mlp_activation)42, 1)};
static const mlp_layer_spec spec_overflow[2] = {MLP_LAYER(INT_MAX, MLP_ACT_RELU, 1),
                                                MLP_LAYER(INT_MAX, MLP_ACT_RELU, 1)};
static const double inf_bias[2] = {0, INFINITY};
static const size_t BIG = (size_t)INT_MAX + 1;

/* Row i of the table: sets the expected status and the row's text, returns the
 * status the call gave. text is NULL past the last row. */
static mlp_status row(int i, mlp_status *expected, const char **text)
{
    enum { BASE = __COUNTER__ + 1 };
    switch (i) {
#define CASE(e, expr)                                                                          \
    case __COUNTER__ - BASE:                                                                   \
        *expected = (e);                                                                       \
        *text = #expr;                                                                         \
        return (expr);
        /* status and version */
        CASE(MLP_OK, same_text(mlp_strerror((mlp_status)999), "unknown status"))
        CASE(MLP_OK, same_text(mlp_strerror((mlp_status)-1), "unknown status"))
        CASE(MLP_OK, same_text(mlp_version(), MLP_VERSION_STRING))
        /* activations */
        CASE(MLP_OK, null_for_null(mlp_activation_name((mlp_activation)-5)))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_forward(MLP_ACT_RELU, NULL, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_forward(MLP_ACT_RELU, F.out, NULL, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_forward(MLP_ACT_RELU, F.out, F.x, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_forward(tu_unknown_activation(), F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_from_name(&act_out, "swish"))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_from_name(NULL, "relu"))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_from_name(&act_out, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_derivative(MLP_ACT_SOFTMAX, F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_activation_derivative((mlp_activation)-1, F.out, F.x, 4))
        CASE(MLP_OK, mlp_activation_forward(MLP_ACT_TANH, F.out, F.nan_x, 12)) /* NaN flows */
        /* networks */
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(NULL, 3, spec_ok, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 3, NULL, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 0, spec_ok, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, SIZE_MAX, spec_ok, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 3, spec_ok, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 3, spec_ok, SIZE_MAX))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 3, spec_zero, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 3, spec_huge, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_create(&net_out, 3, spec_bad_act, 1))
        CASE(MLP_ERR_NOMEM, mlp_net_create(&net_out, INT_MAX, spec_overflow, 2))
        CASE(MLP_OK, zero_for_null(mlp_net_n_inputs(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_net_n_outputs(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_net_n_layers(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_net_n_params(NULL)))
        CASE(MLP_OK, null_for_null(mlp_net_params(NULL)))
        CASE(MLP_OK, null_for_null(mlp_net_params_const(NULL)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_layer(NULL, 0, &spec_out, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_layer(F.net, 0, NULL, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_layer(F.net, SIZE_MAX, &spec_out, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_weights(NULL, 0, F.x, 12))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_weights(F.net, 0, NULL, 12))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_weights(F.net, 2, F.x, 12))
        CASE(MLP_ERR_SHAPE, mlp_net_set_weights(F.net, 0, F.x, 11))
        CASE(MLP_ERR_SHAPE, mlp_net_set_weights(F.net, 0, F.x, SIZE_MAX))
        CASE(MLP_ERR_NUMERIC, mlp_net_set_weights(F.net, 0, F.nan_x, 12))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_get_weights(F.net, 0, NULL, 12))
        CASE(MLP_ERR_SHAPE, mlp_net_get_weights(F.net, 1, F.out, 12))
        CASE(MLP_ERR_SHAPE, mlp_net_set_bias(F.net, 0, F.x, 3))
        CASE(MLP_ERR_NUMERIC, mlp_net_set_bias(F.net, 1, inf_bias, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_get_bias(NULL, 0, F.out, 4))
        CASE(MLP_ERR_SHAPE, mlp_net_get_bias(F.net, 0, F.out, 0))
        /* workspaces and prediction */
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_create(NULL, F.net, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_create(&ws_out, NULL, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_create(&ws_out, F.net, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_create(&ws_out, F.net, BIG))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_create(&ws_out, F.net, SIZE_MAX))
        CASE(MLP_OK, zero_for_null(mlp_workspace_max_batch(NULL)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict(NULL, F.ws, F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict(F.net, NULL, F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict(F.net, F.ws, NULL, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict(F.net, F.ws, F.out, NULL, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict(F.net, F.ws, F.out, F.x, 0))
        CASE(MLP_ERR_SHAPE, mlp_net_predict(F.net, F.ws, F.out, F.x, 5))
        CASE(MLP_ERR_SHAPE, mlp_net_predict(F.net, F.ws, F.out, F.x, SIZE_MAX))
        CASE(MLP_ERR_SHAPE, mlp_net_predict(F.other, F.ws, F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_f32(NULL, F.ws, out_floats(), F.xf, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_f32(F.net, NULL, out_floats(), F.xf, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_f32(F.net, F.ws, NULL, F.xf, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_f32(F.net, F.ws, out_floats(), NULL, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_f32(F.net, F.ws, out_floats(), F.xf, 0))
        CASE(MLP_ERR_SHAPE, mlp_net_predict_f32(F.net, F.ws, out_floats(), F.xf, 5))
        CASE(MLP_ERR_SHAPE, mlp_net_predict_f32(F.net, F.ws, out_floats(), F.xf, SIZE_MAX))
        CASE(MLP_ERR_SHAPE, mlp_net_predict_f32(F.other, F.ws, out_floats(), F.xf, 4))
        CASE(MLP_ERR_INVALID_ARG, mixed_rows(0))
        CASE(MLP_ERR_INVALID_ARG, mixed_rows(1))
        CASE(MLP_ERR_INVALID_ARG, mixed_rows(2))
        CASE(MLP_ERR_INVALID_ARG, mixed_rows(3))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_step(F.tr, &F.value, floats(F.xf, 3, NULL, 2, 4)))
        CASE(MLP_ERR_SHAPE, mlp_trainer_step(F.tr, &F.value, floats(F.xf, 2, F.tf, 2, 4)))
        CASE(MLP_ERR_SHAPE, mlp_trainer_step(F.tr, &F.value, floats(F.xf, 3, F.tf, 2, SIZE_MAX)))
        CASE(MLP_ERR_NUMERIC, mlp_trainer_step(F.tr, &F.value, floats(F.nan_xf, 3, F.tf, 2, 4)))
        CASE(MLP_ERR_NUMERIC, mlp_trainer_fit(F.tr, &fit_out, floats(F.nan_xf, 3, F.tf, 2, 4), &F.fit))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(F.tr, &fit_out, float_classes(F.tf), &F.fit))
        CASE(MLP_ERR_NUMERIC, mlp_net_fit_scaling(F.net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, floats(F.nan_xf, 3, F.tf, 2, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_score(F.net, F.ws, &scores_out, NULL, float_classes(F.nan_xf)))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_layer_output(NULL, 0, &cptr_out, &rows_out, &cols_out))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_layer_output(F.ws, 0, NULL, &rows_out, &cols_out))
        CASE(MLP_ERR_INVALID_ARG, mlp_workspace_layer_output(F.ws, 9, &cptr_out, &rows_out, &cols_out))
        /* losses */
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_error(NULL, F.x, F.t, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_error(F.out, NULL, F.t, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_error(F.out, F.x, NULL, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_error(F.out, F.x, F.t, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_mse(NULL, F.x, F.t, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_mse(F.out, F.x, F.t, 0))
        CASE(MLP_OK, null_for_null(mlp_loss_name(tu_unknown_loss())))
        CASE(MLP_ERR_INVALID_ARG, mlp_loss_from_name(&loss_out, "MSE"))
        /* the linear model */
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_predict(NULL, F.x, F.t, 4, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_predict(F.out, F.x, F.t, 0, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_predict(F.out, F.x, F.t, BIG, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_predict(F.out, F.x, F.t, 4, SIZE_MAX))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_slope(F.out, F.x, NULL, 4, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_slope(F.out, F.x, F.t, 4, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_update(F.out, F.x, 3, NAN))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_update(F.out, F.x, 3, -INFINITY))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_update(F.out, F.x, BIG, 0.1))
        CASE(MLP_ERR_INVALID_ARG, mlp_linear_descend(F.out, NULL, F.x, F.t, 4, 3, INFINITY, 5))
        CASE(MLP_ERR_NUMERIC, mlp_linear_descend(F.out, NULL, F.nan_x, F.t, 4, 3, 0.1, 5))
        /* gradients */
        CASE(MLP_ERR_INVALID_ARG,
             mlp_net_gradient(F.net, F.ws, MLP_LOSS_MSE, NULL, &F.value, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_gradient(F.net, F.ws, MLP_LOSS_CATEGORICAL_CROSSENTROPY,
                                                   F.out, &F.value, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG,
             mlp_net_gradient(F.net, F.ws, (mlp_loss)-1, F.out, &F.value, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_SHAPE,
             mlp_net_gradient(F.net, F.ws, MLP_LOSS_MSE, F.out, &F.value, TU_DATA(F.x, F.t, 5)))
        CASE(MLP_ERR_SHAPE,
             mlp_net_gradient(F.other, F.ws, MLP_LOSS_MSE, F.out, &F.value, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG,
             mlp_net_gradient_check(&F.value, F.net, MLP_LOSS_MSE, TU_DATA(F.x, F.t, 4), INFINITY))
        CASE(MLP_ERR_INVALID_ARG,
             mlp_net_gradient_check(&F.value, F.net, MLP_LOSS_MSE, TU_DATA(F.x, F.t, 4), -1e-3))
        CASE(MLP_ERR_INVALID_ARG,
             mlp_net_gradient_check(&F.value, F.net, MLP_LOSS_MSE, TU_DATA(NULL, F.t, 4), 1e-3))
        /* initialization */
        CASE(MLP_ERR_INVALID_ARG, mlp_net_init(NULL, MLP_INIT_HE, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_init(F.net, (mlp_init)99, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_init_from_name(&init_out, "glorot"))
        /* training */
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_create(NULL, F.net, MLP_LOSS_MSE, &F.opt, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_create(&tr_out, F.net, MLP_LOSS_MSE, NULL, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_create(&tr_out, F.net, MLP_LOSS_MSE, &F.opt, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_create(&tr_out, F.net, MLP_LOSS_MSE, &F.opt, BIG))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_create(&tr_out, F.net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &F.opt, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_step(NULL, &F.value, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_step(F.tr, &F.value, TU_DATA(F.x, F.t, 0)))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_step(F.tr, &F.value, NULL))
        CASE(MLP_ERR_SHAPE, mlp_trainer_step(F.tr, &F.value, TU_DATA(F.x, F.t, SIZE_MAX)))
        CASE(MLP_ERR_NUMERIC, mlp_trainer_step(F.tr, &F.value, TU_DATA(F.nan_x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(F.tr, &fit_out, TU_DATA(NULL, F.t, 4), &F.fit))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(F.tr, &fit_out, TU_DATA(F.x, F.t, 0), &F.fit))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(F.tr, &fit_out, NULL, &F.fit))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(NULL, &fit_out, TU_DATA(F.x, F.t, 4), &F.fit))
        CASE(MLP_ERR_NUMERIC, mlp_trainer_fit(F.tr, &fit_out, TU_DATA(F.nan_x, F.t, 4), &F.fit))
        CASE(MLP_ERR_NUMERIC, mlp_trainer_fit(F.tr, &fit_out, TU_DATA(F.x, F.t, 4),
                                              (F.fit.validation = &F.val, &F.fit)))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(F.tr, &fit_out, TU_DATA(F.x, F.t, 4),
                                                  (F.fit.max_abs_weight = 0, &F.fit)))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_fit(F.tr, &fit_out, TU_DATA(F.x, F.t, 4),
                                                  (F.fit.max_abs_weight = NAN, &F.fit)))
        CASE(MLP_ERR_INVALID_ARG, irprop_minibatch())
        CASE(MLP_ERR_INVALID_ARG, one_node_softmax(MLP_LOSS_CATEGORICAL_CROSSENTROPY))
        CASE(MLP_ERR_INVALID_ARG, one_node_softmax(MLP_LOSS_MSE))
        CASE(MLP_ERR_INVALID_ARG, bad_setting(0))
        CASE(MLP_ERR_INVALID_ARG, bad_setting(1))
        CASE(MLP_ERR_INVALID_ARG, bad_setting(2))
        CASE(MLP_ERR_INVALID_ARG, bad_setting(3))
        CASE(MLP_ERR_INVALID_ARG, bad_setting(4))
        CASE(MLP_ERR_INVALID_ARG, bad_setting(5))
        CASE(MLP_ERR_INVALID_ARG, other_kind())
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_set_learning_rate(F.tr, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_set_learning_rate(F.tr, INFINITY))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_set_learning_rate(NULL, 0.1))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_set_optimizer(F.tr, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_reserve(F.tr, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_reserve(F.tr, BIG))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_get_optimizer(F.tr, NULL))
        CASE(MLP_OK, zero_for_null(mlp_trainer_max_batch(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_trainer_epochs(NULL)))
        CASE(MLP_OK, null_for_null(mlp_trainer_net(NULL)))
        CASE(MLP_ERR_INVALID_ARG,
             mlp_optimizer_init(&opt_out, sizeof opt_out, tu_unknown_optimizer()))
        CASE(MLP_ERR_INVALID_ARG, mlp_optimizer_from_name(&kind_out, "bfgs"))
        CASE(MLP_ERR_INVALID_ARG, mlp_schedule_from_name(&schedule_out, "linear"))
        CASE(MLP_OK, null_for_null(mlp_schedule_name((mlp_schedule)-1)))
        CASE(MLP_OK, null_for_null(mlp_optimizer_name(tu_unknown_optimizer())))
        /* data files, preprocessing, splits and scores, export (since 1.2) */
        CASE(MLP_ERR_INVALID_ARG, mlp_csv_options_init(NULL, sizeof csv_opt))
        CASE(MLP_ERR_INVALID_ARG, mlp_csv_options_init(&csv_opt, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_table_read_csv(NULL, "x.csv", (mlp_csv_options_init(&csv_opt, sizeof csv_opt), &csv_opt)))
        CASE(MLP_ERR_INVALID_ARG, mlp_table_read_csv(&table_out, NULL, &csv_opt))
        CASE(MLP_ERR_INVALID_ARG, mlp_table_read_csv(&table_out, "x.csv", NULL))
        CASE(MLP_ERR_IO, mlp_table_read_csv(&table_out, "/nonexistent/x.csv", (mlp_csv_options_init(&csv_opt, sizeof csv_opt), &csv_opt)))
        CASE(MLP_ERR_INVALID_ARG, mlp_table_read_csv_file(&table_out, NULL, "x", &csv_opt))
        CASE(MLP_ERR_INVALID_ARG, mlp_csv_stream_open(NULL, "x.csv", &csv_opt))
        CASE(MLP_ERR_IO, mlp_csv_stream_open(&stream_out, "/nonexistent/x.csv", (mlp_csv_options_init(&csv_opt, sizeof csv_opt), csv_opt.target = "", &csv_opt)))
        CASE(MLP_ERR_INVALID_ARG, mlp_csv_stream_open_file(&stream_out, NULL, "x", &csv_opt))
        CASE(MLP_ERR_INVALID_ARG, mlp_csv_stream_read(NULL, &table_out, 4))
        CASE(MLP_OK, zero_for_null(mlp_table_rows(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_table_n_inputs(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_table_n_targets(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_table_n_classes(NULL)))
        CASE(MLP_OK, zero_for_null((size_t)mlp_table_is_classification(NULL)))
        CASE(MLP_OK, null_for_null(mlp_table_inputs(NULL)))
        CASE(MLP_OK, null_for_null(mlp_table_targets(NULL)))
        CASE(MLP_OK, null_for_null(mlp_table_input_name(NULL, 0)))
        CASE(MLP_OK, null_for_null(mlp_table_target_name(NULL, 0)))
        CASE(MLP_OK, null_for_null(mlp_table_class_name(NULL, 0)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_fit_scaling(NULL, MLP_SCALE_STANDARD, MLP_SCALE_NONE, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_fit_scaling(F.net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_fit_scaling(F.net, (mlp_scaling)3, MLP_SCALE_NONE, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_fit_scaling(F.net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, TU_DATA(F.x, F.t, 0)))
        CASE(MLP_ERR_NUMERIC, mlp_net_fit_scaling(F.net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, TU_DATA(F.nan_x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_get_scaling(NULL, F.out, NULL, NULL, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_transform(F.net, NULL, NULL, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_transform(NULL, F.out, NULL, TU_DATA(F.x, F.t, 4)))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_raw(F.net, NULL, F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_predict_raw(F.net, F.ws, F.out, NULL, 4))
        CASE(MLP_ERR_SHAPE, mlp_net_predict_raw(F.net, F.ws, F.out, F.x, 5))
        CASE(MLP_ERR_SHAPE, mlp_net_predict_raw(F.other, F.ws, F.out, F.x, 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_columns(F.net, NULL, NULL, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_columns(F.net, null_names, NULL, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_columns(F.net, three_names, three_names, 3))
        CASE(MLP_ERR_SHAPE, mlp_net_set_classes(F.net, three_names, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_classes(F.net, NULL, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_set_classes(NULL, two_names, 2))
        CASE(MLP_OK, zero_for_null(mlp_net_n_classes(NULL)))
        CASE(MLP_OK, zero_for_null(mlp_net_n_targets(NULL)))
        CASE(MLP_OK, null_for_null(mlp_net_class_name(NULL, 0)))
        CASE(MLP_OK, null_for_null(mlp_net_input_name(NULL, 0)))
        CASE(MLP_OK, null_for_null(mlp_net_target_name(NULL, 0)))
        CASE(MLP_ERR_INVALID_ARG, mlp_split(NULL, &size_out, 4, 0.5, NULL, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_split(out_counts(), &size_out, 4, NAN, NULL, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_split(out_counts(), &size_out, 4, 0.5, F.x, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_kfold(out_counts(), 4, 5, NULL, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_kfold(NULL, 4, 2, NULL, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_gather_rows(NULL, F.x, 3, rows_idx, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_gather_rows(F.out, F.x, 0, rows_idx, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_confusion(out_counts(), F.labels, F.bad_labels, 4, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_confusion(out_counts(), F.labels, F.labels, 4, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_confusion(NULL, F.labels, F.labels, 4, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_class_scores(F.out, F.out + 8, F.out + 16, NULL, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_regression_scores(F.out, NULL, NULL, NULL, F.t, 4, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_regression_scores(F.out, NULL, NULL, F.t, F.t, 0, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_export_c(F.net, NULL, "m"))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_export_c(F.net, stderr, "1m"))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_export_c(NULL, stderr, "m"))
        /* structs with a wrong struct_size: never set, or from a newer header */
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 0))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 1))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 2))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 3))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 4))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 5))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 6))
        CASE(MLP_ERR_INVALID_ARG, with_size(0, 7))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 0))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 1))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 2))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 3))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 4))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 5))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 6))
        CASE(MLP_ERR_INVALID_ARG, with_size(4096, 7))
        CASE(MLP_ERR_INVALID_ARG, mixed_specs())
        CASE(MLP_ERR_INVALID_ARG, mlp_optimizer_init(&opt_out, 3, MLP_OPT_SGD))
        CASE(MLP_ERR_INVALID_ARG, mlp_fit_options_init(NULL, sizeof F.fit))
        CASE(MLP_ERR_INVALID_ARG, mlp_fit_result_init(&fit_out, SIZE_MAX))
        CASE(MLP_ERR_INVALID_ARG, mlp_layer_spec_init(&spec_out, 0))
        CASE(MLP_ERR_INVALID_ARG, mlp_dataset_init(NULL, sizeof(mlp_dataset)))
        CASE(MLP_ERR_INVALID_ARG, mlp_provenance_init(&prov_out, 1))
        CASE(MLP_ERR_INVALID_ARG, mlp_blas_info_init(&info_out, sizeof info_out + 8))
        /* least squares and classification */
        CASE(MLP_ERR_NUMERIC, mlp_linreg(F.out, NULL, F.nan_x, F.t, 4, 3))
        CASE(MLP_ERR_SHAPE, mlp_linreg(F.out, &F.value, F.x, F.t, 3, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_linreg(F.out, NULL, F.x, F.t, BIG, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_onehot(F.out, F.bad_labels, 4, 2))
        CASE(MLP_ERR_INVALID_ARG, mlp_onehot(F.out, F.labels, SIZE_MAX, SIZE_MAX))
        CASE(MLP_ERR_INVALID_ARG, mlp_argmax((size_t *)F.out, F.x, 0, 3))
        CASE(MLP_ERR_INVALID_ARG, mlp_accuracy(&F.value, F.x, F.t, 4, 0))
        /* provenance, save and load */
        CASE(MLP_ERR_INVALID_ARG, mlp_net_provenance(NULL, &prov_out, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_provenance(F.net, NULL, &opt_out))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_loss_history(F.net, NULL, &size_out))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_loss_history(F.net, &cptr_out, NULL))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_save(F.net, NULL))
        CASE(MLP_ERR_IO, mlp_net_save(F.net, "/proc/no/such/dir/model.mlp"))
        CASE(MLP_ERR_SHAPE, mlp_net_save_buffer(F.net, F.out, 1, &size_out))
        CASE(MLP_ERR_INVALID_ARG, mlp_net_load(NULL, "x"))
        CASE(MLP_ERR_IO, mlp_net_load(&net_out, "/proc/no/such/file"))
        CASE(MLP_ERR_FORMAT, mlp_net_load_buffer(&net_out, F.file, 0))
        CASE(MLP_ERR_FORMAT, mlp_net_load_buffer(&net_out, F.file, F.file_size - 1))
        CASE(MLP_ERR_FORMAT, mlp_net_load_buffer(&net_out, F.x, sizeof F.x))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_save(NULL, "x"))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_load(&tr_out, NULL, "x", 4))
        CASE(MLP_ERR_INVALID_ARG, mlp_trainer_load_buffer(&tr_out, &net_out, F.file, F.file_size, 0))
        CASE(MLP_ERR_FORMAT, mlp_trainer_load_buffer(&tr_out, &net_out, F.file, F.file_size, 4))
#undef CASE
    }
    *text = NULL;
    return MLP_OK;
}

START_TEST(every_row_gives_its_status_and_changes_nothing)
{
    int rows = 0;
    tu_single = _i;
    for (int i = 0;; i++) {
        setup();
        size_t np; /* the parameters' bytes, of the network's type */
        const void *block = tu_params_of(F.net, &np);
        double params[64], x[12], t[8];
        ck_assert_uint_le(np, sizeof params);
        memcpy(params, block, np);
        memcpy(x, F.x, sizeof x);
        memcpy(t, F.t, sizeof t);
        for (int c = 0; c < OUT_CELLS; c++) F.out[c] = SENTINEL;
        F.value = SENTINEL;
        net_out = (mlp_net *)&F; /* constructors must set these to NULL on failure */
        ws_out = (mlp_workspace *)&F;
        tr_out = (mlp_trainer *)&F;

        mlp_status expected = MLP_OK;
        const char *text = NULL;
        const mlp_status got = row(i, &expected, &text);
        if (text == NULL) {
            teardown();
            break;
        }
        rows++;
        ck_assert_msg(got == expected, "row %d (%s): %s gave %s (%s), expected %s", i,
                      tu_single ? "float32" : "float64", text, mlp_strerror(got),
                      mlp_error_detail(), mlp_strerror(expected));
        if (got != MLP_OK) {
            ck_assert_msg(mlp_error_detail()[0] != '\0', "row %d: %s left no detail", i, text);
            ck_assert_msg(memcmp(params, block, np) == 0, "row %d: %s changed the network", i,
                          text);
            ck_assert_mem_eq(x, F.x, sizeof x);
            ck_assert_mem_eq(t, F.t, sizeof t);
            for (int c = 0; c < OUT_CELLS; c++)
                ck_assert_msg(F.out[c] == SENTINEL, "row %d: %s wrote its output", i, text);
            ck_assert_msg(F.value == SENTINEL || strstr(text, "step(") != NULL,
                          "row %d: %s wrote a value", i, text);
            if (strstr(text, "(&net_out") != NULL) ck_assert_ptr_null(net_out);
            if (strstr(text, "(&ws_out") != NULL) ck_assert_ptr_null(ws_out);
            if (strstr(text, "(&tr_out") != NULL) ck_assert_ptr_null(tr_out);
        }
        teardown();
    }
    ck_assert_int_gt(rows, 120);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_row_gives_its_status_and_changes_nothing, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

TU_MAIN(hostile_suite)
