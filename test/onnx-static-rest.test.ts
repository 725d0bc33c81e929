import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { withPython } from './check.js';
import { FIXTURES, pool, python, readReference, runCRows, runJs, runPyDriver, runSympy, runWolframTensor, tmpFile, withCC } from './helpers.js';

// The last static-shape ops of issue 29's conformance run in settings its cases do not reach
// (fixtures/onnx-static-rest, made by its make_models.py with numpy's outputs as the oracle): If on
// a computed condition whose untaken branch holds NaN and ±∞ (they must not leak into the choice),
// MelWeightMatrix with computed band edges (float32, float64, and past the Nyquist frequency, NaN),
// Cast of computed floats and int32 values to int4, uint4, int2 and uint2, and 32-bit integer
// products (Mul, CumProd) that pass 2^53 before ONNX's wrap, and the optimizer steps Adam, Momentum
// (nesterov) and Adagrad at T = 0 and T > 0, a Loop of constant trip count, and a TreeEnsemble
// whose inputs equal its float32 splits (and hold NaN). The tensor forms of
// NumPy (one python3 process), Wolfram (nn2eq's interpreter, one process), SymPy (first point, one
// process), JS and mathjs (first point) in-process, C one program each; the formats nothing here
// runs (LaTeX, Julia) must print, and KaTeX render the LaTeX.
const DIR = join(FIXTURES, 'onnx-static-rest');
const NAMES = readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'model.onnx'))).sort();
/** mathjs loads in seconds and evaluates slowly: the choice and the wrapped products only. */
const MATHJS = new Set(['if_computed_nan', 'int_products_wrap']);
const FORMATS = ['numpy', 'js', 'c', 'mathematica', 'mathjs', 'sympy', 'latex', 'julia'] as const;

interface Case {
  name: string;
  shapes: number[][];
  /** Per point: the inputs nested in their shapes, and flat. */
  nested: unknown[][];
  flat: number[][];
  want: number[][];
  texts: Record<(typeof FORMATS)[number], string>;
}

function nest(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

/** A reference value: JSON has no NaN or infinities (null and strings there). */
const number = (v: unknown): number => (v === null ? NaN : typeof v === 'string' ? Number(v) : (v as number));

let built: Promise<Case[]> | undefined;
const cases = () =>
  (built ??= Promise.all(
    NAMES.map(async (name) => {
      const model = join(DIR, name, 'model.onnx');
      const texts = {} as Case['texts'];
      for (const format of FORMATS) texts[format] = (await convertFile(model, { format, form: 'tensor' })).text;
      const ref = readReference(join(DIR, name));
      const flats = ref.cases.map((c) => (c.inputs as unknown[][]).flat().map(number));
      const nested = ref.cases.map((c) => (c.inputs as number[][]).map((x, k) => nest(x.map(number), ref.input_shapes[k])));
      return { name, shapes: ref.input_shapes, nested, flat: flats, want: ref.cases.map((c) => (c.outputs as unknown[][]).flat().map(number)), texts };
    }),
  ));

/** Every value within atol 1e-6 + rtol 1e-5 of numpy's (whole numbers past 2^20 exactly), NaN where numpy has NaN. */
function close(c: Case, got: readonly (number | null)[], i: number, what: string): void {
  const want = c.want[i];
  expect(got.length, `${c.name} ${what} point ${i}: values`).toBe(want.length);
  want.forEach((w, k) => {
    const g = got[k] === null ? NaN : (got[k] as number);
    // Whole numbers past 2^20 (the wrapped products) exactly: a tolerance relative to 10^9 would hide an error of thousands.
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || (!(Number.isInteger(w) && Math.abs(w) >= 2 ** 20) && Math.abs(g - w) <= 1e-6 + 1e-5 * Math.abs(w));
    expect(ok, `${c.name} ${what} point ${i} value ${k}: got ${g}, want ${w}`).toBe(true);
  });
}

describe('If on a computed condition, MelWeightMatrix of computed edges, packed casts, wrapped products, optimizer steps (fixtures/onnx-static-rest) against numpy', () => {
  it('has the hand-made models, every tensor-form emitter prints each, and KaTeX renders the LaTeX', async () => {
    expect(NAMES.length).toBe(8);
    for (const c of await cases()) {
      for (const f of FORMATS) expect(c.texts[f].length, `${c.name} ${f}`).toBeGreaterThan(100);
      expect(() => katex.renderToString(c.texts.latex, { displayMode: true, throwOnError: true, maxExpand: Infinity }), `${c.name} latex`).not.toThrow();
    }
  }, 120_000);
  it('JS and mathjs tensor forms', async () => {
    for (const c of await cases()) {
      (await runJs(c.texts.js, c.nested)).forEach((g, i) => close(c, g, i, 'js'));
      // mathjs evaluates slowly: its first point only, of the MATHJS fixtures.
      if (!MATHJS.has(c.name)) continue;
      (await runMathjsText(c.texts.mathjs, c.flat.slice(0, 1))).forEach((g, i) => close(c, g, i, 'mathjs'));
    }
  }, 120_000);
  withPython('NumPy tensor form (one python3 process)', async () => {
    const all = await cases();
    const jobs = all.flatMap((c) => c.nested.map((inputs, i) => ({ c, i, inputs })));
    const got = await runPyDriver<(number | string | null)[][]>(
      python.exe,
      `
import numpy as np
res = []
for m, rows in modules():
    out = m.predict(*[np.array(x, dtype=np.float64) for x in rows])
    vals = [v for o in (out if isinstance(out, list) else [out]) for v in np.asarray(o, dtype=np.float64).ravel().tolist()]
    res.append([None if v != v else str(v) if abs(v) == float('inf') else v for v in vals])
print(json.dumps(res))
`,
      jobs.map((j) => j.c.texts.numpy),
      jobs.map((j) => j.inputs as number[][]),
    );
    jobs.forEach((j, k) => close(j.c, got[k].map((v) => (typeof v === 'string' ? Number(v.replace('inf', 'Infinity')) : v)), j.i, 'numpy'));
  }, 120_000);
  withPython("Wolfram tensor form (nn2eq's interpreter, one python3 process)", async () => {
    const all = await cases();
    const answers = await runWolframTensor(all.map((c) => ({ text: c.texts.mathematica, cases: c.nested })));
    answers.forEach((a, k) => {
      if ('error' in a) throw new Error(`${all[k].name}: ${a.error}`);
      // The interpreter answers null for any value that is not finite: those are checked by the other formats.
      a.forEach((g, i) => close(all[k], g.map((v, j) => (v === null && !Number.isFinite(all[k].want[i][j]) ? all[k].want[i][j] : v)), i, 'wolfram'));
    });
  }, 120_000);
  withPython('SymPy tensor form (one python3 process)', async () => {
    const all = await cases();
    const got = await runSympy(python.exe, all.map((c) => tmpFile('py', c.texts.sympy)), all.map((c) => c.flat.slice(0, 1)), all.map((c) => c.shapes));
    got.forEach((rows, k) => {
      if (rows instanceof Error) throw new Error(`${all[k].name}: ${rows.message}`);
      rows.forEach((g, i) => close(all[k], g, i, 'sympy'));
    });
  }, 120_000);
  withCC('C tensor form (gcc, one program per fixture)', async () => {
    const all = await cases();
    const got = await pool(all.map((c) => () => runCRows(c.texts.c, c.flat, c.want[0].length)), 2);
    got.forEach((rows, k) => rows.forEach((g, i) => close(all[k], g, i, 'c')));
  }, 120_000);
});
