/* Predictors (include/mlp/model.h): a network compiled for prediction in a precision the
 * caller chooses. float64 and float32 are a private copy of the network in that precision,
 * predicting through mlp_net_predict's own road. bfloat16 runs each dense layer's product
 * on oneDNN's matmul (bfloat16 weights packed for the CPU once, bfloat16 rows, float32
 * sums) and everything else through the float32 network's own passes: the bias and the
 * activation (mlp__bias_activate_f32), the other layer kinds' inference passes (their
 * table's forward, on a workspace made to point into the predictor's buffers), the
 * scaling (mlp__rows_x_f32, mlp__put_outputs).
 *
 * Why a predictor and not a precision of the network: the bfloat16 weights are derived
 * data, packed in a layout of oneDNN's choosing, which a network that trains would have
 * to remake after every step; a predictor never changes once made, so threads share it
 * without locks, and the network keeps full precision (docs/design.md).
 *
 * Determinism: the rows of a call are cut into pieces whose sizes depend on the row
 * count only (CHUNK rows, then the binary digits of the rest), each run by one thread
 * with oneDNN held to one thread (omp_set_num_threads(1) on the thread that calls it:
 * oneDNN with more threads may split a product's sum, whose order would then follow the
 * thread count). Pieces of different sizes are separate primitives, which may sum in
 * another order: a row may change in its last bits with the piece it falls in, never
 * with the threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../mlp_internal.h"

#if MLP_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
/* OpenMP's, from the libgomp oneDNN runs on (Debian's is built with it); declared here,
 * not through <omp.h>, so that a compiler with another runtime's header (clang's libomp)
 * still calls the one oneDNN reads */
extern void omp_set_num_threads(int n);
extern int omp_get_max_threads(void);
#endif

#ifndef MLP_CBLAS_PROVIDER /* lib/meson.build names it; a build by hand (the fuzzers) may not */
#define MLP_CBLAS_PROVIDER "cblas"
#endif

/* Rows of a full piece; the rest of a call is cut into pieces of CHUNK >> c rows,
 * c = 1 .. CLASSES - 1, one per binary digit. */
enum { CHUNK = 256, CLASSES = 9 };

#if MLP_HAVE_ONEDNN
/* What oneDNN holds for one dense layer (bfloat16 predictors). */
typedef struct dense_prims {
    dnnl_primitive_t prim[CLASSES]; /* the product of CHUNK >> c rows */
    dnnl_memory_desc_t src[CLASSES], dst[CLASSES], scratch[CLASSES];
    dnnl_memory_t weights; /* (in, out) bfloat16, in the primitives' layout */
} dense_prims;
#endif

struct mlp_predictor {
    mlp_precision precision;
    mlp_net *net; /* the private copy: float64 for FLOAT64, float32 else (for
                     bfloat16, the biases, activations, other kinds, scaling) */
    char engine[160];
#if MLP_HAVE_ONEDNN /* bfloat16's */
    dnnl_engine_t eng;
    size_t n_dense;
    dense_prims *dense;   /* one per dense layer */
    size_t max_width;     /* widest of the inputs and every layer's output */
    size_t scratch_bytes; /* the largest scratchpad a primitive asks for */
#endif
};

int mlp_precision_supported(mlp_precision precision)
{
    switch (precision) {
    case MLP_PRECISION_FLOAT64:
    case MLP_PRECISION_FLOAT32:
        return 1;
    case MLP_PRECISION_BFLOAT16:
#if MLP_HAVE_ONEDNN
    {
        const unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
        return (isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16) ==
               (unsigned)dnnl_cpu_isa_avx512_core_bf16;
    }
#else
        return 0;
#endif
    }
    return 0;
}

mlp_precision mlp_predictor_precision(const mlp_predictor *p)
{
    return p != NULL ? p->precision : MLP_PRECISION_FLOAT64;
}

const char *mlp_predictor_engine(const mlp_predictor *p) { return p != NULL ? p->engine : ""; }

