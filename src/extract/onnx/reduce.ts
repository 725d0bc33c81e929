import { attrInt, attrInts } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { intRange, isFloat, isInteger, roundToFloat } from '../../tensor/dtype.js';
import { axisOf, dtypeOfVal, konst, strides, tensor, type Const, type OnnxContext, type OnnxExtractor } from './context.js';
import { wrapped } from './elementwise.js';

/**
 * Softmax / LogSoftmax (before opset 13 the input is coerced to 2-D at `axis`; from 13 on one
 * axis) and the reductions ReduceMean / ReduceSum / ReduceMax / ReduceMin / ReduceProd, built from
 * `global_pool` on the reduced axes moved first.
 */

function softmax(op: 'softmax' | 'log_softmax'): OnnxExtractor {
  return (ctx) => {
    const x = ctx.tensor(0);
    const rank = x.shape.length;
    if (ctx.opset >= 13) {
      const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), rank);
      return [tensor(ctx.op(op, [x], { axes: [axis] })[0])];
    }
    const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 1), rank);
    if (axis === rank - 1) return [tensor(ctx.op(op, [x], { axes: [axis] })[0])];
    // Coerced to [prod(before axis), prod(from axis)]: one softmax over all trailing axes.
    const flat = ctx.reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]);
    const y = ctx.op(op, [flat], { axes: [1] }, '_')[0];
    return [tensor(ctx.reshape(y, x.shape, 'h'))];
  };
}

/** The reductions: the four the program has, and ONNX's compositions of Σ with an element-wise function before and after. */
type ReduceKind = 'mean' | 'sum' | 'max' | 'min' | 'prod' | 'sum_square' | 'l1' | 'l2' | 'log_sum' | 'log_sum_exp';

