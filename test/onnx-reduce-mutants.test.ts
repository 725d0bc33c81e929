import { describe, expect, it } from 'vitest';
import type { OnnxDtype } from '../src/load/onnx/types.js';
import { buildOnnxProgram, init, int, ints, js, model, node, refusal, roleProblems } from './onnx-built.js';

// The reductions, Softmax, ArgMax/ArgMin, TopK, Hardmax, LpNormalization and MVN
// (src/extract/onnx/reduce.ts) where ONNX's conformance cases do not look: reductions folded on
// constants (float and integer, each kind), computed ones with duplicate and negative axes, an
// empty axes input with and without noop_with_empty_axes, products of 0, 1 and 65 factors, a +∞ in
// a log-sum-exp, the coercion to 2-D before opset 13, ArgMax/TopK folded with ties and NaN, and
// every refusal with what it names. The numbers are ONNX's definitions (op_reduce_*.py,
// op_softmax.py, op_argmax.py, op_topk.py, op_hardmax.py, op_lp_normalization.py) computed here;
// the values each makes on the way print as temporaries (roleProblems). In-process, about a second.

const DIMS = [2, 3, 2];
const V = [0.5, -1.25, 2, 3, -0.75, 1.5, -2, 0.25, 4, -3, 1, 0.125];

type Kind = 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceProd' | 'ReduceSumSquare' | 'ReduceL1' | 'ReduceL2' | 'ReduceLogSum' | 'ReduceLogSumExp';
const ACC: Record<Kind, (xs: number[]) => number> = {
  ReduceSum: (xs) => xs.reduce((a, b) => a + b, 0),
  ReduceMean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  ReduceMax: (xs) => Math.max(...xs),
  ReduceMin: (xs) => Math.min(...xs),
  ReduceProd: (xs) => xs.reduce((a, b) => a * b, 1),
  ReduceSumSquare: (xs) => xs.reduce((a, b) => a + b * b, 0),
  ReduceL1: (xs) => xs.reduce((a, b) => a + Math.abs(b), 0),
  ReduceL2: (xs) => Math.sqrt(xs.reduce((a, b) => a + b * b, 0)),
  ReduceLogSum: (xs) => Math.log(xs.reduce((a, b) => a + b, 0)),
  ReduceLogSumExp: (xs) => Math.log(xs.reduce((a, b) => a + Math.exp(b), 0)),
};

/** ONNX's reduction of `v` (shape `dims`) over `axes` (non-negative): the output, row-major, in the order of the kept axes. */
function reduceRef(v: number[], dims: number[], axes: number[], f: (xs: number[]) => number): number[] {
  const groups = new Map<number, number[]>();
  v.forEach((x, o) => {
    let rest = o;
    let key = 0;
    for (let i = dims.length - 1, mul = 1; i >= 0; i--) {
      const c = rest % dims[i];
      rest = (rest - c) / dims[i];
      if (!axes.includes(i)) {
        key += c * mul;
        mul *= dims[i];
      }
    }
    groups.set(key, [...(groups.get(key) ?? []), x]);
  });
  return [...groups.keys()].sort((a, b) => a - b).map((k) => f(groups.get(k)!));
}

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => (Number.isNaN(want[i]) ? expect(g).toBeNaN() : expect(g).toBeCloseTo(want[i], 10)));
};

/** ONNX's ArgMax / ArgMin (op_argmax.py: numpy's argmax, the first NaN or first extreme; select_last_index flips the axis first) of `v` along `axis`. */
function argRef(v: number[], dims: number[], axis: number, min: boolean, last: boolean): number[] {
  const n = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < v.length / (n * inner); o++) {
    for (let e = 0; e < inner; e++) {
      const xs = Array.from({ length: n }, (_, k) => v[(o * n + k) * inner + e]);
      const order = xs.map((_, k) => (last ? n - 1 - k : k));
      const best = min ? Math.min(...xs) : Math.max(...xs);
      out.push(order.find((k) => Number.isNaN(xs[k])) ?? order.find((k) => xs[k] === best)!);
    }
  }
  return out;
}

