import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import type { Extracted } from '../src/extract/index.js';
import { onnxSource } from '../src/extract/onnx/source.js';
import { onnxReference } from '../src/verify/onnx-verify.js';
import { runMathjsText } from '../src/verify/extra-runtimes.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { FIXTURES, flat, mismatch, pool, python, readReference, runCRows, runJs, runPyDriver, runWolframTensor, withCC } from './helpers.js';

// The static-shape ops of issue 29 in settings ONNX's conformance cases do not reach
// (fixtures/onnx-static-ops, made by its make_ops.py): each fixture's tensor forms against ONNX
// Runtime at seeded points, NumPy in one python3 process, Wolfram (nn2eq's interpreter) in another,
// JS and mathjs (one point) in-process, C one program each. argmax_nan (ArgMax / ArgMin where NaN is in a
// slice) is checked against numpy's argmax, ONNX's reference implementation (reference.json).
const DIR = join(FIXTURES, 'onnx-static-ops');
const NAMES = readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'model.onnx'))).sort();

interface Case {
  name: string;
  /** Per point: the inputs nested in their shapes, and flat. */
  nested: unknown[][];
  flat: number[][];
  want: number[][];
  texts: Record<'numpy' | 'js' | 'c' | 'mathematica' | 'mathjs', string>;
}

function nest(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

async function build(name: string): Promise<Case> {
  const model = join(DIR, name, 'model.onnx');
  const texts = {} as Case['texts'];
  for (const format of ['numpy', 'js', 'c', 'mathematica', 'mathjs'] as const) texts[format] = (await convertFile(model, { format, form: 'tensor' })).text;
  const r = await convertFile(model, { format: 'js', form: 'tensor' });
  let offset = 0;
  const ports = r.program!.inputs.map((p) => {
    const size = p.tensor.shape.reduce((a, b) => a * b, 1);
    const port = { name: p.name, shape: p.tensor.shape, offset, size };
    offset += size;
    return port;
  });
  if (name === 'argmax_nan') {
    const ref = readReference(join(DIR, name));
    const flats = ref.cases.map((c) => flat(c.inputs));
    return { name, nested: flats.map((f) => ports.map((p) => nest(f.slice(p.offset, p.offset + p.size), p.shape))), flat: flats, want: ref.cases.map((c) => flat(c.outputs)), texts };
  }
  const rng = mulberry32(29);
  const flats = Array.from({ length: 3 }, () => Array.from({ length: offset }, () => Math.fround(rng() * 2 - 1)));
  const want = await onnxReference(onnxSource(r.model)!, { inputs: ports } as unknown as Extracted, flats.map((f) => Float64Array.from(f)));
  return { name, nested: flats.map((f) => ports.map((p) => nest(f.slice(p.offset, p.offset + p.size), p.shape))), flat: flats, want, texts };
}

let built: Promise<Case[]> | undefined;
/** Built one after another: ONNX Runtime (onnxruntime-web) sessions are not run side by side. */
const cases = () =>
  (built ??= (async () => {
    const out: Case[] = [];
    for (const name of NAMES) out.push(await build(name));
    return out;
  })());
/** Integers (argmax_nan) exactly; floats to ONNX Runtime's float32 within atol 1e-5 + rtol 1e-4. */
const close = (c: Case, got: number[], i: number) => expect(mismatch(got, c.want[i], ...(c.name === 'argmax_nan' ? [0, 0] : [1e-5, 1e-4])), `${c.name} point ${i}`).toBeNull();

describe('static-shape ops (fixtures/onnx-static-ops) against ONNX Runtime and numpy', () => {
  it('has the hand-made models', () => expect(NAMES.length).toBe(19));
  it('argmax_nan: its reference has NaN in some slices and ties none, so the first-NaN rule is what it checks', () => {
    const ref = readReference(join(DIR, 'argmax_nan'));
    expect(ref.cases.filter((c) => flat(c.inputs).some((v) => v < 0)).length).toBeGreaterThan(3);
  });
  it("converts every fixture, and ONNX Runtime runs it", async () => expect((await cases()).length).toBe(NAMES.length), 120_000);
  it('JS and mathjs tensor forms', async () => {
    for (const c of await cases()) {
      (await runJs(c.texts.js, c.nested)).forEach((g, i) => close(c, g, i));
      // mathjs evaluates slowly: its first point only.
      (await runMathjsText(c.texts.mathjs, c.flat.slice(0, 1))).forEach((g, i) => close(c, g, i));
    }
  }, 120_000);
  withPython('NumPy tensor form (one python3 process)', async () => {
    const all = await cases();
    const jobs = all.flatMap((c) => c.nested.map((inputs, i) => ({ c, i, inputs })));
    const got = await runPyDriver<number[][]>(
      python.exe,
      `
import numpy as np
res = []
for m, rows in modules():
    out = m.predict(*[np.array(x, dtype=np.float64) for x in rows])
    res.append([v for o in (out if isinstance(out, list) else [out]) for v in np.asarray(o, dtype=np.float64).ravel().tolist()])
print(json.dumps(res))
`,
      jobs.map((j) => j.c.texts.numpy),
      jobs.map((j) => j.inputs as number[][]),
    );
    jobs.forEach((j, k) => close(j.c, got[k], j.i));
  }, 120_000);
  withPython("Wolfram tensor form (nn2eq's interpreter, one python3 process)", async () => {
    const all = await cases();
    const answers = await runWolframTensor(all.map((c) => ({ text: c.texts.mathematica, cases: c.nested })));
    answers.forEach((a, k) => {
      if ('error' in a) throw new Error(`${all[k].name}: ${a.error}`);
      a.forEach((g, i) => close(all[k], g as number[], i));
    });
  }, 120_000);
  withCC('C tensor form (gcc, one program per fixture)', async () => {
    const all = await cases();
    const got = await pool(all.map((c) => () => runCRows(c.texts.c, c.flat, c.want[0].length)), 2);
    got.forEach((rows, k) => rows.forEach((g, i) => close(all[k], g, i)));
  }, 120_000);
  it('every tensor-form emitter prints each fixture', async () => {
    for (const name of NAMES) {
      for (const format of ['latex', 'sympy', 'julia'] as const) {
        const r = await convertFile(join(DIR, name, 'model.onnx'), { format, form: 'tensor' });
        expect(r.text.length, `${name} ${format}`).toBeGreaterThan(100);
      }
    }
  }, 120_000);
});