void mlp_predictor_free(mlp_predictor *p)
{
    if (p == NULL) return;
#if MLP_HAVE_ONEDNN
    for (size_t d = 0; d < p->n_dense; d++) {
        for (int c = 0; c < CLASSES; c++) dnnl_primitive_destroy(p->dense[d].prim[c]);
        dnnl_memory_destroy(p->dense[d].weights);
    }
    if (p->eng != NULL) dnnl_engine_destroy(p->eng);
    free(p->dense);
#endif
    mlp_net_free(p->net);
    free(p);
}

#if MLP_HAVE_ONEDNN

/* Floats to bfloat16, rounded to nearest even, by the CPU's own conversion
 * (vcvtneps2bf16): every CPU a bfloat16 predictor runs on has it (AVX512-BF16, which
 * the AMX ones have too). It takes subnormal floats (below 2⁻¹²⁶ ≈ 1.2e-38) as 0 and
 * keeps NaN a NaN. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void
to_bf16_rows(uint16_t *dst, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m256i v = (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16(dst + i, m, v);
    }
}
#else
#error "bfloat16 predictors are written for x86-64 (AVX512-BF16, AMX)"
#endif

static mlp_status dnnl_failed(dnnl_status_t st, const char *what)
{
    return mlp__fail(st == dnnl_out_of_memory ? MLP_ERR_NOMEM : MLP_ERR_UNSUPPORTED,
                     "mlp_predictor_create: oneDNN could not %s (its status %d)", what, (int)st);
}

/* The primitives and packed weights of dense layer l. */
static mlp_status compile_dense(mlp_predictor *p, dense_prims *dp, size_t l)
{
    const mlp_layer *L = &p->net->layers[l];
    const dnnl_dim_t K = (dnnl_dim_t)L->in, N = (dnnl_dim_t)L->out;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_status_t st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    dnnl_memory_desc_t w_any, w_user;
    const dnnl_dims_t wd = {K, N};
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&w_any, 2, wd, dnnl_bf16, dnnl_format_tag_any);
    /* the network's (out, in) row-major weights are the (in, out) matrix in "ba" order */
    if (st == dnnl_success) st = dnnl_memory_desc_init_by_tag(&w_user, 2, wd, dnnl_f32, dnnl_ba);
    for (int c = 0; c < CLASSES && st == dnnl_success; c++) {
        const dnnl_dim_t M = CHUNK >> c;
        const dnnl_dims_t sd = {M, K}, dd = {M, N};
        st = dnnl_memory_desc_init_by_tag(&dp->src[c], 2, sd, dnnl_bf16, dnnl_ab);
        if (st == dnnl_success)
            st = dnnl_memory_desc_init_by_tag(&dp->dst[c], 2, dd, dnnl_f32, dnnl_ab);
        dnnl_matmul_desc_t md;
        /* every size takes the weights in the layout the first chose */
        if (st == dnnl_success)
            st = dnnl_matmul_desc_init(&md, &dp->src[c], &w_any, NULL, &dp->dst[c]);
        dnnl_primitive_desc_t pd = NULL;
        if (st == dnnl_success) st = dnnl_primitive_desc_create(&pd, &md, attr, p->eng, NULL);
        if (st != dnnl_success) break;
        const char *impl = "";
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        if (strncmp(impl, "ref", 3) == 0) { /* oneDNN's reference loops: not what was asked */
            dnnl_primitive_desc_destroy(pd);
            dnnl_primitive_attr_destroy(attr);
            return mlp__fail(MLP_ERR_UNSUPPORTED,
                             "mlp_predictor_create: oneDNN has no bfloat16 product for this CPU "
                             "for layer %zu (%zu by %zu), only its reference loops",
                             l, L->out, L->in);
        }
        const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        if (c == 0) {
            w_any = *wmd;
            snprintf(p->engine, sizeof p->engine, "oneDNN %d.%d.%d, %s", dnnl_version()->major,
                     dnnl_version()->minor, dnnl_version()->patch, impl);
            st = dnnl_memory_create(&dp->weights, wmd, p->eng, DNNL_MEMORY_ALLOCATE);
            dnnl_memory_t user = NULL;
            dnnl_primitive_desc_t rpd = NULL;
            dnnl_primitive_t reorder = NULL;
            dnnl_stream_t stream = NULL;
            float *w = p->net->params_f32 + L->w_off;
            if (st == dnnl_success) st = dnnl_memory_create(&user, &w_user, p->eng, w);
            if (st == dnnl_success)
                st = dnnl_reorder_primitive_desc_create(&rpd, &w_user, p->eng, wmd, p->eng, NULL);
            if (st == dnnl_success) st = dnnl_primitive_create(&reorder, rpd);
            if (st == dnnl_success)
                st = dnnl_stream_create(&stream, p->eng, dnnl_stream_default_flags);
            if (st == dnnl_success) {
                const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, dp->weights}};
                st = dnnl_primitive_execute(reorder, stream, 2, args);
            }
            if (st == dnnl_success) st = dnnl_stream_wait(stream);
            dnnl_stream_destroy(stream);
            dnnl_primitive_destroy(reorder);
            dnnl_primitive_desc_destroy(rpd);
            dnnl_memory_destroy(user);
        } else if (!dnnl_memory_desc_equal(wmd, &w_any)) {
            st = dnnl_unimplemented;
        }
        const dnnl_memory_desc_t *sp =
            dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        dp->scratch[c] = *sp;
        const size_t bytes = dnnl_memory_desc_get_size(sp);
        if (bytes > p->scratch_bytes) p->scratch_bytes = bytes;
        if (st == dnnl_success) st = dnnl_primitive_create(&dp->prim[c], pd);
        dnnl_primitive_desc_destroy(pd);
    }
    dnnl_primitive_attr_destroy(attr);
    return st == dnnl_success ? MLP_OK : dnnl_failed(st, "compile a bfloat16 product");
}

