import { attrInt } from '../../load/onnx/attributes.js';
import { DTYPES } from '../../load/onnx/tensor.js';
import { intRange, isFloat, isInteger, wrapInteger, type DType } from '../../tensor/dtype.js';
import type { FnName } from '../../tensor/functions.js';
import type { T } from '../../tensor/program.js';
import { broadcast, dimsOf, dtypeOfVal, expandValues, konst, tensor, type OnnxContext, type OnnxExtractor } from './context.js';

/**
 * BitwiseAnd, BitwiseOr, BitwiseXor and BitwiseNot of integer tensors (onnx/reference/ops/
 * op_bitwise_*.py: numpy's bitwise ops in the operands' type), in float64 arithmetic that is exact
 * for every width. A value of a w-bit type is its two's complement bits: x = Σₖ 2^k·xₖ over the
 * low bits, minus 2^L·s for a signed type, with s its sign bit and L = w − 1. So a computed
 * a ∘ b is Σₖ 2^k·(aₖ ∘ bₖ) (− 2^L·(s_a ∘ s_b)): each operand's bits along a new last axis
 * (bit: ⌊x/2^k⌋ mod 2, which for k = L is the sign bit, as ⌊x/2^L⌋ is −1 or 0), the bool op of
 * the table on them (and: a·b, or: max, xor: |a − b|), and one weighted sum (dense) with weights
 * 2^k and −2^L. Every step is exact: the bits are 0 or 1 and the sum is of distinct powers of two.
 * int64 and uint64 values are held below 2^53 (as every integer tensor of the program), so they
 * use 53 low bits; BitwiseNot is −x − 1 (signed) or 2^w − 1 − x (unsigned).
 */

/** The bits of a w-bit type and whether it is signed. */
function widthOf(dtype: DType): [number, boolean] {
  const [lo, hi] = intRange(dtype);
  return [Math.round(Math.log2(hi + 1)) + (lo < 0 ? 1 : 0), lo < 0];
}

/** The element type both operands share (ONNX requires one integer type). */
function integerType(ctx: OnnxContext, types: readonly DType[]): DType {
  if (types.some((d) => d !== types[0])) return ctx.fail(`its operands have element types ${types.join(' and ')}; ONNX requires one type`);
  if (!isInteger(types[0])) return ctx.fail(`takes ${types[0]} values; ONNX defines ${ctx.node.opType} for integer types`);
  return types[0];
}

/** An operand folded to an exact BigInt (a value beyond ±2^53 was rounded when read: refused). */
function exact(ctx: OnnxContext, x: number, dtype: DType): bigint {
  if (!Number.isSafeInteger(x)) return ctx.fail(`folds the ${dtype} value ${x}, beyond ±2^53, which nn2eq cannot hold exactly`);
  return BigInt(x);
}

/** A folded result in `dtype` (a 64-bit result beyond ±2^53 is refused). */
function held(ctx: OnnxContext, x: bigint, dtype: DType): number {
  const r = wrapInteger(x, dtype);
  return Number.isNaN(r) ? ctx.fail(`folds a ${dtype} result beyond ±2^53, which nn2eq cannot hold exactly`) : r;
}

/** The low bits a computed value of the type has below its sign (53 for the 64-bit types: values stay below 2^53). */
function lowBits(dtype: DType): number {
  const [w, signed] = widthOf(dtype);
  return Math.min(signed ? w - 1 : w, 53);
}

function binary(fn: FnName, f: (x: bigint, y: bigint) => bigint): OnnxExtractor {
  return (ctx) => {
    const a = ctx.val(0);
    const b = ctx.val(1);
    const dtype = integerType(ctx, [dtypeOfVal(a), dtypeOfVal(b)]);
    const shape = broadcast(dimsOf(a), dimsOf(b)) ?? ctx.fail(`shapes [${dimsOf(a).join(', ')}] and [${dimsOf(b).join(', ')}] do not broadcast`);
    if (a.kind === 'const' && b.kind === 'const') {
      const xa = expandValues(a, shape);
      const xb = expandValues(b, shape);
      return [konst(shape, xa.map((x, i) => held(ctx, f(exact(ctx, x, dtype), exact(ctx, xb[i], dtype)), dtype)), dtype)];
    }
    const signed = widthOf(dtype)[1];
    const low = lowBits(dtype);
    const n = low + (signed ? 1 : 0);
    const powers = ctx.const('p', [n], Float64Array.from({ length: n }, (_, k) => 2 ** k));
    const bits = (i: number): T => {
      const x = ctx.tensor(i);
      return ctx.map('bit', [ctx.reshape(x, [...x.shape, 1]), powers], [], '_');
    };
    const each = ctx.map(fn, [bits(0), bits(1)], [], '_');
    const weights = Float64Array.from({ length: n }, (_, k) => (signed && k === low ? -(2 ** k) : 2 ** k));
    const sum = ctx.op('dense', [each, ctx.const('w', [n, 1], weights)], { pairs: 1, bias: false }, '_')[0];
    return [tensor(ctx.reshape(sum, shape, 'h'), dtype)];
  };
}

