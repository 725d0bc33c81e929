import { attrInt } from '../../load/onnx/attributes.js';
import { dtypeName } from '../../load/onnx/tensor.js';
import { intRange, isInteger, roundToFloat, SMALL_FLOATS, toSmallFloat, type DType } from '../../tensor/dtype.js';
import { sizeOf, type T } from '../../tensor/program.js';
import { convOps } from './conv.js';
import { axisOf, dimsOf, dtypeOfVal, konst, strides, tensor, tensorOf, type OnnxContext, type OnnxExtractor, type Tensor, type Val } from './context.js';
import { linearOps } from './linear.js';

/**
 * Quantized ONNX ops: QuantizeLinear and DequantizeLinear (the QDQ format), per tensor, per axis or
 * per block, DynamicQuantizeLinear, and QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger as an
 * integer product (exact in float64) between the ELEMENTWISE table's scale_ratio, round_float32,
 * round_even, saturate. A constant float32 scale is printed as b / a (exact); a computed scale or zero
 * point (a graph input, or computed from one) is an argument of the same element-wise functions and
 * of div, mul, sub. A constant input (a weight) is folded here with the same arithmetic.
 */

/** The type of an integer product and of its centred inputs (whole numbers past the 8- and 16-bit ranges). */
const INT32: DType = 'int32';

/** The parameters of a function that takes none. */
// Stryker disable next-line ArrayDeclaration: functions without parameters ignore any given
const NONE: readonly number[] = [];

/** The integer types a quantized tensor may have here. */
const QTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

/** The types QuantizeLinear writes and DequantizeLinear reads: the integer types above, the 4- and 2-bit ones, and the float8 and float4 types. */
const QDQ_TYPES: readonly DType[] = [...QTYPES, 'int4', 'uint4', 'int2', 'uint2', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1'];

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

/**
 * Where the values of a scale or zero point go on the tensor of shape `xd` it applies to: one value
 * (dims []), one per index of `axis` (dims [n, 1, …, 1], so that the trailing axes broadcast), or,
 * with block_size B > 0, one per block of B along `axis` (dims `xd`: each value repeated B times
 * along `axis`, the last block cut short), as ONNX's reference lays them out.
 */
interface Layout {
  readonly dims: readonly number[];
  /** The axis the values run along, or -1 for one value. */
  readonly axis: number;
  readonly block: number;
}

/** The block_size attribute (opset 21 on), checked. */
function blockSize(ctx: OnnxContext): number {
  const block = ctx.opset >= 21 ? attrInt(ctx.node, 'block_size', 0) : 0;
  if (!Number.isInteger(block) || block < 0) return ctx.fail(`its block_size ${block} is negative`, 'give a positive block_size, or 0 for one value or one per index of an axis');
  return block;
}

/** The layout of a scale or zero point of shape `pd` on a tensor of shape `xd`, checked. */
function layoutOf(ctx: OnnxContext, pd: readonly number[], xd: readonly number[], block: number, what: string): Layout {
  if (block > 0) {
    const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 1), xd.length);
    const want = xd.map((d, i) => (i === axis ? Math.ceil(d / block) : d));
    if (pd.length !== want.length || pd.some((d, i) => d !== want[i])) {
      return ctx.fail(`its ${what} has shape [${pd.join(', ')}]; blocks of ${block} along axis ${axis} of [${xd.join(', ')}] take one of shape [${want.join(', ')}]`, 'give one value per block, in the shape of the quantized tensor with the blocked axis divided by block_size (rounded up)');
    }
    return { dims: [...xd], axis, block };
  }
  if (sizeOf(pd) === 1) return { dims: [], axis: -1, block: 0 };
  if (pd.length !== 1) return ctx.fail(`its ${what} has shape [${pd.join(', ')}]; nn2eq reads one value or one per index of an axis (blocked quantization needs the block_size attribute)`);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 1), xd.length);
  if (pd[0] !== xd[axis]) return ctx.fail(`its ${what} has ${pd[0]} values for axis ${axis} of length ${xd[axis]}`, 'give one value per index of the axis, or set the axis attribute to the axis the values run along');
  return { dims: [pd[0], ...new Array<number>(xd.length - axis - 1).fill(1)], axis, block: 0 };
}

