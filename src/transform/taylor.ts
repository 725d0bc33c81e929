import { Nn2eqError } from '../errors.js';
import { evaluate } from '../ir/evaluate.js';
import type { Graph, NodeId } from '../ir/graph.js';
import { iadd, ihull, imag, imul, ipowInt, iscale, iv, point, ZERO, type Interval } from './interval.js';
import { PolySpace } from './poly.js';
import { reachable } from '../ir/rebuild.js';
import { cauchyBound, series, type SeriesFn } from './series.js';

/** A Taylor model: polynomial p in u = x − x0 plus an interval holding f − p over the whole box. */
interface TM {
  readonly p: Float64Array;
  readonly rem: Interval;
}

/** Slack for the float64 rounding of n-term polynomial sums: relative γ_n = n·2⁻⁵², times the magnitude summed. */
const EPS = 2 ** -52;

/** What --taylor built and what it costs. */
export interface TaylorResult {
  readonly space: PolySpace;
  /** One coefficient vector per output (the PolySpace's monomial order). */
  readonly polys: Float64Array[];
  /** A guaranteed enclosure of f − p over the box, per output. */
  readonly remainders: Interval[];
  /** Pre-activations whose range leaves the function's radius of convergence around their expansion point. */
  readonly divergent: { op: string; node: NodeId; range: Interval; radius: number }[];
}

/**
 * Evaluates the graph in Taylor-model arithmetic (nn2poly's truncated polynomial arithmetic plus
 * an interval remainder carried through every op) on the box `lo_i ≤ x_i ≤ hi_i`, around `at`.
 * Refuses graphs with ReLU-family kinks (max, min, step, abs) and lookups.
 */
