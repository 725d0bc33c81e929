import { attrInt } from '../../load/onnx/attributes.js';
import { intRange, isInteger, type DType } from '../../tensor/dtype.js';
import type { T } from '../../tensor/program.js';
import { convOps } from './conv.js';
import { axisOf, dimsOf, dtypeOfVal, konst, strides, tensor, tensorOf, type Const, type OnnxContext, type OnnxExtractor, type Tensor, type Val } from './context.js';
import { linearOps } from './linear.js';

/**
 * Quantized ONNX ops: QuantizeLinear and DequantizeLinear (the QDQ format), per tensor or per axis,
 * and QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger as an integer product (exact in
 * float64) between the ELEMENTWISE table's scale_ratio, round_float32, round_even, saturate. Scales and zero
 * points must be constants; a constant input (a weight) is folded here with the same arithmetic.
 */

/** The type of an integer product and of its centred inputs (whole numbers past the 8- and 16-bit ranges). */
const INT32: DType = 'int32';

/** The parameters of a function that takes none. */
// Stryker disable next-line ArrayDeclaration: functions without parameters ignore any given
const NONE: readonly number[] = [];

/** The integer types a quantized tensor may have here. */
const QTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

/** A float32 scale s > 0 as b/a with whole b and a = 2^k ≤ 2^53 (see functions.ts); null when it has no such form. */
export function scaleParts(s: number): [number, number] | null {
  if (!(s > 0) || !Number.isFinite(s) || Math.fround(s) !== s) return null;
  let a = 1;
  while (!Number.isInteger(s * a)) {
    a *= 2;
    if (a > 2 ** 53) return null;
  }
  return [a, s * a];
}

/** x rounded to a whole number, ties to even (np.rint). */
export function rint(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** A constant scale or zero point, per tensor (one value) or per axis (one per index of `axis` of a rank-`rank` tensor). */
interface QParam {
  readonly values: Float64Array;
  /** The axis the values run along, or -1 for one value. */
  readonly axis: number;
}

function qparam(ctx: OnnxContext, c: Const, rank: number, what: string): QParam {
  const n = c.values.length;
  if (n === 1) return { values: c.values, axis: -1 };
  if (c.dims.length !== 1) return ctx.fail(`its ${what} has shape [${c.dims.join(', ')}]; nn2eq reads one value or one per index of an axis (blocked quantization is not supported)`);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 1), rank);
  return { values: c.values, axis };
}

/** The scale of input `i` as a QParam, checked. */
function scaleOf(ctx: OnnxContext, i: number, rank: number, what = 'scale'): QParam {
  const c = ctx.constant(i, what);
  if (c.dtype !== 'float32') return ctx.fail(`its ${what} is ${c.dtype}; nn2eq computes quantization with float32 scales`);
  const p = qparam(ctx, c, rank, what);
  for (const s of p.values) if (!scaleParts(s)) return ctx.fail(`its ${what} ${s} is not a positive float32 of at least 2^-53 (ONNX divides by it)`, 'give every scale a positive value');
  return p;
}

/** The zero point of input `i` (0 of `dtype` when absent) and the integer type it gives. */
function zeroOf(ctx: OnnxContext, i: number, rank: number, dtype: DType): { p: QParam; dtype: DType } {
  if (!ctx.has(i)) return { p: { values: new Float64Array(1), axis: -1 }, dtype };
  const c = ctx.constant(i, 'zero point');
  if (!QTYPES.includes(c.dtype)) return ctx.fail(`its zero point is ${c.dtype}; nn2eq reads ${QTYPES.join(', ')}`);
  return { p: qparam(ctx, c, rank, 'zero point'), dtype: c.dtype };
}

/** A QParam as a constant tensor that broadcasts against a rank-`rank` tensor: [] or [n, 1, …]. */
function paramTensor(ctx: OnnxContext, role: string, p: QParam, rank: number, f: (v: number) => number): T {
  const dims = p.axis < 0 ? [] : [p.values.length, ...new Array<number>(rank - p.axis - 1).fill(1)];
  return ctx.const(role, dims, p.values.map(f));
}