/** A constant scale or zero point laid out on `layout.dims` (values of a blocked one repeated along its axis). */
interface QParam {
  readonly kind: 'const';
  readonly values: Float64Array;
  readonly dims: readonly number[];
}

/** A computed scale or zero point: a tensor of the program shaped to broadcast against the tensor it applies to. */
interface QTensor {
  readonly kind: 'tensor';
  readonly t: T;
}

/** The row-major index into `pd` (trailing-aligned, numpy broadcasting) of flat index `i` of a tensor of shape `xd`. */
function broadcastAt(pd: readonly number[], xd: readonly number[], i: number): number {
  const xs = strides(xd);
  const ps = strides(pd);
  let at = 0;
  for (let k = 0; k < pd.length; k++) {
    const a = xd.length - pd.length + k;
    if (pd[k] !== 1) at += (Math.floor(i / xs[a]) % xd[a]) * ps[k];
  }
  return at;
}

/** Input `i` (a scale or zero point) laid out on a tensor of shape `xd`: folded values, or a tensor shaped by reshape, upsample and slice. */
function param(ctx: OnnxContext, i: number, xd: readonly number[], block: number, what: string): QParam | QTensor {
  const v = ctx.val(i);
  const pd = dimsOf(v);
  const lay = layoutOf(ctx, pd, xd, block, what);
  if (v.kind === 'const') {
    if (lay.block === 0) return { kind: 'const', values: v.values, dims: lay.dims };
    // Each element of x reads the value of its block: index c along the axis reads c / B.
    const out = new Float64Array(sizeOf(xd));
    const xs = strides(xd);
    const ps = strides(pd);
    for (let k = 0; k < out.length; k++) {
      let at = 0;
      for (let a = 0; a < xd.length; a++) {
        const c = Math.floor(k / xs[a]) % xd[a];
        at += (a === lay.axis ? Math.floor(c / lay.block) : c) * ps[a];
      }
      out[k] = v.values[at];
    }
    return { kind: 'const', values: out, dims: lay.dims };
  }
  if (lay.block > 0) {
    const up = ctx.op('upsample', [v.t], { factors: xd.map((_, a) => (a === lay.axis ? lay.block : 1)) }, '_')[0];
    return { kind: 'tensor', t: up.shape[lay.axis] === xd[lay.axis] ? up : ctx.op('slice', [up], { begin: xd.map(() => 0), end: [...xd] }, '_')[0] };
  }
  // One value broadcasts as it is unless it has more axes than x.
  if (lay.axis < 0) return { kind: 'tensor', t: pd.length <= xd.length ? v.t : ctx.reshape(v.t, []) };
  return { kind: 'tensor', t: ctx.reshape(v.t, lay.dims) };
}

/**
 * A computed scale rounded to its type: the program computes float32 values in float64 (a scale
 * computed as range / 255 is not yet a float32), and the quantization steps are set by the float32
 * value ONNX holds. A graph input is a float32 already, and rounding leaves it as it is.
 */
function roundedScale(ctx: OnnxContext, i: number, p: QTensor): QTensor {
  if (ctx.val(i).kind !== 'tensor' || isGraphInput(ctx, i)) return p;
  const d = ctx.dtype(i);
  const t = d === 'float32' ? ctx.map('round_float32', [p.t], NONE, '_') : ctx.map('round_binary', [p.t], NARROW_SCALES[d], '_');
  return { kind: 'tensor', t };
}

/** Whether input `i` of the node is a graph input (a value given, not computed). */
const isGraphInput = (ctx: OnnxContext, i: number): boolean => ctx.model.graph.inputs.some((g) => g.name === ctx.node.inputs[i]);

