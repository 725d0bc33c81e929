import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateJsonIr, runMathjsText } from '../src/verify/extra-runtimes.js';
import { convertFile } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { parseNumbers } from '../src/verify/runtimes.js';
import { WOLFRAM_SYMPY_DRIVER } from '../src/verify/wolfram_sympy.js';
import katex from 'katex';
import { withPython } from './check.js';
import { evaluateLatex, nameKey } from './latex-eval.js';
import { FIXTURES, flat, mismatch, python, ROOT as REPO, runCRows, runJs, runScript, runSympy, tmpFile, withCC } from './helpers.js';

// Comparisons, logic and Where on computed values with NaN and ±inf among the inputs
// (scripts/onnx-where-fixtures.py): every fixture in every format's tensor form, run in its own
// runtime, against PyTorch's predictions (reference.json) and against onnxruntime-web running the
// same model on the same inputs. sign_nan's reference is numpy.sign (ONNX's reference: NaN for NaN).
const DIR = join(FIXTURES, 'onnx-where');
const names = readdirSync(DIR).filter((d) => existsSync(join(DIR, d, 'model.onnx'))).sort();

/** reference.json's numbers: the strings NaN, Infinity and -Infinity are the non-finite ones. */
function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

/** JSON for Python's json module, which reads NaN, Infinity and -Infinity. */
function pyJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? `@@${x}@@` : x)).replace(/"@@(NaN|-?Infinity)@@"/g, '$1');
}

interface Fixture {
  cases: unknown[][];
  /** PyTorch's predictions, flattened, per case. */
  torch: number[][];
  /** ONNX Runtime's outputs on the same inputs. */
  ort: number[][];
  /** The cases with every non-finite input replaced by a finite number (SymPy reads no NaN), and ONNX Runtime's outputs for them. */
  finite: unknown[][];
  finiteOrt: number[][];
}

const finiteOf = (v: unknown): unknown => (Array.isArray(v) ? v.map(finiteOf) : Number.isFinite(v as number) ? v : Number.isNaN(v) ? 0.5 : (v as number) > 0 ? 4 : -4);

async function load(name: string): Promise<Fixture> {
  const file = join(DIR, name, 'model.onnx');
  const model = await loadOnnx(file);
  const ref = JSON.parse(readFileSync(join(DIR, name, 'reference.json'), 'utf8')) as { cases: { inputs: unknown[]; outputs: unknown[] }[] };
  const cases = ref.cases.map((c) => decode(c.inputs) as unknown[]);
  const finite = cases.map((c) => finiteOf(c) as unknown[]);
  const rt = await openOnnxRuntime(readFileSync(file), { file: name });
  const run = async (cs: unknown[][]) => {
    const out: number[][] = [];
    for (const c of cs) {
      const outs = await rt.run(model.graph.inputs.map((inp, i) => ({ name: inp.name, dtype: inp.elemType!, dims: inp.dims!.map(Number), values: flat(c[i]) })));
      out.push(outs.flatMap((o) => Array.from(o.values)));
    }
    return out;
  };
  try {
    return { cases, torch: ref.cases.map((c) => flat(decode(c.outputs))), ort: await run(cases), finite, finiteOrt: await run(finite) };
  } finally {
    await rt.release();
  }
}

// Comparisons and choices are exact; the softmax and encoder fixtures compute in float64 where PyTorch and ONNX Runtime use float32.
const tol = (name: string): [number, number] => (/^(masked_scores|padded_encoder)/.test(name) ? [1e-5, 1e-4] : [0, 0]);

/** Checks `got` against PyTorch and ONNX Runtime, case by case (NaN matches NaN here: a NaN output is part of the answer). */
function check(name: string, got: number[][], f: Fixture, oracles: ('torch' | 'ort')[] = ['torch', 'ort']): void {
  const [atol, rtol] = tol(name);
  const same = (g: number[], w: number[]) => mismatch(g.map((v, i) => (Number.isNaN(v) && Number.isNaN(w[i]) ? 0 : v)), w.map((v, i) => (Number.isNaN(v) && Number.isNaN(g[i]) ? 0 : v)), atol, rtol);
  expect(got.length).toBe(f.cases.length);
  for (const o of oracles) got.forEach((g, i) => expect(same(g, f[o][i]), `${o}, case ${i}`).toBeNull());
}

