import { sizeOf, type T } from '../../tensor/program.js';
import { broadcast, expandValues, strides, tensor, type Const } from '../onnx/context.js';
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


/** Sin … Atanh: ONNX's builders (element-wise on floats, folded on constants). */
const viaOnnx = (onnxOp: string): TfExtractor => (ctx) => ctx.onnx(onnxOp, [ctx.val(0)]);

/**
 * Atan2(y, x), the angle of the point (x, y) in (−π, π]: atan(y/x), plus π for x < 0 and y ≥ 0,
 * less π for x < 0 and y < 0; at x = 0 it is sign(y)·π/2 (0 at the origin), as Math.atan2 and
 * TF's kernel give. Folded on constants (rounded to float32).
 */
const atan2: TfExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  if (a.kind === 'const' && b.kind === 'const') {
    const shape = broadcast(a.dims, b.dims) ?? ctx.fail(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
    const ya = expandValues(a, shape);
    const xb = expandValues(b, shape);
    return [konst(shape, ya.map((y, i) => Math.fround(Math.atan2(y, xb[i]))), 'float32')];
  }
  const y = ctx.tensor(0);
  const x = ctx.tensor(1);
  const base = ctx.map('atan', [ctx.map('div', [y, x], [], '_')], [], '_');
  const turn = ctx.map('mul', [ctx.map('less_than', [x], [0], '_'), ctx.map('affine', [ctx.map('at_least', [y], [0], '_')], [2 * Math.PI, -Math.PI], '_')], [], '_');
  const axis = ctx.map('affine', [ctx.map('sign', [y], [], '_')], [Math.PI / 2, 0], '_');
  const off = ctx.map('add', [base, turn], [], '_');
  return [tensor(ctx.map('where', [ctx.map('equal_to', [x], [0], '_'), axis, off]))];
};

/** The largest float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * IsNan (x ≠ x), IsInf and IsFinite: 0/1, folded on constants. TF computes in float32, so a value
 * past float32's largest is infinite there: IsInf is |x| > FLOAT32_MAX, IsFinite |x| ≤ FLOAT32_MAX
 * (false for NaN), which every target prints as a plain number.
 */
const isClass = (kind: 'nan' | 'inf' | 'finite'): TfExtractor => (ctx) => {
  const f = kind === 'nan' ? Number.isNaN : kind === 'inf' ? (x: number) => Math.abs(x) === Infinity : Number.isFinite;
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(v.dims, v.values.map((x) => (f(x) ? 1 : 0)), 'bool')];
  if (kind === 'nan') return [tensor(ctx.map('not', [ctx.map('equal', [v.t, v.t], [], '_')]), 'bool')];
  const abs = ctx.map('abs', [v.t], [], '_');
  return [tensor(ctx.map(kind === 'inf' ? 'greater_than' : 'at_most', [abs], [FLOAT32_MAX]), 'bool')];
};

/** Longest axis Cumprod multiplies along, one product per element. */
const MAX_CUMPROD_AXIS = 64;

