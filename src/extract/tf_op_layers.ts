import type { FnName } from '../tensor/functions.js';
import { sizeOf } from './tensor.js';
import type { Extractor, LayerContext, T } from './types.js';

/**
 * The layers tf.keras writes for TensorFlow functions called on Keras tensors in a functional
 * model: TFOpLambda (config.function names the TF symbol: '__operators__.add' for `a + b`,
 * 'math.multiply', 'reshape', 'linalg.matmul', …) and SlicingOpLambda (`x[...]`,
 * '__operators__.getitem'). The call's arguments are as Keras 2 saved them: the first positional
 * (a tensor, a list of tensors, or a constant), the others by keyword (y, b, shape, perm, axis…).
 * Shapes and axes there count the batch axis; the program's do not.
 */

type Operand = { t: T } | { c: number };

/** A constant from the call (a number or nested lists) as a tensor broadcasting against `rank`-axis values (no batch). */
function constantTensor(ctx: LayerContext, v: unknown, rank: number, what: string): T {
  const shape: number[] = [];
  for (let cur = v; Array.isArray(cur); cur = cur[0]) shape.push(cur.length);
  const values = (Array.isArray(v) ? v.flat(Infinity) : [v]) as unknown[];
  if (values.length !== sizeOf(shape) || !values.every((x) => typeof x === 'number')) return ctx.fail(`${what} is ${JSON.stringify(v).slice(0, 60)}, expected a number or an array of numbers`);
  // A constant of the tensor's full rank carries the batch axis first, which must be 1 to broadcast.
  if (shape.length > rank) {
    if (shape.length > rank + 1 || shape[0] !== 1) ctx.fail(`${what} has shape [${shape.join(', ')}], which does not broadcast against a batch of [${rank} axes]`);
    shape.shift();
  }
  return ctx.constant('c', shape.length === 0 ? [1] : shape, values as number[]);
}

/** Argument `name` of the call, or positional argument `index`: a tensor, a number, or undefined. */
function operand(ctx: LayerContext, inputs: readonly T[], name: string, index: number): Operand | undefined {
  if (index === 0 && ctx.call.constant !== undefined) return typeof ctx.call.constant === 'number' ? { c: ctx.call.constant } : { t: constantTensor(ctx, ctx.call.constant, 0, 'the first argument') };
  // After a constant first argument, the positional tensors start at the second.
  const t = ctx.call.keywords.get(name) ?? inputs[ctx.call.constant === undefined ? index : index - 1];
  if (t) return { t };
  const v = ctx.call.options[name];
  if (typeof v === 'number') return { c: v };
  if (Array.isArray(v)) return { t: constantTensor(ctx, v, Math.max(0, ...inputs.map((x) => x.shape.length)), `'${name}'`) };
  return undefined;
}

/**
 * x ∘ y element-wise with broadcasting. A number on one side of +, −, ×, ÷ is an affine map (so
 * a scale by 1/√d is seen by the attention recognizer); `affine(c)` gives its [a, b] of a·x + b,
 * with `first` telling whether the number was the first operand (null: no affine form, c / x).
 */
function binary(fn: FnName, affine?: (c: number, first: boolean) => [number, number] | null): Extractor {
  return (ctx, inputs) => {
    const x = operand(ctx, inputs, 'x', 0);
    const y = operand(ctx, inputs, 'y', 1);
    if (!x || !y) return ctx.fail(`${String(ctx.layer.config.function)} needs two operands`);
    if ('c' in x && 'c' in y) return ctx.fail('both operands are constants');
    if (affine && ('c' in x || 'c' in y)) {
      const [t, c, first] = 'c' in x ? [(y as { t: T }).t, x.c, true] : [x.t, (y as { c: number }).c, false];
      const ab = affine(c, first);
      if (ab) return [ctx.map('affine', [t], ab)];
    }
    const a = 'c' in x ? ctx.constant('c', [1], [x.c]) : x.t;
    const b = 'c' in y ? ctx.constant('c', [1], [y.c]) : y.t;
    return [ctx.map(fn, [a, b])];
  };
}

