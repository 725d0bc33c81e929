import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertFile, evaluate, extract, loadModel, Nn2eqError, type Extracted } from '../src/index.js';
import { fitPolynomial } from '../src/transform/fit.js';
import type { Interval } from '../src/transform/interval.js';
import { measureError, taylorModel } from '../src/transform/taylor.js';
import { loadTf, oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { withPython } from './check.js';
import { FIXTURES, flat, readReference, runJs, runNumpy, runWolfram, tmpDir } from './helpers.js';

async function load(name: string): Promise<Extracted> {
  return extract(await loadModel(join(FIXTURES, name, 'model.json')));
}
const inputCount = (ex: Extracted) => ex.inputs.reduce((s, p) => s + p.size, 0);
const boundOf = (rems: Interval[]) => Math.max(...rems.map((r) => Math.max(-r[0], r[1])));

/** TF.js's own predictions (float32) of a fixture at flattened points. */
async function tfPredict(name: string, points: number[][]): Promise<number[][]> {
  const spec = await loadModel(join(FIXTURES, name, 'model.json'));
  const m = await oracleModel(spec);
  const ref = readReference(join(FIXTURES, name));
  const per = await oraclePredict(m, ref.input_shapes, points.map((p) => Float64Array.from(p)));
  return points.map((_, i) => per.flatMap((o) => o[i]));
}

describe('taylor: acceptance', () => {
  it('--taylor 3 on medium_1_3_2_1 matches TF.js to 1e-3 within 0.05 of the origin; bound >= measured and <= 10x', async () => {
    const model = join(FIXTURES, 'medium_1_3_2_1', 'model.json');
    const { text } = await convertFile(model, { format: 'js', transforms: { taylor: 3, range: [-0.05, 0.05] } });
    const xs = Array.from({ length: 41 }, (_, k) => [-0.05 + k * 0.0025]);
    const want = await tfPredict('medium_1_3_2_1', xs);
    const got = await runJs(text, xs.map((x) => [x]));
    got.forEach((g, i) => expect(Math.abs(g[0] - want[i][0])).toBeLessThan(1e-3));
    const ex = await load('medium_1_3_2_1');
    const box: Interval[] = [[-0.05, 0.05]];
    const t = taylorModel(ex.graph, ex.outputIds, 1, 3, [0], box);
    const m = measureError(ex.graph, ex.outputIds, t.space, t.polys, [0], box);
    const bound = boundOf(t.remainders);
    expect(bound).toBeGreaterThanOrEqual(m.max);
    expect(bound).toBeLessThanOrEqual(10 * m.max);
    expect(text).toMatch(/Guaranteed bound on the whole box: \|error\| <= /);
  });
});

const SMOOTH = ['medium_1_3_2_1', 'mathematica_3_2_2_2', 'act_gelu', 'act_mish', 'act_tanh', 'act_softplus', 'act_swish', 'act_sigmoid', 'layer_layernorm', 'layer_batchnorm'];

describe('taylor: the guaranteed bound holds (property: random boxes, orders, points inside)', () => {
  for (const name of SMOOTH) {
    it(name, async () => {
      const ex = await load(name);
      const n = inputCount(ex);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 4 }),
          fc.double({ min: -1, max: 1, noNaN: true }),
          fc.double({ min: 0.01, max: 1.5, noNaN: true }),
          fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { minLength: 5, maxLength: 5 }),
          (order, centre, half, unit) => {
            const box: Interval[] = Array.from({ length: n }, () => [centre - half, centre + half]);
            const at = new Array<number>(n).fill(centre);
            const t = taylorModel(ex.graph, ex.outputIds, n, order, at, box);
            for (const w of unit) {
              const x = w.map((s, i) => box[i][0] + s * (box[i][1] - box[i][0]));
              const v = evaluate(ex.graph, x);
              const u = x.map((xi, i) => xi - at[i]);
              ex.outputIds.forEach((o, k) => {
                const err = v[o] - t.space.evaluate(t.polys[k], u);
                expect(err).toBeGreaterThanOrEqual(t.remainders[k][0]);
                expect(err).toBeLessThanOrEqual(t.remainders[k][1]);
              });
            }
          },
        ),
        { numRuns: 60, seed: 11 },
      );
    }, 60_000);
  }
});

