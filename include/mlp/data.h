/**
 * @file mlp/data.h
 * @brief libmlp: tables from CSV files, the preprocessing a model keeps, classification helpers, splits and scores.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_DATA
#define MLP_H_DATA

/**
 * @defgroup libmlp_classify Classification helpers
 * One-hot targets, predicted classes, accuracy.
 * @{
 */

/**
 * One-hot rows: out gets 1 at column labels[i] of row i, 0 elsewhere.
 * @param[out] out     (n, k) row-major; untouched on failure.
 * @param[in]  labels  n class indices, each below k.
 * @param      n       rows, > 0.
 * @param      k       classes, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero sizes, a label >= k).
 */
MLP_API mlp_status mlp_onehot(double *out, const size_t *labels, size_t n, size_t k);

/**
 * Index of the largest value of each row; the first one on ties.
 * @param[out] labels  n indices.
 * @param[in]  scores  (n, k) row-major.
 * @param      n       rows, > 0.
 * @param      k       columns, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero sizes).
 */
MLP_API mlp_status mlp_argmax(size_t *labels, const double *scores, size_t n, size_t k);

/**
 * Fraction of rows classified right. With k == 1 (binary): pred >= 0.5 against
 * target >= 0.5. With k > 1: argmax of pred against argmax of target (one-hot).
 * @param[out] accuracy  in [0, 1].
 * @param[in]  pred      (n, k) predictions.
 * @param[in]  target    (n, k) targets.
 * @param      n         rows, > 0.
 * @param      k         columns, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero sizes).
 */
MLP_API mlp_status mlp_accuracy(double *accuracy, const double *pred, const double *target,
                                size_t n, size_t k);

/** @} */

/**
 * @defgroup libmlp_data Data files (since 1.2)
 * Tables read from CSV files: inputs and targets as row-major matrices of doubles,
 * with the columns' names and, for classification, the class labels.
 * @{
 */

/** What the target column holds. */
typedef enum mlp_task {
    MLP_TASK_AUTO = 0,           /**< decide from the target column: text, or integers with
                                      at most 20 distinct values, are classes; other
                                      numbers, or several target columns, are regression */
    MLP_TASK_REGRESSION = 1,     /**< numbers */
    MLP_TASK_CLASSIFICATION = 2  /**< one column of class labels (any text) */
} mlp_task;

/** How an input column of a table enters the network (since 1.7). */
typedef enum mlp_column_kind {
    MLP_COLUMN_NUMERIC = 0,    /**< numbers: one input (and, with missing indicators, a
                                    second that is 1 where the cell was missing) */
    MLP_COLUMN_CATEGORICAL = 1 /**< labels: one input per category seen in training, 1 for
                                    the row's and 0 for the others (one-hot); a value not
                                    seen in training is all zeros */
} mlp_column_kind;

/** The value a missing number takes (since 1.7): a statistic of the column's numbers in
 *  the table the model learns from, kept in the model. */
typedef enum mlp_impute {
    MLP_IMPUTE_MEDIAN = 0, /**< the median (the mean of the middle two for an even count) */
    MLP_IMPUTE_MEAN = 1    /**< the mean */
} mlp_impute;

/** The fields that mean a missing value when mlp_csv_options::missing is NULL, besides the
 *  empty field (since 1.7): pandas' most common ones, and "?" as the UCI tables write it. */
#define MLP_CSV_MISSING_DEFAULT "NA,N/A,n/a,NaN,nan,NULL,null,None,?"

/** The most categories a column may have when mlp_csv_options::max_categories is 0
 *  (since 1.7). */
#define MLP_CSV_MAX_CATEGORIES 1000

/** mlp_csv_options::header: find out from the first record (since 1.5). */
#define MLP_CSV_HEADER_DETECT (-1)