function unary(fn: FnName, params: number[] = []): Extractor {
  return (ctx, [x]) => [ctx.map(fn, [x], params)];
}

/** A Keras axis (counting the batch) as a program axis. */
function axisOf(ctx: LayerContext, v: unknown, rank: number, what = 'axis'): number {
  const a = Number(v);
  const i = a < 0 ? a + rank + 1 : a;
  if (!Number.isInteger(a) || i < 1 || i > rank) return ctx.fail(`${what} ${JSON.stringify(v)} is not an axis of the input (the batch axis 0 cannot be used)`);
  return i - 1;
}

/** tf.reshape(x, shape): the batch axis first (−1 or None), one other −1 allowed. */
const reshape: Extractor = (ctx, [x]) => {
  const s = ctx.call.options.shape;
  if (!Array.isArray(s) || s.length === 0 || !(s[0] === -1 || s[0] === null)) return ctx.fail(`shape is ${JSON.stringify(s)}; nn2eq reads a reshape that keeps the batch axis first (-1 or None)`);
  const rest = s.slice(1).map((d) => (d === null ? -1 : Number(d)));
  const known = rest.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const free = rest.filter((d) => d === -1).length;
  const n = sizeOf(x.shape);
  if (free > 1 || rest.some((d) => !Number.isInteger(d) || d < -1) || (free === 1 ? n % known !== 0 : known !== n)) return ctx.fail(`cannot reshape [${x.shape.join(', ')}] to ${JSON.stringify(s)}`);
  return [ctx.op('reshape', [x], { shape: rest.map((d) => (d === -1 ? n / known : d)) })[0]];
};

/** tf.transpose(x, perm) with the batch axis kept first. */
const transpose: Extractor = (ctx, [x]) => {
  const p = ctx.call.options.perm;
  if (!Array.isArray(p) || p.length !== x.shape.length + 1 || p[0] !== 0) return ctx.fail(`perm is ${JSON.stringify(p)}; nn2eq reads a transpose that keeps the batch axis first`);
  const perm = p.slice(1).map((d) => Number(d) - 1);
  if ([...perm].sort((a, b) => a - b).some((d, i) => d !== i)) return ctx.fail(`perm ${JSON.stringify(p)} is not a permutation`);
  return [ctx.op('transpose', [x], { perm })[0]];
};

/** The last two axes swapped. */
function swapLast(ctx: LayerContext, t: T): T {
  const r = t.shape.length;
  return ctx.op('transpose', [t], { perm: [...Array(r - 2).keys(), r - 1, r - 2] }, '_')[0];
}

/** tf.linalg.matmul(a, b, transpose_a, transpose_b): batched over the leading axes. */
const matmul: Extractor = (ctx, inputs) => {
  const a = operand(ctx, inputs, 'a', 0);
  const b = operand(ctx, inputs, 'b', 1);
  if (!a || !b || 'c' in a || 'c' in b) return ctx.fail('multiplies two tensors; found a missing or constant operand');
  const o = ctx.call.options;
  if (o.adjoint_a === true || o.adjoint_b === true) ctx.fail('adjoint_a / adjoint_b is set; nn2eq reads real matrices (use transpose_a / transpose_b)');
  let [x, y] = [a.t, b.t];
  if (x.shape.length < 2 || y.shape.length < 2) return ctx.fail(`multiplies [${x.shape.join(', ')}] by [${y.shape.join(', ')}]; nn2eq reads batched products of matrices (rank 2 or more without the batch)`);
  if (o.transpose_a === true) x = swapLast(ctx, x);
  if (o.transpose_b === true) y = swapLast(ctx, y);
  return [ctx.op('matmul', [x, y], {})[0]];
};