function reduce(kind: ReduceKind): OnnxExtractor {
  return (ctx: OnnxContext) => {
    const v = ctx.val(0);
    const dims = ctx.shape(0);
    const rank = dims.length;
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    const fromInput = (kind === 'sum' && ctx.opset >= 13) || ctx.opset >= 18;
    const composed = kind !== 'mean' && kind !== 'sum' && kind !== 'max' && kind !== 'min' && kind !== 'prod';
    let axes = fromInput ? (ctx.has(1) ? Array.from(ctx.constant(1, 'axes').values) : undefined) : attrInts(ctx.node, 'axes', undefined);
    if (!axes || axes.length === 0) {
      if (fromInput && attrInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return [v];
      axes = dims.map((_, i) => i);
    }
    // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: unsorted (or sorted by a + b), the reduced axes only order the terms of each Σ or Π (ONNX fixes no order; max, min, the shapes and the fold ask ax.includes); the axisOf arrow made empty is caught, but shares the name
    const ax = [...new Set(axes.map((a) => axisOf(ctx, a, rank)))].sort((a, b) => a - b);
    const rest = dims.map((_, i) => i).filter((i) => !ax.includes(i));
    const outDims = keep ? dims.map((d, i) => (ax.includes(i) ? 1 : d)) : rest.map((i) => dims[i]);
    if (v.kind === 'const') return [foldReduce(ctx, v, ax, outDims, kind)];
    // Integers: Σ, max and min are exact below 2^53 (a narrow type's Σ wraps); an integer mean truncates, not printed.
    const dtype = ctx.dtype(0);
    if (!isFloat(dtype) && (composed || kind === 'mean' || (kind === 'sum' && dtype === 'bool'))) return ctx.fail(`reduces ${dtype} values by ${kind}, which nn2eq prints only for floating-point values`);
    const n = sizeOf(ax.map((i) => dims[i]));
    const m = sizeOf(rest.map((i) => dims[i]));
    if (kind === 'prod') {
      if (!isFloat(dtype)) return ctx.fail(`multiplies ${dtype} values, which nn2eq prints only for floating-point values`);
      // Π as one product of the slices along the reduced axes (moved last), up to 64 of them.
      // The empty product is 1.
      if (n === 0) return [konst(outDims, new Float64Array(sizeOf(outDims)).fill(1), dtype)];
      if (n > 64) return ctx.fail(`multiplies ${n} values per output; nn2eq prints a product of up to 64`, 'reduce fewer axes at a time');
      const rows = ctx.reshape(ctx.transpose(v.t, [...rest, ...ax]), [m, n]);
      const cols = Array.from({ length: n }, (_, j) => (n === 1 ? rows : ctx.op('slice', [rows], { begin: [0, j], end: [m, j + 1] }, '_')[0]));
      return [tensor(ctx.reshape(n === 1 ? rows : ctx.map('mul', cols, [], '_'), outDims, 'h'))];
    }
    const maxOf = (t: T, to: readonly number[]) => ctx.reshape(ctx.op('global_pool', [ctx.reshape(ctx.transpose(t, [...ax, ...rest]), [n, m])], { kind: 'max' }, '_')[0], to, '_');
    if (composed) {
      // ReduceSumSquare Σx², ReduceL1 Σ|x|, ReduceL2 √Σx², ReduceLogSum log Σx, ReduceLogSumExp
      // log Σ exp(x − max) + max (the maximum taken out, so no exp overflows; an infinite maximum is
      // taken as 0, as ONNX Runtime does, so a slice holding +∞ gives +∞, not ∞ − ∞).
      const kept = dims.map((d, i) => (ax.includes(i) ? 1 : d));
      const peak = kind === 'log_sum_exp' ? maxOf(v.t, kept) : null;
      // Stryker disable next-line ArrayDeclaration: a zero of shape [] broadcasts as the one of shape [1] does (the same numbers); the line's other arrays made empty are caught, but share the name
      const top = peak && ctx.map('where', [ctx.map('equal_to', [ctx.map('abs', [peak], [], '_')], [Infinity], '_'), ctx.const('zero', [1], [0]), peak], [], '_');
      const x = kind === 'sum_square' || kind === 'l2' ? ctx.map('mul', [v.t, v.t], [], '_') : kind === 'l1' ? ctx.map('abs', [v.t], [], '_') : top ? ctx.map('exp', [ctx.map('sub', [v.t, top], [], '_')], [], '_') : v.t;
      const rows = ctx.reshape(ctx.transpose(x, [...rest, ...ax]), [m, n]);
      const role = kind === 'sum_square' || kind === 'l1' ? 'h' : '_';
      const sum = ctx.reshape(ctx.op('dense', [rows, ctx.const('ones', [n, 1], new Float64Array(n).fill(1))], { pairs: 1, bias: false }, role)[0], outDims, role);
      if (role === 'h') return [tensor(sum)];
      if (kind === 'l2') return [tensor(ctx.map('sqrt', [sum], []))];
      if (kind === 'log_sum') return [tensor(ctx.map('log', [sum], []))];
      return [tensor(ctx.map('add', [ctx.map('log', [sum], [], '_'), ctx.reshape(top!, outDims, '_')], []))];
    }
    if (kind === 'sum') {
      // Σ as a dense product with a column of ones: exact, and printed as a sum.
      const rows = ctx.reshape(ctx.transpose(v.t, [...rest, ...ax]), [m, n]);
      const y = ctx.op('dense', [rows, ctx.const('ones', [n, 1], new Float64Array(n).fill(1))], { pairs: 1, bias: false }, '_')[0];
      if (isInteger(dtype)) return [wrapped(ctx, ctx.reshape(y, outDims, '_'), dtype)];
      return [tensor(ctx.reshape(y, outDims, 'h'))];
    }
    const moved = ctx.transpose(v.t, [...ax, ...rest]);
    let cells = ctx.reshape(moved, [n, m]);
    if (kind === 'min') cells = ctx.map('neg', [cells], [], '_');
    let y = ctx.op('global_pool', [cells], { kind: kind === 'max' || kind === 'min' ? 'max' : 'avg' }, '_')[0];
    if (kind === 'min') y = ctx.map('neg', [y], [], '_');
    return [tensor(ctx.reshape(y, outDims, 'h'))];
  };
}

/** A reduction of a constant, computed at build time in float64 and brought into its type. */
function foldReduce(ctx: OnnxContext, v: Const, ax: readonly number[], outDims: readonly number[], kind: ReduceKind): Const {
  const dims = v.dims;
  const dtype = v.dtype;
  if (!isFloat(dtype) && kind !== 'sum' && kind !== 'max' && kind !== 'min' && kind !== 'prod') return ctx.fail(`reduces ${dtype} values by ${kind}, which nn2eq folds only for floating-point values`);
  const size = sizeOf(outDims);
  const st = strides(dims);
  // Output position of every input element: its index with the reduced axes dropped.
  const kept = dims.map((d, i) => (ax.includes(i) ? 1 : d));
  const ks = strides(kept);
  // Stryker disable next-line ConditionalExpression: made true, the maxima are computed for every kind but read only by log_sum_exp (the same numbers); made false, caught, but shares the name
  const big = kind === 'log_sum_exp' ? new Float64Array(size).fill(-Infinity) : null;
  const at = (o: number) => {
    let rest = o;
    let k = 0;
    for (let i = 0; i < dims.length; i++) {
      const q = Math.floor(rest / st[i]);
      rest -= q * st[i];
      if (!ax.includes(i)) k += q * ks[i];
    }
    return k;
  };
  const where = Array.from(v.values, (_, o) => at(o));
  if (big) where.forEach((k, o) => void (big[k] = Math.max(big[k], v.values[o])));
  const acc = new Float64Array(size).fill(kind === 'max' ? -Infinity : kind === 'min' ? Infinity : kind === 'prod' ? 1 : 0);
  where.forEach((k, o) => {
    const x = v.values[o];
    // Stryker disable next-line ConditionalExpression,LogicalOperator: Math.max gives NaN for a NaN argument already, so the test made false (or with &&) gives the same; made true, caught, but shares the name
    if (kind === 'max') acc[k] = Number.isNaN(x) || Number.isNaN(acc[k]) ? NaN : Math.max(acc[k], x);
    else if (kind === 'min')
      // Stryker disable next-line ConditionalExpression,LogicalOperator: Math.min gives NaN for a NaN argument already, so the test made false (or with &&) gives the same; made true, caught, but shares the name (a disable above an else if does not reach it)
      acc[k] = Number.isNaN(x) || Number.isNaN(acc[k]) ? NaN : Math.min(acc[k], x);
    else if (kind === 'sum_square' || kind === 'l2') acc[k] += x * x;
    else if (kind === 'l1') acc[k] += Math.abs(x);
    else if (kind === 'prod') acc[k] *= x;
    else if (kind === 'log_sum_exp') acc[k] += Math.exp(x - big![k]);
    else acc[k] += x;
  });
  const n = v.values.length / Math.max(size, 1);
  const out = Array.from(acc, (a, k) => (kind === 'mean' ? a / n : kind === 'l2' ? Math.sqrt(a) : kind === 'log_sum' ? Math.log(a) : kind === 'log_sum_exp' ? Math.log(a) + big![k] : a));
  if (isFloat(dtype)) return konst(outDims, out.map((x) => roundToFloat(x, dtype)), dtype);
  const [lo, hi] = intRange(dtype);
  return konst(outDims, out.map((x) => (Number.isSafeInteger(x) && x >= lo && x <= hi ? x : ctx.fail(`folds a ${dtype} ${kind} of ${x}, beyond what nn2eq holds exactly`))), dtype);
}

/**
 * The maximum (or with `min`, the minimum) of `t` along `axis`, the axis kept with length 1:
 * `global_pool` over the axis moved first. A NaN in a slice makes its maximum NaN.
 */
export function extremeAlong(ctx: Pick<OnnxContext, 'reshape' | 'transpose' | 'op' | 'map'>, t: T, axis: number, min = false): T {
  const dims = t.shape;
  const rest = dims.map((_, i) => i).filter((i) => i !== axis);
  const kept = dims.map((d, i) => (i === axis ? 1 : d));
  let cells = ctx.reshape(ctx.transpose(t, [axis, ...rest]), [dims[axis], sizeOf(rest.map((i) => dims[i]))]);
  if (min) cells = ctx.map('neg', [cells], [], '_');
  let y = ctx.op('global_pool', [cells], { kind: 'max' }, '_')[0];
  if (min) y = ctx.map('neg', [y], [], '_');
  // The kept axes are in their order already: the reduced axis of length 1 goes back in place.
  return ctx.reshape(y, kept, '_');
}

/**
 * ArgMax / ArgMin (onnx/reference/ops/op_argmax.py: numpy's argmax, which picks the first NaN, as
 * the first maximum; select_last_index picks the last of them), int64. On a tensor: the slice's
 * maximum m, the hits [x = m] or [x ≠ x] (m is NaN exactly when a NaN is in the slice, and then
 * the NaNs are the hits), and the first hit n − max(hit·(n − i)) or the last max(hit·(i + 1)) − 1.
 */
function argExtreme(min: boolean): OnnxExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    const dims = ctx.shape(0);
    const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length);
    const keep = attrInt(ctx.node, 'keepdims', 1) === 1;
    const last = attrInt(ctx.node, 'select_last_index', 0) === 1;
    const n = dims[axis];
    const outDims = keep ? dims.map((d, i) => (i === axis ? 1 : d)) : dims.filter((_, i) => i !== axis);
    if (n === 0) return ctx.fail(`takes the arg${min ? 'min' : 'max'} of an empty axis ${axis}`);
    if (v.kind === 'const') {
      const st = strides(dims);
      const size = sizeOf(outDims);
      const out = new Float64Array(size);
      const inner = st[axis];
    // Stryker disable next-line EqualityOperator: o <= size reads past the input's end and writes out[size], past the Float64Array's end, which drops it; o >= size, no loop, is caught, but shares the name
    for (let o = 0; o < size; o++) {
        const base = Math.floor(o / inner) * inner * n + (o % inner);
        let best = -1;
        let bv = NaN;
        for (let k = 0; k < n; k++) {
          const i = last ? n - 1 - k : k;
          const x = v.values[base + i * inner];
          if (Number.isNaN(x)) {
            best = i;
            break;
          }
          if (best < 0 || (min ? x < bv : x > bv)) {
            best = i;
            bv = x;
          }
        }
        out[o] = best;
      }
      return [konst(outDims, out, 'int64')];
    }
    return [tensor(ctx.reshape(argIndex(ctx, v.t, axis, min, last), outDims, 'h'), 'int64')];
  };
}

