import { attrString } from '../../load/onnx/attributes.js';
import type { T } from '../../tensor/program.js';
import { dtypeOfVal, konst, tensor, type OnnxExtractor } from './context.js';

/**
 * CausalConvWithState (opset 27, onnx/reference/ops/op_causal_conv_with_state.py): a depthwise
 * causal 1-D convolution of input [B, C, L] by weight [C, 1, k], the input joined after its
 * past_state [B, C, k − 1] (zeros when omitted): y[b, c, t] = Σⱼ w[c, 0, j]·padded[b, c, t + j] +
 * bias[c], then SiLU (silu or swish) if asked. present_state is the last k − 1 positions of the
 * padded input. The sum is k slices times weight columns, so a computed weight prints the same.
 */
const causalConvWithState: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0, 'x');
  const activation = attrString(ctx.node, 'activation', 'none');
  if (activation !== 'none' && activation !== 'silu' && activation !== 'swish') return ctx.fail(`activation '${activation}' is not one of ONNX's (none, silu, swish)`);
  if (x.shape.length !== 3) return ctx.fail(`expects input [B, C, L], found [${x.shape.join(', ')}]`);
  const [B, C, L] = x.shape;
  const wd = ctx.shape(1);
  if (wd.length !== 3 || wd[0] !== C || wd[1] !== 1) return ctx.fail(`expects weight [${C}, 1, k], found [${wd.join(', ')}]`);
  const k = wd[2];
  const w = ctx.tensor(1, 'W');
  let padded = x;
  if (ctx.has(3)) {
    const ps = ctx.shape(3);
    if (ps.length !== 3 || ps[0] !== B || ps[1] !== C || ps[2] !== k - 1) return ctx.fail(`expects past_state [${B}, ${C}, ${k - 1}], found [${ps.join(', ')}]`);
    if (k > 1) padded = ctx.op('concat', [ctx.tensor(3, 'state'), x], { axis: 2 }, '_')[0];
  } else if (k > 1) padded = ctx.op('pad', [x], { before: [0, 0, k - 1], after: [0, 0, 0] }, '_')[0];
  const terms: T[] = [];
  for (let j = 0; j < k; j++) {
    const tap = j === 0 && k === 1 ? padded : ctx.op('slice', [padded], { begin: [0, 0, j], end: [B, C, j + L] }, '_')[0];
    const wj = ctx.reshape(ctx.op('slice', [w], { begin: [0, 0, j], end: [C, 1, j + 1] }, '_')[0], [1, C, 1]);
    terms.push(ctx.map('mul', [tap, wj], [], '_'));
  }
  if (ctx.has(2)) {
    if (ctx.shape(2).length !== 1 || ctx.shape(2)[0] !== C) return ctx.fail(`expects bias [${C}], found [${ctx.shape(2).join(', ')}]`);
    terms.push(ctx.reshape(ctx.tensor(2, 'b'), [1, C, 1]));
  }
  const sum = terms.length === 1 ? terms[0] : ctx.map('add', terms, [], activation === 'none' ? 'h' : '_');
  const y = activation === 'none' ? sum : ctx.map('swish', [sum]);
  const state = k > 1 ? tensor(ctx.op('slice', [padded], { begin: [0, 0, L], end: [B, C, L + k - 1] }, 'h')[0]) : konst([B, C, 0], [], dtypeOfVal(ctx.val(0)));
  return [tensor(y), state];
};

/** ONNX op type → extractor for CausalConvWithState. */
export const causalConvOps: Record<string, OnnxExtractor> = { CausalConvWithState: causalConvWithState };
