/* Load: networks and training checkpoints, every field validated before anything is
 * allocated; then the running state of the network's layers by their kinds
 * (state_refused), and a checkpoint's optimizer state by its optimizer
 * (mlp__trainer_restore). */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, fstat */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "format.h"
#include "outfile.h"

/* ---- reading ------------------------------------------------------------------ */

typedef struct reader {
    const unsigned char *p;
    size_t left;
    const char *fn;
} reader;

#define NEED(r, len, what)                                                                   \
    MLP_CHECK((r)->left >= (len), MLP_ERR_FORMAT, "%s: truncated in %s (%zu bytes left)",   \
              (r)->fn, (what), (r)->left)

static mlp_status get_u32(reader *r, uint32_t *v, const char *what)
{
    NEED(r, 4, what);
    *v = 0;
    for (int i = 0; i < 4; i++) *v |= (uint32_t)r->p[i] << (8 * i);
    r->p += 4;
    r->left -= 4;
    return MLP_OK;
}

static mlp_status get_u64(reader *r, uint64_t *v, const char *what)
{
    NEED(r, 8, what);
    *v = 0;
    for (int i = 0; i < 8; i++) *v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    r->left -= 8;
    return MLP_OK;
}

/* A count that must lie in [lo, hi]. */
static mlp_status get_count(reader *r, uint64_t lo, uint64_t hi, size_t *v, const char *what)
{
    uint64_t x = 0;
    mlp_status s = get_u64(r, &x, what);
    if (s != MLP_OK) return s;
    MLP_CHECK(x >= lo && x <= hi, MLP_ERR_FORMAT, "%s: %s is %llu, must be %llu to %llu", r->fn,
              what, (unsigned long long)x, (unsigned long long)lo, (unsigned long long)hi);
    *v = (size_t)x;
    return MLP_OK;
}

/* n doubles; the caller has checked that n * 8 bytes remain. dst may be NULL (skip). */
static void get_f64s(reader *r, double *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = 0;
        for (int b = 0; b < 8; b++) bits |= (uint64_t)r->p[8 * i + b] << (8 * b);
        if (dst != NULL) memcpy(&dst[i], &bits, sizeof bits);
    }
    r->p += 8 * n;
    r->left -= 8 * n;
}

/* n doubles that must all be finite, checked before they are stored anywhere. */
static mlp_status check_f64s(reader *r, size_t n, const char *what)
{
    MLP_CHECK(n <= r->left / 8, MLP_ERR_FORMAT, "%s: %s: %zu values do not fit the %zu bytes left",
              r->fn, what, n, r->left);
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = 0;
        for (int b = 0; b < 8; b++) bits |= (uint64_t)r->p[8 * i + b] << (8 * b);
        double v;
        memcpy(&v, &bits, sizeof v);
        MLP_CHECK(isfinite(v), MLP_ERR_FORMAT, "%s: %s: value %zu is not finite", r->fn, what, i);
    }
    return MLP_OK;
}

/* n floats (binary32), as get_f64s. */
static void get_f32s(reader *r, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = 0;
        for (int b = 0; b < 4; b++) bits |= (uint32_t)r->p[4 * i + b] << (8 * b);
        if (dst != NULL) memcpy(&dst[i], &bits, sizeof bits);
    }
    r->p += 4 * n;
    r->left -= 4 * n;
}

/* n of a network's values, `bytes` each (8: binary64, 4: binary32), that must all be
 * finite, checked; then skipped (the caller decodes them later). */
static mlp_status skip_values(reader *r, size_t n, unsigned bytes, const char *what)
{
    if (bytes == 8) {
        mlp_status s = check_f64s(r, n, what);
        if (s == MLP_OK) get_f64s(r, NULL, n);
        return s;
    }
    MLP_CHECK(n <= r->left / 4, MLP_ERR_FORMAT, "%s: %s: %zu values do not fit the %zu bytes left",
              r->fn, what, n, r->left);
    for (size_t i = 0; i < n; i++) {
        float v;
        reader one = {r->p + 4 * i, 4, r->fn};
        get_f32s(&one, &v, 1);
        MLP_CHECK(isfinite(v), MLP_ERR_FORMAT, "%s: %s: value %zu is not finite", r->fn, what, i);
    }
    get_f32s(r, NULL, n);
    return MLP_OK;
}

/* An optimizer block of format `version`. Version 1 blocks have no schedule: the
 * fields they lack take the defaults of their kind (a constant schedule). `trained`
 * is 0 for the provenance of a network never trained, whose block is all zero. */