/* Every dense layer's primitives (compile_bf16). */
static mlp_status compile_layers(mlp_predictor *p)
{
    const mlp_net *net = p->net;
    p->max_width = net->n_inputs;
    for (size_t l = 0; l < net->n_layers; l++) {
        if (net->layers[l].kind == MLP_LAYER_DENSE) p->n_dense++;
        if (net->layers[l].out > p->max_width) p->max_width = net->layers[l].out;
    }
    p->dense = calloc(p->n_dense, sizeof *p->dense);
    if (p->dense == NULL) return mlp__fail(MLP_ERR_NOMEM, "mlp_predictor_create: out of memory");
    for (size_t l = 0, d = 0; l < net->n_layers; l++) {
        if (net->layers[l].kind != MLP_LAYER_DENSE) continue;
        const mlp_status s = compile_dense(p, &p->dense[d++], l);
        if (s != MLP_OK) return s;
    }
    return MLP_OK;
}

static mlp_status compile_bf16(mlp_predictor *p)
{
    if (!mlp_precision_supported(MLP_PRECISION_BFLOAT16))
        return mlp__fail(MLP_ERR_UNSUPPORTED,
                         "mlp_predictor_create: bfloat16 needs a CPU with AVX512-BF16 or AMX, "
                         "and this one has neither (or ONEDNN_MAX_CPU_ISA rules them out): "
                         "predict in float32 instead");
    dnnl_status_t st = dnnl_engine_create(&p->eng, dnnl_cpu, 0);
    if (st != dnnl_success) return dnnl_failed(st, "start on the CPU");
    /* the primitives planned for the one thread that runs each (a plan for more may split
     * a sum, and would follow the caller's OpenMP setting), the setting given back */
    const int omp_threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const mlp_status s = compile_layers(p);
    omp_set_num_threads(omp_threads);
    return s;
}

/* A bfloat16 predictor's workspace: every buffer for max_batch rows, and per slot (one
 * for each part of a call that can run at once: a part takes the call's units, a full
 * piece or the rest, one after the other) oneDNN's objects pointing into them, their
 * stream and scratchpad. */