/** Cumprod (exclusive, reverse): slices along the axis, each the running product of the ones before it, joined. */
const cumprod: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const a0 = ctx.constant(1, 'axis').values[0];
  const axis = a0 < 0 ? a0 + dims.length : a0;
  if (axis < 0 || axis >= dims.length) return ctx.fail(`axis ${a0} is out of range for rank ${dims.length}`);
  const exclusive = ctx.bool('exclusive', false);
  const reverse = ctx.bool('reverse', false);
  const d = dims[axis];
  const order = Array.from({ length: d }, (_, i) => (reverse ? d - 1 - i : i));
  const v = ctx.val(0);
  if (v.kind === 'const') {
    const st = strides(dims)[axis];
    const out = new Float64Array(v.values.length);
    for (let base = 0; base < v.values.length; base++) {
      if (Math.floor(base / st) % d !== 0) continue;
      let p = 1;
      for (const i of order) {
        const at = base + i * st;
        if (exclusive) {
          out[at] = p;
          p = Math.fround(p * v.values[at]);
        } else {
          p = Math.fround(p * v.values[at]);
          out[at] = p;
        }
      }
    }
    return [konst(dims, out, 'float32')];
  }
  if (d > MAX_CUMPROD_AXIS) return ctx.fail(`multiplies ${d} computed values along axis ${axis}; nn2eq writes Cumprod out for axes of up to ${MAX_CUMPROD_AXIS}`);
  const slice = (i: number) => ctx.op('slice', [v.t], { begin: dims.map((_, k) => (k === axis ? i : 0)), end: dims.map((n, k) => (k === axis ? i + 1 : n)) }, '_')[0];
  const sliceShape = dims.map((n, k) => (k === axis ? 1 : n));
  const parts = new Array<T>(d);
  let running: T | null = null;
  for (const i of order) {
    const s = slice(i);
    if (exclusive) {
      parts[i] = running ?? ctx.const('one', sliceShape, new Float64Array(sizeOf(sliceShape)).fill(1));
      running = running ? ctx.map('mul', [running, s], [], '_') : s;
    } else {
      running = running ? ctx.map('mul', [running, s], [], '_') : s;
      parts[i] = running;
    }
  }
  return [tensor(d === 1 ? ctx.map('linear', parts) : ctx.op('concat', parts, { axis }, 'h')[0])];
};

/** BitwiseAnd of integers known now (shape arithmetic); of computed values it is refused. */
const bitwiseAnd: TfExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  if (a.kind !== 'const' || b.kind !== 'const') return ctx.fail('takes the bits of computed integers; nn2eq folds it only on constants');
  return [fold2(ctx, a, b, (x, y) => x & y)];
};

/** An index tuple per row of TF's indices: [N, k] (or [N] / a scalar, one coordinate each). */
function tuples(c: Const): Const {
  if (c.dims.length >= 2) return c;
  return konst([c.dims.length === 0 ? 1 : c.dims[0], 1], c.values);
}

/** The flat targets of constant index tuples in `dims` (for telling duplicates apart). */
function flatTargets(ctx: TfContext, idx: Const, dims: readonly number[]): number[] {
  const k = idx.dims[idx.dims.length - 1];
  const st = strides(dims.slice(0, k));
  return Array.from({ length: idx.values.length / k }, (_, j) => {
    let at = 0;
    for (let a = 0; a < k; a++) {
      const i = idx.values[j * k + a];
      if (!Number.isInteger(i) || i < 0 || i >= dims[a]) return ctx.fail(`index ${i} is out of range for axis ${a} of length ${dims[a]}`);
      at += i * st[a];
    }
    return at;
  });
}

/**
 * ScatterNd(indices, updates, shape): zeros of `shape` with the updates written at the constant
 * indices (ONNX's ScatterND); updates at one index add up, as TF says. Constants fold (ScatterND
 * with reduction add); computed updates that meet are first summed per index (the update rows
 * times a constant 0/1 matrix), then written once.
 */
const scatterNd: TfExtractor = (ctx) => {
  const idx = ctx.constant(0, 'indices');
  const dims = Array.from(ctx.constant(2, 'shape').values);
  const targets = flatTargets(ctx, idx, dims);
  const zeros = konst(dims, new Float64Array(sizeOf(dims)), 'float32');
  const unique = [...new Set(targets)];
  const updates = ctx.val(1);
  if (unique.length === targets.length) return ctx.onnx('ScatterND', [zeros, idx, updates]);
  if (updates.kind === 'const') return ctx.onnx('ScatterND', [zeros, idx, updates], { reduction: str('add') }, 16);
  // Rows of updates [U, inner] → [inner, U] · S [U, unique] → [unique, inner], S[j][u] = 1 where update j lands on unique index u.
  const k = idx.dims[idx.dims.length - 1];
  const u = targets.length;
  const inner = sizeOf(dims.slice(k));
  const first = unique.map((t) => targets.indexOf(t));
  const sum = new Float64Array(u * unique.length);
  targets.forEach((t, j) => (sum[j * unique.length + unique.indexOf(t)] = 1));
  const rows = ctx.transpose(ctx.reshape(updates.t, [u, inner]), [1, 0]);
  const summed = ctx.op('dense', [rows, ctx.const('S', [u, unique.length], sum)], { pairs: 1, bias: false }, '_')[0];
  const back = ctx.reshape(ctx.transpose(summed, [1, 0]), [unique.length, ...dims.slice(k)]);
  const uidx = konst([unique.length, k], first.flatMap((j) => Array.from(idx.values.slice(j * k, j * k + k))));
  return ctx.onnx('ScatterND', [zeros, uidx, tensor(back)]);
};

