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
  let text: string;
  if (precision !== undefined) {
    text = a.toExponential(Math.max(0, precision - 1));
  } else if (a === 0) {
    text = '0e+0';
  } else {
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
    text = a.toExponential(lo - 1);
  }
  const e = text.indexOf('e');
  let mantissa = text.slice(0, e);
  // The least p never ends in a zero digit; only rounding to --precision leaves zeros to drop.
  if (precision !== undefined && mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
  return { negative: v < 0, mantissa, exponent: +text.slice(e + 1) };
}

/** Plain decimal notation is used for exponents in this range, scientific outside it. */
const PLAIN_MIN = -5;
const PLAIN_MAX = 15;

/** The one number formatter: `v` as text in a target's style (without a sign when `abs`). */
export function formatNumber(v: number, style: NumberStyle, precision?: number): string {
  if (Number.isNaN(v)) return style.nan;
  if (!Number.isFinite(v)) return v < 0 ? `-${style.infinity}` : style.infinity;
  const p = numberParts(v, precision);
  const sign = p.negative ? '-' : '';
  if (p.exponent < PLAIN_MIN || p.exponent > PLAIN_MAX) return sign + style.scientific(p.mantissa, p.exponent);
  const m = p.mantissa;
  const digits = m.length > 1 ? m[0] + m.slice(2) : m;
  const e = p.exponent;
  let body: string;
  if (e < 0) body = `0.${'0'.repeat(-e - 1)}${digits}`;
  else if (e >= digits.length - 1) body = digits + '0'.repeat(e - digits.length + 1);
  else body = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  return sign + body;
}
