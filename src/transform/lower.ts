import type { Graph, NodeId } from '../ir/graph.js';
import type { Fn } from '../ir/ops.js';
import { EXPANSIONS } from '../tensor/functions.js';
import { rebuild } from '../ir/rebuild.js';

type Lowering = (g: Graph, x: NodeId) => NodeId;

/** How to write a function from elementary ones, for targets that lack it (code: computed without overflow). */
const LOWERINGS: Partial<Record<Fn, Lowering>> = {
  sigmoid: EXPANSIONS.sigmoid,
  // max(x, 0) + log(1 + e^{−|x|}): log(1 + e^x) overflows to ∞ from x ≈ 710, where softplus(x) is x.
  softplus: (g, x) => g.add(g.max(g.constant(0), x), g.fn('log', g.shift(g.fn('exp', g.neg(g.fn('abs', x))), 1))),
};

/** The same for a reader (LaTeX): softplus as the textbook log(1 + e^x). */
const READER_LOWERINGS: Partial<Record<Fn, Lowering>> = { ...LOWERINGS, softplus: EXPANSIONS.softplus };

/** Functions every target must provide: they have no lowering. */
export const ELEMENTARY: readonly Fn[] = ['exp', 'log', 'tanh', 'erf', 'abs', 'sqrt', 'step', 'floor', 'trunc'];

/**
 * Rewrites every function that a target does not support into elementary ones, in the IR, so
 * emitters never change the math. Returns the input unchanged when nothing needs lowering.
 * `textbook` (LaTeX, for a reader): softplus as log(1 + e^x), the form a reader knows.
 */
export function lower(graph: Graph, outputs: readonly NodeId[], supported: ReadonlySet<Fn>, textbook = false): { graph: Graph; outputs: NodeId[] } {
  const needs = graph.nodes.some((n) => n.op in LOWERINGS && !supported.has(n.op as Fn));
  if (!needs) return { graph, outputs: [...outputs] };
  return rebuild(graph, outputs, (g, node, args) => {
    const rule = (textbook ? READER_LOWERINGS : LOWERINGS)[node.op as Fn];
    return rule && !supported.has(node.op as Fn) ? rule(g, args[0]) : undefined;
  });
}
