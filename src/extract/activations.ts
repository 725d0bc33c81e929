import { ACTIVATION_FNS, type FnName } from '../tensor/functions.js';
import type { Extractor, LayerContext, T } from './types.js';

/** Activations that act along the last axis. */
const ALONG_LAST_AXIS = ['softmax', 'log_softmax'] as const;

/** Every activation name nn2eq knows, for messages and --help. */
export const ACTIVATION_NAMES: readonly string[] = [...ACTIVATION_FNS, ...ALONG_LAST_AXIS].sort();

/** Parameters of an element-wise activation that depend on the Keras version. */
function paramsOf(ctx: LayerContext, name: FnName): number[] {
  if (name === 'elu') return [1];
  // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; Keras 1/2 and TF.js use 0.2·x + 0.5.
  if (name === 'hard_sigmoid') return [ctx.model.kerasMajor >= 3 ? 1 / 6 : 0.2];
  return [];
}

/** Applies the activation `name` to tensor `t` (the layer's output), or fails with the list of known names. */
export function applyActivation(ctx: LayerContext, name: string, t: T, role = 'h'): T {
  if (name === 'linear') return t;
  if ((ACTIVATION_FNS as readonly string[]).includes(name)) return ctx.map(name as FnName, [t], paramsOf(ctx, name as FnName), role);
  if ((ALONG_LAST_AXIS as readonly string[]).includes(name)) return ctx.op(name as 'softmax' | 'log_softmax', [t], { axes: [t.shape.length - 1] }, role)[0];
  return ctx.fail(`unknown activation '${name}'`, `known activations: ${ACTIVATION_NAMES.join(', ')}`);
}

/** The activation named in a layer's config ('linear' when absent). */
export function configActivation(ctx: LayerContext, key = 'activation'): string {
  const a = ctx.layer.config[key];
  return typeof a === 'string' ? a : 'linear';
}

export const activationLayers: Record<string, Extractor> = {
  Activation: (ctx, [x]) => [applyActivation(ctx, configActivation(ctx), x)],
};
