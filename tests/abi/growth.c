/* A program built against this header, run by check_growth.sh on the library
 * built from it and on a simulated next minor release whose every struct has one more field.
 * It passes each struct the library reads (its structs are shorter than the next release's)
 * and each struct the library writes (with guard bytes after it), trains, saves
 * and loads, and prints what it got on stdout: both runs must print the same,
 * and no guard byte may change. The library's version goes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mlp.h>

enum { GUARD = 64 };

static int failures;

static void check(mlp_status s, const char *what)
{
    if (s != MLP_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, mlp_strerror(s), mlp_error_detail());
        exit(1);
    }
}

/* Every byte after a struct the library wrote must still be the guard value. */
static void guarded(const unsigned char *after, const char *what)
{
    for (int i = 0; i < GUARD; i++)
        if (after[i] != 0xA5) {
            fprintf(stderr, "FAIL: the library wrote past the end of %s (byte %d)\n", what, i);
            failures++;
            return;
        }
}

#define BOX(type)                                                                          \
    struct {                                                                               \
        type s;                                                                            \
        unsigned char after[GUARD];                                                        \
    }

static int report(const mlp_epoch_report *r, void *user)
{
    (void)user;
    /* the library hands its own struct: at least as large as this program's */
    if (r->struct_size < sizeof *r) {
        fprintf(stderr, "FAIL: an epoch report of %zu bytes\n", r->struct_size);
        failures++;
    }
    printf("epoch %zu loss %a val %a metric %a lr %a\n", r->epoch, r->loss, r->val_loss,
           r->metric, r->learning_rate);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "growth.mlp";
    fprintf(stderr, "runs on libmlp %s\n", mlp_version());

    /* structs the library fills: nothing past their end may change */
    BOX(mlp_layer_spec) spec;
    BOX(mlp_dataset) data;
    BOX(mlp_optimizer) opt, got;
    BOX(mlp_fit_options) fit;
    BOX(mlp_fit_result) res;
    BOX(mlp_provenance) prov;
    BOX(mlp_blas_info) info;
    memset(&spec, 0xA5, sizeof spec);
    memset(&data, 0xA5, sizeof data);
    memset(&opt, 0xA5, sizeof opt);
    memset(&got, 0xA5, sizeof got);
    memset(&fit, 0xA5, sizeof fit);
    memset(&res, 0xA5, sizeof res);
    memset(&prov, 0xA5, sizeof prov);
    memset(&info, 0xA5, sizeof info);
    check(mlp_layer_spec_init(&spec.s, sizeof spec.s), "mlp_layer_spec_init");
    check(mlp_dataset_init(&data.s, sizeof data.s), "mlp_dataset_init");
    check(mlp_optimizer_init(&opt.s, sizeof opt.s, MLP_OPT_ADAM), "mlp_optimizer_init");
    check(mlp_optimizer_init(&got.s, sizeof got.s, MLP_OPT_SGD), "mlp_optimizer_init");
    check(mlp_fit_options_init(&fit.s, sizeof fit.s), "mlp_fit_options_init");
    check(mlp_fit_result_init(&res.s, sizeof res.s), "mlp_fit_result_init");
    check(mlp_provenance_init(&prov.s, sizeof prov.s), "mlp_provenance_init");
    check(mlp_blas_info_init(&info.s, sizeof info.s), "mlp_blas_info_init");
    printf("defaults: bias %d, lr %a, beta2 %a, epochs %zu, batch %zu, bound %a\n", spec.s.bias,
           opt.s.learning_rate, opt.s.beta2, fit.s.epochs, fit.s.batch_size,
           fit.s.max_abs_weight);

    /* structs the library reads: an array of layer specs (its stride is this
     * program's struct size), datasets, optimizer and fit settings */
    const mlp_layer_spec layers[3] = {MLP_LAYER(6, MLP_ACT_GELU, 1), MLP_LAYER(5, MLP_ACT_TANH, 0),
                                      MLP_LAYER(2, MLP_ACT_SOFTMAX, 1)};
    mlp_net *net;
    check(mlp_net_create(&net, 3, layers, 3), "mlp_net_create");
    check(mlp_net_init(net, MLP_INIT_XAVIER, 3), "mlp_net_init");
    check(mlp_net_layer(net, 1, &spec.s, NULL), "mlp_net_layer");
    printf("layer 1: %zu %s bias %d\n", spec.s.size, mlp_activation_name(spec.s.activation),
           spec.s.bias);

    enum { N = 40 };
    double x[N * 3], y[N * 2];
    unsigned long long r = 12345;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 3; j++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            x[i * 3 + j] = (double)(r >> 11) * 0x1.0p-53 * 2 - 1;
        }
        const int c = x[i * 3] + x[i * 3 + 1] * x[i * 3 + 2] > 0;
        y[i * 2] = c;
        y[i * 2 + 1] = 1 - c;
    }
    data.s.x = x;
    data.s.y = y;
    data.s.n = 30;
    data.s.n_inputs = 3;
    data.s.n_targets = 2;
    const mlp_dataset val = MLP_DATASET(x + 30 * 3, 3, y + 30 * 2, 2, 10);

    opt.s.learning_rate = 0.02;
    opt.s.schedule = MLP_SCHEDULE_COSINE;
    opt.s.schedule_cosine_epochs = 6;
    mlp_trainer *tr;
    check(mlp_trainer_create(&tr, net, MLP_LOSS_CATEGORICAL_CROSSENTROPY, &opt.s, 4),
          "mlp_trainer_create");
    fit.s.epochs = 8;
    fit.s.batch_size = 8;
    fit.s.seed = 5;
    fit.s.validation = &val;
    fit.s.patience = 20;
    fit.s.callback = report;
    check(mlp_trainer_fit(tr, &res.s, &data.s, &fit.s), "mlp_trainer_fit");
    printf("fit: %zu epochs, best %zu (%a), stop %d, last lr %a\n", res.s.epochs_run,
           res.s.best_epoch, res.s.best_loss, (int)res.s.stop,
           res.s.learning_rate[res.s.epochs_run - 1]);

    opt.s.learning_rate = 0.01;
    check(mlp_trainer_set_optimizer(tr, &opt.s), "mlp_trainer_set_optimizer");
    check(mlp_trainer_get_optimizer(tr, &got.s), "mlp_trainer_get_optimizer");
    double loss;
    check(mlp_trainer_reserve(tr, val.n), "mlp_trainer_reserve");
    check(mlp_trainer_step(tr, &loss, &val), "mlp_trainer_step");
    printf("step: loss %a, optimizer %s lr %a, schedule %s\n", loss,
           mlp_optimizer_name(got.s.kind), got.s.learning_rate, mlp_schedule_name(got.s.schedule));

    check(mlp_net_save(net, path), "mlp_net_save");
    mlp_net *back;
    check(mlp_net_load(&back, path), "mlp_net_load");
    check(mlp_net_provenance(back, &prov.s, &got.s), "mlp_net_provenance");
    printf("provenance: trained %d, %s, seed %llu, batch %zu, epochs %zu, %s cosine %zu\n",
           prov.s.trained, mlp_loss_name(prov.s.loss), prov.s.seed, prov.s.batch_size,
           prov.s.epochs, mlp_optimizer_name(got.s.kind), got.s.schedule_cosine_epochs);
    const double *p = mlp_net_params_const(back);
    for (size_t i = 0; i < mlp_net_n_params(back); i++) printf("%a\n", p[i]);
    check(mlp_blas_get_info(&info.s), "mlp_blas_get_info");
    printf("blas: %s\n", info.s.provider);

    guarded(spec.after, "mlp_layer_spec");
    guarded(data.after, "mlp_dataset");
    guarded(opt.after, "mlp_optimizer");
    guarded(got.after, "mlp_optimizer");
    guarded(fit.after, "mlp_fit_options");
    guarded(res.after, "mlp_fit_result");
    guarded(prov.after, "mlp_provenance");
    guarded(info.after, "mlp_blas_info");
    mlp_net_free(back);
    mlp_trainer_free(tr);
    mlp_net_free(net);
    return failures == 0 ? 0 : 1;
}
