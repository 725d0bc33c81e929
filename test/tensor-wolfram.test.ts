import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile, loadModel } from '../src/index.js';
import { loadTf, loadTfjsModel, oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { FIXTURES, fixtureNames, flat, inCI, mismatch, python, readReference, ROOT, runWolframTensor, SHARED, type Reference, type WolframAnswer } from './helpers.js';

/** The shared models: $NN2EQ_SHARED_MODELS, else the in-repository copy when present, else the workspace folder (one place to repoint). */
const SHARED_MODELS = process.env.NN2EQ_SHARED_MODELS ?? (existsSync(join(ROOT, 'test', 'models')) ? join(ROOT, 'test', 'models') : SHARED);

if (python.skip) console.warn(`\n*** SKIPPING Wolfram tensor-form evaluation: ${python.skip}${inCI ? ' (CI=true: these tests FAIL instead)' : ''}\n`);

/** A test that needs python3 + numpy + sympy: skipped with a visible reason, but failed under CI. */
function withPython(name: string, fn: () => void | Promise<void>, timeout = 60_000) {
  if (!python.skip) return it(name, fn, timeout);
  if (inCI) return it(name, () => expect.fail(python.skip!));
  return it.skip(`${name} [needs python: ${python.skip}]`, fn);
}

type Answer = WolframAnswer;

/** A model to check: its file, its oracle's cases, and the tolerance. */
interface Job {
  label: string;
  model: string;
  weights?: string;
  ref: Reference;
  rtol: number;
}

/** Converts every job to the tensor form and evaluates all of them in one batch. */
function checkJobs(title: string, labels: readonly string[], jobs: () => Promise<Job[]>, timeout = 120_000) {
  describe(title, () => {
    const results = new Map<string, { answer?: Answer; error?: string; ref: Reference; rtol: number }>();
    let ready: Promise<void> = Promise.resolve();
    beforeAll(() => {
      if (python.skip) return;
      ready = (async () => {
        const list = await jobs();
        const texts: { text: string; cases: unknown[][] }[] = [];
        const keys: string[] = [];
        for (const j of list) {
          try {
            const text = (await convertFile(j.model, { format: 'mathematica', form: 'tensor', weights: j.weights })).text;
            texts.push({ text, cases: j.ref.cases.map((c) => c.inputs) });
            keys.push(j.label);
            results.set(j.label, { ref: j.ref, rtol: j.rtol });
          } catch (e) {
            results.set(j.label, { error: (e as Error).message, ref: j.ref, rtol: j.rtol });
          }
        }
        const answers = await runWolframTensor(texts);
        keys.forEach((k, i) => (results.get(k)!.answer = answers[i]));
      })();
      return ready;
    }, timeout);
    if (labels.length === 0) it.skip(`no shared models under ${SHARED_MODELS}`, () => {});
    for (const label of labels)
      withPython(`${label}: tensor form evaluated by the Wolfram interpreter matches the reference`, async () => {
        await ready;
        const r = results.get(label);
        expect(r, 'no result').toBeDefined();
        expect(r!.error).toBeUndefined();
        const answer = r!.answer!;
        if (!Array.isArray(answer)) return expect.fail(answer.error);
        expect(answer.length).toBe(r!.ref.cases.length);
        answer.forEach((got, i) => {
          const want = flat(r!.ref.cases[i].outputs);
          const bad = mismatch(
            got.map((v) => v ?? NaN),
            want,
            1e-5,
            r!.rtol,
          );
          expect(bad, `case ${i}: ${bad}`).toBeNull();
        });
      });
  });
}

// -------- fixtures: TF.js predictions in reference.json; a None time axis is left of any length.

const fixtures = fixtureNames();
describe('fixtures in the Mathematica tensor form', () => {
  const results = new Map<string, Answer | string>();
  beforeAll(async () => {
    if (python.skip) return;
    const jobs: { text: string; cases: unknown[][] }[] = [];
    const names: string[] = [];
    for (const name of fixtures) {
      const dir = join(FIXTURES, name);
      try {
        const text = (await convertFile(join(dir, 'model.json'), { format: 'mathematica', form: 'tensor' })).text;
        jobs.push({ text, cases: readReference(dir).cases.map((c) => c.inputs) });
        names.push(name);
      } catch (e) {
        results.set(name, (e as Error).message);
      }
    }
    const answers = await runWolframTensor(jobs);
    names.forEach((n, i) => results.set(n, answers[i]));
  }, 300_000);
  for (const name of fixtures) {
    withPython(`${name} matches TF.js (atol 1e-5 + rtol 1e-4)`, () => {
      const answer = results.get(name);
      if (typeof answer === 'string') return expect.fail(answer);
      if (!answer || !Array.isArray(answer)) return expect.fail(answer ? answer.error : 'no answer');
      const ref = readReference(join(FIXTURES, name));
      expect(answer.length).toBe(ref.cases.length);
      answer.forEach((got, i) => {
        const bad = mismatch(
          got.map((v) => v ?? NaN),
          flat(ref.cases[i].outputs),
          1e-5,
          1e-4,
        );
        expect(bad, `case ${i}: ${bad}`).toBeNull();
      });
    });
  }
  it('a None time axis needs no --timesteps: the input is of any length and the recurrence is a Fold', async () => {
    const text = (await convertFile(join(FIXTURES, 'rnn_timesteps_none', 'model.json'), { format: 'mathematica', form: 'tensor' })).text;
    expect(text).toMatch(/\[any, 3\]/);
    expect(text).toMatch(/Fold\[/);
  });
});

describe('tensor-form goldens (test/golden/tensor/*.wl)', () => {
  for (const name of fixtures) {
    it(name, async () => {
      const text = (await convertFile(join(FIXTURES, name, 'model.json'), { format: 'mathematica', form: 'tensor' })).text;
      await expect(text).toMatchFileSnapshot(join(ROOT, 'test', 'golden', 'tensor', `${name}.wl`));
    });
  }
});

// -------- ONNX models: PyTorch's predictions (fixtures/onnx) and the ONNX backend tests' reference
// outputs (test/models/onnx). ONNX broadcasts like NumPy, from the trailing axis; Wolfram's listable
// arithmetic threads from the leading axis and stops with Thread::tdlen on unequal lengths, so these
// (Add/Mul/PRelu with broadcast operands, expanded functions with rank-0 constants) show whether the
// tensor form threads explicitly wherever NumPy would broadcast.

const ONNX_SETS: [dir: string, atol: number, rtol: number][] = [
  [join(FIXTURES, 'onnx'), 1e-5, 1e-4],
  [join(ROOT, 'test', 'models', 'onnx'), 1e-7, 1e-3],
];
const onnxModels = ONNX_SETS.flatMap(([dir, atol, rtol]) =>
  readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, 'model.onnx')) && existsSync(join(dir, n, 'reference.json')))
    .sort()
    .map((name) => ({ name, dir: join(dir, name), atol, rtol })),
);

