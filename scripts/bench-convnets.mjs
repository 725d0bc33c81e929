// Conv nets per image, side by side in one run (issue 26): nn2eq's JS tensor form (float64 and
// --dtype float32, each without and with --wasm's WebAssembly SIMD kernels) and C tensor form (gcc -O2 and -O3 -march=native, float64 and float32) against
// onnxruntime-web (wasm, 1 thread, in this process) on the same .onnx, and against a plain-JS
// register-blocked Float32Array matrix product written here (the "floor": the MAC rate plain JS
// reaches on this machine). Baselines are independent of nn2eq's code. Figures, not a test.
//
//   node scripts/bench-convnets.mjs            (after npm run build; npm run bench runs it last)
//
// The torchvision models (seeded weights, 224×224) are exported by Debian's python3-torch into a
// temporary folder; without torch those rows are skipped with a message.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bestOfWallCpu, cMain, floorRates, MALLOC_KEEP, numpyBestMs, numpyMatmulLimit } from './bench-common.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
// The exported models are kept between runs in a shared cache (each written under a temporary name
// and renamed, so a concurrent run never reads half a file); everything this run writes and times
// (JS modules, C sources, executables) goes in a folder of its own, removed at exit, so two copies
// of the bench running at once never time each other's files.
const CACHE = join(tmpdir(), 'nn2eq-bench-convnets');
mkdirSync(CACHE, { recursive: true });
const DIR = mkdtempSync(join(tmpdir(), 'nn2eq-bench-convnets-run-'));
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }));
const PY = '/usr/bin/python3';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/** Multiply-adds per image of a tensor program: convolutions, depthwise convolutions, dense layers and matrix products. */
function macs(program) {
  const size = (id) => program.tensors[id].shape.reduce((a, b) => a * Math.max(b, 1), 1);
  const last = (id) => program.tensors[id].shape.at(-1);
  let n = 0;
  for (const eq of program.equations) {
    if (eq.op === 'conv') n += (size(eq.outs[0]) * size(eq.args[1])) / last(eq.args[1]);
    else if (eq.op === 'depthwise_conv') {
      const d = program.tensors[eq.args[1]].shape;
      n += (size(eq.outs[0]) * size(eq.args[1])) / (d.at(-1) * d.at(-2));
    } else if (eq.op === 'dense') for (let k = 0; k < eq.attrs.pairs; k++) n += size(eq.args[2 * k]) * last(eq.args[2 * k + 1]);
    else if (eq.op === 'matmul') n += size(eq.outs[0]) * last(eq.args[0]);
  }
  return n;
}

/** torchvision models with seeded weights, exported by Debian's torch; null with a reason when torch is missing. */
function exportTorchvision(name) {
  const file = join(CACHE, `${name}.onnx`);
  if (existsSync(file)) return { file };
  const part = join(DIR, `${name}.onnx`);
  const script = `
import sys, torch, torchvision
torch.manual_seed(0)
m = getattr(torchvision.models, sys.argv[1])().eval()
torch.onnx.export(m, torch.rand(1, 3, 224, 224), sys.argv[2], opset_version=13, input_names=['input'], output_names=['output'])
`;
  const r = spawnSync(PY, ['-c', script, name, part], { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: `torchvision export failed or python3-torch missing: ${(r.stderr || '').trim().split('\n').pop()}` };
  renameSync(part, file);
  return { file };
}

/** PyTorch's own CPU ms per image (1 thread, best of RUNS after a warm-up) on the same seeded torchvision model, or NaN with a message. */
function torchMs(name) {
  const script = `
import sys, time, torch, torchvision
torch.set_num_threads(1)
torch.manual_seed(0)
m = getattr(torchvision.models, sys.argv[1])().eval()
x = torch.rand(1, 3, 224, 224)
best = 1e9
with torch.no_grad():
    m(x)
    for _ in range(int(sys.argv[2])):
        t = time.process_time(); m(x); best = min(best, time.process_time() - t)
print(best * 1000)
`;
  const r = spawnSync(PY, ['-c', script, name, String(RUNS)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } });
  if (r.status === 0) return Number(r.stdout.trim());
  console.log(`  PyTorch row skipped (python3-torch missing or failed): ${(r.stderr || '').trim().split('\n').pop()}`);
  return NaN;
}

const { convertFile } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

async function ortMs(file, shape) {
  const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
  const x = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)), shape);
  return bestOfWallCpu(() => session.run({ [session.inputNames[0]]: x }), RUNS);
}

async function jsMs(text, n, tag) {
  const file = join(DIR, `${tag}.mjs`);
  writeFileSync(file, text);
  const { predict } = await import(`${pathToFileURL(file).href}?${Date.now()}`);
  const x = new Float32Array(n).map((_, i) => Math.sin(i));
  return bestOfWallCpu(() => predict(x), RUNS);
}

