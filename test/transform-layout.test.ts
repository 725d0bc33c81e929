import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, evaluate, loadModel, scalarize } from '../src/index.js';
import { buildOnnxProgram } from '../src/extract/onnx/index.js';
import { loadOnnx } from '../src/load/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { TensorProgram } from '../src/tensor/program.js';
import { depthwiseProgram } from '../src/transform/depthwise.js';
import { layoutProgram, permuteValues, reshapedOrder } from '../src/transform/layout.js';
import { FIXTURE_OPTIONS, FIXTURES, ROOT } from './helpers.js';

// The layout pass only moves elements in memory: the laid-out program computes exactly the same
// numbers (compared bit for bit on random inputs, through the scalar IR of each program). That the
// printed code is right in each runtime is checked against ONNX Runtime and PyTorch by
// onnx-tensor-js, onnx-convert and onnx-backend, which print through the pass.

const ONNX = join(ROOT, 'fixtures', 'onnx');
const transposes = (p: TensorProgram) => p.equations.filter((eq) => eq.op === 'transpose').length;

function sameValues(before: TensorProgram, after: TensorProgram, runs = 10): void {
  const a = scalarize(before);
  const b = scalarize(after);
  const n = a.inputs.reduce((s, p) => s + p.size, 0);
  fc.assert(
    fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n }), (x) => {
      const va = evaluate(a.graph, x);
      const vb = evaluate(b.graph, x);
      expect(b.outputIds.map((id) => vb[id])).toEqual(a.outputIds.map((id) => va[id]));
    }),
    { numRuns: runs },
  );
}

describe('layout pass: the same numbers, fewer transposes', () => {
  // name, transposes before → after (the one at the input, and one before an NCHW Flatten).
  const cases: [string, number, number][] = [
    ['cnn_opset17', 6, 2],
    ['residual_opset17', 4, 2],
    ['batchnorm_opset17', 2, 2],
    ['convtranspose_2d_large_pads', -1, -1],
    ['mha_opset17', -1, -1],
  ];
  for (const [name, before, after] of cases) {
    it(`ONNX ${name}`, async () => {
      const p = buildOnnxProgram(await loadOnnx(join(ONNX, name, 'model.onnx')));
      const q = layoutProgram(p);
      if (before >= 0) expect([transposes(p), transposes(q)]).toEqual([before, after]);
      expect(transposes(q)).toBeLessThanOrEqual(transposes(p));
      sameValues(p, q);
    });
  }

  for (const name of ['conv2d_dilated_channels_first', 'layer_batchnorm_axis1_plain']) {
    it(`Keras ${name}`, async () => {
      const p = buildProgram(await loadModel(join(FIXTURES, name, 'model.json')), FIXTURE_OPTIONS[name]);
      const q = layoutProgram(p);
      expect(transposes(q)).toBeLessThanOrEqual(transposes(p));
      sameValues(p, q);
    });
  }

  it('a program without transposes is returned as it is', () => {
    const b = new ProgramBuilder();
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const x = b.input([2, 3], 0);
    const y = b.apply('map', [x], { fn: 'tanh', params: [] }, fail)[0];
    const p: TensorProgram = { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: [{ name: 'y', tensor: y }], calls: [], layerCount: 1, modelName: 'm', file: 'm' };
    expect(layoutProgram(p)).toBe(p);
  });

  // A channels-first conv net (transpose, conv, transpose back, bias of shape [C, 1, 1], ReLU,
  // residual add): one transpose at the input, one at the output; 1000 layers without recursion.
  function chain(depth: number): TensorProgram {
    const b = new ProgramBuilder();
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const C = 2;
    const S = 3;
    const x = b.input([C, S, S], 0);
    let h = x;
    for (let k = 0; k < depth; k++) {
      b.layer = k + 1;
      const t = b.apply('transpose', [h], { perm: [1, 2, 0] }, fail, '_')[0];
      const K = b.constant('K', [1, 1, C, C], Float64Array.from({ length: C * C }, (_, i) => ((i * 7 + k) % 5) / 5 - 0.4));
      const conv = b.apply('conv', [t, K], { kernel: [1, 1], strides: [1, 1], dilation: [1, 1], padBefore: [0, 0], outSpatial: [S, S], groups: 1, bias: false }, fail, '_')[0];
      const back = b.apply('transpose', [conv], { perm: [2, 0, 1] }, fail, '_')[0];
      const bias = b.constant('b', [C, 1, 1], Float64Array.from({ length: C }, (_, i) => (i - (k % 3)) / 10));
      const biased = b.apply('map', [back, bias], { fn: 'add', params: [] }, fail, '_')[0];
      h = b.apply('map', [b.apply('map', [biased], { fn: 'relu', params: [] }, fail, '_')[0], h], { fn: 'add', params: [] }, fail)[0];
    }
    const calls = [{ layer: 'chain', className: 'Chain', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: [h] }];
    return { tensors: b.tensors, equations: b.equations, inputs: [{ name: 'x', tensor: x }], outputs: [{ name: 'y', tensor: h }], calls, layerCount: depth, modelName: 'chain', file: 'chain' };
  }

  it('a channels-first chain keeps channels-last throughout, at any depth', () => {
    const deep = layoutProgram(chain(1000));
    expect(transposes(deep)).toBe(2);
    // Every bias went in as a per-channel vector [C].
    const biases = deep.equations.flatMap((eq) => (eq.op === 'map' ? eq.args.filter((a) => deep.tensors[a].kind === 'const') : []));
    expect(biases.length).toBe(1000);
    expect(biases.every((a) => deep.tensors[a].shape.join() === '2')).toBe(true);
    const p = chain(25);
    const q = layoutProgram(p);
    expect([transposes(p), transposes(q)]).toEqual([50, 2]);
    sameValues(p, q);
  });
});

