import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { emitJsTensor } from '../src/emit/js/tensor.js';
import { convertFile, evaluateOutputs, scalarize, type ConvertOptions, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { loadTf, loadTfjsModel, oraclePredict } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { wasmKernels } from '../src/emit/js/wasm.js';
import { FLOAT32_TOLERANCE } from '../src/verify/index.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, SHARED, tmpFile } from './helpers.js';

// --wasm (issue 26): the JS tensor form with its WebAssembly SIMD kernels, on the inputs of every
// fixture's reference.json (TF.js's outputs) and of the ONNX convolutions and matrix products
// PyTorch and ONNX's own suite computed, at the tolerance --verify uses (float64 1e-5 + 1e-4·|want|,
// float32 FLOAT32_TOLERANCE). The kernels are counted as they run, so a module that fell back to
// the plain loops everywhere would fail; and with WebAssembly SIMD gone the plain loops give the
// plain module's numbers exactly.

type Predict = (...inputs: unknown[]) => unknown;
const KERNELS = ['gemm', 'im2col', 'depthwise'] as const;
const calls: Record<string, number> = { gemm: 0, im2col: 0, depthwise: 0 };
const RealInstance = WebAssembly.Instance;

// Every instance the generated modules make counts its kernels' calls.
beforeAll(() => {
  (WebAssembly as { Instance: unknown }).Instance = function Counted(module: WebAssembly.Module, imports: WebAssembly.Imports) {
    const real = new RealInstance(module, imports);
    const exports: Record<string, unknown> = {};
    for (const [k, f] of Object.entries(real.exports)) exports[k] = typeof f === 'function' ? (...a: unknown[]) => (calls[k]++, (f as (...b: unknown[]) => unknown)(...a)) : f;
    return { exports };
  };
});
afterAll(() => {
  (WebAssembly as { Instance: unknown }).Instance = RealInstance;
});

async function load(text: string): Promise<Predict> {
  return ((await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: Predict }).predict;
}

async function wasmForm(model: string, opts: Omit<ConvertOptions, 'format'> = {}): Promise<{ text: string; predict: Predict }> {
  const { text, form } = await convertFile(model, { format: 'js', form: 'tensor', wasm: true, ...opts });
  expect(form).toBe('tensor');
  return { text, predict: await load(text) };
}

/** Runs every case through predict against the reference at the dtype's tolerance; the kernel calls it made. */
function check(predict: Predict, dir: string, dtype: 'float32' | 'float64'): Record<string, number> {
  const [atol, rtol] = dtype === 'float32' ? FLOAT32_TOLERANCE : [1e-5, 1e-4];
  const before = { ...calls };
  readReference(dir).cases.forEach((c, i) => {
    const bad = mismatch(flat(predict(...c.inputs)), flat(c.outputs), atol, rtol);
    expect(bad, `case ${i}: ${bad}`).toBeNull();
  });
  return Object.fromEntries(KERNELS.map((k) => [k, calls[k] - before[k]]));
}

/** A module whose top level calls a dense layer or matrix product in the kernels ran gemm. */
function expectKernels(text: string, ran: Record<string, number>): void {
  if (/^ {2}wasm(Dense|DenseAdd|Matmul)\(/m.test(text)) expect(ran.gemm, 'gemm calls').toBeGreaterThan(0);
}

for (const dtype of ['float64', 'float32'] as const) {
  describe(`--wasm --dtype ${dtype}: every fixture against TF.js (reference.json)`, () => {
    for (const name of fixtureNames()) {
      const dir = join(FIXTURES, name);
      it(name, async () => {
        const { text, predict } = await wasmForm(join(dir, 'model.json'), { ...FIXTURE_OPTIONS[name], dtype });
        expectKernels(text, check(predict, dir, dtype));
      });
    }
  });

  describe(`--wasm --dtype ${dtype}: ONNX convolutions and matrix products against their references`, () => {
    const onnx = join(SHARED, 'onnx');
    const names = readdirSync(onnx).filter((n) => /Conv(?!Transpose)|conv_with|basic_conv|Linear|gemm|matmul/.test(n) && existsSync(join(onnx, n, 'reference.json')));
    it('finds the models', () => expect(names.length).toBeGreaterThan(20));
    for (const name of names) {
      it(name, async () => {
        const { text, predict } = await wasmForm(join(onnx, name, 'model.onnx'), { dtype });
        const ran = check(predict, join(onnx, name), dtype);
        expectKernels(text, ran);
        // A 2-D convolution without groups goes through im2col (in a loop over the batch's images); ONNX's own
        // suite's convolutions take their kernel as an input, which becomes other ops.
        if (/^test_Conv[12]d_(padding|stride)/.test(name)) expect(ran.im2col, 'im2col calls').toBeGreaterThan(0);
      });
    }
  });
}

/**
 * The kernels' edges no fixture reaches (row and column counts past their blocks, padding, strides,
 * dilation, a fused ReLU6, a second input of a dense sum, a broadcast matrix product, depthwise
 * channels that fill the float32 lanes), each against the op's scalarize rule evaluated in float64.
 */
describe('--wasm: ops against their scalarize rule', () => {
  const r = mulberry32(26);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  const relu6 = (b: ProgramBuilder, y: T[]) => b.apply('map', y, { fn: 'relu6', params: [] }, fail);
  const cases: [string, (b: ProgramBuilder, x: T) => T[], number[], (keyof typeof calls)[]][] = [
    ['conv 3×3 stride 2 dilation 2, padded, 5 channels, 11 filters, then ReLU6', (b, x) => relu6(b, b.apply('conv', [x, b.constant('K', [3, 3, 5, 11], rand(495)), b.constant('b', [11], rand(11))], { ...window([3, 3], [2, 2], [2, 2], [2, 1], [4, 6]), groups: 1, bias: true }, fail)), [7, 11, 5], ['im2col', 'gemm']],
    ['conv 1-D, 4 taps, 3 channels, 17 filters, no bias', (b, x) => b.apply('conv', [x, b.constant('K', [4, 3, 17], rand(204))], { ...window([4], [1], [1], [2], [10]), groups: 1, bias: false }, fail), [9, 3], ['im2col', 'gemm']],
    ['dense of 7 rows, two inputs of one sum, 19 units, then ReLU6', (b, x) => {
      const [z] = b.apply('dense', [x, b.constant('A', [5, 19], rand(95)), x, b.constant('B', [5, 19], rand(95)), b.constant('b', [19], rand(19))], { pairs: 2, bias: true }, fail);
      return relu6(b, [z]);
    }, [7, 5], ['gemm']],
    ['matmul [2, 6, 5] x [5, 9]', (b, x) => b.apply('matmul', [x, b.constant('M', [5, 9], rand(45))], {}, fail), [2, 6, 5], ['gemm']],
    ['depthwise 3×3 stride 2, padded, 8 channels, then ReLU6', (b, x) => relu6(b, b.apply('depthwise_conv', [x, b.constant('D', [3, 3, 8, 1], rand(72)), b.constant('b', [8], rand(8))], { ...window([3, 3], [2, 2], [1, 1], [1, 1], [3, 4]), multiplier: 1, bias: true }, fail)), [6, 7, 8], ['depthwise']],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, build, shape, kernels] of cases) {
      it(`${name} (${dtype})`, async () => {
        const b = new ProgramBuilder();
        const x = b.input(shape, 0);
        b.layer = 1;
        const outs = build(b, x);
        const program: TensorProgram = {
          tensors: b.tensors,
          equations: b.equations,
          inputs: [{ name: 'x', tensor: x }],
          outputs: outs.map((t, i) => ({ name: `y${i}`, tensor: t })),
          calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
          layerCount: 1,
          modelName: name,
          file: name,
        };
        const predict = await load(emitJsTensor(program, { inline: false, maxSize: Infinity, modelName: name, wasm: true, ...(dtype === 'float32' ? { dtype } : {}) }));
        const ex = scalarize(program, { stableSoftmax: true });
        const [atol, rtol] = dtype === 'float32' ? [1e-5, 1e-5] : [1e-12, 1e-12];
        const before = { ...calls };
        for (let k = 0; k < 3; k++) {
          const point = Array.from(rand(shape.reduce((a, c) => a * c, 1)));
          const [want] = evaluateOutputs(ex.graph, ex.outputIds, [point]);
          const bad = mismatch(flat(predict(point)), want, atol, rtol);
          expect(bad, `point ${k}: ${bad}`).toBeNull();
        }
        for (const kernel of kernels) expect(calls[kernel] - before[kernel], kernel).toBeGreaterThanOrEqual(3);
      });
    }
  }
});

