/* A model scored on labelled rows: its predictions, the preprocessing applied, against
 * the rows' classes (accuracy, balanced accuracy, macro F1, the confusion matrix) or
 * values (MSE, MAE, R², in the targets' units). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"

mlp_status mlp_scores_init(mlp_scores *scores, size_t struct_size)
{
    const mlp_scores s = {.struct_size = sizeof s,
                          .accuracy = NAN,
                          .balanced_accuracy = NAN,
                          .macro_f1 = NAN,
                          .mse = NAN,
                          .mae = NAN,
                          .r2 = NAN};
    return mlp__struct_init(scores, struct_size, &s, sizeof s, __func__, "mlp_scores");
}

/* The class of a row of k predictions: the largest (the first on ties); for one
 * output, class 1 when it is above 0.5. */
static size_t class_of(const double *v, size_t k)
{
    if (k == 1) return v[0] > 0.5;
    size_t best = 0;
    for (size_t c = 1; c < k; c++) best = v[c] > v[best] ? c : best;
    return best;
}

/* The class of a row of k targets starting at value `at` of d's targets (doubles or
 * floats): the largest (the first on ties); for one target, 1 when it is at least 0.5. */
static size_t target_class(const mlp__rows *d, size_t at, size_t k)
{
    if (k == 1) return mlp__value_at(d->y, d->f32, at) >= 0.5;
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (mlp__value_at(d->y, d->f32, at + c) > mlp__value_at(d->y, d->f32, at + best)) best = c;
    return best;
}

/* Accuracy, balanced accuracy and macro F1 from a (k, k) confusion matrix of n rows. */
static void class_summary(mlp_scores *out, const size_t *m, size_t k, size_t n)
{
    size_t right = 0, present = 0, labels = 0;
    double recall = 0.0, f1 = 0.0;
    for (size_t c = 0; c < k; c++) {
        size_t truth = 0, predicted = 0;
        for (size_t j = 0; j < k; j++) {
            truth += m[c * k + j];
            predicted += m[j * k + c];
        }
        right += m[c * k + c];
        if (truth > 0) {
            present++;
            recall += (double)m[c * k + c] / (double)truth;
        }
        if (truth + predicted > 0) { /* F1 = 2 tp / (2 tp + fp + fn) */
            labels++;
            f1 += 2.0 * (double)m[c * k + c] / (double)(truth + predicted);
        }
    }
    out->accuracy = (double)right / (double)n;
    out->balanced_accuracy = recall / (double)present;
    out->macro_f1 = f1 / (double)labels;
}

mlp_status mlp_net_score(const mlp_net *net, mlp_workspace *ws, mlp_scores *scores,
                         size_t *confusion, const mlp_dataset *data)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(ws);
    MLP_CHECK_PTR(scores);
    mlp_status s = mlp__struct_size_ok(scores->struct_size, sizeof *scores, __func__, "mlp_scores");
    mlp__rows d;
    if (s == MLP_OK) s = mlp__rows_in(&d, data, net, 1, __func__, "");
    if (s == MLP_OK) s = mlp__rows_check_classes(&d, __func__, "");
    if (s != MLP_OK) return s;
    MLP_CHECK(d.model, MLP_ERR_INVALID_ARG,
              "mlp_net_score: the dataset does not say its shape: build it with MLP_DATASET, "
              "MLP_DATASET_CLASSES or mlp_table_dataset()");
    const size_t k = mlp_net_n_outputs(net), n = d.n, chunk = ws->max_batch;
    const mlp_activation out = net->layers[net->n_layers - 1].act;
    const size_t K = d.classes > 0 || (k > 1 && out == MLP_ACT_SOFTMAX) ||
                             (k == 1 && out == MLP_ACT_SIGMOID)
                         ? mlp__output_classes(net)
                         : 0;
    size_t r = 0, c = 0;
#define Y(i) mlp__value_at(d.y, d.f32, i) /* the targets, doubles or floats */
    if (d.classes == 0)
        for (size_t i = 0; i < n * k; i++)
            MLP_CHECK(isfinite(Y(i)), MLP_ERR_NUMERIC,
                      "mlp_net_score: row %zu's target %zu is not finite", i / k, i % k);

    mlp_scores res;
    mlp_scores_init(&res, sizeof res);
    res.n = n;
    res.n_classes = K;
    size_t *m = confusion;
    double *col = NULL; /* regression: per column, the mean target, SSE, SAE, SS_tot */
    if (K > 0 && m == NULL) m = malloc(K * K * sizeof *m);
    if (K == 0) col = calloc(4 * k, sizeof *col);
    if ((K > 0 && m == NULL) || (K == 0 && col == NULL)) {
        if (m != confusion) free(m);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_net_score: cannot allocate the scores of %zu %s",
                         K > 0 ? K : k, K > 0 ? "classes" : "columns");
    }
    if (K > 0) memset(m, 0, K * K * sizeof *m);
    if (K == 0) {
        for (size_t i = 0; i < n; i++)
            for (c = 0; c < k; c++) col[c] += Y(i * k + c);
        for (c = 0; c < k; c++) col[c] /= (double)n;
    }
    /* (chunk, k): a float64 workspace's targets, free while predicting; a float32
     * workspace's are floats */
    double *own = ws->f32 ? malloc(chunk * k * sizeof *own) : NULL,
           *p = ws->f32 ? own : ws->targets;
    if (p == NULL)
        s = mlp__fail(MLP_ERR_NOMEM, "mlp_net_score: cannot allocate the predictions of %zu rows",
                      chunk);
    for (r = 0; r < n && s == MLP_OK; r += chunk) {
        const size_t rows = n - r < chunk ? n - r : chunk;
        s = mlp__predict_rows(net, ws, p, &d, r, rows, __func__);
        for (size_t i = 0; i < rows * k && s == MLP_OK; i++)
            if (!isfinite(p[i]))
                s = mlp__fail(MLP_ERR_NUMERIC, "mlp_net_score: the prediction of row %zu is "
                                               "not finite", r + i / k);
        for (size_t i = 0; i < rows && s == MLP_OK; i++) {
            const double *pi = p + i * k;
            const size_t yi = (r + i) * (d.classes > 0 ? 1 : k); /* the row's first target */
            if (K > 0) {
                const size_t truth = d.classes > 0 ? (size_t)Y(yi) : target_class(&d, yi, k);
                m[truth * K + class_of(pi, k)]++;
                continue;
            }
            for (c = 0; c < k; c++) {
                const double e = pi[c] - Y(yi + c), t = Y(yi + c) - col[c];
                col[k + c] += e * e;
                col[2 * k + c] += fabs(e);
                col[3 * k + c] += t * t;
            }
        }
    }
#undef Y
    if (s == MLP_OK && K > 0) class_summary(&res, m, K, n);
    if (s == MLP_OK && K == 0) {
        double sse = 0.0, sae = 0.0, r2 = 0.0;
        for (c = 0; c < k; c++) {
            sse += col[k + c];
            sae += col[2 * k + c];
            /* a constant column scores 1 if predicted exactly, else 0 (scikit-learn) */
            r2 += col[3 * k + c] > 0 ? 1.0 - col[k + c] / col[3 * k + c] : col[k + c] == 0;
        }
        res.mse = sse / (double)(n * k);
        res.mae = sae / (double)(n * k);
        res.r2 = r2 / (double)k;
    }
    if (m != confusion) free(m);
    free(col);
    free(own);
    if (s == MLP_OK) mlp__struct_out(scores, &res, sizeof res, __func__, "mlp_scores");
    return s;
}
