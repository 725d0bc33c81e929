import type { OnnxAttribute } from '../../load/onnx/types.js';
import type { TfAttr, TfNode } from '../../load/tfgraph.js';
import type { FnName } from '../../tensor/functions.js';
import type { TOp } from '../../tensor/ops.js';
import type { Body, T } from '../../tensor/program.js';
import { ELEMENT_TYPES, type DType } from '../../tensor/dtype.js';
import { konst as onnxKonst, type Const, type Val } from '../onnx/context.js';

export type { Const, Val } from '../onnx/context.js';

const KNOWN: ReadonlySet<string> = new Set(ELEMENT_TYPES);

/** A TF dtype name as the tensor program's element type (TF's names for the numeric types are ONNX's). */
export function asDType(tf: string): DType {
  return KNOWN.has(tf) ? (tf as DType) : 'float32';
}

/**
 * A constant built by a TF extractor. Without a dtype it is an index, shape, pad or axes argument of
 * an ONNX builder (int64, as ONNX declares them); a node's folded outputs are re-typed from the TF
 * node's own dtype where the graph walker records them.
 */
export function konst(dims: readonly number[], values: ArrayLike<number>, dtype: DType = 'int64'): Const {
  return onnxKonst(dims, values, dtype);
}

/** What a TF op extractor sees of its node: its inputs as folded constants or tensors (full TF shapes, batch included). */
export interface TfContext {
  readonly node: TfNode;
  /** Number of data inputs. */
  readonly arity: number;
  val(i: number): Val;
  /** Input `i` as a tensor (a constant becomes a constant tensor named `role`). */
  tensor(i: number, role?: string): T;
  /** Input `i`'s values, which must be known when the formula is written. */
  constant(i: number, what: string): Const;
  /** The full shape of input `i`. */
  shape(i: number): readonly number[];
  /** The TF dtype of input `i` ('float32', 'int32', …). */
  dtype(i: number): string;
  attr(name: string): TfAttr | undefined;
  /** An attribute's integer / float / bool / string / list value, or `fallback`. */
  int(name: string, fallback: number): number;
  float(name: string, fallback: number): number;
  bool(name: string, fallback: boolean): boolean;
  str(name: string, fallback: string): string;
  ints(name: string): number[] | undefined;
  strs(name: string): string[] | undefined;
  /** Runs the ONNX extractor `opType` (at `opset`) on these values with ONNX attributes: the shared builder. */
  onnx(opType: string, args: readonly (Val | null)[], attrs?: Record<string, OnnxAttribute>, opset?: number): Val[];
  const(role: string, dims: readonly number[], values: ArrayLike<number>): T;
  op(op: TOp, args: readonly T[], attrs: object, roles?: string | readonly string[], body?: Body): T[];
  map(fn: FnName, args: readonly T[], params?: readonly number[], role?: string): T;
  body(inputs: readonly { shape: readonly number[]; role: string }[], build: (xs: T[]) => T[]): Body;
  reshape(t: T, shape: readonly number[], role?: string): T;
  transpose(t: T, perm: readonly number[], role?: string): T;
  /** Throws a one-line error naming the node. */
  fail(message: string, hint?: string): never;
}

/** Turns one TF node into tensor equations (or folds it): its output values in order. */
export type TfExtractor = (ctx: TfContext) => Val[];

/** ONNX attribute constructors for `ctx.onnx`. */
export const ints = (value: number[]): OnnxAttribute => ({ type: 'ints', value });
export const int = (value: number): OnnxAttribute => ({ type: 'int', value });
export const float = (value: number): OnnxAttribute => ({ type: 'float', value });
export const str = (value: string): OnnxAttribute => ({ type: 'string', value });
