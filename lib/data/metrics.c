/* Splitting rows and scoring predictions: seeded (and stratified) train/test splits
 * and k folds, the confusion matrix with precision, recall and F1 per class, and
 * MSE, MAE and R² as scikit-learn defines them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"

/* Fisher-Yates over a[0..n) from rng. */
static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(mlp__rng_next(rng) % (uint64_t)i), t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* The class of each row as an index, checked: a whole number in [0, n_rows). */
static mlp_status class_of(const double *labels, size_t i, size_t n, size_t *c, const char *fn)
{
    const double v = labels[i];
    MLP_CHECK(v >= 0 && v < (double)n && v == floor(v), MLP_ERR_INVALID_ARG,
              "%s: row %zu's class is %g, not a class index", fn, i, v);
    *c = (size_t)v;
    return MLP_OK;
}

/* Rows grouped by class (counting sort): order holds them class by class, start[c]
 * where class c begins (start has `classes + 1` entries). */
static mlp_status group(size_t *order, size_t **start_out, size_t *classes, const double *labels,
                        size_t n, const char *fn)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        mlp_status s = class_of(labels, i, n, &c, fn);
        if (s != MLP_OK) return s;
        if (c + 1 > k) k = c + 1;
    }
    size_t *start = calloc(k + 1, sizeof *start);
    MLP_CHECK(start != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu classes", fn, k);
    for (size_t i = 0; i < n; i++) start[(size_t)labels[i] + 1]++;
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    size_t *next = malloc((k ? k : 1) * sizeof *next);
    if (next == NULL) {
        free(start);
        return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu classes", fn, k);
    }
    memcpy(next, start, k * sizeof *next);
    for (size_t i = 0; i < n; i++) order[next[(size_t)labels[i]]++] = i;
    free(next);
    *start_out = start;
    *classes = k;
    return MLP_OK;
}

/* A dataset's class indices for a stratified split, NULL for values; a dataset must
 * say its shape (1.5), so that values are never taken for classes. */
static mlp_status classes_of(const double **labels, double **owned, size_t *n,
                             const mlp_dataset *data, const char *fn)
{
    MLP_CHECK_PTR(data);
    mlp_dataset d = {.struct_size = sizeof d};
    mlp_status s = mlp__struct_in(&d, sizeof d, data, fn, "mlp_dataset");
    if (s != MLP_OK) return s;
    MLP_CHECK(data->struct_size >= MLP__END(mlp_dataset, n_classes), MLP_ERR_INVALID_ARG,
              "%s: the dataset does not say its shape: build it with MLP_DATASET, "
              "MLP_DATASET_CLASSES or mlp_table_dataset()",
              fn);
    const int f32 = d.x == NULL && d.x_f32 != NULL; /* as mlp__rows_in reads it */
    MLP_CHECK(d.n_classes == 0 || (f32 ? (const void *)d.y_f32 : d.y) != NULL, MLP_ERR_INVALID_ARG,
              "%s: a dataset of %zu classes without its class indices (%s is NULL)", fn,
              d.n_classes, f32 ? "y_f32" : "y");
    *labels = d.n_classes > 0 && !f32 ? d.y : NULL;
    *owned = NULL;
    *n = d.n;
    if (d.n_classes > 0 && f32) { /* float indices, widened (exact) for mlp_split */
        double *v = malloc((d.n ? d.n : 1) * sizeof *v);
        MLP_CHECK(v != NULL, MLP_ERR_NOMEM, "%s: cannot allocate the classes of %zu rows", fn, d.n);
        for (size_t i = 0; i < d.n; i++) v[i] = (double)d.y_f32[i];
        *labels = *owned = v;
    }
    return MLP_OK;
}

mlp_status mlp_dataset_split(size_t *order, size_t *n_train, const mlp_dataset *data,
                             double test_fraction, unsigned long long seed)
{
    const double *labels = NULL;
    double *owned = NULL;
    size_t n = 0;
    mlp_status s = classes_of(&labels, &owned, &n, data, __func__);
    if (s == MLP_OK) s = mlp_split(order, n_train, n, test_fraction, labels, seed);
    free(owned);
    return s;
}

