import { attrInt, attrString } from '../../load/onnx/attributes.js';
import { isInteger, roundToFloat } from '../../tensor/dtype.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { axisOf, dimsOf, dtypeOfVal, konst, strides, tensor, type OnnxContext, type OnnxExtractor, type Val } from './context.js';

/**
 * ScatterND and ScatterElements (and the older Scatter) with constant indices, as ONNX defines
 * them (onnx/reference/ops/op_scatternd.py, op_scatter_elements.py): the output is `data` with
 * the elements that the indices name replaced by `updates`, or combined with them by `reduction`
 * (add, mul, max, min). Updates apply in index order, so of two updates of one element the later
 * wins, as in ONNX's reference.
 *
 * All constant: folded. Computed data or updates with reduction none: every output element is an
 * element of data or of updates at a place known now, so the output is slices of the two,
 * flattened and joined, put back in order (one slice per run of consecutive elements). A
 * reduction of computed values is refused.
 */

/** For each updates element, in order: the flat index of data it lands on. */
type Targets = (ctx: OnnxContext, dims: readonly number[], updates: readonly number[]) => Int32Array;

const scatterNDTargets: Targets = (ctx, dims, updatesDims) => {
  const idx = ctx.constant(1, 'indices');
  const q = idx.dims.length;
  const k = idx.dims[q - 1];
  if (q < 1 || k < 1 || k > dims.length) return ctx.fail(`indices of shape [${idx.dims.join(', ')}] do not index data of rank ${dims.length}`, 'the last axis of indices holds 1 to rank(data) coordinates');
  const want = [...idx.dims.slice(0, -1), ...dims.slice(k)];
  if (want.length !== updatesDims.length || want.some((d, i) => d !== updatesDims[i])) {
    return ctx.fail(`updates have shape [${updatesDims.join(', ')}], where indices [${idx.dims.join(', ')}] and data [${dims.join(', ')}] need [${want.join(', ')}]`);
  }
  const st = strides(dims);
  const inner = sizeOf(dims.slice(k));
  const tuples = idx.values.length / k;
  const out = new Int32Array(tuples * inner);
  for (let j = 0; j < tuples; j++) {
    let off = 0;
    for (let a = 0; a < k; a++) {
      let i = idx.values[j * k + a];
      if (i < 0) i += dims[a];
      if (!Number.isInteger(i) || i < 0 || i >= dims[a]) return ctx.fail(`index ${idx.values[j * k + a]} is out of range for axis ${a} of length ${dims[a]}`);
      off += i * st[a];
    }
    // Stryker disable next-line EqualityOperator: e <= inner writes one element more, at the next tuple's first place (which that tuple writes again) or past the Int32Array's end (dropped); e >= inner, no loop, is caught, but shares the name
    for (let e = 0; e < inner; e++) out[j * inner + e] = off + e;
  }
  return out;
};

const scatterElementsTargets: Targets = (ctx, dims, updatesDims) => {
  const idx = ctx.constant(1, 'indices');
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length);
  if (idx.dims.length !== dims.length || idx.dims.some((d, i) => d !== updatesDims[i] || (i !== axis && d > dims[i]))) {
    return ctx.fail(`indices [${idx.dims.join(', ')}] and updates [${updatesDims.join(', ')}] must have one shape, of the rank of data [${dims.join(', ')}] and no longer on any other axis`);
  }
  const st = strides(dims);
  const ist = strides(idx.dims);
  const out = new Int32Array(idx.values.length);
  for (let p = 0; p < idx.values.length; p++) {
    let i = idx.values[p];
    if (i < 0) i += dims[axis];
    if (!Number.isInteger(i) || i < 0 || i >= dims[axis]) return ctx.fail(`index ${idx.values[p]} is out of range for axis ${axis} of length ${dims[axis]}`);
    let off = 0;
    let rest = p;
    for (let a = 0; a < idx.dims.length; a++) {
      const c = Math.floor(rest / ist[a]);
      rest -= c * ist[a];
      off += (a === axis ? i : c) * st[a];
    }
    out[p] = off;
  }
  return out;
};

const REDUCTIONS: Readonly<Record<string, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  mul: (a, b) => a * b,
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
};

