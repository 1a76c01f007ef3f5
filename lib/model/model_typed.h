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

#undef MLP__R
#undef MLP__N
