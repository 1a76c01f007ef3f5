/* The passes between BLAS calls on several threads: a small pool of the library's
 * own, shared by the whole process.
 *
 * Why a pool of our own and not OpenMP: it works beside every BLAS (Debian's
 * default OpenBLAS is the pthreads build, whose workers are not OpenMP's), it is
 * plain pthreads and C11 atomics, which ThreadSanitizer and valgrind understand
 * (GCC's libgomp is opaque to ThreadSanitizer), and it adds no runtime to a
 * program that links libmlp. docs/design.md gives the reasons and what it measured.
 *
 * How a job runs: the caller splits [0, n) into parts (mlp__parallel_for), hands
 * part i to worker i - 1 through the worker's own slot (its fields, then its
 * sequence number with release order), wakes the sleeping workers with one
 * broadcast (one system call, not one per worker), runs part 0 itself and waits
 * for the others. A worker spins on its sequence number for some microseconds
 * after each job (passes on small batches follow each other that closely), then
 * sleeps on the pool's condition variable: it never spins through a long BLAS
 * call, where it would take a core from the BLAS's own threads.
 *
 * One job at a time: a caller that finds the pool busy (another thread of the
 * program predicting at the same moment, say) runs its job alone. Results never
 * depend on this, nor on the thread count: every task the library hands the pool
 * computes each output value from the same inputs in the same order whichever
 * part it falls in (element-wise passes, sums down whole columns, chunks of the
 * optimizer's update).
 *
 * The library keeps one piece of process-wide state here: the pool and the
 * thread count set by mlp_set_num_threads. The workers are joined when the
 * library is unloaded; a child after fork() starts without them and builds its
 * own on first use. */
#define _POSIX_C_SOURCE 200809L /* sched_yield, pthread_atfork */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Spins of a waiting worker before it sleeps: each a pause instruction, tens of
 * nanoseconds on current x86 CPUs, so some microseconds in all. */
enum { SPINS = 512 };

typedef struct worker {
    pthread_t thread;
    atomic_uint seq;  /* bumped by the caller for each job given to this worker */
    /* the job, written before seq */
    mlp__task task;
    void *ctx;
    size_t begin, end, part;
    char pad[64];
} worker;

typedef struct pool {
    pthread_mutex_t busy; /* held by the caller running a job */
    pthread_mutex_t lock; /* guards sleepers and stop; with wake, where idle workers sleep */
    pthread_cond_t wake;
    int sleepers;
    int stop;
    worker *workers;
    size_t n_workers, cap;
    atomic_size_t remaining; /* parts of the running job not yet done */
} pool;

static pool the_pool = {.busy = PTHREAD_MUTEX_INITIALIZER,
                        .lock = PTHREAD_MUTEX_INITIALIZER,
                        .wake = PTHREAD_COND_INITIALIZER};
static atomic_int requested; /* mlp_set_num_threads; 0: the default */
static atomic_int env_threads = -1; /* MLP_NUM_THREADS as read once; 0 when unset */

static void *work(void *arg)
{
    worker *w = arg;
    pool *p = &the_pool;
    unsigned seen = 0;
    for (;;) {
        unsigned s = atomic_load_explicit(&w->seq, memory_order_acquire);
        for (int i = 0; i < SPINS && s == seen; i++) {
            CPU_RELAX();
            s = atomic_load_explicit(&w->seq, memory_order_acquire);
        }
        if (s == seen) {
            /* One condition variable for all: the caller wakes every sleeper with one
             * broadcast, and a worker with no part in the job sleeps again. */
            pthread_mutex_lock(&p->lock);
            while ((s = atomic_load_explicit(&w->seq, memory_order_acquire)) == seen && !p->stop) {
                p->sleepers++;
                pthread_cond_wait(&p->wake, &p->lock);
                p->sleepers--;
            }
            const int stop = p->stop;
            pthread_mutex_unlock(&p->lock);
            if (stop && s == seen) return NULL;
        }
        seen = s;
        w->task(w->ctx, w->begin, w->end, w->part);
        atomic_fetch_sub_explicit(&p->remaining, 1, memory_order_acq_rel);
    }
}

/* Workers up to `want`, under the busy lock. Returns how many there are. */
static size_t grow(size_t want)
{
    pool *p = &the_pool;
    if (want <= p->n_workers) return want;
    if (p->workers == NULL) {
        /* Workers are found by pointer from their threads: never move one. The
         * slots are allocated once, for the most workers the library will run. */
        p->workers = calloc(MLP_MAX_THREADS, sizeof *p->workers);
        if (p->workers == NULL) return 0;
        p->cap = MLP_MAX_THREADS;
    }
    while (p->n_workers < want) {
        worker *w = &p->workers[p->n_workers];
        memset(w, 0, sizeof *w);
        atomic_init(&w->seq, 0);
        if (pthread_create(&w->thread, NULL, work, w) != 0)
            break; /* fewer threads: the job still runs, in fewer parts */
        p->n_workers++;
    }
    return p->n_workers < want ? p->n_workers : want;
}

static void stop_all(void)
{
    pool *p = &the_pool;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->n_workers; i++) pthread_join(p->workers[i].thread, NULL);
    free(p->workers);
    p->workers = NULL;
    p->n_workers = p->cap = 0;
    p->stop = 0;
}

