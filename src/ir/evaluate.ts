import { tableValue, type Graph, type NodeId } from './graph.js';
import { OPS, type OpInfo } from './ops.js';

/**
 * Evaluates every node of `graph` in float64 for one input vector (the scalar inputs x1…xN in
 * order). Returns the value of each node, indexed by node id. One pass in creation order.
 */
export function evaluate(graph: Graph, inputs: ArrayLike<number>): Float64Array {
  const nodes = graph.nodes;
  const v = new Float64Array(nodes.length);
  for (let id = 0; id < nodes.length; id++) {
    const n = nodes[id];
    switch (n.op) {
      case 'input':
        v[id] = inputs[n.value];
        break;
      case 'const':
        v[id] = n.value;
        break;
      case 'param':
        // A symbolic weight evaluates to its trained value.
        v[id] = graph.params[n.table!].values[n.value];
        break;
      case 'affine': {
        let s = n.value;
        const c = n.coefs!;
        const a = n.args;
        for (let i = 0; i < a.length; i++) s += c[i] * v[a[i]];
        v[id] = s;
        break;
      }
      case 'lookup':
        v[id] = tableValue(graph.tables[n.table!], v[n.args[0]], n.value);
        break;
      default: {
        const f = (OPS[n.op] as OpInfo).eval!;
        const a = n.args;
        v[id] = f(v[a[0]], a.length > 1 ? v[a[1]] : 0, a.length > 2 ? v[a[2]] : 0);
      }
    }
  }
  return v;
}

/** Values of `outputs` for each input row. */
export function evaluateOutputs(graph: Graph, outputs: readonly NodeId[], rows: ArrayLike<number>[]): number[][] {
  return rows.map((row) => {
    const v = evaluate(graph, row);
    return outputs.map((id) => v[id]);
  });
}
