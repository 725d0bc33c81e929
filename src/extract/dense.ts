import { applyActivation, configActivation } from './activations.js';
import type { Extractor } from './types.js';

/** Dense: x·W + b on the last axis, at every position of the others; then the activation. */
const dense: Extractor = (ctx, [x]) => {
  const inDim = x.shape[x.shape.length - 1];
  const units = Number(ctx.layer.config.units);
  if (!Number.isInteger(units) || units <= 0) ctx.fail(`'units' is ${String(ctx.layer.config.units)}, expected a positive integer`);
  const W = ctx.param('kernel', 'W', [inDim, units]);
  const useBias = ctx.layer.config.use_bias !== false;
  const args = useBias ? [x, W, ctx.param('bias', 'b', [units])] : [x, W];
  const activation = configActivation(ctx);
  const [z] = ctx.op('dense', args, { pairs: 1, bias: useBias }, activation === 'linear' ? 'h' : 'a');
  return [applyActivation(ctx, activation, z)];
};

export const denseLayers: Record<string, Extractor> = { Dense: dense };