/** How mlp_table_read_csv() reads a file. Fill with mlp_csv_options_init(). */
typedef struct mlp_csv_options {
    /** sizeof(mlp_csv_options), set by mlp_csv_options_init() */
    size_t struct_size;
    /** 1: the first record names the columns; 0: there is no header and the columns are
     *  named by their 1-based numbers ("1", "2", ...); ::MLP_CSV_HEADER_DETECT (the
     *  default since 1.5; 1 before): detected from the first record — a header when it
     *  holds a name the options ask for (target, inputs), else data when it holds a
     *  number, else a header; a record whose numbers count 0, 1, 2, ... (or 1, 2, 3, ...)
     *  as pandas names unnamed columns is refused with ::MLP_ERR_FORMAT, asking which */
    int header;
    /** the field separator; default ',' */
    char delimiter;
    /** the target columns, comma-separated names; NULL (default): the last column;
     *  "": none (a file to predict) */
    const char *target;
    /** the input columns, comma-separated names, in the order the network takes them;
     *  NULL (default): every column that is not a target, in file order */
    const char *inputs;
    /** default ::MLP_TASK_AUTO */
    mlp_task task;
    /** with ::MLP_TASK_CLASSIFICATION: the class labels and their order (a model's,
     *  from mlp_net_class_name()); a target outside them is an error. NULL (default):
     *  the labels found, sorted in an order no locale changes: by value when every
     *  label is a number (numbers read as in the C locale; equal values written
     *  differently, "1" and "1.0", by their bytes), else by their bytes (strcmp:
     *  "Zebra" before "apple") */
    const char *const *classes;
    /** the number of `classes` */
    size_t n_classes;
    /** the input columns as an array of names (for names with commas in them, a
     *  model's mlp_net_input_name()); with n_input_names > 0 it replaces `inputs` */
    const char *const *input_names;
    /** the number of `input_names` */
    size_t n_input_names;
    /** the target columns as an array of names; with n_target_names > 0 it replaces
     *  `target` */
    const char *const *target_names;
    /** the number of `target_names` */
    size_t n_target_names;
    /** (since 1.7) input columns read as categories even where they hold numbers (a code,
     *  a year read as a label), comma-separated names; NULL: none. Without it, a column
     *  is categorical when its fields (the missing ones aside) hold no number, numeric
     *  when they hold nothing else; a column of both is refused, naming the first text
     *  and asking which it is. A table read for a model (`model`) reads its columns as
     *  the model does and ignores this. */
    const char *categorical;
    /** (since 1.7) input columns that must hold numbers: a text in one is an error, not
     *  a category; comma-separated names, NULL: none */
    const char *numeric;
    /** (since 1.7) columns that are not inputs when `inputs` is NULL (an identifier, a
     *  free-text note), comma-separated names; NULL: none */
    const char *ignore;
    /** (since 1.7) the fields, besides the empty one, that mean a missing value,
     *  comma-separated (compared whole, after libcsv's trimming of quotes); NULL:
     *  ::MLP_CSV_MISSING_DEFAULT; "": the empty field only. A missing input is filled
     *  (numbers: see `impute`; categories: an input of its own, "NAME (missing)", when
     *  the training rows had missing cells in that column); a row whose target is
     *  missing is dropped and counted (mlp_table_dropped_rows()). */
    const char *missing;
    /** (since 1.7) the value a missing number takes; default ::MLP_IMPUTE_MEDIAN */
    mlp_impute impute;
    /** (since 1.7) 1: a numeric column with missing cells among the training rows gets a
     *  second input, "NAME (missing)", 1 where the cell was missing and 0 elsewhere;
     *  default 0 */
    int missing_indicators;
    /** (since 1.7) the most distinct values a categorical column may have; 0 (default):
     *  ::MLP_CSV_MAX_CATEGORIES. A column with more is refused (an identifier or free
     *  text would become thousands of inputs), as is a column found categorical (not
     *  declared) with more than 10 values of which most appear once (more distinct
     *  values than half its filled cells) */
    size_t max_categories;
    /** (since 1.7) read the inputs as this model reads them: its columns, the kind of
     *  each, its categories, its missing tokens and the values it fills them with, into
     *  the model's inputs (mlp_csv_options_for_net() sets it). A value the model did not
     *  see in training is encoded as zeros and counted (mlp_column_info::unseen); a text
     *  in a column the model reads as numbers is an error. A model without columns
     *  (trained before 1.7, or not from a table) reads numbers only, every cell holding one.
     *  NULL (default): the table's own columns, decided from the file */
    const mlp_net *model;
} mlp_csv_options;

