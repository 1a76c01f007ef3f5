/* The model's private header (lib/model/): layer kinds, networks, workspaces and the
 * passes that walk them. Part of lib/mlp_internal.h; never installed. */
#ifndef MLP_MODEL_H
#define MLP_MODEL_H

#include "../kernels/kernels.h"

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

/* What a layer kind is: its parameter blocks, its settings, what a training pass keeps,
 * and its passes over values, which are typed (model_typed.h): `passes` for a float64
 * network, `passes_f32` for a float32 one. */
struct mlp__layer_passes;
struct mlp__layer_passes_f32;

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
     * them but no optimizer moves (NULL: none): how many (the passes make, check and
     * commit them) */
    size_t (*n_state)(const mlp_layer *L);
    /* how many of its first parameters' places in the gradient block its fused SGD
     * (the passes' sgd) leaves unused (room for a copy of them set aside before the
     * update: lib/train/step.c); NULL: none. A kind without it is always checked after
     * its update, never bounded. */
    size_t (*sgd_spare)(const mlp_layer *L);
    const struct mlp__layer_passes *passes;         /* over float64 values */
    const struct mlp__layer_passes_f32 *passes_f32; /* over float32 values */
} mlp__layer_kind;

/* The kinds' entries, each in its kind's file. */
extern const mlp__layer_kind mlp__dense_layer;
extern const mlp__layer_kind mlp__layernorm_layer;
extern const mlp__layer_kind mlp__dropout_layer;
extern const mlp__layer_kind mlp__batchnorm_layer;

/* Dropout's masks (lib/model/dropout.c): the key of one training step, from the trainer's seed
 * and the step's number (its step count after it: 1 for the first; 0 for
 * mlp_net_gradient's). */
static inline uint64_t mlp__dropout_mix(uint64_t z) /* splitmix64's finalizer */
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t mlp__dropout_key(uint64_t seed, uint64_t step)
{
    return mlp__dropout_mix(mlp__dropout_mix(seed ^ 0x64726F706F757421ull) +
                            step * 0x9E3779B97F4A7C15ull);
}

/* A batch normalization's prediction as one scale and shift per column, from its
 * running values (lib/model/batchnorm.c): the numbers its inference pass computes with, for
 * the C export. */
void mlp__batchnorm_fold(const mlp_net *net, size_t l, double *scale, double *shift);

/* The table entry of `kind` (lib/model/kinds.c), or NULL for a value the library does
 * not know. */
const mlp__layer_kind *mlp__layer_kind_of(mlp_layer_kind kind);

/* The first layer whose kind has one of `flags` (MLP__KIND_), or n_layers: none. */
size_t mlp__layer_with(const mlp_net *net, unsigned flags);

/* What the kinds that keep their input's width share (lib/model/layer.c), `name`
 * their kind's in the messages: the spec's size 0 or that width (dropout, the
 * normalizations); and a normalization's check (that, then ε positive and finite,
 * `macro` the initializer that sets it; *np a gain and, with bias, a bias per value)
 * and its parameter blocks (the gains, 1 when made; the biases, 0; neither decayed). */
mlp_status mlp__same_width_check(const mlp_layer_spec *spec, size_t l, size_t in, const char *name,
                                 mlp_status bad, const char *fn);
mlp_status mlp__norm_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                           size_t *out, size_t *np, mlp_status bad, const char *fn,
                           const char *name, const char *macro);
size_t mlp__norm_blocks(const mlp_layer *L, mlp__param_block *b);

/* The one check of a layer spec, for mlp_net_create and the loader alike: its kind
 * and activation known, then its kind's check (see mlp__layer_kind; kinds.c). */
mlp_status mlp__layer_check(const mlp_layer_spec *spec, size_t l, size_t in, size_t limit,
                            size_t *out, size_t *np, mlp_status bad, const char *fn);

/* Where a network came from: kept with it, saved and loaded with it. */
typedef struct mlp_record {
    mlp_provenance info;   /* version, training settings, epochs */
    mlp_optimizer opt;     /* the optimizer of the last training; all zero before one */
    double *history;       /* info.epochs per-epoch training losses, or NULL */
    double *val_history;   /* info.epochs validation losses (NaN: none that epoch), or NULL */
    size_t history_cap;    /* of both */
} mlp_record;

/* A table column as the model reads it (since 1.7): a number, or a category one-hot
 * encoded, and the value a missing cell takes. lib/model/columns.c. */
