/* Private to the library: never installed. The private headers of its parts, in the
 * order they build on each other: core (status, threads, scans), kernels (activations,
 * losses, passes over arrays), model (layer kinds, networks, workspaces, the passes),
 * train (optimizers, trainers). The library's files and the tests that read internals
 * include this one. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include "core/core.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "train/trainer.h"

#endif