typedef struct low_ws {
    size_t slots; /* the units of max_batch rows (max_batch / CHUNK full pieces, + 1 for
                     the rest), but never more than the parts a job has at most */
    /* The buffers, max_batch × max_width values each, hold a unit's rows from its first
     * row × max_width on (a unit's place never depends on the layer: units run through
     * the layers at their own pace), each row as wide as the layer's. */
    uint16_t *rows16;       /* a dense layer's input rounded to bfloat16 */
    float *buf[2];          /* layer l reads buf[l % 2] and writes buf[(l + 1) % 2]; the
                                scaled inputs are in buf[0] */
    unsigned char *scratch; /* slots × scratch_stride() */
    float **act;            /* slots × n_layers: the pointers of each slot's workspace view */
    dnnl_stream_t *streams; /* slots */
    dnnl_memory_t *mem;     /* slots × n_dense × CLASSES × 3: src, dst, scratchpad */
    size_t n_mem;
} low_ws;

static void low_free(void *v)
{
    low_ws *w = v;
    if (w == NULL) return;
    for (size_t i = 0; i < w->n_mem; i++) dnnl_memory_destroy(w->mem[i]);
    for (size_t u = 0; u < w->slots && w->streams != NULL; u++) dnnl_stream_destroy(w->streams[u]);
    free(w->mem);
    free(w->streams);
    free(w->act);
    free(w->scratch);
    free(w->buf[0]);
    free(w->buf[1]);
    free(w->rows16);
    free(w);
}

/* A buffer aligned for the CPU's widest vectors (oneDNN's scratchpads are laid out from
 * an aligned start), rounded up to whole 64 bytes. */
static void *aligned(size_t bytes) { return aligned_alloc(64, (bytes + 63) / 64 * 64); }

/* The bytes between two slots' scratchpads: the largest a primitive asks for, aligned. */
static size_t scratch_stride(const mlp_predictor *p) { return (p->scratch_bytes + 63) / 64 * 64; }

static dnnl_memory_t *slot_mem(const mlp_predictor *p, const low_ws *w, size_t u, size_t d, int c)
{
    return &w->mem[((u * p->n_dense + d) * CLASSES + (size_t)c) * 3];
}

static mlp_status low_create(mlp_workspace *ws, const mlp_predictor *p, size_t max_batch)
{
    low_ws *w = calloc(1, sizeof *w);
    if (w == NULL) return mlp__fail(MLP_ERR_NOMEM, "mlp_predictor_workspace_create: out of memory");
    ws->low = w;
    ws->low_free = low_free;
    size_t cells;
    if (!mlp__mul_ok(max_batch, p->max_width, SIZE_MAX / sizeof(float) / 4, &cells))
        return mlp__fail(MLP_ERR_NOMEM,
                         "mlp_predictor_workspace_create: %zu rows of width %zu overflow memory",
                         max_batch, p->max_width);
    w->slots = max_batch / CHUNK + 1;
    if (w->slots > MLP_MAX_THREADS) w->slots = MLP_MAX_THREADS; /* mlp__parallel_for's most */
    w->rows16 = aligned(cells * sizeof *w->rows16);
    w->buf[0] = aligned(cells * sizeof(float));
    w->buf[1] = aligned(cells * sizeof(float));
    w->scratch = aligned(w->slots * scratch_stride(p));
    w->act = calloc(w->slots * p->net->n_layers, sizeof *w->act);
    w->streams = calloc(w->slots, sizeof *w->streams);
    w->mem = calloc(w->slots * p->n_dense * CLASSES * 3, sizeof *w->mem);
    if (w->rows16 == NULL || w->buf[0] == NULL || w->buf[1] == NULL || w->scratch == NULL ||
        w->act == NULL || w->streams == NULL || w->mem == NULL)
        return mlp__fail(MLP_ERR_NOMEM,
                         "mlp_predictor_workspace_create: cannot allocate the "
                         "buffers of %zu rows",
                         max_batch);
    dnnl_status_t st = dnnl_success;
    for (size_t u = 0; u < w->slots && st == dnnl_success; u++) {
        st = dnnl_stream_create(&w->streams[u], p->eng, dnnl_stream_default_flags);
        for (size_t d = 0; d < p->n_dense && st == dnnl_success; d++)
            for (int c = 0; c < CLASSES && st == dnnl_success; c++) {
                dnnl_memory_t *m = slot_mem(p, w, u, d, c);
                const dense_prims *dp = &p->dense[d];
                st = dnnl_memory_create(&m[0], &dp->src[c], p->eng, w->rows16);
                if (st == dnnl_success)
                    st = dnnl_memory_create(&m[1], &dp->dst[c], p->eng, w->buf[0]);
                if (st == dnnl_success)
                    st = dnnl_memory_create(&m[2], &dp->scratch[c], p->eng, w->scratch);
                w->n_mem = (size_t)(m - w->mem) + 3;
            }
    }
    /* n_mem counts up to the last made; any not made is NULL, which destroy takes */
    return st == dnnl_success
               ? MLP_OK
               : mlp__fail(st == dnnl_out_of_memory ? MLP_ERR_NOMEM : MLP_ERR_UNSUPPORTED,
                           "mlp_predictor_workspace_create: oneDNN could not "
                           "make its memory objects (its status %d)",
                           (int)st);
}