/** The float types of a scale DequantizeLinear reads (its output has the scale's type). */
const SCALE_TYPES: readonly DType[] = ['float32', 'float16', 'bfloat16'];

/** The scale of input 1 of Q/DQ laid out on `xd`, checked: a constant is a positive float32 (scaleParts). */
function scaleOf(ctx: OnnxContext, xd: readonly number[], block: number, types: readonly DType[]): QParam | QTensor {
  const d = ctx.dtype(1);
  if (!types.includes(d)) return ctx.fail(`its scale is ${d}; nn2eq computes ${ctx.node.opType === 'QuantizeLinear' ? 'quantization' : 'dequantization'} with ${types.join(', ')} scales`);
  const p = param(ctx, 1, xd, block, 'scale');
  if (p.kind === 'tensor') return roundedScale(ctx, 1, p);
  for (const s of p.values) if (!scaleParts(s)) return ctx.fail(`its scale ${s} is not a positive float32 of at least 2^-53 (ONNX divides by it)`, 'give every scale a positive value');
  return p;
}

/** The zero point of input `i`, laid out on `xd`, and its type, checked; null when absent. */
function zeroOf(ctx: OnnxContext, i: number, xd: readonly number[], block: number): { p: QParam | QTensor; dtype: DType } | null {
  if (!ctx.has(i)) return null;
  const dtype = ctx.dtype(i);
  if (!QDQ_TYPES.includes(dtype)) return ctx.fail(`its zero point is ${dtype}; nn2eq reads ${QDQ_TYPES.join(', ')}`);
  return { p: param(ctx, i, xd, block, 'zero point'), dtype };
}

/** A constant parameter as a constant tensor that broadcasts against the tensor it applies to. */
function paramTensor(ctx: OnnxContext, role: string, p: QParam, f: (v: number) => number): T {
  return ctx.const(role, p.dims, p.values.map(f));
}

/** A parameter as a tensor (a constant one through `f`). */
function asTensor(ctx: OnnxContext, role: string, p: QParam | QTensor, f: (v: number) => number = (v) => v): T {
  return p.kind === 'const' ? paramTensor(ctx, role, p, f) : p.t;
}

/** The value of a constant parameter at flat index `i` of a tensor of shape `dims`. */
function at(p: QParam, dims: readonly number[], i: number): number {
  return p.values[broadcastAt(p.dims, dims, i)];
}

/** The type QuantizeLinear writes: its zero point's, else output_dtype's (opset 21), else uint8. */
function quantizedType(ctx: OnnxContext, zero: DType | null): DType {
  const code = ctx.opset >= 21 ? attrInt(ctx.node, 'output_dtype', 0) : 0;
  const declared = code === 0 ? null : dtypeName(code);
  if (declared !== null && !QDQ_TYPES.includes(declared as DType)) return ctx.fail(`its output_dtype ${code} (${declared}) is not one of the types nn2eq quantizes to (${QDQ_TYPES.join(', ')})`, 'quantize to an integer or float8 type');
  if (zero && declared && declared !== zero) return ctx.fail(`its output_dtype ${declared} differs from its zero point's type ${zero}`, 'give the zero point the output type');
  return zero ?? (declared as DType | null) ?? 'uint8';
}

/** How a cast to a small float type treats values past its largest (round_small's mode), as castTo in elementwise.ts. */
function smallMode(ctx: OnnxContext, to: DType): readonly number[] {
  const small = SMALL_FLOATS[to]!;
  const saturate = attrInt(ctx.node, 'saturate', 1) === 1;
  return [small.p, small.emin, small.max, small.over === 'none' ? 3 : saturate ? 0 : small.over === 'inf' ? 1 : 2];
}

const isZero = (p: QParam | QTensor | undefined): boolean => p === undefined || (p.kind === 'const' && p.values.every((v) => v === 0));

