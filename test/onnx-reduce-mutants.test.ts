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
  ];
  for (const [what, m, message] of cases) it(what, () => expect(refusal(m)).toMatch(message));
});
