import type { Graph, NodeId } from '../ir/graph.js';
import { rebuild } from './rebuild.js';

/**
 * The Jacobian of `outputs` with respect to the graph's scalar inputs, by reverse-mode
 * differentiation over the arena: one backward sweep per output, each adjoint one affine node of
 * its users' contributions, and every local derivative written with the nodes already there
 * (tanh' = 1 − t², sigmoid' = s(1 − s), exp' = e), so the result grows linearly with the graph.
 * At kinks it follows TF.js's gradients: max(a, b) passes to a where a ≥ b (so relu'(0) = 0),
 * min(a, b) to a where a ≤ b, abs'(0) = −1, step' = 0. Lookups (Embedding ids) have derivative 0.
 * Returns a new graph (the given one is not changed) and the entries row by row: J[i][j] = ∂y_i/∂x_j
 * at index i·inputCount + j.
 */
export function jacobian(graph: Graph, outputs: readonly NodeId[], inputCount: number): { graph: Graph; outputs: NodeId[] } {
  return derivatives(graph, outputs, (g) => Array.from({ length: inputCount }, (_, j) => g.input(j)));
}

/**
 * The gradient of `outputs` with respect to every weight: the graph's `param` leaves (built with
 * --weights symbolic), tensor by tensor in graph.params order, each flattened row-major. Entry
 * i·P + k is ∂y_i/∂θ_k. The same reverse sweep as the Jacobian.
 */
export function paramGradient(graph: Graph, outputs: readonly NodeId[]): { graph: Graph; outputs: NodeId[]; count: number } {
  const count = graph.params.reduce((n, t) => n + t.values.length, 0);
  const r = derivatives(graph, outputs, (g) => g.params.flatMap((t, k) => Array.from({ length: t.values.length }, (_, i) => g.param(k, i))));
  return { ...r, count };
}

