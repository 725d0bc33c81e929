import { sizeOf } from '../../tensor/program.js';
import { broadcast, expandValues, tensor, type Const } from '../onnx/context.js';
import { konst, int, ints, str, type TfContext, type TfExtractor, type Val } from './context.js';

/**
 * TF ops of tfjs-converter's op lists (basic math, logical, reduction, creation, normalization,
 * slice and join, transformation) that the first registry did not map: each either runs an ONNX
 * builder that means the same, or is built from the program's ops; constants fold.
 */

/** Folds `f` over two broadcast constants. */
function fold2(ctx: TfContext, a: Const, b: Const, f: (x: number, y: number) => number): Const {
  const shape = broadcast(a.dims, b.dims) ?? ctx.fail(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
  const xa = expandValues(a, shape);
  const xb = expandValues(b, shape);
  return konst(shape, xa.map((v, i) => f(v, xb[i])));
}

/** FloorMod / Mod (TF.js computes both as x − y·⌊x/y⌋) and FloorDiv (⌊x/y⌋). */
const floorMod: TfExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  if (a.kind === 'const' && b.kind === 'const') return [fold2(ctx, a, b, (x, y) => x - Math.floor(x / y) * y)];
  return [tensor(ctx.map('int_mod', [ctx.tensor(0), ctx.tensor(1)]))];
};

const floorDiv: TfExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  if (a.kind === 'const' && b.kind === 'const') return [fold2(ctx, a, b, (x, y) => Math.floor(x / y))];
  return [tensor(ctx.map('floor', [ctx.map('div', [ctx.tensor(0), ctx.tensor(1)])]))];
};

/** e^x − 1 and log(1 + x): folded on constants, else exp / log with an affine shift. */
const expm1: TfExtractor = (ctx) => {
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(v.dims, v.values.map(Math.expm1))];
  return [tensor(ctx.map('affine', [ctx.map('exp', [v.t])], [1, -1]))];
};

const log1p: TfExtractor = (ctx) => {
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(v.dims, v.values.map(Math.log1p))];
  return [tensor(ctx.map('log', [ctx.map('affine', [v.t], [1, 1])]))];
};

