/**
 * @file mlp/train.h
 * @brief libmlp: losses and gradients, datasets, optimizers, schedules, trainers and fits.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_TRAIN
#define MLP_H_TRAIN

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
    /** rows of floats instead of doubles (since 1.7): (n, n_inputs) inputs, with x NULL;
     *  see ::MLP_DATASET_F32 */
    const float *x_f32;
    /** the targets of float rows (since 1.7), as y holds them, with y NULL */
    const float *y_f32;
    /** n row weights (since 1.7), finite and >= 0, or NULL (default): every row 1. Each
     *  row's loss counts its weight times in training (every optimizer, sharded and
     *  MPI fits) and in the validation loss that early stopping watches; the loss is
     *  still the mean over the rows (as Keras's sample_weight), so weights that average
     *  1 keep its scale, and weights of 1 give the unweighted bits. Class weights are
     *  one use: mlp_dataset_class_weights(). Scores (mlp_net_score()) are not weighted */
    const double *w;
} mlp_dataset;

/**
 * Initializer of a dataset of values: x (n, n_inputs), y (n, n_targets).
 * `const mlp_dataset train = MLP_DATASET(x, 2, y, 1, 100);`
 * (Before 1.5 it took (x, y, n): a program of that time fails to compile here with
 * "macro MLP_DATASET requires 5 arguments": add the column counts.)
 */
/* clang-format off */
#define MLP_DATASET(x, n_inputs, y, n_targets, n)                                                 \
    {sizeof(mlp_dataset), (x), (y), (n), (n_inputs), (n_targets), 0, NULL, NULL, NULL}
/* clang-format on */

/**
 * Initializer of a dataset of classes: x (n, n_inputs), labels (n) class indices
 * 0 to n_classes - 1 stored as doubles, as mlp_table_targets() gives them (since 1.5).
 * `const mlp_dataset train = MLP_DATASET_CLASSES(x, 4, label, 3, 150);`
 */
/* clang-format off */
#define MLP_DATASET_CLASSES(x, n_inputs, labels, n_classes, n)                                    \
    {sizeof(mlp_dataset), (x), (labels), (n), (n_inputs), 1, (n_classes), NULL, NULL, NULL}
/* clang-format on */

/**
 * Initializer of a dataset of floats (since 1.7): x (n, n_inputs), y (n, n_targets), as
 * ::MLP_DATASET takes doubles. Any network takes either: a float32 network reads float
 * rows where they are (without a copy, but for the rows a model scales), a float64
 * network widens them exactly, and a float32 network rounds double rows to float, each
 * once. Inputs and targets are of one type.
 * `const mlp_dataset train = MLP_DATASET_F32(x, 2, y, 1, 100);`
 */
/* clang-format off */
#define MLP_DATASET_F32(x, n_inputs, y, n_targets, n)                                             \
    {sizeof(mlp_dataset), NULL, NULL, (n), (n_inputs), (n_targets), 0, (x), (y), NULL}
/* clang-format on */

/**
 * Initializer of a dataset of classes with float inputs (since 1.7): x (n, n_inputs)
 * floats, labels (n) class indices 0 to n_classes - 1 stored as floats.
 */
/* clang-format off */
#define MLP_DATASET_CLASSES_F32(x, n_inputs, labels, n_classes, n)                                \
    {sizeof(mlp_dataset), NULL, NULL, (n), (n_inputs), 1, (n_classes), (x), (labels), NULL}
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
 * A float32 network's gradient is computed in float32 and widened into grad (since 1.7;
 * that allocates its n_params floats).
 * @return ::MLP_OK (the loss and every gradient value finite), ::MLP_ERR_INVALID_ARG
 *         (NULL, n == 0, a bad struct_size, an unknown loss or one that does not fit
 *         the output layer), ::MLP_ERR_SHAPE (workspace), ::MLP_ERR_NUMERIC (the loss or
 *         a gradient value not finite, since 1.7: the detail names the row and the input
 *         or target that is not, or says the values outgrow the double range; grad and
 *         *loss_value hold what was computed).
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
 * A float32 network's gradient (its float32 passes', as mlp_net_gradient() gives it) is
 * compared with differences taken on a float64 copy of the network, the same weights
 * exactly (since 1.7): the error then is float's rounding of the gradient, which is
 * relative to the gradient's largest values, so it is measured normwise: a few ε of
 * float (64 ε, 7.6e-6, is the bound libmlp's tests hold it to) where float64 reaches
 * 1e-8 componentwise.
 * @param[out] max_rel_error  float64: the largest |analytic - numeric| /
 *                            max(|analytic|, |numeric|, 1e-7) over all parameters;
 *                            float32: the largest |analytic - numeric| over the largest
 *                            max(|analytic|, |numeric|, 1e-7).
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
 * A float32 network's shards compute their gradients in float32 and hand them over
 * widened to double (exactly); the sum is rounded once to float for the update (since
 * 1.7): the same contract, the same bits everywhere, twice the bytes of a float sum.
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

#endif /* MLP_H_TRAIN */
