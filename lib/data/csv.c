/* Tables from CSV files: libcsv (RFC 4180: quoted fields, embedded newlines and
 * quotes, CRLF) does the tokenizing; this file decides what the fields mean and makes
 * the table. csv_stream.c reads the input in blocks and hands it here one physical
 * line at a time, so every callback knows the line it is on and an error names it.
 * Memory: the parsed numbers (grown by doubling), the column names, the class labels,
 * and one field (libcsv's buffer, refused past MLP__CSV_MAX_FIELD bytes). */
#include <csv.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"

/* Distinct target values kept while the task is not known yet. */
#define MAX_LABELS 65536
/* Integer-valued numeric targets with at most this many distinct values are
 * classes when the task is MLP_TASK_AUTO. */
#define AUTO_CLASSES 20

enum { ROLE_SKIP = -1 };

typedef mlp__csv_reader reader;

/* Find the column named `name` (or numbered, without a header); SIZE_MAX if none. */
static size_t find_column(const reader *r, const char *name, size_t len, size_t *second)
{
    size_t found = SIZE_MAX;
    *second = SIZE_MAX;
    for (size_t c = 0; c < r->columns && *second == SIZE_MAX; c++) {
        char num[32];
        const char *n = r->header != NULL ? r->header[c] : num;
        if (r->header == NULL) snprintf(num, sizeof num, "%zu", c + 1);
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            if (found != SIZE_MAX) *second = c;
            else found = c;
        }
    }
    return found;
}

/* The file's column names for a message: the first few, quoted, then how many more. */
static const char *columns_list(const reader *r, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < r->columns && used + 1 < size; c++) {
        char name[96];
        if (c == 8 && r->columns > 9) {
            snprintf(buf + used, size - used, ", and %zu more", r->columns - c);
            break;
        }
        mlp__csv_column_name(r, c, name, sizeof name);
        const int k = snprintf(buf + used, size - used, "%s%s", c ? ", " : "", name);
        if (k < 0) break;
        used += (size_t)k;
    }
    return buf;
}

/* Mark the column named name[0..len) with `value` and its place in order[]. */
static void mark_one(reader *r, const char *name, size_t len, int *marks, size_t *order, int value,
                     size_t *n, const char *what)
{
    size_t dup;
    const size_t c = find_column(r, name, len, &dup);
    if (c == SIZE_MAX && r->header == NULL && r->o->header == MLP_CSV_HEADER_DETECT)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "no column named \"%.*s\" (the %s): the first record "
             "holds numbers and no such name, so it was read as data and the columns are "
             "numbered 1, 2, ...; if it is a header, say so (header 1, mlp's --header)",
             (int)len, name, what);
    else if (c == SIZE_MAX) {
        char cols[640], like[128] = "";
        for (size_t k = 0; r->header != NULL && k < r->columns; k++) /* another case of it */
            if (r->first_len[k] == len && strncasecmp(r->header[k], name, len) == 0)
                snprintf(like, sizeof like, " (\"%.96s\"?)", r->header[k]);
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG,
             "no column named \"%.*s\"%s (the %s); the file's columns: %s", (int)len, name, like,
             what, columns_list(r, cols, sizeof cols));
    }
    else if (dup != SIZE_MAX)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "the %s \"%.*s\" names two columns, %zu and %zu: which "
             "one is meant cannot be told", what, (int)len, name, c + 1, dup + 1);
    else if (marks[c] != 0)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "column \"%.*s\" is named twice", (int)len, name);
    else {
        marks[c] = value;
        order[c] = (*n)++;
    }
}

/* Mark the columns a list names: `names` (n_names of them) when given, else the
 * comma-separated `list`. */
static void mark_columns(reader *r, const char *list, const char *const *names, size_t n_names,
                         int *marks, size_t *order, int value, size_t *n, const char *what)
{
    if (n_names > 0) {
        for (size_t i = 0; i < n_names && r->status == MLP_OK; i++) {
            if (names[i] == NULL) {
                mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "the %s name %zu is NULL", what, i);
                return;
            }
            mark_one(r, names[i], strlen(names[i]), marks, order, value, n, what);
        }
        return;
    }
    const char *p = list;
    while (r->status == MLP_OK) {
        const char *e = strchr(p, ',');
        const size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        mark_one(r, p, len, marks, order, value, n, what);
        if (e == NULL) break;
        p = e + 1;
    }
}

