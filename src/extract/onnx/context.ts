import type { OnnxModel, OnnxNode, OnnxTensor } from '../../load/onnx/types.js';
import type { ProgramBuilder } from '../../tensor/builder.js';
import type { FnName } from '../../tensor/functions.js';
import type { TOp } from '../../tensor/ops.js';
import type { DType } from '../../tensor/dtype.js';
import { sizeOf, type Body, type T } from '../../tensor/program.js';

/** A constant ONNX value, folded at build time: its full shape and row-major values. */
export interface Const {
  readonly kind: 'const';
  readonly dims: readonly number[];
  readonly values: Float64Array;
  /** ONNX element type: folding follows its arithmetic (integer Div truncates, int32 wraps, …). */
  readonly dtype: DType;
  /**
   * Set on shape arithmetic over a sequence axis of any length T (symbolic.ts): each element is
   * values[i] + T·sym[i]. The graph walker hands such a value only to the ops that fold it exactly.
   */
  readonly sym?: Float64Array;
}

/** A value of the program: a tensor whose shape is the full ONNX shape (batch axis included). */
export interface Tensor {
  readonly kind: 'tensor';
  readonly t: T;
  /**
   * The ONNX element type of the value; unset where an extractor leaves it to the graph walker
   * (the type of the node's first input). A Cast between float and integer types may hand on the
   * same tensor under another type: its values are whole numbers either way.
   */
  readonly dtype?: DType;
}

/** An ONNX value while the program is built: folded to numbers, or a tensor of the program. */
export type Val = Const | Tensor;

/** What an ONNX op extractor sees of its node. */
export interface OnnxContext {
  readonly node: OnnxNode;
  readonly model: OnnxModel;
  /** The opset version the node follows. */
  readonly opset: number;
  readonly builder: ProgramBuilder;
  /** Whether input `i` is given (an omitted optional input is ''). */
  has(i: number): boolean;
  /** Input `i`, folded or a tensor. */
  val(i: number): Val;
  /** Input `i` as a tensor (a constant becomes a constant tensor named `role`). */
  tensor(i: number, role?: string): T;
  /** Input `i`'s values, which must be known at build time (`what` says what it is, for the message). */
  constant(i: number, what: string): Const;
  /** The ONNX element type of input `i`. */
  dtype(i: number): DType;
  /** The full shape of input `i`. */
  shape(i: number): readonly number[];
  /** A constant tensor of this node. */
  const(role: string, dims: readonly number[], values: ArrayLike<number>): T;
  op(op: TOp, args: readonly T[], attrs: object, roles?: string | readonly string[], body?: Body): T[];
  map(fn: FnName, args: readonly T[], params?: readonly number[], role?: string): T;
  body(inputs: readonly { shape: readonly number[]; role: string }[], build: (xs: T[]) => T[]): Body;
  /** Reshape, skipped when the shape does not change. */
  reshape(t: T, shape: readonly number[], role?: string): T;
  /** Transpose, skipped when `perm` is the identity. */
  transpose(t: T, perm: readonly number[], role?: string): T;
  /** Throws a one-line error naming the node. */
  fail(message: string, hint?: string): never;
}

/** The context methods that only build on the program (the same for ONNX nodes and TF nodes). */
export type BuilderOps = Pick<OnnxContext, 'const' | 'op' | 'map' | 'body' | 'reshape' | 'transpose'>;

/** BuilderOps over `b`, failing with the node's one-line `fail`; reshape and transpose to the same layout are no-ops. */
export function builderOps(b: ProgramBuilder, fail: (message: string) => never): BuilderOps {
  return {
    // A shape with -1 is one of a sequence axis of any length: no constant has it.
    const: (role, dims, vals) => (dims.some((d) => d < 0) ? fail(`builds a constant of shape [${dims.map((d) => (d < 0 ? 'T' : d)).join(', ')}] from the sequence length T of any length, which needs T fixed`) : b.constant(role, dims, vals)),
    op: (op, args, attrs, roles, body) => b.apply(op, args, attrs as Record<string, unknown>, fail, roles, body),
    map: (fn, args, params = [], role = 'h') => b.apply('map', args, { fn, params }, fail, role)[0],
    body: (ins, build) => b.body(ins, build),
    reshape: (t, shape, role = '_') => (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]) ? t : b.apply('reshape', [t], { shape: [...shape] }, fail, role)[0]),
    transpose: (t, perm, role = '_') => (perm.every((p, i) => p === i) ? t : b.apply('transpose', [t], { perm: [...perm] }, fail, role)[0]),
  };
}

/** `tensor(i, role)` over the values `get` gives: a tensor as it is, a constant made a constant tensor once per input. */
export function tensorOf(get: (i: number) => Val, constant: (role: string, dims: readonly number[], values: ArrayLike<number>) => T): (i: number, role?: string) => T {
  const made = new Map<number, T>();
  return (i, role = 'c') => {
    const v = get(i);
    if (v.kind === 'tensor') return v.t;
    let t = made.get(i);
    if (!t) {
      t = constant(role, v.dims, v.values);
      made.set(i, t);
    }
    return t;
  };
}

/** Turns one ONNX node into tensor equations (or folds it): its output values in order. */
export type OnnxExtractor = (ctx: OnnxContext) => Val[];

/** A folded value. */
export function konst(dims: readonly number[], values: ArrayLike<number>, dtype: DType): Const {
  return { kind: 'const', dims: [...dims], values: Float64Array.from(values), dtype };
}

/** The same values in a new shape or order, of the same element type. */
export function moved(c: Const, dims: readonly number[], values: ArrayLike<number>): Const {
  return konst(dims, values, c.dtype);
}

/** The element type of a decoded ONNX tensor (a string tensor is refused). */
export function dtypeOf(ctx: OnnxContext, t: OnnxTensor): DType {
  if (t.dtype === 'string') return ctx.fail(`tensor '${t.name}' holds strings, which take no part in a formula`);
  return t.dtype;
}

/** The element type of a value. */
export function dtypeOfVal(v: Val): DType {
  return v.kind === 'const' ? v.dtype : v.dtype ?? 'float32';
}

/** A tensor value (of element type `dtype`, or the type the graph walker gives the node's outputs). */
export function tensor(t: T, dtype?: DType): Tensor {
  return dtype ? { kind: 'tensor', t, dtype } : { kind: 'tensor', t };
}

/** The full shape of a value. */
export function dimsOf(v: Val): readonly number[] {
  return v.kind === 'const' ? v.dims : v.t.shape;
}

/** An axis attribute made non-negative (ONNX counts negative axes from the end). */
export function axisOf(ctx: OnnxContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) return ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Transposes row-major values of `shape` by `perm`. */
export function permute(values: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): Float64Array {
  const out = new Float64Array(values.length);
  const outShape = perm.map((p) => shape[p]);
  const inStrides = strides(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let at = 0;
    for (let i = 0; i < rank; i++) at += idx[i] * inStrides[perm[i]];
    out[o] = values[at];
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

/** Numpy broadcasting of two shapes, or null. */
export function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The values of `c` broadcast to `shape` (row-major). */
export function expandValues(c: Const, shape: readonly number[]): Float64Array {
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  const rank = shape.length;
  const cs = strides(c.dims);
  const os = strides(shape);
  for (let o = 0; o < n; o++) {
    let at = 0;
    let rest = o;
    for (let i = 0; i < rank; i++) {
      const q = Math.floor(rest / os[i]);
      rest -= q * os[i];
      const k = c.dims.length - rank + i;
      if (k >= 0 && c.dims[k] !== 1) at += q * cs[k];
    }
    out[o] = c.values[at];
  }
  return out;
}
