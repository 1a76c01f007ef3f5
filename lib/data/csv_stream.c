/* Reading CSV: mlp_table_read_csv and the streams of mlp_csv_stream_*, over the reader of
 * csv.c. The input is read in blocks; numbers are parsed in the "C" locale whatever the
 * process's LC_NUMERIC (uselocale, this thread only, restored before returning). */
#define _GNU_SOURCE /* uselocale, newlocale (POSIX 2008) */
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

mlp_status mlp_csv_options_init(mlp_csv_options *options, size_t struct_size)
{
    MLP_CHECK_PTR(options);
    mlp_csv_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.header = MLP_CSV_HEADER_DETECT;
    o.delimiter = ',';
    o.task = MLP_TASK_AUTO;
    return mlp__struct_init(options, struct_size, &o, sizeof o, __func__, "mlp_csv_options");
}

struct mlp_csv_stream {
    mlp_csv_options o;
    mlp__csv_reader r;
    struct csv_parser p;
    FILE *f;
    int own_file, whole;     /* whole: one read of everything (AUTO tasks allowed) */
    char *name;
    unsigned char buf[1 << 16];
    size_t off, len;
    int first, eof, finished; /* finished: csv_fini done */
    size_t rows_total;
    mlp_status broken;       /* a failed read leaves the stream failing */
    char broken_detail[512];
};

static void stream_free(mlp_csv_stream *st)
{
    if (st == NULL) return;
    csv_free(&st->p);
    mlp__csv_reader_free(&st->r);
    if (st->own_file && st->f != NULL) fclose(st->f);
    free(st->name);
    free(st);
}

