import type { Fn } from '../ir/ops.js';
import type { Program } from '../schedule.js';
import type { ModelSpec } from '../load/spec.js';
import type { TensorProgram } from '../tensor/program.js';

/** Options every emitter takes. */
export interface EmitOptions {
  /** Significant digits; undefined prints every number exactly (shortest round-trip). */
  readonly precision?: number;
  readonly inline: boolean;
  readonly maxSize: number;
  /** Replacement names for x1…xN and y1…yM. */
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  /** LaTeX only: a complete document instead of display-math content. */
  readonly standalone?: boolean;
  /** LaTeX only: at most this many terms of a sum per line (--terms-per-line). */
  readonly termsPerLine?: number;
  readonly modelName: string;
  /** The loaded model, for formats that describe it (html shows its layer table). */
  readonly model?: ModelSpec;
  /** Largest matrix printed in full in LaTeX's tensor form (rows and columns); larger ones are declared by shape. */
  readonly maxMatrix?: number;
  /** --weights symbolic (LaTeX's tensor form declares every weight by its shape instead of printing it). */
  readonly symbolicWeights?: boolean;
  /** Lines each emitter prints as comments in its header (what a transform did and what it cost). */
  readonly notes?: readonly string[];
  /** LaTeX: the legend names each input and output by its name in the file (TensorProgram.namedPorts). */
  readonly namedPorts?: boolean;
  /** The tensor form's number type (--dtype): float64 (the default) or float32, where the tensor emitter says it can. */
  readonly dtype?: Dtype;
  /** JS tensor form (--wasm): convolutions and matrix products in WebAssembly SIMD kernels embedded in the module. */
  readonly wasm?: boolean;
}

/** The element type of the tensor form's arrays and arithmetic (--dtype). */
export type Dtype = 'float64' | 'float32';
export const DTYPES: readonly Dtype[] = ['float64', 'float32'];

/** One output language. */
export interface Emitter {
  readonly description: string;
  readonly extension: string;
  /** Functions the target provides (natively or in its prelude); others are lowered in the IR first. */
  readonly supports: ReadonlySet<Fn>;
  /** Prints mathematics for a reader (softmax as e^{x_i}/Σe^{x_j}); code targets subtract the maximum first so exp cannot overflow. */
  readonly textbook?: boolean;
  /** Words the target reserves, which user-chosen names may not take. */
  readonly reserved: ReadonlySet<string>;
  emit(program: Program, opts: EmitOptions): string;
  /** Prints `param` leaves (--weights symbolic): predict takes the weights as an argument. */
  readonly symbolicWeights?: boolean;
  /** The tensor form: one line of array math per layer, weights as named arrays. */
  readonly tensor?: TensorEmitter;
}

/** Prints a tensor program (the tensor form) in one target. */
export interface TensorEmitter {
  emit(program: TensorProgram, opts: EmitOptions): string;
  /** Prints --weights symbolic (opts.symbolicWeights): predict takes the weight tensors as an argument, PARAMS holds the trained ones. */
  readonly symbolicWeights?: boolean;
  /** Prints --dtype float32 (float arrays and float math). */
  readonly float32?: boolean;
  /** Prints --wasm (WebAssembly SIMD kernels in the module). */
  readonly wasm?: boolean;
}
