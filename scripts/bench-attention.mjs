// The transformer encoder of issue 27, side by side in one run: a 6-layer, 512-wide, 8-head
// nn.TransformerEncoder (about 19M parameters, seeded weights, exported by Debian's torch), one
// 128-token sequence. Conversion time and peak RSS of the NumPy and JS tensor forms; then per
// sequence: onnxruntime-web (wasm, 1 thread, in this process) on the same .onnx, PyTorch (1 thread)
// when installed, the emitted NumPy (1 BLAS thread), C (gcc -O2 and -O3 -march=native, float64 and
// float32) and JS (float64 and float32) against the plain-JS floor, a register-blocked Float32Array
// matrix product written here. Baselines are independent of nn2eq's code. Figures, not a test.
//
//   node scripts/bench-attention.mjs            (after npm run build; npm run bench runs it)
//   BENCH_LAYERS=2 BENCH_WIDTH=128 node scripts/bench-attention.mjs   (a smaller encoder)
//   BENCH_FORMATS=numpy node scripts/bench-attention.mjs                (only these formats' rows: numpy, js, c)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bestOfWallCpu, cMain, floorRates, MALLOC_KEEP, numpyMatmulLimit } from './bench-common.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
// The exported encoder is kept between runs in a shared cache; what this run writes and times (the
// emitted files, C executables) goes in a folder of its own, removed at exit, so two runs at once
// never time each other's files (as in bench-convnets.mjs).
const CACHE = join(tmpdir(), 'nn2eq-bench-attention');
mkdirSync(CACHE, { recursive: true });
const DIR = mkdtempSync(join(tmpdir(), 'nn2eq-bench-attention-run-'));
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }));
const PY = '/usr/bin/python3';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 6);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 512);
const HEADS = Number(process.env.BENCH_HEADS ?? 8);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const FORMATS = new Set((process.env.BENCH_FORMATS ?? 'numpy,js,c').split(','));
const ONE_THREAD = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Multiply-adds per sequence of a tensor program: dense layers and matrix products (attention included). */
function macs(program) {
  const size = (id) => program.tensors[id].shape.reduce((a, b) => a * Math.max(b, 1), 1);
  const last = (id) => program.tensors[id].shape.at(-1);
  let n = 0;
  for (const eq of program.equations) {
    if (eq.op === 'dense') for (let k = 0; k < eq.attrs.pairs; k++) n += size(eq.args[2 * k]) * last(eq.args[2 * k + 1]);
    else if (eq.op === 'matmul') n += size(eq.outs[0]) * last(eq.args[0]);
  }
  return n;
}

