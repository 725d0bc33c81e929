import { describe, expect, it } from 'vitest';
import { formatNumber, formatNumbers, numberParts } from '../src/emit/number.js';

// What test/number.test.ts leaves to self-consistency: --precision N (there formatNumbers and
// formatNumber are only compared with each other), ±Infinity, and rows longer than the formatter's
// first buffer. The oracle for --precision is toPrecision, laid out here independently.

const plain = { scientific: (m: string, e: number) => `${m}e${e}`, infinity: 'Infinity', nan: 'NaN' };
const tex = { scientific: (m: string, e: number) => `${m} \\cdot 10^{${e}}`, infinity: '\\infty', nan: '\\mathrm{NaN}' };

/** `v` rounded to `p` significant digits by toPrecision, zeros after the last non-zero digit dropped, plain for exponents -5…15. */
function rounded(v: number, p: number): string {
  const sign = v < 0 ? '-' : '';
  const text = Math.abs(v).toPrecision(p);
  // toPrecision writes d.ddd×10^e as "d.ddde+e" or as a plain decimal; read its digits and exponent back.
  let digits: string;
  let e: number;
  if (text.includes('e')) {
    const [m, x] = text.split('e');
    digits = m.replace('.', '');
    e = Number(x);
  } else {
    const [int, frac = ''] = text.split('.');
    const all = int + frac;
    const lead = all.search(/[1-9]/);
    if (lead < 0) return '0';
    digits = all.slice(lead);
    e = int.length - 1 - lead;
  }
  digits = digits.replace(/0+$/, '') || '0';
  if (e < -5 || e > 15) return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e}`;
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return sign + digits + '0'.repeat(e + 1 - digits.length);
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe('formatNumbers on rows of weights', () => {
  // First in the file: formatNumbers' buffer is module state, grown by the tests below.
  it('float32 weights only (the fast path), with a separator and with none, past the first buffer', () => {
    const r = random(32);
    const weights = Array.from({ length: 12_000 }, () => Math.fround((r() - 0.5) * 0.2));
    for (const sep of [', ', '']) expect(formatNumbers(weights, 0, weights.length, plain, undefined, sep)).toBe(weights.map((v) => formatNumber(v, plain)).join(sep));
  });
});

describe('--precision: numbers rounded to N significant digits', () => {
  const r = random(2929);
  const values = [1, -1, 0.5, 2 ** 31, 1e21, 1e-7, 123456789, 0.000123456, 9.9999, 99999.5, 1.25, -2.5e-12, Math.fround(0.1), 1 / 3, 2 / 3, 100, 1000000];
  for (let i = 0; i < 400; i++) values.push((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20), Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 12 - 6)));

  it('equal toPrecision read back, for N = 1 … 17, in plain and scientific layout', () => {
    const wrong: string[] = [];
    for (let p = 1; p <= 17; p++) {
      for (const v of values) {
        const got = formatNumber(v, plain, p);
        if (got !== rounded(v, p)) wrong.push(`${v} to ${p}: ${got} vs ${rounded(v, p)}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('numberParts: the rounded digits without trailing zeros, and the power of ten', () => {
    const wrong: string[] = [];
    for (let p = 1; p <= 17; p++) {
      for (const v of values) {
        const parts = numberParts(v, p);
        const [m, e] = Math.abs(v).toExponential(p - 1).split('e');
        const ok = Number(`${parts.mantissa}e${parts.exponent}`) === Number(`${m}e${e}`) && parts.exponent === Number(e) && !/\.$|\..*0$/.test(parts.mantissa) && parts.negative === v < 0;
        if (!ok) wrong.push(`${v} to ${p}: ${JSON.stringify(parts)} vs ${m}e${e}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(numberParts(0, 3)).toEqual({ negative: false, mantissa: '0', exponent: 0 });
  });

  it('formatNumbers with --precision equals the rounded numbers joined', () => {
    expect(formatNumbers(values, 0, values.length, plain, 4, ', ')).toBe(values.map((v) => rounded(v, 4)).join(', '));
  });
});

describe('numberParts without --precision', () => {
  it('zero, one-digit and whole numbers: the digits toExponential gives', () => {
    const wrong: string[] = [];
    for (const v of [0, -0, 0.5, -0.5, Math.fround(0.1), Math.fround(5e-4), Math.fround(3e-4), 0.25, 100, 1e21, -7, 2 ** 31, Math.fround(2e-5)]) {
      const p = numberParts(v);
      const want = Math.abs(v).toExponential(p.mantissa.replace('.', '').length - 1);
      if (`${p.mantissa}e${p.exponent < 0 ? '' : '+'}${p.exponent}` !== want || p.negative !== v < 0) wrong.push(`${v}: ${JSON.stringify(p)} vs ${want}`);
    }
    expect(wrong).toEqual([]);
    expect([numberParts(0), numberParts(0, 1)]).toEqual([{ negative: false, mantissa: '0', exponent: 0 }, { negative: false, mantissa: '0', exponent: 0 }]);
  });
});

describe('infinities and NaN', () => {
  it('in every style, either sign, with and without --precision', () => {
    for (const style of [plain, tex]) {
      for (const p of [undefined, 3]) {
        expect([Infinity, -Infinity, NaN].map((v) => formatNumber(v, style, p))).toEqual([style.infinity, `-${style.infinity}`, style.nan]);
        expect(formatNumbers([Infinity, -Infinity, NaN, 1], 0, 4, style, p, ';')).toBe(`${style.infinity};-${style.infinity};${style.nan};1`);
      }
    }
  });
});

describe('formatNumbers with text past ASCII or longer than a number', () => {
  const values = [0.5, -Math.fround(0.1), 1e30, -2.5e-20, Infinity, 3, Math.fround(1e-3)];
  it('a separator past ASCII, from any start', () => {
    for (let from = 0; from < values.length; from++) {
      expect(formatNumbers(values, from, values.length, plain, undefined, ' · ')).toBe(values.slice(from).map((v) => formatNumber(v, plain)).join(' · '));
    }
  });
  it('a style that writes long scientific numbers, over many rows', () => {
    const verbose = { scientific: (m: string, e: number) => `${m} multiplied by ten raised to the power of ${e}${' '.repeat(250)}`, infinity: 'Infinity', nan: 'NaN' };
    const many = Array.from({ length: 3000 }, (_, i) => values[i % values.length] * (i + 1));
    expect(formatNumbers(many, 0, many.length, verbose, undefined, ',')).toBe(many.map((v) => formatNumber(v, verbose)).join(','));
    const big = Array.from({ length: 3000 }, (_, i) => 1e30 * (i + 1));
    expect(formatNumbers(big, 0, big.length, verbose, undefined, ',')).toBe(big.map((v) => formatNumber(v, verbose)).join(','));
  });
});

describe('formatNumbers on long rows', () => {
  it('a row of 20,000 numbers (2.5 MB, past the first buffer) and a long separator equal the numbers printed one by one', () => {
    const r = random(31);
    const values = Array.from({ length: 20_000 }, (_, i) => (i % 3 === 0 ? Math.fround(r() - 0.5) : i % 3 === 1 ? (r() - 0.5) * 1e30 : -Math.fround(r() * 1e-3)));
    const sep = ` ${'&'.repeat(100)} `;
    const got = formatNumbers(values, 0, values.length, plain, undefined, sep);
    const parts = got.split(sep);
    expect(parts.length).toBe(values.length);
    // Each printed number reads back as its value (float32 values as float32), laid out as formatNumber prints it alone.
    const wrong = parts.filter((t, i) => t !== formatNumber(values[i], plain) || (Math.fround(values[i]) === values[i] ? Math.fround(Number(t)) : Number(t)) !== values[i]);
    expect(wrong.slice(0, 3)).toEqual([]);
  });
});