/** A table read from a file: rows of inputs and targets. */
typedef struct mlp_table mlp_table;

/**
 * Set CSV options' struct_size and defaults: the header detected
 * (::MLP_CSV_HEADER_DETECT), ',' between fields, the last column the target, every
 * other column an input, the task decided from the target column.
 * @param[out] options      the options to fill.
 * @param      struct_size  sizeof(mlp_csv_options) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_csv_options_init(mlp_csv_options *options, size_t struct_size);

/**
 * Set CSV options that read a file as `net` reads its rows (since 1.7): its input
 * columns found by the model's names, in the model's order, wherever they stand in the
 * file; its target columns by the model's names; its class labels as the model's
 * classes, in the model's order (a label the model does not know is an error). A file
 * read with other options gives the model its own column order and its own sorted
 * labels, which a model trained on another file does not share: the predictions and
 * scores would be silently wrong. For a file without the target column (rows to
 * predict), set `target` to "" and `n_target_names` to 0 after this call.
 * @param[out] options      the options to fill (the defaults of mlp_csv_options_init(),
 *                          then the model's columns and classes); they point into the
 *                          network's names, valid while it lives.
 * @param      struct_size  sizeof(mlp_csv_options) as the caller's header declares it.
 * @param      net          a model that keeps its columns' names (mlp_net_set_table_names(),
 *                          mlp_net_set_columns(), or a model the `mlp` command trained).
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL, a bad struct_size, or a model
 *         without column names (nothing to find the columns by).
 */
MLP_API mlp_status mlp_csv_options_for_net(mlp_csv_options *options, size_t struct_size,
                                           const mlp_net *net);

/**
 * Read a CSV file (RFC 4180: quoted fields with embedded separators, quotes and
 * newlines; LF or CRLF line ends; a UTF-8 byte order mark) into a table, streaming:
 * memory is the parsed numbers. Numbers are read in the "C" locale whatever the
 * process's LC_NUMERIC. Blank lines are skipped. Since 1.7 the table decides its own
 * input columns (see mlp_csv_options::categorical and mlp_csv_options::missing;
 * docs/tables.md): a text column is categorical, one-hot encoded into one input per category; a missing number
 * is filled with the column's median (or mean); a row whose target is missing is left
 * out and counted (mlp_table_dropped_rows()); mlp_table_column() describes each column
 * and mlp_net_set_table_names() gives the model all of it. A record with another number
 * of fields than the first, a column of numbers and text, an identifier-like text
 * column, a column without a value, a value that is not finite, a field over 64 KiB, a
 * label or name that is not UTF-8, an unclosed quote, an empty file or one with no data
 * rows: ::MLP_ERR_FORMAT with the line and column in mlp_error_detail(); nothing is
 * returned.
 * @param[out] table    receives the table (mlp_table_free()); NULL on failure.
 * @param[in]  path     the file.
 * @param[in]  options  see ::mlp_csv_options.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad options, a column named in the
 *         options that the file lacks), ::MLP_ERR_IO, ::MLP_ERR_FORMAT, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_table_read_csv(mlp_table **table, const char *path,
                                      const mlp_csv_options *options);

/**
 * mlp_table_read_csv() from an open stream, read to its end (not closed).
 * @param[out] table    receives the table.
 * @param[in]  file     the stream.
 * @param[in]  name     what messages call it (NULL: "(stream)").
 * @param[in]  options  see ::mlp_csv_options.
 * @return as mlp_table_read_csv().
 */
MLP_API mlp_status mlp_table_read_csv_file(mlp_table **table, FILE *file, const char *name,
                                           const mlp_csv_options *options);

/** A CSV file read a block of rows at a time (files larger than memory). */
typedef struct mlp_csv_stream mlp_csv_stream;

