import { attrFloat, attrInt, attrString } from '../../load/onnx/attributes.js';
import type { FnName } from '../../tensor/functions.js';
import { DTYPES, dtypeName } from '../../load/onnx/tensor.js';
import { E8M0_ROUND_MODES, intRange, isFloat, isInteger, roundToFloat, SMALL_FLOATS, toFloat8e8m0, toSmallFloat, wrapInteger, type DType } from '../../tensor/dtype.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { broadcast, dimsOf, dtypeOfVal, expandValues, konst, tensor, type Const, type OnnxContext, type OnnxExtractor, type Val } from './context.js';

/**
 * Element-wise ONNX ops as `map` equations: activations (one row of the ELEMENTWISE table each)
 * and arithmetic with numpy broadcasting. A constant operand that holds one number and does not
 * widen the result becomes a parameter (x + 3 prints as x + 3, not as a tensor of threes).
 */

/** Folds a binary op over two constants with broadcasting; the result has element type `dtype`. */
function foldBinary(ctx: OnnxContext, a: Const, b: Const, f: (x: number, y: number) => number, dtype: DType): Const {
  const shape = broadcast(a.dims, b.dims) ?? ctx.fail(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
  const xa = expandValues(a, shape);
  const xb = expandValues(b, shape);
  return konst(shape, xa.map((v, i) => f(v, xb[i])), dtype);
}

/** The one number of a constant whose elements are all equal and which does not widen `other`, else null. */
function uniform(c: Const, other: readonly number[]): number | null {
  if (c.values.length === 0 || c.values.some((v) => v !== c.values[0])) return null;
  const out = broadcast(c.dims, other);
  if (!out || out.length !== other.length || out.some((d, i) => d !== other[i])) return null;
  return c.values[0];
}

type Binary = 'add' | 'sub' | 'mul' | 'div';
const FOLD: Record<Binary, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

/** Integer arithmetic as ONNX defines it, exact (BigInt): Div truncates toward zero, results wrap. */
const INT_FOLD: Record<Binary | 'mod' | 'fmod' | 'shl' | 'shr', (x: bigint, y: bigint) => bigint> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  // Mod with fmod=0: the remainder takes the divisor's sign (Python's %); fmod=1: the dividend's (C's fmod).
  mod: (x, y) => {
    const r = x % y;
    return r !== 0n && r < 0n !== y < 0n ? r + y : r;
  },
  fmod: (x, y) => x % y,
  shl: (x, y) => x << y,
  shr: (x, y) => x >> y,
};

/** An integer operand as an exact BigInt (a value beyond ±2^53 was rounded when read: refused). */
function exactInt(ctx: OnnxContext, x: number, dtype: DType): bigint {
  if (!Number.isSafeInteger(x)) return ctx.fail(`folds the ${dtype} value ${x}, beyond ±2^53, which nn2eq cannot hold exactly`);
  return BigInt(x);
}

/** Folds integer arithmetic exactly, wrapping the result into `dtype` as ONNX does. */
function intFold(ctx: OnnxContext, kind: keyof typeof INT_FOLD, dtype: DType): (x: number, y: number) => number {
  return (x, y) => {
    const [a, b] = [exactInt(ctx, x, dtype), exactInt(ctx, y, dtype)];
    if ((kind === 'div' || kind === 'mod' || kind === 'fmod') && b === 0n) return ctx.fail(`divides the ${dtype} value ${x} by zero, which ONNX leaves undefined`);
    const r = wrapInteger(INT_FOLD[kind](a, b), dtype);
    if (Number.isNaN(r)) return ctx.fail(`folds a ${dtype} result beyond ±2^53, which nn2eq cannot hold exactly`);
    return r;
  };
}

/** The common element type of two constants (ONNX requires both operands to have it). */
function sameType(ctx: OnnxContext, a: Const, b: Const): DType {
  if (a.dtype !== b.dtype) return ctx.fail(`its operands have element types ${a.dtype} and ${b.dtype}; ONNX requires one type`);
  return a.dtype;
}

/** Folds + − × ÷ over two constants in their element type. */
function foldArith(ctx: OnnxContext, kind: Binary, a: Const, b: Const): Const {
  const dtype = sameType(ctx, a, b);
  if (dtype === 'bool') return ctx.fail('does arithmetic on bool values, which ONNX does not define');
  if (isInteger(dtype)) return foldBinary(ctx, a, b, intFold(ctx, kind, dtype), dtype);
  return foldBinary(ctx, a, b, (x, y) => roundToFloat(FOLD[kind](x, y), dtype), dtype);
}

