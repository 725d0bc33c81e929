import { describe, expect, it } from 'vitest';
import { convertFile, Nn2eqError } from '../src/index.js';
import type { Extracted } from '../src/extract/index.js';
import { tfSource } from '../src/extract/tf/source.js';
import { tfGraphReference } from '../src/verify/tf-graph-oracle.js';
import { mulberry32 } from '../src/verify/random.js';
import { mismatch, runJs, tmpDir } from './helpers.js';
import { A, writeGraphModel, type GraphFixture } from './tfjs-graph-fixtures.js';

// ONNX's circular and hyperbolic functions (src/extract/onnx/trig.ts) folded on constants, which
// ONNX's conformance cases never do (their argument is always an input): a TF.js graph model that
// applies each to a Const and adds the result to the input, through TF's ops, which build them with
// ONNX's builders. TF.js running the same file is the oracle; each folded value is float32, as TF.js
// computes it. And the refusal of an integer argument, which ONNX defines for floats only.

const FNS: [op: string, values: number[]][] = [
  ['Sin', [0.5, -1.25]],
  ['Cos', [0.5, -1.25]],
  ['Tan', [0.5, -1.25]],
  ['Asin', [0.5, -0.75]],
  ['Acos', [0.5, -0.75]],
  ['Atan', [0.5, -1.25]],
  ['Sinh', [0.5, -1.25]],
  ['Cosh', [0.5, -1.25]],
  ['Asinh', [0.5, -1.25]],
  ['Acosh', [1.5, 2.25]],
  ['Atanh', [0.5, -0.75]],
];

const FOLDED: GraphFixture = {
  inputs: [{ name: 'x', dims: [-1, 2] }],
  weights: FNS.map(([op, values]) => ({ name: `c_${op}`, dims: [2], values })),
  nodes: FNS.flatMap(([op]): [string, string, string[]][] => [
    [`f_${op}`, op, [`c_${op}`]],
    [`y_${op}`, 'AddV2', ['x', `f_${op}`]],
  ]),
  outputs: FNS.map(([op]) => `y_${op}`),
};

describe('ONNX trig builders folded on constants (TF graph model) against TF.js', () => {
  it('every function, JS tensor form', async () => {
    const model = writeGraphModel(tmpDir(), FOLDED);
    const js = await convertFile(model, { format: 'js', form: 'tensor' });
    // Folded: no element-wise function of the list is left in the text.
    expect(js.text).not.toMatch(/Math\.(sin|cos|tan|asin|acos|atan|sinh|cosh|asinh|acosh|atanh)\(/);
    const rng = mulberry32(3);
    const points = Array.from({ length: 3 }, () => Array.from({ length: 2 }, () => Math.fround(rng() * 2 - 1)));
    const ports = [{ name: 'x', shape: [2], offset: 0, size: 2 }];
    const want = await tfGraphReference(tfSource(js.model)!.model, { inputs: ports } as unknown as Extracted, points.map((p) => Float64Array.from(p)));
    const got = await runJs(js.text, points.map((p) => [[p]]));
    got.forEach((g, i) => expect(mismatch(g, want[i], 1e-6, 1e-6), `point ${i}`).toBeNull());
  });

  it('an integer argument is refused in one line', async () => {
    const model = writeGraphModel(tmpDir(), {
      inputs: [{ name: 'x', dims: [-1, 2] }],
      weights: [{ name: 'k', dims: [2], values: [1, 2], dtype: 'int32' }],
      nodes: [['s', 'Sin', ['k'], { T: A.type('DT_INT32') }], ['c', 'Cast', ['s'], { SrcT: A.type('DT_INT32'), DstT: A.type() }], ['y', 'AddV2', ['x', 'c']]],
      outputs: ['y'],
    });
    const e = await convertFile(model, { format: 'js', form: 'tensor' }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(Nn2eqError);
    expect((e as Nn2eqError).message).toMatch(/node 's' \(Sin\): Sin of int32 values, which ONNX defines for floating-point types only$/);
  });
});
