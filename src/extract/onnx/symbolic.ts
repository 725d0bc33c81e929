import type { OnnxNode } from '../../load/onnx/types.js';
import { isInteger } from '../../tensor/dtype.js';
import { sizeOf } from '../../tensor/program.js';
import { broadcast, expandValues, konst, type Const, type Val } from './context.js';
import { elementwiseOps } from './elementwise.js';

/**
 * A sequence axis of any length (issue 27): a symbolic dimension of an ONNX input that is not the
 * batch stays open in the tensor form, as -1 in every shape it reaches (the length T). PyTorch's
 * exporter computes reshape targets from it (Shape → Gather → Mul/Div → Unsqueeze → Concat): such
 * folded values are linear in T, value + T·sym (Const.sym), carried through the ops that keep them
 * linear, and turned back into -1 by Reshape. Anything else that needs T's value (a mask of
 * [T, T], an arange(T), a slice of a fixed buffer by T) is refused in one line asking for the
 * length with --input-shape.
 */

/** The open length of a build: the input that has it and how to fix it (the hint of every refusal). */
export interface OpenLength {
  /** The symbolic dimension's name in the file (e.g. 'T'). */
  readonly symbol: string;
  /** "give the length with --input-shape input1:1xNx16" */
  readonly hint: string;
}

/** A folded value with a part proportional to the open length T. */
export type Symbolic = Const & { readonly sym: Float64Array };

export function isSymbolic(v: Val | undefined): v is Symbolic {
  return v !== undefined && v.kind === 'const' && v.sym !== undefined;
}

/** A folded value that is `values + T·sym` (sym dropped when it is zero). */
export function linear(dims: readonly number[], values: ArrayLike<number>, sym: ArrayLike<number>, dtype: Const['dtype']): Const {
  const c = konst(dims, values, dtype);
  return Array.prototype.some.call(sym, (s: number) => s !== 0) ? { ...c, sym: Float64Array.from(sym) } : c;
}

/** The value at one length T (a plain folded value). */
function at(c: Symbolic, t: number): Const {
  return konst(c.dims, c.values.map((v, i) => v + t * c.sym[i]), c.dtype);
}

/**
 * Ops that fold values linear in T to values linear in T, with the inputs that may be such values:
 * movement of shape vectors, and integer Add / Sub / Mul / Div / Neg (checked: Mul of two such
 * values, or a Div that does not divide exactly, is refused).
 */
const LINEAR: Readonly<Record<string, (i: number) => boolean>> = {
  Identity: (i) => i === 0,
  Cast: (i) => i === 0,
  Reshape: (i) => i === 0,
  Flatten: (i) => i === 0,
  Squeeze: (i) => i === 0,
  Unsqueeze: (i) => i === 0,
  Transpose: (i) => i === 0,
  Gather: (i) => i === 0,
  Slice: (i) => i === 0,
  Split: (i) => i === 0,
  Expand: (i) => i === 0,
  Concat: () => true,
  Add: () => true,
  Sub: () => true,
  Sum: () => true,
  Neg: (i) => i === 0,
  Mul: () => true,
  Div: (i) => i === 0,
};

/** Lengths at which a linear fold is checked (T = 0 and 1 give its two parts). */
const CHECK_AT = [2, 3, 1000];

/**
 * Folds `node` on inputs some of which are linear in T: the extractor run (`run`) with T = 0 and
 * T = 1 gives the two parts, and runs at other lengths check that the result is linear. Null when
 * the op or the input positions are not ones that keep values linear, or `why` for a refusal.
 */
