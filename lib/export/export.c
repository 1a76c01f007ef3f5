/* A network as one standalone C source file that compiles under C89, C99 and C11
 * (-pedantic): its weights as `static const double` arrays and NAME_predict(x, y)
 * with the model's preprocessing inside. Nothing but <math.h>. A float32 network's
 * file computes in float as the library does: `static const float` arrays, float
 * buffers and float math (expf, tanhf, ...; declared by the file under C89, which
 * <math.h> need not declare them in); its NAME_predict takes and gives doubles, the
 * scaling in double around the network, as the library's API.
 *
 * Whatever a model holds (its class labels and column names are the user's bytes)
 * reaches the file only escaped: string literals and character constants carry
 * printable ASCII other than the quote, the backslash and '?' (trigraphs) as it is
 * and every other byte as a three-digit octal escape; comments carry printable ASCII
 * with '?' and the backslash escaped and every other byte as \xNN, and never a
 * comment's opening or closing pair. A label longer than C90's 509-character string literal is
 * written as an array of character constants. Numbers are written in decimal with
 * 17 significant digits, which gcc and clang read back to the same bits (C90 has no
 * hexadecimal floating constants). */
#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"

/* C90's limit on a string literal's length (C99's is 4,095). */
#define C90_STRING_MAX 509

/* A name that is a C identifier the file can prefix everything with. */
static int identifier(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 64 || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_')) return 0;
    return 1;
}

/* The type the file computes in: its name, and the suffix of its constants and of its
 * math functions (float: 1.0f, expf). */
typedef struct flavor {
    int f32;
    const char *real; /* "double", "float" */
    const char *lit;  /* "", "f" */
    const char *fn;   /* "", "f" */
} flavor;

static const flavor float64 = {0, "double", "", ""}, float32 = {1, "float", "f", "f"};

/* A finite value as a C floating constant that reads back to the same bits: 17
 * significant digits for a double, 9 and the suffix f for a float (the value is one,
 * exactly), and a decimal point where %g gives none, so that "-0" stays a negative zero
 * and "1" a floating constant. */
static void put_number(FILE *f, double v, const flavor *fl)
{
    char buf[40];
    snprintf(buf, sizeof buf, fl->f32 ? "%.9g" : "%.17g", v);
    fputs(buf, f);
    if (strpbrk(buf, ".e") == NULL) fputs(".0", f);
    fputs(fl->lit, f);
}

static void put_array(FILE *f, const char *name, const char *part, const double *v, size_t n,
                      const flavor *fl)
{
    fprintf(f, "static const %s %s_%s[%zu] = {", fl->real, name, part, n);
    for (size_t i = 0; i < n; i++) {
        fputs(i == 0 ? "\n    " : i % 4 ? ", " : ",\n    ", f);
        put_number(f, fl->f32 ? (double)(float)v[i] : v[i], fl);
    }
    fprintf(f, "\n};\n");
}

/* Text inside a comment: printable ASCII, escaped as the head of this file says. */
static void put_comment_text(FILE *f, const char *s)
{
    int last = ' ';
    for (const unsigned char *p = (const unsigned char *)s; *p; last = *p++) {
        if ((last == '*' && *p == '/') || (last == '/' && *p == '*')) fputc(' ', f);
        if (*p == '?' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F) fprintf(f, "\\x%02x", *p);
        else fputc(*p, f);
    }
}

/* One byte inside a string literal or a character constant. */
static void put_char(FILE *f, unsigned char c)
{
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '\\' || c == '?')
        fprintf(f, "\\%03o", c);
    else
        fputc(c, f);
}

/* A C string literal of at most C90_STRING_MAX bytes, 60 bytes to a source line. */
static void put_string(FILE *f, const char *s)
{
    const size_t n = strlen(s);
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 60 == 0) fputs("\"\n    \"", f);
        put_char(f, (unsigned char)s[i]);
    }
    fputc('"', f);
}

/* A string too long for a string literal, as NAME_TAG[]: character constants ending
 * with the terminating zero, 12 to a line. */
static void put_long_string(FILE *f, const char *name, const char *tag, const char *s)
{
    const size_t n = strlen(s);
    fprintf(f, "static const char %s_%s[%zu] = {", name, tag, n + 1);
    for (size_t i = 0; i <= n; i++) {
        fputs(i == 0 ? "\n    '" : i % 12 ? ", '" : ",\n    '", f);
        put_char(f, (unsigned char)s[i]);
        fputc('\'', f);
    }
    fprintf(f, "\n};\n");
}

