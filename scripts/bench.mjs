// npm run bench: conversion time and peak memory against a floor, cold start, and depth.
// `node scripts/bench.mjs c` runs only the section "C compiled predict vs emitted JS", `node scripts/bench.mjs graph` only the TF.js graph model,
// `node scripts/bench.mjs conv` only the conv nets (scripts/bench-convnets.mjs), `node scripts/bench.mjs attention` only the
// transformer encoder per sequence (scripts/bench-attention.mjs), both also run last; `node scripts/bench.mjs convert` only
// conversion time (1.33M MLP, 19M-parameter encoder) against the floor, `node scripts/bench.mjs cold` only the cold start
// (after npm run build).
// Figures, not a test: it prints what it measured in this one run.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from './tfjs-files.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const TMP = mkdtempSync(join(tmpdir(), 'nn2eq-bench-'));

/** Writes a Dense MLP as a TF.js model.json + weights.bin with seeded weights. */
function mlp(name, sizes, activation = 'relu') {
  const dir = join(TMP, name);
  mkdirSync(dir, { recursive: true });
  const r = rng(sizes.length * 7919 + sizes[0]);
  const layers = [];
  const specs = [];
  const chunks = [];
  let params = 0;
  for (let i = 1; i < sizes.length; i++) {
    const lname = `dense_${i}`;
    layers.push({ class_name: 'Dense', config: { name: lname, units: sizes[i], activation: i === sizes.length - 1 ? 'linear' : activation, use_bias: true, ...(i === 1 ? { batch_input_shape: [null, sizes[0]] } : {}) } });
    for (const [v, shape] of [['kernel', [sizes[i - 1], sizes[i]]], ['bias', [sizes[i]]]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      for (let j = 0; j < n; j++) a[j] = (r() * 2 - 1) / Math.sqrt(sizes[i - 1]);
      chunks.push(Buffer.from(a.buffer));
      specs.push({ name: `${lname}/${v}`, shape, dtype: 'float32' });
      params += n;
    }
  }
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name, layers }, keras_version: 'tfjs-layers 4.22.0' }, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] }));
  return { path: join(dir, 'model.json'), params };
}

/**
 * Runs `node args…` once with stdout to a file (`status` is the exit code the run must end with):
 * wall seconds, CPU seconds (user + system, steadier than wall time on a shared machine), peak RSS
 * (MB) and output bytes.
 */
