import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitJsTensor } from '../src/emit/js/tensor.js';
import { convertFile, evaluateOutputs, loadModel, scalarize, type ConvertOptions, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { loadTf, loadTfjsModel, oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, SHARED, tmpDir, tmpFile, type Reference } from './helpers.js';

/** Where the shared models live (one constant, to repoint at test/models once they are copied in; NN2EQ_MODELS overrides). */
const MODELS = process.env.NN2EQ_MODELS ?? SHARED;

type Predict = (...inputs: unknown[]) => unknown;

/** The tensor form of a model, as JS text and as an imported module. */
async function tensorForm(model: string, opts: Omit<ConvertOptions, 'format'> & { weights?: string } = {}): Promise<{ text: string; predict: Predict }> {
  const { text, form } = await convertFile(model, { format: 'js', form: 'tensor', ...opts });
  expect(form).toBe('tensor');
  const mod = (await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: Predict; default: Predict };
  expect(mod.default).toBe(mod.predict);
  return { text, predict: mod.predict };
}

/**
 * Runs a module's predict on every case in a plain node process: vitest would pass a large module
 * (MobileNetV2's is 34 MB) through its transform first, which takes a minute.
 */
function predictInNode(text: string, cases: unknown[][]): Promise<number[][]> {
  const module = pathToFileURL(tmpFile('mjs', text)).href;
  const input = tmpFile('json', JSON.stringify(cases));
  const runner = `import { readFileSync } from 'node:fs';
const { predict } = await import(${JSON.stringify(module)});
const flat = (v) => (typeof v === 'number' ? [v] : Array.from(v).flatMap(flat));
const cases = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'));
process.stdout.write(JSON.stringify(cases.map((c) => flat(predict(...c)))));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', runner], { maxBuffer: 1 << 26 }, (err, out, errText) => (err ? reject(new Error(errText || err.message)) : resolve(JSON.parse(out) as number[][])));
  });
}

/** Every case of `ref` through predict, against its outputs at atol 1e-5 + rtol 1e-4. */
function compare(predict: Predict, ref: Reference): void {
  ref.cases.forEach((c, i) => {
    const bad = mismatch(flat(predict(...c.inputs)), flat(c.outputs), 1e-5, 1e-4);
    expect(bad, `case ${i}: ${bad}`).toBeNull();
  });
}

/** Fixtures that hold another fixture's weights in another layout: their text is that fixture's. */
const SAME_OUTPUT_AS: Record<string, string> = { two_shards: 'quant_base' };

describe('JS tensor form: every fixture against TF.js (reference.json)', () => {
  for (const name of fixtureNames()) {
    const dir = join(FIXTURES, name);
    const timesteps = FIXTURE_OPTIONS[name]?.timesteps;
    it(name, async () => {
      const ref = readReference(dir);
      const { text, predict } = await tensorForm(join(dir, 'model.json'), FIXTURE_OPTIONS[name]);
      compare(predict, ref);
      if (timesteps === undefined && !(name in SAME_OUTPUT_AS)) await expect(text).toMatchFileSnapshot(`golden/tensor/${name}.mjs`);
    }, 60_000);
    if (timesteps !== undefined) {
      it(`${name} without --timesteps: any length, run at the reference's ${timesteps} steps`, async () => {
        const { text, predict } = await tensorForm(join(dir, 'model.json'));
        expect(text).toMatch(/steps1 = input1\.length/);
        compare(predict, readReference(dir));
        await expect(text).toMatchFileSnapshot(`golden/tensor/${name}.mjs`);
      });
    }
  }
});

describe('JS tensor form: --precision', () => {
  it('rounds every weight to N significant digits in Float64Array rows, and stays close', async () => {
    const dir = join(FIXTURES, 'mathematica_3_2_2_2');
    const { text, predict } = await tensorForm(join(dir, 'model.json'), { precision: 3 });
    expect(text).not.toMatch(/Float32Array/);
    const ref = readReference(dir);
    ref.cases.forEach((c, i) => expect(mismatch(flat(predict(...c.inputs)), flat(c.outputs), 0.02, 0.02), `case ${i}`).toBeNull());
    await expect(text).toMatchFileSnapshot('golden/tensor/mathematica_3_2_2_2.precision3.mjs');
  });
});