/* The tag of a long string's array: TAG + i, or TAG + i + "_" + k when k is given. */
static void long_tag(char *buf, size_t size, const char *tag, size_t i, size_t k)
{
    if (k == SIZE_MAX) snprintf(buf, size, "%s%zu", tag, i);
    else snprintf(buf, size, "%s%zu_%zu", tag, i, k);
}

/* The array of string s (see put_text) when it is too long for a literal. */
static void put_long_strings(FILE *f, const char *name, const char *tag, size_t i, size_t k,
                             const char *s)
{
    char t[64];
    if (strlen(s) <= C90_STRING_MAX) return;
    long_tag(t, sizeof t, tag, i, k);
    put_long_string(f, name, t, s);
}

/* String s as an element of an array of strings: a literal, or the name of the array
 * put_long_strings() wrote for it. */
static void put_text(FILE *f, const char *name, const char *tag, size_t i, size_t k, const char *s)
{
    char t[64];
    if (strlen(s) <= C90_STRING_MAX) {
        put_string(f, s);
        return;
    }
    long_tag(t, sizeof t, tag, i, k);
    fprintf(f, "%s_%s", name, t);
}

/* The statement that applies activation `act` to v[0..n), with the function's int i
 * as its counter (C90: no declarations in a for). L is the constants' suffix, M the
 * math functions'. */
static void put_activation(FILE *f, mlp_activation act, const char *v, size_t n, const flavor *fl)
{
    const char *L = fl->lit, *M = fl->fn;
    if (act != MLP_ACT_IDENTITY && act != MLP_ACT_SOFTMAX)
        fprintf(f, "    for (i = 0; i < %zu; i++) ", n);
    switch (act) {
    case MLP_ACT_IDENTITY:
        break;
    case MLP_ACT_RELU:
        fprintf(f, "%s[i] = %s[i] < 0.0%s ? 0.0%s : %s[i];\n", v, v, L, L, v);
        break;
    case MLP_ACT_LEAKY_RELU:
        fprintf(f, "%s[i] = %s[i] < 0.0%s ? ", v, v, L);
        put_number(f, MLP_LEAKY_RELU_SLOPE, fl);
        fprintf(f, " * %s[i] : %s[i];\n", v, v);
        break;
    case MLP_ACT_TANH:
        fprintf(f, "%s[i] = tanh%s(%s[i]);\n", v, M, v);
        break;
    case MLP_ACT_SIGMOID:
        fprintf(f, "%s[i] = 1.0%s / (1.0%s + exp%s(-%s[i]));\n", v, L, L, M, v);
        break;
    case MLP_ACT_ELU:
        fprintf(f, "%s[i] = %s[i] > 0.0%s ? %s[i] : expm1%s(%s[i]);\n", v, v, L, v, M, v);
        break;
    case MLP_ACT_SOFTPLUS:
        fprintf(f, "%s[i] = (%s[i] > 0.0%s ? %s[i] : 0.0%s) + log1p%s(exp%s(-fabs%s(%s[i])));\n", v,
                v, L, v, L, M, M, M, v);
        break;
    case MLP_ACT_GELU:
        fprintf(f, "%s[i] = 0.5%s * %s[i] * erfc%s(-%s[i] * ", v, L, v, M, v);
        put_number(f, 0x1.6a09e667f3bcdp-1, fl); /* 1/sqrt(2) */
        fprintf(f, ");\n");
        break;
    case MLP_ACT_GELU_TANH:
        fprintf(f, "%s[i] = %s[i] / (1.0%s + exp%s(-2.0%s * ", v, v, L, M, L);
        put_number(f, 0x1.9884533d43651p-1, fl); /* sqrt(2/pi) */
        fprintf(f, " * (%s[i] + 0.044715%s * %s[i] * %s[i] * %s[i])));\n", v, L, v, v, v);
        break;
    case MLP_ACT_SILU:
        fprintf(f, "%s[i] = %s[i] / (1.0%s + exp%s(-%s[i]));\n", v, v, L, M, v);
        break;
    case MLP_ACT_SOFTMAX:
        fprintf(f, "    {\n        %s m = %s[0], sum = 0.0%s;\n", fl->real, v, L);
        fprintf(f, "        for (i = 1; i < %zu; i++) m = %s[i] > m ? %s[i] : m;\n", n, v, v);
        fprintf(f, "        for (i = 0; i < %zu; i++) sum += %s[i] = exp%s(%s[i] - m);\n", n, v, M,
                v);
        fprintf(f, "        for (i = 0; i < %zu; i++) %s[i] *= 1.0%s / sum;\n    }\n", n, v, L);
        break;
    }
}

