import { Nn2eqError } from '../errors.js';
import { evaluate } from '../ir/evaluate.js';
import type { Graph, NodeId } from '../ir/graph.js';
import { fitPolynomial } from './fit.js';
import type { Interval } from './interval.js';
import type { TransformOptions } from './options.js';
import { termCount } from './poly.js';
import type { PolynomialResult } from './taylor-json.js';
import { measureError, samplePoints, taylorModel } from './taylor.js';

// The steps and header notes both pipelines share: the scalar one (pipeline.ts) and the tensor one (tensor-pipeline.ts).

/** The header note of --prune: what went and what it cost on the box. */
export function pruneNote(eps: number, dropped: number, kept: number, what: string, change: { max: number; rms: number; points: number } | string, box: readonly Interval[]): string {
  const cost = typeof change === 'string' ? change : `largest output change ${fmt(change.max)} (RMS ${fmt(change.rms)}) on ${change.points} points of the box ${boxText(box)}`;
  return `--prune ${eps}: dropped ${dropped} of ${dropped + kept} ${what} with |w| < ${eps}; ${cost}.`;
}

/** The header note of --gradient params. */
export function gradientNote(m: number, count: number, order: readonly string[], layout: string, method: string): string {
  return `Gradient with respect to the weights: G[i][k] = d y_i / d theta_k over the ${m} flattened output${m === 1 ? '' : 's'} and ${count} weights theta, ${layout}; theta is ${order.join(', ')}, each flattened row-major, in that order (${method}; at kinks TF.js's convention). Nothing is folded.`;
}

/** The header note of --jacobian. */
export function jacobianNote(m: number, n: number, layout: string, method: string): string {
  return `Jacobian: J[i][j] = d y_i / d x_j over the ${m} flattened output${m === 1 ? '' : 's'} and ${n} flattened input${n === 1 ? '' : 's'}, ${layout} (${method}; at kinks TF.js's convention, e.g. relu'(0) = 0).`;
}

/** The header note of --expand; `unit` says what was counted ('' for scalar nodes). */
export function expandNote(rewritten: Readonly<Record<string, number | undefined>>, unit: string): string {
  const done = Object.entries(rewritten).map(([f, c]) => `${c} ${f}${unit}`);
  return `--expand: ${done.length ? done.join(', ') : 'no activations'} written with exp and log (tanh z = (e^{2z}-1)/(e^{2z}+1), sigmoid z = 1/(1+e^{-z}), softplus z = log(1+e^z)); exact in real arithmetic, but e^{2z} overflows in float64 for z > 354.`;
}

/**
 * --taylor or --fit on a scalar graph: the polynomial of each output and the header notes stating
 * its error over the box (undefined when neither is asked for).
 */
