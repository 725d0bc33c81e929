import { Graph, type Node, type NodeId } from '../ir/graph.js';

/** A rewrite rule: returns the replacement for `node` (whose arguments are already rebuilt), or undefined to copy it. */
export type Rewrite = (g: Graph, node: Node, args: readonly NodeId[]) => NodeId | undefined;

/**
 * Rebuilds the part of `graph` that `outputs` depend on into a new graph, applying `rewrite` to
 * every node in creation (topological) order. Labels and hints follow their nodes. One loop, no recursion.
 */
export function rebuild(graph: Graph, outputs: readonly NodeId[], rewrite: Rewrite): { graph: Graph; outputs: NodeId[] } {
  const live = reachable(graph, outputs);
  const g = new Graph(graph.sizeBudget);
  g.tables.push(...graph.tables);
  g.params.push(...graph.params);
  const map = new Int32Array(graph.size).fill(-1);
  for (let id = 0; id < graph.size; id++) {
    if (!live[id]) continue;
    const node = graph.nodes[id];
    const args = node.args.map((a) => map[a]);
    const out = rewrite(g, node, args) ?? g.copy(node, args);
    map[id] = out;
    const label = graph.labels.get(id);
    if (label) g.label(out, label.layer, label.index, label.state);
    const hint = graph.hints.get(id);
    if (hint && !g.hints.has(out) && !g.labels.has(out)) g.hints.set(out, hint);
  }
  return { graph: g, outputs: outputs.map((o) => map[o]) };
}

/** Marks the nodes that `outputs` depend on. */
export function reachable(graph: Graph, outputs: readonly NodeId[]): Uint8Array {
  const live = new Uint8Array(graph.size);
  for (const o of outputs) live[o] = 1;
  for (let id = graph.size - 1; id >= 0; id--) {
    if (!live[id]) continue;
    for (const a of graph.nodes[id].args) live[a] = 1;
  }
  return live;
}