/** Best of RUNS calls of the NumPy tensor form's predict (one BLAS thread, Debian's python3), by CPU time, in ms; NaN with a message when it fails. */
function numpyMs(text, shape, tag, env = {}) {
  const file = join(DIR, `${tag}.py`);
  writeFileSync(file, text);
  const r = numpyBestMs(file, shape, RUNS, 'process_time', env);
  if (r.error === undefined) return r.ms;
  console.log(`  ${tag}: failed: ${r.error}`);
  return NaN;
}

const CC = spawnSync('gcc', ['--version']).status === 0 ? 'gcc' : null;

function cMs(text, n, m, type, flags, tag) {
  try {
    return cMsOrThrow(text, n, m, type, flags, tag);
  } catch (e) {
    console.log(`  ${tag}: failed: ${String(e.stderr || e.message).split('\n').find((l) => /error/.test(l)) ?? e.message}`);
    return NaN;
  }
}

function cMsOrThrow(text, n, m, type, flags, tag) {
  const src = join(DIR, `${tag}.c`);
  const main = join(DIR, `${tag}-main.c`);
  const exe = join(DIR, tag);
  writeFileSync(src, text);
  writeFileSync(main, cMain(type, n, m, RUNS, true));
  execFileSync(CC, ['-std=c99', '-Wall', '-Werror', ...flags, src, main, '-lm', '-o', exe]);
  // The best CPU-time ms (the second of the two figures cMain prints with `cpu`).
  return Number(execFileSync(exe, { encoding: 'utf8' }).trim().split(/\s+/)[1]);
}

const floors = floorRates();
const floor = floors.wall;
console.log(`\nconv nets, one 224×224 image, best of ${RUNS} (node ${process.version}; onnxruntime-web ${ort.env.versions?.web ?? ''} wasm, 1 thread, in this process)`);
console.log(`plain-JS floor: 4×4 register-blocked Float32Array matrix product 512×256×256: ${fmt(floor)} GMAC/s (by CPU time: ${fmt(floors.cpu)} GMAC/s)`);
console.log('(ORT and JS rows: wall ms, then in brackets ms by CPU time and its fraction of the floor\'s CPU-time rate; the NumPy and C rows are by CPU time, and their "vs ORT" is against ORT\'s CPU time)');
const npLimit = process.env.BENCH_NUMPY !== '0' ? numpyMatmulLimit() : null;
if (npLimit?.error) console.log(`NumPy's matrix-product rate: failed: ${npLimit.error}`);
else if (npLimit) console.log(`NumPy's @ on 1024×1024, 1 BLAS thread: ${fmt(npLimit.f64)} GMAC/s float64, ${fmt(npLimit.f32)} float32 (CPU time; BLAS loaded: ${npLimit.blas})`);
if (npLimit) console.log(`(NumPy rows "MALLOC_KEEP": the same file with ${Object.entries(MALLOC_KEEP).map(([k, v]) => `${k}=${v}`).join(' ')}, glibc then keeps freed arrays' memory instead of page-faulting it in again)`);
console.log('model                 target                               ms/image  vs ORT   GMAC/s  of JS floor');