/* The C99 functions of <math.h> the file calls: under C90 <math.h> need not declare
 * them, so the file does (every C99 libm defines them). A float32 file's float math is
 * C99's too, all of it. */
static void put_c99_math(FILE *f, const mlp_net *net, const flavor *fl)
{
    enum { ANY = -1, NORM = -2 }; /* every float file; one with a layer normalization */
    static const struct {
        int act;
        int f32;
        const char *decl;
    } need[] = {
        {MLP_ACT_ELU, 0, "double expm1(double);"}, {MLP_ACT_SOFTPLUS, 0, "double log1p(double);"},
        {MLP_ACT_GELU, 0, "double erfc(double);"}, {ANY, 1, "float expf(float);"},
        {ANY, 1, "float fabsf(float);"},           {MLP_ACT_TANH, 1, "float tanhf(float);"},
        {MLP_ACT_ELU, 1, "float expm1f(float);"},  {MLP_ACT_SOFTPLUS, 1, "float log1pf(float);"},
        {MLP_ACT_GELU, 1, "float erfcf(float);"},  {NORM, 1, "float sqrtf(float);"},
    };
    int any = 0;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (need[i].f32 != fl->f32) continue;
        int used = need[i].act == ANY;
        for (size_t l = 0; l < net->n_layers; l++)
            used |= need[i].act == NORM ? net->layers[l].kind == MLP_LAYER_LAYERNORM
                                        : (int)net->layers[l].act == need[i].act;
        if (!used) continue;
        if (!any) fputs("#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 199901L\n", f);
        fprintf(f, "%s\n", need[i].decl);
        any = 1;
    }
    if (any) fputs("#endif\n", f);
}

/* A layer normalization from `cur` into `nxt`, its sums in the library's 8 lanes and
 * order (lib/model/layernorm.c), so that the file computes what the library does. */
static void put_layernorm(FILE *f, const char *name, const mlp_layer *L, size_t l, const char *cur,
                          const char *nxt, const flavor *fl)
{
    const char *Lt = fl->lit;
    const size_t m = L->out;
    const char *total = "(((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7])))";
    fprintf(f, "    { /* layer %zu: layer normalization */\n", l);
    fprintf(f, "        %s s8[8], mean, r;\n", fl->real);
    fprintf(f, "        for (j = 0; j < 8; j++) s8[j] = 0.0%s;\n", Lt);
    fprintf(f, "        for (i = 0; i + 8 <= %zu; i += 8)\n", m);
    fprintf(f, "            for (j = 0; j < 8; j++) s8[j] += %s[i + j];\n", cur);
    fprintf(f, "        for (j = 0; i + j < %zu; j++) s8[j] += %s[i + j];\n", m, cur);
    fprintf(f, "        mean = %s / %zu.0%s;\n", total, m, Lt);
    fprintf(f, "        for (j = 0; j < 8; j++) s8[j] = 0.0%s;\n", Lt);
    fprintf(f, "        for (i = 0; i + 8 <= %zu; i += 8)\n", m);
    fprintf(f, "            for (j = 0; j < 8; j++) s8[j] += (%s[i + j] - mean) * (%s[i + j] - mean);\n",
            cur, cur);
    fprintf(f, "        for (j = 0; i + j < %zu; j++) s8[j] += (%s[i + j] - mean) * (%s[i + j] - mean);\n",
            m, cur, cur);
    fprintf(f, "        r = 1.0%s / sqrt%s(%s / %zu.0%s + ", Lt, fl->fn, total, m, Lt);
    put_number(f, fl->f32 ? (double)(float)L->epsilon : L->epsilon, fl);
    fprintf(f, ");\n");
    if (L->has_bias)
        fprintf(f, "        for (i = 0; i < %zu; i++) %s[i] = %s_g%zu[i] * ((%s[i] - mean) * r) + %s_b%zu[i];\n",
                m, nxt, name, l, cur, name, l);
    else
        fprintf(f, "        for (i = 0; i < %zu; i++) %s[i] = %s_g%zu[i] * ((%s[i] - mean) * r);\n", m,
                nxt, name, l, cur);
    fprintf(f, "    }\n");
}