/** tf.nn.softmax(x, axis). */
const softmax: Extractor = (ctx, [x]) => [ctx.op('softmax', [x], { axes: [axisOf(ctx, ctx.call.options.axis ?? -1, x.shape.length)] })[0]];

/** tf.concat(values, axis). */
const concat: Extractor = (ctx, inputs) => {
  if (inputs.length === 0) return ctx.fail('concatenates no tensors');
  return [ctx.op('concat', [...inputs], { axis: axisOf(ctx, ctx.call.options.axis, inputs[0].shape.length) })[0]];
};

/** tf.expand_dims(x, axis). */
const expandDims: Extractor = (ctx, [x]) => {
  const a = Number(ctx.call.options.axis);
  const i = a < 0 ? a + x.shape.length + 2 : a;
  if (!Number.isInteger(a) || i < 1 || i > x.shape.length + 1) return ctx.fail(`axis ${JSON.stringify(ctx.call.options.axis)} is not a new axis after the batch`);
  return [ctx.op('reshape', [x], { shape: [...x.shape.slice(0, i - 1), 1, ...x.shape.slice(i - 1)] })[0]];
};

/** TF symbol (TFOpLambda's config.function) → extractor. */
const TF_FUNCTIONS: Record<string, Extractor> = {
  '__operators__.add': binary('add', (c) => [1, c]),
  'math.add': binary('add', (c) => [1, c]),
  'math.subtract': binary('sub', (c, first) => (first ? [-1, c] : [1, -c])),
  'math.multiply': binary('mul', (c) => [c, 0]),
  'math.truediv': binary('div', (c, first) => (first ? null : [1 / c, 0])),
  'math.divide': binary('div', (c, first) => (first ? null : [1 / c, 0])),
  'math.maximum': binary('maximum'),
  'math.minimum': binary('minimum'),
  'math.negative': unary('affine', [-1, 0]),
  'math.exp': unary('exp'),
  'math.log': unary('log'),
  'math.sqrt': unary('sqrt'),
  'math.tanh': unary('tanh'),
  'math.sigmoid': unary('sigmoid'),
  'nn.relu': unary('relu'),
  'nn.gelu': unary('gelu'),
  'math.erf': unary('erf'),
  'math.abs': unary('abs'),
  'linalg.matmul': matmul,
  'reshape': reshape,
  'compat.v1.reshape': reshape,
  'transpose': transpose,
  'compat.v1.transpose': transpose,
  'nn.softmax': softmax,
  'math.softmax': softmax,
  'concat': concat,
  'expand_dims': expandDims,
  'compat.v1.expand_dims': expandDims,
};

const tfOpLambda: Extractor = (ctx, inputs) => {
  const fn = String(ctx.layer.config.function ?? '');
  const f = TF_FUNCTIONS[fn];
  if (!f) return ctx.fail(`calls tf.${fn}, which nn2eq does not map`, `mapped TF functions: ${Object.keys(TF_FUNCTIONS).sort().join(', ')}`);
  return f(ctx, inputs);
};

/** One entry of a saved slice spec: a slice {start, stop, step}, an index, None (new axis) or the ellipsis. */
type SliceEntry = { kind: 'slice'; start: number | null; stop: number | null; step: number | null } | { kind: 'index'; at: number } | { kind: 'new' } | { kind: 'ellipsis' };