static mlp_status get_optimizer(reader *r, mlp_optimizer *o, uint32_t version, int trained,
                                const char *what)
{
    uint32_t kind = 0, schedule = 0;
    mlp_status s = get_u32(r, &kind, what);
    if (s == MLP_OK) s = get_u32(r, &schedule, what);
    if (s != MLP_OK) return s;
    MLP_CHECK(mlp__optimizer((mlp_optimizer_kind)kind) != NULL, MLP_ERR_FORMAT,
              "%s: %s: unknown optimizer %u", r->fn, what, (unsigned)kind);
    /* version 1 kept this field reserved, 0, which is the constant schedule's code */
    MLP_CHECK(mlp__schedule((mlp_schedule)schedule) != NULL &&
                  (version > 1 || schedule == MLP_SCHEDULE_CONSTANT),
              MLP_ERR_FORMAT, "%s: %s: unknown schedule %u", r->fn, what, (unsigned)schedule);
    const size_t reals =
        version > 2 ? MLP__N_OPT_REALS : version > 1 ? MLP__N_OPT_REALS_V2 : MLP__N_OPT_REALS_V1;
    const size_t counts = version > 2 ? MLP__N_OPT_COUNTS : version > 1 ? MLP__N_OPT_COUNTS_V2 : 0;
    NEED(r, 8 * (reals + counts), what);
    double v[MLP__N_OPT_REALS];
    get_f64s(r, v, reals);
    uint64_t c[MLP__N_OPT_COUNTS] = {0, 0, 0};
    for (size_t i = 0; i < counts; i++) get_u64(r, &c[i], what);
    if (trained) {
        mlp__optimizer_defaults(o, (mlp_optimizer_kind)kind);
    } else {
        memset(o, 0, sizeof *o);
        o->struct_size = sizeof *o;
        o->kind = (mlp_optimizer_kind)kind;
    }
    o->schedule = (mlp_schedule)schedule;
    o->learning_rate = v[0];
    /* Before 1.5, mlp_optimizer_init() gave the methods without a learning rate 0.01,
     * which never counted; they have 0 now (a file of format 5 must say 0). */
    if (!mlp__optimizer((mlp_optimizer_kind)kind)->uses_lr && version < 5) o->learning_rate = 0.0;
    o->momentum = v[1];
    o->beta1 = v[2];
    o->beta2 = v[3];
    o->epsilon = v[4];
    o->weight_decay = v[5];
    o->rprop_increase = v[6];
    o->rprop_decrease = v[7];
    o->rprop_delta_init = v[8];
    o->rprop_delta_min = v[9];
    o->rprop_delta_max = v[10];
    if (version > 1) {
        o->schedule_factor = v[11];
        o->schedule_min_lr = v[12];
        o->schedule_min_delta = v[13];
        const uint64_t most = MLP__MAX_COUNT;
        for (size_t i = 0; i < counts; i++)
            MLP_CHECK(c[i] <= most, MLP_ERR_FORMAT, "%s: %s: count %zu is out of range", r->fn,
                      what, i);
        o->schedule_step_epochs = (size_t)c[0];
        o->schedule_cosine_epochs = (size_t)c[1];
        o->schedule_patience = (size_t)c[2];
    }
    if (version > 2) {
        o->tolerance_grad = v[14];
        o->tolerance_change = v[15];
        o->lm_damping = v[16];
        o->lbfgs_history = (size_t)c[3];
        o->max_line_search = (size_t)c[4];
        o->lm_memory_budget = (size_t)c[5];
    }
    return MLP_OK;
}

/* One layer record of format `version` into spec, in the library's layout, checked by
 * the one rule for specs (mlp__layer_check) against its input width `in`: *out receives
 * its width, *np its parameter count. */
static mlp_status get_layer(reader *r, uint32_t version, size_t l, size_t in,
                            mlp_layer_spec *spec, size_t *out, size_t *np)
{
    size_t size = 0;
    uint32_t act = 0, bias = 0, kind = MLP_LAYER_DENSE, n_values = 0;
    mlp_status s = get_count(r, 1, MLP_MAX_DIM, &size, "a layer size");
    if (s == MLP_OK) s = get_u32(r, &act, "a layer");
    if (s == MLP_OK) s = get_u32(r, &bias, "a layer");
    if (s == MLP_OK && version >= 6) s = get_u32(r, &kind, "a layer");
    if (s == MLP_OK && version >= 6) s = get_u32(r, &n_values, "a layer");
    if (s != MLP_OK) return s;
    *spec = (mlp_layer_spec){.struct_size = sizeof *spec,
                             .size = size,
                             .activation = (mlp_activation)act,
                             .bias = bias > 1 ? 2 : (int)bias, /* 2: refused by the check */
                             .kind = (mlp_layer_kind)kind,
                             .epsilon = 1e-5};
    const mlp__layer_kind *k = mlp__layer_kind_of(spec->kind);
    MLP_CHECK(k != NULL, MLP_ERR_FORMAT, "%s: layer %zu has unknown kind %u", r->fn, l,
              (unsigned)kind);
    MLP_CHECK(n_values == k->n_values, MLP_ERR_FORMAT,
              "%s: layer %zu (%s) holds %u values, its kind keeps %zu", r->fn, l, k->name,
              (unsigned)n_values, k->n_values);
    if (n_values > 0) {
        double v[MLP__MAX_LAYER_VALUES];
        s = check_f64s(r, n_values, "a layer's values");
        if (s != MLP_OK) return s;
        get_f64s(r, v, n_values);
        k->values_in(spec, v);
    }
    if (bias > 1)
        return mlp__fail(MLP_ERR_FORMAT, "%s: layer %zu: bias flag %u", r->fn, l, (unsigned)bias);
    return mlp__layer_check(spec, l, in, SIZE_MAX / 16, out, np, MLP_ERR_FORMAT, r->fn);
}

/* The running state a layer of this spec and width keeps (its kind's count). */
static size_t running_of(const mlp_layer_spec *spec, size_t out)
{
    const mlp__layer_kind *k = mlp__layer_kind_of(spec->kind);
    const mlp_layer L = {.kind = spec->kind, .type = k, .out = out};
    return k->n_state != NULL ? k->n_state(&L) : 0;
}

