/* Reading CSV files into tables: what a well-formed file gives (checked value by
 * value against the text), and the hostile-input table: every malformed file gives
 * MLP_ERR_FORMAT (or the stated status) and a detail naming where, never a table. */
#define _GNU_SOURCE /* fmemopen, setlocale's locales */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_util.h"

/* Read `len` bytes of text with the given options. */
static mlp_status read_text(mlp_table **t, const char *text, size_t len, const mlp_csv_options *o)
{
    FILE *f = fmemopen((void *)text, len, "r");
    ck_assert_ptr_nonnull(f);
    const mlp_status s = mlp_table_read_csv_file(t, f, "test.csv", o);
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
    const mlp_status s = read_text(&t, text, strlen(text), o);
    ck_assert_msg(s == MLP_OK, "refused: %s", mlp_error_detail());
    return t;
}

START_TEST(a_regression_file)
{
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok("width,height,price\n1.5,2,10.25\n-3e2, 4 ,0.5\n", &o);
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    ck_assert_uint_eq(mlp_table_n_inputs(t), 2);
    ck_assert_uint_eq(mlp_table_n_targets(t), 1);
    ck_assert_int_eq(mlp_table_is_classification(t), 0); /* 10.25 is not an integer */
    ck_assert_str_eq(mlp_table_input_name(t, 0), "width");
    ck_assert_str_eq(mlp_table_input_name(t, 1), "height");
    ck_assert_str_eq(mlp_table_target_name(t, 0), "price");
    ck_assert_ptr_null(mlp_table_input_name(t, 2));
    const double x[4] = {1.5, 2, -300, 4}, y[2] = {10.25, 0.5};
    for (int i = 0; i < 4; i++) ck_assert_double_eq(mlp_table_inputs(t)[i], x[i]);
    for (int i = 0; i < 2; i++) ck_assert_double_eq(mlp_table_targets(t)[i], y[i]);
    mlp_table_free(t);
}
END_TEST

START_TEST(class_labels_are_sorted_and_indexed)
{
    mlp_csv_options o = defaults();
    mlp_table *t = read_ok("a,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n", &o);
    ck_assert_int_eq(mlp_table_is_classification(t), 1);
    ck_assert_uint_eq(mlp_table_n_classes(t), 3);
    ck_assert_str_eq(mlp_table_class_name(t, 0), "setosa");
    ck_assert_str_eq(mlp_table_class_name(t, 1), "versicolor");
    ck_assert_str_eq(mlp_table_class_name(t, 2), "virginica");
    const double y[4] = {2, 0, 1, 0};
    for (int i = 0; i < 4; i++) ck_assert_double_eq(mlp_table_targets(t)[i], y[i]);
    mlp_table_free(t);
    /* integers, few of them: classes, in numeric order (10 after 9) */
    t = read_ok("a,digit\n1,10\n2,9\n3,10\n", &o);
    ck_assert_int_eq(mlp_table_is_classification(t), 1);
    ck_assert_str_eq(mlp_table_class_name(t, 0), "9");
    ck_assert_str_eq(mlp_table_class_name(t, 1), "10");
    ck_assert_double_eq(mlp_table_targets(t)[0], 1);
    mlp_table_free(t);
    /* the same, told it is a regression */
    o.task = MLP_TASK_REGRESSION;
    t = read_ok("a,digit\n1,10\n2,9\n3,10\n", &o);
    ck_assert_int_eq(mlp_table_is_classification(t), 0);
    ck_assert_double_eq(mlp_table_targets(t)[0], 10);
    mlp_table_free(t);
    /* equal values written differently: by their bytes, whichever comes first */
    o.task = MLP_TASK_CLASSIFICATION;
    const char *ties[2] = {"a,c\n1,1.0\n2,1\n3,01\n4,2\n", "a,c\n1,01\n2,2\n3,1\n4,1.0\n"};
    for (int i = 0; i < 2; i++) {
        t = read_ok(ties[i], &o);
        ck_assert_uint_eq(mlp_table_n_classes(t), 4);
        ck_assert_str_eq(mlp_table_class_name(t, 0), "01");
        ck_assert_str_eq(mlp_table_class_name(t, 1), "1");
        ck_assert_str_eq(mlp_table_class_name(t, 2), "1.0");
        ck_assert_str_eq(mlp_table_class_name(t, 3), "2");
        mlp_table_free(t);
    }
    /* text: bytes, as strcmp in the C locale, not the process's collation */
    o.task = MLP_TASK_AUTO;
    t = read_ok("a,w\n1,apple\n2,Zebra\n3,\xc3\xa9t\xc3\xa9\n4,_x\n", &o);
    ck_assert_str_eq(mlp_table_class_name(t, 0), "Zebra");
    ck_assert_str_eq(mlp_table_class_name(t, 1), "_x");
    ck_assert_str_eq(mlp_table_class_name(t, 2), "apple");
    ck_assert_str_eq(mlp_table_class_name(t, 3), "\xc3\xa9t\xc3\xa9");
    mlp_table_free(t);
    /* a model's classes: their order, and nothing else */
    const char *classes[3] = {"virginica", "setosa", "versicolor"};
    o.task = MLP_TASK_CLASSIFICATION;
    o.classes = classes;
    o.n_classes = 3;
    t = read_ok("a,species\n1,setosa\n2,virginica\n", &o);
    ck_assert_double_eq(mlp_table_targets(t)[0], 1);
    ck_assert_double_eq(mlp_table_targets(t)[1], 0);
    ck_assert_str_eq(mlp_table_class_name(t, 0), "virginica");
    mlp_table_free(t);
}
END_TEST

