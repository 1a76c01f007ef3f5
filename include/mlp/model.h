/**
 * @file mlp/model.h
 * @brief libmlp: activations, networks and their layer kinds, workspaces and prediction, weight initialization.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_MODEL
#define MLP_H_MODEL

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
     *  unbiased variance (PyTorch's rule). A batch of one row has no variance (every
     *  value would become its bias): mlp_trainer_step() refuses it, as PyTorch does,
     *  and mlp_trainer_fit() refuses a batch_size of 1 and joins a last batch of one
     *  row to the one before it. When predicting, validating or scoring, the running values, saved with the
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
 * The scalar type a network computes in (since 1.7): its parameters, its running
 * state and every pass over them (forward, backward, the optimizers' updates). A
 * network is float64 unless made otherwise; a float32 network takes half the memory
 * and file size and runs its products on sgemm, about twice as fast. Its rows and
 * predictions stay double at the API (converted in the workspace, without allocation);
 * losses and metrics are summed in double either way.
 */
typedef enum mlp_precision {
    MLP_PRECISION_FLOAT64 = 0, /**< IEEE-754 binary64, every network of libmlp before 1.7 */
    MLP_PRECISION_FLOAT32 = 1, /**< IEEE-754 binary32 */
    MLP_PRECISION_BFLOAT16 = 2 /**< bfloat16 (8 significant bits, float32's range): a
                                    precision of predictors only, for inference on a CPU's
                                    matrix units (mlp_predictor_create()); never a network's */
} mlp_precision;

/**
 * Create a network computing in `precision` (since 1.7): as mlp_net_create(), its
 * weights drawn the same way and rounded to float for ::MLP_PRECISION_FLOAT32.
 * @param[out] net        receives the new network (NULL on failure).
 * @param      n_inputs   as mlp_net_create().
 * @param[in]  layers     as mlp_net_create().
 * @param      n_layers   as mlp_net_create().
 * @param      precision  ::MLP_PRECISION_FLOAT64 or ::MLP_PRECISION_FLOAT32.
 * @return as mlp_net_create(); ::MLP_ERR_INVALID_ARG for an unknown precision.
 */
MLP_API mlp_status mlp_net_create_precision(mlp_net **net, size_t n_inputs,
                                            const mlp_layer_spec *layers, size_t n_layers,
                                            mlp_precision precision);

/**
 * A copy of a network in `precision` (since 1.7): its layers, parameters and running
 * state (each value rounded to the nearest float, or exact to double), the scaling,
 * names and classes the model holds, and its provenance and loss history. Converting
 * to the network's own precision makes an exact copy.
 * @param[out] out        receives the copy (NULL on failure); free it with mlp_net_free().
 * @param      net        the network; not modified.
 * @param      precision  ::MLP_PRECISION_FLOAT64 or ::MLP_PRECISION_FLOAT32.
 * @return ::MLP_OK; ::MLP_ERR_INVALID_ARG (NULL, unknown precision); ::MLP_ERR_NUMERIC
 *         (a value of magnitude past float's range, 3.4e38, which would round to
 *         infinity; the detail names the parameter); ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_net_convert(mlp_net **out, const mlp_net *net, mlp_precision precision);

/**
 * The network's precision (since 1.7).
 * @param net  the network.
 * @return ::MLP_PRECISION_FLOAT32 or ::MLP_PRECISION_FLOAT64 (also for NULL).
 */
MLP_API mlp_precision mlp_net_precision(const mlp_net *net);

/**
 * A precision's name, "float64", "float32" or "bfloat16" (since 1.7).
 * @param precision  the precision.
 * @return a static string; NULL for an unknown value.
 */
MLP_API const char *mlp_precision_name(mlp_precision precision);

/**
 * A precision by name (since 1.7): "float64", "f64", "double"; "float32", "f32",
 * "float"; "bfloat16", "bf16" (predictors only).
 * @param[out] precision  receives it.
 * @param[in]  name       the name.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG naming the names it takes.
 */
