/* Writes the seed corpus of fuzz_load: valid files of several shapes, a
 * checkpoint, and files cut short. Run from tests/fuzz: ./make_corpus corpus/load */
#define _GNU_SOURCE /* fmemopen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

/* A dataset as a program built against libmlp 1.4 passes it (no shape: the network
 * here has whatever shape the bytes gave it, and the buffers hold the most it reads). */
#define TU_DATA(x, y, n) \
    (&(const mlp_dataset){offsetof(mlp_dataset, n_inputs), (x), (y), (n), 0, 0, 0, NULL, NULL, NULL})

static void write_file(const char *dir, const char *name, const void *b, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, n, f) != n) exit(1);
    fclose(f);
}

static void save_net(const char *dir, const char *name, const mlp_net *net)
{
    size_t n;
    mlp_net_save_buffer(net, NULL, 0, &n);
    unsigned char *b = malloc(n);
    mlp_net_save_buffer(net, b, n, &n);
    write_file(dir, name, b, n);
    char cut[64];
    snprintf(cut, sizeof cut, "%s-cut", name);
    write_file(dir, cut, b, n / 2);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    const char *dir = argv[1];
    const mlp_layer_spec a[2] = {MLP_LAYER(3, MLP_ACT_RELU, 1), MLP_LAYER(1, MLP_ACT_IDENTITY, 0)};
    const mlp_layer_spec b[3] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_LAYER(3, MLP_ACT_ELU, 0),
                                 MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    const mlp_layer_spec c[1] = {MLP_LAYER(1, MLP_ACT_SIGMOID, 1)};
    mlp_net *na, *nb, *nc;
    mlp_net_create(&na, 2, a, 2);
    mlp_net_create(&nb, 3, b, 3);
    mlp_net_create(&nc, 1, c, 1);
    mlp_net_init(nb, MLP_INIT_ORTHOGONAL, 1);
    save_net(dir, "relu-2-3-1", na);
    save_net(dir, "tanh-elu-softmax", nb);

    /* trained: provenance and a loss history */
    mlp_optimizer o;
    mlp_optimizer_init(&o, sizeof o, MLP_OPT_ADAM);
    mlp_trainer *tr;
    mlp_trainer_create(&tr, nc, MLP_LOSS_BINARY_CROSSENTROPY, &o, 4);
    const double x[4] = {-1, -0.5, 0.5, 1}, t[4] = {0, 0, 1, 1};
    mlp_fit_options f;
    mlp_fit_options_init(&f, sizeof f);
    f.epochs = 3;
    mlp_trainer_fit(tr, NULL, TU_DATA(x, t, 4), &f);
    save_net(dir, "sigmoid-trained", nc);
    char path[512];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    mlp_trainer_save(tr, path);
    mlp_trainer_free(tr);

    /* a layer normalization (format 6), and a checkpoint of it after a step */
    const mlp_layer_spec d[3] = {MLP_LAYER(4, MLP_ACT_IDENTITY, 1), MLP_LAYERNORM(MLP_ACT_RELU),
                                 MLP_LAYER(2, MLP_ACT_IDENTITY, 0)};
    mlp_net *nd;
    mlp_net_create(&nd, 2, d, 3);
    save_net(dir, "dense-layernorm-dense", nd);
    mlp_trainer_create(&tr, nd, MLP_LOSS_MSE, &o, 4);
    const double xd[8] = {-1, 1, -0.5, 0.5, 0.5, -0.5, 1, -1}, td[8] = {0, 1, 1, 0, 0, 1, 1, 0};
    mlp_trainer_step(tr, NULL, TU_DATA(xd, td, 4));
    snprintf(path, sizeof path, "%s/checkpoint-layernorm", dir);
    mlp_trainer_save(tr, path);
    mlp_trainer_free(tr);

    /* a dropout (format 6), and a checkpoint of it after a step */
    const mlp_layer_spec e[3] = {MLP_LAYER(4, MLP_ACT_TANH, 1), MLP_DROPOUT(0.25),
                                 MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *ne;
    mlp_net_create(&ne, 2, e, 3);
    save_net(dir, "dense-dropout-dense", ne);
    mlp_trainer_create(&tr, ne, MLP_LOSS_MSE, &o, 4);
    mlp_trainer_step(tr, NULL, TU_DATA(xd, td, 4));
    snprintf(path, sizeof path, "%s/checkpoint-dropout", dir);
    mlp_trainer_save(tr, path);
    mlp_trainer_free(tr);
    mlp_net_free(ne);

    /* a batch normalization (format 6, its running values after the parameters), and
     * a checkpoint of it after a step */
    const mlp_layer_spec g[3] = {MLP_LAYER(4, MLP_ACT_IDENTITY, 1), MLP_BATCHNORM(MLP_ACT_RELU),
                                 MLP_LAYER(2, MLP_ACT_IDENTITY, 1)};
    mlp_net *ng;
    mlp_net_create(&ng, 2, g, 3);
    mlp_trainer_create(&tr, ng, MLP_LOSS_MSE, &o, 4);
    mlp_trainer_step(tr, NULL, TU_DATA(xd, td, 4));
    save_net(dir, "dense-batchnorm-dense", ng);
    snprintf(path, sizeof path, "%s/checkpoint-batchnorm", dir);
    mlp_trainer_save(tr, path);
    mlp_trainer_free(tr);
    mlp_net_free(ng);

    /* a model with a table's columns (format 8): a category column with a missing
     * category, a number with an indicator, the class labels */
    const char table[] = "c,x,y\nred,1,a\nblue,,b\n,3,a\nred,4,b\n";
    FILE *tf = fmemopen((void *)table, sizeof table - 1, "r");
    mlp_csv_options co;
    mlp_csv_options_init(&co, sizeof co);
    co.missing_indicators = 1;
    mlp_table *tab = NULL;
    if (tf == NULL || mlp_table_read_csv_file(&tab, tf, "columns", &co) != MLP_OK) return 1;
    fclose(tf);
    const mlp_layer_spec h[2] = {MLP_LAYER(3, MLP_ACT_TANH, 1), MLP_LAYER(1, MLP_ACT_SIGMOID, 1)};
    mlp_net *nh;
    mlp_net_create(&nh, mlp_table_n_inputs(tab), h, 2);
    mlp_net_set_table_names(nh, tab);
    save_net(dir, "columns", nh);
    mlp_net_free(nh);
    mlp_table_free(tab);
    mlp_net_free(na);
    mlp_net_free(nb);
    mlp_net_free(nc);
    mlp_net_free(nd);
    return 0;
}
