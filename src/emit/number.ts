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
  const e = powerOfTen(a);
  const x = a * POW10[8 - e];
  const q = Math.floor(x);
  const f = x - q;
  // Nearly every weight needs 7 or 8 digits: try 8, then fewer while they still read back (if p
  // digits read back, so do p + 1); 9 always do. The last rounding that read back is the answer.
  if (!readsBack(a, q, f, e, 8)) {
    readsBack(a, q, f, e, 9);
    fastLength = 9;
    return true;
  }
  let p = 8;
  let digits = fastDigits;
  let exponent = fastExponent;
  while (p > 1 && readsBack(a, q, f, e, p - 1)) {
    p--;
    digits = fastDigits;
    exponent = fastExponent;
  }
  fastDigits = digits;
  fastExponent = exponent;
  fastLength = p;
  // Stryker disable next-line BooleanLiteral: false only switches the fast path off (the same text)
  return true;
}

/**
 * floor(log10 a) for a float32 `a` in [1e-4, 2^23) that is not whole, by comparisons (Math.log10
 * cost more than the digit search itself). Exact: such an `a` is no power of ten (10^k is whole for
 * k ≥ 0, no float32 for k < 0) and lies at least 2^-25 of itself from one, while the float64 10^k
 * it is compared with is off by at most 2^-53 of itself. So X = a·10^(8-e) has 9 integer digits
 * (`node scripts/number-brute.mjs --pow10` checks every such `a`).
 */
export function powerOfTen(a: number): number {
  if (a >= 1) {
    if (a >= 1e3) return a >= 1e5 ? (a >= 1e6 ? 6 : 5) : a >= 1e4 ? 4 : 3;
    return a >= 10 ? (a >= 100 ? 2 : 1) : 0;
  }
  return a >= 0.01 ? (a >= 0.1 ? -1 : -2) : a >= 1e-3 ? -3 : -4;
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

/**
 * Text built in one byte buffer and decoded into a string once: separators, names and numbers
 * appended without a string per number (formatNumbers' weight rows; render's affine sums of
 * thousands of terms). The bytes hold ASCII; from the first character past it on (a target's
 * spelling of infinity, a name the user gave), the text is kept as a string instead.
 */
export class TextBuffer {
  private bytes = new Uint8Array(1 << 16);
  private o = 0;
  /** The text so far once a character past ASCII came (the bytes are then only scratch), else undefined. */
  private wide: string | undefined;

  /** Empties the text. */
  reset(): void {
    this.o = 0;
    this.wide = undefined;
  }

  /** The length of the text so far, in characters. */
  get length(): number {
    return this.wide === undefined ? this.o : this.wide.length;
  }

  /** Appends `text`. */
  text(text: string): void {
    if (this.wide !== undefined) {
      this.wide += text;
      return;
    }
    let o = this.o;
    this.reserve(o + text.length);
    const b = this.bytes;
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k);
      // Stryker disable next-line EqualityOperator,ConditionalExpression: keeping a string from more characters on (0x7f, every character) gives the same text (`false` is caught, but shares the name)
      if (c > 0x7f) {
        this.wide = this.decode(o) + text.slice(k);
        return;
      }
      b[o++] = c;
    }
    this.o = o;
  }

  /**
   * Appends `v` as formatNumber prints it without --precision when shortestFloat32 takes |v| (a
   * float32 in [1e-4, 2^23), not whole: always a plain decimal with a point, never "1"); false,
   * appending nothing, for any other `v`.
   */
  shortest(v: number): boolean {
    const a = Math.abs(v);
    if (!shortestFloat32(a)) return false;
    if (this.wide === undefined) this.putShortest(a !== v);
    else {
      this.o = 0;
      this.putShortest(a !== v);
      this.wide += this.decode(this.o);
    }
    return true;
  }

  /** The text. */
  done(): string {
    return this.wide ?? this.decode(this.o);
  }

  /** The first `end` bytes of the buffer as a string. */
  private decode(end: number): string {
    latin1 ??= new TextDecoder('latin1');
    return latin1.decode(this.bytes.subarray(0, end));
  }

  /** Grows the buffer to hold at least `end` bytes, doubling. */
  private reserve(end: number): void {
    // Stryker disable next-line EqualityOperator,ConditionalExpression: growing a byte early, or on every call, gives the same text (never growing is caught, but shares the names)
    if (end > this.bytes.length) {
      // Stryker disable next-line MethodExpression,ArithmeticOperator: any size from `end` up holds the text; the size only sets how often it grows
      const c = new Uint8Array(Math.max(end, 2 * this.bytes.length));
      c.set(this.bytes);
      this.bytes = c;
    }
  }

  /**
   * Appends shortestFloat32's answer as formatNumber lays it out: always plain decimal with a
   * point, as its `a` is not whole and its exponents lie in -4…6.
   */
  private putShortest(negative: boolean): void {
    let o = this.o;
    this.reserve(o + 16);
    const b = this.bytes;
    if (negative) b[o++] = 45;
    const n = fastLength;
    const e = fastExponent;
    // Fewer than 10 digits: int32 arithmetic.
    let m = fastDigits | 0;
    if (e < 0) {
      b[o++] = 48;
      b[o++] = 46;
      for (let z = -e - 1; z > 0; z--) b[o++] = 48;
      for (let k = o + n - 1; k >= o; k--) {
        const r = (m / 10) | 0;
        b[k] = 48 + m - r * 10;
        m = r;
      }
      this.o = o + n;
      return;
    }
    // n digits with a point after the first e + 1.
    const point = o + e + 1;
    for (let k = o + n; k >= o; k--) {
      if (k === point) {
        b[k] = 46;
        continue;
      }
      const r = (m / 10) | 0;
      b[k] = 48 + m - r * 10;
      m = r;
    }
    this.o = o + n + 1;
  }
}

let latin1: { decode(b: Uint8Array): string } | undefined;
// formatNumbers' text, reused from call to call.
const row = new TextBuffer();

/**
 * `values[from]` … `values[to - 1]`, each as formatNumber prints it, joined by `separator`: the same
 * text as mapping formatNumber and joining, without a string per number (a weight tensor of
 * millions of values is printed through here, a row at a time). `exact` as formatNumber's.
 */
export function formatNumbers(values: ArrayLike<number>, from: number, to: number, style: NumberStyle, precision: number | undefined, separator: string, exact = false): string {
  row.reset();
  for (let i = from; i < to; i++) {
    if (i > from) row.text(separator);
    const v = values[i];
    // Stryker disable next-line ConditionalExpression: `false` only switches the fast path off, which gives the same text (`true` is caught, but shares the name)
    if (!(precision === undefined && !exact && row.shortest(v))) row.text(formatNumber(v, style, precision, exact));
  }
  return row.done();
}
