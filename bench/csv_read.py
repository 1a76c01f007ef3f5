#!/usr/bin/python3
"""Reading a large numeric CSV file: libmlp's mlp_table_read_csv against pandas.read_csv.

Usage: bench/csv_read.py MLP_BENCH_CSV [--gigabytes G] [--rounds R] [--file PATH]

Writes (once) a file of about G gigabytes (default 1): a header, then rows of 20
inputs and a target, random normals printed with 9 significant digits, as numpy's
savetxt does. Then reads it R times (default 3) with each reader in turn, alternating
so that the machine's drift reaches both alike: `mlp_bench_csv FILE` (the library's
reader with the task detected, and with --task regression) and pandas.read_csv(FILE)
with its defaults (the C engine). Prints each time and the medians. Every reader holds
the whole table in memory at the end, as a program would. Pandas comes from Debian's
python3-pandas."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def write(path, gigabytes):
    rng = np.random.default_rng(1)
    d = 20
    with open(path, "w") as f:
        f.write(",".join("x%d" % i for i in range(d)) + ",y\n")
        while f.tell() < gigabytes * 1e9:
            np.savetxt(f, rng.normal(size=(100000, d + 1)), fmt="%.9g", delimiter=",")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlp_bench_csv")
    ap.add_argument("--gigabytes", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--file")
    a = ap.parse_args()
    import pandas as pd
    path = a.file or os.path.join(tempfile.gettempdir(), "mlp_csv_%gG.csv" % a.gigabytes)
    if not os.path.exists(path):
        print("writing %s ..." % path, file=sys.stderr)
        write(path, a.gigabytes)
    size = os.path.getsize(path)
    print("file: %s, %.2f GB" % (path, size / 1e9))
    times = {"libmlp (task detected)": [], "libmlp (regression)": [], "pandas.read_csv": []}
    rows = None
    for r in range(a.rounds):
        for name in times:
            if name == "pandas.read_csv":
                t0 = time.perf_counter()
                df = pd.read_csv(path)
                t = time.perf_counter() - t0
                rows = len(df)
                del df
            else:
                cmd = [a.mlp_bench_csv, path] + (["--task", "regression"] if "regression" in name else [])
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                n, _, t = out.strip().split(",")
                t = float(t)
                if rows is not None and int(n) != rows:
                    raise SystemExit("%s read %s rows, pandas %d" % (name, n, rows))
            times[name].append(t)
            print("round %d  %-24s %7.2f s  %6.1f MB/s" % (r + 1, name, t, size / t / 1e6))
            sys.stdout.flush()
    print()
    base = statistics.median(times["pandas.read_csv"])
    for name, ts in times.items():
        m = statistics.median(ts)
        print("%-24s median %7.2f s  %6.1f MB/s  %.2fx pandas' time" % (name, m, size / m / 1e6, m / base))


if __name__ == "__main__":
    main()