/** The index of the first (or `last`) maximum (or `min`imum) of `x` along `axis`, the axis kept with length 1; a NaN counts as the extreme (see argExtreme). */
export function argIndex(ctx: Pick<OnnxContext, 'reshape' | 'transpose' | 'op' | 'map' | 'const'>, x: T, axis: number, min: boolean, last: boolean): T {
  const dims = x.shape;
  const n = dims[axis];
  const m = extremeAlong(ctx, x, axis, min);
  const hit = ctx.map('or', [ctx.map('equal', [x, m], [], '_'), ctx.map('not', [ctx.map('equal', [x, x], [], '_')], [], '_')], [], '_');
  const at = dims.map((d, i) => (i === axis ? n : 1));
  const weights = ctx.const('i', at, Array.from({ length: n }, (_, i) => (last ? i + 1 : n - i)));
  const top = extremeAlong(ctx, ctx.map('mul', [hit, weights], [], '_'), axis);
  return ctx.map('affine', [top], last ? [1, -1] : [-1, n], '_');
}

/** Σ of `t` over `axes` times `scale`, the axes kept with length 1: a dense product with a column of `scale`s (exact, printed as a sum). */
export function sumAlong(ctx: Pick<OnnxContext, 'reshape' | 'transpose' | 'op' | 'const'>, t: T, axes: readonly number[], scale = 1, role = '_'): T {
  const dims = t.shape;
  const rest = dims.map((_, i) => i).filter((i) => !axes.includes(i));
  const n = sizeOf(axes.map((i) => dims[i]));
  const rows = ctx.reshape(ctx.transpose(t, [...rest, ...axes]), [sizeOf(rest.map((i) => dims[i])), n]);
  const y = ctx.op('dense', [rows, ctx.const(scale === 1 ? 'ones' : 'w', [n, 1], new Float64Array(n).fill(scale))], { pairs: 1, bias: false }, '_')[0];
  return ctx.reshape(y, dims.map((d, i) => (axes.includes(i) ? 1 : d)), role);
}

