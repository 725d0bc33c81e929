import { describe, expect, it } from 'vitest';
import { Nn2eqError } from '../src/errors.js';
import { buildOnnxProgram, init, int, ints, js, model, node, refusal } from './onnx-built.js';

// The batch check of src/extract/onnx/batch.ts (checkBatchIndependent) on models built in memory
// with a symbolic leading axis 'N': a model that treats its samples independently converts (float,
// integer and bool inputs, an input without the batch axis, an output that holds no batch axis, NaN
// outputs), one that mixes them along N (a sum or softmax over N, of float, int or bool values) or
// cannot take two samples is refused in one line that says why and how to fix the length. Which is
// which is ONNX's definition of each op, and the numbers of the ones converted are computed here.
// In-process, about a second.

const MIXES = /^built\.onnx: the model mixes the samples along the symbolic leading axis of input 'x', which nn2eq takes for the batch: /;

describe('a symbolic leading axis the model computes along is refused', () => {
  it('ReduceSum over N (an output the size of one sample)', () => {
    const m = model([node('ReduceSum', ['x', 'axes'], ['y'], { keepdims: int(1) })], [['x', 'float32', ['N', 3]]], ['y'], [init('axes', 'int64', [1], [0])]);
    const e = refusal(m);
    expect(e).toMatch(MIXES);
    expect(e).toContain("output 'y' of a batch of three is not each sample's own output, so no per-sample formula computes it");
    expect(e).toMatch(/; hint: give that axis a fixed length N with --input-shape x:Nx3 \(for a recurrent model exported with its time axis first, N is the sequence length\)$/);
  });
  it('is an unsupported model (kind unsupported), not a bad input', () => {
    const m = model([node('Softmax', ['x'], ['y'], { axis: int(0) })], [['x', 'float32', ['N', 3]]], ['y']);
    let err: unknown;
    try {
      buildOnnxProgram(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Nn2eqError);
    expect((err as Nn2eqError).kind).toBe('unsupported');
  });
  it('a log of 2 − Σ over N of (|x| + 1): a number for each sample alone, NaN for the batch', () => {
    // One sample: log(1 − |x|), |x| < 1; two: log(−|a| − |b|), NaN. A NaN on one side only is a difference.
    const m = model(
      [node('Abs', ['x'], ['a']), node('Add', ['a', 'one'], ['b']), node('ReduceSum', ['b', 'axes'], ['s'], { keepdims: int(1) }), node('Sub', ['two', 's'], ['d']), node('Log', ['d'], ['y'])],
      [['x', 'float32', ['N', 3]]],
      ['y'],
      [init('axes', 'int64', [1], [0]), init('one', 'float32', [1], [1]), init('two', 'float32', [1], [2])],
    );
    expect(refusal(m)).toMatch(MIXES);
  });
  it('a sum over N of the last column only: the other columns are each sample\'s own', () => {
    const m = model(
      [node('Mul', ['x', 'mask'], ['m']), node('ReduceSum', ['m', 'axes'], ['s'], { keepdims: int(1) }), node('Add', ['x', 's'], ['y'])],
      [['x', 'float32', ['N', 3]]],
      ['y'],
      [init('axes', 'int64', [1], [0]), init('mask', 'float32', [3], [0, 0, 1])],
    );
    expect(refusal(m)).toMatch(MIXES);
  });
  it('a running sum over N in the last column: the first sample is its own, the second is not', () => {
    // y = x + mask·(CumSum(x) − x): one sample gives x; a batch gives x_a, then x_b + mask·x_a.
    const m = model(
      [node('CumSum', ['x', 'ax'], ['c']), node('Sub', ['c', 'x'], ['d']), node('Mul', ['d', 'mask'], ['m']), node('Add', ['x', 'm'], ['y'])],
      [['x', 'float32', ['N', 3]]],
      ['y'],
      [init('ax', 'int64', [], [0]), init('mask', 'float32', [3], [0, 0, 1])],
    );
    expect(refusal(m)).toMatch(MIXES);
  });
  it('a reversed running sum over N in the last column: the second sample is its own, the first is not', () => {
    const m = model(
      [node('CumSum', ['x', 'ax'], ['c'], { reverse: int(1) }), node('Sub', ['c', 'x'], ['d']), node('Mul', ['d', 'mask'], ['m']), node('Add', ['x', 'm'], ['y'])],
      [['x', 'float32', ['N', 3]]],
      ['y'],
      [init('ax', 'int64', [], [0]), init('mask', 'float32', [3], [0, 0, 1])],
    );
    expect(refusal(m)).toMatch(MIXES);
  });
  it('x·xᵀ over N: an output of N × N elements, neither one sample\'s size nor two', () => {
    const m = model([node('Transpose', ['x'], ['t'], { perm: ints([1, 0]) }), node('MatMul', ['x', 't'], ['y'])], [['x', 'float32', ['N', 2]]], ['y']);
    expect(refusal(m)).toMatch(MIXES);
  });
  it('Softmax over N (an output of two samples)', () => {
    const m = model([node('Softmax', ['x'], ['y'], { axis: int(0) })], [['x', 'float32', ['N', 2, 2]]], ['y']);
    expect(refusal(m)).toMatch(/output 'y' of a batch of three is not each sample's own output.*--input-shape x:Nx2x2 /);
    expect(refusal(m)).toMatch(MIXES);
  });
  it('an integer sum over N', () => {
    const m = model([node('ReduceSum', ['x', 'axes'], ['y'], { keepdims: int(0) })], [['x', 'int64', ['N', 4]]], ['y'], [init('axes', 'int64', [1], [0])]);
    expect(refusal(m)).toMatch(MIXES);
  });
  it('a count over N of bool values', () => {
    const m = model(
      [node('Cast', ['x'], ['f'], { to: int(1) }), node('ReduceSum', ['f', 'axes'], ['y'], { keepdims: int(0) })],
      [['x', 'bool', ['N', 4]]],
      ['y'],
      [init('axes', 'int64', [1], [0])],
    );
    expect(refusal(m)).toMatch(MIXES);
  });
  it('the second output mixes, the first does not', () => {
    const m = model([node('Relu', ['x'], ['a']), node('ReduceMax', ['x'], ['b'], { axes: ints([0]), keepdims: int(1) })], [['x', 'float32', ['N', 3]]], ['a', 'b']);
    expect(refusal(m)).toContain("output 'b' of a batch of three");
  });
  it('a Reshape to a fixed shape of one sample: no batch of three', () => {
    const m = model([node('Reshape', ['x', 's'], ['y'])], [['x', 'float32', ['N', 2, 3]]], ['y'], [init('s', 'int64', [2], [1, 6])]);
    const e = refusal(m);
    expect(e).toMatch(MIXES);
    expect(e).toContain(": it cannot compute a batch of three (node 'n' (Reshape): cannot reshape [3, 2, 3] to [1, 6]), so no per-sample formula computes it; hint: give that axis a fixed length N with --input-shape x:Nx2x3 (");
  });
});

describe('a model that treats its samples independently converts with a symbolic batch', () => {
  it('float: a sample and a shared input, the NaNs of a log', async () => {
    const m = model([node('Add', ['x', 'y'], ['s']), node('Log', ['s'], ['z'])], [['x', 'float32', ['N', 3]], ['y', 'float32', [3]]], ['z']);
    const [got] = await js(m, [[[[1, -2, 0.5]], [0.5, 0.5, 0.5]]]);
    expect(got.slice(0, 1)).toEqual([Math.log(1.5)]);
    expect(got[1]).toBeNaN();
    expect(got[2]).toBe(Math.log(1));
  });
  it('infinite outputs (x / 0) are each sample\'s own', async () => {
    const m = model([node('Div', ['x', 'z'], ['y'])], [['x', 'float32', ['N', 3]]], ['y'], [init('z', 'float32', [1], [0])]);
    const [got] = await js(m, [[[[1, -2, 0.5]]]]);
    expect(got).toEqual([Infinity, -Infinity, Infinity]);
  });
  it('a shared input before the sample', async () => {
    const m = model([node('Sub', ['x', 'y'], ['z'])], [['y', 'float32', [3]], ['x', 'float32', ['N', 3]]], ['z']);
    const [got] = await js(m, [[[0.5, 0.5, 0.5], [[1, -2, 0.5]]]]);
    expect(got).toEqual([0.5, -2.5, 0]);
  });
  it('an output without the batch axis, computed from the shared input only', async () => {
    const m = model([node('Relu', ['x'], ['a']), node('Neg', ['y'], ['b'])], [['x', 'float32', ['N', 3]], ['y', 'float32', [2]]], ['a', 'b']);
    expect(buildOnnxProgram(m).inputs.map((p) => p.tensor.shape)).toEqual([[3], [2]]);
    const [got] = await js(m, [[[[1, -2, 0.5]], [0.25, -4]]]);
    expect(got).toEqual([1, 0, 0.5, -0.25, 4]);
  });
  it('integers and bools', async () => {
    const m = model(
      [node('Mul', ['i', 'two'], ['a']), node('Not', ['b'], ['c'])],
      [
        ['i', 'int64', ['N', 3]],
        ['b', 'bool', ['N', 2]],
      ],
      ['a', 'c'],
      [init('two', 'int64', [1], [2])],
    );
    const [got] = await js(m, [[[[3, -4, 5]], [[true, false]]]]);
    expect(got.map(Number)).toEqual([6, -8, 10, 0, 1]);
  });
});
