/* Loss and metric over rows, predicted as when validating: the one evaluation a fit's
 * epochs and a sharded fit's shards both use.
 *
 * A typed source (lib/core/typed.h): built for float64 and for float32; the sums are
 * double in both. */
#include "train.h"
#include "../core/typed.h"

/* Sum over rows of the epoch metric: correct rows for the losses measured by
 * accuracy, mean absolute error per row for the others; divided by the row count
 * by the caller. */
double MLP__T(mlp__metric_sum)(mlp_loss loss, const real *a, const real *t, size_t n, size_t k)
{
    if (mlp__loss(loss)->accuracy_metric) return MLP__T(mlp__accuracy)(a, t, n, k) * (double)n;
    double sum = 0.0;
    for (size_t i = 0; i < n * k; i++) sum += (double)fabs(a[i] - t[i]);
    return sum / (double)k;
}

/* Summed loss and metric of n rows, in chunks of `chunk` rows (at most the trainer's
 * capacity). */
void MLP__T(mlp__evaluate_sums)(mlp_trainer *tr, double *lsum, double *msum, const real *x,
                                const real *y, const double *w, size_t n, size_t chunk)
{
    const mlp_net *net = tr->net;
    const MLP__T(mlp__loss_kind) *lk = MLP__T(mlp__loss)(tr->loss);
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net), last = net->n_layers - 1;
    double l = 0.0, m = 0.0;
    for (size_t r = 0; r < n; r += chunk) {
        const size_t rows = n - r < chunk ? n - r : chunk;
        const real *t = y + r * k;
        MLP__T(mlp__forward)(net, tr->ws, x + r * in, rows, lk->uses_logits ? MLP__KEEP_LOGITS : 0);
        l += lk->value(tr->ws->MLP__T(act)[last], tr->ws->MLP__T(z)[last], t,
                       w != NULL ? w + r : NULL, rows, k) *
             (double)rows;
        m += MLP__T(mlp__metric_sum)(tr->loss, tr->ws->MLP__T(act)[last], t, rows, k);
    }
    *lsum = l;
    *msum = m;
}