/** A model computing Kind(c) over the axes (attribute before opset 18, input from it) + x, c constant or an input. */
function reduction(kind: Kind, axes: number[] | null, opts: { opset?: number; keepdims?: number; constant?: boolean; dtype?: OnnxDtype; values?: number[]; dims?: number[]; noop?: number } = {}) {
  const opset = opts.opset ?? 18;
  const dims = opts.dims ?? DIMS;
  const dtype = opts.dtype ?? 'float32';
  const fromInput = opset >= 18 || (kind === 'ReduceSum' && opset >= 13);
  const attrs = { ...(opts.keepdims === undefined ? {} : { keepdims: int(opts.keepdims) }), ...(opts.noop === undefined ? {} : { noop_with_empty_axes: int(opts.noop) }), ...(!fromInput && axes ? { axes: ints(axes) } : {}) };
  const inits = [...(fromInput && axes ? [init('axes', 'int64', [axes.length], axes)] : []), ...(opts.constant ? [init('c', dtype, dims, opts.values ?? V)] : [])];
  return model([node(kind, fromInput && axes ? ['c', 'axes'] : ['c'], ['y'], attrs, opset)], opts.constant ? [] : [['c', dtype, dims]], ['y'], inits, opset);
}

describe('reductions of computed values', () => {
  const kinds = Object.keys(ACC) as Kind[];
  const pos = V.map((x) => Math.abs(x) + 0.5);
  for (const kind of kinds) {
    it(`${kind} over axes [2, -3, 2] (duplicate, negative), keepdims 0`, async () => {
      const m = reduction(kind, [2, -3, 2], { keepdims: 0 });
      const x = kind === 'ReduceLogSum' ? pos : V;
      const [got] = await js(m, [[x]]);
      close(got, reduceRef(x, DIMS, [0, 2], ACC[kind]));
      expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    });
  }
  it('ReduceMean over all axes when the axes input is empty; the input itself with noop_with_empty_axes', async () => {
    const all = model([node('ReduceMean', ['c', 'axes'], ['y'], {}, 18)], [['c', 'float32', DIMS]], ['y'], [init('axes', 'int64', [0], [])], 18);
    close((await js(all, [[V]]))[0], [ACC.ReduceMean(V)]);
    const noop = model([node('ReduceMean', ['c', 'axes'], ['y'], { noop_with_empty_axes: int(1) }, 18)], [['c', 'float32', DIMS]], ['y'], [init('axes', 'int64', [0], [])], 18);
    close((await js(noop, [[V]]))[0], V);
  });
  it('ReduceSum of opset 11 takes its axes from the attribute; opset 13 from its input', async () => {
    close((await js(reduction('ReduceSum', [1], { opset: 11 }), [[V]]))[0], reduceRef(V, DIMS, [1], ACC.ReduceSum));
    close((await js(reduction('ReduceSum', [1], { opset: 13 }), [[V]]))[0], reduceRef(V, DIMS, [1], ACC.ReduceSum));
    close((await js(reduction('ReduceMax', [1], { opset: 13 }), [[V]]))[0], reduceRef(V, DIMS, [1], ACC.ReduceMax));
  });
  it('ReduceProd of one factor, of none (an empty axis: 1), and of 64', async () => {
    close((await js(reduction('ReduceProd', [1], { dims: [2, 1, 3], values: V.slice(0, 6) }), [[V.slice(0, 6)]]))[0], V.slice(0, 6));
    const none = reduction('ReduceProd', [1], { dims: [2, 0, 3], values: [] });
    expect(roleProblems(buildOnnxProgram(reduction('ReduceProd', [1], { dims: [2, 1, 3] })))).toEqual([]);
    expect(buildOnnxProgram(none).outputs).toHaveLength(1);
    const xs = Array.from({ length: 64 }, (_, i) => 1 + ((i % 5) - 2) / 16);
    close((await js(reduction('ReduceProd', [1], { dims: [1, 64] }), [[[xs]]]))[0], [ACC.ReduceProd(xs)]);
  });
  it('ReduceLogSumExp with +∞ and −∞ in a slice', async () => {
    const x = [Infinity, 1, -Infinity, 2, -Infinity, -Infinity];
    const [got] = await js(reduction('ReduceLogSumExp', [1], { dims: [3, 2] }), [[x]]);
    expect(got).toEqual([Infinity, 2 + Math.log(1 + Math.exp(-Infinity)), -Infinity]);
  });
  it('ReduceLogSumExp of large values: the maximum of each slice taken out (as ONNX defines it), so no exp overflows or underflows to 0', async () => {
    const x = [1000, 999, -1000, -999];
    const [got] = await js(reduction('ReduceLogSumExp', [1], { dims: [2, 2] }), [[x]]);
    // op_reduce_log_sum_exp.py: log(Σ exp(x − max)) + max over each slice.
    close(got, [1000 + Math.log(1 + Math.exp(-1)), -999 + Math.log(Math.exp(-1) + 1)]);
  });
  it('ReduceSum of int32 values wraps as ONNX Runtime computes it; ReduceMax of int64 values', async () => {
    const big = [2 ** 30, 2 ** 30, 5, -7];
    const [got] = await js(reduction('ReduceSum', [1], { dims: [2, 2], dtype: 'int32' }), [[big]]);
    expect(got.map(Number)).toEqual([-(2 ** 31), -2]);
    const [mx] = await js(reduction('ReduceMax', [0], { dims: [2, 2], dtype: 'int64' }), [[[1, -7, 5, 2 ** 40]]]);
    expect(mx.map(Number)).toEqual([5, 2 ** 40]);
  });
});

