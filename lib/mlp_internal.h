/* Private to the library: never installed. The private headers of its parts, in the
 * order they build on each other: core (status, threads, strings), kernels
 * (activations, losses, scans, passes over arrays), model (layer kinds, networks,
 * workspaces, the passes, the rows a model reads), train (optimizers, trainers). The
 * library's files include their own part's header (io/format.h, data/csv.h and
 * export/ include the part they build on); the tests that read internals include
 * this one. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include "core/core.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "train/trainer.h"

#endif
