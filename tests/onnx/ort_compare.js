// ort_compare.js DIR: ONNX Runtime (the npm package onnxruntime-node, its CPU build)
// runs every model make_models wrote on the rows beside it and its outputs are compared
// with libmlp's predictions: |ort - libmlp| <= tol * m, m the largest magnitude of
// libmlp's values in that output column or 1 if larger (the outputs' own scale: a
// regression's output scaling may bring a value near 0 by cancellation), tol 64 ε of
// float (7.6e-6) for a float32 model and 1e-12 for a float64 one. Prints the largest
// error of each model. Exit 77 (skipped) without Node.js's onnxruntime-node (found
// through NODE_PATH, as Node finds any package).
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.log('skipped: onnxruntime-node not found (npm install --ignore-scripts ' +
              '--prefix DIR onnxruntime-node, then NODE_PATH=DIR/node_modules)');
  process.exit(77);
}

const TOL = {float32: 64 * Math.pow(2, -23), float64: 1e-12};
// ONNX Runtime has no float64 kernel for Erf: a float64 GELU runs nowhere there
const CANNOT = {act_gelu_float64: 'ONNX Runtime has no float64 Erf kernel'};

(async () => {
  const dir = process.argv[2];
  const names = fs.readFileSync(path.join(dir, 'models.txt'), 'utf8').split('\n').filter(Boolean);
  let bad = 0, ran = 0;
  const worst = {float32: 0, float64: 0};
  for (const name of names) {
    const lines = fs.readFileSync(path.join(dir, name + '.txt'), 'utf8').split('\n');
    const [rows, nIn, nOut, precision] = lines[0].split(' ');
    const n = +rows, k = +nOut, w = +nIn;
    const values = lines.slice(1, 1 + n * w + n * k).map(Number);
    const x = values.slice(0, n * w), want = values.slice(n * w);
    const f32 = precision === 'float32';
    let session;
    try {
      session = await ort.InferenceSession.create(path.join(dir, name + '.onnx'));
    } catch (e) {
      if (CANNOT[name]) {
        console.log(`${name.padEnd(24)} not run: ${CANNOT[name]}`);
        continue;
      }
      console.log(`${name.padEnd(24)} FAIL: ONNX Runtime refused it: ${e}`);
      bad++;
      continue;
    }
    const input = new ort.Tensor(f32 ? 'float32' : 'float64',
                                 f32 ? Float32Array.from(x) : Float64Array.from(x), [n, w]);
    const out = (await session.run({input})).output;
    let err = 0;
    if (out.dims.join(',') !== [n, k].join(',')) {
      console.log(`${name.padEnd(24)} FAIL: output of shape ${out.dims}, not ${n},${k}`);
      bad++;
      continue;
    }
    const scale = new Array(k).fill(1);
    for (let i = 0; i < n * k; i++) scale[i % k] = Math.max(scale[i % k], Math.abs(want[i]));
    for (let i = 0; i < n * k; i++) {
      const e = Math.abs(out.data[i] - want[i]) / scale[i % k];
      err = e > err || Number.isNaN(e) ? e : err;
    }
    const ok = err <= TOL[precision];
    worst[precision] = Math.max(worst[precision], err);
    console.log(`${name.padEnd(24)} ${ok ? 'agrees' : 'FAIL'}: largest error ${err.toExponential(2)}` +
                ` of its column's scale (bound ${TOL[precision].toExponential(2)})`);
    bad += !ok;
    ran++;
  }
  console.log(`${ran} models run by ONNX Runtime ${ort.env.versions ? ort.env.versions.common : ''}, ` +
              `${bad} failed; largest error float32 ${worst.float32.toExponential(2)}, ` +
              `float64 ${worst.float64.toExponential(2)}`);
  process.exit(bad || ran < 25 ? 1 : 0);
})().catch(e => { console.log(`FAIL: ${e.stack}`); process.exit(1); });