/* NAME_encode: a row of text fields into the inputs, as mlp_net_encode() does it (the
 * columns' kinds, categories in strcmp order for a binary search, fills, indicators,
 * missing tokens as tables in the file; a number read by strtod, which glibc rounds as
 * the library's reader does, and refused where the library refuses it: not all of the
 * field, not finite, 512 bytes or longer). */
static void put_encode(FILE *f, const mlp_net *net, const char *name)
{
    const mlp__columns *cs = &net->prep.columns;
    const size_t n = cs->n;
    fprintf(f, "\n/* %s_encode's tables: the columns' names, first inputs, kinds, fills and "
               "categories */\n",
            name);
    for (size_t j = 0; j < n; j++) put_long_strings(f, name, "column_", j, SIZE_MAX, cs->c[j].name);
    fprintf(f, "const char *const %s_columns[%zu] = {", name, n);
    for (size_t j = 0; j < n; j++) {
        fputs(j ? ",\n    " : "\n    ", f);
        put_text(f, name, "column_", j, SIZE_MAX, cs->c[j].name);
    }
    fprintf(f, "\n};\n");
    for (size_t t = 0; t < cs->n_missing; t++)
        put_long_strings(f, name, "missing_", t, SIZE_MAX, cs->missing[t]);
    if (cs->n_missing > 0) {
        fprintf(f, "static const char *const %s_missing[%zu] = {", name, cs->n_missing);
        for (size_t t = 0; t < cs->n_missing; t++) {
            fputs(t ? ",\n    " : "\n    ", f);
            put_text(f, name, "missing_", t, SIZE_MAX, cs->missing[t]);
        }
        fprintf(f, "\n};\n");
    }
    for (size_t j = 0; j < n; j++) {
        const mlp__column *c = &cs->c[j];
        if (c->kind == MLP_COLUMN_NUMERIC) continue;
        for (size_t k = 0; k < c->n_categories; k++)
            put_long_strings(f, name, "c", j, k, c->categories[c->by_bytes[k]]);
        fprintf(f, "static const char *const %s_c%zu[%zu] = {", name, j, c->n_categories);
        for (size_t k = 0; k < c->n_categories; k++) {
            fputs(k == 0 ? "\n    " : k % 4 ? ", " : ",\n    ", f);
            put_text(f, name, "c", j, k, c->categories[c->by_bytes[k]]);
        }
        fprintf(f, "\n};\nstatic const int %s_c%zu_at[%zu] = {", name, j, c->n_categories);
        for (size_t k = 0; k < c->n_categories; k++)
            fprintf(f, "%s%zu", k == 0 ? "\n    " : k % 12 ? ", " : ",\n    ", c->by_bytes[k]);
        fprintf(f, "\n};\n");
    }
    fprintf(f, "static const struct %s_column {\n"
               "    int first, numeric, indicator, missing_category, n_categories;\n"
               "    double fill;\n"
               "    const char *const *categories; /* in strcmp order */\n"
               "    const int *at;                 /* each one's input after first */\n"
               "} %s_cols[%zu] = {",
            name, name, n);
    for (size_t j = 0; j < n; j++) {
        const mlp__column *c = &cs->c[j];
        const int num = c->kind == MLP_COLUMN_NUMERIC;
        fprintf(f, "%s{%zu, %d, %d, %d, %zu, ", j ? ",\n    " : "\n    ", c->first, num,
                c->indicator != 0, c->missing_category != 0, num ? (size_t)0 : c->n_categories);
        put_number(f, num ? c->fill : 0.0, &float64);
        if (num) fprintf(f, ", 0, 0}");
        else fprintf(f, ", %s_c%zu, %s_c%zu_at}", name, j, name, j);
    }
    fprintf(f, "\n};\n\n");
    fprintf(f, "static int %s_is_missing(const char *s)\n{\n", name);
    if (cs->n_missing > 0) fprintf(f, "    int t;\n");
    fprintf(f, "    if (s == 0 || s[0] == '\\0') return 1;\n");
    if (cs->n_missing > 0)
        fprintf(f, "    for (t = 0; t < %zu; t++)\n"
                   "        if (strcmp(s, %s_missing[t]) == 0) return 1;\n", cs->n_missing, name);
    fprintf(f, "    return 0;\n}\n\n");
    fprintf(f,
            "int %s_encode(const char *const *fields, double *x)\n{\n"
            "    double v[%zu];\n"
            "    int i, j, unseen = 0;\n"
            "    /* the numbers first: a field that is not one leaves x as it was */\n"
            "    for (j = 0; j < %zu; j++) {\n"
            "        const char *s = fields[j];\n"
            "        char *end;\n"
            "        v[j] = 0.0;\n"
            "        if (!%s_cols[j].numeric || %s_is_missing(s)) continue;\n"
            "        if (strlen(s) >= 512) return -1 - j;\n"
            "        v[j] = strtod(s, &end);\n"
            "        if (end == s || *end != '\\0' || !(v[j] - v[j] == 0.0)) return -1 - j;\n"
            "    }\n"
            "    for (j = 0; j < %zu; j++) {\n"
            "        const struct %s_column *c = &%s_cols[j];\n"
            "        const int missing = %s_is_missing(fields[j]);\n"
            "        double *o = x + c->first;\n"
            "        int lo = 0, hi = c->n_categories, k = -1;\n"
            "        if (c->numeric) {\n"
            "            o[0] = missing ? c->fill : v[j];\n"
            "            if (c->indicator) o[1] = missing ? 1.0 : 0.0;\n"
            "            continue;\n"
            "        }\n"
            "        for (i = 0; i < c->n_categories + c->missing_category; i++) o[i] = 0.0;\n"
            "        if (missing) {\n"
            "            if (c->missing_category) o[c->n_categories] = 1.0;\n"
            "            continue;\n"
            "        }\n"
            "        while (lo < hi && k < 0) {\n"
            "            const int mid = lo + (hi - lo) / 2;\n"
            "            const int cmp = strcmp(c->categories[mid], fields[j]);\n"
            "            if (cmp == 0) k = c->at[mid];\n"
            "            else if (cmp < 0) lo = mid + 1;\n"
            "            else hi = mid;\n"
            "        }\n"
            "        if (k >= 0) o[k] = 1.0;\n"
            "        else unseen++;\n"
            "    }\n"
            "    return unseen;\n}\n",
            name, n, n, name, name, n, name, name, name);
}

