import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import katex from 'katex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { convertFile, Nn2eqError } from '../src/index.js';
import { loadOnnx } from '../src/load/index.js';
import { openOnnxRuntime } from '../src/verify/onnx-oracle.js';
import { withPython } from './check.js';
import { FIXTURES, flat, python, runCRows, runJs, runNumpy, runSympyBatch, runWolframTensor, withCC } from './helpers.js';

// Quantized ONNX models (scripts/onnx-qdq-fixtures.py): the formulas nn2eq prints, run in JS, NumPy
// and C, against ONNX's reference semantics (reference.json, written by the script), PyTorch's own
// predictions for its fake-quantized models, and onnxruntime-web run here on the same inputs.
const ROOT = join(FIXTURES, 'onnx-qdq');
const names = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'model.onnx'))).sort();

/** Models with float ops between the quantizers: the reference runs those in float32, nn2eq in float64. */
const FLOAT_BETWEEN = new Set(['qdq_conv_chain', 'torch_fakequant_per_tensor', 'torch_fakequant_per_channel']);

interface Fixture {
  cases: unknown[][];
  /** ONNX's reference outputs, per case, per output, flattened. */
  reference: number[][][];
  /** PyTorch's predictions (torch_* models). */
  torch?: number[][][];
  /** The quantization step of each output (its scale; 1 for integer outputs). */
  steps: number[];
  /** onnxruntime-web's outputs. */
  ort: number[][][];
}

/** The scale of each output: the spacing of its possible values (1 for integers). */
function stepsOf(reference: number[][][], ort: number[][][], integer: boolean[]): number[] {
  return integer.map((isInt, k) => {
    if (isInt) return 1;
    // A dequantized output takes multiples of its scale; the smallest gap between distinct values bounds it from above.
    const vs = [...new Set([...reference.flatMap((r) => r[k]), ...ort.flatMap((r) => r[k])])].sort((a, b) => a - b);
    let gap = Infinity;
    for (let i = 1; i < vs.length; i++) gap = Math.min(gap, vs[i] - vs[i - 1]);
    return gap;
  });
}

async function load(name: string): Promise<Fixture> {
  const file = join(ROOT, name, 'model.onnx');
  const model = await loadOnnx(file);
  const { cases } = JSON.parse(readFileSync(join(ROOT, name, 'cases.json'), 'utf8')) as { cases: unknown[][] };
  const ref = JSON.parse(readFileSync(join(ROOT, name, 'reference.json'), 'utf8')) as { reference: number[][][]; torch?: number[][][] };
  const rt = await openOnnxRuntime(readFileSync(file), { file: name });
  const ort: number[][][] = [];
  try {
    for (const c of cases) {
      const outs = await rt.run(model.graph.inputs.map((inp, i) => ({ name: inp.name, dtype: inp.elemType!, dims: inp.dims!.map(Number), values: flat(c[i]) })));
      ort.push(outs.map((o) => Array.from(o.values)));
    }
  } finally {
    await rt.release();
  }
  const integer = model.graph.outputs.map((o) => o.elemType !== 'float32');
  return { cases, reference: ref.reference, torch: ref.torch, ort, steps: stepsOf(ref.reference, ort, integer) };
}

/** Values equal bit for bit, and the largest deviation in quantization steps. */
interface Tally {
  exact: number;
  total: number;
  maxSteps: number;
  /** Values off by something other than a whole number of steps: wrong arithmetic, not a rounding disagreement. */
  offGrid: number;
}

function tally(got: number[], want: number[][], steps: number[]): Tally {
  const t: Tally = { exact: 0, total: 0, maxSteps: 0, offGrid: 0 };
  let at = 0;
  want.forEach((w, k) => {
    for (const v of w) {
      const g = got[at++];
      t.total++;
      if (Object.is(g, v) || g === v) t.exact++;
      const d = Number.isFinite(g) ? Math.abs(g - v) / steps[k] : Infinity;
      t.maxSteps = Math.max(t.maxSteps, d);
      // One step apart, the two dequantized values each carry a float32 rounding (2^-24 relative).
      if (d !== 0 && !(Math.abs(d - Math.round(d)) < 1e-4 && Math.round(d) >= 1)) t.offGrid++;
    }
  });
  if (at !== got.length) t.maxSteps = Infinity;
  return t;
}