/**
 * Open a CSV file to read in blocks of rows with mlp_csv_stream_read(). The options
 * are mlp_table_read_csv()'s, except that the task cannot wait for the whole file:
 * a stream has no target (target ""), or numeric targets (::MLP_TASK_REGRESSION), or
 * a given class list.
 * @param[out] stream   receives the stream (mlp_csv_stream_close()).
 * @param[in]  path     the file.
 * @param[in]  options  see ::mlp_csv_options.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_IO, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_csv_stream_open(mlp_csv_stream **stream, const char *path,
                                       const mlp_csv_options *options);

/**
 * mlp_csv_stream_open() on an open stream (not closed by mlp_csv_stream_close()).
 * @param[out] stream   receives the stream.
 * @param[in]  file     the input.
 * @param[in]  name     what messages call it (NULL: "(stream)").
 * @param[in]  options  see mlp_csv_stream_open().
 * @return as mlp_csv_stream_open().
 */
MLP_API mlp_status mlp_csv_stream_open_file(mlp_csv_stream **stream, FILE *file,
                                            const char *name, const mlp_csv_options *options);

/**
 * The next block of at most max_rows rows, as a table of its own; NULL (and ::MLP_OK)
 * at the end of the file. Errors are mlp_table_read_csv()'s, with the line of the
 * file; after one, every later call fails the same way.
 * @param      stream    the stream.
 * @param[out] table     receives the block (mlp_table_free()), or NULL at the end.
 * @param      max_rows  > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_FORMAT, ::MLP_ERR_IO, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_csv_stream_read(mlp_csv_stream *stream, mlp_table **table,
                                       size_t max_rows);

/** Close a stream (and the file mlp_csv_stream_open() opened); NULL is accepted.
 *  @param stream the stream. */
MLP_API void mlp_csv_stream_close(mlp_csv_stream *stream);

/** Free a table; NULL is accepted. @param table the table. */
MLP_API void mlp_table_free(mlp_table *table);

/** @param table a table (NULL gives 0). @return its rows. */
MLP_API size_t mlp_table_rows(const mlp_table *table);

/** @param table a table (NULL gives 0). @return its input columns. */
MLP_API size_t mlp_table_n_inputs(const mlp_table *table);

/** @param table a table (NULL gives 0). @return its target columns (1 for classes). */
MLP_API size_t mlp_table_n_targets(const mlp_table *table);

/** @param table a table. @return the inputs, (rows, n_inputs) row-major; valid until
 *  mlp_table_free(). */
MLP_API const double *mlp_table_inputs(const mlp_table *table);

/** @param table a table. @return the targets, (rows, n_targets) row-major: numbers,
 *  or for classification the class index of each row (0 to n_classes - 1); NULL
 *  without targets. */
MLP_API const double *mlp_table_targets(const mlp_table *table);

/** @param table a table. @param i an input column. @return its name, or NULL. */
MLP_API const char *mlp_table_input_name(const mlp_table *table, size_t i);

/** @param table a table. @param i a target column. @return its name, or NULL. */
MLP_API const char *mlp_table_target_name(const mlp_table *table, size_t i);

/**
 * The table's rows as a dataset, in one call: its inputs, its targets (for a table of
 * classes, the class indices with their count: a dataset of classes), its shape. The
 * dataset points into the table: keep the table until the dataset is no longer used
 * (since 1.5).
 * @param[out] data         the dataset to fill.
 * @param      struct_size  sizeof(mlp_dataset) as the caller's header declares it.
 * @param[in]  table        the table.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG (NULL, a bad struct_size).
 */
MLP_API mlp_status mlp_table_dataset(mlp_dataset *data, size_t struct_size,
                                     const mlp_table *table);

/** @param table a table. @return 1 when the target holds classes, else 0. */
MLP_API int mlp_table_is_classification(const mlp_table *table);

/** @param table a table. @return its classes (0 for regression). */
MLP_API size_t mlp_table_n_classes(const mlp_table *table);

/** @param table a table. @param k a class index. @return its label, or NULL. */
MLP_API const char *mlp_table_class_name(const mlp_table *table, size_t k);

/** One input column of a table or a model, as mlp_table_column() and mlp_net_column()
 *  describe it (since 1.7). Fill with mlp_column_info_init(). */
