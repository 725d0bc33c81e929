import { iadd, idiv, ierf, iexp, ilog, imul, ipow, ipowInt, irecip, iscale, isigmoid, isoftplus, isqrt, isub, itanh, ZERO, type Interval } from './interval.js';

/** The smooth one-argument functions Taylor-model arithmetic expands. */
export type SeriesFn = 'exp' | 'log' | 'tanh' | 'sigmoid' | 'softplus' | 'erf' | 'sqrt' | 'recip' | 'pow';

/**
 * Enclosures of the Taylor coefficients f⁽ᵏ⁾(ξ)/k!, k = 0…K, valid for every ξ in J: the
 * univariate recurrences (tanh' = 1 − tanh², σ' = σ(1 − σ), erf' = 2/√π·e^{−x²}, …) run in
 * interval arithmetic on the series of J + t. With a point J they are the coefficients at that point.
 */
export function series(f: SeriesFn, J: Interval, K: number, exponent = 1): Interval[] {
  const c: Interval[] = [];
  switch (f) {
    case 'exp':
      c.push(iexp(J));
      for (let k = 1; k <= K; k++) c.push(iscale(c[k - 1], 1 / k));
      break;
    case 'log':
      c.push(ilog(J));
      for (let k = 1; k <= K; k++) c.push(iscale(irecip(ipowInt(J, k)), (k % 2 === 1 ? 1 : -1) / k));
      break;
    case 'recip':
      for (let k = 0; k <= K; k++) c.push(iscale(irecip(ipowInt(J, k + 1)), k % 2 === 0 ? 1 : -1));
      break;
    case 'pow': {
      let binom = 1;
      for (let k = 0; k <= K; k++) {
        c.push(binom === 0 ? ZERO : iscale(ipow(J, exponent - k), binom));
        binom = (binom * (exponent - k)) / (k + 1);
      }
      break;
    }
    case 'tanh':
      c.push(itanh(J));
      for (let k = 1; k <= K; k++) c.push(iscale(isub(k === 1 ? [1, 1] : ZERO, square(c, k - 1)), 1 / k));
      break;
    case 'sigmoid':
      c.push(isigmoid(J));
      for (let k = 1; k <= K; k++) c.push(iscale(isub(c[k - 1], square(c, k - 1)), 1 / k));
      break;
    case 'softplus': {
      const s = series('sigmoid', J, Math.max(0, K - 1));
      c.push(isoftplus(J));
      for (let k = 1; k <= K; k++) c.push(iscale(s[k - 1], 1 / k));
      break;
    }
    case 'erf': {
      // g = exp(b) with b(t) = −(J + t)²: g' = b'g gives k·g_k = Σ_j j·b_j·g_{k−j}.
      const b: Interval[] = [iscale(ipowInt(J, 2), -1), iscale(J, -2), [-1, -1]];
      const g: Interval[] = [iexp(b[0])];
      for (let k = 1; k < K; k++) {
        let s: Interval = ZERO;
        for (let j = 1; j <= Math.min(k, 2); j++) s = iadd(s, iscale(imul(b[j], g[k - j]), j));
        g.push(iscale(s, 1 / k));
      }
      c.push(ierf(J));
      for (let k = 1; k <= K; k++) c.push(iscale(g[k - 1], 2 / Math.sqrt(Math.PI) / k));
      break;
    }
    case 'sqrt': {
      c.push(isqrt(J));
      const twice = iscale(c[0], 2);
      for (let k = 1; k <= K; k++) {
        let s: Interval = k === 1 ? [1, 1] : ZERO;
        for (let i = 1; i < k; i++) s = isub(s, imul(c[i], c[k - i]));
        c.push(idiv(s, twice));
      }
      break;
    }
  }
  return c;
}

/** Coefficient m of the square of the series c (c_0…c_m known): Σ_{i+j=m} c_i c_j, squares kept non-negative. */
function square(c: readonly Interval[], m: number): Interval {
  let s: Interval = ZERO;
  for (let i = 0; 2 * i < m; i++) s = iadd(s, iscale(imul(c[i], c[m - i]), 2));
  if (m % 2 === 0) s = iadd(s, ipowInt(c[m / 2], 2));
  return s;
}

/**
 * A bound on |f⁽ᵏ⁾(ξ)/k!| for every real ξ, from Cauchy's estimate on a horizontal strip
 * |Im z| ≤ r where f is analytic: |σ(z)| ≤ 1 for r ≤ π/2 and ≤ 1/sin r for r < π; tanh(z) = 2σ(2z) − 1;
 * softplus⁽ᵏ⁾ = σ⁽ᵏ⁻¹⁾. The best r of a fine grid is taken. Infinity for other functions.
 */
export function cauchyBound(f: SeriesFn, k: number): number {
  if (k === 0) return f === 'tanh' || f === 'sigmoid' ? 1 : Infinity;
  const sig = (m: number) => {
    let best = Infinity;
    for (let i = 1; i < 400; i++) {
      const r = (Math.PI * i) / 400;
      const M = r <= Math.PI / 2 ? 1 : 1 / Math.sin(r);
      best = Math.min(best, M / r ** m);
    }
    return best * (1 + 1e-9);
  };
  switch (f) {
    case 'sigmoid':
      return sig(k);
    case 'tanh':
      return 2 * 2 ** k * sig(k);
    case 'softplus':
      return sig(k - 1) / k;
    default:
      return Infinity;
  }
}