const summary = new Map<string, { reference: Tally; ort: Tally; torch?: Tally }>();

function check(name: string, form: string, fx: Fixture, got: number[][]): void {
  const add = (a: Tally, b: Tally) => ({ exact: a.exact + b.exact, total: a.total + b.total, maxSteps: Math.max(a.maxSteps, b.maxSteps), offGrid: a.offGrid + b.offGrid });
  const zero: Tally = { exact: 0, total: 0, maxSteps: 0, offGrid: 0 };
  let reference = zero;
  let ort = zero;
  let torch: Tally | undefined;
  got.forEach((g, i) => {
    reference = add(reference, tally(g, fx.reference[i], fx.steps));
    ort = add(ort, tally(g, fx.ort[i], fx.steps));
    if (fx.torch) torch = add(torch ?? zero, tally(g, fx.torch[i], fx.steps));
  });
  summary.set(`${name} ${form}`, { reference, ort, torch });
  // ONNX's reference bit for bit where no float op sits between the quantizers; else within one step
  // (the reference sums Conv and Gemm in float32, nn2eq in float64: a sum near a rounding boundary
  // may land on the other side).
  if (FLOAT_BETWEEN.has(name)) expect(reference.maxSteps, `${form} vs reference`).toBeLessThanOrEqual(1 + 1e-6);
  else expect(reference.exact, `${form} vs reference: ${reference.total - reference.exact} values differ, up to ${reference.maxSteps} steps`).toBe(reference.total);
  // ONNX Runtime's fused kernels (QLinearConv, QLinearMatMul requantize in float32; QDQ chains run
  // as integer kernels) may round a near-tie the other way: within one step.
  expect(ort.maxSteps, `${form} vs ONNX Runtime`).toBeLessThanOrEqual(1 + 1e-6);
  if (torch) expect(torch.maxSteps, `${form} vs PyTorch`).toBeLessThanOrEqual(1 + 1e-6);
  for (const [who, t] of [['reference', reference], ['ONNX Runtime', ort], ['PyTorch', torch]] as const) {
    if (t) expect(t.offGrid, `${form} vs ${who}: values off by a fraction of a step`).toBe(0);
  }
}

