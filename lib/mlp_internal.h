/* Private to the library: never installed. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "mlp.h"
#include MLP_CBLAS_HEADER

/* Largest size handed to BLAS: CBLAS takes int dimensions and leading dimensions. */
#define MLP_MAX_DIM ((size_t)INT_MAX)

/* Record a formatted detail message for the calling thread and return `status`. */
mlp_status mlp__fail(mlp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Argument checks stay one line each: on failure, set the detail and return. */
#define MLP_CHECK(cond, status, ...)                                                   \
    do {                                                                               \
        if (!(cond)) return mlp__fail((status), __VA_ARGS__);                          \
    } while (0)

#define MLP_CHECK_PTR(p) MLP_CHECK((p) != NULL, MLP_ERR_INVALID_ARG, "%s: %s is NULL", __func__, #p)

/* a * b without overflow past `limit`; returns 0 and leaves *out alone on overflow. */
static inline int mlp__mul_ok(size_t a, size_t b, size_t limit, size_t *out)
{
    if (a != 0 && b > limit / a) return 0;
    *out = a * b;
    return 1;
}

/* splitmix64: the library's only random generator. Its state is always the
 * caller's (a seed passed in), never global, so runs are reproducible. */
static inline uint64_t mlp__rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double mlp__rng_uniform(uint64_t *state)
{
    return (double)(mlp__rng_next(state) >> 11) * 0x1.0p-53;
}

/* Vectorized passes over arrays (lib/kernels/vmath.c): y[i] = f(x[i]); y may alias x. */
typedef enum mlp__vfunc {
    MLP__V_TANH,
    MLP__V_SIGMOID,
    MLP__V_ELU,
    MLP__V_SOFTPLUS,
    MLP__V_EXP,
    MLP__V_NEG_EXPM1, /* -expm1(-x) = 1 - exp(-x) */
    MLP__V_ERFC
} mlp__vfunc;

void mlp__vpass(mlp__vfunc f, double *y, const double *x, size_t n);

/* mlp__vpass on a chosen road: 1 (libm), 4 (AVX2) or 8 (AVX-512) lanes, for tests;
 * returns 0, doing nothing, when this build or CPU lacks that road. */
int mlp__vpass_lanes(int lanes, mlp__vfunc f, double *y, const double *x, size_t n);

/* Which implementation mlp__vpass runs on this machine, for reports. */
const char *mlp__vmath_name(void);

/* 1 when every value is finite. */
int mlp__all_finite(const double *x, size_t n);

/* The largest magnitude among n values, or +INFINITY when one is not finite: one
 * pass for the finiteness check and the bound on what products of it can reach. */
double mlp__max_abs(const double *x, size_t n);

/* That largest magnitude into *result, serially, on a chosen road: 3 AVX-512, 2 AVX2,
 * 1 SSE2, 0 plain C (lib/kernels/scan.c), for tests; returns 0, doing nothing, when this
 * build or CPU lacks that road. */
int mlp__max_abs_road(int road, double *result, const double *x, size_t n);

/* ---- threads (lib/core/parallel.c) ---------------------------------------------------- */

/* One part of a job: indices [begin, end) of the job's range; part is its index,
 * 0 to the part count - 1 (< MLP_MAX_THREADS); any thread may run any part. */
typedef void (*mlp__task)(void *ctx, size_t begin, size_t end, size_t part);

/* Run task over [0, n) in parts on the library's threads (mlp_get_num_threads()),
 * a few parts per thread, each a multiple of grain long (but the last) and at least
 * min_per_part (fewer parts when n is small; one, on the calling thread, below
 * 2 * min_per_part, on one thread, or when the pool is busy). Returns when every
 * part is done. */
void mlp__parallel_for(size_t n, size_t grain, size_t min_per_part, mlp__task task, void *ctx);

/* On an element-wise pass: built three times, for AVX-512, AVX2 and the baseline
 * (SSE2), the one for this CPU chosen when the library is loaded (GCC's and clang's
 * target_clones, an ELF ifunc). Only for loops of exact operations (add, subtract,
 * multiply, divide, square root, compare, select: no contraction into FMA,
 * -ffp-contract=off, and no math functions), where the width changes the speed and
 * never the bits (tests/test_paths.c). Not under ThreadSanitizer, whose runtime is not
 * up yet when the loader runs the resolvers (the program crashes): that build, for
 * races, runs the baseline loops. */
#if defined(__SANITIZE_THREAD__)
#define MLP__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MLP__TSAN 1
#endif
#endif
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(MLP__TSAN)
#define MLP__CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLP__CLONES
#endif

/* Values a part of an element-wise pass should hold at least: below this, waking a
 * sleeping thread (tens of microseconds on the 16-core machine measured) costs
 * more than the part. */
#define MLP__PAR_MIN 32768

/* memcpy and memset on the library's threads when they are long. */
void mlp__copy(double *dst, const double *src, size_t n);
void mlp__zero(double *dst, size_t n);

/* The error detail's room: a path of PATH_MAX (4096) bytes and what is said around it. */
enum { MLP__DETAIL_BYTES = 4608 };

/* What a file of this st_mode is, for messages: "a directory", "a FIFO", ... (outfile.c) */
const char *mlp__file_kind(unsigned mode);

/* ---- structs that cross the API -------------------------------------------------- */

/* The caller's struct `src` (it begins with size_t struct_size) over `dst`, the
 * library's own layout already holding the defaults: the fields that fit in the
 * caller's struct_size are copied, the rest keep their defaults; dst->struct_size
 * becomes the library's own size. MLP_ERR_INVALID_ARG (detail naming `fn` and
 * `type`) for a struct_size smaller than the field itself or larger than `own`. */
mlp_status mlp__struct_in(void *dst, size_t own, const void *src, const char *fn, const char *type);

/* The library's struct `src` (own bytes) out to the caller's `dst`: the fields that
 * fit in dst's struct_size; dst->struct_size is kept. Same errors as mlp__struct_in. */
mlp_status mlp__struct_out(void *dst, const void *src, size_t own, const char *fn,
                           const char *type);

/* MLP_OK when `size` is a struct_size the library serves for a struct of `own` bytes. */
mlp_status mlp__struct_size_ok(size_t size, size_t own, const char *fn, const char *type);

/* The init functions: `defaults` (the library's layout, `own` bytes) copied to the
 * caller's `dst` as far as `size` reaches, and dst->struct_size = size. */
mlp_status mlp__struct_init(void *dst, size_t size, const void *defaults, size_t own,
                            const char *fn, const char *type);

/* Where a struct's field ends: a struct_size at least this holds the field. */
#define MLP__END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* A kind table covers its enum, checked at compile time: the table has last + 1 entries,
 * and beside it a switch over every value of the enum, without a default, makes
 * -Wswitch (in -Wall; an error in CI) name any value added to the enum and not there. */
#define MLP__TABLE_COVERS(table, last)                                                     \
    _Static_assert(sizeof(table) / sizeof((table)[0]) == (size_t)(last) + 1,                \
                   #table " has an entry for every value up to " #last)

/* The index of `name` in a table of `count` entries of `stride` bytes whose first
 * member is the entry's name (NULL for a gap); -1, with the detail set for `fn`,
 * when no entry has that name. */
int mlp__name_index(const void *table, size_t count, size_t stride, const char *name,
                    const char *fn, const char *what);

/* ---- activations: one table (lib/kernels/activation.c) ------------------------------------ */

enum {
    MLP__ACT_ROWWISE = 1,  /* the function of a whole row (softmax): no element-wise derivative */
    MLP__ACT_KINK = 2,     /* the derivative (or the second) jumps at 0: finite differences
                              must not straddle it */
    MLP__ACT_NEEDS_Z = 4,  /* the derivative needs the pre-activation z, not only a = f(z) */
    MLP__ACT_PIECEWISE = 8, /* f(z) = z above 0, below * z below: small layers fuse it */
    MLP__ACT_RECTIFIER = 16 /* relu-like: zero (or nearly) below 0, the identity above, so
                               He's variance 2 / in keeps its output's scale (MLP_INIT_AUTO) */
};

typedef struct mlp__activation_kind {
    const char *name;
    unsigned flags;
    double below; /* MLP__ACT_PIECEWISE: the slope below zero */
    /* f in place over a row-major (rows, cols) matrix */
    void (*forward)(double *v, size_t rows, size_t cols);
    /* f'(z) of one value (NULL for row-wise activations) */
    double (*derivative)(double z);
    /* dz = da ⊙ f'(z) (or the row-wise Jacobian-vector product), from the output a and,
     * for MLP__ACT_NEEDS_Z, the pre-activation z; (rows, cols) each; dz may alias da */
    void (*backward)(double *dz, const double *da, const double *a, const double *z, size_t rows,
                     size_t cols);
} mlp__activation_kind;

/* The table entry of `act`, or NULL for a value the library does not know. */
const mlp__activation_kind *mlp__activation(mlp_activation act);

int mlp__activation_valid(mlp_activation act);

/* Vectorized activation pass over a row-major (rows, cols) matrix, in place:
 * z[r][c] = f(z[r][c] + bias[c]); bias may be NULL. */
void mlp__bias_activate(double *z, const double *bias, size_t rows, size_t cols,
                        mlp_activation act);

/* Backward through an activation (rows, cols): dz = da ⊙ f'(z), or the softmax
 * Jacobian-vector product per row, from its output a and (for activations that
 * need it) its pre-activation z. dz may alias da. */
void mlp__activation_backward(double *dz, const double *da, const double *a, const double *z,
                              size_t rows, size_t cols, mlp_activation act);

/* Mean of (pred[i] - target[i])² over n > 0 values. */
double mlp__mse(const double *pred, const double *target, size_t n);

/* One dense layer forward: a (n, out) = f(a_prev (n, in) · w (out, in)ᵀ + b (out) or none).
 * With z != NULL, the pre-activation is kept in z (n, out) and a is computed from it. */
void mlp__dense_forward(double *a, double *z, const double *a_prev, const double *w,
                        const double *b, size_t n, size_t in, size_t out, mlp_activation act);

/* da_prev (n, in) = dz (n, out) · w (out, in): the input gradient of one layer. */
void mlp__dense_backward_input(double *da_prev, const double *dz, const double *w, size_t n,
                               size_t in, size_t out);

/* Plain SGD on one layer without storing its gradient: w = decay·w − lr·dzᵀ·a_prev
 * (one dgemm), b −= lr·Σ_rows dz (b may be NULL). scratch: in·out + out doubles. */
void mlp__dense_sgd(double *w, double *b, const double *dz, const double *a_prev, size_t n,
                    size_t in, size_t out, double lr, double decay, double *scratch);

/* The forward pass of a network whose layers are all small (in * out <= 64) with
 * piecewise-linear activations (identity, relu, leaky relu: net->small), into ws:
 * returns 1 when done, 0 (nothing done) for any other network. */
int mlp__small_net_forward(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n);

/* The same for a small network, its output written into y (n, outputs) as well,
 * as it goes: y must not overlap x. */
void mlp__small_net_predict(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n,
                            double *y);

/* Rows that pass takes at once, one row a vector lane. */
#define MLP__SMALL_BLOCK 8

/* A small layer's backward pass (dw, db or NULL, da_prev or NULL from dz, a_prev,
 * w; n rows) in plain arrays: the reference the vector road must match bit for bit. */
void mlp__small_backward_reference(double *dw, double *db, double *da_prev, const double *dz,
                                   const double *a_prev, const double *w, size_t n, size_t in,
                                   size_t out);

/* Rows [r0, r1) of that pass one at a time, in plain scalar loops: the reference
 * the vector road must match bit for bit (tests/test_paths.c). */
void mlp__small_net_rows_scalar(const mlp_net *net, mlp_workspace *ws, const double *x, size_t r0,
                                size_t r1);

/* One dense layer backward from dz (n, out): dw (out, in) = dzᵀ · a_prev, db (out) = column
 * sums of dz (db may be NULL: no bias), and, when da_prev != NULL, da_prev (n, in) = dz · w. */
void mlp__dense_backward(double *dw, double *db, double *da_prev, const double *dz,
                         const double *a_prev, const double *w, size_t n, size_t in,
                         size_t out);

/* Layers with in * out up to this go through plain loops rather than BLAS calls
 * (lib/model/dense.c): measured with bench/run, the tiny 2-2-1 network is 10-20x faster
 * this way at every batch size, while at 16 x 16 and above the BLAS wins from
 * moderate batches on. */
#define MLP__SMALL_LAYER 64

static inline int mlp__small_layer(size_t in, size_t out) { return in * out <= MLP__SMALL_LAYER; }

/* ---- layer kinds: one table (lib/model/layer.c), an entry per kind in its own file ------ */

/* The kinds are mlp_layer_kind's values (include/mlp.h); their count, which the table is
 * checked at compile time to cover: */
#define MLP__LAYER_KINDS 4

struct mlp__layer_kind;

typedef struct mlp_layer {
    mlp_layer_kind kind;   /* what it is */
    const struct mlp__layer_kind *type; /* kind's table entry */
    size_t in, out;        /* the widths of its input and output rows */
    mlp_activation act;    /* dense: its nodes' activation (identity for other kinds) */
    const mlp__activation_kind *ak; /* act's table entry, looked up once */
    int has_bias;          /* dense: b is there */
    size_t w_off;          /* where its parameters begin in the block: dense's weights (out,
                              in) row-major, then its bias */
    size_t b_off;          /* dense: the bias's offset; meaningless without bias */
    size_t np;             /* how many parameters it has, from w_off on */
    size_t s_off, ns;      /* its running state (batch normalization's mean and variance):
                              where it begins in net->state, and how many values */
    double epsilon;        /* layer and batch normalization: added to the variance */
    double rate;           /* dropout: the probability of dropping a value */
    double momentum;       /* batch normalization: the weight of a batch in the running values */
} mlp_layer;

/* One block of a layer's parameters: where it lies in the network's block and how
 * training treats it. */
typedef struct mlp__param_block {
    size_t off, count;
    int decays;            /* weight decay applies (weights), or not (biases, gains) */
    enum {
        MLP__BLOCK_ZEROS,  /* 0 when the network is made or initialized (biases) */
        MLP__BLOCK_ONES,   /* 1 under every initialization (gains) */
        MLP__BLOCK_DRAWN   /* drawn by the initialization as a (rows, cols) matrix of fan-in
                              cols and fan-out rows (weights) */
    } init;
    size_t rows, cols;     /* MLP__BLOCK_DRAWN: its shape */
} mlp__param_block;

/* Blocks a layer kind may have at most. */
#define MLP__MAX_BLOCKS 4

/* What a layer kind is besides its passes (mlp__layer_kind's flags). */
enum {
    MLP__KIND_RANDOM = 1, /* a training pass draws random numbers (dropout) */
    MLP__KIND_BATCH = 2   /* a training pass couples the rows of a batch (batch
                             normalization): a shard's pass is not the batch's */
};

/* What a layer kind is: its parameter blocks, its forward pass and its backward pass,
 * and the fast roads of the dense kind. Every function takes the network and the layer
 * index; `x` is the network's input (layer 0's input rows). A training pass is one with
 * ws->training set (mlp__forward with MLP__KEEP_Z): dropouts drop, batch
 * normalizations take the batch's statistics; any other pass is an inference pass. */
typedef struct mlp__layer_kind {
    const char *name;      /* in messages: "a dense layer", "a layer normalization" */
    unsigned flags;        /* MLP__KIND_ */
    /* layer l's spec (the library's layout, its activation known valid) against its
     * input width `in`: *out receives its width, *np its parameter count (at most
     * `limit`); else `bad` with the detail naming `fn` and the layer */
    mlp_status (*check)(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                        size_t *out, size_t *np, mlp_status bad, const char *fn);
    /* the values its file record holds beyond size, activation and bias (format 6): how
     * many, and they into v / out of v into a spec (which check validates after) */
    size_t n_values;
    void (*values_out)(const mlp_layer *L, double *v);
    void (*values_in)(mlp_layer_spec *spec, const double *v);
    /* its parameter blocks, in the order they lie in the parameter block: returns their
     * count (at most MLP__MAX_BLOCKS) */
    size_t (*blocks)(const mlp_layer *L, mlp__param_block *b);
    /* the values per row a training pass keeps in ws->z[l] for the backward pass (0:
     * none; the workspace holds that many); `last`: it is the output layer, whose
     * pre-activation the losses read */
    size_t (*kept)(const mlp_layer *L, int last);
    /* and the values a training pass keeps there besides, whatever the rows (NULL:
     * none), after the max_batch rows' */
    size_t (*kept_fixed)(const mlp_layer *L);
    /* its running state, values the model keeps beside its parameters and saves with
     * them but no optimizer moves (NULL: none): how many; their values when the network
     * is made or initialized; whether values read from a file can serve (NULL when
     * they can, else what is wrong with them, for the loader's message); and the
     * values a successful step leaves, which the last training pass made (NULL: it
     * leaves them as they are) */
    size_t (*n_state)(const mlp_layer *L);
    void (*state_reset)(const mlp_layer *L, double *state);
    const char *(*state_refused)(const mlp_layer *L, const double *state);
    const double *(*state_next)(const mlp_layer *L, const mlp_workspace *ws, size_t l);
    /* n rows of a_prev (n, in) into ws->act[l] (n, out); with keep_z, what the
     * backward pass needs besides the output is kept in ws->z[l] */
    void (*forward)(const mlp_net *net, mlp_workspace *ws, size_t l, const double *a_prev,
                    size_t n, int keep_z);
    /* d (n, out), the gradient of the layer's output, made in place the gradient of
     * what its parameters and input reach through (dense: dZ, through its activation) */
    void (*backward_output)(const mlp_net *net, const mlp_workspace *ws, size_t l, double *d,
                            size_t n);
    /* from that d (n, out): the gradient of its parameters into g (the parameter block's
     * layout; NULL: none wanted) and of its input into da_prev (n, in; NULL: none) */
    void (*backward)(const mlp_net *net, const mlp_workspace *ws, size_t l, double *g,
                     double *da_prev, const double *d, const double *a_prev, size_t n);
    /* plain SGD fused: its parameters −= lr·gradient (decay·w for the decaying blocks)
     * from d and a_prev without storing the gradient; scratch: np doubles, its part of
     * the gradient block. NULL: the gradient into scratch, then the update
     * (mlp__layer_sgd_generic) */
    void (*sgd)(mlp_net *net, const mlp_workspace *ws, size_t l, const double *d,
                const double *a_prev, size_t n, double lr, double decay, double *scratch);
    /* how many of its first parameters' places in the gradient block `sgd` leaves
     * unused (room for a copy of them set aside before the update: lib/train/step.c); NULL:
     * none. A kind without it is always checked after its update, never bounded. */
    size_t (*sgd_spare)(const mlp_layer *L);
    /* the row of the Jacobian of one output for one input row: the derivative of that
     * output by each of the layer's parameters, into row (the parameter block's
     * layout), from d_row (out) and a_prev_row (in) */
    void (*jacobian_row)(const mlp_workspace *ws, const mlp_layer *L, size_t l, size_t r,
                         double *row, const double *d_row, const double *a_prev_row);
} mlp__layer_kind;

/* The kinds' entries, each in its kind's file. */
extern const mlp__layer_kind mlp__dense_layer;
extern const mlp__layer_kind mlp__layernorm_layer;
extern const mlp__layer_kind mlp__dropout_layer;
extern const mlp__layer_kind mlp__batchnorm_layer;

/* Dropout's masks (lib/model/dropout.c): the key of one training step, from the trainer's seed
 * and the step's number (its step count after it: 1 for the first; 0 for
 * mlp_net_gradient's). */
uint64_t mlp__dropout_key(uint64_t seed, uint64_t step);

/* A batch normalization's prediction as one scale and shift per column, from its
 * running values (lib/model/batchnorm.c): the numbers its inference pass computes with, for
 * the C export. */
void mlp__batchnorm_fold(const mlp_net *net, size_t l, double *scale, double *shift);

/* The table entry of `kind`, or NULL for a value the library does not know. */
const mlp__layer_kind *mlp__layer_kind_of(mlp_layer_kind kind);

/* The first layer whose kind has one of `flags` (MLP__KIND_), or n_layers: none. */
size_t mlp__layer_with(const mlp_net *net, unsigned flags);

/* Running state (lib/model/layer.c): every layer's values as a new network's; whether the
 * values the last training pass made for after its step are all finite; and those
 * values made the network's (after a successful step). */
void mlp__state_reset(const mlp_net *net, double *state);
int mlp__state_ready(const mlp_net *net, const mlp_workspace *ws);
void mlp__state_commit(mlp_net *net, const mlp_workspace *ws);

/* The one check of a layer spec, for mlp_net_create and the loader alike: its kind
 * and activation known, then its kind's check (see mlp__layer_kind). */
mlp_status mlp__layer_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                            size_t *out, size_t *np, mlp_status bad, const char *fn);

/* The one backward pass. From the gradient of the last layer's output (or, with
 * top_is_z, what backward_output would make of it: the loss's dZ), down through every
 * layer to the first, each layer's d made by its kind, then its parameter gradient
 * (into grad) and its input gradient (the next layer's d). What the callers do besides
 * are hooks, in the order the pass reaches them. */
typedef struct mlp__backward_plan {
    double *grad;          /* parameter gradients, the parameter block's layout; NULL: none
                              (the input gradients alone: plain SGD, the Jacobian) */
    double *const *d;      /* per layer, (n, out): where its d lives; NULL: pair */
    double *pair[2];       /* without d: two buffers taken in turn, the last layer's first */
    int top_is_z;          /* the last layer's d already holds what backward_output makes */
    /* layer l's d is made: 0 stops the pass there */
    int (*d_ready)(void *ctx, size_t l, const double *d);
    /* layer l's parameter gradient is complete (the last layer's first) */
    void (*grad_ready)(void *ctx, size_t l);
    void *ctx;
} mlp__backward_plan;

/* (mlp__backward_pass is defined inline at the end of this header.) */

/* Where a network came from: kept with it, saved and loaded with it. */
typedef struct mlp_record {
    mlp_provenance info;   /* version, training settings, epochs */
    mlp_optimizer opt;     /* the optimizer of the last training; all zero before one */
    double *history;       /* info.epochs per-epoch training losses, or NULL */
    double *val_history;   /* info.epochs validation losses (NaN: none that epoch), or NULL */
    size_t history_cap;    /* of both */
} mlp_record;

/* What the model does to raw rows before and after the network: input and target
 * scaling, the columns' names, the class labels. Each part is absent (NULL / 0)
 * until set; all of it is saved with the network. */
typedef struct mlp__prep {
    int in_method, out_method; /* mlp_scaling */
    double *in_shift, *in_scale;   /* n_inputs each: x' = (x - shift) / scale */
    double *out_shift, *out_scale; /* n_outputs each: y = y' * scale + shift */
    char **in_names;               /* n_in_names (= the network's inputs) */
    size_t n_in_names;
    char **out_names;              /* n_targets */
    size_t n_targets;
    char **classes;                /* n_classes */
    size_t n_classes;
} mlp__prep;

void mlp__prep_free(mlp__prep *p);

/* The model's preprocessing on n rows (lib/data/prep.c): inputs (n, n_inputs) scaled into
 * dst, targets (n, n_outputs) scaled into dst (either may be src), predictions
 * (n, n_outputs) brought back to the targets' units in place. Each is a copy, or
 * nothing in place, for a model without that scaling. */
void mlp__prep_inputs(const mlp_net *net, double *dst, const double *src, size_t n);
void mlp__prep_targets(const mlp_net *net, double *dst, const double *src, size_t n);
void mlp__prep_outputs(const mlp_net *net, double *y, size_t n);

/* The longest column name or class label a model keeps. */
#define MLP__MAX_NAME 65536

/* Whether two of the n strings are equal (none NULL): then 1, and *first < *second
 * their indices (the pair with the smallest second, then first); 0 when all differ,
 * and -1 when the memory to tell is lacking. The one rule for class labels, applied
 * by mlp_net_set_classes and by the loader alike. */
int mlp__repeated_string(const char *const *s, size_t n, size_t *first, size_t *second);

struct mlp_net {
    size_t n_inputs;
    size_t n_layers;
    size_t n_params;
    mlp_layer *layers;     /* n_layers */
    double *params;        /* n_params, 64-byte aligned: W1, b1, W2, b2, ..., then the
                              running state */
    size_t n_state;        /* values of running state (batch normalizations'), after the
                              parameters in the same allocation */
    double *state;         /* params + n_params */
    int small;             /* every layer small with a piecewise-linear activation: the
                              forward pass is mlp__small_net_forward's plain loops */
    mlp__prep prep;        /* the preprocessing that travels with the model (lib/data/prep.c) */
    size_t param_gen;      /* counts the changes to params made outside a trainer's step
                              (set_weights, init, mlp_net_params(), a fit's restore) and by
                              each trainer: plain SGD re-reads the weights when it moved */
    mlp_record record;
    uint64_t shape_id;     /* unique to this network in the process (never reused, unlike
                              its address): a workspace remembers the last it fitted */
};

/* A network of this shape, its parameters all 0 (mlp_net_create draws them after;
 * the loader reads them). */
mlp_status mlp__net_new(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                        size_t n_layers, const char *fn);

/* The draw of mlp_net_init into params (the network's layout); scratch as
 * init.c sizes it (NULL but for MLP_INIT_ORTHOGONAL). Fails only for MLP_INIT_ORTHOGONAL (LAPACKE). */
mlp_status mlp__init_draw(double *params, const mlp_net *net, mlp_init init,
                          unsigned long long seed, double *scratch);

/* The seed mlp_net_create draws a new network's weights from. */
#define MLP__CREATE_SEED 0ull

/* Most layers a network may have: more is a caller's mistake or a hostile file. */
#define MLP_MAX_LAYERS 4096

/* ---- losses: one table (lib/kernels/loss.c) ------------------------------------------------ */

typedef struct mlp__loss_kind {
    const char *name;
    int output_act;      /* the output activation it needs (mlp_activation), or -1: any */
    size_t min_outputs;  /* fewer output nodes cannot train */
    int uses_logits;     /* computed from the output layer's pre-activation */
    int accuracy_metric; /* the epoch metric is accuracy; else mean absolute error */
    /* the mean loss of outputs a (n, k) (pre-activation z) against t */
    double (*value)(const double *a, const double *z, const double *t, size_t n, size_t k);
    /* the mean loss of the n rows, and dz (n, k) = the gradient with respect to the
     * output layer's z of the loss summed over them and divided by `of` rows (n, or
     * the rows of the whole batch when these n are one shard of it) */
    double (*loss_and_delta)(double *dz, const double *a, const double *z, const double *t,
                             size_t n, size_t k, mlp_activation out_act, size_t of);
} mlp__loss_kind;

/* The table entry of `loss`, or NULL for a value the library does not know. */
const mlp__loss_kind *mlp__loss(mlp_loss loss);

/* MLP_OK when `loss` is known and fits the network's output layer. */
mlp_status mlp__loss_fits(mlp_loss loss, const mlp_net *net, const char *fn);

/* Fraction of rows classified right (see mlp_accuracy()). */
double mlp__accuracy(const double *pred, const double *target, size_t n, size_t k);

/* ---- optimizers and schedules: one table each (lib/train/optim.c) ------------------------- */

typedef struct mlp__optimizer_kind {
    const char *name;
    int full_batch;        /* a full-batch method: fit refuses mini-batches */
    int uses_lr;           /* has a learning rate (and so a schedule) */
    double default_lr;
    int state_blocks;      /* parameter-sized blocks of state it keeps: 0, 1 or 2 */
    /* the settings this kind reads, beyond the shared ones; `fn` names the caller */
    mlp_status (*check)(const mlp_optimizer *o, const char *fn);
    /* the state's value after a reset, for every parameter: (block 0, block 1) */
    double (*state_init)(const mlp_optimizer *o, int block);
    /* the update of n parameters, out of place into arrays that overlap none of the
     * inputs (lib/train/optim.c says how); a1 and b1 are scratch the kind does not keep when
     * it has fewer state blocks. Plain SGD's is used only by sharded fits: its steps
     * fuse the update into the backward pass (sgd_step) */
    void (*update)(double *restrict w1, double *restrict a1, double *restrict b1,
                   const double *restrict w, const double *restrict g,
                   const double *restrict a, const double *restrict b, size_t n,
                   const mlp_optimizer *o, double lr, unsigned long long t, double wd);
    /* a whole iteration of its own (second-order methods, lib/train/second_order.c): NULL for
     * the first-order methods, which go through `update` */
    mlp_status (*step)(mlp_trainer *tr, double *loss_value, const double *x, const double *t,
                       size_t n);
    /* what it keeps besides: parameter-sized blocks of history (L-BFGS's pairs; NULL:
     * none), and the two counters tr->so of a trainer that has not stepped */
    size_t (*history_blocks)(const mlp_optimizer *o);
    double so_init[2];
    /* a checkpoint's state, restored into the trainer (tr->state, tr->hist, tr->so, with
     * tr->t set), every value finite: MLP_OK when this optimizer could have reached it
     * (and what derives from it made: L-BFGS's 1/yᵀs), else MLP_ERR_FORMAT with a detail
     * naming `fn`. Anything else would make the next step's arithmetic garbage. */
    mlp_status (*restored)(mlp_trainer *tr, const char *fn);
} mlp__optimizer_kind;

/* A checkpoint's trainer, from its file (lib/io/read.c) into a trainer made for its
 * network, loss and optimizer (lib/train/trainer.c): the counters here; the state,
 * history and second-order counters decoded by the caller into the buffers that
 * mlp__trainer_buffers hands out, before mlp__trainer_restore checks them all. */
typedef struct mlp__trainer_counts {
    uint64_t t;            /* steps taken */
    size_t epochs_done;
    double plateau_best;
    size_t plateau_wait, plateau_cuts;
} mlp__trainer_counts;

void mlp__trainer_buffers(mlp_trainer *tr, double **state0, double **state1, double **hist,
                          size_t *hist_blocks, double **so);
mlp_status mlp__trainer_restore(mlp_trainer *tr, const mlp__trainer_counts *c, const char *fn);

const mlp__optimizer_kind *mlp__optimizer(mlp_optimizer_kind kind);

typedef struct mlp__schedule_kind {
    const char *name;
    /* settings this schedule reads; `fn` names the caller */
    mlp_status (*check)(const mlp_optimizer *o, const char *fn);
    /* the rate of epoch e (0-based, over the trainer's life) after `cuts` plateau cuts */
    double (*rate)(const mlp_optimizer *o, size_t e, size_t cuts);
} mlp__schedule_kind;

const mlp__schedule_kind *mlp__schedule(mlp_schedule schedule);

/* MLP_OK when the optimizer's settings (and schedule) are usable; `fn` names the caller. */
mlp_status mlp__check_optimizer(const mlp_optimizer *o, const char *fn);

/* The caller's optimizer struct in the library's layout, with the defaults of its kind
 * for the fields the caller's struct_size does not cover; then checked. */
mlp_status mlp__optimizer_in(mlp_optimizer *dst, const mlp_optimizer *src, const char *fn);

/* The defaults of `kind` (known) in the library's layout. */
void mlp__optimizer_defaults(mlp_optimizer *o, mlp_optimizer_kind kind);

/* ---- trainers ------------------------------------------------------------------- */

/* The most steps and epochs a trainer counts: a checkpoint holding more is refused,
 * and a step or fit that would pass them fails first, so that every trainer saves
 * into a file that loads back. 2^53 steps keep Adam's t exact in a double. */
#define MLP__MAX_STEPS (1ull << 53)
#define MLP__MAX_EPOCHS (SIZE_MAX / 16)
/* The most any count of a file's optimizer block may be (the loader's and the
 * setters' one rule, mlp__check_optimizer). */
#define MLP__MAX_COUNT (SIZE_MAX / 16)

struct mlp_trainer {
    mlp_net *net;          /* borrowed */
    mlp_loss loss;
    const mlp__loss_kind *lk; /* loss's table entry */
    int keep;              /* what its training passes keep (mlp__keep_for) */
    mlp_optimizer opt; /* the library's layout; opt.learning_rate is the base rate */
    size_t max_batch;
    mlp_workspace *ws;
    double *grad;          /* (n_params): the gradient block, the parameter block's layout */
    double *state[2];      /* 2 x (n_params): momentum v | Adam m, v | RPROP step, previous grad */
    double *shadow[2];     /* where an update writes the new state of the blocks the optimizer
                              uses, swapped with state[] once every value is finite */
    double *block;         /* the allocation behind grad, state and shadow */
    unsigned long long t;  /* steps taken (Adam's t), at most MLP__MAX_STEPS */
    uint64_t drop_seed;    /* dropout's masks: the last fit's seed, or the network's
                              provenance seed when the trainer was made */
    size_t sgd_gen;        /* plain SGD: net->param_gen when wmax was last exact */
    double *wmax;          /* plain SGD: per layer, a bound on its parameters' magnitude */
    double *bounds;        /* plain SGD: 3 x (n_layers) for one step's magnitudes */
    double *check_rows;    /* plain SGD: per layer, above how many rows its update is checked
                              after rather than bounded before (sgd_step); then the least */
    size_t epochs_done;    /* epochs completed by mlp_trainer_fit, over every call; at most
                              MLP__MAX_EPOCHS */
    double lr;             /* the learning rate of the next step: the schedule's at epochs_done */
    double plateau_best;   /* plateau schedule: the best monitored loss so far (INFINITY: none) */
    size_t plateau_wait;   /* epochs since it improved */
    size_t plateau_cuts;   /* cuts of the rate so far */
    double **dz;           /* plain SGD only: per layer (max_batch, out), every layer's dZ */
    double *dz_block;      /* the allocation behind dz */
    double *history;       /* the last fit's per-epoch records: 5 x history_cap values */
    size_t history_cap;
    /* second-order methods (lib/train/second_order.c) */
    double *hist;          /* L-BFGS: (2 lbfgs_history, n_params) pairs s, y; checkpointed */
    size_t hist_blocks;    /* parameter-sized blocks in hist (0 for the others) */
    double so[2];          /* L-BFGS: pairs stored, next slot; LM: μ (0: not yet), ν;
                              checkpointed */
    double *scratch;       /* the rest, rebuilt by every iteration */
    size_t lm_rows;        /* LM: rows of one Jacobian block */
    int converged;         /* the last iteration met the tolerances, or could not go on */
    /* L-BFGS ends an iteration with the objective and gradient at the new weights;
     * the next iteration starts from them instead of computing them again when
     * mlp_trainer_fit says its batch is the one of the last step (same_batch) and the
     * weights are those the step left (cached_gen == net->param_gen). A checkpoint
     * does not carry them: a resumed fit computes the same values afresh. */
    int same_batch;
    int cached;
    uint64_t cached_gen;
    double cached_f, cached_data;
};

/* Second-order methods: their iterations, and the scratch each needs (doubles). */
mlp_status mlp__lbfgs_step(mlp_trainer *tr, double *loss_value, const double *x,
                           const double *t, size_t n);
mlp_status mlp__lm_step(mlp_trainer *tr, double *loss_value, const double *x, const double *t,
                        size_t n);
size_t mlp__lbfgs_scratch(const mlp_optimizer *o, size_t np);
size_t mlp__lbfgs_history_blocks(const mlp_optimizer *o);
/* their checkpoint's state restored (mlp__optimizer_kind's `restored`) */
mlp_status mlp__lbfgs_restored(mlp_trainer *tr, const char *fn);
mlp_status mlp__lm_restored(mlp_trainer *tr, const char *fn);
size_t mlp__lm_scratch(const mlp_net *net, size_t rows);
size_t mlp__lm_rows(const mlp_net *net, size_t max_batch);
size_t mlp__lm_bytes(size_t np);
/* The forward pass of b <= the LM block's rows and the Jacobian of its outputs: (b·k,
 * n_params) row-major, row r·k + c holding ∂ŷ[r][c]/∂θ; it lives in the trainer's
 * scratch until the next step. */
const double *mlp__lm_jacobian(mlp_trainer *tr, const double *x, size_t b);
/* A checkpoint into memory, as mlp_trainer_save() writes it to a file (for the tests'
 * and the fuzzers' round trips; mlp_net_save_buffer()'s rules). */
mlp_status mlp__trainer_save_buffer(const mlp_trainer *tr, void *buf, size_t capacity,
                                    size_t *size);

/* Recompute L-BFGS's 1 / yᵀs of every stored pair (after a load or a reset). */
void mlp__lbfgs_refresh(mlp_trainer *tr);
double mlp__lbfgs_rho(const mlp_trainer *tr, size_t i); /* 1/yᵀs of stored pair i */

/* Make room for `more` entries in the network's loss history (setup, not a step). */
mlp_status mlp__history_reserve(mlp_net *net, size_t more);

/* Recompute tr->lr from the schedule for the trainer's current epoch. */
void mlp__trainer_update_lr(mlp_trainer *tr);

/* ---- workspaces and passes ---------------------------------------------------------- */

struct mlp_workspace {
    size_t max_batch;
    size_t n_inputs;
    size_t n_layers;
    size_t *sizes;         /* n_layers output sizes, the shape this workspace serves */
    mlp_layer_kind *kinds; /* n_layers kinds: what each layer's kept buffer is sized for */
    double **act;          /* n_layers buffers, each (max_batch, sizes[l]) row-major */
    double **z;            /* n_layers pre-activation buffers (max_batch, sizes[l]), kept by
                              training passes: for hidden layers whose activation needs it
                              (NULL for the others), and always for the output layer */
    double *delta[2];      /* 2 x (max_batch, max width): dZ and dA_prev during backward */
    double *scaled;        /* (max_batch, n_inputs): the inputs as the model scales them */
    double *targets;       /* (max_batch, n_outputs): targets as the loss reads them (class
                              indices made one-hot, the model's target scaling applied) */
    size_t last_rows;      /* rows of the last successful forward pass; 0 = none yet */
    double *block;         /* every buffer above, each 64-byte aligned */
    uint64_t fits_id;      /* shape_id of the last network mlp_net_predict found it fits */
    uint64_t drop_seed, drop_step; /* dropout: the seed and step whose masks a training
                              pass draws (mlp__dropout_key) */
    size_t drop_row0;      /* dropout: the row of the whole batch the pass's first row is */
    int training;          /* the last forward pass was a training pass (MLP__KEEP_Z) */
};

/* MLP_OK when `ws` was made for a network of `net`'s shape; else MLP_ERR_SHAPE
 * with a detail naming `fn`. With `training`, also that it keeps the pre-activation
 * of every hidden layer whose activation needs it. */
mlp_status mlp__workspace_fits(const mlp_workspace *ws, const mlp_net *net, int training,
                               const char *fn);

/* What a forward pass keeps besides every layer's output. */
enum {
    MLP__KEEP_Z = 1,     /* the pre-activation of the layers whose derivative needs it */
    MLP__KEEP_LOGITS = 2 /* the output layer's pre-activation */
};

/* The MLP__KEEP_ flags a training pass of `loss` needs. */
int mlp__keep_for(const mlp_net *net, mlp_loss loss);

/* Forward pass of n rows (checked by the caller) through every layer into the
 * workspace, keeping what `keep` (MLP__KEEP_ flags) asks for. */
void mlp__forward(const mlp_net *net, mlp_workspace *ws, const double *x, size_t n, int keep);

/* Backward pass after mlp__forward(..., mlp__keep_for(net, loss)): the gradient of
 * the mean loss into grad (n_params), returning the loss. */
double mlp__backward(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, double *grad,
                     const double *x, const double *target, size_t n);

/* The same for n rows that are one shard of a batch of `of` rows: the gradient of
 * their summed loss divided by `of`; returns the mean loss of the n rows. With done,
 * calls done(ctx, l, loss) as soon as layer l's gradient is complete (the last layer
 * first): a sharded fit hands it to the reducer while the layers before it are
 * computed. */
typedef void (*mlp__layer_done)(void *ctx, size_t layer, double loss);
double mlp__backward_hooked(const mlp_net *net, mlp_workspace *ws, mlp_loss loss, double *grad,
                            const double *x, const double *target, size_t n, size_t of,
                            mlp__layer_done done, void *ctx);

/* A dataset resolved against a network (lib/data/dataset.c): where its rows are and what
 * they hold. */
typedef struct mlp__rows {
    const double *x, *y;   /* the caller's arrays; y NULL: no targets */
    size_t n;              /* rows */
    size_t tcols;          /* columns of y: the network's outputs, or 1 for class indices */
    size_t classes;        /* > 0: y holds class indices below it */
    int model;             /* 1: rows as they come, the model's preprocessing to apply
                              (a 1.5 dataset); 0: a dataset of a program built against 1.4,
                              rows as the network reads them */
} mlp__rows;

/* Resolve `d` for `net`: its struct_size, pointers and rows, and for a dataset that
 * says its shape, its columns against the network's (MLP_ERR_SHAPE naming both).
 * With need_y, targets are required. `what` names the rows in the detail
 * ("training", "validation", "batch"; "" for the only dataset of a call). */
mlp_status mlp__rows_in(mlp__rows *r, const mlp_dataset *d, const mlp_net *net, int need_y,
                        const char *fn, const char *what);

/* The classes a network's output stands for: one per output node, two for a single
 * sigmoid node, 0 for any other single node. */
size_t mlp__output_classes(const mlp_net *net);

/* 1 when the network reads the rows as they are: no class indices to check and make
 * one-hot, no scaling to apply (a step's quick test, before mlp__rows_batch). */
static inline int mlp__rows_plain(const mlp__rows *r, const mlp_net *net)
{
    return r->classes == 0 &&
           (!r->model || (net->prep.in_shift == NULL && net->prep.out_shift == NULL));
}

/* Whether the network cannot read the rows' inputs, or their targets, as they are. */
int mlp__rows_map_x(const mlp__rows *r, const mlp_net *net);
int mlp__rows_map_y(const mlp__rows *r, const mlp_net *net);

/* MLP_OK when every target of a dataset of classes is a class index below r->classes;
 * else MLP_ERR_INVALID_ARG naming the row. MLP_OK for values. */
mlp_status mlp__rows_check_classes(const mlp__rows *r, const char *fn, const char *what);

/* m rows as the network reads them, into dst: inputs (m, n_inputs) scaled, targets
 * (m, n_outputs) one-hot or scaled. Row i is r's row rows[i], or i without rows. */
void mlp__rows_x(double *dst, const mlp__rows *r, const mlp_net *net, const size_t *rows,
                 size_t m);
void mlp__rows_y(double *dst, const mlp__rows *r, const mlp_net *net, const size_t *rows,
                 size_t m);

/* A batch of rows as the network reads them: the caller's arrays where they serve,
 * else the workspace's (scaled, targets). x and t receive the pointers. */
void mlp__rows_batch(const double **x, const double **t, const mlp__rows *r, const mlp_net *net,
                     mlp_workspace *ws);

/* The model's prediction of n rows as they come (mlp_net_predict); `fn` names the
 * caller in the detail. */
mlp_status mlp__predict_model(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                              size_t n, const char *fn);

/* ---- the passes' steps, inline ------------------------------------------------------ */

/* The dense kind's operations (its table entry points at them too). The passes call
 * them directly rather than through the table: a small network's step is a few hundred
 * instructions, and calls through the table, with their wrappers, added a fifth. */
static inline void mlp__dense_layer_forward(const mlp_net *net, mlp_workspace *ws, size_t l,
                                            const double *a_prev, size_t n, int keep_z)
{
    const mlp_layer *L = &net->layers[l];
    mlp__dense_forward(ws->act[l], keep_z ? ws->z[l] : NULL, a_prev, net->params + L->w_off,
                       L->has_bias ? net->params + L->b_off : NULL, n, L->in, L->out, L->act);
}

static inline void mlp__dense_layer_backward_output(const mlp_net *net, const mlp_workspace *ws,
                                                    size_t l, double *d, size_t n)
{
    const mlp_layer *L = &net->layers[l];
    mlp__activation_backward(d, d, ws->act[l], ws->z[l], n, L->out, L->act);
}

static inline void mlp__dense_layer_backward(const mlp_net *net, const mlp_workspace *ws,
                                             size_t l, double *g, double *da_prev,
                                             const double *d, const double *a_prev, size_t n)
{
    (void)ws;
    const mlp_layer *L = &net->layers[l];
    const double *w = net->params + L->w_off;
    if (g != NULL)
        mlp__dense_backward(g + L->w_off, L->has_bias ? g + L->b_off : NULL, da_prev, d, a_prev,
                            w, n, L->in, L->out);
    else if (da_prev != NULL)
        mlp__dense_backward_input(da_prev, d, w, n, L->in, L->out);
}

static inline void mlp__dense_layer_sgd(mlp_net *net, const mlp_workspace *ws, size_t l,
                                        const double *d, const double *a_prev, size_t n,
                                        double lr, double decay, double *scratch)
{
    (void)ws;
    const mlp_layer *L = &net->layers[l];
    mlp__dense_sgd(net->params + L->w_off, L->has_bias ? net->params + L->b_off : NULL, d,
                   a_prev, n, L->in, L->out, lr, decay, scratch);
}

/* A layer's step through its kind: dense's directly, the others' through the table. */
static inline void mlp__layer_forward(const mlp_net *net, mlp_workspace *ws, size_t l,
                                      const double *a_prev, size_t n, int keep_z)
{
    const mlp_layer *L = &net->layers[l];
    if (L->type == &mlp__dense_layer) mlp__dense_layer_forward(net, ws, l, a_prev, n, keep_z);
    else L->type->forward(net, ws, l, a_prev, n, keep_z);
}

static inline void mlp__layer_backward_output(const mlp_net *net, const mlp_workspace *ws,
                                              size_t l, double *d, size_t n)
{
    const mlp_layer *L = &net->layers[l];
    if (L->type == &mlp__dense_layer) mlp__dense_layer_backward_output(net, ws, l, d, n);
    else L->type->backward_output(net, ws, l, d, n);
}

static inline void mlp__layer_backward(const mlp_net *net, const mlp_workspace *ws, size_t l,
                                       double *g, double *da_prev, const double *d,
                                       const double *a_prev, size_t n)
{
    const mlp_layer *L = &net->layers[l];
    if (L->type == &mlp__dense_layer) mlp__dense_layer_backward(net, ws, l, g, da_prev, d, a_prev, n);
    else L->type->backward(net, ws, l, g, da_prev, d, a_prev, n);
}

/* Plain SGD of a kind without a fused road: its gradient into its part of the gradient
 * block (scratch), then each block moved by it (decay only where the block decays). */
void mlp__layer_sgd_generic(mlp_net *net, const mlp_workspace *ws, size_t l, const double *d,
                            const double *a_prev, size_t n, double lr, double decay,
                            double *scratch);

static inline void mlp__layer_sgd(mlp_net *net, const mlp_workspace *ws, size_t l,
                                  const double *d, const double *a_prev, size_t n, double lr,
                                  double decay, double *scratch)
{
    const mlp_layer *L = &net->layers[l];
    if (L->type == &mlp__dense_layer)
        mlp__dense_layer_sgd(net, ws, l, d, a_prev, n, lr, decay, scratch);
    else if (L->type->sgd != NULL)
        L->type->sgd(net, ws, l, d, a_prev, n, lr, decay, scratch);
    else
        mlp__layer_sgd_generic(net, ws, l, d, a_prev, n, lr, decay, scratch);
}

/* The one backward pass (described with mlp__backward_plan above). Inline, so that a
 * caller's hooks, known where it is called, are inlined into it. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void mlp__backward_pass(const mlp_net *net, const mlp_workspace *ws,
                                      const double *x, size_t n, const mlp__backward_plan *b)
{
    const size_t last = net->n_layers - 1;
    for (size_t l = last + 1; l-- > 0;) {
        double *d = b->d != NULL ? b->d[l] : b->pair[(last - l) & 1];
        double *da_prev = l == 0 ? NULL : b->d != NULL ? b->d[l - 1] : b->pair[(last - l + 1) & 1];
        if (l != last || !b->top_is_z) mlp__layer_backward_output(net, ws, l, d, n);
        if (b->d_ready != NULL && !b->d_ready(b->ctx, l, d)) return;
        mlp__layer_backward(net, ws, l, b->grad, da_prev, d, l > 0 ? ws->act[l - 1] : x, n);
        if (b->grad_ready != NULL) b->grad_ready(b->ctx, l);
    }
}

/* The next step's training pass: its dropout masks are those of the trainer's seed and
 * the step's number, for rows that start at row0 of the whole batch. */
static inline void mlp__training_pass(mlp_trainer *tr, size_t row0)
{
    tr->ws->drop_seed = tr->drop_seed;
    tr->ws->drop_step = tr->t + 1;
    tr->ws->drop_row0 = row0;
}

#endif
