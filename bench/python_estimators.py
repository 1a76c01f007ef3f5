#!/usr/bin/python3
"""The Python package against scikit-learn's MLP, and its predict against the C call.

Usage: bench/python_estimators.py [--build DIR] [--seeds N] [--epochs E] [--threads T]
                                  [--dtype float64|float32]

For each data set (scikit-learn's own files: digits, 10 classes; diabetes, a
regression) and seed: a 75/25 split (stratified for classes) from the seed, then the
same network (one hidden layer of 100 relu, Adam, learning rate 0.001, batches of
min(200, n), L2 alpha 1e-4, `epochs` epochs with no early stop) trained by
mlp.MLPClassifier / MLPRegressor and by scikit-learn's, each with random_state = the
seed, in alternating order. scikit-learn is given the scaling libmlp keeps inside its
model: StandardScaler on the inputs (and, for the regression, on the targets, through
TransformedTargetRegressor), fitted outside its timing. Prints each run, then per set
the test score (accuracy, R²) as mean ± sd over the seeds and the milliseconds per
epoch (fit time / n_iter_), with the median of the seeds' time ratios.

Then the overhead of the Python layer: predict_proba of a digits classifier on 1 row
and on 10,000 rows, against mlp_net_predict on the same model and rows from C
(DIR/bench/predict_call), medians of many calls.

The rows are given to both as --dtype (default float64): each then trains in that
type (scikit-learn keeps float32 data in float32, and so does mlp). Both libraries run
on T threads (default 1): OPENBLAS_NUM_THREADS for scikit-learn's
NumPy, mlp's own setting for libmlp. DIR is a build of this repository with the
package built in place (default build-release, as bench/run makes it).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap.add_argument("--build", default=os.path.join(top, "build-release"))
ap.add_argument("--seeds", type=int, default=5)
ap.add_argument("--epochs", type=int, default=200)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--dtype", choices=("float64", "float32"), default="float64")
args = ap.parse_args()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)  # before NumPy loads OpenBLAS

sys.path.insert(0, os.path.join(os.path.abspath(args.build), "python"))
import numpy as np  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import mlp  # noqa: E402

mlp._core.set_num_threads(args.threads)
warnings.simplefilter("ignore", ConvergenceWarning)
E = args.epochs
common = dict(hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=1e-4,
              batch_size="auto", learning_rate_init=0.001, max_iter=E, tol=1e-4,
              n_iter_no_change=E + 1)


def run_set(name, X, y, classify):
    X = X.astype(args.dtype)
    rows = []
    for seed in range(args.seeds):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed,
                                              stratify=y if classify else None)
        sc = StandardScaler().fit(Xtr)
        Str, Ste = sc.transform(Xtr).astype(args.dtype), sc.transform(Xte).astype(args.dtype)
        ours = (mlp.MLPClassifier if classify else mlp.MLPRegressor)(random_state=seed,
                                                                     **common)
        if classify:
            theirs = MLPClassifier(random_state=seed, **common)
        else:
            theirs = TransformedTargetRegressor(MLPRegressor(random_state=seed, **common),
                                                transformer=StandardScaler())
        times = {}
        order = [("libmlp", ours, Xtr), ("sklearn", theirs, Str)]
        for who, est, data in (order if seed % 2 == 0 else order[::-1]):
            t = time.perf_counter()
            est.fit(data, ytr)
            times[who] = time.perf_counter() - t
        n_ours = ours.n_iter_
        n_theirs = theirs.n_iter_ if classify else theirs.regressor_.n_iter_
        row = dict(seed=seed, ours=ours.score(Xte, yte), theirs=theirs.score(Ste, yte),
                   ours_ms=1e3 * times["libmlp"] / n_ours,
                   theirs_ms=1e3 * times["sklearn"] / n_theirs, n_ours=n_ours,
                   n_theirs=n_theirs)
        print(f"{name} seed {seed}: libmlp {row['ours']:.4f} ({n_ours} epochs, "
              f"{row['ours_ms']:.3f} ms/epoch), scikit-learn {row['theirs']:.4f} "
              f"({n_theirs} epochs, {row['theirs_ms']:.3f} ms/epoch)", flush=True)
        rows.append(row)
    return rows


def mean_sd(v):
    return f"{statistics.mean(v):.4f} ± {statistics.stdev(v) if len(v) > 1 else 0:.4f}"


results = {}
X, y = load_digits(return_X_y=True)
results["digits (accuracy)"] = run_set("digits", X, y, True)
X, y = load_diabetes(return_X_y=True)
results["diabetes (R²)"] = run_set("diabetes", X, y, False)

print(f"\n{args.seeds} seeds, {E} epochs, {args.dtype}, {args.threads} thread(s), libmlp "
      f"{mlp.__version__}")
print(f"{'set':<20} {'libmlp score':>18} {'sklearn score':>18} {'libmlp ms/ep':>13} "
      f"{'sklearn ms/ep':>14} {'sklearn/libmlp time':>20}")
for name, rows in results.items():
    ratio = statistics.median(r["theirs_ms"] / r["ours_ms"] for r in rows)
    print(f"{name:<20} {mean_sd([r['ours'] for r in rows]):>18} "
          f"{mean_sd([r['theirs'] for r in rows]):>18} "
          f"{statistics.mean(r['ours_ms'] for r in rows):>13.3f} "
          f"{statistics.mean(r['theirs_ms'] for r in rows):>14.3f} {ratio:>19.1f}x")

# ---- the Python layer's overhead on predict --------------------------------------------
X, y = load_digits(return_X_y=True)
clf = mlp.MLPClassifier(random_state=0, **common).fit(X, y)
big = np.ascontiguousarray(np.resize(X, (10000, X.shape[1])))
with tempfile.TemporaryDirectory() as tmp:
    model, rows_file = os.path.join(tmp, "digits.mlp"), os.path.join(tmp, "rows.f64")
    clf.save(model)
    big.tofile(rows_file)
    print("\npredict_proba against mlp_net_predict (median seconds per call):")
    for n, reps in ((1, 20001), (10000, 201)):
        c = float(subprocess.run([os.path.join(args.build, "bench", "predict_call"), model,
                                  rows_file, str(n), str(reps), str(args.threads)],
                                 check=True,
                                 capture_output=True, text=True).stdout)
        part = big[:n]
        clf.predict_proba(part)
        t = []
        for _ in range(reps):
            t0 = time.perf_counter()
            clf.predict_proba(part)
            t.append(time.perf_counter() - t0)
        py = statistics.median(t)
        print(f"  {n:>6} rows: Python {py * 1e6:10.1f} us, C {c * 1e6:10.1f} us, "
              f"Python layer {1e6 * (py - c):8.1f} us ({py / c:.2f}x the C call)")
