#!/bin/sh
# Usage: check_output.sh PROGRAM EXPECTED
# Runs PROGRAM in a temporary directory and compares its standard output with
# EXPECTED, leaving out the lines that name files it wrote (they depend on the
# directory and on whether gnuplot is installed).
set -eu
prog=$1
expected=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$prog" "$dir" > "$dir/out.txt"
grep -v -e '^wrote ' -e '^gnuplot is not installed' "$dir/out.txt" > "$dir/got.txt" || true
if ! diff -u "$expected" "$dir/got.txt"; then
    echo "FAIL: output differs from $expected" >&2
    exit 1
fi
test -s "$dir/mse_history.csv" || { echo "FAIL: no mse_history.csv" >&2; exit 1; }
test "$(wc -l < "$dir/mse_history.csv")" -eq 21 || { echo "FAIL: csv is not 20 rows" >&2; exit 1; }
echo "tutorial output matches $expected"
