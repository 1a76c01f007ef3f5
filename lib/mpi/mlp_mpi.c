/* libmlp-mpi: the reducer over MPI that adds in rank order, and the collective
 * wrappers (fit, checkpoints, weights). Only libmlp's public API is used. */
#define _POSIX_C_SOURCE 200809L /* nanosleep, O_CLOEXEC */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mlp_mpi.h"

enum { QUEUE = 64 }; /* buckets waiting at once; start blocks while the queue is full */

/* The sizes of the structs as 1.4 declared them: a caller's struct_size is at least
 * that (later headers may append fields, which this library then leaves alone). */
#define REDUCER_1_4 (offsetof(mlp_reducer, bucket_values) + sizeof(size_t))
#define STATS_1_4 (offsetof(mlp_mpi_stats, calls) + sizeof(size_t))

typedef struct mlp_mpi mlp_mpi_ctx;
static void overlap_stop(mlp_mpi_ctx *c);

struct mlp_mpi {
    MPI_Comm comm;
    int rank, size;
    size_t verify_every;
    int *counts, *displs;   /* 2 x size: the segments of the current block */
    int *rcounts, *rdispls; /* 2 x size: where each rank's piece of our segment lands */
    double *recv;           /* size x (our segment): the pieces to add */
    size_t cap;             /* doubles in recv */
    mlp_mpi_stats stats;
    char error[MPI_MAX_ERROR_STRING + 1024]; /* the last error, for mlp_mpi_last_error */
    double timeout;         /* seconds a collective may wait for the others; 0: forever */
    int broken;             /* a collective timed out: it is still pending, the context done */
    /* With a timeout, what a collective reads and writes is the context's own, never the
     * caller's: a collective that timed out is still pending (MPI cannot cancel it) and
     * may be completed later by a rank that comes late, so these outlive the call and,
     * once broken, the context (mlp_mpi_free keeps them). */
    int agree_in[2], agree_out[2];
    char reason[768];
    unsigned long long word;
    double *stage;          /* cap doubles: a block reduced, or weights broadcast */
    /* overlap: a thread of ours sums the buckets the fit starts, in the order they come */
    int overlap;
    size_t bucket_values;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    double *bucket[QUEUE];
    size_t bucket_n[QUEUE];
    size_t started, done;   /* buckets since the last wait: queued, summed */
    int stop;
    mlp_status failed;      /* the first bucket's failure since the last wait */
};

/* Keep MPI's message for an error (the library never prints), and say MLP_ERR_IO. */
static mlp_status mpi_failed(mlp_mpi *c, int err, const char *call)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, msg, &len) != MPI_SUCCESS) len = 0;
    msg[len] = '\0';
    if (c != NULL) snprintf(c->error, sizeof c->error, "%.200s failed: %s", call, msg);
    return MLP_ERR_IO;
}

