/*
 * libmlp — dense feed-forward neural networks (multi-layer perceptrons) on BLAS.
 *
 * This is the only public header. Conventions used throughout:
 *
 *  - Matrices are row-major, contiguous doubles. A batch of observations is an
 *    (n, d) matrix: n rows (observations) by d columns (features).
 *  - A dense layer with `in` inputs and `out` nodes stores its weights as a
 *    row-major (out, in) matrix: row j holds node j's incoming weights, the
 *    tutorial's weights['node_j']. Its bias is a vector of `out`.
 *  - Every fallible function returns an mlp_status; MLP_OK (0) is success.
 *    After a failure, mlp_error_detail() describes what was wrong. A failed call
 *    leaves its arguments as they were.
 *  - Output parameters come first, then inputs, then sizes.
 *  - The library never prints, never exits, never aborts on bad input and keeps
 *    no global mutable state (the detail message is thread-local).
 */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(MLP_BUILDING)
#define MLP_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define MLP_API __attribute__((visibility("default")))
#else
#define MLP_API
#endif

/* ------------------------------------------------------------------------- */
/* Version                                                                   */
/* ------------------------------------------------------------------------- */

#define MLP_VERSION_MAJOR 0
#define MLP_VERSION_MINOR 1
#define MLP_VERSION_PATCH 0
/** MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define MLP_VERSION_NUMBER \
    (MLP_VERSION_MAJOR * 10000 + MLP_VERSION_MINOR * 100 + MLP_VERSION_PATCH)
#define MLP_VERSION_STRING "0.1.0"

/** The version of the library actually loaded, as "MAJOR.MINOR.PATCH". */
MLP_API const char *mlp_version(void);
/** The version of the library actually loaded, as MLP_VERSION_NUMBER would give it. */
MLP_API int mlp_version_number(void);

/* ------------------------------------------------------------------------- */
/* Status codes                                                              */
/* ------------------------------------------------------------------------- */

/** Result of every fallible call. Values are stable: never renumbered, only appended. */
typedef enum mlp_status {
    MLP_OK = 0,                /**< success */
    MLP_ERR_INVALID_ARG = 1,   /**< NULL pointer, zero or out-of-range size, unknown enum value */
    MLP_ERR_SHAPE = 2,         /**< sizes that do not fit together (layer sizes, batch, buffer length) */
    MLP_ERR_NOMEM = 3,         /**< an allocation failed or a size computation would overflow */
    MLP_ERR_IO = 4,            /**< a read or write failed */
    MLP_ERR_FORMAT = 5,        /**< a file or buffer is not a valid libmlp model */
    MLP_ERR_NUMERIC = 6        /**< NaN or infinity where a finite number is required */
} mlp_status;

/**
 * A fixed, static message for a status ("invalid argument", ...). Never NULL;
 * an unknown value gives "unknown status".
 */
MLP_API const char *mlp_strerror(mlp_status status);

/**
 * Detail of the last failure in the calling thread, for example
 * "layer 2 expects 128 inputs, got 64". Valid right after a call returned a
 * status other than MLP_OK; successful calls do not clear it. Never NULL
 * (an empty string when nothing failed yet). The pointer stays valid for the
 * life of the thread; its contents change at the next failure.
 */
MLP_API const char *mlp_error_detail(void);

/* ------------------------------------------------------------------------- */
/* Activations                                                               */
/* ------------------------------------------------------------------------- */

/** Activation applied at each node of a layer. Values are stable (stored in files). */
typedef enum mlp_activation {
    MLP_ACT_IDENTITY = 0, /**< f(z) = z */
    MLP_ACT_RELU = 1,     /**< f(z) = max(z, 0); f'(0) is taken as 0 */
    MLP_ACT_TANH = 2,     /**< f(z) = tanh(z) */
    MLP_ACT_SIGMOID = 3   /**< f(z) = 1 / (1 + exp(-z)) */
} mlp_activation;

/** Lower-case name of an activation ("relu"), or NULL for an unknown value. */
MLP_API const char *mlp_activation_name(mlp_activation act);

/**
 * Apply an activation element-wise: out[i] = f(in[i]).
 * @param[out] out  n values; may be the same pointer as `in` (in place).
 * @param[in]  in   n values.
 * @param      n    element count, > 0.
 * @return MLP_OK, or MLP_ERR_INVALID_ARG for NULL pointers, n == 0 or an unknown activation.
 */
MLP_API mlp_status mlp_activation_forward(mlp_activation act, double *out, const double *in,
                                          size_t n);

/**
 * Derivative of an activation element-wise: out[i] = f'(in[i]).
 * Same arguments and errors as mlp_activation_forward().
 */
MLP_API mlp_status mlp_activation_derivative(mlp_activation act, double *out, const double *in,
                                             size_t n);

