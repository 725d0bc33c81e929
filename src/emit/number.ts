/** A finite number split for printing: sign, mantissa digits "d" or "d.ddd", and a power of ten. */
export interface NumberParts {
  readonly negative: boolean;
  readonly mantissa: string;
  readonly exponent: number;
}

/** How a target writes numbers: plain decimals are shared, the rest differs. */
export interface NumberStyle {
  scientific(mantissa: string, exponent: number): string;
  readonly infinity: string;
  readonly nan: string;
}

/** Numbers in JSON text: JSON has no Infinity or NaN, so those are the strings "Infinity" and "NaN" (the JSON format and the PARAMS line of the mathjs files). */
export const JSON_NUMBERS: NumberStyle = { scientific: (m, e) => `${m}e${e}`, infinity: '"Infinity"', nan: '"NaN"' };

/**
 * The digits of `v`: the shortest decimal that reads back as the same float32 when `v` is a
 * float32 value (every stored weight), else the same float64; or rounded to `precision`
 * significant digits when given. A whole number below 2^53 is always printed exactly (it may be
 * an integer tensor's value, which no float32 rounding may change: 2^31 stays 2147483648).
 */
export function numberParts(v: number, precision?: number): NumberParts {
  const a = Math.abs(v);
  if (precision === undefined && shortestFloat32(a)) {
    const digits = String(fastDigits);
    return { negative: v < 0, mantissa: digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits, exponent: fastExponent };
  }
  const text = exponentialText(a, precision);
  const e = text.indexOf('e');
  let mantissa = text.slice(0, e);
  // The least p never ends in a zero digit; only rounding to --precision leaves zeros to drop.
  if (precision !== undefined && mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
  return { negative: v < 0, mantissa, exponent: +text.slice(e + 1) };
}

/** `a` (≥ 0) by toExponential: rounded to `precision` digits, or the least digits that read back (the reference the fast path below must equal). */
function exponentialText(a: number, precision?: number): string {
  if (precision !== undefined) return a.toExponential(Math.max(0, precision - 1));
  if (a === 0) return '0e+0';
  const f32 = Math.fround(a) === a && !(Number.isInteger(a) && a <= 2 ** 53);
  // If p digits read back, so do p + 1: search the least p by bisection.
  let lo = 1;
  let hi = f32 ? 9 : 17;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const back = +a.toExponential(mid - 1);
    if (f32 ? Math.fround(back) === a : back === a) hi = mid;
    else lo = mid + 1;
  }
  return a.toExponential(lo - 1);
}

/** 10^0 … 10^22, each exact in float64. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// shortestFloat32's answer (set when it returns true): the digits as an integer, how many, and the power of ten of the first.
let fastDigits = 0;
let fastLength = 0;
let fastExponent = 0;

/**
 * The same least p and digits as exponentialText, without building a string per try, for a
 * float32 value `a` in [1e-4, 1e9) that is not a whole number (nearly every weight); false for any
 * other `a` (the caller takes exponentialText). For such `a`, X = a·10^(8-e) is exact in float64
 * (a = M·2^E with M < 2^24, and M·5^12 < 2^53), so X's integer part q and fraction f give the
 * correctly rounded p-digit mantissa of every p ≤ 9 (toExponential rounds halves up); a
 * candidate's read-back mp·10^k is one correctly rounded float64 operation (10^|k| is exact), as
 * Number() of its text is.
 */
function shortestFloat32(a: number): boolean {
  if (!(a >= 1e-4 && a < 1e9) || Math.fround(a) !== a || Number.isInteger(a)) return false;
  let e = Math.floor(Math.log10(a));
  if (e < -4) e = -4;
  if (e > 8) e = 8;
  let x = a * POW10[8 - e];
  // log10 may be one off near a power of ten: X must have exactly 9 integer digits.
  while (x < 1e8 && e > -4) x = a * POW10[8 - --e];
  while (x >= 1e9 && e < 8) x = a * POW10[8 - ++e];
  if (x < 1e8 || x >= 1e9) return false;
  const q = Math.floor(x);
  const f = x - q;
  let lo = 1;
  let hi = 9;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (readsBack(a, q, f, e, mid)) hi = mid;
    else lo = mid + 1;
  }
  readsBack(a, q, f, e, lo);
  fastLength = lo;
  return true;
}

/** Whether the p-digit rounding of a = (q + f)·10^(e-8) reads back as the float32 `a`; leaves that rounding in fastDigits/fastExponent. */
function readsBack(a: number, q: number, f: number, e: number, p: number): boolean {
  const d = POW10[9 - p];
  const high = Math.floor(q / d);
  let m = q - high * d + f >= d / 2 ? high + 1 : high;
  let exponent = e;
  if (m === POW10[p]) {
    m = POW10[p - 1];
    exponent++;
  }
  fastDigits = m;
  fastExponent = exponent;
  const k = exponent - p + 1;
  return Math.fround(k >= 0 ? m * POW10[k] : m / POW10[-k]) === a;
}