#define MPI_TRY(call)                                                                   \
    do {                                                                                \
        const int err_ = (call);                                                        \
        if (err_ != MPI_SUCCESS) return mpi_failed(c, err_, #call);                     \
    } while (0)

/* A collective started without blocking, finished within the context's timeout: on
 * expiry the context is marked broken (the request cannot be cancelled: MPI forbids
 * it for collectives) and the call fails with the reason. */
static mlp_status finish(mlp_mpi *c, MPI_Request *req, const char *what)
{
    const double t0 = MPI_Wtime();
    long pause = 0; /* ns: spin first, then sleep, up to a millisecond */
    for (;;) {
        int done = 0;
        const int err = MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (err != MPI_SUCCESS) return mpi_failed(c, err, what);
        if (done) return MLP_OK;
        if (MPI_Wtime() - t0 > c->timeout) {
            c->broken = 1;
            snprintf(c->error, sizeof c->error,
                     "rank %d of %d: %s: not every rank answered within %g s (a rank stopped, "
                     "is stuck, or did not make the same call); this context cannot be used "
                     "again: end the job (MPI_Abort)",
                     c->rank, c->size, what, c->timeout);
            return MLP_ERR_IO;
        }
        if (MPI_Wtime() - t0 > 1e-4) {
            pause = pause == 0 ? 20000 : pause < 1000000 ? 2 * pause : 1000000;
            const struct timespec ts = {0, pause};
            nanosleep(&ts, NULL);
        }
    }
}

/* The context's collectives: blocking without a timeout, else started and finished. */
static mlp_status coll_bcast(mlp_mpi *c, void *buf, int count, MPI_Datatype type, int root)
{
    MPI_Request req;
    if (c->timeout <= 0) MPI_TRY(MPI_Bcast(buf, count, type, root, c->comm));
    else MPI_TRY(MPI_Ibcast(buf, count, type, root, c->comm, &req));
    return c->timeout <= 0 ? MLP_OK : finish(c, &req, "MPI_Ibcast");
}

static mlp_status coll_allreduce(mlp_mpi *c, const void *in, void *out, int count,
                                 MPI_Datatype type, MPI_Op op)
{
    MPI_Request req;
    if (c->timeout <= 0) MPI_TRY(MPI_Allreduce(in, out, count, type, op, c->comm));
    else MPI_TRY(MPI_Iallreduce(in, out, count, type, op, c->comm, &req));
    return c->timeout <= 0 ? MLP_OK : finish(c, &req, "MPI_Iallreduce");
}

/* A context whose collective timed out fails every later call with that reason. */
#define NOT_BROKEN(c)                                                                   \
    do {                                                                                \
        if ((c)->broken) return MLP_ERR_IO;                                             \
    } while (0)

const char *mlp_mpi_last_error(const mlp_mpi *c)
{
    return c == NULL ? "NULL context" : c->error[0] != '\0' ? c->error : "no MPI error";
}

mlp_status mlp_mpi_create(mlp_mpi **ctx, MPI_Comm comm)
{
    if (ctx == NULL) return MLP_ERR_INVALID_ARG;
    *ctx = NULL;
    int up = 0;
    MPI_Initialized(&up);
    if (!up || comm == MPI_COMM_NULL) return MLP_ERR_INVALID_ARG;
    mlp_mpi *c = calloc(1, sizeof *c);
    if (c == NULL) return MLP_ERR_NOMEM;
    int err = MPI_Comm_dup(comm, &c->comm);
    if (err != MPI_SUCCESS) {
        free(c);
        return mpi_failed(NULL, err, "MPI_Comm_dup");
    }
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(c->comm, &c->rank);
    MPI_Comm_size(c->comm, &c->size);
#ifdef NDEBUG
    c->verify_every = 0;
#else
    c->verify_every = 64;
#endif
    c->counts = malloc(4 * (size_t)c->size * sizeof *c->counts);
    if (c->counts == NULL) {
        MPI_Comm_free(&c->comm);
        free(c);
        return MLP_ERR_NOMEM;
    }
    c->displs = c->counts + c->size;
    c->rcounts = c->displs + c->size;
    c->rdispls = c->rcounts + c->size;
    c->stats.struct_size = sizeof c->stats;
    *ctx = c;
    return MLP_OK;
}

void mlp_mpi_free(mlp_mpi *c)
{
    if (c == NULL) return;
    overlap_stop(c);
    if (c->broken) return; /* a pending collective may still write into it: kept */
    MPI_Comm_free(&c->comm);
    free(c->counts);
    free(c->recv);
    free(c->stage);
    free(c);
}

int mlp_mpi_rank(const mlp_mpi *c) { return c != NULL ? c->rank : -1; }

int mlp_mpi_size(const mlp_mpi *c) { return c != NULL ? c->size : 0; }

mlp_status mlp_mpi_set_verify(mlp_mpi *c, size_t every)
{
    if (c == NULL) return MLP_ERR_INVALID_ARG;
    c->verify_every = every;
    return MLP_OK;
}

/* Segment q of n values cut in P: n / P values, one more for the first n % P. */
static size_t seg(size_t n, size_t P, size_t q) { return n / P + (q < n % P); }
static size_t seg_at(size_t n, size_t P, size_t q) { return q * (n / P) + (q < n % P ? q : n % P); }

/* Room to reduce blocks of n values. */
static mlp_status reserve(mlp_mpi *c, size_t n)
{
    const size_t P = (size_t)c->size, need = P * seg(n, P, 0);
    if (need <= c->cap) return MLP_OK;
    double *r = realloc(c->recv, need * sizeof *r);
    if (r == NULL) return MLP_ERR_NOMEM;
    c->recv = r;
    double *st = realloc(c->stage, need * sizeof *st); /* need >= n */
    if (st == NULL) return MLP_ERR_NOMEM;
    c->stage = st;
    c->cap = need;
    return MLP_OK;
}

/* The sum over ranks of values[0 .. n), added in rank order for every value: each
 * rank adds the pieces of its own segment, then all gather the segments. */
static mlp_status fixed_order_allreduce(double *values, size_t n, void *user)
{
    mlp_mpi *c = user;
    const size_t P = (size_t)c->size, me = (size_t)c->rank;
    if (P == 1) return MLP_OK;
    if (n > (size_t)INT_MAX) return MLP_ERR_INVALID_ARG; /* the same n everywhere: all refuse */
    const size_t mine = seg(n, P, me), mine_at = seg_at(n, P, me);
    /* mlp_mpi_fit reserves the room before the fit (reserve()): a rank that failed to
     * allocate here would leave the others waiting in the collective */
    if (P * mine > c->cap && reserve(c, n) != MLP_OK) return MLP_ERR_NOMEM;
    for (size_t q = 0; q < P; q++) {
        c->counts[q] = (int)seg(n, P, q);     /* what we send q: its segment of ours */
        c->displs[q] = (int)seg_at(n, P, q);
        c->rcounts[q] = (int)mine;            /* what q sends us: its piece of our segment */
        c->rdispls[q] = (int)(q * mine);
    }
    NOT_BROKEN(c);
    MPI_Request req;
    mlp_status s = MLP_OK;
    /* with a timeout, the block goes through the context's stage (see struct mlp_mpi) */
    double *v = values;
    if (c->timeout <= 0) {
        MPI_TRY(MPI_Alltoallv(values, c->counts, c->displs, MPI_DOUBLE, c->recv, c->rcounts,
                              c->rdispls, MPI_DOUBLE, c->comm));
    } else {
        v = c->stage;
        memcpy(v, values, n * sizeof *v);
        MPI_TRY(MPI_Ialltoallv(v, c->counts, c->displs, MPI_DOUBLE, c->recv, c->rcounts,
                               c->rdispls, MPI_DOUBLE, c->comm, &req));
        if ((s = finish(c, &req, "MPI_Ialltoallv")) != MLP_OK) return s;
    }
    double *own = v + mine_at;
    for (size_t i = 0; i < mine; i++) {
        double acc = c->recv[i]; /* rank 0's piece, then each next rank's */
        for (size_t q = 1; q < P; q++) acc += c->recv[q * mine + i];
        own[i] = acc;
    }
    if (c->timeout <= 0) {
        MPI_TRY(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, c->counts,
                               c->displs, MPI_DOUBLE, c->comm));
    } else {
        MPI_TRY(MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, v, c->counts,
                                c->displs, MPI_DOUBLE, c->comm, &req));
        if ((s = finish(c, &req, "MPI_Iallgatherv")) != MLP_OK) return s;
        memcpy(values, v, n * sizeof *v);
    }
    c->stats.bytes += (double)((n - mine) + (P - 1) * mine) * sizeof(double);
    return MLP_OK;
}

