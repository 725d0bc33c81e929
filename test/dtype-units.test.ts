import { describe, expect, it } from 'vitest';
import { ELEMENT_TYPES, intRange, isFloat, isInteger, roundToFloat, toBfloat16, toFloat16, wrapInteger } from '../src/tensor/dtype.js';

// src/tensor/dtype.ts against definitions computed another way: integer ranges and wrapping by
// JavaScript's typed arrays and BigInt (ToInt8, ToUint16, … are the same two's-complement
// conversions), float16 and bfloat16 rounding by the nearest of all 65,536 bit patterns decoded
// here (ties to the even pattern), float32 by Math.fround. In-process, a second.

const INTS = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'int4', 'uint4', 'int2', 'uint2'] as const;
const FLOATS = ['float64', 'float32', 'float16', 'bfloat16', 'float8e4m3fn', 'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1', 'float8e8m0'] as const;

/** Each integer type's bounds as BigInt, read off a typed array of its width. */
const BOUNDS: Record<(typeof INTS)[number], [bigint, bigint]> = {
  int8: [BigInt(new Int8Array([128])[0]), BigInt(new Int8Array([127])[0])],
  int16: [BigInt(new Int16Array([32768])[0]), BigInt(new Int16Array([32767])[0])],
  int32: [BigInt(new Int32Array([2147483648])[0]), BigInt(new Int32Array([2147483647])[0])],
  int64: [new BigInt64Array([1n << 63n])[0], new BigInt64Array([(1n << 63n) - 1n])[0]],
  uint8: [0n, BigInt(new Uint8Array([-1])[0])],
  uint16: [0n, BigInt(new Uint16Array([-1])[0])],
  uint32: [0n, BigInt(new Uint32Array([-1])[0])],
  uint64: [0n, new BigUint64Array([-1n as unknown as bigint])[0]],
  // The packed widths have no typed array: BigInt's own two's-complement wrap (asIntN, asUintN).
  int4: [BigInt.asIntN(4, 8n), BigInt.asIntN(4, 7n)],
  uint4: [0n, BigInt.asUintN(4, -1n)],
  int2: [BigInt.asIntN(2, 2n), BigInt.asIntN(2, 1n)],
  uint2: [0n, BigInt.asUintN(2, -1n)],
};

/** x in a type by its typed array (x's remainder by 2^32 first, which keeps it modulo 2^8, 2^16, 2^32); int64/uint64 through BigInt64Array, NaN from 2^53 on (2^53 + 1 would read as 2^53). */
function wrapped(x: bigint, d: (typeof INTS)[number]): number {
  const n = Number(x % 2n ** 32n);
  switch (d) {
    case 'int8': return new Int8Array([n])[0];
    case 'int16': return new Int16Array([n])[0];
    case 'int32': return new Int32Array([n])[0];
    case 'uint8': return new Uint8Array([n])[0];
    case 'uint16': return new Uint16Array([n])[0];
    case 'uint32': return new Uint32Array([n])[0];
    case 'int4': return Number(BigInt.asIntN(4, x));
    case 'uint4': return Number(BigInt.asUintN(4, x));
    case 'int2': return Number(BigInt.asIntN(2, x));
    case 'uint2': return Number(BigInt.asUintN(2, x));
    case 'int64': {
      const v = new BigInt64Array([x])[0];
      return v > -(2n ** 53n) && v < 2n ** 53n ? Number(v) : NaN;
    }
    case 'uint64': {
      const v = new BigUint64Array([x])[0];
      return v < 2n ** 53n ? Number(v) : NaN;
    }
  }
}

