import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import type { Format } from '../src/emit/index.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { ccSkip, FIXTURES, inCI, python, runCRows, runJs, runPyDriver, runSympy, runWolfram, runWolframTensor, tmpFile } from './helpers.js';

// Issue 29, "no wrong number": the small models of fixtures/onnx-edge (made by its make_edge.py) on
// ±∞, NaN and ±1000 in every format, against ONNX Runtime on the same inputs (NaN matches NaN only).
// - a zero weight or a product with 0 is kept where the other factor may be ±∞ (0·∞ is NaN);
// - Trilu and CumSum of a computed tensor never multiply by a 0/1 mask;
// - Softmax, LogSoftmax, ReduceLogSumExp and Softplus do not overflow at |x| = 1000.
// Each runtime runs once for all models (C: one compile per model).

const DIR = join(FIXTURES, 'onnx-edge');
const NAMES = readdirSync(DIR).filter((n) => !n.includes('.')).sort();

/** ±∞ and NaN among ordinary values, for the zero-product models. */
const SPECIAL = [1, Infinity, -2, NaN, 0.5, -Infinity, 3, 0, -0.25, 2, -1, 1.5];
/** Large magnitudes, where exp overflows without the max shift (and a row of equal values). */
const LARGE = [1000, 999, -1000, 0.5, -1000, -999, -1001, -1000, 88.75, 89.5, 1000, -5, 30, 30, 30, 30];
/** ±∞ in a group of finite values (its other entries: NaN in the softmaxes, as ONNX Runtime gives), a group of −∞ only, and NaN. */
const INFINITE = [Infinity, 1, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0, 1, 2, NaN, 1, 2, 3];
const INPUTS = (name: string) => (/softmax|sum_exp|softplus/.test(name) ? [LARGE, LARGE.map((v) => -v), INFINITE] : [SPECIAL, SPECIAL.slice(5).concat(SPECIAL.slice(0, 5))]);

interface Case {
  name: string;
  dims: number[];
  /** Per point, the flat input. */
  points: number[][];
  want: number[][];
}

const cases: Case[] = [];
const model = (c: Case) => join(DIR, c.name, 'model.onnx');
const text = (c: Case, format: Format, form: 'scalar' | 'tensor') => convertFile(model(c), { format, form }).then((r) => r.text);

beforeAll(async () => {
  for (const name of NAMES) {
    const rt = await openOnnxRuntime(readFileSync(join(DIR, name, 'model.onnx')));
    try {
      const dims = (await convertFile(join(DIR, name, 'model.onnx'), { format: 'js', form: 'tensor' })).program!.inputs[0].tensor.shape.slice();
      const n = dims.reduce((a, b) => a * b, 1);
      const points = INPUTS(name).map((vs) => Array.from({ length: n }, (_, k) => vs[k % vs.length]));
      const want: number[][] = [];
      for (const p of points) want.push(Array.from((await rt.run([{ name: rt.inputNames[0], dtype: 'float32', dims, values: Float32Array.from(p) }]))[0].values));
      cases.push({ name, dims, points, want });
    } finally {
      await rt.release();
    }
  }
}, 120_000);

/** The first value that differs (NaN matching NaN only, infinities only themselves); `finiteOnly`: a runner that reports every non-finite value as null. */
function differs(got: readonly (number | null)[], want: readonly number[], finiteOnly = false): string | null {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    if (finiteOnly && g === null && !Number.isFinite(w)) continue;
    if (typeof g === 'number' && (Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= 1e-5 + 1e-5 * Math.abs(w))) continue;
    return `value ${i}: got ${g}, ONNX Runtime ${w}`;
  }
  return null;
}

/** Checks every point of every case with `run`, collecting the differences (or the error) per case. */
async function check(label: string, run: (c: Case) => Promise<(readonly (number | null)[])[]>, finiteOnly = false, only: (c: Case) => boolean = () => true): Promise<string[]> {
  const bad: string[] = [];
  for (const c of cases.filter(only)) {
    try {
      const got = await run(c);
      c.want.forEach((w, i) => {
        const d = differs(got[i], w, finiteOnly);
        if (d) bad.push(`${label} ${c.name} point ${i}: ${d}`);
      });
    } catch (e) {
      bad.push(`${label} ${c.name}: ${String((e as Error).message).split('\n').filter(Boolean).at(-1)}`);
    }
  }
  return bad;
}

function nest(values: readonly number[], dims: readonly number[]): unknown {
  if (dims.length === 0) return values[0];
  const inner = dims.slice(1).reduce((m, d) => m * d, 1);
  return Array.from({ length: dims[0] }, (_, i) => nest(values.slice(i * inner, (i + 1) * inner), dims.slice(1)));
}

