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
    MLP_ACT_IDENTITY = 0,   /**< f(z) = z */
    MLP_ACT_RELU = 1,       /**< f(z) = max(z, 0); f'(0) is taken as 0 */
    MLP_ACT_TANH = 2,       /**< f(z) = tanh(z) */
    MLP_ACT_SIGMOID = 3,    /**< f(z) = 1 / (1 + exp(-z)) */
    MLP_ACT_SOFTMAX = 4,    /**< per row: f(z)_k = exp(z_k) / Σ_j exp(z_j), computed as exp(z_k - max z) */
    MLP_ACT_LEAKY_RELU = 5, /**< f(z) = z for z > 0, 0.01 z otherwise (PyTorch's default slope) */
    MLP_ACT_ELU = 6,        /**< f(z) = z for z > 0, exp(z) - 1 otherwise (alpha = 1) */
    MLP_ACT_SOFTPLUS = 7    /**< f(z) = log(1 + exp(z)), computed without overflow */
} mlp_activation;

/** Slope of MLP_ACT_LEAKY_RELU below zero. */
#define MLP_LEAKY_RELU_SLOPE 0.01

/** Lower-case name of an activation ("relu"), or NULL for an unknown value. */
MLP_API const char *mlp_activation_name(mlp_activation act);

/**
 * Apply an activation element-wise: out[i] = f(in[i]). MLP_ACT_SOFTMAX treats
 * the n values as one row.
 * @param[out] out  n values; may be the same pointer as `in` (in place).
 * @param[in]  in   n values.
 * @param      n    element count, > 0.
 * @return MLP_OK, or MLP_ERR_INVALID_ARG for NULL pointers, n == 0 or an unknown activation.
 */
MLP_API mlp_status mlp_activation_forward(mlp_activation act, double *out, const double *in,
                                          size_t n);

/**
 * Derivative of an activation element-wise: out[i] = f'(in[i]).
 * Same arguments and errors as mlp_activation_forward(); MLP_ACT_SOFTMAX has no
 * element-wise derivative (its Jacobian is a matrix) and gives MLP_ERR_INVALID_ARG.
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

/* ------------------------------------------------------------------------- */
/* Losses for training                                                       */
/* ------------------------------------------------------------------------- */

/** A training loss. Values are stable (stored in files). */
typedef enum mlp_loss {
    /** Mean over all n * outputs values of (pred - target)². Any output activation. */
    MLP_LOSS_MSE = 0,
    /** Mean over all n * outputs values of -(t log p + (1 - t) log(1 - p)), p = sigmoid(z),
     *  computed from the logits z as max(z, 0) - z t + log1p(exp(-|z|)). Needs a sigmoid output. */
    MLP_LOSS_BINARY_CROSSENTROPY = 1,
    /** Mean over the n rows of -Σ_k t_k log p_k, p = softmax(z), computed from the logits
     *  as Σ_k t_k (logsumexp(z) - z_k). Needs a softmax output. */
    MLP_LOSS_CATEGORICAL_CROSSENTROPY = 2
} mlp_loss;

/** Lower-case name of a loss ("mse", "binary_crossentropy", ...), or NULL for an unknown value. */
MLP_API const char *mlp_loss_name(mlp_loss loss);

/**
 * Forward and backward pass over a batch: the mean loss of the network's
 * predictions for `x` against `target`, and its gradient with respect to every
 * parameter, written to `grad` in the parameter block's layout (W1, b1, W2, ...).
 * Per layer: dW = dZᵀ · A_prev and dA_prev = dZ · W as cblas_dgemm, bias
 * gradients as column sums. Allocates nothing.
 * @param[out] grad    mlp_net_n_params(net) values.
 * @param[out] loss_value  the mean loss (may be NULL).
 * @param      net     not modified.
 * @param      ws      a workspace for the network's shape, max_batch >= n.
 * @param[in]  x       (n, n_inputs) row-major.
 * @param[in]  target  (n, n_outputs) row-major.
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, n == 0, unknown loss, or a
 *         cross-entropy loss whose output activation is not the one it needs),
 *         MLP_ERR_SHAPE (workspace).
 */