/* Two columns the table takes may not share a name: a model keeps its columns' names
 * to find them again in the files it predicts, where the pair could not be told
 * apart (1.5.0 trained on such a file and then could not predict). */
static void same_names(reader *r, const int *marks)
{
    size_t n = 0;
    const char **names = malloc(r->columns * sizeof *names);
    size_t *column = malloc(r->columns * sizeof *column);
    size_t i, j;
    int rep = -1;
    if (names != NULL && column != NULL) {
        for (size_t c = 0; c < r->columns; c++)
            if (marks[c] != 0) names[n] = r->header[c], column[n++] = c;
        rep = mlp__repeated_string(names, n, &i, &j);
    }
    if (rep < 0)
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate the names of %zu columns", r->columns);
    else if (rep > 0)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "columns %zu and %zu are both named \"%.200s\": a model "
             "finds its columns by name, so rename one, or leave one out (the inputs option; "
             "mlp's --inputs)", column[i] + 1, column[j] + 1, names[i]);
    free(names);
    free(column);
}

/* Declare the input columns a list names numeric or categorical (1 + the kind). */
static void declare(reader *r, const char *list, int kind, const char *what)
{
    for (const char *p = list; p != NULL && *p != '\0' && r->status == MLP_OK;) {
        const char *e = strchr(p, ',');
        const size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        size_t dup;
        const size_t c = find_column(r, p, len, &dup);
        if (c == SIZE_MAX || r->role[c] == ROLE_SKIP || r->is_target[c])
            mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "the %s column \"%.*s\" is not %s", what, (int)len,
                 p, c == SIZE_MAX ? "in the file" : "an input");
        else if (r->cols[r->role[c]].declared != 0 && r->cols[r->role[c]].declared != kind)
            mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "column \"%.*s\" is declared both numeric and "
                 "categorical", (int)len, p);
        else
            r->cols[r->role[c]].declared = kind;
        p = e != NULL ? e + 1 : NULL;
    }
}

