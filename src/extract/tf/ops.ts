import type { FnName } from '../../tensor/functions.js';
import type { T } from '../../tensor/program.js';
import { sizeOf } from '../../tensor/program.js';
import { broadcast, expandValues, permute, strides, tensor, type Const } from '../onnx/context.js';
import { konst, float, int, ints, str, type TfContext, type TfExtractor, type Val } from './context.js';
import { convOps } from './conv.js';
import { mathOps } from './math.js';

/**
 * The one registry of TF op extractors, keyed by TF op name. An op that means what an ONNX op
 * means runs ONNX's builder (ctx.onnx); what is TF's own (StridedSlice's masks, Pack, integer
 * shape arithmetic with TF's truncating division) is written here. Constants fold at build time.
 */

const isInt = (dtype: string) => dtype.startsWith('int') || dtype.startsWith('uint') || dtype === 'bool';

/** Folds a binary op over two constants with broadcasting. */
function foldBinary(ctx: TfContext, a: Const, b: Const, f: (x: number, y: number) => number): Const {
  const shape = broadcast(a.dims, b.dims) ?? ctx.fail(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
  const xa = expandValues(a, shape);
  const xb = expandValues(b, shape);
  return konst(shape, xa.map((v, i) => f(v, xb[i])));
}

/** A binary op: folded on constants (in integers when the inputs are), else ONNX's builder. */
function binary(onnxOp: string, f: (x: number, y: number, ints: boolean) => number): TfExtractor {
  return (ctx) => {
    const a = ctx.val(0);
    const b = ctx.val(1);
    if (a.kind === 'const' && b.kind === 'const') {
      const ints = isInt(ctx.dtype(0));
      return [foldBinary(ctx, a, b, (x, y) => (ints ? Math.trunc(f(x, y, true)) | 0 : Math.fround(f(x, y, false))))];
    }
    return ctx.onnx(onnxOp, [a, b]);
  };
}

/** A unary op: folded on constants, else a `map` of the ELEMENTWISE table. */
function unary(fn: FnName | null, f: (x: number) => number, params: (ctx: TfContext) => number[] = () => []): TfExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    if (v.kind === 'const') return [konst(v.dims, v.values.map(f))];
    if (fn === null) return ctx.fail('applies a step function to computed values; the result is not a formula nn2eq writes', 'nn2eq folds it only on constants');
    return [tensor(ctx.map(fn, [v.t], params(ctx)))];
  };
}

const pass: TfExtractor = (ctx) => [ctx.val(0)];

/** ONNX's DataType number of each TF dtype a Cast may target. */
const ONNX_TYPE: Readonly<Record<string, number>> = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16 };

/** Cast: ONNX's Cast (float → int truncates, as TF's Cast does without `Truncate`; bool is x ≠ 0). */
const cast: TfExtractor = (ctx) => {
  const v = ctx.val(0);
  const to = ctx.attr('DstT');
  const target = to?.kind === 'type' ? to.value : 'float32';
  if (v.kind === 'const') {
    if (target === 'bool') return [konst(v.dims, v.values.map((x) => (x !== 0 ? 1 : 0)))];
    if (isInt(target)) return [konst(v.dims, v.values.map((x) => Math.trunc(x)))];
    return [v];
  }
  const code = ONNX_TYPE[target];
  if (code === undefined) return ctx.fail(`casts to ${target}, which nn2eq does not compute with`);
  return ctx.onnx('Cast', [v], { to: int(code) });
};

