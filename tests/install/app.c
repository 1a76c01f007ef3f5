/* Built outside the tree against an installed libmlp: the tutorial's first
 * network, input [2 3] -> hidden [5 1] -> output 9. */
#include <stdio.h>

#include <mlp.h>

int main(void)
{
    const mlp_layer_spec layers[2] = {MLP_LAYER(2, MLP_ACT_IDENTITY, 0),
                                      MLP_LAYER(1, MLP_ACT_IDENTITY, 0)};
    const double hidden_w[4] = {1, 1, -1, 1}, output_w[2] = {2, -1}, x[2] = {2, 3};
    mlp_net *net;
    mlp_workspace *ws;
    double y;
    if (mlp_net_create(&net, 2, layers, 2) != MLP_OK ||
        mlp_net_set_weights(net, 0, hidden_w, 4) != MLP_OK ||
        mlp_net_set_weights(net, 1, output_w, 2) != MLP_OK ||
        mlp_workspace_create(&ws, net, 1) != MLP_OK || mlp_net_predict(net, ws, &y, x, 1) != MLP_OK) {
        fprintf(stderr, "install_app: %s\n", mlp_error_detail());
        return 1;
    }
    printf("libmlp %s: %g\n", mlp_version(), y);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    return 0;
}
