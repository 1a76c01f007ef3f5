/* Built and linked as a program of libmlp 1.4's time: its call of mlp_net_predict
 * carries no symbol version. On a library with versions it binds to the oldest,
 * mlp_net_predict@MLP_1.0, which runs the network alone; mlp_net_predict_raw (the
 * model with its scaling, then as now) shows the difference. A network of one
 * identity node, weight 1, bias 0, with input scaling fitted on 1, 3 (shift 2,
 * scale 1): the network alone gives x, the model (x - 2) / 1. Prints both for x = 5. */
#include <stdio.h>

#include <mlp.h>

int main(void)
{
    const mlp_layer_spec layer = MLP_LAYER(1, MLP_ACT_IDENTITY, 1);
    mlp_net *net;
    mlp_workspace *ws;
    if (mlp_net_create(&net, 1, &layer, 1) != MLP_OK) return 1;
    const double w = 1, b = 0, rows[2] = {1, 3}, x = 5;
    mlp_net_set_weights(net, 0, &w, 1);
    mlp_net_set_bias(net, 0, &b, 1);
    /* a 1.4 dataset: no shape (struct_size up to n) */
    const mlp_dataset d = {.struct_size = offsetof(mlp_dataset, n_inputs), .x = rows, .n = 2};
    if (mlp_net_fit_scaling(net, MLP_SCALE_STANDARD, MLP_SCALE_NONE, &d) != MLP_OK ||
        mlp_workspace_create(&ws, net, 1) != MLP_OK)
        return 1;
    double alone, model;
    if (mlp_net_predict(net, ws, &alone, &x, 1) != MLP_OK ||
        mlp_net_predict_raw(net, ws, &model, &x, 1) != MLP_OK)
        return 1;
    printf("predict %g raw %g\n", alone, model);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    return 0;
}
