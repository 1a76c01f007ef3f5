#!/bin/sh
# Usage: check_growth.sh PROGRAM LIBDIR FUTURE_LIBDIR VERSION FUTURE_VERSION
# The ABI-growth test. PROGRAM was built against this tree's mlp.h; LIBDIR holds the
# library built from it, FUTURE_LIBDIR the same sources built against a header
# whose every struct has one more field (a simulated next minor release,
# tests/abi/grow_header.py).
# The program must run on both, print the same results, and find every byte past
# its structs untouched (it checks that itself).
set -eu
prog=$1
now=$2
future=$3
version=$4
future_version=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

LD_LIBRARY_PATH="$now" "$prog" "$dir/a.mlp" > "$dir/now.txt" 2> "$dir/now.err" ||
    { cat "$dir/now.err" >&2; echo "FAIL: the program failed on the library it was built with" >&2; exit 1; }
LD_LIBRARY_PATH="$future" "$prog" "$dir/b.mlp" > "$dir/future.txt" 2> "$dir/future.err" ||
    { cat "$dir/future.err" >&2; echo "FAIL: a program built against $version failed on $future_version" >&2; exit 1; }
grep -qx "runs on libmlp $version" "$dir/now.err" ||
    { cat "$dir/now.err" >&2; echo "FAIL: the first run did not load this tree's library" >&2; exit 1; }
grep -qx "runs on libmlp $future_version" "$dir/future.err" ||
    { cat "$dir/future.err" >&2; echo "FAIL: the second run did not load the grown library" >&2; exit 1; }
if ! diff -u "$dir/now.txt" "$dir/future.txt"; then
    echo "FAIL: the same program printed different results on $version and $future_version" >&2
    exit 1
fi
echo "$(wc -l < "$dir/now.txt") lines, identical on the library of this header and on one whose structs are each a field longer"