typedef struct mlp__column {
    char *name;
    int kind;               /* mlp_column_kind */
    size_t first, width;    /* its inputs: first .. first + width - 1 (set by the check) */
    double fill;            /* numeric: a missing cell's value; NaN for categories */
    int indicator;          /* numeric: input first + 1 is 1 where the cell was missing */
    int missing_category;   /* categorical: input first + n_categories is a missing cell */
    size_t n_categories;
    char **categories;      /* in the inputs' order */
    size_t *by_bytes;       /* the categories' indices in strcmp order, for the lookup
                               (set by the check) */
} mlp__column;

/* The columns of a model or a table (n == 0: none; the inputs are the columns). */
typedef struct mlp__columns {
    mlp__column *c;
    size_t n;
    char **names;           /* n pointers to c[i].name (not owned): the CSV options' list */
    char **missing;         /* the fields that mean a missing cell, besides the empty one */
    size_t n_missing;
} mlp__columns;

/* Frees what the columns hold and clears them. */
void mlp__columns_free(mlp__columns *cs);

/* Copies src (checked) into an empty dst. */
mlp_status mlp__columns_copy(mlp__columns *dst, const mlp__columns *src, const char *fn);

/* The one validation of columns, for the setters and the loader alike: each has a name
 * (no two alike), a known kind, a finite fill (numeric) or at least one category, none
 * repeated (categorical); their inputs add up to n_inputs. Sets first, width, by_bytes
 * and names. `bad` is the status of a failure (MLP_ERR_FORMAT for a file), its detail
 * beginning with `fn`. */
mlp_status mlp__columns_check(mlp__columns *cs, size_t n_inputs, mlp_status bad, const char *fn);

/* The inputs column c makes: 1 (+ 1 for an indicator) for a number, its categories (+ 1
 * for a missing category) for categories. */
static inline size_t mlp__column_width(const mlp__column *c)
{
    return c->kind == MLP_COLUMN_NUMERIC ? 1 + (size_t)(c->indicator != 0)
                                         : c->n_categories + (size_t)(c->missing_category != 0);
}

/* Whether column c encodes its cells (a category, or a missing number's indicator):
 * its inputs are not the row's number. */
static inline int mlp__column_encodes(const mlp__column *c)
{
    return c->kind != MLP_COLUMN_NUMERIC || c->indicator;
}

/* A cell of column c into its inputs out[0 .. width): a number, v (or the fill when
 * missing) and its indicator; a category, one-hot at k (none for SIZE_MAX, a category
 * the column does not know), or its missing category when missing. The one rule for a
 * table's own rows (lib/data/csv_columns.c) and later ones (lib/data/encode.c). */
void mlp__column_put(const mlp__column *c, double *out, double v, size_t k, int missing);

/* The index of category s[0..len) of column c, or SIZE_MAX (a binary search). */
size_t mlp__column_find(const mlp__column *c, const char *s, size_t len);

/* Whether field s[0..len) means a missing cell: empty, or one of the tokens. */
int mlp__columns_is_missing(const mlp__columns *cs, const char *s, size_t len);

/* The names of the n_inputs inputs the columns make: a number's own name, "NAME=LABEL"
 * for a category, "NAME (missing)" for an indicator or a missing category. */
mlp_status mlp__columns_input_names(char ***names, const mlp__columns *cs, size_t n_inputs,
                                    const char *fn);

/* MLP_OK when every column is a plain number; else MLP_ERR_INVALID_ARG naming the first
 * that is not (a category, an indicator): an export of numbers (`form`: "the ONNX export
 * writes a graph of") cannot take the raw row it needs. */
mlp_status mlp__columns_exportable(const mlp__columns *cs, const char *form, const char *fn);

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
    mlp__columns columns;          /* the table columns the inputs encode (n 0: none) */
} mlp__prep;

/* Frees what the preprocessing holds and clears it (lib/model/net.c). */
void mlp__prep_free(mlp__prep *p);

/* The model's preprocessing on n rows (lib/model/rows.c): inputs (n, n_inputs) scaled into
 * dst, targets (n, n_outputs) scaled into dst (either may be src), predictions
 * (n, n_outputs) brought back to the targets' units in place. Each is a copy, or
 * nothing in place, for a model without that scaling. */
void mlp__prep_inputs(const mlp_net *net, double *dst, const double *src, size_t n);
void mlp__prep_targets(const mlp_net *net, double *dst, const double *src, size_t n);
void mlp__prep_outputs(const mlp_net *net, double *y, size_t n);


