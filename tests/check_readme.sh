#!/bin/sh
# Usage: check_readme.sh README INCLUDE_DIR LIB_DIR [SANITIZE]
# Compiles every ```c block of README exactly as written against the built
# library, with warnings as errors, and runs it.
set -eu
readme=$1
incdir=$2
libdir=$3
sanitize=${4:-none}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
extra=""
if [ "$sanitize" != "none" ] && [ -n "$sanitize" ]; then extra="-fsanitize=$sanitize"; fi

awk -v dir="$dir" '
    /^```c$/ { n++; file = dir "/example" n ".c"; inside = 1; next }
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
if [ "$count" -eq 0 ]; then
    echo "FAIL: no \`\`\`c block in $readme" >&2
    exit 1
fi
echo "$count README example(s) compiled and ran"
