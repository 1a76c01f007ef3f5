#!/bin/sh
# Usage: build_fuzzer.sh CLANG SOURCE_ROOT HARNESS OUTPUT
# Builds a libFuzzer binary from the library's sources and one harness, with
# AddressSanitizer and UndefinedBehaviorSanitizer, against OpenBLAS. The typed sources
# (lib/meson.build's mlp_typed_sources) are built a second time for float32, through
# the same two-line files meson makes (lib/core/typed_f32.c.in).
set -eu
clang=$1
src=$2
harness=$3
out=$4
f32=$(mktemp -d)
trap 'rm -rf "$f32"' EXIT
for s in $(sed -n "/^mlp_typed_sources = \[/,/^\]/p" "$src/lib/meson.build" | tr -d " ',[]" |
           grep '\.c$'); do
    printf '#define MLP__F32 1\n#include "%s"\n' "$(cd "$src/lib" && pwd)/$s" \
        > "$f32/$(echo "$s" | tr / _ | sed 's/\.c$/_f32.c/')"
done
# shellcheck disable=SC2046  # pkg-config flags are words by design
"$clang" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src/include" -I"$src/lib" '-DMLP_CBLAS_HEADER=<cblas.h>' \
    $(pkg-config --cflags openblas lapacke zlib) \
    $(ls "$src"/lib/*/*.c | grep -v /mpi/) "$f32"/*.c "$harness" -o "$out" \
    $(pkg-config --libs openblas lapacke zlib) -lcsv -lm
