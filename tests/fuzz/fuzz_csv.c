/* libFuzzer harness: any bytes as a CSV file. The first byte chooses the options
 * (a header, none or one detected, the task, the delimiter, whether the first column
 * is the target); the rest is the file. The reader must return a status, never crash, leak or read
 * out of bounds; what it accepts must be a consistent table: finite inputs, targets
 * finite (class indices within the classes for classification), names for every
 * column, distinct among the columns taken and among the classes; and a network given
 * the table's names keeps the two rules (../invariants.h). */
#define _GNU_SOURCE /* fmemopen */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

#include "../invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    const uint8_t opts = data[0];
    mlp_csv_options o;
    mlp_csv_options_init(&o, sizeof o);
    o.header = (opts & 64) ? MLP_CSV_HEADER_DETECT : opts & 1;
    o.task = (mlp_task)((opts >> 1) % 3);
    o.delimiter = (opts & 8) ? ';' : ',';
    if (opts & 16) o.target = o.header ? "a" : "1";
    if (opts & 32) o.target = "";
    if (opts & 128) { /* the columns' options (1.7) */
        o.categorical = o.header ? "b" : "2";
        o.missing_indicators = 1;
        o.impute = MLP_IMPUTE_MEAN;
        o.max_categories = 5;
    }
    /* fmemopen refuses size 0: /dev/null is the empty file */
    FILE *f = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") : fopen("/dev/null", "r");
    if (f == NULL) return 0;
    mlp_table *t = NULL;
    const mlp_status s = mlp_table_read_csv_file(&t, f, "fuzz.csv", &o);
    fclose(f);
    require((s == MLP_OK) == (t != NULL));
    require(s != MLP_OK || strlen(mlp_error_detail()) < 4096);
    if (t == NULL) return 0;
    const size_t rows = mlp_table_rows(t), in = mlp_table_n_inputs(t), out = mlp_table_n_targets(t);
    require(rows > 0 && in > 0);
    for (size_t i = 0; i < rows * in; i++) require(isfinite(mlp_table_inputs(t)[i]));
    for (size_t i = 0; i < in; i++) require(mlp_table_input_name(t, i) != NULL);
    for (size_t i = 0; i < out; i++) require(mlp_table_target_name(t, i) != NULL);
    if (mlp_table_is_classification(t)) {
        const size_t k = mlp_table_n_classes(t);
        require(out == 1 && k > 0);
        for (size_t i = 0; i < rows; i++) {
            const double c = mlp_table_targets(t)[i];
            require(c >= 0 && c < (double)k && c == floor(c));
        }
        for (size_t j = 0; j < k; j++) require(mlp_table_class_name(t, j) != NULL);
    } else {
        for (size_t i = 0; i < rows * out; i++) require(isfinite(mlp_table_targets(t)[i]));
    }
    /* what a table gives a model saves into a file that loads back (labels with NUL
     * bytes became new classes at each row in 1.5.0; equal names could not be found) */
    size_t i, j;
    const size_t k = mlp_table_n_classes(t);
    const char **names = malloc((in + out + k + 1) * sizeof *names);
    if (names != NULL) {
        /* the columns taken: a table's own columns (1.7) by their names, else its inputs
         * (the names of a column's inputs, "a=b", may meet another column's) */
        const size_t nc = mlp_table_n_columns(t), ni = nc > 0 ? nc : in;
        for (size_t c = 0; c < ni; c++) {
            mlp_column_info ci;
            mlp_column_info_init(&ci, sizeof ci);
            names[c] = nc > 0 ? (mlp_table_column(t, c, &ci), ci.name) : mlp_table_input_name(t, c);
            require(names[c] != NULL);
        }
        for (size_t c = 0; c < out; c++) names[ni + c] = mlp_table_target_name(t, c);
        require(mlp__repeated_string(names, ni + out, &i, &j) <= 0);
        for (size_t c = 0; c < k; c++) names[c] = mlp_table_class_name(t, c);
        require(mlp__repeated_string(names, k, &i, &j) <= 0);
        free(names);
    }
    const mlp_layer_spec spec = MLP_LAYER(k > 2 ? k : out, k > 2 ? MLP_ACT_SOFTMAX
                                          : k == 2 ? MLP_ACT_SIGMOID : MLP_ACT_IDENTITY, 1);
    mlp_net *net = NULL;
    if (mlp_net_create(&net, in, &spec, 1) == MLP_OK) {
        if (mlp_net_set_table_names(net, t) == MLP_OK) require(inv_net(net) == NULL);
        mlp_net_free(net);
    }
    mlp_table_free(t);
    return 0;
}
