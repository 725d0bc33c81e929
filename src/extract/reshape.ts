import type { NodeId } from '../ir/graph.js';
import { channelsFirst, sizeOf, toChannelsFirst, toChannelsLast, transpose, wrappedLayer } from './tensor.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

/** Layers that move values without arithmetic: Flatten, Reshape, Permute, RepeatVector, padding, cropping, up-sampling. */

const flatten: Extractor = (ctx, [x]) => {
  // channels_first data is flattened in channels-last order, as Keras does to keep weights portable.
  const t = channelsFirst(ctx) && x.shape.length > 1 ? toChannelsLast(x) : x;
  return [{ shape: [t.ids.length], ids: t.ids }];
};

const reshape: Extractor = (ctx, [x]) => {
  const target = ctx.layer.config.target_shape;
  if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d))) return ctx.fail(`'target_shape' is ${JSON.stringify(target)}, expected a list of integers`);
  const dims = target as number[];
  const known = sizeOf(dims.filter((d) => d !== -1));
  const shape = dims.map((d) => (d === -1 ? x.ids.length / known : d));
  if (sizeOf(shape) !== x.ids.length || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    ctx.fail(`cannot reshape [${x.shape.join(', ')}] (${x.ids.length} values) to [${dims.join(', ')}]`);
  }
  return [{ shape, ids: x.ids }];
};

const permute: Extractor = (ctx, [x]) => {
  const dims = ctx.layer.config.dims;
  if (!Array.isArray(dims) || [...dims].map(Number).sort((a, b) => a - b).some((d, i) => d !== i + 1) || dims.length !== x.shape.length) {
    return ctx.fail(`'dims' is ${JSON.stringify(dims)}, expected a permutation of 1…${x.shape.length}`);
  }
  return [transpose(x, (dims as number[]).map((d) => d - 1))];
};

const repeatVector: Extractor = (ctx, [x]) => {
  const n = Number(ctx.layer.config.n);
  if (!Number.isInteger(n) || n < 1) ctx.fail(`'n' is ${JSON.stringify(ctx.layer.config.n)}, expected a positive integer`);
  return [{ shape: [n, ...x.shape], ids: Array.from({ length: n }, () => x.ids).flat() }];
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

/** Rebuilds the spatial axes of a channels-last tensor: out cell → input cell or null (zero). */
function remap(ctx: LayerContext, input: Tensor, rank: number, outSpatial: number[], from: (axis: number, i: number) => number | null): Tensor[] {
  const x = channelsFirst(ctx) ? toChannelsLast(input) : input;
  if (x.shape.length !== rank + 1) ctx.fail(`expects input of rank ${rank + 1} (without the batch), found shape [${x.shape.join(', ')}]`);
  const c = x.shape[rank];
  const zero = ctx.graph.constant(0);
  const ids: NodeId[] = [];
  const p = new Array<number>(rank).fill(0);
  for (let o = 0; o < sizeOf(outSpatial); o++) {
    let at: number | null = 0;
    for (let i = 0; i < rank && at !== null; i++) {
      const src = from(i, p[i]);
      at = src === null ? null : at * x.shape[i] + src;
    }
    for (let ch = 0; ch < c; ch++) ids.push(at === null ? zero : x.ids[at * c + ch]);
    for (let i = rank - 1; i >= 0; i--) {
      if (++p[i] < outSpatial[i]) break;
      p[i] = 0;
    }
  }
  const out: Tensor = { shape: [...outSpatial, c], ids };
  return [channelsFirst(ctx) ? toChannelsFirst(out) : out];
}

function spatial(ctx: LayerContext, x: Tensor, rank: number): number[] {
  return (channelsFirst(ctx) ? x.shape.slice(1) : x.shape.slice(0, rank)) as number[];
}

function zeroPadding(rank: number): Extractor {
  return (ctx, [x]) => {
    const pad = amounts(ctx, 'padding', rank);
    const s = spatial(ctx, x, rank);
    const out = s.map((n, i) => n + pad[i][0] + pad[i][1]);
    return remap(ctx, x, rank, out, (a, i) => (i < pad[a][0] || i >= pad[a][0] + s[a] ? null : i - pad[a][0]));
  };
}

function cropping(rank: number): Extractor {
  return (ctx, [x]) => {
    const crop = amounts(ctx, 'cropping', rank);
    const s = spatial(ctx, x, rank);
    const out = s.map((n, i) => n - crop[i][0] - crop[i][1]);
    if (out.some((d) => d <= 0)) ctx.fail(`cropping ${JSON.stringify(crop)} leaves nothing of [${s.join(', ')}]`);
    return remap(ctx, x, rank, out, (a, i) => i + crop[a][0]);
  };
}

function upSampling(rank: number): Extractor {
  return (ctx, [x]) => {
    const v = ctx.layer.config.size ?? 2;
    const size = Array.isArray(v) ? v.map(Number) : Array(rank).fill(Number(v));
    const interp = ctx.layer.config.interpolation ?? 'nearest';
    if (interp !== 'nearest') ctx.fail(`interpolation '${String(interp)}' is not supported`, 'only nearest-neighbour up-sampling has a closed form here');
    const s = spatial(ctx, x, rank);
    return remap(ctx, x, rank, s.map((n, i) => n * size[i]), (a, i) => Math.floor(i / size[a]));
  };
}

/** The wrapped layer applied to every time slice [t, …]; outputs stacked along time. */
const timeDistributed: Extractor = (ctx, [x]) => {
  const inner = wrappedLayer(ctx, 'layer', ctx.layer.weights);
  if (!inner) return ctx.fail(`has no 'layer' to apply`);
  const T = x.shape[0];
  const rest = x.shape.slice(1);
  const n = sizeOf(rest);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [y] = ctx.run(inner, [{ shape: rest, ids: x.ids.slice(t * n, (t + 1) * n) }]);
    outs.push(y);
  }
  return [{ shape: [T, ...outs[0].shape], ids: outs.flatMap((y) => y.ids) }];
};

/** Integer ids → rows of the embeddings table: each output is a lookup, printed as an index into the table. */
const embedding: Extractor = (ctx, [x]) => {
  const g = ctx.graph;
  const w = ctx.weight('embeddings');
  if (w.shape.length !== 2) ctx.fail(`weight 'embeddings' has shape [${w.shape.join(', ')}], expected [input_dim, output_dim]`);
  const [rows, cols] = w.shape;
  const table = g.addTable({ rows, cols, values: w.values });
  const ids: NodeId[] = [];
  for (const id of x.ids) for (let c = 0; c < cols; c++) ids.push(g.lookup(table, id, c));
  return [{ shape: [...x.shape, cols], ids }];
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