MLP_API mlp_status mlp_net_gradient(const mlp_net *net, mlp_workspace *ws, mlp_loss loss,
                                    double *grad, double *loss_value, const double *x,
                                    const double *target, size_t n);

/**
 * Check mlp_net_gradient() against central finite differences over the whole
 * parameter block. For each parameter p, differences (L(p + d) - L(p - d)) / 2d
 * are taken for d = h, h/1.4, h/1.4², ... and extrapolated to d = 0 (Ridders'
 * method), which resolves gradients to about 1e-10 relative where a single
 * difference stops near 1e-6. With relu, leaky relu or elu layers the first step
 * is cut by tens until no node crosses its kink at 0, since a difference across a
 * kink measures nothing. Reports the largest relative error
 * |analytic - numeric| / max(|analytic|, |numeric|, 1e-7). Each parameter is
 * restored bit for bit after its turn. Allocates a workspace and scratch.
 * @param[out] max_rel_error  the largest relative error over all parameters.
 * @param      h              the first step, > 0 and finite; 1e-2 suits inputs and
 *                            weights of order 1.
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_gradient_check(double *max_rel_error, mlp_net *net, mlp_loss loss,
                                          const double *x, const double *target, size_t n,
                                          double h);

/* ------------------------------------------------------------------------- */
/* Weight initialization                                                     */
/* ------------------------------------------------------------------------- */

/** How mlp_net_init() draws weights. Biases are always set to 0. */
typedef enum mlp_init {
    MLP_INIT_UNIFORM = 0,  /**< U(-1/sqrt(in), 1/sqrt(in)), PyTorch's nn.Linear default */
    MLP_INIT_XAVIER = 1,   /**< Glorot uniform: U(-a, a), a = sqrt(6 / (in + out)) */
    MLP_INIT_HE = 2,       /**< He normal: N(0, 2 / in), for ReLU layers */
    MLP_INIT_ORTHOGONAL = 3 /**< rows (or columns) orthonormal: QR of a Gaussian matrix via LAPACKE */
} mlp_init;

/**
 * Draw every layer's weights from `seed` (the same seed gives the same weights
 * on every platform) and zero the biases.
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_NOMEM, MLP_ERR_NUMERIC (LAPACKE failed).
 */
MLP_API mlp_status mlp_net_init(mlp_net *net, mlp_init init, unsigned long long seed);

/* ------------------------------------------------------------------------- */
/* Optimizers and training                                                   */
/* ------------------------------------------------------------------------- */

/** An optimizer over the whole parameter block. Values are stable (stored in files). */
typedef enum mlp_optimizer_kind {
    MLP_OPT_SGD = 0,         /**< w -= lr g, fused into the gradient's dgemm (never stored) */
    MLP_OPT_MOMENTUM = 1,    /**< v = μ v + g; w -= lr v */
    MLP_OPT_NESTEROV = 2,    /**< v = μ v + g; w -= lr (g + μ v) */
    MLP_OPT_ADAM = 3,        /**< Kingma & Ba, with bias correction */
    MLP_OPT_IRPROP_MINUS = 4 /**< iRPROP-, per-weight step sizes from gradient signs (full batch) */
} mlp_optimizer_kind;

/** Optimizer settings. Fill with mlp_optimizer_defaults(), then change what you need. */
typedef struct mlp_optimizer {
    mlp_optimizer_kind kind;
    double learning_rate; /**< SGD, momentum, Nesterov, Adam; > 0 */
    double momentum;      /**< μ for momentum and Nesterov, in [0, 1) */
    double beta1, beta2;  /**< Adam, in [0, 1) */
    double epsilon;       /**< Adam, > 0 */
    double weight_decay;  /**< L2: adds weight_decay * w to the gradient of every weight
                               (not biases), as PyTorch's weight_decay; >= 0 */
    double rprop_increase, rprop_decrease; /**< iRPROP- η+ > 1 and η- in (0, 1) */
    double rprop_delta_init, rprop_delta_min, rprop_delta_max; /**< iRPROP- step sizes */
} mlp_optimizer;

/**
 * Defaults: learning_rate 0.01 (Adam 0.001), momentum 0.9, beta1 0.9, beta2 0.999,
 * epsilon 1e-8, weight_decay 0, iRPROP- as FANN: η+ 1.2, η- 0.5, Δ0 0.1,
 * Δmin 0, Δmax 50.
 */
