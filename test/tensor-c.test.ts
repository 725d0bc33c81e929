import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { emitCTensor } from '../src/emit/c/tensor.js';
import { Nn2eqError } from '../src/errors.js';
import { convertFile, evaluateOutputs, loadModel, scalarize, type ConvertOptions } from '../src/index.js';
import { loadTf, loadTfjsModel, oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { cc, ccSkip, expectReferenceRows, FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, inCI, mismatch, pool, readReference, runCRows, SHARED, withCC, type Reference } from './helpers.js';
import { loopProgram, opCases, opProgram } from './tensor-cases.js';

if (ccSkip) console.warn(`\n*** SKIPPING C tensor-form checks: ${ccSkip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** The C tensor form of a model file. */
async function tensorForm(model: string, opts: Omit<ConvertOptions, 'format'> & { weights?: string } = {}): Promise<string> {
  const { text, form } = await convertFile(model, { format: 'c', form: 'tensor', ...opts });
  expect(form).toBe('tensor');
  return text;
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
          results.set(name, await runCRows(text, ref.cases.map((c) => flat(c.inputs)), flat(ref.cases[0].outputs).length));
        } catch (e) {
          results.set(name, e as Error);
        }
      }),
      2,
    );
  }, 600_000);
  for (const name of names) {
    withCC(name, () => expectReferenceRows(results.get(name), name));
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
  const got = await runCRows(text, ref.cases.map((c) => flat(c.inputs)), want[0].length);
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
      const got = await runCRows(text, points.map((p) => Array.from(p)), want[0].length);
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
    const got = await runCRows(text, points.map((p) => Array.from(p)), want[0].length);
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
  const cases = opCases(rand);
  const programOf = opProgram;
  for (const [name, build, shape] of cases) {
    withCC(name, async () => {
      const program = programOf(name, build, shape);
      const text = emitCTensor(program, { inline: false, maxSize: Infinity, modelName: name });
      const ex = scalarize(program, { stableSoftmax: true });
      const n = shape.reduce((a, c) => a * c, 1);
      const points = Array.from({ length: 3 }, () => (name.startsWith('gather') ? [0, 3.7, -0.5, 4, -1.2] : Array.from(rand(n))));
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runCRows(text, points, want[0].length);
      // NaN (a gathered id out of range) must be NaN on both sides.
      const sane = (v: number[]) => v.map((z) => (Number.isNaN(z) ? 1e300 : z));
      got.forEach((g, k) => expect(mismatch(sane(g), sane(want[k]), 1e-7, 1e-7), `point ${k}`).toBeNull());
    });
  }
});

describe('C tensor form: loops against the scalarize rule', () => {
  const r = mulberry32(5);
  const weights = Array.from({ length: 6 }, () => Float32Array.from({ length: 64 }, () => Math.fround(r() - 0.5)));
  const program = (T: number) => loopProgram(T, weights);

  withCC('scans (reversed, from given states), reverse, softmax and a foreach, at T = 1, 4 and 9', async () => {
    for (const T of [1, 4, 9]) {
      const p = program(T);
      const text = emitCTensor(p, { inline: false, maxSize: Infinity, modelName: 'loops' });
      const ex = scalarize(p, { stableSoftmax: true });
      const points = Array.from({ length: 2 }, () => Array.from({ length: T * 3 }, () => r() * 2 - 1));
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runCRows(text, points, want[0].length);
      got.forEach((g, k) => expect(mismatch(g, want[k], 1e-7, 1e-7), `${T} steps, point ${k}`).toBeNull());
    }
  });

  it('a time axis of any length is refused with the fix', () => {
    expect(() => emitCTensor(program(-1), { inline: false, maxSize: Infinity, modelName: 'loops' })).toThrow(/time axis of any length/);
  });
});