/**
 * Recurrent fixtures with their time axis made undefined (None) in a copy of the model.json: the
 * tensor form loops over any length, checked against TF.js predicting the same files at other lengths.
 */
const RECURRENT = [
  'rnn_bidirectional_ave', 'rnn_bidirectional_concat', 'rnn_bidirectional_mul', 'rnn_bidirectional_none', 'rnn_bidirectional_sum',
  'rnn_gru_backwards', 'rnn_gru_no_bias', 'rnn_lstm_state', 'rnn_simple_stacked', 'shape_time_distributed',
];

describe('JS tensor form: a time axis of any length, against TF.js at lengths 1, 2 and 7', () => {
  for (const name of RECURRENT) {
    it(name, async () => {
      const dir = tmpDir();
      const doc = JSON.parse(readFileSync(join(FIXTURES, name, 'model.json'), 'utf8'));
      let width = 0;
      for (const layer of doc.modelTopology.config.layers) {
        const shape = layer.config.batch_input_shape as (number | null)[] | undefined;
        if (shape?.length === 3) {
          width = shape[2]!;
          layer.config.batch_input_shape = [null, null, width];
        }
      }
      expect(width).toBeGreaterThan(0);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
      for (const f of readdirSync(join(FIXTURES, name)).filter((f) => f.endsWith('.bin'))) copyFileSync(join(FIXTURES, name, f), join(dir, f));
      const { predict } = await tensorForm(join(dir, 'model.json'));
      const tf = await loadTf();
      const model = await loadTfjsModel(tf, join(dir, 'model.json'));
      const r = mulberry32(11);
      for (const steps of [1, 2, 7]) {
        const x = Array.from({ length: steps }, () => Array.from({ length: width }, () => Math.fround(r() * 2 - 1)));
        const want = (await oraclePredict(model, [[steps, width]], [Float64Array.from(x.flat())])).flatMap((y) => y[0]);
        const bad = mismatch(flat(predict(x)), want, 1e-5, 1e-4);
        expect(bad, `${steps} steps: ${bad}`).toBeNull();
      }
    }, 60_000);
  }

  it('refuses inputs whose size is not a whole number of steps, and empty ones', async () => {
    const { predict } = await tensorForm(join(FIXTURES, 'rnn_timesteps_none', 'model.json'));
    expect(() => predict([[1, 2, 3], [4, 5]])).toThrow(/input1 should hold T × 3 numbers for some T ≥ 1, got 5/);
    expect(() => predict([])).toThrow(/got 0/);
  });
});

describe('JS tensor form: the calling convention', () => {
  it('takes nested arrays or typed arrays, checks the count, returns arrays in the output shape', async () => {
    const dir = join(FIXTURES, 'functional_chain');
    const ref = readReference(dir);
    const { predict } = await tensorForm(join(dir, 'model.json'));
    const c = ref.cases[0];
    const out = predict(...c.inputs.map((x) => Float32Array.from(flat(x))));
    expect(mismatch(flat(out), flat(c.outputs), 1e-5, 1e-4)).toBeNull();
    expect(JSON.stringify(shapeOf(out))).toBe(JSON.stringify(shapeOf(c.outputs.length === 1 ? c.outputs[0] : c.outputs)));
    expect(() => predict(...c.inputs.map((x) => [...flat(x), 0]))).toThrow(RangeError);
  });
});

function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : [];
}

