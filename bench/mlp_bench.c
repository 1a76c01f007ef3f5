/*
 * libmlp's timed programs: for each workload, op and batch size, libmlp against
 * its dgemm floor (the same cblas_dgemm calls with the same shapes, nothing
 * else), timed in this process; plus the machine's square-dgemm rate. A workload
 * named with _f32 (mnist_f32) is its float32 network, against the same calls to
 * cblas_sgemm: its rows come and go as floats (mlp_net_predict_f32, MLP_DATASET_F32),
 * as a float32 program keeps them and as the float32 peers take them. One named with
 * _bf16 (mnist_bf16) is forward only: a bfloat16 predictor made from the float32 network
 * (mlp_predictor_create), on float rows, against the float32 network's sgemm floor; skipped
 * with a note where this build or CPU has no bfloat16 (mlp_precision_supported).
 *
 * Output: CSV rows on stdout, "impl,workload,op,batch,threads,ns_per_sample,gflops,
 * ratio,ratio_lo,ratio_hi,outside_ns_per_sample";
 * progress on stderr. The thread count is the BLAS's (OPENBLAS_NUM_THREADS,
 * set by bench/run); it is only recorded here.
 *
 * Usage: mlp_bench [--min-time S] [--workloads a,b] [--ops a,b] [--batches 1,8,...]
 *                  [--threads N] [--square N] [--rounds R] [--optimizer NAME] [--info]
 *                  [--serve] [--export-onnx DIR]
 * libmlp and the floor are timed in alternation, R rounds per cell (default 5):
 * the row of libmlp carries the median ratio to the floor, the lowest and highest
 * round's ratio, and the median time per sample spent outside the floor's calls
 * (the bias, activations, derivatives, loss and update: the serial fraction when
 * they do not scale with the threads).
 * --export-onnx DIR writes each workload's network (float64 and _f32), as the cells
 * make it, to DIR/WORKLOAD.onnx for the ONNX Runtime peer (bench/ort_peer.js).
 * --optimizer times train with another optimizer than plain SGD (the floor stays
 * the dgemm calls of a plain SGD step: the ratio then shows the update's cost).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <mlp.h>

#include "bench_common.h"
#include "workloads.h"

typedef struct cell {
    const workload *w;
    int f32;  /* the float32 network, its floor sgemm */
    int bf16; /* forward through a bfloat16 predictor of that network */
    mlp_predictor *pred;
    mlp_workspace *pws;
    size_t batch;
    mlp_net *net;
    mlp_workspace *ws;
    mlp_trainer *tr;
    double *x, *y, *t;
    /* the floor's buffers: per layer A (batch, out), and two (batch, max width) */
    double *a[4], *d0, *d1, *grad;
    /* a float32 floor's: the same, and the inputs, as floats */
    float *af[4], *d0f, *d1f, *gradf, *xf;
    float *yf, *tf; /* the float32 network's outputs and targets */
} cell;

/* The names' suffixes of the precisions: float64 (none), float32, bfloat16. */
static const char *const suffix[] = {"", "_f32", "_bf16"};

/* A workload by name, and its precision (0 float64, 1 float32: name_f32, 2 bfloat16:
 * name_bf16). */
static const workload *find_workload(const char *name, int *prec)
{
    const size_t n = strlen(name);
    for (*prec = 2; *prec > 0; (*prec)--) {
        const size_t k = strlen(suffix[*prec]);
        if (n > k && !strcmp(name + n - k, suffix[*prec])) break;
    }
    const size_t base = n - strlen(suffix[*prec]);
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (strlen(workloads[i].name) == base && !strncmp(workloads[i].name, name, base))
            return &workloads[i];
    return NULL;
}

static void run_forward(void *p)
{
    cell *c = p;
    const mlp_status s =
        c->bf16  ? mlp_predictor_predict_f32(c->pred, c->pws, c->yf, c->xf, c->batch)
        : c->f32 ? mlp_net_predict_f32(c->net, c->ws, c->yf, c->xf, c->batch)
                 : mlp_net_predict(c->net, c->ws, c->y, c->x, c->batch);
    if (s != MLP_OK) abort();
}