describe('integer and float types', () => {
  it('isInteger and isFloat split the element types (bool is neither)', () => {
    expect(ELEMENT_TYPES.filter(isInteger)).toEqual([...INTS].sort((a, b) => ELEMENT_TYPES.indexOf(a) - ELEMENT_TYPES.indexOf(b)));
    expect(ELEMENT_TYPES.filter(isFloat)).toEqual([...FLOATS]);
    expect([isInteger('bool'), isFloat('bool')]).toEqual([false, false]);
  });

  it('intRange: the bounds of each integer type (as float64)', () => {
    for (const d of INTS) expect(intRange(d), d).toEqual(BOUNDS[d].map(Number));
  });

  it('wrapInteger: two’s complement, as typed arrays store it; NaN past ±2^53 in 64 bits', () => {
    const xs: bigint[] = [0n, 1n, -1n, 127n, 128n, 200n, -129n, 255n, 256n, 32767n, 32768n, 65535n, 65536n, -65537n, 2n ** 31n, 2n ** 31n - 1n, -(2n ** 31n) - 1n, 2n ** 32n + 5n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 53n), 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n, 2n ** 64n + 3n, -(2n ** 64n) - 3n];
    for (let i = 0; i < 200; i++) xs.push(BigInt(Math.floor(Math.sin(i) * 2 ** 40)), BigInt(Math.floor(Math.cos(i) * 3e4)));
    const wrong: string[] = [];
    for (const d of INTS) {
      for (const x of xs) {
        const got = wrapInteger(x, d);
        if (!Object.is(got, wrapped(x, d))) wrong.push(`${x} in ${d}: ${got} vs ${wrapped(x, d)}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});

/** The finite non-negative values of a 16-bit format, sorted, with each one's bit pattern. */
function format16(decode: (bits: number) => number): { values: number[]; bits: number[] } {
  const all: [number, number][] = [];
  for (let b = 0; b < 0x8000; b++) {
    const v = decode(b);
    if (Number.isFinite(v)) all.push([v, b]);
  }
  all.sort((p, q) => p[0] - q[0]);
  return { values: all.map((p) => p[0]), bits: all.map((p) => p[1]) };
}

/** IEEE binary16 from its bits: sign, 5 exponent bits (bias 15), 10 fraction bits. */
const half = format16((b) => {
  const e = (b >> 10) & 0x1f;
  const f = b & 0x3ff;
  if (e === 0x1f) return f ? NaN : Infinity;
  return e === 0 ? f * 2 ** -24 : (1 + f / 1024) * 2 ** (e - 15);
});
/** bfloat16: the top half of a float32. */
const bf = format16((b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);

/** x rounded to the nearest value of a format (ties to the even bit pattern); ±Infinity past the largest by half a step or more. */
function nearest(x: number, f: { values: number[]; bits: number[] }): number {
  const a = Math.abs(x);
  const n = f.values.length;
  const top = f.values[n - 1];
  const limit = top + (top - f.values[n - 2]) / 2;
  if (a >= limit) return Math.sign(x) * Infinity;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (f.values[mid] <= a) lo = mid;
    else hi = mid;
  }
  const dl = a - f.values[lo];
  const dh = f.values[hi] - a;
  const i = dl < dh ? lo : dh < dl ? hi : f.bits[lo] % 2 === 0 ? lo : hi;
  return Math.sign(x) * f.values[i];
}

describe('rounding to float16 and bfloat16', () => {
  // Every value of the format, the midpoints between neighbours (ties), a hair either side of them,
  // random float64s across the range, the overflow edge, subnormals, zeros, infinities and NaN.
  function samples(f: { values: number[] }): number[] {
    const xs: number[] = [0, -0, Infinity, -Infinity, 1e-300, 1e300];
    const v = f.values;
    for (let i = 0; i + 1 < v.length; i += 7) {
      const mid = (v[i] + v[i + 1]) / 2;
      xs.push(v[i], mid, mid * (1 + 2 ** -40), mid * (1 - 2 ** -40), -mid);
    }
    const top = v[v.length - 1];
    const step = top - v[v.length - 2];
    xs.push(top, top + step / 2, top + step / 2 - step / 1024, top + step, -(top + step / 2));
    // A hair either side of each power of two, where Math.log2 may round to the power itself.
    for (let k = -30; k <= 20; k++) xs.push(2 ** k * (1 - 2 ** -53), 2 ** k * (1 + 2 ** -52), 2 ** k);
    let s = 12345;
    for (let i = 0; i < 20000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      xs.push((s / 2 ** 32 - 0.5) * 2 ** ((i % 80) - 40));
    }
    return xs;
  }

  it('toFloat16 equals the nearest binary16 value', () => {
    const wrong = samples(half).filter((x) => !Object.is(toFloat16(x), nearest(x, half)) || !Object.is(roundToFloat(x, 'float16'), nearest(x, half)));
    expect(wrong.slice(0, 5).map((x) => `${x}: ${toFloat16(x)} vs ${nearest(x, half)}`)).toEqual([]);
    expect(toFloat16(NaN)).toBeNaN();
  });

  it('toBfloat16 equals the nearest bfloat16 value (rounded once, from float64)', () => {
    const wrong = samples(bf).filter((x) => !Object.is(toBfloat16(x), nearest(x, bf)) || !Object.is(roundToFloat(x, 'bfloat16'), nearest(x, bf)));
    expect(wrong.slice(0, 5).map((x) => `${x}: ${toBfloat16(x)} vs ${nearest(x, bf)}`)).toEqual([]);
  });

  it('roundToFloat: float32 by Math.fround, other types unchanged', () => {
    for (const x of [0.1, 1 / 3, -2.5e-40, 1e39, 16777217]) {
      expect(roundToFloat(x, 'float32')).toBe(Math.fround(x));
      for (const d of ['float64', 'int32', 'bool'] as const) expect(roundToFloat(x, d)).toBe(x);
    }
  });
});
