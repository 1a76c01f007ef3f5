#!/bin/sh
# Usage: check_readme.sh README INCLUDE_DIR LIB_DIR [SANITIZE [MPI_LIB_DIR]]
# Compiles every ```c block of README exactly as written against the built
# library, with warnings as errors, and runs it. A block fenced ```c mpi is a
# libmlp-mpi program: built with mpicc against MPI_LIB_DIR too and run on 2 ranks
# (left out, with a message, when libmlp-mpi or mpirun is absent).
set -eu
readme=$1
incdir=$2
libdir=$3
sanitize=${4:-none}
mpilib=${5:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
extra=""
if [ "$sanitize" != "none" ] && [ -n "$sanitize" ]; then extra="-fsanitize=$sanitize"; fi

awk -v dir="$dir" '
    /^```c$/ { n++; file = dir "/example" n ".c"; inside = 1; next }
    /^```c mpi$/ { n++; file = dir "/mpi_example" n ".c"; inside = 1; next }
    /^```/ && inside { inside = 0; close(file); next }
    inside { print > file }
' "$readme"

count=0
for src in "$dir"/example*.c; do
    [ -e "$src" ] || break
    count=$((count + 1))
    exe="${src%.c}"
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror $extra -I"$incdir" "$src" -o "$exe" -L"$libdir" -lmlp
    echo "--- $(basename "$src")"
    (cd "$dir" && LD_LIBRARY_PATH="$libdir" "$exe") # files they write land in the temp dir
done
for src in "$dir"/mpi_example*.c; do
    [ -e "$src" ] || break
    if [ -z "$mpilib" ] || ! command -v mpicc >/dev/null 2>&1 || ! command -v mpirun >/dev/null 2>&1; then
        echo "--- $(basename "$src"): left out (libmlp-mpi or mpicc/mpirun absent)"
        continue
    fi
    count=$((count + 1))
    exe="${src%.c}"
    # shellcheck disable=SC2086
    mpicc -std=c11 -Wall -Wextra -Werror $extra -I"$incdir" "$src" -o "$exe" -L"$mpilib" \
        -L"$libdir" -lmlp-mpi -lmlp
    echo "--- $(basename "$src") on 2 ranks"
    (cd "$dir" && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none \
        ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$mpilib:$libdir" \
        timeout 120 mpirun --oversubscribe -np 2 "$exe")
done
if [ "$count" -eq 0 ]; then
    echo "FAIL: no \`\`\`c block in $readme" >&2
    exit 1
fi
echo "$count README example(s) compiled and ran"
