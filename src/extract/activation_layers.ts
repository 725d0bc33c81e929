import type { NodeId } from '../ir/graph.js';
import { eluWith, softmaxOf } from './activations.js';
import { alongAxes, kerasAxes, sizeOf, stridesOf } from './tensor.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

/** Activation layers with settings or weights: ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax. */

function num(ctx: LayerContext, key: string, fallback: number | null): number | null {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) return ctx.fail(`'${key}' is ${JSON.stringify(v)}, expected a number`);
  return n;
}

function map(t: Tensor, f: (x: NodeId, i: number) => NodeId): Tensor {
  return { shape: t.shape, ids: t.ids.map(f) };
}

/**
 * Keras's relu(x, negative_slope, max_value, threshold): x above the threshold (x·[x > t] when
 * t ≠ 0), clipped to max_value, minus negative_slope·relu(t − x).
 */
const relu: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const maxValue = num(ctx, 'max_value', null);
  const slope = num(ctx, 'negative_slope', 0)!;
  const threshold = num(ctx, 'threshold', 0)!;
  const zero = g.constant(0);
  return [
    map(x, (v) => {
      let pos = threshold === 0 ? g.max(zero, v) : g.mul(v, g.fn('step', g.shift(v, -threshold)));
      // Keras clips to [0, max_value]; the lower clip only matters when a negative threshold lets x < 0 through.
      if (maxValue !== null) pos = g.min(threshold < 0 ? g.max(zero, pos) : pos, g.constant(maxValue));
      if (slope === 0) return pos;
      return g.affine([pos, g.max(zero, g.affine([v], [-1], threshold))], [1, -slope]);
    }),
  ];
};

/** max(0, x) + α·min(0, x), with α from 'alpha' (Keras 2, TF.js) or 'negative_slope' (Keras 3). */
const leakyRelu: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const alpha = num(ctx, 'negative_slope', null) ?? num(ctx, 'alpha', 0.3)!;
  const zero = g.constant(0);
  return [map(x, (v) => g.affine([g.max(zero, v), g.min(zero, v)], [1, alpha]))];
};

/** max(0, x) + α·min(0, x) with a learned α, shared along `shared_axes`. */
const prelu: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const shared = ctx.layer.config.shared_axes;
  const sharedAxes = shared === null || shared === undefined ? [] : kerasAxes(ctx, shared, x.shape.length, 'shared_axes');
  const alphaShape = x.shape.map((d, i) => (sharedAxes.includes(i) ? 1 : d));
  const alpha = ctx.weight('alpha');
  if (alpha.values.length !== sizeOf(alphaShape)) ctx.fail(`weight 'alpha' has shape [${alpha.shape.join(', ')}], expected ${sizeOf(alphaShape)} values for shape [${alphaShape.join(', ')}]`);
  const xs = stridesOf(x.shape);
  const as = stridesOf(alphaShape);
  const zero = g.constant(0);
  return [
    map(x, (v, i) => {
      let k = 0;
      for (let d = 0; d < x.shape.length; d++) k += (alphaShape[d] === 1 ? 0 : Math.floor(i / xs[d]) % x.shape[d]) * as[d];
      return g.affine([g.max(zero, v), g.min(zero, v)], [1, alpha.values[k]]);
    }),
  ];
};

const elu: Extractor = (ctx, [x]) => [map(x, (v) => eluWith(ctx.graph, v, num(ctx, 'alpha', 1)!))];

/** x·[x > θ]. */
const thresholdedRelu: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const theta = num(ctx, 'theta', 1)!;
  return [map(x, (v) => g.mul(v, g.fn('step', g.shift(v, -theta))))];
};

const softmax: Extractor = (ctx, [x]) => {
  const axes = kerasAxes(ctx, ctx.layer.config.axis ?? -1, x.shape.length);
  return [alongAxes(x, axes, (xs) => softmaxOf(ctx.graph, xs))];
};

export const activationLayerExtractors: Record<string, Extractor> = {
  ReLU: relu,
  LeakyReLU: leakyRelu,
  PReLU: prelu,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  Softmax: softmax,
};
