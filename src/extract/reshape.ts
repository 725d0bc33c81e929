import { channelsFirst, sizeOf, toChannelsFirst, toChannelsLast, transpose, wrappedLayer } from './tensor.js';
import type { Extractor, LayerContext, T } from './types.js';

/** Layers that move values without arithmetic: Flatten, Reshape, Permute, RepeatVector, padding, cropping, up-sampling. */

const flatten: Extractor = (ctx, [x]) => {
  // channels_first data is flattened in channels-last order, as Keras does to keep weights portable.
  const t = channelsFirst(ctx) && x.shape.length > 1 ? toChannelsLast(ctx, x) : x;
  if (t.shape.length === 1) return [t];
  return [ctx.op('reshape', [t], { shape: [sizeOf(t.shape)] })[0]];
};

const reshape: Extractor = (ctx, [x]) => {
  const target = ctx.layer.config.target_shape;
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d))) return ctx.fail(`'target_shape' is ${JSON.stringify(target)}, expected a list of integers`);
  const dims = target as number[];
  const n = sizeOf(x.shape);
  const known = sizeOf(dims.filter((d) => d !== -1));
  const shape = dims.map((d) => (d === -1 ? n / known : d));
  if (sizeOf(shape) !== n || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    ctx.fail(`cannot reshape [${x.shape.join(', ')}] (${n} values) to [${dims.join(', ')}]`);
  }
  return [ctx.op('reshape', [x], { shape })[0]];
};

const permute: Extractor = (ctx, [x]) => {
  const dims = ctx.layer.config.dims;
  if (!Array.isArray(dims) || [...dims].map(Number).sort((a, b) => a - b).some((d, i) => d !== i + 1) || dims.length !== x.shape.length) {
    return ctx.fail(`'dims' is ${JSON.stringify(dims)}, expected a permutation of 1…${x.shape.length}`);
  }
  return [transpose(ctx, x, (dims as number[]).map((d) => d - 1))];
};

const repeatVector: Extractor = (ctx, [x]) => {
  const n = Number(ctx.layer.config.n);
  if (!Number.isInteger(n) || n < 1) ctx.fail(`'n' is ${JSON.stringify(ctx.layer.config.n)}, expected a positive integer`);
  return [ctx.op('repeat', [x], { n })[0]];
};

/** [[before, after], …] per spatial axis from an int, a pair of ints (one per axis) or pairs. */
function amounts(ctx: LayerContext, key: string, rank: number): [number, number][] {
  const v = ctx.layer.config[key];
  const bad = () => ctx.fail(`'${key}' is ${JSON.stringify(v)}, expected an integer, ${rank} integers or ${rank} pairs`);
  if (typeof v === 'number') return Array.from({ length: rank }, () => [v, v]);
  if (!Array.isArray(v)) return bad();
  if (rank === 1 && v.length === 2 && v.every((a) => typeof a === 'number')) return [[v[0] as number, v[1] as number]];
  if (v.length !== rank) return bad();
  return v.map((a) => (typeof a === 'number' ? [a, a] : Array.isArray(a) && a.length === 2 ? [Number(a[0]), Number(a[1])] : bad())) as [number, number][];
}

/** Runs a channels-last spatial op on the layer's input, moving channels_first data around it. */
function spatialOp(ctx: LayerContext, input: T, rank: number, op: (x: T) => T): T[] {
  const x = channelsFirst(ctx) ? toChannelsLast(ctx, input) : input;
  if (x.shape.length !== rank + 1) ctx.fail(`expects input of rank ${rank + 1} (without the batch), found shape [${x.shape.join(', ')}]`);
  const out = op(x);
  return [channelsFirst(ctx) ? toChannelsFirst(ctx, out) : out];
}

function zeroPadding(rank: number): Extractor {
  return (ctx, [input]) => {
    const pad = amounts(ctx, 'padding', rank);
    return spatialOp(ctx, input, rank, (x) => ctx.op('pad', [x], { before: [...pad.map((p) => p[0]), 0], after: [...pad.map((p) => p[1]), 0] })[0]);
  };
}

function cropping(rank: number): Extractor {
  return (ctx, [input]) => {
    const crop = amounts(ctx, 'cropping', rank);
    return spatialOp(ctx, input, rank, (x) => {
      const end = x.shape.map((d, i) => (i < rank ? d - crop[i][1] : d));
      if (end.some((e, i) => i < rank && e - crop[i][0] <= 0)) ctx.fail(`cropping ${JSON.stringify(crop)} leaves nothing of [${x.shape.slice(0, rank).join(', ')}]`);
      return ctx.op('slice', [x], { begin: [...crop.map((c) => c[0]), 0], end })[0];
    });
  };
}

function upSampling(rank: number): Extractor {
  return (ctx, [input]) => {
    const v = ctx.layer.config.size ?? 2;
    const size = Array.isArray(v) ? v.map(Number) : Array(rank).fill(Number(v));
    const interp = ctx.layer.config.interpolation ?? 'nearest';
    if (interp !== 'nearest') ctx.fail(`interpolation '${String(interp)}' is not supported`, 'only nearest-neighbour up-sampling has a closed form here');
    return spatialOp(ctx, input, rank, (x) => ctx.op('upsample', [x], { factors: [...size, 1] })[0]);
  };
}

/** The wrapped layer applied to every time slice [t, …]; outputs stacked along time. */
const timeDistributed: Extractor = (ctx, [x]) => {
  const inner = wrappedLayer(ctx, 'layer', ctx.layer.weights);
  if (!inner) return ctx.fail(`has no 'layer' to apply`);
  const body = ctx.body([{ shape: x.shape.slice(1), role: 'x' }], ([xt]) => ctx.run(inner, [xt]).slice(0, 1));
  return [ctx.op('foreach', [x], {}, 'h', body)[0]];
};

/** Integer ids → rows of the embeddings table: each output is a lookup, printed as an index into the table. */
const embedding: Extractor = (ctx, [x]) => {
  const w = ctx.weight('embeddings');
  if (w.shape.length !== 2) ctx.fail(`weight 'embeddings' has shape [${w.shape.join(', ')}], expected [input_dim, output_dim]`);
  return [ctx.op('gather', [x, ctx.constant('E', w.shape, w.values)], {})[0]];
};

export const reshapeLayers: Record<string, Extractor> = {
  Embedding: embedding,
  TimeDistributed: timeDistributed,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  RepeatVector: repeatVector,
  ZeroPadding1D: zeroPadding(1),
  ZeroPadding2D: zeroPadding(2),
  Cropping1D: cropping(1),
  Cropping2D: cropping(2),
  UpSampling1D: upSampling(1),
  UpSampling2D: upSampling(2),
};
