import type { AxisAttrs, PadAttrs, ReshapeAttrs, SliceAttrs, TransposeAttrs, UpsampleAttrs } from '../tensor/ops.js';
import { sizeOf, type Attrs, type Body, type Equation, type LayerCall, type TensorId, type TensorInfo, type TensorProgram, type TOp } from '../tensor/program.js';

/**
 * Layout assignment on the tensor program: every value is stored in one chosen axis order, so a
 * channels-first model (ONNX's NCHW, Keras's channels_first) runs channels-last from its first
 * convolution to its head. The extractors write each channels-first convolution and pool as
 * transpose → channels-last op → transpose back; here a transpose becomes a relabelling of its
 * input's axes instead of an equation, and the relabelled value flows on through the ops that do
 * not care about axis order:
 *
 * - element-wise maps (operands brought to the same order; a constant operand, a per-channel scale
 *   or bias of shape [C, 1, 1], is stored permuted, [C]),
 * - concat, pad, slice, upsample, reverse (their axis attributes follow the axes),
 * - reshapes that split or merge axes lying next to each other in the stored order, in the same
 *   order (dropping or adding length-1 axes, NCHW's [C·H·W] after a pool to [1, 1]; [1, C, H, W]
 *   to [C, H·W] when the stored order is H, W, C gives [H·W, C]).
 *
 * Every other op (convolutions, pools, Dense, reductions, bodies) reads its arguments in the
 * model's own order: a value stored otherwise is transposed there, once, and that copy is shared.
 * A transpose followed by the inverse transpose is then nothing at all. Program outputs and the
 * values a body reads from outside keep the model's order. The result computes the same numbers
 * (only the order of elements in memory changes). One pass in program order, no recursion.
 */
