#!/bin/sh
# Usage: check_install.sh BUILD_DIR APP_SOURCE [SANITIZE]
# Installs the build into a temporary root, then builds APP_SOURCE the way a
# user would, with `cc app.c $(pkg-config --cflags --libs mlp)`, runs it, and
# checks that it ran against the installed library.
set -eu
build=$1
app=$2
sanitize=${3:-none}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

meson install -C "$build" --destdir "$dir/root" --no-rebuild --quiet >/dev/null

pc=$(find "$dir/root" -name mlp.pc | head -n 1)
test -n "$pc" || { echo "FAIL: mlp.pc was not installed" >&2; exit 1; }
test -n "$(find "$dir/root" -name mlp.h)" || { echo "FAIL: mlp.h was not installed" >&2; exit 1; }
pcdir=$(dirname "$pc")
prefix=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=prefix mlp)
# The .pc names the final prefix; point it at the temporary root instead.
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$dir/root$prefix" \
        --cflags --libs mlp)
libdir=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$dir/root$prefix" \
        --variable=libdir mlp)
extra=""
if [ "$sanitize" != "none" ] && [ -n "$sanitize" ]; then
    extra="-fsanitize=$sanitize"   # an instrumented library needs an instrumented program
fi

# shellcheck disable=SC2086  # flags are words by design
${CC:-cc} -std=c11 -Wall -Wextra -Werror $extra "$app" -o "$dir/app" $flags

out=$(LD_LIBRARY_PATH="$libdir" "$dir/app")
echo "$out"
case "$out" in
    *": 9") ;;
    *) echo "FAIL: expected the tutorial's 9, got: $out" >&2; exit 1 ;;
esac
if command -v ldd >/dev/null 2>&1; then
    LD_LIBRARY_PATH="$libdir" ldd "$dir/app" | grep -q "$libdir/libmlp.so" ||
        { echo "FAIL: the program did not load the installed libmlp" >&2; exit 1; }
fi
echo "installed under $prefix and linked with: $flags"
