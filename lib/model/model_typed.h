/* The model's typed declarations (lib/core/typed.h), included by model.h once per scalar
 * type with MLP__R the type and MLP__N(name) its names: double and the names as they
 * are, then float and the names with _f32. No include guard, on purpose. */

/* A layer kind's passes over values: its entry's `passes` (float64) or `passes_f32`.
 * Every function takes the network and the layer index; `x` is the network's input
 * (layer 0's input rows). A training pass is one with ws->training set (mlp__forward
 * with MLP__KEEP_Z): dropouts drop, batch normalizations take the batch's statistics;
 * any other pass is an inference pass. */
struct MLP__N(mlp__layer_passes) {
    /* its running state (the kind's n_state; NULL: none): its values when the network is
     * made or initialized; whether values read from a file can serve (NULL when they
     * can, else what is wrong with them, for the loader's message); and the values a
     * successful step leaves, which the last training pass made (NULL: it leaves them
     * as they are) */
    void (*state_reset)(const mlp_layer *L, MLP__R *state);
    const char *(*state_refused)(const mlp_layer *L, const MLP__R *state);
    const MLP__R *(*state_next)(const mlp_layer *L, const mlp_workspace *ws, size_t l);
    /* n rows of a_prev (n, in) into ws->act[l] (n, out); with keep_z, what the
     * backward pass needs besides the output is kept in ws->z[l] */
    void (*forward)(const mlp_net *net, mlp_workspace *ws, size_t l, const MLP__R *a_prev,
                    size_t n, int keep_z);
    /* d (n, out), the gradient of the layer's output, made in place the gradient of
     * what its parameters and input reach through (dense: dZ, through its activation) */
    void (*backward_output)(const mlp_net *net, const mlp_workspace *ws, size_t l, MLP__R *d,
                            size_t n);
    /* from that d (n, out): the gradient of its parameters into g (the parameter block's
     * layout; NULL: none wanted) and of its input into da_prev (n, in; NULL: none) */
    void (*backward)(const mlp_net *net, const mlp_workspace *ws, size_t l, MLP__R *g,
                     MLP__R *da_prev, const MLP__R *d, const MLP__R *a_prev, size_t n);
    /* plain SGD fused: its parameters −= lr·gradient (decay·w for the decaying blocks)
     * from d and a_prev without storing the gradient; scratch: np values, its part of
     * the gradient block. NULL: the gradient into scratch, then the update
     * (mlp__layer_sgd_generic) */
    void (*sgd)(mlp_net *net, const mlp_workspace *ws, size_t l, const MLP__R *d,
                const MLP__R *a_prev, size_t n, MLP__R lr, MLP__R decay, MLP__R *scratch);
    /* the row of the Jacobian of one output for one input row: the derivative of that
     * output by each of the layer's parameters, into row (the parameter block's
     * layout), from d_row (out) and a_prev_row (in); NULL: the kind refuses
     * Levenberg–Marquardt */
    void (*jacobian_row)(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                         MLP__R *row, const MLP__R *d_row, const MLP__R *a_prev_row);
};

/* Plain SGD of a kind without a fused road: its gradient into its part of the gradient
 * block (scratch), then each block moved by it (decay only where the block decays;
 * lib/model/layer.c). */
void MLP__N(mlp__layer_sgd_generic)(mlp_net *net, const mlp_workspace *ws, size_t l,
                                    const MLP__R *d, const MLP__R *a_prev, size_t n, MLP__R lr,
                                    MLP__R decay, MLP__R *scratch);

/* The kinds' passes, each in its kind's file. */
extern const struct MLP__N(mlp__layer_passes) MLP__N(mlp__dense_passes);
extern const struct MLP__N(mlp__layer_passes) MLP__N(mlp__layernorm_passes);
extern const struct MLP__N(mlp__layer_passes) MLP__N(mlp__dropout_passes);
extern const struct MLP__N(mlp__layer_passes) MLP__N(mlp__batchnorm_passes);

/* Running state (lib/model/layer.c): every layer's values as a new network's; whether the
 * values the last training pass made for after its step are all finite; and those
 * values made the network's (after a successful step). */
void MLP__N(mlp__state_reset)(const mlp_net *net, MLP__R *state);
int MLP__N(mlp__state_ready)(const mlp_net *net, const mlp_workspace *ws);
void MLP__N(mlp__state_commit)(mlp_net *net, const mlp_workspace *ws);

