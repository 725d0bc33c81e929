import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { cCompiler, cInput, compileC, parseCNumbers } from '../src/commands/runtimes.js';
import { emitCTensor } from '../src/emit/tensor/c.js';
import { Nn2eqError } from '../src/errors.js';
import { convertFile, evaluateOutputs, loadModel, scalarize, type ConvertOptions, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { loadTf, loadTfjsModel, oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, readReference, SHARED, tmpDir, type Reference } from './helpers.js';

const cc = cCompiler();
const skip = cc ? null : 'gcc not found; apt-get install -y gcc';
if (skip) console.warn(`\n*** SKIPPING C tensor-form checks: ${skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** Runs `jobs` with at most `limit` at a time (the machine is shared; gcc is the slow part). */
async function pool<R>(jobs: (() => Promise<R>)[], limit: number): Promise<R[]> {
  const out: R[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

function exec(exe: string, args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(exe, args, { encoding: 'utf8', maxBuffer: 1 << 26 }, (err, out, errText) => (err ? reject(new Error(errText || err.message)) : resolve(out)));
    child.stdin!.end(stdin);
  });
}

/** Compiles C tensor-form text with gcc -std=c99 -Wall -Werror and runs predict on every row. */
async function runC(text: string, rows: number[][], m: number): Promise<number[][]> {
  const exe = await compileC(cc!, text, tmpDir());
  return parseCNumbers(await exec(exe, [String(rows[0].length), String(m)], cInput(rows)), m);
}

/** The C tensor form of a model file. */
async function tensorForm(model: string, opts: Omit<ConvertOptions, 'format'> = {}): Promise<string> {
  const { text, form } = await convertFile(model, { format: 'c', form: 'tensor', ...opts });
  expect(form).toBe('tensor');
  return text;
}

/** A test that needs gcc: skipped with a visible reason without it, failed under CI. */
function withCC(name: string, fn: () => Promise<void> | void, timeout?: number) {
  if (!skip) it(name, fn, timeout);
  else if (inCI) it(name, () => expect.fail(skip));
  else it.skip(`${name} [needs gcc]`, fn);
}

/** Fixtures that hold another fixture's weights in another layout: their text is that fixture's. */
const SAME_OUTPUT_AS: Record<string, string> = { two_shards: 'quant_base' };

// Every fixture in the tensor form, compiled with gcc -std=c99 -Wall -Werror -O1 and run on the
// inputs of its reference.json, whose outputs are TF.js's predictions.
describe('C tensor form compiled by gcc matches TF.js predictions (reference.json)', () => {
  const names = fixtureNames();
  const results = new Map<string, number[][] | Error>();
  beforeAll(async () => {
    if (!cc) return;
    await pool(
      names.map((name) => async () => {
        try {
          const dir = join(FIXTURES, name);
          const ref = readReference(dir);
          const text = await tensorForm(join(dir, 'model.json'), FIXTURE_OPTIONS[name]);
          results.set(name, await runC(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length));
        } catch (e) {
          results.set(name, e as Error);
        }
      }),
      2,
    );
  }, 600_000);
  for (const name of names) {
    withCC(name, () => {
      const got = results.get(name);
      if (got instanceof Error) throw got;
      const want = readReference(join(FIXTURES, name)).cases.map((c) => flat(c.outputs));
      expect(got!.length).toBe(want.length);
      got!.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
    });
  }
});

describe('C tensor form: golden files', () => {
  for (const name of fixtureNames().filter((n) => !(n in SAME_OUTPUT_AS))) {
    it(name, async () => {
      const text = await tensorForm(join(FIXTURES, name, 'model.json'), FIXTURE_OPTIONS[name]);
      await expect(text).toMatchFileSnapshot(`golden/tensor/${name}.c`);
    });
  }
  it('is byte-identical across runs', async () => {
    const path = join(FIXTURES, 'rnn_bidirectional_concat', 'model.json');
    expect(await tensorForm(path)).toBe(await tensorForm(path));
  });
});

describe('C tensor form: what it refuses', () => {
  it('a time axis of any length, naming --timesteps', async () => {
    const err = await convertFile(join(FIXTURES, 'rnn_timesteps_none', 'model.json'), { format: 'c', form: 'tensor' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Nn2eqError).message).toMatch(/shape \[T, 3\] with a time axis of any length; the C tensor form sizes its static buffers at conversion time/);
    expect((err as Nn2eqError).message).not.toMatch(/\n/);
    expect((err as Nn2eqError).hint).toMatch(/--timesteps T/);
  });
});

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

/** Compiles and runs a model's C tensor form on every case of `ref`, against its outputs. */
async function compare(text: string, ref: Reference): Promise<void> {
  const want = ref.cases.map((c) => flat(c.outputs));
  const got = await runC(text, ref.cases.map((c) => flat(c.inputs)), want[0].length);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `case ${i}`).toBeNull());
}

/** A test on a shared model that needs gcc: skipped with a visible reason when the model is absent. */
function withModel(name: string, path: string, fn: () => Promise<void>, timeout = 120_000) {
  if (existsSync(path)) withCC(name, fn, timeout);
  else it.skip(`${name} [missing ${path}]`, fn);
}

describe('C tensor form: shared models', () => {
  const layers = join(SHARED, 'tfjs-layers');
  withModel('tfjs-layers/mlp (TF.js xs/ys files)', join(layers, 'mlp'), async () => {
    await compare(await tensorForm(join(layers, 'mlp', 'model.json')), xsYsReference(join(layers, 'mlp')));
  });
  for (const name of ['cnn', 'functional_merge', 'simple_rnn', 'gru']) {
    withModel(`tfjs-layers/${name} (reference.json)`, join(layers, name), async () => {
      await compare(await tensorForm(join(layers, name, 'model.json')), readReference(join(layers, name)));
    });
  }

  // hls4ml's Keras files have no predictions beside them: TF.js predicts the same loaded model.
  for (const name of ['KERAS_3layer', 'KERAS_3layer_batch_norm', 'KERAS_lstm_model']) {
    const dir = join(SHARED, 'hls4ml', name);
    withModel(`hls4ml/${name} (TF.js predict)`, dir, async () => {
      const path = join(dir, `${name}.json`);
      const weights = join(dir, `${name}_weights.h5`);
      const text = await tensorForm(path, { weights });
      const oracle = await oracleModel(await loadModel(path, { weights }));
      const shape = (oracle.inputs[0].shape as (number | null)[]).slice(1) as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const r = mulberry32(3);
      const points = Array.from({ length: 8 }, () => Float64Array.from({ length: n }, () => Math.fround(r() * 4 - 2)));
      const [want] = await oraclePredict(oracle, [shape], points);
      const got = await runC(text, points.map((p) => Array.from(p)), want[0].length);
      got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `point ${i}`).toBeNull());
    });
  }

  // 52 MB of C; gcc -O1 compiles it in seconds.
  const mobilenet = join(SHARED, 'nsfwjs', 'mobilenet_v2_quant_uint8');
  withModel('nsfwjs MobileNetV2 (uint8 weights) on 2 random 224×224×3 images against TF.js predict', mobilenet, async () => {
    const path = join(mobilenet, 'model.json');
    const text = await tensorForm(path);
    const r = mulberry32(9);
    const points = [0, 1].map(() => Float64Array.from({ length: 224 * 224 * 3 }, () => Math.fround(r())));
    const want = (await oraclePredict(await loadTfjsModel(await loadTf(), path), [[224, 224, 3]], points))[0];
    const got = await runC(text, points.map((p) => Array.from(p)), want[0].length);
    got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-4), `image ${i}`).toBeNull());
  }, 180_000);
});

describe('C tensor form: --verify', () => {
  withCC('nn2eq conv2d_same_strided -f c --form tensor --verify: the C text and the IR agree with TF.js', async () => {
    let err = '';
    let out = '';
    const code = await main([join(FIXTURES, 'conv2d_same_strided', 'model.json'), '-f', 'c', '--form', 'tensor', '--verify', '--report', 'json'], { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdinIsTTY: true });
    expect(code, err).toBe(0);
    expect(out).toMatch(/\(tensor form\)/);
    const report = JSON.parse(err.trim().split('\n').pop()!);
    expect(report.routes.map((x: { route: string; status: string }) => `${x.route}: ${x.status}`)).toEqual(['IR (float64): ok', 'c text: ok']);
  }, 60_000);
});

/**
 * Ops in settings no fixture reaches (grouped and 3-D convolutions, depthwise multipliers, Dot on
 * other axes, reductions over several axes, broadcasts in the middle), each checked against the op's
 * scalarize rule in ops.ts evaluated in float64: the semantics the printer must match (the JS tensor
 * form's test cases, compiled as C). The C text holds each float32 weight as its shortest decimal,
 * read as a double (as the scalar C form does): within 2^-25 of the float32, hence 1e-7, not 1e-12.
 */
describe('C tensor form: ops against their scalarize rule', () => {
  const r = mulberry32(21);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  const cases: [string, (b: ProgramBuilder, x: T) => T[], number[]][] = [
    ['conv 2-D, 2 groups, strides and dilation, padded', (b, x) => b.apply('conv', [x, b.constant('K', [2, 3, 2, 6], rand(72)), b.constant('b', [6], rand(6))], { ...window([2, 3], [2, 1], [1, 2], [1, 2], [3, 4]), groups: 2, bias: true }, fail), [5, 4, 4]],
    ['conv 3-D without bias', (b, x) => b.apply('conv', [x, b.constant('K', [2, 2, 2, 3, 2], rand(48))], { ...window([2, 2, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0], [2, 3, 2]), groups: 1, bias: false }, fail), [3, 4, 3, 3]],
    ['depthwise 1-D, multiplier 3', (b, x) => b.apply('depthwise_conv', [x, b.constant('D', [3, 2, 3], rand(18)), b.constant('b', [6], rand(6))], { ...window([3], [2], [1], [1], [4]), multiplier: 3, bias: true }, fail), [7, 2]],
    ['average pool 3-D, padded (in-bounds cells only)', (b, x) => b.apply('pool', [x], { ...window([2, 2, 2], [2, 2, 1], [1, 1, 1], [1, 0, 1], [2, 2, 3]), kind: 'avg' }, fail), [3, 4, 3, 2]],
    ['max pool 2-D, dilated', (b, x) => b.apply('pool', [x], { ...window([2, 2], [1, 1], [2, 1], [0, 0], [2, 3]), kind: 'max' }, fail), [4, 4, 2]],
    ['global average pool 3-D', (b, x) => b.apply('global_pool', [x], { kind: 'avg' }, fail), [2, 3, 2, 4]],
    ['global max pool 2-D', (b, x) => b.apply('global_pool', [x], { kind: 'max' }, fail), [3, 2, 4]],
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
  const programOf = (name: string, build: (b: ProgramBuilder, x: T) => T[], shape: number[]): TensorProgram => {
    const b = new ProgramBuilder();
    const x = b.input(shape, 0);
    b.layer = 1;
    const outs = build(b, x);
    return {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [{ name: 'x', tensor: x }],
      outputs: outs.map((t, i) => ({ name: `y${i}`, tensor: t })),
      calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
      layerCount: 1,
      modelName: name,
      file: name,
    };
  };
  for (const [name, build, shape] of cases) {
    withCC(name, async () => {
      const program = programOf(name, build, shape);
      const text = emitCTensor(program, { inline: false, maxSize: Infinity, modelName: name });
      const ex = scalarize(program, { stableSoftmax: true });
      const n = shape.reduce((a, c) => a * c, 1);
      const points = Array.from({ length: 3 }, () => (name.startsWith('gather') ? [0, 3.7, -0.5, 4, -1.2] : Array.from(rand(n))));
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runC(text, points, want[0].length);
      // NaN (a gathered id out of range) must be NaN on both sides.
      const sane = (v: number[]) => v.map((z) => (Number.isNaN(z) ? 1e300 : z));
      got.forEach((g, k) => expect(mismatch(sane(g), sane(want[k]), 1e-7, 1e-7), `point ${k}`).toBeNull());
    });
  }
});

describe('C tensor form: loops against the scalarize rule', () => {
  const r = mulberry32(5);
  const weights = Array.from({ length: 6 }, () => Float32Array.from({ length: 64 }, () => Math.fround(r() - 0.5)));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  /** x[T, 3] → Dense → a reversed scan from given states → reverse → softmax → a foreach (Dense, sigmoid) → a scan's last state. */
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

  withCC('scans (reversed, from given states), reverse, softmax and a foreach, at T = 1, 4 and 9', async () => {
    for (const T of [1, 4, 9]) {
      const p = program(T);
      const text = emitCTensor(p, { inline: false, maxSize: Infinity, modelName: 'loops' });
      const ex = scalarize(p, { stableSoftmax: true });
      const points = Array.from({ length: 2 }, () => Array.from({ length: T * 3 }, () => r() * 2 - 1));
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runC(text, points, want[0].length);
      got.forEach((g, k) => expect(mismatch(g, want[k], 1e-7, 1e-7), `${T} steps, point ${k}`).toBeNull());
    }
  });

  it('a time axis of any length is refused with the fix', () => {
    expect(() => emitCTensor(program(-1), { inline: false, maxSize: Infinity, modelName: 'loops' })).toThrow(/time axis of any length/);
  });
});