const not: OnnxExtractor = (ctx) => {
  const x = ctx.val(0);
  const dtype = integerType(ctx, [dtypeOfVal(x)]);
  if (x.kind === 'const') return [konst(x.dims, x.values.map((v) => held(ctx, ~exact(ctx, v, dtype), dtype)), dtype)];
  const [w, signed] = widthOf(dtype);
  if (!signed && w > 53) return ctx.fail(`BitwiseNot of ${dtype} values gives 2^${w} − 1 − x, at least 2^${w} − 2^53 for every value float64 holds exactly, which float64 cannot hold exactly`, 'nn2eq prints BitwiseNot of the signed types and of unsigned types up to 32 bits');
  return [tensor(ctx.map('affine', [x.t], signed ? [-1, -1] : [-1, 2 ** w - 1]), dtype)];
};

/** Fraction and exponent bits of the float types BitCast reads from integers. */
const FLOAT_BITS: Partial<Record<DType, readonly [number, number]>> = { float32: [23, 8], float16: [10, 5], bfloat16: [7, 8] };

/** Bytes of each element type BitCast may take or give. */
function bytesOf(dtype: DType): number {
  if (dtype === 'bool') return 1;
  if (isInteger(dtype)) return widthOf(dtype)[0] / 8;
  return { float64: 8, float32: 4, float16: 2, bfloat16: 2 }[dtype as string] ?? 0;
}

/**
 * BitCast (opset 25, onnx/reference/ops/op_bit_cast.py): the same bits read as another type of the
 * same width. Integers of one width wrap into the other's range (two's complement); bool is the
 * byte 0 or 1; an integer becomes the float of its bits (functions.ts from_bits, exact). Refused:
 * a float read as an integer (a float64 value holds neither a NaN's bits nor, in every format, the
 * sign of a zero), and the 64-bit types (their bit patterns pass 2^53).
 */
const bitCast: OnnxExtractor = (ctx) => {
  const x = ctx.val(0);
  const from = dtypeOfVal(x);
  const code = attrInt(ctx.node, 'to', 0);
  const to = DTYPES[code];
  if (to === undefined || to === 'string') return ctx.fail(`to is ${code}, which nn2eq does not compute with`);
  const bytes = bytesOf(from);
  if (bytes === 0 || bytesOf(to) === 0 || (bytes === 1 && widthOf(from)[0] < 8 && from !== 'bool')) return ctx.fail(`casts the bits of ${from} to ${to}; nn2eq reads BitCast between integer types, bool and float16, bfloat16, float32`);
  if (bytesOf(to) !== bytes) return ctx.fail(`${from} has ${bytes} bytes and ${to} ${bytesOf(to)}; BitCast needs one width`);
  if (from === to) return [x];
  const readable = 'nn2eq reads integer bits as float16, bfloat16 and float32, and the bits of an integer type (or bool) as another of the same width';
  if (bytes === 8 && !(from === 'uint64' && to === 'int64')) return ctx.fail(`casts the bits of ${from} to ${to}: 64-bit patterns pass 2^53, where nn2eq's float64 values lose bits`, readable);
  // float32 bits as a 32-bit integer: read natively by the formats that can (a float64 value holds
  // neither a NaN's bits nor, in every format, the sign of a zero, so there is no formula for them).
  if (from === 'float32' && (to === 'int32' || to === 'uint32')) {
    if (x.kind === 'const') {
      const bits = to === 'int32' ? new Int32Array(Float32Array.from(x.values).buffer) : new Uint32Array(Float32Array.from(x.values).buffer);
      return [konst(x.dims, Float64Array.from(bits), to)];
    }
    return [tensor(ctx.op('bitcast', [x.t], { to })[0], to)];
  }
  if (isFloat(from)) return ctx.fail(`reads the bits of ${from} values as ${to}: a float64 value holds neither a NaN's bits nor, in every format, the sign of a zero`, 'nn2eq reads float32 bits as int32 and uint32 in the NumPy, JS, C and Julia tensor forms');
  if (to === 'bool') return ctx.fail(`reads ${from} bytes as bool, which is defined for the bytes 0 and 1 only`);
  if (from === 'bool' || (from === 'uint64' && to === 'int64')) return [x.kind === 'const' ? konst(x.dims, x.values, to) : tensor(x.t, to)];
  if (isInteger(to)) {
    if (x.kind === 'const') return [konst(x.dims, x.values.map((v) => held(ctx, exact(ctx, v, from), to)), to)];
    const [w, signed] = widthOf(to);
    return [tensor(ctx.map('wrap', [x.t], [w, signed ? 1 : 0]), to)];
  }
  const bits = FLOAT_BITS[to];
  if (!bits) return ctx.fail(`reads ${from} bits as ${to}; nn2eq reads integer bits as float16, bfloat16 and float32`);
  // The bits as an unsigned integer, then the float they spell.
  const u = widthOf(from)[1] ? ctx.map('wrap', [ctx.tensor(0)], [bytes * 8, 0], '_') : ctx.tensor(0);
  return [tensor(ctx.map('from_bits', [u], [...bits]), to)];
};

/** The three binary ops on exact integers, for folding constants. */
const AND = (x: bigint, y: bigint) => x & y;
const OR = (x: bigint, y: bigint) => x | y;
const XOR = (x: bigint, y: bigint) => x ^ y;

/** ONNX op type → extractor for the bitwise ops and BitCast. */
export const bitwiseOps: Record<string, OnnxExtractor> = {
  BitwiseAnd: binary('and', AND),
  BitwiseOr: binary('or', OR),
  BitwiseXor: binary('xor', XOR),
  BitwiseNot: not,
  BitCast: bitCast,
};