/** Reduction axes from input 1 (a scalar or a list), made non-negative. */
function axesOf(ctx: TfContext, rank: number): number[] {
  const c = ctx.constant(1, 'reduction axes');
  return [...new Set(Array.from(c.values, (a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

/** Folds a reduction of a constant. */
function reduceConst(v: Const, axes: readonly number[], keep: boolean, f: (xs: number[]) => number): Const {
  const dims = v.dims;
  const out = dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  const st = strides(dims);
  const os = strides(out);
  for (let i = 0; i < v.values.length; i++) {
    let at = 0;
    let rest = i;
    for (let k = 0; k < dims.length; k++) {
      const q = Math.floor(rest / st[k]);
      rest -= q * st[k];
      if (!axes.includes(k)) at += q * os[k];
    }
    const g = groups.get(at) ?? [];
    g.push(v.values[i]);
    groups.set(at, g);
  }
  const values = Array.from({ length: sizeOf(out) }, (_, i) => f(groups.get(i) ?? []));
  return konst(keep ? out : dims.filter((_, i) => !axes.includes(i)), values);
}

function reduce(onnxOp: string | null, f: (xs: number[]) => number): TfExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    const rank = ctx.shape(0).length;
    const axes = axesOf(ctx, rank);
    const keep = ctx.bool('keep_dims', false);
    // Folded in integers when the input is (as binary does): a Sum wraps, a Mean truncates, as TF computes.
    if (v.kind === 'const') return [reduceConst(v, axes, keep, isInt(ctx.dtype(0)) ? (xs) => Math.trunc(f(xs)) | 0 : f)];
    if (axes.length === 0) return [v];
    if (onnxOp === null) return [prodOf(ctx, v.t, axes, keep)];
    return ctx.onnx(onnxOp, [v], { axes: ints(axes), keepdims: int(keep ? 1 : 0) }, 11);
  };
}

/** Longest axis Prod multiplies out element by element. */
const MAX_PROD_AXIS = 64;

/** Prod of computed values: per axis, the product of its slices (one `mul` map), then the axes dropped unless kept. */
function prodOf(ctx: TfContext, x: T, axes: readonly number[], keep: boolean): Val {
  let t = x;
  for (const axis of axes) {
    const d = t.shape[axis];
    if (d > MAX_PROD_AXIS) return ctx.fail(`multiplies ${d} computed values along axis ${axis}; nn2eq writes Prod out for axes of up to ${MAX_PROD_AXIS}`);
    if (d === 1) continue;
    const slices = Array.from({ length: d }, (_, i) => ctx.op('slice', [t], { begin: t.shape.map((_, k) => (k === axis ? i : 0)), end: t.shape.map((n, k) => (k === axis ? i + 1 : n)) }, '_')[0]);
    t = ctx.map('mul', slices);
  }
  return tensor(keep ? t : ctx.reshape(t, t.shape.filter((_, k) => !axes.includes(k)), 'h'));
}

/** TF's StridedSlice with all five masks, as a box per axis; steps other than ±1 fold on constants only. */
const stridedSlice: TfExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = ctx.shape(0);
  const begin = Array.from(ctx.constant(1, 'begin').values);
  const end = Array.from(ctx.constant(2, 'end').values);
  const step = Array.from(ctx.constant(3, 'strides').values);
  const bm = ctx.int('begin_mask', 0);
  const em = ctx.int('end_mask', 0);
  const ellipsis = ctx.int('ellipsis_mask', 0);
  const newAxis = ctx.int('new_axis_mask', 0);
  const shrink = ctx.int('shrink_axis_mask', 0);
  // Expand the spec to one entry per input axis (the ellipsis covers the axes the spec leaves out).
  const n = begin.length;
  let specAxes = 0;
  for (let i = 0; i < n; i++) if (!(newAxis & (1 << i)) && !(ellipsis & (1 << i))) specAxes++;
  const box: { b: number; e: number; s: number; shrink: boolean }[] = [];
  const outShape: number[] = [];
  const finalShape: number[] = [];
  let axis = 0;
  for (let i = 0; i < n; i++) {
    if (ellipsis & (1 << i)) {
      for (let k = 0; k < dims.length - specAxes; k++) {
        box.push({ b: 0, e: dims[axis], s: 1, shrink: false });
        outShape.push(dims[axis]);
        finalShape.push(dims[axis]);
        axis++;
      }
      continue;
    }
    if (newAxis & (1 << i)) {
      finalShape.push(1);
      continue;
    }
    const d = dims[axis];
    const s = step[i];
    if (s === 0) return ctx.fail('a stride of 0');
    const norm = (x: number, lo: number, hi: number) => Math.min(Math.max(x < 0 ? x + d : x, lo), hi);
    let b0: number;
    let e0: number;
    if (shrink & (1 << i)) {
      b0 = begin[i] < 0 ? begin[i] + d : begin[i];
      if (b0 < 0 || b0 >= d) return ctx.fail(`index ${begin[i]} is out of range for an axis of length ${d}`);
      box.push({ b: b0, e: b0 + 1, s: 1, shrink: true });
      outShape.push(1);
      axis++;
      continue;
    }
    if (s > 0) {
      b0 = bm & (1 << i) ? 0 : norm(begin[i], 0, d);
      e0 = em & (1 << i) ? d : norm(end[i], 0, d);
    } else {
      b0 = bm & (1 << i) ? d - 1 : norm(begin[i], -1, d - 1);
      e0 = em & (1 << i) ? -1 : norm(end[i], -1, d - 1);
    }
    const len = Math.max(0, Math.ceil((e0 - b0) / s));
    box.push({ b: b0, e: e0, s, shrink: false });
    outShape.push(len);
    finalShape.push(len);
    axis++;
  }
  for (; axis < dims.length; axis++) {
    box.push({ b: 0, e: dims[axis], s: 1, shrink: false });
    outShape.push(dims[axis]);
    finalShape.push(dims[axis]);
  }
  if (v.kind === 'const') {
    const st = strides(dims);
    const os = strides(outShape);
    const vals = new Float64Array(sizeOf(outShape));
    for (let o = 0; o < vals.length; o++) {
      let at = 0;
      let rest = o;
      for (let k = 0; k < dims.length; k++) {
        const q = Math.floor(rest / os[k]);
        rest -= q * os[k];
        at += (box[k].b + q * box[k].s) * st[k];
      }
      vals[o] = v.values[at];
    }
    return [konst(finalShape, vals)];
  }
  if (sizeOf(outShape) === 0) return [konst(finalShape, [])];
  const steps = box.filter((x) => x.s !== 1 && x.s !== -1);
  if (steps.length === 0) {
    const starts = box.map((x) => x.b);
    // ONNX counts a negative end from the back: 'before the first element' is −(d+1).
    const ends = box.map((x, k) => (x.e < 0 ? -(dims[k] + 1) : x.e));
    const r = box.length;
    const [y] = ctx.onnx('Slice', [v, konst([r], starts), konst([r], ends), konst([r], box.map((_, k) => k)), konst([r], box.map((x) => x.s))]);
    return ctx.onnx('Reshape', [y, konst([finalShape.length], finalShape)], { allowzero: int(1) });
  }
  // Strides past ±1: per axis, reverse for a negative stride, cut the span, pad it to len·s, view it as [len, s] and keep the first column.
  let t = v.t;
  box.forEach((x, k) => {
    const d = t.shape[k];
    const len = outShape[k];
    let b = x.b;
    let s = x.s;
    if (s < 0) {
      t = ctx.op('reverse', [t], { axis: k }, '_')[0];
      b = d - 1 - b;
      s = -s;
    }
    const span = (len - 1) * s + 1;
    if (b !== 0 || span !== d) t = ctx.op('slice', [t], { begin: t.shape.map((_, i) => (i === k ? b : 0)), end: t.shape.map((n, i) => (i === k ? b + span : n)) }, '_')[0];
    if (s === 1 || len === 1) return;
    const padded = ctx.op('pad', [t], { before: t.shape.map(() => 0), after: t.shape.map((_, i) => (i === k ? s - 1 : 0)) }, '_')[0];
    const viewed = ctx.reshape(padded, [...t.shape.slice(0, k), len, s, ...t.shape.slice(k + 1)]);
    const first = ctx.op('slice', [viewed], { begin: viewed.shape.map(() => 0), end: viewed.shape.map((n, i) => (i === k + 1 ? 1 : n)) }, '_')[0];
    t = ctx.reshape(first, [...t.shape.slice(0, k), len, ...t.shape.slice(k + 1)]);
  });
  return [tensor(ctx.reshape(t, finalShape, 'h'))];
};

/** Pack: each value given a new axis, then ONNX's Concat. */
const pack: TfExtractor = (ctx) => {
  const rank = ctx.shape(0).length + 1;
  const a0 = ctx.int('axis', 0);
  const axis = a0 < 0 ? a0 + rank : a0;
  const parts = Array.from({ length: ctx.arity }, (_, i) => ctx.onnx('Unsqueeze', [ctx.val(i)], { axes: ints([axis]) }, 11)[0]);
  return ctx.onnx('Concat', parts, { axis: int(axis) });
};

/** Unpack: one slice per element of `axis`, that axis dropped. */
const unpack: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const a0 = ctx.int('axis', 0);
  const axis = a0 < 0 ? a0 + dims.length : a0;
  return Array.from({ length: dims[axis] }, (_, k) => {
    const [s] = ctx.onnx('Slice', [ctx.val(0), konst([1], [k]), konst([1], [k + 1]), konst([1], [axis])]);
    return ctx.onnx('Squeeze', [s], { axes: ints([axis]) }, 11)[0];
  });
};

/** TF pads [[before, after], …] as ONNX's [befores…, afters…]. */
function padList(c: Const): number[] {
  const r = c.values.length / 2;
  return [...Array.from({ length: r }, (_, i) => c.values[2 * i]), ...Array.from({ length: r }, (_, i) => c.values[2 * i + 1])];
}

const padOp: TfExtractor = (ctx) => {
  const pads = padList(ctx.constant(1, 'paddings'));
  const args: Val[] = [ctx.val(0), konst([pads.length], pads)];
  if (ctx.arity > 2) args.push(ctx.constant(2, 'constant value'));
  return ctx.onnx('Pad', args);
};

/**
 * MirrorPad: REFLECT is ONNX's reflect Pad (the edge not repeated); SYMMETRIC repeats the edge:
 * per axis, the first pb and last pe elements reversed, on either side.
 */
const mirrorPad: TfExtractor = (ctx) => {
  const mode = ctx.str('mode', 'REFLECT');
  const pads = padList(ctx.constant(1, 'paddings'));
  if (mode === 'REFLECT') return ctx.onnx('Pad', [ctx.val(0), konst([pads.length], pads)], { mode: str('reflect') });
  if (mode !== 'SYMMETRIC') return ctx.fail(`mode '${mode}' is not REFLECT or SYMMETRIC`);
  const r = pads.length / 2;
  let t = ctx.tensor(0);
  for (let a = 0; a < r; a++) {
    const [pb, pe] = [pads[a], pads[a + r]];
    const d = t.shape[a];
    if (pb > d || pe > d || pb < 0 || pe < 0) return ctx.fail(`SYMMETRIC pads of ${Math.max(pb, pe)} on an axis of length ${d}`);
    if (pb === 0 && pe === 0) continue;
    const cut = (from: number, to: number): T => {
      const s = ctx.op('slice', [t], { begin: t.shape.map((_, k) => (k === a ? from : 0)), end: t.shape.map((n, k) => (k === a ? to : n)) }, '_')[0];
      return to - from > 1 ? ctx.op('reverse', [s], { axis: a }, '_')[0] : s;
    };
    const parts = [...(pb > 0 ? [cut(0, pb)] : []), t, ...(pe > 0 ? [cut(d - pe, d)] : [])];
    t = ctx.op('concat', parts, { axis: a }, '_')[0];
  }
  return [tensor(ctx.map('linear', [t]))];
};

const concatV2: TfExtractor = (ctx) => {
  const n = ctx.arity - 1;
  const rank = ctx.shape(0).length;
  const a = ctx.constant(n, 'axis').values[0];
  return ctx.onnx('Concat', Array.from({ length: n }, (_, i) => ctx.val(i)), { axis: int(a < 0 ? a + rank : a) });
};

const reshape: TfExtractor = (ctx) => {
  const shape = ctx.constant(1, 'shape');
  return ctx.onnx('Reshape', [ctx.val(0), konst([shape.values.length], shape.values)], { allowzero: int(1) });
};

const expandDims: TfExtractor = (ctx) => {
  const a = ctx.constant(1, 'axis').values[0];
  const rank = ctx.shape(0).length + 1;
  return ctx.onnx('Unsqueeze', [ctx.val(0)], { axes: ints([a < 0 ? a + rank : a]) }, 11);
};

const squeeze: TfExtractor = (ctx) => {
  const axes = ctx.ints('squeeze_dims') ?? ctx.ints('axis') ?? [];
  return ctx.onnx('Squeeze', [ctx.val(0)], axes.length > 0 ? { axes: ints(axes) } : {}, 11);
};

const transpose: TfExtractor = (ctx) => ctx.onnx('Transpose', [ctx.val(0)], { perm: ints(Array.from(ctx.constant(1, 'perm').values)) });

/**
 * Rows of `table` (a value of shape [...lead, ...inner], lead flattened to rows) picked by the
 * computed flat ids `ids`: the program's `gather` from a constant table, `gather_rows` from a
 * computed one. Returns [...ids, ...inner].
 */
function pickRows(ctx: TfContext, table: Val, lead: readonly number[], inner: readonly number[], ids: Val): Val[] {
  const idsT = ids.kind === 'tensor' ? ids.t : ctx.const('i', ids.dims, ids.values);
  const rows = sizeOf(lead);
  const cols = sizeOf(inner);
  const y =
    table.kind === 'const'
      ? ctx.op('gather', [idsT, ctx.const('E', [rows, cols], table.values)], {}, '_')[0]
      : ctx.op('gather_rows', [ctx.reshape(table.t, [rows, cols]), idsT], {}, '_')[0];
  return [tensor(ctx.reshape(y, [...idsT.shape, ...inner], 'h'))];
}

const gatherV2: TfExtractor = (ctx) => {
  if (ctx.int('batch_dims', 0) !== 0) return ctx.fail('batch_dims ≠ 0 is not supported');
  const dims = ctx.shape(0);
  const rank = dims.length;
  const a0 = ctx.arity > 2 ? ctx.constant(2, 'axis').values[0] : 0;
  const axis = a0 < 0 ? a0 + rank : a0;
  // ONNX's Gather: constant indices fold or slice; computed ones pick rows (gather_rows).
  return ctx.onnx('Gather', [ctx.val(0), ctx.val(1)], { axis: int(axis) });
};

/**
 * GatherNd: every index tuple (the last axis of the indices) picks a slice of the leading axes.
 * Constant indices fold to flat positions for ONNX's Gather; computed ones are flattened in the
 * program (Σⱼ index[j]·stride[j], one dense product) and picked as rows.
 */
const gatherNd: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const idx = ctx.val(1);
  const idims = idx.kind === 'const' ? idx.dims : idx.t.shape;
  const k = idims[idims.length - 1];
  const lead = dims.slice(0, k);
  const st = strides(lead);
  if (idx.kind === 'tensor') {
    const flat = ctx.op('dense', [idx.t, ctx.const('s', [k, 1], st)], { pairs: 1, bias: false }, '_')[0];
    const ids = ctx.reshape(flat, idims.slice(0, -1));
    return pickRows(ctx, ctx.val(0), lead, dims.slice(k), tensor(ids));
  }
  const count = idx.values.length / k;
  const flat = Array.from({ length: count }, (_, i) => {
    let at = 0;
    for (let j = 0; j < k; j++) {
      const x = idx.values[i * k + j];
      at += (x < 0 ? x + lead[j] : x) * st[j];
    }
    return at;
  });
  const [r] = ctx.onnx('Reshape', [ctx.val(0), konst([1 + dims.length - k], [sizeOf(lead), ...dims.slice(k)])], { allowzero: int(1) });
  const [g] = ctx.onnx('Gather', [r, konst([count], flat)], { axis: int(0) });
  return ctx.onnx('Reshape', [g, konst([idx.dims.length - 1 + dims.length - k], [...idx.dims.slice(0, -1), ...dims.slice(k)])], { allowzero: int(1) });
};

