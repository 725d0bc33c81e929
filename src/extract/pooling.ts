import type { NodeId } from '../ir/graph.js';
import { geometry, windows } from './conv.js';
import { channelsFirst, intTuple, sizeOf, toChannelsFirst, toChannelsLast } from './tensor.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

/** Pooling: Max/Average Pooling 1D/2D/3D (TF's padding; 'same' averages over in-bounds cells only) and the global forms. */

function pool(rank: number, kind: 'max' | 'avg'): Extractor {
  return (ctx, [input]) => {
    const g = ctx.graph;
    if (input.shape.length !== rank + 1) ctx.fail(`expects input of rank ${rank + 1} (without the batch), found shape [${input.shape.join(', ')}]`);
    const x = channelsFirst(ctx) ? toChannelsLast(input) : input;
    const size = intTuple(ctx, 'pool_size', rank, Array(rank).fill(2));
    const strides = intTuple(ctx, 'strides', rank, size);
    const geo = geometry(ctx, x.shape.slice(0, rank), size, strides, Array(rank).fill(1));
    const c = x.shape[rank];
    const ids: NodeId[] = [];
    windows(geo, (_o, taps) => {
      for (let ch = 0; ch < c; ch++) {
        const cells = taps.map(([at]) => x.ids[at * c + ch]);
        ids.push(kind === 'max' ? cells.slice(1).reduce((a, b) => g.max(a, b), cells[0]) : g.affine(cells, cells.map(() => 1 / cells.length)));
      }
    });
    const out: Tensor = { shape: [...geo.outSpatial, c], ids };
    return [channelsFirst(ctx) ? toChannelsFirst(out) : out];
  };
}

function globalPool(kind: 'max' | 'avg'): Extractor {
  return (ctx: LayerContext, [input]) => {
    const g = ctx.graph;
    const x = channelsFirst(ctx) ? toChannelsLast(input) : input;
    const c = x.shape[x.shape.length - 1];
    const n = sizeOf(x.shape.slice(0, -1));
    const ids: NodeId[] = [];
    for (let ch = 0; ch < c; ch++) {
      const cells = Array.from({ length: n }, (_, i) => x.ids[i * c + ch]);
      ids.push(kind === 'max' ? cells.slice(1).reduce((a, b) => g.max(a, b), cells[0]) : g.affine(cells, cells.map(() => 1 / n)));
    }
    if (ctx.layer.config.keepdims === true) {
      const ones = Array(x.shape.length - 1).fill(1);
      return [{ shape: channelsFirst(ctx) ? [c, ...ones] : [...ones, c], ids }];
    }
    return [{ shape: [c], ids }];
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
