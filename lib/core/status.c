/* Status codes, messages and the thread-local failure detail. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static _Thread_local char detail[MLP__DETAIL_BYTES];
/* A detail is written here first: its arguments may be the detail before it (a caller
 * that adds its own words to a callee's reason passes mlp_error_detail()). */
static _Thread_local char scratch[MLP__DETAIL_BYTES];

const char *mlp_version(void) { return MLP_VERSION_STRING; }

int mlp_version_number(void) { return MLP_VERSION_NUMBER; }

const char *mlp_strerror(mlp_status status)
{
    switch (status) {
    case MLP_OK: return "success";
    case MLP_ERR_INVALID_ARG: return "invalid argument";
    case MLP_ERR_SHAPE: return "shape mismatch";
    case MLP_ERR_NOMEM: return "out of memory";
    case MLP_ERR_IO: return "input/output error";
    case MLP_ERR_FORMAT: return "bad file format";
    case MLP_ERR_NUMERIC: return "numerical failure (NaN or infinity)";
    case MLP_ERR_UNSUPPORTED: return "not supported by this build or CPU";
    }
    return "unknown status";
}

const char *mlp_error_detail(void) { return detail; }

/* Where to cut s (a UTF-8 string) at or up to 3 bytes before `at`: not inside a
 * character (bytes that are not UTF-8 are cut where they fall). */
static size_t char_start(const char *s, size_t at)
{
    for (int back = 0; back < 3 && at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80; back++) at--;
    return at;
}

/* The detail, formatted. A message longer than the buffer loses its middle, never
 * its end: what overflows it is a long path or name inside it, while the end holds
 * the reason ("...: File name too long"). Its head (the function, the start of the
 * path) and tail are kept, with "..." between; without the memory to format it
 * whole, the head alone. */
mlp_status mlp__fail(mlp_status status, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    const int len = vsnprintf(scratch, sizeof scratch, fmt, ap);
    va_end(ap);
    if (len >= 0 && len < (int)sizeof detail) memcpy(detail, scratch, (size_t)len + 1);
    char *whole = len >= (int)sizeof detail ? malloc((size_t)len + 1) : NULL;
    if (len >= (int)sizeof detail && whole == NULL) memcpy(detail, scratch, sizeof detail);
    if (whole != NULL) {
        vsnprintf(whole, (size_t)len + 1, fmt, again);
        const size_t head = char_start(whole, 1024), gap = 3;
        const size_t tail_from =
            char_start(whole, (size_t)len - (sizeof detail - 1 - head - gap) + 3);
        memcpy(detail, whole, head);
        memcpy(detail + head, "...", gap);
        memcpy(detail + head + gap, whole + tail_from, (size_t)len - tail_from + 1);
        free(whole);
    }
    va_end(again);
    return status;
}

/* ---- structs that cross the API ---------------------------------------------------- */

mlp_status mlp__struct_size_ok(size_t size, size_t own, const char *fn, const char *type)
{
    MLP_CHECK(size >= sizeof(size_t), MLP_ERR_INVALID_ARG,
              "%s: %s.struct_size is %zu: set it with its init function (or sizeof)", fn, type,
              size);
    MLP_CHECK(size <= own, MLP_ERR_INVALID_ARG,
              "%s: %s.struct_size is %zu, this libmlp (%s) knows %zu bytes: either the program "
              "was built against a newer libmlp than the one it runs with, or struct_size was "
              "never set (use the struct's initializer macro or init function)",
              fn, type, size, MLP_VERSION_STRING, own);
    return MLP_OK;
}

mlp_status mlp__struct_init(void *dst, size_t size, const void *defaults, size_t own,
                            const char *fn, const char *type)
{
    MLP_CHECK(dst != NULL, MLP_ERR_INVALID_ARG, "%s: the %s is NULL", fn, type);
    mlp_status s = mlp__struct_size_ok(size, own, fn, type);
    if (s != MLP_OK) return s;
    memcpy(dst, defaults, size);
    memcpy(dst, &size, sizeof size);
    return MLP_OK;
}

