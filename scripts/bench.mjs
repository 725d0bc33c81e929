// npm run bench: conversion time and peak memory against a floor, cold start, and depth.
// Figures, not a test: it prints what it measured in this one run.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Runs `node args…` with stdout to a file; returns wall seconds, peak RSS (MB) and output bytes. */
/** Runs the CLI (or node) once; `status` is the exit code the run must end with. */
function measure(args, status = 0) {
  const out = join(TMP, 'out.txt');
  const fd = openSync(out, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  if (r.status !== status) throw new Error(`${args.join(' ')} exited ${r.status}, expected ${status}: ${r.stderr}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { seconds, rss: kb / 1024, bytes: statSync(out).size };
}

const FLOOR = join(TMP, 'floor.mjs');
writeFileSync(
  FLOOR,
  `// The floor: read every weight and print it once, shortest float32 round-trip.
import { readFileSync, writeSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { formatNumber } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};
const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const b = readFileSync(join(dirname(process.argv[2]), doc.weightsManifest[0].paths[0]));
const a = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
const style = { scientific: (m, e) => m + 'e' + e, infinity: 'Infinity', nan: 'NaN' };
const parts = new Array(a.length);
for (let i = 0; i < a.length; i++) parts[i] = formatNumber(a[i], style);
writeSync(1, parts.join('\\n') + '\\n');
`,
);

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x, d = 2) => x.toFixed(d);
const CLI = join(ROOT, 'bin', 'nn2eq.js');
const rows = [];

console.log(`nn2eq benchmark (node ${process.version}, ${new Date().toISOString().slice(0, 10)})\n`);
console.log('conversion vs floor (floor = read every weight, print each once, shortest round-trip)');
console.log('model                      params     format  time s  floor s  ratio  peak RSS MB  floor RSS MB  output MB');
for (const [name, sizes] of [['mlp-10k', [64, 128, 10]], ['mlp-100k', [256, 256, 128, 10]], ['mlp-1.3M', [784, 1024, 512, 10]]]) {
  const m = mlp(name, sizes);
  const floor = [0, 1, 2].map(() => measure([FLOOR, m.path]));
  const fl = { seconds: median(floor.map((f) => f.seconds)), rss: median(floor.map((f) => f.rss)) };
  for (const format of ['js', 'numpy']) {
    const runs = [0, 1, 2].map(() => measure([CLI, m.path, '-f', format]));
    const t = median(runs.map((r) => r.seconds));
    const rss = median(runs.map((r) => r.rss));
    rows.push({ name, format, ratio: t / fl.seconds, rss });
    console.log(`${`${name} ${sizes.join('-')}`.padEnd(26)} ${String(m.params).padStart(9)}  ${format.padEnd(6)} ${fmt(t).padStart(6)}  ${fmt(fl.seconds).padStart(7)}  ${fmt(t / fl.seconds).padStart(5)}  ${fmt(rss, 0).padStart(11)}  ${fmt(fl.rss, 0).padStart(12)}  ${fmt(runs[0].bytes / 1e6).padStart(9)}`);
  }
}

console.log('\ncold start (median of 15 runs)');
const small = mlp('mlp-20', [3, 3, 2], 'tanh');
const bare = median(Array.from({ length: 15 }, () => measure(['-e', '0']).seconds));
const cold = median(Array.from({ length: 15 }, () => measure([CLI, small.path]).seconds));
console.log(`node -e 0: ${fmt(bare * 1000, 0)} ms   nn2eq on a ${small.params}-parameter model: ${fmt(cold * 1000, 0)} ms   ratio ${fmt(cold / bare)} (target <= 2)`);

console.log('\ndepth: 1000-layer narrow MLP (Dense(2, tanh) x 1000)');
const deep = mlp('deep-1000', [2, ...Array(1000).fill(2), 1], 'tanh');
for (const format of ['js', 'latex', 'numpy', 'mathematica']) {
  const d = measure([CLI, deep.path, '-f', format]);
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
    const ten = measure([CLI, join(FIX, 'rnn_lstm_10_steps', 'model.json'), '-f', format]);
    const hundred = measure([CLI, join(dir, 'model.json'), '-f', format]);
    console.log(`${format.padEnd(6)} 10 steps ${fmt(ten.bytes / 1e3, 1)} kB, 100 steps ${fmt(hundred.bytes / 1e3, 1)} kB: ratio ${fmt(hundred.bytes / ten.bytes)} (target about 10); ${fmt(hundred.seconds)} s, ${fmt(hundred.rss, 0)} MB`);
  }
}

const mobilenet = join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json');
if (existsSync(mobilenet)) {
  const r = measure([CLI, mobilenet, '-f', 'js'], 2);
  console.log(`\nMobileNetV2 (nsfwjs, 224x224): refused in ${fmt(r.seconds)} s, peak RSS ${fmt(r.rss, 0)} MB (target: seconds, bounded memory)`);
}

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

const big = rows.filter((r) => r.name === 'mlp-1.3M');
console.log(`\ntargets at 1.3M parameters: ratio ${big.map((r) => `${r.format} ${fmt(r.ratio)}`).join(', ')} (<= 1.5); peak RSS ${big.map((r) => `${r.format} ${fmt(r.rss, 0)} MB`).join(', ')} (<= 300 MB)`);
