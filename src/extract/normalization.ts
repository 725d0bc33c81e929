import type { Graph, NodeId } from '../ir/graph.js';
import { alongAxes, kerasAxes, sizeOf, stridesOf } from './tensor.js';
import type { Extractor, LayerContext } from './types.js';

/** Normalization layers: BatchNormalization, LayerNormalization, Normalization, Rescaling, UnitNormalization. */

/** For each element of `shape`, its index into a parameter laid out over `axes` only. */
function paramIndex(shape: readonly number[], axes: readonly number[]): (i: number) => number {
  const s = stridesOf(shape);
  const ps = stridesOf(axes.map((a) => shape[a]));
  return (i) => {
    let k = 0;
    axes.forEach((a, j) => (k += (Math.floor(i / s[a]) % shape[a]) * ps[j]));
    return k;
  };
}

function epsilon(ctx: LayerContext, fallback: number): number {
  const e = ctx.layer.config.epsilon;
  return typeof e === 'number' ? e : fallback;
}

/** One affine node per element: γ·(x − mean)/√(var + ε) + β, folded to a·x + b with a, b computed once. */
const batchNorm: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
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
  const at = paramIndex(x.shape, axes);
  return [
    {
      shape: x.shape,
      ids: x.ids.map((v, i) => {
        const k = at(i);
        const a = (gamma ? gamma[k] : 1) / Math.sqrt(variance[k] + eps);
        return g.affine([v], [a], (beta ? beta[k] : 0) - mean[k] * a);
      }),
    },
  ];
};

/** (x − μ)/√(σ² + ε)·γ + β with μ and σ² the mean and (biased) variance over `axis`. */
const layerNorm: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const c = ctx.layer.config;
  if (c.rms_scaling === true) ctx.fail(`rms_scaling is on, which nn2eq does not support`);
  const axes = kerasAxes(ctx, c.axis ?? -1, x.shape.length);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  const gamma = c.scale === false ? null : ctx.weight('gamma').values;
  const beta = c.center === false ? null : ctx.weight('beta').values;
  for (const [name, w] of [['gamma', gamma], ['beta', beta]] as const) {
    if (w && w.length !== n) ctx.fail(`weight '${name}' has ${w.length} values, expected ${n}`);
  }
  const eps = epsilon(ctx, 1e-3);
  return [
    alongAxes(x, axes, (xs) => {
      const ones = xs.map(() => 1 / n);
      const mean = g.affine(xs, ones);
      const d = xs.map((v) => g.sub(v, mean));
      const variance = g.affine(d.map((v) => g.pow(v, 2)), ones, eps);
      const r = g.div(g.constant(1), g.fn('sqrt', variance));
      return d.map((v, j) => g.affine([g.mul(v, r)], [gamma ? gamma[j] : 1], beta ? beta[j] : 0));
    }),
  ];
};

/**
 * Keras's Normalization: (x − mean)/max(√variance, 1e-7), or mean + x·max(√variance, 1e-7)
 * with `invert`. The statistics are weights (adapted) or config lists.
 */
const normalization: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
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
  const at = paramIndex(x.shape, axes);
  return [
    {
      shape: x.shape,
      ids: x.ids.map((v, i) => {
        const k = at(i);
        // Keras computes √variance in float32 before comparing it with epsilon.
        const sd = Math.max(Math.fround(Math.sqrt(variance[k])), 1e-7);
        return c.invert === true ? g.affine([v], [sd], mean[k]) : g.affine([v], [1 / sd], -mean[k] / sd);
      }),
    },
  ];
};

/** x·scale + offset. */
const rescaling: Extractor = (ctx, [x]) => {
  const scale = Number(ctx.layer.config.scale ?? 1);
  const offset = Number(ctx.layer.config.offset ?? 0);
  if (!Number.isFinite(scale) || !Number.isFinite(offset)) ctx.fail(`'scale' and 'offset' must be numbers, found ${JSON.stringify(ctx.layer.config.scale)} and ${JSON.stringify(ctx.layer.config.offset)}`);
  return [{ shape: x.shape, ids: x.ids.map((v) => ctx.graph.affine([v], [scale], offset)) }];
};

/** x / √max(Σx², 1e-12) over `axis` (TF's l2_normalize). */
const unitNorm: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const axes = kerasAxes(ctx, ctx.layer.config.axis ?? -1, x.shape.length);
  return [alongAxes(x, axes, (xs) => l2Normalize(g, xs))];
};

export function l2Normalize(g: Graph, xs: NodeId[]): NodeId[] {
  const sq = g.affine(xs.map((v) => g.pow(v, 2)), xs.map(() => 1));
  const r = g.div(g.constant(1), g.fn('sqrt', g.max(sq, g.constant(1e-12))));
  return xs.map((v) => g.mul(v, r));
}

export const normalizationLayers: Record<string, Extractor> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  Normalization: normalization,
  Rescaling: rescaling,
  UnitNormalization: unitNorm,
};