/* The library's code leaves the process with it: its workers must not outlive it. */
__attribute__((destructor)) static void pool_unload(void)
{
    if (pthread_mutex_trylock(&the_pool.busy) != 0) return; /* a job is running: exit anyway */
    stop_all();
    pthread_mutex_unlock(&the_pool.busy);
}

/* A child of fork() has none of the parent's workers: forget them (their memory is
 * the parent's copy, left alone) and start again on first use. */
static void forget_after_fork(void)
{
    pthread_mutex_init(&the_pool.busy, NULL);
    pthread_mutex_init(&the_pool.lock, NULL);
    pthread_cond_init(&the_pool.wake, NULL);
    the_pool.sleepers = 0;
    the_pool.workers = NULL;
    the_pool.n_workers = the_pool.cap = 0;
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void register_fork(void) { pthread_atfork(NULL, NULL, forget_after_fork); }

static int env_count(void)
{
    int e = atomic_load_explicit(&env_threads, memory_order_relaxed);
    if (e >= 0) return e;
    const char *s = getenv("MLP_NUM_THREADS");
    e = 0;
    if (s != NULL && *s != '\0') {
        char *end;
        errno = 0;
        const long v = strtol(s, &end, 10);
        if (errno == 0 && *end == '\0' && v > 0) e = v > MLP_MAX_THREADS ? MLP_MAX_THREADS : (int)v;
    }
    atomic_store_explicit(&env_threads, e, memory_order_relaxed);
    return e;
}

int mlp_get_num_threads(void)
{
    const int r = atomic_load_explicit(&requested, memory_order_relaxed);
    if (r > 0) return r;
    const int e = env_count();
    if (e > 0) return e;
#if MLP_HAVE_OPENBLAS
    const int b = openblas_get_num_threads();
    if (b > 0) return b > MLP_MAX_THREADS ? MLP_MAX_THREADS : b;
#endif
    return 1;
}

mlp_status mlp_set_num_threads(int n)
{
    MLP_CHECK(n >= 0 && n <= MLP_MAX_THREADS, MLP_ERR_INVALID_ARG,
              "mlp_set_num_threads: %d threads; the count must be 0 (the default) to %d", n,
              MLP_MAX_THREADS);
    atomic_store_explicit(&requested, n, memory_order_relaxed);
    return MLP_OK;
}

void mlp__parallel_for(size_t n, size_t grain, size_t min_per_part, mlp__task task, void *ctx)
{
    /* parts: as many as threads, each at least min_per_part long, cut at multiples
     * of grain */
    if (grain == 0) grain = 1;
    const size_t units = (n + grain - 1) / grain;
    size_t parts = (size_t)mlp_get_num_threads();
    if (min_per_part > 0 && n / min_per_part < parts) parts = n / min_per_part;
    if (parts > units) parts = units;
    pool *p = &the_pool;
    if (parts <= 1 || pthread_mutex_trylock(&p->busy) != 0) {
        task(ctx, 0, n, 0);
        return;
    }
    pthread_once(&fork_once, register_fork);
    parts = 1 + grow(parts - 1);
    atomic_store_explicit(&p->remaining, parts - 1, memory_order_relaxed);
    for (size_t i = 1; i < parts; i++) {
        worker *w = &p->workers[i - 1];
        w->task = task;
        w->ctx = ctx;
        w->begin = (units * i / parts) * grain;
        w->end = i + 1 == parts ? n : (units * (i + 1) / parts) * grain;
        w->part = i;
        atomic_fetch_add_explicit(&w->seq, 1, memory_order_release);
    }
    pthread_mutex_lock(&p->lock); /* a worker checks its seq under the lock before it sleeps */
    if (p->sleepers > 0) pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    const size_t first_end = parts == 1 ? n : (units / parts) * grain;
    task(ctx, 0, first_end, 0);
    for (unsigned spins = 0; atomic_load_explicit(&p->remaining, memory_order_acquire) != 0;
         spins++) {
        if (spins < SPINS) CPU_RELAX();
        else sched_yield();
    }
    pthread_mutex_unlock(&p->busy);
}

typedef struct copy_job {
    double *dst;
    const double *src;
} copy_job;

static void copy_part(void *ctx, size_t i0, size_t i1, size_t part)
{
    (void)part;
    const copy_job *j = ctx;
    if (j->src != NULL) memcpy(j->dst + i0, j->src + i0, (i1 - i0) * sizeof *j->dst);
    else memset(j->dst + i0, 0, (i1 - i0) * sizeof *j->dst);
}

/* Copies: parts of 256 KiB at least (one core's copy rate is a fraction of the
 * memory's), cut on cache lines. */
void mlp__copy(double *dst, const double *src, size_t n)
{
    copy_job j = {dst, src};
    if (n < 2 * MLP__PAR_MIN) memcpy(dst, src, n * sizeof *dst);
    else mlp__parallel_for(n, 8, MLP__PAR_MIN, copy_part, &j);
}

void mlp__zero(double *dst, size_t n)
{
    copy_job j = {dst, NULL};
    if (n < 2 * MLP__PAR_MIN) memset(dst, 0, n * sizeof *dst);
    else mlp__parallel_for(n, 8, MLP__PAR_MIN, copy_part, &j);
}
