import { Nn2eqError } from '../errors.js';
import type { Graph, NodeId } from '../ir/graph.js';
import { applyMap, ELEMENTWISE, type ElementwiseFn, type FnName, type MapAttrs } from './functions.js';
import { sizeOf, type Body, type Equation, type TensorId, type TOp } from './program.js';
import { alongAxes, broadcastIndex, broadcastShapes, transpose, windows, type Scalars } from './scalars.js';

/** What an op's scalarize rule may ask of the lowering. */
export interface ScalarizeContext {
  readonly g: Graph;
  /** The scalars of a tensor; a constant's elements become `const` nodes on first use. */
  get(id: TensorId): Scalars;
  /** The stored values of a constant tensor. */
  values(id: TensorId): ArrayLike<number>;
  /** The static shape of any tensor. */
  shape(id: TensorId): readonly number[];
  /** Runs `body` once with its inputs bound to `inputs`; `step` (1-based) names recurrent values. */
  runBody(body: Body, inputs: readonly Scalars[], step?: number): Scalars[];
  /** Names a recurrent state of the current layer at a time step (1-based step and unit). */
  labelState(id: NodeId, symbol: string, step: number, index: number): void;
  /** Subtract the maximum inside softmax / log_softmax (the code targets), or print the textbook form. */
  readonly stableSoftmax: boolean;
  /** --weights symbolic: constant tensors are parameter leaves (`get` gives them), and `values` is not available. */
  readonly symbolic: boolean;
}

/** --weights symbolic meets an Embedding: its table is indexed by the input, not multiplied, so it has no parametric form (the scalar form and the code formats' tensor forms refuse it alike). */
export function noSymbolicGather(): Nn2eqError {
  return new Nn2eqError('an Embedding (gather) has no symbolic form: its table is indexed by the input, not multiplied', 'unsupported', 'drop --weights symbolic for this model');
}

/** How a rule multiplies by the elements of a weight tensor: numbers, or parameter leaves (--weights symbolic). */
interface Weights {
  /** Adds x·w[at] to the sum being built in `terms` / `coefs`. */
  times(terms: NodeId[], coefs: number[], x: NodeId, at: number): void;
  /** Adds w[at] as a constant term; returns what to add to the sum's constant (the number, or 0 when it went in as a leaf). */
  plus(terms: NodeId[], coefs: number[], at: number): number;
}

/** The Weights of constant tensor `id`: one path for numeric and symbolic weights, so each rule is written once. */
function weightsOf(sc: ScalarizeContext, id: TensorId): Weights {
  if (!sc.symbolic) {
    const v = sc.values(id);
    return {
      times: (terms, coefs, x, at) => {
        terms.push(x);
        coefs.push(v[at]);
      },
      plus: (_t, _c, at) => v[at],
    };
  }
  const p = sc.get(id).ids;
  return {
    times: (terms, coefs, x, at) => {
      terms.push(sc.g.mul(x, p[at]));
      coefs.push(1);
    },
    plus: (terms, coefs, at) => {
      terms.push(p[at]);
      coefs.push(1);
      return 0;
    },
  };
}

/** No weights at all: w = 1 and no constant term (a layer built without scale or centre). */
const UNIT: Weights = {
  times: (terms, coefs, x) => {
    terms.push(x);
    coefs.push(1);
  },
  plus: () => 0,
};

/** The shape rule's view of an equation: argument shapes, attributes, and a body's output shapes. */
export type ShapeRule = (args: readonly (readonly number[])[], attrs: never, bodyOutputs: readonly (readonly number[])[]) => number[][] | string;

/** What the op table knows about one tensor op. */
export interface TOpInfo {
  /** Output shapes from argument shapes; a string is an error message. */
  readonly shape: ShapeRule;
  /** Builds the op's scalar IR nodes from its arguments' scalars. */
  scalarize(sc: ScalarizeContext, eq: Equation): Scalars[];
  /** Pure data movement (no arithmetic): layers made of these only take no number. */
  readonly movement?: boolean;
  /** No scalar form (its scalarize refuses): --form auto prints the tensor form. */
  readonly tensorOnly?: boolean;
}