describe('reductions folded on constants', () => {
  for (const kind of Object.keys(ACC) as Kind[]) {
    it(`${kind} over axes [0, 2], keepdims 1: float64, and float32 rounded to float32`, async () => {
      const values = kind === 'ReduceLogSum' ? V.map((x) => Math.abs(x) + 0.5) : V;
      const want = reduceRef(values, DIMS, [0, 2], ACC[kind]);
      close((await js(reduction(kind, [0, 2], { constant: true, values, dtype: 'float64' }), [[]]))[0], want);
      const [f32] = await js(reduction(kind, [0, 2], { constant: true, values }), [[]]);
      f32.forEach((v, i) => {
        expect(v).toBe(Math.fround(v));
        expect(Math.abs(v - want[i])).toBeLessThanOrEqual(2 ** -22 * Math.abs(want[i]));
      });
    });
  }
  it('folded over the middle axis, keepdims 0: each output in its place', async () => {
    for (const kind of ['ReduceSum', 'ReduceMax', 'ReduceL1'] as Kind[]) {
      close((await js(reduction(kind, [1], { constant: true, dtype: 'float64', keepdims: 0 }), [[]]))[0], reduceRef(V, DIMS, [1], ACC[kind]));
    }
  });
  it('ReduceMax of slices all below 0, ReduceMin of slices all above it (the start is −∞ or +∞, not 0)', async () => {
    const neg = V.map((x) => -Math.abs(x) - 1);
    close((await js(reduction('ReduceMax', [1], { constant: true, dtype: 'float64', values: neg }), [[]]))[0], reduceRef(neg, DIMS, [1], ACC.ReduceMax));
    const pos = V.map((x) => Math.abs(x) + 1);
    close((await js(reduction('ReduceMin', [1], { constant: true, dtype: 'float64', values: pos }), [[]]))[0], reduceRef(pos, DIMS, [1], ACC.ReduceMin));
  });
  it('a NaN in a slice makes its ReduceMax and ReduceMin NaN', async () => {
    const values = [1, NaN, 3, 4, 5, 6];
    close((await js(reduction('ReduceMax', [1], { constant: true, dims: [2, 3], values }), [[]]))[0], [NaN, 6]);
    close((await js(reduction('ReduceMin', [1], { constant: true, dims: [2, 3], values: [NaN, 1, 3, 4, 5, 6] }), [[]]))[0], [NaN, 4]);
  });
  it('integers: Σ, Π, max, min in their type; a mean or L2 refused; a sum past int32 refused', async () => {
    const values = [3, -4, 5, 6, 7, -8];
    for (const kind of ['ReduceSum', 'ReduceProd', 'ReduceMax', 'ReduceMin'] as Kind[]) {
      close((await js(reduction(kind, [1], { constant: true, dims: [2, 3], dtype: 'int32', values }), [[]]))[0], reduceRef(values, [2, 3], [1], ACC[kind]));
    }
    expect(refusal(reduction('ReduceMean', [1], { constant: true, dims: [2, 3], dtype: 'int32', values }))).toMatch(/: reduces int32 values by mean, which nn2eq folds only for floating-point values$/);
    expect(refusal(reduction('ReduceL2', [1], { constant: true, dims: [2, 3], dtype: 'int32', values }))).toMatch(/: reduces int32 values by l2, which nn2eq folds only/);
    // The ends of int32 are held: 2^31 − 1 and −2^31.
    expect((await js(reduction('ReduceSum', [1], { constant: true, dims: [2, 2], dtype: 'int32', values: [2 ** 31 - 2, 1, -(2 ** 31) + 1, -1] }), [[]]))[0].map(Number)).toEqual([2 ** 31 - 1, -(2 ** 31)]);
    expect(refusal(reduction('ReduceSum', [1], { constant: true, dims: [1, 2], dtype: 'int32', values: [2 ** 31 - 1, 1] }))).toMatch(/: folds a int32 sum of 2147483648, beyond what nn2eq holds exactly$/);
    expect(refusal(reduction('ReduceProd', [1], { constant: true, dims: [1, 2], dtype: 'int32', values: [-(2 ** 20), 2 ** 20] }))).toMatch(/: folds a int32 prod of -1099511627776, beyond/);
  });
});