const sliceOp: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const begin = Array.from(ctx.constant(1, 'begin').values);
  const size = Array.from(ctx.constant(2, 'size').values);
  const end = size.map((s, i) => (s === -1 ? dims[i] : begin[i] + s));
  return ctx.onnx('Slice', [ctx.val(0), konst([begin.length], begin), konst([end.length], end)]);
};

const softmax = (op: string): TfExtractor => (ctx) => ctx.onnx(op, [ctx.val(0)], { axis: int(-1) });

const shape: TfExtractor = (ctx) => [konst([ctx.shape(0).length], ctx.shape(0))];

const fill: TfExtractor = (ctx) => {
  const dims = Array.from(ctx.constant(0, 'shape').values);
  return [konst(dims, new Float64Array(sizeOf(dims)).fill(ctx.constant(1, 'value').values[0]))];
};

const like = (value: number): TfExtractor => (ctx) => [konst(ctx.shape(0), new Float64Array(sizeOf(ctx.shape(0))).fill(value))];

const tile: TfExtractor = (ctx) => ctx.onnx('Tile', [ctx.val(0), ctx.constant(1, 'multiples')]);

const range: TfExtractor = (ctx) => ctx.onnx('Range', [ctx.constant(0, 'start'), ctx.constant(1, 'limit'), ctx.constant(2, 'delta')]);