/* The first record fixed the column count: decide every column's role. */
static void plan(reader *r)
{
    const mlp_csv_options *o = r->o;
    int *marks = calloc(r->columns, sizeof *marks); /* 1 target, 2 input */
    size_t *order = calloc(r->columns, sizeof *order); /* the place in a list */
    r->role = malloc(r->columns * sizeof *r->role);
    r->is_target = calloc(r->columns, sizeof *r->is_target);
    if (marks == NULL || order == NULL || r->role == NULL || r->is_target == NULL) {
        free(marks);
        free(order);
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate the plan of %zu columns", r->columns);
        return;
    }
    size_t nt = 0, ni = 0;
    if (o->n_target_names > 0) {
        mark_columns(r, NULL, o->target_names, o->n_target_names, marks, order, 1, &nt, "target");
    } else if (o->target == NULL) {
        marks[r->columns - 1] = 1; /* the last column */
        nt = 1;
    } else if (o->target[0] != '\0') {
        mark_columns(r, o->target, NULL, 0, marks, order, 1, &nt, "target");
    }
    const int given = o->inputs != NULL || o->n_input_names > 0;
    if (given && r->status == MLP_OK) {
        mark_columns(r, o->inputs, o->input_names, o->n_input_names, marks, order, 2, &ni,
                     "inputs");
    } else if (r->mode == MLP__READ_MODEL && r->header != NULL && r->status == MLP_OK) {
        mark_columns(r, NULL, (const char *const *)r->mc->names, r->mc->n, marks, order, 2, &ni,
                     "model's columns");
    } else if (r->status == MLP_OK) {
        size_t ignored = 0; /* marked 3, then left out */
        if (o->ignore != NULL && o->ignore[0] != '\0')
            mark_columns(r, o->ignore, NULL, 0, marks, order, 3, &ignored, "ignore");
        for (size_t c = 0; c < r->columns; c++)
            if (marks[c] == 0) marks[c] = 2, order[c] = ni++;
        for (size_t c = 0; c < r->columns; c++)
            if (marks[c] == 3) marks[c] = 0;
    }
    if (r->status == MLP_OK && r->mode == MLP__READ_MODEL && ni != r->mc->n)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "%zu input columns, the model reads %zu", ni, r->mc->n);
    /* named inputs read as the model's columns: the same names in the same order, or a
     * column would be encoded as another's (its categories, its fill) */
    for (size_t c = 0; r->status == MLP_OK && r->mode == MLP__READ_MODEL && r->header != NULL &&
                       c < r->columns; c++)
        if (marks[c] == 2 && strcmp(r->header[c], r->mc->names[order[c]]) != 0)
            mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "input %zu is column \"%.200s\", and the model's "
                 "column %zu is \"%.200s\": name the inputs as the model does "
                 "(mlp_csv_options_for_net)", order[c], r->header[c], order[c],
                 r->mc->names[order[c]]);
    if (r->status == MLP_OK && ni == 0)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "no input column (%zu columns, %zu targets)", r->columns, nt);
    if (r->status == MLP_OK && r->header != NULL) same_names(r, marks);
    if (r->status == MLP_OK && nt > 1 && r->task == MLP_TASK_CLASSIFICATION)
        mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "classification takes one target column, not %zu", nt);
    if (r->status == MLP_OK && (ni > INT_MAX || nt > INT_MAX))
        mlp__csv_fail(r, MLP_ERR_FORMAT, "%zu columns are too many", r->columns);
    for (size_t c = 0; c < r->columns; c++) {
        r->is_target[c] = marks[c] == 1;
        r->role[c] = marks[c] != 0 ? (int)order[c] : ROLE_SKIP;
    }
    free(marks);
    free(order);
    r->n_raw = ni;
    r->n_in = ni;
    if (r->mode == MLP__READ_MODEL && r->mc->n > 0) /* the inputs the columns make */
        r->n_in = r->mc->c[r->mc->n - 1].first + r->mc->c[r->mc->n - 1].width;
    r->n_out = nt;
    if (nt != 1 && r->task == MLP_TASK_AUTO) r->task = MLP_TASK_REGRESSION;
    r->row_x = malloc((r->n_in > 0 ? r->n_in : 1) * sizeof *r->row_x);
    r->row_y = malloc((nt > 0 ? nt : 1) * sizeof *r->row_y);
    r->col_of = malloc((ni > 0 ? ni : 1) * sizeof *r->col_of);
    for (size_t c = 0; r->col_of != NULL && c < r->columns; c++)
        if (r->role[c] != ROLE_SKIP && !r->is_target[c]) r->col_of[r->role[c]] = c;
    r->col_missing = calloc(ni > 0 ? ni : 1, sizeof *r->col_missing);
    r->col_unseen = calloc(ni > 0 ? ni : 1, sizeof *r->col_unseen);
    if (r->mode == MLP__READ_MODEL) r->first_unseen = calloc(ni > 0 ? ni : 1, sizeof(char *));
    if (r->mode == MLP__READ_FIT) {
        r->cols = calloc(ni > 0 ? ni : 1, sizeof *r->cols);
        r->row_code = malloc((ni > 0 ? ni : 1) * sizeof *r->row_code);
    }
    if (r->status == MLP_OK &&
        (r->row_x == NULL || r->row_y == NULL || r->col_missing == NULL || r->col_unseen == NULL ||
         r->col_of == NULL || (r->mode == MLP__READ_MODEL && r->first_unseen == NULL) ||
         (r->mode == MLP__READ_FIT && (r->cols == NULL || r->row_code == NULL))))
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate a row of %zu columns", r->columns);
    if (r->status == MLP_OK && r->mode == MLP__READ_FIT) {
        declare(r, o->numeric, 1 + MLP_COLUMN_NUMERIC, "numeric");
        declare(r, o->categorical, 1 + MLP_COLUMN_CATEGORICAL, "categorical");
    }
}

static void forget_labels(reader *r)
{
    mlp__strset_free(&r->labels);
    free(r->label_of);
    r->label_of = NULL;
}

/* The index of a target label, added when new (unless the set is fixed). */
static int label_index(reader *r, const char *s, size_t n, size_t *index, size_t column)
{
    const size_t found = mlp__strset_find(&r->labels, s, n);
    if (found != SIZE_MAX) {
        *index = found;
        return 1;
    }
    if (r->fixed_classes)
        return mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu: class \"%.*s\" is not one of the "
                    "model's %zu", r->line, column + 1, (int)(n < 80 ? n : 80), s, r->labels.n);
    if (!mlp__csv_utf8_ok((const unsigned char *)s, n) || memchr(s, '\0', n) != NULL)
        return mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu: the label is not UTF-8 text "
                    "(or holds a NUL byte, which no model file keeps)", r->line, column + 1);
    if (r->labels.n == MAX_LABELS) {
        if (r->task == MLP_TASK_AUTO && r->all_numeric) {
            /* so many distinct numbers are not classes: a regression, as the task
             * AUTO says, decided here so that the labels need not be kept */
            forget_labels(r);
            r->task = MLP_TASK_REGRESSION;
            *index = 0;
            return 1;
        }
        return mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu: more than %d distinct target "
                    "values: not classes", r->line, column + 1, MAX_LABELS);
    }
    return mlp__strset_add(r, &r->labels, s, n, index);
}