/**
 * Hardmax (op_hardmax.py): 1 at the first maximum along the axis, 0 elsewhere; from opset 13 one
 * axis (default −1), before it the input coerced to 2-D at `axis` (default 1).
 */
const hardmax: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const rank = x.shape.length;
  const modern = ctx.opset >= 13;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', modern ? -1 : 1), rank);
  const flat = modern ? x : ctx.reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]);
  const ax = modern ? axis : 1;
  const n = flat.shape[ax];
  const at = argIndex(ctx, flat, ax, false, false);
  const iota = ctx.const('i', flat.shape.map((d, i) => (i === ax ? n : 1)), Array.from({ length: n }, (_, i) => i));
  return [tensor(ctx.reshape(ctx.map('equal', [iota, at], [], '_'), x.shape, 'h'))];
};

/**
 * LpNormalization (p 1 or 2, one axis, default −1): x / ‖x‖ₚ along the axis, 0 where the norm is 0
 * (op_lp_normalization.py); ‖x‖₁ = Σ|x|, as ONNX's definition and ONNX Runtime have it.
 */
const lpNormalization: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), x.shape.length);
  const p = attrInt(ctx.node, 'p', 2);
  if (p !== 1 && p !== 2) return ctx.fail(`p is ${p}; ONNX's LpNormalization takes 1 or 2`);
  const sum = sumAlong(ctx, p === 2 ? ctx.map('mul', [x, x], [], '_') : ctx.map('abs', [x], [], '_'), [axis]);
  const norm = p === 2 ? ctx.map('sqrt', [sum], [], '_') : sum;
  // Stryker disable next-line ArrayDeclaration: a zero of shape [] broadcasts as the one of shape [1] does (the same numbers); the line's other arrays made empty are caught, but share the name
  return [tensor(ctx.map('where', [ctx.map('equal_to', [norm], [0], '_'), ctx.const('zero', [1], [0]), ctx.map('div', [x, norm], [], '_')], [], 'h'))];
};

