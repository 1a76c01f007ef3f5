#!/usr/bin/python3
"""libmlp's second-order and first-order training beside scikit-learn's MLP on the
same small data, the same network and the same thread count.

Usage: bench/sklearn_small_data.py [SEEDS]   (after a release build: bench/run builds one)

Runs build-release/bench/mlp_small_data_runs (which writes the exact rows it trains
on), then scikit-learn on those rows: MLPRegressor / MLPClassifier with
solver='lbfgs' (max_iter 200, alpha 0: no L2, as libmlp's runs) and solver='adam'
with early stopping on 20 % of the training rows. Prints mean and standard
deviation over the seeds of the test score (MSE on the standardized target for
the macro data, accuracy for the spirals) and of the wall time. Needs
python3-sklearn. Set OPENBLAS_NUM_THREADS (and OPENBLAS_CORETYPE) for both sides."""
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
runs = os.path.join(top, "build-release", "bench", "mlp_small_data_runs")
warnings.simplefilter("ignore", ConvergenceWarning)

with tempfile.TemporaryDirectory() as d:
    out = subprocess.run([runs, os.path.join(top, "examples", "data", "macrodata.csv"), d,
                          str(seeds)], check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(out.splitlines()))
    data = {}
    for name, n_in in (("macro", 11), ("spirals", 2)):
        tr = np.loadtxt(os.path.join(d, name + "_train.csv"), delimiter=",")
        te = np.loadtxt(os.path.join(d, name + "_test.csv"), delimiter=",")
        data[name] = (tr[:, :n_in], tr[:, n_in:], te[:, :n_in], te[:, n_in:])

results = {}
for r in rows:
    results.setdefault((r["task"], "libmlp " + r["method"]), []).append(
        (float(r["test_score"]), float(r["wall_ms"]), int(r["iterations"])))

def sk(task, label, make):
    x, y, xt, yt = data[task]
    for seed in range(1, seeds + 1):
        m = make(seed)
        t0 = time.perf_counter()
        if task == "macro":
            m.fit(x, y.ravel())
            score = float(np.mean((m.predict(xt) - yt.ravel()) ** 2))
        else:
            m.fit(x, y.argmax(1))
            score = float(np.mean(m.predict(xt) == yt.argmax(1)))
        wall = 1e3 * (time.perf_counter() - t0)
        results.setdefault((task, "sklearn " + label), []).append((score, wall, m.n_iter_))

sk("macro", "lbfgs", lambda s: MLPRegressor((8,), activation="tanh", solver="lbfgs", alpha=0.0,
                                            max_iter=200, random_state=s))
sk("macro", "adam_es", lambda s: MLPRegressor((8,), activation="tanh", solver="adam", alpha=0.0,
                                              batch_size=16, learning_rate_init=0.003,
                                              max_iter=5000, early_stopping=True,
                                              validation_fraction=0.2, n_iter_no_change=100,
                                              random_state=s))
sk("spirals", "lbfgs", lambda s: MLPClassifier((32, 32), activation="tanh", solver="lbfgs",
                                               alpha=0.0, max_iter=200, random_state=s))
sk("spirals", "adam_es", lambda s: MLPClassifier((32, 32), activation="tanh", solver="adam",
                                                 alpha=0.0, batch_size=32, learning_rate_init=0.01,
                                                 max_iter=1000, early_stopping=True,
                                                 validation_fraction=0.2, n_iter_no_change=100,
                                                 random_state=s))

print(f"{seeds} seeds; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
      f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
print("| task | run | test score (mean ± sd) | iterations (mean) | wall ms (mean) |")
print("| --- | --- | ---: | ---: | ---: |")
for (task, label), v in sorted(results.items()):
    sc = [a for a, _, _ in v]
    sd = statistics.stdev(sc) if len(sc) > 1 else 0.0
    unit = "MSE" if task == "macro" else "accuracy"
    print(f"| {task} | {label} | {unit} {statistics.mean(sc):.4f} ± {sd:.4f} | "
          f"{statistics.mean(i for _, _, i in v):.0f} | {statistics.mean(w for _, w, _ in v):.1f} |")