describe('--wasm: the kernels run where they should, and the plain loops where WebAssembly SIMD is missing', () => {
  it('a strided 3×3 convolution, a dense layer and a depthwise convolution run in the kernels', async () => {
    const before = { ...calls };
    for (const [name, dtype] of [['conv2d_same_strided', 'float32'], ['keras_sequential', 'float64']] as const) {
      const { predict } = await wasmForm(join(FIXTURES, name, 'model.json'), { dtype });
      check(predict, join(FIXTURES, name), dtype);
    }
    // Two channels: they fill float64's two lanes.
    const { predict } = await wasmForm(join(FIXTURES, 'conv2d_separable', 'model.json'));
    check(predict, join(FIXTURES, 'conv2d_separable'), 'float64');
    for (const k of KERNELS) expect(calls[k] - before[k], k).toBeGreaterThan(0);
  });

  it('the kernels\' module is valid WebAssembly, under the 4 KB a browser compiles synchronously on its main thread', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const bytes = wasmKernels(dtype);
      expect(WebAssembly.validate(new Uint8Array(bytes)), dtype).toBe(true);
      expect(bytes.length, dtype).toBeLessThan(4096);
    }
  });

  it('without WebAssembly SIMD (validate says no), the same numbers as the module without --wasm', async () => {
    const model = join(FIXTURES, 'conv2d_same_strided', 'model.json');
    const plain = await load((await convertFile(model, { format: 'js', form: 'tensor' })).text);
    const { text } = await convertFile(model, { format: 'js', form: 'tensor', wasm: true });
    const validate = WebAssembly.validate;
    WebAssembly.validate = () => false;
    const before = { ...calls };
    let fallback: Predict;
    try {
      fallback = await load(text);
    } finally {
      WebAssembly.validate = validate;
    }
    const kernels = await load(text);
    for (const c of readReference(join(FIXTURES, 'conv2d_same_strided')).cases) {
      expect(flat(fallback(...c.inputs))).toEqual(flat(plain(...c.inputs)));
      expect(mismatch(flat(kernels(...c.inputs)), flat(plain(...c.inputs)), 1e-12, 1e-12)).toBeNull();
    }
    const gemm = calls.gemm - before.gemm;
    expect(gemm).toBeGreaterThan(0);
    // Only the module with the kernels called them.
    fallback(...readReference(join(FIXTURES, 'conv2d_same_strided')).cases[0].inputs);
    expect(calls.gemm - before.gemm).toBe(gemm);
  });
});