describe('reduction refusals name what they found', () => {
  const cases: [string, ReturnType<typeof model>, RegExp][] = [
    ['ReduceMean of int32', reduction('ReduceMean', [1], { dtype: 'int32' }), /: reduces int32 values by mean, which nn2eq prints only for floating-point values$/],
    ['ReduceL1 of int32', reduction('ReduceL1', [1], { dtype: 'int32' }), /: reduces int32 values by l1, which/],
    ['ReduceSum of bool', reduction('ReduceSum', [1], { dtype: 'bool' }), /: reduces bool values by sum, which/],
    ['ReduceProd of int32', reduction('ReduceProd', [1], { dtype: 'int32' }), /: multiplies int32 values, which nn2eq prints only for floating-point values$/],
    ['ReduceProd of 65 factors', reduction('ReduceProd', [1], { dims: [1, 65] }), /: multiplies 65 values per output; nn2eq prints a product of up to 64; hint: reduce fewer axes at a time$/],
    ['ReduceSum with computed axes', model([node('ReduceSum', ['c', 'a'], ['y'], {}, 13)], [['c', 'float32', DIMS], ['a', 'int64', [1]]], ['y'], [], 13), /: its axes \(input 'a'\) is not constant/],
  ];
  for (const [what, m, message] of cases) it(what, () => expect(refusal(m)).toMatch(message));
});

/** Softmax of each row of `rows`. */
const softmaxRows = (rows: number[][]) =>
  rows.map((r) => {
    const m = Math.max(...r);
    const e = r.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });

describe('Softmax, LogSoftmax and Hardmax before opset 13: the input coerced to 2-D at axis', () => {
  const rows = (k: number) => Array.from({ length: V.length / k }, (_, i) => V.slice(i * k, (i + 1) * k));
  for (const [axis, k] of [
    [1, 6],
    [2, 2],
    [-1, 2],
    [0, 12],
  ] as const) {
    it(`axis ${axis} of [2, 3, 2]: rows of ${k}`, async () => {
      const soft = model([node('Softmax', ['x'], ['y'], { axis: int(axis) }, 11)], [['x', 'float32', DIMS]], ['y'], [], 11);
      close((await js(soft, [[V]]))[0], softmaxRows(rows(k)).flat());
      expect(roleProblems(buildOnnxProgram(soft))).toEqual([]);
      const log = model([node('LogSoftmax', ['x'], ['y'], { axis: int(axis) }, 11)], [['x', 'float32', DIMS]], ['y'], [], 11);
      close((await js(log, [[V]]))[0], softmaxRows(rows(k)).flat().map(Math.log));
      const hard = model([node('Hardmax', ['x'], ['y'], { axis: int(axis) }, 11)], [['x', 'float32', DIMS]], ['y'], [], 11);
      close((await js(hard, [[V]]))[0], rows(k).flatMap((r) => r.map((x, i) => (i === r.indexOf(Math.max(...r)) ? 1 : 0))));
      expect(roleProblems(buildOnnxProgram(hard))).toEqual([]);
    });
  }
  it('the default axis: 1 before opset 13, −1 from it', async () => {
    close((await js(model([node('Softmax', ['x'], ['y'], {}, 11)], [['x', 'float32', DIMS]], ['y'], [], 11), [[V]]))[0], softmaxRows(rows(6)).flat());
    close((await js(model([node('Softmax', ['x'], ['y'], {}, 13)], [['x', 'float32', DIMS]], ['y'], [], 13), [[V]]))[0], softmaxRows(rows(2)).flat());
  });
});

