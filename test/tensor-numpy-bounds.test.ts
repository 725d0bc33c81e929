// The NumPy tensor form's _against(np.maximum | np.minimum, …) (issue 26 speed): in an element-wise op of 2 ** 14
// numbers or more per example, the maximum or minimum against a number (ReLU, ReLU6, leaky ReLU) makes
// the number an array first, which NumPy 1.24 runs 2-3 times faster; a smaller op keeps np.maximum.
// The largest doubles, zero and the bounds themselves among the values; two examples in one batch; against the ops'
// scalarize rules evaluated in float64, in Debian's python3.
import { describe, expect } from 'vitest';
import { numpyTensor } from '../src/emit/numpy/tensor.js';
import { evaluateOutputs, scalarize, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { flat, mismatch, runNumpy } from './helpers.js';

const r = mulberry32(2628);
// (JSON carries no infinities to python3: the largest doubles stand in for them.)
const EDGES = [Number.MAX_VALUE, -Number.MAX_VALUE, 0, 6, -6, 7, 5.999999999999999];
const values = (shape: readonly number[]): unknown => {
  if (shape.length === 1) return Array.from({ length: shape[0] }, (_, i) => (i < EDGES.length ? EDGES[i] : Math.fround(r() * 20 - 10)));
  return Array.from({ length: shape[0] }, () => values(shape.slice(1)));
};
const fail = (m: string): never => {
  throw new Error(m);
};

describe('NumPy tensor form: _against(np.maximum | np.minimum) against the scalarize rule', () => {
  withPython('ReLU, ReLU6 and leaky ReLU on 2 ** 14 numbers per example, and on 16 (np.maximum)', async () => {
    const b = new ProgramBuilder();
    const big = b.input([128, 128], 0);
    const small = b.input([4, 4], 1);
    b.layer = 1;
    const map = (x: typeof big, fn: string, params: number[] = []) => b.apply('map', [x], { fn, params }, fail)[0];
    const outs = [map(big, 'relu'), map(big, 'relu6'), map(big, 'leaky_relu', [0.1]), map(small, 'relu6')];
    const p: TensorProgram = {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [big, small].map((tensor, i) => ({ name: `x${i}`, tensor })),
      outputs: outs.map((tensor, i) => ({ name: `y${i}`, tensor })),
      calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
      layerCount: 1,
      modelName: 'bounds',
      file: 'bounds',
    };
    const text = numpyTensor.emit(p, { inline: false, maxSize: Infinity, modelName: p.modelName });
    const body = text.slice(text.indexOf('def predict('));
    expect(body.match(/_against\(np\.maximum, /g)).toHaveLength(3);
    expect(body.match(/_against\(np\.minimum, /g)).toHaveLength(2);
    expect(body.match(/np\.(maximum|minimum)\(/g)).toHaveLength(2); // the small ReLU6
    const cases = Array.from({ length: 2 }, () => [values([128, 128]), values([4, 4])]);
    const got = await runNumpy(text, cases);
    const ex = scalarize(p, { stableSoftmax: true });
    const want = evaluateOutputs(ex.graph, ex.outputIds, cases.map((c) => flat(c)));
    cases.forEach((_, k) => {
      const bad = mismatch(flat(got[k]), want[k], 1e-12, 1e-12);
      expect(bad, `case ${k}: ${bad}`).toBeNull();
    });
  });
});
