/* Tables with string columns and empty cells (since 1.7): each column's kind as the
 * documented rule decides it, the one-hot inputs and filled values checked cell by cell
 * against the text (hand arithmetic: medians and means of a few numbers), the columns
 * through a save and a load, a file read as the model reads it (unseen categories,
 * missing cells, blocks of a stream), mlp_net_encode against the reader, and what is
 * refused: an identifier, a column of numbers and text, a column without a value, a
 * million distinct strings. */
#define _GNU_SOURCE /* fmemopen */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static mlp_status read_text(mlp_table **t, const char *text, const mlp_csv_options *o)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    ck_assert_ptr_nonnull(f);
    const mlp_status s = mlp_table_read_csv_file(t, f, "t.csv", o);
    fclose(f);
    return s;
}

static mlp_csv_options defaults(void)
{
    mlp_csv_options o;
    ck_assert_int_eq(mlp_csv_options_init(&o, sizeof o), MLP_OK);
    return o;
}

static mlp_table *read_ok(const char *text, const mlp_csv_options *o)
{
    mlp_table *t = NULL;
    const mlp_status s = read_text(&t, text, o);
    ck_assert_msg(s == MLP_OK, "refused: %s", mlp_error_detail());
    return t;
}

static void read_refused(const char *text, const mlp_csv_options *o, const char *detail)
{
    mlp_table *t = NULL;
    const mlp_status s = read_text(&t, text, o);
    ck_assert_msg(s == MLP_ERR_FORMAT || s == MLP_ERR_INVALID_ARG, "status %d for %.60s", (int)s,
                  text);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(mlp_error_detail(), detail) != NULL, "detail \"%s\" lacks \"%s\"",
                  mlp_error_detail(), detail);
}

static mlp_column_info column(const mlp_table *t, size_t c)
{
    mlp_column_info ci;
    ck_assert_int_eq(mlp_column_info_init(&ci, sizeof ci), MLP_OK);
    ck_assert_int_eq(mlp_table_column(t, c, &ci), MLP_OK);
    return ci;
}

/* Row i of the table's inputs equals want[0..n). */
static void row_is(const mlp_table *t, size_t i, const double *want, size_t n)
{
    ck_assert_uint_eq(mlp_table_n_inputs(t), n);
    for (size_t j = 0; j < n; j++)
        ck_assert_msg(mlp_table_inputs(t)[i * n + j] == want[j], "row %zu input %zu: %g, not %g",
                      i, j, mlp_table_inputs(t)[i * n + j], want[j]);
}

/* A penguin-like table: a text column, numbers with holes, a text column with holes,
 * and the class last. */
static const char penguins[] = "island,bill,depth,sex,species\n"
                               "Torgersen,39.1,18.7,male,Adelie\n"
                               "Biscoe,46.1,,female,Gentoo\n"
                               "Dream,,17.9,,Chinstrap\n"
                               "Biscoe,50.0,16.3,male,Gentoo\n"
                               "Dream,46.5,NA,female,Chinstrap\n"
                               "Torgersen,39.5,?,female,Adelie\n";

