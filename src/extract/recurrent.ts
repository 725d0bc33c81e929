import type { Graph, NodeId } from '../ir/graph.js';
import type { LayerSpec, Weight } from '../load/spec.js';
import { applyActivation } from './activations.js';
import { wrappedLayer } from './tensor.js';
import type { Extractor, LayerContext, Tensor } from './types.js';

/**
 * Recurrent layers unrolled over their time steps: SimpleRNN, LSTM, GRU (reset_after false and
 * true), and Bidirectional around any of them. The state of every step is a named value (h, c),
 * so the output grows linearly with the number of steps.
 */

interface Run {
  /** Outputs in processing order (reversed input order when going backwards). */
  readonly sequence: NodeId[][];
  /** Final states: [h] or [h, c]. */
  readonly states: NodeId[][];
}

type Cell = (x: NodeId[], states: NodeId[][]) => NodeId[][];

function act(ctx: LayerContext, name: unknown, ids: NodeId[]): NodeId[] {
  return [...applyActivation(ctx, typeof name === 'string' ? name : 'linear', { shape: [ids.length], ids }).ids];
}

/** Column `j` of a row-major [rows, cols] weight as coefficients. */
function column(w: Weight, j: number): Float64Array {
  const [rows, cols] = w.shape;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = w.values[i * cols + j];
  return out;
}

/** Σ x·W[:, j] + Σ h·U[:, j] + b for a block of units starting at column `from`. */
function gates(g: Graph, x: NodeId[], W: Weight, h: NodeId[] | null, U: Weight | null, bias: ArrayLike<number> | null, from: number, units: number): NodeId[] {
  const out: NodeId[] = [];
  for (let j = from; j < from + units; j++) {
    const terms = h && U ? [...x, ...h] : x;
    const wc = column(W, j);
    const coefs = h && U ? Float64Array.from([...wc, ...column(U, j)]) : wc;
    out.push(g.affine(terms, coefs, bias ? bias[j] : 0));
  }
  return out;
}