/**
 * QuantizeLinear: sat(round_half_even(fl32(x / s)) + z) to an integer type; to a float8 or float4
 * type, fl32(x / s) + z cast to it (rounded to nearest even, saturated unless saturate = 0); fl16
 * in place of fl32 when x and s are float16. The
 * scale and zero point are constants or computed, one value, one per index of an axis, or one per block.
 */
const quantizeLinear: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const xtype = ctx.dtype(0);
  if (xtype !== 'float32' && xtype !== 'float16') return ctx.fail(`quantizes ${xtype} values; nn2eq quantizes float32 and float16 values`);
  if (attrInt(ctx.node, 'precision', 0) !== 0) return ctx.fail('its precision attribute sets the type of the division; nn2eq divides in the type of the values or the scale, as ONNX\'s reference does', 'drop the precision attribute');
  // x / s in the wider type of the two, as ONNX's reference divides; ONNX's text (opset 21) divides
  // in the scale's type: the same but for float32 values over a float16 scale, which is refused.
  if (xtype === 'float32' && ctx.dtype(1) === 'float16') return ctx.fail('divides float32 values by a float16 scale, which ONNX\'s text does in float16 and its reference implementation in float32', 'give the scale the type of the values');
  const prec: DType = xtype === 'float16' && ctx.dtype(1) === 'float16' ? 'float16' : 'float32';
  const rounded = (t: T, role = '_') => (prec === 'float32' ? ctx.map('round_float32', [t], NONE, role) : ctx.map('round_binary', [t], NARROW_SCALES.float16, role));
  const block = blockSize(ctx);
  const s = scaleOf(ctx, dims, block, xtype === 'float16' ? ['float32', 'float16'] : ['float32']);
  const z = zeroOf(ctx, 2, dims, block);
  const dtype = quantizedType(ctx, z?.dtype ?? null);
  const small = SMALL_FLOATS[dtype] !== undefined;
  const zp = z?.p;
  // ONNX's formula adds a float8 zero point, its reference ignores it (ONNX Runtime asks for 0): no one answer.
  if (dtype.startsWith('float8') && zp?.kind === 'const' && !isZero(zp)) return ctx.fail(`its ${dtype} zero point is not 0, which ONNX's formula adds and its reference implementation ignores`, 'give float8 quantization a zero point of 0');
  const x = ctx.val(0);
  if (x.kind === 'const' && s.kind === 'const' && zp?.kind !== 'tensor') {
    const [lo, hi] = intRange(dtype);
    const zat = (i: number) => (zp ? at(zp, dims, i) : 0);
    const out = x.values.map((v, i) => {
      const r = roundToFloat(v / at(s, dims, i), prec);
      if (small) return toSmallFloat(roundToFloat(r + zat(i), prec), dtype, attrInt(ctx.node, 'saturate', 1) === 1);
      return Math.min(Math.max(rint(r) + zat(i), lo), hi);
    });
    return [konst(dims, out, dtype)];
  }
  // A constant scale is printed as b / a (exact); a computed one divides as it is.
  const A = s.kind === 'const' ? paramTensor(ctx, 'a', s, (v) => scaleParts(v)![0]) : null;
  const B = s.kind === 'const' ? paramTensor(ctx, 's', s, (v) => scaleParts(v)![1]) : null;
  const Z = small && isZero(zp) ? null : zp ? asTensor(ctx, 'z', zp) : ctx.const('z', [], [0]);
  // A constant x is printed as float32 digits, which read back as another float64: rounded, it is x again.
  const xt = x.kind === 'const' ? ctx.map('round_float32', [ctx.tensor(0, 'x')], NONE, '_') : x.t;
  const v = rounded(A && B ? ctx.map('scale_ratio', [xt, A, B], NONE, '_') : ctx.map('div', [xt, (s as QTensor).t], NONE, '_'));
  if (small) {
    // The zero point of a float8 / float4 type is 0 in practice; ONNX's formula adds it all the same.
    const w = Z ? rounded(ctx.map('add', [v, Z], NONE, '_')) : v;
    return [tensor(ctx.map('round_small', [w], smallMode(ctx, dtype), 'q'), dtype)];
  }
  const [lo, hi] = intRange(dtype);
  return [tensor(ctx.map('saturate', [ctx.map('round_even', [v], NONE, '_'), Z!], [lo, hi], 'q'), dtype)];
};