function scatter(targets: Targets): OnnxExtractor {
  return (ctx) => {
    const data = ctx.val(0);
    const updates = ctx.val(2);
    const dims = dimsOf(data);
    const to = targets(ctx, dims, dimsOf(updates));
    const reduction = attrString(ctx.node, 'reduction', 'none');
    // Stryker disable next-line ConditionalExpression,StringLiteral: REDUCTIONS has no 'none', so the test made false (or against '') gives undefined for none as well; made true, caught, but shares the name
    const combine = reduction === 'none' ? undefined : REDUCTIONS[reduction];
    if (reduction !== 'none' && !combine) return ctx.fail(`reduction '${reduction}' is not one of ONNX's (none, add, mul, max, min)`);
    const dtype = dtypeOfVal(data);
    if (data.kind === 'const' && updates.kind === 'const') {
      const values = Float64Array.from(data.values);
      to.forEach((t, j) => {
        const v = combine ? combine(values[t], updates.values[j]) : updates.values[j];
        if (isInteger(dtype) && !Number.isSafeInteger(v)) ctx.fail(`the ${reduction} of integers leaves 2^53`, 'nn2eq folds integer scatters exactly only below 2^53');
        values[t] = roundToFloat(v, dtype);
      });
      return [konst(dims, values, dtype)];
    }
    if (combine) {
      // Integer sums and products wrap in ONNX; float64 would round them past 2^53 first.
      if (isInteger(dtype) && (reduction === 'add' || reduction === 'mul')) return ctx.fail(`scatters with reduction '${reduction}' into computed ${dtype} values`, 'nn2eq prints scatter reductions of computed values for floats, and max/min for integers');
      return [tensor(reduced(ctx, data, updates, to, reduction as 'add' | 'mul' | 'max' | 'min'), dtype)];
    }
    return [tensor(picked(ctx, data, updates, to), dtype)];
  };
}

/** data with the elements at `to` replaced by updates, as slices of the two joined. */
function picked(ctx: OnnxContext, data: Val, updates: Val, to: Int32Array): T {
  const dims = dimsOf(data);
  const n = sizeOf(dims);
  const src = new Int32Array(n);
  // Stryker disable next-line EqualityOperator: i <= n writes past the Int32Array's end, which drops it; i >= n, no loop, is caught, but shares the name
  for (let i = 0; i < n; i++) src[i] = i;
  to.forEach((t, j) => (src[t] = n + j));
  // Stryker disable next-line ConditionalExpression: ctx.tensor(i) of a computed input is that input's tensor, v.t itself; made false, caught, but shares the name
  const flat = (v: Val, i: number): T => ctx.reshape(v.kind === 'const' ? ctx.tensor(i, 'c') : v.t, [sizeOf(dimsOf(v))]);
  const joined = ctx.op('concat', [flat(data, 0), flat(updates, 2)], { axis: 0 }, '_')[0];
  return ctx.reshape(pickFlat(ctx, joined, src), dims, 'h');
}

/**
 * data with updates combined into the elements at `to` by `reduction`, in update order as ONNX's
 * reference loop does: round k combines every element with its k-th update (or with the
 * reduction's identity, 0, 1, −∞ or ∞, where it has fewer), all picked from data, updates and
 * the identity joined flat. As many rounds as the most updates any element gets.
 */
