/*
 * The tutorial libmlp started from (README.md, "Where it starts"), section by section, with
 * libmlp doing every computation. Every value the tutorial prints is printed
 * here, in its order, the way numpy and Python print it.
 *
 * Usage: tutorial [OUTPUT_DIR]
 *   The last section writes OUTPUT_DIR/mse_history.csv (default: the current
 *   directory) and, when gnuplot is installed, OUTPUT_DIR/mse_history.png.
 */
#define _POSIX_C_SOURCE 200809L /* popen, pclose */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

/* ---- printing as numpy and Python do ------------------------------------- */

/* An integer numpy array: elements right-aligned to a common width, "[ 0 52]". */
static void print_int_array(const double *v, size_t n)
{
    char cell[32][24];
    int width = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        int w = snprintf(cell[i], sizeof cell[i], "%lld", (long long)llround(v[i]));
        if (w > width) width = w;
    }
    printf("[");
    for (size_t i = 0; i < n && i < 32; i++) printf("%s%*s", i ? " " : "", width, cell[i]);
    printf("]\n");
}

/* A float numpy array in numpy's default style (precision 8, trailing zeros
 * dropped, fractions padded to a common length): "[0.9999092  0.76159416]".
 * Fixed notation only, which is all the tutorial needs. */
static void print_float_array(const double *v, size_t n)
{
    char cell[32][40];
    int int_w = 0, frac_w = 0;
    for (size_t i = 0; i < n && i < 32; i++) {
        snprintf(cell[i], sizeof cell[i], "%.8f", v[i]);
        char *dot = strchr(cell[i], '.');
        char *end = cell[i] + strlen(cell[i]);
        while (end > dot + 1 && end[-1] == '0') *--end = '\0';
        if (end == dot + 1 && dot[1] == '0') dot[1] = '\0'; /* 1.0 prints as "1." */
        int iw = (int)(dot - cell[i]), fw = (int)strlen(dot + 1);
        if (iw > int_w) int_w = iw;
        if (fw > frac_w) frac_w = fw;
    }
    printf("[");
    for (size_t i = 0; i < n && i < 32; i++) {
        char *dot = strchr(cell[i], '.');
        int iw = (int)(dot - cell[i]), fw = (int)strlen(dot + 1);
        printf("%s%*s%s%*s", i ? " " : "", int_w - iw, "", cell[i], frac_w - fw, "");
    }
    printf("]\n");
}

/* A Python list of integers: "[20, 6, 0, 44]". */
static void print_int_list(const double *v, size_t n)
{
    printf("[");
    for (size_t i = 0; i < n; i++) printf("%s%lld", i ? ", " : "", (long long)llround(v[i]));
    printf("]\n");
}

/* The tutorial ran on Python 2, whose print shows a float with 12 significant digits. */
static void print_float(double v) { printf("%.12g\n", v); }

static void print_int(double v) { printf("%lld\n", (long long)llround(v)); }

static void section(const char *chapter, const char *title)
{
    printf("\n== %s: %s\n", chapter, title);
}

/* ---- building the tutorial's hand-set networks ---------------------------- */

static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "tutorial: %s: %s (%s)\n", what, mlp_strerror(s), mlp_error_detail());
        exit(1);
    }
}

/* A network of 2 inputs, dense layers of the given sizes, no bias, with weights
 * given per layer as the row-major (out, in) matrix: row j is weights['node_j']. */
static mlp_net *hand_net(size_t n_layers, const size_t *sizes, mlp_activation hidden,
                         mlp_activation output, const double *const *weights)
{
    mlp_layer_spec spec[4];
    for (size_t l = 0; l < n_layers; l++) {
        spec[l] = (mlp_layer_spec)MLP_LAYER(sizes[l], l + 1 < n_layers ? hidden : output, 0);
    }
    mlp_net *net;
    check(mlp_net_create(&net, 2, spec, n_layers), "mlp_net_create");
    size_t in = 2;
    for (size_t l = 0; l < n_layers; l++) {
        check(mlp_net_set_weights(net, l, weights[l], sizes[l] * in), "mlp_net_set_weights");
        in = sizes[l];
    }
    return net;
}

/* The one-hidden-layer network of chapter 1: node_0, node_1, output. */
static mlp_net *net_2_2_1(const double node_0[2], const double node_1[2], const double out[2],
                          mlp_activation hidden, mlp_activation output)
{
    const double w1[4] = {node_0[0], node_0[1], node_1[0], node_1[1]};
    const double *w[2] = {w1, out};
    const size_t sizes[2] = {2, 1};
    return hand_net(2, sizes, hidden, output, w);
}