/**
 * DequantizeLinear: fl32((q − z)·s), then rounded to the scale's type (or output_dtype's, opset 23).
 * The scale and zero point are constants or computed, one value, one per index of an axis, or one per block.
 */
const dequantizeLinear: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  const from = ctx.dtype(0);
  if (!QDQ_TYPES.includes(from)) return ctx.fail(`dequantizes ${from} values; nn2eq reads ${QDQ_TYPES.join(', ')}`);
  const block = blockSize(ctx);
  const s = scaleOf(ctx, dims, block, SCALE_TYPES);
  const code = ctx.opset >= 23 ? attrInt(ctx.node, 'output_dtype', 0) : 0;
  const out = code === 0 ? ctx.dtype(1) : dtypeName(code);
  if (!SCALE_TYPES.includes(out as DType)) return ctx.fail(`its output_dtype ${code} (${out}) is not one of the float types nn2eq dequantizes to (${SCALE_TYPES.join(', ')})`);
  const z = zeroOf(ctx, 2, dims, block)?.p;
  // ONNX's reference refuses a float8 zero point other than 0 (its formula would subtract it): no one answer.
  if (from.startsWith('float8') && z?.kind === 'const' && !isZero(z)) return ctx.fail(`its ${from} zero point is not 0, which ONNX's formula subtracts and its reference implementation refuses`, 'give float8 dequantization a zero point of 0');
  const x = ctx.val(0);
  if (x.kind === 'const' && s.kind === 'const' && z?.kind !== 'tensor') {
    return [konst(dims, x.values.map((v, i) => roundToFloat(Math.fround((v - (z ? at(z, dims, i) : 0)) * at(s, dims, i)), out as DType)), out as DType)];
  }
  // A constant float8 / float4 q is printed as float32 digits: rounded, it reads back exactly (integers print exactly).
  const q = x.kind === 'const' && SMALL_FLOATS[from] ? ctx.map('round_float32', [ctx.tensor(0, 'q')], NONE, '_') : ctx.tensor(0, 'q');
  let r: T;
  if (s.kind === 'const') {
    const Z = z ? asTensor(ctx, 'z', z) : ctx.const('z', [], [0]);
    const A = paramTensor(ctx, 'a', s, (v) => scaleParts(v)![0]);
    const B = paramTensor(ctx, 's', s, (v) => scaleParts(v)![1]);
    r = ctx.map('dequantize', [q, Z, A, B], NONE, '_');
  } else {
    const d = isZero(z) ? q : ctx.map('sub', [q, asTensor(ctx, 'z', z!)], NONE, '_');
    r = ctx.map('mul', [d, s.t], NONE, '_');
  }
  // A float16 or bfloat16 result is rounded once more by the graph walker, as ONNX casts the float32 product.
  return [tensor(ctx.map('round_float32', [r], NONE, 'r'), out as DType)];
};

/**
 * DynamicQuantizeLinear: x quantized to uint8 with s = fl32(fl32(max(0, max x) − min(0, min x)) / 255)
 * (1 when that range is 0) and z = rint(clip(−fl32(min(0, min x) / s), 0, 255)), as ONNX's function
 * body and reference compute it in float32; outputs y, s, z.
 */
