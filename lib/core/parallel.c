/* The passes between BLAS calls on several threads: a small pool of the library's
 * own, shared by the whole process.
 *
 * Why a pool of our own and not OpenMP: it works beside every BLAS (Debian's
 * default OpenBLAS is the pthreads build, whose workers are not OpenMP's), it is
 * plain pthreads and C11 atomics, which ThreadSanitizer and valgrind understand
 * (GCC's libgomp is opaque to ThreadSanitizer), and it adds no runtime to a
 * program that links libmlp. docs/design.md gives the reasons and what it measured.
 *
 * How a job runs: the caller cuts [0, n) into parts (mlp__parallel_for), a few per
 * thread, at fixed places (they depend on n and the thread count only), writes the
 * job into the pool and publishes it with one atomic ticket (the job's generation,
 * its part count and the next part to take), wakes the sleeping workers with one
 * broadcast (one system call, not one per worker), and then takes parts itself like
 * any worker: each participant claims the next part by a compare-and-swap on the
 * ticket until none is left. The caller then waits only for parts already being
 * run. A worker that wakes late (a sleeping thread takes tens of microseconds to
 * wake, more when its core is busy with a BLAS thread spinning after a dgemm) finds
 * the parts taken and costs the caller nothing; with one part per thread, handed
 * out in advance, the caller waited for it. A worker spins on the ticket for some
 * microseconds after each job (passes on small batches follow each other that
 * closely), then sleeps on the pool's condition variable: it never spins through a
 * long BLAS call, where it would take a core from the BLAS's own threads.
 *
 * One job at a time: a caller that finds the pool busy (another thread of the
 * program predicting at the same moment, say) runs its job alone. Results never
 * depend on this, nor on the thread count, nor on which thread runs which part:
 * every task the library hands the pool computes each output value from the same
 * inputs in the same order whichever part it falls in (element-wise passes, sums
 * down whole columns, chunks of the optimizer's update).
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* Spins of a waiting worker before it sleeps: each a pause instruction, tens of
 * nanoseconds on current x86 CPUs, so some microseconds in all. */
enum { SPINS = 512 };

/* The ticket: the job's generation, its part count and the next part to take, in
 * one word, so that a claim can never take a part of a job other than the one
 * whose generation it read. Parts are at most MLP_MAX_THREADS (512 < 2^11). */
enum { NEXT_BITS = 11, PARTS_SHIFT = NEXT_BITS, GEN_SHIFT = 2 * NEXT_BITS };
#define TICKET_NEXT(t) ((size_t)((t) & ((1u << NEXT_BITS) - 1)))
#define TICKET_PARTS(t) ((size_t)(((t) >> PARTS_SHIFT) & ((1u << NEXT_BITS) - 1)))
#define TICKET_GEN(t) ((t) >> GEN_SHIFT)

typedef struct pool {
    pthread_mutex_t busy; /* held by the caller running a job */
    pthread_mutex_t lock; /* guards sleepers and stop; with wake, where idle workers sleep */
    pthread_cond_t wake;
    int sleepers;
    int stop;
    pthread_t *threads;
    size_t n_workers;
    /* the running job, written by the caller before it publishes the ticket */
    mlp__task task;
    void *ctx;
    size_t n, grain, units;
    uint64_t gen; /* the caller's count of jobs, under busy */
    char pad0[64];
    _Atomic uint64_t ticket;
    char pad1[64];
    atomic_size_t finished; /* parts of the running job done */
} pool;

static pool the_pool = {.busy = PTHREAD_MUTEX_INITIALIZER,
                        .lock = PTHREAD_MUTEX_INITIALIZER,
                        .wake = PTHREAD_COND_INITIALIZER};
static atomic_int requested; /* mlp_set_num_threads; 0: the default */
static atomic_int env_threads = -1; /* MLP_NUM_THREADS as read once; 0 when unset */

/* Part i of the job the ticket t was read from, taken when the ticket still is t:
 * the claim succeeds at most once per part, and only while that job runs (its
 * caller waits for every part it handed out, so the job's fields stay valid). */