/** Bits of an integer type of at most 32 bits (whose overflow nn2eq prints as a wrap), else 0. */
function narrowBits(dtype: DType): number {
  if (!isInteger(dtype)) return 0;
  const bits = intRange(dtype)[1].toString(2).length + (dtype.startsWith('u') ? 0 : 1);
  return bits <= 32 ? bits : 0;
}

/**
 * A computed whole number brought into its integer type: wrapped when the type has at most 32
 * bits (exact in float64); int64 and uint64 values stay below 2^53, where float64 holds them.
 */
export function wrapped(ctx: OnnxContext, t: T, dtype: DType): Val {
  const bits = narrowBits(dtype);
  if (bits === 0) return tensor(t, dtype);
  return tensor(ctx.map('wrap', [t], [bits, dtype.startsWith('u') ? 0 : 1]), dtype);
}

/** + − × ÷ on computed integer values, as ONNX defines them (÷ truncates; narrow types wrap). */
function intBinary(ctx: OnnxContext, kind: Binary, a: Val, b: Val): Val {
  const dtype = dtypeOfVal(a);
  if (dtype !== dtypeOfVal(b)) return ctx.fail(`its operands have element types ${dtype} and ${dtypeOfVal(b)}; ONNX requires one type`);
  if (dtype === 'bool') return ctx.fail('does arithmetic on bool values, which ONNX does not define');
  const ca = a.kind === 'const' && b.kind === 'tensor' ? uniform(a, b.t.shape) : null;
  const cb = b.kind === 'const' && a.kind === 'tensor' ? uniform(b, a.t.shape) : null;
  if (kind === 'div') {
    if (cb === 0) return ctx.fail(`divides ${dtype} values by zero, which ONNX leaves undefined`);
    if (cb !== null && a.kind === 'tensor') return tensor(ctx.map('int_div_by', [a.t], [cb]), dtype);
    return tensor(ctx.map('int_div', [ctx.tensor(0), ctx.tensor(1)]), dtype);
  }
  // A product of two 32-bit values can pass 2^53, where float64 would round it before the wrap:
  // it is taken modulo 2^32 in 16-bit halves (mul_wrap32), exact, then wrapped.
  const c = ca ?? cb;
  if (kind === 'mul' && narrowBits(dtype) === 32 && !(c !== null && Math.abs(c) <= 2 ** 21)) return wrapped(ctx, ctx.map('mul_wrap32', [ctx.tensor(0), ctx.tensor(1)], [], '_'), dtype);
  let t: T;
  if (cb !== null && a.kind === 'tensor') {
    const [scale, offset] = kind === 'add' ? [1, cb] : kind === 'sub' ? [1, -cb] : [cb, 0];
    t = ctx.map('affine', [a.t], [scale, offset]);
  } else if (ca !== null && b.kind === 'tensor') {
    const [scale, offset] = kind === 'add' ? [1, ca] : kind === 'sub' ? [-1, ca] : [ca, 0];
    t = ctx.map('affine', [b.t], [scale, offset]);
  } else {
    t = ctx.map(kind, [ctx.tensor(0), ctx.tensor(1)]);
  }
  return wrapped(ctx, t, dtype);
}

function binary(kind: Binary): OnnxExtractor {
  return (ctx) => {
    const a = ctx.val(0);
    const b = ctx.val(1);
    if (a.kind === 'const' && b.kind === 'const') return [foldArith(ctx, kind, a, b)];
    if (!isFloat(dtypeOfVal(a))) return [intBinary(ctx, kind, a, b)];
    if (a.kind === 'tensor' && b.kind === 'const') {
      const c = uniform(b, a.t.shape);
      if (c !== null) {
        const [scale, offset] = kind === 'add' ? [1, c] : kind === 'sub' ? [1, -c] : kind === 'mul' ? [c, 0] : [1 / c, 0];
        return [tensor(ctx.map('affine', [a.t], [scale, offset]))];
      }
    }
    if (a.kind === 'const' && b.kind === 'tensor' && kind !== 'div') {
      const c = uniform(a, b.t.shape);
      if (c !== null) {
        const [scale, offset] = kind === 'add' ? [1, c] : kind === 'sub' ? [-1, c] : [c, 0];
        return [tensor(ctx.map('affine', [b.t], [scale, offset]))];
      }
    }
    return [tensor(ctx.map(kind, [ctx.tensor(0), ctx.tensor(1)]))];
  };
}

