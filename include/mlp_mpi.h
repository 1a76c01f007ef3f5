/**
 * @file mlp_mpi.h
 * @brief libmlp-mpi: data-parallel training of one network on many MPI processes.
 *
 * An optional library beside libmlp (pkg-config `mlp-mpi`, link `-lmlp-mpi -lmlp`,
 * built when meson finds MPI; libmlp itself never links MPI). Every process (rank)
 * builds the same network from the same seed or file, and calls mlp_mpi_fit() with the
 * same settings; each computes one shard of every batch, the shards' gradients are
 * summed across ranks, and every rank applies the same update, so the weights stay the
 * same bits on every rank. Rows come one of two ways (mlp_fit_options::shard_local):
 * every rank passes the same rows and computes its slice of each batch, or each rank
 * passes rows of its own.
 *
 * ## Deterministic by design
 *
 * The sum of the shards' gradients is added in rank order, ((g_0 + g_1) + g_2) + ...,
 * for every value, whatever the timing or the MPI library: each rank owns a 1/P
 * segment of the gradient block; an `MPI_Alltoallv` sends every rank the P pieces of
 * its segment, it adds them in rank order, and an `MPI_Allgatherv` hands the summed
 * segments to all. These are the additions one process makes with
 * mlp_fit_options::shards = P, so a P-rank fit gives the bits of the single-process
 * fit with P shards (and agrees with the plain fit to rounding, about 1e-15 relative
 * per step). Reruns give the same bits.
 *
 * What it costs against `MPI_Allreduce` (whose order of additions MPI leaves to the
 * implementation and to the message sizes): the same bytes per rank, 2 (P - 1) / P of
 * the block each way, as a ring allreduce; the adding is the same work spread the same
 * way; one buffer of the block's size. It pays in latency where MPI would use a tree
 * for small blocks (two collectives of P - 1 messages per rank instead of about
 * log2 P rounds). `bench/mpi` measures both on the same run (README, "Beyond one
 * machine").
 *
 * ## Failure without hangs
 *
 * The library works on a duplicate of the caller's communicator whose error handler
 * is `MPI_ERRORS_RETURN`: an MPI error becomes ::MLP_ERR_IO, with MPI's message in
 * mlp_mpi_last_error(), never an abort (the library never prints). Every collective
 * call first decides with the other ranks whether each rank's arguments are good: one
 * rank's refusal (a NULL, a struct_size, a file rank 0 cannot read) is every rank's
 * error, and mlp_mpi_last_error() on every rank names that rank and its reason. A rank
 * that never makes the call cannot be told from a slow one: mlp_mpi_set_timeout()
 * bounds the wait. Every collective call is decided from values
 * every rank holds alike: the first reduction of a fit compares the ranks' networks,
 * optimizer settings, batch sizes, weights and rows, and a disagreement, a refusal on
 * one rank (a rank that passes no rows, say) or a loss that stops being finite on one
 * rank ends the fit on every rank with the same status (and, for ::MLP_ERR_NUMERIC,
 * the same weights). Functions here are collective: call them on every rank of the
 * communicator, in the same order.
 */
#ifndef MLP_MPI_H
#define MLP_MPI_H

#include <mpi.h>

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A communicator libmlp-mpi trains on: a duplicate of the caller's, with its own
 *  error handler and the reduction's buffer. */
typedef struct mlp_mpi mlp_mpi;

/**
 * Start: duplicate `comm` (collective over it) and set MPI_ERRORS_RETURN on the
 * duplicate. MPI must be initialized.
 * @param[out] ctx   receives the context (NULL on failure); free with mlp_mpi_free().
 * @param      comm  the processes that train together, e.g. MPI_COMM_WORLD.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL, MPI not initialized), ::MLP_ERR_NOMEM,
 *         ::MLP_ERR_IO (an MPI error).
 */
mlp_status mlp_mpi_create(mlp_mpi **ctx, MPI_Comm comm);

/**
 * Free the context and its communicator (collective).
 * @param ctx  the context; NULL is accepted.
 */
void mlp_mpi_free(mlp_mpi *ctx);