export function taylorModel(graph: Graph, outputs: readonly NodeId[], n: number, order: number, at: readonly number[], box: readonly Interval[], maxTerms?: number): TaylorResult {
  const live = reachable(graph, outputs);
  for (let id = 0; id < graph.size; id++) {
    const op = graph.nodes[id].op;
    if (live[id] && (op === 'max' || op === 'min' || op === 'fmod' || op === 'step' || op === 'floor' || op === 'trunc' || op === 'abs' || op === 'lookup' || op === 'gt' || op === 'ge' || op === 'eq' || op === 'select')) {
      const what = op === 'lookup' ? 'an Embedding lookup' : op === 'fmod' ? 'a remainder (fmod), which jumps' : `'${op}' (a ReLU-family kink)`;
      throw new Nn2eqError(`--taylor and --fit need a smooth model, but it has ${what}`, 'unsupported', 'use --input-range LO:HI to make ReLU units linear or remove them where the inputs stay, or --jacobian');
    }
  }
  const ubox = box.map((b, i) => iv(b[0] - at[i], b[1] - at[i]));
  const S = new PolySpace(n, order, ubox, maxTerms);
  const T = S.size;
  const tm: (TM | undefined)[] = new Array(graph.size);
  const divergent: TaylorResult['divergent'] = [];
  const constant = (c: number): TM => {
    const p = new Float64Array(T);
    p[0] = c;
    return { p, rem: ZERO };
  };

  const total = (p: Float64Array) => S.homogeneous(p).reduce((s, x) => s + x, 0);

  const affine = (terms: readonly TM[], coefs: ArrayLike<number>, bias: number): TM => {
    const p = new Float64Array(T);
    p[0] = bias;
    let rem: Interval = ZERO;
    let mag = Math.abs(bias);
    for (let k = 0; k < terms.length; k++) {
      const c = coefs[k];
      const q = terms[k].p;
      for (let i = 0; i < T; i++) p[i] += c * q[i];
      rem = iadd(rem, iscale(terms[k].rem, c));
      mag += Math.abs(c) * total(q);
    }
    const slack = (terms.length + 1) * EPS * mag;
    return { p, rem: iadd(rem, [-slack, slack]) };
  };

  const mul = (a: TM, b: TM): TM => {
    const p = new Float64Array(T);
    const pr = S.pairs;
    for (let t = 0; t < pr.length; t += 3) p[pr[t + 2]] += a.p[pr[t]] * b.p[pr[t + 1]];
    // Terms past the order, bounded degree by degree.
    const ha = S.homogeneous(a.p);
    const hb = S.homogeneous(b.p);
    let dropped = 0;
    for (let d = 0; d <= order; d++) for (let e = order + 1 - d; e <= order; e++) dropped += ha[d] * hb[e];
    const ta = ha.reduce((s, x) => s + x, 0);
    const tb = hb.reduce((s, x) => s + x, 0);
    const slack = T * EPS * ta * tb;
    let rem: Interval = iv(-(dropped + slack), dropped + slack);
    rem = iadd(rem, imul(S.bound(a.p), b.rem));
    rem = iadd(rem, imul(S.bound(b.p), a.rem));
    rem = iadd(rem, imul(a.rem, b.rem));
    return { p, rem };
  };

  /** f(a) by Horner on a's non-constant part h, with the Lagrange remainder over the pre-activation's range J. */
  const compose = (f: SeriesFn, a: TM, exponent = 1): { tm: TM; range: Interval; center: number } => {
    const c0 = a.p[0];
    const h = a.p.slice();
    h[0] = 0;
    const H = iadd(S.bound(h), a.rem);
    const J = iadd(point(c0), ihull(H, ZERO));
    const at0 = series(f, point(c0), order + 1, exponent);
    const onJ = series(f, J, order + 2, exponent);
    // The interval recurrence overestimates on wide ranges; Cauchy's bound holds for every real ξ.
    for (const k of [order + 1, order + 2]) {
      const B = cauchyBound(f, k);
      onJ[k] = [Math.max(onJ[k][0], -B), Math.min(onJ[k][1], B)];
    }
    const mid = at0.map((c) => (c[0] + c[1]) / 2);
    const hTM: TM = { p: h, rem: ZERO };
    let q = constant(mid[order]);
    for (let k = order - 1; k >= 0; k--) {
      q = mul(q, hTM);
      q.p[0] += mid[k];
      q = { p: q.p, rem: iadd(q.rem, iv(-EPS * Math.abs(q.p[0]), EPS * Math.abs(q.p[0]))) };
    }
    const hMag = imag(S.bound(h));
    const eMag = imag(a.rem);
    const HMag = imag(H);
    let extra = 0;
    for (let k = 0; k <= order; k++) {
      extra += ((at0[k][1] - at0[k][0]) / 2) * HMag ** k;
      if (k > 0 && eMag > 0) extra += Math.abs(mid[k]) * ((hMag + eMag) ** k - hMag ** k);
    }
    let rem = iadd(q.rem, iv(-extra, extra));
    // Two enclosures of the rest, both sound, intersected: Lagrange's at order N + 1, or the exact
    // (N + 1)th term at c0 plus Lagrange's at N + 2 (much tighter where f^(N+1)(c0) is small, e.g. at an inflection point).
    const lagrange = imul(onJ[order + 1], ipowInt(H, order + 1));
    const nextTerm = iadd(imul(at0[order + 1], ipowInt(H, order + 1)), imul(onJ[order + 2], ipowInt(H, order + 2)));
    rem = iadd(rem, [Math.max(lagrange[0], nextTerm[0]), Math.min(lagrange[1], nextTerm[1])]);
    return { tm: { p: q.p, rem }, range: iadd(point(c0), H), center: c0 };
  };

  /** log, sqrt, 1/x and x^q (q not a whole number ≥ 0) are singular at 0: their series around c converge for |z − c| < |c|. */
  const poleAtZero = (op: string, node: NodeId, r: { range: Interval; center: number }) => {
    const radius = Math.abs(r.center);
    if (imag(iadd(r.range, point(-r.center))) >= radius) divergent.push({ op, node, range: r.range, radius });
  };

  for (let id = 0; id < graph.size; id++) {
    if (!live[id]) continue;
    const node = graph.nodes[id];
    const args = node.args.map((x) => tm[x]!);
    switch (node.op) {
      case 'input': {
        const t = constant(at[node.value]);
        if (order >= 1) t.p[1 + node.value] = 1;
        else {
          // Order 0: the input's variation is all remainder.
          tm[id] = { p: t.p, rem: ubox[node.value] };
          break;
        }
        tm[id] = t;
        break;
      }
      case 'const':
        tm[id] = constant(node.value);
        break;
      case 'affine':
        tm[id] = affine(args, node.coefs!, node.value);
        break;
      case 'mul':
        tm[id] = mul(args[0], args[1]);
        break;
      case 'div': {
        const r = compose('recip', args[1]);
        tm[id] = mul(args[0], r.tm);
        poleAtZero('div', id, r);
        break;
      }
      case 'pow': {
        if (graph.nodes[node.args[1]].op !== 'const') throw new Nn2eqError('--taylor: the model raises to a computed power, which nn2eq has no Taylor model for yet', 'unsupported', 'drop --taylor, or use --fit');
        const e = graph.nodes[node.args[1]].value;
        const r = compose('pow', args[0], e);
        tm[id] = r.tm;
        if (!(Number.isInteger(e) && e >= 0)) poleAtZero('pow', id, r);
        break;
      }
      case 'exp':
      case 'log':
      case 'tanh':
      case 'sigmoid':
      case 'softplus':
      case 'erf':
      case 'sqrt': {
        const r = compose(node.op, args[0]);
        tm[id] = r.tm;
        // Nearest complex singularity: tanh at ±iπ/2, sigmoid and softplus at ±iπ (around a real center c, at distance √(c² + s²)).
        if (node.op === 'log' || node.op === 'sqrt') poleAtZero(node.op, id, r);
        const s = node.op === 'tanh' ? Math.PI / 2 : node.op === 'sigmoid' || node.op === 'softplus' ? Math.PI : 0;
        if (s > 0) {
          const radius = Math.hypot(r.center, s);
          if (imag(iadd(r.range, point(-r.center))) >= radius) divergent.push({ op: node.op, node: id, range: r.range, radius });
        }
        break;
      }
      case 'sin': case 'cos': case 'tan': case 'asin': case 'acos': case 'atan': case 'sinh': case 'cosh': case 'asinh': case 'acosh': case 'atanh':
        throw new Nn2eqError(`--taylor: the model computes ${node.op}, which nn2eq has no Taylor model for yet`, 'unsupported', 'drop --taylor, or use --fit');
      default:
        throw new Error(`taylor: op ${node.op}`);
    }
    // Arguments used only here could be freed; the arena is small next to T·size floats for the models this is for.
  }
  return { space: S, polys: outputs.map((o) => tm[o]!.p), remainders: outputs.map((o) => tm[o]!.rem), divergent };
}

