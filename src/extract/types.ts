import type { LayerSpec, ModelSpec, Weight } from '../load/spec.js';
import type { ProgramBuilder } from '../tensor/builder.js';
import type { FnName } from '../tensor/functions.js';
import type { TOp } from '../tensor/ops.js';
import type { Body, T } from '../tensor/program.js';

export type { T } from '../tensor/program.js';

/** How the layer was called, beyond its positional inputs (load/spec.ts CallSpec with the tensors resolved). */
export interface CallArgs {
  /** Tensors given as keyword arguments (value, key, attention_mask; a TF op's y). */
  readonly keywords: ReadonlyMap<string, T>;
  /** The call's other arguments as saved (use_causal_mask, a constant operand, a slice). */
  readonly options: Readonly<Record<string, unknown>>;
  /** A constant first argument (Keras 2's _CONSTANT_VALUE: `1 - x` calls subtract(1, x)). */
  readonly constant?: unknown;
}

/** What an extractor sees of the layer it turns into tensor equations. */
export interface LayerContext {
  readonly builder: ProgramBuilder;
  readonly layer: LayerSpec;
  readonly model: ModelSpec;
  /** The call being extracted: keyword tensors and options (the positional tensors are the extractor's inputs). */
  readonly call: CallArgs;
  /** The layer's weight `name`, checked against `shape` when given; a clear error when missing. */
  weight(name: string, shape?: readonly number[]): Weight;
  /** A weight as a constant tensor named `role` in printed output. */
  param(name: string, role: string, shape?: readonly number[]): T;
  /** A constant tensor of this layer (a folded parameter, a slice of a weight). */
  constant(role: string, shape: readonly number[], values: ArrayLike<number>): T;
  /** Appends `op(args; attrs)`; `roles` names the outputs (h for a layer's result). */
  op(op: TOp, args: readonly T[], attrs: object, roles?: string | readonly string[], body?: Body): T[];
  /** An element-wise function of the ELEMENTWISE table. */
  map(fn: FnName, args: readonly T[], params?: readonly number[], role?: string): T;
  /** A sub-program run per step (see ProgramBuilder.body). */
  body(inputs: readonly { shape: readonly number[]; role: string }[], build: (xs: T[]) => T[]): Body;
  /** Throws a one-line error about this layer. */
  fail(message: string, hint?: string): never;
  /** Runs the extractor of another layer spec (a wrapped layer) in this layer's place. */
  run(layer: LayerSpec, inputs: readonly T[]): T[];
}

/** Turns one call of a layer into tensor equations: input tensors in, output tensors out. */
export type Extractor = (ctx: LayerContext, inputs: readonly T[]) => T[];
