/* Save: networks and training checkpoints in one little-endian binary format
 * (docs/format.md), written atomically (outfile.h). */
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

/* ---- writing ------------------------------------------------------------------ */

/* Bytes go to a buffer in memory (p), or through a staging buffer to a file
 * descriptor (fd >= 0) with a running CRC-32, or nowhere (counting only). */
typedef struct writer {
    unsigned char *p;
    size_t n;          /* bytes put so far */
    int fd;            /* -1: not writing to a file */
    unsigned char *stage;
    size_t staged;
    uLong crc;
    int err;           /* errno of the first failed write; 0 */
} writer;

enum { STAGE_BYTES = 1 << 16 };

static int write_all(int fd, const unsigned char *buf, size_t len);

static void flush_stage(writer *w)
{
    if (w->staged == 0) return;
    w->crc = crc32_z(w->crc, w->stage, w->staged);
    if (w->err == 0 && write_all(w->fd, w->stage, w->staged) != 0) w->err = errno;
    w->staged = 0;
}

static void put_bytes(writer *w, const void *src, size_t len)
{
    if (w->p != NULL) memcpy(w->p + w->n, src, len);
    if (w->fd >= 0) {
        const unsigned char *b = src;
        while (len > 0) {
            const size_t k = STAGE_BYTES - w->staged < len ? STAGE_BYTES - w->staged : len;
            memcpy(w->stage + w->staged, b, k);
            w->staged += k;
            w->n += k;
            b += k;
            len -= k;
            if (w->staged == STAGE_BYTES) flush_stage(w);
        }
        return;
    }
    w->n += len;
}

static void put_u32(writer *w, uint32_t v)
{
    unsigned char b[4];
    for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(w, b, 4);
}

static void put_u64(writer *w, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(w, b, 8);
}

/* IEEE-754 binary64, its bits in little-endian order whatever the host's. */
static void put_f64(writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_u64(w, bits);
}

static void put_f64s(writer *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) put_f64(w, v[i]);
}

/* IEEE-754 binary32, the same way. */
static void put_f32s(writer *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        put_u32(w, bits);
    }
}

/* n values in the network's type: d for a float64 network, f (the other member of the
 * same union) for a float32 one */
static void put_values(writer *w, const mlp_net *net, const double *d, const float *f, size_t n)
{
    if (net->f32)
        put_f32s(w, f, n);
    else
        put_f64s(w, d, n);
}

static void put_optimizer(writer *w, const mlp_optimizer *o)
{
    put_u32(w, (uint32_t)o->kind);
    put_u32(w, (uint32_t)o->schedule);
    const double v[MLP__N_OPT_REALS] = {
        o->learning_rate,    o->momentum,        o->beta1,           o->beta2,
        o->epsilon,          o->weight_decay,    o->rprop_increase,  o->rprop_decrease,
        o->rprop_delta_init, o->rprop_delta_min, o->rprop_delta_max, o->schedule_factor,
        o->schedule_min_lr,  o->schedule_min_delta, o->tolerance_grad, o->tolerance_change,
        o->lm_damping};
    put_f64s(w, v, MLP__N_OPT_REALS);
    put_u64(w, o->schedule_step_epochs);
    put_u64(w, o->schedule_cosine_epochs);
    put_u64(w, o->schedule_patience);
    put_u64(w, o->lbfgs_history);
    put_u64(w, o->max_line_search);
    put_u64(w, o->lm_memory_budget);
}

static void put_str(writer *w, const char *str)
{
    const size_t len = strlen(str);
    put_u32(w, (uint32_t)len);
    put_bytes(w, str, len);
}

