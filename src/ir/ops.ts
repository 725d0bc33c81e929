import { erf, sigmoid, softplus } from './special.js';

/** Named one-argument functions of the IR. */
/** `step` is 1 where a > 0, else 0 (also for NaN), as TF's cast(x > 0, float) is. */
/** `floor` and `trunc` round to a whole number down and toward zero (integer tensors' Div, Mod, Cast). */
export type Fn = 'exp' | 'log' | 'tanh' | 'sigmoid' | 'erf' | 'softplus' | 'abs' | 'sqrt' | 'step' | 'floor' | 'trunc' | TrigFn;

/** The circular and hyperbolic functions and their inverses (tanh aside: it is an activation above). */
export const TRIG = ['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh'] as const;
export type TrigFn = (typeof TRIG)[number];

/**
 * Comparisons, 1 where the relation holds and 0 where it does not, as IEEE 754 compares: false
 * when either side is NaN, and ∞ = ∞ (never written as a difference: ∞ − ∞ is NaN).
 */
export type Cmp = 'gt' | 'ge' | 'eq';

/** Every operation of the IR. */
/** `select(c, a, b)` is a where c ≠ 0 (a NaN condition counts as true, as a cast to bool does), else b: a real choice, never c·a + (1 − c)·b (0·∞ is NaN). */
/** `lookup` reads row trunc(arg) of a graph table at column `value` (an Embedding). */
/** `param` is element `value` (flat, row-major) of the graph's parameter tensor `table` (--weights symbolic). */
/** `fmod(a, b)` is C's fmod: a − b·trunc(a/b) computed exactly (the remainder takes a's sign; NaN for b = 0 or an infinite a). */
export type Op = 'input' | 'const' | 'param' | 'affine' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'lookup' | Cmp | 'select' | 'fmod' | Fn;

/** Binding strength of a printed expression, loosest first; emitters parenthesize by it. */
export const enum Prec {
  Add = 10,
  Mul = 20,
  Neg = 25,
  Pow = 30,
  Atom = 100,
}

/** What the op table knows about one op. */
export interface OpInfo {
  /** Number of arguments; -1 for any number (affine). */
  arity: number;
  /** Precedence of the op's printed form in infix languages. */
  prec: Prec;
  /** float64 semantics; `affine`, `input` and `const` are evaluated from their payload. */
  eval?: (a: number, b: number, c: number) => number;
}

/** The one op table: arity, precedence and float64 meaning of every op. */
export const OPS = {
  input: { arity: 0, prec: Prec.Atom },
  const: { arity: 0, prec: Prec.Atom },
  param: { arity: 0, prec: Prec.Atom },
  affine: { arity: -1, prec: Prec.Add },
  lookup: { arity: 1, prec: Prec.Atom },
  mul: { arity: 2, prec: Prec.Mul, eval: (a, b) => a * b },
  div: { arity: 2, prec: Prec.Mul, eval: (a, b) => a / b },
  pow: { arity: 2, prec: Prec.Pow, eval: (a, b) => Math.pow(a, b) },
  max: { arity: 2, prec: Prec.Atom, eval: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)) },
  min: { arity: 2, prec: Prec.Atom, eval: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)) },
  gt: { arity: 2, prec: Prec.Atom, eval: (a, b) => (a > b ? 1 : 0) },
  ge: { arity: 2, prec: Prec.Atom, eval: (a, b) => (a >= b ? 1 : 0) },
  eq: { arity: 2, prec: Prec.Atom, eval: (a, b) => (a === b ? 1 : 0) },
  select: { arity: 3, prec: Prec.Atom, eval: (c, a, b) => (c !== 0 ? a : b) },
  exp: { arity: 1, prec: Prec.Atom, eval: (a) => Math.exp(a) },
  log: { arity: 1, prec: Prec.Atom, eval: (a) => Math.log(a) },
  tanh: { arity: 1, prec: Prec.Atom, eval: (a) => Math.tanh(a) },
  sigmoid: { arity: 1, prec: Prec.Atom, eval: (a) => sigmoid(a) },
  erf: { arity: 1, prec: Prec.Atom, eval: (a) => erf(a) },
  softplus: { arity: 1, prec: Prec.Atom, eval: (a) => softplus(a) },
  abs: { arity: 1, prec: Prec.Atom, eval: (a) => Math.abs(a) },
  sqrt: { arity: 1, prec: Prec.Atom, eval: (a) => Math.sqrt(a) },
  step: { arity: 1, prec: Prec.Atom, eval: (a) => (a > 0 ? 1 : 0) },
  floor: { arity: 1, prec: Prec.Atom, eval: (a) => Math.floor(a) },
  trunc: { arity: 1, prec: Prec.Atom, eval: (a) => Math.trunc(a) },
  sin: { arity: 1, prec: Prec.Atom, eval: (a) => Math.sin(a) },
  cos: { arity: 1, prec: Prec.Atom, eval: (a) => Math.cos(a) },
  tan: { arity: 1, prec: Prec.Atom, eval: (a) => Math.tan(a) },
  asin: { arity: 1, prec: Prec.Atom, eval: (a) => Math.asin(a) },
  acos: { arity: 1, prec: Prec.Atom, eval: (a) => Math.acos(a) },
  atan: { arity: 1, prec: Prec.Atom, eval: (a) => Math.atan(a) },
  sinh: { arity: 1, prec: Prec.Atom, eval: (a) => Math.sinh(a) },
  cosh: { arity: 1, prec: Prec.Atom, eval: (a) => Math.cosh(a) },
  asinh: { arity: 1, prec: Prec.Atom, eval: (a) => Math.asinh(a) },
  acosh: { arity: 1, prec: Prec.Atom, eval: (a) => Math.acosh(a) },
  atanh: { arity: 1, prec: Prec.Atom, eval: (a) => Math.atanh(a) },
  // JavaScript's % on numbers is C's fmod, exactly (ECMA-262 Number::remainder).
  fmod: { arity: 2, prec: Prec.Atom, eval: (a, b) => a % b },
} satisfies Record<Op, OpInfo>;

/** The named functions, in a fixed order. */
export const FUNCTIONS: readonly Fn[] = ['exp', 'log', 'tanh', 'sigmoid', 'erf', 'softplus', 'abs', 'sqrt', 'step', 'floor', 'trunc', ...TRIG];

/** Printers of the TRIG functions in a language: `names` spells each, `call` wraps the argument. */
export function trigPrinters(names: Record<TrigFn, string>, call: (name: string, a: string) => string = (n, a) => `${n}(${a})`): Record<TrigFn, (a: string) => string> {
  return Object.fromEntries(TRIG.map((f) => [f, (a: string) => call(names[f], a)])) as Record<TrigFn, (a: string) => string>;
}

/** The usual names: C, JavaScript's Math, Julia, SymPy and mathjs spell them alike. */
export const TRIG_NAMES = Object.fromEntries(TRIG.map((f) => [f, f])) as Record<TrigFn, string>;

/** True for the comparison ops. */
export function isCmp(op: Op): op is Cmp {
  return op === 'gt' || op === 'ge' || op === 'eq';
}

/** True for ops that are one-argument named functions. */
export function isFn(op: Op): op is Fn {
  return (FUNCTIONS as readonly string[]).includes(op);
}
