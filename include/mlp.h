/**
 * @file mlp.h
 * @brief libmlp — dense feed-forward neural networks (multi-layer perceptrons) on BLAS.
 *
 * The one header a program includes. It includes one header per part of the API, in
 * the order they build on each other (each part's functions are listed in the
 * reference, by group):
 *
 *  - mlp/core.h    version (MLP_VERSION_STRING, mlp_version()), status codes,
 *                  mlp_strerror() and mlp_error_detail(); mlp_blas_get_info(), what the
 *                  library runs on; mlp_set_num_threads()
 *  - mlp/model.h   activations; networks: mlp_net_create() from layer specs
 *                  (MLP_LAYER, MLP_LAYERNORM, MLP_BATCHNORM, MLP_DROPOUT), weights
 *                  and biases; workspaces and mlp_net_predict(); mlp_net_init()
 *  - mlp/linear.h  the tutorial's linear model: errors, gradient descent, mlp_linreg()
 *  - mlp/train.h   losses, datasets (MLP_DATASET), mlp_net_gradient(); optimizers
 *                  and schedules; trainers: mlp_trainer_step(), mlp_trainer_fit()
 *  - mlp/io.h      provenance; mlp_net_save() and mlp_net_load(), checkpoints
 *  - mlp/data.h    tables from CSV files (mlp_table_read_csv()), the preprocessing
 *                  a model keeps (scaling, column names, class labels), argmax and
 *                  accuracy, splits, folds and mlp_net_score()
 *  - mlp/export.h  mlp_net_export_c(): the network as standalone C
 *
 * Conventions used throughout:
 *
 *  - Matrices are row-major, contiguous doubles. A batch of observations is an
 *    (n, d) matrix: n rows (observations) by d columns (features).
 *  - A dense layer with `in` inputs and `out` nodes stores its weights as a
 *    row-major (out, in) matrix: row j holds node j's incoming weights. Its bias
 *    is a vector of `out`.
 *  - Every fallible function returns an ::mlp_status; ::MLP_OK (0) is success.
 *    After a failure, mlp_error_detail() describes what was wrong. A failed call
 *    leaves its arguments as they were (exceptions are named where they occur).
 *  - Output parameters come first, then inputs, then sizes.
 *  - Every struct that crosses the API begins with `size_t struct_size`, which
 *    the caller sets to `sizeof` the struct as its own header declares it,
 *    through the struct's `mlp_<type>_init(&s, sizeof s)` function (which also
 *    fills in the defaults) or its initializer macro (::MLP_LAYER, ::MLP_DATASET).
 *    The library reads and writes only the fields that fit in `struct_size`:
 *    a program built against an older header, whose structs are shorter, gets the
 *    defaults for the fields it does not know, and nothing past its structs is
 *    written. Fields are only ever appended. Structs the library hands to the
 *    caller (::mlp_epoch_report) carry the library's size: test a field newer than
 *    your oldest supported libmlp with ::MLP_HAS_FIELD before reading it.
 *  - The library never prints, never exits, never aborts on bad input and keeps
 *    no global mutable state (the detail message is thread-local).
 */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>
#include <stdio.h> /* FILE, for mlp_table_read_csv_file */

#ifdef __cplusplus
extern "C" {
#endif

/** @cond MLP_INTERNAL */
#if defined(_WIN32) && defined(MLP_BUILDING)
#define MLP_API __declspec(dllexport)
#elif defined(_WIN32) && !defined(MLP_STATIC)
#define MLP_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define MLP_API __attribute__((visibility("default")))
#else
#define MLP_API
#endif
/** @endcond */

#include "mlp/core.h"
#include "mlp/model.h"
#include "mlp/linear.h"
#include "mlp/train.h"
#include "mlp/io.h"
#include "mlp/data.h"
#include "mlp/export.h"

#ifdef __cplusplus
}
#endif

#endif /* MLP_H */
