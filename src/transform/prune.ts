import type { Graph, NodeId } from '../ir/graph.js';
import { rebuild } from './rebuild.js';

/**
 * Drops every affine coefficient with |w| < eps (the term goes; the constant term stays). An
 * approximation: the caller measures what it changes. Returns how many coefficients went.
 */
export function prune(graph: Graph, outputs: readonly NodeId[], eps: number): { graph: Graph; outputs: NodeId[]; dropped: number; kept: number } {
  let dropped = 0;
  let kept = 0;
  const result = rebuild(graph, outputs, (g, node, args) => {
    if (node.op !== 'affine') return undefined;
    const terms: NodeId[] = [];
    const coefs: number[] = [];
    node.coefs!.forEach((c, k) => {
      if (Math.abs(c) < eps) dropped++;
      else {
        kept++;
        terms.push(args[k]);
        coefs.push(c);
      }
    });
    return g.affine(terms, coefs, node.value);
  });
  return { ...result, dropped, kept };
}