/** Attributes of each op, as extractors write them and emitters read them. */
export interface DenseAttrs { readonly pairs: number; readonly bias: boolean }
export interface AxesAttrs { readonly axes: readonly number[] }
export interface LayerNormAttrs { readonly axes: readonly number[]; readonly eps: number; readonly scale: boolean; readonly center: boolean }
export interface WindowAttrs {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilation: readonly number[];
  readonly padBefore: readonly number[];
  readonly outSpatial: readonly number[];
}
export interface ConvAttrs extends WindowAttrs { readonly groups: number; readonly bias: boolean }
export interface DepthwiseAttrs extends WindowAttrs { readonly multiplier: number; readonly bias: boolean }
export interface PoolAttrs extends WindowAttrs { readonly kind: 'max' | 'avg' }
export interface GlobalPoolAttrs { readonly kind: 'max' | 'avg' }
export interface TransposeAttrs { readonly perm: readonly number[] }
export interface ReshapeAttrs { readonly shape: readonly number[] }
export interface AxisAttrs { readonly axis: number }
/** A float32 value's 32 bits read as a 32-bit integer (ONNX BitCast). */
export interface BitcastAttrs { readonly to: 'int32' | 'uint32' }
export interface RepeatAttrs { readonly n: number }
export interface PadAttrs { readonly before: readonly number[]; readonly after: readonly number[] }
export interface SliceAttrs { readonly begin: readonly number[]; readonly end: readonly number[] }
export interface UpsampleAttrs { readonly factors: readonly number[] }
export interface DotAttrs { readonly axes: readonly [number, number]; readonly normalize: boolean }
/** The monomials x^e, one per row of `exponents` (a list of n non-negative integer powers each). */
export interface MonomialsAttrs { readonly exponents: readonly (readonly number[])[] }
export interface ScanAttrs { readonly reverse: boolean; readonly returnSequences: boolean; readonly symbols: readonly string[]; readonly units: number }

export type { MapAttrs, TOp };

const last = (s: readonly number[]) => s[s.length - 1];

/** The scalar rules of softmax and log_softmax along one group of elements. */
export function softmaxOf(g: Graph, xs: readonly NodeId[], stable: boolean): NodeId[] {
  const shifted = stable && xs.length > 1 ? shift(g, xs) : xs;
  const es = shifted.map((x) => g.fn('exp', x));
  const sum = g.affine(es, es.map(() => 1));
  return es.map((e) => g.div(e, sum));
}
function logSoftmaxOf(g: Graph, xs: readonly NodeId[], stable: boolean): NodeId[] {
  const shifted = stable && xs.length > 1 ? shift(g, xs) : xs;
  const lse = g.fn('log', g.affine(shifted.map((x) => g.fn('exp', x)), xs.map(() => 1)));
  return shifted.map((x) => g.sub(x, lse));
}
/** x − max(x): the same value mathematically, without overflow in exp. */
function shift(g: Graph, xs: readonly NodeId[]): NodeId[] {
  const m = xs.slice(1).reduce((a, b) => g.max(a, b), xs[0]);
  return xs.map((x) => g.sub(x, m));
}

/** x / √max(Σx², 1e-12) (TF's l2_normalize). */
export function l2Normalize(g: Graph, xs: readonly NodeId[]): NodeId[] {
  const sq = g.affine(xs.map((v) => g.pow(v, 2)), xs.map(() => 1));
  const r = g.div(g.constant(1), g.fn('sqrt', g.max(sq, g.constant(1e-12))));
  return xs.map((v) => g.mul(v, r));
}

/** Column `j` of a row-major [rows, cols] matrix. */
function column(w: ArrayLike<number>, rows: number, cols: number, j: number, into: Float64Array, at: number): void {
  for (let i = 0; i < rows; i++) into[at + i] = w[i * cols + j];
}

/** Dense with parameter leaves (--weights symbolic): the same sum as the numeric rule, Σₖ xₖ·Wₖ + b, through weightsOf. */
function symbolicDense(sc: ScalarizeContext, eq: Equation, xs: readonly Scalars[], dims: readonly number[], units: number): Scalars {
  const a = eq.attrs as unknown as DenseAttrs;
  const ws = xs.map((_, k) => weightsOf(sc, eq.args[2 * k + 1]));
  const bias = a.bias ? weightsOf(sc, eq.args[2 * a.pairs]) : UNIT;
  const ids: NodeId[] = [];
  const positions = xs[0].ids.length / dims[0];
  for (let p = 0; p < positions; p++) {
    for (let j = 0; j < units; j++) {
      const terms: NodeId[] = [];
      const coefs: number[] = [];
      for (let k = 0; k < xs.length; k++) for (let i = 0; i < dims[k]; i++) ws[k].times(terms, coefs, xs[k].ids[p * dims[k] + i], i * units + j);
      const b = bias.plus(terms, coefs, j);
      ids.push(sc.g.affine(terms, coefs, b));
    }
  }
  return { shape: [...xs[0].shape.slice(0, -1), units], ids };
}