/* One field of a data record, in column c. */
static void data_field(reader *r, size_t c, const char *s, size_t len)
{
    if (c >= r->columns) {
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu: more than the %zu fields of the first record "
             "(a ragged row)", r->line, r->columns);
        return;
    }
    if (r->role[c] == ROLE_SKIP) return;
    char cname[96];
    if (!r->is_target[c] && r->mode == MLP__READ_FIT) {
        mlp__csv_fit_field(r, c, (size_t)r->role[c], s, len);
        return;
    }
    if (!r->is_target[c] && r->mode == MLP__READ_MODEL) {
        mlp__csv_model_field(r, c, (size_t)r->role[c], s, len);
        return;
    }
    if (!r->is_target[c]) {
        double v;
        if (mlp__csv_number(s, len, &v) != 1) {
            mlp__csv_column_name(r, c, cname, sizeof cname);
            if (len == 0)
                mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): a missing value", r->line,
                     c + 1, cname);
            else
                mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): \"%.*s\" is not a finite "
                     "number", r->line, c + 1, cname, (int)(len < 40 ? len : 40), s);
            return;
        }
        r->row_x[r->role[c]] = v;
        return;
    }
    if (mlp__csv_is_missing(r, s, len)) { /* the row is dropped, and counted */
        r->row_dropped = 1;
        return;
    }
    double v = NAN;
    const int parsed = mlp__csv_number(s, len, &v), numeric = parsed == 1;
    if (parsed < 0) { /* a class is never called nan or inf: a broken number */
        mlp__csv_column_name(r, c, cname, sizeof cname);
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): \"%.*s\" is not a finite number",
             r->line, c + 1, cname, (int)(len < 40 ? len : 40), s);
        return;
    }
    if (r->task == MLP_TASK_REGRESSION) {
        if (!numeric) {
            mlp__csv_column_name(r, c, cname, sizeof cname);
            mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu (%s): \"%.*s\" is not a finite number "
                 "(a regression target)", r->line, c + 1, cname, (int)(len < 40 ? len : 40), s);
            return;
        }
        r->row_y[r->role[c]] = v;
        return;
    }
    /* classification, or not decided yet (one target) */
    if (!numeric) r->all_numeric = 0;
    r->row_y[0] = v;
    label_index(r, s, len, &r->row_label, c); /* may decide a regression */
}

/* libcsv: one field. */
static void on_field(void *data, size_t len, void *user)
{
    reader *r = user;
    if (r->status != MLP_OK) return;
    const char *s = data != NULL ? data : "";
    const size_t c = r->field++;
    if (r->record > 0) {
        data_field(r, c, s, len);
        return;
    }
    /* the first record: names, or the first data row; kept until the plan exists */
    if (r->o->header == 1 &&
        (!mlp__csv_utf8_ok((const unsigned char *)s, len) || memchr(s, '\0', len) != NULL)) {
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu: the column name is not UTF-8 text (or "
             "holds a NUL byte)", r->line, c + 1);
        return;
    }
    if (r->first_n == r->first_cap) {
        const size_t cap = r->first_cap ? 2 * r->first_cap : 16;
        char **h = realloc(r->first, cap * sizeof *h);
        if (h != NULL) r->first = h;
        size_t *l = realloc(r->first_len, cap * sizeof *l);
        if (l != NULL) r->first_len = l;
        if (h == NULL || l == NULL) {
            mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu fields", cap);
            return;
        }
        r->first_cap = cap;
    }
    r->first[r->first_n] = mlp__csv_copy(s, len);
    if (r->first[r->first_n] == NULL) {
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate a field");
        return;
    }
    r->first_len[r->first_n++] = len;
}