/**
 * This process's rank.
 * @param ctx  the context.
 * @return the rank in the communicator; -1 for NULL.
 */
int mlp_mpi_rank(const mlp_mpi *ctx);

/**
 * The processes training together.
 * @param ctx  the context.
 * @return the communicator's size; 0 for NULL.
 */
int mlp_mpi_size(const mlp_mpi *ctx);

/**
 * The last error the context met: an MPI call and MPI's message; a refusal the ranks
 * agreed on, naming the rank that refused and why ("rank 1 of 4 refused (invalid
 * argument): mlp_mpi_fit: options.struct_size is ..."); or a timeout.
 * @param ctx  the context.
 * @return static text or the context's; "no MPI error" when there was none.
 */
const char *mlp_mpi_last_error(const mlp_mpi *ctx);

/**
 * Bound every wait of the context's collectives (since 1.6): a rank that stops, hangs
 * or never makes the call the others make would otherwise hold them forever. With a
 * timeout, a collective the others do not join within `seconds` fails with
 * ::MLP_ERR_IO on the ranks that wait, and mlp_mpi_last_error() says which call and
 * that the context is spent: MPI cannot cancel a collective, so the context fails
 * every later call, and the job should end (MPI_Abort). The pending collective reads
 * and writes only the context's own buffers (the caller's weights and gradients go
 * through them), which mlp_mpi_free() then keeps: memory the caller frees is never
 * touched by a rank that comes late. The ranks poll while they
 * wait (spinning, then sleeping up to a millisecond): a small cost in latency, which
 * is why the default is 0, no timeout. Not collective; set it alike on every rank.
 * @param ctx      the context.
 * @param seconds  the longest wait, 0 for none.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG (NULL, negative or NaN).
 */
mlp_status mlp_mpi_set_timeout(mlp_mpi *ctx, double seconds);

/**
 * Every this many steps (0: never), compare a hash of every rank's weights and
 * optimizer state, and end the fit with ::MLP_ERR_NUMERIC on every rank when they
 * differ (one more reduction of P values). Default: 64 in builds without NDEBUG,
 * 0 with it.
 * @param ctx    the context.
 * @param every  steps.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL).
 */
mlp_status mlp_mpi_set_verify(mlp_mpi *ctx, size_t every);

/**
 * Overlap communication with computation (off by default): the fit hands each layer's
 * gradient to a communication thread of the library as soon as the backward pass has
 * it (DDP's buckets), and that thread sums it while the layers before it are computed.
 * The bits are those of the plain reduction (each value is still added in rank order).
 * It pays when a rank has a core to spare for the thread and the network is slow
 * against the backward pass of a layer; `bench/mpi` measures both. Needs MPI
 * initialized with MPI_Init_thread() at MPI_THREAD_SERIALIZED or above.
 * @param ctx            the context.
 * @param on             nonzero: on; 0: off (the thread ends).
 * @param bucket_values  a bucket holds whole layers, at least this many values (0: one
 *                       layer each); every rank must pass the same (checked).
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG (NULL; MPI's thread level is too low: see
 *         mlp_mpi_last_error()), ::MLP_ERR_NOMEM (no thread).
 */
mlp_status mlp_mpi_set_overlap(mlp_mpi *ctx, int on, size_t bucket_values);

/**
 * A reducer over the context's ranks (see ::mlp_reducer), for mlp_trainer_fit() called
 * directly; mlp_mpi_fit() fills one itself. It stays valid while ctx lives.
 * @param      ctx      the context.
 * @param[out] reducer  receives the hook; its struct_size must be set.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
mlp_status mlp_mpi_reducer(mlp_mpi *ctx, mlp_reducer *reducer);

/**
 * mlp_trainer_fit() on every rank, each computing one shard of every batch (collective).
 * The options are those of the single-process fit, with `reducer` set by this call
 * (any given is replaced) and `shards` 0 or the rank count. Shuffling, validation,
 * early stopping, learning-rate schedules and plateau cuts run alike on every rank;
 * the callback runs on rank 0 only, and when it asks to stop, every rank stops.
 * To checkpoint, call mlp_mpi_trainer_save() after the fit (or between fits); a fit
 * resumed on every rank from it continues bit for bit as an uninterrupted one.
 * @param      ctx      the context.
 * @param      trainer  this rank's trainer: the same network, loss, optimizer, weights
 *                      and state on every rank (checked).
 * @param[out] result   as mlp_trainer_fit(); alike on every rank.
 * @param[in]  train    this rank's rows: all rows (shard_local 0, the same on every
 *                      rank, checked) or its own.
 * @param[in]  options  may be NULL for the defaults.
 * @return as mlp_trainer_fit(), the same status on every rank; ::MLP_ERR_IO for an
 *         MPI error.
 */