/** The value of a QParam at flat index `i` of a tensor of shape `dims`. */
function at(p: QParam, dims: readonly number[], i: number): number {
  if (p.axis < 0) return p.values[0];
  return p.values[Math.floor(i / strides(dims)[p.axis]) % dims[p.axis]];
}

function checkAxisLength(ctx: OnnxContext, p: QParam, dims: readonly number[], what: string): void {
  if (p.axis >= 0 && p.values.length !== dims[p.axis]) ctx.fail(`its ${what} has ${p.values.length} values for axis ${p.axis} of length ${dims[p.axis]}`, 'give one value per index of the axis, or set the axis attribute to the axis the values run along');
}

/** QuantizeLinear: sat(round_half_even(x / s) + z), x / s in float32. */
const quantizeLinear: OnnxExtractor = (ctx) => {
  if (attrInt(ctx.node, 'block_size', 0) > 0) return ctx.fail('blocked quantization (block_size) is not supported');
  const dims = ctx.shape(0);
  const rank = dims.length;
  if (ctx.dtype(0) !== 'float32') return ctx.fail(`quantizes ${ctx.dtype(0)} values; nn2eq quantizes float32 values`);
  // output_dtype (opset 21) names the type when no zero point gives it: TensorProto codes.
  const declared = attrInt(ctx.node, 'output_dtype', 0);
  const byCode: Record<number, DType> = { 0: 'uint8', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32' };
  const out = byCode[declared] ?? ctx.fail(`its output_dtype ${declared} is not one of the integer types nn2eq quantizes to (${QTYPES.join(', ')})`, 'quantize to an integer type');
  const s = scaleOf(ctx, 1, rank);
  const { p: z, dtype } = zeroOf(ctx, 2, rank, out);
  checkAxisLength(ctx, s, dims, 'scale');
  checkAxisLength(ctx, z, dims, 'zero point');
  const [lo, hi] = intRange(dtype);
  const x = ctx.val(0);
  if (x.kind === 'const') {
    const out = x.values.map((v, i) => Math.min(Math.max(rint(Math.fround(v / at(s, dims, i))) + at(z, dims, i), lo), hi));
    return [konst(dims, out, dtype)];
  }
  const A = paramTensor(ctx, 'a', s, rank, (v) => scaleParts(v)![0]);
  const B = paramTensor(ctx, 's', s, rank, (v) => scaleParts(v)![1]);
  const Z = paramTensor(ctx, 'z', z, rank, (v) => v);
  const v = ctx.map('round_float32', [ctx.map('scale_ratio', [x.t, A, B], NONE, '_')], NONE, '_');
  return [tensor(ctx.map('saturate', [ctx.map('round_even', [v], NONE, '_'), Z], [lo, hi], 'q'), dtype)];
};

/** DequantizeLinear: fl32((q − z)·s). */
const dequantizeLinear: OnnxExtractor = (ctx) => {
  if (attrInt(ctx.node, 'block_size', 0) > 0) return ctx.fail('blocked quantization (block_size) is not supported');
  const dims = ctx.shape(0);
  const rank = dims.length;
  const from = ctx.dtype(0);
  if (!QTYPES.includes(from)) return ctx.fail(`dequantizes ${from} values; nn2eq reads ${QTYPES.join(', ')}`);
  const s = scaleOf(ctx, 1, rank);
  const { p: z } = zeroOf(ctx, 2, rank, from);
  checkAxisLength(ctx, s, dims, 'scale');
  checkAxisLength(ctx, z, dims, 'zero point');
  return [dequantized(ctx, ctx.val(0), dims, s, z)];
};

function dequantized(ctx: OnnxContext, x: Val, dims: readonly number[], s: QParam, z: QParam): Val {
  if (x.kind === 'const') return konst(dims, x.values.map((v, i) => Math.fround((v - at(z, dims, i)) * at(s, dims, i))), 'float32');
  const rank = dims.length;
  const Z = paramTensor(ctx, 'z', z, rank, (v) => v);
  const A = paramTensor(ctx, 'a', s, rank, (v) => scaleParts(v)![0]);
  const B = paramTensor(ctx, 's', s, rank, (v) => scaleParts(v)![1]);
  return tensor(ctx.map('round_float32', [ctx.map('dequantize', [x.t, Z, A, B], NONE, '_')], NONE, 'r'), 'float32');
}

/** x − z as a whole-number value (folded for a constant). */
function centred(ctx: OnnxContext, x: Val, dims: readonly number[], z: QParam): Val {
  if (x.kind === 'const') return konst(dims, x.values.map((v, i) => v - at(z, dims, i)), INT32);
  if (z.axis < 0 && z.values[0] === 0) return tensor(x.t, INT32);
  const Z = paramTensor(ctx, 'z', z, dims.length, (v) => v);
  return tensor(ctx.map('sub', [x.t, Z], NONE, 'd'), INT32);
}

/** `run` (the float extractor of Conv or MatMul) on the node with its inputs replaced by `vals`. */
function withInputs(ctx: OnnxContext, vals: readonly (Val | null)[], run: OnnxExtractor): Val {
  // Stryker disable next-line StringLiteral,ArithmeticOperator: unreachable: inputs 0 and 1 are always given, and Conv asks has(2) before reading its bias
  const get = (i: number): Val => vals[i] ?? ctx.fail(`input ${i + 1} is missing`);
  const inner: OnnxContext = {
    ...ctx,
    has: (i) => (vals[i] ?? null) !== null,
    val: get,
    tensor: tensorOf(get, ctx.const),
    constant(i, what) {
      const v = get(i);
      // Stryker disable next-line ConditionalExpression,StringLiteral: unreachable: Conv asks for its weight as a constant only when it is one, and the bias is always folded
      return v.kind === 'const' ? v : ctx.fail(`its ${what} is not constant`);
    },
    // Stryker disable next-line ArrowFunction: Conv and MatMul read no element type; kept so that this context answers for the inputs it was given, not the node's
    dtype: (i) => dtypeOfVal(get(i)),
    shape: (i) => dimsOf(get(i)),
  };
  return run(inner)[0];
}

function quantizedInput(ctx: OnnxContext, i: number): DType {
  const d = ctx.dtype(i);
  if (!QTYPES.includes(d) || !isInteger(d)) return ctx.fail(`input ${i + 1} is ${d}; nn2eq reads ${QTYPES.join(', ')}`);
  return d;
}

/**
 * The integer product of MatMulInteger / ConvInteger / the QLinear ops: (x − zx) ⊛ (w − zw) (+ B),
 * exact in float64 while the sums stay below 2^53. `xz`, `wz`, `bias` are input numbers of the zero
 * points and the bias (-1: none); a tensor, as Conv never folds and MatMul refuses two constants.
 */
function integerProduct(ctx: OnnxContext, conv: boolean, xi: number, xz: number, wi: number, wz: number, bias: number): Tensor {
  quantizedInput(ctx, xi);
  quantizedInput(ctx, wi);
  const xd = ctx.shape(xi);
  const wd = ctx.shape(wi);
  const zx = ctx.has(xz) ? zeroParam(ctx, xz, xd, conv ? 1 : xd.length - 2) : { values: new Float64Array(1), axis: -1 };
  const zw = ctx.has(wz) ? zeroParam(ctx, wz, wd, conv ? 0 : wd.length - 1) : { values: new Float64Array(1), axis: -1 };
  const x = centred(ctx, ctx.val(xi), xd, zx);
  const w = centred(ctx, ctx.val(wi), wd, zw);
  const b = ctx.has(bias) ? ctx.constant(bias, 'bias') : null;
  const y = withInputs(ctx, [x, w, b], conv ? convOps.Conv : linearOps.MatMul) as Tensor;
  return tensor(y.t, INT32);
}

/** A zero point that is one value, or one per index of `axis` (the rows of A, the columns of B, the output channels of W). */
function zeroParam(ctx: OnnxContext, i: number, dims: readonly number[], axis: number): QParam {
  const c = ctx.constant(i, 'zero point');
  if (c.values.length === 1) return { values: c.values, axis: -1 };
  if (c.dims.length !== 1 || c.values.length !== dims[axis]) return ctx.fail(`its zero point of shape [${c.dims.join(', ')}] fits neither one value nor axis ${axis} of [${dims.join(', ')}]`);
  return { values: c.values, axis };
}

/** Scale of input `i`: one value or one per index of `axis` of the output (rank `rank`). */
function outputScale(ctx: OnnxContext, i: number, rank: number, axis: number, what: string): QParam {
  const c = ctx.constant(i, what);
  if (c.dtype !== 'float32') return ctx.fail(`its ${what} is ${c.dtype}; nn2eq computes quantization with float32 scales`);
  if (c.values.length === 1) return { values: c.values, axis: -1 };
  if (c.dims.length !== 1) return ctx.fail(`its ${what} has shape [${c.dims.join(', ')}]`);
  return { values: c.values, axis };
}

/**
 * QLinearConv / QLinearMatMul: the integer product requantized as ONNX's reference computes it,
 * sat(round_half_even(acc · fl32(fl32(sx·sw) / sy)) + zy), the product in float64.
 */
function qlinear(conv: boolean): OnnxExtractor {
  return (ctx) => {
    // Input 8 is QLinearConv's bias; QLinearMatMul has 8 inputs.
    const acc = integerProduct(ctx, conv, 0, 2, 3, 5, 8);
    const dims = acc.t.shape;
    const rank = dims.length;
    // Per-channel scales run along the output channels: axis 1 of a Conv, the last axis of a MatMul.
    const axis = conv ? 1 : rank - 1;
    const sx = outputScale(ctx, 1, rank, axis, 'input scale');
    const sw = outputScale(ctx, 4, rank, axis, 'weight scale');
    const sy = outputScale(ctx, 6, rank, axis, 'output scale');
    const { p: zy, dtype } = zeroOf(ctx, 7, rank, ctx.dtype(0));
    const per = [sx, sw, sy, zy].find((p) => p.axis !== -1);
    const n = per ? per.values.length : 1;
    if (per && n !== dims[axis]) return ctx.fail(`a scale or zero point has ${n} values for ${dims[axis]} output channels`);
    const pick = (p: QParam, k: number) => (p.axis === -1 ? p.values[0] : p.values[k]);
    const m = Float64Array.from({ length: n }, (_, k) => Math.fround(Math.fround(pick(sx, k) * pick(sw, k)) / pick(sy, k)));
    const mp: QParam = { values: m, axis: per ? axis : -1 };
    for (const v of m) if (!scaleParts(v)) return ctx.fail(`its requantization multiplier ${v} is not a positive float32 of at least 2^-53`);
    const zp: QParam = { values: Float64Array.from({ length: n }, (_, k) => pick(zy, k)), axis: mp.axis };
    const [lo, hi] = intRange(dtype);
    const A = paramTensor(ctx, 'a', mp, rank, (v) => scaleParts(v)![0]);
    const B = paramTensor(ctx, 's', mp, rank, (v) => scaleParts(v)![1]);
    const Z = paramTensor(ctx, 'z', zp, rank, (v) => v);
    const r = ctx.map('round_even', [ctx.map('scale_ratio', [acc.t, B, A], NONE, '_')], NONE, '_');
    return [tensor(ctx.map('saturate', [r, Z], [lo, hi], 'q'), dtype)];
  };
}

/** The header line of a model with quantized ops: which form was printed. */
export const QUANTIZED_NOTE =
  'Quantized ops in float form, as ONNX defines them (not integer requantization): QuantizeLinear q = sat(rint(fl32(x / s)) + z), DequantizeLinear fl32((q - z) * s), ' +
  'QLinearConv / QLinearMatMul sat(rint(acc * fl32(sx * sw / sy)) + z) over the exact integer sum acc; fl32 rounds to float32, rint to a whole number (ties to even), sat to the integer type; ' +
  'each scale s is printed as a whole number b over a power of two a (s = b / a), which reads back exactly.';

/** ONNX op type → extractor for quantized ops. */
export const quantizeOps: Record<string, OnnxExtractor> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinear(true),
  QLinearMatMul: qlinear(false),
  // Stryker disable next-line UnaryOperator: MatMul reads two inputs, so no bias input number changes it
  MatMulInteger: (ctx) => [integerProduct(ctx, false, 0, 2, 1, 3, -1)],
  ConvInteger: (ctx) => [integerProduct(ctx, true, 0, 2, 1, 3, -1)],
};
