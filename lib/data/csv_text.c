/* The text of a CSV file (lib/data/): the reader's messages, UTF-8, numbers as the C
 * locale writes them, missing cells, and sets of distinct strings (class labels, a
 * column's categories) with the order a model keeps them in. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

typedef mlp__csv_reader reader;

int mlp__csv_fail(reader *r, mlp_status s, const char *fmt, ...)
{
    if (r->status != MLP_OK) return 0;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = mlp__fail(s, "%s: %s", r->name, msg);
    return 0;
}

/* Well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF). */
int mlp__csv_utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
        else return 0;
        if (n - i < len) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

char *mlp__csv_copy(const void *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c != NULL) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Clinger's fast path: a decimal [+-]digits[.digits][e[+-]digits] whose digits make
 * a significand m below 2^53 and whose power of ten e lies within ±22 is m · 10^e or
 * m / 10^-e, two exact operands and one rounding: the correctly rounded value, as
 * strtod gives it. 1 when it applies (*v set), else 0 and strtod decides. Most numbers
 * in data files take it (a 1 GB file: strtod was 40 % of the read). */
static int fast_decimal(const char *s, size_t n, double *v)
{
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    const int neg = n > 0 && s[0] == '-';
    if (n > 0 && (s[0] == '-' || s[0] == '+')) i++;
    uint64_t m = 0;
    int digits = 0, any = 0, point = 0, e = 0;
    for (; i < n; i++) {
        const char c = s[i];
        if (c == '.' && !point) {
            point = 1;
            continue;
        }
        if (c < '0' || c > '9') break;
        any = 1;
        if (m == 0 && c == '0') { /* a leading zero adds no digit */
            e -= point;
            continue;
        }
        if (++digits > 19) return 0;
        m = m * 10 + (uint64_t)(c - '0');
        e -= point;
    }
    if (!any) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        const int eneg = i < n && s[i] == '-';
        if (i < n && (s[i] == '-' || s[i] == '+')) i++;
        int x = 0, xd = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (++xd > 4) return 0;
            x = x * 10 + (s[i] - '0');
        }
        if (xd == 0) return 0;
        e += eneg ? -x : x;
    }
    if (i != n || n >= 512 || m > ((uint64_t)1 << 53)) return 0;
    double d = (double)m;
    if (m != 0) {
        if (e < -22 || e > 22) return 0;
        d = e >= 0 ? d * pow10[e] : d / pow10[-e];
    }
    *v = neg ? -d : d;
    return 1;
}

/* 1: a finite number fills the whole field (spaces trimmed by libcsv); -1: a number
 * that is not finite (nan, inf, 1e999); 0: not a number. */
int mlp__csv_number(const char *s, size_t n, double *v)
{
    if (fast_decimal(s, n, v)) return 1;
    char buf[512]; /* no number in a data file is longer */
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    const double d = strtod(buf, &end);
    if (end != buf + n) return 0;
    if (!isfinite(d)) return -1;
    *v = d; /* an underflow gives a denormal or 0: a number all the same */
    return 1;
}

/* Column c's name: the header's, or its 1-based number. */
char *mlp__csv_name_copy(const reader *r, size_t c)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", c + 1);
    return r->header != NULL ? mlp__csv_copy(r->header[c], r->first_len[c])
                             : mlp__csv_copy(num, strlen(num));
}

void mlp__csv_column_name(const reader *r, size_t c, char *buf, size_t size)
{
    if (r->header != NULL) snprintf(buf, size, "\"%s\"", r->header[c]);
    else snprintf(buf, size, "%zu", c + 1);
}

/* FNV-1a over a string's bytes. */
static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

/* The slot where s[0..n) is, or the empty one where it would go. */
static size_t set_slot(const mlp__strset *t, const char *s, size_t n)
{
    size_t i = (size_t)str_hash(s, n) & (t->n_slots - 1);
    while (t->slots[i] != SIZE_MAX) {
        const char *l = t->s[t->slots[i]]; /* no NUL inside: refused when added */
        if (strlen(l) == n && memcmp(l, s, n) == 0) break;
        i = (i + 1) & (t->n_slots - 1);
    }
    return i;
}

/* The index of s[0..n) in the set, or SIZE_MAX: one hash probe, so that reading stays
 * linear in the rows. */
size_t mlp__strset_find(const mlp__strset *t, const char *s, size_t n)
{
    return t->n_slots > 0 ? t->slots[set_slot(t, s, n)] : SIZE_MAX;
}

/* Add s[0..n) (not in the set) as its next index. */
int mlp__strset_add(reader *r, mlp__strset *t, const char *s, size_t n, size_t *index)
{
    if (t->n == t->cap) {
        const size_t cap = t->cap ? 2 * t->cap : 16;
        char **l = realloc(t->s, cap * sizeof *l);
        if (l == NULL) return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu labels", cap);
        t->s = l;
        t->cap = cap;
    }
    if (2 * (t->n + 1) > t->n_slots) { /* rehashed at half full */
        const size_t ns = t->n_slots ? 2 * t->n_slots : 64;
        size_t *fresh = malloc(ns * sizeof *fresh);
        if (fresh == NULL) return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate %zu labels", ns / 2);
        for (size_t i = 0; i < ns; i++) fresh[i] = SIZE_MAX;
        free(t->slots);
        t->slots = fresh;
        t->n_slots = ns;
        for (size_t k = 0; k < t->n; k++) t->slots[set_slot(t, t->s[k], strlen(t->s[k]))] = k;
    }
    char *c = mlp__csv_copy(s, n);
    if (c == NULL) return mlp__csv_fail(r, MLP_ERR_NOMEM, "cannot allocate a label");
    t->s[t->n] = c;
    t->slots[set_slot(t, s, n)] = t->n;
    *index = t->n++;
    return 1;
}

void mlp__strset_free(mlp__strset *t)
{
    mlp__strings_free(t->s, t->n);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* Values sort as numbers when every label is one, else as byte strings. */
static int numeric_labels(char **labels, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        double v;
        if (mlp__csv_number(labels[k], strlen(labels[k]), &v) != 1) return 0;
    }
    return 1;
}

/* Equal numbers written differently ("1", "1.0", "01") by their bytes: the order may
 * not depend on where each came first. */
static int by_number(const void *a, const void *b)
{
    const double x = strtod(*(char *const *)a, NULL), y = strtod(*(char *const *)b, NULL);
    return x != y ? (x > y) - (x < y) : strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_bytes(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The set's strings sorted into sorted[] (numbers by value when all are numbers, else
 * by bytes), and map[old index] = new index. */
void mlp__strset_sort(const mlp__strset *t, char **sorted, size_t *map)
{
    memcpy(sorted, t->s, t->n * sizeof *sorted);
    qsort(sorted, t->n, sizeof *sorted, numeric_labels(t->s, t->n) ? by_number : by_bytes);
    /* each string's new place, found through the hash: linear in the strings */
    for (size_t j = 0; j < t->n; j++) map[mlp__strset_find(t, sorted[j], strlen(sorted[j]))] = j;
}

/* Whether field s[0..n) means a missing cell: the model's tokens, or the options'. */
int mlp__csv_is_missing(const reader *r, const char *s, size_t n)
{
    return mlp__columns_is_missing(r->mode == MLP__READ_MODEL ? r->mc : &r->own, s, n);
}