/**
 * MeanVarianceNormalization (its function body): (x − E[x]) / (√(E[x²] − E[x]²) + 10⁻⁹), the means
 * over `axes` (default 0, 2, 3).
 */
const meanVarianceNormalization: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const rank = x.shape.length;
  // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: unsorted (or sorted otherwise), the axes only order the terms of each mean (sumAlong asks axes.includes for the shapes); the line's other arrows made empty are caught, but share the name
  const axes = [...new Set((attrInts(ctx.node, 'axes', undefined) ?? [0, 2, 3]).map((a) => axisOf(ctx, a, rank)))].sort((a, b) => a - b);
  const n = sizeOf(axes.map((i) => x.shape[i]));
  const mean = sumAlong(ctx, x, axes, 1 / n);
  const meanSq = sumAlong(ctx, ctx.map('mul', [x, x], [], '_'), axes, 1 / n);
  const std = ctx.map('sqrt', [ctx.map('sub', [meanSq, ctx.map('mul', [mean, mean], [], '_')], [], '_')], [], '_');
  return [tensor(ctx.map('div', [ctx.map('sub', [x, mean], [], '_'), ctx.map('affine', [std], [1, 1e-9], '_')], [], 'h'))];
};

/**
 * TopK with a constant k (op_topk.py): the k largest (smallest) elements along `axis`, sorted, and
 * their int64 indices; of equal elements the lower index comes first. On a tensor, by ranks: the
 * rank of element i is the count of elements j that beat it (x_j > x_i, or x_j = x_i with j < i),
 * the r-th output is the element of rank r (the extreme over i of x_i where rank_i = r, ∓∞
 * elsewhere, never a product with a 0/1 mask) and its index Σᵢ i·[rank_i = r]. Exact for
 * integers; a NaN in the input has no rank of its own (ONNX leaves its place unspecified).
 */
