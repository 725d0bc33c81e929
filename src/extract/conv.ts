import type { NodeId } from '../ir/graph.js';
import { applyActivation, configActivation } from './activations.js';
import { channelsFirst, intTuple, sizeOf, toChannelsFirst, toChannelsLast } from './tensor.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

/**
 * Convolutions over 1 to 3 spatial axes, with TF's padding rules: Conv1D/2D/3D, SeparableConv1D/2D,
 * DepthwiseConv1D/2D. Every output element is one affine node over its receptive field.
 */

/** Where a window of a strided, dilated, padded convolution or pooling reads. */
export interface Geometry {
  readonly inSpatial: readonly number[];
  readonly outSpatial: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilation: readonly number[];
  readonly padBefore: readonly number[];
}

/** TF's output size and leading padding for 'valid', 'same' and 'causal' (1D only). */
export function geometry(ctx: LayerContext, inSpatial: readonly number[], kernel: number[], strides: number[], dilation: number[]): Geometry {
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
  return { inSpatial, outSpatial, kernel, strides, dilation, padBefore };
}

/**
 * Calls `visit(outPos, taps)` for every output position (row-major), where `taps` lists
 * [input spatial offset (row-major), kernel offset (row-major)] for the in-bounds window cells.
 */
export function windows(geo: Geometry, visit: (outPos: number, taps: [number, number][]) => void): void {
  const r = geo.inSpatial.length;
  const outCount = sizeOf(geo.outSpatial);
  const kCount = sizeOf(geo.kernel);
  const p = new Array<number>(r).fill(0);
  for (let o = 0; o < outCount; o++) {
    const taps: [number, number][] = [];
    const q = new Array<number>(r).fill(0);
    for (let k = 0; k < kCount; k++) {
      let at = 0;
      let inside = true;
      for (let i = 0; i < r; i++) {
        const x = p[i] * geo.strides[i] - geo.padBefore[i] + q[i] * geo.dilation[i];
        if (x < 0 || x >= geo.inSpatial[i]) {
          inside = false;
          break;
        }
        at = at * geo.inSpatial[i] + x;
      }
      if (inside) taps.push([at, k]);
      for (let i = r - 1; i >= 0; i--) {
        if (++q[i] < geo.kernel[i]) break;
        q[i] = 0;
      }
    }
    visit(o, taps);
    for (let i = r - 1; i >= 0; i--) {
      if (++p[i] < geo.outSpatial[i]) break;
      p[i] = 0;
    }
  }
}

/** Input as channels-last, the spatial rank the layer expects checked. */
function spatialInput(ctx: LayerContext, x: Tensor, rank: number): Tensor {
  if (x.shape.length !== rank + 1) ctx.fail(`expects input of rank ${rank + 1} (without the batch), found shape [${x.shape.join(', ')}]`);
  return channelsFirst(ctx) ? toChannelsLast(x) : x;
}

function finish(ctx: LayerContext, out: Tensor): Tensor[] {
  const activated = applyActivation(ctx, configActivation(ctx), out);
  return [channelsFirst(ctx) ? toChannelsFirst(activated) : activated];
}

function settings(ctx: LayerContext, rank: number) {
  return {
    kernel: intTuple(ctx, 'kernel_size', rank),
    strides: intTuple(ctx, 'strides', rank, Array(rank).fill(1)),
    dilation: intTuple(ctx, 'dilation_rate', rank, Array(rank).fill(1)),
  };
}

function biasOf(ctx: LayerContext, n: number): ArrayLike<number> | null {
  return ctx.layer.config.use_bias === false ? null : ctx.weight('bias', [n]).values;
}

/** kernel (k…, C/groups, F): out[p, f] = b[f] + Σ_window Σ_c x[·, c]·K[·, c, f] within f's group. */
function conv(rank: number): Extractor {
  return (ctx, [input]) => {
    const g = ctx.graph;
    const x = spatialInput(ctx, input, rank);
    const { kernel, strides, dilation } = settings(ctx, rank);
    const cin = x.shape[rank];
    const filters = Number(ctx.layer.config.filters);
    const groups = Number(ctx.layer.config.groups ?? 1);
    if (cin % groups !== 0 || filters % groups !== 0) ctx.fail(`groups ${groups} does not divide ${cin} input channels and ${filters} filters`);
    const cg = cin / groups;
    const fg = filters / groups;
    const K = ctx.weight('kernel', [...kernel, cg, filters]).values;
    const bias = biasOf(ctx, filters);
    const geo = geometry(ctx, x.shape.slice(0, rank), kernel, strides, dilation);
    const ids: NodeId[] = [];
    windows(geo, (_o, taps) => {
      for (let f = 0; f < filters; f++) {
        const c0 = Math.floor(f / fg) * cg;
        const terms: NodeId[] = [];
        const coefs: number[] = [];
        for (const [at, k] of taps) {
          for (let c = 0; c < cg; c++) {
            terms.push(x.ids[at * cin + c0 + c]);
            coefs.push(K[(k * cg + c) * filters + f]);
          }
        }
        ids.push(g.affine(terms, coefs, bias ? bias[f] : 0));
      }
    });
    return finish(ctx, { shape: [...geo.outSpatial, filters], ids });
  };
}

/** depthwise_kernel (k…, C, M): out[p, c·M + m] = Σ_window x[·, c]·D[·, c, m]. */
function depthwise(ctx: LayerContext, x: Tensor, rank: number, withBias: boolean): Tensor {
  const g = ctx.graph;
  const { kernel, strides, dilation } = settings(ctx, rank);
  const cin = x.shape[rank];
  const m = Number(ctx.layer.config.depth_multiplier ?? 1);
  const D = ctx.weight('depthwise_kernel', [...kernel, cin, m]).values;
  const bias = withBias ? biasOf(ctx, cin * m) : null;
  const geo = geometry(ctx, x.shape.slice(0, rank), kernel, strides, dilation);
  const ids: NodeId[] = [];
  windows(geo, (_o, taps) => {
    for (let c = 0; c < cin; c++) {
      for (let j = 0; j < m; j++) {
        ids.push(g.affine(taps.map(([at]) => x.ids[at * cin + c]), taps.map(([, k]) => D[(k * cin + c) * m + j]), bias ? bias[c * m + j] : 0));
      }
    }
  });
  return { shape: [...geo.outSpatial, cin * m], ids };
}

function depthwiseConv(rank: number): Extractor {
  return (ctx, [input]) => finish(ctx, depthwise(ctx, spatialInput(ctx, input, rank), rank, true));
}

/** Depthwise, then a 1×1 convolution with pointwise_kernel (1…, C·M, F) and the bias. */
function separableConv(rank: number): Extractor {
  return (ctx, [input]) => {
    const g = ctx.graph;
    const d = depthwise(ctx, spatialInput(ctx, input, rank), rank, false);
    const cm = d.shape[rank];
    const filters = Number(ctx.layer.config.filters);
    const P = ctx.weight('pointwise_kernel', [...Array(rank).fill(1), cm, filters]).values;
    const bias = biasOf(ctx, filters);
    const ids: NodeId[] = [];
    for (let at = 0; at < d.ids.length; at += cm) {
      const terms = d.ids.slice(at, at + cm);
      for (let f = 0; f < filters; f++) ids.push(g.affine(terms, terms.map((_, c) => P[c * filters + f]), bias ? bias[f] : 0));
    }
    return finish(ctx, { shape: [...d.shape.slice(0, rank), filters], ids });
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
