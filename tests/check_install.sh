#!/bin/sh
# Usage: check_install.sh MODE BUILD_DIR APP_SOURCE [SANITIZE]
# Installs the build into a temporary root, then uses it from outside the tree:
#   pkgconfig  cc app.c $(pkg-config --cflags --libs mlp), run against libmlp.so
#   static     the same program linked with libmlp.a and pkg-config --static
#   cmake      find_package(mlp) and target_link_libraries(app mlp::mlp)
#   files      the LICENSE, the examples, and (when Doxygen built them) the man pages
# A mode whose tool is missing exits 77, which meson reports as skipped.
set -eu
mode=$1
build=$2
app=$3
sanitize=${4:-none}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

meson install -C "$build" --destdir "$dir/root" --no-rebuild --quiet >/dev/null

pc=$(find "$dir/root" -name mlp.pc | head -n 1)
test -n "$pc" || { echo "FAIL: mlp.pc was not installed" >&2; exit 1; }
test -n "$(find "$dir/root" -name mlp.h)" || { echo "FAIL: mlp.h was not installed" >&2; exit 1; }
pcdir=$(dirname "$pc")
prefix=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=prefix mlp)
root="$dir/root$prefix"
# The .pc names the final prefix; point it at the temporary root instead.
pcq() { PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$root" "$@" mlp; }
libdir=$(pcq --variable=libdir)
extra=""
if [ "$sanitize" != "none" ] && [ -n "$sanitize" ]; then
    extra="-fsanitize=$sanitize"   # an instrumented library needs an instrumented program
fi

# The tutorial's first network prints 9; the program also names the version it ran.
expect_nine() {
    case "$1" in
        *": 9") ;;
        *) echo "FAIL: expected the tutorial's 9, got: $1" >&2; exit 1 ;;
    esac
}

case "$mode" in
pkgconfig)
    flags=$(pcq --cflags --libs)
    # shellcheck disable=SC2086  # flags are words by design
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror $extra "$app" -o "$dir/app" $flags
    out=$(LD_LIBRARY_PATH="$libdir" "$dir/app")
    expect_nine "$out"
    LD_LIBRARY_PATH="$libdir" ldd "$dir/app" | grep -q "$libdir/libmlp.so.1" ||
        { echo "FAIL: the program did not load the installed libmlp.so.1" >&2; exit 1; }
    echo "$out; installed under $prefix and linked with: $flags"
    ;;
static)
    test -f "$libdir/libmlp.a" || { echo "SKIP: no libmlp.a (default_library=shared)"; exit 77; }
    # libmlp.a by name (the linker would take the .so), everything else from --static
    flags=$(pcq --static --libs | sed 's/-lmlp\( \|$\)/ /')
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror $extra $(pcq --cflags) "$app" -o "$dir/app" \
        "$libdir/libmlp.a" $flags
    out=$("$dir/app")
    expect_nine "$out"
    if ldd "$dir/app" | grep -q libmlp; then
        echo "FAIL: the static program still loads a libmlp" >&2
        exit 1
    fi
    echo "$out; linked statically with libmlp.a $flags"
    ;;
cmake)
    command -v cmake >/dev/null 2>&1 || { echo "SKIP: cmake is not installed"; exit 77; }
    mkdir "$dir/src"
    cp "$app" "$dir/src/app.c"
    cp "$(dirname "$app")/CMakeLists.txt" "$dir/src/"
    cmake -S "$dir/src" -B "$dir/cmake" -DCMAKE_PREFIX_PATH="$root" \
        -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $extra" -DCMAKE_BUILD_TYPE=Release >"$dir/log" 2>&1 ||
        { cat "$dir/log" >&2; echo "FAIL: find_package(mlp) did not configure" >&2; exit 1; }
    cmake --build "$dir/cmake" >>"$dir/log" 2>&1 ||
        { cat "$dir/log" >&2; echo "FAIL: the CMake consumer did not build" >&2; exit 1; }
    out=$(LD_LIBRARY_PATH="$libdir" "$dir/cmake/app")
    expect_nine "$out"
    # a major version this library is not must be refused
    mkdir "$dir/src2"
    printf '%s\n' 'cmake_minimum_required(VERSION 3.13)' 'project(mlp_next C)' \
        'find_package(mlp 2.0 QUIET)' 'if(mlp_FOUND)' '  message(FATAL_ERROR "accepted")' \
        'endif()' > "$dir/src2/CMakeLists.txt"
    cmake -S "$dir/src2" -B "$dir/cmake2" -DCMAKE_PREFIX_PATH="$root" >>"$dir/log" 2>&1 ||
        { cat "$dir/log" >&2; echo "FAIL: find_package(mlp 2.0) accepted libmlp 1" >&2; exit 1; }
    echo "$out; built by CMake with find_package(mlp) and mlp::mlp"
    ;;
files)
    doc="$root/share/doc/libmlp"
    for f in LICENSE README.md CHANGELOG.md examples/tutorial.c examples/train_tutorial.c \
             examples/classify.c; do
        test -f "$doc/$f" || { echo "FAIL: $doc/$f was not installed" >&2; exit 1; }
    done
    if [ -d "$build/docs/man" ]; then
        page="$root/share/man/man3/mlp_net_predict.3"
        test -f "$page" || { echo "FAIL: no man page $page" >&2; exit 1; }
        test -f "$doc/html/index.html" || { echo "FAIL: no HTML reference" >&2; exit 1; }
        if command -v man >/dev/null 2>&1; then
            man -M "$root/share/man" -P cat mlp_net_predict 2>/dev/null | grep -q "Predict a batch" ||
                { echo "FAIL: man mlp_net_predict does not show its documentation" >&2; exit 1; }
        fi
        echo "man pages: $(ls "$root/share/man/man3" | wc -l) under share/man/man3"
    fi
    # an installed example, built against the installed library, finds its data where
    # it is run from, as from the repository's top
    flags=$(pcq --cflags --libs)
    # shellcheck disable=SC2086
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror $extra "$doc/examples/from_csv.c" -o "$dir/from_csv" $flags
    (cd "$doc" && LD_LIBRARY_PATH="$libdir" "$dir/from_csv" > "$dir/from_csv.txt") ||
        { echo "FAIL: the installed from_csv did not run from $doc" >&2; exit 1; }
    grep -q "^test accuracy" "$dir/from_csv.txt" || { echo "FAIL: from_csv: $(cat "$dir/from_csv.txt")" >&2; exit 1; }
    echo "installed: LICENSE, README.md, CHANGELOG.md, examples under $doc (from_csv runs there)"
    ;;
*)
    echo "usage: check_install.sh pkgconfig|static|cmake|files BUILD_DIR APP [SANITIZE]" >&2
    exit 2
    ;;
esac