/* Predict n rows and return the output column in y; the workspace keeps the
 * hidden layer values for the caller to print. */
static void predict(const mlp_net *net, mlp_workspace **ws, double *y, const double *x, size_t n)
{
    mlp_workspace_free(*ws);
    check(mlp_workspace_create(ws, net, n), "mlp_workspace_create");
    check(mlp_net_predict(net, *ws, y, x, n), "mlp_net_predict");
}

static void print_hidden(const mlp_workspace *ws, size_t layer, int as_int)
{
    const double *v;
    size_t rows, cols;
    check(mlp_workspace_layer_output(ws, layer, &v, &rows, &cols), "mlp_workspace_layer_output");
    (as_int ? print_int_array : print_float_array)(v, rows * cols);
}

/* ---- the chapters ----------------------------------------------------------- */

static void chapter_1(void)
{
    mlp_workspace *ws = NULL;
    double y[4];

    section("01 Basics", "Forward propagation");
    {
        const double x[2] = {2, 3};
        mlp_net *net = net_2_2_1((double[]){1, 1}, (double[]){-1, 1}, (double[]){2, -1},
                                 MLP_ACT_IDENTITY, MLP_ACT_IDENTITY);
        predict(net, &ws, y, x, 1);
        print_hidden(ws, 0, 1);
        print_int(y[0]);
        mlp_net_free(net);
    }

    section("01 Basics", "Activation functions (tanh)");
    {
        const double x[2] = {2, 3};
        mlp_net *net = net_2_2_1((double[]){1, 1}, (double[]){-1, 1}, (double[]){2, -1},
                                 MLP_ACT_TANH, MLP_ACT_IDENTITY);
        predict(net, &ws, y, x, 1);
        print_hidden(ws, 0, 0);
        print_float(y[0]);
        mlp_net_free(net);
    }

    section("01 Basics", "The rectified linear activation function (ReLU)");
    {
        const double x[2] = {-1, 2};
        mlp_net *net = net_2_2_1((double[]){3, 3}, (double[]){1, 5}, (double[]){2, -1},
                                 MLP_ACT_RELU, MLP_ACT_IDENTITY);
        predict(net, &ws, y, x, 1);
        print_hidden(ws, 0, 1);
        print_int(y[0]);
        mlp_net_free(net);
    }

    section("01 Basics", "Applying the network to many observations/rows of data");
    {
        /* predict_with_network() applies relu at the output too; all four rows go
         * through in one batch: one dgemm per layer. */
        const double x[8] = {3, 5, 2, -1, 0, 0, 8, 4};
        mlp_net *net = net_2_2_1((double[]){3, 3}, (double[]){1, 5}, (double[]){2, -1},
                                 MLP_ACT_RELU, MLP_ACT_RELU);
        predict(net, &ws, y, x, 4);
        print_int_list(y, 4);
        mlp_net_free(net);
    }

    section("01 Basics", "Multi-layer neural networks");
    {
        const double x[2] = {3, 5};
        const double w1[4] = {2, 4, 4, -5}; /* node_0_0, node_0_1 */
        const double w2[4] = {-1, 1, 2, 2}; /* node_1_0, node_1_1 */
        const double w3[2] = {-3, 7};       /* output */
        const double *w[3] = {w1, w2, w3};
        const size_t sizes[3] = {2, 2, 1};
        mlp_net *net = hand_net(3, sizes, MLP_ACT_RELU, MLP_ACT_IDENTITY, w);
        predict(net, &ws, y, x, 1);
        print_hidden(ws, 0, 1);
        print_hidden(ws, 1, 1);
        print_int(y[0]);
        mlp_net_free(net);
    }
    mlp_workspace_free(ws);
}