/* The preprocessing block: flags, methods, then each part that is present. */
static void put_prep(writer *w, const mlp_net *net)
{
    const mlp__prep *p = &net->prep;
    const size_t in = net->n_inputs, k = mlp_net_n_outputs(net);
    const uint32_t flags = (p->in_shift != NULL ? MLP__PREP_IN_SCALE : 0) |
                           (p->out_shift != NULL ? MLP__PREP_OUT_SCALE : 0) |
                           (p->in_names != NULL ? MLP__PREP_NAMES : 0) |
                           (p->n_classes > 0 ? MLP__PREP_CLASSES : 0) |
                           (p->columns.n > 0 ? MLP__PREP_COLUMNS : 0);
    put_u32(w, flags);
    put_u32(w, (uint32_t)p->in_method | (uint32_t)p->out_method << 8);
    if (flags & MLP__PREP_IN_SCALE) {
        put_f64s(w, p->in_shift, in);
        put_f64s(w, p->in_scale, in);
    }
    if (flags & MLP__PREP_OUT_SCALE) {
        put_f64s(w, p->out_shift, k);
        put_f64s(w, p->out_scale, k);
    }
    if (flags & MLP__PREP_NAMES) {
        put_u64(w, p->n_targets);
        for (size_t i = 0; i < in; i++) put_str(w, p->in_names[i]);
        for (size_t i = 0; i < p->n_targets; i++) put_str(w, p->out_names[i]);
    }
    if (flags & MLP__PREP_CLASSES) {
        put_u64(w, p->n_classes);
        for (size_t i = 0; i < p->n_classes; i++) put_str(w, p->classes[i]);
    }
    if (flags & MLP__PREP_COLUMNS) {
        const mlp__columns *cs = &p->columns;
        put_u64(w, cs->n);
        put_u64(w, cs->n_missing);
        for (size_t t = 0; t < cs->n_missing; t++) put_str(w, cs->missing[t]);
        for (size_t i = 0; i < cs->n; i++) {
            const mlp__column *c = &cs->c[i];
            put_str(w, c->name);
            put_u32(w, (uint32_t)c->kind);
            put_u32(w, (c->indicator ? MLP__COLUMN_INDICATOR : 0u) |
                           (c->missing_category ? MLP__COLUMN_MISSING_CATEGORY : 0u));
            put_f64(w, c->kind == MLP_COLUMN_NUMERIC ? c->fill : 0.0);
            put_u64(w, c->n_categories);
            for (size_t j = 0; j < c->n_categories; j++) put_str(w, c->categories[j]);
        }
    }
}

/* The version a network's file is written in: 8 for a model with columns, 7 for a
 * float32 network, 6 when a layer needs its record, else 5 (so that older libraries read
 * what they can run). */
static uint32_t version_for(const mlp_net *net)
{
    if (net->prep.columns.n > 0) return 8;
    if (net->f32) return 7;
    for (size_t l = 0; l < net->n_layers; l++)
        if (net->layers[l].kind != MLP_LAYER_DENSE) return 6;
    return 5;
}