/* One call's work on the library's threads: units of rows. */
typedef struct low_job {
    const mlp_predictor *p;
    low_ws *w;
    void *y;
    int y_f32;
    const void *x;
    int x_f32;
    size_t n, full;                    /* rows; full pieces among them */
    dnnl_status_t st[MLP_MAX_THREADS]; /* per part: the first failure */
} low_job;

/* A unit's m rows (at `base` in the buffers; its oneDNN objects, stream and scratchpad
 * those of slot u) of dense layer l, the d-th, from buf[l % 2]
 * into buf[(l + 1) % 2]: the product in pieces of the classes m's binary digits name (one
 * full piece: c = 0). */
static dnnl_status_t low_dense(const low_job *j, size_t u, size_t d, size_t l, size_t base,
                               size_t m)
{
    const mlp_predictor *p = j->p;
    low_ws *w = j->w;
    const mlp_layer *L = &p->net->layers[l];
    const float *in = w->buf[l % 2] + base;
    float *out = w->buf[(l + 1) % 2] + base;
    uint16_t *rows16 = w->rows16 + base;
    to_bf16_rows(rows16, in, m * L->in);
    unsigned char *scratch = w->scratch + u * scratch_stride(p);
    size_t at = 0;
    for (int c = 0; c < CLASSES; c++) {
        const size_t rows = (size_t)CHUNK >> c;
        if (c == 0 ? m != CHUNK : (m & rows) == 0) continue;
        dnnl_memory_t *mem = slot_mem(p, w, u, d, c);
        dnnl_status_t st = dnnl_memory_set_data_handle(mem[0], rows16 + at * L->in);
        if (st == dnnl_success) st = dnnl_memory_set_data_handle(mem[1], out + at * L->out);
        if (st == dnnl_success) st = dnnl_memory_set_data_handle(mem[2], scratch);
        const dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mem[0]},
                                         {DNNL_ARG_WEIGHTS, p->dense[d].weights},
                                         {DNNL_ARG_DST, mem[1]},
                                         {DNNL_ARG_SCRATCHPAD, mem[2]}};
        if (st == dnnl_success)
            st = dnnl_primitive_execute(p->dense[d].prim[c], w->streams[u], 4, args);
        if (st == dnnl_success) st = dnnl_stream_wait(w->streams[u]);
        if (st != dnnl_success) return st;
        at += rows;
    }
    const float *bias = L->has_bias ? p->net->params_f32 + L->b_off : NULL;
    mlp__bias_activate_f32(out, bias, m, L->out, L->act);
    return dnnl_success;
}

