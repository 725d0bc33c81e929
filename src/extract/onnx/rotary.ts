import { attrInt } from '../../load/onnx/attributes.js';
import { isFloat } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { dtypeOfVal, tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * The rows of a cos or sin cache [positions, r/2] at position_ids [B, S]: [B, S, r/2]. Constant
 * ids pick constant rows (folded) or slices; computed ids index a constant cache by `gather` and a
 * computed one by `gather_rows` (NaN for an id out of range: its row does not exist).
 */
function rowsAt(ctx: OnnxContext, cache: number, ids: number): T {
  const c = ctx.val(cache);
  const p = ctx.val(ids);
  const dims = ctx.shape(cache);
  const pd = ctx.shape(ids);
  if (dims.length !== 2 || pd.length !== 2) return ctx.fail(`expects caches [positions, r/2] and position_ids [B, S] together, found [${dims.join(', ')}] and [${pd.join(', ')}]`);
  const [rows, half] = dims;
  if (p.kind === 'const') {
    const at = Array.from(p.values, (v) => Math.trunc(v));
    if (at.some((v) => v < 0 || v >= rows)) return ctx.fail(`a position id is outside the cache's ${rows} positions`);
    if (c.kind === 'const') {
      const out = new Float64Array(at.length * half);
      at.forEach((r, k) => out.set(c.values.subarray(r * half, (r + 1) * half), k * half));
      return ctx.const('cos', [...pd, half], out);
    }
    return ctx.reshape(ctx.op('gather_rows', [c.t, ctx.const('ids', pd, at)], {}, '_')[0], [...pd, half], '_');
  }
  if (c.kind === 'const') return ctx.op('gather', [p.t, ctx.const('E', [rows, half], c.values)], {}, '_')[0];
  return ctx.op('gather_rows', [c.t, p.t], {}, '_')[0];
}

/**
 * RotaryEmbedding (opset 23, onnx/reference/ops/op_rotary_embedding.py): the first r elements of
 * each head (r = rotary_embedding_dim, or the head size) taken as r/2 pairs (x₁, x₂), the halves or,
 * interleaved, the even and odd elements, rotated by the angle of the position: (cos·x₁ − sin·x₂,
 * sin·x₁ + cos·x₂), written back where they came from; the other elements pass unchanged. Input
 * [B, heads, S, d], or [B, S, heads·d] with num_heads; cos and sin [B, S, r/2], or rows of caches
 * [positions, r/2] picked by position_ids [B, S] (computed ids: see rowsAt).
 */
const rotaryEmbedding: OnnxExtractor = (ctx) => {
  const x0 = ctx.tensor(0, 'x');
  if (!isFloat(ctx.dtype(0))) return ctx.fail(`rotates ${ctx.dtype(0)} values; ONNX defines RotaryEmbedding for floating-point inputs`);
  const rank = x0.shape.length;
  if (rank !== 3 && rank !== 4) return ctx.fail(`expects an input of rank 3 or 4, found [${x0.shape.join(', ')}]`);
  const [B] = x0.shape;
  const heads = attrInt(ctx.node, 'num_heads', 0);
  if (rank === 3 && !(heads > 0 && x0.shape[2] % heads === 0)) return ctx.fail(`a 3-D input [${x0.shape.join(', ')}] needs num_heads dividing its hidden size, found ${heads}`);
  // [B, heads, S, d] as it is; [B, S, hidden] as [B, S, heads, d]. S is axis 2 or 1.
  const x = rank === 4 ? x0 : ctx.reshape(x0, [B, x0.shape[1], heads, x0.shape[2] / heads]);
  const S = rank === 4 ? x.shape[2] : x.shape[1];
  const d = x.shape[3];
  const r = attrInt(ctx.node, 'rotary_embedding_dim', 0) || d;
  if (r % 2 !== 0 || r > d) return ctx.fail(`rotary_embedding_dim ${r} must be even and at most the head size ${d}`);
  const half = r / 2;
  const ids = ctx.has(3);
  if (ids && ctx.dtype(3) !== 'int64') return ctx.fail(`position_ids must be int64, found ${ctx.dtype(3)}`);
  for (const i of [1, 2]) if (!isFloat(dtypeOfVal(ctx.val(i)))) return ctx.fail('cos_cache and sin_cache must be floating-point');
  const trig = [1, 2].map((i) => {
    const t = ids ? rowsAt(ctx, i, 3) : ctx.tensor(i, i === 1 ? 'cos' : 'sin');
    if (t.shape.length !== 3 || t.shape[0] !== B || t.shape[1] !== S || t.shape[2] !== half) {
      return ctx.fail(`${i === 1 ? 'cos' : 'sin'} is [${t.shape.join(', ')}], expected [${B}, ${S}, ${half}] (batch, sequence, rotary_embedding_dim/2)`);
    }
    // Broadcast over the heads: [B, 1, S, r/2] or [B, S, 1, r/2].
    return ctx.reshape(t, rank === 4 ? [B, 1, S, half] : [B, S, 1, half]);
  });
  const [cos, sin] = trig;
  const lead = x.shape.slice(0, 3);
  const box = (from: number, to: number) => ctx.op('slice', [x], { begin: [0, 0, 0, from], end: [...lead, to] }, '_')[0];
  const rotated = r < d ? box(0, r) : x;
  let x1: T;
  let x2: T;
  const interleaved = attrInt(ctx.node, 'interleaved', 0) === 1;
  if (interleaved) {
    const pairs = ctx.reshape(rotated, [...lead, half, 2]);
    const part = (k: number) => ctx.reshape(ctx.op('slice', [pairs], { begin: [0, 0, 0, 0, k], end: [...lead, half, k + 1] }, '_')[0], [...lead, half]);
    x1 = part(0);
    x2 = part(1);
  } else {
    x1 = ctx.op('slice', [rotated], { begin: [0, 0, 0, 0], end: [...lead, half] }, '_')[0];
    x2 = ctx.op('slice', [rotated], { begin: [0, 0, 0, half], end: [...lead, r] }, '_')[0];
  }
  const real = ctx.map('sub', [ctx.map('mul', [cos, x1], [], '_'), ctx.map('mul', [sin, x2], [], '_')], [], '_');
  const imag = ctx.map('mul_add_mul', [sin, x1, cos, x2], [], '_');
  const col = (t: T) => ctx.reshape(t, [...lead, half, 1]);
  const role = r < d || rank === 3 ? '_' : 'h';
  let y = interleaved ? ctx.reshape(ctx.op('concat', [col(real), col(imag)], { axis: 4 }, '_')[0], [...lead, r], role) : ctx.op('concat', [real, imag], { axis: 3 }, role)[0];
  if (r < d) y = ctx.op('concat', [y, box(r, d)], { axis: 3 }, rank === 3 ? '_' : 'h')[0];
  return [tensor(ctx.reshape(y, x0.shape, 'h'))];
};

/** ONNX op type → extractor for RotaryEmbedding. */
export const rotaryOps: Record<string, OnnxExtractor> = { RotaryEmbedding: rotaryEmbedding };