/* ------------------------------------------------------------------------- */
/* Networks                                                                  */
/* ------------------------------------------------------------------------- */

/** One dense layer of a network, as given to mlp_net_create(). */
typedef struct mlp_layer_spec {
    size_t size;               /**< number of nodes (outputs) of the layer, > 0 */
    mlp_activation activation; /**< applied to every node */
    int bias;                  /**< nonzero: the layer has a bias vector; 0: none (as in the tutorial) */
} mlp_layer_spec;

/** A network: opaque. Read-only during prediction, so many threads may predict with one network. */
typedef struct mlp_net mlp_net;

/**
 * Create a network with `n_inputs` inputs followed by `n_layers` dense layers.
 * All weights and biases start at 0.0; set them with mlp_net_set_weights() /
 * mlp_net_set_bias() or write the parameter block directly.
 * @param[out] net       receives the new network (NULL on failure); free it with mlp_net_free().
 * @param      n_inputs  features per observation, > 0.
 * @param[in]  layers    n_layers specs, first hidden layer first, output layer last.
 * @param      n_layers  > 0.
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, zero or too large sizes, unknown activation),
 *         MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_create(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                                  size_t n_layers);

/** Free a network. NULL is accepted and ignored. */
MLP_API void mlp_net_free(mlp_net *net);

/** Number of inputs (features per observation); 0 for NULL. */
MLP_API size_t mlp_net_n_inputs(const mlp_net *net);
/** Number of outputs (nodes of the last layer); 0 for NULL. */
MLP_API size_t mlp_net_n_outputs(const mlp_net *net);
/** Number of dense layers; 0 for NULL. */
MLP_API size_t mlp_net_n_layers(const mlp_net *net);

/**
 * Describe layer `layer` (0 = first hidden layer).
 * @param[out] spec      size, activation and bias flag as created.
 * @param[out] n_in      may be NULL; receives the layer's input count.
 * @return MLP_OK, or MLP_ERR_INVALID_ARG for NULL or a layer index out of range.
 */
MLP_API mlp_status mlp_net_layer(const mlp_net *net, size_t layer, mlp_layer_spec *spec,
                                 size_t *n_in);

/**
 * Number of parameters: the length of the parameter block, all layers' weights
 * and biases. 0 for NULL.
 */
MLP_API size_t mlp_net_n_params(const mlp_net *net);

/**
 * The parameter block: every layer's weights, then its bias if it has one,
 * layer after layer (W1, b1, W2, b2, ...), mlp_net_n_params() doubles, owned by
 * the network. Writing through the pointer changes the network. NULL for NULL.
 */
MLP_API double *mlp_net_params(mlp_net *net);
/** Read-only view of the parameter block. */
MLP_API const double *mlp_net_params_const(const mlp_net *net);

/**
 * Copy a layer's weights in: `weights` is the row-major (out, in) matrix, row j
 * holding node j's incoming weights. `count` must equal out * in.
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, bad layer), MLP_ERR_SHAPE (count),
 *         MLP_ERR_NUMERIC (a NaN or infinite weight; nothing is changed).
 */
MLP_API mlp_status mlp_net_set_weights(mlp_net *net, size_t layer, const double *weights,
                                       size_t count);
/** Copy a layer's (out, in) weights out; `count` must equal out * in. */
MLP_API mlp_status mlp_net_get_weights(const mlp_net *net, size_t layer, double *weights,
                                       size_t count);
/**
 * Copy a layer's bias in (`count` == out). MLP_ERR_INVALID_ARG when the layer
 * was created without a bias; MLP_ERR_NUMERIC for NaN or infinity.
 */
MLP_API mlp_status mlp_net_set_bias(mlp_net *net, size_t layer, const double *bias, size_t count);
/** Copy a layer's bias out (`count` == out); MLP_ERR_INVALID_ARG when it has none. */
MLP_API mlp_status mlp_net_get_bias(const mlp_net *net, size_t layer, double *bias, size_t count);

/* ------------------------------------------------------------------------- */
/* Workspaces and prediction                                                 */
/* ------------------------------------------------------------------------- */

/**
 * Scratch memory for forward passes of up to `max_batch` observations through
 * networks of one shape. Each thread predicting at the same time needs its own.
 */
typedef struct mlp_workspace mlp_workspace;

/**
 * Create a workspace for networks shaped like `net` (same input and layer
 * sizes), for batches of 1 to `max_batch` rows.
 * @param[out] ws  receives the workspace (NULL on failure); free with mlp_workspace_free().
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, max_batch == 0 or too large), MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_workspace_create(mlp_workspace **ws, const mlp_net *net, size_t max_batch);

/** Free a workspace. NULL is accepted and ignored. */
MLP_API void mlp_workspace_free(mlp_workspace *ws);