/* Make room for one more row. */
static int grow(reader *r)
{
    if (r->rows < r->cap) return 1;
    const size_t cap = r->cap ? 2 * r->cap : 256;
    const size_t per = r->n_in > r->n_out ? r->n_in : r->n_out;
    if (cap > SIZE_MAX / sizeof(double) / (per > 0 ? per : 1) / 2)
        return mlp__csv_fail(r, MLP_ERR_NOMEM, "%zu rows of %zu columns overflow memory", cap, r->columns);
    double *x = realloc(r->x, cap * r->n_in * sizeof *x);
    if (x != NULL) r->x = x;
    double *y = r->n_out > 0 ? realloc(r->y, cap * r->n_out * sizeof *y) : r->y;
    if (y != NULL) r->y = y;
    size_t *lab = r->label_of;
    if (r->task != MLP_TASK_REGRESSION) {
        lab = realloc(r->label_of, cap * sizeof *lab);
        if (lab != NULL) r->label_of = lab;
    }
    if (x == NULL || (r->n_out > 0 && y == NULL) || (r->task != MLP_TASK_REGRESSION && lab == NULL))
        return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu rows of %zu columns", cap, r->columns);
    r->cap = cap;
    return 1;
}

/* Room in column j's codes for the row being stored. */
static int grow_codes(reader *r, mlp__csv_col *col)
{
    if (col->code == NULL || col->code_cap > r->rows) return 1;
    uint32_t *c = realloc(col->code, r->cap * sizeof *c);
    if (c == NULL) return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu rows", r->cap);
    col->code = c;
    col->code_cap = r->cap;
    return 1;
}

/* The row just read, into the table. */
static void store_row(reader *r, size_t fields)
{
    if (fields != r->columns) {
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu: %zu fields, the first record has %zu (a ragged row)",
             r->line, fields, r->columns);
        return;
    }
    if (r->row_dropped) { /* its target is missing */
        r->row_dropped = 0;
        r->dropped++;
        return;
    }
    if (!grow(r)) return;
    for (size_t j = 0; r->mode == MLP__READ_FIT && j < r->n_raw; j++) {
        if (!grow_codes(r, &r->cols[j])) return;
        if (r->cols[j].code != NULL) r->cols[j].code[r->rows] = r->row_code[j];
    }
    memcpy(r->x + r->rows * r->n_in, r->row_x, r->n_in * sizeof *r->x);
    if (r->n_out > 0) memcpy(r->y + r->rows * r->n_out, r->row_y, r->n_out * sizeof *r->y);
    if (r->task != MLP_TASK_REGRESSION) r->label_of[r->rows] = r->row_label;
    r->rows++;
}

/* Whether s[0..n) is among the names the options ask for (targets, inputs). */
static int asked_for(const mlp_csv_options *o, const char *s, size_t n)
{
    const char *const *arrays[2] = {o->target_names, o->input_names};
    const size_t counts[2] = {o->n_target_names, o->n_input_names};
    for (int a = 0; a < 2; a++)
        for (size_t i = 0; i < counts[a]; i++)
            if (arrays[a][i] != NULL && strlen(arrays[a][i]) == n && !memcmp(arrays[a][i], s, n))
                return 1;
    const char *lists[2] = {counts[0] ? NULL : o->target, counts[1] ? NULL : o->inputs};
    for (int a = 0; a < 2; a++)
        for (const char *p = lists[a]; p != NULL && *p != '\0';) {
            const char *e = strchr(p, ',');
            const size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
            if (len == n && !memcmp(p, s, n)) return 1;
            p = e != NULL ? e + 1 : NULL;
        }
    return 0;
}

/* Whether the first record names the columns: 1, 0, or -1 after a failure. With the
 * header option -1 (detect): a record that holds a name the options ask for is a
 * header; else one that holds a number is data; else (text only) a header. A record
 * whose numbers count 0, 1, 2, ... (or 1, 2, 3, ...) left to right, as pandas names
 * the columns it was given no names for, could be either: refused, asking. */
static int first_is_header(reader *r)
{
    int header = r->o->header;
    if (header < 0) {
        size_t numbers = 0, counting = 1;
        double next = NAN;
        for (size_t c = 0; c < r->first_n; c++) {
            if (asked_for(r->o, r->first[c], r->first_len[c])) {
                header = 1;
                break;
            }
            double v;
            if (mlp__csv_number(r->first[c], r->first_len[c], &v) != 1) continue;
            if (numbers++ == 0) next = v == 0 || v == 1 ? v : NAN;
            counting &= v == next;
            next = v + 1;
        }
        if (header < 0 && numbers > 1 && counting && numbers + 1 >= r->first_n)
            return mlp__csv_fail(r, MLP_ERR_FORMAT,
                        "line %zu: the first record counts %g, %g, ... as pandas names columns "
                        "it was given no names for: is it a header? Say so (the header option 1 "
                        "or 0; mlp's --header or --no-header)",
                        r->line, next - (double)numbers, next - (double)numbers + 1), -1;
        if (header < 0) header = numbers == 0;
    }
    for (size_t c = 0; header && c < r->first_n; c++)
        if (!mlp__csv_utf8_ok((const unsigned char *)r->first[c], r->first_len[c]) ||
            memchr(r->first[c], '\0', r->first_len[c]) != NULL)
            return mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu, column %zu: the column name is not UTF-8 "
                        "text (or holds a NUL byte)", r->line, c + 1), -1;
    return header;
}