/* The reducer's allreduce: the sum now, timed. */
static mlp_status blocking_allreduce(double *values, size_t n, void *user)
{
    mlp_mpi *c = user;
    const double t0 = MPI_Wtime();
    const mlp_status s = fixed_order_allreduce(values, n, c);
    const double t = MPI_Wtime() - t0;
    c->stats.calls++;
    c->stats.seconds += t;
    c->stats.busy_seconds += t;
    return s;
}

/* The thread that sums the buckets, one after another, in the order they were started
 * (the same on every rank). Only it calls MPI between a fit's start and wait. */
static void *bucket_thread(void *arg)
{
    mlp_mpi *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->stop && c->done == c->started) pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop) break;
        const size_t i = c->done % QUEUE;
        double *v = c->bucket[i];
        const size_t n = c->bucket_n[i];
        const int skip = c->failed != MLP_OK; /* after a failure: mark done, send nothing */
        pthread_mutex_unlock(&c->mu);
        mlp_status s = MLP_OK;
        double t = 0;
        if (!skip) {
            const double t0 = MPI_Wtime();
            s = fixed_order_allreduce(v, n, c);
            t = MPI_Wtime() - t0;
        }
        pthread_mutex_lock(&c->mu);
        c->stats.busy_seconds += t;
        c->stats.calls++;
        if (s != MLP_OK && c->failed == MLP_OK) c->failed = s;
        c->done++;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static mlp_status bucket_start(double *values, size_t n, void *user)
{
    mlp_mpi *c = user;
    pthread_mutex_lock(&c->mu);
    while (c->started - c->done == QUEUE) pthread_cond_wait(&c->cv, &c->mu);
    c->bucket[c->started % QUEUE] = values;
    c->bucket_n[c->started % QUEUE] = n;
    c->started++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return MLP_OK;
}