describe('quantized ONNX models against ONNX reference, ONNX Runtime and PyTorch', () => {
  const fixtures = new Map<string, Fixture>();
  beforeAll(async () => {
    for (const name of names) fixtures.set(name, await load(name));
  }, 120_000);
  afterAll(() => {
    const lines = [...summary].map(([k, v]) => `${k}: reference ${v.reference.exact}/${v.reference.total} exact (max ${v.reference.maxSteps} steps), ORT ${v.ort.exact}/${v.ort.total} exact (max ${v.ort.maxSteps} steps)${v.torch ? `, PyTorch ${v.torch.exact}/${v.torch.total} exact (max ${v.torch.maxSteps} steps)` : ''}`);
    if (lines.length > 0) console.log(`onnx-qdq exactness:\n${lines.join('\n')}`);
  });

  it('has fixtures', () => expect(names.length).toBeGreaterThanOrEqual(12));

  // Wolfram (the project's interpreter of the documented rules), every fixture in one python3 call.
  withPython('every fixture: Wolfram tensor form', async () => {
    const jobs = await Promise.all(names.map(async (name) => ({ text: (await convertFile(join(ROOT, name, 'model.onnx'), { format: 'mathematica', form: 'tensor' })).text, cases: fixtures.get(name)!.cases })));
    const answers = await runWolframTensor(jobs);
    answers.forEach((got, k) => {
      if ('error' in got) throw new Error(`${names[k]}: ${got.error}`);
      check(names[k], 'wolfram', fixtures.get(names[k])!, got.map((g) => g.map((v) => v ?? NaN)));
    });
  });

  // SymPy (object arrays of SymPy Floats, 53-bit), every fixture in one batch.
  withPython('every fixture: SymPy tensor form', async () => {
    const jobs = await Promise.all(
      names.map(async (name) => {
        const { text, program } = await convertFile(join(ROOT, name, 'model.onnx'), { format: 'sympy', form: 'tensor' });
        return { name, text, rows: fixtures.get(name)!.cases.map((c) => c.flatMap((v) => flat(v))), shapes: program.inputs.map((p) => [...p.tensor.shape]) };
      }),
    );
    const results = await runSympyBatch(python.exe, jobs);
    for (const name of names) {
      const got = results.get(name);
      if (got instanceof Error) throw new Error(`${name}: ${got.message}`);
      check(name, 'sympy', fixtures.get(name)!, got!);
    }
  }, 300_000);

  // GNU C with FMA instructions contracts a*b + c across statements (-ffp-contract=fast): the
  // float32 rounding of x / s must survive it (Veltkamp's split written as (2^29·x + x) − …).
  withCC('qdq_per_tensor_uint8 (ties): C tensor form built with -std=gnu99 -O2 -march=native -ffp-contract=fast', async () => {
    const fx = fixtures.get('qdq_per_tensor_uint8')!;
    const { text } = await convertFile(join(ROOT, 'qdq_per_tensor_uint8', 'model.onnx'), { format: 'c', form: 'tensor' });
    const m = fx.reference[0].reduce((s, o) => s + o.length, 0);
    const flags = ['-std=gnu99', '-Wall', '-Werror', '-O2', '-march=native', '-ffp-contract=fast'];
    check('qdq_per_tensor_uint8', 'c-fma', fx, await runCRows(text, fx.cases.map((c) => c.flatMap((v) => flat(v))), m, flags));
  });

  for (const name of names) {
    const file = join(ROOT, name, 'model.onnx');
    it(`${name}: JS scalar form`, async () => {
      const fx = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'js' });
      check(name, 'js-scalar', fx, await runJs(text, fx.cases));
    });
    it(`${name}: JS tensor form`, async () => {
      const fx = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'js', form: 'tensor' });
      check(name, 'js', fx, await runJs(text, fx.cases));
    });
    withPython(`${name}: NumPy tensor form`, async () => {
      const fx = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'numpy', form: 'tensor' });
      check(name, 'numpy', fx, await runNumpy(text, fx.cases));
    });
    it(`${name}: mathjs tensor form`, async () => {
      const fx = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'mathjs', form: 'tensor' });
      check(name, 'mathjs', fx, await runMathjsText(text, fx.cases.map((c) => c.flatMap((v) => flat(v)))));
    });
    withCC(`${name}: C tensor form`, async () => {
      const fx = fixtures.get(name)!;
      const { text } = await convertFile(file, { format: 'c', form: 'tensor' });
      const m = fx.reference[0].reduce((s, o) => s + o.length, 0);
      check(name, 'c', fx, await runCRows(text, fx.cases.map((c) => c.flatMap((v) => flat(v))), m));
    });
  }
});

// Quantized models nn2eq cannot write a formula for are refused in one line naming the node.
describe('quantized ONNX models nn2eq refuses', () => {
  const REFUSED: Record<string, RegExp> = {
    scale_zero: /node 'quant' \(QuantizeLinear\): its scale 0 is not a positive float32/,
    scale_axis_length: /node 'dequant' \(DequantizeLinear\): its scale has 3 values for axis 1 of length 4/,
  };
  for (const [name, message] of Object.entries(REFUSED)) {
    it(name, async () => {
      const err = await convertFile(join(ROOT, 'refused', name, 'model.onnx'), { format: 'js', form: 'tensor' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Nn2eqError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    });
  }
});

// LaTeX: the dequantization is defined once in the where block and applied by name; the header says
// which form was printed; KaTeX reads it.
describe('quantized ONNX models in LaTeX', () => {
  it('torch_fakequant_per_channel: DQ defined once, applied three times', async () => {
    const { text } = await convertFile(join(ROOT, 'torch_fakequant_per_channel', 'model.onnx'), { format: 'latex', form: 'tensor' });
    expect(text.split('\n')[0]).toMatch(/^% Quantized ops in float form, as ONNX defines them \(not integer requantization\)/);
    expect(text.match(/\\operatorname\{DQ\}\(\\mathbf\{q\}; /g)).toHaveLength(1);
    expect(text.match(/\\operatorname\{DQ\}\\left\(/g)).toHaveLength(3);
    expect(text.match(/\\operatorname\{rint\}\(z\) = /g)).toHaveLength(1);
    katex.renderToString(text.replace(/^%.*\n/gm, ''), { displayMode: true, throwOnError: true, maxExpand: Infinity });
  });
});