/* Whether the file writes NAME_encode: the model encodes a column (categories, or a
 * missing number's indicator), so that its inputs are not the row's numbers. A model
 * of plain number columns keeps the file of numbers alone, which needs nothing but
 * <math.h> (a missing number there is the caller's to fill). */
static int writes_encode(const mlp_net *net)
{
    const mlp__columns *cs = &net->prep.columns;
    for (size_t j = 0; j < cs->n; j++)
        if (mlp__column_encodes(&cs->c[j])) return 1;
    return 0;
}

/* The checks both writers make. */
static mlp_status export_ok(const mlp_net *net, FILE *out, const char *name, const char *fn)
{
    MLP_CHECK(net != NULL && out != NULL && name != NULL, MLP_ERR_INVALID_ARG, "%s: %s is NULL",
              fn, net == NULL ? "net" : out == NULL ? "out" : "name");
    MLP_CHECK(identifier(name), MLP_ERR_INVALID_ARG,
              "%s: \"%.80s\" is not a C identifier of at most 64 characters", fn, name);
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer_kind kind = net->layers[l].kind;
        MLP_CHECK(kind == MLP_LAYER_DENSE || kind == MLP_LAYER_LAYERNORM ||
                      kind == MLP_LAYER_DROPOUT || kind == MLP_LAYER_BATCHNORM,
                  MLP_ERR_INVALID_ARG, "%s: layer %zu is %s, which the C export does not write",
                  fn, l, net->layers[l].type->name);
        MLP_CHECK(net->layers[l].out <= INT_MAX && net->layers[l].in <= INT_MAX,
                  MLP_ERR_INVALID_ARG, "%s: layer %zu is too wide for C int loops", fn, l);
    }
    /* what a model holds is finite (every setter and the loader say so); a number
     * that is not would be written as a word that does not compile */
    MLP_CHECK(mlp__net_finite(net), MLP_ERR_INVALID_ARG,
              "%s: the network holds NaN or infinite numbers", fn);
    return MLP_OK; /* its columns (at most n_inputs <= INT_MAX wide) go to NAME_encode */
}

/* What the exported file gives a program, one declaration a line: its sizes, its
 * functions and class labels. The source (ahead of its definitions) and the header
 * write them from here, so that they cannot differ. */
