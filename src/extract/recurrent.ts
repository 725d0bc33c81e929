import type { LayerSpec } from '../load/spec.js';
import type { Body } from '../tensor/program.js';
import { applyActivation } from './activations.js';
import { wrappedLayer } from './tensor.js';
import type { Extractor, LayerContext, T } from './types.js';

/**
 * Recurrent layers as one `scan` op over the time axis: SimpleRNN, LSTM, GRU (reset_after false
 * and true), and Bidirectional around any of them. The cell is a body of ordinary ops (dense,
 * element-wise) run once per step; initial states may be inputs of the layer.
 */

interface Cell {
  readonly body: Body;
  readonly units: number;
  readonly stateCount: number;
}

function act(ctx: LayerContext, name: unknown, t: T, role: string): T {
  return applyActivation(ctx, typeof name === 'string' ? name : 'linear', t, role);
}

/** Columns [from, from + count) of a row-major [rows, cols] weight, as a constant tensor. */
function columns(ctx: LayerContext, values: ArrayLike<number>, rows: number, cols: number, from: number, count: number, role: string): T {
  const out = new Float32Array(rows * count);
  for (let i = 0; i < rows; i++) for (let j = 0; j < count; j++) out[i * count + j] = values[i * cols + from + j];
  return ctx.constant(role, [rows, count], out);
}

function cellFor(ctx: LayerContext, spec: LayerSpec, inputDim: number, prefix: string): Cell {
  const c = spec.config;
  const units = Number(c.units);
  if (!Number.isInteger(units) || units <= 0) ctx.fail(`'units' is ${JSON.stringify(c.units)}, expected a positive integer`);
  // A wrapped cell's weights live in the wrapper's map, under 'forward/' or 'backward/'.
  const weight = (name: string, shape?: number[]) => ctx.weight(prefix + name, shape);
  const useBias = c.use_bias !== false;
  const actName = c.activation ?? 'tanh';
  const recName = c.recurrent_activation ?? (spec.className === 'GRU' || spec.className === 'LSTM' ? 'sigmoid' : 'linear');
  const gateCount = spec.className === 'LSTM' ? 4 : spec.className === 'GRU' ? 3 : spec.className === 'SimpleRNN' ? 1 : 0;
  if (gateCount === 0) return ctx.fail(`wraps a ${spec.className} layer; Bidirectional takes SimpleRNN, LSTM or GRU`);
  const W = weight('kernel', [inputDim, gateCount * units]).values;
  const U = weight('recurrent_kernel', [units, gateCount * units]).values;
  const names = spec.className === 'LSTM' ? ['i', 'f', 'g', 'o'] : spec.className === 'GRU' ? ['z', 'r', 'h'] : [''];
  const Wk = (k: number) => columns(ctx, W, inputDim, gateCount * units, k * units, units, `W${names[k]}`);
  const Uk = (k: number) => columns(ctx, U, units, gateCount * units, k * units, units, `U${names[k]}`);
  const biasSlice = (values: ArrayLike<number>, from: number, role: string) => ctx.constant(role, [units], Array.from({ length: units }, (_, j) => values[from + j]));
  /** x·W_k + h·U_k + b_k (h omitted when null). */
  const gate = (x: T, h: T | null, k: number, b: ArrayLike<number> | null, bRole = `b${names[k]}`): T => {
    const args = h ? [x, Wk(k), h, Uk(k)] : [x, Wk(k)];
    if (b) args.push(biasSlice(b, k * units, bRole));
    return ctx.op('dense', args, { pairs: h ? 2 : 1, bias: b !== null }, '_')[0];
  };
  const x = { shape: [inputDim], role: 'x' };
  const state = (role: string) => ({ shape: [units], role });

  if (spec.className === 'SimpleRNN') {
    const b = useBias ? weight('bias', [units]).values : null;
    const body = ctx.body([x, state('h')], ([xt, h]) => [act(ctx, actName, gate(xt, h, 0, b), 'h')]);
    return { body, units, stateCount: 1 };
  }
  if (spec.className === 'LSTM') {
    const b = useBias ? weight('bias', [4 * units]).values : null;
    const body = ctx.body([x, state('h'), state('c')], ([xt, h, cPrev]) => {
      const i = act(ctx, recName, gate(xt, h, 0, b), 'i');
      const f = act(ctx, recName, gate(xt, h, 1, b), 'f');
      const g = act(ctx, actName, gate(xt, h, 2, b), 'g');
      const o = act(ctx, recName, gate(xt, h, 3, b), 'o');
      const cNew = ctx.map('mul_add_mul', [f, cPrev, i, g], [], 'c');
      const hNew = ctx.map('mul', [o, act(ctx, actName, cNew, '_')], [], 'h');
      return [hNew, cNew];
    });
    return { body, units, stateCount: 2 };
  }
  const bias = useBias ? weight('bias') : null;
  const resetAfter = c.reset_after === true;
  // reset_after keeps separate input and recurrent biases: shape (2, 3·units).
  const want = resetAfter ? 6 * units : 3 * units;
  if (bias && bias.values.length !== want) ctx.fail(`weight '${prefix}bias' has shape [${bias.shape.join(', ')}], expected ${want} values for reset_after=${resetAfter}`, resetAfter ? undefined : 'a (2, 3·units) bias means reset_after=true; the config says otherwise');
  const bIn = bias ? bias.values.subarray(0, 3 * units) : null;
  const bRec = bias && resetAfter ? bias.values.subarray(3 * units) : null;
  const body = ctx.body([x, state('h')], ([xt, h]) => {
    let z: T;
    let r: T;
    let hh: T;
    if (resetAfter) {
      const rec = (k: number) => {
        const args = [h, Uk(k)];
        if (bRec) args.push(biasSlice(bRec, k * units, `c${names[k]}`));
        return ctx.op('dense', args, { pairs: 1, bias: bRec !== null }, '_')[0];
      };
      const xz = gate(xt, null, 0, bIn);
      const xr = gate(xt, null, 1, bIn);
      const xh = gate(xt, null, 2, bIn);
      const [rz, rr, rh] = [rec(0), rec(1), rec(2)];
      z = act(ctx, recName, ctx.map('add', [xz, rz], [], '_'), 'z');
      r = act(ctx, recName, ctx.map('add', [xr, rr], [], '_'), 'r');
      hh = act(ctx, actName, ctx.map('add_mul', [xh, r, rh], [], '_'), 'hh');
    } else {
      z = act(ctx, recName, gate(xt, h, 0, bIn), 'z');
      r = act(ctx, recName, gate(xt, h, 1, bIn), 'r');
      hh = act(ctx, actName, gate(xt, ctx.map('mul', [r, h], [], '_'), 2, bIn), 'hh');
    }
    return [ctx.map('gru_update', [z, h, hh], [], 'h')];
  });
  return { body, units, stateCount: 1 };
}