describe('--wasm on the command line', () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), stdinIsTTY: true });
    return { code, out, err };
  };
  it('--verify checks the kernels\' module against TF.js and states its tolerance', async () => {
    const r = await run([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', 'js', '--wasm', '--dtype', 'float32', '--verify']);
    expect(r.err).toMatch(/js text/);
    expect(r.err).toMatch(/--wasm: the WebAssembly kernels sum in the value type, bias first .*\(atol 1\.00e-4 \+ rtol 0\.001\); their outputs move by up to /);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^const WASM_BYTES = '[A-Za-z0-9+/=]+';$/m);
  });
  it('refuses another format, the scalar form and symbolic weights, in one line each (exit 2)', async () => {
    const model = join(FIXTURES, 'keras_sequential', 'model.json');
    for (const [args, message] of [
      [['-f', 'numpy', '--wasm'], /^nn2eq: --wasm: the numpy format has no WebAssembly kernels; hint: use -f js, or drop --wasm\n$/],
      [['-f', 'js', '--form', 'scalar', '--wasm'], /^nn2eq: --wasm is a tensor-form option/],
      [['-f', 'js', '--wasm', '--weights', 'symbolic'], /^nn2eq: --wasm packs the weights once/],
    ] as const) {
      const r = await run([model, ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
  it('golden: conv2d_same_strided with --wasm --dtype float32', async () => {
    const { text } = await convertFile(join(FIXTURES, 'conv2d_same_strided', 'model.json'), { format: 'js', form: 'tensor', wasm: true, dtype: 'float32' });
    await expect(text).toMatchFileSnapshot('golden/wasm/conv2d_same_strided.mjs');
  });
});

// A real conv net: every kernel at the sizes they are for (3×3 convolutions through im2col, 1×1 ones
// as products, depthwise ones whose channels fill the lanes, ReLU6 fused). Its module runs in a plain
// node process (vitest's transform of 34 MB of text takes a minute).
describe('--wasm --dtype float32 on a real conv net', () => {
  const dir = join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8');
  it.skipIf(!existsSync(dir))('nsfwjs MobileNetV2 (uint8 weights) on a random 224×224×3 image against TF.js predict', async () => {
    const path = join(dir, 'model.json');
    const { text } = await convertFile(path, { format: 'js', form: 'tensor', wasm: true, dtype: 'float32' });
    const r = mulberry32(9);
    const point = Float64Array.from({ length: 224 * 224 * 3 }, () => Math.fround(r()));
    const runner = `import { readFileSync } from 'node:fs';
const calls = { gemm: 0, im2col: 0, depthwise: 0 };
const Real = WebAssembly.Instance;
WebAssembly.Instance = function (m, i) {
  const e = new Real(m, i).exports;
  return { exports: Object.fromEntries(Object.entries(e).map(([k, f]) => [k, typeof f === 'function' ? (...a) => (calls[k]++, f(...a)) : f])) };
};
const { predict } = await import(${JSON.stringify(pathToFileURL(tmpFile('mjs', text)).href)});
const x = JSON.parse(readFileSync(${JSON.stringify(tmpFile('json', JSON.stringify(Array.from(point))))}, 'utf8'));
const flat = (v) => (typeof v === 'number' ? [v] : Array.from(v).flatMap(flat));
process.stdout.write(JSON.stringify({ got: flat(predict(x)), calls }));`;
    const ours = new Promise<{ got: number[]; calls: Record<string, number> }>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', runner], { maxBuffer: 1 << 26 }, (err, out, errText) => (err ? reject(new Error(errText || err.message)) : resolve(JSON.parse(out))));
    });
    const tf = await loadTf();
    const want = (await oraclePredict(await loadTfjsModel(tf, path), [[224, 224, 3]], [point]))[0][0];
    const { got, calls: ran } = await ours;
    const [atol, rtol] = FLOAT32_TOLERANCE;
    const bad = mismatch(got, want, atol, rtol);
    expect(bad, bad ?? '').toBeNull();
    for (const k of KERNELS) expect(ran[k], k).toBeGreaterThan(0);
  }, 120_000);
});
