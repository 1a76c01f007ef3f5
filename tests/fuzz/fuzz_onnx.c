/* libFuzzer harness: any bytes given to the ONNX importer (mlp_net_import_onnx_buffer).
 * It must return a status, never crash, hang, leak or read out of bounds, and never
 * allocate without bound (the prescan's limits); what it accepts must keep the rules
 * (../invariants.h: every value finite, a save that loads back to the same bytes),
 * predict finite values or say why, and export to ONNX again and import back to the
 * same parameters. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

#include "../invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok) abort();
}

static void exercise(mlp_net *net)
{
    require(inv_net(net) == NULL);
    require(inv_predicts(net) == NULL);
    /* what it read, it writes again, and reads back the same */
    size_t n = 0;
    if (mlp_net_export_onnx_buffer(net, NULL, 0, &n) != MLP_OK) return; /* labels not UTF-8 */
    unsigned char *b = malloc(n);
    mlp_net *back = NULL;
    if (b != NULL && mlp_net_export_onnx_buffer(net, b, n, &n) == MLP_OK) {
        const mlp_status s = mlp_net_import_onnx_buffer(&back, b, n);
        require(s == MLP_OK || s == MLP_ERR_NOMEM);
        if (s == MLP_OK) {
            require(mlp_net_n_params(back) == mlp_net_n_params(net));
            const int f = mlp_net_precision(net) == MLP_PRECISION_FLOAT32;
            require(mlp_net_precision(back) == mlp_net_precision(net));
            require(memcmp(f ? (const void *)mlp_net_params_f32_const(back)
                             : (const void *)mlp_net_params_const(back),
                           f ? (const void *)mlp_net_params_f32_const(net)
                             : (const void *)mlp_net_params_const(net),
                           mlp_net_n_params(net) * (f ? 4 : 8)) == 0);
        }
    }
    mlp_net_free(back);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mlp_net *net = (mlp_net *)&size; /* must become NULL or a network */
    const mlp_status s = mlp_net_import_onnx_buffer(&net, data, size);
    require((s == MLP_OK) == (net != NULL));
    require(s == MLP_OK || s == MLP_ERR_FORMAT || s == MLP_ERR_NOMEM);
    if (s == MLP_OK) {
        exercise(net);
        mlp_net_free(net);
    }
    return 0;
}
