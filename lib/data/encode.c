/* Raw fields into a model's inputs (since 1.7): a number as it is, or its column's fill
 * when missing; a category one-hot, all zeros when the model never saw it. The CSV
 * reader encodes a file's cells through mlp__encode_field, and mlp_net_encode a
 * program's own rows; the columns' descriptions for tables and models are here too. */
#define _GNU_SOURCE /* uselocale, newlocale (POSIX 2008) */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "csv.h"

int mlp__encode_field(const mlp__columns *cs, size_t j, double *row, const char *s, size_t len)
{
    const mlp__column *c = &cs->c[j];
    const int missing = s == NULL || mlp__columns_is_missing(cs, s, len);
    double v = 0.0;
    size_t k = SIZE_MAX;
    if (!missing && c->kind == MLP_COLUMN_NUMERIC && mlp__csv_number(s, len, &v) != 1) return -1;
    if (!missing && c->kind != MLP_COLUMN_NUMERIC) k = mlp__column_find(c, s, len);
    mlp__column_put(c, row + c->first, v, k, missing);
    return missing ? 1 : c->kind != MLP_COLUMN_NUMERIC && k == SIZE_MAX ? 2 : 0;
}

mlp_status mlp_net_encode(const mlp_net *net, double *x, const char *const *fields, size_t n,
                          size_t *unseen)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(x);
    MLP_CHECK_PTR(fields);
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "mlp_net_encode: n is 0");
    const mlp__columns *cs = &net->prep.columns;
    MLP_CHECK(cs->n > 0, MLP_ERR_INVALID_ARG,
              "mlp_net_encode: the model keeps no columns (it was not trained from a table "
              "read by libmlp 1.7 or later): its inputs are numbers, as mlp_net_predict() "
              "takes them");
    const size_t in = net->n_inputs;
    MLP_CHECK(n <= SIZE_MAX / cs->n && n <= SIZE_MAX / in, MLP_ERR_INVALID_ARG,
              "mlp_net_encode: %zu rows overflow a size", n);
    /* every field checked before x is written: a failure leaves it as it was */
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    MLP_CHECK(c_locale != (locale_t)0, MLP_ERR_NOMEM, "mlp_net_encode: cannot create the C locale");
    locale_t previous = uselocale(c_locale);
    mlp_status s = MLP_OK;
    for (size_t i = 0; i < n && s == MLP_OK; i++)
        for (size_t j = 0; j < cs->n; j++) {
            const char *f = fields[i * cs->n + j];
            double v;
            if (cs->c[j].kind != MLP_COLUMN_NUMERIC || f == NULL ||
                mlp__columns_is_missing(cs, f, strlen(f)) || mlp__csv_number(f, strlen(f), &v) == 1)
                continue;
            s = mlp__fail(MLP_ERR_INVALID_ARG,
                          "mlp_net_encode: row %zu, column %zu (\"%.200s\"; both counted from "
                          "0): \"%.40s\" is not a finite number (the model reads this column "
                          "as numbers, written as in a CSV file)",
                          i, j, cs->c[j].name, f);
            break;
        }
    size_t count = 0;
    for (size_t i = 0; i < n && s == MLP_OK; i++)
        for (size_t j = 0; j < cs->n; j++) {
            const char *f = fields[i * cs->n + j];
            count += mlp__encode_field(cs, j, x + i * in, f, f != NULL ? strlen(f) : 0) == 2;
        }
    uselocale(previous);
    freelocale(c_locale);
    if (s == MLP_OK && unseen != NULL) *unseen = count;
    return s;
}

mlp_status mlp_column_info_init(mlp_column_info *info, size_t struct_size)
{
    MLP_CHECK_PTR(info);
    mlp_column_info d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.fill = NAN;
    return mlp__struct_init(info, struct_size, &d, sizeof d, __func__, "mlp_column_info");
}

/* Column c of cs described into the caller's info (its struct_size as it says). */
static mlp_status describe(const mlp__columns *cs, size_t c, size_t missing, size_t unseen,
                           const char *first_unseen, mlp_column_info *info, const char *fn)
{
    MLP_CHECK_PTR(info);
    MLP_CHECK(c < cs->n, MLP_ERR_INVALID_ARG, "%s: column %zu of %zu", fn, c, cs->n);
    const mlp__column *col = &cs->c[c];
    mlp_column_info d = {.struct_size = sizeof d,
                         .name = col->name,
                         .kind = (mlp_column_kind)col->kind,
                         .first_input = col->first,
                         .n_inputs = col->width,
                         .fill = col->fill,
                         .indicator = col->indicator,
                         .n_categories = col->n_categories,
                         .categories = (const char *const *)col->categories,
                         .missing_category = col->missing_category,
                         .missing = missing,
                         .unseen = unseen,
                         .first_unseen = first_unseen};
    return mlp__struct_out(info, &d, sizeof d, fn, "mlp_column_info");
}

size_t mlp_net_n_columns(const mlp_net *net) { return net != NULL ? net->prep.columns.n : 0; }

mlp_status mlp_net_column(const mlp_net *net, size_t c, mlp_column_info *info)
{
    MLP_CHECK_PTR(net);
    return describe(&net->prep.columns, c, 0, 0, NULL, info, __func__);
}

size_t mlp_table_n_columns(const mlp_table *t) { return t != NULL ? t->cols.n : 0; }

mlp_status mlp_table_column(const mlp_table *t, size_t c, mlp_column_info *info)
{
    MLP_CHECK_PTR(t);
    const int in = c < t->cols.n;
    return describe(&t->cols, c, in ? t->col_missing[c] : 0, in ? t->col_unseen[c] : 0,
                    in && t->first_unseen != NULL ? t->first_unseen[c] : NULL, info, __func__);
}

size_t mlp_table_dropped_rows(const mlp_table *t) { return t != NULL ? t->dropped : 0; }