mlp_status mlp_dataset_class_weights(double *w, const mlp_dataset *data,
                                     const double *class_weight)
{
    MLP_CHECK_PTR(w);
    const double *labels = NULL;
    double *owned = NULL;
    size_t n = 0;
    mlp_status s = classes_of(&labels, &owned, &n, data, __func__);
    if (s != MLP_OK) return s;
    const size_t k = data->n_classes;
    if (labels == NULL || k == 0) {
        free(owned);
        return mlp__fail(MLP_ERR_INVALID_ARG, "mlp_dataset_class_weights: the dataset holds no "
                         "classes (MLP_DATASET_CLASSES, or mlp_table_dataset() of a table of "
                         "classes)");
    }
    size_t *count = calloc(k, sizeof *count);
    s = count != NULL ? MLP_OK
                      : mlp__fail(MLP_ERR_NOMEM, "mlp_dataset_class_weights: cannot allocate "
                                  "%zu classes", k);
    for (size_t i = 0; i < n && s == MLP_OK; i++) {
        size_t c = 0;
        s = class_of(labels, i, k, &c, __func__);
        if (s == MLP_OK) count[c]++;
    }
    for (size_t c = 0; s == MLP_OK && class_weight != NULL && c < k; c++)
        if (!(isfinite(class_weight[c]) && class_weight[c] >= 0))
            s = mlp__fail(MLP_ERR_INVALID_ARG, "mlp_dataset_class_weights: class %zu's weight "
                          "is %g: a weight is a finite number, 0 or more", c, class_weight[c]);
    if (s == MLP_OK) /* balanced: n / (k · count), scikit-learn's compute_class_weight */
        for (size_t i = 0; i < n; i++) {
            const size_t c = (size_t)labels[i];
            w[i] = class_weight != NULL ? class_weight[c]
                                        : (double)n / ((double)k * (double)count[c]);
        }
    free(count);
    free(owned);
    return s;
}

mlp_status mlp_split(size_t *order, size_t *n_train, size_t n, double test_fraction,
                     const double *labels, unsigned long long seed)
{
    MLP_CHECK_PTR(order);
    MLP_CHECK_PTR(n_train);
    MLP_CHECK(n >= 2, MLP_ERR_INVALID_ARG, "mlp_split: %zu rows cannot be split", n);
    MLP_CHECK(test_fraction > 0 && test_fraction < 1, MLP_ERR_INVALID_ARG,
              "mlp_split: test_fraction is %g, must be in (0, 1)", test_fraction);
    uint64_t rng = (uint64_t)seed ^ 0x5851F42D4C957F2Dull;
    size_t *test = malloc(n * sizeof *test), *train = malloc(n * sizeof *train);
    if (test == NULL || train == NULL) {
        free(test);
        free(train);
        return mlp__fail(MLP_ERR_NOMEM, "mlp_split: cannot allocate %zu rows", n);
    }
    size_t nt = 0, nr = 0;
    if (labels == NULL) {
        for (size_t i = 0; i < n; i++) order[i] = i;
        shuffle(order, n, &rng);
        nt = (size_t)llround(test_fraction * (double)n);
        if (nt == 0) nt = 1;
        if (nt == n) nt = n - 1;
        memcpy(test, order, nt * sizeof *test);
        memcpy(train, order + nt, (n - nt) * sizeof *train);
        nr = n - nt;
    } else {
        size_t *start = NULL, k = 0;
        mlp_status s = group(order, &start, &k, labels, n, __func__);
        if (s != MLP_OK) {
            free(test);
            free(train);
            return s;
        }
        /* each class's share of the test rows, rounded; at least one row stays to train */
        for (size_t c = 0; c < k; c++) {
            size_t *rows = order + start[c];
            const size_t m = start[c + 1] - start[c];
            shuffle(rows, m, &rng);
            size_t t = (size_t)llround(test_fraction * (double)m);
            if (t == m && m > 0) t = m - 1;
            memcpy(test + nt, rows, t * sizeof *test);
            memcpy(train + nr, rows + t, (m - t) * sizeof *train);
            nt += t;
            nr += m - t;
        }
        free(start);
        /* every class too small for a test row: take one anyway (all n >= 2 rows are
         * in train then; the test says so to GCC, which warned of train[-1] at -O3) */
        if (nt == 0 && nr > 1) {
            nt = 1;
            test[0] = train[--nr];
        }
        shuffle(train, nr, &rng); /* classes interleaved, as a shuffled set is */
        shuffle(test, nt, &rng);
    }
    memcpy(order, train, nr * sizeof *order);
    memcpy(order + nr, test, nt * sizeof *order);
    *n_train = nr;
    free(test);
    free(train);
    return MLP_OK;
}