/** Plain decimal notation is used for exponents in this range, scientific outside it. */
const PLAIN_MIN = -5;
const PLAIN_MAX = 15;

/** The one number formatter: `v` as text in a target's style (without a sign when `abs`). */
export function formatNumber(v: number, style: NumberStyle, precision?: number): string {
  if (Number.isNaN(v)) return style.nan;
  if (!Number.isFinite(v)) return v < 0 ? `-${style.infinity}` : style.infinity;
  const sign = v < 0 ? '-' : '';
  let digits: string;
  let e: number;
  if (precision === undefined && shortestFloat32(Math.abs(v))) {
    digits = String(fastDigits);
    e = fastExponent;
  } else {
    const p = numberParts(v, precision);
    if (p.exponent < PLAIN_MIN || p.exponent > PLAIN_MAX) return sign + style.scientific(p.mantissa, p.exponent);
    const m = p.mantissa;
    digits = m.length > 1 ? m[0] + m.slice(2) : m;
    e = p.exponent;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (e >= digits.length - 1) return sign + digits + '0'.repeat(e - digits.length + 1);
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

// formatNumbers writes into this, grown as needed; ASCII only, so any single-byte decoder reads it.
let bytes: Uint8Array = new Uint8Array(1 << 16);
let ascii: { decode(b: Uint8Array): string } | undefined;

/**
 * `values[from]` … `values[to - 1]`, each as formatNumber prints it, joined by `separator`: the same
 * text as mapping formatNumber and joining, without a string per number (a weight tensor of
 * millions of values is printed through here, a row at a time).
 */
export function formatNumbers(values: ArrayLike<number>, from: number, to: number, style: NumberStyle, precision: number | undefined, separator: string): string {
  let o = 0;
  for (let i = from; i < to; i++) {
    if (o + 64 + separator.length > bytes.length) bytes = grown(bytes, o + 64 + separator.length);
    if (i > from) o = putText(separator, o);
    if (o < 0) break;
    const v = values[i];
    if (precision === undefined && shortestFloat32(Math.abs(v))) o = putShortest(v < 0, o);
    else o = putText(formatNumber(v, style, precision), o);
    if (o < 0) break;
  }
  // A character past ASCII (a target's spelling of infinity, say): join strings instead.
  if (o < 0) return Array.from({ length: to - from }, (_, k) => formatNumber(values[from + k], style, precision)).join(separator);
  ascii ??= new TextDecoder('latin1');
  return ascii.decode(bytes.subarray(0, o));
}

/** A larger copy of `b` holding at least `n` bytes. */
function grown(b: Uint8Array, n: number): Uint8Array {
  const c = new Uint8Array(Math.max(n, 2 * b.length));
  c.set(b);
  return c;
}

/** Appends `text` at `o`; the new end, or -1 when `text` is not ASCII. */
function putText(text: string, o: number): number {
  if (o + text.length > bytes.length) bytes = grown(bytes, o + text.length + 64);
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c > 0x7f) return -1;
    bytes[o++] = c;
  }
  return o;
}

/** Appends shortestFloat32's answer at `o` as formatNumber lays it out (always plain decimal: its exponents lie in -4…9); the new end. */
function putShortest(negative: boolean, o: number): number {
  const b = bytes;
  if (negative) b[o++] = 45;
  const n = fastLength;
  const e = fastExponent;
  let m = fastDigits;
  if (e < 0) {
    b[o++] = 48;
    b[o++] = 46;
    for (let z = -e - 1; z > 0; z--) b[o++] = 48;
    for (let k = o + n - 1; k >= o; k--) {
      const r = m % 10;
      b[k] = 48 + r;
      m = (m - r) / 10;
    }
    return o + n;
  }
  if (e >= n - 1) {
    for (let k = o + n - 1; k >= o; k--) {
      const r = m % 10;
      b[k] = 48 + r;
      m = (m - r) / 10;
    }
    o += n;
    for (let z = e - n + 1; z > 0; z--) b[o++] = 48;
    return o;
  }
  // n digits with a point after the first e + 1.
  const point = o + e + 1;
  for (let k = o + n; k >= o; k--) {
    if (k === point) {
      b[k] = 46;
      continue;
    }
    const r = m % 10;
    b[k] = 48 + r;
    m = (m - r) / 10;
  }
  return o + n + 1;
}
