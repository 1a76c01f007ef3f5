#!/bin/sh
# Usage: build_fuzzer.sh CLANG SOURCE_ROOT HARNESS OUTPUT
# Builds a libFuzzer binary from the library's sources and one harness, with
# AddressSanitizer and UndefinedBehaviorSanitizer, against OpenBLAS.
set -eu
clang=$1
src=$2
harness=$3
out=$4
# shellcheck disable=SC2046  # pkg-config flags are words by design
exec "$clang" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src/include" -I"$src/lib" '-DMLP_CBLAS_HEADER=<cblas.h>' \
    $(pkg-config --cflags openblas lapacke zlib) \
    $(ls "$src"/lib/*/*.c | grep -v /mpi/) "$harness" -o "$out" \
    $(pkg-config --libs openblas lapacke zlib) -lcsv -lm