/** TensorScatterUpdate(tensor, indices, updates): ONNX's ScatterND (of one index updated twice, the later wins). */
const tensorScatterUpdate: TfExtractor = (ctx) => ctx.onnx('ScatterND', [ctx.val(0), ctx.constant(1, 'indices'), ctx.val(2)]);

/** SparseToDense(indices, shape, values, default): `default` everywhere but at the indices (ONNX's ScatterND); a scalar value goes to every index. */
const sparseToDense: TfExtractor = (ctx) => {
  const idx = tuples(ctx.constant(0, 'sparse indices'));
  const dims = Array.from(ctx.constant(1, 'output shape').values);
  const fill = ctx.constant(3, 'default value').values[0];
  const n = idx.dims[0];
  let values = ctx.val(2);
  const vdims = values.kind === 'const' ? values.dims : values.t.shape;
  if (vdims.length === 0) values = ctx.onnx('Expand', [values, konst([1], [n])])[0];
  const base = konst(dims, new Float64Array(sizeOf(dims)).fill(fill), 'float32');
  return ctx.onnx('ScatterND', [base, idx, values]);
};

/**
 * LowerBound / UpperBound (tf.searchSorted): for each value, how many elements of its row of the
 * sorted sequence are below it (LowerBound) or at most it (UpperBound): a comparison of every
 * pair, summed over the sequence.
 */
const bound = (upper: boolean): TfExtractor => (ctx) => {
  const sd = ctx.shape(0);
  const vd = ctx.shape(1);
  if (sd.length !== vd.length || sd.slice(0, -1).some((d, i) => d !== vd[i])) return ctx.fail(`the sorted sequence [${sd.join(', ')}] and the values [${vd.join(', ')}] must have the same leading axes`);
  const lead = sd.slice(0, -1);
  const n = sd[sd.length - 1];
  const m = vd[vd.length - 1];
  const seq = ctx.onnx('Reshape', [ctx.val(0), konst([lead.length + 2], [...lead, 1, n])], { allowzero: int(1) })[0];
  const vals = ctx.onnx('Reshape', [ctx.val(1), konst([lead.length + 2], [...lead, m, 1])], { allowzero: int(1) })[0];
  const [hit] = ctx.onnx(upper ? 'LessOrEqual' : 'Less', [seq, vals]);
  const [asNumber] = ctx.onnx('Cast', [hit], { to: int(6) });
  return ctx.onnx('ReduceSum', [asNumber], { axes: ints([lead.length + 1]), keepdims: int(0) }, 11);
};

/**
 * Bincount / DenseBincount with a constant size: per bin k, Σᵢ wᵢ·[xᵢ = k] (wᵢ = 1 without
 * weights); binary_output gives [any xᵢ = k]. A rank-2 input counts per row (DenseBincount).
 */