/* Everything a file says, parsed and validated; the arrays point into the buffer. */
typedef struct parsed {
    uint32_t format; /* the format version */
    uint32_t contents;
    char version[MLP__VERSION_BYTES];
    size_t n_inputs, n_layers;
    const unsigned char *layers;  /* n_layers records (get_layer), validated */
    size_t layers_len;            /* their bytes */
    unsigned value_bytes;         /* of the network's values: 8 (float64), or 4 (float32,
                                     version 7) */
    size_t n_params;
    const unsigned char *params;  /* n_params values, little-endian */
    size_t n_running;             /* version 6: the running state's values (0 before) */
    const unsigned char *running; /* n_running values */
    mlp_provenance info;
    mlp_optimizer info_opt;       /* the optimizer of the last training */
    const unsigned char *history; /* info.epochs doubles */
    size_t n_outputs;             /* the last layer's size and activation */
    uint32_t out_act;
    const unsigned char *prep;    /* version 4: the preprocessing block, validated */
    size_t prep_len;
    const unsigned char *val_history; /* version 5: info.epochs doubles, or NULL */
    mlp_loss loss;                /* checkpoint only, from here on */
    mlp_optimizer opt;
    uint64_t t;
    size_t epochs_done;
    double plateau_best; /* version 2; INFINITY before */
    size_t plateau_wait, plateau_cuts;
    const unsigned char *state;   /* 2 n_params values */
    size_t hist_blocks;           /* version 3: L-BFGS history blocks, 0 for the others */
    const unsigned char *hist;    /* hist_blocks n_params doubles */
    double so[2];                 /* second-order counters (see mlp_trainer) */
} parsed;

/* A string of the preprocessing block: its length (at most MLP__MAX_NAME), no NUL in
 * it. With dst, a copy. */