static mlp_status bucket_wait(void *user)
{
    mlp_mpi *c = user;
    const double t0 = MPI_Wtime();
    pthread_mutex_lock(&c->mu);
    while (c->done != c->started) pthread_cond_wait(&c->cv, &c->mu);
    const mlp_status s = c->failed;
    c->failed = MLP_OK;
    c->started = c->done = 0;
    c->stats.seconds += MPI_Wtime() - t0;
    pthread_mutex_unlock(&c->mu);
    return s;
}

static void overlap_stop(mlp_mpi *c)
{
    if (!c->overlap) return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    c->overlap = 0;
    c->stop = 0;
}

mlp_status mlp_mpi_set_overlap(mlp_mpi *c, int on, size_t bucket_values)
{
    if (c == NULL) return MLP_ERR_INVALID_ARG;
    overlap_stop(c);
    if (!on) return MLP_OK;
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    if (level < MPI_THREAD_SERIALIZED) {
        snprintf(c->error, sizeof c->error,
                 "overlap needs MPI initialized with MPI_Init_thread and at least "
                 "MPI_THREAD_SERIALIZED (it has %d)", level);
        return MLP_ERR_INVALID_ARG;
    }
    if (pthread_mutex_init(&c->mu, NULL) != 0) return MLP_ERR_NOMEM;
    if (pthread_cond_init(&c->cv, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        return MLP_ERR_NOMEM;
    }
    c->started = c->done = 0;
    c->failed = MLP_OK;
    c->stop = 0;
    if (pthread_create(&c->thread, NULL, bucket_thread, c) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        return MLP_ERR_NOMEM;
    }
    c->overlap = 1;
    c->bucket_values = bucket_values;
    return MLP_OK;
}

mlp_status mlp_mpi_reducer(mlp_mpi *c, mlp_reducer *r)
{
    /* the fields of 1.4 at least; fields a later header appends are left alone */
    if (c == NULL || r == NULL || r->struct_size < REDUCER_1_4 || r->struct_size > sizeof *r) {
        if (c != NULL)
            snprintf(c->error, sizeof c->error, "mlp_mpi_reducer: reducer.struct_size is %zu, "
                     "this libmlp-mpi takes %zu to %zu", r != NULL ? r->struct_size : 0,
                     (size_t)REDUCER_1_4, sizeof *r);
        return MLP_ERR_INVALID_ARG;
    }
    r->shards = (size_t)c->size;
    r->shard = (size_t)c->rank;
    r->allreduce = blocking_allreduce;
    r->user_data = c;
    r->verify_every = c->verify_every;
    r->start = c->overlap ? bucket_start : NULL;
    r->wait = c->overlap ? bucket_wait : NULL;
    r->bucket_values = c->bucket_values;
    return MLP_OK;
}

/* Whether every rank's arguments (and work) are good, decided together: the first
 * failing rank, in rank order, sends its reason (`why`, else its mlp_error_detail())
 * to all, whose mlp_mpi_last_error() then names it; each rank returns its own failure,
 * or the first failing rank's status. */
static mlp_status agree(mlp_mpi *c, mlp_status mine, const char *why)
{
    NOT_BROKEN(c);
    int *in = c->agree_in, *out = c->agree_out; /* the context's: see struct mlp_mpi */
    in[0] = mine == MLP_OK ? c->size : c->rank;
    in[1] = (int)mine;
    /* MINLOC over (rank of the first failure, its status) */
    mlp_status s = coll_allreduce(c, in, out, 1, MPI_2INT, MPI_MINLOC);
    if (s != MLP_OK) return s;
    if (out[0] == c->size) return MLP_OK;
    const int first = out[0], status = out[1];
    memset(c->reason, 0, sizeof c->reason);
    if (c->rank == first)
        snprintf(c->reason, sizeof c->reason, "%s", why != NULL ? why : mlp_error_detail());
    s = coll_bcast(c, c->reason, (int)sizeof c->reason, MPI_CHAR, first);
    if (s != MLP_OK) return s;
    c->reason[sizeof c->reason - 1] = '\0';
    snprintf(c->error, sizeof c->error, "rank %d of %d refused (%s): %s", first, c->size,
             mlp_strerror((mlp_status)status), c->reason);
    return mine != MLP_OK ? mine : (mlp_status)status;
}

mlp_status mlp_mpi_set_timeout(mlp_mpi *c, double seconds)
{
    if (c == NULL || !(seconds >= 0) || seconds > 1e9) return MLP_ERR_INVALID_ARG;
    c->timeout = seconds;
    return MLP_OK;
}

mlp_status mlp_mpi_fit(mlp_mpi *c, mlp_trainer *tr, mlp_fit_result *result,
                       const mlp_dataset *train, const mlp_fit_options *options)
{
    if (c == NULL) return MLP_ERR_INVALID_ARG;
    NOT_BROKEN(c);
    char why[256] = "";
    mlp_fit_options o;
    mlp_status s = mlp_fit_options_init(&o, sizeof o);
    if (s == MLP_OK && options != NULL) {
        /* the caller's fields (an older, shorter struct included), ours after them */
        if (options->struct_size < offsetof(mlp_fit_options, shards) ||
            options->struct_size > sizeof o) {
            s = MLP_ERR_INVALID_ARG;
            snprintf(why, sizeof why, "mlp_mpi_fit: options.struct_size is %zu, this "
                     "libmlp-mpi takes %zu to %zu", options->struct_size,
                     offsetof(mlp_fit_options, shards), sizeof o);
        } else {
            memcpy(&o, options, options->struct_size), o.struct_size = sizeof o;
        }
    }
    mlp_reducer red = {.struct_size = sizeof red};
    if (s == MLP_OK) s = mlp_mpi_reducer(c, &red);
    if (s == MLP_OK && tr == NULL) {
        s = MLP_ERR_INVALID_ARG;
        snprintf(why, sizeof why, "mlp_mpi_fit: trainer is NULL");
    }
    if (s == MLP_OK) { /* the largest block the fit reduces: the gradient's, or the table */
        const size_t np = mlp_net_n_params(mlp_trainer_net(tr)) + 2, table = 8 * (size_t)c->size;
        s = reserve(c, np > table ? np : table);
        if (s != MLP_OK) snprintf(why, sizeof why, "mlp_mpi_fit: cannot allocate the reduction's "
                                  "buffer");
    }
    /* Before libmlp's own first reduction: every rank must reach it. */
    s = agree(c, s, why);
    if (s != MLP_OK) return s;
    o.reducer = &red;
    c->stats.struct_size = sizeof c->stats;
    return mlp_trainer_fit(tr, result, train, &o);
}

mlp_status mlp_mpi_trainer_save(mlp_mpi *c, const mlp_trainer *tr, const char *path)
{
    if (c == NULL) return MLP_ERR_INVALID_ARG;
    NOT_BROKEN(c);
    mlp_status s = MLP_OK;
    if (c->rank == 0) s = mlp_trainer_save(tr, path);
    return agree(c, s, NULL); /* rank 0's status and its reason, on every rank */
}

/* Rank 0's read of a checkpoint: a regular file, opened without blocking (a FIFO
 * with no writer would hold every rank), read whole. */
static mlp_status read_checkpoint(const char *path, unsigned char **buf, long long *size,
                                  char *why, size_t cap)
{
    *buf = NULL;
    *size = 0;
    if (path == NULL) {
        snprintf(why, cap, "mlp_mpi_trainer_load: path is NULL");
        return MLP_ERR_INVALID_ARG;
    }
    const int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, cap, "mlp_mpi_trainer_load: cannot open %.400s: %s", path, strerror(errno));
        return MLP_ERR_IO;
    }
    struct stat st;
    mlp_status s = MLP_OK;
    if (fstat(fd, &st) != 0) {
        snprintf(why, cap, "mlp_mpi_trainer_load: cannot stat %.400s: %s", path, strerror(errno));
        s = MLP_ERR_IO;
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(why, cap, "mlp_mpi_trainer_load: %.400s is %s, not a checkpoint file", path,
                 S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                 : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a regular file");
        s = MLP_ERR_IO;
    } else if (st.st_size <= 0) {
        snprintf(why, cap, "mlp_mpi_trainer_load: %.400s is empty", path);
        s = MLP_ERR_FORMAT;
    } else if ((uintmax_t)st.st_size > SIZE_MAX / 2 ||
               (*buf = malloc((size_t)st.st_size)) == NULL) {
        snprintf(why, cap, "mlp_mpi_trainer_load: cannot allocate %lld bytes for %.400s",
                 (long long)st.st_size, path);
        s = MLP_ERR_NOMEM;
    } else {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            const ssize_t k = read(fd, *buf + got, (size_t)st.st_size - got);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                snprintf(why, cap, "mlp_mpi_trainer_load: cannot read %.400s: %s", path,
                         k < 0 ? strerror(errno) : "it shrank while read");
                s = MLP_ERR_IO;
                break;
            }
            got += (size_t)k;
        }
        *size = (long long)st.st_size;
    }
    close(fd);
    if (s != MLP_OK) {
        free(*buf);
        *buf = NULL;
        *size = 0;
    }
    return s;
}

