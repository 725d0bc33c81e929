import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T, TensorProgram } from '../src/tensor/program.js';

/**
 * Tensor programs for the tensor-form printers' tests (C, Julia): single ops in settings no fixture
 * reaches, and a program of loops (scans and a foreach) at any sequence length.
 */

const fail = (m: string): never => {
  throw new Error(m);
};

/** One op case: its name, how it is built on the input x, and x's shape. */
export type OpCase = [string, (b: ProgramBuilder, x: T) => T[], number[]];

/** The op cases, their weights drawn from `rand` in order. */
export function opCases(rand: (n: number) => Float32Array): OpCase[] {
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  return [
    ['conv 2-D, 2 groups, strides and dilation, padded', (b, x) => b.apply('conv', [x, b.constant('K', [2, 3, 2, 6], rand(72)), b.constant('b', [6], rand(6))], { ...window([2, 3], [2, 1], [1, 2], [1, 2], [3, 4]), groups: 2, bias: true }, fail), [5, 4, 4]],
    ['conv 3-D without bias', (b, x) => b.apply('conv', [x, b.constant('K', [2, 2, 2, 3, 2], rand(48))], { ...window([2, 2, 2], [1, 1, 1], [1, 1, 1], [0, 0, 0], [2, 3, 2]), groups: 1, bias: false }, fail), [3, 4, 3, 3]],
    ['depthwise 1-D, multiplier 3', (b, x) => b.apply('depthwise_conv', [x, b.constant('D', [3, 2, 3], rand(18)), b.constant('b', [6], rand(6))], { ...window([3], [2], [1], [1], [4]), multiplier: 3, bias: true }, fail), [7, 2]],
    ['average pool 3-D, padded (in-bounds cells only)', (b, x) => b.apply('pool', [x], { ...window([2, 2, 2], [2, 2, 1], [1, 1, 1], [1, 0, 1], [2, 2, 3]), kind: 'avg' }, fail), [3, 4, 3, 2]],
    ['max pool 2-D, dilated', (b, x) => b.apply('pool', [x], { ...window([2, 2], [1, 1], [2, 1], [0, 0], [2, 3]), kind: 'max' }, fail), [4, 4, 2]],
    ['global average pool 3-D', (b, x) => b.apply('global_pool', [x], { kind: 'avg' }, fail), [2, 3, 2, 4]],
    ['global max pool 2-D', (b, x) => b.apply('global_pool', [x], { kind: 'max' }, fail), [3, 2, 4]],
    ['dot on axes (0, 1), normalized', (b, x) => [b.apply('dot', [x, b.constant('y', [2, 3, 4], rand(24))], { axes: [0, 1], normalize: true }, fail)[0]], [3, 5]],
    ['dot on axes (1, 0)', (b, x) => b.apply('dot', [x, b.constant('y', [5, 2], rand(10))], { axes: [1, 0], normalize: false }, fail), [3, 5]],
    ['softmax over axes 0 and 2', (b, x) => b.apply('softmax', [x], { axes: [0, 2] }, fail), [2, 3, 4]],
    ['log_softmax over the middle axis', (b, x) => b.apply('log_softmax', [x], { axes: [1] }, fail), [2, 3, 4]],
    ['layer_norm over axes 1 and 2 with gamma and beta', (b, x) => b.apply('layer_norm', [x, b.constant('gamma', [3, 4], rand(12)), b.constant('beta', [3, 4], rand(12))], { axes: [1, 2], eps: 1e-3, scale: true, center: true }, fail), [2, 3, 4]],
    ['l2_normalize over the first axis', (b, x) => b.apply('l2_normalize', [x], { axes: [0] }, fail), [3, 2]],
    ['map broadcasting [3, 1] against [2, 3, 4]', (b, x) => b.apply('map', [x, b.constant('a', [3, 1], rand(3)), b.constant('c', [4], rand(4))], { fn: 'scale_shift', params: [] }, fail), [2, 3, 4]],
    ['map of a scalar and a leading block', (b, x) => b.apply('map', [x, b.constant('a', [1], rand(1)), b.constant('c', [2, 1, 1], rand(2))], { fn: 'add', params: [] }, fail), [2, 3, 4]],
    ['dense over the last axis of a rank-3 tensor', (b, x) => b.apply('dense', [x, b.constant('W', [4, 3], rand(12)), b.constant('b', [3], rand(3))], { pairs: 1, bias: true }, fail), [2, 3, 4]],
    ['transpose of rank 4', (b, x) => b.apply('transpose', [x], { perm: [2, 0, 3, 1] }, fail), [2, 3, 4, 2]],
    ['reshape [2, 3, 4] to [4, 6] (row-major)', (b, x) => b.apply('reshape', [x], { shape: [4, 6] }, fail), [2, 3, 4]],
    ['pad, slice, upsample, reverse of rank 3', (b, x) => {
      const [p] = b.apply('pad', [x], { before: [1, 0, 2], after: [0, 1, 1] }, fail);
      const [s] = b.apply('slice', [p], { begin: [1, 1, 0], end: [3, 4, 4] }, fail);
      const [u] = b.apply('upsample', [s], { factors: [2, 1, 3] }, fail);
      return b.apply('reverse', [u], { axis: 1 }, fail);
    }, [2, 3, 2]],
    ['concat on the middle axis, repeat', (b, x) => {
      const [c] = b.apply('concat', [x, b.constant('k', [2, 1, 3], rand(6)), x], { axis: 1 }, fail);
      return b.apply('repeat', [c], { n: 2 }, fail);
    }, [2, 2, 3]],
    ['gather with ids out of range and fractional', (b, x) => b.apply('gather', [x, b.constant('E', [4, 2], rand(8))], {}, fail), [5]],
    ['rows of a computed table (gather_rows) at computed ids, fractional and out of range', (b, x) => {
      const [table] = b.apply('reshape', [x], { shape: [3, 2] }, fail);
      const [ids] = b.apply('map', [x], { fn: 'affine', params: [2, 1.5] }, fail);
      return b.apply('gather_rows', [table, ids], {}, fail);
    }, [6]],
  ];
}