export function layoutProgram(p: TensorProgram): TensorProgram {
  if (!p.equations.some((eq) => eq.op === 'transpose' && fixed(p.tensors[eq.args[0]].shape))) return p;
  const tensors: TensorInfo[] = [...p.tensors];
  /** The model's shape of every tensor (tensors[] holds the stored shape once a value is laid out). */
  const shapeOf = (t: TensorId) => p.tensors[t].shape;
  /** How tensor t is held: tensor `id` holds transpose(t, perm). */
  const rep = new Map<TensorId, { id: TensorId; perm: readonly number[] }>();
  const at = (t: TensorId) => rep.get(t) ?? { id: t, perm: identity(shapeOf(t).length) };
  const cache = new Map<string, TensorId>();
  const out: Equation[] = [];

  // Values that must keep the model's order under their own id: program outputs, and any tensor a
  // body reads from outside (bodies are printed as they are).
  const pinned = new Set<TensorId>(p.outputs.map((o) => o.tensor.id));
  const bodies: Body[] = p.equations.flatMap((eq) => (eq.body ? [eq.body] : []));
  while (bodies.length > 0) {
    const b = bodies.pop()!;
    const inside = new Set<TensorId>(b.inputs);
    for (const eq of b.equations) {
      for (const a of eq.args) if (!inside.has(a)) pinned.add(a);
      eq.outs.forEach((o) => inside.add(o));
      if (eq.body) bodies.push(eq.body);
    }
    for (const o of b.outputs) if (!inside.has(o)) pinned.add(o);
  }

  /** A new tensor like `like` (its dtype, layer and role) of `shape`: a value, or a constant holding `values`. */
  const fresh = (like: TensorId, shape: readonly number[], values?: ArrayLike<number>): TensorId => {
    const { values: _v, index: _i, ...info } = tensors[like];
    tensors.push(values ? { ...info, shape, kind: 'const', values } : { ...info, shape, kind: 'value', role: '_' });
    return tensors.length - 1;
  };
  const emit = (op: TOp, args: readonly TensorId[], attrs: Attrs, outs: readonly TensorId[]) => out.push({ op, args, outs, attrs });
  /**
   * Tensor `id` (shape `from`) with its axes permuted by q, into `into` or a new tensor of t's
   * kind: a reshape when only length-1 axes move, a constant's values permuted, else a transpose.
   */
  const move = (t: TensorId, id: TensorId, from: readonly number[], q: readonly number[], into?: TensorId): TensorId => {
    const shape = q.map((a) => from[a]);
    const konst = tensors[id].kind === 'const' ? tensors[id].values : undefined;
    if (into === undefined && sameShape(shape, from) && onlyUnitsMove(from, q)) return id;
    if (into === undefined && konst) return fresh(id, shape, onlyUnitsMove(from, q) ? konst : permuteValues(konst, from, q));
    const y = into ?? fresh(t, shape);
    tensors[y] = { ...tensors[y], shape };
    if (onlyUnitsMove(from, q)) emit('reshape', [id], { shape }, [y]);
    else emit('transpose', [id], { perm: [...q] }, [y]);
    return y;
  };
  /** Tensor t stored as transpose(t, perm): the id holding it (made once). */
  const holding = (t: TensorId, perm: readonly number[], into?: TensorId): TensorId => {
    const r = at(t);
    if (into === undefined && same(r.perm, perm)) return r.id;
    // transpose(t, perm) = transpose(held, q) with q[i] = position of t's axis perm[i] in held.
    const q = perm.map((a) => r.perm.indexOf(a));
    const key = `${r.id}:${q.join(',')}`;
    const done = cache.get(key);
    if (into === undefined && done !== undefined) return done;
    const y = move(t, r.id, tensors[r.id].shape, q, into);
    cache.set(key, y);
    return y;
  };
  /** Output `o` of an equation, stored as transpose(o, perm): its table entry takes the stored shape. */
  const store = (o: TensorId, perm: readonly number[]) => {
    tensors[o] = { ...tensors[o], shape: perm.map((a) => shapeOf(o)[a]) };
    if (!isIdentity(perm)) rep.set(o, { id: o, perm });
  };
  /** The model's own order for every argument, the equation as it was. */
  const plain = (eq: Equation) => {
    const args = eq.args.map((a) => holding(a, identity(shapeOf(a).length)));
    emit(eq.op, args, eq.attrs, eq.outs);
    if (eq.body) out[out.length - 1] = { ...out[out.length - 1], body: eq.body };
  };

  /** Operand t of an element-wise op of rank R stored in `perm`: aligned at the right, then permuted; with `strip`, leading 1s dropped (a [C, 1, 1] bias becomes [C]). */
  const operand = (t: TensorId, R: number, perm: readonly number[], strip: boolean): TensorId => {
    const s = shapeOf(t);
    if (s.length === R && !(strip && tensors[at(t).id].kind === 'const')) return holding(t, perm);
    const padded = [...new Array<number>(R - s.length).fill(1), ...s];
    let stored = perm.map((a) => padded[a]);
    while (strip && stored.length > 1 && stored[0] === 1) stored = stored.slice(1);
    const base = holding(t, identity(s.length));
    if (sameShape(stored, s)) return base;
    const key = `${base}:op:${strip}:${perm.join(',')}`;
    const done = cache.get(key);
    if (done !== undefined) return done;
    let y: TensorId;
    const konst = tensors[base].kind === 'const' ? tensors[base].values : undefined;
    if (onlyUnitsMove(padded, perm)) {
      y = konst ? fresh(base, stored, konst) : fresh(t, stored);
      if (!konst) emit('reshape', [base], { shape: stored }, [y]);
    } else if (konst) {
      y = fresh(base, stored, permuteValues(konst, padded, perm));
    } else {
      const up = fresh(t, padded);
      emit('reshape', [base], { shape: padded }, [up]);
      const full = perm.map((a) => padded[a]);
      y = fresh(t, full);
      emit('transpose', [up], { perm: [...perm] }, [y]);
    }
    cache.set(key, y);
    return y;
  };

  /** The top-level equations that read each tensor. */
  const readers = new Map<TensorId, Equation[]>();
  for (const eq of p.equations) {
    for (const a of new Set(eq.args)) {
      const list = readers.get(a);
      if (list) list.push(eq);
      else readers.set(a, [eq]);
    }
  }
  /** Whether equation c, reading t held as transpose(t, perm), works on the held order (else it transposes t back). */
  const passesOn = (c: Equation, t: TensorId, perm: readonly number[]): boolean => {
    if (c.outs.length !== 1 || c.body || ![...c.args, ...c.outs].every((a) => fixed(shapeOf(a)))) return false;
    if (c.op === 'reshape') return reshapedOrder(shapeOf(t), perm, shapeOf(c.outs[0])) !== null;
    return ['transpose', 'map', 'concat', 'pad', 'slice', 'upsample', 'reverse'].includes(c.op);
  };

  const starts = new Int32Array(p.equations.length + 1);
  p.equations.forEach((eq, i) => {
    starts[i] = out.length;
    const o = eq.outs[0];
    const free = eq.outs.length === 1 && !eq.body && [...eq.args, o].every((t) => fixed(shapeOf(t)));
    if (!free) return plain(eq);
    relayout(eq);
    if (!pinned.has(o)) return;
    // An output, or a value a body reads: computed in the chosen order, then written out in the model's.
    const r = at(o);
    if (r.id === o && isIdentity(r.perm)) return;
    if (r.id === o) {
      const f = tensors.length;
      tensors.push(tensors[o]);
      out[out.length - 1] = { ...out[out.length - 1], outs: [f] };
      tensors[o] = p.tensors[o];
      rep.set(o, { id: f, perm: r.perm });
    }
    holding(o, identity(shapeOf(o).length), o);
  });
  /** Equation eq, one output, fixed shapes: its output stored in the order that suits its arguments. */
  function relayout(eq: Equation): void {
    const o = eq.outs[0];
    const x = eq.args[0];
    const r = at(x);
    switch (eq.op) {
      case 'transpose': {
        // y = transpose(x, perm): held = transpose(x, r.perm) = transpose(y, inverse(perm)[r.perm]).
        const inv = inverse((eq.attrs as unknown as TransposeAttrs).perm);
        const held = r.perm.map((a) => inv[a]);
        rep.set(o, { id: r.id, perm: held });
        // Where every reader wants the model's order anyway, the transpose stays where it was.
        if (!(readers.get(o) ?? []).some((c) => passesOn(c, o, held))) {
          holding(o, identity(shapeOf(o).length), o);
          rep.delete(o);
        }
        return;
      }
      case 'reshape': {
        const perm = reshapedOrder(shapeOf(x), r.perm, shapeOf(o));
        if (!perm) return plain(eq);
        const shape = perm.map((a) => shapeOf(o)[a]);
        if (sameShape(shape, tensors[r.id].shape)) {
          rep.set(o, { id: r.id, perm });
          return;
        }
        emit('reshape', [r.id], { shape } satisfies ReshapeAttrs, [o]);
        return store(o, perm);
      }
      case 'map': {
        const R = shapeOf(o).length;
        // The order of the largest full-rank operand; the others are brought to it.
        let best = -1;
        let perm: readonly number[] = identity(R);
        for (const a of eq.args) {
          if (shapeOf(a).length !== R) continue;
          const n = sizeOf(shapeOf(a));
          if (n > best) [best, perm] = [n, at(a).perm];
        }
        // Leading 1s may go where a computed operand keeps the result's rank.
        const strip = eq.args.some((a) => shapeOf(a).length === R && tensors[at(a).id].kind !== 'const');
        emit('map', eq.args.map((a) => operand(a, R, perm, strip)), eq.attrs, [o]);
        return store(o, perm);
      }
      case 'concat': {
        let best = -1;
        let perm = r.perm;
        for (const a of eq.args) {
          const n = sizeOf(shapeOf(a));
          if (n > best) [best, perm] = [n, at(a).perm];
        }
        const axis = perm.indexOf((eq.attrs as unknown as AxisAttrs).axis);
        emit('concat', eq.args.map((a) => holding(a, perm)), { ...eq.attrs, axis }, [o]);
        return store(o, perm);
      }
      case 'pad': {
        const a = eq.attrs as unknown as PadAttrs;
        emit('pad', [r.id], { ...eq.attrs, before: r.perm.map((k) => a.before[k]), after: r.perm.map((k) => a.after[k]) }, [o]);
        return store(o, r.perm);
      }
      case 'slice': {
        const a = eq.attrs as unknown as SliceAttrs;
        emit('slice', [r.id], { ...eq.attrs, begin: r.perm.map((k) => a.begin[k]), end: r.perm.map((k) => a.end[k]) }, [o]);
        return store(o, r.perm);
      }
      case 'upsample': {
        const a = eq.attrs as unknown as UpsampleAttrs;
        emit('upsample', [r.id], { ...eq.attrs, factors: r.perm.map((k) => a.factors[k]) }, [o]);
        return store(o, r.perm);
      }
      case 'reverse': {
        emit('reverse', [r.id], { ...eq.attrs, axis: r.perm.indexOf((eq.attrs as unknown as AxisAttrs).axis) }, [o]);
        return store(o, r.perm);
      }
      default:
        return plain(eq);
    }
  }
  starts[p.equations.length] = out.length;
  const produced = new Map<TensorId, number>();
  out.forEach((eq, i) => eq.outs.forEach((o) => produced.set(o, i)));
  const calls: LayerCall[] = p.calls.map((c) => {
    const from = starts[c.from];
    const to = c.to === p.equations.length ? out.length : starts[c.to];
    const ids = [...new Set(c.outputs.map((t) => (pinned.has(t.id) ? t.id : at(t.id).id)))].filter((id) => {
      const k = produced.get(id);
      return k !== undefined && k >= from && k < to;
    });
    return { ...c, from, to, outputs: ids.map((id) => ({ id, shape: tensors[id].shape })) };
  });
  return compactTensors({ ...p, tensors, equations: out, calls });
}

