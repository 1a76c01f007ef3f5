#!/usr/bin/env python3
"""Usage: make_data.py DIR

Writes the data sets of the command-line tests, from fixed seeds:
  blobs.csv       600 rows: three Gaussian blobs in 3 inputs (one of them on another
                  scale, one with a comma in its name), string labels in "species"
  blobs_test.csv  300 more rows of the same blobs
  blobs_new.csv   the inputs of blobs_test.csv alone, columns in another order
  reg.csv         500 rows: y = 3a^2 - b + 0.05c + noise (sd 0.1)
  reg_test.csv    200 more
  reg_new.csv     the inputs of reg_test.csv alone"""
import os
import random
import sys

d = sys.argv[1]
r = random.Random(5)
centers = {"setosa": (0, 0, 100), "versicolor": (3, 3, 130), "virginica": (0, 4, 160)}


def blobs(n):
    rows = []
    for i in range(n):
        c = list(centers)[i % 3]
        m = centers[c]
        rows.append((m[0] + r.gauss(0, 0.8), m[1] + r.gauss(0, 0.8), m[2] + r.gauss(0, 12), c))
    return rows


def write(name, header, rows, fmt):
    with open(os.path.join(d, name), "w") as f:
        f.write(header + "\n")
        for row in rows:
            f.write(fmt % row + "\n")


train, test = blobs(600), blobs(300)
write("blobs.csv", 'x1,x2,"x3, scaled",species', train, "%.4f,%.4f,%.3f,%s")
write("blobs_test.csv", 'x1,x2,"x3, scaled",species', test, "%.4f,%.4f,%.3f,%s")
write("blobs_new.csv", '"x3, scaled",x2,x1', [(t[2], t[1], t[0]) for t in test], "%.3f,%.4f,%.4f")


def reg(n):
    rows = []
    for i in range(n):
        a, b, c = r.uniform(-2, 2), r.uniform(0, 10), r.uniform(100, 200)
        rows.append((a, b, c, 3 * a * a - b + 0.05 * c + r.gauss(0, 0.1)))
    return rows


train, test = reg(500), reg(200)
write("reg.csv", "a,b,c,y", train, "%.5f,%.5f,%.5f,%.6f")
write("reg_test.csv", "a,b,c,y", test, "%.5f,%.5f,%.5f,%.6f")
write("reg_new.csv", "a,b,c", [t[:3] for t in test], "%.5f,%.5f,%.5f")