/** tfjs-layers/mlp carries TF.js's own predictions as xs/ys files. */
function xsYsReference(dir: string): Reference {
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown[];
  const [xShape] = read('xs-shapes.json') as number[][];
  const [yShape] = read('ys-shapes.json') as number[][];
  const xs = flat(read('xs-data.json'));
  const ys = flat(read('ys-data.json'));
  const nx = xShape.slice(1).reduce((a, b) => a * b, 1);
  const ny = yShape.slice(1).reduce((a, b) => a * b, 1);
  return {
    input_shapes: [xShape.slice(1)],
    output_shapes: [yShape.slice(1)],
    cases: Array.from({ length: xShape[0] }, (_, i) => ({ inputs: [xs.slice(i * nx, (i + 1) * nx)], outputs: [ys.slice(i * ny, (i + 1) * ny)] })),
  };
}

/** A test on a shared model: skipped with a visible reason when the model is absent. */
function withModel(name: string, path: string, fn: () => Promise<void>, timeout = 60_000) {
  if (existsSync(path)) it(name, fn, timeout);
  else it.skip(`${name} [missing ${path}]`, fn);
}

describe('JS tensor form: shared models', () => {
  const layers = join(MODELS, 'tfjs-layers');
  withModel('tfjs-layers/mlp (TF.js xs/ys files)', join(layers, 'mlp'), async () => {
    const { predict } = await tensorForm(join(layers, 'mlp', 'model.json'));
    compare(predict, xsYsReference(join(layers, 'mlp')));
  });
  withModel('tfjs-layers/gru (Embedding, GRU) with its time axis made undefined, against TF.js at 1, 5 and 13 ids', join(layers, 'gru'), async () => {
    const dir = tmpDir();
    const doc = JSON.parse(readFileSync(join(layers, 'gru', 'model.json'), 'utf8'));
    const config = doc.modelTopology.config;
    const first = (Array.isArray(config) ? config : config.layers)[0].config;
    expect(first.batch_input_shape).toHaveLength(2);
    first.batch_input_shape = [null, null];
    delete first.input_length;
    writeFileSync(join(dir, 'model.json'), JSON.stringify(doc));
    copyFileSync(join(layers, 'gru', 'weights.bin'), join(dir, 'weights.bin'));
    const { predict } = await tensorForm(join(dir, 'model.json'));
    const model = await loadTfjsModel(await loadTf(), join(dir, 'model.json'));
    for (const steps of [1, 5, 13]) {
      const ids = Array.from({ length: steps }, (_, i) => (i * 7 + 3) % 20);
      const want = (await oraclePredict(model, [[steps]], [Float64Array.from(ids)])).flatMap((y) => y[0]);
      const bad = mismatch(flat(predict(ids)), want, 1e-5, 1e-4);
      expect(bad, `${steps} ids: ${bad}`).toBeNull();
    }
  });
  for (const name of ['cnn', 'functional_merge', 'simple_rnn', 'gru']) {
    withModel(`tfjs-layers/${name} (reference.json)`, join(layers, name), async () => {
      const { predict } = await tensorForm(join(layers, name, 'model.json'));
      compare(predict, readReference(join(layers, name)));
    });
  }

  // hls4ml's Keras files have no predictions beside them: TF.js predicts the same loaded model.
  for (const name of ['KERAS_3layer', 'KERAS_3layer_batch_norm', 'KERAS_lstm_model']) {
    const dir = join(MODELS, 'hls4ml', name);
    withModel(`hls4ml/${name} (TF.js predict)`, dir, async () => {
      const path = join(dir, `${name}.json`);
      const weights = join(dir, `${name}_weights.h5`);
      const { predict } = await tensorForm(path, { weights });
      const spec = await loadModel(path, { weights });
      const oracle = await oracleModel(spec);
      const shape = (oracle.inputs[0].shape as (number | null)[]).slice(1) as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const r = mulberry32(3);
      const points = Array.from({ length: 8 }, () => Float64Array.from({ length: n }, () => Math.fround(r() * 4 - 2)));
      const [want] = await oraclePredict(oracle, [shape], points);
      points.forEach((p, i) => {
        const bad = mismatch(flat(predict(Array.from(p))), want[i], 1e-5, 1e-4);
        expect(bad, `point ${i}: ${bad}`).toBeNull();
      });
    });
  }

  const mobilenet = join(MODELS, 'nsfwjs', 'mobilenet_v2_quant_uint8');
  withModel('nsfwjs MobileNetV2 (uint8 weights) on 2 random 224×224×3 images against TF.js predict', mobilenet, async () => {
    const path = join(mobilenet, 'model.json');
    const { text } = await convertFile(path, { format: 'js', form: 'tensor' });
    const r = mulberry32(9);
    const points = [0, 1].map(() => Float64Array.from({ length: 224 * 224 * 3 }, () => Math.fround(r())));
    const ours = predictInNode(text, points.map((p) => [Array.from(p)]));
    const tf = await loadTf();
    const want = (await oraclePredict(await loadTfjsModel(tf, path), [[224, 224, 3]], points))[0];
    const got = await ours;
    points.forEach((_, i) => {
      const bad = mismatch(got[i], want[i], 1e-5, 1e-4);
      expect(bad, `image ${i}: ${bad}`).toBeNull();
    });
  }, 60_000);
});