export function foldLinear(node: OnnxNode, inputs: readonly (Val | undefined)[], run: (inputs: readonly (Val | undefined)[]) => Val[]): Val[] | string {
  const why = foldProblem(node, inputs, run);
  if (typeof why !== 'string') return why;
  const shape = inputs[0] !== undefined && inputs[0].kind === 'const' ? openShape(inputs[0]) : null;
  if (node.opType === 'ConstantOfShape' && shape) return `builds a constant of shape [${shape.map((d) => (d === -1 ? 'T' : d)).join(', ')}] from a sequence axis of any length (T), which needs T fixed`;
  if (node.opType === 'Range') return 'counts up to a sequence length of any length (T), which needs T fixed';
  if (node.opType === 'Slice' && !isSymbolic(inputs[0])) return 'slices a fixed tensor by a sequence length of any length (T), which needs T fixed';
  return `computes with a sequence length of any length (T): it ${why}, which needs T fixed`;
}

function foldProblem(node: OnnxNode, inputs: readonly (Val | undefined)[], run: (inputs: readonly (Val | undefined)[]) => Val[]): Val[] | string {
  const ok = LINEAR[node.opType];
  if (!ok) return `is not an op nn2eq folds on T`;
  if (inputs.some((v) => v !== undefined && v.kind !== 'const')) return 'takes part with computed values';
  const bad = inputs.findIndex((v, i) => isSymbolic(v) && !ok(i));
  if (bad >= 0) return `takes it as input ${bad + 1}, which must be known`;
  if (inputs.some((v) => v !== undefined && v.kind === 'const' && !isInteger(v.dtype))) return 'computes with it as a floating-point value';
  if (node.opType === 'Cast' && !castKeepsInteger(node)) return 'casts it to a type other than an integer';
  if (node.opType === 'Div') {
    const [a, b] = inputs as Const[];
    const out = broadcast(a.dims, b.dims);
    if (!out) return 'divides shapes that do not broadcast';
    const [base, sym, d] = [konst(a.dims, a.values, a.dtype), konst(a.dims, (a as Symbolic).sym, a.dtype), b].map((c) => expandValues(c, out));
    if (d.some((x, i) => x === 0 || base[i] % x !== 0 || sym[i] % x !== 0)) return 'divides it with a remainder for some lengths';
  }
  const runAt = (t: number) => run(inputs.map((v) => (isSymbolic(v) ? at(v, t) : v)));
  const zero = runAt(0);
  const one = runAt(1);
  const outs: Val[] = [];
  for (let k = 0; k < zero.length; k++) {
    const [z, o] = [zero[k], one[k]];
    if (z.kind !== 'const' || o.kind !== 'const' || z.dims.join() !== o.dims.join()) return 'gives a result that is not folded the same way at every length';
    outs.push(linear(z.dims, z.values, o.values.map((v, i) => v - z.values[i]), z.dtype));
  }
  for (const t of CHECK_AT) {
    const got = runAt(t);
    const fits = got.every((g, k) => {
      const want = outs[k] as Const;
      return g.kind === 'const' && g.dims.join() === want.dims.join() && g.values.every((v, i) => v === want.values[i] + t * (want.sym?.[i] ?? 0));
    });
    if (!fits) return 'gives a result that is not proportional to T (a product of two lengths, or a remainder)';
  }
  return outs;
}

function castKeepsInteger(node: OnnxNode): boolean {
  const to = node.attributes.get('to');
  // TensorProto.DataType: INT8 3, UINT16 4, INT16 5, INT32 6, INT64 7, UINT32 12, UINT64 13.
  return to?.type === 'int' && [5, 6, 7, 12, 13].includes(to.value);
}

/**
 * A shape given by values linear in T, as the tensor program writes it: T itself is -1; any other
 * multiple of T is null (the program has no axis of length 2T).
 */
export function openShape(c: Const): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < c.values.length; i++) {
    const s = c.sym?.[i] ?? 0;
    if (s === 0) out.push(Math.trunc(c.values[i]));
    else if (s === 1 && c.values[i] === 0) out.push(-1);
    else return null;
  }
  return out;
}

/** Ops whose every output element is a function of the input elements at the same place (broadcast): any axis may have any length. */
const ELEMENTWISE: ReadonlySet<string> = new Set(Object.keys(elementwiseOps));

