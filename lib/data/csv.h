/* The CSV reader's private header (lib/data/): what a reader keeps while it reads,
 * shared by the reader itself (csv.c: what the fields mean, the table it makes) and its
 * streams (csv_stream.c: files read in blocks, the public read calls). Never installed. */
#ifndef MLP_DATA_CSV_H
#define MLP_DATA_CSV_H

#include <csv.h>

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
};

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
    int *role;         /* per column: input index, target index (+ n_in ... encoded), or skip */
    int *is_target;
    size_t n_in, n_out;
    /* data */
    double *x, *y;
    size_t rows, cap;
    size_t limit;      /* stop feeding once this many rows are held (a stream's chunk) */
    double *row_x, *row_y; /* the record being read */
    /* target labels (classification or undecided) */
    int task;          /* MLP_TASK_* */
    char **labels;     /* distinct target strings in order of first sight */
    size_t n_labels, labels_cap;
    size_t *slots;     /* open addressing over labels: an index, or SIZE_MAX (empty) */
    size_t n_slots;    /* a power of two, at least twice n_labels; 0: none yet */
    size_t *label_of;  /* per row, the label index (undecided or classification) */
    size_t row_label;
    int all_numeric;   /* every target value so far parsed as a finite number */
    int fixed_classes; /* the label set came with the options */
} mlp__csv_reader;

/* A reader for options `o` (checked by the caller; kept, with `name`, for as long as
 * the reader): the given class list taken in order. Its status, MLP_OK or the failure
 * (then mlp__csv_reader_free). */
mlp_status mlp__csv_reader_init(mlp__csv_reader *r, const mlp_csv_options *o, const char *name);
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

/* The rows the reader holds, as a new table (the reader starts empty again). */
mlp_status mlp__csv_take_table(mlp__csv_reader *r, mlp_table **table);

#endif
