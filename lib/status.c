/* Status codes, messages and the thread-local failure detail. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "mlp_internal.h"

static _Thread_local char detail[256];

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
    }
    return "unknown status";
}

const char *mlp_error_detail(void) { return detail; }

mlp_status mlp__fail(mlp_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return status;
}

int mlp__all_finite(const double *x, size_t n)
{
    /* x - x is 0 for finite x and NaN for NaN or infinity; summing keeps the
     * loop free of branches so it vectorizes. */
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += x[i] - x[i];
    return acc == 0.0;
}
