import { attrFloat, attrInt, attrString } from '../../load/onnx/attributes.js';
import type { FnName } from '../../tensor/functions.js';
import { broadcast, expandValues, konst, tensor, type Const, type OnnxContext, type OnnxExtractor, type Val } from './context.js';

/**
 * Element-wise ONNX ops as `map` equations: activations (one row of the ELEMENTWISE table each)
 * and arithmetic with numpy broadcasting. A constant operand that holds one number and does not
 * widen the result becomes a parameter (x + 3 prints as x + 3, not as a tensor of threes).
 */

/** Folds a binary op over two constants with broadcasting. */
function foldBinary(ctx: OnnxContext, a: Const, b: Const, f: (x: number, y: number) => number): Const {
  const shape = broadcast(a.dims, b.dims) ?? ctx.fail(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast`);
  const xa = expandValues(a, shape);
  const xb = expandValues(b, shape);
  return konst(shape, xa.map((v, i) => f(v, xb[i])));
}

/** The one number of a constant whose elements are all equal and which does not widen `other`, else null. */
function uniform(c: Const, other: readonly number[]): number | null {
  if (c.values.length === 0 || c.values.some((v) => v !== c.values[0])) return null;
  const out = broadcast(c.dims, other);
  if (!out || out.length !== other.length || out.some((d, i) => d !== other[i])) return null;
  return c.values[0];
}

type Binary = 'add' | 'sub' | 'mul' | 'div';
const FOLD: Record<Binary, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

function binary(kind: Binary): OnnxExtractor {
  return (ctx) => {
    const a = ctx.val(0);
    const b = ctx.val(1);
    if (a.kind === 'const' && b.kind === 'const') {
      const ints = kind === 'div' && ctx.node.inputs.every((n) => isIntName(ctx, n));
      return [foldBinary(ctx, a, b, ints ? (x, y) => Math.trunc(x / y) : FOLD[kind])];
    }
    if (a.kind === 'tensor' && b.kind === 'const') {
      const c = uniform(b, a.t.shape);
      if (c !== null) {
        const [scale, offset] = kind === 'add' ? [1, c] : kind === 'sub' ? [1, -c] : kind === 'mul' ? [c, 0] : [1 / c, 0];
        return [tensor(ctx.map('affine', [a.t], [scale, offset]))];
      }
    }
    if (a.kind === 'const' && b.kind === 'tensor' && kind !== 'div') {
      const c = uniform(a, b.t.shape);
      if (c !== null) {
        const [scale, offset] = kind === 'add' ? [1, c] : kind === 'sub' ? [-1, c] : [c, 0];
        return [tensor(ctx.map('affine', [b.t], [scale, offset]))];
      }
    }
    return [tensor(ctx.map(kind, [ctx.tensor(0), ctx.tensor(1)]))];
  };
}

/** Whether a value name is declared with an integer type (Div of shape arithmetic truncates). */
function isIntName(ctx: OnnxContext, name: string): boolean {
  const t = ctx.model.graph.initializers.get(name);
  if (t) return t.dtype.startsWith('int') || t.dtype.startsWith('uint');
  return false;
}

function variadic(fn: FnName, fold: (xs: number[]) => number): OnnxExtractor {
  return (ctx) => {
    const vals = ctx.node.inputs.map((_, i) => ctx.val(i));
    if (vals.length === 1) return [vals[0]];
    if (vals.every((v) => v.kind === 'const')) {
      let acc = vals[0] as Const;
      for (const v of vals.slice(1)) acc = foldBinary(ctx, acc, v as Const, (x, y) => fold([x, y]));
      if (fn === 'average') return [konst(acc.dims, acc.values.map((v) => v))];
      return [acc];
    }
    return [tensor(ctx.map(fn, vals.map((_, i) => ctx.tensor(i))))];
  };
}

/** A unary op; `params` reads the node's attributes. */
function unary(fn: FnName, params: (ctx: OnnxContext) => number[] = () => []): OnnxExtractor {
  return (ctx) => [tensor(ctx.map(fn, [ctx.tensor(0)], params(ctx)))];
}

function unaryFold(fn: FnName, f: (x: number) => number): OnnxExtractor {
  return (ctx) => {
    const v = ctx.val(0);
    if (v.kind === 'const') return [konst(v.dims, v.values.map(f))];
    return [tensor(ctx.map(fn, [v.t]))];
  };
}

const clip: OnnxExtractor = (ctx) => {
  let lo = NaN;
  let hi = NaN;
  if (ctx.opset < 11) {
    lo = attrFloat(ctx.node, 'min', NaN);
    hi = attrFloat(ctx.node, 'max', NaN);
  } else {
    // Bounds computed at run time: max(x, lo) then min(·, hi) element-wise.
    if ((ctx.has(1) && ctx.val(1).kind === 'tensor') || (ctx.has(2) && ctx.val(2).kind === 'tensor')) {
      let y = ctx.tensor(0);
      if (ctx.has(1)) y = ctx.map('maximum', [y, ctx.tensor(1, 'lo')], [], ctx.has(2) ? '_' : 'h');
      if (ctx.has(2)) y = ctx.map('minimum', [y, ctx.tensor(2, 'hi')]);
      return [tensor(y)];
    }
    if (ctx.has(1)) lo = ctx.constant(1, 'min').values[0];
    if (ctx.has(2)) hi = ctx.constant(2, 'max').values[0];
  }
  if (Number.isNaN(lo) && Number.isNaN(hi)) return [ctx.val(0)];
  return [tensor(ctx.map('clip', [ctx.tensor(0)], [lo, hi]))];
};

const pow: OnnxExtractor = (ctx) => {
  const x = ctx.val(0);
  const y = ctx.val(1);
  if (x.kind === 'const' && y.kind === 'const') return [foldBinary(ctx, x, y, Math.pow)];
  if (x.kind === 'tensor' && y.kind === 'const') {
    const p = uniform(y, x.t.shape);
    if (p !== null) return [tensor(ctx.map('pow', [x.t], [p]))];
  }
  return ctx.fail('the exponent is not one constant number; nn2eq prints powers with a fixed exponent', 'make the exponent a constant scalar');
};

const prelu: OnnxExtractor = (ctx) => {
  const x = ctx.tensor(0);
  const s = ctx.val(1);
  let slope = ctx.tensor(1, 'alpha');
  const sd = s.kind === 'const' ? s.dims : s.t.shape;
  // Opset 6 PRelu broadcast a [C] slope over axis 1 of [N, C, …].
  if (sd.length === 1 && x.shape.length > 2 && x.shape[1] === sd[0] && x.shape[x.shape.length - 1] !== sd[0]) {
    slope = ctx.reshape(slope, [sd[0], ...x.shape.slice(2).map(() => 1)], 'alpha');
  }
  return [tensor(ctx.map('prelu', [x, slope]))];
};

const gelu: OnnxExtractor = (ctx) => {
  const approx = attrString(ctx.node, 'approximate', 'none');
  if (approx !== 'none' && approx !== 'tanh') return ctx.fail(`approximate='${approx}', expected 'none' or 'tanh'`);
  return [tensor(ctx.map(approx === 'tanh' ? 'gelu_new' : 'gelu', [ctx.tensor(0)]))];
};

/** Identity-like ops: Dropout (inference), Identity, Cast to a float type. */
const passThrough: OnnxExtractor = (ctx) => {
  if (ctx.node.opType === 'Dropout' && ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '') return ctx.fail('its mask output is used; nn2eq converts models for inference, where Dropout passes its input on');
  return [ctx.val(0)];
};

const cast: OnnxExtractor = (ctx) => {
  const v = ctx.val(0);
  const to = attrInt(ctx.node, 'to', 1);
  // TensorProto.DataType: 1 float, 10 float16, 11 double, 16 bfloat16; 9 bool; the rest integers.
  if (v.kind === 'const') {
    if (to === 9) return [konst(v.dims, v.values.map((x) => (x !== 0 ? 1 : 0)))];
    if ([1, 10, 11, 16].includes(to)) return [v];
    return [konst(v.dims, v.values.map((x) => Math.trunc(x)))];
  }
  if ([1, 10, 11, 16].includes(to)) return [v];
  return ctx.fail(`casts a computed value to the integer or bool type ${to}`, 'nn2eq keeps computed values real; cast only constants');
};

/** Comparisons fold when both sides are constant (shape arithmetic); otherwise they are refused. */
function compare(f: (x: number, y: number) => boolean): OnnxExtractor {
  return (ctx) => {
    const a = ctx.val(0);
    const b = ctx.val(1);
    if (a.kind === 'const' && b.kind === 'const') return [foldBinary(ctx, a, b, (x, y) => (f(x, y) ? 1 : 0))];
    return ctx.fail('compares computed values; the result is a step, not a formula of the inputs', 'nn2eq converts comparisons only in shape arithmetic');
  };
}

const where: OnnxExtractor = (ctx) => {
  const c = ctx.val(0);
  const x = ctx.val(1);
  const y = ctx.val(2);
  if (c.kind === 'const' && x.kind === 'const' && y.kind === 'const') {
    const shape = broadcast(broadcast(c.dims, x.dims) ?? [], y.dims) ?? ctx.fail('shapes do not broadcast');
    const cv = expandValues(c, shape);
    const xv = expandValues(x, shape);
    const yv = expandValues(y, shape);
    return [konst(shape, cv.map((v, i) => (v !== 0 ? xv[i] : yv[i])))];
  }
  return ctx.fail('chooses between computed values by a condition', 'nn2eq converts Where only in shape arithmetic');
};

const opt = (name: string, fallback: number) => (ctx: OnnxContext) => [attrFloat(ctx.node, name, fallback)];

/** ONNX op type → extractor for element-wise ops. */
export const elementwiseOps: Record<string, OnnxExtractor> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Sum: variadic('add', (xs) => xs[0] + xs[1]),
  Max: variadic('maximum', (xs) => Math.max(xs[0], xs[1])),
  Min: variadic('minimum', (xs) => Math.min(xs[0], xs[1])),
  Mean: (ctx) => [tensor(ctx.map('average', ctx.node.inputs.map((_, i) => ctx.tensor(i))))],
  Pow: pow,
  Neg: unaryFold('neg', (x) => -x),
  Abs: unaryFold('abs', Math.abs),
  Reciprocal: unaryFold('reciprocal', (x) => 1 / x),
  Sqrt: unaryFold('sqrt', Math.sqrt),
  Exp: unaryFold('exp', Math.exp),
  Log: unaryFold('log', Math.log),
  Erf: unary('erf'),
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Softplus: unary('softplus'),
  Softsign: unary('softsign'),
  Mish: unary('mish'),
  HardSwish: unary('hard_swish'),
  Elu: unary('elu', opt('alpha', 1)),
  Celu: unary('celu', opt('alpha', 1)),
  LeakyRelu: unary('leaky_relu', opt('alpha', 0.01)),
  ThresholdedRelu: unary('thresholded_relu', opt('alpha', 1)),
  Selu: unary('selu_ab', (ctx) => [attrFloat(ctx.node, 'alpha', 1.67326319217681884765625), attrFloat(ctx.node, 'gamma', 1.05070102214813232421875)]),
  HardSigmoid: unary('hard_sigmoid_ab', (ctx) => [attrFloat(ctx.node, 'alpha', 0.2), attrFloat(ctx.node, 'beta', 0.5)]),
  Shrink: unary('shrink', (ctx) => [attrFloat(ctx.node, 'lambd', 0.5), attrFloat(ctx.node, 'bias', 0)]),
  Swish: unary('swish_a', opt('alpha', 1)),
  Gelu: gelu,
  PRelu: prelu,
  Clip: clip,
  Identity: passThrough,
  Dropout: passThrough,
  Cast: cast,
  CastLike: (ctx) => {
    const v = ctx.val(0);
    return [v.kind === 'const' ? v : (v as Val)];
  },
  Equal: compare((x, y) => x === y),
  Greater: compare((x, y) => x > y),
  Less: compare((x, y) => x < y),
  GreaterOrEqual: compare((x, y) => x >= y),
  LessOrEqual: compare((x, y) => x <= y),
  Where: where,
};
