import { evaluate } from '../ir/evaluate.js';
import type { Graph, NodeId } from '../ir/graph.js';
import type { Interval } from './interval.js';
import { PolySpace } from './poly.js';
import { samplePoints } from './taylor.js';

/**
 * The least-squares polynomial of total degree `degree` in the inputs (not shifted) fitted to the
 * graph's outputs on a Chebyshev grid of the box: the tensor grid of degree + 2 Chebyshev nodes per
 * input while it has at most 20 000 points, else Chebyshev-distributed seeded random points
 * (at least 4 per term). Solved by Householder QR with the columns scaled to unit size.
 */
export function fitPolynomial(graph: Graph, outputs: readonly NodeId[], n: number, degree: number, box: readonly Interval[], maxTerms?: number): { space: PolySpace; polys: Float64Array[]; points: number } {
  const S = new PolySpace(n, degree, box, maxTerms);
  const T = S.size;
  const m = degree + 2;
  const nodes = (b: Interval) => Array.from({ length: m }, (_, k) => (b[0] + b[1]) / 2 + ((b[1] - b[0]) / 2) * Math.cos((Math.PI * (2 * k + 1)) / (2 * m)));
  let pts: number[][];
  if (m ** n <= 20_000) {
    pts = [[]];
    for (let v = 0; v < n; v++) pts = pts.flatMap((p) => nodes(box[v]).map((x) => [...p, x]));
  } else {
    // Random points with the Chebyshev density: x = mid + half·cos(π·U).
    const unit = samplePoints(Array.from({ length: n }, () => [0, 1] as Interval), Math.max(20_000, 4 * T));
    pts = unit.map((p) => p.map((t, v) => (box[v][0] + box[v][1]) / 2 + ((box[v][1] - box[v][0]) / 2) * Math.cos(Math.PI * t)));
  }
  const P = pts.length;
  // Design matrix A (P × T), column-major, then scaled.
  const A = new Float64Array(P * T);
  const unitP = new Float64Array(T);
  pts.forEach((x, r) => {
    for (let k = 0; k < T; k++) {
      unitP.fill(0);
      unitP[k] = 1;
      A[k * P + r] = S.evaluate(unitP, x);
    }
  });
  const scale = new Float64Array(T);
  for (let k = 0; k < T; k++) {
    let s = 0;
    for (let r = 0; r < P; r++) s = Math.max(s, Math.abs(A[k * P + r]));
    scale[k] = s || 1;
    for (let r = 0; r < P; r++) A[k * P + r] /= scale[k];
  }
  const Y = outputs.map(() => new Float64Array(P));
  pts.forEach((x, r) => {
    const v = evaluate(graph, x);
    outputs.forEach((o, i) => (Y[i][r] = v[o]));
  });
  // Householder QR, applying each reflection to every right-hand side.
  const diag = new Float64Array(T);
  for (let k = 0; k < T; k++) {
    const col = k * P;
    let norm = 0;
    for (let r = k; r < P; r++) norm += A[col + r] ** 2;
    norm = Math.sqrt(norm);
    const alpha = A[col + k] > 0 ? -norm : norm;
    diag[k] = alpha;
    if (norm === 0) continue;
    A[col + k] -= alpha;
    let vv = 0;
    for (let r = k; r < P; r++) vv += A[col + r] ** 2;
    if (vv === 0) continue;
    const reflect = (y: Float64Array, off: number) => {
      let d = 0;
      for (let r = k; r < P; r++) d += A[col + r] * y[off + r];
      const f = (2 * d) / vv;
      for (let r = k; r < P; r++) y[off + r] -= f * A[col + r];
    };
    for (let j = k + 1; j < T; j++) reflect(A, j * P);
    for (const y of Y) reflect(y, 0);
  }
  const polys = Y.map((y) => {
    const c = new Float64Array(T);
    for (let k = T - 1; k >= 0; k--) {
      let s = y[k];
      for (let j = k + 1; j < T; j++) s -= A[j * P + k] * c[j];
      c[k] = diag[k] === 0 ? 0 : s / diag[k];
    }
    for (let k = 0; k < T; k++) c[k] /= scale[k];
    return c;
  });
  return { space: S, polys, points: P };
}
