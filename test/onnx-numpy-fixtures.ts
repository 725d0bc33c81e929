import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { withPython } from './check.js';
import { FIXTURES, pool, python, readReference, runCRows, runJs, runPyDriver, runSympy, runWolframTensor, tmpFile, withCC } from './helpers.js';

// ONNX models that a fixture folder's make_models.py made with numpy's outputs as the oracle, in settings
// ONNX's conformance cases do not reach (test/onnx-signal-bits, test/onnx-static-rest): the tensor forms
// of NumPy (one python3 process), Wolfram (nn2eq's interpreter, one process), SymPy (first point, one
// process), JS in-process and mathjs (first point, of the models named), C one program each; the
// formats nothing here runs (LaTeX, Julia) must print, and KaTeX render the LaTeX.
const FORMATS = ['numpy', 'js', 'c', 'mathematica', 'mathjs', 'sympy', 'latex', 'julia'] as const;

export interface FixtureSuite {
  /** The folder under fixtures/. */
  readonly folder: string;
  /** What its models hold, for the describe line. */
  readonly title: string;
  /** How many models it has. */
  readonly count: number;
  /** mathjs loads in seconds and evaluates slowly: the models it runs. */
  readonly mathjs: ReadonlySet<string>;
}

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

/** The suite's tests: every model of fixtures/<folder> in every tensor-form format, against numpy's outputs. */
export function numpyFixtureSuite(suite: FixtureSuite): void {
  const dir = join(FIXTURES, suite.folder);
  const NAMES = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'model.onnx'))).sort();
  let built: Promise<Case[]> | undefined;
  const cases = () =>
    (built ??= Promise.all(
      NAMES.map(async (name) => {
        const model = join(dir, name, 'model.onnx');
        const texts = {} as Case['texts'];
        for (const format of FORMATS) texts[format] = (await convertFile(model, { format, form: 'tensor' })).text;
        const ref = readReference(join(dir, name));
        const flats = ref.cases.map((c) => (c.inputs as unknown[][]).flat().map(number));
        const nested = ref.cases.map((c) => (c.inputs as number[][]).map((x, k) => nest(x.map(number), ref.input_shapes[k])));
        return { name, shapes: ref.input_shapes, nested, flat: flats, want: ref.cases.map((c) => (c.outputs as unknown[][]).flat().map(number)), texts };
      }),
    ));

  describe(`${suite.title} (fixtures/${suite.folder}) against numpy`, () => {
    it('has the hand-made models, every tensor-form emitter prints each, and KaTeX renders the LaTeX', async () => {
      expect(NAMES.length).toBe(suite.count);
      for (const c of await cases()) {
        for (const f of FORMATS) expect(c.texts[f].length, `${c.name} ${f}`).toBeGreaterThan(100);
        expect(() => katex.renderToString(c.texts.latex, { displayMode: true, throwOnError: true, maxExpand: Infinity }), `${c.name} latex`).not.toThrow();
      }
    }, 120_000);
    it('JS and mathjs tensor forms', async () => {
      for (const c of await cases()) {
        (await runJs(c.texts.js, c.nested)).forEach((g, i) => close(c, g, i, 'js'));
        // mathjs evaluates slowly: its first point only, of the MATHJS fixtures.
        if (!suite.mathjs.has(c.name)) continue;
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
}