function cellFor(ctx: LayerContext, spec: LayerSpec, inputDim: number, prefix: string): { cell: Cell; units: number; stateCount: number } {
  const g = ctx.graph;
  const c = spec.config;
  const units = Number(c.units);
  if (!Number.isInteger(units) || units <= 0) ctx.fail(`'units' is ${JSON.stringify(c.units)}, expected a positive integer`);
  // A wrapped cell's weights live in the wrapper's map, under 'forward/' or 'backward/'.
  const weight = (name: string, shape?: number[]) => ctx.weight(prefix + name, shape);
  const useBias = c.use_bias !== false;
  const actName = c.activation ?? 'tanh';
  const recName = c.recurrent_activation ?? (spec.className === 'GRU' || spec.className === 'LSTM' ? 'sigmoid' : 'linear');
  const mulAll = (a: NodeId[], b: NodeId[]) => a.map((v, i) => g.mul(v, b[i]));

  if (spec.className === 'SimpleRNN') {
    const W = weight('kernel', [inputDim, units]);
    const U = weight('recurrent_kernel', [units, units]);
    const b = useBias ? weight('bias', [units]).values : null;
    return { units, stateCount: 1, cell: (x, [h]) => [act(ctx, actName, gates(g, x, W, h, U, b, 0, units))] };
  }
  if (spec.className === 'LSTM') {
    const W = weight('kernel', [inputDim, 4 * units]);
    const U = weight('recurrent_kernel', [units, 4 * units]);
    const b = useBias ? weight('bias', [4 * units]).values : null;
    return {
      units,
      stateCount: 2,
      cell: (x, [h, cPrev]) => {
        const gate = (k: number) => gates(g, x, W, h, U, b, k * units, units);
        const i = act(ctx, recName, gate(0));
        const f = act(ctx, recName, gate(1));
        const cc = act(ctx, actName, gate(2));
        const o = act(ctx, recName, gate(3));
        const cNew = i.map((_, j) => g.add(g.mul(f[j], cPrev[j]), g.mul(i[j], cc[j])));
        const hNew = mulAll(o, act(ctx, actName, cNew));
        return [hNew, cNew];
      },
    };
  }
  if (spec.className === 'GRU') {
    const W = weight('kernel', [inputDim, 3 * units]);
    const U = weight('recurrent_kernel', [units, 3 * units]);
    const bias = useBias ? weight('bias') : null;
    const resetAfter = c.reset_after === true;
    // reset_after keeps separate input and recurrent biases: shape (2, 3·units).
    const want = resetAfter ? 6 * units : 3 * units;
    if (bias && bias.values.length !== want) ctx.fail(`weight '${prefix}bias' has shape [${bias.shape.join(', ')}], expected ${want} values for reset_after=${resetAfter}`, resetAfter ? undefined : 'a (2, 3·units) bias means reset_after=true; the config says otherwise');
    const bIn = bias ? bias.values.subarray(0, 3 * units) : null;
    const bRec = bias && resetAfter ? bias.values.subarray(3 * units) : null;
    return {
      units,
      stateCount: 1,
      cell: (x, [h]) => {
        let z: NodeId[];
        let r: NodeId[];
        let hh: NodeId[];
        if (resetAfter) {
          const inner = (k: number) => gates(g, h, U, null, null, bRec, k * units, units);
          const xz = gates(g, x, W, null, null, bIn, 0, units);
          const xr = gates(g, x, W, null, null, bIn, units, units);
          const xh = gates(g, x, W, null, null, bIn, 2 * units, units);
          const rz = inner(0);
          const rr = inner(1);
          const rh = inner(2);
          z = act(ctx, recName, xz.map((v, j) => g.add(v, rz[j])));
          r = act(ctx, recName, xr.map((v, j) => g.add(v, rr[j])));
          hh = act(ctx, actName, xh.map((v, j) => g.add(v, g.mul(r[j], rh[j]))));
        } else {
          z = act(ctx, recName, gates(g, x, W, h, U, bIn, 0, units));
          r = act(ctx, recName, gates(g, x, W, h, U, bIn, units, units));
          const rh = mulAll(r, h);
          hh = act(ctx, actName, gates(g, x, W, rh, U, bIn, 2 * units, units));
        }
        // z·h + (1 − z)·hh
        return [z.map((zj, j) => g.affine([g.mul(zj, h[j]), g.mul(zj, hh[j]), hh[j]], [1, -1, 1]))];
      },
    };
  }
  return ctx.fail(`wraps a ${spec.className} layer; Bidirectional takes SimpleRNN, LSTM or GRU`);
}

function timeInput(ctx: LayerContext, x: Tensor): NodeId[][] {
  if (x.shape.length !== 2) ctx.fail(`expects input of shape [time steps, features], found [${x.shape.join(', ')}]`);
  const [T, F] = x.shape;
  return Array.from({ length: T }, (_, t) => x.ids.slice(t * F, (t + 1) * F));
}

function runLayer(ctx: LayerContext, spec: LayerSpec, steps: NodeId[][], prefix: string, direction: 'f' | 'b'): Run {
  const c = spec.config;
  if (c.time_major === true) ctx.fail('time_major is on; nn2eq reads batch-major inputs only');
  const { cell, units, stateCount } = cellFor(ctx, spec, steps[0]?.length ?? 0, prefix);
  const zero = ctx.graph.constant(0);
  let states = Array.from({ length: stateCount }, () => Array<NodeId>(units).fill(zero));
  const order = c.go_backwards === true ? [...steps].reverse() : steps;
  const sequence: NodeId[][] = [];
  order.forEach((x, t) => {
    states = cell(x, states);
    const symbols = direction === 'f' ? (['h', 'c'] as const) : (['hb', 'cb'] as const);
    states.forEach((s, k) => s.forEach((id, j) => ctx.labelState(id, symbols[k], t + 1, j + 1)));
    sequence.push(states[0]);
  });
  return { sequence, states };
}

