import { attrInt } from '../../load/onnx/attributes.js';
import { sizeOf, type T as TensorRef } from '../../tensor/program.js';
import { axisOf, broadcast, dimsOf, expandValues, konst, moved, strides, tensor, type Const, type OnnxExtractor, type Val } from './context.js';
import { elementwiseOps, wrapped } from './elementwise.js';
import { intRange, isFloat, isInteger, wrapInteger } from '../../tensor/dtype.js';

/**
 * The ops and patterns of transformer exports (PyTorch's nn.MultiheadAttention and
 * TransformerEncoder/DecoderLayer, nanoGPT, torchvision's ViT): Where with a constant condition
 * (masked_fill of a causal mask) as an additive mask, the boolean folds that build masks, Trilu and CumSum
 * (positions); Einsum is in linalg.ts. Each becomes ops of the one table: a mask is an added constant or a
 * scale_shift, CumSum partial sums. Cases these do not cover
 * go on to the element-wise extractors (elementwise.ts).
 */

/** The element-wise extractor of `op`, or a refusal when there is none. */
function fallback(op: string): OnnxExtractor {
  return (ctx) => (elementwiseOps[op] ? elementwiseOps[op](ctx) : ctx.fail('computes a boolean from computed values; nn2eq folds boolean ops only on constants (masks)'));
}

/** A boolean op on constants, folded with broadcasting (mask building); otherwise as the element-wise table says. */
function logical(op: string, f: (a: boolean, b: boolean) => boolean): OnnxExtractor {
  const rest = fallback(op);
  return (ctx) => {
    const vals = ctx.node.inputs.map((_, i) => ctx.val(i));
    if (!vals.every((v): v is Const => v.kind === 'const')) return rest(ctx);
    if (vals.length === 1) return [konst(vals[0].dims, vals[0].values.map((v) => (f(v !== 0, false) ? 1 : 0)), 'bool')];
    const [a, b] = vals;
    const shape = broadcast(a.dims, b.dims) ?? ctx.fail(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
    const xa = expandValues(a, shape);
    const xb = expandValues(b, shape);
    return [konst(shape, xa.map((v, i) => (f(v !== 0, xb[i] !== 0) ? 1 : 0)), 'bool')];
  };
}

/**
 * Where(c, x, y) with a constant condition c, one computed branch t and a constant k whose chosen
 * elements are all infinite (masked_fill with −∞, a causal mask): t + M, M = ±∞ where k is chosen
 * and 0 elsewhere (t + ∞ = ∞ and t + 0 = t for finite t), the additive mask of the attention
 * equation. Every other Where (a computed condition, finite fill values) is a choice, as the
 * element-wise table prints it.
 */
const where: OnnxExtractor = (ctx) => {
  const [c, x, y] = [0, 1, 2].map((i) => ctx.val(i));
  if (c.kind !== 'const' || (x.kind === 'const') === (y.kind === 'const')) return elementwiseOps.Where(ctx);
  const shape = broadcast(broadcast(c.dims, dimsOf(x)) ?? [], dimsOf(y));
  if (!shape || !broadcast(c.dims, dimsOf(x))) return ctx.fail(`shapes [${c.dims.join(', ')}], [${dimsOf(x).join(', ')}] and [${dimsOf(y).join(', ')}] do not broadcast`);
  const computedIsX = x.kind === 'tensor';
  const t = (computedIsX ? x : y) as Extract<Val, { kind: 'tensor' }>;
  const k = (computedIsX ? y : x) as Const;
  const ms = broadcast(c.dims, k.dims)!;
  const cv = expandValues(c, ms);
  const kv = expandValues(k, ms);
  const keep = cv.map((v) => ((v !== 0) === computedIsX ? 1 : 0));
  const M = keep.map((v, i) => (v ? 0 : kv[i]));
  const additive = keep.every((v, i) => v === 1 || !Number.isFinite(kv[i]));
  if (additive) return [tensor(ctx.map('add', [t.t, ctx.const('M', ms, M)]))];
  return elementwiseOps.Where(ctx);
};

/** The 0/1 mask of Trilu over the last two axes [n, m]: kept where j − i ≥ k (upper) or ≤ k (lower). */
function triangle(n: number, m: number, k: number, upper: boolean): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[i * m + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
  return out;
}

/** Trilu: a constant is folded; a computed tensor is chosen where the constant triangle is 1, else 0 (never x·0: an ∞ outside the triangle gives 0). */
const trilu: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const dims = dimsOf(v);
  if (dims.length < 2) return ctx.fail(`expects a tensor of rank 2 or more, found [${dims.join(', ')}]`);
  const k = ctx.has(1) ? ctx.constant(1, 'diagonal offset k').values[0] : 0;
  const upper = attrInt(ctx.node, 'upper', 1) === 1;
  const [n, m] = dims.slice(-2);
  const mask = triangle(n, m, k, upper);
  if (v.kind === 'const') return [moved(v, dims, v.values.map((x, i) => (mask[i % (n * m)] ? x : 0)))];
  return [tensor(ctx.map('where', [ctx.const('L', [n, m], mask), v.t, ctx.const('zero', [1], [0])]))];
};

