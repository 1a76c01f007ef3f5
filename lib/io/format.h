/* The model format's constants, shared by its writer (write.c) and its reader
 * (read.c): docs/format.md describes the bytes. */
#ifndef MLP_IO_FORMAT_H
#define MLP_IO_FORMAT_H

#include <sys/types.h> /* ssize_t */

#include "../train/trainer.h"

static const unsigned char mlp__magic[8] = {0x89, 'M', 'L', 'P', '\r', '\n', 0x1a, '\n'};
/* Version 1: libmlp 0.1. Version 2 (libmlp 1.0): the optimizer block gained the
 * learning-rate schedule, checkpoints the schedule's state. Version 3 (libmlp 1.1):
 * the optimizer block gained the second-order settings, checkpoints their state.
 * Version 4 (libmlp 1.2): the preprocessing block. Version 5 (libmlp 1.5): the epoch
 * whose weights the network holds and the validation loss of every epoch. Version 6
 * (libmlp 1.7): each layer record adds its kind and the values its kind keeps (a layer
 * normalization's epsilon); written only for a network with a layer that is not
 * dense, so that the files of dense networks stay readable by 1.5 and 1.6. Version 7
 * (libmlp 1.7): the values' type after the layer records, and the parameters, running
 * state and optimizer state in it; written only for a float32 network.
 * Version 8 (libmlp 1.7): the preprocessing block adds the table columns the inputs
 * encode (kinds, categories, fills, missing tokens); written only for a model with
 * columns.
 * Every version is read. */
enum { MLP__FORMAT_VERSION = 8, MLP__CONTENTS_NETWORK = 1, MLP__CONTENTS_CHECKPOINT = 2 };
/* Values a layer record of version 6 may hold. */
enum { MLP__MAX_LAYER_VALUES = 16 };
enum { MLP__HEADER_BYTES = 40, MLP__VERSION_BYTES = 16 };
/* The optimizer block: reals, then (version 2 on) counts, by version. */
enum { MLP__N_OPT_REALS_V1 = 11, MLP__N_OPT_REALS_V2 = 14, MLP__N_OPT_COUNTS_V2 = 3 };
enum { MLP__N_OPT_REALS = 17, MLP__N_OPT_COUNTS = 6 };

/* Write n bytes to the file at path, whole or not at all (outfile.h): MLP_OK,
 * MLP_ERR_INVALID_ARG (no path), MLP_ERR_IO, MLP_ERR_NOMEM; fn names the caller. */
mlp_status mlp__write_file(const char *path, const void *bytes, size_t n, const char *fn);

/* (lib/io/infile.c) Open a regular file to read: without blocking (a FIFO with no
 * writer would block the open for ever), refused unless regular; the descriptor
 * (blocking again) and the file's size, or MLP_ERR_INVALID_ARG / MLP_ERR_IO. */
mlp_status mlp__open_regular(const char *path, int *fd, size_t *len, const char *fn);
/* Read exactly len bytes from fd, through short reads and interruptions: the count read,
 * short only at the end of the file; -1 with errno set on a read error. */
ssize_t mlp__read_all(int fd, unsigned char *buf, size_t len);

/* Read the regular file at path into a new buffer (*size bytes, at most max): MLP_OK,
 * MLP_ERR_INVALID_ARG (no path), MLP_ERR_IO (cannot open or read it, not a regular
 * file: the reason), MLP_ERR_FORMAT (larger than max, or shrunk while read),
 * MLP_ERR_NOMEM. */
mlp_status mlp__read_file(const char *path, unsigned char **buf, size_t *size, size_t max,
                          const char *fn);

/* Preprocessing flags (format 4). */
enum { MLP__PREP_IN_SCALE = 1, MLP__PREP_OUT_SCALE = 2, MLP__PREP_NAMES = 4, MLP__PREP_CLASSES = 8, MLP__PREP_ALL = 15 };
/* Format 8: the columns (after the classes). */
enum { MLP__PREP_COLUMNS = 16 };
/* A column's flags (format 8). */
enum { MLP__COLUMN_INDICATOR = 1, MLP__COLUMN_MISSING_CATEGORY = 2 };

#endif
