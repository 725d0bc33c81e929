import { erf, sigmoid, softplus } from '../ir/special.js';

/**
 * Closed intervals [lo, hi] with outward rounding by a safety margin: every result is widened by
 * a relative 2⁻⁵⁰ (about 4 ulp) plus the smallest normal number, which covers the rounding of
 * +, −, ×, ÷ (½ ulp) and of Math.exp/log/tanh (within 1–2 ulp). It is a margin, not IEEE
 * directed rounding; NaN widens to the whole line.
 */
export type Interval = readonly [number, number];

const REL = 2 ** -50;
const ABS = 2.2250738585072014e-308;

function down(x: number): number {
  return Number.isNaN(x) ? -Infinity : x - Math.abs(x) * REL - ABS;
}
function up(x: number): number {
  return Number.isNaN(x) ? Infinity : x + Math.abs(x) * REL + ABS;
}

/** The interval [lo, hi], rounded outward. */
export function iv(lo: number, hi = lo): Interval {
  return [down(lo), up(hi)];
}

/** An exact point interval (no widening), for values known exactly. */
export function point(x: number): Interval {
  return [x, x];
}

export const ZERO: Interval = [0, 0];
export const WHOLE: Interval = [-Infinity, Infinity];

export function iadd(a: Interval, b: Interval): Interval {
  return iv(a[0] + b[0], a[1] + b[1]);
}

export function isub(a: Interval, b: Interval): Interval {
  return iv(a[0] - b[1], a[1] - b[0]);
}

export function iscale(a: Interval, c: number): Interval {
  return c >= 0 ? iv(a[0] * c, a[1] * c) : iv(a[1] * c, a[0] * c);
}

export function imul(a: Interval, b: Interval): Interval {
  const p = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]].map((x) => (Number.isNaN(x) ? 0 : x));
  return iv(Math.min(...p), Math.max(...p));
}

export function irecip(a: Interval): Interval {
  if (a[0] <= 0 && a[1] >= 0) return WHOLE;
  return iv(1 / a[1], 1 / a[0]);
}

export function idiv(a: Interval, b: Interval): Interval {
  return imul(a, irecip(b));
}

/** a^k for a whole number k ≥ 0 (even powers are non-negative). */
export function ipowInt(a: Interval, k: number): Interval {
  if (k === 0) return [1, 1];
  const lo = Math.pow(a[0], k);
  const hi = Math.pow(a[1], k);
  if (k % 2 === 1) return iv(lo, hi);
  if (a[0] >= 0) return iv(lo, hi);
  if (a[1] <= 0) return iv(hi, lo);
  return iv(0, Math.max(lo, hi));
}

/** a^q for any real q: whole numbers as above, negative whole numbers by a reciprocal, others need a > 0. */
export function ipow(a: Interval, q: number): Interval {
  if (Number.isInteger(q)) return q >= 0 ? ipowInt(a, q) : irecip(ipowInt(a, -q));
  if (a[0] < 0) return WHOLE;
  const lo = Math.pow(a[0], q);
  const hi = Math.pow(a[1], q);
  return iv(Math.min(lo, hi), Math.max(lo, hi));
}

/** Image of an increasing function. */
export function imono(f: (x: number) => number, a: Interval): Interval {
  return iv(f(a[0]), f(a[1]));
}

export const iexp = (a: Interval) => imono(Math.exp, a);
export const ilog = (a: Interval) => (a[0] < 0 ? WHOLE : imono(Math.log, a));
export const itanh = (a: Interval) => imono(Math.tanh, a);
export const isigmoid = (a: Interval) => imono(sigmoid, a);
export const isoftplus = (a: Interval) => imono(softplus, a);
export const ierf = (a: Interval) => imono(erf, a);
export const isqrt = (a: Interval) => (a[0] < 0 ? WHOLE : imono(Math.sqrt, a));

/** Smallest interval holding both. */
export function ihull(a: Interval, b: Interval): Interval {
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

/** max |x| over a. */
export function imag(a: Interval): number {
  return Math.max(Math.abs(a[0]), Math.abs(a[1]));
}