export function polynomialStep(graph: Graph, outputIds: readonly NodeId[], n: number, opts: TransformOptions, box: readonly Interval[]): { polynomial: Omit<PolynomialResult, 'notes'>; notes: string[] } | undefined {
  const notes: string[] = [];
  if (opts.taylor !== undefined) {
    const order = opts.taylor;
    const at = opts.at === undefined ? new Array<number>(n).fill(0) : opts.at.length === 1 ? new Array<number>(n).fill(opts.at[0]) : [...opts.at];
    if (at.length !== n) throw new Nn2eqError(`--at gives ${at.length} numbers, but the model has ${n} scalar inputs`, 'usage', `give one number, or ${n} comma-separated`);
    const t = taylorModel(graph, outputIds, n, order, at, box, opts.maxTerms);
    const me = measureError(graph, outputIds, t.space, t.polys, at, box);
    const bound = Math.max(...t.remainders.map((r) => Math.max(-r[0], r[1])));
    const shifted = at.some((a) => a !== 0);
    notes.push(
      `Taylor polynomial of order ${order} around x0 = ${at.every((a) => a === at[0]) ? `${fmt(at[0])} (every input)` : `(${at.map(fmt).join(', ')})`}${shifted ? ', in powers of x_i - x0_i' : ''}: ${nonzero(t.polys)} nonzero terms of ${termCount(n, order)} possible per output.`,
      `Error on the box ${boxText(box)}: measured max ${fmt(me.max)}, RMS ${fmt(me.rms)} on ${me.points} points against the exact model (float64).`,
      `Guaranteed bound on the whole box: ${Number.isFinite(bound) ? `|error| <= ${fmt(bound)}` : 'none, the remainder is unbounded (a singularity inside the range)'} (Taylor models: the polynomial plus an interval remainder through every op; intervals rounded outward by a relative 2^-50 safety margin).`,
    );
    for (const d of t.divergent.slice(0, 5)) {
      notes.push(`WARNING: the argument of a ${d.op} ranges over [${fmt(d.range[0])}, ${fmt(d.range[1])}], past the series' radius of convergence ${fmt(d.radius)} around its expansion point: the polynomial cannot be accurate there; narrow --range.`);
    }
    if (t.divergent.length > 5) notes.push(`WARNING: ${t.divergent.length - 5} more pre-activations leave their radius of convergence.`);
    return { polynomial: { space: t.space, polys: t.polys, at, method: 'taylor' }, notes };
  }
  if (opts.fit !== undefined) {
    const at = new Array<number>(n).fill(0);
    const f = fitPolynomial(graph, outputIds, n, opts.fit, box, opts.maxTerms);
    const me = measureError(graph, outputIds, f.space, f.polys, at, box);
    notes.push(
      `Least-squares polynomial of degree ${opts.fit} fitted on ${f.points} Chebyshev points of the box ${boxText(box)}: ${nonzero(f.polys)} nonzero terms of ${termCount(n, opts.fit)} possible per output.`,
      `Error on the box: measured max ${fmt(me.max)}, RMS ${fmt(me.rms)} on ${me.points} other points against the exact model (float64); a fit has no guaranteed bound.`,
    );
    return { polynomial: { space: f.space, polys: f.polys, at, method: 'fit' }, notes };
  }
  return undefined;
}

/** Largest and RMS change of any output between two graphs over points of the box. */
export function largestChange(a: Graph, aOut: readonly NodeId[], b: Graph, bOut: readonly NodeId[], box: readonly Interval[]): { max: number; rms: number; points: number } {
  const pts = samplePoints(box, box.length === 1 ? 2001 : box.length === 2 ? 101 * 101 : 4000);
  let max = 0;
  let sq = 0;
  for (const x of pts) {
    const va = evaluate(a, x);
    const vb = evaluate(b, x);
    aOut.forEach((o, k) => {
      const d = Math.abs(va[o] - vb[bOut[k]]);
      max = Math.max(max, Number.isNaN(d) ? Infinity : d);
      sq += d * d;
    });
  }
  return { max, rms: Math.sqrt(sq / (pts.length * Math.max(1, aOut.length))), points: pts.length };
}

/** One range for all inputs, or one per input. */
export function perInput(ranges: readonly (readonly [number, number])[], n: number, flag: string): Interval[] {
  if (ranges.length === 1) return Array.from({ length: n }, () => [ranges[0][0], ranges[0][1]] as Interval);
  if (ranges.length !== n) throw new Nn2eqError(`${flag} gives ${ranges.length} ranges, but the model has ${n} scalar inputs`, 'usage', `give one LO:HI for all inputs, or ${n} comma-separated`);
  return ranges.map((r) => [r[0], r[1]] as Interval);
}

export function boxText(box: readonly Interval[]): string {
  const same = box.every((b) => b[0] === box[0][0] && b[1] === box[0][1]);
  return same ? `[${fmt(box[0][0])}, ${fmt(box[0][1])}]^${box.length}` : box.map((b) => `[${fmt(b[0])}, ${fmt(b[1])}]`).join(' x ');
}

/** Figures in headers: 3 significant digits. */
function fmt(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

function nonzero(polys: readonly Float64Array[]): number {
  return Math.max(...polys.map((p) => p.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0)));
}
