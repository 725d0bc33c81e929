/**
 * Special functions that JavaScript lacks, kept as source text so that the float64 evaluator and
 * the emitted JS module run the very same code.
 */

/** erf(x) to about 1e-14: Maclaurin series below 2.5, Lentz-free continued fraction of erfc above. */
export const ERF_SOURCE = `function erf(x) {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const d = term / (2 * n + 1);
      sum += d;
      if (Math.abs(d) <= 1e-17 * Math.abs(sum)) break;
    }
    return sum * 1.1283791670955126;
  }
  if (a >= 6) return Math.sign(x);
  let f = a;
  for (let k = 80; k >= 1; k--) f = a + (k / 2) / f;
  const erfc = Math.exp(-a * a) / (1.7724538509055159 * f);
  return Math.sign(x) * (1 - erfc);
}`;

/** The float64 erf used by the IR evaluator (compiled from `ERF_SOURCE`). */
export const erf: (x: number) => number = new Function(`${ERF_SOURCE}\nreturn erf;`)();

/** Logistic sigmoid without overflow for large negative arguments. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