static void run_train(void *p)
{
    cell *c = p;
    double loss;
    const size_t in = mlp_net_n_inputs(c->net), out = mlp_net_n_outputs(c->net);
    const mlp_dataset batch = c->f32 ? (mlp_dataset)MLP_DATASET_F32(c->xf, in, c->tf, out, c->batch)
                                     : (mlp_dataset)MLP_DATASET(c->x, in, c->t, out, c->batch);
    if (mlp_trainer_step(c->tr, &loss, &batch) != MLP_OK) abort();
}

/* The sgemm calls of a float32 network's forward pass, on its own weights. */
static void floor_forward_f32(cell *c)
{
    const workload *w = c->w;
    const float *params = mlp_net_params_f32_const(c->net), *prev = c->xf;
    size_t in = w->n_inputs, off = 0;
    const int n = (int)c->batch;
    for (size_t l = 0; l < w->n_layers; l++) {
        const size_t out = w->sizes[l];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, (int)out, (int)in, 1.0f, prev,
                    (int)in, params + off, (int)in, 0.0f, c->af[l], (int)out);
        off += in * out + out;
        prev = c->af[l];
        in = out;
    }
}

/* The dgemm calls libmlp's forward pass makes, on the network's own weights. */
static void floor_forward(void *p)
{
    cell *c = p;
    if (c->f32) {
        floor_forward_f32(c);
        return;
    }
    const workload *w = c->w;
    const double *params = mlp_net_params_const(c->net), *prev = c->x;
    size_t in = w->n_inputs, off = 0;
    const int n = (int)c->batch;
    for (size_t l = 0; l < w->n_layers; l++) {
        const size_t out = w->sizes[l];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, (int)out, (int)in, 1.0, prev,
                    (int)in, params + off, (int)in, 0.0, c->a[l], (int)out);
        off += in * out + out;
        prev = c->a[l];
        in = out;
    }
}

/* ... and those of a training step: forward, then per layer dW = dZᵀ·A_prev and,
 * below the first layer, dA_prev = dZ·W. */
static void floor_train(void *p)
{
    cell *c = p;
    const workload *w = c->w;
    floor_forward(p);
    const double *params = c->f32 ? NULL : mlp_net_params_const(c->net);
    size_t offs[4], ins[4], off = 0, in = w->n_inputs;
    for (size_t l = 0; l < w->n_layers; l++) {
        offs[l] = off;
        ins[l] = in;
        off += in * w->sizes[l] + w->sizes[l];
        in = w->sizes[l];
    }
    const int n = (int)c->batch;
    if (c->f32) {
        const float *pf = mlp_net_params_f32_const(c->net);
        for (size_t l = w->n_layers; l-- > 0;) {
            const int out = (int)w->sizes[l], lin = (int)ins[l];
            const float *a_prev = l > 0 ? c->af[l - 1] : c->xf;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, lin, n, 1.0f, c->d0f, out,
                        a_prev, lin, 0.0f, c->gradf + offs[l], lin);
            if (l > 0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, lin, out, 1.0f, c->d0f,
                            out, pf + offs[l], lin, 0.0f, c->d1f, lin);
        }
        return;
    }
    for (size_t l = w->n_layers; l-- > 0;) {
        const int out = (int)w->sizes[l], lin = (int)ins[l];
        const double *a_prev = l > 0 ? c->a[l - 1] : c->x;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, lin, n, 1.0, c->d0, out, a_prev,
                    lin, 0.0, c->grad + offs[l], lin);
        if (l > 0)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, lin, out, 1.0, c->d0, out,
                        params + offs[l], lin, 0.0, c->d1, lin);
    }
}

static double *filled(size_t n, uint64_t *rng, double lo, double hi)
{
    double *v = malloc((n > 0 ? n : 1) * sizeof *v);
    if (v == NULL) abort();
    for (size_t i = 0; i < n; i++) {
        *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = lo + (hi - lo) * (double)(*rng >> 11) * 0x1.0p-53;
    }
    return v;
}

/* The optimizer train steps use (--optimizer): plain SGD unless told. */
static mlp_optimizer_kind optimizer_kind = MLP_OPT_SGD;

/* n doubles as floats, in a new array */
static float *as_floats(const double *v, size_t n)
{
    float *f = malloc((n > 0 ? n : 1) * sizeof *f);
    if (f == NULL) abort();
    for (size_t i = 0; i < n; i++) f[i] = (float)v[i];
    return f;
}