const splitOp = (sizesFrom: 'num' | 'v'): TfExtractor => (ctx) => {
  const xi = sizesFrom === 'num' ? 1 : 0;
  const ai = sizesFrom === 'num' ? 0 : 2;
  const dims = ctx.shape(xi);
  const a0 = ctx.constant(ai, 'axis').values[0];
  const axis = a0 < 0 ? a0 + dims.length : a0;
  let sizes: number[];
  if (sizesFrom === 'num') {
    const n = ctx.int('num_split', 1);
    sizes = Array.from({ length: n }, () => dims[axis] / n);
  } else {
    sizes = Array.from(ctx.constant(1, 'sizes').values);
    const unknown = sizes.indexOf(-1);
    if (unknown >= 0) sizes[unknown] = dims[axis] - sizes.reduce((s, x, i) => (i === unknown ? s : s + x), 0);
  }
  return ctx.onnx('Split', [ctx.val(xi), konst([sizes.length], sizes)], { axis: int(axis) });
};

const addN: TfExtractor = (ctx) => {
  const vals = Array.from({ length: ctx.arity }, (_, i) => ctx.val(i));
  return ctx.onnx('Sum', vals);
};

const square: TfExtractor = (ctx) => {
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(v.dims, v.values.map((x) => x * x))];
  return [tensor(ctx.map('pow', [v.t], [2]))];
};

