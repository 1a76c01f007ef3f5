/* The table columns a model reads (since 1.7): which are numbers and which categories,
 * the categories of each, and what a missing cell becomes. The CSV reader decides them
 * from a training table (lib/data/csv.c), the model keeps them (lib/data/prep.c) and
 * saves them (lib/io/), and the same model reads later rows through them
 * (lib/data/encode.c). This file holds what all of those share: the one validation, the
 * copy, the lookup of a category and the inputs' names. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void mlp__columns_free(mlp__columns *cs)
{
    for (size_t i = 0; cs->c != NULL && i < cs->n; i++) {
        free(cs->c[i].name);
        mlp__strings_free(cs->c[i].categories, cs->c[i].n_categories);
        free(cs->c[i].by_bytes);
    }
    free(cs->c);
    free(cs->names);
    mlp__strings_free(cs->missing, cs->n_missing);
    memset(cs, 0, sizeof *cs);
}

mlp_status mlp__columns_copy(mlp__columns *dst, const mlp__columns *src, const char *fn)
{
    memset(dst, 0, sizeof *dst);
    if (src->n == 0) return MLP_OK;
    dst->c = calloc(src->n, sizeof *dst->c);
    MLP_CHECK(dst->c != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu columns", fn, src->n);
    dst->n = src->n;
    mlp_status s = MLP_OK;
    size_t inputs = 0;
    for (size_t i = 0; i < src->n && s == MLP_OK; i++) {
        const mlp__column *a = &src->c[i];
        mlp__column *b = &dst->c[i];
        *b = (mlp__column){.kind = a->kind,
                           .fill = a->fill,
                           .indicator = a->indicator,
                           .missing_category = a->missing_category};
        const char *name = a->name;
        s = mlp__strings_copy(&b->categories, (const char *const *)a->categories, a->n_categories,
                              fn, "category");
        if (s == MLP_OK) b->n_categories = a->n_categories;
        char **one = NULL;
        if (s == MLP_OK) s = mlp__strings_copy(&one, &name, 1, fn, "column name");
        if (s == MLP_OK) b->name = one[0], free(one);
        inputs += a->width;
    }
    if (s == MLP_OK && src->n_missing > 0) {
        s = mlp__strings_copy(&dst->missing, (const char *const *)src->missing, src->n_missing, fn,
                              "missing token");
        if (s == MLP_OK) dst->n_missing = src->n_missing;
    }
    if (s == MLP_OK) s = mlp__columns_check(dst, inputs, MLP_ERR_INVALID_ARG, fn);
    if (s != MLP_OK) mlp__columns_free(dst);
    return s;
}

typedef struct labelled {
    const char *s;
    size_t k;
} labelled;

static int by_bytes(const void *a, const void *b)
{
    return strcmp(((const labelled *)a)->s, ((const labelled *)b)->s);
}

mlp_status mlp__columns_check(mlp__columns *cs, size_t n_inputs, mlp_status bad, const char *fn)
{
    MLP_CHECK(cs->n > 0 && cs->n <= n_inputs, bad, "%s: %zu columns for %zu inputs", fn, cs->n,
              n_inputs);
    size_t first = 0;
    for (size_t i = 0; i < cs->n; i++) {
        mlp__column *c = &cs->c[i];
        MLP_CHECK(c->name != NULL, bad, "%s: column %zu has no name", fn, i);
        if (c->kind == MLP_COLUMN_NUMERIC) {
            MLP_CHECK(isfinite(c->fill) && c->n_categories == 0 && !c->missing_category, bad,
                      "%s: column %zu (\"%.200s\"): a number column with fill %g, %zu "
                      "categories",
                      fn, i, c->name, c->fill, c->n_categories);
            MLP_CHECK(c->indicator == 0 || c->indicator == 1, bad,
                      "%s: column %zu: indicator flag %d", fn, i, c->indicator);
            c->width = mlp__column_width(c);
        } else {
            MLP_CHECK(c->kind == MLP_COLUMN_CATEGORICAL, bad, "%s: column %zu: unknown kind %d", fn,
                      i, c->kind);
            MLP_CHECK(c->n_categories > 0 && c->n_categories <= MLP_MAX_DIM &&
                          c->categories != NULL && !c->indicator &&
                          (c->missing_category == 0 || c->missing_category == 1),
                      bad,
                      "%s: column %zu (\"%.200s\"): a categorical column with %zu "
                      "categories",
                      fn, i, c->name, c->n_categories);
            c->fill = NAN;
            c->width = mlp__column_width(c);
        }
        MLP_CHECK(c->width <= n_inputs - first, bad,
                  "%s: the columns make more inputs than the network's %zu", fn, n_inputs);
        c->first = first;
        first += c->width;
    }
    MLP_CHECK(first == n_inputs, bad, "%s: the columns make %zu inputs, the network takes %zu", fn,
              first, n_inputs);
    /* names, then each column's categories: none twice */
    char **names = malloc(cs->n * sizeof *names);
    MLP_CHECK(names != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu names", fn, cs->n);
    for (size_t i = 0; i < cs->n; i++) names[i] = cs->c[i].name;
    size_t a, b;
    int rep = mlp__repeated_string((const char *const *)names, cs->n, &a, &b);
    if (rep != 0) {
        free(names);
        if (rep < 0) return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu indices", fn, cs->n);
        return mlp__fail(bad, "%s: columns %zu and %zu are both named \"%.200s\"", fn, a, b,
                         cs->c[a].name);
    }
    free(cs->names);
    cs->names = names;
    for (size_t i = 0; i < cs->n; i++) {
        mlp__column *c = &cs->c[i];
        if (c->kind != MLP_COLUMN_CATEGORICAL) continue;
        for (size_t k = 0; k < c->n_categories; k++)
            MLP_CHECK(c->categories[k] != NULL, bad, "%s: column %zu: category %zu is NULL", fn, i,
                      k);
        rep = mlp__repeated_string((const char *const *)c->categories, c->n_categories, &a, &b);
        MLP_CHECK(rep >= 0, MLP_ERR_NOMEM, "%s: cannot allocate %zu indices", fn, c->n_categories);
        MLP_CHECK(rep == 0, bad,
                  "%s: column \"%.200s\": categories %zu and %zu are both "
                  "\"%.200s\"",
                  fn, c->name, a, b, c->categories[a]);
        size_t *order = malloc(c->n_categories * sizeof *order);
        labelled *l = malloc(c->n_categories * sizeof *l);
        if (order == NULL || l == NULL) {
            free(order), free(l);
            return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu indices", fn, c->n_categories);
        }
        for (size_t k = 0; k < c->n_categories; k++) l[k] = (labelled){c->categories[k], k};
        qsort(l, c->n_categories, sizeof *l, by_bytes);
        for (size_t k = 0; k < c->n_categories; k++) order[k] = l[k].k;
        free(l);
        free(c->by_bytes);
        c->by_bytes = order;
    }
    for (size_t t = 0; t < cs->n_missing; t++)
        MLP_CHECK(cs->missing != NULL && cs->missing[t] != NULL, bad,
                  "%s: missing token %zu is NULL", fn, t);
    return MLP_OK;
}