function measure(args, status = 0) {
  const out = join(TMP, 'out.txt');
  const fd = openSync(out, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  if (r.status !== status) throw new Error(`${args.join(' ')} exited ${r.status}, expected ${status}: ${r.stderr}`);
  const [kb, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, cpu: user + sys, rss: kb / 1024, bytes: statSync(out).size };
}

const FLOOR = join(TMP, 'floor.mjs');
writeFileSync(
  FLOOR,
  `// The floor, independent of nn2eq: read every weight (a TF.js model.json's shards, or a raw
// little-endian float32 dump *.f32) and print each once as the shortest text that reads back as
// the same float32, in a plain loop: toPrecision(7), then walk down while the shorter text still
// reads back (Math.fround), else 8, else 9 digits.
import { readFileSync, writeSync } from 'node:fs';
import { join, dirname } from 'node:path';
const file = process.argv[2];
let a;
if (file.endsWith('.f32')) {
  const b = readFileSync(file);
  a = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
} else {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const values = [];
  for (const group of doc.weightsManifest) {
    const b = Buffer.concat(group.paths.map((p) => readFileSync(join(dirname(file), p))));
    let at = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((x, y) => x * y, 1);
      const q = w.quantization;
      if (q) {
        for (let i = 0; i < n; i++) values.push(Math.fround(b[at + i] * q.scale + q.min));
        at += n;
      } else {
        const f = new Float32Array(b.buffer.slice(b.byteOffset + at, b.byteOffset + at + 4 * n));
        for (let i = 0; i < n; i++) values.push(f[i]);
        at += 4 * n;
      }
    }
  }
  a = Float32Array.from(values);
}
const CHUNK = 1 << 16;
const parts = new Array(Math.min(CHUNK, a.length));
for (let i = 0; i < a.length; i++) {
  const v = a[i];
  let s = v.toPrecision(7);
  if (Math.fround(+s) === v) {
    for (let p = 6; p >= 1; p--) {
      const t = v.toPrecision(p);
      if (Math.fround(+t) !== v) break;
      s = t;
    }
  } else {
    s = v.toPrecision(8);
    if (Math.fround(+s) !== v) s = v.toPrecision(9);
  }
  parts[i % CHUNK] = s;
  if (i % CHUNK === CHUNK - 1 || i === a.length - 1) writeSync(1, parts.slice(0, (i % CHUNK) + 1).join('\\n') + '\\n');
}
`,
);

/** True when the emitter of `format` has a tensor form in this build. */
function hasTensor(format) {
  return spawnSync(process.execPath, [CLI, join(ROOT, 'fixtures', 'mathematica_3_2_2_2', 'model.json'), '-f', format, '--form', 'tensor'], { stdio: 'ignore' }).status === 0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x, d = 2) => x.toFixed(d);
const CLI = join(ROOT, 'bin', 'nn2eq.js');
const PYTHON = findPython();
const rows = [];

if (process.argv[2] === 'c') {
  cCompiledVsJs();
  process.exit(0);
}
if (process.argv[2] === 'graph') {
  graphModelBench();
  process.exit(0);
}
// `node scripts/bench.mjs convert` runs only conversion time against the floor: the 1.33M MLP and the 19M-parameter encoder.
if (process.argv[2] === 'convert') {
  conversionBench();
  process.exit(0);
}
// `node scripts/bench.mjs cold` runs only the cold start.
if (process.argv[2] === 'cold') {
  coldStart();
  process.exit(0);
}
// `node scripts/bench.mjs conv` runs only the conv nets against onnxruntime-web and the plain-JS floor.
if (process.argv[2] === 'conv') {
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-convnets.mjs')], { stdio: 'inherit' });
  process.exit(0);
}
// `node scripts/bench.mjs attention` runs only the transformer encoder (issue 27).
if (process.argv[2] === 'attention') {
  spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-attention.mjs')], { stdio: 'inherit' });
  process.exit(0);
}

console.log(`nn2eq benchmark (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`);
console.log('conversion vs floor (floor = read every weight, print each once, shortest round-trip)');
console.log('model                      params     format form    time s  floor s  ratio  peak RSS MB  floor RSS MB  output MB');
for (const [name, sizes] of [['mlp-10k', [64, 128, 10]], ['mlp-100k', [256, 256, 128, 10]]]) {
  const m = mlp(name, sizes);
  const floor = [0, 1, 2].map(() => measure([FLOOR, m.path]));
  const fl = { seconds: median(floor.map((f) => f.seconds)), rss: median(floor.map((f) => f.rss)) };
  for (const form of ['scalar', 'tensor']) {
    for (const format of ['js', 'numpy']) {
      if (!hasTensor(format) && form === 'tensor') continue;
      const runs = [0, 1, 2].map(() => measure([CLI, m.path, '-f', format, '--form', form]));
      const t = median(runs.map((r) => r.seconds));
      const rss = median(runs.map((r) => r.rss));
      rows.push({ name, format, form, ratio: t / fl.seconds, rss });
      console.log(`${`${name} ${sizes.join('-')}`.padEnd(26)} ${String(m.params).padStart(9)}  ${format.padEnd(6)} ${form.padEnd(7)} ${fmt(t).padStart(6)}  ${fmt(fl.seconds).padStart(7)}  ${fmt(t / fl.seconds).padStart(5)}  ${fmt(rss, 0).padStart(11)}  ${fmt(fl.rss, 0).padStart(12)}  ${fmt(runs[0].bytes / 1e6).padStart(9)}`);
    }
  }
}

conversionBench();

const bare = coldStart();

console.log('\ndepth: 1000-layer narrow MLP (Dense(2, tanh) x 1000)');
const deep = mlp('deep-1000', [2, ...Array(1000).fill(2), 1], 'tanh');
for (const format of ['js', 'latex', 'numpy', 'mathematica']) {
  const d = measure([CLI, deep.path, '-f', format, '--form', 'scalar']);
  console.log(`${format.padEnd(12)} ${fmt(d.seconds)} s, peak RSS ${fmt(d.rss, 0)} MB, output ${fmt(d.bytes / 1e3, 0)} kB`);
}

// Layer-coverage and Keras figures, from the repository's own fixtures and the shared models.
const FIX = join(ROOT, 'fixtures');
const SHARED = join(ROOT, 'test', 'models');
console.log('\nKeras files (cold, median of 5): HDF5 and .keras load h5wasm / fflate on demand');
for (const [label, file] of [
  ['TF.js model.json', join(FIX, 'keras_sequential', 'model.json')],
  ['Keras 2 .h5', join(FIX, 'keras_sequential', 'model.h5')],
  ['Keras 3 .keras', join(FIX, 'keras_sequential', 'model.keras')],
]) {
  const t = median(Array.from({ length: 5 }, () => measure([CLI, file, '-f', 'js']).seconds));
  console.log(`${label.padEnd(18)} ${fmt(t * 1000, 0)} ms   (${fmt(t / bare)} x node -e 0)`);
}

console.log('\nrecurrence: the same LSTM(4) unrolled over 10 and 100 steps');
{
  const doc = JSON.parse(readFileSync(join(FIX, 'rnn_lstm_10_steps', 'model.json'), 'utf8'));
  const dir = join(TMP, 'lstm100');
  mkdirSync(dir, { recursive: true });
  const layers = doc.modelTopology.config.layers ?? doc.modelTopology.config;
  layers[0].config.batch_input_shape = [null, 100, 2];
  writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
  copyFileSync(join(FIX, 'rnn_lstm_10_steps', 'weights.bin'), join(dir, 'weights.bin'));
  for (const format of ['js', 'latex']) {
    const ten = measure([CLI, join(FIX, 'rnn_lstm_10_steps', 'model.json'), '-f', format, '--form', 'scalar']);
    const hundred = measure([CLI, join(dir, 'model.json'), '-f', format, '--form', 'scalar']);
    console.log(`${format.padEnd(6)} 10 steps ${fmt(ten.bytes / 1e3, 1)} kB, 100 steps ${fmt(hundred.bytes / 1e3, 1)} kB: ratio ${fmt(hundred.bytes / ten.bytes)} (target about 10); ${fmt(hundred.seconds)} s, ${fmt(hundred.rss, 0)} MB`);
  }
}

const mobilenet = join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json');
if (existsSync(mobilenet)) {
  const r = measure([CLI, mobilenet, '-f', 'js', '--form', 'scalar'], 2);
  console.log(`\nMobileNetV2 (nsfwjs, 224x224), scalar form: refused in ${fmt(r.seconds)} s, peak RSS ${fmt(r.rss, 0)} MB (target: seconds, bounded memory)`);
  const fl = measure([FLOOR, mobilenet]);
  const py = join(TMP, 'mobilenet.py');
  const t = measure([CLI, mobilenet, '-f', 'numpy', '--form', 'tensor', '-o', py]);
  console.log(`MobileNetV2 tensor form, numpy: ${fmt(t.seconds)} s against a ${fmt(fl.seconds)} s floor: ratio ${fmt(t.seconds / fl.seconds)} (target <= 3); peak RSS ${fmt(t.rss, 0)} MB`);
  if (PYTHON) {
    const tfjs = tfjsPredictSeconds(mobilenet, [224, 224, 3]);
    const np = pythonTimes(py, [224, 224, 3], null);
    console.log(`MobileNetV2 predict, one 224x224 image: emitted NumPy ${fmt(np.one * 1000, 0)} ms, TF.js (tfjs CPU backend) ${fmt(tfjs * 1000, 0)} ms: ratio ${fmt(np.one / tfjs)} (target <= 1); NumPy import ${fmt(np.import, 2)} s`);
  }
}

graphModelBench();

console.log('\nemitted code at run time (tensor form)');
if (PYTHON && hasTensor('numpy')) {
  const mnist = mlp('mlp-mnist', [784, 256, 256, 10]);
  const py = join(TMP, 'mnist.py');
  measure([CLI, mnist.path, '-f', 'numpy', '--form', 'tensor', '-o', py]);
  const r = pythonTimes(py, [784], mnist.path);
  console.log(`numpy 784-256-256-10: 1000 rows ${fmt(r.rows * 1000, 2)} ms vs hand-written @ ${fmt(r.handRows * 1000, 2)} ms: ratio ${fmt(r.rows / r.handRows)} (target <= 1.3); one row ${fmt(r.one * 1000, 3)} ms (target <= 1); import ${fmt(r.import, 2)} s (target <= 0.5)`);
  const big = mlp('mlp-1.3M', [784, 1024, 512, 10]);
  const pyBig = join(TMP, 'big.py');
  measure([CLI, big.path, '-f', 'numpy', '--form', 'tensor', '-o', pyBig]);
  const rb = pythonTimes(pyBig, [784], null);
  console.log(`numpy 1.3M-parameter MLP: import ${fmt(rb.import, 2)} s (target <= 1.5)`);
}
if (hasTensor('js')) {
  const mnist = mlp('mlp-mnist', [784, 256, 256, 10]);
  const big = mlp('mlp-1.3M', [784, 1024, 512, 10]);
  for (const [label, m] of [['784-256-256-10', mnist], ['1.3M-parameter', big]]) {
    const file = join(TMP, `${label}.mjs`);
    measure([CLI, m.path, '-f', 'js', '--form', 'tensor', '-o', file]);
    const r = jsTimes(file, m.path, 784);
    console.log(`js ${label}: per-sample predict ${fmt(r.per * 1e3, 1)} µs vs hand-written typed-array loop ${fmt(r.hand * 1e3, 1)} µs: ratio ${fmt(r.per / r.hand)} (target <= 2); import + first call ${fmt(r.first, 2)} s (target <= 1)`);
  }
}

cCompiledVsJs();

console.log('\n--verify (TF.js loaded on demand), median of 3');
for (const [label, args] of [
  ['mathematica_3_2_2_2 js', [join(FIX, 'mathematica_3_2_2_2', 'model.json'), '-f', 'js']],
  ['tfjs-layers/cnn js', [join(SHARED, 'tfjs-layers', 'cnn', 'model.json'), '-f', 'js']],
]) {
  if (!existsSync(args[0])) continue;
  const plain = median([0, 1, 2].map(() => measure([CLI, ...args]).seconds));
  const checked = median([0, 1, 2].map(() => measure([CLI, ...args, '--verify']).seconds));
  console.log(`${label.padEnd(24)} convert ${fmt(plain)} s, with --verify ${fmt(checked)} s`);
}

const big = rows.filter((r) => r.name === 'mlp 784-1024-512-10');
console.log(`\ntargets at 1.3M parameters: ratio ${big.map((r) => `${r.format} ${r.form} ${fmt(r.ratio)}`).join(', ')} (<= 1.5); peak RSS ${big.map((r) => `${r.format} ${r.form} ${fmt(r.rss, 0)} MB`).join(', ')} (<= 300 MB)`);

/**
 * C compiled predict vs emitted JS, on the 784-256-256-10 MLP: the C tensor form compiled with
 * gcc -O2 (the scalar form with -O1, see below) and timed inside the C program (clock_gettime around a loop of calls on
 * one row), the JS tensor form timed as above (jsTimes), all in this one run.
 */
function cCompiledVsJs() {
  console.log('\nC compiled predict vs emitted JS (one row per call, 784-256-256-10 MLP)');
  const cc = process.env.NN2EQ_CC || 'gcc';
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).error) {
    console.log(`skipped: ${cc} not found (apt-get install -y gcc)`);
    return;
  }
  const mnist = mlp('mlp-mnist', [784, 256, 256, 10]);
  const dir = join(TMP, 'c-vs-js');
  mkdirSync(dir, { recursive: true });
  // A main() that times predict on one row (x[i] = sin(i), as jsTimes feeds JS): seconds per call, then y[0].
  const timer = `#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void predict(const double *x, double *y);
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv) {
  int n = atoi(argv[1]), m = atoi(argv[2]);
  double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * m), sink = 0;
  for (int i = 0; i < n; i++) x[i] = sin(i);
  for (int i = 0; i < 20; i++) predict(x, y);
  long calls = 16;
  double seconds = 0;
  for (;;) {
    double t = now();
    for (long k = 0; k < calls; k++) {
      predict(x, y);
      sink += y[0];
    }
    seconds = now() - t;
    if (seconds >= 0.3) break;
    calls *= 2;
  }
  printf("%.6g %.17g %.17g\\n", seconds / calls, y[0], sink);
  return 0;
}
`;
  writeFileSync(join(dir, 'time.c'), timer);
  const perCall = {};
  for (const form of ['scalar', 'tensor']) {
    const file = join(dir, `${form}.c`);
    const made = measure([CLI, mnist.path, '-f', 'c', '--form', form, '-o', file]);
    const t0 = process.hrtime.bigint();
    const exe = join(dir, form);
    // The scalar form is one 5.8 MB function of straight-line sums: gcc -O2 ran past 10 minutes and 5 GB on it, -O1 takes about a minute.
    const level = form === 'scalar' ? '-O1' : '-O2';
    const r = spawnSync(cc, ['-std=c99', level, file, join(dir, 'time.c'), '-lm', '-o', exe], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc failed on the ${form} form: ${r.stderr}`);
    const compile = Number(process.hrtime.bigint() - t0) / 1e9;
    const runs = [0, 1, 2].map(() => {
      const t = spawnSync(exe, ['784', '10'], { encoding: 'utf8' });
      if (t.status !== 0) throw new Error(`the ${form} timer failed: ${t.stderr}`);
      return Number(t.stdout.trim().split(' ')[0]);
    });
    perCall[form] = median(runs);
    console.log(`c ${form.padEnd(6)}: per-sample predict ${fmt(perCall[form] * 1e6, 1)} µs (median of 3 runs, each a loop of >= 0.3 s); ${fmt(statSync(file).size / 1e6)} MB of C converted in ${fmt(made.seconds)} s, gcc ${level} ${fmt(compile)} s`);
  }
  const file = join(TMP, 'c-vs-js.mjs');
  measure([CLI, mnist.path, '-f', 'js', '--form', 'tensor', '-o', file]);
  const js = jsTimes(file, mnist.path, 784);
  console.log(`js tensor: per-sample predict ${fmt(js.per * 1e3, 1)} µs (hand-written typed-array loop ${fmt(js.hand * 1e3, 1)} µs)`);
  console.log(`ratios, JS / C: tensor ${fmt((js.per / 1e3) / perCall.tensor)}, scalar ${fmt((js.per / 1e3) / perCall.scalar)}; C scalar / C tensor ${fmt(perCall.scalar / perCall.tensor)}`);
}

/**
 * Conversion time of the 1.33M-parameter MLP (TF.js) and, with `encoder`, of a 6-layer, 512-wide,
 * 8-head transformer encoder (about 19M parameters, ONNX from Debian's torch, seeded weights), to JS
 * and NumPy in the tensor form (and the scalar form for the MLP), as ratios to the floor measured
 * in this run (best of BENCH_RUNS, default 3 for the MLP and 1 for the encoder), with peak RSS.
 */
function conversionBench() {
  const runs = Number(process.env.BENCH_RUNS ?? 0);
  console.log(`\nconversion vs the floor (shortest round-trip float32 text of every weight in a plain loop); best of N by CPU time (user + sys); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('model                   params  format form    N  cpu s  wall s  floor cpu s  ratio  peak RSS MB  floor RSS MB  output MB');
  const row = (name, params, path, floorPath, forms, n, extra = []) => {
    const best = (rs) => rs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
    const f = best(Array.from({ length: n }, () => measure([FLOOR, floorPath])));
    for (const form of forms) {
      for (const format of ['js', 'numpy']) {
        const r = best(Array.from({ length: n }, () => measure([CLI, path, '-f', format, '--form', form, ...extra])));
        rows.push({ name, format, form, ratio: r.cpu / f.cpu, rss: r.rss });
        console.log(`${name.padEnd(22)} ${(params / 1e6).toFixed(2).padStart(6)}M  ${format.padEnd(6)} ${form.padEnd(7)} ${String(n).padStart(2)}  ${fmt(r.cpu).padStart(5)}  ${fmt(r.seconds).padStart(6)}  ${fmt(f.cpu).padStart(11)}  ${fmt(r.cpu / f.cpu).padStart(5)}  ${fmt(r.rss, 0).padStart(11)}  ${fmt(f.rss, 0).padStart(12)}  ${fmt(r.bytes / 1e6).padStart(9)}`);
      }
    }
  };
  const m = mlp('mlp-1.3M', [784, 1024, 512, 10]);
  row('mlp 784-1024-512-10', m.params, m.path, m.path, ['scalar', 'tensor'], runs || 3);
  const e = encoderModel();
  if (e.skipped) console.log(`encoder: skipped (${e.skipped})`);
  else row('encoder 6x512, 8 heads', e.params, e.onnx, e.f32, ['tensor'], runs || 1, ['--max-size', '2GB']);
  console.log('targets: ratio <= 1.5 in both forms; the encoder\'s peak RSS <= 1024 MB');
}

/**
 * nn.TransformerEncoder(6 layers, d_model 512, 8 heads, feed-forward 2048) with seeded weights, one
 * 128-token sequence, exported by Debian's torch at opset 17 into the temp folder shared with
 * bench-convnets (kept between runs), with its float32 initializers dumped raw (*.f32) for the floor.
 */
function encoderModel() {
  const dir = join(tmpdir(), 'nn2eq-bench-convnets');
  mkdirSync(dir, { recursive: true });
  const onnx = join(dir, 'encoder-6x512.onnx');
  const f32 = join(dir, 'encoder-6x512.f32');
  const script = `
import sys, numpy, onnx, torch, torch.nn as nn
from onnx import numpy_helper
torch.manual_seed(0)
m = nn.TransformerEncoder(nn.TransformerEncoderLayer(512, 8, 2048, dropout=0.0, batch_first=True), 6, enable_nested_tensor=False).eval()
# TransformerEncoder deep-copies one layer: each copy gets its own weights (the exporter stores equal ones once).
with torch.no_grad():
    for p in m.parameters():
        p.copy_(torch.randn_like(p) * 0.05)
# The fused fast path of nn.TransformerEncoderLayer has no ONNX export: export with gradients on.
with torch.set_grad_enabled(True):
    torch.onnx.export(m, (torch.rand(1, 128, 512),), sys.argv[1], opset_version=17, input_names=['input'], output_names=['output'], do_constant_folding=True)
ws = [numpy_helper.to_array(t) for t in onnx.load(sys.argv[1]).graph.initializer if t.data_type == onnx.TensorProto.FLOAT]
numpy.concatenate([w.ravel() for w in ws]).astype('<f4').tofile(sys.argv[2])
`;
  if (!existsSync(f32)) {
    const r = spawnSync('/usr/bin/python3', ['-c', script, onnx, f32], { encoding: 'utf8' });
    if (r.status !== 0) return { skipped: `python3-torch or python3-onnx missing, or the export failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  }
  return { onnx, f32, params: statSync(f32).size / 4 };
}

/**
 * Cold start: `nn2eq` on a 20-parameter model against `node -e 0`, runs interleaved, best of 15
 * by wall time (the figure a user waits for) and by CPU time (steadier on a busy machine); returns
 * node's best wall seconds.
 */
function coldStart() {
  console.log(`\ncold start (best of 15, interleaved; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  const small = mlp('mlp-20', [3, 3, 2], 'tanh');
  // CPU time as the process counts it at exit (microseconds; /usr/bin/time rounds to 10 ms), by a hook both commands load.
  const hook = join(TMP, 'cpu-hook.mjs');
  writeFileSync(hook, "import { writeSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.cpuUsage(); writeSync(2, `CPU ${(u.user + u.system) / 1e6}\\n`); });\n");
  const run = (args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--import', hook, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, cpu: Number(/CPU ([\d.e-]+)/.exec(r.stderr)[1]) };
  };
  const bare = [];
  const cold = [];
  for (let i = 0; i < 15; i++) {
    bare.push(run(['-e', '0']));
    cold.push(run([CLI, small.path]));
  }
  const best = (rs, k) => Math.min(...rs.map((r) => r[k]));
  const [bw, cw, bc, cc] = [best(bare, 'seconds'), best(cold, 'seconds'), best(bare, 'cpu'), best(cold, 'cpu')];
  console.log(`node -e 0: ${fmt(bw * 1000, 0)} ms wall, ${fmt(bc * 1000, 0)} ms CPU   nn2eq on a ${small.params}-parameter model: ${fmt(cw * 1000, 0)} ms wall, ${fmt(cc * 1000, 0)} ms CPU   ratio ${fmt(cw / bw)} wall, ${fmt(cc / bc)} CPU (target <= 2)`);
  return bw;
}

/** Debian's python3 with numpy, or null. */
function findPython() {
  for (const exe of [process.env.NN2EQ_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean)) {
    if (spawnSync(exe, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) return exe;
  }
  return null;
}

/**
 * Times an emitted NumPy module: import, 1000 rows, one row (median of 50); with `weightsOf`, also
 * the program a user would write by hand from the same weights (np.maximum(0, x @ W1 + b1) …).
 */
function pythonTimes(file, shape, weightsOf) {
  const script = `
import importlib.util, json, sys, time
import numpy as np
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location('m', sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
imp = time.perf_counter() - t0
shape = tuple(json.loads(sys.argv[2]))
rng = np.random.default_rng(0)
rows = rng.uniform(-1, 1, (1000,) + shape) if len(shape) == 1 else rng.uniform(-1, 1, (1,) + shape)
def best(f, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2]
out = {'import': imp, 'one': best(lambda: m.predict(rows[0]), 50 if len(shape) == 1 else 3)}
if len(shape) == 1:
    out['rows'] = best(lambda: m.predict(rows), 20)
if sys.argv[3] != 'null':
    doc = json.load(open(sys.argv[3]))
    raw = np.fromfile(sys.argv[3].rsplit('/', 1)[0] + '/weights.bin', dtype=np.float32).astype(np.float64)
    ws, at = [], 0
    for w in doc['weightsManifest'][0]['weights']:
        n = int(np.prod(w['shape'])); ws.append(raw[at:at + n].reshape(w['shape'])); at += n
    def hand(x):
        for i in range(0, len(ws) - 2, 2):
            x = np.maximum(0, x @ ws[i] + ws[i + 1])
        return x @ ws[-2] + ws[-1]
    out['handRows'] = best(lambda: hand(rows), 20)
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ['-c', script, file, JSON.stringify(shape), weightsOf ?? 'null'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python timing failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** TF.js (CPU backend) predict time for one input of `shape`, median of 3 after a warm-up. */
function tfjsPredictSeconds(modelJson, shape) {
  const script = `
import * as tf from '@tensorflow/tfjs';
import { loadTfjsModel } from ${JSON.stringify(join(ROOT, 'dist', 'verify', 'oracle.js'))};
const log = console.log; console.log = () => {}; console.warn = () => {};
const m = await loadTfjsModel(tf, process.argv[2]);
const x = tf.randomUniform([1, ...${JSON.stringify(shape)}], -1, 1, 'float32', 1);
m.predict(x).dataSync();
const ts = [];
for (let i = 0; i < 3; i++) { const t = performance.now(); m.predict(x).dataSync(); ts.push(performance.now() - t); }
log(ts.sort((a, b) => a - b)[1] / 1000);
`;
  const file = join(ROOT, 'scripts', `.bench-tfjs-${process.pid}.mjs`);
  writeFileSync(file, script);
  try {
    const r = spawnSync(process.execPath, [file, modelJson], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tfjs timing failed: ${r.stderr}`);
    return Number(r.stdout.trim().split('\n').pop());
  } finally {
    rmSync(file, { force: true });
  }
}

/** Emitted JS module: import + first call, and per-sample predict against a plain typed-array loop over the same weights. */
function jsTimes(file, modelJson, inDim) {
  const script = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const t0 = performance.now();
const { predict } = await import(pathToFileURL(process.argv[2]).href);
const x = Array.from({ length: ${inDim} }, (_, i) => Math.sin(i));
predict(x);
const first = (performance.now() - t0) / 1000;
const doc = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const buf = readFileSync(process.argv[3].replace(/model\\.json$/, 'weights.bin'));
const raw = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const ws = []; let at = 0;
for (const w of doc.weightsManifest[0].weights) { const n = w.shape.reduce((a, b) => a * b, 1); ws.push({ shape: w.shape, v: Float64Array.from(raw.subarray(at, at + n)) }); at += n; }
const bufs = ws.filter((_, i) => i % 2 === 1).map((b) => new Float64Array(b.v.length));
function hand(input) {
  let h = Float64Array.from(input);
  for (let l = 0; l < ws.length; l += 2) {
    const W = ws[l].v, b = ws[l + 1].v, [n, m] = ws[l].shape, out = bufs[l / 2];
    for (let j = 0; j < m; j++) out[j] = b[j];
    for (let i = 0; i < n; i++) { const xi = h[i]; for (let j = 0; j < m; j++) out[j] += xi * W[i * m + j]; }
    if (l + 2 < ws.length) for (let j = 0; j < m; j++) out[j] = out[j] > 0 ? out[j] : 0;
    h = out;
  }
  return h;
}
function time(f) { for (let i = 0; i < 20; i++) f(x); const n = 200, t = performance.now(); for (let i = 0; i < n; i++) f(x); return (performance.now() - t) / n; }
console.log(JSON.stringify({ first, per: time(predict), hand: time(hand) }));
`;
  const runner = join(TMP, 'js-times.mjs');
  writeFileSync(runner, script);
  const r = spawnSync(process.execPath, [runner, file, modelJson], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`js timing failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** blazeface-front, a TF.js graph model: conversion time, and the JS tensor form against TF.js executing the same graph (CPU backend) per image. */
function graphModelBench() {
  const blazeface = join(ROOT, 'test', 'models', 'tfjs-graph', 'blazeface-front', 'model.json');
  if (!existsSync(blazeface)) return;
  // A TF.js graph model: the JS tensor form against TF.js executing the same graph (CPU backend), per image.
  const file = join(TMP, 'blazeface.mjs');
  const conv = [0, 1, 2].map(() => measure([CLI, blazeface, '-f', 'js', '--form', 'tensor', '-o', file]));
  const t = median(conv.map((r) => r.seconds));
  const script = `
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
const [emitted, modelJson] = process.argv.slice(2);
const { log, warn, info } = console;
console.log = console.warn = console.info = () => {};
const tf = await import('@tensorflow/tfjs');
await tf.setBackend('cpu');
await tf.ready();
Object.assign(console, { log, warn, info });
const doc = JSON.parse(readFileSync(modelJson, 'utf8'));
const weightSpecs = doc.weightsManifest.flatMap((g) => g.weights);
const all = Buffer.concat(doc.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(modelJson), p)))));
const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: doc.modelTopology, weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), userDefinedMetadata: doc.userDefinedMetadata }));
const { predict } = await import(pathToFileURL(emitted).href);
const image = Array.from({ length: 128 }, (_, i) => Array.from({ length: 128 }, (_, j) => [((i * 7 + j) % 13) / 13, ((i + j * 3) % 11) / 11, ((i * j) % 17) / 17]));
const x = tf.tensor([image]);
const outs = Object.keys(doc.userDefinedMetadata.signature.outputs);
const tfOnce = () => { const r = model.execute({ input: x }, outs); r.forEach((t) => t.dataSync()); r.forEach((t) => t.dispose()); };
const jsOnce = () => predict(image);
function time(f, n) { for (let i = 0; i < 3; i++) f(); const t = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - t) / n; }
console.log(JSON.stringify({ js: time(jsOnce, 20), tfjs: time(tfOnce, 20) }));
`;
  const driver = join(ROOT, 'scripts', '.bench-blazeface.mjs');
  writeFileSync(driver, script);
  try {
    const r = spawnSync(process.execPath, [driver, file, blazeface], { encoding: 'utf8', cwd: ROOT });
    if (r.status !== 0) throw new Error(r.stderr);
    const { js, tfjs } = JSON.parse(r.stdout.trim().split('\n').pop());
    console.log(`\nblazeface-front (TF.js graph model, 128x128x3, 4 outputs): converted to the JS tensor form in ${fmt(t)} s (median of 3, peak RSS ${fmt(conv[0].rss, 0)} MB, ${fmt(statSync(file).size / 1e6)} MB of text);`);
    console.log(`  predict per image: emitted JS ${fmt(js, 1)} ms, TF.js executing the graph (CPU backend) ${fmt(tfjs, 1)} ms: ratio ${fmt(js / tfjs)} (target < 1)`);
  } finally {
    rmSync(driver, { force: true });
  }
}

// Conv nets per image against onnxruntime-web and the plain-JS floor (issue 26).
spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-convnets.mjs')], { stdio: 'inherit' });
// The transformer encoder per sequence against onnxruntime-web, PyTorch and the plain-JS floor (issue 27).
spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-attention.mjs')], { stdio: 'inherit' });