const prelu: TfExtractor = (ctx) => ctx.onnx('PRelu', [ctx.val(0), ctx.val(1)]);

const leakyRelu: TfExtractor = (ctx) => ctx.onnx('LeakyRelu', [ctx.val(0)], { alpha: float(ctx.float('alpha', 0.2)) });

/** BiasAdd: the bias along the channels, which are axis 1 under data_format NCHW. */
const biasAdd: TfExtractor = (ctx) => {
  if (ctx.str('data_format', 'NHWC') !== 'NCHW') return binary('Add', (x, y) => x + y)(ctx);
  const rank = ctx.shape(0).length;
  const b = ctx.val(1);
  const bd = b.kind === 'const' ? b.dims : b.t.shape;
  const [bc] = ctx.onnx('Reshape', [b, konst([rank - 1], [bd[0], ...new Array<number>(rank - 2).fill(1)])], { allowzero: int(1) });
  return ctx.onnx('Add', [ctx.val(0), bc]);
};

/** A comparison or selection, folded on constants (shape arithmetic); ONNX's builders refuse computed operands. */
const compare = (onnxOp: string): TfExtractor => (ctx) => ctx.onnx(onnxOp, [ctx.val(0), ctx.val(1)]);

const TRUNC_DIV = (x: number, y: number, ints: boolean) => (ints ? Math.trunc(x / y) : x / y);

