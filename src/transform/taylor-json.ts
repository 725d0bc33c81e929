import type { PolySpace } from './poly.js';

/** A polynomial result of --taylor or --fit, kept for `--format json`. */
export interface PolynomialResult {
  readonly space: PolySpace;
  readonly polys: readonly Float64Array[];
  /** Expansion point: the labels are monomials in x_i − at_i. */
  readonly at: readonly number[];
  readonly method: 'taylor' | 'fit';
  readonly notes: readonly string[];
}

/**
 * The polynomial in nn2poly's shape, so its users can compare: `labels` is a list of integer
 * arrays, one per monomial, each variable index (from 1) repeated by its power and [0] for the
 * intercept (nn2poly's convention: [1, 1, 3] is x1²·x3); `values` has one row per label and one
 * column per output. nn2eq adds `at` (nn2poly expands around 0 only), `method` and `notes` (the
 * stated errors). This is what `--format json` prints when --taylor or --fit is given.
 */
export function polynomialJson(r: PolynomialResult): string {
  const labels = r.space.exps.map((e) => {
    const l: number[] = [];
    e.forEach((power, v) => {
      for (let k = 0; k < power; k++) l.push(v + 1);
    });
    return l.length === 0 ? [0] : l;
  });
  const values = labels.map((_, k) => r.polys.map((p) => p[k]));
  return `${JSON.stringify({ labels, values, at: r.at, method: r.method, notes: r.notes })}\n`;
}