/** Mod: integers by the fmod attribute; floats only as C's fmod (fmod=1), as ONNX requires. */
const mod: OnnxExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  const fmod = attrInt(ctx.node, 'fmod', 0);
  if (a.kind === 'const' && b.kind === 'const') {
    const dtype = sameType(ctx, a, b);
    if (isInteger(dtype)) return [foldBinary(ctx, a, b, intFold(ctx, fmod === 1 ? 'fmod' : 'mod', dtype), dtype)];
    if (dtype === 'bool' || fmod !== 1) return ctx.fail(`Mod of ${dtype} values needs fmod=1, as ONNX defines it`);
    return [foldBinary(ctx, a, b, (x, y) => roundToFloat(x % y, dtype), dtype)];
  }
  const dtype = dtypeOfVal(a);
  if (dtypeOfVal(b) !== dtype || dtype === 'bool') return ctx.fail(`takes the remainder of ${dtype} by ${dtypeOfVal(b)} values; ONNX's Mod needs one numeric type`);
  // A float remainder is C's fmod, exact (so already a value of the input's type): ONNX requires fmod=1 for floats.
  if (!isInteger(dtype)) return fmod === 1 ? [tensor(ctx.map('fmod', [ctx.tensor(0), ctx.tensor(1)]), dtype)] : ctx.fail(`Mod of ${dtype} values needs fmod=1, as ONNX defines it`);
  return [tensor(ctx.map(fmod === 1 ? 'int_fmod' : 'int_mod', [ctx.tensor(0), ctx.tensor(1)]), dtype)];
};

/** BitShift of unsigned integers (the only types ONNX defines it for). */
const bitShift: OnnxExtractor = (ctx) => {
  const a = ctx.val(0);
  const b = ctx.val(1);
  const dir = attrString(ctx.node, 'direction', '');
  if (dir !== 'LEFT' && dir !== 'RIGHT') return ctx.fail(`direction '${dir}', expected LEFT or RIGHT`);
  if (a.kind === 'const' && b.kind === 'const') {
    const dtype = sameType(ctx, a, b);
    if (!dtype.startsWith('uint')) return ctx.fail(`shifts ${dtype} values; ONNX defines BitShift for unsigned integers`);
    const bits = intRange(dtype)[1].toString(2).length;
    const shift = intFold(ctx, dir === 'LEFT' ? 'shl' : 'shr', dtype);
    return [foldBinary(ctx, a, b, (x, y) => (y >= bits ? ctx.fail(`shifts a ${dtype} value by ${y} bits, which C++ (and so ONNX Runtime) leaves undefined`) : shift(x, y)), dtype)];
  }
  // Computed: x·2^y wrapped into the type (a product by a power of two is exact), or ⌊x / 2^y⌋.
  const dtype = dtypeOfVal(a);
  if (!dtype.startsWith('uint') || dtypeOfVal(b) !== dtype) return ctx.fail(`shifts ${dtype} values by ${dtypeOfVal(b)} amounts; ONNX defines BitShift for one unsigned integer type`);
  const bits = intRange(dtype)[1].toString(2).length;
  if (b.kind === 'const' && b.values.some((y) => y >= bits)) return ctx.fail(`shifts a ${dtype} value by ${Math.max(...b.values)} bits, which C++ (and so ONNX Runtime) leaves undefined`);
  const factor = b.kind === 'const' ? ctx.const('p', b.dims, b.values.map((y) => 2 ** y)) : ctx.map('power', [ctx.const('two', [1], [2]), b.t], [], '_');
  const x = ctx.tensor(0);
  if (dir === 'LEFT') return [wrapped(ctx, ctx.map('mul', [x, factor], [], '_'), dtype)];
  return [tensor(ctx.map('floor', [ctx.map('div', [x, factor], [], '_')]), dtype)];
};

function variadic(fn: FnName, fold: (ctx: OnnxContext, a: Const, b: Const) => Const): OnnxExtractor {
  return (ctx) => {
    const vals = ctx.node.inputs.map((_, i) => ctx.val(i));
    if (vals.length === 1) return [vals[0]];
    if (vals.every((v) => v.kind === 'const')) {
      let acc = vals[0] as Const;
      for (const v of vals.slice(1)) acc = fold(ctx, acc, v as Const);
      return [acc];
    }
    return [tensor(ctx.map(fn, vals.map((_, i) => ctx.tensor(i))))];
  };
}

/** A unary op; `params` reads the node's attributes. */
function unary(fn: FnName, params: (ctx: OnnxContext) => number[] = () => []): OnnxExtractor {
  return (ctx) => [tensor(ctx.map(fn, [ctx.tensor(0)], params(ctx)))];
}