/** The elements of `axes` in reverse order (Reverse's bool list, ReverseV2's axes). */
const reverse = (from: 'dims' | 'axes'): TfExtractor => (ctx) => {
  const dims = ctx.shape(0);
  const c = Array.from(ctx.constant(1, from === 'dims' ? 'axes to reverse' : 'axes').values);
  const axes = from === 'dims' ? c.map((b, i) => (b ? i : -1)).filter((i) => i >= 0) : c.map((a) => (a < 0 ? a + dims.length : a));
  const v = ctx.val(0);
  if (v.kind === 'const') {
    const st = strides(dims);
    const vals = new Float64Array(v.values.length);
    for (let o = 0; o < vals.length; o++) {
      let at = 0;
      for (let k = 0; k < dims.length; k++) {
        const q = Math.floor(o / st[k]) % dims[k];
        at += (axes.includes(k) ? dims[k] - 1 - q : q) * st[k];
      }
      vals[o] = v.values[at];
    }
    return [konst(dims, vals)];
  }
  let t = v.t;
  for (const axis of new Set(axes)) if (dims[axis] > 1) t = ctx.op('reverse', [t], { axis }, 'h')[0];
  return [tensor(t)];
};

/** MatrixBandPart: the last two axes kept within num_lower below and num_upper above the diagonal (−1: all), as a constant mask. */
const matrixBandPart: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const lower = ctx.constant(1, 'num_lower').values[0];
  const upper = ctx.constant(2, 'num_upper').values[0];
  const [n, m] = dims.slice(-2);
  const mask = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mask[i * m + j] = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper) ? 1 : 0;
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(dims, v.values.map((x, i) => x * mask[i % (n * m)]))];
  return [tensor(ctx.map('mul', [v.t, ctx.const('L', [n, m], mask)]))];
};

/** SpaceToBatchND: pad the spatial axes, cut each into blocks, move the block offsets in front of the batch. */
const spaceToBatch: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const block = Array.from(ctx.constant(1, 'block shape').values);
  const pads = Array.from(ctx.constant(2, 'paddings').values);
  const m = block.length;
  const rest = dims.slice(1 + m);
  const full = [0, 0, ...pads, ...rest.flatMap(() => [0, 0])];
  const [padded] = ctx.onnx('Pad', [ctx.val(0), konst([full.length], [...Array.from({ length: dims.length }, (_, i) => full[2 * i]), ...Array.from({ length: dims.length }, (_, i) => full[2 * i + 1])])]);
  const spatial = block.map((b, i) => dims[1 + i] + pads[2 * i] + pads[2 * i + 1]);
  if (spatial.some((d, i) => d % block[i] !== 0)) return ctx.fail(`padded spatial size [${spatial.join(', ')}] is not a multiple of the block [${block.join(', ')}]`);
  const split = [dims[0], ...spatial.flatMap((d, i) => [d / block[i], block[i]]), ...rest];
  const [r1] = ctx.onnx('Reshape', [padded, konst([split.length], split)], { allowzero: int(1) });
  const perm = [...block.map((_, i) => 2 + 2 * i), 0, ...block.map((_, i) => 1 + 2 * i), ...rest.map((_, i) => 1 + 2 * m + i)];
  const [t] = ctx.onnx('Transpose', [r1], { perm: ints(perm) });
  const out = [dims[0] * block.reduce((a, b) => a * b, 1), ...spatial.map((d, i) => d / block[i]), ...rest];
  return ctx.onnx('Reshape', [t, konst([out.length], out)], { allowzero: int(1) });
};