MLP_API mlp_status mlp_precision_from_name(mlp_precision *precision, const char *name);

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
 * @return mlp_net_n_params() doubles owned by the network; NULL for NULL, and for a
 *         float32 network (since 1.7; mlp_error_detail() says so): its block is
 *         mlp_net_params_f32()'s.
 */
MLP_API double *mlp_net_params(mlp_net *net);

/**
 * Read-only view of the parameter block.
 * @param net  the network.
 * @return as mlp_net_params(), const.
 */
MLP_API const double *mlp_net_params_const(const mlp_net *net);

/**
 * The parameter block of a float32 network, writable (since 1.7): the layout and
 * the rule of mlp_net_params().
 * @param net  the network.
 * @return mlp_net_n_params() floats owned by the network; NULL for NULL and for a
 *         float64 network.
 */
MLP_API float *mlp_net_params_f32(mlp_net *net);

/**
 * Read-only view of a float32 network's parameter block (since 1.7).
 * @param net  the network.
 * @return as mlp_net_params_f32(), const.
 */
MLP_API const float *mlp_net_params_f32_const(const mlp_net *net);

/**
 * Copy a layer's weights in.
 * @param     net      the network.
 * @param     layer    0 = first hidden layer.
 * @param[in] weights  the row-major (out, in) matrix, row j holding node j's incoming
 *                     weights; for a layer or batch normalization, its gains γ (size
 *                     values).
 * @param     count    must equal out * in (a normalization: its size).
 * A float32 network keeps each value rounded to the nearest float (since 1.7).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, bad layer, a dropout: it has no
 *         weights), ::MLP_ERR_SHAPE (count), ::MLP_ERR_NUMERIC (a NaN or infinite
 *         weight, or for a float32 network one past float's range, 3.4e38; nothing is
 *         changed).
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
 * A float32 network's values come out widened to double, exactly (since 1.7).
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
 *         ::MLP_ERR_NUMERIC (NaN or infinity, or past a float32 network's range).
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
 * Create a workspace for networks shaped like `net` (same input and layer sizes, and
 * since 1.7 the same precision), for batches of 1 to `max_batch` rows.
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
 * A float32 network's rows are converted in the workspace (each scaled in double and
 * rounded once), its passes run in float, and its outputs come back as doubles.
 *
 * Since 1.5. A program built against libmlp 1.4 or older calls the version of its
 * time, which does not scale (its rows had to be scaled with mlp_net_transform()).
 * @param      net  the network; not modified.
 * @param      ws   a workspace created for a network of the same shape.
 * @param[out] y    (n, n_outputs) row-major predictions; untouched on failure, but for
 *                  ::MLP_ERR_NUMERIC, which leaves every row's prediction there.
 * @param[in]  x    (n, n_inputs) row-major observations, as they come.
 * @param      n    rows, 1 <= n <= mlp_workspace_max_batch(ws).
 * @return ::MLP_OK (every prediction finite), ::MLP_ERR_INVALID_ARG (NULL, n == 0),
 *         ::MLP_ERR_SHAPE (workspace made for another shape or, since 1.7, for a
 *         predictor; n larger than the workspace), ::MLP_ERR_NUMERIC (a prediction that is not finite, since 1.7:
 *         the detail names its row and why — a NaN or infinite input of that row, or
 *         values that outgrow the double range inside the network; 1.6 returned
 *         ::MLP_OK with it).
 */
MLP_API mlp_status mlp_net_predict(const mlp_net *net, mlp_workspace *ws, double *y,
                                   const double *x, size_t n);

/**
 * Predict a batch of float rows into floats (since 1.7): mlp_net_predict() for data kept
 * in float. A float32 network reads the rows where they are (without a copy, unless the
 * model scales its inputs) and gives its outputs as they come; a float64 network widens
 * the rows (exactly) into its workspace and rounds each output to float once. Scaling,
 * where the model has it, is computed in double. Allocates nothing.
 * @param      net  the network; not modified.
 * @param      ws   a workspace created for a network of the same shape.
 * @param[out] y    (n, n_outputs) row-major predictions; untouched on failure, but for
 *                  ::MLP_ERR_NUMERIC, which leaves every row's prediction there.
 * @param[in]  x    (n, n_inputs) row-major observations, as they come.
 * @param      n    rows, 1 <= n <= mlp_workspace_max_batch(ws).
 * @return as mlp_net_predict(); ::MLP_ERR_NUMERIC also for an output of a float64
 *         network past float's range (3.4e38), which y cannot hold.
 */
