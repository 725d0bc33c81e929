import { attrFloat, attrInt } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { broadcast, dtypeOfVal, expandValues, konst, tensor, type Const, type OnnxExtractor, type Val } from './context.js';
import { batchedDot } from './linear.js';
import { extremeAlong, sumAlong } from './reduce.js';

/**
 * ONNX's Attention node (opsets 23 and 24, onnx/reference/ops/op_attention.py), built from the
 * table's ops: Q, K, V as [B, heads, S, d] (3-D inputs [B, S, heads·d] split into heads), the
 * past keys and values joined before K and V (present_key, present_value), K and V heads repeated
 * for grouped-query attention, scores scale·Q·Kᵀ, softcap·tanh(·/softcap), plus the bias (the
 * causal mask aligned bottom-right, attn_mask additive or boolean, padded with −∞ to the keys,
 * and the padding of nonpad_kv_seqlen), the softmax along the keys, and its product with V.
 * A row whose keys are all masked gives zeros (its softmax is 0, not NaN). The causal and padding
 * masks are constants; a computed attn_mask is added (a boolean one chosen as 0 or −∞).
 */
const attention: OnnxExtractor = (ctx) => {
  const q0 = ctx.tensor(0, 'Q');
  const rank = q0.shape.length;
  if (rank !== 3 && rank !== 4) return ctx.fail(`expects Q of rank 3 or 4, found [${q0.shape.join(', ')}]`);
  if ([1, 2].some((i) => ctx.shape(i).length !== rank)) return ctx.fail('Q, K and V must have one rank');
  const qHeads = attrInt(ctx.node, 'q_num_heads', rank === 4 ? q0.shape[1] : NaN);
  const kvHeads = attrInt(ctx.node, 'kv_num_heads', rank === 4 ? ctx.shape(1)[1] : NaN);
  if (rank === 3 && (!(qHeads > 0) || !(kvHeads > 0))) return ctx.fail('3-D inputs need the q_num_heads and kv_num_heads attributes');
  const B = q0.shape[0];
  // [B, S, heads·d] → [B, heads, S, d].
  const heads = (t: T, h: number): T => {
    if (rank === 4) return t;
    const [, s, hidden] = t.shape;
    if (hidden % h !== 0) return ctx.fail(`hidden size ${hidden} is not a multiple of ${h} heads`);
    return ctx.transpose(ctx.reshape(t, [B, s, h, hidden / h]), [0, 2, 1, 3]);
  };
  const Q = heads(q0, qHeads);
  let K = heads(ctx.tensor(1, 'K'), kvHeads);
  let V = heads(ctx.tensor(2, 'V'), kvHeads);
  const past = ctx.has(4) ? ctx.shape(4)[2] : 0;
  if (ctx.has(4)) K = ctx.op('concat', [ctx.tensor(4, 'past_key'), K], { axis: 2 }, '_')[0];
  if (ctx.has(5)) V = ctx.op('concat', [ctx.tensor(5, 'past_value'), V], { axis: 2 }, '_')[0];
  const presentK = K;
  const presentV = V;
  const [, hq, sq, d] = Q.shape;
  const [, hkv, skv] = K.shape;
  if (hq !== hkv) {
    if (hq % hkv !== 0) return ctx.fail(`${hq} query heads are not a multiple of ${hkv} key/value heads`);
    // Grouped-query attention: each key/value head repeated for its group of query heads (h0, h0, h1, h1, …).
    const repeat = (t: T) => {
      const [, h, s, e] = t.shape;
      const one = ctx.reshape(t, [B, h, 1, s, e]);
      return ctx.reshape(ctx.op('concat', new Array<T>(hq / h).fill(one), { axis: 2 }, '_')[0], [B, hq, s, e]);
    };
    K = repeat(K);
    V = repeat(V);
  }
  const scale = attrFloat(ctx.node, 'scale', 1 / Math.sqrt(d));
  let scores = ctx.map('affine', [batchedDot(ctx, Q, ctx.transpose(K, [0, 1, 3, 2]))], [scale, 0], '_');
  const softcap = attrFloat(ctx.node, 'softcap', 0);
  if (softcap > 0) scores = ctx.map('affine', [ctx.map('tanh', [ctx.map('affine', [scores], [1 / softcap, 0], '_')], [], '_')], [softcap, 0], '_');
  const capped = scores;

  // The constant part of the bias, broadcast to [B, 1, sq, skv] at most.
  let bias: Const | null = null;
  const addConst = (dims: readonly number[], values: ArrayLike<number>) => {
    const c = konst(dims, values, 'float32');
    if (!bias) return void (bias = c);
    const shape = broadcast(bias.dims, dims)!;
    const a = expandValues(bias, shape);
    const b = expandValues(c, shape);
    bias = konst(shape, a.map((x, i) => x + b[i]), 'float32');
  };
  const causal = attrInt(ctx.node, 'is_causal', 0) === 1;
  const nonpad = ctx.has(6) ? ctx.constant(6, 'nonpad_kv_seqlen').values : null;
  if (nonpad && nonpad.length !== B) return ctx.fail(`nonpad_kv_seqlen has ${nonpad.length} values, expected one per batch (${B})`);
  if (causal) {
    // Key j is seen from query i when j ≤ i + offset: offset = the past's length, or nonpad − sq per batch (no past).
    const offsets = !ctx.has(4) && nonpad ? Array.from(nonpad, (n) => n - sq) : [past];
    const m = new Float64Array(offsets.length * sq * skv);
    offsets.forEach((o, b) => {
      for (let i = 0; i < sq; i++) for (let j = 0; j < skv; j++) m[(b * sq + i) * skv + j] = j <= i + o ? 0 : -Infinity;
    });
    addConst(offsets.length > 1 ? [offsets.length, 1, sq, skv] : [sq, skv], m);
  }
  if (nonpad) {
    const m = new Float64Array(B * skv);
    for (let b = 0; b < B; b++) for (let j = 0; j < skv; j++) m[b * skv + j] = j < nonpad[b] ? 0 : -Infinity;
    addConst([B, 1, 1, skv], m);
  }
  let maskT: T | null = null;
  if (ctx.has(3)) {
    const mv = ctx.val(3);
    const boolean = dtypeOfVal(mv) === 'bool';
    const md = mv.kind === 'const' ? mv.dims : mv.t.shape;
    const pad = skv - md[md.length - 1];
    if (pad < 0) return ctx.fail(`attn_mask has ${md[md.length - 1]} keys, more than the ${skv} keys`);
    const padDims = [...md.slice(0, -1), pad];
    if (mv.kind === 'const') {
      const vals = mv.values.map((x) => (boolean ? (x !== 0 ? 0 : -Infinity) : x));
      const full = new Float64Array(sizeOf([...md.slice(0, -1), skv])).fill(-Infinity);
      const w = md[md.length - 1];
      for (let r = 0; r < vals.length / Math.max(1, w); r++) for (let j = 0; j < w; j++) full[r * skv + j] = vals[r * w + j];
      addConst([...md.slice(0, -1), skv], full);
    } else {
      let m = boolean ? ctx.map('where', [mv.t, ctx.const('zero', [1], [0]), ctx.const('masked', [1], [-Infinity])], [], '_') : mv.t;
      if (pad > 0) m = ctx.op('concat', [m, ctx.const('masked', padDims, new Float64Array(sizeOf(padDims)).fill(-Infinity))], { axis: md.length - 1 }, '_')[0];
      maskT = m;
    }
  }
  const finalBias: Const | null = bias;
  if (finalBias) scores = ctx.map('add', [scores, ctx.const('M', (finalBias as Const).dims, (finalBias as Const).values)], [], '_');
  if (maskT) scores = ctx.map('add', [scores, maskT], [], '_');
  const biased = scores;

  // Softmax along the keys; with masks, a row whose keys are all −∞ gives zeros.
  const masked = finalBias !== null || maskT !== null;
  let probs: T;
  if (!masked) probs = ctx.op('softmax', [scores], { axes: [3] }, '_')[0];
  else {
    const m = extremeAlong(ctx, scores, 3);
    const shift = ctx.map('where', [ctx.map('equal_to', [m], [-Infinity], '_'), ctx.const('zero', [1], [0]), m], [], '_');
    const e = ctx.map('exp', [ctx.map('sub', [scores, shift], [], '_')], [], '_');
    const total = sumAlong(ctx, e, [3]);
    probs = ctx.map('where', [ctx.map('equal_to', [total], [0], '_'), ctx.const('zero', [1], [0]), ctx.map('div', [e, total], [], '_')], [], '_');
  }
  let y = batchedDot(ctx, probs, V);
  if (rank === 3) y = ctx.reshape(ctx.transpose(y, [0, 2, 1, 3]), [B, sq, hq * V.shape[3]], 'h');
  const mode = attrInt(ctx.node, 'qk_matmul_output_mode', 0);
  const qk = mode === 3 ? probs : mode === 2 ? biased : capped;
  const outs: Val[] = [tensor(y), tensor(presentK), tensor(presentV), tensor(qk)];
  return outs.slice(0, Math.max(1, ctx.node.outputs.length));
};

/** ONNX op type → extractor for the Attention node. */
export const attentionNodeOps: Record<string, OnnxExtractor> = {
  Attention: attention,
};

