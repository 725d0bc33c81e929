import type { Port } from './extract/index.js';
import type { Graph, NodeId, StateLabel } from './ir/graph.js';
import { reachable } from './transform/rebuild.js';

/** The printed name of a scalar: a model input, a hidden unit of layer `layer`, a temporary, or a model output. */
export type Name =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'hidden'; readonly layer: number; readonly index: number; readonly state?: StateLabel }
  | { readonly kind: 'temp'; readonly index: number }
  | { readonly kind: 'output'; readonly index: number };

/** What an emitter prints: named bindings in dependency order, then one expression per scalar output. */
export interface Program {
  readonly graph: Graph;
  readonly inputs: readonly Port[];
  readonly outputs: readonly Port[];
  readonly outputIds: readonly NodeId[];
  readonly bindings: readonly NodeId[];
  /** The name of every bound node. */
  readonly names: ReadonlyMap<NodeId, Name>;
  /** How many times each node is used by the live part of the graph (outputs count once each). */
  readonly uses: Int32Array;
  readonly live: Uint8Array;
}

/**
 * Chooses the let form: every non-leaf value used more than once gets a name, so each
 * sub-expression is printed once and output size stays linear in the graph. With `inline`
 * nothing is named and each output is one closed-form expression.
 */
export function schedule(graph: Graph, inputs: readonly Port[], outputs: readonly Port[], outputIds: readonly NodeId[], inline: boolean): Program {
  const live = reachable(graph, outputIds);
  const uses = new Int32Array(graph.size);
  for (const o of outputIds) uses[o]++;
  for (let id = 0; id < graph.size; id++) {
    if (!live[id]) continue;
    for (const a of graph.nodes[id].args) uses[a]++;
  }
  const bindings: NodeId[] = [];
  const names = new Map<NodeId, Name>();
  if (!inline) {
    let temps = 0;
    for (let id = 0; id < graph.size; id++) {
      const op = graph.nodes[id].op;
      if (!live[id] || uses[id] < 2 || op === 'input' || op === 'const') continue;
      bindings.push(id);
      const label = graph.labels.get(id);
      names.set(id, label ? { kind: 'hidden', layer: label.layer, index: label.index, state: label.state } : { kind: 'temp', index: ++temps });
    }
  }
  return { graph, inputs, outputs, outputIds, bindings, names, uses, live };
}