/** JSON has no ∞ or NaN: python reads these strings with float(). */
const jsonNumber = (v: number) => (Number.isFinite(v) ? v : (String(v) as unknown as number));
const fromJson = (v: number | string) => (typeof v === 'string' ? (v === 'nan' ? NaN : v.startsWith('-') ? -Infinity : Infinity) : v);

describe('edge values: every format against ONNX Runtime', () => {
  it('JavaScript, scalar and tensor form', async () => {
    const bad: string[] = [];
    for (const form of ['scalar', 'tensor'] as const) bad.push(...(await check(`js ${form}`, async (c) => runJs(await text(c, 'js', form), c.points.map((p) => [nest(p, c.dims)])))));
    expect(bad).toEqual([]);
  });

  it('mathjs, tensor form', async () => {
    expect(await check('mathjs tensor', async (c) => runMathjsText(await text(c, 'mathjs', 'tensor'), c.points))).toEqual([]);
  });

  it.skipIf(ccSkip && !inCI)(`C, tensor form${ccSkip ? ` [${ccSkip}]` : ''}`, async () => {
    if (ccSkip) expect.fail(ccSkip);
    expect(await check('c tensor', async (c) => runCRows(await text(c, 'c', 'tensor'), c.points, c.want[0].length))).toEqual([]);
  });

  describe('python3', () => {
    if (python.skip && !inCI) {
      it.skip(`NumPy, SymPy and Wolfram [needs ${python.skip}]`, () => {});
      return;
    }
    it('NumPy, scalar and tensor form, in one python3', async () => {
      if (python.skip) expect.fail(python.skip);
      const jobs = cases.flatMap((c) => (['scalar', 'tensor'] as const).map((form) => ({ c, form })));
      const texts = await Promise.all(jobs.map((j) => text(j.c, 'numpy', j.form)));
      const got = await runPyDriver<((number | string)[] | string)[][]>(python.exe, NUMPY_DRIVER, texts, jobs.map((j) => j.c.points.map((p) => [j.c.dims, p.map(jsonNumber)] as unknown as number[])));
      const bad: string[] = [];
      jobs.forEach((j, k) => {
        j.c.want.forEach((w, i) => {
          const r = got[k][i];
          const d = typeof r === 'string' ? r : differs(r.map(fromJson), w);
          if (d) bad.push(`numpy ${j.form} ${j.c.name} point ${i}: ${d}`);
        });
      });
      expect(bad).toEqual([]);
    }, 60_000);

    it('SymPy, scalar and tensor form', async () => {
      if (python.skip) expect.fail(python.skip);
      const jobs = await Promise.all(cases.flatMap((c) => (['scalar', 'tensor'] as const).map(async (form) => ({ c, form, file: tmpFile('py', await text(c, 'sympy', form)) }))));
      const got = await runSympy(python.exe, jobs.map((j) => j.file), jobs.map((j) => j.c.points.map((p) => p.map(jsonNumber))), jobs.map((j) => (j.form === 'tensor' ? [j.c.dims] : null)));
      const bad: string[] = [];
      jobs.forEach((j, k) => {
        const r = got[k];
        // SymPy numbers: float() of a comparison with nan or of a complex number raises; an error is never a wrong number.
        if (r instanceof Error) {
          if (!(j.form === 'tensor' && /Cannot convert (complex|expression) to float|is not comparable|Invalid NaN comparison/.test(r.message))) bad.push(`sympy ${j.form} ${j.c.name}: ${r.message.split('\n').filter(Boolean).at(-1)}`);
          return;
        }
        j.c.want.forEach((w, i) => {
          // SymPy's real symbols are finite: its algebra takes 0·x as 0 and |x| = ∞ as false while it
          // builds an expression, and its softmax is exp(x)/Σexp(x) (its Floats do not overflow). An
          // infinite input is outside SymPy's domain; ±1000 and NaN are checked.
          if (j.c.points[i].some((v) => v === Infinity || v === -Infinity)) return;
          const d = differs(r[i], w);
          if (d) bad.push(`sympy ${j.form} ${j.c.name} point ${i}: ${d}`);
        });
      });
      expect(bad).toEqual([]);
    }, 120_000);

    it('Wolfram, scalar and tensor form (nn2eq\'s interpreters)', async () => {
      if (python.skip) expect.fail(python.skip);
      const tensor = await runWolframTensor(await Promise.all(cases.map(async (c) => ({ text: await text(c, 'mathematica', 'tensor'), cases: c.points.map((p) => [nest(p.map(jsonNumber), c.dims)]) }))));
      const bad: string[] = [];
      cases.forEach((c, k) => {
        const r = tensor[k];
        if ('error' in r) bad.push(`wolfram tensor ${c.name}: ${r.error}`);
        else c.want.forEach((w, i) => {
          const d = differs(r[i], w, true);
          if (d) bad.push(`wolfram tensor ${c.name} point ${i}: ${d}`);
        });
      });
      bad.push(...(await check('wolfram scalar', async (c) => runWolfram(await text(c, 'mathematica', 'scalar'), c.points.map((p) => p.map(jsonNumber))))));
      expect(bad).toEqual([]);
    }, 120_000);
  });
});

