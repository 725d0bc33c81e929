import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNumber, formatNumbers, numberParts } from '../src/emit/number.js';

const plain = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };

/**
 * The formatter written the slow, obvious way: toExponential with p = 1, 2, … digits until the text
 * reads back (as the same float32 for a float32 value, else the same float64; whole numbers below
 * 2^53 exactly), then the digits placed as a plain decimal for exponents -5…15.
 */
function reference(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v < 0 ? '-Infinity' : 'Infinity';
  const a = Math.abs(v);
  const f32 = Math.fround(a) === a && !(Number.isInteger(a) && a <= 2 ** 53);
  let text = '0e+0';
  if (a !== 0) {
    for (let p = 1; p <= 17; p++) {
      text = a.toExponential(p - 1);
      if (f32 ? Math.fround(Number(text)) === a : Number(text) === a) break;
    }
  }
  const [mantissa, exp] = text.split('e');
  const e = Number(exp);
  const sign = v < 0 ? '-' : '';
  if (e < -5 || e > 15) return `${sign}${mantissa}e${e}`;
  const digits = mantissa.replace('.', '');
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (e >= digits.length - 1) return sign + digits + '0'.repeat(e - digits.length + 1);
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
const fromBits = (b: number) => {
  bits[0] = b;
  return asFloat[0];
};
const toBits = (f: number) => {
  asFloat[0] = f;
  return bits[0];
};

/** A seeded generator (mulberry32), so a failure names a value that fails again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('the fast number formatter equals the reference', () => {
  it('on any float32 bit pattern (subnormals, huge, tiny, ±0, integers)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (b) => {
        const v = fromBits(b);
        expect(formatNumber(v, plain)).toBe(reference(v));
      }),
      { numRuns: 20000 },
    );
  });

  it('on weight-like float32s, every power of two, the edges of the fast range, and whole numbers', () => {
    const r = random(26);
    const values: number[] = [0, -0, 1, -1, 2 ** 31, 2 ** 53, 2 ** 24 + 2, 16777217, Math.fround(0.1), 3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38];
    for (let i = 0; i < 100000; i++) {
      values.push(Math.fround(r() * 2 - 1), Math.fround((r() - 0.5) * 0.04), Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 20 - 10)));
    }
    for (let e = -149; e <= 127; e++) values.push(Math.fround(2 ** e), Math.fround(3 * 2 ** (e - 1)));
    // Around each power of ten from 1e-6 to 1e10 (1e-4 and 1e9 bound the fast path), a few float32 steps either side.
    for (let e = -6; e <= 10; e++) {
      const b = toBits(Math.fround(10 ** e));
      for (let d = -3; d <= 3; d++) values.push(fromBits(b + d));
    }
    for (let i = 0; i < 2000; i++) values.push(Math.floor(r() * 2 ** 30) + 0.5, Math.floor(r() * 1e6), r() * 1e-3, r());
    const wrong = values.filter((v) => formatNumber(v, plain) !== reference(v) || formatNumber(-v, plain) !== reference(-v));
    expect(wrong.slice(0, 5).map((v) => `${v}: ${formatNumber(v, plain)} vs ${reference(v)}`)).toEqual([]);
  });

  it('numberParts gives the same digits as the formatter', () => {
    const r = random(27);
    for (let i = 0; i < 5000; i++) {
      const v = Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 12 - 6));
      const p = numberParts(v);
      const [m, e] = Math.abs(v).toExponential(p.mantissa.replace('.', '').length - 1).split('e');
      expect([p.mantissa, p.exponent, p.negative]).toEqual([m, Number(e), v < 0]);
      expect(Math.fround(Number(`${p.mantissa}e${p.exponent}`))).toBe(Math.abs(v));
    }
  });

  it('formatNumbers is formatNumber joined, in every style and with --precision', () => {
    const r = random(28);
    const values = [0, -0, NaN, Infinity, -Infinity, 1e21, 2 ** 31, 1 / 3, -(2 ** -140)];
    for (let i = 0; i < 3000; i++) values.push(Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 16 - 8)), fromBits(Math.floor(r() * 2 ** 32)));
    const tex = { scientific: (m: string, e: number) => `${m} \\cdot 10^{${e}}`, infinity: '∞', nan: '\\mathrm{NaN}' };
    for (const style of [plain, tex]) {
      for (const precision of [undefined, 3]) {
        for (let from = 0; from < values.length; from += 700) {
          const to = Math.min(values.length, from + 1 + Math.floor(r() * 900));
          expect(formatNumbers(values, from, to, style, precision, ', ')).toBe(values.slice(from, to).map((v) => formatNumber(v, style, precision)).join(', '));
        }
      }
    }
    expect(formatNumbers(values, 3, 3, plain, undefined, ' ')).toBe('');
  });
});
