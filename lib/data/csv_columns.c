/* A table's own input columns (lib/data/): while the rows are read, each column's
 * numbers, missing cells and distinct texts; once they are all in, each column's kind,
 * categories and fill decided and the rows encoded into the inputs they make. And the
 * fields of a table read as a model reads its columns. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

typedef mlp__csv_reader reader;

/* An input field of a table that decides its own columns (READ_FIT): a number, a
 * missing cell (NaN, counted) or a text (its code in the column's set). */
void mlp__csv_fit_field(reader *r, size_t c, size_t j, const char *s, size_t len)
{
    mlp__csv_col *col = &r->cols[j];
    char cname[96];
    r->row_code[j] = UINT32_MAX;
    r->row_x[j] = NAN;
    if (mlp__csv_is_missing(r, s, len)) {
        col->n_missing++;
        return;
    }
    if (col->declared != 1 + MLP_COLUMN_CATEGORICAL) {
        double v;
        const int p = mlp__csv_number(s, len, &v);
        if (p == 1) {
            r->row_x[j] = v;
            col->n_number++;
            return;
        }
        if (p < 0 || col->declared == 1 + MLP_COLUMN_NUMERIC) {
            mlp__csv_column_name(r, c, cname, sizeof cname);
            mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): \"%.*s\" is not a finite "
                 "number%s", r->line, c + 1, cname, (int)(len < 40 ? len : 40), s,
                 p < 0 ? "" : " (the column is declared numeric)");
            return;
        }
    }
    if (!mlp__csv_utf8_ok((const unsigned char *)s, len) || memchr(s, '\0', len) != NULL) {
        mlp__csv_column_name(r, c, cname, sizeof cname);
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): the value is not UTF-8 text (or "
             "holds a NUL byte, which no model file keeps)", r->line, c + 1, cname);
        return;
    }
    size_t k = mlp__strset_find(&col->set, s, len);
    if (k == SIZE_MAX) {
        if (col->set.n == r->max_categories) {
            mlp__csv_column_name(r, c, cname, sizeof cname);
            mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): more than %zu distinct values "
                 "(an identifier, or free text?): leave the column out (the ignore option; mlp's "
                 "--ignore), or allow more categories (max_categories; --max-categories)",
                 r->line, c + 1, cname, r->max_categories);
            return;
        }
        if (!mlp__strset_add(r, &col->set, s, len, &k)) return;
    }
    if (col->code == NULL) { /* the rows before had no text here */
        col->code_cap = r->cap > r->rows ? r->cap : r->rows + 1;
        col->code = malloc(col->code_cap * sizeof *col->code);
        if (col->code == NULL) {
            mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu rows", col->code_cap);
            return;
        }
        for (size_t i = 0; i < r->rows; i++) col->code[i] = UINT32_MAX;
    }
    if (col->n_text++ == 0) col->text_line = r->line;
    r->row_code[j] = (uint32_t)k;
}

/* An input field read as a model reads its column j (READ_MODEL). */
void mlp__csv_model_field(reader *r, size_t c, size_t j, const char *s, size_t len)
{
    const int e = mlp__encode_field(r->mc, j, r->row_x, s, len);
    if (e == 1) r->col_missing[j]++;
    if (e == 2 && r->col_unseen[j]++ == 0 && r->first_unseen != NULL)
        r->first_unseen[j] = mlp__csv_copy(s, len); /* NULL without memory: not told */
    if (e < 0) {
        char cname[96];
        mlp__csv_column_name(r, c, cname, sizeof cname);
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): \"%.*s\" is not a finite number "
             "(the model reads this column as numbers)", r->line, c + 1, cname,
             (int)(len < 40 ? len : 40), s);
    }
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest of a[0..n) (a reordered: a[k] holds it, nothing after k is smaller,
 * nothing before larger). Three-way partitions around a median of three; a file built
 * to make them slow runs out of their budget and is sorted instead (O(n log n)). */
static double kth_smallest(double *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n, budget = 16;
    for (size_t m = n; m > 1; m >>= 1) budget += 2;
    while (hi - lo > 1) {
        if (budget-- == 0) {
            qsort(a + lo, hi - lo, sizeof *a, by_value);
            return a[k];
        }
        const double x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
        const double p = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        size_t lt = lo, i = lo, gt = hi; /* [lo, lt) < p, [lt, i) == p, [gt, hi) > p */
        while (i < gt) {
            const double v = a[i];
            if (v < p) a[i++] = a[lt], a[lt++] = v;
            else if (v > p) a[i] = a[--gt], a[gt] = v;
            else i++;
        }
        if (k < lt) hi = lt;
        else if (k >= gt) lo = gt;
        else return p;
    }
    return a[k];
}

/* The fill of numeric column j: the median, or the mean, of its numbers. */
static int fill_of(reader *r, size_t j, double *fill)
{
    const size_t n = r->cols[j].n_number;
    double *v = malloc(n * sizeof *v);
    if (v == NULL) return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu values", n);
    size_t m = 0;
    for (size_t i = 0; i < r->rows; i++) { /* the rows kept: a row without a target is not */
        const double x = r->x[i * r->n_raw + j];
        if (!isnan(x)) v[m++] = x;
    }
    if (m == 0) { /* its numbers were all in rows left out */
        char cname[96];
        mlp__csv_column_name(r, r->col_of[j], cname, sizeof cname);
        free(v);
        return mlp__csv_fail(r, MLP_ERR_FORMAT, "column %s holds no value in the rows that have "
                    "a target: leave it out (the ignore option; mlp's --ignore)", cname);
    }
    if (r->o->impute == MLP_IMPUTE_MEAN) { /* each term at most max|v| / m: no overflow */
        double sum = 0;
        for (size_t i = 0; i < m; i++) sum += v[i] / (double)m;
        *fill = sum;
    } else {
        const double hi = kth_smallest(v, m, m / 2);
        double lo = hi;
        if (m % 2 == 0) { /* the largest below the middle: the other one of the pair */
            lo = v[0];
            for (size_t i = 1; i < m / 2; i++) lo = v[i] > lo ? v[i] : lo;
        }
        *fill = lo / 2 + hi / 2;
    }
    free(v);
    return 1;
}

