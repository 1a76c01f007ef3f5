/* The CSV reader's private header (lib/data/): what a reader keeps while it reads,
 * shared by the reader itself (csv.c: what the fields mean, the table it makes) and its
 * streams (csv_stream.c: files read in blocks, the public read calls). Never installed. */
#ifndef MLP_DATA_CSV_H
#define MLP_DATA_CSV_H

#include <csv.h>
#include <stdint.h>

#include "../model/model.h"

/* The longest field read: a number or a label is never this long; a 10 MB line of
 * garbage is refused rather than buffered. */
#define MLP__CSV_MAX_FIELD ((size_t)1 << 16)

/* A table: the rows read, the columns' names, the class labels (mlp_table_*). */
struct mlp_table {
    size_t rows, n_in, n_out;
    double *x, *y;
    char **in_names, **out_names;
    int classification;
    size_t n_classes;
    char **classes;
    mlp__columns cols;          /* the input columns the inputs encode (n 0: none described) */
    size_t *col_missing;        /* cols.n counts: cells found missing */
    size_t *col_unseen;         /* cols.n counts: values not among a model's categories */
    char **first_unseen;        /* cols.n: the first such value of each, or NULL */
    size_t dropped;             /* rows left out: their target was missing */
};

/* Distinct strings in order of first sight, with a hash to find them (open addressing). */
typedef struct mlp__strset {
    char **s;
    size_t n, cap;
    size_t *slots;     /* an index into s, or SIZE_MAX (empty) */
    size_t n_slots;    /* a power of two, at least twice n; 0: none yet */
} mlp__strset;

/* What a reader does with the input columns: numbers only (a stream without a model, a
 * model without columns), decide the table's own columns (a whole table), or read them
 * as a model does. */
enum { MLP__READ_NUMBERS = 0, MLP__READ_FIT = 1, MLP__READ_MODEL = 2 };

/* An input column while the table's own columns are decided. */
typedef struct mlp__csv_col {
    int declared;          /* 0, or 1 + MLP_COLUMN_NUMERIC / MLP_COLUMN_CATEGORICAL */
    size_t n_number, n_text, n_missing;
    size_t text_line;      /* where the first text is (for messages) */
    mlp__strset set;       /* the distinct texts (the first is set.s[0]) */
    uint32_t *code;        /* per stored row: the text's index in set, or UINT32_MAX;
                              NULL until the column holds a text */
    size_t code_cap;
} mlp__csv_col;

typedef struct mlp__csv_reader {
    const mlp_csv_options *o;
    const char *name; /* for messages */
    mlp_status status;
    size_t line;       /* physical line being parsed, 1-based */
    int after_cr;      /* the last byte fed was a CR: a LF now ends no new line */
    size_t record;     /* records seen, the header included */
    size_t field;      /* fields of the current record so far */
    size_t columns;    /* fields per record, fixed by the first */
    char **first;      /* the first record's fields, kept until the plan exists */
    size_t *first_len;
    size_t first_n, first_cap;
    char **header;     /* = first with a header row, else NULL (columns are numbered) */
    int *role;         /* per column: its index among the inputs (below n_raw) or the
                          targets, or skip */
    int *is_target;
    size_t n_in, n_out; /* the values of a row: inputs as stored, targets */
    int mode;          /* MLP__READ_* */
    size_t n_raw;      /* the input columns of the file */
    size_t *col_of;    /* n_raw: the file's column of each input column */
    mlp__csv_col *cols;    /* READ_FIT: n_raw */
    uint32_t *row_code;    /* READ_FIT: the record's texts' codes, n_raw */
    const mlp__columns *mc; /* READ_MODEL: the model's columns */
    mlp__columns own;  /* READ_FIT: the columns decided; the options' missing tokens */
    size_t *col_missing, *col_unseen; /* n_raw counts (READ_FIT, READ_MODEL) */
    char **first_unseen; /* READ_MODEL: n_raw, the first value of each not in the model */
    size_t dropped;    /* rows whose target was missing */
    int row_dropped;   /* the record being read has no target */
    size_t max_categories;
    /* data */
    double *x, *y;
    size_t rows, cap;
    size_t limit;      /* stop feeding once this many rows are held (a stream's chunk) */
    double *row_x, *row_y; /* the record being read */
    /* target labels (classification or undecided) */
    int task;          /* MLP_TASK_* */
    mlp__strset labels; /* distinct target strings in order of first sight */
    size_t *label_of;  /* per row, the label index (undecided or classification) */
    size_t row_label;
    int all_numeric;   /* every target value so far parsed as a finite number */
    int fixed_classes; /* the label set came with the options */
} mlp__csv_reader;

