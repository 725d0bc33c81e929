import { describe, expect } from 'vitest';
import { emitCTensor } from '../src/emit/c/tensor.js';
import { evaluateOutputs, scalarize } from '../src/index.js';
import { mulberry32 } from '../src/verify/random.js';
import { mismatch, runCRows, withCC } from './helpers.js';
import { opProgram, type OpCase } from './tensor-cases.js';

const fail = (m: string): never => {
  throw new Error(m);
};
const window = (kernel: number[], strides: number[], dilation: number[], padBefore: number[], outSpatial: number[]) => ({ kernel, strides, dilation, padBefore, outSpatial });

/**
 * The C conv helper's blocking in settings the fixtures are too small to reach (issue 26): more filters
 * than one packed panel holds (512) with a last block of filters short of a tile (8), more rows of K than
 * the panel holds at that width (several packed blocks), runs of taps partly outside x (gathered), a
 * tap's channels split into chunks (more than 256), no merging of taps (dW = 2, groups = 2), and a last
 * tile short of positions. Each against the op's scalarize rule evaluated in float64, as in
 * tensor-c.test.ts. The C text holds each float32 weight as its shortest decimal, within 2^-25 of it
 * relative, and |x|, |w| <= 1: a sum of n terms is within n * 2^-25 of the rule's; the check allows n * 2^-24.
 */
describe('C tensor form: conv blocking against the scalarize rule', () => {
  const r = mulberry32(26);
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const cases: [...OpCase, number][] = [
    ['conv 3x3, 16 channels, 520 filters, padded', (b, x) => b.apply('conv', [x, b.constant('K', [3, 3, 16, 520], rand(3 * 3 * 16 * 520)), b.constant('b', [520], rand(520))], { ...window([3, 3], [1, 1], [1, 1], [1, 1], [3, 3]), groups: 1, bias: true }, fail), [3, 3, 16], 3 * 3 * 16],
    ['conv 1x3, 600 channels, 12 filters, strides and dilation 2 in width', (b, x) => b.apply('conv', [x, b.constant('K', [1, 3, 600, 12], rand(3 * 600 * 12))], { ...window([1, 3], [1, 2], [1, 2], [0, 1], [4, 3]), groups: 1, bias: false }, fail), [4, 6, 600], 3 * 600],
    ['conv 2x2, 2 groups of 300 channels and 10 filters, padded', (b, x) => b.apply('conv', [x, b.constant('K', [2, 2, 300, 20], rand(2 * 2 * 300 * 20)), b.constant('b', [20], rand(20))], { ...window([2, 2], [1, 1], [1, 1], [1, 0], [3, 2]), groups: 2, bias: true }, fail), [3, 3, 600], 2 * 2 * 300],
  ];
  for (const [name, build, shape, terms] of cases) {
    withCC(name, async () => {
      const program = opProgram(name, build, shape);
      const text = emitCTensor(program, { inline: false, maxSize: Infinity, modelName: name });
      const ex = scalarize(program, { stableSoftmax: true });
      const n = shape.reduce((a, c) => a * c, 1);
      const points = [Array.from(rand(n))];
      const want = evaluateOutputs(ex.graph, ex.outputIds, points);
      const got = await runCRows(text, points, want[0].length);
      got.forEach((g, k) => expect(mismatch(g, want[k], terms * 2 ** -24, 0), `point ${k}`).toBeNull());
    });
  }
});
