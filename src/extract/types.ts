import type { Graph, NodeId, StateLabel } from '../ir/graph.js';
import type { LayerSpec, ModelSpec, Weight } from '../load/spec.js';

/** A tensor during extraction: its shape without the batch dimension and the node of every element, row-major. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly ids: readonly NodeId[];
}

/** What an extractor sees of the layer it turns into IR. */
export interface LayerContext {
  readonly graph: Graph;
  readonly layer: LayerSpec;
  readonly model: ModelSpec;
  /** The layer's weight `name`, checked against `shape` when given; a clear error when missing. */
  weight(name: string, shape?: readonly number[]): Weight;
  /** Throws a one-line error about this layer. */
  fail(message: string, hint?: string): never;
  /** Names a recurrent state of this layer at a time step (1-based step and unit). */
  labelState(id: NodeId, symbol: StateLabel['symbol'], step: number, index: number): void;
  /** Runs the extractor of another layer spec (a wrapped layer) in this layer's place. */
  run(layer: LayerSpec, inputs: readonly Tensor[]): Tensor[];
}

/** Turns one call of a layer into IR: input tensors in, output tensors out. */
export type Extractor = (ctx: LayerContext, inputs: readonly Tensor[]) => Tensor[];