function outputs(spec: LayerSpec, run: Run, units: number): Tensor[] {
  const seq = spec.config.return_sequences === true;
  const main: Tensor = seq ? { shape: [run.sequence.length, units], ids: run.sequence.flat() } : { shape: [units], ids: run.states[0] };
  if (spec.config.return_state !== true) return [main];
  return [main, ...run.states.map((s) => ({ shape: [units], ids: s }))];
}

const recurrent: Extractor = (ctx, inputs) => {
  if (inputs.length !== 1) ctx.fail(`takes initial states as inputs (${inputs.length} inputs), which nn2eq does not support`, 'build the model without initial_state');
  const steps = timeInput(ctx, inputs[0]);
  const run = runLayer(ctx, ctx.layer, steps, '', 'f');
  return outputs(ctx.layer, run, Number(ctx.layer.config.units));
};

/** Forward and backward runs merged by merge_mode (concat, sum, mul, ave; null returns both). */
const bidirectional: Extractor = (ctx, inputs) => {
  const g = ctx.graph;
  const steps = timeInput(ctx, inputs[0]);
  const forward = wrappedLayer(ctx, 'layer', ctx.layer.weights)!;
  const backward = wrappedLayer(ctx, 'backward_layer', ctx.layer.weights) ?? { ...forward, config: { ...forward.config, go_backwards: !(forward.config.go_backwards === true) } };
  const units = Number(forward.config.units);
  const f = runLayer(ctx, forward, steps, 'forward/', 'f');
  const b = runLayer(ctx, backward, steps, 'backward/', 'b');
  const seq = forward.config.return_sequences === true;
  // The backward sequence is re-reversed so both align with the input's time order.
  const fOut: Tensor = seq ? { shape: [steps.length, units], ids: f.sequence.flat() } : { shape: [units], ids: f.states[0] };
  const bOut: Tensor = seq ? { shape: [steps.length, units], ids: [...b.sequence].reverse().flat() } : { shape: [units], ids: b.states[0] };
  const mode = ctx.layer.config.merge_mode === undefined ? 'concat' : ctx.layer.config.merge_mode;
  let merged: Tensor[];
  if (mode === null) merged = [fOut, bOut];
  else if (mode === 'concat') {
    const ids: NodeId[] = [];
    const n = fOut.ids.length / units;
    for (let t = 0; t < n; t++) ids.push(...fOut.ids.slice(t * units, (t + 1) * units), ...bOut.ids.slice(t * units, (t + 1) * units));
    merged = [{ shape: [...fOut.shape.slice(0, -1), 2 * units], ids }];
  } else {
    const combine: Record<string, (a: NodeId, c: NodeId) => NodeId> = {
      sum: (a, c) => g.add(a, c),
      mul: (a, c) => g.mul(a, c),
      ave: (a, c) => g.affine([a, c], [0.5, 0.5]),
    };
    const op = combine[String(mode)];
    if (!op) return ctx.fail(`merge_mode '${String(mode)}' is not one of concat, sum, mul, ave, None`);
    merged = [{ shape: fOut.shape, ids: fOut.ids.map((a, i) => op(a, bOut.ids[i])) }];
  }
  if (forward.config.return_state !== true) return merged;
  const st = (r: Run): Tensor[] => r.states.map((s) => ({ shape: [units], ids: s }));
  return [...merged, ...st(f), ...st(b)];
};

const masking: Extractor = (ctx) =>
  ctx.fail(
    'Masking skips the time steps whose features all equal mask_value, which no single formula expresses',
    'remove the Masking layer if your inputs are never masked, or convert a model without it',
  );

export const recurrentLayers: Record<string, Extractor> = {
  SimpleRNN: recurrent,
  LSTM: recurrent,
  GRU: recurrent,
  Bidirectional: bidirectional,
  Masking: masking,
};
