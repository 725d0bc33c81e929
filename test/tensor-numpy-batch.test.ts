import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Nn2eqError } from '../src/errors.js';
import { convertFile } from '../src/index.js';
import { withPython } from './check.js';
import { FIXTURES, fixtureNames, flat, mismatch, python, readReference, runPyDriver, SHARED } from './helpers.js';

// The NumPy tensor form promises "Leading batch axes are kept": every model the NumPy tests run
// (the Keras fixtures, the ONNX fixtures, the shared ONNX backend-test models) is called on each
// reference case as it is (no batch axis) and on all cases stacked along one extra leading axis of
// an odd length (5, the cases repeated), and must give the reference outputs both ways, with the
// batch axis in front of every output.

const BATCH = 5;

interface Model {
  readonly label: string;
  readonly file: string;
  readonly dir: string;
  readonly atol: number;
  readonly rtol: number;
}

const onnxDirs = (root: string) => readdirSync(root).filter((n) => existsSync(join(root, n, 'model.onnx')) && existsSync(join(root, n, 'reference.json'))).sort();
const MODELS: Model[] = [
  ...fixtureNames().map((n) => ({ label: n, file: join(FIXTURES, n, 'model.json'), dir: join(FIXTURES, n), atol: 1e-5, rtol: 1e-4 })),
  ...onnxDirs(join(FIXTURES, 'onnx')).map((n) => ({ label: `onnx/${n}`, file: join(FIXTURES, 'onnx', n, 'model.onnx'), dir: join(FIXTURES, 'onnx', n), atol: 1e-5, rtol: 1e-4 })),
  ...onnxDirs(join(SHARED, 'onnx')).map((n) => ({ label: `shared onnx/${n}`, file: join(SHARED, 'onnx', n, 'model.onnx'), dir: join(SHARED, 'onnx', n), atol: 1e-7, rtol: 1e-3 })),
];

/** Per module: each case run alone, then the cases stacked; numbers that are not finite travel as strings. */
const DRIVER = `
import math
import numpy as np

def numbers(y):
    return [v if math.isfinite(v) else str(v) for v in np.asarray(y, dtype=np.float64).ravel().tolist()]

def run(m, xs):
    ys = m.predict(*xs)
    return ys if isinstance(ys, list) else [ys]

out = []
for m, job in modules():
    try:
        cases, batch = job["cases"], job["batch"]
        single = []
        for c in cases:
            ys = run(m, [np.array(x, dtype=np.float64) for x in c])
            single.append({"shapes": [list(np.shape(y)) for y in ys], "values": [v for y in ys for v in numbers(y)]})
        order = [i % len(cases) for i in range(batch)]
        xs = [np.stack([np.array(cases[i][k], dtype=np.float64) for i in order]) for k in range(len(cases[0]))]
        ys = run(m, xs)
        rows = [[v for y in ys for v in numbers(np.asarray(y)[j])] for j in range(batch)] if all(np.ndim(y) > 0 and np.shape(y)[0] == batch for y in ys) else []
        out.append({"single": single, "shapes": [list(np.shape(y)) for y in ys], "rows": rows})
    except Exception as e:
        out.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(out))
`;

interface Answer {
  single?: { shapes: number[][]; values: (number | string)[] }[];
  shapes?: number[][];
  rows?: (number | string)[][];
  error?: string;
}

const numbers = (vs: (number | string)[]) => vs.map((v) => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity));

describe(`NumPy tensor form: every model without a batch axis and with one of length ${BATCH}`, () => {
  const answers = new Map<string, Answer | Error>();
  beforeAll(async () => {
    if (python.skip) return;
    const jobs: { model: Model; text: string; cases: unknown[][] }[] = [];
    for (const model of MODELS) {
      try {
        const { text, form } = await convertFile(model.file, { format: 'numpy', form: 'tensor' });
        if (form !== 'tensor') throw new Error(`printed the ${form} form`);
        const cases = readReference(model.dir).cases.map((c) => c.inputs);
        if (cases[0].length === 0) answers.set(model.label, new Error('no inputs'));
        else jobs.push({ model, text, cases });
      } catch (e) {
        answers.set(model.label, e as Error);
      }
    }
    // Two python3 processes, each with half the modules.
    const halves = [jobs.filter((_, i) => i % 2 === 0), jobs.filter((_, i) => i % 2 === 1)];
    await Promise.all(
      halves.map(async (half) => {
        const out = await runPyDriver<Answer[]>(python.exe, DRIVER, half.map((j) => j.text), half.map((j) => ({ cases: j.cases, batch: BATCH }) as unknown as number[][]));
        half.forEach((j, i) => answers.set(j.model.label, out[i]));
      }),
    );
  }, 900_000);

  it('runs the models of the NumPy tests; only the ones nn2eq refuses (checked in onnx-convert.test.ts) are left out', () => {
    expect(MODELS.length).toBeGreaterThan(300);
    const refused = MODELS.filter((m) => answers.get(m.label) instanceof Nn2eqError).map((m) => m.label);
    // At most the 30 shared backend-test models of onnx-convert.test.ts's REFUSED and the two If fixtures.
    expect(refused.length, refused.join(', ')).toBeLessThanOrEqual(32);
  });

  for (const model of MODELS) {
    withPython(model.label, () => {
      const a = answers.get(model.label);
      // Models nn2eq refuses (a reason checked by the ONNX tests) and the model without inputs have no batch to add.
      if (a instanceof Nn2eqError || (a instanceof Error && a.message === 'no inputs')) return;
      if (a instanceof Error) throw a;
      if (a === undefined) throw new Error('not run');
      if (a.error) throw new Error(a.error);
      const want = readReference(model.dir).cases.map((c) => flat(c.outputs));
      a.single!.forEach((s, i) => expect(mismatch(numbers(s.values), want[i], model.atol, model.rtol), `case ${i} without a batch axis`).toBeNull());
      // The batch axis leads every output, in front of the shape the output has without it.
      expect(a.shapes).toEqual(a.single![0].shapes.map((s) => [BATCH, ...s]));
      a.rows!.forEach((row, j) => expect(mismatch(numbers(row), want[j % want.length], model.atol, model.rtol), `batch row ${j}`).toBeNull());
    });
  }
});
