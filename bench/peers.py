#!/usr/bin/env python3
"""numpy and PyTorch on bench/run's workloads, written the way their users write
them: numpy vectorized (X @ W.T + b, one array operation per layer), PyTorch as
nn.Sequential in float64, or in float32 for a workload named with _f32 (mnist_f32).
Forward predicts a batch; train is one forward, backward and plain SGD update over
the batch with the mean squared error. A workload named with _bf16 is forward only,
PyTorch's alone (numpy has no bfloat16): the float32 model and its rows cast to
torch.bfloat16, under torch.no_grad(), as PyTorch's users run bfloat16 inference.

Output: CSV rows as mlp_bench's, impl "numpy" or "torch"; progress on stderr.
With --serve, cells on request instead (bench/interleave.py).
A peer that cannot be imported is skipped with a note on stderr."""
import argparse
import statistics
import sys
import time

WORKLOADS = {
    "tiny": (2, [2, 1], "relu"),
    "mnist": (784, [256, 128, 10], "relu"),
    "wide": (1024, [1024, 1024, 1024], "tanh"),
}


def time_call(f, min_time, max_call):
    """Median seconds per call, as bench/bench_time.h measures libmlp."""
    t0 = time.perf_counter()
    f()
    one = time.perf_counter() - t0
    if one > max_call:
        return -one
    n_samples = 3 if one > min_time / 3 else 7
    if n_samples == 7:
        while time.perf_counter() - t0 < 0.05 * min_time + one:
            f()
        t0 = time.perf_counter()
        f()
        one = max(time.perf_counter() - t0, 1e-9)
    reps = max(1, int(min_time / n_samples / one))
    samples = []
    for _ in range(n_samples):
        a = time.perf_counter()
        for _ in range(reps):
            f()
        samples.append((time.perf_counter() - a) / reps)
    return statistics.median(samples)


def workload(name):
    """(inputs, sizes, activation, precision) of a workload name, or None: precision
    "f64", "f32" (name_f32) or "bf16" (name_bf16)."""
    for prec in ("f32", "bf16"):
        if name.endswith("_" + prec):
            base = WORKLOADS.get(name[: -len(prec) - 1])
            return None if base is None else base + (prec,)
    base = WORKLOADS.get(name)
    return None if base is None else base + ("f64",)


def numpy_cells(np, n_in, sizes, act, batch, prec="f64"):
    if prec == "bf16":
        return None, None
    rng = np.random.default_rng(42)
    dt = np.float32 if prec == "f32" else np.float64
    dims = [n_in] + sizes
    W = [rng.uniform(-0.1, 0.1, (dims[i + 1], dims[i])).astype(dt) for i in range(len(sizes))]
    b = [np.zeros(dims[i + 1], dtype=dt) for i in range(len(sizes))]
    x = rng.uniform(-1, 1, (batch, n_in)).astype(dt)
    y = rng.uniform(-1, 1, (batch, sizes[-1])).astype(dt)
    f = (lambda z: np.maximum(z, 0.0)) if act == "relu" else np.tanh
    lr = 1e-6

    def forward():
        a = x
        for i in range(len(W)):
            z = a @ W[i].T + b[i]
            a = f(z) if i + 1 < len(W) else z
        return a

    def train():
        acts = [x]
        a = x
        for i in range(len(W)):
            z = a @ W[i].T + b[i]
            a = f(z) if i + 1 < len(W) else z
            acts.append(a)
        dz = 2.0 * (a - y) / a.size
        for i in reversed(range(len(W))):
            dW = dz.T @ acts[i]
            db = dz.sum(axis=0)
            if i > 0:
                da = dz @ W[i]
                dz = da * (acts[i] > 0) if act == "relu" else da * (1.0 - acts[i] ** 2)
            W[i] -= lr * dW
            b[i] -= lr * db

    return forward, train


