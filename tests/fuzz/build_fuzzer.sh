#!/bin/sh
# Usage: build_fuzzer.sh CLANG SOURCE_ROOT HARNESS OUTPUT PROTOC_C ONNX_PROTO
# Builds a libFuzzer binary from the library's sources and one harness, with
# AddressSanitizer and UndefinedBehaviorSanitizer, against OpenBLAS. The typed sources
# (lib/meson.build's mlp_typed_sources) are built a second time for float32, through
# the same two-line files meson makes (lib/core/typed_f32.c.in); onnx.proto's C is
# made by protoc-c, as lib/meson.build makes it.
set -eu
clang=$1
src=$2
harness=$3
out=$4
protoc_c=$5
onnx_proto=$6
f32=$(mktemp -d)
trap 'rm -rf "$f32"' EXIT
for s in $(sed -n "/^mlp_typed_sources = \[/,/^\]/p" "$src/lib/meson.build" | tr -d " ',[]" |
           grep '\.c$'); do
    printf '#define MLP__F32 1\n#include "%s"\n' "$(cd "$src/lib" && pwd)/$s" \
        > "$f32/$(echo "$s" | tr / _ | sed 's/\.c$/_f32.c/')"
done
"$src/lib/export/protoc_c.sh" "$protoc_c" "$onnx_proto" "$f32/export_onnx.pb-c.c" "$f32/onnx.pb-c.h"
# shellcheck disable=SC2046  # pkg-config flags are words by design
"$clang" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src/include" -I"$src/lib" -I"$f32" '-DMLP_CBLAS_HEADER=<cblas.h>' \
    $(pkg-config --cflags openblas lapacke zlib libprotobuf-c) \
    $(ls "$src"/lib/*/*.c | grep -v /mpi/) "$f32"/*.c "$harness" -o "$out" \
    $(pkg-config --libs openblas lapacke zlib libprotobuf-c) -lcsv -lm
