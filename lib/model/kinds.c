/* The table of layer kinds: one entry per value of mlp_layer_kind, each kind's entry in
 * its own file (dense.c, layernorm.c, dropout.c, batchnorm.c), and the check of a
 * layer's spec that every kind shares before its own. */
#include "model.h"

static const mlp__layer_kind *const kinds[] = {
    [MLP_LAYER_DENSE] = &mlp__dense_layer,
    [MLP_LAYER_LAYERNORM] = &mlp__layernorm_layer,
    [MLP_LAYER_DROPOUT] = &mlp__dropout_layer,
    [MLP_LAYER_BATCHNORM] = &mlp__batchnorm_layer,
};
MLP__TABLE_COVERS(kinds, MLP__LAYER_KINDS - 1);
static inline int listed(mlp_layer_kind k)
{
    switch (k) {
    case MLP_LAYER_DENSE: case MLP_LAYER_LAYERNORM: case MLP_LAYER_DROPOUT:
    case MLP_LAYER_BATCHNORM: return 1;
    }
    return 0;
}

const mlp__layer_kind *mlp__layer_kind_of(mlp_layer_kind kind)
{
    const unsigned i = (unsigned)kind;
    return i < MLP__LAYER_KINDS ? kinds[i] : NULL;
}

mlp_status mlp__layer_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                            size_t *out, size_t *np, mlp_status bad, const char *fn)
{
    const mlp__layer_kind *k = mlp__layer_kind_of(spec->kind);
    MLP_CHECK(k != NULL, bad, "%s: layer %zu has unknown kind %d", fn, l, (int)spec->kind);
    MLP_CHECK(mlp__activation_valid(spec->activation), bad,
              "%s: layer %zu: activation %d is unknown", fn, l, (int)spec->activation);
    MLP_CHECK(spec->bias == 0 || spec->bias == 1 || bad == MLP_ERR_INVALID_ARG, bad,
              "%s: layer %zu: bias flag %d", fn, l, spec->bias);
    return k->check(spec, l, in, limit, out, np, bad, fn);
}
