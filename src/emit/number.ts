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
  /** −∞ where it is not a minus before `infinity` (JSON's string "-Infinity"). */
  readonly negativeInfinity?: string;
  readonly nan: string;
}

/** Numbers in JSON text: JSON has no Infinity or NaN, so those are the strings "Infinity", "-Infinity" and "NaN" (the JSON format and the PARAMS line of the mathjs files). */
export const JSON_NUMBERS: NumberStyle = { scientific: (m, e) => `${m}e${e}`, infinity: '"Infinity"', negativeInfinity: '"-Infinity"', nan: '"NaN"' };

/**
 * The digits of `v`: the shortest decimal that reads back as the same float32 when `v` is a
 * float32 value (every stored weight), else the same float64; or rounded to `precision`
 * significant digits when given. A whole number below 2^53 is always printed exactly (it may be
 * an integer tensor's value, which no float32 rounding may change: 2^31 stays 2147483648).
 * `exact`: the shortest decimal that reads back as the same float64 even for a float32 value (a
 * constant compared with: 3.14f prints 3.140000104904175, as 3.14 would read back as another double
 * and flip the comparison at x = 3.14f); the same text for every whole or dyadic value short enough.
 */
export function numberParts(v: number, precision?: number, exact = false): NumberParts {
  const a = Math.abs(v);
  const text = precision === undefined ? shortestText(a, exact) : a.toExponential(Math.max(0, precision - 1));
  const e = text.indexOf('e');
  let mantissa = text.slice(0, e);
  // The least p never ends in a zero digit; only rounding to --precision leaves zeros to drop.
  if (mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
  return { negative: v < 0, mantissa, exponent: +text.slice(e + 1) };
}

/** `a` (≥ 0) by toExponential with the least digits that read back, as a float32 unless `exact` (the reference the fast path below must equal). */
function shortestText(a: number, exact = false): string {
  // Stryker disable next-line ConditionalExpression: a shortcut; the search below also gives 0e+0 for 0
  if (a === 0) return '0e+0';
  const f32 = !exact && Math.fround(a) === a && !(Number.isInteger(a) && a <= 2 ** 53);
  // If p digits read back, so do p + 1: search the least p by bisection.
  let lo = 1;
  // Stryker disable next-line ConditionalExpression: a float32 searched up to 17 digits finds the same least p (every p from 9 up reads back)
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
 * The same least p and digits as shortestText, without building a string per try, for a float32
 * value `a` in [1e-4, 2^23) that is not a whole number (nearly every weight; every float32 from 2^23
 * up is whole); false for any other `a` (the caller takes shortestText). For such `a`, X = a·10^(8-e)
 * is exact in float64 (a = M·2^E with M < 2^24, and M·5^12 < 2^53), so X's integer part q and
 * fraction f give the correctly rounded p-digit mantissa of every p ≤ 9 (toExponential rounds
 * halves up); a candidate's read-back mp·10^k is one correctly rounded float64 operation (10^|k| is
 * exact), as Number() of its text is.
 */
// Stryker disable next-line BlockStatement: an empty body returns undefined, which only switches the fast path off (the same text)
function shortestFloat32(a: number): boolean {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: neither bound is ever met with equality (1e-4 is no float32, 2^23 is whole); a test made false only switches the fast path off, which gives the same text (made true, caught, but the name is shared)
  if (!(a >= 1e-4 && a < 8388608)) return false;
  // Stryker disable next-line ConditionalExpression: made true, a test only switches the fast path off, which gives the same text (made false, caught, but the name is shared)
  if (Math.fround(a) !== a || Number.isInteger(a)) return false;
  // e = floor(log10 a) exactly: such an `a` is no power of ten (10^k is whole for k ≥ 0, no float32
  // for k < 0) and lies at least 2^-25 of itself from one, which log10, correct to an ulp or so,
  // never rounds across (`node scripts/number-brute.mjs --log10` checks every such `a`). So X has 9
  // integer digits.
  const e = Math.floor(Math.log10(a));
  const x = a * POW10[8 - e];
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
  // Stryker disable next-line BooleanLiteral: false only switches the fast path off (the same text)
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
  // A candidate m·10^k with k ≥ 0 is whole, so never the non-whole `a`.
  // Stryker disable next-line EqualityOperator,ConditionalExpression: k > 0, or no test at all, is the same: for k = 0 the division below gives m, for k > 0 NaN, neither `a`
  if (k >= 0) return false;
  return Math.fround(m / POW10[-k]) === a;
}

/** Plain decimal notation is used for exponents in this range, scientific outside it. */
const PLAIN_MIN = -5;
const PLAIN_MAX = 15;

/**
 * The one number formatter: `v` as text in a target's style. `exact` (a constant a comparison
 * reads): the text reads back as `v` itself, never as another float64 nearer a short decimal (see
 * numberParts); --precision still rounds when given.
 */
export function formatNumber(v: number, style: NumberStyle, precision?: number, exact = false): string {
  if (Number.isNaN(v)) return style.nan;
  if (!Number.isFinite(v)) return v === Infinity ? style.infinity : (style.negativeInfinity ?? `-${style.infinity}`);
  const sign = v < 0 ? '-' : '';
  let digits: string;
  let e: number;
  // Stryker disable next-line ConditionalExpression: `false` only switches the fast path off, which gives the same text (`true` is caught, but shares the name)
  if (precision === undefined && !exact && shortestFloat32(Math.abs(v))) {
    digits = String(fastDigits);
    e = fastExponent;
  } else {
    const p = numberParts(v, precision, exact);
    if (p.exponent < PLAIN_MIN || p.exponent > PLAIN_MAX) return sign + style.scientific(p.mantissa, p.exponent);
    const m = p.mantissa;
    digits = m[0] + m.slice(2);
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
 * millions of values is printed through here, a row at a time). `exact` as formatNumber's.
 */
export function formatNumbers(values: ArrayLike<number>, from: number, to: number, style: NumberStyle, precision: number | undefined, separator: string, exact = false): string {
  let o = 0;
  for (let i = from; i < to; i++) {
    if (i > from) o = putText(separator, o);
    if (o === -1) break;
    const v = values[i];
    const a = Math.abs(v);
    // Stryker disable next-line ConditionalExpression: `false` only switches the fast path off, which gives the same text (`true` is caught, but shares the name)
    if (precision === undefined && !exact && shortestFloat32(a)) o = putShortest(a !== v, o);
    else o = putText(formatNumber(v, style, precision, exact), o);
    if (o === -1) break;
  }
  // A character past ASCII (a target's spelling of infinity, say): join strings instead.
  // Stryker disable next-line ConditionalExpression: `true` only switches the byte buffer off, which gives the same text (`false` is caught, but shares the name)
  if (o === -1) return Array.from({ length: to - from }, (_, k) => formatNumber(values[from + k], style, precision, exact)).join(separator);
  ascii ??= new TextDecoder('latin1');
  return ascii.decode(bytes.subarray(0, o));
}

/** Grows `bytes` to hold at least `end` bytes, doubling. */
function reserve(end: number): void {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: growing a byte early, or on every call, gives the same text (never growing is caught, but shares the names)
  if (end > bytes.length) {
    // Stryker disable next-line MethodExpression,ArithmeticOperator: any size from `end` up holds the text; the size only sets how often it grows
    const c = new Uint8Array(Math.max(end, 2 * bytes.length));
    c.set(bytes);
    bytes = c;
  }
}

/** Appends `text` at `o`; the new end, or -1 when `text` is not ASCII. */
function putText(text: string, o: number): number {
  reserve(o + text.length);
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    // Stryker disable next-line EqualityOperator,ConditionalExpression: taking the join of strings for more characters (0x7f, every character, or only ASCII) gives the same text (`false` is caught, but shares the name)
    if (c > 0x7f) return -1;
    bytes[o++] = c;
  }
  return o;
}

/**
 * Appends shortestFloat32's answer at `o` as formatNumber lays it out: always plain decimal with a
 * point, as its `a` is not whole and its exponents lie in -4…6; the new end.
 */
function putShortest(negative: boolean, o: number): number {
  reserve(o + 16);
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