typedef struct mlp_column_info {
    /** sizeof(mlp_column_info), set by mlp_column_info_init() */
    size_t struct_size;
    /** the column's name (valid while the table or model lives) */
    const char *name;
    /** numeric or categorical */
    mlp_column_kind kind;
    /** the first of its inputs to the network */
    size_t first_input;
    /** how many inputs it takes: 1 (or 2, with a missing indicator) for numbers; its
     *  categories (and 1 more for a missing cell) for categories */
    size_t n_inputs;
    /** numeric: the value a missing cell takes; NaN for a categorical column */
    double fill;
    /** numeric: 1 when its second input says where the cell was missing */
    int indicator;
    /** categorical: its categories, in the order of its inputs */
    size_t n_categories;
    /** categorical: n_categories labels (valid while the table or model lives) */
    const char *const *categories;
    /** categorical: 1 when its last input stands for a missing cell */
    int missing_category;
    /** a table's: its cells found missing (and filled); 0 for a model */
    size_t missing;
    /** a table read for a model: the values not among the model's categories, encoded as
     *  zeros; 0 otherwise */
    size_t unseen;
    /** a table read for a model: the first of those values (valid while the table
     *  lives), or NULL */
    const char *first_unseen;
} mlp_column_info;

/**
 * Set a column description's struct_size and empty it (since 1.7).
 * @param[out] info         the struct to fill.
 * @param      struct_size  sizeof(mlp_column_info) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_column_info_init(mlp_column_info *info, size_t struct_size);

/** @param table a table (NULL gives 0). @return its input columns as the file holds them
 *  (each one or more inputs); 0 for a table without column descriptions (read as
 *  numbers for a model that has none). Since 1.7. */
MLP_API size_t mlp_table_n_columns(const mlp_table *table);

/**
 * Describe a table's input column c (since 1.7).
 * @param      table  the table.
 * @param      c      below mlp_table_n_columns().
 * @param[out] info   its struct_size set (mlp_column_info_init()).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, c out of range, a bad struct_size).
 */
MLP_API mlp_status mlp_table_column(const mlp_table *table, size_t c, mlp_column_info *info);

/** @param table a table (NULL gives 0). @return the rows left out because their target
 *  was missing (since 1.7). */
MLP_API size_t mlp_table_dropped_rows(const mlp_table *table);

/** @} */

/**
 * @defgroup libmlp_prep Preprocessing kept in the model (since 1.2)
 * What a model does to raw rows around the network: input scaling fitted on the
 * training rows, target scaling for regressions (predictions come back in the
 * targets' units), the names of the columns it was trained on, and the labels of its
 * classes. All of it is saved with the network and loaded with it.
 * @{
 */

/** How a column is scaled: x' = (x - shift) / scale. */
typedef enum mlp_scaling {
    MLP_SCALE_NONE = 0,     /**< as it is */
    MLP_SCALE_STANDARD = 1, /**< shift the mean, scale the (population) standard deviation */
    MLP_SCALE_MINMAX = 2    /**< shift the minimum, scale the range: the rows fall in [0, 1] */
} mlp_scaling;

/**
 * Fit the input scaling, and the target scaling, on training rows (a column that is
 * constant gets scale 1). Replaces any earlier scaling.
 * @param net      the network (its inputs and outputs give the columns).
 * @param inputs   how to scale the inputs.
 * @param targets  how to scale the targets: ::MLP_SCALE_NONE for classification (a
 *                 softmax output refuses any other).
 * @param[in] train  raw rows; y may be NULL with targets ::MLP_SCALE_NONE.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NUMERIC (a value that is not
 *         finite), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_fit_scaling(mlp_net *net, mlp_scaling inputs, mlp_scaling targets,
                                       const mlp_dataset *train);

/**
 * The scaling in force (identity where none was fitted). Any pointer may be NULL.
 * @param      net        the network.
 * @param[out] in_shift   n_inputs values.
 * @param[out] in_scale   n_inputs values.
 * @param[out] out_shift  n_outputs values.
 * @param[out] out_scale  n_outputs values.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (net NULL).
 */
MLP_API mlp_status mlp_net_get_scaling(const mlp_net *net, double *in_shift, double *in_scale,
                                       double *out_shift, double *out_scale);