/**
 * A unary op folded on a constant: `f` in float64, rounded to the float type; `int` for integer
 * types (exact, wrapped), or undefined where ONNX defines the op for floats only.
 */
function unaryFold(fn: FnName, f: (x: number) => number, int?: (x: bigint) => bigint): OnnxExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    if (v.kind === 'const') return [foldUnary(ctx, v, f, int)];
    const dtype = dtypeOfVal(v);
    if (isFloat(dtype)) return [tensor(ctx.map(fn, [v.t]))];
    if (!int || dtype === 'bool') return ctx.fail(`${ctx.node.opType} of ${dtype} values, which ONNX defines for floating-point types only`);
    // Neg and Abs of the most negative value wrap back to it.
    return [wrapped(ctx, ctx.map(fn, [v.t]), dtype)];
  };
}

function foldUnary(ctx: OnnxContext, v: Const, f: (x: number) => number, int?: (x: bigint) => bigint): Const {
  const dtype = v.dtype;
  if (isFloat(dtype)) return konst(v.dims, v.values.map((x) => roundToFloat(f(x), dtype)), dtype);
  if (!int || dtype === 'bool') return ctx.fail(`${ctx.node.opType} of ${dtype} values, which ONNX defines for floating-point types only`);
  return konst(v.dims, v.values.map((x) => {
    const r = wrapInteger(int(exactInt(ctx, x, dtype)), dtype);
    return Number.isNaN(r) ? ctx.fail(`folds a ${dtype} result beyond ±2^53, which nn2eq cannot hold exactly`) : r;
  }), dtype);
}

/** Round half to even (ONNX Round, numpy.round). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** Floor, Ceil, Round, Sign: folded on constants; `fn` prints them on computed values (Round: none). */
function rounding(f: (x: number) => number, fn: FnName | null, int?: (x: bigint) => bigint): OnnxExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    if (v.kind === 'const') return [foldUnary(ctx, v, f, int)];
    const dtype = dtypeOfVal(v);
    if (!isFloat(dtype) && !(int && dtype !== 'bool')) return ctx.fail(`${ctx.node.opType} of ${dtype} values, which ONNX defines for floating-point types only`);
    if (fn === null) return ctx.fail(`rounds computed values half to even (${ctx.node.opType}), which nn2eq does not print`, 'nn2eq folds Round only in shape arithmetic');
    return [tensor(ctx.map(fn, [v.t]), dtype)];
  };
}

const clip: OnnxExtractor = (ctx) => {
  let lo = NaN;
  let hi = NaN;
  if (ctx.opset < 11) {
    lo = attrFloat(ctx.node, 'min', NaN);
    hi = attrFloat(ctx.node, 'max', NaN);
  } else {
    // Bounds computed at run time: max(x, lo) then min(·, hi) element-wise.
    if ((ctx.has(1) && ctx.val(1).kind === 'tensor') || (ctx.has(2) && ctx.val(2).kind === 'tensor')) {
      let y = ctx.tensor(0);
      if (ctx.has(1)) y = ctx.map('maximum', [y, ctx.tensor(1, 'lo')], [], ctx.has(2) ? '_' : 'h');
      if (ctx.has(2)) y = ctx.map('minimum', [y, ctx.tensor(2, 'hi')]);
      return [tensor(y)];
    }
    if (ctx.has(1)) lo = ctx.constant(1, 'min').values[0];
    if (ctx.has(2)) hi = ctx.constant(2, 'max').values[0];
  }
  if (Number.isNaN(lo) && Number.isNaN(hi)) return [ctx.val(0)];
  return [tensor(ctx.map('clip', [ctx.tensor(0)], [lo, hi]))];
};

