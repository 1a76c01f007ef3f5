#!/bin/sh
# bench/run switches a misdetected OpenBLAS to the best kernel the CPU runs. The
# misdetection is forced: OPENBLAS_CORETYPE=Prescott, the SSE3 kernels Debian's
# OpenBLAS 0.3.21 picked on a recent Xeon. Where the CPU supports better (mlp_bench
# --info gives advice), bench/run must switch and time on the better kernel; where
# it does not (or the BLAS is not OpenBLAS) there is nothing to check: skipped.
# Usage: check_bench_kernel.sh SOURCE_ROOT BUILD_DIR
set -eu
src=$1
build=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OPENBLAS_CORETYPE=Prescott
advice=$("$build/bench/mlp_bench" --info | sed -n 's/^advice=//p')
best=$("$build/bench/mlp_bench" --info | sed -n 's/^best_kernel=//p')
if [ -z "$advice" ]; then
    echo "SKIP: no kernel better than Prescott to switch to here (best: '$best')"
    exit 77
fi
"$src/bench/run" --build "$build" --quick --workloads tiny --batches 1 --ops forward \
    --no-peers --no-second-order --out "$out" 2> "$out/stderr" > "$out/stdout" || {
    cat "$out/stderr"
    echo "FAIL: bench/run failed"
    exit 1
}
if [ ! -f "$out/kernel_switched" ]; then
    cat "$out/stderr"
    echo "FAIL: OpenBLAS ran Prescott on a CPU that supports $best, and bench/run kept it"
    exit 1
fi
switched=$(cat "$out/kernel_switched")
timed=$(sed -n 's/^CPU: .*kernel \([A-Za-z0-9]*\) .*/\1/p' "$out/stdout")
if [ "$switched" != "$best" ] || [ "$timed" != "$best" ]; then
    echo "FAIL: switched to '$switched', timed on '$timed', the CPU's best is '$best'"
    exit 1
fi
echo "ok: Prescott forced; bench/run timed on $timed"