mlp_status mlp_mpi_fit(mlp_mpi *ctx, mlp_trainer *trainer, mlp_fit_result *result,
                       const mlp_dataset *train, const mlp_fit_options *options);

/**
 * Save a checkpoint: rank 0 writes it (atomically, as mlp_trainer_save()); every rank
 * returns rank 0's status (collective).
 * @param ctx      the context.
 * @param trainer  the trainer (read on rank 0 only).
 * @param path     the file (used on rank 0 only).
 * @return rank 0's status (its reason in mlp_mpi_last_error() on every rank), or
 *         ::MLP_ERR_IO for an MPI error.
 */
mlp_status mlp_mpi_trainer_save(mlp_mpi *ctx, const mlp_trainer *trainer, const char *path);

/**
 * Load a checkpoint on every rank from the file rank 0 reads (collective): rank 0
 * reads the bytes, every rank receives them and loads them with
 * mlp_trainer_load_buffer(), so every rank starts from the same bits.
 * @param      ctx        the context.
 * @param[out] trainer    receives this rank's trainer (NULL on failure).
 * @param[out] net        receives this rank's network (NULL on failure).
 * Rank 0 opens the file without blocking and reads only a regular file: a FIFO, a
 * device or a directory is refused on every rank (::MLP_ERR_IO, the reason in
 * mlp_mpi_last_error()).
 * @param      path       the file (used on rank 0 only).
 * @param      max_batch  the trainer's capacity.
 * @return ::MLP_OK, or the same failure on every rank (rank 0's read or load status).
 */
mlp_status mlp_mpi_trainer_load(mlp_mpi *ctx, mlp_trainer **trainer, mlp_net **net,
                                const char *path, size_t max_batch);

/**
 * Give every rank rank 0's weights (collective): for starting from one random
 * initialization without agreeing on a seed.
 * @param ctx  the context.
 * @param net  this rank's network, the same shape on every rank (checked: inputs, and
 *             each layer's width, activation and bias, not only the parameter count).
 * @return ::MLP_OK, ::MLP_ERR_SHAPE on every rank when a shape differs, ::MLP_ERR_IO.
 */
mlp_status mlp_mpi_broadcast_weights(mlp_mpi *ctx, mlp_net *net);

/** What the context's reductions have cost so far on this rank. */
typedef struct mlp_mpi_stats {
    size_t struct_size;  /**< sizeof(mlp_mpi_stats), set by the caller */
    double seconds;      /**< wall time the training thread spent blocked in reductions
                              (waiting for the slowest rank included): with overlap, only
                              the part the backward pass did not hide */
    double busy_seconds; /**< wall time the reductions took, wherever they ran (with
                              overlap, mostly in the library's communication thread) */
    double bytes;        /**< bytes this rank sent in them */
    size_t calls;        /**< reductions */
} mlp_mpi_stats;

/**
 * The context's counters; mlp_mpi_reset_stats() zeroes them.
 * @param      ctx    the context.
 * @param[out] stats  its struct_size must be set.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG.
 */
mlp_status mlp_mpi_get_stats(const mlp_mpi *ctx, mlp_mpi_stats *stats);

/**
 * Zero the context's counters.
 * @param ctx  the context; NULL is accepted.
 */
void mlp_mpi_reset_stats(mlp_mpi *ctx);

#ifdef __cplusplus
}
#endif

#endif
