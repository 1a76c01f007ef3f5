/**
 * @file mlp.h
 * @brief libmlp — dense feed-forward neural networks (multi-layer perceptrons) on BLAS.
 *
 * This is the only public header. Conventions used throughout:
 *
 *  - Matrices are row-major, contiguous doubles. A batch of observations is an
 *    (n, d) matrix: n rows (observations) by d columns (features).
 *  - A dense layer with `in` inputs and `out` nodes stores its weights as a
 *    row-major (out, in) matrix: row j holds node j's incoming weights. Its bias
 *    is a vector of `out`.
 *  - Every fallible function returns an ::mlp_status; ::MLP_OK (0) is success.
 *    After a failure, mlp_error_detail() describes what was wrong. A failed call
 *    leaves its arguments as they were (exceptions are named where they occur).
 *  - Output parameters come first, then inputs, then sizes.
 *  - Every struct that crosses the API begins with `size_t struct_size`, which
 *    the caller sets to `sizeof` the struct as its own header declares it,
 *    through the struct's `mlp_<type>_init(&s, sizeof s)` function (which also
 *    fills in the defaults) or its initializer macro (::MLP_LAYER, ::MLP_DATASET).
 *    The library reads and writes only the fields that fit in `struct_size`:
 *    a program built against an older header, whose structs are shorter, gets the
 *    defaults for the fields it does not know, and nothing past its structs is
 *    written. Fields are only ever appended. Structs the library hands to the
 *    caller (::mlp_epoch_report) carry the library's size: test a field newer than
 *    your oldest supported libmlp with ::MLP_HAS_FIELD before reading it.
 *  - The library never prints, never exits, never aborts on bad input and keeps
 *    no global mutable state (the detail message is thread-local).
 */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>
#include <stdio.h> /* FILE, for mlp_table_read_csv_file */

