import type { WindowAttrs } from '../tensor/ops.js';
import { applyActivation, configActivation } from './activations.js';
import { channelsFirst, intTuple, toChannelsFirst, toChannelsLast } from './tensor.js';
import type { Extractor, LayerContext, T } from './types.js';

/**
 * Convolutions over 1 to 3 spatial axes, with TF's padding rules: Conv1D/2D/3D, SeparableConv1D/2D,
 * DepthwiseConv1D/2D. Channels-first data is moved to channels-last around the convolution.
 */

/** TF's output size and leading padding for 'valid', 'same' and 'causal' (1D only). */
export function windowAttrs(ctx: LayerContext, inSpatial: readonly number[], kernel: number[], strides: number[], dilation: number[]): WindowAttrs {
  const padding = String(ctx.layer.config.padding ?? 'valid').toLowerCase();
  const outSpatial: number[] = [];
  const padBefore: number[] = [];
  inSpatial.forEach((n, i) => {
    const span = (kernel[i] - 1) * dilation[i] + 1;
    if (padding === 'valid') {
      outSpatial.push(Math.floor((n - span) / strides[i]) + 1);
      padBefore.push(0);
    } else if (padding === 'same') {
      const out = Math.ceil(n / strides[i]);
      outSpatial.push(out);
      padBefore.push(Math.floor(Math.max((out - 1) * strides[i] + span - n, 0) / 2));
    } else if (padding === 'causal' && inSpatial.length === 1) {
      outSpatial.push(Math.floor((n - 1) / strides[i]) + 1);
      padBefore.push(span - 1);
    } else {
      ctx.fail(`padding '${padding}' is not one of valid, same${inSpatial.length === 1 ? ', causal' : ''}`);
    }
  });
  if (outSpatial.some((d) => d <= 0)) ctx.fail(`the window [${kernel.join(', ')}] does not fit the input [${inSpatial.join(', ')}]`);
  return { kernel, strides, dilation, padBefore, outSpatial };
}

/** Input as channels-last, the spatial rank the layer expects checked. */
export function spatialInput(ctx: LayerContext, x: T, rank: number): T {
  if (x.shape.length !== rank + 1) ctx.fail(`expects input of rank ${rank + 1} (without the batch), found shape [${x.shape.join(', ')}]`);
  return channelsFirst(ctx) ? toChannelsLast(ctx, x) : x;
}

function finish(ctx: LayerContext, out: T): T[] {
  const activated = applyActivation(ctx, configActivation(ctx), out);
  return [channelsFirst(ctx) ? toChannelsFirst(ctx, activated) : activated];
}

function settings(ctx: LayerContext, x: T, rank: number): WindowAttrs {
  const kernel = intTuple(ctx, 'kernel_size', rank);
  const strides = intTuple(ctx, 'strides', rank, Array(rank).fill(1));
  const dilation = intTuple(ctx, 'dilation_rate', rank, Array(rank).fill(1));
  return windowAttrs(ctx, x.shape.slice(0, rank), kernel, strides, dilation);
}

/** The role of a convolution's result: its pre-activation 'a' when an activation follows. */
function role(ctx: LayerContext): string {
  return configActivation(ctx) === 'linear' ? 'h' : 'a';
}

/** kernel (k…, C/groups, F): out[p, f] = b[f] + Σ_window Σ_c x[·, c]·K[·, c, f] within f's group. */
function conv(rank: number): Extractor {
  return (ctx, [input]) => {
    const x = spatialInput(ctx, input, rank);
    const w = settings(ctx, x, rank);
    const cin = x.shape[rank];
    const filters = Number(ctx.layer.config.filters);
    const groups = Number(ctx.layer.config.groups ?? 1);
    if (cin % groups !== 0 || filters % groups !== 0) ctx.fail(`groups ${groups} does not divide ${cin} input channels and ${filters} filters`);
    const K = ctx.param('kernel', 'K', [...w.kernel, cin / groups, filters]);
    const bias = ctx.layer.config.use_bias !== false;
    const args = bias ? [x, K, ctx.param('bias', 'b', [filters])] : [x, K];
    return finish(ctx, ctx.op('conv', args, { ...w, groups, bias }, role(ctx))[0]);
  };
}

/** depthwise_kernel (k…, C, M): out[p, c·M + m] = Σ_window x[·, c]·D[·, c, m]. */
function depthwise(ctx: LayerContext, x: T, rank: number, withBias: boolean, outRole: string): T {
  const w = settings(ctx, x, rank);
  const cin = x.shape[rank];
  const m = Number(ctx.layer.config.depth_multiplier ?? 1);
  const D = ctx.param('depthwise_kernel', 'D', [...w.kernel, cin, m]);
  const bias = withBias && ctx.layer.config.use_bias !== false;
  const args = bias ? [x, D, ctx.param('bias', 'b', [cin * m])] : [x, D];
  return ctx.op('depthwise_conv', args, { ...w, multiplier: m, bias }, outRole)[0];
}

function depthwiseConv(rank: number): Extractor {
  return (ctx, [input]) => finish(ctx, depthwise(ctx, spatialInput(ctx, input, rank), rank, true, role(ctx)));
}

/** Depthwise, then a 1×1 convolution with pointwise_kernel (1…, C·M, F) and the bias. */
function separableConv(rank: number): Extractor {
  return (ctx, [input]) => {
    const d = depthwise(ctx, spatialInput(ctx, input, rank), rank, false, 'd');
    const cm = d.shape[rank];
    const filters = Number(ctx.layer.config.filters);
    // The 1×1 kernel is a [C·M, F] matrix applied at every position: a dense op.
    const Pm = ctx.constant('P', [cm, filters], ctx.weight('pointwise_kernel', [...Array(rank).fill(1), cm, filters]).values);
    const bias = ctx.layer.config.use_bias !== false;
    const args = bias ? [d, Pm, ctx.param('bias', 'b', [filters])] : [d, Pm];
    return finish(ctx, ctx.op('dense', args, { pairs: 1, bias }, role(ctx))[0]);
  };
}

export const convLayers: Record<string, Extractor> = {
  Conv1D: conv(1),
  Conv2D: conv(2),
  Conv3D: conv(3),
  SeparableConv1D: separableConv(1),
  SeparableConv2D: separableConv(2),
  DepthwiseConv1D: depthwiseConv(1),
  DepthwiseConv2D: depthwiseConv(2),
};