/**
 * Why `node` cannot take a tensor with an axis of any length (-1 in its shape), or null when it
 * can. The ops that can were checked at several lengths against PyTorch (test/onnx-any-length.test.ts):
 * element-wise ops, products, moves that keep the axis whole, and ops along other axes (softmax
 * along it too). Any other op meeting such an axis is refused, never built from a shape with -1 in it.
 */
export function openAxisProblem(node: OnnxNode, opset: number, inputs: readonly (Val | undefined)[]): string | null {
  const op = node.opType;
  const shapes = inputs.map((v) => (v === undefined ? undefined : v.kind === 'const' ? v.dims : v.t.shape));
  const open = (s: readonly number[] | undefined) => s !== undefined && s.includes(-1);
  if (!shapes.some(open)) return null;
  if (ELEMENTWISE.has(op) || ['MatMul', 'Gemm', 'Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Shape', 'Size'].includes(op)) return null;
  const x = shapes[0] ?? [];
  const shown = (s: readonly number[]) => `[${s.map((d) => (d === -1 ? 'T' : d)).join(', ')}]`;
  const along = axesOf(node, opset, x.length, inputs);
  if (along !== null) {
    // The reductions flatten the axes they keep into one: two of length T would make one of T².
    if (op.startsWith('Reduce') && x.filter((d) => d === -1).length > 1) return `reduces ${shown(x)}, which has two axes of any length`;
    if (along.every((a) => x[a] !== -1)) return null;
    if ((op === 'Softmax' || op === 'LogSoftmax') && along.length === 1) return null;
    return `works along the axis of any length of ${shown(x)}`;
  }
  return `takes a tensor with an axis of any length, ${shown(shapes.find(open)!)}`;
}

/** The axes an op works along (non-negative), for the ops that work along some; null for any other op, or axes not known. */
function axesOf(node: OnnxNode, opset: number, rank: number, inputs: readonly (Val | undefined)[]): number[] | null {
  const int = (name: string, d: number) => {
    const a = node.attributes.get(name);
    return a?.type === 'int' ? a.value : d;
  };
  const list = (name: string, input: number, fromInput: boolean): number[] | null => {
    if (!fromInput) {
      const a = node.attributes.get(name);
      return a?.type === 'ints' ? a.value : null;
    }
    const v = inputs[input];
    return v === undefined ? null : v.kind === 'const' && !isSymbolic(v) ? Array.from(v.values) : [];
  };
  const pos = (a: number) => (a < 0 ? a + rank : a);
  const from = (a: number) => Array.from({ length: rank - pos(a) }, (_, i) => pos(a) + i);
  const all = Array.from({ length: rank }, (_, i) => i);
  switch (node.opType) {
    case 'Softmax':
    case 'LogSoftmax':
      return opset >= 13 ? [pos(int('axis', -1))] : from(int('axis', 1));
    case 'LayerNormalization':
      return from(int('axis', -1));
    case 'Concat':
    case 'Split':
    case 'Gather':
      return [pos(int('axis', 0))];
    case 'Slice': {
      const axes = opset < 10 ? list('axes', 0, false) : list('axes', 3, true);
      // An empty list: axes that are not constant (refused), or none given (every axis the starts name).
      return axes === null || (opset >= 10 && inputs[3] === undefined) ? all : axes.length ? axes.map(pos) : all;
    }
    case 'ReduceMean':
    case 'ReduceSum':
    case 'ReduceMax':
    case 'ReduceMin': {
      const fromInput = opset >= 18 || (node.opType === 'ReduceSum' && opset >= 13);
      const axes = list('axes', 1, fromInput);
      return axes === null || axes.length === 0 ? all : axes.map(pos);
    }
    default:
      return null;
  }
}

/** The size of a shape with axes of length T (-1): a value linear in T, or null for T². */
export function openSize(dims: readonly number[]): Const | null {
  const opens = dims.filter((d) => d === -1).length;
  const rest = sizeOf(dims.filter((d) => d !== -1));
  if (opens > 1) return null;
  return opens === 0 ? konst([], [rest], 'int64') : linear([], [0], [rest], 'int64');
}