/** A program of one input x and the case's equations, as one layer. */
export function opProgram(name: string, build: OpCase[1], shape: number[]): TensorProgram {
  const b = new ProgramBuilder();
  const x = b.input(shape, 0);
  b.layer = 1;
  const outs = build(b, x);
  return {
    tensors: b.tensors,
    equations: b.equations,
    inputs: [{ name: 'x', tensor: x }],
    outputs: outs.map((t, i) => ({ name: `y${i}`, tensor: t })),
    calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
    layerCount: 1,
    modelName: name,
    file: name,
  };
}

/** x[T, 3] → Dense → a reversed scan from given states → reverse → softmax → a foreach (Dense, sigmoid) → a scan's last state. */
export function loopProgram(T: number, weights: readonly Float32Array[]): TensorProgram {
  const b = new ProgramBuilder();
  const x = b.input([T, 3], 0);
  b.layer = 1;
  const W = b.constant('W', [3, 2], weights[0].slice(0, 6));
  const U = b.constant('U', [2, 2], weights[1].slice(0, 4));
  const V = b.constant('V', [2, 2], weights[2].slice(0, 4));
  const h0 = b.constant('h0', [2], weights[3].slice(0, 2));
  const c0 = b.constant('c0', [2], weights[4].slice(0, 2));
  const [d] = b.apply('dense', [x, b.constant('A', [3, 3], weights[5].slice(0, 9))], { pairs: 1, bias: false }, fail);
  const cell = (width: number) =>
    b.body([{ shape: [width], role: 'x' }, { shape: [2], role: 'h' }, { shape: [2], role: 'c' }], ([xs, h, c]) => {
      const [z] = b.apply('dense', [xs, width === 3 ? W : V, h, U], { pairs: 2, bias: false }, fail);
      const [hn] = b.apply('map', [z], { fn: 'tanh', params: [] }, fail);
      const [cz] = b.apply('dense', [c, V], { pairs: 1, bias: false }, fail);
      const [cn] = b.apply('map', [cz, hn], { fn: 'add', params: [] }, fail);
      return [hn, cn];
    });
  const [seq] = b.apply('scan', [d, h0, c0], { reverse: true, returnSequences: true, symbols: ['h', 'c'], units: 2 }, fail, ['h', 'h', 'c'], cell(3));
  const [rev] = b.apply('reverse', [seq], { axis: 0 }, fail);
  const [sm] = b.apply('softmax', [rev], { axes: [1] }, fail);
  const each = b.body([{ shape: [2], role: 'x' }], ([xt]) => {
    const [z] = b.apply('dense', [xt, V, b.constant('b', [2], weights[5].slice(9, 11))], { pairs: 1, bias: true }, fail);
    return b.apply('map', [z], { fn: 'sigmoid', params: [] }, fail);
  });
  const [e] = b.apply('foreach', [sm], {}, fail, 'h', each);
  const [last, , c] = b.apply('scan', [e], { reverse: false, returnSequences: false, symbols: ['h', 'c'], units: 2 }, fail, ['h', 'h', 'c'], cell(2));
  const outputs = [last, c, rev];
  return { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: outputs.map((t, i) => ({ name: `y${i}`, tensor: t })), calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs }], layerCount: 1, modelName: 'loops', file: 'loops' };
}