describe('ArgMax, ArgMin and TopK folded on constants', () => {
  // [2, 4]: ties and a NaN.
  const T = [3, 1, 3, -2, 5, NaN, 0, NaN];
  it('ArgMax / ArgMin along axis 1: the first (or last) extreme, a NaN the extreme', async () => {
    const arg = (op: string, attrs: Record<string, ReturnType<typeof int>>) =>
      model([node(op, ['c'], ['i'], attrs), node('Cast', ['i'], ['f'], { to: int(1) }), node('Add', ['f', 'x'], ['y'])], [['x', 'float32', [2, 1]]], ['y'], [init('c', 'float32', [2, 4], T)]);
    const at = async (op: string, attrs: Record<string, ReturnType<typeof int>>) => (await js(arg(op, { axis: int(1), ...attrs }), [[[[0], [0]]]]))[0];
    expect(await at('ArgMax', {})).toEqual([0, 1]);
    expect(await at('ArgMax', { select_last_index: int(1) })).toEqual([2, 3]);
    expect(await at('ArgMin', {})).toEqual([3, 1]);
    expect(await at('ArgMin', { select_last_index: int(1) })).toEqual([3, 3]);
  });
  it('ArgMax / ArgMin along the middle axis of [2, 3, 2], ties in every slice, first and last', async () => {
    // Along axis 1 the slices are [1, 1, 0], [4, 4, 4], [−2, −2, 5] and [3, 3, −1].
    const W = [1, 4, 1, 4, 0, 4, -2, 3, -2, 3, 5, -1];
    for (const op of ['ArgMax', 'ArgMin']) {
      for (const last of [0, 1]) {
        const m = model([node(op, ['c'], ['i'], { axis: int(1), select_last_index: int(last) }), node('Cast', ['i'], ['f'], { to: int(1) }), node('Add', ['f', 'x'], ['y'])], [['x', 'float32', [2, 1, 2]]], ['y'], [init('c', 'float32', DIMS, W)]);
        expect((await js(m, [[[[[0, 0]], [[0, 0]]]]]))[0], `${op} last ${last}`).toEqual(argRef(W, DIMS, 1, op === 'ArgMin', last === 1));
      }
    }
  });
  it('ArgMax of a computed and of a constant tensor is int64: divided by an int64 2 it truncates; it adds to an int64 constant (keepdims 0)', async () => {
    const plus10 = argRef(V, DIMS, 1, false, false).map((i) => i + 10);
    const computed = model([node('ArgMax', ['x'], ['i'], { axis: int(1), keepdims: int(0) }), node('Add', ['i', 'k'], ['y'])], [['x', 'float32', DIMS]], ['y'], [init('k', 'int64', [1], [10])]);
    expect((await js(computed, [[V]]))[0].map(Number)).toEqual(plus10);
    expect(roleProblems(buildOnnxProgram(computed))).toEqual([]);
    const halves = model([node('ArgMax', ['x'], ['i'], { axis: int(1), keepdims: int(0) }), node('Div', ['i', 'two'], ['y'])], [['x', 'float32', DIMS]], ['y'], [init('two', 'int64', [1], [2])]);
    // ONNX's Div of integers truncates: the argmax along axis 1 of V is [1, 1, 1, 0], so [0, 0, 0, 0], not halves.
    expect((await js(halves, [[V]]))[0].map(Number)).toEqual(argRef(V, DIMS, 1, false, false).map((i) => Math.trunc(i / 2)));
    const folded = model([node('ArgMax', ['c'], ['i'], { axis: int(1), keepdims: int(0) }), node('Add', ['i', 'k'], ['s']), node('Cast', ['s'], ['f'], { to: int(1) }), node('Add', ['f', 'x'], ['y'])], [['x', 'float32', [2, 2]]], ['y'], [init('c', 'float32', DIMS, V), init('k', 'int64', [1], [10])]);
    expect((await js(folded, [[[[0, 0], [0, 0]]]]))[0]).toEqual(plus10);
  });
  it('ArgMax along axis 0, keepdims 0', async () => {
    const m = model([node('ArgMax', ['c'], ['i'], { keepdims: int(0) }), node('Cast', ['i'], ['f'], { to: int(1) }), node('Add', ['f', 'x'], ['y'])], [['x', 'float32', [3]]], ['y'], [init('c', 'float32', [2, 3], [1, 5, -1, 2, 5, -3])]);
    expect((await js(m, [[[0, 0, 0]]]))[0]).toEqual([1, 0, 0]);
  });
  it('TopK: the k largest or smallest along an axis, ties by the lower index', async () => {
    const c = [4, -1, 4, 2, 0, 2, 7, 2];
    const top = (largest: number, axis: number, k: number) =>
      model([node('TopK', ['c', 'k'], ['v', 'i'], { largest: int(largest), axis: int(axis) }), node('Cast', ['i'], ['f'], { to: int(1) }), node('Add', ['v', 'x'], ['y']), node('Add', ['f', 'x'], ['z'])], [['x', 'float32', [1]]], ['y', 'z'], [init('c', 'float32', [2, 4], c), init('k', 'int64', [1], [k])]);
    expect((await js(top(1, 1, 3), [[[0]]]))[0]).toEqual([4, 4, 2, 7, 2, 2, 0, 2, 3, 2, 1, 3]);
    expect((await js(top(0, 1, 2), [[[0]]]))[0]).toEqual([-1, 2, 0, 2, 1, 3, 0, 1]);
    expect((await js(top(1, 0, 1), [[[0]]]))[0]).toEqual([4, 2, 7, 2, 0, 1, 1, 0]);
  });
});

