import type { NodeId } from '../ir/graph.js';
import { applyActivation, configActivation } from './activations.js';
import type { Extractor } from './types.js';

/** Dense: one affine node per unit; on rank > 1 input it acts on the last axis at every position. */
const dense: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const inDim = x.shape[x.shape.length - 1];
  const units = Number(ctx.layer.config.units);
  if (!Number.isInteger(units) || units <= 0) ctx.fail(`'units' is ${String(ctx.layer.config.units)}, expected a positive integer`);
  const kernel = ctx.weight('kernel', [inDim, units]);
  const useBias = ctx.layer.config.use_bias !== false;
  const bias = useBias ? ctx.weight('bias', [units]).values : null;
  const ids: NodeId[] = [];
  const coefs = new Float64Array(inDim);
  for (let at = 0; at < x.ids.length; at += inDim) {
    const terms = x.ids.slice(at, at + inDim);
    for (let j = 0; j < units; j++) {
      for (let i = 0; i < inDim; i++) coefs[i] = kernel.values[i * units + j];
      ids.push(g.affine(terms, coefs, bias ? bias[j] : 0));
    }
  }
  const out = { shape: [...x.shape.slice(0, -1), units], ids };
  return [applyActivation(ctx, configActivation(ctx), out)];
};

export const denseLayers: Record<string, Extractor> = { Dense: dense };
