#!/usr/bin/env python3
"""bench/mpi's model: reads mpi_bench rows (CSV), prints the measured strong-scaling
table, calibrates a per-step model on it and projects it to 8-256 ranks.

Per step of a global batch of B rows on P ranks:
  compute(P) = 6 * sum(in*out) * B / P / R       R: one rank's GFLOP/s, measured at P = 1
  comm(P)    = 2 (P - 1) a + 2 (P - 1) / P * 8 * n_params / b
               (a ring allreduce's volume; a: latency per message, b: bandwidth)
a and b are fitted (least squares) to the measured communication times of the runs
with no more ranks than the machine has cores (more ranks share cores: their
"communication" is mostly waiting for descheduled ranks); on this machine compute
divides by min(P, cores). The fitted model's step times are set beside the measured.
The projection replaces them by a network's (stated below), without overlap of
communication and compute. Writes the projection and the measured points for gnuplot.
Usage: mpi_model.py RESULTS.csv OUTDIR
"""
import csv
import os
import sys

SUM_IN_OUT = {"mnist": 784 * 256 + 256 * 128 + 128 * 10,
              "wide": 1024 * 1024 * 3}
# (name, bandwidth bytes/s, latency s): typical cluster Ethernet / InfiniBand
NETWORKS = [("10 Gbit/s", 10e9 / 8, 25e-6), ("25 Gbit/s", 25e9 / 8, 10e-6),
            ("100 Gbit/s", 100e9 / 8, 3e-6)]
RANKS = [8, 16, 32, 64, 128, 256]
CORES = os.cpu_count() or 1


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    out = sys.argv[2]
    # medians over repeated runs, per (reducer, workload, ranks)
    cells = {}
    for r in rows:
        key = (r["reducer"], r["workload"], int(r["ranks"]))
        cells.setdefault(key, []).append(r)
    med = {}
    for key, rs in cells.items():
        med[key] = {f: median([float(r[f]) for r in rs])
                    for f in ("step_ms", "compute_ms", "comm_ms", "bytes_per_step")}
        med[key]["batch"] = int(rs[0]["batch"])
        med[key]["params"] = int(rs[0]["params"])
        med[key]["runs"] = len(rs)
    workloads = sorted({k[1] for k in med})
    ranks = sorted({k[2] for k in med})

    print("Measured (median of runs), ms per step of the global batch; efficiency = "
          "T(1) / (P T(P)):")
    print()
    print("| network | reducer | ranks | step | compute | communication | efficiency |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for w in workloads:
        for red in ("fixed_order", "mpi_allreduce", "overlap"):
            t1 = med.get((red, w, 1), {}).get("step_ms")
            for p in ranks:
                m = med.get((red, w, p))
                if m is None:
                    continue
                eff = t1 / (p * m["step_ms"]) if t1 else float("nan")
                print(f"| {w} | {red} | {p} | {m['step_ms']:.2f} | {m['compute_ms']:.2f} | "
                      f"{m['comm_ms']:.2f} | {eff:.0%} |")

    # calibrate: per-rank rate at P = 1, a and b from the fixed-order comm at P > 1
    rate = {}
    for w in workloads:
        m = med[("fixed_order", w, 1)]
        rate[w] = 6 * SUM_IN_OUT[w] * m["batch"] / (m["compute_ms"] * 1e-3) / 1e9
    pts = [(2 * (p - 1), 2 * (p - 1) / p * 8 * med[("fixed_order", w, p)]["params"],
            med[("fixed_order", w, p)]["comm_ms"] * 1e-3)
           for w in workloads for p in ranks
           if 1 < p <= CORES and ("fixed_order", w, p) in med]
    # least squares for t = a x + y / b (unknowns a and c = 1/b)
    sxx = sum(x * x for x, _, _ in pts)
    sxy = sum(x * y for x, y, _ in pts)
    syy = sum(y * y for _, y, _ in pts)
    sxt = sum(x * t for x, _, t in pts)
    syt = sum(y * t for _, y, t in pts)
    det = sxx * syy - sxy * sxy
    a = (sxt * syy - syt * sxy) / det if det else 0.0
    c = (sxx * syt - sxy * sxt) / det if det else 0.0
    if a < 0:  # latency lost in the noise: bandwidth alone
        a, c = 0.0, syt / syy
    print()
    print("Calibration: one rank computes at " +
          ", ".join(f"{w} {rate[w]:.1f} GFLOP/s" for w in workloads) +
          f"; this machine's ranks exchange at {1 / c / 1e9:.2f} GB/s with "
          f"{a * 1e6:.0f} us per message (fitted to the {len(pts)} runs of 2 to {CORES} ranks; "
          f"{CORES} cores)")
    print()
    print("| network | ranks | measured step | model step | model / measured |")
    print("|---|---:|---:|---:|---:|")
    for w in workloads:
        for p in ranks:
            m = med.get(("fixed_order", w, p))
            if m is None:
                continue
            comp = 6 * SUM_IN_OUT[w] * m["batch"] / min(p, CORES) / (rate[w] * 1e9)
            comm = 2 * (p - 1) * a + 2 * (p - 1) / p * 8 * m["params"] * c if p > 1 else 0
            model = (comp + comm) * 1e3
            print(f"| {w} | {p} | {m['step_ms']:.2f} | {model:.2f} | "
                  f"{model / m['step_ms']:.2f} |")

    # projection
    print()
    print("Projection (no overlap; one rank's measured rate; global batch as measured, "
          "and the smallest global batch that keeps efficiency >= 80 %):")
    print()
    print("| network | link | ranks | compute ms | comm ms | efficiency | batch for 80 % |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with open(f"{out}/mpi_projection.dat", "w") as dat:
        for w in workloads:
            batch = med[("fixed_order", w, 1)]["batch"]
            params = med[("fixed_order", w, 1)]["params"]
            for name, bw, lat in NETWORKS:
                dat.write(f"# {w} {name}\n")
                for p in [1, 2, 4] + RANKS:
                    comp = 6 * SUM_IN_OUT[w] * batch / p / (rate[w] * 1e9)
                    comm = 2 * (p - 1) * lat + 2 * (p - 1) / p * 8 * params / bw
                    eff = comp / (comp + comm)
                    # compute >= 4 comm  <=>  B >= 4 comm P R / (6 sum)
                    b80 = 4 * comm * p * rate[w] * 1e9 / (6 * SUM_IN_OUT[w])
                    dat.write(f"{p} {eff:.4f} {b80:.0f}\n")
                    if p in RANKS:
                        print(f"| {w} | {name} | {p} | {comp * 1e3:.2f} | {comm * 1e3:.2f} | "
                              f"{eff:.0%} | {b80:,.0f} |")
                dat.write("\n\n")
    with open(f"{out}/mpi_measured.dat", "w") as dat:
        for w in workloads:
            dat.write(f"# {w} measured\n")
            t1 = med[("fixed_order", w, 1)]["step_ms"]
            for p in ranks:
                m = med.get(("fixed_order", w, p))
                if m:
                    dat.write(f"{p} {t1 / (p * m['step_ms']):.4f}\n")
            dat.write("\n\n")


if __name__ == "__main__":
    main()
