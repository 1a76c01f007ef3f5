/* How tests/data/v3-*.mlp were made: with libmlp 1.1.0, the last release that wrote
 * model format version 3 (the first with L-BFGS and Levenberg-Marquardt
 * checkpoints). Not built by meson (it must run against 1.1.0); kept so that the
 * fixtures can be made again:
 *
 *   cc -std=c11 -I<1.1 include> make_v3.c -L<1.1 lib> -lmlp -o make_v3 && ./make_v3 DIR
 *
 * It writes
 *   v3-checkpoint.mlp  2 -> 3 tanh (bias) -> 1 identity (bias), Xavier from seed 3,
 *                      after 3 full-batch epochs of L-BFGS (history 4, MSE) on 6 rows;
 *   v3-resumed.txt     the parameters 1.1.0 reached by 2 more epochs from there, one
 *                      %a per line: what a later library must reproduce. */
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
    const mlp_layer_spec spec[2] = {MLP_LAYER(3, MLP_ACT_TANH, 1),
                                    MLP_LAYER(1, MLP_ACT_IDENTITY, 1)};
    mlp_net *net;
    check(mlp_net_create(&net, 2, spec, 2));
    check(mlp_net_init(net, MLP_INIT_XAVIER, 3));
    const double x[12] = {0, 0, 0, 1, 1, 0, 1, 1, 0.5, 0.5, -1, 2};
    const double y[6] = {0, 1, 1, 0, 0.5, -1};
    mlp_optimizer o;
    check(mlp_optimizer_init(&o, sizeof o, MLP_OPT_LBFGS));
    o.lbfgs_history = 4;
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, MLP_LOSS_MSE, &o, 6));
    mlp_fit_options f;
    check(mlp_fit_options_init(&f, sizeof f));
    f.epochs = 3;
    f.batch_size = 0;
    const mlp_dataset d = {sizeof d, x, y, 6}; /* 1.1's header */
    check(mlp_trainer_fit(tr, NULL, &d, &f));
    snprintf(path, sizeof path, "%s/v3-checkpoint.mlp", dir);
    check(mlp_trainer_save(tr, path));
    f.epochs = 2;
    check(mlp_trainer_fit(tr, NULL, &d, &f));
    snprintf(path, sizeof path, "%s/v3-resumed.txt", dir);
    FILE *out = fopen(path, "w");
    if (out == NULL) return 1;
    for (size_t i = 0; i < mlp_net_n_params(net); i++) fprintf(out, "%a\n", mlp_net_params(net)[i]);
    fclose(out);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    printf("written by libmlp %s\n", mlp_version());
    return 0;
}