/* libcsv: the end of a record. */
static void on_record(int term, void *user)
{
    (void)term;
    reader *r = user;
    if (r->status != MLP_OK) return;
    const size_t fields = r->field;
    r->field = 0;
    r->record++;
    if (r->record > 1) {
        store_row(r, fields);
        return;
    }
    /* the first record fixes the columns, and says whether it names them */
    r->columns = r->first_n;
    const int header = first_is_header(r);
    if (header < 0) return;
    r->header = header ? r->first : NULL;
    plan(r);
    if (header || r->status != MLP_OK) return;
    for (size_t c = 0; c < r->first_n && r->status == MLP_OK; c++)
        data_field(r, c, r->first[c], r->first_len[c]);
    if (r->status == MLP_OK) store_row(r, fields);
}

/* libcsv's buffer may not grow past MLP__CSV_MAX_FIELD: it fails with CSV_ENOMEM. */
static void *bounded_realloc(void *p, size_t size)
{
    return size > MLP__CSV_MAX_FIELD + 64 ? NULL : realloc(p, size);
}

void mlp__csv_finish(reader *r)
{
    if (r->task == MLP_TASK_AUTO) {
        int integral = r->all_numeric;
        for (size_t i = 0; integral && i < r->rows; i++)
            integral = r->y[i] == floor(r->y[i]) && fabs(r->y[i]) < 1e15;
        r->task = !r->all_numeric || (integral && r->labels.n <= AUTO_CLASSES)
                      ? MLP_TASK_CLASSIFICATION
                      : MLP_TASK_REGRESSION;
    }
    if (r->task == MLP_TASK_REGRESSION) {
        if (!r->all_numeric)
            mlp__csv_fail(r, MLP_ERR_FORMAT, "a regression target holds text");
        return;
    }
    if (r->fixed_classes) { /* the given order */
        for (size_t i = 0; i < r->rows; i++) r->y[i] = (double)r->label_of[i];
        return;
    }
    /* sort the labels, then map old indices to new */
    const size_t n = r->labels.n;
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    size_t *map = malloc((n ? n : 1) * sizeof *map);
    if (sorted == NULL || map == NULL) {
        free(sorted);
        free(map);
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu labels", n);
        return;
    }
    mlp__strset_sort(&r->labels, sorted, map);
    for (size_t i = 0; i < r->rows; i++) r->y[i] = (double)map[r->label_of[i]];
    memcpy(r->labels.s, sorted, n * sizeof *sorted);
    free(sorted);
    free(map);
}

int mlp__csv_feed(reader *r, struct csv_parser *p, const unsigned char *buf, size_t len,
                  size_t *used)
{
    size_t start = 0;
    while (start < len && r->status == MLP_OK && r->rows < r->limit) {
        const unsigned char *nl = memchr(buf + start, '\n', len - start);
        const unsigned char *stop = nl != NULL ? nl : buf + len;
        const unsigned char *cr = memchr(buf + start, '\r', (size_t)(stop - (buf + start)));
        size_t end = nl != NULL ? (size_t)(nl - buf) + 1 : len;
        int lines = nl != NULL && !(r->after_cr && nl == buf + start); /* CR, then LF */
        int ends_in_cr = 0;
        if (cr != NULL && cr + 1 != nl) { /* a CR alone ends this line */
            end = (size_t)(cr - buf) + 1;
            lines = 1;
            ends_in_cr = 1;
        }
        if (csv_parse(p, buf + start, end - start, on_field, on_record, r) != end - start) {
            const int e = csv_error(p);
            if (e == CSV_ENOMEM)
                return mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu: a field longer than %zu bytes",
                            r->line, MLP__CSV_MAX_FIELD);
            return mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu: %s", r->line, csv_strerror(e));
        }
        r->line += (size_t)lines;
        r->after_cr = ends_in_cr;
        start = end;
    }
    *used = start;
    return r->status == MLP_OK;
}

