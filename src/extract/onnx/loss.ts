import { attrInt, attrString, attribute } from '../../load/onnx/attributes.js';
import { isFloat } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { dimsOf, tensor, type OnnxContext, type OnnxExtractor, type Val } from './context.js';
import { sumAlong } from './reduce.js';
import { gatherAlong } from './scatter.js';

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (onnx/reference/ops/
 * op_negative_log_likelihood_loss.py, op_softmax_cross_entropy_loss.py): input [N, C, d…] and
 * integer labels [N, d…] the model may compute. Each element's loss is −input[n, label, d…] times
 * the label's weight, 0 where the label is ignore_index; reduction none keeps them, sum adds them,
 * mean divides the sum by the sum of the weights that took part (their count without weights).
 */

const REDUCTIONS = ['none', 'sum', 'mean'] as const;

/** The loss of log-probabilities `logp` [N, C, d…] at labels `labels` (input `li` of the node) with optional class weights (input `wi`). */
function nllOf(ctx: OnnxContext, logp: T, li: number, wi: number): T {
  const reduction = attrString(ctx.node, 'reduction', 'mean');
  if (!(REDUCTIONS as readonly string[]).includes(reduction)) return ctx.fail(`reduction '${reduction}' is not one of ONNX's (none, sum, mean)`);
  const dims = logp.shape;
  const ldims = dimsOf(ctx.val(li));
  if (dims.length < 2 || ldims.length !== dims.length - 1 || ldims.some((d, i) => d !== dims[i === 0 ? 0 : i + 1])) {
    return ctx.fail(`labels [${ldims.join(', ')}] do not fit input [${dims.join(', ')}]: expected [N, d…] for input [N, C, d…]`);
  }
  if (isFloat(ctx.dtype(li))) return ctx.fail(`its labels are ${ctx.dtype(li)}, expected an integer type`);
  const c = dims[1];
  const labels = ctx.tensor(li, 'labels');
  const ii = attribute(ctx.node, 'ignore_index', 'int', undefined);
  const zero = ctx.const('zero', [1], [0]);
  const keep = ii === undefined ? null : ctx.map('not', [ctx.map('equal_to', [labels], [ii], '_')], [], '_');
  // An ignored label may name no class: it reads class 0, whose value the choice below drops.
  const at = keep ? ctx.map('where', [keep, labels, zero], [], '_') : labels;
  const column = [ldims[0], 1, ...ldims.slice(1)];
  const picked = gatherAlong(ctx, tensor(logp), tensor(ctx.reshape(at, column, '_'), 'int64'), 1) as { t: T };
  let loss = ctx.map('neg', [ctx.reshape(picked.t, ldims, '_')], [], '_');
  let weight: T | null = null;
  if (ctx.has(wi)) {
    if (!isFloat(ctx.dtype(wi))) return ctx.fail(`its weights are ${ctx.dtype(wi)}, expected a floating-point type`);
    const w: Val = ctx.val(wi);
    if (dimsOf(w).length !== 1 || dimsOf(w)[0] !== c) return ctx.fail(`weights [${dimsOf(w).join(', ')}] do not give one weight per class of ${c}`);
    const rows = w.kind === 'const' ? ctx.op('gather', [at, ctx.const('w', [c, 1], w.values)], {}, '_')[0] : ctx.op('gather_rows', [ctx.reshape(w.t, [c, 1]), at], {}, '_')[0];
    weight = ctx.reshape(rows, ldims, '_');
    loss = ctx.map('mul', [loss, weight], [], '_');
  }
  if (keep) loss = ctx.map('where', [keep, loss, zero], [], '_');
  const all = ldims.map((_, i) => i);
  // Each element's loss, already of the labels' shape.
  if (reduction === 'none') return loss;
  const sum = ctx.reshape(sumAlong(ctx, loss, all), [], reduction === 'sum' ? 'h' : '_');
  if (reduction === 'sum') return sum;
  if (!weight && !keep) return ctx.map('affine', [sum], [1 / ldims.reduce((a, b) => a * b, 1), 0]);
  const counted = weight && keep ? ctx.map('where', [keep, weight, zero], [], '_') : (weight ?? keep)!;
  return ctx.map('div', [sum, ctx.reshape(sumAlong(ctx, counted, all), [], '_')], []);
}

const negativeLogLikelihoodLoss: OnnxExtractor = (ctx) => {
  if (!isFloat(ctx.dtype(0))) return ctx.fail(`its input is ${ctx.dtype(0)}, expected a floating-point type`);
  return [tensor(nllOf(ctx, ctx.tensor(0), 1, 2))];
};

/** SoftmaxCrossEntropyLoss: log_softmax over the classes (axis 1), then the NLL loss; the second output, when asked for, is the log-probabilities. */
const softmaxCrossEntropyLoss: OnnxExtractor = (ctx) => {
  if (!isFloat(ctx.dtype(0))) return ctx.fail(`its scores are ${ctx.dtype(0)}, expected a floating-point type`);
  const logp = ctx.op('log_softmax', [ctx.tensor(0)], { axes: [1] }, ctx.node.outputs.length > 1 ? 'h' : '_')[0];
  const loss = nllOf(ctx, logp, 1, 2);
  return ctx.node.outputs.length > 1 ? [tensor(loss), tensor(logp)] : [tensor(loss)];
};

/** ONNX op type → extractor for the losses. */
export const lossOps: Record<string, OnnxExtractor> = {
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
