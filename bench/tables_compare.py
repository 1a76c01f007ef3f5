#!/usr/bin/python3
"""The mlp command on tables with text columns and empty cells, against scikit-learn.

Usage: bench/tables_compare.py MLP [--sets LIST] [--seeds N] [--hidden H] [--dir DIR]
                               [-- EXTRA MLP TRAIN OPTIONS]

For each table and seed: a split of the rows, 80 % to train and 20 % to test (stratified
by class for classifications), written as two CSV files as the table has them (text as
text, missing cells empty); then, on the same rows,
  mlp train TRAIN.csv --target T --hidden H --test-file TEST.csv --seed S [EXTRA]
against scikit-learn 1.2's pipeline for such tables: a ColumnTransformer of
SimpleImputer(median) + StandardScaler for the number columns and
SimpleImputer(most_frequent) + OneHotEncoder(handle_unknown='ignore') for the text
columns, then MLPClassifier / MLPRegressor(hidden_layer_sizes=(H,), random_state=S),
every other setting at its default; for classes also LogisticRegression(class_weight=
'balanced', max_iter=1000) in the same pipeline; for regressions also the MLPRegressor
with its target standardized (TransformedTargetRegressor), which scikit-learn's MLP
does not do by itself and libmlp's command does. Prints one CSV line a run and the means:
accuracy and balanced accuracy, or MSE in the target's units.

The tables come from Debian packages of R data (apt-get install r-cran-palmerpenguins
r-cran-modeldata), written to CSV by Rscript:
  penguins     344 penguins: island, sex (text, some missing), 4 measurements (2 rows
               missing), year; species (3 classes)
  credit       modeldata::credit_data, 4,454 loans: home, marital, records, job (text,
               some missing), 9 numbers (some missing); status good / bad (72 / 28 %)
  attrition    modeldata::attrition, 1,470 employees: 15 text columns, 15 numbers;
               attrition yes / no (16 / 84 %)
  churn        modeldata::mlc_churn, 5,000 phone customers: state (51), area code,
               two plans (text), 15 numbers; churn yes / no (14 / 86 %)
  sacramento   modeldata::Sacramento, 932 house sales: city (37), zip (68), type (text),
               beds, baths, sqft, latitude, longitude; price (regression)
  ames         modeldata::ames, 2,930 house sales: 40 text columns, 33 numbers; the
               sale price (regression)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# name: (R expression giving the data frame, target, classification)
TABLES = {
    "penguins": ("palmerpenguins::penguins", "species", True),
    "credit": ("modeldata::credit_data", "Status", True),
    "attrition": ("modeldata::attrition", "Attrition", True),
    "churn": ("modeldata::mlc_churn", "churn", True),
    "sacramento": ("modeldata::Sacramento", "price", False),
    "ames": ("modeldata::ames", "Sale_Price", False),
}
# imbalanced tables (a class under a third of the rows): libmlp is also run with
# --class-weight balanced, the one option the comparison allows beside --hidden
IMBALANCED = {"credit", "attrition", "churn"}


def export(name, where):
    """The table as CSV (R's factors as their labels, NA as an empty cell)."""
    path = os.path.join(where, name + ".csv")
    if not os.path.exists(path):
        expr = TABLES[name][0]
        code = ('d <- as.data.frame(%s); for (c in names(d)) if (is.factor(d[[c]])) '
                'd[[c]] <- as.character(d[[c]]); write.csv(d, "%s", row.names = FALSE, '
                'na = "")' % (expr, path))
        subprocess.run(["Rscript", "-e", code], check=True, capture_output=True)
    return path


def pipeline(frame, model):
    text = [c for c in frame.columns if frame[c].dtype == object]
    numbers = [c for c in frame.columns if c not in text]
    return make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore")), text)]),
        model)


