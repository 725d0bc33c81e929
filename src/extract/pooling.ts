import { windowAttrs } from './conv.js';
import { channelsFirst, intTuple, toChannelsFirst, toChannelsLast } from './tensor.js';
import type { Extractor, LayerContext } from './types.js';

/** Pooling: Max/Average Pooling 1D/2D/3D (TF's padding; 'same' averages over in-bounds cells only) and the global forms. */

function pool(rank: number, kind: 'max' | 'avg'): Extractor {
  return (ctx, [input]) => {
    if (input.shape.length !== rank + 1) ctx.fail(`expects input of rank ${rank + 1} (without the batch), found shape [${input.shape.join(', ')}]`);
    const x = channelsFirst(ctx) ? toChannelsLast(ctx, input) : input;
    const size = intTuple(ctx, 'pool_size', rank, Array(rank).fill(2));
    const strides = intTuple(ctx, 'strides', rank, size);
    const w = windowAttrs(ctx, x.shape.slice(0, rank), size, strides, Array(rank).fill(1));
    const [out] = ctx.op('pool', [x], { ...w, kind });
    return [channelsFirst(ctx) ? toChannelsFirst(ctx, out) : out];
  };
}

function globalPool(kind: 'max' | 'avg'): Extractor {
  return (ctx: LayerContext, [input]) => {
    const x = channelsFirst(ctx) ? toChannelsLast(ctx, input) : input;
    const [out] = ctx.op('global_pool', [x], { kind });
    if (ctx.layer.config.keepdims !== true) return [out];
    const c = out.shape[0];
    const ones = Array(x.shape.length - 1).fill(1);
    return [ctx.op('reshape', [out], { shape: channelsFirst(ctx) ? [c, ...ones] : [...ones, c] }, 'h')[0]];
  };
}

export const poolingLayers: Record<string, Extractor> = {
  MaxPooling1D: pool(1, 'max'),
  MaxPooling2D: pool(2, 'max'),
  MaxPooling3D: pool(3, 'max'),
  AveragePooling1D: pool(1, 'avg'),
  AveragePooling2D: pool(2, 'avg'),
  AveragePooling3D: pool(3, 'avg'),
  GlobalMaxPooling1D: globalPool('max'),
  GlobalMaxPooling2D: globalPool('max'),
  GlobalAveragePooling1D: globalPool('avg'),
  GlobalAveragePooling2D: globalPool('avg'),
};