const bincount: TfExtractor = (ctx) => {
  const size = ctx.constant(1, 'size').values[0];
  const xd = ctx.shape(0);
  const binary = ctx.bool('binary_output', false);
  const weighted = ctx.arity > 2 && sizeOf(ctx.shape(2)) > 0 && !binary;
  const r = xd.length;
  const x = ctx.onnx('Reshape', [ctx.val(0), konst([r + 1], [...xd, 1])], { allowzero: int(1) })[0];
  const bins = konst([size], Array.from({ length: size }, (_, i) => i), 'int32');
  const [hit] = ctx.onnx('Equal', [x, bins]);
  let [counts] = ctx.onnx('Cast', [hit], { to: int(1) });
  if (weighted) {
    const w = ctx.onnx('Reshape', [ctx.val(2), konst([r + 1], [...ctx.shape(2), 1])], { allowzero: int(1) })[0];
    [counts] = ctx.onnx('Mul', [counts, w]);
  }
  return ctx.onnx(binary ? 'ReduceMax' : 'ReduceSum', [counts], { axes: ints([r - 1]), keepdims: int(0) }, 11);
};


/**
 * SparseSegmentSum / SparseSegmentMean with constant indices and segment ids: row s of the output
 * is the sum (or mean; 0 for an empty segment) of the rows data[indices[i]] whose segment_ids[i]
 * is s, for s up to the last id: the picked rows times a constant matrix of 1 (or 1/count).
 */
const sparseSegment = (mean: boolean): TfExtractor => (ctx) => {
  const dims = ctx.shape(0);
  const idx = ctx.constant(1, 'indices');
  const seg = Array.from(ctx.constant(2, 'segment ids').values);
  const k = seg.length;
  if (idx.values.length !== k) return ctx.fail(`${idx.values.length} indices and ${k} segment ids; expected one of each per row`);
  if (seg.some((s, i) => s < 0 || (i > 0 && s < seg[i - 1]))) return ctx.fail('segment ids must be non-negative and sorted');
  const n = k === 0 ? 0 : seg[k - 1] + 1;
  const inner = sizeOf(dims.slice(1));
  const count = new Array<number>(n).fill(0);
  for (const s of seg) count[s]++;
  const w = new Float64Array(k * n);
  seg.forEach((s, i) => (w[i * n + s] = mean ? 1 / count[s] : 1));
  const [rows] = ctx.onnx('Gather', [ctx.val(0), konst([k], idx.values)], { axis: int(0) });
  const [flat] = ctx.onnx('Reshape', [rows, konst([2], [k, inner])], { allowzero: int(1) });
  const [t] = ctx.onnx('Transpose', [flat], { perm: ints([1, 0]) });
  const tt = t.kind === 'tensor' ? t.t : ctx.const('r', t.dims, t.values);
  const summed = ctx.op('dense', [tt, ctx.const('S', [k, n], w)], { pairs: 1, bias: false }, '_')[0];
  return [tensor(ctx.reshape(ctx.transpose(summed, [1, 0]), [n, ...dims.slice(1)], 'h'))];
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
  Sin: viaOnnx('Sin'),
  Cos: viaOnnx('Cos'),
  Tan: viaOnnx('Tan'),
  Asin: viaOnnx('Asin'),
  Acos: viaOnnx('Acos'),
  Atan: viaOnnx('Atan'),
  Sinh: viaOnnx('Sinh'),
  Cosh: viaOnnx('Cosh'),
  Asinh: viaOnnx('Asinh'),
  Acosh: viaOnnx('Acosh'),
  Atanh: viaOnnx('Atanh'),
  Atan2: atan2,
  IsNan: isClass('nan'),
  IsInf: isClass('inf'),
  IsFinite: isClass('finite'),
  Cumprod: cumprod,
  BitwiseAnd: bitwiseAnd,
  ScatterNd: scatterNd,
  TensorScatterUpdate: tensorScatterUpdate,
  SparseToDense: sparseToDense,
  LowerBound: bound(false),
  UpperBound: bound(true),
  Bincount: bincount,
  DenseBincount: bincount,
  SparseSegmentSum: sparseSegment(false),
  SparseSegmentMean: sparseSegment(true),
};