describe('ONNX models in the Mathematica tensor form (numeric and --weights symbolic)', () => {
  const results = new Map<string, Answer | { refused: string }>();
  beforeAll(async () => {
    if (python.skip) return;
    const jobs: { text: string; cases: unknown[][] }[] = [];
    const keys: string[] = [];
    for (const m of onnxModels) {
      const cases = readReference(m.dir).cases.map((c) => c.inputs);
      for (const symbolicWeights of [false, true]) {
        const key = `${m.name}${symbolicWeights ? ' symbolic' : ''}`;
        try {
          const text = (await convertFile(join(m.dir, 'model.onnx'), { format: 'mathematica', form: 'tensor', symbolicWeights })).text;
          jobs.push({ text, cases });
          keys.push(key);
        } catch (e) {
          results.set(key, { refused: (e as Error).message });
        }
      }
    }
    const answers = await runWolframTensor(jobs);
    keys.forEach((k, i) => results.set(k, answers[i]));
  }, 300_000);
  for (const m of onnxModels)
    withPython(`${m.name}: the interpreter's values match the reference (atol ${m.atol} + rtol ${m.rtol}), numeric and symbolic`, async () => {
      const ref = readReference(m.dir);
      for (const key of [m.name, `${m.name} symbolic`]) {
        const answer = results.get(key);
        if (answer && 'refused' in answer) {
          // A refusal is no Wolfram failure only when the NumPy tensor form refuses the model as well.
          const numpy = await convertFile(join(m.dir, 'model.onnx'), { format: 'numpy', form: 'tensor', symbolicWeights: key.endsWith(' symbolic') }).then(() => 'converted', (e: Error) => e.message);
          expect(numpy, `${key}: only the Wolfram form refuses: ${answer.refused}`).toBe(answer.refused);
          continue;
        }
        if (!answer || !Array.isArray(answer)) return expect.fail(`${key}: ${answer ? answer.error : 'no answer'}`);
        expect(answer.length).toBe(ref.cases.length);
        answer.forEach((got, i) => {
          const bad = mismatch(
            got.map((v) => v ?? NaN),
            flat(ref.cases[i].outputs),
            m.atol,
            m.rtol,
          );
          expect(bad, `${key} case ${i}: ${bad}`).toBeNull();
        });
      }
    });
  withPython("ONNX's expanded GELU: its rank-0 constant 1 is a number, not {1} (which Wolfram cannot add to a 3×4×5 array)", async () => {
    const { text } = await convertFile(join(ROOT, 'test', 'models', 'onnx', 'test_gelu_tanh_2_expanded', 'model.onnx'), { format: 'mathematica', form: 'tensor' });
    expect(text).toMatch(/^ {2}c6 = 1;$/m);
    expect(text).not.toMatch(/\{1\}/);
    expect(results.get('test_gelu_tanh_2_expanded')).toSatisfy(Array.isArray);
  });
});