/** The largest batch the workspace holds; 0 for NULL. */
MLP_API size_t mlp_workspace_max_batch(const mlp_workspace *ws);

/**
 * Forward propagation of a batch: per layer one cblas_dgemm (Z = A_prev · Wᵀ)
 * and one vectorized pass adding the bias and applying the activation.
 * Allocates nothing. Every layer's output stays in the workspace
 * (see mlp_workspace_layer_output()) until the next call with it.
 * @param[out] y    (n, n_outputs) row-major predictions.
 * @param      net  the network; not modified.
 * @param      ws   a workspace created for a network of the same shape.
 * @param[in]  x    (n, n_inputs) row-major observations.
 * @param      n    rows, 1 <= n <= mlp_workspace_max_batch(ws).
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, n == 0), MLP_ERR_SHAPE (workspace made
 *         for another shape, n larger than the workspace). On failure y is untouched.
 */
MLP_API mlp_status mlp_net_predict(const mlp_net *net, mlp_workspace *ws, double *y,
                                   const double *x, size_t n);

/**
 * The output of layer `layer` (0 = first hidden layer) from the last successful
 * mlp_net_predict() with this workspace: a row-major (rows, cols) matrix owned
 * by the workspace, valid until the next prediction with it or its free.
 * Hidden layer values, as the tutorial prints them.
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, layer out of range, or no
 *         prediction has been made with the workspace yet).
 */
MLP_API mlp_status mlp_workspace_layer_output(const mlp_workspace *ws, size_t layer,
                                              const double **values, size_t *rows,
                                              size_t *cols);

/* ------------------------------------------------------------------------- */
/* Error and loss                                                            */
/* ------------------------------------------------------------------------- */

/**
 * Error of each prediction: err[i] = pred[i] - target[i], as in the tutorial.
 * `err` may alias `pred`. @return MLP_OK or MLP_ERR_INVALID_ARG (NULL, n == 0).
 */
MLP_API mlp_status mlp_loss_error(double *err, const double *pred, const double *target,
                                  size_t n);

/**
 * Mean squared error over n values: (1/n) Σ (pred[i] - target[i])². For an
 * (rows, outputs) matrix pass n = rows * outputs: the value equals
 * scikit-learn's mean_squared_error (multioutput='uniform_average').
 * @return MLP_OK or MLP_ERR_INVALID_ARG (NULL, n == 0).
 */
MLP_API mlp_status mlp_loss_mse(double *mse, const double *pred, const double *target, size_t n);

/* ------------------------------------------------------------------------- */
/* Gradient descent on a linear model (the tutorial's chapter 2)              */
/* ------------------------------------------------------------------------- */

/**
 * Predictions of a linear model without intercept: pred = X · w (one cblas_dgemv).
 * @param[out] pred  n values.
 * @param[in]  x     (n, d) row-major.
 * @param[in]  w     d weights.
 * @return MLP_OK or MLP_ERR_INVALID_ARG (NULL, zero or too large sizes).
 */
MLP_API mlp_status mlp_linear_predict(double *pred, const double *x, const double *w, size_t n,
                                      size_t d);

/**
 * Slope of the mean squared error with respect to the weights:
 * slope = (2 / n) · Xᵀ · err, which for one row is the tutorial's
 * `2 * input_data * error` and for many rows its mean over rows.
 * @param[out] slope  d values.
 * @param[in]  x      (n, d) row-major.
 * @param[in]  err    n errors, pred - target (see mlp_loss_error()).
 */
MLP_API mlp_status mlp_linear_slope(double *slope, const double *x, const double *err, size_t n,
                                    size_t d);

/**
 * One update: w = w - learning_rate * slope (one cblas_daxpy).
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, d == 0, learning_rate not finite).
 */
MLP_API mlp_status mlp_linear_update(double *w, const double *slope, size_t d,
                                     double learning_rate);

/**
 * Many updates in a row: n_updates times compute the error of X · w against
 * `target`, its slope and the update; after each update, the mean squared error
 * of the updated weights goes to mse_history[k].
 * @param[in,out] w            d weights, updated in place.
 * @param[out]    mse_history  n_updates values, or NULL.
 * @param[in]     x            (n, d) row-major.
 * @param[in]     target       n values.
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_NOMEM, or MLP_ERR_NUMERIC when the
 *         loss stops being finite (w then holds the last weights whose loss was
 *         finite, and mse_history the values up to there).
 */
MLP_API mlp_status mlp_linear_descend(double *w, double *mse_history, const double *x,
                                      const double *target, size_t n, size_t d,
                                      double learning_rate, size_t n_updates);

#ifdef __cplusplus
}
#endif

#endif /* MLP_H */
