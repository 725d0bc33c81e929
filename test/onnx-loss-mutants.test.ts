import { describe, expect, it } from 'vitest';
import { buildOnnxProgram, init, int, js, model, node, refusal, roleProblems, roles, str } from './onnx-built.js';

// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (src/extract/onnx/loss.ts) where the
// survivors of `npm run mutate -- loss --js-only` showed no test looking: labels or weights of a
// shape ONNX does not allow (refused, saying so), and the values the loss makes on the way. The
// numbers are ONNX's definition (op_negative_log_likelihood_loss.py) computed here; the roles say
// which values print as temporaries and which as the layer's values or named constants, and each
// element-wise function gets the parameters it declares (roleProblems).
// In-process, well under a second.

const X = [
  [
    [0.5, -1.25],
    [2, -0.75],
    [0.25, 1.5],
  ],
  [
    [-2, 1],
    [0.75, 0.125],
    [-0.5, 3],
  ],
]; // [N 2, C 3, d 2]

/** ONNX's NLL at each [n, d]: −x[n, label, d]·w[label], 0 where the label is ignore_index; and each weight taken (0 where ignored). */
function nll(x: number[][][], labels: number[][], w: number[] | null, ii: number | null): { loss: number[]; weight: number[] } {
  const loss: number[] = [];
  const weight: number[] = [];
  labels.forEach((row, n) =>
    row.forEach((l, d) => {
      const wl = l === ii ? 0 : w ? w[l] : 1;
      loss.push(l === ii ? 0 : -x[n][l][d] * wl);
      weight.push(wl);
    }),
  );
  return { loss, weight };
}
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

function logSoftmax(x: number[][]): number[][] {
  return x.map((row) => {
    const m = Math.max(...row);
    const z = Math.log(sum(row.map((v) => Math.exp(v - m)))) + m;
    return row.map((v) => v - z);
  });
}

describe('ONNX loss shapes that ONNX does not allow are refused', () => {
  it('labels of rank 1 for an input [N, C, d]', () => {
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], [['x', 'float32', [2, 3, 4]], ['l', 'int64', [2]]], ['y']);
    expect(refusal(m)).toMatch(/: labels \[2\] do not fit input \[2, 3, 4\]: expected \[N, d…\] for input \[N, C, d…\]$/);
  });
  it('labels whose N fits but d does not', () => {
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'])], [['x', 'float32', [2, 3, 4]], ['l', 'int64', [2, 5]]], ['y']);
    expect(refusal(m)).toMatch(/: labels \[2, 5\] do not fit input \[2, 3, 4\]/);
  });
  it('weights of rank 2 (ONNX: a 1-D tensor of C weights), even with C rows', () => {
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l', 'w'], ['y'])], [['x', 'float32', [2, 3]], ['l', 'int64', [2]]], ['y'], [init('w', 'float32', [3, 1], [1, 2, 3])]);
    expect(refusal(m)).toMatch(/: weights \[3, 1\] do not give one weight per class of 3$/);
  });
});