/** One direction of a recurrent layer: a scan whose outputs are [main, …final states]. */
function runLayer(ctx: LayerContext, spec: LayerSpec, x: T, initial: readonly T[], prefix: string, direction: 'f' | 'b'): { outs: T[]; units: number; stateCount: number } {
  const c = spec.config;
  if (c.time_major === true) ctx.fail('time_major is on; nn2eq reads batch-major inputs only');
  if (x.shape.length !== 2) ctx.fail(`expects input of shape [time steps, features], found [${x.shape.join(', ')}]`);
  const { body, units, stateCount } = cellFor(ctx, spec, x.shape[1], prefix);
  if (initial.length !== 0 && initial.length !== stateCount) ctx.fail(`takes ${initial.length} initial state(s), expected ${stateCount} (${stateCount === 2 ? 'h and c' : 'h'})`);
  for (const s of initial) if (s.shape.length !== 1 || s.shape[0] !== units) ctx.fail(`an initial state has shape [${s.shape.join(', ')}], expected [${units}]`);
  const symbols = direction === 'f' ? ['h', 'c'] : ['hb', 'cb'];
  const attrs = { reverse: c.go_backwards === true, returnSequences: c.return_sequences === true, symbols: symbols.slice(0, stateCount), units };
  const outs = ctx.op('scan', [x, ...initial], attrs, ['h', ...symbols.slice(0, stateCount)], body);
  return { outs, units, stateCount };
}

const recurrent: Extractor = (ctx, [x, ...initial]) => {
  const { outs } = runLayer(ctx, ctx.layer, x, initial, '', 'f');
  return ctx.layer.config.return_state === true ? outs : [outs[0]];
};

/** Forward and backward runs merged by merge_mode (concat, sum, mul, ave; null returns both). */
const bidirectional: Extractor = (ctx, [x, ...initial]) => {
  const forward = wrappedLayer(ctx, 'layer', ctx.layer.weights)!;
  const backward = wrappedLayer(ctx, 'backward_layer', ctx.layer.weights) ?? { ...forward, config: { ...forward.config, go_backwards: !(forward.config.go_backwards === true) } };
  const half = initial.length / 2;
  const f = runLayer(ctx, forward, x, initial.slice(0, half), 'forward/', 'f');
  const b = runLayer(ctx, backward, x, initial.slice(half), 'backward/', 'b');
  const seq = forward.config.return_sequences === true;
  // The backward sequence is re-reversed so both align with the input's time order.
  const fOut = f.outs[0];
  const bOut = seq ? ctx.op('reverse', [b.outs[0]], { axis: 0 }, '_')[0] : b.outs[0];
  const mode = ctx.layer.config.merge_mode === undefined ? 'concat' : ctx.layer.config.merge_mode;
  let merged: T[];
  if (mode === null) merged = [fOut, bOut];
  else if (mode === 'concat') merged = [ctx.op('concat', [fOut, bOut], { axis: fOut.shape.length - 1 })[0]];
  else {
    const fn = ({ sum: 'add', mul: 'mul', ave: 'average' } as const)[String(mode) as 'sum' | 'mul' | 'ave'];
    if (!fn) return ctx.fail(`merge_mode '${String(mode)}' is not one of concat, sum, mul, ave, None`);
    merged = [ctx.map(fn, [fOut, bOut])];
  }
  if (forward.config.return_state !== true) return merged;
  return [...merged, ...f.outs.slice(1), ...b.outs.slice(1)];
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
