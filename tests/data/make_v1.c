/* How tests/data/v1-*.mlp were made: with libmlp 0.1.0 (git f701337), the last
 * release that wrote model format version 1. Not built by meson (it needs the
 * 0.1 API); kept so that the fixtures can be made again:
 *
 *   cc -std=c11 -I<0.1 include> make_v1.c -L<0.1 lib> -lmlp -o make_v1 && ./make_v1 DIR
 *
 * It writes
 *   v1-net.mlp         2 -> 3 tanh (bias) -> 1 sigmoid (bias), parameters (i + 1) / 8 - 1
 *                      set by hand, never trained;
 *   v1-checkpoint.mlp  the same network after 3 epochs of Adam (lr 0.05, batches of 2,
 *                      seed 7, weight decay 1e-3, binary cross-entropy) on 6 rows;
 *   v1-resumed.txt     the parameters 0.1 reached by training on 2 more epochs from
 *                      there, one %a per line: what a 1.0 resume must reproduce. */
#include <stdio.h>
#include <stdlib.h>

#include <mlp.h>

static void check(mlp_status s)
{
    if (s != MLP_OK) {
        fprintf(stderr, "%s: %s\n", mlp_strerror(s), mlp_error_detail());
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[4096];
    const mlp_layer_spec spec[2] = {{3, MLP_ACT_TANH, 1}, {1, MLP_ACT_SIGMOID, 1}};
    mlp_net *net;
    check(mlp_net_create(&net, 2, spec, 2));
    double *p = mlp_net_params(net);
    for (size_t i = 0; i < mlp_net_n_params(net); i++) p[i] = (double)(i + 1) / 8 - 1;
    snprintf(path, sizeof path, "%s/v1-net.mlp", dir);
    check(mlp_net_save(net, path));

    const double x[12] = {0, 0, 0, 1, 1, 0, 1, 1, 0.5, 0.5, -1, 2};
    const double y[6] = {0, 1, 1, 0, 1, 0};
    mlp_optimizer o = mlp_optimizer_defaults(MLP_OPT_ADAM);
    o.learning_rate = 0.05;
    o.weight_decay = 1e-3;
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, MLP_LOSS_BINARY_CROSSENTROPY, &o, 2));
    mlp_fit_options f = mlp_fit_options_defaults();
    f.epochs = 3;
    f.batch_size = 2;
    f.seed = 7;
    check(mlp_trainer_fit(tr, NULL, NULL, NULL, x, y, 6, NULL, NULL, 0, &f));
    snprintf(path, sizeof path, "%s/v1-checkpoint.mlp", dir);
    check(mlp_trainer_save(tr, path));
    f.epochs = 2;
    check(mlp_trainer_fit(tr, NULL, NULL, NULL, x, y, 6, NULL, NULL, 0, &f));
    snprintf(path, sizeof path, "%s/v1-resumed.txt", dir);
    FILE *out = fopen(path, "w");
    if (out == NULL) return 1;
    for (size_t i = 0; i < mlp_net_n_params(net); i++) fprintf(out, "%a\n", p[i]);
    fclose(out);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return 0;
}