function reduced(ctx: OnnxContext, data: Val, updates: Val, to: Int32Array, reduction: 'add' | 'mul' | 'max' | 'min'): T {
  const dims = dimsOf(data);
  const n = sizeOf(dims);
  const m = to.length;
  const hits: number[][] = Array.from({ length: n }, () => []);
  to.forEach((t, j) => hits[t].push(j));
  const rounds = Math.max(0, ...hits.map((h) => h.length));
  // Stryker disable next-line ConditionalExpression: ctx.tensor(i) of a computed input is that input's tensor, v.t itself; made false, caught, but shares the name
  const flat = (v: Val, i: number): T => ctx.reshape(v.kind === 'const' ? ctx.tensor(i, 'c') : v.t, [sizeOf(dimsOf(v))]);
  const identity = { add: 0, mul: 1, max: -Infinity, min: Infinity }[reduction];
  const joined = ctx.op('concat', [flat(updates, 2), ctx.const('identity', [1], [identity])], { axis: 0 }, '_')[0];
  const fn = ({ add: 'add', mul: 'mul', max: 'maximum', min: 'minimum' } as const)[reduction];
  let y = flat(data, 0);
  for (let k = 0; k < rounds; k++) {
    const src = Int32Array.from(hits, (h) => (k < h.length ? h[k] : m));
    const pick = gatherFlat(ctx, tensor(joined), src, [n]) as Extract<Val, { kind: 'tensor' }>;
    const combined = ctx.map(fn, [y, pick.t], [], '_');
    // x + 0 turns a −0 into +0, where ONNX leaves an element with no k-th update as it was (x · 1,
    // max with −∞ and min with ∞ keep every x): with add, those elements are kept from y.
    const kept = reduction === 'add' ? Int32Array.from(hits, (h, e) => (k < h.length ? n + e : e)) : undefined;
    y = kept && kept.some((s, e) => s === e) ? pickFlat(ctx, ctx.op('concat', [y, combined], { axis: 0 }, '_')[0], kept) : combined;
  }
  return ctx.reshape(y, dims, 'h');
}

/** Elements `src` of a rank-1 tensor, in that order: one slice per run of consecutive elements, joined. */
function pickFlat(ctx: OnnxContext, flat: T, src: Int32Array): T {
  const n = src.length;
  const pieces: T[] = [];
  for (let i = 0; i < n; ) {
    let j = i + 1;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: at j = n, src[j] is past the Int32Array's end (undefined), so the run stops there without the bound; made false (one slice per element), caught, but shares the names
    while (j < n && src[j] === src[j - 1] + 1) j++;
    // Stryker disable next-line ConditionalExpression: a run as long as flat, of positions inside it, starts at 0 anyway; the test made false (always a slice) is caught, but shares the name
    pieces.push(src[i] === 0 && j - i === flat.shape[0] ? flat : ctx.op('slice', [flat], { begin: [src[i]], end: [src[i] + j - i] }, '_')[0]);
    i = j;
  }
  return pieces.length === 1 ? pieces[0] : ctx.op('concat', pieces, { axis: 0 }, '_')[0];
}

/** Runs of consecutive elements up to which GatherElements of a computed tensor joins slices; past it, it picks elements by constant ids. */
const MAX_RUNS = 64;

/**
 * GatherElements (onnx/reference/ops/op_gather_elements.py): out[i…] = data[i… with the axis
 * coordinate replaced by indices[i…]], indices of data's rank and no longer than data on any other
 * axis; a negative index counts from the end. Constant indices: folded on constant data, else the
 * elements joined from slices (or picked by constant ids when they are many runs). Computed
 * indices: the flat position idx·stride + offset into data's elements as rows of one column,
 * picked by `gather_rows` (NaN for an index out of range) or, for constant data, by `gather`.
 */
const gatherElements: OnnxExtractor = (ctx) => [gatherAlong(ctx, ctx.val(0), ctx.val(1), axisOf(ctx, attrInt(ctx.node, 'axis', 0), ctx.shape(0).length))];

