/**
 * Element types of the tensor program and their arithmetic: every value is held as a float64,
 * and each dtype says which float64 values it can hold and how a result is brought back into it
 * (integers wrap in two's complement, low-precision floats round to nearest even). Defined once
 * here for the constant folder and for the printed formulas.
 */

/** The element types a tensor may have (ONNX's numeric types that nn2eq reads). */
export const ELEMENT_TYPES = ['float64', 'float32', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'int4', 'uint4', 'int2', 'uint2', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1', 'float8e8m0'] as const;
export type DType = (typeof ELEMENT_TYPES)[number];

/** Bits of each integer type, and whether it is signed. */
const INT_BITS: Partial<Record<DType, readonly [number, boolean]>> = {
  int8: [8, true],
  int16: [16, true],
  int32: [32, true],
  int64: [64, true],
  uint8: [8, false],
  uint16: [16, false],
  uint32: [32, false],
  uint64: [64, false],
  int4: [4, true],
  uint4: [4, false],
  int2: [2, true],
  uint2: [2, false],
};

/** Whether a dtype holds integers (bool aside). */
export function isInteger(d: DType): boolean {
  return INT_BITS[d] !== undefined;
}

/** Whether a dtype holds floating-point numbers. */
export function isFloat(d: DType): boolean {
  return d === 'float64' || d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float8e8m0' || SMALL_FLOATS[d] !== undefined;
}

/**
 * The 8- and 4-bit float types (ONNX's float8 formats and float4e2m1): significand bits p (the
 * implicit one included), the smallest normal exponent emin, the largest finite value, and what a
 * cast without saturation gives past it ('inf', or 'nan' for the types without an infinity).
 * float4e2m1 has neither, and always saturates (a NaN becomes 0).
 */
export const SMALL_FLOATS: Partial<Record<DType, { readonly p: number; readonly emin: number; readonly max: number; readonly over: 'inf' | 'nan' | 'none' }>> = {
  float8e4m3fn: { p: 4, emin: -6, max: 448, over: 'nan' },
  float8e4m3fnuz: { p: 4, emin: -7, max: 240, over: 'nan' },
  float8e5m2: { p: 3, emin: -14, max: 57344, over: 'inf' },
  float8e5m2fnuz: { p: 3, emin: -15, max: 57344, over: 'nan' },
  float4e2m1: { p: 2, emin: 0, max: 6, over: 'none' },
};

/**
 * A float64 cast to a small float type as ONNX's Cast defines it: rounded to nearest even
 * (gradual underflow), then past the largest finite value (±∞ included) the largest finite value
 * when saturating, else ±∞ or NaN as the type has them; NaN stays NaN (0 for float4e2m1).
 */
export function toSmallFloat(x: number, d: DType, saturate = true): number {
  const f = SMALL_FLOATS[d];
  if (!f) return x;
  if (Number.isNaN(x)) return f.over === 'none' ? 0 : NaN;
  const r = Number.isFinite(x) ? roundBinary(x, f.p, f.emin, 1023) : x;
  if (Math.abs(r) <= f.max) return r;
  if (saturate || f.over === 'none') return Math.sign(x) * f.max;
  return f.over === 'inf' ? Math.sign(x) * Infinity : NaN;
}

/** How a cast to float8e8m0 rounds a float32 magnitude to a power of two (ONNX Cast's round_mode). */
export const E8M0_ROUND_MODES = ['up', 'down', 'nearest'] as const;

/**
 * A float64 cast to float8e8m0 (powers of two 2^−127 … 2^127, NaN; no sign, no zero) as ONNX's
 * reference does (numpy_helper.to_float8e8m0): x is first a float32, its sign is dropped, and its
 * exponent field E is kept, rounded by `mode`: up adds one when any fraction bit is set, nearest
 * when the fraction is at least ½ (strictly more than ½ for a subnormal), down never; saturating,
 * E stops at 254 (2^127), else passes to 255 (NaN). ±∞ and NaN give NaN; 0 gives 2^−127.
 */
export function toFloat8e8m0(x: number, saturate = true, mode: (typeof E8M0_ROUND_MODES)[number] = 'up'): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) return NaN;
  const a = Math.abs(f);
  let e = a < 2 ** -126 ? -127 : Math.floor(Math.log2(a));
  if (a >= 2 ** -126) {
    while (2 ** e > a) e--;
    while (2 ** (e + 1) <= a) e++;
  }
  const p = 2 ** e;
  const up = a < 2 ** -126 ? (mode === 'up' ? a > 0 : mode === 'nearest' && a > 2 ** -127) : mode === 'up' ? a > p : mode === 'nearest' && a >= 1.5 * p;
  if (!up) return p;
  if (e === 127) return saturate ? p : NaN;
  return a < 2 ** -126 ? 2 ** -126 : 2 * p;
}

/** The smallest and largest value of an integer dtype (as float64; int64/uint64 bounds rounded). */
export function intRange(d: DType): readonly [number, number] {
  const [bits, signed] = INT_BITS[d] ?? [0, false];
  return signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

/**
 * An exact integer result brought into an integer dtype as ONNX does: the bits above the width
 * are dropped (two's complement for signed types), so 200 in int8 is −56. Returns NaN for a
 * 64-bit result beyond ±2^53, which a float64 cannot hold exactly.
 */
export function wrapInteger(x: bigint, d: DType): number {
  const [bits, signed] = INT_BITS[d] ?? [64, true];
  const w = signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x);
  const n = Number(w);
  return Number.isSafeInteger(n) ? n : NaN;
}

/**
 * A float64 rounded to a binary format with `p` significand bits (the implicit one included) and
 * exponents emin…emax: nearest, ties to even, gradual underflow, overflow to ±Infinity.
 */
function roundBinary(x: number, p: number, emin: number, emax: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  const q = 2 ** (Math.max(e, emin) - (p - 1));
  const n = a / q;
  const f = Math.floor(n);
  const r = n - f > 0.5 || (n - f === 0.5 && f % 2 === 1) ? f + 1 : f;
  const y = r * q;
  return Math.sign(x) * (y >= 2 ** (emax + 1) ? Infinity : y);
}

/** A float64 rounded to IEEE binary16 (nearest, ties to even; overflow to ±Infinity). */
export function toFloat16(x: number): number {
  return roundBinary(x, 11, -14, 15);
}

/** A float64 rounded to bfloat16 (nearest, ties to even; overflow to ±Infinity). */
export function toBfloat16(x: number): number {
  return roundBinary(x, 8, -126, 127);
}

/**
 * A float64 result brought into a float dtype: rounded to float32, float16 or bfloat16 (nearest,
 * ties to even). For one +, −, ×, ÷ or √ of values of that dtype this equals the operation done
 * in the dtype itself (float64 holds more than twice their significand bits).
 */
export function roundToFloat(x: number, d: DType): number {
  switch (d) {
    case 'float32': return Math.fround(x);
    case 'float16': return toFloat16(x);
    case 'bfloat16': return toBfloat16(x);
    case 'float8e8m0': return toFloat8e8m0(x);
    default: return toSmallFloat(x, d);
  }
}
