/* Private to the library: never installed. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "mlp.h"
#include MLP_CBLAS_HEADER

/* Largest size handed to BLAS: CBLAS takes int dimensions and leading dimensions. */
#define MLP_MAX_DIM ((size_t)INT_MAX)

/* Record a formatted detail message for the calling thread and return `status`. */
mlp_status mlp__fail(mlp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Argument checks stay one line each: on failure, set the detail and return. */
#define MLP_CHECK(cond, status, ...)                                                   \
    do {                                                                               \
        if (!(cond)) return mlp__fail((status), __VA_ARGS__);                          \
    } while (0)

#define MLP_CHECK_PTR(p) MLP_CHECK((p) != NULL, MLP_ERR_INVALID_ARG, "%s: %s is NULL", __func__, #p)

/* a * b without overflow past `limit`; returns 0 and leaves *out alone on overflow. */
static inline int mlp__mul_ok(size_t a, size_t b, size_t limit, size_t *out)
{
    if (a != 0 && b > limit / a) return 0;
    *out = a * b;
    return 1;
}

/* 1 when every value is finite. */
int mlp__all_finite(const double *x, size_t n);

/* Vectorized activation pass over a row-major (rows, cols) matrix, in place:
 * z[r][c] = f(z[r][c] + bias[c]); bias may be NULL. */
void mlp__bias_activate(double *z, const double *bias, size_t rows, size_t cols,
                        mlp_activation act);

int mlp__activation_valid(mlp_activation act);

/* Mean of (pred[i] - target[i])² over n > 0 values. */
double mlp__mse(const double *pred, const double *target, size_t n);

/* One dense layer forward: a (n, out) = f(a_prev (n, in) · w (out, in)ᵀ + b (out) or none). */
void mlp__dense_forward(double *a, const double *a_prev, const double *w, const double *b,
                        size_t n, size_t in, size_t out, mlp_activation act);

typedef struct mlp_layer {
    size_t in, out;        /* weights are (out, in) row-major */
    mlp_activation act;
    int has_bias;
    size_t w_off, b_off;   /* offsets into the parameter block; b_off meaningless without bias */
} mlp_layer;

struct mlp_net {
    size_t n_inputs;
    size_t n_layers;
    size_t n_params;
    mlp_layer *layers;     /* n_layers */
    double *params;        /* n_params, 64-byte aligned: W1, b1, W2, b2, ... */
};

struct mlp_workspace {
    size_t max_batch;
    size_t n_inputs;
    size_t n_layers;
    size_t *sizes;         /* n_layers output sizes, the shape this workspace serves */
    double **act;          /* n_layers buffers, each (max_batch, sizes[l]) row-major */
    size_t last_rows;      /* rows of the last successful forward pass; 0 = none yet */
    double *block;         /* every layer's buffer, 64-byte aligned */
};

#endif
