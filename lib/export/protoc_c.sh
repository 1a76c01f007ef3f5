#!/bin/sh
# Usage: protoc_c.sh PROTOC_C ONNX_PROTO OUT_C OUT_H
# onnx.proto's messages as protobuf-c's C (protoc-c), its global names given the
# library's private prefix (onnx__model_proto__unpack becomes
# mlp__onnx__model_proto__unpack): the static library must not define a name that a
# program's own onnx.pb-c.c, or another library's, defines too (tests/check_parts.py).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$1" --proto_path="$(dirname "$2")" --c_out="$tmp" "$2"
sed 's/\bonnx__/mlp__onnx__/g' "$tmp/onnx.pb-c.c" > "$3"
sed 's/\bonnx__/mlp__onnx__/g' "$tmp/onnx.pb-c.h" > "$4"
