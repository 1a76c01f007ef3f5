#!/bin/sh
# Usage: check_old_binding.sh PROGRAM LIB_DIR
# PROGRAM was linked against a libmlp.so.1 without symbol versions, as programs of
# libmlp 1.4 and older were; run on the library in LIB_DIR, its mlp_net_predict must
# be 1.4's (the network alone: 5 for x = 5), its mlp_net_predict_raw the model (3).
set -eu
out=$(LD_LIBRARY_PATH="$2" "$1")
[ "$out" = "predict 5 raw 3" ] || { echo "FAIL: an old program got: $out" >&2; exit 1; }
# and the reference is indeed unversioned (an old program's), bound to MLP_1.0 at run time
if command -v readelf >/dev/null 2>&1 &&
   readelf --dyn-syms -W "$1" | grep -q 'mlp_net_predict@'; then
    echo "FAIL: $1 carries a versioned reference: not a program of the old kind" >&2
    exit 1
fi
echo "an old program's mlp_net_predict runs the network alone, as in 1.4: $out"