/** ONNX's TopK (op_topk.py) of each row of `rows`: the k largest (or smallest), ties by the lower index; values then indices. */
function topRef(rows: number[][], k: number, largest: boolean): [number[], number[]] {
  const picked = rows.map((r) => r.map((_, i) => i).sort((i, j) => (largest ? r[j] - r[i] : r[i] - r[j]) || i - j).slice(0, k));
  return [picked.flatMap((p, row) => p.map((i) => rows[row][i])), picked.flat()];
}

describe('TopK settings the conformance cases miss', () => {
  it('folded over 48 elements with many ties, k the whole axis', async () => {
    const c = Array.from({ length: 48 }, (_, i) => ((i * 7) % 13) - 6);
    const m = model([node('TopK', ['c', 'k'], ['v', 'i'], {}, 11), node('Cast', ['i'], ['f'], { to: int(1) }), node('Add', ['v', 'x'], ['y']), node('Add', ['f', 'x'], ['z'])], [['x', 'float32', [1]]], ['y', 'z'], [init('c', 'float32', [1, 48], c), init('k', 'int64', [1], [48])], 11);
    const [values, indices] = topRef([c], 48, true);
    expect((await js(m, [[[0]]]))[0]).toEqual([...values, ...indices]);
  });
  it('computed, of opset 10 (k an input), its default axis −1 on rank 3', async () => {
    const x = [3, 1, 3, -2, 5, 0, 7, 7, -1, 2, 2, 9];
    const m = model([node('TopK', ['x', 'k'], ['v', 'i'], {}, 10)], [['x', 'float32', [2, 2, 3]]], ['v', 'i'], [init('k', 'int64', [1], [2])], 10);
    const rows = [0, 1, 2, 3].map((r) => x.slice(r * 3, r * 3 + 3));
    const [values, indices] = topRef(rows, 2, true);
    expect((await js(m, [[x]]))[0]).toEqual([...values, ...indices]);
    expect(buildOnnxProgram(m).outputs.map((o) => o.tensor.shape)).toEqual([[2, 2, 2], [2, 2, 2]]);
  });
  it('along the middle axis of [2, 3, 2], folded and computed; its indices are int64 (an int64 Div by 2 truncates)', async () => {
    const W = [1, 4, 1, 4, 0, 4, -2, 3, -2, 3, 5, -1];
    // The slices along axis 1, in the order (outer, inner) of the output.
    const rows = [0, 1].flatMap((o) => [0, 1].map((e) => [0, 1, 2].map((k) => W[(o * 3 + k) * 2 + e])));
    const [values, indices] = topRef(rows, 2, true);
    // Back in [2, 2, 2]: out[o, r, e] from row (o, e).
    const place = (xs: number[]) => [0, 1].flatMap((o) => [0, 1].flatMap((r) => [0, 1].map((e) => xs[(o * 2 + e) * 2 + r])));
    const halves = place(indices).map((i) => Math.trunc(i / 2));
    const nodes = [node('TopK', ['c', 'k'], ['v', 'i'], { axis: int(1) }, 11), node('Div', ['i', 'two'], ['h']), node('Cast', ['h'], ['f'], { to: int(1) }), node('Cast', ['i'], ['g'], { to: int(1) }), node('Add', ['v', 'x'], ['y']), node('Add', ['f', 'x'], ['z']), node('Add', ['g', 'x'], ['w'])];
    const inits = [init('k', 'int64', [1], [2]), init('two', 'int64', [1], [2])];
    const want = [...place(values), ...halves, ...place(indices)];
    const folded = model(nodes, [['x', 'float32', [1]]], ['y', 'z', 'w'], [init('c', 'float32', DIMS, W), ...inits], 11);
    expect((await js(folded, [[[0]]]))[0]).toEqual(want);
    const computed = model(nodes, [['c', 'float32', DIMS], ['x', 'float32', [1]]], ['y', 'z', 'w'], inits, 11);
    expect((await js(computed, [[W, [0]]]))[0]).toEqual(want);
  });
  it('k the whole axis of a computed tensor; k computed is refused by name', async () => {
    const m = model([node('TopK', ['x', 'k'], ['v', 'i'], { largest: int(0) }, 11)], [['x', 'float32', [2, 3]]], ['v', 'i'], [init('k', 'int64', [1], [3])], 11);
    const rows = [
      [2, -1, 2],
      [0, 0, -4],
    ];
    const [values, indices] = topRef(rows, 3, false);
    expect((await js(m, [[rows]]))[0]).toEqual([...values, ...indices]);
    expect(refusal(model([node('TopK', ['x', 'k'], ['v', 'i'], {}, 11)], [['x', 'float32', [2, 3]], ['k', 'int64', [1]]], ['v', 'i'], [], 11))).toMatch(/: its k \(input 'k'\) is not constant/);
  });
});

