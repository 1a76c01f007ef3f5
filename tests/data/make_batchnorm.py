#!/usr/bin/python3
"""Writes tests/data/batchnorm_torch.h: what PyTorch (float64) computes for two small
networks with a BatchNorm1d, the expected values of tests/test_batchnorm.c.

    /usr/bin/python3 tests/data/make_batchnorm.py > tests/data/batchnorm_torch.h

Each network's parameters and rows come from simple formulas written out here (the C
test reads them from the header, in libmlp's parameter layout: W1, b1, gain, bias, W2,
b2). PyTorch then gives the training-mode loss and gradient of the 12 rows, the
parameters and the running mean and variance after three SGD steps of 4 rows each,
and the evaluation-mode outputs of the 12 rows after them. Made with PyTorch 1.13.0
(Debian's python3-torch)."""
import math

import torch

torch.set_default_dtype(torch.float64)

# name, inputs, hidden, outputs, activation, output, loss, epsilon, momentum, bias, lr
NETS = [
    ("cls", 4, 6, 3, torch.nn.Tanh(), "softmax", "cce", 1e-5, 0.1, True, 0.1),
    ("reg", 3, 5, 2, torch.nn.ELU(), "identity", "mse", 1e-3, 0.3, False, 0.05),
]
ROWS = 12


def formula(n, a, b):
    return [a * math.sin(b * (i + 1)) + 0.1 * math.cos(3.0 * i) for i in range(n)]


def c_array(name, values):
    body = ",\n    ".join(", ".join(repr(float(v)) for v in values[i:i + 4])
                          for i in range(0, len(values), 4))
    return "static const double %s[%d] = {\n    %s};\n" % (name, len(values), body)


def build(n_in, hid, k, act, p, bias):
    lin1, bn, lin2 = torch.nn.Linear(n_in, hid), None, torch.nn.Linear(hid, k)
    bn = torch.nn.BatchNorm1d(hid)
    at = 0

    def take(n):
        nonlocal at
        t = torch.tensor(p[at:at + n])
        at += n
        return t

    with torch.no_grad():
        lin1.weight.copy_(take(n_in * hid).reshape(hid, n_in))
        lin1.bias.copy_(take(hid))
        bn.weight.copy_(take(hid))
        if bias:
            bn.bias.copy_(take(hid))
        else:  # no bias: 0, and never trained
            bn.bias.zero_()
            bn.bias.requires_grad_(False)
        lin2.weight.copy_(take(hid * k).reshape(k, hid))
        lin2.bias.copy_(take(k))
    return torch.nn.Sequential(lin1, bn, act, lin2), bn


def loss_of(kind, out, y):
    if kind == "cce":
        return torch.nn.functional.cross_entropy(out, y.argmax(1))
    return ((out - y) ** 2).mean()  # libmlp's MSE: the mean over rows and outputs


def flat(model, bias, grads):
    lin1, bn, _, lin2 = model
    parts = [lin1.weight, lin1.bias, bn.weight] + ([bn.bias] if bias else []) + \
        [lin2.weight, lin2.bias]
    return torch.cat([(q.grad if grads else q.detach()).flatten() for q in parts]).tolist()


def main():
    print("/* Written by tests/data/make_batchnorm.py with PyTorch %s: do not edit. */"
          % torch.__version__)
    for name, n_in, hid, k, act, out, kind, eps, mom, bias, lr in NETS:
        n_params = n_in * hid + hid + hid * (2 if bias else 1) + hid * k + k
        p = formula(n_params, 0.6, 0.7)
        for i in range(hid):  # gains near 1, biases near 0
            p[n_in * hid + hid + i] = 1.0 + 0.3 * math.sin(1.3 * i)
        x = formula(ROWS * n_in, 2.0, 1.1)
        x = [v + (i % n_in) for i, v in enumerate(x)]  # columns of other means
        if kind == "cce":
            y = [1.0 if j == (r * 7) % k else 0.0 for r in range(ROWS) for j in range(k)]
        else:
            y = formula(ROWS * k, 1.0, 0.4)
        model, bn = build(n_in, hid, k, act, p, bias)
        bn.eps, bn.momentum = eps, mom
        X = torch.tensor(x).reshape(ROWS, n_in)
        Y = torch.tensor(y).reshape(ROWS, k)
        model.train()
        value = loss_of(kind, model(X), Y)
        value.backward()
        grad = flat(model, bias, True)
        model, bn = build(n_in, hid, k, act, p, bias)
        bn.eps, bn.momentum = eps, mom
        opt = torch.optim.SGD([q for q in model.parameters() if q.requires_grad], lr=lr)
        for s in range(3):
            opt.zero_grad()
            loss_of(kind, model(X[4 * s:4 * s + 4]), Y[4 * s:4 * s + 4]).backward()
            opt.step()
        after = flat(model, bias, False)
        running = bn.running_mean.tolist() + bn.running_var.tolist()
        model.eval()
        pred = model(X)
        if out == "softmax":
            pred = torch.softmax(pred, 1)
        print()
        print(c_array(name + "_params", p), end="")
        print(c_array(name + "_x", x), end="")
        print(c_array(name + "_y", y), end="")
        print("static const double %s_loss = %r;" % (name, value.item()))
        print(c_array(name + "_grad", grad), end="")
        print(c_array(name + "_after", after), end="")
        print(c_array(name + "_running", running), end="")
        print(c_array(name + "_pred", pred.flatten().tolist()), end="")


main()