const pow: OnnxExtractor = (ctx) => {
  const x = ctx.val(0);
  const y = ctx.val(1);
  if (x.kind === 'const' && y.kind === 'const') {
    const dtype = x.dtype;
    if (dtype === 'bool') return ctx.fail('raises bool values to a power, which ONNX does not define');
    if (isFloat(dtype)) return [foldBinary(ctx, x, y, (p, q) => roundToFloat(Math.pow(p, q), dtype), dtype)];
    // ONNX Runtime computes static_cast<T>(std::pow(x, y)) in double: 2^-1 is 0 in int64.
    const [lo, hi] = intRange(dtype);
    return [foldBinary(ctx, x, y, (p, q) => {
      const r = Math.trunc(Math.pow(p, q));
      if (!Number.isSafeInteger(r) || r < lo || r > hi) return ctx.fail(`folds ${p}^${q}, which ${dtype} cannot hold (ONNX Runtime's result is undefined)`);
      return r;
    }, dtype)];
  }
  if (x.kind === 'tensor' && y.kind === 'const') {
    const p = uniform(y, x.t.shape);
    if (p !== null) return [tensor(ctx.map('pow', [x.t], [p]))];
  }
  // A computed exponent (or base): a^b element by element for a float base, the exponent float or
  // integer (whole numbers, exact in float64), as ONNX Runtime's std::pow in the base's type.
  if (isFloat(dtypeOfVal(x)) && dtypeOfVal(y) !== 'bool') return [tensor(ctx.map('power', [ctx.tensor(0), ctx.tensor(1, 'p')]), dtypeOfVal(x))];
  // An integer base: ONNX Runtime computes static_cast<T>(std::pow(x, y)) in double, the same
  // float64 pow truncated here (2^−1 is 0); a result the type cannot hold is undefined there.
  if (isInteger(dtypeOfVal(x)) && dtypeOfVal(y) !== 'bool') return [tensor(ctx.map('trunc', [ctx.map('power', [ctx.tensor(0), ctx.tensor(1, 'p')], [], '_')]), dtypeOfVal(x))];
  return ctx.fail(`raises computed ${dtypeOfVal(x)} values to a power; nn2eq prints Pow of computed values for a floating-point base`, 'cast the base to float');
};

const prelu: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const s = ctx.val(1);
  let slope = ctx.tensor(1, 'alpha');
  const sd = s.kind === 'const' ? s.dims : s.t.shape;
  // Opset 6 PRelu broadcast a [C] slope over axis 1 of [N, C, …].
  if (sd.length === 1 && x.shape.length > 2 && x.shape[1] === sd[0] && x.shape[x.shape.length - 1] !== sd[0]) {
    slope = ctx.reshape(slope, [sd[0], ...x.shape.slice(2).map(() => 1)], 'alpha');
  }
  return [tensor(ctx.map('prelu', [x, slope]))];
};

const gelu: OnnxExtractor = (ctx) => {
  const approx = attrString(ctx.node, 'approximate', 'none');
  if (approx !== 'none' && approx !== 'tanh') return ctx.fail(`approximate='${approx}', expected 'none' or 'tanh'`);
  return [tensor(ctx.map(approx === 'tanh' ? 'gelu_new' : 'gelu', [ctx.tensor(0)]))];
};

/** Identity-like ops: Dropout (inference), Identity, Cast to a float type. */
const passThrough: OnnxExtractor = (ctx) => {
  if (ctx.node.opType !== 'Dropout') return [ctx.val(0)];
  // Opset 12+: training_mode (input 2) true drops values at random, unless the ratio (input 1, default 0.5) is 0.
  const training = ctx.has(2) && ctx.constant(2, 'training_mode').values.some((v) => v !== 0);
  const ratio = !training ? 0 : ctx.has(1) ? ctx.constant(1, 'ratio').values[0] : 0.5;
  if (ratio !== 0) return ctx.fail(`runs in training mode (training_mode is true) with ratio ${ratio}, where it drops values at random`, 'export the model in eval mode');
  // Inference: the output is the input and the mask is all ones (bool from opset 10, the input's type before).
  const x = ctx.val(0);
  const dims = ctx.shape(0);
  return [x, konst(dims, new Float64Array(sizeOf(dims)).fill(1), ctx.opset >= 10 ? 'bool' : dtypeOfVal(x))];
};

/** One value cast to `to` as ONNX defines it (float→int truncates; int→int wraps; bool is 0/1). */
function castValue(ctx: OnnxContext, x: number, from: DType, to: DType): number {
  if (to === 'bool') return x !== 0 ? 1 : 0;
  if (SMALL_FLOATS[to]) return toSmallFloat(x, to, attrInt(ctx.node, 'saturate', 1) === 1);
  if (to === 'float8e8m0') return toFloat8e8m0(x, attrInt(ctx.node, 'saturate', 1) === 1, e8m0Mode(ctx));
  if (isFloat(to)) return roundToFloat(x, to);
  if (isFloat(from)) {
    const t = Math.trunc(x);
    // A packed type keeps the low bits of the truncated value, as ONNX's reference does (see castTo).
    if (SUB_BYTE.has(to)) return Number.isFinite(t) ? wrapInteger(BigInt(t), to) : ctx.fail(`casts the ${from} value ${x} to ${to}, which has no such value (ONNX leaves the result undefined)`);
    const [lo, hi] = intRange(to);
    if (!(t >= lo && t <= hi)) return ctx.fail(`casts the ${from} value ${x} to ${to}, which cannot hold it (ONNX leaves the result undefined)`);
    if (!Number.isSafeInteger(t)) return ctx.fail(`casts the ${from} value ${x} to ${to}, beyond ±2^53, which nn2eq cannot hold exactly`);
    return t === 0 ? 0 : t;
  }
  // Integer or bool to integer: the bits above the width are dropped.
  const r = wrapInteger(exactInt(ctx, x, from), to);
  return Number.isNaN(r) ? ctx.fail(`casts the ${from} value ${x} to ${to}, beyond ±2^53, which nn2eq cannot hold exactly`) : r;
}