/**
 * The program with only the tensors it reads or writes, numbered in the order they first appear
 * (inputs, then each equation's arguments, its body, its outputs), as a builder numbers them:
 * printers declare values in that order.
 */
function compactTensors(p: TensorProgram): TensorProgram {
  const id = new Int32Array(p.tensors.length).fill(-1);
  const tensors: TensorInfo[] = [];
  const see = (t: TensorId) => {
    if (id[t] >= 0) return;
    id[t] = tensors.length;
    tensors.push(p.tensors[t]);
  };
  p.inputs.forEach((port) => see(port.tensor.id));
  // Depth first through bodies without recursion: a stack of (equations, next index, body).
  const stack: { eqs: readonly Equation[]; next: number; body?: Body }[] = [{ eqs: p.equations, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next >= top.eqs.length) {
      stack.pop();
      if (top.body) top.body.outputs.forEach(see);
      const owner = stack[stack.length - 1];
      if (owner) owner.eqs[owner.next++].outs.forEach(see);
      continue;
    }
    const eq = top.eqs[top.next];
    eq.args.forEach(see);
    if (eq.body) {
      eq.body.inputs.forEach(see);
      stack.push({ eqs: eq.body.equations, next: 0, body: eq.body });
      continue;
    }
    eq.outs.forEach(see);
    top.next++;
  }
  p.outputs.forEach((port) => see(port.tensor.id));
  const ids = (list: readonly TensorId[]) => list.map((t) => id[t]);
  // Bodies renumbered innermost first, without recursion: each body's equations are rewritten once
  // every body inside them is.
  const order: Body[] = [];
  const pending: Body[] = p.equations.flatMap((eq) => (eq.body ? [eq.body] : []));
  while (pending.length > 0) {
    const b = pending.pop()!;
    order.push(b);
    for (const eq of b.equations) if (eq.body) pending.push(eq.body);
  }
  const renamed = new Map<Body, Body>();
  const equation = (eq: Equation): Equation => ({ ...eq, args: ids(eq.args), outs: ids(eq.outs), ...(eq.body ? { body: renamed.get(eq.body)! } : {}) });
  for (let k = order.length - 1; k >= 0; k--) {
    const b = order[k];
    renamed.set(b, { inputs: ids(b.inputs), equations: b.equations.map(equation), outputs: ids(b.outputs) });
  }
  const port = <P extends { tensor: { id: TensorId; shape: readonly number[] } }>(q: P): P => ({ ...q, tensor: { ...q.tensor, id: id[q.tensor.id] } });
  return {
    ...p,
    tensors,
    equations: p.equations.map(equation),
    inputs: p.inputs.map(port),
    outputs: p.outputs.map(port),
    calls: p.calls.map((c) => ({ ...c, outputs: c.outputs.map((t) => ({ ...t, id: id[t.id] })) })),
  };
}