static void put_interface(FILE *out, const mlp_net *net, const char *name)
{
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), classes = net->prep.n_classes;
    fprintf(out, "enum { %s_N_INPUTS = %zu, %s_N_OUTPUTS = %zu", name, in, name, k);
    if (classes > 0) fprintf(out, ", %s_N_CLASSES = %zu", name, classes);
    const int encode = writes_encode(net);
    if (encode) fprintf(out, ", %s_N_COLUMNS = %zu", name, net->prep.columns.n);
    fprintf(out, " };\n");
    if (encode) {
        fprintf(out, "int %s_encode(const char *const *fields, double *x);\n", name);
        fprintf(out, "extern const char *const %s_columns[%zu];\n", name, net->prep.columns.n);
    }
    fprintf(out, "void %s_predict(const double *x, double *y);\n", name);
    if (classes > 0) {
        fprintf(out, "int %s_predict_class(const double *x);\n", name);
        fprintf(out, "extern const char *const %s_classes[%zu];\n", name, classes);
    }
}

/* The opening comment: what the network is, where it came from, what it takes. */
static void put_about(FILE *out, const mlp_net *net, const char *name, const char *what, int f32)
{
    const mlp__prep *p = &net->prep;
    const mlp_record *r = &net->record;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    fprintf(out, "/* %s: %s exported by libmlp %s.\n *\n", name, what, MLP_VERSION_STRING);
    fprintf(out, " *   void %s_predict(const double x[%zu], double y[%zu]);\n", name, in, k);
    fprintf(out, " *\n * Layers: %zu inputs", in);
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (L->kind == MLP_LAYER_DROPOUT)
            fprintf(out, " -> dropout %g (the identity here)", L->rate);
        else if (L->kind == MLP_LAYER_LAYERNORM)
            fprintf(out, " -> layernorm (epsilon %g) %s%s", L->epsilon, mlp_activation_name(L->act),
                    L->has_bias ? "" : " (no bias)");
        else if (L->kind == MLP_LAYER_BATCHNORM)
            fprintf(out, " -> batchnorm (its running statistics as a scale and shift) %s",
                    mlp_activation_name(L->act));
        else
            fprintf(out, " -> %zu %s%s", L->out, mlp_activation_name(L->act),
                    L->has_bias ? "" : " (no bias)");
    }
    fprintf(out, "; %zu parameters%s.\n", net->n_params,
            f32 ? ", float32 (the file computes in float)" : "");
    if (r->info.trained) {
        fprintf(out, " * Trained: %zu epochs, loss %s, optimizer %s, batch %zu, seed %llu",
                r->info.epochs, mlp_loss_name(r->info.loss), mlp_optimizer_name(r->opt.kind),
                r->info.batch_size, (unsigned long long)r->info.seed);
        const size_t kept = r->info.kept_epoch;
        if (kept > 0) { /* the weights are this epoch's */
            fprintf(out, ";\n * the weights of epoch %zu (training loss %.6g", kept,
                    r->history[kept - 1]);
            if (!isnan(r->val_history[kept - 1]))
                fprintf(out, ", validation loss %.6g", r->val_history[kept - 1]);
            fprintf(out, ")");
        } else if (r->info.epochs > 0) {
            fprintf(out, ", last loss %.6g", r->history[r->info.epochs - 1]);
        }
        fprintf(out, ".\n");
    } else {
        fprintf(out, " * Not trained.\n");
    }
    if (p->in_names != NULL) {
        fprintf(out, " * Inputs, in order:");
        for (size_t i = 0; i < in; i++) {
            fputs(i ? ", " : " ", out);
            put_comment_text(out, p->in_names[i]);
        }
        fprintf(out, ".\n");
    }
    if (p->in_shift != NULL)
        fprintf(out, " * The inputs are scaled inside (%s), as the model was trained: pass them "
                     "as they come.\n",
                p->in_method == MLP_SCALE_STANDARD ? "standardized" : "min-max");
    if (p->out_shift != NULL) fprintf(out, " * The outputs come back in the targets' units.\n");
    if (p->n_classes > 0)
        fprintf(out, " * Classes: %s_classes[]; %s_predict_class(x) gives the index.\n", name, name);
    if (writes_encode(net))
        fprintf(out,
                " * A raw row: %s_encode(fields, x) makes the inputs from the row's text, a\n"
                " * field for each of %s_columns[] (NULL, \"\" and the model's missing tokens\n"
                " * are missing cells: a number's fill, a category's own input or none),\n"
                " * categories one-hot (one the model never saw: all zeros, counted), as\n"
                " * mlp_net_encode() does. It returns that count, or -1 - j when field j of a\n"
                " * numeric column is not a finite number (x is then left as it was).\n",
                name, name);
}