mlp_status mlp_kfold(size_t *fold, size_t n, size_t k, const double *labels,
                     unsigned long long seed)
{
    MLP_CHECK_PTR(fold);
    MLP_CHECK(k >= 2 && k <= n, MLP_ERR_INVALID_ARG, "mlp_kfold: %zu folds of %zu rows", k, n);
    uint64_t rng = (uint64_t)seed ^ 0x2545F4914F6CDD1Dull;
    size_t *order = malloc(n * sizeof *order);
    MLP_CHECK(order != NULL, MLP_ERR_NOMEM, "mlp_kfold: cannot allocate %zu rows", n);
    if (labels == NULL) {
        for (size_t i = 0; i < n; i++) order[i] = i;
        shuffle(order, n, &rng);
        for (size_t i = 0; i < n; i++) fold[order[i]] = i % k;
    } else {
        size_t *start = NULL, classes = 0;
        mlp_status s = group(order, &start, &classes, labels, n, __func__);
        if (s != MLP_OK) {
            free(order);
            return s;
        }
        /* dealt class by class, continuing the deal: every fold gets its share */
        size_t next = (size_t)(mlp__rng_next(&rng) % k);
        for (size_t c = 0; c < classes; c++) {
            shuffle(order + start[c], start[c + 1] - start[c], &rng);
            for (size_t i = start[c]; i < start[c + 1]; i++) {
                fold[order[i]] = next;
                next = (next + 1) % k;
            }
        }
        free(start);
    }
    free(order);
    return MLP_OK;
}

mlp_status mlp_gather_rows(double *dst, const double *src, size_t cols, const size_t *rows,
                           size_t n)
{
    MLP_CHECK_PTR(dst);
    MLP_CHECK_PTR(src);
    MLP_CHECK_PTR(rows);
    MLP_CHECK(cols > 0, MLP_ERR_INVALID_ARG, "mlp_gather_rows: 0 columns");
    for (size_t i = 0; i < n; i++) memcpy(dst + i * cols, src + rows[i] * cols, cols * sizeof *dst);
    return MLP_OK;
}

mlp_status mlp_confusion(size_t *matrix, const size_t *truth, const size_t *predicted, size_t n,
                         size_t k)
{
    MLP_CHECK_PTR(matrix);
    MLP_CHECK_PTR(truth);
    MLP_CHECK_PTR(predicted);
    MLP_CHECK(n > 0 && k > 0 && k <= SIZE_MAX / k, MLP_ERR_INVALID_ARG,
              "mlp_confusion: %zu rows, %zu classes", n, k);
    for (size_t i = 0; i < n; i++)
        MLP_CHECK(truth[i] < k && predicted[i] < k, MLP_ERR_INVALID_ARG,
                  "mlp_confusion: row %zu: class %zu predicted as %zu, of %zu classes", i,
                  truth[i], predicted[i], k);
    memset(matrix, 0, k * k * sizeof *matrix);
    for (size_t i = 0; i < n; i++) matrix[truth[i] * k + predicted[i]]++;
    return MLP_OK;
}

mlp_status mlp_class_scores(double *precision, double *recall, double *f1, const size_t *matrix,
                            size_t k)
{
    MLP_CHECK_PTR(matrix);
    MLP_CHECK(k > 0, MLP_ERR_INVALID_ARG, "mlp_class_scores: 0 classes");
    for (size_t c = 0; c < k; c++) {
        size_t predicted = 0, actual = 0;
        for (size_t j = 0; j < k; j++) {
            predicted += matrix[j * k + c];
            actual += matrix[c * k + j];
        }
        const double tp = (double)matrix[c * k + c];
        /* scikit-learn's zero_division=0: an undefined ratio is 0 */
        const double p = predicted ? tp / (double)predicted : 0.0;
        const double r = actual ? tp / (double)actual : 0.0;
        if (precision != NULL) precision[c] = p;
        if (recall != NULL) recall[c] = r;
        if (f1 != NULL) f1[c] = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    }
    return MLP_OK;
}

mlp_status mlp_regression_scores(double *mse, double *mae, double *r2, const double *pred,
                                 const double *target, size_t n, size_t k)
{
    MLP_CHECK_PTR(pred);
    MLP_CHECK_PTR(target);
    MLP_CHECK(n > 0 && k > 0, MLP_ERR_INVALID_ARG, "mlp_regression_scores: %zu rows, %zu columns",
              n, k);
    double se = 0.0, ae = 0.0, r2sum = 0.0;
    for (size_t c = 0; c < k; c++) {
        double mean = 0.0, ss_res = 0.0, ss_tot = 0.0;
        for (size_t i = 0; i < n; i++) mean += target[i * k + c];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            const double e = pred[i * k + c] - target[i * k + c], d = target[i * k + c] - mean;
            ss_res += e * e;
            ss_tot += d * d;
            ae += fabs(e);
        }
        se += ss_res;
        /* scikit-learn: a constant target scores 1 when predicted exactly, else 0 */
        r2sum += ss_tot > 0 ? 1.0 - ss_res / ss_tot : ss_res == 0 ? 1.0 : 0.0;
    }
    const double cells = (double)n * (double)k;
    if (mse != NULL) *mse = se / cells;
    if (mae != NULL) *mae = ae / cells;
    if (r2 != NULL) *r2 = r2sum / (double)k;
    MLP_CHECK(isfinite(se) && isfinite(ae), MLP_ERR_NUMERIC,
              "mlp_regression_scores: the errors are not finite");
    return MLP_OK;
}