const dynamicQuantizeLinear: OnnxExtractor = (ctx) => {
  const dims = ctx.shape(0);
  if (ctx.dtype(0) !== 'float32') return ctx.fail(`quantizes ${ctx.dtype(0)} values; nn2eq quantizes float32 values`);
  const n = sizeOf(dims);
  if (n === 0) return ctx.fail('quantizes an empty tensor, whose range has no maximum or minimum');
  const x = ctx.val(0);
  if (x.kind === 'const') {
    const hi = Math.max(0, ...x.values);
    const lo = Math.min(0, ...x.values);
    const range = Math.fround(hi - lo);
    const s = range === 0 ? 1 : Math.fround(range / 255);
    const z = rint(Math.min(Math.max(-Math.fround(lo / s), 0), 255));
    return [konst(dims, x.values.map((v) => Math.min(Math.max(rint(Math.fround(v / s)) + z, 0), 255)), 'uint8'), konst([], [s], 'float32'), konst([], [z], 'uint8')];
  }
  const flat = ctx.reshape(x.t, [n, 1]);
  const top = ctx.reshape(ctx.op('global_pool', [flat], { kind: 'max' }, '_')[0], [], '_');
  const bottom = ctx.map('neg', [ctx.reshape(ctx.op('global_pool', [ctx.map('neg', [flat], NONE, '_')], { kind: 'max' }, '_')[0], [], '_')], NONE, '_');
  const hi = ctx.map('clip', [top], [0, NaN], '_');
  const lo = ctx.map('clip', [bottom], [NaN, 0], '_');
  const range = ctx.map('round_float32', [ctx.map('sub', [hi, lo], NONE, '_')], NONE, '_');
  const steps = ctx.map('round_float32', [ctx.map('div', [range, ctx.const('levels', [], [255])], NONE, '_')], NONE, '_');
  const s = ctx.map('where', [ctx.map('equal_to', [range], [0], '_'), ctx.const('one', [], [1]), steps], NONE, 's');
  const z0 = ctx.map('neg', [ctx.map('round_float32', [ctx.map('div', [lo, s], NONE, '_')], NONE, '_')], NONE, '_');
  const z = ctx.map('round_even', [ctx.map('clip', [z0], [0, 255], '_')], NONE, 'z');
  const v = ctx.map('round_float32', [ctx.map('div', [x.t, s], NONE, '_')], NONE, '_');
  const y = ctx.map('saturate', [ctx.map('round_even', [v], NONE, '_'), z], [0, 255], 'q');
  return [tensor(y, 'uint8'), tensor(s, 'float32'), tensor(z, 'uint8')];
};

/** x − z as a whole-number value (folded for a constant x and z). */
function centred(ctx: OnnxContext, x: Val, dims: readonly number[], z: QParam | QTensor): Val {
  if (z.kind === 'const') {
    if (x.kind === 'const') return konst(dims, x.values.map((v, i) => v - at(z, dims, i)), INT32);
    if (isZero(z)) return tensor(x.t, INT32);
  }
  const xt = x.kind === 'const' ? ctx.const('q', dims, x.values) : x.t;
  return tensor(ctx.map('sub', [xt, asTensor(ctx, 'z', z)], NONE, 'd'), INT32);
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
  const none: QParam = { kind: 'const', values: new Float64Array(1), dims: [] };
  const zx = ctx.has(xz) ? zeroParam(ctx, xz, xd, conv ? 1 : xd.length - 2) : none;
  const zw = ctx.has(wz) ? zeroParam(ctx, wz, wd, conv ? 0 : wd.length - 1) : none;
  const x = centred(ctx, ctx.val(xi), xd, zx);
  const w = centred(ctx, ctx.val(wi), wd, zw);
  const b = ctx.has(bias) ? ctx.constant(bias, 'bias') : null;
  const y = withInputs(ctx, [x, w, b], conv ? convOps.Conv : linearOps.MatMul) as Tensor;
  return tensor(y.t, INT32);
}

/** [n, 1, …, 1]: n values along `axis` of a rank-`rank` tensor, broadcasting over the axes after it. */
const alongAxis = (n: number, axis: number, rank: number): number[] => [n, ...new Array<number>(rank - axis - 1).fill(1)];

