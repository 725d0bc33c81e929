import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertFile, loadModel, type ConvertOptions } from '../src/index.js';
import { loadTf, loadTfjsModel, oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURE_OPTIONS, FIXTURES, fixtureNames, flat, mismatch, readReference, SHARED, tmpDir, tmpFile, type Reference } from './helpers.js';

/** Where the shared models live (one constant, to repoint at test/models once they are copied in; NN2EQ_MODELS overrides). */
const MODELS = process.env.NN2EQ_MODELS ?? SHARED;

type Predict = (...inputs: unknown[]) => unknown;

/** The tensor form of a model, as JS text and as an imported module. */
async function tensorForm(model: string, opts: Omit<ConvertOptions, 'format'> = {}): Promise<{ text: string; predict: Predict }> {
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