// -------- shared models: their own reference files, or TF.js predicting on the same weights.

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

/** Nests row-major `values` into `shape`. */
function nested(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length <= 1) return [...values];
  const n = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nested(values.slice(i * n, (i + 1) * n), shape.slice(1)));
}

/**
 * TF.js predicts on seeded random inputs in [lo, hi): a TF.js model.json is loaded by TF.js itself,
 * a Keras file through the --verify oracle (built from the loaded model).
 */
async function tfjsOracle(model: string, weights: string | undefined, count: number, lo = -2, hi = 2): Promise<Reference> {
  const spec = await loadModel(model, { weights });
  const { program } = await convertFile(model, { format: 'mathematica', form: 'tensor', weights });
  const shapes = program!.inputs.map((p) => [...p.tensor.shape]);
  const r = mulberry32(11);
  const points = Array.from({ length: count }, () => Float64Array.from({ length: shapes.reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0) }, () => Math.fround(lo + r() * (hi - lo))));
  const tfModel = model.endsWith('model.json') ? await loadTfjsModel(await loadTf(), model) : await oracleModel(spec);
  const outs = await oraclePredict(tfModel, shapes, points);
  return {
    input_shapes: shapes,
    output_shapes: program!.outputs.map((p) => [...p.tensor.shape]),
    cases: points.map((p, i) => {
      let at = 0;
      const inputs = shapes.map((sh) => {
        const size = sh.reduce((a, b) => a * b, 1);
        const v = nested(Array.from(p.subarray(at, at + size)), sh);
        at += size;
        return v;
      });
      return { inputs, outputs: outs.map((o) => o[i]) };
    }),
  };
}

const MOBILENET = 'nsfwjs/mobilenet_v2_quant_uint8';
const HLS4ML: [folder: string, model: string, weights?: string][] = [
  ['hls4ml/KERAS_3layer', 'KERAS_3layer.json', 'KERAS_3layer_weights.h5'],
  ['hls4ml/KERAS_3layer_batch_norm', 'KERAS_3layer_batch_norm.json', 'KERAS_3layer_batch_norm_weights.h5'],
  ['hls4ml/KERAS_lstm_model', 'KERAS_lstm_model_weights.h5'],
];

checkJobs(
  'shared models in the Mathematica tensor form',
  [...['mlp', 'cnn', 'functional_merge', 'simple_rnn', 'gru'].map((n) => `tfjs-layers/${n}`), ...HLS4ML.map(([f]) => f), MOBILENET].filter((l) => existsSync(join(SHARED_MODELS, l))),
  async () => {
    const jobs: Job[] = [];
    const layers = join(SHARED_MODELS, 'tfjs-layers');
    if (existsSync(join(layers, 'mlp'))) jobs.push({ label: 'tfjs-layers/mlp', model: join(layers, 'mlp', 'model.json'), ref: xsYsReference(join(layers, 'mlp')), rtol: 1e-4 });
    for (const name of ['cnn', 'functional_merge', 'simple_rnn', 'gru']) {
      const dir = join(layers, name);
      if (existsSync(dir)) jobs.push({ label: `tfjs-layers/${name}`, model: join(dir, 'model.json'), ref: readReference(dir), rtol: 1e-4 });
    }
    for (const [folder, model, weights] of HLS4ML) {
      const dir = join(SHARED_MODELS, folder);
      if (!existsSync(dir)) continue;
      const w = weights && join(dir, weights);
      jobs.push({ label: folder, model: join(dir, model), weights: w, ref: await tfjsOracle(join(dir, model), w, 4), rtol: 1e-4 });
    }
    // MobileNetV2 (nsfwjs, 224×224×3 in [0, 1)): about 20 s in the interpreter for one image.
    const mobilenet = join(SHARED_MODELS, MOBILENET, 'model.json');
    if (existsSync(mobilenet)) jobs.push({ label: MOBILENET, model: mobilenet, ref: await tfjsOracle(mobilenet, undefined, 1, 0, 1), rtol: 1e-4 });
    return jobs;
  },
  600_000,
);