static void low_part(void *ctx, size_t u0, size_t u1, size_t part)
{
    low_job *j = ctx;
    const mlp_predictor *p = j->p;
    const mlp_net *net = p->net;
    low_ws *w = j->w;
    /* oneDNN on this thread alone (see the top of the file), the caller's own OpenMP
     * setting of this thread given back after */
    const int omp_threads = omp_get_max_threads();
    omp_set_num_threads(1);
    for (size_t u = u0; u < u1; u++) {
        const size_t r0 = u * CHUNK, m = u < j->full ? CHUNK : j->n - r0, base = r0 * p->max_width;
        /* the inputs, scaled as the model says, into buf[0] */
        const size_t in = net->n_inputs;
        const mlp__rows r = {.x = j->x_f32 ? (const void *)((const float *)j->x + r0 * in)
                                           : (const void *)((const double *)j->x + r0 * in),
                             .n = m,
                             .model = 1,
                             .f32 = j->x_f32};
        mlp__rows_x_f32(w->buf[0] + base, &r, net, NULL, m);
        /* a workspace whose layer outputs are this unit's rows of the buffers, for the
         * other kinds' inference passes */
        mlp_workspace view = {0};
        view.f32 = 1;
        view.act_f32 = w->act + part * net->n_layers;
        for (size_t l = 0, d = 0; l < net->n_layers; l++) {
            const mlp_layer *L = &net->layers[l];
            view.act_f32[l] = w->buf[(l + 1) % 2] + base;
            if (L->kind == MLP_LAYER_DENSE) {
                const dnnl_status_t st = low_dense(j, part, d++, l, base, m);
                if (st != dnnl_success) {
                    if (j->st[part] == dnnl_success) j->st[part] = st;
                    omp_set_num_threads(omp_threads);
                    return;
                }
            } else {
                L->type->passes_f32->forward(net, &view, l, w->buf[l % 2] + base, m, 0);
            }
        }
        const size_t k = net->layers[net->n_layers - 1].out;
        void *y = j->y_f32 ? (void *)((float *)j->y + r0 * k) : (void *)((double *)j->y + r0 * k);
        mlp__put_outputs(net, y, j->y_f32, w->buf[net->n_layers % 2] + base, m);
    }
    omp_set_num_threads(omp_threads);
}

static mlp_status low_predict(const mlp_predictor *p, mlp_workspace *ws, void *y, int y_f32,
                              const void *x, int x_f32, size_t n, const char *fn)
{
    low_job job = {.p = p,
                   .w = ws->low,
                   .y = y,
                   .y_f32 = y_f32,
                   .x = x,
                   .x_f32 = x_f32,
                   .n = n,
                   .full = n / CHUNK};
    const size_t units = job.full + (n % CHUNK != 0);
    /* its parts number at most min(units, MLP_MAX_THREADS): each has a slot */
    mlp__parallel_for(units, 1, 1, low_part, &job);
    for (size_t i = 0; i < MLP_MAX_THREADS; i++)
        if (job.st[i] != dnnl_success)
            return mlp__fail(MLP_ERR_UNSUPPORTED, "%s: oneDNN failed to compute (its status %d)",
                             fn, (int)job.st[i]);
    return mlp__outputs_finite_any(p->net, y, y_f32, x, x_f32, n, fn);
}

#endif /* MLP_HAVE_ONEDNN */

mlp_status mlp_predictor_create(mlp_predictor **out, const mlp_net *net, mlp_precision precision)
{
    MLP_CHECK_PTR(out);
    *out = NULL;
    MLP_CHECK_PTR(net);
    MLP_CHECK(mlp_precision_name(precision) != NULL, MLP_ERR_INVALID_ARG,
              "mlp_predictor_create: unknown precision %d", (int)precision);
#if !MLP_HAVE_ONEDNN
    MLP_CHECK(precision != MLP_PRECISION_BFLOAT16, MLP_ERR_UNSUPPORTED,
              "mlp_predictor_create: this libmlp was built without oneDNN, which bfloat16 "
              "needs (Debian's libdnnl-dev, then rebuild): predict in float32 instead");
#endif
    mlp_predictor *p = calloc(1, sizeof *p);
    MLP_CHECK(p != NULL, MLP_ERR_NOMEM, "mlp_predictor_create: out of memory");
    p->precision = precision;
    mlp_status s = mlp_net_convert(&p->net, net,
                                   precision == MLP_PRECISION_FLOAT64 ? MLP_PRECISION_FLOAT64
                                                                      : MLP_PRECISION_FLOAT32);
    if (s == MLP_OK && precision != MLP_PRECISION_BFLOAT16)
        snprintf(p->engine, sizeof p->engine, "libmlp %s (%s %s)", mlp_precision_name(precision),
                 MLP_CBLAS_PROVIDER, precision == MLP_PRECISION_FLOAT64 ? "dgemm" : "sgemm");
#if MLP_HAVE_ONEDNN
    if (s == MLP_OK && precision == MLP_PRECISION_BFLOAT16) s = compile_bf16(p);
#endif
    if (s != MLP_OK) {
        mlp_predictor_free(p);
        return s;
    }
    *out = p;
    return MLP_OK;
}

