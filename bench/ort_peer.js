// ONNX Runtime as a peer of bench/run: the networks mlp_bench times, exported by
// libmlp (mlp_bench --export-onnx DIR), run by onnxruntime-node's CPU build from
// Node.js, forward only (predict a batch), with N intra-op threads that sleep between
// calls (spinning, ONNX Runtime's default, would take the cores from the contenders
// timed after it in the same round).
//
// Usage: node ort_peer.js DIR THREADS   (a server for bench/interleave.py)
// Each stdin line "workload op batch seconds" is answered with "onnxruntime=S"
// (seconds per call, the median of samples as bench_time.h takes it), or "skip" for
// train and for a workload without a model. The rows are uniform in [-1, 1] as
// mlp_bench's, float32 for a _f32 workload; each call is one session.run.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const ort = require('onnxruntime-node');

const [dir, threads] = [process.argv[2], +process.argv[3] || 1];
const WIDTH = {tiny: 2, mnist: 784, wide: 1024}; // the workloads' inputs (bench/workloads.h)
const sessions = {};

async function session(name) {
  if (!(name in sessions)) {
    const file = path.join(dir, name + '.onnx');
    sessions[name] = fs.existsSync(file)
        ? await ort.InferenceSession.create(file, {intraOpNumThreads: threads,
                                                  interOpNumThreads: 1,
                                                  executionMode: 'sequential',
                                                  graphOptimizationLevel: 'all',
                                                  // its pool's threads would spin between
                                                  // calls, on the cores the others time on
                                                  extra: {session: {intra_op: {allow_spinning: '0'}}}})
        : null;
  }
  return sessions[name];
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

// Median seconds per call over samples, as bench/bench_time.h.
async function timeCall(f, minTime) {
  let t0 = now();
  await f();
  let one = now() - t0;
  const nSamples = one > minTime / 3 ? 3 : 7;
  if (nSamples === 7) {
    while (now() - t0 < 0.05 * minTime + one) await f();
    t0 = now();
    await f();
    one = Math.max(now() - t0, 1e-9);
  }
  const reps = Math.max(1, Math.floor(minTime / nSamples / one));
  const samples = [];
  for (let s = 0; s < nSamples; s++) {
    const a = now();
    for (let r = 0; r < reps; r++) await f();
    samples.push((now() - a) / reps);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

(async () => {
  const lines = readline.createInterface({input: process.stdin});
  for await (const line of lines) {
    const [name, op, batchText, secondsText] = line.trim().split(/\s+/);
    // forward only, and not bfloat16 (the exported models are float64 and float32)
    const s = op === 'forward' && !name.endsWith('_bf16') ? await session(name) : null;
    if (s === null) {
      process.stdout.write('skip\n');
      continue;
    }
    const batch = +batchText;
    const f32 = name.endsWith('_f32');
    const n = WIDTH[name.replace(/_f32$/, '')] * batch;
    const data = f32 ? new Float32Array(n) : new Float64Array(n);
    let seed = 42;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      data[i] = seed / 1073741824 - 1;
    }
    const feeds = {input: new ort.Tensor(f32 ? 'float32' : 'float64', data, [batch, n / batch])};
    const t = await timeCall(() => s.run(feeds), +secondsText);
    process.stdout.write(`onnxruntime=${t}\n`);
  }
})();
