// The NumPy tensor form's _depthwise_conv (issue 26 speed): one kernel per channel, under 64 channels,
// at stride and dilation 1 along the last spatial axis, is one product per kernel cell along whole rows
// of positions and channels; otherwise einsum. Both paths, 1-D and 2-D, strided rows, padding, no bias,
// two examples in one batch, against the ops' scalarize rules evaluated in float64, in Debian's python3.
import { describe, expect } from 'vitest';
import { numpyTensor } from '../src/emit/numpy/tensor.js';
import { evaluateOutputs, scalarize, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { mulberry32 } from '../src/verify/random.js';
import { withPython } from './check.js';
import { flat, mismatch, runNumpy } from './helpers.js';

const r = mulberry32(2629);
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
const nested = (shape: readonly number[]): unknown => (shape.length === 0 ? rand(1)[0] : Array.from({ length: shape[0] }, () => nested(shape.slice(1))));
const fail = (m: string): never => {
  throw new Error(m);
};

const depthwise = (b: ProgramBuilder, x: T, kernel: number[], c: number, m: number, strides: number[], padBefore: number[], outSpatial: number[], bias = true) =>
  b.apply(
    'depthwise_conv',
    [x, b.constant('D', [...kernel, c, m], rand(kernel.reduce((a, k) => a * k, 1) * c * m)), ...(bias ? [b.constant('b', [c * m], rand(c * m))] : [])],
    { kernel, strides, dilation: kernel.map(() => 1), padBefore, outSpatial, multiplier: m, bias },
    fail,
  )[0];

describe('NumPy tensor form: _depthwise_conv against the scalarize rule', () => {
  withPython('rows of positions and channels (under 64 channels), and einsum', async () => {
    const b = new ProgramBuilder();
    const img = b.input([9, 8, 16], 0);
    const wide = b.input([5, 6, 64], 1);
    const seq = b.input([10, 8], 2);
    b.layer = 1;
    const outs = [
      depthwise(b, img, [3, 3], 16, 1, [1, 1], [1, 1], [9, 8]), // rows, same padding
      depthwise(b, img, [3, 2], 16, 1, [2, 1], [0, 1], [4, 8], false), // rows at stride 2, no bias
      depthwise(b, seq, [3], 8, 1, [1], [2], [10]), // 1-D: one run of 80 numbers
      depthwise(b, img, [3, 3], 16, 1, [1, 2], [1, 1], [9, 4]), // stride 2 along the last axis: einsum
      depthwise(b, img, [3, 3], 16, 2, [1, 1], [1, 1], [9, 8]), // two kernels per channel: einsum
      depthwise(b, wide, [3, 3], 64, 1, [1, 1], [1, 1], [5, 6]), // 64 channels: einsum
    ];
    const p: TensorProgram = {
      tensors: b.tensors,
      equations: b.equations,
      inputs: [img, wide, seq].map((tensor, i) => ({ name: `x${i}`, tensor })),
      outputs: outs.map((tensor, i) => ({ name: `y${i}`, tensor })),
      calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
      layerCount: 1,
      modelName: 'depthwise',
      file: 'depthwise',
    };
    const text = numpyTensor.emit(p, { inline: false, maxSize: Infinity, modelName: p.modelName });
    expect(text.match(/= _depthwise_conv\(/g)).toHaveLength(6);
    const cases = Array.from({ length: 2 }, () => [nested([9, 8, 16]), nested([5, 6, 64]), nested([10, 8])]);
    const got = await runNumpy(text, cases);
    const ex = scalarize(p, { stableSoftmax: true });
    const want = evaluateOutputs(ex.graph, ex.outputIds, cases.map((c) => flat(c)));
    cases.forEach((_, k) => {
      const bad = mismatch(flat(got[k]), want[k], 1e-6, 1e-6);
      expect(bad, `case ${k}: ${bad}`).toBeNull();
    });
  });
});