void mlp__csv_reader_free(reader *r)
{
    free(r->x);
    free(r->y);
    free(r->row_x);
    free(r->row_y);
    free(r->role);
    free(r->is_target);
    free(r->label_of);
    mlp__strings_free(r->first, r->first_n);
    free(r->first_len);
    mlp__strset_free(&r->labels);
    for (size_t j = 0; r->cols != NULL && j < r->n_raw; j++) {
        mlp__strset_free(&r->cols[j].set);
        free(r->cols[j].code);
    }
    free(r->cols);
    free(r->col_of);
    free(r->row_code);
    free(r->col_missing);
    free(r->col_unseen);
    mlp__strings_free(r->first_unseen, r->n_raw);
    mlp__columns_free(&r->own);
    memset(r, 0, sizeof *r);
}

/* The options' missing tokens (a comma-separated list; NULL: the default one). */
static void missing_tokens(reader *r, const char *list)
{
    if (list == NULL) list = MLP_CSV_MISSING_DEFAULT;
    size_t n = *list != '\0';
    for (const char *p = list; *p != '\0'; p++) n += *p == ',';
    if (n == 0) return;
    r->own.missing = calloc(n, sizeof *r->own.missing);
    if (r->own.missing == NULL) {
        mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu missing tokens", n);
        return;
    }
    r->own.n_missing = n;
    const char *p = list;
    for (size_t t = 0; t < n; t++) {
        const char *e = strchr(p, ',');
        const size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        r->own.missing[t] = mlp__csv_copy(p, len);
        if (r->own.missing[t] == NULL) {
            mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate a missing token");
            return;
        }
        p = e != NULL ? e + 1 : p + len;
    }
}

mlp_status mlp__csv_reader_init(reader *r, const mlp_csv_options *o, const char *name, int whole)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    r->name = name;
    r->status = MLP_OK;
    r->line = 1;
    r->task = o->task;
    r->all_numeric = 1;
    r->max_categories = o->max_categories > 0 ? o->max_categories : MLP_CSV_MAX_CATEGORIES;
    if (r->max_categories > UINT32_MAX - 1) r->max_categories = UINT32_MAX - 1;
    if (o->model != NULL && o->model->prep.columns.n > 0) {
        r->mode = MLP__READ_MODEL;
        r->mc = &o->model->prep.columns;
    } else {
        r->mode = whole && o->model == NULL ? MLP__READ_FIT : MLP__READ_NUMBERS;
        missing_tokens(r, o->missing);
    }
    for (size_t k = 0; k < o->n_classes && r->status == MLP_OK; k++) {
        size_t ix = 0;
        if (o->classes[k] == NULL) {
            mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "class %zu is NULL", k);
            break;
        }
        label_index(r, o->classes[k], strlen(o->classes[k]), &ix, 0);
        if (r->status == MLP_OK && ix != k)
            mlp__csv_fail(r, MLP_ERR_INVALID_ARG, "class \"%s\" is given twice", o->classes[k]);
    }
    r->fixed_classes = o->n_classes > 0;
    return r->status;
}

void mlp__csv_parser_init(struct csv_parser *p, int delimiter)
{
    csv_set_delim(p, (unsigned char)delimiter);
    csv_set_realloc_func(p, bounded_realloc);
}

void mlp__csv_end(reader *r, struct csv_parser *p)
{
    if (csv_fini(p, on_field, on_record, r) != 0)
        mlp__csv_fail(r, MLP_ERR_FORMAT, "line %zu: a quoted field is not closed", r->line);
}

