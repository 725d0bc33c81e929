import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnx } from '../src/load/index.js';
import { openOnnxRuntime, type OrtInput } from '../src/verify/onnx-oracle.js';
import { FIXTURES, flat, ROOT } from './helpers.js';

const SHARED_ONNX = join(ROOT, 'test', 'models', 'onnx');
const ONNX_FIXTURES = join(FIXTURES, 'onnx');

interface OnnxReference {
  input_names: string[];
  output_names: string[];
  input_shapes: number[][];
  cases: { inputs: unknown[]; outputs: unknown[] }[];
}

/**
 * Shared models onnxruntime-web 1.30 does not run, with its reason. ONNX Runtime has no kernels
 * for ops as they were before opset 7 (these pytorch-converted files are opset 6, IR 3), refuses
 * opsets newer than it knows, and runs LSTM/GRU only with layout 0.
 */
const ORT_REFUSES: Record<string, RegExp> = {
  test_AvgPool1d: /implementation for AveragePool\(1\)/,
  test_AvgPool2d: /implementation for AveragePool\(1\)/,
  test_AvgPool3d: /implementation for AveragePool\(1\)/,
  test_AvgPool3d_stride: /implementation for AveragePool\(1\)/,
  test_BatchNorm1d_3d_input_eval: /implementation for BatchNormalization\(6\)/,
  test_BatchNorm2d_momentum_eval: /implementation for BatchNormalization\(6\)/,
  test_BatchNorm3d_momentum_eval: /implementation for BatchNormalization\(6\)/,
  test_GLU: /implementation for Mul\(6\)/,
  test_Linear: /implementation for Gemm\(6\)/,
  test_PReLU_1d: /implementation for PRelu\(6\)/,
  test_PReLU_2d: /implementation for PRelu\(6\)/,
  test_PReLU_3d: /implementation for PRelu\(6\)/,
  test_PReLU_3d_multiparam: /implementation for PRelu\(6\)/,
  test_PoissonNLLLLoss_no_reduce: /implementation for Mul\(6\)/,
  test_Softsign: /implementation for Add\(6\)/,
  test_operator_add_broadcast: /implementation for Add\(6\)/,
  test_operator_add_size1_right_broadcast: /implementation for Add\(6\)/,
  test_operator_addconstant: /implementation for Add\(6\)/,
  test_operator_basic: /implementation for Add\(6\)/,
  test_operator_mm: /implementation for Gemm\(6\)/,
  test_celu: /Opset 28 is under development/,
  test_gru_batchwise: /Batchwise recurrent operations \(layout == 1\) are not supported/,
  test_lstm_batchwise: /Batchwise recurrent operations \(layout == 1\) are not supported/,
};

function folders(root: string): string[] {
  // Models with a reference (the hand-made CLI models have none).
  return readdirSync(root).filter((d) => existsSync(join(root, d, 'model.onnx')) && existsSync(join(root, d, 'reference.json'))).sort();
}

/** Runs every reference case in ONNX Runtime; returns the first mismatch, or null. */
async function check(dir: string, atol: number, rtol: number): Promise<string | null> {
  const model = await loadOnnx(join(dir, 'model.onnx'));
  const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as OnnxReference;
  const rt = await openOnnxRuntime(readFileSync(join(dir, 'model.onnx')), { externalData: model.externalData, file: dir });
  try {
    for (const [k, c] of ref.cases.entries()) {
      const inputs: OrtInput[] = ref.input_names.map((name, i) => ({
        name,
        dtype: model.graph.inputs.find((v) => v.name === name)!.elemType!,
        // A symbolic batch axis is not in a case's shape (dynamic_batch fixture): one sample.
        dims: typeof model.graph.inputs.find((v) => v.name === name)!.dims?.[0] === 'string' ? [1, ...ref.input_shapes[i]] : ref.input_shapes[i],
        values: flat(c.inputs[i]).map(Number),
      }));
      const outputs = await rt.run(inputs);
      for (const [j, name] of ref.output_names.entries()) {
        const got = outputs.find((o) => o.name === name);
        const want = flat(c.outputs[j]);
        if (got === undefined) return `case ${k}: no output ${name}`;
        if (got.values.length !== want.length) return `case ${k} ${name}: ${got.values.length} values, want ${want.length}`;
        for (let i = 0; i < want.length; i++) {
          const [g, w] = [got.values[i], want[i]];
          if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w)) && !(Number.isNaN(g) && Number.isNaN(w))) return `case ${k} ${name}[${i}]: got ${g}, want ${w}`;
        }
      }
    }
    return null;
  } finally {
    await rt.release();
  }
}

