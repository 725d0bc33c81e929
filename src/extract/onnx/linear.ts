import { attrFloat, attrInt } from '../../load/onnx/attributes.js';
import type { T } from '../../tensor/program.js';
import { broadcast, expandValues, moved, permute, tensor, type Const, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * Gemm and MatMul. A constant right operand is a `dense` weight (alpha folded into it, beta·C
 * into its bias when C is a row); two computed 2-D operands are a `dot`.
 */

/** The product of a computed [..., K] by a constant [K, N] (scaled), with an optional bias row. */
function denseBy(ctx: OnnxContext, x: T, w: Const, scale: number, bias: Float64Array | null): T {
  const values = scale === 1 ? w.values : w.values.map((v) => v * scale);
  const W = ctx.const('W', w.dims, values);
  const args = [x, W];
  if (bias) args.push(ctx.const('b', [w.dims[1]], bias));
  return ctx.op('dense', args, { pairs: 1, bias: bias !== null })[0];
}

/** The 2-D transpose of a constant. */
function transposed(c: Const): Const {
  return moved(c, [c.dims[1], c.dims[0]], permute(c.values, c.dims, [1, 0]));
}

const gemm: OnnxExtractor = (ctx) => {
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const beta = attrFloat(ctx.node, 'beta', 1);
  const transA = attrInt(ctx.node, 'transA', 0) === 1;
  const transB = attrInt(ctx.node, 'transB', 0) === 1;
  const a = ctx.val(0);
  const bv = ctx.val(1);
  const ad = ctx.shape(0);
  const bd = ctx.shape(1);
  if (ad.length !== 2 || bd.length !== 2) return ctx.fail(`expects 2-D A and B, found [${ad.join(', ')}] and [${bd.join(', ')}]`);
  const n = transB ? bd[0] : bd[1];
  const m = transA ? ad[1] : ad[0];
  const c = ctx.has(2) && beta !== 0 ? ctx.val(2) : null;
  const cd = c ? (c.kind === 'const' ? c.dims : c.t.shape) : [];
  if (c && !broadcast(cd, [m, n])) return ctx.fail(`C has shape [${cd.join(', ')}], which does not broadcast to [${m}, ${n}]`);
  let y: T;
  let cDone = false;
  if (bv.kind === 'const' && a.kind === 'tensor') {
    const w = transB ? transposed(bv) : bv;
    const x = transA ? ctx.transpose(a.t, [1, 0]) : a.t;
    // beta·C is the bias when it is one row (or a number).
    let bias: Float64Array | null = null;
    if (c && c.kind === 'const' && (cd.length < 2 || cd[0] === 1)) {
      bias = expandValues(c, [n]).map((v) => v * beta);
      cDone = true;
    }
    y = denseBy(ctx, x, w, alpha, bias);
  } else {
    const x = transA ? ctx.transpose(ctx.tensor(0, 'A'), [1, 0]) : ctx.tensor(0, 'A');
    const w = transB ? ctx.transpose(ctx.tensor(1, 'B'), [1, 0]) : ctx.tensor(1, 'B');
    y = ctx.op('dot', [x, w], { axes: [1, 0], normalize: false }, '_')[0];
    if (alpha !== 1) y = ctx.map('affine', [y], [alpha, 0], '_');
  }
  if (c && !cDone) {
    const ct = c.kind === 'const' ? ctx.const('c', cd, c.values.map((v) => v * beta)) : beta === 1 ? c.t : ctx.map('affine', [c.t], [beta, 0], '_');
    y = ctx.map('add', [y, ct]);
  }
  return [tensor(y)];
};

const matmul: OnnxExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  const ad = ctx.shape(0);
  const bd = ctx.shape(1);
  if (a.kind === 'const' && b.kind === 'const') return ctx.fail('multiplies two constants (not folded by nn2eq)');
  if (b.kind === 'const' && a.kind === 'tensor' && bd.length === 2) return [tensor(denseBy(ctx, a.t, b, 1, null))];
  if (b.kind === 'const' && a.kind === 'tensor' && bd.length === 1) {
    const y = denseBy(ctx, a.t, moved(b, [bd[0], 1], b.values), 1, null);
    return [tensor(ctx.reshape(y, ad.slice(0, -1), 'h'))];
  }
  // A constant left operand: (B^T A^T)^T.
  if (a.kind === 'const' && b.kind === 'tensor' && ad.length === 2 && bd.length >= 2) {
    const r = bd.length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    const bt = ctx.transpose(b.t, perm);
    const y = denseBy(ctx, bt, transposed(a), 1, null);
    return [tensor(ctx.transpose(y, perm, 'h'))];
  }
  if (ad.length <= 2 && bd.length <= 2) {
    const y = ctx.op('dot', [ctx.tensor(0, 'A'), ctx.tensor(1, 'B')], { axes: [ad.length - 1, 0], normalize: false })[0];
    const want = [...ad.slice(0, -1), ...bd.slice(1)];
    return [tensor(ctx.reshape(y, want, 'h'))];
  }
  if (ad.length >= 2 && (bd.length >= 2 || bd.length === 1)) return [tensor(batchedDot(ctx, ctx.tensor(0, 'A'), ctx.tensor(1, 'B')))];
  if (ad.length === 1 && bd.length > 2) {
    // A vector on the left (numpy's rule): a row [1, K] against every matrix of b, then the row axis dropped.
    const y = batchedDot(ctx, ctx.reshape(ctx.tensor(0, 'A'), [1, ad[0]]), ctx.tensor(1, 'B'));
    return [tensor(ctx.reshape(y, [...bd.slice(0, -2), bd[bd.length - 1]], 'h'))];
  }
  return ctx.fail(`multiplies two computed tensors of shapes [${ad.join(', ')}] and [${bd.join(', ')}]; nn2eq multiplies computed matrices of rank 2 at most`);
};

/** a[..., M, K] @ b[..., K, N] (or b[K]) with broadcast batch axes: one `matmul`. */
export function batchedDot(ctx: OnnxContext, a: T, b: T): T {
  const vec = b.shape.length === 1;
  const bm = vec ? ctx.reshape(b, [b.shape[0], 1]) : b;
  const y = ctx.op('matmul', [a, bm], {}, vec ? '_' : 'h')[0];
  return vec ? ctx.reshape(y, y.shape.slice(0, -1), 'h') : y;
}

/** ONNX op type → extractor for matrix products. */
export const linearOps: Record<string, OnnxExtractor> = {
  Gemm: gemm,
  MatMul: matmul,
};