describe('ONNX losses against their definition, with the roles of their values', () => {
  it('NLL, computed labels, constant weights, ignore_index, mean (Σ loss / Σ weights taken)', async () => {
    const w = [0.5, 2, 3];
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l', 'w'], ['y'], { ignore_index: int(1) })], [['x', 'float32', [2, 3, 2]], ['l', 'int64', [2, 2]]], ['y'], [init('w', 'float32', [3], w)]);
    const cases = [
      [2, 1],
      [0, 2],
    ];
    const other = [
      [1, 0],
      [1, 2],
    ];
    const got = await js(m, [
      [X, cases],
      [X, other],
    ]);
    for (const [k, labels] of [cases, other].entries()) {
      const { loss, weight } = nll(X, labels, w, 1);
      expect(got[k][0]).toBeCloseTo(sum(loss) / sum(weight), 12);
    }
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    expect(roles(buildOnnxProgram(m))).toMatchInlineSnapshot(`
      "map:equal_to x -> _
      map:not _ -> _
      map:where _ x #zero -> _
      reshape _ -> _
      map:less_than _ -> _
      map:affine _ -> _
      map:add _ _ -> _
      map:affine _ -> _
      map:add _ #offset -> _
      reshape x -> _
      gather_rows _ _ -> _
      reshape _ -> h
      reshape h -> _
      map:neg _ -> _
      gather _ #w -> _
      reshape _ -> _
      map:mul _ _ -> _
      map:where _ _ #zero -> _
      reshape _ -> _
      dense _ #ones -> _
      reshape _ -> _
      map:where _ _ #zero -> _
      reshape _ -> _
      dense _ #ones -> _
      reshape _ -> _
      map:div _ _ -> h"
    `);
  });

  it('NLL, computed labels, ignore_index, no weights, mean (Σ loss / labels taken)', async () => {
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'], { ignore_index: int(0), reduction: str('mean') })], [['x', 'float32', [2, 3, 2]], ['l', 'int64', [2, 2]]], ['y']);
    const labels = [
      [2, 0],
      [0, 1],
    ];
    const [[got]] = await js(m, [[X, labels]]);
    const { loss, weight } = nll(X, labels, null, 0);
    expect(got).toBeCloseTo(sum(loss) / sum(weight), 12);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    expect(roles(buildOnnxProgram(m))).toMatchInlineSnapshot(`
      "map:equal_to x -> _
      map:not _ -> _
      map:where _ x #zero -> _
      reshape _ -> _
      map:less_than _ -> _
      map:affine _ -> _
      map:add _ _ -> _
      map:affine _ -> _
      map:add _ #offset -> _
      reshape x -> _
      gather_rows _ _ -> _
      reshape _ -> h
      reshape h -> _
      map:neg _ -> _
      map:where _ _ #zero -> _
      reshape _ -> _
      dense _ #ones -> _
      reshape _ -> _
      reshape _ -> _
      dense _ #ones -> _
      reshape _ -> _
      map:div _ _ -> h"
    `);
  });

  it('NLL, constant labels, no weights, none (each element)', async () => {
    const labels = [
      [1, 2],
      [0, 2],
    ];
    const m = model([node('NegativeLogLikelihoodLoss', ['x', 'l'], ['y'], { reduction: str('none') })], [['x', 'float32', [2, 3, 2]]], ['y'], [init('l', 'int64', [2, 2], labels.flat())]);
    const [got] = await js(m, [[X]]);
    expect(got).toEqual(nll(X, labels, null, null).loss);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    expect(roles(buildOnnxProgram(m))).toMatchInlineSnapshot(`
      "reshape #labels -> _
      map:less_than _ -> _
      map:affine _ -> _
      map:add _ _ -> _
      map:affine _ -> _
      map:add _ #offset -> _
      reshape x -> _
      gather_rows _ _ -> _
      reshape _ -> h
      reshape h -> _
      map:neg _ -> _"
    `);
  });

  it('SCE with its log-probabilities, computed weights, sum', async () => {
    const x = [
      [0.5, -1.25, 2],
      [-0.75, 0.25, 1.5],
    ];
    const w = [0.25, 1.5, -2];
    const m = model([node('SoftmaxCrossEntropyLoss', ['x', 'l', 'w'], ['y', 'lp'], { reduction: str('sum') })], [['x', 'float32', [2, 3]], ['w', 'float32', [3]]], ['y', 'lp'], [init('l', 'int64', [2], [2, 0])]);
    const [got] = await js(m, [[x, w]]);
    const lp = logSoftmax(x);
    expect(got[0]).toBeCloseTo(-lp[0][2] * w[2] - lp[1][0] * w[0], 12);
    got.slice(1).forEach((v, i) => expect(v).toBeCloseTo(lp.flat()[i], 12));
    expect(buildOnnxProgram(m).calls.map((c) => c.outputs.length)).toEqual([2]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    expect(roles(buildOnnxProgram(m))).toMatchInlineSnapshot(`
      "log_softmax x -> h
      reshape #labels -> _
      map:less_than _ -> _
      map:affine _ -> _
      map:add _ _ -> _
      map:affine _ -> _
      map:add _ #offset -> _
      reshape h -> _
      gather_rows _ _ -> _
      reshape _ -> h
      reshape h -> _
      map:neg _ -> _
      reshape x -> _
      gather_rows _ #labels -> _
      reshape _ -> _
      map:mul _ _ -> _
      reshape _ -> _
      dense _ #ones -> _
      reshape _ -> _
      reshape _ -> h"
    `);
  });

  it('SCE without its log-probabilities, mean', async () => {
    const x = [
      [0.5, -1.25, 2],
      [-0.75, 0.25, 1.5],
    ];
    const m = model([node('SoftmaxCrossEntropyLoss', ['x', 'l'], ['y'])], [['x', 'float32', [2, 3]], ['l', 'int64', [2]]], ['y']);
    const [[got]] = await js(m, [[x, [1, 2]]]);
    const lp = logSoftmax(x);
    expect(got).toBeCloseTo(-(lp[0][1] + lp[1][2]) / 2, 12);
    // The layer's outputs are the node's: the loss alone (the log-probabilities are a temporary).
    expect(buildOnnxProgram(m).calls.map((c) => c.outputs.length)).toEqual([1]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    expect(roles(buildOnnxProgram(m))).toMatchInlineSnapshot(`
      "log_softmax x -> _
      reshape x -> _
      map:less_than _ -> _
      map:affine _ -> _
      map:add _ _ -> _
      map:affine _ -> _
      map:add _ #offset -> _
      reshape _ -> _
      gather_rows _ _ -> _
      reshape _ -> h
      reshape h -> _
      map:neg _ -> _
      reshape _ -> _
      dense _ #ones -> _
      reshape _ -> _
      reshape _ -> _
      map:affine _ -> h"
    `);
  });
});
