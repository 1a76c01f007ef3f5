#!/usr/bin/python3
"""What bfloat16 prediction costs in accuracy, on public data sets, through the mlp command.

Usage: bench/bf16_accuracy.py MLP [--sets LIST] [--seeds N] [--dir DIR]
                              [-- EXTRA MLP TRAIN OPTIONS]

For each data set (bench/sklearn_compare.py's: scikit-learn's files as Debian ships them)
and seed: the rows split 80 / 20 (stratified for classes), `mlp train` on the 80 % with its
defaults (float64), then `mlp predict` of the 20 % three times: as the model is (float64),
with --precision float32 and with --precision bfloat16. Prints, per set, over the seeds:
the largest difference of a probability (classification) or of a prediction in the
target's units and relative to the target's spread (regression) from float64's, and the
test accuracy or MSE in each precision. A set bfloat16 cannot run on here is reported as
such (the command fails with the reason).
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sklearn_compare import load, write  # noqa: E402


def predict(mlp, model, data, precision):
    cmd = [mlp, "predict", model, data, "-q"] + (["--precision", precision] if precision else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    rows = list(csv.reader(r.stdout.splitlines()))
    return rows[1:], None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlp")
    ap.add_argument("--sets", default="digits,breast_cancer,diabetes")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--dir")
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args()
    work = a.dir or tempfile.mkdtemp(prefix="bf16_accuracy.")
    print("set,seed,max_prob_diff_or_abs_diff,rel_diff,score_f64,score_f32,score_bf16")
    summary = []
    for name in a.sets.split(","):
        X, y, names, target, classes = load(name)
        diffs, rels, scores = [], [], {"": [], "float32": [], "bfloat16": []}
        for seed in range(1, a.seeds + 1):
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=seed,
                                                  stratify=y if classes else None)
            train, test = (os.path.join(work, f"{name}.{seed}.{p}.csv") for p in ("train", "test"))
            model = os.path.join(work, f"{name}.{seed}.mlp")
            write(train, Xtr, ytr, names, target, classes)
            write(test, Xte, yte, names, target, classes)
            subprocess.run([a.mlp, "train", train, "--target", target, "-o", model, "--test", "0",
                            "--seed", str(seed), "-q"] + a.extra, check=True,
                           stdout=subprocess.DEVNULL)
            out = {}
            for prec in ("", "float32", "bfloat16"):
                rows, err = predict(a.mlp, model, test, prec)
                if rows is None:
                    print(f"{name}: --precision {prec}: {err}", file=sys.stderr)
                    out = None
                    break
                out[prec] = rows
            if out is None:
                summary.append((name, None))
                break
            if classes:
                p = {k: np.array([[float(v) for v in r[1:]] for r in rows]) for k, rows in out.items()}
                truth = np.array([classes[int(t)] for t in yte])
                sc = {k: float(np.mean(np.array([r[0] for r in rows]) == truth)) for k, rows in out.items()}
                d = float(np.max(np.abs(p["bfloat16"] - p[""])))
                rel = d
            else:
                p = {k: np.array([float(r[0]) for r in rows]) for k, rows in out.items()}
                sc = {k: float(np.mean((v - yte) ** 2)) for k, v in p.items()}
                d = float(np.max(np.abs(p["bfloat16"] - p[""])))
                rel = d / float(np.std(y))
            diffs.append(d), rels.append(rel)
            for k in scores:
                scores[k].append(sc[k])
            print(f"{name},{seed},{d:.4g},{rel:.4g},{sc['']:.6g},{sc['float32']:.6g},{sc['bfloat16']:.6g}",
                  flush=True)
        else:
            summary.append((name, (classes is not None, diffs, rels, scores)))
    print()
    print(f"{'set':14} {'largest diff':>13} {'/ sd(y)':>8} {'float64':>16} {'float32':>16} {'bfloat16':>16}")
    for name, r in summary:
        if r is None:
            print(f"{name:14} bfloat16 not available here")
            continue
        cls, diffs, rels, scores = r
        what = "accuracy" if cls else "MSE"
        cell = lambda v: f"{np.mean(v):.4f}±{np.std(v):.4f}" if cls else f"{np.mean(v):.1f}±{np.std(v):.1f}"
        print(f"{name:14} {max(diffs):13.4g} {max(rels) if not cls else float('nan'):8.3g} "
              f"{cell(scores['']):>16} {cell(scores['float32']):>16} {cell(scores['bfloat16']):>16}  ({what})")


if __name__ == "__main__":
    main()