/**
 * Scale raw rows as the model does: inputs into x_out, targets into y_out (either may
 * be NULL; either may be the dataset's own array, in place).
 * @param      net    the network.
 * @param[out] x_out  (n, n_inputs), or NULL.
 * @param[out] y_out  (n, n_outputs), or NULL.
 * @param[in]  raw    the rows.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_net_transform(const mlp_net *net, double *x_out, double *y_out,
                                     const mlp_dataset *raw);

/**
 * The same as mlp_net_predict(), under the name it had before 1.5, when
 * mlp_net_predict() did not scale: kept for programs written then.
 * @param      net  the network.
 * @param      ws   a workspace for its shape.
 * @param[out] y    (n, n_outputs).
 * @param[in]  x    (n, n_inputs), as they come.
 * @param      n    1 to the workspace's max_batch.
 * @return as mlp_net_predict().
 */
MLP_API mlp_status mlp_net_predict_raw(const mlp_net *net, mlp_workspace *ws, double *y,
                                       const double *x, size_t n);

/**
 * Name the columns the network reads and predicts (saved with it).
 * @param net           the network.
 * @param input_names   n_inputs names.
 * @param target_names  n_targets names (NULL with 0).
 * @param n_targets     0 to n_outputs: one per output for a regression, 1 for a class
 *                      column.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a name over 64 KiB), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_set_columns(mlp_net *net, const char *const *input_names,
                                       const char *const *target_names, size_t n_targets);

/** @param net a network. @param i an input. @return its column's name, or NULL. */
MLP_API const char *mlp_net_input_name(const mlp_net *net, size_t i);

/** @param net a network. @return the target columns named (0 when none). */
MLP_API size_t mlp_net_n_targets(const mlp_net *net);

/** @param net a network. @param i a target column. @return its name, or NULL. */
MLP_API const char *mlp_net_target_name(const mlp_net *net, size_t i);

/**
 * Label the classes of the network's output (saved with it): one per output node, or
 * two for a single sigmoid node (class 1 when its output is above 0.5).
 * @param net        the network.
 * @param classes    n_classes distinct labels (NULL with 0: none).
 * @param n_classes  see above.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE (a count the output cannot
 *         stand for), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_set_classes(mlp_net *net, const char *const *classes,
                                       size_t n_classes);

/**
 * Name a network's columns and classes as a table names them: its inputs, its targets
 * and, for a table of classes, its class labels (mlp_net_set_columns() and
 * mlp_net_set_classes() in one call; since 1.5).
 * @param net    the network: as many inputs as the table, and outputs for its targets
 *               (a node per class, or one sigmoid node for two).
 * @param table  the table the network learns from.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL), ::MLP_ERR_SHAPE (the table's columns or
 *         classes do not fit the network: the detail names both), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_set_table_names(mlp_net *net, const mlp_table *table);

/** @param net a network (NULL gives 0). @return the table columns it reads (copied from a
 *  table by mlp_net_set_table_names(); since 1.7), each one or more of its inputs; 0
 *  when it keeps none: its inputs are then its columns. */
MLP_API size_t mlp_net_n_columns(const mlp_net *net);

/**
 * Describe the model's column c (since 1.7): its kind, inputs, categories and the value
 * a missing cell takes.
 * @param      net   the network.
 * @param      c     below mlp_net_n_columns().
 * @param[out] info  its struct_size set (mlp_column_info_init()).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, c out of range, a bad struct_size).
 */
MLP_API mlp_status mlp_net_column(const mlp_net *net, size_t c, mlp_column_info *info);

/**
 * Encode raw rows as the model reads them (since 1.7): each row's fields, one per column
 * of the model (mlp_net_column()), as text — numbers written as in a CSV file (the "C"
 * locale), categories as their labels, NULL or one of the model's missing tokens for a
 * missing cell — into the network's inputs, ready for mlp_net_predict(), which then
 * applies the scaling. A category the model did not see in training is encoded as
 * zeros and counted, never an error.
 * @param      net     a network with columns (mlp_net_n_columns() > 0).
 * @param[out] x       (n, n_inputs) row-major; untouched on failure.
 * @param[in]  fields  (n, n_columns) row-major strings.
 * @param      n       rows, > 0.
 * @param[out] unseen  NULL, or the count of values not among the model's categories.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, n 0, a model without columns, a field
 *         of a numeric column that is not a finite number: the row and column named,
 *         counted from 0).
 */
MLP_API mlp_status mlp_net_encode(const mlp_net *net, double *x, const char *const *fields,
                                  size_t n, size_t *unseen);