void mlp__column_put(const mlp__column *c, double *out, double v, size_t k, int missing)
{
    if (c->kind == MLP_COLUMN_NUMERIC) {
        out[0] = missing ? c->fill : v;
        if (c->indicator) out[1] = missing ? 1.0 : 0.0;
        return;
    }
    for (size_t i = 0; i < c->width; i++) out[i] = 0.0;
    if (missing && c->missing_category) out[c->n_categories] = 1.0;
    else if (!missing && k != SIZE_MAX) out[k] = 1.0;
}

size_t mlp__column_find(const mlp__column *c, const char *s, size_t len)
{
    size_t lo = 0, hi = c->n_categories;
    while (lo < hi) { /* strcmp order of s[0..len) against a NUL-terminated category */
        const size_t mid = lo + (hi - lo) / 2, k = c->by_bytes[mid];
        const char *cat = c->categories[k];
        int cmp = strncmp(cat, s, len);
        if (cmp == 0) cmp = cat[len] != '\0'; /* equal prefix: the longer sorts after */
        if (cmp == 0) return k;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

int mlp__columns_is_missing(const mlp__columns *cs, const char *s, size_t len)
{
    if (len == 0) return 1;
    for (size_t t = 0; t < cs->n_missing; t++)
        if (strlen(cs->missing[t]) == len && memcmp(cs->missing[t], s, len) == 0) return 1;
    return 0;
}

/* "A" + "B" + "C" as a new string, or NULL. */
static char *joined(const char *a, const char *b, const char *c)
{
    const size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = malloc(la + lb + lc + 1);
    if (s != NULL) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        memcpy(s + la + lb, c, lc + 1);
    }
    return s;
}

mlp_status mlp__columns_input_names(char ***names, const mlp__columns *cs, size_t n_inputs,
                                    const char *fn)
{
    char **v = calloc(n_inputs ? n_inputs : 1, sizeof *v);
    MLP_CHECK(v != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu names", fn, n_inputs);
    int ok = 1;
    for (size_t i = 0; i < cs->n && ok; i++) {
        const mlp__column *c = &cs->c[i];
        if (c->kind == MLP_COLUMN_NUMERIC) {
            ok = (v[c->first] = joined(c->name, "", "")) != NULL;
        } else {
            for (size_t k = 0; k < c->n_categories && ok; k++)
                ok = (v[c->first + k] = joined(c->name, "=", c->categories[k])) != NULL;
        }
        if (ok && (c->indicator || c->missing_category))
            ok = (v[c->first + c->width - 1] = joined(c->name, " (missing)", "")) != NULL;
    }
    if (!ok) {
        mlp__strings_free(v, n_inputs);
        return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate the inputs' names", fn);
    }
    *names = v;
    return MLP_OK;
}

mlp_status mlp__columns_exportable(const mlp__columns *cs, const char *form, const char *fn)
{
    for (size_t i = 0; i < cs->n; i++)
        MLP_CHECK(!mlp__column_encodes(&cs->c[i]), MLP_ERR_INVALID_ARG,
                  "%s: the model encodes its column \"%.200s\" (categories one-hot, or a "
                  "missing value's indicator) and %s numbers only: predict with the library "
                  "(mlp_net_encode, mlp_net_predict), the mlp command or the C export (its "
                  "NAME_encode takes the raw row)",
                  fn, cs->c[i].name, form);
    return MLP_OK;
}
