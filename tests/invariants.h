/* The two rules every call that returns MLP_OK leaves true, checked one way by the
 * property test (test_property.c) and the fuzzers (fuzz/):
 *
 *   finite      every parameter, every running mean and variance, every scaling value and
 *               every piece of optimizer state is finite, and the step and epoch counters are within what a file holds;
 *   round trip  the object saves into bytes that load back and save again to the same
 *               bytes (class labels distinct: the loader refuses equal ones).
 *
 * inv_net() and inv_trainer() return NULL when both hold, else what broke. They read
 * the library's internals (mlp_internal.h): build them with the library's objects. A
 * round trip that cannot allocate is not a finding (NULL). */
#ifndef MLP_TEST_INVARIANTS_H
#define MLP_TEST_INVARIANTS_H

#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"

static inline int inv_finite(const double *v, size_t n)
{
    return n == 0 || v == NULL || mlp__all_finite(v, n);
}

/* n values of a network's type (floats for a float32 network) all finite. */
static inline int inv_finite_typed(const void *v, size_t n, int f32)
{
    return n == 0 || v == NULL || (f32 ? mlp__all_finite_f32(v, n) : mlp__all_finite(v, n));
}

static inline const char *inv_prep(const mlp_net *net)
{
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    if (p->in_shift != NULL && !(inv_finite(p->in_shift, in) && inv_finite(p->in_scale, in)))
        return "the input scaling is not finite";
    if (p->out_shift != NULL && !(inv_finite(p->out_shift, k) && inv_finite(p->out_scale, k)))
        return "the target scaling is not finite";
    size_t i, j;
    if (p->n_classes > 1 &&
        mlp__repeated_string((const char *const *)p->classes, p->n_classes, &i, &j) > 0)
        return "two class labels are equal";
    return NULL;
}

static inline const char *inv_net(const mlp_net *net)
{
    if (!inv_finite_typed(net->params, net->n_params, net->f32)) return "a parameter is not finite";
    if (!inv_finite_typed(net->state, net->n_state, net->f32))
        return "a running mean or variance is not finite";
    const char *why = inv_prep(net);
    if (why != NULL) return why;
    size_t n = 0, m = 0;
    if (mlp_net_save_buffer(net, NULL, 0, &n) != MLP_OK) return "the network does not save";
    unsigned char *a = malloc(n), *b = malloc(n);
    mlp_net *again = NULL;
    if (a == NULL || b == NULL) why = NULL;
    else if (mlp_net_save_buffer(net, a, n, &n) != MLP_OK) why = "the network does not save";
    else if (mlp_net_load_buffer(&again, a, n) != MLP_OK)
        why = strstr(mlp_error_detail(), "allocate") != NULL ? NULL
                                                              : "the saved network does not load";
    else if (mlp_net_save_buffer(again, b, n, &m) != MLP_OK || m != n || memcmp(a, b, n) != 0)
        why = "the network loads back to other bytes";
    mlp_net_free(again);
    free(a);
    free(b);
    return why;
}

/* An accepted network predicts: two rows of zeros give finite values, or
 * MLP_ERR_NUMERIC (finite weights may still overflow: then it says so). NULL, or what
 * broke; a workspace that cannot be allocated is not a finding. */
static inline const char *inv_predicts(const mlp_net *net)
{
    mlp_workspace *ws;
    if (mlp_workspace_create(&ws, net, 2) != MLP_OK) return NULL;
    const size_t in = mlp_net_n_inputs(net), out = mlp_net_n_outputs(net);
    double *x = calloc(2 * in, sizeof *x), *y = calloc(2 * out, sizeof *y);
    const char *why = NULL;
    if (x != NULL && y != NULL) {
        const mlp_status s = mlp_net_predict(net, ws, y, x, 2);
        if (s != MLP_OK && s != MLP_ERR_NUMERIC) why = "predict returned a status of bad input";
        for (size_t i = 0; s == MLP_OK && i < 2 * out; i++)
            if (!isfinite(y[i])) why = "predict returned MLP_OK with a value not finite";
    }
    free(x);
    free(y);
    mlp_workspace_free(ws);
    return why;
}

static inline const char *inv_trainer(const mlp_trainer *tr)
{
    const char *why = inv_net(tr->net);
    if (why != NULL) return why;
    const size_t np = tr->net->n_params;
    for (int blk = 0; blk < mlp__optimizer(tr->opt.kind)->state_blocks; blk++)
        if (!inv_finite_typed(tr->state[blk], np, tr->net->f32))
            return "the optimizer state is not finite";
    if (!inv_finite(tr->hist, tr->hist_blocks * np)) return "the L-BFGS history is not finite";
    if (!inv_finite(tr->so, 2)) return "the second-order state is not finite";
    if (!inv_finite(&tr->lr, 1)) return "the learning rate is not finite";
    if (tr->t > MLP__MAX_STEPS) return "the step count is past what a file holds";
    if (tr->epochs_done > MLP__MAX_EPOCHS) return "the epoch count is past what a file holds";
    size_t n = 0, m = 0;
    if (mlp__trainer_save_buffer(tr, NULL, 0, &n) != MLP_OK) return "the trainer does not save";
    unsigned char *a = malloc(n), *b = malloc(n);
    mlp_trainer *again = NULL;
    mlp_net *anet = NULL;
    if (a == NULL || b == NULL) why = NULL;
    else if (mlp__trainer_save_buffer(tr, a, n, &n) != MLP_OK) why = "the trainer does not save";
    else if (mlp_trainer_load_buffer(&again, &anet, a, n, tr->max_batch) != MLP_OK)
        why = strstr(mlp_error_detail(), "allocate") != NULL ? NULL
                                                              : "the checkpoint does not load";
    else if (mlp__trainer_save_buffer(again, b, n, &m) != MLP_OK || m != n || memcmp(a, b, n) != 0)
        why = "the checkpoint loads back to other bytes";
    mlp_trainer_free(again);
    mlp_net_free(anet);
    free(a);
    free(b);
    return why;
}

#endif