/** Rebuilds a tensor by moving elements: `from(outIndex per axis)` gives the input index per axis, or null for zero. */
function remap(sc: ScalarizeContext, x: Scalars, outShape: readonly number[], from: (axis: number, i: number) => number | null): Scalars {
  const rank = outShape.length;
  const zero = sc.g.constant(0);
  const ids: NodeId[] = [];
  const p = new Array<number>(rank).fill(0);
  const n = sizeOf(outShape);
  for (let o = 0; o < n; o++) {
    let at: number | null = 0;
    for (let i = 0; i < rank && at !== null; i++) {
      const src = from(i, p[i]);
      at = src === null ? null : at * x.shape[i] + src;
    }
    ids.push(at === null ? zero : x.ids[at]);
    for (let i = rank - 1; i >= 0; i--) {
      if (++p[i] < outShape[i]) break;
      p[i] = 0;
    }
  }
  return { shape: outShape, ids };
}

function windowShape(args: readonly (readonly number[])[], a: WindowAttrs, channels: number): number[][] | string {
  const x = args[0];
  const r = a.kernel.length;
  if (x.length !== r + 1) return `expects input of rank ${r + 1} (without the batch), found shape [${x.join(', ')}]`;
  return [[...a.outSpatial, channels]];
}

function geometryOf(x: Scalars, a: WindowAttrs) {
  return { inSpatial: x.shape.slice(0, a.kernel.length), outSpatial: a.outSpatial, kernel: a.kernel, strides: a.strides, dilation: a.dilation, padBefore: a.padBefore };
}