START_TEST(quoting_line_ends_bom_and_columns)
{
    mlp_csv_options o = defaults();
    /* a quoted label with a comma, a quote and a newline; CRLF; a BOM; blank lines */
    const char text[] = "\xEF\xBB\xBFx,\"the label\"\r\n1,\"a, \"\"b\"\"\nc\"\r\n\r\n2,plain\r\n";
    mlp_table *t = read_ok(text, &o);
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    ck_assert_str_eq(mlp_table_input_name(t, 0), "x"); /* the BOM is not part of the name */
    ck_assert_str_eq(mlp_table_target_name(t, 0), "the label");
    ck_assert_str_eq(mlp_table_class_name(t, 0), "a, \"b\"\nc");
    ck_assert_str_eq(mlp_table_class_name(t, 1), "plain");
    mlp_table_free(t);
    /* columns by name, in the order given; the rest skipped */
    o.target = "y";
    o.inputs = "c,a";
    t = read_ok("a,b,c,y\n1,2,3,4.5\n5,6,7,8.5\n", &o);
    ck_assert_uint_eq(mlp_table_n_inputs(t), 2);
    ck_assert_str_eq(mlp_table_input_name(t, 0), "c");
    const double x[4] = {3, 1, 7, 5};
    for (int i = 0; i < 4; i++) ck_assert_double_eq(mlp_table_inputs(t)[i], x[i]);
    mlp_table_free(t);
    /* two targets: a regression on both */
    o.target = "b,y";
    o.inputs = NULL;
    t = read_ok("a,b,c,y\n1,2,3,4.5\n", &o);
    ck_assert_uint_eq(mlp_table_n_targets(t), 2);
    ck_assert_double_eq(mlp_table_targets(t)[1], 4.5);
    ck_assert_double_eq(mlp_table_inputs(t)[1], 3);
    mlp_table_free(t);
    /* no target: a file to predict */
    o.target = "";
    t = read_ok("a,b\n1,2\n", &o);
    ck_assert_uint_eq(mlp_table_n_inputs(t), 2);
    ck_assert_ptr_null(mlp_table_targets(t));
    mlp_table_free(t);
    /* no header: columns are numbered; semicolons */
    o = defaults();
    o.header = 0;
    o.delimiter = ';';
    o.target = "1";
    o.task = MLP_TASK_REGRESSION;
    t = read_ok("7;8;9\n10;11;12", &o); /* no newline at the end */
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    ck_assert_str_eq(mlp_table_input_name(t, 1), "3");
    ck_assert_double_eq(mlp_table_targets(t)[1], 10);
    ck_assert_double_eq(mlp_table_inputs(t)[3], 12);
    mlp_table_free(t);
}
END_TEST

/* ---- the hostile-input table ------------------------------------------------------- */

