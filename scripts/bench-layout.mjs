// The NumPy and JS tensor forms of the conv nets per image (issue 26's layout target: a channels-first
// model within 1.1× of the same architecture saved channels-last): torchvision's MobileNetV2 and
// ResNet-18 from ONNX (exported into the folder scripts/bench-convnets.mjs uses; run that first, or
// have python3-torch) and the Keras MobileNetV2 in test/models/nsfwjs, each against
// onnxruntime-web (wasm, 1 thread) on the ONNX file in the same run. Figures, not a test.
//
//   node scripts/bench-layout.mjs        (after npm run build; Debian's python3 with numpy)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bestOfWallCpu, numpyBestMs } from './bench-common.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
// The models exported by bench-convnets.mjs (a shared cache); what this run writes goes in its own folder.
const CACHE = join(tmpdir(), 'nn2eq-bench-convnets');
const DIR = mkdtempSync(join(tmpdir(), 'nn2eq-bench-layout-run-'));
process.on('exit', () => rmSync(DIR, { recursive: true, force: true }));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const { convertFile } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href);
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

async function ortMs(file) {
  const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
  const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i)), [1, 3, 224, 224]);
  return (await bestOfWallCpu(() => session.run({ [session.inputNames[0]]: x }), RUNS)).cpu;
}

/** Best of RUNS calls of predict in NumPy (one BLAS thread), CPU ms; or the error's last line. */
function numpyMs(text, shape, tag) {
  const file = join(DIR, `layout-numpy-${tag}.py`);
  writeFileSync(file, text);
  const r = numpyBestMs(file, shape, RUNS, 'process_time');
  return r.error === undefined ? r.ms : r.error;
}

/** Best of RUNS calls of the JS tensor form's predict, in CPU ms (its own file name: other benches share the folder). */
async function jsMs(text, n, tag) {
  const file = join(DIR, `layout-js-${tag}.mjs`);
  writeFileSync(file, text);
  const { predict } = await import(`${pathToFileURL(file).href}?${Date.now()}`);
  const x = new Float32Array(n).map((_, i) => Math.sin(i));
  return (await bestOfWallCpu(() => predict(x), RUNS)).cpu;
}

const models = [
  ['mobilenet_v2 (ONNX)', join(CACHE, 'mobilenet_v2.onnx')],
  ['resnet18 (ONNX)', join(CACHE, 'resnet18.onnx')],
  ['mobilenet_v2 (Keras)', join(ROOT, 'test', 'models', 'nsfwjs', 'mobilenet_v2_quant_uint8', 'model.json')],
];
console.log(`\nNumPy (one BLAS thread) and JS (float64) tensor forms, one 224×224 image, best of ${RUNS} by CPU time (steadier than wall time on a shared machine); onnxruntime-web wasm 1 thread on the ONNX file (the Keras rows: on the torchvision MobileNetV2)`);
console.log('model                  numpy ms  vs ORT     js ms  vs ORT    ORT ms  transposes printed');
let ortMobileNet = NaN;
for (const [name, file] of models) {
  if (!existsSync(file)) {
    console.log(`${name}: skipped (${file} is missing: run node scripts/bench-convnets.mjs first, which exports it with python3-torch)`);
    continue;
  }
  const { text, program } = await convertFile(file, { format: 'numpy', form: 'tensor' });
  const shape = program.inputs[0].tensor.shape;
  const ms = numpyMs(text, shape, name.replace(/\W+/g, '_'));
  const js = await convertFile(file, { format: 'js', form: 'tensor' });
  const jsTime = await jsMs(js.text, shape.reduce((a, b) => a * b, 1), name.replace(/\W+/g, '_'));
  const ortTime = file.endsWith('.onnx') ? await ortMs(file) : ortMobileNet;
  if (name.startsWith('mobilenet_v2 (ONNX)')) ortMobileNet = ortTime;
  const transposes = (text.match(/_transpose\(/g) ?? []).length - (text.match(/def _transpose\(/g) ?? []).length;
  const np = typeof ms === 'string' ? NaN : ms;
  if (typeof ms === 'string') console.log(`${name.padEnd(21)} numpy failed: ${ms}`);
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log(`${name.padEnd(21)} ${f(np).padStart(9)} ${f(np / ortTime, 2).padStart(7)} ${f(jsTime).padStart(9)} ${f(jsTime / ortTime, 2).padStart(7)} ${f(ortTime).padStart(9)}  ${transposes}`);
}