/* The one backward pass. From the gradient of the last layer's output (or, with
 * top_is_z, what backward_output would make of it: the loss's dZ), down through every
 * layer to the first, each layer's d made by its kind, then its parameter gradient
 * (into grad) and its input gradient (the next layer's d). What the callers do besides
 * are hooks, in the order the pass reaches them. */
typedef struct MLP__N(mlp__backward_plan) {
    MLP__R *grad;     /* parameter gradients, the parameter block's layout; NULL: none
                              (the input gradients alone: plain SGD, the Jacobian) */
    MLP__R *const *d; /* per layer, (n, out): where its d lives; NULL: pair */
    MLP__R *pair[2];  /* without d: two buffers taken in turn, the last layer's first */
    int top_is_z;     /* the last layer's d already holds what backward_output makes */
    /* layer l's d is made: 0 stops the pass there */
    int (*d_ready)(void *ctx, size_t l, const MLP__R *d);
    /* layer l's parameter gradient is complete (the last layer's first) */
    void (*grad_ready)(void *ctx, size_t l);
    void *ctx;
} MLP__N(mlp__backward_plan);

/* (mlp__backward_pass is inline: lib/model/passes.h.) */

/* Forward pass of n rows (checked by the caller) through every layer into the
 * workspace, keeping what `keep` (MLP__KEEP_ flags) asks for. */
void MLP__N(mlp__forward)(const mlp_net *net, mlp_workspace *ws, const MLP__R *x, size_t n,
                          int keep);

/* Backward pass after mlp__forward(..., mlp__keep_for(net, loss)): the gradient of
 * the mean loss into grad (n_params), returning the loss. */
double MLP__N(mlp__backward)(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, MLP__R *grad,
                             const MLP__R *x, const MLP__R *target, const double *w, size_t n);

/* The same for n rows that are one shard of a batch of `of` rows: the gradient of
 * their summed loss divided by `of`; returns the mean loss of the n rows. Each row's
 * loss counts w[row] times (w NULL: once; see mlp__loss_kind). With done,
 * calls done(ctx, l, loss) as soon as layer l's gradient is complete (the last layer
 * first): a sharded fit hands it to the reducer while the layers before it are
 * computed. */
double MLP__N(mlp__backward_hooked)(const mlp_net *net, mlp_workspace *ws, mlp_loss loss,
                                    MLP__R *grad, const MLP__R *x, const MLP__R *target,
                                    const double *w, size_t n, size_t of, mlp__layer_done done,
                                    void *ctx);

/* ---- the small network's road (lib/model/dense.c) ---- */

/* The forward pass of a network whose layers are all small (in * out <= 64) with
 * piecewise-linear activations (identity, relu, leaky relu: net->small), into ws:
 * returns 1 when done, 0 (nothing done) for any other network. */
int MLP__N(mlp__small_net_forward)(const mlp_net *net, mlp_workspace *ws, const MLP__R *x,
                                   size_t n);

/* The same for a small network, its output written into y (n, outputs) as well,
 * as it goes: y must not overlap x. */
void MLP__N(mlp__small_net_predict)(const mlp_net *net, mlp_workspace *ws, const MLP__R *x,
                                    size_t n, MLP__R *y);

/* Rows [r0, r1) of that pass one at a time, in plain scalar loops: the reference
 * the vector road must match bit for bit (tests/test_paths.c). */
void MLP__N(mlp__small_net_rows_scalar)(const mlp_net *net, mlp_workspace *ws, const MLP__R *x,
                                        size_t r0, size_t r1);

/* m rows as the network reads them, into dst in the network's type (lib/model/rows.c):
 * inputs (m, n_inputs) scaled, targets (m, n_outputs) one-hot or scaled; each value
 * computed in double and rounded once. Row i is r's row rows[i], or i without rows. */
void MLP__N(mlp__rows_x)(MLP__R *dst, const mlp__rows *r, const mlp_net *net, const size_t *rows,
                         size_t m);
void MLP__N(mlp__rows_y)(MLP__R *dst, const mlp__rows *r, const mlp_net *net, const size_t *rows,
                         size_t m);

/* A batch of rows as the network reads them: the caller's arrays where they serve (a
 * float64 network's, without scaling), else the workspace's (scaled, targets). x and t
 * receive the pointers (t NULL: no targets). */
void MLP__N(mlp__rows_batch)(const MLP__R **x, const MLP__R **t, const mlp__rows *r,
                             const mlp_net *net, mlp_workspace *ws);

#undef MLP__R
#undef MLP__N
