// The NumPy tensor form's Winograd path (issue 26 speed): a 3×3 kernel of the file's own weights at
// stride 1, 32 channels or more in and out, 196 output positions or more, is _winograd (F(2×2, 3×3)) with its
// kernel transformed once at import. Odd output sizes (the last row and column of 2×2 blocks cut
// off), valid, same and one-sided padding, no bias, several examples, and rows of blocks done in
// parts (the last part shorter) against the ops' scalarize rules evaluated in float64; the same
// program with --dtype float32 too. Each program runs in Debian's python3, every case as one batch.
import { describe, expect } from 'vitest';
import { numpyTensor } from '../src/emit/numpy/tensor.js';
import { evaluateOutputs, scalarize, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { flat, mismatch, runNumpy } from './helpers.js';

const r = mulberry32(2627);
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
const fail = (m: string): never => {
  throw new Error(m);
};

function nested(shape: readonly number[]): unknown {
  if (shape.length === 0) return rand(1)[0];
  return Array.from({ length: shape[0] }, () => nested(shape.slice(1)));
}

const conv = (b: ProgramBuilder, x: T, c: number, f: number, padBefore: number[], outSpatial: number[], bias = true) =>
  b.apply(
    'conv',
    [x, b.constant('K', [3, 3, c, f], rand(9 * c * f).map((v) => v / 8)), ...(bias ? [b.constant('b', [f], rand(f))] : [])],
    { kernel: [3, 3], strides: [1, 1], dilation: [1, 1], padBefore, outSpatial, groups: 1, bias },
    fail,
  )[0];

describe('NumPy tensor form: _winograd against the scalarize rule', () => {
  withPython('odd and even sizes, valid, same and one-sided padding, no bias, rows of blocks in parts; float64 and float32', async () => {
    const b = new ProgramBuilder();
    const small = b.input([15, 14, 32], 0);
    const tall = b.input([33, 16, 32], 1);
    const square = b.input([16, 16, 32], 2);
    b.layer = 1;
    const outs = [
      conv(b, small, 32, 33, [1, 1], [15, 14]), // same: 8 × 7 blocks, the last row cut off
      conv(b, square, 32, 32, [0, 0], [14, 14], false), // valid, no bias: 196 positions, the fewest Winograd takes
      // Two rows of zeros above, the last two columns beyond the input; 17 rows of 8 blocks: in float64 about
      // 512 KB is 16 rows of them, so two parts, of 9 rows and 8.
      conv(b, tall, 32, 32, [2, 0], [33, 16]),
    ];
    const p: TensorProgram = {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [small, tall, square].map((tensor, i) => ({ name: `x${i}`, tensor })),
      outputs: outs.map((tensor, i) => ({ name: `y${i}`, tensor })),
      calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
      layerCount: 1,
      modelName: 'winograd',
      file: 'winograd',
    };
    const cases = Array.from({ length: 2 }, () => [nested([15, 14, 32]), nested([33, 16, 32]), nested([16, 16, 32])]);
    const ex = scalarize(p, { stableSoftmax: true });
    const want = evaluateOutputs(ex.graph, ex.outputIds, cases.map((c) => flat(c)));
    for (const [dtype, tol] of [['float64', 1e-6], ['float32', 1e-5]] as const) {
      const text = numpyTensor.emit(p, { inline: false, maxSize: Infinity, modelName: p.modelName, dtype });
      expect(text.match(/= _winograd\(/g)).toHaveLength(3);
      expect(text).not.toMatch(/= _conv\(/);
      const got = await runNumpy(text, cases);
      cases.forEach((_, k) => {
        // float64: the weights' shortest decimals read a few 1e-8 away; float32: its own rounding, and
        // the transformed kernel's, about 1e-7 of each of the 288 products.
        const bad = mismatch(flat(got[k]), want[k], tol, tol);
        expect(bad, `${dtype}, case ${k}: ${bad}`).toBeNull();
      });
    }
  });
});