mlp_status mlp_net_export_c_header(const mlp_net *net, FILE *out, const char *name)
{
    mlp_status s = export_ok(net, out, name, __func__);
    if (s != MLP_OK) return s;
    errno = 0;
    put_about(out, net, name, "the declarations of a network", net->f32);
    fprintf(out, " *\n * The C file exported with this header (mlp_net_export_c(), `mlp export`)\n"
                 " * defines them: compile it with your program and link with -lm.\n */\n");
    fprintf(out, "#ifndef MLP_EXPORT_%s_H\n#define MLP_EXPORT_%s_H\n\n", name, name);
    fprintf(out, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    put_interface(out, net, name);
    fprintf(out, "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
    MLP_CHECK(!ferror(out), MLP_ERR_IO, "mlp_net_export_c_header: write error: %s",
              strerror(errno));
    return MLP_OK;
}

static mlp_status export_c(const mlp_net *net, FILE *out, const char *name, const flavor *fl);

mlp_status mlp_net_export_c(const mlp_net *net, FILE *out, const char *name)
{
    mlp_status s = export_ok(net, out, name, __func__);
    if (s != MLP_OK || !net->f32) return s != MLP_OK ? s : export_c(net, out, name, &float64);
    /* a float32 network: written from a float64 copy (every float is a double, exactly),
     * its numbers as floats again */
    mlp_net *copy = NULL;
    s = mlp__net_convert(&copy, net, 0, __func__);
    if (s == MLP_OK) {
        copy->record = net->record; /* borrowed for the opening comment */
        s = export_c(copy, out, name, &float32);
        memset(&copy->record, 0, sizeof copy->record);
    }
    mlp_net_free(copy);
    return s;
}

static mlp_status export_c(const mlp_net *net, FILE *out, const char *name, const flavor *fl)
{
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    errno = 0;
    put_about(out, net, name, "a network", fl->f32);
    const int encode = writes_encode(net);
    fprintf(out, " *\n * Standalone C (C89 and later): it needs only <math.h>%s (link with -lm).\n"
                 " * %s.h, from mlp_net_export_c_header() or `mlp export`, declares what it\n"
                 " * defines.\n */\n#include <math.h>\n",
            encode ? "\n * and, for the encoding, <stdlib.h> and <string.h>" : "", name);
    if (encode) fprintf(out, "#include <stdlib.h>\n#include <string.h>\n");
    put_c99_math(out, net, fl);
    fputc('\n', out);
    put_interface(out, net, name);
    fputc('\n', out);
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        char part[32];
        if (L->kind == MLP_LAYER_DROPOUT) continue; /* no parameters */
        if (L->kind == MLP_LAYER_BATCHNORM) { /* the numbers the library predicts with */
            double *st = malloc(2 * L->out * sizeof *st);
            MLP_CHECK(st != NULL, MLP_ERR_NOMEM, "mlp_net_export_c: cannot allocate %zu values",
                      2 * L->out);
            mlp__batchnorm_fold(net, l, st, st + L->out);
            snprintf(part, sizeof part, "s%zu", l);
            put_array(out, name, part, st, L->out, fl);
            snprintf(part, sizeof part, "t%zu", l);
            put_array(out, name, part, st + L->out, L->out, fl);
            free(st);
            continue;
        }
        snprintf(part, sizeof part, L->kind == MLP_LAYER_LAYERNORM ? "g%zu" : "w%zu", l);
        put_array(out, name, part, net->params + L->w_off,
                  L->kind == MLP_LAYER_LAYERNORM ? L->out : L->in * L->out, fl);
        if (L->has_bias) {
            snprintf(part, sizeof part, "b%zu", l);
            put_array(out, name, part, net->params + L->b_off, L->out, fl);
        }
    }
    /* the scaling is double's in either: the library scales in double around the network */
    if (p->in_shift != NULL) {
        put_array(out, name, "in_shift", p->in_shift, in, &float64);
        put_array(out, name, "in_scale", p->in_scale, in, &float64);
    }
    if (p->out_shift != NULL) {
        put_array(out, name, "out_shift", p->out_shift, k, &float64);
        put_array(out, name, "out_scale", p->out_scale, k, &float64);
    }
    if (p->n_classes > 0) {
        for (size_t c = 0; c < p->n_classes; c++)
            put_long_strings(out, name, "class_", c, SIZE_MAX, p->classes[c]);
        fprintf(out, "const char *const %s_classes[%zu] = {", name, p->n_classes);
        for (size_t c = 0; c < p->n_classes; c++) {
            fputs(c ? ",\n    " : "\n    ", out);
            put_text(out, name, "class_", c, SIZE_MAX, p->classes[c]);
        }
        fprintf(out, "\n};\n");
    }

    /* predict: two buffers of the widest layer, layer after layer */
    size_t wide = in;
    for (size_t l = 0; l < net->n_layers; l++) wide = net->layers[l].out > wide ? net->layers[l].out : wide;
    fprintf(out, "\nvoid %s_predict(const double *x, double *y)\n{\n", name);
    fprintf(out, "    %s a[%zu], b[%zu];\n    int i, j;\n", fl->real, wide, wide);
    if (p->in_shift != NULL)
        fprintf(
            out,
            "    for (i = 0; i < %zu; i++) a[i] = %s((x[i] - %s_in_shift[i]) / %s_in_scale[i]);\n",
            in, fl->f32 ? "(float)" : "", name, name);
    else
        fprintf(out, "    for (i = 0; i < %zu; i++) a[i] = %sx[i];\n", in,
                fl->f32 ? "(float)" : "");
    const char *cur = "a", *nxt = "b";
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        if (L->kind == MLP_LAYER_DROPOUT) continue; /* the identity when predicting */
        if (L->kind == MLP_LAYER_BATCHNORM) {
            fprintf(out, "    /* layer %zu: batch normalization, its running statistics as "
                         "a scale and shift per value */\n", l);
            fprintf(out, "    for (i = 0; i < %zu; i++) %s[i] = %s[i] * %s_s%zu[i] + %s_t%zu[i];\n",
                    L->out, nxt, cur, name, l, name, l);
            put_activation(out, L->act, nxt, L->out, fl);
            const char *t = cur;
            cur = nxt;
            nxt = t;
            continue;
        }
        if (L->kind == MLP_LAYER_LAYERNORM) {
            put_layernorm(out, name, L, l, cur, nxt, fl);
            put_activation(out, L->act, nxt, L->out, fl);
            const char *t = cur;
            cur = nxt;
            nxt = t;
            continue;
        }
        fprintf(out, "    for (j = 0; j < %zu; j++) {\n", L->out);
        if (L->has_bias)
            fprintf(out, "        %s s = %s_b%zu[j];\n", fl->real, name, l);
        else
            fprintf(out, "        %s s = 0.0%s;\n", fl->real, fl->lit);
        fprintf(out, "        for (i = 0; i < %zu; i++) s += %s_w%zu[j * %zu + i] * %s[i];\n",
                L->in, name, l, L->in, cur);
        fprintf(out, "        %s[j] = s;\n    }\n", nxt);
        put_activation(out, L->act, nxt, L->out, fl);
        const char *t = cur;
        cur = nxt;
        nxt = t;
    }
    if (p->out_shift != NULL)
        fprintf(out, "    for (i = 0; i < %zu; i++) y[i] = %s[i] * %s_out_scale[i] + %s_out_shift[i];\n",
                k, cur, name, name);
    else
        fprintf(out, "    for (i = 0; i < %zu; i++) y[i] = %s[i];\n", k, cur);
    fprintf(out, "}\n");
    if (p->n_classes > 0) {
        fprintf(out, "\nint %s_predict_class(const double *x)\n{\n    double y[%zu];\n", name, k);
        if (k == 1) {
            fprintf(out, "    %s_predict(x, y);\n    return y[0] > 0.5;\n}\n", name);
        } else {
            fprintf(out, "    int i, best = 0;\n    %s_predict(x, y);\n"
                         "    for (i = 1; i < %zu; i++)\n"
                         "        if (y[i] > y[best]) best = i;\n    return best;\n}\n", name, k);
        }
    }
    if (encode) put_encode(out, net, name);
    MLP_CHECK(!ferror(out), MLP_ERR_IO, "mlp_net_export_c: write error: %s", strerror(errno));
    return MLP_OK;
}