struct mlp_net {
    size_t n_inputs;
    size_t n_layers;
    size_t n_params;
    mlp_layer *layers;     /* n_layers */
    int f32;               /* its values are float32 (params_f32, state_f32, and a
                              workspace's buffers); else float64 */
    union {
        double *params;    /* n_params, 64-byte aligned: W1, b1, W2, b2, ..., then the
                              running state */
        float *params_f32;
    };
    size_t n_state;        /* values of running state (batch normalizations'), after the
                              parameters in the same allocation */
    union {
        double *state;     /* params + n_params */
        float *state_f32;
    };
    int small;             /* every layer small with a piecewise-linear activation: the
                              forward pass is mlp__small_net_forward's plain loops */
    mlp__prep prep;        /* the preprocessing that travels with the model: set by
                              lib/data/prep.c, applied by lib/model/rows.c */
    size_t param_gen;      /* counts the changes to params made outside a trainer's step
                              (set_weights, init, mlp_net_params(), a fit's restore) and by
                              each trainer: plain SGD re-reads the weights when it moved */
    mlp_record record;
    uint64_t shape_id;     /* unique to this network in the process (never reused, unlike
                              its address): a workspace remembers the last it fitted */
};

/* The bytes of one of the network's values (its parameters, running state, and the
 * rows as it reads them): a float's or a double's. */
static inline size_t mlp__value_size(const mlp_net *net)
{
    return net->f32 ? sizeof(float) : sizeof(double);
}

/* A network of this shape, its parameters all 0 (mlp_net_create draws them after;
 * the loader reads them). */
mlp_status mlp__net_new(mlp_net **net, size_t n_inputs, const mlp_layer_spec *layers,
                        size_t n_layers, const char *fn);

/* A copy of `net`'s layers, values (parameters and running state) and preprocessing in
 * the other type or the same (f32: float32; else float64; each value rounded to
 * nearest), without its record (lib/model/net.c). `fn` names the caller in the detail. */
mlp_status mlp__net_convert(mlp_net **out, const mlp_net *net, int f32, const char *fn);

/* Every value the network holds is finite: its parameters, running state and scaling
 * (what the exports write; lib/model/net.c). */
int mlp__net_finite(const mlp_net *net);

/* The draw of mlp_net_init into params (the network's layout); scratch as
 * init.c sizes it (NULL but for MLP_INIT_ORTHOGONAL). Fails only for MLP_INIT_ORTHOGONAL (LAPACKE). */
mlp_status mlp__init_draw(double *params, const mlp_net *net, mlp_init init,
                          unsigned long long seed, double *scratch);

/* The seed mlp_net_create draws a new network's weights from. */
#define MLP__CREATE_SEED 0ull

/* Most layers a network may have: more is a caller's mistake or a hostile file. */
#define MLP_MAX_LAYERS 4096

/* ---- workspaces and passes ---------------------------------------------------------- */