MLP_API mlp_optimizer mlp_optimizer_defaults(mlp_optimizer_kind kind);

/**
 * A trainer: one network, one loss, one optimizer, with everything a training
 * step needs (workspace, gradient block, optimizer state in blocks the size of
 * the parameters) allocated once, for batches of up to max_batch rows.
 * The trainer borrows the network: keep it alive and do not free it first.
 */
typedef struct mlp_trainer mlp_trainer;

/**
 * @param[out] trainer  receives the trainer (NULL on failure); free with mlp_trainer_free().
 * @return MLP_OK, MLP_ERR_INVALID_ARG (NULL, bad settings, a loss that does not fit
 *         the output activation, max_batch == 0), MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_trainer_create(mlp_trainer **trainer, mlp_net *net, mlp_loss loss,
                                      const mlp_optimizer *optimizer, size_t max_batch);

/** Free a trainer (not its network). NULL is accepted. */
MLP_API void mlp_trainer_free(mlp_trainer *trainer);

/**
 * One training step on a batch: forward, backward, optimizer update. Allocates
 * nothing. When the loss or the gradient is not finite, nothing is changed and
 * MLP_ERR_NUMERIC is returned (plain SGD, whose gradient is never stored, checks
 * its factors: the inputs, every activation and every layer's dZ).
 * @param[out] loss_value  the batch's mean loss before the update (may be NULL).
 * @param[in]  x           (n, n_inputs); target (n, n_outputs); 1 <= n <= max_batch.
 */
MLP_API mlp_status mlp_trainer_step(mlp_trainer *trainer, double *loss_value, const double *x,
                                    const double *target, size_t n);

/** Clear the optimizer's state (momenta, Adam moments and step count, RPROP steps). */
MLP_API void mlp_trainer_reset(mlp_trainer *trainer);

/** What the per-epoch callback receives. */
typedef struct mlp_epoch_report {
    size_t epoch;       /**< 1-based */
    double loss;        /**< mean training loss over the epoch's batches */
    double val_loss;    /**< loss on the validation rows; NAN when there are none */
    double metric;      /**< accuracy for cross-entropy losses, mean absolute error for MSE,
                             on the training rows after the epoch */
    double val_metric;  /**< the same on the validation rows; NAN when there are none */
} mlp_epoch_report;

/** Called after every epoch; return nonzero to stop training. */
typedef int (*mlp_epoch_callback)(const mlp_epoch_report *report, void *user_data);

/** Options of mlp_trainer_fit(). Fill with mlp_fit_options_defaults(). */
typedef struct mlp_fit_options {
    size_t epochs;              /**< > 0 */
    size_t batch_size;          /**< rows per step; 0 = all training rows (full batch) */
    int shuffle;                /**< nonzero: reorder the rows every epoch from `seed` */
    unsigned long long seed;    /**< for shuffling; the same seed gives bit-identical weights */
    double validation_fraction; /**< in [0, 1): when no validation set is passed, hold out
                                     this fraction of the rows (the last ones, as Keras) */
    size_t patience;            /**< 0: no early stopping; else stop after this many epochs
                                     without improvement of the monitored loss (validation
                                     loss, or training loss without validation rows) and
                                     restore the weights of the best epoch */
    double min_delta;           /**< an improvement must exceed this, >= 0 */
    mlp_epoch_callback callback; /**< may be NULL */
    void *user_data;            /**< passed to the callback */
} mlp_fit_options;

/** epochs 10, batch_size 32, shuffle on, seed 0, no validation, no early stopping. */
MLP_API mlp_fit_options mlp_fit_options_defaults(void);

/** What mlp_trainer_fit() did. */
typedef struct mlp_fit_result {
    size_t epochs_run;    /**< epochs completed */
    size_t best_epoch;    /**< 1-based epoch of the lowest monitored loss */
    double best_loss;     /**< that loss */
    int stopped_early;    /**< patience ran out */
    int stopped_by_callback;
} mlp_fit_result;