START_TEST(hostile_files_are_refused_with_where)
{
    const struct {
        const char *text;
        size_t len; /* 0: strlen */
        mlp_status status;
        const char *detail;
    } rows[] = {
        {"", 0, MLP_ERR_FORMAT, "the file is empty"},
        {"a,b,y\n", 0, MLP_ERR_FORMAT, "no data rows"},
        {"a,b,y\n1,2,3\n4,5\n", 0, MLP_ERR_FORMAT, "line 3: 2 fields, the first record has 3"},
        {"a,b,y\n1,2,3\n4,5,6,7\n", 0, MLP_ERR_FORMAT, "line 3: more than the 3 fields"},
        {"a,y\n1,2\n-nan,3\n", 0, MLP_ERR_FORMAT, "line 3, column 1 (\"a\"): \"-nan\" is not a finite"},
        {"a,y\n1,2\n3,inf\n", 0, MLP_ERR_FORMAT, "line 3, column 2 (\"y\"): \"inf\" is not a finite"},
        {"a,y\n1e999,2\n", 0, MLP_ERR_FORMAT, "\"1e999\" is not a finite number"},
        {"a,y\n,2\n", 0, MLP_ERR_FORMAT, "column \"a\" holds no value (every one of its 1 cells"},
        {"a,y\n1,\n2,NA\n", 0, MLP_ERR_FORMAT, "no data row has its target: the 2 rows all miss it"},
        {"a,y\n1,2\n1x,2\n", 0, MLP_ERR_FORMAT, "column \"a\" holds 1 numbers and 1 texts (the first, \"1x\", at line 3)"},
        {"a,y\n1,2\n\"3\n4\",5\n", 0, MLP_ERR_FORMAT, "4\", at line 4)"}, /* quoted newline */
        {"a,y\n1,\"open\n2,3\n", 0, MLP_ERR_FORMAT, "a quoted field is not closed"},
        {"a,y\n1,a\"b\n", 0, MLP_ERR_FORMAT, "line 2"},                   /* a stray quote */
        {"a,y\n1,\xff\xfe\n", 0, MLP_ERR_FORMAT, "line 2, column 2: the label is not UTF-8"},
        {"a\xc0\xaf,y\n1,2\n", 0, MLP_ERR_FORMAT, "line 1, column 1: the column name is not UTF-8"},
        {"a,y\n1\0002,3\n", 10, MLP_ERR_FORMAT, "holds a NUL byte"}, /* a NUL byte */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const mlp_csv_options o = defaults();
        mlp_table *t = (mlp_table *)&o; /* must come back NULL */
        const size_t len = rows[i].len ? rows[i].len : strlen(rows[i].text);
        const mlp_status s = read_text(&t, rows[i].text, len, &o);
        ck_assert_msg(s == rows[i].status, "row %zu: status %d (%s)", i, (int)s, mlp_error_detail());
        ck_assert_ptr_null(t);
        ck_assert_msg(strstr(mlp_error_detail(), rows[i].detail) != NULL,
                      "row %zu: detail \"%s\" lacks \"%s\"", i, mlp_error_detail(), rows[i].detail);
        ck_assert_msg(strstr(mlp_error_detail(), "test.csv") != NULL, "row %zu: no file name", i);
    }
}
END_TEST

START_TEST(options_that_do_not_fit_the_file)
{
    const struct {
        const char *target, *inputs;
        int header;
        mlp_task task;
        const char *detail;
    } rows[] = {
        {"z", NULL, 1, MLP_TASK_AUTO, "no column named \"z\" (the target)"},
        {"y", "a,q", 1, MLP_TASK_AUTO, "no column named \"q\" (the inputs)"},
        {"y", "a,y", 1, MLP_TASK_AUTO, "column \"y\" is named twice"},
        {"a,y", "", 1, MLP_TASK_AUTO, "no column named \"\""},
        {"a,y", NULL, 1, MLP_TASK_CLASSIFICATION, "classification takes one target column"},
        {"y", "a", 1, (mlp_task)7, "unknown task 7"},
        {"y", "a", 3, MLP_TASK_AUTO, "header is 3"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mlp_csv_options o = defaults();
        o.target = rows[i].target;
        o.inputs = rows[i].inputs;
        o.header = rows[i].header;
        o.task = rows[i].task;
        mlp_table *t;
        const char *text = "a,b,y\n1,2,3\n";
        ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_null(t);
        ck_assert_msg(strstr(mlp_error_detail(), rows[i].detail) != NULL,
                      "row %zu: detail \"%s\" lacks \"%s\"", i, mlp_error_detail(), rows[i].detail);
    }
    /* a duplicated name cannot be chosen */
    mlp_csv_options o = defaults();
    o.target = "y";
    mlp_table *t;
    /* two columns of one name, taken as inputs: 1.5.0 trained on them, and the model
     * could then not find its columns in any file */
    const char *text = "a,a,y\n1,2,3\n";
    ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "columns 1 and 2 are both named \"a\""));
    text = "b,y,y\n1,2,3\n"; /* the default target, the last column, and an input */
    o.target = NULL;
    ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "columns 2 and 3 are both named \"y\""));
    text = "a,b,a,y\n1,2,3,4\n"; /* left out: fine */
    o.target = "y";
    o.inputs = "b";
    ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_OK);
    mlp_table_free(t);
    o.inputs = "a";
    ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "names two columns, 1 and 3"));
    /* text where a regression needs numbers */
    o = defaults();
    o.task = MLP_TASK_REGRESSION;
    text = "a,y\n1,2.5\n3,x\n";
    ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "line 3, column 2 (\"y\"): \"x\" is not a finite number (a regression target)"));
    /* a label the model does not know */
    const char *classes[2] = {"cat", "dog"};
    o = defaults();
    o.task = MLP_TASK_CLASSIFICATION;
    o.classes = classes;
    o.n_classes = 2;
    text = "a,y\n1,cat\n2,cow\n";
    ck_assert_int_eq(read_text(&t, text, strlen(text), &o), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "line 3, column 2: class \"cow\""));
    /* NULL everywhere */
    ck_assert_int_eq(mlp_table_read_csv(NULL, "x", &o), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_table_read_csv(&t, NULL, &o), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_table_read_csv(&t, "x", NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_table_read_csv(&t, "/nonexistent/file.csv", &o), MLP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "No such file"));
    ck_assert_int_eq(mlp_table_read_csv_file(&t, NULL, "x", &o), MLP_ERR_INVALID_ARG);
    mlp_table_free(NULL);
    ck_assert_uint_eq(mlp_table_rows(NULL), 0);
}
END_TEST