/** Max and RMS of |f − p| over points of the box: a grid for one or two inputs, else seeded random points plus the corners. */
export function measureError(graph: Graph, outputs: readonly NodeId[], S: PolySpace, polys: readonly Float64Array[], at: readonly number[], box: readonly Interval[]): { max: number; rms: number; points: number } {
  const n = box.length;
  const pts = samplePoints(box, n === 1 ? 2001 : n === 2 ? 101 * 101 : 4000);
  let max = 0;
  let sq = 0;
  let count = 0;
  const u = new Float64Array(n);
  for (const x of pts) {
    const v = evaluate(graph, x);
    for (let i = 0; i < n; i++) u[i] = x[i] - at[i];
    outputs.forEach((o, k) => {
      const err = Math.abs(v[o] - S.evaluate(polys[k], u));
      max = Math.max(max, Number.isNaN(err) ? Infinity : err);
      sq += err * err;
      count++;
    });
  }
  return { max, rms: Math.sqrt(sq / count), points: pts.length };
}

/** Points of the box: a regular grid in one or two dimensions, otherwise corners plus seeded random points. */
export function samplePoints(box: readonly Interval[], count: number): number[][] {
  const n = box.length;
  if (n === 1) return Array.from({ length: count }, (_, k) => [box[0][0] + ((box[0][1] - box[0][0]) * k) / (count - 1)]);
  if (n === 2) {
    const m = Math.round(Math.sqrt(count));
    const out: number[][] = [];
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) out.push([box[0][0] + ((box[0][1] - box[0][0]) * a) / (m - 1), box[1][0] + ((box[1][1] - box[1][0]) * b) / (m - 1)]);
    return out;
  }
  const out: number[][] = [];
  if (n <= 10) for (let c = 0; c < 1 << n; c++) out.push(box.map((b, i) => ((c >> i) & 1 ? b[1] : b[0])));
  let s = 0x9e3779b9;
  const rand = () => {
    // mulberry32: deterministic, so the header figures are reproducible.
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  while (out.length < count) out.push(box.map((b) => b[0] + (b[1] - b[0]) * rand()));
  return out;
}
