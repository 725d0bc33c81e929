import type { Graph, NodeId } from '../ir/graph.js';
import { l2Normalize } from './normalization.js';
import { kerasAxis, sameShape, transpose } from './tensor.js';
import type { Extractor } from './types.js';

/** Merge layers: element-wise Add, Subtract, Multiply, Average, Maximum, Minimum; Concatenate; Dot. */

function elementwise(combine: (g: Graph, xs: NodeId[]) => NodeId, minInputs = 2, maxInputs = Infinity): Extractor {
  return (ctx, inputs) => {
    if (inputs.length < minInputs || inputs.length > maxInputs) {
      ctx.fail(`takes ${maxInputs === minInputs ? minInputs : `at least ${minInputs}`} inputs, found ${inputs.length}`);
    }
    const shape = sameShape(ctx, inputs);
    return [{ shape, ids: inputs[0].ids.map((_, i) => combine(ctx.graph, inputs.map((t) => t.ids[i]))) }];
  };
}

function fold(g: Graph, xs: NodeId[], f: (a: NodeId, b: NodeId) => NodeId): NodeId {
  return xs.slice(1).reduce(f, xs[0]);
}

const concatenate: Extractor = (ctx, inputs) => {
  const rank = inputs[0].shape.length;
  const axis = kerasAxis(ctx, ctx.layer.config.axis ?? -1, rank);
  for (const t of inputs) {
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== inputs[0].shape[i])) {
      ctx.fail(`inputs have shapes ${inputs.map((x) => `[${x.shape.join(', ')}]`).join(', ')}, which do not agree off axis ${axis + 1}`);
    }
  }
  // Move the axis first, stack, move it back.
  const perm = [axis, ...[...Array(rank).keys()].filter((i) => i !== axis)];
  const moved = inputs.map((t) => transpose(t, perm));
  const ids = moved.flatMap((t) => t.ids);
  const shape = [moved.reduce((n, t) => n + t.shape[0], 0), ...moved[0].shape.slice(1)];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [transpose({ shape, ids }, inverse)];
};

/**
 * Keras's Dot (batch_dot): contracts axis a of the first input with axis b of the second; the
 * result has the remaining axes of the first, then of the second. `normalize` first divides each
 * input by its L2 norm along the contracted axis (cosine similarity).
 */
const dot: Extractor = (ctx, inputs) => {
  if (inputs.length !== 2) ctx.fail(`takes 2 inputs, found ${inputs.length}`);
  const g = ctx.graph;
  let [x, y] = inputs;
  const raw = ctx.layer.config.axes ?? -1;
  const pair = Array.isArray(raw) ? raw : [raw, raw];
  const ax = kerasAxis(ctx, pair[0], x.shape.length, 'axes');
  const ay = kerasAxis(ctx, pair[1], y.shape.length, 'axes');
  if (x.shape[ax] !== y.shape[ay]) ctx.fail(`contracts axis ${ax + 1} of [${x.shape.join(', ')}] with axis ${ay + 1} of [${y.shape.join(', ')}], which differ in size`);
  const lastX = transpose(x, [...[...Array(x.shape.length).keys()].filter((i) => i !== ax), ax]);
  const firstY = transpose(y, [ay, ...[...Array(y.shape.length).keys()].filter((i) => i !== ay)]);
  const n = x.shape[ax];
  const xRows: NodeId[][] = [];
  for (let at = 0; at < lastX.ids.length; at += n) xRows.push(lastX.ids.slice(at, at + n));
  const m = firstY.ids.length / n;
  const yCols: NodeId[][] = Array.from({ length: m }, (_, j) => Array.from({ length: n }, (_, k) => firstY.ids[k * m + j]));
  const normalize = ctx.layer.config.normalize === true;
  const xs = normalize ? xRows.map((r) => l2Normalize(g, r)) : xRows;
  const ys = normalize ? yCols.map((c) => l2Normalize(g, c)) : yCols;
  const ids: NodeId[] = [];
  for (const r of xs) for (const c of ys) ids.push(g.affine(r.map((v, k) => g.mul(v, c[k])), r.map(() => 1)));
  const shape = [...lastX.shape.slice(0, -1), ...firstY.shape.slice(1)];
  return [{ shape: shape.length === 0 ? [1] : shape, ids }];
};

export const mergeLayers: Record<string, Extractor> = {
  Add: elementwise((g, xs) => g.affine(xs, xs.map(() => 1))),
  Subtract: elementwise((g, [a, b]) => g.sub(a, b), 2, 2),
  Multiply: elementwise((g, xs) => fold(g, xs, (a, b) => g.mul(a, b))),
  Average: elementwise((g, xs) => g.affine(xs, xs.map(() => 1 / xs.length))),
  Maximum: elementwise((g, xs) => fold(g, xs, (a, b) => g.max(a, b))),
  Minimum: elementwise((g, xs) => fold(g, xs, (a, b) => g.min(a, b))),
  Concatenate: concatenate,
  Dot: dot,
};