/** GatherElements of `data` at `idx` along `axis` (non-negative); see gatherElements. */
export function gatherAlong(ctx: OnnxContext, data: Val, idx: Val, axis: number): Val {
  const dims = dimsOf(data);
  const idims = dimsOf(idx);
  if (idims.length !== dims.length || idims.some((d, i) => i !== axis && d > dims[i])) {
    return ctx.fail(`indices [${idims.join(', ')}] must have the rank of data [${dims.join(', ')}] and be no longer on any axis but ${axis}`);
  }
  const dtype = dtypeOfVal(data);
  const st = strides(dims);
  const ist = strides(idims);
  const count = sizeOf(idims);
  // Flat position in data of every output element, without its axis coordinate.
  const offset = new Int32Array(count);
  // Stryker disable next-line EqualityOperator: p <= count adds into offset[count], past the Int32Array's end, which drops it; p >= count, no loop, is caught, but shares the name
  for (let p = 0; p < count; p++) {
    let rest = p;
    for (let a = 0; a < idims.length; a++) {
      const c = Math.floor(rest / ist[a]);
      rest -= c * ist[a];
      if (a !== axis) offset[p] += c * st[a];
    }
  }
  const n = dims[axis];
  if (idx.kind === 'const') {
    const src = new Int32Array(count);
    for (let p = 0; p < count; p++) {
      let i = idx.values[p];
      if (i < 0) i += n;
      if (!Number.isInteger(i) || i < 0 || i >= n) return ctx.fail(`index ${idx.values[p]} is out of range for axis ${axis} of length ${n}`);
      src[p] = offset[p] + i * st[axis];
    }
    return gatherFlat(ctx, data, src, idims);
  }
  const fixed = ctx.map('add', [idx.t, ctx.map('affine', [ctx.map('less_than', [idx.t], [0], '_')], [n, 0], '_')], [], '_');
  const ids = ctx.map('add', [ctx.map('affine', [fixed], [st[axis], 0], '_'), ctx.const('offset', idims, offset)], [], '_');
  const rows =
    data.kind === 'const'
      ? ctx.op('gather', [ids, ctx.const('E', [sizeOf(dims), 1], data.values)], {}, '_')[0]
      : ctx.op('gather_rows', [ctx.reshape(data.t, [sizeOf(dims), 1]), ids], {}, '_')[0];
  return tensor(ctx.reshape(rows, idims, 'h'), dtype);
}

/** The elements `src` (flat positions) of `data`, in the shape `outDims`: folded on constant data, else slices joined, or picked by constant ids when they are many runs. */
function gatherFlat(ctx: OnnxContext, data: Val, src: Int32Array, outDims: readonly number[]): Val {
  const dtype = dtypeOfVal(data);
  const dims = dimsOf(data);
  const count = src.length;
  if (data.kind === 'const') return konst(outDims, Array.from(src, (k) => data.values[k]), dtype);
  if (count === 0) return ctx.fail('gathers no element');
  const flat = ctx.reshape(data.t, [sizeOf(dims)]);
  let runs = 1;
  for (let p = 1; p < count; p++) if (src[p] !== src[p - 1] + 1) runs++;
  if (runs <= MAX_RUNS) return tensor(ctx.reshape(pickFlat(ctx, flat, src), outDims, 'h'), dtype);
  const rows = ctx.op('gather_rows', [ctx.reshape(flat, [sizeOf(dims), 1]), ctx.const('ids', outDims, src)], {}, '_')[0];
  return tensor(ctx.reshape(rows, outDims, 'h'), dtype);
}

/**
 * GatherND with constant indices (op_gathernd.py): the last axis of indices holds m coordinates
 * into data after its first batch_dims axes (shared by indices and data), each tuple picking the
 * block data[b…, i₁, …, iₘ, …]; output shape indices.shape[:-1] + data.shape[batch_dims + m:].
 * Every output element is an element of data at a place known now: picked as GatherElements does.
 */
const gatherND: OnnxExtractor = (ctx) => {
  const data = ctx.val(0);
  const dims = dimsOf(data);
  const idx = ctx.constant(1, 'indices');
  const b = attrInt(ctx.node, 'batch_dims', 0);
  const q = idx.dims.length;
  const m = idx.dims[q - 1];
  // Stryker disable next-line ConditionalExpression: q < 1 made false refuses the same, as b ≥ 0 and b < q fail for q = 0; the line's other tests made true or false are caught, but share the name
  if (q < 1 || !(b >= 0 && b < q) || m < 1 || b + m > dims.length || idx.dims.slice(0, b).some((d, i) => d !== dims[i])) {
    return ctx.fail(`indices of shape [${idx.dims.join(', ')}] with batch_dims ${b} do not index data of shape [${dims.join(', ')}]`, 'the last axis of indices holds 1 to rank(data) − batch_dims coordinates, after batch axes shared with data');
  }
  const st = strides(dims);
  const inner = sizeOf(dims.slice(b + m));
  const lead = idx.dims.slice(0, -1);
  const tuples = sizeOf(lead);
  const perBatch = tuples / Math.max(1, sizeOf(idx.dims.slice(0, b)));
  const src = new Int32Array(tuples * inner);
  for (let j = 0; j < tuples; j++) {
    // The batch coordinates of tuple j, as the flat offset of data's first b axes.
    let off = b === 0 ? 0 : Math.floor(j / perBatch) * st[b - 1];
    for (let a = 0; a < m; a++) {
      let i = idx.values[j * m + a];
      const len = dims[b + a];
      if (i < 0) i += len;
      if (!Number.isInteger(i) || i < 0 || i >= len) return ctx.fail(`index ${idx.values[j * m + a]} is out of range for axis ${b + a} of length ${len}`);
      off += i * st[b + a];
    }
    // Stryker disable next-line EqualityOperator: e <= inner writes one element more, at the next tuple's first place (which that tuple writes again) or past the Int32Array's end (dropped); e >= inner, no loop, is caught, but shares the name
    for (let e = 0; e < inner; e++) src[j * inner + e] = off + e;
  }
  return [gatherFlat(ctx, data, src, [...lead, ...dims.slice(b + m)])];
};