/** √Σx² over the axes (EuclideanNorm). */
const euclideanNorm: TfExtractor = (ctx) => {
  const keep = ctx.bool('keep_dims', false);
  const rank = ctx.shape(0).length;
  const axes = [...new Set(Array.from(ctx.constant(1, 'reduction axes').values, (a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
  const v = ctx.val(0);
  const squared: Val = v.kind === 'const' ? konst(v.dims, v.values.map((x) => x * x), 'float32') : tensor(ctx.map('pow', [v.t], [2]));
  const [s] = ctx.onnx('ReduceSum', [squared], { axes: ints(axes), keepdims: int(keep ? 1 : 0) }, 11);
  if (s.kind === 'const') return [konst(s.dims, s.values.map(Math.sqrt))];
  return [tensor(ctx.map('sqrt', [s.t], [], 'h'))];
};

/** All / Any of 0/1 values: their minimum / maximum. */
const allAny = (onnxOp: string): TfExtractor => (ctx) => {
  const rank = ctx.shape(0).length;
  const axes = [...new Set(Array.from(ctx.constant(1, 'reduction axes').values, (a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
  return ctx.onnx(onnxOp, [ctx.val(0)], { axes: ints(axes), keepdims: int(ctx.bool('keep_dims', false) ? 1 : 0) }, 11);
};

/** NotEqual: not Equal. */
const notEqual: TfExtractor = (ctx) => ctx.onnx('Not', ctx.onnx('Equal', [ctx.val(0), ctx.val(1)]));

/**
 * Select / SelectV2: ONNX's Where, a choice (never c·x + (1 − c)·y, which gives NaN for an infinity
 * not chosen). SelectV2 broadcasts as numpy does; Select's condition of rank 1 under values of
 * higher rank picks whole rows (TF's rule), so it is given trailing axes of length 1 first.
 */
const select: TfExtractor = (ctx) => {
  let c = ctx.val(0);
  const rank = ctx.shape(1).length;
  if (ctx.node.op === 'Select' && ctx.shape(0).length === 1 && rank > 1) {
    c = ctx.onnx('Reshape', [c, konst([rank], [ctx.shape(0)[0], ...new Array<number>(rank - 1).fill(1)])])[0];
  }
  return ctx.onnx('Where', [c, ctx.val(1), ctx.val(2)]);
};

/** Cumsum (exclusive, reverse): ONNX's CumSum. */
const cumsum: TfExtractor = (ctx) =>
  ctx.onnx('CumSum', [ctx.val(0), ctx.constant(1, 'axis')], { exclusive: int(ctx.bool('exclusive', false) ? 1 : 0), reverse: int(ctx.bool('reverse', false) ? 1 : 0) });

/**
 * ArgMax / ArgMin over the axis the second input names: ONNX's ArgMax / ArgMin without keepdims,
 * the first index on ties (as TF's kernels pick it); output_type sets the element type.
 */
const argExtreme = (onnxOp: 'ArgMax' | 'ArgMin'): TfExtractor => (ctx) => {
  const rank = ctx.shape(0).length;
  const dim = ctx.constant(1, 'dimension');
  if (dim.values.length !== 1) return ctx.fail(`takes one axis, found ${dim.values.length}`);
  const axis = dim.values[0] < 0 ? dim.values[0] + rank : dim.values[0];
  return ctx.onnx(onnxOp, [ctx.val(0)], { axis: int(axis), keepdims: int(0), select_last_index: int(0) });
};

/** Einsum: ONNX's Einsum (one operand that transposes, or two multiplied). */
const einsum: TfExtractor = (ctx) => ctx.onnx('Einsum', Array.from({ length: ctx.arity }, (_, i) => ctx.val(i)), { equation: str(ctx.str('equation', '')) });

/**
 * LRN over the channels (the last axis): x / (bias + α·Σ x²)^β, the sum over channels within
 * depth_radius: the squares times a constant band of ones.
 */
const lrn: TfExtractor = (ctx) => {
  const r = ctx.int('depth_radius', 5);
  const bias = ctx.float('bias', 1);
  const alpha = ctx.float('alpha', 1);
  const beta = ctx.float('beta', 0.5);
  const x = ctx.tensor(0);
  const c = x.shape[x.shape.length - 1];
  const band = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) band[i * c + j] = Math.abs(i - j) <= r ? 1 : 0;
  const sum = ctx.op('dense', [ctx.map('pow', [x], [2], '_'), ctx.const('B', [c, c], band)], { pairs: 1, bias: false }, '_')[0];
  const scale = ctx.map('pow', [ctx.map('affine', [sum], [alpha, bias], '_')], [-beta], '_');
  return [tensor(ctx.map('mul', [x, scale]))];
};

/** OneHot along `axis`: on where the index equals the position, off elsewhere (an index out of range gives a row of off). */
const oneHot: TfExtractor = (ctx) => {
  const depth = ctx.constant(1, 'depth').values[0];
  const on = ctx.constant(2, 'on value').values[0];
  const off = ctx.constant(3, 'off value').values[0];
  const idx = ctx.val(0);
  const dims = idx.kind === 'const' ? idx.dims : idx.t.shape;
  const a0 = ctx.int('axis', -1);
  const axis = a0 < 0 ? dims.length + 1 + a0 : a0;
  const outDims = [...dims.slice(0, axis), depth, ...dims.slice(axis)];
  if (idx.kind === 'const') {
    const vals = new Float64Array(sizeOf(outDims)).fill(off);
    const inner = sizeOf(dims.slice(axis));
    idx.values.forEach((v, k) => {
      if (v >= 0 && v < depth) vals[(Math.floor(k / inner) * depth + Math.trunc(v)) * inner + (k % inner)] = on;
    });
    return [konst(outDims, vals)];
  }
  // The indices with a new axis of length 1 at `axis`, compared with 0 … depth − 1 along that axis.
  const lifted = ctx.reshape(idx.t, [...dims.slice(0, axis), 1, ...dims.slice(axis)]);
  const iota = ctx.const('k', [depth, ...new Array<number>(dims.length - axis).fill(1)], Array.from({ length: depth }, (_, i) => i));
  const hit = ctx.map('equal', [lifted, iota], [], '_');
  return [tensor(ctx.map('affine', [hit], [on - off, off]))];
};

/** Zeros / Ones of a constant shape (tfjs-converter's creation ops). */
const filled = (value: number): TfExtractor => (ctx) => {
  const dims = Array.from(ctx.constant(0, 'shape').values);
  return [konst(dims, new Float64Array(sizeOf(dims)).fill(value))];
};

/** LinSpace: num evenly spaced values from start to stop, both included. */
const linSpace: TfExtractor = (ctx) => {
  const start = ctx.constant(0, 'start').values[0];
  const stop = ctx.constant(1, 'stop').values[0];
  const num = ctx.constant(2, 'num').values[0];
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  return [konst([num], Array.from({ length: num }, (_, i) => Math.fround(start + i * step)))];
};

/**
 * Round half to even: r = ⌊x + ½⌋, less 1 where x + ½ is a whole number and r is odd (a tie
 * rounded up to an odd number).
 */
const round: TfExtractor = (ctx) => {
  const v = ctx.val(0);
  if (v.kind === 'const') {
    return [konst(v.dims, v.values.map((x) => {
      const f = Math.floor(x);
      const d = x - f;
      return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
    }))];
  }
  const up = ctx.map('affine', [v.t], [1, 0.5], '_');
  const r = ctx.map('floor', [up], [], '_');
  const tie = ctx.map('equal', [up, r], [], '_');
  const odd = ctx.map('int_mod', [r, ctx.const('two', [], [2])], [], '_');
  return [tensor(ctx.map('sub', [r, ctx.map('mul', [tie, odd], [], '_')]))];
};

/** TF op → extractor for these families. */
export const mathOps: Record<string, TfExtractor> = {
  Round: round,
  PlaceholderWithDefault: (ctx) => [ctx.val(0)],
  FloorMod: floorMod,
  Mod: floorMod,
  FloorDiv: floorDiv,
  Expm1: expm1,
  Log1p: log1p,
  EuclideanNorm: euclideanNorm,
  All: allAny('ReduceMin'),
  Any: allAny('ReduceMax'),
  NotEqual: notEqual,
  LogicalAnd: (ctx) => ctx.onnx('And', [ctx.val(0), ctx.val(1)]),
  LogicalOr: (ctx) => ctx.onnx('Or', [ctx.val(0), ctx.val(1)]),
  LogicalNot: (ctx) => ctx.onnx('Not', [ctx.val(0)]),
  Select: select,
  SelectV2: select,
  Cumsum: cumsum,
  Einsum: einsum,
  ArgMax: argExtreme('ArgMax'),
  ArgMin: argExtreme('ArgMin'),
  LRN: lrn,
  OneHot: oneHot,
  Zeros: filled(0),
  Ones: filled(1),
  LinSpace: linSpace,
};