mlp_status mlp__csv_take_table(reader *r, mlp_table **table)
{
    mlp_table *t = calloc(1, sizeof *t);
    if (t == NULL) return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate the table"), r->status;
    t->rows = r->rows;
    t->n_in = r->n_in;
    t->n_out = r->n_out;
    t->dropped = r->dropped;
    mlp_status cs = MLP_OK;
    if (r->mode == MLP__READ_FIT) { /* the columns decided move to the table */
        t->cols = r->own;
        memset(&r->own, 0, sizeof r->own);
    } else if (r->mode == MLP__READ_MODEL) {
        cs = mlp__columns_copy(&t->cols, r->mc, r->name);
    }
    if (cs == MLP_OK && t->cols.n > 0)
        cs = mlp__columns_input_names(&t->in_names, &t->cols, t->n_in, r->name);
    else if (cs == MLP_OK)
        t->in_names = calloc(r->n_in ? r->n_in : 1, sizeof *t->in_names);
    t->out_names = calloc(r->n_out ? r->n_out : 1, sizeof *t->out_names);
    t->col_missing = r->col_missing;
    t->col_unseen = r->col_unseen;
    t->first_unseen = r->first_unseen;
    r->col_missing = calloc(r->n_raw ? r->n_raw : 1, sizeof *r->col_missing);
    r->col_unseen = calloc(r->n_raw ? r->n_raw : 1, sizeof *r->col_unseen);
    r->first_unseen = r->mode == MLP__READ_MODEL ? calloc(r->n_raw ? r->n_raw : 1, sizeof(char *))
                                                 : NULL;
    r->dropped = 0;
    int ok = cs == MLP_OK && t->in_names != NULL && t->out_names != NULL &&
             r->col_missing != NULL && r->col_unseen != NULL &&
             (r->mode != MLP__READ_MODEL || r->first_unseen != NULL);
    for (size_t c = 0; ok && c < r->columns; c++) {
        if (r->role[c] == ROLE_SKIP || (!r->is_target[c] && t->cols.n > 0)) continue;
        char *n = mlp__csv_name_copy(r, c);
        if (n == NULL) ok = 0;
        else if (r->is_target[c]) t->out_names[r->role[c]] = n;
        else t->in_names[r->role[c]] = n;
    }
    t->classification = r->task == MLP_TASK_CLASSIFICATION && r->n_out == 1;
    if (ok && t->classification) {
        t->classes = calloc(r->labels.n ? r->labels.n : 1, sizeof *t->classes);
        ok = t->classes != NULL;
        for (size_t k = 0; ok && k < r->labels.n; k++) {
            t->classes[k] = mlp__csv_copy(r->labels.s[k], strlen(r->labels.s[k]));
            ok = t->classes[k] != NULL;
        }
        t->n_classes = r->labels.n;
    }
    if (!ok) {
        t->x = t->y = NULL;
        mlp_table_free(t);
        return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate the column names"), r->status;
    }
    t->x = r->x;
    t->y = r->y;
    r->x = r->y = NULL;
    free(r->label_of);
    r->label_of = NULL;
    r->rows = r->cap = 0;
    *table = t;
    return MLP_OK;
}

void mlp_table_free(mlp_table *t)
{
    if (t == NULL) return;
    free(t->x);
    free(t->y);
    mlp__strings_free(t->in_names, t->n_in);
    mlp__strings_free(t->out_names, t->n_out);
    mlp__strings_free(t->classes, t->n_classes);
    mlp__strings_free(t->first_unseen, t->cols.n); /* before the columns: their count */
    mlp__columns_free(&t->cols);
    free(t->col_missing);
    free(t->col_unseen);
    free(t);
}

size_t mlp_table_rows(const mlp_table *t) { return t != NULL ? t->rows : 0; }
size_t mlp_table_n_inputs(const mlp_table *t) { return t != NULL ? t->n_in : 0; }
size_t mlp_table_n_targets(const mlp_table *t) { return t != NULL ? t->n_out : 0; }
const double *mlp_table_inputs(const mlp_table *t) { return t != NULL ? t->x : NULL; }
const double *mlp_table_targets(const mlp_table *t) { return t != NULL && t->n_out ? t->y : NULL; }
int mlp_table_is_classification(const mlp_table *t) { return t != NULL && t->classification; }

mlp_status mlp_table_dataset(mlp_dataset *data, size_t struct_size, const mlp_table *table)
{
    MLP_CHECK_PTR(table);
    mlp_dataset d = {.struct_size = sizeof d,
                     .x = table->x,
                     .y = table->n_out ? table->y : NULL,
                     .n = table->rows,
                     .n_inputs = table->n_in,
                     .n_targets = table->n_out,
                     .n_classes = table->classification ? table->n_classes : 0};
    return mlp__struct_init(data, struct_size, &d, sizeof d, __func__, "mlp_dataset");
}
size_t mlp_table_n_classes(const mlp_table *t) { return t != NULL ? t->n_classes : 0; }

const char *mlp_table_input_name(const mlp_table *t, size_t i)
{
    return t != NULL && i < t->n_in ? t->in_names[i] : NULL;
}

const char *mlp_table_target_name(const mlp_table *t, size_t i)
{
    return t != NULL && i < t->n_out ? t->out_names[i] : NULL;
}

const char *mlp_table_class_name(const mlp_table *t, size_t k)
{
    return t != NULL && k < t->n_classes ? t->classes[k] : NULL;
}
