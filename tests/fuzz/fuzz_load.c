/* libFuzzer harness: any bytes given to the loaders. They must return a status,
 * never crash, leak or read out of bounds; what they accept, and what a step on it
 * returns MLP_OK with, must keep the two rules (../invariants.h: every parameter,
 * scaling value and piece of optimizer state finite, counters within a file's
 * limits, class labels distinct, saves that load back to the same bytes). Each input is tried as it is and, so that
 * mutations reach the validation behind the checksum, once more with its size
 * field and its CRC-32 made to match. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <mlp.h>

#include "../invariants.h"

/* A dataset as a program built against libmlp 1.4 passes it (no shape: the network
 * here has whatever shape the bytes gave it, and the buffers hold the most it reads). */
#define TU_DATA(x, y, n) \
    (&(const mlp_dataset){offsetof(mlp_dataset, n_inputs), (x), (y), (n), 0, 0, 0, NULL, NULL, NULL})

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed invariant is a finding: stop the way libFuzzer and the sanitizers see. */
static void require(int ok)
{
    if (!ok) abort();
}

/* An accepted network keeps the rules (its round trip included: a soft finding is
 * MLP_OK over a network that breaks one) and predicts. */
static void exercise(mlp_net *net)
{
    require(inv_net(net) == NULL);
    require(inv_predicts(net) == NULL);
}

static void load_all_ways(const uint8_t *data, size_t size)
{
    mlp_net *net;
    const mlp_status s = mlp_net_load_buffer(&net, data, size);
    require((s == MLP_OK) == (net != NULL));
    require(s == MLP_OK || s == MLP_ERR_FORMAT || s == MLP_ERR_NOMEM);
    if (s == MLP_OK) {
        exercise(net);
        mlp_net_free(net);
    }

    mlp_trainer *tr;
    mlp_net *tnet;
    const mlp_status t = mlp_trainer_load_buffer(&tr, &tnet, data, size, 2);
    require((t == MLP_OK) == (tr != NULL && tnet != NULL));
    if (t == MLP_OK) {
        require(inv_trainer(tr) == NULL);
        const size_t in = mlp_net_n_inputs(tnet), out = mlp_net_n_outputs(tnet);
        double *x = calloc(2 * in, sizeof *x), *y = calloc(2 * out, sizeof *y);
        if (x != NULL && y != NULL) {
            const mlp_status st = mlp_trainer_step(tr, NULL, TU_DATA(x, y, 2));
            require(st == MLP_OK || st == MLP_ERR_NUMERIC);
            require(st != MLP_OK || inv_trainer(tr) == NULL);
        }
        free(x);
        free(y);
        mlp_trainer_free(tr);
        mlp_net_free(tnet);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_all_ways(data, size);
    if (size < 44) return 0;
    uint8_t *fixed = malloc(size);
    if (fixed == NULL) return 0;
    memcpy(fixed, data, size);
    for (int i = 0; i < 8; i++) fixed[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
    const uint32_t crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), fixed, size - 4);
    for (int i = 0; i < 4; i++) fixed[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    load_all_ways(fixed, size);
    free(fixed);
    return 0;
}
