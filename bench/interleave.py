#!/usr/bin/env python3
"""Times every cell of bench/run on libmlp, its dgemm floor and the peers in rounds:
the programs run side by side as servers (mlp_bench --serve, peers.py --serve,
fann_bench --serve, ort_peer.js), and for each cell every one of them takes its turn, round
after round, the order rotating. Load that drifts during a run then reaches all
of a cell's contenders alike, and each ratio is taken within one round.

Output: CSV rows on stdout, "impl,workload,op,batch,threads,ns_per_sample,gflops,
ratio,ratio_lo,ratio_hi,outside_ns_per_sample": ns_per_sample is the median over
the rounds; on libmlp's rows the ratio columns are libmlp / floor (median, lowest
and highest round) and outside_ns_per_sample the median of libmlp - floor per
sample; on a peer's rows (and a --baseline build's) they are libmlp / peer. Progress on
stderr."""
import argparse
import statistics
import subprocess
import sys

WORKLOADS = {  # multiply-adds per sample, for GFLOP/s
    "tiny": 2 * 2 + 2 * 1,
    "mnist": 784 * 256 + 256 * 128 + 128 * 10,
    "wide": 3 * 1024 * 1024,
}
# their float32 networks, and bfloat16 predictors of those (forward only)
WORKLOADS.update({k + p: v for k, v in list(WORKLOADS.items()) for p in ("_f32", "_bf16")})


class Server:
    def __init__(self, name, cmd, only=None):
        self.name = name
        self.only = only  # {key in its answer: the name it goes by here}, or None: all
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)

    def ask(self, workload, op, batch, seconds):
        self.proc.stdin.write(f"{workload} {op} {batch} {seconds:.6f}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} stopped answering")
        if line.strip() == "skip":
            return {}
        got = {k: float(v) for k, v in (kv.split("=") for kv in line.split())}
        if self.only is not None:
            got = {self.only[k]: v for k, v in got.items() if k in self.only}
        return got

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--workloads", default="tiny,mnist,wide")
    p.add_argument("--batches", default="1,8,64,512,4096")
    p.add_argument("--ops", default="forward,train")
    p.add_argument("--min-time", type=float, default=0.2,
                   help="seconds per contender per cell, over all rounds")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--peers", default="", help="numpy,torch (Python peers to run)")
    p.add_argument("--fann", action="store_true")
    p.add_argument("--ort", default="",
                   help="a folder of the workloads as ONNX (mlp_bench --export-onnx): ONNX "
                        "Runtime runs them from Node.js (bench/ort_peer.js), forward only")
    p.add_argument("--baseline", default="",
                   help="another build of libmlp (an earlier version): its mlp_bench takes "
                        "turns too, as the contender 'baseline'")
    a = p.parse_args()

    here = sys.path[0]
    servers = [Server("libmlp", [f"{a.build}/bench/mlp_bench", "--serve"])]
    if a.peers:
        servers.append(Server("python", ["/usr/bin/python3", f"{here}/peers.py", "--serve",
                                         "--peers", a.peers, "--threads", str(a.threads)]))
    if a.fann:
        servers.append(Server("fann", [f"{a.build}/bench/fann_bench", "--serve"]))
    if a.ort:
        servers.append(Server("onnxruntime", ["node", f"{here}/ort_peer.js", a.ort,
                                              str(a.threads)]))
    if a.baseline:
        servers.append(Server("baseline", [f"{a.baseline}/bench/mlp_bench", "--serve"],
                              only={"libmlp": "baseline"}))

    print("impl,workload,op,batch,threads,ns_per_sample,gflops,ratio,ratio_lo,ratio_hi,"
          "outside_ns_per_sample", flush=True)
    each = a.min_time / a.rounds
    for wname in a.workloads.split(","):
        batches = [int(b) for b in a.batches.split(",")] + ([65536] if wname.startswith("tiny") else [])
        for batch in batches:
            for op in a.ops.split(","):
                print(f"  {wname:9} {op:7} batch {batch:<6} {a.threads} thread(s), "
                      f"{a.rounds} rounds", file=sys.stderr)
                rounds = []
                for r in range(a.rounds):
                    got = {}
                    k = r % len(servers)
                    for s in servers[k:] + servers[:k]:
                        got.update(s.ask(wname, op, batch, each))
                    rounds.append(got)
                flops = (6 if op == "train" else 2) * WORKLOADS[wname] * batch
                impls = sorted({i for g in rounds for i in g})
                for impl in impls:
                    times = [g[impl] for g in rounds if impl in g]
                    t = statistics.median(times)
                    ratios = [g["libmlp"] / g[impl if impl != "libmlp" else "dgemm_floor"]
                              for g in rounds if impl in g and "libmlp" in g
                              and (impl != "libmlp" or "dgemm_floor" in g)]
                    cols = ["", "", "", ""]
                    if impl != "dgemm_floor" and ratios:
                        cols[:3] = [f"{statistics.median(ratios):.4f}", f"{min(ratios):.4f}",
                                    f"{max(ratios):.4f}"]
                    if impl == "libmlp":
                        out = [(g["libmlp"] - g["dgemm_floor"]) / batch * 1e9 for g in rounds
                               if "dgemm_floor" in g]
                        cols[3] = f"{statistics.median(out):.3f}"
                    print(f"{impl},{wname},{op},{batch},{a.threads},{t / batch * 1e9:.3f},"
                          f"{flops / t / 1e9:.3f}," + ",".join(cols), flush=True)
    for s in servers:
        s.close()


if __name__ == "__main__":
    main()
