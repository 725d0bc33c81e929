import { attrFloat, attrInt } from '../../load/onnx/attributes.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { axisOf, expandValues, tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * BatchNormalization (inference: a per-channel scale_shift with folded constants),
 * LayerNormalization (layer_norm over the trailing axes), InstanceNormalization (layer_norm over
 * the spatial axes of each channel, then a per-channel scale_shift), RMSNormalization (x over
 * the root mean square of the trailing axes, then the scale).
 */

/**
 * BatchNormalization with training_mode=1 (opset 14 on), as ONNX's reference computes it
 * (op_batch_normalization.py, _batchnorm_training_mode): Y normalized by the batch's own mean and
 * biased variance over every axis but the channels (N and the spatial axes), and the running
 * statistics running_mean = mean·momentum + batch_mean·(1 − momentum), likewise running_var from
 * the biased batch variance. The spec's prose names no estimator; the reference uses the biased
 * one (numpy's var) for both, which the conformance cases' expected outputs follow.
 */
const batchNormTraining: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  if (x.shape.length < 2) return ctx.fail(`expects [N, C, …] of rank 2 or more, found [${x.shape.join(', ')}]`);
  const c = x.shape[1];
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const momentum = attrFloat(ctx.node, 'momentum', 0.9);
  // Channels last, every other axis one: [N·…, C], then the averages over the rows (global_pool's axis).
  const perm = [0, ...x.shape.slice(2).map((_, i) => i + 2), 1];
  const rows = ctx.reshape(ctx.transpose(x, perm, '_'), [sizeOf(x.shape) / c, c], '_');
  const mean = ctx.op('global_pool', [rows], { kind: 'avg' }, '_')[0];
  const centred = ctx.map('sub', [rows, mean], [], '_');
  const variance = ctx.op('global_pool', [ctx.map('pow', [centred], [2], '_')], { kind: 'avg' }, '_')[0];
  const shape0 = [c, ...x.shape.slice(2).map(() => 1)];
  const [g, be] = [1, 2].map((i) => ctx.reshape(ctx.tensor(i, ['gamma', 'beta'][i - 1]), shape0, '_'));
  const a = ctx.map('div', [g, ctx.map('sqrt', [ctx.map('affine', [ctx.reshape(variance, shape0, '_')], [1, eps], '_')], [], '_')], [], '_');
  const b = ctx.map('sub', [be, ctx.map('mul', [ctx.reshape(mean, shape0, '_'), a], [], '_')], [], '_');
  const y = ctx.map('scale_shift', [x, a, b]);
  const running = (i: number, batch: T, role: string) =>
    ctx.map('add', [ctx.map('affine', [ctx.reshape(ctx.tensor(i, role), [c], '_')], [momentum, 0], '_'), ctx.map('affine', [batch], [1 - momentum, 0], '_')]);
  const outs = ctx.node.outputs;
  return [y, outs[1] ? running(3, mean, 'mean') : y, outs[2] ? running(4, variance, 'var') : y].slice(0, outs.length).map((t) => tensor(t));
};

const batchNorm: OnnxExtractor = (ctx) => {
  if (attrInt(ctx.node, 'training_mode', 0) === 1) return batchNormTraining(ctx);
  if (ctx.node.outputs.slice(1).some((o) => o !== '')) return ctx.fail('its running mean / variance outputs are used, without training_mode=1 (opset 14 on); nn2eq converts inference graphs', 'export the model with opset 14 or later, or in eval() mode');
  const x = ctx.tensor(0);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const shape0 = [x.shape[1], ...x.shape.slice(2).map(() => 1)];
  if ([1, 2, 3, 4].some((i) => ctx.val(i).kind === 'tensor')) {
    // Parameters computed at run time: a = γ/√(σ² + ε), b = β − μ·a, element-wise.
    const [g, be, mu, v] = [1, 2, 3, 4].map((i) => ctx.reshape(ctx.tensor(i, ['gamma', 'beta', 'mean', 'var'][i - 1]), shape0));
    const a = ctx.map('div', [g, ctx.map('sqrt', [ctx.map('affine', [v], [1, eps], '_')], [], '_')], [], '_');
    const b = ctx.map('sub', [be, ctx.map('mul', [mu, a], [], '_')], [], '_');
    return [tensor(ctx.map('scale_shift', [x, a, b]))];
  }
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ctx.constant(i, ['scale', 'bias', 'mean', 'variance'][i - 1]).values);
  const c = x.shape[1];
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let i = 0; i < c; i++) {
    a[i] = scale[i] / Math.sqrt(variance[i] + eps);
    b[i] = bias[i] - mean[i] * a[i];
  }
  const shape = [c, ...x.shape.slice(2).map(() => 1)];
  return [tensor(ctx.map('scale_shift', [x, ctx.const('a', shape, a), ctx.const('b', shape, b)]))];
};