/**
 * Ops in settings no fixture reaches (grouped and 3-D convolutions, depthwise multipliers, Dot on
 * other axes, reductions over several axes, broadcasts in the middle), each checked against the op's
 * scalarize rule in ops.ts evaluated in float64: the semantics the printer must match.
 */
describe('JS tensor form: ops against their scalarize rule', () => {
  const r = mulberry32(21);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  const cases: [string, (b: ProgramBuilder, x: T) => T[], number[]][] = [
    ['conv 2-D, 2 groups, strides and dilation, padded', (b, x) => b.apply('conv', [x, b.constant('K', [2, 3, 2, 6], rand(72)), b.constant('b', [6], rand(6))], { ...window([2, 3], [2, 1], [1, 2], [1, 2], [3, 4]), groups: 2, bias: true }, fail), [5, 4, 4]],
    // Rows wide enough for the 4-pixel blocks of conv: padded edges, a last partial block, filters past a multiple of four.
    ['conv 2-D, 3×3 padded, 11 columns, 6 filters', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 5, 6], rand(270)), b.constant('b', [6], rand(6))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [4, 11]), groups: 1, bias: true }, fail), [4, 11, 5]],
    ['conv 2-D, 3×3 stride 2, 17 columns, 8 filters', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 3, 8], rand(216))], { ...window([3, 3], [2, 2], [1, 1], [0, 0], [2, 8]), groups: 1, bias: false }, fail), [5, 17, 3]],
    ['conv 2-D, one channel and one filter per group (depthwise), padded', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 1, 4], rand(36)), b.constant('b', [4], rand(4))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [3, 5]), groups: 4, bias: true }, fail), [3, 5, 4]],
    ['conv 3-D without bias', (b, x) => b.apply('conv', [x, b.constant('K', [2, 2, 2, 3, 2], rand(48))], { ...window([2, 2, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0], [2, 3, 2]), groups: 1, bias: false }, fail), [3, 4, 3, 3]],
    ['depthwise 1-D, multiplier 3', (b, x) => b.apply('depthwise_conv', [x, b.constant('D', [3, 2, 3], rand(18)), b.constant('b', [6], rand(6))], { ...window([3], [2], [1], [1], [4]), multiplier: 3, bias: true }, fail), [7, 2]],
    ['average pool 3-D, padded (in-bounds cells only)', (b, x) => b.apply('pool', [x], { ...window([2, 2, 2], [2, 2, 1], [1, 1, 1], [1, 0, 1], [2, 2, 3]), kind: 'avg' }, fail), [3, 4, 3, 2]],
    ['max pool 2-D, dilated', (b, x) => b.apply('pool', [x], { ...window([2, 2], [1, 1], [2, 1], [0, 0], [2, 3]), kind: 'max' }, fail), [4, 4, 2]],
    ['global average pool 3-D', (b, x) => b.apply('global_pool', [x], { kind: 'avg' }, fail), [2, 3, 2, 4]],
    ['dot on axes (0, 1), normalized', (b, x) => [b.apply('dot', [x, b.constant('y', [2, 3, 4], rand(24))], { axes: [0, 1], normalize: true }, fail)[0]], [3, 5]],
    ['dot on axes (1, 0)', (b, x) => b.apply('dot', [x, b.constant('y', [5, 2], rand(10))], { axes: [1, 0], normalize: false }, fail), [3, 5]],
    ['softmax over axes 0 and 2', (b, x) => b.apply('softmax', [x], { axes: [0, 2] }, fail), [2, 3, 4]],
    ['log_softmax over the middle axis', (b, x) => b.apply('log_softmax', [x], { axes: [1] }, fail), [2, 3, 4]],
    ['layer_norm over axes 1 and 2 with gamma and beta', (b, x) => b.apply('layer_norm', [x, b.constant('gamma', [3, 4], rand(12)), b.constant('beta', [3, 4], rand(12))], { axes: [1, 2], eps: 1e-3, scale: true, center: true }, fail), [2, 3, 4]],
    ['l2_normalize over the first axis', (b, x) => b.apply('l2_normalize', [x], { axes: [0] }, fail), [3, 2]],
    ['map broadcasting [3, 1] against [2, 3, 4]', (b, x) => b.apply('map', [x, b.constant('a', [3, 1], rand(3)), b.constant('c', [4], rand(4))], { fn: 'scale_shift', params: [] }, fail), [2, 3, 4]],
    ['map of a scalar and a leading block', (b, x) => b.apply('map', [x, b.constant('a', [1], rand(1)), b.constant('c', [2, 1, 1], rand(2))], { fn: 'add', params: [] }, fail), [2, 3, 4]],
    ['transpose of rank 4', (b, x) => b.apply('transpose', [x], { perm: [2, 0, 3, 1] }, fail), [2, 3, 4, 2]],
    ['pad, slice, upsample, reverse of rank 3', (b, x) => {
      const [p] = b.apply('pad', [x], { before: [1, 0, 2], after: [0, 1, 1] }, fail);
      const [s] = b.apply('slice', [p], { begin: [1, 1, 0], end: [3, 4, 4] }, fail);
      const [u] = b.apply('upsample', [s], { factors: [2, 1, 3] }, fail);
      return b.apply('reverse', [u], { axis: 1 }, fail);
    }, [2, 3, 2]],
    ['concat on the middle axis, repeat', (b, x) => {
      const [c] = b.apply('concat', [x, b.constant('k', [2, 1, 3], rand(6)), x], { axis: 1 }, fail);
      return b.apply('repeat', [c], { n: 2 }, fail);
    }, [2, 2, 3]],
    ['gather with ids out of range and fractional', (b, x) => b.apply('gather', [x, b.constant('E', [4, 2], rand(8))], {}, fail), [5]],
  ];
  for (const [name, build, shape] of cases) {
    it(name, async () => {
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
      const text = emitJsTensor(program, { inline: false, maxSize: Infinity, modelName: name });
      const mod = (await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: Predict };
      const ex = scalarize(program, { stableSoftmax: true });
      const n = shape.reduce((a, c) => a * c, 1);
      for (let k = 0; k < 3; k++) {
        const point = name.startsWith('gather') ? [0, 3.7, -0.5, 4, -1.2] : Array.from(rand(n));
        const [want] = evaluateOutputs(ex.graph, ex.outputIds, [point]);
        // NaN (a gathered id out of range) must be NaN on both sides.
        const sane = (v: number[]) => v.map((z) => (Number.isNaN(z) ? 1e300 : z));
        const bad = mismatch(sane(flat(mod.predict(point))), sane(want), 1e-12, 1e-12);
        expect(bad, `point ${k}: ${bad}`).toBeNull();
      }
    });
  }
});