/* A reader for options `o` (checked by the caller; kept, with `name`, for as long as
 * the reader): the given class list taken in order; `whole`: the table is read at once,
 * so it may decide its own columns. Its status, MLP_OK or the failure (then
 * mlp__csv_reader_free). */
mlp_status mlp__csv_reader_init(mlp__csv_reader *r, const mlp_csv_options *o, const char *name,
                                int whole);
void mlp__csv_reader_free(mlp__csv_reader *r);

/* libcsv set to the options' delimiter, its field buffer bounded (MLP__CSV_MAX_FIELD). */
void mlp__csv_parser_init(struct csv_parser *p, int delimiter);

/* The reader's first failure, "NAME: message" (later ones are dropped); returns 0. */
int mlp__csv_fail(mlp__csv_reader *r, mlp_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Up to len bytes through libcsv, a physical line at a time, until r->limit rows are
 * held; *used receives the bytes consumed. 1 while the reader is well. */
int mlp__csv_feed(mlp__csv_reader *r, struct csv_parser *p, const unsigned char *buf, size_t len,
                  size_t *used);

/* The end of the input: libcsv's last record, or the error of a quote left open. */
void mlp__csv_end(mlp__csv_reader *r, struct csv_parser *p);

/* Once every row is in: the task decided, classes sorted and the rows relabeled. */
void mlp__csv_finish(mlp__csv_reader *r);


/* ---- csv_text.c: messages, UTF-8, numbers, missing cells, sets of strings ---- */

/* 1: a finite number fills s[0..n) (as strtod reads it in the C locale); -1: a number
 * that is not finite (nan, inf, 1e999); 0: not a number. */
int mlp__csv_number(const char *s, size_t n, double *v);

/* Well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF). */
int mlp__csv_utf8_ok(const unsigned char *s, size_t n);

/* s[0..n) as a new NUL-terminated string, or NULL. */
char *mlp__csv_copy(const void *s, size_t n);

/* Column c's name for a message: the header's, quoted, or its 1-based number. */
void mlp__csv_column_name(const mlp__csv_reader *r, size_t c, char *buf, size_t size);

/* Column c's name as a table keeps it, a new string: the header's, or its 1-based
 * number; NULL without memory. */
char *mlp__csv_name_copy(const mlp__csv_reader *r, size_t c);

/* Whether field s[0..n) means a missing cell: the model's tokens, or the options'. */
int mlp__csv_is_missing(const mlp__csv_reader *r, const char *s, size_t n);

/* The index of s[0..n) in the set, or SIZE_MAX: one hash probe. */
size_t mlp__strset_find(const mlp__strset *t, const char *s, size_t n);

/* Add s[0..n) (not in the set) as its next index; 0 (the reader failed) without memory. */
int mlp__strset_add(mlp__csv_reader *r, mlp__strset *t, const char *s, size_t n, size_t *index);

void mlp__strset_free(mlp__strset *t);

/* The set's strings sorted into sorted[] (numbers by value when all are numbers, equal
 * ones by their bytes; else by bytes), and map[old index] = new index. */
void mlp__strset_sort(const mlp__strset *t, char **sorted, size_t *map);

/* ---- csv_columns.c: a table's own columns, and a model's ---- */

/* An input field (file column c, input column j) of a table that decides its own
 * columns (READ_FIT): a number, a missing cell, or a text of the column's set. */
void mlp__csv_fit_field(mlp__csv_reader *r, size_t c, size_t j, const char *s, size_t len);

/* An input field read as the model reads its column j (READ_MODEL). */
void mlp__csv_model_field(mlp__csv_reader *r, size_t c, size_t j, const char *s, size_t len);

/* Once every row is in (READ_FIT): each input column's kind, categories and fill
 * decided, and the rows encoded into the inputs they make. */
void mlp__csv_decide(mlp__csv_reader *r);

/* ---- encode.c ---- */

/* Field s[0..len) (NULL: missing) of the model's column j into its inputs in `row` (the
 * network's inputs): 0 done, 1 missing (filled), 2 a category the model does not know
 * (zeros), -1 not a finite number in a numeric column (nothing written). lib/data/encode.c. */
int mlp__encode_field(const mlp__columns *cs, size_t j, double *row, const char *s, size_t len);

/* The rows the reader holds, as a new table (the reader starts empty again). */
mlp_status mlp__csv_take_table(mlp__csv_reader *r, mlp_table **table);

#endif