/** The one op table: shape rule and scalarize rule of every tensor op. */
export const TOPS = {
  /** Σₖ xₖ·Wₖ + b over the last axis, at every leading position: args x₁, W₁, …, xₖ, Wₖ[, b]. */
  dense: {
    shape: (args, a: DenseAttrs) => {
      const lead = args[0].slice(0, -1);
      const units = args[1][1];
      for (let k = 0; k < a.pairs; k++) {
        const x = args[2 * k];
        const w = args[2 * k + 1];
        if (w.length !== 2 || last(x) !== w[0] || w[1] !== units) return `cannot multiply [${x.join(', ')}] by a [${w.join(', ')}] matrix`;
        if (x.length - 1 !== lead.length || lead.some((d, i) => d !== x[i])) return `inputs [${args[0].join(', ')}] and [${x.join(', ')}] differ before the last axis`;
      }
      return [[...lead, units]];
    },
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as DenseAttrs;
      const xs: Scalars[] = [];
      const ws: ArrayLike<number>[] = [];
      const dims: number[] = [];
      for (let k = 0; k < a.pairs; k++) {
        xs.push(sc.get(eq.args[2 * k]));
        dims.push(last(xs[k].shape));
      }
      const units = sc.shape(eq.args[1])[1];
      if (sc.symbolic) return [symbolicDense(sc, eq, xs, dims, units)];
      for (let k = 0; k < a.pairs; k++) ws.push(sc.values(eq.args[2 * k + 1]));
      const bias = a.bias ? sc.values(eq.args[2 * a.pairs]) : null;
      const total = dims.reduce((s, d) => s + d, 0);
      const coefs = new Float64Array(total);
      const ids: NodeId[] = [];
      const positions = xs[0].ids.length / dims[0];
      for (let p = 0; p < positions; p++) {
        const terms: NodeId[] = [];
        for (let k = 0; k < a.pairs; k++) for (let i = 0; i < dims[k]; i++) terms.push(xs[k].ids[p * dims[k] + i]);
        for (let j = 0; j < units; j++) {
          let at = 0;
          for (let k = 0; k < a.pairs; k++) {
            column(ws[k], dims[k], units, j, coefs, at);
            at += dims[k];
          }
          ids.push(sc.g.affine(terms, coefs, bias ? bias[j] : 0));
        }
      }
      return [{ shape: [...xs[0].shape.slice(0, -1), units], ids }];
    },
  },
  /** An element-wise function of the ELEMENTWISE table over broadcast arguments. */
  map: {
    shape: (args, a: MapAttrs) => {
      const f: ElementwiseFn = ELEMENTWISE[a.fn];
      if (!f) return `unknown element-wise function '${String(a.fn)}'`;
      // A derivative also takes the function's value (see mapTemplate).
      const extra = a.derivative === undefined ? 0 : 1;
      if (f.arity >= 0 && args.length !== f.arity + extra) return `${a.fn}${extra ? "'" : ''} takes ${f.arity + extra} arguments, found ${args.length}`;
      const out = broadcastShapes(args);
      return out ? [out] : `shapes ${args.map((s) => `[${s.join(', ')}]`).join(' and ')} do not broadcast`;
    },
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as MapAttrs;
      const f = (g: Graph, xs: readonly NodeId[]) => applyMap(g, a, xs);
      const xs = eq.args.map((id) => sc.get(id));
      if (xs.length === 1) return [{ shape: xs[0].shape, ids: xs[0].ids.map((v) => f(sc.g, [v])) }];
      const shape = broadcastShapes(xs.map((x) => x.shape))!;
      const at = xs.map((x) => broadcastIndex(x.shape, shape));
      const ids: NodeId[] = [];
      const n = sizeOf(shape);
      for (let i = 0; i < n; i++) ids.push(f(sc.g, xs.map((x, k) => x.ids[at[k](i)])));
      return [{ shape, ids }];
    },
  },
  softmax: {
    shape: (args) => [[...args[0]]],
    scalarize: (sc, eq) => [alongAxes(sc.get(eq.args[0]), (eq.attrs as unknown as AxesAttrs).axes, (xs) => softmaxOf(sc.g, xs, sc.stableSoftmax))],
  },
  log_softmax: {
    shape: (args) => [[...args[0]]],
    scalarize: (sc, eq) => [alongAxes(sc.get(eq.args[0]), (eq.attrs as unknown as AxesAttrs).axes, (xs) => logSoftmaxOf(sc.g, xs, sc.stableSoftmax))],
  },
  /** (x − μ)/√(σ² + ε)·γ + β over `axes`: args x[, γ][, β]. */
  layer_norm: {
    shape: (args) => [[...args[0]]],
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as LayerNormAttrs;
      const g = sc.g;
      const x = sc.get(eq.args[0]);
      const gamma = a.scale ? weightsOf(sc, eq.args[1]) : UNIT;
      const beta = a.center ? weightsOf(sc, eq.args[a.scale ? 2 : 1]) : UNIT;
      const n = sizeOf(a.axes.map((i) => x.shape[i]));
      return [
        alongAxes(x, a.axes, (xs) => {
          const ones = xs.map(() => 1 / n);
          const mean = g.affine(xs, ones);
          const d = xs.map((v) => g.sub(v, mean));
          const variance = g.affine(d.map((v) => g.pow(v, 2)), ones, a.eps);
          const r = g.div(g.constant(1), g.fn('sqrt', variance));
          return d.map((v, j) => {
            const terms: NodeId[] = [];
            const coefs: number[] = [];
            gamma.times(terms, coefs, g.mul(v, r), j);
            return g.affine(terms, coefs, beta.plus(terms, coefs, j));
          });
        }),
      ];
    },
  },
  l2_normalize: {
    shape: (args) => [[...args[0]]],
    scalarize: (sc, eq) => [alongAxes(sc.get(eq.args[0]), (eq.attrs as unknown as AxesAttrs).axes, (xs) => l2Normalize(sc.g, xs))],
  },
  /**
   * Keras's Dot (batch_dot): contracts axes[0] of x with axes[1] of y; the result has the remaining
   * axes of x, then of y ([1] when none remain). `normalize` L2-normalizes both along those axes first.
   */
  dot: {
    shape: (args, a: DotAttrs) => {
      const [x, y] = args;
      if (x[a.axes[0]] !== y[a.axes[1]]) return `contracts axis ${a.axes[0] + 1} of [${x.join(', ')}] with axis ${a.axes[1] + 1} of [${y.join(', ')}], which differ in size`;
      const shape = [...x.filter((_, i) => i !== a.axes[0]), ...y.filter((_, i) => i !== a.axes[1])];
      return [shape.length === 0 ? [1] : shape];
    },
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as DotAttrs;
      const g = sc.g;
      const [x, y] = eq.args.map((id) => sc.get(id));
      const [ax, ay] = a.axes;
      const lastX = transpose(x, [...[...Array(x.shape.length).keys()].filter((i) => i !== ax), ax]);
      const firstY = transpose(y, [ay, ...[...Array(y.shape.length).keys()].filter((i) => i !== ay)]);
      const n = x.shape[ax];
      const xRows: NodeId[][] = [];
      for (let at = 0; at < lastX.ids.length; at += n) xRows.push(lastX.ids.slice(at, at + n));
      const m = firstY.ids.length / n;
      const yCols: NodeId[][] = Array.from({ length: m }, (_, j) => Array.from({ length: n }, (_, k) => firstY.ids[k * m + j]));
      const xs = a.normalize ? xRows.map((r) => l2Normalize(g, r)) : xRows;
      const ys = a.normalize ? yCols.map((c) => l2Normalize(g, c)) : yCols;
      const ids: NodeId[] = [];
      for (const r of xs) for (const c of ys) ids.push(g.affine(r.map((v, k) => g.mul(v, c[k])), r.map(() => 1)));
      const shape = [...lastX.shape.slice(0, -1), ...firstY.shape.slice(1)];
      return [{ shape: shape.length === 0 ? [1] : shape, ids }];
    },
  },
  /**
   * The matrix product of the last two axes, a[…, M, K]·b[…, K, N] → […, M, N], batched over the
   * leading axes, which broadcast as numpy's matmul does (a missing or length-1 axis repeats):
   * attention's Q·Kᵀ and P·V per head, of two computed tensors.
   */
  matmul: {
    shape: (args) => {
      const [a, b] = args;
      if (a.length < 2 || b.length < 2) return `multiplies matrices of rank 2 or more, found [${a.join(', ')}] and [${b.join(', ')}]`;
      if (last(a) !== b[b.length - 2]) return `cannot multiply [${a.join(', ')}] by [${b.join(', ')}]: the inner sizes ${last(a)} and ${b[b.length - 2]} differ`;
      const lead = broadcastShapes([a.slice(0, -2), b.slice(0, -2)]);
      if (!lead) return `the leading axes of [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`;
      return [[...lead, a[a.length - 2], last(b)]];
    },
    scalarize(sc, eq) {
      const g = sc.g;
      const [a, b] = eq.args.map((id) => sc.get(id));
      const [M, K] = a.shape.slice(-2);
      const N = last(b.shape);
      const la = a.shape.slice(0, -2);
      const lb = b.shape.slice(0, -2);
      const lead = broadcastShapes([la, lb])!;
      const atA = broadcastIndex(la, lead);
      const atB = broadcastIndex(lb, lead);
      const ids: NodeId[] = [];
      const count = sizeOf(lead);
      for (let p = 0; p < count; p++) {
        const oa = atA(p) * M * K;
        const ob = atB(p) * K * N;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            const terms: NodeId[] = [];
            for (let k = 0; k < K; k++) terms.push(g.mul(a.ids[oa + i * K + k], b.ids[ob + k * N + j]));
            ids.push(g.affine(terms, terms.map(() => 1)));
          }
        }
      }
      return [{ shape: [...lead, M, N], ids }];
    },
  },
  /** Channels-last convolution: x[…spatial, C], K[…kernel, C/groups, F][, b[F]]. */
  conv: {
    shape: (args, a: ConvAttrs) => windowShape(args, a, last(args[1])),
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as ConvAttrs;
      const x = sc.get(eq.args[0]);
      const K = weightsOf(sc, eq.args[1]);
      const r = a.kernel.length;
      const cin = x.shape[r];
      const cg = cin / a.groups;
      const filters = last(sc.shape(eq.args[1]));
      const fg = filters / a.groups;
      const bias = a.bias ? weightsOf(sc, eq.args[2]) : UNIT;
      const ids: NodeId[] = [];
      windows(geometryOf(x, a), (_o, taps) => {
        for (let f = 0; f < filters; f++) {
          const c0 = Math.floor(f / fg) * cg;
          const terms: NodeId[] = [];
          const coefs: number[] = [];
          for (const [at, k] of taps) {
            for (let c = 0; c < cg; c++) K.times(terms, coefs, x.ids[at * cin + c0 + c], (k * cg + c) * filters + f);
          }
          ids.push(sc.g.affine(terms, coefs, bias.plus(terms, coefs, f)));
        }
      });
      return [{ shape: [...a.outSpatial, filters], ids }];
    },
  },
  /** Channels-last depthwise convolution: x[…spatial, C], D[…kernel, C, M][, b[C·M]] → [… , C·M]. */
  depthwise_conv: {
    shape: (args, a: DepthwiseAttrs) => windowShape(args, a, last(args[0]) * a.multiplier),
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as DepthwiseAttrs;
      const x = sc.get(eq.args[0]);
      const D = weightsOf(sc, eq.args[1]);
      const cin = x.shape[a.kernel.length];
      const m = a.multiplier;
      const bias = a.bias ? weightsOf(sc, eq.args[2]) : UNIT;
      const ids: NodeId[] = [];
      windows(geometryOf(x, a), (_o, taps) => {
        for (let c = 0; c < cin; c++) {
          for (let j = 0; j < m; j++) {
            const terms: NodeId[] = [];
            const coefs: number[] = [];
            for (const [at, k] of taps) D.times(terms, coefs, x.ids[at * cin + c], (k * cin + c) * m + j);
            ids.push(sc.g.affine(terms, coefs, bias.plus(terms, coefs, c * m + j)));
          }
        }
      });
      return [{ shape: [...a.outSpatial, cin * m], ids }];
    },
  },
  /** Max or average pooling, channels-last; 'same' averages over the in-bounds cells only (as TF). */
  pool: {
    shape: (args, a: PoolAttrs) => windowShape(args, a, last(args[0])),
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as PoolAttrs;
      const g = sc.g;
      const x = sc.get(eq.args[0]);
      const c = x.shape[a.kernel.length];
      const ids: NodeId[] = [];
      windows(geometryOf(x, a), (_o, taps) => {
        for (let ch = 0; ch < c; ch++) {
          const cells = taps.map(([at]) => x.ids[at * c + ch]);
          ids.push(a.kind === 'max' ? cells.slice(1).reduce((p, q) => g.max(p, q), cells[0]) : g.affine(cells, cells.map(() => 1 / cells.length)));
        }
      });
      return [{ shape: [...a.outSpatial, c], ids }];
    },
  },
  /** Max or mean over every axis but the last (channels-last): [… , C] → [C]. */
  global_pool: {
    shape: (args) => [[last(args[0])]],
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as GlobalPoolAttrs;
      const g = sc.g;
      const x = sc.get(eq.args[0]);
      const c = last(x.shape);
      const n = x.ids.length / c;
      const ids: NodeId[] = [];
      for (let ch = 0; ch < c; ch++) {
        const cells = Array.from({ length: n }, (_, i) => x.ids[i * c + ch]);
        ids.push(a.kind === 'max' ? cells.slice(1).reduce((p, q) => g.max(p, q), cells[0]) : g.affine(cells, cells.map(() => 1 / n)));
      }
      return [{ shape: [c], ids }];
    },
  },
  transpose: {
    movement: true,
    shape: (args, a: TransposeAttrs) => [a.perm.map((p) => args[0][p])],
    scalarize: (sc, eq) => [transpose(sc.get(eq.args[0]), (eq.attrs as unknown as TransposeAttrs).perm)],
  },
  reshape: {
    movement: true,
    shape: (args, a: ReshapeAttrs) => (sizeOf(a.shape) === sizeOf(args[0]) ? [[...a.shape]] : `cannot reshape [${args[0].join(', ')}] to [${a.shape.join(', ')}]`),
    scalarize: (sc, eq) => [{ shape: (eq.attrs as unknown as ReshapeAttrs).shape, ids: sc.get(eq.args[0]).ids }],
  },
  concat: {
    movement: true,
    shape: (args, a: AxisAttrs) => {
      const s = args[0];
      for (const t of args) {
        if (t.length !== s.length || t.some((d, i) => i !== a.axis && d !== s[i])) return `inputs have shapes ${args.map((x) => `[${x.join(', ')}]`).join(', ')}, which do not agree off axis ${a.axis + 1}`;
      }
      return [s.map((d, i) => (i === a.axis ? args.reduce((n, t) => n + t[i], 0) : d))];
    },
    scalarize(sc, eq) {
      const axis = (eq.attrs as unknown as AxisAttrs).axis;
      const inputs = eq.args.map((id) => sc.get(id));
      const rank = inputs[0].shape.length;
      // Move the axis first, stack, move it back.
      const perm = [axis, ...[...Array(rank).keys()].filter((i) => i !== axis)];
      const moved = inputs.map((t) => transpose(t, perm));
      const ids = moved.flatMap((t) => t.ids);
      const shape = [moved.reduce((n, t) => n + t.shape[0], 0), ...moved[0].shape.slice(1)];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [transpose({ shape, ids }, inverse)];
    },
  },
  /** A new leading axis of length n (RepeatVector). */
  repeat: {
    movement: true,
    shape: (args, a: RepeatAttrs) => [[a.n, ...args[0]]],
    scalarize(sc, eq) {
      const n = (eq.attrs as unknown as RepeatAttrs).n;
      const x = sc.get(eq.args[0]);
      return [{ shape: [n, ...x.shape], ids: Array.from({ length: n }, () => x.ids).flat() }];
    },
  },
  /** Zeros before and after each axis. */
  pad: {
    movement: true,
    shape: (args, a: PadAttrs) => [args[0].map((d, i) => d + a.before[i] + a.after[i])],
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as PadAttrs;
      const x = sc.get(eq.args[0]);
      const out = x.shape.map((d, i) => d + a.before[i] + a.after[i]);
      return [remap(sc, x, out, (ax, i) => (i < a.before[ax] || i >= a.before[ax] + x.shape[ax] ? null : i - a.before[ax]))];
    },
  },
  /** Elements [begin, end) of each axis. */
  slice: {
    movement: true,
    shape: (args, a: SliceAttrs) => {
      // An axis of any length (-1) is only ever kept whole: begin 0, end -1.
      const whole = (i: number) => args[0][i] === -1 && a.begin[i] === 0 && a.end[i] === -1;
      const out = args[0].map((_, i) => (whole(i) ? -1 : a.end[i] - a.begin[i]));
      return out.some((d, i) => !whole(i) && (d <= 0 || a.begin[i] < 0 || a.end[i] > args[0][i])) ? `slice [${a.begin.join(', ')}] to [${a.end.join(', ')}] leaves nothing of [${args[0].join(', ')}]` : [out];
    },
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as SliceAttrs;
      const x = sc.get(eq.args[0]);
      return [remap(sc, x, x.shape.map((_, i) => a.end[i] - a.begin[i]), (ax, i) => i + a.begin[ax])];
    },
  },
  /** Nearest-neighbour up-sampling: each element repeated factors[axis] times along each axis. */
  upsample: {
    movement: true,
    shape: (args, a: UpsampleAttrs) => [args[0].map((d, i) => d * a.factors[i])],
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as UpsampleAttrs;
      const x = sc.get(eq.args[0]);
      return [remap(sc, x, x.shape.map((d, i) => d * a.factors[i]), (ax, i) => Math.floor(i / a.factors[ax]))];
    },
  },
  /** The elements of `axis` in reverse order. */
  reverse: {
    movement: true,
    shape: (args) => [[...args[0]]],
    scalarize(sc, eq) {
      const axis = (eq.attrs as unknown as AxisAttrs).axis;
      const x = sc.get(eq.args[0]);
      return [remap(sc, x, x.shape, (ax, i) => (ax === axis ? x.shape[ax] - 1 - i : i))];
    },
  },
  /** Rows of a [rows, cols] table picked by integer ids (Embedding): args ids, table. */
  gather: {
    shape: (args) => (args[1].length === 2 ? [[...args[0], args[1][1]]] : `the table has shape [${args[1].join(', ')}], expected [rows, columns]`),
    scalarize(sc, eq) {
      const g = sc.g;
      const x = sc.get(eq.args[0]);
      if (sc.symbolic) throw noSymbolicGather();
      const w = sc.values(eq.args[1]);
      const [rows, cols] = sc.shape(eq.args[1]);
      const table = g.addTable({ rows, cols, values: w });
      const ids: NodeId[] = [];
      for (const id of x.ids) for (let c = 0; c < cols; c++) ids.push(g.lookup(table, id, c));
      return [{ shape: [...x.shape, cols], ids }];
    },
  },
  /**
   * Rows of a [rows, cols] table the model computes, picked by ids it computes (TF's GatherNd and
   * GatherV2 at computed indices): args table, ids. Row trunc(id); NaN where there is no such row.
   * The scalar form is Σᵣ [trunc(id) = r]·table[r] / Σᵣ [trunc(id) = r] (0/0 out of range).
   */
  gather_rows: {
    shape: (args) => (args[0].length === 2 ? [[...args[1], args[0][1]]] : `the table has shape [${args[0].join(', ')}], expected [rows, columns]`),
    scalarize(sc, eq) {
      const g = sc.g;
      const table = sc.get(eq.args[0]);
      const x = sc.get(eq.args[1]);
      const [rows, cols] = table.shape;
      const ones = new Array<number>(rows).fill(1);
      const ids: NodeId[] = [];
      for (const id of x.ids) {
        const k = g.fn('trunc', id);
        const hit = Array.from({ length: rows }, (_, r) => g.affine([g.fn('step', g.shift(k, -r)), g.fn('step', g.affine([k], [-1], r))], [-1, -1], 1));
        const found = g.affine(hit, ones);
        for (let c = 0; c < cols; c++) ids.push(g.div(g.affine(hit.map((h, r) => g.mul(h, table.ids[r * cols + c])), ones), found));
      }
      return [{ shape: [...x.shape, cols], ids }];
    },
  },
  /**
   * A recurrence over the first axis of x[T, F]: the body maps (x_t, states…) to the new states;
   * args x[, initial states…]. Outputs: the first state at every step (in processing order) or
   * only at the last, then the final states.
   */
  /** [Πᵢ xᵢ^eᵢ for each row e of exponents] over the last axis (a polynomial's terms: --taylor, --fit in the tensor form). */
  monomials: {
    shape: (args, a: MonomialsAttrs) => {
      const n = last(args[0]);
      const bad = a.exponents.find((e) => e.length !== n || e.some((k) => !Number.isInteger(k) || k < 0));
      return bad ? `exponent row [${bad.join(', ')}] does not give a non-negative integer power for each of the ${n} elements` : [[...args[0].slice(0, -1), a.exponents.length]];
    },
    scalarize(sc, eq) {
      const g = sc.g;
      const x = sc.get(eq.args[0]);
      const { exponents } = eq.attrs as unknown as MonomialsAttrs;
      const n = last(x.shape);
      const ids: NodeId[] = [];
      for (let at = 0; at < x.ids.length; at += n) {
        for (const e of exponents) {
          let m = g.constant(1);
          e.forEach((k, i) => k > 0 && (m = g.mul(m, g.pow(x.ids[at + i], k))));
          ids.push(m);
        }
      }
      return [{ shape: [...x.shape.slice(0, -1), exponents.length], ids }];
    },
  },
  scan: {
    shape: (args, a: ScanAttrs, body) => {
      if (args[0].length !== 2) return `expects input of shape [time steps, features], found [${args[0].join(', ')}]`;
      return [a.returnSequences ? [args[0][0], ...body[0]] : [...body[0]], ...body.map((s) => [...s])];
    },
    scalarize(sc, eq) {
      const a = eq.attrs as unknown as ScanAttrs;
      const body = eq.body!;
      const x = sc.get(eq.args[0]);
      const [T, F] = x.shape;
      const steps = Array.from({ length: T }, (_, t) => x.ids.slice(t * F, (t + 1) * F));
      const zero = sc.g.constant(0);
      let states: Scalars[] = body.outputs.map((_, k) => (eq.args.length > 1 + k ? sc.get(eq.args[1 + k]) : { shape: [a.units], ids: Array<NodeId>(a.units).fill(zero) }));
      const order = a.reverse ? [...steps].reverse() : steps;
      const sequence: NodeId[][] = [];
      order.forEach((xt, t) => {
        states = sc.runBody(body, [{ shape: [F], ids: xt }, ...states], t + 1);
        states.forEach((s, k) => s.ids.forEach((id, j) => sc.labelState(id, a.symbols[k], t + 1, j + 1)));
        sequence.push([...states[0].ids]);
      });
      const main: Scalars = a.returnSequences ? { shape: [T, ...states[0].shape], ids: sequence.flat() } : states[0];
      return [main, ...states];
    },
  },
  /** The body applied to every slice x[t] of the first axis; results stacked (TimeDistributed). */
  foreach: {
    shape: (args, _a: never, body) => [[args[0][0], ...body[0]]],
    scalarize(sc, eq) {
      const x = sc.get(eq.args[0]);
      const rest = x.shape.slice(1);
      const n = sizeOf(rest);
      const outs: Scalars[] = [];
      for (let t = 0; t < x.shape[0]; t++) outs.push(sc.runBody(eq.body!, [{ shape: rest, ids: x.ids.slice(t * n, (t + 1) * n) }], t + 1)[0]);
      return [{ shape: [x.shape[0], ...outs[0].shape], ids: outs.flatMap((y) => y.ids) }];
    },
  },
  /**
   * The bits of each float32 value read as a 32-bit integer (ONNX BitCast), printed natively where
   * the runtime reads a float's bits (NumPy's view, a typed array's buffer, C's memcpy). No formula
   * of float64 values gives them: a NaN's payload is no number, so the scalar form refuses it.
   */
  bitcast: {
    tensorOnly: true,
    shape: (args) => [[...args[0]]],
    scalarize(_sc, eq) {
      throw new Nn2eqError(`reading the bits of float32 values as ${(eq.attrs as unknown as BitcastAttrs).to} (ONNX BitCast) has no formula: a NaN's payload is no number`, 'unsupported', 'use --form tensor with -f numpy, js, c or julia');
    },
  },
} satisfies Record<TOp, TOpInfo>;