function sliceEntries(ctx: LayerContext, spec: unknown): SliceEntry[] {
  const tuple = (v: unknown): unknown[] | null => (Array.isArray(v) ? v : v && typeof v === 'object' && (v as { class_name?: unknown }).class_name === '__tuple__' ? ((v as { items?: unknown[] }).items ?? []) : null);
  const list = tuple(spec) ?? [spec];
  return list.map((e): SliceEntry => {
    if (e === null) return { kind: 'new' };
    if (Number.isInteger(e)) return { kind: 'index', at: e as number };
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      if (o.class_name === '__ellipsis__') return { kind: 'ellipsis' };
      if ('start' in o || 'stop' in o) {
        const num = (v: unknown) => (v === null || v === undefined ? null : Number.isInteger(v) ? (v as number) : ctx.fail(`slice bound ${JSON.stringify(v)} is not an integer`));
        return { kind: 'slice', start: num(o.start), stop: num(o.stop), step: num(o.step) };
      }
    }
    return ctx.fail(`slice_spec entry ${JSON.stringify(e).slice(0, 60)} is not a slice, an index, None or ...`);
  });
}

/** x[spec] (SlicingOpLambda '__operators__.getitem'): slices with step 1, indices, new axes, one ellipsis; the batch axis whole. */
const getItem: Extractor = (ctx, [x]) => {
  const entries = sliceEntries(ctx, ctx.call.options.slice_spec);
  const full = [-1, ...x.shape];
  const consuming = entries.filter((e) => e.kind === 'slice' || e.kind === 'index').length;
  if (entries.filter((e) => e.kind === 'ellipsis').length > 1 || consuming > full.length) return ctx.fail(`slice_spec indexes ${consuming} axes of a tensor with ${full.length} (with the batch)`);
  const expanded: SliceEntry[] = [];
  for (const e of entries) {
    if (e.kind === 'ellipsis') for (let i = 0; i < full.length - consuming; i++) expanded.push({ kind: 'slice', start: null, stop: null, step: null });
    else expanded.push(e);
  }
  while (expanded.filter((e) => e.kind !== 'new').length < full.length) expanded.push({ kind: 'slice', start: null, stop: null, step: null });
  const begin: number[] = [];
  const end: number[] = [];
  const out: number[] = [];
  let axis = 0;
  for (const e of expanded) {
    if (e.kind === 'new') {
      if (axis === 0) return ctx.fail('slice_spec puts a new axis before the batch axis');
      out.push(1);
      continue;
    }
    const n = full[axis];
    if (axis === 0) {
      if (e.kind !== 'slice' || e.start !== null || e.stop !== null || (e.step !== null && e.step !== 1)) return ctx.fail('slice_spec selects part of the batch axis; nn2eq keeps it whole');
    } else if (e.kind === 'index') {
      const at = e.at < 0 ? e.at + n : e.at;
      if (at < 0 || at >= n) return ctx.fail(`index ${e.at} is outside axis ${axis} of length ${n}`);
      begin.push(at);
      end.push(at + 1);
    } else if (e.kind === 'slice') {
      if (e.step !== null && e.step !== 1) return ctx.fail(`slice step ${e.step}; nn2eq reads slices with step 1`);
      const clamp = (v: number | null, fallback: number) => (v === null ? fallback : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
      const b = clamp(e.start, 0);
      const s = clamp(e.stop, n);
      if (s <= b) return ctx.fail(`slice ${e.start ?? ''}:${e.stop ?? ''} of axis ${axis} (length ${n}) is empty`);
      begin.push(b);
      end.push(s);
      out.push(s - b);
    }
    axis++;
  }
  const whole = begin.every((b, i) => b === 0 && end[i] === x.shape[i]);
  const sliced = whole ? x : ctx.op('slice', [x], { begin, end }, out.length === x.shape.length && out.every((d, i) => d === end[i] - begin[i]) ? 'h' : '_')[0];
  const same = out.length === sliced.shape.length && out.every((d, i) => d === sliced.shape[i]);
  return [same ? sliced : ctx.op('reshape', [sliced], { shape: out.length === 0 ? [1] : out })[0]];
};

export const tfOpLayers: Record<string, Extractor> = {
  TFOpLambda: tfOpLambda,
  SlicingOpLambda: (ctx, inputs) => (ctx.layer.config.function === '__operators__.getitem' ? getItem(ctx, inputs) : tfOpLambda(ctx, inputs)),
};
