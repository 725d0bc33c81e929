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

// shortestFloat32's answer (set when it returns true): the digits as an integer and the power of ten of the first.
let fastDigits = 0;
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