/** The encoder as ONNX (opset 17, fixed sequence length), or a reason when torch is missing. */
function exportEncoder() {
  const file = join(CACHE, `encoder-${LAYERS}x${WIDTH}x${HEADS}-${TOKENS}.onnx`);
  if (existsSync(file)) return { file };
  const script = `
import sys, torch
from torch import nn
torch.manual_seed(0)
layers, width, heads, tokens = (int(a) for a in sys.argv[1:5])
layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, batch_first=True)
m = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).eval()
torch.onnx.export(m, torch.rand(1, tokens, width), sys.argv[5], opset_version=17, input_names=['input'], output_names=['output'])
`;
  const r = spawnSync(PY, ['-c', script, LAYERS, WIDTH, HEADS, TOKENS, file], { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: `the torch export failed or python3-torch is missing: ${(r.stderr || '').trim().split('\n').pop()}` };
  return { file };
}

/** PyTorch's own time per sequence (wall and CPU ms), 1 thread, on the same seeded module (NaN when torch is missing). */
function torchMs() {
  const script = `
import sys, time, torch
from torch import nn
torch.set_num_threads(1)
torch.manual_seed(0)
layers, width, heads, tokens, runs = (int(a) for a in sys.argv[1:6])
layer = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, batch_first=True)
m = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False).eval()
x = torch.rand(1, tokens, width)
best = cpu = 1e30
with torch.no_grad():
    m(x)
    for _ in range(runs):
        c = time.process_time(); t = time.perf_counter(); m(x)
        best = min(best, time.perf_counter() - t); cpu = min(cpu, time.process_time() - c)
print(best * 1000, cpu * 1000)
`;
  const r = spawnSync(PY, ['-c', script, LAYERS, WIDTH, HEADS, TOKENS, RUNS], { encoding: 'utf8', env: ONE_THREAD });
  if (r.status !== 0) return { wall: NaN, cpu: NaN };
  const [wall, cpu] = r.stdout.trim().split(/\s+/).map(Number);
  return { wall, cpu };
}

/** Conversion in a child process: seconds and peak RSS (MB), and the text written to `out`. */
function convert(file, format, out, extra = []) {
  const script = `
const { convertFile } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)});
const { closeSync, openSync, writeSync } = await import('node:fs');
const t = performance.now();
const r = await convertFile(process.argv[1], { format: process.argv[2], form: 'tensor', maxSize: 1e12, ...JSON.parse(process.argv[4]) });
const s = (performance.now() - t) / 1000;
// The peak of the conversion alone; then the text is written as the CLI's -o writes it, in 16M-character
// pieces (one writeFileSync would make a UTF-8 Buffer of the whole text beside it, about 240 MB here).
const converting = process.resourceUsage().maxRSS / 1024;
const fd = openSync(process.argv[3], 'w');
for (let i = 0; i < r.text.length; i += 1 << 24) writeSync(fd, r.text.slice(i, i + (1 << 24)));
closeSync(fd);
const params = r.program.tensors.filter((t) => t.kind === 'const').reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
const u = process.resourceUsage();
console.log(JSON.stringify({ s, cpu: (u.userCPUTime + u.systemCPUTime) / 1e6, rss: u.maxRSS / 1024, converting, macs: (${macs.toString()})(r.program), params }));
`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, file, format, out, JSON.stringify(Object.fromEntries(extra))], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`nn2eq -f ${format} failed: ${r.stderr.trim().split('\n').filter((l) => l.trim()).slice(0, 6).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function numpyMs(py, shape, env = {}) {
  const script = `
import importlib.util, sys, time, json
import numpy as np
spec = importlib.util.spec_from_file_location('m', sys.argv[1]); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
shape = tuple(json.loads(sys.argv[2]))
x = np.sin(np.arange(int(np.prod(shape)), dtype=np.float64)).reshape(shape)
m.predict(x)
best = cpu = 1e30
for _ in range(int(sys.argv[3])):
    c = time.process_time(); t = time.perf_counter(); m.predict(x)
    best = min(best, time.perf_counter() - t); cpu = min(cpu, time.process_time() - c)
print(best * 1000, cpu * 1000)
`;
  const r = spawnSync(PY, ['-c', script, py, JSON.stringify(shape), String(RUNS)], { encoding: 'utf8', env: { ...ONE_THREAD, ...env } });
  if (r.status !== 0) {
    console.log(`  numpy failed: ${(r.stderr || '').trim().split('\n').pop()}`);
    return { wall: NaN, cpu: NaN };
  }
  const [wall, cpu] = r.stdout.trim().split(/\s+/).map(Number);
  return { wall, cpu };
}


function cMs(src, n, m, type, flags, tag) {
  const main = join(DIR, `${tag}-main.c`);
  const exe = join(DIR, tag);
  writeFileSync(main, cMain(type, n, m, RUNS, true));
  try {
    execFileSync('gcc', ['-std=c99', ...flags, src, main, '-lm', '-o', exe], { stdio: ['ignore', 'ignore', 'pipe'] });
    const [wall, cpu] = execFileSync(exe, { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
    return { wall, cpu };
  } catch (e) {
    console.log(`  ${tag}: failed: ${String(e.stderr || e.message).split('\n').find((l) => /error/.test(l)) ?? e.message}`);
    return { wall: NaN, cpu: NaN };
  }
}

const e = exportEncoder();
if (e.skipped) {
  console.log(`\ntransformer encoder: skipped (${e.skipped})`);
  process.exit(0);
}
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';
const shape = [1, TOKENS, WIDTH];
const n = shape.reduce((a, b) => a * b, 1);
const session = await ort.InferenceSession.create(readFileSync(e.file), { executionProviders: ['wasm'] });
const xs = new Float32Array(n).map((_, i) => Math.sin(i));
const ortBoth = await bestOfWallCpu(() => session.run({ [session.inputNames[0]]: new ort.Tensor('float32', xs, shape) }), RUNS);
const ortTime = ortBoth.wall;

const floors = floorRates();
const floor = floors.wall;

console.log(`\ntransformer encoder: ${LAYERS} layers, d_model ${WIDTH}, ${HEADS} heads, ${TOKENS} tokens; best of ${RUNS} (onnxruntime-web wasm, 1 thread, in this process)`);
console.log(`plain-JS floor: 4×4 register-blocked Float32Array matrix product 512×256×256: ${fmt(floor)} GMAC/s (by CPU time: ${fmt(floors.cpu)} GMAC/s)`);
console.log('conversion                      time s   cpu s   peak RSS MB  output MB  peak before writing MB');
const texts = {};
let total = NaN;
let params = NaN;
for (const [format, ext, extra] of [['numpy', 'py', []], ['numpy', 'f32.py', [['dtype', 'float32']]], ['js', 'mjs', []], ['js', 'f32.mjs', [['dtype', 'float32']]], ['c', 'c', []], ['c', 'f32.c', [['dtype', 'float32']]]].filter(([f]) => FORMATS.has(f))) {
  const out = join(DIR, `encoder.${ext}`);
  const r = convert(e.file, format, out, extra);
  texts[ext] = out;
  total = r.macs;
  params = r.params;
  if (ext === 'py' || ext === 'mjs') console.log(`nn2eq -f ${format} --form tensor`.padEnd(31), fmt(r.s).padStart(7), fmt(r.cpu).padStart(7), fmt(r.rss, 0).padStart(13), fmt(readFileSync(out).length / 1e6, 1).padStart(10), fmt(r.converting, 0).padStart(29));
}

console.log(`${(params / 1e6).toFixed(1)}M constant elements in the tensor program (weights, and constants the exporter added), ${(total / 1e9).toFixed(2)} GMAC per sequence (its dense layers and matrix products)`);
console.log('per sequence                         ms   vs ORT   GMAC/s  of JS floor');
const line = (target, ms) => {
  const rate = total / (ms / 1000) / 1e9;
  console.log(`${target.padEnd(33)} ${fmt(ms, 1).padStart(8)}  ${fmt(ms / ortTime).padStart(6)}  ${fmt(rate).padStart(7)}  ${fmt(rate / floor).padStart(11)}`);
};
const cpuRows = [['onnxruntime-web wasm 1 thread', ortBoth.cpu]];
line('onnxruntime-web wasm 1 thread', ortTime);
const pt = torchMs();
if (Number.isFinite(pt.wall)) {
  line('PyTorch 1 thread', pt.wall);
  cpuRows.push(['PyTorch 1 thread', pt.cpu]);
} else console.log('PyTorch: skipped (python3-torch is not installed)');
if (texts.py) {
  const np = numpyMs(texts.py, shape);
  line('nn2eq numpy tensor (1 BLAS thread)', np.wall);
  cpuRows.push(['nn2eq numpy tensor (1 BLAS thread)', np.cpu]);
  if (texts['f32.py']) {
    const np32 = numpyMs(texts['f32.py'], shape);
    line('nn2eq numpy tensor float32', np32.wall);
    cpuRows.push(['nn2eq numpy tensor float32', np32.cpu]);
    // glibc keeping freed arrays' memory (bench-common's MALLOC_KEEP): the same file, CPU time only.
    cpuRows.push(['  float64, MALLOC_KEEP', numpyMs(texts.py, shape, MALLOC_KEEP).cpu]);
    cpuRows.push(['  float32, MALLOC_KEEP', numpyMs(texts['f32.py'], shape, MALLOC_KEEP).cpu]);
  }
  const lim = numpyMatmulLimit();
  if (lim.error) console.log(`NumPy's matrix-product rate: failed: ${lim.error}`);
  else {
    console.log(`(NumPy's @ on 1024×1024, 1 BLAS thread: ${fmt(lim.f64)} GMAC/s float64, ${fmt(lim.f32)} float32, by CPU time; BLAS loaded: ${lim.blas})`);
    cpuRows.push(["  its MACs at NumPy's @ float64 rate", (total / lim.f64) / 1e6]);
  }
}
for (const [ext, tag] of [['mjs', 'float64'], ['f32.mjs', 'float32']].filter(([ext]) => texts[ext])) {
  const { predict } = await import(`${pathToFileURL(texts[ext]).href}?${Date.now()}`);
  const t = await bestOfWallCpu(() => predict(xs), RUNS);
  line(`nn2eq js tensor ${tag}`, t.wall);
  cpuRows.push([`nn2eq js tensor ${tag}`, t.cpu]);
}
if (!texts.c) console.log('C rows skipped: BENCH_FORMATS leaves them out');
else if (spawnSync('gcc', ['--version']).status !== 0) console.log('C rows skipped: gcc is not installed');
else {
  for (const [ext, type, tag] of [['c', 'double', 'float64'], ['f32.c', 'float', 'float32']]) {
    for (const [flags, label] of [[['-O2'], 'gcc -O2'], [['-O3', '-march=native'], '-O3 -march=native']]) {
      const t = cMs(texts[ext], n, n, type, flags, `c-${tag}-${flags[0].slice(1)}`);
      line(`nn2eq c ${tag} ${label}`, t.wall);
      cpuRows.push([`nn2eq c ${tag} ${label}`, t.cpu]);
    }
  }
}
// The same runs by CPU time (this process's for ORT and JS, the child's own for NumPy and C), against
// the floor's CPU-time rate: steadier when other work shares the cores.
console.log('by CPU time                             ms   vs ORT   GMAC/s  of JS floor');
for (const [target, ms] of cpuRows) {
  const rate = total / (ms / 1000) / 1e9;
  console.log(`${target.padEnd(33)} ${fmt(ms, 1).padStart(8)}  ${fmt(ms / ortBoth.cpu).padStart(6)}  ${fmt(rate).padStart(7)}  ${fmt(rate / floors.cpu).padStart(11)}`);
}
console.log('targets (issue 27): conversion <= 1.5x the floor (npm run bench, first table), peak RSS <= 1 GB; numpy <= 2x ORT; C -O3 -march=native <= 1x ORT; JS >= 0.8 of the JS floor');