/** A Cast's round_mode (to float8e8m0; 'up' unless given). */
function e8m0Mode(ctx: OnnxContext): (typeof E8M0_ROUND_MODES)[number] {
  const mode = attrString(ctx.node, 'round_mode', 'up');
  return (E8M0_ROUND_MODES as readonly string[]).includes(mode) ? (mode as (typeof E8M0_ROUND_MODES)[number]) : ctx.fail(`round_mode is '${mode}', expected ${E8M0_ROUND_MODES.join(', ')}`);
}

/** The dtype named by a Cast's `to` (TensorProto.DataType). */
function castTarget(ctx: OnnxContext, to: number): DType {
  const d = DTYPES[to];
  if (d === undefined || d === 'string') return ctx.fail(`casts to ${dtypeName(to)}, which nn2eq does not compute with`);
  return d;
}

/** The packed integer types (4 and 2 bits): a float cast to them truncates, then keeps the low bits. */
const SUB_BYTE: ReadonlySet<DType> = new Set(['int4', 'uint4', 'int2', 'uint2']);

function castTo(ctx: OnnxContext, to: DType): Val[] {
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(v.dims, v.values.map((x) => castValue(ctx, x, v.dtype, to)), to)];
  const from = dtypeOfVal(v);
  if (to === 'bool') return [tensor(from === 'bool' ? v.t : ctx.map('nonzero', [v.t]), to)];
  // To a small float type: rounded, then saturated (or ∞ / NaN past its largest value), as ONNX's Cast defines.
  const small = SMALL_FLOATS[to];
  if (small) {
    const saturate = attrInt(ctx.node, 'saturate', 1) === 1;
    const mode = small.over === 'none' ? 3 : saturate ? 0 : small.over === 'inf' ? 1 : 2;
    return [tensor(ctx.map('round_small', [v.t], [small.p, small.emin, small.max, mode]), to)];
  }
  // To float8e8m0: from the value as a float32 (ONNX's reference casts to float32 first), a power of two by its exponent.
  if (to === 'float8e8m0') {
    const exact32 = from === 'float16' || from === 'bfloat16' || from === 'float8e8m0' || from === 'bool' || SMALL_FLOATS[from] !== undefined;
    const a = ctx.map('abs', [exact32 ? v.t : ctx.map('round_float32', [v.t], [], '_')], [], '_');
    return [tensor(ctx.map('to_e8m0', [a, ctx.map('floor_log2', [a], [], '_')], [attrInt(ctx.node, 'saturate', 1) === 1 ? 1 : 0, E8M0_ROUND_MODES.indexOf(e8m0Mode(ctx))]), to)];
  }
  // To a float type: whole numbers (below 2^53) and bools are already their float values.
  if (isFloat(to)) return [tensor(v.t, to)];
  // Float to integer truncates (ONNX leaves values the type cannot hold undefined). To a packed type,
  // the truncated value keeps its low bits, two's complement (−9 → 7 in int4): ONNX's reference
  // (numpy's astype to ml_dtypes' int4) and its conformance data do so, and its integer-to-integer
  // rule says the same; ONNX Runtime clamps (−9 → −8). Both agree wherever the type holds the value.
  if (isFloat(from)) {
    const t = ctx.map('trunc', [v.t], [], SUB_BYTE.has(to) ? '_' : 'h');
    return [SUB_BYTE.has(to) ? wrapped(ctx, t, to) : tensor(t, to)];
  }
  // Integer to integer wraps where the target cannot hold every value of the source.
  const [lo, hi] = intRange(from === 'bool' ? 'uint8' : from);
  const [tlo, thi] = intRange(to);
  if (from === 'bool' || (lo >= tlo && hi <= thi)) return [tensor(v.t, to)];
  const bits = narrowBits(to);
  if (bits === 0) return ctx.fail(`casts ${from} values to ${to}, whose wrap float64 cannot compute exactly`);
  return [tensor(ctx.map('wrap', [v.t], [bits, to.startsWith('u') ? 0 : 1]), to)];
}

