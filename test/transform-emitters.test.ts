import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile, loadModel } from '../src/index.js';
import type { TransformOptions } from '../src/transform/pipeline.js';
import { samplePoints } from '../src/transform/taylor.js';
import { oracleModel, oraclePredict } from '../src/verify/oracle.js';
import { extraRunners } from '../src/verify/extra-runtimes.js';
import { checkLatex } from '../src/verify/runtimes.js';
import { withPython } from './check.js';
import { FIXTURES, readReference, runJs, runNumpy, runWolfram } from './helpers.js';

/** Each transform on a fixture it applies to, and the tolerance its own header states against TF.js. */
const CASES: { name: string; fixture: string; transforms: TransformOptions; box: [number, number]; tolerance: (text: string) => number }[] = [
  { name: '--input-range', fixture: 'functional_chain', transforms: { inputRange: [[0, 0.2]] }, box: [0, 0.2], tolerance: () => 1e-5 },
  { name: '--expand', fixture: 'act_swish', transforms: { expand: true }, box: [-2, 2], tolerance: () => 1e-5 },
  { name: '--prune', fixture: 'keras_functional', transforms: { prune: 0.1, range: [-1, 1] }, box: [-1, 1], tolerance: (t) => Number(/largest output change ([\d.e+-]+)/.exec(t)![1]) * 1.5 + 1e-5 },
  { name: '--taylor 4', fixture: 'act_gelu', transforms: { taylor: 4, range: [-0.5, 0.5] }, box: [-0.5, 0.5], tolerance: (t) => Number(/\|error\| <= ([\d.e+-]+)/.exec(t)![1]) + 1e-5 },
  { name: '--taylor 2 --at 0.2', fixture: 'medium_1_3_2_1', transforms: { taylor: 2, at: [0.2], range: [0, 0.4] }, box: [0, 0.4], tolerance: (t) => Number(/\|error\| <= ([\d.e+-]+)/.exec(t)![1]) + 1e-5 },
  { name: '--fit 3', fixture: 'act_mish', transforms: { fit: 3, range: [-1, 1] }, box: [-1, 1], tolerance: (t) => Number(/measured max ([\d.e+-]+)/.exec(t)![1]) * 1.5 + 1e-5 },
];

/** An nn2poly-shaped polynomial evaluated at each point: Σ_k values[k][j] · Π_{v ∈ labels[k]} (x_v − at_v). */
function nn2poly(doc: { labels: number[][]; values: number[][]; at: number[] }, points: number[][]): number[][] {
  return points.map((x) => doc.values[0].map((_, j) => doc.labels.reduce((s, label, k) => s + doc.values[k][j] * label.reduce((m, v) => (v === 0 ? m : m * (x[v - 1] - doc.at[v - 1])), 1), 0)));
}

async function tfPredict(fixture: string, points: number[][]): Promise<number[][]> {
  const m = await oracleModel(await loadModel(join(FIXTURES, fixture, 'model.json')));
  const per = await oraclePredict(m, readReference(join(FIXTURES, fixture)).input_shapes, points.map((p) => Float64Array.from(p)));
  return points.map((_, i) => per.flatMap((o) => o[i]));
}

for (const c of CASES) {
  describe(`${c.name} on ${c.fixture}: every emitter against TF.js within the stated error`, () => {
    const model = join(FIXTURES, c.fixture, 'model.json');
    const n = readReference(join(FIXTURES, c.fixture)).input_shapes.reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
    const xs = samplePoints(Array.from({ length: n }, () => c.box), 16).slice(0, 16);
    const cases = xs.map((x) => [x]);
    const check = async (format: 'js' | 'numpy' | 'mathematica', run: (text: string, cases: unknown[][]) => Promise<number[][]>) => {
      const { text } = await convertFile(model, { format, transforms: c.transforms });
      const tol = c.tolerance(text);
      // The transform did something: no 'dropped 0' or '0 always active'.
      expect(text).not.toMatch(/dropped 0 of|, 0 always active/);
      const want = await tfPredict(c.fixture, xs);
      const got = await run(text, cases);
      got.forEach((g, i) => g.forEach((v, k) => expect(Math.abs(v - want[i][k]), `point ${i} output ${k}`).toBeLessThanOrEqual(tol + 1e-5 * Math.abs(want[i][k]))));
    };
    it('js', () => check('js', runJs));
    withPython('numpy', () => check('numpy', runNumpy));
    withPython('mathematica (through sympy)', () => check('mathematica', (t, cs) => runWolfram(t, cs)), 120_000);
    // The other code formats, run as --verify runs them (gcc; python3-sympy; mathjs; the JSON IR evaluated).
    for (const format of ['c', 'sympy', 'mathjs', 'json'] as const) {
      const runs = async () => {
        const r = await convertFile(model, { format, transforms: c.transforms });
        const tol = c.tolerance(r.text);
        const want = await tfPredict(c.fixture, xs);
        // --taylor / --fit with json print nn2poly's table: labels (input indices from 1, [0] the intercept) and values.
        const got = format === 'json' && (c.transforms.taylor !== undefined || c.transforms.fit !== undefined) ? { values: nn2poly(JSON.parse(r.text), xs) } : await extraRunners(r.text, r.extracted!.inputs, xs.map((x) => Float64Array.from(x)))[format]();
        if (!('values' in got)) throw new Error(`${format}: ${JSON.stringify(got)}`);
        got.values.forEach((g, i) => g.forEach((v, k) => expect(Math.abs(v - want[i][k]), `point ${i} output ${k}`).toBeLessThanOrEqual(tol + 1e-5 * Math.abs(want[i][k]))));
      };
      if (format === 'sympy') withPython(format, runs);
      else it(format, runs, 60_000);
    }
    // The pictures of the LaTeX: KaTeX's MathML page, MathJax's SVG (checked as --verify checks them).
    for (const format of ['html', 'svg'] as const) {
      it(`${format} renders, with the header's notes`, async () => {
        const r = await convertFile(model, { format, transforms: c.transforms });
        expect(await extraRunners(r.text, r.extracted!.inputs, [])[format]()).toEqual({ valid: true });
        // The LaTeX header's first note (the pictures draw the LaTeX) is in the picture too.
        const note = (await convertFile(model, { format: 'latex', transforms: c.transforms })).text.split('\n').find((l) => /^% (--|Taylor|Least|Jacobian)/.test(l))!.slice(2, 40);
        expect(r.text).toContain(note.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      }, 60_000);
    }
    it('latex renders in KaTeX', async () => {
      const { text } = await convertFile(model, { format: 'latex', transforms: c.transforms });
      expect(text.startsWith('% ')).toBe(true);
      expect(await checkLatex(text)).toEqual({ valid: true });
    });
  });
}
