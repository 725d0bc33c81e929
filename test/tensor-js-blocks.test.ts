// The JS tensor form's blocked kernels (issue 26/27 speed): gemm's 4x4 register blocks over packed
// column panels behind dense, denseAdd and matmul, and the convolutions, at the sizes where their
// edges are: fewer than four rows (the by-row path), rows and columns past a multiple of four,
// several column strips, a second input of the same sum, batched and broadcast matrix products,
// --dtype float32. Each is checked against the op's scalarize rule in ops.ts evaluated in float64:
// the semantics the printer must match.
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitJsTensor } from '../src/emit/js/tensor.js';
import { evaluateOutputs, scalarize, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { mulberry32 } from '../src/verify/random.js';
import { flat, mismatch, tmpFile } from './helpers.js';

type Predict = (...inputs: unknown[]) => unknown;

describe('JS tensor form: blocked matrix products and convolutions against the scalarize rule', () => {
  const r = mulberry32(26);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const dense = (b: ProgramBuilder, x: T, k: number, n: number, bias: boolean) =>
    b.apply('dense', [x, b.constant('W', [k, n], rand(k * n)), ...(bias ? [b.constant('b', [n], rand(n))] : [])], { pairs: 1, bias }, fail);
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  const cases: [string, (b: ProgramBuilder, x: T) => T[], number[]][] = [
    ['dense, one row (by rows)', (b, x) => dense(b, x, 6, 5, true), [6]],
    ['dense, 3 rows (by rows)', (b, x) => dense(b, x, 6, 5, true), [3, 6]],
    ['dense, 9 rows, 10 columns (a row and two columns past the blocks)', (b, x) => dense(b, x, 7, 10, true), [9, 7]],
    ['dense, 4 rows, 3 columns (no whole panel)', (b, x) => dense(b, x, 5, 3, false), [4, 5]],
    ['dense, 5 rows, k 1100, 33 columns (two strips)', (b, x) => dense(b, x, 1100, 33, true), [5, 1100]],
    ['dense of two inputs (denseAdd), rank 3', (b, x) => b.apply('dense', [x, b.constant('W', [13, 6], rand(78)), x, b.constant('W2', [13, 6], rand(78)), b.constant('b', [6], rand(6))], { pairs: 2, bias: true }, fail), [2, 5, 13]],
    ['matmul of a batch by one broadcast matrix', (b, x) => b.apply('matmul', [x, b.constant('B', [1, 5, 7], rand(35))], {}, fail), [3, 6, 5]],
    ['matmul of two computed batches (x by its transpose), 9 rows', (b, x) => {
      const [t] = b.apply('transpose', [x], { perm: [0, 2, 1] }, fail);
      return b.apply('matmul', [x, t], {}, fail);
    }, [2, 9, 6]],
    ['conv 1x1 (a dense layer at every pixel), 5x3 pixels, 6 filters', (b, x) => b.apply('conv', [x, b.constant('K', [1, 1, 7, 6], rand(42)), b.constant('b', [6], rand(6))], { ...window([1, 1], [1, 1], [1, 1], [0, 0], [5, 3]), groups: 1, bias: true }, fail), [5, 3, 7]],
    ['conv 1x1 stride 2 (not a dense layer)', (b, x) => b.apply('conv', [x, b.constant('K', [1, 1, 3, 5], rand(15))], { ...window([1, 1], [2, 2], [1, 1], [0, 0], [3, 5]), groups: 1, bias: false }, fail), [5, 9, 3]],
    ['conv 3x3 padded, 13 columns, 9 filters, k 3x3x40 (two filter strips)', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 40, 9], rand(3240)), b.constant('b', [9], rand(9))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [3, 13]), groups: 1, bias: true }, fail), [3, 13, 40]],
    ['conv 3x3 stride 2, dilation 2 in width, 11 columns, 8 filters', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 4, 8], rand(288))], { ...window([3, 3], [2, 1], [1, 2], [1, 2], [2, 11]), groups: 1, bias: false }, fail), [4, 11, 4]],
    ['conv with 2 groups (by pixels)', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 2, 8], rand(144)), b.constant('b', [8], rand(8))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [3, 9]), groups: 2, bias: true }, fail), [3, 9, 4]],
    ['depthwise conv as groups = channels, 3x3 padded, 10 columns', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 1, 6], rand(54)), b.constant('b', [6], rand(6))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [4, 10]), groups: 6, bias: true }, fail), [4, 10, 6]],
    ['transpose [1, C, H, W] to channels-last and back, and a batch of matrices', (b, x) => {
      const [t] = b.apply('transpose', [x], { perm: [0, 2, 3, 1] }, fail);
      const [u] = b.apply('transpose', [t], { perm: [0, 3, 1, 2] }, fail);
      const [v] = b.apply('transpose', [x], { perm: [0, 1, 3, 2] }, fail);
      return [t, u, v];
    }, [1, 5, 17, 19]],
    ['matmul, 2 rows (by rows)', (b, x) => b.apply('matmul', [x, b.constant('B', [4, 8], rand(32))], {}, fail), [2, 4]],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, build, shape] of cases) {
      it(`${name}, ${dtype}`, async () => {
        const b = new ProgramBuilder();
        const x = b.input(shape, 0);
        b.layer = 1;
        const outs = build(b, x);
        const program: TensorProgram = {
          tensors: b.tensors,
          equations: b.equations,
          inputs: [{ name: 'x', tensor: x }],
          outputs: outs.map((t, i) => ({ name: `y${i}`, tensor: t })),
          calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
          layerCount: 1,
          modelName: name,
          file: name,
        };
        const text = emitJsTensor(program, { inline: false, maxSize: Infinity, modelName: name, ...(dtype === 'float32' ? { dtype } : {}) });
        const mod = (await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: Predict };
        const ex = scalarize(program, { stableSoftmax: true });
        const n = shape.reduce((a, c) => a * c, 1);
        for (let k = 0; k < 2; k++) {
          const point = Array.from(rand(n));
          const [want] = evaluateOutputs(ex.graph, ex.outputIds, [point]);
          // float32 rounds every stored value: a relative 1e-5 is far above that and far below a wrong sum.
          const tol = dtype === 'float32' ? 1e-5 : 1e-12;
          const bad = mismatch(flat(mod.predict(point)), want, tol, tol);
          expect(bad, `point ${k}: ${bad}`).toBeNull();
        }
      });
    }
  }
});