/** Mean and 1/√(variance + ε) over the trailing axes from `axis`, kept as size-1 axes (LayerNormalization's extra outputs). */
function statistics(ctx: OnnxContext, x: T, axis: number, eps: number): [T, T] {
  const lead = x.shape.slice(0, axis);
  const n = sizeOf(x.shape.slice(axis));
  const rows = ctx.transpose(ctx.reshape(x, [sizeOf(lead), n]), [1, 0]);
  const mean = ctx.op('global_pool', [rows], { kind: 'avg' }, '_')[0];
  const centred = ctx.map('sub', [rows, mean], [], '_');
  const variance = ctx.op('global_pool', [ctx.map('pow', [centred], [2], '_')], { kind: 'avg' }, '_')[0];
  const inv = ctx.map('reciprocal', [ctx.map('sqrt', [ctx.map('affine', [variance], [1, eps], '_')], [], '_')], [], '_');
  const kept = [...lead, ...x.shape.slice(axis).map(() => 1)];
  return [ctx.reshape(mean, kept, 'h'), ctx.reshape(inv, kept, 'h')];
}

/** RMSNormalization: x / √(mean(x²) + ε) over the trailing axes from `axis`, times scale (broadcast). */
const rmsNorm: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const rank = x.shape.length;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), rank);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const lead = x.shape.slice(0, axis);
  const n = sizeOf(x.shape.slice(axis));
  const rows = ctx.transpose(ctx.reshape(x, [sizeOf(lead), n]), [1, 0]);
  const meanSquare = ctx.op('global_pool', [ctx.map('pow', [rows], [2], '_')], { kind: 'avg' }, '_')[0];
  const inv = ctx.map('reciprocal', [ctx.map('sqrt', [ctx.map('affine', [meanSquare], [1, eps], '_')], [], '_')], [], '_');
  const kept = ctx.reshape(inv, [...lead, ...x.shape.slice(axis).map(() => 1)], '_');
  return [tensor(ctx.map('mul', [ctx.map('mul', [x, kept], [], '_'), ctx.tensor(1, 'gamma')]))];
};

const layerNorm: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const rank = x.shape.length;
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', -1), rank);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const norm = x.shape.slice(axis);
  const extra = ctx.node.outputs.slice(1).some((o) => o !== '') ? statistics(ctx, x, axis, eps).map((t) => tensor(t)) : [];
  if (ctx.val(1).kind === 'tensor' || (ctx.has(2) && ctx.val(2).kind === 'tensor')) {
    // Computed scale / bias: normalize, then scale and shift element-wise (they broadcast over the trailing axes).
    const y = ctx.op('layer_norm', [x], { axes, eps, scale: false, center: false }, '_')[0];
    const out = ctx.has(2) ? ctx.map('scale_shift', [y, ctx.tensor(1, 'gamma'), ctx.tensor(2, 'beta')]) : ctx.map('mul', [y, ctx.tensor(1, 'gamma')]);
    return [tensor(out), ...extra];
  }
  const gamma = ctx.constant(1, 'scale');
  const args = [x, ctx.const('gamma', [sizeOf(norm)], expandValues(gamma, norm))];
  const center = ctx.has(2);
  if (center) args.push(ctx.const('beta', [sizeOf(norm)], expandValues(ctx.constant(2, 'bias'), norm)));
  return [tensor(ctx.op('layer_norm', args, { axes, eps, scale: true, center })[0]), ...extra];
};

const instanceNorm: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const rank = x.shape.length;
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const y = ctx.op('layer_norm', [x], { axes, eps, scale: false, center: false }, '_')[0];
  const shape = [x.shape[1], ...axes.map(() => 1)];
  const param = (i: number, role: string) => {
    const v = ctx.val(i);
    return v.kind === 'const' ? ctx.const(role, shape, v.values) : ctx.reshape(v.t, shape);
  };
  return [tensor(ctx.map('scale_shift', [y, param(1, 'gamma'), param(2, 'beta')]))];
};