int mlp__name_index(const void *table, size_t count, size_t stride, const char *name,
                    const char *fn, const char *what)
{
    if (name == NULL) {
        mlp__fail(MLP_ERR_INVALID_ARG, "%s: name is NULL", fn);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *entry;
        memcpy(&entry, (const char *)table + i * stride, sizeof entry);
        if (entry != NULL && strcmp(entry, name) == 0) return (int)i;
    }
    mlp__fail(MLP_ERR_INVALID_ARG, "%s: no %s is called \"%.64s\"", fn, what, name);
    return -1;
}

mlp_status mlp__struct_in(void *dst, size_t own, const void *src, const char *fn, const char *type)
{
    MLP_CHECK(src != NULL, MLP_ERR_INVALID_ARG, "%s: the %s is NULL", fn, type);
    size_t size;
    memcpy(&size, src, sizeof size);
    mlp_status s = mlp__struct_size_ok(size, own, fn, type);
    if (s != MLP_OK) return s;
    /* Fields are only appended and never start inside an older struct's tail
     * padding, so the caller's first `size` bytes are exactly the fields it knows. */
    memcpy((char *)dst + sizeof size, (const char *)src + sizeof size, size - sizeof size);
    memcpy(dst, &own, sizeof own);
    return MLP_OK;
}

mlp_status mlp__struct_out(void *dst, const void *src, size_t own, const char *fn, const char *type)
{
    MLP_CHECK(dst != NULL, MLP_ERR_INVALID_ARG, "%s: the %s is NULL", fn, type);
    size_t size;
    memcpy(&size, dst, sizeof size);
    mlp_status s = mlp__struct_size_ok(size, own, fn, type);
    if (s != MLP_OK) return s;
    memcpy((char *)dst + sizeof size, (const char *)src + sizeof size, size - sizeof size);
    return MLP_OK;
}

/* The layout of every public struct, recorded. Each ends at its last field with no
 * tail padding, so a field added later starts past every older program's struct and
 * the library can tell from struct_size alone which fields a caller has. A release
 * that appends fields records where the older struct ended (MLP__APPENDED) and
 * moves MLP__ENDS_AT to its new last field. (The ABI-growth test builds the library
 * against a header with one more field at the end of each struct.) */
#define MLP__SIZE(type, last)                                                              \
    ((MLP__END(type, last) + _Alignof(type) - 1) / _Alignof(type) * _Alignof(type))
#define MLP__APPENDED(type, last_before, first_new)                                         \
    _Static_assert(offsetof(type, first_new) >= MLP__SIZE(type, last_before),               \
                   #type "." #first_new ": a new field may not start inside the older struct")
#ifdef MLP_ABI_GROWTH_TEST
#define MLP__ENDS_AT(type, last) MLP__APPENDED(type, last, growth_test_field)
#else
#define MLP__ENDS_AT(type, last)                                                            \
    _Static_assert(sizeof(type) == MLP__END(type, last),                                    \
                   #type ": the layout changed, or it has tail padding")
#endif
MLP__ENDS_AT(mlp_layer_spec, momentum);
MLP__APPENDED(mlp_layer_spec, bias, kind); /* 1.6 -> 1.7 */
MLP__ENDS_AT(mlp_dataset, w);
MLP__APPENDED(mlp_dataset, n, n_inputs);      /* 1.4 -> 1.5 */
MLP__APPENDED(mlp_dataset, n_classes, x_f32); /* 1.6 -> 1.7 */
MLP__ENDS_AT(mlp_optimizer, lm_memory_budget);
MLP__APPENDED(mlp_optimizer, schedule_patience, lbfgs_history); /* 1.0 -> 1.1 */
MLP__ENDS_AT(mlp_epoch_report, learning_rate);
MLP__ENDS_AT(mlp_fit_options, reducer);
MLP__APPENDED(mlp_fit_options, user_data, shards); /* 1.3 -> 1.4 */
MLP__ENDS_AT(mlp_reducer, bucket_values);
MLP__ENDS_AT(mlp_fit_result, learning_rate);
MLP__ENDS_AT(mlp_provenance, kept_epoch);
MLP__APPENDED(mlp_provenance, epochs, kept_epoch); /* 1.4 -> 1.5 */
MLP__ENDS_AT(mlp_blas_info, advice);
MLP__ENDS_AT(mlp_csv_options, model);
MLP__APPENDED(mlp_csv_options, n_target_names, categorical); /* 1.6 -> 1.7 */
MLP__ENDS_AT(mlp_column_info, first_unseen);