/** Reverse-mode derivatives of `outputs` with respect to the leaves `wrt` picks in the copied graph. */
function derivatives(graph: Graph, outputs: readonly NodeId[], wrt: (g: Graph) => NodeId[]): { graph: Graph; outputs: NodeId[] } {
  const copy = rebuild(graph, outputs, () => undefined);
  const g = copy.graph;
  const inputIds = wrt(g);
  const size = g.size;
  const entries: NodeId[] = [];
  for (const y of copy.outputs) {
    // Contributions to each node's adjoint, gathered from its users (which come later in the arena).
    const termIds: (NodeId[] | undefined)[] = new Array(size);
    const termCs: (number[] | undefined)[] = new Array(size);
    const push = (id: NodeId, t: NodeId, c: number) => {
      if (g.constValue(t) === 0 || c === 0) return;
      (termIds[id] ??= []).push(t);
      (termCs[id] ??= []).push(c);
    };
    const adjoint = new Int32Array(size).fill(-1);
    push(y, g.constant(1), 1);
    for (let id = y; id >= 0; id--) {
      const ts = termIds[id];
      if (!ts) continue;
      const adj = g.affine(ts, termCs[id]!);
      adjoint[id] = adj;
      if (g.constValue(adj) === 0) continue;
      const n = g.nodes[id];
      const [a, b] = n.args;
      const times = (t: NodeId) => g.mul(adj, t);
      switch (n.op) {
        case 'input':
        case 'const':
        case 'param':
        case 'lookup':
        case 'step':
        case 'floor':
        case 'trunc':
        case 'gt':
        case 'ge':
        case 'eq':
          break;
        case 'select': {
          // The derivative flows to the branch taken (a choice, not a product: 0·∞ would be NaN).
          const zero = g.constant(0);
          push(n.args[1], g.select(n.args[0], adj, zero), 1);
          push(n.args[2], g.select(n.args[0], zero, adj), 1);
          break;
        }
        case 'affine':
          for (let k = 0; k < n.args.length; k++) push(n.args[k], adj, n.coefs![k]);
          break;
        case 'mul':
          push(a, times(b), 1);
          push(b, times(a), 1);
          break;
        case 'div':
          push(a, g.div(adj, b), 1);
          push(b, g.div(times(id), b), -1);
          break;
        case 'pow': {
          const e = g.constValue(b);
          if (e !== undefined) {
            push(a, times(g.pow(a, e - 1)), e);
            break;
          }
          // A computed exponent: ∂a = b·a^(b−1), ∂b = a^b·log a.
          push(a, times(g.mul(b, g.powOf(a, g.shift(b, -1)))), 1);
          push(b, times(g.mul(id, g.fn('log', a))), 1);
          break;
        }
        case 'max': {
          // TF.js: a gets dy·(a ≥ b), b gets dy·(a < b).
          const toB = g.fn('step', g.sub(b, a));
          push(b, times(toB), 1);
          push(a, times(g.affine([toB], [-1], 1)), 1);
          break;
        }
        case 'fmod':
          // a − b·trunc(a/b): ∂a = 1, ∂b = −trunc(a/b) (trunc's derivative is 0, as floor's).
          push(a, adj, 1);
          push(b, times(g.fn('trunc', g.div(a, b))), -1);
          break;
        case 'min': {
          // TF.js: a gets dy·(a ≤ b), b gets dy·(a > b).
          const toB = g.fn('step', g.sub(a, b));
          push(b, times(toB), 1);
          push(a, times(g.affine([toB], [-1], 1)), 1);
          break;
        }
        case 'exp':
          push(a, times(id), 1);
          break;
        case 'log':
          push(a, g.div(adj, a), 1);
          break;
        case 'tanh':
          push(a, times(g.affine([g.mul(id, id)], [-1], 1)), 1);
          break;
        case 'sigmoid':
          push(a, times(g.mul(id, g.affine([id], [-1], 1))), 1);
          break;
        case 'softplus':
          push(a, times(g.fn('sigmoid', a)), 1);
          break;
        case 'erf':
          push(a, times(g.fn('exp', g.scale(g.mul(a, a), -1))), 2 / Math.sqrt(Math.PI));
          break;
        case 'sqrt':
          push(a, g.div(adj, id), 0.5);
          break;
        case 'abs':
          // TF.js: dy·step(x, −1), i.e. 1 where x > 0, else −1.
          push(a, times(g.affine([g.fn('step', a)], [2], -1)), 1);
          break;
        // The circular and hyperbolic functions and their inverses.
        case 'sin':
          push(a, times(g.fn('cos', a)), 1);
          break;
        case 'cos':
          push(a, times(g.fn('sin', a)), -1);
          break;
        case 'tan':
          push(a, times(g.affine([g.mul(id, id)], [1], 1)), 1);
          break;
        case 'asin':
        case 'acos':
          push(a, g.div(adj, g.fn('sqrt', g.affine([g.mul(a, a)], [-1], 1))), n.op === 'asin' ? 1 : -1);
          break;
        case 'atan':
          push(a, g.div(adj, g.affine([g.mul(a, a)], [1], 1)), 1);
          break;
        case 'sinh':
          push(a, times(g.fn('cosh', a)), 1);
          break;
        case 'cosh':
          push(a, times(g.fn('sinh', a)), 1);
          break;
        case 'asinh':
        case 'acosh':
          push(a, g.div(adj, g.fn('sqrt', g.affine([g.mul(a, a)], [1], n.op === 'asinh' ? 1 : -1))), 1);
          break;
        case 'atanh':
          push(a, g.div(adj, g.affine([g.mul(a, a)], [-1], 1)), 1);
          break;
        default:
          throw new Error(`jacobian: no derivative for op ${n.op}`);
      }
    }
    for (const x of inputIds) entries.push(x < size && adjoint[x] >= 0 ? adjoint[x] : g.constant(0));
  }
  return { graph: g, outputs: entries };
}
