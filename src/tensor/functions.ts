import { Graph, type NodeId } from '../ir/graph.js';
import type { Fn } from '../ir/ops.js';
import { jacobian } from '../ir/jacobian.js';
import { reachable, rebuild } from '../ir/rebuild.js';

/**
 * `fn` of the ELEMENTWISE table with its numeric `params`; `derivative: k` applies ∂fn/∂(argument k)
 * instead (the tensor-form Jacobian), `expanded` writes tanh, sigmoid and softplus in exp and log
 * (--expand). See mapTemplate below.
 */
export interface MapAttrs { readonly fn: FnName; readonly params: readonly number[]; readonly derivative?: number; readonly expanded?: boolean }

/**
 * The element-wise functions of the `map` op, each defined once as a scalar template: how one
 * element of the result is built from one element of each argument (broadcast). Scalarize calls
 * the template per element; tensor-form emitters print the same template once, with the argument
 * tensors in place of the scalars, so no function is written twice.
 */
export interface ElementwiseFn {
  /** Number of tensor arguments; -1 for any number (at least one). */
  readonly arity: number;
  /** Names of the numeric parameters, in order (alpha, max_value, …). */
  readonly params: readonly string[];
  /** One element of the result. Constant arguments arrive as `const` nodes (see Graph.constValue). */
  scalar(g: Graph, xs: readonly NodeId[], params: readonly number[]): NodeId;
  /** How LaTeX's tensor form names it as an operator applied element-wise (none for plain arithmetic). */
  readonly operator?: string;
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** α·(e^{min(x,0)} − 1) + max(x, 0): ELU without a branch, exact for both signs. */
function elu(g: Graph, x: NodeId, alpha: number, scale = 1): NodeId {
  return g.affine([g.max(g.constant(0), x), g.fn('exp', g.min(g.constant(0), x))], [scale, scale * alpha], -scale * alpha);
}

/** Σ cᵢ·xᵢ where every cᵢ may be a constant node (then an affine coefficient) or any node. */
function weighted(g: Graph, xs: readonly NodeId[], cs: readonly NodeId[], bias: NodeId): NodeId {
  const nums = cs.map((c) => g.constValue(c));
  const b = g.constValue(bias);
  if (b !== undefined && nums.every((c) => c !== undefined)) return g.affine(xs, nums as number[], b);
  return g.affine([...xs.map((x, i) => g.mul(cs[i], x)), bias], [...xs.map(() => 1), 1]);
}

function fold(xs: readonly NodeId[], f: (a: NodeId, b: NodeId) => NodeId): NodeId {
  return xs.slice(1).reduce(f, xs[0]);
}

/**
 * x rounded to the nearest whole number, ties to even, from floor and step: ⌊x⌋, plus 1 when the
 * fraction d = x − ⌊x⌋ exceeds ½, plus 1 when d = ½ and ⌊x⌋ is odd. Exact in float64: d is exact,
 * d − ½ is exact for d ≥ ¼ (and negative below), and ⌊x⌋/2 is exact.
 */
function roundHalfEven(g: Graph, x: NodeId): NodeId {
  const f = g.fn('floor', x);
  const d = g.sub(x, f);
  const half = g.shift(d, -0.5);
  const odd = g.affine([f, g.fn('floor', g.scale(f, 0.5))], [1, -2]);
  return g.affine([f, g.fn('step', half), g.fn('step', g.sub(odd, g.fn('step', g.fn('abs', half))))], [1, 1, 1]);
}

/**
 * A float64 rounded to float32's 24 significant bits, nearest even, by Veltkamp's split in plain
 * float64 arithmetic: c = 2^29·x + x, then c − (c − x); needs |x| < 2^994 and a target that does
 * not reassociate. c is written as a sum of the exact 2^29·x and x, not as (2^29 + 1)·x, so a C
 * compiler that fuses a multiply into the next addition (gcc -march=native contracts by default)
 * rounds it the same way. The split's tie rule never matters here: the float64 quotient or product
 * of two float32 values is never halfway between two float32 values.
 */
function toFloat32(g: Graph, x: NodeId): NodeId {
  const c = g.add(g.scale(x, 2 ** 29), x);
  return g.sub(c, g.sub(c, x));
}

/** |x| = a rounded to p significant bits, nearest even, with gradual underflow below 2^emin (toBinary's rounding). */
function roundMagnitude(g: Graph, a: NodeId, p: number, emin: number): NodeId {
  const c = g.add(g.scale(a, 2 ** (53 - p)), a);
  const normal = g.sub(c, g.sub(c, a));
  const k = 2 ** (p - 1 - emin);
  const tiny = g.div(g.shift(g.shift(g.scale(a, k), 1.5 * 2 ** 52), -1.5 * 2 ** 52), g.constant(k));
  return g.select(g.compare('gt', g.constant(2 ** emin), a), tiny, normal);
}

/**
 * A float64 rounded to a binary format with p significand bits (the implicit one included) and
 * exponents emin…emax, as dtype.ts's roundBinary: nearest, ties to even, gradual underflow,
 * overflow to ±∞. Of |x| = a: a normal a is rounded to p bits by Veltkamp's split, c − (c − a)
 * with c = 2^(53−p)·a + a (ties to even, as float64's own rounding is; c written as toFloat32's
 * is, for fused multiply-adds); a subnormal a, scaled by 2^(p−1−emin) (exact), to a whole number
 * by adding and subtracting 1.5·2^52, then scaled back. A result of 2^(emax+1) or more (and an a
 * that large) overflows: ∞. The sign goes back last; NaN stays NaN. Every constant is a power of
 * two past float32's range or a whole number, which every target prints exactly.
 */
function toBinary(g: Graph, x: NodeId, p: number, emin: number, emax: number): NodeId {
  const a = g.fn('abs', x);
  const r = roundMagnitude(g, a, p, emin);
  const top = g.constant(2 ** (emax + 1));
  const inf = g.constant(Infinity);
  const m = g.select(g.compare('ge', a, top), inf, g.select(g.compare('ge', r, top), inf, r));
  return g.select(g.compare('gt', g.constant(0), x), g.neg(m), m);
}

/**
 * A float64 cast to a small float type (ONNX's float8 formats, float4e2m1), as dtype.ts's
 * toSmallFloat: rounded as toBinary rounds (nearest even, gradual underflow below 2^emin), then a
 * result past `max` (and an ∞, and any |x| ≥ 2^64, which the split would overflow on) becomes
 * `max` (mode 0), ∞ (mode 1) or NaN (mode 2), with x's sign; mode 3 saturates and makes NaN 0.
 */
function toSmall(g: Graph, x: NodeId, p: number, emin: number, max: number, mode: number): NodeId {
  const a = g.fn('abs', x);
  const r = roundMagnitude(g, a, p, emin);
  const over = g.constant(mode === 1 ? Infinity : mode === 2 ? NaN : max);
  const m = g.select(g.compare('ge', a, g.constant(2 ** 64)), over, g.select(g.compare('gt', r, g.constant(max)), over, r));
  const signed = g.select(g.compare('gt', g.constant(0), x), g.neg(m), m);
  return mode === 3 ? g.select(g.compare('eq', x, x), signed, g.constant(0)) : signed;
}

/**
 * ⌊log₂ a⌋ of a > 0, exactly: from the logarithm, then corrected by comparing a with 2^l and
 * 2^(l+1), which are exact (the estimate is off by at most one). For 0 about −1075 (the logarithm reads
 * at least the smallest subnormal, so no log(0) is taken), ∞ for ∞.
 */
function floorLog2(g: Graph, a: NodeId): NodeId {
  const two = g.constant(2);
  const l = g.fn('floor', g.div(g.fn('log', g.max(g.constant(2 ** -1074), a)), g.constant(Math.LN2)));
  return g.affine([l, g.compare('gt', g.powOf(two, l), a), g.compare('ge', a, g.powOf(two, g.shift(l, 1)))], [1, -1, 1]);
}

/**
 * A float32 magnitude a, with e = ⌊log₂ a⌋, cast to float8e8m0 as dtype.ts's toFloat8e8m0: 2^e
 * rounded up by `mode` (0 up: a > 2^e; 2 nearest: a ≥ 1.5·2^e; 1 down: never), kept at 2^127
 * (saturate) or NaN past it; below 2^−126 (a float32 subnormal, or 0) 2^−127, or 2^−126 when up
 * and a > 0 or nearest and a > 2^−127. The value is printed as 2 to a computed power, so no
 * constant such as 2^−127 is printed (a float32 value prints as its shortest float32 digits).
 */
function toE8m0(g: Graph, a: NodeId, e: NodeId, saturate: number, mode: number): NodeId {
  const p = g.powOf(g.constant(2), e);
  const none = g.constant(0);
  const upNormal = mode === 0 ? g.compare('gt', a, p) : mode === 2 ? g.compare('ge', a, g.scale(p, 1.5)) : none;
  const upTiny = mode === 0 ? g.compare('gt', a, none) : mode === 2 ? g.mul(g.compare('eq', e, g.constant(-127)), g.compare('gt', a, p)) : none;
  const k = g.select(g.compare('ge', e, g.constant(-126)), g.add(e, upNormal), g.shift(upTiny, -127));
  const kept = g.select(g.compare('ge', k, g.constant(128)), g.constant(saturate ? 127 : NaN), k);
  const nan = g.constant(NaN);
  return g.select(g.compare('ge', e, g.constant(128)), nan, g.select(g.compare('eq', a, a), g.powOf(g.constant(2), kept), nan));
}

/** The permutations of 0…n−1 with their signs. */
function permutationsOf(n: number): { p: number[]; sign: number }[] {
  let out = [{ p: [] as number[], sign: 1 }];
  for (let k = 0; k < n; k++) {
    // Element k inserted at every place of each permutation of 0…k−1; each place it passes flips the sign.
    out = out.flatMap(({ p, sign }) => Array.from({ length: k + 1 }, (_, at) => ({ p: [...p.slice(0, at), k, ...p.slice(at)], sign: (k - at) % 2 === 0 ? sign : -sign })));
  }
  return out;
}

const unary = (scalar: (g: Graph, x: NodeId, p: readonly number[]) => NodeId, operator?: string, params: readonly string[] = []): ElementwiseFn => ({
  arity: 1,
  params,
  scalar: (g, [x], p) => scalar(g, x, p),
  operator,
});

/** The one table of element-wise functions, keyed by name. */
export const ELEMENTWISE = {
  linear: unary((_g, x) => x),
  relu: unary((g, x) => g.max(g.constant(0), x), 'ReLU'),
  relu6: unary((g, x) => g.min(g.max(g.constant(0), x), g.constant(6)), 'ReLU6'),
  elu: unary((g, x, [alpha]) => elu(g, x, alpha), 'ELU', ['alpha']),
  selu: unary((g, x) => elu(g, x, SELU_ALPHA, SELU_SCALE), 'SELU'),
  sigmoid: unary((g, x) => g.fn('sigmoid', x), 'σ'),
  // Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6; Keras 1/2 and TF.js use 0.2·x + 0.5 (params: slope).
  hard_sigmoid: unary((g, x, [slope]) => g.min(g.max(g.constant(0), g.affine([x], [slope], 0.5)), g.constant(1)), 'hard\\_sigmoid', ['slope']),
  tanh: unary((g, x) => g.fn('tanh', x), 'tanh'),
  softplus: unary((g, x) => g.fn('softplus', x), 'softplus'),
  softsign: unary((g, x) => g.div(x, g.shift(g.fn('abs', x), 1)), 'softsign'),
  swish: unary((g, x) => g.mul(x, g.fn('sigmoid', x)), 'swish'),
  gelu: unary((g, x) => g.mul(x, g.affine([g.fn('erf', g.scale(x, Math.SQRT1_2))], [0.5], 0.5)), 'GELU'),
  gelu_new: unary(
    (g, x) => g.mul(x, g.affine([g.fn('tanh', g.affine([x, g.pow(x, 3)], [Math.sqrt(2 / Math.PI), Math.sqrt(2 / Math.PI) * 0.044715]))], [0.5], 0.5)),
    'GELU_{\\tanh}',
  ),
  mish: unary((g, x) => g.mul(x, g.fn('tanh', g.fn('softplus', x))), 'mish'),
  exponential: unary((g, x) => g.fn('exp', x), 'exp'),
  /** Keras's relu(x, negative_slope, max_value, threshold); max_value NaN means none. */
  relu_keras: unary(
    (g, x, [maxValue, slope, threshold]) => {
      const zero = g.constant(0);
      let pos = threshold === 0 ? g.max(zero, x) : g.mul(x, g.fn('step', g.shift(x, -threshold)));
      // Keras clips to [0, max_value]; the lower clip only matters when a negative threshold lets x < 0 through.
      if (!Number.isNaN(maxValue)) pos = g.min(threshold < 0 ? g.max(zero, pos) : pos, g.constant(maxValue));
      if (slope === 0) return pos;
      return g.affine([pos, g.max(zero, g.affine([x], [-1], threshold))], [1, -slope]);
    },
    'ReLU',
    ['max_value', 'negative_slope', 'threshold'],
  ),
  leaky_relu: unary((g, x, [alpha]) => g.affine([g.max(g.constant(0), x), g.min(g.constant(0), x)], [1, alpha]), 'LeakyReLU', ['alpha']),
  thresholded_relu: unary((g, x, [theta]) => g.mul(x, g.fn('step', g.shift(x, -theta))), 'ThresholdedReLU', ['theta']),
  /** max(0, x) + α·min(0, x) with α a tensor (PReLU). */
  prelu: { arity: 2, params: [], scalar: (g, [x, a]) => weighted(g, [g.max(g.constant(0), x), g.min(g.constant(0), x)], [g.constant(1), a], g.constant(0)), operator: 'PReLU' },
  /** a·x + b with a, b tensors (folded normalization). */
  scale_shift: { arity: 3, params: [], scalar: (g, [x, a, b]) => weighted(g, [x], [a], b) },
  /** scale·x + offset with numbers (Rescaling). */
  affine: unary((g, x, [scale, offset]) => g.affine([x], [scale], offset), undefined, ['scale', 'offset']),
  add: { arity: -1, params: [], scalar: (g, xs) => g.affine(xs, xs.map(() => 1)) },
  sub: { arity: 2, params: [], scalar: (g, [a, b]) => g.sub(a, b) },
  mul: { arity: -1, params: [], scalar: (g, xs) => fold(xs, (a, b) => g.mul(a, b)) },
  average: { arity: -1, params: [], scalar: (g, xs) => g.affine(xs, xs.map(() => 1 / xs.length)) },
  maximum: { arity: -1, params: [], scalar: (g, xs) => fold(xs, (a, b) => g.max(a, b)), operator: 'max' },
  minimum: { arity: -1, params: [], scalar: (g, xs) => fold(xs, (a, b) => g.min(a, b)), operator: 'min' },
  /** a·b + c·d (an LSTM cell update: f⊙c + i⊙g). */
  mul_add_mul: { arity: 4, params: [], scalar: (g, [a, b, c, d]) => g.add(g.mul(a, b), g.mul(c, d)) },
  /** a + b·c (GRU with reset_after: x_h + r⊙(U_h h + b)). */
  add_mul: { arity: 3, params: [], scalar: (g, [a, b, c]) => g.add(a, g.mul(b, c)) },
  /** z·h + (1 − z)·h̃, the GRU update (args z, h, h̃). */
  gru_update: { arity: 3, params: [], scalar: (g, [z, h, hh]) => g.add(g.mul(z, h), g.mul(g.affine([z], [-1], 1), hh)) },
  // ONNX operators (src/extract/onnx): plain arithmetic and the activations Keras has no row for.
  div: { arity: 2, params: [], scalar: (g, [a, b]) => g.div(a, b) },
  neg: unary((g, x) => g.neg(x)),
  reciprocal: unary((g, x) => g.div(g.constant(1), x)),
  abs: unary((g, x) => g.fn('abs', x), 'abs'),
  exp: unary((g, x) => g.fn('exp', x), 'exp'),
  log: unary((g, x) => g.fn('log', x), 'log'),
  sqrt: unary((g, x) => g.fn('sqrt', x), 'sqrt'),
  erf: unary((g, x) => g.fn('erf', x), 'erf'),
  /** x^p with a number p. */
  pow: unary((g, x, [p]) => g.pow(x, p), undefined, ['exponent']),
  /** min(max(x, lo), hi); NaN for a missing bound. */
  clip: unary(
    (g, x, [lo, hi]) => {
      const l = Number.isNaN(lo) ? x : g.max(x, g.constant(lo));
      return Number.isNaN(hi) ? l : g.min(l, g.constant(hi));
    },
    'clip',
    ['min', 'max'],
  ),
  /** max(0, min(1, α·x + β)) (ONNX HardSigmoid). */
  hard_sigmoid_ab: unary((g, x, [alpha, beta]) => g.min(g.max(g.constant(0), g.affine([x], [alpha], beta)), g.constant(1)), 'hard\\_sigmoid', ['alpha', 'beta']),
  /** x·max(0, min(1, x/6 + 1/2)) (ONNX HardSwish). */
  hard_swish: unary((g, x) => g.mul(x, g.min(g.max(g.constant(0), g.affine([x], [1 / 6], 0.5)), g.constant(1))), 'hard\\_swish'),
  /** γ·(α·(e^{min(x,0)} − 1) + max(x, 0)) (ONNX Selu with its attributes). */
  selu_ab: unary((g, x, [alpha, gamma]) => elu(g, x, alpha, gamma), 'SELU', ['alpha', 'gamma']),
  /** max(0, x) + min(0, α·(e^{x/α} − 1)) (ONNX Celu). */
  celu: unary((g, x, [alpha]) => g.affine([g.max(g.constant(0), x), g.fn('exp', g.min(g.constant(0), g.scale(x, 1 / alpha)))], [1, alpha], -alpha), 'CELU', ['alpha']),
  /** x − bias where x > λ, x + bias where x < −λ, else 0 (ONNX Shrink). */
  shrink: unary(
    (g, x, [lambd, bias]) => g.affine([g.mul(g.shift(x, -bias), g.fn('step', g.shift(x, -lambd))), g.mul(g.shift(x, bias), g.fn('step', g.affine([x], [-1], -lambd)))], [1, 1]),
    'shrink',
    ['lambd', 'bias'],
  ),
  /** x·σ(α·x) (ONNX Swish). */
  swish_a: unary((g, x, [alpha]) => g.mul(x, g.fn('sigmoid', g.scale(x, alpha))), 'swish', ['alpha']),
  // Typed values (ONNX integer and bool tensors), exact in float64 for whole numbers below 2^53.
  floor: unary((g, x) => g.fn('floor', x)),
  ceil: unary((g, x) => g.neg(g.fn('floor', g.neg(x)))),
  trunc: unary((g, x) => g.fn('trunc', x)),
  /** 1, 0 or −1 by the sign of x; NaN for NaN (numpy's sign, ONNX's reference). */
  sign: unary((g, x) => g.select(g.compare('eq', x, x), g.affine([g.compare('gt', x, g.constant(0)), g.compare('gt', g.constant(0), x)], [1, -1]), x)),
  /** trunc(a / b): integer Div (a/b rounds to the wrong side of a whole number only past 2^53). */
  int_div: { arity: 2, params: [], scalar: (g, [a, b]) => g.fn('trunc', g.div(a, b)) },
  /** trunc(x / d) with a number d. */
  int_div_by: unary((g, x, [d]) => g.fn('trunc', g.div(x, g.constant(d))), undefined, ['divisor']),
  /** a − b·⌊a/b⌋: integer Mod with the divisor's sign (ONNX fmod=0, Python's %). */
  int_mod: { arity: 2, params: [], scalar: (g, [a, b]) => g.sub(a, g.mul(b, g.fn('floor', g.div(a, b)))) },
  /** a − b·trunc(a/b): integer Mod with the dividend's sign (ONNX fmod=1, C's %). */
  int_fmod: { arity: 2, params: [], scalar: (g, [a, b]) => g.sub(a, g.mul(b, g.fn('trunc', g.div(a, b)))) },
  /** C's fmod(a, b), exact: the remainder of floats with the dividend's sign (ONNX Mod with fmod=1). */
  fmod: { arity: 2, params: [], scalar: (g, [a, b]) => g.fmod(a, b) },
  /**
   * a·b modulo 2^32 (up to a multiple of 2^32, in [0, 2^33)) for whole a and b of 32 bits, exact in
   * float64 where a·b itself may pass 2^53: with a = aₕ·2^16 + aₗ (aₗ in [0, 2^16)), likewise b,
   * a·b ≡ ((aₕ·bₗ + aₗ·bₕ) mod 2^16)·2^16 + aₗ·bₗ, every term below 2^33. A wrap to the type follows.
   */
  mul_wrap32: { arity: 2, params: [], scalar: (g, [a, b]) => {
    const m = g.constant(2 ** 16);
    const hi = (x: NodeId) => g.fn('floor', g.div(x, m));
    const [ah, bh] = [hi(a), hi(b)];
    const [al, bl] = [g.affine([a, ah], [1, -(2 ** 16)]), g.affine([b, bh], [1, -(2 ** 16)])];
    const cross = g.affine([g.mul(ah, bl), g.mul(al, bh)], [1, 1]);
    const low = g.affine([cross, hi(cross)], [1, -(2 ** 16)]);
    return g.affine([low, g.mul(al, bl)], [2 ** 16, 1]);
  } },
  /**
   * A whole number brought into a `bits`-wide integer type as ONNX wraps it: x − 2^bits·⌊(x + 2^(bits−1))/2^bits⌋
   * when signed, x − 2^bits·⌊x/2^bits⌋ when not (exact: the scaling is by powers of two).
   */
  wrap: unary((g, x, [bits, signed]) => {
    const m = 2 ** bits;
    // x / 2^bits, not x·2^−bits: a whole divisor prints exactly, where 2^−bits would print as float32 digits.
    const q = g.div(x, g.constant(m));
    return g.affine([x, g.fn('floor', signed ? g.shift(q, 0.5) : q)], [1, -m]);
  }, undefined, ['bits', 'signed']),
  /**
   * Bit k of a whole number x, given p = 2^k: ⌊x/p⌋ − 2·⌊⌊x/p⌋/2⌋ (two's complement: a negative x
   * has every bit above its width set). Exact in float64: p is a power of two.
   */
  bit: { arity: 2, params: [], scalar: (g, [x, p]) => {
    const q = g.fn('floor', g.div(x, p));
    return g.sub(q, g.scale(g.fn('floor', g.scale(q, 0.5)), 2));
  }, operator: 'bit' },
  /** The determinant of the M×M matrix of its M² arguments, row by row: the Leibniz sum Σ_σ sign(σ)·Π_i a[i, σ(i)] (ONNX Det). */
  det: { arity: -1, params: [], scalar: (g, xs) => {
    const m = Math.round(Math.sqrt(xs.length));
    const terms = permutationsOf(m);
    return g.affine(terms.map(({ p }) => fold(p.map((j, i) => xs[i * m + j]), (a, b) => g.mul(a, b))), terms.map(({ sign }) => sign));
  } },
  /**
   * The binary float whose bits, read as an unsigned integer, are u (ONNX BitCast from an integer):
   * f fraction bits, e exponent bits, bias 2^(e−1) − 1. Of q = ⌊u/2^f⌋: the sign s = ⌊u/2^(f+e)⌋,
   * the exponent field E = q − 2^e·s, the fraction M = u − 2^f·q; the value (−1)^s·(2^f + M)·2^(E−bias−f),
   * M/2^(bias+f−1) when E = 0, ∞ or NaN when E = 2^e − 1. Exact: every step is a whole number, a
   * power of two or a product by one.
   */
  from_bits: unary((g, u, [f, e]) => {
    const bias = 2 ** (e - 1) - 1;
    const q = g.fn('floor', g.div(u, g.constant(2 ** f)));
    const s = g.fn('floor', g.div(u, g.constant(2 ** (f + e))));
    const E = g.affine([q, s], [1, -(2 ** e)]);
    const M = g.affine([u, q], [1, -(2 ** f)]);
    const normal = g.mul(g.shift(M, 2 ** f), g.powOf(g.constant(2), g.shift(E, -bias - f)));
    // M / 2^(bias+f−1) as divisions by whole powers of two up to 2^52, which every target prints exactly (exact: M/2^k stays normal).
    let tiny = M;
    for (let k = bias + f - 1; k > 0; k -= 52) tiny = g.div(tiny, g.constant(2 ** Math.min(k, 52)));
    const special = g.select(g.compare('eq', M, g.constant(0)), g.constant(Infinity), g.constant(NaN));
    const m = g.select(g.compare('eq', E, g.constant(0)), tiny, g.select(g.compare('eq', E, g.constant(2 ** e - 1)), special, normal));
    return g.select(s, g.neg(m), m);
  }, 'float', ['fraction_bits', 'exponent_bits']),
  /** Comparisons as 0/1 (bool tensors), as IEEE 754 compares: false when a side is NaN, ∞ = ∞. */
  greater: { arity: 2, params: [], scalar: (g, [a, b]) => g.compare('gt', a, b) },
  less: { arity: 2, params: [], scalar: (g, [a, b]) => g.compare('gt', b, a) },
  greater_equal: { arity: 2, params: [], scalar: (g, [a, b]) => g.compare('ge', a, b) },
  less_equal: { arity: 2, params: [], scalar: (g, [a, b]) => g.compare('ge', b, a) },
  equal: { arity: 2, params: [], scalar: (g, [a, b]) => g.compare('eq', a, b) },
  /** x compared with a number c (a mask from token ids: x = 0), so that c prints as a number. */
  greater_than: unary((g, x, [c]) => g.compare('gt', x, g.constant(c)), undefined, ['value']),
  less_than: unary((g, x, [c]) => g.compare('gt', g.constant(c), x), undefined, ['value']),
  at_least: unary((g, x, [c]) => g.compare('ge', x, g.constant(c)), undefined, ['value']),
  at_most: unary((g, x, [c]) => g.compare('ge', g.constant(c), x), undefined, ['value']),
  equal_to: unary((g, x, [c]) => g.compare('eq', x, g.constant(c)), undefined, ['value']),
  /** Logic on 0/1 values (bool tensors): not x is [x = 0], so a choice by it reads its argument's relation with the branches swapped. */
  not: unary((g, x) => g.compare('eq', x, g.constant(0))),
  and: { arity: 2, params: [], scalar: (g, [a, b]) => g.mul(a, b) },
  or: { arity: 2, params: [], scalar: (g, [a, b]) => g.max(a, b) },
  xor: { arity: 2, params: [], scalar: (g, [a, b]) => g.fn('abs', g.sub(a, b)) },
  /** 1 where x ≠ 0, else 0 (a cast to bool: NaN is true). */
  nonzero: unary((g, x) => g.affine([g.compare('eq', x, g.constant(0))], [-1], 1)),
  /** x where c ≠ 0, else y (ONNX Where): a choice, never c·x + (1 − c)·y, which gives NaN for a −∞ not chosen. */
  where: { arity: 3, params: [], scalar: (g, [c, x, y]) => g.select(c, x, y) },
  // Quantized tensors (ONNX QuantizeLinear, DequantizeLinear and the QLinear ops, lowered in
  // src/extract/onnx/quantize.ts): a float32 scale s = b/a is given as two whole numbers, b < 2^24
  // and a power of two a ≤ 2^53, which every target prints exactly (a float32 printed as its
  // shortest decimal reads back as another float64); x·a and /a are exact, so x·a/b is x/s with
  // one float64 rounding, and (q − z)·b/a is the exact product.
  /** x·a/b. */
  scale_ratio: { arity: 3, params: [], scalar: (g, [x, a, b]) => g.div(g.mul(x, a), b) },
  /** (q − z)·b/a. */
  dequantize: { arity: 4, params: [], scalar: (g, [q, z, a, b]) => g.div(g.mul(g.sub(q, z), b), a) },
  /** x rounded to float32 (nearest, ties to even). */
  round_float32: unary((g, x) => toFloat32(g, x), 'fl32'),
  /** x rounded to a float format of p significand bits and exponents emin…emax (float16: 11, −14, 15; bfloat16: 8, −126, 127), nearest even. */
  round_binary: unary((g, x, [p, emin, emax]) => toBinary(g, x, p, emin, emax), 'fl', ['bits', 'emin', 'emax']),
  /** x cast to a small float type: significand bits p, smallest normal exponent emin, largest finite value max, and past it (mode) max, ∞, NaN, or max with NaN made 0. */
  round_small: unary((g, x, [p, emin, max, mode]) => toSmall(g, x, p, emin, max, mode), 'fl', ['bits', 'emin', 'max', 'mode']),
  /** ⌊log₂ a⌋ of a > 0, exactly (about −1075 for 0, below every float32 exponent). */
  floor_log2: unary((g, a) => floorLog2(g, a)),
  /** A float32 magnitude a, given e = ⌊log₂ a⌋, cast to float8e8m0: 2^e rounded by mode (0 up, 1 down, 2 nearest), saturating or not. */
  to_e8m0: { arity: 2, params: ['saturate', 'mode'], scalar: (g, [a, e], [saturate, mode]) => toE8m0(g, a, e, saturate, mode) },
  /** x rounded to a whole number, ties to even (np.rint). */
  round_even: unary((g, x) => roundHalfEven(g, x), 'rint'),
  /** min(max(r + z, lo), hi): a zero point added, saturated to an integer type's range. */
  saturate: { arity: 2, params: ['lo', 'hi'], scalar: (g, [r, z], [lo, hi]) => g.min(g.max(g.add(r, z), g.constant(lo)), g.constant(hi)) },
  /** a^b with a computed exponent (ONNX Pow). */
  power: { arity: 2, params: [], scalar: (g, [a, b]) => g.powOf(a, b) },
  // The circular and hyperbolic functions and their inverses (ONNX Sin … Atanh).
  sin: unary((g, x) => g.fn('sin', x), 'sin'),
  cos: unary((g, x) => g.fn('cos', x), 'cos'),
  tan: unary((g, x) => g.fn('tan', x), 'tan'),
  asin: unary((g, x) => g.fn('asin', x), 'arcsin'),
  acos: unary((g, x) => g.fn('acos', x), 'arccos'),
  atan: unary((g, x) => g.fn('atan', x), 'arctan'),
  sinh: unary((g, x) => g.fn('sinh', x), 'sinh'),
  cosh: unary((g, x) => g.fn('cosh', x), 'cosh'),
  asinh: unary((g, x) => g.fn('asinh', x), 'arsinh'),
  acosh: unary((g, x) => g.fn('acosh', x), 'arcosh'),
  atanh: unary((g, x) => g.fn('atanh', x), 'artanh'),
} satisfies Record<string, ElementwiseFn>;

/** A key of the element-wise function table. */
export type FnName = keyof typeof ELEMENTWISE;

/** The activations that are element-wise (the others, softmax and log_softmax, are reductions). */
export const ACTIVATION_FNS = [
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'tanh', 'softplus', 'softsign',
  'swish', 'gelu', 'gelu_new', 'mish', 'exponential',
] as const satisfies readonly FnName[];

/** Each activation written with exp and log, as the Medium article's NumPy string does (--expand, both forms). */
export const EXPANSIONS: Partial<Record<Fn, (g: Graph, z: NodeId) => NodeId>> = {
  tanh: (g, z) => {
    const e = g.fn('exp', g.scale(z, 2));
    return g.div(g.shift(e, -1), g.shift(e, 1));
  },
  sigmoid: (g, z) => g.div(g.constant(1), g.shift(g.fn('exp', g.neg(z)), 1)),
  softplus: (g, z) => g.fn('log', g.shift(g.fn('exp', z), 1)),
};

/** A map equation's scalar template: one element of its result over inputs 0…arity−1 of a small graph of its own. */
export interface MapTemplate {
  readonly graph: Graph;
  readonly out: NodeId;
}

const templates = new Map<string, MapTemplate>();

/**
 * The template of `attrs` for `arity` arguments: the table's function, then (derivative: k) its
 * derivative in argument k by the arena's reverse mode (TF.js's conventions at kinks), which takes
 * the function's value as one more argument, then (expanded) tanh, sigmoid and softplus in exp and
 * log. Built once per distinct attrs; scalarize instantiates it per element and every tensor
 * emitter prints it. `arity` counts the function's own arguments.
 */
export function mapTemplate(attrs: MapAttrs, arity: number): MapTemplate {
  if (attrs.derivative !== undefined) arity--;
  // JSON writes ∞, −∞ and NaN all as null: they are keyed by name, so equal_to(+∞) and equal_to(−∞) stay two templates.
  const key = JSON.stringify([attrs.fn, attrs.params, attrs.derivative ?? null, attrs.expanded ?? false, arity], (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  const found = templates.get(key);
  if (found) return found;
  let graph = new Graph();
  const xs = Array.from({ length: arity }, (_, i) => graph.input(i));
  let out = (ELEMENTWISE[attrs.fn] as ElementwiseFn).scalar(graph, xs, attrs.params);
  if (attrs.derivative !== undefined) {
    // The derivative reads the function's own value where it can (tanh' = 1 − y², σ' = y(1 − y),
    // exp' = y): the value y is argument `arity`, so the tensor form reuses the tensor it has.
    const d = jacobian(graph, [out], arity);
    const again = (ELEMENTWISE[attrs.fn] as ElementwiseFn).scalar(d.graph, xs.map((_, i) => d.graph.input(i)), attrs.params);
    const primal = d.graph.nodes[again];
    const r = rebuild(d.graph, [d.outputs[attrs.derivative]], (g, node) => (node === primal && primal.op !== 'input' ? g.input(arity) : undefined));
    graph = r.graph;
    out = r.outputs[0];
  }
  if (attrs.expanded) {
    const e = rebuild(graph, [out], (g, node, args) => EXPANSIONS[node.op as Fn]?.(g, args[0]));
    graph = e.graph;
    out = e.outputs[0];
  }
  const t = { graph, out };
  templates.set(key, t);
  return t;
}

/** One element of a map equation's result in `g`, from one element of each argument. */
export function applyMap(g: Graph, attrs: MapAttrs, xs: readonly NodeId[]): NodeId {
  if (attrs.derivative === undefined && !attrs.expanded) return (ELEMENTWISE[attrs.fn] as ElementwiseFn).scalar(g, xs, attrs.params);
  const t = mapTemplate(attrs, xs.length);
  const live = reachable(t.graph, [t.out]);
  const at = new Int32Array(t.out + 1);
  for (let id = 0; id <= t.out; id++) {
    if (!live[id]) continue;
    const node = t.graph.nodes[id];
    at[id] = node.op === 'input' ? xs[node.value] : g.copy(node, node.args.map((a) => at[a]));
  }
  return at[t.out];
}
