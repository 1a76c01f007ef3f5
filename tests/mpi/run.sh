#!/bin/sh
# Run an MPI test program on NP ranks of this machine: run.sh PROGRAM NP [ARGS...].
# Exit 77 (meson's "skipped") with a message when mpirun is absent.
prog=$1
np=$2
shift 2
if ! command -v mpirun >/dev/null 2>&1; then
    echo "mpirun not found: the mpi suite is skipped (apt-get install openmpi-bin)"
    exit 77
fi
# CI runs as root, which Open MPI refuses unless told; the ranks share the machine's
# cores (oversubscribed), one BLAS thread each; shared memory between them, and no
# single-copy mechanism (it needs ptrace, which containers often forbid).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OPENBLAS_NUM_THREADS=1 MLP_NUM_THREADS=1
# Under AddressSanitizer, no leak report: Open MPI leaves its own allocations behind at
# MPI_Finalize and unloads the plugins that made them, so they cannot be told apart
# from ours. The sharded fit's own code is leak-checked by the unit suite 'shard'
# (ASan and valgrind); memory errors are still caught here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# A hang is a failure: no rank may wait forever for another.
exec timeout --signal=KILL 240 mpirun --oversubscribe -np "$np" "$prog" "$@"