/* A cell of workload w in precision prec (find_workload); 0 when a bfloat16 predictor
 * cannot be made here (the reason on stderr), the cell then empty. */
static int setup(cell *c, const workload *w, size_t batch, int prec)
{
    memset(c, 0, sizeof *c);
    if (prec == 2 && !mlp_precision_supported(MLP_PRECISION_BFLOAT16)) return 0;
    const int f32 = prec > 0;
    c->w = w;
    c->f32 = f32;
    c->bf16 = prec == 2;
    c->batch = batch;
    mlp_layer_spec spec[4];
    for (size_t l = 0; l < w->n_layers; l++)
        spec[l] = (mlp_layer_spec)MLP_LAYER(w->sizes[l],
                                            l + 1 < w->n_layers ? w->hidden : MLP_ACT_IDENTITY, 1);
    const size_t out = w->sizes[w->n_layers - 1];
    mlp_optimizer sgd;
    mlp_optimizer_init(&sgd, sizeof sgd, optimizer_kind);
    sgd.learning_rate = 1e-6; /* keeps the weights (and the timing) steady over many steps */
    if (mlp_net_create_precision(&c->net, w->n_inputs, spec, w->n_layers,
                                 f32 ? MLP_PRECISION_FLOAT32 : MLP_PRECISION_FLOAT64) != MLP_OK ||
        mlp_net_init(c->net, MLP_INIT_XAVIER, 1) != MLP_OK ||
        mlp_workspace_create(&c->ws, c->net, batch) != MLP_OK ||
        mlp_trainer_create(&c->tr, c->net, MLP_LOSS_MSE, &sgd, batch) != MLP_OK) {
        fprintf(stderr, "mlp_bench: setup: %s\n", mlp_error_detail());
        exit(1);
    }
    if (c->bf16 && (mlp_predictor_create(&c->pred, c->net, MLP_PRECISION_BFLOAT16) != MLP_OK ||
                    mlp_predictor_workspace_create(&c->pws, c->pred, batch) != MLP_OK)) {
        fprintf(stderr, "mlp_bench: setup: %s\n", mlp_error_detail());
        exit(1);
    }
    uint64_t rng = 42;
    c->x = filled(batch * w->n_inputs, &rng, -1, 1);
    c->t = filled(batch * out, &rng, -1, 1);
    c->y = filled(batch * out, &rng, 0, 0);
    size_t widest = w->n_inputs;
    for (size_t l = 0; l < w->n_layers; l++) {
        c->a[l] = filled(batch * w->sizes[l], &rng, 0, 0);
        if (w->sizes[l] > widest) widest = w->sizes[l];
    }
    c->d0 = filled(batch * widest, &rng, -1e-3, 1e-3);
    c->d1 = filled(batch * widest, &rng, 0, 0);
    c->grad = filled(mlp_net_n_params(c->net), &rng, 0, 0);
    if (f32) {
        c->xf = as_floats(c->x, batch * w->n_inputs);
        c->yf = as_floats(c->y, batch * out);
        c->tf = as_floats(c->t, batch * out);
        for (size_t l = 0; l < w->n_layers; l++) c->af[l] = as_floats(c->a[l], batch * w->sizes[l]);
        c->d0f = as_floats(c->d0, batch * widest);
        c->d1f = as_floats(c->d1, batch * widest);
        c->gradf = as_floats(c->grad, mlp_net_n_params(c->net));
    }
    return 1;
}

static void teardown(cell *c)
{
    mlp_workspace_free(c->pws);
    mlp_predictor_free(c->pred);
    mlp_trainer_free(c->tr);
    mlp_workspace_free(c->ws);
    mlp_net_free(c->net);
    free(c->x);
    free(c->y);
    free(c->t);
    for (size_t l = 0; l < 4; l++) free(c->a[l]);
    free(c->d0);
    free(c->d1);
    free(c->grad);
    for (size_t l = 0; l < 4; l++) free(c->af[l]);
    free(c->d0f);
    free(c->d1f);
    free(c->yf);
    free(c->tf);
    free(c->gradf);
    free(c->xf);
}