mlp_status mlp_mpi_trainer_load(mlp_mpi *c, mlp_trainer **tr, mlp_net **net, const char *path,
                                size_t max_batch)
{
    if (c == NULL) return MLP_ERR_INVALID_ARG;
    NOT_BROKEN(c);
    if (tr != NULL) *tr = NULL;
    if (net != NULL) *net = NULL;
    char why[640] = "";
    long long size = 0;
    unsigned char *buf = NULL;
    mlp_status s = MLP_OK;
    if (tr == NULL) {
        s = MLP_ERR_INVALID_ARG;
        snprintf(why, sizeof why, "mlp_mpi_trainer_load: trainer is NULL");
    } else if (c->rank == 0) {
        s = read_checkpoint(path, &buf, &size, why, sizeof why);
    }
    /* every rank's arguments and rank 0's read, decided together */
    s = agree(c, s, why);
    c->word = (unsigned long long)size;
    if (s == MLP_OK) s = coll_bcast(c, &c->word, 1, MPI_UNSIGNED_LONG_LONG, 0);
    size = (long long)c->word;
    if (s != MLP_OK) {
        free(buf);
        return s;
    }
    if (c->rank != 0 && (buf = malloc((size_t)size)) == NULL) {
        s = MLP_ERR_NOMEM;
        snprintf(why, sizeof why, "mlp_mpi_trainer_load: cannot allocate %lld bytes", size);
    }
    s = agree(c, s, why);
    for (long long at = 0; s == MLP_OK && at < size; at += INT_MAX) {
        const int part = size - at < INT_MAX ? (int)(size - at) : INT_MAX;
        s = coll_bcast(c, buf + at, part, MPI_BYTE, 0);
    }
    if (s == MLP_OK) {
        s = mlp_trainer_load_buffer(tr, net, buf, (size_t)size, max_batch);
        free(buf);
        return agree(c, s, NULL);
    }
    if (!c->broken) free(buf); /* else a pending broadcast may still write into it */
    return s;
}

