#!/bin/sh
# Usage: check_readme.sh README INCLUDE_DIR LIB_DIR [SANITIZE [MPI_LIB_DIR [MLP [SOURCE_DIR]]]]
# Compiles every ```c block of README (or of a page of docs/) exactly as written
# against the built library, with warnings as errors, and runs it where the
# repository's examples/data is at hand, as from the repository's top. A block fenced
# ```c mpi is a libmlp-mpi program: built with mpicc against MPI_LIB_DIR too and run
# on 2 ranks (left out, with a message, when libmlp-mpi or mpirun is absent). A block
# fenced ```c party calls the model README's `mlp train` and `mlp export` make: the
# script runs those two commands (MLP, the command) and compiles the block with
# party.c.
set -eu
readme=$1
incdir=$2
libdir=$3
sanitize=${4:-none}
mpilib=${5:-}
mlp=${6:-}
src=${7:-}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ -n "$src" ]; then
    mkdir -p "$dir/examples"
    ln -s "$src/examples/data" "$dir/examples/data"
fi
extra=""
if [ "$sanitize" != "none" ] && [ -n "$sanitize" ]; then extra="-fsanitize=$sanitize"; fi

awk -v dir="$dir" '
    /^```c$/ { n++; file = dir "/example" n ".c"; inside = 1; next }
    /^```c party$/ { n++; file = dir "/party_example" n ".c"; inside = 1; next }
    /^```c mpi$/ { n++; file = dir "/mpi_example" n ".c"; inside = 1; next }
    /^```/ && inside { inside = 0; close(file); next }
    inside { print > file }
' "$readme"

count=0
left=0
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
        left=$((left + 1))
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
for src_c in "$dir"/party_example*.c; do
    [ -e "$src_c" ] || break
    [ -n "$mlp" ] || { echo "FAIL: a \`\`\`c party block, and no mlp command given" >&2; exit 1; }
    count=$((count + 1))
    exe="${src_c%.c}"
    # the commands as README gives them, from the repository's top
    line=$(grep -m1 '^build/tools/mlp train examples/data/anes96.csv' "$readme")
    (cd "$dir" && LD_LIBRARY_PATH="$libdir" "$mlp" ${line#build/tools/mlp } -q > /dev/null &&
        LD_LIBRARY_PATH="$libdir" "$mlp" export party.mlp -q -o party.c)
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror $extra -I"$dir" "$src_c" "$dir/party.c" -o "$exe" -lm
    echo "--- $(basename "$src_c"), with the party model README trains and exports"
    out=$("$exe")
    echo "$out"
    echo "$out" | grep -Eq '^(Democrat|Independent|Republican) \(0\.[0-9][0-9]\)$' ||
        { echo "FAIL: $(basename "$src_c") printed $out" >&2; exit 1; }
done
if [ "$count" -eq 0 ] && [ "$left" -eq 0 ]; then
    echo "FAIL: no \`\`\`c block in $readme" >&2
    exit 1
fi
echo "$count README example(s) compiled and ran"
