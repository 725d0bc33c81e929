import type { DType } from './dtype.js';

/** Every tensor op. */
export type TOp =
  | 'dense' | 'map' | 'softmax' | 'log_softmax' | 'layer_norm' | 'l2_normalize' | 'dot' | 'matmul'
  | 'conv' | 'depthwise_conv' | 'pool' | 'global_pool'
  | 'transpose' | 'reshape' | 'concat' | 'repeat' | 'pad' | 'slice' | 'upsample' | 'reverse' | 'gather' | 'gather_rows'
  | 'monomials' | 'scan' | 'foreach' | 'bitcast';

/** Index of a tensor in its program's table. */
export type TensorId = number;

/** A tensor as extractors hold it: its id and static shape (without the batch dimension). */
export interface T {
  readonly id: TensorId;
  readonly shape: readonly number[];
}

/**
 * One tensor of a program: a model input, a constant (a weight, with its values), or the value of
 * an equation. `role` and `layer` name it for printing (W, b, K, gamma, i, f, …; layer 1-based,
 * 0 for model inputs); `index` is the model input number for inputs.
 */
export interface TensorInfo {
  readonly shape: readonly number[];
  readonly kind: 'input' | 'const' | 'value';
  readonly role: string;
  readonly layer: number;
  readonly values?: ArrayLike<number>;
  readonly index?: number;
  /**
   * The element type the source format gives the tensor; absent means float (computed in
   * float64). Integer and bool tensors hold whole numbers (bool 0/1) below 2^53, and the
   * equations that compute them print the source format's integer arithmetic (trunc, floor, the
   * wrap of a narrow type) in float64, where it is exact.
   */
  readonly dtype?: DType;
}

/** Attributes of an equation: plain JSON-like data, defined per op in ops.ts. */
export type Attrs = Readonly<Record<string, unknown>>;

/**
 * A sub-program run once per step of an outer op (a recurrent cell per time step, a wrapped layer
 * per time slice): its inputs are tensors bound anew at every step, its outputs what a step yields.
 */
export interface Body {
  readonly inputs: readonly TensorId[];
  readonly equations: readonly Equation[];
  readonly outputs: readonly TensorId[];
}

/** `outs = op(args; attrs)`; `body` for the ops that run a sub-program. */
export interface Equation {
  readonly op: TOp;
  readonly args: readonly TensorId[];
  readonly outs: readonly TensorId[];
  readonly attrs: Attrs;
  readonly body?: Body;
}

/** One call of a model layer: its equations are `equations[from, to)` of the program. */
export interface LayerCall {
  readonly layer: string;
  readonly className: string;
  readonly node: number;
  /** 1-based number of the call among those with equations (0 for a pure pass-through). */
  readonly number: number;
  /** 1-based position of the layer among the model's layers that the outputs need (for messages). */
  readonly at: number;
  readonly from: number;
  readonly to: number;
  readonly outputs: readonly T[];
  /** Set when neighbouring layers were folded into this call: its outputs are not this layer's alone. */
  readonly folded?: boolean;
}

/** A model input or output as a tensor: its name in the model file and its tensor. */
export interface TensorPort {
  readonly name: string;
  readonly tensor: T;
}

/**
 * The tensor program: the one description of a model. A flat list of equations in dependency
 * order over named tensors with static shapes; weights are constant tensors.
 */
export interface TensorProgram {
  readonly tensors: readonly TensorInfo[];
  readonly equations: readonly Equation[];
  readonly inputs: readonly TensorPort[];
  readonly outputs: readonly TensorPort[];
  readonly calls: readonly LayerCall[];
  /** How many of the model's layers the outputs need. */
  readonly layerCount: number;
  readonly modelName: string;
  /** The model file, for messages. */
  readonly file: string;
  /** Lines every text of the model states in its header (a graph model's names of its inputs and outputs). */
  readonly notes?: readonly string[];
  /** The file names its inputs and outputs for a reader (a graph model's signature): LaTeX's legend says which is which. */
  readonly namedPorts?: boolean;
  /** How to fix an input axis of any length (-1) where a format needs it fixed; unset: --timesteps T (a Keras time axis). */
  readonly fixLength?: string;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** How often each tensor is read: by equations (bodies included), body outputs and the program's outputs. */
export function useCounts(p: TensorProgram): Int32Array {
  const uses = new Int32Array(p.tensors.length);
  const visit = (eqs: readonly Equation[]) => {
    for (const eq of eqs) {
      for (const a of eq.args) uses[a]++;
      if (eq.body) {
        visit(eq.body.equations);
        for (const o of eq.body.outputs) uses[o]++;
      }
    }
  };
  visit(p.equations);
  for (const port of p.outputs) uses[port.tensor.id]++;
  return uses;
}
