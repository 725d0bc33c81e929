// The NumPy tensor form's convolution paths and its freeing of dead arrays (issue 26 speed): _conv
// picks its matrix products by the shapes (a 1×1 kernel over every stride-th position; im2col from
// one strided view, in blocks of about 2 MB, whole examples or rows of one, each block's product
// split by _products into products of at most 10 ** 6 multiply-adds; one product per kernel offset
// for 32 channels or more and 196 output positions or more; groups), and predict deletes a value of
// 2 ** 14 numbers per example after its last reader. Each program runs in Debian's python3 (one
// process per program, every case as one batch) against the ops' scalarize rules evaluated in float64.
import { describe, expect } from 'vitest';
import { numpyTensor } from '../src/emit/numpy/tensor.js';
import { evaluateOutputs, scalarize, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { flat, mismatch, runNumpy } from './helpers.js';

const r = mulberry32(2626);
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
const fail = (m: string): never => {
  throw new Error(m);
};

function program(b: ProgramBuilder, inputs: T[], outs: T[], name: string): TensorProgram {
  return {
    tensors: b.tensors,
    equations: b.equations,
    inputs: inputs.map((tensor, i) => ({ name: `x${i}`, tensor })),
    outputs: outs.map((tensor, i) => ({ name: `y${i}`, tensor })),
    calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
    layerCount: 1,
    modelName: name,
    file: name,
  };
}

/** Each case's outputs from the scalarize rules, and from the emitted NumPy run on all cases as one batch. */
async function compare(p: TensorProgram, cases: unknown[][]) {
  const text = numpyTensor.emit(p, { inline: false, maxSize: Infinity, modelName: p.modelName });
  const got = await runNumpy(text, cases);
  const ex = scalarize(p, { stableSoftmax: true });
  const want = evaluateOutputs(ex.graph, ex.outputIds, cases.map((c) => flat(c)));
  cases.forEach((_, k) => {
    // The text holds each weight as the shortest decimal of its float32 value, which float64 reads a
    // few 1e-8 away: far below what a wrong window or offset gives.
    const bad = mismatch(flat(got[k]), want[k], 1e-6, 1e-6);
    expect(bad, `case ${k}: ${bad}`).toBeNull();
  });
  return text;
}

/** Random values in a nested array of the given shape. */
function nested(shape: readonly number[]): unknown {
  if (shape.length === 0) return rand(1)[0];
  return Array.from({ length: shape[0] }, () => nested(shape.slice(1)));
}

const conv = (b: ProgramBuilder, x: T, kernel: number[], c: number, f: number, strides: number[], padBefore: number[], outSpatial: number[], groups = 1) =>
  b.apply('conv', [x, b.constant('K', [...kernel, c / groups, f], rand(kernel.reduce((a, k) => a * k, 1) * (c / groups) * f)), b.constant('b', [f], rand(f))], { kernel, strides, dilation: kernel.map(() => 1), padBefore, outSpatial, groups, bias: true }, fail)[0];

describe('NumPy tensor form: every path of _conv against the scalarize rule', () => {
  withPython('1×1 (strided too), im2col in blocks of examples split into small products, groups; 150 examples in one batch', async () => {
    const b = new ProgramBuilder();
    const few = b.input([5, 7, 3], 0);
    const many = b.input([4, 5, 40], 1);
    b.layer = 1;
    const outs = [
      conv(b, few, [3, 3], 3, 4, [2, 2], [1, 1], [3, 4]), // im2col: 150 × 12 × 27 numbers, one block
      conv(b, many, [1, 1], 40, 3, [1, 1], [0, 0], [4, 5]), // x @ K
      conv(b, many, [1, 1], 40, 3, [2, 2], [0, 0], [2, 3]), // every second position @ K
      conv(b, many, [2, 2], 40, 3, [2, 2], [0, 0], [2, 2]), // im2col, 4 positions per example
      // im2col in blocks of 36 examples (5 blocks, the last of 6), each of 720 rows split by _products
      // into products of 347 rows (10 ** 6 // (360 × 8)) and a remainder of 26.
      conv(b, many, [3, 3], 40, 8, [1, 1], [1, 1], [4, 5]),
      conv(b, many, [3, 3], 40, 4, [1, 1], [1, 1], [4, 5], 2), // two groups: one product per offset
    ];
    const cases = Array.from({ length: 150 }, () => [nested([5, 7, 3]), nested([4, 5, 40])]);
    const text = await compare(program(b, [few, many], outs, 'conv_paths'), cases);
    // Every value is small per example: nothing is deleted.
    expect(text).not.toMatch(/^\s+del /m);
  });

  withPython('one product per offset (32 channels, 196 positions); im2col of one example in blocks of rows', async () => {
    const b = new ProgramBuilder();
    const deep = b.input([14, 14, 32], 0);
    const wide = b.input([64, 64, 8], 1);
    b.layer = 1;
    const outs = [
      conv(b, deep, [3, 3], 32, 5, [1, 1], [1, 1], [14, 14]), // 9 products added up in one spare array
      // 64 × 64 × 72 numbers per example: blocks of 56 and 8 rows of the 64.
      conv(b, wide, [3, 3], 8, 1, [1, 1], [1, 1], [64, 64]),
    ];
    await compare(program(b, [deep, wide], outs, 'conv_paths_large'), [[nested([14, 14, 32]), nested([64, 64, 8])]]);
  });

  withPython('a value of 2 ** 14 numbers or more is deleted after the line that last reads it, an output never', async () => {
    const b = new ProgramBuilder();
    const x = b.input([130, 130], 0);
    b.layer = 1;
    const [t] = b.apply('map', [x], { fn: 'tanh', params: [] }, fail);
    const [u] = b.apply('map', [t], { fn: 'sigmoid', params: [] }, fail);
    const [v] = b.apply('map', [u, t], { fn: 'add', params: [] }, fail);
    const text = await compare(program(b, [x], [v, u], 'freed'), [[nested([130, 130])]]);
    const body = text.slice(text.indexOf('def predict('));
    // t is read last by the line of v; u is an output.
    expect(body).toMatch(/\n {4}(\w+) = [^\n]*\n {4}del (\w+)\n {4}return/);
    expect(body.match(/^\s+del .*$/gm)).toHaveLength(1);
  });
});
