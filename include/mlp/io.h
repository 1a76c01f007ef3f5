/**
 * @file mlp/io.h
 * @brief libmlp: provenance, saving and loading networks and checkpoints.
 *
 * A part of <mlp.h>, which includes every part in order: include <mlp.h>, not
 * this file.
 */
#ifndef MLP_H_IO
#define MLP_H_IO

/**
 * @defgroup libmlp_models Provenance, save and load
 * Models that survive: where a network came from, atomic saves, validated loads,
 * training checkpoints.
 * @{
 */

/** Where a network came from. Kept with the network, saved and loaded with it. */
typedef struct mlp_provenance {
    /** sizeof(mlp_provenance), set by mlp_provenance_init() */
    size_t struct_size;
    /** libmlp version that created the network or wrote its file */
    char library_version[16];
    /** nonzero once mlp_trainer_fit() has completed an epoch on it */
    int trained;
    /** loss of the last training */
    mlp_loss loss;
    /** shuffling seed of the last training */
    unsigned long long seed;
    /** rows per step of the last training */
    size_t batch_size;
    /** epochs completed over every training; also the length of mlp_net_loss_history() */
    size_t epochs;
    /** the epoch whose weights the network holds, 1 to epochs: the best of the last fit
     *  with early stopping, else its last completed; 0 for a network never trained or
     *  read from a file older than 1.5 (since 1.5) */
    size_t kept_epoch;
} mlp_provenance;

/**
 * Set a provenance's struct_size and empty it.
 * @param[out] info         the struct to fill.
 * @param      struct_size  sizeof(mlp_provenance) as the caller's header declares it.
 * @return ::MLP_OK, or ::MLP_ERR_INVALID_ARG for NULL or a bad struct_size.
 */
MLP_API mlp_status mlp_provenance_init(mlp_provenance *info, size_t struct_size);

/**
 * Copy out a network's provenance and the optimizer settings of its last training.
 * @param      net        the network.
 * @param[out] info       its struct_size must be set (mlp_provenance_init()).
 * @param[out] optimizer  may be NULL; else its struct_size must be set
 *                        (mlp_optimizer_init()): the settings of the last training
 *                        (all zero but struct_size for a network never trained).
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL, bad struct_size).
 */
MLP_API mlp_status mlp_net_provenance(const mlp_net *net, mlp_provenance *info,
                                      mlp_optimizer *optimizer);

/**
 * The per-epoch training loss of every epoch the network was trained for, oldest first.
 * @param      net      the network.
 * @param[out] history  receives `*n` values owned by the network, valid until it is
 *                      trained again or freed (NULL when *n is 0).
 * @param[out] n        receives the epoch count.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL).
 */
MLP_API mlp_status mlp_net_loss_history(const mlp_net *net, const double **history, size_t *n);

/**
 * The per-epoch validation loss of every epoch the network was trained for, oldest
 * first: NaN for an epoch without validation rows (since 1.5; a network read from an
 * older file has NaN for every epoch).
 * @param      net      the network.
 * @param[out] history  receives `*n` values owned by the network, valid until it is
 *                      trained again or freed (NULL when *n is 0).
 * @param[out] n        receives the epoch count, as mlp_net_loss_history() gives it.
 * @return ::MLP_OK or ::MLP_ERR_INVALID_ARG (NULL).
 */
MLP_API mlp_status mlp_net_val_loss_history(const mlp_net *net, const double **history,
                                            size_t *n);

/**
 * Save a network (layers, parameters, provenance and loss history) to `path`,
 * atomically: the bytes go to a new temporary file in the same directory, which
 * is flushed, fsync'ed and renamed over `path`. A failure at any point leaves a
 * previous file at `path` as it was. The format is described in README.md.
 * @param net   the network.
 * @param path  the file to write.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_NOMEM, ::MLP_ERR_IO (the detail
 *         names the system error), ::MLP_ERR_NUMERIC (a NaN or infinite parameter: no
 *         file that could not be loaded again is written).
 */
MLP_API mlp_status mlp_net_save(const mlp_net *net, const char *path);

/**
 * Serialize a network into memory.
 * @param      net       the network.
 * @param[out] buf       capacity bytes, or NULL to compute the size only.
 * @param      capacity  bytes available at buf.
 * @param[out] size      receives the bytes needed.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_SHAPE (capacity too small; nothing
 *         written), ::MLP_ERR_NUMERIC (a NaN or infinite parameter).
 */
MLP_API mlp_status mlp_net_save_buffer(const mlp_net *net, void *buf, size_t capacity,
                                       size_t *size);

/**
 * Load a network saved by mlp_net_save() (or the network of a training
 * checkpoint), by this or any earlier libmlp. Every field is validated and every
 * size checked for overflow before anything is allocated.
 * @param[out] net   receives the network (NULL on failure).
 * @param      path  the file to read.
 * @return ::MLP_OK, ::MLP_ERR_INVALID_ARG, ::MLP_ERR_IO, ::MLP_ERR_NOMEM, ::MLP_ERR_FORMAT
 *         (not a libmlp file, a version this library cannot read, truncated,
 *         corrupted, checksum mismatch, impossible sizes; the detail says which).
 */
MLP_API mlp_status mlp_net_load(mlp_net **net, const char *path);

/**
 * Load a network from memory; as mlp_net_load().
 * @param[out] net   receives the network (NULL on failure).
 * @param[in]  buf   size bytes.
 * @param      size  bytes at buf.
 * @return as mlp_net_load().
 */
MLP_API mlp_status mlp_net_load_buffer(mlp_net **net, const void *buf, size_t size);

/**
 * Save a training checkpoint: the trainer's network, loss, optimizer settings and
 * state, schedule state, step and epoch counters, atomically as mlp_net_save().
 * Training resumed from it with mlp_trainer_fit() gives, bit for bit, the weights
 * an uninterrupted run gives (early stopping's bookkeeping excepted: it restarts
 * with each fit).
 * @param trainer  the trainer.
 * @param path     the file to write.
 * @return as mlp_net_save().
 */
MLP_API mlp_status mlp_trainer_save(const mlp_trainer *trainer, const char *path);

/**
 * Load a training checkpoint: a new network and a new trainer that borrows it.
 * Free the trainer, then the network.
 * @param[out] trainer    receives the trainer (NULL on failure).
 * @param[out] net        receives the network (NULL on failure).
 * @param      path       the file to read.
 * @param      max_batch  the trainer's capacity: the caller's choice, not the file's,
 *                        so that no file decides how much memory is allocated.
 * @return as mlp_net_load(); a network file (no trainer state) gives ::MLP_ERR_FORMAT;
 *         max_batch == 0 gives ::MLP_ERR_INVALID_ARG.
 */
MLP_API mlp_status mlp_trainer_load(mlp_trainer **trainer, mlp_net **net, const char *path,
                                    size_t max_batch);

/**
 * Load a training checkpoint from memory; as mlp_trainer_load().
 * @param[out] trainer    receives the trainer (NULL on failure).
 * @param[out] net        receives the network (NULL on failure).
 * @param[in]  buf        size bytes.
 * @param      size       bytes at buf.
 * @param      max_batch  the trainer's capacity.
 * @return as mlp_trainer_load().
 */
MLP_API mlp_status mlp_trainer_load_buffer(mlp_trainer **trainer, mlp_net **net,
                                           const void *buf, size_t size, size_t max_batch);

/** @} */

#endif /* MLP_H_IO */
