import { attribute, attrFloat, attrInt } from '../../load/onnx/attributes.js';
import { isFloat } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { dtypeOfVal, tensor, type OnnxContext, type Val } from './context.js';
import type { RunBody } from './scan.js';

/** Runs a score_mod or prob_mod graph (one input, one output) on `t`. */
function runMod(ctx: OnnxContext, run: RunBody, name: string, t: T): T {
  const g = attribute(ctx.node, name, 'graph', undefined);
  if (!g) return t;
  if (g.inputs.length !== 1 || g.outputs.length !== 1) return ctx.fail(`${name} takes ${g.inputs.length} inputs and gives ${g.outputs.length} outputs; ONNX says one each`);
  const out = run(g, new Map<string, Val>([[g.inputs[0].name, tensor(t, dtypeOfVal(ctx.val(0)))]]))[0];
  if (out.kind === 'const') return ctx.fail(`${name} gives a constant, not a function of the scores`);
  if (out.t.shape.length !== t.shape.length || out.t.shape.some((d, i) => d !== t.shape[i])) return ctx.fail(`${name} changes the scores' shape [${t.shape.join(', ')}] to [${out.t.shape.join(', ')}]`);
  return out.t;
}

/**
 * FlexAttention (ai.onnx.preview opset 1, onnx/reference/ops/aionnx_preview/op_flex_attention.py):
 * Q [B, Hq, L, E], K [B, Hkv, S, E], V [B, Hkv, S, Ev] (each key/value head repeated for its group
 * of query heads); scores (√scale·Q)(√scale·K)ᵀ, rewritten by the score_mod graph if given, the
 * softmax along the keys, rewritten by prob_mod if given, times V. The mod graphs run in the node's
 * scope on the score tensor (their shape arithmetic folds: the shapes are static).
 */
export function flexAttention(ctx: OnnxContext, run: RunBody): Val[] {
  for (const i of [0, 1, 2]) if (!isFloat(ctx.dtype(i))) return ctx.fail(`Q, K and V must be floating-point, found ${ctx.dtype(i)}`);
  const q = ctx.tensor(0, 'Q');
  let k = ctx.tensor(1, 'K');
  let v = ctx.tensor(2, 'V');
  if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4) return ctx.fail(`expects Q, K and V of rank 4, found [${q.shape.join(', ')}], [${k.shape.join(', ')}] and [${v.shape.join(', ')}]`);
  const [B, hq, , E] = q.shape;
  const [, hkv, S] = k.shape;
  if (k.shape[3] !== E || v.shape[1] !== hkv || v.shape[2] !== S || k.shape[0] !== B || v.shape[0] !== B) return ctx.fail(`K [${k.shape.join(', ')}] and V [${v.shape.join(', ')}] do not fit Q [${q.shape.join(', ')}]`);
  const precision = attrInt(ctx.node, 'softmax_precision', 1);
  if (![1, 10, 11, 16].includes(precision)) return ctx.fail(`softmax_precision ${precision} is not one of ONNX's float types`);
  if (hq !== hkv) {
    if (hq % hkv !== 0) return ctx.fail(`${hq} query heads are not a multiple of ${hkv} key/value heads`);
    const repeat = (t: T) => {
      const [, h, s, e] = t.shape;
      return ctx.reshape(ctx.op('concat', new Array<T>(hq / h).fill(ctx.reshape(t, [B, h, 1, s, e])), { axis: 2 }, '_')[0], [B, hq, s, e]);
    };
    k = repeat(k);
    v = repeat(v);
  }
  const scale = attrFloat(ctx.node, 'scale', 1 / Math.sqrt(E));
  let scores = ctx.map('affine', [ctx.op('matmul', [q, ctx.transpose(k, [0, 1, 3, 2])], {}, '_')[0]], [scale, 0], '_');
  scores = runMod(ctx, run, 'score_mod', scores);
  let probs = ctx.op('softmax', [scores], { axes: [3] }, '_')[0];
  probs = runMod(ctx, run, 'prob_mod', probs);
  return [tensor(ctx.op('matmul', [probs, v], {}, 'h')[0], dtypeOfVal(ctx.val(2)))];
}