#ifdef __cplusplus
extern "C" {
#endif

/** @cond MLP_INTERNAL */
#if defined(_WIN32) && defined(MLP_BUILDING)
#define MLP_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(MLP_STATIC)
#define MLP_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define MLP_API __attribute__((visibility("default")))
#else
#define MLP_API
#endif
/** @endcond */

/**
 * @defgroup libmlp_version Version
 * Compile-time and run-time versions.
 * @{
 */

#define MLP_VERSION_MAJOR 1 /**< incremented for changes that break the ABI (new soname) */
#define MLP_VERSION_MINOR 7 /**< incremented for additions that keep the ABI */
#define MLP_VERSION_PATCH 0 /**< incremented for fixes */
/** MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define MLP_VERSION_NUMBER \
    (MLP_VERSION_MAJOR * 10000 + MLP_VERSION_MINOR * 100 + MLP_VERSION_PATCH)
/** The header's version as a string. */
#define MLP_VERSION_STRING "1.7.0"

/**
 * The version of the library actually loaded.
 * @return "MAJOR.MINOR.PATCH", a static string.
 */
MLP_API const char *mlp_version(void);

/**
 * The version of the library actually loaded, as a number.
 * @return MAJOR * 10000 + MINOR * 100 + PATCH, as ::MLP_VERSION_NUMBER gives it.
 */
MLP_API int mlp_version_number(void);

/**
 * True when the struct `*ptr` is large enough to hold `field`: use it before
 * reading a field added after the oldest libmlp your program supports, in a
 * struct the library filled (the library sets `struct_size` to its own size there).
 */
#define MLP_HAS_FIELD(ptr, field)                                                                  \
    ((size_t)((const char *)&(ptr)->field - (const char *)(ptr)) + sizeof((ptr)->field) <=         \
     (ptr)->struct_size)

/** @} */

/**
 * @defgroup libmlp_status Status codes and errors
 * What every fallible call returns, and the detail of the last failure.
 * @{
 */

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
 * A fixed message for a status.
 * @param status  any value.
 * @return "success", "invalid argument", ...; "unknown status" for a value that
 *         is not an ::mlp_status. Never NULL; static storage.
 */
MLP_API const char *mlp_strerror(mlp_status status);

/**
 * Detail of the last failure in the calling thread, for example
 * "mlp_net_predict: workspace layer 1 has 3 nodes, the network's has 4".
 * Valid right after a call returned a status other than ::MLP_OK; successful
 * calls do not clear it.
 * @return never NULL (an empty string when nothing failed yet). The pointer stays
 *         valid for the life of the thread; its contents change at the next failure.
 */
MLP_API const char *mlp_error_detail(void);

/** @} */

/**
 * @defgroup libmlp_activations Activations
 * Functions applied at every node of a layer. Each is one entry of one table in
 * the library: its name, its forward pass, its derivative, and its code in model files.
 * @{
 */

/** Activation applied at each node of a layer. Values are stable (stored in files). */
typedef enum mlp_activation {
    MLP_ACT_IDENTITY = 0, /**< f(z) = z */
    MLP_ACT_RELU = 1,     /**< f(z) = max(z, 0); f'(0) is taken as 0 */
    MLP_ACT_TANH = 2,     /**< f(z) = tanh(z) */
    MLP_ACT_SIGMOID = 3,  /**< f(z) = 1 / (1 + exp(-z)) */
    MLP_ACT_SOFTMAX =
        4, /**< per row: f(z)_k = exp(z_k) / Σ_j exp(z_j), computed as exp(z_k - max z) */
    MLP_ACT_LEAKY_RELU = 5, /**< f(z) = z for z > 0, 0.01 z otherwise (PyTorch's default slope) */
    MLP_ACT_ELU = 6,        /**< f(z) = z for z > 0, exp(z) - 1 otherwise (alpha = 1) */
    MLP_ACT_SOFTPLUS = 7,   /**< f(z) = log(1 + exp(z)), computed without overflow */
    MLP_ACT_GELU = 8, /**< f(z) = z Φ(z) = z (1 + erf(z / √2)) / 2, the exact form (PyTorch's
                           default), computed as z erfc(-z / √2) / 2 */
    MLP_ACT_GELU_TANH = 9, /**< f(z) = z (1 + tanh(u)) / 2, u = √(2/π) (z + 0.044715 z³): the tanh
                                approximation, computed as z σ(2u) */
    MLP_ACT_SILU = 10      /**< f(z) = z σ(z) = z / (1 + exp(-z)), also called swish */
} mlp_activation;

/** Slope of ::MLP_ACT_LEAKY_RELU below zero. */
#define MLP_LEAKY_RELU_SLOPE 0.01

/**
 * Name of an activation.
 * @param act  any value.
 * @return the lower-case name ("relu", "gelu_tanh"), or NULL for a value this
 *         library does not know.
 */
MLP_API const char *mlp_activation_name(mlp_activation act);

/**
 * Look an activation up by the name mlp_activation_name() gives it.
 * @param[out] act   receives the activation; untouched on failure.
 * @param[in]  name  "relu", "tanh", ... (exact, lower case).
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or an unknown name.
 */
MLP_API mlp_status mlp_activation_from_name(mlp_activation *act, const char *name);

/**
 * Apply an activation element-wise: out[i] = f(in[i]). ::MLP_ACT_SOFTMAX treats
 * the n values as one row.
 * @param      act  the activation.
 * @param[out] out  n values; may be the same pointer as `in` (in place).
 * @param[in]  in   n values.
 * @param      n    element count, > 0.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL pointers, n == 0 or an unknown activation.
 */
MLP_API mlp_status mlp_activation_forward(mlp_activation act, double *out, const double *in,
                                          size_t n);

/**
 * Derivative of an activation element-wise: out[i] = f'(in[i]).
 * @param      act  the activation; ::MLP_ACT_SOFTMAX has no element-wise
 *                  derivative (its Jacobian is a matrix) and is refused.
 * @param[out] out  n values; may be the same pointer as `in`.
 * @param[in]  in   n pre-activation values z.
 * @param      n    element count, > 0.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL pointers, n == 0, an unknown
 *         activation or softmax.
 */
MLP_API mlp_status mlp_activation_derivative(mlp_activation act, double *out, const double *in,
                                             size_t n);

/** @} */

/**
 * @defgroup libmlp_networks Networks
 * A network: its input count, its dense layers, and one contiguous block of
 * parameters W1, b1, W2, b2, ...
 * @{
 */

/** What a layer is (since 1.7). Stored in model files: the values are stable. */
typedef enum mlp_layer_kind {
    /** size nodes, each a weighted sum of the layer's inputs plus a bias, then the
     *  activation: z = a_prev · Wᵀ + b, a = f(z), W (size, inputs) row-major */
    MLP_LAYER_DENSE = 0,
    /** layer normalization (Ba, Kiros and Hinton, 2016; PyTorch's nn.LayerNorm): each
     *  row of its input shifted and scaled to mean 0 and variance 1 over the row's
     *  values (the biased variance, plus mlp_layer_spec::epsilon), then times a gain
     *  and plus a bias, one of each per value (learned; gain 1 and bias 0 when the
     *  network is made or initialized; never weight-decayed), then the activation:
     *  z = γ ⊙ (x − mean) / √(var + ε) + β, a = f(z). Its size is its input's:
     *  mlp_layer_spec::size 0 or that width. Parameters: γ (size), then β (size)
     *  unless mlp_layer_spec::bias is 0 */
    MLP_LAYER_LAYERNORM = 1,
    /** dropout (Srivastava et al., 2014; PyTorch's nn.Dropout): while training, each
     *  value of its input is set to 0 with probability mlp_layer_spec::rate and the
     *  others are divided by 1 − rate; when predicting, validating or scoring, the
     *  identity. The masks are drawn from the trainer's seed (the last fit's
     *  mlp_fit_options::seed, the network's provenance seed before one), its step count,
     *  the layer, and each value's row in the whole batch and column, by a counter-based
     *  generator: the same at every thread count, across a checkpoint, and in a sharded
     *  fit as in one process with the same shards. mlp_net_gradient() draws them for
     *  step 0 of seed 0. No parameters, no activation (::MLP_ACT_IDENTITY) and no bias;
     *  its size is its input's (0 or that width). L-BFGS and Levenberg–Marquardt
     *  refuse it (their line search and Jacobian need one function to minimize) */
    MLP_LAYER_DROPOUT = 2,
    /** batch normalization (Ioffe and Szegedy, 2015; PyTorch's nn.BatchNorm1d), since
     *  1.7: each column of its input shifted and scaled to mean 0 and variance 1, then
     *  times a gain and plus a bias per column (learned; 1 and 0 when made or
     *  initialized; never weight-decayed), then the activation. While training (a
     *  trainer's step, mlp_net_gradient()) the mean and the biased variance are the
     *  batch's, over its rows; each successful step then moves the layer's running
     *  mean and variance toward them: r ← (1 − momentum)·r + momentum·batch, with the
     *  unbiased variance (PyTorch's rule; a batch of one row leaves them as they are).
     *  When predicting, validating or scoring, the running values, saved with the
     *  model (0 and 1 when made or initialized), serve instead: z = γ ⊙ (x − mean) /
     *  √(var + ε) + β, a = f(z). Its size is its input's (0 or that width). Settings:
     *  mlp_layer_spec::epsilon, mlp_layer_spec::momentum. Parameters: γ (size), then β
     *  (size) unless mlp_layer_spec::bias is 0. Refused by L-BFGS and
     *  Levenberg–Marquardt (their objective would change with every step's
     *  statistics) and by sharded fits, MPI's included (a shard's statistics are not
     *  the batch's): use ::MLP_LAYER_LAYERNORM there */
    MLP_LAYER_BATCHNORM = 3
} mlp_layer_kind;

/** One layer of a network, as given to mlp_net_create(). */
typedef struct mlp_layer_spec {
    /** sizeof(mlp_layer_spec); set by ::MLP_LAYER, ::MLP_LAYERNORM, ::MLP_DROPOUT,
     *  ::MLP_BATCHNORM or mlp_layer_spec_init() */
    size_t struct_size;
    /** number of nodes (outputs) of the layer, > 0; for ::MLP_LAYER_LAYERNORM,
     *  ::MLP_LAYER_DROPOUT and ::MLP_LAYER_BATCHNORM, 0 or its input's width (they keep
     *  the width) */
    size_t size;
    /** applied to every node; default ::MLP_ACT_IDENTITY */
    mlp_activation activation;
    /** nonzero: the layer has a bias vector (default); 0: none, as in the tutorial */
    int bias;
    /** what the layer is (since 1.7): ::MLP_LAYER_DENSE (the default, and what every
     *  spec of an earlier size means), ::MLP_LAYER_LAYERNORM, ::MLP_LAYER_DROPOUT or
     *  ::MLP_LAYER_BATCHNORM */
    mlp_layer_kind kind;
    /** ::MLP_LAYER_LAYERNORM and ::MLP_LAYER_BATCHNORM: added to the variance, > 0 and
     *  finite; default 1e-5, PyTorch's (since 1.7). Other kinds ignore it. */
    double epsilon;
    /** ::MLP_LAYER_DROPOUT: the probability of dropping a value, 0 ≤ rate < 1; default
     *  0.5, PyTorch's (since 1.7). Other kinds ignore it. */
    double rate;
    /** ::MLP_LAYER_BATCHNORM: the weight of each batch's statistics in the running
     *  ones, 0 < momentum ≤ 1; default 0.1, PyTorch's (Keras's momentum 0.99 is 0.01
     *  here) (since 1.7). Other kinds ignore it. */
    double momentum;
} mlp_layer_spec;

/**
 * Initializer of a dense layer's spec (size, activation, bias flag), for arrays:
 * `const mlp_layer_spec layers[2] = {MLP_LAYER(8, MLP_ACT_TANH, 1),
 *                                   MLP_LAYER(1, MLP_ACT_SIGMOID, 1)};`
 */
/* clang-format off */
#define MLP_LAYER(size, activation, bias)                                                         \
    {sizeof(mlp_layer_spec), (size), (activation), (bias), MLP_LAYER_DENSE, 0.0, 0.0, 0.0}
/* clang-format on */

/**
 * Initializer of a layer normalization's spec, with gain and bias, ε = 1e-5 and an
 * activation applied after them (since 1.7). PyTorch's `Linear(4, 8), LayerNorm(8),
 * ReLU()` is `MLP_LAYER(8, MLP_ACT_IDENTITY, 1), MLP_LAYERNORM(MLP_ACT_RELU)`.
 */
/* clang-format off */
#define MLP_LAYERNORM(activation)                                                                 \
    {sizeof(mlp_layer_spec), 0, (activation), 1, MLP_LAYER_LAYERNORM, 1e-5, 0.0, 0.0}
/* clang-format on */

/**
 * Initializer of a dropout layer's spec, dropping values with probability `rate`
 * while training (since 1.7): PyTorch's `nn.Dropout(0.2)` is `MLP_DROPOUT(0.2)`.
 */
/* clang-format off */
#define MLP_DROPOUT(rate)                                                                         \
    {sizeof(mlp_layer_spec), 0, MLP_ACT_IDENTITY, 0, MLP_LAYER_DROPOUT, 0.0, (rate), 0.0}
/* clang-format on */

/**
 * Initializer of a batch normalization's spec, with gain and bias, ε = 1e-5,
 * momentum 0.1 and an activation applied after them (since 1.7). PyTorch's
 * `Linear(4, 8), BatchNorm1d(8), ReLU()` is `MLP_LAYER(8, MLP_ACT_IDENTITY, 1),
 * MLP_BATCHNORM(MLP_ACT_RELU)`.
 */
/* clang-format off */
#define MLP_BATCHNORM(activation)                                                                 \
    {sizeof(mlp_layer_spec), 0, (activation), 1, MLP_LAYER_BATCHNORM, 1e-5, 0.0, 0.1}
/* clang-format on */

/**
 * Set a layer spec's struct_size and its defaults: size 0 (to be set),
 * ::MLP_ACT_IDENTITY, bias on, ::MLP_LAYER_DENSE, epsilon 1e-5, rate 0.5, momentum 0.1.
 * @param[out] spec         the spec to fill.
 * @param      struct_size  sizeof(mlp_layer_spec) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a struct_size this library
 *         cannot serve (smaller than a size_t, or larger than its own struct).
 */
MLP_API mlp_status mlp_layer_spec_init(mlp_layer_spec *spec, size_t struct_size);

/** A network: opaque. Read-only during prediction, so many threads may predict with one network. */
typedef struct mlp_net mlp_net;

/**
 * Create a network with `n_inputs` inputs followed by `n_layers` layers (dense, layer
 * and batch normalizations, dropouts: mlp_layer_spec::kind), ready to train: its weights drawn
 * as mlp_net_init(net, ::MLP_INIT_AUTO, 0) draws them (He
 * for the layers with a rectifier, Xavier for the others), its biases 0 (since 1.5;
 * before, every weight started at 0, and a network trained from there learns little).
 * Draw them from another seed or scheme with mlp_net_init() (::MLP_INIT_ZEROS for
 * zeros), set them with mlp_net_set_weights() / mlp_net_set_bias(), or write the
 * parameter block.
 * @param[out] net       receives the new network (NULL on failure); free it with mlp_net_free().
 * @param      n_inputs  features per observation, 1 to INT_MAX.
 * @param[in]  layers    n_layers specs, first hidden layer first, output layer last.
 *                       The array's stride is layers[0].struct_size, which every
 *                       element must share.
 * @param      n_layers  1 to 4096.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero or too large sizes, unknown
 *         activation or kind, a normalization or dropout whose size is not its
 *         input's, an epsilon that is not positive and finite, a rate outside [0, 1),
 *         a momentum outside (0, 1],
 *         a network without parameters (dropouts alone), a bad struct_size),
 *         ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_create(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                                  size_t n_layers);

/**
 * Free a network.
 * @param net  the network; NULL is accepted and ignored.
 */
MLP_API void mlp_net_free(mlp_net *net);

/**
 * Number of inputs.
 * @param net  the network.
 * @return features per observation; 0 for NULL.
 */
MLP_API size_t mlp_net_n_inputs(const mlp_net *net);

/**
 * Number of outputs.
 * @param net  the network.
 * @return nodes of the last layer; 0 for NULL.
 */
MLP_API size_t mlp_net_n_outputs(const mlp_net *net);

/**
 * Number of layers, of every kind.
 * @param net  the network.
 * @return the layer count; 0 for NULL.
 */
MLP_API size_t mlp_net_n_layers(const mlp_net *net);

/**
 * Describe one layer.
 * @param      net    the network.
 * @param      layer  0 = first hidden layer.
 * @param[out] spec   size, activation, bias flag, kind, epsilon, rate and momentum
 *                    as created (a normalization's or a dropout's size is its
 *                    width, whatever it was created with; the settings a kind does
 *                    not read are 0); its struct_size must be set
 *                    (mlp_layer_spec_init()).
 * @param[out] n_in   may be NULL; receives the layer's input count.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL, a bad struct_size or a
 *         layer index out of range.
 */
MLP_API mlp_status mlp_net_layer(const mlp_net *net, size_t layer, mlp_layer_spec *spec,
                                 size_t *n_in);

/**
 * Number of parameters: the length of the parameter block.
 * @param net  the network.
 * @return all layers' weights and biases; 0 for NULL.
 */
MLP_API size_t mlp_net_n_params(const mlp_net *net);

/**
 * The parameter block, writable: every layer's weights, then its bias if it has
 * one, layer after layer (W1, b1, W2, b2, ...), each W row-major (out, in).
 * Calling it tells the library the weights may change, so the next training step
 * reads them again (plain SGD keeps a bound on their magnitude between steps):
 * write through a pointer got after the last step, not one kept from before it.
 * For reading, mlp_net_params_const() does not count as a change.
 * @param net  the network.
 * @return mlp_net_n_params() doubles owned by the network; NULL for NULL.
 */
MLP_API double *mlp_net_params(mlp_net *net);

/**
 * Read-only view of the parameter block.
 * @param net  the network.
 * @return as mlp_net_params(), const.
 */
MLP_API const double *mlp_net_params_const(const mlp_net *net);

/**
 * Copy a layer's weights in.
 * @param     net      the network.
 * @param     layer    0 = first hidden layer.
 * @param[in] weights  the row-major (out, in) matrix, row j holding node j's incoming
 *                     weights; for a layer or batch normalization, its gains γ (size
 *                     values).
 * @param     count    must equal out * in (a normalization: its size).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad layer, a dropout: it has no
 *         weights), ::MLP_ERR_SHAPE (count), ::MLP_ERR_NUMERIC (a NaN or infinite
 *         weight; nothing is changed).
 */
MLP_API mlp_status mlp_net_set_weights(mlp_net *net, size_t layer, const double *weights,
                                       size_t count);

/**
 * Copy a layer's weights out.
 * @param      net      the network.
 * @param      layer    0 = first hidden layer.
 * @param[out] weights  receives the row-major (out, in) matrix; for a layer
 *                      or batch normalization, its gains γ (a batch normalization's
 *                      running mean and variance are the model's, not weights).
 * @param      count    must equal out * in (a normalization: its size).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad layer, a dropout: it has no
 *         weights), ::MLP_ERR_SHAPE (count).
 */
MLP_API mlp_status mlp_net_get_weights(const mlp_net *net, size_t layer, double *weights,
                                       size_t count);

/**
 * Copy a layer's bias in.
 * @param     net    the network.
 * @param     layer  0 = first hidden layer.
 * @param[in] bias   out values.
 * @param     count  must equal out.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad layer, a layer created
 *         without a bias or a dropout, which has none), ::MLP_ERR_SHAPE (count),
 *         ::MLP_ERR_NUMERIC (NaN or infinity).
 */
MLP_API mlp_status mlp_net_set_bias(mlp_net *net, size_t layer, const double *bias, size_t count);

/**
 * Copy a layer's bias out.
 * @param      net    the network.
 * @param      layer  0 = first hidden layer.
 * @param[out] bias   receives out values.
 * @param      count  must equal out.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad layer, no bias), ::MLP_ERR_SHAPE (count).
 */
MLP_API mlp_status mlp_net_get_bias(const mlp_net *net, size_t layer, double *bias, size_t count);

/** @} */

/**
 * @defgroup libmlp_prediction Workspaces and prediction
 * Batched forward propagation into scratch memory sized once.
 * @{
 */

/**
 * Scratch memory for forward passes of up to `max_batch` observations through
 * networks of one shape. Each thread predicting at the same time needs its own.
 */
typedef struct mlp_workspace mlp_workspace;

/**
 * Create a workspace for networks shaped like `net` (same input and layer sizes),
 * for batches of 1 to `max_batch` rows.
 * @param[out] ws         receives the workspace (NULL on failure); free with mlp_workspace_free().
 * @param      net        a network of the shape to serve.
 * @param      max_batch  1 to INT_MAX rows.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, max_batch == 0 or too large), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_workspace_create(mlp_workspace **ws, const mlp_net *net, size_t max_batch);

/**
 * Free a workspace.
 * @param ws  the workspace; NULL is accepted and ignored.
 */
MLP_API void mlp_workspace_free(mlp_workspace *ws);

/**
 * The largest batch a workspace holds.
 * @param ws  the workspace.
 * @return max_batch as created; 0 for NULL.
 */
MLP_API size_t mlp_workspace_max_batch(const mlp_workspace *ws);

/**
 * Predict a batch: the model's whole path from the rows as they come to its outputs.
 * The inputs are scaled as the network's preprocessing says (mlp_net_fit_scaling(),
 * a model trained by `mlp train` or loaded from a file; none for a network without),
 * then forward propagation runs, per layer one cblas_dgemm (Z = A_prev · Wᵀ) and one
 * vectorized pass adding the bias and applying the activation, and the outputs come
 * back in the targets' units where the model scales its targets. A softmax output
 * gives class probabilities, a sigmoid one the probability of class 1.
 * Allocates nothing (the workspace holds the scaled rows). Every layer's output stays
 * in the workspace (see mlp_workspace_layer_output()) until the next call with it.
 *
 * Since 1.5. A program built against libmlp 1.4 or older calls the version of its
 * time, which does not scale (its rows had to be scaled with mlp_net_transform()).
 * @param      net  the network; not modified.
 * @param      ws   a workspace created for a network of the same shape.
 * @param[out] y    (n, n_outputs) row-major predictions; untouched on failure.
 * @param[in]  x    (n, n_inputs) row-major observations, as they come.
 * @param      n    rows, 1 <= n <= mlp_workspace_max_batch(ws).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, n == 0), ::MLP_ERR_SHAPE (workspace
 *         made for another shape, n larger than the workspace).
 */
MLP_API mlp_status mlp_net_predict(const mlp_net *net, mlp_workspace *ws, double *y,
                                   const double *x, size_t n);

/**
 * The output of one layer from the last successful mlp_net_predict() with this
 * workspace: the hidden layer values, as the tutorial prints them.
 * @param      ws      the workspace.
 * @param      layer   0 = first hidden layer.
 * @param[out] values  receives a row-major (rows, cols) matrix owned by the
 *                     workspace, valid until the next prediction with it or its free.
 * @param[out] rows    may be NULL; receives the batch's row count.
 * @param[out] cols    may be NULL; receives the layer's width.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, layer out of range, or no
 *         prediction has been made with the workspace yet).
 */
MLP_API mlp_status mlp_workspace_layer_output(const mlp_workspace *ws, size_t layer,
                                              const double **values, size_t *rows,
                                              size_t *cols);

/** @} */

/**
 * @defgroup libmlp_errors Error and mean squared error
 * The tutorial's error and loss of predictions against targets.
 * @{
 */

/**
 * Error of each prediction: err[i] = pred[i] - target[i], as in the tutorial.
 * @param[out] err     n values; may alias pred.
 * @param[in]  pred    n predictions.
 * @param[in]  target  n targets.
 * @param      n       > 0.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, n == 0).
 */
MLP_API mlp_status mlp_loss_error(double *err, const double *pred, const double *target,
                                  size_t n);

/**
 * Mean squared error over n values: (1/n) Σ (pred[i] - target[i])². For an
 * (rows, outputs) matrix pass n = rows * outputs: the value equals
 * scikit-learn's mean_squared_error (multioutput='uniform_average').
 * @param[out] mse     receives the mean.
 * @param[in]  pred    n predictions.
 * @param[in]  target  n targets.
 * @param      n       > 0.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, n == 0).
 */
MLP_API mlp_status mlp_loss_mse(double *mse, const double *pred, const double *target, size_t n);

/** @} */

/**
 * @defgroup libmlp_linear Gradient descent on a linear model
 * The tutorial's chapter 2: predictions, slopes and weight updates of a linear
 * model without intercept.
 * @{
 */

/**
 * Predictions of a linear model without intercept: pred = X · w (one cblas_dgemv).
 * @param[out] pred  n values.
 * @param[in]  x     (n, d) row-major.
 * @param[in]  w     d weights.
 * @param      n     rows, 1 to INT_MAX.
 * @param      d     columns, 1 to INT_MAX.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, zero or too large sizes).
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
 * @param      n      rows, 1 to INT_MAX.
 * @param      d      columns, 1 to INT_MAX.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, zero or too large sizes).
 */
MLP_API mlp_status mlp_linear_slope(double *slope, const double *x, const double *err, size_t n,
                                    size_t d);

/**
 * One update: w = w - learning_rate * slope.
 * @param[in,out] w              d weights.
 * @param[in]     slope          d values.
 * @param         d              > 0.
 * @param         learning_rate  finite.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, d == 0, learning_rate not finite),
 *         ::MLP_ERR_NUMERIC (a new weight would not be finite; w is unchanged).
 */
MLP_API mlp_status mlp_linear_update(double *w, const double *slope, size_t d,
                                     double learning_rate);

/**
 * Many updates in a row: n_updates times compute the error of X · w against
 * `target`, its slope and the update; after each update, the mean squared error
 * of the updated weights goes to mse_history[k].
 * @param[in,out] w              d weights, updated in place.
 * @param[out]    mse_history    n_updates values, or NULL.
 * @param[in]     x              (n, d) row-major.
 * @param[in]     target         n values.
 * @param         n              rows, 1 to INT_MAX.
 * @param         d              columns, 1 to INT_MAX.
 * @param         learning_rate  finite.
 * @param         n_updates      > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM, or ::MLP_ERR_NUMERIC when
 *         the loss stops being finite (w then holds the last weights whose loss was
 *         finite, and mse_history the values up to there).
 */
MLP_API mlp_status mlp_linear_descend(double *w, double *mse_history, const double *x,
                                      const double *target, size_t n, size_t d,
                                      double learning_rate, size_t n_updates);

/** @} */

/**
 * @defgroup libmlp_gradients Losses and gradients
 * Training losses, datasets, and backpropagation of a batch.
 * @{
 */

/** A training loss. Values are stable (stored in files). */
typedef enum mlp_loss {
    /** Mean over all n * outputs values of (pred - target)². Any output activation. */
    MLP_LOSS_MSE = 0,
    /** Mean over all n * outputs values of -(t log p + (1 - t) log(1 - p)), p = sigmoid(z),
     *  computed from the logits z as max(z, 0) - z t + log1p(exp(-|z|)). Needs a sigmoid output. */
    MLP_LOSS_BINARY_CROSSENTROPY = 1,
    /** Mean over the n rows of -Σ_k t_k log p_k, p = softmax(z), computed from the logits
     *  as Σ_k t_k (logsumexp(z) - z_k). Needs a softmax output of two nodes or more. */
    MLP_LOSS_CATEGORICAL_CROSSENTROPY = 2
} mlp_loss;

/**
 * Name of a loss.
 * @param loss  any value.
 * @return "mse", "binary_crossentropy", "categorical_crossentropy", or NULL for
 *         a value this library does not know.
 */
MLP_API const char *mlp_loss_name(mlp_loss loss);

/**
 * Look a loss up by the name mlp_loss_name() gives it.
 * @param[out] loss  receives the loss; untouched on failure.
 * @param[in]  name  "mse", ...
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or an unknown name.
 */
MLP_API mlp_status mlp_loss_from_name(mlp_loss *loss, const char *name);

/**
 * Rows of data: inputs and their targets, with their shape, named so that they cannot
 * be swapped silently.
 *
 * The rows are the model's: as they come, before any scaling. Every call that takes a
 * dataset checks its columns against the network (::MLP_ERR_SHAPE, naming both
 * numbers) and applies the preprocessing the network carries (mlp_net_fit_scaling()):
 * inputs are scaled, and so are targets where the model scales them, without
 * changing the caller's arrays. Class indices (::MLP_DATASET_CLASSES, or
 * mlp_table_dataset() for a table of classes) become the one-hot rows the loss
 * compares with, inside the library.
 *
 * A program built against libmlp 1.4 or older passes the shorter dataset of its own
 * header (struct_size up to `n`): its rows are taken as before, unchecked and as the
 * network reads them (already scaled).
 */
typedef struct mlp_dataset {
    /** sizeof(mlp_dataset); set by ::MLP_DATASET, ::MLP_DATASET_CLASSES,
     *  mlp_table_dataset() or mlp_dataset_init() */
    size_t struct_size;
    /** (n, n_inputs) row-major inputs */
    const double *x;
    /** (n, n_targets) row-major targets, or (n, 1) class indices with n_classes */
    const double *y;
    /** rows */
    size_t n;
    /** columns of x: the network's inputs (since 1.5) */
    size_t n_inputs;
    /** columns of y: the network's outputs, or 1 with n_classes; 0 for a dataset without
     *  targets (y NULL), which only mlp_net_fit_scaling() and mlp_net_transform() take
     *  (since 1.5) */
    size_t n_targets;
    /** 0: y holds values (numbers, or one-hot rows); k > 0: y is one column of class
     *  indices, whole numbers 0 to k - 1, as a table of classes holds them (the number of
     *  output nodes, or 2 for a single sigmoid output node) (since 1.5) */
    size_t n_classes;
} mlp_dataset;

/**
 * Initializer of a dataset of values: x (n, n_inputs), y (n, n_targets).
 * `const mlp_dataset train = MLP_DATASET(x, 2, y, 1, 100);`
 * (Before 1.5 it took (x, y, n): a program of that time fails to compile here with
 * "macro MLP_DATASET requires 5 arguments": add the column counts.)
 */
/* clang-format off */
#define MLP_DATASET(x, n_inputs, y, n_targets, n)                                                 \
    {sizeof(mlp_dataset), (x), (y), (n), (n_inputs), (n_targets), 0}
/* clang-format on */

/**
 * Initializer of a dataset of classes: x (n, n_inputs), labels (n) class indices
 * 0 to n_classes - 1 stored as doubles, as mlp_table_targets() gives them (since 1.5).
 * `const mlp_dataset train = MLP_DATASET_CLASSES(x, 4, label, 3, 150);`
 */
/* clang-format off */
#define MLP_DATASET_CLASSES(x, n_inputs, labels, n_classes, n)                                    \
    {sizeof(mlp_dataset), (x), (labels), (n), (n_inputs), 1, (n_classes)}
/* clang-format on */

/**
 * Set a dataset's struct_size; the pointers to NULL and the counts to 0.
 * @param[out] data         the dataset to fill.
 * @param      struct_size  sizeof(mlp_dataset) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a struct_size this library
 *         cannot serve.
 */
MLP_API mlp_status mlp_dataset_init(mlp_dataset *data, size_t struct_size);

/**
 * Forward and backward pass over a batch: the mean loss of the network's
 * predictions for `batch->x` against `batch->y`, and its gradient with respect
 * to every parameter, in the parameter block's layout (W1, b1, W2, ...).
 * Per layer: dW = dZᵀ · A_prev and dA_prev = dZ · W as cblas_dgemm, bias
 * gradients as column sums. Allocates nothing. The pass is a training pass: dropouts
 * draw their masks (step 0 of seed 0), batch normalizations use the batch's statistics
 * (and their running values are left as they are).
 * @param      net         not modified.
 * @param      ws          a workspace for the network's shape, max_batch >= batch->n.
 * @param      loss        the loss; it must fit the output layer (see ::mlp_loss).
 * @param[out] grad        mlp_net_n_params(net) values.
 * @param[out] loss_value  the mean loss (may be NULL).
 * @param[in]  batch       the rows, n > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, n == 0, a bad struct_size, an
 *         unknown loss or one that does not fit the output layer), ::MLP_ERR_SHAPE
 *         (workspace).
 */
MLP_API mlp_status mlp_net_gradient(const mlp_net *net, mlp_workspace *ws, mlp_loss loss,
                                    double *grad, double *loss_value, const mlp_dataset *batch);

/**
 * Check mlp_net_gradient() against central finite differences over the whole
 * parameter block. For each parameter p, differences (L(p + d) - L(p - d)) / 2d
 * are taken for d = h, h/1.4, h/1.4², ... and extrapolated to d = 0 (Ridders'
 * method), which resolves gradients to about 1e-10 relative where a single
 * difference stops near 1e-6. With activations whose derivative jumps at 0
 * (relu, leaky relu, elu) the first step is cut by tens until no node crosses
 * its kink, since a difference across a kink measures nothing. Each parameter is
 * restored bit for bit after its turn. Allocates a workspace and scratch.
 * @param[out] max_rel_error  the largest |analytic - numeric| / max(|analytic|, |numeric|, 1e-7)
 *                            over all parameters.
 * @param      net            the network (parameters are perturbed and restored).
 * @param      loss           the loss.
 * @param[in]  batch          the rows.
 * @param      h              the first step, > 0 and finite; 1e-2 suits inputs and
 *                            weights of order 1.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_gradient_check(double *max_rel_error, mlp_net *net, mlp_loss loss,
                                          const mlp_dataset *batch, double h);

/** @} */

/**
 * @defgroup libmlp_init Weight initialization
 * Weights drawn from a seed the caller passes.
 * @{
 */

/** How mlp_net_init() draws weights. Biases are always set to 0. */
typedef enum mlp_init {
    MLP_INIT_UNIFORM = 0,  /**< U(-1/sqrt(in), 1/sqrt(in)), PyTorch's nn.Linear default */
    MLP_INIT_XAVIER = 1,   /**< Glorot uniform: U(-a, a), a = sqrt(6 / (in + out)) */
    MLP_INIT_HE = 2,       /**< He normal: N(0, 2 / in), for ReLU layers */
    MLP_INIT_ORTHOGONAL = 3, /**< rows (or columns) orthonormal: QR of a Gaussian matrix via LAPACKE */
    MLP_INIT_AUTO = 4, /**< by each layer's activation: He for the rectifiers (relu, leaky relu,
                            elu, softplus, GELU, SiLU), Xavier for the others (identity, tanh,
                            sigmoid, softmax); what mlp_net_create() draws (since 1.5) */
    MLP_INIT_ZEROS = 5 /**< every weight 0 (since 1.5) */
} mlp_init;

/**
 * Name of an initialization.
 * @param init  any value.
 * @return "uniform", "xavier", "he", "orthogonal", "auto", "zeros", or NULL for an
 *         unknown value.
 */
MLP_API const char *mlp_init_name(mlp_init init);

/**
 * Look an initialization up by the name mlp_init_name() gives it.
 * @param[out] init  receives the initialization; untouched on failure.
 * @param[in]  name  "xavier", ...
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or an unknown name.
 */
MLP_API mlp_status mlp_init_from_name(mlp_init *init, const char *name);

/**
 * Draw every layer's weights from `seed` (the same seed gives the same weights
 * on every platform) and zero the biases; normalizations' gains are set to 1, batch
 * normalizations' running means to 0 and variances to 1.
 * @param net   the network.
 * @param init  how to draw.
 * @param seed  any value.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM, ::MLP_ERR_NUMERIC (LAPACKE
 *         failed); on failure the network is unchanged.
 */
MLP_API mlp_status mlp_net_init(mlp_net *net, mlp_init init, unsigned long long seed);

/** @} */

/**
 * @defgroup libmlp_training Optimizers, schedules and training
 * A trainer owns everything a training step needs; mlp_trainer_fit() runs epochs.
 * @{
 */

/** An optimizer over the whole parameter block. Values are stable (stored in files). */
typedef enum mlp_optimizer_kind {
    MLP_OPT_SGD = 0,         /**< w -= lr g, fused into the gradient's dgemm (never stored) */
    MLP_OPT_MOMENTUM = 1,    /**< v = μ v + g; w -= lr v */
    MLP_OPT_NESTEROV = 2,    /**< v = μ v + g; w -= lr (g + μ v) */
    MLP_OPT_ADAM = 3,        /**< Kingma & Ba, with bias correction */
    MLP_OPT_IRPROP_MINUS = 4, /**< iRPROP-: per-weight step sizes from gradient signs; a
                                   full-batch method: mlp_trainer_fit() refuses mini-batches */
    MLP_OPT_LBFGS = 5,        /**< L-BFGS (since 1.1): a quasi-Newton direction from the last
                                   lbfgs_history steps (two-loop recursion), a line search
                                   satisfying the strong Wolfe conditions; full batch, no
                                   learning rate; one iteration per epoch */
    MLP_OPT_LM = 6            /**< Levenberg–Marquardt (since 1.1), for ::MLP_LOSS_MSE: the
                                   Gauss–Newton system (JᵀJ + μI)δ = −Jᵀe from the Jacobian of
                                   every residual, solved by Cholesky, μ adapted as Nielsen
                                   does; full batch; needs 2·n_params² doubles (see
                                   mlp_optimizer::lm_memory_budget) */
} mlp_optimizer_kind;

/**
 * How the learning rate changes from epoch to epoch. The rate of epoch e (the
 * trainer's epochs so far, over every fit, starting at 0) is computed from the
 * base rate (mlp_optimizer::learning_rate) at the start of each epoch of
 * mlp_trainer_fit(), as PyTorch's epoch schedulers step. Values are stable (stored in files).
 */
typedef enum mlp_schedule {
    MLP_SCHEDULE_CONSTANT = 0,    /**< the base rate */
    MLP_SCHEDULE_STEP = 1,        /**< base · factor^⌊e / step_epochs⌋, at least min_lr */
    MLP_SCHEDULE_EXPONENTIAL = 2, /**< base · factor^e, at least min_lr */
    MLP_SCHEDULE_COSINE = 3,      /**< min_lr + (base - min_lr) (1 + cos(π min(e, T) / T)) / 2,
                                       T = cosine_epochs */
    MLP_SCHEDULE_PLATEAU = 4      /**< base · factor^k, at least min_lr, where k grows by one
                                       each time the monitored loss (as early stopping's)
                                       has not improved by more than min_delta for
                                       `patience` epochs (Keras' ReduceLROnPlateau) */
} mlp_schedule;

/** Optimizer settings, with the learning-rate schedule. Fill with mlp_optimizer_init(). */
typedef struct mlp_optimizer {
    /** sizeof(mlp_optimizer), set by mlp_optimizer_init() */
    size_t struct_size;
    /** the method */
    mlp_optimizer_kind kind;
    /** the learning-rate schedule; default ::MLP_SCHEDULE_CONSTANT; not with iRPROP- */
    mlp_schedule schedule;
    /** the base rate: SGD, momentum, Nesterov, Adam; finite, > 0 */
    double learning_rate;
    /** μ for momentum and Nesterov, in [0, 1); default 0.9 */
    double momentum;
    /** Adam, in [0, 1); default 0.9 */
    double beta1;
    /** Adam, in [0, 1); default 0.999 */
    double beta2;
    /** Adam, > 0; default 1e-8 */
    double epsilon;
    /** L2: adds weight_decay * w to the gradient of every weight (not biases), as
     *  PyTorch's weight_decay; >= 0, default 0 */
    double weight_decay;
    /** iRPROP- η+ > 1; default 1.2 */
    double rprop_increase;
    /** iRPROP- η- in (0, 1); default 0.5 */
    double rprop_decrease;
    /** iRPROP- first step size; default 0.1 */
    double rprop_delta_init;
    /** iRPROP- smallest step size; default 0 */
    double rprop_delta_min;
    /** iRPROP- largest step size; default 50 */
    double rprop_delta_max;
    /** step, exponential, plateau: in (0, 1); default 0.1 */
    double schedule_factor;
    /** the floor of every schedule (cosine's η_min), in [0, learning_rate]; default 0 */
    double schedule_min_lr;
    /** plateau: an improvement must exceed this, >= 0; default 1e-4 */
    double schedule_min_delta;
    /** step: epochs between decays, > 0; default 10 */
    size_t schedule_step_epochs;
    /** cosine: T, the epochs to reach schedule_min_lr, > 0 (no default: 0) */
    size_t schedule_cosine_epochs;
    /** plateau: epochs without improvement before a cut, > 0; default 10 */
    size_t schedule_patience;
    /** L-BFGS: the steps whose curvature the direction uses, m, > 0; default 10 (since 1.1) */
    size_t lbfgs_history;
    /** L-BFGS: evaluations a line search may take, > 0; default 25 (since 1.1) */
    size_t max_line_search;
    /** L-BFGS, LM: converged when the largest gradient component of the mean loss is at most
     *  this, >= 0; default 1e-10 for them, 0 (never) for the others (since 1.1) */
    double tolerance_grad;
    /** L-BFGS, LM: converged when an iteration lowers the objective by at most this fraction
     *  of it, >= 0, 0 turning the test off (both still stop when no step lowers the objective
     *  any more); default 1e-12 for them, 0 for the others (since 1.1) */
    double tolerance_change;
    /** LM: the first μ is this times the largest diagonal entry of JᵀJ, > 0; default 1e-3
     *  (since 1.1) */
    double lm_damping;
    /** LM: bytes the normal equations (2·n_params² doubles) may take; a network that needs
     *  more is refused at mlp_trainer_create(); default 1 GiB (since 1.1) */
    size_t lm_memory_budget;
} mlp_optimizer;

/**
 * Set an optimizer's struct_size, kind and defaults: learning_rate 0.01 (Adam
 * 0.001), momentum 0.9, beta1 0.9, beta2 0.999, epsilon 1e-8, weight_decay 0,
 * iRPROP- as FANN: η+ 1.2, η- 0.5, Δ0 0.1, Δmin 0, Δmax 50; constant schedule,
 * schedule_factor 0.1, min_lr 0, min_delta 1e-4, step_epochs 10, cosine_epochs 0,
 * patience 10; L-BFGS history 10, 25 line-search evaluations; tolerances 1e-10
 * (gradient) and 1e-12 (change) for L-BFGS and LM, 0 for the others; LM damping 1e-3,
 * memory budget 1 GiB.
 * @param[out] optimizer    the settings to fill.
 * @param      struct_size  sizeof(mlp_optimizer) as the caller's header declares it.
 * @param      kind         the method.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL, a bad struct_size or an unknown kind.
 */
MLP_API mlp_status mlp_optimizer_init(mlp_optimizer *optimizer, size_t struct_size,
                                      mlp_optimizer_kind kind);

/**
 * Name of an optimizer.
 * @param kind  any value.
 * @return "sgd", "momentum", "nesterov", "adam", "irprop-", or NULL for an unknown value.
 */
MLP_API const char *mlp_optimizer_name(mlp_optimizer_kind kind);

/**
 * Look an optimizer up by the name mlp_optimizer_name() gives it.
 * @param[out] kind  receives the optimizer; untouched on failure.
 * @param[in]  name  "adam", ...
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or an unknown name.
 */
MLP_API mlp_status mlp_optimizer_from_name(mlp_optimizer_kind *kind, const char *name);

/**
 * Name of a learning-rate schedule.
 * @param schedule  any value.
 * @return "constant", "step", "exponential", "cosine", "plateau", or NULL for an unknown value.
 */
MLP_API const char *mlp_schedule_name(mlp_schedule schedule);

/**
 * Look a schedule up by the name mlp_schedule_name() gives it.
 * @param[out] schedule  receives the schedule; untouched on failure.
 * @param[in]  name      "cosine", ...
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or an unknown name.
 */
MLP_API mlp_status mlp_schedule_from_name(mlp_schedule *schedule, const char *name);

/**
 * A trainer: one network, one loss, one optimizer, with everything a training
 * step needs (workspace, gradient block, optimizer state in blocks the size of
 * the parameters) allocated ahead, for batches of up to its capacity.
 * The trainer borrows the network: keep it alive and do not free it first.
 */
typedef struct mlp_trainer mlp_trainer;

/**
 * Create a trainer.
 * @param[out] trainer    receives the trainer (NULL on failure); free with mlp_trainer_free().
 * @param      net        the network to train, borrowed.
 * @param      loss       the loss; it must fit the output layer (see ::mlp_loss).
 * @param[in]  optimizer  the settings, copied.
 * @param      max_batch  the batch capacity, 1 to INT_MAX rows: mlp_trainer_step() takes
 *                        batches up to it; mlp_trainer_fit() grows it when its batches
 *                        are larger (see mlp_trainer_reserve()).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad settings or struct_size, a loss
 *         that does not fit the output layer, max_batch == 0), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_trainer_create(mlp_trainer **trainer, mlp_net *net, mlp_loss loss,
                                      const mlp_optimizer *optimizer, size_t max_batch);

/**
 * Free a trainer (not its network).
 * @param trainer  the trainer; NULL is accepted.
 */
MLP_API void mlp_trainer_free(mlp_trainer *trainer);

/**
 * Grow the trainer's batch capacity to at least `max_batch` rows (it never shrinks).
 * Allocates; the optimizer's state is kept.
 * @param trainer    the trainer.
 * @param max_batch  1 to INT_MAX rows.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM (the trainer keeps its capacity).
 */
MLP_API mlp_status mlp_trainer_reserve(mlp_trainer *trainer, size_t max_batch);

/**
 * The trainer's batch capacity.
 * @param trainer  the trainer.
 * @return rows; 0 for NULL.
 */
MLP_API size_t mlp_trainer_max_batch(const mlp_trainer *trainer);

/**
 * The network a trainer trains.
 * @param trainer  the trainer.
 * @return the borrowed network; NULL for NULL.
 */
MLP_API mlp_net *mlp_trainer_net(const mlp_trainer *trainer);

/**
 * Epochs completed by mlp_trainer_fit() with this trainer, over every call (and
 * before its checkpoint was saved, for a loaded trainer).
 * @param trainer  the trainer.
 * @return the count; 0 for NULL.
 */
MLP_API size_t mlp_trainer_epochs(const mlp_trainer *trainer);

/**
 * Copy out the trainer's optimizer settings (the base learning rate included).
 * @param      trainer    the trainer.
 * @param[out] optimizer  its struct_size must be set (mlp_optimizer_init()).
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, bad struct_size).
 */
MLP_API mlp_status mlp_trainer_get_optimizer(const mlp_trainer *trainer, mlp_optimizer *optimizer);

/**
 * Change the optimizer's settings between steps, keeping its state (momenta,
 * Adam's moments and step count, iRPROP- step sizes, the plateau schedule's
 * count of cuts): a new learning rate, momentum, weight decay or schedule.
 * @param     trainer    the trainer.
 * @param[in] optimizer  the new settings, of the same kind as the trainer's.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad settings or struct_size, another
 *         kind: create a new trainer for that); on failure nothing changes.
 */
MLP_API mlp_status mlp_trainer_set_optimizer(mlp_trainer *trainer, const mlp_optimizer *optimizer);

/**
 * Set the base learning rate, keeping the optimizer's state. With a schedule,
 * the schedule scales this rate from the next epoch on.
 * @param trainer        the trainer.
 * @param learning_rate  finite, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a bad rate, iRPROP-, which has none).
 */
MLP_API mlp_status mlp_trainer_set_learning_rate(mlp_trainer *trainer, double learning_rate);

/**
 * The learning rate the next step uses: the base rate as the schedule scales it
 * for the trainer's current epoch.
 * @param trainer  the trainer.
 * @return the rate; NaN for NULL; 0 for iRPROP-.
 */
MLP_API double mlp_trainer_learning_rate(const mlp_trainer *trainer);

/**
 * One training step on a batch: forward, backward, optimizer update. Allocates
 * nothing. After ::MLP_OK every parameter and every value of the optimizer's state
 * is finite (and in its range: Adam's second moments >= 0, iRPROP- step sizes in
 * [delta_min, delta_max]). When the loss, the gradient or the update would not be
 * finite, nothing is changed — weights, state, step count — and ::MLP_ERR_NUMERIC
 * is returned. The update is computed aside and checked before it replaces anything;
 * plain SGD, whose update is fused into a dgemm, proves it cannot overflow from the
 * magnitudes of its factors, or copies the weights aside and checks after.
 * For ::MLP_OPT_LBFGS and ::MLP_OPT_LM a step is one iteration of the method on the
 * batch, line search or damping trials included: it may evaluate the loss several
 * times, and when no step lowers the objective it leaves the weights as they were
 * and returns ::MLP_OK (mlp_trainer_fit() then ends with ::MLP_STOP_CONVERGED).
 * @param      trainer     the trainer.
 * @param[out] loss_value  the batch's mean loss before the update (may be NULL).
 * @param[in]  batch       1 to mlp_trainer_max_batch() rows.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad struct_size), ::MLP_ERR_SHAPE (a
 *         batch larger than the capacity: the detail names both numbers),
 *         ::MLP_ERR_NUMERIC.
 */
MLP_API mlp_status mlp_trainer_step(mlp_trainer *trainer, double *loss_value,
                                    const mlp_dataset *batch);

/**
 * Clear the optimizer's state (momenta, Adam moments and step count, RPROP steps,
 * the L-BFGS history, LM's damping, the plateau schedule's cuts).
 * @param trainer  the trainer; NULL is accepted.
 */
MLP_API void mlp_trainer_reset(mlp_trainer *trainer);

/**
 * What the per-epoch callback receives. The library sets struct_size to its own
 * size: read fields newer than your oldest supported libmlp through ::MLP_HAS_FIELD.
 */
typedef struct mlp_epoch_report {
    /** the library's sizeof(mlp_epoch_report) */
    size_t struct_size;
    /** 1-based, within this fit */
    size_t epoch;
    /** mean training loss over the epoch's batches */
    double loss;
    /** loss on the validation rows after the epoch; NaN when there are none */
    double val_loss;
    /** accuracy for cross-entropy losses, mean absolute error for MSE: on each training
     *  batch's predictions before its update, weighted by rows (as Keras reports it) */
    double metric;
    /** the same on the validation rows after the epoch; NaN without them */
    double val_metric;
    /** the learning rate the epoch's steps used */
    double learning_rate;
} mlp_epoch_report;

/** Called after every epoch with its report and the options' user_data; return nonzero to stop. */
typedef int (*mlp_epoch_callback)(const mlp_epoch_report *report, void *user_data);

/**
 * A reduction across processes, the hook through which mlp_trainer_fit() trains one
 * model on several processes (data parallelism) without libmlp itself knowing the
 * transport: libmlp-mpi (mlp_mpi.h) fills one over MPI; anything that can sum arrays
 * of doubles across processes can fill another (since 1.4).
 *
 * Every process runs the same fit on the same network, settings and weights and
 * computes one shard of every batch (mlp_fit_options::shards says how batches are
 * cut); the reducer sums the shards' gradients, and every process applies the same
 * update. What makes the result independent of timing and of the transport is
 * allreduce's contract: each value must become the sum over the shards added in
 * shard order, ((v_0 + v_1) + v_2) + ..., on every process — the additions a single
 * process makes with the same number of shards (see mlp_fit_options::shards).
 * A plain `MPI_Allreduce(MPI_SUM)` does not promise that order; mlp_mpi.h says what
 * its fixed-order reduction costs against it.
 *
 * The fit calls allreduce collectively: every process makes the same calls with the
 * same n, decided only from values every process holds (reduced values, the options,
 * the shape), so a failure on one process — bad settings, a non-finite loss — becomes
 * the same decision everywhere and no process is left waiting in a call the others
 * never make. The first call of every fit compares the processes' networks, settings,
 * weights, data and row counts (see mlp_trainer_fit()).
 */
typedef struct mlp_reducer {
    /** sizeof(mlp_reducer) as the caller's header declares it */
    size_t struct_size;
    /** the processes, each computing one shard: 1 to 65536 */
    size_t shards;
    /** this process's shard, 0 to shards - 1; the fit's callback runs on shard 0 only */
    size_t shard;
    /** replace values[0 .. n) by their sum over the processes, added in shard order (see
     *  above); return ::MLP_OK, or a status (the fit ends with it, and the transport must
     *  then fail the other processes' calls too) */
    mlp_status (*allreduce)(double *values, size_t n, void *user_data);
    /** passed to allreduce */
    void *user_data;
    /** > 0: every this many steps, check that the weights are the same bits on every
     *  process (one more allreduce of `shards` values); 0: never */
    size_t verify_every;
    /** optional, with `wait` (NULL: each step's gradient goes to allreduce whole, after
     *  the backward pass): start summing values[0 .. n), one bucket of the gradient block,
     *  and return without waiting for it, so that the transport adds it while the
     *  backward pass computes the layers before it. Buckets come last layer first, the
     *  same buckets on every process; each value must end as allreduce's would */
    mlp_status (*start)(double *values, size_t n, void *user_data);
    /** wait until every bucket started is summed; its status, or a start's failure */
    mlp_status (*wait)(void *user_data);
    /** with start: a bucket holds whole layers, at least this many values (the last
     *  layers' first; the rest when the first layer is done); 0: one bucket per layer */
    size_t bucket_values;
} mlp_reducer;

/** Options of mlp_trainer_fit(). Fill with mlp_fit_options_init(). */
typedef struct mlp_fit_options {
    /** sizeof(mlp_fit_options), set by mlp_fit_options_init() */
    size_t struct_size;
    /** > 0; default 10 */
    size_t epochs;
    /** rows per step; 0 = all training rows (full batch); default ::MLP_BATCH_AUTO: 32
     *  rows for the first-order methods, all rows for the full-batch ones (iRPROP-,
     *  L-BFGS, Levenberg–Marquardt), which refuse any other size but 0 */
    size_t batch_size;
    /** nonzero: reorder the rows every epoch from `seed` (L-BFGS and LM, which take
     *  all rows in each iteration, keep their order); default 1 */
    int shuffle;
    /** for shuffling; the same seed gives bit-identical weights; default 0 */
    unsigned long long seed;
    /** validation rows, or NULL (default) */
    const mlp_dataset *validation;
    /** in [0, 1): without `validation`, hold out this fraction of the rows, drawn from
     *  `seed` (stratified by class for the cross-entropy losses: each class gives its
     *  share, as mlp_split() draws); default 0. For rows in time order, pass the later
     *  ones as `validation` instead. (With a dataset of a program built against libmlp 1.4
     *  or older: the last rows, as then.) */
    double validation_fraction;
    /** 0 (default): no early stopping; else stop after this many epochs without
     *  improvement of the monitored loss (validation loss, or training loss without
     *  validation rows), and end with the best epoch's weights */
    size_t patience;
    /** an improvement must exceed this, >= 0; default 0 */
    double min_delta;
    /** divergence guard: an epoch after which a parameter's magnitude exceeds this ends
     *  the fit as a non-finite loss does; > 0, default 1e8; INFINITY turns it off */
    double max_abs_weight;
    /** called after every epoch; may be NULL (default) */
    mlp_epoch_callback callback;
    /** passed to the callback */
    void *user_data;
    /** data parallelism (since 1.4): cut every batch into this many shards, take each
     *  shard's gradient (its rows' summed loss divided by the batch's rows) on its own and
     *  add the shards' gradients in shard order before the update. 0 or 1: no cut, the
     *  plain fit; with a reducer, 0 means reducer->shards and any other value must equal
     *  it. In one process the result is the bits a run on that many processes gives;
     *  it agrees with the plain fit to rounding (about 1e-15 relative per step). The
     *  first-order optimizers only (not L-BFGS or LM); a batch must hold at least as
     *  many rows as there are shards. */
    size_t shards;
    /** with shards (since 1.4): 0 (default): every shard sees the same training rows;
     *  each epoch's order is the plain fit's, and shard s computes the s-th of `shards`
     *  contiguous pieces of each batch (n / shards rows, one more for the first n %
     *  shards); validation rows are cut the same way. Nonzero: each shard holds rows of
     *  its own — with a reducer, the rows this process passes; in one process, the s-th
     *  of `shards` contiguous blocks of the rows passed (cut as above) — shuffled within
     *  the shard; a batch takes the next batch_size / shards rows (cut as above) of every
     *  shard, a shard that has run out giving none, until every shard has run out; a
     *  validation_fraction holds out rows of each shard, drawn as a plain fit draws them
     *  from the whole set (the last rows, for a 1.4 program's dataset), a validation set
     *  is cut (or, with a reducer, each process passes its own). */
    int shard_local;
    /** NULL (default), or the reducer over processes (since 1.4): this process computes
     *  shard reducer->shard, the reducer adds the shards */
    const mlp_reducer *reducer;
} mlp_fit_options;

/** mlp_fit_options::batch_size: the method's own batch (32 rows, or all rows for the
 *  full-batch methods); the default (since 1.5). */
#define MLP_BATCH_AUTO ((size_t)-1)

/**
 * Set fit options' struct_size and defaults: 10 epochs, ::MLP_BATCH_AUTO batches (32
 * rows; all rows for the full-batch methods), shuffling from seed 0, no validation, no
 * early stopping, max_abs_weight 1e8, no callback.
 * @param[out] options      the options to fill.
 * @param      struct_size  sizeof(mlp_fit_options) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_fit_options_init(mlp_fit_options *options, size_t struct_size);

/** Why mlp_trainer_fit() ended. Values are stable. */
typedef enum mlp_stop_reason {
    MLP_STOP_EPOCHS = 0,   /**< every epoch ran */
    MLP_STOP_PATIENCE = 1, /**< early stopping: patience ran out */
    MLP_STOP_CALLBACK = 2, /**< the callback asked to stop */
    MLP_STOP_NUMERIC = 3,  /**< a loss or gradient stopped being finite (::MLP_ERR_NUMERIC) */
    MLP_STOP_DIVERGED = 4, /**< a parameter's magnitude passed max_abs_weight (::MLP_ERR_NUMERIC) */
    MLP_STOP_CONVERGED = 5 /**< the optimizer's tolerances were met (L-BFGS, LM; since 1.1) */
} mlp_stop_reason;

/** What mlp_trainer_fit() did. Fill struct_size with mlp_fit_result_init() before the call. */
typedef struct mlp_fit_result {
    /** sizeof(mlp_fit_result), set by mlp_fit_result_init() */
    size_t struct_size;
    /** epochs completed (their losses finite and weights in bounds) */
    size_t epochs_run;
    /** 1-based epoch of the lowest monitored loss; 0 if none completed */
    size_t best_epoch;
    /** that loss; INFINITY if none completed */
    double best_loss;
    /** why the fit ended */
    mlp_stop_reason stop;
    /** epochs_run training losses, owned by the trainer: valid until its next fit or free */
    const double *loss;
    /** epochs_run validation losses, or NULL without validation rows */
    const double *val_loss;
    /** epochs_run training metrics (see ::mlp_epoch_report) */
    const double *metric;
    /** epochs_run validation metrics, or NULL without validation rows */
    const double *val_metric;
    /** epochs_run learning rates, one per epoch */
    const double *learning_rate;
} mlp_fit_result;

/**
 * Set a fit result's struct_size and empty it.
 * @param[out] result       the result to fill.
 * @param      struct_size  sizeof(mlp_fit_result) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_fit_result_init(mlp_fit_result *result, size_t struct_size);

/**
 * Train for up to options->epochs epochs of mini-batches. Buffers are allocated
 * once at the start (and the trainer's capacity grown to the batch size); the
 * steps allocate nothing.
 *
 * How the weights end, one rule: with patience set, the network ends with the
 * weights of the epoch with the best monitored loss, however the fit ends
 * (patience, all epochs, the callback, or a loss that stopped being finite); if no
 * epoch completed, with the weights it started with. Without patience it ends
 * with the weights of the last epoch completed, which for a fit ended by a
 * non-finite loss or a diverged weight is the last epoch that was finite and in
 * bounds. The optimizer's state is left as it was when the fit ended.
 *
 * @param      trainer  the trainer.
 * @param[out] result   may be NULL; else its struct_size must be set (mlp_fit_result_init()).
 *                      Filled on ::MLP_OK and on a fit ended by ::MLP_ERR_NUMERIC.
 * @param[in]  train    the training rows.
 * @param[in]  options  may be NULL for the defaults (mlp_fit_options_init()).
 * With a reducer (mlp_fit_options::reducer) the call is collective: every process
 * returns the same status. Its first reduction compares the processes' networks
 * (::MLP_ERR_SHAPE when they differ), settings, weights and optimizer state, and rows
 * (::MLP_ERR_INVALID_ARG); a process that refuses the fit for its own reasons makes
 * every process return that status; a reducer's failure ends the fit with the
 * reducer's status and the weights of the last completed epoch.
 *
 * @return ::MLP_OK; ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE, ::MLP_ERR_NOMEM for bad
 *         input (nothing changed; iRPROP- with batches smaller than the training rows
 *         is refused); ::MLP_ERR_NUMERIC when the data hold NaN or infinity (nothing
 *         changed) or training stopped for ::MLP_STOP_NUMERIC or ::MLP_STOP_DIVERGED.
 */
MLP_API mlp_status mlp_trainer_fit(mlp_trainer *trainer, mlp_fit_result *result,
                                   const mlp_dataset *train, const mlp_fit_options *options);

/** @} */

/**
 * @defgroup libmlp_linreg Least squares
 * The exact answer gradient descent on a linear model should reach.
 * @{
 */

/**
 * Ordinary least squares through LAPACKE_dgels: minimizes
 * Σ_i (y_i - x_i · coef - intercept)², or without intercept when `intercept` is NULL.
 * @param[out] coef       d values.
 * @param[out] intercept  may be NULL to fit without an intercept.
 * @param[in]  x          (n, d) row-major.
 * @param[in]  y          n values.
 * @param      n          rows: at least d (+1 with an intercept).
 * @param      d          columns, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE (too few rows), ::MLP_ERR_NOMEM,
 *         ::MLP_ERR_NUMERIC (NaN in the data, or X is rank-deficient: the reciprocal
 *         condition number of its R factor is below (columns) * DBL_EPSILON).
 */
MLP_API mlp_status mlp_linreg(double *coef, double *intercept, const double *x, const double *y,
                              size_t n, size_t d);

/** @} */

/**
 * @defgroup libmlp_classify Classification helpers
 * One-hot targets, predicted classes, accuracy.
 * @{
 */

/**
 * One-hot rows: out gets 1 at column labels[i] of row i, 0 elsewhere.
 * @param[out] out     (n, k) row-major; untouched on failure.
 * @param[in]  labels  n class indices, each below k.
 * @param      n       rows, > 0.
 * @param      k       classes, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero sizes, a label >= k).
 */
MLP_API mlp_status mlp_onehot(double *out, const size_t *labels, size_t n, size_t k);

/**
 * Index of the largest value of each row; the first one on ties.
 * @param[out] labels  n indices.
 * @param[in]  scores  (n, k) row-major.
 * @param      n       rows, > 0.
 * @param      k       columns, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero sizes).
 */
MLP_API mlp_status mlp_argmax(size_t *labels, const double *scores, size_t n, size_t k);

/**
 * Fraction of rows classified right. With k == 1 (binary): pred >= 0.5 against
 * target >= 0.5. With k > 1: argmax of pred against argmax of target (one-hot).
 * @param[out] accuracy  in [0, 1].
 * @param[in]  pred      (n, k) predictions.
 * @param[in]  target    (n, k) targets.
 * @param      n         rows, > 0.
 * @param      k         columns, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, zero sizes).
 */
MLP_API mlp_status mlp_accuracy(double *accuracy, const double *pred, const double *target,
                                size_t n, size_t k);

/** @} */

/**
 * @defgroup libmlp_models Provenance, save and load
 * Models that survive: where a network came from, atomic saves, validated loads,
 * training checkpoints.
 * @{
 */

/** Where a network came from. Kept with the network, saved and loaded with it. */
typedef struct mlp_provenance {
    /** sizeof(mlp_provenance), set by mlp_provenance_init() */
    size_t struct_size;
    /** libmlp version that created the network or wrote its file */
    char library_version[16];
    /** nonzero once mlp_trainer_fit() has completed an epoch on it */
    int trained;
    /** loss of the last training */
    mlp_loss loss;
    /** shuffling seed of the last training */
    unsigned long long seed;
    /** rows per step of the last training */
    size_t batch_size;
    /** epochs completed over every training; also the length of mlp_net_loss_history() */
    size_t epochs;
    /** the epoch whose weights the network holds, 1 to epochs: the best of the last fit
     *  with early stopping, else its last completed; 0 for a network never trained or
     *  read from a file older than 1.5 (since 1.5) */
    size_t kept_epoch;
} mlp_provenance;

/**
 * Set a provenance's struct_size and empty it.
 * @param[out] info         the struct to fill.
 * @param      struct_size  sizeof(mlp_provenance) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_provenance_init(mlp_provenance *info, size_t struct_size);

/**
 * Copy out a network's provenance and the optimizer settings of its last training.
 * @param      net        the network.
 * @param[out] info       its struct_size must be set (mlp_provenance_init()).
 * @param[out] optimizer  may be NULL; else its struct_size must be set
 *                        (mlp_optimizer_init()): the settings of the last training
 *                        (all zero but struct_size for a network never trained).
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, bad struct_size).
 */
MLP_API mlp_status mlp_net_provenance(const mlp_net *net, mlp_provenance *info,
                                      mlp_optimizer *optimizer);

/**
 * The per-epoch training loss of every epoch the network was trained for, oldest first.
 * @param      net      the network.
 * @param[out] history  receives `*n` values owned by the network, valid until it is
 *                      trained again or freed (NULL when *n is 0).
 * @param[out] n        receives the epoch count.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL).
 */
MLP_API mlp_status mlp_net_loss_history(const mlp_net *net, const double **history, size_t *n);

/**
 * The per-epoch validation loss of every epoch the network was trained for, oldest
 * first: NaN for an epoch without validation rows (since 1.5; a network read from an
 * older file has NaN for every epoch).
 * @param      net      the network.
 * @param[out] history  receives `*n` values owned by the network, valid until it is
 *                      trained again or freed (NULL when *n is 0).
 * @param[out] n        receives the epoch count, as mlp_net_loss_history() gives it.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL).
 */
MLP_API mlp_status mlp_net_val_loss_history(const mlp_net *net, const double **history,
                                            size_t *n);

/**
 * Save a network (layers, parameters, provenance and loss history) to `path`,
 * atomically: the bytes go to a new temporary file in the same directory, which
 * is flushed, fsync'ed and renamed over `path`. A failure at any point leaves a
 * previous file at `path` as it was. The format is described in README.md.
 * @param net   the network.
 * @param path  the file to write.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM, ::MLP_ERR_IO (the detail
 *         names the system error), ::MLP_ERR_NUMERIC (a NaN or infinite parameter: no
 *         file that could not be loaded again is written).
 */
MLP_API mlp_status mlp_net_save(const mlp_net *net, const char *path);

/**
 * Serialize a network into memory.
 * @param      net       the network.
 * @param[out] buf       capacity bytes, or NULL to compute the size only.
 * @param      capacity  bytes available at buf.
 * @param[out] size      receives the bytes needed.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE (capacity too small; nothing
 *         written), ::MLP_ERR_NUMERIC (a NaN or infinite parameter).
 */
MLP_API mlp_status mlp_net_save_buffer(const mlp_net *net, void *buf, size_t capacity,
                                       size_t *size);

/**
 * Load a network saved by mlp_net_save() (or the network of a training
 * checkpoint), by this or any earlier libmlp. Every field is validated and every
 * size checked for overflow before anything is allocated.
 * @param[out] net   receives the network (NULL on failure).
 * @param      path  the file to read.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_IO, ::MLP_ERR_NOMEM, ::MLP_ERR_FORMAT
 *         (not a libmlp file, a version this library cannot read, truncated,
 *         corrupted, checksum mismatch, impossible sizes; the detail says which).
 */
MLP_API mlp_status mlp_net_load(mlp_net **net, const char *path);

/**
 * Load a network from memory; as mlp_net_load().
 * @param[out] net   receives the network (NULL on failure).
 * @param[in]  buf   size bytes.
 * @param      size  bytes at buf.
 * @return as mlp_net_load().
 */
MLP_API mlp_status mlp_net_load_buffer(mlp_net **net, const void *buf, size_t size);

/**
 * Save a training checkpoint: the trainer's network, loss, optimizer settings and
 * state, schedule state, step and epoch counters, atomically as mlp_net_save().
 * Training resumed from it with mlp_trainer_fit() gives, bit for bit, the weights
 * an uninterrupted run gives (early stopping's bookkeeping excepted: it restarts
 * with each fit).
 * @param trainer  the trainer.
 * @param path     the file to write.
 * @return as mlp_net_save().
 */
MLP_API mlp_status mlp_trainer_save(const mlp_trainer *trainer, const char *path);

/**
 * Load a training checkpoint: a new network and a new trainer that borrows it.
 * Free the trainer, then the network.
 * @param[out] trainer    receives the trainer (NULL on failure).
 * @param[out] net        receives the network (NULL on failure).
 * @param      path       the file to read.
 * @param      max_batch  the trainer's capacity: the caller's choice, not the file's,
 *                        so that no file decides how much memory is allocated.
 * @return as mlp_net_load(); a network file (no trainer state) gives ::MLP_ERR_FORMAT;
 *         max_batch == 0 gives ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_trainer_load(mlp_trainer **trainer, mlp_net **net, const char *path,
                                    size_t max_batch);

/**
 * Load a training checkpoint from memory; as mlp_trainer_load().
 * @param[out] trainer    receives the trainer (NULL on failure).
 * @param[out] net        receives the network (NULL on failure).
 * @param[in]  buf        size bytes.
 * @param      size       bytes at buf.
 * @param      max_batch  the trainer's capacity.
 * @return as mlp_trainer_load().
 */
MLP_API mlp_status mlp_trainer_load_buffer(mlp_trainer **trainer, mlp_net **net,
                                           const void *buf, size_t size, size_t max_batch);

/** @} */

/**
 * @defgroup libmlp_machine What the library runs on
 * The CBLAS provider, its kernel and threads, and the CPU.
 * @{
 */

/** The CBLAS provider and machine libmlp runs on, for reports and diagnosis. */
typedef struct mlp_blas_info {
    /** sizeof(mlp_blas_info), set by mlp_blas_info_init() */
    size_t struct_size;
    /** the BLAS's thread count; -1 when it does not say */
    int threads;
    /** the CBLAS provider libmlp was built with ("openblas", "blis", ...) */
    char provider[32];
    /** its version, when it says ("0.3.21"); else "" */
    char version[32];
    /** OpenBLAS's kernel (openblas_get_corename(), "Haswell"); else "" */
    char kernel[32];
    /** the best OpenBLAS kernel this CPU can run ("SkylakeX", "Zen") */
    char best_kernel[32];
    /** what runs tanh, sigmoid, exp: "glibc libmvec, AVX2, 4 lanes" */
    char vector_math[48];
    /** the CPU's model name */
    char cpu[100];
    /** "" when all is well; else what to change, for instance when OpenBLAS runs SSE3
     *  kernels on a CPU with AVX-512 */
    char advice[256];
} mlp_blas_info;

/**
 * Set a BLAS info's struct_size and empty it.
 * @param[out] info         the struct to fill.
 * @param      struct_size  sizeof(mlp_blas_info) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_blas_info_init(mlp_blas_info *info, size_t struct_size);

/**
 * Describe the CBLAS provider and the machine. Reads /proc/cpuinfo for the CPU's name.
 * @param[out] info  its struct_size must be set (mlp_blas_info_init()).
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_blas_get_info(mlp_blas_info *info);

/** The most threads libmlp runs its own passes on (mlp_set_num_threads()). */
#define MLP_MAX_THREADS 512

/**
 * Set how many threads run libmlp's own passes: the bias and activation after each
 * dgemm, the activations' derivatives, the bias gradients and the optimizers'
 * updates. The dgemm calls themselves run on the BLAS's threads, which the BLAS
 * sets (OPENBLAS_NUM_THREADS, openblas_set_num_threads()).
 *
 * Results never depend on the count: every value is computed from the same inputs
 * in the same order on 1 thread or 64, so predictions, gradients and trained
 * weights are identical to the bit.
 *
 * The setting is the process's (like the BLAS's own), read at every call that
 * runs a pass; the threads are created on first use and kept, and a call made
 * while another thread of the program is using them runs on its calling thread
 * alone. Small batches run on the calling thread whatever the count: below a few
 * thousand values a pass costs less than waking a thread.
 *
 * @param n  1 to ::MLP_MAX_THREADS; 0 for the default: the environment variable
 *           MLP_NUM_THREADS when it holds a positive number (read once), else the
 *           BLAS's thread count when it says (OpenBLAS), else 1.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG when n is out of range.
 */
MLP_API mlp_status mlp_set_num_threads(int n);

/**
 * The thread count libmlp's own passes run on now: what mlp_set_num_threads() set,
 * or its default.
 * @return 1 to ::MLP_MAX_THREADS.
 */
MLP_API int mlp_get_num_threads(void);

/** @} */

/**
 * @defgroup libmlp_data Data files (since 1.2)
 * Tables read from CSV files: inputs and targets as row-major matrices of doubles,
 * with the columns' names and, for classification, the class labels.
 * @{
 */

/** What the target column holds. */
typedef enum mlp_task {
    MLP_TASK_AUTO = 0,           /**< decide from the target column: text, or integers with
                                      at most 20 distinct values, are classes; other
                                      numbers, or several target columns, are regression */
    MLP_TASK_REGRESSION = 1,     /**< numbers */
    MLP_TASK_CLASSIFICATION = 2  /**< one column of class labels (any text) */
} mlp_task;

/** mlp_csv_options::header: find out from the first record (since 1.5). */
#define MLP_CSV_HEADER_DETECT (-1)

/** How mlp_table_read_csv() reads a file. Fill with mlp_csv_options_init(). */
typedef struct mlp_csv_options {
    /** sizeof(mlp_csv_options), set by mlp_csv_options_init() */
    size_t struct_size;
    /** 1: the first record names the columns; 0: there is no header and the columns are
     *  named by their 1-based numbers ("1", "2", ...); ::MLP_CSV_HEADER_DETECT (the
     *  default since 1.5; 1 before): detected from the first record — a header when it
     *  holds a name the options ask for (target, inputs), else data when it holds a
     *  number, else a header; a record whose numbers count 0, 1, 2, ... (or 1, 2, 3, ...)
     *  as pandas names unnamed columns is refused with ::MLP_ERR_FORMAT, asking which */
    int header;
    /** the field separator; default ',' */
    char delimiter;
    /** the target columns, comma-separated names; NULL (default): the last column;
     *  "": none (a file to predict) */
    const char *target;
    /** the input columns, comma-separated names, in the order the network takes them;
     *  NULL (default): every column that is not a target, in file order */
    const char *inputs;
    /** default ::MLP_TASK_AUTO */
    mlp_task task;
    /** with ::MLP_TASK_CLASSIFICATION: the class labels and their order (a model's,
     *  from mlp_net_class_name()); a target outside them is an error. NULL (default):
     *  the labels found, sorted in an order no locale changes: by value when every
     *  label is a number (numbers read as in the C locale; equal values written
     *  differently, "1" and "1.0", by their bytes), else by their bytes (strcmp:
     *  "Zebra" before "apple") */
    const char *const *classes;
    /** the number of `classes` */
    size_t n_classes;
    /** the input columns as an array of names (for names with commas in them, a
     *  model's mlp_net_input_name()); with n_input_names > 0 it replaces `inputs` */
    const char *const *input_names;
    /** the number of `input_names` */
    size_t n_input_names;
    /** the target columns as an array of names; with n_target_names > 0 it replaces
     *  `target` */
    const char *const *target_names;
    /** the number of `target_names` */
    size_t n_target_names;
} mlp_csv_options;

/** A table read from a file: rows of inputs and targets. */
typedef struct mlp_table mlp_table;

/**
 * Set CSV options' struct_size and defaults: the header detected
 * (::MLP_CSV_HEADER_DETECT), ',' between fields, the last column the target, every
 * other column an input, the task decided from the target column.
 * @param[out] options      the options to fill.
 * @param      struct_size  sizeof(mlp_csv_options) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_csv_options_init(mlp_csv_options *options, size_t struct_size);

/**
 * Read a CSV file (RFC 4180: quoted fields with embedded separators, quotes and
 * newlines; LF or CRLF line ends; a UTF-8 byte order mark) into a table, streaming:
 * memory is the parsed numbers. Numbers are read in the "C" locale whatever the
 * process's LC_NUMERIC. Blank lines are skipped. A record with another number of
 * fields than the first, a missing or non-numeric input, a value that is not finite,
 * a field over 64 KiB, a label or name that is not UTF-8, an unclosed quote, an empty
 * file or one with no data rows: ::MLP_ERR_FORMAT with the line and column in
 * mlp_error_detail(); nothing is returned.
 * @param[out] table    receives the table (mlp_table_free()); NULL on failure.
 * @param[in]  path     the file.
 * @param[in]  options  see ::mlp_csv_options.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad options, a column named in the
 *         options that the file lacks), ::MLP_ERR_IO, ::MLP_ERR_FORMAT, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_table_read_csv(mlp_table **table, const char *path,
                                      const mlp_csv_options *options);

/**
 * mlp_table_read_csv() from an open stream, read to its end (not closed).
 * @param[out] table    receives the table.
 * @param[in]  file     the stream.
 * @param[in]  name     what messages call it (NULL: "(stream)").
 * @param[in]  options  see ::mlp_csv_options.
 * @return as mlp_table_read_csv().
 */
MLP_API mlp_status mlp_table_read_csv_file(mlp_table **table, FILE *file, const char *name,
                                           const mlp_csv_options *options);

/** A CSV file read a block of rows at a time (files larger than memory). */
typedef struct mlp_csv_stream mlp_csv_stream;

/**
 * Open a CSV file to read in blocks of rows with mlp_csv_stream_read(). The options
 * are mlp_table_read_csv()'s, except that the task cannot wait for the whole file:
 * a stream has no target (target ""), or numeric targets (::MLP_TASK_REGRESSION), or
 * a given class list.
 * @param[out] stream   receives the stream (mlp_csv_stream_close()).
 * @param[in]  path     the file.
 * @param[in]  options  see ::mlp_csv_options.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_IO, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_csv_stream_open(mlp_csv_stream **stream, const char *path,
                                       const mlp_csv_options *options);

/**
 * mlp_csv_stream_open() on an open stream (not closed by mlp_csv_stream_close()).
 * @param[out] stream   receives the stream.
 * @param[in]  file     the input.
 * @param[in]  name     what messages call it (NULL: "(stream)").
 * @param[in]  options  see mlp_csv_stream_open().
 * @return as mlp_csv_stream_open().
 */
MLP_API mlp_status mlp_csv_stream_open_file(mlp_csv_stream **stream, FILE *file,
                                            const char *name, const mlp_csv_options *options);

/**
 * The next block of at most max_rows rows, as a table of its own; NULL (and ::MLP_OK)
 * at the end of the file. Errors are mlp_table_read_csv()'s, with the line of the
 * file; after one, every later call fails the same way.
 * @param      stream    the stream.
 * @param[out] table     receives the block (mlp_table_free()), or NULL at the end.
 * @param      max_rows  > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_FORMAT, ::MLP_ERR_IO, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_csv_stream_read(mlp_csv_stream *stream, mlp_table **table,
                                       size_t max_rows);

/** Close a stream (and the file mlp_csv_stream_open() opened); NULL is accepted.
 *  @param stream the stream. */
MLP_API void mlp_csv_stream_close(mlp_csv_stream *stream);

/** Free a table; NULL is accepted. @param table the table. */
MLP_API void mlp_table_free(mlp_table *table);

/** @param table a table (NULL gives 0). @return its rows. */
MLP_API size_t mlp_table_rows(const mlp_table *table);

/** @param table a table (NULL gives 0). @return its input columns. */
MLP_API size_t mlp_table_n_inputs(const mlp_table *table);

/** @param table a table (NULL gives 0). @return its target columns (1 for classes). */
MLP_API size_t mlp_table_n_targets(const mlp_table *table);

/** @param table a table. @return the inputs, (rows, n_inputs) row-major; valid until
 *  mlp_table_free(). */
MLP_API const double *mlp_table_inputs(const mlp_table *table);

/** @param table a table. @return the targets, (rows, n_targets) row-major: numbers,
 *  or for classification the class index of each row (0 to n_classes - 1); NULL
 *  without targets. */
MLP_API const double *mlp_table_targets(const mlp_table *table);

/** @param table a table. @param i an input column. @return its name, or NULL. */
MLP_API const char *mlp_table_input_name(const mlp_table *table, size_t i);

/** @param table a table. @param i a target column. @return its name, or NULL. */
MLP_API const char *mlp_table_target_name(const mlp_table *table, size_t i);

/**
 * The table's rows as a dataset, in one call: its inputs, its targets (for a table of
 * classes, the class indices with their count: a dataset of classes), its shape. The
 * dataset points into the table: keep the table until the dataset is no longer used
 * (since 1.5).
 * @param[out] data         the dataset to fill.
 * @param      struct_size  sizeof(mlp_dataset) as the caller's header declares it.
 * @param[in]  table        the table.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG (NULL, a bad struct_size).
 */
MLP_API mlp_status mlp_table_dataset(mlp_dataset *data, size_t struct_size,
                                     const mlp_table *table);

/** @param table a table. @return 1 when the target holds classes, else 0. */
MLP_API int mlp_table_is_classification(const mlp_table *table);

/** @param table a table. @return its classes (0 for regression). */
MLP_API size_t mlp_table_n_classes(const mlp_table *table);

/** @param table a table. @param k a class index. @return its label, or NULL. */
MLP_API const char *mlp_table_class_name(const mlp_table *table, size_t k);

/** @} */

/**
 * @defgroup libmlp_prep Preprocessing kept in the model (since 1.2)
 * What a model does to raw rows around the network: input scaling fitted on the
 * training rows, target scaling for regressions (predictions come back in the
 * targets' units), the names of the columns it was trained on, and the labels of its
 * classes. All of it is saved with the network and loaded with it.
 * @{
 */

/** How a column is scaled: x' = (x - shift) / scale. */
typedef enum mlp_scaling {
    MLP_SCALE_NONE = 0,     /**< as it is */
    MLP_SCALE_STANDARD = 1, /**< shift the mean, scale the (population) standard deviation */
    MLP_SCALE_MINMAX = 2    /**< shift the minimum, scale the range: the rows fall in [0, 1] */
} mlp_scaling;

/**
 * Fit the input scaling, and the target scaling, on training rows (a column that is
 * constant gets scale 1). Replaces any earlier scaling.
 * @param net      the network (its inputs and outputs give the columns).
 * @param inputs   how to scale the inputs.
 * @param targets  how to scale the targets: ::MLP_SCALE_NONE for classification (a
 *                 softmax output refuses any other).
 * @param[in] train  raw rows; y may be NULL with targets ::MLP_SCALE_NONE.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NUMERIC (a value that is not
 *         finite), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_fit_scaling(mlp_net *net, mlp_scaling inputs, mlp_scaling targets,
                                       const mlp_dataset *train);

/**
 * The scaling in force (identity where none was fitted). Any pointer may be NULL.
 * @param      net        the network.
 * @param[out] in_shift   n_inputs values.
 * @param[out] in_scale   n_inputs values.
 * @param[out] out_shift  n_outputs values.
 * @param[out] out_scale  n_outputs values.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (net NULL).
 */
MLP_API mlp_status mlp_net_get_scaling(const mlp_net *net, double *in_shift, double *in_scale,
                                       double *out_shift, double *out_scale);

/**
 * Scale raw rows as the model does: inputs into x_out, targets into y_out (either may
 * be NULL; either may be the dataset's own array, in place).
 * @param      net    the network.
 * @param[out] x_out  (n, n_inputs), or NULL.
 * @param[out] y_out  (n, n_outputs), or NULL.
 * @param[in]  raw    the rows.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_net_transform(const mlp_net *net, double *x_out, double *y_out,
                                     const mlp_dataset *raw);

/**
 * The same as mlp_net_predict(), under the name it had before 1.5, when
 * mlp_net_predict() did not scale: kept for programs written then.
 * @param      net  the network.
 * @param      ws   a workspace for its shape.
 * @param[out] y    (n, n_outputs).
 * @param[in]  x    (n, n_inputs), as they come.
 * @param      n    1 to the workspace's max_batch.
 * @return as mlp_net_predict().
 */
MLP_API mlp_status mlp_net_predict_raw(const mlp_net *net, mlp_workspace *ws, double *y,
                                       const double *x, size_t n);

/**
 * Name the columns the network reads and predicts (saved with it).
 * @param net           the network.
 * @param input_names   n_inputs names.
 * @param target_names  n_targets names (NULL with 0).
 * @param n_targets     0 to n_outputs: one per output for a regression, 1 for a class
 *                      column.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a name over 64 KiB), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_set_columns(mlp_net *net, const char *const *input_names,
                                       const char *const *target_names, size_t n_targets);

/** @param net a network. @param i an input. @return its column's name, or NULL. */
MLP_API const char *mlp_net_input_name(const mlp_net *net, size_t i);

/** @param net a network. @return the target columns named (0 when none). */
MLP_API size_t mlp_net_n_targets(const mlp_net *net);

/** @param net a network. @param i a target column. @return its name, or NULL. */
MLP_API const char *mlp_net_target_name(const mlp_net *net, size_t i);

/**
 * Label the classes of the network's output (saved with it): one per output node, or
 * two for a single sigmoid node (class 1 when its output is above 0.5).
 * @param net        the network.
 * @param classes    n_classes distinct labels (NULL with 0: none).
 * @param n_classes  see above.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE (a count the output cannot
 *         stand for), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_set_classes(mlp_net *net, const char *const *classes,
                                       size_t n_classes);

/**
 * Name a network's columns and classes as a table names them: its inputs, its targets
 * and, for a table of classes, its class labels (mlp_net_set_columns() and
 * mlp_net_set_classes() in one call; since 1.5).
 * @param net    the network: as many inputs as the table, and outputs for its targets
 *               (a node per class, or one sigmoid node for two).
 * @param table  the table the network learns from.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL), ::MLP_ERR_SHAPE (the table's columns or
 *         classes do not fit the network: the detail names both), ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_set_table_names(mlp_net *net, const mlp_table *table);

/** @param net a network. @return its classes (0: none, or a regression). */
MLP_API size_t mlp_net_n_classes(const mlp_net *net);

/** @param net a network. @param k a class. @return its label, or NULL. */
MLP_API const char *mlp_net_class_name(const mlp_net *net, size_t k);

/** @} */

/**
 * @defgroup libmlp_scores Splitting and scoring (since 1.2)
 * Seeded train/test splits and k folds (stratified by class when given the
 * classes), the confusion matrix, precision, recall and F1 per class, and MSE, MAE and
 * R² as scikit-learn computes them.
 * @{
 */

/**
 * A seeded split of n rows: `order` receives a permutation of 0..n-1 whose first
 * *n_train entries are the training rows and the rest the test rows (about
 * test_fraction of them; at least one of each). With `labels`, stratified: each class
 * gives its share (rounded) to the test rows, keeping at least one to train.
 * @param[out] order          n row indices.
 * @param[out] n_train        the training rows.
 * @param      n              rows, >= 2.
 * @param      test_fraction  in (0, 1).
 * @param[in]  labels         n class indices (whole numbers, as mlp_table_targets()
 *                            gives them for a table of classes), or NULL. A regression's
 *                            targets are no labels: whole numbers among them would pass
 *                            for classes; mlp_dataset_split() cannot mistake them.
 * @param      seed           the same seed gives the same split.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_split(size_t *order, size_t *n_train, size_t n, double test_fraction,
                             const double *labels, unsigned long long seed);

/**
 * mlp_split() of a dataset's rows: stratified by class for a dataset of classes
 * (::MLP_DATASET_CLASSES, a table of classes), plain for any other (since 1.5).
 * @param[out] order          data->n row indices: the training rows, then the test rows.
 * @param[out] n_train        the training rows.
 * @param[in]  data           the rows (its x and y are not read, but for its classes).
 * @param      test_fraction  in (0, 1).
 * @param      seed           the same seed gives the same split.
 * @return as mlp_split(); ::MLP_ERR_INVALID_ARG for a dataset without its shape.
 */
MLP_API mlp_status mlp_dataset_split(size_t *order, size_t *n_train, const mlp_dataset *data,
                                     double test_fraction, unsigned long long seed);

/**
 * Assign n rows to k folds for cross-validation, seeded; with `labels`, each class
 * is dealt across the folds (stratified).
 * @param[out] fold    n fold numbers, 0 to k - 1.
 * @param      n       rows.
 * @param      k       2 to n.
 * @param[in]  labels  n class indices, or NULL.
 * @param      seed    the same seed gives the same folds.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_kfold(size_t *fold, size_t n, size_t k, const double *labels,
                             unsigned long long seed);

/**
 * Copy rows: dst row i = src row rows[i].
 * @param[out] dst   (n, cols).
 * @param[in]  src   the source rows, (any, cols).
 * @param      cols  > 0.
 * @param[in]  rows  n row indices (not checked against src's size).
 * @param      n     rows to copy.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_gather_rows(double *dst, const double *src, size_t cols,
                                   const size_t *rows, size_t n);

/**
 * The confusion matrix: matrix[t * k + p] counts the rows of class t predicted as p.
 * @param[out] matrix     k * k counts.
 * @param[in]  truth      n classes.
 * @param[in]  predicted  n classes (mlp_argmax()).
 * @param      n          > 0.
 * @param      k          classes, > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (a class >= k).
 */
MLP_API mlp_status mlp_confusion(size_t *matrix, const size_t *truth, const size_t *predicted,
                                 size_t n, size_t k);

/**
 * Precision, recall and F1 of each class from a confusion matrix; a ratio with a zero
 * denominator is 0 (scikit-learn's zero_division=0). Any output may be NULL.
 * @param[out] precision  k values.
 * @param[out] recall     k values.
 * @param[out] f1         k values.
 * @param[in]  matrix     from mlp_confusion().
 * @param      k          classes.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_class_scores(double *precision, double *recall, double *f1,
                                    const size_t *matrix, size_t k);

/**
 * Mean squared error, mean absolute error and R² (the mean of each column's
 * 1 - SS_res / SS_tot; a constant column scores 1 if predicted exactly, else 0), as
 * scikit-learn's mean_squared_error, mean_absolute_error and r2_score with their
 * defaults. Any output may be NULL.
 * @param[out] mse     the mean of the squared errors.
 * @param[out] mae     the mean of the absolute errors.
 * @param[out] r2      R².
 * @param[in]  pred    (n, k).
 * @param[in]  target  (n, k).
 * @param      n       > 0.
 * @param      k       > 0.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NUMERIC (errors not finite).
 */
MLP_API mlp_status mlp_regression_scores(double *mse, double *mae, double *r2, const double *pred,
                                         const double *target, size_t n, size_t k);

/** How well a model does on labelled rows: what mlp_net_score() fills (since 1.5). */
typedef struct mlp_scores {
    /** sizeof(mlp_scores), set by mlp_scores_init() */
    size_t struct_size;
    /** rows scored */
    size_t n;
    /** the classes compared (a classification), or 0 (a regression) */
    size_t n_classes;
    /** classification: the fraction of rows whose predicted class is theirs; else NaN */
    double accuracy;
    /** classification: the mean over the classes present of their recall (scikit-learn's
     *  balanced_accuracy_score); else NaN */
    double balanced_accuracy;
    /** classification: the mean F1 over the classes present in the rows or predicted
     *  (f1_score(average='macro') of those labels); else NaN */
    double macro_f1;
    /** regression: mean squared error, in the targets' units; else NaN */
    double mse;
    /** regression: mean absolute error, in the targets' units; else NaN */
    double mae;
    /** regression: R², as mlp_regression_scores(); else NaN */
    double r2;
} mlp_scores;

/**
 * Set scores' struct_size and empty them (0 rows, NaN scores).
 * @param[out] scores       the struct to fill.
 * @param      struct_size  sizeof(mlp_scores) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_scores_init(mlp_scores *scores, size_t struct_size);

/**
 * Score a model on labelled rows, as they come: its predictions (mlp_net_predict(),
 * the model's preprocessing applied, in batches of the workspace's size) against the
 * rows' targets. A dataset of classes, or a network whose output is softmax or one
 * sigmoid node, is scored as a classification (the predicted class is the most probable,
 * or for one sigmoid node, class 1 above 0.5; one-hot targets give their class by their
 * largest value); any other as a regression, in the targets' units (since 1.5).
 * @param      net        the network.
 * @param      ws         a workspace for its shape (any batch size).
 * @param[out] scores     its struct_size must be set (mlp_scores_init()).
 * @param[out] confusion  NULL, or room for k² counts, k the network's classes
 *                        (mlp_net_n_outputs(), 2 for one sigmoid node):
 *                        confusion[t * k + p] counts the rows of class t predicted as
 *                        p, as mlp_confusion() (for mlp_class_scores()).
 * @param[in]  data       the rows (::MLP_DATASET, ::MLP_DATASET_CLASSES,
 *                        mlp_table_dataset()).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a bad struct_size, a dataset without
 *         targets, a class index out of range), ::MLP_ERR_SHAPE (the dataset's columns
 *         or the workspace), ::MLP_ERR_NOMEM, ::MLP_ERR_NUMERIC (a target or
 *         prediction that is not finite).
 */
MLP_API mlp_status mlp_net_score(const mlp_net *net, mlp_workspace *ws, mlp_scores *scores,
                                 size_t *confusion, const mlp_dataset *data);

/** @} */

/**
 * @defgroup libmlp_export C export (since 1.2)
 * @{
 */

/**
 * Write the network as one standalone C source file that needs nothing but
 * <math.h> and compiles warning-free as C89, C99 or C11 (`-pedantic -Wall -Wextra`;
 * since 1.6, C99 before): its parameters as `static const double` arrays (decimal
 * with 17 digits, which gcc and clang read back to every bit) and
 * `void NAME_predict(const double *x, double *y)` with the model's
 * preprocessing inside (raw rows in, outputs in the targets' units); with class
 * labels, also `NAME_classes[]` and `int NAME_predict_class(const double *x)`. The
 * provenance (the epoch whose weights it holds, and its losses) and the input columns
 * are in a comment at the top; mlp_net_export_c_header() writes the declarations for
 * the programs that call it. Compiled, it agrees with mlp_net_predict() to about 1e-12
 * (its sums run in another order than the BLAS's). Class labels and column names are
 * the user's bytes and reach the file escaped (octal escapes in strings, hexadecimal in
 * comments, `?` always escaped so no trigraph forms; a label longer than C90's 509
 * characters as an array of characters), so that `NAME_classes[]` holds the model's
 * labels byte for byte whatever they contain (since 1.6).
 * @param net   the network.
 * @param out   where to write (not closed).
 * @param name  a C identifier of at most 64 characters: the prefix of every symbol.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, a name that is not an identifier, a
 *         network holding a number that is not finite), ::MLP_ERR_IO (a write error).
 *         Layer normalizations are written with the library's own order of sums,
 *         batch normalizations as the per-column scale and shift their running
 *         values make (the library's own arithmetic when predicting); dropouts, the
 *         identity when predicting, are left out.
 */
MLP_API mlp_status mlp_net_export_c(const mlp_net *net, FILE *out, const char *name);

/**
 * Write the header that goes with mlp_net_export_c()'s file of the same name: include
 * guards, `NAME_N_INPUTS`, `NAME_N_OUTPUTS` (and `NAME_N_CLASSES`) as enum constants,
 * and the declarations of `NAME_predict()` and, with class labels,
 * `NAME_predict_class()` and `NAME_classes[]`, usable from C89 and later and C++ (since
 * 1.5).
 * @param net   the network.
 * @param out   where to write (not closed).
 * @param name  the name given to mlp_net_export_c().
 * @return as mlp_net_export_c().
 */
MLP_API mlp_status mlp_net_export_c_header(const mlp_net *net, FILE *out, const char *name);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* MLP_H */