/** @param net a network. @return its classes (0: none, or a regression). */
MLP_API size_t mlp_net_n_classes(const mlp_net *net);

/** @param net a network. @param k a class. @return its label, or NULL. */
MLP_API const char *mlp_net_class_name(const mlp_net *net, size_t k);

/** @} */

/**
 * @defgroup libmlp_scores Splitting and scoring (since 1.2)
 * Seeded train/test splits and k folds (stratified by class when given the
 * classes), the confusion matrix, precision, recall and F1 per class, and MSE, MAE and
 * R² as scikit-learn computes them.
 * @{
 */

/**
 * A seeded split of n rows: `order` receives a permutation of 0..n-1 whose first
 * *n_train entries are the training rows and the rest the test rows (about
 * test_fraction of them; at least one of each). With `labels`, stratified: each class
 * gives its share (rounded) to the test rows, keeping at least one to train.
 * @param[out] order          n row indices.
 * @param[out] n_train        the training rows.
 * @param      n              rows, >= 2.
 * @param      test_fraction  in (0, 1).
 * @param[in]  labels         n class indices (whole numbers, as mlp_table_targets()
 *                            gives them for a table of classes), or NULL. A regression's
 *                            targets are no labels: whole numbers among them would pass
 *                            for classes; mlp_dataset_split() cannot mistake them.
 * @param      seed           the same seed gives the same split.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_split(size_t *order, size_t *n_train, size_t n, double test_fraction,
                             const double *labels, unsigned long long seed);

/**
 * mlp_split() of a dataset's rows: stratified by class for a dataset of classes
 * (::MLP_DATASET_CLASSES, a table of classes), plain for any other (since 1.5).
 * @param[out] order          data->n row indices: the training rows, then the test rows.
 * @param[out] n_train        the training rows.
 * @param[in]  data           the rows (its x and y are not read, but for its classes).
 * @param      test_fraction  in (0, 1).
 * @param      seed           the same seed gives the same split.
 * @return as mlp_split(); ::MLP_ERR_INVALID_ARG for a dataset without its shape.
 */
MLP_API mlp_status mlp_dataset_split(size_t *order, size_t *n_train, const mlp_dataset *data,
                                     double test_fraction, unsigned long long seed);

/**
 * Row weights from class weights (since 1.7), for mlp_dataset::w: each row gets its
 * class's weight; with class_weight NULL, "balanced" as scikit-learn defines it: n /
 * (k · the rows of the class), so that every class weighs the same in total and the
 * weights average 1.
 * @param[out] w             data->n weights.
 * @param[in]  data          a dataset of classes (::MLP_DATASET_CLASSES, mlp_table_dataset()).
 * @param[in]  class_weight  data->n_classes weights (finite, >= 0), or NULL: balanced.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a dataset without classes or its shape, a
 *         class index out of range, a weight that is negative or not finite),
 *         ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_dataset_class_weights(double *w, const mlp_dataset *data,
                                             const double *class_weight);

/**
 * Assign n rows to k folds for cross-validation, seeded; with `labels`, each class
 * is dealt across the folds (stratified).
 * @param[out] fold    n fold numbers, 0 to k - 1.
 * @param      n       rows.
 * @param      k       2 to n.
 * @param[in]  labels  n class indices, or NULL.
 * @param      seed    the same seed gives the same folds.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_kfold(size_t *fold, size_t n, size_t k, const double *labels,
                             unsigned long long seed);

/**
 * Copy rows: dst row i = src row rows[i].
 * @param[out] dst   (n, cols).
 * @param[in]  src   the source rows, (any, cols).
 * @param      cols  > 0.
 * @param[in]  rows  n row indices (not checked against src's size).
 * @param      n     rows to copy.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_gather_rows(double *dst, const double *src, size_t cols,
                                   const size_t *rows, size_t n);

/**
 * The confusion matrix: matrix[t * k + p] counts the rows of class t predicted as p.
 * @param[out] matrix     k * k counts.
 * @param[in]  truth      n classes.
 * @param[in]  predicted  n classes (mlp_argmax()).
 * @param      n          > 0.
 * @param      k          classes, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (a class >= k).
 */