const cast: OnnxExtractor = (ctx) => castTo(ctx, castTarget(ctx, attrInt(ctx.node, 'to', 1)));

/** Each comparison with a number on its right, and on its left. */
const COMPARE_WITH: Partial<Record<FnName, readonly [FnName, FnName]>> = {
  greater: ['greater_than', 'less_than'],
  less: ['less_than', 'greater_than'],
  greater_equal: ['at_least', 'at_most'],
  less_equal: ['at_most', 'at_least'],
  equal: ['equal_to', 'equal_to'],
};

/** Comparisons: folded on constants, 0/1 (bool) tensors on computed values; a constant holding one number prints as that number. */
function compare(fn: FnName, f: (x: number, y: number) => boolean): OnnxExtractor {
  return (ctx) => {
    const a = ctx.val(0);
    const b = ctx.val(1);
    if (a.kind === 'const' && b.kind === 'const') return [foldBinary(ctx, a, b, (x, y) => (f(x, y) ? 1 : 0), 'bool')];
    const [right, left] = COMPARE_WITH[fn]!;
    const cb = a.kind === 'tensor' && b.kind === 'const' ? uniform(b, a.t.shape) : null;
    if (cb !== null && a.kind === 'tensor') return [tensor(ctx.map(right, [a.t], [cb]), 'bool')];
    const ca = b.kind === 'tensor' && a.kind === 'const' ? uniform(a, b.t.shape) : null;
    if (ca !== null && b.kind === 'tensor') return [tensor(ctx.map(left, [b.t], [ca]), 'bool')];
    return [tensor(ctx.map(fn, [ctx.tensor(0), ctx.tensor(1)]), 'bool')];
  };
}

/** IsNaN: [x ≠ x]; IsInf: [x = +∞] and / or [x = −∞] (detect_positive, detect_negative). Folded on constants. */
const isNanOp: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  if (v.kind === 'const') return [konst(v.dims, v.values.map((x) => (Number.isNaN(x) ? 1 : 0)), 'bool')];
  return [tensor(ctx.map('not', [ctx.map('equal', [v.t, v.t], [], '_')]), 'bool')];
};
const isInfOp: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const pos = attrInt(ctx.node, 'detect_positive', 1) === 1;
  const neg = attrInt(ctx.node, 'detect_negative', 1) === 1;
  if (v.kind === 'const') return [konst(v.dims, v.values.map((x) => ((pos && x === Infinity) || (neg && x === -Infinity) ? 1 : 0)), 'bool')];
  if (!pos && !neg) return [konst(v.t.shape, new Float64Array(sizeOf(v.t.shape)), 'bool')];
  const at = (inf: number, role: string) => ctx.map('equal_to', [v.t], [inf], role);
  if (pos && neg) return [tensor(ctx.map('or', [at(Infinity, '_'), at(-Infinity, '_')]), 'bool')];
  return [tensor(at(pos ? Infinity : -Infinity, 'h'), 'bool')];
};

/** Not, And, Or, Xor on bool values (0/1). */
function logic(fn: FnName, f: (x: number, y: number) => number): OnnxExtractor {
  return (ctx) => {
    const vals = ctx.node.inputs.map((_, i) => ctx.val(i));
    if (vals.some((v) => dtypeOfVal(v) !== 'bool')) return ctx.fail(`takes ${vals.map(dtypeOfVal).join(' and ')} values; ONNX defines ${ctx.node.opType} for bool`);
    if (vals.every((v) => v.kind === 'const')) {
      const [a, b] = vals as Const[];
      return [b ? foldBinary(ctx, a, b, f, 'bool') : konst(a.dims, a.values.map((x) => f(x, 0)), 'bool')];
    }
    return [tensor(ctx.map(fn, vals.map((_, i) => ctx.tensor(i))), 'bool')];
  };
}

const where: OnnxExtractor = (ctx) => {
  const c = ctx.val(0);
  const x = ctx.val(1);
  const y = ctx.val(2);
  if (c.kind === 'const' && x.kind === 'const' && y.kind === 'const') {
    const shape = broadcast(broadcast(c.dims, x.dims) ?? [], y.dims) ?? ctx.fail('shapes do not broadcast');
    const cv = expandValues(c, shape);
    const xv = expandValues(x, shape);
    const yv = expandValues(y, shape);
    return [konst(shape, cv.map((v, i) => (v !== 0 ? xv[i] : yv[i])), x.dtype)];
  }
  if (!broadcast(broadcast(dimsOf(c), dimsOf(x)) ?? [], dimsOf(y))) return ctx.fail(`shapes [${dimsOf(c).join(', ')}], [${dimsOf(x).join(', ')}] and [${dimsOf(y).join(', ')}] do not broadcast`);
  const dx = dtypeOfVal(x);
  if (dx !== dtypeOfVal(y)) return ctx.fail(`chooses between ${dx} and ${dtypeOfVal(y)} values; ONNX requires one type`);
  return [tensor(ctx.map('where', [ctx.tensor(0), ctx.tensor(1), ctx.tensor(2)]), dx)];
};