static void chapter_2(const char *out_dir)
{
    mlp_workspace *ws = NULL;
    const double w0_node_0[2] = {2, 1}, w0_node_1[2] = {1, 2}, w0_out[2] = {1, 1};

    section("02 Optimization", "How weight changes affect accuracy");
    {
        const double x[2] = {0, 3}, target = 3;
        mlp_net *net0 = net_2_2_1(w0_node_0, w0_node_1, w0_out, MLP_ACT_RELU, MLP_ACT_RELU);
        mlp_net *net1 = net_2_2_1(w0_node_0, (double[]){1, 0}, w0_out, MLP_ACT_RELU, MLP_ACT_RELU);
        double out0, out1, err0, err1;
        predict(net0, &ws, &out0, x, 1);
        predict(net1, &ws, &out1, x, 1);
        check(mlp_loss_error(&err0, &out0, &target, 1), "mlp_loss_error");
        check(mlp_loss_error(&err1, &out1, &target, 1), "mlp_loss_error");
        print_int(err0);
        print_int(err1);
        mlp_net_free(net0);
        mlp_net_free(net1);
    }

    section("02 Optimization", "Scaling up to multiple data points");
    {
        const double x[8] = {0, 3, 1, 2, -1, -2, 4, 0};
        const double targets[4] = {1, 3, 5, 7};
        mlp_net *net0 = net_2_2_1(w0_node_0, w0_node_1, w0_out, MLP_ACT_RELU, MLP_ACT_RELU);
        mlp_net *net1 = net_2_2_1(w0_node_0, (double[]){1, 1.5}, (double[]){1, 1.5},
                                  MLP_ACT_RELU, MLP_ACT_RELU);
        double out0[4], out1[4], mse0, mse1;
        predict(net0, &ws, out0, x, 4);
        predict(net1, &ws, out1, x, 4);
        check(mlp_loss_mse(&mse0, out0, targets, 4), "mlp_loss_mse");
        check(mlp_loss_mse(&mse1, out1, targets, 4), "mlp_loss_mse");
        print_int_list(targets, 4);
        printf("Mean squared error with weights_0: %f\n", mse0);
        printf("Mean squared error with weights_1: %f\n", mse1);
        mlp_net_free(net0);
        mlp_net_free(net1);
    }
    mlp_workspace_free(ws);

    /* The linear model of the gradient descent sections: one node, no activation. */
    double weights[3] = {0, 2, 1};
    const double input[3] = {1, 2, 3};
    const double target = 0;
    double preds, error, slope[3];

    section("02 Optimization", "Gradient descent_01 Calculating slopes");
    check(mlp_linear_predict(&preds, input, weights, 1, 3), "mlp_linear_predict");
    check(mlp_loss_error(&error, &preds, &target, 1), "mlp_loss_error");
    check(mlp_linear_slope(slope, input, &error, 1, 3), "mlp_linear_slope");
    print_int_array(slope, 3);

    section("02 Optimization", "Gradient descent_02 Improving model weights");
    {
        const double learning_rate = 0.01;
        double updated[3], preds_updated, error_updated;
        memcpy(updated, weights, sizeof updated);
        check(mlp_linear_update(updated, slope, 3, learning_rate), "mlp_linear_update");
        check(mlp_linear_predict(&preds_updated, input, updated, 1, 3), "mlp_linear_predict");
        check(mlp_loss_error(&error_updated, &preds_updated, &target, 1), "mlp_loss_error");
        print_int(error);
        print_float(error_updated);
    }

    section("02 Optimization", "Gradient descent_03 Making multiple updates to weights");
    {
        enum { n_updates = 20 };
        double mse_hist[n_updates];
        check(mlp_linear_descend(weights, mse_hist, input, &target, 1, 3, 0.01, n_updates),
              "mlp_linear_descend");
        for (int k = 0; k < n_updates; k++) printf("iteration %2d: mse %.12g\n", k + 1, mse_hist[k]);

        char csv[4096], png[4096];
        snprintf(csv, sizeof csv, "%s/mse_history.csv", out_dir);
        snprintf(png, sizeof png, "%s/mse_history.png", out_dir);
        FILE *f = fopen(csv, "w");
        if (f == NULL) {
            perror(csv);
            exit(1);
        }
        fprintf(f, "iteration,mse\n");
        for (int k = 0; k < n_updates; k++) fprintf(f, "%d,%.17g\n", k + 1, mse_hist[k]);
        if (fclose(f) != 0) {
            perror(csv);
            exit(1);
        }
        printf("wrote %s\n", csv);

        /* The tutorial plots the history; gnuplot does that here when it is installed. */
        if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
            FILE *gp = popen("gnuplot", "w");
            if (gp != NULL) {
                fprintf(gp,
                        "set terminal png size 640,480\n"
                        "set output '%s'\n"
                        "set datafile separator ','\n"
                        "set xlabel 'Iterations'\n"
                        "set ylabel 'Mean Squared Error'\n"
                        "set key off\n"
                        "plot '%s' using 1:2 skip 1 with linespoints\n",
                        png, csv);
                if (pclose(gp) == 0) printf("wrote %s\n", png);
            }
        } else {
            printf("gnuplot is not installed: no plot\n");
        }
    }
}

int main(int argc, char **argv)
{
    printf("The tutorial, computed by libmlp\n");
    chapter_1();
    chapter_2(argc > 1 ? argv[1] : ".");
    return 0;
}