const models = [];
for (const name of ['mobilenet_v2', 'resnet18']) {
  const e = exportTorchvision(name);
  if (e.skipped) console.log(`${name}: skipped (${e.skipped})`);
  else models.push({ name: `${name} (ONNX)`, file: e.file, onnx: e.file, torchvision: name });
}
const keras = join(ROOT, 'test', 'models', 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json');
if (existsSync(keras)) models.push({ name: 'mobilenet_v2 (Keras)', file: keras, onnx: models.find((m) => m.name.startsWith('mobilenet_v2'))?.onnx, twin: true });

// BENCH_ONLY=regex keeps the models whose name matches (e.g. BENCH_ONLY=mobilenet); BENCH_C=0, BENCH_JS=0, BENCH_NUMPY=0 and BENCH_TORCH=0 leave those rows out.
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : null;
for (const model of models.filter((m) => !only || only.test(m.name))) {
  const line = (target, ms, ort, cpu) => {
    const rate = model.macs / (ms / 1000) / 1e9;
    const byCpu = cpu === undefined ? '' : `  [cpu ${fmt(cpu, 1)} ms, ${fmt(model.macs / (cpu / 1000) / 1e9 / floors.cpu)} of floor]`;
    console.log(`${model.name.padEnd(21)} ${target.padEnd(36)} ${fmt(ms, 1).padStart(8)}  ${fmt(ms / ort).padStart(5)}  ${fmt(rate).padStart(7)}  ${fmt(rate / floor).padStart(11)}${byCpu}`);
  };
  const js64 = await convertFile(model.file, { format: 'js', form: 'tensor' });
  model.macs = macs(js64.program);
  const nIn = js64.program.inputs.reduce((n, p) => n + p.tensor.shape.reduce((a, b) => a * b, 1), 0);
  const nOut = js64.program.outputs.reduce((n, p) => n + p.tensor.shape.reduce((a, b) => a * b, 1), 0);
  const ortBoth = model.onnx ? await ortMs(model.onnx, [1, 3, 224, 224]) : { wall: NaN, cpu: NaN };
  const ortTime = ortBoth.wall;
  console.log(`${model.name.padEnd(21)} ${(model.twin ? 'MACs per image (ORT: the torchvision twin)' : 'MACs per image').padEnd(36)} ${(model.macs / 1e6).toFixed(0)}M`);
  line('onnxruntime-web wasm 1 thread', ortTime, ortTime, ortBoth.cpu);
  if (model.torchvision && process.env.BENCH_TORCH !== '0') line('PyTorch 1 thread (CPU ms)', torchMs(model.torchvision), ortBoth.cpu);
  if (process.env.BENCH_JS !== '0') {
    const t64 = await jsMs(js64.text, nIn, 'js64');
    line('nn2eq js tensor float64', t64.wall, ortTime, t64.cpu);
    const js32 = await convertFile(model.file, { format: 'js', form: 'tensor', dtype: 'float32' });
    const t32 = await jsMs(js32.text, nIn, 'js32');
    line('nn2eq js tensor float32', t32.wall, ortTime, t32.cpu);
    // --wasm: the same module with its WebAssembly SIMD kernels (f64x2 in float64, f32x4 in float32).
    for (const dtype of ['float64', 'float32']) {
      const w = await convertFile(model.file, { format: 'js', form: 'tensor', dtype, wasm: true });
      const t = await jsMs(w.text, nIn, `wasm-${dtype}`);
      line(`nn2eq js tensor ${dtype} --wasm`, t.wall, ortTime, t.cpu);
      if (dtype === 'float32') console.log(`${model.name.padEnd(21)} ${'  (--wasm float32 vs ORT by CPU time)'.padEnd(36)} ${fmt(t.cpu / ortBoth.cpu).padStart(15)}`);
    }
  }
  if (process.env.BENCH_NUMPY !== '0') {
    const np = await convertFile(model.file, { format: 'numpy', form: 'tensor' });
    const ms = numpyMs(np.text, np.program.inputs[0].tensor.shape, 'numpy');
    line('nn2eq numpy tensor (CPU ms, 1 BLAS thread)', ms, ortBoth.cpu);
    const np32 = await convertFile(model.file, { format: 'numpy', form: 'tensor', dtype: 'float32' });
    line('nn2eq numpy tensor float32 (CPU ms)', numpyMs(np32.text, np32.program.inputs[0].tensor.shape, 'numpy32'), ortBoth.cpu);
    line('  float64, MALLOC_KEEP (CPU ms)', numpyMs(np.text, np.program.inputs[0].tensor.shape, 'numpy', MALLOC_KEEP), ortBoth.cpu);
    line('  float32, MALLOC_KEEP (CPU ms)', numpyMs(np32.text, np32.program.inputs[0].tensor.shape, 'numpy32', MALLOC_KEEP), ortBoth.cpu);
    // The NumPy form cannot beat its MACs at the rate of NumPy's own @ (float64) on this machine.
    if (npLimit?.f64) console.log(`${model.name.padEnd(21)} ${'  its MACs at NumPy @ float64 rate'.padEnd(36)} ${fmt(model.macs / npLimit.f64 / 1e6, 1).padStart(8)}  ${fmt(model.macs / npLimit.f64 / 1e6 / ortBoth.cpu).padStart(5)}  (the NumPy row reaches ${fmt(model.macs / npLimit.f64 / 1e6 / ms)} of this limit)`);
  }
  if (process.env.BENCH_C === '0') continue;
  if (!CC) {
    console.log(`${model.name.padEnd(21)} C rows skipped: gcc is not installed`);
    continue;
  }
  for (const dtype of ['float64', 'float32']) {
    const { text } = await convertFile(model.file, { format: 'c', form: 'tensor', dtype });
    const type = dtype === 'float32' ? 'float' : 'double';
    line(`nn2eq c ${dtype} gcc -O2 (CPU ms)`, cMs(text, nIn, nOut, type, ['-O2'], `c-${dtype}-O2`), ortBoth.cpu);
    line(`nn2eq c ${dtype} -O3 -march=native (CPU)`, cMs(text, nIn, nOut, type, ['-O3', '-march=native'], `c-${dtype}-O3`), ortBoth.cpu);
  }
}
