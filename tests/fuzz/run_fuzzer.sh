#!/bin/sh
# Usage: run_fuzzer.sh FUZZER CORPUS SECONDS
# Runs a libFuzzer binary for a bounded time from the committed corpus. New
# inputs go to a temporary directory, never into the source tree.
set -u
fuzzer=$1
corpus=$2
seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=4096 -timeout=10 \
    -print_final_stats=1 "$work/new" "$corpus" > "$work/log" 2>&1
status=$?
tail -n 40 "$work/log"
exit $status
