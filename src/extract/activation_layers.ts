import { applyActivation } from './activations.js';
import { kerasAxes, sizeOf } from './tensor.js';
import type { Extractor, LayerContext } from './types.js';

/** Activation layers with settings or weights: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax. */

function num(ctx: LayerContext, key: string, fallback: number | null): number | null {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) return ctx.fail(`'${key}' is ${JSON.stringify(v)}, expected a number`);
  return n;
}

/**
 * A threshold x is compared with, as the framework compares: Keras and TF.js hold it in a tensor of
 * the layer's dtype, float32 unless it says float64, so 0.3 in the config compares as 0.3f (x = 0.3f
 * is not above it). Kept as 0.3, the comparison would flip at x = 0.3f.
 */
function threshold(ctx: LayerContext, key: string, fallback: number): number {
  const v = num(ctx, key, fallback)!;
  return ctx.layer.config.dtype === 'float64' ? v : Math.fround(v);
}

/** Keras's relu(x, negative_slope, max_value, threshold); plain max(0, x) when none is set. */
const relu: Extractor = (ctx, [x]) => {
  const maxValue = num(ctx, 'max_value', null);
  const slope = num(ctx, 'negative_slope', 0)!;
  const theta = threshold(ctx, 'threshold', 0);
  if (maxValue === null && slope === 0 && theta === 0) return [applyActivation(ctx, 'relu', x)];
  return [ctx.map('relu_keras', [x], [maxValue ?? NaN, slope, theta])];
};

/** max(0, x) + α·min(0, x), with α from 'alpha' (Keras 2, TF.js) or 'negative_slope' (Keras 3). */
const leakyRelu: Extractor = (ctx, [x]) => [ctx.map('leaky_relu', [x], [num(ctx, 'negative_slope', null) ?? num(ctx, 'alpha', 0.3)!])];

/** max(0, x) + α·min(0, x) with a learned α, shared along `shared_axes`. */
const prelu: Extractor = (ctx, [x]) => {
  const shared = ctx.layer.config.shared_axes;
  const sharedAxes = shared === null || shared === undefined ? [] : kerasAxes(ctx, shared, x.shape.length, 'shared_axes');
  const alphaShape = x.shape.map((d, i) => (sharedAxes.includes(i) ? 1 : d));
  const w = ctx.weight('alpha');
  if (w.values.length !== sizeOf(alphaShape)) ctx.fail(`weight 'alpha' has shape [${w.shape.join(', ')}], expected ${sizeOf(alphaShape)} values for shape [${alphaShape.join(', ')}]`);
  return [ctx.map('prelu', [x, ctx.constant('alpha', alphaShape, w.values)])];
};

const elu: Extractor = (ctx, [x]) => [ctx.map('elu', [x], [num(ctx, 'alpha', 1)!])];

/** x·[x > θ]. */
const thresholdedRelu: Extractor = (ctx, [x]) => [ctx.map('thresholded_relu', [x], [threshold(ctx, 'theta', 1)])];

const softmax: Extractor = (ctx, [x]) => [ctx.op('softmax', [x], { axes: kerasAxes(ctx, ctx.layer.config.axis ?? -1, x.shape.length) })[0]];

export const activationLayerExtractors: Record<string, Extractor> = {
  ReLU: relu,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmax,
};