describe('taylor and fit through every emitter, against TF.js', () => {
  const name = 'mathematica_3_2_2_2';
  const model = join(FIXTURES, name, 'model.json');
  const xs = Array.from({ length: 6 }, (_, k) => [Math.sin(k + 1) * 0.3, Math.cos(2 * k) * 0.3, Math.sin(3 * k + 0.5) * 0.3]);
  const box: Interval[] = [[-0.3, 0.3], [-0.3, 0.3], [-0.3, 0.3]];
  const bound = async () => {
    const ex = await load(name);
    return boundOf(taylorModel(ex.graph, ex.outputIds, 3, 3, [0, 0, 0], box).remainders);
  };
  const within = async (got: number[][], tol: number) => {
    const want = await tfPredict(name, xs);
    got.forEach((g, i) => g.forEach((v, k) => expect(Math.abs(v - want[i][k])).toBeLessThanOrEqual(tol + 1e-6)));
  };
  const opts = { transforms: { taylor: 3, range: [-0.3, 0.3] as [number, number] } };
  it('js', async () => within(await runJs((await convertFile(model, { format: 'js', ...opts })).text, xs.map((x) => [x])), await bound()));
  withPython('numpy', async () => within(await runNumpy((await convertFile(model, { format: 'numpy', ...opts })).text, xs.map((x) => [x])), await bound()));
  withPython('mathematica (through sympy)', async () => within(await runWolfram((await convertFile(model, { format: 'mathematica', ...opts })).text, xs.map((x) => [x])), await bound()), 120_000);
  it('latex renders in KaTeX, notes as % lines', async () => {
    const { checkLatex } = await import('../src/verify/runtimes.js');
    const { text } = await convertFile(model, { format: 'latex', ...opts });
    expect(text.split('\n')[0]).toMatch(/^% Taylor polynomial of order 3/);
    expect(await checkLatex(text)).toEqual({ valid: true });
  });
  it('--fit 3 on [-1, 1]: within its measured error of TF.js, and closer than --taylor 3 at the edges', async () => {
    const ex = await load(name);
    const b1: Interval[] = [[-1, 1], [-1, 1], [-1, 1]];
    const f = fitPolynomial(ex.graph, ex.outputIds, 3, 3, b1);
    const m = measureError(ex.graph, ex.outputIds, f.space, f.polys, [0, 0, 0], b1);
    const edge = [[1, -1, 1], [-1, 1, -1], [1, 1, 1]];
    const { text } = await convertFile(model, { format: 'js', transforms: { fit: 3, range: [-1, 1] } });
    const got = await runJs(text, edge.map((x) => [x]));
    const want = await tfPredict(name, edge);
    got.forEach((g, i) => g.forEach((v, k) => expect(Math.abs(v - want[i][k])).toBeLessThanOrEqual(m.max + 1e-6)));
    const t = taylorModel(ex.graph, ex.outputIds, 3, 3, [0, 0, 0], b1);
    const tm = measureError(ex.graph, ex.outputIds, t.space, t.polys, [0, 0, 0], b1);
    expect(m.max).toBeLessThan(tm.max);
  });
});

describe('taylor: refusals, warnings, speed', () => {
  it('refuses ReLU with a pointer to --input-range', async () => {
    const err = await convertFile(join(FIXTURES, 'act_relu', 'model.json'), { format: 'js', transforms: { taylor: 2 } }).catch((e) => e);
    expect(err).toBeInstanceOf(Nn2eqError);
    expect(err.message).toMatch(/'max' \(a ReLU-family kink\)/);
    expect(err.hint).toMatch(/--input-range/);
  });
  it('--max-terms caps the polynomial', async () => {
    const err = await convertFile(join(FIXTURES, 'mathematica_3_2_2_2', 'model.json'), { format: 'js', transforms: { taylor: 4, maxTerms: 20 } }).catch((e) => e);
    expect(err).toBeInstanceOf(Nn2eqError);
    expect(err.message).toMatch(/up to 35 terms, over --max-terms 20/);
  });
  it('warns when a pre-activation leaves the radius of convergence', async () => {
    const { text } = await convertFile(join(FIXTURES, 'act_tanh', 'model.json'), { format: 'js', transforms: { taylor: 3, range: [-6, 6] } });
    expect(text).toMatch(/WARNING: the argument of a tanh ranges over .* past the series' radius of convergence/);
  });
  it('order 4 for a 10-input tanh MLP (10-16-16-2) takes seconds', async () => {
    const tf = await loadTf();
    const model = tf.sequential();
    const init = (seed: number) => tf.initializers.glorotNormal({ seed });
    model.add(tf.layers.dense({ units: 16, activation: 'tanh', inputShape: [10], kernelInitializer: init(1) }));
    model.add(tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: init(2) }));
    model.add(tf.layers.dense({ units: 2, kernelInitializer: init(3) }));
    const dir = tmpDir();
    await model.save({
      save: async (a: { modelTopology: unknown; weightSpecs: unknown; weightData: ArrayBuffer }) => {
        writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }] }));
        writeFileSync(join(dir, 'w.bin'), Buffer.from(a.weightData));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    });
    const t0 = Date.now();
    const { text } = await convertFile(join(dir, 'model.json'), { format: 'js', transforms: { taylor: 4, range: [-0.2, 0.2] } });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(text).toMatch(/of 1001 possible per output/);
    // The printed polynomial agrees with TF.js within the stated bound.
    const bound = Number(/\|error\| <= ([\d.e+-]+)/.exec(text)![1]);
    const x = Array.from({ length: 10 }, (_, i) => 0.2 * Math.sin(i + 1));
    const [got] = await runJs(text, [[x]]);
    const want = flat(Array.from((model.predict(tf.tensor([x])) as { dataSync: () => Float32Array }).dataSync()));
    got.forEach((g, k) => expect(Math.abs(g - want[k])).toBeLessThanOrEqual(bound * 1.01 + 1e-6));
  }, 60_000);
});