/** BatchToSpaceND: the inverse: block offsets out of the batch into the spatial axes, then the crops cut off. */
const batchToSpace: TfExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const block = Array.from(ctx.constant(1, 'block shape').values);
  const crops = Array.from(ctx.constant(2, 'crops').values);
  const m = block.length;
  const prod = block.reduce((a, b) => a * b, 1);
  const batch = dims[0] / prod;
  const spatial = dims.slice(1, 1 + m);
  const rest = dims.slice(1 + m);
  const split = [...block, batch, ...spatial, ...rest];
  const [r1] = ctx.onnx('Reshape', [ctx.val(0), konst([split.length], split)], { allowzero: int(1) });
  const perm = [m, ...spatial.flatMap((_, i) => [m + 1 + i, i]), ...rest.map((_, i) => 2 * m + 1 + i)];
  const [t] = ctx.onnx('Transpose', [r1], { perm: ints(perm) });
  const grown = [batch, ...spatial.map((d, i) => d * block[i]), ...rest];
  const [r2] = ctx.onnx('Reshape', [t, konst([grown.length], grown)], { allowzero: int(1) });
  const r = grown.length;
  const starts = grown.map((_, i) => (i >= 1 && i <= m ? crops[2 * (i - 1)] : 0));
  const ends = grown.map((d, i) => (i >= 1 && i <= m ? d - crops[2 * (i - 1) + 1] : d));
  if (starts.every((b) => b === 0) && ends.every((e, i) => e === grown[i])) return [r2];
  return ctx.onnx('Slice', [r2, konst([r], starts), konst([r], ends), konst([r], grown.map((_, i) => i))]);
};

/** ShapeN: the shape of each input. */
const shapeN: TfExtractor = (ctx) => Array.from({ length: ctx.arity }, (_, i) => konst([ctx.shape(i).length], ctx.shape(i)));

/** BroadcastArgs: the broadcast of two constant shapes. */
const broadcastArgs: TfExtractor = (ctx) => {
  const a = Array.from(ctx.constant(0, 'shape').values);
  const b = Array.from(ctx.constant(1, 'shape').values);
  const s = broadcast(a, b) ?? ctx.fail(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  return [konst([s.length], s)];
};

/** Concat (axis first, the older form of ConcatV2). */
const concatV1: TfExtractor = (ctx) => {
  const rank = ctx.shape(1).length;
  const a = ctx.constant(0, 'axis').values[0];
  return ctx.onnx('Concat', Array.from({ length: ctx.arity - 1 }, (_, i) => ctx.val(i + 1)), { axis: int(a < 0 ? a + rank : a) });
};

/** DivNoNan: x / y, and 0 where y = 0 (a choice, so the infinity of x / 0 never reaches the result). */
const divNoNan: TfExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  if (a.kind === 'const' && b.kind === 'const') return binary('Div', (x, y) => (y === 0 ? 0 : x / y))(ctx);
  const [q] = ctx.onnx('Div', [a, b]);
  const [zero] = ctx.onnx('Equal', [b, konst([], [0], 'float32')]);
  return ctx.onnx('Where', [zero, konst([], [0], 'float32'), q]);
};