const fixtures = new Map<string, Fixture>();
beforeAll(async () => {
  for (const name of names) fixtures.set(name, await load(name));
}, 120_000);

describe('the fixtures', () => {
  it('are all here', () => expect(names.length).toBe(7));
  it('PyTorch and ONNX Runtime agree on them (sign_nan: numpy.sign and ONNX Runtime)', () => {
    for (const name of names) check(name, fixtures.get(name)!.ort, fixtures.get(name)!, ['torch']);
  });
  it('hold NaN, Infinity and -Infinity among their inputs, and -Infinity among the chosen values', () => {
    const all = flat(fixtures.get('compare_opset13')!.cases);
    expect(all.some(Number.isNaN)).toBe(true);
    expect(all).toContain(Infinity);
    expect(all).toContain(-Infinity);
    expect(flat(fixtures.get('where_computed_opset13')!.torch)).toContain(-Infinity);
  });
});

describe('every fixture in every format', () => {
  for (const name of names) {
    const file = join(DIR, name, 'model.onnx');
    it(`${name}: JS tensor form`, async () => {
      const { text } = await convertFile(file, { format: 'js', form: 'tensor' });
      check(name, await runJs(text, fixtures.get(name)!.cases), fixtures.get(name)!);
    });
    if (!name.startsWith('padded_encoder')) {
      it(`${name}: JS scalar form`, async () => {
        const { text } = await convertFile(file, { format: 'js', form: 'scalar' });
        check(name, await runJs(text, fixtures.get(name)!.cases), fixtures.get(name)!);
      });
      it(`${name}: mathjs scalar form`, async () => {
        const f = fixtures.get(name)!;
        const { text } = await convertFile(file, { format: 'mathjs', form: 'scalar' });
        check(name, await runMathjsText(text, f.cases.map((c) => flat(c))), f);
      });
      withCC(`${name}: C scalar form`, async () => {
        const f = fixtures.get(name)!;
        const { text } = await convertFile(file, { format: 'c', form: 'scalar' });
        check(name, await runCRows(text, f.cases.map((c) => flat(c)), f.torch[0].length), f);
      });
    }
    if (!name.startsWith('padded_encoder')) {
      // The LaTeX a reader sees (Iverson brackets, cases), evaluated from KaTeX's parse tree.
      it(`${name}: LaTeX scalar form, evaluated from its parse`, async () => {
        const f = fixtures.get(name)!;
        const { text } = await convertFile(file, { format: 'latex', form: 'scalar' });
        const xs = flat(f.cases[0]).map((_, i) => nameKey(`x_{${i + 1}}`));
        const ys = f.torch[0].map((_, i) => nameKey(`y_{${i + 1}}`));
        const got = f.cases.map((c) => {
          const values = evaluateLatex(text, new Map(flat(c).map((v, i) => [xs[i], v])));
          return ys.map((y) => values.get(y) ?? Number.NaN);
        });
        check(name, got, f);
      });
    }
    it(`${name}: JSON IR, read by the meaning its schema gives each op`, async () => {
      const f = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'json', form: 'scalar' });
      check(name, evaluateJsonIr(JSON.parse(text), f.cases.map((c) => flat(c))), f);
    });
    it(`${name}: LaTeX tensor form, accepted by KaTeX`, async () => {
      const { text } = await convertFile(file, { format: 'latex', form: 'tensor' });
      expect(() => katex.renderToString(text, { displayMode: true, throwOnError: true, strict: false })).not.toThrow();
    });
    it(`${name}: mathjs tensor form`, async () => {
      const f = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'mathjs', form: 'tensor' });
      check(name, await runMathjsText(text, f.cases.map((c) => flat(c))), f);
    });
    withCC(`${name}: C tensor form`, async () => {
      const f = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'c', form: 'tensor' });
      check(name, await runCRows(text, f.cases.map((c) => flat(c)), f.torch[0].length), f);
    });
  }
});