struct mlp_workspace {
    size_t max_batch;
    size_t n_inputs;
    size_t n_layers;
    size_t *sizes;         /* n_layers output sizes, the shape this workspace serves */
    mlp_layer_kind *kinds; /* n_layers kinds: what each layer's kept buffer is sized for */
    int f32;               /* its buffers hold float32 values (the _f32 members), for a
                              float32 network; else float64 */
    union {
        double **act;      /* n_layers buffers, each (max_batch, sizes[l]) row-major */
        float **act_f32;
    };
    union {
        double **z;        /* n_layers pre-activation buffers (max_batch, sizes[l]), kept by
                              training passes: for hidden layers whose activation needs it
                              (NULL for the others), and always for the output layer */
        float **z_f32;
    };
    union {
        double *delta[2];  /* 2 x (max_batch, max width): dZ and dA_prev during backward */
        float *delta_f32[2];
    };
    union {
        double *scaled;    /* (max_batch, n_inputs): the inputs as the model scales them */
        float *scaled_f32;
    };
    union {
        double *targets;   /* (max_batch, n_outputs): targets as the loss reads them (class
                              indices made one-hot, the model's target scaling applied) */
        float *targets_f32;
    };
    size_t last_rows;      /* rows of the last successful forward pass; 0 = none yet */
    void *block;           /* every buffer above, each 64-byte aligned */
    uint64_t fits_id;      /* shape_id of the last network mlp_net_predict found it fits */
    uint64_t fits_any_id;  /* the same for the general road (predict_any: float rows, or a
                              float32 network), which the quick test must never take */
    uint64_t drop_seed, drop_step; /* dropout: the seed and step whose masks a training
                              pass draws (mlp__dropout_key) */
    size_t drop_row0;      /* dropout: the row of the whole batch the pass's first row is */
    int training;          /* the last forward pass was a training pass (MLP__KEEP_Z) */
    const void *owner;     /* a predictor's workspace (lib/model/predictor.c): what it serves
                              (the predictor's own network, or the predictor), which no
                              other call may use it for; NULL: a network's */
    void *low;             /* a bfloat16 predictor's buffers, freed by low_free */
    void (*low_free)(void *low);
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



/* A dataset resolved against a network (lib/model/rows.c): where its rows are and what
 * they hold. */
typedef struct mlp__rows {
    const void *x, *y;     /* the caller's arrays, of doubles or (f32) floats; y NULL: no
                              targets */
    size_t n;              /* rows */
    size_t tcols;          /* columns of y: the network's outputs, or 1 for class indices */
    size_t classes;        /* > 0: y holds class indices below it */
    int model;             /* 1: rows as they come, the model's preprocessing to apply
                              (a 1.5 dataset); 0: a dataset of a program built against 1.4,
                              rows as the network reads them */
    int f32;               /* 1: x and y hold floats (a float dataset, since 1.7) */
    const double *w;       /* n row weights (finite, >= 0), or NULL: every row 1 */
} mlp__rows;

/* Value i of the caller's array v, of floats (f32) or doubles, as a double (exact). */
static inline double mlp__value_at(const void *v, int f32, size_t i)
{
    return f32 ? (double)((const float *)v)[i] : ((const double *)v)[i];
}

/* Resolve `d` for `net`: its struct_size, pointers and rows, and for a dataset that
 * says its shape, its columns against the network's (MLP_ERR_SHAPE naming both).
 * With need_y, targets are required. `what` names the rows in the detail
 * ("training", "validation", "batch"; "" for the only dataset of a call). */
mlp_status mlp__rows_in(mlp__rows *r, const mlp_dataset *d, const mlp_net *net, int need_y,
                        const char *fn, const char *what);

/* The classes a network's output stands for: one per output node, two for a single
 * sigmoid node, 0 for any other single node. */
size_t mlp__output_classes(const mlp_net *net);

/* 1 when the network reads the rows as they are: of its type, no class indices to check
 * and make one-hot, no scaling to apply (a step's quick test, before mlp__rows_batch). */
static inline int mlp__rows_plain(const mlp__rows *r, const mlp_net *net)
{
    return r->classes == 0 && r->f32 == net->f32 &&
           (!r->model || (net->prep.in_shift == NULL && net->prep.out_shift == NULL));
}

/* Whether the network cannot read the rows' inputs, or their targets, as they are. */
int mlp__rows_map_x(const mlp__rows *r, const mlp_net *net);
int mlp__rows_map_y(const mlp__rows *r, const mlp_net *net);

/* MLP_OK when every target of a dataset of classes is a class index below r->classes;
 * else MLP_ERR_INVALID_ARG naming the row. MLP_OK for values. */
mlp_status mlp__rows_check_classes(const mlp__rows *r, const char *fn, const char *what);


/* The check of mlp__outputs_finite for outputs y of doubles, or floats with y_f32, and
 * inputs x of doubles, or floats with x_f32. */
mlp_status mlp__outputs_finite_any(const mlp_net *net, const void *y, int y_f32, const void *x,
                                   int x_f32, size_t n, const char *fn);

/* The outputs of n rows, in the network's type at `out`, into y (doubles, or floats with
 * y_f32), brought back to the targets' units where the model scales them (in double,
 * rounded once). */
void mlp__put_outputs(const mlp_net *net, void *y, int y_f32, const void *out, size_t n);

/* MLP_OK when all n rows' predictions y are finite; else MLP_ERR_NUMERIC naming the
 * first row and output that is not, and why: a non-finite value among that row's
 * inputs x (as the caller gave them), or values that outgrow the double range. */
mlp_status mlp__outputs_finite(const mlp_net *net, const double *y, const double *x, size_t n,
                               const char *fn);

/* The model's prediction of n rows as they come (mlp_net_predict); `fn` names the
 * caller in the detail. */
mlp_status mlp__predict_model(const mlp_net *net, mlp_workspace *ws, double *y, const double *x,
                              size_t n, const char *fn);

/* The model's prediction of rows [first, first + n) of r, doubles or floats, into the
 * doubles y (n <= the workspace's batch; net and ws not NULL). */
mlp_status mlp__predict_rows(const mlp_net *net, mlp_workspace *ws, double *y, const mlp__rows *r,
                             size_t first, size_t n, const char *fn);

/* MLP_OK when `loss` is known and fits the network's output layer (lib/model/net.c). */
mlp_status mlp__loss_fits(mlp_loss loss, const mlp_net *net, const char *fn);

/* Make room for `more` entries in the network's loss history (setup, not a step). */
mlp_status mlp__history_reserve(mlp_net *net, size_t more);

/* A hook of a sharded backward pass: layer's gradient is complete. */
typedef void (*mlp__layer_done)(void *ctx, size_t layer, double loss);

/* ---- the typed passes: for float64 (names as they are) and float32 (_f32) ---------- */

#define MLP__R double
#define MLP__N(name) name
#include "model_typed.h"
#define MLP__R float
#define MLP__N(name) name##_f32
#include "model_typed.h"

#endif