MLP_API mlp_status mlp_net_predict_f32(const mlp_net *net, mlp_workspace *ws, float *y,
                                       const float *x, size_t n);

/**
 * The output of one layer from the last successful mlp_net_predict() with this
 * workspace: the hidden layer values, as the tutorial prints them.
 * @param      ws      the workspace.
 * @param      layer   0 = first hidden layer.
 * @param[out] values  receives a row-major (rows, cols) matrix owned by the
 *                     workspace, valid until the next prediction with it or its free.
 * @param[out] rows    may be NULL; receives the batch's row count.
 * @param[out] cols    may be NULL; receives the layer's width.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, layer out of range, no
 *         prediction has been made with the workspace yet, or, since 1.7, the
 *         workspace of a float32 network, whose values are floats).
 */
MLP_API mlp_status mlp_workspace_layer_output(const mlp_workspace *ws, size_t layer,
                                              const double **values, size_t *rows,
                                              size_t *cols);

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
 * @defgroup libmlp_predictor Predictors (since 1.7)
 * A network compiled for prediction alone, in a precision the caller chooses: read-only
 * once made, so any number of threads may predict with one predictor at once, each
 * with its own workspace. The network it was made from is copied and may change or be
 * freed after.
 *
 * ::MLP_PRECISION_BFLOAT16 multiplies on the CPU's matrix units, through oneDNN: each
 * dense layer's weights are rounded once to bfloat16 and packed for the CPU when the
 * predictor is made; at each prediction, a layer's input rows are rounded to bfloat16
 * and the products summed in float32; the bias, the activation, the normalizations and
 * the scaling run in float32 (scaling in double), as a float32 network runs them. Each
 * rounding to bfloat16 is within 2⁻⁸ of the value (relative), so a layer's output is
 * within about 2⁻⁷ Σ|w·a| of float64's: docs/predictor.md derives the bound the tests
 * assert and gives what it costs on real data. It needs libmlp built with oneDNN
 * (Debian's libdnnl-dev) and a CPU with AVX512-BF16 or AMX; elsewhere
 * mlp_predictor_create() returns ::MLP_ERR_UNSUPPORTED saying which is missing, and
 * mlp_precision_supported() tells in advance. A model file never holds bfloat16: the
 * precision is a choice made where the model is used.
 *
 * ::MLP_PRECISION_FLOAT32 and ::MLP_PRECISION_FLOAT64 predict as mlp_net_predict() does
 * on a network of that precision (mlp_net_convert()), to the bit.
 *
 * Rows are cut into pieces of fixed sizes (256 rows, and powers of two below for the
 * rest), each a job on the library's threads (mlp_set_num_threads()): the pieces
 * depend on the row count only, so predictions are the same to the bit on any number
 * of threads. A row's values may differ in the last bits with the size of the piece it
 * falls in.
 * @{
 */

/** A compiled, read-only network for prediction. */
typedef struct mlp_predictor mlp_predictor;

/**
 * Whether predictors of `precision` can be made here: always for float64 and float32;
 * bfloat16 when the library was built with oneDNN and the CPU has AVX512-BF16 or AMX
 * (the environment variable ONEDNN_MAX_CPU_ISA, oneDNN's own, can rule them out).
 * @param precision  any value.
 * @return 1 or 0 (0 for an unknown value).
 */
MLP_API int mlp_precision_supported(mlp_precision precision);

/**
 * Compile a network for prediction in `precision`.
 * @param[out] p          receives the predictor (NULL on failure); free it with
 *                        mlp_predictor_free().
 * @param      net        the network and the model's preprocessing (scaling, names,
 *                        classes), copied; not modified.
 * @param      precision  ::MLP_PRECISION_FLOAT64, ::MLP_PRECISION_FLOAT32 or
 *                        ::MLP_PRECISION_BFLOAT16.
 * @return ::MLP_OK; ::MLP_ERR_INVALID_ARG (NULL, unknown precision); ::MLP_ERR_NUMERIC (a
 *         value past the range of the precision); ::MLP_ERR_UNSUPPORTED (bfloat16 where
 *         mlp_precision_supported() says no; the detail says why); ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_predictor_create(mlp_predictor **p, const mlp_net *net,
                                        mlp_precision precision);

/**
 * Free a predictor; its workspaces must be freed too (before or after).
 * @param p  the predictor; NULL is accepted and ignored.
 */
MLP_API void mlp_predictor_free(mlp_predictor *p);

/**
 * The precision a predictor computes in.
 * @param p  the predictor.
 * @return its precision; ::MLP_PRECISION_FLOAT64 for NULL.
 */
MLP_API mlp_precision mlp_predictor_precision(const mlp_predictor *p);

/**
 * What a predictor's products run on, for reports: "oneDNN 2.6.3, brg:avx512_core_bf16"
 * or "libmlp float32 (OpenBLAS sgemm)"-like text.
 * @param p  the predictor.
 * @return a string owned by the predictor; "" for NULL.
 */
MLP_API const char *mlp_predictor_engine(const mlp_predictor *p);

/**
 * Create a workspace for predictions of up to `max_batch` rows with `p`. Each thread
 * predicting at the same time needs its own; it serves this predictor alone.
 * @param[out] ws         receives the workspace (NULL on failure); free it with
 *                        mlp_workspace_free().
 * @param      p          the predictor.
 * @param      max_batch  1 to INT_MAX rows.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, max_batch 0 or too large),
 *         ::MLP_ERR_NOMEM.
 */
MLP_API mlp_status mlp_predictor_workspace_create(mlp_workspace **ws, const mlp_predictor *p,
                                                  size_t max_batch);

/**
 * Predict a batch with a predictor: as mlp_net_predict(), the model's whole path from
 * the rows as they come (its input scaling, the layers, its output scaling), in the
 * predictor's precision. Allocates nothing of libmlp's own (oneDNN allocates a few
 * small blocks per layer in each of its calls: docs/predictor.md).
 * @param      p    the predictor.
 * @param      ws   a workspace made for it by mlp_predictor_workspace_create().
 * @param[out] y    (n, n_outputs) predictions; untouched on failure, but for
 *                  ::MLP_ERR_NUMERIC, which leaves every row's prediction there.
 * @param[in]  x    (n, n_inputs) rows as they come.
 * @param      n    rows, 1 <= n <= mlp_workspace_max_batch(ws).
 * @return ::MLP_OK (every prediction finite); ::MLP_ERR_INVALID_ARG (NULL, n 0);
 *         ::MLP_ERR_SHAPE (a workspace of another predictor or of a network, n larger
 *         than it); ::MLP_ERR_NUMERIC (a prediction that is not finite: the detail names
 *         its row and why).
 */
MLP_API mlp_status mlp_predictor_predict(const mlp_predictor *p, mlp_workspace *ws, double *y,
                                         const double *x, size_t n);

/**
 * mlp_predictor_predict() for rows and predictions kept in float.
 * @param      p    the predictor.
 * @param      ws   a workspace made for it by mlp_predictor_workspace_create().
 * @param[out] y    (n, n_outputs) predictions, as mlp_predictor_predict()'s.
 * @param[in]  x    (n, n_inputs) rows as they come.
 * @param      n    rows, 1 <= n <= mlp_workspace_max_batch(ws).
 * @return as mlp_predictor_predict(); ::MLP_ERR_NUMERIC also for an output past float's
 *         range.
 */
MLP_API mlp_status mlp_predictor_predict_f32(const mlp_predictor *p, mlp_workspace *ws,
                                             float *y, const float *x, size_t n);

/** @} */

#endif /* MLP_H_MODEL */