START_TEST(a_ten_megabyte_line)
{
    const size_t big = 10u << 20;
    char *text = malloc(big + 64);
    if (text == NULL) abort();
    /* one field of 10 MB: refused without buffering it all */
    strcpy(text, "a,y\n1,");
    size_t n = strlen(text);
    memset(text + n, 'x', big);
    n += big;
    text[n++] = '\n';
    mlp_table *t;
    const mlp_csv_options o = defaults();
    ck_assert_int_eq(read_text(&t, text, n, &o), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "line 2: a field longer than 65536 bytes"));
    free(text);

    /* a 10 MB line of short fields: 10^6 columns, read */
    const size_t cols = 1000000;
    const size_t per = 8;
    char *wide = malloc(2 * cols * per + 16);
    if (wide == NULL) abort(); /* (the compiler must see that it cannot go on) */
    n = 0;
    for (size_t r = 0; r < 2; r++)
        for (size_t c = 0; c < cols; c++) {
            char cell[32]; /* a name c0 ... c999999, then the digits c % 10 */
            const int len = r == 0 ? snprintf(cell, sizeof cell, "c%zu", c)
                                   : snprintf(cell, sizeof cell, "%zu", c % 10);
            memcpy(wide + n, cell, (size_t)len);
            n += (size_t)len;
            wide[n++] = c + 1 < cols ? ',' : '\n';
        }
    ck_assert_int_eq(read_text(&t, wide, n, &o), MLP_OK);
    ck_assert_uint_eq(mlp_table_n_inputs(t), cols - 1);
    ck_assert_double_eq(mlp_table_inputs(t)[12345], 5);
    ck_assert_str_eq(mlp_table_target_name(t, 0), "c999999");
    mlp_table_free(t);
    free(wide);
}
END_TEST

/* Numbers are read the same in a locale whose decimal separator is a comma. */
START_TEST(the_process_locale_does_not_change_numbers)
{
    const char *want = getenv("MLP_TEST_LOCALE"); /* CI generates it and sets this */
    const char *name = want != NULL ? want : "de_DE.UTF-8";
    if (setlocale(LC_NUMERIC, name) == NULL) {
        ck_assert_msg(want == NULL, "locale %s is not installed", name);
        fprintf(stderr, "locale %s is not installed: the locale check did not run\n", name);
        return;
    }
    ck_assert_double_eq(strtod("1.5", NULL), 1.0); /* the locale is in force */
    const mlp_csv_options o = defaults();
    mlp_table *t = read_ok("a,y\n1.5,2.25\n", &o);
    ck_assert_double_eq(mlp_table_inputs(t)[0], 1.5);
    ck_assert_double_eq(mlp_table_targets(t)[0], 2.25);
    mlp_table_free(t);
    mlp_table *u;
    const char *text = "a,y\n\"1,5\",2\n"; /* a German 1,5 is not a number here */
    mlp_csv_options numeric = o;
    numeric.numeric = "a";
    ck_assert_int_eq(read_text(&u, text, strlen(text), &numeric), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "\"1,5\" is not a finite number"));
    ck_assert_double_eq(strtod("1.5", NULL), 1.0); /* and the locale is still in force */
    setlocale(LC_NUMERIC, "C");
}
END_TEST