def mlp_scores(mlp, train, test, target, hidden, seed, extra):
    out = subprocess.run([mlp, "train", train, "--target", target, "--hidden", str(hidden),
                          "--test-file", test, "--seed", str(seed), "-q", "-o",
                          train + ".mlp"] + extra,
                         check=True, capture_output=True, text=True).stdout
    tail = out[out.rindex(os.path.basename(test)):]
    m = re.search(r"accuracy ([0-9.]+) .*balanced accuracy ([0-9.]+)", tail)
    if m:
        return float(m.group(1)), float(m.group(2))
    return float(re.search(r"MSE ([0-9.e+-]+)", tail).group(1)), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlp")
    ap.add_argument("--sets", default=",".join(TABLES))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--dir", default=None)
    argv = sys.argv[1:]  # what follows "--" goes to mlp train as it is
    cut = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:cut])
    a.extra = argv[cut + 1:]
    where = a.dir or tempfile.mkdtemp()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("set,seed,who,accuracy_or_mse,balanced_accuracy,seconds")
    summary = []
    for name in a.sets.split(","):
        expr, target, cls = TABLES[name]
        frame = pd.read_csv(export(name, where), keep_default_na=False, na_values=[""])
        frame = frame[frame[target].notna()]
        rows = {"libmlp": [], "libmlp --class-weight balanced": [], "sklearn MLP": [],
                "sklearn logistic (balanced)": [], "sklearn MLP, target scaled": []}
        for seed in range(1, a.seeds + 1):
            tr, te = train_test_split(frame, test_size=0.2, random_state=seed,
                                      stratify=frame[target] if cls else None)
            ptr, pte = (os.path.join(where, "%s_%d_%s.csv" % (name, seed, w)) for w in ("train", "test"))
            tr.to_csv(ptr, index=False)
            te.to_csv(pte, index=False)
            runs = [("libmlp", a.extra)]
            if name in IMBALANCED:
                runs.append(("libmlp --class-weight balanced",
                             a.extra + ["--class-weight", "balanced"]))
            for who, extra in runs:
                t0 = time.time()
                s, b = mlp_scores(a.mlp, ptr, pte, target, a.hidden, seed, extra)
                rows[who].append((s, b))
                print("%s,%d,%s,%.6g,%s,%.2f" % (name, seed, who, s,
                                                  "" if b is None else "%.4f" % b,
                                                  time.time() - t0), flush=True)
            X, y = tr.drop(columns=[target]), tr[target]
            Xt, yt = te.drop(columns=[target]), te[target]
            models = [("sklearn MLP", (MLPClassifier if cls else MLPRegressor)(
                hidden_layer_sizes=(a.hidden,), random_state=seed))]
            if cls:
                models.append(("sklearn logistic (balanced)",
                               LogisticRegression(class_weight="balanced", max_iter=1000)))
            else: # scikit-learn's MLP does not scale the target: in this row it does
                models.append(("sklearn MLP, target scaled", TransformedTargetRegressor(
                    MLPRegressor(hidden_layer_sizes=(a.hidden,), random_state=seed),
                    transformer=StandardScaler())))
            for who, model in models:
                t0 = time.time()
                p = pipeline(X, model).fit(X, y).predict(Xt)
                if cls:
                    s, b = accuracy_score(yt, p), balanced_accuracy_score(yt, p)
                else:
                    s, b = mean_squared_error(yt, p), None
                rows[who].append((s, b))
                print("%s,%d,%s,%.6g,%s,%.2f" % (name, seed, who, s,
                                                  "" if b is None else "%.4f" % b,
                                                  time.time() - t0), flush=True)
        for who, r in rows.items():
            if not r:
                continue
            s = np.array([v[0] for v in r])
            line = "%-11s %-31s %s %.4g +- %.3g" % (name, who, "accuracy" if cls else "MSE",
                                                    s.mean(), s.std(ddof=1) if len(s) > 1 else 0)
            if cls:
                b = np.array([v[1] for v in r])
                line += ", balanced accuracy %.4f +- %.3f" % (b.mean(), b.std(ddof=1) if len(b) > 1 else 0)
            summary.append(line)
    print()
    print("\n".join(summary))


if __name__ == "__main__":
    sys.exit(main())
