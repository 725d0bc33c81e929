import { kerasAxes, sizeOf } from './tensor.js';
import type { Extractor, LayerContext, T } from './types.js';

/** Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, Normalization, Rescaling, UnitNormalization. */

function epsilon(ctx: LayerContext, fallback: number): number {
  const e = ctx.layer.config.epsilon;
  return typeof e === 'number' ? e : fallback;
}

/** The shape a parameter over `axes` broadcasts in: the axes' sizes, 1 elsewhere. */
function paramShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? d : 1));
}

/** a·x + b per element of `axes`, with a and b folded from the layer's statistics (one map). */
function scaleShift(ctx: LayerContext, x: T, axes: readonly number[], a: Float64Array, b: Float64Array): T {
  const shape = paramShape(x.shape, axes);
  return ctx.map('scale_shift', [x, ctx.constant('s', shape, a), ctx.constant('t', shape, b)]);
}

/** γ·(x − mean)/√(var + ε) + β, folded to a·x + b with a, b computed once per channel. */
const batchNorm: Extractor = (ctx, [x]) => {
  const axes = kerasAxes(ctx, ctx.layer.config.axis ?? -1, x.shape.length);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  const c = ctx.layer.config;
  const get = (name: string) => {
    const w = ctx.weight(name);
    if (w.values.length !== n) ctx.fail(`weight '${name}' has ${w.values.length} values, expected ${n} (the size of axis ${JSON.stringify(c.axis ?? -1)})`);
    return w.values;
  };
  const mean = get('moving_mean');
  const variance = get('moving_variance');
  const gamma = c.scale === false ? null : get('gamma');
  const beta = c.center === false ? null : get('beta');
  const eps = epsilon(ctx, 1e-3);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    a[k] = (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + eps);
    b[k] = (beta ? beta[k] : 0) - mean[k] * a[k];
  }
  return [scaleShift(ctx, x, axes, a, b)];
};

/** (x − μ)/√(σ² + ε)·γ + β with μ and σ² the mean and (biased) variance over `axis`. */
const layerNorm: Extractor = (ctx, [x]) => {
  const c = ctx.layer.config;
  if (c.rms_scaling === true) ctx.fail(`rms_scaling is on, which nn2eq does not support`);
  const axes = kerasAxes(ctx, c.axis ?? -1, x.shape.length);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  const scale = c.scale !== false;
  const center = c.center !== false;
  const args = [x];
  for (const [on, name, role] of [[scale, 'gamma', 'gamma'], [center, 'beta', 'beta']] as const) {
    if (!on) continue;
    const w = ctx.weight(name);
    if (w.values.length !== n) ctx.fail(`weight '${name}' has ${w.values.length} values, expected ${n}`);
    args.push(ctx.constant(role, axes.map((a) => x.shape[a]), w.values));
  }
  return [ctx.op('layer_norm', args, { axes, eps: epsilon(ctx, 1e-3), scale, center })[0]];
};

/**
 * GroupNormalization: the channel axis split into [groups, C/groups]; each group normalized over
 * its channels and every other axis (a layer norm without γ, β), then γ·x̂ + β per channel.
 */
const groupNorm: Extractor = (ctx, [x]) => {
  const c = ctx.layer.config;
  const axis = kerasAxes(ctx, c.axis ?? -1, x.shape.length)[0];
  const channels = x.shape[axis];
  const groups = c.groups === -1 ? channels : Number(c.groups ?? 32);
  if (!Number.isInteger(groups) || groups <= 0 || channels % groups !== 0) ctx.fail(`groups ${JSON.stringify(c.groups)} does not divide the ${channels} channels`);
  const split = [...x.shape.slice(0, axis), groups, channels / groups, ...x.shape.slice(axis + 1)];
  const grouped = ctx.op('reshape', [x], { shape: split }, 'g')[0];
  const axes = split.map((_, i) => i).filter((i) => i !== axis);
  const normed = ctx.op('layer_norm', [grouped], { axes, eps: epsilon(ctx, 1e-3), scale: false, center: false }, c.scale === false && c.center === false ? 'h' : 'n')[0];
  const back = ctx.op('reshape', [normed], { shape: [...x.shape] }, 'n')[0];
  if (c.scale === false && c.center === false) return [back];
  const per = (on: boolean, name: string, fill: number) => (on ? ctx.weight(name, [channels]).values : new Float64Array(channels).fill(fill));
  const shape = paramShape(x.shape, [axis]);
  return [ctx.map('scale_shift', [back, ctx.constant('gamma', shape, per(c.scale !== false, 'gamma', 1)), ctx.constant('beta', shape, per(c.center !== false, 'beta', 0))])];
};

/**
 * Keras's Normalization: (x − mean)/max(√variance, 1e-7), or mean + x·max(√variance, 1e-7)
 * with `invert`. The statistics are weights (adapted) or config lists.
 */
const normalization: Extractor = (ctx, [x]) => {
  const c = ctx.layer.config;
  const axes = c.axis === null ? [] : kerasAxes(ctx, c.axis ?? -1, x.shape.length);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  const stat = (name: 'mean' | 'variance'): ArrayLike<number> => {
    const v = c[name];
    const values = v === null || v === undefined ? ctx.weight(name).values : Array.isArray(v) ? (v.flat(Infinity) as number[]) : Array.from({ length: n }, () => Number(v));
    if (values.length !== n) ctx.fail(`'${name}' has ${values.length} values, expected ${n}`);
    return values;
  };
  const mean = stat('mean');
  const variance = stat('variance');
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // Keras computes √variance in float32 before comparing it with epsilon.
    const sd = Math.max(Math.fround(Math.sqrt(variance[k])), 1e-7);
    a[k] = c.invert === true ? sd : 1 / sd;
    b[k] = c.invert === true ? mean[k] : -mean[k] / sd;
  }
  return [scaleShift(ctx, x, axes, a, b)];
};

/** x·scale + offset. */
const rescaling: Extractor = (ctx, [x]) => {
  const scale = Number(ctx.layer.config.scale ?? 1);
  const offset = Number(ctx.layer.config.offset ?? 0);
  if (!Number.isFinite(scale) || !Number.isFinite(offset)) ctx.fail(`'scale' and 'offset' must be numbers, found ${JSON.stringify(ctx.layer.config.scale)} and ${JSON.stringify(ctx.layer.config.offset)}`);
  return [ctx.map('affine', [x], [scale, offset])];
};

/** x / √max(Σx², 1e-12) over `axis` (TF's l2_normalize). */
const unitNorm: Extractor = (ctx, [x]) => [ctx.op('l2_normalize', [x], { axes: kerasAxes(ctx, ctx.layer.config.axis ?? -1, x.shape.length) })[0]];

export const normalizationLayers: Record<string, Extractor> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  GroupNormalization: groupNorm,
  Normalization: normalization,
  Rescaling: rescaling,
  UnitNormalization: unitNorm,
};