describe('every fixture in the Python runtimes (NumPy, SymPy, Wolfram through nn2eq\'s interpreter)', () => {
  const numpy = new Map<string, number[][] | Error>();
  const wolfram = new Map<string, number[][] | Error>();
  const sympy = new Map<string, number[][] | Error>();
  const wolframScalar = new Map<string, number[][] | Error>();
  const numpyScalar = new Map<string, number[][] | Error>();
  const small = names.filter((n) => !n.startsWith('padded_encoder'));
  beforeAll(async () => {
    if (python.skip) return;
    // The scalar form through --verify's Wolfram route (SymPy's parser and a small interpreter).
    const driver = tmpFile('py', WOLFRAM_SYMPY_DRIVER);
    const nps = Promise.all(small.map(async (name) => {
      const { text } = await convertFile(join(DIR, name, 'model.onnx'), { format: 'numpy', form: 'scalar' });
      const r = await runScript(python.exe, { script: join(REPO, 'test', 'py', 'run_numpy.py') }, [tmpFile('py', text)], pyJson(fixtures.get(name)!.cases));
      numpyScalar.set(name, r.status === 0 ? parseNumbers(r.stdout) : new Error(r.stderr));
    }));
    const ws = Promise.all(small.map(async (name) => {
      const { text } = await convertFile(join(DIR, name, 'model.onnx'), { format: 'mathematica', form: 'scalar' });
      const r = await runScript(python.exe, { script: driver }, [tmpFile('wl', text)], pyJson(fixtures.get(name)!.cases.map((c) => flat(c))));
      wolframScalar.set(name, r.status === 0 ? parseNumbers(r.stdout) : new Error(r.stderr));
    }));
    const texts = await Promise.all(names.map(async (name) => {
      const file = join(DIR, name, 'model.onnx');
      return Promise.all((['numpy', 'mathematica', 'sympy'] as const).map((format) => convertFile(file, { format, form: 'tensor' }).then((c) => c.text)));
    }));
    const jobs = names.map((name, k) => [tmpFile('wl', texts[k][1]), fixtures.get(name)!.cases]);
    const wl = runScript(python.exe, { script: join(REPO, 'test', 'py', 'run_wolfram_tensor.py') }, ['--batch', '--nonfinite'], pyJson(jobs)).then((r) => {
      if (r.status !== 0) throw new Error(r.stderr);
      (JSON.parse(r.stdout) as (unknown[][] | { error: string })[]).forEach((a, k) => wolfram.set(names[k], Array.isArray(a) ? a.map((row) => flat(decode(row))) : new Error(a.error)));
    });
    const np = Promise.all(names.map(async (name, k) => {
      const r = await runScript(python.exe, { script: join(REPO, 'test', 'py', 'run_numpy.py') }, [tmpFile('py', texts[k][0])], pyJson(fixtures.get(name)!.cases));
      numpy.set(name, r.status === 0 ? parseNumbers(r.stdout) : new Error(r.stderr));
    }));
    const sp = Promise.all(names.map(async (name, k) => {
      const f = fixtures.get(name)!;
      const shapes = (JSON.parse(readFileSync(join(DIR, name, 'reference.json'), 'utf8')) as { input_shapes: number[][] }).input_shapes;
      const [r] = await runSympy(python.exe, [tmpFile('py', texts[k][2])], [f.finite.map((c) => flat(c))], [shapes]);
      sympy.set(name, r);
    }));
    await Promise.all([wl, np, sp, ws, nps]);
  }, 300_000);
  for (const name of names) {
    withPython(`${name}: NumPy tensor form`, () => {
      const got = numpy.get(name)!;
      if (got instanceof Error) throw got;
      check(name, got, fixtures.get(name)!);
    });
    withPython(`${name}: Wolfram tensor form`, () => {
      const got = wolfram.get(name)!;
      if (got instanceof Error) throw got;
      check(name, got, fixtures.get(name)!);
    });
    if (small.includes(name)) {
      withPython(`${name}: NumPy scalar form`, () => {
        const got = numpyScalar.get(name)!;
        if (got instanceof Error) throw got;
        check(name, got, fixtures.get(name)!);
      });
      withPython(`${name}: Wolfram scalar form (--verify's route)`, () => {
        const got = wolframScalar.get(name)!;
        if (got instanceof Error) throw got;
        check(name, got, fixtures.get(name)!);
      });
    }
    // SymPy raises on a comparison with nan (its documented behaviour): the inputs with every non-finite number made finite, against ONNX Runtime.
    withPython(`${name}: SymPy tensor form (finite inputs)`, () => {
      const got = sympy.get(name)!;
      if (got instanceof Error) throw got;
      const f = fixtures.get(name)!;
      check(name, got, { ...f, ort: f.finiteOrt, cases: f.finite }, ['ort']);
    });
  }
});