/* A stream gives the whole file's rows, in blocks, the same values. */
START_TEST(streams_read_in_blocks)
{
    char text[8192];
    size_t n = (size_t)sprintf(text, "id,\"x\nwith a newline\",label\r\n");
    for (int i = 0; i < 250; i++)
        n += (size_t)sprintf(text + n, "%d,%d.5,%s\r\n", i, i * 3, i % 3 ? "b" : "\"a,\"\"q\"\"\"");
    mlp_csv_options o = defaults();
    const char *classes[2] = {"b", "a,\"q\""};
    o.task = MLP_TASK_CLASSIFICATION;
    o.classes = classes;
    o.n_classes = 2;
    o.target = "label";
    mlp_table *whole = read_ok(text, &o);
    ck_assert_uint_eq(mlp_table_rows(whole), 250);
    FILE *f = fmemopen(text, n, "r");
    mlp_csv_stream *st;
    ck_assert_int_eq(mlp_csv_stream_open_file(&st, f, "test.csv", &o), MLP_OK);
    size_t rows = 0, blocks = 0;
    mlp_table *t;
    while (mlp_csv_stream_read(st, &t, 64) == MLP_OK && t != NULL) {
        const size_t m = mlp_table_rows(t);
        ck_assert_uint_le(m, 64);
        ck_assert_str_eq(mlp_table_input_name(t, 1), "x\nwith a newline");
        for (size_t i = 0; i < m * 2; i++)
            ck_assert_double_eq(mlp_table_inputs(t)[i], mlp_table_inputs(whole)[rows * 2 + i]);
        for (size_t i = 0; i < m; i++)
            ck_assert_double_eq(mlp_table_targets(t)[i], mlp_table_targets(whole)[rows + i]);
        rows += m;
        blocks++;
        mlp_table_free(t);
    }
    ck_assert_ptr_null(t);
    ck_assert_uint_eq(rows, 250);
    ck_assert_uint_eq(blocks, 4); /* 64 + 64 + 64 + 58 */
    ck_assert_int_eq(mlp_csv_stream_read(st, &t, 64), MLP_OK); /* still the end */
    ck_assert_ptr_null(t);
    mlp_csv_stream_close(st);
    fclose(f);
    mlp_table_free(whole);

    /* an error in a later block names its line, and stays */
    const char *bad = "a,y\n1,2\n3,4\n5,x\n";
    o = defaults();
    o.task = MLP_TASK_REGRESSION;
    f = fmemopen((void *)bad, strlen(bad), "r");
    ck_assert_int_eq(mlp_csv_stream_open_file(&st, f, "test.csv", &o), MLP_OK);
    ck_assert_int_eq(mlp_csv_stream_read(st, &t, 2), MLP_OK);
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    mlp_table_free(t);
    ck_assert_int_eq(mlp_csv_stream_read(st, &t, 2), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "line 4, column 2"));
    ck_assert_int_eq(mlp_csv_stream_read(st, &t, 2), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "line 4, column 2"));
    mlp_csv_stream_close(st);
    fclose(f);
    /* max_rows holds for every line ending: CR alone (old Mac files; 1.5.0 gave all
     * 10 rows at once), LF, CRLF, and a CR at the end of one read with its LF in the
     * next; and an error names the physical line in each */
    const char *endings[] = {"\r", "\n", "\r\n"};
    for (size_t e = 0; e < 3; e++) {
        char file[512];
        size_t len = (size_t)sprintf(file, "a,y%s", endings[e]);
        for (int i = 0; i < 10; i++) len += (size_t)sprintf(file + len, "%d,%d%s", i, 2 * i, endings[e]);
        len += (size_t)sprintf(file + len, "1,x%s", endings[e]); /* line 12 */
        o = defaults();
        o.task = MLP_TASK_REGRESSION;
        f = fmemopen(file, len, "r");
        setvbuf(f, NULL, _IONBF, 0);
        ck_assert_int_eq(mlp_csv_stream_open_file(&st, f, "test.csv", &o), MLP_OK);
        for (int b = 0; b < 3; b++) {
            ck_assert_int_eq(mlp_csv_stream_read(st, &t, 3), MLP_OK);
            ck_assert_msg(mlp_table_rows(t) == 3, "ending %zu, block %d: %zu rows, not 3", e, b,
                          mlp_table_rows(t));
            ck_assert_double_eq(mlp_table_inputs(t)[0], 3.0 * b);
            ck_assert_double_eq(mlp_table_targets(t)[2], 2.0 * (3 * b + 2));
            mlp_table_free(t);
        }
        ck_assert_int_eq(mlp_csv_stream_read(st, &t, 3), MLP_ERR_FORMAT);
        ck_assert_msg(strstr(mlp_error_detail(), "line 12, column 2") != NULL, "ending %zu: %s",
                      e, mlp_error_detail());
        mlp_csv_stream_close(st);
        fclose(f);
    }
    /* the whole-file reader counts CR-only lines too */
    o = defaults();
    o.task = MLP_TASK_REGRESSION;
    ck_assert_int_eq(read_text(&t, "a,y\r1,2\r3,x\r", 13, &o), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "line 3, column 2"));
    /* a CR that ends one read and the LF that begins the next are one line */
    {
        char big[70000];
        size_t len = (size_t)sprintf(big, "a,y\n");
        while (len < 65532) len += (size_t)sprintf(big + len, "1,2\n");
        len += (size_t)sprintf(big + len, "7,7\r"); /* its CR is the read's last byte */
        ck_assert_uint_eq(len, 65536);
        len += (size_t)sprintf(big + len, "\n5,x\n");
        f = fmemopen(big, len, "r");
        ck_assert_int_eq(mlp_csv_stream_open_file(&st, f, "test.csv", &o), MLP_OK);
        size_t got = 0;
        mlp_status rs;
        while ((rs = mlp_csv_stream_read(st, &t, 4096)) == MLP_OK && t != NULL) {
            got += mlp_table_rows(t);
            mlp_table_free(t);
        }
        ck_assert_int_eq(rs, MLP_ERR_FORMAT);
        ck_assert_uint_eq(got, 3 * 4096); /* the fourth block holds the error */
        /* 16,383 rows on lines 2 to 16,384, the last ended by the CR */
        ck_assert_msg(strstr(mlp_error_detail(), "line 16385, column 2") != NULL, "%s",
                      mlp_error_detail());
        mlp_csv_stream_close(st);
        fclose(f);
    }

    /* a task that needs the whole file is refused */
    o = defaults();
    f = fmemopen((void *)bad, strlen(bad), "r");
    ck_assert_int_eq(mlp_csv_stream_open_file(&st, f, "test.csv", &o), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(st);
    fclose(f);
    ck_assert_int_eq(mlp_csv_stream_open(&st, "/nonexistent.csv", &o), MLP_ERR_IO);
    ck_assert_int_eq(mlp_csv_stream_read(NULL, &t, 1), MLP_ERR_INVALID_ARG);
    mlp_csv_stream_close(NULL);
}
END_TEST

