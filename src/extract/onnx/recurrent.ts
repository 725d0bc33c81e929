import { attrFloat, attrInt, attrString, attribute } from '../../load/onnx/attributes.js';
import type { FnName } from '../../tensor/functions.js';
import type { Body, T } from '../../tensor/program.js';
import { tensor, type OnnxExtractor, type Val } from './context.js';

/**
 * LSTM (gates i, o, f, c), GRU (z, r, h; linear_before_reset) and RNN as `scan` ops, one per
 * direction and batch sample, with cell bodies of dense and element-wise ops like the Keras
 * ones (src/extract/recurrent.ts). Directions forward / reverse / bidirectional, layouts 0 and 1,
 * initial states; sequence_lens only when constant and equal to the full length.
 */

type Kind = 'LSTM' | 'GRU' | 'RNN';
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const NAMES: Record<Kind, string[]> = { LSTM: ['i', 'o', 'f', 'c'], GRU: ['z', 'r', 'h'], RNN: [''] };
const DEFAULT_ACTS: Record<Kind, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
const ACTS: Record<string, FnName> = { Sigmoid: 'sigmoid', Tanh: 'tanh', Relu: 'relu', Softsign: 'softsign', Softplus: 'softplus' };

function recurrent(kind: Kind): OnnxExtractor {
  return (ctx) => {
    const node = ctx.node;
    const H = attrInt(node, 'hidden_size', 0);
    const direction = attrString(node, 'direction', 'forward');
    const dirs = direction === 'bidirectional' ? 2 : 1;
    if (!['forward', 'reverse', 'bidirectional'].includes(direction)) return ctx.fail(`direction '${direction}' is not forward, reverse or bidirectional`);
    if (attrFloat(node, 'clip', NaN) === attrFloat(node, 'clip', NaN)) return ctx.fail('clip is set; nn2eq does not clip cell inputs');
    if (kind === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0) return ctx.fail('input_forget=1 (coupled input and forget gates) is not supported');
    const layout = attrInt(node, 'layout', 0);
    const acts = (attribute(node, 'activations', 'strings', undefined) ?? [...DEFAULT_ACTS[kind], ...(dirs === 2 ? DEFAULT_ACTS[kind] : [])]).map((a) => ACTS[a] ?? ctx.fail(`activation '${a}' is not one of ${Object.keys(ACTS).join(', ')}`));
    if (attribute(node, 'activation_alpha', 'floats', undefined) || attribute(node, 'activation_beta', 'floats', undefined)) return ctx.fail('activation_alpha / activation_beta are not supported');
    const G = GATES[kind];
    const x = ctx.tensor(0);
    if (x.shape.length !== 3) return ctx.fail(`expects input of rank 3, found [${x.shape.join(', ')}]`);
    const [T, N, I] = layout === 0 ? x.shape : [x.shape[1], x.shape[0], x.shape[2]];
    const wd = ctx.shape(1);
    const hidden = H || wd[1] / G;
    if (wd[0] !== dirs || wd[1] !== G * hidden || wd[2] !== I) return ctx.fail(`W has shape [${wd.join(', ')}], expected [${dirs}, ${G * hidden}, ${I}]`);
    // Weights given at run time (graph inputs): products are `dot`s with slices of them.
    const computed = [1, 2, 3].some((i) => ctx.has(i) && ctx.val(i).kind === 'tensor');
    const W = computed ? null : ctx.constant(1, 'input weights W');
    const R = computed ? null : ctx.constant(2, 'recurrent weights R');
    const B = !computed && ctx.has(3) ? ctx.constant(3, 'biases B').values : null;
    if (ctx.has(4)) {
      const lens = ctx.constant(4, 'sequence_lens').values;
      if (Array.from(lens).some((l) => l !== T)) return ctx.fail('sequence_lens shortens some sequences; nn2eq runs every sequence over all time steps', 'pad the sequences or drop sequence_lens');
    }
    const initial = (i: number): Val | null => (ctx.has(i) ? ctx.val(i) : null);
    const h0 = initial(5);
    const c0 = kind === 'LSTM' ? initial(6) : null;
    const lbr = kind === 'GRU' && attrInt(node, 'linear_before_reset', 0) === 1;
    const wantY = node.outputs[0] !== undefined && node.outputs[0] !== '';

    /** Rows [k·H, (k+1)·H) of a [D, G·H, F] weight, transposed to a [F, H] constant. */
    const gateWeight = (M: Float64Array, d: number, k: number, F: number, role: string): T => {
      const out = new Float64Array(F * hidden);
      const base = d * G * hidden * F;
      for (let j = 0; j < hidden; j++) for (let f = 0; f < F; f++) out[f * hidden + j] = M[base + (k * hidden + j) * F + f];
      return ctx.const(role, [F, hidden], out);
    };
    const biasOf = (d: number, k: number, which: 'w' | 'r' | 'both'): Float64Array | null => {
      if (!B) return null;
      const out = new Float64Array(hidden);
      const base = d * 2 * G * hidden;
      for (let j = 0; j < hidden; j++) {
        const wb = B[base + k * hidden + j];
        const rb = B[base + (G + k) * hidden + j];
        out[j] = which === 'w' ? wb : which === 'r' ? rb : wb + rb;
      }
      return out;
    };

    /** Per direction, the run-time weights' gate blocks W_k [H, I], R_k [H, H] and bias halves [H], sliced before the scans. */
    const runtime = Array.from({ length: computed ? dirs : 0 }, (_, d) => {
      const block = (i: number, k: number, F: number, role: string) => {
        const t = ctx.tensor(i, role);
        return ctx.reshape(ctx.op('slice', [t], { begin: [d, k * hidden, 0], end: [d + 1, (k + 1) * hidden, F] }, '_')[0], [hidden, F], role);
      };
      const half = (k: number, role: string) => {
        if (!ctx.has(3)) return null;
        const t = ctx.tensor(3, 'B');
        return ctx.reshape(ctx.op('slice', [t], { begin: [d, k * hidden], end: [d + 1, (k + 1) * hidden] }, '_')[0], [hidden], role);
      };
      const ks = [...Array(G).keys()];
      return { Ws: ks.map((k) => block(1, k, I, 'W')), Rs: ks.map((k) => block(2, k, hidden, 'R')), wb: ks.map((k) => half(k, 'b')), rb: ks.map((k) => half(G + k, 'c')) };
    });

    /** Peephole weights p_i, p_o, p_f of direction d ([H] each, from P [D, 3H]), or null without P. */
    const peepholes = (d: number): T[] | null => {
      if (kind !== 'LSTM' || !ctx.has(7)) return null;
      const P = ctx.val(7);
      return [0, 1, 2].map((k) => {
        const role = `p${NAMES.LSTM[k]}`;
        if (P.kind === 'const') return ctx.const(role, [hidden], P.values.subarray((d * 3 + k) * hidden, (d * 3 + k + 1) * hidden));
        return ctx.reshape(ctx.op('slice', [P.t], { begin: [d, k * hidden], end: [d + 1, (k + 1) * hidden] }, '_')[0], [hidden], role);
      });
    };

    const cell = (d: number): Body => {
      const [f, g, h] = acts.slice(d * (kind === 'LSTM' ? 3 : kind === 'GRU' ? 2 : 1));
      const names = NAMES[kind];
      const dense = (args: T[], bias: Float64Array | null, role: string) => {
        if (bias) args.push(ctx.const(role, [hidden], bias));
        return ctx.op('dense', args, { pairs: args.length >> 1, bias: bias !== null }, '_')[0];
      };
      let gate: (xt: T, hp: T, k: number) => T;
      let xOnly: (xt: T, k: number) => T;
      let hOnly: (hp: T, k: number) => T;
      if (!computed) {
        const Wk = (k: number) => gateWeight(W!.values, d, k, I, `W${names[k]}`);
        const Rk = (k: number) => gateWeight(R!.values, d, k, hidden, `R${names[k]}`);
        gate = (xt, hp, k) => dense([xt, Wk(k), hp, Rk(k)], biasOf(d, k, 'both'), `b${names[k]}`);
        xOnly = (xt, k) => dense([xt, Wk(k)], biasOf(d, k, 'w'), `b${names[k]}`);
        hOnly = (hp, k) => dense([hp, Rk(k)], biasOf(d, k, 'r'), `c${names[k]}`);
      } else {
        const { Ws, Rs, wb, rb } = runtime[d];
        const mv = (v: T, M: T) => ctx.op('dot', [v, M], { axes: [v.shape.length - 1, 1], normalize: false }, '_')[0];
        const sum = (ts: (T | null)[]) => ctx.map('add', ts.filter((t): t is T => t !== null), [], '_');
        gate = (xt, hp, k) => sum([mv(xt, Ws[k]), mv(hp, Rs[k]), wb[k], rb[k]]);
        xOnly = (xt, k) => (wb[k] ? sum([mv(xt, Ws[k]), wb[k]]) : mv(xt, Ws[k]));
        hOnly = (hp, k) => (rb[k] ? sum([mv(hp, Rs[k]), rb[k]]) : mv(hp, Rs[k]));
      }
      // All N samples step together: x_t is [N·I], states [N·H], viewed as [N, I] and [N, H] inside.
      const xIn = { shape: [N * I], role: 'x' };
      const st = (role: string) => ({ shape: [N * hidden], role });
      const rows = (t: T, F: number) => (N === 1 ? t : ctx.reshape(t, [N, F]));
      const flat = (t: T, role: string) => (N === 1 ? t : ctx.reshape(t, [N * hidden], role));
      if (kind === 'LSTM') {
        return ctx.body([xIn, st('h'), st('c')], ([x0, h0_, c0_]) => {
          const [xt, hp, cp] = [rows(x0, I), rows(h0_, hidden), rows(c0_, hidden)];
          // Peepholes: i and f also see the previous cell state, o the new one (p ⊙ c added before the activation).
          const P = peepholes(d);
          const peep = (z: T, k: number, c: T) => (P ? ctx.map('add', [z, ctx.map('mul', [P[k], c], [], '_')], [], '_') : z);
          const i = ctx.map(f, [peep(gate(xt, hp, 0), 0, cp)], [], 'i');
          let o = P ? null : ctx.map(f, [gate(xt, hp, 1)], [], 'o');
          const fg = ctx.map(f, [peep(gate(xt, hp, 2), 2, cp)], [], 'f');
          const cc = ctx.map(g, [gate(xt, hp, 3)], [], 'g');
          const cNew = ctx.map('mul_add_mul', [fg, cp, i, cc], [], 'c');
          o ??= ctx.map(f, [peep(gate(xt, hp, 1), 1, cNew)], [], 'o');
          const hNew = ctx.map('mul', [o, ctx.map(h, [cNew], [], '_')], [], 'h');
          return [flat(hNew, 'h'), flat(cNew, 'c')];
        });
      }
      if (kind === 'GRU') {
        return ctx.body([xIn, st('h')], ([x0, h0_]) => {
          const [xt, hp] = [rows(x0, I), rows(h0_, hidden)];
          const z = ctx.map(f, [gate(xt, hp, 0)], [], 'z');
          const r = ctx.map(f, [gate(xt, hp, 1)], [], 'r');
          let hh: T;
          if (lbr) {
            const xh = xOnly(xt, 2);
            const rh = hOnly(hp, 2);
            hh = ctx.map(g, [ctx.map('add_mul', [xh, r, rh], [], '_')], [], 'hh');
          } else {
            hh = ctx.map(g, [gate(xt, ctx.map('mul', [r, hp], [], '_'), 2)], [], 'hh');
          }
          return [flat(ctx.map('gru_update', [z, hp, hh], [], 'h'), 'h')];
        });
      }
      return ctx.body([xIn, st('h')], ([x0, h0_]) => [flat(ctx.map(f, [gate(rows(x0, I), rows(h0_, hidden), 0)], [], 'h'), 'h')]);
    };

    /** The [N·H] block of an initial state [D, N, H] for direction d. */
    const stateOf = (v: Val | null, d: number): T | null => {
      if (!v) return null;
      if (v.kind === 'const') return ctx.const('s', [N * hidden], v.values.subarray(d * N * hidden, (d + 1) * N * hidden));
      const s = ctx.op('slice', [v.t], { begin: [d, 0, 0], end: [d + 1, N, hidden] }, '_')[0];
      return ctx.reshape(s, [N * hidden]);
    };

    const xs = ctx.reshape(layout === 0 ? x : ctx.transpose(x, [1, 0, 2]), [T, N * I]);
    const seqs: T[] = []; // per direction: [T, 1, N, H]
    const hs: T[] = []; // [1, N, H]
    const cs: T[] = [];
    for (let d = 0; d < dirs; d++) {
      const body = cell(d);
      const reverse = direction === 'reverse' || d === 1;
      const init = [stateOf(h0, d), stateOf(c0, d)].filter((v): v is T => v !== null);
      if (init.length > 0 && init.length !== (kind === 'LSTM' ? 2 : 1)) return ctx.fail('gives initial_h without initial_c (or the reverse); give both or neither');
      const symbols = (d === 0 ? ['h', 'c'] : ['hb', 'cb']).slice(0, kind === 'LSTM' ? 2 : 1);
      const outs = ctx.op('scan', [xs, ...init], { reverse, returnSequences: wantY, symbols, units: N * hidden }, ['_', ...symbols], body);
      // A reverse scan yields its sequence in processing order; ONNX indexes Y by input time.
      if (wantY) seqs.push(ctx.reshape(reverse ? ctx.op('reverse', [outs[0]], { axis: 0 }, '_')[0] : outs[0], [T, 1, N, hidden]));
      hs.push(ctx.reshape(outs[1], [1, N, hidden]));
      if (kind === 'LSTM') cs.push(ctx.reshape(outs[2], [1, N, hidden]));
    }
    const join = (parts: T[], axis: number, role = '_'): T => (parts.length === 1 ? parts[0] : ctx.op('concat', parts, { axis }, role)[0]);
    const results: Val[] = [];
    if (wantY) {
      const y = join(seqs, 1); // [T, D, N, H]
      results.push(tensor(layout === 0 ? ctx.reshape(y, [T, dirs, N, hidden], 'h') : ctx.transpose(y, [2, 0, 1, 3], 'h')));
    } else results.push(tensor(hs[0]));
    for (const states of kind === 'LSTM' ? [hs, cs] : [hs]) {
      const st = join(states, 0); // [D, N, H]
      results.push(tensor(layout === 0 ? ctx.reshape(st, [dirs, N, hidden], 'h') : ctx.transpose(st, [1, 0, 2], 'h')));
    }
    return results;
  };
}

/** ONNX op type → extractor for recurrent layers. */
export const recurrentOps: Record<string, OnnxExtractor> = {
  LSTM: recurrent('LSTM'),
  GRU: recurrent('GRU'),
  RNN: recurrent('RNN'),
};