// -------- a None time axis: the same text at other sequence lengths, against TF.js at those lengths.

/** TF.js predictions of a TF.js model.json for `count` seeded random sequences of each length. */
async function tfjsAtLengths(model: string, features: number, lengths: readonly number[]): Promise<Reference> {
  const tf = await loadTf();
  const m = await loadTfjsModel(tf, model);
  const r = mulberry32(5);
  const cases: Reference['cases'] = [];
  for (const T of lengths) {
    const point = Float64Array.from({ length: T * features }, () => Math.fround(r() * 4 - 2));
    const outs = await oraclePredict(m, [[T, features]], [point]);
    cases.push({ inputs: [nested(Array.from(point), [T, features])], outputs: outs.map((o) => o[0]) });
  }
  return { input_shapes: [[-1, features]], output_shapes: [], cases };
}

checkJobs('a None time axis in the Mathematica tensor form', ['rnn_timesteps_none at 1, 2, 7 and 12 steps'], async () => [
  {
    label: 'rnn_timesteps_none at 1, 2, 7 and 12 steps',
    model: join(FIXTURES, 'rnn_timesteps_none', 'model.json'),
    ref: await tfjsAtLengths(join(FIXTURES, 'rnn_timesteps_none', 'model.json'), 3, [1, 2, 7, 12]),
    rtol: 1e-4,
  },
]);

// -------- the interpreter itself: results as the Wolfram documentation defines them.

/**
 * [expression of x (x = {1, 2, 3}), expected flat result or the message Wolfram stops with] — values
 * and messages worked out from the reference pages (ref/Listable, ref/Thread, ref/message/Thread/tdlen,
 * ref/Dot, ref/Part, ref/Span, ref/Transpose, ref/MapThread, ref/Boole, ...). A message means the
 * interpreter must fail there, as the Wolfram runtime does: it may never be more lenient.
 */