/* A digest of a network's shape: inputs, and each layer's width, activation, bias,
 * kind and epsilon. */
static unsigned long long shape_of(const mlp_net *net)
{
    unsigned long long h = 0xcbf29ce484222325ull;
    const size_t n = mlp_net_n_layers(net);
    size_t v[3] = {mlp_net_n_inputs(net), n, (size_t)mlp_net_precision(net)}; /* 0: float64 */
    for (size_t l = 0; l <= n; l++) {
        mlp_layer_spec spec;
        if (l > 0) {
            mlp_layer_spec_init(&spec, sizeof spec);
            mlp_net_layer(net, l - 1, &spec, NULL);
            v[0] = spec.size;
            v[1] = ((size_t)spec.activation * 2 + (spec.bias != 0)) * 16 + (size_t)spec.kind;
            memcpy(&v[2], &spec.epsilon, sizeof spec.epsilon);
        }
        const unsigned char *b = (const unsigned char *)v;
        for (size_t i = 0; i < sizeof v; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    }
    return h;
}

mlp_status mlp_mpi_broadcast_weights(mlp_mpi *c, mlp_net *net)
{
    if (c == NULL) return MLP_ERR_INVALID_ARG;
    NOT_BROKEN(c);
    mlp_status s = agree(c, net == NULL ? MLP_ERR_INVALID_ARG : MLP_OK,
                         "mlp_mpi_broadcast_weights: net is NULL");
    if (s != MLP_OK) return s;
    /* the shape, not only the parameter count: 1-4-1 and 2-3-1 both have 13 */
    const unsigned long long mine = shape_of(net);
    c->word = mine;
    s = coll_bcast(c, &c->word, 1, MPI_UNSIGNED_LONG_LONG, 0);
    if (s == MLP_OK)
        s = agree(c, mine != c->word ? MLP_ERR_SHAPE : MLP_OK,
                  "mlp_mpi_broadcast_weights: its network's shape (inputs, layer widths, "
                  "activations, biases, precision) is not rank 0's");
    if (s != MLP_OK) return s;
    const unsigned long long np = mlp_net_n_params(net);
    /* the values as the network holds them: doubles, or a float32 network's floats */
    const int f32 = mlp_net_precision(net) == MLP_PRECISION_FLOAT32;
    const size_t size = f32 ? sizeof(float) : sizeof(double);
    void *w = f32 ? (void *)mlp_net_params_f32(net) : (void *)mlp_net_params(net);
    char *b = w;
    if (c->timeout > 0) { /* through the context's stage (see struct mlp_mpi) */
        s = agree(c, reserve(c, (size_t)np), "mlp_mpi_broadcast_weights: cannot allocate");
        if (s != MLP_OK) return s;
        b = (char *)c->stage; /* np doubles: room for np floats too */
        memcpy(b, w, np * size);
    }
    for (unsigned long long at = 0; s == MLP_OK && at < np; at += INT_MAX) {
        const int part = np - at < INT_MAX ? (int)(np - at) : INT_MAX;
        s = coll_bcast(c, b + at * size, part, f32 ? MPI_FLOAT : MPI_DOUBLE, 0);
    }
    if (s == MLP_OK && b != (char *)w) memcpy(w, b, np * size);
    return s;
}

mlp_status mlp_mpi_get_stats(const mlp_mpi *c, mlp_mpi_stats *stats)
{
    if (c == NULL || stats == NULL || stats->struct_size < STATS_1_4) return MLP_ERR_INVALID_ARG;
    const size_t size = stats->struct_size < sizeof *stats ? stats->struct_size : sizeof *stats;
    memcpy((char *)stats + sizeof size, (const char *)&c->stats + sizeof size,
           size - sizeof size); /* the caller's struct_size stays */
    return MLP_OK;
}

void mlp_mpi_reset_stats(mlp_mpi *c)
{
    if (c == NULL) return;
    memset(&c->stats, 0, sizeof c->stats);
    c->stats.struct_size = sizeof c->stats;
}
