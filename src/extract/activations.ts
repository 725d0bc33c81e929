import type { Graph, NodeId } from '../ir/graph.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

type Elementwise = (g: Graph, x: NodeId, kerasMajor: number) => NodeId;

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** α·(e^{min(x,0)} − 1) + max(x, 0): ELU without a branch, exact for both signs. */
function elu(g: Graph, x: NodeId, alpha: number, scale = 1): NodeId {
  return g.affine([g.max(g.constant(0), x), g.fn('exp', g.min(g.constant(0), x))], [scale, scale * alpha], -scale * alpha);
}

function sigmoidTimes(g: Graph, x: NodeId): NodeId {
  return g.mul(x, g.fn('sigmoid', x));
}

/** Element-wise activations by canonical name (see load/topology.ts activationName). */
const ELEMENTWISE: Record<string, Elementwise> = {
  linear: (_g, x) => x,
  relu: (g, x) => g.max(g.constant(0), x),
  relu6: (g, x) => g.min(g.max(g.constant(0), x), g.constant(6)),
  elu: (g, x) => elu(g, x, 1),
  selu: (g, x) => elu(g, x, SELU_ALPHA, SELU_SCALE),
  sigmoid: (g, x) => g.fn('sigmoid', x),
  // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; Keras 1/2 and TF.js use 0.2·x + 0.5.
  hard_sigmoid: (g, x, major) =>
    g.min(g.max(g.constant(0), major >= 3 ? g.affine([x], [1 / 6], 0.5) : g.affine([x], [0.2], 0.5)), g.constant(1)),
  tanh: (g, x) => g.fn('tanh', x),
  softplus: (g, x) => g.fn('softplus', x),
  softsign: (g, x) => g.div(x, g.shift(g.fn('abs', x), 1)),
  swish: sigmoidTimes,
  gelu: (g, x) => g.mul(x, g.affine([g.fn('erf', g.scale(x, Math.SQRT1_2))], [0.5], 0.5)),
  gelu_new: (g, x) =>
    g.mul(x, g.affine([g.fn('tanh', g.affine([x, g.pow(x, 3)], [Math.sqrt(2 / Math.PI), Math.sqrt(2 / Math.PI) * 0.044715]))], [0.5], 0.5)),
  mish: (g, x) => g.mul(x, g.fn('tanh', g.fn('softplus', x))),
  exponential: (g, x) => g.fn('exp', x),
};

/** Activations that act along the last axis. */
const ALONG_LAST_AXIS: Record<string, (g: Graph, xs: NodeId[]) => NodeId[]> = {
  softmax: (g, xs) => {
    const es = xs.map((x) => g.fn('exp', x));
    const sum = g.affine(es, es.map(() => 1));
    return es.map((e) => g.div(e, sum));
  },
  log_softmax: (g, xs) => {
    const lse = g.fn('log', g.affine(xs.map((x) => g.fn('exp', x)), xs.map(() => 1)));
    return xs.map((x) => g.sub(x, lse));
  },
};

/** Every activation name nn2eq knows, for messages and --help. */
export const ACTIVATION_NAMES: readonly string[] = [...Object.keys(ELEMENTWISE), ...Object.keys(ALONG_LAST_AXIS)].sort();

/** ELU with a given alpha, for the ELU layer. */
export function eluWith(g: Graph, x: NodeId, alpha: number): NodeId {
  return elu(g, x, alpha);
}

/** The along-axis form of softmax, for the Softmax layer. */
export function softmaxOf(g: Graph, xs: NodeId[]): NodeId[] {
  return ALONG_LAST_AXIS.softmax(g, xs);
}

/** Applies the activation `name` to tensor `t`, or fails with the list of known names. */
export function applyActivation(ctx: LayerContext, name: string, t: Tensor): Tensor {
  const g = ctx.graph;
  const f = ELEMENTWISE[name];
  if (f) return { shape: t.shape, ids: t.ids.map((x) => f(g, x, ctx.model.kerasMajor)) };
  const along = ALONG_LAST_AXIS[name];
  if (along) {
    const n = t.shape[t.shape.length - 1] ?? 1;
    const ids: NodeId[] = [];
    for (let at = 0; at < t.ids.length; at += n) ids.push(...along(g, t.ids.slice(at, at + n)));
    return { shape: t.shape, ids };
  }
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