/* The whole file but its checksum; with w->p == NULL it only measures. */
static void serialize(writer *w, const mlp_net *net, const mlp_trainer *tr, uint64_t total)
{
    const mlp_record *r = &net->record;
    const uint32_t format = version_for(net);
    put_bytes(w, mlp__magic, sizeof mlp__magic);
    put_u32(w, format);
    put_u32(w, tr != NULL ? MLP__CONTENTS_CHECKPOINT : MLP__CONTENTS_NETWORK);
    put_u64(w, total);
    char version[MLP__VERSION_BYTES] = {0};
    snprintf(version, sizeof version, "%s", MLP_VERSION_STRING); /* the writer's version */
    put_bytes(w, version, sizeof version);

    put_u64(w, net->n_inputs);
    put_u64(w, net->n_layers);
    for (size_t l = 0; l < net->n_layers; l++) {
        const mlp_layer *L = &net->layers[l];
        put_u64(w, L->out);
        put_u32(w, (uint32_t)L->act);
        put_u32(w, (uint32_t)L->has_bias);
        if (format < 6) continue;
        double v[MLP__MAX_LAYER_VALUES];
        put_u32(w, (uint32_t)L->kind);
        put_u32(w, (uint32_t)L->type->n_values);
        if (L->type->n_values > 0) L->type->values_out(L, v);
        put_f64s(w, v, L->type->n_values);
    }
    if (format >= 7) { /* the values' type: bytes each */
        put_u32(w, net->f32 ? 4 : 8);
        put_u32(w, 0);
    }
    put_u64(w, net->n_params);
    put_values(w, net, net->params, net->params_f32, net->n_params);
    if (format >= 6) { /* the running state (batch normalizations') */
        put_u64(w, net->n_state);
        put_values(w, net, net->state, net->state_f32, net->n_state);
    }

    put_u32(w, (uint32_t)(r->info.trained != 0));
    put_u32(w, (uint32_t)r->info.loss);
    put_u64(w, r->info.seed);
    put_u64(w, r->info.batch_size);
    put_u64(w, r->info.epochs);
    put_optimizer(w, &r->opt);
    put_f64s(w, r->history, r->info.epochs);
    put_prep(w, net);
    put_u64(w, r->info.kept_epoch);
    put_f64s(w, r->val_history, r->info.epochs);

    if (tr != NULL) {
        put_u32(w, (uint32_t)tr->loss);
        put_u32(w, 0);
        put_optimizer(w, &tr->opt);
        put_u64(w, tr->t);
        put_u64(w, tr->epochs_done);
        put_f64(w, tr->plateau_best);
        put_u64(w, tr->plateau_wait);
        put_u64(w, tr->plateau_cuts);
        put_values(w, net, tr->state[0], tr->state_f32[0], net->n_params);
        put_values(w, net, tr->state[1], tr->state_f32[1], net->n_params);
        put_u64(w, tr->hist_blocks);
        put_f64s(w, tr->hist, tr->hist_blocks * net->n_params);
        put_f64s(w, tr->so, 2);
    }
}

/* Serialize into a new buffer of *size bytes, checksum included. */
static size_t file_size(const mlp_net *net, const mlp_trainer *tr)
{
    writer count = {NULL, 0, -1, NULL, 0, 0, 0};
    serialize(&count, net, tr, 0);
    return count.n + 4;
}

static mlp_status to_buffer(const mlp_net *net, const mlp_trainer *tr, unsigned char *buf,
                            size_t capacity, size_t *size, const char *fn)
{
    const size_t total = file_size(net, tr);
    *size = total;
    if (buf == NULL) return MLP_OK;
    MLP_CHECK(capacity >= total, MLP_ERR_SHAPE, "%s: the model takes %zu bytes, the buffer has %zu",
              fn, total, capacity);
    writer w = {buf, 0, -1, NULL, 0, 0, 0};
    serialize(&w, net, tr, total);
    const uint32_t crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf, w.n);
    put_u32(&w, crc);
    return MLP_OK;
}

/* A file is only written for finite parameters (and optimizer state): the loader
 * refuses anything else, so saving it would write a file that cannot be read. */
static mlp_status check_saveable(const mlp_net *net, const mlp_trainer *tr, const char *fn)
{
#define FINITE(d, f, n) (net->f32 ? mlp__all_finite_f32(f, n) : mlp__all_finite(d, n))
    MLP_CHECK(FINITE(net->params, net->params_f32, net->n_params + net->n_state), MLP_ERR_NUMERIC,
              "%s: the network holds NaN or infinite parameters; nothing written", fn);
    MLP_CHECK(tr == NULL || (FINITE(tr->state[0], tr->state_f32[0], net->n_params) &&
                             FINITE(tr->state[1], tr->state_f32[1], net->n_params)),
              MLP_ERR_NUMERIC, "%s: the optimizer state holds NaN or infinity; nothing written",
              fn);
#undef FINITE
    return MLP_OK;
}

mlp_status mlp__trainer_save_buffer(const mlp_trainer *tr, void *buf, size_t capacity,
                                    size_t *size)
{
    MLP_CHECK_PTR(tr);
    MLP_CHECK_PTR(size);
    mlp_status s = check_saveable(tr->net, tr, "mlp_trainer_save");
    if (s != MLP_OK) return s;
    return to_buffer(tr->net, tr, buf, capacity, size, "mlp_trainer_save");
}

