import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURES, flat, pool, python, runCRows, runJs, runPyDriver, withCC } from './helpers.js';

// Quantized ONNX models with computed scales and zero points (scripts/onnx-qdq-computed-fixtures.py):
// the paths of src/extract/onnx/quantize.ts that ONNX's conformance cases do not take (a per-axis
// scale given as an input with a batch axis, a scale computed in the graph, blocks cut short,
// constant and computed parameters mixed in QLinearMatMul and QLinearConv, DynamicQuantizeLinear of
// zeros, float16 scales). Each fixture's tensor form in JS, NumPy (all cases as one batch: leading
// batch axes on every input) and C, exactly against ONNX's reference semantics and ONNX Runtime
// (reference.json; the generator checked that both agree).
const DIR = join(FIXTURES, 'onnx-qdq-computed');
const names = readdirSync(DIR).filter((d) => existsSync(join(DIR, d, 'model.onnx'))).sort();

interface Fixture {
  cases: unknown[][];
  reference: number[][];
  ort: number[][];
  texts: Record<'js' | 'numpy' | 'c', string>;
}

const fixtures = new Map<string, Fixture>();

beforeAll(async () => {
  for (const name of names) {
    const { cases } = JSON.parse(readFileSync(join(DIR, name, 'cases.json'), 'utf8')) as { cases: unknown[][] };
    const ref = JSON.parse(readFileSync(join(DIR, name, 'reference.json'), 'utf8')) as { reference: number[][][]; ort: number[][][] };
    const file = join(DIR, name, 'model.onnx');
    const text = async (format: 'js' | 'numpy' | 'c') => (await convertFile(file, { format, form: 'tensor' })).text;
    fixtures.set(name, {
      cases,
      reference: ref.reference.map((outs) => outs.flat()),
      ort: ref.ort.map((outs) => outs.flat()),
      texts: { js: await text('js'), numpy: await text('numpy'), c: await text('c') },
    });
  }
});

/**
 * ONNX Runtime divides float16 values by a float16 scale in float32, where ONNX's reference and its
 * text (opset 21: the scale's type sets the precision) divide in float16: one quantization step apart
 * on a tie of float16 (scripts/onnx-qdq-computed-fixtures.py, q_float16).
 */
const ORT_ONE_STEP = new Set(['q_float16']);

/** `got` equals ONNX's reference exactly and ONNX Runtime exactly (or within one step where it rounds otherwise), case by case. */
function check(name: string, got: number[][]): void {
  const f = fixtures.get(name)!;
  expect(got.length).toBe(f.cases.length);
  got.forEach((g, i) => {
    expect(g, `${name} case ${i}: ONNX's reference`).toEqual(f.reference[i]);
    if (!ORT_ONE_STEP.has(name)) expect(g, `${name} case ${i}: ONNX Runtime`).toEqual(f.ort[i]);
    else expect(Math.max(...g.map((v, j) => Math.abs(v - f.ort[i][j]))), `${name} case ${i}: ONNX Runtime`).toBeLessThanOrEqual(1);
  });
}

/** Runs every NumPy text on its cases stacked into one batch (a leading axis on every input), in one python3. */
const NUMPY_BATCH = `
import numpy as np
out = []
for m, rows in modules():
    try:
        batch = [np.array([c[k] for c in rows], dtype=np.float64) for k in range(len(rows[0]))]
        y = m.predict(*batch)
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        ys = [np.broadcast_to(np.asarray(o, dtype=np.float64), (len(rows),) + np.shape(o)[1:]) if np.ndim(o) > 0 else np.full((len(rows),), float(o)) for o in ys]
        out.append([np.concatenate([o[i].ravel() for o in ys]).tolist() for i in range(len(rows))])
    except Exception as e:
        out.append(type(e).__name__ + ': ' + str(e))
print(json.dumps(out))
`;

describe('quantized ONNX models with computed scales and zero points', () => {
  it('has the fixtures', () => expect(names.length).toBeGreaterThanOrEqual(8));

  it('JS tensor form', async () => {
    for (const name of names) {
      const f = fixtures.get(name)!;
      check(name, await runJs(f.texts.js, f.cases));
    }
  });

  withPython('NumPy tensor form, each fixture one batch', async () => {
    const got = await runPyDriver<(number[][] | string)[]>(python.exe, NUMPY_BATCH, names.map((n) => fixtures.get(n)!.texts.numpy), names.map((n) => fixtures.get(n)!.cases as number[][]));
    names.forEach((name, k) => {
      const g = got[k];
      if (typeof g === 'string') throw new Error(`${name}: ${g}`);
      check(name, g);
    });
  });

  withCC('C tensor form', async () => {
    const got = await pool(names.map((name) => () => {
      const f = fixtures.get(name)!;
      return runCRows(f.texts.c, f.cases.map((c) => c.flatMap((x) => flat(x))), f.reference[0].length);
    }), 2);
    names.forEach((name, k) => check(name, got[k]));
  });
});
