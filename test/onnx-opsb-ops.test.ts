import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertFile } from '../src/index.js';
import type { Extracted } from '../src/extract/index.js';
import { onnxSource } from '../src/extract/onnx/source.js';
import { onnxReference } from '../src/verify/onnx-verify.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { FIXTURES, mismatch, pool, python, runCRows, runJs, runPyDriver, withCC } from './helpers.js';

// The ops of issue 29 that ONNX's conformance cases reach only one way (fixtures/onnx-opsb-ops,
// made by its make_ops.py): constant indices, lengths and positions, strides with dilations and
// uneven pads, groups, computed regions. Each fixture's NumPy, JS and C tensor forms against ONNX
// Runtime at seeded points (NumPy in one python3 process, C one program each).
const DIR = join(FIXTURES, 'onnx-opsb-ops');
const NAMES = readdirSync(DIR).filter((n) => existsSync(join(DIR, n, 'model.onnx'))).sort();

interface Case {
  name: string;
  nested: unknown[][];
  flat: number[][];
  want: number[][];
  texts: Record<'numpy' | 'js' | 'c', string>;
}

function nest(values: readonly number[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const step = values.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(values.slice(i * step, (i + 1) * step), shape.slice(1)));
}

async function build(name: string): Promise<Case> {
  const model = join(DIR, name, 'model.onnx');
  const texts = {} as Case['texts'];
  for (const format of ['numpy', 'js', 'c'] as const) texts[format] = (await convertFile(model, { format, form: 'tensor' })).text;
  const r = await convertFile(model, { format: 'js', form: 'tensor' });
  let offset = 0;
  const ports = r.program!.inputs.map((p) => {
    const size = p.tensor.shape.reduce((a, b) => a * b, 1);
    const port = { name: p.name, shape: p.tensor.shape, offset, size };
    offset += size;
    return port;
  });
  const rng = mulberry32(27);
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
/** To ONNX Runtime's float32 within atol 1e-5 + rtol 1e-4. */
const close = (c: Case, got: number[], i: number) => expect(mismatch(got, c.want[i], 1e-5, 1e-4), `${c.name} point ${i}`).toBeNull();

describe('opsb ops (fixtures/onnx-opsb-ops) against ONNX Runtime', () => {
  it('has the hand-made models', () => expect(NAMES.length).toBe(8));
  it('converts every fixture, ONNX Runtime runs it, and the JS tensor form agrees', async () => {
    for (const c of await cases()) (await runJs(c.texts.js, c.nested)).forEach((g, i) => close(c, g, i));
  }, 120_000);
  withPython('NumPy tensor form (one python3 process)', async () => {
    const jobs = (await cases()).flatMap((c) => c.nested.map((inputs, i) => ({ c, i, inputs })));
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
  withCC('C tensor form (gcc, one program per fixture)', async () => {
    const all = await cases();
    const got = await pool(all.map((c) => () => runCRows(c.texts.c, c.flat, c.want[0].length)), 2);
    got.forEach((rows, k) => rows.forEach((g, i) => close(all[k], g, i)));
  }, 120_000);
  it('refuses RoiAlign with sampling_ratio 0 on computed regions, in one line', async () => {
    const err = await convertFile(join(DIR, 'refused', 'roi_align_adaptive', 'model.onnx'), { format: 'numpy', form: 'tensor' }).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/RoiAlign\): sampling_ratio 0 sizes each bin's grid of samples by its region, so the count of samples depends on the data$/);
  });
});
