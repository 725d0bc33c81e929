import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile, Nn2eqError } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, runCRows, runJs, runNumpy, runWolframTensor, withCC } from './helpers.js';

// Typed ONNX arithmetic (scripts/onnx-typed-fixtures.py): the formulas nn2eq prints, run in JS,
// NumPy and C, against onnxruntime-web running the same model on the same inputs.
const ROOT = join(FIXTURES, 'onnx-typed');
const names = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'model.onnx'))).sort();

interface Fixture {
  cases: unknown[][];
  /** ONNX Runtime's outputs, flattened, per case. */
  want: number[][];
}

async function oracle(name: string): Promise<Fixture> {
  const file = join(ROOT, name, 'model.onnx');
  const model = await loadOnnx(file);
  const { cases } = JSON.parse(readFileSync(join(ROOT, name, 'cases.json'), 'utf8')) as { cases: unknown[][] };
  const rt = await openOnnxRuntime(readFileSync(file), { file: name });
  const want: number[][] = [];
  try {
    for (const c of cases) {
      const outs = await rt.run(model.graph.inputs.map((inp, i) => ({ name: inp.name, dtype: inp.elemType!, dims: inp.dims!.map(Number), values: flat(c[i]) })));
      want.push(outs.flatMap((o) => Array.from(o.values)));
    }
  } finally {
    await rt.release();
  }
  return { cases, want };
}

// Integer results must be exact. Float32 values print as the shortest decimal that reads back as
// the same float32 (within half an ulp, 2^-24 relative), below the 1-ulp error of a wrong rounding
// only just: rtol 1e-7 there; the float32 model computes in float64 where ONNX Runtime uses float32.
const FLOAT32_VALUED = ['fold_mod_float_fmod1', 'fold_cast_float16', 'fold_cast_double_float', 'fold_range_float', 'fold_float32_arith'];
const TOL: Record<string, [number, number]> = {
  ...Object.fromEntries(FLOAT32_VALUED.map((n) => [n, [1e-7, 1e-7]])),
  fold_transformer_split: [1e-6, 1e-6],
  // nn2eq rounds to float16 after every op, as ONNX defines (and its conformance data holds);
  // ONNX Runtime's CPU kernels run the chain in float32 and round once: two float16 ulps apart at most.
  typed_float16: [0, 2 ** -9],
};

describe('ONNX typed arithmetic against ONNX Runtime', () => {
  const fixtures = new Map<string, Fixture>();
  beforeAll(async () => {
    for (const name of names) fixtures.set(name, await oracle(name));
  }, 120_000);

  for (const name of names) {
    // Float32 models (pads_*, gemm_*, empty_*) compute in float64 where ONNX Runtime uses float32.
    const [atol, rtol] = TOL[name] ?? (/^(pads|gemm|empty)_/.test(name) ? [1e-5, 1e-5] : [0, 0]);
    const file = join(ROOT, name, 'model.onnx');
    it(`${name}: JS tensor form`, async () => {
      const { cases, want } = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'js', form: 'tensor' });
      const got = await runJs(text, cases);
      got.forEach((g, i) => expect(mismatch(g, want[i], atol, rtol), `case ${i}`).toBeNull());
    });
    withPython(`${name}: NumPy tensor form`, async () => {
      const { cases, want } = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'numpy', form: 'tensor' });
      const got = await runNumpy(text, cases);
      got.forEach((g, i) => expect(mismatch(g, want[i], atol, rtol), `case ${i}`).toBeNull());
    });
    // Wolfram (through the project's interpreter of the documented rules): empty tensors aside.
    if (!name.startsWith('empty_')) {
      withPython(`${name}: Wolfram tensor form`, async () => {
        const { cases, want } = fixtures.get(name)!;
        const { text } = await convertFile(file, { format: 'mathematica', form: 'tensor' });
        const [got] = await runWolframTensor([{ text, cases }]);
        if ('error' in got) throw new Error(got.error);
        got.forEach((g, i) => expect(mismatch(g.map((v) => v ?? NaN), want[i], atol, rtol), `case ${i}`).toBeNull());
      });
    }
    withCC(`${name}: C tensor form`, async () => {
      const { cases, want } = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'c', form: 'tensor' });
      const got = await runCRows(text, cases.map((c) => flat(c)), want[0].length);
      got.forEach((g, i) => expect(mismatch(g, want[i], atol, rtol), `case ${i}`).toBeNull());
    });
  }
});