START_TEST(options_struct_size)
{
    mlp_csv_options o;
    ck_assert_int_eq(mlp_csv_options_init(&o, 3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_csv_options_init(&o, sizeof o + 8), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_csv_options_init(NULL, sizeof o), MLP_ERR_INVALID_ARG);
    o = defaults();
    ck_assert_int_eq(o.header, MLP_CSV_HEADER_DETECT);
    ck_assert_int_eq(o.delimiter, ',');
    ck_assert_ptr_null(o.target);
    ck_assert_int_eq(o.task, MLP_TASK_AUTO);
}
END_TEST

/* The header is found out (1.5): before, a headerless numeric file lost its first row
 * to column names with MLP_OK. */
START_TEST(the_header_is_detected)
{
    mlp_csv_options o = defaults();
    mlp_table *t = read_ok("1.5,2,3\n4,5,6\n", &o); /* numbers: data */
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    ck_assert_str_eq(mlp_table_input_name(t, 0), "1");
    ck_assert_double_eq(mlp_table_inputs(t)[0], 1.5);
    mlp_table_free(t);
    t = read_ok("5.1,3.5,setosa\n4.9,3.0,setosa\n7.0,3.2,versicolor\n", &o); /* iris, bare */
    ck_assert_uint_eq(mlp_table_rows(t), 3);
    ck_assert_uint_eq(mlp_table_n_classes(t), 2);
    mlp_table_free(t);
    t = read_ok("a,b,kind\n1,2,x\n3,4,y\n", &o); /* names */
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    ck_assert_str_eq(mlp_table_input_name(t, 1), "b");
    mlp_table_free(t);
    /* a name the options ask for makes a header, numbers in it or not */
    o.target = "2024";
    t = read_ok("x,2024\n1,2\n3,4\n", &o);
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    ck_assert_str_eq(mlp_table_target_name(t, 0), "2024");
    mlp_table_free(t);
    /* a name asked for that a data record cannot give: said how to fix */
    o.target = "price";
    ck_assert_int_eq(read_text(&t, "5,2\n3,4\n", 8, &o), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "read as data"));
    /* pandas' names for unnamed columns: asked, not guessed */
    o = defaults();
    const char *pandas[2] = {"0,1,2\n5,6,7\n", ",0,1,2\n0,5,6,7\n"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(read_text(&t, pandas[i], strlen(pandas[i]), &o), MLP_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "is it a header?"));
    }
    o.header = 1;
    t = read_ok(pandas[0], &o);
    ck_assert_uint_eq(mlp_table_rows(t), 1);
    mlp_table_free(t);
    o.header = 0;
    t = read_ok(pandas[0], &o);
    ck_assert_uint_eq(mlp_table_rows(t), 2);
    mlp_table_free(t);
}
END_TEST