/**
 * Train for up to opt->epochs epochs of mini-batches. Buffers are allocated
 * once at the start; the steps allocate nothing.
 * @param[out] result        may be NULL.
 * @param[out] loss_history  opt->epochs values (training loss per epoch), or NULL;
 *                           entries past result->epochs_run are left untouched.
 * @param[out] val_history   opt->epochs values (validation loss per epoch), or NULL.
 * @param[in]  x, target     (n, n_inputs) and (n, n_outputs) training rows.
 * @param[in]  val_x, val_target  (n_val, ...) validation rows, or NULL with n_val == 0.
 * @return MLP_OK; MLP_ERR_INVALID_ARG, MLP_ERR_SHAPE, MLP_ERR_NOMEM for bad input;
 *         MLP_ERR_NUMERIC when the data hold NaN or infinity (nothing changed) or the
 *         loss stops being finite, in which case the network keeps the weights of the
 *         last epoch whose loss was finite (the starting weights if none was).
 */
MLP_API mlp_status mlp_trainer_fit(mlp_trainer *trainer, mlp_fit_result *result,
                                   double *loss_history, double *val_history, const double *x,
                                   const double *target, size_t n, const double *val_x,
                                   const double *val_target, size_t n_val,
                                   const mlp_fit_options *opt);

/* ------------------------------------------------------------------------- */
/* Least squares (the exact answer gradient descent should reach)            */
/* ------------------------------------------------------------------------- */

/**
 * Ordinary least squares with intercept through LAPACKE_dgels:
 * minimizes Σ_i (y_i - x_i · coef - intercept)².
 * @param[out] coef       d values.
 * @param[out] intercept  may be NULL to fit without an intercept.
 * @param[in]  x          (n, d) row-major; y: n values. Needs n >= d (+1 with intercept).
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_SHAPE (too few rows), MLP_ERR_NOMEM,
 *         MLP_ERR_NUMERIC (NaN in the data, or X is rank-deficient: the reciprocal
 *         condition number of its R factor is below (columns) * DBL_EPSILON).
 */
MLP_API mlp_status mlp_linreg(double *coef, double *intercept, const double *x, const double *y,
                              size_t n, size_t d);

/* ------------------------------------------------------------------------- */
/* Classification helpers                                                    */
/* ------------------------------------------------------------------------- */

/** One-hot rows: out (n, k) gets 1 at column labels[i] of row i, 0 elsewhere.
 *  MLP_ERR_INVALID_ARG when a label is >= k (out is then untouched). */
MLP_API mlp_status mlp_onehot(double *out, const size_t *labels, size_t n, size_t k);

/** Index of the largest value of each row of scores (n, k); the first one on ties. */
MLP_API mlp_status mlp_argmax(size_t *labels, const double *scores, size_t n, size_t k);

/**
 * Fraction of rows classified right. With k == 1 (binary): pred >= 0.5 against
 * target >= 0.5. With k > 1: argmax of pred against argmax of target (one-hot).
 */
MLP_API mlp_status mlp_accuracy(double *accuracy, const double *pred, const double *target,
                                size_t n, size_t k);

/* ------------------------------------------------------------------------- */
/* Models that survive: provenance, save and load                            */
/* ------------------------------------------------------------------------- */

/** Where a network came from. Kept with the network, saved and loaded with it. */
typedef struct mlp_provenance {
    char library_version[16];   /**< libmlp version that created the network or wrote its file */
    int trained;                /**< nonzero once mlp_trainer_fit() has completed an epoch on it */
    mlp_loss loss;              /**< loss of the last training */
    mlp_optimizer optimizer;    /**< optimizer and hyperparameters of the last training */
    unsigned long long seed;    /**< shuffling seed of the last training */
    size_t batch_size;          /**< rows per step of the last training */
    size_t epochs;              /**< epochs completed over every training; also the length
                                     of mlp_net_loss_history() */
} mlp_provenance;

/** Copy out a network's provenance. */
MLP_API mlp_status mlp_net_provenance(const mlp_net *net, mlp_provenance *info);

/**
 * The per-epoch training loss of every epoch the network was trained for, oldest
 * first: `*n` values owned by the network, valid until it is trained again or
 * freed (`*history` is NULL when *n is 0).
 */
MLP_API mlp_status mlp_net_loss_history(const mlp_net *net, const double **history, size_t *n);

