import { Nn2eqError } from '../errors.js';
import { Graph, type NodeId } from '../ir/graph.js';
import { ProgramBuilder } from '../tensor/builder.js';
import type { TensorProgram } from '../tensor/program.js';
import { flatInputs, programOf, splitOutputs } from './tensor-ports.js';
import { iadd, imag, ipowInt, iscale, iv, type Interval } from './interval.js';

/** Number of monomials of total degree ≤ order in n variables: C(n + order, order). */
export function termCount(n: number, order: number): number {
  let c = 1;
  for (let k = 1; k <= order; k++) c = (c * (n + k)) / k;
  return Math.round(c);
}

/**
 * The monomials u^α of total degree ≤ `order` in `n` variables, in graded lexicographic order
 * (the constant first, then u1 … un, then degree 2, …), with the products a truncated
 * multiplication needs and the range of every monomial over a box of u.
 */
export class PolySpace {
  readonly exps: Uint8Array[] = [];
  readonly deg: Int32Array;
  /** (i, j, k) triples: monomial i times monomial j is monomial k, for deg i + deg j ≤ order. */
  readonly pairs: Int32Array;
  /** Range of u^α over the box, and its largest magnitude. */
  readonly range: Interval[];
  readonly mag: Float64Array;

  constructor(
    readonly n: number,
    readonly order: number,
    readonly box: readonly Interval[],
    maxTerms = 100_000,
  ) {
    const total = termCount(n, order);
    if (total > maxTerms) {
      throw new Nn2eqError(`a polynomial of order ${order} in ${n} inputs has up to ${total} terms, over --max-terms ${maxTerms}`, 'too-large', 'lower the order, or raise --max-terms');
    }
    const index = new Map<string, number>();
    let layer: Uint8Array[] = [new Uint8Array(n)];
    for (let d = 0; d <= order; d++) {
      for (const e of layer) {
        index.set(e.join(','), this.exps.length);
        this.exps.push(e);
      }
      // Next degree: raise the last variable used or any later one, so each monomial comes once.
      const next: Uint8Array[] = [];
      for (const e of layer) {
        let last = 0;
        for (let i = 0; i < n; i++) if (e[i] > 0) last = i;
        for (let i = last; i < n; i++) {
          const f = e.slice();
          f[i]++;
          next.push(f);
        }
      }
      layer = next;
    }
    const size = this.exps.length;
    this.deg = Int32Array.from(this.exps, (e) => e.reduce((s, x) => s + x, 0));
    const upTo = new Int32Array(order + 2);
    for (let d = 0; d <= order; d++) upTo[d] = termCount(n, d);
    const pairs: number[] = [];
    const sum = new Uint8Array(n);
    for (let i = 0; i < size; i++) {
      const room = order - this.deg[i];
      for (let j = 0; j < upTo[room]; j++) {
        for (let v = 0; v < n; v++) sum[v] = this.exps[i][v] + this.exps[j][v];
        pairs.push(i, j, index.get(sum.join(','))!);
      }
    }
    this.pairs = Int32Array.from(pairs);
    this.range = this.exps.map((e) => {
      let r: Interval = [1, 1];
      for (let v = 0; v < n; v++) if (e[v] > 0) r = mulPos(r, ipowInt(box[v], e[v]));
      return r;
    });
    this.mag = Float64Array.from(this.range, imag);
  }

  get size(): number {
    return this.exps.length;
  }

  /** An enclosure of p(u) over the box (naive interval evaluation over the monomials). */
  bound(p: Float64Array): Interval {
    let r: Interval = [p[0], p[0]];
    for (let k = 1; k < p.length; k++) if (p[k] !== 0) r = iadd(r, iscale(this.range[k], p[k]));
    return r;
  }

  /** Σ |p_α|·max|u^α| per total degree. */
  homogeneous(p: Float64Array): Float64Array {
    const h = new Float64Array(this.order + 1);
    for (let k = 0; k < p.length; k++) h[this.deg[k]] += Math.abs(p[k]) * this.mag[k];
    return h;
  }

  /** p(u) in float64. */
  evaluate(p: Float64Array, u: ArrayLike<number>): number {
    let s = 0;
    for (let k = 0; k < p.length; k++) {
      if (p[k] === 0) continue;
      let m = p[k];
      const e = this.exps[k];
      for (let v = 0; v < this.n; v++) if (e[v] > 0) m *= e[v] === 1 ? u[v] : Math.pow(u[v], e[v]);
      s += m;
    }
    return s;
  }

  /**
   * A scalar graph printing each polynomial of `polys` in the inputs x_i (shifted to x_i − at_i
   * where at_i ≠ 0); monomials are shared nodes, so the let form names those used by several outputs.
   */
  toGraph(polys: readonly Float64Array[], at: readonly number[]): { graph: Graph; outputs: NodeId[] } {
    const g = new Graph();
    const u = Array.from({ length: this.n }, (_, i) => (at[i] === 0 ? g.input(i) : g.shift(g.input(i), -at[i])));
    const mono: NodeId[] = this.exps.map((e) => {
      let node = g.constant(1);
      for (let v = 0; v < this.n; v++) if (e[v] > 0) node = g.mul(node, g.pow(u[v], e[v]));
      return node;
    });
    const outputs = polys.map((p) => g.affine(mono.slice(1), p.subarray(1), p[0]));
    return { graph: g, outputs };
  }
}

/**
 * The polynomials as a tensor program over the model's inputs: the flattened inputs u (shifted by
 * x0 when it is not 0), the monomials φ(u) of degree 1…order in graded order, and y = Cᵀφ(u) + c
 * with one column of C per output, split back into the model's output shapes.
 */
export function polynomialProgram(space: PolySpace, polys: readonly Float64Array[], at: readonly number[], model: TensorProgram): TensorProgram {
  const b = new ProgramBuilder();
  const fail = (m: string): never => {
    throw new Nn2eqError(`the polynomial's tensor program: ${m}`);
  };
  const { inputs, flat } = flatInputs(b, model, fail);
  b.layer = 1;
  const u = at.some((a) => a !== 0) ? b.apply('map', [flat, b.constant('x0', [space.n], at)], { fn: 'sub', params: [] }, fail, 'u')[0] : flat;
  const phi = b.apply('monomials', [u], { exponents: space.exps.slice(1).map((e) => [...e]) }, fail, 'phi')[0];
  const m = polys.length;
  const C = new Float64Array((space.size - 1) * m);
  for (let t = 1; t < space.size; t++) for (let j = 0; j < m; j++) C[(t - 1) * m + j] = polys[j][t];
  const c = Float64Array.from(polys, (p) => p[0]);
  const y = b.apply('dense', [phi, b.constant('C', [space.size - 1, m], C), b.constant('c', [m], c)], { pairs: 1, bias: true }, fail, 'y')[0];
  return programOf(b, model, inputs, splitOutputs(b, y, model.outputs, fail), 'Polynomial');
}

function mulPos(a: Interval, b: Interval): Interval {
  const p = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]];
  return iv(Math.min(...p), Math.max(...p));
}
