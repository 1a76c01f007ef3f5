#!/usr/bin/python3
"""The mlp command's defaults against scikit-learn's on public data sets.

Usage: bench/sklearn_compare.py MLP [--sets LIST] [--seeds N] [--hidden H] [--dir DIR]
                                [-- EXTRA MLP TRAIN OPTIONS]

For each data set and seed: a split of the rows, 80 % to train and 20 % to test
(stratified by class for classifications), written as two CSV files with a header and
the class labels as text; then, on the same rows,
  mlp train TRAIN.csv --target T --hidden H --test-file TEST.csv --seed S [EXTRA]
against scikit-learn's StandardScaler + MLPClassifier / MLPRegressor(hidden_layer_sizes
=(H,), random_state=S), every other setting left at its default. Prints one CSV line a
run and a table of means (accuracy, or MSE in the target's units), with the mean of the
paired differences and the seconds each took.

Data sets (scikit-learn's own files, as Debian's python3-sklearn ships them):
  digits         1,797 rows, 64 pixels, 10 classes (named zero ... nine)
  breast_cancer  569 rows, 30 measurements, malignant / benign
  diabetes       442 rows, 10 inputs unscaled (age in years, ...), disease progression
  wine           178 rows, 13 measurements, 3 cultivars
  iris           150 rows, 4 measurements, 3 species
and two the repository ships (examples/data):
  anes96         944 rows, 8 answers, 3 parties
  macrodata      203 quarters, 11 series, real private investment
and two of statsmodels' (Debian's python3-statsmodels):
  fair           6,366 rows, 8 answers, an affair or not (1974 survey)
  randhie        20,190 rows, 9 inputs, medical visits (RAND health insurance study)
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import warnings
from sklearn.exceptions import ConvergenceWarning

DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def load(name):
    """(X, y, input names, target name, class names or None)"""
    if name == "digits":
        d = datasets.load_digits()
        return d.data, d.target, ["p%d" % i for i in range(64)], "digit", DIGITS
    if name == "breast_cancer":
        d = datasets.load_breast_cancer()
        return d.data, d.target, list(d.feature_names), "diagnosis", list(d.target_names)
    if name == "diabetes":
        d = datasets.load_diabetes(scaled=False)
        return d.data, d.target, list(d.feature_names), "progression", None
    if name == "wine":
        d = datasets.load_wine()
        return d.data, d.target, list(d.feature_names), "cultivar", list(d.target_names)
    if name == "iris":
        d = datasets.load_iris()
        return d.data, d.target, [n.replace(" (cm)", "") for n in d.feature_names], "species", list(d.target_names)
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data")
    if name == "anes96":  # the 1996 American National Election Study, as statsmodels has it
        rows = list(csv.reader(open(os.path.join(here, "anes96.csv"))))
        labels = sorted({r[-1] for r in rows[1:]})
        X = np.array([[float(v) for v in r[:-1]] for r in rows[1:]])
        y = np.array([labels.index(r[-1]) for r in rows[1:]])
        return X, y, rows[0][:-1], "party", labels
    if name == "macrodata":  # US quarterly series 1959-2009: real investment from the others
        rows = list(csv.reader(open(os.path.join(here, "macrodata.csv"))))
        head = rows[0]
        t = head.index("realinv")
        keep = [i for i in range(len(head)) if i not in (0, 1, t)]
        X = np.array([[float(r[i]) for i in keep] for r in rows[1:]])
        y = np.array([float(r[t]) for r in rows[1:]])
        return X, y, [head[i] for i in keep], "realinv", None
    sm = "/usr/lib/python3/dist-packages/statsmodels/datasets"  # Debian's python3-statsmodels
    if name == "fair":  # 6,366 women surveyed in 1974: did they have an affair
        rows = list(csv.reader(open(os.path.join(sm, "fair", "fair.csv"))))
        X = np.array([[float(v) for v in r[:-1]] for r in rows[1:]])
        y = np.array([int(float(r[-1]) > 0) for r in rows[1:]])
        return X, y, rows[0][:-1], "affair", ["no", "yes"]
    if name == "randhie":  # RAND health insurance experiment: medical visits, 20,190 rows
        rows = list(csv.reader(open(os.path.join(sm, "randhie", "randhie.csv"))))
        X = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
        y = np.array([float(r[0]) for r in rows[1:]])
        return X, y, rows[0][1:], "mdvis", None
    raise SystemExit("unknown data set " + name)


def write(path, X, y, names, target, classes):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + [target])
        for row, t in zip(X, y):
            w.writerow(["%.10g" % v for v in row] + [classes[int(t)] if classes else "%.10g" % t])


def mlp_score(out, classes):
    """The test file's score from mlp's output: accuracy, or MSE."""
    for line in out.splitlines():
        if classes and line.startswith("accuracy "):
            return float(line.split()[1])
        if not classes and line.startswith("MSE "):
            return float(line.split()[1])
    raise SystemExit("no score in mlp's output:\n" + out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlp")
    ap.add_argument("--sets", default="digits,breast_cancer,diabetes")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--dir")
    ap.add_argument("--sklearn-cache", help="a JSON file keeping scikit-learn's scores between runs")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:cut])
    a.extra = argv[cut + 1:]
    warnings.simplefilter("ignore", ConvergenceWarning)
    tmp = a.dir or tempfile.mkdtemp(prefix="mlp_vs_sklearn_")
    cache = {}
    if a.sklearn_cache and os.path.exists(a.sklearn_cache):
        cache = json.load(open(a.sklearn_cache))
    print("set,seed,metric,mlp,sklearn,mlp_s,sklearn_s")
    rows = []
    for name in a.sets.split(","):
        X, y, names, target, classes = load(name)
        for seed in range(1, a.seeds + 1):
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=seed,
                                                  stratify=y if classes else None)
            train = os.path.join(tmp, "%s_%d_train.csv" % (name, seed))
            test = os.path.join(tmp, "%s_%d_test.csv" % (name, seed))
            write(train, Xtr, ytr, names, target, classes)
            write(test, Xte, yte, names, target, classes)
            cmd = [a.mlp, "train", train, "--target", target, "--hidden", str(a.hidden),
                   "--test-file", test, "--seed", str(seed), "-q",
                   "-o", os.path.join(tmp, "model.mlp")] + a.extra
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True)
            t_mlp = time.perf_counter() - t0
            if p.returncode != 0:
                raise SystemExit("%s failed:\n%s" % (" ".join(cmd), p.stderr))
            m = mlp_score(p.stdout, classes)
            key = "%s/%d/%d" % (name, seed, a.hidden)
            if key in cache:
                s, t_sk = cache[key]
            else:
                if classes:
                    est = MLPClassifier(hidden_layer_sizes=(a.hidden,), random_state=seed)
                else:
                    est = MLPRegressor(hidden_layer_sizes=(a.hidden,), random_state=seed)
                t0 = time.perf_counter()
                pipe = make_pipeline(StandardScaler(), est).fit(Xtr, ytr)
                pred = pipe.predict(Xte)
                t_sk = time.perf_counter() - t0
                s = float(np.mean(pred == yte)) if classes else float(np.mean((pred - yte) ** 2))
                cache[key] = (s, t_sk)
            metric = "accuracy" if classes else "mse"
            print("%s,%d,%s,%.6g,%.6g,%.3f,%.3f" % (name, seed, metric, m, s, t_mlp, t_sk))
            sys.stdout.flush()
            rows.append((name, metric, m, s, t_mlp, t_sk))
    if a.sklearn_cache:
        json.dump(cache, open(a.sklearn_cache, "w"))
    print()
    print("| data | metric | mlp (mean ± sd) | scikit-learn | mlp − sklearn (paired) | mlp s | sklearn s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in a.sets.split(","):
        r = [x for x in rows if x[0] == name]
        m = np.array([x[2] for x in r])
        s = np.array([x[3] for x in r])
        d = m - s
        print("| %s | %s | %.4g ± %.2g | %.4g ± %.2g | %+.3g ± %.2g | %.2f | %.2f |" % (
            name, r[0][1], m.mean(), m.std(ddof=1), s.mean(), s.std(ddof=1), d.mean(),
            d.std(ddof=1), np.mean([x[4] for x in r]), np.mean([x[5] for x in r])))


if __name__ == "__main__":
    main()
