#!/bin/sh
# Usage: run.sh MAKE_MODELS PROGRAM [ARG]...
# The models of make_models in a new folder, then PROGRAM ARG... FOLDER on them; the
# folder goes after. A PROGRAM that is not installed skips the test (exit 77).
set -eu
make=$1
shift
if ! command -v "$1" > /dev/null 2>&1; then
    echo "skipped: $1 is not installed"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$make" "$dir"
"$@" "$dir"
