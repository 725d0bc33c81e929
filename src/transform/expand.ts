import type { Graph, NodeId } from '../ir/graph.js';
import type { Fn } from '../ir/ops.js';
import { EXPANSIONS, mapTemplate } from '../tensor/functions.js';
import type { MapAttrs } from '../tensor/ops.js';
import type { Equation, TensorProgram } from '../tensor/program.js';
import { reachable, rebuild } from '../ir/rebuild.js';

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

/** Maps every equation of a program, bodies included (the body's own equations first). */
export function mapEquations(eqs: readonly Equation[], f: (eq: Equation) => Equation): Equation[] {
  return eqs.map((eq) => f(eq.body ? { ...eq, body: { ...eq.body, equations: mapEquations(eq.body.equations, f) } } : eq));
}

/**
 * --expand on the tensor program: every map equation whose function calls tanh, sigmoid or softplus
 * is marked `expanded`, so its one template (functions.ts mapTemplate) writes them with exp and log
 * in scalarize and in every emitter. Counts the equations by the functions they rewrite.
 */
export function expandProgram(p: TensorProgram): { program: TensorProgram; rewritten: Partial<Record<Fn, number>> } {
  const rewritten: Partial<Record<Fn, number>> = {};
  const equations = mapEquations(p.equations, (eq) => {
    if (eq.op !== 'map') return eq;
    const attrs = eq.attrs as unknown as MapAttrs;
    const t = mapTemplate(attrs, eq.args.length);
    const live = reachable(t.graph, [t.out]);
    const fns = new Set<Fn>();
    t.graph.nodes.forEach((n, id) => live[id] && EXPANSIONS[n.op as Fn] && fns.add(n.op as Fn));
    if (fns.size === 0) return eq;
    for (const f of fns) rewritten[f] = (rewritten[f] ?? 0) + 1;
    return { ...eq, attrs: { ...attrs, expanded: true } };
  });
  return { program: { ...p, equations }, rewritten };
}
