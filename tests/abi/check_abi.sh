#!/bin/sh
# Usage: check_abi.sh [--write] ABIDW ABIDIFF LIBRARY HEADER_DIR ABI_DIR
# The ABI promise, checked with libabigail: the library's ABI against the baseline
# committed for its soname, ABI_DIR/<soname>.abi. Added functions and fields
# appended to a public struct are allowed (--no-added-syms and libmlp.abignore);
# any other difference fails. A new soname has no baseline yet: the test fails
# and says how to write one (--write, or `meson compile -C build abi-baseline`).
set -eu
write=0
if [ "$1" = "--write" ]; then write=1; shift; fi
abidw=$1
abidiff=$2
lib=$3
headers=$4
abidir=$5

if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "SKIP: $lib has no debug information (buildtype without -g): nothing to compare"
    exit 77
fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
test -n "$soname" || { echo "FAIL: $lib has no soname" >&2; exit 1; }
baseline="$abidir/$soname.abi"
# Locations as bare file names and no build paths: the same file from any checkout.
dump() {
    "$abidw" --headers-dir "$headers" --drop-private-types --short-locs --no-corpus-path \
        --no-comp-dir-path --out-file "$1" "$lib"
}

if [ "$write" = 1 ]; then
    dump "$baseline"
    echo "wrote $baseline"
    exit 0
fi
if [ ! -f "$baseline" ]; then
    echo "FAIL: no ABI baseline for $soname in $abidir. A new soname starts a new promise:" >&2
    echo "  meson compile -C <build> abi-baseline, then commit $baseline" >&2
    echo "  (with a CHANGELOG entry saying what broke and why)" >&2
    exit 1
fi
status=0
"$abidiff" --no-added-syms --drop-private-types --headers-dir2 "$headers" \
    --suppressions "$abidir/libmlp.abignore" "$baseline" "$lib" || status=$?
if [ "$status" -ne 0 ]; then
    echo "FAIL: abidiff exit status $status: $lib changed the ABI promised by $baseline" >&2
    echo "  (1: error, 2: usage, 4: a change, 8: an incompatible change, bits combined)." >&2
    echo "  Keep the ABI, or change the soname (meson.build's major version) and say so in CHANGELOG.md." >&2
    exit 1
fi
echo "$lib ($soname) keeps the ABI of $baseline"