const topK: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = ctx.shape(0);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), dims.length);
  const largest = attrInt(ctx.node, 'largest', 1) === 1;
  const k = ctx.opset >= 10 ? ctx.constant(1, 'k').values[0] : attrInt(ctx.node, 'k', NaN);
  const n = dims[axis];
  if (!Number.isInteger(k) || k < 0 || k > n) return ctx.fail(`k is ${k}, expected a whole number from 0 to the axis length ${n}`);
  const outDims = dims.map((d, i) => (i === axis ? k : d));
  // Stryker disable next-line ConditionalExpression,EqualityOperator: the sort below starts in index order and V8's sort only ever compares a later index with an earlier one (counted for 10 to 5,000 elements), where ia < ib is false: a === b made true, false or !== gives the same answers (false: ties equal, kept in order by the stable sort); the line's other tests made constant are caught, but share the names
  const beats = (a: number, ia: number, b: number, ib: number) => (largest ? a > b : a < b) || (a === b && ia < ib);
  if (v.kind === 'const') {
    const st = strides(dims);
    const inner = st[axis];
    const size = sizeOf(outDims);
    const values = new Float64Array(size);
    const indices = new Float64Array(size);
    // Stryker disable next-line ArithmeticOperator,MethodExpression: each mutant (× for ÷, min for max, n ÷ inner) only makes outer larger, and a slice o ≥ outer writes only past the outputs' ends, which drops it
    const outer = sizeOf(dims) / Math.max(1, n * inner);
    // Stryker disable next-line EqualityOperator: o <= outer writes only past the Float64Arrays' ends, which drops it; o >= outer, no loop, is caught, but shares the name
    for (let o = 0; o < outer; o++) {
      for (let e = 0; e < inner; e++) {
        const base = o * n * inner + e;
        // Stryker disable next-line ArithmeticOperator: the second beats (1 or 0) only tells the sort to keep a later index after an earlier one, and V8's sort asks only whether the answer is below 0; the first beats' places made wrong are caught, but share the name
        const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (beats(v.values[base + i * inner], i, v.values[base + j * inner], j) ? -1 : beats(v.values[base + j * inner], j, v.values[base + i * inner], i) ? 1 : 0));
        // Stryker disable next-line EqualityOperator: r <= k writes row k, the next slice's first (written again after) or past the arrays' ends; r >= k, no loop, is caught, but shares the name
        for (let r = 0; r < k; r++) {
          values[o * k * inner + r * inner + e] = v.values[base + order[r] * inner];
          indices[o * k * inner + r * inner + e] = order[r];
        }
      }
    }
    return [konst(outDims, values, v.dtype), konst(outDims, indices, 'int64')];
  }
  if (k === 0) return ctx.fail('k is 0: the outputs are empty');
  const rest = dims.map((_, i) => i).filter((i) => i !== axis);
  const lead = rest.map((i) => dims[i]);
  const r = lead.length;
  const xt = ctx.transpose(v.t, [...rest, axis]);
  const xi = ctx.reshape(xt, [...lead, n, 1]);
  const xj = ctx.reshape(xt, [...lead, 1, n]);
  const before = ctx.const('before', [n, n], Float64Array.from({ length: n * n }, (_, p) => (p % n < Math.floor(p / n) ? 1 : 0)));
  const wins = ctx.map('or', [ctx.map(largest ? 'greater' : 'less', [xj, xi], [], '_'), ctx.map('and', [ctx.map('equal', [xj, xi], [], '_'), before], [], '_')], [], '_');
  const rank = sumAlong(ctx, wins, [r + 1]);
  const hit = ctx.map('equal', [rank, ctx.const('r', [k], Float64Array.from({ length: k }, (_, i) => i))], [], '_');
  // Stryker disable next-line ArrayDeclaration: a fill of shape [] broadcasts as the one of shape [1] does (the same numbers); the line's other arrays made empty are caught, but share the name
  const chosen = ctx.map('where', [hit, xi, ctx.const('fill', [1], [largest ? -Infinity : Infinity])], [], '_');
  const values = extremeAlong(ctx, chosen, r, !largest);
  const indices = sumAlong(ctx, ctx.map('mul', [hit, ctx.const('i', [n, 1], Float64Array.from({ length: n }, (_, i) => i))], [], '_'), [r]);
  const back = (t: T, role: string) => {
    // Stryker disable next-line ArrayDeclaration: every place of perm is assigned below, so an empty array grows to the same
    const perm = new Array<number>(dims.length);
    rest.forEach((a, p) => (perm[a] = p));
    perm[axis] = r;
    return ctx.transpose(ctx.reshape(t, [...lead, k]), perm, role);
  };
  return [tensor(back(values, 'h'), dtypeOfVal(v)), tensor(back(indices, 'h'), 'int64')];
};

/** ONNX op type → extractor for softmax and reductions. */
export const reduceOps: Record<string, OnnxExtractor> = {
  ArgMax: argExtreme(false),
  TopK: topK,
  ArgMin: argExtreme(true),
  Hardmax: hardmax,
  LpNormalization: lpNormalization,
  MeanVarianceNormalization: meanVarianceNormalization,
  Softmax: softmax('softmax'),
  LogSoftmax: softmax('log_softmax'),
  ReduceMean: reduce('mean'),
  ReduceSum: reduce('sum'),
  ReduceMax: reduce('max'),
  ReduceMin: reduce('min'),
  ReduceProd: reduce('prod'),
  ReduceSumSquare: reduce('sum_square'),
  ReduceL1: reduce('l1'),
  ReduceL2: reduce('l2'),
  ReduceLogSum: reduce('log_sum'),
  ReduceLogSumExp: reduce('log_sum_exp'),
};