static mlp_status get_str(reader *r, char **dst, const char *what)
{
    uint32_t len = 0;
    mlp_status s = get_u32(r, &len, what);
    if (s != MLP_OK) return s;
    MLP_CHECK(len <= MLP__MAX_NAME, MLP_ERR_FORMAT, "%s: %s is %u bytes long", r->fn, what,
              (unsigned)len);
    NEED(r, len, what);
    MLP_CHECK(memchr(r->p, '\0', len) == NULL, MLP_ERR_FORMAT, "%s: %s holds a NUL byte", r->fn,
              what);
    if (dst != NULL) {
        *dst = malloc((size_t)len + 1);
        MLP_CHECK(*dst != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %s", r->fn, what);
        memcpy(*dst, r->p, len);
        (*dst)[len] = '\0';
    }
    r->p += len;
    r->left -= len;
    return MLP_OK;
}

/* n strings, into a new array when out != NULL. */
static mlp_status get_strs(reader *r, char ***out, size_t n, const char *what)
{
    char **a = NULL;
    if (out != NULL) {
        a = calloc(n ? n : 1, sizeof *a);
        MLP_CHECK(a != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu %s", r->fn, n, what);
        *out = a;
    }
    for (size_t i = 0; i < n; i++) {
        mlp_status s = get_str(r, a != NULL ? &a[i] : NULL, what);
        if (s != MLP_OK) return s; /* the caller frees what was copied */
    }
    return MLP_OK;
}

/* n scaling pairs (shifts, then scales): finite, scales > 0. */
static mlp_status get_scaling(reader *r, double **shift, double **scale, size_t n, const char *what)
{
    mlp_status s = check_f64s(r, 2 * n, what);
    if (s != MLP_OK) return s;
    for (size_t i = 0; i < n; i++) {
        double v;
        reader peek = {r->p + 8 * (n + i), 8, r->fn};
        get_f64s(&peek, &v, 1);
        MLP_CHECK(v > 0, MLP_ERR_FORMAT, "%s: %s: scale %zu is %g, must be > 0", r->fn, what, i, v);
    }
    if (shift != NULL) {
        *shift = malloc(n * sizeof **shift);
        *scale = malloc(n * sizeof **scale);
        MLP_CHECK(*shift != NULL && *scale != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %s",
                  r->fn, what);
        get_f64s(r, *shift, n);
        get_f64s(r, *scale, n);
    } else {
        get_f64s(r, NULL, 2 * n);
    }
    return MLP_OK;
}

/* The columns of the preprocessing block (format 8) into *out, checked by the rule the
 * setters follow (mlp__columns_check); every count bounded by the bytes left before
 * anything is allocated for it. */
static mlp_status get_columns(reader *r, size_t n_inputs, mlp__columns *out)
{
    const char *fn = r->fn;
    memset(out, 0, sizeof *out);
    mlp__columns cs = {0};
    size_t n = 0, nt = 0;
    /* each column takes at least 28 bytes, each string 4 */
    mlp_status s = get_count(r, 1, n_inputs, &n, "the column count");
    if (s == MLP_OK) MLP_CHECK(n <= r->left / 28, MLP_ERR_FORMAT, "%s: %zu columns in %zu bytes",
                               fn, n, r->left);
    if (s == MLP_OK) s = get_count(r, 0, r->left / 4, &nt, "the missing token count");
    if (s == MLP_OK && nt > 0) {
        s = get_strs(r, &cs.missing, nt, "a missing token");
        cs.n_missing = nt;
    }
    if (s == MLP_OK) {
        cs.c = calloc(n, sizeof *cs.c);
        if (cs.c == NULL) s = mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu columns", fn, n);
        else cs.n = n;
    }
    for (size_t i = 0; i < n && s == MLP_OK; i++) {
        mlp__column *c = &cs.c[i];
        uint32_t kind = 0, flags = 0;
        size_t k = 0;
        s = get_str(r, &c->name, "a column's name");
        if (s == MLP_OK) s = get_u32(r, &kind, "a column");
        if (s == MLP_OK) s = get_u32(r, &flags, "a column");
        if (s == MLP_OK) s = check_f64s(r, 1, "a column's fill");
        if (s == MLP_OK) get_f64s(r, &c->fill, 1);
        if (s == MLP_OK) s = get_count(r, 0, r->left / 4, &k, "a column's category count");
        if (s != MLP_OK) break;
        if (kind > MLP_COLUMN_CATEGORICAL || flags > 3) {
            s = mlp__fail(MLP_ERR_FORMAT, "%s: column %zu: kind %u, flags %u", fn, i,
                          (unsigned)kind, (unsigned)flags);
            break;
        }
        c->kind = (int)kind;
        c->indicator = (flags & MLP__COLUMN_INDICATOR) != 0;
        c->missing_category = (flags & MLP__COLUMN_MISSING_CATEGORY) != 0;
        s = get_strs(r, &c->categories, k, "a category");
        c->n_categories = k;
    }
    if (s == MLP_OK) s = mlp__columns_check(&cs, n_inputs, MLP_ERR_FORMAT, fn);
    if (s != MLP_OK) {
        mlp__columns_free(&cs);
        return s;
    }
    *out = cs;
    return MLP_OK;
}

/* The preprocessing block (format 4): validated; decoded into *p when p != NULL
 * (freed again on failure). */
static mlp_status read_prep(reader *r, const parsed *f, mlp__prep *p)
{
    const char *fn = r->fn;
    uint32_t flags = 0, methods = 0;
    mlp_status s = get_u32(r, &flags, "the preprocessing");
    if (s == MLP_OK) s = get_u32(r, &methods, "the preprocessing");
    if (s != MLP_OK) return s;
    const uint32_t in_m = methods & 0xFF, out_m = methods >> 8;
    const uint32_t known = MLP__PREP_ALL | (f->format >= 8 ? (uint32_t)MLP__PREP_COLUMNS : 0u);
    MLP_CHECK((flags & ~known) == 0 && in_m <= MLP_SCALE_MINMAX &&
                  out_m <= MLP_SCALE_MINMAX && ((flags & MLP__PREP_IN_SCALE) != 0) == (in_m != 0) &&
                  ((flags & MLP__PREP_OUT_SCALE) != 0) == (out_m != 0),
              MLP_ERR_FORMAT, "%s: preprocessing flags %u, methods %u", fn, (unsigned)flags,
              (unsigned)methods);
    if (p != NULL) {
        p->in_method = (int)in_m;
        p->out_method = (int)out_m;
    }
    if (flags & MLP__PREP_IN_SCALE)
        s = get_scaling(r, p ? &p->in_shift : NULL, p ? &p->in_scale : NULL, f->n_inputs,
                        "the input scaling");
    if (s == MLP_OK && (flags & MLP__PREP_OUT_SCALE)) {
        MLP_CHECK(f->out_act != MLP_ACT_SOFTMAX, MLP_ERR_FORMAT,
                  "%s: a softmax output with target scaling", fn);
        s = get_scaling(r, p ? &p->out_shift : NULL, p ? &p->out_scale : NULL, f->n_outputs,
                        "the target scaling");
    }
    if (s == MLP_OK && (flags & MLP__PREP_NAMES)) {
        size_t nt = 0;
        s = get_count(r, 0, f->n_outputs, &nt, "the target column count");
        if (s == MLP_OK) {
            if (p != NULL) p->n_in_names = f->n_inputs;
            s = get_strs(r, p ? &p->in_names : NULL, f->n_inputs, "an input column's name");
        }
        if (s == MLP_OK) {
            if (p != NULL) p->n_targets = nt;
            s = get_strs(r, p ? &p->out_names : NULL, nt, "a target column's name");
        }
    }
    if (s == MLP_OK && (flags & MLP__PREP_CLASSES)) {
        size_t nc = 0;
        s = get_count(r, 2, MLP_MAX_DIM, &nc, "the class count");
        if (s == MLP_OK)
            MLP_CHECK(nc == f->n_outputs || (f->n_outputs == 1 && nc == 2 &&
                                              f->out_act == MLP_ACT_SIGMOID),
                      MLP_ERR_FORMAT, "%s: %zu classes for %zu outputs", fn, nc, f->n_outputs);
        if (p != NULL) p->n_classes = nc;
        s = get_strs(r, p ? &p->classes : NULL, nc, "a class label");
        size_t i, j; /* the rule of mlp_net_set_classes */
        const int rep = s == MLP_OK && p != NULL
                            ? mlp__repeated_string((const char *const *)p->classes, nc, &i, &j)
                            : 0;
        if (rep < 0) s = mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu indices", fn, nc);
        if (rep > 0)
            s = mlp__fail(MLP_ERR_FORMAT, "%s: class labels %zu and %zu are both \"%.200s\"", fn,
                          i, j, p->classes[j]);
    }
    if (s == MLP_OK && (flags & MLP__PREP_COLUMNS)) {
        MLP_CHECK((flags & MLP__PREP_NAMES) != 0, MLP_ERR_FORMAT,
                  "%s: columns without the inputs' names", fn);
        mlp__columns cols;
        s = get_columns(r, f->n_inputs, &cols);
        if (s == MLP_OK && p != NULL) p->columns = cols;
        else if (s == MLP_OK) mlp__columns_free(&cols);
    }
    if (s != MLP_OK && p != NULL) mlp__prep_free(p);
    return s;
}

static mlp_status parse(parsed *f, const unsigned char *buf, size_t size, const char *fn)
{
    MLP_CHECK(size >= MLP__HEADER_BYTES + 4, MLP_ERR_FORMAT, "%s: %zu bytes is too short for a model",
              fn, size);
    MLP_CHECK(memcmp(buf, mlp__magic, sizeof mlp__magic) == 0, MLP_ERR_FORMAT,
              "%s: not a libmlp model (bad magic)", fn);
    reader r = {buf + sizeof mlp__magic, size - sizeof mlp__magic - 4, fn};
    uint32_t version = 0, stored_crc = 0;
    uint64_t total = 0;
    mlp_status s = get_u32(&r, &f->format, "the header");
    version = f->format;
    if (s == MLP_OK) s = get_u32(&r, &f->contents, "the header");
    if (s == MLP_OK) s = get_u64(&r, &total, "the header");
    if (s != MLP_OK) return s;
    MLP_CHECK(version >= 1 && version <= MLP__FORMAT_VERSION, MLP_ERR_FORMAT,
              "%s: format version %u, this library reads versions 1 to %d", fn, (unsigned)version,
              MLP__FORMAT_VERSION);
    MLP_CHECK(f->contents == MLP__CONTENTS_NETWORK || f->contents == MLP__CONTENTS_CHECKPOINT,
              MLP_ERR_FORMAT, "%s: unknown contents %u", fn, (unsigned)f->contents);
    MLP_CHECK(total == size, MLP_ERR_FORMAT,
              "%s: the header says %llu bytes, there are %zu (truncated or extended)", fn,
              (unsigned long long)total, size);
    for (int i = 0; i < 4; i++) stored_crc |= (uint32_t)buf[size - 4 + i] << (8 * i);
    const uint32_t crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf, size - 4);
    MLP_CHECK(crc == stored_crc, MLP_ERR_FORMAT,
              "%s: checksum mismatch (stored %08x, computed %08x): the file is corrupted", fn,
              (unsigned)stored_crc, (unsigned)crc);

    NEED(&r, MLP__VERSION_BYTES, "the header");
    memcpy(f->version, r.p, MLP__VERSION_BYTES);
    MLP_CHECK(memchr(f->version, '\0', MLP__VERSION_BYTES) != NULL, MLP_ERR_FORMAT,
              "%s: the library version field is not a string", fn);
    r.p += MLP__VERSION_BYTES;
    r.left -= MLP__VERSION_BYTES;

    /* Layers: every count bounded, the parameter count recomputed without overflow
     * and compared with both the stored count and the bytes actually present. */
    s = get_count(&r, 1, MLP_MAX_DIM, &f->n_inputs, "the input count");
    if (s == MLP_OK) s = get_count(&r, 1, MLP_MAX_LAYERS, &f->n_layers, "the layer count");
    if (s != MLP_OK) return s;
    size_t implied = 0, implied_running = 0, in = f->n_inputs;
    f->layers = r.p;
    for (size_t l = 0; l < f->n_layers; l++) {
        mlp_layer_spec spec;
        size_t out = 0, np = 0;
        s = get_layer(&r, version, l, in, &spec, &out, &np);
        if (s != MLP_OK) return s;
        MLP_CHECK(np <= SIZE_MAX / 16 - implied, MLP_ERR_FORMAT,
                  "%s: layer %zu: the parameter count overflows", fn, l);
        implied += np;
        implied_running += running_of(&spec, out); /* at most 2 · MLP_MAX_DIM a layer */
        in = out;
        f->n_outputs = out;
        f->out_act = (uint32_t)spec.activation;
    }
    f->layers_len = (size_t)(r.p - f->layers);
    f->value_bytes = 8;
    if (version >= 7) { /* the values' type */
        uint32_t bytes = 0, reserved = 0;
        s = get_u32(&r, &bytes, "the values' type");
        if (s == MLP_OK) s = get_u32(&r, &reserved, "the values' type");
        if (s != MLP_OK) return s;
        MLP_CHECK((bytes == 8 || bytes == 4) && reserved == 0, MLP_ERR_FORMAT,
                  "%s: the values' type is %u bytes (reserved %u): 8 (float64) or 4 (float32), "
                  "reserved 0",
                  fn, (unsigned)bytes, (unsigned)reserved);
        f->value_bytes = bytes;
    }
    s = get_count(&r, 1, SIZE_MAX / 16, &f->n_params, "the parameter count");
    if (s != MLP_OK) return s;
    MLP_CHECK(f->n_params == implied, MLP_ERR_FORMAT,
              "%s: %zu parameters stored, the layers need %zu", fn, f->n_params, implied);
    f->params = r.p;
    s = skip_values(&r, f->n_params, f->value_bytes, "the parameters");
    if (s != MLP_OK) return s;
    f->n_running = 0;
    f->running = NULL;
    if (version >= 6) {
        s = get_count(&r, 0, SIZE_MAX / 16, &f->n_running, "the running state's count");
        if (s != MLP_OK) return s;
        MLP_CHECK(f->n_running == implied_running, MLP_ERR_FORMAT,
                  "%s: %zu values of running state stored, the layers keep %zu", fn,
                  f->n_running, implied_running);
        f->running = r.p;
        s = skip_values(&r, f->n_running, f->value_bytes, "the running state");
        if (s != MLP_OK) return s; /* its kinds' own rules: build_net */
    }

    /* Provenance. */
    uint32_t trained = 0, loss = 0;
    s = get_u32(&r, &trained, "the provenance");
    if (s == MLP_OK) s = get_u32(&r, &loss, "the provenance");
    if (s != MLP_OK) return s;
    MLP_CHECK(trained <= 1 && mlp__loss((mlp_loss)loss) != NULL, MLP_ERR_FORMAT,
              "%s: provenance: trained flag %u, loss %u", fn, (unsigned)trained, (unsigned)loss);
    memset(&f->info, 0, sizeof f->info);
    f->info.struct_size = sizeof f->info;
    memcpy(f->info.library_version, f->version, MLP__VERSION_BYTES);
    f->info.trained = (int)trained;
    f->info.loss = (mlp_loss)loss;
    uint64_t seed = 0;
    s = get_u64(&r, &seed, "the provenance");
    if (s == MLP_OK) s = get_count(&r, 0, MLP_MAX_DIM, &f->info.batch_size, "the batch size");
    if (s == MLP_OK) s = get_count(&r, 0, SIZE_MAX / 16, &f->info.epochs, "the epoch count");
    if (s == MLP_OK) s = get_optimizer(&r, &f->info_opt, version, (int)trained, "the provenance");
    if (s != MLP_OK) return s;
    f->info.seed = seed;
    f->history = r.p;
    MLP_CHECK(f->info.epochs <= r.left / 8, MLP_ERR_FORMAT,
              "%s: a history of %zu epochs does not fit the %zu bytes left", fn, f->info.epochs,
              r.left);
    get_f64s(&r, NULL, f->info.epochs); /* losses may be anything a run recorded */
    f->prep = r.p;
    f->prep_len = 0;
    if (version > 3) {
        s = read_prep(&r, f, NULL);
        if (s != MLP_OK) return s;
        f->prep_len = (size_t)(r.p - f->prep);
    }
    f->val_history = NULL;
    if (version > 4) {
        s = get_count(&r, 0, f->info.epochs, &f->info.kept_epoch, "the kept epoch");
        if (s != MLP_OK) return s;
        MLP_CHECK(f->info.epochs <= r.left / 8, MLP_ERR_FORMAT,
                  "%s: a validation history of %zu epochs does not fit the %zu bytes left", fn,
                  f->info.epochs, r.left);
        f->val_history = r.p;
        get_f64s(&r, NULL, f->info.epochs);
    }

    if (f->contents == MLP__CONTENTS_CHECKPOINT) {
        uint32_t tloss = 0, reserved = 0;
        s = get_u32(&r, &tloss, "the trainer");
        if (s == MLP_OK) s = get_u32(&r, &reserved, "the trainer");
        if (s == MLP_OK) s = get_optimizer(&r, &f->opt, version, 1, "the trainer");
        if (s != MLP_OK) return s;
        MLP_CHECK(mlp__loss((mlp_loss)tloss) != NULL && reserved == 0, MLP_ERR_FORMAT,
                  "%s: trainer: loss %u", fn, (unsigned)tloss);
        f->loss = (mlp_loss)tloss;
        s = mlp__check_optimizer(&f->opt, fn);
        if (s != MLP_OK) return mlp__fail(MLP_ERR_FORMAT, "%s (in the file)", mlp_error_detail());
        s = get_u64(&r, &f->t, "the trainer");
        if (s == MLP_OK)
            s = get_count(&r, 0, MLP__MAX_EPOCHS, &f->epochs_done, "the epoch count");
        if (s != MLP_OK) return s;
        f->plateau_best = INFINITY;
        f->plateau_wait = f->plateau_cuts = 0;
        if (version > 1) {
            NEED(&r, 8, "the schedule state");
            get_f64s(&r, &f->plateau_best, 1);
            MLP_CHECK(isfinite(f->plateau_best) || f->plateau_best == INFINITY, MLP_ERR_FORMAT,
                      "%s: the schedule's best loss is %g", fn, f->plateau_best);
            s = get_count(&r, 0, SIZE_MAX / 16, &f->plateau_wait, "the schedule's wait");
            if (s == MLP_OK)
                s = get_count(&r, 0, SIZE_MAX / 16, &f->plateau_cuts, "the schedule's cuts");
            if (s != MLP_OK) return s;
        }
        f->state = r.p;
        s = skip_values(&r, 2 * f->n_params, f->value_bytes, "the optimizer state");
        if (s != MLP_OK) return s;
        f->hist_blocks = 0;
        f->hist = r.p;
        const mlp__optimizer_kind *k = mlp__optimizer(f->opt.kind);
        MLP_CHECK(f->value_bytes == 8 || k->step == NULL, MLP_ERR_FORMAT,
                  "%s: a checkpoint of a float32 network cannot hold %s, which trains float64 "
                  "networks",
                  fn, k->name);
        f->so[0] = k->so_init[0];
        f->so[1] = k->so_init[1];
        if (version > 2) {
            const size_t want = k->history_blocks != NULL ? k->history_blocks(&f->opt) : 0;
            s = get_count(&r, want, want, &f->hist_blocks, "the L-BFGS history");
            if (s != MLP_OK) return s;
            MLP_CHECK(f->n_params == 0 || f->hist_blocks <= r.left / 8 / f->n_params,
                      MLP_ERR_FORMAT, "%s: an L-BFGS history of %zu blocks does not fit the %zu "
                      "bytes left", fn, f->hist_blocks, r.left);
            f->hist = r.p;
            s = check_f64s(&r, f->hist_blocks * f->n_params, "the L-BFGS history");
            if (s != MLP_OK) return s;
            get_f64s(&r, NULL, f->hist_blocks * f->n_params);
            s = check_f64s(&r, 2, "the second-order state");
            if (s != MLP_OK) return s;
            get_f64s(&r, f->so, 2);
        } else {
            MLP_CHECK(k->step == NULL, MLP_ERR_FORMAT, /* a second-order method's */
                      "%s: a version %u checkpoint cannot hold %s", fn, (unsigned)version,
                      k->name);
        }
    }
    MLP_CHECK(r.left == 0, MLP_ERR_FORMAT, "%s: %zu unexpected bytes before the checksum", fn,
              r.left);
    return MLP_OK;
}

/* Decode n little-endian doubles from src (validated by parse). */
static void decode(double *dst, const unsigned char *src, size_t n)
{
    reader r = {src, 8 * n, NULL};
    get_f64s(&r, dst, n);
}

/* Decode n of a network's values, `bytes` each, into doubles (floats widened: exact). */
static void decode_values(double *dst, const unsigned char *src, size_t n, unsigned bytes)
{
    if (bytes == 8) {
        decode(dst, src, n);
        return;
    }
    reader r = {src, 4 * n, NULL};
    for (size_t i = 0; i < n; i++) {
        float v;
        get_f32s(&r, &v, 1);
        dst[i] = (double)v;
    }
}

/* Build the network a parsed file describes. */
static mlp_status build_net(mlp_net **net, const parsed *f, const char *fn)
{
    mlp_layer_spec *specs = malloc(f->n_layers * sizeof *specs);
    MLP_CHECK(specs != NULL, MLP_ERR_NOMEM, "%s: cannot allocate %zu layer specs", fn,
              f->n_layers);
    reader r = {f->layers, f->layers_len, fn};
    size_t in = f->n_inputs;
    for (size_t l = 0; l < f->n_layers; l++) { /* validated by parse: cannot fail */
        size_t out = 0, np = 0;
        get_layer(&r, f->format, l, in, &specs[l], &out, &np);
        in = out;
    }
    mlp_net *n = NULL;
    mlp_status s = mlp__net_new(&n, f->n_inputs, specs, f->n_layers, fn);
    free(specs);
    if (s != MLP_OK) return s;
    /* a float32 network's values are widened here, checked, and made floats again
     * at the end (exact both ways) */
    decode_values(n->params, f->params, f->n_params, f->value_bytes);
    if (f->n_running > 0) /* n_state = n_running: the same layers */
        decode_values(n->state, f->running, f->n_running, f->value_bytes);
    for (size_t l = 0; l < n->n_layers; l++) { /* each layer's, as its kind accepts it */
        const mlp_layer *L = &n->layers[l];
        const char *why = L->ns > 0 ? L->type->passes->state_refused(L, n->state + L->s_off) : NULL;
        if (why != NULL) {
            s = mlp__fail(MLP_ERR_FORMAT, "%s: layer %zu (%s) holds %s", fn, l, L->type->name,
                          why);
            mlp_net_free(n);
            return s;
        }
    }
    if (f->prep_len > 0) {
        reader pr = {f->prep, f->prep_len, fn};
        s = read_prep(&pr, f, &n->prep);
        if (s != MLP_OK) {
            mlp_net_free(n);
            return s;
        }
    }
    n->record.info = f->info;
    n->record.opt = f->info_opt;
    if (f->info.epochs > 0) {
        n->record.info.epochs = 0;
        s = mlp__history_reserve(n, f->info.epochs);
        if (s != MLP_OK) {
            mlp_net_free(n);
            return mlp__fail(s, "%s: %s", fn, mlp_error_detail());
        }
        decode(n->record.history, f->history, f->info.epochs);
        if (f->val_history != NULL)
            decode(n->record.val_history, f->val_history, f->info.epochs);
        else /* a file older than 1.5 kept no validation losses */
            for (size_t e = 0; e < f->info.epochs; e++) n->record.val_history[e] = NAN;
        n->record.info.epochs = f->info.epochs;
    }
    if (f->value_bytes == 4) { /* the float32 network, with the record moved over */
        mlp_net *g = NULL;
        s = mlp__net_convert(&g, n, 1, fn);
        if (s == MLP_OK) {
            g->record = n->record;
            memset(&n->record, 0, sizeof n->record);
        }
        mlp_net_free(n);
        if (s != MLP_OK) return s;
        n = g;
    }
    *net = n;
    return MLP_OK;
}

static mlp_status load_net(mlp_net **net, const unsigned char *buf, size_t size, const char *fn)
{
    parsed f;
    mlp_status s = parse(&f, buf, size, fn);
    if (s == MLP_OK) s = build_net(net, &f, fn);
    return s;
}

static mlp_status load_trainer(mlp_trainer **tr, mlp_net **net, const unsigned char *buf,
                               size_t size, size_t max_batch, const char *fn)
{
    parsed pf, *f = &pf;
    mlp_status s = parse(f, buf, size, fn);
    if (s == MLP_OK && f->contents != MLP__CONTENTS_CHECKPOINT)
        s = mlp__fail(MLP_ERR_FORMAT, "%s: the file holds a network, not a training checkpoint",
                      fn);
    mlp_net *n = NULL;
    mlp_trainer *t = NULL;
    if (s == MLP_OK) s = build_net(&n, f, fn);
    if (s == MLP_OK) {
        s = mlp_trainer_create(&t, n, f->loss, &f->opt, max_batch);
        if (s == MLP_ERR_INVALID_ARG) /* a loss that does not fit the output layer */
            s = mlp__fail(MLP_ERR_FORMAT, "%s (in the file)", mlp_error_detail());
    }
    if (s == MLP_OK) { /* the state into the trainer's buffers, then checked there */
        double *s0, *s1, *hist, *so;
        size_t hist_blocks;
        mlp__trainer_buffers(t, &s0, &s1, &hist, &hist_blocks, &so);
        if (n->f32) { /* floats into the float32 trainer's state */
            reader st = {f->state, 8 * f->n_params, fn};
            get_f32s(&st, t->state_f32[0], f->n_params);
            get_f32s(&st, t->state_f32[1], f->n_params);
        } else {
            decode(s0, f->state, f->n_params);
            decode(s1, f->state + 8 * f->n_params, f->n_params);
        }
        if (f->hist_blocks > 0) decode(hist, f->hist, f->hist_blocks * f->n_params);
        so[0] = f->so[0];
        so[1] = f->so[1];
        const mlp__trainer_counts c = {f->t, f->epochs_done, f->plateau_best, f->plateau_wait,
                                       f->plateau_cuts};
        s = mlp__trainer_restore(t, &c, fn);
    }
    if (s == MLP_OK) {
        *tr = t;
        *net = n;
    } else {
        mlp_trainer_free(t);
        mlp_net_free(n);
    }
    return s;
}

/* Read a whole model file into a new buffer (mlp__open_regular); read errors are
 * MLP_ERR_IO with the system's reason, a file too short or of the wrong size
 * MLP_ERR_FORMAT. */
static mlp_status read_file(const char *path, unsigned char **buf, size_t *size, const char *fn)
{
    int fd;
    size_t len;
    mlp_status s = mlp__open_regular(path, &fd, &len, fn);
    if (s != MLP_OK) return s;
    /* Before allocating for the whole file, its header must name this very size. */
    unsigned char head[MLP__HEADER_BYTES];
    const ssize_t head_len = mlp__read_all(fd, head, sizeof head);
    if (head_len < 0) {
        const int err = errno;
        close(fd);
        return mlp__fail(MLP_ERR_IO, "%s: cannot read %s: %s", fn, path, strerror(err));
    }
    uint64_t total = 0;
    const int whole = (size_t)head_len == sizeof head && memcmp(head, mlp__magic, sizeof mlp__magic) == 0;
    for (int i = 0; i < 8 && whole; i++) total |= (uint64_t)head[16 + i] << (8 * i);
    if (!whole || total != len) {
        close(fd);
        return mlp__fail(MLP_ERR_FORMAT, "%s: %s is not a complete libmlp model%s", fn, path,
                         whole ? " (its size differs from the size in its header)" : "");
    }
    unsigned char *b = malloc(len);
    if (b == NULL) {
        close(fd);
        return mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate %zu bytes for %s", fn, len, path);
    }
    memcpy(b, head, sizeof head);
    const ssize_t rest = mlp__read_all(fd, b + sizeof head, len - sizeof head);
    const int err = errno;
    close(fd);
    if (rest < 0 || (size_t)rest != len - sizeof head) {
        free(b);
        if (rest < 0)
            return mlp__fail(MLP_ERR_IO, "%s: cannot read %s: %s", fn, path, strerror(err));
        return mlp__fail(MLP_ERR_FORMAT, "%s: %s became shorter while it was read", fn, path);
    }
    *buf = b;
    *size = len;
    return MLP_OK;
}

mlp_status mlp_net_load_buffer(mlp_net **net, const void *buf, size_t size)
{
    MLP_CHECK_PTR(net);
    *net = NULL;
    MLP_CHECK_PTR(buf);
    return load_net(net, buf, size, __func__);
}

mlp_status mlp_net_load(mlp_net **net, const char *path)
{
    MLP_CHECK_PTR(net);
    *net = NULL;
    unsigned char *buf;
    size_t size;
    mlp_status s = read_file(path, &buf, &size, __func__);
    if (s != MLP_OK) return s;
    s = load_net(net, buf, size, __func__);
    free(buf);
    return s;
}

mlp_status mlp_trainer_load_buffer(mlp_trainer **trainer, mlp_net **net, const void *buf,
                                   size_t size, size_t max_batch)
{
    if (trainer != NULL) *trainer = NULL; /* whatever else is wrong, no stale pointers */
    if (net != NULL) *net = NULL;
    MLP_CHECK_PTR(trainer);
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(buf);
    MLP_CHECK(max_batch > 0 && max_batch <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_trainer_load_buffer: max_batch is %zu, must be 1 to %zu", max_batch, MLP_MAX_DIM);
    return load_trainer(trainer, net, buf, size, max_batch, __func__);
}

mlp_status mlp_trainer_load(mlp_trainer **trainer, mlp_net **net, const char *path,
                            size_t max_batch)
{
    if (trainer != NULL) *trainer = NULL; /* whatever else is wrong, no stale pointers */
    if (net != NULL) *net = NULL;
    MLP_CHECK_PTR(trainer);
    MLP_CHECK_PTR(net);
    MLP_CHECK(max_batch > 0 && max_batch <= MLP_MAX_DIM, MLP_ERR_INVALID_ARG,
              "mlp_trainer_load: max_batch is %zu, must be 1 to %zu", max_batch, MLP_MAX_DIM);
    unsigned char *buf;
    size_t size;
    mlp_status s = read_file(path, &buf, &size, __func__);
    if (s != MLP_OK) return s;
    s = load_trainer(trainer, net, buf, size, max_batch, __func__);
    free(buf);
    return s;
}