/** TF op → extractor; Placeholder and Const are read by the graph walker. */
export const TF_OPS: Readonly<Record<string, TfExtractor>> = {
  Const: pass,
  Identity: pass,
  IdentityN: (ctx) => Array.from({ length: ctx.arity }, (_, i) => ctx.val(i)),
  StopGradient: pass,
  Snapshot: pass,
  NoOp: () => [],
  Add: binary('Add', (x, y) => x + y),
  AddV2: binary('Add', (x, y) => x + y),
  BiasAdd: biasAdd,
  Sub: binary('Sub', (x, y) => x - y),
  Mul: binary('Mul', (x, y) => x * y),
  RealDiv: binary('Div', (x, y) => x / y),
  Div: binary('Div', TRUNC_DIV),
  DivNoNan: divNoNan,
  Maximum: binary('Max', (x, y) => Math.max(x, y)),
  Minimum: binary('Min', (x, y) => Math.min(x, y)),
  SquaredDifference: (ctx) => {
    const [d] = binary('Sub', (x, y) => x - y)(ctx);
    return d.kind === 'const' ? [konst(d.dims, d.values.map((x) => x * x))] : [tensor(ctx.map('pow', [d.t], [2]))];
  },
  Pow: (ctx) => ctx.onnx('Pow', [ctx.val(0), ctx.val(1)]),
  AddN: addN,
  Square: square,
  Sqrt: unary('sqrt', Math.sqrt),
  Rsqrt: unary('pow', (x) => 1 / Math.sqrt(x), () => [-0.5]),
  Exp: unary('exp', Math.exp),
  Log: unary('log', Math.log),
  Neg: unary('neg', (x) => -x),
  Abs: unary('abs', Math.abs),
  Reciprocal: unary('reciprocal', (x) => 1 / x),
  Inv: unary('reciprocal', (x) => 1 / x),
  Erf: (ctx) => ctx.onnx('Erf', [ctx.val(0)]),
  Floor: unary('floor', Math.floor),
  Ceil: unary('ceil', Math.ceil),
  Sign: unary('sign', Math.sign),
  Relu: unary('relu', (x) => Math.max(0, x)),
  Relu6: unary('relu6', (x) => Math.min(Math.max(0, x), 6)),
  Elu: unary('elu', (x) => (x > 0 ? x : Math.expm1(x)), () => [1]),
  Selu: (ctx) => ctx.onnx('Selu', [ctx.val(0)]),
  Sigmoid: unary('sigmoid', (x) => 1 / (1 + Math.exp(-x))),
  Tanh: unary('tanh', Math.tanh),
  Softplus: unary('softplus', (x) => Math.log1p(Math.exp(x))),
  Softsign: unary('softsign', (x) => x / (1 + Math.abs(x))),
  LeakyRelu: leakyRelu,
  ClipByValue: (ctx) => ctx.onnx('Clip', [ctx.val(0), ctx.constant(1, 'lower bound'), ctx.constant(2, 'upper bound')]),
  Prelu: prelu,
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  Cast: cast,
  Equal: compare('Equal'),
  Greater: compare('Greater'),
  GreaterEqual: compare('GreaterOrEqual'),
  Less: compare('Less'),
  LessEqual: compare('LessOrEqual'),
  Mean: reduce('ReduceMean', (xs) => xs.reduce((a, b) => a + b, 0) / xs.length),
  Sum: reduce('ReduceSum', (xs) => xs.reduce((a, b) => a + b, 0)),
  Max: reduce('ReduceMax', (xs) => Math.max(...xs)),
  Min: reduce('ReduceMin', (xs) => Math.min(...xs)),
  Prod: reduce(null, (xs) => xs.reduce((a, b) => a * b, 1)),
  Reshape: reshape,
  Squeeze: squeeze,
  ExpandDims: expandDims,
  Transpose: transpose,
  ConcatV2: concatV2,
  Pack: pack,
  Unpack: unpack,
  Pad: padOp,
  PadV2: padOp,
  MirrorPad: mirrorPad,
  StridedSlice: stridedSlice,
  Slice: sliceOp,
  GatherV2: gatherV2,
  Gather: gatherV2,
  GatherNd: gatherNd,
  Shape: shape,
  Size: (ctx) => [konst([], [sizeOf(ctx.shape(0))])],
  Rank: (ctx) => [konst([], [ctx.shape(0).length])],
  Fill: fill,
  ZerosLike: like(0),
  OnesLike: like(1),
  Tile: tile,
  BroadcastTo: (ctx) => ctx.onnx('Expand', [ctx.val(0), ctx.constant(1, 'shape')]),
  Range: range,
  Split: splitOp('num'),
  SplitV: splitOp('v'),
  Reverse: reverse('dims'),
  ReverseV2: reverse('axes'),
  Concat: concatV1,
  MatrixBandPart: matrixBandPart,
  SpaceToBatchND: spaceToBatch,
  BatchToSpaceND: batchToSpace,
  ShapeN: shapeN,
  BroadcastArgs: broadcastArgs,
  EnsureShape: pass,
  Print: pass,
  ...convOps,
  ...mathOps,
};

void permute;