describe('depthwise: a conv with one channel per group', () => {
  it('becomes depthwise_conv with the same numbers (ONNX cnn_opset17: groups 6 of 6 channels; groups 2 of 4 stays)', async () => {
    const p = buildOnnxProgram(await loadOnnx(join(ONNX, 'cnn_opset17', 'model.onnx')));
    const q = depthwiseProgram(p);
    expect(q.equations.map((eq) => eq.op).filter((op) => op.includes('conv'))).toEqual(['conv', 'conv', 'depthwise_conv']);
    sameValues(p, q);
  });
});

describe('layout pass helpers', () => {
  it('reshapedOrder: grouped axes that stay together, in order', () => {
    // [1, C, H, W] held as N, H, W, C → [C, H·W]: held as [H·W, C].
    expect(reshapedOrder([1, 8, 3, 3], [0, 2, 3, 1], [8, 9])).toEqual([1, 0]);
    // Dropping length-1 axes: [1, C, 1, 1] → [1, C] in any order.
    expect(reshapedOrder([1, 8, 1, 1], [0, 2, 3, 1], [1, 8])).toEqual([0, 1]);
    // [1, H, W, C] → [H, W, C] with held order C, H, W.
    expect(reshapedOrder([1, 4, 5, 6], [0, 3, 1, 2], [4, 5, 6])).toEqual([2, 0, 1]);
    // NCHW flatten held as NHWC mixes C with H·W: no order works.
    expect(reshapedOrder([1, 8, 3, 3], [0, 2, 3, 1], [1, 72])).toBeNull();
    // H and W held in swapped order cannot merge.
    expect(reshapedOrder([4, 5, 6], [1, 0, 2], [20, 6])).toBeNull();
  });

  it('permuteValues is the transpose of row-major values', () => {
    // A [2, 3] matrix transposed.
    expect(Array.from(permuteValues([1, 2, 3, 4, 5, 6], [2, 3], [1, 0]))).toEqual([1, 4, 2, 5, 3, 6]);
    // [2, 1, 3] → [3, 2, 1].
    expect(Array.from(permuteValues([1, 2, 3, 4, 5, 6], [2, 1, 3], [2, 0, 1]))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});