const NUMPY_DRIVER = `
import numpy as np
out = []
for m, rows in modules():
    res = []
    for dims, values in rows:
        x = np.array([float(v) for v in values], dtype=np.float64).reshape(dims)
        try:
            with np.errstate(all='ignore'):
                y = np.asarray(m.predict(x), dtype=np.float64).ravel().tolist()
            res.append([v if np.isfinite(v) else str(v) for v in y])
        except Exception as e:
            res.append('error: ' + str(e).split(chr(10))[0])
    out.append(res)
print(json.dumps(out))
`;

// Wolfram's inverse trig functions outside their real domain, Sin/Cos/Tan of an infinity, and Power
// with a negative base and a fractional exponent: complex (or an Interval) in Wolfram, so the text
// tests the domain itself and gives Indeterminate (NaN) as ONNX Runtime does. ONNX's conformance
// models, with edge values as the inputs; nn2eq's interpreters raise on any complex result.
describe('Wolfram: domain guards of the trig functions and Power', () => {
  const NODE = join(DIR, '..', '..', 'test', 'onnx-backend', 'node');
  const OPS = ['test_asin', 'test_acos', 'test_acosh', 'test_atanh', 'test_sin', 'test_cos', 'test_tan', 'test_atan', 'test_sinh', 'test_cosh', 'test_asinh', 'test_pow'];
  const EDGE = [-2, -1, -0.5, 0, 0.5, 1, 2, 1.5, -1.5, NaN, Infinity, -Infinity];
  const EXPONENT = [0.5, 2, -1, 1.5, 3, 0, -0.5, 0.25, 1, -2, 2.5, 0.5];
  if (python.skip && !inCI) {
    it.skip(`scalar and tensor form [needs ${python.skip}]`, () => {});
    return;
  }
  it('scalar and tensor form', async () => {
    if (python.skip) expect.fail(python.skip);
    const trig: { name: string; dims: number[][]; inputs: number[][]; want: number[] }[] = [];
    for (const name of OPS) {
      const file = join(NODE, name, 'model.onnx');
      const rt = await openOnnxRuntime(readFileSync(file));
      try {
        const dims = (await convertFile(file, { format: 'js', form: 'tensor' })).program!.inputs.map((p) => p.tensor.shape.slice());
        const inputs = dims.map((d, k) => Array.from({ length: d.reduce((a, b) => a * b, 1) }, (_, i) => (k === 0 ? EDGE : EXPONENT)[i % 12]));
        const out = await rt.run(rt.inputNames.map((n, k) => ({ name: n, dtype: 'float32', dims: dims[k], values: Float32Array.from(inputs[k]) })));
        trig.push({ name, dims, inputs, want: Array.from(out[0].values) });
      } finally {
        await rt.release();
      }
    }
    const wl = (name: string, form: 'scalar' | 'tensor') => convertFile(join(NODE, name, 'model.onnx'), { format: 'mathematica', form }).then((r) => r.text);
    const bad: string[] = [];
    const tensor = await runWolframTensor(await Promise.all(trig.map(async (c) => ({ text: await wl(c.name, 'tensor'), cases: [c.inputs.map((x, k) => nest(x.map(jsonNumber), c.dims[k]))] }))));
    trig.forEach((c, k) => {
      const r = tensor[k];
      const d = 'error' in r ? r.error : differs(r[0], c.want, true);
      if (d) bad.push(`tensor ${c.name}: ${d}`);
    });
    for (const c of trig) {
      try {
        const [got] = await runWolfram(await wl(c.name, 'scalar'), [c.inputs.flat().map(jsonNumber)]);
        const d = differs(got, c.want);
        if (d) bad.push(`scalar ${c.name}: ${d}`);
      } catch (e) {
        bad.push(`scalar ${c.name}: ${String((e as Error).message).split('\n').filter(Boolean).at(-1)}`);
      }
    }
    expect(bad).toEqual([]);
  }, 120_000);
});