/**
 * CumSum (and CumProd) along one axis (exclusive, reverse as ONNX defines them): a constant is
 * folded; a computed tensor is summed with (multiplied by) shifted copies of itself.
 */
function cumulative(product: boolean): OnnxExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    const dims = dimsOf(v);
    const axis = axisOf(ctx, ctx.constant(1, 'axis').values[0], dims.length);
    const exclusive = attrInt(ctx.node, 'exclusive', 0) === 1;
    const reverse = attrInt(ctx.node, 'reverse', 0) === 1;
    const dtype = ctx.dtype(0);
    const n = dims[axis];
    const unit = product ? 1 : 0;
    if (v.kind === 'const') {
      // Element i counts towards output j.
      const counts = (i: number, j: number) => (reverse ? (exclusive ? i > j : i >= j) : exclusive ? i < j : i <= j);
      const st = strides(dims);
      const out = new Float64Array(v.values.length);
      for (let o = 0; o < out.length; o++) {
        const j = Math.floor(o / st[axis]) % n;
        const base = o - j * st[axis];
        let s = unit;
        for (let i = 0; i < n; i++) if (counts(i, j)) s = product ? s * v.values[base + i * st[axis]] : s + v.values[base + i * st[axis]];
        out[o] = s;
      }
      if (!product || isFloat(dtype)) return [moved(v, dims, out)];
      if (out.some((x) => !Number.isSafeInteger(x))) return ctx.fail(`multiplies ${dtype} values past 2^53, where float64 would round them before ONNX's wrap`);
      return [moved(v, dims, out.map((x) => wrapInteger(BigInt(x), dtype)))];
    }
    // A product of computed integers wraps at every step, as ONNX's does: exact in float64 up to 26
    // bits, in 16-bit halves (mul_wrap32) for 32; a 64-bit product can pass 2^53, where float64 rounds it.
    const bits = isFloat(dtype) ? 0 : isInteger(dtype) ? Math.round(Math.log2(intRange(dtype)[1] - intRange(dtype)[0] + 1)) : 64;
    if (product && bits > 32) return ctx.fail(`multiplies computed ${dtype} values, whose product float64 may round before ONNX's wrap`, 'nn2eq prints CumProd of computed integers up to 32 bits, and of floating-point values');
    // Partial sums (products) by doubling (y ⊕= y shifted by 1, 2, 4, … along the axis, zeros (ones)
    // shifted in), never a product with a 0/1 triangle: 0·∞ would give NaN for an ∞ that does not
    // count towards an output.
    const shift = (t: TensorRef, d: number): TensorRef => {
      const keep = ctx.op('slice', [t], { begin: dims.map((_, i) => (i === axis && reverse ? d : 0)), end: dims.map((s, i) => (i === axis && !reverse ? s - d : s)) }, '_')[0];
      const fill = dims.map((s, i) => (i === axis ? d : s));
      if (product) return ctx.op('concat', reverse ? [keep, ctx.const('ones', fill, new Float64Array(sizeOf(fill)).fill(1))] : [ctx.const('ones', fill, new Float64Array(sizeOf(fill)).fill(1)), keep], { axis }, '_')[0];
      const zeros = dims.map((_, i) => (i === axis ? d : 0));
      const none = dims.map(() => 0);
      return ctx.op('pad', [keep], reverse ? { before: none, after: zeros } : { before: zeros, after: none }, '_')[0];
    };
    // An exclusive sum (product) along an axis of length 1 is all zeros (ones), whatever the input.
    if (exclusive && n === 1) return [konst(dims, new Float64Array(sizeOf(dims)).fill(unit), dtype)];
    let y = exclusive ? shift(v.t, 1) : v.t;
    for (let d = 1; d < n; d *= 2) {
      const role = d * 2 >= n ? 'h' : '_';
      if (!product || bits === 0) y = ctx.map(product ? 'mul' : 'add', [y, shift(y, d)], [], role);
      else y = (wrapped(ctx, ctx.map(bits > 26 ? 'mul_wrap32' : 'mul', [y, shift(y, d)], [], '_'), dtype) as { t: TensorRef }).t;
    }
    // Integer sums wrap into their type as ONNX's Add does (the wrap of the total is the wrap of each partial sum).
    return [isFloat(dtype) ? tensor(y) : product ? tensor(y, dtype) : wrapped(ctx, y, dtype)];
  };
}

/** ONNX op type → extractor for the attention ops and mask patterns. */
export const attentionOps: Record<string, OnnxExtractor> = {
  Where: where,
  Or: logical('Or', (a, b) => a || b),
  And: logical('And', (a, b) => a && b),
  Xor: logical('Xor', (a, b) => a !== b),
  Not: logical('Not', (a) => !a),
  Trilu: trilu,
  CumSum: cumulative(false),
  CumProd: cumulative(true),
};