// Folds ONNX leaves undefined (integer division by zero, a float cast to an integer type that cannot
// hold it, NaN to an integer, float Mod without fmod=1) and int64 values a float64 cannot hold exactly
// are refused in one line naming the node, never printed as some number. (onnxruntime-web saturates
// 3e9 to 2147483647 and NaN to 0 where native x86 ONNX Runtime gives −2147483648: no answer is right.)
describe('ONNX folds nn2eq refuses', () => {
  const REFUSED: Record<string, RegExp> = {
    div_int_by_zero: /node 'div' \(Div\): divides the int64 value 1 by zero/,
    cast_out_of_range: /node 'cast' \(Cast\): casts the float32 value 3000000000 to int32, which cannot hold it/,
    cast_nan_to_int: /node 'cast' \(Cast\): casts the float32 value NaN to int64/,
    mod_float_fmod0: /node 'mod' \(Mod\): Mod of float32 values needs fmod=1/,
    int64_beyond_2p53: /node 'add' \(Add\): folds the int64 value 9007199254740992, beyond ±2\^53/,
    relu_int32: /node 'relu' \(Relu\): computes with the int32 value 'x', and nn2eq prints Relu only for floating-point values/,
  };
  for (const [name, message] of Object.entries(REFUSED)) {
    it(name, async () => {
      const err = await convertFile(join(ROOT, 'refused', name, 'model.onnx'), { format: 'js', form: 'tensor' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Nn2eqError);
      const text = (err as Error).message;
      expect(text).toMatch(message);
      expect(text).not.toContain('\n');
    });
  }
});

/**
 * A small evaluator of the tensor-form LaTeX of vector models: rows `name &= expression`, matrices
 * as bmatrix rows, and expressions of names, numbers, + and −, juxtaposed W v (W applied to the
 * vector), ⊙ and \tanh. It reads signs as printed, so a dropped minus gives another number.
 */
function evaluateTensorLatex(tex: string, inputs: Map<string, number[]>): Map<string, number[] | number[][]> {
  const values = new Map<string, number[] | number[][]>(inputs);
  const lines = tex.split('\n');
  const exprs: [string, string][] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(.+?) &= (.*?)(?: \\\\)?$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] === '\\begin{bmatrix}') {
      const rows: number[][] = [];
      while (!lines[++i].startsWith('\\end{bmatrix}')) rows.push(lines[i].replace(/ \\\\$/, '').split(' & ').map(Number));
      values.set(m[1], rows);
    } else exprs.push([m[1], m[2]]);
  }
  const TOKEN = /\\mathbf\{[A-Za-z]\}(?:_\{\d+\})?(?:\^\{\(\d+\)\})?|[A-Z](?:\^\{\(\d+\)\})?|\\tanh\\left\(|\\left\(|\\right\)|\\odot|[+-]|\d+(?:\.\d+)?(?:e-?\d+)?|\S/g;
  for (const [name, text] of exprs) {
    const toks = text.match(TOKEN)!;
    let at = 0;
    const vec = (v: number[] | number[][] | number): number[] | number[][] | number => v;
    const zip = (a: number[], b: number[], f: (x: number, y: number) => number) => a.map((x, i) => f(x, b[i]));
    const factor = (): number[] | number[][] | number => {
      const t = toks[at++];
      if (t === '\\tanh\\left(' || t === '\\left(') {
        const v = expr();
        if (toks[at++] !== '\\right)') throw new Error(`latex: ) expected in ${text}`);
        return t === '\\left(' ? v : (v as number[]).map(Math.tanh);
      }
      if (/^\d/.test(t)) return Number(t);
      const v = values.get(t);
      if (v === undefined) throw new Error(`latex: unknown ${t} in ${text}`);
      return vec(v);
    };
    const term = (): number[] | number => {
      let v = factor();
      while (at < toks.length && toks[at] !== '+' && toks[at] !== '-' && toks[at] !== '\\right)') {
        if (toks[at] === '\\odot') {
          at++;
          v = zip(v as number[], factor() as number[], (x, y) => x * y);
        } else {
          const x = factor() as number[];
          // W x: the matrix applied to the vector.
          v = (v as number[][]).map((row) => row.reduce((s, w, k) => s + w * x[k], 0));
        }
      }
      return v as number[] | number;
    };
    const add = (a: number[] | number, b: number[] | number, sign: number): number[] => {
      const n = Array.isArray(a) ? a.length : (b as number[]).length;
      const get = (v: number[] | number, i: number) => (Array.isArray(v) ? v[i] : v);
      return Array.from({ length: n }, (_, i) => get(a, i) + sign * get(b, i));
    };
    const expr = (): number[] => {
      let v: number[] | number = toks[at] === '-' ? (at++, add(0, term(), -1)) : term();
      while (at < toks.length && (toks[at] === '+' || toks[at] === '-')) {
        const sign = toks[at++] === '+' ? 1 : -1;
        v = add(v, term(), sign);
      }
      return v as number[];
    };
    values.set(name, expr());
    if (at !== toks.length) throw new Error(`latex: unread ${toks.slice(at).join(' ')} in ${text}`);
  }
  return values;
}

describe('Gemm with a computed C and beta = -1: the tensor-form LaTeX, evaluated as printed', () => {
  const name = 'gemm_computed_c_beta_minus1';
  it('matches ONNX Runtime', async () => {
    const { cases, want } = await oracle(name);
    const { text } = await convertFile(join(ROOT, name, 'model.onnx'), { format: 'latex', form: 'tensor' });
    cases.forEach((c, i) => {
      const values = evaluateTensorLatex(text, new Map([['\\mathbf{X}_{1}', flat(c[0])], ['\\mathbf{X}_{2}', flat(c[1])]]));
      expect(mismatch(values.get('\\mathbf{Y}') as number[], want[i], 1e-6, 1e-6), `case ${i}`).toBeNull();
    });
  });
  it('the evaluator reads the minus (a plus there gives another number)', async () => {
    const { cases, want } = await oracle(name);
    const { text } = await convertFile(join(ROOT, name, 'model.onnx'), { format: 'latex', form: 'tensor' });
    const planted = text.replace('\\mathbf{X}_{1} - \\mathbf{H}^{(1)}', '\\mathbf{X}_{1} + \\mathbf{H}^{(1)}');
    const values = evaluateTensorLatex(planted, new Map([['\\mathbf{X}_{1}', flat(cases[0][0])], ['\\mathbf{X}_{2}', flat(cases[0][1])]]));
    expect(mismatch(values.get('\\mathbf{Y}') as number[], want[0], 1e-6, 1e-6)).not.toBeNull();
  });
});