static double flops_per_sample(const workload *w, int train)
{
    double macs = 0;
    size_t in = w->n_inputs;
    for (size_t l = 0; l < w->n_layers; l++) {
        macs += (double)in * (double)w->sizes[l];
        in = w->sizes[l];
    }
    return (train ? 6.0 : 2.0) * macs;
}

/* The best GFLOP/s of square n x n products in bfloat16: a predictor of one dense
 * n-by-n layer (identity, no bias) on n rows, so oneDNN's product with the predictor's
 * rounding of the rows to bfloat16 around it (a few percent at n = 2048); 0 where
 * bfloat16 cannot run. */
static double square_gflops_bf16(size_t n, double min_time)
{
    const mlp_layer_spec spec[1] = {MLP_LAYER(n, MLP_ACT_IDENTITY, 0)};
    mlp_net *net = NULL;
    mlp_predictor *p = NULL;
    mlp_workspace *ws = NULL;
    double best = 0;
    if (mlp_net_create_precision(&net, n, spec, 1, MLP_PRECISION_FLOAT32) == MLP_OK &&
        mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16) == MLP_OK &&
        mlp_predictor_workspace_create(&ws, p, n) == MLP_OK) {
        uint64_t rng = 7;
        double *a = filled(n * n, &rng, -1, 1);
        float *af = as_floats(a, n * n), *cf = as_floats(a, n * n);
        const double t0 = now();
        for (int rounds = 0; rounds < 3 || now() - t0 < min_time; rounds++) {
            const double s = now();
            if (mlp_predictor_predict_f32(p, ws, cf, af, n) != MLP_OK) abort();
            const double g = 2.0 * (double)n * (double)n * (double)n / (now() - s) / 1e9;
            if (g > best) best = g;
        }
        free(a);
        free(af);
        free(cf);
    }
    mlp_workspace_free(ws);
    mlp_predictor_free(p);
    mlp_net_free(net);
    return best;
}

/* The best GFLOP/s of square n x n products: dgemm, or sgemm with f32. */
static double square_gflops(size_t n, double min_time, int f32)
{
    uint64_t rng = 7;
    double *a = filled(n * n, &rng, -1, 1), *b = filled(n * n, &rng, -1, 1),
           *c = filled(n * n, &rng, 0, 0);
    float *af = f32 ? as_floats(a, n * n) : NULL, *bf = f32 ? as_floats(b, n * n) : NULL,
          *cf = f32 ? as_floats(c, n * n) : NULL;
    double best = 0;
    const double t0 = now();
    int rounds = 0;
    while (rounds < 3 || now() - t0 < min_time) {
        const double s = now();
        if (f32)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f,
                        af, (int)n, bf, (int)n, 0.0f, cf, (int)n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0,
                        a, (int)n, b, (int)n, 0.0, c, (int)n);
        const double g = 2.0 * (double)n * (double)n * (double)n / (now() - s) / 1e9;
        if (g > best) best = g;
        rounds++;
    }
    free(a);
    free(b);
    free(c);
    free(af);
    free(bf);
    free(cf);
    return best;
}

/* libmlp and its floor timed in alternation, rounds times, each time for
 * min_time / (2 rounds): load that drifts during a cell reaches both alike. The
 * ratio of each round is kept; the report is the medians, the lowest and highest
 * round's ratio, and the median time outside the floor's calls. */
typedef struct interleaved {
    double t_mine, t_floor, ratio, ratio_lo, ratio_hi, outside;
} interleaved;

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static interleaved interleave(bench_fn mine, bench_fn floor_fn, void *ctx, double min_time,
                              int rounds)
{
    enum { MAX_ROUNDS = 64 };
    if (rounds < 1) rounds = 1;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    double tm[MAX_ROUNDS], tf[MAX_ROUNDS], ratio[MAX_ROUNDS], out[MAX_ROUNDS];
    const double each = min_time / (2.0 * rounds);
    for (int r = 0; r < rounds; r++) {
        if (r % 2 == 0) { /* alternate which goes first */
            tm[r] = time_call(mine, ctx, each, 1e9);
            tf[r] = time_call(floor_fn, ctx, each, 1e9);
        } else {
            tf[r] = time_call(floor_fn, ctx, each, 1e9);
            tm[r] = time_call(mine, ctx, each, 1e9);
        }
        ratio[r] = tm[r] / tf[r];
        out[r] = tm[r] - tf[r];
    }
    interleaved res;
    res.ratio = median(ratio, rounds);
    res.ratio_lo = ratio[0];
    res.ratio_hi = ratio[rounds - 1];
    res.t_mine = median(tm, rounds);
    res.t_floor = median(tf, rounds);
    res.outside = median(out, rounds);
    return res;
}