static mlp_status stream_open(mlp_csv_stream **out, FILE *f, int own, const char *name,
                              const mlp_csv_options *given, int whole, const char *fn)
{
    mlp_csv_options o;
    mlp_csv_options_init(&o, sizeof o);
    mlp_status s = mlp__struct_in(&o, sizeof o, given, fn, "mlp_csv_options");
    if (s != MLP_OK) return s;
    MLP_CHECK(o.header >= -1 && o.header <= 1, MLP_ERR_INVALID_ARG,
              "%s: header is %d, must be 1, 0 or MLP_CSV_HEADER_DETECT (-1)", fn, o.header);
    MLP_CHECK(o.task >= MLP_TASK_AUTO && o.task <= MLP_TASK_CLASSIFICATION, MLP_ERR_INVALID_ARG,
              "%s: unknown task %d", fn, (int)o.task);
    MLP_CHECK(o.delimiter != '"' && o.delimiter != '\n' && o.delimiter != '\r' &&
                  o.delimiter != '\0',
              MLP_ERR_INVALID_ARG, "%s: the delimiter cannot be %d", fn, (int)o.delimiter);
    MLP_CHECK(o.n_classes == 0 || o.classes != NULL, MLP_ERR_INVALID_ARG,
              "%s: %zu classes given without their names", fn, o.n_classes);
    MLP_CHECK(o.n_classes == 0 || o.task == MLP_TASK_CLASSIFICATION, MLP_ERR_INVALID_ARG,
              "%s: a class list is for the classification task", fn);
    MLP_CHECK(o.n_input_names == 0 || o.input_names != NULL, MLP_ERR_INVALID_ARG,
              "%s: %zu input names given as NULL", fn, o.n_input_names);
    MLP_CHECK(o.n_target_names == 0 || o.target_names != NULL, MLP_ERR_INVALID_ARG,
              "%s: %zu target names given as NULL", fn, o.n_target_names);
    MLP_CHECK(o.impute == MLP_IMPUTE_MEDIAN || o.impute == MLP_IMPUTE_MEAN, MLP_ERR_INVALID_ARG,
              "%s: unknown impute %d", fn, (int)o.impute);
    MLP_CHECK(o.missing_indicators == 0 || o.missing_indicators == 1, MLP_ERR_INVALID_ARG,
              "%s: missing_indicators is %d, must be 0 or 1", fn, o.missing_indicators);
    MLP_CHECK(whole || (o.target != NULL && o.target[0] == '\0' && o.n_target_names == 0) ||
                  o.task == MLP_TASK_REGRESSION || o.n_classes > 0,
              MLP_ERR_INVALID_ARG,
              "%s: a stream reads targets as numbers (MLP_TASK_REGRESSION) or as given classes; "
              "the task cannot wait for the whole file", fn);
    mlp_csv_stream *st = calloc(1, sizeof *st);
    MLP_CHECK(st != NULL, MLP_ERR_NOMEM, "%s: cannot allocate a CSV stream", fn);
    st->o = o;
    st->f = f;
    st->own_file = own;
    st->whole = whole;
    st->first = 1;
    st->name = malloc(strlen(name) + 1);
    if (st->name != NULL) memcpy(st->name, name, strlen(name) + 1);
    if (st->name == NULL || csv_init(&st->p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        if (st->name == NULL) csv_init(&st->p, 0); /* so that stream_free may csv_free it */
        st->own_file = 0;                          /* the caller closes it on failure */
        stream_free(st);
        return mlp__fail(MLP_ERR_NOMEM, "%s: cannot start the CSV parser", fn);
    }
    mlp__csv_parser_init(&st->p, st->o.delimiter);
    /* a table decides its own columns (text as categories, missing cells filled) for a
     * caller that knows of them: a program built before 1.7 reads numbers as it did */
    s = mlp__csv_reader_init(&st->r, &st->o, st->name,
                             whole && given->struct_size >= MLP__END(mlp_csv_options, model));
    if (s != MLP_OK) {
        st->own_file = 0;
        stream_free(st);
        return s;
    }
    *out = st;
    return MLP_OK;
}

/* Read on until `max_rows` rows are held or the input ends; the rows as a table,
 * or NULL at the end. */
static mlp_status stream_next(mlp_csv_stream *st, mlp_table **table, size_t max_rows)
{
    mlp__csv_reader *r = &st->r;
    *table = NULL;
    if (st->broken != MLP_OK)
        return mlp__fail(st->broken, "%s", st->broken_detail);
    r->limit = max_rows;
    /* numbers in the "C" locale, on this thread, for the length of the call */
    locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t previous = c_locale != (locale_t)0 ? uselocale(c_locale) : (locale_t)0;
    if (c_locale == (locale_t)0) mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot create the C locale");
    while (r->status == MLP_OK && r->rows < max_rows && !st->finished) {
        if (st->off < st->len) {
            size_t used = 0;
            mlp__csv_feed(r, &st->p, st->buf + st->off, st->len - st->off, &used);
            st->off += used;
        } else if (!st->eof) {
            st->len = fread(st->buf, 1, sizeof st->buf, st->f);
            st->off = 0;
            if (st->first && st->len > 0) {
                st->first = 0;
                if (st->len >= 3 && st->buf[0] == 0xEF && st->buf[1] == 0xBB && st->buf[2] == 0xBF)
                    st->off = 3; /* a UTF-8 byte order mark */
            }
            if (st->len == 0) {
                st->eof = 1;
                if (ferror(st->f)) mlp__csv_fail(r, MLP_ERR_IO, "read error: %s", strerror(errno));
            }
        } else {
            st->finished = 1;
            mlp__csv_end(r, &st->p);
        }
    }
    if (r->status == MLP_OK && st->finished && st->rows_total + r->rows == 0 && r->dropped > 0)
        mlp__csv_fail(r, MLP_ERR_FORMAT, "no data row has its target: the %zu rows all miss it",
                      r->dropped);
    else if (r->status == MLP_OK && st->finished && st->rows_total + r->rows == 0)
        mlp__csv_fail(r, MLP_ERR_FORMAT,
             r->record == 0 ? "the file is empty" : "no data rows after the header");
    /* in the C locale too: labels that are numbers sort as numbers */
    if (r->status == MLP_OK && st->whole && r->n_out > 0) mlp__csv_finish(r);
    if (r->status == MLP_OK && st->whole && r->mode == MLP__READ_FIT && r->rows > 0)
        mlp__csv_decide(r);
    if (c_locale != (locale_t)0) {
        uselocale(previous);
        freelocale(c_locale);
    }
    if (r->status == MLP_OK && r->rows > 0) {
        if (!st->whole && r->fixed_classes && r->n_out == 1)
            for (size_t i = 0; i < r->rows; i++) r->y[i] = (double)r->label_of[i];
        st->rows_total += r->rows;
        mlp__csv_take_table(r, table);
    }
    if (r->status != MLP_OK) {
        st->broken = r->status;
        snprintf(st->broken_detail, sizeof st->broken_detail, "%s", mlp_error_detail());
        return r->status;
    }
    return MLP_OK;
}

static mlp_status read_table(mlp_table **table, FILE *f, const char *name,
                             const mlp_csv_options *given)
{
    mlp_csv_stream *st = NULL;
    mlp_status s = stream_open(&st, f, 0, name, given, 1, "mlp_table_read_csv");
    if (s == MLP_OK) s = stream_next(st, table, SIZE_MAX);
    stream_free(st);
    return s;
}

mlp_status mlp_table_read_csv(mlp_table **table, const char *path, const mlp_csv_options *options)
{
    MLP_CHECK_PTR(table);
    *table = NULL;
    MLP_CHECK_PTR(path);
    MLP_CHECK_PTR(options);
    FILE *f = fopen(path, "rb");
    MLP_CHECK(f != NULL, MLP_ERR_IO, "mlp_table_read_csv: %s: %s", path, strerror(errno));
    mlp_status s = read_table(table, f, path, options);
    fclose(f);
    return s;
}

mlp_status mlp_table_read_csv_file(mlp_table **table, FILE *file, const char *name,
                                   const mlp_csv_options *options)
{
    MLP_CHECK_PTR(table);
    *table = NULL;
    MLP_CHECK_PTR(file);
    MLP_CHECK_PTR(options);
    return read_table(table, file, name != NULL ? name : "(stream)", options);
}

mlp_status mlp_csv_stream_open(mlp_csv_stream **stream, const char *path,
                               const mlp_csv_options *options)
{
    MLP_CHECK_PTR(stream);
    *stream = NULL;
    MLP_CHECK_PTR(path);
    MLP_CHECK_PTR(options);
    FILE *f = fopen(path, "rb");
    MLP_CHECK(f != NULL, MLP_ERR_IO, "mlp_csv_stream_open: %s: %s", path, strerror(errno));
    mlp_status s = stream_open(stream, f, 1, path, options, 0, __func__);
    if (s != MLP_OK) fclose(f);
    return s;
}

mlp_status mlp_csv_stream_open_file(mlp_csv_stream **stream, FILE *file, const char *name,
                                    const mlp_csv_options *options)
{
    MLP_CHECK_PTR(stream);
    *stream = NULL;
    MLP_CHECK_PTR(file);
    MLP_CHECK_PTR(options);
    return stream_open(stream, file, 0, name != NULL ? name : "(stream)", options, 0, __func__);
}

mlp_status mlp_csv_stream_read(mlp_csv_stream *stream, mlp_table **table, size_t max_rows)
{
    MLP_CHECK_PTR(table);
    *table = NULL;
    MLP_CHECK_PTR(stream);
    MLP_CHECK(max_rows > 0, MLP_ERR_INVALID_ARG, "mlp_csv_stream_read: max_rows is 0");
    return stream_next(stream, table, max_rows);
}

void mlp_csv_stream_close(mlp_csv_stream *stream) { stream_free(stream); }
