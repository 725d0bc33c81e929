import type { Graph, NodeId } from '../ir/graph.js';
import type { DenseAttrs } from '../tensor/ops.js';
import type { Equation, TensorId, TensorProgram } from '../tensor/program.js';
import { rebuild } from '../ir/rebuild.js';

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

/** The weight tensors a tensor program multiplies by: Dense kernels, convolution and depthwise kernels (bodies included). */
function kernels(p: TensorProgram): Set<TensorId> {
  const out = new Set<TensorId>();
  const visit = (eqs: readonly Equation[]) => {
    for (const eq of eqs) {
      if (eq.op === 'dense') for (let k = 0; k < (eq.attrs as unknown as DenseAttrs).pairs; k++) out.add(eq.args[2 * k + 1]);
      if (eq.op === 'conv' || eq.op === 'depthwise_conv') out.add(eq.args[1]);
      if (eq.body) visit(eq.body.equations);
    }
  };
  visit(p.equations);
  for (const id of out) if (p.tensors[id].kind !== 'const') out.delete(id);
  return out;
}

/**
 * --prune on the tensor program: every weight of a Dense, convolution or depthwise kernel with
 * 0 < |w| < eps becomes 0 (biases, normalization and other constants stay). The same rule as the
 * scalar prune, counted per weight instead of per affine coefficient; the caller measures the change.
 */
export function pruneProgram(p: TensorProgram, eps: number): { program: TensorProgram; dropped: number; kept: number } {
  let dropped = 0;
  let kept = 0;
  const targets = kernels(p);
  const tensors = p.tensors.map((t, id) => {
    if (!targets.has(id)) return t;
    const values = Float64Array.from(t.values!);
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) continue;
      if (Math.abs(values[i]) < eps) {
        values[i] = 0;
        dropped++;
      } else kept++;
    }
    return { ...t, values };
  });
  return { program: { ...p, tensors }, dropped, kept };
}