/** A zero point that is one value, or one per index of `axis` (the rows of A, the columns of B, the output channels of W); constant or computed. */
function zeroParam(ctx: OnnxContext, i: number, dims: readonly number[], axis: number): QParam | QTensor {
  const v = ctx.val(i);
  const pd = dimsOf(v);
  const n = sizeOf(pd);
  if (n !== 1 && (pd.length !== 1 || n !== dims[axis])) return ctx.fail(`its zero point of shape [${pd.join(', ')}] fits neither one value nor axis ${axis} of [${dims.join(', ')}]`);
  const to = n === 1 ? [] : alongAxis(n, axis, dims.length);
  if (v.kind === 'const') return { kind: 'const', values: v.values, dims: to };
  return { kind: 'tensor', t: n === 1 && pd.length <= dims.length ? v.t : ctx.reshape(v.t, to) };
}

/** A scale or zero point of the output (input `i`): one value or one per index of `axis` of the output; constant or computed. */
function outputParam(ctx: OnnxContext, i: number, dims: readonly number[], axis: number, what: string): QParam | QTensor {
  const v = ctx.val(i);
  const pd = dimsOf(v);
  const n = sizeOf(pd);
  if (n !== 1 && pd.length !== 1) return ctx.fail(`its ${what} has shape [${pd.join(', ')}]`);
  if (n !== 1 && n !== dims[axis]) return ctx.fail(`a scale or zero point has ${n} values for ${dims[axis]} output channels`);
  const to = n === 1 ? [] : alongAxis(n, axis, dims.length);
  if (v.kind === 'const') return { kind: 'const', values: v.values, dims: to };
  return { kind: 'tensor', t: n === 1 && pd.length <= dims.length ? v.t : ctx.reshape(v.t, to) };
}

/** round_binary's parameters of the scale types narrower than float32 (significand bits, emin, emax). */
const NARROW_SCALES: Partial<Record<DType, readonly number[]>> = { float16: [11, -14, 15], bfloat16: [8, -126, 127] };

/**
 * QLinearConv / QLinearMatMul: the integer product requantized as ONNX's reference computes it,
 * sat(round_half_even(acc · fl(fl(sx·sw) / sy)) + zy), fl rounding to the scales' type, the product
 * in float64. Constant float32 scales give the multiplier as b / a (exact); computed ones (or float16
 * scales) compute it in the program.
 */