START_TEST(kinds_one_hot_and_fills_are_as_the_text_says)
{
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok(penguins, &o);
    ck_assert_uint_eq(mlp_table_n_columns(t), 4);
    ck_assert_uint_eq(mlp_table_rows(t), 6);
    /* island: 3 categories in byte order; bill: numbers, median of 39.1 46.1 50 46.5
     * 39.5 (the middle of five: 46.1); depth: median of 18.7 17.9 16.3 (17.9), "NA"
     * and "?" missing by default; sex: 2 categories and a missing one of its own */
    const mlp_column_info island = column(t, 0), bill = column(t, 1), depth = column(t, 2),
                          sex = column(t, 3);
    ck_assert_int_eq(island.kind, MLP_COLUMN_CATEGORICAL);
    ck_assert_uint_eq(island.n_categories, 3);
    ck_assert_str_eq(island.categories[0], "Biscoe");
    ck_assert_str_eq(island.categories[1], "Dream");
    ck_assert_str_eq(island.categories[2], "Torgersen");
    ck_assert_int_eq(island.missing_category, 0);
    ck_assert_uint_eq(island.first_input, 0);
    ck_assert_uint_eq(island.n_inputs, 3);
    ck_assert_int_eq(bill.kind, MLP_COLUMN_NUMERIC);
    ck_assert_double_eq(bill.fill, 46.1);
    ck_assert_uint_eq(bill.missing, 1);
    ck_assert_uint_eq(bill.first_input, 3);
    ck_assert_double_eq(depth.fill, 17.9);
    ck_assert_uint_eq(depth.missing, 3);
    ck_assert_int_eq(sex.kind, MLP_COLUMN_CATEGORICAL);
    ck_assert_uint_eq(sex.n_categories, 2);
    ck_assert_int_eq(sex.missing_category, 1);
    ck_assert_uint_eq(sex.n_inputs, 3);
    ck_assert_uint_eq(sex.first_input, 5);
    ck_assert(isnan(sex.fill));
    /* the inputs, row by row: island one-hot, bill, depth, sex one-hot + missing */
    const double r0[8] = {0, 0, 1, 39.1, 18.7, 0, 1, 0};
    const double r2[8] = {0, 1, 0, 46.1, 17.9, 0, 0, 1};
    const double r5[8] = {0, 0, 1, 39.5, 17.9, 1, 0, 0};
    row_is(t, 0, r0, 8);
    row_is(t, 2, r2, 8);
    row_is(t, 5, r5, 8);
    ck_assert_str_eq(mlp_table_input_name(t, 0), "island=Biscoe");
    ck_assert_str_eq(mlp_table_input_name(t, 3), "bill");
    ck_assert_str_eq(mlp_table_input_name(t, 7), "sex (missing)");
    /* the classes are sorted as before */
    ck_assert_uint_eq(mlp_table_n_classes(t), 3);
    ck_assert_str_eq(mlp_table_class_name(t, 0), "Adelie");
    mlp_table_free(t);
}
END_TEST

START_TEST(the_options_decide_what_the_file_cannot)
{
    /* a code column read as categories, ordered by value (2 before 10); the mean in
     * place of the median; indicators; a token of the caller's own; a column left out */
    const char text[] = "id,code,x,y\n"
                        "a,10,1,0\n"
                        "b,2,-999,1\n"
                        "c,10,5,0\n"
                        "d,3,,1\n";
    mlp_csv_options o = defaults();
    o.categorical = "code";
    o.ignore = "id";
    o.impute = MLP_IMPUTE_MEAN;
    o.missing_indicators = 1;
    o.missing = "-999";
    mlp_table *t = read_ok(text, &o);
    ck_assert_uint_eq(mlp_table_n_columns(t), 2);
    const mlp_column_info code = column(t, 0), x = column(t, 1);
    ck_assert_int_eq(code.kind, MLP_COLUMN_CATEGORICAL);
    ck_assert_uint_eq(code.n_categories, 3);
    ck_assert_str_eq(code.categories[0], "2");
    ck_assert_str_eq(code.categories[1], "3");
    ck_assert_str_eq(code.categories[2], "10");
    ck_assert_double_eq(x.fill, 3); /* the mean of 1 and 5 */
    ck_assert_int_eq(x.indicator, 1);
    ck_assert_uint_eq(x.missing, 2);
    const double r1[5] = {1, 0, 0, 3, 1}, r2[5] = {0, 0, 1, 5, 0};
    row_is(t, 1, r1, 5);
    row_is(t, 2, r2, 5);
    ck_assert_str_eq(mlp_table_input_name(t, 4), "x (missing)");
    mlp_table_free(t);

    /* "" as the token list: only the empty field is missing, so "NA" is text */
    o = defaults();
    o.missing = "";
    read_refused("x,y\n1,0\nNA,1\n", &o, "column \"x\" holds 1 numbers and 1 texts");
    /* an even count: the median is the mean of the middle two (1 2 | 4 8 -> 3) */
    o = defaults();
    t = read_ok("x,y\n8,0\n1,1\n,0\n4,1\n2,0\n", &o);
    ck_assert_double_eq(column(t, 0).fill, 3);
    const double r[1] = {3};
    row_is(t, 2, r, 1);
    mlp_table_free(t);
    /* a declared numeric column refuses text; a column declared twice, or not an input */
    o = defaults();
    o.numeric = "x";
    read_refused("x,y\nabc,0\n", &o, "\"abc\" is not a finite number (the column is declared numeric)");
    o.categorical = "x";
    read_refused("x,y\n1,0\n", &o, "declared both numeric and categorical");
    o = defaults();
    o.categorical = "y";
    read_refused("x,y\n1,0\n", &o, "the categorical column \"y\" is not an input");
    o.categorical = "nope";
    read_refused("x,y\n1,0\n", &o, "the categorical column \"nope\" is not in the file");
}
END_TEST

