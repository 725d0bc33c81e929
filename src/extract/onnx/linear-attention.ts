import { attrFloat, attrInt, attrString } from '../../load/onnx/attributes.js';
import type { T } from '../../tensor/program.js';
import { dtypeOfVal, tensor, type OnnxContext, type OnnxExtractor } from './context.js';

const RULES = ['linear', 'gated', 'delta', 'gated_delta'] as const;

/** [B, T, H·D] → [B, H, T, D]. */
function heads(ctx: OnnxContext, t: T, h: number, what: string): T {
  const [b, n, hd] = t.shape;
  if (t.shape.length !== 3 || hd % h !== 0) return ctx.fail(`${what} [${t.shape.join(', ')}] is not [B, T, ${h}·D]`);
  return ctx.transpose(ctx.reshape(t, [b, n, h, hd / h]), [0, 2, 1, 3]);
}

/**
 * LinearAttention (opset 27, onnx/reference/ops/op_linear_attention.py): a recurrence over the T
 * positions of a state S [B, H_kv, d_k, d_v] (past_state, or zeros), unrolled step by step:
 * gated rules decay it, S ← S·exp(g_t); delta rules correct the value, v_t ← β_t·(v_t − k_tᵀS);
 * every rule writes S ← S + k_t⊗v_t and reads o_t = scale·q_tᵀS (each key/value head's state read
 * by its group of query heads). Query, key and value are [B, T, heads·D]; decay [B, T, H_kv] or
 * [B, T, H_kv·d_k], beta [B, T, H_kv] or [B, T, 1]. Outputs: o [B, T, H_q·d_v] and the final S.
 */
const linearAttention: OnnxExtractor = (ctx) => {
  const rule = attrString(ctx.node, 'update_rule', 'gated_delta');
  if (!(RULES as readonly string[]).includes(rule)) return ctx.fail(`update_rule '${rule}' is not one of ONNX's (${RULES.join(', ')})`);
  const gating = rule === 'gated' || rule === 'gated_delta';
  const delta = rule === 'delta' || rule === 'gated_delta';
  if (gating !== ctx.has(4)) return ctx.fail(`update_rule '${rule}' ${gating ? 'needs' : 'takes no'} decay input`);
  if (delta !== ctx.has(5)) return ctx.fail(`update_rule '${rule}' ${delta ? 'needs' : 'takes no'} beta input`);
  const hq = attrInt(ctx.node, 'q_num_heads', 0);
  const hkv = attrInt(ctx.node, 'kv_num_heads', 0);
  if (!(hq > 0 && hkv > 0 && hq % hkv === 0)) return ctx.fail(`q_num_heads (${hq}) must be a positive multiple of kv_num_heads (${hkv})`);
  const q = heads(ctx, ctx.tensor(0, 'Q'), hq, 'query');
  const k = heads(ctx, ctx.tensor(1, 'K'), hkv, 'key');
  const v = heads(ctx, ctx.tensor(2, 'V'), hkv, 'value');
  const [B, , T, dk] = q.shape;
  const dv = v.shape[3];
  if (k.shape[0] !== B || k.shape[2] !== T || k.shape[3] !== dk || v.shape[0] !== B || v.shape[2] !== T) return ctx.fail(`query [${ctx.shape(0).join(', ')}], key [${ctx.shape(1).join(', ')}] and value [${ctx.shape(2).join(', ')}] do not agree on B, T and d_k`);
  let decay: T | null = null;
  if (gating) {
    const d = ctx.tensor(4, 'decay');
    const last = d.shape[2];
    if (d.shape.length !== 3 || d.shape[0] !== B || d.shape[1] !== T || (last !== hkv && last !== hkv * dk)) return ctx.fail(`decay [${d.shape.join(', ')}] is not [${B}, ${T}, ${hkv}] or [${B}, ${T}, ${hkv * dk}]`);
    decay = heads(ctx, d, hkv, 'decay');
  }
  let beta: T | null = null;
  if (delta) {
    const b = ctx.tensor(5, 'beta');
    const last = b.shape[2];
    if (b.shape.length !== 3 || b.shape[0] !== B || b.shape[1] !== T || (last !== hkv && last !== 1)) return ctx.fail(`beta [${b.shape.join(', ')}] is not [${B}, ${T}, ${hkv}] or [${B}, ${T}, 1]`);
    beta = heads(ctx, b, last, 'beta');
  }
  let state: T | null = null;
  if (ctx.has(3)) {
    state = ctx.tensor(3, 'S');
    const want = [B, hkv, dk, dv];
    if (state.shape.length !== 4 || state.shape.some((n, i) => n !== want[i])) return ctx.fail(`past_state [${state.shape.join(', ')}] is not [${want.join(', ')}]`);
  }
  const scale = attrFloat(ctx.node, 'scale', 0) || 1 / Math.sqrt(dk);
  const qs = ctx.map('affine', [q], [scale, 0], '_');
  const at = (t: T, i: number) => ctx.op('slice', [t], { begin: [0, 0, i, 0], end: [t.shape[0], t.shape[1], i + 1, t.shape[3]] }, '_')[0];
  const group = hq / hkv;
  const outs: T[] = [];
  for (let i = 0; i < T; i++) {
    const kt = at(k, i);
    let vt = at(v, i);
    if (decay && state) {
      const g = at(decay, i);
      state = ctx.map('mul', [state, ctx.reshape(ctx.map('exp', [g], [], '_'), [B, hkv, g.shape[3], 1])], [], '_');
    }
    if (beta) {
      if (state) vt = ctx.map('sub', [vt, ctx.op('matmul', [kt, state], {}, '_')[0]], [], '_');
      vt = ctx.map('mul', [at(beta, i), vt], [], '_');
    }
    const kcol = ctx.reshape(kt, [B, hkv, dk, 1]);
    state = state ? ctx.map('add_mul', [state, kcol, vt], [], '_') : ctx.map('mul', [kcol, vt], [], '_');
    // Grouped heads: each key/value head's state repeated for its query heads (h0, h0, h1, h1, …).
    const read = group === 1 ? state : ctx.reshape(ctx.op('concat', new Array<T>(group).fill(ctx.reshape(state, [B, hkv, 1, dk, dv])), { axis: 2 }, '_')[0], [B, hq, dk, dv]);
    outs.push(ctx.op('matmul', [at(qs, i), read], {}, '_')[0]);
  }
  const o = outs.length === 1 ? outs[0] : ctx.op('concat', outs, { axis: 2 }, '_')[0];
  const y = ctx.reshape(ctx.transpose(o, [0, 2, 1, 3]), [B, T, hq * dv], 'h');
  return [tensor(y), tensor(state!, dtypeOfVal(ctx.val(ctx.has(3) ? 3 : 0)))];
};

/** ONNX op type → extractor for LinearAttention. */
export const linearAttentionOps: Record<string, OnnxExtractor> = { LinearAttention: linearAttention };