def torch_cells(torch, n_in, sizes, act, batch, prec="f64"):
    torch.manual_seed(42)
    dt = {"f64": torch.float64, "f32": torch.float32, "bf16": torch.bfloat16}[prec]
    layers = []
    dims = [n_in] + sizes
    for i in range(len(sizes)):
        layers.append(torch.nn.Linear(dims[i], dims[i + 1]))
        if i + 1 < len(sizes):
            layers.append(torch.nn.ReLU() if act == "relu" else torch.nn.Tanh())
    model = torch.nn.Sequential(*layers).to(dt)
    x = torch.rand(batch, n_in, dtype=dt) * 2 - 1
    y = torch.rand(batch, sizes[-1], dtype=dt) * 2 - 1
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)
    loss_fn = torch.nn.MSELoss()

    def forward():
        with torch.no_grad():
            return model(x)

    def train():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return forward, (train if prec != "bf16" else None)


def serve(peers, max_call):
    """Each stdin line "workload op batch seconds" is answered with one line
    "numpy=S torch=S" (seconds per call, each peer seconds / n), a peer too slow for
    max_call left out ("skip" when none is left). The last cell's models are kept."""
    have, cells, too_slow = None, {}, set()
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 4:
            break
        wname, op, batch, seconds = parts[0], parts[1], int(parts[2]), float(parts[3])
        if workload(wname) is None or op not in ("forward", "train"):
            print("skip", flush=True)
            continue
        n_in, sizes, act, f32 = workload(wname)
        if have != (wname, batch):
            cells = {peer: make(mod, n_in, sizes, act, batch, f32) for peer, make, mod in peers}
            have = (wname, batch)
        out = []
        for peer, _, _ in peers:
            key = (peer, wname, op, batch)
            if key in too_slow:
                continue
            forward, train = cells[peer]
            f = train if op == "train" else forward
            if f is None:  # numpy's bfloat16, a bfloat16 training
                continue
            t = time_call(f, seconds / len(peers), max_call)
            if t < 0:
                too_slow.add(key)
                continue
            out.append(f"{peer}={t:.9g}")
        print(" ".join(out) if out else "skip", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--min-time", type=float, default=0.2)
    p.add_argument("--max-call", type=float, default=2.0)
    p.add_argument("--workloads", default="tiny,mnist,wide")
    p.add_argument("--ops", default="forward,train")
    p.add_argument("--batches", default="1,8,64,512,4096")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--peers", default="numpy,torch")
    p.add_argument("--serve", action="store_true",
                   help="cells on request, for bench/interleave.py")
    a = p.parse_args()

    peers = []
    for name in a.peers.split(","):
        try:
            if name == "numpy":
                import numpy
                peers.append(("numpy", numpy_cells, numpy))
            elif name == "torch":
                import torch
                torch.set_num_threads(a.threads)
                peers.append(("torch", torch_cells, torch))
        except ImportError as e:
            print(f"  {name}: not installed ({e}), skipped", file=sys.stderr)
    if a.serve:
        serve(peers, a.max_call)
        return
    print("impl,workload,op,batch,threads,ns_per_sample,gflops", flush=True)
    for wname in a.workloads.split(","):
        n_in, sizes, act, f32 = workload(wname)
        macs = sum(i * o for i, o in zip([n_in] + sizes[:-1], sizes))
        batches = [int(b) for b in a.batches.split(",")] + ([65536] if wname.startswith("tiny") else [])
        for peer, make, mod in peers:
            for batch in batches:
                forward, train = make(mod, n_in, sizes, act, batch, f32)
                for op, f in (("forward", forward), ("train", train)):
                    if op not in a.ops.split(",") or f is None:
                        continue
                    print(f"  {peer:5} {wname:5} {op:7} batch {batch}", file=sys.stderr)
                    t = time_call(f, a.min_time, a.max_call)
                    if t < 0:
                        print(f"  {peer} {wname} {op} batch {batch}: one call takes "
                              f"{-t:.1f} s, skipped", file=sys.stderr)
                        continue
                    fl = (6 if op == "train" else 2) * macs
                    print(f"{peer},{wname},{op},{batch},{a.threads},{t / batch * 1e9:.3f},"
                          f"{fl * batch / t / 1e9:.3f}", flush=True)


if __name__ == "__main__":
    main()