START_TEST(a_missing_target_drops_the_row_and_counts_it)
{
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok("x,y\n1,a\n2,\n3,b\n4,NA\n5,a\n", &o);
    ck_assert_uint_eq(mlp_table_rows(t), 3);
    ck_assert_uint_eq(mlp_table_dropped_rows(t), 2);
    ck_assert_double_eq(mlp_table_inputs(t)[1], 3);
    mlp_table_free(t);
}
END_TEST

START_TEST(what_is_no_column_to_learn_from_is_refused)
{
    const mlp_csv_options o = defaults();
    /* an identifier: 12 values, all different */
    char text[1024] = "name,y\n";
    for (int i = 0; i < 12; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "person%d,%d\n", i, i % 2);
    read_refused(text, &o, "column \"name\" holds 12 distinct texts in 12 cells");
    /* declared, it is encoded all the same */
    mlp_csv_options d = o;
    d.categorical = "name";
    mlp_table *t = read_ok(text, &d);
    ck_assert_uint_eq(mlp_table_n_inputs(t), 12);
    mlp_table_free(t);
    /* numbers and a text: which one is meant cannot be told */
    read_refused("x,y\n1,0\n2,1\nthree,0\n", &o,
                 "column \"x\" holds 2 numbers and 1 texts (the first, \"three\", at line 4)");
    /* no value at all, or none in the rows that have a target */
    read_refused("x,z,y\n,1,0\nNA,2,1\n", &o, "column \"x\" holds no value");
    read_refused("x,z,y\n5,1,\n,2,1\n,3,0\n", &o,
                 "column \"x\" holds no value in the rows that have a target");
    /* the mean of numbers at the end of the range does not overflow */
    mlp_csv_options mean = o;
    mean.impute = MLP_IMPUTE_MEAN;
    mlp_table *big = read_ok("x,y\n1e308,0\n1e308,1\n1e308,0\n1e308,1\n,0\n", &mean);
    ck_assert_double_eq_tol(column(big, 0).fill, 1e308, 1e293);
    mlp_table_free(big);
    /* more categories than allowed, refused as soon as the limit passes */
    d = o;
    d.max_categories = 3;
    d.categorical = "x";
    read_refused("x,y\na,0\nb,1\nc,0\nd,1\n", &d, "line 5, column 1 (\"x\"): more than 3 distinct");
}
END_TEST

START_TEST(a_million_distinct_strings_stop_at_the_limit)
{
    const size_t rows = 1000000;
    char *text = malloc(rows * 16 + 16);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)sprintf(text, "s,y\n");
    for (size_t i = 0; i < rows; i++) n += (size_t)sprintf(text + n, "v%zu,%zu\n", i, i % 2);
    mlp_csv_options o = defaults();
    o.categorical = "s";
    read_refused(text, &o, "line 1002, column 1 (\"s\"): more than 1000 distinct values");
    free(text);
}
END_TEST

/* A network for the penguins' 8 inputs and 3 classes, named and scaled by the table. */
static mlp_net *trained_on(const mlp_table *t)
{
    const mlp_layer_spec spec[2] = {MLP_LAYER(5, MLP_ACT_TANH, 1),
                                    MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, mlp_table_n_inputs(t), spec, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_set_table_names(net, t), MLP_OK);
    mlp_dataset d;
    ck_assert_int_eq(mlp_table_dataset(&d, sizeof d, t), MLP_OK);
    ck_assert_int_eq(mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d), MLP_OK);
    return net;
}

START_TEST(one_hot_inputs_are_not_scaled)
{
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok(penguins, &o);
    mlp_net *net = trained_on(t);
    double shift[8], scale[8];
    ck_assert_int_eq(mlp_net_get_scaling(net, shift, scale, NULL, NULL), MLP_OK);
    const int numeric[8] = {0, 0, 0, 1, 1, 0, 0, 0};
    for (int i = 0; i < 8; i++) {
        if (numeric[i]) continue;
        ck_assert_double_eq(shift[i], 0);
        ck_assert_double_eq(scale[i], 1);
    }
    /* bill: the mean of 39.1 46.1 46.1 50 46.5 39.5 (the fill counts as a value) */
    ck_assert_double_eq_tol(shift[3], (39.1 + 46.1 + 46.1 + 50 + 46.5 + 39.5) / 6, 1e-12);
    mlp_net_free(net);
    mlp_table_free(t);
}
END_TEST