/* --export-onnx DIR: the networks the cells time, as ONNX models. */
static int export_onnx(const char *dir)
{
    for (size_t i = 0; i < sizeof workloads / sizeof *workloads; i++)
        for (int f32 = 0; f32 < 2; f32++) {
            cell c;
            setup(&c, &workloads[i], 1, f32);
            char path[4096];
            snprintf(path, sizeof path, "%s/%s%s.onnx", dir, workloads[i].name, f32 ? "_f32" : "");
            const mlp_status s = mlp_net_export_onnx(c.net, path);
            teardown(&c);
            if (s != MLP_OK) {
                fprintf(stderr, "mlp_bench: %s\n", mlp_error_detail());
                return 1;
            }
        }
    return 0;
}

/* --serve: cells on request, for bench/interleave.py. Each stdin line
 * "workload op batch seconds" is answered with one line "libmlp=S dgemm_floor=S"
 * (seconds per call; the two timed in alternation, seconds / 2 each), or "skip"
 * for an unknown cell. The cell set up last is kept for the next request. */
static int serve(void)
{
    char line[256], wname[64], op[16];
    cell c;
    const workload *have = NULL;
    size_t have_batch = 0;
    int have_f32 = 0;
    unsigned long long turn = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t batch;
        double seconds;
        if (sscanf(line, "%63s %15s %zu %lf", wname, op, &batch, &seconds) != 4) break;
        int f32;
        const workload *w = find_workload(wname, &f32);
        const int train = !strcmp(op, "train");
        if (w == NULL || batch == 0 || (!train && strcmp(op, "forward")) || (train && f32 == 2) ||
            (f32 == 2 && !mlp_precision_supported(MLP_PRECISION_BFLOAT16))) {
            printf("skip\n");
            fflush(stdout);
            continue;
        }
        if (w != have || batch != have_batch || f32 != have_f32) {
            if (have != NULL) teardown(&c);
            setup(&c, w, batch, f32);
            have = w;
            have_batch = batch;
            have_f32 = f32;
        }
        bench_fn mine = train ? run_train : run_forward, fl = train ? floor_train : floor_forward;
        double tm, tf;
        if (turn++ % 2 == 0) {
            tm = time_call(mine, &c, seconds / 2, 1e9);
            tf = time_call(fl, &c, seconds / 2, 1e9);
        } else {
            tf = time_call(fl, &c, seconds / 2, 1e9);
            tm = time_call(mine, &c, seconds / 2, 1e9);
        }
        printf("libmlp=%.9g dgemm_floor=%.9g\n", tm, tf);
        fflush(stdout);
    }
    if (have != NULL) teardown(&c);
    return 0;
}