describe('ONNX Runtime oracle', () => {
  it('reproduces the reference outputs of the shared ONNX models it runs', async () => {
    const ran: string[] = [];
    const refused: Record<string, string> = {};
    const mismatches: string[] = [];
    for (const d of folders(SHARED_ONNX)) {
      try {
        // The backend-test runner's tolerances (rtol 1e-3, atol 1e-7).
        const bad = await check(join(SHARED_ONNX, d), 1e-7, 1e-3);
        if (bad) mismatches.push(`${d}: ${bad}`);
        else ran.push(d);
      } catch (e) {
        refused[d] = (e as Error).message;
      }
    }
    console.log(`onnxruntime-web ran and matched ${ran.length} of ${ran.length + mismatches.length + Object.keys(refused).length} shared ONNX models; refused: ${Object.keys(refused).join(', ')}`);
    expect(mismatches).toEqual([]);
    expect(Object.keys(refused).sort()).toEqual(Object.keys(ORT_REFUSES).sort());
    for (const [d, reason] of Object.entries(refused)) {
      expect(reason, d).toMatch(ORT_REFUSES[d]);
      expect(reason).toMatch(/: ONNX Runtime cannot load the model: /);
    }
    expect(ran.length).toBe(175);
  }, 300_000);

  it('reproduces PyTorch\'s predictions of every ONNX fixture', async () => {
    const names = folders(ONNX_FIXTURES);
    const bad: string[] = [];
    for (const d of names) {
      const m = await check(join(ONNX_FIXTURES, d), 1e-5, 1e-4);
      if (m) bad.push(`${d}: ${m}`);
    }
    console.log(`onnxruntime-web matched PyTorch on ${names.length - bad.length} of ${names.length} ONNX fixtures`);
    expect(names.length).toBeGreaterThanOrEqual(36);
    expect(bad).toEqual([]);
  }, 300_000);

  it('returns intermediate values on request, for locating the first diverging node', async () => {
    const dir = join(ONNX_FIXTURES, 'transformer_mlp_opset11');
    const model = await loadOnnx(join(dir, 'model.onnx'));
    const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as OnnxReference;
    const inner = model.graph.nodes.flatMap((n) => n.outputs).filter((o) => !ref.output_names.includes(o));
    const rt = await openOnnxRuntime(readFileSync(join(dir, 'model.onnx')), { extraOutputs: inner });
    const out = await rt.run([{ name: 'input1', dtype: 'float32', dims: ref.input_shapes[0], values: flat(ref.cases[0].inputs[0]) }]);
    await rt.release();
    expect(out.map((o) => o.name)).toEqual([...ref.output_names, ...inner]);
    expect(Array.from(out[0].values)).toEqual(flat(ref.cases[0].outputs[0]).map((v) => expect.closeTo(v, 5)));
    // Erf's output is erf of Erf's input: the intermediate values are the ones the graph computes.
    const erf = model.graph.nodes.find((n) => n.opType === 'Erf')!;
    const [x, y] = [erf.inputs[0], erf.outputs[0]].map((n) => out.find((o) => o.name === n)!.values);
    expect(x.length).toBe(16 * 5);
    const erfSeries = (v: number) => {
      // Abramowitz–Stegun 7.1.26, |error| < 1.5e-7.
      const t = 1 / (1 + 0.3275911 * Math.abs(v));
      const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
      return Math.sign(v) * (1 - p * Math.exp(-v * v));
    };
    x.forEach((v, i) => expect(y[i]).toBeCloseTo(erfSeries(v), 5));
  });

  it('says in one line when a feed does not fit', async () => {
    const dir = join(SHARED_ONNX, 'test_add');
    const rt = await openOnnxRuntime(readFileSync(join(dir, 'model.onnx')), { file: 'test_add' });
    await expect(rt.run([{ name: 'x', dtype: 'float32', dims: [3, 4, 5], values: [1, 2] }])).rejects.toThrow(/input 'x' of shape \[3, 4, 5\] was given 2 values, expected 60/);
    await rt.release();
  });
});