function qlinear(conv: boolean): OnnxExtractor {
  return (ctx) => {
    // Input 8 is QLinearConv's bias; QLinearMatMul has 8 inputs.
    const acc = integerProduct(ctx, conv, 0, 2, 3, 5, 8);
    const dims = acc.t.shape;
    const rank = dims.length;
    // Per-channel scales run along the output channels: axis 1 of a Conv, the last axis of a MatMul.
    const axis = conv ? 1 : rank - 1;
    const tf = ctx.dtype(1);
    for (const [i, what] of [[1, 'input scale'], [4, 'weight scale'], [6, 'output scale']] as const) {
      const d = ctx.dtype(i);
      if (d !== 'float32' && !NARROW_SCALES[d]) return ctx.fail(`its ${what} is ${d}; nn2eq computes quantization with float32, float16 and bfloat16 scales`);
      if (d !== tf) return ctx.fail(`its ${what} is ${d} and its input scale ${tf}; ONNX gives the three scales one type`);
    }
    const scaleAt = (i: number, what: string) => {
      const p = outputParam(ctx, i, dims, axis, what);
      return p.kind === 'tensor' ? roundedScale(ctx, i, p) : p;
    };
    const sx = scaleAt(1, 'input scale');
    const sw = scaleAt(4, 'weight scale');
    const sy = scaleAt(6, 'output scale');
    const zy = ctx.has(7) ? outputParam(ctx, 7, dims, axis, 'output zero point') : null;
    const dtype = ctx.has(7) ? ctx.dtype(7) : ctx.dtype(0);
    if (!isInteger(dtype)) return ctx.fail(`its output zero point is ${dtype}; nn2eq requantizes to ${QTYPES.join(', ')}`);
    const [lo, hi] = intRange(dtype);
    if (sx.kind === 'const' && sw.kind === 'const' && sy.kind === 'const' && zy?.kind !== 'tensor' && tf === 'float32') {
      const per = [sx, sw, sy, zy].find((p) => p !== null && p.dims.length > 0);
      const n = per ? per.values.length : 1;
      const pick = (p: QParam, k: number) => (p.dims.length === 0 ? p.values[0] : p.values[k]);
      const m = Float64Array.from({ length: n }, (_, k) => Math.fround(Math.fround(pick(sx, k) * pick(sw, k)) / pick(sy, k)));
      for (const v of m) if (!scaleParts(v)) return ctx.fail(`its requantization multiplier ${v} is not a positive float32 of at least 2^-53`);
      const to = per ? per.dims : [];
      const mp: QParam = { kind: 'const', values: m, dims: to };
      const zp: QParam = { kind: 'const', values: Float64Array.from({ length: n }, (_, k) => (zy ? pick(zy, k) : 0)), dims: to };
      const A = paramTensor(ctx, 'a', mp, (v) => scaleParts(v)![0]);
      const B = paramTensor(ctx, 's', mp, (v) => scaleParts(v)![1]);
      const Z = paramTensor(ctx, 'z', zp, (v) => v);
      const r = ctx.map('round_even', [ctx.map('scale_ratio', [acc.t, B, A], NONE, '_')], NONE, '_');
      return [tensor(ctx.map('saturate', [r, Z], [lo, hi], 'q'), dtype)];
    }
    // Rounded to the scales' type after each step, as ONNX's reference multiplies and divides them;
    // a constant scale is rounded too, which reads its printed digits back as the scale exactly.
    const rounded = (t: T) => (tf === 'float32' ? ctx.map('round_float32', [t], NONE, '_') : ctx.map('round_binary', [t], NARROW_SCALES[tf], '_'));
    const scale = (p: QParam | QTensor, role: string) => (p.kind === 'const' ? rounded(paramTensor(ctx, role, p, (v) => v)) : p.t);
    const m = rounded(ctx.map('div', [rounded(ctx.map('mul', [scale(sx, 'sx'), scale(sw, 'sw')], NONE, '_')), scale(sy, 'sy')], NONE, '_'));
    const Z = zy ? asTensor(ctx, 'z', zy) : ctx.const('z', [], [0]);
    const r = ctx.map('round_even', [ctx.map('mul', [acc.t, m], NONE, '_')], NONE, '_');
    return [tensor(ctx.map('saturate', [r, Z], [lo, hi], 'q'), dtype)];
  };
}

/** The header line of a model with quantized ops: which form was printed. */
export const QUANTIZED_NOTE =
  'Quantized ops in float form, as ONNX defines them (not integer requantization): QuantizeLinear q = sat(rint(fl32(x / s)) + z), DequantizeLinear fl32((q - z) * s), ' +
  'QLinearConv / QLinearMatMul sat(rint(acc * fl32(sx * sw / sy)) + z) over the exact integer sum acc; fl32 rounds to float32, rint to a whole number (ties to even), sat to the integer type; ' +
  'each constant scale s is printed as a whole number b over a power of two a (s = b / a), which reads back exactly; a computed one (a model input, or computed from one) is used as it is.';

/** ONNX op type → extractor for quantized ops. */
export const quantizeOps: Record<string, OnnxExtractor> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinear(true),
  QLinearMatMul: qlinear(false),
  // Stryker disable next-line UnaryOperator: MatMul reads two inputs, so no bias input number changes it
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  MatMulInteger: (ctx) => [integerProduct(ctx, false, 0, 2, 1, 3, -1)],
  ConvInteger: (ctx) => [integerProduct(ctx, true, 0, 2, 1, 3, -1)],
};
