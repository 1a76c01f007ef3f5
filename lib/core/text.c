/* Arrays of strings: copying and freeing them, and the one rule for repeated ones. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

void mlp__strings_free(char **s, size_t n)
{
    if (s == NULL) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

typedef struct indexed {
    const char *s;
    size_t i;
} indexed;

static int by_string_then_index(const void *a, const void *b)
{
    const indexed *x = a, *y = b;
    const int c = strcmp(x->s, y->s);
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

int mlp__repeated_string(const char *const *s, size_t n, size_t *first, size_t *second)
{
    if (n < 2) return 0;
    indexed *v = malloc(n * sizeof *v);
    if (v == NULL) return -1;
    for (size_t i = 0; i < n; i++) v[i] = (indexed){s[i], i};
    qsort(v, n, sizeof *v, by_string_then_index); /* O(n log n): labels may be many */
    int found = 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1].s, v[i].s) == 0 && (!found || v[i].i < *second)) {
            *first = v[i - 1].i;
            *second = v[i].i;
            found = 1;
        }
    free(v);
    return found;
}

mlp_status mlp__strings_copy(char ***dst, const char *const *src, size_t n, const char *fn,
                             const char *what)
{
    char **c = calloc(n ? n : 1, sizeof *c);
    MLP_CHECK(c != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu %s", fn, n, what);
    for (size_t i = 0; i < n; i++) {
        const size_t len = src[i] != NULL ? strlen(src[i]) : 0;
        if (src[i] == NULL || len > MLP__MAX_NAME) {
            mlp__strings_free(c, i);
            return mlp__fail(MLP_ERR_INVALID_ARG, "%s: %s %zu is %s", fn, what, i,
                             src[i] == NULL ? "NULL" : "longer than 65536 bytes");
        }
        c[i] = malloc(len + 1);
        if (c[i] == NULL) {
            mlp__strings_free(c, i);
            return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %s %zu", fn, what, i);
        }
        memcpy(c[i], src[i], len + 1);
    }
    *dst = c;
    return MLP_OK;
}