describe('JS tensor form: loops of any length against the scalarize rule at fixed lengths', () => {
  const r = mulberry32(5);
  const weights = Array.from({ length: 6 }, () => Float32Array.from({ length: 64 }, () => Math.fround(r() - 0.5)));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  /** x[T, 3] → Dense → a reversed scan from given states → reverse → softmax → a foreach (Dense, tanh) → a scan's last state. */
  function program(T: number): TensorProgram {
    const b = new ProgramBuilder();
    const x = b.input([T, 3], 0);
    b.layer = 1;
    const W = b.constant('W', [3, 2], weights[0].slice(0, 6));
    const U = b.constant('U', [2, 2], weights[1].slice(0, 4));
    const V = b.constant('V', [2, 2], weights[2].slice(0, 4));
    const h0 = b.constant('h0', [2], weights[3].slice(0, 2));
    const c0 = b.constant('c0', [2], weights[4].slice(0, 2));
    const [d] = b.apply('dense', [x, b.constant('A', [3, 3], weights[5].slice(0, 9))], { pairs: 1, bias: false }, fail);
    const cell = (width: number) =>
      b.body([{ shape: [width], role: 'x' }, { shape: [2], role: 'h' }, { shape: [2], role: 'c' }], ([xs, h, c]) => {
        const [z] = b.apply('dense', [xs, width === 3 ? W : V, h, U], { pairs: 2, bias: false }, fail);
        const [hn] = b.apply('map', [z], { fn: 'tanh', params: [] }, fail);
        const [cz] = b.apply('dense', [c, V], { pairs: 1, bias: false }, fail);
        const [cn] = b.apply('map', [cz, hn], { fn: 'add', params: [] }, fail);
        return [hn, cn];
      });
    const [seq] = b.apply('scan', [d, h0, c0], { reverse: true, returnSequences: true, symbols: ['h', 'c'], units: 2 }, fail, ['h', 'h', 'c'], cell(3));
    const [rev] = b.apply('reverse', [seq], { axis: 0 }, fail);
    const [sm] = b.apply('softmax', [rev], { axes: [1] }, fail);
    const each = b.body([{ shape: [2], role: 'x' }], ([xt]) => {
      const [z] = b.apply('dense', [xt, V, b.constant('b', [2], weights[5].slice(9, 11))], { pairs: 1, bias: true }, fail);
      return b.apply('map', [z], { fn: 'sigmoid', params: [] }, fail);
    });
    const [e] = b.apply('foreach', [sm], {}, fail, 'h', each);
    const [last, , c] = b.apply('scan', [e], { reverse: false, returnSequences: false, symbols: ['h', 'c'], units: 2 }, fail, ['h', 'h', 'c'], cell(2));
    const outputs = [last, c, rev];
    return { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: outputs.map((t, i) => ({ name: `y${i}`, tensor: t })), calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs }], layerCount: 1, modelName: 'loops', file: 'loops' };
  }

  it('scans (reversed, from given states), reverse, softmax and a foreach over T steps, at T = 1, 4 and 9', async () => {
    const text = emitJsTensor(program(-1), { inline: false, maxSize: Infinity, modelName: 'loops' });
    const mod = (await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: Predict };
    for (const T of [1, 4, 9]) {
      const ex = scalarize(program(T), { stableSoftmax: true });
      const point = Array.from({ length: T * 3 }, () => r() * 2 - 1);
      const [want] = evaluateOutputs(ex.graph, ex.outputIds, [point]);
      const got = mod.predict(Array.from({ length: T }, (_, t) => point.slice(3 * t, 3 * t + 3))) as unknown[];
      expect(got.length).toBe(3);
      expect((got[2] as unknown[]).length).toBe(T);
      const bad = mismatch(flat(got), want, 1e-12, 1e-12);
      expect(bad, `${T} steps: ${bad}`).toBeNull();
    }
  });
});