/**
 * The stored order of y = reshape(x) when x is held as transpose(x, perm), so that the held
 * values reshaped give y held as transpose(y, result); null when no order does (the reshape mixes
 * axes that are apart, or out of order, in the held order). Length-1 axes move freely.
 */
export function reshapedOrder(from: readonly number[], perm: readonly number[], to: readonly number[]): number[] | null {
  const a = from.map((_, i) => i).filter((i) => from[i] !== 1);
  const b = to.map((_, i) => i).filter((i) => to[i] !== 1);
  // Groups of consecutive axes of x and y with equal products.
  const groupOfA = new Int32Array(from.length).fill(-1);
  const groupsB: number[][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i >= a.length || j >= b.length) return null;
    const ga = [a[i++]];
    const gb = [b[j++]];
    let pa = from[ga[0]];
    let pb = to[gb[0]];
    while (pa !== pb) {
      if (pa < pb) {
        if (i >= a.length) return null;
        ga.push(a[i]);
        pa *= from[a[i++]];
      } else {
        if (j >= b.length) return null;
        gb.push(b[j]);
        pb *= to[b[j++]];
      }
    }
    for (const k of ga) groupOfA[k] = groupsB.length;
    groupsB.push(gb);
  }
  // In the held order, each group's axes of x must lie together and in order.
  const held = perm.filter((k) => from[k] !== 1);
  const order: number[] = [];
  for (let k = 0; k < held.length; ) {
    const g = groupOfA[held[k]];
    const members = a.filter((m) => groupOfA[m] === g);
    for (const m of members) if (held[k++] !== m) return null;
    order.push(...groupsB[g]);
  }
  // y's length-1 axes: each before the first held axis that follows it in y's own order.
  const units = to.map((_, k) => k).filter((k) => to[k] === 1);
  const result: number[] = [];
  let u = 0;
  for (const k of order) {
    while (u < units.length && units[u] < k) result.push(units[u++]);
    result.push(k);
  }
  while (u < units.length) result.push(units[u++]);
  return result;
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);
const isIdentity = (perm: readonly number[]) => perm.every((p, i) => p === i);
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameShape = same;
const fixed = (shape: readonly number[]) => shape.every((d) => Number.isInteger(d) && d > 0);

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Whether transpose(·, q) of a tensor of `shape` keeps its elements in memory order (only length-1 axes move). */
function onlyUnitsMove(shape: readonly number[], q: readonly number[]): boolean {
  let last = -1;
  for (const a of q) {
    if (shape[a] === 1) continue;
    if (a < last) return false;
    last = a;
  }
  return true;
}

/** Row-major values of transpose(v, perm) for v of `shape`. */
export function permuteValues(v: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float64Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let acc = 1;
  for (let k = rank - 1; k >= 0; k--) {
    strides[k] = acc;
    acc *= shape[k];
  }
  const dims = perm.map((a) => shape[a]);
  const steps = perm.map((a) => strides[a]);
  const outv = new Float64Array(v.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < outv.length; o++) {
    outv[o] = v[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) {
        src += steps[k];
        break;
      }
      src -= steps[k] * (dims[k] - 1);
      idx[k] = 0;
    }
  }
  return outv;
}