/* Many distinct targets: read in time linear in the rows (1.4 searched the labels one
 * by one: 70,000 rows took 22 s and then failed "more than 65536 distinct target
 * values"); numbers past the most classes there can be are a regression, as the task
 * AUTO promises. */
START_TEST(many_distinct_targets_read_in_linear_time)
{
    enum { ROWS = 70000 };
    char *text = malloc((size_t)ROWS * 40 + 16), *p = text;
    p += sprintf(p, "x,y\n");
    for (int i = 0; i < ROWS; i++) p += sprintf(p, "%d,%d.25\n", i % 97, i);
    mlp_csv_options o = defaults();
    mlp_table *t;
    const clock_t c0 = clock();
    ck_assert_int_eq(read_text(&t, text, (size_t)(p - text), &o), MLP_OK);
    const double seconds = (double)(clock() - c0) / CLOCKS_PER_SEC;
    ck_assert_int_eq(mlp_table_is_classification(t), 0);
    ck_assert_uint_eq(mlp_table_rows(t), ROWS);
    ck_assert_double_eq(mlp_table_targets(t)[ROWS - 1], ROWS - 1 + 0.25);
    mlp_table_free(t);
    /* a bound, not a timing: 22 s before; valgrind runs it 50x slower */
    ck_assert_msg(seconds < (getenv("MLP_TEST_UNDER_VALGRIND") ? 60 : 3), "%.1f s", seconds);
    /* as many text labels (classes, forced): sorted and indexed all the same */
    p = text;
    p += sprintf(p, "x,y\n");
    for (int i = 0; i < 60000; i++) p += sprintf(p, "%d,c%05d\n", i % 97, 59999 - i);
    ck_assert_int_eq(read_text(&t, text, (size_t)(p - text), &o), MLP_OK);
    ck_assert_int_eq(mlp_table_is_classification(t), 1);
    ck_assert_uint_eq(mlp_table_n_classes(t), 60000);
    ck_assert_str_eq(mlp_table_class_name(t, 0), "c00000");
    ck_assert_double_eq(mlp_table_targets(t)[0], 59999); /* row 0 holds c59999 */
    mlp_table_free(t);
    free(text);
}
END_TEST

/* Numbers read as strtod reads them in the "C" locale, to the bit: the reader's fast
 * path (a significand below 2^53, a power of ten within ±22: one exact division or
 * product) and its fallback to strtod, on numbers written every way a file has them. */
START_TEST(numbers_read_as_strtod_reads_them)
{
    enum { N = 20000 };
    char *text = malloc((size_t)N * 64 + 16), *p = text;
    char (*fields)[48] = malloc(N * sizeof *fields);
    uint64_t rng = 77;
    p += sprintf(p, "x,y\n");
    for (int i = 0; i < N; i++) {
        const double mant = tu_uniform(&rng, -1, 1) * (double)(tu_next(&rng) >> (tu_next(&rng) % 64));
        const double v = mant * pow(10.0, (double)((int)(tu_next(&rng) % 61) - 30));
        char *f = fields[i];
        const size_t size = sizeof fields[i];
        switch (tu_next(&rng) % 8) {
        case 0: snprintf(f, size, "%.17g", v); break;
        case 1: snprintf(f, size, "%.9g", v); break;
        case 2: snprintf(f, size, "%.3f", v); break;
        case 3: snprintf(f, size, "%e", v); break;
        case 4: snprintf(f, size, "%.12e", v); break;
        case 5: snprintf(f, size, "%g", v); break;
        case 6: snprintf(f, size, "%.0f", v); break;
        default: snprintf(f, size, "%.20f", v); break;
        }
        const int extra = (int)(tu_next(&rng) % 6);
        if (extra == 0) { /* leading zeros and a plus sign */
            char t[48];
            snprintf(t, sizeof t, "+000%s", fields[i][0] == '-' ? "1" : fields[i]);
            snprintf(fields[i], sizeof fields[i], "%s", t);
        }
        p += sprintf(p, "%s,0\n", fields[i]);
    }
    const char *odd[] = {"1.", ".5", "-0", "0e0", "-.25E+2", "9007199254740993", "1e22", "1e23",
                         "123456789012345678901", "4.9406564584124654e-324", "1e-400"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) p += sprintf(p, "%s,0\n", odd[i]);
    mlp_csv_options o = defaults();
    mlp_table *t = read_ok(text, &o);
    ck_assert_uint_eq(mlp_table_rows(t), N + sizeof odd / sizeof odd[0]);
    const double *x = mlp_table_inputs(t);
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t before = uselocale(c);
    for (size_t i = 0; i < N + sizeof odd / sizeof odd[0]; i++) {
        const char *f = i < N ? fields[i] : odd[i - N];
        const double want = strtod(f, NULL);
        ck_assert_msg(memcmp(&x[i], &want, sizeof want) == 0, "\"%s\": read %.17g, strtod %.17g",
                      f, x[i], want);
    }
    uselocale(before);
    freelocale(c);
    mlp_table_free(t);
    free(text);
    free(fields);
}
END_TEST