const SEMANTICS: [string, number[] | RegExp][] = [
  // Listable arithmetic (ref/Listable): a number combines with every element of a list of any depth.
  ['5 + {{1, 2}, {3, 4}}', [6, 7, 8, 9]],
  ['{{1, 2}, {3, 4}} * 10', [10, 20, 30, 40]],
  ['2^{1, 2, 3}', [2, 4, 8]],
  // Two lists must have the same length; they pair up from the LEADING axis: row i meets element i.
  ['{{1, 2}, {3, 4}} + {10, 20}', [11, 12, 23, 24]],
  ['{{1, 2}, {3, 4}} * {10, 20}', [10, 20, 60, 80]],
  ['{10, 20} - {{1, 2}, {3, 4}}', [9, 8, 17, 16]],
  ['Total[x + ConstantArray[0, {3, 4, 5}], Infinity]', [1 * 20 + 2 * 20 + 3 * 20]],
  // … and level by level further down (a 2×3 and a 2×3×4 array: element [i, j] meets block [i, j]).
  ['Total[{{1, 2, 3}, {4, 5, 6}} + ConstantArray[0, {2, 3, 4}], Infinity]', [21 * 4]],
  // Where NumPy would broadcast from the trailing axis, Wolfram stops with Thread::tdlen.
  ['x + {1, 2}', /^WolframError: Thread::tdlen: Objects of unequal length in Plus\[<array 3>, <array 2>\]/],
  ['{1} + ConstantArray[0, {3, 4, 5}]', /Thread::tdlen: Objects of unequal length in Plus\[<array 1>, <array 3x4x5>\]/], // ONNX's expanded GELU as once printed
  ['ConstantArray[0, {2, 3}] + {1, 2, 3}', /Thread::tdlen/],
  ['ConstantArray[0, {4, 5}] * {1, 2, 3, 4, 5}', /Thread::tdlen: .* in Times\[/],
  ['{{1, 2}, {3, 4}} + {{1, 2, 3}, {4, 5, 6}}', /Thread::tdlen/],
  ['ConstantArray[0, {2, 3}] + ConstantArray[0, {2, 4, 1}]', /Thread::tdlen/],
  ['{1, 2}^x', /Thread::tdlen: .* in Power\[/],
  ['Sum[{1, 2}*i, {i, 2}] + x', /Thread::tdlen/],
  // Dot: the last index of the first tensor with the first index of the second.
  ['{{1, 2}, {3, 4}} . {{5, 6}, {7, 8}}', [19, 22, 43, 50]],
  ['{{{1, 2}}, {{3, 4}}} . {1, 10}', [21, 43]],
  ['{1, 2} . {{1, 2, 3}, {4, 5, 6}}', [9, 12, 15]],
  ['{1, 2, 3} . {4, 5, 6}', [32]],
  ['{{1, 2, 3}, {4, 5, 6}} . {{1, 2, 3}, {4, 5, 6}}', /Dot::dotsh: Tensors <array 2x3> and <array 2x3> have incompatible shapes/],
  ['x . {1, 2}', /Dot::dotsh/],
  ['2 . x', /Dot of a number stays unevaluated/],
  // Transpose[a, {2, 3, 1}]: level k of a becomes level n_k, so r[[i3, i1, i2]] = a[[i1, i2, i3]].
  ['Dimensions[Transpose[{{{1, 2, 3}, {4, 5, 6}}}, {2, 3, 1}]]', [3, 1, 2]],
  ['Transpose[{{{1, 2, 3}, {4, 5, 6}}}, {2, 3, 1}][[1, 1, 2]]', [4]],
  ['Transpose[{{1, 2, 3}, {4, 5, 6}}]', [1, 4, 2, 5, 3, 6]],
  ['Transpose[{1, 2, 3}]', [1, 2, 3]],
  ['Transpose[{{{1, 2, 3}, {4, 5, 6}}}, {1, 4, 2}]', /Transpose::perm/],
  ['Transpose[{{1, 2}, {3, 4}}, {1, 1}]', /not modelled/], // the diagonal, in Wolfram
  ['Flatten[{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}, 1][[3]]', [5, 6]],
  // Part and Span: 1-based, inclusive, negative from the end; out of range is an error, not a wrap.
  ['Range[10][[2 ;; 8 ;; 3]]', [2, 5, 8]],
  ['Range[10][[-3 ;; -1]]', [8, 9, 10]],
  ['{{1, 2, 3}, {4, 5, 6}}[[All, 2 ;; 3]]', [2, 3, 5, 6]],
  ['{{1, 2, 3}, {4, 5, 6}}[[-1, -3]]', [4]],
  ['Range[3][[{1, 1, 3}]]', [1, 1, 3]],
  ['Length[Range[3][[3 ;; 2]]]', [0]],
  ['x[[4]]', /Part::partw: Part 4 of a list of length 3 does not exist/],
  ['x[[0]]', /Part 0 is the head/],
  ['x[[-4]]', /Part::partw/],
  ['x[[1, 1]]', /Part::partd/],
  ['x[[3 ;; 1]]', /Part::take: Cannot take positions 3 through 1 in a list of length 3/],
  ['x[[2 ;; 4]]', /Part::take/],
  ['Join[{{1}, {2}}, {{3}, {4}}, 2]', [1, 3, 2, 4]],
  ['Join[{1}, {2, 3}]', [1, 2, 3]],
  ['ArrayPad[{1, 2}, {{1, 2}}]', [0, 1, 2, 0, 0]],
  ['ArrayPad[{{1}}, {{1, 0}, {0, 1}}, -1]', [-1, -1, 1, -1]],
  // ref/ArrayPad: "ArrayPad[array, -m] removes m elements from each side of array".
  ['ArrayPad[{1, 2, 3, 4}, {{-1, 2}}]', [2, 3, 4, 0, 0]],
  ['ArrayPad[{{1, 2}, {3, 4}}, {{-1, 0}, {0, -1}}]', [3]],
  // MapThread at level n: the lists must agree in their dimensions down to that level.
  ['MapThread[#1 - #2 &, {{5, 7}, {1, 2}}, 1]', [4, 5]],
  ['MapThread[Max, {{{1, 9}}, {{5, 2}}}, 2]', [5, 9]],
  ['MapThread[#1 + #2 &, {{1, 2}, {1, 2, 3}}, 1]', /MapThread::mptc/],
  ['MapThread[#1 + #2 &, {{{1, 2}}, {{1, 2, 3}}}, 2]', /MapThread::mptc/],
  ['Fold[#1 + 2 #2 &, 1, {1, 2, 3}]', [13]],
  ['FoldList[#1 + 2 #2 &, 1, {1, 2, 3}]', [1, 3, 7, 13]],
  // Map at a level {n}: f gets each part at that level ({-1}: the numbers).
  ['Map[#^2 &, {{1, 2}, {3, 4}}, {-1}]', [1, 4, 9, 16]],
  ['Map[Total, {{1, 2}, {3, 4}}, {1}]', [3, 7]],
  ['Map[# + {10, 20} &, {{1, 2}, {3, 4}}, {1}]', [11, 22, 13, 24]],
  ['Map[# + {10, 20} &, {{1, 2, 3}, {4, 5, 6}}, {1}]', /Thread::tdlen/],
  ['Max /@ {{1, 5}, {3, 2}}', [5, 3]],
  // Max and Min flatten their list arguments into one set of numbers.
  ['Max[0, {{-1, 3}, {2, -5}}]', [3]],
  ['Min[x, {0.5}]', [0.5]],
  ['Total[{{1, 2}, {3, 4}}]', [4, 6]],
  ['Total[{{1, 2}, {3, 4}}, Infinity]', [10]],
  ['Mean[{{1, 2}, {3, 4}}]', [2, 3]],
  ['Reverse[{{1, 2}, {3, 4}}, 2]', [2, 1, 4, 3]],
  ['Dimensions[ConstantArray[{1, 2}, {3, 4}]]', [3, 4, 2]],
  ['Ceiling[Range[6]/2]', [1, 1, 2, 2, 3, 3]],
  ['IntegerPart[{-2.5, 2.5}]', [-2, 2]],
  ['ArrayReshape[{{1, 2, 3}, {4, 5, 6}}, {3, 2}][[3]]', [5, 6]],
  ['Sum[i^2, {i, 3}]', [14]],
  ['Table[10 i + j, {i, 2}, {j, 3}]', [11, 12, 13, 21, 22, 23]],
  ['With[{e = Exp[x - Max[x]]}, e/Total[e]][[3]] - 1/(1 + Exp[-1] + Exp[-2])', [0]],
  ['Block[{a, b}, {a, b} = {1, 2}; b - a]', [1]],
  ['Block[{a, b}, {a, b} = {1, 2, 3}; b - a]', /Set: shapes/],
  ['Function[{s, t}, s - t][5, 2]', [3]],
  ['Length[{}]', [0]],
  ['Map[If[-1 < # && # < 2, {#}, {-7}] &, {-1.5, -0.5, 1.9, 2}, {-1}]', [-7, -0.5, 1.9, -7]],
  // Boole of True/False only; a comparison of lists stays unevaluated, and so does Boole of it.
  ['Map[Boole[# > 1] &, x, {-1}]', [0, 1, 1]],
  ['Boole[{1, -1} > 0]', /comparison of non-numbers/],
  ['Boole[2]', /Boole of a non-boolean/],
  ['Map[Boole[#] &, x, {-1}]', /Boole of a non-boolean/],
];

describe('the Wolfram interpreter (test/py/run_wolfram_tensor.py) follows the documented semantics', () => {
  let answers: Answer[] = [];
  beforeAll(async () => {
    if (python.skip) return;
    answers = await runWolframTensor(SEMANTICS.map(([e]) => ({ text: `Function[{x}, ${e}]`, cases: [[[1, 2, 3]]] })));
  }, 60_000);
  SEMANTICS.forEach(([expr, want], i) =>
    withPython(expr, () => {
      const a = answers[i];
      if (want instanceof RegExp) return expect(Array.isArray(a) ? `no error: ${JSON.stringify(a)}` : a.error).toMatch(want);
      if (!Array.isArray(a)) return expect.fail(a.error);
      expect(a[0].length).toBe(want.length);
      a[0].forEach((v, k) => expect(Math.abs((v ?? NaN) - want[k])).toBeLessThan(1e-12));
    }),
  );
});
