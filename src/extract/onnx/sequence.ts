import { attrInt, attrString } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { axisOf, tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * x's slices along `axis` picked per batch element: ids [B, J] (whole numbers in [0, n)) give, for
 * batch element b (along `batchAxis`), the J slices to take. The result is x with `axis` J long.
 * The rows of x as [B·n, rest] are picked by `gather_rows` at b·n + id, the rest put back.
 */
function pickAlong(ctx: OnnxContext, x: T, batchAxis: number, axis: number, ids: T): T {
  const dims = x.shape;
  const B = dims[batchAxis];
  const n = dims[axis];
  const J = ids.shape[1];
  const others = dims.map((_, i) => i).filter((i) => i !== batchAxis && i !== axis);
  const perm = [batchAxis, axis, ...others];
  const rest = others.map((i) => dims[i]);
  const table = ctx.reshape(ctx.transpose(x, perm), [B * n, sizeOf(rest)]);
  const base = ctx.const('row', [B, 1], Array.from({ length: B }, (_, b) => b * n));
  const rows = ctx.op('gather_rows', [table, ctx.map('add', [ids, base], [], '_')], {}, '_')[0];
  const picked = ctx.reshape(rows, [B, J, ...rest]);
  return ctx.transpose(picked, perm.map((_, i) => perm.indexOf(i)), 'h');
}

/** The positions 0 … n − 1 as a constant row [1, n]. */
const positions = (ctx: OnnxContext, n: number) => ctx.const('j', [1, n], Array.from({ length: n }, (_, j) => j));

/**
 * ReverseSequence (opset 10, onnx/reference/ops/op_reverse_sequence.py): for each batch element b
 * the first sequence_lens[b] steps along time_axis reversed, the rest unchanged: step t reads
 * step len − 1 − t when t < len, else t. sequence_lens may be computed: the step read is then a
 * computed index (see pickAlong).
 */
const reverseSequence: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'x');
  const r = x.shape.length;
  if (r < 2) return ctx.fail(`expects input of rank 2 or more, found [${x.shape.join(', ')}]`);
  const batchAxis = axisOf(ctx, attrInt(ctx.node, 'batch_axis', 1), r);
  const timeAxis = axisOf(ctx, attrInt(ctx.node, 'time_axis', 0), r);
  if (batchAxis === timeAxis || batchAxis > 1 || timeAxis > 1) return ctx.fail(`batch_axis ${batchAxis} and time_axis ${timeAxis} must be 0 and 1, one each`);
  const B = x.shape[batchAxis];
  const T = x.shape[timeAxis];
  const lens = ctx.tensor(1, 'lens');
  if (lens.shape.length !== 1 || lens.shape[0] !== B) return ctx.fail(`sequence_lens [${lens.shape.join(', ')}] must hold one length per batch element (${B})`);
  const len = ctx.reshape(lens, [B, 1]);
  const t = positions(ctx, T);
  const src = ctx.map('where', [ctx.map('less', [t, len], [], '_'), ctx.map('sub', [ctx.map('affine', [len], [1, -1], '_'), t], [], '_'), t], [], '_');
  return [tensor(pickAlong(ctx, x, batchAxis, timeAxis, src))];
};

/**
 * TensorScatter (opset 24, onnx/reference/ops/op_tensor_scatter.py): update [B, …, S, …] written
 * into past_cache [B, …, M, …] along `axis`, for batch element b at write_indices[b] (0 when
 * omitted) onwards; circular mode wraps past M. Position j of the cache takes update step
 * j − w_b (mod M, circular) when that lies in [0, S), else keeps the cache's value. write_indices
 * may be computed (see pickAlong).
 */
const tensorScatter: OnnxExtractor = (ctx) => {
  const past = ctx.tensor(0, 'cache');
  const update = ctx.tensor(1, 'update');
  const mode = attrString(ctx.node, 'mode', 'linear');
  if (mode !== 'linear' && mode !== 'circular') return ctx.fail(`mode '${mode}' is not one of ONNX's (linear, circular)`);
  const dims = past.shape;
  const r = dims.length;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -2), r);
  if (axis === 0) return ctx.fail('axis 0 is the batch axis; TensorScatter writes along another');
  if (update.shape.length !== r || update.shape.some((d, i) => (i === axis ? d > dims[i] : d !== dims[i]))) return ctx.fail(`update [${update.shape.join(', ')}] does not fit past_cache [${dims.join(', ')}] off axis ${axis}`);
  const [B] = dims;
  const M = dims[axis];
  const S = update.shape[axis];
  const w = ctx.has(2) ? ctx.tensor(2, 'w') : ctx.const('w', [B], new Float64Array(B));
  if (w.shape.length !== 1 || w.shape[0] !== B) return ctx.fail(`write_indices [${w.shape.join(', ')}] must hold one index per batch element (${B})`);
  let rel = ctx.map('sub', [positions(ctx, M), ctx.reshape(w, [B, 1])], [], '_');
  if (mode === 'circular') rel = ctx.map('int_mod', [rel, ctx.const('M', [1], [M])], [], '_');
  const inside = ctx.map('and', [ctx.map('at_least', [rel], [0], '_'), ctx.map('less_than', [rel], [S], '_')], [], '_');
  const picked = pickAlong(ctx, update, 0, axis, ctx.map('clip', [rel], [0, S - 1], '_'));
  const mask = ctx.reshape(inside, dims.map((d, i) => (i === 0 || i === axis ? d : 1)));
  return [tensor(ctx.map('where', [mask, picked, past]))];
};

/** ONNX op type → extractor for the ops that index a sequence axis per batch element. */
export const sequenceOps: Record<string, OnnxExtractor> = { ReverseSequence: reverseSequence, TensorScatter: tensorScatter };