int main(int argc, char **argv)
{
    double min_time = 0.2;
    const char *wl = NULL, *ops = NULL, *batches = "1,8,64,512,4096";
    int threads = 1, rounds = 5;
    size_t square = 2048;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--workloads") && i + 1 < argc) wl = argv[++i];
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc) ops = argv[++i];
        else if (!strcmp(argv[i], "--batches") && i + 1 < argc) batches = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--square") && i + 1 < argc) square = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--serve")) return serve();
        else if (!strcmp(argv[i], "--export-onnx") && i + 1 < argc)
            return export_onnx(argv[++i]);
        else if (!strcmp(argv[i], "--optimizer") && i + 1 < argc) {
            if (mlp_optimizer_from_name(&optimizer_kind, argv[++i]) != MLP_OK) {
                fprintf(stderr, "mlp_bench: %s\n", mlp_error_detail());
                return 2;
            }
        }
        else if (!strcmp(argv[i], "--info")) {
            mlp_blas_info info;
            mlp_blas_info_init(&info, sizeof info);
            mlp_blas_get_info(&info);
            printf("blas=%s\nblas_version=%s\nkernel=%s\nbest_kernel=%s\nblas_threads=%d\n"
                   "vector_math=%s\ncpu=%s\nadvice=%s\n",
                   info.provider, info.version, info.kernel, info.best_kernel, info.threads,
                   info.vector_math, info.cpu, info.advice);
            /* bfloat16: whether predictors can run it here, and on what */
            mlp_predictor *p = NULL;
            mlp_net *net = NULL;
            const mlp_layer_spec spec[1] = {MLP_LAYER(16, MLP_ACT_IDENTITY, 1)};
            if (mlp_precision_supported(MLP_PRECISION_BFLOAT16) &&
                mlp_net_create(&net, 16, spec, 1) == MLP_OK &&
                mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16) == MLP_OK)
                printf("bfloat16=%s\n", mlp_predictor_engine(p));
            else {
                mlp_status s = mlp_net_create(&net, 16, spec, 1);
                if (s == MLP_OK) s = mlp_predictor_create(&p, net, MLP_PRECISION_BFLOAT16);
                printf("bfloat16=no: %s\n", s == MLP_OK ? "?" : mlp_error_detail());
            }
            mlp_predictor_free(p);
            mlp_net_free(net);
            return 0;
        } else {
            fprintf(stderr, "mlp_bench: unknown argument %s\n", argv[i]);
            return 2;
        }
    }

    printf("impl,workload,op,batch,threads,ns_per_sample,gflops,ratio,ratio_lo,ratio_hi,"
           "outside_ns_per_sample\n");
    if (square > 0) {
        fprintf(stderr, "  square dgemm n=%zu, %d thread(s)\n", square, threads);
        printf("square_dgemm,square,dgemm,%zu,%d,,%.3f,,,,\n", square, threads,
               square_gflops(square, min_time, 0));
        printf("square_sgemm,square,sgemm,%zu,%d,,%.3f,,,,\n", square, threads,
               square_gflops(square, min_time, 1));
        if (mlp_precision_supported(MLP_PRECISION_BFLOAT16))
            printf("square_bf16,square,bf16,%zu,%d,,%.3f,,,,\n", square, threads,
                   square_gflops_bf16(square, min_time));
        else
            fprintf(stderr, "  bfloat16: not on this build or CPU, its rows skipped\n");
    }
    for (size_t wi = 0; wi < 3 * sizeof workloads / sizeof workloads[0]; wi++) {
        const size_t nw = sizeof workloads / sizeof workloads[0];
        const workload *w = &workloads[wi % nw];
        const int f32 = (int)(wi / nw);
        char wname[64];
        snprintf(wname, sizeof wname, "%s%s", w->name, suffix[f32]);
        if (!listed(wl, wname)) continue;
        if (f32 == 2 && !mlp_precision_supported(MLP_PRECISION_BFLOAT16)) continue;
        char list[256];
        snprintf(list, sizeof list, "%s%s", batches, !strcmp(w->name, "tiny") ? ",65536" : "");
        for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
            const size_t batch = (size_t)atol(tok);
            if (batch == 0) continue;
            cell c;
            setup(&c, w, batch, f32);
            for (int train = 0; train <= 1; train++) {
                const char *op = train ? "train" : "forward";
                if (!listed(ops, op) || (train && f32 == 2)) continue;
                fprintf(stderr, "  %-9s %-7s batch %-6zu %d thread(s)\n", wname, op, batch,
                        threads);
                interleaved r = interleave(train ? run_train : run_forward,
                                           train ? floor_train : floor_forward, &c, min_time,
                                           rounds);
                const double fl = flops_per_sample(w, train);
                printf("libmlp,%s,%s,%zu,%d,%.3f,%.3f,%.4f,%.4f,%.4f,%.3f\n", wname, op, batch,
                       threads, r.t_mine / (double)batch * 1e9, fl * (double)batch / r.t_mine / 1e9,
                       r.ratio, r.ratio_lo, r.ratio_hi, r.outside / (double)batch * 1e9);
                printf("dgemm_floor,%s,%s,%zu,%d,%.3f,%.3f,,,,\n", wname, op, batch, threads,
                       r.t_floor / (double)batch * 1e9, fl * (double)batch / r.t_floor / 1e9);
                fflush(stdout);
            }
            teardown(&c);
        }
    }
    return 0;
}