/**
 * GroupNormalization (op_group_normalization.py): x [N, C, …] normalized over each group of
 * C/num_groups channels and all spatial positions (layer_norm of the view [N, G, C/G·…]), then
 * scaled and shifted per channel (opset 21; opset 18's scale and bias are per group, repeated
 * over the group's channels).
 */
const groupNorm: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  if (x.shape.length < 3) return ctx.fail(`expects [N, C, …] of rank 3 or more, found [${x.shape.join(', ')}]`);
  const groups = attrInt(ctx.node, 'num_groups', undefined);
  const [n, c] = x.shape;
  if (groups === undefined || !Number.isInteger(groups) || groups < 1 || c % groups !== 0) return ctx.fail(`num_groups is ${groups}, expected a whole number that divides the ${c} channels`);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const spatial = x.shape.slice(2);
  const rows = ctx.reshape(x, [n, groups, (c / groups) * sizeOf(spatial)]);
  const y = ctx.reshape(ctx.op('layer_norm', [rows], { axes: [2], eps, scale: false, center: false }, '_')[0], x.shape, '_');
  const shape = [c, ...spatial.map(() => 1)];
  const param = (i: number, role: string): T => {
    const v = ctx.val(i);
    const len = v.kind === 'const' ? v.dims[0] : v.t.shape[0];
    if (len === c) return v.kind === 'const' ? ctx.const(role, shape, v.values) : ctx.reshape(v.t, shape);
    if (len !== groups) return ctx.fail(`its ${role} has ${len} values, expected one per channel (${c}) or per group (${groups})`);
    // One value per group: repeated over the group's channels.
    const perGroup = ctx.reshape(ctx.tensor(i, role), [groups, 1, ...spatial.map(() => 1)]);
    const ones = ctx.const('ones', [groups, c / groups, ...spatial.map(() => 1)], new Float64Array(c).fill(1));
    return ctx.reshape(ctx.map('mul', [perGroup, ones], [], '_'), shape);
  };
  return [tensor(ctx.map('scale_shift', [y, param(1, 'gamma'), param(2, 'beta')]))];
};

/**
 * LRN (op_lrn.py): y = x·(bias + α/size·Σ x²)^(−β), the sum over the channels c − ⌊(size−1)/2⌋ …
 * c + ⌈(size−1)/2⌉ that exist: the squares padded with zeros along the channel axis, then `size`
 * shifted slices added.
 */
const lrn: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  if (x.shape.length < 3) return ctx.fail(`expects [N, C, …] of rank 3 or more, found [${x.shape.join(', ')}]`);
  const size = attrInt(ctx.node, 'size', undefined);
  if (size === undefined || !Number.isInteger(size) || size < 1) return ctx.fail(`size is ${size}, expected a whole number of at least 1`);
  const alpha = attrFloat(ctx.node, 'alpha', 1e-4);
  const beta = attrFloat(ctx.node, 'beta', 0.75);
  const bias = attrFloat(ctx.node, 'bias', 1);
  const before = Math.floor((size - 1) / 2);
  const after = size - 1 - before;
  const c = x.shape[1];
  const sq = ctx.map('pow', [x], [2], '_');
  const padded = ctx.op('pad', [sq], { before: x.shape.map((_, i) => (i === 1 ? before : 0)), after: x.shape.map((_, i) => (i === 1 ? after : 0)) }, '_')[0];
  const slices = Array.from({ length: size }, (_, k) => ctx.op('slice', [padded], { begin: x.shape.map((_, i) => (i === 1 ? k : 0)), end: x.shape.map((d, i) => (i === 1 ? k + c : d)) }, '_')[0]);
  const sum = size === 1 ? slices[0] : ctx.map('add', slices, [], '_');
  const base = ctx.map('affine', [sum], [alpha / size, bias], '_');
  return [tensor(ctx.map('mul', [x, ctx.map('pow', [base], [-beta], '_')]))];
};

/** ONNX op type → extractor for normalizations. */
export const normalizationOps: Record<string, OnnxExtractor> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  RMSNormalization: rmsNorm,
  GroupNormalization: groupNorm,
  LRN: lrn,
};
