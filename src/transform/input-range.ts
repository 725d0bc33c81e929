import type { Graph, NodeId } from '../ir/graph.js';
import { iadd, idiv, ierf, iexp, ilog, imul, ipow, iscale, isigmoid, isoftplus, isqrt, itanh, iv, type Interval } from './interval.js';
import { rebuild } from './rebuild.js';

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
        r[id] = ipow(a, graph.nodes[n.args[1]].value);
        break;
      case 'max':
        r[id] = [Math.max(a[0], b[0]), Math.max(a[1], b[1])];
        break;
      case 'min':
        r[id] = [Math.min(a[0], b[0]), Math.min(a[1], b[1])];
        break;
      case 'step':
        r[id] = a[0] > 0 ? [1, 1] : a[1] <= 0 ? [0, 0] : [0, 1];
        break;
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