mlp_status mlp_net_save_buffer(const mlp_net *net, void *buf, size_t capacity, size_t *size)
{
    MLP_CHECK_PTR(net);
    MLP_CHECK_PTR(size);
    mlp_status s = check_saveable(net, NULL, __func__);
    if (s != MLP_OK) return s;
    return to_buffer(net, NULL, buf, capacity, size, __func__);
}

/* Write all of buf to fd, through short writes and interruptions. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        const ssize_t k = write(fd, buf, len);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += k;
        len -= (size_t)k;
    }
    return 0;
}

/* The status of a failed mlp__outfile, from its message; the temporary file removed. */
static mlp_status outfile_failed(mlp__outfile *o, const char *fn)
{
    const mlp_status s = o->msg == NULL || o->nomem
                             ? mlp__fail(MLP_ERR_NOMEM, "%s: cannot allocate a path", fn)
                             : mlp__fail(MLP_ERR_IO, "%s: %s", fn, o->msg);
    mlp__outfile_abort(o);
    return s;
}

/* Stream the file into the temporary file of an mlp__outfile (CRC computed on the
 * way, so the model is never copied in memory) and rename it over the target. Any
 * failure removes the temporary file and leaves the target alone. */
static mlp_status save_atomic(const mlp_net *net, const mlp_trainer *tr, const char *path,
                              const char *fn)
{
    MLP_CHECK(path != NULL && path[0] != '\0', MLP_ERR_INVALID_ARG, "%s: path is NULL or empty",
              fn);
    mlp_status s = check_saveable(net, tr, fn);
    if (s != MLP_OK) return s;
    unsigned char *stage = malloc(STAGE_BYTES);
    MLP_CHECK(stage != NULL, MLP_ERR_NOMEM, "%s: cannot allocate the write buffer", fn);
    mlp__outfile o;
    int failed = mlp__outfile_open(&o, path);
    if (!failed) {
        writer w = {NULL, 0, o.fd, stage, 0, crc32_z(0L, Z_NULL, 0), 0};
        serialize(&w, net, tr, file_size(net, tr));
        flush_stage(&w); /* the CRC now covers every byte before it */
        const uint32_t crc = (uint32_t)w.crc;
        w.crc = 0;
        put_u32(&w, crc);
        flush_stage(&w);
        if (w.err != 0) {
            s = mlp__fail(MLP_ERR_IO, "%s: cannot write %s (%s); %s is unchanged", fn, o.tmp,
                          strerror(w.err), path);
            mlp__outfile_abort(&o);
            free(stage);
            return s;
        }
        failed = mlp__outfile_commit(&o);
    }
    free(stage);
    return failed ? outfile_failed(&o, fn) : MLP_OK;
}

mlp_status mlp__write_file(const char *path, const void *bytes, size_t n, const char *fn)
{
    MLP_CHECK(path != NULL && path[0] != '\0', MLP_ERR_INVALID_ARG, "%s: path is NULL or empty",
              fn);
    mlp__outfile o;
    if (mlp__outfile_open(&o, path) != 0) return outfile_failed(&o, fn);
    if (write_all(o.fd, bytes, n) != 0) {
        const mlp_status s = mlp__fail(MLP_ERR_IO, "%s: cannot write %s (%s); %s is unchanged", fn,
                                       o.tmp, strerror(errno), path);
        mlp__outfile_abort(&o);
        return s;
    }
    return mlp__outfile_commit(&o) != 0 ? outfile_failed(&o, fn) : MLP_OK;
}

mlp_status mlp_net_save(const mlp_net *net, const char *path)
{
    MLP_CHECK_PTR(net);
    return save_atomic(net, NULL, path, __func__);
}

mlp_status mlp_trainer_save(const mlp_trainer *trainer, const char *path)
{
    MLP_CHECK_PTR(trainer);
    return save_atomic(trainer->net, trainer, path, __func__);
}