mlp_status mlp_predictor_workspace_create(mlp_workspace **ws, const mlp_predictor *p,
                                          size_t max_batch)
{
    MLP_CHECK_PTR(ws);
    *ws = NULL;
    MLP_CHECK_PTR(p);
    MLP_CHECK(max_batch > 0 && max_batch <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_predictor_workspace_create: max_batch is %zu, must be 1 to %zu", max_batch,
              MLP_MAX_DIM);
    if (p->precision != MLP_PRECISION_BFLOAT16) {
        const mlp_status s = mlp_workspace_create(ws, p->net, max_batch);
        if (s != MLP_OK) {
            const char *d = strchr(mlp_error_detail(), ':');
            return mlp__fail(s, "mlp_predictor_workspace_create%s", d != NULL ? d : "");
        }
        (*ws)->owner = p->net;
        return MLP_OK;
    }
#if MLP_HAVE_ONEDNN
    mlp_workspace *w = calloc(1, sizeof *w);
    MLP_CHECK(w != NULL, MLP_ERR_NOMEM, "mlp_predictor_workspace_create: out of memory");
    w->max_batch = max_batch;
    w->n_inputs = p->net->n_inputs;
    w->f32 = 1;
    w->owner = p;
    const mlp_status s = low_create(w, p, max_batch);
    if (s != MLP_OK) {
        mlp_workspace_free(w);
        return s;
    }
    *ws = w;
    return MLP_OK;
#else
    return mlp__fail(MLP_ERR_UNSUPPORTED, "mlp_predictor_workspace_create: no bfloat16 here");
#endif
}

static mlp_status predict(const mlp_predictor *p, mlp_workspace *ws, void *y, int f32,
                          const void *x, size_t n, const char *fn)
{
    MLP_CHECK(p != NULL && ws != NULL && y != NULL && x != NULL, MLP_ERR_INVALID_ARG,
              "%s: %s is NULL", fn,
              p == NULL    ? "p"
              : ws == NULL ? "ws"
              : y == NULL  ? "y"
                           : "x");
    MLP_CHECK(n > 0, MLP_ERR_INVALID_ARG, "%s: n is 0", fn);
    const int low = p->precision == MLP_PRECISION_BFLOAT16;
    MLP_CHECK(ws->owner == (low ? (const void *)p : (const void *)p->net), MLP_ERR_SHAPE,
              "%s: the workspace was not made for this predictor: make one with "
              "mlp_predictor_workspace_create()",
              fn);
    MLP_CHECK(n <= ws->max_batch, MLP_ERR_SHAPE,
              "%s: batch of %zu rows exceeds the workspace's maximum of %zu", fn, n, ws->max_batch);
#if MLP_HAVE_ONEDNN
    if (low) return low_predict(p, ws, y, f32, x, f32, n, fn);
#endif
    mlp_status s =
        f32 ? mlp_net_predict_f32(p->net, ws, y, x, n) : mlp_net_predict(p->net, ws, y, x, n);
    if (s != MLP_OK) {
        const char *d = strchr(mlp_error_detail(), ':');
        return mlp__fail(s, "%s%s", fn, d != NULL ? d : "");
    }
    return MLP_OK;
}

mlp_status mlp_predictor_predict(const mlp_predictor *p, mlp_workspace *ws, double *y,
                                 const double *x, size_t n)
{
    return predict(p, ws, y, 0, x, n, __func__);
}

mlp_status mlp_predictor_predict_f32(const mlp_predictor *p, mlp_workspace *ws, float *y,
                                     const float *x, size_t n)
{
    return predict(p, ws, y, 1, x, n, __func__);
}