/**
 * OneHot: along a new axis of length depth, [i = index] scaled to off + [·]·(on − off), values =
 * [off, on]; an index is truncated to a whole number, a negative one counts from the end, and one
 * outside [−depth, depth − 1] gives all off, as ONNX's definition and its conformance data say
 * (a later op_one_hot.py wraps it by np.mod instead). Folded on constants.
 */
const oneHot: OnnxExtractor = (ctx) => {
  const idx = ctx.val(0);
  const depth = ctx.constant(1, 'depth').values[0];
  if (!Number.isInteger(depth) || depth < 1) return ctx.fail(`depth is ${depth}, expected a whole number of at least 1`);
  const values = ctx.val(2);
  if (sizeOf(dimsOf(values)) !== 2) return ctx.fail(`values has shape [${dimsOf(values).join(', ')}], expected [off, on]`);
  const dims = dimsOf(idx);
  const rank = dims.length;
  const raw = attrInt(ctx.node, 'axis', -1);
  const axis = raw < 0 ? raw + rank + 1 : raw;
  if (axis < 0 || axis > rank) return ctx.fail(`axis ${raw} is out of range for indices of rank ${rank}`);
  const out = [...dims.slice(0, axis), depth, ...dims.slice(axis)];
  const dtype = dtypeOfVal(values);
  if (idx.kind === 'const' && values.kind === 'const') {
    const [off, on] = values.values;
    const inner = sizeOf(dims.slice(axis));
    const y = new Float64Array(sizeOf(out));
    // Stryker disable next-line EqualityOperator: o <= y.length writes past the Float64Array's end, which drops it; o >= y.length, no loop, is caught, but shares the name
    for (let o = 0; o < y.length; o++) {
      const outer = Math.floor(o / (depth * inner));
      const d = Math.floor(o / inner) % depth;
      const t = Math.trunc(idx.values[outer * inner + (o % inner)]);
      y[o] = ((t < 0 ? t + depth : t) === d ? 1 : 0) * (on - off) + off;
    }
    return [konst(out, y, dtype)];
  }
  const t = ctx.map('trunc', [ctx.reshape(ctx.tensor(0, 'indices'), [...dims.slice(0, axis), 1, ...dims.slice(axis)], '_')], [], '_');
  const wrapped = ctx.map('add', [t, ctx.map('affine', [ctx.map('less_than', [t], [0], '_')], [depth, 0], '_')], [], '_');
  const iota = ctx.const('i', out.map((d, i) => (i === axis ? d : 1)), Array.from({ length: depth }, (_, i) => i));
  const hit = ctx.map('equal', [iota, wrapped], [], '_');
  const v = ctx.reshape(ctx.tensor(2, 'values'), [2], '_');
  const off = ctx.op('slice', [v], { begin: [0], end: [1] }, '_')[0];
  const on = ctx.op('slice', [v], { begin: [1], end: [2] }, '_')[0];
  return [tensor(ctx.map('scale_shift', [hit, ctx.map('sub', [on, off], [], '_'), off], [], 'h'), dtype)];
};

export const scatterOps: Record<string, OnnxExtractor> = {
  OneHot: oneHot,
  ScatterND: scatter(scatterNDTargets),
  ScatterElements: scatter(scatterElementsTargets),
  // Scatter (opsets 9 and 10) is ScatterElements under its old name.
  Scatter: scatter(scatterElementsTargets),
  GatherElements: gatherElements,
  GatherND: gatherND,
};