describe('TopK, LpNormalization and MeanVarianceNormalization of computed values', () => {
  it('TopK of opset 1 (k an attribute), ties by the lower index', async () => {
    const m = model([node('TopK', ['x'], ['v', 'i'], { k: int(2) }, 1)], [['x', 'float32', [2, 3]]], ['v', 'i'], [], 1);
    const [got] = await js(m, [[[[1, 3, 3], [0, -2, 5]]]]);
    expect(got).toEqual([3, 3, 5, 0, 1, 2, 2, 0]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('TopK along axis 0, smallest', async () => {
    const m = model([node('TopK', ['x', 'k'], ['v', 'i'], { axis: int(0), largest: int(0) }, 11)], [['x', 'float32', [3, 2]]], ['v', 'i'], [init('k', 'int64', [1], [2])], 11);
    const [got] = await js(m, [[[[1, 3], [1, -2], [0, 5]]]]);
    expect(got).toEqual([0, -2, 1, 3, 2, 1, 0, 0]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('LpNormalization p 2 along axis 0, a zero column gives 0', async () => {
    const m = model([node('LpNormalization', ['x'], ['y'], { axis: int(0) })], [['x', 'float32', [2, 3]]], ['y']);
    const [got] = await js(m, [[[[3, 0, -1], [4, 0, 1]]]]);
    close(got, [0.6, 0, -Math.SQRT1_2, 0.8, 0, Math.SQRT1_2]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
  it('LpNormalization p 1 along axis 1: x / Σ|x|, a zero row gives 0; its sum is over a column of ones, the MVN means over one of 1/n', async () => {
    const m = model([node('LpNormalization', ['x'], ['y'], { axis: int(1), p: int(1) })], [['x', 'float32', [2, 3]]], ['y']);
    const [got] = await js(m, [[[[3, -1, 4], [0, 0, 0]]]]);
    close(got, [3 / 8, -1 / 8, 4 / 8, 0, 0, 0]);
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
    const constants = (p: ReturnType<typeof buildOnnxProgram>) => p.tensors.filter((t) => t.kind === 'const').map((t) => t.role);
    expect(constants(buildOnnxProgram(m))).toContain('ones');
    expect(constants(buildOnnxProgram(model([node('MeanVarianceNormalization', ['x'], ['y'])], [['x', 'float32', [2, 1, 1, 2]]], ['y'])))).toContain('w');
  });
  it('MeanVarianceNormalization over its default axes 0, 2, 3', async () => {
    const m = model([node('MeanVarianceNormalization', ['x'], ['y'])], [['x', 'float32', [2, 1, 1, 2]]], ['y']);
    const x = [1, 2, 4, 9];
    const mean = 4;
    const sd = Math.sqrt(x.reduce((a, b) => a + b * b, 0) / 4 - mean * mean);
    close((await js(m, [[x]]))[0], x.map((v) => (v - mean) / (sd + 1e-9)));
    expect(roleProblems(buildOnnxProgram(m))).toEqual([]);
  });
});

describe('argmax, TopK and norm refusals name what they found', () => {
  const x = (dims: number[]): [string, 'float32', number[]] => ['x', 'float32', dims];
  const cases: [string, ReturnType<typeof model>, RegExp][] = [
    ['ArgMax of an empty axis', model([node('ArgMax', ['x'], ['y'], { axis: int(1) })], [x([2, 0])], ['y']), /: takes the argmax of an empty axis 1$/],
    ['ArgMin of an empty axis', model([node('ArgMin', ['x'], ['y'])], [x([0, 2])], ['y']), /: takes the argmin of an empty axis 0$/],
    ['TopK with k past the axis', model([node('TopK', ['x', 'k'], ['v', 'i'])], [x([2, 3])], ['v', 'i'], [init('k', 'int64', [1], [4])]), /: k is 4, expected a whole number from 0 to the axis length 3$/],
    ['TopK with a negative k', model([node('TopK', ['x', 'k'], ['v', 'i'])], [x([2, 3])], ['v', 'i'], [init('k', 'int64', [1], [-1])]), /: k is -1, expected/],
    ['TopK of opset 1 without k', model([node('TopK', ['x'], ['v', 'i'], {}, 1)], [x([2, 3])], ['v', 'i'], [], 1), /: k is NaN, expected/],
    ['TopK with k 0 of a computed tensor', model([node('TopK', ['x', 'k'], ['v', 'i'])], [x([2, 3])], ['v', 'i'], [init('k', 'int64', [1], [0])]), /: k is 0: the outputs are empty$/],
    ['LpNormalization with p 3', model([node('LpNormalization', ['x'], ['y'], { p: int(3) })], [x([2, 3])], ['y']), /: p is 3; ONNX's LpNormalization takes 1 or 2$/],
  ];
  for (const [what, m, message] of cases) it(what, () => expect(refusal(m)).toMatch(message));
});

describe('what the numbers alone do not show: shapes and the equations printed', () => {
  const shape = (m: ReturnType<typeof model>) => buildOnnxProgram(m).outputs.map((o) => o.tensor.shape);
  it('keepdims 0 drops the reduced axes; 1, and its default, keep them with length 1 (the flat numbers are the same)', () => {
    expect(shape(reduction('ReduceSum', [2, -3], { keepdims: 0 }))).toEqual([[3]]);
    expect(shape(reduction('ReduceSum', [2, -3], { keepdims: 1 }))).toEqual([[1, 3, 1]]);
    expect(shape(reduction('ReduceSum', [2, -3]))).toEqual([[1, 3, 1]]);
    expect(shape(reduction('ReduceMax', [1], { keepdims: 0, constant: true }))).toEqual([[2, 2]]);
    const arg = (keepdims?: number) => model([node('ArgMax', ['x'], ['y'], { axis: int(1), ...(keepdims === undefined ? {} : { keepdims: int(keepdims) }) })], [['x', 'float32', DIMS]], ['y']);
    expect([shape(arg(0)), shape(arg(1)), shape(arg())]).toEqual([[[2, 2]], [[2, 1, 2]], [[2, 1, 2]]]);
  });
  it('ReduceProd of one factor per output: no slice and no product, the values themselves', () => {
    const eqs = buildOnnxProgram(reduction('ReduceProd', [1], { dims: [2, 1, 3] })).equations;
    expect(eqs.filter((eq) => eq.op === 'slice' || eq.op === 'map')).toEqual([]);
  });
  it('a computed reduction reshaped to its kept axes is a value of the layer (h), not a temporary; a mean pools by avg', () => {
    for (const kind of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin'] as Kind[]) {
      const p = buildOnnxProgram(reduction(kind, [1]));
      expect(roleProblems(p), kind).toEqual([]);
      expect(p.tensors[p.outputs[0].tensor.id].role, kind).toBe('h');
    }
    const mean = buildOnnxProgram(reduction('ReduceMean', [1])).equations.filter((eq) => eq.op === 'global_pool');
    expect(mean.map((eq) => eq.attrs)).toEqual([{ kind: 'avg' }]);
    // An int32 Σ wraps after the reshape, which is a temporary.
    expect(roleProblems(buildOnnxProgram(reduction('ReduceSum', [1], { dtype: 'int32' })))).toEqual([]);
  });
  it('Softmax and LogSoftmax before opset 13 along the last axis: one equation, no coercion to 2-D and back', () => {
    for (const op of ['Softmax', 'LogSoftmax']) {
      for (const axis of [2, -1]) {
        const m = model([node(op, ['x'], ['y'], { axis: int(axis) }, 11)], [['x', 'float32', DIMS]], ['y'], [], 11);
        expect(buildOnnxProgram(m).equations.map((eq) => eq.op), `${op} axis ${axis}`).toEqual([op === 'Softmax' ? 'softmax' : 'log_softmax']);
      }
    }
  });
});
