import { attrInts } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { tensor, type OnnxExtractor } from './context.js';
import { extremeAlong } from './reduce.js';

/** The largest number of (input element, output element) comparisons a computed MaxUnpool prints. */
const MAX_PAIRS = 1 << 22;

/**
 * MaxUnpool (opset 22, onnx/reference/ops/op_max_unpool.py): the zeros of the unpooled shape
 * [N, C, (S − 1)·stride − pads + kernel], with X[k] written at flat position I[k] (the index MaxPool
 * gave; a later k wins), then zeros after each axis up to output_shape. Constant indices pick
 * constant positions; computed ones compare every index with every position: position p takes
 * X at the last k with I[k] = p, or 0.
 */
const maxUnpool: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'X');
  const dims = x.shape;
  const r = dims.length - 2;
  if (r < 1) return ctx.fail(`expects X [N, C, …spatial], found [${dims.join(', ')}]`);
  const ishape = ctx.shape(1);
  if (ishape.length !== dims.length || ishape.some((d, i) => d !== dims[i])) return ctx.fail(`indices [${ishape.join(', ')}] must have X's shape [${dims.join(', ')}]`);
  const kernel = attrInts(ctx.node, 'kernel_shape', undefined) ?? ctx.fail('the kernel_shape attribute is missing');
  const strides = attrInts(ctx.node, 'strides', undefined) ?? kernel.map(() => 1);
  const pads = attrInts(ctx.node, 'pads', undefined) ?? new Array<number>(2 * r).fill(0);
  const inferred = [dims[0], dims[1], ...kernel.map((k, i) => (dims[i + 2] - 1) * strides[i] - pads[i] - pads[i + r] + k)];
  const out = ctx.has(2) ? Array.from(ctx.constant(2, 'output_shape').values, (v) => Math.trunc(v)) : inferred;
  if (out.length !== dims.length || out.some((d, i) => d < inferred[i] || (i < 2 && d !== inferred[i]))) return ctx.fail(`output_shape [${out.join(', ')}] is smaller than the unpooled shape [${inferred.join(', ')}] or changes N or C`);
  const K = sizeOf(dims);
  const P = sizeOf(inferred);
  const table = ctx.reshape(x, [K, 1]);
  const idx = ctx.val(1);
  let y: T;
  if (idx.kind === 'const') {
    if (idx.values.some((p) => !(Number.isInteger(p) && p >= 0 && p < P))) return ctx.fail(`an index is outside the ${P} elements of the unpooled shape`);
    const last = new Int32Array(P).fill(-1);
    idx.values.forEach((p, k) => (last[p] = k));
    const picked = ctx.op('gather_rows', [table, ctx.const('ids', [P], Array.from(last, (k) => Math.max(k, 0)))], {}, '_')[0];
    y = ctx.map('where', [ctx.const('hit', [P, 1], Array.from(last, (k) => (k >= 0 ? 1 : 0))), picked, ctx.const('zero', [1], [0])], [], '_');
  } else {
    if (K * P > MAX_PAIRS) return ctx.fail(`computed indices: ${K}·${P} comparisons of indices with positions are too many to print (at most ${MAX_PAIRS})`, 'make the indices constant (an initializer), or unpool a smaller tensor');
    const ids = ctx.reshape(idx.t, [K, 1]);
    const pos = ctx.const('p', [1, P], Array.from({ length: P }, (_, p) => p));
    const order = ctx.const('k', [K, 1], Array.from({ length: K }, (_, k) => k));
    const hits = ctx.map('where', [ctx.map('equal', [ids, pos], [], '_'), order, ctx.const('none', [1], [-1])], [], '_');
    const last = ctx.reshape(extremeAlong(ctx, hits, 0), [P]);
    const picked = ctx.op('gather_rows', [table, ctx.map('clip', [last], [0, K - 1], '_')], {}, '_')[0];
    y = ctx.map('where', [ctx.reshape(ctx.map('at_least', [last], [0], '_'), [P, 1]), picked, ctx.const('zero', [1], [0])], [], '_');
  }
  const unpooled = ctx.reshape(y, inferred, out.every((d, i) => d === inferred[i]) ? 'h' : '_');
  if (out.every((d, i) => d === inferred[i])) return [tensor(unpooled)];
  return [tensor(ctx.op('pad', [unpooled], { before: out.map(() => 0), after: out.map((d, i) => d - inferred[i]) }, 'h')[0])];
};

/** ONNX op type → extractor for MaxUnpool. */
export const unpoolOps: Record<string, OnnxExtractor> = { MaxUnpool: maxUnpool };