/* Column j's kind, categories and fill; its codes renumbered to the sorted categories. */
static void decide_column(reader *r, size_t j, mlp__column *oc)
{
    mlp__csv_col *col = &r->cols[j];
    char cname[96];
    mlp__csv_column_name(r, r->col_of[j], cname, sizeof cname);
    const size_t present = col->n_number + col->n_text;
    if (present == 0) {
        mlp__csv_fail(r, MLP_ERR_FORMAT, "column %s holds no value (every one of its %zu cells is "
             "missing): leave it out (the ignore option; mlp's --ignore)", cname, r->rows);
        return;
    }
    const int declared = col->declared == 1 + MLP_COLUMN_CATEGORICAL;
    if (!declared && col->n_text > 0 && col->n_number > 0) {
        mlp__csv_fail(r, MLP_ERR_FORMAT, "column %s holds %zu numbers and %zu texts (the first, "
             "\"%.40s\", at line %zu): if the texts mean a missing value, list them as missing "
             "(the missing option; mlp's --na); if the column holds categories, declare it "
             "categorical (--categorical); or leave it out (--ignore)", cname, col->n_number,
             col->n_text, col->set.s[0], col->text_line);
        return;
    }
    if (col->n_text == 0) {
        oc->kind = MLP_COLUMN_NUMERIC;
        oc->indicator = r->o->missing_indicators && col->n_missing > 0;
        fill_of(r, j, &oc->fill);
        return;
    }
    const size_t k = col->set.n;
    if (!declared && k > 10 && 2 * k > present) {
        mlp__csv_fail(r, MLP_ERR_FORMAT, "column %s holds %zu distinct texts in %zu cells: values that "
             "so rarely repeat are no categories to learn from (an identifier, or free text?): "
             "leave it out (the ignore option; mlp's --ignore), or declare it categorical "
             "(--categorical) to encode it anyway", cname, k, present);
        return;
    }
    char **sorted = malloc(k * sizeof *sorted);
    size_t *map = malloc(k * sizeof *map);
    if (sorted == NULL || map == NULL) {
        free(sorted), free(map);
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu categories", k);
        return;
    }
    mlp__strset_sort(&col->set, sorted, map);
    for (size_t i = 0; i < r->rows; i++)
        if (col->code[i] != UINT32_MAX) col->code[i] = (uint32_t)map[col->code[i]];
    free(map);
    oc->kind = MLP_COLUMN_CATEGORICAL;
    oc->categories = sorted; /* the strings move from the set to the column */
    oc->n_categories = k;
    free(col->set.s);
    col->set.s = NULL;
    col->set.n = 0;
    oc->missing_category = col->n_missing > 0;
}

void mlp__csv_decide(reader *r)
{
    mlp__columns *cs = &r->own;
    cs->c = calloc(r->n_raw, sizeof *cs->c);
    if (cs->c == NULL) {
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu columns", r->n_raw);
        return;
    }
    cs->n = r->n_raw;
    size_t width = 0;
    int same = 1; /* every column a number without an indicator: the rows stay as read */
    for (size_t j = 0; j < r->n_raw && r->status == MLP_OK; j++) {
        mlp__column *oc = &cs->c[j];
        oc->name = mlp__csv_name_copy(r, r->col_of[j]);
        if (oc->name == NULL) {
            mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate a column name");
            break;
        }
        decide_column(r, j, oc);
        width += mlp__column_width(oc);
        same &= oc->kind == MLP_COLUMN_NUMERIC && !oc->indicator;
        r->col_missing[j] = r->cols[j].n_missing;
    }
    if (r->status != MLP_OK) return;
    const mlp_status s = mlp__columns_check(cs, width, MLP_ERR_FORMAT, r->name);
    if (s != MLP_OK) {
        r->status = s;
        return;
    }
    if (same) { /* missing numbers filled in place */
        for (size_t i = 0; i < r->rows * r->n_raw; i++)
            if (isnan(r->x[i])) r->x[i] = cs->c[i % r->n_raw].fill;
        return;
    }
    if (r->rows > SIZE_MAX / sizeof(double) / width) {
        mlp__csv_fail(r, MLP_ERR_NOMEM, "%zu rows of %zu inputs overflow memory", r->rows, width);
        return;
    }
    double *x = calloc(r->rows * width, sizeof *x);
    if (x == NULL) {
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu rows of %zu inputs", r->rows, width);
        return;
    }
    for (size_t i = 0; i < r->rows; i++) {
        double *out = x + i * width;
        for (size_t j = 0; j < r->n_raw; j++) {
            const mlp__column *oc = &cs->c[j];
            const double v = r->x[i * r->n_raw + j]; /* NaN: missing, or a text's */
            const uint32_t code = r->cols[j].code != NULL ? r->cols[j].code[i] : UINT32_MAX;
            const int missing = oc->kind == MLP_COLUMN_NUMERIC ? isnan(v) : code == UINT32_MAX;
            mlp__column_put(oc, out + oc->first, v, missing ? SIZE_MAX : code, missing);
        }
    }
    free(r->x);
    r->x = x;
    r->n_in = width;
}