MLP_API mlp_status mlp_confusion(size_t *matrix, const size_t *truth, const size_t *predicted,
                                 size_t n, size_t k);

/**
 * Precision, recall and F1 of each class from a confusion matrix; a ratio with a zero
 * denominator is 0 (scikit-learn's zero_division=0). Any output may be NULL.
 * @param[out] precision  k values.
 * @param[out] recall     k values.
 * @param[out] f1         k values.
 * @param[in]  matrix     from mlp_confusion().
 * @param      k          classes.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_class_scores(double *precision, double *recall, double *f1,
                                    const size_t *matrix, size_t k);

/**
 * Mean squared error, mean absolute error and R² (the mean of each column's
 * 1 - SS_res / SS_tot; a constant column scores 1 if predicted exactly, else 0), as
 * scikit-learn's mean_squared_error, mean_absolute_error and r2_score with their
 * defaults. Any output may be NULL.
 * @param[out] mse     the mean of the squared errors.
 * @param[out] mae     the mean of the absolute errors.
 * @param[out] r2      R².
 * @param[in]  pred    (n, k).
 * @param[in]  target  (n, k).
 * @param      n       > 0.
 * @param      k       > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NUMERIC (errors not finite).
 */
MLP_API mlp_status mlp_regression_scores(double *mse, double *mae, double *r2, const double *pred,
                                         const double *target, size_t n, size_t k);

/** How well a model does on labelled rows: what mlp_net_score() fills (since 1.5). */
typedef struct mlp_scores {
    /** sizeof(mlp_scores), set by mlp_scores_init() */
    size_t struct_size;
    /** rows scored */
    size_t n;
    /** the classes compared (a classification), or 0 (a regression) */
    size_t n_classes;
    /** classification: the fraction of rows whose predicted class is theirs; else NaN */
    double accuracy;
    /** classification: the mean over the classes present of their recall (scikit-learn's
     *  balanced_accuracy_score); else NaN */
    double balanced_accuracy;
    /** classification: the mean F1 over the classes present in the rows or predicted
     *  (f1_score(average='macro') of those labels); else NaN */
    double macro_f1;
    /** regression: mean squared error, in the targets' units; else NaN */
    double mse;
    /** regression: mean absolute error, in the targets' units; else NaN */
    double mae;
    /** regression: R², as mlp_regression_scores(); else NaN */
    double r2;
} mlp_scores;

/**
 * Set scores' struct_size and empty them (0 rows, NaN scores).
 * @param[out] scores       the struct to fill.
 * @param      struct_size  sizeof(mlp_scores) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_scores_init(mlp_scores *scores, size_t struct_size);

/**
 * Score a model on labelled rows, as they come: its predictions (mlp_net_predict(),
 * the model's preprocessing applied, in batches of the workspace's size) against the
 * rows' targets. A dataset of classes, or a network whose output is softmax or one
 * sigmoid node, is scored as a classification (the predicted class is the most probable,
 * or for one sigmoid node, class 1 above 0.5; one-hot targets give their class by their
 * largest value); any other as a regression, in the targets' units (since 1.5).
 * @param      net        the network.
 * @param      ws         a workspace for its shape (any batch size).
 * @param[out] scores     its struct_size must be set (mlp_scores_init()).
 * @param[out] confusion  NULL, or room for k² counts, k the network's classes
 *                        (mlp_net_n_outputs(), 2 for one sigmoid node):
 *                        confusion[t * k + p] counts the rows of class t predicted as
 *                        p, as mlp_confusion() (for mlp_class_scores()).
 * @param[in]  data       the rows (::MLP_DATASET, ::MLP_DATASET_CLASSES,
 *                        mlp_table_dataset()).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a bad struct_size, a dataset without
 *         targets, a class index out of range), ::MLP_ERR_SHAPE (the dataset's columns
 *         or the workspace), ::MLP_ERR_NOMEM, ::MLP_ERR_NUMERIC (a target or
 *         prediction that is not finite).
 */
MLP_API mlp_status mlp_net_score(const mlp_net *net, mlp_workspace *ws, mlp_scores *scores,
                                 size_t *confusion, const mlp_dataset *data);

/** @} */

#endif /* MLP_H_DATA */
