import type { Port } from './extract/index.js';
import type { Graph, Hint, NodeId, StateLabel } from './ir/graph.js';
import { reachable } from './ir/rebuild.js';

/** The printed name of a scalar: a model input, a hidden unit of layer `layer`, a temporary, or a model output. */
export type Name =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'hidden'; readonly layer: number; readonly index: number; readonly state?: StateLabel }
  | { readonly kind: 'temp'; readonly index: number; readonly hint?: Hint }
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
 * Extra bindings a reader-facing format asks for (LaTeX); the code formats pass none, so their
 * text does not change.
 */
export interface ScheduleOptions {
  /** Bind every labelled node (a layer's outputs), even when used once, unless it is only a model output. */
  readonly everyLabel?: boolean;
  /** Bind every node of `graph.hints` (gates, exponentials, pre-activations), named by its hint (a temp with `hint`). */
  readonly hints?: boolean;
  /**
   * Bind every value this says is too long to sit inside another expression (not a model output),
   * so that it gets a row of its own, where a sum can be broken across lines. A value whose only
   * user is a labelled value is named its pre-activation `a` (same layer and index).
   */
  readonly longSum?: (id: NodeId) => boolean;
}

/**
 * Chooses the let form: every non-leaf value used more than once gets a name, so each
 * sub-expression is printed once and output size stays linear in the graph. With `inline`
 * nothing is named and each output is one closed-form expression. `extra` binds more (LaTeX).
 */
export function schedule(graph: Graph, inputs: readonly Port[], outputs: readonly Port[], outputIds: readonly NodeId[], inline: boolean, extra: ScheduleOptions = {}): Program {
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
    const isOutput = new Uint8Array(graph.size);
    for (const o of outputIds) isOutput[o] = 1;
    // The one user of each node used once (for naming a long sum after the value it feeds).
    const user = extra.longSum === undefined ? null : new Int32Array(graph.size).fill(-1);
    if (user) for (let id = 0; id < graph.size; id++) if (live[id]) for (const a of graph.nodes[id].args) user[a] = id;
    let temps = 0;
    const derived = new Set<string>();
    for (let id = 0; id < graph.size; id++) {
      const op = graph.nodes[id].op;
      if (!live[id] || op === 'input' || op === 'const' || op === 'param') continue;
      const label = graph.labels.get(id);
      const hint = extra.hints ? graph.hints.get(id) : undefined;
      const onlyOutput = isOutput[id] === 1 && uses[id] === 1;
      const long = user !== null && !isOutput[id] && extra.longSum!(id);
      if (uses[id] < 2 && !(extra.everyLabel && label && !onlyOutput) && !(hint && !onlyOutput) && !long) continue;
      bindings.push(id);
      if (label) names.set(id, { kind: 'hidden', layer: label.layer, index: label.index, state: label.state });
      else if (hint) names.set(id, { kind: 'temp', index: 0, hint });
      else {
        const pre = long && uses[id] === 1 ? preActivation(graph, id, user!, uses, op === 'affine') : undefined;
        // A derived name is given once; a second sum that would take it stays a numbered t.
        const key = pre && `${pre.symbol}|${pre.layer}|${pre.index}|${pre.step}|${pre.backward}`;
        if (pre && !derived.has(key!)) {
          derived.add(key!);
          names.set(id, { kind: 'temp', index: 0, hint: pre });
        } else names.set(id, { kind: 'temp', index: ++temps });
      }
    }
  }
  return { graph, inputs, outputs, outputIds, bindings, names, uses, live };
}

/**
 * The pre-activation name of the sum `sum` (used once): `a` when the value it feeds is a labelled unit; `a.g`
 * when it is (through single-use steps such as hard_sigmoid's 0.2 z + 0.5, max and min) gate g of
 * a recurrence at a time step, so a gate's input projection is named after its gate and step.
 */
function preActivation(graph: Graph, sum: NodeId, user: Int32Array, uses: Int32Array, affine: boolean): Hint | undefined {
  let id = user[sum];
  const label = graph.labels.get(id);
  if (label) return affine ? { symbol: 'a', layer: label.layer, index: label.index, step: label.state?.step, backward: label.state?.symbol.endsWith('b') } : undefined;
  // Which part a sum is: one reading a state (a labelled value, or a product with one) or the inputs'.
  const readsState = (n: NodeId) => graph.nodes[n].args.some((a) => graph.labels.has(a) || graph.nodes[a].args.some((b) => graph.labels.has(b)));
  // Each step up must be a function of the one value below it (constants aside), so the sum is
  // the gate's whole argument and no other sum takes the same name.
  // When that argument is a sum of parts (a GRU with reset_after adds W x + b and U h + b'), the
  // sum is named as the part it is: `x.g` reads model inputs only, `h.g` reads states.
  let below = sum;
  let whole = true;
  for (let k = 0; k < 4 && id >= 0; k++) {
    if (graph.nodes[id].args.some((a) => a !== below && graph.nodes[a].op !== 'const')) whole = false;
    const state = graph.labels.get(id)?.state;
    const hint = state ? { symbol: state.symbol[0], layer: graph.labels.get(id)!.layer, index: graph.labels.get(id)!.index, step: state.step, backward: state.symbol.endsWith('b') } : graph.hints.get(id);
    if (graph.labels.has(id) && !state) return undefined;
    if (hint) {
      if (hint.step === undefined || hint.symbol.includes('.') || (whole && !affine)) return undefined;
      return { ...hint, symbol: `${whole ? 'a' : readsState(sum) ? 'h' : 'x'}.${hint.symbol}` };
    }
    if (uses[id] !== 1) return undefined;
    below = id;
    id = user[id];
  }
  return undefined;
}
