import type { Graph, NodeId } from '../ir/graph.js';
import { iadd, idiv, ierf, iexp, ilog, imul, ipow, iscale, isigmoid, isoftplus, isqrt, itanh, iv, type Interval } from './interval.js';
import { mapTemplate } from '../tensor/functions.js';
import type { DenseAttrs, MapAttrs } from '../tensor/ops.js';
import { sizeOf, type Equation, type LayerCall, type TensorId, type TensorInfo, type TensorProgram } from '../tensor/program.js';
import { rebuild } from '../ir/rebuild.js';
import { compact } from './tensor-ports.js';

/** The range of every node over a box of inputs, by interval arithmetic (rounded outward; see interval.ts). */
export function nodeRanges(graph: Graph, box: readonly Interval[]): Interval[] {
  const r: Interval[] = new Array(graph.size);
  for (let id = 0; id < graph.size; id++) {
    const n = graph.nodes[id];
    const a = r[n.args[0]];
    const b = r[n.args[1]];
    switch (n.op) {
      case 'input':
        r[id] = box[n.value];
        break;
      case 'const':
        r[id] = [n.value, n.value];
        break;
      case 'affine': {
        let s: Interval = [n.value, n.value];
        for (let k = 0; k < n.args.length; k++) s = iadd(s, iscale(r[n.args[k]], n.coefs![k]));
        r[id] = s;
        break;
      }
      case 'mul':
        r[id] = n.args[0] === n.args[1] ? ipow(a, 2) : imul(a, b);
        break;
      case 'div':
        r[id] = idiv(a, b);
        break;
      case 'pow':
        r[id] = graph.nodes[n.args[1]].op === 'const' ? ipow(a, graph.nodes[n.args[1]].value) : iv(-Infinity, Infinity);
        break;
      case 'max':
        r[id] = [Math.max(a[0], b[0]), Math.max(a[1], b[1])];
        break;
      case 'min':
        r[id] = [Math.min(a[0], b[0]), Math.min(a[1], b[1])];
        break;
      case 'fmod': {
        // |fmod(a, b)| < |b| and ≤ |a|, with a's sign.
        const m = Math.max(Math.abs(b[0]), Math.abs(b[1]));
        r[id] = a[0] >= 0 ? [0, Math.min(a[1], m)] : a[1] <= 0 ? [Math.max(a[0], -m), 0] : [-m, m];
        break;
      }
      case 'step':
        r[id] = a[0] > 0 ? [1, 1] : a[1] <= 0 ? [0, 0] : [0, 1];
        break;
      case 'gt':
      case 'ge':
      case 'eq':
        r[id] = [0, 1];
        break;
      case 'select': {
        const [x, y] = [r[n.args[1]], r[n.args[2]]];
        r[id] = [Math.min(x[0], y[0]), Math.max(x[1], y[1])];
        break;
      }
      case 'abs':
        r[id] = a[0] >= 0 ? a : a[1] <= 0 ? [-a[1], -a[0]] : [0, Math.max(-a[0], a[1])];
        break;
      case 'lookup': {
        const t = graph.tables[n.table!];
        let lo = Infinity;
        let hi = -Infinity;
        for (let row = 0; row < t.rows; row++) {
          const v = t.values[row * t.cols + n.value];
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        // An id outside the table reads NaN; interval arithmetic cannot exclude it, so it is the whole line.
        r[id] = a[0] >= 0 && a[1] < t.rows ? [lo, hi] : [-Infinity, Infinity];
        break;
      }
      case 'floor':
        r[id] = [Math.floor(a[0]), Math.floor(a[1])];
        break;
      case 'trunc':
        r[id] = [Math.trunc(a[0]), Math.trunc(a[1])];
        break;
      case 'exp':
        r[id] = iexp(a);
        break;
      case 'log':
        r[id] = ilog(a);
        break;
      case 'tanh':
        r[id] = itanh(a);
        break;
      case 'sigmoid':
        r[id] = isigmoid(a);
        break;
      case 'softplus':
        r[id] = isoftplus(a);
        break;
      case 'erf':
        r[id] = ierf(a);
        break;
      case 'sqrt':
        r[id] = isqrt(a);
        break;
      // Bounded without a tighter rule: sin and cos in [−1, 1], the others anywhere.
      case 'sin': case 'cos': case 'tan': case 'asin': case 'acos': case 'atan': case 'sinh': case 'cosh': case 'asinh': case 'acosh': case 'atanh':
        r[id] = n.op === 'sin' || n.op === 'cos' ? iv(-1, 1) : iv(-Infinity, Infinity);
        break;
    }
    if (Number.isNaN(r[id][0]) || Number.isNaN(r[id][1])) r[id] = iv(-Infinity, Infinity);
  }
  return r;
}

/** What restrictToBox did. */
export interface BoxReport {
  /** ReLU-family units (max, min, step, abs) in the part of the graph the outputs use. */
  units: number;
  /** Units constant on the box (a ReLU never active): replaced by the constant, so the next affine drops them. */
  inactive: number;
  /** Units linear on the box (always active): replaced by their argument and folded into the affine nodes using them. */
  linear: number;
}

/**
 * Specializes the graph to inputs in `box`: each max/min whose arguments' ranges do not overlap
 * becomes the larger/smaller argument, a step whose argument keeps its sign becomes 0 or 1, an
 * abs becomes ±its argument. Linear results are folded into the affine nodes that use them.
 * Exact for every input in the box.
 */
export function restrictToBox(graph: Graph, outputs: readonly NodeId[], box: readonly Interval[]): { graph: Graph; outputs: NodeId[]; report: BoxReport } {
  const r = nodeRanges(graph, box);
  const report: BoxReport = { units: 0, inactive: 0, linear: 0 };
  const linearized = new Set<NodeId>();
  const result = rebuild(graph, outputs, (g, node, args) => {
    const [a, b] = node.args;
    let pick: NodeId | undefined;
    switch (node.op) {
      case 'max':
      case 'min': {
        report.units++;
        // a ≥ b everywhere on the box: max is a, min is b (and the other way round).
        const aAbove = r[a][0] >= r[b][1];
        const bAbove = r[b][0] >= r[a][1];
        if (aAbove) pick = args[node.op === 'max' ? 0 : 1];
        else if (bAbove) pick = args[node.op === 'max' ? 1 : 0];
        break;
      }
      case 'step':
        report.units++;
        if (r[a][0] > 0) pick = g.constant(1);
        else if (r[a][1] <= 0) pick = g.constant(0);
        break;
      case 'abs':
        report.units++;
        if (r[a][0] >= 0) pick = args[0];
        else if (r[a][1] <= 0) pick = g.neg(args[0]);
        break;
      case 'affine': {
        if (!args.some((x) => linearized.has(x))) return undefined;
        const terms: NodeId[] = [];
        const coefs: number[] = [];
        let bias = node.value;
        args.forEach((x, k) => {
          const c = node.coefs![k];
          const inner = g.nodes[x];
          if (linearized.has(x) && inner.op === 'affine') {
            inner.args.forEach((y, j) => {
              terms.push(y);
              coefs.push(c * inner.coefs![j]);
            });
            bias += c * inner.value;
          } else {
            terms.push(x);
            coefs.push(c);
          }
        });
        return g.affine(terms, coefs, bias);
      }
      default:
        return undefined;
    }
    if (pick === undefined) return undefined;
    if (g.constValue(pick) !== undefined) report.inactive++;
    else {
      report.linear++;
      linearized.add(pick);
    }
    return pick;
  });
  return { ...result, report };
}

/** How a ReLU-family function behaves on an interval of its argument: s·z + t there, or null when it still switches. */
function onInterval(fn: string, params: readonly number[], [lo, hi]: Interval): { s: number; t: number } | null {
  switch (fn) {
    case 'relu':
      return hi <= 0 ? { s: 0, t: 0 } : lo >= 0 ? { s: 1, t: 0 } : null;
    case 'relu6':
      return hi <= 0 ? { s: 0, t: 0 } : lo >= 6 ? { s: 0, t: 6 } : lo >= 0 && hi <= 6 ? { s: 1, t: 0 } : null;
    case 'leaky_relu':
      return lo >= 0 ? { s: 1, t: 0 } : hi <= 0 ? { s: params[0], t: 0 } : null;
    default:
      return null;
  }
}

/** What --input-range did to a tensor program. */
export interface ProgramBoxReport extends BoxReport {
  /** Units of ReLU-family equations outside the Dense → ReLU → Dense pattern, left as they are. */
  untouched: number;
}

/**
 * --input-range on the tensor program, for the pattern it can write as arrays: a Dense (vector in,
 * with bias) → ReLU / ReLU6 / LeakyReLU → Dense (or several). Units whose pre-activation range over
 * the box (interval arithmetic on the scalar IR) keeps them constant leave both matrices; units that
 * stay linear leave them too, and their path folds into one more matrix from the first Dense's
 * input straight into the next Dense (x·s·W₁[:, L]·W₂[L, :]). Exact on the box.
 */
export function restrictProgram(p: TensorProgram, box: readonly Interval[], ex: { graph: Graph; values?: readonly ({ ids: readonly NodeId[] } | undefined)[] }): { program: TensorProgram; report: ProgramBoxReport } {
  const ranges = nodeRanges(ex.graph, box);
  const tensors: TensorInfo[] = [...p.tensors];
  const eqs: (Equation | null)[] = [...p.equations];
  const report: ProgramBoxReport = { units: 0, inactive: 0, linear: 0, untouched: 0 };
  const uses = new Int32Array(tensors.length);
  const count = (list: readonly Equation[], top: boolean) => {
    for (const eq of list) {
      for (const a of eq.args) uses[a] += top ? 1 : 1000;
      if (eq.body) {
        count(eq.body.equations, false);
        for (const o of eq.body.outputs) uses[o] += 1000;
      }
    }
  };
  count(p.equations, true);
  const pinned = new Set([...p.inputs, ...p.outputs].map((t) => t.tensor.id));
  const producer = new Map<TensorId, number>();
  eqs.forEach((eq, i) => eq!.outs.forEach((o) => producer.set(o, i)));
  const values = (id: TensorId) => tensors[id].values!;
  const addConst = (like: TensorId, shape: readonly number[], v: Float64Array): TensorId => {
    tensors.push({ ...tensors[like], shape, values: v });
    return tensors.length - 1;
  };
  const dropped = new Set<TensorId>();
  const RELUS = /\b(max|min|step|abs)\b/;

  for (let i = 0; i < eqs.length; i++) {
    const eq = eqs[i]!;
    if (eq.op !== 'map') continue;
    const m = eq.attrs as unknown as MapAttrs;
    const t = mapTemplate(m, eq.args.length);
    if (!t.graph.nodes.some((n) => RELUS.test(n.op))) continue;
    const [a] = eq.args;
    const h = eq.outs[0];
    const units = sizeOf(tensors[h].shape);
    report.units += units;
    const di = producer.get(a);
    const D = di === undefined ? null : eqs[di];
    const consumers = eqs.map((c, k) => (c && c.args.includes(h) ? k : -1)).filter((k) => k >= 0);
    const eligible =
      eq.args.length === 1 && ['relu', 'relu6', 'leaky_relu'].includes(m.fn) && D?.op === 'dense' && (D.attrs as unknown as DenseAttrs).bias && tensors[a].shape.length === 1 &&
      uses[a] === 1 && !pinned.has(a) && !pinned.has(h) && consumers.length > 0 && uses[h] === consumers.length &&
      consumers.every((k) => eqs[k]!.op === 'dense' && eqs[k]!.args.filter((x, q) => x === h && q % 2 === 0 && q < 2 * (eqs[k]!.attrs as unknown as DenseAttrs).pairs).length === 1 && eqs[k]!.args.indexOf(h) % 2 === 0);
    const ids = ex.values?.[a]?.ids;
    if (!eligible || !ids) {
      report.untouched += units;
      continue;
    }
    const kind = ids.map((id) => onInterval(m.fn, m.params, ranges[id]));
    const keep = kind.flatMap((k, j) => (k === null ? [j] : []));
    const fixed = kind.flatMap((k, j) => (k === null ? [] : [j]));
    if (fixed.length === 0) continue;
    for (const j of fixed) report[kind[j]!.s === 0 ? 'inactive' : 'linear']++;
    const da = D!.attrs as unknown as DenseAttrs;
    const pairs = Array.from({ length: da.pairs }, (_, k) => ({ x: D!.args[2 * k], W: D!.args[2 * k + 1], rows: tensors[D!.args[2 * k]].shape[0] }));
    const b1 = values(D!.args[2 * da.pairs]);
    // The first Dense and the function keep the units that still switch.
    if (keep.length > 0) {
      const cut = (w: TensorId, rows: number) => {
        const v = new Float64Array(rows * keep.length);
        for (let r = 0; r < rows; r++) keep.forEach((j, c) => (v[r * keep.length + c] = values(w)[r * units + j]));
        return addConst(w, [rows, keep.length], v);
      };
      eqs[di!] = { ...D!, args: [...pairs.flatMap((q) => [q.x, cut(q.W, q.rows)]), addConst(D!.args[2 * da.pairs], [keep.length], Float64Array.from(keep, (j) => b1[j]))] };
      tensors[a] = { ...tensors[a], shape: [keep.length] };
      tensors[h] = { ...tensors[h], shape: [keep.length] };
    } else {
      eqs[di!] = null;
      eqs[i] = null;
      dropped.add(a).add(h);
    }
    // Each next Dense: the kept rows of its matrix, one matrix more per input of the first Dense for the linear units, and the constants in its bias.
    for (const k of consumers) {
      const C = eqs[k]!;
      const ca = C.attrs as unknown as DenseAttrs;
      const W2 = C.args[C.args.indexOf(h) + 1];
      const w2 = values(W2);
      const out = tensors[W2].shape[1];
      const bias = ca.bias ? Float64Array.from(values(C.args[2 * ca.pairs])) : new Float64Array(out);
      const args: TensorId[] = [];
      for (let q = 0; q < ca.pairs; q++) {
        if (C.args[2 * q] !== h) args.push(C.args[2 * q], C.args[2 * q + 1]);
        else if (keep.length > 0) {
          const v = new Float64Array(keep.length * out);
          keep.forEach((j, r) => {
            for (let c = 0; c < out; c++) v[r * out + c] = w2[j * out + c];
          });
          args.push(h, addConst(W2, [keep.length, out], v));
        }
      }
      for (const j of fixed) {
        const { s, t: shift } = kind[j]!;
        for (let c = 0; c < out; c++) bias[c] += (s * b1[j] + shift) * w2[j * out + c];
      }
      const linear = fixed.filter((j) => kind[j]!.s !== 0);
      for (const q of pairs) {
        if (linear.length === 0 && args.length > 0) break;
        const v = new Float64Array(q.rows * out);
        for (let r = 0; r < q.rows; r++) for (const j of linear) for (let c = 0; c < out; c++) v[r * out + c] += kind[j]!.s * values(q.W)[r * units + j] * w2[j * out + c];
        args.push(q.x, addConst(W2, [q.rows, out], v));
      }
      eqs[k] = { ...C, args: [...args, ca.bias ? addConst(C.args[2 * ca.pairs], [out], bias) : addConst(W2, [out], bias)], attrs: { pairs: args.length / 2, bias: true } };
    }
  }

  // Renumber the equations; calls keep their numbers and lose the values that are gone.
  const { kept, newIndex } = compact(eqs);
  const calls: LayerCall[] = p.calls.map((c) => ({ ...c, from: newIndex[c.from], to: newIndex[c.to], outputs: c.outputs.filter((o) => !dropped.has(o.id)).map((o) => ({ id: o.id, shape: tensors[o.id].shape })) }));
  return { program: { ...p, tensors, equations: kept, calls }, report };
}