START_TEST(a_model_reads_later_files_as_in_training)
{
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok(penguins, &o);
    mlp_net *net = trained_on(t);
    mlp_table_free(t);
    /* through a save and a load: the same columns */
    mlp_net *back = tu_reloaded(net);
    ck_assert_uint_eq(mlp_net_n_columns(back), 4);
    for (size_t c = 0; c < 4; c++) {
        mlp_column_info a, b;
        mlp_column_info_init(&a, sizeof a);
        mlp_column_info_init(&b, sizeof b);
        ck_assert_int_eq(mlp_net_column(net, c, &a), MLP_OK);
        ck_assert_int_eq(mlp_net_column(back, c, &b), MLP_OK);
        ck_assert_str_eq(a.name, b.name);
        ck_assert_int_eq(a.kind, b.kind);
        ck_assert_uint_eq(a.n_inputs, b.n_inputs);
        ck_assert(a.fill == b.fill || (isnan(a.fill) && isnan(b.fill)));
        ck_assert_int_eq(a.missing_category, b.missing_category);
        for (size_t k = 0; k < a.n_categories; k++)
            ck_assert_str_eq(a.categories[k], b.categories[k]);
    }
    /* a later file: columns in another order, an island never seen, holes everywhere,
     * no target column */
    const char later[] = "sex,depth,island,bill\n"
                         "female,15.0,Biscoe,47.0\n"
                         ",,Mars,\n"
                         "male,NA,Dream,40\n";
    mlp_csv_options mo;
    ck_assert_int_eq(mlp_csv_options_for_net(&mo, sizeof mo, back), MLP_OK);
    mo.target = "";
    mo.target_names = NULL;
    mo.n_target_names = 0;
    mlp_table *u = read_ok(later, &mo);
    ck_assert_uint_eq(mlp_table_rows(u), 3);
    const double r0[8] = {1, 0, 0, 47.0, 15.0, 1, 0, 0};
    const double r1[8] = {0, 0, 0, 46.1, 17.9, 0, 0, 1}; /* Mars: no island at all */
    const double r2[8] = {0, 1, 0, 40, 17.9, 0, 1, 0};
    row_is(u, 0, r0, 8);
    row_is(u, 1, r1, 8);
    row_is(u, 2, r2, 8);
    ck_assert_uint_eq(column(u, 0).unseen, 1);
    ck_assert_str_eq(column(u, 0).first_unseen, "Mars");
    ck_assert_ptr_null(column(u, 1).first_unseen);
    ck_assert_uint_eq(column(u, 1).missing, 1);
    ck_assert_uint_eq(column(u, 2).missing, 2);
    ck_assert_uint_eq(column(u, 3).missing, 1);
    /* mlp_net_encode of the same fields gives the same inputs, and counts the same */
    const char *fields[12] = {"Biscoe", "47.0", "15.0", "female", "Mars", NULL, "", "",
                              "Dream",  "40",   "NA",   "male"};
    double x[24], before = -7;
    size_t unseen = 99;
    ck_assert_int_eq(mlp_net_encode(back, x, fields, 3, &unseen), MLP_OK);
    ck_assert_uint_eq(unseen, 1);
    for (size_t i = 0; i < 24; i++) ck_assert_double_eq(x[i], mlp_table_inputs(u)[i]);
    /* predictions from either are the same bits, and from the model before the save */
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create(&ws, back, 3), MLP_OK);
    double p[9], q[9];
    ck_assert_int_eq(mlp_net_predict(back, ws, p, mlp_table_inputs(u), 3), MLP_OK);
    mlp_workspace_free(ws);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 3), MLP_OK);
    ck_assert_int_eq(mlp_net_predict(net, ws, q, x, 3), MLP_OK);
    mlp_workspace_free(ws);
    ck_assert_mem_eq(p, q, sizeof p);
    /* a text in a numeric column is refused, naming it, and x is left as it was */
    x[0] = before;
    const char *bad[4] = {"Biscoe", "forty", "15", "male"};
    ck_assert_int_eq(mlp_net_encode(back, x, bad, 1, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(
        strstr(mlp_error_detail(), "row 0, column 1 (\"bill\"; both counted from 0): \"forty\""));
    ck_assert_double_eq(x[0], before);
    /* inputs named in another order than the model's are refused, never read as others */
    mlp_csv_options swapped = mo;
    const char *names[4] = {"island", "depth", "bill", "sex"};
    swapped.input_names = names;
    read_refused(later, &swapped, "input 1 is column \"depth\", and the model's column 1 is "
                                  "\"bill\"");
    read_refused("island,bill,depth,sex\nBiscoe,forty,1,male\n", &mo,
                 "\"forty\" is not a finite number (the model reads this column as numbers)");
    /* a stream reads it in blocks, the same way */
    FILE *f = fmemopen((void *)later, strlen(later), "r");
    mlp_csv_stream *st;
    ck_assert_int_eq(mlp_csv_stream_open_file(&st, f, "later", &mo), MLP_OK);
    for (size_t i = 0; i < 3; i++) {
        mlp_table *b;
        ck_assert_int_eq(mlp_csv_stream_read(st, &b, 1), MLP_OK);
        ck_assert_uint_eq(mlp_table_rows(b), 1);
        for (size_t j = 0; j < 8; j++)
            ck_assert_double_eq(mlp_table_inputs(b)[j], mlp_table_inputs(u)[i * 8 + j]);
        mlp_table_free(b);
    }
    mlp_csv_stream_close(st);
    fclose(f);
    mlp_table_free(u);
    /* a model without columns cannot encode */
    const mlp_layer_spec spec[1] = {MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *plain;
    ck_assert_int_eq(mlp_net_create(&plain, 2, spec, 1), MLP_OK);
    ck_assert_int_eq(mlp_net_encode(plain, x, fields, 1, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(mlp_net_n_columns(plain), 0);
    mlp_column_info ci;
    mlp_column_info_init(&ci, sizeof ci);
    ck_assert_int_eq(mlp_net_column(plain, 0, &ci), MLP_ERR_INVALID_ARG);
    mlp_net_free(plain);
    mlp_net_free(back);
    mlp_net_free(net);
}
END_TEST

START_TEST(a_program_built_before_the_columns_reads_numbers)
{
    /* the options as 1.6 declared them: no field past n_target_names */
    mlp_csv_options o = defaults();
    o.struct_size = offsetof(mlp_csv_options, categorical);
    read_refused("x,y\nabc,0\n", &o, "\"abc\" is not a finite number");
    read_refused("x,y\n,0\n", &o, "a missing value");
    mlp_table *t = read_ok("x,y\n1.5,0\n2,1\n", &o);
    ck_assert_uint_eq(mlp_table_n_columns(t), 0);
    ck_assert_double_eq(mlp_table_inputs(t)[0], 1.5);
    mlp_table_free(t);
}
END_TEST

START_TEST(the_onnx_export_refuses_an_encoded_column)
{
    /* penguins: categories (the C export writes peng_encode for them: test_export.c);
     * a table of numbers alone exports as before */
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok(penguins, &o);
    mlp_net *net = trained_on(t);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(mlp_net_export_c(net, f, "peng"), MLP_OK);
    fflush(f);
    ck_assert_ptr_nonnull(strstr(text, "int peng_encode(const char *const *fields, double *x)"));
    size_t size = 0;
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, &size), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "the ONNX export writes a graph of numbers"));
    mlp_net_free(net);
    mlp_table_free(t);
    t = read_ok("a,b,species\n1,2,x\n,3,y\n2,,z\n", &o);
    ck_assert_uint_eq(mlp_table_n_columns(t), 2);
    net = trained_on(t);
    rewind(f);
    ck_assert_int_eq(mlp_net_export_c(net, f, "nums"), MLP_OK);
    fflush(f);
    /* columns of numbers alone: the file of numbers, nothing but <math.h> */
    ck_assert_ptr_null(strstr(text, "nums_encode"));
    ck_assert_ptr_null(strstr(text, "#include <stdlib.h>"));
    ck_assert_ptr_nonnull(strstr(text, "void nums_predict(const double *x, double *y)"));
    ck_assert_int_eq(mlp_net_export_onnx_buffer(net, NULL, 0, &size), MLP_OK);
    fclose(f);
    free(text);
    mlp_net_free(net);
    mlp_table_free(t);
}
END_TEST

static Suite *columns_suite(void)
{
    Suite *s = suite_create("columns");
    TCase *c = tcase_create("columns");
    tcase_set_timeout(c, 120);
    tcase_add_test(c, kinds_one_hot_and_fills_are_as_the_text_says);
    tcase_add_test(c, the_options_decide_what_the_file_cannot);
    tcase_add_test(c, a_missing_target_drops_the_row_and_counts_it);
    tcase_add_test(c, what_is_no_column_to_learn_from_is_refused);
    tcase_add_test(c, a_million_distinct_strings_stop_at_the_limit);
    tcase_add_test(c, one_hot_inputs_are_not_scaled);
    tcase_add_test(c, a_model_reads_later_files_as_in_training);
    tcase_add_test(c, a_program_built_before_the_columns_reads_numbers);
    tcase_add_test(c, the_onnx_export_refuses_an_encoded_column);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(columns_suite)