const opt = (name: string, fallback: number) => (ctx: OnnxContext) => [attrFloat(ctx.node, name, fallback)];

/** ONNX op type → extractor for element-wise ops. */
export const elementwiseOps: Record<string, OnnxExtractor> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Sum: (ctx) => {
    const vals = ctx.node.inputs.map((_, i) => ctx.val(i));
    const dtype = dtypeOfVal(vals[0]);
    if (vals.length === 1 || isFloat(dtype) || vals.every((v) => v.kind === 'const')) return variadic('add', (c, a, b) => foldArith(c, 'add', a, b))(ctx);
    if (dtype === 'bool') return ctx.fail('adds bool values, which ONNX does not define');
    return [wrapped(ctx, ctx.map('add', vals.map((_, i) => ctx.tensor(i))), dtype)];
  },
  Max: variadic('maximum', (ctx, a, b) => foldBinary(ctx, a, b, Math.max, sameType(ctx, a, b))),
  Min: variadic('minimum', (ctx, a, b) => foldBinary(ctx, a, b, Math.min, sameType(ctx, a, b))),
  Mean: (ctx) => [tensor(ctx.map('average', ctx.node.inputs.map((_, i) => ctx.tensor(i))))],
  Pow: pow,
  Neg: unaryFold('neg', (x) => -x, (x) => -x),
  Abs: unaryFold('abs', Math.abs, (x) => (x < 0n ? -x : x)),
  Reciprocal: unaryFold('reciprocal', (x) => 1 / x),
  Sqrt: unaryFold('sqrt', Math.sqrt),
  Exp: unaryFold('exp', Math.exp),
  Log: unaryFold('log', Math.log),
  Erf: unary('erf'),
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Softplus: unary('softplus'),
  Softsign: unary('softsign'),
  Mish: unary('mish'),
  HardSwish: unary('hard_swish'),
  Elu: unary('elu', opt('alpha', 1)),
  Celu: unary('celu', opt('alpha', 1)),
  LeakyRelu: unary('leaky_relu', opt('alpha', 0.01)),
  ThresholdedRelu: unary('thresholded_relu', opt('alpha', 1)),
  Selu: unary('selu_ab', (ctx) => [attrFloat(ctx.node, 'alpha', 1.67326319217681884765625), attrFloat(ctx.node, 'gamma', 1.05070102214813232421875)]),
  HardSigmoid: unary('hard_sigmoid_ab', (ctx) => [attrFloat(ctx.node, 'alpha', 0.2), attrFloat(ctx.node, 'beta', 0.5)]),
  Shrink: unary('shrink', (ctx) => [attrFloat(ctx.node, 'lambd', 0.5), attrFloat(ctx.node, 'bias', 0)]),
  Swish: unary('swish_a', opt('alpha', 1)),
  Gelu: gelu,
  PRelu: prelu,
  Clip: clip,
  Identity: passThrough,
  Dropout: passThrough,
  Cast: cast,
  CastLike: (ctx) => castTo(ctx, dtypeOfVal(ctx.val(1))),
  Mod: mod,
  BitShift: bitShift,
  Floor: rounding(Math.floor, 'floor'),
  Ceil: rounding(Math.ceil, 'ceil'),
  Round: rounding(roundHalfEven, 'round_even'),
  Sign: rounding(Math.sign, 'sign', (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n)),
  Not: logic('not', (x) => (x ? 0 : 1)),
  IsNaN: isNanOp,
  IsInf: isInfOp,
  And: logic('and', (x, y) => (x && y ? 1 : 0)),
  Or: logic('or', (x, y) => (x || y ? 1 : 0)),
  Xor: logic('xor', (x, y) => ((x !== 0) !== (y !== 0) ? 1 : 0)),
  Equal: compare('equal', (x, y) => x === y),
  Greater: compare('greater', (x, y) => x > y),
  Less: compare('less', (x, y) => x < y),
  GreaterOrEqual: compare('greater_equal', (x, y) => x >= y),
  LessOrEqual: compare('less_equal', (x, y) => x <= y),
  Where: where,
};