static void take_parts(pool *p, uint64_t t)
{
    const uint64_t gen = TICKET_GEN(t);
    while (TICKET_GEN(t) == gen && TICKET_NEXT(t) < TICKET_PARTS(t)) {
        if (!atomic_compare_exchange_weak_explicit(&p->ticket, &t, t + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue; /* t holds the ticket as it is now */
        const size_t i = TICKET_NEXT(t), parts = TICKET_PARTS(t), units = p->units;
        const size_t begin = (units * i / parts) * p->grain;
        const size_t end = i + 1 == parts ? p->n : (units * (i + 1) / parts) * p->grain;
        p->task(p->ctx, begin, end, i);
        atomic_fetch_add_explicit(&p->finished, 1, memory_order_release);
        t = atomic_load_explicit(&p->ticket, memory_order_acquire);
    }
}

static void *work(void *arg)
{
    (void)arg;
    pool *p = &the_pool;
    uint64_t seen = 0; /* the last generation taken part in (or found finished) */
    for (;;) {
        uint64_t t = atomic_load_explicit(&p->ticket, memory_order_acquire);
        for (int i = 0; i < SPINS && TICKET_GEN(t) == seen; i++) {
            CPU_RELAX();
            t = atomic_load_explicit(&p->ticket, memory_order_acquire);
        }
        if (TICKET_GEN(t) == seen) {
            /* One condition variable for all: the caller wakes every sleeper with one
             * broadcast, and a worker that finds no part left sleeps again. */
            pthread_mutex_lock(&p->lock);
            while (TICKET_GEN(t = atomic_load_explicit(&p->ticket, memory_order_acquire)) ==
                       seen &&
                   !p->stop) {
                p->sleepers++;
                pthread_cond_wait(&p->wake, &p->lock);
                p->sleepers--;
            }
            const int stop = p->stop;
            pthread_mutex_unlock(&p->lock);
            if (stop && TICKET_GEN(t) == seen) return NULL;
        }
        seen = TICKET_GEN(t);
        take_parts(p, t);
    }
}

/* Workers up to `want`, under the busy lock. Returns how many there are. */
static size_t grow(size_t want)
{
    pool *p = &the_pool;
    if (want <= p->n_workers) return want;
    if (p->threads == NULL) {
        /* allocated once, for the most workers the library will run */
        p->threads = calloc(MLP_MAX_THREADS, sizeof *p->threads);
        if (p->threads == NULL) return 0;
    }
    while (p->n_workers < want) {
        if (pthread_create(&p->threads[p->n_workers], NULL, work, NULL) != 0)
            break; /* fewer threads: the job still runs, on fewer threads */
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
    for (size_t i = 0; i < p->n_workers; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    p->threads = NULL;
    p->n_workers = 0;
    p->stop = 0;
}

/* The library's code leaves the process with it: its workers must not outlive it. */
__attribute__((destructor)) static void pool_unload(void)
{
    if (pthread_mutex_trylock(&the_pool.busy) != 0) return; /* a job is running: exit anyway */
    stop_all();
    pthread_mutex_unlock(&the_pool.busy);
}

/* A child of fork() has none of the parent's workers: forget them (the list of
 * their handles is the child's copy of the parent's: freed) and start again on
 * first use. */
static void forget_after_fork(void)
{
    pthread_mutex_init(&the_pool.busy, NULL);
    pthread_mutex_init(&the_pool.lock, NULL);
    pthread_cond_init(&the_pool.wake, NULL);
    the_pool.sleepers = 0;
    free(the_pool.threads);
    the_pool.threads = NULL;
    the_pool.n_workers = 0;
    /* a job the parent was running when it forked has no caller here: no part of it
     * is left for the child's workers to take */
    atomic_store_explicit(&the_pool.ticket, the_pool.gen << GEN_SHIFT, memory_order_relaxed);
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

/* Parts per thread: enough that a thread that starts late, or loses its core for a
 * while, leaves its share to the others; few enough that a claim (one atomic
 * operation on a shared line) stays negligible beside a part. */
enum { PARTS_PER_THREAD = 4 };

void mlp__parallel_for(size_t n, size_t grain, size_t min_per_part, mlp__task task, void *ctx)
{
    /* parts: a few per thread, each at least min_per_part long, cut at multiples
     * of grain */
    if (grain == 0) grain = 1;
    const size_t units = (n + grain - 1) / grain;
    const size_t threads = (size_t)mlp_get_num_threads();
    size_t parts = threads * PARTS_PER_THREAD;
    if (min_per_part > 0 && n / min_per_part < parts) parts = n / min_per_part;
    if (parts > units) parts = units;
    if (parts > MLP_MAX_THREADS) parts = MLP_MAX_THREADS;
    pool *p = &the_pool;
    if (threads <= 1 || parts <= 1 || pthread_mutex_trylock(&p->busy) != 0) {
        task(ctx, 0, n, 0);
        return;
    }
    pthread_once(&fork_once, register_fork);
    const size_t helpers = grow((threads < parts ? threads : parts) - 1);
    if (helpers == 0) { /* no thread could be started */
        pthread_mutex_unlock(&p->busy);
        task(ctx, 0, n, 0);
        return;
    }
    p->task = task;
    p->ctx = ctx;
    p->n = n;
    p->grain = grain;
    p->units = units;
    atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
    p->gen++;
    const uint64_t t = p->gen << GEN_SHIFT | (uint64_t)parts << PARTS_SHIFT;
    atomic_store_explicit(&p->ticket, t, memory_order_release);
    pthread_mutex_lock(&p->lock); /* a worker reads the ticket under the lock before it sleeps */
    if (p->sleepers > 0) pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    take_parts(p, t);
    /* every part is taken: wait for those still running on other threads */
    for (unsigned spins = 0; atomic_load_explicit(&p->finished, memory_order_acquire) != parts;
         spins++) {
        if (spins < SPINS) CPU_RELAX();
        else sched_yield();
    }
    pthread_mutex_unlock(&p->busy);
}

typedef struct copy_job {
    char *dst;
    const char *src; /* NULL: zeros */
    size_t size;     /* of a value */
} copy_job;

static void copy_part(void *ctx, size_t i0, size_t i1, size_t part)
{
    (void)part;
    const copy_job *j = ctx;
    if (j->src != NULL) memcpy(j->dst + i0 * j->size, j->src + i0 * j->size, (i1 - i0) * j->size);
    else memset(j->dst + i0 * j->size, 0, (i1 - i0) * j->size);
}

/* Copies: parts of 256 KiB at least (one core's copy rate is a fraction of the
 * memory's), cut on cache lines. */
static void copy_values(void *dst, const void *src, size_t n, size_t size)
{
    copy_job j = {dst, src, size};
    const size_t min = MLP__PAR_MIN * sizeof(double) / size;
    if (n >= 2 * min) mlp__parallel_for(n, 64 / size, min, copy_part, &j);
    else if (src != NULL) memcpy(dst, src, n * size);
    else memset(dst, 0, n * size);
}

void mlp__copy(double *dst, const double *src, size_t n) { copy_values(dst, src, n, sizeof *dst); }
void mlp__zero(double *dst, size_t n) { copy_values(dst, NULL, n, sizeof *dst); }
void mlp__copy_f32(float *dst, const float *src, size_t n) { copy_values(dst, src, n, sizeof *dst); }
void mlp__zero_f32(float *dst, size_t n) { copy_values(dst, NULL, n, sizeof *dst); }