/* A file read for a model takes the model's columns by name and its classes in its
 * order, whatever the file's order and labels: read plainly, the same file gives
 * other columns and other class indices, and nothing says so. */
START_TEST(a_file_read_as_a_model_reads_it)
{
    mlp_csv_options o = defaults();
    o.target = "y";
    mlp_table *train = read_ok("a,b,c,y\n1,2,3,no\n4,5,6,yes\n7,8,9,maybe\n", &o);
    const mlp_layer_spec layers[1] = {MLP_LAYER(3, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 3, layers, 1), MLP_OK);
    mlp_csv_options m;
    ck_assert_int_eq(mlp_csv_options_for_net(&m, sizeof m, net), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(mlp_error_detail(), "keeps no column names"));
    ck_assert_int_eq(mlp_net_set_table_names(net, train), MLP_OK); /* classes: maybe, no, yes */
    const char *file = "c,y,a,b\n30,yes,10,20\n60,yes,40,50\n";
    mlp_table *plain = read_ok(file, &o); /* its own order: c, a, b; one class, index 0 */
    ck_assert_double_eq(mlp_table_inputs(plain)[0], 30);
    ck_assert_double_eq(mlp_table_targets(plain)[0], 0);
    ck_assert_int_eq(mlp_csv_options_for_net(&m, sizeof m, net), MLP_OK);
    mlp_table *t = read_ok(file, &m);
    ck_assert_uint_eq(mlp_table_n_inputs(t), 3);
    const double *x = mlp_table_inputs(t);
    ck_assert_double_eq(x[0], 10); /* a, b, c: the model's order */
    ck_assert_double_eq(x[1], 20);
    ck_assert_double_eq(x[2], 30);
    ck_assert_double_eq(x[5], 60);
    ck_assert_uint_eq(mlp_table_n_classes(t), 3);
    ck_assert_double_eq(mlp_table_targets(t)[0], 2); /* "yes", the model's third class */
    ck_assert_str_eq(mlp_table_class_name(t, 2), "yes");
    mlp_table_free(t);
    /* a label the model does not know is an error, not a new class */
    mlp_table *u = NULL;
    const char *unknown = "a,b,c,y\n1,2,3,never\n";
    ck_assert_int_eq(read_text(&u, unknown, strlen(unknown), &m), MLP_ERR_FORMAT);
    ck_assert_ptr_null(u);
    /* rows to predict, without the target column */
    m.target = "";
    m.n_target_names = 0;
    t = read_ok("b,c,a\n2,3,1\n", &m);
    ck_assert_uint_eq(mlp_table_n_targets(t), 0);
    ck_assert_double_eq(mlp_table_inputs(t)[0], 1);
    ck_assert_int_eq(mlp_csv_options_for_net(&m, 8, net), MLP_ERR_INVALID_ARG);
    mlp_table_free(t);
    mlp_table_free(plain);
    mlp_table_free(train);
    mlp_net_free(net);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *c = tcase_create("csv");
    tcase_set_timeout(c, 120);
    tcase_add_test(c, a_regression_file);
    tcase_add_test(c, class_labels_are_sorted_and_indexed);
    tcase_add_test(c, quoting_line_ends_bom_and_columns);
    tcase_add_test(c, hostile_files_are_refused_with_where);
    tcase_add_test(c, options_that_do_not_fit_the_file);
    tcase_add_test(c, a_ten_megabyte_line);
    tcase_add_test(c, the_process_locale_does_not_change_numbers);
    tcase_add_test(c, streams_read_in_blocks);
    tcase_add_test(c, options_struct_size);
    tcase_add_test(c, the_header_is_detected);
    tcase_add_test(c, many_distinct_targets_read_in_linear_time);
    tcase_add_test(c, numbers_read_as_strtod_reads_them);
    tcase_add_test(c, a_file_read_as_a_model_reads_it);
    suite_add_tcase(s, c);
    return s;
}

TU_MAIN(csv_suite)