/**
 * Save a network (layers, parameters, provenance and loss history) to `path`,
 * atomically: the bytes go to a new temporary file in the same directory, which
 * is flushed, fsync'ed and renamed over `path`. A failure at any point leaves a
 * previous file at `path` as it was. Format: README.md, "File format".
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_NOMEM, MLP_ERR_IO (the detail names
 *         the system error), MLP_ERR_NUMERIC (a NaN or infinite parameter: no file
 *         that could not be loaded again is written).
 */
MLP_API mlp_status mlp_net_save(const mlp_net *net, const char *path);

/**
 * Serialize a network into `buf` (capacity bytes). `*size` receives the bytes
 * needed; with buf == NULL only the size is computed.
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_SHAPE (capacity too small; nothing written),
 *         MLP_ERR_NUMERIC (a NaN or infinite parameter).
 */
MLP_API mlp_status mlp_net_save_buffer(const mlp_net *net, void *buf, size_t capacity,
                                       size_t *size);

/**
 * Load a network saved by mlp_net_save() (or the network of a training
 * checkpoint). Every field is validated and every size checked for overflow
 * before anything is allocated.
 * @param[out] net  receives the network (NULL on failure).
 * @return MLP_OK, MLP_ERR_INVALID_ARG, MLP_ERR_IO, MLP_ERR_NOMEM, MLP_ERR_FORMAT (not a
 *         libmlp file, a version this library cannot read, truncated, corrupted,
 *         checksum mismatch, impossible sizes; the detail says which).
 */
MLP_API mlp_status mlp_net_load(mlp_net **net, const char *path);

/** Load a network from `size` bytes in memory; as mlp_net_load(). */
MLP_API mlp_status mlp_net_load_buffer(mlp_net **net, const void *buf, size_t size);

/**
 * Save a training checkpoint: the trainer's network, loss, optimizer settings and
 * state, step and epoch counters, atomically as mlp_net_save(). Training resumed
 * from it with mlp_trainer_fit() gives, bit for bit, the weights an uninterrupted
 * run gives (early stopping's bookkeeping excepted: it restarts with each fit).
 */
MLP_API mlp_status mlp_trainer_save(const mlp_trainer *trainer, const char *path);

/**
 * Load a training checkpoint: a new network and a new trainer that borrows it,
 * for batches of up to `max_batch` rows (the caller's choice, not the file's, so
 * that no file decides how much memory is allocated). Free the trainer, then the
 * network. Errors as mlp_net_load(); a network file (no trainer state) gives
 * MLP_ERR_FORMAT; max_batch == 0 gives MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_trainer_load(mlp_trainer **trainer, mlp_net **net, const char *path,
                                    size_t max_batch);

/** Load a training checkpoint from `size` bytes in memory; as mlp_trainer_load(). */
MLP_API mlp_status mlp_trainer_load_buffer(mlp_trainer **trainer, mlp_net **net,
                                           const void *buf, size_t size, size_t max_batch);

/* ------------------------------------------------------------------------- */
/* What the library runs on                                                  */
/* ------------------------------------------------------------------------- */

/** The CBLAS provider and machine libmlp runs on, for reports and diagnosis. */
typedef struct mlp_blas_info {
    char provider[32];     /**< the CBLAS provider libmlp was built with ("openblas", "blis", ...) */
    char version[32];      /**< its version, when it says ("0.3.21"); else "" */
    char kernel[32];       /**< OpenBLAS's kernel (openblas_get_corename(), "Haswell"); else "" */
    int threads;           /**< the BLAS's thread count; -1 when it does not say */
    char vector_math[48];  /**< what runs tanh, sigmoid, exp: "glibc libmvec, AVX2, 4 lanes" */
    char cpu[96];          /**< the CPU's model name */
    char best_kernel[32];  /**< the best OpenBLAS kernel this CPU can run ("SkylakeX", "Zen") */
    char advice[256];      /**< "" when all is well; else what to change, for instance when
                                OpenBLAS runs SSE3 kernels on a CPU with AVX-512 */
} mlp_blas_info;

/** Describe the CBLAS provider and the machine. Never fails for a non-NULL info. */
MLP_API mlp_status mlp_blas_get_info(mlp_blas_info *info);

#ifdef __cplusplus
}
#endif

#endif /* MLP_H */
