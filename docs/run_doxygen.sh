#!/bin/sh
# Usage: run_doxygen.sh DOXYGEN DOXYFILE MANDIR
# Runs Doxygen, then keeps only the man pages named after the library's own
# symbols and modules (mlp_*, MLP_*, libmlp_*): MAN_LINKS also writes a page for
# every struct member (x.3, loss.3, n.3), names that belong to nobody.
set -eu
# a fresh run: pages of renamed or removed symbols must not linger
rm -rf "$3" "$(dirname "$3")/html"
"$1" "$2"
find "$3/man3" -name '*.3' ! -name 'mlp_*' ! -name 'MLP_*' ! -name 'libmlp_*' -exec rm -f {} +
