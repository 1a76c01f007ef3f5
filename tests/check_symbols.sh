#!/bin/sh
# Usage: check_symbols.sh NM LIBRARY HEADER...
# The library's exported functions are exactly those the headers declare with MLP_API.
set -eu
nm=$1
lib=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A function may be exported under several versions (lib/libmlp.map): one name.
"$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' |
    sort -u > "$dir/exported"
# A declaration may span lines: join the header, then take the name before "(" after
# MLP_API (the macro's own definitions are the lines that are not mlp_ names).
cat "$@" | tr '\n' ' ' | grep -o 'MLP_API [^;(]*(' | sed 's/($//; s/.*[ *]//' |
    grep '^mlp_' | sort -u > "$dir/declared"
if ! diff -u "$dir/declared" "$dir/exported"; then
    echo "FAIL: exported symbols (+) differ from MLP_API declarations (-)" >&2
    exit 1
fi
echo "$(wc -l < "$dir/exported") exported symbols, all declared with MLP_API"
