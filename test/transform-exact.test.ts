import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertFile, evaluate, extract, loadModel, type Extracted } from '../src/index.js';
import { expand } from '../src/transform/expand.js';
import { restrictToBox } from '../src/transform/input-range.js';
import type { Interval } from '../src/transform/interval.js';
import { prune } from '../src/transform/prune.js';
import { samplePoints } from '../src/transform/taylor.js';
import { oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, readReference, runJs, runNumpy, runWolfram } from './helpers.js';

async function load(name: string): Promise<Extracted> {
  return extract(await loadModel(join(FIXTURES, name, 'model.json')));
}
const inputCount = (ex: Extracted) => ex.inputs.reduce((s, p) => s + p.size, 0);

async function tfPredict(name: string, points: number[][]): Promise<number[][]> {
  const m = await oracleModel(await loadModel(join(FIXTURES, name, 'model.json')));
  const per = await oraclePredict(m, readReference(join(FIXTURES, name)).input_shapes, points.map((p) => Float64Array.from(p)));
  return points.map((_, i) => per.flatMap((o) => o[i]));
}

const KINKED = ['keras_sequential', 'functional_chain', 'act_relu', 'act_relu6', 'layer_leaky_relu', 'act_elu', 'layer_relu_max_value', 'layer_thresholded_relu', 'act_softsign', 'merge_all'];

describe('--input-range is exact on the box (property)', () => {
  for (const name of KINKED) {
    it(name, async () => {
      const ex = await load(name);
      const n = inputCount(ex);
      let changed = 0;
      fc.assert(
        fc.property(
          fc.double({ min: -1.5, max: 1.5, noNaN: true }),
          fc.double({ min: 0.001, max: 1, noNaN: true }),
          fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { minLength: 4, maxLength: 4 }),
          (centre, half, unit) => {
            const box: Interval[] = Array.from({ length: n }, () => [centre - half, centre + half]);
            const r = restrictToBox(ex.graph, ex.outputIds, box);
            changed += r.report.inactive + r.report.linear;
            for (const w of unit) {
              const x = w.map((s, i) => box[i][0] + s * (box[i][1] - box[i][0]));
              const a = evaluate(ex.graph, x);
              const b = evaluate(r.graph, x);
              const got = r.outputs.map((o) => b[o]);
              const want = ex.outputIds.map((o) => a[o]);
              expect(mismatch(got, want, 1e-12, 1e-12)).toBeNull();
            }
          },
        ),
        { numRuns: 40, seed: 11 },
      );
      expect(changed).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe('--expand is exact (property) and right through the emitters', () => {
  for (const name of ['mathematica_3_2_2_2', 'medium_1_3_2_1', 'act_softplus', 'act_mish', 'act_swish', 'rnn_lstm_sequences']) {
    it(`${name}: same values on random inputs`, async () => {
      const ex = await load(name);
      const n = inputCount(ex);
      const e = expand(ex.graph, ex.outputIds);
      expect(Object.keys(e.rewritten).length).toBeGreaterThan(0);
      expect(e.graph.nodes.some((x) => x.op === 'tanh' || x.op === 'sigmoid' || x.op === 'softplus')).toBe(false);
      fc.assert(
        fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n }), (x) => {
          const a = evaluate(ex.graph, x);
          const b = evaluate(e.graph, x);
          expect(mismatch(e.outputs.map((o) => b[o]), ex.outputIds.map((o) => a[o]), 1e-12, 1e-10)).toBeNull();
        }),
        { numRuns: 50, seed: 11 },
      );
    });
  }
  const name = 'act_mish';
  const model = join(FIXTURES, name, 'model.json');
  const ref = readReference(join(FIXTURES, name));
  const cases = ref.cases.map((c) => c.inputs);
  const want = ref.cases.map((c) => flat(c.outputs));
  const check = (got: number[][]) => got.forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-5)).toBeNull());
  it('js against TF.js reference', async () => check(await runJs((await convertFile(model, { format: 'js', transforms: { expand: true } })).text, cases)));
  withPython('numpy against TF.js reference', async () => check(await runNumpy((await convertFile(model, { format: 'numpy', transforms: { expand: true } })).text, cases)));
  withPython('mathematica against TF.js reference', async () => check(await runWolfram((await convertFile(model, { format: 'mathematica', transforms: { expand: true } })).text, cases)), 120_000);
});

describe('--input-range through the emitters, against TF.js inside the box', () => {
  const name = 'keras_sequential';
  const model = join(FIXTURES, name, 'model.json');
  const box: Interval[] = [[-0.3, 0.3], [-0.3, 0.3], [-0.3, 0.3]];
  const xs = samplePoints(box, 12);
  const opts = { transforms: { inputRange: [[-0.3, 0.3]] as [number, number][] } };
  it('js: units removed and linearized, values equal TF.js', async () => {
    const { text } = await convertFile(model, { format: 'js', ...opts });
    expect(text).toMatch(/of 4 ReLU-family units .* 2 never active there were removed, 1 always active became linear/);
    const want = await tfPredict(name, xs);
    (await runJs(text, xs.map((x) => [x]))).forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-5)).toBeNull());
  });
  withPython('numpy', async () => {
    const want = await tfPredict(name, xs);
    (await runNumpy((await convertFile(model, { format: 'numpy', ...opts })).text, xs.map((x) => [x]))).forEach((g, i) => expect(mismatch(g, want[i], 1e-5, 1e-5)).toBeNull());
  });
});

describe('--prune', () => {
  it('drops exactly the small coefficients and reports the measured change', async () => {
    const ex = await load('mathematica_3_2_2_2');
    let small = 0;
    for (const node of ex.graph.nodes) if (node.op === 'affine') for (const c of node.coefs!) if (Math.abs(c) < 0.3) small++;
    const p = prune(ex.graph, ex.outputIds, 0.3);
    expect(p.dropped).toBe(small);
    expect(p.graph.nodes.every((node) => node.op !== 'affine' || node.coefs!.every((c) => Math.abs(c) >= 0.3))).toBe(true);
    const model = join(FIXTURES, 'mathematica_3_2_2_2', 'model.json');
    const { text } = await convertFile(model, { format: 'js', transforms: { prune: 0.3, range: [-1, 1] } });
    const m = /dropped (\d+) of \d+ affine coefficients .* largest output change ([\d.e+-]+)/.exec(text)!;
    expect(Number(m[1])).toBe(small);
    // The printed equations differ from TF.js by no more than the reported change on the sample it was measured on.
    const xs = samplePoints([[-1, 1], [-1, 1], [-1, 1]], 4000).slice(0, 200);
    const want = await tfPredict('mathematica_3_2_2_2', xs);
    const got = await runJs(text, xs.map((x) => [x]));
    const worst = Math.max(...got.flatMap((g, i) => g.map((v, k) => Math.abs(v - want[i][k]))));
    expect(worst).toBeLessThanOrEqual(Number(m[2]) * 1.01 + 1e-5);
    expect(worst).toBeGreaterThan(0.01);
  });
});
