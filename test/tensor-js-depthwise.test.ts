// The JS tensor form's depthwise kernel and its clamps done as values are stored (issue 26 speed):
// depthwise_conv (from a conv with groups = channels, by the transform the code formats run) at the
// geometries where its paths meet: a 3x3 kernel whose inside pixels go a row at a time four channels
// at a time (channels past a multiple of four, edge pixels, stride 2, dilation 2, no bias), other
// kernel sizes a pixel at a time eight channels at a time, and a channel multiplier; a ReLU6, ReLU or
// Clip after a conv, depthwise conv or dense layer, stored clamped by that producer unless something
// else reads its unclamped values. Each is checked against the ops' scalarize rules (ops.ts) evaluated
// in float64: the semantics the printer must match.
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { emitJsTensor } from '../src/emit/js/tensor.js';
import { evaluateOutputs, scalarize, type TensorProgram } from '../src/index.js';
import { ProgramBuilder } from '../src/tensor/builder.js';
import type { T } from '../src/tensor/program.js';
import { depthwiseProgram } from '../src/transform/depthwise.js';
import { mulberry32 } from '../src/verify/random.js';
import { flat, mismatch, tmpFile } from './helpers.js';

type Predict = (...inputs: unknown[]) => unknown;

describe('JS tensor form: depthwise convolutions and clamps stored by their producer, against the scalarize rules', () => {
  const r = mulberry32(2626);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });
  /** A conv with one input channel per group over x [..., C]: kernel [...k, 1, C*m]. */
  const depthwise = (b: ProgramBuilder, x: T, C: number, m: number, kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[], bias: boolean) => {
    const k = kernel.reduce((a, c) => a * c, 1);
    return b.apply('conv', [x, b.constant('K', [...kernel, 1, C * m], rand(k * C * m)), ...(bias ? [b.constant('b', [C * m], rand(C * m))] : [])], { ...window(kernel, strides, dilation, padBefore, outSpatial), groups: C, bias }, fail);
  };
  const map = (b: ProgramBuilder, x: T, fn: string, params: number[] = []) => b.apply('map', [x], { fn, params }, fail);
  // name, build, input shape, whether the printed text must show a clamp stored by its producer
  const cases: [string, (b: ProgramBuilder, x: T) => T[], number[], boolean][] = [
    ['3x3 padded, 10 channels (two past the blocks of four), then ReLU6', (b, x) => map(b, depthwise(b, x, 10, 1, [3, 3], [1, 1], [1, 1], [1, 1], [6, 7], true)[0], 'relu6'), [6, 7, 10], true],
    ['3x3 stride 2, dilation 2 in height, no bias, 8 channels', (b, x) => depthwise(b, x, 8, 1, [3, 3], [2, 2], [2, 1], [2, 1], [4, 5], false), [8, 9, 8], false],
    ['3x3 unpadded on a 3x3 input (one pixel, inside), 4 channels, then Clip(-0.25, 0.5)', (b, x) => map(b, depthwise(b, x, 4, 1, [3, 3], [1, 1], [1, 1], [0, 0], [1, 1], true)[0], 'clip', [-0.25, 0.5]), [3, 3, 4], true],
    ['3x3 on a 2-column input (no pixel inside), 5 channels', (b, x) => depthwise(b, x, 5, 1, [3, 3], [1, 1], [1, 1], [1, 1], [4, 2], true), [4, 2, 5], false],
    ['5x5 padded (a pixel at a time), 11 channels, then ReLU', (b, x) => map(b, depthwise(b, x, 11, 1, [5, 5], [1, 1], [1, 1], [2, 2], [5, 6], true)[0], 'relu'), [5, 6, 11], true],
    ['1-D, kernel 3, stride 2, 9 channels', (b, x) => depthwise(b, x, 9, 1, [3], [2], [1], [1], [6], true), [11, 9], false],
    ['channel multiplier 2, 3x3 padded, then ReLU6', (b, x) => map(b, depthwise(b, x, 3, 2, [3, 3], [1, 1], [1, 1], [1, 1], [4, 5], true)[0], 'relu6'), [4, 5, 3], true],
    ['conv 3x3 (5 filters: one past the blocks) then ReLU6', (b, x) => map(b, b.apply('conv', [x, b.constant('K', [3, 3, 3, 5], rand(135)), b.constant('b', [5], rand(5))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [5, 6]), groups: 1, bias: true }, fail)[0], 'relu6'), [5, 6, 3], true],
    ['1x1 conv (a dense layer at every pixel, 7 filters) then ReLU', (b, x) => map(b, b.apply('conv', [x, b.constant('K', [1, 1, 6, 7], rand(42)), b.constant('b', [7], rand(7))], { ...window([1, 1], [1, 1], [1, 1], [0, 0], [3, 5]), groups: 1, bias: true }, fail)[0], 'relu'), [3, 5, 6], true],
    ['dense of two inputs, 9 rows (denseAdd stores the clamp), then ReLU6', (b, x) => map(b, b.apply('dense', [x, b.constant('W', [6, 10], rand(60)), x, b.constant('W2', [6, 10], rand(60)), b.constant('b', [10], rand(10))], { pairs: 2, bias: true }, fail)[0], 'relu6'), [9, 6], true],
    ['ReLU6 of a depthwise conv whose values an Add reads too (not clamped by the conv)', (b, x) => {
      const [d] = depthwise(b, x, 4, 1, [3, 3], [1, 1], [1, 1], [1, 1], [4, 4], true);
      const [h] = map(b, d, 'relu6');
      return b.apply('map', [h, d], { fn: 'add', params: [] }, fail);
    }, [4, 4, 4], false],
    ['ReLU of a depthwise conv that is also an output (not clamped by the conv)', (b, x) => {
      const [d] = depthwise(b, x, 4, 1, [3, 3], [1, 1], [1, 1], [1, 1], [4, 4], true);
      return [d, ...map(b, d, 'relu')];
    }, [4, 4, 4], false],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, build, shape, fused] of cases) {
      it(`${name}, ${dtype}`, async () => {
        const b = new ProgramBuilder();
        const x = b.input(shape, 0);
        b.layer = 1;
        const outs = build(b, x);
        const program: TensorProgram = depthwiseProgram({
          tensors: b.tensors,
          equations: b.equations,
          inputs: [{ name: 'x', tensor: x }],
          outputs: outs.map((t, i) => ({ name: `y${i}`, tensor: t })),
          calls: [{ layer: 'op', className: 'Op', node: 0, number: 1, at: 1, from: 0, to: b.equations.length, outputs: outs }],
          layerCount: 1,
          modelName: name,
          file: name,
        });
        const text = emitJsTensor(program, { inline: false, maxSize: Infinity, modelName: name, ...(dtype === 'float32' ? { dtype } : {}) });
        if (name.includes('depthwise') || /^(3x3|5x5|1-D|channel)/.test(name)) expect(text).toContain('depthwiseConv(');
        expect(text.includes('stored so by the'), 'a clamp stored by its producer').toBe(fused);
        const mod = (await import(pathToFileURL(tmpFile('mjs', text)).href)) as { predict: Predict };
        const ex = scalarize(program, { stableSoftmax: true });
        const n = shape.reduce((a, c) => a * c, 1);
        for (let k = 0; k < 2; k++) {
          // Scaled so that ReLU6 and the clip bounds cut some values.
          const point = Array.from(rand(n), (v) => v * 8);
          const want = evaluateOutputs(ex.graph, ex.outputIds, [point])[0];
          const got = outs.length === 1 ? flat(mod.predict(point)) : (mod.predict(point) as unknown[]).flatMap((o) => flat(o));
          // float32 rounds every stored value: a relative 1e-5 is far above that and far below a wrong sum.
          const tol = dtype === 'float32' ? 1e-5 : 1e-12;
          const bad = mismatch(got, want, tol, tol);
          expect(bad, `point ${k}: ${bad}`).toBeNull();
        }
      });
    }
  }
});
