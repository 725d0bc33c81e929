import type { Graph, NodeId } from '../ir/graph.js';
import type { Fn } from '../ir/ops.js';
import { rebuild } from './rebuild.js';

/** Each activation written with exp and log, as the Medium article's NumPy string does. */
const EXPANSIONS: Partial<Record<Fn, (g: Graph, z: NodeId) => NodeId>> = {
  tanh: (g, z) => {
    const e = g.fn('exp', g.scale(z, 2));
    return g.div(g.shift(e, -1), g.shift(e, 1));
  },
  sigmoid: (g, z) => g.div(g.constant(1), g.shift(g.fn('exp', g.neg(z)), 1)),
  softplus: (g, z) => g.fn('log', g.shift(g.fn('exp', z), 1)),
};

/**
 * Rewrites tanh as (e^{2z} − 1)/(e^{2z} + 1), sigmoid as 1/(1 + e^{−z}) and softplus as
 * log(1 + e^z). Exact in real arithmetic; in floating point e^{2z} overflows for z > 354 (tanh then
 * reads NaN) and e^z for z > 709 (softplus reads Infinity). Returns how many nodes were rewritten.
 */
export function expand(graph: Graph, outputs: readonly NodeId[]): { graph: Graph; outputs: NodeId[]; rewritten: Partial<Record<Fn, number>> } {
  const rewritten: Partial<Record<Fn, number>> = {};
  const result = rebuild(graph, outputs, (g, node, args) => {
    const rule = EXPANSIONS[node.op as Fn];
    if (!rule) return undefined;
    rewritten[node.op as Fn] = (rewritten[node.op as Fn] ?? 0) + 1;
    return rule(g, args[0]);
  });
  return { ...result, rewritten };
}
