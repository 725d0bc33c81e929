import { applyActivation, configActivation } from './activations.js';
import { spatialInput } from './conv.js';
import { channelsFirst, intTuple, sizeOf, toChannelsFirst } from './tensor.js';
import type { Extractor, LayerContext, T } from './types.js';

/**
 * Conv1DTranspose and Conv2DTranspose (TF's conv_transpose: the gradient of the convolution with
 * the same kernel), written as a convolution: zeros inserted between the input's elements
 * (stride), then a stride-1 convolution with the kernel flipped and its channel axes swapped.
 * out[o] = b + Σ x[i]·K[k] over o = i·s + k·d − p, with Keras's output length and TF's padding p.
 */

/** Keras's deconv_output_length and the padding before the output that TF derives from it. */
function geometry(ctx: LayerContext, n: number, k: number, s: number, d: number, outPad: number | null): { out: number; before: number } {
  const padding = String(ctx.layer.config.padding ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') return ctx.fail(`padding '${padding}' is not one of valid, same`);
  const dk = (k - 1) * d + 1;
  let out: number;
  if (outPad === null) out = padding === 'valid' ? n * s + Math.max(dk - s, 0) : n * s;
  else out = (n - 1) * s + dk - 2 * (padding === 'same' ? Math.floor(dk / 2) : 0) + outPad;
  const before = padding === 'valid' ? 0 : Math.floor(Math.max((n - 1) * s + dk - out, 0) / 2);
  if (out <= 0) ctx.fail(`the output would have length ${out}`);
  return { out, before };
}

function convTranspose(rank: number): Extractor {
  return (ctx, [input]) => {
    const c = ctx.layer.config;
    let x = spatialInput(ctx, input, rank);
    const kernel = intTuple(ctx, 'kernel_size', rank);
    const strides = intTuple(ctx, 'strides', rank, Array(rank).fill(1));
    const dilation = intTuple(ctx, 'dilation_rate', rank, Array(rank).fill(1));
    const outPad = c.output_padding === null || c.output_padding === undefined ? null : intTuple(ctx, 'output_padding', rank);
    const cin = x.shape[rank];
    const filters = Number(c.filters);
    const w = ctx.weight('kernel', [...kernel, filters, cin]);
    const inSpatial = x.shape.slice(0, rank);
    const geo = inSpatial.map((n, i) => geometry(ctx, n, kernel[i], strides[i], dilation[i], outPad ? outPad[i] : null));
    // Zeros between elements along each strided axis: [.., n, ..] → [.., n, s, ..] → [.., n·s, ..] → first (n−1)·s + 1.
    for (let i = 0; i < rank; i++) {
      const s = strides[i];
      if (s === 1) continue;
      const sh = x.shape;
      const opened = ctx.op('reshape', [x], { shape: [...sh.slice(0, i + 1), 1, ...sh.slice(i + 1)] }, 'z')[0];
      const before = opened.shape.map(() => 0);
      const after = opened.shape.map((_, j) => (j === i + 1 ? s - 1 : 0));
      const spread = ctx.op('reshape', [ctx.op('pad', [opened], { before, after }, 'z')[0]], { shape: [...sh.slice(0, i), sh[i] * s, ...sh.slice(i + 1)] }, 'z')[0];
      x = ctx.op('slice', [spread], { begin: spread.shape.map(() => 0), end: spread.shape.map((d, j) => (j === i ? (sh[i] - 1) * s + 1 : d)) }, 'z')[0];
    }
    const padBefore = geo.map((g, i) => (kernel[i] - 1) * dilation[i] - g.before);
    if (padBefore.some((p) => p < 0)) ctx.fail('output_padding and padding leave the kernel outside the output');
    // Keras's kernel [k…, F, C] → K[k… flipped, C, F] of the equivalent convolution.
    const kc = sizeOf(kernel);
    const K = new Float64Array(kc * cin * filters);
    for (let k = 0; k < kc; k++) for (let ci = 0; ci < cin; ci++) for (let f = 0; f < filters; f++) K[(k * cin + ci) * filters + f] = w.values[((kc - 1 - k) * filters + f) * cin + ci];
    const bias = c.use_bias !== false;
    const args = [x, ctx.constant('K', [...kernel, cin, filters], K)];
    if (bias) args.push(ctx.param('bias', 'b', [filters]));
    const activation = configActivation(ctx);
    const attrs = { kernel, strides: kernel.map(() => 1), dilation, padBefore, outSpatial: geo.map((g) => g.out), groups: 1, bias };
    const [z] = ctx.op('conv', args, attrs, activation === 'linear' ? 'h' : 'a');
    const y = applyActivation(ctx, activation, z);
    return [channelsFirst(ctx) ? toChannelsFirst(ctx, y) : y];
  };
}

export const convTransposeLayers: Record<string, Extractor> = {
  Conv1DTranspose: convTranspose(1),
  Conv2DTranspose: convTranspose(2),
  Conv3DTranspose: convTranspose(3),
};
